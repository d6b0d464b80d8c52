/* test-delivery.c: the notification worker delivering to a real SMTP server
 * and real HTTP gateways on loopback, on SQLite and (under
 * with-postgres.sh) PostgreSQL: what arrives, retries, refusals, consent,
 * quiet hours, the weekly cap, unsubscribing, two servers on one database,
 * and a server killed mid-batch.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "sk-database-private.h"
#include "sk-notifications.h"
#include "sk-postgres.h"
#include "sk-receipt.h"
#include "sk-server-delivery.h"
#include "sk-server-private.h"
#include "sk-test-postgres.h"
#include "sk-test-server.h"
#include "sk-test-smtp.h"
#include "sk-test-util.h"

/* An HTTP gateway: a SoupServer in a thread of its own that keeps what it
 * is sent and answers as scripted. */

typedef struct
{
  char *path;
  char *body;
  char *idempotency_key;
  char *authorization;
} GatewayRequest;

typedef struct
{
  SkTestLoop *loop; /* the thread the server runs in */
  SoupServer *server;
  SkListener *listener;         /* the server's accept loop: libsoup 3.2's loses a socket each */
  guint       most_connections; /* open at once, seen at a request's head */
  GMutex      mutex;
  GPtrArray  *requests;
  GQueue      script;   /* "status body" strings answered in turn, then 200 */
  guint       delay_ms; /* before each answer */
  guint       port;
} Gateway;

static void
gateway_request_free (GatewayRequest *request)
{
  g_free (request->path);
  g_free (request->body);
  g_free (request->idempotency_key);
  g_free (request->authorization);
  g_free (request);
}

static void
on_gateway_request (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  Gateway            *gw = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody    *body = soup_server_message_get_request_body (msg);
  GatewayRequest     *request = g_new0 (GatewayRequest, 1);
  g_autofree char    *answer = NULL;
  guint               status = 200;
  const char         *text = "{\"ok\": true}";

  request->path = g_strdup (path);
  request->body = g_strndup (body->data, body->length);
  request->idempotency_key = g_strdup (soup_message_headers_get_one (headers, "Idempotency-Key"));
  request->authorization = g_strdup (soup_message_headers_get_one (headers, "Authorization"));
  g_mutex_lock (&gw->mutex);
  g_ptr_array_add (gw->requests, request);
  answer = g_queue_pop_head (&gw->script);
  g_mutex_unlock (&gw->mutex);
  if (gw->delay_ms > 0)
    g_usleep (gw->delay_ms * 1000);
  if (answer != NULL)
    {
      char *space = strchr (answer, ' ');

      status = atoi (answer);
      text = space != NULL ? space + 1 : "";
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
on_gateway_early (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  Gateway *gw = user_data;

  sk_listener_got_headers (gw->listener, msg);
  g_mutex_lock (&gw->mutex);
  gw->most_connections = MAX (gw->most_connections, sk_listener_get_n_connections (gw->listener));
  g_mutex_unlock (&gw->mutex);
}

/* In the gateway's thread: its server listens; the port. */
static guint
gateway_listen (gpointer data)
{
  Gateway *gw = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  SkListenerLimits limits = { 1000, 10, 10, 10 };

  gw->server = soup_server_new (NULL, NULL);
  soup_server_add_early_handler (gw->server, NULL, on_gateway_early, gw, NULL);
  soup_server_add_handler (gw->server, NULL, on_gateway_request, gw, NULL);
  gw->listener = sk_listener_new (gw->server, address, NULL, &limits, &error);
  g_assert_no_error (error);
  return sk_listener_get_port (gw->listener);
}

static void
gateway_close (gpointer data)
{
  Gateway *gw = data;

  g_clear_pointer (&gw->listener, sk_listener_free);
  soup_server_disconnect (gw->server);
  g_clear_object (&gw->server);
}

static Gateway *
gateway_start (void)
{
  Gateway *gw = g_new0 (Gateway, 1);

  g_mutex_init (&gw->mutex);
  g_queue_init (&gw->script);
  gw->requests = g_ptr_array_new_with_free_func ((GDestroyNotify)gateway_request_free);
  gw->loop = sk_test_loop_start ("gateway", gateway_listen, gateway_close, gw);
  gw->port = sk_test_loop_get_port (gw->loop);
  return gw;
}

static void
gateway_script (Gateway *gw, const char *answer)
{
  g_mutex_lock (&gw->mutex);
  g_queue_push_tail (&gw->script, g_strdup (answer));
  g_mutex_unlock (&gw->mutex);
}

static guint
gateway_count (Gateway *gw)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&gw->mutex);

  return gw->requests->len;
}

/* Waits until the gateway has had @n requests; fails the test after
 * @seconds. */
static void
gateway_wait (Gateway *gw, guint n, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (gateway_count (gw) < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (5 * 1000);
    }
}

static void
gateway_stop (Gateway *gw)
{
  sk_test_loop_stop (gw->loop);
  g_ptr_array_unref (gw->requests);
  g_queue_clear_full (&gw->script, g_free);
  g_mutex_clear (&gw->mutex);
  g_free (gw);
}

/* The fixture: a database with a store in Moscow and a customer who
 * consented to everything, an SMTP server, a gateway, a worker's
 * configuration and a fixed clock. */

typedef struct
{
  char           *dir;
  char           *database;
  SkDatabase     *db;
  SkStore        *store;
  SkCustomer     *anna;
  SkTestSmtp     *smtp;
  Gateway        *gateway;
  SkServerConfig *config;
  gint64          now;
} Fixture;

/* 2026-06-15 12:00 UTC: 15:00 in Moscow. */
#define NOON (G_GINT64_CONSTANT (1781524800) * G_USEC_PER_SEC)

static gint64
fixed_clock (gpointer user_data)
{
  Fixture *f = user_data;

  return f->now;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *template = NULL;

  f->db = sk_test_open_hq ("skidka-delivery-XXXXXX", &f->dir, &f->database);
  f->store = sk_test_store_new ("MSK", "Moscow");
  sk_test_set_string (&f->store->timezone, "Europe/Moscow");
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  g_assert_no_error (error);
  f->anna = sk_test_create_customer (f->db, "Anna Petrova", "+79001234567");
  sk_test_set_string (&f->anna->email, "anna@example.org");
  sk_test_set_string (&f->anna->home_store_id, f->store->id);
  f->anna->consent_email = f->anna->consent_sms = f->anna->consent_push = TRUE;
  g_assert_true (sk_database_update_customer (f->db, f->anna, &error));
  g_assert_no_error (error);

  f->smtp = sk_test_smtp_start ();
  f->gateway = gateway_start ();
  f->now = NOON;
  f->config = sk_server_config_new ();
  sk_test_set_string (&f->config->database, f->database);
  f->config->notify.smtp_url
      = g_strdup_printf ("smtp://127.0.0.1:%u", sk_test_smtp_get_port (f->smtp));
  f->config->notify.smtp_from = g_strdup ("shop@skidka.test");
  f->config->notify.sms.url = g_strdup_printf ("http://127.0.0.1:%u/sms", f->gateway->port);
  f->config->notify.sms.headers = g_strsplit ("Authorization: Bearer sms-key", ";", -1);
  f->config->notify.sms.body_template
      = g_strdup ("{\"to\": \"{{to}}\", \"message\": \"{{text}}\", \"ref\": \"{{id}}\"}");
  f->config->notify.push.url = g_strdup_printf ("http://127.0.0.1:%u/push", f->gateway->port);
  f->config->notify.push.body_template
      = g_strdup ("{\"user\": \"{{to}}\", \"title\": \"{{subject}}\", \"body\": \"{{text}}\"}");
  f->config->notify.retry_delay = 10;
  f->config->notify.quiet_start = 22;
  f->config->notify.quiet_end = 8;
  f->config->notify.public_url = g_strdup ("http://shop.example/");
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->config, sk_server_config_free);
  g_clear_pointer (&f->gateway, gateway_stop);
  g_clear_pointer (&f->smtp, sk_test_smtp_stop);
  g_clear_object (&f->anna);
  g_clear_object (&f->store);
  g_clear_object (&f->db);
  sk_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->database);
}

