/* sk-choice-row.h: an expander row of check rows, to pick values by their
 * names in the user's words (a rule's categories, stores, segments) while
 * the codes are what is stored.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SK_TYPE_CHOICE_ROW (sk_choice_row_get_type ())
G_DECLARE_FINAL_TYPE (SkChoiceRow, sk_choice_row, SK, CHOICE_ROW, AdwExpanderRow)

GtkWidget *sk_choice_row_new (void);
/* The values to pick from, with their labels (NULL: the values). What was
 * picked stays picked. */
void
sk_choice_row_set_choices (SkChoiceRow *self, const char *const *values, const char *const *labels);
/* Picks @values, nothing else. A value that matches a choice but for its
 * case takes the choice's spelling; one that matches none is kept, as a
 * choice of its own, so that nothing is dropped unseen. */
void  sk_choice_row_set_selected (SkChoiceRow *self, const char *const *values);
guint sk_choice_row_get_n_choices (SkChoiceRow *self);
/* The usual choices, in the user's words: the five segments by their
 * translated names; the chain's stores by name (read on a worker); the
 * categories of the product list, spelled as there (read on a worker).
 * Errors of the reads are told in a toast. */
void sk_choice_row_offer_segments (SkChoiceRow *self);
/* E-mail, SMS and push, by name. */
void sk_choice_row_offer_channels (SkChoiceRow *self);
void sk_choice_row_offer_stores (SkChoiceRow *self, GCancellable *cancellable);
void sk_choice_row_offer_categories (SkChoiceRow *self, GCancellable *cancellable);
/* The values picked, in the order of the choices (never NULL). */
char **sk_choice_row_get_selected (SkChoiceRow *self);

G_END_DECLS
