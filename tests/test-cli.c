/* test-cli.c: the real skidka-cli program, run on temporary database files.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "sk-database.h"
#include "sk-error.h"
#include "sk-record.h"
#include "sk-test-util.h"

#define STORE_ID    "6f1c1d2a-1b7e-4c55-9a0e-5d1f8f0e0a01"
#define CUSTOMER_ID "6f1c1d2a-1b7e-4c55-9a0e-5d1f8f0e0c01"
#define RULE_ID     "6f1c1d2a-1b7e-4c55-9a0e-5d1f8f0e0b01"
#define PURCHASE_1  "7a0a5f3e-0c43-4a8e-8f57-6b2b2c000001"
#define PURCHASE_2  "7a0a5f3e-0c43-4a8e-8f57-6b2b2c000002"
#define NOWHERE_ID  "00000000-0000-4000-8000-0000000000ff"

typedef struct
{
  char *dir;
} Fixture;

/* An input the CLI must refuse, and words its message must contain. */
typedef struct
{
  const char *input;
  const char *words;
} BadInput;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("skidka-cli-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  sk_test_remove_dir (f->dir);
  g_free (f->dir);
}

static char *
path_in (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

/* The first integer @sql finds in @db (G_MININT64 for no row); closes @db. */
static gint64
first_int_and_close (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        value = G_MININT64;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* SQL on the file, read-only, behind the CLI's back. */
static gint64
sql_int (const char *db_path, const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  return first_int_and_close (db, sql);
}

/* Compares @db_path with @other_path through ATTACH: @sql sees "b". */
static gint64
sql_int2 (const char *db_path, const char *other_path, const char *sql)
{
  sqlite3         *db = NULL;
  sqlite3_stmt    *stmt = NULL;
  g_autofree char *uri = g_strdup_printf ("file:%s?mode=ro", other_path);

  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "ATTACH ? AS b", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, uri, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  return first_int_and_close (db, sql);
}

static gint64
member_int (JsonObject *object, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, ".", -1);
  JsonObject *o = object;

  for (guint i = 0; parts[i + 1] != NULL; i++)
    o = json_object_get_object_member (o, parts[i]);
  g_assert_true (json_object_has_member (o, parts[g_strv_length (parts) - 1]));
  return json_object_get_int_member (o, parts[g_strv_length (parts) - 1]);
}

/* Usage */

static void
test_usage (Fixture *f, gconstpointer data)
{
  g_autofree char *db = path_in (f, "usage.db");
  g_autoptr (SkTestRun) none = sk_test_run_cli (NULL, "--db", db);
  g_autoptr (SkTestRun) unknown = sk_test_run_cli (NULL, "--db", db, "frobnicate");
  g_autoptr (SkTestRun) bad_option = sk_test_run_cli (NULL, "--db", db, "demo", "--wat");
  g_autoptr (SkTestRun) negative = sk_test_run_cli (NULL, "--db", db, "demo", "--customers", "-5");
  g_autoptr (SkTestRun) not_number
      = sk_test_run_cli (NULL, "--db", db, "demo", "--purchases", "many");
  g_autoptr (SkTestRun) help = sk_test_run_cli (NULL, "--help");
  g_autoptr (SkTestRun) demo_help = sk_test_run_cli (NULL, "demo", "--help");
  g_autoptr (SkTestRun) segments = sk_test_run_cli (NULL, "--db", db, "segments");
  g_autoptr (SkTestRun) bad_from
      = sk_test_run_cli (NULL, "--db", db, "summary", "--from", "yesterday");
  g_autoptr (SkTestRun) extra = sk_test_run_cli (NULL, "--db", db, "init", "please");

  g_assert_cmpint (none->status, ==, 2);
  sk_test_assert_fails (unknown, 2, "Unknown command");
  sk_test_assert_fails (bad_option, 2, "--wat");
  sk_test_assert_fails (negative, 2, "--customers");
  sk_test_assert_fails (not_number, 2, "many");
  sk_test_assert_fails (segments, 2, "update");
  sk_test_assert_fails (bad_from, 2, "yesterday");
  sk_test_assert_fails (extra, 2, "please");

  sk_test_assert_ok (help);
  g_assert_nonnull (strstr (help->out, "engine"));
  g_assert_nonnull (strstr (help->out, "summary"));
  sk_test_assert_ok (demo_help);
  g_assert_nonnull (strstr (demo_help->out, "--customers"));
  g_assert_nonnull (strstr (demo_help->out, "--db"));

  /* None of that made a file. */
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
}

static void
test_init (Fixture *f, gconstpointer data)
{
  g_autofree char *db = path_in (f, "init.db");
  g_autofree char *missing = path_in (f, "missing.db");
  g_autoptr (SkTestRun) init = sk_test_run_cli (NULL, "--db", db, "init");
  g_autoptr (SkTestRun) again = sk_test_run_cli (NULL, "init", "--db", db);
  g_autoptr (SkTestRun) no_db = sk_test_run_cli ("{}", "--db", missing, "purchase");
  g_autoptr (SkTestRun) no_db_export = sk_test_run_cli (NULL, "--db", missing, "export");

  sk_test_assert_ok (init);
  g_assert_nonnull (strstr (init->out, "schema version"));
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));
  sk_test_assert_ok (again);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM stores"), ==, 0);

  /* Malformed input is refused before the file is looked for. */
  sk_test_assert_fails (no_db, 1, NULL);
  sk_test_assert_fails (no_db_export, 1, "init");
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

/* demo */

static gboolean
ean13_is_valid (const char *code)
{
  int sum = 0;

  if (code == NULL || strlen (code) != 13)
    return FALSE;
  for (int i = 0; i < 13; i++)
    {
      if (!g_ascii_isdigit (code[i]))
        return FALSE;
      if (i < 12)
        sum += (code[i] - '0') * (i % 2 == 0 ? 1 : 3);
    }
  return (10 - sum % 10) % 10 == code[12] - '0';
}

