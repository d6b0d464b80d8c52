/* test-app-customers.c: the lazy customers model returns the right rows for
 * a search (phone, card, name, everyone), and the editor validates.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-customer-editor.h"
#include "sk-customer-list-model.h"
#include "sk-charts-view.h"
#include "sk-customers-view.h"
#include "sk-model-private.h"
#include "sk-rules-view.h"
#include "sk-money.h"
#include "sk-entry-dialog.h"
#include "test-app-common.h"

static gboolean
not_loading (gpointer model)
{
  return !sk_customer_list_model_get_loading (model);
}

static gboolean
all_loaded (gpointer model)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    if (!sk_customer_list_model_is_loaded (model, i))
      return FALSE;
  return TRUE;
}

static void
search (SkCustomerListModel *model, const char *query)
{
  sk_customer_list_model_set_query (model, query);
  g_assert_true (app_wait (not_loading, model, 10000));
}

/* Asks for every row, last first when @from_end (as scrolling to the
 * bottom does), and waits until each is read. */
static void
load_all_rows (SkCustomerListModel *model, gboolean from_end)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

  for (guint i = 0; i < n; i++)
    g_object_unref (g_list_model_get_item (G_LIST_MODEL (model), from_end ? n - 1 - i : i));
  g_assert_true (app_wait (all_loaded, model, 10000));
}

/* The rows show @all's customers, in @all's order. */
static void
assert_rows_are (SkCustomerListModel *model, GPtrArray *all)
{
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, all->len);
  for (guint i = 0; i < all->len; i++)
    {
      g_autoptr (SkCustomerRow) row = g_list_model_get_item (G_LIST_MODEL (model), i);
      SkCustomer *c = sk_customer_row_get_customer (row);

      g_assert_cmpstr (c->id, ==, ((SkCustomer *)g_ptr_array_index (all, i))->id);
    }
}

static void
test_model (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (SkCustomerListModel) model
      = sk_customer_list_model_new (sk_application_get_repository (f->app));
  g_autoptr (GPtrArray) all = sk_database_search_customers (db, "", NULL, 1000, NULL, NULL);
  SkCustomer      *target = g_ptr_array_index (all, 7);
  g_autofree char *prefix = g_utf8_substring (target->full_name, 0, 3);
  guint            n;

  search (model, "");
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpint (n, ==, sk_database_count_customers (db, NULL));
  /* Every row, in the order of the store's own search. */
  load_all_rows (model, FALSE);
  assert_rows_are (model, all);

  search (model, target->phone);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  {
    g_autoptr (SkCustomerRow) row = g_list_model_get_item (G_LIST_MODEL (model), 0);
    SkCustomer *c = sk_customer_row_get_customer (row);

    g_assert_cmpstr (c->id, ==, target->id);
  }
  search (model, target->card_number);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >=, 1);
  {
    g_autoptr (SkCustomerRow) row = g_list_model_get_item (G_LIST_MODEL (model), 0);
    SkCustomer *c = sk_customer_row_get_customer (row);

    g_assert_cmpstr (c->card_number, ==, target->card_number);
  }
  search (model, prefix);
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, >=, 1);
  load_all_rows (model, FALSE);
  {
    gboolean found = FALSE;

    for (guint i = 0; i < n; i++)
      {
        g_autoptr (SkCustomerRow) row = g_list_model_get_item (G_LIST_MODEL (model), i);
        SkCustomer *c = sk_customer_row_get_customer (row);

        found |= g_strcmp0 (c->id, target->id) == 0;
      }
    g_assert_true (found);
  }
  search (model, "Zzzzzz nobody");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
}

typedef struct
{
  guint n; /* the count as announced so far */
  guint emissions;
} Announced;

/* Every change is either a removal or an addition (GTK 4.8 searches all
 * added rows otherwise), the announced count always matches the model's,
 * and the list never looks empty on its way from some rows to others. */
static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, Announced *a)
{
  g_assert_true (removed == 0 || added == 0);
  g_assert_cmpuint (position + removed, <=, a->n);
  a->n = a->n - removed + added;
  a->emissions++;
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, a->n);
  g_assert_cmpuint (a->n, >, 0);
  for (guint i = 0; i < MIN (a->n, 5); i++)
    g_object_unref (g_list_model_get_item (model, i));
}

static void
count_cb (guint *counter)
{
  (*counter)++;
}

static gboolean
row_shows_customer (gpointer row)
{
  return sk_customer_row_get_customer (row) != NULL;
}

