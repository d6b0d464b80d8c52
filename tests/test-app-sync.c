/* test-app-sync.c: a till connected to a real skidka-server on loopback
 * (in-process, port 0), under Xvfb: signing in (a good and a wrong
 * password, the server down, no keyring: the token in a user-only file),
 * selling while the server is stopped ("3 pending"), syncing when it is
 * back, a rule edited at HQ priced in the open checkout, a revoked token
 * ("Sign in again") that loses no sale. A PNG of each state is saved.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/stat.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "sk-accounts.h"
#include "sk-analytics.h"
#include "sk-campaigns-view.h"
#include "sk-charts-view.h"
#include "sk-checkout-view.h"
#include "sk-connect.h"
#include "sk-customer-editor.h"
#include "sk-customers-view.h"
#include "sk-model-private.h"
#include "sk-review-window.h"
#include "sk-rule-editor.h"
#include "sk-server-private.h"
#include "sk-sync-status.h"
#include "sk-test-postgres.h"
#include "sk-test-server.h"
#include "sk-test-util.h"
#include "sk-token-store.h"
#include "test-app-common.h"

/* The test reads the app in its language (SKIDKA_LOCALEDIR and LANGUAGE
 * set: Russian screenshots): what the user sees, through the catalogue. */
#define T(s) g_dgettext (GETTEXT_PACKAGE, s)

/* The longest run of words of a translated format between its
 * conversions: what every text made of it contains. */
static char *
format_words (const char *format)
{
  g_auto (GStrv) pieces = g_strsplit (T (format), "%s", -1);
  const char *longest = "";

  for (guint i = 0; pieces[i] != NULL; i++)
    if (strlen (pieces[i]) > strlen (longest))
      longest = pieces[i];
  return g_strdup (longest);
}

static char *
pending_text (int n)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d pending", "%d pending", n), n);
}

static SkTestHq hq;
static char    *hq_store;

static void
hq_start (guint port)
{
  SkServerConfig *config = sk_test_server_config (hq.path, 2);

  config->port = port;
  sk_test_hq_serve (&hq, config);
}

static void
hq_setup (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkProduct) product = g_object_new (SK_TYPE_PRODUCT, NULL);
  static const struct
  {
    const char *username;
    const char *role;
    gboolean    of_store;
  } accounts[] = {
    { "cashier1", "cashier", TRUE },
    { "manager1", "manager", TRUE },
    { "marketing1", "marketing", FALSE },
    { "admin1", "admin", FALSE },
  };

  sk_test_hq_open (&hq, "skidka-app-sync-XXXXXX");
  store = sk_test_store_new ("S1", "Store one");
  g_assert_true (sk_database_save_store (hq.db, store, &error));
  g_assert_no_error (error);
  hq_store = g_strdup (sk_record_get_id (store));
  sk_test_set_string (&product->sku, "bear-1");
  sk_test_set_string (&product->name, "Teddy bear");
  sk_test_set_string (&product->category, "toys");
  product->price = 100000;
  g_assert_true (sk_database_save_product (hq.db, product, &error));
  g_assert_no_error (error);
  /* A till's accounts, of store one, and HQ's. */
  for (guint i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      g_autofree char *password = g_strconcat (accounts[i].role, "-pass", NULL);
      g_autofree char *user
          = sk_auth_create_user (hq.db, accounts[i].username, password, accounts[i].role,
                                 accounts[i].of_store ? hq_store : NULL, &error);

      g_assert_no_error (error);
    }
  hq_start (0);
}

/* A PNG of @widget once a stack's transition is over. */
static void
shot (GtkWidget *widget, const char *name)
{
  app_pump (600);
  app_save_png (widget, name);
}

/* The test's settings live in memory: each test starts unconnected. */
static void
sync_fixture_setup_settings (void)
{
  g_autofree char *token_file = sk_token_store_file_path ();
  g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
  const char *keys[] = { "server-url", "account", "role-from-account", "account-store-id",
                         "admin-pin",  "role",    "store-id" };

  /* Before the application starts: it connects to what the settings say. */
  g_unlink (token_file);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_settings_reset (settings, keys[i]);
}

static void
sync_fixture_setup (AppFixture *f, gconstpointer data)
{
  sync_fixture_setup_settings ();
  app_fixture_setup (f, data);
}

static gboolean
is_status (GtkWidget *widget, gconstpointer data)
{
  return SK_IS_SYNC_STATUS (widget);
}

static SkSyncStatus *
find_status (GtkWidget *widget)
{
  return SK_SYNC_STATUS (app_find_widget (widget, is_status, NULL));
}

/* Waiting for a text a widget shows to contain @words. */
typedef struct
{
  const char *(*get) (gpointer widget);
  gpointer    widget;
  const char *words;
} TextWait;

static gboolean
text_has (gpointer data)
{
  TextWait *w = data;

  return strstr (w->get (w->widget), w->words) != NULL;
}

static void
wait_status (AppFixture *f, const char *prefix)
{
  SkSyncStatus *status = find_status (GTK_WIDGET (f->window));
  TextWait      w = { (const char *(*)(gpointer))sk_sync_status_get_text, status, prefix };

  g_assert_nonnull (status);
  if (!app_wait (text_has, &w, 30000))
    g_error ("The sync status says “%s”, not “%s”", sk_sync_status_get_text (status), prefix);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (status)));
}

/* The status says what @format says (its longest run of words). */
static void
wait_format (AppFixture *f, const char *format)
{
  g_autofree char *prefix = format_words (format);

  wait_status (f, prefix);
}

static void
wait_pending (AppFixture *f, int n)
{
  g_autofree char *text = pending_text (n);

  wait_status (f, text);
}

static char *
login (const char *user, const char *password)
{
  g_autoptr (GError) error = NULL;
  char *token = sk_sync_login (hq.url, user, password, NULL, &error);

  g_assert_no_error (error);
  return token;
}

/* Connected the way the connect window leaves it, without its window. */
static void
connect_till (AppFixture *f, const char *token)
{
  GSettings    *settings = sk_application_get_settings (f->app);
  SkSyncClient *client;

  g_settings_set_string (settings, "server-url", hq.url);
  g_settings_set_string (settings, "account", "cashier1");
  sk_background_sync_connect (sk_application_get_sync (f->app), hq.url, token);
  client = sk_background_sync_get_client (sk_application_get_sync (f->app));
  /* One quick retry within a cycle: the test need not wait for three. */
  sk_sync_client_set_retry (client, 1, 50);
}

/* What Ctrl+R does: the accelerator's action, activated. */
static void
press_sync_now (AppFixture *f)
{
  g_auto (GStrv) actions
      = gtk_application_get_actions_for_accel (GTK_APPLICATION (f->app), "<Control>r");

  g_assert_nonnull (actions);
  g_assert_cmpstr (actions[0], ==, "app.sync-now");
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->app), "sync-now"));
  /* The window's own Ctrl+R (for a till not connected) syncs when it is. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sync", NULL);
}

static SkConnectWindow *
find_connect_window (AppFixture *f)
{
  return app_find_window (f, SK_TYPE_CONNECT_WINDOW);
}

static gboolean
is_entry_row (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_ENTRY_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_text (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_TEXT (widget);
}

static GtkEditable *
find_row (GtkWidget *widget, const char *title)
{
  return GTK_EDITABLE (app_find_widget (widget, is_entry_row, title));
}

static void
click_connect_and_wait (SkConnectWindow *window, const char *words)
{
  TextWait w = { (const char *(*)(gpointer))sk_connect_window_get_message, window, words };

  gtk_widget_activate (app_find_button (GTK_WIDGET (window), T ("_Connect")));
  if (!app_wait (text_has, &w, 30000))
    g_error ("The connect window says “%s”, not “%s”", sk_connect_window_get_message (window),
             words);
}

static GtkWindow *
open_preferences (AppFixture *f)
{
  GtkWindow *preferences;

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  app_pump (500);
  preferences = app_find_window (f, ADW_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (preferences);
  return preferences;
}

static gboolean
is_combo_row_titled (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_COMBO_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static GtkWidget *
find_role_row (GtkWidget *widget)
{
  return app_find_widget (widget, is_combo_row_titled, T ("Role"));
}

static gboolean
combo_row_lists (gpointer row)
{
  GListModel *model = adw_combo_row_get_model (row);

  return model != NULL && g_list_model_get_n_items (model) > 0;
}

/* Types @pin in the open PIN dialog and presses its main button. */
static void
answer_pin (const char *pin, const char *shot_name)
{
  AdwMessageDialog *dialog;
  GtkWidget        *entry, *button;

  app_pump (300);
  dialog = app_find_dialog ();
  g_assert_nonnull (dialog);
  entry = adw_message_dialog_get_extra_child (dialog);
  g_assert_true (GTK_IS_ENTRY (entry));
  g_assert_false (gtk_entry_get_visibility (GTK_ENTRY (entry)));
  gtk_editable_set_text (GTK_EDITABLE (entry), pin);
  if (shot_name != NULL)
    shot (GTK_WIDGET (dialog), shot_name);
  button = app_find_button (GTK_WIDGET (dialog), T ("_Unlock"));
  if (button == NULL)
    button = app_find_button (GTK_WIDGET (dialog), T ("_Set PIN"));
  g_assert_nonnull (button);
  gtk_widget_activate (button);
  app_pump (600);
  g_assert_null (app_find_dialog ());
}

/* A stand-alone till: the role goes down freely, up only with the PIN,
 * which the first raise sets and which is kept hashed. */
static void
test_role_pin (AppFixture *f, gconstpointer data)
{
  GSettings       *settings = sk_application_get_settings (f->app);
  GtkWindow       *prefs = open_preferences (f);
  AdwComboRow     *row = ADW_COMBO_ROW (find_role_row (GTK_WIDGET (prefs)));
  g_autofree char *stored = NULL;

  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (row)));
  /* Down to cashier (row 0): no question. */
  adw_combo_row_set_selected (row, 0);
  app_pump (200);
  g_assert_null (app_find_dialog ());
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_CASHIER);

  /* Up to administrator (row 3): the first time, a PIN to choose. */
  adw_combo_row_set_selected (row, 3);
  app_pump (300);
  g_assert_nonnull (app_find_dialog ());
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_CASHIER);
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 0);
  answer_pin ("24", NULL);
  /* Too short: nothing set, the role stays. */
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_CASHIER);
  stored = g_settings_get_string (settings, "admin-pin");
  g_assert_cmpstr (stored, ==, "");
  g_clear_pointer (&stored, g_free);
  adw_combo_row_set_selected (row, 3);
  answer_pin ("2468", "sync-role-choose-pin");
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_ADMIN);
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 3);
  stored = g_settings_get_string (settings, "admin-pin");
  g_assert_cmpstr (stored, !=, "");
  g_assert_null (strstr (stored, "2468"));

  /* Down, then up with a wrong PIN: the role stays; with the right one it
   * goes up. */
  adw_combo_row_set_selected (row, 0);
  app_pump (200);
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_CASHIER);
  adw_combo_row_set_selected (row, 1);
  answer_pin ("1111", "sync-role-pin");
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_CASHIER);
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, 0);
  adw_combo_row_set_selected (row, 1);
  answer_pin ("2468", NULL);
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_MANAGER);
  gtk_window_destroy (prefs);
}

