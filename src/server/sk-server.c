/* sk-server.c: the SoupServer, its database workers and the access log.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <sys/resource.h>

#include <libsoup/soup.h>

#include "sk-postgres.h"
#include "sk-server-delivery.h"
#include "sk-change-feed.h"
#include "sk-server-private.h"

#define DEFAULT_MAX_BODY           (1024 * 1024)
#define DEFAULT_TOKEN_LIFETIME     (12 * 60 * 60)
#define DEFAULT_MANUAL_BONUS_LIMIT 1000000 /* kopecks: 10 000 roubles */
#define DEFAULT_MAX_CONNECTIONS    1000
#define DEFAULT_HEADER_TIMEOUT     10
#define DEFAULT_BODY_TIMEOUT       30
#define DEFAULT_IDLE_TIMEOUT       30

struct _SkServer
{
  GObject parent_instance;

  SkServerConfig     *config;
  SoupServer         *soup;
  SkListener         *accept; /* our own accept loop for @soup */
  GMainContext       *context;
  GThreadPool        *pool;
  GAsyncQueue        *connections; /* idle SkDatabase, one thread at a time each */
  SkRateLimiter      *limiter;
  SkTokenCache       *tokens;
  SkPostgresListener *listener; /* of changes to accounts, on PostgreSQL */
  SkWriteLock         write_lock;
  SkDelivery         *delivery; /* of notifications, when a channel is set up */
  gint64              started_at;
  gboolean            running;
  guint               port;
};

G_DEFINE_FINAL_TYPE (SkServer, sk_server, G_TYPE_OBJECT)

/* A request on its way through a worker and back. */
typedef struct
{
  SkServer          *server;
  SoupServerMessage *msg;
  const SkRoute     *route;
  SkRequest          request;
  gint64             started;
  gboolean           finished; /* the client went away meanwhile */
  gulong             finished_id;
} Job;

SkServerConfig *
sk_server_config_new (void)
{
  SkServerConfig *config = g_new0 (SkServerConfig, 1);

  config->address = g_strdup ("127.0.0.1");
  config->port = 8080;
  config->database = g_strdup ("skidka-server.db");
  config->notify.retries = 5;
  config->notify.retry_delay = 60;
  config->notify.lease = 300;
  config->notify.batch = 50;
  config->notify.quiet_start = 22;
  config->notify.quiet_end = 8;
  config->notify.weekly_cap = 3;
  config->notify.birthday_lead_days = 3;
  return config;
}

void
sk_server_config_free (SkServerConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->address);
  g_free (config->database);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_strfreev (config->trusted_proxies);
  sk_notify_config_clear (&config->notify);
  g_free (config);
}

static SkServerConfig *
config_copy (const SkServerConfig *config)
{
  SkServerConfig *copy = g_memdup2 (config, sizeof *config);

  copy->address = g_strdup (config->address);
  copy->database = g_strdup (config->database);
  copy->tls_certificate = g_strdup (config->tls_certificate);
  copy->tls_key = g_strdup (config->tls_key);
  copy->trusted_proxies = g_strdupv (config->trusted_proxies);
  sk_notify_config_copy (&copy->notify, &config->notify);
  return copy;
}

static gboolean
key_int (GKeyFile   *file,
         const char *group,
         const char *key,
         gint64      min,
         gint64      max,
         gint64     *out,
         GError    **error)
{
  g_autoptr (GError) local = NULL;
  gint64 value;

  if (!g_key_file_has_key (file, group, key, NULL))
    return TRUE;
  value = g_key_file_get_int64 (file, group, key, &local);
  if (local != NULL || value < min || value > max)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] %s must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                   group, key, min, max);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

/* GLib 2.74 reports an escape at the end of a value twice into one GError
 * (a warning, and a crash where warnings are fatal): such a value is refused
 * before GLib unescapes it. */