/* Several pages: rows past the first page, read from either end. */
static void
test_pages (AppFixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "pages.db", NULL);
  g_autoptr (SkDatabase) db = sk_database_open (path, NULL);
  g_autoptr (SkRepository) repository = sk_repository_new (path);
  g_autoptr (SkCustomerListModel) model = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GError) error = NULL;
  SkDemoOptions options = { 450, 300, 30, 11 };
  guint         n;

  sk_demo_generate (db, &options, NULL, &error);
  g_assert_no_error (error);
  all = sk_database_search_customers (db, "", NULL, 1000, NULL, NULL);
  model = sk_customer_list_model_new (repository);
  search (model, "");
  n = g_list_model_get_n_items (G_LIST_MODEL (model));
  g_assert_cmpuint (n, ==, all->len);
  g_assert_cmpuint (n, >, 4 * SK_CUSTOMER_LIST_PAGE);
  load_all_rows (model, TRUE);
  assert_rows_are (model, all);

  /* From everyone to a few and back: announced cheaply, rows still right. */
  {
    Announced        a = { n, 0 };
    SkCustomer      *target = g_ptr_array_index (all, 3);
    g_autofree char *prefix = g_utf8_substring (target->full_name, 0, 2);

    g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &a);
    search (model, prefix);
    g_assert_cmpuint (a.emissions, >, 0);
    g_assert_cmpuint (a.n, ==, g_list_model_get_n_items (G_LIST_MODEL (model)));
    search (model, "");
    g_assert_cmpuint (a.n, ==, all->len);
    g_signal_handlers_disconnect_by_func (model, items_changed_cb, &a);
    load_all_rows (model, FALSE);
    assert_rows_are (model, all);
  }
  /* The rows the list holds stay its items across searches and pages: what
   * they show changes (notify::customer), the list hears only of the count.
   * A search reads the pages of the rows held at once; a row asked for
   * later shows a placeholder until its page is read. */
  {
    Announced        a = { n, 0 };
    SkCustomer      *target = g_ptr_array_index (all, 3);
    g_autofree char *prefix = g_utf8_substring (target->full_name, 0, 2);
    g_autoptr (SkCustomerRow) first = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_autoptr (SkCustomerRow) far
        = g_list_model_get_item (G_LIST_MODEL (model), 2 * SK_CUSTOMER_LIST_PAGE + 50);
    g_autoptr (SkCustomerRow) later = NULL;
    g_autoptr (SkCustomerRow) again = NULL;
    g_autoptr (GPtrArray) matches
        = sk_database_search_customers (db, prefix, NULL, 1000, NULL, NULL);
    guint notified = 0;
    guint k;

    g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &a);
    g_signal_connect_swapped (far, "notify::customer", G_CALLBACK (count_cb), &notified);
    sk_customer_list_model_refresh (model);
    g_assert_true (app_wait (not_loading, model, 10000));
    g_assert_cmpuint (a.emissions, ==, 0);
    again = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_true (again == first);
    g_clear_object (&again);
    g_assert_nonnull (sk_customer_row_get_customer (far));
    g_assert_cmpstr (sk_customer_row_get_customer (far)->id, ==,
                     ((SkCustomer *)g_ptr_array_index (all, 2 * SK_CUSTOMER_LIST_PAGE + 50))->id);
    g_assert_cmpuint (notified, ==, 0); /* the same customer: nothing to redraw */

    later = g_list_model_get_item (G_LIST_MODEL (model), 3 * SK_CUSTOMER_LIST_PAGE + 50);
    g_assert_null (sk_customer_row_get_customer (later));
    g_signal_connect_swapped (later, "notify::customer", G_CALLBACK (count_cb), &notified);
    g_assert_true (app_wait (row_shows_customer, later, 10000));
    g_assert_cmpuint (notified, ==, 1);
    g_assert_cmpstr (sk_customer_row_get_customer (later)->id, ==,
                     ((SkCustomer *)g_ptr_array_index (all, 3 * SK_CUSTOMER_LIST_PAGE + 50))->id);
    g_assert_cmpuint (a.emissions, ==, 0);

    search (model, prefix);
    k = g_list_model_get_n_items (G_LIST_MODEL (model));
    g_assert_cmpuint (k, ==, matches->len);
    g_assert_cmpuint (a.emissions, ==, 1);
    g_assert_cmpuint (a.n, ==, k);
    again = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_true (again == first);
    g_clear_object (&again);
    g_assert_cmpstr (sk_customer_row_get_customer (first)->id, ==,
                     ((SkCustomer *)g_ptr_array_index (matches, 0))->id);
    g_signal_handlers_disconnect_by_func (model, items_changed_cb, &a);
  }

  g_clear_object (&model);
  g_clear_object (&repository);
  g_clear_object (&db);
  {
    const char *suffixes[] = { "", "-wal", "-shm" };

    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *p = g_strconcat (path, suffixes[i], NULL);

        g_unlink (p);
      }
  }
}

