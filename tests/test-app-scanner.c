/* test-app-scanner.c: the till driven as a barcode scanner drives it: real
 * key events (XTEST, through xdotool) a few milliseconds apart, ending in
 * Enter, into whatever has focus. A full sale by scans only, the next sale
 * started while the receipt shows, a scan into a quantity cell, F4 500 F12,
 * a failed scan then a good one; the total and Pay on screen at 1366x768
 * and at 360 px; screenshots of both.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "sk-campaign-editor.h"
#include "sk-checkout-view-private.h"
#include "sk-customer-editor.h"
#include "sk-customer-list-model.h"
#include "sk-database-private.h"
#include "sk-entry-dialog.h"
#include "sk-model-private.h"
#include "sk-rule-editor.h"
#include "sk-test-util.h"
#include "test-app-common.h"

/* xdotool's name of the key that types @c. */
static const char *
keysym_of (char c, char buf[2])
{
  switch (c)
    {
    case '-':
      return "minus";
    case '+':
      return "plus";
    case ' ':
      return "space";
    case '*':
      return "KP_Multiply";
    default:
      buf[0] = c;
      buf[1] = '\0';
      return buf;
    }
}

static gboolean
child_exited (gpointer data)
{
  return *(gboolean *)data;
}

static void
xdotool_exited (GPid pid, int status, gpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  *(gboolean *)data = TRUE;
  g_spawn_close_pid (pid);
}

/* Types @keys into @window's X focus, @delay_ms apart: each item is
 * either a key name ("Return", "F4") or, when it starts with '=', text typed
 * character by character. The main loop runs meanwhile and a while after. */
static void
send_keys_to (GtkWindow *window, guint delay_ms, const char *const *keys)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  gboolean done = FALSE;
  GPid     pid;

  g_ptr_array_add (argv, g_strdup ("xdotool"));
  g_ptr_array_add (argv, g_strdup ("windowfocus"));
  g_ptr_array_add (argv, g_strdup ("--sync"));
  g_ptr_array_add (argv, g_strdup_printf ("%lu", (gulong)gdk_x11_surface_get_xid (surface)));
  g_ptr_array_add (argv, g_strdup ("key"));
  g_ptr_array_add (argv, g_strdup ("--delay"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", delay_ms));
  for (guint i = 0; keys[i] != NULL; i++)
    {
      if (keys[i][0] != '=')
        {
          g_ptr_array_add (argv, g_strdup (keys[i]));
          continue;
        }
      for (const char *p = keys[i] + 1; *p != '\0'; p++)
        {
          char buf[2];

          g_ptr_array_add (argv, g_strdup (keysym_of (*p, buf)));
        }
    }
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_async (NULL, (char **)argv->pdata, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                &error));
  g_assert_no_error (error);
  g_child_watch_add (pid, xdotool_exited, &done);
  g_assert_true (app_wait (child_exited, &done, 30000));
  app_pump (150);
}

static void
send_keys (AppFixture *f, guint delay_ms, const char *const *keys)
{
  send_keys_to (GTK_WINDOW (f->window), delay_ms, keys);
}

/* A scanner: the code's characters 3 ms apart, then Enter. */
static void
scan (AppFixture *f, const char *code)
{
  g_autofree char *text = g_strconcat ("=", code, NULL);
  const char      *keys[] = { text, "Return", NULL };

  send_keys (f, 3, keys);
}

static gboolean
have_xdotool (void)
{
  g_autofree char *path = g_find_program_in_path ("xdotool");

  if (path == NULL)
    g_test_skip ("xdotool not found (scripts/install-deps.sh installs it)");
  return path != NULL;
}

static SkCheckoutView *
show_checkout (AppFixture *f)
{
  SkCheckoutView *view;

  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  return view;
}

static gboolean
sale_done (gpointer view)
{
  return !sk_checkout_view_get_paying (view) && !sk_checkout_view_get_calculating (view);
}

static gboolean
scan_refused (gpointer view)
{
  return gtk_widget_get_visible (GTK_WIDGET (SK_CHECKOUT_VIEW (view)->scan_message));
}

static SkCustomer *
customer_with_card (SkDatabase *db, gint64 min_balance)
{
  g_autoptr (GPtrArray) all = sk_database_search_customers (db, "", NULL, 1000, NULL, NULL);

  for (guint i = 0; i < all->len; i++)
    {
      SkCustomer *c = g_ptr_array_index (all, i);

      if (c->card_number != NULL && c->bonus_balance >= min_balance)
        return g_object_ref (c);
    }
  return NULL;
}

static gint64
line_quantity (SkCheckoutView *view, guint position)
{
  g_autoptr (SkPurchaseLine) line
      = g_list_model_get_item (sk_sale_get_lines (view->sale), position);
  gint64 quantity = 0;

  g_object_get (line, "quantity", &quantity, NULL);
  return quantity;
}

static SkProduct *
product (SkDatabase *db, guint i)
{
  g_autoptr (GPtrArray) products = sk_database_list_products (db, NULL);

  g_assert_cmpuint (products->len, >, i);
  return g_object_ref (g_ptr_array_index (products, i));
}

static gboolean
no_dialog (gpointer data)
{
  return app_find_dialog () == NULL;
}

/* A quantity typed before the scan, as tills take it: "3*" then the item
 * sells three more of it; "*5" makes the last line five; a quantity that
 * looks like a mis-scan asks first, Return keeping the line as it was. */
static void
test_quantity_typed (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkProduct) a = product (f->db, 0);
  g_autoptr (SkProduct) b = product (f->db, 1);
  g_autofree char *three = g_strconcat ("=3*", a->sku, NULL);
  SkCheckoutView  *view;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  send_keys (f, 30, (const char *[]){ "=3*", NULL });
  scan (f, a->sku);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  g_assert_cmpint (line_quantity (view, 0), ==, 3);
  /* Three more, typed at once. */
  send_keys (f, 3, (const char *[]){ three, "Return", NULL });
  g_assert_cmpint (line_quantity (view, 0), ==, 6);
  scan (f, b->sku);
  send_keys (f, 30, (const char *[]){ "=*5", "Return", NULL });
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 2);
  g_assert_cmpint (line_quantity (view, 0), ==, 6);
  g_assert_cmpint (line_quantity (view, 1), ==, 5);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
  /* A quantity to ask about; a barcode's digits are none. */
  send_keys (f, 30, (const char *[]){ "=*400", "Return", NULL });
  g_assert_true (app_wait (app_dialog_shown, NULL, 5000));
  app_pump (300);
  send_keys_to (GTK_WINDOW (app_find_dialog ()), 30, (const char *[]){ "Return", NULL });
  g_assert_true (app_wait (no_dialog, NULL, 5000));
  g_assert_cmpint (line_quantity (view, 1), ==, 5);
  send_keys (f, 3, (const char *[]){ "=*4607000000014", "Return", NULL });
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  g_assert_cmpint (line_quantity (view, 1), ==, 5);
  /* Nothing to sell it of: said, nothing changes; nor with no item after
   * the quantity. */
  send_keys (f, 30, (const char *[]){ "=2*NOSUCH", "Return", NULL });
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  g_assert_nonnull (strstr (gtk_label_get_text (view->scan_message), "NOSUCH"));
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 2);
  send_keys (f, 30, (const char *[]){ "=2*", "Return", NULL });
  g_assert_cmpstr (gtk_label_get_text (view->scan_message), ==,
                   "Scan the item after the quantity, as 3* then the item");
  g_assert_cmpint (line_quantity (view, 1), ==, 5);

  /* Its line at another price (HQ changed it since): the new ones go on a
   * line at today's price, the other line as it was. */
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.new-sale", NULL);
  sk_checkout_view_add_line (view, a->sku, a->name, a->category, a->price + 100, 1);
  send_keys (f, 3, (const char *[]){ three, "Return", NULL });
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 2);
  g_assert_cmpint (line_quantity (view, 0), ==, 1);
  g_assert_cmpint (line_quantity (view, 1), ==, 3);
}

