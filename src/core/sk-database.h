/* sk-database.h: the local SQLite store: one file, numbered migrations, and
 * every operation of the till (customers, rules, bonuses, purchases).
 * A SkDatabase is used from one thread at a time; open one per thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sk-discount-engine.h"
#include "sk-model.h"
#include "sk-products-csv.h"

G_BEGIN_DECLS

#define SK_SCHEMA_VERSION 25

#define SK_TYPE_DATABASE (sk_database_get_type ())
G_DECLARE_FINAL_TYPE (SkDatabase, sk_database, SK, DATABASE, GObject)

/* Opens (creating if needed) and upgrades the file; refuses a file made by a
 * newer Skidka with SK_ERROR_SCHEMA_TOO_NEW. ":memory:" works for tests.
 * A "postgresql://" URI opens a PostgreSQL database instead, once
 * sk_postgres_init () has registered that backend (the server does). */
SkDatabase *sk_database_open (const char *path, GError **error);
int         sk_database_get_schema_version (SkDatabase *self);
/* Is @location a database server's URI ("postgresql://...") rather than a file? */
gboolean sk_database_is_uri (const char *location);
/* "sqlite" or "postgresql". */
const char *sk_database_get_backend_name (SkDatabase *self);
/* How many writes this connection has begun: outermost transactions, and
 * statements run outside one. The server checks with it that a request
 * that writes holds its write lock. */
guint64     sk_database_get_writes (SkDatabase *self);
const char *sk_database_get_path (SkDatabase *self);
/* This till's identity for sync (made once, kept in settings). */
const char *sk_database_get_device_id (SkDatabase *self);

/* Settings (chain-wide knobs kept in the file) */
char  *sk_database_get_setting (SkDatabase *self, const char *key);
gint64 sk_database_get_setting_int (SkDatabase *self, const char *key, gint64 fallback);
gboolean
sk_database_set_setting (SkDatabase *self, const char *key, const char *value, GError **error);
#define SK_SETTING_BONUS_EXPIRY_DAYS "bonus_expiry_days"

/* Validation and normalisation of user input */
char    *sk_normalize_phone (const char *input, GError **error);
gboolean sk_discount_rule_validate (SkDiscountRule *rule, GError **error);
gboolean sk_campaign_validate (SkCampaign *campaign, GError **error);

/* Stores */
gboolean   sk_database_save_store (SkDatabase *self, SkStore *store, GError **error);
SkStore   *sk_database_get_store (SkDatabase *self, const char *id, GError **error);
GPtrArray *sk_database_list_stores (SkDatabase *self, GError **error);

/* Products (the chain's price list, edited at HQ; sk-database-products.c).
 * Save validates (sk_product_validate), gives the category the spelling it
 * already has in the file when one matches without regard to case, and
 * inserts (version 0: a SKU taken is SK_ERROR_CONFLICT) or updates with
 * the version check (SK_ERROR_STALE), bumping the version. A barcode
 * another product has is SK_ERROR_CONFLICT. */
gboolean   sk_database_save_product (SkDatabase *self, SkProduct *product, GError **error);
SkProduct *sk_database_get_product (SkDatabase *self, const char *sku, GError **error);
/* What a scanner read or a cashier typed: the product with that barcode,
 * or else with that SKU; SK_ERROR_NOT_FOUND when neither. */
SkProduct *sk_database_find_product_by_code (SkDatabase *self, const char *code, GError **error);
/* Removes @sku; @version > 0 must be its version (SK_ERROR_STALE). Tills
 * learn it from the change feed's tombstone. */
gboolean
sk_database_delete_product (SkDatabase *self, const char *sku, gint64 version, GError **error);
/* Every product, by category and name. */
GPtrArray *sk_database_list_products (SkDatabase *self, GError **error);
/* A page of products by SKU, of those whose SKU, name, category or barcode
 * holds @query regardless of case (NULL or empty: all), after @cursor
 * (NULL: from the start; else a *next_cursor given before, which is NULL
 * on the last page). */
GPtrArray *sk_database_search_products (SkDatabase *self,
                                        const char *query,
                                        const char *cursor,
                                        guint       limit,
                                        char      **next_cursor,
                                        GError    **error);

typedef struct
{
  gint64 created;
  gint64 updated;
  gint64 unchanged;
} SkProductImport;

/* An import's counts as the server answers them and the CLI prints them:
 * {"created", "updated", "unchanged"}. */
JsonNode *sk_product_import_to_json (const SkProductImport *counts);
/* And back (HQ's answer to an import); FALSE if @node is no object. */
gboolean sk_product_import_from_json (JsonNode *node, SkProductImport *counts);

/* Writes the products of a parsed price list (sk-products-csv.h), an
 * upsert by SKU, all or nothing, in one transaction. A file with errors is
 * refused untouched; a barcode that another product (one not in the file)
 * has is added to @csv's errors with its line, and nothing is written.
 * Both give SK_ERROR_MALFORMED (sk_products_csv_set_error). */