static void
assert_details_show (SkCustomersView *view, SkDatabase *db, const char *id)
{
  g_autoptr (SkCustomer) c = sk_database_get_customer (db, id, NULL);
  g_autoptr (GPtrArray) purchases = sk_database_list_purchases (db, id, 50, NULL);
  g_autoptr (GPtrArray) ledger = sk_database_list_bonus_transactions (db, id, NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *balance = sk_money_format (c->bonus_balance);
  g_autofree char *name_line = g_strdup_printf ("\n%s\n", c->full_name);

  g_assert_nonnull (sk_customers_view_get_customer (view));
  g_assert_cmpstr (sk_customers_view_get_customer (view)->id, ==, id);
  g_string_append_c (text, '\n');
  app_collect_text (sk_customers_view_get_details (view), text);
  g_assert_nonnull (strstr (text->str, name_line));
  g_assert_nonnull (strstr (text->str, c->phone));
  g_assert_nonnull (strstr (text->str, c->card_number));
  g_assert_nonnull (strstr (text->str, balance));
  g_assert_nonnull (strstr (text->str, "\nSegment History\n"));
  g_assert_nonnull (strstr (text->str, "\nBonus Ledger\n"));
  g_assert_nonnull (strstr (text->str, "\nPurchases\n"));
  if (c->birth_date != NULL)
    {
      /* In the user's locale, not as stored. */
      g_autofree char *birth = sk_date_display_from_iso (c->birth_date);

      g_assert_nonnull (strstr (text->str, birth));
      g_assert_cmpstr (birth, !=, c->birth_date);
    }
  if (ledger->len == 0)
    g_assert_nonnull (strstr (text->str, "No bonus movements yet"));
  if (purchases->len == 0)
    g_assert_nonnull (strstr (text->str, "No purchases yet"));
  else
    {
      SkPurchase      *p = g_ptr_array_index (purchases, 0);
      g_autofree char *paid = sk_money_format (p->total_paid);
      g_autofree char *when = sk_datetime_from_usec (p->created_at);

      /* The newest purchase, with what was paid. */
      g_assert_nonnull (strstr (text->str, when));
      g_assert_nonnull (strstr (text->str, paid));
    }
}

static gboolean
adjust_bonus (SkCustomersView *view, gint64 amount, const char *reason, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  sk_customers_view_adjust_bonus_async (view, amount, reason, NULL, app_keep_result, &result);
  return sk_customers_view_adjust_bonus_finish (view, app_wait_result (&result), error);
}

static gboolean
editor_save (SkCustomerEditor *editor, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  sk_record_editor_save_async (SK_RECORD_EDITOR (editor), NULL, app_keep_result, &result);
  return sk_record_editor_save_finish (SK_RECORD_EDITOR (editor), app_wait_result (&result), error);
}

static gboolean
is_column_view (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

static void
test_view (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (GPtrArray) all = sk_database_search_customers (db, "", NULL, 10, NULL, NULL);
  SkCustomer      *target = g_ptr_array_index (all, 2);
  SkCustomer      *other = g_ptr_array_index (all, 5);
  SkCustomersView *view;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) fresh = NULL;

  sk_window_show_view (f->window, "customers");
  view = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
  g_assert_true (app_wait (not_loading, sk_customers_view_get_model (view), 10000));

  /* The details are read on a worker: nothing changes until they arrive,
   * and choosing another customer meanwhile cancels the first. */
  sk_customers_view_show_customer (view, other->id);
  g_assert_true (sk_customers_view_get_loading_details (view));
  g_assert_null (sk_customers_view_get_customer (view));
  sk_customers_view_show_customer (view, target->id);
  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  app_pump (200);
  assert_details_show (view, db, target->id);
  app_save_png (GTK_WIDGET (view), "customers-details");
  /* Beside the details the list drops the columns it has no room for
   * rather than scrolling sideways. */
  {
    GtkWidget     *list = app_find_widget (GTK_WIDGET (view), is_column_view, NULL);
    GtkAdjustment *h = gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (list));

    app_pump (300);
    g_test_message ("list: %g px of columns in %g px", gtk_adjustment_get_upper (h),
                    gtk_adjustment_get_page_size (h));
    g_assert_cmpfloat (gtk_adjustment_get_upper (h), <=, gtk_adjustment_get_page_size (h) + 1);
  }
  /* Sell, the last of the buttons, stands above the profile, not under it. */
  {
    GtkWidget      *details = sk_customers_view_get_details (view);
    GtkWidget      *sell = app_find_widget (details, app_is_action_button, "customers.sell");
    GtkWidget      *profile = app_find_widget (details, app_is_group, "Profile");
    graphene_rect_t sell_box, profile_box;

    g_assert_nonnull (sell);
    g_assert_nonnull (profile);
    g_assert_true (gtk_widget_compute_bounds (sell, details, &sell_box));
    g_assert_true (gtk_widget_compute_bounds (profile, details, &profile_box));
    g_assert_cmpfloat (sell_box.origin.y + sell_box.size.height, <=, profile_box.origin.y);
  }

  g_assert_true (adjust_bonus (view, 12345, "Goodwill", &error));
  g_assert_no_error (error);
  fresh = sk_database_get_customer (db, target->id, NULL);
  g_assert_cmpint (fresh->bonus_balance, ==, target->bonus_balance + 12345);
  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  assert_details_show (view, db, target->id);
  {
    g_autoptr (GString) text = g_string_new (NULL);

    app_collect_text (sk_customers_view_get_details (view), text);
    g_assert_nonnull (strstr (text->str, "Goodwill"));
  }

  /* Cashiers may not adjust bonuses. */
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_CASHIER);
  g_assert_false (adjust_bonus (view, 100, "x", &error));
  g_assert_nonnull (error);
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_ADMIN);

  /* A search that finds nobody says so where the list was. */
  {
    GtkWidget *none = app_find_label (GTK_WIDGET (view), "No Customers Found");

    g_assert_nonnull (none);
    g_assert_false (gtk_widget_get_mapped (none));
    sk_customers_view_search (view, "Zzzzzz nobody");
    g_assert_true (app_wait (not_loading, sk_customers_view_get_model (view), 10000));
    app_pump (100);
    g_assert_true (gtk_widget_get_mapped (none));
    sk_customers_view_search (view, "");
    g_assert_true (app_wait (not_loading, sk_customers_view_get_model (view), 10000));
    app_pump (100);
    g_assert_false (gtk_widget_get_mapped (none));
  }

  /* A read still under way when the window goes is cancelled, harmlessly. */
  sk_customers_view_show_customer (view, other->id);
}

