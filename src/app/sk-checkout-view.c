/* sk-checkout-view.c: the till. It rings up an SkSale (the core's cart and
 * figures); every change of the customer, the lines or the bonus spend
 * prices the sale through the one engine, and the sale's figures are what
 * the pipeline will record.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-checkout-view-private.h"
#include "sk-customer-editor.h"
#include "sk-entry-dialog.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-widgets.h"

G_DEFINE_FINAL_TYPE (SkCheckoutView, sk_checkout_view, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_CALCULATING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void start_purchase (SkCheckoutView *self);

static void
clear_list_box (GtkListBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_list_box_remove (box, child);
}

static GtkWidget *
money_row (const char *title, const char *subtitle, gint64 amount, const char *css_class)
{
  GtkWidget       *row = adw_action_row_new ();
  g_autofree char *text = sk_money_format (amount);
  g_autofree char *minus = g_strdup_printf ("−%s", text);
  GtkWidget       *label = gtk_label_new (amount > 0 && css_class != NULL ? minus : text);

  /* Rule names are text, not markup ("Coats & boots"). */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (label, "numeric");
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  return row;
}

static gboolean
money_label_transform (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  g_value_take_string (to, sk_money_format (g_value_get_int64 (from)));
  return TRUE;
}

/* A label that shows one of the sale's figures, always. */
static void
bind_money_label (SkSale *sale, const char *property, GtkLabel *label)
{
  g_object_bind_property_full (sale, property, label, "label", G_BINDING_SYNC_CREATE,
                               money_label_transform, NULL, NULL, NULL);
}

static void
update_customer_row (SkCheckoutView *self)
{
  SkCustomer *customer = sk_sale_get_customer (self->sale);

  if (customer == NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->customer_row),
                                     _ ("Anonymous sale"));
      adw_action_row_set_subtitle (self->customer_row,
                                   _ ("No customer: no bonuses, only rules without a segment"));
      gtk_widget_set_visible (self->clear_customer_button, FALSE);
    }
  else
    {
      const char      *phone = sk_record_get_string (customer, "phone");
      const char      *card = sk_record_get_string (customer, "card_number");
      const char      *name = sk_record_get_string (customer, "full_name");
      g_autofree char *balance = sk_money_format (sk_record_get_int64 (customer, "bonus_balance"));
      g_autofree char *subtitle = g_strdup_printf (
          _ ("%s · card %s · %s · bonuses %s"), phone ? phone : "—", card ? card : "—",
          sk_segment_display_name (sk_record_get_string (customer, "segment")), balance);
      const char *title = name ? name : _ ("Customer");

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self->customer_row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->customer_row), title);
      adw_action_row_set_subtitle (self->customer_row, subtitle);
      gtk_widget_set_visible (self->clear_customer_button, TRUE);
    }
}

/* The discount lists are rebuilt only when what they show changed: a
 * quantity change that keeps the same rules and amounts costs nothing. */
static gboolean
update_panel_key (SkCheckoutView *self)
{
  const SkEngineResult *result = sk_sale_get_result (self->sale);
  GString              *key = g_string_new (NULL);
  gboolean              changed;

  for (guint i = 0; result && i < result->applied->len; i++)
    {
      SkEngineApplied *a = &g_array_index (result->applied, SkEngineApplied, i);

      g_string_append_printf (key, "a%s:%" G_GINT64_FORMAT ";", sk_record_get_id (a->rule),
                              a->amount);
    }
  for (guint i = 0; result && i < result->rejected->len; i++)
    {
      SkEngineRejected *r = &g_array_index (result->rejected, SkEngineRejected, i);

      g_string_append_printf (key, "r%s:%d:%" G_GINT64_FORMAT ";", sk_record_get_id (r->rule),
                              r->code, r->detail);
    }
  if (result)
    g_string_append_printf (key, "t%" G_GINT64_FORMAT, result->discount_total);
  changed = g_strcmp0 (key->str, self->panel_key) != 0;
  g_free (self->panel_key);
  self->panel_key = g_string_free (key, FALSE);
  return changed;
}

/* The engine's reason, its date in the user's way ("30.07.2026") where
 * the API's is RFC 3339. */
static char *
reject_reason (const SkEngineRejected *r)
{
  g_autofree char *when = NULL;

  if (r->code != SK_REJECT_NOT_STARTED && r->code != SK_REJECT_EXPIRED)
    return sk_reject_reason_to_string (r);
  when = sk_date_display_from_usec (r->detail);
  return g_strdup_printf (
      r->code == SK_REJECT_NOT_STARTED ? _ ("valid from %s") : _ ("expired on %s"), when);
}

static void
rebuild_discount_lists (SkCheckoutView *self)
{
  const SkEngineResult *result = sk_sale_get_result (self->sale);
  GtkWidget            *row;

  clear_list_box (self->applied_list);
  for (guint i = 0; i < self->rejected_rows->len; i++)
    adw_expander_row_remove (self->rejected_row, g_ptr_array_index (self->rejected_rows, i));
  g_ptr_array_set_size (self->rejected_rows, 0);
  if (result == NULL || result->applied->len == 0)
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("No discount"));
      gtk_list_box_append (self->applied_list, row);
    }
  else
    {
      for (guint i = 0; i < result->applied->len; i++)
        {
          SkEngineApplied *a = &g_array_index (result->applied, SkEngineApplied, i);

          const char *name = sk_record_get_string (a->rule, "name");

          if (g_strcmp0 (sk_record_get_string (a->rule, "type"), SK_RULE_BONUS_MULTIPLIER) == 0)
            {
              g_autofree char *sub = g_strdup_printf (
                  _ ("Bonuses ×%.2g"), sk_record_get_int64 (a->rule, "value") / 100.0);

              row = adw_action_row_new ();
              adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
              adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
              adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
            }
          else
            {
              gint64           cap = sk_record_get_int64 (a->rule, "max_discount");
              g_autofree char *capped = NULL;

              /* An amount a rule cut says so, or the cashier wonders. */
              if (cap > 0 && a->amount == cap)
                {
                  g_autofree char *money = sk_money_format (cap);

                  capped = g_strdup_printf (_ ("capped at %s by the rule"), money);
                }
              row = money_row (name, capped, a->amount, "discount-amount");
            }
          gtk_list_box_append (self->applied_list, row);
        }
      row = money_row (_ ("Total discount"), NULL, result->discount_total, "discount-amount");
      gtk_list_box_append (self->applied_list, row);
    }
  /* Collapsed to a count: twenty reasons must not push the total away. */
  gtk_widget_set_visible (self->rejected_box, result && result->rejected->len > 0);
  if (result != NULL)
    {
      g_autofree char *count = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "%u rule", "%u rules", result->rejected->len),
          result->rejected->len);

      adw_expander_row_set_subtitle (self->rejected_row, count);
    }
  for (guint i = 0; result && i < result->rejected->len; i++)
    {
      SkEngineRejected *r = &g_array_index (result->rejected, SkEngineRejected, i);
      g_autofree char  *reason = reject_reason (r);

      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     sk_record_get_string (r->rule, "name"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason);
      gtk_widget_add_css_class (row, "rejected-reason");
      adw_expander_row_add_row (self->rejected_row, row);
      g_ptr_array_add (self->rejected_rows, row);
    }
}

static void
set_calculating (SkCheckoutView *self, gboolean calculating)
{
  if (self->calculating == calculating)
    return;
  self->calculating = calculating;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CALCULATING]);
}

static gboolean
has_focus_within (GtkWidget *widget)
{
  GtkRoot   *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/* What follows from the sale's figures: the discount lists, the bonus
 * spin, and whether Pay may be pressed. */
static void
show_spend_note (SkCheckoutView *self, SkCustomer *customer, gint64 cap, gint64 spend)
{
  g_autofree char *balance = NULL;
  g_autofree char *most = NULL;
  g_autofree char *note = NULL;

  if (customer == NULL)
    {
      adw_action_row_set_subtitle (self->spend_row, _ ("No customer: no bonuses"));
      return;
    }
  balance = sk_money_format (sk_record_get_int64 (customer, "bonus_balance"));
  most = sk_money_format (cap);
  /* What was asked for and cut to what the rules allow is said, next to
   * the field, not silently changed. */
  if (self->bonus_asked > spend)
    {
      g_autofree char *asked = sk_money_format (self->bonus_asked);

      note = g_strdup_printf (_ ("%s asked, %s is the most for this sale (balance %s)"), asked,
                              most, balance);
    }
  else
    note = g_strdup_printf (_ ("Balance %s, at most %s for this sale"), balance, most);
  adw_action_row_set_subtitle (self->spend_row, note);
  if (self->bonus_asked > spend)
    gtk_widget_add_css_class (GTK_WIDGET (self->spend_row), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->spend_row), "warning");
}