static void
token_saved (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_token_store_save_finish (result, &error));
  g_assert_no_error (error);
  *(gboolean *)data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *)data;
}

/* A till connected before: its server and account in the settings, its
 * token in the user-only file, as a previous run left them. */
static void
restart_fixture_setup (AppFixture *f, gconstpointer data)
{
  g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autofree char *token = NULL;
  gboolean         saved = FALSE;

  sync_fixture_setup_settings ();
  token = login ("cashier1", "cashier-pass");
  sk_token_store_save_async (hq.url, "cashier1", token, SK_TOKEN_PLACE_FILE, NULL, token_saved,
                             &saved);
  g_assert_true (app_wait (is_true, &saved, 5000));
  g_settings_set_string (settings, "server-url", hq.url);
  g_settings_set_string (settings, "account", "cashier1");
  app_fixture_setup (f, data);
}

static gboolean
welcome_gone (gpointer window)
{
  return !sk_window_is_welcome (window);
}

/* Started again, the till signs in with the kept token by itself, syncs,
 * and takes its role and store from the account. */
static void
test_restart (AppFixture *f, gconstpointer data)
{
  g_autofree char *store = NULL;

  wait_format (f, "Synced %s");
  /* The stores pulled, the window lists them and leaves its first-run
   * page (a moment later under the sanitizers). */
  g_assert_true (app_wait (welcome_gone, f->window, 10000));
  g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_CASHIER);
  store = g_settings_get_string (sk_application_get_settings (f->app), "store-id");
  g_assert_cmpstr (store, ==, hq_store);
  shot (GTK_WIDGET (f->window), "sync-restarted");
}

/* HQ on HTTPS with a certificate no one vouches for (self-signed): the
 * connect window says the secure connection failed, in its own words. */
static void
test_sign_in_tls (AppFixture *f, gconstpointer data)
{
  SkServerConfig  *config = sk_test_server_config (hq.path, 0);
  SkTestServer    *server;
  g_autofree char *url = NULL;
  g_autofree char *words = format_words (
      "The secure connection to %s failed: its certificate is not trusted or not valid. Check "
      "the address, or ask the administrator to fix the server's certificate.");
  SkConnectWindow *window;

  config->tls_certificate
      = g_test_build_filename (G_TEST_DIST, "data", "tls-self-signed.crt", NULL);
  config->tls_key = g_test_build_filename (G_TEST_DIST, "data", "tls-self-signed.key", NULL);
  server = sk_test_server_start (config);
  url = g_strdup_printf ("https://127.0.0.1:%u", sk_test_server_get_port (server));

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "connect", NULL);
  app_pump (300);
  window = find_connect_window (f);
  gtk_editable_set_text (find_row (GTK_WIDGET (window), T ("Server address")), url);
  gtk_editable_set_text (find_row (GTK_WIDGET (window), T ("User name")), "cashier1");
  gtk_editable_set_text (find_row (GTK_WIDGET (window), T ("Password")), "cashier-pass");
  click_connect_and_wait (window, words);
  g_assert_false (sk_connect_window_get_offers_file (window));
  shot (GTK_WIDGET (window), "sync-sign-in-tls");
  /* Not connected, nothing kept. */
  g_assert_null (sk_background_sync_get_client (sk_application_get_sync (f->app)));
  gtk_window_destroy (GTK_WINDOW (window));
  sk_test_server_stop (server);
}

/* A port nothing listens on: one the system gave and took back. */
static guint
closed_port (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GError) error = NULL;
  guint port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  return port;
}

static gboolean
window_gone (gpointer data)
{
  return find_connect_window (data) == NULL;
}

/* The first run: Connect to HQ; the server down, a wrong password, then
 * the right one; no keyring runs here, so the plain message, and the token
 * in the user-only file; the till then has HQ's store and syncs. */