typedef struct
{
  SkCustomerEditor *editor;
  const char       *name;
} HolderShown;

static gboolean
holder_shown (gpointer data)
{
  HolderShown *h = data;
  const char  *error = sk_record_editor_get_error (SK_RECORD_EDITOR (h->editor));

  return error != NULL && strstr (error, h->name) != NULL;
}

/* The adjustment dialog says what is missing as it is typed, offers Apply
 * only then, and a refusal brings it back with what was typed and why. */
typedef struct
{
  SkDatabase *db;
  const char *id;
  gint64      balance; /* expected */
} Moved;

static gboolean
balance_moved (gpointer data)
{
  Moved *m = data;
  g_autoptr (SkCustomer) c = sk_database_get_customer (m->db, m->id, NULL);

  return c != NULL && c->bonus_balance == m->balance;
}

static void
test_adjust_dialog (AppFixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = sk_database_search_customers (f->db, "", NULL, 10, NULL, NULL);
  SkCustomer *target = g_ptr_array_index (all, 1);
  g_autoptr (SkCustomer) fresh = NULL;
  g_autofree char *too_much
      = g_strdup_printf ("-%" G_GINT64_FORMAT, target->bonus_balance / 100 + 1000);
  SkCustomersView  *view;
  AdwMessageDialog *dialog;
  GtkEditable      *amount, *reason;

  sk_window_show_view (f->window, "customers");
  view = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
  sk_customers_view_show_customer (view, target->id);
  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  gtk_widget_activate_action (GTK_WIDGET (view), "customers.adjust", NULL);
  dialog = app_find_dialog ();
  g_assert_nonnull (dialog);
  amount = sk_entry_dialog_get_entry (dialog, 0);
  reason = sk_entry_dialog_get_entry (dialog, 1);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "apply"));
  gtk_editable_set_text (amount, "abc");
  g_assert_nonnull (sk_entry_dialog_get_error (dialog));
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "apply"));
  gtk_editable_set_text (amount, too_much);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "apply")); /* no reason */
  gtk_editable_set_text (reason, "Broken toy");
  g_assert_null (sk_entry_dialog_get_error (dialog));
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "apply"));

  /* More than the balance: refused by the ledger, the dialog back. */
  /* As its button does: the response, then the dialog closes. */
  adw_message_dialog_response (dialog, "apply");
  gtk_window_close (GTK_WINDOW (dialog));
  app_pump (100);
  g_assert_true (app_wait (app_dialog_shown, NULL, 10000));
  dialog = app_find_dialog ();
  amount = sk_entry_dialog_get_entry (dialog, 0);
  reason = sk_entry_dialog_get_entry (dialog, 1);
  g_assert_cmpstr (gtk_editable_get_text (amount), ==, too_much);
  g_assert_cmpstr (gtk_editable_get_text (reason), ==, "Broken toy");
  g_assert_nonnull (sk_entry_dialog_get_error (dialog));
  g_test_message ("refused: %s", sk_entry_dialog_get_error (dialog));
  fresh = sk_database_get_customer (f->db, target->id, NULL);
  g_assert_cmpint (fresh->bonus_balance, ==, target->bonus_balance);

  /* Return in the reason applies, as the button would. */
  gtk_editable_set_text (amount, "5");
  gtk_editable_set_text (reason, "Gift");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "apply"));
  g_signal_emit_by_name (gtk_editable_get_delegate (reason), "activate");
  g_assert_true (
      app_wait (balance_moved, &(Moved){ f->db, target->id, target->bonus_balance + 500 }, 10000));
  if (app_find_dialog () != NULL)
    gtk_window_close (GTK_WINDOW (app_find_dialog ()));
}

