/* sk-rule-editor.h: edits every field of a discount rule, with validation
 * and a 30-day preview.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-record-editor.h"

G_BEGIN_DECLS

#define SK_TYPE_RULE_EDITOR (sk_rule_editor_get_type ())
G_DECLARE_FINAL_TYPE (SkRuleEditor, sk_rule_editor, SK, RULE_EDITOR, SkRecordEditor)

/* @rule: NULL for a new rule; a copy is edited. Emits "saved" (SkDiscountRule). */
SkRuleEditor *sk_rule_editor_new (GtkWindow *parent, SkDiscountRule *rule);
/* Sets a field as a user would type it: "name", "value", "type" (0..2),
 * "min_purchase", "max_discount", "categories", "segments", "valid_from", ... */
void sk_rule_editor_set_field (SkRuleEditor *self, const char *field, const char *text);
/* How many values the categories, segments or store_ids field offers
 * (the categories and stores come from a worker). */
guint sk_rule_editor_get_n_choices (SkRuleEditor *self, const char *field);
/* What the live preview says now ("12 of 340 purchases, 1 200,00 ₽ off"). */
const char *sk_rule_editor_get_preview (SkRuleEditor *self);

G_END_DECLS