static gboolean
escapes_valid (GKeyFile *file, const char *group, const char *key, GError **error)
{
  g_autofree char *raw = g_key_file_get_value (file, group, key, NULL);
  gsize            backslashes = 0;

  for (gsize i = raw ? strlen (raw) : 0; i > 0 && raw[i - 1] == '\\'; i--)
    backslashes++;
  if (backslashes % 2 == 0)
    return TRUE;
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               "[%s] %s ends with a lone backslash", group, key);
  return FALSE;
}

static gboolean
key_string (GKeyFile *file, const char *group, const char *key, char **out, GError **error)
{
  g_autofree char *value = NULL;

  if (!escapes_valid (file, group, key, error))
    return FALSE;
  value = g_key_file_get_string (file, group, key, NULL);
  if (value != NULL && *g_strstrip (value) != '\0')
    {
      g_free (*out);
      *out = g_steal_pointer (&value);
    }
  return TRUE;
}

static gboolean
load_gateway (GKeyFile *file, const char *group, SkGatewayConfig *gateway, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  if (!key_string (file, group, "url", &gateway->url, error)
      || !key_string (file, group, "body-template", &gateway->body_template, error)
      || !escapes_valid (file, group, "headers", error))
    return FALSE;
  gateway->headers = g_key_file_get_string_list (file, group, "headers", NULL, NULL);
  for (guint i = 0; gateway->headers != NULL && gateway->headers[i] != NULL; i++)
    {
      const char *colon = strchr (g_strstrip (gateway->headers[i]), ':');

      if (colon == NULL || colon == gateway->headers[i] || strpbrk (gateway->headers[i], "\r\n"))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[%s] headers must be “Name: value” separated by ;", group);
          return FALSE;
        }
    }
  if (gateway->url == NULL)
    return TRUE;
  if (!g_str_has_prefix (gateway->url, "http://") && !g_str_has_prefix (gateway->url, "https://"))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] url must be an http:// or https:// URL", group);
      return FALSE;
    }
  if (gateway->body_template == NULL)
    gateway->body_template
        = g_strdup ("{\"id\": \"{{id}}\", \"to\": \"{{to}}\", \"text\": \"{{text}}\"}");
  /* An empty document (only a comment) parses, with no root. */
  if (!json_parser_load_from_data (parser, gateway->body_template, -1, &local)
      || json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] body-template must be a JSON object", group);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_notify (GKeyFile *file, SkNotifyConfig *notify, GError **error)
{
  gint64 retries = notify->retries, delay = notify->retry_delay, lease = notify->lease;
  gint64 batch = notify->batch, cap = notify->weekly_cap, lead = notify->birthday_lead_days;
  gint64 quiet_start = notify->quiet_start, quiet_end = notify->quiet_end;

  if (!key_string (file, "smtp", "url", &notify->smtp_url, error)
      || !key_string (file, "smtp", "username", &notify->smtp_username, error)
      || !key_string (file, "smtp", "password-file", &notify->smtp_password_file, error)
      || !key_string (file, "smtp", "from", &notify->smtp_from, error)
      || !key_string (file, "notifications", "public-url", &notify->public_url, error)
      || !load_gateway (file, "sms", &notify->sms, error)
      || !load_gateway (file, "push", &notify->push, error)
      || !key_int (file, "notifications", "retries", 1, 100, &retries, error)
      || !key_int (file, "notifications", "retry-delay", 1, 24 * 3600, &delay, error)
      || !key_int (file, "notifications", "lease", 1, 24 * 3600, &lease, error)
      || !key_int (file, "notifications", "batch", 1, 10000, &batch, error)
      || !key_int (file, "notifications", "quiet-start", 0, 23, &quiet_start, error)
      || !key_int (file, "notifications", "quiet-end", 0, 23, &quiet_end, error)
      || !key_int (file, "notifications", "weekly-cap", 1, 1000, &cap, error)
      || !key_int (file, "notifications", "birthday-lead-days", 1, 60, &lead, error))
    return FALSE;
  if (notify->smtp_url != NULL)
    {
      if (!g_str_has_prefix (notify->smtp_url, "smtp://")
          && !g_str_has_prefix (notify->smtp_url, "smtps://"))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[smtp] url must be smtp://host:port or smtps://host:port");
          return FALSE;
        }
      if (notify->smtp_from == NULL || strchr (notify->smtp_from, '@') == NULL
          || strpbrk (notify->smtp_from, "\r\n<>") != NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[smtp] from must be an e-mail address");
          return FALSE;
        }
    }
  notify->retries = retries;
  notify->retry_delay = delay;
  notify->lease = lease;
  notify->batch = batch;
  notify->quiet_start = quiet_start;
  notify->quiet_end = quiet_end;
  notify->weekly_cap = cap;
  notify->birthday_lead_days = lead;
  return TRUE;
}

