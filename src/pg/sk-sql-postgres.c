/* sk-sql-postgres.c: the PostgreSQL backend (libpq), for a chain's server.
 *
 * The store's statements are written once, in SQL both backends take, with
 * SQLite's `?` and `?N` parameters, which this backend numbers as `$N` when
 * it prepares them; the few whose text must differ are named statements
 * (sk-sql.h), and the migrations have their own text
 * (sk-schema-postgres.c).
 *
 * Writers take one advisory lock for their whole transaction, as SQLite's
 * BEGIN IMMEDIATE does, and follow one another across every server on the
 * database; except the sales (online, and offline ones pushed by tills),
 * which share it and lock the rows they must not race on (the customer,
 * limited rules, budgeted campaigns, the device), so that sales of
 * unrelated tills commit together. A transaction that loses a race
 * (deadlock, serialization failure) fails with G_IO_ERROR_BUSY: the same
 * transaction again succeeds.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libpq-fe.h>

#include "sk-database.h"
#include "sk-error.h"
#include "sk-postgres.h"
#include "sk-schema.h"
#include "sk-sql.h"

#define INT8_OID  20
#define INT2_OID  21
#define INT4_OID  23
#define BYTEA_OID 17

/* Writers take one lock for their whole transaction: any number will do,
 * as long as every Skidka takes the same. Writers that lock rows share it,
 * the others hold it alone. */
#define LOCK_WRITERS        "SELECT pg_advisory_xact_lock (7537393)"
#define LOCK_WRITERS_SHARED "SELECT pg_advisory_xact_lock_shared (7537393)"

struct _SkSqlConn
{
  PGconn    *pg;
  guint      next_name;
  gint64     changes;
  guint      generation;    /* moves when the connection is made again */
  guint64    transactions;  /* begun on it */
  guint64    replan_at;     /* when its plans are dropped next */
  guint      queued;        /* statements sent in a pipeline, their answers unread */
  guint      queued_writes; /* of which not transaction control */
  GPtrArray *readers;       /* for each one, the PgStmt that keeps its rows, or NULL */
};

typedef struct
{
  SkStmt     base;
  SkSqlConn *conn;
  char      *sql;
  char       name[24];
  gboolean   prepared;
  guint      generation; /* of the connection it was prepared on */
  gboolean   simple;     /* transaction control: run as a plain query */
  gboolean   savepoint;  /* SAVEPOINT or RELEASE: sent with the next statement */
  gboolean   rollback;   /* ROLLBACK (TO): what was sent before it is undone */
  gboolean   awaited;    /* sent ahead to keep its rows (pg_send), not yet read */
  int        n_params;
  char     **values; /* text form; NULL for SQL NULL */
  Oid       *types;
  PGresult  *result;
  int        row;
  int        n_rows;
  guchar    *blob; /* last blob decoded from bytea's text form */
} PgStmt;

#define PG(s) ((PgStmt *)(s))

/* Errors */

static void
set_error_from_result (const PGresult *result, PGconn *pg, GError **error)
{
  const char *state = result ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *message = result ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY) : NULL;

  if (message == NULL)
    message = PQerrorMessage (pg);
  if (state == NULL)
    state = "";

  if (g_str_equal (state, "23505"))
    {
      /* customers_phone_key -> phone; customers_pkey -> id */
      const char      *constraint = PQresultErrorField (result, PG_DIAG_CONSTRAINT_NAME);
      const char      *table = PQresultErrorField (result, PG_DIAG_TABLE_NAME);
      g_autofree char *column = NULL;

      if (constraint != NULL && table != NULL && g_str_has_prefix (constraint, table)
          && constraint[strlen (table)] == '_' && g_str_has_suffix (constraint, "_key"))
        column = g_strndup (constraint + strlen (table) + 1,
                            strlen (constraint) - strlen (table) - 1 - strlen ("_key"));
      sk_sql_set_conflict_error (error, column);
    }
  else if (g_str_equal (state, "23503"))
    sk_set_field_error (error, SK_ERROR_NOT_FOUND, NULL, _ ("A referenced record does not exist"));
  else if (g_str_equal (state, "23514") || g_str_equal (state, "23502"))
    sk_set_field_error (error, SK_ERROR_INVALID, PQresultErrorField (result, PG_DIAG_COLUMN_NAME),
                        _ ("A value is out of range (%s)"), message);
  else if (g_str_equal (state, "40001") || g_str_equal (state, "40P01"))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s (%s)", message, state);
  else if (g_str_equal (state, "P0001"))
    sk_set_field_error (error, SK_ERROR_INVALID, NULL, "%s", message);
  else
    {
      g_autofree char *text = g_strchomp (g_strdup (message));
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("Database error: %s (%s)"), text,
                          state);
    }
}