/* The card, three items, the first again, F12; the receipt shows in the
 * panel, and the next scan starts the next sale. Nothing but keys. */
/* Ctrl+N with a full cart: the cart goes, a toast says so, and Undo (its
 * button's action) brings back the lines, their quantities and the
 * customer. */
static void
test_new_sale_undo (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_card (f->db, 0);
  g_autoptr (SkProduct) a = product (f->db, 0);
  g_autoptr (SkProduct) b = product (f->db, 1);
  const char     *ctrl_n[] = { "ctrl+n", NULL };
  SkCheckoutView *view;
  GtkWidget      *undo;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
  scan (f, customer->card_number);
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  scan (f, a->sku);
  scan (f, a->sku);
  scan (f, b->sku);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 2);

  send_keys (f, 3, ctrl_n);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 0);
  g_assert_null (sk_checkout_view_get_customer (view));
  g_assert_nonnull (app_find_label (GTK_WIDGET (f->window), "The sale was cleared"));
  /* The toast's own button, as the cashier clicks it. */
  undo = app_find_button (GTK_WIDGET (f->window), "_Undo");
  g_assert_nonnull (undo);
  g_assert_true (gtk_widget_is_sensitive (undo));
  g_signal_emit_by_name (undo, "clicked");
  app_pump (100);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 2);
  g_assert_cmpint (line_quantity (view, 0), ==, 2);
  g_assert_cmpint (line_quantity (view, 1), ==, 1);
  g_assert_nonnull (sk_checkout_view_get_customer (view));
  g_assert_cmpstr (sk_record_get_id (sk_checkout_view_get_customer (view)), ==, customer->id);
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, 2 * a->price + b->price);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
  /* Once only: a second Undo adds nothing. */
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.undo-new-sale", NULL);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 2);
  g_assert_cmpint (line_quantity (view, 0), ==, 2);

  /* Undo into a cart rung up since: refused, said by the scan field. */
  send_keys (f, 3, ctrl_n);
  scan (f, b->sku);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.undo-new-sale", NULL);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  g_assert_cmpstr (gtk_label_get_text (view->scan_message), ==,
                   "The cleared sale comes back only into an empty cart");

  /* An empty cart cleared leaves nothing to undo. */
  send_keys (f, 3, ctrl_n);
  send_keys (f, 3, ctrl_n);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.undo-new-sale", NULL);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 0);
}

static gboolean
rule_editor_shown (gpointer f)
{
  return app_find_window (f, SK_TYPE_RULE_EDITOR) != NULL;
}

static gboolean
campaign_editor_shown (gpointer f)
{
  return app_find_window (f, SK_TYPE_CAMPAIGN_EDITOR) != NULL;
}

/* Ctrl+N in Rules is a new rule and in Campaigns a new campaign; the sale
 * being rung up stays. A role that may not edit them is told so. */
static void
test_ctrl_n_in_lists (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkProduct) a = product (f->db, 0);
  const char     *ctrl_n[] = { "ctrl+n", NULL };
  SkCheckoutView *view;
  GtkWindow      *editor;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  scan (f, a->sku);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);

  sk_window_show_view (f->window, "rules");
  app_pump (300);
  send_keys (f, 3, ctrl_n);
  g_assert_true (app_wait (rule_editor_shown, f, 10000));
  editor = app_find_window (f, SK_TYPE_RULE_EDITOR);
  g_assert_cmpstr (gtk_window_get_title (editor), ==, "New Rule");
  gtk_window_destroy (editor);
  app_pump (100);
  g_assert_true (gtk_widget_get_mapped (sk_window_get_view (f->window, "rules")));

  sk_window_show_view (f->window, "campaigns");
  app_pump (300);
  send_keys (f, 3, ctrl_n);
  g_assert_true (app_wait (campaign_editor_shown, f, 10000));
  gtk_window_destroy (app_find_window (f, SK_TYPE_CAMPAIGN_EDITOR));
  app_pump (100);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);

  /* A manager sees the rules but may not make one: told so, the sale stays. */
  g_settings_set_string (sk_application_get_settings (f->app), "role", "manager");
  app_pump (200);
  sk_window_show_view (f->window, "rules");
  app_pump (300);
  send_keys (f, 3, ctrl_n);
  app_pump (200);
  g_assert_false (rule_editor_shown (f));
  g_assert_true (gtk_widget_get_mapped (sk_window_get_view (f->window, "rules")));
  g_assert_nonnull (app_find_label (GTK_WIDGET (f->window), "Rules and campaigns are made at HQ"));
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
}

static void
test_sale_by_scans (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_card (f->db, 0);
  g_autoptr (SkProduct) a = product (f->db, 0);
  g_autoptr (SkProduct) b = product (f->db, 1);
  g_autoptr (SkProduct) c = product (f->db, 2);
  g_autoptr (SkProduct) d = product (f->db, 3);
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (SkPurchase) stored = NULL;
  const char     *f12[] = { "F12", NULL };
  SkCheckoutView *view;

  if (!have_xdotool ())
    return;
  g_assert_nonnull (customer);
  before = sk_database_list_purchases (f->db, customer->id, 10000, NULL);
  view = show_checkout (f);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));

  scan (f, customer->card_number);
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  g_assert_cmpstr (sk_record_get_id (sk_checkout_view_get_customer (view)), ==, customer->id);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (view->scan_entry)), ==, "");

  scan (f, a->sku);
  scan (f, b->sku);
  /* Focus left on a button: the scanner's keys still reach the scan field. */
  gtk_widget_grab_focus (view->register_button);
  scan (f, c->sku);
  scan (f, a->sku);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 3);
  g_assert_cmpint (line_quantity (view, 0), ==, 2);
  g_assert_cmpint (line_quantity (view, 1), ==, 1);
  g_assert_cmpint (line_quantity (view, 2), ==, 1);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));

  send_keys (f, 3, f12);
  g_assert_true (app_wait (sale_done, view, 30000));
  app_pump (100);
  g_assert_nonnull (sk_checkout_view_get_last_purchase (view));
  g_assert_true (sk_checkout_view_get_receipt_shown (view));
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
  g_assert_nonnull (strstr (gtk_label_get_text (view->receipt_label), a->name));
  after = sk_database_list_purchases (f->db, customer->id, 10000, NULL);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  stored = sk_database_get_purchase (
      f->db, sk_record_get_id (sk_checkout_view_get_last_purchase (view)), NULL);
  g_assert_nonnull (stored);
  g_assert_cmpint (stored->subtotal, ==, 2 * a->price + b->price + c->price);
  g_assert_cmpuint (g_list_model_get_n_items (sk_purchase_get_lines (stored)), ==, 3);
  g_assert_cmpstr (stored->customer_id, ==, customer->id);

  /* The receipt blocks nothing: the next scan is the next sale's. */
  scan (f, d->sku);
  g_assert_false (sk_checkout_view_get_receipt_shown (view));
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  g_assert_null (sk_checkout_view_get_customer (view));
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, d->price);
}