SkServerConfig *
sk_server_config_load_from_data (const char *data, gsize length, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (SkServerConfig) config = sk_server_config_new ();
  gint64 port = config->port, workers = 0, max_body = DEFAULT_MAX_BODY;
  gint64 lifetime = DEFAULT_TOKEN_LIFETIME, attempts = 5, window = 900;
  gint64 manual_limit = DEFAULT_MANUAL_BONUS_LIMIT;
  gint64 max_connections = DEFAULT_MAX_CONNECTIONS, header_timeout = DEFAULT_HEADER_TIMEOUT;
  gint64 body_timeout = DEFAULT_BODY_TIMEOUT, idle_timeout = DEFAULT_IDLE_TIMEOUT;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!g_key_file_load_from_data (file, data != NULL ? data : "", length, G_KEY_FILE_NONE, error))
    return NULL;
  if (!key_string (file, "server", "address", &config->address, error)
      || !key_string (file, "database", "path", &config->database, error)
      || !key_string (file, "tls", "certificate", &config->tls_certificate, error)
      || !key_string (file, "tls", "key", &config->tls_key, error)
      || !escapes_valid (file, "server", "trusted-proxies", error)
      || !load_notify (file, &config->notify, error))
    return NULL;
  config->trusted_proxies
      = g_key_file_get_string_list (file, "server", "trusted-proxies", NULL, NULL);
  for (guint i = 0; config->trusted_proxies != NULL && config->trusted_proxies[i] != NULL; i++)
    if (!g_hostname_is_ip_address (g_strstrip (config->trusted_proxies[i])))
      {
        g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                     "[server] trusted-proxies must list IP addresses, not “%s”",
                     config->trusted_proxies[i]);
        return NULL;
      }
  if (!key_int (file, "server", "port", 0, 65535, &port, error)
      || !key_int (file, "server", "workers", 0, 256, &workers, error)
      || !key_int (file, "server", "max-body", 1024, G_MAXINT32, &max_body, error)
      || !key_int (file, "server", "max-connections", 1, 1000000, &max_connections, error)
      || !key_int (file, "server", "header-timeout", 1, 3600, &header_timeout, error)
      || !key_int (file, "server", "body-timeout", 1, 3600, &body_timeout, error)
      || !key_int (file, "server", "idle-timeout", 1, 3600, &idle_timeout, error)
      || !key_int (file, "auth", "token-lifetime", 60, 365 * 24 * 3600, &lifetime, error)
      || !key_int (file, "auth", "login-attempts", 1, 1000, &attempts, error)
      || !key_int (file, "auth", "login-window", 1, 24 * 3600, &window, error)
      || !key_int (file, "auth", "manual-bonus-limit", 1, SK_MONEY_MAX, &manual_limit, error))
    return NULL;
  if ((config->tls_certificate == NULL) != (config->tls_key == NULL))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[tls] needs both certificate and key");
      return NULL;
    }
  config->port = port;
  config->workers = workers;
  config->max_body = max_body;
  config->max_connections = max_connections;
  config->header_timeout = header_timeout;
  config->body_timeout = body_timeout;
  config->idle_timeout = idle_timeout;
  config->token_lifetime = lifetime;
  config->login_attempts = attempts;
  config->login_window = window;
  config->manual_bonus_limit = manual_limit;
  return g_steal_pointer (&config);
}

