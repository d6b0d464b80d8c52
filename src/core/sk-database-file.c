/* sk-database-file.c: online backup and restore of a SQLite database file,
 * and the health check of a connection.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "sk-database-file.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-sync-till.h"

/* How long a step waits for a writer's lock before giving up. */
#define BUSY_TIMEOUT_MS 10000

static gboolean
refuse_uri (const char *location, const char *tool, GError **error)
{
  if (!sk_database_is_uri (location))
    return FALSE;
  sk_set_field_error (error, SK_ERROR_INVALID, NULL,
                      _ ("This works on a SQLite file; for a PostgreSQL database use %s"), tool);
  return TRUE;
}

static sqlite3 *
open_file (const char *path, int flags, GError **error)
{
  sqlite3 *handle = NULL;
  int      rc = sqlite3_open_v2 (path, &handle, flags | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("Cannot open “%s”: %s"), path,
                          handle ? sqlite3_errmsg (handle) : sqlite3_errstr (rc));
      sqlite3_close_v2 (handle);
      return NULL;
    }
  sqlite3_busy_timeout (handle, BUSY_TIMEOUT_MS);
  return handle;
}

/* Copies every page of @from into @to in one step, that is in one read
 * transaction of @from: a snapshot, whatever other connections commit. */
static gboolean
copy_pages (sqlite3 *to, sqlite3 *from, const char *what, GError **error)
{
  sqlite3_backup *backup = sqlite3_backup_init (to, "main", from, "main");
  int             rc;
  int             waited_ms = 0;

  if (backup == NULL)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s: %s", what, sqlite3_errmsg (to));
      return FALSE;
    }
  while ((rc = sqlite3_backup_step (backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
    {
      if (waited_ms >= BUSY_TIMEOUT_MS)
        break;
      sqlite3_sleep (50);
      waited_ms += 50;
    }
  sqlite3_backup_finish (backup);
  if (rc != SQLITE_DONE)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s: %s", what, sqlite3_errstr (rc));
      return FALSE;
    }
  return TRUE;
}

static gboolean
exec (sqlite3 *handle, const char *sql, const char *what, GError **error)
{
  int rc = sqlite3_exec (handle, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s: %s", what, sqlite3_errmsg (handle));
      return FALSE;
    }
  return TRUE;
}

static gboolean
query_int (sqlite3 *handle, const char *sql, gint64 *value)
{
  sqlite3_stmt *stmt = NULL;
  gboolean      ok = sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL) == SQLITE_OK
                && sqlite3_step (stmt) == SQLITE_ROW;

  if (ok)
    *value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return ok;
}

