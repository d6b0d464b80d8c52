/* sk-window.c: the main window: view switcher, first run (demo data or an
 * empty store), role-based visibility of the views.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-campaigns-view.h"
#include "sk-charts-view.h"
#include "sk-checkout-view.h"
#include "sk-customers-view.h"
#include "sk-demo.h"
#include "sk-refund-window.h"
#include "sk-rules-view.h"
#include "sk-sync-status.h"
#include "sk-widgets.h"
#include "sk-window.h"

struct _SkWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay      *toast_overlay;
  AdwHeaderBar         *header_bar;
  AdwViewSwitcherTitle *switcher_title;
  GtkStack             *main_stack;
  AdwViewStack         *stack;
  AdwViewStackPage     *checkout_page;
  AdwViewStackPage     *customers_page;
  AdwViewStackPage     *rules_page;
  AdwViewStackPage     *campaigns_page;
  AdwViewStackPage     *charts_page;
  GtkWidget            *checkout_view;
  GtkWidget            *customers_view;
  GtkProgressBar       *demo_progress;
  GtkWidget            *demo_button;
  GtkWidget            *connect_button;
  GtkWidget            *switcher_bar;

  SkApplication *app;
  GCancellable  *cancellable;
  guint          pulse_id;
  gboolean       empty; /* no store in the file yet */
};

G_DEFINE_FINAL_TYPE (SkWindow, sk_window, ADW_TYPE_APPLICATION_WINDOW)

void
sk_window_add_toast (SkWindow *self, const char *message)
{
  g_return_if_fail (SK_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
show_main (SkWindow *self, const char *page)
{
  gboolean views = g_str_equal (page, "views");

  gtk_stack_set_visible_child_name (self->main_stack, page);
  /* The first-run page has no views to switch between, at the top or, on
   * a narrow window, at the bottom. Return takes the highlighted offer,
   * connecting: a stray Return must not load a demo chain into a till
   * that is to join a real one. */
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, views);
  gtk_widget_set_visible (self->switcher_bar, views);
  if (!views && gtk_widget_get_visible (self->connect_button))
    gtk_widget_grab_focus (self->connect_button);
}

/* The views a till seldom opens are built when first shown or asked for:
 * until then their page holds an empty AdwBin. A cashier's till is spared
 * their widgets and models (about 2 MB). */
static const struct
{
  const char *name;
  GType (*get_type) (void);
} lazy_views[] = {
  { "rules", sk_rules_view_get_type },
  { "campaigns", sk_campaigns_view_get_type },
  { "charts", sk_charts_view_get_type },
};

/* The view called @name, built now if it was not yet. */
static GtkWidget *
ensure_view (SkWindow *self, const char *name)
{
  GtkWidget *child = adw_view_stack_get_child_by_name (self->stack, name);

  for (guint i = 0; i < G_N_ELEMENTS (lazy_views) && child != NULL; i++)
    if (g_str_equal (name, lazy_views[i].name))
      {
        GtkWidget *view = g_object_get_data (G_OBJECT (child), "view");

        if (view == NULL)
          {
            /* Every page of the stack counts in the window's minimum
             * width, shown or not: a view wider than a phone scrolls
             * sideways in its page instead of holding the window wide. */
            GtkWidget *scroller = gtk_scrolled_window_new ();

            view = g_object_new (lazy_views[i].get_type (), NULL);
            gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                            GTK_POLICY_NEVER);
            gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
            adw_bin_set_child (ADW_BIN (child), scroller);
            g_object_set_data (G_OBJECT (child), "view", view);
          }
        return view;
      }
  return child;
}

/* Shown from the view switcher too. */
static void
visible_child_cb (SkWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->stack);

  if (name != NULL)
    ensure_view (self, name);
}

void
sk_window_show_view (SkWindow *self, const char *name)
{
  g_return_if_fail (SK_IS_WINDOW (self));
  show_main (self, "views");
  adw_view_stack_set_visible_child_name (self->stack, name);
}