/* A server's configuration on the fixture's database, sending through its
 * gateway (not by e-mail). */
static SkServerConfig *
sending_server_config (Fixture *f)
{
  SkServerConfig *config = sk_test_server_config (f->database, 0);

  sk_notify_config_clear (&config->notify);
  sk_notify_config_copy (&config->notify, &f->config->notify);
  g_clear_pointer (&config->notify.smtp_url, g_free);
  return config;
}

static SkDelivery *
worker (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  SkDelivery *delivery = sk_delivery_new (f->config, &error);

  g_assert_no_error (error);
  sk_delivery_set_clock (delivery, fixed_clock, f);
  return delivery;
}

static int
run_once (SkDelivery *delivery)
{
  g_autoptr (GError) error = NULL;
  int claimed = sk_delivery_run_once (delivery, &error);

  g_assert_no_error (error);
  return claimed;
}

/* Inserts the pending notification @id as the pipeline queues one, due
 * at @at. */
static void
insert_notification (Fixture    *f,
                     const char *id,
                     const char *channel,
                     const char *event,
                     const char *recipient,
                     const char *subject,
                     const char *body,
                     gint64      at)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_db_exec (
      f->db, &error,
      "INSERT INTO notifications (id, customer_id, channel, event, recipient, subject, body,"
      " status, attempts, created_at, next_attempt_at)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
      "sssssssii", id, f->anna->id, channel, event, recipient, subject, body, at, at));
  g_assert_no_error (error);
}

/* Queues a notification due now; its id. */
static char *
queue (Fixture    *f,
       const char *channel,
       const char *event,
       const char *recipient,
       const char *subject,
       const char *body)
{
  char *id = g_uuid_string_random ();

  insert_notification (f, id, channel, event, recipient, subject, body, f->now);
  return id;
}

static SkNotification *
notification (Fixture *f, const char *id)
{
  g_autoptr (GError) error = NULL;
  SkNotification *n = sk_database_get_notification (f->db, id, &error);

  g_assert_no_error (error);
  return n;
}

static void
assert_status (Fixture *f, const char *id, const char *status, const char *error_part)
{
  g_autoptr (SkNotification) n = notification (f, id);

  g_assert_cmpstr (n->status, ==, status);
  if (error_part == NULL)
    g_assert_null (n->error);
  else
    g_assert_nonnull (strstr (n->error, error_part));
}

static const char *
mail_header (const SkTestMail *mail, const char *name, char **value)
{
  g_auto (GStrv) lines = g_strsplit (mail->data, "\r\n", -1);
  g_autofree char *prefix = g_strdup_printf ("%s: ", name);

  g_clear_pointer (value, g_free);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    if (g_ascii_strncasecmp (lines[i], prefix, strlen (prefix)) == 0)
      *value = g_strdup (lines[i] + strlen (prefix));
  return *value;
}

/* The Subject of @mail: the one RFC 2047 word the sender makes of a
 * subject that is not ASCII, decoded. */
static char *
mail_subject (const SkTestMail *mail)
{
  g_autofree char   *value = NULL;
  g_autofree guchar *decoded = NULL;
  gsize              length = 0;

  g_assert_nonnull (mail_header (mail, "Subject", &value));
  if (!g_str_has_prefix (value, "=?UTF-8?B?"))
    return g_steal_pointer (&value);
  g_assert_true (g_str_has_suffix (value, "?="));
  value[strlen (value) - 2] = '\0';
  decoded = g_base64_decode (value + strlen ("=?UTF-8?B?"), &length);
  return g_strndup ((char *)decoded, length);
}

/* Anna buys a 1 500,00 ₽ toy in Moscow: 1 % of it, 15,00 ₽, in bonuses;
 * the sale's id. */
static char *
sell_to_anna (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sale_id = g_uuid_string_random ();
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (SkPurchaseRequest) request = NULL;
  g_autoptr (SkPurchaseResult) result = NULL;

  json = g_strdup_printf ("{\"id\": \"%s\", \"customer_id\": \"%s\", \"store_id\": \"%s\","
                          " \"items\": [{\"sku\": \"LEGO-1\", \"name\": \"Lego\","
                          " \"category\": \"toys\", \"unit_price\": 150000, \"quantity\": 1}]}",
                          sale_id, f->anna->id, f->store->id);
  node = json_from_string (json, &error);
  g_assert_no_error (error);
  request = sk_purchase_request_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  result = sk_database_process_purchase (f->db, request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->purchase->bonus_earned, ==, 1500);
  return g_steal_pointer (&sale_id);
}

/* E-mail */

static void
test_email (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = worker (f);
  g_autofree char *campaign
      = queue (f, "email", "campaign", "anna@example.org", "Весенняя распродажа",
               "Spring toys are 20% off until Sunday.");
  g_autofree char *receipt = queue (f, "email", "bonus_earned", "anna@example.org",
                                    "You earned 12.00 in bonuses", "Thank you for your purchase!");
  g_autoptr (GPtrArray) mails = NULL;
  g_autoptr (SkNotification) sent = NULL;
  g_autofree char  *value = NULL;
  g_autofree char  *expected_id = NULL;
  g_autofree char  *subject = NULL;
  const SkTestMail *mail = NULL, *receipt_mail = NULL;

  g_assert_cmpint (run_once (delivery), ==, 2);
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 2);
  expected_id = g_strdup_printf ("<%s@skidka.test>", campaign);
  for (guint i = 0; i < mails->len; i++)
    {
      const SkTestMail *m = g_ptr_array_index (mails, i);

      if (g_strcmp0 (mail_header (m, "Message-ID", &value), expected_id) == 0)
        mail = m;
      else
        receipt_mail = m;
    }
  g_assert_nonnull (mail);
  g_assert_cmpstr (mail->to, ==, "anna@example.org");
  g_assert_cmpstr (mail->from, ==, "shop@skidka.test");
  g_assert_cmpstr (mail_header (mail, "To", &value), ==, "<anna@example.org>");
  /* The subject, RFC 2047 encoded, decodes to what was queued. */
  g_assert_true (g_str_has_prefix (mail_header (mail, "Subject", &value), "=?UTF-8?B?"));
  subject = mail_subject (mail);
  g_assert_cmpstr (subject, ==, "Весенняя распродажа");
  g_assert_true (g_str_has_prefix (mail_header (mail, "List-Unsubscribe", &value),
                                   "<http://shop.example/api/unsubscribe?token="));
  g_assert_cmpstr (mail_header (mail, "List-Unsubscribe-Post", &value), ==,
                   "List-Unsubscribe=One-Click");
  g_assert_nonnull (strstr (mail->data, "multipart/alternative"));
  g_assert_nonnull (strstr (mail->data, "text/plain; charset=UTF-8"));
  g_assert_nonnull (strstr (mail->data, "text/html; charset=UTF-8"));
  g_assert_nonnull (strstr (mail->data, "Spring toys are 20% off until Sunday."));
  g_assert_nonnull (strstr (mail->data, "<a href=3D\"http://shop.example/api/unsubscribe?token="));

  /* A receipt of the customer's own purchase has no unsubscribe link. */
  g_assert_nonnull (receipt_mail);
  g_assert_null (mail_header (receipt_mail, "List-Unsubscribe", &value));
  g_assert_nonnull (strstr (receipt_mail->data, "Thank you for your purchase!"));

  sent = notification (f, campaign);
  g_assert_cmpstr (sent->status, ==, "sent");
  g_assert_cmpint (sent->sent_at, ==, f->now);
  g_assert_cmpint (sent->attempts, ==, 1);
  assert_status (f, receipt, "sent", NULL);
  /* Nothing is left to claim. */
  g_assert_cmpint (run_once (delivery), ==, 0);
  g_assert_cmpuint (sk_test_smtp_count (f->smtp), ==, 2);
}