/* The first GtkSpinButton under @root (a cart line's quantity). */
static GtkWidget *
find_spin (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_SPIN_BUTTON (child) && gtk_widget_get_mapped (child))
        return child;
      if ((found = find_spin (child)) != NULL)
        return found;
    }
  return NULL;
}

/* A card scanned while a quantity cell has focus picks the customer and
 * leaves the quantity alone; a quantity above 99 typed there asks first. */
static gboolean
has_two_lines (gpointer view)
{
  return sk_checkout_view_get_n_lines (view) == 2;
}

static void
test_scan_into_quantity (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_card (f->db, 0);
  g_autoptr (SkProduct) a = product (f->db, 0);
  g_autoptr (SkProduct) b = product (f->db, 1);
  const char       *typed[] = { "=150", "Return", NULL };
  SkCheckoutView   *view;
  GtkWidget        *spin;
  AdwMessageDialog *dialog;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  scan (f, a->sku);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  app_pump (200);
  spin = find_spin (GTK_WIDGET (view->cart_view));
  g_assert_nonnull (spin);
  gtk_widget_grab_focus (spin);
  g_assert_true (app_focus_within (f, spin));

  scan (f, customer->card_number);
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  g_assert_cmpint (line_quantity (view, 0), ==, 1);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (spin)), ==, 1);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, a->price);

  /* A product code with capitals, for each of which the scanner presses
   * Shift: the product is added and the quantity keeps. */
  g_assert_true (g_ascii_isupper (b->sku[0]));
  gtk_widget_grab_focus (spin);
  g_assert_true (app_focus_within (f, spin));
  scan (f, b->sku);
  g_assert_true (app_wait (has_two_lines, view, 10000));
  g_assert_cmpint (line_quantity (view, 0), ==, 1);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  spin = find_spin (GTK_WIDGET (view->cart_view));

  /* Typed by hand (too short for a scan): 150 asks before it sells. */
  gtk_widget_grab_focus (spin);
  send_keys (f, 3, typed);
  dialog = app_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpint (line_quantity (view, 0), ==, 1);
  adw_message_dialog_response (dialog, "set");
  app_pump (100);
  g_assert_cmpint (line_quantity (view, 0), ==, 150);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
}

/* F4, 500, F12 without Enter: 500 ₽ of bonuses spent. */
static void
test_bonus_then_pay (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_card (f->db, 0);
  g_autoptr (SkCustomer) fresh = NULL;
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (GError) error = NULL;
  const char     *keys[] = { "F4", "=500", "F12", NULL };
  SkCheckoutView *view;
  SkPurchase     *purchase;

  if (!have_xdotool ())
    return;
  /* Enough bonuses to spend 500 ₽. */
  tx = sk_database_bonus_manual (f->db, customer->id, "adjust", 100000, "test", NULL, &error);
  g_assert_no_error (error);
  view = show_checkout (f);
  scan (f, customer->card_number);
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  app_pump (200);
  sk_checkout_view_add_line (view, NULL, "Stroller", "strollers", 1500000, 1);
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  g_assert_cmpint (sk_checkout_view_get_bonus_cap (view), >=, 50000);
  /* The panel is as wide as its figures, not as its longest note (the
   * Russian one took the cart's room, names and prices cut). */
  adw_action_row_set_subtitle (view->spend_row,
                               "A bonus note as long as a translation may make it, and then some "
                               "more words so that it would want the whole width of the window");
  app_pump (300);
  g_test_message ("the panel: %d px", gtk_widget_get_width (GTK_WIDGET (view->panel_stack)));
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (view->panel_stack)), <=, 440);

  send_keys (f, 3, keys);
  g_assert_true (app_wait (sale_done, view, 30000));
  purchase = sk_checkout_view_get_last_purchase (view);
  g_assert_nonnull (purchase);
  g_assert_cmpint (purchase->bonus_spent, ==, 50000);
  fresh = sk_database_get_customer (f->db, customer->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fresh->bonus_balance, ==,
                   customer->bonus_balance + 100000 - 50000 + purchase->bonus_earned);
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));
}

static gboolean
bonus_spent_is (gpointer data)
{
  return sk_checkout_view_get_bonus_spend (((gpointer *)data)[0])
         == *(gint64 *)((gpointer *)data)[1];
}

/* F4 and more than the card may pay: said, and the most it may is spent. */
static void
test_bonus_too_much (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_card (f->db, 1000);
  g_autofree char *typed = NULL;
  g_autofree char *most = NULL;
  g_autofree char *expected = NULL;
  SkCheckoutView  *view;
  gint64           cap;
  gpointer         wait[2];
  const char      *keys[] = { "F4", NULL, "Return", NULL };

  if (!have_xdotool ())
    return;
  g_assert_nonnull (customer);
  view = show_checkout (f);
  scan (f, customer->card_number);
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  sk_checkout_view_add_line (view, NULL, "Stroller", "strollers", 1500000, 1);
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  cap = sk_checkout_view_get_bonus_cap (view);
  g_assert_cmpint (cap, >, 0);
  typed = g_strdup_printf ("=%" G_GINT64_FORMAT, cap / 100 + 1000);
  keys[1] = typed;
  send_keys (f, 3, keys);
  wait[0] = view;
  wait[1] = &cap;
  g_assert_true (app_wait (bonus_spent_is, wait, 10000));
  most = sk_money_format (cap);
  expected = g_strdup_printf ("At most %s can be paid with bonuses", most);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  g_assert_cmpstr (gtk_label_get_text (view->scan_message), ==, expected);
}

/* A code nobody knows: said next to the field, the field emptied; the next
 * scan is read on its own. */
#define UNKNOWN_PHONE "89001112233"

/* The lookup of UNKNOWN_PHONE came back with nobody. */
static gboolean
nobody_with_phone (gpointer view)
{
  SkCheckoutView *self = view;

  return gtk_widget_get_visible (GTK_WIDGET (self->scan_message))
         && strstr (gtk_label_get_text (self->scan_message), UNKNOWN_PHONE) != NULL;
}

static gboolean
is_entry_row_titled (GtkWidget *widget, gconstpointer title)
{
  return ADW_IS_ENTRY_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static void
test_failed_then_good (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkProduct) a = product (f->db, 0);
  SkCheckoutView *view;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  scan (f, "XXX-999");
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 0);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  g_assert_nonnull (strstr (gtk_label_get_text (view->scan_message), "XXX-999"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (view->scan_message), "error"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (view->scan_entry)), ==, "");

  scan (f, a->sku);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  /* The field is not left red by the failed scan. */
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (view->scan_entry), "error"));

  /* A card number with a wrong check digit is a misread, not a lookup. */
  scan (f, "2700000000001");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  g_assert_null (sk_checkout_view_get_customer (view));

  /* A phone nobody has: the message says how to register its owner, and
   * registering starts from it. */
  scan (f, UNKNOWN_PHONE);
  g_assert_true (app_wait (nobody_with_phone, view, 10000));
  g_assert_cmpstr (gtk_label_get_text (view->scan_message), ==,
                   "No customer with the phone “" UNKNOWN_PHONE
                   "”: the button beside registers one with it");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (view), "checkout.register", NULL));
  app_pump (300);
  {
    GtkWidget   *editor = GTK_WIDGET (app_find_window (f, SK_TYPE_CUSTOMER_EDITOR));
    GtkEditable *phone;

    g_assert_nonnull (editor);
    phone = GTK_EDITABLE (app_find_widget (editor, is_entry_row_titled, "Phone (+7…)"));
    g_assert_nonnull (phone);
    g_assert_cmpstr (gtk_editable_get_text (phone), ==, UNKNOWN_PHONE);
    gtk_window_destroy (GTK_WINDOW (editor));
  }
}

