/* test-app-checkout.c: drives the till through its widgets and actions:
 * find a customer, add lines, see the engine's discounts, spend bonuses,
 * pay (twice: one sale), and checks the purchase, balance and segment;
 * prints the receipt into a PDF.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-checkout-view-private.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-test-util.h"
#include "test-app-common.h"

#ifndef SK_TEST_NARROW
#define SK_TEST_NARROW 0
#endif

static SkCustomer *
customer_with_bonus (SkDatabase *db)
{
  g_autoptr (GPtrArray) all = sk_database_search_customers (db, "", NULL, 1000, NULL, NULL);

  for (guint i = 0; i < all->len; i++)
    {
      SkCustomer *c = g_ptr_array_index (all, i);

      if (c->bonus_balance > 0 && c->card_number != NULL)
        return g_object_ref (c);
    }
  g_assert_not_reached ();
}

/* What Enter after a scan does, waited for. */
static gboolean
find_customer (SkCheckoutView *view, const char *card_or_phone)
{
  g_autoptr (GAsyncResult) result = NULL;

  sk_checkout_view_find_customer_async (view, card_or_phone, NULL, app_keep_result, &result);
  return sk_checkout_view_find_customer_finish (view, app_wait_result (&result), NULL);
}

static gboolean
sale_done (gpointer view)
{
  return !sk_checkout_view_get_paying (view);
}

/* A change of the lines is priced on a worker: waits for the answer, after
 * which the result and the figures are those of the lines as they are. */
static void
wait_priced (SkCheckoutView *view)
{
  g_assert_true (app_wait (app_checkout_priced, view, 30000));
}

/* Pays as the Pay button does (once the figures are in) and waits for the
 * sale to be stored. */
static gboolean
pay (SkCheckoutView *view)
{
  gboolean activated;

  wait_priced (view);
  activated = gtk_widget_activate_action (GTK_WIDGET (view), "checkout.pay", NULL);

  g_assert_true (app_wait (sale_done, view, 30000));
  return activated;
}

static void
test_sale (AppFixture *f, gconstpointer data)
{
  SkDatabase     *db = f->db;
  SkCheckoutView *view;
  g_autoptr (SkCustomer) customer = customer_with_bonus (db);
  g_autoptr (GPtrArray) products = sk_database_list_products (db, NULL);
  g_autoptr (GPtrArray) before = sk_database_list_purchases (db, customer->id, 10000, NULL);
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (SkCustomer) fresh = NULL;
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (SkEngineResult) expected = NULL;
  g_autoptr (GError) error = NULL;
  const SkEngineResult *result;
  SkProduct            *product;
  SkSegmentThresholds   thresholds;
  gint64                spend, earn, balance;

  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));

  /* The scanner types the card number and Enter. */
  g_assert_true (find_customer (view, customer->card_number));
  g_assert_cmpstr (sk_record_get_id (sk_checkout_view_get_customer (view)), ==, customer->id);
  g_assert_false (find_customer (view, "0000000000000"));

  g_assert_cmpuint (products->len, >, 0);
  product = g_ptr_array_index (products, 0);
  g_assert_true (sk_checkout_view_add_sku (view, product->sku));
  g_assert_true (sk_checkout_view_add_sku (view, product->sku)); /* same line, quantity 2 */
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 1);
  sk_checkout_view_add_line (view, NULL, "Stroller", "strollers", 1500000, 1);
  sk_checkout_view_add_line (view, NULL, "Socks", "clothes", 19900, 3);
  sk_checkout_view_set_quantity (view, 2, 4);
  sk_checkout_view_remove_line (view, 2);
  sk_checkout_view_add_line (view, NULL, "Socks", "clothes", 19900, 4);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 3);

  /* The panel shows what the engine gives for the same cart and customer. */
  {
    /* The till sells in the first store (no store set). */
    g_autoptr (GPtrArray) stores = sk_database_list_stores (f->db, NULL);
    SkStore *store = g_ptr_array_index (stores, 0);

    cart = sk_cart_new (store->id);
  }
  sk_cart_add_line (cart, product->sku, product->name, product->category, product->price, 2);
  sk_cart_add_line (cart, NULL, "Stroller", "strollers", 1500000, 1);
  sk_cart_add_line (cart, NULL, "Socks", "clothes", 19900, 4);
  expected = sk_database_calculate (db, cart, customer->id, sk_time_now (), &error);
  g_assert_no_error (error);
  wait_priced (view);
  result = sk_checkout_view_get_result (view);
  g_assert_nonnull (result);
  g_assert_cmpint (result->subtotal, ==, product->price * 2 + 1500000 + 19900 * 4);
  g_assert_cmpint (result->discount_total, ==, expected->discount_total);
  g_assert_cmpint (result->applied->len, ==, expected->applied->len);
  g_assert_cmpint (result->rejected->len, ==, expected->rejected->len);
  g_test_message ("discount %" G_GINT64_FORMAT
                  ", %u applied, %u rejected, recompute %" G_GINT64_FORMAT " µs",
                  result->discount_total, result->applied->len, result->rejected->len,
                  sk_checkout_view_get_recompute_usec (view));
  app_pump (200);
  app_save_png (sk_window_get_view (f->window, "checkout"), "checkout-cart");

  /* Bonuses: capped at min (balance, payable x share). */
  sk_checkout_view_set_bonus_spend (view, G_MAXINT64 / 4);
  spend = sk_checkout_view_get_bonus_spend (view);
  result = sk_checkout_view_get_result (view); /* recomputed */
  g_assert_cmpint (spend, ==, sk_checkout_view_get_bonus_cap (view));
  g_assert_cmpint (spend, <=, customer->bonus_balance);
  g_assert_cmpint (spend, >, 0);
  g_assert_cmpint (sk_checkout_view_get_to_pay (view), ==, result->total - spend);
  earn = sk_checkout_view_get_bonus_earn (view);

  /* Pay, and a double click: one sale. */
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.pay", NULL);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.pay", NULL);
  g_assert_true (app_wait (sale_done, view, 30000));
  app_pump (200);
  g_assert_nonnull (sk_checkout_view_get_last_purchase (view));
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 0);
  after = sk_database_list_purchases (db, customer->id, 10000, NULL);
  g_assert_cmpuint (after->len, ==, before->len + 1);
  {
    SkPurchase *p = g_ptr_array_index (after, 0);

    g_assert_cmpint (p->subtotal, ==, expected->subtotal);
    g_assert_cmpint (p->discount_total, ==, expected->discount_total);
    g_assert_cmpint (p->bonus_spent, ==, spend);
    g_assert_cmpint (p->bonus_earned, ==, earn);
    g_assert_cmpint (p->total_paid, ==, expected->total - spend);
  }
  fresh = sk_database_get_customer (db, customer->id, &error);
  g_assert_no_error (error);
  balance = customer->bonus_balance - spend + earn;
  g_assert_cmpint (fresh->bonus_balance, ==, balance);
  g_assert_cmpint (sk_database_ledger_sum (db, customer->id, NULL), ==, balance);
  g_assert_cmpint (fresh->visits, ==, customer->visits + 1);
  sk_database_get_segment_thresholds (db, &thresholds);
  g_assert_cmpstr (fresh->segment, ==,
                   sk_segment_for (&thresholds, fresh->visits, fresh->total_spent));
}

