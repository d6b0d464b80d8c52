/* sk-server-head-guard.c: request heads checked before libsoup reads them, so that what it would
 * refuse with an empty answer (or a reset) gets our error JSON.
 *
 * libsoup 3.2 answers a request line it cannot parse (a bad percent escape,
 * not HTTP at all) with an empty 400, and drops a connection whose head
 * passes 64 KiB without a word. The guard sits between the socket and
 * libsoup: it passes every byte through unchanged while it follows the
 * requests (a head, then Content-Length bytes of body) and, when a head is
 * one libsoup would refuse, writes our answer to the socket itself and
 * fails the read, so libsoup drops the connection. Plain HTTP only: a TLS
 * connection goes to libsoup as it is (it must see a GTlsConnection).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <string.h>

#include "sk-server-private.h"

/* Below libsoup's own 64 KiB, so ours answers first. */
#define LINE_LIMIT (8 * 1024)
#define HEAD_LIMIT (32 * 1024)

void
sk_http_send_error (GSocket *socket, guint status, const char *code, const char *message)
{
  g_autoptr (JsonNode) node = sk_error_to_json (code, message, NULL);
  g_autofree char *body = sk_json_to_string (node, FALSE);
  g_autofree char *text = g_strdup_printf (
      "HTTP/1.1 %u %s\r\n"
      "Content-Type: application/json; charset=utf-8\r\n"
      "Content-Length: %zu\r\n"
      "%s"
      "Connection: close\r\n\r\n%s",
      status, soup_status_get_phrase (status), strlen (body),
      status == SOUP_STATUS_SERVICE_UNAVAILABLE ? "Retry-After: 1\r\n" : "", body);
  char discard[4096];

  g_socket_set_blocking (socket, FALSE);
  /* Unread request bytes would turn the close into a reset that can
   * discard the answer at the client. */
  while (g_socket_receive (socket, discard, sizeof discard, NULL, NULL) > 0)
    ;
  g_socket_send (socket, text, strlen (text), NULL, NULL);
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
}

/* The converter: bytes in, the same bytes out, heads watched. */

typedef enum
{
  IN_HEAD,
  IN_BODY,
  PASSING, /* a chunked body: no more heads to find on this connection */
} State;

struct _SkHeadGuard
{
  GObject     parent_instance;
  GSocket    *socket;
  State       state;
  GByteArray *head;
  guint64     body_left;
  gboolean    line_checked;
};

#define SK_TYPE_HEAD_GUARD (sk_head_guard_get_type ())
G_DECLARE_FINAL_TYPE (SkHeadGuard, sk_head_guard, SK, HEAD_GUARD, GObject)

static void sk_head_guard_converter_init (GConverterIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SkHeadGuard,
                               sk_head_guard,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER,
                                                      sk_head_guard_converter_init))

/* Is this request line one libsoup parses: METHOD SP TARGET SP HTTP/1.x,
 * every '%' of the target followed by two hex digits? */
static gboolean
request_line_valid (const char *line, gsize length)
{
  const char *space = memchr (line, ' ', length);
  const char *target, *end;

  if (space == NULL || space == line)
    return FALSE;
  target = space + 1;
  end = memchr (target, ' ', length - (target - line));
  if (end == NULL || end == target || length - (end + 1 - line) != 8
      || memcmp (end + 1, "HTTP/1.", 7) != 0)
    return FALSE;
  for (const char *p = target; p < end; p++)
    if (*p == '%' && (end - p < 3 || !g_ascii_isxdigit (p[1]) || !g_ascii_isxdigit (p[2])))
      return FALSE;
  return TRUE;
}

/* Content-Length of a complete head, or chunked; FALSE if it has none. */
static void
head_body (SkHeadGuard *self)
{
  g_autofree char *text = g_strndup ((const char *)self->head->data, self->head->len);
  g_auto (GStrv) lines = g_strsplit (text, "\r\n", -1);

  self->body_left = 0;
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char      *colon = strchr (lines[i], ':');
      g_autofree char *name = colon ? g_ascii_strdown (lines[i], colon - lines[i]) : NULL;
      g_autofree char *value = colon ? g_strstrip (g_strdup (colon + 1)) : NULL;

      if (name == NULL)
        continue;
      if (g_str_equal (name, "content-length"))
        g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &self->body_left, NULL);
      else if (g_str_equal (name, "transfer-encoding"))
        self->state = PASSING;
    }
}

static gboolean
refuse (SkHeadGuard *self, guint status, const char *message, GError **error)
{
  sk_http_send_error (self->socket, status,
                      status < 500 && status != 414 && status != 431 ? "malformed" : "too_large",
                      message);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return FALSE;
}

/* Follows one byte; FALSE (and the answer sent) when the head is refused. */
static gboolean
follow (SkHeadGuard *self, guint8 byte, GError **error)
{
  switch (self->state)
    {
    case PASSING:
      return TRUE;
    case IN_BODY:
      if (--self->body_left == 0)
        self->state = IN_HEAD;
      return TRUE;
    case IN_HEAD:
    default:
      break;
    }
  /* Empty lines before a request are allowed (RFC 9112, 2.2). */
  if (self->head->len == 0 && (byte == '\r' || byte == '\n'))
    return TRUE;
  g_byte_array_append (self->head, &byte, 1);
  if (!self->line_checked && byte == '\n')
    {
      gsize length = self->head->len - 1;

      if (length > 0 && self->head->data[length - 1] == '\r')
        length--;
      self->line_checked = TRUE;
      if (!request_line_valid ((const char *)self->head->data, length))
        return refuse (
            self, SOUP_STATUS_BAD_REQUEST,
            "The request line is not valid HTTP (method, target with valid %-escapes, version)",
            error);
    }
  if (!self->line_checked && self->head->len > LINE_LIMIT)
    return refuse (self, SOUP_STATUS_REQUEST_URI_TOO_LONG, "The request line is too long", error);
  if (self->head->len > HEAD_LIMIT)
    return refuse (self, 431, "The request's headers are too large", error);
  if (self->head->len >= 4 && memcmp (self->head->data + self->head->len - 4, "\r\n\r\n", 4) == 0)
    {
      head_body (self);
      g_byte_array_set_size (self->head, 0);
      self->line_checked = FALSE;
      if (self->state == IN_HEAD && self->body_left > 0)
        self->state = IN_BODY;
    }
  return TRUE;
}

