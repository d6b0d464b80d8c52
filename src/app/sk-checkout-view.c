/* sk-checkout-view.c: the till. Every change of the customer, the cart or
 * the bonus spend recomputes the whole panel through the one engine
 * (sk_database_calculate), so the till shows what the sale will record.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-checkout-view.h"
#include "sk-customer-editor.h"
#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-widgets.h"

/* One cart line as the till edits it. */
#define SK_TYPE_CART_ITEM (sk_cart_item_get_type ())
G_DECLARE_FINAL_TYPE (SkCartItem, sk_cart_item, SK, CART_ITEM, GObject)

struct _SkCartItem
{
  GObject parent_instance;
  char   *sku;
  char   *name;
  char   *category;
  gint64  unit_price;
  gint64  quantity;
  gint64  discount;
};

G_DEFINE_FINAL_TYPE (SkCartItem, sk_cart_item, G_TYPE_OBJECT)

enum {
  ITEM_PROP_0,
  ITEM_PROP_QUANTITY,
  ITEM_PROP_DISCOUNT,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];

static void
sk_cart_item_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SkCartItem *self = SK_CART_ITEM (object);

  switch (prop_id)
    {
    case ITEM_PROP_QUANTITY:
      g_value_set_int64 (value, self->quantity);
      break;
    case ITEM_PROP_DISCOUNT:
      g_value_set_int64 (value, self->discount);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_cart_item_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  SkCartItem *self = SK_CART_ITEM (object);
  gint64 v = g_value_get_int64 (value);

  switch (prop_id)
    {
    case ITEM_PROP_QUANTITY:
      if (self->quantity != v)
        {
          self->quantity = v;
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case ITEM_PROP_DISCOUNT:
      if (self->discount != v)
        {
          self->discount = v;
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_cart_item_finalize (GObject *object)
{
  SkCartItem *self = SK_CART_ITEM (object);

  g_free (self->sku);
  g_free (self->name);
  g_free (self->category);
  G_OBJECT_CLASS (sk_cart_item_parent_class)->finalize (object);
}

static void
sk_cart_item_class_init (SkCartItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sk_cart_item_finalize;
  object_class->get_property = sk_cart_item_get_property;
  object_class->set_property = sk_cart_item_set_property;
  item_properties[ITEM_PROP_QUANTITY] =
    g_param_spec_int64 ("quantity", NULL, NULL, 1, SK_QUANTITY_MAX, 1,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  item_properties[ITEM_PROP_DISCOUNT] =
    g_param_spec_int64 ("discount", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
}

static void
sk_cart_item_init (SkCartItem *self)
{
  self->quantity = 1;
}

struct _SkCheckoutView
{
  AdwBin parent_instance;

  AdwLeaflet      *leaflet;
  GtkSearchEntry  *customer_entry;
  AdwActionRow    *customer_row;
  GtkWidget       *clear_customer_button;
  GtkWidget       *register_button;
  GtkEntry        *sku_entry;
  GtkDropDown     *product_dropdown;
  GtkEntry        *name_entry;
  GtkEntry        *category_entry;
  GtkEntry        *price_entry;
  GtkSpinButton   *quantity_spin;
  GtkStack        *cart_stack;
  GtkColumnView   *cart_view;
  GtkLabel        *subtotal_label;
  GtkListBox      *applied_list;
  GtkWidget       *rejected_heading;
  GtkListBox      *rejected_list;
  GtkWidget       *bonus_box;
  GtkSpinButton   *bonus_spin;
  GtkLabel        *balance_label;
  GtkLabel        *earn_label;
  GtkLabel        *total_label;
  GtkWidget       *pay_button;
  GtkLabel        *timing_label;

  GListStore      *cart;            /* SkCartItem */
  GPtrArray       *products;        /* SkProduct, parallel to the dropdown */
  SkCustomer      *customer;
  SkStore         *store;
  SkEngineResult  *result;
  SkPurchase      *last_purchase;
  SkCustomer      *last_customer;   /* as the last sale left them, for its receipt */
  char            *sale_id;         /* the client UUID of the sale being rung up */
  gint64           bonus_cap;
  gint64           bonus_spend;
  gint64           bonus_earn;
  gint64           recompute_usec;
  char            *panel_key;       /* what the discount lists show now */
  gint64           engine_usec;
  gboolean         loaded;
  gboolean         paying;
  gboolean         updating_spin;
};

G_DEFINE_FINAL_TYPE (SkCheckoutView, sk_checkout_view, ADW_TYPE_BIN)

static SkDatabase *
view_db (void)
{
  return sk_app () ? sk_application_get_database (sk_app ()) : NULL;
}

static void
clear_list_box (GtkListBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_list_box_remove (box, child);
}

static GtkWidget *
money_row (const char *title,
           const char *subtitle,
           gint64      amount,
           const char *css_class)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *text = sk_money_format (amount);
  g_autofree char *minus = g_strdup_printf ("−%s", text);
  GtkWidget *label = gtk_label_new (amount > 0 && css_class != NULL ? minus : text);

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

static void
set_money_label (GtkLabel *label,
                 gint64    amount)
{
  g_autofree char *text = sk_money_format (amount);

  gtk_label_set_text (label, text);
}

static void
update_customer_row (SkCheckoutView *self)
{
  if (self->customer == NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->customer_row), _("Anonymous sale"));
      adw_action_row_set_subtitle (self->customer_row,
                                   _("No customer: no bonuses, only rules without a segment"));
      gtk_widget_set_visible (self->clear_customer_button, FALSE);
    }
  else
    {
      g_autofree char *balance = sk_money_format (self->customer->bonus_balance);
      g_autofree char *subtitle =
        g_strdup_printf (_("%s · card %s · %s · bonuses %s"),
                         self->customer->phone ? self->customer->phone : "—",
                         self->customer->card_number ? self->customer->card_number : "—",
                         sk_segment_display_name (self->customer->segment), balance);
      const char *title = self->customer->full_name ? self->customer->full_name : _("Customer");

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
  GString *key = g_string_new (NULL);
  gboolean changed;

  for (guint i = 0; self->result && i < self->result->applied->len; i++)
    {
      SkEngineApplied *a = &g_array_index (self->result->applied, SkEngineApplied, i);

      g_string_append_printf (key, "a%s:%" G_GINT64_FORMAT ";", a->rule->id, a->amount);
    }
  for (guint i = 0; self->result && i < self->result->rejected->len; i++)
    {
      SkEngineRejected *r = &g_array_index (self->result->rejected, SkEngineRejected, i);

      g_string_append_printf (key, "r%s:%d:%" G_GINT64_FORMAT ";", r->rule->id, r->code, r->detail);
    }
  if (self->result)
    g_string_append_printf (key, "t%" G_GINT64_FORMAT, self->result->discount_total);
  changed = g_strcmp0 (key->str, self->panel_key) != 0;
  g_free (self->panel_key);
  self->panel_key = g_string_free (key, FALSE);
  return changed;
}

static void
rebuild_discount_lists (SkCheckoutView *self)
{
  GtkWidget *row;

  clear_list_box (self->applied_list);
  clear_list_box (self->rejected_list);
  if (self->result == NULL || self->result->applied->len == 0)
    {
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No discount"));
      gtk_list_box_append (self->applied_list, row);
    }
  else
    {
      for (guint i = 0; i < self->result->applied->len; i++)
        {
          SkEngineApplied *a = &g_array_index (self->result->applied, SkEngineApplied, i);

          if (g_strcmp0 (a->rule->type, SK_RULE_BONUS_MULTIPLIER) == 0)
            {
              g_autofree char *sub = g_strdup_printf (_("Bonuses ×%.2g"), a->rule->value / 100.0);

              row = adw_action_row_new ();
              adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
              adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), a->rule->name);
              adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
            }
          else
            row = money_row (a->rule->name, NULL, a->amount, "discount-amount");
          gtk_list_box_append (self->applied_list, row);
        }
      row = money_row (_("Total discount"), NULL, self->result->discount_total, "discount-amount");
      gtk_list_box_append (self->applied_list, row);
    }
  gtk_widget_set_visible (self->rejected_heading, self->result && self->result->rejected->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->rejected_list), self->result && self->result->rejected->len > 0);
  for (guint i = 0; self->result && i < self->result->rejected->len; i++)
    {
      SkEngineRejected *r = &g_array_index (self->result->rejected, SkEngineRejected, i);
      g_autofree char *reason = sk_reject_reason_to_string (r);

      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), r->rule->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason);
      gtk_widget_add_css_class (row, "rejected-reason");
      gtk_list_box_append (self->rejected_list, row);
    }
}

