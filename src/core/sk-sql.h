/* sk-sql.h: the storage abstraction under SkDatabase. A backend (SQLite in
 * the core, PostgreSQL in libskidka-pg) gives connections that prepare
 * statements; every other file of the store speaks only to SkStmt.
 *
 * A statement is written once, in SQL every backend takes, with `?` or
 * `?N` parameters (a backend may number them its own way). A statement that
 * cannot be is a named one (SkSqlStatement): each backend has its own text
 * of it, and the store asks for it by name (sk_db_sql ()).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Statements whose text differs between backends. */
typedef enum
{
  /* kind, amount, expires_at, purchase_id, created_at of the ledger of
   * customer ?1, oldest first, rows of one time in the order they were
   * written (SQLite's rowid, PostgreSQL's seq). */
  SK_SQL_LEDGER_OLDEST_FIRST,
  /* The rows of the ledger of customer ?1, newest first. */
  SK_SQL_LEDGER_NEWEST_FIRST,
  /* Every row of the ledger, in the order written (export). */
  SK_SQL_LEDGER_EXPORT,
  /* The change feed (sk-change-feed.c): seq, xid, entity, entity_id, op,
   * merged_into of at most ?3 changes after the position (?1 xid, ?2 seq),
   * in commit order: SQLite's seq (one writer at a time, xid always 0);
   * on PostgreSQL (xid, seq) of the transactions older than the reading
   * snapshot's xmin only, which have all ended, so a change that commits
   * late is never passed. */
  SK_SQL_FEED_PAGE,
  /* 1 when the position (?1 xid, ?2 seq) is one this feed may have given:
   * a change at or beyond it exists (the last row is never removed, only
   * replaced by a later one). */
  SK_SQL_FEED_KNOWN,
  /* The customers whose ids are in the JSON array ?1 (a page's, at once). */
  SK_SQL_FEED_CUSTOMERS,
  /* customer_id, name, birth_date of their children, in order. */
  SK_SQL_FEED_CHILDREN,
  /* The delivery worker's claim (sk-notifications.c): at most ?6 pending
   * notifications of the channels ?3, ?4, ?5 (NULL: none) due at ?1 whose
   * lease, if any, ran out, leased to ?2 until ?7 and counted as an attempt;
   * every column of them. One statement, no transaction around it:
   * PostgreSQL skips the rows another server is claiming at that moment
   * (FOR UPDATE SKIP LOCKED) instead of waiting for them; SQLite's one
   * writer does the same by itself. */
  SK_SQL_NOTIFICATIONS_CLAIM,
  /* Locks customer ?1's row until the transaction ends (PostgreSQL's
   * FOR UPDATE; SQLite's writer holds the whole file already). */
  SK_SQL_LOCK_CUSTOMER,
  /* Locks device ?1's row the same way; its acked_seq. */
  SK_SQL_LOCK_DEVICE,
  SK_SQL_N_STATEMENTS
} SkSqlStatement;

typedef struct _SkSqlConn    SkSqlConn;
typedef struct _SkStmt       SkStmt;
typedef struct _SkSqlBackend SkSqlBackend;

typedef struct
{
  /* Parameters count from 1; a bound text or blob is copied; a NULL text
   * binds SQL NULL. */
  void (*bind_text) (SkStmt *stmt, int index, const char *text);
  void (*bind_int64) (SkStmt *stmt, int index, gint64 value);
  void (*bind_null) (SkStmt *stmt, int index);
  void (*bind_blob) (SkStmt *stmt, int index, const void *data, gsize size);
  /* The next row: TRUE and *has_row, or TRUE and !*has_row when done;
   * FALSE with @error set (mapped to SkError codes) on failure. */
  gboolean (*step) (SkStmt *stmt, gboolean *has_row, GError **error);
  /* Ready to run again; bindings stay until clear_bindings. */
  void (*reset) (SkStmt *stmt);
  void (*clear_bindings) (SkStmt *stmt);
  void (*free) (SkStmt *stmt);
  /* Columns of the current row, counted from 0. */
  int (*column_count) (SkStmt *stmt);
  const char *(*column_name) (SkStmt *stmt, int col);
  gboolean (*is_null) (SkStmt *stmt, int col);
  gboolean (*is_integer) (SkStmt *stmt, int col);
  const char *(*text) (SkStmt *stmt, int col);
  gint64 (*int64) (SkStmt *stmt, int col);
  double (*dbl) (SkStmt *stmt, int col);
  const guint8 *(*blob) (SkStmt *stmt, int col, gsize *size);
  /* Sends a statement to run with the next one waited for, which fails if
   * it failed (PostgreSQL's pipeline); its rows are kept for step if
   * @keep_rows (a read sent ahead), else nobody waits for its outcome.
   * NULL: a write is stepped to its end at once, a read at its first step. */
  gboolean (*send) (SkStmt *stmt, gboolean keep_rows, GError **error);
} SkStmtOps;

