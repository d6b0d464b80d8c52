/* sk-notifications-private.h: queueing a message in the outbox, for the
 * store's own events (the pipeline, the birthday job, announcements).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database-private.h"
#include "sk-notifications.h"

G_BEGIN_DECLS

/* A message for the notifications outbox: rendered from the event's
 * template in the chain's language and queued on each channel the customer
 * consented to and has a recipient on (of @channels; NULL: all), skipped on
 * a channel where @dedup_key was queued before. */
typedef struct
{
  const char        *event;
  SkCustomer        *customer;
  GHashTable        *values; /* placeholder -> text */
  const char        *campaign_id;
  const char        *dedup_key;
  const char *const *channels;
  SkStmt *template; /* sk_db_send_template ()'s, or NULL */
} SkQueuedMessage;

/* Sends ahead (sk_db_query_ahead) the query of the template @message will
 * be rendered from, to go in @message->template; NULL, and no error, if
 * the customer takes no message of it. */
SkStmt *sk_db_send_template (SkDatabase *self, const SkQueuedMessage *message, GError **error);

/* Placeholder values: keys and values are copied. */
GHashTable *sk_notification_values_new (void);
void        sk_notification_values_set (GHashTable *values, const char *name, const char *value);

/* Runs in the caller's transaction; @queued (may be NULL) counts what went
 * in per channel. */
gboolean sk_db_queue_notifications (
    SkDatabase *self, const SkQueuedMessage *message, gint64 now, SkReach *queued, GError **error);

/* sk_database_queue_receipt in the caller's transaction; @outbox: also as
 * a sync event (a till's, not HQ's applying one). */
gboolean sk_db_queue_receipt (SkDatabase *self,
                              const char *purchase_id,
                              gint64      now,
                              gboolean    outbox,
                              gboolean   *queued,
                              GError    **error);

G_END_DECLS