void
sk_checkout_view_recompute (SkCheckoutView *self)
{
  SkDatabase *db = view_db ();
  g_autoptr(SkCart) cart = NULL;
  g_autoptr(GError) error = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->cart));
  gint64 start = g_get_monotonic_time ();
  gint64 share = 10000, rate = 100, payable;

  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));

  g_clear_pointer (&self->result, sk_engine_result_free);
  gtk_stack_set_visible_child_name (self->cart_stack, n > 0 ? "cart" : "empty");

  if (db != NULL && n > 0 && self->store != NULL)
    {
      cart = sk_cart_new (self->store->id);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(SkCartItem) item = g_list_model_get_item (G_LIST_MODEL (self->cart), i);

          sk_cart_add_line (cart, item->sku, item->name, item->category, item->unit_price, item->quantity);
        }
      if (!sk_cart_validate (cart, &error) ||
          (self->result = sk_database_calculate (db, cart, self->customer ? self->customer->id : NULL,
                                                 sk_time_now (), &error)) == NULL)
        sk_widget_toast_error (GTK_WIDGET (self), error);
    }
  self->engine_usec = g_get_monotonic_time () - start;

  if (self->store != NULL)
    {
      share = self->store->max_bonus_share;
      rate = self->store->bonus_rate;
    }
  payable = self->result ? self->result->total : 0;

  /* SPEC 4, Bonuses: spend at most min (balance, floor (payable x share)). */
  self->bonus_cap = 0;
  if (self->customer != NULL && payable > 0)
    self->bonus_cap = MIN (MAX (self->customer->bonus_balance, 0), sk_muldiv (payable, share, 10000));
  self->bonus_spend = CLAMP (self->bonus_spend, 0, self->bonus_cap);
  self->bonus_earn = 0;
  if (self->customer != NULL && self->result != NULL)
    self->bonus_earn = sk_muldiv (payable - self->bonus_spend,
                                  rate * self->result->bonus_multiplier, 1000000);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SkCartItem) item = g_list_model_get_item (G_LIST_MODEL (self->cart), i);
      gint64 discount = self->result ? g_array_index (self->result->line_discounts, gint64, i) : 0;

      g_object_set (item, "discount", discount, NULL);
    }

  set_money_label (self->subtotal_label, self->result ? self->result->subtotal : 0);
  if (update_panel_key (self))
    rebuild_discount_lists (self);
  set_money_label (self->balance_label, self->customer ? self->customer->bonus_balance : 0);
  set_money_label (self->earn_label, self->bonus_earn);
  self->updating_spin = TRUE;
  gtk_spin_button_set_range (self->bonus_spin, 0, self->bonus_cap / 100.0);
  gtk_spin_button_set_value (self->bonus_spin, self->bonus_spend / 100.0);
  self->updating_spin = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->bonus_spin), self->bonus_cap > 0);
  set_money_label (self->total_label, payable - self->bonus_spend);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.pay", n > 0 && self->result != NULL && !self->paying);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.spend-max", self->bonus_cap > 0);

  self->recompute_usec = g_get_monotonic_time () - start;
  {
    g_autofree char *timing = g_strdup_printf (_("Recomputed in %.2f ms (engine %.2f ms)"),
                                               self->recompute_usec / 1000.0, self->engine_usec / 1000.0);

    gtk_label_set_text (self->timing_label, timing);
  }
}

