/* sk-checkout-view.h: the till: customer, cart, live discounts, bonuses, pay.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-database.h"
#include "sk-receipt.h"

G_BEGIN_DECLS

#define SK_TYPE_CHECKOUT_VIEW (sk_checkout_view_get_type ())
G_DECLARE_FINAL_TYPE (SkCheckoutView, sk_checkout_view, SK, CHECKOUT_VIEW, AdwBin)

/* What the keyboard and the scanner do, also used by the tests. */
/* Looks the customer up on a worker and makes them the sale's; FALSE and
 * a toast when nobody has that card or phone. */
void sk_checkout_view_find_customer_async (SkCheckoutView     *self,
                                           const char         *card_or_phone,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
gboolean
sk_checkout_view_find_customer_finish (SkCheckoutView *self, GAsyncResult *result, GError **error);
/* What Enter in the scan field does with its text: a product code adds a
 * line, a card or phone picks the customer (on a worker), anything else is
 * told next to the field. The field is emptied either way. FALSE when the
 * code was refused at once. */
gboolean sk_checkout_view_scan (SkCheckoutView *self, const char *code);
/* The till's window hands it every key while the till is shown (capture
 * phase): a scanner's keys that land outside the scan field are brought to
 * it. TRUE when the key was taken. */
gboolean sk_checkout_view_route_key (SkCheckoutView *self,
                                     guint           keyval,
                                     GdkModifierType state,
                                     guint32         time);
/* TRUE while the last sale's receipt is in the side panel. */
gboolean    sk_checkout_view_get_receipt_shown (SkCheckoutView *self);
void        sk_checkout_view_set_customer (SkCheckoutView *self, SkCustomer *customer);
SkCustomer *sk_checkout_view_get_customer (SkCheckoutView *self);
void        sk_checkout_view_add_line (SkCheckoutView *self,
                                       const char     *sku,
                                       const char     *name,
                                       const char     *category,
                                       gint64          unit_price,
                                       gint64          quantity);
gboolean    sk_checkout_view_add_sku (SkCheckoutView *self, const char *sku);
void        sk_checkout_view_set_quantity (SkCheckoutView *self, guint line, gint64 quantity);
void        sk_checkout_view_remove_line (SkCheckoutView *self, guint line);
guint       sk_checkout_view_get_n_lines (SkCheckoutView *self);
/* kopecks; clamped to the cap */
void                  sk_checkout_view_set_bonus_spend (SkCheckoutView *self, gint64 amount);
gint64                sk_checkout_view_get_bonus_cap (SkCheckoutView *self);
gint64                sk_checkout_view_get_bonus_spend (SkCheckoutView *self);
gint64                sk_checkout_view_get_bonus_earn (SkCheckoutView *self);
gint64                sk_checkout_view_get_to_pay (SkCheckoutView *self);
const SkEngineResult *sk_checkout_view_get_result (SkCheckoutView *self);
/* The last completed sale (NULL before one). */
SkPurchase *sk_checkout_view_get_last_purchase (SkCheckoutView *self);
/* Pays the sale (F12). While its price is being worked out (see
 * sk_checkout_view_get_calculating) the payment waits for it and then
 * goes ahead; FALSE when there is nothing to pay or a payment is under way. */
gboolean sk_checkout_view_pay (SkCheckoutView *self);
/* TRUE from Pay until the sale is stored (or refused). */
gboolean sk_checkout_view_get_paying (SkCheckoutView *self);
/* TRUE from a change of the sale until its price is back from the
 * repository's worker (the "calculating" property, notified when it falls):
 * sk_checkout_view_get_result and the figures are those of the lines as they
 * are only when it is FALSE. */
gboolean sk_checkout_view_get_calculating (SkCheckoutView *self);
/* The time of the last recompute in microseconds, from the request to the
 * figures on screen (for the benchmark). */
gint64 sk_checkout_view_get_recompute_usec (SkCheckoutView *self);
/* Prices the sale again, on a worker: calculating until the answer is in. */
void sk_checkout_view_recompute (SkCheckoutView *self);
/* Prints the last sale's receipt into a PDF at @path, without a dialog. */
gboolean sk_checkout_view_export_receipt (SkCheckoutView *self, const char *path, GError **error);

G_END_DECLS
