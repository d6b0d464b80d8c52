/* bench-sync.c: a till's sync with a real skidka-server on loopback (SPEC 6):
 * (a) 10 000 offline sales pushed from one till, against the server's own
 * online process-purchase rate; (b) 1 000 changes pulled and applied; (c)
 * the initial sync of a new till against 1 000 000 customers, with the
 * till's peak RSS; (d) several tills pushing at once after an outage,
 * against one till alone; (e) a new till of a store keeping the store's
 * sales another till made, for returns.
 *   bench-sync [--only abcde] [--sales N] ...       on a new SQLite file
 *   SKIDKA_PG_FSYNC=on tests/with-postgres.sh _build/bench/bench-sync --backend postgresql
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-server-child.h"
#include "bench-util.h"
#include "sk-database-private.h"
#include "sk-demo.h"
#include "sk-postgres.h"
#include "sk-sync-client.h"
#include "sk-sync-till.h"

#define PASSWORD "bench-password"

static gint64 opt_sales = 10000;
/* Each online sale goes on a new connection that skidka-server keeps
 * after the client closed it (CLOSE-WAIT): past about 960 of them it
 * answers 503 "too many connections" (reported); 500 stay under that. */
static gint64 opt_online = 500;
static gint64 opt_pull = 1000;
static gint64 opt_customers = 1000000;
static gint64 opt_tills = 4;
static gint64 opt_till_sales = 5000;
static gint64 opt_store_sales = 3000;
static char  *opt_only = NULL;
static char  *opt_backend = NULL;

typedef struct
{
  char        *dir;      /* a temporary directory for tills, tokens, the SQLite server */
  char        *location; /* the server's database: a file or a postgresql:// URI */
  char        *argv0;
  char        *bindir; /* where this program is: bench/ of the build tree */
  BenchServer  server;
  gboolean     running;
  char        *url;
  GPtrArray   *store_ids;
  SoupSession *session;
} Bench;

typedef struct
{
  char *path;
  char *token;
  char *token_file;
  char *store_id;
} Till;

static void
till_free (Till *till)
{
  g_free (till->path);
  g_free (till->token);
  g_free (till->token_file);
  g_free (till->store_id);
  g_free (till);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Till, till_free)

static Bench *the_bench;

/* The machine's one-minute load average: figures of a busy one are slower. */
static double
load_average (void)
{
  g_autofree char *text = NULL;

  return g_file_get_contents ("/proc/loadavg", &text, NULL, NULL) ? g_ascii_strtod (text, NULL)
                                                                  : -1;
}

static void
die (const char *what, GError *error)
{
  g_printerr ("bench-sync: %s: %s\n", what, error ? error->message : "failed");
  /* Not a server left behind; what it said, to see why. */
  if (the_bench != NULL && the_bench->running)
    {
      g_autofree char *log = g_build_filename (the_bench->server.workdir, "server.log", NULL);
      g_autofree char *text = NULL;
      gsize            length = 0;

      if (g_file_get_contents (log, &text, &length, NULL))
        g_printerr ("--- the server's log (last 3 KB) ---\n%s\n",
                    text + (length > 3072 ? length - 3072 : 0));
      bench_server_stop (&the_bench->server);
    }
  exit (1);
}

/* The server's database */

static SkDatabase *
open_server_db (Bench *b)
{
  g_autoptr (GError) error = NULL;
  SkDatabase *db = sk_database_open (b->location, &error);

  if (db == NULL)
    die ("opening the server's database", error);
  return db;
}

/* A new, empty database in the same place for each scenario. */
static void
reset_server_db (Bench *b)
{
  g_autoptr (GError) error = NULL;

  if (sk_database_is_uri (b->location))
    {
      g_autoptr (SkDatabase) db = open_server_db (b);

      if (!sk_db_exec_script (db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &error))
        die ("emptying the PostgreSQL database", error);
    }
  else
    {
      g_autofree char *wal = g_strconcat (b->location, "-wal", NULL);
      g_autofree char *shm = g_strconcat (b->location, "-shm", NULL);

      g_unlink (b->location);
      g_unlink (wal);
      g_unlink (shm);
    }
}

/* A demo chain (stores, products, rules with limits, campaigns with
 * budgets) with @customers customers and no purchases. */