static void
load_store_and_products (SkCheckoutView *self)
{
  SkDatabase *db = view_db ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  g_clear_object (&self->store);
  g_clear_pointer (&self->products, g_ptr_array_unref);
  if (db == NULL)
    return;
  self->store = sk_application_dup_store (sk_app ());
  self->products = sk_database_list_products (db, NULL);
  for (guint i = 0; self->products && i < self->products->len; i++)
    {
      SkProduct *p = g_ptr_array_index (self->products, i);
      g_autofree char *price = sk_money_format (p->price);
      g_autofree char *text = g_strdup_printf ("%s — %s (%s)", p->sku, p->name, price);

      gtk_string_list_append (names, text);
    }
  gtk_drop_down_set_model (self->product_dropdown, G_LIST_MODEL (names));
  {
    /* Search the dropdown by its text. */
    GtkExpression *expr = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");

    gtk_drop_down_set_expression (self->product_dropdown, expr);
    gtk_expression_unref (expr);
  }
}

static void
new_sale (SkCheckoutView *self)
{
  g_free (self->sale_id);
  self->sale_id = g_uuid_string_random ();
  g_list_store_remove_all (self->cart);
  g_clear_object (&self->customer);
  self->bonus_spend = 0;
  self->paying = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->customer_entry), "");
  update_customer_row (self);
  sk_checkout_view_recompute (self);
}

void
sk_checkout_view_set_customer (SkCheckoutView *self,
                               SkCustomer     *customer)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  g_set_object (&self->customer, customer);
  self->bonus_spend = 0;
  update_customer_row (self);
  sk_checkout_view_recompute (self);
}

SkCustomer *
sk_checkout_view_get_customer (SkCheckoutView *self)
{
  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), NULL);
  return self->customer;
}

gboolean
sk_checkout_view_find_customer (SkCheckoutView *self,
                                const char     *card_or_phone)
{
  SkDatabase *db = view_db ();
  g_autoptr(SkCustomer) customer = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  if (db == NULL || card_or_phone == NULL || *card_or_phone == '\0')
    return FALSE;
  customer = sk_database_lookup_customer (db, card_or_phone, &error);
  if (customer == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("No customer with card or phone “%s”"), card_or_phone);

      sk_widget_toast (GTK_WIDGET (self), msg);
      return FALSE;
    }
  sk_checkout_view_set_customer (self, customer);
  gtk_editable_set_text (GTK_EDITABLE (self->customer_entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->sku_entry));
  return TRUE;
}

void
sk_checkout_view_add_line (SkCheckoutView *self,
                           const char     *sku,
                           const char     *name,
                           const char     *category,
                           gint64          unit_price,
                           gint64          quantity)
{
  g_autoptr(SkCartItem) item = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->cart));

  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  /* So that price x quantity (at most SK_QUANTITY_MAX) fits 64 bits. */
  g_return_if_fail (unit_price >= 0 && unit_price <= SK_MONEY_MAX);

  /* The same SKU scanned again adds to its line. */
  for (guint i = 0; sku != NULL && *sku != '\0' && i < n; i++)
    {
      g_autoptr(SkCartItem) existing = g_list_model_get_item (G_LIST_MODEL (self->cart), i);

      if (g_strcmp0 (existing->sku, sku) == 0 && existing->unit_price == unit_price)
        {
          g_object_set (existing, "quantity", MIN (existing->quantity + quantity, SK_QUANTITY_MAX), NULL);
          sk_checkout_view_recompute (self);
          return;
        }
    }
  item = g_object_new (SK_TYPE_CART_ITEM, NULL);
  item->sku = g_strdup (sku && *sku ? sku : NULL);
  item->name = g_strdup (name);
  item->category = g_strdup (category && *category ? category : NULL);
  item->unit_price = unit_price;
  item->quantity = quantity;
  g_list_store_append (self->cart, item);
  sk_checkout_view_recompute (self);
}

