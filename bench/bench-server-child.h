/* bench-server-child.h: a skidka-server for the network benchmarks, started or found.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef struct
{
  char    *host; /* numeric IPv4 address */
  guint16  port;
  pid_t    pid;   /* 0 when the server is not ours and no --pid was given */
  gboolean owned; /* started by us: stopped and its directory removed at the end */
  char    *workdir;
} BenchServer;

/* Options every network benchmark takes, in the order of their help text. */
typedef struct
{
  char  *url;         /* a running server instead of our own child */
  gint   pid;         /* that server's process, for its RSS and descriptors */
  char  *binary;      /* skidka-server to start (default: next to this benchmark) */
  char **server_args; /* more arguments for the child, e.g. --config FILE */
  gint   nofile;      /* RLIMIT_NOFILE of the child; 0: inherit */
  char  *database;    /* the child's database (not an option; NULL: a new SQLite file) */
} BenchServerOptions;

GOptionGroup *bench_server_option_group (BenchServerOptions *options);

gboolean bench_server_start (BenchServer              *server,
                             const BenchServerOptions *options,
                             const char               *argv0,
                             GError                  **error);
void     bench_server_stop (BenchServer *server);

/* -1 when unknown (no pid, or the process is gone). */
gint64 bench_server_rss_kb (const BenchServer *server);
int    bench_server_fd_count (const BenchServer *server);

/* A TCP socket connecting to the server: non-blocking, so the caller polls
 * for the end of the connect; -1 with errno set when it fails at once. */
int bench_server_connect (const BenchServer *server);

/* One GET /api/health with Connection: close on a connection of its own,
 * waiting at most timeout_ms: the HTTP status, 0 when no answer came
 * (refused, reset, closed or timed out; *why says which). The body, if
 * body is not NULL, is set to a copy of what came after the header. */
guint
bench_server_health (const BenchServer *server, int timeout_ms, char **body, const char **why);

G_END_DECLS
