/* bench-server-child.c: a skidka-server for the network benchmarks, started or found.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "bench-server-child.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"

GOptionGroup *
bench_server_option_group (BenchServerOptions *options)
{
  GOptionEntry entries[]
      = { { "url", 0, 0, G_OPTION_ARG_STRING, &options->url,
            "A running server (http://127.0.0.1:8080) instead of a child of our own", "URL" },
          { "pid", 0, 0, G_OPTION_ARG_INT, &options->pid, "That server's process id, for its RSS",
            "PID" },
          { "server", 0, 0, G_OPTION_ARG_FILENAME, &options->binary,
            "skidka-server to start (default: the build tree's, next to this program)", "PATH" },
          { "server-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->server_args,
            "One more argument for the child server (repeat it), e.g. --server-arg=--config=FILE",
            "ARG" },
          { "nofile", 0, 0, G_OPTION_ARG_INT, &options->nofile,
            "The child's descriptor limit (RLIMIT_NOFILE); 0 inherits ours", "N" },
          { NULL } };
  GOptionGroup *group = g_option_group_new (
      "server", "The server under test:", "Show the server options", NULL, NULL);

  g_option_group_add_entries (group, entries);
  return group;
}

static char *
default_binary (const char *argv0)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = g_path_get_dirname (self ? self : argv0);

  /* bench/ and src/server/ are siblings in the build tree. */
  return g_build_filename (dir, "..", "src", "server", "skidka-server", NULL);
}

/* The kernel hands out a free port; the child binds it a moment later.
 * Another process could take it meanwhile, which a benchmark may live with. */
static guint16
free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t          length = sizeof addr;
  int                fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  guint16            port = 0;

  if (fd >= 0 && bind (fd, (struct sockaddr *)&addr, sizeof addr) == 0
      && getsockname (fd, (struct sockaddr *)&addr, &length) == 0)
    port = ntohs (addr.sin_port);
  if (fd >= 0)
    close (fd);
  return port;
}

static void
print_log_tail (const BenchServer *server)
{
  g_autofree char *path = g_build_filename (server->workdir, "server.log", NULL);
  g_autofree char *text = NULL;
  gsize            length = 0;

  if (g_file_get_contents (path, &text, &length, NULL) && length > 0)
    g_printerr ("--- the server's log (last 2 KB) ---\n%s\n---\n",
                text + (length > 2048 ? length - 2048 : 0));
}

static gboolean
start_child (BenchServer              *server,
             const BenchServerOptions *options,
             const char               *argv0,
             GError                  **error)
{
  g_autofree char *binary = options->binary ? g_strdup (options->binary) : default_binary (argv0);
  g_autofree char *database = NULL;
  g_autofree char *log = NULL;
  g_autofree char *port = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  pid_t pid;

  if (!g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "No server at %s (build it, or give --server)", binary);
      return FALSE;
    }
  server->workdir = g_dir_make_tmp ("skidka-bench-XXXXXX", error);
  if (server->workdir == NULL)
    return FALSE;
  database = options->database ? g_strdup (options->database)
                               : g_build_filename (server->workdir, "bench.db", NULL);
  log = g_build_filename (server->workdir, "server.log", NULL);
  server->host = g_strdup ("127.0.0.1");
  server->port = free_port ();
  port = g_strdup_printf ("%u", server->port);

  g_ptr_array_add (argv, binary);
  g_ptr_array_add (argv, (gpointer) "--database");
  g_ptr_array_add (argv, database);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, port);
  g_ptr_array_add (argv, (gpointer) "--log-level");
  g_ptr_array_add (argv, (gpointer) "message");
  for (guint i = 0; options->server_args && options->server_args[i]; i++)
    g_ptr_array_add (argv, options->server_args[i]);
  g_ptr_array_add (argv, NULL);

  /* fork and exec rather than GSubprocess: the limit has to be set in the
   * child between the two. */
  fflush (NULL);
  pid = fork ();
  if (pid < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "fork: %s",
                   g_strerror (errno));
      return FALSE;
    }
  if (pid == 0)
    {
      int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

      if (fd >= 0)
        {
          dup2 (fd, STDOUT_FILENO);
          dup2 (fd, STDERR_FILENO);
          close (fd);
        }
      if (options->nofile > 0)
        {
          struct rlimit limit = { options->nofile, options->nofile };

          if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
            perror ("setrlimit");
        }
      execv (binary, (char **)argv->pdata);
      perror ("execv");
      _exit (127);
    }
  server->pid = pid;
  server->owned = TRUE;
  return TRUE;
}