/* Every cached figure equals what the rows say, through the public API. */
static void
check_customers_against_ledger (const char *db_path, gint64 expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (db_path, &error);
  g_autofree char    *cursor = NULL;
  SkSegmentThresholds thresholds;
  gint64              seen = 0;

  g_assert_no_error (error);
  sk_database_get_segment_thresholds (db, &thresholds);
  do
    {
      g_autofree char *next = NULL;
      g_autoptr (GPtrArray) page
          = sk_database_search_customers (db, NULL, cursor, 20, &next, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < page->len; i++)
        {
          SkCustomer      *customer = g_ptr_array_index (page, i);
          g_autofree char *id = NULL;
          g_autofree char *card = NULL;
          g_autofree char *phone = NULL;
          g_autofree char *segment = NULL;
          gint64           balance, visits, spent;

          g_object_get (customer, "id", &id, "card-number", &card, "phone", &phone, "segment",
                        &segment, "bonus-balance", &balance, "visits", &visits, "total-spent",
                        &spent, NULL);
          g_assert_cmpint (sk_database_ledger_sum (db, id, &error), ==, balance);
          g_assert_no_error (error);
          g_assert_cmpint (balance, >=, 0);
          g_assert_true (ean13_is_valid (card));
          g_assert_true (g_str_has_prefix (phone, "+79"));
          g_assert_cmpint (strlen (phone), ==, 12);
          g_assert_cmpstr (segment, ==, sk_segment_for (&thresholds, visits, spent));
          seen++;
        }
      g_free (cursor);
      cursor = g_steal_pointer (&next);
    }
  while (cursor != NULL);
  g_assert_cmpint (seen, ==, expected);
}

static void
check_demo_rows (const char *db)
{
  gint64           now = g_get_real_time ();
  g_autofree char *recent
      = g_strdup_printf ("SELECT count(*) FROM purchases WHERE created_at >= %" G_GINT64_FORMAT
                         " OR created_at < %" G_GINT64_FORMAT,
                         now, now - 182 * G_TIME_SPAN_DAY);

  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM stores"), ==, 5);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM stores WHERE max_bonus_share = 3000"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM products"), >=, 50);
  g_assert_cmpint (sql_int (db, "SELECT count(DISTINCT category) FROM products"), ==, 7);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM discount_rules"), >=, 10);
  g_assert_cmpint (sql_int (db, "SELECT count(DISTINCT type) FROM discount_rules"), ==, 3);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM discount_rules WHERE stackable = 0"), >, 0);
  g_assert_cmpint (
      sql_int (db, "SELECT count(*) FROM campaigns WHERE status = 'active' AND budget > 0"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM campaigns WHERE status = 'finished'"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM campaigns WHERE status = 'draft'"), ==, 1);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM customers"), ==, 50);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM purchases"), ==, 500);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM customer_children"), >, 0);
  g_assert_cmpint (sql_int (db, recent), ==, 0);

  /* Statistics are the sums of the sales. */
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM customers AS c WHERE visits <>"
                                " (SELECT count(*) FROM purchases WHERE customer_id = c.id)"),
                   ==, 0);
  g_assert_cmpint (
      sql_int (db, "SELECT count(*) FROM customers AS c WHERE total_spent <>"
                   " (SELECT coalesce (sum (subtotal - discount_total - refunded_total), 0)"
                   "  FROM purchases WHERE customer_id = c.id)"),
      ==, 0);
  g_assert_cmpint (sql_int (db,
                            "SELECT count(*) FROM customers AS c WHERE last_purchase_at IS NOT"
                            " (SELECT max (created_at) FROM purchases WHERE customer_id = c.id)"),
                   ==, 0);
  g_assert_cmpint (sql_int (db,
                            "SELECT count(*) FROM customers AS c WHERE created_at >"
                            " (SELECT min (created_at) FROM purchases WHERE customer_id = c.id)"),
                   ==, 0);

  /* Every sale adds up: lines, discounts, applications, bonuses. */
  g_assert_cmpint (
      sql_int (db,
               "SELECT count(*) FROM purchases AS p WHERE subtotal <>"
               " (SELECT sum (unit_price * quantity) FROM purchase_lines WHERE purchase_id = p.id)"
               " OR discount_total <> (SELECT sum (discount) FROM purchase_lines WHERE purchase_id "
               "= p.id)"
               " OR subtotal - discount_total <> (SELECT sum (total) FROM purchase_lines WHERE "
               "purchase_id = p.id)"
               " OR discount_total <> (SELECT coalesce (sum (amount), 0) FROM discount_applications"
               "                       WHERE purchase_id = p.id)"
               " OR total_paid <> subtotal - discount_total - bonus_spent"),
      ==, 0);
  g_assert_cmpint (
      sql_int (db, "SELECT count(*) FROM purchases AS p WHERE bonus_earned <>"
                   " (SELECT coalesce (sum (amount), 0) FROM bonus_transactions"
                   "  WHERE purchase_id = p.id AND kind = 'earn')"
                   " OR bonus_spent <> -(SELECT coalesce (sum (amount), 0) FROM bonus_transactions"
                   "  WHERE purchase_id = p.id AND kind = 'spend')"),
      ==, 0);
  g_assert_cmpint (
      sql_int (
          db, "SELECT count(*) FROM purchases AS p JOIN stores AS s ON s.id = p.store_id"
              " WHERE p.bonus_spent * 10000 > (p.subtotal - p.discount_total) * s.max_bonus_share"),
      ==, 0);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM purchases WHERE bonus_spent > 0"), >, 0);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM purchases WHERE customer_id IS NULL"), >, 0);
  g_assert_cmpint (sql_int (db,
                            "SELECT count(*) FROM discount_rules AS r WHERE uses <>"
                            " (SELECT count(*) FROM discount_applications WHERE rule_id = r.id)"),
                   ==, 0);
  g_assert_cmpint (
      sql_int (db, "SELECT count(*) FROM campaigns AS c WHERE spent <>"
                   " (SELECT coalesce (sum (a.amount), 0) FROM discount_applications AS a"
                   "  JOIN discount_rules AS r ON r.id = a.rule_id WHERE r.campaign_id = c.id)"
                   " OR (budget > 0 AND spent > budget)"),
      ==, 0);
  g_assert_cmpint (sql_int (db,
                            "SELECT count(*) FROM discount_rules AS r WHERE usage_limit_total > 0"
                            " AND uses > usage_limit_total"),
                   ==, 0);
  g_assert_cmpint (sql_int (db,
                            "SELECT count(*) FROM rule_customer_uses AS u JOIN discount_rules AS r"
                            " ON r.id = u.rule_id WHERE r.usage_limit_per_customer > 0"
                            " AND u.uses > r.usage_limit_per_customer"),
                   ==, 0);
  g_assert_cmpint (
      sql_int (db, "SELECT count(*) FROM discount_applications AS a JOIN discount_rules AS r"
                   " ON r.id = a.rule_id WHERE r.is_active = 0"),
      ==, 0);
  /* Several kinds of rules really applied. */
  g_assert_cmpint (sql_int (db, "SELECT count(DISTINCT rule_id) FROM discount_applications"), >=,
                   6);
}