GtkWidget *
sk_window_get_view (SkWindow *self, const char *name)
{
  g_return_val_if_fail (SK_IS_WINDOW (self), NULL);
  return ensure_view (self, name);
}

gboolean
sk_window_is_welcome (SkWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "welcome") == 0;
}

static void
apply_role (SkWindow *self)
{
  SkRole      role = sk_application_get_role (self->app);
  const char *visible;

  adw_view_stack_page_set_visible (self->checkout_page, sk_role_can_sell (role));
  adw_view_stack_page_set_visible (self->rules_page, role != SK_ROLE_CASHIER);
  adw_view_stack_page_set_visible (self->campaigns_page, role != SK_ROLE_CASHIER);
  adw_view_stack_page_set_visible (self->charts_page, sk_role_can_see_charts (role));
  /* HQ's desk has no till and no sales to take back: no Return a Sale. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.refund", sk_role_can_sell (role));
  visible = adw_view_stack_get_visible_child_name (self->stack);
  if (visible == NULL
      || !adw_view_stack_page_get_visible (
          adw_view_stack_get_page (self->stack, adw_view_stack_get_visible_child (self->stack))))
    adw_view_stack_set_visible_child_name (self->stack,
                                           sk_role_can_sell (role) ? "checkout" : "customers");
}

static void
role_changed_cb (GSettings *settings, const char *key, SkWindow *self)
{
  apply_role (self);
}

static void
demo_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&self->pulse_id, g_source_remove);
  gtk_widget_set_visible (GTK_WIDGET (self->demo_progress), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.load-demo", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-empty", TRUE);
  /* The repository announced database-changed: the views reload. */
  if (!sk_repository_generate_demo_finish (SK_REPOSITORY (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sk_window_add_toast (self, error->message);
      g_object_unref (self);
      return;
    }
  self->empty = FALSE;
  g_settings_set_boolean (sk_application_get_settings (self->app), "demo-offered", TRUE);
  sk_window_show_view (self, "checkout");
  apply_role (self);
  sk_window_add_toast (self, _ ("Demo data loaded"));
  g_object_unref (self);
}

static gboolean
pulse_cb (gpointer user_data)
{
  SkWindow *self = user_data;

  gtk_progress_bar_pulse (self->demo_progress);
  return G_SOURCE_CONTINUE;
}

static void
load_demo_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkWindow           *self = SK_WINDOW (widget);
  const SkDemoOptions options = { -1, -1, 0, 42 };

  gtk_widget_action_set_enabled (widget, "win.load-demo", FALSE);
  gtk_widget_action_set_enabled (widget, "win.start-empty", FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->demo_progress), TRUE);
  self->pulse_id = g_timeout_add (100, pulse_cb, self);
  sk_repository_generate_demo_async (sk_application_get_repository (self->app), &options, FALSE,
                                     self->cancellable, demo_done, g_object_ref (self));
}

static void
store_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkWindow) self = user_data;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GError) error = NULL;

  store = sk_repository_save_store_finish (SK_REPOSITORY (source), result, &error);
  if (store == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    sk_window_add_toast (self, error->message);
}

static void
start_empty_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkWindow *self = SK_WINDOW (widget);

  if (self->empty)
    {
      g_autoptr (SkStore) store = sk_store_new ();

      /* A till sells in a store: start with one the manager can rename. The
       * views hear of it (stores-changed) when it is saved. */
      g_object_set (store, "code", "main", "name", _ ("Main store"), "timezone", "Europe/Moscow",
                    NULL);
      self->empty = FALSE;
      sk_repository_save_store_async (sk_application_get_repository (self->app), store,
                                      self->cancellable, store_saved_cb, g_object_ref (self));
    }
  g_settings_set_boolean (sk_application_get_settings (self->app), "demo-offered", TRUE);
  sk_window_show_view (self, "checkout");
  apply_role (self);
}