gboolean
sk_checkout_view_add_sku (SkCheckoutView *self,
                          const char     *sku)
{
  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  for (guint i = 0; self->products && i < self->products->len; i++)
    {
      SkProduct *p = g_ptr_array_index (self->products, i);

      if (g_ascii_strcasecmp (p->sku, sku) == 0)
        {
          sk_checkout_view_add_line (self, p->sku, p->name, p->category, p->price, 1);
          return TRUE;
        }
    }
  {
    g_autofree char *msg = g_strdup_printf (_("No product with SKU “%s”"), sku);

    sk_widget_toast (GTK_WIDGET (self), msg);
  }
  return FALSE;
}

void
sk_checkout_view_set_quantity (SkCheckoutView *self,
                               guint           line,
                               gint64          quantity)
{
  g_autoptr(SkCartItem) item = g_list_model_get_item (G_LIST_MODEL (self->cart), line);

  g_return_if_fail (item != NULL);
  g_object_set (item, "quantity", CLAMP (quantity, 1, SK_QUANTITY_MAX), NULL);
  sk_checkout_view_recompute (self);
}

void
sk_checkout_view_remove_line (SkCheckoutView *self,
                              guint           line)
{
  g_return_if_fail (line < g_list_model_get_n_items (G_LIST_MODEL (self->cart)));
  g_list_store_remove (self->cart, line);
  sk_checkout_view_recompute (self);
}

guint
sk_checkout_view_get_n_lines (SkCheckoutView *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->cart));
}

void
sk_checkout_view_set_bonus_spend (SkCheckoutView *self,
                                  gint64          amount)
{
  g_return_if_fail (SK_IS_CHECKOUT_VIEW (self));
  self->bonus_spend = CLAMP (amount, 0, self->bonus_cap);
  sk_checkout_view_recompute (self);
}

gint64
sk_checkout_view_get_bonus_cap (SkCheckoutView *self)
{
  return self->bonus_cap;
}

gint64
sk_checkout_view_get_bonus_spend (SkCheckoutView *self)
{
  return self->bonus_spend;
}

gint64
sk_checkout_view_get_bonus_earn (SkCheckoutView *self)
{
  return self->bonus_earn;
}

gint64
sk_checkout_view_get_to_pay (SkCheckoutView *self)
{
  return (self->result ? self->result->total : 0) - self->bonus_spend;
}

const SkEngineResult *
sk_checkout_view_get_result (SkCheckoutView *self)
{
  return self->result;
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

char *
sk_checkout_format_receipt (SkPurchase *purchase,
                            SkCustomer *customer,
                            SkStore    *store)
{
  GString *s = g_string_new (NULL);
  GListModel *lines = sk_purchase_get_lines (purchase);
  GListModel *apps = sk_purchase_get_applications (purchase);
  g_autofree char *when = sk_datetime_from_usec (purchase->created_at);
  g_autofree char *subtotal = sk_money_format (purchase->subtotal);
  g_autofree char *discount = sk_money_format (purchase->discount_total);
  g_autofree char *spent = sk_money_format (purchase->bonus_spent);
  g_autofree char *paid = sk_money_format (purchase->total_paid);
  g_autofree char *earned = sk_money_format (purchase->bonus_earned);

  g_string_append_printf (s, "%s\n%s\n", store ? store->name : _("Skidka"), when);
  g_string_append_printf (s, _("Receipt %.8s\n"), purchase->id);
  g_string_append (s, "────────────────────────────\n");
  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr(SkPurchaseLine) l = g_list_model_get_item (lines, i);
      g_autofree char *price = sk_money_format (l->unit_price);
      g_autofree char *total = sk_money_format (l->total);

      g_string_append_printf (s, "%s\n  %" G_GINT64_FORMAT " × %s = %s\n", l->name, l->quantity, price, total);
      if (l->discount > 0)
        {
          g_autofree char *d = sk_money_format (l->discount);

          g_string_append_printf (s, _("  discount −%s\n"), d);
        }
    }
  g_string_append (s, "────────────────────────────\n");
  g_string_append_printf (s, _("Subtotal: %s\n"), subtotal);
  for (guint i = 0; i < g_list_model_get_n_items (apps); i++)
    {
      g_autoptr(SkDiscountApplication) a = g_list_model_get_item (apps, i);
      g_autofree char *amount = sk_money_format (a->amount);

      g_string_append_printf (s, "  %s: −%s\n", a->rule_name, amount);
    }
  g_string_append_printf (s, _("Discount: %s\n"), discount);
  if (purchase->bonus_spent > 0)
    g_string_append_printf (s, _("Paid with bonuses: %s\n"), spent);
  g_string_append_printf (s, _("Paid: %s\n"), paid);
  if (customer != NULL)
    {
      g_autofree char *balance = sk_money_format (customer->bonus_balance);

      g_string_append_printf (s, _("Bonuses earned: %s\n"), earned);
      g_string_append_printf (s, _("Bonus balance: %s\n"), balance);
    }
  return g_string_free (s, FALSE);
}