static void
test_sign_in (AppFixture *f, gconstpointer data)
{
  g_autofree char *down = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autofree char *token_file = sk_token_store_file_path ();
  SkConnectWindow *window;
  GtkEditable     *server, *user, *password;

  g_assert_true (sk_window_is_welcome (f->window));
  shot (GTK_WIDGET (f->window), "sync-first-run");
  /* Not connected: no sync state, no Sync Now. */
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (find_status (GTK_WIDGET (f->window)))));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->app), "sync-now"));
  /* Ctrl+R there says why nothing syncs, and offers to connect. */
  g_assert_null (
      app_find_label (GTK_WIDGET (f->window), T ("Not connected: this till works on its own")));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sync", NULL);
  app_pump (300);
  g_assert_nonnull (
      app_find_label (GTK_WIDGET (f->window), T ("Not connected: this till works on its own")));

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "connect", NULL);
  app_pump (300);
  window = find_connect_window (f);
  g_assert_nonnull (window);
  server = find_row (GTK_WIDGET (window), T ("Server address"));
  user = find_row (GTK_WIDGET (window), T ("User name"));
  password = find_row (GTK_WIDGET (window), T ("Password"));
  g_assert_nonnull (server);
  g_assert_nonnull (user);
  g_assert_nonnull (password);

  /* The server down */
  gtk_editable_set_text (server, down);
  gtk_editable_set_text (user, "cashier1");
  gtk_editable_set_text (password, "wrong-pass");
  {
    g_autofree char *unreachable = format_words (
        "Cannot reach the server at %s. Check the address and the network, or try again later.");

    click_connect_and_wait (window, unreachable);
  }
  shot (GTK_WIDGET (window), "sync-sign-in-server-down");
  /* Nothing the user typed is lost. */
  g_assert_cmpstr (gtk_editable_get_text (user), ==, "cashier1");
  g_assert_cmpstr (gtk_editable_get_text (password), ==, "wrong-pass");

  /* HQ's address without http:// (tried as https://), then with a path:
   * each says what to type instead. */
  {
    const char      *bare = hq.url + strlen ("http://");
    g_autofree char *secure = g_strconcat ("https://", bare, NULL);
    g_autofree char *with_path = g_strconcat (hq.url, "/skidka", NULL);
    g_autofree char *not_https = g_strdup_printf (
        T ("The server at %s did not answer a secure (HTTPS) connection. If it is a plain HTTP "
           "server, type its address with http://."),
        secure);
    g_autofree char *no_skidka = g_strdup_printf (
        T ("Nothing at %s answers as a Skidka server. Check the address: the server's, with no "
           "path after it."),
        with_path);

    gtk_editable_set_text (server, bare);
    click_connect_and_wait (window, not_https);
    gtk_editable_set_text (server, with_path);
    click_connect_and_wait (window, no_skidka);
  }

  /* A wrong password */
  gtk_editable_set_text (server, hq.url);
  click_connect_and_wait (window, T ("The user name or the password is wrong."));
  shot (GTK_WIDGET (window), "sync-sign-in-wrong-password");
  /* Twice more with Enter in the password: each is one try, not two (six
   * failures would lock the account out of the right password, 429). */
  for (guint i = 0; i < 2; i++)
    {
      TextWait w = { (const char *(*)(gpointer))sk_connect_window_get_message, window,
                     T ("The user name or the password is wrong.") };

      gtk_label_set_label (GTK_LABEL (app_find_label (
                               GTK_WIDGET (window), T ("The user name or the password is wrong."))),
                           "");
      /* What Enter does there. */
      g_signal_emit_by_name (app_find_widget (GTK_WIDGET (password), is_text, NULL), "activate");
      g_assert_true (app_wait (text_has, &w, 30000));
      app_pump (500);
    }
  g_assert_cmpstr (gtk_editable_get_text (server), ==, hq.url);
  g_assert_null (strstr (sk_connect_window_get_message (window), "DBus"));

  /* The right one: no keyring service on this test's bus. */
  gtk_editable_set_text (password, "cashier-pass");
  click_connect_and_wait (
      window, T ("No keyring is available on this computer to keep the sign-in safely"));
  g_assert_true (sk_connect_window_get_offers_file (window));
  g_assert_null (strstr (sk_connect_window_get_message (window), "org.freedesktop"));
  g_assert_false (g_file_test (token_file, G_FILE_TEST_EXISTS));
  shot (GTK_WIDGET (window), "sync-sign-in-no-keyring");
  gtk_widget_activate (
      app_find_button (GTK_WIDGET (window), T ("_Keep in a File Only I Can Read")));
  g_assert_true (app_wait (window_gone, f, 10000));
  {
    struct stat      st;
    g_autofree char *contents = NULL;

    g_assert_cmpint (g_stat (token_file, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_assert_true (g_file_get_contents (token_file, &contents, NULL, NULL));
    g_assert_nonnull (strstr (contents, "account=cashier1"));
    g_assert_nonnull (strstr (contents, "token="));
  }
  {
    g_autofree char *account
        = g_settings_get_string (sk_application_get_settings (f->app), "account");

    g_assert_cmpstr (account, ==, "cashier1");
  }

  /* Connected: the first sync brings HQ's store, and the views open. */
  wait_format (f, "Synced %s");
  g_assert_true (app_wait (welcome_gone, f->window, 10000));
  app_pump (300);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM stores WHERE code = ?", "S1"),
                   ==, 1);
  shot (GTK_WIDGET (f->window), "sync-synced");

  /* The role and the store are the account's: a cashier of store one. */
  {
    GSettings       *settings = sk_application_get_settings (f->app);
    g_autofree char *store = g_settings_get_string (settings, "store-id");
    AdwViewStack    *stack = ADW_VIEW_STACK (
           gtk_widget_get_ancestor (sk_window_get_view (f->window, "checkout"), ADW_TYPE_VIEW_STACK));
    GtkWindow *prefs;
    GtkWidget *store_row;

    g_assert_cmpint (sk_application_get_role (f->app), ==, SK_ROLE_CASHIER);
    g_assert_cmpstr (store, ==, hq_store);
    g_assert_true (g_settings_get_boolean (settings, "role-from-account"));
    g_assert_false (adw_view_stack_page_get_visible (
        adw_view_stack_get_page (stack, adw_view_stack_get_child_by_name (stack, "rules"))));
    g_assert_false (adw_view_stack_page_get_visible (
        adw_view_stack_get_page (stack, adw_view_stack_get_child_by_name (stack, "charts"))));
    /* Preferences show them and cannot change them. */
    prefs = open_preferences (f);
    g_assert_false (gtk_widget_get_sensitive (find_role_row (GTK_WIDGET (prefs))));
    store_row = app_find_widget (GTK_WIDGET (prefs), is_combo_row_titled, T ("Store"));
    g_assert_true (app_wait (combo_row_lists, store_row, 10000));
    app_pump (100);
    g_assert_false (gtk_widget_get_sensitive (store_row));
    shot (GTK_WIDGET (prefs), "sync-preferences-connected");
    gtk_window_destroy (prefs);
  }

  /* Signing in again: the user-only file, agreed to once, is used without
   * asking again. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "connect", NULL);
  app_pump (300);
  window = find_connect_window (f);
  g_assert_nonnull (window);
  gtk_editable_set_text (find_row (GTK_WIDGET (window), T ("Server address")), hq.url);
  gtk_editable_set_text (find_row (GTK_WIDGET (window), T ("User name")), "cashier1");
  gtk_editable_set_text (find_row (GTK_WIDGET (window), T ("Password")), "cashier-pass");
  gtk_widget_activate (app_find_button (GTK_WIDGET (window), T ("_Connect")));
  g_assert_true (app_wait (window_gone, f, 10000));
}

static void
sold_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchaseResult) sold
      = sk_repository_process_purchase_finish (SK_REPOSITORY (source), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (sold);
  (*(guint *)user_data)++;
}

static gboolean
count_reached (gpointer data)
{
  guint *counts = data;

  return counts[0] >= counts[1];
}

/* @n sales of a teddy bear at HQ's store, as the checkout records them;
 * their ids in @ids. */
static void
sell_in (AppFixture *f, const char *store, guint n, GPtrArray *ids)
{
  guint counts[2] = { 0, n };

  for (guint i = 0; i < n; i++)
    {
      SkPurchaseRequest *request = g_new0 (SkPurchaseRequest, 1);

      request->id = g_uuid_string_random ();
      request->cart = sk_cart_new (store);
      sk_cart_add_line (request->cart, "bear-1", "Teddy bear", "toys", 100000, 1);
      g_ptr_array_add (ids, g_strdup (request->id));
      sk_repository_process_purchase_async (sk_application_get_repository (f->app), request, NULL,
                                            sold_cb, &counts[0]);
    }
  g_assert_true (app_wait (count_reached, counts, 30000));
}

static void
sell (AppFixture *f, guint n, GPtrArray *ids)
{
  sell_in (f, hq_store, n, ids);
}

static gint64
hq_has (GPtrArray *ids)
{
  gint64 n = 0;

  for (guint i = 0; i < ids->len; i++)
    n += sk_test_query_int (hq.db, "SELECT count(*) FROM purchases WHERE id = ?",
                            g_ptr_array_index (ids, i));
  return n;
}

static gint64
till_outbox (AppFixture *f)
{
  return sk_database_count_outbox (f->db, NULL);
}

static gboolean
till_outbox_empty (AppFixture *f)
{
  return till_outbox (f) == 0;
}

/* No sync cycle running. */
static gboolean
till_idle (AppFixture *f)
{
  SkSyncClient *client = sk_background_sync_get_client (sk_application_get_sync (f->app));

  return sk_sync_client_get_state (client) != SK_SYNC_STATE_SYNCING;
}

/* Connected and synced with HQ's store, on the checkout. */
static void
connected_till (AppFixture *f, const char *token)
{
  connect_till (f, token);
  wait_format (f, "Synced %s");
  g_assert_true (app_wait (welcome_gone, f->window, 10000));
  app_pump (300);
}

/* An HQ that holds every request it gets, unanswered. */
static void
holding_handler (
    SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer held)
{
  soup_server_message_pause (msg);
  g_ptr_array_add (held, g_object_ref (msg));
}

static gboolean
has_items (gpointer array)
{
  return ((GPtrArray *)array)->len > 0;
}

/* HQ stops; three sales; "3 pending" while offline; HQ is back, Ctrl+R:
 * "Synced", and HQ has the three sales once each. */
static void
test_offline (AppFixture *f, gconstpointer data)
{
  g_autofree char *token = login ("cashier1", "cashier-pass");
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint         port = hq.port;
  SkSyncStatus *status;

  connected_till (f, token);
  sk_test_hq_stop (&hq);
  sell (f, 3, ids);
  wait_format (f, "%s · offline since %s");
  wait_pending (f, 3);
  g_assert_cmpint (till_outbox (f), ==, 3);
  /* The next try waits the client's backoff, not a minute of sales. */
  g_assert_cmpint (sk_background_sync_get_next_delay (sk_application_get_sync (f->app)), <=,
                   SK_SYNC_CLIENT_RETRY_MAX);
  shot (GTK_WIDGET (f->window), "sync-offline-pending");
  /* On a phone the header bar has room for the count beside the icon
   * (the words were cut to "3 p…"); at a till's width, for what waits
   * (the icon says offline), the whole words in the tooltip. */
  status = find_status (GTK_WIDGET (f->window));
  app_resize (f, 360, 720);
  shot (GTK_WIDGET (f->window), "sync-offline-pending-narrow");
  g_assert_cmpstr (sk_sync_status_get_shown_text (status), ==, "3");
  app_resize (f, 1200, 700);
  shot (GTK_WIDGET (f->window), "sync-offline-pending-wide");
  {
    g_autofree char *three = pending_text (3);

    g_assert_cmpstr (sk_sync_status_get_shown_text (status), ==, three);
  }
  g_assert_cmpint (hq_has (ids), ==, 0);

  hq_start (port);
  g_assert_cmpuint (hq.port, ==, port);
  press_sync_now (f);
  wait_format (f, "Synced %s");
  g_assert_cmpint (hq_has (ids), ==, 3);
  /* Nothing pending: the next cycle in five minutes, for HQ's changes. */
  g_assert_cmpint (sk_background_sync_get_next_delay (sk_application_get_sync (f->app)), >,
                   SK_BACKGROUND_SYNC_IDLE_INTERVAL - G_TIME_SPAN_MINUTE);
  g_assert_cmpint (till_outbox (f), ==, 0);
  shot (GTK_WIDGET (f->window), "sync-back-online");
  /* Synced, on a phone: the time of it. */
  app_resize (f, 360, 720);
  g_assert_cmpuint (strlen (sk_sync_status_get_shown_text (status)), ==, strlen ("14:05"));
  g_assert_nonnull (
      strstr (sk_sync_status_get_text (status), sk_sync_status_get_shown_text (status)));

  /* A sale while a cycle is under way, HQ holding its answer (a network
   * slow to fail): the header counts it at once, not when the cycle ends. */
  {
    g_autoptr (SoupServer) holding = soup_server_new (NULL, NULL);
    g_autoptr (GPtrArray) held = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
    g_autoptr (GError) error = NULL;
    SkListenerLimits limits = { 10, 10, 10, 10 };
    SkListener      *listener;
    g_autofree char *url = NULL;

    soup_server_add_handler (holding, NULL, holding_handler, held, NULL);
    listener = sk_listener_new (holding, address, NULL, &limits, &error);
    g_assert_no_error (error);
    url = g_strdup_printf ("http://127.0.0.1:%u", sk_listener_get_port (listener));
    sk_background_sync_connect (sk_application_get_sync (f->app), url, token);
    g_assert_true (app_wait (has_items, held, 30000));
    g_assert_cmpint (
        sk_sync_client_get_state (sk_background_sync_get_client (sk_application_get_sync (f->app))),
        ==, SK_SYNC_STATE_SYNCING);
    sell (f, 1, ids);
    wait_pending (f, 1);
    sk_background_sync_disconnect (sk_application_get_sync (f->app));
    for (guint i = 0; i < held->len; i++)
      {
        soup_server_message_set_status (g_ptr_array_index (held, i),
                                        SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
        soup_server_message_unpause (g_ptr_array_index (held, i));
      }
    app_pump (300);
    sk_listener_free (listener);
    soup_server_disconnect (holding);
  }
}

typedef struct
{
  SkCheckoutView *view;
  gint64          discount;
} PriceWait;

static gboolean
priced_with (gpointer data)
{
  PriceWait            *w = data;
  const SkEngineResult *result = sk_checkout_view_get_result (w->view);

  return !sk_checkout_view_get_calculating (w->view) && result != NULL
         && result->discount_total == w->discount;
}

static void
keep_notice (SkBackgroundSync *sync, const char *message, char **notice)
{
  g_free (*notice);
  *notice = g_strdup (message);
}

static void
note_rules_pulled (SkSyncClient *client, const SkSyncSummary *summary, gboolean *rules_pulled)
{
  if (summary->changed & SK_SYNC_CHANGED_RULES)
    *rules_pulled = TRUE;
}

static gboolean
has_notice (gpointer notice)
{
  return *(char **)notice != NULL;
}

static gboolean
bear_added (gpointer view)
{
  return sk_checkout_view_add_sku (view, "bear-1");
}

/* A rule HQ adds reaches the cart open in the checkout, without a restart. */
static void
test_hq_rule (AppFixture *f, gconstpointer data)
{
  g_autofree char *token = login ("cashier1", "cashier-pass");
  g_autoptr (SkDiscountRule) rule = NULL;
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *notice = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  gboolean        rules_pulled = FALSE;
  SkCheckoutView *view;
  PriceWait       w;

  connected_till (f, token);
  sk_window_show_view (f->window, "checkout");
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  /* HQ's product, once the checkout has read the pulled list. */
  g_assert_true (app_wait (bear_added, view, 10000));
  w = (PriceWait){ view, 0 };
  g_assert_true (app_wait (priced_with, &w, 10000));

  /* The rule of a campaign with a budget, which each sale spends from. */
  g_object_set (campaign, "name", "HQ's week", "status", "active", "budget", (gint64)100000000,
                NULL);
  g_assert_true (sk_database_save_campaign (hq.db, campaign, &error));
  g_assert_no_error (error);
  rule = sk_test_rule_new ("HQ's ten percent", "percentage", 1000, NULL);
  sk_test_set_string (&rule->campaign_id, sk_record_get_id (campaign));
  rule = sk_test_save_rule (hq.db, rule);
  g_signal_connect (sk_application_get_sync (f->app), "notice", G_CALLBACK (keep_notice), &notice);
  press_sync_now (f);
  w.discount = 10000;
  if (!app_wait (priced_with, &w, 30000))
    g_error ("The cart's discount is %" G_GINT64_FORMAT ", not 100.00",
             sk_checkout_view_get_result (view)->discount_total);
  /* The cashier is told, in a toast. */
  g_assert_cmpstr (notice, ==, T ("HQ changed the discount rules"));
  app_pump (300);
  shot (GTK_WIDGET (f->window), "sync-hq-rule-in-checkout");

  /* A sale with the rule brings the rule back from HQ, one use more, and
   * its campaign, with what it spent: no news of the rules or the
   * campaigns to tell. */
  g_clear_pointer (&notice, g_free);
  g_signal_connect (sk_background_sync_get_client (sk_application_get_sync (f->app)), "pulled",
                    G_CALLBACK (note_rules_pulled), &rules_pulled);
  sell (f, 1, ids);
  press_sync_now (f);
  g_assert_true (app_wait (is_true, &rules_pulled, 30000));
  g_assert_cmpint (
      sk_test_query_int (hq.db, "SELECT uses FROM discount_rules WHERE id = ?", rule->id), ==, 1);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT spent FROM campaigns WHERE id = ?",
                                      sk_record_get_id (campaign)),
                   ==, 10000);
  g_assert_null (notice);

  /* HQ renames the campaign: that is news. */
  {
    g_autoptr (SkCampaign) renamed
        = sk_database_get_campaign (hq.db, sk_record_get_id (campaign), &error);

    g_assert_no_error (error);
    g_object_set (renamed, "name", "HQ's long week", NULL);
    g_assert_true (sk_database_save_campaign (hq.db, renamed, &error));
    g_assert_no_error (error);
  }
  press_sync_now (f);
  g_assert_true (app_wait (has_notice, &notice, 30000));
  g_assert_cmpstr (notice, ==, T ("HQ changed the campaigns"));
  g_signal_handlers_disconnect_by_func (
      sk_background_sync_get_client (sk_application_get_sync (f->app)), note_rules_pulled,
      &rules_pulled);
  g_signal_handlers_disconnect_by_func (sk_application_get_sync (f->app), keep_notice, &notice);
}

