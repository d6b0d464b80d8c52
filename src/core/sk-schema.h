/* sk-schema.h: the migrations that build and upgrade the database file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* The SQL that takes the file from @version - 1 to @version. */
const char *sk_schema_migration (int version);
/* SQLite: the change feed begun again from the file's records, with a new
 * epoch, for a server to keep (sk_database_keep_change_feed). */
const char *sk_schema_feed_restart (void);

G_END_DECLS
