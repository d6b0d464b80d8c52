/* test-database.c: the SQLite store: migrations, stores, customers, rules, campaigns, outbox.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sk-accounts.h"
#include "sk-change-feed.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-test-util.h"

typedef struct
{
  char       *dir;
  char       *path;
  SkDatabase *db;
} Fixture;

/* Helpers */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->db = sk_test_open_database ("skidka-database-XXXXXX", &f->dir);
  f->path = g_build_filename (f->dir, "skidka.db", NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->db);
  sk_test_remove_dir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static char *
sql_text (sqlite3 *handle, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char         *value = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static gint64
count_rows (SkDatabase *db, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  return sk_test_query_int (db, sql, NULL);
}

static gboolean
table_exists (SkDatabase *db, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM sqlite_master"
                                          " WHERE type = 'table' AND name = '%s'",
                                          table);
  return sk_test_query_int (db, sql, NULL) == 1;
}

/* The error a user would see: its code, the field it names, and a message. */
static void
assert_field_error (const GError *error, SkErrorCode code, const char *field)
{
  g_assert_error (error, SK_ERROR, code);
  g_assert_cmpstr (sk_error_get_field (error), ==, field);
  g_assert_nonnull (error->message);
  g_assert_cmpuint (strlen (error->message), >, 10);
}

static char **
strv_of (const char *first, ...)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *s = first;
  va_list     args;

  va_start (args, first);
  while (s != NULL)
    {
      g_strv_builder_add (builder, s);
      s = va_arg (args, const char *);
    }
  va_end (args);
  return g_strv_builder_end (builder);
}

static gboolean
file_contents_equal (const char *path, GBytes *expected)
{
  g_autofree char *contents = NULL;
  gsize            len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return len == g_bytes_get_size (expected)
         && memcmp (contents, g_bytes_get_data (expected, NULL), len) == 0;
}

static SkStore *
make_store (SkDatabase *db, const char *code)
{
  g_autoptr (GError) error = NULL;
  SkStore *store = sk_store_new ();

  sk_test_set_string (&store->code, code);
  sk_test_set_string (&store->name, "Детский мир на Ленина");
  sk_test_set_string (&store->address, "Екатеринбург, ул. Ленина, 1");
  sk_test_set_string (&store->timezone, "Asia/Yekaterinburg");
  g_assert_true (sk_database_save_store (db, store, &error));
  g_assert_no_error (error);
  return store;
}

static SkCustomer *
new_customer (const char *full_name, const char *phone, const char *card)
{
  SkCustomer *customer = sk_customer_new ();

  sk_test_set_string (&customer->full_name, full_name);
  sk_test_set_string (&customer->phone, phone);
  sk_test_set_string (&customer->card_number, card);
  return customer;
}

static SkCustomer *
create_customer (SkDatabase *db, const char *full_name, const char *phone, const char *card)
{
  g_autoptr (GError) error = NULL;
  SkCustomer *customer = new_customer (full_name, phone, card);

  g_assert_true (sk_database_create_customer (db, customer, &error));
  g_assert_no_error (error);
  return customer;
}

/* How many rows each table holds: what a failed call must leave alone. */
static char *
table_counts (SkDatabase *db)
{
  static const char *const tables[] = {
    "stores",    "customers",   "customer_children", "customer_segments", "discount_rules",
    "campaigns", "sync_outbox", "settings",          "products",
  };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    g_string_append_printf (out, "%s=%" G_GINT64_FORMAT " ", tables[i], count_rows (db, tables[i]));
  return g_string_free (out, FALSE);
}

/* Migrations */

static void
test_new_file (Fixture *f, gconstpointer data)
{
  sqlite3         *handle = sk_database_get_handle (f->db);
  g_autofree char *journal = sql_text (handle, "PRAGMA journal_mode");
  g_autofree char *device_id = g_strdup (sk_database_get_device_id (f->db));
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkStore) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *store_id = NULL;

  g_assert_cmpint (sk_database_get_schema_version (f->db), ==, SK_SCHEMA_VERSION);
  g_assert_cmpint (sk_test_sqlite_int (handle, "PRAGMA user_version", NULL), ==, SK_SCHEMA_VERSION);
  g_assert_cmpstr (journal, ==, "wal");
  g_assert_cmpint (sk_test_sqlite_int (handle, "PRAGMA foreign_keys", NULL), ==, 1);
  g_assert_cmpstr (sk_database_get_path (f->db), ==, f->path);
  g_assert_true (g_uuid_string_is_valid (device_id));
  for (const char *const *t
       = (const char *const[]){ "settings", "stores", "customers", "customer_children", "campaigns",
                                "discount_rules", "rule_customer_uses", "purchases",
                                "purchase_lines", "discount_applications", "bonus_transactions",
                                "customer_segments", "notifications", "sync_outbox", "products",
                                "refunds", NULL };
       *t != NULL; t++)
    g_assert_true (table_exists (f->db, *t));

  /* Foreign keys are enforced: a customer of a store that does not exist. */
  g_assert_cmpint (sqlite3_exec (handle,
                                 "INSERT INTO customers (id, created_at, home_store_id)"
                                 " VALUES ('x', 1, 'no-such-store')",
                                 NULL, NULL, NULL),
                   ==, SQLITE_CONSTRAINT_FOREIGNKEY);

  store = make_store (f->db, "EKB-1");
  store_id = g_strdup (store->id);

  /* Re-opening keeps the data, the schema and the device's identity. */
  g_clear_object (&f->db);
  f->db = sk_database_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_get_schema_version (f->db), ==, SK_SCHEMA_VERSION);
  g_assert_cmpstr (sk_database_get_device_id (f->db), ==, device_id);
  again = sk_database_get_store (f->db, store_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->code, ==, "EKB-1");
  g_assert_cmpstr (again->name, ==, "Детский мир на Ленина");
  g_assert_cmpstr (again->timezone, ==, "Asia/Yekaterinburg");
  g_assert_cmpint (again->bonus_rate, ==, 100);
  g_assert_cmpint (again->max_bonus_share, ==, 10000);
  g_assert_cmpint (again->version, ==, 1);
}

static void
test_upgrade_from_v1 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkCustomer) stored = NULL;
  g_autoptr (SkStore) stored_store = NULL;
  g_autofree char *device_id = NULL;
  g_autofree char *v1_path = g_build_filename (f->dir, "old.db", NULL);
  SkDatabase      *old;
  sqlite3         *handle;

  old = sk_database_open_at_version (v1_path, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_get_schema_version (old), ==, 1);
  g_assert_cmpint (sk_test_query_int (old, "PRAGMA user_version", NULL), ==, 1);
  g_assert_false (table_exists (old, "products"));
  g_assert_false (table_exists (old, "refunds"));
  device_id = g_strdup (sk_database_get_device_id (old));

  store = make_store (old, "EKB-1");
  customer = new_customer ("Иванова Анна", "+7 912 345-67-89", "4600001");
  sk_test_set_string (&customer->home_store_id, store->id);
  g_assert_true (sk_database_create_customer (old, customer, &error));
  g_assert_no_error (error);
  /* Old files may hold ledger rows; the upgrade must keep them. */
  g_assert_cmpint (
      sqlite3_exec (sk_database_get_handle (old),
                    "INSERT INTO bonus_transactions (id, customer_id, kind, amount,"
                    " balance_after, created_at) SELECT 'tx-1', id, 'earn', 500, 500, 1"
                    " FROM customers;"
                    "UPDATE customers SET bonus_balance = 500;",
                    NULL, NULL, NULL),
      ==, SQLITE_OK);
  g_object_unref (old);

  g_clear_object (&f->db);
  f->db = sk_database_open (v1_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_get_schema_version (f->db), ==, SK_SCHEMA_VERSION);
  g_assert_cmpint (sk_test_query_int (f->db, "PRAGMA user_version", NULL), ==, SK_SCHEMA_VERSION);
  g_assert_cmpstr (sk_database_get_device_id (f->db), ==, device_id);
  g_assert_true (table_exists (f->db, "products"));
  g_assert_true (table_exists (f->db, "refunds"));

  stored = sk_database_get_customer (f->db, customer->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->full_name, ==, "Иванова Анна");
  g_assert_cmpstr (stored->phone, ==, "+79123456789");
  g_assert_cmpstr (stored->home_store_id, ==, store->id);
  g_assert_cmpint (stored->bonus_balance, ==, 500);
  g_assert_cmpint (sk_database_ledger_sum (f->db, customer->id, NULL), ==, 500);
  stored_store = sk_database_get_store (f->db, store->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored_store->code, ==, "EKB-1");

  /* The new tables and triggers work. */
  handle = sk_database_get_handle (f->db);
  g_assert_cmpint (
      sqlite3_exec (handle, "UPDATE bonus_transactions SET amount = 1", NULL, NULL, NULL), !=,
      SQLITE_OK);
  {
    g_autoptr (SkProduct) product
        = g_object_new (SK_TYPE_PRODUCT, "sku", "LEGO-1", "name", "Лего", "category", "toys",
                        "price", (gint64)129900, NULL);
    g_autoptr (SkProduct) back = NULL;

    g_assert_true (sk_database_save_product (f->db, product, &error));
    g_assert_no_error (error);
    back = sk_database_get_product (f->db, "LEGO-1", &error);
    g_assert_no_error (error);
    g_assert_cmpint (back->price, ==, 129900);
  }
}

static void
test_too_new (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "future.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) before = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *needle = NULL;
  gsize            len;
  sqlite3         *raw = NULL;

  /* A file made by a future Skidka, in whatever journal mode it chose. */
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw,
                                 "CREATE TABLE future (x TEXT);"
                                 "INSERT INTO future VALUES ('keep me');"
                                 "PRAGMA user_version = 99;",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (raw);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  before = g_bytes_new_take (g_steal_pointer (&contents), len);

  db = sk_database_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, SK_ERROR, SK_ERROR_SCHEMA_TOO_NEW);
  /* The message says what happened and what to do. */
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "99"));
  needle = g_strdup_printf ("%d", SK_SCHEMA_VERSION);
  g_assert_nonnull (strstr (error->message, needle));
  g_assert_nonnull (strstr (error->message, "newer"));

  /* Not modified: same bytes, and no WAL file left behind. */
  g_assert_true (file_contents_equal (path, before));
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));

  /* The same holds for a WAL file. */
  g_clear_error (&error);
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (raw);
  g_clear_pointer (&before, g_bytes_unref);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  before = g_bytes_new_take (g_steal_pointer (&contents), len);
  db = sk_database_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, SK_ERROR, SK_ERROR_SCHEMA_TOO_NEW);
  g_assert_true (file_contents_equal (path, before));
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sk_test_sqlite_int (raw, "PRAGMA user_version", NULL), ==, 99);
  g_assert_cmpint (
      sk_test_sqlite_int (raw, "SELECT count(*) FROM sqlite_master WHERE name = 'settings'", NULL),
      ==, 0);
  sqlite3_close (raw);
}

/* Files that cannot be opened: a clear error, never a crash. */
static void
test_open_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *missing = g_build_filename (f->dir, "no-such-dir", "skidka.db", NULL);
  g_autofree char *garbage = g_build_filename (f->dir, "notes.txt", NULL);
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GError) error = NULL;

  db = sk_database_open (missing, &error);
  g_assert_null (db);
  g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, missing));
  g_clear_error (&error);

  g_assert_true (
      g_file_set_contents (garbage,
                           "Список покупок: молоко, хлеб, подгузники.\n"
                           "This is not a database, but it is long enough to look like one"
                           " to somebody who does not check the header at all.\n",
                           -1, NULL));
  db = sk_database_open (garbage, &error);
  g_assert_null (db);
  g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
  g_assert_nonnull (strstr (error->message, garbage));
  g_clear_error (&error);

  /* An in-memory database works, for tests and tools. */
  db = sk_database_open (":memory:", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_get_schema_version (db), ==, SK_SCHEMA_VERSION);
  g_assert_true (g_uuid_string_is_valid (sk_database_get_device_id (db)));
}

