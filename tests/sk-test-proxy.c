/* sk-test-proxy.c: a fault-injecting TCP proxy on loopback for the sync
 * tests. A GThreadedSocketService gives each client connection a thread of
 * its own that reads one HTTP message at a time (heads parsed by libsoup),
 * forwards it to the server on a connection of its own, and applies the
 * fault asked for to that exchange.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* memmem */

#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "sk-test-proxy.h"
#include "sk-test-server.h"

struct _SkTestProxy
{
  guint           upstream_port;
  SkTestLoop     *loop;
  GSocketService *service;

  GMutex lock;
  GCond  cond;
  /* What to do, and what was done (under lock). */
  SkTestProxyFault fault;
  char            *path_prefix;
  guint            skip;
  int              count;
  guint            delay_ms;
  guint            faulted;
  guint            dropped_ok;
  /* The client connections being served, to close them at the end. */
  GPtrArray *connections;
  gboolean   stopping;
};

/* One HTTP message: its bytes as they came, and what its head says. */
typedef struct
{
  GByteArray *raw;
  gsize       head_length;
  char       *path;   /* a request's */
  guint       status; /* a response's */
  gboolean    close;  /* the connection ends after it */
} Message;

static void
message_clear (Message *m)
{
  g_clear_pointer (&m->raw, g_byte_array_unref);
  g_clear_pointer (&m->path, g_free);
}

/* Reads at least one more byte into @buffer; FALSE at the end of the
 * stream or on an error. */
static gboolean
read_more (GInputStream *in, GByteArray *buffer)
{
  guint8 chunk[16384];
  gssize n = g_input_stream_read (in, chunk, sizeof chunk, NULL, NULL);

  if (n <= 0)
    return FALSE;
  g_byte_array_append (buffer, chunk, n);
  return TRUE;
}

/* The next message on @in: a request, or (@request FALSE) the response to
 * one. @buffer keeps what was read beyond it. FALSE when the peer closed
 * the connection before a whole message came. */
static gboolean
read_message (GInputStream *in, GByteArray *buffer, gboolean request, Message *m)
{
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (
      request ? SOUP_MESSAGE_HEADERS_REQUEST : SOUP_MESSAGE_HEADERS_RESPONSE);
  const guint8    *end = NULL;
  g_autofree char *head = NULL;
  SoupHTTPVersion  version;
  goffset          length = 0;
  gboolean         until_eof = FALSE;

  memset (m, 0, sizeof *m);
  while ((end = buffer->len >= 4 ? memmem (buffer->data, buffer->len, "\r\n\r\n", 4) : NULL)
         == NULL)
    if (!read_more (in, buffer))
      return FALSE;
  m->head_length = end + 4 - buffer->data;
  /* libsoup's parsers read the head as a string. */
  head = g_strndup ((const char *)buffer->data, m->head_length);
  if (request)
    {
      g_autofree char *method = NULL;

      g_assert_cmpuint (
          soup_headers_parse_request (head, m->head_length, headers, &method, &m->path, &version),
          ==, SOUP_STATUS_OK);
    }
  else
    g_assert_true (
        soup_headers_parse_response (head, m->head_length, headers, &version, &m->status, NULL));

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      length = soup_message_headers_get_content_length (headers);
      break;
    case SOUP_ENCODING_NONE:
      break;
    case SOUP_ENCODING_EOF:
      until_eof = !request;
      break;
    case SOUP_ENCODING_CHUNKED:
    case SOUP_ENCODING_BYTERANGES:
    case SOUP_ENCODING_UNRECOGNIZED:
    default:
      g_error ("The test proxy takes bodies with a Content-Length only");
    }
  m->close = until_eof || soup_message_headers_header_contains (headers, "Connection", "close")
             || (version == SOUP_HTTP_1_0
                 && !soup_message_headers_header_contains (headers, "Connection", "keep-alive"));
  if (until_eof)
    while (read_more (in, buffer))
      ;
  else
    while (buffer->len < m->head_length + length)
      if (!read_more (in, buffer))
        return FALSE;
  if (until_eof)
    length = buffer->len - m->head_length;

  m->raw = g_byte_array_sized_new (m->head_length + length);
  g_byte_array_append (m->raw, buffer->data, m->head_length + length);
  g_byte_array_remove_range (buffer, 0, m->head_length + length);
  return TRUE;
}

static gboolean
write_bytes (GSocketConnection *to, const guint8 *data, gsize length)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (to)), data, length,
                                    NULL, NULL, NULL);
}

/* Closes @connection with a reset (RST) rather than an orderly end. */
static void
reset (GSocketConnection *connection)
{
  /* Lingering on, for 0 seconds: close sends RST. */
  struct linger off = { 1, 0 };

  setsockopt (g_socket_get_fd (g_socket_connection_get_socket (connection)), SOL_SOCKET, SO_LINGER,
              &off, sizeof off);
  g_socket_close (g_socket_connection_get_socket (connection), NULL);
}

/* The fault for a request to @path, counted. */
static SkTestProxyFault
take_fault (SkTestProxy *self, const char *path, guint *delay_ms)
{
  SkTestProxyFault fault = SK_TEST_PROXY_PASS;

  g_mutex_lock (&self->lock);
  if (self->path_prefix == NULL || g_str_has_prefix (path, self->path_prefix))
    {
      if (self->skip > 0)
        self->skip--;
      else if (self->count != 0)
        {
          if (self->count > 0)
            self->count--;
          fault = self->fault;
          self->faulted++;
        }
    }
  *delay_ms = self->delay_ms;
  g_mutex_unlock (&self->lock);
  return fault;
}

