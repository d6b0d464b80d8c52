/* sk-customer-list-model.h: a lazy GListModel of customer rows backed by
 * SQLite: only the pages on screen are in memory, read off the main thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sk-repository.h"

G_BEGIN_DECLS

#define SK_CUSTOMER_LIST_PAGE 100
/* A search lists at most this many customers ("keep typing" beyond it);
 * the empty search lists everyone. */
#define SK_CUSTOMER_SEARCH_MAX 10000

/* One row of the list: its customer changes (notify::customer) while the
 * row stays the list's item at its position, so that the list keeps its
 * row widget. */
#define SK_TYPE_CUSTOMER_ROW (sk_customer_row_get_type ())
G_DECLARE_FINAL_TYPE (SkCustomerRow, sk_customer_row, SK, CUSTOMER_ROW, GObject)

/* NULL while the row's page is read (a placeholder). */
SkCustomer *sk_customer_row_get_customer (SkCustomerRow *self);

#define SK_TYPE_CUSTOMER_LIST_MODEL (sk_customer_list_model_get_type ())
G_DECLARE_FINAL_TYPE (SkCustomerListModel, sk_customer_list_model, SK, CUSTOMER_LIST_MODEL, GObject)

/* The model's worker keeps a connection of its own from @repository. */
SkCustomerListModel *sk_customer_list_model_new (SkRepository *repository);
/* Starts a search (phone, card or name prefix; "" = everyone); the model
 * changes when its first page is read. */
void        sk_customer_list_model_set_query (SkCustomerListModel *self, const char *query);
const char *sk_customer_list_model_get_query (SkCustomerListModel *self);
/* Runs the query again (the data changed), counting everyone afresh. */
void sk_customer_list_model_refresh (SkCustomerListModel *self);
/* The search matched more than SK_CUSTOMER_SEARCH_MAX: only that many are listed. */
gboolean sk_customer_list_model_get_truncated (SkCustomerListModel *self);
gboolean sk_customer_list_model_get_loading (SkCustomerListModel *self);
/* Microseconds from set_query to the list showing its result. */
gint64 sk_customer_list_model_get_search_usec (SkCustomerListModel *self);
/* Is the row at @position read (not a placeholder)? */
gboolean sk_customer_list_model_is_loaded (SkCustomerListModel *self, guint position);
guint    sk_customer_list_model_get_n_cached_pages (SkCustomerListModel *self);

G_END_DECLS