static void
show_figures (SkCheckoutView *self)
{
  SkCustomer *customer = sk_sale_get_customer (self->sale);
  guint       n = sk_sale_get_n_lines (self->sale);
  gint64      cap = sk_sale_get_bonus_cap (self->sale);
  gint64      spend = sk_sale_get_bonus_to_spend (self->sale);

  if (update_panel_key (self))
    rebuild_discount_lists (self);
  show_spend_note (self, customer, cap, spend);
  self->updating_spin = TRUE;
  gtk_spin_button_set_range (self->bonus_spin, 0, cap / 100.0);
  gtk_spin_button_set_value (self->bonus_spin, spend / 100.0);
  self->updating_spin = FALSE;
  if (cap <= 0 && has_focus_within (GTK_WIDGET (self->bonus_spin)))
    _sk_checkout_view_focus_scan (self); /* not left on a field turned off */
  gtk_widget_set_sensitive (GTK_WIDGET (self->bonus_spin), cap > 0);
  /* Pay only what the till shows for the lines as they are. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.pay",
                                 n > 0 && sk_sale_get_result (self->sale) != NULL
                                     && !self->calculating && !self->paying);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.spend-max", cap > 0);
}

/* Takes @result (NULL: not priced), which is for the lines as they are. */
static void
apply_result (SkCheckoutView *self, SkEngineResult *result, gint64 engine_usec)
{
  gboolean was_calculating = self->calculating;

  self->calculating = FALSE;
  self->engine_usec = engine_usec;
  /* The sale works out its figures (SPEC 4: payable, the bonus cap, accrual);
   * the labels bound to them follow. */
  sk_sale_set_result (self->sale, result);
  show_figures (self);

  /* From the request to the figures on screen, the worker's queue and the
   * trip back to the main loop included (for the benchmark, not for the
   * cashier's screen). */
  self->recompute_usec = g_get_monotonic_time () - self->calc_started;

  if (self->pay_queued)
    {
      self->pay_queued = FALSE;
      /* Not priced (an error, told in a toast, or an empty cart): F12 again. */
      if (sk_sale_get_result (self->sale) != NULL && sk_sale_get_n_lines (self->sale) > 0)
        start_purchase (self);
      else
        self->paying = FALSE;
      show_figures (self);
    }
  /* Last, so that whoever waits for it sees everything in place. */
  if (was_calculating)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CALCULATING]);
}

typedef struct
{
  SkCheckoutView *self; /* a reference */
  guint           serial;
} Pricing;

static void
calculated_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Pricing        *pricing = user_data;
  SkCheckoutView *self = pricing->self;
  g_autoptr (GError) error = NULL;
  SkEngineResult *result;
  gint64          engine_usec = 0;

  result = sk_repository_calculate_finish (SK_REPOSITORY (source), res, &engine_usec, &error);
  /* Superseded (cancelled, or answered for lines that changed since) or the
   * view is gone: the answer for the current lines is still to come. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || pricing->serial != self->calc_serial)
    g_clear_pointer (&result, sk_engine_result_free);
  else
    {
      if (result == NULL)
        sk_widget_toast_error (GTK_WIDGET (self), error);
      g_clear_object (&self->calc_cancellable);
      apply_result (self, result, engine_usec);
    }
  g_object_unref (pricing->self);
  g_free (pricing);
}

/* Prices the sale on a worker. Until the answer is in, the figures of the
 * last answer stay on screen (no flicker to zero) and Pay is off. */
void
sk_checkout_view_recompute (SkCheckoutView *self)
{
  SkRepository *repository = sk_app_repository ();
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (GError) error = NULL;
  SkCustomer *customer;
  Pricing    *pricing;
  guint       n;

  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));

  self->calc_serial++;
  self->calc_started = g_get_monotonic_time ();
  /* A queued answer for older lines need not be worked out at all. */
  sk_cancellable_clear (&self->calc_cancellable);

  n = sk_sale_get_n_lines (self->sale);
  customer = sk_sale_get_customer (self->sale);
  gtk_stack_set_visible_child_name (self->cart_stack, n > 0 ? "cart" : "empty");

  if (repository == NULL || n == 0 || (cart = sk_sale_to_cart (self->sale)) == NULL)
    {
      apply_result (self, NULL, 0);
      return;
    }
  if (!sk_cart_validate (cart, &error))
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      apply_result (self, NULL, 0);
      return;
    }

  set_calculating (self, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.pay", FALSE);
  self->calc_cancellable = g_cancellable_new ();
  pricing = g_new0 (Pricing, 1);
  pricing->self = g_object_ref (self);
  pricing->serial = self->calc_serial;
  sk_repository_calculate_async (repository, cart, customer ? sk_record_get_id (customer) : NULL,
                                 sk_time_now (), self->calc_cancellable, calculated_cb, pricing);
}

gboolean
sk_checkout_view_get_calculating (SkCheckoutView *self)
{
  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  return self->calculating;
}

/* The product list's entries: cut short in the button (the till fits a
 * phone), whole in the list that drops down. */
static void
product_label_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer ellipsize)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (ellipsize != NULL)
    {
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_width_chars (GTK_LABEL (label), 8);
    }
  gtk_list_item_set_child (item, label);
}

static void
product_label_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer ellipsize)
{
  GtkStringObject *text = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      gtk_string_object_get_string (text));
}

static GtkListItemFactory *
product_label_factory (gboolean ellipsize)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (product_label_setup),
                    GINT_TO_POINTER (ellipsize));
  g_signal_connect (factory, "bind", G_CALLBACK (product_label_bind), GINT_TO_POINTER (ellipsize));
  return factory;
}

static void
products_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCheckoutView *self;
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);

  products = sk_repository_list_products_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHECKOUT_VIEW (user_data);
  g_clear_pointer (&self->products, g_ptr_array_unref);
  self->products = g_steal_pointer (&products);
  if (self->products == NULL)
    sk_widget_toast_error (GTK_WIDGET (self), error);
  for (guint i = 0; self->products && i < self->products->len; i++)
    {
      SkProduct       *p = g_ptr_array_index (self->products, i);
      g_autofree char *price = sk_money_format (sk_record_get_int64 (p, "price"));
      g_autofree char *text = g_strdup_printf ("%s — %s (%s)", sk_record_get_string (p, "sku"),
                                               sk_record_get_string (p, "name"), price);

      gtk_string_list_append (names, text);
    }
  gtk_drop_down_set_model (self->product_dropdown, G_LIST_MODEL (names));
  {
    g_auto (GStrv) categories = sk_categories_of (self->products);

    sk_editable_offer_choices (GTK_EDITABLE (self->category_entry), _ ("No category"),
                               (const char *const *)categories);
  }
  {
    /* Search the dropdown by its text. */
    GtkExpression *expr = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");

    gtk_drop_down_set_expression (self->product_dropdown, expr);
    gtk_expression_unref (expr);
  }
}

static void
store_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCheckoutView *self;
  g_autoptr (SkStore) store = NULL;
  g_autoptr (GError) error = NULL;

  store = sk_repository_get_store_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHECKOUT_VIEW (user_data);
  if (error != NULL)
    sk_widget_toast_error (GTK_WIDGET (self), error);
  sk_sale_set_store (self->sale, store);
  sk_checkout_view_recompute (self);
}

/* The view's cancellable goes with the view: a late answer finds no view. */
static void
load_store_and_products (SkCheckoutView *self)
{
  SkRepository    *repository = sk_app_repository ();
  g_autofree char *store_id = NULL;

  if (repository == NULL)
    return;
  store_id = sk_application_dup_store_id (sk_app ());
  sk_repository_get_store_async (repository, store_id, self->cancellable, store_loaded_cb, self);
  sk_repository_list_products_async (repository, self->cancellable, products_listed_cb, self);
}

/* Where every action leaves the cashier: in the scan field, on the cart's
 * page when the till is narrow. */
void
_sk_checkout_view_focus_scan (SkCheckoutView *self)
{
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child_name (self->leaflet, "cart");
  gtk_widget_grab_focus (GTK_WIDGET (self->scan_entry));
}

/* On a phone the bonus spin and Max leave the end of the spend row for a
 * row of their own under it: beside them its title and note had a third
 * of the width, a word a line, and the note was cut. */
static void
place_spend_controls (SkCheckoutView *self)
{
  gboolean   narrow = adw_leaflet_get_folded (self->leaflet);
  GtkWidget *controls = self->spend_controls;
  gboolean   focused;

  if ((gtk_widget_get_parent (controls) == GTK_WIDGET (self->spend_controls_row)) == narrow)
    return;
  focused = has_focus_within (controls);
  g_object_ref (controls);
  if (narrow)
    {
      adw_action_row_remove (self->spend_row, controls);
      gtk_list_box_row_set_child (self->spend_controls_row, controls);
    }
  else
    {
      gtk_list_box_row_set_child (self->spend_controls_row, NULL);
      adw_action_row_add_suffix (self->spend_row, controls);
    }
  g_object_unref (controls);
  gtk_widget_set_hexpand (GTK_WIDGET (self->bonus_spin), narrow);
  gtk_widget_set_margin_start (controls, narrow ? 12 : 0);
  gtk_widget_set_margin_end (controls, narrow ? 12 : 0);
  gtk_widget_set_margin_top (controls, narrow ? 6 : 0);
  gtk_widget_set_margin_bottom (controls, narrow ? 12 : 0);
  gtk_widget_set_visible (GTK_WIDGET (self->spend_controls_row), narrow);
  if (focused)
    gtk_widget_grab_focus (GTK_WIDGET (self->bonus_spin));
}

