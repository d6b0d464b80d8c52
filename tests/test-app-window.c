/* test-app-window.c: the window opens on a database, shows every view,
 * follows the role, offers demo data on an empty first run; a PNG of each
 * view is saved under the build directory.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "test-app-common.h"

static void
test_views (AppFixture *f, gconstpointer data)
{
  const char   *views[] = { "checkout", "customers", "rules", "campaigns", "charts" };
  AdwViewStack *stack = ADW_VIEW_STACK (
      gtk_widget_get_ancestor (sk_window_get_view (f->window, "checkout"), ADW_TYPE_VIEW_STACK));

  g_assert_false (sk_window_is_welcome (f->window));
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *name = g_strdup_printf ("view-%s", views[i]);

      sk_window_show_view (f->window, views[i]);
      app_pump (800);
      /* Shown, so built (some views are built only then). */
      g_assert_nonnull (
          gtk_widget_get_first_child (adw_view_stack_get_child_by_name (stack, views[i])));
      g_assert_true (gtk_widget_get_mapped (sk_window_get_view (f->window, views[i])));
      app_save_png (GTK_WIDGET (f->window), name);
    }
  /* Alt+N (its action): the focus goes into the view shown, not left on
   * the header's switcher. */
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      GtkWidget *focus;

      gtk_widget_activate_action (GTK_WIDGET (f->window), "win.show-view", "s", views[i]);
      app_pump (300);
      focus = gtk_root_get_focus (GTK_ROOT (f->window));
      g_test_message ("%s: focus on %s", views[i], focus ? G_OBJECT_TYPE_NAME (focus) : "nothing");
      g_assert_nonnull (focus);
      g_assert_true (gtk_widget_is_ancestor (focus, sk_window_get_view (f->window, views[i])));
    }
  /* Narrow: the view switcher moves to the bottom bar and views still fit. */
  gtk_window_set_default_size (GTK_WINDOW (f->window), 380, 700);
  sk_window_show_view (f->window, "checkout");
  app_pump (800);
  app_save_png (GTK_WIDGET (f->window), "view-checkout-narrow");
  /* Dark style */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 780);
  sk_window_show_view (f->window, "charts");
  app_pump (800);
  app_save_png (GTK_WIDGET (f->window), "view-charts-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);

  /* Preferences */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "preferences", NULL);
  app_pump (500);
  {
    GtkWindow *prefs = app_find_window (f, ADW_TYPE_PREFERENCES_WINDOW);

    g_assert_nonnull (prefs);
    /* The store's bonus figures are shown, not editable here: it says why. */
    g_assert_nonnull (app_find_label (GTK_WIDGET (prefs),
                                      "The accrual rate and the share payable with bonuses are "
                                      "the store's own, set at HQ"));
    /* The store's whole name is shown, under the row's title, not cut
     * beside it (the chain's stores share their first words). */
    {
      AdwActionRow    *store = app_find_action_row (GTK_WIDGET (prefs), "Store");
      GtkStringObject *item;

      g_assert_nonnull (store);
      app_pump (300);
      item = adw_combo_row_get_selected_item (ADW_COMBO_ROW (store));
      g_assert_nonnull (item);
      g_assert_cmpstr (adw_action_row_get_subtitle (store), ==,
                       gtk_string_object_get_string (item));
    }
    app_save_png (GTK_WIDGET (prefs), "preferences");
    gtk_window_destroy (prefs);
  }
}

static gboolean
is_menu_button (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));
}

/* Whether the main menu shows "Return a Sale…" (F8's action). */
static gboolean
refund_offered (AppFixture *f)
{
  GtkWidget *button = app_find_widget (GTK_WIDGET (f->window), is_menu_button, NULL);
  GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  GtkWidget *label;
  gboolean   shown;

  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  app_pump (100);
  /* The menu leaves out an item whose action is disabled. */
  label = app_find_label (popover, "Return a Sale…");
  shown = label != NULL;
  for (GtkWidget *w = label; w != NULL && w != popover; w = gtk_widget_get_parent (w))
    shown = shown && gtk_widget_get_visible (w);
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));
  return shown;
}

