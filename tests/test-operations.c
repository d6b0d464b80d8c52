/* test-operations.c: what a server's operator relies on, with the real
 * skidka-server program: admin backup and restore of a SQLite file that
 * another process keeps selling into; /api/health when the database goes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>

#include <string.h>

#include "sk-record.h"
#include "sk-test-util.h"

typedef struct
{
  char       *dir;
  char       *path;
  SkDatabase *db;
  SkStore    *store;
  SkCustomer *customer;
} Fixture;

static const char *
server_program (void)
{
  return g_getenv ("SKIDKA_SERVER");
}

/* Runs skidka-server with @args; its stderr into *message when given. */
static gboolean
run_server (const char *const *args, const char *input, char **message)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (char *)server_program ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char *const *)argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (message != NULL)
    *message = g_steal_pointer (&err);
  return g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *password = NULL;

  if (server_program () == NULL)
    return;
  f->db = sk_test_open_database ("skidka-backup-XXXXXX", &f->dir);
  f->path = g_build_filename (f->dir, "skidka.db", NULL);
  f->store = sk_test_store_new ("MSK-01", "Moscow 1");
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  g_assert_no_error (error);
  f->customer = sk_test_create_customer (f->db, "Anna", "+79160000001");
  /* An account: what the JSON export leaves out and a backup must not. */
  password = g_build_filename (f->dir, "pw", NULL);
  g_assert_true (g_file_set_contents (password, "a-long-password\n", -1, NULL));
  {
    const char *args[]
        = { "--database", f->path, "admin",           "create-user", "--username", "boss",
            "--role",     "admin", "--password-file", password,      NULL };
    g_assert_true (run_server (args, NULL, NULL));
  }
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  g_clear_object (&f->customer);
  g_clear_object (&f->db);
  if (f->dir != NULL)
    sk_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static char *
export_text (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (path, &error);
  g_autoptr (JsonNode) root = NULL;

  g_assert_no_error (error);
  root = sk_database_export (db, &error);
  g_assert_no_error (error);
  return sk_json_to_string (root, TRUE);
}

static gint64
count_in (const char *path, const char *sql)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (path, &error);

  g_assert_no_error (error);
  return sk_test_query_int (db, sql, NULL);
}

typedef struct
{
  const char *path;
  const char *store_id;
  const char *customer_id;
  gint        stop;
  gint        sold;
  GError     *error;
} Seller;

/* Sells on its own connection until told to stop: the server's writes. */
static gpointer
seller_thread (gpointer data)
{
  Seller *seller = data;
  g_autoptr (SkDatabase) db = sk_database_open (seller->path, &seller->error);

  while (db != NULL && !g_atomic_int_get (&seller->stop))
    {
      g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
      g_autoptr (SkPurchaseResult) result = NULL;

      request->id = g_uuid_string_random ();
      request->customer_id = g_strdup (seller->customer_id);
      request->cart = sk_cart_new (seller->store_id);
      sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 123456, 1);
      result = sk_database_process_purchase (db, request, &seller->error);
      if (result == NULL)
        break;
      g_atomic_int_inc (&seller->sold);
    }
  return NULL;
}

static void
wait_for_sales (Seller *seller, gint at_least)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_atomic_int_get (&seller->sold) < at_least && seller->error == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
}

/* A backup taken while sales are written is one moment of the file: every
 * sale with its lines and bonus, balances equal to their ledgers; restored,
 * it exports exactly as the backup does, accounts included; a backup of the
 * quiet file exports as the file. */
static void
test_backup_while_selling (Fixture *f, gconstpointer data)
{
  g_autofree char *backup = NULL, *restored = NULL, *quiet_backup = NULL;
  g_autofree char *restored_export = NULL, *backup_export = NULL;
  Seller           seller = { 0 };
  GThread         *thread;
  gint             sold_before, sold_after;
  gint64           in_backup;

  if (server_program () == NULL)
    {
      g_test_skip ("SKIDKA_SERVER is not set");
      return;
    }
  backup = g_build_filename (f->dir, "backup.db", NULL);
  restored = g_build_filename (f->dir, "restored.db", NULL);
  seller.path = f->path;
  seller.store_id = sk_record_get_id (f->store);
  seller.customer_id = sk_record_get_id (f->customer);
  thread = g_thread_new ("seller", seller_thread, &seller);
  wait_for_sales (&seller, 20);
  sold_before = g_atomic_int_get (&seller.sold);
  {
    const char *args[] = { "--database", f->path, "admin", "backup", backup, NULL };
    g_assert_true (run_server (args, NULL, NULL));
  }
  sold_after = g_atomic_int_get (&seller.sold);
  /* Still selling after the backup: it stopped nobody. */
  wait_for_sales (&seller, sold_after + 20);
  g_atomic_int_set (&seller.stop, 1);
  g_thread_join (thread);
  g_assert_no_error (seller.error);

  in_backup = count_in (backup, "SELECT count(*) FROM purchases");
  g_assert_cmpint (in_backup, >=, sold_before);
  g_assert_cmpint (in_backup, <=, sold_after + 1);
  g_assert_cmpint (count_in (backup, "SELECT count(*) FROM purchases p WHERE NOT EXISTS (SELECT 1 "
                                     "FROM purchase_lines l WHERE l.purchase_id = p.id)"),
                   ==, 0);
  g_assert_cmpint (count_in (backup, "SELECT count(*) FROM customers c WHERE bonus_balance <> "
                                     "(SELECT coalesce (sum (amount), 0) FROM bonus_transactions "
                                     "t WHERE t.customer_id = c.id)"),
                   ==, 0);
  g_assert_cmpint (count_in (backup, "SELECT bonus_balance FROM customers"), >, 0);
  /* One file: nothing of it is left in a -wal beside it. */
  {
    g_autofree char *wal = g_strconcat (backup, "-wal", NULL);
    g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  }

  {
    const char *args[] = { "--database", restored, "admin", "restore", backup, NULL };
    g_assert_true (run_server (args, NULL, NULL));
  }
  restored_export = export_text (restored);
  backup_export = export_text (backup);
  g_assert_cmpstr (restored_export, ==, backup_export);
  g_assert_cmpint (count_in (restored, "SELECT count(*) FROM purchases"), ==, in_backup);
  g_assert_cmpint (count_in (restored, "SELECT count(*) FROM users WHERE username = 'boss'"), ==,
                   1);

  /* The file at rest: its backup is the same data. */
  quiet_backup = g_build_filename (f->dir, "quiet.db", NULL);
  {
    const char *args[] = { "--database", f->path, "admin", "backup", quiet_backup, NULL };
    g_assert_true (run_server (args, NULL, NULL));
  }
  {
    g_autofree char *original = export_text (f->path);
    g_autofree char *copy = export_text (quiet_backup);

    g_assert_cmpstr (copy, ==, original);
    g_assert_cmpint (count_in (quiet_backup, "SELECT count(*) FROM purchases"), ==,
                     g_atomic_int_get (&seller.sold));
  }
}