static void
test_demo (Fixture *f, gconstpointer data)
{
  g_autofree char *db = path_in (f, "demo.db");
  g_autofree char *same = path_in (f, "same.db");
  g_autofree char *bulk = path_in (f, "bulk.db");
  g_autofree char *other = path_in (f, "other.db");
  g_autoptr (SkTestRun) init = sk_test_run_cli (NULL, "--db", db, "init");
  g_autoptr (SkTestRun) demo = sk_test_run_cli (NULL, "--db", db, "demo", "--customers", "50",
                                                "--purchases", "500", "--seed", "7");
  g_autoptr (SkTestRun) again = NULL;
  g_autoptr (SkTestRun) same_run = NULL;
  g_autoptr (SkTestRun) bulk_run = NULL;
  g_autoptr (SkTestRun) other_run = NULL;
  g_autoptr (SkTestRun) segments = NULL;
  const char *compare_purchases
      = "SELECT count(*) FROM purchases AS p JOIN b.purchases AS q USING (id)"
        " WHERE p.customer_id IS q.customer_id AND p.store_id = q.store_id AND p.created_at = "
        "q.created_at"
        " AND p.subtotal = q.subtotal AND p.discount_total = q.discount_total AND p.bonus_spent = "
        "q.bonus_spent"
        " AND p.bonus_earned = q.bonus_earned AND p.bonus_multiplier = q.bonus_multiplier";
  const char *compare_customers
      = "SELECT count(*) FROM customers AS c JOIN b.customers AS d USING (id)"
        " WHERE c.phone = d.phone AND c.card_number = d.card_number AND c.full_name = d.full_name"
        " AND c.visits = d.visits AND c.total_spent = d.total_spent AND c.bonus_balance = "
        "d.bonus_balance"
        " AND c.segment = d.segment AND c.created_at = d.created_at";

  sk_test_assert_ok (init);
  sk_test_assert_ok (demo);
  g_assert_nonnull (strstr (demo->out, "500 purchases"));
  g_assert_nonnull (strstr (demo->out, "purchase pipeline"));
  check_demo_rows (db);
  check_customers_against_ledger (db, 50);
  /* The pipeline queued what it queues. */
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM notifications"), >, 0);
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM sync_outbox WHERE entity = 'purchase'"), ==,
                   500);

  /* Only into an empty file. */
  again = sk_test_run_cli (NULL, "--db", db, "demo", "--customers", "5", "--purchases", "5");
  sk_test_assert_fails (again, 1, "already has data");
  g_assert_cmpint (sql_int (db, "SELECT count(*) FROM purchases"), ==, 500);

  /* Segments are already right. */
  segments = sk_test_run_cli (NULL, "--db", db, "segments", "update");
  sk_test_assert_ok (segments);
  g_assert_cmpstr (segments->out, ==, "0 customers changed segment\n");

  /* The same seed makes the same chain; the bulk path makes the same sales. */
  same_run = sk_test_run_cli (NULL, "--db", same, "demo", "--customers", "50", "--purchases", "500",
                              "--seed", "7");
  sk_test_assert_ok (same_run);
  g_assert_cmpint (sql_int2 (db, same, compare_purchases), ==, 500);
  g_assert_cmpint (sql_int2 (db, same, compare_customers), ==, 50);

  bulk_run = sk_test_run_cli_bulk (NULL, "--db", bulk, "demo", "--customers", "50", "--purchases",
                                   "500", "--seed", "7");
  sk_test_assert_ok (bulk_run);
  g_assert_nonnull (strstr (bulk_run->out, "in bulk"));
  check_demo_rows (bulk);
  check_customers_against_ledger (bulk, 50);
  g_assert_cmpint (sql_int2 (db, bulk, compare_purchases), ==, 500);
  g_assert_cmpint (sql_int2 (db, bulk, compare_customers), ==, 50);
  g_assert_cmpint (sql_int2 (db, bulk,
                             "SELECT count(*) FROM purchase_lines AS l JOIN b.purchase_lines AS m"
                             " USING (purchase_id, line_no) WHERE l.sku = m.sku"
                             " AND l.quantity = m.quantity AND l.discount = m.discount"),
                   ==, sql_int (db, "SELECT count(*) FROM purchase_lines"));
  g_assert_cmpint (sql_int2 (db, bulk,
                             "SELECT count(*) FROM discount_rules AS r JOIN b.discount_rules AS s"
                             " USING (id) WHERE r.uses = s.uses"),
                   ==, sql_int (db, "SELECT count(*) FROM discount_rules"));

  /* Another seed, another chain. */
  other_run = sk_test_run_cli (NULL, "--db", other, "demo", "--customers", "50", "--purchases",
                               "500", "--seed", "8");
  sk_test_assert_ok (other_run);
  g_assert_cmpint (sql_int2 (db, other, compare_purchases), ==, 0);
}