static void
test_roles (AppFixture *f, gconstpointer data)
{
  GSettings    *settings = sk_application_get_settings (f->app);
  AdwViewStack *stack = ADW_VIEW_STACK (
      gtk_widget_get_ancestor (sk_window_get_view (f->window, "checkout"), ADW_TYPE_VIEW_STACK));
  AdwViewStackPage *rules
      = adw_view_stack_get_page (stack, adw_view_stack_get_child_by_name (stack, "rules"));
  AdwViewStackPage *checkout
      = adw_view_stack_get_page (stack, adw_view_stack_get_child_by_name (stack, "checkout"));

  g_settings_set_enum (settings, "role", SK_ROLE_CASHIER);
  g_assert_false (adw_view_stack_page_get_visible (rules));
  g_assert_true (adw_view_stack_page_get_visible (checkout));
  /* A cashier is offered returns (and told who takes them). */
  g_assert_true (refund_offered (f));
  g_settings_set_enum (settings, "role", SK_ROLE_MARKETING);
  g_assert_true (adw_view_stack_page_get_visible (rules));
  g_assert_false (adw_view_stack_page_get_visible (checkout));
  /* HQ's desk sells nothing, so takes nothing back. */
  g_assert_false (refund_offered (f));
  /* Alt+1 is the first view it has, Customers; Alt+4 the last, Charts. */
  g_assert_true (app_press (GTK_WIDGET (f->window), "<Alt>1"));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "customers");
  g_assert_true (app_press (GTK_WIDGET (f->window), "<Alt>4"));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "charts");
  g_settings_set_enum (settings, "role", SK_ROLE_ADMIN);
  g_assert_true (adw_view_stack_page_get_visible (checkout));
  g_assert_true (refund_offered (f));
  g_assert_true (app_press (GTK_WIDGET (f->window), "<Alt>1"));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "checkout");
}

static gboolean
is_switcher_bar (GtkWidget *widget, gconstpointer data)
{
  return ADW_IS_VIEW_SWITCHER_BAR (widget);
}

static void
test_first_run (AppFixture *f, gconstpointer data)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));
  GtkWidget *bar = app_find_widget (GTK_WIDGET (f->window), is_switcher_bar, NULL);

  g_assert_true (sk_window_is_welcome (f->window));
  app_save_png (GTK_WIDGET (f->window), "view-welcome");
  /* Return takes the highlighted offer: the focus is on "Connect to
   * HQ…", the suggested action, not on "Load Demo Data"; and there are no
   * views to switch to yet, at the top or the bottom. */
  g_assert_nonnull (focus);
  g_assert_true (GTK_IS_BUTTON (focus));
  g_assert_cmpstr (gtk_buildable_get_buildable_id (GTK_BUILDABLE (focus)), ==, "connect_button");
  g_assert_true (gtk_widget_has_css_class (focus, "suggested-action"));
  g_assert_nonnull (bar);
  g_assert_false (gtk_widget_get_visible (bar));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.start-empty", NULL);
  app_pump (300);
  g_assert_false (sk_window_is_welcome (f->window));
  g_assert_true (gtk_widget_get_visible (bar));
  app_save_png (GTK_WIDGET (f->window), "view-checkout-empty");
}

static gboolean
welcome_gone (gpointer window)
{
  return !sk_window_is_welcome (window);
}

/* The first-run offer: demo data is made on a worker thread while the
 * window stays responsive, then the views show it. */
static void
test_load_demo (AppFixture *f, gconstpointer data)
{
  SkDatabase *db;

  g_assert_true (sk_window_is_welcome (f->window));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.load-demo", NULL);
  app_pump (300);
  app_save_png (GTK_WIDGET (f->window), "view-welcome-loading");
  g_assert_true (app_wait (welcome_gone, f->window, 120000));
  db = f->db;
  g_assert_cmpint (sk_database_count_customers (db, NULL), >, 0);
  sk_window_show_view (f->window, "customers");
  app_pump (800);
  app_save_png (GTK_WIDGET (f->window), "view-customers-after-demo");
}

int
main (int argc, char *argv[])
{
  app_test_init (&argc, &argv);
  app_test_add ("/app/window/views", test_views);
  app_test_add ("/app/window/roles", test_roles);
  g_test_add ("/app/window/first-run", AppFixture, "empty", app_fixture_setup, test_first_run,
              app_fixture_teardown);
  g_test_add ("/app/window/load-demo", AppFixture, "empty", app_fixture_setup, test_load_demo,
              app_fixture_teardown);
  return g_test_run ();
}
