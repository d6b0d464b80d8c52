/* sk-sale.c: a sale being rung up, and the till's rules (payable, the bonus
 * spend cap, accrual) that the checkout, the pipeline and the demo share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-sale.h"

/* The till's rules (SPEC 4, "Bonuses") */

gint64
sk_payable (gint64 subtotal, gint64 discount_total)
{
  return MAX (subtotal - discount_total, 0);
}

gint64
sk_paid_in_money (gint64 payable, gint64 bonus_spent)
{
  return payable - bonus_spent;
}

/* The store's share of what is payable, the bound that does not depend on
 * the customer. */
static gint64
share_cap (gint64 payable, gint64 max_bonus_share)
{
  if (payable <= 0 || max_bonus_share <= 0)
    return 0;
  return sk_muldiv (payable, max_bonus_share, 10000);
}

gint64
sk_bonus_spend_cap (gint64 payable, gint64 max_bonus_share, gint64 balance)
{
  return MIN (MAX (balance, 0), share_cap (payable, max_bonus_share));
}

gboolean
sk_bonus_spend_check (
    gint64 bonus_to_spend, gint64 payable, gint64 max_bonus_share, gint64 balance, GError **error)
{
  gint64 cap;

  /* A balance below zero (a refund took back bonuses already spent) does
   * not stop a sale paid in money. */
  if (bonus_to_spend > 0 && bonus_to_spend > balance)
    {
      g_autofree char *have = sk_money_format (balance);

      sk_set_field_error (error, SK_ERROR_INSUFFICIENT_BONUS, "bonus_to_spend",
                          _ ("Not enough bonuses: the balance is %s"), have);
      return FALSE;
    }
  cap = share_cap (payable, max_bonus_share);
  if (bonus_to_spend > cap)
    {
      g_autofree char *cap_text = sk_money_format (cap);

      sk_set_field_error (error, SK_ERROR_BONUS_CAP_EXCEEDED, "bonus_to_spend",
                          _ ("At most %s of this purchase can be paid with bonuses"), cap_text);
      return FALSE;
    }
  return TRUE;
}

gint64
sk_bonus_accrual (gint64 payable, gint64 bonus_spent, gint64 bonus_rate, gint64 bonus_multiplier)
{
  gint64 base = payable - bonus_spent;

  if (base <= 0 || bonus_rate <= 0 || bonus_multiplier <= 0)
    return 0;
  /* The rate (at most 10 000) times the multiplier (at most 10 000) fits
   * 64 bits; sk_muldiv keeps the product with the base in 128. */
  return sk_muldiv (base, bonus_rate * bonus_multiplier, 1000000);
}

/* Refunds (SPEC 4: "pro rata per line") */

gint64
sk_pro_rata (gint64 amount, gint64 done, gint64 whole)
{
  if (whole <= 0 || amount <= 0)
    return 0;
  return sk_muldiv (amount, done, whole);
}

