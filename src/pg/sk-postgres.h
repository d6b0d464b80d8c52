/* sk-postgres.h: the PostgreSQL backend of SkDatabase (libskidka-pg).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Lets sk_database_open () take "postgresql://" URIs. */
void  sk_postgres_init      (void);

/* The rewrites of SQLite's spelling (tests and curious readers). */
char *sk_postgres_translate (const char *sql,
                             int        *n_params);
char *sk_postgres_migration (int         version);

G_END_DECLS