/* Statements */

static void
set_param (SkStmt *stmt, int index, char *value, Oid type)
{
  PgStmt *s = PG (stmt);

  g_return_if_fail (index >= 1 && index <= s->n_params);
  g_free (s->values[index - 1]);
  s->values[index - 1] = value;
  s->types[index - 1] = type;
}

static void
pg_bind_text (SkStmt *stmt, int index, const char *text)
{
  set_param (stmt, index, g_strdup (text), 0);
}

static void
pg_bind_int64 (SkStmt *stmt, int index, gint64 value)
{
  set_param (stmt, index, g_strdup_printf ("%" G_GINT64_FORMAT, value), INT8_OID);
}

static void
pg_bind_null (SkStmt *stmt, int index)
{
  set_param (stmt, index, NULL, 0);
}

static void
pg_bind_blob (SkStmt *stmt, int index, const void *data, gsize size)
{
  static const char digits[] = "0123456789abcdef";
  const guint8     *bytes = data;
  char             *hex = g_malloc (3 + 2 * size);

  hex[0] = '\\';
  hex[1] = 'x';
  for (gsize i = 0; i < size; i++)
    {
      hex[2 + 2 * i] = digits[bytes[i] >> 4];
      hex[3 + 2 * i] = digits[bytes[i] & 0xf];
    }
  hex[2 + 2 * size] = '\0';
  set_param (stmt, index, hex, BYTEA_OID);
}

static void
clear_blob (PgStmt *s)
{
  g_clear_pointer (&s->blob, PQfreemem);
}

static void
pg_reset (SkStmt *stmt)
{
  PgStmt *s = PG (stmt);

  /* Sent ahead and not read: its answer, when it comes, is dropped. */
  if (s->awaited)
    {
      guint index;

      if (g_ptr_array_find (s->conn->readers, s, &index))
        g_ptr_array_index (s->conn->readers, index) = NULL;
      s->awaited = FALSE;
    }
  clear_blob (s);
  g_clear_pointer (&s->result, PQclear);
  s->row = -1;
  s->n_rows = 0;
}

static void
pg_clear_bindings (SkStmt *stmt)
{
  PgStmt *s = PG (stmt);

  for (int i = 0; i < s->n_params; i++)
    g_clear_pointer (&s->values[i], g_free);
}

static void
pg_free (SkStmt *stmt)
{
  PgStmt *s = PG (stmt);

  pg_reset (stmt);
  pg_clear_bindings (stmt);
  g_free (s->values);
  g_free (s->types);
  g_free (s->sql);
  g_free (s);
}

/* A connection lost (the server restarted, a network cut): the statement
 * fails with the error, and the connection is made again for the next
 * one, whose statements are prepared anew. */
static void
reconnect_if_lost (SkSqlConn *conn)
{
  if (PQstatus (conn->pg) != CONNECTION_BAD)
    return;
  g_message ("The connection to PostgreSQL was lost; connecting again");
  PQreset (conn->pg);
  conn->generation++;
}

/* A statement's plan is PostgreSQL's choice (plan_cache_mode auto): after
 * a few executions planned for their values, a generic plan is kept if it
 * costs no more, which saves planning each execution again, a third of
 * the database's work in a sale. But a plan chosen while a new database's
 * tables were nearly empty scans them whole, and stays until an ANALYZE
 * (autovacuum makes one a minute or so later): a push of 300 sales to a
 * new database once made 1 049 sequential scans of purchases, foreign
 * keys' checks included. So a connection drops its plans after 64, 128,
 * 256... transactions: they follow a database's growth, at the cost of a
 * statement planned again a few times in a connection's life. */
