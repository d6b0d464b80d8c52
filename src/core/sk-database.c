/* sk-database.c: opening and migrating the SQLite file, and the SQL helpers
 * every other part of the store uses.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-schema.h"
#include "sk-sql-sqlite.h"

struct _SkDatabase
{
  GObject             parent_instance;
  const SkSqlBackend *backend;
  SkSqlConn          *conn;
  char               *path;
  GHashTable         *statements; /* SQL text -> SkStmt */
  GHashTable         *insert_sql; /* table name -> INSERT text */
  guint               depth;      /* transaction nesting */
  int                 schema_version;
  char               *device_id;
  char               *fail_point;
  GPtrArray          *rules; /* live rules cache, see sk_db_live_rules () */
  GPtrArray          *campaigns;
  GHashTable         *cached_by_id; /* id -> record of either array */
  GHashTable         *store_ids;
  gint64              rules_counter;
  gint64              sales_counter; /* -1: none kept */
  guint64             writes;        /* see sk_database_get_writes () */
};

G_DEFINE_FINAL_TYPE (SkDatabase, sk_database, G_TYPE_OBJECT)

static void
sk_database_finalize (GObject *object)
{
  SkDatabase *self = SK_DATABASE (object);

  g_clear_pointer (&self->statements, g_hash_table_unref);
  g_clear_pointer (&self->insert_sql, g_hash_table_unref);
  if (self->conn != NULL)
    self->backend->close (self->conn);
  g_free (self->path);
  g_free (self->device_id);
  g_free (self->fail_point);
  g_clear_pointer (&self->rules, g_ptr_array_unref);
  g_clear_pointer (&self->campaigns, g_ptr_array_unref);
  g_clear_pointer (&self->cached_by_id, g_hash_table_unref);
  g_clear_pointer (&self->store_ids, g_hash_table_unref);

  G_OBJECT_CLASS (sk_database_parent_class)->finalize (object);
}

static void
sk_database_class_init (SkDatabaseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sk_database_finalize;
}

/* The statement cache's hash. Every statement run looks its SQL up, and
 * SQL is long (a customer's upsert is 600 bytes): its length and every
 * eighth byte tell texts apart well enough (g_str_equal decides), at an
 * eighth of g_str_hash's cost. */
static guint
sql_hash (gconstpointer key)
{
  const char *sql = key;
  gsize       length = strlen (sql);
  guint       hash = length;

  for (gsize i = 0; i < length; i += 8)
    hash = hash * 33 + (guchar)sql[i];
  return hash;
}

static void
sk_database_init (SkDatabase *self)
{
  self->statements
      = g_hash_table_new_full (sql_hash, g_str_equal, g_free, (GDestroyNotify)sk_stmt_free);
  self->insert_sql = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sales_counter = -1;
}

/* Backends */

static GPtrArray *backends;
G_LOCK_DEFINE_STATIC (backends);

void
sk_sql_register_backend (const SkSqlBackend *backend)
{
  G_LOCK (backends);
  if (backends == NULL)
    backends = g_ptr_array_new ();
  if (!g_ptr_array_find (backends, backend, NULL))
    g_ptr_array_add (backends, (gpointer)backend);
  G_UNLOCK (backends);
}

const SkSqlBackend *
sk_sql_find_backend (const char *location)
{
  const SkSqlBackend *found = &sk_sql_sqlite_backend;

  G_LOCK (backends);
  for (guint i = 0; backends != NULL && i < backends->len; i++)
    {
      const SkSqlBackend *backend = backends->pdata[i];

      if (backend->accepts (location))
        {
          found = backend;
          break;
        }
    }
  G_UNLOCK (backends);
  return found;
}

gboolean
sk_database_is_uri (const char *location)
{
  return g_str_has_prefix (location, "postgresql://") || g_str_has_prefix (location, "postgres://");
}

sqlite3 *
sk_database_get_handle (SkDatabase *self)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  if (self->backend != &sk_sql_sqlite_backend)
    return NULL;
  return sk_sql_sqlite_handle (self->conn);
}

const char *
sk_database_get_backend_name (SkDatabase *self)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return self->backend->name;
}

const char *
sk_database_get_path (SkDatabase *self)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return self->path;
}

