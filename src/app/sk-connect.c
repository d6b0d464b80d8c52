/* sk-connect.c: the till's connection to HQ: signing in, keeping the
 * token, restoring the connection at start, the sync actions.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-background-sync.h"
#include "sk-connect.h"
#include "sk-error.h"
#include "sk-review-window.h"
#include "sk-token-store.h"
#include "sk-widgets.h"
#include "sk-window.h"

struct _SkConnectWindow
{
  AdwWindow parent_instance;

  SkApplication *app;
  AdwEntryRow   *server_row;
  AdwEntryRow   *user_row;
  AdwEntryRow   *password_row;
  GtkLabel      *message;
  GtkWidget     *connect_button;
  GtkWidget     *file_button;
  GtkSpinner    *spinner;
  GCancellable  *cancellable;
  /* Signed in, waiting for a place to keep the token. */
  char  *server_url;
  char  *account;
  char  *token;
  SkRole role;
  char  *store_id;
};

G_DEFINE_FINAL_TYPE (SkConnectWindow, sk_connect_window, ADW_TYPE_WINDOW)

char *
sk_connect_describe_error (const GError *error, const char *server_url)
{
  if (g_error_matches (error, SK_ERROR, SK_ERROR_UNAUTHORIZED))
    return g_strdup (_ ("The user name or the password is wrong."));
  if (g_error_matches (error, SK_ERROR, SK_ERROR_FORBIDDEN))
    return g_strdup (_ ("This account may not sign in from a till."));
  if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
    return g_strdup_printf (
        _ ("The secure connection to %s failed: its certificate is not trusted or not valid. "
           "Check the address, or ask the administrator to fix the server's certificate."),
        server_url);
  /* An address typed without http:// is tried with https://: a server of
   * plain HTTP answers that with something that is not TLS. */
  if (error->domain == G_TLS_ERROR)
    return g_strdup_printf (_ ("The server at %s did not answer a secure (HTTPS) connection. If "
                               "it is a plain HTTP server, type its address with http://."),
                            server_url);
  if (g_error_matches (error, SK_ERROR, SK_ERROR_NOT_FOUND))
    return g_strdup_printf (
        _ ("Nothing at %s answers as a Skidka server. Check the address: the server's, with no "
           "path after it."),
        server_url);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return g_strdup_printf (_ ("“%s” is not a server address."), server_url);
  if (error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR)
    return g_strdup_printf (
        _ ("Cannot reach the server at %s. Check the address and the network, or try again "
           "later."),
        server_url);
  /* HQ's answer says itself what it was ("The server answered 429: …"). */
  if (error->domain == SK_ERROR)
    return g_strdup (error->message);
  return g_strdup_printf (_ ("The server answered with an error: %s"), error->message);
}

const char *
sk_connect_window_get_message (SkConnectWindow *self)
{
  g_return_val_if_fail (SK_IS_CONNECT_WINDOW (self), NULL);
  return gtk_label_get_label (self->message);
}

gboolean
sk_connect_window_get_offers_file (SkConnectWindow *self)
{
  g_return_val_if_fail (SK_IS_CONNECT_WINDOW (self), FALSE);
  return gtk_widget_get_visible (self->file_button);
}

static void
set_busy (SkConnectWindow *self, gboolean busy)
{
  gtk_widget_set_sensitive (self->connect_button, !busy);
  gtk_widget_set_sensitive (self->file_button, !busy);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}

static void
show_message (SkConnectWindow *self, const char *text, gboolean is_error)
{
  gtk_label_set_label (self->message, text);
  gtk_widget_set_visible (GTK_WIDGET (self->message), text != NULL && *text != '\0');
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->message), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message), "error");
}

/* The account's role and store, cached for offline use: the views follow
 * the role (GSettings "role"), the checkout sells in the store. */
static void
apply_account (SkApplication *app, SkRole role, const char *store_id)
{
  GSettings *settings = sk_application_get_settings (app);

  g_settings_set_string (settings, "account-store-id", store_id ? store_id : "");
  if (store_id != NULL)
    g_settings_set_string (settings, "store-id", store_id);
  g_settings_set_string (settings, "role", sk_role_to_string (role));
  g_settings_set_boolean (settings, "role-from-account", TRUE);
}

static void
forget_token (SkConnectWindow *self)
{
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_clear_pointer (&self->token, g_free);
}