static void
replan_if_grown (SkSqlConn *conn)
{
  if (++conn->transactions < conn->replan_at)
    return;
  conn->replan_at = 2 * conn->transactions;
  PQclear (PQexec (conn->pg, "DISCARD PLANS"));
}

/* Pipelines. A write whose outcome its caller does not wait for
 * (sk_db_exec_pipelined ()), and the savepoints around it, are sent
 * without waiting for their answers, and go with the next statement that
 * is waited for, in one round trip (libpq's pipeline mode): a round trip is
 * a sleep and a wake-up of both processes, and a sale has a score of them.
 * The first failure among the statements of a pipeline is the failure of
 * the statement that ends it (the others are not run: the transaction has
 * failed). */

/* @result, a success, becomes @s's to step through. */
static void
take_result (PgStmt *s, PGresult *result)
{
  ExecStatusType status = PQresultStatus (result);

  /* As sqlite3_changes (): rows written by the last INSERT, UPDATE or
   * DELETE; a SELECT leaves it alone. */
  if (status == PGRES_COMMAND_OK && *PQcmdTuples (result) != '\0')
    s->conn->changes = g_ascii_strtoll (PQcmdTuples (result), NULL, 10);
  s->result = result;
  s->n_rows = status == PGRES_TUPLES_OK ? PQntuples (result) : 0;
  s->row = -1;
}

/* Reads the answers of the statements sent: TRUE and, if @last, the last
 * one's result; FALSE and the first failure among them. A read sent ahead
 * keeps its rows. */
