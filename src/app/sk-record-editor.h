/* sk-record-editor.h: what the customer, rule and campaign editors share:
 * the record being edited, its save through the repository (a version
 * someone else saved meanwhile is shown and decided on, sk-conflict-dialog.h),
 * the form's error line, "editor.save" and Escape to close.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-repository.h"

G_BEGIN_DECLS

#define SK_TYPE_RECORD_EDITOR (sk_record_editor_get_type ())
G_DECLARE_DERIVABLE_TYPE (SkRecordEditor, sk_record_editor, SK, RECORD_EDITOR, AdwWindow)

struct _SkRecordEditorClass
{
  AdwWindowClass parent_class;

  /* Said when a save is asked for while one is under way. */
  const char *busy_message;

  /* Reads the form into the record (sk_record_editor_get_record ()), or
   * shows what is wrong on the form and fails with it. */
  gboolean (*read_form) (SkRecordEditor *self, GError **error);
  /* Shows the record in the form. */
  void (*fill_form) (SkRecordEditor *self);
  /* Shows on the form what the store refused (NULL: nothing wrong); by
   * default on the error line alone. */
  void (*show_error) (SkRecordEditor *self, const GError *error);
};

/* Makes @record (taken) the one edited, through @repository; @is_new: it
 * is not stored yet. For the subclasses' constructors. */
void sk_record_editor_edit (SkRecordEditor *self,
                            SkRepository   *repository,
                            SkRecord       *record,
                            gboolean        is_new);
/* The form's error line, bound by the subclass's template. */
void sk_record_editor_set_error_label (SkRecordEditor *self, GtkLabel *label);

gpointer      sk_record_editor_get_record (SkRecordEditor *self);
gboolean      sk_record_editor_get_is_new (SkRecordEditor *self);
SkRepository *sk_record_editor_get_repository (SkRecordEditor *self);
/* Cancelled when the editor goes: for what the form asks of workers. */
GCancellable *sk_record_editor_get_cancellable (SkRecordEditor *self);
/* What the error line says, NULL when it is hidden. */
const char *sk_record_editor_get_error (SkRecordEditor *self);

/* Reads the form and saves the record; "saved" is emitted with the record
 * as stored. Fails with the form's problem, the store's refusal, or
 * SK_ERROR_STALE when the user took the version someone else saved. */
void     sk_record_editor_save_async (SkRecordEditor     *self,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
gboolean sk_record_editor_save_finish (SkRecordEditor *self, GAsyncResult *result, GError **error);

G_END_DECLS