static void
test_email_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = worker (f);
  g_autofree char *id = queue (f, "email", "bonus_earned", "reject@example.org", "Bonuses", "Hi");
  g_autoptr (SkNotification) n = NULL;

  g_assert_cmpint (run_once (delivery), ==, 1);
  /* A 550 will not change: failed at once, with the server's words. */
  n = notification (f, id);
  g_assert_cmpstr (n->status, ==, "failed");
  g_assert_cmpint (n->attempts, ==, 1);
  g_assert_nonnull (strstr (n->error, "550"));
  g_assert_cmpuint (sk_test_smtp_count (f->smtp), ==, 0);
}

static void
test_email_connection_reuse (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = worker (f);

  for (guint i = 0; i < 5; i++)
    g_free (queue (f, "email", "bonus_earned", "anna@example.org", "Bonuses", "Hi"));
  g_assert_cmpint (run_once (delivery), ==, 5);
  g_assert_cmpuint (sk_test_smtp_count (f->smtp), ==, 5);
  /* One connection for the batch. */
  g_assert_cmpuint (sk_test_smtp_connections (f->smtp), ==, 1);

  sk_delivery_set_reuse (delivery, FALSE);
  for (guint i = 0; i < 3; i++)
    g_free (queue (f, "email", "bonus_earned", "anna@example.org", "Bonuses", "Hi"));
  g_assert_cmpint (run_once (delivery), ==, 3);
  g_assert_cmpuint (sk_test_smtp_count (f->smtp), ==, 8);
  g_assert_cmpuint (sk_test_smtp_connections (f->smtp), ==, 4);
}

static void
test_no_smtp (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autofree char *id = NULL;

  g_clear_pointer (&f->config->notify.smtp_url, g_free);
  delivery = worker (f);
  id = queue (f, "email", "bonus_earned", "anna@example.org", "Bonuses", "Hi");
  /* E-mail waits for a server that has [smtp]; it is not failed. */
  g_assert_cmpint (run_once (delivery), ==, 0);
  assert_status (f, id, "pending", NULL);
  g_assert_cmpstr (sk_delivery_get_channels (delivery)[0], ==, "sms");
}

/* SMS and push */

static void
test_sms_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = worker (f);
  g_autofree char *id
      = queue (f, "sms", "bonus_earned", "+79001234567", NULL, "You earned 12.00 \"bonuses\"");
  g_autoptr (SkNotification) n = NULL;
  g_autoptr (JsonNode) body = NULL;
  GatewayRequest *first, *second;
  JsonObject     *o;

  gateway_script (f->gateway, "503 busy, try later");
  g_assert_cmpint (run_once (delivery), ==, 1);
  n = notification (f, id);
  g_assert_cmpstr (n->status, ==, "pending");
  g_assert_cmpint (n->attempts, ==, 1);
  g_assert_cmpstr (n->error, ==, "HTTP 503: busy, try later");
  g_assert_cmpint (n->next_attempt_at, ==, f->now + 10 * G_USEC_PER_SEC);

  /* Not due yet. */
  f->now += 9 * G_USEC_PER_SEC;
  g_assert_cmpint (run_once (delivery), ==, 0);
  f->now += G_USEC_PER_SEC;
  g_assert_cmpint (run_once (delivery), ==, 1);
  assert_status (f, id, "sent", NULL);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 2);
  /* Over one kept-alive connection. */
  g_assert_cmpuint (f->gateway->most_connections, ==, 1);

  /* Both attempts carry the same id, the gateway's key to drop a repeat. */
  first = g_ptr_array_index (f->gateway->requests, 0);
  second = g_ptr_array_index (f->gateway->requests, 1);
  g_assert_cmpstr (first->path, ==, "/sms");
  g_assert_cmpstr (first->idempotency_key, ==, id);
  g_assert_cmpstr (second->idempotency_key, ==, id);
  g_assert_cmpstr (second->authorization, ==, "Bearer sms-key");
  body = json_from_string (second->body, NULL);
  g_assert_nonnull (body);
  o = json_node_get_object (body);
  g_assert_cmpstr (json_object_get_string_member (o, "to"), ==, "+79001234567");
  g_assert_cmpstr (json_object_get_string_member (o, "message"), ==,
                   "You earned 12.00 \"bonuses\"");
  g_assert_cmpstr (json_object_get_string_member (o, "ref"), ==, id);
}

static void
test_sms_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = worker (f);
  g_autofree char *id = queue (f, "sms", "bonus_earned", "+7000", NULL, "Hi");
  g_autoptr (SkNotification) n = NULL;

  gateway_script (f->gateway, "400 invalid phone number");
  g_assert_cmpint (run_once (delivery), ==, 1);
  n = notification (f, id);
  g_assert_cmpstr (n->status, ==, "failed");
  g_assert_cmpint (n->attempts, ==, 1);
  g_assert_cmpstr (n->error, ==, "HTTP 400: invalid phone number");
  f->now += G_TIME_SPAN_DAY;
  g_assert_cmpint (run_once (delivery), ==, 0);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 1);
}

static void
test_retries_run_out (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autofree char *id = NULL;
  gint64           start = f->now;

  f->config->notify.retries = 3;
  delivery = worker (f);
  id = queue (f, "push", "bonus_earned", f->anna->id, "Bonuses", "Hi");
  for (guint i = 0; i < 3; i++)
    gateway_script (f->gateway, "502 bad gateway");
  g_assert_cmpint (run_once (delivery), ==, 1);
  /* The delay doubles: 10 s, then 20 s. */
  {
    g_autoptr (SkNotification) n = notification (f, id);

    g_assert_cmpint (n->next_attempt_at, ==, start + 10 * G_USEC_PER_SEC);
  }
  f->now = start + 10 * G_USEC_PER_SEC;
  g_assert_cmpint (run_once (delivery), ==, 1);
  {
    g_autoptr (SkNotification) n = notification (f, id);

    g_assert_cmpstr (n->status, ==, "pending");
    g_assert_cmpint (n->next_attempt_at, ==, start + 30 * G_USEC_PER_SEC);
  }
  f->now = start + 30 * G_USEC_PER_SEC;
  g_assert_cmpint (run_once (delivery), ==, 1);
  {
    g_autoptr (SkNotification) n = notification (f, id);

    g_assert_cmpstr (n->status, ==, "failed");
    g_assert_cmpint (n->attempts, ==, 3);
    g_assert_cmpstr (n->error, ==, "HTTP 502: bad gateway");
  }
  g_assert_cmpuint (gateway_count (f->gateway), ==, 3);
}

/* Respect */