static void
test_anonymous (AppFixture *f, gconstpointer data)
{
  SkDatabase      *db = f->db;
  SkCheckoutView  *view;
  g_autofree char *receipt = NULL;
  g_autoptr (SkPurchase) stored = NULL;

  sk_window_show_view (f->window, "checkout");
  app_pump (200);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  sk_checkout_view_add_line (view, NULL, "Ball", "toys", 49900, 1);
  wait_priced (view);
  g_assert_cmpint (sk_checkout_view_get_bonus_cap (view), ==, 0);
  g_assert_cmpint (sk_checkout_view_get_bonus_earn (view), ==, 0);
  pay (view);
  g_assert_nonnull (sk_checkout_view_get_last_purchase (view));
  receipt = sk_receipt_format (sk_checkout_view_get_last_purchase (view), NULL, NULL);
  g_assert_nonnull (strstr (receipt, "Ball"));
  stored = sk_database_get_purchase (
      db, sk_record_get_id (sk_checkout_view_get_last_purchase (view)), NULL);
  g_assert_nonnull (stored);
}

/* The receipt by e-mail: offered only to a customer who consented, and
 * queued once however often it is pressed. */
static gint64
receipts_queued (SkDatabase *db, const char *customer_id)
{
  return sk_db_query_int (db, NULL, -1,
                          "SELECT count(*) FROM notifications WHERE event = 'receipt'"
                          " AND channel = 'email' AND customer_id = ?",
                          "s", customer_id);
}

static gboolean
receipt_queued (gpointer data)
{
  gpointer *args = data;

  return receipts_queued (args[0], args[1]) > 0;
}

/* @customer with @email and consent to e-mail or not, as stored. */
static SkCustomer *
customer_with_email (SkDatabase *db, guint nth, const char *email, gboolean consent)
{
  g_autoptr (GPtrArray) all = sk_database_search_customers (db, "", NULL, 100, NULL, NULL);
  SkCustomer *c = g_ptr_array_index (all, nth);
  g_autoptr (GError) error = NULL;

  g_free (c->email);
  c->email = g_strdup (email);
  c->consent_email = consent;
  g_assert_true (sk_database_update_customer (db, c, &error));
  g_assert_no_error (error);
  return sk_database_get_customer (db, c->id, NULL);
}

static void
sell_to (SkCheckoutView *view, SkCustomer *customer)
{
  sk_checkout_view_set_customer (view, customer);
  sk_checkout_view_add_line (view, NULL, "Ball", "toys", 49900, 1);
  pay (view);
  g_assert_true (sk_checkout_view_get_receipt_shown (view));
  app_pump (100);
}

static void
test_receipt_email (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) refuses = customer_with_email (f->db, 3, "no@example.org", FALSE);
  g_autoptr (SkCustomer) agrees = customer_with_email (f->db, 4, "yes@example.org", TRUE);
  SkCheckoutView *view;
  gpointer        args[2] = { f->db, agrees->id };
  gint64          outbox;

  sk_window_show_view (f->window, "checkout");
  app_pump (200);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));

  /* No consent: no button. */
  sell_to (view, refuses);
  g_assert_false (gtk_widget_get_mapped (view->email_receipt_button));

  /* Consent: the button, and one press queues the receipt. */
  sell_to (view, agrees);
  g_assert_true (gtk_widget_get_mapped (view->email_receipt_button));
  app_save_png (GTK_WIDGET (f->window), "checkout-receipt-email");
  outbox = sk_db_query_int (f->db, NULL, -1, "SELECT count(*) FROM sync_outbox", NULL);
  g_assert_true (gtk_widget_activate (view->email_receipt_button));
  g_assert_true (app_wait (receipt_queued, args, 30000));
  g_assert_cmpint (receipts_queued (f->db, agrees->id), ==, 1);
  g_assert_cmpint (receipts_queued (f->db, refuses->id), ==, 0);
  /* It goes to HQ with the next sync. */
  g_assert_cmpint (sk_db_query_int (f->db, NULL, -1,
                                    "SELECT count(*) FROM sync_outbox WHERE entity = 'notification'"
                                    " AND entity_id = ?",
                                    "s",
                                    sk_record_get_id (sk_checkout_view_get_last_purchase (view))),
                   ==, 1);
  g_assert_cmpint (sk_db_query_int (f->db, NULL, -1, "SELECT count(*) FROM sync_outbox", NULL), ==,
                   outbox + 1);
  /* The focus is back in the scan field. */
  g_assert_true (
      gtk_widget_has_focus (GTK_WIDGET (view->scan_entry))
      || gtk_widget_is_ancestor (gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (view))),
                                 GTK_WIDGET (view->scan_entry)));

  /* A second press queues nothing more. */
  gtk_widget_activate (view->email_receipt_button);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.email-receipt", NULL);
  app_pump (500);
  g_assert_cmpint (receipts_queued (f->db, agrees->id), ==, 1);
}

static GtkWidget *
find_entry (GtkWidget *root, GType type, const char *placeholder)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        {
          g_autofree char *text = NULL;

          g_object_get (child, "placeholder-text", &text, NULL);
          if (g_strcmp0 (text, placeholder) == 0)
            return child;
        }
      if ((found = find_entry (child, type, placeholder)) != NULL)
        return found;
    }
  return NULL;
}

