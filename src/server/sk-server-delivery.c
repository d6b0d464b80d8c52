/* sk-server-delivery.c: the worker that delivers the notifications outbox.
 *
 * It claims a batch of due notifications with a lease (several servers on
 * one database never take the same row while the lease lasts; one killed
 * mid-batch leaves its rows to be taken again when the lease runs out),
 * checks consent, quiet hours and the weekly cap just before sending, sends,
 * and records sent, a retry after an exponential delay, or failed with the
 * gateway's error. A notification may reach a gateway twice (a server
 * killed between sending and recording); its id, the same on every attempt,
 * lets the gateway drop the second (Message-ID, Idempotency-Key).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <sodium.h>
#include <string.h>

#include "sk-error.h"
#include "sk-notifications.h"
#include "sk-server-delivery.h"

#define UNSUBSCRIBE_KEY_SETTING "unsubscribe_key"
#define WEEK                    (7 * G_TIME_SPAN_DAY)

struct _SkDelivery
{
  SkServerConfig *config;
  SkDatabase     *db;
  char           *owner; /* this worker's name on its leases */
  const char     *channels[4];
  SkDeliveryClock clock;
  gpointer        clock_data;
  gboolean        reuse;
  SkSmtp         *smtp;
  SoupSession    *session; /* of @context */
  GMainContext   *context; /* the worker's own: libsoup's connections live in it */
  guchar          key[crypto_auth_KEYBYTES];
  gint64          birthdays_day; /* days since 1970 (UTC) of the last run */

  GThread *thread;
  GMutex   mutex;
  GCond    cond;
  gboolean stopping;
};

void
sk_notify_config_clear (SkNotifyConfig *notify)
{
  SkGatewayConfig *gateways[] = { &notify->sms, &notify->push };

  g_clear_pointer (&notify->smtp_url, g_free);
  g_clear_pointer (&notify->smtp_username, g_free);
  g_clear_pointer (&notify->smtp_password_file, g_free);
  g_clear_pointer (&notify->smtp_from, g_free);
  g_clear_pointer (&notify->public_url, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (gateways); i++)
    {
      g_clear_pointer (&gateways[i]->url, g_free);
      g_clear_pointer (&gateways[i]->headers, g_strfreev);
      g_clear_pointer (&gateways[i]->body_template, g_free);
    }
}

static void
gateway_copy (SkGatewayConfig *dest, const SkGatewayConfig *src)
{
  dest->url = g_strdup (src->url);
  dest->headers = g_strdupv (src->headers);
  dest->body_template = g_strdup (src->body_template);
}

/* @dest holds a shallow copy of @src: its strings are made its own. */
void
sk_notify_config_copy (SkNotifyConfig *dest, const SkNotifyConfig *src)
{
  *dest = *src;
  dest->smtp_url = g_strdup (src->smtp_url);
  dest->smtp_username = g_strdup (src->smtp_username);
  dest->smtp_password_file = g_strdup (src->smtp_password_file);
  dest->smtp_from = g_strdup (src->smtp_from);
  dest->public_url = g_strdup (src->public_url);
  gateway_copy (&dest->sms, &src->sms);
  gateway_copy (&dest->push, &src->push);
}

/* Unsubscribe links */

static gboolean
load_key (SkDatabase *db, guchar key[crypto_auth_KEYBYTES], GError **error)
{
  guchar           fresh[crypto_auth_KEYBYTES];
  char             hex[crypto_auth_KEYBYTES * 2 + 1];
  g_autofree char *stored = NULL;

  crypto_auth_keygen (fresh);
  sodium_bin2hex (hex, sizeof hex, fresh, sizeof fresh);
  stored = sk_database_setting_once (db, UNSUBSCRIBE_KEY_SETTING, hex, error);
  if (stored == NULL)
    return FALSE;
  if (sodium_hex2bin (key, crypto_auth_KEYBYTES, stored, strlen (stored), NULL, NULL, NULL) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The unsubscribe key is damaged");
      return FALSE;
    }
  return TRUE;
}

