/* sk-sale.h: a sale being rung up (its lines and its figures), and the
 * till's rules that turn a priced cart into money: payable, the bonus spend
 * cap and accrual (SPEC 4, "Bonuses"), computed here and nowhere else.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* The till's rules */

/* What the buyer owes once the discounts are taken off: the base of the
 * bonus cap and of accrual. Never below zero. */
gint64 sk_payable (gint64 subtotal, gint64 discount_total);
/* Paid in money: @payable less the bonuses spent. */
gint64 sk_paid_in_money (gint64 payable, gint64 bonus_spent);
/* The most bonuses may pay: min (balance, floor (payable x share / 10000)),
 * with @max_bonus_share in basis points; 0 for a balance at or below zero. */
gint64 sk_bonus_spend_cap (gint64 payable, gint64 max_bonus_share, gint64 balance);
/* Refuses a spend above the cap, saying which bound it crossed:
 * SK_ERROR_INSUFFICIENT_BONUS (the balance) or SK_ERROR_BONUS_CAP_EXCEEDED
 * (the store's share), with the field "bonus_to_spend". */
gboolean sk_bonus_spend_check (
    gint64 bonus_to_spend, gint64 payable, gint64 max_bonus_share, gint64 balance, GError **error);
/* floor ((payable - bonus spent) x rate x multiplier / 1 000 000): the rate
 * in basis points, the multiplier in hundredths, rounded once; nothing is
 * earned on the part paid with bonuses. */
gint64
sk_bonus_accrual (gint64 payable, gint64 bonus_spent, gint64 bonus_rate, gint64 bonus_multiplier);

/* Refunds: what returning some of a purchase gives back, each line its
 * share of what was paid for it and of its discount, the bonuses paid and
 * earned in proportion to the money (SPEC 4). */
typedef struct
{
  gint64 amount;         /* the lines' share of what was payable */
  gint64 money_back;     /* of it, paid back in money */
  gint64 bonus_returned; /* of it, bonuses paid with, back to the balance */
  gint64 bonus_reversed; /* bonuses earned on it, taken back */
  /* The discount's share returned before and after this refund (campaign
   * budgets get the difference back). */
  gint64   discount_before;
  gint64   discount_after;
  gboolean complete; /* nothing is left to return afterwards */
} SkRefundFigures;

/* The part of @amount that belongs to @done of @whole, rounded down (0 for
 * a non-positive @amount or @whole); taking differences of these keeps the
 * parts of many refunds adding up exactly. */
gint64 sk_pro_rata (gint64 amount, gint64 done, gint64 whole);
/* The figures of returning @quantities (one per line of @purchase, in line
 * order; each clamped to what is left of its line; NULL: nothing) after the
 * refunds @purchase already had. FALSE when that returns nothing. */
gboolean sk_refund_figures (SkPurchase *purchase, const gint64 *quantities, SkRefundFigures *out);
/* Whether each of @purchase's discount applications says what it gave
 * each line (its "line_amounts"), each within the line's discount, adding
 * up to its amount, and all of them to each line's discount; FALSE with
 * what is wrong (the field "applications[k]" or "applications"). */
gboolean sk_purchase_check_line_amounts (SkPurchase *purchase, GError **error);
/* What returning @quantities (as for sk_refund_figures) gives back of each
 * of @purchase's discount applications, in their order (gint64): on each
 * line, the share of the line's discount returned that the rule gave that
 * line. The shares add up to the discount returned exactly, and over all
 * returns to each one's amount. What an application has got back so far
 * stays within its amount, but one return may give it back −1 of a kopeck
 * another rounded its way before (that return's total stays exact): add it
 * as it comes. Where the applications' lines are not known (recorded
 * before they were kept) or do not add up, the purchase's discount
 * returned is shared pro rata. */
GArray *sk_refund_application_shares (SkPurchase *purchase, const gint64 *quantities);
/* What returning @quantity more of @line gives back (its share of the
 * line's total, after the line's earlier returns). */