gboolean
sk_refund_figures (SkPurchase *purchase, const gint64 *quantities, SkRefundFigures *out)
{
  GListModel *lines;
  guint       n_lines;
  gint64      payable, refunded_after;
  gboolean    anything = FALSE;

  g_return_val_if_fail (SK_IS_PURCHASE (purchase), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->complete = TRUE;
  lines = G_LIST_MODEL (purchase->lines);
  n_lines = g_list_model_get_n_items (lines);
  for (guint i = 0; i < n_lines; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (lines, i);
      gint64 q = quantities != NULL
                     ? CLAMP (quantities[i], 0, line->quantity - line->refunded_quantity)
                     : 0;
      gint64 before = line->refunded_quantity, after = before + q;

      out->discount_before += sk_pro_rata (line->discount, before, line->quantity);
      out->discount_after += sk_pro_rata (line->discount, after, line->quantity);
      out->complete &= after == line->quantity;
      if (q == 0)
        continue;
      anything = TRUE;
      out->amount += sk_refund_line_amount (line, q);
    }

  payable = sk_payable (purchase->subtotal, purchase->discount_total);
  refunded_after = purchase->refunded_total + out->amount;
  out->bonus_reversed = sk_pro_rata (purchase->bonus_earned, refunded_after, payable)
                        - sk_pro_rata (purchase->bonus_earned, purchase->refunded_total, payable);
  out->bonus_returned = sk_pro_rata (purchase->bonus_spent, refunded_after, payable)
                        - sk_pro_rata (purchase->bonus_spent, purchase->refunded_total, payable);
  out->money_back = sk_paid_in_money (out->amount, out->bonus_returned);
  return anything;
}

gboolean
sk_purchase_check_line_amounts (SkPurchase *purchase, GError **error)
{
  GListModel        *lines, *apps;
  guint              n_lines;
  g_autofree gint64 *sums = NULL;

  g_return_val_if_fail (SK_IS_PURCHASE (purchase), FALSE);

  lines = G_LIST_MODEL (purchase->lines);
  apps = G_LIST_MODEL (purchase->applications);
  n_lines = g_list_model_get_n_items (lines);
  sums = g_new0 (gint64, MAX (n_lines, 1));
  for (guint k = 0; k < g_list_model_get_n_items (apps); k++)
    {
      g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, k);
      g_autofree char *field = g_strdup_printf ("applications[%u]", k);
      gint64           sum = 0;

      if (app->line_amounts == NULL || app->line_amounts->len != n_lines)
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, field,
                              _ ("“line_amounts” must be the discount applied on each line, one "
                                 "per line"));
          return FALSE;
        }
      for (guint i = 0; i < n_lines; i++)
        {
          g_autoptr (SkPurchaseLine) line = g_list_model_get_item (lines, i);
          gint64 on_line = g_array_index (app->line_amounts, gint64, i);

          if (on_line < 0 || on_line > line->discount)
            {
              sk_set_field_error (error, SK_ERROR_INVALID, field,
                                  _ ("Line %u: a discount applied on it is more than its discount"),
                                  i + 1);
              return FALSE;
            }
          /* Each within its line's discount: the sums stay inside 64 bits. */
          sum += on_line;
          sums[i] += on_line;
        }
      if (sum != app->amount)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, field,
                              _ ("A discount applied is not the sum of its amounts on the lines"));
          return FALSE;
        }
    }
  for (guint i = 0; i < n_lines; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (lines, i);

      if (sums[i] != line->discount)
        {
          sk_set_field_error (
              error, SK_ERROR_INVALID, "applications",
              _ ("Line %u: the discounts applied on it do not add up to its discount"), i + 1);
          return FALSE;
        }
    }
  return TRUE;
}

GArray *
sk_refund_application_shares (SkPurchase *purchase, const gint64 *quantities)
{
  GListModel *lines, *apps;
  guint       n_lines, n_apps;
  GArray     *shares;

  g_return_val_if_fail (SK_IS_PURCHASE (purchase), NULL);

  lines = G_LIST_MODEL (purchase->lines);
  apps = G_LIST_MODEL (purchase->applications);
  n_lines = g_list_model_get_n_items (lines);
  n_apps = g_list_model_get_n_items (apps);
  shares = g_array_new (FALSE, TRUE, sizeof (gint64));
  g_array_set_size (shares, n_apps);
  if (!sk_purchase_check_line_amounts (purchase, NULL))
    {
      SkRefundFigures figures;

      sk_refund_figures (purchase, quantities, &figures);
      for (guint k = 0; k < n_apps; k++)
        {
          g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, k);

          g_array_index (shares, gint64, k)
              = sk_pro_rata (app->amount, figures.discount_after, purchase->discount_total)
                - sk_pro_rata (app->amount, figures.discount_before, purchase->discount_total);
        }
      return shares;
    }
  /* Each line's discount returned, before and after, shared among the
   * applications in their order: each gets the part between the running
   * sums of their amounts on the line before it and with it. The parts of
   * a line add up to it exactly, and once it is all returned each is the
   * application's amount. */
  for (guint i = 0; i < n_lines; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (lines, i);
      gint64 q = quantities != NULL
                     ? CLAMP (quantities[i], 0, line->quantity - line->refunded_quantity)
                     : 0;
      gint64 was = sk_pro_rata (line->discount, line->refunded_quantity, line->quantity);
      gint64 will = sk_pro_rata (line->discount, line->refunded_quantity + q, line->quantity);
      gint64 before = 0;

      for (guint k = 0; k < n_apps; k++)
        {
          g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, k);
          gint64 with = before + g_array_index (app->line_amounts, gint64, i);

          g_array_index (shares, gint64, k) += (sk_pro_rata (will, with, line->discount)
                                                - sk_pro_rata (will, before, line->discount))
                                               - (sk_pro_rata (was, with, line->discount)
                                                  - sk_pro_rata (was, before, line->discount));
          before = with;
        }
    }
  return shares;
}