/* The receipt of the last sale gives way to the sale being rung up. */
void
_sk_checkout_view_leave_receipt (SkCheckoutView *self)
{
  gtk_stack_set_visible_child_name (self->panel_stack, "sale");
}

static void
new_sale (SkCheckoutView *self)
{
  sk_sale_clear (self->sale);
  self->paying = FALSE;
  self->pay_queued = FALSE;
  self->bonus_asked = 0;
  gtk_editable_set_text (GTK_EDITABLE (self->scan_entry), "");
  _sk_checkout_view_scan_message (self, FALSE, NULL);
  /* The next sale's figures start at their top: the subtotal, the
   * discounts given, not the rules the last one did not get. */
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->sale_scroller), 0);
  update_customer_row (self);
  sk_checkout_view_recompute (self);
}

void
sk_checkout_view_set_customer (SkCheckoutView *self, SkCustomer *customer)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  sk_sale_set_customer (self->sale, customer);
  update_customer_row (self);
  sk_checkout_view_recompute (self);
}

SkCustomer *
sk_checkout_view_get_customer (SkCheckoutView *self)
{
  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), NULL);
  return sk_sale_get_customer (self->sale);
}

static void
customer_found_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (GError) error = NULL;
  SkCheckoutView *self = g_task_get_source_object (task);

  customer = sk_repository_lookup_customer_finish (SK_REPOSITORY (source), result, &error);
  if (customer == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          const char      *code = g_task_get_task_data (task);
          g_autofree char *phone = sk_normalize_phone (code, NULL);
          g_autofree char *msg = NULL;

          /* A phone number is no product code: the cashier is told how to
           * register its owner, the number filled in. */
          if (phone != NULL && gtk_widget_get_visible (self->register_button))
            msg = g_strdup_printf (
                _ ("No customer with the phone “%s”: the button beside registers one with it"),
                code);
          else
            msg = g_strdup_printf (_ ("No product or customer with the code “%s”"), code);

          /* Said next to the scan field, which is ready for the next try. */
          _sk_checkout_view_scan_message (self, TRUE, msg);
          _sk_checkout_view_set_unknown_code (self, g_task_get_task_data (task));
          g_clear_error (&error);
          g_set_error_literal (&error, SK_ERROR, SK_ERROR_NOT_FOUND, msg);
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  _sk_checkout_view_leave_receipt (self);
  {
    SkCustomer      *before = sk_checkout_view_get_customer (self);
    g_autofree char *replaced = NULL;

    /* Another card in the middle of a sale: the sale is now that
     * customer's, and the cashier is told whose it was (a scan of the
     * first card gives it back). */
    if (before != NULL && g_strcmp0 (sk_record_get_id (before), sk_record_get_id (customer)) != 0)
      replaced = g_strdup_printf (_ ("Customer changed to %s (was %s)"),
                                  sk_record_get_string (customer, "full_name"),
                                  sk_record_get_string (before, "full_name"));
    sk_checkout_view_set_customer (self, customer);
    _sk_checkout_view_scan_message (self, FALSE, replaced);
  }
  _sk_checkout_view_focus_scan (self);
  g_task_return_boolean (task, TRUE);
}

void
sk_checkout_view_find_customer_async (SkCheckoutView     *self,
                                      const char         *card_or_phone,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sk_checkout_view_find_customer_async);
  g_task_set_task_data (task, g_strdup (card_or_phone), g_free);
  if (sk_app_repository () == NULL || card_or_phone == NULL || *card_or_phone == '\0')
    {
      g_task_return_new_error (task, SK_ERROR, SK_ERROR_NOT_FOUND,
                               _ ("Scan a card or type a phone number"));
      return;
    }
  sk_repository_lookup_customer_async (sk_app_repository (), card_or_phone, self->cancellable,
                                       customer_found_cb, g_steal_pointer (&task));
}

gboolean
sk_checkout_view_find_customer_finish (SkCheckoutView *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
sk_checkout_view_add_line (SkCheckoutView *self,
                           const char     *sku,
                           const char     *name,
                           const char     *category,
                           gint64          unit_price,
                           gint64          quantity)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));

  /* The same SKU scanned again adds to its line (the sale's rule). */
  if (sk_sale_add_line (self->sale, sku, name, category, unit_price, quantity) != NULL)
    {
      _sk_checkout_view_leave_receipt (self);
      sk_checkout_view_recompute (self);
    }
}

/* The product a scanned or typed code names, or NULL. The one place that
 * knows how: by its SKU (any case) or its barcode, among the products the
 * till loaded (as sk_database_find_product_by_code does in the store). */
SkProduct *
_sk_checkout_view_find_product (SkCheckoutView *self, const char *code)
{
  for (guint i = 0; self->products && i < self->products->len; i++)
    {
      SkProduct *p = g_ptr_array_index (self->products, i);

      if (g_ascii_strcasecmp (sk_record_get_string (p, "sku"), code) == 0
          || g_strcmp0 (sk_record_get_string (p, "barcode"), code) == 0)
        return p;
    }
  return NULL;
}

/* One of @p on the sale. */
void
_sk_checkout_view_add_product (SkCheckoutView *self, SkProduct *p)
{
  sk_checkout_view_add_line (self, sk_record_get_string (p, "sku"),
                             sk_record_get_string (p, "name"), sk_record_get_string (p, "category"),
                             sk_record_get_int64 (p, "price"), 1);
}

gboolean
sk_checkout_view_add_sku (SkCheckoutView *self, const char *sku)
{
  SkProduct *p;

  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  p = _sk_checkout_view_find_product (self, sku);
  if (p != NULL)
    {
      _sk_checkout_view_add_product (self, p);
      return TRUE;
    }
  {
    g_autofree char *msg = g_strdup_printf (_ ("No product with SKU “%s”"), sku);

    _sk_checkout_view_scan_message (self, TRUE, msg);
  }
  return FALSE;
}

void
sk_checkout_view_set_quantity (SkCheckoutView *self, guint line, gint64 quantity)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  g_return_if_fail (line < sk_sale_get_n_lines (self->sale));

  sk_sale_set_quantity (self->sale, line, quantity);
  sk_checkout_view_recompute (self);
}

void
sk_checkout_view_remove_line (SkCheckoutView *self, guint line)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  g_return_if_fail (line < sk_sale_get_n_lines (self->sale));

  sk_sale_remove_line (self->sale, line);
  sk_checkout_view_recompute (self);
}

guint
sk_checkout_view_get_n_lines (SkCheckoutView *self)
{
  return sk_sale_get_n_lines (self->sale);
}

void
sk_checkout_view_set_bonus_spend (SkCheckoutView *self, gint64 amount)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  /* The engine's answer does not depend on it: no new pricing. */
  self->bonus_asked = MAX (amount, 0);
  sk_sale_set_bonus_to_spend (self->sale, amount);
  show_figures (self);
}

gint64
sk_checkout_view_get_bonus_cap (SkCheckoutView *self)
{
  return sk_sale_get_bonus_cap (self->sale);
}

gint64
sk_checkout_view_get_bonus_spend (SkCheckoutView *self)
{
  return sk_sale_get_bonus_to_spend (self->sale);
}

gint64
sk_checkout_view_get_bonus_earn (SkCheckoutView *self)
{
  return sk_sale_get_bonus_earned (self->sale);
}

gint64
sk_checkout_view_get_to_pay (SkCheckoutView *self)
{
  return sk_sale_get_to_pay (self->sale);
}

const SkEngineResult *
sk_checkout_view_get_result (SkCheckoutView *self)
{
  return sk_sale_get_result (self->sale);
}

SkPurchase *
sk_checkout_view_get_last_purchase (SkCheckoutView *self)
{
  return self->last_purchase;
}

gint64
sk_checkout_view_get_recompute_usec (SkCheckoutView *self)
{
  return self->recompute_usec;
}

gboolean
sk_checkout_view_export_receipt (SkCheckoutView *self, const char *path, GError **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->last_purchase == NULL)
    {
      g_set_error_literal (error, SK_ERROR, SK_ERROR_NOT_FOUND,
                           _ ("No sale to print a receipt for"));
      return FALSE;
    }
  text = sk_receipt_format (self->last_purchase, self->last_customer,
                            sk_sale_get_store (self->sale));
  return sk_receipt_export_pdf (text, path, error);
}

/* The receipt in the side panel: it never blocks the till, and the next
 * scan starts the next sale. */
static void
show_receipt (SkCheckoutView *self, SkPurchase *purchase, SkCustomer *customer)
{
  g_autofree char *text = sk_receipt_format (purchase, customer, sk_sale_get_store (self->sale));

  gtk_label_set_text (self->receipt_label, text);
  /* By e-mail only to a customer who gave an address and consented. */
  gtk_widget_set_visible (self->email_receipt_button, sk_receipt_can_email (customer));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.email-receipt",
                                 sk_receipt_can_email (customer));
  gtk_stack_set_visible_child_name (self->panel_stack, "receipt");
}

