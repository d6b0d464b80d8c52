/* sk-test-server.c: an SkServer (or any listener) run in its own thread for a test.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-test-server.h"

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

void
sk_test_server_stop (SkTestServer *self)
{
  sk_test_loop_stop (self->loop);
  sk_server_config_free (self->config);
  g_free (self);
}