gboolean
bench_server_start (BenchServer              *server,
                    const BenchServerOptions *options,
                    const char               *argv0,
                    GError                  **error)
{
  gint64 deadline;

  memset (server, 0, sizeof *server);
  if (options->url != NULL)
    {
      g_autoptr (GUri) uri = g_uri_parse (options->url, G_URI_FLAGS_NONE, error);
      struct in_addr probe;

      if (uri == NULL)
        return FALSE;
      if (g_uri_get_host (uri) == NULL || inet_pton (AF_INET, g_uri_get_host (uri), &probe) != 1)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Give the server's address as an IPv4 number, as in http://127.0.0.1:8080");
          return FALSE;
        }
      server->host = g_strdup (g_uri_get_host (uri));
      server->port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 80;
      server->pid = options->pid;
    }
  else if (!start_child (server, options, argv0, error))
    return FALSE;

  /* A new database is migrated before the server listens. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      int status;

      if (bench_server_health (server, 1000, NULL, NULL) == 200)
        return TRUE;
      if (server->owned && waitpid (server->pid, &status, WNOHANG) == server->pid)
        {
          server->pid = 0;
          print_log_tail (server);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "The server exited at once (status %d)", status);
          return FALSE;
        }
      g_usleep (100 * 1000);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "No answer 200 from http://%s:%u/api/health", server->host, server->port);
  return FALSE;
}

void
bench_server_stop (BenchServer *server)
{
  if (server->owned && server->pid > 0)
    {
      gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
      int    status = 0;
      pid_t  done = 0;

      kill (server->pid, SIGTERM);
      while ((done = waitpid (server->pid, &status, WNOHANG)) == 0
             && g_get_monotonic_time () < deadline)
        g_usleep (50 * 1000);
      if (done == 0)
        {
          g_printerr ("The server did not stop within 15 s of SIGTERM; killing it\n");
          kill (server->pid, SIGKILL);
          waitpid (server->pid, &status, 0);
        }
      else if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        {
          g_printerr ("The server ended badly (status %d)\n", status);
          print_log_tail (server);
        }
      server->pid = 0;
    }
  if (server->owned && server->workdir != NULL)
    bench_remove_dir (server->workdir);
  g_clear_pointer (&server->workdir, g_free);
  g_clear_pointer (&server->host, g_free);
}

gint64
bench_server_rss_kb (const BenchServer *server)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  const char      *line;

  if (server->pid <= 0)
    return -1;
  path = g_strdup_printf ("/proc/%d/status", (int)server->pid);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  line = strstr (text, "\nVmRSS:");
  return line ? g_ascii_strtoll (line + 7, NULL, 10) : -1;
}

int
bench_server_fd_count (const BenchServer *server)
{
  g_autofree char *path = NULL;
  g_autoptr (GDir) dir = NULL;
  int count = 0;

  if (server->pid <= 0)
    return -1;
  path = g_strdup_printf ("/proc/%d/fd", (int)server->pid);
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return -1;
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

int
bench_server_connect (const BenchServer *server)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (server->port) };
  int                fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int                one = 1;

  if (fd < 0)
    return -1;
  inet_pton (AF_INET, server->host, &addr.sin_addr);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS)
    {
      int saved = errno;

      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}

static gboolean
wait_for (int fd, short events, gint64 deadline)
{
  struct pollfd pfd = { .fd = fd, .events = events };
  gint64        left = (deadline - g_get_monotonic_time ()) / 1000;

  return left > 0 && poll (&pfd, 1, (int)left) > 0;
}

guint
bench_server_health (const BenchServer *server, int timeout_ms, char **body, const char **why)
{
  g_autofree char *request = g_strdup_printf ("GET /api/health HTTP/1.1\r\nHost: %s:%u\r\n"
                                              "Connection: close\r\n\r\n",
                                              server->host, server->port);
  gint64           deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  g_autoptr (GString) answer = g_string_new (NULL);
  const char *dummy, *end;
  int         fd = bench_server_connect (server);
  int         failure = 0;
  socklen_t   length = sizeof failure;
  guint       status = 0;

  why = why ? why : &dummy;
  if (fd < 0)
    {
      *why = errno == ECONNREFUSED ? "refused" : "connect failed";
      return 0;
    }
  if (!wait_for (fd, POLLOUT, deadline))
    {
      /* Loopback connects at once unless the listen queue is full. */
      *why = "connect timed out (listen queue full?)";
      close (fd);
      return 0;
    }
  getsockopt (fd, SOL_SOCKET, SO_ERROR, &failure, &length);
  if (failure != 0
      || send (fd, request, strlen (request), MSG_NOSIGNAL) != (ssize_t)strlen (request))
    {
      *why = failure == ECONNREFUSED ? "refused" : "connect failed";
      close (fd);
      return 0;
    }
  for (;;)
    {
      char    buffer[4096];
      ssize_t n;

      if (!wait_for (fd, POLLIN, deadline))
        {
          *why = answer->len ? "answer cut short (timed out)" : "no answer (timed out)";
          break;
        }
      n = recv (fd, buffer, sizeof buffer, 0);
      if (n < 0 && errno == EAGAIN)
        continue;
      if (n <= 0)
        {
          *why = n < 0 ? "reset" : "closed without an answer";
          break;
        }
      g_string_append_len (answer, buffer, n);
    }
  close (fd);
  if (g_str_has_prefix (answer->str, "HTTP/1.") && answer->len >= 12)
    {
      status = (guint)g_ascii_strtoull (answer->str + 9, NULL, 10);
      *why = "answered";
    }
  end = strstr (answer->str, "\r\n\r\n");
  if (body != NULL)
    *body = g_strdup (end ? end + 4 : "");
  return status;
}
