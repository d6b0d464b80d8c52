/* test-app-common.h: what the GTK tests share: a temporary database with a
 * small demo chain, the application and its window, pumping the main loop,
 * saving a PNG of a view under the build directory.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib/gstdio.h>

#include "sk-application.h"
#include "sk-checkout-view.h"
#include "sk-customers-view.h"
#include "sk-demo.h"
#include "sk-refund-window.h"
#include "sk-widgets.h"
#include "sk-window.h"

/* No session bus under xvfb-run in CI: GTK and libadwaita warn about it,
 * which is not the app's fault; everything else stays fatal. */
static inline gboolean
app_fatal_handler (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  return !(strstr (message, "session bus") || strstr (message, "dbus") || strstr (message, "portal")
           || strstr (message, "a11y") || strstr (message, "accessibility bus"));
}

static inline void
app_test_init (int *argc, char ***argv)
{
  g_setenv ("SKIDKA_NO_DIALOGS", "1", TRUE);
  gtk_test_init (argc, argv, NULL);
  g_test_log_set_fatal_handler (app_fatal_handler, NULL);
}

typedef struct
{
  char          *dir;
  char          *db_path;
  SkApplication *app;
  SkWindow      *window;
  /* The test's own connection, to check what the app wrote. */
  SkDatabase *db;
} AppFixture;

static inline void
app_pump (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

/* An async call's result, kept for its _finish. */
static inline void
app_keep_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **)data = g_object_ref (result);
}

/* Iterates until the call that app_keep_result () answers is done. */
static inline GAsyncResult *
app_wait_result (GAsyncResult **slot)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (*slot == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, FALSE);
      if (*slot == NULL)
        g_usleep (500);
    }
  return *slot;
}

/* Iterates until @done (data) is TRUE or @ms pass. */
static inline gboolean
app_wait (gboolean (*done) (gpointer data), gpointer data, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return TRUE;
}

static inline gboolean
app_window_is (gpointer data)
{
  GtkWidget *window = data;
  int       *size = g_object_get_data (G_OBJECT (window), "want");

  return gtk_widget_get_width (window) == size[0] && gtk_widget_get_height (window) == size[1];
}

/* Makes the window's content @width x @height, as a maximized window on a
 * screen that size has. (Unmaximized, and Xvfb has no window manager to
 * maximize it, the X window adds a few pixels of resize border.) */
static inline void
app_resize (AppFixture *f, int width, int height)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (f->window));
  int         size[2] = { width, height };
  int border_x = gdk_surface_get_width (surface) - gtk_widget_get_width (GTK_WIDGET (f->window));
  int border_y = gdk_surface_get_height (surface) - gtk_widget_get_height (GTK_WIDGET (f->window));

  g_object_set_data (G_OBJECT (f->window), "want", size);
  gtk_window_set_default_size (GTK_WINDOW (f->window), width + border_x, height + border_y);
  if (!app_wait (app_window_is, f->window, 10000))
    g_error ("The window is %d × %d, not %d × %d", gtk_widget_get_width (GTK_WIDGET (f->window)),
             gtk_widget_get_height (GTK_WIDGET (f->window)), width, height);
  g_object_set_data (G_OBJECT (f->window), "want", NULL);
  app_pump (300);
}

/* For app_wait () on the checkout @view: the cart is priced. */
static inline gboolean
app_checkout_priced (gpointer view)
{
  return !sk_checkout_view_get_calculating (view);
}

/* For app_wait () on the checkout @view: the sale has a customer. */
static inline gboolean
app_checkout_has_customer (gpointer view)
{
  return sk_checkout_view_get_customer (view) != NULL;
}

/* For app_wait () on the customers @view: the chosen customer's details
 * are loaded. */
static inline gboolean
app_customer_details_ready (gpointer view)
{
  return !sk_customers_view_get_loading_details (view);
}

static inline void
app_fixture_setup (AppFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  SkDemoOptions options = { 60, 400, 60, 7 };

  f->dir = g_dir_make_tmp ("skidka-app-XXXXXX", &error);
  g_assert_no_error (error);
  f->db_path = g_build_filename (f->dir, "test.db", NULL);
  if (data == NULL)
    {
      db = sk_database_open (f->db_path, &error);
      g_assert_no_error (error);
      sk_demo_generate (db, &options, NULL, &error);
      g_assert_no_error (error);
      g_clear_object (&db);
    }
  {
    /* One id per fixture: a previous test's application may still be
     * exported on the bus until it is finalized. */
    static guint     counter;
    g_autofree char *id = g_strdup_printf ("org.skidka.Skidka.Test%u", ++counter);

    f->app = g_object_new (SK_TYPE_APPLICATION, "application-id", id, "flags",
                           G_APPLICATION_NON_UNIQUE, "resource-base-path", "/org/skidka/Skidka",
                           "db-path", f->db_path, NULL);
  }
  /* Settings live in memory for the whole program: start each test afresh. */
  {
    const char *keys[] = { "demo-offered", "role", "store-id", "show-bonus-details" };

    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      g_settings_reset (sk_application_get_settings (f->app), keys[i]);
  }
  g_application_register (G_APPLICATION (f->app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (f->app));
  f->window = SK_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 780);
  app_pump (300);
  f->db = sk_database_open (f->db_path, &error);
  g_assert_no_error (error);
}