typedef struct
{
  SkCustomersView *view;
  const char      *id;
} Shown;

static gboolean
customer_shown (gpointer data)
{
  Shown      *shown = data;
  SkCustomer *c = sk_customers_view_get_customer (shown->view);

  return !sk_customers_view_get_loading_details (shown->view) && c != NULL
         && g_strcmp0 (sk_record_get_id (c), shown->id) == 0;
}

/* The first two customers of @all with a card. */
static void
two_with_cards (GPtrArray *all, SkCustomer **first, SkCustomer **second)
{
  *first = *second = NULL;
  for (guint i = 0; i < all->len && *second == NULL; i++)
    {
      SkCustomer *c = g_ptr_array_index (all, i);

      if (c->card_number == NULL)
        continue;
      if (*first == NULL)
        *first = c;
      else
        *second = c;
    }
  g_assert_nonnull (*second);
}

/* A card scanned into the customers' search opens its customer, and the
 * search keeps the focus for the next card. */
static void
test_customers_search (AppFixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = sk_database_search_customers (f->db, "", NULL, 1000, NULL, NULL);
  SkCustomer      *first, *second;
  SkCustomersView *view;
  GtkWidget       *search;

  if (!have_xdotool ())
    return;
  two_with_cards (all, &first, &second);
  sk_window_show_view (f->window, "customers");
  app_pump (300);
  view = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
  gtk_widget_activate_action (GTK_WIDGET (view), "customers.focus-search", NULL);
  app_pump (100);
  search = gtk_root_get_focus (GTK_ROOT (f->window));
  g_assert_nonnull (search);

  scan (f, first->card_number);
  g_assert_true (app_wait (customer_shown, &(Shown){ view, first->id }, 10000));
  g_assert_true (gtk_root_get_focus (GTK_ROOT (f->window)) == search);

  /* The next card replaces what was typed (select all, as a scanner
   * user does) and opens the next customer. */
  {
    const char *select_all[] = { "ctrl+a", NULL };

    send_keys (f, 3, select_all);
  }
  scan (f, second->card_number);
  g_assert_true (app_wait (customer_shown, &(Shown){ view, second->id }, 10000));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (search)), ==, second->card_number);

  /* Ctrl+F, the focus in the search already, selects what it holds: the
   * next card replaces it. */
  {
    const char *find[] = { "ctrl+f", NULL };

    send_keys (f, 3, find);
  }
  scan (f, first->card_number);
  g_assert_true (app_wait (customer_shown, &(Shown){ view, first->id }, 10000));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (search)), ==, first->card_number);
}

static gboolean
line_added (gpointer view)
{
  return sk_checkout_view_get_n_lines (view) == 1;
}

static gboolean
product_known (gpointer view)
{
  return _sk_checkout_view_find_product (view, "4601234567893") != NULL;
}

/* A code the till does not know becomes a product by hand, sold at once;
 * scanned again, it is that product. */
static gboolean
is_drop_down (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_DROP_DOWN (widget);
}

static void
test_new_product (AppFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) products = NULL;
  SkCheckoutView   *view;
  AdwMessageDialog *dialog;
  SkProduct        *added = NULL;
  GtkDropDown      *choice;
  g_autofree char  *category = NULL;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  scan (f, "4601234567893");
  g_assert_true (app_wait (scan_refused, view, 10000));
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 0);

  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.new-product", NULL);
  dialog = app_find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_cmpstr (sk_entry_dialog_get_text (dialog, 0), ==, "4601234567893");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "apply"));
  gtk_editable_set_text (sk_entry_dialog_get_entry (dialog, 1), "Юла");
  /* The category is chosen from the store's, by name (there is no field
   * to type one that no rule knows). */
  choice = GTK_DROP_DOWN (app_find_widget (GTK_WIDGET (dialog), is_drop_down, NULL));
  g_assert_nonnull (choice);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (choice)));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (sk_entry_dialog_get_entry (dialog, 2))));
  /* "No category", then the store's. */
  g_assert_cmpint (
      g_list_model_get_n_items (gtk_drop_down_get_model (choice)), ==,
      1 + sk_test_query_int (f->db, "SELECT count(DISTINCT category) FROM products", NULL));
  gtk_drop_down_set_selected (choice, 1);
  category = g_strdup (gtk_string_object_get_string (gtk_drop_down_get_selected_item (choice)));
  g_assert_cmpstr (sk_entry_dialog_get_text (dialog, 2), ==, category);
  gtk_editable_set_text (sk_entry_dialog_get_entry (dialog, 3), "abc");
  g_assert_nonnull (sk_entry_dialog_get_error (dialog));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "apply"));
  gtk_editable_set_text (sk_entry_dialog_get_entry (dialog, 3), "350");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "apply"));
  adw_message_dialog_response (dialog, "apply");
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (app_wait (line_added, view, 10000));

  products = sk_database_list_products (f->db, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < products->len; i++)
    if (g_strcmp0 (((SkProduct *)g_ptr_array_index (products, i))->sku, "4601234567893") == 0)
      added = g_ptr_array_index (products, i);
  g_assert_nonnull (added);
  g_assert_cmpstr (added->name, ==, "Юла");
  g_assert_cmpstr (added->category, ==, category);
  g_assert_cmpint (added->price, ==, 35000);
  g_assert_cmpstr (added->barcode, ==, "4601234567893");

  g_assert_true (app_wait (product_known, view, 10000));
  scan (f, "4601234567893");
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  g_assert_cmpint (line_quantity (view, 0), ==, 2);
}

static gboolean
customer_is (gpointer data)
{
  SkCheckoutView *view = ((gpointer *)data)[0];
  SkCustomer     *customer = sk_checkout_view_get_customer (view);

  return customer != NULL && g_str_equal (sk_record_get_id (customer), ((gpointer *)data)[1]);
}

/* A second card in the middle of a sale: the sale is the second
 * customer's, and the cashier is told whose it was. */
static void
test_second_card (AppFixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = sk_database_search_customers (f->db, "", NULL, 1000, NULL, NULL);
  g_autofree char *expected = NULL;
  SkCustomer      *first, *second;
  SkCheckoutView  *view;
  gpointer         wait[2];

  if (!have_xdotool ())
    return;
  two_with_cards (all, &first, &second);
  view = show_checkout (f);
  scan (f, first->card_number);
  wait[0] = view;
  wait[1] = first->id;
  g_assert_true (app_wait (customer_is, wait, 10000));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  scan (f, second->card_number);
  wait[1] = second->id;
  g_assert_true (app_wait (customer_is, wait, 10000));
  expected
      = g_strdup_printf ("Customer changed to %s (was %s)", second->full_name, first->full_name);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (view->scan_message)));
  g_assert_cmpstr (gtk_label_get_text (view->scan_message), ==, expected);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (view->scan_message), "error"));
}