static void
test_settings (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *value = NULL;
  g_autofree char *changed = NULL;

  g_assert_null (sk_database_get_setting (f->db, "nothing"));
  g_assert_cmpint (sk_database_get_setting_int (f->db, "nothing", 42), ==, 42);
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "30", &error));
  g_assert_no_error (error);
  value = sk_database_get_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS);
  g_assert_cmpstr (value, ==, "30");
  g_assert_cmpint (sk_database_get_setting_int (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, 0), ==, 30);
  /* Expiry is a number of days; anything else is refused and changes nothing. */
  g_assert_false (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "abc", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (
      sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "99999999999", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_clear_error (&error);
  changed = sk_database_get_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS);
  g_assert_cmpstr (changed, ==, "30");
}

/* Stores */

static void
test_store_validation (Fixture *f, gconstpointer data)
{
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkStore) twin = NULL;
  g_autoptr (SkStore) stale = NULL;
  g_autoptr (SkStore) back = NULL;
  g_autoptr (GPtrArray) stores = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  struct
  {
    gint64      rate, share;
    const char *tz;
    const char *field;
  } bad[] = {
    { -1, 10000, NULL, "bonus_rate" },
    { 10001, 10000, NULL, "bonus_rate" },
    { 100, -1, NULL, "max_bonus_share" },
    { 100, 10001, NULL, "max_bonus_share" },
    { 100, 10000, "Mars/Olympus_Mons", "timezone" },
  };

  store = make_store (f->db, "EKB-1");
  g_assert_true (g_uuid_string_is_valid (store->id));
  g_assert_cmpint (store->version, ==, 1);
  before = table_counts (f->db);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (SkStore) s = sk_store_new ();
      g_autofree char *code = g_strdup_printf ("BAD-%u", i);

      sk_test_set_string (&s->code, code);
      sk_test_set_string (&s->name, "Плохой магазин");
      sk_test_set_string (&s->timezone, bad[i].tz);
      s->bonus_rate = bad[i].rate;
      s->max_bonus_share = bad[i].share;
      g_assert_false (sk_database_save_store (f->db, s, &error));
      assert_field_error (error, SK_ERROR_INVALID, bad[i].field);
      g_assert_cmpint (s->version, ==, 0);
      g_clear_error (&error);
    }

  /* Boundaries are accepted. */
  {
    g_autoptr (SkStore) edge = sk_store_new ();

    sk_test_set_string (&edge->code, "EDGE");
    sk_test_set_string (&edge->name, "Граница");
    sk_test_set_string (&edge->timezone, "Europe/Moscow");
    edge->bonus_rate = 10000;
    edge->max_bonus_share = 0;
    g_assert_true (sk_database_save_store (f->db, edge, &error));
    g_assert_no_error (error);
    edge->bonus_rate = 0;
    g_assert_true (sk_database_save_store (f->db, edge, &error));
    g_assert_no_error (error);
    g_assert_cmpint (edge->version, ==, 2);
  }
  g_free (before);
  before = table_counts (f->db);

  /* A blank name, a missing code. */
  twin = sk_store_new ();
  sk_test_set_string (&twin->code, "EKB-2");
  sk_test_set_string (&twin->name, "  ");
  g_assert_false (sk_database_save_store (f->db, twin, &error));
  assert_field_error (error, SK_ERROR_INVALID, "name");
  g_clear_error (&error);
  sk_test_set_string (&twin->code, NULL);
  sk_test_set_string (&twin->name, "Второй");
  g_assert_false (sk_database_save_store (f->db, twin, &error));
  assert_field_error (error, SK_ERROR_INVALID, "code");
  g_clear_error (&error);

  /* The same code twice is a conflict naming the code. */
  sk_test_set_string (&twin->code, "EKB-1");
  g_assert_false (sk_database_save_store (f->db, twin, &error));
  assert_field_error (error, SK_ERROR_CONFLICT, "code");
  g_clear_error (&error);
  g_assert_cmpint (twin->version, ==, 0);
  after = table_counts (f->db);
  g_assert_cmpstr (after, ==, before);

  /* With a fresh code it goes in. */
  sk_test_set_string (&twin->code, "EKB-2");
  g_assert_true (sk_database_save_store (f->db, twin, &error));
  g_assert_no_error (error);

  /* Update with the version check. */
  stale = sk_database_get_store (f->db, store->id, &error);
  g_assert_no_error (error);
  store->bonus_rate = 300;
  g_assert_true (sk_database_save_store (f->db, store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (store->version, ==, 2);
  stale->bonus_rate = 500;
  g_assert_false (sk_database_save_store (f->db, stale, &error));
  assert_field_error (error, SK_ERROR_STALE, "version");
  g_clear_error (&error);
  back = sk_database_get_store (f->db, store->id, &error);
  g_assert_cmpint (back->bonus_rate, ==, 300);
  g_assert_cmpint (back->version, ==, 2);

  /* Renaming onto another store's code is a conflict too. */
  sk_test_set_string (&back->code, "EKB-2");
  g_assert_false (sk_database_save_store (f->db, back, &error));
  assert_field_error (error, SK_ERROR_CONFLICT, "code");
  g_clear_error (&error);

  stores = sk_database_list_stores (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stores->len, ==, 3);
  g_assert_cmpstr (((SkStore *)g_ptr_array_index (stores, 0))->code, ==, "EDGE");
  g_assert_cmpstr (((SkStore *)g_ptr_array_index (stores, 1))->code, ==, "EKB-1");
  g_assert_cmpstr (((SkStore *)g_ptr_array_index (stores, 2))->code, ==, "EKB-2");

  g_assert_null (sk_database_get_store (f->db, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
}

/* Customers */

static void
test_normalize_phone (void)
{
  struct
  {
    const char *in;
    const char *out;
  } good[] = {
    { "8 (912) 345-67-89", "+79123456789" }, { "+7 912 345 67 89", "+79123456789" },
    { "7-912-345-67-89", "+79123456789" },   { "9123456789", "+79123456789" },
    { "(912) 345.67.89", "+79123456789" },   { "+49 30 1234567", "+49301234567" },
  };
  const char *bad[] = {
    "",
    "12345",
    "abc",
    "8 912 345 67 8",
    "+7 912 345 67 8",
    "+0 123 456 789",
    "8 912 345 67 89 0",
    "912-ABC-67-89",
    "++79123456789",
    "1234567890",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *phone = sk_normalize_phone (good[i].in, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (phone, ==, good[i].out);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *phone = sk_normalize_phone (bad[i], &error);

      if (phone != NULL)
        g_error ("“%s” was taken as the phone %s", bad[i], phone);
      assert_field_error (error, SK_ERROR_INVALID, "phone");
    }
}

static void
test_customer_create (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = make_store (f->db, "EKB-1");
  g_autoptr (SkCustomer) customer = new_customer ("Иванова Анна", "8 (912) 345-67-89", "4600001");
  g_autoptr (SkCustomer) back = NULL;
  g_autoptr (SkChild) child0 = NULL;
  g_autoptr (SkChild) child1 = NULL;
  g_autoptr (GPtrArray) history = NULL;
  gint64 start = g_get_real_time ();

  sk_test_set_string (&customer->email, "anna@example.ru");
  sk_test_set_string (&customer->birth_date, "1990-05-17");
  sk_test_set_string (&customer->home_store_id, store->id);
  customer->consent_sms = TRUE;
  customer->consent_push = TRUE;
  /* A till cannot set statistics: create starts them from zero. */
  customer->visits = 99;
  customer->total_spent = 12345;
  customer->bonus_balance = 100000;
  sk_test_set_string (&customer->segment, "vip");
  {
    g_autoptr (SkChild) a = sk_child_new ("Маша", "2019-03-08");
    g_autoptr (SkChild) b = sk_child_new ("Петя", NULL);
    g_list_store_append (G_LIST_STORE (sk_customer_get_children (customer)), a);
    g_list_store_append (G_LIST_STORE (sk_customer_get_children (customer)), b);
  }

  g_assert_true (sk_database_create_customer (f->db, customer, &error));
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (customer->id));
  g_assert_cmpstr (customer->phone, ==, "+79123456789");
  g_assert_cmpint (customer->version, ==, 1);
  g_assert_cmpstr (customer->segment, ==, "new");
  g_assert_cmpint (customer->created_at, >=, start);

  back = sk_database_get_customer (f->db, customer->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->full_name, ==, "Иванова Анна");
  g_assert_cmpstr (back->phone, ==, "+79123456789");
  g_assert_cmpstr (back->card_number, ==, "4600001");
  g_assert_cmpstr (back->email, ==, "anna@example.ru");
  g_assert_cmpstr (back->birth_date, ==, "1990-05-17");
  g_assert_cmpstr (back->home_store_id, ==, store->id);
  g_assert_false (back->consent_email);
  g_assert_true (back->consent_sms);
  g_assert_true (back->consent_push);
  g_assert_cmpint (back->created_at, ==, customer->created_at);
  g_assert_cmpint (back->visits, ==, 0);
  g_assert_cmpint (back->total_spent, ==, 0);
  g_assert_cmpint (back->bonus_balance, ==, 0);
  g_assert_cmpint (back->last_purchase_at, ==, 0);
  g_assert_cmpstr (back->segment, ==, "new");
  g_assert_false (back->flagged);
  g_assert_cmpint (back->version, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (back)), ==, 2);
  child0 = g_list_model_get_item (sk_customer_get_children (back), 0);
  child1 = g_list_model_get_item (sk_customer_get_children (back), 1);
  g_assert_cmpstr (child0->name, ==, "Маша");
  g_assert_cmpstr (child0->birth_date, ==, "2019-03-08");
  g_assert_cmpstr (child1->name, ==, "Петя");
  g_assert_null (child1->birth_date);

  /* The first segment is on record. */
  history = sk_database_list_segment_history (f->db, customer->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 1);
  g_assert_cmpstr (((SkSegmentAssignment *)g_ptr_array_index (history, 0))->segment, ==, "new");

  /* A card-only customer (no phone) is fine, and so is a phone-only one. */
  {
    g_autoptr (SkCustomer) card_only = create_customer (f->db, "Без телефона", NULL, "4600002");
    g_autoptr (SkCustomer) phone_only
        = create_customer (f->db, "Без карты", "+7 912 000-00-01", "");

    g_assert_null (card_only->phone);
    g_assert_null (phone_only->card_number);
    g_assert_cmpint (sk_database_count_customers (f->db, NULL), ==, 3);
  }

  g_assert_null (sk_database_get_customer (f->db, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
}

static void
test_customer_invalid (Fixture *f, gconstpointer data)
{
  g_autoptr (SkStore) store = make_store (f->db, "EKB-1");
  g_autoptr (SkCustomer) existing
      = create_customer (f->db, "Иванова Анна", "+79123456789", "4600001");
  g_autofree char *before = table_counts (f->db);
  struct
  {
    const char *phone, *card, *email, *birth, *child_birth, *home, *id;
    SkErrorCode code;
    const char *field;
  } bad[] = {
    { "12345", NULL, NULL, NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "phone" },
    { "8 912 ABC 67 89", NULL, NULL, NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "phone" },
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "phone" },
    { " ", " ", NULL, NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "phone" },
    { NULL, "12345", NULL, NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "card_number" },
    { NULL, "46000A1", NULL, NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "card_number" },
    { NULL, "123456789012345678901", NULL, NULL, NULL, NULL, NULL, SK_ERROR_INVALID,
      "card_number" },
    { "+79120000002", NULL, "anna", NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "email" },
    { "+79120000002", NULL, "@example.ru", NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "email" },
    { "+79120000002", NULL, "an na@example.ru", NULL, NULL, NULL, NULL, SK_ERROR_INVALID, "email" },
    { "+79120000002", NULL, NULL, "1990-02-30", NULL, NULL, NULL, SK_ERROR_INVALID, "birth_date" },
    { "+79120000002", NULL, NULL, "17.05.1990", NULL, NULL, NULL, SK_ERROR_INVALID, "birth_date" },
    { "+79120000002", NULL, NULL, "1990-5-17", NULL, NULL, NULL, SK_ERROR_INVALID, "birth_date" },
    { "+79120000002", NULL, NULL, NULL, "2019-13-01", NULL, NULL, SK_ERROR_INVALID,
      "children[0].birth_date" },
    { "+79120000002", NULL, NULL, NULL, NULL, "00000000-0000-4000-8000-000000000000", NULL,
      SK_ERROR_INVALID, "home_store_id" },
    { "+79120000002", NULL, NULL, NULL, NULL, NULL, "not-a-uuid", SK_ERROR_INVALID, "id" },
    /* Duplicates: the same phone as typed differently, the same card. */
    { "8 (912) 345-67-89", NULL, NULL, NULL, NULL, NULL, NULL, SK_ERROR_CONFLICT, "phone" },
    { "+79120000002", "4600001", NULL, NULL, NULL, NULL, NULL, SK_ERROR_CONFLICT, "card_number" },
    { "+79120000002", NULL, NULL, NULL, NULL, NULL, NULL, SK_ERROR_CONFLICT, "id" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SkCustomer) c = new_customer ("Новый Клиент", bad[i].phone, bad[i].card);
      g_autofree char *after = NULL;

      sk_test_set_string (&c->email, bad[i].email);
      sk_test_set_string (&c->birth_date, bad[i].birth);
      sk_test_set_string (&c->home_store_id, bad[i].home);
      sk_test_set_string (&c->id, bad[i].id);
      if (bad[i].child_birth != NULL)
        {
          g_autoptr (SkChild) child = sk_child_new ("Маша", bad[i].child_birth);
          g_list_store_append (G_LIST_STORE (sk_customer_get_children (c)), child);
        }
      /* The last case reuses the existing customer's id. */
      if (g_strcmp0 (bad[i].field, "id") == 0 && bad[i].code == SK_ERROR_CONFLICT)
        sk_test_set_string (&c->id, existing->id);

      g_test_message ("case %u: %s", i, bad[i].field);
      g_assert_false (sk_database_create_customer (f->db, c, &error));
      assert_field_error (error, bad[i].code, bad[i].field);
      g_assert_cmpint (c->version, ==, 0);
      after = table_counts (f->db);
      g_assert_cmpstr (after, ==, before);
    }
}

/* A cashier types е for ё, in any case: "Федор" finds "Фёдоров", and a
 * name typed with ё finds one stored with е; any word of the name will do
 * ("Пётр" finds "Фёдоров Пётр"), in the list's count and pages too. */
static void
test_search_yo (Fixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) fyodorov = sk_test_create_customer (f->db, "Фёдоров Пётр", "+79120000001");
  g_autoptr (SkCustomer) semenova
      = sk_test_create_customer (f->db, "Семенова Алёна", "+79120000002");
  const struct
  {
    const char *query;
    const char *id;
  } cases[] = {
    { "Федор", fyodorov->id },    { "фЁдоров пет", fyodorov->id },   { "ФЁДОРОВ", fyodorov->id },
    { "Семёнова", semenova->id }, { "семенова ален", semenova->id }, { "Петр", fyodorov->id },
    { "алЁна", semenova->id },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) found
          = sk_database_search_customers (f->db, cases[i].query, NULL, 10, NULL, &error);

      g_assert_no_error (error);
      g_test_message ("“%s”: %u found", cases[i].query, found->len);
      g_assert_cmpuint (found->len, ==, 1);
      g_assert_cmpstr (sk_record_get_id (g_ptr_array_index (found, 0)), ==, cases[i].id);
      g_assert_cmpint (sk_database_count_search_customers (f->db, cases[i].query, 100, &error), ==,
                       1);
      g_assert_no_error (error);
      g_clear_pointer (&found, g_ptr_array_unref);
      found = sk_database_search_customers_at (f->db, cases[i].query, 0, 10, 1, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (found->len, ==, 1);
      g_assert_cmpstr (sk_record_get_id (g_ptr_array_index (found, 0)), ==, cases[i].id);
    }
  /* The whole list is everyone, and a word inside another is no match. */
  g_assert_cmpint (sk_database_count_search_customers (f->db, "", 100, NULL), ==, 2);
  g_assert_cmpint (sk_database_count_search_customers (f->db, "етр", 100, NULL), ==, 0);
}

static void
test_customer_update (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) anna = create_customer (f->db, "Иванова Анна", "+79123456789", "4600001");
  g_autoptr (SkCustomer) petr = create_customer (f->db, "Петров Пётр", "+79120000001", "4600002");
  g_autoptr (SkCustomer) stale = NULL;
  g_autoptr (SkCustomer) back = NULL;
  g_autoptr (SkChild) child = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gint64           outbox;

  stale = sk_database_get_customer (f->db, anna->id, &error);
  g_assert_no_error (error);

  /* Purchases moved the statistics meanwhile: an update keeps them. */
  g_assert_cmpint (sqlite3_exec (sk_database_get_handle (f->db),
                                 "UPDATE customers SET visits = 3, total_spent = 450000,"
                                 " segment = 'occasional'",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);

  outbox = sk_database_count_outbox (f->db, NULL);
  sk_test_set_string (&anna->full_name, "Иванова-Смирнова Анна");
  sk_test_set_string (&anna->phone, "8 912 345 67 80");
  sk_test_set_string (&anna->email, "anna@example.ru");
  anna->consent_email = TRUE;
  {
    g_autoptr (SkChild) c = sk_child_new ("Ваня", "2021-12-31");
    g_list_store_append (G_LIST_STORE (sk_customer_get_children (anna)), c);
  }
  g_assert_true (sk_database_update_customer (f->db, anna, &error));
  g_assert_no_error (error);
  g_assert_cmpint (anna->version, ==, 2);
  g_assert_cmpstr (anna->phone, ==, "+79123456780");
  g_assert_cmpint (anna->visits, ==, 3);
  g_assert_cmpint (anna->total_spent, ==, 450000);
  g_assert_cmpstr (anna->segment, ==, "occasional");
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 1);

  back = sk_database_get_customer (f->db, anna->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->full_name, ==, "Иванова-Смирнова Анна");
  g_assert_cmpstr (back->phone, ==, "+79123456780");
  g_assert_cmpstr (back->email, ==, "anna@example.ru");
  g_assert_true (back->consent_email);
  g_assert_cmpint (back->visits, ==, 3);
  g_assert_cmpint (back->total_spent, ==, 450000);
  g_assert_cmpint (back->version, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (back)), ==, 1);
  child = g_list_model_get_item (sk_customer_get_children (back), 0);
  g_assert_cmpstr (child->name, ==, "Ваня");
  g_assert_cmpstr (child->birth_date, ==, "2021-12-31");

  /* The name search follows the new name. */
  {
    g_autoptr (GPtrArray) found
        = sk_database_search_customers (f->db, "иванова-смирнова", NULL, 10, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
  }

  /* A stale version: refused, nothing changes. */
  before = table_counts (f->db);
  sk_test_set_string (&stale->full_name, "Кто-то другой");
  g_assert_false (sk_database_update_customer (f->db, stale, &error));
  assert_field_error (error, SK_ERROR_STALE, "version");
  g_clear_error (&error);
  g_assert_cmpint (stale->version, ==, 1);
  g_clear_object (&back);
  back = sk_database_get_customer (f->db, anna->id, &error);
  g_assert_cmpstr (back->full_name, ==, "Иванова-Смирнова Анна");
  g_assert_cmpint (back->version, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (back)), ==, 1);
  after = table_counts (f->db);
  g_assert_cmpstr (after, ==, before);

  /* Taking another customer's phone or card is a conflict; nothing changes. */
  sk_test_set_string (&petr->phone, "+7 912 345 67 80");
  g_assert_false (sk_database_update_customer (f->db, petr, &error));
  assert_field_error (error, SK_ERROR_CONFLICT, "phone");
  g_clear_error (&error);
  g_assert_cmpint (petr->version, ==, 1);
  sk_test_set_string (&petr->phone, "+79120000001");
  sk_test_set_string (&petr->card_number, "4600001");
  g_assert_false (sk_database_update_customer (f->db, petr, &error));
  assert_field_error (error, SK_ERROR_CONFLICT, "card_number");
  g_clear_error (&error);
  g_assert_cmpint (petr->version, ==, 1);
  sk_test_set_string (&petr->card_number, "4600002");
  sk_test_set_string (&petr->email, "not an email");
  g_assert_false (sk_database_update_customer (f->db, petr, &error));
  assert_field_error (error, SK_ERROR_INVALID, "email");
  g_clear_error (&error);
  g_free (after);
  after = table_counts (f->db);
  g_assert_cmpstr (after, ==, before);
  g_clear_object (&back);
  back = sk_database_get_customer (f->db, petr->id, &error);
  g_assert_cmpstr (back->phone, ==, "+79120000001");
  g_assert_cmpstr (back->card_number, ==, "4600002");
  g_assert_null (back->email);

  /* Then a good update of the same object goes through. */
  sk_test_set_string (&petr->email, "petr@example.ru");
  g_assert_true (sk_database_update_customer (f->db, petr, &error));
  g_assert_no_error (error);
  g_assert_cmpint (petr->version, ==, 2);

  /* Updating someone who is not there. */
  {
    g_autoptr (SkCustomer) ghost = new_customer ("Призрак", "+79120000009", NULL);

    sk_test_set_string (&ghost->id, "00000000-0000-4000-8000-000000000000");
    ghost->version = 1;
    g_assert_false (sk_database_update_customer (f->db, ghost, &error));
    g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  }
}