int
sk_database_get_schema_version (SkDatabase *self)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), 0);
  return self->schema_version;
}

const char *
sk_database_get_device_id (SkDatabase *self)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return self->device_id;
}

/* Statements */

static gboolean
bind_args (SkStmt *stmt, const char *fmt, va_list args)
{
  int index = 1;

  for (const char *p = fmt; p != NULL && *p != '\0'; p++, index++)
    {
      switch (*p)
        {
        case 's':
          sk_stmt_bind_text (stmt, index, va_arg (args, const char *));
          break;
        case 'i':
          sk_stmt_bind_int64 (stmt, index, va_arg (args, gint64));
          break;
        case 'b':
          sk_stmt_bind_int64 (stmt, index, va_arg (args, gboolean) ? 1 : 0);
          break;
        case 'n':
          sk_stmt_bind_null (stmt, index);
          break;
        default:
          g_critical ("Unknown bind format letter ‘%c’", *p);
          return FALSE;
        }
    }
  return TRUE;
}

static SkStmt *
prepare_cached (SkDatabase *self, const char *sql, GError **error)
{
  SkStmt *stmt = g_hash_table_lookup (self->statements, sql);
  g_autoptr (GError) local_error = NULL;

  if (stmt != NULL)
    {
      sk_stmt_reset (stmt);
      stmt->ops->clear_bindings (stmt);
      return stmt;
    }
  stmt = self->backend->prepare (self->conn, sql, &local_error);
  if (stmt == NULL)
    {
      g_critical ("Cannot prepare SQL: %s: %s", local_error->message, sql);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

static SkStmt *
query_valist (SkDatabase *self, GError **error, const char *sql, const char *fmt, va_list args)
{
  SkStmt *stmt = prepare_cached (self, sql, error);

  if (stmt == NULL)
    return NULL;
  if (!bind_args (stmt, fmt, args))
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "Cannot bind the parameters of %s", sql);
      return NULL;
    }
  return stmt;
}

SkStmt *
sk_db_query (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...)
{
  SkStmt *stmt;
  va_list args;

  va_start (args, fmt);
  stmt = query_valist (self, error, sql, fmt, args);
  va_end (args);
  return stmt;
}

SkStmt *
sk_db_prepare (SkDatabase *self, const char *sql, GError **error)
{
  return prepare_cached (self, sql, error);
}

gboolean
sk_db_step (SkDatabase *self, SkStmt *stmt, gboolean *has_row, GError **error)
{
  return stmt->ops->step (stmt, has_row, error);
}

/* Steps a statement that returns no rows, and resets it. */
gboolean
sk_db_step_done (SkDatabase *self, SkStmt *stmt, GError **error)
{
  gboolean ok = stmt->ops->step (stmt, NULL, error);

  sk_stmt_reset (stmt);
  return ok;
}

gboolean
sk_db_flush (SkDatabase *self, GError **error)
{
  return self->backend->flush == NULL || self->backend->flush (self->conn, error);
}

gint64
sk_db_changes (SkDatabase *self)
{
  return self->backend->changes (self->conn);
}

gboolean
sk_db_is_sqlite (SkDatabase *self)
{
  return self->backend == &sk_sql_sqlite_backend;
}

gboolean
sk_db_exec (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...)
{
  SkStmt *stmt;
  va_list args;

  if (self->depth == 0)
    self->writes++;
  va_start (args, fmt);
  stmt = query_valist (self, error, sql, fmt, args);
  va_end (args);
  if (stmt == NULL)
    return FALSE;
  return sk_db_step_done (self, stmt, error);
}

/* sk_db_step_done (), or the statement sent to run with the next one. */
static gboolean
send_done (SkDatabase *self, SkStmt *stmt, GError **error)
{
  gboolean ok;

  /* Outside a transaction, a statement's failure is its own. */
  if (stmt->ops->send == NULL || self->depth == 0)
    return sk_db_step_done (self, stmt, error);
  ok = stmt->ops->send (stmt, FALSE, error);
  sk_stmt_reset (stmt);
  return ok;
}