/* The demo's products carry barcodes, as packets do: a scan of one sells
 * it. */
static void
test_barcode (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkProduct) a = product (f->db, 2);
  g_autoptr (SkPurchaseLine) line = NULL;
  g_autofree char *sku = NULL;
  SkCheckoutView  *view;

  if (!have_xdotool ())
    return;
  g_assert_nonnull (a->barcode);
  g_assert_cmpuint (strlen (a->barcode), ==, 13);
  view = show_checkout (f);
  scan (f, a->barcode);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  line = g_list_model_get_item (sk_sale_get_lines (view->sale), 0);
  g_object_get (line, "sku", &sku, NULL);
  g_assert_cmpstr (sku, ==, a->sku);
}

static gboolean
no_customer_editor (gpointer f)
{
  return app_find_window (f, SK_TYPE_CUSTOMER_EDITOR) == NULL;
}

/* A customer registered at the till by keys alone: her name, Tab, her
 * phone, Enter saves; she is the sale's customer. */
static void
test_register_by_keys (AppFixture *f, gconstpointer data)
{
  const char     *keys[] = { "=Nika Keys", "Tab", "=+79057770011", "Return", NULL };
  SkCheckoutView *view;
  GtkWindow      *editor;
  SkCustomer     *customer;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.register", NULL);
  app_pump (300);
  editor = app_find_window (f, SK_TYPE_CUSTOMER_EDITOR);
  g_assert_nonnull (editor);
  send_keys_to (editor, 3, keys);
  g_assert_true (app_wait (no_customer_editor, f, 10000));
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  customer = sk_checkout_view_get_customer (view);
  g_assert_cmpstr (sk_record_get_string (customer, "full_name"), ==, "Nika Keys");
  g_assert_cmpstr (sk_record_get_string (customer, "phone"), ==, "+79057770011");
}

static gboolean
price_list_known (gpointer view)
{
  return _sk_checkout_view_find_product (view, "CSV-1") != NULL;
}

/* An empty store's price list from a CSV file, as skidka-cli products
 * import reads it: a file with a bad row changes nothing and says which
 * line; a good one (";" and decimal commas, as a Russian spreadsheet
 * writes it) adds its products, and a scan of a barcode sells one. */
static void
test_import_products (AppFixture *f, gconstpointer data)
{
  g_autofree char *bad_path = g_build_filename (f->dir, "bad.csv", NULL);
  g_autofree char *good_path = g_build_filename (f->dir, "good.csv", NULL);
  g_autoptr (GFile) bad = g_file_new_for_path (bad_path);
  g_autoptr (GFile) good = g_file_new_for_path (good_path);
  g_autoptr (SkProduct) ball = NULL;
  g_autoptr (GError) error = NULL;
  SkCheckoutView   *view;
  AdwMessageDialog *dialog;

  if (!have_xdotool ())
    return;
  g_assert_true (
      g_file_set_contents (bad_path, "sku,name,price\nCSV-1,Мяч,12.50\nCSV-2,,3\n", -1, NULL));
  g_assert_true (g_file_set_contents (good_path,
                                      "\xEF\xBB\xBFsku;name;category;price;barcode\n"
                                      "CSV-1;Мяч;toys;1 299,50;\n"
                                      "CSV-2;\"Кубики; 12 шт.\";toys;450;4601234567893\n",
                                      -1, NULL));
  view = show_checkout (f);

  _sk_checkout_view_import_products (view, bad);
  g_assert_true (app_wait (app_dialog_shown, NULL, 10000));
  dialog = app_find_dialog ();
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "3"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "name"));
  adw_message_dialog_response (dialog, "close");
  gtk_window_close (GTK_WINDOW (dialog));
  app_pump (100);
  g_assert_null (sk_database_get_product (f->db, "CSV-1", NULL));

  _sk_checkout_view_import_products (view, good);
  g_assert_true (app_wait (price_list_known, view, 10000));
  ball = sk_database_get_product (f->db, "CSV-1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (ball->price, ==, 129950);
  scan (f, "4601234567893");
  g_assert_true (app_wait (line_added, view, 10000));
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  g_assert_cmpint (sk_sale_get_subtotal (view->sale), ==, 45000);
}

/* @widget is drawn, and wholly inside the window. */
static void
assert_on_screen (AppFixture *f, GtkWidget *widget, const char *what)
{
  graphene_rect_t bounds;
  int             width = gtk_widget_get_width (GTK_WIDGET (f->window));
  int             height = gtk_widget_get_height (GTK_WIDGET (f->window));

  g_assert_true (gtk_widget_is_drawable (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (f->window), &bounds));
  g_test_message ("%s at %.0f,%.0f %.0fx%.0f in %dx%d", what, bounds.origin.x, bounds.origin.y,
                  bounds.size.width, bounds.size.height, width, height);
  g_assert_cmpfloat (bounds.size.width, >, 0);
  g_assert_cmpfloat (bounds.size.height, >, 0);
  g_assert_cmpfloat (bounds.origin.x, >=, 0);
  g_assert_cmpfloat (bounds.origin.y, >=, 0);
  g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=, width);
  g_assert_cmpfloat (bounds.origin.y + bounds.size.height, <=, height);
}

/* Names the widgets wider than @limit at their narrowest, down to the
 * deepest, to say what holds the window wide. */
static void
report_wide (GtkWidget *widget, int limit, int depth)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int min = 0;

      if (!gtk_widget_get_visible (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
      if (min <= limit)
        continue;
      g_test_message ("%*s%s %s: %d px", depth, "", G_OBJECT_TYPE_NAME (child),
                      gtk_widget_get_name (child), min);
      report_wide (child, limit, depth + 1);
    }
}

static gboolean
is_leaflet (GtkWidget *widget, gconstpointer data)
{
  return ADW_IS_LEAFLET (widget);
}

