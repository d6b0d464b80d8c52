/* bench-idle.c: idle connections past skidka-server's limits, and whether it still serves.
 *
 * Opens idle connections one after another (connected and silent, or with
 * half a request header) past the server's connection cap and past its
 * descriptor limit (the child is started with RLIMIT_NOFILE 1024 so the
 * run is the same everywhere). Meanwhile a fresh GET /api/health on a
 * connection of its own must still get 200, or a 503 with the JSON error
 * beyond the cap. Then it holds them to see whether the server closes idle
 * ones itself (and after how long), closes them all, and checks that the
 * server accepts again.
 *   bench-idle [--idle N] [--mode silent|half] [--hold S] [--probe-every M]
 *              [--url URL --pid PID | --server PATH --nofile N]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "bench-server-child.h"
#include "bench-util.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBE_TIMEOUT_MS 2000

typedef enum
{
  IDLE_OPEN,
  IDLE_ANSWERED, /* the server wrote to it (a 503, a 408...) and closed it */
  IDLE_CLOSED,   /* the server closed or reset it without a word */
} IdleState;

typedef struct
{
  int       fd;
  IdleState state;
  guint     status; /* of what the server wrote, if it did */
  gint64    opened;
  gint64    closed;
} Idle;

typedef struct
{
  guint       ok;
  guint       busy_json; /* 503 with {"error": ...} */
  guint       other_status;
  GHashTable *failures; /* why -> count */
} Probes;

static const char *mode = "silent";

/* What a fresh client sees now: one line of the report. */
static const char *
probe (const BenchServer *server, Probes *probes)
{
  static char      line[128];
  g_autofree char *body = NULL;
  const char      *why = NULL;
  guint            status = bench_server_health (server, PROBE_TIMEOUT_MS, &body, &why);

  if (status == 200)
    {
      probes->ok++;
      return "200";
    }
  if (status == 503 && body != NULL && strstr (body, "\"error\"") != NULL)
    {
      probes->busy_json++;
      g_snprintf (line, sizeof line, "503 %.60s", body);
      return line;
    }
  if (status != 0)
    {
      probes->other_status++;
      g_snprintf (line, sizeof line, "%u %.60s", status, body ? body : "");
      return line;
    }
  g_hash_table_replace (
      probes->failures, (gpointer)why,
      GSIZE_TO_POINTER (GPOINTER_TO_SIZE (g_hash_table_lookup (probes->failures, why)) + 1));
  return why;
}

/* Notes what the server did to the idle connections since the last look. */
static void
sweep (GArray *idles)
{
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, MAX (idles->len, 1));
  gint64                    now = g_get_monotonic_time ();

  for (guint i = 0; i < idles->len; i++)
    {
      Idle *idle = &g_array_index (idles, Idle, i);

      fds[i].fd = idle->state == IDLE_OPEN ? idle->fd : -1;
      fds[i].events = POLLIN;
    }
  if (poll (fds, idles->len, 0) <= 0)
    return;
  for (guint i = 0; i < idles->len; i++)
    {
      Idle   *idle = &g_array_index (idles, Idle, i);
      char    buffer[1024];
      ssize_t n;

      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      n = recv (idle->fd, buffer, sizeof buffer - 1, MSG_DONTWAIT);
      if (n < 0 && errno == EAGAIN)
        continue;
      if (n > 0)
        {
          buffer[n] = '\0';
          idle->state = IDLE_ANSWERED;
          idle->status = g_str_has_prefix (buffer, "HTTP/1.") && n >= 12
                             ? (guint)g_ascii_strtoull (buffer + 9, NULL, 10)
                             : 0;
        }
      else
        idle->state = IDLE_CLOSED;
      idle->closed = now;
      close (idle->fd);
      idle->fd = -1;
    }
}

typedef struct
{
  guint open, answered, closed;
} Tally;

static void
tally (GArray *idles, Tally *t)
{
  memset (t, 0, sizeof *t);
  for (guint i = 0; i < idles->len; i++)
    {
      Idle *idle = &g_array_index (idles, Idle, i);

      if (idle->state == IDLE_OPEN)
        t->open++;
      else if (idle->state == IDLE_ANSWERED)
        t->answered++;
      else
        t->closed++;
    }
}

static void
print_state (
    const char *label, const BenchServer *server, GArray *idles, guint timeouts, const char *health)
{
  Tally  t;
  gint64 rss = bench_server_rss_kb (server);

  tally (idles, &t);
  g_print (
      "%-14s idle opened %5u  still open %5u  answered+closed by server %5u  closed silently %5u"
      "  not accepted %4u   server fds %5d  RSS %6.1f MB   health: %s\n",
      label, idles->len, t.open, t.answered, t.closed, timeouts, bench_server_fd_count (server),
      rss >= 0 ? rss / 1024.0 : 0.0, health ? health : "-");
}