/* Printing the receipt */

static void
print_begin (GtkPrintOperation *op,
             GtkPrintContext   *context,
             gpointer           user_data)
{
  gtk_print_operation_set_n_pages (op, 1);
}

static void
print_draw_page (GtkPrintOperation *op,
                 GtkPrintContext   *context,
                 int                page_nr,
                 gpointer           user_data)
{
  const char *text = user_data;
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  PangoLayout *layout = gtk_print_context_create_pango_layout (context);
  PangoFontDescription *font = pango_font_description_from_string ("Monospace 9");

  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);
}

/* One operation for the dialog and for export, so both draw the same. */
static GtkPrintOperation *
receipt_print_operation_new (const char *text)
{
  GtkPrintOperation *op = gtk_print_operation_new ();

  gtk_print_operation_set_job_name (op, _("Receipt"));
  g_signal_connect (op, "begin-print", G_CALLBACK (print_begin), NULL);
  g_signal_connect_data (op, "draw-page", G_CALLBACK (print_draw_page), g_strdup (text),
                         (GClosureNotify) (void (*) (void)) g_free, 0);
  return op;
}

static void
print_receipt (GtkWindow  *parent,
               const char *text)
{
  g_autoptr(GtkPrintOperation) op = receipt_print_operation_new (text);
  g_autoptr(GError) error = NULL;

  if (gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent, &error) ==
      GTK_PRINT_OPERATION_RESULT_ERROR)
    g_warning ("Printing failed: %s", error->message);
}

gboolean
sk_checkout_view_export_receipt (SkCheckoutView  *self,
                                 const char      *path,
                                 GError         **error)
{
  g_autoptr(GtkPrintOperation) op = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (SK_IS_CHECKOUT_VIEW (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->last_purchase == NULL)
    {
      g_set_error_literal (error, SK_ERROR, SK_ERROR_NOT_FOUND, _("No sale to print a receipt for"));
      return FALSE;
    }
  text = sk_checkout_format_receipt (self->last_purchase, self->last_customer, self->store);
  op = receipt_print_operation_new (text);
  gtk_print_operation_set_export_filename (op, path);
  return gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_EXPORT, NULL, error) !=
         GTK_PRINT_OPERATION_RESULT_ERROR;
}

static void
receipt_response (AdwMessageDialog *dialog,
                  const char       *response,
                  gpointer          user_data)
{
  if (g_strcmp0 (response, "print") == 0)
    print_receipt (gtk_window_get_transient_for (GTK_WINDOW (dialog)),
                   g_object_get_data (G_OBJECT (dialog), "receipt"));
}

static void
show_receipt (SkCheckoutView *self,
              SkPurchase     *purchase,
              SkCustomer     *customer)
{
  g_autofree char *text = sk_checkout_format_receipt (purchase, customer, self->store);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;
  GtkWidget *label;

  if (root == NULL || g_getenv ("SKIDKA_NO_DIALOGS") != NULL)
    return;
  dialog = adw_message_dialog_new (GTK_WINDOW (root), _("Sale Complete"), NULL);
  label = gtk_label_new (text);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), label);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "print", _("_Print"),
                                    "close", _("_Close"),
                                    NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  g_object_set_data_full (G_OBJECT (dialog), "receipt", g_steal_pointer (&text), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (receipt_response), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
pay_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  SkDatabase *db = view_db ();
  g_autoptr(SkCart) cart = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SkPurchaseResult) result = NULL;
  SkPurchaseRequest request = { 0 };
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->cart));

  if (db == NULL || self->store == NULL || n == 0 || self->paying)
    return;
  /* A double click must never make two sales: the button is off while we
   * pay, and the request carries the sale's UUID, so a replay is a no-op. */
  self->paying = TRUE;
  gtk_widget_action_set_enabled (widget, "checkout.pay", FALSE);

  cart = sk_cart_new (self->store->id);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SkCartItem) item = g_list_model_get_item (G_LIST_MODEL (self->cart), i);

      sk_cart_add_line (cart, item->sku, item->name, item->category, item->unit_price, item->quantity);
    }
  request.id = self->sale_id;
  request.customer_id = self->customer ? self->customer->id : NULL;
  request.cart = cart;
  request.bonus_to_spend = self->bonus_spend;
  result = sk_database_process_purchase (db, &request, &error);
  if (result == NULL)
    {
      self->paying = FALSE;
      sk_widget_toast_error (widget, error);
      sk_checkout_view_recompute (self);
      return;
    }
  g_set_object (&self->last_purchase, result->purchase);
  g_set_object (&self->last_customer, result->customer);
  show_receipt (self, result->purchase, result->customer);
  {
    g_autofree char *paid = sk_money_format (result->purchase->total_paid);
    g_autofree char *msg = g_strdup_printf (_("Paid %s"), paid);

    sk_widget_toast (widget, msg);
  }
  new_sale (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->customer_entry));
  sk_app_data_changed ();
}