static void
show_view_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkWindow   *self = SK_WINDOW (widget);
  const char *name = g_variant_get_string (param, NULL);
  GtkWidget  *child = adw_view_stack_get_child_by_name (self->stack, name);

  if (sk_window_is_welcome (self) || child == NULL
      || !adw_view_stack_page_get_visible (adw_view_stack_get_page (self->stack, child)))
    return;
  adw_view_stack_set_visible_child (self->stack, child);
  /* The keys go on into the view shown (its search, its list), not into
   * the header's switcher. */
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

    if (focus == NULL || !gtk_widget_is_ancestor (focus, child))
      gtk_widget_child_focus (child, GTK_DIR_TAB_FORWARD);
  }
}

/* Alt+N: the Nth of the views the role has, as the switcher shows them
 * (marketing's Alt+1 is Customers: it has no Checkout). */
static void
show_nth_view_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkWindow *self = SK_WINDOW (widget);
  g_autoptr (GtkSelectionModel) pages = adw_view_stack_get_pages (self->stack);
  guint wanted = g_variant_get_uint32 (param);
  guint shown = 0;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (pages)); i++)
    {
      g_autoptr (AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);

      if (adw_view_stack_page_get_visible (page) && ++shown == wanted)
        {
          gtk_widget_activate_action (widget, "win.show-view", "s",
                                      adw_view_stack_page_get_name (page));
          return;
        }
    }
}

/* Ctrl+R is app.sync-now's; on a till not connected to HQ that action is
 * off and its accelerator silent, so the window says why and offers to
 * connect. */
static void
sync_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkWindow *self = SK_WINDOW (widget);
  AdwToast *toast;

  if (g_action_group_get_action_enabled (G_ACTION_GROUP (self->app), "sync-now"))
    {
      g_action_group_activate_action (G_ACTION_GROUP (self->app), "sync-now", NULL);
      return;
    }
  toast = adw_toast_new (_ ("Not connected: this till works on its own"));
  adw_toast_set_button_label (toast, _ ("_Connect…"));
  adw_toast_set_action_name (toast, "app.connect");
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* The till's keys work wherever the focus is: they bring the checkout
 * forward (when the role may sell) and do what they say there. */
static void
checkout_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkWindow   *self = SK_WINDOW (widget);
  const char *what = g_variant_get_string (param, NULL);
  GtkWidget  *checkout = adw_view_stack_get_child_by_name (self->stack, "checkout");
  const char *shown = adw_view_stack_get_visible_child_name (self->stack);

  /* Ctrl+N in Rules or Campaigns makes a rule or a campaign there: what
   * people mean by "new" in a list of records. A role that may not make
   * one is told so; the sale being rung up stays. */
  if (g_str_equal (what, "new-sale") && !sk_window_is_welcome (self)
      && (g_strcmp0 (shown, "rules") == 0 || g_strcmp0 (shown, "campaigns") == 0))
    {
      g_autofree char *name = g_strconcat (shown, ".new", NULL);

      if (sk_role_can_edit_rules (sk_application_get_role (self->app)))
        gtk_widget_activate_action (ensure_view (self, shown), name, NULL);
      else
        sk_window_add_toast (self, _ ("Rules and campaigns are made at HQ"));
      return;
    }
  if (sk_window_is_welcome (self) || checkout == NULL
      || !adw_view_stack_page_get_visible (adw_view_stack_get_page (self->stack, checkout)))
    return;
  adw_view_stack_set_visible_child (self->stack, checkout);
  /* Not the Pay button's action: F12 pressed while the last scan is being
   * priced pays as soon as it is (see sk_checkout_view_pay). */
  if (g_str_equal (what, "pay"))
    sk_checkout_view_pay (SK_CHECKOUT_VIEW (checkout));
  else if (g_str_equal (what, "new-sale") || g_str_equal (what, "undo-new-sale"))
    {
      g_autofree char *name = g_strconcat ("checkout.", what, NULL);

      gtk_widget_activate_action (checkout, name, NULL);
    }
  else
    gtk_widget_activate_action (checkout, "checkout.focus", "s", what);
}