gboolean
sk_db_exec_pipelined (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...)
{
  SkStmt *stmt;
  va_list args;

  va_start (args, fmt);
  stmt = query_valist (self, error, sql, fmt, args);
  va_end (args);
  return stmt != NULL && send_done (self, stmt, error);
}

SkStmt *
sk_db_query_ahead (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...)
{
  SkStmt *stmt;
  va_list args;

  va_start (args, fmt);
  stmt = query_valist (self, error, sql, fmt, args);
  va_end (args);
  /* Outside a transaction, a statement's failure is its own. */
  if (stmt != NULL && stmt->ops->send != NULL && self->depth > 0
      && !stmt->ops->send (stmt, TRUE, error))
    return NULL;
  return stmt;
}

gint64
sk_db_query_int (
    SkDatabase *self, GError **error, gint64 fallback, const char *sql, const char *fmt, ...)
{
  SkStmt  *stmt;
  gboolean has_row = FALSE;
  gint64   value = fallback;
  va_list  args;

  va_start (args, fmt);
  stmt = query_valist (self, error, sql, fmt, args);
  va_end (args);
  if (stmt == NULL)
    return fallback;
  if (sk_db_step (self, stmt, &has_row, error) && has_row && !sk_stmt_is_null (stmt, 0))
    value = sk_stmt_int64 (stmt, 0);
  sk_stmt_reset (stmt);
  return value;
}

gboolean
sk_db_exec_script (SkDatabase *self, const char *sql, GError **error)
{
  return self->backend->exec_script (self->conn, sql, error);
}

/* Transactions */

guint64
sk_database_get_writes (SkDatabase *self)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), 0);
  return self->writes;
}

const char *
sk_db_sql (SkDatabase *self, SkSqlStatement name)
{
  g_return_val_if_fail (name < SK_SQL_N_STATEMENTS, NULL);

  return self->backend->statements[name];
}

GPtrArray *
sk_db_query_page (SkDatabase *self,
                  GType       type,
                  const char *sql,
                  const char *filter1,
                  const char *filter2,
                  const char *filter3,
                  const char *cursor,
                  guint       limit,
                  char      **next_cursor,
                  GError    **error)
{
  g_autoptr (GPtrArray) page = NULL;
  g_autofree char *time = NULL;
  const char      *before_id = "";
  gint64           before = G_MAXINT64;
  gpointer         last;

  g_return_val_if_fail (limit > 0 && next_cursor != NULL, NULL);

  *next_cursor = NULL;
  if (cursor != NULL)
    {
      const char *colon = strchr (cursor, ':');

      time = colon ? g_strndup (cursor, colon - cursor) : NULL;
      if (time == NULL || !g_ascii_string_to_signed (time, 10, 0, G_MAXINT64, &before, NULL)
          || !g_uuid_string_is_valid (colon + 1))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "cursor", _ ("The cursor is not valid"));
          return NULL;
        }
      before_id = colon + 1;
    }
  /* One row more than asked tells whether there is a next page. */
  page = sk_db_query_records (self,
                              sk_db_query (self, error, sql,
                                           strstr (sql, "?6")   ? "isisss"
                                           : strstr (sql, "?5") ? "isiss"
                                                                : "isis",
                                           before, before_id, (gint64)limit + 1,
                                           filter1 ? filter1 : "", filter2 ? filter2 : "",
                                           filter3 ? filter3 : ""),
                              type, error);
  if (page == NULL || page->len <= limit)
    return g_steal_pointer (&page);
  g_ptr_array_set_size (page, limit);
  last = g_ptr_array_index (page, limit - 1);
  *next_cursor = g_strdup_printf (
      "%" G_GINT64_FORMAT ":%s", sk_record_get_int64 (last, "created_at"), sk_record_get_id (last));
  return g_steal_pointer (&page);
}

static gboolean
begin (SkDatabase *self, gboolean concurrent, GError **error)
{
  if (self->depth == 0 && !self->backend->begin (self->conn, concurrent, error))
    return FALSE;
  if (self->depth == 0)
    self->writes++;
  if (self->depth > 0 && !sk_db_exec (self, error, "SAVEPOINT nested", NULL))
    return FALSE;
  self->depth++;
  return TRUE;
}

gboolean
sk_db_begin (SkDatabase *self, GError **error)
{
  return begin (self, FALSE, error);
}