static inline void
app_fixture_teardown (AppFixture *f, gconstpointer data)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  gtk_window_destroy (GTK_WINDOW (f->window));
  app_pump (100);
  g_clear_object (&f->db);
  g_clear_object (&f->app);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *p = g_strconcat (f->db_path, suffixes[i], NULL);

      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->db_path);
  g_free (f->dir);
}

/* The application's first window of @type, or NULL. */
static inline gpointer
app_find_window (AppFixture *f, GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (f->app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  /* An editor opened over the window, not the application's own. */
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

/* Whether the keyboard focus of the app's window is on @widget or inside it. */
static inline gboolean
app_focus_within (AppFixture *f, GtkWidget *widget)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (f->window));

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/* Adds the test @func at @path, run on a fixture with the demo chain. */
#define app_test_add(path, func)                                                                   \
  g_test_add ((path), AppFixture, NULL, app_fixture_setup, (func), app_fixture_teardown)

/* The message dialog on screen (a question, a form), or NULL. */
static inline AdwMessageDialog *
app_find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

/* For app_wait (): a message dialog is on screen. */
static inline gboolean
app_dialog_shown (gpointer data)
{
  return app_find_dialog () != NULL;
}

/* For app_wait (): the return window shows @page, nothing read or written
 * under way. */
static inline gboolean
app_refund_page_is (SkRefundWindow *window, const char *page)
{
  return !sk_refund_window_get_busy (window)
         && g_strcmp0 (sk_refund_window_get_page (window), page) == 0;
}

static inline gboolean
app_refund_sale_shown (gpointer window)
{
  return app_refund_page_is (window, "sale");
}

static inline gboolean
app_refund_done (gpointer window)
{
  return app_refund_page_is (window, "done");
}

/* The first widget under @widget (depth first) that @match accepts. */
static inline GtkWidget *
app_find_widget (GtkWidget *widget,
                 gboolean (*match) (GtkWidget *, gconstpointer),
                 gconstpointer data)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (match (child, data))
        return child;
      if ((found = app_find_widget (child, match, data)) != NULL)
        return found;
    }
  return NULL;
}

static inline gboolean
app_is_button (GtkWidget *widget, gconstpointer label)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

/* A button that runs the action @action ("customers.sell"). */
static inline gboolean
app_is_action_button (GtkWidget *widget, gconstpointer action)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

/* The button labelled @label under @widget (its mnemonic text as given). */
static inline GtkWidget *
app_find_button (GtkWidget *widget, const char *label)
{
  return app_find_widget (widget, app_is_button, label);
}

/* A preferences group titled @title. */
static inline gboolean
app_is_group (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_PREFERENCES_GROUP (widget)
         && g_strcmp0 (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (widget)), title)
                == 0;
}

static inline gboolean
app_is_action_row (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* The action row titled @title under @widget, or NULL. */
static inline AdwActionRow *
app_find_action_row (GtkWidget *widget, const char *title)
{
  return (AdwActionRow *)app_find_widget (widget, app_is_action_row, title);
}

/* Every shown label's text under @widget, one a line, in the order shown. */
static inline void
app_collect_text (GtkWidget *widget, GString *out)
{
  if (!gtk_widget_get_visible (widget))
    return;
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    app_collect_text (child, out);
}

/* Activates what @accel does in @window, as pressing it would when no
 * widget inside takes the key (the window's own shortcuts). */
static inline gboolean
app_press (GtkWidget *window, const char *accel)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (window);
  g_autoptr (GtkShortcutTrigger) trigger = gtk_shortcut_trigger_parse_string (accel);

  g_assert_nonnull (trigger);
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), trigger))
            return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut), 0, window,
                                                 gtk_shortcut_get_arguments (shortcut));
        }
    }
  return FALSE;
}

static inline gboolean
app_is_label (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

/* The label reading @text under @widget (a toast's title too), or NULL. */
static inline GtkWidget *
app_find_label (GtkWidget *widget, const char *text)
{
  return app_find_widget (widget, app_is_label, text);
}

/* The toggle labelled @label in the row titled @title (the conflict
 * dialog's "Yours" and "Theirs" of a field). */
static inline GtkToggleButton *
app_find_toggle (GtkWidget *widget, const char *title, const char *label, gboolean in_row)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      gboolean         here = in_row;
      GtkToggleButton *found;

      if (ADW_IS_ACTION_ROW (child))
        here = g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0;
      if (here && GTK_IS_TOGGLE_BUTTON (child)
          && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
        return GTK_TOGGLE_BUTTON (child);
      if ((found = app_find_toggle (child, title, label, here)) != NULL)
        return found;
    }
  return NULL;
}

static inline gboolean
app_widget_drawn (gpointer widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0
         && gtk_widget_get_height (widget) > 0;
}

/* Saves a PNG of @widget as a test artifact under the build directory,
 * once it is shown (a window just presented is mapped a little later,
 * later still under a sanitizer). */
static inline void
app_save_png (GtkWidget *widget, const char *name)
{
  const char      *dir = g_getenv ("SKIDKA_ARTIFACT_DIR");
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_build_filename (dir ? dir : ".", file, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (app_wait (app_widget_drawn, widget, 10000));
  sk_widget_save_png (widget, path, &error);
  g_assert_no_error (error);
  g_test_message ("saved %s", path);
}
