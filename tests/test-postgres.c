/* test-postgres.c: the PostgreSQL backend on its own: the SQL rewrites, and,
 * on a real server (tests/with-postgres.sh), migrations, constraint errors
 * and the append-only ledger as SkDatabase reports them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libpq-fe.h>

#include "sk-accounts.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-postgres.h"
#include "sk-test-postgres.h"
#include "sk-test-util.h"

static void
assert_translation (const char *sqlite, const char *expected, int expected_params)
{
  int              n_params = -1;
  g_autofree char *pg = sk_postgres_translate (sqlite, &n_params);

  g_assert_cmpstr (pg, ==, expected);
  g_assert_cmpint (n_params, ==, expected_params);
}

static void
test_translate (void)
{
  assert_translation ("SELECT * FROM customers WHERE phone = ? AND card_number = ?",
                      "SELECT * FROM customers WHERE phone = $1 AND card_number = $2", 2);
  assert_translation ("SELECT ?2, ?1, ?2", "SELECT $2, $1, $2", 2);
  assert_translation ("SELECT '?' || ?", "SELECT '?' || $1", 1);
  /* Nothing else is rewritten: statements are written in SQL both take. */
  assert_translation ("UPDATE r SET c = ?1 WHERE c IS DISTINCT FROM ?1 AND d LIKE '%?%'",
                      "UPDATE r SET c = $1 WHERE c IS DISTINCT FROM $1 AND d LIKE '%?%'", 1);
}

static void
test_migrations_text (void)
{
  for (int version = 1; version <= SK_SCHEMA_VERSION; version++)
    {
      g_autofree char *sql = sk_postgres_migration (version);

      g_assert_null (strstr (sql, "INTEGER PRIMARY KEY"));
      g_assert_null (strstr (sql, "WITHOUT ROWID"));
      g_assert_null (strstr (sql, "BLOB"));
      g_assert_null (strstr (sql, "RAISE (ABORT"));
    }
  {
    g_autofree char *v2 = sk_postgres_migration (2);
    g_assert_nonnull (strstr (v2, "EXECUTE FUNCTION bonus_transactions_append_only"));
  }
}

static SkCustomer *
customer (const char *phone, const char *card)
{
  SkCustomer *c = sk_customer_new ();

  g_object_set (c, "full_name", "Анна Петрова", "phone", phone, "card_number", card, NULL);
  return c;
}

/* The database on a new schema, its URI in *uri; NULL, the test skipped,
 * without a server. */
static SkDatabase *
open_postgres (char **uri)
{
  g_autoptr (GError) error = NULL;
  SkDatabase *db;

  *uri = sk_test_postgres_database ();
  if (*uri == NULL)
    {
      g_test_skip ("No PostgreSQL server (run under tests/with-postgres.sh)");
      return NULL;
    }
  db = sk_database_open (*uri, &error);
  g_assert_no_error (error);
  return db;
}