gboolean
sk_checkout_view_get_receipt_shown (SkCheckoutView *self)
{
  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->panel_stack), "receipt") == 0;
}

static void
print_receipt_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  if (self->last_purchase != NULL)
    sk_receipt_print (GTK_WINDOW (gtk_widget_get_root (widget)),
                      gtk_label_get_text (self->receipt_label));
  _sk_checkout_view_focus_scan (self);
}

static void
receipt_queued_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (SkCheckoutView) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean queued = FALSE;

  if (!sk_repository_queue_receipt_finish (SK_REPOSITORY (source), result, &queued, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      sk_widget_toast_error (GTK_WIDGET (self), error);
      /* Another try is the cashier's to make. */
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.email-receipt",
                                     sk_checkout_view_get_receipt_shown (self));
      return;
    }
  if (self->last_customer != NULL)
    {
      /* Tills queue; HQ sends it after the next sync. */
      g_autofree char *msg = g_strdup_printf (queued ? _ ("The receipt will be sent to %s")
                                                     : _ ("The receipt was already sent to %s"),
                                              sk_record_get_string (self->last_customer, "email"));

      sk_widget_toast (GTK_WIDGET (self), msg);
    }
}

/* Once per receipt: the button is off from the first press on, and the
 * store queues a sale's receipt once anyway. */
static void
email_receipt_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  if (self->last_purchase != NULL && sk_app_repository () != NULL
      && sk_receipt_can_email (self->last_customer))
    {
      gtk_widget_action_set_enabled (widget, "checkout.email-receipt", FALSE);
      sk_repository_queue_receipt_async (sk_app_repository (),
                                         sk_record_get_id (self->last_purchase), self->cancellable,
                                         receipt_queued_cb, g_object_ref (self));
    }
  _sk_checkout_view_focus_scan (self);
}

static void
close_receipt_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  _sk_checkout_view_leave_receipt (self);
  _sk_checkout_view_focus_scan (self);
}

static void
paid_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCheckoutView *self;
  g_autoptr (SkPurchaseResult) sale = NULL;
  g_autoptr (GError) error = NULL;

  /* The repository announced the sale (purchase-changed) before this. */
  sale = sk_repository_process_purchase_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHECKOUT_VIEW (user_data);
  if (sale == NULL)
    {
      self->paying = FALSE;
      sk_widget_toast_error (GTK_WIDGET (self), error);
      sk_checkout_view_recompute (self);
      return;
    }
  g_set_object (&self->last_purchase, sale->purchase);
  g_set_object (&self->last_customer, sale->customer);
  {
    g_autofree char *paid = sk_money_format (sk_record_get_int64 (sale->purchase, "total_paid"));
    g_autofree char *msg = g_strdup_printf (_ ("Paid %s"), paid);

    sk_widget_toast (GTK_WIDGET (self), msg);
  }
  new_sale (self);
  show_receipt (self, sale->purchase, sale->customer);
  _sk_checkout_view_focus_scan (self);
}

/* A double click must never make two sales: the button is off while we
 * pay, and the request carries the sale's UUID, so a replay is a no-op.
 * The sale runs on a worker: the till keeps drawing while it waits. */
static void
start_purchase (SkCheckoutView *self)
{
  SkPurchaseRequest *request = sk_sale_to_request (self->sale);

  self->paying = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.pay", FALSE);
  sk_repository_process_purchase_async (sk_app_repository (), request, self->cancellable, paid_cb,
                                        self);
}

/* A cashier with a scanner scans the last item and presses F12 at once,
 * before its price is back (a few milliseconds): a key that did nothing
 * would be pressed again, or the sale left open. So F12 then is taken and
 * kept: the sale is paid as soon as the till shows its figures (lines
 * scanned meanwhile belong to it; Ctrl+N drops the payment). */
gboolean
sk_checkout_view_pay (SkCheckoutView *self)
{
  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);

  /* An amount typed in the bonus field counts as if Enter had been
   * pressed: F4, 500, F12 spends 500. */
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->bonus_spin)), "") != 0)
    gtk_spin_button_update (self->bonus_spin);
  if (has_focus_within (GTK_WIDGET (self->bonus_spin)))
    _sk_checkout_view_focus_scan (self);
  if (sk_app_repository () == NULL || sk_sale_get_store (self->sale) == NULL
      || sk_sale_get_n_lines (self->sale) == 0 || self->paying)
    return FALSE;
  if (self->calculating)
    {
      self->paying = TRUE;
      self->pay_queued = TRUE;
      return TRUE;
    }
  if (sk_sale_get_result (self->sale) == NULL)
    return FALSE;
  start_purchase (self);
  return TRUE;
}

/* The Pay button: on only while the figures are fresh. */
static void
pay_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  sk_checkout_view_pay (SK_CHECKOUT_VIEW (widget));
}

gboolean
sk_checkout_view_get_paying (SkCheckoutView *self)
{
  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  return self->paying;
}

static void
drop_undo (SkCheckoutView *self)
{
  g_clear_pointer (&self->dropped_cart, sk_cart_free);
  g_clear_object (&self->dropped_customer);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.undo-new-sale", FALSE);
}

/* A cart dropped by a slip of Ctrl+N is not lost: Undo brings it back. */
static void
new_sale_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  drop_undo (self);
  if (sk_sale_get_n_lines (self->sale) > 0 && !self->paying)
    {
      AdwToast *toast = adw_toast_new (_ ("The sale was cleared"));

      self->dropped_cart = sk_sale_to_cart (self->sale);
      g_set_object (&self->dropped_customer, sk_sale_get_customer (self->sale));
      self->dropped_bonus = sk_sale_get_bonus_to_spend (self->sale);
      gtk_widget_action_set_enabled (widget, "checkout.undo-new-sale", TRUE);
      adw_toast_set_button_label (toast, _ ("_Undo"));
      /* The toast is the window's: the view's own actions are not seen
       * from there. */
      adw_toast_set_action_name (toast, "win.checkout");
      adw_toast_set_action_target_value (toast, g_variant_new_string ("undo-new-sale"));
      sk_widget_add_toast (widget, toast);
    }
  new_sale (self);
  _sk_checkout_view_leave_receipt (self);
  _sk_checkout_view_focus_scan (self);
}

/* Only into an empty cart: a sale rung up since is not mixed with it. */
static void
undo_new_sale_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  SkCart         *cart = self->dropped_cart;

  if (cart == NULL || self->paying)
    return;
  if (sk_sale_get_n_lines (self->sale) > 0)
    {
      /* Said by the scan field, where the cashier looks; a toast would wait
       * behind the Undo one still shown. */
      _sk_checkout_view_scan_message (self, TRUE,
                                      _ ("The cleared sale comes back only into an empty cart"));
      return;
    }
  _sk_checkout_view_leave_receipt (self);
  for (guint i = 0; i < cart->lines->len; i++)
    {
      const SkCartLine *l = &g_array_index (cart->lines, SkCartLine, i);

      sk_sale_add_line (self->sale, l->sku, l->name, l->category, l->unit_price, l->quantity);
    }
  sk_sale_set_customer (self->sale, self->dropped_customer);
  sk_sale_set_bonus_to_spend (self->sale, self->dropped_bonus);
  drop_undo (self);
  update_customer_row (self);
  sk_checkout_view_recompute (self);
  _sk_checkout_view_focus_scan (self);
}

static void
clear_customer_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  sk_checkout_view_set_customer (SK_CHECKOUT_VIEW (widget), NULL);
  _sk_checkout_view_focus_scan (SK_CHECKOUT_VIEW (widget));
}

static void
customer_saved_cb (SkCustomerEditor *editor, SkCustomer *customer, SkCheckoutView *self)
{
  _sk_checkout_view_leave_receipt (self);
  sk_checkout_view_set_customer (self, customer);
  /* The "no customer with …" that led here is answered. */
  _sk_checkout_view_scan_message (self, FALSE, NULL);
  _sk_checkout_view_focus_scan (self);
}