static void
test_editor (AppFixture *f, gconstpointer data)
{
  SkDatabase *db = f->db;
  g_autoptr (GPtrArray) all = sk_database_search_customers (db, "", NULL, 10, NULL, NULL);
  SkCustomer *other = g_ptr_array_index (all, 0);
  g_autoptr (GPtrArray) stores = sk_database_list_stores (db, NULL);
  SkStore          *till_store = g_ptr_array_index (stores, stores->len - 1);
  SkCustomerEditor *editor;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) found = NULL;
  g_auto (GStrv) lines = NULL;
  HolderShown holder = { NULL, other->full_name };

  /* The till's store becomes a new customer's home store. */
  g_settings_set_string (sk_application_get_settings (f->app), "store-id", till_store->id);
  editor = sk_customer_editor_new (GTK_WINDOW (f->window), sk_application_get_repository (f->app),
                                   NULL);
  holder.editor = editor;

  /* Every problem at once: no name, a short phone, a birth in the future. */
  sk_customer_editor_set_text (editor, "phone", "12");
  sk_customer_editor_set_text (editor, "birth_date", "2999-01-01");
  g_assert_false (editor_save (editor, &error));
  g_clear_error (&error);
  g_assert_nonnull (sk_record_editor_get_error (SK_RECORD_EDITOR (editor)));
  lines = g_strsplit (sk_record_editor_get_error (SK_RECORD_EDITOR (editor)), "\n", -1);
  g_test_message ("refused: %s", sk_record_editor_get_error (SK_RECORD_EDITOR (editor)));
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_nonnull (strstr (lines[2], "future"));

  sk_customer_editor_set_text (editor, "name", "Anna Petrova");
  sk_customer_editor_set_text (editor, "birth_date", "");
  sk_customer_editor_set_text (editor, "phone", other->phone); /* taken */
  g_assert_false (editor_save (editor, &error));
  g_clear_error (&error);
  /* Who holds it, by name, not a column name. */
  g_assert_true (app_wait (holder_shown, &holder, 10000));
  g_test_message ("refused: %s", sk_record_editor_get_error (SK_RECORD_EDITOR (editor)));
  sk_customer_editor_set_text (editor, "phone", "8 (999) 555-12-34");
  sk_customer_editor_set_text (editor, "birth_date", "2020-13-45");
  g_assert_false (editor_save (editor, &error));
  g_clear_error (&error);
  /* As the locale writes dates (gtk_test_init's en_US: 05/01/1990; C:
   * 01.05.1990), or in ISO; stored in ISO. */
  {
    g_autofree char *birth = sk_date_display_from_iso ("1990-05-01");
    g_autofree char *misha = sk_date_display_from_iso ("2019-04-01");
    g_autofree char *children = g_strdup_printf ("Misha %s; Masha Ivanova 2021-02-03", misha);

    g_assert_cmpstr (birth, !=, "1990-05-01");
    sk_customer_editor_set_text (editor, "birth_date", birth);
    sk_customer_editor_set_text (editor, "children", children);
  }
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  found = sk_database_lookup_customer (db, "+79995551234", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->full_name, ==, "Anna Petrova");
  g_assert_cmpstr (found->birth_date, ==, "1990-05-01");
  g_assert_cmpuint (g_list_model_get_n_items (sk_customer_get_children (found)), ==, 2);
  {
    g_autoptr (SkChild) misha = g_list_model_get_item (sk_customer_get_children (found), 0);
    g_autoptr (SkChild) masha = g_list_model_get_item (sk_customer_get_children (found), 1);

    g_assert_cmpstr (sk_record_get_string (misha, "name"), ==, "Misha");
    g_assert_cmpstr (sk_record_get_string (misha, "birth_date"), ==, "2019-04-01");
    g_assert_cmpstr (sk_record_get_string (masha, "name"), ==, "Masha Ivanova");
    g_assert_cmpstr (sk_record_get_string (masha, "birth_date"), ==, "2021-02-03");
  }
  g_assert_cmpstr (found->home_store_id, ==, till_store->id);
  gtk_window_destroy (GTK_WINDOW (editor));
  g_settings_reset (sk_application_get_settings (f->app), "store-id");
}

