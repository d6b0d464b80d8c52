/* sk-review-window.h: what HQ lists for a store's manager to look at after
 * offline sales (GET /api/sync/review): negative balances, rejected events
 * with their reasons, field conflicts, merged customers...; each opened
 * for its details and marked resolved.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-application.h"

G_BEGIN_DECLS

#define SK_TYPE_REVIEW_WINDOW (sk_review_window_get_type ())
G_DECLARE_FINAL_TYPE (SkReviewWindow, sk_review_window, SK, REVIEW_WINDOW, AdwWindow)

/* Loads the open items of the account's store from HQ. */
SkReviewWindow *sk_review_window_new (SkApplication *app);
/* Items shown (for tests), and whether a load or resolve is running. */
guint    sk_review_window_get_n_items (SkReviewWindow *self);
gboolean sk_review_window_get_busy (SkReviewWindow *self);
/* What a kind of item is called, by the kind of event that made it where
 * that says more ("negative_balance" of a "refund.create": "Negative
 * balance after a return"); @event_kind may be NULL. */
const char *sk_review_kind_title (const char *kind, const char *event_kind);

/* Whether @role may open it (managers and administrators). */
gboolean sk_review_allowed (SkRole role);

G_END_DECLS
