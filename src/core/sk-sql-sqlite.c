/* sk-sql-sqlite.c: the embedded backend, one SQLite file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sqlite3.h>

#include "sk-error.h"
#include "sk-schema.h"
#include "sk-sql-sqlite.h"

struct _SkSqlConn
{
  sqlite3 *handle;
};

typedef struct
{
  SkStmt        base;
  sqlite3_stmt *stmt;
  sqlite3      *handle;
} LiteStmt;

#define LITE(s) (((LiteStmt *)(s))->stmt)

/* "UNIQUE constraint failed: customers.phone" -> "phone" */
static char *
constraint_column (const char *message)
{
  const char *colon = strrchr (message, ':');
  const char *dot;

  if (colon == NULL)
    return NULL;
  dot = strchr (colon, '.');
  if (dot == NULL)
    return NULL;
  return g_strndup (dot + 1, strcspn (dot + 1, ", "));
}

static void
set_error (sqlite3 *handle, int rc, GError **error)
{
  const char      *message = sqlite3_errmsg (handle);
  g_autofree char *column = NULL;

  switch (sqlite3_extended_errcode (handle))
    {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      column = constraint_column (message);
      sk_sql_set_conflict_error (error, column);
      return;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, NULL,
                          _ ("A referenced record does not exist"));
      return;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
      column = constraint_column (message);
      sk_set_field_error (error, SK_ERROR_INVALID, column, _ ("A value is out of range (%s)"),
                          message);
      return;
    case SQLITE_CONSTRAINT_TRIGGER:
      sk_set_field_error (error, SK_ERROR_INVALID, NULL, "%s", message);
      return;
    default:
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("Database error: %s (%d)"), message,
                          rc);
    }
}

void
sk_sql_set_conflict_error (GError **error, const char *column)
{
  sk_set_field_error (error, SK_ERROR_CONFLICT, column, _ ("Another record already has this %s"),
                      column ? column : "id");
}

/* Statements */

static void
lite_bind_text (SkStmt *stmt, int index, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null (LITE (stmt), index);
  else
    sqlite3_bind_text (LITE (stmt), index, text, -1, SQLITE_TRANSIENT);
}

static void
lite_bind_int64 (SkStmt *stmt, int index, gint64 value)
{
  sqlite3_bind_int64 (LITE (stmt), index, value);
}

static void
lite_bind_null (SkStmt *stmt, int index)
{
  sqlite3_bind_null (LITE (stmt), index);
}

static void
lite_bind_blob (SkStmt *stmt, int index, const void *data, gsize size)
{
  sqlite3_bind_blob64 (LITE (stmt), index, data, size, SQLITE_TRANSIENT);
}

static gboolean
lite_step (SkStmt *stmt, gboolean *has_row, GError **error)
{
  int rc = sqlite3_step (LITE (stmt));

  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    {
      if (has_row != NULL)
        *has_row = rc == SQLITE_ROW;
      return TRUE;
    }
  set_error (((LiteStmt *)stmt)->handle, rc, error);
  sqlite3_reset (LITE (stmt));
  return FALSE;
}

static void
lite_reset (SkStmt *stmt)
{
  sqlite3_reset (LITE (stmt));
}

static void
lite_clear_bindings (SkStmt *stmt)
{
  sqlite3_clear_bindings (LITE (stmt));
}

static void
lite_free (SkStmt *stmt)
{
  sqlite3_finalize (LITE (stmt));
  g_free (stmt);
}

static int
lite_column_count (SkStmt *stmt)
{
  return sqlite3_column_count (LITE (stmt));
}

static const char *
lite_column_name (SkStmt *stmt, int col)
{
  return sqlite3_column_name (LITE (stmt), col);
}

static gboolean
lite_is_null (SkStmt *stmt, int col)
{
  return sqlite3_column_type (LITE (stmt), col) == SQLITE_NULL;
}

static gboolean
lite_is_integer (SkStmt *stmt, int col)
{
  return sqlite3_column_type (LITE (stmt), col) == SQLITE_INTEGER;
}

static const char *
lite_text (SkStmt *stmt, int col)
{
  return (const char *)sqlite3_column_text (LITE (stmt), col);
}

static gint64
lite_int64 (SkStmt *stmt, int col)
{
  return sqlite3_column_int64 (LITE (stmt), col);
}

static double
lite_double (SkStmt *stmt, int col)
{
  return sqlite3_column_double (LITE (stmt), col);
}

static const guint8 *
lite_blob (SkStmt *stmt, int col, gsize *size)
{
  const guint8 *data = sqlite3_column_blob (LITE (stmt), col);

  *size = (gsize)sqlite3_column_bytes (LITE (stmt), col);
  return data;
}

static const SkStmtOps lite_stmt_ops = {
  lite_bind_text,    lite_bind_int64,  lite_bind_null,      lite_bind_blob,
  lite_step,         lite_reset,       lite_clear_bindings, lite_free,
  lite_column_count, lite_column_name, lite_is_null,        lite_is_integer,
  lite_text,         lite_int64,       lite_double,         lite_blob,
};

/* Connections */

static gboolean
lite_accepts (const char *location)
{
  return TRUE;
}