static void
test_customer_lookup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) anna = create_customer (f->db, "Иванова Анна", "+79123456789", "4600001");
  g_autoptr (SkCustomer) petr
      = create_customer (f->db, "Петров Пётр", "+79120000001", "9123456789");
  const char *for_anna[] = { "4600001",           " 4600001 ",        "+79123456789",
                             "8 (912) 345-67-89", "+7 912 345 67 89", "89123456789" };

  for (guint i = 0; i < G_N_ELEMENTS (for_anna); i++)
    {
      g_autoptr (SkCustomer) found = sk_database_lookup_customer (f->db, for_anna[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (found->id, ==, anna->id);
    }
  {
    g_autoptr (SkChild) child = sk_child_new ("Маша", "2019-03-08");
    g_autoptr (SkCustomer) found = NULL;

    g_list_store_append (G_LIST_STORE (sk_customer_get_children (anna)), child);
    g_assert_true (sk_database_update_customer (f->db, anna, &error));
    found = sk_database_lookup_customer (f->db, "4600001", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (found)), ==, 1);
  }

  /* A scanned card that looks like a phone is the card's owner. */
  {
    g_autoptr (SkCustomer) found = sk_database_lookup_customer (f->db, "9123456789", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (found->id, ==, petr->id);
  }

  g_assert_null (sk_database_lookup_customer (f->db, "4600009", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sk_database_lookup_customer (f->db, "", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
}

/* Every page of a search, concatenated. */
static GPtrArray *
search_all (SkDatabase *db, const char *query, guint limit)
{
  GPtrArray       *all = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *cursor = NULL;
  guint            pages = 0;

  do
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) page = NULL;
      char *next = NULL;

      page = sk_database_search_customers (db, query, cursor, limit, &next, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (page->len, <=, limit);
      /* A cursor is only given when there is more to come. */
      if (next != NULL)
        g_assert_cmpuint (page->len, ==, limit);
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (all, g_object_ref (g_ptr_array_index (page, i)));
      g_free (cursor);
      cursor = next;
      g_assert_cmpuint (++pages, <, 1000);
    }
  while (cursor != NULL);
  return all;
}

static void
assert_same_ids (GPtrArray *found, GHashTable *expected)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < found->len; i++)
    {
      SkCustomer *c = g_ptr_array_index (found, i);

      g_assert_true (g_hash_table_contains (expected, c->id));
      g_assert_false (g_hash_table_contains (seen, c->id));
      g_hash_table_add (seen, c->id);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, g_hash_table_size (expected));
}

static void
test_customer_search (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) customers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) everyone = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) ivanov = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) phone_912 = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) card_4601 = g_hash_table_new (g_str_hash, g_str_equal);
  const char *surnames[]
      = { "Иванова", "ИВАНОВ", "Петрова", "Сидоров", "Ivanov", "Ёлкина", "иванченко" };

  /* 70 customers; the same surname many times so pages split ties. */
  for (guint i = 0; i < 70; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s", surnames[i % G_N_ELEMENTS (surnames)],
                                               i % 2 ? "Анна" : "Пётр");
      g_autofree char *phone = g_strdup_printf ("+79%s%07u", i % 3 ? "12" : "22", i);
      g_autofree char *card = g_strdup_printf ("460%u%05u", i % 4 == 0 ? 1 : 2, i);
      SkCustomer      *c = create_customer (f->db, name, phone, card);

      g_ptr_array_add (customers, c);
      g_hash_table_add (everyone, c->id);
      if (g_str_has_prefix (name, "Иванов") || g_str_has_prefix (name, "ИВАНОВ")
          || g_str_has_prefix (name, "иванов"))
        g_hash_table_add (ivanov, c->id);
      if (i % 3)
        g_hash_table_add (phone_912, c->id);
      if (i % 4 == 0)
        g_hash_table_add (card_4601, c->id);
    }
  /* Someone without a name still belongs to "everyone". */
  {
    SkCustomer *nameless = create_customer (f->db, NULL, NULL, "46090001");
    g_ptr_array_add (customers, nameless);
    g_hash_table_add (everyone, nameless->id);
  }

  /* Name prefix, Cyrillic, any case: "иван" finds "Иванова Анна". */
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "иван", 1000);
    gboolean anna = FALSE;

    for (guint i = 0; i < found->len; i++)
      {
        SkCustomer *c = g_ptr_array_index (found, i);
        g_assert_true (g_str_has_prefix (c->full_name, "Иван")
                       || g_str_has_prefix (c->full_name, "ИВАН")
                       || g_str_has_prefix (c->full_name, "иван"));
        anna |= g_str_equal (c->full_name, "Иванова Анна");
      }
    g_assert_true (anna);
    /* "иванченко" matches "иван" too. */
    g_assert_cmpuint (found->len, ==, g_hash_table_size (ivanov) + 10);
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "  ИВАНОВ ", 3);
    assert_same_ids (found, ivanov);
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "ёлкина а", 4);
    g_assert_cmpuint (found->len, ==, 5);
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "Иванова Анна", 100);
    g_assert_cmpuint (found->len, ==, 5);
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "Смирнов", 10);
    g_assert_cmpuint (found->len, ==, 0);
  }

  /* Phone prefix, as typed. */
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "+7912", 7);
    assert_same_ids (found, phone_912);
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "+7 (912) 000-00-0", 1000);
    g_assert_cmpuint (found->len, ==, 6); /* 0000001 .. 0000008, i % 3 != 0 */
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "8 912 000 00 01", 1000);
    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpstr (((SkCustomer *)g_ptr_array_index (found, 0))->phone, ==, "+79120000001");
  }

  /* A short phone prefix is tried as a card first, then as a phone. */
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "8 912 000 00", 1000);
    g_autoptr (GPtrArray) as_phone = search_all (f->db, "+7 912 000 00", 1000);
    g_assert_cmpuint (found->len, >, 6);
    g_assert_cmpuint (found->len, ==, as_phone->len);
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "912", 7);
    assert_same_ids (found, phone_912);
  }

  /* Card prefix. */
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "4601", 5);
    assert_same_ids (found, card_4601);
  }
  {
    g_autoptr (GPtrArray) found = search_all (f->db, "46020000", 1000);
    g_assert_cmpuint (found->len, ==, 7); /* 46020000 1,2,3,5,6,7,9 */
  }

  /* Everyone, page after page, each exactly once, in name order. */
  for (guint limit = 1; limit <= 13; limit += 6)
    {
      g_autoptr (GPtrArray) found = search_all (f->db, NULL, limit);
      g_autoptr (GPtrArray) found_empty = search_all (f->db, "", limit);

      assert_same_ids (found, everyone);
      assert_same_ids (found_empty, everyone);
    }

  g_assert_null (sk_database_search_customers (f->db, "иван", "%%% not base64", 10, NULL, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_MALFORMED);
}

