/* bench-connections.c: connection churn against skidka-server; its RSS must stay flat.
 *
 * Opens N TCP connections, K at a time, each sending GET /api/health
 * (R requests kept alive, the last with Connection: close; R = 1 by
 * default) and reading until the server closes it. Prints the server's
 * VmRSS before, at every 10 % and a few seconds after, with requests per
 * second and every failure by kind. A server that keeps something per
 * connection shows it as "bytes kept per connection".
 *   bench-connections [--connections N] [--concurrency K] [--requests-per-connection R]
 *                     [--settle S] [--url URL --pid PID | --server PATH --nofile N]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "bench-server-child.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-util.h"

#define BUFFER_SIZE     8192
#define SLOT_TIMEOUT_US (10 * G_USEC_PER_SEC)

typedef enum
{
  SLOT_IDLE,
  SLOT_CONNECTING,
  SLOT_WAITING, /* for an answer, or for the close after the last one */
} SlotState;

typedef struct
{
  int       fd;
  guint32   index;
  guint32   generation; /* of the fd: events of an older one are stale */
  SlotState state;
  int       sent; /* requests sent on this connection */
  int       answered;
  gint64    deadline;
  gsize     length;
  char      buffer[BUFFER_SIZE];
} Slot;

typedef struct
{
  guint64     connections;  /* finished, well or not */
  guint64     ok;           /* answers 200 */
  guint64     other_status; /* answers that were not 200 */
  guint64     cut_short;    /* answers with Connection: close before the R-th */
  guint64     unannounced;  /* kept-alive connections closed with a request unanswered */
  guint64     errors;       /* no answer: refused, reset, timed out... */
  GHashTable *kinds;        /* what went wrong -> count */
} Counts;

static void
count_error (Counts *counts, const char *kind)
{
  gpointer old = g_hash_table_lookup (counts->kinds, kind);

  counts->errors++;
  g_hash_table_replace (counts->kinds, (gpointer)kind,
                        GSIZE_TO_POINTER (GPOINTER_TO_SIZE (old) + 1));
}

static const char *
errno_kind (int number)
{
  switch (number)
    {
    case ECONNREFUSED:
      return "connect refused";
    case ECONNRESET:
      return "reset by the server";
    case ETIMEDOUT:
      return "timed out";
    case EADDRNOTAVAIL:
      return "no local port left (EADDRNOTAVAIL)";
    case EMFILE:
      return "our descriptors ran out (EMFILE)";
    default:
      return "other socket error";
    }
}

/* The status and the whole length of a complete answer at the start of
 * the buffer, or FALSE while more is to come. */
static gboolean
parse_answer (Slot *slot, guint *status, gsize *total, gboolean *closing)
{
  const char *end = g_strstr_len (slot->buffer, slot->length, "\r\n\r\n");
  const char *line;
  gsize       header, content = 0;

  if (end == NULL)
    return FALSE;
  header = end + 4 - slot->buffer;
  *status = slot->length >= 12 && strncmp (slot->buffer, "HTTP/1.", 7) == 0
                ? (guint)g_ascii_strtoull (slot->buffer + 9, NULL, 10)
                : 0;
  *closing = FALSE;
  for (line = slot->buffer; line != NULL && line < end;
       line = strstr (line, "\r\n"), line = line ? line + 2 : NULL)
    {
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        content = g_ascii_strtoull (line + 15, NULL, 10);
      else if (g_ascii_strncasecmp (line, "Connection: close", 17) == 0)
        *closing = TRUE;
    }
  if (slot->length < header + content)
    return FALSE;
  *total = header + content;
  return TRUE;
}

typedef struct
{
  BenchServer *server;
  int          epoll;
  Slot        *slots;
  int          concurrency;
  int          per_connection;
  guint64      target; /* connections to make */
  guint64      started;
  Counts       counts;
  char        *request_keep;
  char        *request_close;
} Churn;

static void
slot_close (Churn *churn, Slot *slot)
{
  epoll_ctl (churn->epoll, EPOLL_CTL_DEL, slot->fd, NULL);
  close (slot->fd);
  slot->fd = -1;
  slot->state = SLOT_IDLE;
  churn->counts.connections++;
}