static gboolean
lite_exec_script (SkSqlConn *conn, const char *sql, GError **error)
{
  char *message = NULL;
  int   rc = sqlite3_exec (conn->handle, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s", message ? message : "SQLite error");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static void
lite_close (SkSqlConn *conn)
{
  sqlite3_close_v2 (conn->handle);
  g_free (conn);
}

static SkSqlConn *
lite_open (const char *path, GError **error)
{
  g_autofree SkSqlConn *conn = g_new0 (SkSqlConn, 1);
  int                   rc = sqlite3_open_v2 (path, &conn->handle,
                                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s",
                          conn->handle ? sqlite3_errmsg (conn->handle) : sqlite3_errstr (rc));
      sqlite3_close_v2 (conn->handle);
      return NULL;
    }
  sqlite3_extended_result_codes (conn->handle, 1);
  sqlite3_busy_timeout (conn->handle, 10000);
  if (!lite_exec_script (conn,
                         "PRAGMA foreign_keys = ON;"
                         /* So that INSERT OR REPLACE cannot rewrite a ledger row:
                          * its implicit delete then meets the append-only trigger. */
                         "PRAGMA recursive_triggers = ON;"
                         "PRAGMA temp_store = MEMORY;",
                         error))
    {
      sqlite3_close_v2 (conn->handle);
      return NULL;
    }
  return g_steal_pointer (&conn);
}

static SkStmt *
lite_prepare (SkSqlConn *conn, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  LiteStmt     *lite;
  int rc = sqlite3_prepare_v3 (conn->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_error (conn->handle, rc, error);
      return NULL;
    }
  lite = g_new0 (LiteStmt, 1);
  lite->base.ops = &lite_stmt_ops;
  lite->stmt = stmt;
  lite->handle = conn->handle;
  return &lite->base;
}

static gint64
lite_changes (SkSqlConn *conn)
{
  return sqlite3_changes64 (conn->handle);
}

static int
lite_get_schema_version (SkSqlConn *conn, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int           version = -1;
  int           rc = sqlite3_prepare_v2 (conn->handle, "PRAGMA user_version", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  else
    set_error (conn->handle, rc, error);
  sqlite3_finalize (stmt);
  if (version < 0)
    return -1;

  /* Only now, on a file we will not refuse for being too new: switching to
   * WAL rewrites its header. */
  if (version <= SK_SCHEMA_VERSION && sqlite3_get_autocommit (conn->handle)
      && !lite_exec_script (conn, "PRAGMA journal_mode = WAL", error))
    return -1;
  return version;
}

static gboolean
lite_set_schema_version (SkSqlConn *conn, int version, GError **error)
{
  g_autofree char *pragma = g_strdup_printf ("PRAGMA user_version = %d", version);

  return lite_exec_script (conn, pragma, error);
}

static char *
lite_migration (int version)
{
  return g_strdup (sk_schema_migration (version));
}

sqlite3 *
sk_sql_sqlite_handle (SkSqlConn *conn)
{
  return conn->handle;
}

/* SQLite has one writer at a time anyway: concurrent or not. */
static gboolean
lite_begin (SkSqlConn *conn, gboolean concurrent, GError **error)
{
  return lite_exec_script (conn, "BEGIN IMMEDIATE", error);
}

const SkSqlBackend sk_sql_sqlite_backend = {
  .name = "sqlite",
  .accepts = lite_accepts,
  .open = lite_open,
  .close = lite_close,
  .prepare = lite_prepare,
  .exec_script = lite_exec_script,
  .changes = lite_changes,
  .begin = lite_begin,
  .get_schema_version = lite_get_schema_version,
  .set_schema_version = lite_set_schema_version,
  .migration = lite_migration,
  .statements = {
    [SK_SQL_LEDGER_OLDEST_FIRST] =
      "SELECT kind, amount, expires_at, purchase_id, created_at FROM bonus_transactions"
      " WHERE customer_id = ?1 ORDER BY created_at, rowid",
    [SK_SQL_LEDGER_NEWEST_FIRST] =
      "SELECT * FROM bonus_transactions WHERE customer_id = ?1 ORDER BY created_at DESC, rowid DESC",
    [SK_SQL_LEDGER_EXPORT] = "SELECT * FROM bonus_transactions ORDER BY rowid",
    [SK_SQL_FEED_PAGE] =
      "SELECT seq, xid, entity, entity_id, op, merged_into FROM changes"
      " WHERE xid = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    [SK_SQL_FEED_KNOWN] =
      "SELECT ?1 = 0 AND EXISTS (SELECT 1 FROM changes WHERE seq >= ?2)",
    [SK_SQL_FEED_CUSTOMERS] =
      "SELECT * FROM customers WHERE id IN (SELECT value FROM json_each (?1))",
    [SK_SQL_FEED_CHILDREN] =
      "SELECT customer_id, name, birth_date FROM customer_children"
      " WHERE customer_id IN (SELECT value FROM json_each (?1)) ORDER BY customer_id, position",
    [SK_SQL_NOTIFICATIONS_CLAIM] =
      "UPDATE notifications SET lease_owner = ?2, lease_until = ?7, attempts = attempts + 1"
      " WHERE id IN (SELECT id FROM notifications"
      "   WHERE status = 'pending' AND next_attempt_at <= ?1"
      "   AND (lease_until IS NULL OR lease_until <= ?1) AND channel IN (?3, ?4, ?5)"
      "   ORDER BY next_attempt_at LIMIT ?6)"
      " RETURNING *",
    [SK_SQL_LOCK_CUSTOMER] = "SELECT 1 FROM customers WHERE id = ?1",
    [SK_SQL_LOCK_DEVICE] = "SELECT acked_seq FROM devices WHERE id = ?1",
  },
};
