/* sk-repository.h: the store as the app sees it: every call an
 * _async/_finish pair run on a small pool of worker connections, and a
 * signal per kind of change, emitted on the main context, so that a view
 * reloads only what concerns it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sk-analytics.h"
#include "sk-database.h"
#include "sk-demo.h"
#include "sk-notifications.h"

G_BEGIN_DECLS

#define SK_TYPE_REPOSITORY (sk_repository_get_type ())
G_DECLARE_FINAL_TYPE (SkRepository, sk_repository, SK, REPOSITORY, GObject)

/* Worker connections the pool keeps open (one per worker thread). */
#define SK_REPOSITORY_WORKERS 3

/* Opens nothing yet: each worker opens its connection on its first job. */
/* HQ, while the app is connected to it with @token (NULL and NULL: no
 * longer): then rules and campaigns are saved at HQ and kept here as HQ
 * answered, the stored version of one (for a conflict) is HQ's, and the
 * charts' and a campaign's figures are the chain's, HQ's. */
void     sk_repository_set_hq (SkRepository *self, const char *server_url, const char *token);
gboolean sk_repository_get_at_hq (SkRepository *self);
/* Whether the last sync failed to reach HQ: then what this file can
 * answer (a customer's story, messages, a campaign's figures) is not asked
 * of HQ; saves at HQ still try. */
void sk_repository_set_hq_out_of_reach (SkRepository *self, gboolean out_of_reach);
/* Connected to HQ, and the last sync could not reach it. */
gboolean      sk_repository_get_hq_out_of_reach (SkRepository *self);
SkRepository *sk_repository_new (const char *path);
const char   *sk_repository_get_path (SkRepository *self);
/* Bumps each time the file is replaced (reset to demo data). */
guint sk_repository_get_generation (SkRepository *self);
/* A connection of its own for a worker that keeps one (the customers
 * list); @cache_kib > 0 sets its page cache. Blocking: call it on that
 * worker, and open again when the generation moved. */
SkDatabase *sk_repository_open_database (SkRepository *self, int cache_kib, GError **error);

/* The engine's answer for a copy of @cart (NULL @customer_id: an
 * anonymous buyer; @now 0: the time the worker runs it): one read of the
 * live rules on a worker's connection, which never waits for the write
 * lock (WAL). @engine_usec (may be NULL) is the time the worker spent. */