/* How long the server let idle connections be before closing them. */
static void
print_close_times (GArray *idles)
{
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GHashTable) statuses = g_hash_table_new (g_direct_hash, g_direct_equal);
  GHashTableIter iter;
  gpointer       status, count;

  for (guint i = 0; i < idles->len; i++)
    {
      Idle  *idle = &g_array_index (idles, Idle, i);
      gint64 lived = idle->closed - idle->opened;

      if (idle->state == IDLE_OPEN)
        continue;
      g_array_append_val (times, lived);
      g_hash_table_replace (statuses, GUINT_TO_POINTER (idle->status),
                            GSIZE_TO_POINTER (GPOINTER_TO_SIZE (g_hash_table_lookup (
                                                  statuses, GUINT_TO_POINTER (idle->status)))
                                              + 1));
    }
  if (times->len == 0)
    {
      g_print ("the server closed none of the idle connections by itself (no idle or header "
               "timeout seen)\n");
      return;
    }
  bench_sort_usec (times);
  g_print ("the server closed %u idle connections itself, after %.1f s (min) / %.1f s (median) / "
           "%.1f s (max)"
           " (within 1 s)\n",
           times->len, bench_percentile_ms (times, 0) / 1000.0,
           bench_percentile_ms (times, 50) / 1000.0, bench_percentile_ms (times, 100) / 1000.0);
  g_hash_table_iter_init (&iter, statuses);
  while (g_hash_table_iter_next (&iter, &status, &count))
    {
      if (GPOINTER_TO_UINT (status) == 0)
        g_print ("  %6zu closed without a word\n", GPOINTER_TO_SIZE (count));
      else
        g_print ("  %6zu answered %u, then closed\n", GPOINTER_TO_SIZE (count),
                 GPOINTER_TO_UINT (status));
    }
}

/* A connection in the kernel's sense: loopback completes the handshake
 * from the listen queue, whether or not the server ever accepts it. */