static void
test_consent (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = worker (f);
  g_autoptr (GError) error = NULL;
  g_autofree char *sms = NULL;
  g_autofree char *email = NULL;

  /* Anna withdraws SMS consent after the message was queued. */
  sms = queue (f, "sms", "bonus_earned", "+79001234567", NULL, "Hi");
  email = queue (f, "email", "bonus_earned", "anna@example.org", "Hi", "Hi");
  g_assert_true (sk_database_withdraw_consent (f->db, f->anna->id, "sms", NULL, f->now, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_once (delivery), ==, 2);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 0);
  assert_status (f, sms, "failed", "not consented");
  assert_status (f, email, "sent", NULL);
  g_assert_cmpuint (sk_test_smtp_count (f->smtp), ==, 1);
}

static void
test_quiet_hours (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = worker (f);
  g_autofree char *push = NULL;
  g_autofree char *email = NULL;
  g_autoptr (SkNotification) held = NULL;
  /* 23:30 in Moscow (UTC+3). */
  gint64 night = NOON + G_GINT64_CONSTANT (8 * 60 + 30) * 60 * G_USEC_PER_SEC;
  gint64 morning = NOON + G_GINT64_CONSTANT (17) * 3600 * G_USEC_PER_SEC; /* 08:00 the next day */

  f->now = night;
  push = queue (f, "push", "bonus_earned", f->anna->id, "Bonuses", "Hi");
  email = queue (f, "email", "bonus_earned", "anna@example.org", "Hi", "Hi");
  g_assert_cmpint (run_once (delivery), ==, 2);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 0);
  /* E-mail waits in the inbox: it goes at night. */
  assert_status (f, email, "sent", NULL);
  held = notification (f, push);
  g_assert_cmpstr (held->status, ==, "pending");
  g_assert_cmpint (held->attempts, ==, 0);
  g_assert_cmpint (held->next_attempt_at, ==, morning);

  f->now = morning - G_USEC_PER_SEC;
  g_assert_cmpint (run_once (delivery), ==, 0);
  f->now = morning;
  g_assert_cmpint (run_once (delivery), ==, 1);
  assert_status (f, push, "sent", NULL);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 1);
}

static void
test_weekly_cap (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  char            *ids[3] = { NULL };
  g_autofree char *receipt = NULL;
  g_autofree char *later = NULL;
  guint            sent = 0;

  f->config->notify.weekly_cap = 2;
  f->config->notify.batch = 1;
  delivery = worker (f);
  for (guint i = 0; i < 3; i++)
    {
      ids[i] = queue (f, "sms", "campaign", "+79001234567", NULL, "Sale!");
      f->now += G_USEC_PER_SEC;
    }
  receipt = queue (f, "sms", "bonus_earned", "+79001234567", NULL, "Bonuses");
  while (run_once (delivery) > 0)
    ;
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (SkNotification) n = notification (f, ids[i]);

      sent += g_str_equal (n->status, "sent");
      if (g_str_equal (n->status, "failed"))
        g_assert_nonnull (strstr (n->error, "week"));
    }
  g_assert_cmpuint (sent, ==, 2);
  /* A receipt is not marketing: the cap does not hold it back. */
  assert_status (f, receipt, "sent", NULL);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 3);

  /* A week later there is room again. */
  f->now += 7 * G_TIME_SPAN_DAY;
  later = queue (f, "sms", "campaign", "+79001234567", NULL, "Sale!");
  g_assert_cmpint (run_once (delivery), ==, 1);
  assert_status (f, later, "sent", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_free (ids[i]);
}

/* Unsubscribing */

static guint
http_get (SoupSession *session, const char *url, char **body)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GBytes) bytes = soup_session_send_and_read (session, msg, NULL, NULL);

  if (body != NULL)
    *body = bytes != NULL ? g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes))
                          : NULL;
  return soup_message_get_status (msg);
}

static gboolean
anna_consents_to_email (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) anna = sk_database_get_customer (f->db, f->anna->id, &error);

  g_assert_no_error (error);
  return anna->consent_email;
}

static void
test_unsubscribe (Fixture *f, gconstpointer data)
{
  SkTestServer *server;
  g_autoptr (SkDelivery) delivery = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GPtrArray) mails = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *header = NULL;
  g_autofree char *url = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *answer = NULL;

  /* A server with no channel of its own: the test's worker delivers. */
  server = sk_test_server_start (sk_test_server_config (f->database, 0));
  g_free (f->config->notify.public_url);
  f->config->notify.public_url
      = g_strdup_printf ("http://127.0.0.1:%u", sk_test_server_get_port (server));
  delivery = worker (f);

  first = queue (f, "email", "campaign", "anna@example.org", "Sale", "Toys are 20% off.");
  g_assert_cmpint (run_once (delivery), ==, 1);
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 1);
  g_assert_nonnull (mail_header (g_ptr_array_index (mails, 0), "List-Unsubscribe", &header));
  url = g_strndup (header + 1, strlen (header) - 2);

  /* A link whose signature does not match changes nothing. */
  tampered = g_strdup (url);
  tampered[strlen (tampered) - 3] = tampered[strlen (tampered) - 3] == 'A' ? 'B' : 'A';
  g_assert_cmpuint (http_get (session, tampered, NULL), ==, 422);
  g_assert_true (anna_consents_to_email (f));

  /* The link, fetched with no login, withdraws the consent to e-mail. */
  g_assert_cmpuint (http_get (session, url, &answer), ==, 200);
  g_assert_nonnull (strstr (answer, "\"channel\":\"email\""));
  g_assert_false (anna_consents_to_email (f));
  /* Fetched again (a mail client's prefetch, a second click), it is fine. */
  g_assert_cmpuint (http_get (session, url, NULL), ==, 200);

  /* No more e-mail to Anna. */
  second = queue (f, "email", "campaign", "anna@example.org", "Sale", "Another sale");
  g_assert_cmpint (run_once (delivery), ==, 1);
  assert_status (f, second, "failed", "not consented");
  g_assert_cmpuint (sk_test_smtp_count (f->smtp), ==, 1);
  sk_test_server_stop (server);
}

/* Several workers */

/* Queues @n SMS in one transaction; their ids. */
static GPtrArray *
queue_many (Fixture *f, guint n)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  g_assert_true (sk_db_begin (f->db, &error));
  for (guint i = 0; i < n; i++)
    {
      char *id = g_uuid_string_random ();

      /* The id as the text: the gateway's requests tell them apart. */
      insert_notification (f, id, "sms", "bonus_earned", "+79001234567", NULL, id,
                           g_get_real_time ());
      g_ptr_array_add (ids, id);
    }
  g_assert_true (sk_db_commit (f->db, &error));
  g_assert_no_error (error);
  return ids;
}

static gint64
count_sent (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  gint64 n = sk_db_query_int (f->db, &error, -1,
                              "SELECT count(*) FROM notifications WHERE status = 'sent'", "");

  g_assert_no_error (error);
  return n;
}

static void
wait_all_sent (Fixture *f, gint64 n)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (count_sent (f) < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }
}

/* How many requests the gateway had of each id. */
static GHashTable *
requests_per_id (Fixture *f)
{
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_mutex_lock (&f->gateway->mutex);
  for (guint i = 0; i < f->gateway->requests->len; i++)
    {
      GatewayRequest *r = g_ptr_array_index (f->gateway->requests, i);
      guint           count = GPOINTER_TO_UINT (g_hash_table_lookup (seen, r->idempotency_key));

      g_hash_table_insert (seen, g_strdup (r->idempotency_key), GUINT_TO_POINTER (count + 1));
    }
  g_mutex_unlock (&f->gateway->mutex);
  return seen;
}

/* A clock that moves a second each time it is read: a slow gateway. */
static gint64
ticking_clock (gpointer user_data)
{
  Fixture *f = user_data;

  f->now += G_USEC_PER_SEC;
  return f->now;
}