/* A sale of a bear at @store, made at HQ as another till's pushed sale
 * is, to @customer_id (NULL: no card); its id. */
static char *
sell_at_store (const char *store, const char *customer_id, gint64 quantity)
{
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) sold = NULL;
  g_autoptr (GError) error = NULL;

  request->id = g_uuid_string_random ();
  request->customer_id = g_strdup (customer_id);
  request->cart = sk_cart_new (store);
  sk_cart_add_line (request->cart, "bear-1", "Teddy bear", "toys", 100000, quantity);
  sold = sk_database_process_purchase (hq.db, request, &error);
  g_assert_no_error (error);
  return g_strdup (sk_record_get_id (sold->purchase));
}

/* The same at HQ's store, the till's. */
static char *
sell_at_hq (const char *customer_id, gint64 quantity)
{
  return sell_at_store (hq_store, customer_id, quantity);
}

/* The till keeps each of its store's sales HQ has. */
static gboolean
till_has_store_sales (gpointer data)
{
  AppFixture *f = data;

  return sk_test_query_int (f->db, "SELECT count(*) FROM purchases WHERE store_id = ?", hq_store)
         == sk_test_query_int (hq.db, "SELECT count(*) FROM purchases WHERE store_id = ?",
                               hq_store);
}

/* A customer registered at HQ. */
static SkCustomer *
hq_customer_new (const char *name, const char *phone, gboolean consent_sms)
{
  g_autoptr (GError) error = NULL;
  SkCustomer *customer = sk_customer_new ();

  g_object_set (customer, "full-name", name, "phone", phone, "consent-sms", consent_sms, NULL);
  g_assert_true (sk_database_create_customer (hq.db, customer, &error));
  g_assert_no_error (error);
  return customer;
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **)data != NULL;
}

/* The app's repository saving @record (a rule or a campaign), as its
 * editor does: the copy saved, or NULL with @error. */
static gpointer
repository_save (AppFixture *f, gpointer record, GError **error)
{
  SkRepository *repository = sk_application_get_repository (f->app);
  g_autoptr (GAsyncResult) result = NULL;

  if (SK_IS_DISCOUNT_RULE (record))
    sk_repository_save_rule_async (repository, record, NULL, sk_test_keep_result, &result);
  else
    sk_repository_save_campaign_async (repository, record, NULL, sk_test_keep_result, &result);
  g_assert_true (app_wait (has_result, &result, 10000));
  return SK_IS_DISCOUNT_RULE (record)
             ? (gpointer)sk_repository_save_rule_finish (repository, result, error)
             : (gpointer)sk_repository_save_campaign_finish (repository, result, error);
}

static AppFixture *desk;

static gboolean
till_has_customer (gpointer id)
{
  return sk_test_query_int (desk->db, "SELECT count(*) FROM customers WHERE id = ?", id) == 1;
}

static gboolean
is_charts_loaded (gpointer view)
{
  return !sk_charts_view_is_loading (view);
}

static GtkDropDown *
store_menu (SkChartsView *view)
{
  return GTK_DROP_DOWN (
      gtk_widget_get_template_child (GTK_WIDGET (view), SK_TYPE_CHARTS_VIEW, "store_dropdown"));
}

static const char *
store_menu_item (SkChartsView *view, guint position)
{
  return gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (store_menu (view))),
                                     position);
}

/* The menu lists "All stores" and the store. */
static gboolean
store_menu_lists (gpointer view)
{
  return g_list_model_get_n_items (gtk_drop_down_get_model (store_menu (view))) == 2;
}

/* The menu holds the account's store alone and cannot be opened. */
static gboolean
store_menu_bound (gpointer view)
{
  return g_list_model_get_n_items (gtk_drop_down_get_model (store_menu (view))) == 1
         && !gtk_widget_get_sensitive (GTK_WIDGET (store_menu (view)));
}