static void
test_server (void)
{
  g_autofree char *uri = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SkDatabase) again = NULL;
  g_autoptr (SkDatabase) newer = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) first = customer ("+79001234567", "2000000000011");
  g_autoptr (SkCustomer) same_phone = customer ("+79001234567", "2000000000028");
  g_autoptr (SkBonusTransaction) earned = NULL;

  db = open_postgres (&uri);
  if (db == NULL)
    return;
  g_assert_cmpstr (sk_database_get_backend_name (db), ==, "postgresql");
  g_assert_cmpint (sk_database_get_schema_version (db), ==, SK_SCHEMA_VERSION);

  /* Unique keys: the field is named, and nothing is written. */
  g_assert_true (sk_database_create_customer (db, first, &error));
  g_assert_no_error (error);
  g_assert_false (sk_database_create_customer (db, same_phone, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_CONFLICT);
  g_assert_cmpstr (sk_error_get_field (error), ==, "phone");
  g_clear_error (&error);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT count(*) FROM customers", NULL), ==, 1);

  /* Cyrillic survives the round trip; the name key is searchable. */
  {
    g_autoptr (SkCustomer) read
        = sk_database_get_customer (db, sk_record_get_id (SK_RECORD (first)), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (read->full_name, ==, "Анна Петрова");
  }

  /* The ledger is append-only in PostgreSQL too. */
  earned = sk_database_bonus_manual (db, sk_record_get_id (SK_RECORD (first)), "earn", 500,
                                     "welcome", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (earned);
  g_assert_false (sk_db_exec (db, &error, "UPDATE bonus_transactions SET amount = 1", NULL));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sk_db_exec (db, &error, "DELETE FROM bonus_transactions", NULL));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (sk_database_ledger_sum (db, sk_record_get_id (SK_RECORD (first)), NULL), ==,
                   500);

  /* Opening again migrates nothing; a newer schema is refused. */
  again = sk_database_open (uri, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_get_schema_version (again), ==, SK_SCHEMA_VERSION);
  g_assert_true (sk_db_exec (again, &error, "UPDATE skidka_schema SET version = 99", NULL));
  newer = sk_database_open (uri, &error);
  g_assert_null (newer);
  g_assert_error (error, SK_ERROR, SK_ERROR_SCHEMA_TOO_NEW);
}

/* The (table, column) pairs of a database's schema, as "table.column". */
static GHashTable *
schema_columns (SkDatabase *db, const char *sql)
{
  GHashTable *columns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  SkStmt  *stmt = sk_db_query (db, &error, sql, NULL);
  gboolean has_row;

  g_assert_no_error (error);
  while (sk_db_step (db, stmt, &has_row, &error) && has_row)
    g_hash_table_add (columns,
                      g_strdup_printf ("%s.%s", sk_stmt_text (stmt, 0), sk_stmt_text (stmt, 1)));
  g_assert_no_error (error);
  sk_stmt_reset (stmt);
  return columns;
}

/* The migrations of the two backends are written apart: they must end with
 * the same tables and columns (PostgreSQL's ledger numbers its rows where
 * SQLite has its rowid, and it keeps the schema version in a table where
 * SQLite has user_version). */
static void
test_same_schema (void)
{
  g_autofree char *uri = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (SkDatabase) pg = NULL;
  g_autoptr (SkDatabase) lite = NULL;
  g_autoptr (GHashTable) pg_columns = NULL;
  g_autoptr (GHashTable) lite_columns = NULL;
  GHashTableIter iter;
  gpointer       key;

  pg = open_postgres (&uri);
  if (pg == NULL)
    return;
  lite = sk_test_open_database ("skidka-schema-XXXXXX", &dir);
  lite_columns = schema_columns (
      lite, "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info (m.name) AS p"
            " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'");
  pg_columns = schema_columns (pg, "SELECT table_name, column_name FROM information_schema.columns"
                                   " WHERE table_schema = current_schema ()");
  g_assert_cmpuint (g_hash_table_size (lite_columns), >, 50);
  g_assert_true (g_hash_table_remove (pg_columns, "bonus_transactions.seq"));
  g_assert_true (g_hash_table_remove (pg_columns, "skidka_schema.version"));
  g_hash_table_iter_init (&iter, lite_columns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (!g_hash_table_remove (pg_columns, key))
        g_error ("%s is in SQLite's schema, not in PostgreSQL's", (const char *)key);
    }
  g_hash_table_iter_init (&iter, pg_columns);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_error ("%s is in PostgreSQL's schema, not in SQLite's", (const char *)key);
  g_clear_object (&lite);
  sk_test_remove_dir (dir);
}

/* Whether a notification on the accounts channel reaches @listener within
 * half a second. */
static gboolean
accounts_notified (PGconn *listener)
{
  gint64   deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  gboolean seen = FALSE;

  while (!seen && g_get_monotonic_time () < deadline)
    {
      PGnotify *notify;

      g_usleep (G_USEC_PER_SEC / 50);
      g_assert_cmpint (PQconsumeInput (listener), ==, 1);
      while ((notify = PQnotifies (listener)) != NULL)
        {
          seen |= g_str_equal (notify->relname, SK_POSTGRES_ACCOUNTS_CHANNEL);
          PQfreemem (notify);
        }
    }
  return seen;
}

/* Servers forget the tokens they keep when told an account or a token
 * changed; a statement that changes no row (a login's sweep of expired
 * tokens, mostly) tells nobody. */
static void
test_refund_figures_upgrade (void)
{
  g_autofree char *uri = sk_test_postgres_database ();

  if (uri == NULL)
    {
      g_test_skip ("No PostgreSQL server (run under tests/with-postgres.sh)");
      return;
    }
  sk_test_refund_figures_upgrade (uri);
}

static void
test_accounts_notify (void)
{
  g_autofree char *uri = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  PGconn   *listener;
  PGresult *result;

  db = open_postgres (&uri);
  if (db == NULL)
    return;
  listener = PQconnectdb (uri);
  g_assert_cmpint (PQstatus (listener), ==, CONNECTION_OK);
  result = PQexec (listener, "LISTEN " SK_POSTGRES_ACCOUNTS_CHANNEL);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);

  g_assert_true (sk_db_exec (db, &error,
                             "INSERT INTO users (id, username, password_hash, role, created_at)"
                             " VALUES ('u1', 'anna', 'x', 'admin', 0)",
                             NULL));
  g_assert_true (sk_db_exec (db, &error,
                             "INSERT INTO tokens (token_hash, user_id, created_at, expires_at)"
                             " VALUES ('t1', 'u1', 0, 100)",
                             NULL));
  g_assert_no_error (error);
  g_assert_false (accounts_notified (listener));

  g_assert_true (sk_db_exec (db, &error, "DELETE FROM tokens WHERE expires_at < 0", NULL));
  g_assert_true (
      sk_db_exec (db, &error, "UPDATE users SET disabled = 1 WHERE id = 'nobody'", NULL));
  g_assert_no_error (error);
  g_assert_false (accounts_notified (listener));

  g_assert_true (
      sk_db_exec (db, &error, "UPDATE tokens SET revoked = 1 WHERE token_hash = 't1'", NULL));
  g_assert_true (accounts_notified (listener));
  g_assert_true (sk_db_exec (db, &error, "UPDATE users SET disabled = 1 WHERE id = 'u1'", NULL));
  g_assert_true (accounts_notified (listener));
  g_assert_true (sk_db_exec (db, &error, "TRUNCATE tokens", NULL));
  g_assert_no_error (error);
  g_assert_true (accounts_notified (listener));
  PQfinish (listener);
}