static void
slot_open (Churn *churn, Slot *slot)
{
  struct epoll_event event = { .events = EPOLLOUT };

  while (churn->started < churn->target)
    {
      churn->started++;
      slot->fd = bench_server_connect (churn->server);
      if (slot->fd < 0)
        {
          count_error (&churn->counts, errno_kind (errno));
          churn->counts.connections++;
          /* Out of local ports: give the kernel's TIME_WAIT a moment. */
          if (errno == EADDRNOTAVAIL)
            g_usleep (10 * 1000);
          continue;
        }
      slot->generation++;
      event.data.u64 = (guint64)slot->generation << 32 | slot->index;
      slot->state = SLOT_CONNECTING;
      slot->sent = slot->answered = 0;
      slot->length = 0;
      slot->deadline = g_get_monotonic_time () + SLOT_TIMEOUT_US;
      epoll_ctl (churn->epoll, EPOLL_CTL_ADD, slot->fd, &event);
      return;
    }
}

static gboolean
slot_send (Churn *churn, Slot *slot)
{
  const char *request
      = slot->sent + 1 < churn->per_connection ? churn->request_keep : churn->request_close;
  gsize              length = strlen (request);
  struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP,
                               .data.u64 = (guint64)slot->generation << 32 | slot->index };

  /* A request this small leaves in one piece on a fresh socket buffer. */
  if (send (slot->fd, request, length, MSG_NOSIGNAL) != (ssize_t)length)
    return FALSE;
  slot->sent++;
  slot->state = SLOT_WAITING;
  slot->deadline = g_get_monotonic_time () + SLOT_TIMEOUT_US;
  epoll_ctl (churn->epoll, EPOLL_CTL_MOD, slot->fd, &event);
  return TRUE;
}

static void
slot_fail (Churn *churn, Slot *slot, const char *kind)
{
  count_error (&churn->counts, kind);
  slot_close (churn, slot);
  slot_open (churn, slot);
}

static void
slot_ready (Churn *churn, Slot *slot, guint32 events)
{
  if (slot->state == SLOT_CONNECTING)
    {
      int       failure = 0;
      socklen_t length = sizeof failure;

      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        return;
      getsockopt (slot->fd, SOL_SOCKET, SO_ERROR, &failure, &length);
      if (failure != 0)
        slot_fail (churn, slot, errno_kind (failure));
      else if (!slot_send (churn, slot))
        slot_fail (churn, slot, errno_kind (errno));
      return;
    }

  for (;;)
    {
      ssize_t  n = recv (slot->fd, slot->buffer + slot->length, BUFFER_SIZE - 1 - slot->length, 0);
      guint    status;
      gsize    total;
      gboolean closing;

      if (n < 0 && errno == EAGAIN) /* EWOULDBLOCK is EAGAIN on Linux */
        return;
      if (n <= 0 && slot->answered > 0 && slot->answered + 1 == slot->sent && slot->length == 0)
        {
          /* Closed a kept-alive connection after an answer that did not
           * say Connection: close: the next request went unanswered. */
          churn->counts.unannounced++;
          slot_close (churn, slot);
          slot_open (churn, slot);
          return;
        }
      if (n < 0)
        {
          slot_fail (churn, slot, errno_kind (errno));
          return;
        }
      if (n == 0)
        {
          if (slot->answered == slot->sent && slot->sent == churn->per_connection)
            {
              slot_close (churn, slot); /* as asked: closed after the last answer */
              slot_open (churn, slot);
            }
          else
            slot_fail (churn, slot, "closed in the middle of an answer");
          return;
        }
      slot->length += n;
      slot->buffer[slot->length] = '\0';
      if (!parse_answer (slot, &status, &total, &closing))
        {
          if (slot->length >= BUFFER_SIZE - 1)
            slot_fail (churn, slot, "answer too long");
          continue;
        }
      slot->answered++;
      if (status == 200)
        churn->counts.ok++;
      else
        churn->counts.other_status++;
      memmove (slot->buffer, slot->buffer + total, slot->length - total);
      slot->length -= total;
      if (slot->sent < churn->per_connection && !closing)
        {
          if (!slot_send (churn, slot))
            slot_fail (churn, slot, errno_kind (errno));
          return;
        }
      if (closing && slot->sent < churn->per_connection)
        {
          churn->counts.cut_short++;
          slot->sent = churn->per_connection; /* wait for the close it announced */
        }
    }
}