static void
register_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView   *self = SK_CHECKOUT_VIEW (widget);
  SkCustomerEditor *editor;
  const char       *typed = gtk_editable_get_text (GTK_EDITABLE (self->scan_entry));

  if (sk_app_repository () == NULL)
    return;
  editor = sk_customer_editor_new (GTK_WINDOW (gtk_widget_get_root (widget)), sk_app_repository (),
                                   NULL);
  /* What the cashier typed, or the phone or card just scanned that named
   * nobody, is likely the new customer's. */
  if ((typed == NULL || *typed == '\0') && self->unknown_code != NULL
      && gtk_widget_get_visible (GTK_WIDGET (self->scan_message)))
    typed = self->unknown_code;
  if (typed != NULL && *typed != '\0')
    sk_customer_editor_set_text (editor, strlen (typed) >= 10 || typed[0] == '+' ? "phone" : "card",
                                 typed);
  if (sk_sale_get_store (self->sale) != NULL)
    sk_customer_editor_set_home_store (editor, sk_record_get_id (sk_sale_get_store (self->sale)));
  g_signal_connect_object (editor, "saved", G_CALLBACK (customer_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
add_product_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  guint           pos = gtk_drop_down_get_selected (self->product_dropdown);

  if (self->products == NULL || pos >= self->products->len)
    return;
  {
    SkProduct *p = g_ptr_array_index (self->products, pos);

    _sk_checkout_view_add_product (self, p);
  }
  _sk_checkout_view_focus_scan (self);
}

void
_sk_checkout_view_set_unknown_code (SkCheckoutView *self, const char *code)
{
  g_free (self->unknown_code);
  self->unknown_code = g_strdup (code);
}

/* A product typed in by hand (an empty store's first ones, or a code the
 * till does not know yet). The chain's list comes by sync or, in one go,
 * from a CSV file (sk_products_csv_parse): its import goes next to this. */
static const char *
new_product_check (AdwMessageDialog *dialog, gpointer user_data)
{
  SkCheckoutView  *self = user_data;
  const char      *price_text = sk_entry_dialog_get_text (dialog, 3);
  g_autofree char *sku = g_strstrip (g_strdup (sk_entry_dialog_get_text (dialog, 0)));
  g_autofree char *name = g_strstrip (g_strdup (sk_entry_dialog_get_text (dialog, 1)));
  gint64           price = 0;

  if (*sku == '\0' || *name == '\0' || *price_text == '\0')
    return "";
  if (_sk_checkout_view_find_product (self, sku) != NULL)
    return _ ("A product with this SKU exists already");
  if (!sk_money_parse (price_text, &price) || price <= 0 || price > SK_MONEY_MAX)
    return sk_price_hint ();
  return NULL;
}

static void
present_new_product (SkCheckoutView *self, const char *const *values, const char *error);

/* What was typed, for the dialog again if the store refuses it. The view
 * is not held: its cancellable, cancelled when it goes, guards it. */
typedef struct
{
  SkCheckoutView *self;
  GStrv           typed;
} NewProduct;

static void
product_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  NewProduct *pending = user_data;
  g_autoptr (SkProduct) product = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) typed = pending->typed;
  SkCheckoutView *self = pending->self;

  g_free (pending);
  product = sk_repository_save_product_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (product == NULL)
    {
      present_new_product (self, (const char *const *)typed, error->message);
      return;
    }
  {
    g_autofree char *msg
        = g_strdup_printf (_ ("Product “%s” added"), sk_record_get_string (product, "name"));

    sk_widget_toast (GTK_WIDGET (self), msg);
  }
  /* It was scanned or typed to be sold: it goes on the sale. */
  _sk_checkout_view_add_product (self, product);
  _sk_checkout_view_focus_scan (self);
}

static void
new_product_response_cb (AdwMessageDialog *dialog, const char *response, SkCheckoutView *self)
{
  g_autoptr (SkProduct) product = NULL;
  GStrvBuilder *builder;
  NewProduct   *pending;
  gint64        price = 0;

  if (!g_str_equal (response, "apply") || new_product_check (dialog, self) != NULL
      || sk_app_repository () == NULL)
    {
      _sk_checkout_view_focus_scan (self);
      return;
    }
  builder = g_strv_builder_new ();
  for (guint i = 0; i < 4; i++)
    g_strv_builder_add (builder, sk_entry_dialog_get_text (dialog, i));
  sk_money_parse (sk_entry_dialog_get_text (dialog, 3), &price);
  product = g_object_new (SK_TYPE_PRODUCT, NULL);
  {
    g_autofree char *sku = g_strstrip (g_strdup (sk_entry_dialog_get_text (dialog, 0)));

    g_object_set (product, "sku", sku, NULL);
    /* A scanned code (EAN-8 to EAN-14) is the product's barcode too. */
    if (strlen (sku) >= 8 && strlen (sku) <= 14 && strspn (sku, "0123456789") == strlen (sku))
      g_object_set (product, "barcode", sku, NULL);
  }
  g_object_set (product, "name", sk_entry_dialog_get_text (dialog, 1), "category",
                sk_entry_dialog_get_text (dialog, 2), "price", price, NULL);
  pending = g_new0 (NewProduct, 1);
  pending->self = self;
  pending->typed = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  sk_repository_save_product_async (sk_app_repository (), product, self->cancellable,
                                    product_saved_cb, pending);
}

static void
present_new_product (SkCheckoutView *self, const char *const *values, const char *error)
{
  const char *const labels[]
      = { _ ("SKU or barcode"), _ ("Name"), _ ("Category"), _ ("Price in rubles"), NULL };
  AdwMessageDialog *dialog = sk_entry_dialog_new (
      GTK_WIDGET (self), _ ("New Product"), _ ("A product of this store, to sell now and later."),
      labels, values, error, _ ("_Add"), new_product_check, self);
  g_auto (GStrv) categories = sk_categories_of (self->products);

  /* The category chosen from the store's, when it has some. */
  sk_editable_offer_choices (sk_entry_dialog_get_entry (dialog, 2), _ ("No category"),
                             (const char *const *)categories);
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_product_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
new_product_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView   *self = SK_CHECKOUT_VIEW (widget);
  const char *const values[] = { self->unknown_code, NULL, NULL, NULL, NULL };

  present_new_product (self, values, NULL);
}

/* A price list from a CSV file (the format of sk-products-csv.h, as
 * skidka-cli products import reads it): all or nothing, read and written on
 * the repository's worker. */
static void
products_imported_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCheckoutView             *self = user_data;
  g_autofree SkProductImport *counts = NULL;
  g_autoptr (GError) error = NULL;

  counts = sk_repository_import_products_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (counts == NULL)
    {
      AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (
          adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                  _ ("The Price List Was Not Imported"), NULL));

      adw_message_dialog_format_body (dialog, "%s\n\n%s", error->message,
                                      _ ("Correct the file and import it again."));
      adw_message_dialog_add_response (dialog, "close", _ ("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
      return;
    }
  {
    /* A price list fits the server's body limit: far fewer than G_MAXUINT. */
    g_autofree char *added = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%u product added", "%u products added", counts->created),
        (guint)counts->created);
    g_autofree char *msg = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE, "%s, %u updated", "%s, %u updated", counts->updated), added,
        (guint)counts->updated);

    sk_widget_toast (GTK_WIDGET (self), msg);
  }
  /* Into HQ's catalogue: the till has it at its next pull, now. */
  if (sk_repository_get_at_hq (SK_REPOSITORY (source)))
    g_action_group_activate_action (G_ACTION_GROUP (g_application_get_default ()), "sync-now",
                                    NULL);
  _sk_checkout_view_focus_scan (self);
}

static void
price_list_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCheckoutView *self = user_data;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (bytes == NULL)
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  sk_repository_import_products_async (sk_app_repository (), bytes, self->cancellable,
                                       products_imported_cb, self);
}

void
_sk_checkout_view_import_products (SkCheckoutView *self, GFile *file)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (sk_app_repository () == NULL)
    return;
  g_file_load_bytes_async (file, self->cancellable, price_list_loaded_cb, self);
}

static void
import_response_cb (GtkNativeDialog *dialog, int response, SkCheckoutView *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = NULL;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      G_GNUC_END_IGNORE_DEPRECATIONS
      _sk_checkout_view_import_products (self, file);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
import_products_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *dialog;

  gtk_file_filter_set_name (filter, _ ("Price lists (CSV)"));
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_filter_add_mime_type (filter, "text/csv");
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_file_chooser_native_new (_ ("Import Products"),
                                        GTK_WINDOW (gtk_widget_get_root (widget)),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Import"), _ ("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_connect (dialog, "response", G_CALLBACK (import_response_cb), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* The item typed by hand, at @price, sold; its fields ready for the next. */
static void
add_free_line (SkCheckoutView *self, gint64 price)
{
  sk_checkout_view_add_line (self, NULL, gtk_editable_get_text (GTK_EDITABLE (self->name_entry)),
                             gtk_editable_get_text (GTK_EDITABLE (self->category_entry)), price,
                             gtk_spin_button_get_value_as_int (self->quantity_spin));
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->price_entry), "");
  gtk_spin_button_set_value (self->quantity_spin, 1);
  _sk_checkout_view_focus_scan (self);
}

/* Prices above this (in kopecks) look like a code scanned into the price. */
static gint64
confirm_price_above (void)
{
  gint64 rubles = sk_app () != NULL ? g_settings_get_int (sk_application_get_settings (sk_app ()),
                                                          "confirm-price-above")
                                    : 100000;

  return rubles * 100;
}

static void
price_response_cb (AdwMessageDialog *dialog, const char *response, SkCheckoutView *self)
{
  if (g_str_equal (response, "sell"))
    add_free_line (self, *(gint64 *)g_object_get_data (G_OBJECT (dialog), "price"));
  else
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->price_entry));
      gtk_editable_select_region (GTK_EDITABLE (self->price_entry), 0, -1);
    }
}

