/* sk-test-util.c: helpers the core's test programs share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "sk-analytics.h"
#include "sk-database-private.h"
#include "sk-test-util.h"

void
sk_test_set_string (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

void
sk_test_remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_assert_cmpint (g_remove (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

SkCustomer *
sk_test_create_customer (SkDatabase *db, const char *full_name, const char *phone)
{
  g_autoptr (GError) error = NULL;
  SkCustomer *customer = sk_customer_new ();

  sk_test_set_string (&customer->full_name, full_name);
  sk_test_set_string (&customer->phone, phone);
  g_assert_true (sk_database_create_customer (db, customer, &error));
  g_assert_no_error (error);
  return customer;
}

void
sk_test_break_commits (SkDatabase *db, gboolean broken)
{
  const char *sql
      = broken ? "CREATE TABLE IF NOT EXISTS test_deferred ("
                 "  customer_id TEXT REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED);"
                 "CREATE TEMP TRIGGER break_commit AFTER INSERT ON main.sync_outbox"
                 "  BEGIN INSERT INTO test_deferred VALUES ('nobody'); END;"
               : "DROP TRIGGER temp.break_commit;";

  g_assert_cmpint (sqlite3_exec (sk_database_get_handle (db), sql, NULL, NULL, NULL), ==,
                   SQLITE_OK);
}

SkDatabase *
sk_test_open_database (const char *tmp_template, char **dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  SkDatabase      *db;

  *dir = g_dir_make_tmp (tmp_template, &error);
  g_assert_no_error (error);
  path = g_build_filename (*dir, "skidka.db", NULL);
  db = sk_database_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);
  return db;
}

SkAccount *
sk_test_account_new (const char *username, SkRole role, const char *store_id)
{
  SkAccount *account = sk_account_new ();

  account->username = g_strdup (username);
  account->role = role;
  account->store_id = g_strdup (store_id);
  account->password_hash = g_strdup (SK_TEST_PASSWORD_HASH);
  return account;
}

SkStore *
sk_test_store_new (const char *code, const char *name)
{
  SkStore *store = sk_store_new ();

  sk_test_set_string (&store->code, code);
  sk_test_set_string (&store->name, name);
  return store;
}

SkDiscountRule *
sk_test_rule_new (const char *name, const char *type, gint64 value, const char *category)
{
  SkDiscountRule *rule = sk_discount_rule_new ();
  const char     *categories[] = { category, NULL };

  sk_test_set_string (&rule->name, name);
  sk_test_set_string (&rule->type, type);
  rule->value = value;
  if (category != NULL)
    rule->categories = g_strdupv ((char **)categories);
  return rule;
}

SkDiscountRule *
sk_test_save_rule (SkDatabase *db, SkDiscountRule *rule)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_database_save_rule (db, rule, &error));
  g_assert_no_error (error);
  return rule;
}

gint64
sk_test_query_int (SkDatabase *db, const char *sql, const char *arg)
{
  return sk_test_sqlite_int (sk_database_get_handle (db), sql, arg);
}

gint64
sk_test_sqlite_int (sqlite3 *handle, const char *sql, const char *arg)
{
  sqlite3_stmt *stmt = NULL;
  gint64        value;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

void
sk_test_exec_sql (SkDatabase *db, const char *sql)
{
  g_autoptr (GError) error = NULL;

  if (!sk_db_exec_script (db, sql, &error))
    g_error ("%s: %s", sql, error->message);
}

/* A file made before returns kept their discount and bonuses with the
 * purchase: the upgrade works them out from the refunds and the lines, and
 * the charts count the return at once. A purchase was last written when
 * it was made, as far as tills asking for their store's sales know. */
