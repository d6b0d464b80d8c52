/* sk-cell-label.h: one line of text in a list cell, lighter than GtkLabel.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define SK_TYPE_CELL_LABEL (sk_cell_label_get_type ())
G_DECLARE_FINAL_TYPE (SkCellLabel, sk_cell_label, SK, CELL_LABEL, GtkWidget)

GtkWidget  *sk_cell_label_new (gboolean numeric);
const char *sk_cell_label_get_text (SkCellLabel *self);
void        sk_cell_label_set_text (SkCellLabel *self, const char *text);

G_END_DECLS