gint64
sk_refund_line_amount (SkPurchaseLine *line, gint64 quantity)
{
  gint64 before, after;

  g_return_val_if_fail (SK_IS_PURCHASE_LINE (line), 0);

  before = line->refunded_quantity;
  after = before + CLAMP (quantity, 0, line->quantity - before);
  return sk_pro_rata (line->total, after, line->quantity)
         - sk_pro_rata (line->total, before, line->quantity);
}

gint64
sk_refund_line_left (SkPurchaseLine *line)
{
  g_return_val_if_fail (SK_IS_PURCHASE_LINE (line), 0);
  return line->quantity - line->refunded_quantity;
}

/* The sale */

struct _SkSale
{
  GObject parent_instance;

  char           *id;
  SkStore        *store;
  SkCustomer     *customer;
  GListStore     *lines; /* SkPurchaseLine */
  SkEngineResult *result;

  gint64 subtotal;
  gint64 discount_total;
  gint64 payable;
  gint64 bonus_cap;
  gint64 bonus_to_spend;
  gint64 bonus_earned;
  gint64 to_pay;
  gint64 bonus_multiplier;
};

G_DEFINE_FINAL_TYPE (SkSale, sk_sale, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_STORE,
  PROP_CUSTOMER,
  PROP_LINES,
  PROP_BONUS_TO_SPEND,
  PROP_SUBTOTAL,
  PROP_DISCOUNT_TOTAL,
  PROP_PAYABLE,
  PROP_BONUS_CAP,
  PROP_BONUS_EARNED,
  PROP_TO_PAY,
  PROP_BONUS_MULTIPLIER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
/* SkPurchaseLine's, which the sale sets and notifies */
static GParamSpec *line_discount_pspec;
static GParamSpec *line_total_pspec;

static void
set_figure (SkSale *self, gint64 *field, gint64 value, guint prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Everything that follows from the result, the store, the customer and the
 * spend asked for: the only place the sale's money is computed. */
static void
update_figures (SkSale *self)
{
  const SkEngineResult *r = self->result;
  gint64                share = self->store ? self->store->max_bonus_share : 0;
  gint64                rate = self->store ? self->store->bonus_rate : 0;
  gint64                subtotal = r ? r->subtotal : 0;
  gint64                discount = r ? r->discount_total : 0;
  gint64                payable = r ? sk_payable (subtotal, discount) : 0;
  gint64                multiplier = r ? r->bonus_multiplier : 100;
  gint64                cap = 0, spend, earned = 0;

  if (self->customer != NULL && r != NULL)
    cap = sk_bonus_spend_cap (payable, share, self->customer->bonus_balance);
  spend = CLAMP (self->bonus_to_spend, 0, cap);
  if (self->customer != NULL && r != NULL)
    earned = sk_bonus_accrual (payable, spend, rate, multiplier);

  g_object_freeze_notify (G_OBJECT (self));
  set_figure (self, &self->subtotal, subtotal, PROP_SUBTOTAL);
  set_figure (self, &self->discount_total, discount, PROP_DISCOUNT_TOTAL);
  set_figure (self, &self->payable, payable, PROP_PAYABLE);
  set_figure (self, &self->bonus_multiplier, multiplier, PROP_BONUS_MULTIPLIER);
  set_figure (self, &self->bonus_cap, cap, PROP_BONUS_CAP);
  set_figure (self, &self->bonus_to_spend, spend, PROP_BONUS_TO_SPEND);
  set_figure (self, &self->bonus_earned, earned, PROP_BONUS_EARNED);
  set_figure (self, &self->to_pay, sk_paid_in_money (payable, spend), PROP_TO_PAY);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
sk_sale_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkSale *self = SK_SALE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, sk_sale_get_id (self));
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_CUSTOMER:
      g_value_set_object (value, self->customer);
      break;
    case PROP_LINES:
      g_value_set_object (value, self->lines);
      break;
    case PROP_BONUS_TO_SPEND:
      g_value_set_int64 (value, self->bonus_to_spend);
      break;
    case PROP_SUBTOTAL:
      g_value_set_int64 (value, self->subtotal);
      break;
    case PROP_DISCOUNT_TOTAL:
      g_value_set_int64 (value, self->discount_total);
      break;
    case PROP_PAYABLE:
      g_value_set_int64 (value, self->payable);
      break;
    case PROP_BONUS_CAP:
      g_value_set_int64 (value, self->bonus_cap);
      break;
    case PROP_BONUS_EARNED:
      g_value_set_int64 (value, self->bonus_earned);
      break;
    case PROP_TO_PAY:
      g_value_set_int64 (value, self->to_pay);
      break;
    case PROP_BONUS_MULTIPLIER:
      g_value_set_int64 (value, self->bonus_multiplier);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_sale_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SkSale *self = SK_SALE (object);

  switch (prop_id)
    {
    case PROP_ID:
      sk_sale_set_id (self, g_value_get_string (value));
      break;
    case PROP_STORE:
      sk_sale_set_store (self, g_value_get_object (value));
      break;
    case PROP_CUSTOMER:
      sk_sale_set_customer (self, g_value_get_object (value));
      break;
    case PROP_BONUS_TO_SPEND:
      sk_sale_set_bonus_to_spend (self, g_value_get_int64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_sale_dispose (GObject *object)
{
  SkSale *self = SK_SALE (object);

  g_clear_object (&self->store);
  g_clear_object (&self->customer);
  g_clear_object (&self->lines);
  G_OBJECT_CLASS (sk_sale_parent_class)->dispose (object);
}

static void
sk_sale_finalize (GObject *object)
{
  SkSale *self = SK_SALE (object);

  g_free (self->id);
  g_clear_pointer (&self->result, sk_engine_result_free);
  G_OBJECT_CLASS (sk_sale_parent_class)->finalize (object);
}

static void
sk_sale_class_init (SkSaleClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  struct
  {
    guint       prop;
    const char *name;
  } figures[] = {
    { PROP_SUBTOTAL, "subtotal" },         { PROP_DISCOUNT_TOTAL, "discount-total" },
    { PROP_PAYABLE, "payable" },           { PROP_BONUS_CAP, "bonus-cap" },
    { PROP_BONUS_EARNED, "bonus-earned" }, { PROP_TO_PAY, "to-pay" },
  };

  object_class->get_property = sk_sale_get_property;
  object_class->set_property = sk_sale_set_property;
  object_class->dispose = sk_sale_dispose;
  object_class->finalize = sk_sale_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, rw);
  properties[PROP_STORE] = g_param_spec_object ("store", NULL, NULL, SK_TYPE_STORE, rw);
  properties[PROP_CUSTOMER] = g_param_spec_object ("customer", NULL, NULL, SK_TYPE_CUSTOMER, rw);
  properties[PROP_LINES] = g_param_spec_object ("lines", NULL, NULL, G_TYPE_LIST_MODEL, ro);
  properties[PROP_BONUS_TO_SPEND]
      = g_param_spec_int64 ("bonus-to-spend", NULL, NULL, 0, G_MAXINT64, 0, rw);
  for (guint i = 0; i < G_N_ELEMENTS (figures); i++)
    properties[figures[i].prop]
        = g_param_spec_int64 (figures[i].name, NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  properties[PROP_BONUS_MULTIPLIER]
      = g_param_spec_int64 ("bonus-multiplier", NULL, NULL, 0, G_MAXINT64, 100, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  {
    GObjectClass *line_class = g_type_class_ref (SK_TYPE_PURCHASE_LINE);

    line_discount_pspec = g_object_class_find_property (line_class, "discount");
    line_total_pspec = g_object_class_find_property (line_class, "total");
    g_type_class_unref (line_class);
  }
}

static void
sk_sale_init (SkSale *self)
{
  self->lines = g_list_store_new (SK_TYPE_PURCHASE_LINE);
  self->bonus_multiplier = 100;
}

SkSale *
sk_sale_new (SkStore *store)
{
  g_return_val_if_fail (store == NULL || SK_IS_STORE (store), NULL);

  return g_object_new (SK_TYPE_SALE, "store", store, NULL);
}

static SkPurchaseLine *
line_new (
    const char *sku, const char *name, const char *category, gint64 unit_price, gint64 quantity)
{
  SkPurchaseLine *line = g_object_new (SK_TYPE_PURCHASE_LINE, NULL);

  line->sku = g_strdup (sku);
  line->name = g_strdup (name);
  line->category = g_strdup (category);
  line->unit_price = unit_price;
  line->quantity = quantity;
  line->total = unit_price * quantity;
  return line;
}

SkSale *
sk_sale_new_for_cart (SkStore *store, SkCustomer *customer, const SkCart *cart)
{
  SkSale *self;
  g_autoptr (GPtrArray) lines = NULL;

  g_return_val_if_fail (store == NULL || SK_IS_STORE (store), NULL);
  g_return_val_if_fail (customer == NULL || SK_IS_CUSTOMER (customer), NULL);
  g_return_val_if_fail (cart != NULL, NULL);

  self = sk_sale_new (store);
  g_set_object (&self->customer, customer);
  lines = g_ptr_array_new_full (cart->lines->len, g_object_unref);
  for (guint i = 0; i < cart->lines->len; i++)
    {
      const SkCartLine *l = &g_array_index (cart->lines, SkCartLine, i);
      SkPurchaseLine   *line = line_new (l->sku, l->name, l->category, l->unit_price, l->quantity);

      line->line_no = i + 1;
      g_ptr_array_add (lines, line);
    }
  g_list_store_splice (self->lines, 0, 0, lines->pdata, lines->len);
  return self;
}

const char *
sk_sale_get_id (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), NULL);

  /* Made when first asked for: the demo and the pipeline give their own. */
  if (self->id == NULL)
    self->id = g_uuid_string_random ();
  return self->id;
}

void
sk_sale_set_id (SkSale *self, const char *id)
{
  g_return_if_fail (SK_IS_SALE (self));

  if (id == NULL)
    g_clear_pointer (&self->id, g_free);
  else if (!sk_set_str (&self->id, id))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
}

SkStore *
sk_sale_get_store (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  return self->store;
}

void
sk_sale_set_store (SkSale *self, SkStore *store)
{
  g_return_if_fail (SK_IS_SALE (self));
  g_return_if_fail (store == NULL || SK_IS_STORE (store));

  if (!g_set_object (&self->store, store))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
  update_figures (self);
}

SkCustomer *
sk_sale_get_customer (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  return self->customer;
}

void
sk_sale_set_customer (SkSale *self, SkCustomer *customer)
{
  g_return_if_fail (SK_IS_SALE (self));
  g_return_if_fail (customer == NULL || SK_IS_CUSTOMER (customer));

  /* The same customer read again (a fresh balance) keeps the spend. */
  if (self->customer == NULL || customer == NULL
      || g_strcmp0 (self->customer->id, customer->id) != 0)
    self->bonus_to_spend = 0;
  if (g_set_object (&self->customer, customer))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CUSTOMER]);
  update_figures (self);
}

GListModel *
sk_sale_get_lines (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  return G_LIST_MODEL (self->lines);
}

guint
sk_sale_get_n_lines (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->lines));
}