static void
test_lease_half_gone (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autoptr (GError) error = NULL;

  f->config->notify.lease = 10;
  delivery = worker (f);
  sk_delivery_set_clock (delivery, ticking_clock, f);
  for (guint i = 0; i < 10; i++)
    g_free (queue (f, "sms", "bonus_earned", "+79001234567", NULL, "Hi"));
  /* Two sent before half the lease (5 s) is gone; the eight others go
   * back untried, for the next batch, not left to the lease's end. */
  g_assert_cmpint (run_once (delivery), ==, 10);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 2);
  g_assert_cmpint (count_sent (f), ==, 2);
  g_assert_cmpint (sk_db_query_int (f->db, &error, -1,
                                    "SELECT count(*) FROM notifications WHERE status = 'pending'"
                                    " AND attempts = 0 AND lease_owner IS NULL",
                                    ""),
                   ==, 8);
  g_assert_cmpint (run_once (delivery), ==, 8);
  g_assert_cmpint (count_sent (f), ==, 4);
}

static void
test_two_servers (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GHashTable) seen = NULL;
  SkTestServer *servers[2];

  f->config->notify.batch = 20;
  /* Real time, whatever the hour in Moscow. */
  f->config->notify.quiet_start = f->config->notify.quiet_end = 0;
  ids = queue_many (f, 1000);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    {
      servers[i] = sk_test_server_start (sending_server_config (f));
    }
  wait_all_sent (f, 1000);
  for (guint i = 0; i < G_N_ELEMENTS (servers); i++)
    sk_test_server_stop (servers[i]);

  /* Each notification reached the gateway exactly once. */
  seen = requests_per_id (f);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 1000);
  /* Each worker kept its connections to the gateway. */
  g_assert_cmpuint (f->gateway->most_connections, <=, 4);
  for (guint i = 0; i < ids->len; i++)
    g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (seen, ids->pdata[i])), ==, 1);
}

/* skidka-server, the program, with a configuration file; its pid. */
static GSubprocess *
spawn_server (Fixture *f, const char *config_path)
{
  g_autoptr (GError) error = NULL;
  const char  *program = g_getenv ("SKIDKA_SERVER");
  GSubprocess *process;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                              &error, program, "--config", config_path, NULL);
  g_assert_no_error (error);
  return process;
}

static void
test_killed_mid_batch (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) ids = NULL;
  g_autoptr (GHashTable) seen = NULL;
  g_autoptr (GSubprocess) first = NULL;
  g_autoptr (GSubprocess) second = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *config_path = g_build_filename (f->dir, "server.conf", NULL);
  g_autofree char *config_text = NULL;

  if (g_getenv ("SKIDKA_SERVER") == NULL)
    {
      g_test_skip ("SKIDKA_SERVER is not set");
      return;
    }
  config_text = g_strdup_printf ("[server]\nport=0\n[database]\npath=%s\n"
                                 "[sms]\nurl=%s\nbody-template=%s\n"
                                 "[notifications]\nbatch=10\nlease=2\n"
                                 "quiet-start=0\nquiet-end=0\n",
                                 f->database, f->config->notify.sms.url,
                                 f->config->notify.sms.body_template);
  g_assert_true (g_file_set_contents (config_path, config_text, -1, &error));
  g_assert_no_error (error);
  ids = queue_many (f, 200);

  /* The gateway answers slowly: the server is killed with a batch in hand. */
  f->gateway->delay_ms = 20;
  first = spawn_server (f, config_path);
  gateway_wait (f->gateway, 25, 60);
  g_subprocess_send_signal (first, SIGKILL);
  g_assert_false (g_subprocess_wait_check (first, NULL, NULL));
  g_assert_cmpint (count_sent (f), <, 200);

  f->gateway->delay_ms = 0;
  second = spawn_server (f, config_path);
  wait_all_sent (f, 200);
  g_subprocess_send_signal (second, SIGTERM);
  g_subprocess_wait (second, NULL, NULL);

  /* None lost; a message in flight when the server died may have reached
   * the gateway twice, with the same id (at most the batch in hand). */
  seen = requests_per_id (f);
  for (guint i = 0; i < ids->len; i++)
    {
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (seen, ids->pdata[i]));

      g_assert_cmpuint (count, >=, 1);
      g_assert_cmpuint (count, <=, 2);
    }
  g_assert_cmpuint (gateway_count (f->gateway), <=, 200 + 10);
}

/* The pipeline queues, the worker sends */

static void
test_sale_to_inbox (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autoptr (GPtrArray) mails = NULL;
  g_autofree char  *subject = NULL;
  const SkTestMail *mail;

  g_free (sell_to_anna (f));
  /* Delivered now, whatever the hour in Moscow: one message per channel
   * Anna consented to. */
  f->config->notify.quiet_start = f->config->notify.quiet_end = 0;
  delivery = worker (f);
  f->now = g_get_real_time ();
  g_assert_cmpint (run_once (delivery), ==, 3);
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 1);
  mail = g_ptr_array_index (mails, 0);
  g_assert_cmpstr (mail->to, ==, "anna@example.org");
  /* The shipped Russian template. */
  subject = mail_subject (mail);
  g_assert_cmpstr (subject, ==, "Вам начислено 15,00\u00a0₽ бонусами");
  g_assert_cmpuint (gateway_count (f->gateway), ==, 2);
}

/* The receipt a cashier sends by e-mail arrives, with the sale in it, once. */
static void
test_receipt_to_inbox (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autoptr (GPtrArray) mails = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char  *sale = NULL;
  g_autofree char  *subject = NULL;
  g_autofree char  *value = NULL;
  g_autofree char  *prefix = NULL;
  const SkTestMail *receipt = NULL;
  gboolean          queued = FALSE;

  sale = sell_to_anna (f);
  g_assert_true (sk_database_queue_receipt (f->db, sale, f->now, &queued, &error));
  g_assert_no_error (error);
  g_assert_true (queued);
  g_assert_true (sk_database_queue_receipt (f->db, sale, f->now, &queued, &error));
  g_assert_false (queued);
  f->config->notify.quiet_start = f->config->notify.quiet_end = 0;
  delivery = worker (f);
  f->now = g_get_real_time ();
  /* The bonuses by e-mail, SMS and push, and the receipt by e-mail. */
  g_assert_cmpint (run_once (delivery), ==, 4);
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 2);
  for (guint i = 0; i < mails->len; i++)
    {
      const SkTestMail *m = g_ptr_array_index (mails, i);
      g_autofree char  *s = mail_subject (m);

      if (g_str_has_prefix (s, "Ваш чек"))
        receipt = m;
    }
  g_assert_nonnull (receipt);
  g_assert_cmpstr (receipt->to, ==, "anna@example.org");
  subject = mail_subject (receipt);
  g_assert_cmpstr (subject, ==, "Ваш чек: Moscow");
  /* Its own purchase's receipt: no unsubscribe link. */
  g_assert_null (mail_header (receipt, "List-Unsubscribe", &value));
  prefix = g_strndup (sale, 8);
  g_assert_nonnull (strstr (receipt->data, prefix));
  g_assert_nonnull (strstr (receipt->data, "Lego"));
  g_assert_cmpint (run_once (delivery), ==, 0);
}

/* The API: a server with no channel of its own (the test's worker delivers)
 * and marketing's token. */

typedef struct
{
  SkTestServer *server;
  SoupSession  *session;
  char         *token;
} Api;

