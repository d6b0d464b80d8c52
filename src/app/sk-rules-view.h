/* sk-rules-view.h: the discount rules list.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SK_TYPE_RULES_VIEW (sk_rules_view_get_type ())
G_DECLARE_FINAL_TYPE (SkRulesView, sk_rules_view, SK, RULES_VIEW, AdwBin)

void        sk_rules_view_reload (gpointer self);
GListModel *sk_rules_view_get_model (SkRulesView *self);
/* TRUE while the list is read; how many reads the view started (tests). */
gboolean sk_rules_view_get_loading (SkRulesView *self);
guint    sk_rules_view_get_n_reloads (SkRulesView *self);

G_END_DECLS