static void
new_sale_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  new_sale (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->customer_entry));
}

static void
clear_customer_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  sk_checkout_view_set_customer (SK_CHECKOUT_VIEW (widget), NULL);
}

static void
customer_saved_cb (SkCustomerEditor *editor,
                   SkCustomer       *customer,
                   SkCheckoutView   *self)
{
  sk_checkout_view_set_customer (self, customer);
  sk_app_data_changed ();
}

static void
register_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  SkCustomerEditor *editor;
  const char *typed = gtk_editable_get_text (GTK_EDITABLE (self->customer_entry));

  if (view_db () == NULL)
    return;
  editor = sk_customer_editor_new (GTK_WINDOW (gtk_widget_get_root (widget)), view_db (), NULL);
  /* What the cashier typed is likely the new customer's phone or card. */
  if (typed != NULL && *typed != '\0')
    sk_customer_editor_set_text (editor, strlen (typed) >= 10 || typed[0] == '+' ? "phone" : "card",
                                 typed);
  g_signal_connect_object (editor, "saved", G_CALLBACK (customer_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
add_product_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  guint pos = gtk_drop_down_get_selected (self->product_dropdown);

  if (self->products == NULL || pos >= self->products->len)
    return;
  {
    SkProduct *p = g_ptr_array_index (self->products, pos);

    sk_checkout_view_add_line (self, p->sku, p->name, p->category, p->price, 1);
  }
}

static void
add_free_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->name_entry));
  const char *category = gtk_editable_get_text (GTK_EDITABLE (self->category_entry));
  const char *price_text = gtk_editable_get_text (GTK_EDITABLE (self->price_entry));
  gint64 price = 0;

  if (*name == '\0')
    {
      sk_widget_toast (widget, _("Type the item's name"));
      gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
      return;
    }
  if (!sk_money_parse (price_text, &price) || price <= 0 || price > SK_MONEY_MAX)
    {
      sk_widget_toast (widget, _("The price must be a positive amount, like 1299 or 1 299,50"));
      gtk_widget_grab_focus (GTK_WIDGET (self->price_entry));
      return;
    }
  sk_checkout_view_add_line (self, NULL, name, category, price,
                             gtk_spin_button_get_value_as_int (self->quantity_spin));
  gtk_editable_set_text (GTK_EDITABLE (self->name_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->price_entry), "");
  gtk_spin_button_set_value (self->quantity_spin, 1);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_entry));
}

static void
price_activate_cb (SkCheckoutView *self)
{
  add_free_action (GTK_WIDGET (self), "checkout.add-free", NULL);
}

static void
spend_max_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  sk_checkout_view_set_bonus_spend (self, self->bonus_cap);
}

static void
focus_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);
  const char *what = g_variant_get_string (param, NULL);

  if (g_str_equal (what, "customer"))
    gtk_widget_grab_focus (GTK_WIDGET (self->customer_entry));
  else if (g_str_equal (what, "sku"))
    gtk_widget_grab_focus (GTK_WIDGET (self->sku_entry));
  else if (g_str_equal (what, "bonus"))
    gtk_widget_grab_focus (GTK_WIDGET (self->bonus_spin));
}

static void
show_panel_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  adw_leaflet_set_visible_child_name (self->leaflet,
                                      g_str_equal (action_name, "checkout.show-panel") ? "panel" : "cart");
}