static void
add_free_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  const char     *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  const char     *price_text = gtk_editable_get_text (GTK_EDITABLE (self->price_entry));
  gint64          price = 0;

  if (*name == '\0')
    {
      sk_widget_toast (widget, _ ("Type the item's name"));
      gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
      return;
    }
  if (!sk_money_parse (price_text, &price) || price <= 0 || price > SK_MONEY_MAX)
    {
      sk_widget_toast (widget, sk_price_hint ());
      gtk_widget_grab_focus (GTK_WIDGET (self->price_entry));
      return;
    }
  if (price > confirm_price_above ())
    {
      g_autofree char *amount = sk_money_format (price);
      g_autofree char *limit = sk_money_format (confirm_price_above ());
      g_autofree char *heading = g_strdup_printf (_ ("Sell “%s” at %s?"), name, amount);
      g_autofree char *body = g_strdup_printf (
          _ ("Above %s is unusual for one item: a code scanned into the price looks like this."),
          limit);
      g_autofree char *sell = g_strdup_printf (_ ("_Sell at %s"), amount);
      GtkRoot         *root = gtk_widget_get_root (widget);
      GtkWidget       *dialog
          = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);

      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel",
                                        _ ("_Correct the Price"), "sell", sell, NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sell",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      g_object_set_data_full (G_OBJECT (dialog), "price", g_memdup2 (&price, sizeof price), g_free);
      g_signal_connect_object (dialog, "response", G_CALLBACK (price_response_cb), self, 0);
      gtk_window_present (GTK_WINDOW (dialog));
      sk_message_dialog_focus_default (ADW_MESSAGE_DIALOG (dialog));
      return;
    }
  add_free_line (self, price);
}

static void
price_activate_cb (SkCheckoutView *self)
{
  add_free_action (GTK_WIDGET (self), "checkout.add-free", NULL);
}

static void
spend_max_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  sk_checkout_view_set_bonus_spend (self, sk_sale_get_bonus_cap (self->sale));
  _sk_checkout_view_focus_scan (self);
}

static void
focus_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  const char     *what = g_variant_get_string (param, NULL);

  if (g_str_equal (what, "bonus"))
    {
      _sk_checkout_view_leave_receipt (self);
      adw_leaflet_set_visible_child_name (self->leaflet, "panel");
      gtk_widget_grab_focus (GTK_WIDGET (self->bonus_spin));
    }
  else if (g_str_equal (what, "spend-max"))
    gtk_widget_activate_action (widget, "checkout.spend-max", NULL);
  else
    _sk_checkout_view_focus_scan (self);
}

static void
show_panel_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  adw_leaflet_set_visible_child_name (
      self->leaflet, g_str_equal (action_name, "checkout.show-panel") ? "panel" : "cart");
}

static void
scan_activate_cb (GtkEntry *entry, SkCheckoutView *self)
{
  g_autofree char *code = g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry)));

  sk_checkout_view_scan (self, code);
}

/* The amount typed into the bonus field, read as money ("100,50" too);
 * more than may be spent is said, then the most that may. */
static int
bonus_spin_input_cb (GtkSpinButton *spin, double *value, SkCheckoutView *self)
{
  gint64 asked = 0;
  gint64 cap = sk_sale_get_bonus_cap (self->sale);

  if (!sk_money_parse (gtk_editable_get_text (GTK_EDITABLE (spin)), &asked) || asked < 0)
    return FALSE; /* GTK's own reading, and its error */
  if (asked > cap)
    {
      g_autofree char *most = sk_money_format (cap);
      g_autofree char *text = g_strdup_printf (_ ("At most %s can be paid with bonuses"), most);

      _sk_checkout_view_scan_message (self, FALSE, text);
      asked = cap;
    }
  *value = asked / 100.0;
  return TRUE;
}

static void
bonus_spin_changed_cb (GtkSpinButton *spin, SkCheckoutView *self)
{
  if (self->updating_spin)
    return;
  sk_checkout_view_set_bonus_spend (self, (gint64)(gtk_spin_button_get_value (spin) * 100 + 0.5));
}

/* Cart columns */

static char *
cell_name (gpointer item)
{
  g_autofree char *sku = NULL;
  g_autofree char *name = NULL;

  g_object_get (item, "sku", &sku, "name", &name, NULL);
  return sku ? g_strdup_printf ("%s · %s", name, sku) : g_steal_pointer (&name);
}

static char *
cell_category (gpointer item)
{
  char *category = NULL;

  g_object_get (item, "category", &category, NULL);
  return category;
}

static char *
cell_price (gpointer item)
{
  gint64 price = 0;

  g_object_get (item, "unit-price", &price, NULL);
  return sk_money_format (price);
}

/* A line's discount (blank when none) or total, as money. */
static gboolean
money_transform (GBinding *binding, const GValue *from, GValue *to, gpointer user_data)
{
  gint64 v = g_value_get_int64 (from);

  g_value_take_string (to, v == 0 && user_data == NULL ? g_strdup ("") : sk_money_format (v));
  return TRUE;
}

static void
bound_label_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_add_css_class (label, "numeric");
  if (user_data == NULL)
    gtk_widget_add_css_class (label, "discount-amount");
  gtk_list_item_set_child (list_item, label);
}

static void
bound_label_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GObject  *item = gtk_list_item_get_item (list_item);
  GBinding *binding;

  binding = g_object_bind_property_full (
      item, user_data ? "total" : "discount", gtk_list_item_get_child (list_item), "label",
      G_BINDING_SYNC_CREATE, money_transform, NULL, user_data, NULL);
  g_object_set_data (G_OBJECT (list_item), "binding", binding);
}

static void
bound_label_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GBinding *binding = g_object_get_data (G_OBJECT (list_item), "binding");

  if (binding != NULL)
    g_binding_unbind (binding);
  g_object_set_data (G_OBJECT (list_item), "binding", NULL);
}

/* Quantities above this look like a code scanned into the wrong field. */
static gint64
confirm_quantity_above (void)
{
  if (sk_app () == NULL)
    return 99;
  return g_settings_get_int (sk_application_get_settings (sk_app ()), "confirm-quantity-above");
}

static gboolean
find_line (SkCheckoutView *self, SkPurchaseLine *line, guint *position)
{
  GListModel *lines = sk_sale_get_lines (self->sale);

  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, i);

      if (l == line)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
quantity_response_cb (AdwMessageDialog *dialog, const char *response, SkCheckoutView *self)
{
  SkPurchaseLine *line = g_object_get_data (G_OBJECT (dialog), "line");
  gint64          quantity = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (dialog), "quantity"));
  guint           position;

  /* The line may have gone meanwhile (a new sale, removed). */
  if (g_str_equal (response, "set") && find_line (self, line, &position))
    sk_checkout_view_set_quantity (self, position, quantity);
  _sk_checkout_view_focus_scan (self);
}

static void
ask_quantity (SkCheckoutView *self, SkPurchaseLine *line, gint64 quantity)
{
  g_autofree char *name = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  g_autofree char *set = NULL;
  g_autofree char *count = NULL;
  g_autofree char *above = NULL;
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget       *dialog;

  g_object_get (line, "name", &name, NULL);
  /* Numbers as text: a translatable format cannot hold G_GINT64_FORMAT. */
  count = g_strdup_printf ("%" G_GINT64_FORMAT, quantity);
  above = g_strdup_printf ("%" G_GINT64_FORMAT, confirm_quantity_above ());
  heading = g_strdup_printf (_ ("Sell %s of “%s”?"), count, name);
  body = g_strdup_printf (
      _ ("More than %s is unusual: a code scanned into the quantity looks like this."), above);
  set = g_strdup_printf (_ ("_Sell %s"), count);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Keep the Quantity"),
                                    "set", set, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "set",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "line", g_object_ref (line), g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "quantity", GSIZE_TO_POINTER (quantity));
  g_signal_connect_object (dialog, "response", G_CALLBACK (quantity_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  /* Return, or the next scan's, keeps the quantity. */
  sk_message_dialog_focus_default (ADW_MESSAGE_DIALOG (dialog));
}

void
_sk_checkout_view_sell_quantity (SkCheckoutView *self, guint position, gint64 quantity)
{
  g_autoptr (SkPurchaseLine) line
      = g_list_model_get_item (sk_sale_get_lines (self->sale), position);

  if (line == NULL)
    return;
  if (quantity > confirm_quantity_above ())
    ask_quantity (self, line, quantity);
  else
    sk_checkout_view_set_quantity (self, position, quantity);
}

static void
quantity_changed_cb (GtkSpinButton *spin, GtkListItem *list_item)
{
  SkCheckoutView *self = g_object_get_data (G_OBJECT (spin), "view");
  guint           position = gtk_list_item_get_position (list_item);
  gint64          q = gtk_spin_button_get_value_as_int (spin);
  gint64          quantity = 0;

  if (gtk_list_item_get_item (list_item) == NULL || position == GTK_INVALID_LIST_POSITION)
    return;
  g_object_get (gtk_list_item_get_item (list_item), "quantity", &quantity, NULL);
  if (quantity == q)
    return;
  if (q > confirm_quantity_above ())
    {
      /* The cell shows the quantity sold until the cashier says yes. */
      gtk_spin_button_set_value (spin, quantity);
      ask_quantity (self, gtk_list_item_get_item (list_item), q);
      return;
    }
  sk_checkout_view_set_quantity (self, position, q);
  _sk_checkout_view_focus_scan (self);
}

static void
quantity_notify_cb (SkPurchaseLine *line, GParamSpec *pspec, GtkSpinButton *spin)
{
  gint64 quantity = 0;

  g_object_get (line, "quantity", &quantity, NULL);
  if (gtk_spin_button_get_value_as_int (spin) != quantity)
    gtk_spin_button_set_value (spin, quantity);
}

/* A line's quantity: a spin button, typed into or stepped with Up and
 * Down; a change goes to the line of @list_item once bound. */
static GtkWidget *
quantity_spin_new (SkCheckoutView *self)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (1, SK_QUANTITY_MAX, 1);

  /* As wide as a quantity usually is, not as SK_QUANTITY_MAX: on a phone
   * the item's name needs the room more. */
  gtk_editable_set_width_chars (GTK_EDITABLE (spin), 3);
  g_object_set_data (G_OBJECT (spin), "view", self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Quantity"), -1);
  return spin;
}

static void
quantity_spin_bind (GtkWidget *spin, GtkListItem *list_item)
{
  SkPurchaseLine *item = gtk_list_item_get_item (list_item);
  gint64          quantity = 0;

  g_object_get (item, "quantity", &quantity, NULL);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), quantity);
  g_signal_connect (spin, "value-changed", G_CALLBACK (quantity_changed_cb), list_item);
  /* The same SKU scanned again raises the quantity: show it. */
  g_signal_connect_object (item, "notify::quantity", G_CALLBACK (quantity_notify_cb), spin, 0);
}