/* Rules and campaigns */

static void
test_rule_validation (Fixture *f, gconstpointer data)
{
  g_autoptr (SkStore) store = make_store (f->db, "EKB-1");
  g_autofree char *before = table_counts (f->db);
  const gint64     day = G_TIME_SPAN_DAY;
  struct
  {
    const char *type;
    gint64      value;
    const char *name;
    gint64      from, until, min_purchase, max_discount, limit_total, limit_customer;
    const char *segment, *store, *campaign;
    const char *field;
  } bad[] = {
    { "percentage", 0, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "value" },
    { "percentage", -5, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "value" },
    { "percentage", 10001, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "value" },
    { "fixed_amount", 0, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "value" },
    { "bonus_multiplier", 99, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "value" },
    { "bonus_multiplier", 10001, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "value" },
    { "discount", 1000, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "type" },
    { NULL, 1000, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "type" },
    { "percentage", 1000, " ", 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, "name" },
    { "percentage", 1000, "Скидка", 10 * day, 5 * day, 0, 0, 0, 0, NULL, NULL, NULL,
      "valid_until" },
    { "percentage", 1000, "Скидка", 10 * day, 10 * day, 0, 0, 0, 0, NULL, NULL, NULL,
      "valid_until" },
    { "percentage", 1000, "Скидка", 0, 0, -1, 0, 0, 0, NULL, NULL, NULL, "min_purchase" },
    { "percentage", 1000, "Скидка", 0, 0, 0, -1, 0, 0, NULL, NULL, NULL, "max_discount" },
    { "percentage", 1000, "Скидка", 0, 0, 0, 0, -1, 0, NULL, NULL, NULL, "usage_limit_total" },
    { "percentage", 1000, "Скидка", 0, 0, 0, 0, 0, -1, NULL, NULL, NULL,
      "usage_limit_per_customer" },
    { "percentage", 1000, "Скидка", 0, 0, 0, 0, 0, 0, "gold", NULL, NULL, "segments" },
    { "percentage", 1000, "Скидка", 0, 0, 0, 0, 0, 0, NULL, "00000000-0000-4000-8000-000000000000",
      NULL, "store_ids" },
    { "percentage", 1000, "Скидка", 0, 0, 0, 0, 0, 0, NULL, NULL,
      "00000000-0000-4000-8000-000000000000", "campaign_id" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SkDiscountRule) rule
          = sk_test_rule_new (bad[i].name, bad[i].type, bad[i].value, NULL);
      g_autofree char *after = NULL;

      rule->valid_from = bad[i].from;
      rule->valid_until = bad[i].until;
      rule->min_purchase = bad[i].min_purchase;
      rule->max_discount = bad[i].max_discount;
      rule->usage_limit_total = bad[i].limit_total;
      rule->usage_limit_per_customer = bad[i].limit_customer;
      if (bad[i].segment != NULL)
        rule->segments = strv_of ("vip", bad[i].segment, NULL);
      if (bad[i].store != NULL)
        rule->store_ids = strv_of (store->id, bad[i].store, NULL);
      sk_test_set_string (&rule->campaign_id, bad[i].campaign);

      g_test_message ("case %u: %s", i, bad[i].field);
      g_assert_false (sk_database_save_rule (f->db, rule, &error));
      assert_field_error (error, SK_ERROR_INVALID, bad[i].field);
      g_assert_cmpint (rule->version, ==, 0);
      after = table_counts (f->db);
      g_assert_cmpstr (after, ==, before);
    }

  /* The messages say what is wrong in words. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SkDiscountRule) rule = sk_test_rule_new ("Скидка", "percentage", 0, NULL);

    g_assert_false (sk_discount_rule_validate (rule, &error));
    g_assert_nonnull (strstr (error->message, "percentage"));
    g_clear_error (&error);
    rule->value = 1000;
    rule->segments = strv_of ("gold", NULL);
    g_assert_false (sk_discount_rule_validate (rule, &error));
    g_assert_nonnull (strstr (error->message, "gold"));
  }

  /* Edges that are fine: 100 %, ×1, an empty campaign id. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (SkDiscountRule) all = sk_test_rule_new ("Всё бесплатно", "percentage", 10000, NULL);
    g_autoptr (SkDiscountRule) x1 = sk_test_rule_new ("×1", "bonus_multiplier", 100, NULL);

    sk_test_set_string (&all->campaign_id, "");
    g_assert_true (sk_database_save_rule (f->db, all, &error));
    g_assert_no_error (error);
    g_assert_null (all->campaign_id);
    g_assert_true (sk_database_save_rule (f->db, x1, &error));
    g_assert_no_error (error);
  }
}

static void
test_rule_save (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = make_store (f->db, "EKB-1");
  g_autoptr (SkDiscountRule) rule = sk_test_rule_new ("Игрушки −10 %", "percentage", 1000, NULL);
  g_autoptr (SkDiscountRule) back = NULL;
  g_autoptr (SkDiscountRule) stale = NULL;
  g_autoptr (GPtrArray) rules = NULL;
  gint64 outbox = sk_database_count_outbox (f->db, NULL);

  sk_test_set_string (&rule->description, "Скидка на игрушки");
  rule->min_purchase = 150000;
  rule->max_discount = 50000;
  rule->store_ids = strv_of (store->id, NULL);
  rule->categories = strv_of ("toys", "games", NULL);
  rule->segments = strv_of ("regular", "vip", NULL);
  rule->usage_limit_total = 1000;
  rule->usage_limit_per_customer = 2;
  rule->valid_from = (gint64)1767225600 * G_USEC_PER_SEC;
  rule->valid_until = rule->valid_from + 30 * G_TIME_SPAN_DAY;
  rule->priority = 5;
  rule->stackable = FALSE;
  rule->uses = 77; /* ignored: only sales count uses */

  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (rule->id));
  g_assert_cmpint (rule->version, ==, 1);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 1);

  back = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->name, ==, "Игрушки −10 %");
  g_assert_cmpstr (back->description, ==, "Скидка на игрушки");
  g_assert_cmpstr (back->type, ==, "percentage");
  g_assert_cmpint (back->value, ==, 1000);
  g_assert_cmpint (back->min_purchase, ==, 150000);
  g_assert_cmpint (back->max_discount, ==, 50000);
  g_assert_cmpuint (g_strv_length (back->store_ids), ==, 1);
  g_assert_cmpstr (back->store_ids[0], ==, store->id);
  g_assert_cmpuint (g_strv_length (back->categories), ==, 2);
  g_assert_cmpstr (back->categories[0], ==, "toys");
  g_assert_cmpstr (back->categories[1], ==, "games");
  g_assert_cmpuint (g_strv_length (back->segments), ==, 2);
  g_assert_cmpint (back->usage_limit_total, ==, 1000);
  g_assert_cmpint (back->usage_limit_per_customer, ==, 2);
  g_assert_cmpint (back->valid_from, ==, rule->valid_from);
  g_assert_cmpint (back->valid_until, ==, rule->valid_until);
  g_assert_true (back->is_active);
  g_assert_false (back->stackable);
  g_assert_cmpint (back->priority, ==, 5);
  g_assert_null (back->campaign_id);
  g_assert_cmpint (back->uses, ==, 0);
  g_assert_cmpint (back->version, ==, 1);

  /* Update, with the version check; uses stays what sales made it. */
  stale = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_cmpint (sqlite3_exec (sk_database_get_handle (f->db),
                                 "UPDATE discount_rules SET uses = 4", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  back->value = 1500;
  back->is_active = FALSE;
  back->uses = 0;
  g_strfreev (back->categories);
  back->categories = NULL;
  back->valid_until = SK_TIME_NONE;
  g_assert_true (sk_database_save_rule (f->db, back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back->version, ==, 2);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 2);
  g_clear_object (&back);
  back = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_cmpint (back->value, ==, 1500);
  g_assert_false (back->is_active);
  g_assert_cmpint (back->uses, ==, 4);
  g_assert_cmpuint (g_strv_length (back->categories), ==, 0);
  g_assert_cmpint (back->valid_until, ==, SK_TIME_NONE);

  stale->value = 2000;
  g_assert_false (sk_database_save_rule (f->db, stale, &error));
  assert_field_error (error, SK_ERROR_STALE, "version");
  g_clear_error (&error);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 2);
  g_clear_object (&back);
  back = sk_database_get_rule (f->db, rule->id, &error);
  g_assert_cmpint (back->value, ==, 1500);
  g_assert_cmpint (back->version, ==, 2);

  /* An invalid update leaves the stored rule and its version alone. */
  back->value = 0;
  g_assert_false (sk_database_save_rule (f->db, back, &error));
  assert_field_error (error, SK_ERROR_INVALID, "value");
  g_clear_error (&error);
  g_assert_cmpint (back->version, ==, 2);

  /* Listing: by priority, highest first. */
  {
    g_autoptr (SkDiscountRule) low = sk_test_rule_new ("Низкий", "fixed_amount", 10000, NULL);
    g_autoptr (SkDiscountRule) high = sk_test_rule_new ("Высокий", "bonus_multiplier", 200, NULL);

    low->priority = 1;
    high->priority = 10;
    g_assert_true (sk_database_save_rule (f->db, low, &error));
    g_assert_true (sk_database_save_rule (f->db, high, &error));
    g_assert_no_error (error);
    rules = sk_database_list_rules (f->db, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rules->len, ==, 3);
    g_assert_cmpstr (((SkDiscountRule *)g_ptr_array_index (rules, 0))->name, ==, "Высокий");
    g_assert_cmpstr (((SkDiscountRule *)g_ptr_array_index (rules, 1))->name, ==, "Игрушки −10 %");
    g_assert_cmpstr (((SkDiscountRule *)g_ptr_array_index (rules, 2))->name, ==, "Низкий");
  }

  g_assert_null (sk_database_get_rule (f->db, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
}

static void
test_campaigns (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = make_store (f->db, "EKB-1");
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (SkCampaign) back = NULL;
  g_autoptr (SkCampaign) stale = NULL;
  g_autoptr (SkDiscountRule) r1 = sk_test_rule_new ("Первая", "percentage", 500, NULL);
  g_autoptr (SkDiscountRule) r2 = sk_test_rule_new ("Вторая", "fixed_amount", 10000, NULL);
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *before = NULL;
  const gint64     t0 = (gint64)1767225600 * G_USEC_PER_SEC;
  struct
  {
    const char *name, *status;
    gint64      starts, ends, budget;
    const char *channel, *segment, *store;
    const char *field;
  } bad[] = {
    { "", "draft", 0, 0, 0, NULL, NULL, NULL, "name" },
    { "Весна", "running", 0, 0, 0, NULL, NULL, NULL, "status" },
    { "Весна", NULL, 0, 0, 0, NULL, NULL, NULL, "status" },
    { "Весна", "draft", t0 + G_TIME_SPAN_DAY, t0, 0, NULL, NULL, NULL, "ends_at" },
    { "Весна", "draft", t0, t0, 0, NULL, NULL, NULL, "ends_at" },
    { "Весна", "draft", 0, 0, -1, NULL, NULL, NULL, "budget" },
    { "Весна", "draft", 0, 0, 0, "fax", NULL, NULL, "channels" },
    { "Весна", "draft", 0, 0, 0, NULL, "gold", NULL, "segments" },
    { "Весна", "draft", 0, 0, 0, NULL, NULL, "00000000-0000-4000-8000-000000000000", "store_ids" },
  };

  before = table_counts (f->db);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (SkCampaign) c = sk_campaign_new ();
      g_autofree char *after = NULL;

      sk_test_set_string (&c->name, bad[i].name);
      sk_test_set_string (&c->status, bad[i].status);
      c->starts_at = bad[i].starts;
      c->ends_at = bad[i].ends;
      c->budget = bad[i].budget;
      if (bad[i].channel != NULL)
        c->channels = strv_of ("sms", bad[i].channel, NULL);
      if (bad[i].segment != NULL)
        c->segments = strv_of (bad[i].segment, NULL);
      if (bad[i].store != NULL)
        c->store_ids = strv_of (bad[i].store, NULL);
      g_test_message ("case %u: %s", i, bad[i].field);
      g_assert_false (sk_database_save_campaign (f->db, c, &error));
      assert_field_error (error, SK_ERROR_INVALID, bad[i].field);
      g_clear_error (&error);
      after = table_counts (f->db);
      g_assert_cmpstr (after, ==, before);
    }

  sk_test_set_string (&campaign->name, "Весна");
  sk_test_set_string (&campaign->description, "Весенняя распродажа");
  sk_test_set_string (&campaign->status, "active");
  campaign->starts_at = t0;
  campaign->ends_at = t0 + 30 * G_TIME_SPAN_DAY;
  campaign->segments = strv_of ("regular", NULL);
  campaign->store_ids = strv_of (store->id, NULL);
  campaign->channels = strv_of ("email", "sms", NULL);
  campaign->budget = 5000000;
  campaign->spent = 123; /* only sales spend a budget */
  g_assert_true (sk_database_save_campaign (f->db, campaign, &error));
  g_assert_no_error (error);
  g_assert_cmpint (campaign->version, ==, 1);
  g_assert_cmpint (campaign->spent, ==, 0);

  sk_test_set_string (&r1->campaign_id, campaign->id);
  sk_test_set_string (&r2->campaign_id, campaign->id);
  g_assert_true (sk_database_save_rule (f->db, r1, &error));
  g_assert_true (sk_database_save_rule (f->db, r2, &error));
  g_assert_no_error (error);

  back = sk_database_get_campaign (f->db, campaign->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->name, ==, "Весна");
  g_assert_cmpstr (back->description, ==, "Весенняя распродажа");
  g_assert_cmpstr (back->status, ==, "active");
  g_assert_cmpint (back->starts_at, ==, t0);
  g_assert_cmpint (back->ends_at, ==, t0 + 30 * G_TIME_SPAN_DAY);
  g_assert_cmpuint (g_strv_length (back->segments), ==, 1);
  g_assert_cmpstr (back->store_ids[0], ==, store->id);
  g_assert_cmpuint (g_strv_length (back->channels), ==, 2);
  g_assert_cmpint (back->budget, ==, 5000000);
  g_assert_cmpint (back->spent, ==, 0);
  g_assert_cmpuint (g_strv_length (back->rule_ids), ==, 2);
  g_assert_true (g_strv_contains ((const char *const *)back->rule_ids, r1->id));
  g_assert_true (g_strv_contains ((const char *const *)back->rule_ids, r2->id));

  /* A rule moved out of the campaign leaves its list. */
  sk_test_set_string (&r2->campaign_id, NULL);
  g_assert_true (sk_database_save_rule (f->db, r2, &error));
  g_assert_no_error (error);
  list = sk_database_list_campaigns (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpuint (g_strv_length (((SkCampaign *)g_ptr_array_index (list, 0))->rule_ids), ==, 1);
  g_assert_cmpstr (((SkCampaign *)g_ptr_array_index (list, 0))->rule_ids[0], ==, r1->id);

  /* Update with the version check; spent is not the editor's to change. */
  stale = sk_database_get_campaign (f->db, campaign->id, &error);
  g_assert_cmpint (sqlite3_exec (sk_database_get_handle (f->db), "UPDATE campaigns SET spent = 700",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sk_test_set_string (&back->status, "finished");
  back->spent = 0;
  g_assert_true (sk_database_save_campaign (f->db, back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back->version, ==, 2);
  stale->budget = 1;
  g_assert_false (sk_database_save_campaign (f->db, stale, &error));
  assert_field_error (error, SK_ERROR_STALE, "version");
  g_clear_error (&error);
  g_clear_object (&back);
  back = sk_database_get_campaign (f->db, campaign->id, &error);
  g_assert_cmpstr (back->status, ==, "finished");
  g_assert_cmpint (back->budget, ==, 5000000);
  g_assert_cmpint (back->spent, ==, 700);
  g_assert_cmpint (back->version, ==, 2);

  g_assert_null (sk_database_get_campaign (f->db, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* rule_ids moves rules into the campaign and out of it. */
  {
    g_autoptr (SkDiscountRule) second = sk_test_rule_new ("Second", SK_RULE_PERCENTAGE, 500, NULL);
    g_autoptr (SkDiscountRule) r1_back = NULL;
    g_autoptr (SkDiscountRule) second_back = NULL;
    const char *only_r2[] = { NULL, NULL };
    const char *nothing[] = { NULL };
    const char *unknown[] = { "00000000-0000-4000-8000-000000000001", NULL };

    g_assert_true (sk_database_save_rule (f->db, second, &error));
    g_assert_no_error (error);
    only_r2[0] = second->id;
    g_object_set (back, "rule-ids", only_r2, NULL);
    g_assert_true (sk_database_save_campaign (f->db, back, &error));
    g_assert_no_error (error);
    r1_back = sk_database_get_rule (f->db, r1->id, &error);
    second_back = sk_database_get_rule (f->db, second->id, &error);
    g_assert_null (r1_back->campaign_id);
    g_assert_cmpstr (second_back->campaign_id, ==, campaign->id);

    /* An unknown rule changes nothing at all. */
    g_object_set (back, "rule-ids", unknown, "name", "Renamed", NULL);
    g_assert_false (sk_database_save_campaign (f->db, back, &error));
    assert_field_error (error, SK_ERROR_INVALID, "rule_ids");
    g_clear_error (&error);
    g_clear_object (&back);
    back = sk_database_get_campaign (f->db, campaign->id, &error);
    g_assert_cmpstr (back->name, !=, "Renamed");
    g_assert_cmpuint (g_strv_length (back->rule_ids), ==, 1);

    g_object_set (back, "rule-ids", nothing, NULL);
    g_assert_true (sk_database_save_campaign (f->db, back, &error));
    g_clear_object (&second_back);
    second_back = sk_database_get_rule (f->db, second->id, &error);
    g_assert_null (second_back->campaign_id);
  }
}

/* Outbox: every change is an event in the same transaction. */

static void
assert_last_event (SkDatabase *db, const char *entity, const char *entity_id, const char *op)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (
      sqlite3_prepare_v2 (sk_database_get_handle (db),
                          "SELECT entity, entity_id, op, payload, event_id FROM sync_outbox"
                          " ORDER BY seq DESC LIMIT 1",
                          -1, &stmt, NULL),
      ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, entity);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 1), ==, entity_id);
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 2), ==, op);
  g_assert_true (g_uuid_string_is_valid ((const char *)sqlite3_column_text (stmt, 4)));
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) payload
        = sk_json_parse ((const char *)sqlite3_column_text (stmt, 3), -1, &error);

    g_assert_no_error (error);
    g_assert_true (JSON_NODE_HOLDS_OBJECT (payload));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (payload), "id"), ==,
                     entity_id);
  }
  sqlite3_finalize (stmt);
}