static char *
base64url (const guchar *data, gsize size)
{
  gsize length = sodium_base64_ENCODED_LEN (size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  char *out = g_malloc (length);

  return sodium_bin2base64 (out, length, data, size, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static char *
token_with_key (const guchar *key,
                const char   *customer_id,
                const char   *channel,
                const char   *notification_id)
{
  g_autofree char *subject = g_strdup_printf ("%s:%s:%s", channel, customer_id, notification_id);
  g_autofree char *encoded = base64url ((const guchar *)subject, strlen (subject));
  g_autofree char *encoded_mac = NULL;
  guchar           mac[crypto_auth_BYTES];

  crypto_auth (mac, (const guchar *)subject, strlen (subject), key);
  encoded_mac = base64url (mac, sizeof mac);
  return g_strdup_printf ("%s.%s", encoded, encoded_mac);
}

gboolean
sk_unsubscribe_token_check (SkDatabase *db,
                            const char *token,
                            char      **customer_id,
                            char      **channel,
                            char      **notification_id,
                            GError    **error)
{
  guchar           key[crypto_auth_KEYBYTES];
  guchar           mac[crypto_auth_BYTES];
  guchar           subject[256];
  gsize            subject_size = 0, mac_size = 0;
  const char      *dot = token != NULL ? strchr (token, '.') : NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) parts = NULL;

  if (dot == NULL
      || sodium_base642bin (subject, sizeof subject - 1, token, dot - token, NULL, &subject_size,
                            NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
             != 0
      || sodium_base642bin (mac, sizeof mac, dot + 1, strlen (dot + 1), NULL, &mac_size, NULL,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING)
             != 0
      || mac_size != sizeof mac)
    {
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, "This unsubscribe link is damaged");
      return FALSE;
    }
  if (!load_key (db, key, error))
    return FALSE;
  if (crypto_auth_verify (mac, subject, subject_size, key) != 0)
    {
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, "This unsubscribe link is not ours");
      return FALSE;
    }
  text = g_strndup ((const char *)subject, subject_size);
  parts = g_strsplit (text, ":", 3);
  if (g_strv_length (parts) != 3)
    {
      g_set_error (error, SK_ERROR, SK_ERROR_INVALID, "This unsubscribe link is damaged");
      return FALSE;
    }
  *channel = g_strdup (parts[0]);
  *customer_id = g_strdup (parts[1]);
  *notification_id = g_strdup (parts[2]);
  return TRUE;
}

/* The worker */

static gint64
real_clock (gpointer user_data)
{
  return g_get_real_time ();
}

SkDelivery *
sk_delivery_new (const SkServerConfig *config, GError **error)
{
  g_autoptr (SkDelivery) self = NULL;
  guint n = 0;

  g_return_val_if_fail (config != NULL, NULL);
  /* sk_server_config_new's defaults, or the loader's checked values. */
  g_return_val_if_fail (config->notify.retries > 0 && config->notify.lease > 0
                            && config->notify.batch > 0 && config->notify.weekly_cap > 0,
                        NULL);

  if (sodium_init () < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "libsodium could not start");
      return NULL;
    }
  self = g_new0 (SkDelivery, 1);
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->config = g_new0 (SkServerConfig, 1);
  self->config->database = g_strdup (config->database);
  sk_notify_config_copy (&self->config->notify, &config->notify);
  self->clock = real_clock;
  self->reuse = TRUE;
  self->context = g_main_context_new ();
  {
    g_autofree char *uuid = g_uuid_string_random ();

    self->owner = g_strdup_printf ("%s/%s", g_get_host_name (), uuid);
  }
  if (config->notify.smtp_url != NULL)
    self->channels[n++] = "email";
  if (config->notify.sms.url != NULL)
    self->channels[n++] = "sms";
  if (config->notify.push.url != NULL)
    self->channels[n++] = "push";
  self->db = sk_database_open (config->database, error);
  if (self->db == NULL || !load_key (self->db, self->key, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
sk_delivery_set_clock (SkDelivery *self, SkDeliveryClock clock, gpointer user_data)
{
  g_return_if_fail (self != NULL);

  self->clock = clock != NULL ? clock : real_clock;
  self->clock_data = user_data;
}

void
sk_delivery_set_reuse (SkDelivery *self, gboolean reuse)
{
  g_return_if_fail (self != NULL);

  self->reuse = reuse;
  g_clear_pointer (&self->smtp, sk_smtp_free);
}

const char *const *
sk_delivery_get_channels (SkDelivery *self)
{
  return self->channels;
}

/* When quiet hours that cover @now end, in the zone @zone_name; 0 if they do not
 * cover it. */
static gint64
quiet_until (const SkNotifyConfig *notify, const char *zone_name, gint64 now)
{
  g_autoptr (GTimeZone) zone = NULL;
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GDateTime) end = NULL;
  int      hour;
  gboolean quiet;

  if (notify->quiet_start == notify->quiet_end)
    return 0;
  zone = zone_name != NULL ? g_time_zone_new_identifier (zone_name) : NULL;
  if (zone == NULL)
    zone = g_time_zone_new_utc ();
  {
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);

    local = g_date_time_to_timezone (utc, zone);
  }
  hour = g_date_time_get_hour (local);
  if (notify->quiet_start < notify->quiet_end)
    quiet = hour >= notify->quiet_start && hour < notify->quiet_end;
  else
    quiet = hour >= notify->quiet_start || hour < notify->quiet_end;
  if (!quiet)
    return 0;
  end = g_date_time_new (zone, g_date_time_get_year (local), g_date_time_get_month (local),
                         g_date_time_get_day_of_month (local), notify->quiet_end, 0, 0);
  if (hour >= notify->quiet_end)
    {
      GDateTime *next = g_date_time_add_days (end, 1);

      g_date_time_unref (end);
      end = next;
    }
  return g_date_time_to_unix (end) * G_USEC_PER_SEC;
}

static char *
html_body (const char *text, const char *unsubscribe_url)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);
  GString         *html = g_string_new ("<!DOCTYPE html><html><body><p>");
  g_autofree char *link = NULL;

  g_string_append (html, escaped);
  g_string_replace (html, "\n", "<br>", 0);
  g_string_append (html, "</p>");
  if (unsubscribe_url != NULL)
    {
      link = g_markup_escape_text (unsubscribe_url, -1);
      g_string_append_printf (html, "<p><small><a href=\"%s\">Unsubscribe</a></small></p>", link);
    }
  g_string_append (html, "</body></html>");
  return g_string_free (html, FALSE);
}