/* summary */

static void
test_summary (Fixture *f, gconstpointer data)
{
  g_autofree char *db = path_in (f, "summary.db");
  g_autoptr (SkTestRun) demo
      = sk_test_run_cli (NULL, "--db", db, "demo", "--customers", "30", "--purchases", "300");
  g_autoptr (SkTestRun) all = sk_test_run_cli (NULL, "--db", db, "summary");
  g_autoptr (SkTestRun) nowhere
      = sk_test_run_cli (NULL, "--db", db, "summary", "--store", NOWHERE_ID);
  g_autoptr (SkTestRun) backwards
      = sk_test_run_cli (NULL, "--db", db, "summary", "--from", "2025-02-01T00:00:00Z", "--to",
                         "2025-01-01T00:00:00Z");
  g_autoptr (SkTestRun) one_store = NULL;
  g_autoptr (JsonObject) figures = NULL;
  g_autoptr (JsonObject) store_figures = NULL;
  g_autofree char *store_sql = NULL;
  g_autofree char *store_id = NULL;
  sqlite3         *handle = NULL;
  sqlite3_stmt    *stmt = NULL;

  sk_test_assert_ok (demo);
  sk_test_assert_ok (all);
  figures = sk_test_parse_object (all->out);
  g_assert_cmpint (member_int (figures, "purchases"), ==, 300);
  g_assert_cmpint (
      member_int (figures, "revenue"), ==,
      sql_int (db, "SELECT sum (subtotal - discount_total - refunded_total) FROM purchases"));
  g_assert_cmpint (member_int (figures, "discounts"), ==,
                   sql_int (db, "SELECT sum (discount_total) FROM purchases"));
  g_assert_cmpint (member_int (figures, "bonus_earned"), ==,
                   sql_int (db, "SELECT sum (bonus_earned) FROM purchases"));
  sk_test_assert_fails (nowhere, 1, NULL);
  sk_test_assert_fails (backwards, 2, "--to");

  g_assert_cmpint (sqlite3_open_v2 (db, &handle, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (
      sqlite3_prepare_v2 (handle, "SELECT id FROM stores WHERE code = 'KZN-01'", -1, &stmt, NULL),
      ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  store_id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (handle);

  one_store = sk_test_run_cli (NULL, "--db", db, "summary", "--store", store_id, "--from",
                               "1970-01-02T00:00:00Z");
  sk_test_assert_ok (one_store);
  store_figures = sk_test_parse_object (one_store->out);
  store_sql = g_strdup_printf ("SELECT count(*) FROM purchases WHERE store_id = '%s'", store_id);
  g_assert_cmpint (member_int (store_figures, "purchases"), ==, sql_int (db, store_sql));
  g_assert_cmpint (member_int (store_figures, "purchases"), >, 0);
  g_assert_cmpint (member_int (store_figures, "purchases"), <, 300);
}

/* engine */

#define RULE(letter) "\"00000000-0000-4000-8000-00000000000" letter "\""

static const char engine_input[]
    = "{\"now\": \"2025-03-01T12:00:00Z\","
      " \"cart\": {\"store_id\": \"" STORE_ID "\", \"items\": ["
      "   {\"sku\": \"T1\", \"name\": \"Конструктор\", \"category\": \"toys\", \"unit_price\": "
      "129900, \"quantity\": 2},"
      "   {\"sku\": \"F1\", \"name\": \"Пюре\", \"category\": \"food\", \"unit_price\": 5900, "
      "\"quantity\": 3}]},"
      " \"customer\": {\"id\": \"c-1\", \"segment\": \"vip\", \"rule_uses\": {" RULE (
          "f") ": 1}},"
               " \"rules\": ["
               "  {\"id\": " RULE (
                   "a") ", \"name\": \"Toys 10%\", \"type\": \"percentage\", \"value\": 1000,"
                        "   \"categories\": [\"toys\"], \"priority\": 10, \"stackable\": true, "
                        "\"is_active\": true},"
                        "  {\"id\": " RULE (
                            "b") ", \"name\": \"200 off from 1000\", \"type\": \"fixed_amount\", "
                                 "\"value\": 20000,"
                                 "   \"min_purchase\": 100000, \"priority\": 5},"
                                 "  {\"id\": " RULE (
                                     "c") ", \"name\": \"15% alone\", \"type\": \"percentage\", "
                                          "\"value\": 1500,"
                                          "   \"max_discount\": 30000, \"stackable\": false, "
                                          "\"priority\": 1},"
                                          "  {\"id\": " RULE (
                                              "d") ", \"name\": \"VIP x2\", \"type\": "
                                                   "\"bonus_multiplier\", \"value\": 200,"
                                                   "   \"segments\": [\"vip\"]},"
                                                   "  {\"id\": " RULE (
                                                       "e") ", \"name\": \"Disabled\", \"type\": "
                                                            "\"percentage\", \"value\": 5000, "
                                                            "\"is_active\": false},"
                                                            "  {\"id\": " RULE (
                                                                "f") ", \"name\": \"Once\", "
                                                                     "\"type\": \"fixed_amount\", "
                                                                     "\"value\": 10000,"
                                                                     "   "
                                                                     "\"usage_limit_per_customer\":"
                                                                     " 1, \"priority\": 3},"
                                                                     "  {\"id\": " RULE (
                                                                         "9") ", \"name\": \"Sold "
                                                                              "out\", \"type\": "
                                                                              "\"percentage\", "
                                                                              "\"value\": 500,"
                                                                              "   "
                                                                              "\"usage_limit_"
                                                                              "total\": 100, "
                                                                              "\"uses\": 100, "
                                                                              "\"priority\": 2},"
                                                                              "  {\"id\": " RULE (
                                                                                  "8") ", "
                                                                                       "\"name\": "
                                                                                       "\"Books\", "
                                                                                       "\"type\": "
                                                                                       "\"percentag"
                                                                                       "e\", "
                                                                                       "\"value\": "
                                                                                       "1000,"
                                                                                       "   "
                                                                                       "\"categorie"
                                                                                       "s\": "
                                                                                       "[\"books\"]"
                                                                                       ", "
                                                                                       "\"priority"
                                                                                       "\": 4},"
                                                                                       "  "
                                                                                       "{\"id\":"
                                                                                       " " RULE (
                                                                                           "7") ", "
                                                                                                "\""
                                                                                                "na"
                                                                                                "me"
                                                                                                "\""
                                                                                                ": "
                                                                                                "\""
                                                                                                "Bi"
                                                                                                "g "
                                                                                                "ca"
                                                                                                "rt"
                                                                                                "\""
                                                                                                ", "
                                                                                                "\""
                                                                                                "ty"
                                                                                                "pe"
                                                                                                "\""
                                                                                                ": "
                                                                                                "\""
                                                                                                "fi"
                                                                                                "xe"
                                                                                                "d_"
                                                                                                "am"
                                                                                                "ou"
                                                                                                "nt"
                                                                                                "\""
                                                                                                ", "
                                                                                                "\""
                                                                                                "va"
                                                                                                "lu"
                                                                                                "e"
                                                                                                "\""
                                                                                                ": "
                                                                                                "50"
                                                                                                "00"
                                                                                                "0,"
                                                                                                "  "
                                                                                                " "
                                                                                                "\""
                                                                                                "mi"
                                                                                                "n_"
                                                                                                "pu"
                                                                                                "rc"
                                                                                                "ha"
                                                                                                "se"
                                                                                                "\""
                                                                                                ": "
                                                                                                "50"
                                                                                                "00"
                                                                                                "00"
                                                                                                ", "
                                                                                                "\""
                                                                                                "pr"
                                                                                                "io"
                                                                                                "ri"
                                                                                                "ty"
                                                                                                "\""
                                                                                                ": "
                                                                                                "6}"
                                                                                                " ]"
                                                                                                "}";

static const char *
rejected_code (JsonObject *result, const char *rule_id)
{
  JsonArray *rejected = json_object_get_array_member (result, "rejected");

  for (guint i = 0; i < json_array_get_length (rejected); i++)
    {
      JsonObject *r = json_array_get_object_element (rejected, i);

      if (g_str_equal (json_object_get_string_member (r, "rule_id"), rule_id))
        {
          g_assert_cmpstr (json_object_get_string_member (r, "reason"), !=, "");
          return json_object_get_string_member (r, "code");
        }
    }
  return NULL;
}

static void
test_engine (Fixture *f, gconstpointer data)
{
  g_autoptr (SkTestRun) run = sk_test_run_cli (engine_input, "engine");
  g_autoptr (SkTestRun) again = sk_test_run_cli (engine_input, "engine");
  g_autoptr (JsonObject) result = NULL;
  JsonArray  *applied, *lines;
  JsonObject *line;

  sk_test_assert_ok (run);
  result = sk_test_parse_object (run->out);
  /* Toys 10 %: 25 980 on the toys; then 200 ₽ over what is left, split
   * 233 820 : 17 700 by largest remainder (18 593 + 1 407); together
   * 45 980, more than the best exclusive rule (15 % capped at 300 ₽). */
  g_assert_cmpint (member_int (result, "subtotal"), ==, 277500);
  g_assert_cmpint (member_int (result, "discount_total"), ==, 45980);
  g_assert_cmpint (member_int (result, "total"), ==, 231520);
  g_assert_cmpint (member_int (result, "bonus_multiplier"), ==, 200);

  applied = json_object_get_array_member (result, "applied");
  g_assert_cmpint (json_array_get_length (applied), ==, 3);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (applied, 0), "name"), ==,
      "Toys 10%");
  g_assert_cmpint (
      json_object_get_int_member (json_array_get_object_element (applied, 0), "amount"), ==, 25980);
  g_assert_cmpint (
      json_object_get_int_member (json_array_get_object_element (applied, 1), "amount"), ==, 20000);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (applied, 2), "type"), ==,
      "bonus_multiplier");

  lines = json_object_get_array_member (result, "lines");
  g_assert_cmpint (json_array_get_length (lines), ==, 2);
  line = json_array_get_object_element (lines, 0);
  g_assert_cmpint (json_object_get_int_member (line, "discount"), ==, 44573);
  g_assert_cmpint (json_object_get_int_member (line, "total"), ==, 215227);
  line = json_array_get_object_element (lines, 1);
  g_assert_cmpint (json_object_get_int_member (line, "discount"), ==, 1407);
  g_assert_cmpint (json_object_get_int_member (line, "total"), ==, 16293);

  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-00000000000c"), ==,
                   "not_chosen");
  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-00000000000e"), ==, "inactive");
  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-00000000000f"), ==,
                   "usage_limit_per_customer");
  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-000000000009"), ==,
                   "usage_limit_total");
  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-000000000008"), ==,
                   "no_matching_items");
  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-000000000007"), ==,
                   "min_purchase");
  g_assert_null (rejected_code (result, "00000000-0000-4000-8000-00000000000a"));

  /* A pure function: the same input, the same bytes. */
  sk_test_assert_ok (again);
  g_assert_cmpstr (run->out, ==, again->out);
}

