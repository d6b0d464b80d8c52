/* sk-refund-window.c: a return at the till. The cashier types the receipt
 * number (or picks the sale from the store's latest), sets how many of each
 * line come back, and refunds; the window then says what to pay back. The
 * figures are the core's (sk_refund_figures), the refund the store's, off
 * the main loop.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "sk-receipt.h"
#include "sk-refund-window.h"
#include "sk-sale.h"
#include "sk-widgets.h"

/* As sk_receipt_format prints it. */
#define RECEIPT_DIGITS 8

struct _SkRefundWindow
{
  AdwWindow parent_instance;

  char         *store_id;
  SkStore      *store;   /* its name heads the slip */
  char         *open_id; /* a sale to open as soon as it is read */
  GCancellable *cancellable;
  guint         busy;

  AdwWindowTitle  *title;
  GtkWidget       *back_button;
  AdwToastOverlay *toasts;
  GtkStack        *stack;

  /* Finding the sale */
  GtkSearchEntry *search;
  GtkLabel       *hint; /* what to type, and whether HQ is there for other tills' sales */
  GtkStack       *results;
  GtkListBox     *sales_list;
  AdwStatusPage  *no_sales;
  GPtrArray      *sales;       /* SkPurchase, as listed */
  char           *shown_query; /* what the list was found for */
  gboolean        open_single; /* Enter was pressed before the answer came */

  /* The sale */
  SkPurchase          *purchase;
  SkCustomer          *customer; /* the sale's, once read: whose card it is */
  AdwPreferencesGroup *lines_group;
  GPtrArray           *rows;  /* the lines' rows */
  GPtrArray           *spins; /* GtkSpinButton per line; NULL where nothing is left */
  GtkWidget           *figures_group;
  AdwActionRow        *money_row, *returned_row, *reversed_row;
  GtkWidget           *all_button, *refund_button;
  char                *refund_id; /* one per sale opened: a retry replays it */
  gboolean             refunding;

  /* Done */
  AdwStatusPage *done_page;
  GtkWidget     *done_button;
  char          *slip; /* the return's slip, to print */
};

G_DEFINE_FINAL_TYPE (SkRefundWindow, sk_refund_window, ADW_TYPE_WINDOW)

static void
set_busy (SkRefundWindow *self, gboolean busy)
{
  self->busy += busy ? 1 : -1;
}

static char *
receipt_number (SkPurchase *purchase)
{
  return g_strndup (sk_record_get_id (purchase), RECEIPT_DIGITS);
}

/* Finding the sale */

static void open_sale (SkRefundWindow *self, SkPurchase *purchase);

static char *
sale_summary (SkPurchase *purchase)
{
  GListModel      *lines = sk_purchase_get_lines (purchase);
  guint            n = g_list_model_get_n_items (lines);
  g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (purchase, "created_at"));
  g_autofree char *items = NULL;

  if (n == 0)
    return g_steal_pointer (&when);
  {
    g_autoptr (SkPurchaseLine) first = g_list_model_get_item (lines, 0);

    items = n == 1
                ? g_strdup (sk_record_get_string (first, "name"))
                : g_strdup_printf (ngettext ("%s and %u more item", "%s and %u more items", n - 1),
                                   sk_record_get_string (first, "name"), n - 1);
  }
  return g_strdup_printf ("%s · %s", when, items);
}

static const char *
status_text (SkPurchase *purchase)
{
  const char *status = sk_record_get_string (purchase, "status");

  if (g_strcmp0 (status, "refunded") == 0)
    return C_ ("sale", "Returned");
  if (g_strcmp0 (status, "partially_refunded") == 0)
    return C_ ("sale", "Partly returned");
  return NULL;
}

static GtkWidget *
sale_row_new (SkPurchase *purchase)
{
  GtkWidget       *row = adw_action_row_new ();
  g_autofree char *number = receipt_number (purchase);
  g_autofree char *title = g_strdup_printf (_ ("Receipt %s"), number);
  g_autofree char *summary = sale_summary (purchase);
  g_autofree char *paid = sk_money_format (sk_record_get_int64 (purchase, "total_paid"));
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget       *label = gtk_label_new (paid);
  const char      *status = status_text (purchase);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), summary);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (label, "numeric");
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_box_append (GTK_BOX (box), label);
  if (status != NULL)
    {
      label = gtk_label_new (status);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "caption");
      gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_box_append (GTK_BOX (box), label);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), box);
  return row;
}