/* The accounts API on PostgreSQL: the same answers as on SQLite (see
 * test-database.c), names in the order of their bytes, the unique name
 * named, NULL stores, 0/1 flags. */
static void
test_accounts (void)
{
  g_autofree char *uri = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_store_new ();
  g_autoptr (SkAccount) anna = sk_test_account_new ("anna", SK_ROLE_MARKETING, "ignored");
  g_autoptr (SkAccount) zed = sk_test_account_new ("Zed", SK_ROLE_MANAGER, NULL);
  g_autoptr (SkAccount) twin = sk_test_account_new ("anna", SK_ROLE_ADMIN, NULL);
  g_autoptr (SkAccount) found = NULL;
  g_autoptr (GPtrArray) list = NULL;
  gint64 now = sk_time_now ();

  db = open_postgres (&uri);
  if (db == NULL)
    return;
  store->code = g_strdup ("EKB-1");
  store->name = g_strdup ("Екатеринбург");
  g_assert_true (sk_database_save_store (db, store, &error));
  g_assert_no_error (error);
  zed->store_id = g_strdup (store->id);

  g_assert_true (sk_database_add_account (db, anna, &error));
  g_assert_true (sk_database_add_account (db, zed, &error));
  g_assert_no_error (error);
  g_assert_null (anna->store_id);
  g_assert_false (sk_database_add_account (db, twin, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_CONFLICT);
  g_assert_cmpstr (sk_error_get_field (error), ==, "username");
  g_clear_error (&error);

  list = sk_database_list_accounts (db, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((SkAccount *)g_ptr_array_index (list, 0))->username, ==, "Zed");
  g_assert_cmpstr (((SkAccount *)g_ptr_array_index (list, 0))->store_id, ==, store->id);
  g_assert_cmpstr (((SkAccount *)g_ptr_array_index (list, 1))->username, ==, "anna");
  g_assert_null (((SkAccount *)g_ptr_array_index (list, 1))->store_id);

  found = sk_database_find_account (db, "anna", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, anna->id);
  g_assert_cmpint (found->role, ==, SK_ROLE_MARKETING);
  g_assert_cmpstr (found->password_hash, ==, SK_TEST_PASSWORD_HASH);
  g_assert_cmpint (found->created_at, ==, anna->created_at);
  g_assert_false (found->disabled);
  g_clear_pointer (&found, sk_account_free);

  g_assert_true (sk_database_add_token (db, "t-zed", zed->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_true (sk_database_add_token (db, "t-anna", anna->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_true (sk_database_add_token (db, "t-old", anna->id, now - 2 * G_TIME_SPAN_DAY, &error));
  g_assert_true (sk_database_add_token (db, "t-new", anna->id, now + G_TIME_SPAN_HOUR, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT count(*) FROM tokens", NULL), ==, 3);
  found = sk_database_find_token_account (db, "t-zed", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->username, ==, "Zed");
  g_assert_cmpint (found->role, ==, SK_ROLE_MANAGER);
  g_assert_cmpstr (found->store_id, ==, store->id);
  g_assert_cmpint (found->token_expires_at, ==, now + G_TIME_SPAN_HOUR);
  g_clear_pointer (&found, sk_account_free);

  g_assert_true (sk_database_revoke_token (db, "t-new", &error));
  g_assert_no_error (error);
  g_assert_null (sk_database_find_token_account (db, "t-new", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (sk_database_set_account_disabled (db, anna->id, TRUE, &error));
  g_assert_no_error (error);
  g_assert_null (sk_database_find_token_account (db, "t-anna", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (sk_database_set_account_disabled (db, anna->id, FALSE, &error));
  g_assert_no_error (error);
  g_assert_null (sk_database_find_token_account (db, "t-anna", &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (sk_database_set_account_disabled (db, "nobody", TRUE, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);
  found = sk_database_find_token_account (db, "t-zed", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, zed->id);
}

/* The server drops our connection (a restart, a network cut): that
 * statement fails as a database error, and the next one works again. */
static void
test_reconnect (void)
{
  g_autofree char *uri = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  gint64           pid;
  g_autofree char *kill = NULL;
  PGconn          *pg;
  PGresult        *result;

  db = open_postgres (&uri);
  if (db == NULL)
    return;
  pid = sk_db_query_int (db, &error, -1, "SELECT pg_backend_pid ()", NULL);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_count_customers (db, &error), ==, 0);

  kill = g_strdup_printf ("SELECT pg_terminate_backend (%" G_GINT64_FORMAT ")", pid);
  pg = PQconnectdb (g_getenv ("SKIDKA_TEST_POSTGRES"));
  result = PQexec (pg, kill);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  PQclear (result);
  PQfinish (pg);

  sk_database_count_customers (db, &error);
  g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
  g_clear_error (&error);
  g_assert_cmpint (sk_database_count_customers (db, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (sk_db_query_int (db, NULL, -1, "SELECT pg_backend_pid ()", NULL), !=, pid);
}

static gint64
count_settings (SkDatabase *db, const char *prefix)
{
  g_autofree char *like = g_strconcat (prefix, "%", NULL);

  return sk_db_query_int (db, NULL, -1, "SELECT count(*) FROM settings WHERE key LIKE ?", "s",
                          like);
}

/* Writes sent in a pipeline (sk_db_exec_pipelined) are written with the
 * statement that follows them; the first one that fails fails that
 * statement, or the commit, and the transaction writes nothing. */
static void
test_pipeline (void)
{
  g_autofree char *uri = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  const char *insert = "INSERT INTO settings (key, value) VALUES (?, ?)";
  SkStmt     *read;
  gboolean    has_row = FALSE;

  db = open_postgres (&uri);
  if (db == NULL)
    return;

  /* Written, in a savepoint too, and read back within the transaction. */
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.a", "1"));
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.b", "2"));
  g_assert_true (sk_db_commit (db, &error));
  g_assert_cmpint (count_settings (db, "pipe."), ==, 2);
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.c", "3"));
  g_assert_true (sk_db_commit (db, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_settings (db, "pipe."), ==, 3);

  /* A key met fails the next statement as a conflict, not the later ones. */
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.d", "4"));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.a", "again"));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.e", "5"));
  g_assert_cmpint (
      sk_db_query_int (db, &error, -1, "SELECT count(*) FROM settings WHERE key = 'pipe.d'", NULL),
      ==, -1);
  g_assert_error (error, SK_ERROR, SK_ERROR_CONFLICT);
  g_clear_error (&error);
  sk_db_rollback (db);
  g_assert_cmpint (count_settings (db, "pipe."), ==, 3);

  /* Failing at the commit: nothing is committed, and the rollback after
   * it leaves the connection as good as new. */
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.f", "6"));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.b", "again"));
  g_assert_false (sk_db_commit (db, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpint (count_settings (db, "pipe."), ==, 3);
  g_assert_null (sk_database_get_setting (db, "pipe.f"));

  /* Rolled back to a savepoint, the pipeline's writes inside it only. */
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.g", "7"));
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.h", "8"));
  sk_db_rollback (db);
  g_assert_true (sk_db_commit (db, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_settings (db, "pipe."), ==, 4);
  g_assert_null (sk_database_get_setting (db, "pipe.h"));

  /* A failure sent before a savepoint is made, or released, is the failure
   * of that level: the inner level's commit fails and undoes the inner
   * writes only, and the outer one still commits its own. */
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.i", "9"));
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.j", "10"));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.a", "again"));
  g_assert_false (sk_db_commit (db, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (sk_db_commit (db, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_settings (db, "pipe."), ==, 5);
  g_assert_null (sk_database_get_setting (db, "pipe.j"));
  {
    g_autofree char *outer = sk_database_get_setting (db, "pipe.i");

    g_assert_cmpstr (outer, ==, "9");
  }

  /* A read sent ahead runs in its place among the writes, and keeps its
   * rows past the statement waited for that it went with; stepped first,
   * it waits itself. */
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.k", "11"));
  read = sk_db_query_ahead (db, &error, "SELECT value FROM settings WHERE key = ?", "s", "pipe.k");
  g_assert_nonnull (read);
  g_assert_true (sk_db_exec_pipelined (db, &error, "UPDATE settings SET value = ? WHERE key = ?",
                                       "ss", "12", "pipe.k"));
  g_assert_cmpint (
      sk_db_query_int (db, &error, -1, "SELECT count(*) FROM settings WHERE value = '12'", NULL),
      ==, 1);
  g_assert_true (sk_db_step (db, read, &has_row, &error));
  g_assert_true (has_row);
  g_assert_cmpstr (sk_stmt_text (read, 0), ==, "11");
  g_assert_true (sk_db_step (db, read, &has_row, &error));
  g_assert_false (has_row);
  sk_stmt_reset (read);
  read = sk_db_query_ahead (db, &error, "SELECT value FROM settings WHERE key = ?", "s", "pipe.k");
  g_assert_true (sk_db_step (db, read, &has_row, &error));
  g_assert_true (has_row);
  g_assert_cmpstr (sk_stmt_text (read, 0), ==, "12");
  sk_stmt_reset (read);
  /* One reset before its answer came drops it. */
  read = sk_db_query_ahead (db, &error, "SELECT value FROM settings WHERE key = ?", "s", "pipe.a");
  sk_stmt_reset (read);
  g_assert_cmpint (sk_db_query_int (db, &error, -1,
                                    "SELECT count(*) FROM settings WHERE key LIKE 'pipe.%'", NULL),
                   ==, 6);
  g_assert_true (sk_db_commit (db, &error));
  g_assert_no_error (error);

  /* A read that fails fails the statement it went with, which is the
   * transaction's failure. */
  g_assert_true (sk_db_begin (db, &error));
  read = sk_db_query_ahead (db, &error, "SELECT 1 / (count(*) - count(*)) FROM settings", NULL);
  g_assert_nonnull (read);
  g_assert_cmpint (sk_db_query_int (db, &error, -1, "SELECT count(*) FROM settings", NULL), ==, -1);
  g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
  g_clear_error (&error);
  sk_db_rollback (db);

  /* Before a savepoint: the nested begin fails, and nothing is written. */
  g_assert_true (sk_db_begin (db, &error));
  g_assert_true (sk_db_exec_pipelined (db, &error, insert, "ss", "pipe.a", "again"));
  g_assert_false (sk_db_begin (db, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_CONFLICT);
  g_clear_error (&error);
  sk_db_rollback (db);
  g_assert_cmpint (count_settings (db, "pipe."), ==, 6);
}

static void
test_unreachable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db
      = sk_database_open ("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2", &error);

  g_assert_null (db);
  g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
  /* The password is never shown. */
  g_assert_null (strstr (error->message, "secret"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  sk_postgres_init ();
  g_test_add_func ("/postgres/translate", test_translate);
  g_test_add_func ("/postgres/migrations", test_migrations_text);
  g_test_add_func ("/postgres/migrations/refund-figures", test_refund_figures_upgrade);
  g_test_add_func ("/postgres/server", test_server);
  g_test_add_func ("/postgres/same-schema", test_same_schema);
  g_test_add_func ("/postgres/accounts-notify", test_accounts_notify);
  g_test_add_func ("/postgres/accounts", test_accounts);
  g_test_add_func ("/postgres/reconnect", test_reconnect);
  g_test_add_func ("/postgres/pipeline", test_pipeline);
  g_test_add_func ("/postgres/unreachable", test_unreachable);
  return g_test_run ();
}