gboolean
sk_db_begin_concurrent (SkDatabase *self, GError **error)
{
  return begin (self, TRUE, error);
}

gboolean
sk_db_lock_customer (SkDatabase *self, const char *customer_id, GError **error)
{
  return sk_db_exec_pipelined (self, error, sk_db_sql (self, SK_SQL_LOCK_CUSTOMER), "s",
                               customer_id);
}

SkStmt *
sk_db_lock_device (SkDatabase *self, const char *device_id, GError **error)
{
  return sk_db_query_ahead (self, error, sk_db_sql (self, SK_SQL_LOCK_DEVICE), "s", device_id);
}

gboolean
sk_db_commit (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (self->depth > 0, FALSE);

  if (self->depth == 1)
    {
      if (!sk_db_exec (self, error, "COMMIT", NULL))
        {
          sk_db_rollback (self);
          return FALSE;
        }
    }
  else if (!sk_db_exec (self, error, "RELEASE nested", NULL))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  self->depth--;
  return TRUE;
}

void
sk_db_rollback (SkDatabase *self)
{
  g_return_if_fail (self->depth > 0);

  /* What was read inside the transaction may never have been committed. */
  g_clear_pointer (&self->rules, g_ptr_array_unref);
  g_clear_pointer (&self->campaigns, g_ptr_array_unref);
  g_clear_pointer (&self->cached_by_id, g_hash_table_unref);
  g_clear_pointer (&self->store_ids, g_hash_table_unref);
  self->sales_counter = -1;

  if (self->depth == 1)
    sk_db_exec (self, NULL, "ROLLBACK", NULL);
  else
    {
      sk_db_exec (self, NULL, "ROLLBACK TO nested", NULL);
      sk_db_exec (self, NULL, "RELEASE nested", NULL);
    }
  self->depth--;
}

/* Records <-> rows */

char *
sk_strv_to_json (char **strv)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (char **s = strv; s != NULL && *s != NULL; s++)
    json_builder_add_string_value (builder, *s);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return sk_json_to_string (root, FALSE);
}

static const SkField *
find_field (SkRecordClass *klass, const char *name)
{
  for (guint i = 0; i < klass->n_fields; i++)
    if (g_str_equal (klass->fields[i].name, name))
      return &klass->fields[i];
  return NULL;
}