void
sk_test_refund_figures_upgrade (const char *location)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SkStore) store = sk_store_new ();
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (SkPurchase) returned = NULL;
  g_autofree char *sql = NULL;
  SkSummary        s;
  SkDatabase      *old;

  old = sk_database_open_at_version (location, 21, &error);
  g_assert_no_error (error);
  sk_test_set_string (&store->code, "OLD-2");
  sk_test_set_string (&store->name, "Old");
  g_assert_true (sk_database_save_store (old, store, &error));
  g_assert_no_error (error);
  g_object_set (campaign, "name", "Old times", "status", "active", NULL);
  g_assert_true (sk_database_save_campaign (old, campaign, &error));
  g_assert_no_error (error);
  g_object_set (rule, "name", "Tenth", "type", "percentage", "value", (gint64)1000, "campaign-id",
                sk_record_get_id (campaign), NULL);
  g_assert_true (sk_database_save_rule (old, rule, &error));
  g_assert_no_error (error);
  /* 2 × 100 ₽ less 10 %, 10 ₽ of it paid with bonuses, 1,70 ₽ earned; one
   * item returned: 90 ₽, 5 ₽ of bonuses back, 0,85 ₽ taken back. */
  sql = g_strdup_printf (
      "INSERT INTO purchases (id, store_id, created_at, subtotal, discount_total, bonus_spent,"
      " bonus_earned, total_paid, status, refunded_total)"
      " VALUES ('p1', '%s', 1793491200000000, 20000, 2000, 1000, 170, 17000,"
      " 'partially_refunded', 9000);"
      "INSERT INTO purchase_lines (purchase_id, line_no, unit_price, quantity, discount, total,"
      " refunded_quantity) VALUES ('p1', 1, 10000, 2, 2000, 18000, 1);"
      "INSERT INTO discount_applications (id, purchase_id, rule_id, store_id, amount, created_at)"
      " VALUES ('a1', 'p1', '%s', '%s', 2000, 1793491200000000);"
      "INSERT INTO refunds (id, purchase_id, amount, bonus_reversed, bonus_returned, created_at)"
      " VALUES ('r1', 'p1', 9000, 85, 500, 1793500000000000);"
      "UPDATE campaigns SET spent = 1000;",
      store->id, sk_record_get_id (rule), store->id);
  sk_test_exec_sql (old, sql);
  g_object_unref (old);

  db = sk_database_open (location, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT discount_refunded FROM purchases", NULL),
                   ==, 1000);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT bonus_reversed FROM purchases", NULL), ==,
                   85);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT bonus_returned FROM purchases", NULL), ==,
                   500);
  g_assert_cmpint (
      sk_db_query_int (db, NULL, -1, "SELECT amount_refunded FROM discount_applications", NULL), ==,
      1000);
  g_assert_true (sk_analytics_summary (db, 0, G_MAXINT64 / 2, NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpint (s.purchases, ==, 1);
  g_assert_cmpint (s.revenue, ==, 9000);
  g_assert_cmpint (s.discounts, ==, 1000);
  g_assert_cmpint (s.bonus_earned, ==, 85);
  g_assert_cmpint (s.bonus_spent, ==, 500);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT updated_at FROM purchases", NULL), ==,
                   1793491200000000);
  /* Made here: not one a till keeps from HQ and lets go. */
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT kept FROM purchases", NULL), ==, 0);

  /* The application's campaign is its rule's; without its amounts on the
   * lines (not kept then), the rest returned gives back the rest. */
  g_assert_cmpint (sk_db_query_int (db, NULL, -1,
                                    "SELECT count(*) FROM discount_applications"
                                    " WHERE campaign_id = ? AND line_amounts IS NULL",
                                    "s", sk_record_get_id (campaign)),
                   ==, 1);
  returned = sk_database_refund_purchase (db, "9d0b6a0e-8e43-4a43-a4c3-6d7b0e1f2a3b", "p1", NULL,
                                          &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      sk_db_query_int (db, NULL, -1, "SELECT amount_refunded FROM discount_applications", NULL), ==,
      2000);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT spent FROM campaigns", NULL), ==, 0);
  /* The return wrote it again: the store's tills hear of it. */
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT updated_at FROM purchases", NULL), >,
                   1793500000000000);
}

void
sk_test_shop_teardown (SkTestShop *f, gconstpointer data)
{
  g_clear_object (&f->anna);
  g_clear_object (&f->store);
  g_clear_object (&f->db);
  sk_test_remove_dir (f->dir);
  g_free (f->dir);
}