static void
show_sales (SkRefundWindow *self, GPtrArray *sales, const char *query)
{
  GtkWidget *child;
  gboolean   offline;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sales_list))) != NULL)
    gtk_list_box_remove (self->sales_list, child);
  g_clear_pointer (&self->sales, g_ptr_array_unref);
  self->sales = g_ptr_array_ref (sales);
  g_free (self->shown_query);
  self->shown_query = g_strdup (query);
  for (guint i = 0; i < sales->len; i++)
    gtk_list_box_append (self->sales_list, sale_row_new (g_ptr_array_index (sales, i)));
  /* Offline, the till has its own sales and the store's it kept at its
   * last sync: a newer sale of another till waits for HQ. */
  offline
      = sk_app_repository () != NULL && sk_repository_get_hq_out_of_reach (sk_app_repository ());
  gtk_label_set_label (self->hint,
                       offline ? _ ("HQ cannot be reached: this store's sales are found up to the "
                                    "last sync, a newer sale of another till once HQ is back.")
                               : _ ("Type the receipt number printed on the receipt, or pick the "
                                    "sale from this store's latest."));
  if (sales->len == 0)
    {
      g_autofree char *text
          = *query != '\0'
                ? g_strdup_printf (_ ("No sale at this store has a receipt number starting with "
                                      "“%s”."),
                                   query)
                : g_strdup (_ ("This store has no sales yet."));

      adw_status_page_set_description (self->no_sales, text);
    }
  gtk_stack_set_visible_child_name (self->results, sales->len > 0 ? "list" : "none");
}

typedef struct
{
  SkRefundWindow *self;
  char           *query;
} Find;

static void
find_free (Find *find)
{
  g_object_unref (find->self);
  g_free (find->query);
  g_free (find);
}

static void
found_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Find           *find = user_data;
  SkRefundWindow *self = find->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sales
      = sk_repository_find_sales_finish (SK_REPOSITORY (source), result, &error);

  set_busy (self, FALSE);
  if (sales == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sk_widget_toast_error (GTK_WIDGET (self->toasts), error);
      find_free (find);
      return;
    }
  if (self->open_id != NULL)
    {
      g_autofree char *id = g_steal_pointer (&self->open_id);

      if (sales->len == 1 && g_str_equal (sk_record_get_id (g_ptr_array_index (sales, 0)), id))
        open_sale (self, g_ptr_array_index (sales, 0));
      else
        sk_widget_toast (GTK_WIDGET (self->toasts), _ ("This sale was not made at this store"));
      find_free (find);
      return;
    }
  /* An answer to an older query than the entry's: a newer one follows. */
  if (g_str_equal (find->query, gtk_editable_get_text (GTK_EDITABLE (self->search))))
    {
      show_sales (self, sales, find->query);
      if (self->open_single && sales->len == 1)
        open_sale (self, g_ptr_array_index (sales, 0));
      else if (self->open_single && sales->len > 1)
        gtk_widget_grab_focus (gtk_widget_get_first_child (GTK_WIDGET (self->sales_list)));
      self->open_single = FALSE;
    }
  find_free (find);
}

static void
find (SkRefundWindow *self, const char *query)
{
  SkRepository *repository = sk_app_repository ();
  Find         *find;

  if (repository == NULL)
    return;
  sk_cancellable_renew (&self->cancellable);
  find = g_new0 (Find, 1);
  find->self = g_object_ref (self);
  find->query = g_strdup (query);
  set_busy (self, TRUE);
  sk_repository_find_sales_async (repository, self->store_id, query, self->cancellable, found_cb,
                                  find);
}

static void
search_changed_cb (SkRefundWindow *self)
{
  find (self, gtk_editable_get_text (GTK_EDITABLE (self->search)));
}

