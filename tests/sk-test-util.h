/* sk-test-util.h: helpers the core's test programs share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "sk-accounts.h"
#include "sk-database.h"

G_BEGIN_DECLS

/* The sale tests' fixture (ledger, pipeline, sale): a database in a
 * temporary folder, one store and one customer. */
typedef struct
{
  char       *dir;
  SkDatabase *db;
  SkStore    *store;
  SkCustomer *anna;
} SkTestShop;

/* Frees what a SkTestShop holds and removes its folder. */
void sk_test_shop_teardown (SkTestShop *f, gconstpointer data);
/* Adds the test @func at @path, run on a shop that @setup fills. */
#define sk_test_shop_add(path, setup, func)                                                        \
  g_test_add ((path), SkTestShop, NULL, (setup), (func), sk_test_shop_teardown)

void sk_test_set_string (char **field, const char *value);
/* Removes a temporary folder and the files in it; asserts it could. */
void sk_test_remove_dir (const char *dir);
/* A stored customer with this name and phone. */
SkCustomer *sk_test_create_customer (SkDatabase *db, const char *full_name, const char *phone);
/* Makes every COMMIT that wrote a sync event fail, as a full disk or a
 * deferred constraint would: the event drags in a row whose deferred
 * foreign key points nowhere. */
void sk_test_break_commits (SkDatabase *db, gboolean broken);
/* A new database "skidka.db" in a new temporary folder named after
 * template (…-XXXXXX), which *dir receives for sk_test_remove_dir. */
SkDatabase *sk_test_open_database (const char *tmp_template, char **dir);
/* The password hash of sk_test_account_new's accounts (no real one). */
#define SK_TEST_PASSWORD_HASH "$argon2id$not-a-real-hash"
/* An account with this name, role and store (copied), not yet saved. */
SkAccount *sk_test_account_new (const char *username, SkRole role, const char *store_id);
/* A store with this code and name, not yet saved. */
SkStore *sk_test_store_new (const char *code, const char *name);
/* A rule with this name, type, value and (unless NULL) one category, not
 * yet saved. */
SkDiscountRule *
sk_test_rule_new (const char *name, const char *type, gint64 value, const char *category);
/* Saves @rule in @db, which must accept it; returns @rule, so that a new
 * rule is made and saved in one call. */
SkDiscountRule *sk_test_save_rule (SkDatabase *db, SkDiscountRule *rule);
/* One integer from SQL with at most one text parameter, outside the
 * store's statement cache. */
gint64 sk_test_query_int (SkDatabase *db, const char *sql, const char *arg);
/* The same on a SQLite handle of the test's own. */
gint64 sk_test_sqlite_int (sqlite3 *handle, const char *sql, const char *arg);
/* Runs SQL straight on the connection; aborts the test if it fails. */
void sk_test_exec_sql (SkDatabase *db, const char *sql);
/* A database at @location made before returns kept their discount and
 * bonuses with the purchase: the upgrade works them out from the refunds
 * and the lines, and the charts count the return at once. */
void sk_test_refund_figures_upgrade (const char *location);
/* The change of @entity @id in a list of sync changes (the feed's or a
 * pull's), or NULL; fails the test if it is there twice. */
JsonObject *sk_test_find_change (JsonArray *changes, const char *entity, const char *id);

/* A GAsyncReadyCallback keeping a reference to the result in
 * *(GAsyncResult **) user_data; sk_test_wait_result iterates the default
 * main context until it is there. */
void sk_test_keep_result (GObject *source, GAsyncResult *result, gpointer user_data);
void sk_test_wait_result (GAsyncResult **result);
/* @text as a JSON object; the test fails when it is not one. */
JsonObject *sk_test_parse_object (const char *text);

/* What a run of skidka-cli (SKIDKA_CLI) gave. */
typedef struct
{
  int   status;
  char *out;
  char *err;
} SkTestRun;

void sk_test_run_free (SkTestRun *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkTestRun, sk_test_run_free)

/* Runs the CLI with @args (NULL-terminated), @input on its stdin and, if
 * @bulk, the demo's bulk path forced; a crash fails the test. */
SkTestRun *sk_test_run_cli_full (const char *input, gboolean bulk, const char *const *args);
#define sk_test_run_cli(input, ...)                                                                \
  sk_test_run_cli_full ((input), FALSE, (const char *const[]){ __VA_ARGS__, NULL })
#define sk_test_run_cli_bulk(input, ...)                                                           \
  sk_test_run_cli_full ((input), TRUE, (const char *const[]){ __VA_ARGS__, NULL })
/* The same on a clock @clock off the machine's (faketime's offset:
 * "+30d", "-1y"), as a till whose clock is wrong does. */
SkTestRun *sk_test_run_cli_at_full (const char *clock, const char *input, const char *const *args);
#define sk_test_run_cli_at(clock, input, ...)                                                      \
  sk_test_run_cli_at_full ((clock), (input), (const char *const[]){ __VA_ARGS__, NULL })
/* Runs @argv (NULL-terminated, the program first) with @input on its
 * stdin; a crash fails the test. */
SkTestRun *sk_test_run_program (const char *input, const char *const *argv);
/* Reads skidka-server's log from @server's stderr (a pipe) up to the line
 * saying where it listens: that port, or 0 when the log ended first. The
 * pipe stays open. */
guint sk_test_server_log_port (GSubprocess *server);
/* Fails the test unless the run exited 0. */
void sk_test_assert_ok (SkTestRun *run);
/* A failure: @status, one clear line on stderr with @words (NULL: any),
 * nothing on stdout. */
void sk_test_assert_fails (SkTestRun *run, int status, const char *words);

G_END_DECLS