static void
test_engine_anonymous (Fixture *f, gconstpointer data)
{
  g_autoptr (GString) input = g_string_new (engine_input);
  g_autoptr (SkTestRun) run = NULL;
  g_autoptr (JsonObject) result = NULL;
  gsize at = strstr (input->str, "\"customer\": {") - input->str;
  gsize end = strstr (input->str + at, "}},") - input->str + 2;

  /* The same cart for an anonymous buyer: no VIP multiplier, and no rule
   * with a per-customer limit. */
  g_string_erase (input, at, end - at);
  g_string_insert (input, at, "\"customer\": null");
  run = sk_test_run_cli (input->str, "engine");
  sk_test_assert_ok (run);
  result = sk_test_parse_object (run->out);
  g_assert_cmpint (member_int (result, "discount_total"), ==, 45980);
  g_assert_cmpint (member_int (result, "bonus_multiplier"), ==, 100);
  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-00000000000d"), ==, "anonymous");
  g_assert_cmpstr (rejected_code (result, "00000000-0000-4000-8000-00000000000f"), ==, "anonymous");
}

static void
test_engine_bad_input (Fixture *f, gconstpointer data)
{
  static const BadInput cases[] = {
    { "", "nothing" },
    { "{\"rules\": [", "Malformed JSON" },
    { "[1, 2]", "JSON object" },
    { "{\"rules\": [], \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", "
      "\"unit_price\": 100,"
      " \"quantity\": -1}]}}",
      "quantity" },
    { "{\"rules\": [], \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", "
      "\"unit_price\": 100,"
      " \"quantity\": \"2\"}]}}",
      "quantity" },
    { "{\"rules\": [], \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", "
      "\"unit_price\": 1.5,"
      " \"quantity\": 1}]}}",
      "unit_price" },
    { "{\"rules\": [], \"cart\": {\"store_id\": \"s\", \"items\": []}}", "empty" },
    { "{\"rules\": []}", "cart" },
    { "{\"rules\": {}, \"cart\": {\"store_id\": \"s\", \"items\": []}}", "rules" },
    { "{\"rules\": [{\"name\": \"x\", \"type\": \"gift\", \"value\": 1}],"
      " \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", \"unit_price\": 100, "
      "\"quantity\": 1}]}}",
      "rules[0]" },
    { "{\"rules\": [{\"name\": \"x\", \"type\": \"percentage\", \"value\": 20000}],"
      " \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", \"unit_price\": 100, "
      "\"quantity\": 1}]}}",
      "rules[0]" },
    { "{\"rules\": [{\"name\": \"x\", \"type\": \"percentage\", \"value\": \"10\"}],"
      " \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", \"unit_price\": 100, "
      "\"quantity\": 1}]}}",
      "value" },
    { "{\"rules\": [], \"customer\": {\"segment\": \"gold\"},"
      " \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", \"unit_price\": 100, "
      "\"quantity\": 1}]}}",
      "gold" },
    { "{\"rules\": [], \"customer\": {\"rule_uses\": {\"r\": -1}},"
      " \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", \"unit_price\": 100, "
      "\"quantity\": 1}]}}",
      "rule_uses" },
    { "{\"rules\": [], \"now\": \"tomorrow\","
      " \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", \"unit_price\": 100, "
      "\"quantity\": 1}]}}",
      "now" },
    { "{\"rules\": [], \"campaigns\": [{\"name\": \"c\", \"status\": \"paused\"}],"
      " \"cart\": {\"store_id\": \"s\", \"items\": [{\"sku\": \"x\", \"unit_price\": 100, "
      "\"quantity\": 1}]}}",
      "campaigns[0]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SkTestRun) run = sk_test_run_cli (cases[i].input, "engine");

      g_test_message ("case %u: %s", i, cases[i].input);
      sk_test_assert_fails (run, 1, cases[i].words);
    }
}

/* purchase */

static void
make_purchase_fixture (const char *db_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (db_path, &error);
  g_autoptr (SkStore) store = sk_store_new ();
  g_autoptr (SkCustomer) customer = sk_customer_new ();
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  const char *toys[] = { "toys", NULL };

  g_assert_no_error (error);
  g_object_set (store, "id", STORE_ID, "code", "MSK-01", "name", "Москва", "timezone",
                "Europe/Moscow", "bonus-rate", (gint64)100, "max-bonus-share", (gint64)5000, NULL);
  g_assert_true (sk_database_save_store (db, store, &error));
  g_assert_no_error (error);
  g_object_set (customer, "id", CUSTOMER_ID, "full-name", "Иванова Анна Сергеевна", "phone",
                "+7 912 345-67-89", "card-number", "2700000000015", "home-store-id", STORE_ID,
                NULL);
  g_assert_true (sk_database_create_customer (db, customer, &error));
  g_assert_no_error (error);
  g_object_set (rule, "id", RULE_ID, "name", "Игрушки −10 %", "type", "percentage", "value",
                (gint64)1000, "categories", toys, "priority", (gint64)10, NULL);
  g_assert_true (sk_database_save_rule (db, rule, &error));
  g_assert_no_error (error);
}

/* Everything a sale writes, as one number per table. */
static char *
snapshot (const char *db)
{
  return g_strdup_printf (
      "%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
      "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
      sql_int (db, "SELECT count(*) FROM purchases"),
      sql_int (db, "SELECT count(*) FROM purchase_lines"),
      sql_int (db, "SELECT count(*) FROM discount_applications"),
      sql_int (db, "SELECT count(*) FROM bonus_transactions"),
      sql_int (db, "SELECT count(*) FROM notifications"),
      sql_int (db, "SELECT count(*) FROM sync_outbox"),
      sql_int (db, "SELECT sum (bonus_balance) + sum (visits) + sum (total_spent) FROM customers"),
      sql_int (db, "SELECT sum (uses) FROM discount_rules"));
}

#define SALE(id, items, spend)                                                                     \
  "{\"id\": \"" id "\", \"store_id\": \"" STORE_ID "\", \"customer_id\": \"" CUSTOMER_ID "\","     \
  " \"bonus_to_spend\": " spend ", \"created_at\": \"2025-03-01T12:00:00Z\", \"items\": [" items   \
  "]}"
#define TOY(q)                                                                                               \
  "{\"sku\": \"T1\", \"name\": \"Конструктор\", \"category\": \"toys\", \"unit_price\": 129900, " \
  "\"quantity\": " q "}"
#define FOOD(price, q)                                                                             \
  "{\"sku\": \"F1\", \"name\": \"Пюре\", \"category\": \"food\", \"unit_price\": " price           \
  ", \"quantity\": " q "}"

static void
test_purchase (Fixture *f, gconstpointer data)
{
  g_autofree char *db = path_in (f, "purchase.db");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (SkTestRun) first = NULL;
  g_autoptr (SkTestRun) replay = NULL;
  g_autoptr (SkTestRun) second = NULL;
  g_autoptr (JsonObject) result = NULL;
  g_autoptr (JsonObject) replayed = NULL;
  g_autoptr (JsonObject) result2 = NULL;
  g_autoptr (JsonNode) purchase_node = NULL;
  g_autoptr (JsonNode) replayed_node = NULL;

  make_purchase_fixture (db);

  /* 10 % off the toys: 25 980; bonuses 1 % of what was paid, rounded down. */
  first = sk_test_run_cli (SALE (PURCHASE_1, TOY ("2") "," FOOD ("5900", "3"), "0"), "--db", db,
                           "purchase");
  sk_test_assert_ok (first);
  result = sk_test_parse_object (first->out);
  g_assert_cmpint (member_int (result, "purchase.subtotal"), ==, 277500);
  g_assert_cmpint (member_int (result, "purchase.discount_total"), ==, 25980);
  g_assert_cmpint (member_int (result, "purchase.bonus_spent"), ==, 0);
  g_assert_cmpint (member_int (result, "purchase.total_paid"), ==, 251520);
  g_assert_cmpint (member_int (result, "purchase.bonus_earned"), ==, 2515);
  g_assert_cmpint (member_int (result, "customer.bonus_balance"), ==, 2515);
  g_assert_cmpint (member_int (result, "customer.visits"), ==, 1);
  g_assert_cmpint (member_int (result, "customer.total_spent"), ==, 251520);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (result, "customer"), "segment"),
      ==, "one_time");
  g_assert_false (json_object_get_boolean_member (result, "replayed"));

  /* The same id again: the first result, nothing written. */
  before = snapshot (db);
  replay = sk_test_run_cli (SALE (PURCHASE_1, TOY ("2") "," FOOD ("5900", "3"), "0"), "--db", db,
                            "purchase");
  sk_test_assert_ok (replay);
  after = snapshot (db);
  g_assert_cmpstr (before, ==, after);
  replayed = sk_test_parse_object (replay->out);
  g_assert_true (json_object_get_boolean_member (replayed, "replayed"));
  purchase_node = json_node_init_object (json_node_alloc (),
                                         json_object_get_object_member (result, "purchase"));
  replayed_node = json_node_init_object (json_node_alloc (),
                                         json_object_get_object_member (replayed, "purchase"));
  g_assert_true (json_node_equal (purchase_node, replayed_node));
  g_assert_cmpint (member_int (replayed, "customer.bonus_balance"), ==, 2515);

  /* Spending 20 ₽ of bonuses: nothing is earned on them. */
  second = sk_test_run_cli (SALE (PURCHASE_2, TOY ("1"), "2000"), "--db", db, "purchase");
  sk_test_assert_ok (second);
  result2 = sk_test_parse_object (second->out);
  g_assert_cmpint (member_int (result2, "purchase.discount_total"), ==, 12990);
  g_assert_cmpint (member_int (result2, "purchase.bonus_spent"), ==, 2000);
  g_assert_cmpint (member_int (result2, "purchase.total_paid"), ==, 114910);
  g_assert_cmpint (member_int (result2, "purchase.bonus_earned"), ==, 1149);
  g_assert_cmpint (member_int (result2, "customer.bonus_balance"), ==, 2515 - 2000 + 1149);
  g_assert_cmpint (sql_int (db, "SELECT sum (amount) FROM bonus_transactions"), ==, 1664);
}