static void
test_outbox (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkDiscountRule) rule = sk_test_rule_new ("Скидка", "percentage", 1000, NULL);
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  gint64 n = sk_database_count_outbox (f->db, NULL);

  g_assert_cmpint (n, ==, 0);
  store = make_store (f->db, "EKB-1");
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, ++n);
  assert_last_event (f->db, "store", store->id, "create");
  store->bonus_rate = 200;
  g_assert_true (sk_database_save_store (f->db, store, &error));
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, ++n);
  assert_last_event (f->db, "store", store->id, "update");

  customer = create_customer (f->db, "Иванова Анна", "+79123456789", NULL);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, ++n);
  assert_last_event (f->db, "customer", customer->id, "create");
  sk_test_set_string (&customer->email, "anna@example.ru");
  g_assert_true (sk_database_update_customer (f->db, customer, &error));
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, ++n);
  assert_last_event (f->db, "customer", customer->id, "update");

  sk_test_set_string (&campaign->name, "Весна");
  g_assert_true (sk_database_save_campaign (f->db, campaign, &error));
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, ++n);
  assert_last_event (f->db, "campaign", campaign->id, "create");

  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, ++n);
  assert_last_event (f->db, "rule", rule->id, "create");
  rule->value = 2000;
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, ++n);
  assert_last_event (f->db, "rule", rule->id, "update");
  g_assert_no_error (error);

  /* A failed change leaves no event. */
  rule->version = 1;
  g_assert_false (sk_database_save_rule (f->db, rule, &error));
  g_clear_error (&error);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, n);

  /* When the event cannot be written, the change is not made either. */
  sk_database_set_fail_point (f->db, "outbox");
  sk_test_set_string (&customer->full_name, "Никто");
  g_assert_false (sk_database_update_customer (f->db, customer, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
  g_clear_error (&error);
  g_assert_cmpint (customer->version, ==, 2);
  {
    g_autoptr (SkCustomer) other = new_customer ("Другой", "+79120000001", NULL);
    g_autoptr (SkStore) other_store = sk_store_new ();

    g_assert_false (sk_database_create_customer (f->db, other, &error));
    g_clear_error (&error);
    sk_test_set_string (&other_store->code, "EKB-2");
    sk_test_set_string (&other_store->name, "Второй");
    g_assert_false (sk_database_save_store (f->db, other_store, &error));
    g_clear_error (&error);
    g_assert_cmpint (other_store->version, ==, 0);
    g_assert_cmpint (other->version, ==, 0);
    rule->version = 2;
    rule->value = 3000;
    g_assert_false (sk_database_save_rule (f->db, rule, &error));
    g_clear_error (&error);
    g_assert_cmpint (rule->version, ==, 2);
  }
  sk_database_set_fail_point (f->db, NULL);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, n);
  g_assert_cmpint (count_rows (f->db, "customers"), ==, 1);
  g_assert_cmpint (count_rows (f->db, "stores"), ==, 1);
  {
    g_autoptr (SkCustomer) back = sk_database_get_customer (f->db, customer->id, &error);
    g_autoptr (SkDiscountRule) rule_back = sk_database_get_rule (f->db, rule->id, &error);

    g_assert_cmpstr (back->full_name, ==, "Иванова Анна");
    g_assert_cmpint (back->version, ==, 2);
    g_assert_cmpint (rule_back->value, ==, 2000);
  }

  /* After the failure the same objects save normally. */
  g_assert_true (sk_database_update_customer (f->db, customer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (customer->version, ==, 3);
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rule->version, ==, 3);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, n + 2);
}

