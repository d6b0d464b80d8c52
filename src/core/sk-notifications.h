/* sk-notifications.h: the store's side of delivering notifications: claims
 * with a lease, outcomes, and what the worker must know of a recipient.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* Events that are marketing: they count against the weekly cap and carry an
 * unsubscribe link. A notification of another event (bonuses earned) is a
 * receipt of what the customer did. */
gboolean sk_notification_event_is_marketing (const char *event);

/* A claimed notification, as the worker needs it. */
typedef struct
{
  char  *id;
  char  *customer_id; /* may be NULL */
  char  *channel;
  char  *event;
  char  *recipient;
  char  *subject;
  char  *body;
  gint64 attempts; /* this one included */
} SkOutgoing;

void sk_outgoing_free (SkOutgoing *outgoing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkOutgoing, sk_outgoing_free)

/* Takes at most @limit pending notifications of @channels (NULL-terminated,
 * at most three) that are due at @now and not leased to a live worker, and
 * leases them to @owner until @lease_until, counting an attempt. Several
 * servers on one database never get the same row while its lease lasts;
 * a row whose worker died is taken again when its lease runs out. An array
 * of SkOutgoing. */
GPtrArray *sk_database_claim_notifications (SkDatabase        *self,
                                            const char *const *channels,
                                            const char        *owner,
                                            gint64             now,
                                            gint64             lease_until,
                                            guint              limit,
                                            GError           **error);

typedef enum
{
  SK_DELIVERY_SENT,   /* @when: the time it was sent */
  SK_DELIVERY_RETRY,  /* @when: the next attempt; @message: this one's error */
  SK_DELIVERY_FAILED, /* for good, with @message */
  SK_DELIVERY_HOLD,   /* not tried (quiet hours): again at @when, not an attempt */
} SkDeliveryOutcome;

/* What became of a claimed notification. */
typedef struct
{
  const char       *id;
  SkDeliveryOutcome outcome;
  gint64            when;
  const char       *message;
} SkDeliveryRecord;

/* Records what became of a batch of notifications claimed by @owner, in one
 * transaction, and ends their leases. A lease another worker took over
 * meanwhile (this one was too slow) is skipped: that worker records its
 * own; *skipped (may be NULL) counts them. */
gboolean sk_database_finish_notifications (SkDatabase             *self,
                                           const char             *owner,
                                           const SkDeliveryRecord *records,
                                           guint                   n_records,
                                           guint                  *skipped,
                                           GError                **error);

/* What the worker checks of a notification's customer just before sending. */
typedef struct
{
  gboolean exists;
  gboolean consent;        /* to the notification's channel */
  char    *timezone;       /* the home store's; NULL: none known */
  gint64   marketing_sent; /* marketing messages sent since @since (0: not counted) */
} SkNotificationAudience;

void sk_notification_audience_clear (SkNotificationAudience *audience);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SkNotificationAudience, sk_notification_audience_clear)
gboolean sk_database_notification_audience (SkDatabase             *self,
                                            const char             *customer_id,
                                            const char             *channel,
                                            gint64                  since,
                                            SkNotificationAudience *out,
                                            GError                **error);

/* The notification, whatever its state (NULL and SK_ERROR_NOT_FOUND if none). */
SkNotification *sk_database_get_notification (SkDatabase *self, const char *id, GError **error);

/* Withdraws the customer's consent to @channel ("email", "sms", "push"), as
 * an edit of the customer (its version moves, tills learn of it), from the
 * link of notification @notification_id (may be NULL), marked at @now. */
gboolean sk_database_withdraw_consent (SkDatabase *self,
                                       const char *customer_id,
                                       const char *channel,
                                       const char *notification_id,
                                       gint64      now,
                                       GError    **error);

/* The setting @key, set to @value first if it has none: every server on one
 * database ends with the same (a signing key made once). */
char *
sk_database_setting_once (SkDatabase *self, const char *key, const char *value, GError **error);

/* Templates per event ("bonus_earned", "birthday", "campaign", "receipt")
 * and language ("ru", "en" shipped): {name}, {child}, {age}, {amount},
 * {balance}, {store}, {campaign}, {description} and {receipt} (the sale's
 * receipt as text) in the subject and the text. */
#define SK_SETTING_NOTIFICATION_LANGUAGE "notification_language"

typedef struct
{
  char  *event;
  char  *language;
  char  *subject;
  char  *body;
  gint64 version; /* 0 on save: whatever is stored */
} SkNotificationTemplate;

void sk_notification_template_free (SkNotificationTemplate *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkNotificationTemplate, sk_notification_template_free)
/* As HQ's API shows a template ({event, language, subject, body,
 * version}), and back (NULL with SK_ERROR_MALFORMED if a part is not
 * there). */
JsonNode               *sk_notification_template_to_json (const SkNotificationTemplate *t);
SkNotificationTemplate *sk_notification_template_from_json (JsonNode *node, GError **error);

gboolean   sk_notification_template_validate (const SkNotificationTemplate *t, GError **error);
GPtrArray *sk_database_list_notification_templates (SkDatabase *self, GError **error);
SkNotificationTemplate *sk_database_get_notification_template (SkDatabase *self,
                                                               const char *event,
                                                               const char *language,
                                                               GError    **error);
/* Inserts or updates (with the version check: SK_ERROR_STALE). */
gboolean sk_database_save_notification_template (SkDatabase             *self,
                                                 SkNotificationTemplate *t,
                                                 GError                **error);
/* @text with its {placeholders} replaced from @values (absent: empty). */
char *sk_notification_render (const char *text, GHashTable *values);
/* Made-up values of every placeholder, for a preview. */
GHashTable *sk_notification_sample_values (void);

/* Messages per channel (and customers reached at all); of a reach asked
 * before announcing, the customers it does not go to again because they
 * have had it on every channel they can be reached on. */
typedef struct
{
  gint64 email;
  gint64 sms;
  gint64 push;
  gint64 customers;
  gint64 already;
} SkReach;

/* Queues the birthday greetings of the children born on the day
 * @lead_days ahead in their parent's home store's timezone, once per child
 * per year however often it runs; how many were queued, or -1. */
gint64 sk_database_queue_birthdays (SkDatabase *self, gint64 now, guint lead_days, GError **error);

/* Whom an announcement of the campaign would reach, per channel: its
 * segments and stores, on its channels (none listed: all), with consent,
 * but for the messages it had before. */
gboolean sk_database_campaign_reach (SkDatabase *self,
                                     const char *campaign_id,
                                     SkReach    *reach,
                                     GError    **error);
/* @reach as @name's member of the object @builder is building, and back
 * from @node's member @name (HQ's answer). */
void     sk_reach_build (JsonBuilder *builder, const char *name, const SkReach *reach);
gboolean sk_reach_from_json (JsonNode *node, const char *name, SkReach *out, GError **error);
/* Queues the announcement to them, each customer once (again: nothing). */
gboolean sk_database_announce_campaign (
    SkDatabase *self, const char *campaign_id, gint64 now, SkReach *queued, GError **error);

typedef struct
{
  gint64 pending;
  gint64 sent;
  gint64 failed;
  gint64 unsubscribed; /* links followed from its messages */
} SkCampaignDeliveries;

gboolean sk_database_campaign_deliveries (SkDatabase           *self,
                                          const char           *campaign_id,
                                          SkCampaignDeliveries *out,
                                          GError              **error);

G_END_DECLS