SkServerConfig *
sk_server_config_load (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize            length = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, error))
    return NULL;
  return sk_server_config_load_from_data (data, length, error);
}

static void
sk_server_finalize (GObject *object)
{
  SkServer *self = SK_SERVER (object);

  sk_server_stop (self);
  g_clear_pointer (&self->connections, g_async_queue_unref);
  g_clear_pointer (&self->limiter, sk_rate_limiter_free);
  g_clear_pointer (&self->tokens, sk_token_cache_free);
  g_clear_pointer (&self->config, sk_server_config_free);
  g_mutex_clear (&self->write_lock.mutex);
  g_mutex_clear (&self->write_lock.figures);
  G_OBJECT_CLASS (sk_server_parent_class)->finalize (object);
}

static void
sk_server_class_init (SkServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sk_server_finalize;
}

static void
sk_server_init (SkServer *self)
{
  self->connections = g_async_queue_new_full (g_object_unref);
  g_mutex_init (&self->write_lock.mutex);
  g_mutex_init (&self->write_lock.figures);
}

SkServer *
sk_server_new (const SkServerConfig *config)
{
  SkServer *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (SK_TYPE_SERVER, NULL);
  self->config = config_copy (config);
  if (self->config->max_body == 0)
    self->config->max_body = DEFAULT_MAX_BODY;
  if (self->config->token_lifetime == 0)
    self->config->token_lifetime = DEFAULT_TOKEN_LIFETIME;
  if (self->config->workers == 0)
    self->config->workers = CLAMP (g_get_num_processors (), 2, 16);
  self->write_lock.serialise = !sk_database_is_uri (self->config->database);
  if (self->config->login_attempts == 0)
    self->config->login_attempts = 5;
  if (self->config->login_window == 0)
    self->config->login_window = 15 * 60;
  if (self->config->manual_bonus_limit == 0)
    self->config->manual_bonus_limit = DEFAULT_MANUAL_BONUS_LIMIT;
  if (self->config->max_connections == 0)
    self->config->max_connections = DEFAULT_MAX_CONNECTIONS;
  if (self->config->header_timeout == 0)
    self->config->header_timeout = DEFAULT_HEADER_TIMEOUT;
  if (self->config->body_timeout == 0)
    self->config->body_timeout = DEFAULT_BODY_TIMEOUT;
  if (self->config->idle_timeout == 0)
    self->config->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  self->limiter = sk_rate_limiter_new (self->config->login_attempts, self->config->login_window);
  self->tokens = sk_token_cache_new ();
  return self;
}

guint
sk_server_get_port (SkServer *self)
{
  g_return_val_if_fail (SK_IS_SERVER (self), 0);
  return self->port;
}

/* Responses */

JsonNode *
sk_error_to_json (const char *code, const char *message, const char *field)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "field");
  sk_json_add_string_or_null (builder, field);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
set_json_body (SoupServerMessage *msg, guint status, JsonNode *node)
{
  g_autofree char *text = sk_json_to_string (node, FALSE);
  gsize            length = strlen (text);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), length);
}

static void
reply_error (SoupServerMessage *msg, guint status, const char *code, const char *message)
{
  g_autoptr (JsonNode) node = sk_error_to_json (code, message, NULL);

  set_json_body (msg, status, node);
}

static void
access_log (SoupServerMessage *msg, guint status, gint64 started, const char *user)
{
  GUri            *uri = soup_server_message_get_uri (msg);
  const char      *method = soup_server_message_get_method (msg);
  const char      *remote = soup_server_message_get_remote_host (msg);
  g_autofree char *status_text = g_strdup_printf ("%u", status);
  g_autofree char *duration
      = g_strdup_printf ("%.3f", (g_get_monotonic_time () - started) / 1000.0);

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE", "%s %s %s %s ms user=%s remote=%s",
                    method, g_uri_get_path (uri), status_text, duration, user ? user : "-",
                    remote ? remote : "-", "HTTP_METHOD", method, "HTTP_PATH", g_uri_get_path (uri),
                    "HTTP_STATUS", status_text, "HTTP_DURATION_MS", duration, "HTTP_USER",
                    user ? user : "-", "HTTP_REMOTE", remote ? remote : "-");
}