/* What the keyboard does: the scanner types a card and Enter, the cashier
 * types SKUs and Enter, then a free item with Enter on its price. */
static void
test_keyboard (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (SkCustomer) customer = customer_with_bonus (db);
  g_autoptr (GPtrArray) products = sk_database_list_products (db, NULL);
  SkProduct       *product = g_ptr_array_index (products, 1);
  GtkWidget       *view, *customer_entry, *sku_entry, *name_entry, *price_entry;
  g_autofree char *chosen = NULL;

  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = sk_window_get_view (f->window, "checkout");
  /* An item by hand is typed in the expander under the scan field. */
  gtk_expander_set_expanded (SK_CHECKOUT_VIEW (view)->free_expander, TRUE);
  /* One scan field for cards, phones and SKUs. */
  customer_entry = sku_entry
      = find_entry (view, GTK_TYPE_ENTRY, "Scan or type a card, phone or product code");
  name_entry = find_entry (view, GTK_TYPE_ENTRY, "Name");
  price_entry = find_entry (view, GTK_TYPE_ENTRY, "Price");
  g_assert_nonnull (customer_entry);
  g_assert_nonnull (sku_entry);
  g_assert_nonnull (name_entry);
  g_assert_nonnull (price_entry);

  gtk_editable_set_text (GTK_EDITABLE (customer_entry), customer->card_number);
  g_signal_emit_by_name (customer_entry, "activate");
  g_assert_true (app_wait (app_checkout_has_customer, view, 10000));
  g_assert_cmpstr (sk_record_get_id (sk_checkout_view_get_customer (SK_CHECKOUT_VIEW (view))), ==,
                   customer->id);

  gtk_editable_set_text (GTK_EDITABLE (sku_entry), product->sku);
  g_signal_emit_by_name (sku_entry, "activate");
  g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 1);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (sku_entry)), ==, "");

  /* Its category is one of the store's, chosen by name. */
  {
    GtkWidget   *entry = GTK_WIDGET (SK_CHECKOUT_VIEW (view)->category_entry);
    GtkDropDown *choice = GTK_DROP_DOWN (gtk_widget_get_next_sibling (entry));

    g_assert_false (gtk_widget_get_visible (entry));
    g_assert_true (GTK_IS_DROP_DOWN (choice));
    /* "No category", then the store's. */
    g_assert_cmpint (
        g_list_model_get_n_items (gtk_drop_down_get_model (choice)), ==,
        1 + sk_test_query_int (db, "SELECT count(DISTINCT category) FROM products", NULL));
    gtk_drop_down_set_selected (choice, 1);
    chosen = g_strdup (gtk_string_object_get_string (gtk_drop_down_get_selected_item (choice)));
  }
  gtk_editable_set_text (GTK_EDITABLE (name_entry), "Puzzle");
  gtk_editable_set_text (GTK_EDITABLE (price_entry), "1 299,50");
  g_signal_emit_by_name (price_entry, "activate");
  g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 2);
  {
    g_autoptr (SkPurchaseLine) line
        = g_list_model_get_item (sk_sale_get_lines (SK_CHECKOUT_VIEW (view)->sale), 1);
    g_autofree char *category = NULL;

    g_object_get (line, "category", &category, NULL);
    g_assert_cmpstr (category, ==, chosen);
  }
  wait_priced (SK_CHECKOUT_VIEW (view));
  g_assert_cmpint (sk_checkout_view_get_result (SK_CHECKOUT_VIEW (view))->subtotal, ==,
                   product->price + 129950);

  /* A bad price is refused and nothing is added. */
  gtk_editable_set_text (GTK_EDITABLE (name_entry), "Kite");
  gtk_editable_set_text (GTK_EDITABLE (price_entry), "-5");
  g_signal_emit_by_name (price_entry, "activate");
  g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 2);

  /* A price like an EAN-8 scanned into it (460 700,01 ₽) asks first: the
   * default answer corrects it, nothing added; saying so sells it. */
  for (guint sell = 0; sell < 2; sell++)
    {
      AdwMessageDialog *dialog;

      gtk_editable_set_text (GTK_EDITABLE (name_entry), "Kite");
      gtk_editable_set_text (GTK_EDITABLE (price_entry), "46070001");
      g_signal_emit_by_name (price_entry, "activate");
      g_assert_true (app_wait (app_dialog_shown, NULL, 5000));
      dialog = app_find_dialog ();
      g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
      g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 2);
      adw_message_dialog_response (dialog, sell ? "sell" : "cancel");
      app_pump (100);
      g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 2 + sell);
      if (!sell)
        g_assert_true (app_focus_within (f, price_entry));
    }
  sk_checkout_view_remove_line (SK_CHECKOUT_VIEW (view), 2);

  /* F12 is bound to this action. */
  g_assert_true (pay (SK_CHECKOUT_VIEW (view)));
  g_assert_nonnull (sk_checkout_view_get_last_purchase (SK_CHECKOUT_VIEW (view)));
  g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 0);
}

static const char *
visible_view (AppFixture *f)
{
  GtkWidget *stack = gtk_widget_get_parent (sk_window_get_view (f->window, "checkout"));

  return adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (stack));
}

/* F2, F3, F4, F12 and Ctrl+N work from any view: they bring the checkout
 * forward and do their thing there; not for a role that may not sell. */