void            sk_repository_calculate_async (SkRepository       *self,
                                               const SkCart       *cart,
                                               const char         *customer_id,
                                               gint64              now,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
SkEngineResult *sk_repository_calculate_finish (SkRepository *self,
                                                GAsyncResult *result,
                                                gint64       *engine_usec,
                                                GError      **error);

/* Stores and products */
void sk_repository_list_stores_async (SkRepository       *self,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
GPtrArray *
sk_repository_list_stores_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* The store @id, or the first store when @id is NULL, empty or unknown;
 * NULL without an error when there is no store at all. */
void     sk_repository_get_store_async (SkRepository       *self,
                                        const char         *id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
SkStore *sk_repository_get_store_finish (SkRepository *self, GAsyncResult *result, GError **error);
void     sk_repository_save_store_async (SkRepository       *self,
                                         SkStore            *store,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
SkStore *sk_repository_save_store_finish (SkRepository *self, GAsyncResult *result, GError **error);
void     sk_repository_list_products_async (SkRepository       *self,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
GPtrArray *
sk_repository_list_products_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* Adds a product (or replaces the one with its SKU); stores-changed. */
void sk_repository_save_product_async (SkRepository       *self,
                                       SkProduct          *product,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
SkProduct *
sk_repository_save_product_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* Reads a price list (@csv: the file's bytes, sk-products-csv.h) and
 * imports it, all or nothing; stores-changed. The counts, or
 * SK_ERROR_MALFORMED naming the errors (none written). */
void sk_repository_import_products_async (SkRepository       *self,
                                          GBytes             *csv,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
SkProductImport *
sk_repository_import_products_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* Customers */
void sk_repository_get_customer_async (SkRepository       *self,
                                       const char         *id,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
SkCustomer *
sk_repository_get_customer_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* By card barcode or phone, as a till scans or types it. */
void sk_repository_lookup_customer_async (SkRepository       *self,
                                          const char         *card_or_phone,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
SkCustomer *
sk_repository_lookup_customer_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* What a customer's page shows, read together. */
typedef struct
{
  SkCustomer *customer;
  GPtrArray  *history;   /* SkSegmentAssignment */
  GPtrArray  *ledger;    /* SkBonusTransaction, newest first */
  GPtrArray  *purchases; /* SkPurchase, the newest 50 */
  /* Connected, but HQ did not give the customer's story (it shows it to
   * their store and to HQ; or out of reach): what this till has of it. */
  gboolean till_only;
} SkCustomerDetails;

void sk_customer_details_free (SkCustomerDetails *details);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkCustomerDetails, sk_customer_details_free)

void               sk_repository_load_customer_details_async (SkRepository       *self,
                                                              const char         *id,
                                                              GCancellable       *cancellable,
                                                              GAsyncReadyCallback callback,
                                                              gpointer            user_data);
SkCustomerDetails *sk_repository_load_customer_details_finish (SkRepository *self,
                                                               GAsyncResult *result,
                                                               GError      **error);
/* Creates (@create) or updates a copy of @customer; returns the copy as
 * stored (id, version). Emits customer-changed. */
void sk_repository_save_customer_async (SkRepository       *self,
                                        SkCustomer         *customer,
                                        gboolean            create,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
SkCustomer *
sk_repository_save_customer_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* A manual adjustment of signed kopecks with a reason, at @store_id (NULL
 * or unknown: the first store). Emits customer-changed. */
void sk_repository_adjust_bonus_async (SkRepository       *self,
                                       const char         *customer_id,
                                       gint64              amount,
                                       const char         *reason,
                                       const char         *store_id,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
SkBonusTransaction *
sk_repository_adjust_bonus_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* Sales: takes @request. Emits purchase-changed (and customer-changed for a
 * known customer), also for a replay. */
void sk_repository_process_purchase_async (SkRepository       *self,
                                           SkPurchaseRequest  *request,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
SkPurchaseResult *
sk_repository_process_purchase_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* Returns. The sales at store @store_id (NULL or unknown: the first store,
 * where the checkout sells then) whose receipt number starts with @receipt
 * (NULL or "": any), newest first, at most SK_REPOSITORY_SALES_FOUND
 * (sk_database_find_sales). */
#define SK_REPOSITORY_SALES_FOUND 50
void sk_repository_find_sales_async (SkRepository       *self,
                                     const char         *store_id,
                                     const char         *receipt,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
GPtrArray *
sk_repository_find_sales_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* Returns @lines (SkRefundLine; NULL: all that is left) of sale
 * @purchase_id under the client UUID @refund_id (a replay changes nothing);
 * the sale as it is afterwards. Emits purchase-changed and customer-changed
 * for its customer. */
void        sk_repository_refund_async (SkRepository       *self,
                                        const char         *refund_id,
                                        const char         *purchase_id,
                                        GArray             *lines,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
SkPurchase *sk_repository_refund_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* Queues the receipt of sale @purchase_id by e-mail to its customer
 * (sk_database_queue_receipt): *queued is FALSE when it was queued before. */
void     sk_repository_queue_receipt_async (SkRepository       *self,
                                            const char         *purchase_id,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
gboolean sk_repository_queue_receipt_finish (SkRepository *self,
                                             GAsyncResult *result,
                                             gboolean     *queued,
                                             GError      **error);

/* Rules and campaigns. Saving returns the copy as stored; a rule emits
 * rules-changed, a campaign (which may move rules) campaigns-changed and
 * rules-changed. */
void sk_repository_list_rules_async (SkRepository       *self,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
GPtrArray      *
sk_repository_list_rules_finish (SkRepository *self, GAsyncResult *result, GError **error);
void sk_repository_save_rule_async (SkRepository       *self,
                                    SkDiscountRule     *rule,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
SkDiscountRule      *
sk_repository_save_rule_finish (SkRepository *self, GAsyncResult *result, GError **error);
void sk_repository_list_campaigns_async (SkRepository       *self,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
GPtrArray      *
sk_repository_list_campaigns_finish (SkRepository *self, GAsyncResult *result, GError **error);
void sk_repository_save_campaign_async (SkRepository       *self,
                                        SkCampaign         *campaign,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
SkCampaign *
sk_repository_save_campaign_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* The stored version of @record (a customer, a rule or a campaign, by its
 * id): what someone else saved meanwhile. */
void     sk_repository_get_stored_async (SkRepository       *self,
                                         SkRecord           *record,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
gpointer sk_repository_get_stored_finish (SkRepository *self, GAsyncResult *result, GError **error);

typedef struct
{
  gint64 purchases; /* purchases looked at */
  gint64 matched;   /* where the rule gave something */
  gint64 amount;    /* money off in total */
} SkRulePreview;

/* What @rule alone would have given over [@from, @to) (at most @limit
 * purchases, newest first). Blocking: on a worker's connection. */
gboolean sk_rule_preview_compute (SkDatabase     *db,
                                  SkDiscountRule *rule,
                                  gint64          from,
                                  gint64          to,
                                  guint           limit,
                                  SkRulePreview  *out,
                                  GError        **error);
void     sk_repository_preview_rule_async (SkRepository       *self,
                                           SkDiscountRule     *rule,
                                           gint64              from,
                                           gint64              to,
                                           guint               limit,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
SkRulePreview *
sk_repository_preview_rule_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* Analytics */
/* A campaign's announcement: whom it reaches (!@send), or it queued to
 * them, each once (@send); at HQ while connected. */
void     sk_repository_announce_async (SkRepository       *self,
                                       const char         *campaign_id,
                                       gboolean            send,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
SkReach *sk_repository_announce_finish (SkRepository *self, GAsyncResult *result, GError **error);
void     sk_repository_campaign_figures_async (SkRepository       *self,
                                               const char         *campaign_id,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
SkCampaignFigures *
sk_repository_campaign_figures_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* The charts' figures (sk_analytics_figures) of [@from, @to) in one store
 * (NULL: all). */
void sk_repository_chart_figures_async (SkRepository       *self,
                                        gint64              from,
                                        gint64              to,
                                        const char         *store_id,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
SkChartFigures *
sk_repository_chart_figures_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* Demo data into the file as it is (see sk_demo_generate), or into a new
 * file that then replaces it (a reset: the generation moves). Both emit
 * database-changed. */
void sk_repository_generate_demo_async (SkRepository        *self,
                                        const SkDemoOptions *options,
                                        gboolean             replace,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean
sk_repository_generate_demo_finish (SkRepository *self, GAsyncResult *result, GError **error);

/* Records changed on a connection other than the repository's (sync
 * applied HQ's changes): the signals its own jobs would have emitted,
 * emitted now (on the main context). @customer_ids: NULL-terminated, may
 * be NULL; @everything: too much changed to tell, database-changed. */
void sk_repository_announce_changes (SkRepository      *self,
                                     gboolean           stores,
                                     gboolean           rules,
                                     gboolean           campaigns,
                                     const char *const *customer_ids,
                                     gboolean           everything);

/* Notifications: a page of the customer's, newest first, after @cursor
 * (NULL: from the newest); next_cursor is NULL on the last page. */
typedef struct
{
  GPtrArray *notifications; /* SkNotification */
  char      *next_cursor;
} SkNotificationPage;

void sk_notification_page_free (SkNotificationPage *page);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkNotificationPage, sk_notification_page_free)

void sk_repository_list_notifications_async (SkRepository       *self,
                                             const char         *customer_id,
                                             const char         *cursor,
                                             guint               limit,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
SkNotificationPage *
sk_repository_list_notifications_finish (SkRepository *self, GAsyncResult *result, GError **error);
/* The template of @event in @language (SK_ERROR_NOT_FOUND if none). */
void                    sk_repository_get_notification_template_async (SkRepository       *self,
                                                                       const char         *event,
                                                                       const char         *language,
                                                                       GCancellable       *cancellable,
                                                                       GAsyncReadyCallback callback,
                                                                       gpointer            user_data);
SkNotificationTemplate *sk_repository_get_notification_template_finish (SkRepository *self,
                                                                        GAsyncResult *result,
                                                                        GError      **error);
/* Saves a copy of @t with the version check (SK_ERROR_STALE); returns the
 * copy as stored (its new version). */
void                    sk_repository_save_notification_template_async (SkRepository                 *self,
                                                                        const SkNotificationTemplate *t,
                                                                        GCancellable                 *cancellable,
                                                                        GAsyncReadyCallback           callback,
                                                                        gpointer                      user_data);
SkNotificationTemplate *sk_repository_save_notification_template_finish (SkRepository *self,
                                                                         GAsyncResult *result,
                                                                         GError      **error);

/* Tests: how many jobs the workers ran, and the connections they opened. */
guint sk_repository_get_n_jobs (SkRepository *self);
guint sk_repository_get_n_opened (SkRepository *self);

G_END_DECLS