gpointer
sk_db_row_to_record (SkStmt *stmt, GType type)
{
  SkRecord      *record = g_object_new (type, NULL);
  SkRecordClass *klass = SK_RECORD_GET_CLASS (record);
  int            n = sk_stmt_column_count (stmt);

  for (int col = 0; col < n; col++)
    {
      const SkField *field = find_field (klass, sk_stmt_column_name (stmt, col));
      gpointer       ptr;
      gboolean       is_null = sk_stmt_is_null (stmt, col);

      if (field == NULL)
        continue;
      ptr = ((guint8 *)record) + field->offset;
      switch (field->type)
        {
        case SK_FIELD_STRING:
          g_free (*(char **)ptr);
          *(char **)ptr = is_null ? NULL : g_strdup (sk_stmt_text (stmt, col));
          break;
        case SK_FIELD_INT64:
        case SK_FIELD_TIME:
          *(gint64 *)ptr = is_null ? 0 : sk_stmt_int64 (stmt, col);
          break;
        case SK_FIELD_BOOL:
          *(gboolean *)ptr = sk_stmt_int64 (stmt, col) != 0;
          break;
        case SK_FIELD_STRV:
        case SK_FIELD_AMOUNTS:
          /* The file's own JSON: what does not read leaves none. */
          if (!sk_record_set_field_json (record, field, is_null ? NULL : sk_stmt_text (stmt, col),
                                         NULL))
            sk_record_set_field_json (record, field, NULL, NULL);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return record;
}

GPtrArray *
sk_db_query_rows (SkDatabase    *self,
                  SkStmt        *stmt,
                  SkRowFunc      from_row,
                  gpointer       data,
                  GDestroyNotify free_func,
                  GError       **error)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (free_func);
  gboolean has_row;

  if (stmt == NULL)
    return NULL;
  while (sk_db_step (self, stmt, &has_row, error))
    {
      if (!has_row)
        {
          sk_stmt_reset (stmt);
          return g_steal_pointer (&items);
        }
      g_ptr_array_add (items, from_row (stmt, data));
    }
  sk_stmt_reset (stmt);
  return NULL;
}

static gpointer
record_from_row (SkStmt *stmt, gpointer type)
{
  return sk_db_row_to_record (stmt, GPOINTER_TO_SIZE (type));
}

GPtrArray *
sk_db_query_records (SkDatabase *self, SkStmt *stmt, GType type, GError **error)
{
  return sk_db_query_rows (self, stmt, record_from_row, GSIZE_TO_POINTER (type), g_object_unref,
                           error);
}

void
sk_db_bind_field (SkStmt *stmt, int index, SkRecord *record, const SkField *field)
{
  gpointer ptr = ((guint8 *)record) + field->offset;

  switch (field->type)
    {
    case SK_FIELD_STRING:
      sk_stmt_bind_text (stmt, index, *(char **)ptr);
      break;
    case SK_FIELD_INT64:
      sk_stmt_bind_int64 (stmt, index, *(gint64 *)ptr);
      break;
    case SK_FIELD_TIME:
      if (*(gint64 *)ptr == SK_TIME_NONE)
        sk_stmt_bind_null (stmt, index);
      else
        sk_stmt_bind_int64 (stmt, index, *(gint64 *)ptr);
      break;
    case SK_FIELD_BOOL:
      sk_stmt_bind_int64 (stmt, index, *(gboolean *)ptr ? 1 : 0);
      break;
    case SK_FIELD_STRV:
    case SK_FIELD_AMOUNTS:
      {
        g_autofree char *json = sk_record_dup_field_json (record, field);

        if (json != NULL)
          sk_stmt_bind_text (stmt, index, json);
        else
          sk_stmt_bind_null (stmt, index);
      }
      break;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
is_column (const SkField *field)
{
  return !(field->flags & SK_FIELD_COMPUTED);
}

static gboolean
insert_record (
    SkDatabase *self, const char *table, SkRecord *record, gboolean pipelined, GError **error)
{
  SkRecordClass *klass = SK_RECORD_GET_CLASS (record);
  const char    *sql = g_hash_table_lookup (self->insert_sql, table);
  SkStmt        *stmt;
  int            index = 1;

  if (sql == NULL)
    {
      GString *columns = g_string_new (NULL);
      GString *values = g_string_new (NULL);
      char    *text;

      for (guint i = 0; i < klass->n_fields; i++)
        {
          if (!is_column (&klass->fields[i]))
            continue;
          g_string_append_printf (columns, "%s%s", columns->len ? ", " : "", klass->fields[i].name);
          g_string_append (values, values->len ? ", ?" : "?");
        }
      text = g_strdup_printf ("INSERT INTO %s (%s) VALUES (%s)", table, columns->str, values->str);
      g_string_free (columns, TRUE);
      g_string_free (values, TRUE);
      g_hash_table_insert (self->insert_sql, g_strdup (table), text);
      sql = text;
    }

  stmt = prepare_cached (self, sql, error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < klass->n_fields; i++)
    if (is_column (&klass->fields[i]))
      sk_db_bind_field (stmt, index++, record, &klass->fields[i]);
  return pipelined ? send_done (self, stmt, error) : sk_db_step_done (self, stmt, error);
}

gboolean
sk_db_insert_record (SkDatabase *self, const char *table, SkRecord *record, GError **error)
{
  return insert_record (self, table, record, FALSE, error);
}

gboolean
sk_db_insert_record_pipelined (SkDatabase *self,
                               const char *table,
                               SkRecord   *record,
                               GError    **error)
{
  return insert_record (self, table, record, TRUE, error);
}

/* Opening and migrations */

static gboolean
migrate (SkDatabase *self, int target, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  int current = self->backend->get_schema_version (self->conn, &local_error);

  /* Not a database, or unreadable: say so, and go no further. */
  if (local_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _ ("Cannot open the database “%s”: "), self->path);
      return FALSE;
    }
  while (current < target)
    {
      int              version;
      g_autofree char *sql = NULL;

      if (!sk_db_begin (self, error))
        return FALSE;
      /* Another server may have migrated while we waited for the lock. */
      version = self->backend->get_schema_version (self->conn, error);
      if (version < 0)
        {
          sk_db_rollback (self);
          return FALSE;
        }
      if (version >= target)
        {
          current = version;
          if (!sk_db_commit (self, error))
            return FALSE;
          break;
        }
      version++;
      sql = self->backend->migration (version);
      if (!sk_db_exec_script (self, sql, error)
          || !self->backend->set_schema_version (self->conn, version, error))
        {
          sk_db_rollback (self);
          g_prefix_error (error, _ ("Cannot upgrade the database to schema %d: "), version);
          return FALSE;
        }
      if (!sk_db_commit (self, error))
        return FALSE;
      current = version;
    }
  /* Found so, or made so meanwhile by another server. */
  if (current > SK_SCHEMA_VERSION)
    {
      sk_set_field_error (error, SK_ERROR_SCHEMA_TOO_NEW, NULL,
                          _ ("The database “%s” was made by a newer version of Skidka "
                             "(schema %d; this version knows up to %d). Update Skidka to open it."),
                          self->path, current, SK_SCHEMA_VERSION);
      return FALSE;
    }
  self->schema_version = current;
  return TRUE;
}

static char *
describe_location (const char *location)
{
  /* Never show a password written in a connection URI. */
  g_autoptr (GUri) uri = NULL;

  if (!sk_database_is_uri (location))
    return g_strdup (location);
  uri = g_uri_parse (location, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    return g_strdup ("postgresql://…");
  /* libpq takes one in the query too: ?password=... */
  return g_uri_to_string_partial (
      uri, G_URI_HIDE_PASSWORD
               | (strstr (g_uri_get_query (uri) ? g_uri_get_query (uri) : "", "password")
                      ? G_URI_HIDE_QUERY
                      : 0));
}

SkDatabase *
sk_database_open_at_version (const char *path, int version, GError **error)
{
  g_autoptr (SkDatabase) self = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (version >= 1 && version <= SK_SCHEMA_VERSION, NULL);

  self = g_object_new (SK_TYPE_DATABASE, NULL);
  self->path = describe_location (path);
  self->backend = sk_sql_find_backend (path);
  if (self->backend == &sk_sql_sqlite_backend && sk_database_is_uri (path))
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL,
                          _ ("Cannot open the database “%s”: this program was built without "
                             "PostgreSQL support"),
                          self->path);
      return NULL;
    }
  self->conn = self->backend->open (path, &local_error);
  if (self->conn == NULL)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("Cannot open the database “%s”: %s"),
                          self->path, local_error->message);
      return NULL;
    }
  if (!migrate (self, version, error))
    return NULL;

  self->device_id = sk_database_get_setting (self, "device_id");
  if (self->device_id == NULL)
    {
      self->device_id = g_uuid_string_random ();
      if (!sk_database_set_setting (self, "device_id", self->device_id, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

SkDatabase *
sk_database_open (const char *path, GError **error)
{
  return sk_database_open_at_version (path, SK_SCHEMA_VERSION, error);
}

/* Settings */

char *
sk_database_get_setting (SkDatabase *self, const char *key)
{
  SkStmt  *stmt;
  gboolean has_row = FALSE;
  char    *value = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = sk_db_query (self, NULL, "SELECT value FROM settings WHERE key = ?", "s", key);
  if (stmt != NULL && sk_db_step (self, stmt, &has_row, NULL) && has_row)
    value = g_strdup (sk_stmt_text (stmt, 0));
  if (stmt != NULL)
    sk_stmt_reset (stmt);
  return value;
}

gint64
sk_database_get_setting_int (SkDatabase *self, const char *key, gint64 fallback)
{
  g_autofree char *value = sk_database_get_setting (self, key);
  gint64           number;

  if (value == NULL || !g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &number, NULL))
    return fallback;
  return number;
}

gboolean
sk_database_set_setting (SkDatabase *self, const char *key, const char *value, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);

  if (g_str_equal (key, SK_SETTING_BONUS_EXPIRY_DAYS))
    {
      guint64 days;

      if (!g_ascii_string_to_unsigned (value, 10, 0, 3650, &days, NULL))
        {
          sk_set_field_error (error, SK_ERROR_INVALID, key,
                              _ ("Bonus expiry is a number of days from 0 (off) to 3650"));
          return FALSE;
        }
    }

  return sk_db_exec (self, error,
                     "INSERT INTO settings (key, value) VALUES (?, ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     "ss", key, value);
}

/* Outbox */

gboolean
sk_db_outbox_add (SkDatabase *self,
                  const char *entity,
                  const char *entity_id,
                  const char *op,
                  JsonNode   *payload,
                  GError    **error)
{
  g_autofree char *event_id = g_uuid_string_random ();
  g_autofree char *json = sk_json_to_string (payload, FALSE);

  if (sk_db_fail_point_hit (self, "outbox", error))
    return FALSE;
  return sk_db_exec (
      self, error,
      "INSERT INTO sync_outbox (event_id, entity, entity_id, op, payload, created_at)"
      " VALUES (?, ?, ?, ?, ?, ?)",
      "sssssi", event_id, entity, entity_id, op, json, sk_time_now ());
}

gint64
sk_database_count_outbox (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), -1);
  return sk_db_query_int (self, error, 0, "SELECT count(*) FROM sync_outbox", NULL);
}