static gboolean
rules_ready (gpointer view)
{
  return !sk_rules_view_get_loading (view);
}

static gboolean
charts_ready (gpointer view)
{
  return !sk_charts_view_is_loading (view);
}

static gboolean
row_shows_name (gpointer row)
{
  SkCustomer *c = sk_customer_row_get_customer (row);

  return c != NULL && g_strcmp0 (c->full_name, "Aaron Aardvark") == 0;
}

/* A customer's edit is announced as that customer's change: the list
 * shows the new name in that customer's row (the same row), the rules and
 * the charts are not read again; a rule's edit does make the rules view
 * read its list again. */
static void
test_changed_only (AppFixture *f, gconstpointer data)
{
  SkRepository        *repository = sk_application_get_repository (f->app);
  SkCustomersView     *view;
  SkRulesView         *rules;
  SkChartsView        *charts;
  SkCustomerEditor    *editor;
  SkCustomerListModel *model;
  g_autoptr (SkCustomerRow) row = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (GError) error = NULL;
  guint rule_reloads, chart_reloads, notified = 0;

  /* Every view built and loaded once. */
  sk_window_show_view (f->window, "rules");
  rules = SK_RULES_VIEW (sk_window_get_view (f->window, "rules"));
  g_assert_true (app_wait (rules_ready, rules, 10000));
  sk_window_show_view (f->window, "charts");
  charts = SK_CHARTS_VIEW (sk_window_get_view (f->window, "charts"));
  app_pump (100);
  g_assert_true (app_wait (charts_ready, charts, 20000));
  sk_window_show_view (f->window, "customers");
  view = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
  model = sk_customers_view_get_model (view);
  g_assert_true (app_wait (not_loading, model, 10000));
  row = g_list_model_get_item (G_LIST_MODEL (model), 0);
  g_assert_true (app_wait (row_shows_customer, row, 10000));
  customer = g_object_ref (sk_customer_row_get_customer (row));
  rule_reloads = sk_rules_view_get_n_reloads (rules);
  chart_reloads = sk_charts_view_get_n_reloads (charts);
  g_signal_connect_swapped (row, "notify::customer", G_CALLBACK (count_cb), &notified);

  /* "Aaron ..." stays first: the row is that customer's still. */
  editor = sk_customer_editor_new (GTK_WINDOW (f->window), repository, customer);
  sk_customer_editor_set_text (editor, "name", "Aaron Aardvark");
  g_assert_true (editor_save (editor, &error));
  g_assert_no_error (error);
  gtk_window_destroy (GTK_WINDOW (editor));
  g_assert_true (app_wait (row_shows_name, row, 10000));
  g_assert_true (app_wait (not_loading, model, 10000));
  app_pump (300);
  g_assert_cmpstr (sk_customer_row_get_customer (row)->id, ==, customer->id);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (sk_rules_view_get_n_reloads (rules), ==, rule_reloads);
  g_assert_cmpuint (sk_charts_view_get_n_reloads (charts), ==, chart_reloads);

  /* A rule's edit: the rules view reads its list again. */
  {
    g_autoptr (SkDiscountRule) shown = g_list_model_get_item (sk_rules_view_get_model (rules), 0);
    g_autoptr (SkDiscountRule) rule = sk_record_copy (SK_RECORD (shown));
    g_autoptr (SkDiscountRule) saved = NULL;
    g_autoptr (GAsyncResult) result = NULL;

    g_object_set (rule, "priority", (gint64)7, NULL);
    sk_repository_save_rule_async (repository, rule, NULL, app_keep_result, &result);
    saved = sk_repository_save_rule_finish (repository, app_wait_result (&result), &error);
    g_assert_no_error (error);
    g_assert_nonnull (saved);
    g_assert_cmpuint (sk_rules_view_get_n_reloads (rules), ==, rule_reloads + 1);
  }
}