/* What is not a Skidka database is refused and the database stays as it
 * was; a PostgreSQL URI gets pointed at pg_dump; a missing source makes no
 * backup. */
static void
test_restore_refuses (Fixture *f, gconstpointer data)
{
  g_autofree char *garbage = NULL, *before = NULL, *after = NULL, *message = NULL;
  g_autofree char *missing = NULL, *target = NULL;

  if (server_program () == NULL)
    {
      g_test_skip ("SKIDKA_SERVER is not set");
      return;
    }
  g_clear_object (&f->db);
  garbage = g_build_filename (f->dir, "garbage.db", NULL);
  g_assert_true (g_file_set_contents (garbage, "not a database at all, not even close", -1, NULL));
  before = export_text (f->path);
  {
    const char *args[] = { "--database", f->path, "admin", "restore", garbage, NULL };
    g_assert_false (run_server (args, NULL, &message));
    g_assert_nonnull (strstr (message, "garbage.db"));
  }
  after = export_text (f->path);
  g_assert_cmpstr (after, ==, before);

  g_clear_pointer (&message, g_free);
  {
    const char *args[] = { "--database", "postgresql://skidka@localhost/skidka",
                           "admin",      "backup",
                           garbage,      NULL };
    g_assert_false (run_server (args, NULL, &message));
    g_assert_nonnull (strstr (message, "pg_dump"));
  }

  missing = g_build_filename (f->dir, "missing.db", NULL);
  target = g_build_filename (f->dir, "never.db", NULL);
  {
    const char *args[] = { "--database", missing, "admin", "backup", target, NULL };
    g_assert_false (run_server (args, NULL, NULL));
  }
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
}

static guint
health_status (SoupSession *session, guint port, char **body_text)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/api/health", port);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);

  g_assert_no_error (error);
  *body_text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  return soup_message_get_status (msg);
}

/* The running server's health follows its database file: 200 while it is
 * there, 503 "database_unavailable" once it was replaced by something
 * else, 200 again when it is back. */
static void
test_health_without_database (Fixture *f, gconstpointer data)
{
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *aside = NULL, *body = NULL;
  guint            port = 0;

  if (server_program () == NULL)
    {
      g_test_skip ("SKIDKA_SERVER is not set");
      return;
    }
  g_clear_object (&f->db);
  {
    const char *argv[]
        = { server_program (), "--database", f->path, "--port", "0", "--log-level", "info", NULL };
    server = g_subprocess_newv (
        argv, G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
    g_assert_no_error (error);
  }
  port = sk_test_server_log_port (server);
  g_assert_cmpuint (port, >, 0);

  g_assert_cmpuint (health_status (session, port, &body), ==, 200);
  g_assert_nonnull (strstr (body, "\"ok\""));
  g_clear_pointer (&body, g_free);

  /* The file goes away and another takes its name, as a mistaken restore
   * or a cleanup would do: the server's open connections still read the
   * old one, but a new one would not. */
  aside = g_strconcat (f->path, ".aside", NULL);
  g_assert_cmpint (g_rename (f->path, aside), ==, 0);
  g_assert_true (g_file_set_contents (f->path, "garbage, not a database", -1, NULL));
  g_assert_cmpuint (health_status (session, port, &body), ==, 503);
  g_assert_nonnull (strstr (body, "\"database_unavailable\""));
  g_clear_pointer (&body, g_free);

  g_assert_cmpint (g_rename (aside, f->path), ==, 0);
  g_assert_cmpuint (health_status (session, port, &body), ==, 200);

  g_subprocess_send_signal (server, SIGTERM);
  g_assert_true (g_subprocess_wait (server, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/backup/while-selling", Fixture, NULL, fixture_setup, test_backup_while_selling,
              fixture_teardown);
  g_test_add ("/backup/restore-refuses", Fixture, NULL, fixture_setup, test_restore_refuses,
              fixture_teardown);
  g_test_add ("/health/without-database", Fixture, NULL, fixture_setup,
              test_health_without_database, fixture_teardown);
  return g_test_run ();
}
