/* sk-template-editor.h: the texts of the notifications per event and
 * language, edited with a live preview and saved with the version check.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SK_TYPE_TEMPLATE_EDITOR (sk_template_editor_get_type ())
G_DECLARE_FINAL_TYPE (
    SkTemplateEditor, sk_template_editor, SK, TEMPLATE_EDITOR, AdwPreferencesGroup)

/* Shows the campaign announcement in Russian first. */
GtkWidget *sk_template_editor_new (void);
/* @event: "campaign", "bonus_earned" or "birthday"; @language: "ru" or
 * "en". Reads that template off the main thread. */
void sk_template_editor_select (SkTemplateEditor *self, const char *event, const char *language);
gboolean sk_template_editor_get_loading (SkTemplateEditor *self);
void     sk_template_editor_set_subject (SkTemplateEditor *self, const char *subject);
void     sk_template_editor_set_body (SkTemplateEditor *self, const char *body);
/* The preview as shown; the error shown (NULL: none). */
const char *sk_template_editor_get_preview_subject (SkTemplateEditor *self);
const char *sk_template_editor_get_preview_body (SkTemplateEditor *self);
const char *sk_template_editor_get_error (SkTemplateEditor *self);

/* Saves the template shown, as the Save Template button does; the
 * store's refusal is shown in place. */
void sk_template_editor_save_async (SkTemplateEditor   *self,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
gboolean
sk_template_editor_save_finish (SkTemplateEditor *self, GAsyncResult *result, GError **error);

G_END_DECLS