/* The answer of a call that must have @expected as its status. */
static JsonObject *
api_expect (Api *api, const char *method, const char *path, const char *body, guint expected)
{
  static SkTestReply *last = NULL; /* kept until the next call */

  g_clear_pointer (&last, sk_test_reply_free);
  last = sk_test_request (api->session, sk_test_server_get_port (api->server), method, path,
                          api->token, "application/json", body, G_MAXSIZE, NULL);
  if (last->status != expected)
    g_error ("%s %s: %u, expected %u: %s", method, path, last->status, expected,
             last->node ? json_to_string (last->node, FALSE) : "(no body)");
  return last->node != NULL && JSON_NODE_HOLDS_OBJECT (last->node)
             ? json_node_get_object (last->node)
             : NULL;
}

static void
api_start (Api *api, Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *user = NULL;
  JsonObject      *login;

  api->server = sk_test_server_start (sk_test_server_config (f->database, 0));
  api->session = soup_session_new ();
  user = sk_auth_create_user (f->db, "marketing1", "marketing-pass", "marketing", NULL, &error);
  g_assert_no_error (error);
  login = api_expect (api, "POST", "/api/auth/login",
                      "{\"username\": \"marketing1\", \"password\": \"marketing-pass\"}", 200);
  api->token = g_strdup (json_object_get_string_member (login, "token"));
  g_free (f->config->notify.public_url);
  f->config->notify.public_url
      = g_strdup_printf ("http://127.0.0.1:%u/", sk_test_server_get_port (api->server));
}

static void
api_stop (Api *api)
{
  api_expect (api, "POST", "/api/auth/logout", NULL, 204);
  g_free (api->token);
  g_object_unref (api->session);
  sk_test_server_stop (api->server);
}

static SkCustomer *
create_customer (Fixture *f, const char *name, const char *phone, const char *email)
{
  g_autoptr (GError) error = NULL;
  SkCustomer *customer = sk_test_create_customer (f->db, name, phone);

  sk_test_set_string (&customer->email, email);
  sk_test_set_string (&customer->home_store_id, f->store->id);
  customer->consent_email = TRUE;
  g_assert_true (sk_database_update_customer (f->db, customer, &error));
  g_assert_no_error (error);
  return customer;
}

static void
test_templates (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) mails = NULL;
  g_autofree char *subject = NULL;
  JsonObject      *o;
  JsonArray       *items;
  gboolean         found = FALSE;
  Api              api = { 0 };

  api_start (&api, f);
  /* Russian and English shipped, for every event (bonus_earned, birthday,
   * campaign, receipt). */
  o = api_expect (&api, "GET", "/api/notification-templates", NULL, 200);
  items = json_object_get_array_member (o, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 8);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *t = json_array_get_object_element (items, i);

      found |= g_str_equal (json_object_get_string_member (t, "event"), "birthday")
               && g_str_equal (json_object_get_string_member (t, "language"), "ru");
    }
  g_assert_true (found);

  /* A preview of the stored birthday greeting, with examples. */
  o = api_expect (&api, "POST", "/api/notification-templates/preview",
                  "{\"event\": \"birthday\", \"language\": \"ru\"}", 200);
  g_assert_cmpstr (json_object_get_string_member (o, "subject"), ==, "Скоро день рождения: Маша");
  g_assert_nonnull (strstr (json_object_get_string_member (o, "body"), "Маша"));
  /* And of a text being written. */
  o = api_expect (&api, "POST", "/api/notification-templates/preview",
                  "{\"event\": \"bonus_earned\", \"language\": \"en\", \"subject\": \"+{amount}\","
                  " \"body\": \"{name}: {balance}\"}",
                  200);
  g_assert_cmpstr (json_object_get_string_member (o, "body"), ==,
                   "Анна Петрова: 420,00\u00a0₽");

  /* Marketing edits the English receipt. */
  o = api_expect (&api, "PUT", "/api/notification-templates/bonus_earned/en",
                  "{\"subject\": \"Bonus: {amount}\", \"body\": \"{name}, +{amount} at {store}.\","
                  " \"version\": 1}",
                  200);
  g_assert_cmpint (json_object_get_int_member (o, "version"), ==, 2);
  /* A placeholder we do not fill, a stale version, an unknown event: refused, nothing changed. */
  o = api_expect (&api, "PUT", "/api/notification-templates/bonus_earned/en",
                  "{\"subject\": \"Hi {firstname}\", \"body\": \"x\"}", 422);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (o, "error"), "field"), ==,
      "subject");
  api_expect (&api, "PUT", "/api/notification-templates/bonus_earned/en",
              "{\"subject\": \"Old\", \"body\": \"Old\", \"version\": 1}", 412);
  api_expect (&api, "PUT", "/api/notification-templates/lottery/en",
              "{\"subject\": \"Win\", \"body\": \"Win\"}", 422);
  api_expect (&api, "PUT", "/api/notification-templates/bonus_earned/en",
              "{\"subject\": \"\", \"body\": \"x\"}", 422);

  /* A chain writing in English: the next sale's receipt uses the edit. */
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_NOTIFICATION_LANGUAGE, "en", &error));
  g_assert_no_error (error);
  g_free (sell_to_anna (f));
  delivery = worker (f);
  f->now = g_get_real_time ();
  g_assert_cmpint (run_once (delivery), >=, 1);
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 1);
  subject = mail_subject (g_ptr_array_index (mails, 0));
  g_assert_cmpstr (subject, ==, "Bonus: 15,00\u00a0₽");

  /* A language with no template of the event: the Russian one. */
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_NOTIFICATION_LANGUAGE, "de", &error));
  g_assert_no_error (error);
  g_free (sell_to_anna (f));
  f->now = g_get_real_time ();
  g_assert_cmpint (run_once (delivery), >=, 1);
  g_ptr_array_unref (mails);
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 2);
  g_free (subject);
  subject = mail_subject (g_ptr_array_index (mails, 1));
  g_assert_cmpstr (subject, ==, "Вам начислено 15,00\u00a0₽ бонусами");
  api_stop (&api);
}

static void
test_birthdays (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) homeless = NULL;
  g_autoptr (SkChild) masha = g_object_new (SK_TYPE_CHILD, NULL);
  g_autoptr (SkChild) petya = g_object_new (SK_TYPE_CHILD, NULL);
  g_autoptr (SkChild) dasha = g_object_new (SK_TYPE_CHILD, NULL);
  g_autoptr (GPtrArray) mails = NULL;
  /* 2026-06-15 22:30 UTC: already the 16th in Moscow. */
  gint64 evening = NOON + G_GINT64_CONSTANT (10 * 60 + 30) * 60 * G_USEC_PER_SEC;

  sk_test_set_string (&masha->name, "Маша");
  sk_test_set_string (&masha->birth_date, "2021-06-18");
  sk_test_set_string (&petya->name, "Петя");
  sk_test_set_string (&petya->birth_date, "2019-06-19");
  g_list_store_append (f->anna->children, masha);
  g_list_store_append (f->anna->children, petya);
  g_assert_true (sk_database_update_customer (f->db, f->anna, &error));
  g_assert_no_error (error);
  /* A customer of no store: UTC. */
  homeless = sk_test_create_customer (f->db, "Olga", "+79005554433");
  sk_test_set_string (&homeless->email, "olga@example.org");
  homeless->consent_email = TRUE;
  sk_test_set_string (&dasha->name, "Даша");
  sk_test_set_string (&dasha->birth_date, "2016-06-18");
  g_list_store_append (homeless->children, dasha);
  g_assert_true (sk_database_update_customer (f->db, homeless, &error));
  g_assert_no_error (error);

  /* Three days ahead: the 19th in Moscow (Petya, to Anna's three
   * channels), the 18th in UTC (Dasha, e-mail only). Masha's is the 18th,
   * a day that has passed its turn in Moscow. */
  g_assert_cmpint (sk_database_queue_birthdays (f->db, evening, 3, &error), ==, 4);
  g_assert_no_error (error);
  /* The job again (a restart, a second server): nothing more. */
  g_assert_cmpint (sk_database_queue_birthdays (f->db, evening, 3, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_queue_birthdays (f->db, evening + G_TIME_SPAN_HOUR, 3, &error), ==,
                   0);

  f->now = NOON + G_TIME_SPAN_DAY; /* daytime, for the SMS and push */
  delivery = worker (f);
  while (run_once (delivery) > 0)
    ;
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 2);
  for (guint i = 0; i < mails->len; i++)
    {
      const SkTestMail *mail = g_ptr_array_index (mails, i);

      if (g_str_equal (mail->to, "anna@example.org"))
        /* "Петя отмечает день рождения (7)", quoted-printable. */
        g_assert_nonnull (strstr (mail->data, "(7)"));
      else
        g_assert_cmpstr (mail->to, ==, "olga@example.org");
    }
  g_assert_cmpuint (gateway_count (f->gateway), ==, 2);

  /* A year on, their birthdays come again. */
  g_assert_cmpint (sk_database_queue_birthdays (f->db, evening + 365 * G_TIME_SPAN_DAY, 3, &error),
                   ==, 4);
}