/* Enter: the one sale the number names opens; with several, the list. */
static void
search_activate_cb (SkRefundWindow *self)
{
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search));
  GtkWidget  *first;

  if (g_strcmp0 (query, self->shown_query) != 0)
    {
      /* Typed faster than the list follows: decided when it comes. */
      self->open_single = TRUE;
      return;
    }
  if (self->sales != NULL && self->sales->len == 1)
    open_sale (self, g_ptr_array_index (self->sales, 0));
  else if ((first = gtk_widget_get_first_child (GTK_WIDGET (self->sales_list))) != NULL)
    gtk_widget_grab_focus (first);
}

static void
sale_activated_cb (GtkListBox *list, GtkListBoxRow *row, SkRefundWindow *self)
{
  int i = gtk_list_box_row_get_index (row);

  if (self->sales != NULL && i >= 0 && (guint)i < self->sales->len)
    open_sale (self, g_ptr_array_index (self->sales, i));
}

/* The sale */

static gint64 *
chosen_quantities (SkRefundWindow *self)
{
  gint64 *quantities = g_new0 (gint64, MAX (self->spins->len, 1));

  for (guint i = 0; i < self->spins->len; i++)
    {
      GtkSpinButton *spin = g_ptr_array_index (self->spins, i);
      const char    *text;
      gint64         typed;
      double         max;

      if (spin == NULL)
        continue;
      /* As typed, before Enter commits it: the figures follow the keys. */
      text = gtk_editable_get_text (GTK_EDITABLE (spin));
      gtk_spin_button_get_range (spin, NULL, &max);
      if (g_ascii_string_to_signed (text, 10, 0, (gint64)max, &typed, NULL))
        quantities[i] = typed;
      else
        quantities[i] = gtk_spin_button_get_value_as_int (spin);
    }
  return quantities;
}

gboolean
sk_refund_window_get_figures (SkRefundWindow *self,
                              gint64         *money_back,
                              gint64         *bonus_returned,
                              gint64         *bonus_reversed)
{
  g_autofree gint64 *quantities = NULL;
  SkRefundFigures    figures = { 0 };
  gboolean           any;

  g_return_val_if_fail (SK_IS_REFUND_WINDOW (self), FALSE);

  if (self->purchase == NULL)
    return FALSE;
  quantities = chosen_quantities (self);
  any = sk_refund_figures (self->purchase, quantities, &figures);
  if (money_back != NULL)
    *money_back = figures.money_back;
  if (bonus_returned != NULL)
    *bonus_returned = figures.bonus_returned;
  if (bonus_reversed != NULL)
    *bonus_reversed = figures.bonus_reversed;
  return any;
}

static void
set_money (AdwActionRow *row, gint64 amount, gboolean shown)
{
  g_autofree char *text = sk_money_format (amount);

  gtk_label_set_text (g_object_get_data (G_OBJECT (row), "amount"), text);
  gtk_widget_set_visible (GTK_WIDGET (row), shown);
}

static void
update_figures (SkRefundWindow *self)
{
  gint64           money = 0, returned = 0, reversed = 0;
  gboolean         any = sk_refund_window_get_figures (self, &money, &returned, &reversed);
  gboolean         customer = sk_record_get_string (self->purchase, "customer_id") != NULL;
  g_autofree char *amount = sk_money_format (money);
  g_autofree char *label
      = any ? g_strdup_printf (_ ("_Refund %s"), amount) : g_strdup (_ ("_Refund"));

  set_money (self->money_row, money, TRUE);
  set_money (self->returned_row, returned, customer && returned > 0);
  set_money (self->reversed_row, -reversed, customer && reversed > 0);
  /* Bonuses earned on the sale and spent since: the card goes below zero
   * (SPEC 6 lets a balance do so); the cashier can tell the customer. */
  {
    gint64 balance = self->customer ? sk_record_get_int64 (self->customer, "bonus_balance") : 0;
    gint64 after = balance + returned - reversed;
    g_autofree char *has = sk_money_format (balance);
    g_autofree char *goes = sk_money_format (after);
    g_autofree char *warning
        = self->customer != NULL && reversed > 0 && after < 0
              ? g_strdup_printf (_ ("The card has %s: its balance goes to %s"), has, goes)
              : NULL;

    adw_action_row_set_subtitle (self->reversed_row, warning ? warning : "");
  }
  gtk_button_set_label (GTK_BUTTON (self->refund_button), label);
  gtk_widget_set_sensitive (self->refund_button, any && self->busy == 0);
}

