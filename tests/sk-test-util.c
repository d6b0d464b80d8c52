/* sk-test-util.c: helpers the core's test programs share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

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