static gboolean
is_column_view (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

static gboolean
customers_listed (gpointer view)
{
  SkCustomerListModel *model = sk_customers_view_get_model (view);

  return !sk_customer_list_model_get_loading (model)
         && g_list_model_get_n_items (G_LIST_MODEL (model)) > 0;
}

/* For app_wait (): @leaflet shows its page @name, and is still. */
static gboolean
leaflet_shows (gpointer leaflet)
{
  return g_strcmp0 (adw_leaflet_get_visible_child_name (leaflet),
                    g_object_get_data (G_OBJECT (leaflet), "want"))
             == 0
         && !adw_leaflet_get_child_transition_running (leaflet);
}

static void
wait_leaflet (AdwLeaflet *leaflet, const char *name)
{
  g_object_set_data (G_OBJECT (leaflet), "want", (gpointer)name);
  g_assert_true (app_wait (leaflet_shows, leaflet, 10000));
  g_object_set_data (G_OBJECT (leaflet), "want", NULL);
  app_pump (100);
}

/* The first customer of the list tapped, as a finger selects a row. */
static void
tap_first_customer (SkCustomersView *view, AdwLeaflet *leaflet)
{
  GtkWidget  *column_view = app_find_widget (GTK_WIDGET (view), is_column_view, NULL);
  GListModel *rows = G_LIST_MODEL (gtk_column_view_get_model (GTK_COLUMN_VIEW (column_view)));

  g_assert_true (gtk_selection_model_select_item (GTK_SELECTION_MODEL (rows), 0, TRUE));
  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  wait_leaflet (leaflet, "details");
  g_assert_nonnull (sk_customers_view_get_customer (view));
}

/* A customer's details on a phone: the window stays a phone's width, the
 * way back to the list is on screen and leads there (a tap on it, then
 * Alt+Left), and the same customer opens again when tapped. */
static void
check_customers_narrow (AppFixture *f, const char *lang)
{
  g_autofree char *shot = g_strdup_printf ("customers-360x720-%s", lang);
  SkCustomersView *view;
  AdwLeaflet      *leaflet;
  GtkWidget       *back;
  const char      *keys[] = { "alt+Left", NULL };
  int              min_width = 0;

  sk_window_show_view (f->window, "customers");
  app_pump (300);
  view = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
  leaflet = ADW_LEAFLET (app_find_widget (GTK_WIDGET (view), is_leaflet, NULL));
  back = app_find_widget (GTK_WIDGET (view), app_is_action_button, "customers.back");
  g_assert_nonnull (back);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_true (app_wait (customers_listed, view, 10000));
  g_assert_false (gtk_widget_is_drawable (back));

  tap_first_customer (view, leaflet);
  assert_on_screen (f, back, "back to the customers");
  gtk_widget_measure (GTK_WIDGET (f->window), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL,
                      NULL, NULL);
  g_test_message ("the window's minimum width with a customer's details: %d px", min_width);
  if (min_width > 360)
    report_wide (GTK_WIDGET (f->window), 300, 0);
  g_assert_cmpint (min_width, <=, 360);
  app_save_png (GTK_WIDGET (f->window), shot);

  gtk_widget_activate (back);
  wait_leaflet (leaflet, "list");
  g_assert_false (gtk_widget_is_drawable (back));
  assert_on_screen (f, app_find_widget (GTK_WIDGET (view), is_column_view, NULL), "the customers");

  /* Tapped again, the customer just seen opens again. */
  tap_first_customer (view, leaflet);
  assert_on_screen (f, back, "back to the customers, again");
  gtk_widget_grab_focus (back);
  send_keys (f, 10, keys);
  wait_leaflet (leaflet, "list");
  g_assert_false (gtk_widget_is_drawable (back));

  /* Return on a row opens it, as a tap does. */
  {
    const char *enter[] = { "Return", NULL };

    gtk_widget_grab_focus (app_find_widget (GTK_WIDGET (view), is_column_view, NULL));
    app_pump (100);
    send_keys (f, 10, enter);
    g_assert_true (app_wait (app_customer_details_ready, view, 10000));
    wait_leaflet (leaflet, "details");
    assert_on_screen (f, back, "back to the customers, after Return");
  }
}

/* An editor opened over a phone-wide window is no wider than it. */
static void
check_editors_narrow (AppFixture *f, const char *lang)
{
  g_autofree char *shot = g_strdup_printf ("rule-editor-360-%s", lang);
  GtkWindow       *editors[] = {
          GTK_WINDOW (sk_rule_editor_new (GTK_WINDOW (f->window), NULL)),
          GTK_WINDOW (sk_campaign_editor_new (GTK_WINDOW (f->window), sk_app_repository (), NULL)),
          GTK_WINDOW (sk_customer_editor_new (GTK_WINDOW (f->window), sk_app_repository (), NULL)),
  };

  for (guint i = 0; i < G_N_ELEMENTS (editors); i++)
    {
      int width = 0, height = 0;

      gtk_window_get_default_size (editors[i], &width, &height);
      g_assert_cmpint (width, <=, gtk_widget_get_width (GTK_WIDGET (f->window)));
      gtk_window_present (editors[i]);
      app_pump (300);
      g_test_message ("%s: %d px wide", G_OBJECT_TYPE_NAME (editors[i]),
                      gtk_widget_get_width (GTK_WIDGET (editors[i])));
      g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (editors[i])), <=, 360);
      if (i == 0)
        app_save_png (GTK_WIDGET (editors[i]), shot);
      gtk_window_destroy (editors[i]);
    }
}

/* Rules this cart cannot reach, in a list the panel keeps folded. */
static void
add_unreachable_rules (AppFixture *f, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
      g_autofree char *name = g_strdup_printf ("Big spender %u", i + 1);
      g_autoptr (GError) error = NULL;

      g_object_set (rule, "name", name, "type", SK_RULE_PERCENTAGE, "value", (gint64)500,
                    "min-purchase", (gint64)100000000, "is-active", TRUE, NULL);
      g_assert_true (sk_database_save_rule (f->db, rule, &error));
      g_assert_no_error (error);
    }
}

/* A till screen of 1366x768 with twenty rules not applied, then a phone's
 * 360 px: the total and Pay are always on screen; no view opened before
 * holds the window wider; a customer's details neither, and they have a
 * way back to the list. Screenshots of both. */