static SkSendResult
send_one (SkDelivery *self, SkOutgoing *n, gboolean marketing, char **error_message)
{
  const SkNotifyConfig *notify = &self->config->notify;
  g_autofree char      *url = NULL;

  if (g_str_equal (n->channel, "email"))
    {
      g_autofree char *text = NULL;
      g_autofree char *html = NULL;
      SkMail           mail = { 0 };

      if (marketing && n->customer_id != NULL && notify->public_url != NULL)
        {
          g_autofree char *token = token_with_key (self->key, n->customer_id, n->channel, n->id);

          url = g_strdup_printf ("%s%sapi/unsubscribe?token=%s", notify->public_url,
                                 g_str_has_suffix (notify->public_url, "/") ? "" : "/", token);
        }
      if (self->smtp == NULL)
        {
          g_autoptr (GError) error = NULL;

          self->smtp = sk_smtp_new (notify, self->reuse, &error);
          if (self->smtp == NULL)
            {
              *error_message = g_strdup (error->message);
              return SK_SEND_TRANSIENT;
            }
        }
      text = url != NULL ? g_strdup_printf ("%s\n\n--\nUnsubscribe: %s\n", n->body, url)
                         : g_strdup (n->body);
      html = html_body (n->body, url);
      mail.id = n->id;
      mail.to = n->recipient;
      mail.subject = n->subject;
      mail.text = text;
      mail.html = html;
      mail.unsubscribe_url = url;
      return sk_smtp_send (self->smtp, &mail, error_message);
    }
  if (self->session == NULL)
    self->session = soup_session_new_with_options ("timeout", 30, "user-agent",
                                                   "skidka-server/" PACKAGE_VERSION, NULL);
  return sk_gateway_send (self->session,
                          g_str_equal (n->channel, "sms") ? &notify->sms : &notify->push, n->id,
                          n->recipient, n->subject, n->body, error_message);
}

/* What became of a notification of the batch, recorded with the others
 * once the batch is done: one short write for the batch, and none held
 * while the gateways answer. A server killed before it records them leaves
 * the batch pending, to be sent again with the same ids. */