static void
renumber (SkSale *self, guint from)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));

  for (guint i = from; i < n; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), i);

      g_object_set (line, "line-no", (gint64)i + 1, NULL);
    }
}

SkPurchaseLine *
sk_sale_add_line (SkSale     *self,
                  const char *sku,
                  const char *name,
                  const char *category,
                  gint64      unit_price,
                  gint64      quantity)
{
  g_autoptr (SkPurchaseLine) line = NULL;
  guint n;

  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  /* So that price x quantity (at most SK_QUANTITY_MAX) fits 64 bits. */
  g_return_val_if_fail (unit_price >= 0 && unit_price <= SK_MONEY_MAX, NULL);
  g_return_val_if_fail (quantity >= 1, NULL);

  if (sku != NULL && *sku == '\0')
    sku = NULL;
  if (category != NULL && *category == '\0')
    category = NULL;
  quantity = MIN (quantity, SK_QUANTITY_MAX);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));
  for (guint i = 0; sku != NULL && i < n; i++)
    {
      SkPurchaseLine *existing = g_list_model_get_item (G_LIST_MODEL (self->lines), i);

      g_object_unref (existing); /* the store keeps it */
      if (g_strcmp0 (existing->sku, sku) == 0 && existing->unit_price == unit_price)
        {
          sk_sale_set_quantity (self, i, existing->quantity + quantity);
          return existing;
        }
    }
  line = line_new (sku, name, category, unit_price, quantity);
  line->line_no = n + 1;
  g_list_store_append (self->lines, line);
  return line;
}

