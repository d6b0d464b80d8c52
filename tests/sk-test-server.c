/* sk-test-server.c: an SkServer (or any listener) run in its own thread for a test.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "sk-test-postgres.h"
#include "sk-test-server.h"
#include "sk-test-util.h"

struct _SkTestLoop
{
  SkTestLoopStart start;
  SkTestLoopStop  stop;
  gpointer        data;
  GMainContext   *context;
  GMainLoop      *loop;
  GMutex          lock;
  GCond           cond;
  GThread        *thread;
  guint           port;
};

static gpointer
loop_thread (gpointer data)
{
  SkTestLoop *self = data;
  guint       port;

  g_main_context_push_thread_default (self->context);
  port = self->start (self->data);
  g_assert_cmpuint (port, >, 0);
  g_mutex_lock (&self->lock);
  self->port = port;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_main_loop_run (self->loop);
  self->stop (self->data);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

SkTestLoop *
sk_test_loop_start (const char *name, SkTestLoopStart start, SkTestLoopStop stop, gpointer data)
{
  SkTestLoop *self = g_new0 (SkTestLoop, 1);

  self->start = start;
  self->stop = stop;
  self->data = data;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->thread = g_thread_new (name, loop_thread, self);
  g_mutex_lock (&self->lock);
  while (self->port == 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

guint
sk_test_loop_get_port (SkTestLoop *self)
{
  return self->port;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
sk_test_loop_stop (SkTestLoop *self)
{
  g_main_context_invoke (self->context, quit_loop, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

/* The server */

struct _SkTestServer
{
  SkServerConfig *config;
  SkServer       *server;
  SkTestLoop     *loop;
};

static guint
server_start (gpointer data)
{
  SkTestServer *self = data;
  g_autoptr (GError) error = NULL;

  self->server = sk_server_new (self->config);
  g_assert_true (sk_server_start (self->server, &error));
  g_assert_no_error (error);
  return sk_server_get_port (self->server);
}

static void
server_stop (gpointer data)
{
  SkTestServer *self = data;

  sk_server_stop (self->server);
  g_clear_object (&self->server);
}

SkServerConfig *
sk_test_server_config (const char *database, guint workers)
{
  SkServerConfig *config = sk_server_config_new ();

  g_free (config->database);
  config->database = g_strdup (database);
  config->port = 0;
  config->workers = workers;
  return config;
}

SkTestServer *
sk_test_server_start (SkServerConfig *config)
{
  SkTestServer *self = g_new0 (SkTestServer, 1);

  self->config = config;
  self->loop = sk_test_loop_start ("test-server", server_start, server_stop, self);
  return self;
}

guint
sk_test_server_get_port (SkTestServer *self)
{
  return sk_test_loop_get_port (self->loop);
}

char *
sk_test_server_get_url (SkTestServer *self)
{
  return g_strdup_printf ("http://127.0.0.1:%u", sk_test_server_get_port (self));
}

void
sk_test_server_stop (SkTestServer *self)
{
  sk_test_loop_stop (self->loop);
  sk_server_config_free (self->config);
  g_free (self);
}

/* HQ */

void
sk_test_hq_open (SkTestHq *hq, const char *tmp_template)
{
  hq->db = sk_test_open_hq (tmp_template, &hq->dir, &hq->path);
}

void
sk_test_hq_serve (SkTestHq *hq, SkServerConfig *config)
{
  g_assert_null (hq->server);
  hq->server = sk_test_server_start (config);
  hq->port = sk_test_server_get_port (hq->server);
  g_free (hq->url);
  hq->url = sk_test_server_get_url (hq->server);
}

void
sk_test_hq_stop (SkTestHq *hq)
{
  g_clear_pointer (&hq->server, sk_test_server_stop);
}

void
sk_test_hq_close (SkTestHq *hq)
{
  sk_test_hq_stop (hq);
  g_clear_object (&hq->db);
  sk_test_remove_dir (hq->dir);
  g_clear_pointer (&hq->dir, g_free);
  g_clear_pointer (&hq->path, g_free);
  g_clear_pointer (&hq->url, g_free);
}

/* Requests */

void
sk_test_reply_free (SkTestReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->node, json_node_unref);
  g_free (reply->etag);
  g_free (reply);
}

SkTestReply *
sk_test_request (SoupSession *session,
                 guint        port,
                 const char  *method,
                 const char  *path,
                 const char  *token,
                 const char  *content_type,
                 const char  *body,
                 gsize        body_length,
                 const char  *if_match)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr (SoupMessage) msg = soup_message_new (method, url);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  SkTestReply        *reply = g_new0 (SkTestReply, 1);
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (if_match != NULL)
    soup_message_headers_replace (headers, "If-Match", if_match);
  if (body != NULL)
    {
      g_autoptr (GBytes) request
          = g_bytes_new (body, body_length == G_MAXSIZE ? strlen (body) : body_length);
      soup_message_set_request_body_from_bytes (msg, content_type, request);
    }
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  reply->status = soup_message_get_status (msg);
  reply->etag
      = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "ETag"));
  if (g_bytes_get_size (bytes) > 0)
    {
      reply->node = json_from_string (g_bytes_get_data (bytes, NULL), &error);
      g_assert_no_error (error);
    }
  return reply;
}

JsonObject *
sk_test_reply_object (SkTestReply *reply)
{
  g_assert_nonnull (reply->node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (reply->node));
  return json_node_get_object (reply->node);
}

gint64
sk_test_reply_int (SkTestReply *reply, const char *member)
{
  return json_object_get_int_member (sk_test_reply_object (reply), member);
}

void
sk_test_assert_status (SkTestReply *reply, guint status)
{
  if (reply->status != status)
    g_error ("expected %u, got %u: %s", status, reply->status,
             reply->node ? json_to_string (reply->node, FALSE) : "(no body)");
}

void
sk_test_reply_expect (SkTestReply **reply, guint status, SkTestReply *next)
{
  g_clear_pointer (reply, sk_test_reply_free);
  *reply = next;
  sk_test_assert_status (next, status);
}

void
sk_test_assert_error (SkTestReply *reply, guint status, const char *code, const char *field)
{
  JsonObject *error;

  sk_test_assert_status (reply, status);
  error = json_object_get_object_member (sk_test_reply_object (reply), "error");
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
  if (field != NULL)
    g_assert_cmpstr (json_object_get_string_member (error, "field"), ==, field);
}

void
sk_test_assert_refused (SkTestReply *reply, guint status, const char *code, const char *field)
{
  sk_test_assert_error (reply, status, code, field);
  sk_test_reply_free (reply);
}