JsonObject *
sk_test_find_change (JsonArray *changes, const char *entity, const char *id)
{
  JsonObject *found = NULL;

  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *change = json_array_get_object_element (changes, i);

      if (g_str_equal (json_object_get_string_member (change, "entity"), entity)
          && g_str_equal (json_object_get_string_member (change, "id"), id))
        {
          if (found != NULL)
            g_error ("%s %s is among the changes twice", entity, id);
          found = change;
        }
    }
  return found;
}

void
sk_test_keep_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

void
sk_test_wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

JsonObject *
sk_test_parse_object (const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = sk_json_parse (text, -1, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* skidka-cli */

void
sk_test_run_free (SkTestRun *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

/* Runs @argv with @input on its stdin and, if @bulk, the demo's bulk path
 * forced. */
static SkTestRun *
run_argv (const char *input, gboolean bulk, const char *clock, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) command = g_ptr_array_new ();
  SkTestRun *run = g_new0 (SkTestRun, 1);

  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (bulk)
    g_subprocess_launcher_setenv (launcher, "SKIDKA_DEMO_BULK", "1", TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "SKIDKA_DEMO_BULK");
  /* faketime preloads its library, which a sanitized program lets come
   * before its own runtime only when told. */
  if (clock != NULL)
    {
      g_autofree char *asan
          = g_strconcat (g_getenv ("ASAN_OPTIONS") ? g_getenv ("ASAN_OPTIONS") : "",
                         ":verify_asan_link_order=0", NULL);

      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
      g_ptr_array_add (command, (gpointer) "faketime");
      g_ptr_array_add (command, (gpointer) "-f");
      g_ptr_array_add (command, (gpointer)clock);
    }
  for (guint i = 0; argv[i] != NULL; i++)
    g_ptr_array_add (command, (gpointer)argv[i]);
  g_ptr_array_add (command, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *)command->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input ? input : "", NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  /* A crash is never an answer, whatever the input. */
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
  if (g_test_verbose () && run->err != NULL && *run->err != '\0')
    g_test_message ("stderr: %s", run->err);
  return run;
}

static SkTestRun *
run_cli (const char *input, gboolean bulk, const char *clock, const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  const char *cli = g_getenv ("SKIDKA_CLI");

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer)cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  return run_argv (input, bulk, clock, (const char *const *)argv->pdata);
}

SkTestRun *
sk_test_run_cli_full (const char *input, gboolean bulk, const char *const *args)
{
  return run_cli (input, bulk, NULL, args);
}

SkTestRun *
sk_test_run_cli_at_full (const char *clock, const char *input, const char *const *args)
{
  return run_cli (input, FALSE, clock, args);
}

SkTestRun *
sk_test_run_program (const char *input, const char *const *argv)
{
  return run_argv (input, FALSE, NULL, argv);
}

guint
sk_test_server_log_port (GSubprocess *server)
{
  g_autoptr (GDataInputStream) log
      = g_data_input_stream_new (g_subprocess_get_stderr_pipe (server));
  guint port = 0;
  char *line;

  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (log), FALSE);
  while (port == 0 && (line = g_data_input_stream_read_line_utf8 (log, NULL, NULL, NULL)) != NULL)
    {
      const char *at = strstr (line, "Listening on");

      if (at != NULL && (at = strstr (at, " port ")) != NULL)
        port = (guint)g_ascii_strtoull (at + strlen (" port "), NULL, 10);
      g_free (line);
    }
  return port;
}

void
sk_test_assert_ok (SkTestRun *run)
{
  if (run->status != 0)
    g_error ("skidka-cli failed with %d: %s", run->status, run->err);
}

void
sk_test_assert_fails (SkTestRun *run, int status, const char *words)
{
  g_assert_cmpint (run->status, ==, status);
  g_assert_true (g_str_has_prefix (run->err, "skidka-cli: "));
  if (words != NULL && strstr (run->err, words) == NULL)
    g_error ("stderr “%s” does not say “%s”", run->err, words);
  g_assert_cmpstr (run->out, ==, "");
}