static gboolean
end_pipeline (SkSqlConn *conn, PGresult **last, GError **error)
{
  guint     n = conn->queued;
  PGresult *failed = NULL, *result;
  gboolean  ok = PQpipelineSync (conn->pg) == 1;

  conn->queued = conn->queued_writes = 0;
  for (guint i = 0; ok && i < n; i++)
    {
      PgStmt        *reader = g_ptr_array_index (conn->readers, i);
      ExecStatusType status;

      result = PQgetResult (conn->pg);
      if (result == NULL)
        {
          ok = FALSE;
          break;
        }
      status = PQresultStatus (result);
      /* Each statement's answer ends with a NULL. */
      for (PGresult *end; (end = PQgetResult (conn->pg)) != NULL;)
        PQclear (end);
      if (failed == NULL && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        failed = result;
      else if (last != NULL && i == n - 1 && failed == NULL)
        *last = result;
      else if (reader != NULL && failed == NULL)
        take_result (reader, result);
      else
        PQclear (result);
    }
  for (guint i = 0; i < conn->readers->len; i++)
    if (g_ptr_array_index (conn->readers, i) != NULL)
      PG (g_ptr_array_index (conn->readers, i))->awaited = FALSE;
  g_ptr_array_set_size (conn->readers, 0);
  /* The answer to the sync ends the pipeline. */
  result = ok ? PQgetResult (conn->pg) : NULL;
  ok = ok && PQresultStatus (result) == PGRES_PIPELINE_SYNC;
  PQclear (result);
  ok = PQexitPipelineMode (conn->pg) == 1 && ok;
  if (ok && failed == NULL)
    return TRUE;
  if (last != NULL)
    g_clear_pointer (last, PQclear);
  set_error_from_result (failed, conn->pg, error);
  PQclear (failed);
  if (!ok && PQstatus (conn->pg) == CONNECTION_OK)
    {
      /* Answers missing: not a connection to go on with. */
      PQreset (conn->pg);
      conn->generation++;
    }
  reconnect_if_lost (conn);
  return FALSE;
}

/* Sends one statement: @sql without parameters, or @s prepared; @s keeps
 * its rows if @reader. */
static gboolean
pipeline_send_sql (SkSqlConn *conn, const char *sql, PgStmt *s, gboolean reader, GError **error)
{
  int sent;

  if (conn->queued == 0 && !PQenterPipelineMode (conn->pg))
    {
      set_error_from_result (NULL, conn->pg, error);
      return FALSE;
    }
  sent = sql != NULL ? PQsendQueryParams (conn->pg, sql, 0, NULL, NULL, NULL, NULL, 0)
                     : PQsendQueryPrepared (conn->pg, s->name, s->n_params,
                                            (const char *const *)s->values, NULL, NULL, 0);
  if (!sent)
    {
      g_autoptr (GError) lost = NULL;

      set_error_from_result (NULL, conn->pg, error);
      end_pipeline (conn, NULL, &lost);
      return FALSE;
    }
  conn->queued++;
  conn->queued_writes += sql == NULL;
  g_ptr_array_add (conn->readers, reader ? s : NULL);
  if (s != NULL)
    s->awaited = reader;
  return TRUE;
}

static gboolean
pipeline_send (SkSqlConn *conn, PgStmt *s, GError **error)
{
  return pipeline_send_sql (conn, s->simple ? s->sql : NULL, s, FALSE, error);
}

static gboolean
ensure_prepared (PgStmt *s, GError **error)
{
  PGresult *result;

  if (s->simple || (s->prepared && s->generation == s->conn->generation))
    return TRUE;
  /* Prepared outside a pipeline: once a statement and connection. */
  if (s->conn->queued > 0 && !end_pipeline (s->conn, NULL, error))
    return FALSE;
  /* Typed as first bound: numbers as bigint, so that "?4" alone in a
   * select list or beside an integer is read as one. */
  result = PQprepare (s->conn->pg, s->name, s->sql, s->n_params, s->types);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    {
      if (PQstatus (s->conn->pg) == CONNECTION_OK)
        g_warning ("Cannot prepare SQL: %s: %s", PQresultErrorMessage (result), s->sql);
      set_error_from_result (result, s->conn->pg, error);
      PQclear (result);
      reconnect_if_lost (s->conn);
      return FALSE;
    }
  PQclear (result);
  s->prepared = TRUE;
  s->generation = s->conn->generation;
  return TRUE;
}

/* Runs @s: *result its result, or NULL when it was only sent (a savepoint
 * goes with the next statement). */
static gboolean
run (PgStmt *s, PGresult **result, GError **error)
{
  SkSqlConn *conn = s->conn;

  *result = NULL;
  /* A savepoint is made or released only once the writes sent before it
   * stood: a failure among them belongs to the level they were written at,
   * where a rollback finds its own savepoint. */
  if (s->savepoint)
    return (conn->queued_writes == 0 || end_pipeline (conn, NULL, error))
           && pipeline_send (conn, s, error);
  if (conn->queued > 0 && s->rollback)
    {
      g_autoptr (GError) undone = NULL; /* what the rollback undoes */

      end_pipeline (conn, NULL, &undone);
    }
  else if (conn->queued > 0)
    return pipeline_send (conn, s, error) && end_pipeline (conn, result, error);
  *result = s->simple ? PQexec (conn->pg, s->sql)
                      : PQexecPrepared (conn->pg, s->name, s->n_params,
                                        (const char *const *)s->values, NULL, NULL, 0);
  return TRUE;
}

static gboolean
pg_step (SkStmt *stmt, gboolean *has_row, GError **error)
{
  PgStmt *s = PG (stmt);

  /* Sent ahead: its rows come with the answers of the pipeline. */
  if (s->awaited && !end_pipeline (s->conn, NULL, error))
    return FALSE;
  if (s->result == NULL)
    {
      PGresult      *result;
      ExecStatusType status;

      if (!ensure_prepared (s, error))
        return FALSE;
      if (!run (s, &result, error))
        return FALSE;
      if (result == NULL)
        {
          /* Sent in the pipeline: no rows. */
          if (has_row != NULL)
            *has_row = FALSE;
          return TRUE;
        }
      status = PQresultStatus (result);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        {
          set_error_from_result (result, s->conn->pg, error);
          PQclear (result);
          reconnect_if_lost (s->conn);
          return FALSE;
        }
      take_result (s, result);
    }
  clear_blob (s);
  if (s->row < s->n_rows)
    s->row++;
  if (has_row != NULL)
    *has_row = s->row < s->n_rows;
  return TRUE;
}

static int
pg_column_count (SkStmt *stmt)
{
  return PG (stmt)->result ? PQnfields (PG (stmt)->result) : 0;
}

static const char *
pg_column_name (SkStmt *stmt, int col)
{
  return PG (stmt)->result ? PQfname (PG (stmt)->result, col) : NULL;
}

static gboolean
has_value (PgStmt *s, int col)
{
  return s->result != NULL && s->row >= 0 && s->row < s->n_rows
         && !PQgetisnull (s->result, s->row, col);
}

static gboolean
pg_is_null (SkStmt *stmt, int col)
{
  return !has_value (PG (stmt), col);
}

static gboolean
pg_is_integer (SkStmt *stmt, int col)
{
  Oid type = PG (stmt)->result ? PQftype (PG (stmt)->result, col) : 0;

  return type == INT8_OID || type == INT4_OID || type == INT2_OID;
}

static const char *
pg_text (SkStmt *stmt, int col)
{
  PgStmt *s = PG (stmt);

  return has_value (s, col) ? PQgetvalue (s->result, s->row, col) : NULL;
}

static gint64
pg_column_int64 (SkStmt *stmt, int col)
{
  const char *text = pg_text (stmt, col);

  if (text == NULL)
    return 0;
  /* Booleans come as t and f; sums of bigints as numeric. */
  if (text[0] == 't' && text[1] == '\0')
    return 1;
  if (strchr (text, '.') != NULL || strchr (text, 'e') != NULL)
    return (gint64)g_ascii_strtod (text, NULL);
  return g_ascii_strtoll (text, NULL, 10);
}

static double
pg_column_double (SkStmt *stmt, int col)
{
  const char *text = pg_text (stmt, col);

  return text ? g_ascii_strtod (text, NULL) : 0.0;
}

static const guint8 *
pg_blob (SkStmt *stmt, int col, gsize *size)
{
  PgStmt     *s = PG (stmt);
  const char *text = pg_text (stmt, col);
  size_t      length = 0;

  clear_blob (s);
  *size = 0;
  if (text == NULL)
    return NULL;
  s->blob = PQunescapeBytea ((const unsigned char *)text, &length);
  *size = length;
  return s->blob;
}

static gboolean
pg_send (SkStmt *stmt, gboolean keep_rows, GError **error)
{
  PgStmt *s = PG (stmt);

  return ensure_prepared (s, error)
         && pipeline_send_sql (s->conn, s->simple ? s->sql : NULL, s, keep_rows, error);
}

static const SkStmtOps pg_stmt_ops = {
  pg_bind_text,      pg_bind_int64,   pg_bind_null,     pg_bind_blob,   pg_step,    pg_reset,
  pg_clear_bindings, pg_free,         pg_column_count,  pg_column_name, pg_is_null, pg_is_integer,
  pg_text,           pg_column_int64, pg_column_double, pg_blob,        pg_send,
};

/* SQL rewriting */

char *
sk_postgres_translate (const char *sql, int *n_params)
{
  GString *out = g_string_sized_new (strlen (sql) + 16);
  char     quote = 0;
  int      next_anonymous = 1;
  int      max_param = 0;

  for (const char *p = sql; *p != '\0'; p++)
    {
      if (quote != 0)
        {
          if (*p == quote)
            quote = 0;
          g_string_append_c (out, *p);
        }
      else if (*p == '\'' || *p == '"')
        {
          quote = *p;
          g_string_append_c (out, *p);
        }
      else if (*p == '?')
        {
          int number;

          if (g_ascii_isdigit (p[1]))
            {
              char *end;
              number = (int)strtol (p + 1, &end, 10);
              p = end - 1;
            }
          else
            number = MAX (next_anonymous, max_param + 1);
          next_anonymous = number + 1;
          max_param = MAX (max_param, number);
          g_string_append_printf (out, "$%d", number);
        }
      else
        g_string_append_c (out, *p);
    }

  *n_params = max_param;
  return g_string_free (out, FALSE);
}

/* Connections */

static void
ignore_notice (void *arg, const char *message)
{
}

static gboolean
pg_exec_script (SkSqlConn *conn, const char *sql, GError **error)
{
  PGresult      *result;
  ExecStatusType status;
  gboolean       ok;

  if (conn->queued > 0 && !end_pipeline (conn, NULL, error))
    return FALSE;
  result = PQexec (conn->pg, sql);
  status = PQresultStatus (result);
  ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;

  if (!ok)
    set_error_from_result (result, conn->pg, error);
  PQclear (result);
  if (!ok)
    reconnect_if_lost (conn);
  return ok;
}

/* A writer's transaction and lock go with its first statement. */
static gboolean
pg_begin (SkSqlConn *conn, gboolean concurrent, GError **error)
{
  if (conn->queued > 0 && !end_pipeline (conn, NULL, error))
    return FALSE;
  replan_if_grown (conn);
  return pipeline_send_sql (conn, "BEGIN", NULL, FALSE, error)
         && pipeline_send_sql (conn, concurrent ? LOCK_WRITERS_SHARED : LOCK_WRITERS, NULL, FALSE,
                               error);
}

static void
pg_close (SkSqlConn *conn)
{
  PQfinish (conn->pg);
  g_ptr_array_unref (conn->readers);
  g_free (conn);
}

static SkSqlConn *
pg_open (const char *location, GError **error)
{
  g_autofree SkSqlConn *conn = g_new0 (SkSqlConn, 1);

  conn->pg = PQconnectdb (location);
  if (PQstatus (conn->pg) != CONNECTION_OK)
    {
      g_autofree char *text = g_strchomp (g_strdup (PQerrorMessage (conn->pg)));

      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s", text);
      PQfinish (conn->pg);
      return NULL;
    }
  PQsetNoticeProcessor (conn->pg, ignore_notice, NULL);
  conn->replan_at = 64;
  conn->readers = g_ptr_array_new ();
  if (!pg_exec_script (conn, "SET client_encoding = 'UTF8'", error))
    {
      PQfinish (conn->pg);
      g_ptr_array_unref (conn->readers);
      return NULL;
    }
  return g_steal_pointer (&conn);
}

static gboolean
is_transaction_control (const char *sql)
{
  static const char *const words[] = { "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE" };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_str_has_prefix (sql, words[i]))
      return TRUE;
  return FALSE;
}

