/* sk-entry-dialog.c: a message dialog with entries, checked as typed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-entry-dialog.h"
#include "sk-widgets.h"

typedef struct
{
  GPtrArray         *entries;
  GtkLabel          *error;
  SkEntryDialogCheck check;
  gpointer           user_data;
} Form;

static void
form_free (Form *form)
{
  g_ptr_array_unref (form->entries);
  g_free (form);
}

static Form *
form_of (AdwMessageDialog *dialog)
{
  return g_object_get_data (G_OBJECT (dialog), "sk-entry-form");
}

static void
changed_cb (AdwMessageDialog *dialog)
{
  Form       *form = form_of (dialog);
  const char *why = form->check (dialog, form->user_data);

  adw_message_dialog_set_response_enabled (dialog, "apply", why == NULL);
  gtk_widget_set_visible (GTK_WIDGET (form->error), why != NULL && *why != '\0');
  gtk_label_set_text (form->error, why ? why : "");
}

AdwMessageDialog *
sk_entry_dialog_new (GtkWidget         *parent,
                     const char        *heading,
                     const char        *body,
                     const char *const *labels,
                     const char *const *values,
                     const char        *error,
                     const char        *apply_label,
                     SkEntryDialogCheck check,
                     gpointer           user_data)
{
  GtkRoot          *root = parent ? gtk_widget_get_root (parent) : NULL;
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  Form      *form = g_new0 (Form, 1);

  g_return_val_if_fail (check != NULL, NULL);
  form->entries = g_ptr_array_new ();
  form->check = check;
  form->user_data = user_data;
  for (guint i = 0; labels[i] != NULL; i++)
    {
      GtkWidget *entry = gtk_entry_new ();

      gtk_entry_set_placeholder_text (GTK_ENTRY (entry), labels[i]);
      gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      labels[i], -1);
      if (values != NULL && values[i] != NULL)
        gtk_editable_set_text (GTK_EDITABLE (entry), values[i]);
      /* Return in any field applies, once the form is right. */
      gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
      gtk_box_append (GTK_BOX (box), entry);
      g_ptr_array_add (form->entries, entry);
    }
  form->error = GTK_LABEL (gtk_label_new (error));
  gtk_label_set_wrap (form->error, TRUE);
  gtk_label_set_xalign (form->error, 0);
  gtk_widget_add_css_class (GTK_WIDGET (form->error), "error");
  gtk_widget_set_visible (GTK_WIDGET (form->error), error != NULL);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (form->error));
  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "apply", apply_label, NULL);
  adw_message_dialog_set_response_appearance (dialog, "apply", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (dialog, "cancel");
  adw_message_dialog_set_default_response (dialog, "apply");
  g_object_set_data_full (G_OBJECT (dialog), "sk-entry-form", form, (GDestroyNotify)form_free);
  adw_message_dialog_set_response_enabled (dialog, "apply", check (dialog, user_data) == NULL);
  for (guint i = 0; i < form->entries->len; i++)
    g_signal_connect_swapped (g_ptr_array_index (form->entries, i), "changed",
                              G_CALLBACK (changed_cb), dialog);
  return dialog;
}

GtkEditable *
sk_entry_dialog_get_entry (AdwMessageDialog *dialog, guint i)
{
  Form *form = form_of (dialog);

  g_return_val_if_fail (form != NULL && i < form->entries->len, NULL);
  return g_ptr_array_index (form->entries, i);
}

const char *
sk_entry_dialog_get_text (AdwMessageDialog *dialog, guint i)
{
  return gtk_editable_get_text (sk_entry_dialog_get_entry (dialog, i));
}

const char *
sk_entry_dialog_get_error (AdwMessageDialog *dialog)
{
  Form *form = form_of (dialog);

  g_return_val_if_fail (form != NULL, NULL);
  return sk_error_label_get (form->error);
}
