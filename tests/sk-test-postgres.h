/* sk-test-postgres.h: a new database on the test PostgreSQL server.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When SKIDKA_TEST_POSTGRES names a server (tests/with-postgres.sh), a new
 * schema there and the URI that opens it; NULL otherwise. */
char *sk_test_postgres_database (void);

G_END_DECLS