/* The token is kept: the till is connected. */
static void
connected (SkConnectWindow *self)
{
  GSettings       *settings = sk_application_get_settings (self->app);
  GtkWindow       *main_window = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autofree char *text = g_strdup_printf (_ ("Connected to HQ as %s"), self->account);

  g_settings_set_string (settings, "server-url", self->server_url);
  g_settings_set_string (settings, "account", self->account);
  apply_account (self->app, self->role, self->store_id);
  sk_background_sync_connect (sk_application_get_sync (self->app), self->server_url, self->token);
  forget_token (self);
  if (SK_IS_WINDOW (main_window))
    sk_window_add_toast (SK_WINDOW (main_window), text);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
token_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkConnectWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  set_busy (self, FALSE);
  if (sk_token_store_save_finish (result, &error))
    {
      connected (self);
      return;
    }
  if (g_error_matches (error, SK_TOKEN_STORE_ERROR, SK_TOKEN_STORE_ERROR_NO_KEYRING))
    {
      g_autofree char *text = g_strdup_printf (
          _ ("%s. The sign-in can be kept in a file that only your user account can read "
             "instead."),
          error->message);

      show_message (self, text, FALSE);
      gtk_widget_set_visible (self->file_button, TRUE);
      gtk_window_set_default_widget (GTK_WINDOW (self), self->file_button);
      return;
    }
  show_message (self, error->message, TRUE);
}

static void
keep_in_file_cb (SkConnectWindow *self)
{
  if (self->token == NULL)
    return;
  set_busy (self, TRUE);
  sk_token_store_save_async (self->server_url, self->account, self->token, SK_TOKEN_PLACE_FILE,
                             self->cancellable, token_saved_cb, g_object_ref (self));
}

typedef struct
{
  char  *server_url;
  char  *account;
  char  *password;
  char  *token; /* what the thread found */
  SkRole role;
  char  *store_id;
} Login;

static void
login_free (Login *login)
{
  g_free (login->server_url);
  g_free (login->account);
  if (login->password != NULL)
    memset (login->password, 0, strlen (login->password));
  g_free (login->password);
  g_free (login->token);
  g_free (login->store_id);
  g_free (login);
}

static void
login_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Login  *login = data;
  GError *error = NULL;

  /* A token already given: only the account is read again. */
  if (login->token == NULL)
    login->token
        = sk_sync_login (login->server_url, login->account, login->password, cancellable, &error);
  if (login->token == NULL
      || !sk_sync_fetch_account (login->server_url, login->token, &login->role, &login->store_id,
                                 cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
logged_in_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkConnectWindow *self = SK_CONNECT_WINDOW (source);
  g_autoptr (GError) error = NULL;
  Login *login = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = sk_connect_describe_error (error, self->server_url);
      g_debug ("Sign-in: %s", error->message);
      set_busy (self, FALSE);
      show_message (self, text, TRUE);
      /* What the user typed stays; the password is to be typed again only
       * when it was wrong. */
      if (g_error_matches (error, SK_ERROR, SK_ERROR_UNAUTHORIZED))
        gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }
  forget_token (self);
  self->token = g_steal_pointer (&login->token);
  self->role = login->role;
  g_free (self->store_id);
  self->store_id = g_steal_pointer (&login->store_id);
  /* Where the user agreed to keep it before (no keyring here), again
   * without asking. */
  {
    g_autofree char *file = sk_token_store_file_path ();

    sk_token_store_save_async (self->server_url, self->account, self->token,
                               g_file_test (file, G_FILE_TEST_EXISTS) ? SK_TOKEN_PLACE_FILE
                                                                      : SK_TOKEN_PLACE_KEYRING,
                               self->cancellable, token_saved_cb, g_object_ref (self));
  }
}

/* "hq.example:8443" means https. */
static char *
normalize_url (const char *text)
{
  g_autofree char *url = g_strstrip (g_strdup (text));

  while (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  if (*url != '\0' && !g_str_has_prefix (url, "http://") && !g_str_has_prefix (url, "https://"))
    return g_strconcat ("https://", url, NULL);
  return g_steal_pointer (&url);
}

static void
connect_clicked_cb (SkConnectWindow *self)
{
  const char      *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  g_autofree char *account
      = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->user_row))));
  g_autoptr (GTask) task = NULL;
  Login *login;

  /* A sign-in is under way. */
  if (!gtk_widget_get_sensitive (self->connect_button))
    return;
  g_free (self->server_url);
  self->server_url = normalize_url (gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
  if (*self->server_url == '\0' || *account == '\0' || *password == '\0')
    {
      show_message (self, _ ("Enter the server address, the user name and the password."), TRUE);
      return;
    }
  g_free (self->account);
  self->account = g_steal_pointer (&account);
  gtk_widget_set_visible (self->file_button, FALSE);
  show_message (self, _ ("Signing in…"), FALSE);
  set_busy (self, TRUE);
  login = g_new0 (Login, 1);
  login->server_url = g_strdup (self->server_url);
  login->account = g_strdup (self->account);
  login->password = g_strdup (password);
  task = g_task_new (self, self->cancellable, logged_in_cb, NULL);
  g_task_set_source_tag (task, connect_clicked_cb);
  g_task_set_task_data (task, login, (GDestroyNotify)login_free);
  g_task_run_in_thread (task, login_thread);
}