static SkStmt *
pg_prepare (SkSqlConn *conn, const char *sql, GError **error)
{
  PgStmt *s = g_new0 (PgStmt, 1);

  s->base.ops = &pg_stmt_ops;
  s->conn = conn;
  s->sql = sk_postgres_translate (sql, &s->n_params);
  s->simple = s->n_params == 0 && is_transaction_control (sql);
  s->savepoint
      = s->simple && (g_str_has_prefix (sql, "SAVEPOINT") || g_str_has_prefix (sql, "RELEASE"));
  s->rollback = s->simple && g_str_has_prefix (sql, "ROLLBACK");
  s->values = g_new0 (char *, s->n_params + 1);
  s->types = g_new0 (Oid, s->n_params + 1);
  s->row = -1;
  g_snprintf (s->name, sizeof s->name, "sk%u", ++conn->next_name);
  return &s->base;
}

static gboolean
pg_flush (SkSqlConn *conn, GError **error)
{
  return conn->queued == 0 || end_pipeline (conn, NULL, error);
}

static gint64
pg_changes (SkSqlConn *conn)
{
  return conn->changes;
}

static int
pg_get_schema_version (SkSqlConn *conn, GError **error)
{
  /* Read only: servers starting together on a new database ask this
   * outside any lock, and concurrent CREATE TABLE IF NOT EXISTS can fail.
   * The table is made with the first migration, under the writers' lock. */
  PGresult *result;
  gboolean  exists = FALSE;
  int       version = -1;

  if (conn->queued > 0 && !end_pipeline (conn, NULL, error))
    return -1;
  result = PQexec (conn->pg, "SELECT to_regclass ('skidka_schema') IS NOT NULL");

  if (PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1)
    {
      set_error_from_result (result, conn->pg, error);
      PQclear (result);
      return -1;
    }
  exists = g_str_equal (PQgetvalue (result, 0, 0), "t");
  PQclear (result);
  if (!exists)
    return 0;
  result = PQexec (conn->pg, "SELECT coalesce (max (version), 0) FROM skidka_schema");
  if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1)
    version = atoi (PQgetvalue (result, 0, 0));
  else
    set_error_from_result (result, conn->pg, error);
  PQclear (result);
  return version;
}

