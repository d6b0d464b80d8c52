/* sk-database-private.h: SQL helpers shared by the store's own files.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "sk-database.h"
#include "sk-sql.h"
#include "sk-model-private.h"

G_BEGIN_DECLS

/* The SQLite handle, or NULL on another backend. */
sqlite3 *sk_database_get_handle (SkDatabase *self);
gboolean sk_db_is_sqlite (SkDatabase *self);

/* Prepared statements, cached by their SQL text. The statement comes back
 * reset and bound: @fmt has one letter per parameter, 's' const char*,
 * 'i' gint64, 'b' gboolean, 'n' no argument (NULL). */
SkStmt *sk_db_query (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...);
/* Runs a statement that returns no rows; sets a clear error on constraint
 * failures (SK_ERROR_CONFLICT) and SQLite failures (SK_ERROR_DATABASE). */
gboolean sk_db_exec (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...);
/* Runs, like sk_db_exec, a write whose outcome its caller does not look
 * at (no sk_db_changes (), no conflict to answer): inside a transaction,
 * PostgreSQL sends it with the next statement, in one round trip, and
 * that statement (the commit at the latest) fails if it failed. */
gboolean
sk_db_exec_pipelined (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...);
/* A read sent ahead, to be stepped later: inside a transaction,
 * PostgreSQL sends it with the next statement waited for (which fails if
 * it failed) and keeps its rows; elsewhere it runs at its first step. So
 * what the caller writes before that step must not matter to it, and no
 * other query of the same text may come in between. */
SkStmt *sk_db_query_ahead (SkDatabase *self, GError **error, const char *sql, const char *fmt, ...);
/* The customer @id, or the one it was merged into (customer_aliases),
 * with its children; SK_ERROR_NOT_FOUND if neither. */
SkCustomer *sk_db_get_customer_or_survivor (SkDatabase *self, const char *id, GError **error);
/* Its query sent ahead (sk_db_query_ahead), and a customer read from the
 * rows of such a query for @id. */
SkStmt     *sk_db_send_customer_or_survivor (SkDatabase *self, const char *id, GError **error);
SkCustomer *sk_db_read_customer (SkDatabase *self, SkStmt *stmt, const char *id, GError **error);
/* Waits for the statements sk_db_exec_pipelined () sent: FALSE with the
 * first failure among them. */
gboolean sk_db_flush (SkDatabase *self, GError **error);
/* The next row, with the error mapping of sk_db_exec: TRUE and *has_row,
 * or TRUE and !*has_row when there are no more. */
gboolean sk_db_step (SkDatabase *self, SkStmt *stmt, gboolean *has_row, GError **error);
/* Steps a statement that returns no rows, and resets it. */
gboolean sk_db_step_done (SkDatabase *self, SkStmt *stmt, GError **error);
/* A cached statement, unbound (for statements bound column by column). */
SkStmt *sk_db_prepare (SkDatabase *self, const char *sql, GError **error);
/* Several statements without parameters. */
gboolean sk_db_exec_script (SkDatabase *self, const char *sql, GError **error);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
gint64 sk_db_changes (SkDatabase *self);
/* Single integer result of a query (fallback when there is no row). */
gint64 sk_db_query_int (
    SkDatabase *self, GError **error, gint64 fallback, const char *sql, const char *fmt, ...);

/* The text of a named statement for this connection's backend. */
const char *sk_db_sql (SkDatabase *self, SkSqlStatement name);

/* Nested transactions: the outermost begins IMMEDIATE and commits; inner
 * ones are savepoints. */
gboolean sk_db_begin (SkDatabase *self, GError **error);
/* The same for a writer that locks, in this order, the rows it must not
 * race on: the device (sk_db_lock_device), the customer
 * (sk_db_lock_customer), then rules and campaigns in id order. On PostgreSQL such
 * writers run together (a sale of one till beside another's); a writer
 * of sk_db_begin runs alone. A lost race fails with G_IO_ERROR_BUSY. */
gboolean sk_db_begin_concurrent (SkDatabase *self, GError **error);
/* Locks the customer's row until the transaction ends: its balance and
 * figures are read and written by one writer at a time. TRUE also when
 * there is no such customer. PostgreSQL sends the lock with the next
 * statement, which waits for it (and fails if it failed). */