/* A server runs the birthday job itself when it starts (then daily). */
static void
test_server_birthdays (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) olga = sk_test_create_customer (f->db, "Olga", "+79005554433");
  g_autoptr (SkChild) child = g_object_new (SK_TYPE_CHILD, NULL);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) ahead = g_date_time_add_days (now, 3);
  g_autofree char *born
      = g_strdup_printf ("%04d-%02d-%02d", g_date_time_get_year (ahead) - 4,
                         g_date_time_get_month (ahead), g_date_time_get_day_of_month (ahead));
  SkServerConfig *config = sending_server_config (f);
  SkTestServer   *server;
  GatewayRequest *request;

  /* Olga, of no store (UTC), takes SMS; her son turns 4 in three days. */
  olga->consent_sms = TRUE;
  sk_test_set_string (&child->name, "Ваня");
  sk_test_set_string (&child->birth_date, born);
  g_list_store_append (olga->children, child);
  g_assert_true (sk_database_update_customer (f->db, olga, &error));
  g_assert_no_error (error);

  config->notify.quiet_start = config->notify.quiet_end = 0;
  server = sk_test_server_start (config);
  gateway_wait (f->gateway, 1, 30);
  sk_test_server_stop (server);
  g_assert_cmpuint (gateway_count (f->gateway), ==, 1);
  request = g_ptr_array_index (f->gateway->requests, 0);
  g_assert_nonnull (strstr (request->body, "\"to\":\"+79005554433\""));
  g_assert_nonnull (strstr (request->body, "Ваня отмечает день рождения (4)"));
}