static void refund (SkRefundWindow *self);

/* Enter in a quantity takes it and goes on: to the next line's, and after
 * the last to Refund, where one more Enter pays out; money never goes on
 * the Enter that ends a number. GTK 4.8's spin button has no activate
 * signal of its own: its text has. */
static void
spin_activate_cb (GtkText *text, SkRefundWindow *self)
{
  GtkWidget *spin = gtk_widget_get_parent (GTK_WIDGET (text));
  gboolean   after = FALSE;

  gtk_spin_button_update (GTK_SPIN_BUTTON (spin));
  for (guint i = 0; i < self->spins->len; i++)
    {
      GtkWidget *next = g_ptr_array_index (self->spins, i);

      if (after && next != NULL)
        {
          gtk_widget_grab_focus (next);
          return;
        }
      after |= next == spin;
    }
  gtk_widget_grab_focus (gtk_widget_get_sensitive (self->refund_button) ? self->refund_button
                                                                        : self->all_button);
}

static GtkWidget *
line_row_new (SkRefundWindow *self, SkPurchaseLine *line)
{
  GtkWidget       *row = adw_action_row_new ();
  gint64           quantity = sk_record_get_int64 (line, "quantity");
  gint64           left = sk_refund_line_left (line);
  g_autofree char *paid = sk_money_format (sk_record_get_int64 (line, "total"));
  g_autofree char *subtitle = NULL;
  const char      *name = sk_record_get_string (line, "name");

  /* TRANSLATORS: a returned sale's line: "bought 2 · 6 648,10 ₽ after
   * discounts" (what the line cost once its discounts were taken off). */
  subtitle = g_strdup_printf (_ ("bought %" PRId64 " · %s after discounts"), quantity, paid);
  if (left < quantity)
    {
      g_autofree char *with
          = g_strdup_printf (_ ("%s · %" PRId64 " returned before"), subtitle, quantity - left);

      g_free (subtitle);
      subtitle = g_steal_pointer (&with);
    }
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 3);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  /* Tab goes from quantity to quantity. */
  gtk_widget_set_focusable (row, FALSE);
  if (left > 0)
    {
      GtkWidget *spin = gtk_spin_button_new_with_range (0, (double)left, 1);

      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
      gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                      -1);
      g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (update_figures), self);
      g_signal_connect_swapped (spin, "changed", G_CALLBACK (update_figures), self);
      for (GtkWidget *child = gtk_widget_get_first_child (spin); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        if (GTK_IS_TEXT (child))
          g_signal_connect_after (child, "activate", G_CALLBACK (spin_activate_cb), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
      g_ptr_array_add (self->spins, spin);
    }
  else
    {
      GtkWidget *label = gtk_label_new (C_ ("sale", "Returned"));

      gtk_widget_add_css_class (label, "dim-label");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      g_ptr_array_add (self->spins, NULL);
    }
  return row;
}

static void
clear_lines (SkRefundWindow *self)
{
  g_ptr_array_set_size (self->spins, 0);
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->lines_group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
}

static void
show_page (SkRefundWindow *self, const char *page)
{
  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (self->back_button, g_str_equal (page, "sale"));
  if (g_str_equal (page, "find"))
    {
      adw_window_title_set_subtitle (self->title, NULL);
      gtk_widget_grab_focus (GTK_WIDGET (self->search));
    }
}

/* The sale's customer, said under its lines: whose card the bonuses go
 * back to, or come off. */
static void
customer_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkRefundWindow) self = user_data;
  g_autoptr (SkCustomer) customer
      = sk_repository_get_customer_finish (SK_REPOSITORY (source), result, NULL);
  g_autofree char *text = NULL;
  const char      *card;

  if (customer == NULL || self->purchase == NULL
      || g_strcmp0 (sk_record_get_id (customer),
                    sk_record_get_string (self->purchase, "customer_id"))
             != 0)
    return;
  g_set_object (&self->customer, customer);
  card = sk_record_get_string (customer, "card_number");
  text = card != NULL ? g_strdup_printf (_ ("%s, card %s"),
                                         sk_record_get_string (customer, "full_name"), card)
                      : g_strdup (sk_record_get_string (customer, "full_name"));
  /* A description wraps where a phone would cut a title. */
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->figures_group), _ ("Customer"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->figures_group), text);
  update_figures (self);
}