static void
fill_server (Bench *b, gint64 customers)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  SkDemoOptions options = { .customers = MIN (customers, 1000), .purchases = 0, .seed = 7 };
  SkStmt       *stmt;
  gboolean      has_row = FALSE;

  reset_server_db (b);
  db = open_server_db (b);
  if (!sk_demo_generate (db, &options, NULL, &error))
    die ("making the demo chain", error);
  /* The demo edits a campaign after its rules were written, so the feed
   * (one entry per record, its latest) gives the rule before its campaign
   * and a till refuses the rule (a foreign key): a bug of the feed's order,
   * reported; edited again here, the rules come after the campaigns. Sales
   * move a budgeted campaign's spending, so the same happens to a till
   * synced for the first time after them: every till here is synced once
   * before any sale. */
  if (!sk_db_exec (db, &error, "UPDATE discount_rules SET version = version + 1", NULL))
    die ("touching the rules", error);
  if (customers > 1000)
    {
      /* The rest in one statement each, as an operator's bulk load would:
       * the feed's triggers note every one of them. */
      gint64      start = g_get_monotonic_time ();
      const char *sql
          = sk_database_is_uri (b->location)
                ? "INSERT INTO customers (id, card_number, phone, full_name, name_key,"
                  " home_store_id, created_at)"
                  " SELECT gen_random_uuid ()::text, 'B' || lpad (g::text, 10, '0'),"
                  " '+7555' || lpad (g::text, 7, '0'), 'Bulk Customer ' || g,"
                  " 'bulk customer ' || g, (SELECT min (id) FROM stores), 1700000000000000"
                  " FROM generate_series (1, ?1) AS g"
                : "WITH RECURSIVE g (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?1),"
                  " h (n, x) AS (SELECT n, lower (hex (randomblob (16))) FROM g)"
                  " INSERT INTO customers (id, card_number, phone, full_name, name_key,"
                  " home_store_id, created_at)"
                  " SELECT substr (x, 1, 8) || '-' || substr (x, 9, 4) || '-4' || substr (x, 14, 3)"
                  " || '-a' || substr (x, 18, 3) || '-' || substr (x, 21, 12),"
                  " 'B' || substr ('0000000000' || n, -10), '+7555' || substr ('0000000' || n, -7),"
                  " 'Bulk Customer ' || n, 'bulk customer ' || n, (SELECT min (id) FROM stores),"
                  " 1700000000000000 FROM h";

      if (!sk_db_begin (db, &error) || !sk_db_exec (db, &error, sql, "i", customers - 1000)
          || !sk_db_commit (db, &error))
        die ("adding customers in bulk", error);
      if (sk_database_is_uri (b->location))
        sk_db_exec_script (db, "VACUUM ANALYZE", NULL);
      else
        sk_db_exec_script (db, "ANALYZE", NULL);
      g_print ("  (server filled with %" G_GINT64_FORMAT " customers in %.1f s)\n", customers,
               bench_seconds_since (start));
    }

  g_ptr_array_set_size (b->store_ids, 0);
  stmt = sk_db_query (db, &error, "SELECT id FROM stores ORDER BY code", NULL);
  while (stmt != NULL && sk_db_step (db, stmt, &has_row, &error) && has_row)
    g_ptr_array_add (b->store_ids, g_strdup (sk_stmt_text (stmt, 0)));
  if (stmt != NULL)
    sk_stmt_reset (stmt);
  if (b->store_ids->len == 0)
    die ("listing the demo's stores", error);
}

/* A cashier of the @index-th store (stores are reused round-robin). */
static char *
add_cashier (Bench *b, guint index, const char **store_id)
{
  g_autofree char *binary
      = g_build_filename (b->bindir, "..", "src", "server", "skidka-server", NULL);
  g_autofree char *password_file = g_build_filename (b->dir, "password", NULL);
  g_autofree char *username = g_strdup_printf ("till%u", index);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  *store_id = g_ptr_array_index (b->store_ids, index % b->store_ids->len);
  if (!g_file_set_contents (password_file, PASSWORD "\n", -1, &error))
    die ("writing the password file", error);
  {
    const char *argv[] = { binary,       "--database",      b->location,   "admin",   "create-user",
                           "--username", username,          "--role",      "cashier", "--store",
                           *store_id,    "--password-file", password_file, NULL };

    if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                       &error)
        || !g_spawn_check_wait_status (status, &error))
      {
        g_printerr ("%s", err ? err : "");
        die ("creating a cashier", error);
      }
  }
  return g_steal_pointer (&username);
}

static void
start_server (Bench *b)
{
  g_autoptr (GError) error = NULL;
  BenchServerOptions options = { .database = b->location };

  if (!bench_server_start (&b->server, &options, b->argv0, &error))
    die ("starting skidka-server", error);
  b->running = TRUE;
  g_free (b->url);
  b->url = g_strdup_printf ("http://%s:%u", b->server.host, b->server.port);
}