/* Serves one client connection, an exchange at a time, in a thread of the
 * service's. */
static void
serve (SkTestProxy *self, GSocketConnection *client)
{
  g_autoptr (GSocketClient) connector = g_socket_client_new ();
  g_autoptr (GSocketConnection) upstream = NULL;
  g_autoptr (GByteArray) from_client = g_byte_array_new ();
  g_autoptr (GByteArray) from_server = g_byte_array_new ();
  GInputStream *client_in = g_io_stream_get_input_stream (G_IO_STREAM (client));

  upstream
      = g_socket_client_connect_to_host (connector, "127.0.0.1", self->upstream_port, NULL, NULL);
  if (upstream == NULL)
    return;
  for (;;)
    {
      Message          request, response = { 0 };
      SkTestProxyFault fault;
      guint            delay_ms;
      gboolean         ok;

      if (!read_message (client_in, from_client, TRUE, &request))
        {
          message_clear (&request);
          break;
        }
      fault = take_fault (self, request.path, &delay_ms);
      if (fault == SK_TEST_PROXY_RESET_REQUEST)
        {
          gsize body = request.raw->len - request.head_length;

          write_bytes (upstream, request.raw->data, request.head_length + body / 2);
          g_usleep (G_USEC_PER_SEC / 20);
          reset (upstream);
          reset (client);
          message_clear (&request);
          break;
        }
      if (fault == SK_TEST_PROXY_DELAY)
        g_usleep (delay_ms * (G_USEC_PER_SEC / 1000));
      ok = write_bytes (upstream, request.raw->data, request.raw->len)
           && read_message (g_io_stream_get_input_stream (G_IO_STREAM (upstream)), from_server,
                            FALSE, &response);
      message_clear (&request);
      if (!ok)
        {
          message_clear (&response);
          break;
        }
      if (fault == SK_TEST_PROXY_DROP_RESPONSE)
        {
          g_mutex_lock (&self->lock);
          if (response.status == SOUP_STATUS_OK)
            self->dropped_ok++;
          g_mutex_unlock (&self->lock);
          message_clear (&response);
          break;
        }
      if (fault == SK_TEST_PROXY_DELAY)
        g_usleep (delay_ms * (G_USEC_PER_SEC / 1000));
      ok = write_bytes (client, response.raw->data, response.raw->len) && !response.close;
      message_clear (&response);
      if (!ok)
        break;
    }
  g_io_stream_close (G_IO_STREAM (upstream), NULL, NULL);
}

static gboolean
on_run (GThreadedSocketService *service,
        GSocketConnection      *connection,
        GObject                *source,
        gpointer                user_data)
{
  SkTestProxy *self = user_data;

  g_mutex_lock (&self->lock);
  if (self->stopping)
    {
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  g_ptr_array_add (self->connections, connection);
  g_mutex_unlock (&self->lock);

  serve (self, connection);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_mutex_lock (&self->lock);
  g_ptr_array_remove_fast (self->connections, connection);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static guint
proxy_start (gpointer data)
{
  SkTestProxy *self = data;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  self->service = g_threaded_socket_service_new (32);
  g_signal_connect (self->service, "run", G_CALLBACK (on_run), self);
  g_assert_true (g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                                &bound, &error));
  g_assert_no_error (error);
  g_socket_service_start (self->service);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
proxy_stop (gpointer data)
{
  SkTestProxy *self = data;

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
}

SkTestProxy *
sk_test_proxy_new (guint upstream_port)
{
  SkTestProxy *self = g_new0 (SkTestProxy, 1);

  self->upstream_port = upstream_port;
  self->connections = g_ptr_array_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->loop = sk_test_loop_start ("test-proxy", proxy_start, proxy_stop, self);
  return self;
}

guint
sk_test_proxy_get_port (SkTestProxy *self)
{
  return sk_test_loop_get_port (self->loop);
}

void
sk_test_proxy_set_fault (SkTestProxy     *self,
                         SkTestProxyFault fault,
                         const char      *path_prefix,
                         guint            skip,
                         int              count,
                         guint            delay_ms)
{
  g_mutex_lock (&self->lock);
  self->fault = fault;
  g_free (self->path_prefix);
  self->path_prefix = g_strdup (path_prefix);
  self->skip = skip;
  self->count = count;
  self->delay_ms = delay_ms;
  self->faulted = 0;
  self->dropped_ok = 0;
  g_mutex_unlock (&self->lock);
}

guint
sk_test_proxy_get_faulted (SkTestProxy *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->faulted;
}

guint
sk_test_proxy_get_dropped_ok (SkTestProxy *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  return self->dropped_ok;
}

void
sk_test_proxy_free (SkTestProxy *self)
{
  sk_test_loop_stop (self->loop);

  /* Wake the threads still reading from idle connections, and wait for
   * them: they use this struct. */
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  for (guint i = 0; i < self->connections->len; i++)
    g_socket_shutdown (g_socket_connection_get_socket (g_ptr_array_index (self->connections, i)),
                       TRUE, TRUE, NULL);
  while (self->connections->len > 0)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);

  g_object_unref (self->service);
  g_ptr_array_unref (self->connections);
  g_free (self->path_prefix);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}
