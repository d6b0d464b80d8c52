/* sk-customers-view.c: the customers list (lazy, searched as you type off
 * the main thread) and one customer's profile, statistics, segment history,
 * bonus ledger, purchases and notifications (also read off the main thread); edit and
 * manual bonus adjustment.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "sk-cell-label.h"
#include "sk-checkout-view.h"
#include "sk-customer-editor.h"
#include "sk-customers-view.h"
#include "sk-entry-dialog.h"
#include "sk-money.h"
#include "sk-notification-history.h"
#include "sk-widgets.h"
#include "sk-window.h"

struct _SkCustomersView
{
  AdwBin parent_instance;

  AdwLeaflet     *leaflet;
  GtkSearchEntry *search_entry;
  GtkWidget      *new_button;
  GtkLabel       *count_label;
  GtkWidget      *scroller;
  GtkStack       *list_stack;
  GtkColumnView  *column_view;
  GtkStack       *details_stack;
  GtkBox         *details_box;

  SkCustomerListModel *model;
  GtkSingleSelection  *selection;
  SkCustomer          *customer;
  /* The customer whose details are being read, and how to stop that. */
  char         *loading_id;
  GCancellable *details_cancellable;
  gboolean      loaded;
  GCancellable *cancellable; /* adjustments */
  /* "Searching…" is shown only for a search that takes a while. */
  guint searching_id;
  /* Enter in the search (a card scanned): the first found is opened, and
   * beside the list the search keeps the focus for the next card. */
  gboolean open_first;
  gboolean keep_search_focus;
  /* The store this till sells at: its sales are the ones it takes back. */
  char *till_store_id;
};

G_DEFINE_FINAL_TYPE (SkCustomersView, sk_customers_view, ADW_TYPE_BIN)

SkCustomerListModel *
sk_customers_view_get_model (SkCustomersView *self)
{
  return self->model;
}

GtkWidget *
sk_customers_view_get_scroller (SkCustomersView *self)
{
  return self->scroller;
}

void
sk_customers_view_search (SkCustomersView *self, const char *query)
{
  g_return_if_fail (SK_IS_CUSTOMERS_VIEW (self));
  if (self->model == NULL)
    return;
  sk_customer_list_model_set_query (self->model, query);
}

static char *
cell_name (gpointer item)
{
  return g_strdup (sk_record_get_string (item, "full_name"));
}

static char *
cell_phone (gpointer item)
{
  return g_strdup (sk_record_get_string (item, "phone"));
}

static char *
cell_card (gpointer item)
{
  return g_strdup (sk_record_get_string (item, "card_number"));
}

static char *
cell_segment (gpointer item)
{
  if (sk_record_get_id (item) == NULL)
    return NULL;
  return g_strdup (sk_segment_display_name (sk_record_get_string (item, "segment")));
}

static char *
cell_visits (gpointer item)
{
  if (sk_record_get_id (item) == NULL)
    return NULL;
  return g_strdup_printf ("%" G_GINT64_FORMAT, sk_record_get_int64 (item, "visits"));
}

static char *
cell_spent (gpointer item)
{
  if (sk_record_get_id (item) == NULL)
    return NULL;
  return sk_money_format (sk_record_get_int64 (item, "total_spent"));
}

static char *
cell_balance (gpointer item)
{
  if (sk_record_get_id (item) == NULL)
    return NULL;
  return sk_money_format (sk_record_get_int64 (item, "bonus_balance"));
}

static char *
cell_last (gpointer item)
{
  if (sk_record_get_id (item) == NULL)
    return NULL;
  return sk_datetime_from_usec (sk_record_get_int64 (item, "last_purchase_at"));
}

/* Waits this long before saying "Searching…": most searches are done
 * sooner, and the label changing twice per keystroke costs two frames. */
#define SEARCHING_DELAY_MS 300

static void
update_count (SkCustomersView *self)
{
  guint            n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  g_autofree char *text = NULL;

  if (sk_customer_list_model_get_loading (self->model) && self->searching_id == 0)
    text = g_strdup (_ ("Searching…"));
  else if (sk_customer_list_model_get_truncated (self->model))
    text = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "More than %u customer: keep typing to narrow the search",
                     "More than %u customers: keep typing to narrow the search", n),
        n);
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u customer", "%u customers", n), n);
  gtk_label_set_text (self->count_label, text);
  /* A search that found nobody says so where the list was. */
  gtk_stack_set_visible_child_name (
      self->list_stack,
      n == 0 && !sk_customer_list_model_get_loading (self->model) ? "none-found" : "list");
}

static gboolean
searching_cb (gpointer data)
{
  SkCustomersView *self = data;

  self->searching_id = 0;
  update_count (self);
  return G_SOURCE_REMOVE;
}