static int
open_idle (const BenchServer *server, int timeout_ms, const char *half)
{
  struct pollfd pfd = { .events = POLLOUT };
  int           failure = 0;
  socklen_t     length = sizeof failure;

  pfd.fd = bench_server_connect (server);
  if (pfd.fd < 0)
    return -1;
  if (poll (&pfd, 1, timeout_ms) <= 0
      || getsockopt (pfd.fd, SOL_SOCKET, SO_ERROR, &failure, &length) != 0 || failure != 0)
    {
      close (pfd.fd);
      return -1;
    }
  if (half != NULL)
    send (pfd.fd, half, strlen (half), MSG_NOSIGNAL);
  return pfd.fd;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- idle connections against skidka-server");
  g_autoptr (GArray) idles = g_array_new (FALSE, TRUE, sizeof (Idle));
  g_autofree char   *mode_arg = NULL;
  g_autofree char   *half = NULL;
  BenchServerOptions server_options = { 0 };
  BenchServer        server = { 0 };
  gint               count = 1100, hold = 30, probe_every = 100, connect_timeout = 1000;
  GOptionEntry       entries[]
      = { { "idle", 'n', 0, G_OPTION_ARG_INT, &count, "Idle connections to open (1100)", "N" },
          { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_arg,
            "silent: connect and send nothing; half: send half a request header (silent)", "MODE" },
          { "hold", 0, 0, G_OPTION_ARG_INT, &hold,
            "Seconds to hold them, watching for the server's timeouts (30)", "S" },
          { "probe-every", 0, 0, G_OPTION_ARG_INT, &probe_every,
            "A health request every M idle connections (100)", "M" },
          { "connect-timeout", 0, 0, G_OPTION_ARG_INT, &connect_timeout,
            "Milliseconds an idle connect may take before it counts as not accepted (1000)", "MS" },
          { NULL } };
  Probes         probes = { 0 };
  guint          timeouts = 0, consecutive = 0;
  struct rlimit  limit;
  gint64         start, closed_all, recovered = -1;
  const char    *health = NULL;
  Tally          t;
  GHashTableIter iter;
  gpointer       why, times;
  int            max_fds = 0;

  setlocale (LC_ALL, "");
  server_options.nofile = -1;
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, bench_server_option_group (&server_options));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  /* Reproducible: the limit systemd's default and most shells give. */
  if (server_options.nofile < 0)
    server_options.nofile = server_options.url ? 0 : 1024;
  if (mode_arg != NULL)
    mode = mode_arg;
  if (g_str_equal (mode, "half"))
    half = g_strdup ("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ");
  else if (!g_str_equal (mode, "silent"))
    {
      g_printerr ("--mode is silent or half\n");
      return 2;
    }
  if (count < 1 || probe_every < 1 || hold < 0)
    {
      g_printerr ("--idle and --probe-every must be positive\n");
      return 2;
    }
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      if (limit.rlim_cur < limit.rlim_max)
        {
          limit.rlim_cur = limit.rlim_max;
          setrlimit (RLIMIT_NOFILE, &limit);
        }
      if (limit.rlim_cur < (rlim_t)count + 64)
        g_printerr ("bench-idle: our own limit of %lu descriptors is too low for %d connections\n",
                    (unsigned long)limit.rlim_cur, count);
    }
  probes.failures = g_hash_table_new (g_str_hash, g_str_equal);

  if (!bench_server_start (&server, &server_options, argv[0], &error))
    {
      g_printerr ("bench-idle: %s\n", error->message);
      bench_server_stop (&server);
      return 1;
    }
  g_print (
      "server http://%s:%u/ (pid %d, descriptor limit %d, 0: inherited): %d idle connections (%s), "
      "a health request every %d\n",
      server.host, server.port, (int)server.pid, server_options.nofile, count, mode, probe_every);
  print_state ("start", &server, idles, 0, probe (&server, &probes));

  /* 1. Open them, one after another, looking at a fresh client now and then. */
  start = g_get_monotonic_time ();
  for (int i = 0; i < count; i++)
    {
      Idle idle
          = { .fd = open_idle (&server, connect_timeout, half), .opened = g_get_monotonic_time () };

      if (idle.fd < 0)
        {
          timeouts++;
          /* The listen queue is full: nothing is being accepted. */
          if (++consecutive >= 20)
            {
              g_print ("%-14s 20 connects in a row not accepted: the server stopped accepting; not "
                       "opening more\n",
                       "");
              break;
            }
        }
      else
        {
          consecutive = 0;
          g_array_append_val (idles, idle);
        }
      if ((i + 1) % probe_every == 0 || i + 1 == count)
        {
          char label[32];

          sweep (idles);
          max_fds = MAX (max_fds, bench_server_fd_count (&server));
          g_snprintf (label, sizeof label, "opened %d", i + 1);
          print_state (label, &server, idles, timeouts, probe (&server, &probes));
        }
    }
  g_print ("opening took %.1f s\n", bench_seconds_since (start));

  /* 2. Hold them: does the server close idle ones by itself? */
  for (int s = 1; s <= hold; s++)
    {
      g_usleep (G_USEC_PER_SEC);
      sweep (idles);
      max_fds = MAX (max_fds, bench_server_fd_count (&server));
      tally (idles, &t);
      if (s % 5 == 0 || s == hold || t.open == 0)
        {
          char label[32];

          g_snprintf (label, sizeof label, "held %d s", s);
          print_state (label, &server, idles, timeouts, probe (&server, &probes));
        }
      if (t.open == 0)
        break;
    }
  print_close_times (idles);

  /* 3. Close ours; the server must accept again. */
  for (guint i = 0; i < idles->len; i++)
    {
      Idle *idle = &g_array_index (idles, Idle, i);

      if (idle->fd >= 0)
        close (idle->fd);
      idle->fd = -1;
    }
  closed_all = g_get_monotonic_time ();
  while (g_get_monotonic_time () - closed_all < 10 * G_USEC_PER_SEC)
    {
      Probes scratch = { .failures = probes.failures };

      health = probe (&server, &scratch);
      if (scratch.ok)
        {
          recovered = g_get_monotonic_time () - closed_all;
          break;
        }
      g_usleep (G_USEC_PER_SEC / 2);
    }
  g_usleep (G_USEC_PER_SEC / 2);
  print_state ("all closed", &server, idles, timeouts, health);

  g_print ("\nSummary (%s idle connections):\n", mode);
  tally (idles, &t);
  g_print (
      "  idle connections established: %u of %d tried (%u connects not accepted within %d ms)\n",
      idles->len, count, timeouts, connect_timeout);
  g_print ("  the server's descriptors at most: %d\n", max_fds);
  g_print ("  of them the server answered and closed %u, closed silently %u, left open %u\n",
           t.answered, t.closed, t.open);
  g_print (
      "  health while they were open: %u x 200, %u x 503 with the JSON error, %u x other status",
      probes.ok, probes.busy_json, probes.other_status);
  g_hash_table_iter_init (&iter, probes.failures);
  while (g_hash_table_iter_next (&iter, &why, &times))
    g_print (", %zu x %s", GPOINTER_TO_SIZE (times), (const char *)why);
  g_print ("\n");
  if (recovered >= 0)
    g_print ("  after closing them all: serving again (200 within %.1f s)\n",
             recovered / (double)G_USEC_PER_SEC);
  else
    g_print ("  after closing them all: NOT serving 10 s later (last: %s)\n", health);

  g_hash_table_unref (probes.failures);
  bench_server_stop (&server);
  return 0;
}
