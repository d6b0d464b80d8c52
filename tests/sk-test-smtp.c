/* sk-test-smtp.c: a small SMTP server on loopback for the tests: each
 * connection in a thread of its own, blocking I/O, what it is sent kept.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "sk-test-smtp.h"

struct _SkTestSmtp
{
  GSocket      *listener;
  GCancellable *cancellable;
  GThread      *accept_thread;
  GMutex        mutex;
  GPtrArray    *mails;
  GPtrArray    *threads;
  guint         connections;
  guint         port;
};

static void
mail_free (SkTestMail *mail)
{
  g_free (mail->from);
  g_free (mail->to);
  g_free (mail->data);
  g_free (mail);
}

typedef struct
{
  SkTestSmtp *smtp;
  GSocket    *socket;
} Connection;

static gboolean
say (GOutputStream *out, const char *line)
{
  return g_output_stream_write_all (out, line, strlen (line), NULL, NULL, NULL);
}

static char *
address_of (const char *arg)
{
  const char *open = strchr (arg, '<');
  const char *close = open != NULL ? strchr (open, '>') : NULL;

  return close != NULL ? g_strndup (open + 1, close - open - 1) : g_strdup (arg);
}

static gpointer
serve (gpointer data)
{
  Connection *c = data;
  g_autoptr (GSocketConnection) connection
      = g_socket_connection_factory_create_connection (c->socket);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr (GDataInputStream) in
      = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  say (out, "220 sink ESMTP\r\n");
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, c->smtp->cancellable, NULL);

      if (line == NULL)
        break;
      if (g_ascii_strncasecmp (line, "EHLO", 4) == 0)
        say (out, "250-sink\r\n250-8BITMIME\r\n250 SIZE 10000000\r\n");
      else if (g_ascii_strncasecmp (line, "HELO", 4) == 0
               || g_ascii_strncasecmp (line, "NOOP", 4) == 0)
        say (out, "250 OK\r\n");
      else if (g_ascii_strncasecmp (line, "RSET", 4) == 0)
        {
          g_clear_pointer (&from, g_free);
          g_clear_pointer (&to, g_free);
          say (out, "250 OK\r\n");
        }
      else if (g_ascii_strncasecmp (line, "MAIL FROM:", 10) == 0)
        {
          g_free (from);
          from = address_of (line + 10);
          say (out, "250 OK\r\n");
        }
      else if (g_ascii_strncasecmp (line, "RCPT TO:", 8) == 0)
        {
          g_autofree char *rcpt = address_of (line + 8);

          if (g_str_has_prefix (rcpt, "reject"))
            say (out, "550 5.1.1 No such mailbox here\r\n");
          else
            {
              if (to == NULL)
                to = g_steal_pointer (&rcpt);
              say (out, "250 OK\r\n");
            }
        }
      else if (g_ascii_strncasecmp (line, "DATA", 4) == 0)
        {
          GString    *text = g_string_new (NULL);
          SkTestMail *mail;

          say (out, "354 Go on\r\n");
          for (;;)
            {
              g_autofree char *body_line
                  = g_data_input_stream_read_line (in, NULL, c->smtp->cancellable, NULL);

              if (body_line == NULL || g_str_equal (body_line, "."))
                break;
              g_string_append (text, body_line[0] == '.' ? body_line + 1 : body_line);
              g_string_append (text, "\r\n");
            }
          mail = g_new0 (SkTestMail, 1);
          mail->from = g_steal_pointer (&from);
          mail->to = g_steal_pointer (&to);
          mail->data = g_string_free (text, FALSE);
          g_mutex_lock (&c->smtp->mutex);
          g_ptr_array_add (c->smtp->mails, mail);
          g_mutex_unlock (&c->smtp->mutex);
          say (out, "250 OK queued\r\n");
        }
      else if (g_ascii_strncasecmp (line, "QUIT", 4) == 0)
        {
          say (out, "221 Bye\r\n");
          break;
        }
      else
        say (out, "502 Not here\r\n");
    }
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  g_object_unref (c->socket);
  g_free (c);
  return NULL;
}

static gpointer
accept_loop (gpointer data)
{
  SkTestSmtp *self = data;

  for (;;)
    {
      GSocket    *socket = g_socket_accept (self->listener, self->cancellable, NULL);
      Connection *c;

      if (socket == NULL)
        break;
      c = g_new0 (Connection, 1);
      c->smtp = self;
      c->socket = socket;
      g_mutex_lock (&self->mutex);
      self->connections++;
      g_ptr_array_add (self->threads, g_thread_new ("smtp-sink", serve, c));
      g_mutex_unlock (&self->mutex);
    }
  return NULL;
}

SkTestSmtp *
sk_test_smtp_start (void)
{
  SkTestSmtp *self = g_new0 (SkTestSmtp, 1);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_mutex_init (&self->mutex);
  self->mails = g_ptr_array_new_with_free_func ((GDestroyNotify)mail_free);
  self->threads = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  self->listener
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (self->listener, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (self->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (self->listener, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->accept_thread = g_thread_new ("smtp-accept", accept_loop, self);
  return self;
}

guint
sk_test_smtp_get_port (SkTestSmtp *self)
{
  return self->port;
}

GPtrArray *
sk_test_smtp_mails (SkTestSmtp *self)
{
  GPtrArray *copy = g_ptr_array_new ();

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->mails->len; i++)
    g_ptr_array_add (copy, g_ptr_array_index (self->mails, i));
  g_mutex_unlock (&self->mutex);
  return copy;
}

guint
sk_test_smtp_count (SkTestSmtp *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  return self->mails->len;
}

guint
sk_test_smtp_connections (SkTestSmtp *self)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->mutex);

  return self->connections;
}

void
sk_test_smtp_stop (SkTestSmtp *self)
{
  g_cancellable_cancel (self->cancellable);
  g_thread_join (self->accept_thread);
  /* A connection thread ends when its client closes or the read is
   * cancelled. */
  for (guint i = 0; i < self->threads->len; i++)
    g_thread_join (g_ptr_array_index (self->threads, i));
  g_ptr_array_unref (self->threads);
  g_socket_close (self->listener, NULL);
  g_object_unref (self->listener);
  g_object_unref (self->cancellable);
  g_ptr_array_unref (self->mails);
  g_mutex_clear (&self->mutex);
  g_free (self);
}