gboolean sk_database_import_products (SkDatabase      *self,
                                      SkProductsCsv   *csv,
                                      SkProductImport *counts,
                                      GError         **error);

/* Customers. Create assigns id (if none), created_at and segment "new" and
 * normalises the phone; update checks customer->version against the stored
 * one (SK_ERROR_STALE) and bumps it. Duplicate card or phone: SK_ERROR_CONFLICT. */
gboolean    sk_database_create_customer (SkDatabase *self, SkCustomer *customer, GError **error);
gboolean    sk_database_update_customer (SkDatabase *self, SkCustomer *customer, GError **error);
SkCustomer *sk_database_get_customer (SkDatabase *self, const char *id, GError **error);
/* By card barcode or phone, as a till scans or types it. */
SkCustomer *
sk_database_lookup_customer (SkDatabase *self, const char *card_or_phone, GError **error);
/* Phone, card or name prefix (@query NULL or empty: everyone, by name).
 * @cursor: NULL or the *next_cursor of the previous page. */
GPtrArray *sk_database_search_customers (SkDatabase *self,
                                         const char *query,
                                         const char *cursor,
                                         guint       limit,
                                         char      **next_cursor,
                                         GError    **error);
gint64     sk_database_count_customers (SkDatabase *self, GError **error);
/* For a lazy list: how many customers @query matches (at most @max when
 * @max > 0), and @limit of them from @offset, in the order of the search
 * above. @n_total: the count if known (>= 0) so a page near the end is read
 * from the far end. */
gint64     sk_database_count_search_customers (SkDatabase *self,
                                               const char *query,
                                               gint64      max,
                                               GError    **error);
GPtrArray *sk_database_search_customers_at (SkDatabase *self,
                                            const char *query,
                                            gint64      offset,
                                            guint       limit,
                                            gint64      n_total,
                                            GError    **error);
GPtrArray *
sk_database_list_purchases (SkDatabase *self, const char *customer_id, guint limit, GError **error);
/* A page of a customer's purchases, newest first, of one store when
 * @store_id is set (see sk_database_list_notifications for @cursor). */
GPtrArray *sk_database_list_purchases_page (SkDatabase *self,
                                            const char *customer_id,
                                            const char *store_id,
                                            const char *cursor,
                                            guint       limit,
                                            char      **next_cursor,
                                            GError    **error);
/* Has @customer_id bought at @store_id (a sale there, refunded or not)? The
 * server's policy counts such a customer as one of that store's. */
gboolean sk_database_customer_bought_at (SkDatabase *self,
                                         const char *customer_id,
                                         const char *store_id,
                                         gboolean   *bought,
                                         GError    **error);
/* Purchases of every customer in [@from, @to), newest first, with lines. */
GPtrArray *sk_database_list_purchases_between (
    SkDatabase *self, gint64 from, gint64 to, guint limit, GError **error);
SkPurchase *sk_database_get_purchase (SkDatabase *self, const char *id, GError **error);
/* The sales at @store_id (NULL: every store) whose receipt number (the
 * id's first characters, as sk_receipt_format prints them; case, spaces
 * and a word before it, "Receipt", do not matter) starts with @receipt
 * (NULL or "": any), newest
 * first, with lines: what a till looks up to take a return. */
GPtrArray *sk_database_find_sales (
    SkDatabase *self, const char *store_id, const char *receipt, guint limit, GError **error);
/* The sales at @store_id last written at or after @updated_since
 * (microseconds: recorded, at HQ when they reached it, or returned in
 * part), with lines and discounts, a page at a time: newest first after
 * @cursor (NULL: from the newest), *next_cursor NULL on the last page.
 * What a till keeps of its store's sales, to take a return of another
 * till's while HQ is out of reach; @except_device (may be NULL), the
 * till's, leaves out the sales it pushed that nobody took back. */
GPtrArray *sk_database_list_sales_updated (SkDatabase *self,
                                           const char *store_id,
                                           gint64      updated_since,
                                           const char *except_device,
                                           const char *cursor,
                                           guint       limit,
                                           char      **next_cursor,
                                           GError    **error);

/* Rules and campaigns. Save validates, inserts (assigning an id) or updates
 * with the version check. A campaign's rule_ids, when set, also moves the
 * listed rules into it and the others out of it, in the same transaction. */
gboolean        sk_database_save_rule (SkDatabase *self, SkDiscountRule *rule, GError **error);
SkDiscountRule *sk_database_get_rule (SkDatabase *self, const char *id, GError **error);
GPtrArray      *sk_database_list_rules (SkDatabase *self, GError **error);
gboolean        sk_database_save_campaign (SkDatabase *self, SkCampaign *campaign, GError **error);
SkCampaign     *sk_database_get_campaign (SkDatabase *self, const char *id, GError **error);
GPtrArray      *sk_database_list_campaigns (SkDatabase *self, GError **error);