static void
stop_server (Bench *b)
{
  if (b->running)
    {
      /* Its own directory goes; the database is ours. */
      bench_server_stop (&b->server);
      b->running = FALSE;
    }
}

/* Tills */

static void
sync_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* One sync cycle of each till at once, in this process (each cycle runs in
 * a thread of its own, with its own connection and HTTP session). */
static void
sync_tills (Bench *b, Till **tills, guint n, SkSyncSummary **summaries)
{
  g_autofree SkSyncClient **clients = g_new0 (SkSyncClient *, n);
  g_autofree GAsyncResult **results = g_new0 (GAsyncResult *, n);
  guint                     done = 0;

  for (guint i = 0; i < n; i++)
    {
      clients[i] = sk_sync_client_new (tills[i]->path, b->url);
      sk_sync_client_set_token (clients[i], tills[i]->token);
      sk_sync_client_sync_async (clients[i], NULL, sync_ready, &results[i]);
    }
  while (done < n)
    {
      g_main_context_iteration (NULL, TRUE);
      done = 0;
      for (guint i = 0; i < n; i++)
        done += results[i] != NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;

      summaries[i] = sk_sync_client_sync_finish (clients[i], results[i], &error);
      if (summaries[i] == NULL)
        die ("syncing a till", error);
      g_object_unref (results[i]);
      g_object_unref (clients[i]);
    }
}

static SkSyncSummary *
sync_till (Bench *b, Till *till)
{
  SkSyncSummary *summary = NULL;

  sync_tills (b, &till, 1, &summary);
  return summary;
}

/* A new till database, signed in as a new cashier; not synced yet. */
static Till *
till_new (Bench *b, guint index)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autofree char *username = NULL;
  g_autofree char *name = g_strdup_printf ("till%u.db", index);
  g_autofree char *token_name = g_strdup_printf ("till%u.token", index);
  g_autofree char *wal = NULL, *shm = NULL;
  const char      *store_id;
  Till            *till = g_new0 (Till, 1);

  till->path = g_build_filename (b->dir, name, NULL);
  wal = g_strconcat (till->path, "-wal", NULL);
  shm = g_strconcat (till->path, "-shm", NULL);
  g_unlink (till->path);
  g_unlink (wal);
  g_unlink (shm);
  db = sk_database_open (till->path, &error);
  if (db == NULL)
    die ("making a till's database", error);
  username = add_cashier (b, index, &store_id);
  till->store_id = g_strdup (store_id);
  till->token = sk_sync_login (b->url, username, PASSWORD, NULL, &error);
  if (till->token == NULL)
    die ("signing in", error);
  till->token_file = g_build_filename (b->dir, token_name, NULL);
  if (!g_file_set_contents_full (till->token_file, till->token, -1, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, &error))
    die ("writing the token file", error);
  return till;
}

/* A sale's request body: two or three lines of the demo's products, a
 * known customer four times in five. */
static JsonNode *
sale_json (GRand *rand, const char *store_id, GPtrArray *customers, GPtrArray *products)
{
  g_autoptr (JsonBuilder) jb = json_builder_new ();
  g_autofree char *id = g_uuid_string_random ();
  guint            lines = g_rand_int_range (rand, 1, 4);

  json_builder_begin_object (jb);
  json_builder_set_member_name (jb, "id");
  json_builder_add_string_value (jb, id);
  json_builder_set_member_name (jb, "store_id");
  json_builder_add_string_value (jb, store_id);
  json_builder_set_member_name (jb, "customer_id");
  if (customers->len > 0 && g_rand_int_range (rand, 0, 5) > 0)
    json_builder_add_string_value (
        jb, g_ptr_array_index (customers, g_rand_int_range (rand, 0, customers->len)));
  else
    json_builder_add_null_value (jb);
  json_builder_set_member_name (jb, "items");
  json_builder_begin_array (jb);
  for (guint i = 0; i < lines; i++)
    {
      char **product = g_ptr_array_index (products, g_rand_int_range (rand, 0, products->len));

      json_builder_begin_object (jb);
      json_builder_set_member_name (jb, "sku");
      json_builder_add_string_value (jb, product[0]);
      json_builder_set_member_name (jb, "name");
      json_builder_add_string_value (jb, product[1]);
      json_builder_set_member_name (jb, "category");
      json_builder_add_string_value (jb, product[2]);
      json_builder_set_member_name (jb, "unit_price");
      json_builder_add_int_value (jb, g_ascii_strtoll (product[3], NULL, 10));
      json_builder_set_member_name (jb, "quantity");
      json_builder_add_int_value (jb, g_rand_int_range (rand, 1, 3));
      json_builder_end_object (jb);
    }
  json_builder_end_array (jb);
  json_builder_end_object (jb);
  return json_builder_get_root (jb);
}