static void
quantity_spin_unbind (GtkWidget *spin, GtkListItem *list_item)
{
  SkPurchaseLine *item = gtk_list_item_get_item (list_item);

  g_signal_handlers_disconnect_by_func (spin, quantity_changed_cb, list_item);
  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, quantity_notify_cb, spin);
}

static void
quantity_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  gtk_list_item_set_child (list_item, quantity_spin_new (user_data));
}

static void
quantity_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  quantity_spin_bind (gtk_list_item_get_child (list_item), list_item);
}

static void
quantity_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  quantity_spin_unbind (gtk_list_item_get_child (list_item), list_item);
}

static void
remove_clicked_cb (GtkButton *button, GtkListItem *list_item)
{
  SkCheckoutView *self = g_object_get_data (G_OBJECT (button), "view");
  guint           pos = gtk_list_item_get_position (list_item);

  if (pos != GTK_INVALID_LIST_POSITION)
    sk_checkout_view_remove_line (self, pos);
  _sk_checkout_view_focus_scan (self);
}

static void
remove_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-delete-symbolic");

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _ ("Remove the Line"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Remove the Line"), -1);
  g_object_set_data (G_OBJECT (button), "view", user_data);
  g_signal_connect (button, "clicked", G_CALLBACK (remove_clicked_cb), list_item);
  gtk_list_item_set_child (list_item, button);
}

/* The item's name and code, in up to three lines broken between words
 * (the whole name in its tooltip). On a narrow screen, where the quantity
 * column gives way, the line's quantity goes under its name, so the name
 * has the row's width but for the total. A cart has a few lines, so a
 * GtkLabel each. */
static void
name_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  SkCheckoutView *self = user_data;
  GtkWidget      *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget      *label = gtk_label_new (NULL);
  GtkWidget      *spin = quantity_spin_new (self);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), 3);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_halign (spin, GTK_ALIGN_START);
  gtk_widget_set_margin_bottom (spin, 3);
  g_object_bind_property (self->quantity_column, "visible", spin, "visible",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), spin);
  gtk_list_item_set_child (list_item, box);
}

static void
name_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GtkWidget       *label = gtk_widget_get_first_child (gtk_list_item_get_child (list_item));
  g_autofree char *name = cell_name (gtk_list_item_get_item (list_item));

  gtk_label_set_text (GTK_LABEL (label), name);
  gtk_widget_set_tooltip_text (label, name);
  quantity_spin_bind (gtk_widget_get_next_sibling (label), list_item);
}

static void
name_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer user_data)
{
  GtkWidget *label = gtk_widget_get_first_child (gtk_list_item_get_child (list_item));

  quantity_spin_unbind (gtk_widget_get_next_sibling (label), list_item);
}

/* A column of the cart titled @title, its cells made by @setup, @bind and
 * @unbind (NULL: none) with @data. */
static GtkColumnViewColumn *
cart_column_new (
    const char *title, GCallback setup, GCallback bind, GCallback unbind, gpointer data)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", setup, data);
  if (bind != NULL)
    g_signal_connect (factory, "bind", bind, data);
  if (unbind != NULL)
    g_signal_connect (factory, "unbind", unbind, data);
  return gtk_column_view_column_new (title, factory);
}

static void
setup_cart_columns (SkCheckoutView *self)
{
  static const SkTextColumn text_columns[] = {
    { N_ ("Category"), cell_category, FALSE, FALSE },
    { N_ ("Price"), cell_price, TRUE, FALSE },
  };
  g_autoptr (GtkColumnViewColumn) item = NULL;
  g_autoptr (GtkColumnViewColumn) quantity = NULL;
  g_autoptr (GtkColumnViewColumn) discount = NULL;
  g_autoptr (GtkColumnViewColumn) total = NULL;
  g_autoptr (GtkColumnViewColumn) remove = NULL;

  gtk_column_view_set_model (self->cart_view, GTK_SELECTION_MODEL (gtk_no_selection_new (
                                                  g_object_ref (sk_sale_get_lines (self->sale)))));
  /* Made before the item's: its cells show the quantity when this column
   * gives way. */
  quantity = cart_column_new (_ ("Qty"), G_CALLBACK (quantity_setup), G_CALLBACK (quantity_bind),
                              G_CALLBACK (quantity_unbind), self);
  self->quantity_column = quantity;
  item = cart_column_new (_ ("Item"), G_CALLBACK (name_setup), G_CALLBACK (name_bind),
                          G_CALLBACK (name_unbind), self);
  gtk_column_view_column_set_expand (item, TRUE);
  gtk_column_view_column_set_resizable (item, TRUE);
  discount = cart_column_new (_ ("Discount"), G_CALLBACK (bound_label_setup),
                              G_CALLBACK (bound_label_bind), G_CALLBACK (bound_label_unbind), NULL);
  total
      = cart_column_new (_ ("Total"), G_CALLBACK (bound_label_setup), G_CALLBACK (bound_label_bind),
                         G_CALLBACK (bound_label_unbind), GINT_TO_POINTER (1));
  remove = cart_column_new (NULL, G_CALLBACK (remove_setup), NULL, NULL, self);

  gtk_column_view_append_column (self->cart_view, item);
  sk_column_view_append_text_columns (self->cart_view, text_columns, G_N_ELEMENTS (text_columns));
  gtk_column_view_append_column (self->cart_view, quantity);
  gtk_column_view_append_column (self->cart_view, discount);
  gtk_column_view_append_column (self->cart_view, total);
  gtk_column_view_append_column (self->cart_view, remove);
}

static void
customer_refreshed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkCheckoutView *self;
  g_autoptr (SkCustomer) fresh = NULL;
  g_autoptr (GError) error = NULL;

  fresh = sk_repository_get_customer_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHECKOUT_VIEW (user_data);
  /* Still the customer of this sale (not cleared or changed meanwhile)? */
  if (fresh == NULL || sk_sale_get_customer (self->sale) == NULL
      || g_strcmp0 (sk_record_get_id (sk_sale_get_customer (self->sale)), sk_record_get_id (fresh))
             != 0)
    return;
  sk_sale_set_customer (self->sale, fresh);
  update_customer_row (self);
  sk_checkout_view_recompute (self);
}

static void
refresh_customer (SkCheckoutView *self)
{
  SkCustomer *customer = sk_sale_get_customer (self->sale);

  if (customer != NULL && sk_app_repository () != NULL)
    sk_repository_get_customer_async (sk_app_repository (), sk_record_get_id (customer),
                                      self->cancellable, customer_refreshed_cb, self);
}

static void
reload (SkCheckoutView *self)
{
  load_store_and_products (self);
  refresh_customer (self);
  sk_checkout_view_recompute (self);
}

/* What concerns the till: its store and products, and its customer. */
static void
stores_changed_cb (SkCheckoutView *self)
{
  if (self->loaded)
    load_store_and_products (self);
}

static void
customer_changed_cb (SkRepository *repository, const char *customer_id, SkCheckoutView *self)
{
  SkCustomer *customer = sk_sale_get_customer (self->sale);

  if (self->loaded && customer != NULL && g_strcmp0 (sk_record_get_id (customer), customer_id) == 0)
    refresh_customer (self);
}

static void
purchase_changed_cb (SkRepository   *repository,
                     const char     *purchase_id,
                     const char     *customer_id,
                     SkCheckoutView *self)
{
  customer_changed_cb (repository, customer_id, self);
}