static void
test_shortcuts (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (GPtrArray) products = sk_database_list_products (db, NULL);
  SkProduct *product = g_ptr_array_index (products, 0);
  GtkWidget *window = GTK_WIDGET (f->window);
  GtkWidget *view = sk_window_get_view (f->window, "checkout");
  GtkWidget *customer_entry
      = find_entry (view, GTK_TYPE_ENTRY, "Scan or type a card, phone or product code");
  GtkWidget *sku_entry = customer_entry;
  struct
  {
    const char *accel;
    GtkWidget  *target;
  } focus[] = {
    { "F2", customer_entry },
    { "F3", sku_entry },
  };

  g_assert_nonnull (customer_entry);
  g_assert_nonnull (sku_entry);
  for (guint i = 0; i < G_N_ELEMENTS (focus); i++)
    {
      sk_window_show_view (f->window, "customers");
      app_pump (100);
      g_assert_true (app_press (window, focus[i].accel));
      app_pump (100);
      g_assert_cmpstr (visible_view (f), ==, "checkout");
      g_assert_true (app_focus_within (f, focus[i].target));
    }
  sk_window_show_view (f->window, "rules");
  g_assert_true (app_press (window, "F4"));
  g_assert_cmpstr (visible_view (f), ==, "checkout");

  /* Ctrl+N from another view starts a new sale. */
  sk_checkout_view_add_line (SK_CHECKOUT_VIEW (view), product->sku, product->name,
                             product->category, product->price, 1);
  sk_window_show_view (f->window, "customers");
  g_assert_true (app_press (window, "<Control>n"));
  g_assert_cmpstr (visible_view (f), ==, "checkout");
  g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 0);
  app_pump (100);
  g_assert_true (app_focus_within (f, customer_entry));

  /* F12 from another view pays (the line just added is still being
   * priced: the payment waits for it). */
  sk_checkout_view_add_line (SK_CHECKOUT_VIEW (view), product->sku, product->name,
                             product->category, product->price, 2);
  sk_window_show_view (f->window, "charts");
  g_assert_true (app_press (window, "F12"));
  g_assert_true (app_wait (sale_done, view, 30000));
  g_assert_cmpstr (visible_view (f), ==, "checkout");
  g_assert_nonnull (sk_checkout_view_get_last_purchase (SK_CHECKOUT_VIEW (view)));
  g_assert_cmpint (sk_checkout_view_get_last_purchase (SK_CHECKOUT_VIEW (view))->subtotal, ==,
                   2 * product->price);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (SK_CHECKOUT_VIEW (view)), ==, 0);

  /* Marketing does not sell: the keys leave it where it is. */
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_MARKETING);
  app_pump (100);
  sk_window_show_view (f->window, "customers");
  app_press (window, "F2");
  g_assert_cmpstr (visible_view (f), ==, "customers");
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_ADMIN);
}

/* Spaces in the money format (no-break ones too) may come out of a PDF as
 * any kind of blank: compare with every run of blanks as one space. */
static char *
squeeze_blanks (const char *text)
{
  GString *out = g_string_new (NULL);
  gboolean blank = FALSE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || c == 0x00A0 || c == 0x202F)
        {
          if (!blank)
            g_string_append_c (out, ' ');
          blank = TRUE;
          continue;
        }
      blank = FALSE;
      g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

/* A sale, then its receipt printed without a dialog: the same drawing as
 * the Print button, exported into a PDF under the build directory. */