void
sk_sale_set_quantity (SkSale *self, guint position, gint64 quantity)
{
  g_autoptr (SkPurchaseLine) line = NULL;

  g_return_if_fail (SK_IS_SALE (self));
  line = g_list_model_get_item (G_LIST_MODEL (self->lines), position);
  g_return_if_fail (line != NULL);

  g_object_set (line, "quantity", CLAMP (quantity, 1, SK_QUANTITY_MAX), NULL);
}

void
sk_sale_remove_line (SkSale *self, guint position)
{
  g_return_if_fail (SK_IS_SALE (self));
  g_return_if_fail (position < g_list_model_get_n_items (G_LIST_MODEL (self->lines)));

  g_list_store_remove (self->lines, position);
  renumber (self, position);
}

void
sk_sale_clear (SkSale *self)
{
  g_return_if_fail (SK_IS_SALE (self));

  g_object_freeze_notify (G_OBJECT (self));
  sk_sale_set_id (self, NULL);
  g_list_store_remove_all (self->lines);
  if (g_set_object (&self->customer, NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CUSTOMER]);
  self->bonus_to_spend = 0;
  sk_sale_set_result (self, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

SkCart *
sk_sale_to_cart (SkSale *self)
{
  SkCart *cart;
  guint   n;

  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  if (self->store == NULL)
    return NULL;

  cart = sk_cart_new (self->store->id);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), i);

      sk_cart_add_line (cart, line->sku, line->name, line->category, line->unit_price,
                        line->quantity);
    }
  return cart;
}