/* Workers */

gint64
sk_write_lock_acquire (SkWriteLock *lock)
{
  g_return_val_if_fail (lock != NULL, 0);

  if (lock->serialise)
    g_mutex_lock (&lock->mutex);
  return g_get_monotonic_time ();
}

void
sk_write_lock_release (SkWriteLock *lock, gint64 acquired)
{
  g_return_if_fail (lock != NULL);

  g_mutex_lock (&lock->figures);
  lock->busy += g_get_monotonic_time () - acquired;
  lock->writes++;
  g_mutex_unlock (&lock->figures);
  if (lock->serialise)
    g_mutex_unlock (&lock->mutex);
}

static void
job_free (Job *job)
{
  SkRequest *r = &job->request;

  if (job->finished_id != 0)
    g_signal_handler_disconnect (job->msg, job->finished_id);
  g_clear_object (&job->msg);
  g_clear_object (&job->server);
  g_clear_object (&r->db);
  sk_request_clear (r);
  g_free (job);
}

static void
on_message_finished (SoupServerMessage *msg, Job *job)
{
  job->finished = TRUE;
}

static gboolean
job_done (gpointer data)
{
  Job                *job = data;
  SkRequest          *r = &job->request;
  SoupMessageHeaders *headers;

  if (job->finished || !job->server->running)
    {
      job_free (job);
      return G_SOURCE_REMOVE;
    }
  headers = soup_server_message_get_response_headers (job->msg);
  if (r->raw != NULL)
    {
      soup_server_message_set_status (job->msg, r->status ? r->status : 200, NULL);
      soup_message_headers_replace (headers, "Content-Type", "application/json; charset=utf-8");
      soup_message_body_append_bytes (soup_server_message_get_response_body (job->msg), r->raw);
    }
  else if (r->response != NULL)
    set_json_body (job->msg, r->status ? r->status : 200, r->response);
  else
    soup_server_message_set_status (job->msg, r->status ? r->status : 204, NULL);
  if (r->etag != NULL)
    soup_message_headers_replace (headers, "ETag", r->etag);
  if (r->link != NULL)
    soup_message_headers_replace (headers, "Link", r->link);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  access_log (job->msg, r->status ? r->status : 200, job->started,
              r->user ? r->user->username : NULL);
  soup_server_message_unpause (job->msg);
  job_free (job);
  return G_SOURCE_REMOVE;
}

static SkDatabase *
take_connection (SkServer *self, GError **error)
{
  SkDatabase *db = g_async_queue_try_pop (self->connections);

  if (db != NULL)
    return db;
  return sk_database_open (self->config->database, error);
}

static void
authenticate (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  const char *token = NULL;

  if (r->authorization != NULL && g_ascii_strncasecmp (r->authorization, "Bearer ", 7) == 0)
    token = r->authorization + 7;
  if (token == NULL)
    {
      sk_request_fail (r, SK_ERROR_UNAUTHORIZED, NULL,
                       "Log in first: send Authorization: Bearer TOKEN");
      return;
    }
  r->user = sk_auth_check_token (r->db, r->tokens, token, &error);
  if (r->user == NULL)
    sk_request_set_error (r, error);
}