static void
test_receipt_pdf (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (SkCustomer) customer = customer_with_bonus (db);
  const char      *dir = g_getenv ("SKIDKA_ARTIFACT_DIR");
  g_autofree char *path = g_build_filename (dir ? dir : ".", "checkout-receipt.pdf", NULL);
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  SkCheckoutView *view;
  SkPurchase     *purchase;
  gsize           length = 0;

  sk_window_show_view (f->window, "checkout");
  app_pump (200);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));

  /* Nothing sold yet: nothing to print. */
  g_assert_false (sk_checkout_view_export_receipt (view, path, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (find_customer (view, customer->card_number));
  sk_checkout_view_add_line (view, NULL, "Stroller", "strollers", 1500000, 1);
  sk_checkout_view_add_line (view, NULL, "Socks", "clothes", 19900, 3);
  wait_priced (view); /* the bonus cap is the priced sale's */
  sk_checkout_view_set_bonus_spend (view, G_MAXINT64 / 4);
  pay (view);
  app_pump (100);
  purchase = sk_checkout_view_get_last_purchase (view);
  g_assert_nonnull (purchase);

  g_unlink (path);
  g_assert_true (sk_checkout_view_export_receipt (view, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, >, 1024);
  g_assert_true (g_str_has_prefix (contents, "%PDF"));
  g_test_message ("saved %s (%" G_GSIZE_FORMAT " bytes)", path, length);

  if (pdftotext == NULL)
    {
      g_test_message ("pdftotext not found: the receipt's text is not checked");
      return;
    }
  {
    const char      *argv[] = { pdftotext, "-enc", "UTF-8", path, "-", NULL };
    g_autofree char *out = NULL;
    g_autofree char *money = sk_money_format (purchase->total_paid);
    g_autofree char *paid = g_strdup_printf ("Paid: %s", money);
    g_autofree char *text = NULL;
    g_autofree char *expected = NULL;
    int              status = 0;

    g_assert_true (g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                                 &out, NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, &error));
    g_assert_no_error (error);
    text = squeeze_blanks (out);
    expected = squeeze_blanks (paid);
    g_test_message ("looking for “%s” in the PDF's text", expected);
    g_assert_nonnull (strstr (text, expected));
  }
}

/* Another till (a connection of its own) holds the write lock a while. */
typedef struct
{
  const char *path;
  guint       hold_ms;
  GMutex      lock;
  GCond       cond;
  gboolean    held;
} Holder;

static gpointer
hold_write_lock (gpointer data)
{
  Holder *h = data;
  g_autoptr (SkDatabase) db = sk_database_open (h->path, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (db);
  g_assert_true (sk_db_begin (db, &error));
  g_assert_no_error (error);
  g_mutex_lock (&h->lock);
  h->held = TRUE;
  g_cond_signal (&h->cond);
  g_mutex_unlock (&h->lock);
  g_usleep ((gulong)h->hold_ms * 1000);
  g_assert_true (sk_db_commit (db, &error));
  g_assert_no_error (error);
  return NULL;
}

typedef struct
{
  SkCheckoutView *view;
  gint64          last;
  gint64          longest;
  guint           ticks;
} Ticks;

/* Counts the ticks while the sale is under way. */
static gboolean
tick_cb (gpointer data)
{
  Ticks *t = data;
  gint64 now = g_get_monotonic_time ();

  if (!sk_checkout_view_get_paying (t->view))
    return G_SOURCE_CONTINUE;
  t->longest = MAX (t->longest, now - t->last);
  t->last = now;
  t->ticks++;
  return G_SOURCE_CONTINUE;
}

/* The sale waits for the write lock (a whole second) on a worker: the main
 * loop keeps ticking meanwhile (while the sale is under way; the new sale
 * that follows draws the till again). A blocked loop would show one gap of
 * the whole second; the bound leaves room for a loaded CI machine and for
 * the 2-3 times slower drawing of the AddressSanitizer build. */
#define HOLD_MSEC        1000
#define LONGEST_GAP_USEC (500 * 1000)

static void
test_pay_does_not_block (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_bonus (f->db);
  g_autoptr (GThread) thread = NULL;
  Holder          holder = { f->db_path, HOLD_MSEC };
  Ticks           ticks = { 0 };
  SkCheckoutView *view;
  gint64          started, took;
  guint           tick_id;

  sk_window_show_view (f->window, "checkout");
  app_pump (200);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  g_assert_true (find_customer (view, customer->card_number));
  sk_checkout_view_add_line (view, NULL, "Stroller", "strollers", 1500000, 1);
  app_pump (100);
  wait_priced (view);

  g_mutex_init (&holder.lock);
  g_cond_init (&holder.cond);
  thread = g_thread_new ("write-lock", hold_write_lock, &holder);
  g_mutex_lock (&holder.lock);
  while (!holder.held)
    g_cond_wait (&holder.cond, &holder.lock);
  g_mutex_unlock (&holder.lock);

  ticks.view = view;
  started = ticks.last = g_get_monotonic_time ();
  tick_id = g_timeout_add (5, tick_cb, &ticks);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.pay", NULL);
  g_assert_true (sk_checkout_view_get_paying (view));
  g_assert_true (app_wait (sale_done, view, 30000));
  took = g_get_monotonic_time () - started;
  g_source_remove (tick_id);
  g_thread_join (g_steal_pointer (&thread));
  g_mutex_clear (&holder.lock);
  g_cond_clear (&holder.cond);

  g_test_message ("the sale took %.0f ms; %u ticks, the longest gap %.1f ms", took / 1000.0,
                  ticks.ticks, ticks.longest / 1000.0);
  g_assert_nonnull (sk_checkout_view_get_last_purchase (view));
  g_assert_cmpint (took, >=, (HOLD_MSEC - 50) * 1000);
  g_assert_cmpuint (ticks.ticks, >=, 10);
  g_assert_cmpint (ticks.longest, <, LONGEST_GAP_USEC);
}

/* Each change of the lines is priced on one of the repository's workers;
 * the till applies only the answer for the lines as they are. */
typedef struct
{
  SkCheckoutView *view;
  gint64          expected; /* the subtotal of the lines as they are */
  guint           applied;  /* answers applied (calculating fell) */
  guint           wrong;    /* of those, for other lines */
} Burst;

static void
calculating_cb (SkCheckoutView *view, GParamSpec *pspec, Burst *b)
{
  const SkEngineResult *result = sk_checkout_view_get_result (view);

  if (sk_checkout_view_get_calculating (view))
    return;
  b->applied++;
  if (result == NULL || result->subtotal != b->expected
      || result->line_discounts->len != sk_checkout_view_get_n_lines (view))
    b->wrong++;
}

static void
test_pricing_off_main_loop (AppFixture *f, gconstpointer data)
{
  SkRepository   *repository = sk_application_get_repository (f->app);
  SkCheckoutView *view;
  Burst           burst = { 0 };
  gint64          to_pay;
  guint           jobs, kite = 1;
  gulong          handler;

  sk_window_show_view (f->window, "checkout");
  app_pump (200);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  wait_priced (view);
  g_assert_null (sk_checkout_view_get_result (view));

  /* The answer is not there when the call returns: it comes from a worker. */
  jobs = sk_repository_get_n_jobs (repository);
  sk_checkout_view_add_line (view, NULL, "Ball", "toys", 49900, 1);
  g_assert_true (sk_checkout_view_get_calculating (view));
  g_assert_null (sk_checkout_view_get_result (view));
  wait_priced (view);
  g_assert_cmpuint (sk_repository_get_n_jobs (repository), >, jobs);
  g_assert_nonnull (sk_checkout_view_get_result (view));
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, 49900);
  g_assert_cmpint (sk_checkout_view_get_recompute_usec (view), >, 0);

  /* While the next answer is on its way the figures stay (no flicker). */
  to_pay = sk_checkout_view_get_to_pay (view);
  g_assert_cmpint (to_pay, >, 0);
  sk_checkout_view_add_line (view, NULL, "Kite", "toys", 10000, 1);
  g_assert_true (sk_checkout_view_get_calculating (view));
  g_assert_cmpint (sk_checkout_view_get_to_pay (view), ==, to_pay);
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, 49900);
  wait_priced (view);
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, 49900 + 10000);

  /* 20 quick changes, some of the line count, with the main loop turning
   * between them so that answers for older lines come back meanwhile: only
   * answers for the lines as they are get applied, and the last one is the
   * last cart's. (An older answer with another line count would also trip
   * sk_sale_set_result's critical.) */
  burst.view = view;
  handler = g_signal_connect (view, "notify::calculating", G_CALLBACK (calculating_cb), &burst);
  for (guint i = 0; i < 20; i++)
    {
      if (i % 5 == 3)
        {
          sk_checkout_view_remove_line (view, 1);
          kite = 0;
        }
      else if (kite == 0)
        {
          sk_checkout_view_add_line (view, NULL, "Kite", "toys", 10000, i + 1);
          kite = i + 1;
        }
      else
        {
          sk_checkout_view_set_quantity (view, 1, i + 1);
          kite = i + 1;
        }
      burst.expected = 49900 + 10000 * (gint64)kite;
      g_assert_true (sk_checkout_view_get_calculating (view));
      g_main_context_iteration (NULL, FALSE);
    }
  wait_priced (view);
  g_signal_handler_disconnect (view, handler);
  g_test_message ("20 changes, %u answers applied", burst.applied);
  g_assert_cmpuint (kite, ==, 20);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 2);
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, 49900 + 10000 * 20);
  g_assert_cmpuint (burst.applied, >=, 1);
  g_assert_cmpuint (burst.wrong, ==, 0);

  /* F12 while the last scan is being priced pays once it is. */
  sk_checkout_view_set_quantity (view, 1, 3);
  g_assert_true (sk_checkout_view_get_calculating (view));
  g_assert_true (sk_checkout_view_pay (view));
  g_assert_true (sk_checkout_view_get_paying (view));
  g_assert_false (sk_checkout_view_pay (view)); /* once */
  g_assert_true (app_wait (sale_done, view, 30000));
  g_assert_nonnull (sk_checkout_view_get_last_purchase (view));
  g_assert_cmpint (sk_checkout_view_get_last_purchase (view)->subtotal, ==, 49900 + 10000 * 3);
  g_assert_cmpuint (sk_checkout_view_get_n_lines (view), ==, 0);
}