static void
test_purchase_bad_input (Fixture *f, gconstpointer data)
{
  static const BadInput cases[] = {
    { "", "nothing" },
    { "{\"id\": ", "Malformed JSON" },
    { "\"a sale\"", "JSON object" },
    { "{\"store_id\": \"" STORE_ID "\", \"items\": [" TOY ("1") "]}", "id" },
    { "{\"id\": \"not-a-uuid\", \"store_id\": \"" STORE_ID "\", \"items\": [" TOY ("1") "]}",
      "UUID" },
    { SALE (PURCHASE_2, TOY ("-1"), "0"), "quantity" },
    { SALE (PURCHASE_2, TOY ("0"), "0"), "quantity" },
    { SALE (PURCHASE_2, TOY ("\"2\""), "0"), "quantity" },
    { SALE (PURCHASE_2, FOOD ("-100", "1"), "0"), "price" },
    { SALE (PURCHASE_2, TOY ("1"), "-5"), "bonus_to_spend" },
    { SALE (PURCHASE_2, TOY ("1"), "\"lots\""), "bonus_to_spend" },
    { SALE (PURCHASE_2, "", "0"), "empty" },
    { SALE (PURCHASE_2, TOY ("1"), "500000"), "Not enough bonuses" },
    /* 20 ₽ of food may be paid half with bonuses (the store's 50 %). */
    { SALE (PURCHASE_2, FOOD ("2000", "1"), "1500"), "At most" },
    { "{\"id\": \"" PURCHASE_2 "\", \"store_id\": \"" NOWHERE_ID "\", \"items\": [" TOY ("1") "]}",
      "store" },
    { "{\"id\": \"" PURCHASE_2 "\", \"store_id\": \"" STORE_ID "\", \"customer_id\": \"" NOWHERE_ID
      "\","
      " \"items\": [" TOY ("1") "]}",
      "customer" },
    { "{\"id\": \"" PURCHASE_2 "\", \"store_id\": \"" STORE_ID "\", \"bonus_to_spend\": 100,"
      " \"items\": [" TOY ("1") "]}",
      "anonymous" },
    { "{\"id\": \"" PURCHASE_2 "\", \"store_id\": 5, \"items\": [" TOY ("1") "]}", "store_id" },
    { "{\"id\": \"" PURCHASE_2 "\", \"store_id\": \"" STORE_ID "\", \"items\": {}}", "items" },
    { "{\"id\": \"" PURCHASE_2 "\", \"store_id\": \"" STORE_ID "\", \"created_at\": \"soon\","
      " \"items\": [" TOY ("1") "]}",
      "created_at" },
  };
  g_autofree char *db = path_in (f, "bad.db");
  g_autofree char *before = NULL;
  g_autoptr (SkTestRun) first = NULL;

  make_purchase_fixture (db);
  first = sk_test_run_cli (SALE (PURCHASE_1, TOY ("2") "," FOOD ("5900", "3"), "0"), "--db", db,
                           "purchase");
  sk_test_assert_ok (first);
  before = snapshot (db);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (SkTestRun) run = sk_test_run_cli (cases[i].input, "--db", db, "purchase");
      g_autofree char *after = NULL;

      g_test_message ("case %u: %s", i, cases[i].input);
      sk_test_assert_fails (run, 1, cases[i].words);
      after = snapshot (db);
      g_assert_cmpstr (before, ==, after);
    }
}