/* Live rules */

typedef struct
{
  char  *id;
  gint64 value;
  gsize  offset;
} LiveCount;

struct _SkLiveCounts
{
  gint64  rules; /* the counters as read; -1: no such row */
  gint64  sales;
  GArray *counts; /* only when 'sales' moved */
};

static void
live_count_clear (gpointer data)
{
  g_free (((LiveCount *)data)->id);
}

SkLiveCounts *
sk_live_counts_new (void)
{
  SkLiveCounts *live = g_new0 (SkLiveCounts, 1);

  live->rules = -1;
  live->sales = -1;
  live->counts = g_array_new (FALSE, TRUE, sizeof (LiveCount));
  g_array_set_clear_func (live->counts, live_count_clear);
  return live;
}

void
sk_live_counts_free (SkLiveCounts *live)
{
  if (live == NULL)
    return;
  g_array_unref (live->counts);
  g_free (live);
}

gboolean
sk_live_counts_add_row (SkLiveCounts *live, SkStmt *stmt)
{
  LiveCount   count = { NULL, sk_stmt_int64 (stmt, 2), 0 };
  const char *kind = sk_stmt_text (stmt, 0);

  if (g_strcmp0 (kind, "counter") == 0)
    {
      if (g_strcmp0 (sk_stmt_text (stmt, 1), "sales") == 0)
        live->sales = count.value;
      else
        live->rules = count.value;
      return TRUE;
    }
  if (g_strcmp0 (kind, "rule_uses") == 0)
    count.offset = G_STRUCT_OFFSET (SkDiscountRule, uses);
  else if (g_strcmp0 (kind, "campaign_spent") == 0)
    count.offset = G_STRUCT_OFFSET (SkCampaign, spent);
  else
    return FALSE;
  count.id = g_strdup (sk_stmt_text (stmt, 1));
  g_array_append_val (live->counts, count);
  return TRUE;
}