gboolean sk_db_lock_customer (SkDatabase *self, const char *customer_id, GError **error);
/* Locks a till's row: the events it pushes are looked up, applied and
 * acknowledged by one writer at a time. The lock is sent ahead
 * (sk_db_query_ahead): the row it returns, if any, gives the sequence the
 * device has acknowledged so far. */
SkStmt  *sk_db_lock_device (SkDatabase *self, const char *device_id, GError **error);
gboolean sk_db_commit (SkDatabase *self, GError **error);
void     sk_db_rollback (SkDatabase *self);

/* A page of records of @type, newest first by (created_at, id), after
 * @cursor (NULL: from the newest; a cursor is the time and id of the last
 * record given). @sql selects the rows after ?1 (created_at) and ?2 (id),
 * newest first, LIMIT ?3, with @filter1 as ?4 and, if it uses ?5 and ?6,
 * @filter2 and @filter3 (NULL is bound as ''). *next_cursor is NULL on
 * the last page. */
GPtrArray *sk_db_query_page (SkDatabase *self,
                             GType       type,
                             const char *sql,
                             const char *filter1,
                             const char *filter2,
                             const char *filter3,
                             const char *cursor,
                             guint       limit,
                             char      **next_cursor,
                             GError    **error);

/* Records <-> rows by field name. STRV columns hold JSON arrays, TIME
 * columns microseconds (NULL = not set), BOOL 0/1. */
gpointer   sk_db_row_to_record (SkStmt *stmt, GType type);
GPtrArray *sk_db_query_records (SkDatabase *self, SkStmt *stmt, GType type, GError **error);
/* Every row of @stmt (NULL: the query failed, its error is set) made into
 * an item by @from_row, in an array that frees them with @free_func; the
 * statement is reset. NULL on an error. */
typedef gpointer (*SkRowFunc) (SkStmt *stmt, gpointer data);
GPtrArray *sk_db_query_rows (SkDatabase    *self,
                             SkStmt        *stmt,
                             SkRowFunc      from_row,
                             gpointer       data,
                             GDestroyNotify free_func,
                             GError       **error);
/* INSERT of every column of @record's field table that @table has. */
gboolean
sk_db_insert_record (SkDatabase *self, const char *table, SkRecord *record, GError **error);
/* The same insert sent as sk_db_exec_pipelined () sends. */
gboolean sk_db_insert_record_pipelined (SkDatabase *self,
                                        const char *table,
                                        SkRecord   *record,
                                        GError    **error);

char *sk_strv_to_json (char **strv);

/* Sync outbox: an event per change, in the same transaction. */
gboolean sk_db_outbox_add (SkDatabase *self,
                           const char *entity,
                           const char *entity_id,
                           const char *op,
                           JsonNode   *payload,
                           GError    **error);
/* The customer's cached balance moves and the ledger row goes in together,
 * under @id (NULL: a new UUID): a movement a till made offline keeps the id
 * the till gave it, so the ledger's key refuses it twice. With @balance,
 * the balance the caller read under the customer's lock, which it moves to
 * the new one and writes itself in the same transaction. */
SkBonusTransaction *sk_db_ledger_append (SkDatabase *self,
                                         gint64     *balance,
                                         const char *id,
                                         const char *customer_id,
                                         const char *kind,
                                         gint64      amount,
                                         const char *reason,
                                         const char *purchase_id,
                                         const char *store_id,
                                         gint64      created_at,
                                         gint64      expires_at,
                                         GError    **error);
/* The rows of a purchase and its lines, as sk_sale_to_purchase made them
 * (the pipeline and the demo's bulk path write through it), sent as
 * sk_db_exec_pipelined () sends: a purchase recorded before fails a later
 * statement, or sk_db_flush (). Its updated_at, when not set, is now. */
gboolean sk_db_insert_purchase (SkDatabase *self, SkPurchase *purchase, GError **error);
/* Steps 4-8 of a sale whose figures are known (SPEC 4, "Processing a
 * purchase"): the purchase and its lines, its discount applications with
 * the usage counts and campaign spend they move, the ledger (spend, then
 * accrual), the notification, the customer's statistics and segment. @calc
 * is the engine's result the figures came from, or NULL for a sale recorded
 * as a till made it offline (its own applications). The spend is not
 * checked against the balance here: a balance that goes below zero flags
 * the customer. @digest (may be NULL) is kept as the request's. @customer
 * (NULL: anonymous) is updated to what was written. Runs inside the
 * caller's transaction; on FALSE the caller rolls back. */
