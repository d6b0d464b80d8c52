/* test-postgres.c: the PostgreSQL backend on its own: the SQL rewrites, and,
 * on a real server (tests/with-postgres.sh), migrations, constraint errors
 * and the append-only ledger as SkDatabase reports them.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libpq-fe.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-postgres.h"
#include "sk-test-postgres.h"

static void
assert_translation (const char *sqlite,
                    const char *expected,
                    int         expected_params)
{
  int n_params = -1;
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
  assert_translation ("SELECT * FROM customers INDEXED BY customers_name_key WHERE name_key >= ?",
                      "SELECT * FROM customers WHERE name_key >= $1", 1);
  assert_translation ("SELECT 1 WHERE ?1 IS NULL OR x IN (SELECT value FROM json_each (?1))",
                      "SELECT 1 WHERE $1 IS NULL OR x IN (SELECT value FROM "
                      "json_array_elements_text (CAST ($1 AS json)))", 1);
  assert_translation ("UPDATE r SET c = ?1 WHERE c IS NOT ?1 AND d IS ?2",
                      "UPDATE r SET c = $1 WHERE c IS DISTINCT FROM $1 AND d IS NOT DISTINCT FROM $2", 2);
  assert_translation ("SELECT max (a), max (0, b - ?), min (x, (y)), mymax (1, 2)",
                      "SELECT max (a), greatest (0, b - $1), least (x, (y)), mymax (1, 2)", 1);
  assert_translation ("SELECT * FROM t ORDER BY created_at, rowid", "SELECT * FROM t ORDER BY created_at, ctid", 0);
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
customer (const char *phone,
          const char *card)
{
  SkCustomer *c = sk_customer_new ();

  g_object_set (c, "full_name", "Анна Петрова", "phone", phone, "card_number", card, NULL);
  return c;
}

static void
test_server (void)
{
  g_autofree char *uri = sk_test_postgres_database ();
  g_autoptr(SkDatabase) db = NULL;
  g_autoptr(SkDatabase) again = NULL;
  g_autoptr(SkDatabase) newer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SkCustomer) first = customer ("+79001234567", "2000000000011");
  g_autoptr(SkCustomer) same_phone = customer ("+79001234567", "2000000000028");
  g_autoptr(SkBonusTransaction) earned = NULL;

  if (uri == NULL)
    {
      g_test_skip ("No PostgreSQL server (run under tests/with-postgres.sh)");
      return;
    }
  db = sk_database_open (uri, &error);
  g_assert_no_error (error);
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
    g_autoptr(SkCustomer) read = sk_database_get_customer (db, sk_record_get_id (SK_RECORD (first)), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (read->full_name, ==, "Анна Петрова");
  }

  /* The ledger is append-only in PostgreSQL too. */
  earned = sk_database_bonus_manual (db, sk_record_get_id (SK_RECORD (first)), "earn", 500, "welcome", NULL,
                                     &error);
  g_assert_no_error (error);
  g_assert_nonnull (earned);
  g_assert_false (sk_db_exec (db, &error, "UPDATE bonus_transactions SET amount = 1", NULL));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (sk_db_exec (db, &error, "DELETE FROM bonus_transactions", NULL));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (sk_database_ledger_sum (db, sk_record_get_id (SK_RECORD (first)), NULL), ==, 500);

  /* Opening again migrates nothing; a newer schema is refused. */
  again = sk_database_open (uri, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_get_schema_version (again), ==, SK_SCHEMA_VERSION);
  g_assert_true (sk_db_exec (again, &error, "UPDATE skidka_schema SET version = 99", NULL));
  newer = sk_database_open (uri, &error);
  g_assert_null (newer);
  g_assert_error (error, SK_ERROR, SK_ERROR_SCHEMA_TOO_NEW);
}

/* Whether a notification on the accounts channel reaches @listener within
 * half a second. */
static gboolean
accounts_notified (PGconn *listener)
{
  gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
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
test_accounts_notify (void)
{
  g_autofree char *uri = sk_test_postgres_database ();
  g_autoptr(SkDatabase) db = NULL;
  g_autoptr(GError) error = NULL;
  PGconn *listener;
  PGresult *result;

  if (uri == NULL)
    {
      g_test_skip ("No PostgreSQL server (run under tests/with-postgres.sh)");
      return;
    }
  db = sk_database_open (uri, &error);
  g_assert_no_error (error);
  listener = PQconnectdb (uri);
  g_assert_cmpint (PQstatus (listener), ==, CONNECTION_OK);
  result = PQexec (listener, "LISTEN " SK_POSTGRES_ACCOUNTS_CHANNEL);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);

  g_assert_true (sk_db_exec (db, &error, "INSERT INTO users (id, username, password_hash, role, created_at)"
                             " VALUES ('u1', 'anna', 'x', 'admin', 0)", NULL));
  g_assert_true (sk_db_exec (db, &error, "INSERT INTO tokens (token_hash, user_id, created_at, expires_at)"
                             " VALUES ('t1', 'u1', 0, 100)", NULL));
  g_assert_no_error (error);
  g_assert_false (accounts_notified (listener));

  g_assert_true (sk_db_exec (db, &error, "DELETE FROM tokens WHERE expires_at < 0", NULL));
  g_assert_true (sk_db_exec (db, &error, "UPDATE users SET disabled = 1 WHERE id = 'nobody'", NULL));
  g_assert_no_error (error);
  g_assert_false (accounts_notified (listener));

  g_assert_true (sk_db_exec (db, &error, "UPDATE tokens SET revoked = 1 WHERE token_hash = 't1'", NULL));
  g_assert_true (accounts_notified (listener));
  g_assert_true (sk_db_exec (db, &error, "UPDATE users SET disabled = 1 WHERE id = 'u1'", NULL));
  g_assert_true (accounts_notified (listener));
  g_assert_true (sk_db_exec (db, &error, "TRUNCATE tokens", NULL));
  g_assert_no_error (error);
  g_assert_true (accounts_notified (listener));
  PQfinish (listener);
}

/* The server drops our connection (a restart, a network cut): that
 * statement fails as a database error, and the next one works again. */
static void
test_reconnect (void)
{
  g_autofree char *uri = sk_test_postgres_database ();
  g_autoptr(SkDatabase) db = NULL;
  g_autoptr(GError) error = NULL;
  gint64 pid;
  g_autofree char *kill = NULL;
  PGconn *pg;
  PGresult *result;

  if (uri == NULL)
    {
      g_test_skip ("No PostgreSQL server (run under tests/with-postgres.sh)");
      return;
    }
  db = sk_database_open (uri, &error);
  g_assert_no_error (error);
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

static void
test_unreachable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkDatabase) db = sk_database_open ("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2",
                                               &error);

  g_assert_null (db);
  g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
  /* The password is never shown. */
  g_assert_null (strstr (error->message, "secret"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  sk_postgres_init ();
  g_test_add_func ("/postgres/translate", test_translate);
  g_test_add_func ("/postgres/migrations", test_migrations_text);
  g_test_add_func ("/postgres/server", test_server);
  g_test_add_func ("/postgres/accounts-notify", test_accounts_notify);
  g_test_add_func ("/postgres/reconnect", test_reconnect);
  g_test_add_func ("/postgres/unreachable", test_unreachable);
  return g_test_run ();
}