/* A line's discount or total, notified only when it moves: a sale the demo
 * writes by the thousand has no one listening. */
static void
set_line_figure (SkPurchaseLine *line, gint64 *field, gint64 value, GParamSpec *pspec)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (line), pspec);
}

void
sk_sale_set_result (SkSale *self, SkEngineResult *result)
{
  guint n;

  g_return_if_fail (SK_IS_SALE (self));
  n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));
  if (result != NULL && result->line_discounts->len != n)
    {
      g_critical ("%s: a result for %u lines given to a sale of %u", G_STRFUNC,
                  result->line_discounts->len, n);
      sk_engine_result_free (result);
      return;
    }

  g_clear_pointer (&self->result, sk_engine_result_free);
  self->result = result;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), i);
      gint64 line_total = result ? g_array_index (result->line_totals, gint64, i)
                                 : line->unit_price * line->quantity;
      gint64 discount = result ? g_array_index (result->line_discounts, gint64, i) : 0;

      set_line_figure (line, &line->discount, discount, line_discount_pspec);
      set_line_figure (line, &line->total, line_total - discount, line_total_pspec);
    }
  update_figures (self);
}

const SkEngineResult *
sk_sale_get_result (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  return self->result;
}

gint64
sk_sale_get_subtotal (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return self->subtotal;
}

gint64
sk_sale_get_discount_total (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return self->discount_total;
}