/* The till's customers (at most 2 000) and products, as synced from HQ. */
static void
load_catalogue (SkDatabase *db, GPtrArray *customers, GPtrArray *products)
{
  g_autoptr (GError) error = NULL;
  gboolean has_row = FALSE;
  SkStmt  *stmt;

  stmt = sk_db_query (db, &error, "SELECT id FROM customers ORDER BY id LIMIT 2000", NULL);
  while (stmt != NULL && sk_db_step (db, stmt, &has_row, &error) && has_row)
    g_ptr_array_add (customers, g_strdup (sk_stmt_text (stmt, 0)));
  if (stmt != NULL)
    sk_stmt_reset (stmt);
  stmt = sk_db_query (db, &error, "SELECT sku, name, category, price FROM products", NULL);
  while (stmt != NULL && sk_db_step (db, stmt, &has_row, &error) && has_row)
    {
      char **row = g_new0 (char *, 5);

      for (int i = 0; i < 4; i++)
        row[i] = g_strdup (sk_stmt_text (stmt, i));
      g_ptr_array_add (products, row);
    }
  if (stmt != NULL)
    sk_stmt_reset (stmt);
  if (error != NULL || products->len == 0)
    die ("reading the till's products", error);
}

/* @n sales rung up offline at @till, through its purchase pipeline (each
 * writes its outbox event). */
static void
sell_offline (Till *till, gint64 n, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (till->path, &error);
  g_autoptr (GPtrArray) customers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) products = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  if (db == NULL)
    die ("opening a till", error);
  load_catalogue (db, customers, products);
  /* One transaction for speed: each sale is still its own savepoint. */
  if (!sk_db_begin (db, &error))
    die ("selling", error);
  for (gint64 i = 0; i < n; i++)
    {
      g_autoptr (JsonNode) body = sale_json (rand, till->store_id, customers, products);
      g_autoptr (SkPurchaseRequest) request
          = sk_purchase_request_from_json (json_node_get_object (body), &error);
      g_autoptr (SkPurchaseResult) result = NULL;

      if (request == NULL)
        die ("making a sale", error);
      result = sk_database_process_purchase (db, request, &error);
      if (result == NULL)
        die ("selling offline", error);
    }
  if (!sk_db_commit (db, &error))
    die ("selling", error);
}

/* Online sales through POST /api/pos/process-purchase, one after another
 * as one till sends them: purchases per second. */
static double
online_rate (Bench *b, Till *till, gint64 n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (till->path, &error);
  g_autoptr (GPtrArray) customers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) products = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  g_autofree char *url = g_strconcat (b->url, "/api/pos/process-purchase", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", till->token, NULL);
  gint64           start;

  if (db == NULL)
    die ("opening a till", error);
  load_catalogue (db, customers, products);
  start = g_get_monotonic_time ();
  for (gint64 i = 0; i < n; i++)
    {
      g_autoptr (JsonNode) body = sale_json (rand, till->store_id, customers, products);
      g_autofree char *text = json_to_string (body, FALSE);
      g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));
      g_autoptr (SoupMessage) msg = NULL;
      g_autoptr (GBytes) answer = NULL;

      /* Again on a new connection when one was closed under it (seen now
       * and then on a loaded machine; libsoup sends a POST only once): the
       * sale's id makes another try safe. */
      for (guint attempt = 0; attempt < 3 && answer == NULL; attempt++)
        {
          if (attempt > 0)
            g_usleep (100 * 1000);
          g_clear_error (&error);
          g_clear_object (&msg);
          msg = soup_message_new ("POST", url);
          soup_message_headers_append (soup_message_get_request_headers (msg), "Authorization",
                                       auth);
          soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
          answer = soup_session_send_and_read (b->session, msg, NULL, &error);
        }
      if (answer == NULL)
        die ("POST /api/pos/process-purchase", error);
      if (soup_message_get_status (msg) != SOUP_STATUS_OK
          && soup_message_get_status (msg) != SOUP_STATUS_CREATED)
        {
          g_printerr ("%.*s\n", (int)g_bytes_get_size (answer),
                      (const char *)g_bytes_get_data (answer, NULL));
          die ("POST /api/pos/process-purchase", NULL);
        }
    }
  return n / bench_seconds_since (start);
}