SkConnectWindow *
sk_connect_window_new (SkApplication *app)
{
  SkConnectWindow *self = g_object_new (SK_TYPE_CONNECT_WINDOW, NULL);
  GSettings       *settings = sk_application_get_settings (app);
  g_autofree char *server = g_settings_get_string (settings, "server-url");
  g_autofree char *account = g_settings_get_string (settings, "account");

  self->app = app;
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server);
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), account);
  gtk_widget_grab_focus (*server == '\0'    ? GTK_WIDGET (self->server_row)
                         : *account == '\0' ? GTK_WIDGET (self->user_row)
                                            : GTK_WIDGET (self->password_row));
  return self;
}

static void
sk_connect_window_dispose (GObject *object)
{
  SkConnectWindow *self = SK_CONNECT_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (sk_connect_window_parent_class)->dispose (object);
}

static void
sk_connect_window_finalize (GObject *object)
{
  SkConnectWindow *self = SK_CONNECT_WINDOW (object);

  forget_token (self);
  g_clear_object (&self->cancellable);
  g_free (self->server_url);
  g_free (self->account);
  g_free (self->store_id);
  G_OBJECT_CLASS (sk_connect_window_parent_class)->finalize (object);
}

static void
sk_connect_window_class_init (SkConnectWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_connect_window_dispose;
  object_class->finalize = sk_connect_window_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static AdwEntryRow *
entry_row (GtkWidget *group, GType type, const char *title)
{
  GtkWidget *row = g_object_new (type, "title", title, NULL);

  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return ADW_ENTRY_ROW (row);
}

static void
sk_connect_window_init (SkConnectWindow *self)
{
  GtkWidget *toolbar = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *page = adw_preferences_page_new ();
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *actions = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *message_group = adw_preferences_group_new ();

  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _ ("Connect to HQ"));
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  /* Room for the description, the fields, a message and both buttons. */
  gtk_window_set_default_size (GTK_WINDOW (self), 480, 560);
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _ ("Connect to HQ"));
  adw_preferences_group_set_description (
      ADW_PREFERENCES_GROUP (group),
      _ ("At a till, sign in with an account of its store: the till then sends its sales to HQ "
         "and receives HQ's rules, campaigns and customers, whatever the network does. At HQ, "
         "sign in with your own account to edit the chain's rules and campaigns and read its "
         "charts."));
  self->server_row = entry_row (group, ADW_TYPE_ENTRY_ROW, _ ("Server address"));
  self->user_row = entry_row (group, ADW_TYPE_ENTRY_ROW, _ ("User name"));
  self->password_row = entry_row (group, ADW_TYPE_PASSWORD_ENTRY_ROW, _ ("Password"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->server_row), "https://hq.example:8443");
  /* Enter there presses Connect, the window's default: once (connected to
   * "entry-activated" as well, it signed in twice, and two failures a try
   * locked the account out after three). */
  adw_entry_row_set_activates_default (self->password_row, TRUE);

  self->message = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->message, TRUE);
  gtk_label_set_xalign (self->message, 0);
  gtk_label_set_selectable (self->message, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->message), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (message_group), GTK_WIDGET (self->message));

  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
  self->file_button = gtk_button_new_with_mnemonic (_ ("_Keep in a File Only I Can Read"));
  gtk_widget_add_css_class (self->file_button, "pill");
  gtk_widget_set_visible (self->file_button, FALSE);
  g_signal_connect_swapped (self->file_button, "clicked", G_CALLBACK (keep_in_file_cb), self);
  self->connect_button = gtk_button_new_with_mnemonic (_ ("_Connect"));
  gtk_widget_add_css_class (self->connect_button, "pill");
  gtk_widget_add_css_class (self->connect_button, "suggested-action");
  g_signal_connect_swapped (self->connect_button, "clicked", G_CALLBACK (connect_clicked_cb), self);
  gtk_widget_set_halign (actions, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (actions), GTK_WIDGET (self->spinner));
  gtk_box_append (GTK_BOX (actions), self->file_button);
  gtk_box_append (GTK_BOX (actions), self->connect_button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (message_group), actions);
  gtk_widget_set_margin_top (actions, 12);

  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (group));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (message_group));
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (toolbar), header);
  gtk_box_append (GTK_BOX (toolbar), page);
  adw_window_set_content (ADW_WINDOW (self), toolbar);
  gtk_window_set_default_widget (GTK_WINDOW (self), self->connect_button);
}