static void
customer_activate_cb (GtkSearchEntry *entry,
                      SkCheckoutView *self)
{
  sk_checkout_view_find_customer (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
sku_activate_cb (GtkEntry       *entry,
                 SkCheckoutView *self)
{
  const char *sku = gtk_editable_get_text (GTK_EDITABLE (entry));

  if (*sku == '\0')
    return;
  if (sk_checkout_view_add_sku (self, sku))
    gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
bonus_spin_changed_cb (GtkSpinButton  *spin,
                       SkCheckoutView *self)
{
  if (self->updating_spin)
    return;
  sk_checkout_view_set_bonus_spend (self, (gint64) (gtk_spin_button_get_value (spin) * 100 + 0.5));
}

/* Cart columns */

static char *
cell_name (gpointer item)
{
  SkCartItem *i = item;

  return i->sku ? g_strdup_printf ("%s · %s", i->name, i->sku) : g_strdup (i->name);
}

static char *
cell_category (gpointer item)
{
  return g_strdup (SK_CART_ITEM (item)->category);
}

static char *
cell_price (gpointer item)
{
  return sk_money_format (SK_CART_ITEM (item)->unit_price);
}

static gboolean
money_transform (GBinding     *binding,
                 const GValue *from,
                 GValue       *to,
                 gpointer      user_data)
{
  SkCartItem *item = SK_CART_ITEM (g_binding_dup_source (binding));
  gint64 v = g_value_get_int64 (from);

  if (user_data != NULL)  /* the line total: price x quantity - discount */
    v = item->unit_price * item->quantity - item->discount;
  g_value_take_string (to, v == 0 && user_data == NULL ? g_strdup ("") : sk_money_format (v));
  g_object_unref (item);
  return TRUE;
}

static void
bound_label_setup (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 1.0);
  gtk_widget_add_css_class (label, "numeric");
  if (user_data == NULL)
    gtk_widget_add_css_class (label, "discount-amount");
  gtk_list_item_set_child (list_item, label);
}

static void
bound_label_bind (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  user_data)
{
  GObject *item = gtk_list_item_get_item (list_item);
  GBinding *binding;

  binding = g_object_bind_property_full (item, "discount", gtk_list_item_get_child (list_item), "label",
                                         G_BINDING_SYNC_CREATE, money_transform, NULL, user_data, NULL);
  g_object_set_data (G_OBJECT (list_item), "binding", binding);
}

static void
bound_label_unbind (GtkSignalListItemFactory *factory,
                    GtkListItem              *list_item,
                    gpointer                  user_data)
{
  GBinding *binding = g_object_get_data (G_OBJECT (list_item), "binding");

  if (binding != NULL)
    g_binding_unbind (binding);
  g_object_set_data (G_OBJECT (list_item), "binding", NULL);
}

static void
quantity_changed_cb (GtkSpinButton *spin,
                     GtkListItem   *list_item)
{
  SkCartItem *item = gtk_list_item_get_item (list_item);
  SkCheckoutView *self = g_object_get_data (G_OBJECT (spin), "view");
  gint64 q = gtk_spin_button_get_value_as_int (spin);

  if (item == NULL || item->quantity == q)
    return;
  g_object_set (item, "quantity", q, NULL);
  sk_checkout_view_recompute (self);
}

static void
quantity_notify_cb (SkCartItem    *item,
                    GParamSpec    *pspec,
                    GtkSpinButton *spin)
{
  if (gtk_spin_button_get_value_as_int (spin) != item->quantity)
    gtk_spin_button_set_value (spin, item->quantity);
}

static void
quantity_setup (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                gpointer                  user_data)
{
  GtkWidget *spin = gtk_spin_button_new_with_range (1, SK_QUANTITY_MAX, 1);

  g_object_set_data (G_OBJECT (spin), "view", user_data);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Quantity"), -1);
  gtk_list_item_set_child (list_item, spin);
}

static void
quantity_bind (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  GtkWidget *spin = gtk_list_item_get_child (list_item);
  SkCartItem *item = gtk_list_item_get_item (list_item);

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), item->quantity);
  g_signal_connect (spin, "value-changed", G_CALLBACK (quantity_changed_cb), list_item);
  /* The same SKU scanned again raises the quantity: show it. */
  g_signal_connect_object (item, "notify::quantity", G_CALLBACK (quantity_notify_cb), spin, 0);
}

static void
quantity_unbind (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 gpointer                  user_data)
{
  GtkWidget *spin = gtk_list_item_get_child (list_item);
  SkCartItem *item = gtk_list_item_get_item (list_item);

  g_signal_handlers_disconnect_by_func (spin, quantity_changed_cb, list_item);
  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, quantity_notify_cb, spin);
}

static void
remove_clicked_cb (GtkButton   *button,
                   GtkListItem *list_item)
{
  SkCheckoutView *self = g_object_get_data (G_OBJECT (button), "view");
  guint pos = gtk_list_item_get_position (list_item);

  if (pos != GTK_INVALID_LIST_POSITION)
    sk_checkout_view_remove_line (self, pos);
}

static void
remove_setup (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-delete-symbolic");

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, _("Remove the Line"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Remove the Line"), -1);
  g_object_set_data (G_OBJECT (button), "view", user_data);
  g_signal_connect (button, "clicked", G_CALLBACK (remove_clicked_cb), list_item);
  gtk_list_item_set_child (list_item, button);
}

static void
setup_cart_columns (SkCheckoutView *self)
{
  GtkListItemFactory *factory;
  GtkColumnViewColumn *column;

  gtk_column_view_set_model (self->cart_view,
                             GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->cart)))));
  /* The view takes its own reference to each column. */
  column = sk_text_column_new (_("Item"), cell_name, FALSE, TRUE);
  gtk_column_view_append_column (self->cart_view, column);
  g_object_unref (column);
  column = sk_text_column_new (_("Category"), cell_category, FALSE, FALSE);
  gtk_column_view_append_column (self->cart_view, column);
  g_object_unref (column);
  column = sk_text_column_new (_("Price"), cell_price, TRUE, FALSE);
  gtk_column_view_append_column (self->cart_view, column);
  g_object_unref (column);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (quantity_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (quantity_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (quantity_unbind), self);
  column = gtk_column_view_column_new (_("Qty"), factory);
  gtk_column_view_append_column (self->cart_view, column);
  g_object_unref (column);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (bound_label_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bound_label_bind), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (bound_label_unbind), NULL);
  column = gtk_column_view_column_new (_("Discount"), factory);
  gtk_column_view_append_column (self->cart_view, column);
  g_object_unref (column);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (bound_label_setup), GINT_TO_POINTER (1));
  g_signal_connect (factory, "bind", G_CALLBACK (bound_label_bind), GINT_TO_POINTER (1));
  g_signal_connect (factory, "unbind", G_CALLBACK (bound_label_unbind), GINT_TO_POINTER (1));
  column = gtk_column_view_column_new (_("Total"), factory);
  gtk_column_view_append_column (self->cart_view, column);
  g_object_unref (column);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (remove_setup), self);
  column = gtk_column_view_column_new (NULL, factory);
  gtk_column_view_append_column (self->cart_view, column);
  g_object_unref (column);
}