/* Peak RSS of `skidka-cli sync` run as a child */

static void
sync_child (Bench *b, Till *till, double *seconds, double *cpu, long *peak_kb, char **output)
{
  g_autofree char *cli = g_build_filename (b->bindir, "..", "src", "cli", "skidka-cli", NULL);
  const char      *argv[] = { cli,    "--db",         till->path,       "sync", "--server",
                              b->url, "--token-file", till->token_file, NULL };
  g_autoptr (GError) error = NULL;
  struct rusage usage = { 0 };
  int           out_fd = -1, status = 0;
  GPid          pid;
  gint64        start = g_get_monotonic_time ();
  g_autoptr (GString) text = g_string_new (NULL);
  char    buffer[4096];
  ssize_t got;

  if (!g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                 &pid, NULL, &out_fd, NULL, &error))
    die ("starting skidka-cli sync", error);
  while ((got = read (out_fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, got);
  close (out_fd);
  if (wait4 (pid, &status, 0, &usage) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_printerr ("%s", text->str);
      die ("skidka-cli sync", NULL);
    }
  *seconds = bench_seconds_since (start);
  *cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec
         + usage.ru_stime.tv_usec / 1e6;
  *peak_kb = usage.ru_maxrss;
  *output = g_string_free (g_steal_pointer (&text), FALSE);
}

/* CPU time, so that figures of a machine shared with others can be read:
 * what the till (this process), the server and PostgreSQL spent. */

typedef struct
{
  double till, server, postgres;
} Cpu;

/* utime + stime (+ those of waited-for children) of @pid, in seconds. */
static double
proc_cpu (pid_t pid, gboolean children)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int)pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;
  const char *end;
  double      ticks = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (end = strrchr (text, ')')) == NULL)
    return 0;
  /* After "pid (comm)": state is field 3; utime 14, stime 15, cutime 16, cstime 17. */
  fields = g_strsplit (end + 2, " ", 0);
  if (g_strv_length (fields) < 15)
    return 0;
  for (guint i = 11; i <= (children ? 14u : 12u); i++)
    ticks += g_ascii_strtod (fields[i], NULL);
  return ticks / sysconf (_SC_CLK_TCK);
}

/* The PostgreSQL cluster of SKIDKA_TEST_POSTGRES (with-postgres.sh's:
 * host=DIR, data in DIR/data): its postmaster and every backend. */
static double
postgres_cpu (Bench *b)
{
  g_autofree char *dir = NULL;
  g_autofree char *pidfile = NULL;
  g_autofree char *text = NULL;
  const char      *host;
  g_autoptr (GDir) proc = NULL;
  const char *name;
  pid_t       postmaster;
  double      total;

  if (!sk_database_is_uri (b->location) || (host = strstr (b->location, "host=")) == NULL)
    return 0;
  dir = g_strndup (host + 5, strcspn (host + 5, "&"));
  pidfile = g_build_filename (dir, "data", "postmaster.pid", NULL);
  if (!g_file_get_contents (pidfile, &text, NULL, NULL))
    return 0;
  postmaster = (pid_t)g_ascii_strtoll (text, NULL, 10);
  total = proc_cpu (postmaster, TRUE);
  proc = g_dir_open ("/proc", 0, NULL);
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *status = NULL;
      g_autofree char *path = NULL;
      const char      *ppid;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/status", name);
      if (g_file_get_contents (path, &status, NULL, NULL) && (ppid = strstr (status, "\nPPid:"))
          && (pid_t)g_ascii_strtoll (ppid + 6, NULL, 10) == postmaster)
        total += proc_cpu ((pid_t)g_ascii_strtoll (name, NULL, 10), FALSE);
    }
  return total;
}

static Cpu
cpu_now (Bench *b)
{
  struct rusage self = { 0 };

  getrusage (RUSAGE_SELF, &self);
  return (Cpu){ self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6 + self.ru_stime.tv_sec
                    + self.ru_stime.tv_usec / 1e6,
                b->running ? proc_cpu (b->server.pid, FALSE) : 0, postgres_cpu (b) };
}

/* CPU milliseconds per @n of what happened since @before. */
static void
print_cpu (Bench *b, const Cpu *before, gint64 n, const char *what)
{
  Cpu after = cpu_now (b);

  g_print ("  CPU per %s: till %.2f ms, server %.2f ms", what,
           1000 * (after.till - before->till) / n, 1000 * (after.server - before->server) / n);
  if (sk_database_is_uri (b->location))
    g_print (", PostgreSQL %.2f ms", 1000 * (after.postgres - before->postgres) / n);
  g_print ("; load average %.1f\n", load_average ());
}