SkStmt *
sk_db_query_engine_context (SkDatabase *self, const char *customer_id, GError **error)
{
  return sk_db_query (
      self, error,
      "SELECT 'customer' AS kind, segment AS name, 0 AS value FROM customers WHERE id = ?1"
      " UNION ALL SELECT 'customer_uses', rule_id, uses FROM rule_customer_uses WHERE customer_id "
      "= ?1"
      " UNION ALL SELECT 'counter', name, value FROM change_counters WHERE name IN ('rules', "
      "'sales')"
      " UNION ALL SELECT 'rule_uses', id, uses FROM discount_rules"
      "  WHERE is_active = 1 AND usage_limit_total > 0"
      "  AND coalesce ((SELECT value FROM change_counters WHERE name = 'sales'), -2) <> ?2"
      " UNION ALL SELECT 'campaign_spent', id, spent FROM campaigns"
      "  WHERE budget > 0 AND status IN ('scheduled', 'active')"
      "  AND coalesce ((SELECT value FROM change_counters WHERE name = 'sales'), -2) <> ?2"
      " ORDER BY 1",
      "si", customer_id, self->sales_counter);
}

static GPtrArray *
query_live_records (SkDatabase *self, GType type, const char *sql, GError **error)
{
  return sk_db_query_records (self, sk_db_query (self, error, sql, NULL), type, error);
}