static void
worker (gpointer data, gpointer user_data)
{
  Job       *job = data;
  SkServer  *self = job->server;
  SkRequest *r = &job->request;
  g_autoptr (GError) error = NULL;

  r->db = take_connection (self, &error);
  if (r->db == NULL)
    {
      g_message ("Cannot open the database: %s", error->message);
      /* Not the request's fault, and it may pass: 503, as /api/health. */
      sk_request_reply (
          r, 503, sk_error_to_json ("database_unavailable", "The database is not available", NULL));
    }
  else
    {
      if (job->route->roles != SK_ROLE_NONE)
        {
          authenticate (r);
          if (r->user != NULL && !(r->user->role & job->route->roles))
            sk_request_fail (r, SK_ERROR_FORBIDDEN, NULL, "Your role may not do this");
        }
      if (r->status == 0 && (job->route->flags & SK_ROUTE_WRITES))
        {
          gint64 acquired = sk_write_lock_acquire (&self->write_lock);

          r->write_locked = TRUE;
          job->route->handler (r);
          /* A transaction that lost a race (PostgreSQL, writers side by
           * side) changed nothing: the same request again. */
          for (guint attempt = 1; r->lost_race && attempt < SK_WRITE_ATTEMPTS; attempt++)
            {
              sk_request_forget_answer (r);
              sk_request_lost_race_pause (attempt);
              job->route->handler (r);
            }
          sk_write_lock_release (&self->write_lock, acquired);
        }
      else if (r->status == 0)
        {
          guint64 writes = sk_database_get_writes (r->db);

          job->route->handler (r);
          /* Writers queue on the write lock, not in the database's busy
           * handler: a route that writes must say so (the suite makes
           * this fatal, and walks every route). */
          if (sk_database_get_writes (r->db) != writes && !r->write_locked
              && !(job->route->flags & SK_ROUTE_CACHES))
            g_critical ("%s %s wrote without the write lock: its route needs SK_ROUTE_WRITES",
                        job->route->method, job->route->pattern);
        }
      g_async_queue_push (self->connections, g_steal_pointer (&r->db));
    }
  /* Serialise here too: the main thread only moves bytes. */
  if (r->response != NULL && r->raw == NULL)
    {
      char *text = sk_json_to_string (r->response, FALSE);

      r->raw = g_bytes_new_take (text, strlen (text));
      g_clear_pointer (&r->response, json_node_unref);
    }
  g_main_context_invoke (self->context, job_done, job);
}

static char *
header_copy (SoupMessageHeaders *headers, const char *name)
{
  return g_strdup (soup_message_headers_get_one (headers, name));
}

/* The client's address: the peer's, or, when the peer is a proxy the
 * config trusts, the last address that proxy put in X-Forwarded-For. */
static char *
client_address (SkServer *self, SoupServerMessage *msg)
{
  const char *peer = soup_server_message_get_remote_host (msg);
  const char *forwarded;
  g_auto (GStrv) hops = NULL;
  guint n;

  if (peer == NULL || self->config->trusted_proxies == NULL
      || !g_strv_contains ((const char *const *)self->config->trusted_proxies, peer))
    return g_strdup (peer);
  forwarded = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                             "X-Forwarded-For");
  if (forwarded == NULL)
    return g_strdup (peer);
  hops = g_strsplit (forwarded, ",", -1);
  n = g_strv_length (hops);
  if (n == 0 || !g_hostname_is_ip_address (g_strstrip (hops[n - 1])))
    return g_strdup (peer);
  return g_strdup (hops[n - 1]);
}

