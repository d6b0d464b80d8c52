/* sk-entry-dialog.h: a message dialog with a few entries that says what is
 * wrong under them as they are typed and offers Apply only when the form
 * is right; shown again with what was typed when the store refuses it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Why the form may not be applied yet (NULL: it may; "": not yet, nothing
 * to say). */
typedef const char *(*SkEntryDialogCheck) (AdwMessageDialog *dialog, gpointer user_data);

/* @labels: each entry's placeholder and accessible name (NULL-terminated);
 * @values: their texts (NULL: empty); @error: said at once (NULL: none).
 * The "apply" response is @apply_label's. */
AdwMessageDialog *sk_entry_dialog_new (GtkWidget         *parent,
                                       const char        *heading,
                                       const char        *body,
                                       const char *const *labels,
                                       const char *const *values,
                                       const char        *error,
                                       const char        *apply_label,
                                       SkEntryDialogCheck check,
                                       gpointer           user_data);
GtkEditable      *sk_entry_dialog_get_entry (AdwMessageDialog *dialog, guint i);
const char       *sk_entry_dialog_get_text (AdwMessageDialog *dialog, guint i);
/* The error under the entries, or NULL when none shows. */
const char *sk_entry_dialog_get_error (AdwMessageDialog *dialog);

G_END_DECLS