/* Scenarios */

/* One sync cycle of @till, timed: its seconds. */
static double
timed_sync (Bench *b, Till *till, SkSyncSummary **summary)
{
  gint64 start = g_get_monotonic_time ();

  *summary = sync_till (b, till);
  return bench_seconds_since (start);
}

/* (a) */
static void
bench_push (Bench *b)
{
  g_autoptr (Till) till = NULL;
  g_autoptr (Till) online = NULL;
  g_autoptr (SkSyncSummary) first = NULL;
  g_autoptr (SkSyncSummary) summary = NULL;
  double seconds, rate;
  Cpu    cpu;

  g_print ("(a) %" G_GINT64_FORMAT " offline sales pushed from one till\n", opt_sales);
  fill_server (b, 1000);
  start_server (b);
  till = till_new (b, 0);
  first = sync_till (b, till);
  g_clear_pointer (&first, sk_sync_summary_free);
  /* Synced before any sale: see fill_server. */
  online = till_new (b, 1);
  first = sync_till (b, online);
  sell_offline (till, opt_sales, 1);

  /* The same kind of sales online, from a till of another store. */
  cpu = cpu_now (b);
  rate = online_rate (b, online, opt_online);
  g_print ("  online POST /api/pos/process-purchase, one client: %.0f purchases/s"
           " (%" G_GINT64_FORMAT " sales)\n",
           rate, opt_online);
  print_cpu (b, &cpu, opt_online, "sale");

  cpu = cpu_now (b);
  seconds = timed_sync (b, till, &summary);
  if (summary->pushed != opt_sales || summary->applied != opt_sales)
    g_printerr ("  pushed %" G_GINT64_FORMAT ", applied %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                "\n",
                summary->pushed, summary->applied, opt_sales);
  g_print ("  push: %.2f s (target < 20 s), %.0f events/s = %.2f x online; the cycle also"
           " pulled %" G_GINT64_FORMAT " changes\n",
           seconds, summary->pushed / seconds, summary->pushed / seconds / rate, summary->pulled);
  print_cpu (b, &cpu, summary->pushed, "event");
  stop_server (b);
}

/* (b) */
static void
bench_pull (Bench *b)
{
  g_autoptr (Till) till = NULL;
  g_autoptr (SkSyncSummary) first = NULL;
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (GError) error = NULL;
  double seconds;
  Cpu    cpu;

  g_print ("(b) %" G_GINT64_FORMAT " changes pulled and applied\n", opt_pull);
  fill_server (b, MAX (opt_pull, 1000));
  start_server (b);
  till = till_new (b, 0);
  first = sync_till (b, till);
  {
    /* HQ edits customers meanwhile (as its API would: a new version). */
    g_autoptr (SkDatabase) db = open_server_db (b);

    if (!sk_db_begin (db, &error)
        || !sk_db_exec (db, &error,
                        "UPDATE customers SET email = 'c' || id || '@example.org',"
                        " version = version + 1"
                        " WHERE id IN (SELECT id FROM customers ORDER BY id LIMIT ?1)",
                        "i", opt_pull)
        || !sk_db_commit (db, &error))
      die ("editing customers", error);
  }
  cpu = cpu_now (b);
  seconds = timed_sync (b, till, &summary);
  g_print ("  pull: %.3f s for %" G_GINT64_FORMAT " changes (target < 0.5 s), %.0f changes/s\n",
           seconds, summary->pulled, summary->pulled / seconds);
  print_cpu (b, &cpu, summary->pulled, "change");
  stop_server (b);
}

/* (c) */
static void
bench_initial (Bench *b)
{
  g_autoptr (Till) till = NULL;
  g_autofree char *output = NULL;
  double           seconds, till_cpu, server_cpu;
  long             peak_kb;

  g_print ("(c) initial sync of a new till, %" G_GINT64_FORMAT " customers\n", opt_customers);
  fill_server (b, opt_customers);
  start_server (b);
  till = till_new (b, 0);
  server_cpu = proc_cpu (b->server.pid, FALSE);
  sync_child (b, till, &seconds, &till_cpu, &peak_kb, &output);
  server_cpu = proc_cpu (b->server.pid, FALSE) - server_cpu;
  {
    /* The CLI's summary on one line. */
    g_autoptr (JsonNode) node = json_from_string (output, NULL);

    g_free (output);
    output = node ? json_to_string (node, FALSE) : g_strdup ("?");
  }
  g_print ("  skidka-cli sync: %.1f s (target < 60 s), peak RSS %.1f MB (target < 300 MB)\n"
           "  summary: %s\n",
           seconds, peak_kb / 1024.0, output);
  g_print ("  CPU: till %.1f s, server %.1f s; load average %.1f\n", till_cpu, server_cpu,
           load_average ());
  g_print ("  server RSS after: %.1f MB\n", bench_server_rss_kb (&b->server) / 1024.0);
  stop_server (b);
}