gint64 sk_refund_line_amount (SkPurchaseLine *line, gint64 quantity);
/* What is left of @line to return. */
gint64 sk_refund_line_left (SkPurchaseLine *line);

/* The sale */

#define SK_TYPE_SALE (sk_sale_get_type ())
G_DECLARE_FINAL_TYPE (SkSale, sk_sale, SK, SALE, GObject)

/* A sale owns its lines (SkPurchaseLine: what a line becomes once sold)
 * and its figures. Whoever rings it up prices its cart with the engine
 * (sk_sale_to_cart, then sk_database_calculate or the engine itself) and
 * hands the result back with sk_sale_set_result; the figures follow. A
 * change of the lines keeps the last result until the next one is set. */
SkSale *sk_sale_new (SkStore *store);
/* A sale of @cart's lines as they are (the same SKU twice stays two lines). */
SkSale *sk_sale_new_for_cart (SkStore *store, SkCustomer *customer, const SkCart *cart);

/* The client UUID the sale is recorded under (a new one per sale). */
const char *sk_sale_get_id (SkSale *self);
void        sk_sale_set_id (SkSale *self, const char *id);
SkStore    *sk_sale_get_store (SkSale *self);
void        sk_sale_set_store (SkSale *self, SkStore *store);
/* NULL: an anonymous sale. Another customer starts with no bonus spend. */
SkCustomer *sk_sale_get_customer (SkSale *self);
void        sk_sale_set_customer (SkSale *self, SkCustomer *customer);

/* SkPurchaseLine, in the order they were rung up; line-no is the position
 * from 1, discount and total are the last result's. */
GListModel *sk_sale_get_lines (SkSale *self);
guint       sk_sale_get_n_lines (SkSale *self);
/* The same SKU at the same price again adds to its line. Returns the line. */
SkPurchaseLine *sk_sale_add_line (SkSale     *self,
                                  const char *sku,
                                  const char *name,
                                  const char *category,
                                  gint64      unit_price,
                                  gint64      quantity);
/* Clamped to 1..SK_QUANTITY_MAX. */
void sk_sale_set_quantity (SkSale *self, guint position, gint64 quantity);
void sk_sale_remove_line (SkSale *self, guint position);
/* The next sale: a new id, no lines, no customer, no result, no spend. */
void sk_sale_clear (SkSale *self);

/* The engine's input for the lines as they are now (NULL without a store). */
SkCart *sk_sale_to_cart (SkSale *self);
/* Takes @result (NULL: not priced, everything zero), which must be for the
 * lines as they are now, and recomputes the figures. */
void                  sk_sale_set_result (SkSale *self, SkEngineResult *result);
const SkEngineResult *sk_sale_get_result (SkSale *self);

/* The figures, in kopecks (each is also a read-only property). */
gint64 sk_sale_get_subtotal (SkSale *self);
gint64 sk_sale_get_discount_total (SkSale *self);
gint64 sk_sale_get_payable (SkSale *self);
gint64 sk_sale_get_bonus_cap (SkSale *self);
gint64 sk_sale_get_bonus_earned (SkSale *self);
gint64 sk_sale_get_to_pay (SkSale *self);
/* Hundredths; 100 when no multiplier applies. */
gint64 sk_sale_get_bonus_multiplier (SkSale *self);
/* Clamped to 0..bonus cap. */
gint64 sk_sale_get_bonus_to_spend (SkSale *self);
void   sk_sale_set_bonus_to_spend (SkSale *self, gint64 amount);

/* The request that records this sale (sk_database_process_purchase). */
SkPurchaseRequest *sk_sale_to_request (SkSale *self);
/* The purchase as it will be recorded at @created_at, with its lines and
 * discount applications: what the pipeline writes. Needs a result. */
SkPurchase *sk_sale_to_purchase (SkSale *self, gint64 created_at);

G_END_DECLS