/* Whether @label shows its text broken inside a word ("Констру-ктор"):
 * a line of its layout starts where the text has no line break. */
static gboolean
breaks_inside_word (GtkLabel *label)
{
  PangoLayout        *layout = gtk_label_get_layout (label);
  const char         *text = pango_layout_get_text (layout);
  const PangoLogAttr *attrs;
  int                 n_attrs;

  attrs = pango_layout_get_log_attrs_readonly (layout, &n_attrs);
  for (GSList *l = pango_layout_get_lines_readonly (layout); l != NULL; l = l->next)
    {
      PangoLayoutLine *line = l->data;
      glong            offset = g_utf8_pointer_to_offset (text, text + line->start_index);

      if (line->start_index > 0 && offset < n_attrs && !attrs[offset].is_line_break)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_shown_spin (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_SPIN_BUTTON (widget) && gtk_widget_is_drawable (widget);
}

static gboolean
is_text (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_TEXT (widget);
}

/* The Pay button on screen (the cart's on a phone, the panel's beside it). */
static gboolean
is_shown_pay (GtkWidget *widget, gconstpointer data)
{
  return app_is_action_button (widget, "checkout.pay") && gtk_widget_is_drawable (widget);
}

/* Asserts @widget is shown whole, within the window's width. */
static void
assert_within_window (AppFixture *f, GtkWidget *widget, const char *what)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_is_drawable (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (f->window), &bounds));
  g_test_message ("%s: x %.0f, %.0f px wide", what, bounds.origin.x, bounds.size.width);
  g_assert_cmpfloat (bounds.origin.x, >=, 0);
  g_assert_cmpfloat (bounds.origin.x + bounds.size.width, <=,
                     gtk_widget_get_width (GTK_WIDGET (f->window)));
}

/* A phone's till (360 px): each item's name has room for whole words
 * beside its total (it was ~70 px beside the quantity, "Констру-ктор"),
 * its quantity still typed or stepped from the keyboard, and the total
 * and Pay on screen. */
static void
test_narrow_cart (AppFixture *f, gconstpointer data)
{
  static const char *names[] = {
    "Конструктор «Городская стройка», 420 деталей",
    "Комбинезон зимний",
    "Рюкзак школьный ортопедический",
    "Construction set “City building site”, 420 pieces",
  };
  SkCheckoutView *view;
  GtkWidget      *spin;

  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    sk_checkout_view_add_line (view, NULL, names[i], "toys", 349900, 1);
  wait_priced (view);

  app_resize (f, 360, 720);
  g_assert_true (adw_leaflet_get_folded (view->leaflet));
  app_save_png (GTK_WIDGET (f->window), "checkout-cart-360");
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GtkWidget *label = app_find_label (GTK_WIDGET (view->cart_view), names[i]);

      g_assert_nonnull (label);
      g_test_message ("“%s”: %d px wide, %d lines", names[i], gtk_widget_get_width (label),
                      pango_layout_get_line_count (gtk_label_get_layout (GTK_LABEL (label))));
      g_assert_cmpint (gtk_widget_get_width (label), >=, 150);
      g_assert_false (breaks_inside_word (GTK_LABEL (label)));
    }

  /* The quantity: Up steps it, a number typed and Enter sets it. */
  spin = app_find_widget (GTK_WIDGET (view->cart_view), is_shown_spin, NULL);
  g_assert_nonnull (spin);
  assert_within_window (f, spin, "the first line's quantity");
  gtk_widget_grab_focus (spin);
  g_signal_emit_by_name (spin, "change-value", GTK_SCROLL_STEP_UP);
  app_pump (50);
  wait_priced (view);
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, 349900 * 5);
  gtk_editable_set_text (GTK_EDITABLE (spin), "4");
  /* Enter: the spin's text activated. */
  g_signal_emit_by_name (app_find_widget (spin, is_text, NULL), "activate");
  app_pump (50);
  wait_priced (view);
  g_assert_cmpint (sk_checkout_view_get_result (view)->subtotal, ==, 349900 * 7);

  assert_within_window (f, GTK_WIDGET (view->narrow_total_label), "the total");
  assert_within_window (f, app_find_widget (GTK_WIDGET (view), is_shown_pay, NULL), "Pay");
}

/* The number of lines @label shows, and whether it cut its text. */
static int
label_lines (GtkWidget *label, gboolean *cut)
{
  PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (label));

  *cut = pango_layout_is_ellipsized (layout);
  return pango_layout_get_line_count (layout);
}

/* The bonus spend row on a phone: its title in one line and its note
 * whole (beside the spin and Max they had a third of the width: "Списать /
 * бонусы / (F4)", "можно спи…"), the spin typed into and on screen; back
 * at a till's width the spin and Max are at the row's end again. */
