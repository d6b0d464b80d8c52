/* sk-sql-sqlite.h: what the SQLite backend gives beyond SkSqlBackend.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "sk-sql.h"

G_BEGIN_DECLS

sqlite3 *sk_sql_sqlite_handle (SkSqlConn *conn);

G_END_DECLS
