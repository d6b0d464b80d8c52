/* sk-server-listener.c: the server's own accept loop: a connection cap, timeouts, and accepting
 * again after EMFILE.
 *
 * libsoup 3.2's listener has no idle or header timeout and no connection
 * cap; it stops accepting for good at the first failed accept() (its
 * listen_watch removes its source when the process is out of descriptors),
 * and it never unrefs the GSocket it accepts (~500 bytes lost per
 * connection). So the server accepts connections itself and hands each one
 * to the SoupServer with soup_server_accept_iostream().
 *
 * Everything here runs on the server's main context.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sk-server-private.h"

/* How long accepting pauses when the process is out of descriptors: the
 * waiting connections stay in the kernel's backlog meanwhile. */
#define ACCEPT_RETRY_MS 100

typedef struct
{
  SkListener     *listener;
  GSocket        *socket;   /* owned by @stream */
  GIOStream      *stream;   /* weak: libsoup's once accepted */
  GSocketAddress *remote;   /* the key: libsoup hands it back per message */
  gint64          deadline; /* monotonic µs, 0: none */
} Connection;

struct _SkListener
{
  SoupServer      *soup;
  GTlsCertificate *certificate;
  SkListenerLimits limits;
  GMainContext    *context;
  GSocket         *socket;
  GSource         *accept_source;
  GSource         *retry_source;
  GSource         *sweep_source;
  GSocket         *soup_ends[2]; /* see keep_alive_listener () */
  GHashTable      *connections;  /* GSocketAddress* -> Connection* */
  GCancellable    *cancellable;  /* of TLS handshakes */
  guint            port;
  guint64          refused; /* connections answered 503 */
  gint64           warned_at;
};

static gboolean on_incoming (GSocket *socket, GIOCondition condition, gpointer user_data);
static void     on_stream_gone (gpointer data, GObject *where_the_object_was);

static void
connection_free (Connection *conn)
{
  if (conn->stream != NULL)
    g_object_weak_unref (G_OBJECT (conn->stream), on_stream_gone, conn);
  g_clear_object (&conn->remote);
  g_free (conn);
}

/* libsoup has let go of the connection: its descriptor is closed. */
static void
on_stream_gone (gpointer data, GObject *where_the_object_was)
{
  Connection *conn = data;

  conn->stream = NULL;
  g_hash_table_remove (conn->listener->connections, conn->remote);
}

static void
connection_close (Connection *conn)
{
  /* Shutting down, rather than closing, the socket lets libsoup read the
   * end of the stream and release the connection the usual way. */
  if (conn->socket != NULL && conn->stream != NULL)
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  conn->deadline = 0;
}

static Connection *
connection_of (SkListener *self, SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_hash_table_lookup (self->connections, remote) : NULL;
}

static void
set_deadline (Connection *conn, guint seconds)
{
  if (conn != NULL)
    conn->deadline = seconds > 0 ? g_get_monotonic_time () + seconds * G_USEC_PER_SEC : 0;
}

void
sk_listener_got_headers (SkListener *self, SoupServerMessage *msg)
{
  g_return_if_fail (self != NULL);

  /* The body (at most max-body bytes) gets its own time. */
  set_deadline (connection_of (self, msg), self->limits.body_timeout);
}

static void
on_request_read (SoupServer *server, SoupServerMessage *msg, SkListener *self)
{
  /* The request is ours now: a slow answer is the database's, not the
   * client's, and writing it is bounded by the socket's own timeout. */
  set_deadline (connection_of (self, msg), 0);
}

static void
on_request_done (SoupServer *server, SoupServerMessage *msg, SkListener *self)
{
  /* Kept alive: the next request must come, whole head included, in time. */
  set_deadline (connection_of (self, msg), self->limits.idle_timeout);
}

static gboolean
on_sweep (gpointer user_data)
{
  SkListener    *self = user_data;
  gint64         now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer       value;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Connection *conn = value;

      if (conn->deadline != 0 && conn->deadline < now)
        connection_close (conn);
    }
  return G_SOURCE_CONTINUE;
}