/* F8 (target ""), or a sale's Return button (its id): a return, of the
 * till's store's sales, by a role that may take one. */
static void
refund_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkWindow        *self = SK_WINDOW (widget);
  const char      *purchase_id = g_variant_get_string (param, NULL);
  g_autofree char *store_id = NULL;

  if (sk_window_is_welcome (self))
    return;
  if (!sk_role_can_refund (sk_application_get_role (self->app)))
    {
      sk_window_add_toast (self, _ ("Returns are taken by the store's manager"));
      return;
    }
  store_id = sk_application_dup_store_id (self->app);
  gtk_window_present (GTK_WINDOW (sk_refund_window_new (
      GTK_WINDOW (self), store_id, *purchase_id != '\0' ? purchase_id : NULL)));
}

/* A barcode scanner types into whatever has focus: while the till is shown,
 * its keys go by the till first. */
static gboolean
key_capture_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                SkWindow              *self)
{
  if (sk_window_is_welcome (self)
      || adw_view_stack_get_visible_child (self->stack) != self->checkout_view)
    return FALSE;
  return sk_checkout_view_route_key (
      SK_CHECKOUT_VIEW (self->checkout_view), keyval, state,
      gtk_event_controller_get_current_event_time (GTK_EVENT_CONTROLLER (controller)));
}

static void
save_window_state (SkWindow *self)
{
  GSettings *settings = sk_application_get_settings (self->app);
  int        width, height;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);
  g_settings_set_boolean (settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
}

static gboolean
sk_window_close_request (GtkWindow *window)
{
  save_window_state (SK_WINDOW (window));
  return GTK_WINDOW_CLASS (sk_window_parent_class)->close_request (window);
}

static void
stores_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkWindow) self = user_data;
  g_autoptr (GPtrArray) stores = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *welcome = gtk_stack_get_child_by_name (self->main_stack, "welcome");
  GSettings *settings = sk_application_get_settings (self->app);

  stores = sk_repository_list_stores_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (welcome, TRUE);
  if (stores == NULL)
    {
      g_warning ("Cannot open the database %s: %s", sk_application_get_db_path (self->app),
                 error->message);
      adw_status_page_set_title (ADW_STATUS_PAGE (welcome), _ ("Cannot open the database"));
      adw_status_page_set_description (ADW_STATUS_PAGE (welcome),
                                       sk_application_get_db_path (self->app));
      gtk_widget_set_visible (self->demo_button, FALSE);
      show_main (self, "welcome");
      return;
    }
  self->empty = stores->len == 0;
  if (self->empty && !g_settings_get_boolean (settings, "demo-offered"))
    show_main (self, "welcome");
  else
    show_main (self, "views");
  apply_role (self);
}

/* The rules changed under the cart: priced again, unless being paid. */
static void
reprice_cb (SkCheckoutView *checkout)
{
  if (!sk_checkout_view_get_paying (checkout))
    sk_checkout_view_recompute (checkout);
}

static void
sync_notice_cb (SkBackgroundSync *sync, const char *message, SkWindow *self)
{
  sk_window_add_toast (self, message);
}

/* HQ's first copy brought the store: the first-run page has done its job. */
static void
stores_changed_cb (SkWindow *self)
{
  if (sk_window_is_welcome (self))
    sk_repository_list_stores_async (sk_application_get_repository (self->app), self->cancellable,
                                     stores_listed_cb, g_object_ref (self));
}