struct _SkStmt
{
  const SkStmtOps *ops;
};

struct _SkSqlBackend
{
  const char *name;
  /* Does this backend take @location (a file path, a URI...)? */
  gboolean (*accepts) (const char *location);
  SkSqlConn *(*open) (const char *location, GError **error);
  void (*close) (SkSqlConn *conn);
  SkStmt *(*prepare) (SkSqlConn *conn, const char *sql, GError **error);
  /* Several statements without parameters. */
  gboolean (*exec_script) (SkSqlConn *conn, const char *sql, GError **error);
  /* Rows changed by the last INSERT, UPDATE or DELETE. */
  gint64 (*changes) (SkSqlConn *conn);
  /* Waits for the answers of the statements sent (SkStmtOps.send): FALSE
   * with the first one's failure. NULL where none is ever left unanswered. */
  gboolean (*flush) (SkSqlConn *conn, GError **error);
  /* Begins the outermost transaction: it holds the write lock until its
   * end, so that writers of one database follow one another as they do in
   * SQLite. @concurrent: of a writer that locks the rows it must not race
   * on (sk_db_begin_concurrent); such writers run together, and another
   * writer waits for all of them and they for it. */
  gboolean (*begin) (SkSqlConn *conn, gboolean concurrent, GError **error);
  /* The schema version kept in the database; 0 for a new one. */
  int (*get_schema_version) (SkSqlConn *conn, GError **error);
  gboolean (*set_schema_version) (SkSqlConn *conn, int version, GError **error);
  /* The text of migration @version for this backend (from sk-schema.c). */
  char *(*migration) (int version);
  /* The text of each named statement. */
  const char *statements[SK_SQL_N_STATEMENTS];
};

/* Backends other than SQLite register themselves (sk_postgres_init ()). */
void                sk_sql_register_backend (const SkSqlBackend *backend);
const SkSqlBackend *sk_sql_find_backend (const char *location);

extern const SkSqlBackend sk_sql_sqlite_backend;

/* The error of a unique key met, the same for every backend. */
void sk_sql_set_conflict_error (GError **error, const char *column);

static inline void
sk_stmt_bind_text (SkStmt *stmt, int index, const char *text)
{
  stmt->ops->bind_text (stmt, index, text);
}

static inline void
sk_stmt_bind_int64 (SkStmt *stmt, int index, gint64 value)
{
  stmt->ops->bind_int64 (stmt, index, value);
}

static inline void
sk_stmt_bind_null (SkStmt *stmt, int index)
{
  stmt->ops->bind_null (stmt, index);
}

static inline void
sk_stmt_bind_blob (SkStmt *stmt, int index, const void *data, gsize size)
{
  stmt->ops->bind_blob (stmt, index, data, size);
}

static inline void
sk_stmt_reset (SkStmt *stmt)
{
  stmt->ops->reset (stmt);
}

static inline void
sk_stmt_free (SkStmt *stmt)
{
  if (stmt != NULL)
    stmt->ops->free (stmt);
}

static inline int
sk_stmt_column_count (SkStmt *stmt)
{
  return stmt->ops->column_count (stmt);
}

static inline const char *
sk_stmt_column_name (SkStmt *stmt, int col)
{
  return stmt->ops->column_name (stmt, col);
}

static inline gboolean
sk_stmt_is_null (SkStmt *stmt, int col)
{
  return stmt->ops->is_null (stmt, col);
}

static inline gboolean
sk_stmt_is_integer (SkStmt *stmt, int col)
{
  return stmt->ops->is_integer (stmt, col);
}

static inline const char *
sk_stmt_text (SkStmt *stmt, int col)
{
  return stmt->ops->text (stmt, col);
}

static inline gint64
sk_stmt_int64 (SkStmt *stmt, int col)
{
  return stmt->ops->int64 (stmt, col);
}

static inline double
sk_stmt_double (SkStmt *stmt, int col)
{
  return stmt->ops->dbl (stmt, col);
}

static inline const guint8 *
sk_stmt_blob (SkStmt *stmt, int col, gsize *size)
{
  return stmt->ops->blob (stmt, col, size);
}

G_END_DECLS
