/* sk-receipt.h: a sale's receipt, as text (printed, shown in the till's
 * side panel) and as an e-mail queued for the customer.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"
#include "sk-sale.h"

G_BEGIN_DECLS

/* A receipt's lines are at most this many characters: what a till's 80 mm
 * receipt printer prints in its usual font (42 columns of Font A on the
 * common 72 mm print width; 48 on a few, so 42 prints everywhere), and
 * what the till's side panel shows in monospace without wrapping. */
#define SK_RECEIPT_WIDTH 42

/* The receipt of @purchase; @customer (the balance, the bonuses earned)
 * and @store (its name) may be NULL. Lines of SK_RECEIPT_WIDTH characters
 * at most: a long name wraps at its spaces onto indented continuation
 * lines, and each amount ends a line, whole. */
char *sk_receipt_format (SkPurchase *purchase, SkCustomer *customer, SkStore *store);

/* The slip of a return made at @when: @purchase as it was before it (its
 * earlier returns counted), @quantities taken back per line (in line
 * order) and the return's @figures (sk_refund_figures); @store may be
 * NULL. Lines as sk_receipt_format's. */
char *sk_receipt_format_refund (SkPurchase            *purchase,
                                const gint64          *quantities,
                                const SkRefundFigures *figures,
                                SkStore               *store,
                                gint64                 when);

/* May the receipt of a sale to @customer be sent by e-mail: an address,
 * and consent to e-mail. */
gboolean sk_receipt_can_email (SkCustomer *customer);

/* Queues the receipt of sale @purchase_id as a "receipt" notification by
 * e-mail to its customer, once per sale: *queued (may be NULL) is FALSE
 * when it was queued before. On a till the same goes in the sync outbox
 * ("notification.create"), and HQ, which delivers, queues it again from its
 * own records. SK_ERROR_NOT_FOUND without such a sale; SK_ERROR_INVALID
 * (field "customer_id") when the sale has no customer or the customer has
 * no address or no consent to e-mail. */
gboolean sk_database_queue_receipt (
    SkDatabase *self, const char *purchase_id, gint64 now, gboolean *queued, GError **error);

G_END_DECLS