/* The batch's outcomes: their records, and the messages they point to. */
typedef struct
{
  GArray     *records; /* SkDeliveryRecord */
  GPtrArray  *messages;
  GHashTable *marketing_sent; /* customer id -> marketing messages sent, not yet recorded */
} Batch;

static void
decide (Batch *b, SkOutgoing *n, SkDeliveryOutcome outcome, gint64 when, const char *message)
{
  SkDeliveryRecord o = { n->id, outcome, when, NULL };

  if (message != NULL)
    {
      o.message = g_strdup (message);
      g_ptr_array_add (b->messages, (char *)o.message);
    }
  g_array_append_val (b->records, o);
}

static gboolean
deliver (SkDelivery *self, SkOutgoing *n, Batch *b, GError **error)
{
  const SkNotifyConfig *notify = &self->config->notify;
  g_auto (SkNotificationAudience) audience = { 0 };
  g_autofree char  *message = NULL;
  gboolean          marketing = sk_notification_event_is_marketing (n->event);
  gint64            now = self->clock (self->clock_data);
  gint64            until;
  SkSendResult      result;
  SkDeliveryOutcome outcome;
  gint64            when = now;
  guint             batch_sent = 0;

  if (!sk_database_notification_audience (self->db, n->customer_id, n->channel,
                                          marketing ? now - WEEK : SK_TIME_NONE, &audience, error))
    return FALSE;
  if (n->customer_id != NULL)
    batch_sent = GPOINTER_TO_UINT (g_hash_table_lookup (b->marketing_sent, n->customer_id));
  if (n->customer_id != NULL && (!audience.exists || !audience.consent))
    {
      decide (b, n, SK_DELIVERY_FAILED, now, "The customer has not consented to this channel");
      return TRUE;
    }
  if (!g_str_equal (n->channel, "email")
      && (until = quiet_until (notify, audience.timezone, now)) != 0)
    {
      decide (b, n, SK_DELIVERY_HOLD, until, NULL);
      return TRUE;
    }
  if (marketing && audience.marketing_sent + batch_sent >= notify->weekly_cap)
    {
      decide (b, n, SK_DELIVERY_FAILED, now,
              "The customer had the week's marketing messages already");
      return TRUE;
    }

  result = send_one (self, n, marketing, &message);
  now = self->clock (self->clock_data);
  switch (result)
    {
    case SK_SEND_OK:
      outcome = SK_DELIVERY_SENT;
      when = now;
      if (marketing && n->customer_id != NULL)
        g_hash_table_insert (b->marketing_sent, n->customer_id, GUINT_TO_POINTER (batch_sent + 1));
      break;
    case SK_SEND_TRANSIENT:
      if ((guint64)n->attempts < notify->retries)
        {
          /* The attempt just made is n->attempts (the claim counted it). */
          gint64 delay = (gint64)notify->retry_delay << MIN (n->attempts - 1, 20);

          outcome = SK_DELIVERY_RETRY;
          when = now + delay * G_USEC_PER_SEC;
          break;
        }
      G_GNUC_FALLTHROUGH;
    case SK_SEND_PERMANENT:
    default:
      outcome = SK_DELIVERY_FAILED;
      break;
    }
  if (message != NULL)
    g_info ("Notification %s (%s to %s): %s", n->id, n->channel, n->recipient, message);
  decide (b, n, outcome, when, message);
  return TRUE;
}

static gboolean
is_stopping (SkDelivery *self)
{
  gboolean stop;

  g_mutex_lock (&self->mutex);
  stop = self->stopping;
  g_mutex_unlock (&self->mutex);
  return stop;
}