static void
test_commit_failure (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = make_store (f->db, "EKB-1");
  g_autoptr (SkCustomer) anna = create_customer (f->db, "Иванова Анна", "+79123456789", NULL);
  g_autoptr (SkCustomer) petr = new_customer ("Петров Пётр", "+79120000001", NULL);
  g_autoptr (SkDiscountRule) rule = sk_test_rule_new ("−10 %", "percentage", 1000, NULL);
  g_autoptr (SkCustomer) back = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  sk_test_break_commits (f->db, TRUE);
  before = table_counts (f->db);

  sk_test_set_string (&anna->full_name, "Кто-то");
  g_assert_false (sk_database_update_customer (f->db, anna, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpint (anna->version, ==, 1);
  g_assert_false (sk_database_create_customer (f->db, petr, &error));
  g_clear_error (&error);
  g_assert_cmpint (petr->version, ==, 0);
  g_assert_false (sk_database_save_rule (f->db, rule, &error));
  g_clear_error (&error);
  g_assert_cmpint (rule->version, ==, 0);
  store->bonus_rate = 500;
  g_assert_false (sk_database_save_store (f->db, store, &error));
  g_clear_error (&error);
  g_assert_cmpint (store->version, ==, 1);
  after = table_counts (f->db);
  g_assert_cmpstr (after, ==, before);

  /* Once commits work again, the same objects save as they are. */
  sk_test_break_commits (f->db, FALSE);
  g_assert_true (sk_database_update_customer (f->db, anna, &error));
  g_assert_no_error (error);
  g_assert_cmpint (anna->version, ==, 2);
  g_assert_true (sk_database_create_customer (f->db, petr, &error));
  g_assert_no_error (error);
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rule->version, ==, 1);
  g_assert_true (sk_database_save_store (f->db, store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (store->version, ==, 2);
  back = sk_database_get_customer (f->db, anna->id, &error);
  g_assert_cmpstr (back->full_name, ==, "Кто-то");
}

/* Sells one item of 100 ₽ in @store_id, anonymously. */
static void
sell_one (SkDatabase *db, const char *store_id, gint64 discount)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) sale = NULL;

  request->id = g_uuid_string_random ();
  request->cart = sk_cart_new (store_id);
  sk_cart_add_line (request->cart, "A", "A", "toys", 10000, 1);
  sale = sk_database_process_purchase (db, request, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sale->purchase->discount_total, ==, discount);
}

/* The live rules are kept in memory between edits: an edit made here or
 * through another connection to the same file is seen at the next
 * calculation, and so is a usage limit reached by sales. */
static void
test_rules_cache (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = make_store (f->db, "CACHE");
  g_autoptr (SkDiscountRule) rule = sk_test_rule_new ("Ten", SK_RULE_PERCENTAGE, 1000, NULL);
  g_autoptr (SkDiscountRule) other_view = NULL;
  g_autoptr (SkDatabase) other = NULL;
  g_autoptr (SkCart) cart = sk_cart_new (store->id);
  SkEngineResult *result;

  sk_cart_add_line (cart, "A", "A", "toys", 10000, 1);
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_no_error (error);

  result = sk_database_calculate (f->db, cart, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->discount_total, ==, 1000);
  sk_engine_result_free (result);

  /* Edited here. */
  rule->value = 2000;
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  result = sk_database_calculate (f->db, cart, NULL, 0, &error);
  g_assert_cmpint (result->discount_total, ==, 2000);
  sk_engine_result_free (result);

  /* Edited through another connection. */
  other = sk_database_open (f->path, &error);
  g_assert_no_error (error);
  other_view = sk_database_get_rule (other, rule->id, &error);
  other_view->value = 500;
  g_assert_true (sk_database_save_rule (other, other_view, &error));
  g_assert_no_error (error);
  result = sk_database_calculate (f->db, cart, NULL, 0, &error);
  g_assert_cmpint (result->discount_total, ==, 500);
  sk_engine_result_free (result);

  /* Switched off. */
  other_view->is_active = FALSE;
  g_assert_true (sk_database_save_rule (other, other_view, &error));
  result = sk_database_calculate (f->db, cart, NULL, 0, &error);
  g_assert_cmpint (result->discount_total, ==, 0);
  sk_engine_result_free (result);

  /* A usage limit reached by sales on the other connection. */
  other_view->is_active = TRUE;
  other_view->usage_limit_total = 1;
  g_assert_true (sk_database_save_rule (other, other_view, &error));
  result = sk_database_calculate (f->db, cart, NULL, 0, &error);
  g_assert_cmpint (result->discount_total, ==, 500);
  sk_engine_result_free (result);
  sell_one (other, store->id, 500);
  result = sk_database_calculate (f->db, cart, NULL, 0, &error);
  g_assert_cmpint (result->discount_total, ==, 0);
  g_assert_cmpint (result->rejected->len, ==, 1);
  g_assert_cmpint (g_array_index (result->rejected, SkEngineRejected, 0).code, ==,
                   SK_REJECT_USAGE_LIMIT_TOTAL);
  sk_engine_result_free (result);

  /* A campaign budget spent by a sale on the other connection. */
  {
    g_autoptr (SkCampaign) campaign = sk_campaign_new ();
    g_autoptr (SkDiscountRule) fixed
        = sk_test_rule_new ("Minus 5", SK_RULE_FIXED_AMOUNT, 500, NULL);

    sk_test_set_string (&campaign->name, "Весна");
    sk_test_set_string (&campaign->status, "active");
    campaign->budget = 500;
    g_assert_true (sk_database_save_campaign (other, campaign, &error));
    g_assert_no_error (error);
    sk_test_set_string (&fixed->campaign_id, campaign->id);
    g_assert_true (sk_database_save_rule (other, fixed, &error));
    g_assert_no_error (error);
    result = sk_database_calculate (f->db, cart, NULL, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpint (result->discount_total, ==, 500);
    sk_engine_result_free (result);

    sell_one (other, store->id, 500);
    result = sk_database_calculate (f->db, cart, NULL, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpint (result->discount_total, ==, 0);
    g_assert_cmpint (result->rejected->len, ==, 2);
    for (guint i = 0; i < result->rejected->len; i++)
      {
        SkEngineRejected *r = &g_array_index (result->rejected, SkEngineRejected, i);

        g_assert_cmpint (r->code, ==,
                         r->rule->usage_limit_total > 0 ? SK_REJECT_USAGE_LIMIT_TOTAL
                                                        : SK_REJECT_CAMPAIGN_BUDGET_SPENT);
      }
    sk_engine_result_free (result);
  }

  /* A store opened through the other connection, then removed there. */
  {
    g_autoptr (SkStore) opened = make_store (other, "CACHE-2");
    g_autoptr (SkCart) there = sk_cart_new (opened->id);

    sk_cart_add_line (there, "A", "A", "toys", 10000, 1);
    result = sk_database_calculate (f->db, there, NULL, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpint (result->subtotal, ==, 10000);
    sk_engine_result_free (result);

    g_assert_true (sk_db_exec (other, &error, "DELETE FROM stores WHERE id = ?", "s", opened->id));
    g_assert_no_error (error);
    result = sk_database_calculate (f->db, there, NULL, 0, &error);
    g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
    g_assert_cmpstr (sk_error_get_field (error), ==, "store_id");
    g_assert_null (result);
  }
}

/* An export always names its records; an import that took one without an
 * id stored a row that no lookup finds, and the next export failed (the
 * fuzzer found it with a campaign). */
static void
test_import_needs_ids (Fixture *f, gconstpointer data)
{
  const char *sections[] = { "stores", "campaigns", "rules", "customers", "notifications" };
  const char *records[] = {
    "{\"code\": \"S1\", \"name\": \"One\"}",
    "{\"name\": \"Summer\", \"status\": \"active\"}",
    "{\"name\": \"Toys\", \"type\": \"percentage\", \"value\": 500}",
    "{\"phone\": \"+79001234567\", \"created_at\": \"2024-01-01T00:00:00Z\"}",
    "{\"channel\": \"sms\", \"created_at\": \"2024-01-01T00:00:00Z\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("{\"format\": \"skidka-export\", \"%s\": [%s]}",
                                               sections[i], records[i]);
      g_autoptr (JsonNode) root = sk_json_parse (text, -1, &error);
      g_autoptr (JsonNode) exported = NULL;

      g_assert_no_error (error);
      g_assert_false (sk_database_import (f->db, root, &error));
      g_assert_error (error, SK_ERROR, SK_ERROR_MALFORMED);
      g_assert_cmpstr (sk_error_get_field (error), ==, "id");
      g_clear_error (&error);
      exported = sk_database_export (f->db, &error);
      g_assert_no_error (error);
      g_assert_nonnull (exported);
    }
}

/* An import cannot plant a balance beyond SK_BALANCE_MAX, not even one its
 * ledger agrees with: no movement could have made it. */
static void
test_import_balance_bound (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) anna = create_customer (f->db, "Иванова Анна", "+79001234567", NULL);
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (JsonNode) exported = NULL;
  g_autoptr (SkDatabase) other = NULL;
  g_autofree char *other_path = g_build_filename (f->dir, "other.db", NULL);
  JsonObject      *customer, *row;

  tx = sk_database_bonus_manual (f->db, anna->id, SK_BONUS_EARN, SK_MONEY_MAX, "Причина", NULL,
                                 &error);
  g_assert_no_error (error);
  exported = sk_database_export (f->db, &error);
  g_assert_no_error (error);
  customer = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (exported), "customers"), 0);
  row = json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (exported), "bonus_transactions"), 0);
  json_object_set_int_member (customer, "bonus_balance", 2 * SK_BALANCE_MAX);
  json_object_set_int_member (row, "amount", 2 * SK_BALANCE_MAX);
  json_object_set_int_member (row, "balance_after", 2 * SK_BALANCE_MAX);

  other = sk_database_open (other_path, &error);
  g_assert_no_error (error);
  g_assert_false (sk_database_import (other, exported, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_assert_cmpstr (sk_error_get_field (error), ==, "customers");
  g_clear_error (&error);
  g_assert_cmpint (sk_db_query_int (other, NULL, -1, "SELECT count(*) FROM customers", NULL), ==,
                   0);

  /* At the bound it is a balance like any other. */
  json_object_set_int_member (customer, "bonus_balance", SK_BALANCE_MAX);
  json_object_set_int_member (row, "amount", SK_BALANCE_MAX);
  json_object_set_int_member (row, "balance_after", SK_BALANCE_MAX);
  g_assert_true (sk_database_import (other, exported, &error));
  g_assert_no_error (error);
}

/* Members of the wrong kind are refused or skipped, never passed to
 * json-glib getters that complain (a CRITICAL, fatal under G_DEBUG). */
static void
test_import_member_types (Fixture *f, gconstpointer data)
{
  const char *refused[] = {
    "{\"format\": {}}",
    "{\"format\": [\"skidka-export\"]}",
    "{\"format\": 5}",
    "{\"format\": \"skidka-export\", \"kept_sales\": {}}",
    "{\"format\": \"skidka-export\", \"kept_sales\": [5]}",
    /* A sale the document does not have. */
    "{\"format\": \"skidka-export\", \"stores\": [{\"id\": \"s1\", \"code\": \"S1\", "
    "\"name\": \"One\"}], \"kept_sales\": [\"nope\"]}",
  };
  const char *read[] = {
    "{\"format\": \"skidka-export\", \"schema_version\": []}",
    "{\"format\": \"skidka-export\", \"schema_version\": {\"a\": 1}, \"settings\": {\"a\": [1], "
    "\"b\": {}, \"c\": 5}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = sk_json_parse (refused[i], -1, &error);

      g_assert_no_error (error);
      g_assert_false (sk_database_import (f->db, root, &error));
      g_assert_error (error, SK_ERROR, SK_ERROR_MALFORMED);
      g_assert_cmpint (count_rows (f->db, "stores"), ==, 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (read); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) root = sk_json_parse (read[i], -1, &error);
      g_autofree char *setting = NULL;

      g_assert_no_error (error);
      g_assert_true (sk_database_import (f->db, root, &error));
      g_assert_no_error (error);
      setting = sk_database_get_setting (f->db, "a");
      g_assert_null (setting);
    }
}

/* A record read from JSON without its flags gets what a new one has. */
static void
test_record_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) rule_json
      = sk_json_parse ("{\"name\": \"A\", \"type\": \"percentage\", \"value\": 500}", -1, NULL);
  g_autoptr (JsonNode) store_json = sk_json_parse ("{\"code\": \"S\", \"name\": \"S\"}", -1, NULL);
  g_autoptr (JsonNode) campaign_json = sk_json_parse ("{\"name\": \"C\"}", -1, NULL);
  g_autoptr (SkDiscountRule) rule = sk_record_from_json (SK_TYPE_DISCOUNT_RULE, rule_json, &error);
  g_autoptr (SkStore) store = sk_record_from_json (SK_TYPE_STORE, store_json, &error);
  g_autoptr (SkCampaign) campaign = sk_record_from_json (SK_TYPE_CAMPAIGN, campaign_json, &error);

  g_assert_no_error (error);
  g_assert_true (rule->is_active);
  g_assert_true (rule->stackable);
  g_assert_cmpint (store->bonus_rate, ==, 100);
  g_assert_cmpint (store->max_bonus_share, ==, 10000);
  g_assert_cmpstr (campaign->status, ==, "draft");
}