static gboolean
is_column_view (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

static gboolean
campaigns_loaded (gpointer view)
{
  return !sk_campaigns_view_get_loading (view);
}

/* The campaigns view shows figures, told as the store's. */
static gboolean
store_figures_shown (gpointer view)
{
  AdwActionRow *row = app_find_action_row (view, "Purchases");

  return row != NULL && g_strcmp0 (adw_action_row_get_subtitle (row), "At this store") == 0;
}

/* An HQ account's app (marketing): the rules and campaigns it saves are
 * saved at HQ, where the tills get them, and kept here as HQ answered; a
 * rule someone saved at HQ meanwhile is a conflict, with HQ's version to
 * merge with; the charts and a campaign's figures are the chain's, HQ's,
 * though not one sale was made here. */
static void
test_hq_editors (AppFixture *f, gconstpointer data)
{
  g_autofree char *token = login ("marketing1", "marketing-pass");
  SkRepository    *repository = sk_application_get_repository (f->app);
  g_autoptr (SkDiscountRule) rule
      = sk_test_rule_new ("Marketing's tenth", "percentage", 1000, NULL);
  g_autoptr (SkDiscountRule) saved = NULL;
  g_autoptr (SkDiscountRule) at_hq = NULL;
  g_autoptr (SkDiscountRule) stored = NULL;
  g_autoptr (SkDiscountRule) again = NULL;
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (SkCampaign) campaign_saved = NULL;
  g_autoptr (SkChartFigures) expected = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *revenue = NULL;
  g_autofree char *messaged = NULL; /* a customer HQ sent a message */
  g_autoptr (GString) text = g_string_new (NULL);
  SkCampaignFigures hq_figures;
  gint64            now = sk_time_now ();
  SkChartsView     *view;

  desk = f;
  g_settings_set_string (sk_application_get_settings (f->app), "role", "marketing");
  connected_till (f, token);
  g_assert_true (sk_repository_get_at_hq (repository));

  /* A new rule: at HQ, and here as HQ keeps it. */
  saved = repository_save (f, rule, &error);
  g_assert_no_error (error);
  g_assert_nonnull (saved);
  g_assert_cmpint (
      sk_test_query_int (hq.db, "SELECT value FROM discount_rules WHERE id = ?", saved->id), ==,
      1000);
  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT version FROM discount_rules WHERE id = ?", saved->id), ==,
      saved->version);

  /* Another marketer saves it at HQ meanwhile: the edit of the version
   * read is refused as stale, and the stored version is HQ's. */
  at_hq = sk_database_get_rule (hq.db, saved->id, &error);
  g_assert_no_error (error);
  g_object_set (at_hq, "value", (gint64)1500, NULL);
  g_assert_true (sk_database_save_rule (hq.db, at_hq, &error));
  g_assert_no_error (error);
  g_object_set (saved, "name", "Marketing's tenth, autumn", NULL);
  g_assert_null (repository_save (f, saved, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_STALE);
  g_clear_error (&error);
  sk_repository_get_stored_async (repository, SK_RECORD (saved), NULL, sk_test_keep_result,
                                  &result);
  g_assert_true (app_wait (has_result, &result, 10000));
  stored = sk_repository_get_stored_finish (repository, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->value, ==, 1500);
  /* Merged as the conflict dialog does: HQ's version, with this name. */
  g_object_set (stored, "name", "Marketing's tenth, autumn", NULL);
  again = repository_save (f, stored, &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->value, ==, 1500);
  {
    g_autoptr (SkDiscountRule) hq_now = sk_database_get_rule (hq.db, saved->id, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (hq_now->name, ==, "Marketing's tenth, autumn");
    g_assert_cmpint (hq_now->version, ==, again->version);
  }

  /* Its editor counts no sales of this file (it has none): no preview. */
  {
    SkRuleEditor *editor = sk_rule_editor_new (GTK_WINDOW (f->window), saved);
    GtkWidget    *group = app_find_widget (GTK_WIDGET (editor), app_is_group, T ("Preview"));

    app_pump (300);
    g_assert_nonnull (group);
    g_assert_false (gtk_widget_get_visible (group));
    gtk_window_destroy (GTK_WINDOW (editor));
  }

  /* A campaign with the rule in it: the rule is the campaign's at HQ,
   * and here at once. */
  {
    const char *ids[] = { saved->id, NULL };

    g_object_set (campaign, "name", "Marketing's autumn", "status", "active", "budget",
                  (gint64)5000000, "rule-ids", ids, NULL);
  }
  campaign_saved = repository_save (f, campaign, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_test_query_int (hq.db,
                                      "SELECT count(*) FROM discount_rules"
                                      " WHERE id = ? AND campaign_id IS NOT NULL",
                                      saved->id),
                   ==, 1);
  {
    g_autofree char *sql = g_strdup_printf (
        "SELECT count(*) FROM discount_rules WHERE id = ? AND campaign_id = '%s'",
        campaign_saved->id);

    g_assert_cmpint (sk_test_query_int (hq.db, sql, saved->id), ==, 1);
    g_assert_cmpint (sk_test_query_int (f->db, sql, saved->id), ==, 1);
  }

  /* Two sales at HQ's store (another till's, pushed): the charts say
   * what HQ says, and no sale was made here. */
  for (guint i = 0; i < 2; i++)
    g_free (sell_at_hq (NULL, 1));
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM purchases", NULL), ==, 0);
  expected = sk_analytics_figures (hq.db, now - 30 * G_TIME_SPAN_DAY, now + G_TIME_SPAN_DAY, NULL,
                                   &error);
  g_assert_no_error (error);
  g_assert_cmpint (expected->summary.purchases, >=, 2);
  sk_window_show_view (f->window, "charts");
  view = SK_CHARTS_VIEW (sk_window_get_view (f->window, "charts"));
  sk_charts_view_reload (view);
  g_assert_true (app_wait (is_charts_loaded, view, 20000));
  app_pump (300);
  revenue = sk_money_format (expected->summary.revenue);
  app_collect_text (GTK_WIDGET (view), text);
  if (strstr (text->str, revenue) == NULL)
    g_error ("The charts do not say HQ's revenue %s:\n%s", revenue, text->str);
  shot (GTK_WIDGET (f->window), "sync-hq-charts");
  /* Another sale at HQ: shown again, the charts say it. */
  g_free (sell_at_hq (NULL, 1));
  {
    g_autoptr (SkChartFigures) now_at_hq = sk_analytics_figures (
        hq.db, now - 30 * G_TIME_SPAN_DAY, now + G_TIME_SPAN_DAY, NULL, &error);
    g_autofree char *more = sk_money_format (now_at_hq->summary.revenue);

    g_assert_no_error (error);
    sk_window_show_view (f->window, "rules");
    app_pump (200);
    sk_window_show_view (f->window, "charts");
    app_pump (100);
    g_assert_true (app_wait (is_charts_loaded, view, 20000));
    app_pump (300);
    g_string_truncate (text, 0);
    app_collect_text (GTK_WIDGET (view), text);
    if (strstr (text->str, more) == NULL)
      g_error ("Shown again, the charts do not say HQ's revenue %s:\n%s", more, text->str);
  }
  /* HQ's account chooses among the chain's stores. */
  g_assert_true (app_wait (store_menu_lists, view, 10000));
  g_assert_cmpstr (store_menu_item (view, 0), ==, "All stores");
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (store_menu (view))));

  /* A campaign's figures are HQ's: its rule priced the three sales. */
  g_clear_object (&result);
  sk_repository_campaign_figures_async (repository, campaign_saved->id, NULL, sk_test_keep_result,
                                        &result);
  g_assert_true (app_wait (has_result, &result, 10000));
  {
    g_autofree SkCampaignFigures *figures
        = sk_repository_campaign_figures_finish (repository, result, &error);

    g_assert_no_error (error);
    g_assert_true (sk_analytics_campaign (hq.db, campaign_saved->id, NULL, &hq_figures, &error));
    g_assert_cmpint (figures->purchases, ==, 3);
    g_assert_cmpint (figures->purchases, ==, hq_figures.purchases);
    g_assert_cmpint (figures->discount, >, 0);
    g_assert_cmpint (figures->discount, ==, hq_figures.discount);
    g_assert_cmpint (figures->spent, ==, hq_figures.spent);
  }

  /* The message templates are HQ's too: read there, saved there. */
  {
    g_autoptr (SkNotificationTemplate) t = NULL;
    g_autoptr (SkNotificationTemplate) back = NULL;
    g_autoptr (SkNotificationTemplate) at_hq_t = NULL;

    g_clear_object (&result);
    sk_repository_get_notification_template_async (repository, "campaign", "en", NULL,
                                                   sk_test_keep_result, &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    t = sk_repository_get_notification_template_finish (repository, result, &error);
    g_assert_no_error (error);
    at_hq_t = sk_database_get_notification_template (hq.db, "campaign", "en", &error);
    g_assert_no_error (error);
    g_assert_cmpint (t->version, ==, at_hq_t->version);
    g_free (t->subject);
    t->subject = g_strdup ("Autumn at {store}");
    g_clear_object (&result);
    sk_repository_save_notification_template_async (repository, t, NULL, sk_test_keep_result,
                                                    &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    back = sk_repository_save_notification_template_finish (repository, result, &error);
    g_assert_no_error (error);
    g_assert_cmpint (back->version, ==, at_hq_t->version + 1);
    g_clear_pointer (&at_hq_t, sk_notification_template_free);
    at_hq_t = sk_database_get_notification_template (hq.db, "campaign", "en", &error);
    g_assert_no_error (error);
    g_assert_cmpstr (at_hq_t->subject, ==, "Autumn at {store}");
    /* Saved again over the version read before: stale. */
    g_clear_object (&result);
    sk_repository_save_notification_template_async (repository, t, NULL, sk_test_keep_result,
                                                    &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    g_assert_null (sk_repository_save_notification_template_finish (repository, result, &error));
    g_assert_error (error, SK_ERROR, SK_ERROR_STALE);
    g_clear_error (&error);
  }

  /* A customer's messages are HQ's outbox, which sends them: a sale at
   * HQ queued one, this file has none. */
  {
    g_autoptr (SkCustomer) olga = hq_customer_new ("Olga HQ", "+79050000092", TRUE);
    g_autoptr (SkNotificationPage) page = NULL;

    g_free (sell_at_hq (olga->id, 1));
    messaged = g_strdup (olga->id);
    g_clear_object (&result);
    sk_repository_list_notifications_async (repository, olga->id, NULL, 20, NULL,
                                            sk_test_keep_result, &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    page = sk_repository_list_notifications_finish (repository, result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (page->notifications->len, ==,
                      sk_test_query_int (hq.db,
                                         "SELECT count(*) FROM notifications"
                                         " WHERE customer_id = ?",
                                         olga->id));
    g_assert_cmpuint (page->notifications->len, >=, 1);
    g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM notifications", NULL), ==, 0);
  }

  /* The desk announces a campaign: HQ, which has the chain's customers,
   * queues it to whom it reaches (Olga among them). */
  {
    g_autofree SkReach *queued = NULL;
    SkReach             reach;

    g_assert_true (sk_database_campaign_reach (hq.db, campaign_saved->id, &reach, &error));
    g_assert_no_error (error);
    g_assert_cmpint (reach.customers, >=, 1);
    g_clear_object (&result);
    sk_repository_announce_async (repository, campaign_saved->id, TRUE, NULL, sk_test_keep_result,
                                  &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    queued = sk_repository_announce_finish (repository, result, &error);
    g_assert_no_error (error);
    g_assert_cmpint (queued->customers, ==, reach.customers);
    g_assert_cmpint (sk_test_query_int (hq.db,
                                        "SELECT count(DISTINCT customer_id) FROM notifications"
                                        " WHERE event = 'campaign'",
                                        NULL),
                     ==, reach.customers);
    g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM notifications", NULL), ==, 0);
  }

  /* HQ's desk reads customers, edits none (HQ would refuse its push). */
  {
    g_autoptr (SkCustomer) nina = sk_test_create_customer (hq.db, "Nina HQ", "+79050000091");
    SkCustomersView *customers;
    GtkWidget       *edit;

    press_sync_now (f);
    g_assert_true (app_wait (till_has_customer, (gpointer)nina->id, 30000));
    sk_window_show_view (f->window, "customers");
    customers = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
    sk_customers_view_show_customer (customers, nina->id);
    g_assert_true (app_wait (app_customer_details_ready, customers, 10000));
    app_pump (200);
    edit = app_find_widget (sk_customers_view_get_details (customers), app_is_action_button,
                            "customers.edit");
    g_assert_nonnull (edit);
    g_assert_false (gtk_widget_get_visible (edit));
    /* Nor a button to register one. */
    g_assert_false (gtk_widget_get_visible (
        app_find_widget (GTK_WIDGET (customers), app_is_action_button, "customers.new")));
  }

  /* A store's manager reads them at HQ, of its store's sales: not another
   * store's, which the chain's figures count. */
  {
    g_autofree char              *manager = login ("manager1", "manager-pass");
    GSettings                    *settings = sk_application_get_settings (f->app);
    g_autofree SkCampaignFigures *figures = NULL;
    g_autoptr (SkStore) two = sk_test_store_new ("S3", "Store three");
    SkCampaignFigures at_store = { 0 }, chain = { 0 };

    g_assert_true (sk_database_save_store (hq.db, two, &error));
    g_assert_no_error (error);
    g_free (sell_at_store (sk_record_get_id (two), NULL, 1));
    connect_till (f, manager);
    press_sync_now (f);
    g_assert_true (app_wait (till_has_store_sales, f, 30000));
    /* What signing in as the store's manager keeps (sk-connect.c). */
    g_settings_set_string (settings, "account-store-id", hq_store);
    g_settings_set_boolean (settings, "role-from-account", TRUE);
    /* Its charts are its store's, the only ones HQ gives it: no menu of
     * the chain's stores. */
    sk_window_show_view (f->window, "charts");
    g_assert_true (app_wait (store_menu_bound, view, 10000));
    g_assert_cmpstr (store_menu_item (view, 0), ==, "Store one");
    g_clear_object (&result);
    sk_repository_campaign_figures_async (repository, campaign_saved->id, NULL, sk_test_keep_result,
                                          &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    figures = sk_repository_campaign_figures_finish (repository, result, &error);
    g_assert_no_error (error);
    g_assert_true (sk_analytics_campaign (hq.db, campaign_saved->id, hq_store, &at_store, &error));
    g_assert_true (sk_analytics_campaign (hq.db, campaign_saved->id, NULL, &chain, &error));
    g_assert_no_error (error);
    g_assert_cmpint (at_store.purchases, >=, 1);
    g_assert_cmpint (at_store.purchases, <, chain.purchases);
    g_assert_true (figures->store_only);
    g_assert_cmpint (figures->purchases, ==, at_store.purchases);
    g_assert_cmpint (figures->revenue, ==, at_store.revenue);
    g_assert_cmpint (figures->spent, ==, chain.spent);

    /* As the campaigns view shows them: the store's sales, the campaign's
     * budget. */
    {
      GtkWidget         *campaigns;
      GtkSelectionModel *model;
      g_autofree char   *purchases = g_strdup_printf ("%" G_GINT64_FORMAT, at_store.purchases);

      sk_window_show_view (f->window, "campaigns");
      campaigns = sk_window_get_view (f->window, "campaigns");
      sk_campaigns_view_reload (SK_CAMPAIGNS_VIEW (campaigns));
      g_assert_true (app_wait (campaigns_loaded, campaigns, 20000));
      model = gtk_column_view_get_model (
          GTK_COLUMN_VIEW (app_find_widget (campaigns, is_column_view, NULL)));
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
        {
          g_autoptr (SkCampaign) c = g_list_model_get_item (G_LIST_MODEL (model), i);

          if (g_strcmp0 (sk_record_get_id (c), campaign_saved->id) == 0)
            gtk_selection_model_select_item (model, i, TRUE);
        }
      g_assert_true (app_wait (store_figures_shown, campaigns, 10000));
      g_assert_nonnull (
          app_find_label (GTK_WIDGET (app_find_action_row (campaigns, "Purchases")), purchases));
      g_assert_cmpstr (
          adw_action_row_get_subtitle (app_find_action_row (campaigns, "Budget spent")), ==, "");
    }
  }

  /* Nor may a cashier read HQ's messages: the till's own, no error. */
  {
    g_autofree char *cashier = login ("cashier1", "cashier-pass");
    g_autoptr (SkNotificationPage) page = NULL;

    connect_till (f, cashier);
    g_clear_object (&result);
    sk_repository_list_notifications_async (repository, messaged, NULL, 20, NULL,
                                            sk_test_keep_result, &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    page = sk_repository_list_notifications_finish (repository, result, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (page->notifications->len, ==, 0);
  }

  /* HQ unreachable: the desk's save says so, and nothing is kept here. */
  {
    g_autofree char *marketing = login ("marketing1", "marketing-pass");
    g_autoptr (SkDiscountRule) offline
        = sk_test_rule_new ("Saved offline", "percentage", 500, NULL);
    guint port = hq.port;

    connect_till (f, marketing);
    sk_test_hq_stop (&hq);
    g_assert_null (repository_save (f, offline, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM discount_rules WHERE name = ?",
                                        "Saved offline"),
                     ==, 0);
    hq_start (port);
  }
}

/* HQ refuses the token during a sync: the sales stay, "Sign in again". */
static void
test_unauthorized (AppFixture *f, gconstpointer data)
{
  g_autofree char *token = login ("cashier1", "cashier-pass");
  g_autofree char *fresh = NULL;
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *logout = g_strconcat (hq.url, "/api/auth/logout", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", logout);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GError) error = NULL;

  connected_till (f, token);
  /* The token revoked at HQ, for real. */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), <, 300);

  sell (f, 2, ids);
  wait_status (f, T ("Sign in again"));
  wait_pending (f, 2);
  g_assert_cmpint (till_outbox (f), ==, 2);
  g_assert_cmpint (hq_has (ids), ==, 0);
  shot (GTK_WIDGET (f->window), "sync-sign-in-again");

  /* Signed in again: the kept sales go. */
  fresh = login ("cashier1", "cashier-pass");
  connect_till (f, fresh);
  wait_format (f, "Synced %s");
  g_assert_cmpint (hq_has (ids), ==, 2);
  g_assert_cmpint (till_outbox (f), ==, 0);
}

/* An HQ that refuses this till: a 403 with its reason, as HQ words it. */
static void
refusing_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  static const char body[]
      = "{\"error\":{\"code\":\"forbidden\",\"message\":\"This till belongs to another "
        "store\",\"field\":null}}";

  soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, body,
                                    strlen (body));
}

/* HQ answers with an error: "Sync error", the message in the popover, and
 * Copy Details puts it on the clipboard with what support asks for. */
static void
refusing_early (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           listener)
{
  sk_listener_got_headers (listener, msg);
}

static void
test_error (AppFixture *f, gconstpointer data)
{
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  SkListenerLimits limits = { 10, 10, 10, 10 };
  SkListener      *listener;
  g_autofree char *url = NULL;
  g_autofree char *details = NULL;
  SkSyncStatus    *status = find_status (GTK_WIDGET (f->window));
  GtkWidget       *copy;
  GtkMenuButton   *button;

  /* The server's own accept loop: libsoup 3.2's loses a socket a
   * connection (bench/README-libsoup-leak.md). */
  soup_server_add_handler (server, NULL, refusing_handler, NULL, NULL);
  listener = sk_listener_new (server, address, NULL, &limits, &error);
  g_assert_no_error (error);
  soup_server_add_early_handler (server, NULL, refusing_early, listener, NULL);
  url = g_strdup_printf ("http://127.0.0.1:%u", sk_listener_get_port (listener));

  g_settings_set_string (sk_application_get_settings (f->app), "server-url", url);
  sk_background_sync_connect (sk_application_get_sync (f->app), url, "a-token");
  wait_status (f, T ("Sync error"));
  details = sk_sync_status_dup_details (status);
  /* In the user's words, HQ's reason quoted. */
  g_assert_nonnull (strstr (
      details, "HQ does not let the account this app signed in with do that: “This till belongs "
               "to another store”"));
  g_assert_nonnull (strstr (details, url));

  button = GTK_MENU_BUTTON (gtk_widget_get_first_child (GTK_WIDGET (status)));
  gtk_menu_button_popup (button);
  app_pump (300);
  copy = app_find_button (GTK_WIDGET (gtk_menu_button_get_popover (button)), T ("_Copy Details"));
  g_assert_nonnull (copy);
  g_assert_true (gtk_widget_get_visible (copy));
  shot (GTK_WIDGET (f->window), "sync-error");
  shot (GTK_WIDGET (gtk_menu_button_get_popover (button)), "sync-error-details");
  gtk_widget_activate (copy);
  /* A button activated by the keyboard clicks a moment later. */
  app_pump (500);
  {
    GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (f->window));
    GValue        value = G_VALUE_INIT;

    g_assert_true (gdk_clipboard_is_local (clipboard));
    g_value_init (&value, G_TYPE_STRING);
    g_assert_true (
        gdk_content_provider_get_value (gdk_clipboard_get_content (clipboard), &value, NULL));
    g_assert_cmpstr (g_value_get_string (&value), ==, details);
    g_value_unset (&value);
  }
  sk_background_sync_disconnect (sk_application_get_sync (f->app));
  sk_listener_free (listener);
  soup_server_disconnect (server);
}

static gboolean
is_expander (GtkWidget *widget, gconstpointer data)
{
  return ADW_IS_EXPANDER_ROW (widget);
}

static GtkWidget *
find_expander (GtkWidget *widget)
{
  return app_find_widget (widget, is_expander, NULL);
}

static SkReviewWindow *
find_review_window (AppFixture *f)
{
  return app_find_window (f, SK_TYPE_REVIEW_WINDOW);
}

static gboolean
review_loaded (gpointer data)
{
  return !sk_review_window_get_busy (data) && sk_review_window_get_n_items (data) > 0;
}

static gboolean
review_idle (gpointer data)
{
  return !sk_review_window_get_busy (data);
}

/* The store's review items at HQ, as its API lists them to @token. */
static guint
hq_review_items (const char *token, gboolean resolved)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = sk_sync_request (
      hq.url, token, "GET",
      resolved ? "/api/sync/review?resolved=true&limit=100" : "/api/sync/review?limit=100", NULL,
      NULL, &error);

  g_assert_no_error (error);
  return json_array_get_length (
      json_object_get_array_member (json_node_get_object (answer), "items"));
}

static gboolean
till_has_store (gpointer data)
{
  AppFixture *f = data;

  return sk_test_query_int (f->db, "SELECT count(*) FROM stores WHERE code = ?", "S2") == 1;
}

/* A manager's till: a sale recorded in a store that is not the till's is
 * rejected by HQ and listed for review; the review window shows it with
 * HQ's reason, and marks it resolved at HQ. A cashier has no review. */
static void
test_review (AppFixture *f, gconstpointer data)
{
  g_autofree char *token = login ("manager1", "manager-pass");
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (SkStore) other = sk_test_store_new ("S2", "Store two");
  g_autoptr (GError) error = NULL;
  GSettings       *settings = sk_application_get_settings (f->app);
  g_autofree char *notice = NULL;
  SkReviewWindow  *window;
  GtkWidget       *resolve;
  guint            open_before;

  open_before = hq_review_items (token, FALSE);
  g_settings_set_string (settings, "role", "manager");
  connected_till (f, token);
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (f->app), "review"));
  g_assert_true (sk_database_save_store (hq.db, other, &error));
  g_assert_no_error (error);
  press_sync_now (f);
  g_assert_true (app_wait (till_has_store, f, 30000));
  wait_format (f, "Synced %s");

  sell_in (f, sk_record_get_id (other), 1, ids);
  g_signal_connect (sk_application_get_sync (f->app), "notice", G_CALLBACK (keep_notice), &notice);
  press_sync_now (f);
  g_assert_true (app_wait ((gboolean (*) (gpointer))till_outbox_empty, f, 30000));
  wait_format (f, "Synced %s");
  g_assert_cmpint (hq_has (ids), ==, 0);
  /* The manager is told, not only HQ's review. */
  g_assert_true (app_wait (has_notice, &notice, 10000));
  g_assert_cmpstr (notice, ==, T ("HQ refused 1 change made here; its figures are HQ's again"));
  g_signal_handlers_disconnect_by_func (sk_application_get_sync (f->app), keep_notice, &notice);
  g_assert_cmpuint (hq_review_items (token, FALSE), ==, open_before + 1);

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "review", NULL);
  app_pump (200);
  window = find_review_window (f);
  g_assert_nonnull (window);
  g_assert_true (app_wait (review_loaded, window, 30000));
  g_assert_cmpuint (sk_review_window_get_n_items (window), ==, open_before + 1);
  /* Opened: HQ's reason and the event. */
  {
    GtkWidget *row = find_expander (GTK_WIDGET (window));

    g_assert_nonnull (row);
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  }
  shot (GTK_WIDGET (window), "sync-review");
  resolve = app_find_button (GTK_WIDGET (window), T ("Mark _Resolved"));
  g_assert_nonnull (resolve);
  gtk_widget_activate (resolve);
  app_pump (500);
  g_assert_true (app_wait (review_idle, window, 30000));
  g_assert_cmpuint (sk_review_window_get_n_items (window), ==, open_before);
  g_assert_cmpuint (hq_review_items (token, TRUE), >=, 1);
  g_assert_cmpuint (hq_review_items (token, FALSE), ==, open_before);
  shot (GTK_WIDGET (window), "sync-review-resolved");
  gtk_window_destroy (GTK_WINDOW (window));

  /* A negative balance says what made it, in the cashier's words. */
  g_assert_cmpstr (sk_review_kind_title ("negative_balance", "purchase.create"), ==,
                   T ("Negative balance after an offline spend"));
  g_assert_cmpstr (sk_review_kind_title ("negative_balance", "refund.create"), ==,
                   T ("Negative balance after a return"));
  g_assert_cmpstr (sk_review_kind_title ("negative_balance", "bonus_transaction.create"), ==,
                   T ("Negative balance after a bonus adjustment"));
  g_assert_cmpstr (sk_review_kind_title ("negative_balance", NULL), ==,
                   T ("Negative balance after an offline spend"));
  g_assert_cmpstr (sk_review_kind_title ("rejected_event", "refund.create"), ==,
                   T ("Rejected by HQ"));

  /* A cashier has no review to open. */
  g_settings_set_string (settings, "role", "cashier");
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (f->app), "review"));
}