static void
on_early (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  SkServer           *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset             length = soup_message_headers_get_content_length (headers);

  sk_listener_got_headers (self->accept, msg);
  if (length > (goffset)self->config->max_body)
    {
      reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                   "The request body is too large");
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      access_log (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, g_get_monotonic_time (), NULL);
    }
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  SkServer           *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody    *body = soup_server_message_get_request_body (msg);
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  const char    *method = soup_server_message_get_method (msg);
  const SkRoute *route;
  gboolean       path_known = FALSE;
  gint64         started = g_get_monotonic_time ();
  Job           *job;

  if (soup_server_message_get_status (msg) == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
    return; /* answered by on_early */
  if (body->length > (goffset)self->config->max_body)
    {
      reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                   "The request body is too large");
      access_log (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, started, NULL);
      return;
    }
  /* The path is still percent-encoded (raw-paths): it must decode, without
   * NUL, to UTF-8, or no message of ours may quote a part of it. */
  {
    g_autofree char *decoded = g_uri_unescape_string (path, NULL);

    if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
      {
        reply_error (msg, SOUP_STATUS_BAD_REQUEST, "malformed",
                     "The path is not valid: bad percent-encoding or not UTF-8");
        access_log (msg, SOUP_STATUS_BAD_REQUEST, started, NULL);
        return;
      }
  }
  route = sk_server_route_find (method, path, args, &path_known);
  if (route == NULL)
    {
      if (path_known)
        reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                     "This method is not allowed here");
      else
        reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "There is no such endpoint");
      access_log (msg, soup_server_message_get_status (msg), started, NULL);
      return;
    }

  job = g_new0 (Job, 1);
  job->server = g_object_ref (self);
  job->msg = g_object_ref (msg);
  job->route = route;
  job->request.route = route;
  job->started = started;
  job->request.config = self->config;
  job->request.limiter = self->limiter;
  /* Kept only while the database can say when to forget them. */
  job->request.tokens = self->listener != NULL ? self->tokens : NULL;
  job->request.write_lock = &self->write_lock;
  job->request.method = route->method;
  job->request.path = g_strdup (path);
  job->request.args = g_steal_pointer (&args);
  job->request.query
      = query ? g_hash_table_ref (query) : g_hash_table_new (g_str_hash, g_str_equal);
  if (body->length > 0)
    {
      g_autoptr (GBytes) flat = soup_message_body_flatten (body);
      job->request.body = g_bytes_ref (flat);
    }
  job->request.if_match = header_copy (headers, "If-Match");
  job->request.authorization = header_copy (headers, "Authorization");
  job->request.remote = client_address (self, msg);
  job->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_message_finished), job);

  soup_server_message_pause (msg);
  g_thread_pool_push (self->pool, job, NULL);
}

/* In the listener's thread. */
static void
on_accounts_changed (gboolean listening, gpointer user_data)
{
  sk_token_cache_reset (user_data, listening);
}

/* A server needs a descriptor per connection and a few per database
 * connection: take the hard limit the system grants (systemd's default soft
 * limit is 1 024), and keep the connections under what remains. */
static guint
connections_allowed (guint wanted, guint workers)
{
  struct rlimit limit;
  rlim_t        reserve = 64 + 4 * (rlim_t)workers;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return wanted;
  if (limit.rlim_cur < limit.rlim_max)
    {
      struct rlimit raised = { MIN (limit.rlim_max, 1 << 20), limit.rlim_max };

      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        limit = raised;
    }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > wanted + reserve)
    return wanted;
  if (limit.rlim_cur <= reserve + 16)
    return 16;
  return limit.rlim_cur - reserve;
}