static void
loading_changed_cb (SkCustomersView *self)
{
  gboolean loading = sk_customer_list_model_get_loading (self->model);

  if (loading && self->searching_id == 0)
    self->searching_id = g_timeout_add (SEARCHING_DELAY_MS, searching_cb, self);
  else if (!loading)
    g_clear_handle_id (&self->searching_id, g_source_remove);
  /* Until then the label keeps the count of the search before. */
  if (!loading || self->searching_id == 0)
    update_count (self);
  /* A search keeps the rows and changes what they show: a selected row
   * that now shows somebody else is no longer chosen. */
  if (!loading)
    {
      SkCustomerRow *row = gtk_single_selection_get_selected_item (self->selection);
      SkCustomer    *c = row != NULL ? sk_customer_row_get_customer (row) : NULL;
      const char    *chosen = self->loading_id ? self->loading_id
                              : self->customer ? sk_record_get_id (self->customer)
                                               : NULL;

      if (row != NULL && (c == NULL || g_strcmp0 (sk_record_get_id (c), chosen) != 0))
        gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
    }
  if (!loading && self->open_first)
    {
      self->open_first = FALSE;
      if (g_list_model_get_n_items (G_LIST_MODEL (self->model)) > 0)
        {
          gtk_single_selection_set_selected (self->selection, 0);
          self->keep_search_focus = TRUE;
        }
    }
}

/* Details */

static GtkWidget *
group_new (GtkBox *box, const char *title)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  gtk_box_append (box, group);
  return group;
}

static GtkWidget *
info_row (GtkWidget *group, const char *title, const char *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value && *value ? value : "—");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  return row;
}

static void
money_suffix (GtkWidget *row, gint64 amount)
{
  g_autofree char *text = sk_money_format (amount);
  GtkWidget       *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
}

static const char *
bonus_kind_name (const char *kind)
{
  static const SkDisplayName names[] = {
    { SK_BONUS_EARN, N_ ("Earned") },      { SK_BONUS_SPEND, N_ ("Spent") },
    { SK_BONUS_ADJUST, N_ ("Adjusted") },  { SK_BONUS_EXPIRE, N_ ("Expired") },
    { SK_BONUS_REVERSE, N_ ("Reversed") },
  };

  return sk_display_name (names, G_N_ELEMENTS (names), kind);
}

static void
clear_box (GtkBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

/* A button of the details, its label wrapped should one alone be wider
 * than the pane. */
static GtkWidget *
details_button_new (const char *mnemonic, const char *action)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *label = gtk_label_new_with_mnemonic (mnemonic);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), button);
  gtk_button_set_child (GTK_BUTTON (button), label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  return button;
}