static void
print_row (const char  *label,
           BenchServer *server,
           Churn       *churn,
           double       seconds,
           guint64      requests,
           gint64       rss0)
{
  gint64 rss = bench_server_rss_kb (server);
  int    fds = bench_server_fd_count (server);

  if (rss >= 0)
    g_print ("%-7s %10" G_GUINT64_FORMAT " conn %11" G_GUINT64_FORMAT " req %8.1f s %9.0f req/s"
             "   RSS %8.1f MB (%+8.1f)   fds %5d   errors %" G_GUINT64_FORMAT "\n",
             label, churn->counts.connections, requests, seconds,
             seconds > 0 ? requests / seconds : 0.0, rss / 1024.0, (rss - rss0) / 1024.0, fds,
             churn->counts.errors);
  else
    g_print ("%-7s %10" G_GUINT64_FORMAT " conn %11" G_GUINT64_FORMAT " req %8.1f s %9.0f req/s"
             "   RSS unknown (no --pid)   errors %" G_GUINT64_FORMAT "\n",
             label, churn->counts.connections, requests, seconds,
             seconds > 0 ? requests / seconds : 0.0, churn->counts.errors);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- churn connections against skidka-server");
  BenchServerOptions server_options = { 0 };
  BenchServer        server = { 0 };
  gint64             connections = 1000000;
  gint               concurrency = 32, per_connection = 1, settle = 5;
  GOptionEntry       entries[] = {
          { "connections", 'n', 0, G_OPTION_ARG_INT64, &connections, "Connections to make (1000000)",
            "N" },
          { "concurrency", 'k', 0, G_OPTION_ARG_INT, &concurrency, "Connections open at once (32)", "K" },
          { "requests-per-connection", 'r', 0, G_OPTION_ARG_INT, &per_connection,
            "Requests per connection, kept alive; the last says Connection: close (1)", "R" },
          { "settle", 0, 0, G_OPTION_ARG_INT, &settle, "Seconds to wait before the last RSS (5)", "S" },
          { NULL }
  };
  Churn          churn = { 0 };
  struct rlimit  limit;
  gint64         rss0, rss_after, started;
  guint64        next_report, step;
  int            tenth = 0;
  GHashTableIter iter;
  gpointer       kind, count;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, bench_server_option_group (&server_options));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (connections < 1 || concurrency < 1 || per_connection < 1)
    {
      g_printerr ("--connections, --concurrency and --requests-per-connection must be positive\n");
      return 2;
    }
  /* Our own descriptors: one per connection in flight, and some. */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }

  if (!bench_server_start (&server, &server_options, argv[0], &error))
    {
      g_printerr ("bench-connections: %s\n", error->message);
      bench_server_stop (&server);
      return 1;
    }

  churn.server = &server;
  churn.target = connections;
  churn.concurrency = concurrency;
  churn.per_connection = per_connection;
  churn.counts.kinds = g_hash_table_new (g_str_hash, g_str_equal);
  churn.request_keep = g_strdup_printf ("GET /api/health HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
                                        server.host, server.port);
  churn.request_close
      = g_strdup_printf ("GET /api/health HTTP/1.1\r\nHost: %s:%u\r\nConnection: close\r\n\r\n",
                         server.host, server.port);
  churn.epoll = epoll_create1 (EPOLL_CLOEXEC);
  churn.slots = g_new0 (Slot, concurrency);
  for (int i = 0; i < concurrency; i++)
    churn.slots[i].index = i;

  g_print ("server http://%s:%u/ (pid %d): %" G_GINT64_FORMAT " connections, %d at a time, "
           "%d request%s each (%s)\n",
           server.host, server.port, (int)server.pid, connections, concurrency, per_connection,
           per_connection == 1 ? "" : "s",
           per_connection == 1 ? "Connection: close" : "kept alive, the last closing");
  rss0 = bench_server_rss_kb (&server);
  print_row ("before", &server, &churn, 0, 0, rss0);

  started = g_get_monotonic_time ();
  step = MAX (connections / 10, 1);
  next_report = step;
  for (int i = 0; i < concurrency; i++)
    slot_open (&churn, &churn.slots[i]);
  while (churn.counts.connections < churn.target)
    {
      struct epoll_event events[256];
      int                n = epoll_wait (churn.epoll, events, G_N_ELEMENTS (events), 100);
      gint64             now;

      for (int i = 0; i < n; i++)
        {
          Slot *slot = &churn.slots[events[i].data.u64 & 0xffffffff];

          if (slot->state != SLOT_IDLE && slot->generation == events[i].data.u64 >> 32)
            slot_ready (&churn, slot, events[i].events);
        }
      now = g_get_monotonic_time ();
      for (int i = 0; i < concurrency; i++)
        if (churn.slots[i].state != SLOT_IDLE && now > churn.slots[i].deadline)
          slot_fail (&churn, &churn.slots[i],
                     churn.slots[i].state == SLOT_CONNECTING ? "connect timed out"
                                                             : "answer timed out (10 s)");
      while (churn.counts.connections >= next_report && tenth < 10)
        {
          char label[16];

          tenth++;
          g_snprintf (label, sizeof label, "%3d %%", tenth * 10);
          print_row (label, &server, &churn, (now - started) / (double)G_USEC_PER_SEC,
                     churn.counts.ok + churn.counts.other_status, rss0);
          next_report += step;
        }
      if (n == 0 && churn.started >= churn.target)
        {
          gboolean busy = FALSE;

          for (int i = 0; i < concurrency; i++)
            busy |= churn.slots[i].state != SLOT_IDLE;
          if (!busy)
            break;
        }
    }

  {
    double  seconds = bench_seconds_since (started);
    guint64 requests = churn.counts.ok + churn.counts.other_status;

    g_print ("%" G_GUINT64_FORMAT " connections, %" G_GUINT64_FORMAT " requests in %.1f s: "
             "%.0f requests/s, %.0f connections/s\n",
             churn.counts.connections, requests, seconds, requests / seconds,
             churn.counts.connections / seconds);
  }
  g_print ("answers 200: %" G_GUINT64_FORMAT "; other statuses: %" G_GUINT64_FORMAT
           "; errors: %" G_GUINT64_FORMAT "\n",
           churn.counts.ok, churn.counts.other_status, churn.counts.errors);
  if (per_connection > 1)
    g_print ("keep-alive: %" G_GUINT64_FORMAT
             " connections ended early by an answer with Connection: close, "
             "%" G_GUINT64_FORMAT
             " closed by the server with a request unanswered (keep-alive not kept)\n",
             churn.counts.cut_short, churn.counts.unannounced);
  g_hash_table_iter_init (&iter, churn.counts.kinds);
  while (g_hash_table_iter_next (&iter, &kind, &count))
    g_print ("  %8zu  %s\n", GPOINTER_TO_SIZE (count), (const char *)kind);

  g_print ("waiting %d s for the server to settle...\n", settle);
  g_usleep ((gulong)settle * G_USEC_PER_SEC);
  rss_after = bench_server_rss_kb (&server);
  print_row ("after", &server, &churn, bench_seconds_since (started),
             churn.counts.ok + churn.counts.other_status, rss0);
  if (rss0 >= 0 && rss_after >= 0)
    g_print ("RSS %.1f MB -> %.1f MB: %+.0f bytes kept per connection\n", rss0 / 1024.0,
             rss_after / 1024.0, (rss_after - rss0) * 1024.0 / MAX (churn.counts.connections, 1));

  close (churn.epoll);
  g_free (churn.slots);
  g_free (churn.request_keep);
  g_free (churn.request_close);
  g_hash_table_unref (churn.counts.kinds);
  bench_server_stop (&server);
  return 0;
}