static gboolean
pg_set_schema_version (SkSqlConn *conn, int version, GError **error)
{
  g_autofree char *sql
      = g_strdup_printf ("CREATE TABLE IF NOT EXISTS skidka_schema (version INTEGER NOT NULL);"
                         "DELETE FROM skidka_schema;"
                         "INSERT INTO skidka_schema (version) VALUES (%d)",
                         version);

  return pg_exec_script (conn, sql, error);
}

static const SkSqlBackend postgres_backend = {
  .name = "postgresql",
  .accepts = sk_database_is_uri,
  .open = pg_open,
  .close = pg_close,
  .prepare = pg_prepare,
  .exec_script = pg_exec_script,
  .changes = pg_changes,
  .flush = pg_flush,
  .begin = pg_begin,
  .get_schema_version = pg_get_schema_version,
  .set_schema_version = pg_set_schema_version,
  .migration = sk_postgres_migration,
  .statements = {
    [SK_SQL_LEDGER_OLDEST_FIRST] =
      "SELECT kind, amount, expires_at, purchase_id, created_at FROM bonus_transactions"
      " WHERE customer_id = ?1 ORDER BY created_at, seq",
    [SK_SQL_LEDGER_NEWEST_FIRST] =
      "SELECT * FROM bonus_transactions WHERE customer_id = ?1 ORDER BY created_at DESC, seq DESC",
    [SK_SQL_LEDGER_EXPORT] = "SELECT * FROM bonus_transactions ORDER BY seq",
    [SK_SQL_FEED_PAGE] =
      "SELECT seq, xid, entity, entity_id, op, merged_into FROM changes"
      " WHERE (xid, seq) > (?1, ?2)"
      " AND xid < pg_snapshot_xmin (pg_current_snapshot ())::text::bigint"
      " ORDER BY xid, seq LIMIT ?3",
    [SK_SQL_FEED_KNOWN] =
      "SELECT EXISTS (SELECT 1 FROM changes WHERE (xid, seq) >= (?1, ?2))::int",
    [SK_SQL_FEED_CUSTOMERS] =
      "SELECT * FROM customers WHERE id = ANY (ARRAY (SELECT json_array_elements_text (?1::json)))",
    [SK_SQL_FEED_CHILDREN] =
      "SELECT customer_id, name, birth_date FROM customer_children"
      " WHERE customer_id = ANY (ARRAY (SELECT json_array_elements_text (?1::json)))"
      " ORDER BY customer_id, position",
    [SK_SQL_NOTIFICATIONS_CLAIM] =
      "UPDATE notifications SET lease_owner = ?2, lease_until = ?7, attempts = attempts + 1"
      " WHERE id IN (SELECT id FROM notifications"
      "   WHERE status = 'pending' AND next_attempt_at <= ?1"
      "   AND (lease_until IS NULL OR lease_until <= ?1) AND channel IN (?3, ?4, ?5)"
      "   ORDER BY next_attempt_at LIMIT ?6 FOR UPDATE SKIP LOCKED)"
      " RETURNING *",
    [SK_SQL_LOCK_CUSTOMER] = "SELECT 1 FROM customers WHERE id = ?1 FOR UPDATE",
    [SK_SQL_LOCK_DEVICE] = "SELECT acked_seq FROM devices WHERE id = ?1 FOR UPDATE",
  },
};

void
sk_postgres_init (void)
{
  sk_sql_register_backend (&postgres_backend);
}