/* Over the cap: a plain-HTTP client is told why, a TLS one just closed. */
static void
refuse (SkListener *self, GSocket *socket)
{
  if (self->certificate == NULL)
    sk_http_send_error (socket, SOUP_STATUS_SERVICE_UNAVAILABLE, "unavailable",
                        "The server has too many connections; try again in a moment");
  g_socket_close (socket, NULL);
  self->refused++;
}

static void
hand_to_soup (SkListener *self, Connection *conn, GIOStream *stream)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (conn->socket, NULL);
  g_autoptr (GError) error = NULL;

  if (local == NULL
      || !soup_server_accept_iostream (self->soup, stream, local, conn->remote, &error))
    {
      g_debug ("Cannot serve a connection: %s", error ? error->message : "no local address");
      connection_close (conn);
    }
}

static void
on_handshake (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GIOStream) tls = G_IO_STREAM (source);
  Connection *conn = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), result, &error))
    {
      /* Cancelled: the listener and @conn are gone. */
      g_debug ("TLS handshake failed: %s", error->message);
      g_io_stream_close (tls, NULL, NULL);
      return;
    }
  if (conn->stream != NULL)
    hand_to_soup (conn->listener, conn, tls);
}

static void
accept_one (SkListener *self, GSocket *socket)
{
  g_autoptr (GSocketConnection) tcp = NULL;
  g_autoptr (GError) error = NULL;
  Connection *conn;

  if (g_hash_table_size (self->connections) >= self->limits.max_connections)
    {
      refuse (self, socket);
      g_object_unref (socket);
      return;
    }
  conn = g_new0 (Connection, 1);
  conn->listener = self;
  conn->socket = socket;
  conn->remote = g_socket_get_remote_address (socket, NULL);
  if (conn->remote == NULL)
    {
      g_free (conn);
      g_socket_close (socket, NULL);
      g_object_unref (socket);
      return;
    }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  /* A read or write that makes no progress at all ends the connection. */
  g_socket_set_timeout (socket, self->limits.idle_timeout);
  tcp = g_socket_connection_factory_create_connection (socket);
  g_object_unref (socket); /* @tcp holds it */
  conn->stream = G_IO_STREAM (tcp);
  g_object_weak_ref (G_OBJECT (tcp), on_stream_gone, conn);
  g_hash_table_insert (self->connections, conn->remote, conn);
  set_deadline (conn, self->limits.header_timeout);

  if (self->certificate == NULL)
    {
      g_autoptr (GIOStream) guarded = sk_head_guard_wrap (G_IO_STREAM (tcp), socket);

      hand_to_soup (self, conn, guarded);
      return;
    }
  {
    GIOStream *tls = g_tls_server_connection_new (G_IO_STREAM (tcp), self->certificate, &error);

    if (tls == NULL)
      {
        g_warning ("Cannot start TLS: %s", error->message);
        connection_close (conn);
        return;
      }
    g_object_set (tls, "require-close-notify", FALSE, NULL);
    /* The handshake is part of the head's time: the sweep ends it too. */
    g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, self->cancellable,
                                      on_handshake, conn);
  }
}

static void
watch_incoming (SkListener *self)
{
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->accept_source, self->context);
}