static void
show_details (SkCustomersView *self, SkCustomerDetails *d)
{
  SkCustomer *c = self->customer;
  GPtrArray  *ledger = d ? d->ledger : NULL;
  GPtrArray  *purchases = d ? d->purchases : NULL;
  GPtrArray  *history = d ? d->history : NULL;
  g_autoptr (GString) kids = g_string_new (NULL);
  g_autoptr (GString) consent = g_string_new (NULL);
  SkRole     role = sk_application_get_role (sk_app ());
  GtkWidget *group, *row, *buttons, *button, *title;

  clear_box (self->details_box);
  if (c == NULL)
    {
      gtk_stack_set_visible_child_name (self->details_stack, "none");
      return;
    }
  gtk_stack_set_visible_child_name (self->details_stack, "details");

  title = gtk_label_new (sk_record_get_string (c, "full_name"));
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_widget_add_css_class (title, "title-1");
  gtk_box_append (self->details_box, title);

  /* One under another: the pane is narrow (a third of the window, or a
   * phone), and in Russian the three side by side are wider than 360 px. */
  buttons = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_set_homogeneous (GTK_BOX (buttons), TRUE);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  /* Hidden, not refused after a click, for a role that may not (HQ's
   * marketing edits no customer, SPEC 5). */
  button = details_button_new (_ ("_Edit"), "customers.edit");
  gtk_widget_set_visible (button, role != SK_ROLE_MARKETING);
  gtk_box_append (GTK_BOX (buttons), button);
  button = details_button_new (_ ("_Adjust Bonuses"), "customers.adjust");
  gtk_widget_set_visible (button, sk_role_can_adjust_bonus (role));
  gtk_box_append (GTK_BOX (buttons), button);
  button = details_button_new (_ ("_Sell"), "customers.sell");
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_set_visible (button, sk_role_can_sell (role));
  gtk_box_append (GTK_BOX (buttons), button);
  gtk_box_append (self->details_box, buttons);

  group = group_new (self->details_box, _ ("Profile"));
  info_row (group, _ ("Phone"), sk_record_get_string (c, "phone"));
  info_row (group, _ ("Card"), sk_record_get_string (c, "card_number"));
  info_row (group, _ ("Email"), sk_record_get_string (c, "email"));
  {
    g_autofree char *birth = sk_date_display_from_iso (sk_record_get_string (c, "birth_date"));

    info_row (group, _ ("Birth date"), birth);
  }
  for (guint i = 0; i < g_list_model_get_n_items (sk_customer_get_children (c)); i++)
    {
      g_autoptr (SkChild) child = g_list_model_get_item (sk_customer_get_children (c), i);
      g_autofree char *born = sk_date_display_from_iso (sk_record_get_string (child, "birth_date"));

      g_string_append_printf (kids, "%s%s (%s)", i ? ", " : "",
                              sk_record_get_string (child, "name"), born);
    }
  info_row (group, _ ("Children"), kids->str);
  if (sk_record_get_boolean (c, "consent_email"))
    g_string_append (consent, _ ("email"));
  if (sk_record_get_boolean (c, "consent_sms"))
    g_string_append_printf (consent, "%s%s", consent->len ? ", " : "", _ ("SMS"));
  if (sk_record_get_boolean (c, "consent_push"))
    g_string_append_printf (consent, "%s%s", consent->len ? ", " : "", _ ("push"));
  info_row (group, _ ("Agreed to messages by"), consent->len ? consent->str : _ ("none"));

  group = group_new (self->details_box, _ ("Statistics"));
  {
    g_autofree char *visits
        = g_strdup_printf ("%" G_GINT64_FORMAT, sk_record_get_int64 (c, "visits"));
    g_autofree char *spent = sk_money_format (sk_record_get_int64 (c, "total_spent"));
    g_autofree char *balance = sk_money_format (sk_record_get_int64 (c, "bonus_balance"));
    g_autofree char *last = sk_datetime_from_usec (sk_record_get_int64 (c, "last_purchase_at"));
    g_autofree char *since = sk_datetime_from_usec (sk_record_get_int64 (c, "created_at"));

    info_row (group, _ ("Segment"), sk_segment_display_name (sk_record_get_string (c, "segment")));
    info_row (group, _ ("Visits"), visits);
    info_row (group, _ ("Total spent"), spent);
    info_row (group, _ ("Bonus balance"), balance);
    info_row (group, _ ("Last purchase"), last);
    info_row (group, _ ("Customer since"), since);
  }

  /* Connected, but HQ keeps this customer's story for their store: what
   * follows is this till's part of it, and says so. */
  if (d != NULL && d->till_only)
    {
      group = group_new (self->details_box, "");
      info_row (group, _ ("Only this till's records of this customer"),
                _ ("HQ has the whole story: it shows it to the customer's store and to HQ, "
                   "while it can be reached"));
    }
  group = group_new (self->details_box, _ ("Segment History"));
  for (guint i = 0; history && i < history->len; i++)
    {
      SkSegmentAssignment *a = g_ptr_array_index (history, i);
      const char          *previous = sk_record_get_string (a, "previous_segment");
      g_autofree char     *when = sk_datetime_from_usec (sk_record_get_int64 (a, "assigned_at"));
      g_autofree char     *text
          = g_strdup_printf ("%s → %s", previous ? sk_segment_display_name (previous) : "—",
                             sk_segment_display_name (sk_record_get_string (a, "segment")));

      info_row (group, text, when);
    }

  group = group_new (self->details_box, _ ("Bonus Ledger"));
  for (guint i = 0; ledger && i < ledger->len && i < 100; i++)
    {
      SkBonusTransaction *t = g_ptr_array_index (ledger, i);
      const char      *reason = sk_ledger_reason_display_name (sk_record_get_string (t, "reason"));
      g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (t, "created_at"));
      g_autofree char *sub
          = g_strdup_printf ("%s%s%s", when, reason ? " · " : "", reason ? reason : "");

      row = info_row (group, bonus_kind_name (sk_record_get_string (t, "kind")), sub);
      money_suffix (row, sk_record_get_int64 (t, "amount"));
    }
  if (ledger == NULL || ledger->len == 0)
    info_row (group, _ ("No bonus movements yet"), NULL);

  group = group_new (self->details_box, _ ("Purchases"));
  for (guint i = 0; purchases && i < purchases->len; i++)
    {
      SkPurchase      *p = g_ptr_array_index (purchases, i);
      GListModel      *lines = sk_purchase_get_lines (p);
      GListModel      *apps = sk_purchase_get_applications (p);
      g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (p, "created_at"));
      g_autofree char *paid = sk_money_format (sk_record_get_int64 (p, "total_paid"));
      g_autofree char *discount = sk_money_format (sk_record_get_int64 (p, "discount_total"));
      g_autofree char *sub = g_strdup_printf (_ ("paid %s · discount %s"), paid, discount);
      const char      *status = sk_record_get_string (p, "status");
      GtkWidget       *expander = adw_expander_row_new ();

      /* Which lines came back is said by the lines: an amount here would
       * count the bonuses that paid, beside "paid" that does not. */
      if (g_strcmp0 (status, "completed") != 0)
        {
          g_autofree char *with = g_strdup_printf (
              "%s · %s", sub,
              g_strcmp0 (status, "refunded") == 0 ? _ ("returned") : _ ("partly returned"));

          g_free (sub);
          sub = g_steal_pointer (&with);
        }
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (expander), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), when);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander), sub);
      if (sk_role_can_refund (role) && g_strcmp0 (status, "refunded") != 0
          && g_strcmp0 (self->till_store_id, sk_record_get_string (p, "store_id")) == 0)
        {
          /* A return is the till's (the window's F8): of this sale, here. */
          button = gtk_button_new_with_mnemonic (_ ("_Return…"));
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", sk_record_get_id (p));
          gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.refund");
          adw_expander_row_add_action (ADW_EXPANDER_ROW (expander), button);
        }
      for (guint j = 0; j < g_list_model_get_n_items (lines); j++)
        {
          g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, j);
          const char      *category = sk_record_get_string (l, "category");
          g_autofree char *price = sk_money_format (sk_record_get_int64 (l, "unit_price"));
          gint64           back = sk_record_get_int64 (l, "refunded_quantity");
          g_autofree char *returned
              = back > 0 ? g_strdup_printf (_ (" · %" PRId64 " returned"), back) : g_strdup ("");
          g_autofree char *lsub = g_strdup_printf (
              "%" G_GINT64_FORMAT " × %s%s%s%s", sk_record_get_int64 (l, "quantity"), price,
              category ? " · " : "", category ? category : "", returned);

          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                         sk_record_get_string (l, "name"));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), lsub);
          money_suffix (row, sk_record_get_int64 (l, "total"));
          adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
        }
      for (guint j = 0; j < g_list_model_get_n_items (apps); j++)
        {
          g_autoptr (SkDiscountApplication) a = g_list_model_get_item (apps, j);
          g_autofree char *atitle
              = g_strdup_printf (_ ("Discount: %s"), sk_record_get_string (a, "rule_name"));

          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), atitle);
          money_suffix (row, -sk_record_get_int64 (a, "amount"));
          adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
        }
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), expander);
    }
  if (purchases == NULL || purchases->len == 0)
    info_row (group, _ ("No purchases yet"), NULL);

  gtk_box_append (self->details_box, sk_notification_history_new (sk_record_get_id (c)));
}