static void
test_total_visible (AppFixture *f, gconstpointer data)
{
  static const char *views[] = { "charts", "rules", "campaigns", "customers", "checkout" };
  const char        *messages = setlocale (LC_MESSAGES, NULL);
  const char        *lang = g_str_has_prefix (messages, "ru") ? "ru" : "en";
  g_autoptr (SkCustomer) customer = customer_with_card (f->db, 1);
  g_autoptr (SkProduct) a = product (f->db, 0);
  g_autofree char      *wide = g_strdup_printf ("checkout-1366x768-%s", lang);
  g_autofree char      *narrow = g_strdup_printf ("checkout-360x720-%s", lang);
  g_autofree char      *narrow_panel = g_strdup_printf ("checkout-360x720-panel-%s", lang);
  g_autofree char      *receipt = g_strdup_printf ("checkout-1366x768-receipt-%s", lang);
  SkCheckoutView       *view;
  const SkEngineResult *result;
  int                   min_width = 0;

  /* GNOME's title bar buttons (Xvfb has no desktop to say so: GTK's own
   * default adds minimize and maximize). */
  g_object_set (gtk_settings_get_default (), "gtk-decoration-layout", "appmenu:close", NULL);
  add_unreachable_rules (f, 20);
  app_resize (f, 1366, 768);
  view = show_checkout (f);
  sk_checkout_view_set_customer (view, customer);
  sk_checkout_view_add_line (view, a->sku, a->name, a->category, a->price, 2);
  sk_checkout_view_add_line (view, NULL, "Socks", "clothes", 19900, 3);
  g_assert_true (app_wait (app_checkout_priced, view, 10000));
  result = sk_checkout_view_get_result (view);
  g_assert_cmpuint (result->rejected->len, >=, 20);
  app_pump (300);
  g_assert_false (adw_leaflet_get_folded (view->leaflet));
  assert_on_screen (f, GTK_WIDGET (view->total_label), "total");
  assert_on_screen (f, view->pay_button, "Pay");
  assert_on_screen (f, GTK_WIDGET (view->scan_entry), "scan field");
  app_save_png (GTK_WIDGET (f->window), wide);
  /* Opened on demand, the list scrolls; the total stays. */
  adw_expander_row_set_expanded (view->rejected_row, TRUE);
  app_pump (300);
  assert_on_screen (f, GTK_WIDGET (view->total_label), "total, reasons open");
  assert_on_screen (f, view->pay_button, "Pay, reasons open");
  adw_expander_row_set_expanded (view->rejected_row, FALSE);

  /* Every view shown once: none may hold the window wider than a phone. */
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      GtkWidget *page;
      int        page_min = 0;

      sk_window_show_view (f->window, views[i]);
      app_pump (300);
      /* The stack's own child: the view, or what holds it. */
      page = sk_window_get_view (f->window, views[i]);
      while (!ADW_IS_VIEW_STACK (gtk_widget_get_parent (page)))
        page = gtk_widget_get_parent (page);
      gtk_widget_measure (page, GTK_ORIENTATION_HORIZONTAL, -1, &page_min, NULL, NULL, NULL);
      g_test_message ("%s: at least %d px wide", views[i], page_min);
    }
  gtk_widget_measure (GTK_WIDGET (f->window), GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL,
                      NULL, NULL);
  g_test_message ("the window's minimum width: %d px", min_width);
  if (min_width > 360)
    report_wide (GTK_WIDGET (f->window), 300, 0);
  g_assert_cmpint (min_width, <=, 360);

  app_resize (f, 360, 720);
  g_assert_true (adw_leaflet_get_folded (view->leaflet));
  assert_on_screen (f, GTK_WIDGET (view->narrow_total_label), "narrow total");
  assert_on_screen (f, GTK_WIDGET (view->scan_entry), "narrow scan field");
  app_save_png (GTK_WIDGET (f->window), narrow);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.show-panel", NULL);
  app_pump (500);
  assert_on_screen (f, GTK_WIDGET (view->total_label), "narrow panel total");
  assert_on_screen (f, view->pay_button, "narrow panel Pay");
  app_save_png (GTK_WIDGET (f->window), narrow_panel);
  check_customers_narrow (f, lang);
  check_editors_narrow (f, lang);
  show_checkout (f);

  /* And the receipt where the panel was. */
  app_resize (f, 1366, 768);
  g_assert_true (sk_checkout_view_pay (view));
  g_assert_true (app_wait (sale_done, view, 30000));
  app_pump (300);
  g_assert_true (sk_checkout_view_get_receipt_shown (view));
  /* The VIP's bonus multiplier is named, not printed as money off. */
  g_assert_null (strstr (gtk_label_get_text (view->receipt_label), "−0,00"));
  app_save_png (GTK_WIDGET (f->window), receipt);
}

static gboolean
refund_window_shown (gpointer f)
{
  return app_find_window (f, SK_TYPE_REFUND_WINDOW) != NULL;
}

static gboolean
refund_window_gone (gpointer f)
{
  return !refund_window_shown (f);
}

static gboolean
refund_found (gpointer window)
{
  return app_refund_page_is (window, "find") && sk_refund_window_get_n_sales (window) > 0;
}

/* F8, the receipt number typed and Enter: the sale's lines, the focus in
 * the first one's quantity. */
static SkRefundWindow *
open_return (AppFixture *f, const char *number)
{
  g_autofree char *typed = g_strconcat ("=", number, NULL);
  const char      *f8[] = { "F8", NULL };
  const char      *keys[] = { typed, "Return", NULL };
  SkRefundWindow  *window;
  GtkWidget       *focus;

  send_keys (f, 3, f8);
  g_assert_true (app_wait (refund_window_shown, f, 10000));
  window = app_find_window (f, SK_TYPE_REFUND_WINDOW);
  /* The store's latest sales, before anything is typed. */
  g_assert_true (app_wait (refund_found, window, 10000));
  send_keys_to (GTK_WINDOW (window), 3, keys);
  g_assert_true (app_wait (app_refund_sale_shown, window, 10000));
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_nonnull (focus);
  g_assert_nonnull (gtk_widget_get_ancestor (focus, GTK_TYPE_SPIN_BUTTON));
  return window;
}

static gint64
refund_figure (AppFixture *f, const char *column, const char *purchase_id)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT coalesce (sum (%s), 0) FROM refunds WHERE purchase_id = ?", column);

  return sk_db_query_int (f->db, NULL, -1, sql, "s", purchase_id);
}

/* A return taken with keys only: F8, the receipt number, 1 Enter refunds
 * one of the first line; the window says what to pay back, which is what
 * the store recorded, and Enter on Done gives the till back its scan
 * field. Then the rest with Return All (Alt+A) and Enter. */