static void
test_narrow_bonus (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_bonus (f->db);
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (GError) error = NULL;
  SkCheckoutView *view;
  GtkWidget      *title, *note;
  gboolean        cut = TRUE;

  /* Enough bonuses to spend 100 ₽. */
  tx = sk_database_bonus_manual (f->db, customer->id, "adjust", 100000, "test", NULL, &error);
  g_assert_no_error (error);
  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  g_assert_true (find_customer (view, customer->card_number));
  sk_checkout_view_add_line (view, NULL, "Stroller", "strollers", 1500000, 1);
  wait_priced (view);
  g_assert_cmpint (sk_checkout_view_get_bonus_cap (view), >=, 10000);

  app_resize (f, 360, 720);
  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.show-panel", NULL);
  app_pump (500);
  app_save_png (GTK_WIDGET (f->window), "checkout-panel-360");
  title = app_find_label (GTK_WIDGET (view->spend_row), "Spend bonuses (F4)");
  note = app_find_label (GTK_WIDGET (view->spend_row),
                         adw_action_row_get_subtitle (view->spend_row));
  g_assert_nonnull (title);
  g_assert_nonnull (note);
  g_test_message ("the title: %d px, %d lines", gtk_widget_get_width (title),
                  label_lines (title, &cut));
  g_assert_cmpint (label_lines (title, &cut), ==, 1);
  g_assert_false (cut);
  g_test_message ("the note: %d px, %d lines", gtk_widget_get_width (note),
                  label_lines (note, &cut));
  label_lines (note, &cut);
  g_assert_false (cut);
  assert_within_window (f, GTK_WIDGET (view->bonus_spin), "the bonus spin");
  assert_within_window (
      f, app_find_widget (GTK_WIDGET (view), app_is_action_button, "checkout.spend-max"), "Max");
  gtk_widget_grab_focus (GTK_WIDGET (view->bonus_spin));
  gtk_editable_set_text (GTK_EDITABLE (view->bonus_spin), "100");
  g_signal_emit_by_name (app_find_widget (GTK_WIDGET (view->bonus_spin), is_text, NULL),
                         "activate");
  wait_priced (view);
  g_assert_cmpint (sk_checkout_view_get_bonus_spend (view), ==, 10000);

  app_resize (f, 1200, 780);
  g_assert_false (adw_leaflet_get_folded (view->leaflet));
  g_assert_true (
      gtk_widget_is_ancestor (GTK_WIDGET (view->bonus_spin), GTK_WIDGET (view->spend_row)));
  g_assert_cmpint (label_lines (title, &cut), ==, 1);
}

/* The width of the receipt's text in its label's font, unwrapped. */
static int
receipt_text_width (SkCheckoutView *view)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (
      GTK_WIDGET (view->receipt_label), gtk_label_get_text (view->receipt_label));
  int width;

  pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

/* A phone's receipt: its 42 columns stay whole lines (the rules across its
 * width and the discount lines wrapped at 360 px), and the keyboard does
 * not stop on it (focus selected it all, in blue). */
/* On a phone (360 px), a stroller sold: the checkout. */
static SkCheckoutView *
narrow_sale (AppFixture *f)
{
  SkCheckoutView *view;

  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  app_resize (f, 360, 720);
  sk_checkout_view_add_line (view, NULL, "Stroller", "strollers", 1500000, 1);
  wait_priced (view);
  g_assert_true (sk_checkout_view_pay (view));
  g_assert_true (app_wait (sale_done, view, 30000));
  return view;
}

static void
test_narrow_receipt (AppFixture *f, gconstpointer data)
{
  SkCheckoutView *view = narrow_sale (f);
  PangoLayout    *layout;
  const char     *text;
  int             narrow_width;
  g_auto (GStrv) lines = NULL;

  gtk_widget_activate_action (GTK_WIDGET (view), "checkout.show-panel", NULL);
  app_pump (500);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (view->receipt_label)));
  app_save_png (GTK_WIDGET (f->window), "checkout-receipt-360");
  text = gtk_label_get_text (view->receipt_label);
  lines = g_strsplit (text, "\n", -1);
  layout = gtk_label_get_layout (view->receipt_label);
  /* The text ends with a newline: its last part is empty. */
  g_test_message ("%u lines of text, %d shown", g_strv_length (lines) - 1,
                  pango_layout_get_line_count (layout));
  g_assert_cmpint (pango_layout_get_line_count (layout), ==, g_strv_length (lines));
  /* With room to spare, so that another monospace font does not wrap it. */
  narrow_width = receipt_text_width (view);
  g_test_message ("the receipt: %d px wide in %d px", narrow_width,
                  gtk_widget_get_width (GTK_WIDGET (view->receipt_label)));
  g_assert_cmpint (narrow_width, <=,
                   gtk_widget_get_width (GTK_WIDGET (view->receipt_label)) * 95 / 100);
  g_assert_false (gtk_widget_get_focusable (GTK_WIDGET (view->receipt_label)));

  /* At a till's width the receipt is in the panel's own font again. */
  app_resize (f, 1200, 780);
  g_assert_cmpint (receipt_text_width (view), >, narrow_width);
}

static gboolean
refund_listed (gpointer window)
{
  return app_refund_page_is (window, "find") && sk_refund_window_get_n_sales (window) > 0;
}

/* On a phone, F8's return window fits the screen: no wider than the
 * till's window (it was 560 px, its right half off a 360 px screen). */
static void
test_narrow_return (AppFixture *f, gconstpointer data)
{
  SkRefundWindow *window;

  narrow_sale (f);
  g_settings_set_string (sk_application_get_settings (f->app), "role", "manager");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.refund", "s", "");
  app_pump (100);
  window = app_find_window (f, SK_TYPE_REFUND_WINDOW);
  g_assert_nonnull (window);
  g_assert_true (app_wait (refund_listed, window, 10000));
  app_pump (300);
  app_save_png (GTK_WIDGET (window), "checkout-return-360");
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (window)), <=, 360);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
is_toast (GtkWidget *widget, gconstpointer data)
{
  return g_str_equal (gtk_widget_get_css_name (widget), "toast") && gtk_widget_get_mapped (widget);
}

static float
top_of (AppFixture *f, GtkWidget *widget)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (f->window), &bounds));
  return bounds.origin.y;
}

static float
bottom_of (AppFixture *f, GtkWidget *widget)
{
  graphene_rect_t bounds;

  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (f->window), &bounds));
  return bounds.origin.y + bounds.size.height;
}

/* A phone's "Paid" toast stands above the total and Pay, which the next
 * sale needs in sight at once (it covered half of them); elsewhere toasts
 * are where Adwaita puts them. */