/* (e) */
static void
bench_store_sales (Bench *b)
{
  g_autoptr (Till) seller = NULL;
  g_autoptr (Till) alone = NULL;
  g_autoptr (Till) other = NULL;
  g_autoptr (SkSyncSummary) first = NULL;
  g_autoptr (SkSyncSummary) pushed = NULL;
  g_autoptr (SkSyncSummary) baseline = NULL;
  g_autoptr (SkSyncSummary) kept = NULL;
  g_autoptr (SkSyncSummary) again = NULL;
  double pushed_s, baseline_s, kept_s, again_s;
  Cpu    cpu;

  g_print ("(e) a new till of a store keeps the %" G_GINT64_FORMAT
           " sales another till of it made, for returns\n",
           opt_store_sales);
  fill_server (b, 1000);
  start_server (b);
  seller = till_new (b, 0);
  first = sync_till (b, seller);
  sell_offline (seller, opt_store_sales, 5);
  pushed_s = timed_sync (b, seller, &pushed);
  g_print ("  the seller's push: %.2f s; of its own sales, %" G_GINT64_FORMAT " sent back to it\n",
           pushed_s, pushed->sales_kept);
  /* The first sync of a till of a store without sales: the pull alone. */
  alone = till_new (b, 1);
  baseline_s = timed_sync (b, alone, &baseline);
  /* A till of the seller's store. */
  other = till_new (b, b->store_ids->len);
  cpu = cpu_now (b);
  kept_s = timed_sync (b, other, &kept);
  g_print ("  first sync of a new till: %.2f s, %" G_GINT64_FORMAT " sales kept; of a till of a"
           " store without sales: %.2f s (%" G_GINT64_FORMAT " changes pulled by each)\n",
           kept_s, kept->sales_kept, baseline_s, kept->pulled);
  g_print ("  keeping them: about %.2f s, %.0f sales/s\n", kept_s - baseline_s,
           kept->sales_kept / MAX (kept_s - baseline_s, 1e-6));
  print_cpu (b, &cpu, kept->sales_kept, "sale kept");
  again_s = timed_sync (b, other, &again);
  g_print ("  its next sync at once, nothing new: %.3f s, %" G_GINT64_FORMAT
           " sales kept (it reads the last minute's sales again, all of these)\n",
           again_s, again->sales_kept);
  /* 14 days on, a sync lets them all go (its part of the cycle alone). */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SkDatabase) db = sk_database_open (other->path, &error);
    gint64 start, dropped = 0;

    g_assert_no_error (error);
    start = g_get_monotonic_time ();
    if (!sk_database_drop_kept_sales (db, G_MAXINT64, &dropped, &error))
      g_error ("%s", error->message);
    g_print ("  14 days on, letting them go: %.3f s, %" G_GINT64_FORMAT " sales dropped\n",
             (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC, dropped);
  }
  stop_server (b);
}