static gboolean
hq_refunded (gpointer id)
{
  return sk_test_query_int (hq.db,
                            "SELECT count(*) FROM purchases WHERE id = ? AND status = "
                            "'refunded'",
                            id)
         == 1;
}

/* Everything left of sale @id comes back at this till, through its
 * return window: Select All, then Refund. */
static void
return_all (AppFixture *f, const char *id)
{
  SkRefundWindow *window;
  GtkWidget      *refund;

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refund", "s", id);
  app_pump (100);
  window = app_find_window (f, SK_TYPE_REFUND_WINDOW);
  g_assert_nonnull (window);
  g_assert_true (app_wait (app_refund_sale_shown, window, 10000));
  gtk_widget_activate (app_find_button (GTK_WIDGET (window), T ("Select _All")));
  g_assert_true (sk_refund_window_get_figures (window, NULL, NULL, NULL));
  /* Select All leaves the focus on Refund, for Enter. */
  refund = gtk_window_get_focus (GTK_WINDOW (window));
  g_assert_true (GTK_IS_BUTTON (refund));
  g_signal_emit_by_name (refund, "clicked");
  g_assert_true (app_wait (app_refund_done, window, 10000));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A manager's connected till: returns are a manager's. */
static void
manager_till (AppFixture *f)
{
  g_autofree char *token = login ("manager1", "manager-pass");

  desk = f;
  g_settings_set_string (sk_application_get_settings (f->app), "role", "manager");
  connected_till (f, token);
}

/* The receipt's number, as it prints it, finds sale @id at this till. */
static void
assert_found_by_number (SkRepository *repository, const char *id)
{
  g_autofree char *number = g_strdup_printf ("Receipt %.8s", id);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;

  sk_repository_find_sales_async (repository, hq_store, number, NULL, sk_test_keep_result, &result);
  g_assert_true (app_wait (has_result, &result, 10000));
  found = sk_repository_find_sales_finish (repository, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (sk_record_get_id (g_ptr_array_index (found, 0)), ==, id);
}

/* A manager's till takes a sale back: the return reaches HQ by itself,
 * as a sale does (no Sync Now), once, and the till's outbox empties. */
static void
test_refund_pushed (AppFixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const char *id;

  manager_till (f);
  sell (f, 1, ids);
  press_sync_now (f);
  g_assert_true (app_wait ((gboolean (*) (gpointer))till_outbox_empty, f, 30000));
  id = g_ptr_array_index (ids, 0);
  g_assert_cmpint (hq_has (ids), ==, 1);

  return_all (f, id);

  g_assert_true (app_wait (hq_refunded, (gpointer)id, 30000));
  g_assert_cmpint (
      sk_test_query_int (hq.db, "SELECT count(*) FROM refunds WHERE purchase_id = ?", id), ==, 1);
  g_assert_true (app_wait ((gboolean (*) (gpointer))till_outbox_empty, f, 30000));
  wait_format (f, "Synced %s");
}

/* A sale another till of the store made since this till's last sync (HQ
 * has it, this till does not yet): its receipt number finds it here too,
 * and its return reaches HQ once. */
static void
test_return_other_till (AppFixture *f, gconstpointer data)
{
  SkRepository *repository = sk_application_get_repository (f->app);
  g_autoptr (SkCustomer) vera = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;

  manager_till (f);
  vera = hq_customer_new ("Vera Other", "+79050000093", FALSE);
  press_sync_now (f);
  g_assert_true (app_wait (till_has_customer, (gpointer)vera->id, 30000));
  g_assert_true (app_wait ((gboolean (*) (gpointer))till_idle, f, 30000));
  id = sell_at_hq (vera->id, 2);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM purchases WHERE id = ?", id), ==,
                   0);

  /* Her page shows the sale and its bonuses, which this till never had:
   * they are HQ's. */
  {
    g_autoptr (SkCustomerDetails) details = NULL;
    SkPurchase *shown;

    sk_repository_load_customer_details_async (repository, vera->id, NULL, sk_test_keep_result,
                                               &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    details = sk_repository_load_customer_details_finish (repository, result, &error);
    g_assert_no_error (error);
    g_clear_object (&result);
    g_assert_cmpuint (details->purchases->len, ==, 1);
    shown = g_ptr_array_index (details->purchases, 0);
    g_assert_cmpstr (sk_record_get_id (shown), ==, id);
    g_assert_cmpint (sk_record_get_int64 (shown, "subtotal"), ==, 200000);
    g_assert_cmpuint (details->ledger->len, ==, 1);
    g_assert_cmpstr (sk_record_get_string (g_ptr_array_index (details->ledger, 0), "purchase_id"),
                     ==, id);
    /* And her segments: the sale made her a one-time customer. */
    g_assert_cmpint (sk_test_query_int (f->db,
                                        "SELECT count(*) FROM customer_segments"
                                        " WHERE customer_id = ?",
                                        vera->id),
                     ==, 0);
    g_assert_cmpuint (details->history->len, >=, 1);
    g_assert_cmpstr (
        sk_record_get_string (g_ptr_array_index (details->history, details->history->len - 1),
                              "segment"),
        ==, "one_time");
    g_assert_false (details->till_only);
  }

  /* Someone of no store of this till's, no sale here: HQ keeps his story
   * from this store's manager, and the page says it shows the till's
   * part only. */
  {
    g_autoptr (SkCustomer) ivan = hq_customer_new ("Ivan Elsewhere", "+79050000094", FALSE);
    g_autoptr (SkCustomerDetails) details = NULL;

    press_sync_now (f);
    g_assert_true (app_wait (till_has_customer, (gpointer)ivan->id, 30000));
    sk_repository_load_customer_details_async (repository, ivan->id, NULL, sk_test_keep_result,
                                               &result);
    g_assert_true (app_wait (has_result, &result, 10000));
    details = sk_repository_load_customer_details_finish (repository, result, &error);
    g_assert_no_error (error);
    g_clear_object (&result);
    g_assert_true (details->till_only);
    /* As his page says it. */
    {
      SkCustomersView *customers;

      sk_window_show_view (f->window, "customers");
      customers = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
      sk_customers_view_show_customer (customers, ivan->id);
      g_assert_true (app_wait (app_customer_details_ready, customers, 10000));
      app_pump (200);
      g_assert_nonnull (app_find_action_row (sk_customers_view_get_details (customers),
                                             T ("Only this till's records of this customer")));
      shot (GTK_WIDGET (f->window), "sync-customer-till-only");
    }
  }

  /* F8's list of the store's latest sales has it. */
  sk_repository_find_sales_async (repository, hq_store, "", NULL, sk_test_keep_result, &result);
  g_assert_true (app_wait (has_result, &result, 10000));
  found = sk_repository_find_sales_finish (repository, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (found->len, >=, 1);
  g_assert_cmpstr (sk_record_get_id (g_ptr_array_index (found, 0)), ==, id);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* The number as the receipt prints it. */
  assert_found_by_number (repository, id);
  g_assert_cmpint (sk_test_query_int (f->db,
                                      "SELECT count(*) FROM purchase_lines"
                                      " WHERE purchase_id = ?",
                                      id),
                   ==, 1);

  /* Both bears come back, here. */
  return_all (f, id);

  /* HQ takes it back once: its sale returned, her bonuses with it. */
  g_assert_true (app_wait (hq_refunded, (gpointer)id, 30000));
  g_assert_cmpint (
      sk_test_query_int (hq.db, "SELECT count(*) FROM refunds WHERE purchase_id = ?", id), ==, 1);
  g_assert_cmpint (sk_test_query_int (hq.db,
                                      "SELECT count(*) FROM purchases"
                                      " WHERE id = ? AND status = 'refunded'",
                                      id),
                   ==, 1);
  g_assert_cmpint (
      sk_test_query_int (hq.db, "SELECT bonus_balance FROM customers WHERE id = ?", vera->id), ==,
      0);
  g_assert_true (app_wait ((gboolean (*) (gpointer))till_outbox_empty, f, 30000));
}

static gboolean
till_has_purchase (gpointer id)
{
  return sk_test_query_int (desk->db, "SELECT count(*) FROM purchases WHERE id = ?", id) == 1;
}

static gboolean
hq_out_of_reach (gpointer repository)
{
  return sk_repository_get_hq_out_of_reach (repository);
}

/* The store's sales reach the till with its syncs: HQ down, a sale
 * another till made before is found by its receipt number and taken
 * back; the return reaches HQ once when HQ is back. */
static void
test_offline_return (AppFixture *f, gconstpointer data)
{
  SkRepository *repository = sk_application_get_repository (f->app);
  g_autoptr (SkCustomer) vera = NULL;
  g_autofree char *id = NULL;
  guint            port = hq.port;

  manager_till (f);
  vera = hq_customer_new ("Vera Kept", "+79050000095", FALSE);
  g_assert_true (app_wait ((gboolean (*) (gpointer))till_idle, f, 30000));
  id = sell_at_hq (vera->id, 2);
  press_sync_now (f);
  g_assert_true (app_wait (till_has_purchase, id, 30000));

  sk_test_hq_stop (&hq);
  press_sync_now (f);
  g_assert_true (app_wait (hq_out_of_reach, repository, 30000));
  assert_found_by_number (repository, id);
  return_all (f, id);
  g_assert_cmpint (sk_test_query_int (f->db,
                                      "SELECT count(*) FROM purchases"
                                      " WHERE id = ? AND status = 'refunded'",
                                      id),
                   ==, 1);
  g_assert_cmpint (till_outbox (f), >=, 1);

  hq_start (port);
  press_sync_now (f);
  g_assert_true (app_wait (hq_refunded, (gpointer)id, 30000));
  g_assert_cmpint (
      sk_test_query_int (hq.db, "SELECT count(*) FROM refunds WHERE purchase_id = ?", id), ==, 1);
  g_assert_true (app_wait ((gboolean (*) (gpointer))till_outbox_empty, f, 30000));
}

/* An HQ that takes connections and never answers (a network that drops
 * what it is sent); counts what asks it for a customer's story. */
static gboolean
black_hole_cb (GSocketService    *service,
               GSocketConnection *connection,
               GObject           *source,
               gpointer           asked)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  char          head[256] = { 0 };

  /* Kept open, unanswered, until the service goes. */
  g_object_set_data_full (G_OBJECT (service), g_strdup_printf ("c%p", (void *)connection),
                          g_object_ref (connection), g_object_unref);
  if (g_input_stream_read (in, head, sizeof head - 1, NULL, NULL) > 0
      && strstr (head, "/api/customers/") != NULL)
    (*(guint *)asked)++;
  return TRUE;
}

static gboolean
refund_listed (gpointer window)
{
  return app_refund_page_is (window, "find");
}

/* HQ out of reach (the last sync failed to reach it): a customer's page
 * comes from the till's file at once; HQ is not even asked. */
static void
test_offline_reads (AppFixture *f, gconstpointer data)
{
  SkRepository *repository = sk_application_get_repository (f->app);
  g_autoptr (GSocketService) service = g_socket_service_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (SkCustomerDetails) details = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) olga = sk_test_create_customer (f->db, "Olga Offline", "+79050000094");
  g_autofree char *url = NULL;
  guint            asked = 0;
  guint16          port;

  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (black_hole_cb), &asked);
  url = g_strdup_printf ("http://127.0.0.1:%u", port);
  sk_repository_set_hq (repository, url, "a-token");
  sk_repository_set_hq_out_of_reach (repository, TRUE);
  sk_repository_load_customer_details_async (repository, olga->id, NULL, sk_test_keep_result,
                                             &result);
  g_assert_true (app_wait (has_result, &result, 30000));
  details = sk_repository_load_customer_details_finish (repository, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sk_record_get_id (details->customer), ==, olga->id);
  g_assert_cmpuint (details->purchases->len, ==, 0);

  /* F8's list of the store's sales is the till's own, and says why. */
  {
    g_autofree char *store_id = sk_application_dup_store_id (f->app);
    SkRefundWindow  *window = sk_refund_window_new (GTK_WINDOW (f->window), store_id, NULL);

    gtk_window_present (GTK_WINDOW (window));
    g_assert_true (app_wait (refund_listed, window, 30000));
    g_assert_nonnull (app_find_label (GTK_WIDGET (window),
                                      "HQ cannot be reached: this store's sales are found up to "
                                      "the last sync, a newer sale of another till once HQ is "
                                      "back."));
    gtk_window_destroy (GTK_WINDOW (window));
  }
  app_pump (300);
  g_assert_cmpuint (asked, ==, 0);
  sk_repository_set_hq (repository, NULL, NULL);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
}