static void
test_narrow_toast (AppFixture *f, gconstpointer data)
{
  SkCheckoutView *view = narrow_sale (f);
  GtkWidget      *toast, *pay;
  float           toast_bottom, bar_top;

  app_pump (700);
  app_save_png (GTK_WIDGET (f->window), "checkout-toast-360");
  toast = app_find_widget (GTK_WIDGET (f->window), is_toast, NULL);
  g_assert_nonnull (toast);
  pay = app_find_widget (GTK_WIDGET (view), is_shown_pay, NULL);
  g_assert_nonnull (pay);
  toast_bottom = bottom_of (f, toast);
  bar_top = MIN (top_of (f, pay), top_of (f, GTK_WIDGET (view->narrow_total_label)));
  g_test_message ("the toast ends at %.0f px, the total and Pay start at %.0f px", toast_bottom,
                  bar_top);
  g_assert_cmpfloat (toast_bottom, <=, bar_top);
  g_assert_cmpfloat (top_of (f, toast), >=, 0);

  /* Another view: toasts at the foot again. */
  sk_window_show_view (f->window, "customers");
  app_pump (300);
  g_assert_false (gtk_widget_has_css_class (
      gtk_widget_get_ancestor (GTK_WIDGET (view), ADW_TYPE_TOAST_OVERLAY), "above-total-bar"));
  sk_window_show_view (f->window, "checkout");
  app_pump (100);
  g_assert_true (gtk_widget_has_css_class (
      gtk_widget_get_ancestor (GTK_WIDGET (view), ADW_TYPE_TOAST_OVERLAY), "above-total-bar"));

  /* At a till's width the panel holds the total: nothing to rise above. */
  app_resize (f, 1200, 780);
  g_assert_false (gtk_widget_has_css_class (
      gtk_widget_get_ancestor (GTK_WIDGET (view), ADW_TYPE_TOAST_OVERLAY), "above-total-bar"));
}

/* A rule that has ended says when, in the user's way, not in the API's
 * "2026-07-30T00:00:00Z". */
static void
test_expired_reason (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (GPtrArray) products = sk_database_list_products (f->db, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *day = NULL;
  g_autofree char *expected = NULL;
  gint64           ended = sk_time_now () - 30 * G_TIME_SPAN_DAY;
  SkCheckoutView  *view;
  SkProduct       *product = g_ptr_array_index (products, 0);

  ended -= ended % G_TIME_SPAN_DAY; /* a midnight, as the editor keeps it */
  g_object_set (rule, "name", "Summer is over", "type", SK_RULE_PERCENTAGE, "value", (gint64)1000,
                "is-active", TRUE, "valid-from", ended - 60 * G_TIME_SPAN_DAY, "valid-until", ended,
                NULL);
  g_assert_true (sk_database_save_rule (f->db, rule, &error));
  g_assert_no_error (error);
  day = sk_date_display_from_usec (ended);
  expected = g_strdup_printf ("expired on %s", day);
  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  g_assert_true (sk_checkout_view_add_sku (view, product->sku));
  wait_priced (view);
  app_pump (200);
  app_collect_text (GTK_WIDGET (view), text);
  if (strstr (text->str, expected) == NULL || strstr (text->str, "T00:00:00") != NULL)
    g_error ("The checkout does not say “%s”:\n%s", expected, text->str);
}

/* The sale's figures beside the cart, scrolled down to the rules not
 * applied, start at their top for the next sale: after paying, and after
 * a new sale. */
static void
test_figures_scroll_back (AppFixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) customer = customer_with_bonus (f->db);
  g_autoptr (GPtrArray) products = sk_database_list_products (f->db, NULL);
  SkCheckoutView *view;
  GtkAdjustment  *figures;

  app_resize (f, 1366, 420);
  sk_window_show_view (f->window, "checkout");
  app_pump (300);
  view = SK_CHECKOUT_VIEW (sk_window_get_view (f->window, "checkout"));
  figures = gtk_scrolled_window_get_vadjustment (view->sale_scroller);
  for (guint round = 0; round < 2; round++)
    {
      g_assert_true (find_customer (view, customer->card_number));
      for (guint i = 0; i < 3; i++)
        {
          SkProduct *product = g_ptr_array_index (products, i);

          g_assert_true (sk_checkout_view_add_sku (view, product->sku));
        }
      wait_priced (view);
      app_pump (200);
      g_assert_cmpfloat (gtk_adjustment_get_upper (figures), >,
                         gtk_adjustment_get_page_size (figures));
      gtk_adjustment_set_value (figures, gtk_adjustment_get_upper (figures));
      g_assert_cmpfloat (gtk_adjustment_get_value (figures), >, 0);
      if (round == 0)
        pay (view);
      else
        gtk_widget_activate_action (GTK_WIDGET (view), "checkout.new-sale", NULL);
      app_pump (200);
      g_assert_cmpfloat (gtk_adjustment_get_value (figures), ==, 0);
    }
}

int
main (int argc, char *argv[])
{
  app_test_init (&argc, &argv);
  /* At a phone's width, in a program of its own (test-app-checkout-narrow,
   * built from this file): folding the window leaks inside libadwaita 1.2
   * (see .ci/sanitize), and this one goes on checking the rest of the
   * checkout for leaks. */
  if (SK_TEST_NARROW)
    {
      app_test_add ("/app/checkout/narrow-cart", test_narrow_cart);
      app_test_add ("/app/checkout/narrow-bonus", test_narrow_bonus);
      app_test_add ("/app/checkout/narrow-receipt", test_narrow_receipt);
      app_test_add ("/app/checkout/narrow-toast", test_narrow_toast);
      app_test_add ("/app/checkout/narrow-return", test_narrow_return);
      return g_test_run ();
    }
  app_test_add ("/app/checkout/sale", test_sale);
  app_test_add ("/app/checkout/figures-scroll-back", test_figures_scroll_back);
  app_test_add ("/app/checkout/keyboard", test_keyboard);
  app_test_add ("/app/checkout/shortcuts", test_shortcuts);
  app_test_add ("/app/checkout/receipt-pdf", test_receipt_pdf);
  app_test_add ("/app/checkout/receipt-email", test_receipt_email);
  app_test_add ("/app/checkout/anonymous", test_anonymous);
  app_test_add ("/app/checkout/expired-reason", test_expired_reason);
  app_test_add ("/app/checkout/pay-does-not-block", test_pay_does_not_block);
  app_test_add ("/app/checkout/pricing-off-main-loop", test_pricing_off_main_loop);
  return g_test_run ();
}