static void
open_sale (SkRefundWindow *self, SkPurchase *purchase)
{
  GListModel      *lines = sk_purchase_get_lines (purchase);
  g_autofree char *number = receipt_number (purchase);
  g_autofree char *subtitle = g_strdup_printf (_ ("Receipt %s"), number);
  g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (purchase, "created_at"));
  g_autofree char *paid = sk_money_format (sk_record_get_int64 (purchase, "total_paid"));
  g_autofree char *description = g_strdup_printf (_ ("Sold %s, paid %s"), when, paid);
  gboolean         focused = FALSE;

  g_set_object (&self->purchase, purchase);
  g_clear_object (&self->customer);
  adw_preferences_group_set_title (
      ADW_PREFERENCES_GROUP (self->figures_group),
      sk_record_get_string (purchase, "customer_id") == NULL ? _ ("Anonymous sale") : "");
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->figures_group), NULL);
  if (sk_record_get_string (purchase, "customer_id") != NULL && sk_app_repository () != NULL)
    sk_repository_get_customer_async (sk_app_repository (),
                                      sk_record_get_string (purchase, "customer_id"),
                                      self->cancellable, customer_cb, g_object_ref (self));
  g_free (self->refund_id);
  self->refund_id = g_uuid_string_random ();
  clear_lines (self);
  adw_preferences_group_set_description (self->lines_group, description);
  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (lines, i);
      GtkWidget *row = line_row_new (self, line);

      adw_preferences_group_add (self->lines_group, row);
      g_ptr_array_add (self->rows, row);
    }
  adw_window_title_set_subtitle (self->title, subtitle);
  update_figures (self);
  show_page (self, "sale");
  for (guint i = 0; i < self->spins->len && !focused; i++)
    if (g_ptr_array_index (self->spins, i) != NULL)
      focused = gtk_widget_grab_focus (g_ptr_array_index (self->spins, i));
  gtk_widget_set_sensitive (self->all_button, focused);
  if (!focused)
    sk_widget_toast (GTK_WIDGET (self->toasts), _ ("Everything in this sale was already returned"));
}

static void
return_all (SkRefundWindow *self)
{
  for (guint i = 0; i < self->spins->len; i++)
    {
      GtkSpinButton *spin = g_ptr_array_index (self->spins, i);
      double         max;

      if (spin == NULL)
        continue;
      gtk_spin_button_get_range (spin, NULL, &max);
      gtk_spin_button_set_value (spin, max);
    }
  if (gtk_widget_get_sensitive (self->refund_button))
    gtk_widget_grab_focus (self->refund_button);
}

/* Done */

static void
show_done (SkRefundWindow *self, const SkRefundFigures *figures, SkPurchase *after)
{
  g_autofree char *money = sk_money_format (figures->money_back);
  g_autofree char *title = figures->money_back > 0 ? g_strdup_printf (_ ("Pay Back %s"), money)
                                                   : g_strdup (_ ("Refund Made"));
  g_autoptr (GString) text = g_string_new (NULL);

  if (figures->bonus_returned > 0)
    {
      g_autofree char *amount = sk_money_format (figures->bonus_returned);

      /* The slip's words (sk_receipt_format_refund). */
      g_string_append_printf (text, _ ("Bonuses back to the card: %s\n"), amount);
    }
  if (figures->bonus_reversed > 0)
    {
      g_autofree char *amount = sk_money_format (figures->bonus_reversed);

      g_string_append_printf (text, _ ("Bonuses taken back: −%s\n"), amount);
    }
  g_string_append (text, g_strcmp0 (sk_record_get_string (after, "status"), "refunded") == 0
                             ? _ ("The whole sale is returned.")
                             : _ ("The rest of the sale stays sold."));
  adw_status_page_set_title (self->done_page, title);
  adw_status_page_set_description (self->done_page, text->str);
  show_page (self, "done");
  gtk_widget_grab_focus (self->done_button);
}

