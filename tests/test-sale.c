/* test-sale.c: the sale the till rings up (lines, the same SKU again,
 * figures, the bonus cap and accrual) and the till's rules, checked against
 * what the pipeline records for the same cart.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-database-private.h"
#include "sk-model-private.h"
#include "sk-error.h"
#include "sk-sale.h"
#include "sk-test-util.h"

/* 2030-01-01 00:00 UTC */
#define NOW ((gint64)1893456000 * G_USEC_PER_SEC)

typedef SkTestShop Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkBonusTransaction) grant = NULL;

  f->db = sk_test_open_database ("skidka-sale-XXXXXX", &f->dir);
  f->store = sk_test_store_new ("EKB-1", "Детский мир");
  f->store->bonus_rate = 300;       /* 3 % */
  f->store->max_bonus_share = 3000; /* bonuses pay at most 30 % */
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  g_assert_no_error (error);

  f->anna = sk_test_create_customer (f->db, "Иванова Анна", "+79123456789");
  grant = sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_ADJUST, 500000, "welcome", NULL,
                                    &error);
  g_assert_no_error (error);
  g_clear_object (&f->anna);
  f->anna = sk_database_lookup_customer (f->db, "+79123456789", &error);
  g_assert_no_error (error);
  g_assert_cmpint (f->anna->bonus_balance, ==, 500000);
}

static SkDiscountRule *
save_rule (Fixture *f, const char *name, const char *type, gint64 value, const char *category)
{
  return sk_test_save_rule (f->db, sk_test_rule_new (name, type, value, category));
}

/* Prices the sale as the till does. */
static void
price (Fixture *f, SkSale *sale)
{
  g_autoptr (SkCart) cart = sk_sale_to_cart (sale);
  g_autoptr (GError) error = NULL;
  SkCustomer     *customer = sk_sale_get_customer (sale);
  SkEngineResult *result;

  result = sk_database_calculate (f->db, cart, customer ? customer->id : NULL, NOW, &error);
  g_assert_no_error (error);
  sk_sale_set_result (sale, result);
}

static gint64
line_int (GListModel *lines, guint position, const char *property)
{
  g_autoptr (SkPurchaseLine) line = g_list_model_get_item (lines, position);
  gint64 value = 0;

  g_assert_nonnull (line);
  g_object_get (line, property, &value, NULL);
  return value;
}

