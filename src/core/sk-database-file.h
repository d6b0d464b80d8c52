/* sk-database-file.h: the database as a whole: a consistent copy of a
 * SQLite file while it is in use, putting such a copy back (skidka-server
 * admin backup|restore), and whether a connection can still use it
 * (GET /api/health).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* Copies the SQLite file @database to @backup with SQLite's online backup
 * API, as one snapshot even while other connections write (they are not
 * stopped: WAL readers do not block writers). @backup is written next to
 * its final name and renamed into place, so it is never half there; it is
 * a self-contained file (no -wal beside it). A "postgresql://" URI is
 * refused: pg_dump is PostgreSQL's tool for that. */
gboolean sk_database_backup_file (const char *database, const char *backup, GError **error);

/* Replaces the contents of the SQLite file @database (created if missing)
 * with @backup, after checking that @backup is an intact Skidka database
 * no newer than this program; then upgrades it to the current schema.
 * Nothing is changed when a check fails. Stop the server first: a running
 * server keeps what it has cached. */
gboolean sk_database_restore_file (const char *backup, const char *database, GError **error);

/* Can @self still serve requests? Runs a query that reads the database
 * and, on SQLite, checks that the file at the path is still the one open
 * (not deleted, renamed or replaced) and that it may be read and written. */
gboolean sk_database_check (SkDatabase *self, GError **error);

G_END_DECLS