static gboolean
on_retry (gpointer user_data)
{
  SkListener *self = user_data;

  g_clear_pointer (&self->retry_source, g_source_unref);
  watch_incoming (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocket *listening, GIOCondition condition, gpointer user_data)
{
  SkListener *self = user_data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      GSocket *socket = g_socket_accept (self->socket, NULL, &error);
      gint64   now;

      if (socket != NULL)
        {
          accept_one (self, socket);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      /* Out of descriptors (or another passing failure): the connection
       * waits in the backlog; accept again shortly instead of spinning. */
      now = g_get_monotonic_time ();
      if (now - self->warned_at > 10 * G_USEC_PER_SEC)
        {
          g_warning ("Cannot accept connections (%u open): %s; trying again",
                     g_hash_table_size (self->connections), error->message);
          self->warned_at = now;
        }
      g_clear_pointer (&self->accept_source, g_source_unref);
      self->retry_source = g_timeout_source_new (ACCEPT_RETRY_MS);
      g_source_set_callback (self->retry_source, on_retry, self, NULL);
      g_source_attach (self->retry_source, self->context);
      return G_SOURCE_REMOVE;
    }
}

/* libsoup 3.2 keeps a connection alive after a response only while the
 * SoupServer has a listener of its own (request_finished checks its list of
 * listeners). It gets one that can never accept: one end of a socket pair
 * whose other end nobody writes to. */
static gboolean
keep_alive_listener (SkListener *self, GError **error)
{
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s",
                   g_strerror (saved));
      return FALSE;
    }
  self->soup_ends[0] = g_socket_new_from_fd (fds[0], error);
  if (self->soup_ends[0] == NULL)
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  self->soup_ends[1] = g_socket_new_from_fd (fds[1], error);
  if (self->soup_ends[1] == NULL)
    {
      close (fds[1]);
      return FALSE;
    }
  return soup_server_listen_socket (self->soup, self->soup_ends[0], 0, error);
}

SkListener *
sk_listener_new (SoupServer             *soup,
                 GSocketAddress         *address,
                 GTlsCertificate        *certificate,
                 const SkListenerLimits *limits,
                 GError                **error)
{
  SkListener *self;
  g_autoptr (GSocketAddress) bound = NULL;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (address), NULL);
  g_return_val_if_fail (limits != NULL && limits->max_connections > 0, NULL);

  self = g_new0 (SkListener, 1);
  self->soup = g_object_ref (soup);
  self->certificate = certificate ? g_object_ref (certificate) : NULL;
  self->limits = *limits;
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify)connection_free);

  self->socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, error);
  if (self->socket == NULL)
    goto fail;
  g_socket_set_blocking (self->socket, FALSE);
  g_socket_set_listen_backlog (self->socket, 1024);
  if (!g_socket_bind (self->socket, address, TRUE, error) || !g_socket_listen (self->socket, error)
      || (bound = g_socket_get_local_address (self->socket, error)) == NULL
      || !keep_alive_listener (self, error))
    goto fail;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  g_signal_connect (soup, "request-read", G_CALLBACK (on_request_read), self);
  g_signal_connect (soup, "request-finished", G_CALLBACK (on_request_done), self);
  g_signal_connect (soup, "request-aborted", G_CALLBACK (on_request_done), self);
  self->sweep_source = g_timeout_source_new_seconds (1);
  g_source_set_callback (self->sweep_source, on_sweep, self, NULL);
  g_source_attach (self->sweep_source, self->context);
  watch_incoming (self);
  return self;

fail:
  sk_listener_free (self);
  return NULL;
}

guint
sk_listener_get_port (SkListener *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->port;
}

guint
sk_listener_get_n_connections (SkListener *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return g_hash_table_size (self->connections);
}

void
sk_listener_free (SkListener *self)
{
  if (self == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->soup, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->accept_source != NULL)
    g_source_destroy (self->accept_source);
  g_clear_pointer (&self->accept_source, g_source_unref);
  if (self->retry_source != NULL)
    g_source_destroy (self->retry_source);
  g_clear_pointer (&self->retry_source, g_source_unref);
  if (self->sweep_source != NULL)
    g_source_destroy (self->sweep_source);
  g_clear_pointer (&self->sweep_source, g_source_unref);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  for (guint i = 0; i < G_N_ELEMENTS (self->soup_ends); i++)
    g_clear_object (&self->soup_ends[i]);
  /* The connections are libsoup's to close (soup_server_disconnect). */
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_object (&self->certificate);
  g_clear_object (&self->soup);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self);
}
