/* sk-customers-view.h: search, a lazy list of any size, customer details.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-customer-list-model.h"

G_BEGIN_DECLS

#define SK_TYPE_CUSTOMERS_VIEW (sk_customers_view_get_type ())
G_DECLARE_FINAL_TYPE (SkCustomersView, sk_customers_view, SK, CUSTOMERS_VIEW, AdwBin)

SkCustomerListModel *sk_customers_view_get_model (SkCustomersView *self);
void                 sk_customers_view_search (SkCustomersView *self, const char *query);
void       sk_customers_view_show_customer (SkCustomersView *self, const char *customer_id);
GtkWidget *sk_customers_view_get_scroller (SkCustomersView *self);
/* TRUE while a customer's details are read on the worker thread. */
gboolean sk_customers_view_get_loading_details (SkCustomersView *self);
/* The customer whose details are shown, or NULL. */
SkCustomer *sk_customers_view_get_customer (SkCustomersView *self);
/* The box the details are built in (for tests). */
GtkWidget *sk_customers_view_get_details (SkCustomersView *self);
/* Manual bonus adjustment (signed kopecks) with a reason, of the customer
 * shown, on a worker; the details are read again when it is stored. */
void sk_customers_view_adjust_bonus_async (SkCustomersView    *self,
                                           gint64              amount,
                                           const char         *reason,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
gboolean
sk_customers_view_adjust_bonus_finish (SkCustomersView *self, GAsyncResult *result, GError **error);

G_END_DECLS