static void
test_refund (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_card (f->db, 0);
  g_autoptr (SkProduct) a = product (f->db, 0);
  g_autoptr (SkProduct) b = product (f->db, 1);
  g_autoptr (SkPurchase) sold = NULL;
  g_autoptr (SkPurchase) after = NULL;
  g_autoptr (SkCustomer) buyer = NULL;
  g_autofree char *id = NULL;
  g_autofree char *number = NULL;
  const char      *f12[] = { "F12", NULL };
  const char      *one[] = { "=1", NULL };
  const char      *enter[] = { "Return", NULL };
  const char      *all[] = { "alt+a", "Return", NULL };
  SkCheckoutView  *view;
  SkRefundWindow  *window;
  gint64           balance, money_back;

  if (!have_xdotool ())
    return;
  view = show_checkout (f);
  scan (f, customer->card_number);
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  scan (f, a->sku);
  scan (f, b->sku);
  send_keys (f, 3, f12);
  g_assert_true (app_wait (sale_done, view, 30000));
  id = g_strdup (sk_record_get_id (sk_checkout_view_get_last_purchase (view)));
  number = g_strndup (id, 8);
  sold = sk_database_get_purchase (f->db, id, NULL);
  buyer = sk_database_get_customer (f->db, customer->id, NULL);
  balance = buyer->bonus_balance;
  g_clear_object (&buyer);

  window = open_return (f, number);
  {
    gint64 money = 0;

    /* Nothing chosen yet: nothing to refund. */
    g_assert_false (sk_refund_window_get_figures (window, &money, NULL, NULL));
  }
  send_keys_to (GTK_WINDOW (window), 3, one);
  {
    gint64 money = 0;

    /* The figures follow the keys, before Enter. */
    g_assert_true (sk_refund_window_get_figures (window, &money, NULL, NULL));
    g_assert_cmpint (money, >, 0);
  }
  /* Enter takes the number and goes on to the next line's quantity; the
   * last line's Enter goes to Refund; money goes only on Enter there. */
  send_keys_to (GTK_WINDOW (window), 3, enter);
  g_assert_cmpstr (sk_refund_window_get_page (window), ==, "sale");
  g_assert_nonnull (
      gtk_widget_get_ancestor (gtk_root_get_focus (GTK_ROOT (window)), GTK_TYPE_SPIN_BUTTON));
  send_keys_to (GTK_WINDOW (window), 3, enter);
  g_assert_cmpstr (sk_refund_window_get_page (window), ==, "sale");
  g_assert_cmpint (refund_figure (f, "amount", id), ==, 0);
  g_assert_true (GTK_IS_BUTTON (gtk_root_get_focus (GTK_ROOT (window))));
  /* Whose card it is, under the lines. */
  {
    g_autoptr (GString) text = g_string_new (NULL);

    app_collect_text (GTK_WIDGET (window), text);
    g_assert_nonnull (strstr (text->str, customer->full_name));
  }
  send_keys_to (GTK_WINDOW (window), 3, enter);
  g_assert_true (app_wait (app_refund_done, window, 10000));

  after = sk_database_get_purchase (f->db, id, NULL);
  g_assert_cmpstr (after->status, ==, "partially_refunded");
  {
    g_autoptr (SkPurchaseLine) first = g_list_model_get_item (sk_purchase_get_lines (after), 0);
    g_autoptr (SkPurchaseLine) second = g_list_model_get_item (sk_purchase_get_lines (after), 1);

    g_assert_cmpint (first->refunded_quantity, ==, 1);
    g_assert_cmpint (second->refunded_quantity, ==, 0);
    g_assert_cmpint (after->refunded_total, ==, first->total);
  }
  /* What the window says to pay back is the store's: the line's money
   * less the bonuses that paid for it, which go back to the card. */
  money_back = refund_figure (f, "amount", id) - refund_figure (f, "bonus_returned", id);
  {
    g_autofree char *money = sk_money_format (money_back);
    g_autofree char *title = g_strdup_printf ("Pay Back %s", money);
    g_autoptr (GString) text = g_string_new (NULL);

    app_collect_text (GTK_WIDGET (window), text);
    g_assert_nonnull (strstr (text->str, title));
  }
  buyer = sk_database_get_customer (f->db, customer->id, NULL);
  g_assert_cmpint (buyer->bonus_balance, ==,
                   balance + refund_figure (f, "bonus_returned", id)
                       - refund_figure (f, "bonus_reversed", id));
  g_clear_object (&buyer);
  g_assert_true (gtk_widget_has_focus (app_find_button (GTK_WIDGET (window), "_Done")));
  /* Its slip, to print, says the same. */
  g_assert_nonnull (app_find_button (GTK_WIDGET (window), "_Print Slip"));
  {
    g_autofree char *money = sk_money_format (money_back);
    g_autofree char *paid_back = g_strdup_printf ("Paid back: %s", money);

    g_assert_nonnull (sk_refund_window_get_slip (window));
    g_assert_nonnull (strstr (sk_refund_window_get_slip (window), paid_back));
    g_assert_nonnull (strstr (sk_refund_window_get_slip (window), number));
  }
  send_keys_to (GTK_WINDOW (window), 3, enter);
  g_assert_true (app_wait (refund_window_gone, f, 10000));
  g_assert_true (app_focus_within (f, GTK_WIDGET (view->scan_entry)));

  /* The rest: the line returned before shows what is left. */
  window = open_return (f, number);
  send_keys_to (GTK_WINDOW (window), 3, all);
  g_assert_true (app_wait (app_refund_done, window, 10000));
  g_clear_object (&after);
  after = sk_database_get_purchase (f->db, id, NULL);
  g_assert_cmpstr (after->status, ==, "refunded");
  g_assert_cmpint (after->refunded_total, ==, sold->subtotal - sold->discount_total);
  g_assert_cmpint (refund_figure (f, "amount", id) - refund_figure (f, "bonus_returned", id), ==,
                   sold->total_paid);
  buyer = sk_database_get_customer (f->db, customer->id, NULL);
  /* The whole sale back: the bonuses are as before it, the visit gone. */
  g_assert_cmpint (buyer->bonus_balance, ==, balance - sold->bonus_earned + sold->bonus_spent);
  g_assert_cmpint (sk_db_query_int (f->db, NULL, -1,
                                    "SELECT count(*) FROM sync_outbox WHERE entity = 'refund'",
                                    NULL),
                   ==, 2);
  send_keys_to (GTK_WINDOW (window), 3, enter);
  g_assert_true (app_wait (refund_window_gone, f, 10000));

  /* A sale returned whole is not offered again, and Escape leaves. */
  {
    const char *f8[] = { "F8", NULL };
    /* As the receipt prints it, its word before the number too. */
    g_autofree char *typed = g_strconcat ("=Receipt ", number, NULL);
    const char      *keys[] = { typed, "Return", NULL };
    const char      *escape[] = { "Escape", "Escape", NULL };
    g_autoptr (GString) text = g_string_new (NULL);

    send_keys (f, 3, f8);
    g_assert_true (app_wait (refund_window_shown, f, 10000));
    window = app_find_window (f, SK_TYPE_REFUND_WINDOW);
    g_assert_true (app_wait (refund_found, window, 10000));
    send_keys_to (GTK_WINDOW (window), 3, keys);
    g_assert_true (app_wait (app_refund_sale_shown, window, 10000));
    app_collect_text (GTK_WIDGET (window), text);
    g_assert_null (strstr (text->str, "Refund "));
    g_assert_false (sk_refund_window_get_figures (window, NULL, NULL, NULL));
    send_keys_to (GTK_WINDOW (window), 3, escape);
    g_assert_true (app_wait (refund_window_gone, f, 10000));
  }
}

/* A cashier's F8 opens nothing: returns are the manager's. */
static void
test_refund_role (AppFixture *f, gconstpointer data)
{
  const char *f8[] = { "F8", NULL };

  if (!have_xdotool ())
    return;
  g_settings_set_string (sk_application_get_settings (f->app), "role", "cashier");
  show_checkout (f);
  send_keys (f, 3, f8);
  app_pump (500);
  g_assert_false (refund_window_shown (f));
  g_settings_set_string (sk_application_get_settings (f->app), "role", "manager");
  send_keys (f, 3, f8);
  g_assert_true (app_wait (refund_window_shown, f, 10000));
}

int
main (int argc, char *argv[])
{
  const char *localedir = g_getenv ("SKIDKA_LOCALEDIR");

  app_test_init (&argc, &argv);
  /* Screenshots in another language: LC_ALL=ru_RU.UTF-8 and the build's po. */
  if (localedir != NULL)
    {
      /* gtk_test_init keeps the C locale; the screenshots want the user's. */
      setlocale (LC_ALL, "");
      bindtextdomain (GETTEXT_PACKAGE, localedir);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
    }
  app_test_add ("/app/scanner/sale-by-scans", test_sale_by_scans);
  app_test_add ("/app/scanner/new-sale-undo", test_new_sale_undo);
  app_test_add ("/app/scanner/quantity-typed", test_quantity_typed);
  app_test_add ("/app/scanner/ctrl-n-in-lists", test_ctrl_n_in_lists);
  app_test_add ("/app/scanner/scan-into-quantity", test_scan_into_quantity);
  app_test_add ("/app/scanner/bonus-then-pay", test_bonus_then_pay);
  app_test_add ("/app/scanner/failed-then-good", test_failed_then_good);
  app_test_add ("/app/scanner/customers-search", test_customers_search);
  app_test_add ("/app/scanner/new-product", test_new_product);
  app_test_add ("/app/scanner/register-by-keys", test_register_by_keys);
  app_test_add ("/app/scanner/barcode", test_barcode);
  app_test_add ("/app/scanner/second-card", test_second_card);
  app_test_add ("/app/scanner/bonus-too-much", test_bonus_too_much);
  app_test_add ("/app/scanner/import-products", test_import_products);
  app_test_add ("/app/scanner/total-visible", test_total_visible);
  app_test_add ("/app/scanner/refund", test_refund);
  app_test_add ("/app/scanner/refund-role", test_refund_role);
  return g_test_run ();
}
