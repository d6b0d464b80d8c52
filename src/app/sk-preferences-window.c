/* sk-preferences-window.c: settings of this till (store, role, bonus
 * display, server URL and account) and the demo data reset.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include "sk-demo.h"
#include "sk-preferences-window.h"
#include "sk-role-lock.h"
#include "sk-widgets.h"

struct _SkPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow         *store_row;
  AdwPreferencesGroup *till_group;
  AdwComboRow         *role_row;
  GtkSwitch           *bonus_switch;
  AdwActionRow        *accrual_row;
  AdwActionRow        *share_row;
  AdwActionRow        *connection_row;
  GtkWidget           *connect_button;
  AdwActionRow        *db_row;
  GtkWidget           *reset_button;
  GtkWidget           *data_group;

  SkApplication *app;
  GPtrArray     *stores;
  GCancellable  *cancellable;
};

G_DEFINE_FINAL_TYPE (SkPreferencesWindow, sk_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The store chosen in the row (the till's store). */
static void
update_bonus_rows (SkPreferencesWindow *self)
{
  guint    i = adw_combo_row_get_selected (self->store_row);
  SkStore *store
      = self->stores != NULL && i < self->stores->len ? g_ptr_array_index (self->stores, i) : NULL;
  g_autofree char *rate = NULL;
  g_autofree char *share = NULL;

  if (store == NULL)
    return;
  rate = g_strdup_printf (_ ("%g %% of what is paid in money"),
                          sk_record_get_int64 (store, "bonus_rate") / 100.0);
  share = g_strdup_printf ("%g %%", sk_record_get_int64 (store, "max_bonus_share") / 100.0);
  adw_action_row_set_subtitle (self->accrual_row, rate);
  adw_action_row_set_subtitle (self->share_row, share);
}

static void
store_selected_cb (SkPreferencesWindow *self)
{
  guint i = adw_combo_row_get_selected (self->store_row);

  if (self->stores == NULL || i >= self->stores->len)
    return;
  g_settings_set_string (sk_application_get_settings (self->app), "store-id",
                         sk_record_get_id (g_ptr_array_index (self->stores, i)));
  update_bonus_rows (self);
}

/* The roles in the order of the role row's list. */
static const SkRole role_rows[]
    = { SK_ROLE_CASHIER, SK_ROLE_MANAGER, SK_ROLE_MARKETING, SK_ROLE_ADMIN };

static void role_selected_cb (SkPreferencesWindow *self);

/* The row shows the role as it is. */
static void
show_role (SkPreferencesWindow *self)
{
  SkRole role = sk_application_get_role (self->app);

  g_signal_handlers_block_by_func (self->role_row, role_selected_cb, self);
  for (guint i = 0; i < G_N_ELEMENTS (role_rows); i++)
    if (role_rows[i] == role)
      adw_combo_row_set_selected (self->role_row, i);
  g_signal_handlers_unblock_by_func (self->role_row, role_selected_cb, self);
  gtk_widget_set_visible (self->data_group, sk_role_can_reset_data (role));
}

static void
set_role (SkPreferencesWindow *self, SkRole role)
{
  g_settings_set_string (sk_application_get_settings (self->app), "role", sk_role_to_string (role));
  show_role (self);
}

static void
unlocked_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  SkRole role = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "asked-role"));

  if (sk_role_lock_ask_finish (result, &error))
    set_role (self, role);
  else if (error != NULL)
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                      adw_toast_new (error->message));
}

/* Lowering the role is free; raising it asks for the PIN, and until it is
 * given the row shows the role as it is. */
static void
role_selected_cb (SkPreferencesWindow *self)
{
  guint  selected = adw_combo_row_get_selected (self->role_row);
  SkRole current = sk_application_get_role (self->app);

  if (selected >= G_N_ELEMENTS (role_rows)
      || g_settings_get_boolean (sk_application_get_settings (self->app), "role-from-account"))
    return;
  if (!sk_role_change_needs_pin (current, role_rows[selected]))
    {
      set_role (self, role_rows[selected]);
      return;
    }
  show_role (self);
  g_object_set_data (G_OBJECT (self), "asked-role", GINT_TO_POINTER (role_rows[selected]));
  sk_role_lock_ask_async (GTK_WINDOW (self), self->app, self->cancellable, unlocked_cb,
                          g_object_ref (self));
}

/* Connected: the role and the store are the account's, shown, not chosen. */
static void
connection_changed_cb (SkPreferencesWindow *self)
{
  GSettings       *settings = sk_application_get_settings (self->app);
  g_autofree char *server = g_settings_get_string (settings, "server-url");
  g_autofree char *account = g_settings_get_string (settings, "account");
  g_autofree char *account_store = sk_application_dup_account_store_id (self->app);
  gboolean         from_account = g_settings_get_boolean (settings, "role-from-account");
  g_autofree char *subtitle = NULL;
  g_autofree char *from = NULL;

  if (*server != '\0' && *account != '\0')
    {
      subtitle = g_strdup_printf (_ ("%s at %s"), account, server);
      gtk_button_set_label (GTK_BUTTON (self->connect_button), _ ("_Sign In Again…"));
    }
  else
    {
      subtitle = g_strdup (_ ("Not connected: this till works on its own"));
      gtk_button_set_label (GTK_BUTTON (self->connect_button), _ ("_Connect…"));
    }
  adw_action_row_set_subtitle (self->connection_row, subtitle);
  from = g_strdup_printf (_ ("From the HQ account %s"), account);
  gtk_widget_set_sensitive (GTK_WIDGET (self->role_row), !from_account);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->role_row),
                               from_account ? from : _ ("What the person at this desktop may do"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->store_row), account_store == NULL);
  adw_preferences_group_set_description (
      self->till_group,
      account_store != NULL ? from : _ ("Sales of this till are recorded in this store"));
  show_role (self);
}

