/* sk-test-postgres.h: a new database on the test PostgreSQL server (or in a file without one).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "sk-database.h"

G_BEGIN_DECLS

/* When SKIDKA_TEST_POSTGRES names a server (tests/with-postgres.sh), a new
 * schema there and the URI that opens it; NULL otherwise. */
char *sk_test_postgres_database (void);
/* Where a test's new database goes: a new schema there when there is a
 * test PostgreSQL server, else the file @name in @dir. */
char *sk_test_database_location (const char *dir, const char *name);

/* HQ's database for a test: a new temporary folder named after
 * @tmp_template (…-XXXXXX), which *dir receives for sk_test_remove_dir, and
 * in it (or on the test PostgreSQL server, see above) a new database,
 * whose location *location receives. */
SkDatabase *sk_test_open_hq (const char *tmp_template, char **dir, char **location);

G_END_DECLS