/* The typed reads the app uses in place of the instance structs. */
static void
test_record_fields (void)
{
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (SkCustomer) customer = sk_customer_new ();
  g_autoptr (GListStore) kids = g_list_store_new (SK_TYPE_CHILD);
  g_autoptr (SkChild) child = sk_child_new ("Masha", "2019-04-01");
  const char *categories[] = { "milk", "bread", NULL };

  g_object_set (rule, "id", "r1", "name", "Milk", "value", (gint64)500, "valid-until", (gint64)42,
                "stackable", FALSE, "categories", categories, NULL);
  g_assert_cmpstr (sk_record_get_id (rule), ==, "r1");
  g_assert_cmpstr (sk_record_get_string (rule, "name"), ==, "Milk");
  g_assert_null (sk_record_get_string (rule, "description"));
  g_assert_cmpint (sk_record_get_int64 (rule, "value"), ==, 500);
  g_assert_cmpint (sk_record_get_int64 (rule, "valid_until"), ==, 42);
  g_assert_true (sk_record_get_boolean (rule, "is_active"));
  g_assert_false (sk_record_get_boolean (rule, "stackable"));
  g_assert_true (g_strv_equal (sk_record_get_strv (rule, "categories"), categories));
  g_assert_null (sk_record_get_strv (rule, "segments"));

  /* A wrong name or type is the caller's mistake: a critical. */
  if (g_test_undefined ())
    {
      g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*has no field “nmae”*");
      g_assert_null (sk_record_get_string (rule, "nmae"));
      g_test_assert_expected_messages ();
      g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*“value”*");
      g_assert_null (sk_record_get_string (rule, "value"));
      g_test_assert_expected_messages ();
    }

  g_list_store_append (kids, child);
  sk_customer_set_children (customer, G_LIST_MODEL (kids));
  g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (customer)), ==, 1);
  /* Its own list given back keeps it. */
  sk_customer_set_children (customer, sk_customer_get_children (customer));
  g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (customer)), ==, 1);
  sk_customer_set_children (customer, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (customer)), ==, 0);
}

/* The server's accounts: what an account may be, and tokens that serve
 * while they are neither expired nor revoked nor of a disabled account. */