SkWindow *
sk_window_new (SkApplication *app)
{
  SkWindow  *self = g_object_new (SK_TYPE_WINDOW, "application", app, NULL);
  GSettings *settings = sk_application_get_settings (app);

  self->app = app;
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (settings, "window-width"),
                               g_settings_get_int (settings, "window-height"));
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_signal_connect_object (settings, "changed::role", G_CALLBACK (role_changed_cb), self, 0);
  /* Sync: its state in the header bar, HQ's news in toasts, HQ's rules in
   * the cart being priced. */
  adw_header_bar_pack_start (self->header_bar, sk_sync_status_new (sk_application_get_sync (app)));
  g_signal_connect_object (sk_application_get_sync (app), "notice", G_CALLBACK (sync_notice_cb),
                           self, 0);
  g_signal_connect_object (sk_application_get_repository (app), "stores-changed",
                           G_CALLBACK (stores_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sk_application_get_repository (app), "database-changed",
                           G_CALLBACK (stores_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (sk_application_get_repository (app), "rules-changed",
                           G_CALLBACK (reprice_cb), self->checkout_view, G_CONNECT_SWAPPED);
  g_signal_connect_object (sk_application_get_repository (app), "campaigns-changed",
                           G_CALLBACK (reprice_cb), self->checkout_view, G_CONNECT_SWAPPED);

  /* The first question to the file opens it: until the answer the
   * first-run page stays, inert. */
  gtk_widget_set_sensitive (gtk_stack_get_child_by_name (self->main_stack, "welcome"), FALSE);
  sk_repository_list_stores_async (sk_application_get_repository (app), self->cancellable,
                                   stores_listed_cb, g_object_ref (self));
  apply_role (self);
  return self;
}

static void
sk_window_dispose (GObject *object)
{
  SkWindow *self = SK_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->pulse_id, g_source_remove);
  G_OBJECT_CLASS (sk_window_parent_class)->dispose (object);
}

static void
sk_window_finalize (GObject *object)
{
  SkWindow *self = SK_WINDOW (object);

  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (sk_window_parent_class)->finalize (object);
}

static void
sk_window_class_init (SkWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = sk_window_dispose;
  object_class->finalize = sk_window_finalize;
  window_class->close_request = sk_window_close_request;

  g_type_ensure (SK_TYPE_CHECKOUT_VIEW);
  g_type_ensure (SK_TYPE_CUSTOMERS_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/skidka/Skidka/sk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SkWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, checkout_page);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, customers_page);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, rules_page);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, campaigns_page);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, charts_page);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, checkout_view);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, customers_view);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, demo_progress);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, demo_button);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, connect_button);
  gtk_widget_class_bind_template_child (widget_class, SkWindow, switcher_bar);

  gtk_widget_class_install_action (widget_class, "win.load-demo", NULL, load_demo_action);
  gtk_widget_class_install_action (widget_class, "win.start-empty", NULL, start_empty_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.show-nth-view", "u", show_nth_view_action);
  gtk_widget_class_install_action (widget_class, "win.checkout", "s", checkout_action);
  gtk_widget_class_install_action (widget_class, "win.sync", NULL, sync_action);
  gtk_widget_class_install_action (widget_class, "win.refund", "s", refund_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F8, 0, "win.refund", "s", "");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.sync", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "win.checkout", "s",
                                       "customer");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F3, 0, "win.checkout", "s", "sku");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F4, 0, "win.checkout", "s", "bonus");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F4, GDK_SHIFT_MASK, "win.checkout",
                                       "s", "spend-max");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F12, 0, "win.checkout", "s", "pay");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.checkout",
                                       "s", "new-sale");
  for (guint i = 0; i < 5; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.show-nth-view", "u", i + 1);
}

static void
sk_window_init (SkWindow *self)
{
  /* AdwApplication loads style.css from the resource base path. */
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Shown on the first run only. */
  sk_status_page_defer_icon (
      ADW_STATUS_PAGE (gtk_stack_get_child_by_name (self->main_stack, "welcome")));
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->stack, "notify::visible-child", G_CALLBACK (visible_child_cb),
                           self, G_CONNECT_SWAPPED);
  {
    GtkEventController *keys = gtk_event_controller_key_new ();

    gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
    g_signal_connect (keys, "key-pressed", G_CALLBACK (key_capture_cb), self);
    gtk_widget_add_controller (GTK_WIDGET (self), keys);
  }
}