static void
reload (SkCheckoutView *self)
{
  load_store_and_products (self);
  if (self->customer != NULL && view_db () != NULL)
    {
      g_autoptr(SkCustomer) fresh = sk_database_get_customer (view_db (), self->customer->id, NULL);

      g_set_object (&self->customer, fresh);
      update_customer_row (self);
    }
  sk_checkout_view_recompute (self);
}

static void
data_changed_cb (SkApplication  *app,
                 SkCheckoutView *self)
{
  if (self->loaded)
    reload (self);
}

static void
bonus_setting_changed_cb (GSettings      *settings,
                          const char     *key,
                          SkCheckoutView *self)
{
  SkRole role = sk_application_get_role (sk_app ());

  gtk_widget_set_visible (self->bonus_box, g_settings_get_boolean (settings, "show-bonus-details"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.register", role != SK_ROLE_MARKETING);
  if (g_str_equal (key, "store-id"))
    reload (self);
}

static void
sk_checkout_view_map (GtkWidget *widget)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (widget);

  GTK_WIDGET_CLASS (sk_checkout_view_parent_class)->map (widget);
  if (!self->loaded)
    {
      self->loaded = TRUE;
      reload (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->customer_entry));
    }
}

static void
sk_checkout_view_dispose (GObject *object)
{
  SkCheckoutView *self = SK_CHECKOUT_VIEW (object);

  g_clear_object (&self->cart);
  g_clear_object (&self->customer);
  g_clear_object (&self->store);
  g_clear_object (&self->last_purchase);
  g_clear_object (&self->last_customer);
  g_clear_pointer (&self->products, g_ptr_array_unref);
  g_clear_pointer (&self->result, sk_engine_result_free);
  g_clear_pointer (&self->sale_id, g_free);
  g_clear_pointer (&self->panel_key, g_free);
  G_OBJECT_CLASS (sk_checkout_view_parent_class)->dispose (object);
}

static void
sk_checkout_view_class_init (SkCheckoutViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_checkout_view_dispose;
  widget_class->map = sk_checkout_view_map;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/skidka/Skidka/sk-checkout-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, customer_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, customer_row);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, clear_customer_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, register_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, sku_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, product_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, name_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, category_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, price_entry);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, quantity_spin);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, cart_stack);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, cart_view);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, subtotal_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, applied_list);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, rejected_heading);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, rejected_list);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, bonus_box);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, bonus_spin);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, balance_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, earn_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, total_label);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, pay_button);
  gtk_widget_class_bind_template_child (widget_class, SkCheckoutView, timing_label);

  gtk_widget_class_install_action (widget_class, "checkout.pay", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "checkout.new-sale", NULL, new_sale_action);
  gtk_widget_class_install_action (widget_class, "checkout.clear-customer", NULL, clear_customer_action);
  gtk_widget_class_install_action (widget_class, "checkout.register", NULL, register_action);
  gtk_widget_class_install_action (widget_class, "checkout.add-product", NULL, add_product_action);
  gtk_widget_class_install_action (widget_class, "checkout.add-free", NULL, add_free_action);
  gtk_widget_class_install_action (widget_class, "checkout.spend-max", NULL, spend_max_action);
  gtk_widget_class_install_action (widget_class, "checkout.focus", "s", focus_action);
  gtk_widget_class_install_action (widget_class, "checkout.show-panel", NULL, show_panel_action);
  gtk_widget_class_install_action (widget_class, "checkout.show-cart", NULL, show_panel_action);

  /* F2, F3, F4, F12 and Ctrl+N are the window's (win.checkout): they work
   * from any view. */
}

static void
sk_checkout_view_init (SkCheckoutView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cart = g_list_store_new (SK_TYPE_CART_ITEM);
  self->sale_id = g_uuid_string_random ();
  setup_cart_columns (self);

  g_signal_connect (self->customer_entry, "activate", G_CALLBACK (customer_activate_cb), self);
  g_signal_connect (self->sku_entry, "activate", G_CALLBACK (sku_activate_cb), self);
  g_signal_connect_swapped (self->price_entry, "activate", G_CALLBACK (price_activate_cb), self);
  g_signal_connect (self->bonus_spin, "value-changed", G_CALLBACK (bonus_spin_changed_cb), self);
  if (sk_app () != NULL)
    {
      GSettings *settings = sk_application_get_settings (sk_app ());

      g_signal_connect_object (sk_app (), "data-changed", G_CALLBACK (data_changed_cb), self, 0);
      g_signal_connect_object (settings, "changed", G_CALLBACK (bonus_setting_changed_cb), self, 0);
      bonus_setting_changed_cb (settings, "show-bonus-details", self);
    }
}