static void
test_accounts (Fixture *f, gconstpointer data)
{
  g_autoptr (SkStore) store = make_store (f->db, "EKB-1");
  g_autoptr (SkAccount) boss = sk_test_account_new ("boss", SK_ROLE_ADMIN, store->id);
  g_autoptr (SkAccount) till = sk_test_account_new ("till", SK_ROLE_CASHIER, store->id);
  g_autoptr (SkAccount) found = NULL;
  g_autoptr (SkAccount) copy = NULL;
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *long_name = g_strnfill (65, 'a');
  gint64           now = sk_time_now ();
  struct
  {
    const char *username;
    SkRole      role;
    const char *store_id;
    SkErrorCode code;
    const char *field;
  } bad[] = {
    { "", SK_ROLE_ADMIN, NULL, SK_ERROR_INVALID, "username" },
    { "   ", SK_ROLE_ADMIN, NULL, SK_ERROR_INVALID, "username" },
    { NULL, SK_ROLE_ADMIN, NULL, SK_ERROR_INVALID, "username" },
    { long_name, SK_ROLE_ADMIN, NULL, SK_ERROR_INVALID, "username" },
    { "nobody", SK_ROLE_NONE, NULL, SK_ERROR_INVALID, "role" },
    { "twofold", SK_ROLE_ADMIN | SK_ROLE_CASHIER, NULL, SK_ERROR_INVALID, "role" },
    { "homeless", SK_ROLE_MANAGER, NULL, SK_ERROR_INVALID, "store_id" },
    { "homeless", SK_ROLE_CASHIER, " ", SK_ERROR_INVALID, "store_id" },
    { "lost", SK_ROLE_CASHIER, "00000000-0000-4000-8000-000000000000", SK_ERROR_INVALID,
      "store_id" },
    { "boss", SK_ROLE_MARKETING, NULL, SK_ERROR_CONFLICT, "username" },
  };

  /* An admin belongs to no store, whatever it was given; ids and times are
   * assigned. */
  g_assert_true (sk_database_add_account (f->db, boss, &error));
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (boss->id));
  g_assert_cmpint (boss->created_at, >=, now);
  g_assert_null (boss->store_id);
  sk_test_set_string (&till->id, "till-id");
  till->created_at = 1000;
  g_assert_true (sk_database_add_account (f->db, till, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (till->id, ==, "till-id");
  g_assert_cmpint (till->created_at, ==, 1000);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (SkAccount) account
          = sk_test_account_new (bad[i].username, bad[i].role, bad[i].store_id);

      g_assert_false (sk_database_validate_account (f->db, account, &error));
      assert_field_error (error, bad[i].code, bad[i].field);
      g_clear_error (&error);
      g_assert_false (sk_database_add_account (f->db, account, &error));
      assert_field_error (error, bad[i].code, bad[i].field);
      g_clear_error (&error);
      g_assert_null (account->id);
    }
  g_assert_cmpint (sk_db_query_int (f->db, NULL, -1, "SELECT count(*) FROM users", NULL), ==, 2);

  /* By name, with the password hash; the list leaves the hashes out. */
  found = sk_database_find_account (f->db, "till", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, "till-id");
  g_assert_cmpint (found->role, ==, SK_ROLE_CASHIER);
  g_assert_cmpstr (found->store_id, ==, store->id);
  g_assert_cmpstr (found->password_hash, ==, SK_TEST_PASSWORD_HASH);
  g_assert_cmpint (found->created_at, ==, 1000);
  g_assert_false (found->disabled);
  g_assert_null (found->token_hash);
  copy = sk_account_copy (found);
  g_clear_pointer (&found, sk_account_free);
  g_assert_cmpstr (copy->password_hash, ==, SK_TEST_PASSWORD_HASH);
  g_assert_null (sk_database_find_account (f->db, "Till", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  accounts = sk_database_list_accounts (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 2);
  found = sk_account_copy (g_ptr_array_index (accounts, 0));
  g_assert_cmpstr (found->username, ==, "boss");
  g_assert_cmpint (found->role, ==, SK_ROLE_ADMIN);
  g_assert_null (found->store_id);
  g_assert_null (found->password_hash);
  g_clear_pointer (&found, sk_account_free);
  g_assert_cmpstr (((SkAccount *)g_ptr_array_index (accounts, 1))->username, ==, "till");

  /* Tokens serve until they expire or are revoked. */
  g_assert_true (sk_database_add_token (f->db, "live", till->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_true (sk_database_add_token (f->db, "other", till->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_true (sk_database_add_token (f->db, "old", till->id, now - G_TIME_SPAN_HOUR, &error));
  g_assert_true (sk_database_add_token (f->db, "boss", boss->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_no_error (error);
  found = sk_database_find_token_account (f->db, "live", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, till->id);
  g_assert_cmpstr (found->username, ==, "till");
  g_assert_cmpint (found->role, ==, SK_ROLE_CASHIER);
  g_assert_cmpstr (found->store_id, ==, store->id);
  g_assert_cmpstr (found->token_hash, ==, "live");
  g_assert_cmpint (found->token_expires_at, ==, now + G_TIME_SPAN_HOUR);
  g_assert_null (found->password_hash);
  g_clear_pointer (&found, sk_account_free);
  g_assert_null (sk_database_find_token_account (f->db, "old", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sk_database_find_token_account (f->db, "unknown", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (sk_database_revoke_token (f->db, "other", &error));
  g_assert_true (sk_database_revoke_token (f->db, "unknown", &error));
  g_assert_no_error (error);
  g_assert_null (sk_database_find_token_account (f->db, "other", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A new token sweeps those expired more than a day ago, not the others. */
  g_assert_true (sk_db_exec (f->db, &error,
                             "UPDATE tokens SET expires_at = ? WHERE token_hash = 'other'", "i",
                             now - 2 * G_TIME_SPAN_DAY));
  g_assert_true (sk_database_add_token (f->db, "new", till->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_db_query_int (f->db, NULL, -1,
                                    "SELECT count(*) FROM tokens WHERE token_hash = 'other'", NULL),
                   ==, 0);
  g_assert_cmpint (sk_db_query_int (f->db, NULL, -1, "SELECT count(*) FROM tokens", NULL), ==, 4);
  g_assert_false (sk_database_add_token (f->db, "new", till->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_CONFLICT);
  g_clear_error (&error);

  /* Disabling revokes every token of the account, and enabling brings none
   * back; the other accounts' tokens go on serving. */
  g_assert_false (sk_database_set_account_disabled (f->db, "nobody", TRUE, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (sk_database_set_account_disabled (f->db, till->id, TRUE, &error));
  g_assert_no_error (error);
  found = sk_database_find_account (f->db, "till", &error);
  g_assert_true (found->disabled);
  g_clear_pointer (&found, sk_account_free);
  g_assert_null (sk_database_find_token_account (f->db, "live", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (sk_database_set_account_disabled (f->db, till->id, FALSE, &error));
  g_assert_no_error (error);
  g_assert_null (sk_database_find_token_account (f->db, "live", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (sk_database_find_token_account (f->db, "new", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  found = sk_database_find_token_account (f->db, "boss", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, boss->id);
  g_clear_pointer (&found, sk_account_free);

  /* One transaction: when the tokens cannot be revoked, the account stays
   * enabled. */
  g_assert_cmpint (sqlite3_exec (sk_database_get_handle (f->db),
                                 "CREATE TEMP TRIGGER tokens_stuck BEFORE UPDATE ON main.tokens"
                                 "  BEGIN SELECT RAISE (ABORT, 'tokens are stuck'); END;",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  g_assert_false (sk_database_set_account_disabled (f->db, boss->id, TRUE, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  found = sk_database_find_token_account (f->db, "boss", &error);
  g_assert_no_error (error);
  g_assert_false (found->disabled);
}

/* The change feed (SPEC 6, "Pull") */

/* Every change after @since, a page of @limit at a time, joined; asserts
 * that only the last page says there is no more. *cursor: where it ends. */
static JsonArray *
pull_all (SkDatabase *db, const char *since, guint limit, guint *n_pages, char **cursor)
{
  g_autofree char *at = g_strdup (since);
  JsonArray       *all = json_array_new ();
  gboolean         more = TRUE;

  *n_pages = 0;
  while (more)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SkChangePage) page = sk_database_pull_changes (db, at, limit, &error);
      JsonArray *changes;

      g_assert_no_error (error);
      g_assert_nonnull (page);
      changes = json_node_get_array (page->changes);
      g_assert_cmpuint (json_array_get_length (changes), ==, page->n_changes);
      g_assert_cmpuint (page->n_changes, <=, limit);
      /* A page that says there is more is full. */
      if (page->has_more)
        g_assert_cmpuint (page->n_changes, ==, limit);
      for (guint i = 0; i < page->n_changes; i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (changes, i)));
      if (page->n_changes > 0)
        g_assert_cmpstr (
            json_object_get_string_member (
                json_array_get_object_element (changes, page->n_changes - 1), "cursor"),
            ==, page->next_cursor);
      g_free (at);
      at = g_strdup (page->next_cursor);
      more = page->has_more;
      (*n_pages)++;
      g_assert_cmpuint (*n_pages, <, 1000);
    }
  if (cursor != NULL)
    *cursor = g_steal_pointer (&at);
  return all;
}

static JsonObject *
feed_data (JsonObject *change)
{
  g_assert_nonnull (change);
  return json_object_get_object_member (change, "data");
}

static void
test_feed (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (SkDiscountRule) rule = sk_test_rule_new ("Feed", "percentage", 500, NULL);
  g_autoptr (SkProduct) product = g_object_new (SK_TYPE_PRODUCT, NULL);
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkCustomer) survivor = NULL;
  g_autoptr (SkBonusTransaction) earned = NULL;
  g_autoptr (JsonArray) first = NULL;
  g_autoptr (JsonArray) changes = NULL;
  g_autoptr (JsonArray) again = NULL;
  g_autoptr (SkChangePage) page = NULL;
  g_autoptr (GListStore) children = g_list_store_new (SK_TYPE_CHILD);
  g_autofree char *start = NULL;
  g_autofree char *cursor = NULL;
  g_autofree char *end = NULL;
  SkChild         *child;
  guint            n_pages;

  /* A new file: only what is already there (the device id is the till's
   * own, never in the feed). */
  first = pull_all (f->db, NULL, 100, &n_pages, &start);
  g_assert_null (sk_test_find_change (first, "setting", "device_id"));
  g_assert_cmpuint (json_array_get_length (first), ==, 0);

  store = make_store (f->db, "FEED-1");
  sk_test_set_string (&campaign->name, "Feed campaign");
  g_assert_true (sk_database_save_campaign (f->db, campaign, &error));
  g_assert_no_error (error);
  sk_test_set_string (&rule->campaign_id, sk_record_get_id (campaign));
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_no_error (error);
  sk_test_set_string (&product->sku, "bear-1");
  sk_test_set_string (&product->name, "Teddy bear");
  product->price = 99900;
  g_assert_true (sk_database_save_product (f->db, product, &error));
  g_assert_no_error (error);
  customer = new_customer ("Лента Ольга", "+7 912 000-00-01", "4600101");
  child = sk_child_new ("Маша", "2020-01-02");
  g_list_store_append (children, child);
  g_object_unref (child);
  sk_customer_set_children (customer, G_LIST_MODEL (children));
  g_assert_true (sk_database_create_customer (f->db, customer, &error));
  g_assert_no_error (error);
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "90", &error));
  g_assert_true (sk_database_set_setting (f->db, "till_only", "x", &error));
  g_assert_no_error (error);

  /* Each kind once, as the REST API shows it. */
  changes = pull_all (f->db, start, 100, &n_pages, &cursor);
  g_assert_cmpuint (json_array_get_length (changes), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (
                       feed_data (sk_test_find_change (changes, "store", store->id)), "code"),
                   ==, "FEED-1");
  g_assert_cmpstr (
      json_object_get_string_member (
          feed_data (sk_test_find_change (changes, "campaign", sk_record_get_id (campaign))),
          "name"),
      ==, "Feed campaign");
  g_assert_cmpstr (json_object_get_string_member (
                       feed_data (sk_test_find_change (changes, "rule", sk_record_get_id (rule))),
                       "campaign_id"),
                   ==, sk_record_get_id (campaign));
  g_assert_cmpint (json_object_get_int_member (
                       feed_data (sk_test_find_change (changes, "product", "bear-1")), "price"),
                   ==, 99900);
  g_assert_cmpstr (
      json_object_get_string_member (
          feed_data (sk_test_find_change (changes, "setting", SK_SETTING_BONUS_EXPIRY_DAYS)),
          "value"),
      ==, "90");
  {
    JsonObject *c = sk_test_find_change (changes, "customer", customer->id);

    g_assert_cmpstr (json_object_get_string_member (c, "op"), ==, "upsert");
    g_assert_cmpint (json_object_get_int_member (feed_data (c), "bonus_balance"), ==, 0);
    g_assert_cmpuint (
        json_array_get_length (json_object_get_array_member (feed_data (c), "children")), ==, 1);
  }
  g_assert_null (sk_test_find_change (changes, "setting", "till_only"));

  /* Nothing new: the same cursor back, nothing more. */
  page = sk_database_pull_changes (f->db, cursor, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->n_changes, ==, 0);
  g_assert_false (page->has_more);
  g_assert_cmpstr (page->next_cursor, ==, cursor);
  g_clear_pointer (&page, sk_change_page_free);

  /* A customer's balance moves twice: one change, the balance as it is. */
  earned = sk_database_bonus_manual (f->db, customer->id, "earn", 700, "feed", NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&earned);
  earned = sk_database_bonus_manual (f->db, customer->id, "earn", 300, "feed", NULL, &error);
  g_assert_no_error (error);
  again = pull_all (f->db, cursor, 100, &n_pages, &end);
  g_assert_cmpuint (json_array_get_length (again), ==, 1);
  g_assert_cmpint (
      json_object_get_int_member (feed_data (sk_test_find_change (again, "customer", customer->id)),
                                  "bonus_balance"),
      ==, 1000);
  g_clear_pointer (&again, json_array_unref);

  /* Pages of two join up with neither gaps nor repeats, in the order of
   * one big page. */
  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *phone = g_strdup_printf ("+7 912 000-01-%02u", i);
      g_autofree char *card = g_strdup_printf ("46002%02u", i);
      g_autoptr (SkCustomer) more = create_customer (f->db, "Лента", phone, card);
    }
  g_clear_pointer (&changes, json_array_unref);
  changes = pull_all (f->db, start, 1000, &n_pages, NULL);
  g_assert_cmpuint (n_pages, ==, 1);
  g_assert_cmpuint (json_array_get_length (changes), ==, 13);
  again = pull_all (f->db, start, 2, &n_pages, NULL);
  g_assert_cmpuint (n_pages, ==, 7);
  g_assert_cmpuint (json_array_get_length (again), ==, 13);
  for (guint i = 0; i < 13; i++)
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (again, i), "cursor"), ==,
        json_object_get_string_member (json_array_get_object_element (changes, i), "cursor"));
  g_clear_pointer (&again, json_array_unref);
  /* A limit that divides the feed: the last full page says there is no more. */
  again = pull_all (f->db, start, 13, &n_pages, NULL);
  g_assert_cmpuint (n_pages, ==, 1);
  g_clear_pointer (&again, json_array_unref);

  /* A customer merged into another: a merge with the survivor's record. */
  survivor = create_customer (f->db, "Лента Ольга", "+7 912 000-02-01", "4600301");
  g_assert_true (sk_database_feed_merge (f->db, customer->id, survivor->id, &error));
  g_assert_no_error (error);
  again = pull_all (f->db, end, 100, &n_pages, NULL);
  {
    JsonObject *merge = sk_test_find_change (again, "customer", customer->id);

    g_assert_cmpstr (json_object_get_string_member (merge, "op"), ==, "merge");
    g_assert_cmpstr (json_object_get_string_member (merge, "merged_into"), ==, survivor->id);
    g_assert_cmpstr (json_object_get_string_member (feed_data (merge), "id"), ==, survivor->id);
    g_assert_nonnull (sk_test_find_change (again, "customer", survivor->id));
  }

  /* Cursors this feed never gave. */
  {
    g_autofree char *epoch
        = sql_text (sk_database_get_handle (f->db), "SELECT epoch FROM change_feed");
    g_autofree char *beyond = g_strdup_printf ("f1.%s.0.999999", epoch);
    g_autofree char *xid = g_strdup_printf ("f1.%s.5.1", epoch);
    g_autofree char *other = g_strdup (end);
    const char      *bad[]
        = { "garbage", "f1", "f1..0.1", "f1.0123.0.1", beyond, xid, other, "f1.x.0.-1" };

    /* Another database's feed: another epoch. */
    other[3] = other[3] == 'a' ? 'b' : 'a';
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        page = sk_database_pull_changes (f->db, bad[i], 10, &error);
        g_assert_null (page);
        g_assert_error (error, SK_ERROR, SK_ERROR_CURSOR_EXPIRED);
        g_assert_cmpstr (sk_error_code_to_string (error->code), ==, "cursor_expired");
        g_assert_cmpuint (sk_error_code_to_http_status (error->code), ==, 410);
        g_clear_error (&error);
      }
  }
}

/* A file made before the feed: what it holds is in the feed after the
 * upgrade, so a till's first pull is a full copy. */
static void
test_feed_upgrade (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "v9.db", NULL);
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (JsonArray) changes = NULL;
  SkDatabase *old;
  guint       n_pages;

  old = sk_database_open_at_version (path, 9, &error);
  g_assert_no_error (error);
  store = make_store (old, "OLD-1");
  customer = create_customer (old, "Старая", "+7 912 000-03-01", "4600401");
  g_assert_true (sk_database_set_setting (old, "segment_vip_visits", "12", &error));
  g_assert_no_error (error);
  g_object_unref (old);

  g_clear_object (&f->db);
  f->db = sk_database_open (path, &error);
  g_assert_no_error (error);
  changes = pull_all (f->db, NULL, 100, &n_pages, NULL);
  g_assert_cmpuint (json_array_get_length (changes), ==, 3);
  /* Settings and stores before the customers who refer to them. */
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (changes, 0), "entity"), ==,
      "setting");
  g_assert_nonnull (feed_data (sk_test_find_change (changes, "store", store->id)));
  g_assert_cmpstr (
      json_object_get_string_member (
          feed_data (sk_test_find_change (changes, "customer", customer->id)), "full_name"),
      ==, "Старая");
}

static void
test_refund_figures_upgrade (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "v21.db", NULL);

  sk_test_refund_figures_upgrade (path);
}

static void
add (const char *path, void (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add ("/database/migrations/new-file", test_new_file);
  add ("/database/migrations/upgrade-from-v1", test_upgrade_from_v1);
  add ("/database/migrations/refund-figures", test_refund_figures_upgrade);
  add ("/database/migrations/too-new", test_too_new);
  add ("/database/migrations/open-errors", test_open_errors);
  add ("/database/settings", test_settings);
  add ("/database/stores", test_store_validation);
  add ("/database/accounts", test_accounts);
  g_test_add_func ("/database/customers/normalize-phone", test_normalize_phone);
  add ("/database/customers/create", test_customer_create);
  add ("/database/customers/invalid", test_customer_invalid);
  add ("/database/customers/update", test_customer_update);
  add ("/database/customers/search-yo", test_search_yo);
  add ("/database/customers/lookup", test_customer_lookup);
  add ("/database/customers/search", test_customer_search);
  add ("/database/rules/validation", test_rule_validation);
  add ("/database/rules/save", test_rule_save);
  add ("/database/campaigns", test_campaigns);
  add ("/database/outbox", test_outbox);
  add ("/database/commit-failure", test_commit_failure);
  add ("/database/rules-cache", test_rules_cache);
  add ("/database/feed", test_feed);
  add ("/database/feed/upgrade", test_feed_upgrade);
  add ("/database/import/needs-ids", test_import_needs_ids);
  add ("/database/import/member-types", test_import_member_types);
  add ("/database/import/balance-bound", test_import_balance_bound);
  g_test_add_func ("/database/records/defaults", test_record_defaults);
  g_test_add_func ("/database/records/fields", test_record_fields);

  return g_test_run ();
}
