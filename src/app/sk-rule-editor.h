/* sk-rule-editor.h: edits every field of a discount rule, with validation
 * and a 30-day preview.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-database.h"

G_BEGIN_DECLS

#define SK_TYPE_RULE_EDITOR (sk_rule_editor_get_type ())
G_DECLARE_FINAL_TYPE (SkRuleEditor, sk_rule_editor, SK, RULE_EDITOR, AdwWindow)

/* @rule: NULL for a new rule; a copy is edited. Emits "saved" (SkDiscountRule). */
SkRuleEditor *sk_rule_editor_new       (GtkWindow      *parent,
                                        SkDiscountRule *rule);
/* Sets a field as a user would type it: "name", "value", "type" (0..2),
 * "min_purchase", "max_discount", "categories", "segments", "valid_from", ... */
void          sk_rule_editor_set_field (SkRuleEditor   *self,
                                        const char     *field,
                                        const char     *text);
gboolean      sk_rule_editor_save      (SkRuleEditor   *self,
                                        GError        **error);
const char   *sk_rule_editor_get_error (SkRuleEditor   *self);

typedef struct
{
  gint64 purchases;   /* purchases looked at */
  gint64 matched;     /* where the rule gave something */
  gint64 amount;      /* money off in total */
} SkRulePreview;

/* What @rule alone would have given over [@from, @to) (at most @limit
 * purchases, newest first). Blocking: call it on a worker connection. */
gboolean      sk_rule_preview_compute  (SkDatabase     *db,
                                        SkDiscountRule *rule,
                                        gint64          from,
                                        gint64          to,
                                        guint           limit,
                                        SkRulePreview  *out,
                                        GError        **error);

G_END_DECLS