static void
reset_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkApplication) app = user_data;
  g_autoptr (GError) error = NULL;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  /* The views heard database-changed already. */
  if (!sk_repository_generate_demo_finish (SK_REPOSITORY (source), result, &error))
    {
      if (window != NULL)
        sk_widget_toast (GTK_WIDGET (window), error->message);
      return;
    }
  g_settings_reset (sk_application_get_settings (app), "store-id");
  if (window != NULL)
    sk_widget_toast (GTK_WIDGET (window), _ ("The demo data was loaded again"));
}

static void
reset_response_cb (AdwMessageDialog *dialog, const char *response, SkPreferencesWindow *self)
{
  const SkDemoOptions options = { -1, -1, 0, 42 };

  if (!g_str_equal (response, "reset"))
    return;
  /* Made in a new file that then replaces this one, off the main thread;
   * outlives this window. */
  sk_repository_generate_demo_async (sk_application_get_repository (self->app), &options, TRUE,
                                     NULL, reset_done, g_object_ref (self->app));
  gtk_window_close (GTK_WINDOW (self));
}

static void
reset_clicked_cb (SkPreferencesWindow *self)
{
  GtkWidget *dialog = adw_message_dialog_new (
      GTK_WINDOW (self), _ ("Reset to Demo Data?"),
      _ ("Every customer, sale, rule and campaign in the local database will be erased and "
         "replaced by the demo chain. Sales not yet synced are lost."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), "reset",
                                    _ ("_Reset"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reset",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (reset_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  sk_message_dialog_focus_default (ADW_MESSAGE_DIALOG (dialog));
}

static void
stores_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkPreferencesWindow *self;
  g_autoptr (GPtrArray) stores = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *current = NULL;
  guint            selected = 0;

  stores = sk_repository_list_stores_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_PREFERENCES_WINDOW (user_data);
  if (stores == NULL)
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (error->message));
      return;
    }
  g_clear_pointer (&self->stores, g_ptr_array_unref);
  self->stores = g_steal_pointer (&stores);
  /* The setting, else the first store (as the till sells). */
  current = sk_application_dup_store_id (self->app);
  for (guint i = 0; i < self->stores->len; i++)
    {
      SkStore *s = g_ptr_array_index (self->stores, i);

      gtk_string_list_append (names, sk_record_get_string (s, "name"));
      if (g_strcmp0 (sk_record_get_id (s), current) == 0)
        selected = i;
    }
  g_signal_handlers_block_by_func (self->store_row, store_selected_cb, self);
  adw_combo_row_set_model (self->store_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->store_row, selected);
  g_signal_handlers_unblock_by_func (self->store_row, store_selected_cb, self);
  /* A combo row given a model makes itself sensitive again: a store's
   * account keeps its store. */
  connection_changed_cb (self);
  update_bonus_rows (self);
}

SkPreferencesWindow *
sk_preferences_window_new (SkApplication *app)
{
  SkPreferencesWindow *self = g_object_new (SK_TYPE_PREFERENCES_WINDOW, "application", app, NULL);
  GSettings           *settings = sk_application_get_settings (app);

  self->app = app;
  sk_repository_list_stores_async (sk_application_get_repository (app), self->cancellable,
                                   stores_listed_cb, self);
  g_settings_bind (settings, "show-bonus-details", self->bonus_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (settings, "changed", G_CALLBACK (connection_changed_cb), self,
                           G_CONNECT_SWAPPED);
  connection_changed_cb (self);
  adw_action_row_set_subtitle (self->db_row, sk_application_get_db_path (app));

  g_signal_connect_swapped (self->store_row, "notify::selected", G_CALLBACK (store_selected_cb),
                            self);
  g_signal_connect_swapped (self->role_row, "notify::selected", G_CALLBACK (role_selected_cb),
                            self);
  g_signal_connect_swapped (self->reset_button, "clicked", G_CALLBACK (reset_clicked_cb), self);
  return self;
}

static void
sk_preferences_window_dispose (GObject *object)
{
  SkPreferencesWindow *self = SK_PREFERENCES_WINDOW (object);

  sk_cancellable_clear (&self->cancellable);
  g_clear_pointer (&self->stores, g_ptr_array_unref);
  G_OBJECT_CLASS (sk_preferences_window_parent_class)->dispose (object);
}

static void
sk_preferences_window_class_init (SkPreferencesWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, store_row);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, till_group);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, role_row);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, bonus_switch);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, accrual_row);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, share_row);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, connection_row);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, connect_button);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, db_row);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, reset_button);
  gtk_widget_class_bind_template_child (widget_class, SkPreferencesWindow, data_group);
}

static void
sk_preferences_window_init (SkPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}