/* The app's repository saving @product, as the checkout's "New Product"
 * does: the copy saved, or NULL with @error. */
static SkProduct *
save_product (AppFixture *f, const char *sku, GError **error)
{
  SkRepository *repository = sk_application_get_repository (f->app);
  g_autoptr (SkProduct) product = g_object_new (SK_TYPE_PRODUCT, NULL);
  g_autoptr (GAsyncResult) result = NULL;

  g_object_set (product, "sku", sku, "name", "Kite", "category", "toys", "price", (gint64)150000,
                NULL);
  sk_repository_save_product_async (repository, product, NULL, sk_test_keep_result, &result);
  g_assert_true (app_wait (has_result, &result, 10000));
  return sk_repository_save_product_finish (repository, result, error);
}

static gboolean
till_has_product (gpointer sku)
{
  return sk_test_query_int (desk->db, "SELECT count(*) FROM products WHERE sku = ?", sku) == 1;
}

/* HQ's catalogue is an admin's: an admin's connected app adds a product
 * and imports a price list into it (the tills pull them); a store's
 * manager adds to its till's own, as before. */
static void
test_hq_products (AppFixture *f, gconstpointer data)
{
  g_autofree char *admin = login ("admin1", "admin-pass");
  g_autofree char *manager = login ("manager1", "manager-pass");
  SkRepository    *repository = sk_application_get_repository (f->app);
  g_autoptr (SkProduct) kite = NULL;
  g_autoptr (SkProduct) local = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  static const char price_list[] = "sku,name,category,price\nhq-ball,Ball,toys,500.00\n";
  g_autoptr (GBytes) csv = g_bytes_new_static (price_list, sizeof price_list - 1);
  g_autofree SkProductImport *counts = NULL;
  g_autoptr (GError) error = NULL;

  desk = f;
  connected_till (f, admin);
  kite = save_product (f, "hq-kite", &error);
  g_assert_no_error (error);
  g_assert_nonnull (kite);
  g_assert_cmpint (sk_test_query_int (hq.db, "SELECT price FROM products WHERE sku = ?", "hq-kite"),
                   ==, 150000);
  g_assert_true (till_has_product ((gpointer) "hq-kite"));

  sk_repository_import_products_async (repository, csv, NULL, sk_test_keep_result, &result);
  g_assert_true (app_wait (has_result, &result, 10000));
  counts = sk_repository_import_products_finish (repository, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (counts->created, ==, 1);
  g_assert_cmpint (sk_test_query_int (hq.db, "SELECT price FROM products WHERE sku = ?", "hq-ball"),
                   ==, 50000);
  press_sync_now (f);
  g_assert_true (app_wait (till_has_product, (gpointer) "hq-ball", 30000));

  /* A manager's product is its till's: HQ leaves its catalogue to admins. */
  connect_till (f, manager);
  local = save_product (f, "till-kite", &error);
  g_assert_no_error (error);
  g_assert_nonnull (local);
  g_assert_true (till_has_product ((gpointer) "till-kite"));
  g_assert_cmpint (
      sk_test_query_int (hq.db, "SELECT count(*) FROM products WHERE sku = ?", "till-kite"), ==, 0);
}

typedef struct
{
  SkDatabase *db;
  const char *id;
  const char *field;
  const char *value;
} FieldWait;

static gboolean
field_is (gpointer data)
{
  FieldWait *w = data;
  g_autoptr (SkCustomer) customer = sk_database_get_customer (w->db, w->id, NULL);

  return customer != NULL && g_strcmp0 (sk_record_get_string (customer, w->field), w->value) == 0;
}

/* The till edits a customer HQ changed meanwhile (its copy came with a
 * sync): saving meets the other version (412), both are shown, and a
 * field-by-field merge is saved and reaches HQ. */
static void
test_conflict (AppFixture *f, gconstpointer data)
{
  g_autofree char *token = login ("manager1", "manager-pass");
  g_autoptr (SkCustomer) olga = sk_customer_new ();
  const char *id;
  g_autoptr (SkCustomer) at_till = NULL;
  g_autoptr (SkCustomer) at_hq = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char  *new_phone = sk_normalize_phone ("+79055550302", NULL);
  SkCustomerEditor *editor;
  AdwMessageDialog *dialog;
  FieldWait         w;

  /* A customer of the store: its manager edits her at the till. */
  g_object_set (olga, "full-name", "Olga Conflict", "phone", "+79055550301", "home-store-id",
                hq_store, NULL);
  g_assert_true (sk_database_create_customer (hq.db, olga, &error));
  g_assert_no_error (error);
  id = sk_record_get_id (olga);
  g_settings_set_string (sk_application_get_settings (f->app), "role", "manager");
  connected_till (f, token);
  at_till = sk_database_get_customer (f->db, id, &error);
  g_assert_no_error (error);
  editor = sk_customer_editor_new (GTK_WINDOW (f->window), sk_application_get_repository (f->app),
                                   at_till);
  gtk_window_present (GTK_WINDOW (editor));

  /* HQ renames her and adds an e-mail; the till hears of it. */
  at_hq = sk_database_get_customer (hq.db, id, &error);
  g_object_set (at_hq, "full-name", "Olga HQ", "email", "olga@hq.example", NULL);
  g_assert_true (sk_database_update_customer (hq.db, at_hq, &error));
  g_assert_no_error (error);
  press_sync_now (f);
  w = (FieldWait){ f->db, id, "full_name", "Olga HQ" };
  g_assert_true (app_wait (field_is, &w, 30000));

  /* The cashier, on the old copy, renames her and types a new phone. */
  sk_customer_editor_set_text (editor, "name", "Olga Till");
  sk_customer_editor_set_text (editor, "phone", "+79055550302");
  sk_record_editor_save_async (SK_RECORD_EDITOR (editor), NULL, app_keep_result, &result);
  app_pump (500);
  dialog = app_find_dialog ();
  g_assert_nonnull (dialog);
  /* Asked about her name, which both changed; the phone only the cashier
   * changed and the e-mail only HQ are not asked about, and both kept (the
   * e-mail was lost unless the cashier chose HQ's). */
  g_assert_nonnull (app_find_toggle (GTK_WIDGET (dialog), T ("Full name"), T ("Theirs"), FALSE));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), T ("Phone")));
  g_assert_null (app_find_action_row (GTK_WIDGET (dialog), T ("Email")));
  /* Her name as HQ wrote it. */
  gtk_toggle_button_set_active (
      app_find_toggle (GTK_WIDGET (dialog), T ("Full name"), T ("Theirs"), FALSE), TRUE);
  shot (GTK_WIDGET (dialog), "sync-conflict");
  gtk_widget_activate (app_find_button (GTK_WIDGET (dialog), T ("_Merge")));
  g_assert_true (
      sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), &error));
  g_assert_no_error (error);
  g_clear_object (&at_till);
  at_till = sk_database_get_customer (f->db, id, &error);
  g_assert_cmpstr (sk_record_get_string (at_till, "full_name"), ==, "Olga HQ");
  g_assert_cmpstr (sk_record_get_string (at_till, "email"), ==, "olga@hq.example");
  g_assert_cmpstr (sk_record_get_string (at_till, "phone"), ==, new_phone);

  /* The merge is the till's edit: HQ has it after the next sync. */
  press_sync_now (f);
  w = (FieldWait){ hq.db, id, "phone", new_phone };
  g_assert_true (app_wait (field_is, &w, 30000));
  g_clear_object (&at_hq);
  at_hq = sk_database_get_customer (hq.db, id, &error);
  g_assert_cmpstr (sk_record_get_string (at_hq, "full_name"), ==, "Olga HQ");
  gtk_window_destroy (GTK_WINDOW (editor));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *config = NULL;
  int              status;

  /* The token file and the keyring's view of the user go to a directory
   * of the test's own. */
  config = g_dir_make_tmp ("skidka-app-sync-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  if (g_getenv ("SKIDKA_LOCALEDIR") != NULL)
    {
      bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SKIDKA_LOCALEDIR"));
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
    }
  app_test_init (&argc, &argv);
  hq_setup ();
  /* Most tests: a till with no data of its own, not yet connected. */
#define add(path, func)                                                                            \
  g_test_add ((path), AppFixture, "empty", sync_fixture_setup, (func), app_fixture_teardown)
  add ("/app/sync/sign-in", test_sign_in);
  add ("/app/sync/sign-in-tls", test_sign_in_tls);
  g_test_add ("/app/sync/restart", AppFixture, "empty", restart_fixture_setup, test_restart,
              app_fixture_teardown);
  add ("/app/sync/offline", test_offline);
  add ("/app/sync/hq-rule", test_hq_rule);
  add ("/app/sync/hq-editors", test_hq_editors);
  add ("/app/sync/unauthorized", test_unauthorized);
  add ("/app/sync/error", test_error);
  g_test_add ("/app/sync/role-pin", AppFixture, NULL, sync_fixture_setup, test_role_pin,
              app_fixture_teardown);
  add ("/app/sync/review", test_review);
  add ("/app/sync/refund", test_refund_pushed);
  add ("/app/sync/return-other-till", test_return_other_till);
  add ("/app/sync/offline-reads", test_offline_reads);
  add ("/app/sync/offline-return", test_offline_return);
  add ("/app/sync/hq-products", test_hq_products);
  add ("/app/sync/conflict", test_conflict);
#undef add
  status = g_test_run ();
  sk_test_hq_close (&hq);
  g_free (hq_store);
  {
    g_autofree char *token_file = sk_token_store_file_path ();
    g_autofree char *token_dir = g_path_get_dirname (token_file);

    g_unlink (token_file);
    g_rmdir (token_dir);
  }
  sk_test_remove_dir (config);
  return status;
}