/* A scrollbar dragged through the list: GTK asks for the rows of every
 * page it passes, in a burst, then for those where it stops. The pages it
 * stops at are read; most pages passed are never read at all. */
static void
test_drag (AppFixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "drag.db", NULL);
  g_autoptr (SkDatabase) db = sk_database_open (path, NULL);
  g_autoptr (SkRepository) repository = sk_repository_new (path);
  g_autoptr (SkCustomerListModel) model = NULL;
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  SkDemoOptions options = { 8000, 0, 30, 12 };
  const guint   n_pages = 80, n_last = 3;
  guint         read = 0;

  sk_demo_generate (db, &options, NULL, &error);
  g_assert_no_error (error);
  model = sk_customer_list_model_new (repository);
  search (model, "");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), >=,
                    n_pages * SK_CUSTOMER_LIST_PAGE);

  /* The drag: a row of each page passed, the main loop never free. */
  for (guint p = 0; p < n_pages; p++)
    g_ptr_array_add (rows,
                     g_list_model_get_item (G_LIST_MODEL (model), p * SK_CUSTOMER_LIST_PAGE + 7));
  g_assert_true (app_wait (row_shows_customer, g_ptr_array_index (rows, n_pages - 1), 10000));
  app_pump (500);
  /* Where it stopped: shown. */
  for (guint p = n_pages - n_last; p < n_pages; p++)
    g_assert_nonnull (sk_customer_row_get_customer (g_ptr_array_index (rows, p)));
  /* Passed: far fewer read than asked for. */
  for (guint p = 0; p < n_pages; p++)
    read += sk_customer_row_get_customer (g_ptr_array_index (rows, p)) != NULL;
  g_test_message ("%u of %u pages passed were read", read - n_last, n_pages - n_last);
  g_assert_cmpuint (read, <=, n_pages / 2);
}

static gboolean
is_refund_of (GtkWidget *widget, gconstpointer purchase_id)
{
  GVariant *target;

  if (!app_is_action_button (widget, "win.refund"))
    return FALSE;
  target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));
  return purchase_id == NULL
         || (target != NULL && g_strcmp0 (g_variant_get_string (target, NULL), purchase_id) == 0);
}

static gboolean
is_refund_button (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_BUTTON (widget) && gtk_widget_get_mapped (widget)
         && g_str_has_prefix (gtk_button_get_label (GTK_BUTTON (widget)) ?: "", "_Refund ");
}

/* A purchase in the customer's details offers Return…: it opens that
 * sale's return; once it is all returned, the purchase says so and offers
 * it no more. */