/* Is @handle an intact Skidka database that this program can open? */
static gboolean
check_skidka_file (sqlite3 *handle, const char *path, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean      intact;
  gint64        version = 0, tables = 0;

  intact = sqlite3_prepare_v2 (handle, "PRAGMA quick_check", -1, &stmt, NULL) == SQLITE_OK
           && sqlite3_step (stmt) == SQLITE_ROW
           && g_strcmp0 ((const char *)sqlite3_column_text (stmt, 0), "ok") == 0;
  sqlite3_finalize (stmt);
  if (!intact)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, NULL,
                          _ ("“%s” is not an intact SQLite database"), path);
      return FALSE;
    }
  if (!query_int (handle, "PRAGMA user_version", &version)
      || !query_int (handle,
                     "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                     " AND name IN ('customers', 'purchases', 'settings')",
                     &tables)
      || version < 1 || tables != 3)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, NULL, _ ("“%s” is not a Skidka database"), path);
      return FALSE;
    }
  if (version > SK_SCHEMA_VERSION)
    {
      sk_set_field_error (error, SK_ERROR_SCHEMA_TOO_NEW, NULL,
                          _ ("“%s” was made by a newer Skidka (schema %d, this one knows %d)"),
                          path, (int)version, SK_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

gboolean
sk_database_backup_file (const char *database, const char *backup, GError **error)
{
  g_autofree char *dir = NULL, *partial = NULL;
  sqlite3         *from = NULL, *to = NULL;
  gboolean         ok = FALSE;
  int              fd;

  g_return_val_if_fail (database != NULL, FALSE);
  g_return_val_if_fail (backup != NULL, FALSE);

  if (refuse_uri (database, "pg_dump", error))
    return FALSE;
  /* Read-only and never created: a mistyped path is an error, not an
   * empty backup. */
  from = open_file (database, SQLITE_OPEN_READONLY, error);
  if (from == NULL)
    return FALSE;
  if (!check_skidka_file (from, database, error))
    goto out;

  dir = g_path_get_dirname (backup);
  partial = g_build_filename (dir, ".skidka-backup-XXXXXX", NULL);
  fd = g_mkstemp_full (partial, O_RDWR, 0600);
  if (fd < 0)
    {
      int saved = errno;

      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("Cannot write in “%s”: %s"), dir,
                          g_strerror (saved));
      g_clear_pointer (&partial, g_free);
      goto out;
    }
  close (fd);
  to = open_file (partial, SQLITE_OPEN_READWRITE, error);
  ok = to != NULL
       && copy_pages (to, from, database, error)
       /* One file, no -wal beside it. */
       && exec (to, "PRAGMA journal_mode = DELETE", partial, error)
       && check_skidka_file (to, partial, error);
  if (to != NULL && sqlite3_close (to) != SQLITE_OK && ok)
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, "%s: %s", partial, sqlite3_errmsg (to));
      ok = FALSE;
    }
  if (ok && g_rename (partial, backup) != 0)
    {
      int saved = errno;

      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("Cannot write “%s”: %s"), backup,
                          g_strerror (saved));
      ok = FALSE;
    }

out:
  if (!ok && partial != NULL)
    g_unlink (partial);
  sqlite3_close_v2 (from);
  return ok;
}

gboolean
sk_database_restore_file (const char *backup, const char *database, GError **error)
{
  g_autoptr (SkDatabase) upgraded = NULL;
  sqlite3 *from = NULL, *to = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (backup != NULL, FALSE);
  g_return_val_if_fail (database != NULL, FALSE);

  if (refuse_uri (database, "pg_restore", error))
    return FALSE;
  from = open_file (backup, SQLITE_OPEN_READONLY, error);
  if (from == NULL || !check_skidka_file (from, backup, error))
    goto out;
  to = open_file (database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, error);
  ok = to != NULL && copy_pages (to, from, database, error);

out:
  sqlite3_close_v2 (to);
  sqlite3_close_v2 (from);
  if (!ok)
    return FALSE;
  /* A backup of an older Skidka: up to this one's schema now. A till's
   * asks HQ for its store's sales of the last days again, its own
   * included: those it pushed after the backup are not in it. */
  upgraded = sk_database_open (database, error);
  return upgraded != NULL
         && sk_db_exec (upgraded, error, "DELETE FROM settings WHERE key = ?", "s",
                        SK_SETTING_SYNC_SALES_SINCE);
}

gboolean
sk_database_check (SkDatabase *self, GError **error)
{
  sqlite3 *handle;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);

  handle = sk_database_get_handle (self);
  if (handle != NULL)
    {
      const char *path = sqlite3_db_filename (handle, "main");
      int         moved = 0;
      /* A database in memory has no file that could move (NOTFOUND). */
      int rc = sqlite3_file_control (handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved);

      if ((rc != SQLITE_OK && rc != SQLITE_NOTFOUND) || moved)
        {
          sk_set_field_error (error, SK_ERROR_DATABASE, NULL,
                              _ ("The database file “%s” was deleted, moved or replaced"), path);
          return FALSE;
        }
      if (path != NULL && *path != '\0' && g_access (path, R_OK | W_OK) != 0)
        {
          int saved = errno;

          sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("Cannot use “%s”: %s"), path,
                              g_strerror (saved));
          return FALSE;
        }
    }
  /* Reads a table: a broken connection or file fails here. */
  sk_db_query_int (self, &local_error, -1, "SELECT count(*) FROM settings", NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