typedef struct
{
  SkRefundWindow *self;
  SkRefundFigures figures;
  gint64         *quantities;
} Refunding;

static void
refunded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Refunding      *r = user_data;
  SkRefundWindow *self = r->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchase) after
      = sk_repository_refund_finish (SK_REPOSITORY (source), result, &error);

  set_busy (self, FALSE);
  self->refunding = FALSE;
  gtk_widget_set_sensitive (self->all_button, TRUE);
  if (after == NULL)
    {
      update_figures (self);
      sk_widget_toast_error (GTK_WIDGET (self->toasts), error);
    }
  else
    {
      /* Of the sale as it was before this return, which the lines count. */
      g_free (self->slip);
      self->slip = sk_receipt_format_refund (self->purchase, r->quantities, &r->figures,
                                             self->store, sk_time_now ());
      show_done (self, &r->figures, after);
    }
  g_object_unref (self);
  g_free (r->quantities);
  g_free (r);
}

static void
refund (SkRefundWindow *self)
{
  SkRepository *repository = sk_app_repository ();
  gint64       *quantities;
  g_autoptr (GArray) lines = NULL;
  Refunding *r;

  if (repository == NULL || self->purchase == NULL || self->busy > 0)
    return;
  r = g_new0 (Refunding, 1);
  quantities = chosen_quantities (self);
  r->quantities = quantities;
  if (!sk_refund_figures (self->purchase, quantities, &r->figures))
    {
      g_free (r->quantities);
      g_free (r);
      return;
    }
  lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
  for (guint i = 0; i < self->spins->len; i++)
    if (quantities[i] > 0)
      {
        SkRefundLine line = { i + 1, quantities[i] };

        g_array_append_val (lines, line);
      }
  r->self = g_object_ref (self);
  set_busy (self, TRUE);
  self->refunding = TRUE;
  gtk_widget_set_sensitive (self->refund_button, FALSE);
  gtk_widget_set_sensitive (self->all_button, FALSE);
  sk_repository_refund_async (repository, self->refund_id, sk_record_get_id (self->purchase), lines,
                              NULL, refunded_cb, r);
}

/* Escape and Alt+Left: from the sale back to the search, from the search
 * out. */
static void
back_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkRefundWindow *self = SK_REFUND_WINDOW (widget);

  if (self->refunding)
    return;
  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "sale"))
    show_page (self, "find");
  else if (!g_str_equal (action_name, "refund.back"))
    gtk_window_close (GTK_WINDOW (self));
}

const char *
sk_refund_window_get_page (SkRefundWindow *self)
{
  g_return_val_if_fail (SK_IS_REFUND_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

gboolean
sk_refund_window_get_busy (SkRefundWindow *self)
{
  g_return_val_if_fail (SK_IS_REFUND_WINDOW (self), FALSE);
  return self->busy > 0;
}

guint
sk_refund_window_get_n_sales (SkRefundWindow *self)
{
  g_return_val_if_fail (SK_IS_REFUND_WINDOW (self), 0);
  return self->sales != NULL ? self->sales->len : 0;
}

const char *
sk_refund_window_get_slip (SkRefundWindow *self)
{
  g_return_val_if_fail (SK_IS_REFUND_WINDOW (self), NULL);
  return self->slip;
}

static void
store_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkRefundWindow) self = user_data;

  self->store = sk_repository_get_store_finish (SK_REPOSITORY (source), result, NULL);
}

SkRefundWindow *
sk_refund_window_new (GtkWindow *parent, const char *store_id, const char *purchase_id)
{
  SkRefundWindow *self
      = g_object_new (SK_TYPE_REFUND_WINDOW, "transient-for", parent, "modal", TRUE, NULL);

  sk_window_fit_parent (GTK_WINDOW (self));
  self->store_id = g_strdup (store_id);
  if (sk_app_repository () != NULL)
    sk_repository_get_store_async (sk_app_repository (), store_id, NULL, store_cb,
                                   g_object_ref (self));
  if (purchase_id != NULL)
    {
      self->open_id = g_strdup (purchase_id);
      find (self, purchase_id);
    }
  else
    find (self, "");
  return self;
}

