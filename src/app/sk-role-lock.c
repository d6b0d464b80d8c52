/* sk-role-lock.c: the administrator PIN of a stand-alone till.
 *
 * The app does not link libsodium (only skidka-server does), so the PIN is
 * kept as GLib's SHA-256 of a random salt and the PIN: enough to keep it
 * out of sight in the settings; the PIN guards a till's role against the
 * people at it, not against someone who can read the user's files.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sk-role-lock.h"

static char *
digest (const char *salt, const char *pin)
{
  g_autofree char *salted = g_strconcat (salt, ":", pin, NULL);
  char            *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, salted, -1);

  memset (salted, 0, strlen (salted));
  return hex;
}

char *
sk_pin_hash (const char *pin)
{
  guint8           bytes[16];
  g_autofree char *salt = NULL;
  g_autofree char *hex = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bytes); i++)
    bytes[i] = (guint8)g_random_int_range (0, 256);
  salt = g_compute_checksum_for_data (G_CHECKSUM_MD5, bytes, sizeof bytes);
  hex = digest (salt, pin);
  return g_strconcat (salt, "$", hex, NULL);
}

gboolean
sk_pin_verify (const char *stored, const char *pin)
{
  const char      *dollar = stored ? strchr (stored, '$') : NULL;
  g_autofree char *salt = NULL;
  g_autofree char *hex = NULL;

  if (dollar == NULL || pin == NULL)
    return FALSE;
  salt = g_strndup (stored, dollar - stored);
  hex = digest (salt, pin);
  return g_str_equal (hex, dollar + 1);
}

gboolean
sk_role_change_needs_pin (SkRole from, SkRole to)
{
  return to != from && to != SK_ROLE_CASHIER;
}

static void
response_cb (AdwMessageDialog *dialog, const char *response, GTask *task)
{
  SkApplication   *app = g_task_get_task_data (task);
  GSettings       *settings = sk_application_get_settings (app);
  GtkEditable     *entry = g_object_get_data (G_OBJECT (dialog), "pin-entry");
  g_autofree char *stored = g_settings_get_string (settings, "admin-pin");
  const char      *pin = gtk_editable_get_text (entry);

  if (!g_str_equal (response, "unlock"))
    g_task_return_boolean (task, FALSE);
  else if (*stored == '\0' && g_utf8_strlen (pin, -1) < SK_PIN_MIN_LENGTH)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _ ("The PIN must have at least 4 characters"));
  else if (*stored == '\0')
    {
      g_autofree char *hash = sk_pin_hash (pin);

      g_settings_set_string (settings, "admin-pin", hash);
      g_task_return_boolean (task, TRUE);
    }
  else if (sk_pin_verify (stored, pin))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                             _ ("The PIN is wrong: the role stays as it was"));
  g_object_unref (task);
}

void
sk_role_lock_ask_async (GtkWindow          *parent,
                        SkApplication      *app,
                        GCancellable       *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer            user_data)
{
  GTask            *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char  *stored = g_settings_get_string (sk_application_get_settings (app), "admin-pin");
  gboolean          first = *stored == '\0';
  GtkWidget        *entry = gtk_entry_new ();
  AdwMessageDialog *dialog;

  g_task_set_source_tag (task, sk_role_lock_ask_async);
  g_task_set_task_data (task, g_object_ref (app), g_object_unref);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      parent, first ? _ ("Choose an Administrator PIN") : _ ("Administrator PIN"),
      first ? _ ("Raising the role of this till needs a PIN. Choose one of at least 4 "
                 "characters: it will be asked each time the role is raised.")
            : _ ("Raising the role of this till needs the administrator PIN.")));
  /* A GtkEntry, not a GtkPasswordEntry: GTK 4.8's one warns when its
   * dialog goes while it has the focus. */
  gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
  gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PIN);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Administrator PIN"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  g_object_set_data (G_OBJECT (dialog), "pin-entry", entry);
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "unlock",
                                    first ? _ ("_Set PIN") : _ ("_Unlock"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "unlock", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "unlock");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (response_cb), task);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

gboolean
sk_role_lock_ask_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