static void
test_return (AppFixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = sk_database_search_customers (f->db, "", NULL, 50, NULL, NULL);
  SkCustomer *buyer = NULL;
  g_autoptr (GPtrArray) purchases = NULL;
  g_autoptr (SkCustomer) fresh = NULL;
  SkPurchase      *newest;
  SkCustomersView *view;
  SkRefundWindow  *window;
  GtkWidget       *button;
  gint64           visits;

  g_autoptr (SkCustomerRow) row = NULL;
  g_autoptr (GPtrArray) stores = sk_database_list_stores (f->db, NULL);
  /* No store set: the till sells at the first, and takes back its sales. */
  SkStore *till = g_ptr_array_index (stores, 0);

  for (guint i = 0; i < all->len && buyer == NULL; i++)
    {
      g_autoptr (GPtrArray) bought = sk_database_list_purchases (
          f->db, sk_record_get_id (g_ptr_array_index (all, i)), 50, NULL);
      SkPurchase *last = bought->len > 0 ? g_ptr_array_index (bought, 0) : NULL;

      if (last != NULL && g_str_equal (last->status, "completed")
          && g_str_equal (last->store_id, till->id) && last->bonus_earned > 0
          && last->bonus_spent == 0)
        buyer = g_ptr_array_index (all, i);
    }
  g_assert_nonnull (buyer);
  purchases = sk_database_list_purchases (f->db, buyer->id, 50, NULL);
  newest = g_ptr_array_index (purchases, 0);

  {
    g_autoptr (SkCustomer) now = sk_database_get_customer (f->db, buyer->id, NULL);
    g_autoptr (SkBonusTransaction) spent = NULL;
    g_autoptr (GError) error = NULL;

    if (now->bonus_balance > 0)
      spent = sk_database_bonus_manual (f->db, buyer->id, SK_BONUS_ADJUST, -now->bonus_balance,
                                        "spent elsewhere", NULL, &error);
    g_assert_no_error (error);
  }
  sk_window_show_view (f->window, "customers");
  view = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
  /* Her row in the list, as the cashier found her. */
  search (sk_customers_view_get_model (view), buyer->phone);
  row = g_list_model_get_item (G_LIST_MODEL (sk_customers_view_get_model (view)), 0);
  g_assert_cmpstr (sk_record_get_id (sk_customer_row_get_customer (row)), ==, buyer->id);
  visits = sk_customer_row_get_customer (row)->visits;
  sk_customers_view_show_customer (view, buyer->id);
  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  app_pump (200);
  button = app_find_widget (sk_customers_view_get_details (view), is_refund_of, newest->id);
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  app_pump (100);
  window = app_find_window (f, SK_TYPE_REFUND_WINDOW);
  g_assert_nonnull (window);
  g_assert_true (app_wait (app_refund_sale_shown, window, 10000));

  /* Select All, then Refund: everything of that sale comes back. Her
   * bonuses were spent since (none left): taking back what the sale earned
   * takes her card below zero, and the window says so first. */
  gtk_widget_activate (app_find_button (GTK_WIDGET (window), "Select _All"));
  {
    g_autoptr (GString) text = g_string_new (NULL);

    app_collect_text (GTK_WIDGET (window), text);
    g_assert_nonnull (strstr (text->str, buyer->full_name));
    g_assert_nonnull (strstr (text->str, "its balance goes to −"));
  }
  button = app_find_widget (GTK_WIDGET (window), is_refund_button, NULL);
  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  g_assert_true (app_wait (app_refund_done, window, 10000));
  gtk_window_destroy (GTK_WINDOW (window));

  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  app_pump (200);
  fresh = sk_database_get_customer (f->db, buyer->id, NULL);
  {
    g_autofree char *paid = sk_money_format (newest->total_paid);
    g_autofree char *returned = g_strdup_printf ("paid %s · ", paid);
    g_autofree char *balance = sk_money_format (fresh->bonus_balance);
    g_autoptr (GString) text = g_string_new (NULL);

    app_collect_text (sk_customers_view_get_details (view), text);
    /* The purchase says it came back, and its lines how many. */
    g_assert_nonnull (strstr (text->str, returned));
    g_assert_nonnull (strstr (text->str, " · returned\n"));
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (sk_purchase_get_lines (newest), 0);
      g_autofree char *back
          = g_strdup_printf (" · %" G_GINT64_FORMAT " returned\n", line->quantity);

      g_assert_nonnull (strstr (text->str, back));
    }
    g_assert_nonnull (strstr (text->str, balance));
  }
  g_assert_null (app_find_widget (sk_customers_view_get_details (view), is_refund_of, newest->id));
  /* Her row in the list says the same: one visit fewer, the spending and
   * the balance of now. */
  g_assert_true (app_wait (not_loading, sk_customers_view_get_model (view), 10000));
  g_assert_cmpint (sk_customer_row_get_customer (row)->visits, ==, visits - 1);
  g_assert_cmpint (sk_customer_row_get_customer (row)->visits, ==, fresh->visits);
  g_assert_cmpint (sk_customer_row_get_customer (row)->total_spent, ==, fresh->total_spent);
  g_assert_cmpint (sk_customer_row_get_customer (row)->bonus_balance, ==, fresh->bonus_balance);
  /* Another store's sales are that store's to take back. */
  for (guint i = 0; i < purchases->len; i++)
    {
      SkPurchase *p = g_ptr_array_index (purchases, i);

      if (!g_str_equal (p->store_id, till->id))
        g_assert_null (app_find_widget (sk_customers_view_get_details (view), is_refund_of, p->id));
    }

  /* A cashier is offered no return at all. */
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_CASHIER);
  sk_customers_view_show_customer (view, buyer->id);
  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  g_assert_null (app_find_widget (sk_customers_view_get_details (view), is_refund_of, NULL));
  g_settings_set_enum (sk_application_get_settings (f->app), "role", SK_ROLE_ADMIN);
}

int
main (int argc, char *argv[])
{
  app_test_init (&argc, &argv);
  app_test_add ("/app/customers/model", test_model);
  app_test_add ("/app/customers/pages", test_pages);
  app_test_add ("/app/customers/drag", test_drag);
  app_test_add ("/app/customers/view", test_view);
  app_test_add ("/app/customers/adjust-dialog", test_adjust_dialog);
  app_test_add ("/app/customers/editor", test_editor);
  app_test_add ("/app/customers/changed-only", test_changed_only);
  app_test_add ("/app/customers/return", test_return);
  return g_test_run ();
}