/* A refund being recorded is seen through (it takes milliseconds): the
 * window stays until it says what to pay back. */
static gboolean
sk_refund_window_close_request (GtkWindow *window)
{
  return SK_REFUND_WINDOW (window)->refunding;
}

static void
sk_refund_window_dispose (GObject *object)
{
  SkRefundWindow *self = SK_REFUND_WINDOW (object);

  sk_cancellable_clear (&self->cancellable);
  g_clear_object (&self->purchase);
  g_clear_object (&self->customer);
  g_clear_object (&self->store);
  g_clear_pointer (&self->sales, g_ptr_array_unref);
  G_OBJECT_CLASS (sk_refund_window_parent_class)->dispose (object);
}

static void
sk_refund_window_finalize (GObject *object)
{
  SkRefundWindow *self = SK_REFUND_WINDOW (object);

  g_ptr_array_unref (self->spins);
  g_ptr_array_unref (self->rows);
  g_free (self->store_id);
  g_free (self->open_id);
  g_free (self->shown_query);
  g_free (self->refund_id);
  g_free (self->slip);
  G_OBJECT_CLASS (sk_refund_window_parent_class)->finalize (object);
}

static void
sk_refund_window_class_init (SkRefundWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_refund_window_dispose;
  object_class->finalize = sk_refund_window_finalize;
  GTK_WINDOW_CLASS (klass)->close_request = sk_refund_window_close_request;
  gtk_widget_class_install_action (widget_class, "refund.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "refund.escape", NULL, back_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "refund.escape", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "refund.back",
                                       NULL);
}

/* A page's content, centred and no wider than a form reads well. */
static GtkWidget *
clamped_page (GtkWidget *content)
{
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 640);
  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 12);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  adw_clamp_set_child (ADW_CLAMP (clamp), content);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_widget_set_vexpand (scrolled, TRUE);
  return scrolled;
}

static GtkWidget *
find_page_new (SkRefundWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *label = gtk_label_new (_ ("Type the receipt number printed on the receipt, or pick "
                                       "the sale from this store's latest."));
  GtkWidget *page;

  self->hint = GTK_LABEL (label);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "dim-label");
  self->search = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->search, "placeholder-text", _ ("Receipt number"), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Receipt number"), -1);
  g_signal_connect_swapped (self->search, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect_swapped (self->search, "activate", G_CALLBACK (search_activate_cb), self);
  g_signal_connect_swapped (self->search, "stop-search", G_CALLBACK (gtk_window_close), self);

  self->sales_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->sales_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->sales_list), "boxed-list");
  gtk_widget_set_valign (GTK_WIDGET (self->sales_list), GTK_ALIGN_START);
  g_signal_connect (self->sales_list, "row-activated", G_CALLBACK (sale_activated_cb), self);

  self->no_sales = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_title (self->no_sales, _ ("No Sales Found"));
  gtk_widget_add_css_class (GTK_WIDGET (self->no_sales), "compact");

  self->results = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->results, clamped_page (GTK_WIDGET (self->sales_list)), "list");
  gtk_stack_add_named (self->results, GTK_WIDGET (self->no_sales), "none");
  gtk_widget_set_vexpand (GTK_WIDGET (self->results), TRUE);

  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->search));
  {
    GtkWidget *clamp = adw_clamp_new ();

    adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 640);
    gtk_widget_set_margin_top (box, 12);
    gtk_widget_set_margin_start (box, 12);
    gtk_widget_set_margin_end (box, 12);
    adw_clamp_set_child (ADW_CLAMP (clamp), box);
    page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
    gtk_box_append (GTK_BOX (page), clamp);
    gtk_box_append (GTK_BOX (page), GTK_WIDGET (self->results));
  }
  return page;
}

static AdwActionRow *
figure_row_new (GtkWidget *group, const char *title)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *amount = gtk_label_new (NULL);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_focusable (row, FALSE);
  gtk_widget_add_css_class (amount, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), amount);
  g_object_set_data (G_OBJECT (row), "amount", amount);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return ADW_ACTION_ROW (row);
}

