/* sk-server-delivery.h: the worker that delivers the notifications outbox
 * (e-mail over SMTP, SMS and push over HTTP gateways), and its senders.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "sk-database.h"
#include "sk-server.h"

G_BEGIN_DECLS

void sk_notify_config_clear (SkNotifyConfig *notify);
void sk_notify_config_copy (SkNotifyConfig *dest, const SkNotifyConfig *src);

/* What became of one attempt to send. */
typedef enum
{
  SK_SEND_OK,
  SK_SEND_TRANSIENT, /* may succeed later: retried */
  SK_SEND_PERMANENT, /* will not: failed at once */
} SkSendResult;

/* E-mail over SMTP (libcurl). One sender keeps its connection open from one
 * message to the next unless @reuse is FALSE. */
typedef struct _SkSmtp SkSmtp;

typedef struct
{
  const char *id; /* stable: the Message-ID, the same on every attempt */
  const char *to;
  const char *subject;
  const char *text;
  const char *html;
  const char *unsubscribe_url; /* NULL: no List-Unsubscribe */
} SkMail;

SkSmtp      *sk_smtp_new (const SkNotifyConfig *config, gboolean reuse, GError **error);
SkSendResult sk_smtp_send (SkSmtp *self, const SkMail *mail, char **error_message);
void         sk_smtp_free (SkSmtp *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSmtp, sk_smtp_free)

/* An SMS or push message to an HTTP gateway (libsoup): the body template's
 * strings with {{id}}, {{to}}, {{subject}} and {{text}} replaced. A 2xx is
 * sent, a 4xx fails for good with the answer as the error, a 5xx or a
 * transport error (a timeout) is retried. */
SkSendResult sk_gateway_send (SoupSession           *session,
                              const SkGatewayConfig *gateway,
                              const char            *id,
                              const char            *to,
                              const char            *subject,
                              const char            *text,
                              char                 **error_message);

/* Reads the signed token of an unsubscribe link (no login): it names the
 * customer, the channel and the notification it came in; only the worker,
 * with this database's key, makes one. SK_ERROR_INVALID when it is not. */
gboolean sk_unsubscribe_token_check (SkDatabase *db,
                                     const char *token,
                                     char      **customer_id,
                                     char      **channel,
                                     char      **notification_id,
                                     GError    **error);

/* Microseconds since the epoch, UTC: the worker's idea of now. */
typedef gint64 (*SkDeliveryClock) (gpointer user_data);

typedef struct _SkDelivery SkDelivery;

/* A worker over @config's database (its own connection) and channels. */
SkDelivery *sk_delivery_new (const SkServerConfig *config, GError **error);
/* Time for due dates, quiet hours and the weekly cap (default: the real
 * clock). Tests fix it. */
void sk_delivery_set_clock (SkDelivery *self, SkDeliveryClock clock, gpointer user_data);
/* Whether e-mail keeps one SMTP connection for a batch (default TRUE). */
void sk_delivery_set_reuse (SkDelivery *self, gboolean reuse);
/* The channels it delivers, NULL-terminated. */
const char *const *sk_delivery_get_channels (SkDelivery *self);
/* Claims one batch of due notifications and delivers it, on the caller's
 * thread; the number claimed (0: nothing due), or -1 with @error. */
int sk_delivery_run_once (SkDelivery *self, GError **error);
/* Runs batches in a thread of its own until stopped; waits a second when
 * nothing is due. */
gboolean sk_delivery_start (SkDelivery *self, GError **error);
/* Stops the thread after the notification in hand and frees everything. */
void sk_delivery_free (SkDelivery *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkDelivery, sk_delivery_free)

G_END_DECLS