static GHashTable *
query_store_ids (SkDatabase *self, GError **error)
{
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) local_error = NULL;
  SkStmt  *stmt = sk_db_query (self, error, "SELECT id FROM stores", NULL);
  gboolean has_row = FALSE;

  if (stmt == NULL)
    return NULL;
  while (sk_db_step (self, stmt, &has_row, &local_error) && has_row)
    g_hash_table_add (ids, g_strdup (sk_stmt_text (stmt, 0)));
  sk_stmt_reset (stmt);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&ids);
}

gboolean
sk_db_live_rules (
    SkDatabase *self, SkLiveCounts *live, GPtrArray **rules, GPtrArray **campaigns, GError **error)
{
  if (self->rules == NULL || live->rules != self->rules_counter || live->rules < 0)
    {
      g_autoptr (GPtrArray) fresh_rules = NULL;
      g_autoptr (GPtrArray) fresh_campaigns = NULL;
      g_autoptr (GHashTable) fresh_stores = NULL;

      fresh_rules = query_live_records (self, SK_TYPE_DISCOUNT_RULE,
                                        "SELECT * FROM discount_rules WHERE is_active = 1", error);
      if (fresh_rules == NULL)
        return FALSE;
      fresh_campaigns = query_live_records (
          self, SK_TYPE_CAMPAIGN, "SELECT * FROM campaigns WHERE status IN ('scheduled', 'active')",
          error);
      if (fresh_campaigns == NULL)
        return FALSE;
      fresh_stores = query_store_ids (self, error);
      if (fresh_stores == NULL)
        return FALSE;
      g_clear_pointer (&self->rules, g_ptr_array_unref);
      g_clear_pointer (&self->campaigns, g_ptr_array_unref);
      g_clear_pointer (&self->cached_by_id, g_hash_table_unref);
      g_clear_pointer (&self->store_ids, g_hash_table_unref);
      self->rules = g_steal_pointer (&fresh_rules);
      self->campaigns = g_steal_pointer (&fresh_campaigns);
      self->cached_by_id = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < self->rules->len; i++)
        g_hash_table_insert (self->cached_by_id, ((SkDiscountRule *)self->rules->pdata[i])->id,
                             self->rules->pdata[i]);
      for (guint i = 0; i < self->campaigns->len; i++)
        g_hash_table_insert (self->cached_by_id, ((SkCampaign *)self->campaigns->pdata[i])->id,
                             self->campaigns->pdata[i]);
      self->store_ids = g_steal_pointer (&fresh_stores);
      /* Read after the counters: as new as they say, or newer. */
      self->rules_counter = live->rules;
      self->sales_counter = live->sales;
    }
  else if (live->sales != self->sales_counter || live->sales < 0)
    {
      for (guint i = 0; i < live->counts->len; i++)
        {
          const LiveCount *count = &g_array_index (live->counts, LiveCount, i);
          gpointer         record = g_hash_table_lookup (self->cached_by_id, count->id);

          if (record != NULL)
            *(gint64 *)((guint8 *)record + count->offset) = count->value;
        }
      self->sales_counter = live->sales;
    }

  *rules = g_ptr_array_ref (self->rules);
  *campaigns = g_ptr_array_ref (self->campaigns);
  return TRUE;
}

gboolean
sk_db_live_store_exists (SkDatabase *self, const char *store_id)
{
  return self->store_ids != NULL && store_id != NULL
         && g_hash_table_contains (self->store_ids, store_id);
}

/* Test hooks */

void
sk_database_set_fail_point (SkDatabase *self, const char *step)
{
  g_return_if_fail (SK_IS_DATABASE (self));
  sk_set_str (&self->fail_point, step);
}

gboolean
sk_db_fail_point_hit (SkDatabase *self, const char *step, GError **error)
{
  if (self->fail_point == NULL || !g_str_equal (self->fail_point, step))
    return FALSE;
  sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "Injected failure at step “%s”", step);
  return TRUE;
}
