/* sk-refund-window.h: a return at the till: the sale found by its receipt
 * number among the store's, what comes back chosen line by line, the
 * refund made and what to pay back said.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SK_TYPE_REFUND_WINDOW (sk_refund_window_get_type ())
G_DECLARE_FINAL_TYPE (SkRefundWindow, sk_refund_window, SK, REFUND_WINDOW, AdwWindow)

/* Over @parent, for the sales of @store_id (NULL: every store's). With
 * @purchase_id it opens that sale; without, it starts with the search. */
SkRefundWindow *
sk_refund_window_new (GtkWindow *parent, const char *store_id, const char *purchase_id);

/* What it shows: "find", "sale" or "done". */
const char *sk_refund_window_get_page (SkRefundWindow *self);
/* A read or the refund under way. */
gboolean sk_refund_window_get_busy (SkRefundWindow *self);
/* The sales the search shows. */
guint sk_refund_window_get_n_sales (SkRefundWindow *self);
/* The figures of what is chosen now (sk_refund_figures); FALSE when
 * nothing is. */
gboolean sk_refund_window_get_figures (SkRefundWindow *self,
                                       gint64         *money_back,
                                       gint64         *bonus_returned,
                                       gint64         *bonus_reversed);

/* The slip of the return just made (sk_receipt_format_refund), or NULL. */
const char *sk_refund_window_get_slip (SkRefundWindow *self);

G_END_DECLS