gboolean
sk_server_start (SkServer *self, GError **error)
{
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  SkListenerLimits limits = {
    0,
  };
  gboolean postgres;

  g_return_val_if_fail (SK_IS_SERVER (self), FALSE);
  g_return_val_if_fail (!self->running, FALSE);

  /* The first connection migrates the file before any worker opens it. */
  db = sk_database_open (self->config->database, error);
  if (db == NULL || !sk_database_keep_change_feed (db, error))
    return FALSE;
  postgres = g_str_equal (sk_database_get_backend_name (db), "postgresql");
  g_async_queue_push (self->connections, g_steal_pointer (&db));

  address = g_inet_socket_address_new_from_string (
      self->config->address ? self->config->address : "127.0.0.1", self->config->port);
  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not an IP address: %s",
                   self->config->address);
      return FALSE;
    }
  if (self->config->tls_certificate != NULL)
    {
      certificate = g_tls_certificate_new_from_files (self->config->tls_certificate,
                                                      self->config->tls_key, error);
      if (certificate == NULL)
        return FALSE;
    }

  /* Paths reach the routes still percent-encoded: a bad escape is then our
   * JSON 400, not libsoup's empty one. */
  self->soup = soup_server_new ("server-header", "skidka-server/" PACKAGE_VERSION, "raw-paths",
                                TRUE, NULL);
  soup_server_add_early_handler (self->soup, NULL, on_early, self, NULL);
  soup_server_add_handler (self->soup, NULL, on_request, self, NULL);

  self->context = g_main_context_ref_thread_default ();
  self->pool = g_thread_pool_new (worker, self, self->config->workers, FALSE, error);
  if (self->pool == NULL)
    {
      g_clear_object (&self->soup);
      g_clear_pointer (&self->context, g_main_context_unref);
      return FALSE;
    }
  limits.max_connections
      = connections_allowed (self->config->max_connections, self->config->workers);
  limits.header_timeout = self->config->header_timeout;
  limits.body_timeout = self->config->body_timeout;
  limits.idle_timeout = self->config->idle_timeout;
  self->accept = sk_listener_new (self->soup, address, certificate, &limits, error);
  if (self->accept == NULL)
    {
      g_thread_pool_free (g_steal_pointer (&self->pool), TRUE, TRUE);
      g_clear_object (&self->soup);
      g_clear_pointer (&self->context, g_main_context_unref);
      return FALSE;
    }
  /* PostgreSQL tells every server of a change to accounts or tokens, so the
   * tokens checked may be kept until then; SQLite's are checked each time. */
  if (postgres)
    {
      g_autoptr (GError) local = NULL;

      self->listener = sk_postgres_listen (self->config->database, SK_POSTGRES_ACCOUNTS_CHANNEL,
                                           on_accounts_changed, self->tokens, &local);
      if (self->listener == NULL)
        g_warning ("Tokens will be checked in the database each time: %s", local->message);
    }
  if (self->config->notify.smtp_url == NULL)
    g_message ("E-mail is not sent: the configuration has no [smtp] url");
  if (self->config->notify.smtp_url != NULL || self->config->notify.sms.url != NULL
      || self->config->notify.push.url != NULL)
    {
      self->delivery = sk_delivery_new (self->config, error);
      if (self->delivery == NULL || !sk_delivery_start (self->delivery, error))
        {
          g_clear_pointer (&self->delivery, sk_delivery_free);
          g_clear_pointer (&self->accept, sk_listener_free);
          g_thread_pool_free (g_steal_pointer (&self->pool), TRUE, TRUE);
          g_clear_object (&self->soup);
          g_clear_pointer (&self->context, g_main_context_unref);
          return FALSE;
        }
    }
  self->port = sk_listener_get_port (self->accept);
  self->running = TRUE;
  self->started_at = g_get_monotonic_time ();
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO, "MESSAGE",
                    "Listening on %s port %u (%s), database %s, up to %u connections",
                    self->config->address, self->port, certificate != NULL ? "https" : "http",
                    self->config->database, limits.max_connections);
  return TRUE;
}

void
sk_server_stop (SkServer *self)
{
  g_return_if_fail (SK_IS_SERVER (self));

  if (self->soup == NULL)
    return;
  self->running = FALSE;
  g_clear_pointer (&self->delivery, sk_delivery_free);
  g_clear_pointer (&self->accept, sk_listener_free);
  soup_server_disconnect (self->soup);
  /* Let the requests in flight finish their transactions. */
  if (self->pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  if (self->write_lock.writes > 0)
    {
      double uptime = (g_get_monotonic_time () - self->started_at) / (double)G_USEC_PER_SEC;

      /* How close the writes came to what one database writer can do. */
      g_message ("%" G_GUINT64_FORMAT
                 " writes in %.1f s; the database writer was busy %.1f s (%.0f %%),"
                 " %.3f ms per write",
                 self->write_lock.writes, uptime, self->write_lock.busy / (double)G_USEC_PER_SEC,
                 100.0 * self->write_lock.busy / (uptime * G_USEC_PER_SEC),
                 self->write_lock.busy / 1000.0 / self->write_lock.writes);
    }
  g_clear_pointer (&self->listener, sk_postgres_listener_free);
  sk_token_cache_reset (self->tokens, FALSE);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->context, g_main_context_unref);
}