static GtkWidget *
sale_page_new (SkRefundWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  /* One under another, as wide as the lines: they fit a phone, and the
   * Refund button's amount changes no one's place. */
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  self->lines_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->lines_group, _ ("What Comes Back"));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->lines_group));

  self->figures_group = adw_preferences_group_new ();
  self->money_row = figure_row_new (self->figures_group, _ ("Pay back"));
  gtk_widget_add_css_class (g_object_get_data (G_OBJECT (self->money_row), "amount"), "heading");
  self->returned_row = figure_row_new (self->figures_group, _ ("Bonuses back to the card"));
  self->reversed_row = figure_row_new (self->figures_group, _ ("Bonuses taken back"));
  gtk_box_append (GTK_BOX (box), self->figures_group);

  /* It chooses, Refund does: "Return All" read as "refund it all now". */
  self->all_button = gtk_button_new_with_mnemonic (_ ("Select _All"));
  g_signal_connect_swapped (self->all_button, "clicked", G_CALLBACK (return_all), self);
  /* Alt+A: at once, not after the press a button's key activation shows
   * (250 ms), so that the Enter typed next refunds it all. */
  g_signal_connect_swapped (self->all_button, "activate", G_CALLBACK (return_all), self);
  self->refund_button = gtk_button_new_with_mnemonic (_ ("_Refund"));
  gtk_widget_add_css_class (self->refund_button, "destructive-action");
  g_signal_connect_swapped (self->refund_button, "clicked", G_CALLBACK (refund), self);
  gtk_widget_add_css_class (self->all_button, "pill");
  gtk_widget_add_css_class (self->refund_button, "pill");
  gtk_box_append (GTK_BOX (buttons), self->refund_button);
  gtk_box_append (GTK_BOX (buttons), self->all_button);
  gtk_box_append (GTK_BOX (box), buttons);
  return clamped_page (box);
}

static void
print_slip (SkRefundWindow *self)
{
  if (self->slip != NULL)
    sk_receipt_print (GTK_WINDOW (self), self->slip);
  /* Enter, next, closes: it does not print again. */
  gtk_widget_grab_focus (self->done_button);
}

static GtkWidget *
done_page_new (SkRefundWindow *self)
{
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *print = gtk_button_new_with_mnemonic (_ ("_Print Slip"));

  self->done_page = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->done_page, "emblem-ok-symbolic");
  self->done_button = gtk_button_new_with_mnemonic (_ ("_Done"));
  gtk_widget_add_css_class (self->done_button, "pill");
  gtk_widget_add_css_class (self->done_button, "suggested-action");
  g_signal_connect_swapped (self->done_button, "clicked", G_CALLBACK (gtk_window_close), self);
  gtk_widget_add_css_class (print, "pill");
  g_signal_connect_swapped (print, "clicked", G_CALLBACK (print_slip), self);
  gtk_box_set_homogeneous (GTK_BOX (buttons), TRUE);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (buttons), print);
  gtk_box_append (GTK_BOX (buttons), self->done_button);
  adw_status_page_set_child (self->done_page, buttons);
  return GTK_WIDGET (self->done_page);
}

static void
sk_refund_window_init (SkRefundWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();

  self->spins = g_ptr_array_new ();
  self->rows = g_ptr_array_new ();
  gtk_window_set_title (GTK_WINDOW (self), _ ("Return a Sale"));
  gtk_window_set_default_size (GTK_WINDOW (self), 560, 620);

  self->title = ADW_WINDOW_TITLE (adw_window_title_new (_ ("Return a Sale"), NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  self->back_button = gtk_button_new_from_icon_name ("go-previous-symbolic");
  gtk_widget_set_tooltip_text (self->back_button, _ ("Back to the sales"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->back_button), "refund.back");
  gtk_widget_set_visible (self->back_button, FALSE);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), self->back_button);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->stack, GTK_STACK_TRANSITION_TYPE_SLIDE_LEFT_RIGHT);
  gtk_stack_add_named (self->stack, find_page_new (self), "find");
  gtk_stack_add_named (self->stack, sale_page_new (self), "sale");
  gtk_stack_add_named (self->stack, done_page_new (self), "done");
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, GTK_WIDGET (self->stack));
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->toasts));
  adw_window_set_content (ADW_WINDOW (self), box);
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->search));
}
