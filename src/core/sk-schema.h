/* sk-schema.h: the migrations that build and upgrade the database file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* The SQL that takes the file from @version - 1 to @version. */
const char *sk_schema_migration (int version);

G_END_DECLS