/* The application's side */

static void
connect_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SkApplication   *app = user_data;
  GtkWindow       *parent = gtk_application_get_active_window (GTK_APPLICATION (app));
  SkConnectWindow *window = sk_connect_window_new (app);

  if (parent != NULL && !SK_IS_CONNECT_WINDOW (parent))
    gtk_window_set_transient_for (GTK_WINDOW (window), parent);
  gtk_window_set_application (GTK_WINDOW (window), GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
}

static void
review_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  SkApplication  *app = user_data;
  GtkWindow      *parent = gtk_application_get_active_window (GTK_APPLICATION (app));
  SkReviewWindow *window = sk_review_window_new (app);

  if (parent != NULL)
    gtk_window_set_transient_for (GTK_WINDOW (window), parent);
  gtk_window_set_application (GTK_WINDOW (window), GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
}

/* The review is HQ's: for a connected manager or administrator. */
static void
review_enabled_cb (SkApplication *app)
{
  GAction *review = g_action_map_lookup_action (G_ACTION_MAP (app), "review");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (review),
                               sk_background_sync_get_client (sk_application_get_sync (app)) != NULL
                                   && sk_review_allowed (sk_application_get_role (app)));
}

static void
sync_now_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  sk_background_sync_sync_now (sk_application_get_sync (user_data));
}

static void
refreshed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkApplication *app = SK_APPLICATION (source);
  Login         *refresh = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  /* Offline, or the token refused (sync says so): the cached role stays. */
  if (g_task_propagate_boolean (G_TASK (result), &error))
    apply_account (app, refresh->role, refresh->store_id);
  else
    g_debug ("The account's role stays as cached: %s", error->message);
}

/* The account's role and store may have changed at HQ since the last run. */
static void
refresh_account (SkApplication *app, const char *server_url, const char *token)
{
  g_autoptr (GTask) task = g_task_new (app, NULL, refreshed_cb, NULL);
  Login *refresh = g_new0 (Login, 1);

  refresh->server_url = g_strdup (server_url);
  refresh->token = g_strdup (token);
  g_task_set_source_tag (task, refresh_account);
  g_task_set_task_data (task, refresh, (GDestroyNotify)login_free);
  g_task_run_in_thread (task, login_thread);
}

static void
token_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkApplication) app = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = sk_token_store_load_finish (result, &error);
  g_autofree char *server = g_settings_get_string (sk_application_get_settings (app), "server-url");

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* No token: the header bar asks to sign in again. */
  sk_background_sync_connect (sk_application_get_sync (app), server, token);
  if (token != NULL)
    refresh_account (app, server, token);
}

static void
sync_enabled_cb (SkBackgroundSync *sync, GParamSpec *pspec, GSimpleAction *action)
{
  g_simple_action_set_enabled (action, sk_background_sync_get_client (sync) != NULL);
}

void
sk_connect_setup (SkApplication *app)
{
  static const char *sync_accels[] = { "<Control>r", NULL };
  GSettings         *settings = sk_application_get_settings (app);
  g_autofree char   *server = g_settings_get_string (settings, "server-url");
  g_autofree char   *account = g_settings_get_string (settings, "account");
  g_autoptr (GSimpleAction) sync_now = g_simple_action_new ("sync-now", NULL);
  g_autoptr (GSimpleAction) connect = g_simple_action_new ("connect", NULL);
  SkBackgroundSync *sync = sk_application_get_sync (app);

  g_signal_connect_object (sync_now, "activate", G_CALLBACK (sync_now_action), app, 0);
  g_signal_connect_object (connect, "activate", G_CALLBACK (connect_action), app, 0);
  g_signal_connect_object (sync, "notify::client", G_CALLBACK (sync_enabled_cb), sync_now, 0);
  sync_enabled_cb (sync, NULL, sync_now);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (sync_now));
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (connect));
  {
    g_autoptr (GSimpleAction) review = g_simple_action_new ("review", NULL);

    g_signal_connect_object (review, "activate", G_CALLBACK (review_action), app, 0);
    g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (review));
    g_signal_connect_object (sync, "notify::client", G_CALLBACK (review_enabled_cb), app,
                             G_CONNECT_SWAPPED);
    g_signal_connect_object (settings, "changed::role", G_CALLBACK (review_enabled_cb), app,
                             G_CONNECT_SWAPPED);
    review_enabled_cb (app);
  }
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.sync-now", sync_accels);

  if (*server != '\0' && *account != '\0')
    sk_token_store_load_async (server, account, NULL, token_loaded_cb, g_object_ref (app));
}