gint64
sk_sale_get_payable (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return self->payable;
}

gint64
sk_sale_get_bonus_cap (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return self->bonus_cap;
}

gint64
sk_sale_get_bonus_earned (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return self->bonus_earned;
}

gint64
sk_sale_get_to_pay (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return self->to_pay;
}

gint64
sk_sale_get_bonus_multiplier (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 100);
  return self->bonus_multiplier;
}

gint64
sk_sale_get_bonus_to_spend (SkSale *self)
{
  g_return_val_if_fail (SK_IS_SALE (self), 0);
  return self->bonus_to_spend;
}

void
sk_sale_set_bonus_to_spend (SkSale *self, gint64 amount)
{
  g_return_if_fail (SK_IS_SALE (self));

  self->bonus_to_spend = amount;
  update_figures (self);
}

SkPurchaseRequest *
sk_sale_to_request (SkSale *self)
{
  SkPurchaseRequest *request;

  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  g_return_val_if_fail (self->store != NULL, NULL);

  request = g_new0 (SkPurchaseRequest, 1);
  request->id = g_strdup (sk_sale_get_id (self));
  request->customer_id = self->customer ? g_strdup (self->customer->id) : NULL;
  request->cart = sk_sale_to_cart (self);
  request->bonus_to_spend = self->bonus_to_spend;
  return request;
}

/* The order sk_database_get_purchase reads them in. */
static int
compare_applications (gconstpointer a, gconstpointer b, gpointer data)
{
  const SkDiscountApplication *x = a, *y = b;

  if (x->amount != y->amount)
    return x->amount > y->amount ? -1 : 1;
  return g_strcmp0 (x->rule_id, y->rule_id);
}

SkPurchase *
sk_sale_to_purchase (SkSale *self, gint64 created_at)
{
  SkPurchase *purchase;
  guint       n;

  g_return_val_if_fail (SK_IS_SALE (self), NULL);
  g_return_val_if_fail (self->store != NULL && self->result != NULL, NULL);

  purchase = sk_purchase_new ();
  purchase->id = g_strdup (sk_sale_get_id (self));
  purchase->customer_id = self->customer ? g_strdup (self->customer->id) : NULL;
  purchase->store_id = g_strdup (self->store->id);
  purchase->created_at = created_at;
  purchase->subtotal = self->subtotal;
  purchase->discount_total = self->discount_total;
  purchase->bonus_spent = self->bonus_to_spend;
  purchase->bonus_earned = self->bonus_earned;
  purchase->total_paid = self->to_pay;
  purchase->bonus_multiplier = self->bonus_multiplier;
  purchase->status = g_strdup ("completed");

  n = g_list_model_get_n_items (G_LIST_MODEL (self->lines));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (SkPurchaseLine) line = g_list_model_get_item (G_LIST_MODEL (self->lines), i);
      g_autoptr (SkPurchaseLine) row
          = line_new (line->sku, line->name, line->category, line->unit_price, line->quantity);

      row->line_no = i + 1;
      row->discount = line->discount;
      row->total = line->total;
      g_list_store_append (purchase->lines, row);
    }

  for (guint i = 0; i < self->result->applied->len; i++)
    {
      const SkEngineApplied *applied = &g_array_index (self->result->applied, SkEngineApplied, i);
      g_autoptr (SkDiscountApplication) app = g_object_new (SK_TYPE_DISCOUNT_APPLICATION, NULL);

      app->id = g_uuid_string_random ();
      app->purchase_id = g_strdup (purchase->id);
      app->rule_id = g_strdup (applied->rule->id);
      app->rule_name = g_strdup (applied->rule->name);
      app->customer_id = g_strdup (purchase->customer_id);
      app->store_id = g_strdup (purchase->store_id);
      app->amount = applied->amount;
      app->campaign_id = g_strdup (applied->rule->campaign_id);
      app->line_amounts = g_array_copy (g_ptr_array_index (self->result->applied_splits, i));
      app->created_at = created_at;
      g_list_store_insert_sorted (purchase->applications, app, compare_applications, NULL);
    }
  return purchase;
}