static int
run_batch (SkDelivery *self, GError **error)
{
  g_autoptr (GPtrArray) batch = NULL;
  g_autoptr (GArray) records = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GHashTable) marketing_sent = NULL;
  Batch  b;
  guint  skipped = 0;
  gint64 now, lease;

  if (self->channels[0] == NULL)
    return 0;
  now = self->clock (self->clock_data);
  lease = (gint64)self->config->notify.lease * G_USEC_PER_SEC;
  batch = sk_database_claim_notifications (self->db, self->channels, self->owner, now, now + lease,
                                           self->config->notify.batch, error);
  if (batch == NULL)
    return -1;
  records = g_array_sized_new (FALSE, TRUE, sizeof (SkDeliveryRecord), batch->len);
  messages = g_ptr_array_new_with_free_func (g_free);
  marketing_sent = g_hash_table_new (g_str_hash, g_str_equal);
  b.records = records;
  b.messages = messages;
  b.marketing_sent = marketing_sent;
  for (guint i = 0; i < batch->len; i++)
    {
      SkOutgoing *n = g_ptr_array_index (batch, i);

      /* Gateways that answer slowly must not let the lease run out while
       * this worker still holds the batch (another would send the rest
       * too): past half the lease, the rest goes back, not tried; so it
       * does when the server stops. */
      if (self->clock (self->clock_data) - now > lease / 2 || is_stopping (self))
        decide (&b, n, SK_DELIVERY_HOLD, self->clock (self->clock_data), NULL);
      else if (!deliver (self, n, &b, error))
        return -1;
    }
  /* What became of the batch, in one short write, none held while the
   * gateways answer. A server killed before it records them leaves the
   * batch pending, to be sent again with the same ids. */
  if (!sk_database_finish_notifications (self->db, self->owner, (SkDeliveryRecord *)records->data,
                                         records->len, &skipped, error))
    return -1;
  if (skipped > 0)
    g_info ("%u notifications' leases ran out before they were recorded", skipped);
  /* Not reused past a batch: the server may close an idle connection. */
  if (!self->reuse || batch->len == 0)
    g_clear_pointer (&self->smtp, sk_smtp_free);
  return batch->len;
}

int
sk_delivery_run_once (SkDelivery *self, GError **error)
{
  int claimed;

  g_return_val_if_fail (self != NULL, -1);

  /* The HTTP session's connections go back to its pool, to be used again,
   * in the context it was made in: the worker's own, whatever thread runs
   * the batch. */
  g_main_context_push_thread_default (self->context);
  claimed = run_batch (self, error);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return claimed;
}

/* The birthday job, once a day (UTC) per server; a second server or a
 * restart running it again queues nothing twice. */
static void
run_daily_jobs (SkDelivery *self)
{
  g_autoptr (GError) error = NULL;
  gint64 now = self->clock (self->clock_data);
  gint64 today = now / G_TIME_SPAN_DAY;
  gint64 queued;

  if (today == self->birthdays_day)
    return;
  queued = sk_database_queue_birthdays (self->db, now, self->config->notify.birthday_lead_days,
                                        &error);
  if (queued < 0)
    {
      g_warning ("Birthday greetings: %s", error->message);
      return;
    }
  self->birthdays_day = today;
  g_message ("Birthday greetings: %" G_GINT64_FORMAT " queued", queued);
}

static gpointer
delivery_thread (gpointer data)
{
  SkDelivery *self = data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      int claimed;

      if (is_stopping (self))
        break;
      run_daily_jobs (self);
      claimed = sk_delivery_run_once (self, &error);
      if (claimed < 0)
        g_warning ("Notifications: %s", error->message);
      if (claimed <= 0)
        {
          gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC;

          g_mutex_lock (&self->mutex);
          while (!self->stopping && g_cond_wait_until (&self->cond, &self->mutex, until))
            ;
          g_mutex_unlock (&self->mutex);
        }
    }
  return NULL;
}

gboolean
sk_delivery_start (SkDelivery *self, GError **error)
{
  g_return_val_if_fail (self != NULL && self->thread == NULL, FALSE);

  self->thread = g_thread_try_new ("sk-delivery", delivery_thread, self, error);
  return self->thread != NULL;
}

void
sk_delivery_free (SkDelivery *self)
{
  if (self == NULL)
    return;
  if (self->thread != NULL)
    {
      g_mutex_lock (&self->mutex);
      self->stopping = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
      g_thread_join (self->thread);
    }
  g_clear_pointer (&self->smtp, sk_smtp_free);
  g_clear_object (&self->session);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->db);
  g_clear_pointer (&self->config, sk_server_config_free);
  g_free (self->owner);
  sodium_memzero (self->key, sizeof self->key);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);
  g_free (self);
}