/* What the engine gives this cart now, against the rules in the file. */
SkEngineResult *sk_database_calculate (
    SkDatabase *self, const SkCart *cart, const char *customer_id, gint64 now, GError **error);

/* The rules open to this customer (NULL: anonymous) in this store now,
 * before a cart is known (see sk_discount_engine_available). */
SkEngineResult *sk_database_available_discounts (
    SkDatabase *self, const char *store_id, const char *customer_id, gint64 now, GError **error);

/* Bonus ledger */
SkBonusTransaction *sk_database_bonus_manual (SkDatabase *self,
                                              const char *customer_id,
                                              const char *kind,
                                              gint64      amount,
                                              const char *reason,
                                              const char *store_id,
                                              GError    **error);
GPtrArray *
sk_database_list_bonus_transactions (SkDatabase *self, const char *customer_id, GError **error);
/* A page of a customer's ledger, newest first (see
 * sk_database_list_notifications for @cursor and @next_cursor). */
GPtrArray *sk_database_list_bonus_transactions_page (SkDatabase *self,
                                                     const char *customer_id,
                                                     const char *cursor,
                                                     guint       limit,
                                                     char      **next_cursor,
                                                     GError    **error);
/* The sum of the ledger, for checks: must equal the cached balance. */
gint64 sk_database_ledger_sum (SkDatabase *self, const char *customer_id, GError **error);
/* Writes `expire` transactions for bonuses older than the chain's expiry
 * (oldest spent first); returns the amount expired, 0 when expiry is off. */
gint64 sk_database_expire_bonuses (SkDatabase *self, gint64 now, GError **error);

/* The purchase pipeline (SPEC 4, "Processing a purchase") */
typedef struct
{
  char   *id;          /* client UUID: replays return the first result */
  char   *customer_id; /* NULL: anonymous */
  SkCart *cart;
  gint64  bonus_to_spend;
  gint64  created_at; /* 0: now */
  /* Set: a replay of a sale made at another store is refused
   * (SK_ERROR_FORBIDDEN) before anything of that sale is read. */
  char *visible_store_id;
} SkPurchaseRequest;

typedef struct
{
  SkPurchase *purchase;
  SkCustomer *customer; /* NULL for an anonymous sale */
  gboolean    replayed; /* the id was processed before: nothing written */
} SkPurchaseResult;

SkPurchaseRequest *sk_purchase_request_from_json (JsonObject *object, GError **error);
void               sk_purchase_request_free (SkPurchaseRequest *request);
SkPurchaseResult *
sk_database_process_purchase (SkDatabase *self, SkPurchaseRequest *request, GError **error);
JsonNode *sk_purchase_result_to_json (SkPurchaseResult *result);
void      sk_purchase_result_free (SkPurchaseResult *result);

typedef struct
{
  gint64 line_no;
  gint64 quantity;
} SkRefundLine;

/* Refunds @lines (SkRefundLine; NULL = everything not yet refunded) of a
 * purchase: bonuses and discount usage reverse pro rata. Idempotent by
 * @refund_id. Returns the purchase as it is after the refund. */
SkPurchase *sk_database_refund_purchase (SkDatabase *self,
                                         const char *refund_id,
                                         const char *purchase_id,
                                         GArray     *lines,
                                         GError    **error);

/* Segments */
typedef struct
{
  gint64 vip_visits;
  gint64 vip_spent;
  gint64 regular_visits;
} SkSegmentThresholds;

void     sk_database_get_segment_thresholds (SkDatabase *self, SkSegmentThresholds *out);
gboolean sk_database_set_segment_thresholds (SkDatabase                *self,
                                             const SkSegmentThresholds *thresholds,
                                             GError                   **error);
const char *
sk_segment_for (const SkSegmentThresholds *thresholds, gint64 visits, gint64 total_spent);
/* Everyone at once, in one set-based pass; returns how many changed. */
gint64 sk_database_update_segments (SkDatabase *self, GError **error);
GPtrArray *
sk_database_list_segment_history (SkDatabase *self, const char *customer_id, GError **error);

/* Notifications (the outbox; delivery is another part's job) */
/* A page of notifications, newest first: of one customer and/or of the
 * customers of @store_id, whose home store it is or who bought there
 * (either may be NULL), after
 * @cursor (NULL: from the newest); *next_cursor is NULL on the last page. */
GPtrArray *sk_database_list_notifications (SkDatabase *self,
                                           const char *customer_id,
                                           const char *store_id,
                                           const char *cursor,
                                           guint       limit,
                                           char      **next_cursor,
                                           GError    **error);
/* Sync events waiting to be pushed. */
gint64 sk_database_count_outbox (SkDatabase *self, GError **error);

/* Export / import of the whole file as JSON (for small chains and tests). */
JsonNode *sk_database_export (SkDatabase *self, GError **error);
gboolean  sk_database_import (SkDatabase *self, JsonNode *root, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkPurchaseRequest, sk_purchase_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkPurchaseResult, sk_purchase_result_free)

G_END_DECLS