static void
set_details_loading (SkCustomersView *self, const char *id)
{
  gboolean ready = id == NULL;

  g_free (self->loading_id);
  self->loading_id = g_strdup (id);
  /* Until they arrive, the buttons would act on the customer shown before. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customers.edit", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customers.adjust", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "customers.sell", ready);
}

static void
details_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCustomersView *self;
  g_autoptr (SkCustomerDetails) d = NULL;
  g_autoptr (GError) error = NULL;
  gboolean refocus;

  d = sk_repository_load_customer_details_finish (SK_REPOSITORY (source), result, &error);
  /* Cancelled: another customer was chosen, or the view went away. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CUSTOMERS_VIEW (user_data);
  set_details_loading (self, NULL);
  refocus = self->keep_search_focus;
  self->keep_search_focus = FALSE;
  if (d == NULL)
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  g_set_object (&self->customer, d->customer);
  show_details (self, d);
  if (d->customer != NULL)
    adw_leaflet_set_visible_child_name (self->leaflet, "details");
  if (refocus && !adw_leaflet_get_folded (self->leaflet))
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* Reads the customer's details off the main thread and shows them; a
 * request for another customer cancels this one. */
void
sk_customers_view_show_customer (SkCustomersView *self, const char *customer_id)
{
  g_return_if_fail (SK_IS_CUSTOMERS_VIEW (self));

  sk_cancellable_clear (&self->details_cancellable);
  if (customer_id == NULL || sk_app_repository () == NULL)
    {
      set_details_loading (self, NULL);
      g_clear_object (&self->customer);
      show_details (self, NULL);
      return;
    }
  self->details_cancellable = g_cancellable_new ();
  set_details_loading (self, customer_id);
  sk_repository_load_customer_details_async (sk_app_repository (), customer_id,
                                             self->details_cancellable, details_done, self);
}

gboolean
sk_customers_view_get_loading_details (SkCustomersView *self)
{
  g_return_val_if_fail (SK_IS_CUSTOMERS_VIEW (self), FALSE);
  return self->loading_id != NULL;
}

SkCustomer *
sk_customers_view_get_customer (SkCustomersView *self)
{
  g_return_val_if_fail (SK_IS_CUSTOMERS_VIEW (self), NULL);
  return self->customer;
}

GtkWidget *
sk_customers_view_get_details (SkCustomersView *self)
{
  g_return_val_if_fail (SK_IS_CUSTOMERS_VIEW (self), NULL);
  return GTK_WIDGET (self->details_box);
}

static void
selection_changed_cb (GtkSingleSelection *selection, GParamSpec *pspec, SkCustomersView *self)
{
  SkCustomerRow *row = gtk_single_selection_get_selected_item (selection);
  SkCustomer    *c = row != NULL ? sk_customer_row_get_customer (row) : NULL;

  const char *id = c != NULL ? sk_record_get_id (c) : NULL;

  /* Chosen otherwise than by Enter in the search. */
  self->keep_search_focus = FALSE;

  if (id == NULL)
    return;
  if (self->loading_id != NULL
          ? g_strcmp0 (self->loading_id, id) == 0
          : self->customer != NULL && g_strcmp0 (sk_record_get_id (self->customer), id) == 0)
    return;
  sk_customers_view_show_customer (self, id);
}

/* Return on a row opens it, as a tap does; the customer already shown too
 * (on a phone, back from the list to the details). */
static void
row_activated_cb (GtkColumnView *view, guint position, SkCustomersView *self)
{
  SkCustomerRow *row;
  SkCustomer    *c;

  gtk_single_selection_set_selected (self->selection, position);
  row = gtk_single_selection_get_selected_item (self->selection);
  c = row != NULL ? sk_customer_row_get_customer (row) : NULL;
  if (c != NULL && self->customer != NULL && self->loading_id == NULL
      && g_strcmp0 (sk_record_get_id (c), sk_record_get_id (self->customer)) == 0)
    adw_leaflet_set_visible_child_name (self->leaflet, "details");
}

static void
search_changed_cb (GtkSearchEntry *entry, SkCustomersView *self)
{
  sk_customers_view_search (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

/* Enter, as a scanner ends a card: the first customer found is opened once
 * the search (of what is typed now, not of a moment ago) is done; the
 * search keeps the focus for the next card. */
static void
search_activate_cb (GtkSearchEntry *entry, SkCustomersView *self)
{
  self->open_first = TRUE;
  sk_customers_view_search (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
editor_saved_cb (SkCustomerEditor *editor, SkCustomer *customer, SkCustomersView *self)
{
  /* The list and the details follow customer-changed. */
  if (self->customer == NULL
      || g_strcmp0 (sk_record_get_id (self->customer), sk_record_get_id (customer)) != 0)
    sk_customers_view_show_customer (self, sk_record_get_id (customer));
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCustomersView  *self = SK_CUSTOMERS_VIEW (widget);
  SkCustomerEditor *editor;
  gboolean          is_new = g_str_equal (action_name, "customers.new");

  if (sk_app_repository () == NULL || (!is_new && self->customer == NULL)
      || sk_application_get_role (sk_app ()) == SK_ROLE_MARKETING)
    return;
  editor = sk_customer_editor_new (GTK_WINDOW (gtk_widget_get_root (widget)), sk_app_repository (),
                                   is_new ? NULL : self->customer);
  g_signal_connect_object (editor, "saved", G_CALLBACK (editor_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
bonus_adjusted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (SkBonusTransaction) t = NULL;
  g_autoptr (GError) error = NULL;

  /* The details follow customer-changed, announced before this. */
  t = sk_repository_adjust_bonus_finish (SK_REPOSITORY (source), result, &error);
  if (t == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
sk_customers_view_adjust_bonus_async (SkCustomersView    *self,
                                      gint64              amount,
                                      const char         *reason,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *store_id = NULL;

  g_return_if_fail (SK_IS_CUSTOMERS_VIEW (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sk_customers_view_adjust_bonus_async);
  if (self->customer == NULL || self->loading_id != NULL || sk_app_repository () == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _ ("No customer is shown"));
      return;
    }
  if (!sk_role_can_adjust_bonus (sk_application_get_role (sk_app ())))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                               _ ("Only a manager or an administrator may adjust bonuses"));
      return;
    }
  store_id = sk_application_dup_store_id (sk_app ());
  sk_repository_adjust_bonus_async (sk_app_repository (), sk_record_get_id (self->customer), amount,
                                    reason, store_id, self->cancellable, bonus_adjusted_cb,
                                    g_steal_pointer (&task));
}

gboolean
sk_customers_view_adjust_bonus_finish (SkCustomersView *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void present_adjust_dialog (SkCustomersView *self,
                                   const char      *amount_text,
                                   const char      *reason_text,
                                   const char      *error_message);

/* The amount typed ("500", "−200"), in kopecks; FALSE and why when it is
 * not one. */
static gboolean
parse_adjustment (const char *text, const char *reason, gint64 *amount, const char **why)
{
  gboolean negative = text[0] == '-' || g_str_has_prefix (text, "−");

  if (!sk_money_parse (negative ? text + (text[0] == '-' ? 1 : strlen ("−")) : text, amount)
      || *amount == 0)
    {
      *why = *text == '\0' ? NULL : _ ("Type an amount, like 500 or −200");
      return FALSE;
    }
  if (negative)
    *amount = -*amount;
  if (*reason == '\0')
    {
      *why = _ ("A manual adjustment needs a reason");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  char *amount;
  char *reason;
} Adjustment;

static void
adjustment_free (Adjustment *a)
{
  g_free (a->amount);
  g_free (a->reason);
  g_free (a);
}

static void
adjusted_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCustomersView *self = SK_CUSTOMERS_VIEW (source);
  Adjustment      *typed = user_data;
  g_autoptr (GError) error = NULL;

  if (!sk_customers_view_adjust_bonus_finish (self, result, &error))
    {
      /* Refused: the dialog again, with what was typed and why. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        present_adjust_dialog (self, typed->amount, typed->reason, error->message);
    }
  else
    sk_widget_toast (GTK_WIDGET (self), _ ("Bonuses adjusted"));
  adjustment_free (typed);
}

static void
adjust_response_cb (AdwMessageDialog *dialog, const char *response, SkCustomersView *self)
{
  const char *why = NULL;
  gint64      amount = 0;
  Adjustment *typed;

  if (!g_str_equal (response, "apply")
      || !parse_adjustment (sk_entry_dialog_get_text (dialog, 0),
                            sk_entry_dialog_get_text (dialog, 1), &amount, &why))
    return;
  typed = g_new0 (Adjustment, 1);
  typed->amount = g_strdup (sk_entry_dialog_get_text (dialog, 0));
  typed->reason = g_strdup (sk_entry_dialog_get_text (dialog, 1));
  sk_customers_view_adjust_bonus_async (self, amount, typed->reason, NULL, adjusted_cb, typed);
}

/* As the user types: Apply only for an amount and a reason. */
static const char *
adjust_check (AdwMessageDialog *dialog, gpointer user_data)
{
  const char *why = NULL;
  gint64      amount = 0;

  if (parse_adjustment (sk_entry_dialog_get_text (dialog, 0), sk_entry_dialog_get_text (dialog, 1),
                        &amount, &why))
    return NULL;
  return why ? why : "";
}

static void
present_adjust_dialog (SkCustomersView *self,
                       const char      *amount_text,
                       const char      *reason_text,
                       const char      *error_message)
{
  const char *const labels[] = { _ ("Amount in rubles, e.g. 500 or −200"), _ ("Reason"), NULL };
  const char *const values[] = { amount_text, reason_text, NULL };
  AdwMessageDialog *dialog;

  if (self->customer == NULL)
    return;
  dialog = sk_entry_dialog_new (GTK_WIDGET (self), _ ("Adjust Bonuses"),
                                _ ("Add bonuses with a positive amount, take them away with a "
                                   "negative one. The reason is kept in the ledger."),
                                labels, values, error_message, _ ("_Apply"), adjust_check, NULL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (adjust_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
adjust_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  present_adjust_dialog (SK_CUSTOMERS_VIEW (widget), NULL, NULL, NULL);
}

static void
sell_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCustomersView *self = SK_CUSTOMERS_VIEW (widget);
  GtkWidget       *window = GTK_WIDGET (gtk_widget_get_root (widget));
  GtkWidget       *checkout;

  if (self->customer == NULL || !SK_IS_WINDOW (window))
    return;
  checkout = sk_window_get_view (SK_WINDOW (window), "checkout");
  sk_checkout_view_set_customer (SK_CHECKOUT_VIEW (checkout), self->customer);
  sk_window_show_view (SK_WINDOW (window), "checkout");
}

static void
focus_search_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkWidget *entry = GTK_WIDGET (SK_CUSTOMERS_VIEW (widget)->search_entry);

  /* What is typed next replaces the search, even where the focus was in
   * it already. */
  gtk_widget_grab_focus (entry);
  gtk_editable_select_region (GTK_EDITABLE (entry), 0, -1);
}

/* The list runs its search again (only rows whose customer changed are
 * redrawn), and the details are read again when they are of @customer_id
 * (NULL: whoever is shown). */
static void
refresh (SkCustomersView *self, const char *customer_id)
{
  if (!self->loaded)
    return;
  sk_customer_list_model_refresh (self->model);
  if (self->customer != NULL
      && (customer_id == NULL || g_strcmp0 (sk_record_get_id (self->customer), customer_id) == 0))
    {
      g_autofree char *id = g_strdup (sk_record_get_id (self->customer));

      sk_customers_view_show_customer (self, id);
    }
}

static void
customer_changed_cb (SkRepository *repository, const char *customer_id, SkCustomersView *self)
{
  refresh (self, customer_id);
}

static void
till_store_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkCustomersView) self = user_data;
  g_autoptr (SkStore) store = sk_repository_get_store_finish (SK_REPOSITORY (source), result, NULL);
  const char *id = store != NULL ? sk_record_get_id (store) : NULL;

  /* The details shown offer returns of that store's sales: read again
   * when it is another store (not for every product saved). */
  if (g_strcmp0 (id, self->till_store_id) == 0)
    return;
  g_free (self->till_store_id);
  self->till_store_id = g_strdup (id);
  if (self->customer != NULL)
    refresh (self, sk_record_get_id (self->customer));
}

/* Which store's sales the details offer to take back: the store the
 * checkout sells at (the setting's, or the first). */
static void
load_till_store (SkCustomersView *self)
{
  g_autofree char *id = sk_application_dup_store_id (sk_app ());

  sk_repository_get_store_async (sk_app_repository (), id, self->cancellable, till_store_cb,
                                 g_object_ref (self));
}

static void
database_changed_cb (SkCustomersView *self)
{
  load_till_store (self);
  refresh (self, NULL);
}

/* A sale moves its customer's visits, spending and bonuses. */
static void
purchase_changed_cb (SkRepository    *repository,
                     const char      *purchase_id,
                     const char      *customer_id,
                     SkCustomersView *self)
{
  if (customer_id != NULL)
    refresh (self, customer_id);
}

/* The list's cells follow their row (SkCustomerRow): a search changes what
 * a row shows, not the row, and GTK 4.8 would build a whole row of cells
 * again for every item announced as changed. */
typedef struct
{
  const char    *title;
  SkCellTextFunc func;
  gboolean       numeric;
  gboolean       expand;
  int            width;
} Column;

/* Fixed widths: a column of any width would measure every row on each
 * change of the list, which is what a search does on every keystroke. */
static const Column columns[] = {
  { N_ ("Full name"), cell_name, FALSE, TRUE, 220 },
  { N_ ("Phone"), cell_phone, FALSE, FALSE, 130 },
  { N_ ("Card"), cell_card, FALSE, FALSE, 130 },
  { N_ ("Segment"), cell_segment, FALSE, FALSE, 124 }, /* "Эпизодический" */
  { N_ ("Visits"), cell_visits, TRUE, FALSE, 60 },
  { N_ ("Total spent"), cell_spent, TRUE, FALSE, 120 },
  { N_ ("Bonuses"), cell_balance, TRUE, FALSE, 100 },
  { N_ ("Last purchase"), cell_last, FALSE, FALSE, 140 },
};

static void
cell_update (SkCustomerRow *row, GParamSpec *pspec, SkCellLabel *label)
{
  const Column    *column = g_object_get_data (G_OBJECT (label), "sk-column");
  SkCustomer      *customer = sk_customer_row_get_customer (row);
  g_autofree char *text = customer != NULL ? column->func (customer) : NULL;

  sk_cell_label_set_text (label, text);
}

static void
cell_setup (GtkSignalListItemFactory *factory, GtkListItem *item, const Column *column)
{
  /* Not a GtkLabel: the list keeps some 1 600 cells alive. */
  GtkWidget *label = sk_cell_label_new (column->numeric);

  g_object_set_data (G_OBJECT (label), "sk-column", (gpointer)column);
  gtk_list_item_set_child (item, label);
}

static void
cell_bind (GtkSignalListItemFactory *factory, GtkListItem *item, const Column *column)
{
  SkCustomerRow *row = gtk_list_item_get_item (item);
  GtkWidget     *label = gtk_list_item_get_child (item);

  g_signal_connect (row, "notify::customer", G_CALLBACK (cell_update), label);
  cell_update (row, NULL, SK_CELL_LABEL (label));
}

static void
cell_unbind (GtkSignalListItemFactory *factory, GtkListItem *item, const Column *column)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (item), cell_update,
                                        gtk_list_item_get_child (item));
}

static void
setup_columns (SkCustomersView *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
      g_autoptr (GtkColumnViewColumn) column = NULL;

      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), (gpointer)&columns[i]);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), (gpointer)&columns[i]);
      g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind), (gpointer)&columns[i]);
      column = gtk_column_view_column_new (_ (columns[i].title), g_steal_pointer (&factory));
      gtk_column_view_column_set_expand (column, columns[i].expand);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_fixed_width (column, columns[i].width);
      gtk_column_view_append_column (self->column_view, column);
    }
  {
    /* The list as wide as it is given (beside the details, on a phone):
     * visits, last purchase, card, total spent, segment and bonuses give
     * way in turn, the name and phone stay. Each gives way below the width
     * the columns still shown need. */
    static const guint give_way[] = { 4, 7, 2, 5, 3, 6 };
    static SkColumnFit narrow[G_N_ELEMENTS (give_way)];
    int                need = 0;

    for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
      need += columns[i].width;
    for (guint i = 0; i < G_N_ELEMENTS (give_way); i++)
      {
        narrow[i].column = give_way[i];
        narrow[i].below = need;
        need -= columns[give_way[i]].width;
      }
    sk_column_view_fit_width (self->column_view, narrow, G_N_ELEMENTS (narrow));
  }
}