/* export -> import */

static void
test_export_import (Fixture *f, gconstpointer data)
{
  static const char *const tables[] = {
    "stores",
    "products",
    "campaigns",
    "discount_rules",
    "customers",
    "customer_children",
    "purchases",
    "purchase_lines",
    "discount_applications",
    "bonus_transactions",
    "customer_segments",
    "notifications",
    "rule_customer_uses",
  };
  g_autofree char *db = path_in (f, "source.db");
  g_autofree char *copy = path_in (f, "copy.db");
  g_autoptr (SkTestRun) demo
      = sk_test_run_cli (NULL, "--db", db, "demo", "--customers", "50", "--purchases", "500");
  g_autoptr (SkTestRun) exported = sk_test_run_cli (NULL, "--db", db, "export");
  g_autoptr (SkTestRun) imported = NULL;
  g_autoptr (SkTestRun) twice = NULL;
  g_autoptr (SkTestRun) garbage = NULL;
  g_autoptr (SkTestRun) not_export = NULL;
  g_autoptr (SkTestRun) pretty = NULL;
  g_autofree char *garbage_db = path_in (f, "garbage.db");

  sk_test_assert_ok (demo);
  sk_test_assert_ok (exported);
  g_assert_true (g_str_has_prefix (exported->out, "{"));

  imported = sk_test_run_cli (exported->out, "--db", copy, "import");
  sk_test_assert_ok (imported);
  g_assert_nonnull (strstr (imported->out, "500 purchases"));
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", tables[i]);

      g_test_message ("table %s", tables[i]);
      g_assert_cmpint (sql_int (copy, sql), ==, sql_int (db, sql));
    }
  g_assert_cmpint (sql_int2 (db, copy,
                             "SELECT count(*) FROM customers AS c JOIN b.customers AS d USING (id)"
                             " WHERE c.bonus_balance = d.bonus_balance AND c.visits = d.visits"
                             " AND c.total_spent = d.total_spent AND c.segment = d.segment"
                             " AND c.phone = d.phone AND c.card_number = d.card_number"),
                   ==, 50);
  g_assert_cmpint (
      sql_int2 (db, copy,
                "SELECT count(*) FROM purchases AS p JOIN b.purchases AS q USING (id)"
                " WHERE p.subtotal = q.subtotal AND p.discount_total = q.discount_total"
                " AND p.bonus_earned = q.bonus_earned AND p.created_at = q.created_at"),
      ==, 500);
  check_customers_against_ledger (copy, 50);

  /* Only into an empty file, and all or nothing. */
  twice = sk_test_run_cli (exported->out, "--db", copy, "import");
  sk_test_assert_fails (twice, 1, "empty");
  g_assert_cmpint (sql_int (copy, "SELECT count(*) FROM purchases"), ==, 500);
  garbage = sk_test_run_cli ("{\"format\": \"skidka-export\", \"stores\": [", "--db", garbage_db,
                             "import");
  sk_test_assert_fails (garbage, 1, "Malformed JSON");
  g_assert_false (g_file_test (garbage_db, G_FILE_TEST_EXISTS));
  not_export = sk_test_run_cli ("{\"customers\": []}", "--db", garbage_db, "import");
  sk_test_assert_fails (not_export, 1, "export");
  g_assert_false (g_file_test (garbage_db, G_FILE_TEST_EXISTS));

  pretty = sk_test_run_cli (NULL, "--db", db, "export", "--pretty");
  sk_test_assert_ok (pretty);
  g_assert_nonnull (strstr (pretty->out, "\n  "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/cli/usage", test_usage);
  ADD ("/cli/init", test_init);
  ADD ("/cli/demo", test_demo);
  ADD ("/cli/summary", test_summary);
  ADD ("/cli/engine", test_engine);
  ADD ("/cli/engine/anonymous", test_engine_anonymous);
  ADD ("/cli/engine/bad-input", test_engine_bad_input);
  ADD ("/cli/purchase", test_purchase);
  ADD ("/cli/purchase/bad-input", test_purchase_bad_input);
  ADD ("/cli/export-import", test_export_import);
#undef ADD

  return g_test_run ();
}
