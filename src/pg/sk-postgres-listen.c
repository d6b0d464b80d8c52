/* sk-postgres-listen.c: a thread that LISTENs on one PostgreSQL channel, so
 * that a server learns at once of what another server (or an operator in
 * psql) changed, and may keep what it would otherwise read every time.
 *
 * The thread holds its own connection and blocks in poll () on its socket
 * and on a pipe that stop writes to. A lost connection is reported, then
 * made again every second until it listens anew.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-postgres"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include "sk-postgres.h"

#define RETRY_MS 1000

struct _SkPostgresListener
{
  char                *uri;
  char                *channel;
  SkPostgresNotifyFunc func;
  gpointer             user_data;
  GThread             *thread;
  int                  wake[2]; /* written to by sk_postgres_listener_free */
};

/* Waits for @fd to be readable, or @timeout_ms; FALSE once asked to stop. */
static gboolean
wait_readable (SkPostgresListener *self, int fd, int timeout_ms)
{
  struct pollfd fds[2] = {
    { .fd = self->wake[0], .events = POLLIN },
    { .fd = fd, .events = POLLIN },
  };

  while (poll (fds, fd < 0 ? 1 : 2, timeout_ms) < 0)
    if (errno != EINTR)
      break;
  return (fds[0].revents & POLLIN) == 0;
}

static PGconn *
listen_connect (SkPostgresListener *self)
{
  /* The name lets an operator (and a test) see this connection in pg_stat_activity. */
  const char *const keys[] = { "dbname", "application_name", NULL };
  const char *const values[] = { self->uri, "skidka-server listener", NULL };
  PGconn           *pg = PQconnectdbParams (keys, values, TRUE);
  g_autofree char  *sql = NULL;
  PGresult         *result;
  gboolean          ok;

  if (PQstatus (pg) != CONNECTION_OK)
    {
      PQfinish (pg);
      return NULL;
    }
  sql = g_strdup_printf ("LISTEN \"%s\"", self->channel);
  result = PQexec (pg, sql);
  ok = PQresultStatus (result) == PGRES_COMMAND_OK;
  if (!ok)
    g_warning ("Cannot listen on %s: %s", self->channel, PQresultErrorMessage (result));
  PQclear (result);
  if (!ok)
    {
      PQfinish (pg);
      return NULL;
    }
  return pg;
}

static gpointer
listen_thread (gpointer data)
{
  SkPostgresListener *self = data;
  gboolean            warned = FALSE;

  for (;;)
    {
      PGconn  *pg = listen_connect (self);
      gboolean lost = FALSE;

      if (pg == NULL)
        {
          if (!warned)
            g_message ("Cannot listen on PostgreSQL for changes; trying again every second");
          warned = TRUE;
          if (!wait_readable (self, -1, RETRY_MS))
            return NULL;
          continue;
        }
      warned = FALSE;
      self->func (TRUE, self->user_data);

      while (!lost && wait_readable (self, PQsocket (pg), -1))
        {
          PGnotify *notify;

          lost = !PQconsumeInput (pg);
          while (!lost && (notify = PQnotifies (pg)) != NULL)
            {
              PQfreemem (notify);
              self->func (TRUE, self->user_data);
            }
        }
      PQfinish (pg);
      if (!lost)
        return NULL; /* asked to stop */
      g_message ("The PostgreSQL connection that listens for changes was lost; connecting again");
      self->func (FALSE, self->user_data);
    }
}

SkPostgresListener *
sk_postgres_listen (const char          *uri,
                    const char          *channel,
                    SkPostgresNotifyFunc func,
                    gpointer             user_data,
                    GError             **error)
{
  SkPostgresListener *self;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (channel != NULL && strchr (channel, '"') == NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (SkPostgresListener, 1);
  if (!g_unix_open_pipe (self->wake, FD_CLOEXEC, error))
    {
      g_free (self);
      return NULL;
    }
  self->uri = g_strdup (uri);
  self->channel = g_strdup (channel);
  self->func = func;
  self->user_data = user_data;
  self->thread = g_thread_new ("pg-listen", listen_thread, self);
  return self;
}

void
sk_postgres_listener_free (SkPostgresListener *self)
{
  if (self == NULL)
    return;
  while (write (self->wake[1], "x", 1) < 0 && errno == EINTR)
    ;
  g_thread_join (self->thread);
  close (self->wake[0]);
  close (self->wake[1]);
  g_free (self->uri);
  g_free (self->channel);
  g_free (self);
}