gboolean sk_db_record_sale (SkDatabase           *self,
                            SkPurchase           *purchase,
                            const SkEngineResult *calc,
                            const char           *digest,
                            SkStore              *store,
                            SkCustomer           *customer,
                            gint64                now,
                            GError              **error);
/* The settings a sale reads, in one query sent ahead (sk_db_query_ahead),
 * and what it read: the segments' thresholds (their defaults where unset)
 * and, if @expiry_days, the days bonuses earned last (0: for ever). */
SkStmt  *sk_db_send_sale_settings (SkDatabase *self, GError **error);
gboolean sk_db_read_sale_settings (
    SkDatabase *self, SkStmt *stmt, SkSegmentThresholds *out, gint64 *expiry_days, GError **error);
/* Recomputes one customer's segment, keeping history; *segment_out (may be
 * NULL) gets the segment now. */
gboolean sk_db_update_customer_segment (SkDatabase  *self,
                                        const char  *customer_id,
                                        gint64       now,
                                        const char **segment_out,
                                        GError     **error);
char    *sk_name_key (const char *full_name);
/* Inserts @purchase as it is, with its lines (and what came back of them)
 * and its discount applications (an import, a sale another till made):
 * nothing else moves. */
gboolean sk_db_insert_purchase_as_is (SkDatabase *self, SkPurchase *purchase, GError **error);
/* Moves the rules @campaign's rule_ids name into it and the others out
 * (each a version more), in the caller's transaction. */
gboolean sk_db_set_campaign_rules (SkDatabase *self, SkCampaign *campaign, GError **error);
/* The search key and children of a customer row just written. */
gboolean sk_db_save_customer_extras (SkDatabase *self, SkCustomer *customer, GError **error);
/* Only its children: the caller wrote name_key. */
gboolean sk_db_save_customer_children (SkDatabase *self, SkCustomer *customer, GError **error);
void     sk_db_bind_field (SkStmt *stmt, int index, SkRecord *record, const SkField *field);
gboolean sk_str_is_blank (const char *text);

/* The active rules, the live-able campaigns and the store ids, kept in
 * memory until the 'rules' change counter moves (an edit of any of them).
 * `uses` and `spent` of the rules and campaigns that have a limit or a budget
 * are kept too, until the 'sales' counter moves (a sale or refund that
 * changed one; see migration 8). A calculation reads both counters, the
 * counts when the 'sales' counter differs from the one seen, and the
 * customer's segment and rule uses in one query (sk_db_query_engine_context),
 * so it is one round trip. Reading the counts only when they changed, and no
 * store row at all, made that query cost PostgreSQL a quarter less. */
typedef struct _SkLiveCounts SkLiveCounts;
SkLiveCounts                *sk_live_counts_new (void);
void                         sk_live_counts_free (SkLiveCounts *live);
/* The rows of what a calculation needs, told apart by their first column:
 * 'customer' (segment), 'customer_uses' (rule id, uses), and the rows
 * sk_live_counts_add_row takes; sorted by that column. */
SkStmt *sk_db_query_engine_context (SkDatabase *self, const char *customer_id, GError **error);
/* Takes a row of sk_db_query_engine_context about the live rules ('counter',
 * 'rule_uses', 'campaign_spent'); FALSE for a row of another kind. */
gboolean sk_live_counts_add_row (SkLiveCounts *live, SkStmt *stmt);
/* Returns new references to the shared arrays. */
gboolean sk_db_live_rules (
    SkDatabase *self, SkLiveCounts *live, GPtrArray **rules, GPtrArray **campaigns, GError **error);
/* Whether the store exists, as of the last sk_db_live_rules (). */
gboolean sk_db_live_store_exists (SkDatabase *self, const char *store_id);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkLiveCounts, sk_live_counts_free)

/* Tests only: make the pipeline fail at a named step ("lines",
 * "applications", "bonus", "notification", "segment", "outbox"). */
void     sk_database_set_fail_point (SkDatabase *self, const char *step);
gboolean sk_db_fail_point_hit (SkDatabase *self, const char *step, GError **error);
/* Tests only: open and migrate no further than @version. */
SkDatabase *sk_database_open_at_version (const char *path, int version, GError **error);

G_END_DECLS