static void
sk_customers_view_map (GtkWidget *widget)
{
  SkCustomersView *self = SK_CUSTOMERS_VIEW (widget);
  gboolean         may_register = sk_application_get_role (sk_app ()) != SK_ROLE_MARKETING;

  GTK_WIDGET_CLASS (sk_customers_view_parent_class)->map (widget);
  if (!self->loaded && self->model != NULL)
    {
      self->loaded = TRUE;
      sk_customer_list_model_set_query (self->model, "");
    }
  /* HQ's marketing does not register customers (SPEC 5): no button for it,
   * as the checkout has none. */
  gtk_widget_action_set_enabled (widget, "customers.new", may_register);
  gtk_widget_set_visible (self->new_button, may_register);
}

static void
sk_customers_view_dispose (GObject *object)
{
  SkCustomersView *self = SK_CUSTOMERS_VIEW (object);

  sk_cancellable_clear (&self->details_cancellable);
  sk_cancellable_clear (&self->cancellable);
  g_clear_handle_id (&self->searching_id, g_source_remove);
  g_clear_pointer (&self->loading_id, g_free);
  g_clear_pointer (&self->till_store_id, g_free);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->customer);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  G_OBJECT_CLASS (sk_customers_view_parent_class)->dispose (object);
}

/* Back to the list, where the leaflet shows one page at a time. */
static void
back_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  adw_leaflet_navigate (SK_CUSTOMERS_VIEW (widget)->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* Back on the list of a phone (the button, Alt+Left, a swipe), once the
 * details have slid away: no customer is chosen any more, so the one just
 * seen opens again when tapped, as any other (a tap on the selected row
 * changes no selection). */
static void
leaflet_child_cb (SkCustomersView *self)
{
  /* NULL while the template is built and once disposed. */
  if (self->leaflet == NULL || self->selection == NULL || !adw_leaflet_get_folded (self->leaflet)
      || adw_leaflet_get_child_transition_running (self->leaflet)
      || g_strcmp0 (adw_leaflet_get_visible_child_name (self->leaflet), "list") != 0)
    return;
  /* (GtkSingleSelection of GTK 4.8 ignores unselect_all.) */
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  if (self->customer != NULL || self->loading_id != NULL)
    sk_customers_view_show_customer (self, NULL);
}

static void
sk_customers_view_class_init (SkCustomersViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_customers_view_dispose;
  widget_class->map = sk_customers_view_map;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-customers-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, new_button);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, count_label);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, scroller);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, list_stack);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, column_view);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, details_stack);
  gtk_widget_class_bind_template_child (widget_class, SkCustomersView, details_box);

  gtk_widget_class_install_action (widget_class, "customers.new", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "customers.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "customers.adjust", NULL, adjust_action);
  gtk_widget_class_install_action (widget_class, "customers.sell", NULL, sell_action);
  gtk_widget_class_install_action (widget_class, "customers.focus-search", NULL,
                                   focus_search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "customers.focus-search", NULL);
  gtk_widget_class_install_action (widget_class, "customers.back", NULL, back_action);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_child_cb);
}

static void
sk_customers_view_init (SkCustomersView *self)
{
  SkRepository *repository;

  gtk_widget_init_template (GTK_WIDGET (self));
  setup_columns (self);
  self->cancellable = g_cancellable_new ();
  if (sk_app () == NULL)
    return;
  repository = sk_application_get_repository (sk_app ());
  self->model = sk_customer_list_model_new (repository);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect_swapped (self->model, "notify::loading", G_CALLBACK (loading_changed_cb), self);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (row_activated_cb), self);
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (search_changed_cb), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (search_activate_cb), self);
  g_signal_connect_object (repository, "customer-changed", G_CALLBACK (customer_changed_cb), self,
                           0);
  g_signal_connect_object (repository, "purchase-changed", G_CALLBACK (purchase_changed_cb), self,
                           0);
  g_signal_connect_object (repository, "database-changed", G_CALLBACK (database_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (repository, "stores-changed", G_CALLBACK (load_till_store), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (sk_application_get_settings (sk_app ()), "changed::store-id",
                           G_CALLBACK (load_till_store), self, G_CONNECT_SWAPPED);
  load_till_store (self);
}