/* The till's rules on their own: SPEC 4's numbers. */
static void
test_rules (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (sk_payable (100000, 15000), ==, 85000);
  g_assert_cmpint (sk_payable (100000, 200000), ==, 0);
  g_assert_cmpint (sk_paid_in_money (85000, 5000), ==, 80000);

  /* min (balance, floor (payable x share / 10000)) */
  g_assert_cmpint (sk_bonus_spend_cap (99999, 3000, 1000000), ==, 29999);
  g_assert_cmpint (sk_bonus_spend_cap (99999, 3000, 1000), ==, 1000);
  g_assert_cmpint (sk_bonus_spend_cap (99999, 3000, -500), ==, 0);
  g_assert_cmpint (sk_bonus_spend_cap (0, 10000, 1000), ==, 0);
  g_assert_cmpint (sk_bonus_spend_cap (SK_MONEY_MAX, 10000, SK_BALANCE_MAX), ==, SK_MONEY_MAX);

  g_assert_true (sk_bonus_spend_check (0, 1000, 0, -100, &error));
  g_assert_no_error (error);
  g_assert_true (sk_bonus_spend_check (29999, 99999, 3000, 30000, &error));
  g_assert_no_error (error);
  g_assert_false (sk_bonus_spend_check (30000, 99999, 3000, 30000, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_BONUS_CAP_EXCEEDED);
  g_assert_cmpstr (sk_error_get_field (error), ==, "bonus_to_spend");
  g_clear_error (&error);
  g_assert_false (sk_bonus_spend_check (1001, 99999, 10000, 1000, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INSUFFICIENT_BONUS);
  g_clear_error (&error);

  /* floor ((payable - spent) x rate x multiplier / 10^6), rounded once:
   * 99 999 x 1 % x 1.5 = 1 499.985 -> 1 499 (rounding twice would give 1 485). */
  g_assert_cmpint (sk_bonus_accrual (99999, 0, 100, 150), ==, 1499);
  g_assert_cmpint (sk_bonus_accrual (99999, 9999, 100, 100), ==, 900);
  g_assert_cmpint (sk_bonus_accrual (1000, 1000, 100, 100), ==, 0);
  g_assert_cmpint (sk_bonus_accrual (1000, 0, 0, 100), ==, 0);
  g_assert_cmpint (sk_bonus_accrual (SK_MONEY_MAX, 0, 10000, 10000), ==, SK_MONEY_MAX * 100);
}

static void
count_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  (*(guint *)user_data)++;
}

/* Lines: the same SKU at the same price again adds to its line; another
 * price or no SKU makes a new one; quantities are clamped; positions are
 * the line numbers. */
static void
test_lines (Fixture *f, gconstpointer data)
{
  g_autoptr (SkSale) sale = sk_sale_new (f->store);
  GListModel      *lines = sk_sale_get_lines (sale);
  SkPurchaseLine  *first, *again;
  guint            quantity_notified = 0;
  g_autofree char *id = NULL;

  g_assert_true (g_list_model_get_item_type (lines) == SK_TYPE_PURCHASE_LINE);
  /* A copy: clearing the sale below frees its id. */
  id = g_strdup (sk_sale_get_id (sale));
  g_assert_true (g_uuid_string_is_valid (id));
  g_assert_cmpstr (sk_sale_get_id (sale), ==, id);

  first = sk_sale_add_line (sale, "CAR", "Машинка", "toys", 120000, 1);
  g_signal_connect (first, "notify::quantity", G_CALLBACK (count_notify), &quantity_notified);
  again = sk_sale_add_line (sale, "CAR", "Машинка", "toys", 120000, 2);
  g_assert_true (first == again);
  g_assert_cmpuint (sk_sale_get_n_lines (sale), ==, 1);
  g_assert_cmpint (line_int (lines, 0, "quantity"), ==, 3);
  g_assert_cmpuint (quantity_notified, ==, 1);

  sk_sale_add_line (sale, "CAR", "Машинка", "toys", 99000, 1); /* another price */
  sk_sale_add_line (sale, NULL, "Носки", "clothes", 19900, 2);
  sk_sale_add_line (sale, "", "Носки", "", 19900, 2); /* no SKU: never merged */
  g_assert_cmpuint (sk_sale_get_n_lines (sale), ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpint (line_int (lines, i, "line-no"), ==, i + 1);
  {
    g_autoptr (SkPurchaseLine) blank = g_list_model_get_item (lines, 3);
    g_autofree char *sku = NULL;
    g_autofree char *category = NULL;

    g_object_get (blank, "sku", &sku, "category", &category, NULL);
    g_assert_null (sku);
    g_assert_null (category);
  }

  sk_sale_set_quantity (sale, 0, 0);
  g_assert_cmpint (line_int (lines, 0, "quantity"), ==, 1);
  sk_sale_set_quantity (sale, 0, G_MAXINT64);
  g_assert_cmpint (line_int (lines, 0, "quantity"), ==, SK_QUANTITY_MAX);
  sk_sale_add_line (sale, "CAR", "Машинка", "toys", 120000, 5);
  g_assert_cmpint (line_int (lines, 0, "quantity"), ==, SK_QUANTITY_MAX);

  sk_sale_remove_line (sale, 1);
  g_assert_cmpuint (sk_sale_get_n_lines (sale), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (line_int (lines, i, "line-no"), ==, i + 1);

  /* The engine's input is the lines as they are. */
  {
    g_autoptr (SkCart) cart = sk_sale_to_cart (sale);

    g_assert_cmpstr (cart->store_id, ==, f->store->id);
    g_assert_cmpuint (cart->lines->len, ==, 3);
    g_assert_cmpint (g_array_index (cart->lines, SkCartLine, 0).quantity, ==, SK_QUANTITY_MAX);
    g_assert_cmpstr (g_array_index (cart->lines, SkCartLine, 1).name, ==, "Носки");
  }

  /* The next sale: nothing left, another id. */
  sk_sale_set_customer (sale, f->anna);
  sk_sale_clear (sale);
  g_assert_cmpuint (sk_sale_get_n_lines (sale), ==, 0);
  g_assert_null (sk_sale_get_customer (sale));
  g_assert_null (sk_sale_get_result (sale));
  g_assert_cmpstr (sk_sale_get_id (sale), !=, id);
  g_assert_true (sk_sale_get_store (sale) == f->store);
}

/* Figures: totals from the engine, the cap and accrual from the store and
 * the customer; the spend is clamped to the cap. */
static void
test_figures (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) toys
      = save_rule (f, "Игрушки −10 %", SK_RULE_PERCENTAGE, 1000, "toys");
  g_autoptr (SkDiscountRule) triple
      = save_rule (f, "Бонусы ×1,5", SK_RULE_BONUS_MULTIPLIER, 150, NULL);
  g_autoptr (SkSale) sale = sk_sale_new (f->store);
  GListModel *lines = sk_sale_get_lines (sale);
  gint64      to_pay = -1;
  guint       to_pay_notified = 0;

  g_signal_connect (sale, "notify::to-pay", G_CALLBACK (count_notify), &to_pay_notified);
  sk_sale_add_line (sale, "CAR", "Машинка", "toys", 120000, 2);
  sk_sale_add_line (sale, NULL, "Носки", "clothes", 19900, 3);

  /* Not priced yet: nothing to pay, nothing to spend. */
  g_assert_null (sk_sale_get_result (sale));
  g_assert_cmpint (sk_sale_get_payable (sale), ==, 0);
  g_assert_cmpint (sk_sale_get_bonus_cap (sale), ==, 0);

  price (f, sale);
  g_assert_nonnull (sk_sale_get_result (sale));
  g_assert_cmpint (sk_sale_get_subtotal (sale), ==, 240000 + 59700);
  g_assert_cmpint (sk_sale_get_discount_total (sale), ==, 24000);
  g_assert_cmpint (sk_sale_get_payable (sale), ==, 299700 - 24000);
  g_assert_cmpint (sk_sale_get_bonus_multiplier (sale), ==, 150);
  g_assert_cmpint (line_int (lines, 0, "discount"), ==, 24000);
  g_assert_cmpint (line_int (lines, 0, "total"), ==, 216000);
  g_assert_cmpint (line_int (lines, 1, "discount"), ==, 0);
  g_assert_cmpint (line_int (lines, 1, "total"), ==, 59700);
  /* Anonymous: no cap, no accrual. */
  g_assert_cmpint (sk_sale_get_bonus_cap (sale), ==, 0);
  g_assert_cmpint (sk_sale_get_bonus_earned (sale), ==, 0);
  sk_sale_set_bonus_to_spend (sale, 1000);
  g_assert_cmpint (sk_sale_get_bonus_to_spend (sale), ==, 0);
  g_assert_cmpint (sk_sale_get_to_pay (sale), ==, 275700);

  /* Anna: the cap is 30 % of payable, below her balance. */
  sk_sale_set_customer (sale, f->anna);
  price (f, sale);
  g_assert_cmpint (sk_sale_get_bonus_cap (sale), ==, sk_bonus_spend_cap (275700, 3000, 500000));
  g_assert_cmpint (sk_sale_get_bonus_cap (sale), ==, 82710);
  g_assert_cmpint (sk_sale_get_bonus_earned (sale), ==, sk_bonus_accrual (275700, 0, 300, 150));
  sk_sale_set_bonus_to_spend (sale, G_MAXINT64);
  g_assert_cmpint (sk_sale_get_bonus_to_spend (sale), ==, 82710);
  g_assert_cmpint (sk_sale_get_to_pay (sale), ==, 275700 - 82710);
  g_assert_cmpint (sk_sale_get_bonus_earned (sale), ==,
                   (gint64)(275700 - 82710) * 300 * 150 / 1000000);
  g_object_get (sale, "to-pay", &to_pay, NULL);
  g_assert_cmpint (to_pay, ==, 275700 - 82710);
  g_assert_cmpuint (to_pay_notified, >, 0);
  sk_sale_set_bonus_to_spend (sale, -5);
  g_assert_cmpint (sk_sale_get_bonus_to_spend (sale), ==, 0);

  /* A smaller cart lowers the cap, and the spend with it. */
  sk_sale_set_bonus_to_spend (sale, 82710);
  sk_sale_remove_line (sale, 0);
  price (f, sale);
  g_assert_cmpint (sk_sale_get_payable (sale), ==, 59700);
  g_assert_cmpint (sk_sale_get_bonus_cap (sale), ==, 17910);
  g_assert_cmpint (sk_sale_get_bonus_to_spend (sale), ==, 17910);

  /* Another customer starts with no spend. */
  {
    g_autoptr (SkCustomer) boris = sk_test_create_customer (f->db, "Петров Борис", "+79120000001");

    sk_sale_set_customer (sale, boris);
    g_assert_cmpint (sk_sale_get_bonus_to_spend (sale), ==, 0);
    g_assert_cmpint (sk_sale_get_bonus_cap (sale), ==, 0); /* no balance */
  }
  (void)toys;
  (void)triple;
}

/* What the till shows before paying is what the pipeline records: the
 * sale's request through sk_database_process_purchase gives the same
 * figures and lines, and the sale's own purchase matches them. */
static void
test_preview_is_recorded (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) toys
      = save_rule (f, "Игрушки −10 %", SK_RULE_PERCENTAGE, 1000, "toys");
  g_autoptr (SkDiscountRule) fixed
      = save_rule (f, "−333 ₽", SK_RULE_FIXED_AMOUNT, 33300, "clothes");
  g_autoptr (SkDiscountRule) bonus
      = save_rule (f, "Бонусы ×2", SK_RULE_BONUS_MULTIPLIER, 200, NULL);
  g_autoptr (SkSale) sale = sk_sale_new (f->store);
  g_autoptr (SkPurchaseRequest) request = NULL;
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (SkPurchase) preview = NULL;
  g_autoptr (GError) error = NULL;
  SkPurchase *recorded;
  GListModel *lines;

  sk_sale_set_customer (sale, f->anna);
  sk_sale_add_line (sale, "CAR", "Машинка", "toys", 133333, 1);
  sk_sale_add_line (sale, "BEAR", "Мишка", "toys", 77777, 2);
  sk_sale_add_line (sale, "CAR", "Машинка", "toys", 133333, 1);
  sk_sale_add_line (sale, NULL, "Куртка", "clothes", 499900, 1);
  price (f, sale);
  sk_sale_set_bonus_to_spend (sale, 123456);
  g_assert_cmpint (sk_sale_get_bonus_to_spend (sale), ==, 123456);

  preview = sk_sale_to_purchase (sale, NOW);
  request = sk_sale_to_request (sale);
  request->created_at = NOW;
  g_assert_cmpstr (request->id, ==, sk_sale_get_id (sale));
  g_assert_cmpstr (request->customer_id, ==, f->anna->id);
  g_assert_cmpint (request->bonus_to_spend, ==, 123456);
  result = sk_database_process_purchase (f->db, request, &error);
  g_assert_no_error (error);
  recorded = result->purchase;

  g_assert_cmpstr (recorded->id, ==, sk_sale_get_id (sale));
  g_assert_cmpint (recorded->subtotal, ==, sk_sale_get_subtotal (sale));
  g_assert_cmpint (recorded->discount_total, ==, sk_sale_get_discount_total (sale));
  g_assert_cmpint (recorded->bonus_spent, ==, sk_sale_get_bonus_to_spend (sale));
  g_assert_cmpint (recorded->bonus_earned, ==, sk_sale_get_bonus_earned (sale));
  g_assert_cmpint (recorded->total_paid, ==, sk_sale_get_to_pay (sale));
  g_assert_cmpint (recorded->bonus_multiplier, ==, 200);
  g_assert_cmpint (
      recorded->total_paid, ==,
      sk_paid_in_money (sk_payable (recorded->subtotal, recorded->discount_total), 123456));
  g_assert_cmpint (recorded->bonus_earned, ==,
                   sk_bonus_accrual (sk_sale_get_payable (sale), 123456, 300, 200));
  g_assert_cmpint (result->customer->bonus_balance, ==,
                   500000 - 123456 + sk_sale_get_bonus_earned (sale));

  /* The sale's own purchase is the one recorded, line by line. */
  lines = sk_sale_get_lines (sale);
  g_assert_cmpuint (g_list_model_get_n_items (sk_purchase_get_lines (recorded)), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (sk_purchase_get_lines (preview)), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      const char *fields[] = { "line-no", "unit-price", "quantity", "discount", "total" };

      for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
        {
          gint64 want = line_int (sk_purchase_get_lines (recorded), i, fields[k]);

          g_assert_cmpint (line_int (sk_purchase_get_lines (preview), i, fields[k]), ==, want);
          g_assert_cmpint (line_int (lines, i, fields[k]), ==, want);
        }
    }
  g_assert_cmpint (line_int (lines, 0, "quantity"), ==, 2);
  {
    GListModel *apps = sk_purchase_get_applications (recorded);
    GListModel *preview_apps = sk_purchase_get_applications (preview);

    g_assert_cmpuint (g_list_model_get_n_items (apps), ==, 3);
    g_assert_cmpuint (g_list_model_get_n_items (preview_apps), ==, 3);
    for (guint i = 0; i < 3; i++)
      {
        g_autoptr (SkDiscountApplication) a = g_list_model_get_item (apps, i);
        g_autoptr (SkDiscountApplication) b = g_list_model_get_item (preview_apps, i);
        g_autofree char *rule_a = NULL, *rule_b = NULL;
        gint64           amount_a = 0, amount_b = 0;

        g_object_get (a, "rule-id", &rule_a, "amount", &amount_a, NULL);
        g_object_get (b, "rule-id", &rule_b, "amount", &amount_b, NULL);
        g_assert_cmpstr (rule_a, ==, rule_b);
        g_assert_cmpint (amount_a, ==, amount_b);
      }
  }

  /* Paying the same sale again is its replay: nothing new. */
  {
    g_autoptr (SkPurchaseRequest) again = sk_sale_to_request (sale);
    g_autoptr (SkPurchaseResult) replayed = NULL;

    again->created_at = NOW;
    replayed = sk_database_process_purchase (f->db, again, &error);
    g_assert_no_error (error);
    g_assert_true (replayed->replayed);
  }
  (void)toys;
  (void)fixed;
  (void)bonus;
}

/* The pipeline refuses what the sale would clamp: asking for more than the
 * cap is an error there, never a silent cut. */
static void
test_pipeline_refuses_over_cap (Fixture *f, gconstpointer data)
{
  g_autoptr (SkSale) sale = sk_sale_new (f->store);
  g_autoptr (SkPurchaseRequest) request = NULL;
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (GError) error = NULL;

  sk_sale_set_customer (sale, f->anna);
  sk_sale_add_line (sale, "CAR", "Машинка", "toys", 100000, 1);
  price (f, sale);
  sk_sale_set_bonus_to_spend (sale, G_MAXINT64);
  g_assert_cmpint (sk_sale_get_bonus_to_spend (sale), ==, 30000);
  request = sk_sale_to_request (sale);
  request->bonus_to_spend = 30001;
  result = sk_database_process_purchase (f->db, request, &error);
  g_assert_null (result);
  g_assert_error (error, SK_ERROR, SK_ERROR_BONUS_CAP_EXCEEDED);
}

/* A discount of @amount with @amounts on the purchase's two lines. */
static void
add_application (SkPurchase *purchase, const char *rule_id, gint64 first, gint64 second)
{
  g_autoptr (SkDiscountApplication) app = g_object_new (SK_TYPE_DISCOUNT_APPLICATION, NULL);
  gint64 amounts[] = { first, second };

  app->rule_id = g_strdup (rule_id);
  app->amount = first + second;
  app->line_amounts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_vals (app->line_amounts, amounts, 2);
  g_list_store_append (purchase->applications, app);
}

/* Three discounts share a line of 5 (5 kopecks off, split 2, 1, 2) and
 * the line goes back in three returns (2, 1, 2): each return's shares add
 * up to the discount returned, none is ever more than its discount, and
 * in the end each has its own back. The middle one is rounded down once
 * and up later: its −1 is part of the sum. */
static void
test_refund_shares (void)
{
  g_autoptr (SkPurchase) purchase = sk_purchase_new ();
  g_autoptr (SkPurchaseLine) line = sk_purchase_line_new ("toy", "Toy", "toys", 100, 5);
  g_autoptr (SkPurchaseLine) other = sk_purchase_line_new ("book", "Book", "books", 10000, 1);
  const gint64 steps[] = { 2, 1, 2 };
  gint64       back[3] = { 0, 0, 0 };
  GListModel  *apps;

  line->line_no = 1;
  line->discount = 5;
  line->total = 495;
  other->line_no = 2;
  other->discount = 19;
  other->total = 9981;
  g_list_store_append (purchase->lines, line);
  g_list_store_append (purchase->lines, other);
  purchase->subtotal = 10500;
  purchase->discount_total = 24;
  /* In the order a purchase is read back: by amount. */
  add_application (purchase, "a", 2, 10);
  add_application (purchase, "b", 1, 6);
  add_application (purchase, "c", 2, 3);
  apps = G_LIST_MODEL (purchase->applications);

  for (guint s = 0; s < G_N_ELEMENTS (steps); s++)
    {
      gint64          quantities[2] = { steps[s], 0 };
      SkRefundFigures figures;
      gint64          sum = 0;
      g_autoptr (GArray) shares = NULL;

      g_assert_true (sk_refund_figures (purchase, quantities, &figures));
      shares = sk_refund_application_shares (purchase, quantities);
      g_assert_cmpuint (shares->len, ==, 3);
      for (guint k = 0; k < 3; k++)
        {
          g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, k);
          gint64 share = g_array_index (shares, gint64, k);

          sum += share;
          back[k] += share;
          g_assert_cmpint (back[k], >=, 0);
          g_assert_cmpint (back[k], <=, g_array_index (app->line_amounts, gint64, 0));
        }
      g_assert_cmpint (sum, ==, figures.discount_after - figures.discount_before);
      line->refunded_quantity += steps[s];
    }
  g_assert_cmpint (back[0], ==, 2);
  g_assert_cmpint (back[1], ==, 1);
  g_assert_cmpint (back[2], ==, 2);

  /* Amounts that do not add up to the line's discount (a file's own,
   * written by hand) are not trusted: shared pro rata. */
  {
    g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, 0);
    g_autoptr (GArray) shares = NULL;
    g_autoptr (GError) error = NULL;
    gint64 all[2] = { 5, 1 };

    line->refunded_quantity = 0;
    g_array_index (app->line_amounts, gint64, 0) = -7;
    g_assert_false (sk_purchase_check_line_amounts (purchase, &error));
    g_assert_cmpstr (sk_error_get_field (error), ==, "applications[0]");
    shares = sk_refund_application_shares (purchase, all);
    g_assert_cmpint (g_array_index (shares, gint64, 0), ==,
                     sk_pro_rata (app->amount, 5 + sk_pro_rata (19, 1, 1), 24));
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define add(path, func) sk_test_shop_add (path, fixture_setup, func)
  g_test_add_func ("/sale/rules", test_rules);
  g_test_add_func ("/sale/refund-shares", test_refund_shares);
  add ("/sale/lines", test_lines);
  add ("/sale/figures", test_figures);
  add ("/sale/preview-is-recorded", test_preview_is_recorded);
  add ("/sale/pipeline-refuses-over-cap", test_pipeline_refuses_over_cap);
#undef add

  return g_test_run ();
}
