/* sk-test-server.c: an SkServer run in its own thread for a test.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-test-server.h"

struct _SkTestServer
{
  SkServerConfig *config;
  GMainContext   *context;
  GMainLoop      *loop;
  GMutex          lock;
  GCond           cond;
  GThread        *thread;
  guint           port;
};

static gpointer
server_thread (gpointer data)
{
  SkTestServer *self = data;
  g_autoptr (SkServer) server = NULL;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (self->context);
  server = sk_server_new (self->config);
  g_assert_true (sk_server_start (server, &error));
  g_assert_no_error (error);
  g_mutex_lock (&self->lock);
  self->port = sk_server_get_port (server);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_main_loop_run (self->loop);
  sk_server_stop (server);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

SkTestServer *
sk_test_server_start (SkServerConfig *config)
{
  SkTestServer *self = g_new0 (SkTestServer, 1);

  self->config = config;
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->thread = g_thread_new ("test-server", server_thread, self);
  g_mutex_lock (&self->lock);
  while (self->port == 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

guint
sk_test_server_get_port (SkTestServer *self)
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
sk_test_server_stop (SkTestServer *self)
{
  g_main_context_invoke (self->context, quit_loop, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  sk_server_config_free (self->config);
  g_free (self);
}