static void
test_announce (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDelivery) delivery = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (SkCustomer) boris = NULL;
  g_autoptr (SkCustomer) vera = NULL;
  g_autoptr (GPtrArray) mails = NULL;
  g_autofree char *path = NULL;
  g_autofree char *announce = NULL;
  g_autofree char *header = NULL;
  g_autofree char *history = NULL;
  JsonObject      *o, *reach;
  JsonArray       *items;
  Api              api = { 0 };
  const char      *segments[] = { "new", NULL };
  const char      *channels[] = { "email", "sms", NULL };

  boris = create_customer (f, "Boris", "+79007654321", "boris@example.org");
  vera = create_customer (f, "Vera", "+79001112233", "vera@example.org");
  /* Vera is a VIP: not in the campaign's segment. */
  g_assert_true (sk_db_exec (f->db, &error, "UPDATE customers SET segment = 'vip' WHERE id = ?",
                             "s", vera->id));
  g_object_set (campaign, "name", "Spring", "description", "toys 20 % off", "status", "active",
                "segments", segments, "channels", channels, NULL);
  g_assert_true (sk_database_save_campaign (f->db, campaign, &error));
  g_assert_no_error (error);
  api_start (&api, f);
  path = g_strdup_printf ("/api/campaigns/%s/announcement", campaign->id);
  announce = g_strdup_printf ("/api/campaigns/%s/announce", campaign->id);

  /* Before sending: Anna by e-mail and SMS, Boris by e-mail; no push (not
   * a channel of the campaign). */
  o = api_expect (&api, "GET", path, NULL, 200);
  reach = json_object_get_object_member (o, "reach");
  g_assert_cmpint (json_object_get_int_member (reach, "customers"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (reach, "email"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (reach, "sms"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (reach, "push"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (o, "sent"), ==, 0);

  o = api_expect (&api, "POST", announce, NULL, 200);
  reach = json_object_get_object_member (o, "queued");
  g_assert_cmpint (json_object_get_int_member (reach, "email"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (reach, "sms"), ==, 1);
  /* Asked again, it reaches nobody new: both have had it. Pressed again:
   * each customer once. */
  o = api_expect (&api, "GET", path, NULL, 200);
  reach = json_object_get_object_member (o, "reach");
  g_assert_cmpint (json_object_get_int_member (reach, "customers"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (reach, "email"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (reach, "already"), ==, 2);
  o = api_expect (&api, "POST", announce, NULL, 200);
  reach = json_object_get_object_member (o, "queued");
  g_assert_cmpint (json_object_get_int_member (reach, "email"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (reach, "customers"), ==, 0);

  gateway_script (f->gateway, "400 number blocked");
  f->now = g_get_real_time ();
  f->config->notify.quiet_start = f->config->notify.quiet_end = 0;
  delivery = worker (f);
  while (run_once (delivery) > 0)
    ;
  mails = sk_test_smtp_mails (f->smtp);
  g_assert_cmpuint (mails->len, ==, 2);
  o = api_expect (&api, "GET", path, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (o, "sent"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "failed"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (o, "pending"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (o, "unsubscribed"), ==, 0);

  /* Boris unsubscribes from his e-mail: the campaign counts it. */
  for (guint i = 0; i < mails->len; i++)
    if (g_str_equal (((SkTestMail *)mails->pdata[i])->to, "boris@example.org"))
      mail_header (mails->pdata[i], "List-Unsubscribe", &header);
  g_assert_nonnull (header);
  {
    g_autofree char *url = g_strndup (header + 1, strlen (header) - 2);
    g_autofree char *local = g_strdup (strstr (url, "/api/"));
    g_autofree char *token = g_steal_pointer (&api.token);

    /* No login. */
    api_expect (&api, "POST", local, "List-Unsubscribe=One-Click", 200);
    api.token = g_steal_pointer (&token);
  }
  o = api_expect (&api, "GET", path, NULL, 200);
  g_assert_cmpint (json_object_get_int_member (o, "unsubscribed"), ==, 1);
  g_assert_false (sk_db_query_int (
      f->db, &error, -1, "SELECT consent_email FROM customers WHERE id = ?", "s", boris->id));

  /* Boris agrees to SMS now: announced again, it would reach him there,
   * and Anna not at all. */
  g_assert_true (sk_db_exec (f->db, &error, "UPDATE customers SET consent_sms = 1 WHERE id = ?",
                             "s", boris->id));
  o = api_expect (&api, "GET", path, NULL, 200);
  reach = json_object_get_object_member (o, "reach");
  g_assert_cmpint (json_object_get_int_member (reach, "customers"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (reach, "sms"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (reach, "email"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (reach, "already"), ==, 1);

  /* Anna's history: the e-mail sent, the SMS failed with the gateway's words. */
  history = g_strdup_printf ("/api/notifications?customer_id=%s", f->anna->id);
  o = api_expect (&api, "GET", history, NULL, 200);
  items = json_object_get_array_member (o, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *n = json_array_get_object_element (items, i);

      g_assert_cmpstr (json_object_get_string_member (n, "event"), ==, "campaign");
      if (g_str_equal (json_object_get_string_member (n, "channel"), "sms"))
        {
          g_assert_cmpstr (json_object_get_string_member (n, "status"), ==, "failed");
          g_assert_cmpstr (json_object_get_string_member (n, "error"), ==,
                           "HTTP 400: number blocked");
        }
      else
        g_assert_cmpstr (json_object_get_string_member (n, "status"), ==, "sent");
    }

  /* A campaign back in draft is not announced; nor one whose budget is
   * used up, nor one that is over: its customers would come for a
   * discount that is not there. Nothing is queued. */
  {
    static const struct
    {
      const char *sql, *field;
    } refused[] = {
      { "UPDATE campaigns SET status = 'draft' WHERE id = ?", "status" },
      { "UPDATE campaigns SET status = 'active', budget = 100, spent = 100 WHERE id = ?",
        "budget" },
      { "UPDATE campaigns SET budget = 0, ends_at = 1000000 WHERE id = ?", "ends_at" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_assert_true (sk_db_exec (f->db, &error, refused[i].sql, "s", campaign->id));
        o = api_expect (&api, "POST", announce, NULL, 422);
        g_assert_cmpstr (
            json_object_get_string_member (json_object_get_object_member (o, "error"), "field"), ==,
            refused[i].field);
      }
  }
  g_assert_cmpint (sk_db_query_int (f->db, &error, -1, "SELECT count(*) FROM notifications", ""),
                   ==, 3);

  /* An unknown campaign: 404. */
  api_expect (&api, "GET", "/api/campaigns/00000000-0000-4000-8000-000000000000/announcement", NULL,
              404);
  api_stop (&api);
}

/* The configuration file */

static void
test_config (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *text;
    const char *message;
  } bad[] = {
    { "[smtp]\nurl=ftp://mail\nfrom=a@b.c\n", "[smtp] url" },
    { "[smtp]\nurl=smtp://mail\n", "[smtp] from" },
    { "[sms]\nurl=http://sms\nbody-template=not json\n", "[sms] body-template" },
    { "[push]\nurl=http://push\nbody-template=[1]\n", "[push] body-template" },
    { "[push]\nurl=mailto:x\n", "[push] url" },
    { "[sms]\nurl=http://sms\nheaders=no colon\n", "[sms] headers" },
    { "[notifications]\nquiet-start=24\n", "quiet-start" },
    { "[notifications]\nretries=0\n", "retries" },
    { "[notifications]\nweekly-cap=-1\n", "weekly-cap" },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SkServerConfig) config = NULL;
  g_autofree char *sample
      = g_test_build_filename (G_TEST_DIST, "..", "data", "skidka-server.conf.sample", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (SkServerConfig) refused
          = sk_server_config_load_from_data (bad[i].text, -1, &error);

      g_assert_null (refused);
      g_assert_nonnull (error);
      if (strstr (error->message, bad[i].message) == NULL)
        g_error ("%s: %s", bad[i].text, error->message);
      g_clear_error (&error);
    }

  /* The sample's values are the defaults; it sets up no channel. */
  config = sk_server_config_load (sample, &error);
  g_assert_no_error (error);
  g_assert_null (config->notify.smtp_url);
  g_assert_null (config->notify.sms.url);
  g_assert_null (config->notify.push.url);
  g_assert_cmpuint (config->notify.retries, ==, 5);
  g_assert_cmpuint (config->notify.retry_delay, ==, 60);
  g_assert_cmpuint (config->notify.lease, ==, 300);
  g_assert_cmpuint (config->notify.batch, ==, 50);
  g_assert_cmpint (config->notify.quiet_start, ==, 22);
  g_assert_cmpint (config->notify.quiet_end, ==, 8);
  g_assert_cmpuint (config->notify.weekly_cap, ==, 3);
  g_assert_cmpuint (config->notify.birthday_lead_days, ==, 3);
  g_clear_pointer (&config, sk_server_config_free);

  /* Its commented keys, set. */
  config = sk_server_config_load_from_data (
      "[smtp]\nurl=smtps://mail.example.org:465\nusername=skidka\n"
      "password-file=/etc/skidka/smtp-password\nfrom=shop@example.org\n"
      "[sms]\nurl=https://sms.example.org/v1/messages\n"
      "headers=Authorization: Bearer KEY;X-Account: 42\n"
      "body-template={\"to\": \"{{to}}\", \"text\": \"{{text}}\"}\n"
      "[push]\nurl=http://push.example.org/send\n"
      "[notifications]\nretries=2\nquiet-start=23\nquiet-end=7\nweekly-cap=1\n"
      "birthday-lead-days=7\npublic-url=https://loyalty.example.org/\n",
      -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config->notify.smtp_url, ==, "smtps://mail.example.org:465");
  g_assert_cmpstr (config->notify.smtp_username, ==, "skidka");
  g_assert_cmpstr (config->notify.smtp_password_file, ==, "/etc/skidka/smtp-password");
  g_assert_cmpstr (config->notify.smtp_from, ==, "shop@example.org");
  g_assert_cmpstr (config->notify.sms.headers[0], ==, "Authorization: Bearer KEY");
  g_assert_cmpstr (config->notify.sms.headers[1], ==, "X-Account: 42");
  g_assert_cmpstr (config->notify.sms.body_template, ==,
                   "{\"to\": \"{{to}}\", \"text\": \"{{text}}\"}");
  /* A gateway without a template gets one with the id, the phone and the text. */
  g_assert_nonnull (strstr (config->notify.push.body_template, "{{id}}"));
  g_assert_cmpuint (config->notify.retries, ==, 2);
  g_assert_cmpint (config->notify.quiet_start, ==, 23);
  g_assert_cmpint (config->notify.quiet_end, ==, 7);
  g_assert_cmpuint (config->notify.weekly_cap, ==, 1);
  g_assert_cmpuint (config->notify.birthday_lead_days, ==, 7);
  g_assert_cmpstr (config->notify.public_url, ==, "https://loyalty.example.org/");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  sk_postgres_init ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/delivery/email", test_email);
  ADD ("/delivery/email-refused", test_email_refused);
  ADD ("/delivery/email-connection-reuse", test_email_connection_reuse);
  ADD ("/delivery/no-smtp", test_no_smtp);
  ADD ("/delivery/sms-retry", test_sms_retry);
  ADD ("/delivery/sms-refused", test_sms_refused);
  ADD ("/delivery/retries-run-out", test_retries_run_out);
  ADD ("/delivery/consent", test_consent);
  ADD ("/delivery/quiet-hours", test_quiet_hours);
  ADD ("/delivery/weekly-cap", test_weekly_cap);
  ADD ("/delivery/unsubscribe", test_unsubscribe);
  ADD ("/delivery/lease-half-gone", test_lease_half_gone);
  ADD ("/delivery/two-servers", test_two_servers);
  ADD ("/delivery/killed-mid-batch", test_killed_mid_batch);
  ADD ("/delivery/sale-to-inbox", test_sale_to_inbox);
  ADD ("/delivery/receipt-to-inbox", test_receipt_to_inbox);
  ADD ("/delivery/templates", test_templates);
  ADD ("/delivery/birthdays", test_birthdays);
  ADD ("/delivery/server-birthdays", test_server_birthdays);
  ADD ("/delivery/announce", test_announce);
  ADD ("/delivery/config", test_config);
  return g_test_run ();
}