/* (d) */
static void
bench_outage (Bench *b)
{
  g_autoptr (GPtrArray) tills = g_ptr_array_new_with_free_func ((GDestroyNotify)till_free);
  g_autofree SkSyncSummary **summaries = g_new0 (SkSyncSummary *, opt_tills + 1);
  gint64                     start, pushed = 0;
  double                     alone, together;
  Cpu                        cpu;

  g_print ("(d) %" G_GINT64_FORMAT " tills push %" G_GINT64_FORMAT
           " sales each at once, against one till alone\n",
           opt_tills, opt_till_sales);
  fill_server (b, 1000);
  start_server (b);
  for (gint64 i = 0; i <= opt_tills; i++)
    {
      Till *till = till_new (b, i);

      g_ptr_array_add (tills, till);
      summaries[0] = sync_till (b, till);
      g_clear_pointer (&summaries[0], sk_sync_summary_free);
      sell_offline (till, opt_till_sales, 100 + i);
    }

  cpu = cpu_now (b);
  start = g_get_monotonic_time ();
  sync_tills (b, (Till **)tills->pdata, 1, summaries);
  alone = summaries[0]->pushed / bench_seconds_since (start);
  g_print ("  one till alone: %" G_GINT64_FORMAT " events in %.2f s, %.0f events/s\n",
           summaries[0]->pushed, summaries[0]->pushed / alone, alone);
  print_cpu (b, &cpu, summaries[0]->pushed, "event");
  g_clear_pointer (&summaries[0], sk_sync_summary_free);

  cpu = cpu_now (b);
  start = g_get_monotonic_time ();
  sync_tills (b, (Till **)tills->pdata + 1, opt_tills, summaries);
  for (gint64 i = 0; i < opt_tills; i++)
    {
      pushed += summaries[i]->pushed;
      g_clear_pointer (&summaries[i], sk_sync_summary_free);
    }
  together = pushed / bench_seconds_since (start);
  g_print ("  %" G_GINT64_FORMAT " tills at once: %" G_GINT64_FORMAT
           " events in %.2f s, %.0f events/s = %.2f x one till alone\n",
           opt_tills, pushed, pushed / together, together, together / alone);
  print_cpu (b, &cpu, pushed, "event");
  stop_server (b);
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "only", 0, 0, G_OPTION_ARG_STRING, &opt_only, "Run these scenarios only (default abcde)",
      "abcd" },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &opt_backend,
      "sqlite (default) or postgresql (SKIDKA_TEST_POSTGRES; run it under tests/with-postgres.sh)",
      "NAME" },
    { "sales", 0, 0, G_OPTION_ARG_INT64, &opt_sales, "(a) offline sales pushed (10000)", "N" },
    { "online", 0, 0, G_OPTION_ARG_INT64, &opt_online, "(a) online sales for the rate (500)", "N" },
    { "pull", 0, 0, G_OPTION_ARG_INT64, &opt_pull, "(b) changes pulled (1000)", "N" },
    { "customers", 0, 0, G_OPTION_ARG_INT64, &opt_customers, "(c) customers (1000000)", "N" },
    { "tills", 0, 0, G_OPTION_ARG_INT64, &opt_tills, "(d) tills pushing at once (4)", "N" },
    { "till-sales", 0, 0, G_OPTION_ARG_INT64, &opt_till_sales, "(d) sales per till (5000)", "N" },
    { "store-sales", 0, 0, G_OPTION_ARG_INT64, &opt_store_sales,
      "(e) sales of the store another till made (3000)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- sync benchmarks");
  g_autoptr (GError) error = NULL;
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char      *only;
  Bench            b = { 0 };

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("options", error);
  only = opt_only ? opt_only : "abcde";
  sk_postgres_init ();

  the_bench = &b;
  b.argv0 = g_strdup (self ? self : argv[0]);
  b.bindir = g_path_get_dirname (b.argv0);
  b.dir = g_dir_make_tmp ("skidka-bench-sync-XXXXXX", &error);
  if (b.dir == NULL)
    die ("making a temporary directory", error);
  if (g_strcmp0 (opt_backend, "postgresql") == 0)
    {
      b.location = g_strdup (g_getenv ("SKIDKA_TEST_POSTGRES"));
      if (b.location == NULL)
        {
          g_printerr ("bench-sync: --backend postgresql needs SKIDKA_TEST_POSTGRES: run\n"
                      "  SKIDKA_PG_FSYNC=on tests/with-postgres.sh %s --backend postgresql\n",
                      argv[0]);
          return 1;
        }
    }
  else if (opt_backend == NULL || g_str_equal (opt_backend, "sqlite"))
    b.location = g_build_filename (b.dir, "server.db", NULL);
  else
    die ("--backend is sqlite or postgresql", NULL);
  b.store_ids = g_ptr_array_new_with_free_func (g_free);
  b.session = soup_session_new ();
  g_print ("bench-sync: skidka-server on loopback, %s, %u CPUs\n",
           sk_database_is_uri (b.location) ? "PostgreSQL" : "SQLite", g_get_num_processors ());

  if (strchr (only, 'a'))
    bench_push (&b);
  if (strchr (only, 'b'))
    bench_pull (&b);
  if (strchr (only, 'c'))
    bench_initial (&b);
  if (strchr (only, 'd'))
    bench_outage (&b);
  if (strchr (only, 'e'))
    bench_store_sales (&b);

  reset_server_db (&b);
  bench_remove_dir (b.dir);
  g_object_unref (b.session);
  g_ptr_array_unref (b.store_ids);
  g_free (b.url);
  g_free (b.location);
  g_free (b.dir);
  g_free (b.argv0);
  g_free (b.bindir);
  return 0;
}