static void
database_changed_cb (SkCheckoutView *self)
{
  if (self->loaded)
    reload (self);
}

static void
bonus_setting_changed_cb (GSettings *settings, const char *key, SkCheckoutView *self)
{
  SkRole role = sk_application_get_role (sk_app ());

  gtk_widget_set_visible (self->bonus_box, g_settings_get_boolean (settings, "show-bonus-details"));
  /* Hidden, not refused after a click, for a role that may not register. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.register", role != SK_ROLE_MARKETING);
  gtk_widget_set_visible (self->register_button, role != SK_ROLE_MARKETING);
  /* Products are a manager's (or an administrator's) to add. */
  gtk_widget_set_visible (self->new_product_button,
                          role == SK_ROLE_MANAGER || role == SK_ROLE_ADMIN);
  gtk_widget_set_visible (self->import_products_button,
                          role == SK_ROLE_MANAGER || role == SK_ROLE_ADMIN);
  if (g_str_equal (key, "store-id"))
    reload (self);
}

/* On a phone the total and Pay are a bar at the foot of the cart, where
 * the window's toasts would cover them ("Paid …" half hid the next sale's
 * total): while the checkout shows it, toasts rise above it (style.css). */
static void
raise_toasts (SkCheckoutView *self)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay == NULL)
    return;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)) && adw_leaflet_get_folded (self->leaflet))
    gtk_widget_add_css_class (overlay, "above-total-bar");
  else
    gtk_widget_remove_css_class (overlay, "above-total-bar");
}

static void
sk_checkout_view_map (GtkWidget *widget)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  GTK_WIDGET_CLASS (sk_checkout_view_parent_class)->map (widget);
  raise_toasts (self);
  if (!self->loaded)
    {
      self->loaded = TRUE;
      reload (self);
      _sk_checkout_view_focus_scan (self);
    }
}

static void
sk_checkout_view_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (sk_checkout_view_parent_class)->unmap (widget);
  raise_toasts (SK_CHECKOUT_VIEW (widget));
}

static void
sk_checkout_view_dispose (GObject *object)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (object);

  sk_cancellable_clear (&self->cancellable);
  sk_cancellable_clear (&self->calc_cancellable);
  g_clear_object (&self->sale);
  g_clear_object (&self->last_purchase);
  g_clear_object (&self->last_customer);
  g_clear_pointer (&self->dropped_cart, sk_cart_free);
  g_clear_object (&self->dropped_customer);
  g_clear_pointer (&self->products, g_ptr_array_unref);
  g_clear_pointer (&self->panel_key, g_free);
  g_clear_pointer (&self->rejected_rows, g_ptr_array_unref);
  _sk_checkout_view_burst_clear (self);
  g_clear_pointer (&self->unknown_code, g_free);
  if (self->burst != NULL)
    g_string_free (g_steal_pointer (&self->burst), TRUE);
  G_OBJECT_CLASS (sk_checkout_view_parent_class)->dispose (object);
}

static void
sk_checkout_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (object);

  switch (prop_id)
    {
    case PROP_CALCULATING:
      g_value_set_boolean (value, self->calculating);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_checkout_view_class_init (SkCheckoutViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_checkout_view_dispose;
  object_class->get_property = sk_checkout_view_get_property;
  widget_class->map = sk_checkout_view_map;
  widget_class->unmap = sk_checkout_view_unmap;

  /* TRUE from a change of the sale until its price is back from the
   * worker; Pay waits for it. */
  properties[PROP_CALCULATING]
      = g_param_spec_boolean ("calculating", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-checkout-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, scan_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, scan_message);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, customer_row);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, clear_customer_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, register_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, new_product_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, import_products_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, product_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, free_expander);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, name_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, category_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, price_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, quantity_spin);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, cart_stack);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, cart_view);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, narrow_total_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, panel_stack);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, sale_scroller);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, subtotal_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, applied_list);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, rejected_box);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, rejected_row);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, bonus_box);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, spend_row);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, spend_controls);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, spend_controls_row);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, bonus_spin);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, earn_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, total_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, pay_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, receipt_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, email_receipt_button);

  gtk_widget_class_install_action (widget_class, "checkout.pay", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "checkout.new-sale", NULL, new_sale_action);
  gtk_widget_class_install_action (widget_class, "checkout.undo-new-sale", NULL,
                                   undo_new_sale_action);
  gtk_widget_class_install_action (widget_class, "checkout.clear-customer", NULL,
                                   clear_customer_action);
  gtk_widget_class_install_action (widget_class, "checkout.register", NULL, register_action);
  gtk_widget_class_install_action (widget_class, "checkout.add-product", NULL, add_product_action);
  gtk_widget_class_install_action (widget_class, "checkout.add-free", NULL, add_free_action);
  gtk_widget_class_install_action (widget_class, "checkout.new-product", NULL, new_product_action);
  gtk_widget_class_install_action (widget_class, "checkout.import-products", NULL,
                                   import_products_action);
  gtk_widget_class_install_action (widget_class, "checkout.spend-max", NULL, spend_max_action);
  gtk_widget_class_install_action (widget_class, "checkout.focus", "s", focus_action);
  gtk_widget_class_install_action (widget_class, "checkout.show-panel", NULL, show_panel_action);
  gtk_widget_class_install_action (widget_class, "checkout.show-cart", NULL, show_panel_action);
  gtk_widget_class_install_action (widget_class, "checkout.print-receipt", NULL,
                                   print_receipt_action);
  gtk_widget_class_install_action (widget_class, "checkout.close-receipt", NULL,
                                   close_receipt_action);
  gtk_widget_class_install_action (widget_class, "checkout.email-receipt", NULL,
                                   email_receipt_action);

  /* F2, F3, F4, F12 and Ctrl+N are the window's (win.checkout): they work
   * from any view. */
}

static void
sk_checkout_view_init (SkCheckoutView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->sale = sk_sale_new (NULL);
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.undo-new-sale", FALSE);
  self->rejected_rows = g_ptr_array_new ();
  {
    g_autoptr (GtkListItemFactory) button = product_label_factory (TRUE);
    g_autoptr (GtkListItemFactory) list = product_label_factory (FALSE);

    gtk_drop_down_set_factory (self->product_dropdown, button);
    gtk_drop_down_set_list_factory (self->product_dropdown, list);
  }
  setup_cart_columns (self);
  {
    /* On a narrow screen the category, price and discount give way in turn,
     * then the quantity goes under the item's name (name_setup): the item
     * keeps room for whole words of its name beside its total. Each gives
     * way below the width the columns still shown need (a column's width
     * with its padding, a price as long as 13 999,00 ₽). */
    static const struct
    {
      guint column, width;
    } give_way[] = { { 1, 90 }, { 2, 90 }, { 4, 90 }, { 3, 120 } };
    static SkColumnFit narrow[G_N_ELEMENTS (give_way)];
    int                need = SK_CART_NAME_WIDTH + 95 /* total */ + 45 /* remove */;

    for (guint i = 0; i < G_N_ELEMENTS (give_way); i++)
      need += give_way[i].width;
    for (guint i = 0; i < G_N_ELEMENTS (give_way); i++)
      {
        narrow[i].column = give_way[i].column;
        narrow[i].below = need;
        need -= give_way[i].width;
      }
    sk_column_view_fit_width (self->cart_view, narrow, G_N_ELEMENTS (narrow));
  }
  bind_money_label (self->sale, "subtotal", self->subtotal_label);
  bind_money_label (self->sale, "bonus-earned", self->earn_label);
  bind_money_label (self->sale, "to-pay", self->total_label);
  bind_money_label (self->sale, "to-pay", self->narrow_total_label);

  g_signal_connect (self->scan_entry, "activate", G_CALLBACK (scan_activate_cb), self);
  g_signal_connect_swapped (self->price_entry, "activate", G_CALLBACK (price_activate_cb), self);
  g_signal_connect (self->bonus_spin, "value-changed", G_CALLBACK (bonus_spin_changed_cb), self);
  g_signal_connect (self->bonus_spin, "input", G_CALLBACK (bonus_spin_input_cb), self);
  g_signal_connect_swapped (self->leaflet, "notify::folded", G_CALLBACK (place_spend_controls),
                            self);
  g_signal_connect_swapped (self->leaflet, "notify::folded", G_CALLBACK (raise_toasts), self);
  place_spend_controls (self);
  if (sk_app () != NULL)
    {
      GSettings    *settings = sk_application_get_settings (sk_app ());
      SkRepository *repository = sk_application_get_repository (sk_app ());

      g_signal_connect_object (repository, "stores-changed", G_CALLBACK (stores_changed_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (repository, "customer-changed", G_CALLBACK (customer_changed_cb),
                               self, 0);
      g_signal_connect_object (repository, "purchase-changed", G_CALLBACK (purchase_changed_cb),
                               self, 0);
      g_signal_connect_object (repository, "database-changed", G_CALLBACK (database_changed_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (settings, "changed", G_CALLBACK (bonus_setting_changed_cb), self, 0);
      bonus_setting_changed_cb (settings, "show-bonus-details", self);
    }
}