static GConverterResult
sk_head_guard_convert (GConverter     *converter,
                       const void     *inbuf,
                       gsize           inbuf_size,
                       void           *outbuf,
                       gsize           outbuf_size,
                       GConverterFlags flags,
                       gsize          *bytes_read,
                       gsize          *bytes_written,
                       GError        **error)
{
  SkHeadGuard *self = SK_HEAD_GUARD (converter);
  gsize        n = MIN (inbuf_size, outbuf_size);

  if (inbuf_size > 0 && outbuf_size == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "No space");
      return G_CONVERTER_ERROR;
    }
  for (gsize i = 0; i < n && self->state != PASSING; i++)
    {
      /* A body passes whole; only heads are read byte by byte. */
      if (self->state == IN_BODY && self->body_left > 1)
        {
          gsize skip = MIN (self->body_left - 1, n - i - 1);

          self->body_left -= skip;
          i += skip;
        }
      if (!follow (self, ((const guint8 *)inbuf)[i], error))
        return G_CONVERTER_ERROR;
    }
  memcpy (outbuf, inbuf, n);
  *bytes_read = *bytes_written = n;
  if ((flags & G_CONVERTER_INPUT_AT_END) && n == inbuf_size)
    return G_CONVERTER_FINISHED;
  if ((flags & G_CONVERTER_FLUSH) && n == inbuf_size)
    return G_CONVERTER_FLUSHED;
  return G_CONVERTER_CONVERTED;
}

static void
sk_head_guard_reset (GConverter *converter)
{
  SkHeadGuard *self = SK_HEAD_GUARD (converter);

  self->state = IN_HEAD;
  self->line_checked = FALSE;
  g_byte_array_set_size (self->head, 0);
}

static void
sk_head_guard_converter_init (GConverterIface *iface)
{
  iface->convert = sk_head_guard_convert;
  iface->reset = sk_head_guard_reset;
}

static void
sk_head_guard_finalize (GObject *object)
{
  SkHeadGuard *self = SK_HEAD_GUARD (object);

  g_byte_array_unref (self->head);
  g_clear_object (&self->socket);
  G_OBJECT_CLASS (sk_head_guard_parent_class)->finalize (object);
}

static void
sk_head_guard_class_init (SkHeadGuardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sk_head_guard_finalize;
}

static void
sk_head_guard_init (SkHeadGuard *self)
{
  self->head = g_byte_array_new ();
}

/* The stream libsoup gets: the guarded input, the socket's own output, and
 * closing it closes the connection underneath. */

struct _SkGuardedStream
{
  GIOStream     parent_instance;
  GIOStream    *base;
  GInputStream *input;
};

#define SK_TYPE_GUARDED_STREAM (sk_guarded_stream_get_type ())
G_DECLARE_FINAL_TYPE (SkGuardedStream, sk_guarded_stream, SK, GUARDED_STREAM, GIOStream)
G_DEFINE_FINAL_TYPE (SkGuardedStream, sk_guarded_stream, G_TYPE_IO_STREAM)

static GInputStream *
sk_guarded_stream_get_input_stream (GIOStream *stream)
{
  return SK_GUARDED_STREAM (stream)->input;
}

static GOutputStream *
sk_guarded_stream_get_output_stream (GIOStream *stream)
{
  return g_io_stream_get_output_stream (SK_GUARDED_STREAM (stream)->base);
}

static gboolean
sk_guarded_stream_close_fn (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  SkGuardedStream *self = SK_GUARDED_STREAM (stream);

  /* The converter stream would close the socket's input stream only, which
   * leaves the socket open. */
  g_input_stream_close (self->input, cancellable, NULL);
  return g_io_stream_close (self->base, cancellable, error);
}

static void
sk_guarded_stream_finalize (GObject *object)
{
  SkGuardedStream *self = SK_GUARDED_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (sk_guarded_stream_parent_class)->finalize (object);
}

static void
sk_guarded_stream_class_init (SkGuardedStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = sk_guarded_stream_finalize;
  stream_class->get_input_stream = sk_guarded_stream_get_input_stream;
  stream_class->get_output_stream = sk_guarded_stream_get_output_stream;
  stream_class->close_fn = sk_guarded_stream_close_fn;
}

static void
sk_guarded_stream_init (SkGuardedStream *self)
{
}

GIOStream *
sk_head_guard_wrap (GIOStream *base, GSocket *socket)
{
  g_autoptr (SkHeadGuard) guard = g_object_new (SK_TYPE_HEAD_GUARD, NULL);
  SkGuardedStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (base) && G_IS_SOCKET (socket), NULL);

  guard->socket = g_object_ref (socket);
  self = g_object_new (SK_TYPE_GUARDED_STREAM, NULL);
  self->base = g_object_ref (base);
  self->input
      = g_converter_input_stream_new (g_io_stream_get_input_stream (base), G_CONVERTER (guard));
  return G_IO_STREAM (self);
}
