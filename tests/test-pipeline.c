/* test-pipeline.c: a sale from cart to ledger, all or nothing, and refunds pro rata.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sk-analytics.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-receipt.h"
#include "sk-sale.h"
#include "sk-test-util.h"

/* 2030-01-01 00:00 UTC: every sale happens at a fixed time, after the
 * manual bonus grants the tests make now. */
#define NOW  ((gint64)1893456000 * G_USEC_PER_SEC)
#define HOUR ((gint64)3600 * G_USEC_PER_SEC)

/* anna consents to e-mail and SMS, not push. */
typedef SkTestShop Fixture;

/* Helpers */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->db = sk_test_open_database ("skidka-pipeline-XXXXXX", &f->dir);
  f->store = sk_test_store_new ("EKB-1", "Детский мир");
  sk_test_set_string (&f->store->timezone, "Asia/Yekaterinburg");
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (f->store->bonus_rate, ==, 100);

  f->anna = sk_customer_new ();
  sk_test_set_string (&f->anna->full_name, "Иванова Анна");
  sk_test_set_string (&f->anna->phone, "+79123456789");
  sk_test_set_string (&f->anna->email, "anna@example.ru");
  f->anna->consent_email = TRUE;
  f->anna->consent_sms = TRUE;
  g_assert_true (sk_database_create_customer (f->db, f->anna, &error));
  g_assert_no_error (error);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *)a, *(const char *const *)b);
}

/* Every row of every table, as text, in a stable order: two dumps are
 * equal exactly when the database holds the same content. */
static char *
dump_database (SkDatabase *db)
{
  sqlite3 *handle = sk_database_get_handle (db);
  g_autoptr (GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  GString      *out = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (
                       handle, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (tables, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  g_assert_cmpuint (tables->len, >=, 16);

  for (guint t = 0; t < tables->len; t++)
    {
      g_autofree char *sql
          = g_strdup_printf ("SELECT * FROM \"%s\"", (char *)g_ptr_array_index (tables, t));
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);

      g_assert_cmpint (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          GString *row = g_string_new (NULL);

          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              if (sqlite3_column_type (stmt, c) == SQLITE_NULL)
                g_string_append (row, "NULL|");
              else
                g_string_append_printf (row, "'%s'|", (const char *)sqlite3_column_text (stmt, c));
            }
          g_ptr_array_add (rows, g_string_free (row, FALSE));
        }
      sqlite3_finalize (stmt);
      g_ptr_array_sort (rows, compare_strings);
      g_string_append_printf (out, "== %s (%u rows)\n", (char *)g_ptr_array_index (tables, t),
                              rows->len);
      for (guint r = 0; r < rows->len; r++)
        g_string_append_printf (out, "%s\n", (char *)g_ptr_array_index (rows, r));
    }
  return g_string_free (out, FALSE);
}

/* Fails unless the database holds what it held when dumped as @before. */
static void
assert_unchanged (Fixture *f, const char *before)
{
  g_autofree char *after = dump_database (f->db);

  g_assert_cmpstr (after, ==, before);
}

/* The whole refund @refund_id of @purchase_id is refused with @code. */
static void
assert_refund_refused (Fixture *f, const char *refund_id, const char *purchase_id, int code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchase) none
      = sk_database_refund_purchase (f->db, refund_id, purchase_id, NULL, &error);

  g_assert_null (none);
  g_assert_error (error, SK_ERROR, code);
}

static SkPurchaseRequest *
request_new (Fixture *f, const char *customer_id, gint64 bonus_to_spend, gint64 created_at)
{
  SkPurchaseRequest *request = g_new0 (SkPurchaseRequest, 1);

  request->id = g_uuid_string_random ();
  request->customer_id = g_strdup (customer_id);
  request->cart = sk_cart_new (f->store->id);
  request->bonus_to_spend = bonus_to_spend;
  request->created_at = created_at;
  return request;
}

static SkPurchaseResult *
process_ok (Fixture *f, SkPurchaseRequest *request)
{
  g_autoptr (GError) error = NULL;
  SkPurchaseResult *result = sk_database_process_purchase (f->db, request, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_false (result->replayed);
  g_assert_cmpstr (result->purchase->id, ==, request->id);
  return result;
}

/* The sale is refused with @code on @field (its message naming @words,
 * unless NULL) and the database holds what it held before. */
static void
assert_refused (
    Fixture *f, SkPurchaseRequest *request, int code, const char *field, const char *words)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autofree char *before = dump_database (f->db);

  result = sk_database_process_purchase (f->db, request, &error);
  g_assert_null (result);
  g_assert_error (error, SK_ERROR, code);
  g_assert_cmpstr (sk_error_get_field (error), ==, field);
  g_assert_cmpuint (strlen (error->message), >, 10);
  if (words != NULL)
    g_assert_nonnull (strstr (error->message, words));
  assert_unchanged (f, before);
}

static SkDiscountRule *
save_rule (Fixture    *f,
           const char *name,
           const char *type,
           gint64      value,
           const char *category,
           const char *campaign_id)
{
  SkDiscountRule *rule = sk_test_rule_new (name, type, value, category);

  sk_test_set_string (&rule->campaign_id, campaign_id);
  return sk_test_save_rule (f->db, rule);
}

static SkCampaign *
save_campaign (Fixture *f, const char *status, gint64 budget)
{
  g_autoptr (GError) error = NULL;
  SkCampaign *campaign = sk_campaign_new ();

  sk_test_set_string (&campaign->name, "Весна");
  sk_test_set_string (&campaign->status, status);
  campaign->budget = budget;
  g_assert_true (sk_database_save_campaign (f->db, campaign, &error));
  g_assert_no_error (error);
  return campaign;
}

static void
give_bonus (Fixture *f, const char *customer_id, gint64 amount)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkBonusTransaction) tx = NULL;

  tx = sk_database_bonus_manual (f->db, customer_id, SK_BONUS_EARN, amount, "Приветственные бонусы",
                                 NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tx);
}

static SkCustomer *
get_customer (Fixture *f, const char *id)
{
  g_autoptr (GError) error = NULL;
  SkCustomer *customer = sk_database_get_customer (f->db, id, &error);

  g_assert_no_error (error);
  return customer;
}

/* The cached balance is the sum of the ledger; returns it. */
static gint64
checked_balance (Fixture *f, const char *customer_id)
{
  g_autoptr (SkCustomer) customer = get_customer (f, customer_id);
  g_autoptr (GError) error = NULL;
  gint64 sum = sk_database_ledger_sum (f->db, customer_id, &error);

  g_assert_no_error (error);
  g_assert_cmpint (customer->bonus_balance, ==, sum);
  return sum;
}

static gint64
rule_uses (Fixture *f, const char *rule_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDiscountRule) rule = sk_database_get_rule (f->db, rule_id, &error);

  g_assert_no_error (error);
  return rule->uses;
}

static gint64
customer_rule_uses (Fixture *f, const char *rule_id, const char *customer_id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce (sum (uses), 0) FROM rule_customer_uses"
                                          " WHERE customer_id = '%s' AND rule_id = ?",
                                          customer_id);
  return sk_test_query_int (f->db, sql, rule_id);
}

static gint64
campaign_spent (Fixture *f, const char *campaign_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCampaign) campaign = sk_database_get_campaign (f->db, campaign_id, &error);

  g_assert_no_error (error);
  return campaign->spent;
}

static SkPurchaseLine *
purchase_line (SkPurchase *purchase, guint index)
{
  g_assert_cmpuint (index, <, g_list_model_get_n_items (sk_purchase_get_lines (purchase)));
  return g_list_model_get_item (sk_purchase_get_lines (purchase), index);
}

/* Ledger rows of a customer, oldest first. */
static GPtrArray *
ledger_oldest_first (Fixture *f, const char *customer_id)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *rows = sk_database_list_bonus_transactions (f->db, customer_id, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < rows->len / 2; i++)
    {
      gpointer tmp = rows->pdata[i];
      rows->pdata[i] = rows->pdata[rows->len - 1 - i];
      rows->pdata[rows->len - 1 - i] = tmp;
    }
  return rows;
}

static void
assert_tx (GPtrArray  *ledger,
           guint       index,
           const char *kind,
           gint64      amount,
           gint64      balance_after,
           const char *purchase_id)
{
  SkBonusTransaction *tx;

  g_assert_cmpuint (index, <, ledger->len);
  tx = g_ptr_array_index (ledger, index);
  g_assert_cmpstr (tx->kind, ==, kind);
  g_assert_cmpint (tx->amount, ==, amount);
  g_assert_cmpint (tx->balance_after, ==, balance_after);
  g_assert_cmpstr (tx->purchase_id, ==, purchase_id);
  g_assert_true (g_uuid_string_is_valid (tx->id));
  g_assert_nonnull (tx->reason);
}

/* A sale, end to end */

/* @text with each line break and the indent after it made one space: the
 * words as they were before the receipt wrapped them. */
static char *
unwrapped (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p != '\n')
        {
          g_string_append_c (out, *p);
          continue;
        }
      g_string_append_c (out, ' ');
      while (p[1] == ' ')
        p++;
    }
  return g_string_free (out, FALSE);
}

/* The receipt is a receipt printer's text: a long Russian name and a long
 * rule's name wrap at their words onto indented lines no wider than
 * SK_RECEIPT_WIDTH characters (not bytes: Cyrillic, "₽", "−" and "×" are
 * two or three each), and every amount ends a line, whole. */
static void
test_receipt_width (Fixture *f, gconstpointer data)
{
  const char *name = "Комбинезон зимний детский мембранный «Снежок» с капюшоном и "
                     "светоотражателями, рост 104";
  const char *rule_name = "VIP: −10 % на одежду и обувь для всей семьи";
  g_autoptr (SkDiscountRule) vip
      = save_rule (f, rule_name, SK_RULE_PERCENTAGE, 1000, "clothes", NULL);
  g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 0, NOW);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (SkCustomer) anna = NULL;
  g_autofree char *receipt = NULL;
  g_autofree char *flat = NULL;
  g_autofree char *off = sk_money_format (69990);
  g_autofree char *minus_off = g_strdup_printf ("−%s", off);
  g_autofree char *price = sk_money_format (69990);
  g_autofree char *gross = sk_money_format (699900);
  g_autofree char *quantity = g_strdup_printf ("  10 × %s = %s", price, gross);
  g_autofree char *rule_line = g_strdup_printf ("%s: −%s", rule_name, off);
  g_auto (GStrv) lines = NULL;
  guint name_at = 0, n_ending_off = 0;

  sk_cart_add_line (request->cart, "SNOW-104", name, "clothes", 69990, 10);
  result = process_ok (f, request);
  g_assert_cmpint (result->purchase->discount_total, ==, 69990);
  anna = get_customer (f, f->anna->id);
  receipt = sk_receipt_format (result->purchase, anna, f->store);
  g_test_message ("%s", receipt);
  lines = g_strsplit (receipt, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_cmpint (g_utf8_strlen (lines[i], -1), <=, SK_RECEIPT_WIDTH);
      if (g_str_has_prefix (lines[i], "Комбинезон"))
        name_at = i;
      if (g_str_has_suffix (lines[i], minus_off))
        n_ending_off++;
    }
  /* The name takes lines as full as its words allow (counted in bytes,
   * its first would hold half as many letters), then goes on indented
   * until the quantity and price. */
  g_assert_cmpint (g_utf8_strlen (lines[name_at], -1), >, SK_RECEIPT_WIDTH - 10);
  g_assert_true (g_str_has_prefix (lines[name_at + 1], "  "));
  g_assert_false (g_str_has_prefix (lines[name_at + 1], "   "));
  {
    g_autoptr (GString) name_lines = g_string_new (lines[name_at]);
    guint i = name_at + 1;

    for (; lines[i] != NULL && !g_str_equal (lines[i], quantity); i++)
      g_string_append_printf (name_lines, "\n%s", lines[i]);
    g_assert_nonnull (lines[i]);
    g_free (flat);
    flat = unwrapped (name_lines->str);
    g_assert_cmpstr (flat, ==, name);
  }
  /* The rule's name reads whole, and its amount is whole at a line's end:
   * as are the line's discount and the receipt's. */
  g_free (flat);
  flat = unwrapped (receipt);
  g_assert_nonnull (strstr (flat, rule_line));
  g_assert_cmpuint (n_ending_off, ==, 3);
}

/* Every notification of a customer (a test's few fit one page). */
static GPtrArray *
customer_notifications (SkDatabase *db, const char *customer_id, GError **error)
{
  g_autofree char *next = NULL;
  GPtrArray *page = sk_database_list_notifications (db, customer_id, NULL, NULL, 500, &next, error);

  g_assert_null (next);
  return page;
}

static void
test_purchase (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) toys
      = save_rule (f, "Игрушки −10 %", SK_RULE_PERCENTAGE, 1000, "toys", NULL);
  g_autoptr (SkDiscountRule) x2
      = save_rule (f, "Бонусы ×2", SK_RULE_BONUS_MULTIPLIER, 200, NULL, NULL);
  g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 5000, NOW);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (SkPurchase) stored = NULL;
  g_autoptr (SkCustomer) anna = NULL;
  g_autoptr (SkPurchaseLine) line0 = NULL;
  g_autoptr (SkPurchaseLine) line1 = NULL;
  g_autoptr (GPtrArray) ledger = NULL;
  g_autoptr (GPtrArray) notifications = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;
  SkPurchase *p;
  gint64      outbox;

  give_bonus (f, f->anna->id, 10000);
  outbox = sk_database_count_outbox (f->db, NULL);
  sk_cart_add_line (request->cart, "LEGO-1", "Лего Сити", "toys", 129900, 2);
  sk_cart_add_line (request->cart, "TSHIRT", "Футболка", "clothes", 50000, 1);

  result = process_ok (f, request);
  p = result->purchase;
  /* subtotal 2 × 1 299 ₽ + 500 ₽; 10 % off the toys; 50 ₽ in bonuses;
   * accrual 1 % × 2 of what was paid in money: floor (278 820 × 100 × 200 / 10^6). */
  g_assert_cmpint (p->subtotal, ==, 309800);
  g_assert_cmpint (p->discount_total, ==, 25980);
  g_assert_cmpint (p->bonus_spent, ==, 5000);
  g_assert_cmpint (p->total_paid, ==, 278820);
  g_assert_cmpint (p->bonus_multiplier, ==, 200);
  g_assert_cmpint (p->bonus_earned, ==, 5576);
  g_assert_cmpstr (p->status, ==, "completed");
  g_assert_cmpint (p->refunded_total, ==, 0);
  g_assert_cmpint (p->created_at, ==, NOW);
  g_assert_cmpstr (p->customer_id, ==, f->anna->id);
  g_assert_cmpstr (p->store_id, ==, f->store->id);

  /* What is read back is what was returned. */
  stored = sk_database_get_purchase (f->db, request->id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (stored->subtotal, ==, 309800);
  g_assert_cmpint (stored->discount_total, ==, 25980);
  g_assert_cmpint (stored->bonus_spent, ==, 5000);
  g_assert_cmpint (stored->bonus_earned, ==, 5576);
  g_assert_cmpint (stored->total_paid, ==, 278820);

  /* Lines with their discounts. */
  g_assert_cmpuint (g_list_model_get_n_items (sk_purchase_get_lines (stored)), ==, 2);
  line0 = purchase_line (stored, 0);
  line1 = purchase_line (stored, 1);
  g_assert_cmpint (line0->line_no, ==, 1);
  g_assert_cmpstr (line0->sku, ==, "LEGO-1");
  g_assert_cmpstr (line0->name, ==, "Лего Сити");
  g_assert_cmpstr (line0->category, ==, "toys");
  g_assert_cmpint (line0->unit_price, ==, 129900);
  g_assert_cmpint (line0->quantity, ==, 2);
  g_assert_cmpint (line0->discount, ==, 25980);
  g_assert_cmpint (line0->total, ==, 233820);
  g_assert_cmpint (line0->refunded_quantity, ==, 0);
  g_assert_cmpint (line1->line_no, ==, 2);
  g_assert_cmpint (line1->discount, ==, 0);
  g_assert_cmpint (line1->total, ==, 50000);

  /* The receipt: a line's quantity × price is what it costs before its
   * discount, and the discount says "−" wherever it stands. */
  {
    g_autofree char *receipt = sk_receipt_format (stored, NULL, f->store);
    g_autofree char *price = sk_money_format (129900);
    g_autofree char *gross = sk_money_format (259800);
    g_autofree char *off = sk_money_format (25980);
    g_autofree char *line
        = g_strdup_printf ("Лего Сити\n  2 × %s = %s\n  discount −%s\n", price, gross, off);
    g_autofree char *total_off = g_strdup_printf ("\nDiscount: −%s\n", off);

    g_test_message ("%s", receipt);
    g_assert_nonnull (strstr (receipt, line));
    g_assert_nonnull (strstr (receipt, total_off));
  }

  /* The discount applications, and the usage counts. */
  g_assert_cmpuint (g_list_model_get_n_items (sk_purchase_get_applications (stored)), ==, 2);
  {
    g_autoptr (SkDiscountApplication) a0
        = g_list_model_get_item (sk_purchase_get_applications (stored), 0);
    g_autoptr (SkDiscountApplication) a1
        = g_list_model_get_item (sk_purchase_get_applications (stored), 1);

    g_assert_cmpstr (a0->rule_id, ==, toys->id);
    g_assert_cmpstr (a0->rule_name, ==, "Игрушки −10 %");
    g_assert_cmpint (a0->amount, ==, 25980);
    g_assert_cmpstr (a0->customer_id, ==, f->anna->id);
    g_assert_cmpstr (a0->store_id, ==, f->store->id);
    g_assert_cmpint (a0->created_at, ==, NOW);
    g_assert_cmpstr (a0->purchase_id, ==, request->id);
    g_assert_cmpstr (a1->rule_id, ==, x2->id);
    g_assert_cmpint (a1->amount, ==, 0);
  }
  g_assert_cmpint (rule_uses (f, toys->id), ==, 1);
  g_assert_cmpint (rule_uses (f, x2->id), ==, 1);
  g_assert_cmpint (customer_rule_uses (f, toys->id, f->anna->id), ==, 1);
  g_assert_cmpint (customer_rule_uses (f, x2->id, f->anna->id), ==, 1);

  /* The ledger: the welcome bonus, the spend, the accrual. */
  ledger = ledger_oldest_first (f, f->anna->id);
  g_assert_cmpuint (ledger->len, ==, 3);
  assert_tx (ledger, 0, "earn", 10000, 10000, NULL);
  assert_tx (ledger, 1, "spend", -5000, 5000, request->id);
  assert_tx (ledger, 2, "earn", 5576, 10576, request->id);
  g_assert_cmpstr (((SkBonusTransaction *)g_ptr_array_index (ledger, 1))->store_id, ==,
                   f->store->id);
  g_assert_cmpint (checked_balance (f, f->anna->id), ==, 10576);

  /* Notifications: e-mail and SMS, which Anna agreed to; no push. */
  notifications = customer_notifications (f->db, f->anna->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (notifications->len, ==, 2);
  for (guint i = 0; i < notifications->len; i++)
    {
      SkNotification *n = g_ptr_array_index (notifications, i);

      g_assert_cmpstr (n->status, ==, "pending");
      g_assert_cmpstr (n->event, ==, "bonus_earned");
      g_assert_cmpint (n->attempts, ==, 0);
      g_assert_nonnull (n->body);
      g_assert_true (strstr (n->body, "55,76") != NULL);
      if (g_str_equal (n->channel, "email"))
        g_assert_cmpstr (n->recipient, ==, "anna@example.ru");
      else if (g_str_equal (n->channel, "sms"))
        g_assert_cmpstr (n->recipient, ==, "+79123456789");
      else
        g_assert_not_reached ();
    }

  /* The customer's statistics and segment. */
  anna = get_customer (f, f->anna->id);
  g_assert_cmpint (anna->visits, ==, 1);
  g_assert_cmpint (anna->total_spent, ==, 283820);
  g_assert_cmpint (anna->last_purchase_at, ==, NOW);
  g_assert_cmpstr (anna->segment, ==, "one_time");
  g_assert_cmpint (anna->bonus_balance, ==, 10576);
  g_assert_nonnull (result->customer);
  g_assert_cmpint (result->customer->bonus_balance, ==, 10576);
  g_assert_cmpstr (result->customer->segment, ==, "one_time");
  history = sk_database_list_segment_history (f->db, f->anna->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  g_assert_cmpstr (((SkSegmentAssignment *)g_ptr_array_index (history, 1))->segment, ==,
                   "one_time");
  g_assert_cmpstr (((SkSegmentAssignment *)g_ptr_array_index (history, 1))->previous_segment, ==,
                   "new");
  g_assert_cmpint (((SkSegmentAssignment *)g_ptr_array_index (history, 1))->assigned_at, ==, NOW);

  /* The sync event of the sale, with the sale in it. */
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 1);
  g_assert_cmpint (sk_test_query_int (f->db,
                                      "SELECT count(*) FROM sync_outbox WHERE entity = 'purchase'"
                                      " AND op = 'create' AND entity_id = ?",
                                      request->id),
                   ==, 1);
  {
    g_autoptr (JsonNode) json = sk_purchase_result_to_json (result);
    JsonObject *purchase = json_object_get_object_member (json_node_get_object (json), "purchase");
    JsonObject *customer = json_object_get_object_member (json_node_get_object (json), "customer");

    g_assert_cmpint (json_object_get_int_member (purchase, "subtotal"), ==, 309800);
    g_assert_cmpint (json_object_get_int_member (purchase, "discount_total"), ==, 25980);
    g_assert_cmpint (json_object_get_int_member (purchase, "bonus_spent"), ==, 5000);
    g_assert_cmpint (json_object_get_int_member (purchase, "bonus_earned"), ==, 5576);
    g_assert_cmpint (json_object_get_int_member (purchase, "total_paid"), ==, 278820);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (purchase, "lines")), ==,
                      2);
    g_assert_cmpint (json_object_get_int_member (customer, "bonus_balance"), ==, 10576);
    g_assert_cmpstr (json_object_get_string_member (customer, "segment"), ==, "one_time");
    g_assert_false (json_object_get_boolean_member (json_node_get_object (json), "replayed"));
  }

  {
    g_autoptr (GPtrArray) purchases = sk_database_list_purchases (f->db, f->anna->id, 10, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (purchases->len, ==, 1);
    g_assert_cmpuint (
        g_list_model_get_n_items (sk_purchase_get_lines (g_ptr_array_index (purchases, 0))), ==, 2);
  }
}

static void
test_anonymous_and_no_consent (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = save_rule (f, "−5 %", SK_RULE_PERCENTAGE, 500, NULL, NULL);
  g_autoptr (SkCustomer) petr = sk_test_create_customer (f->db, "Петров Пётр", "+79120000001");
  g_autoptr (SkPurchaseRequest) anonymous = request_new (f, NULL, 0, NOW);
  g_autoptr (SkPurchaseRequest) silent = request_new (f, petr->id, 0, NOW + HOUR);
  g_autoptr (SkPurchaseResult) r1 = NULL;
  g_autoptr (SkPurchaseResult) r2 = NULL;
  g_autoptr (GPtrArray) notifications = NULL;
  g_autoptr (GError) error = NULL;
  gint64 outbox = sk_database_count_outbox (f->db, NULL);

  sk_cart_add_line (anonymous->cart, "BEAR", "Мишка", "toys", 99900, 1);
  r1 = process_ok (f, anonymous);
  g_assert_null (r1->customer);
  g_assert_null (r1->purchase->customer_id);
  g_assert_cmpint (r1->purchase->subtotal, ==, 99900);
  g_assert_cmpint (r1->purchase->discount_total, ==, 4995);
  g_assert_cmpint (r1->purchase->bonus_earned, ==, 0);
  g_assert_cmpint (r1->purchase->total_paid, ==, 94905);
  g_assert_cmpint (rule_uses (f, rule->id), ==, 1);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM rule_customer_uses", NULL), ==,
                   0);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM bonus_transactions", NULL), ==,
                   0);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM notifications", NULL), ==, 0);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 1);
  {
    g_autoptr (JsonNode) json = sk_purchase_result_to_json (r1);
    g_assert_true (json_object_get_null_member (json_node_get_object (json), "customer"));
  }

  /* Petr earns bonuses but consented to nothing: no notification. */
  sk_cart_add_line (silent->cart, "BEAR", "Мишка", "toys", 99900, 1);
  r2 = process_ok (f, silent);
  g_assert_cmpint (r2->purchase->bonus_earned, ==, 949);
  g_assert_cmpint (checked_balance (f, petr->id), ==, 949);
  notifications = customer_notifications (f->db, petr->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (notifications->len, ==, 0);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM notifications", NULL), ==, 0);

  /* SMS consent without a phone, push consent: push goes to the app. */
  sk_test_set_string (&petr->phone, NULL);
  sk_test_set_string (&petr->card_number, "4600001");
  petr->consent_sms = TRUE;
  petr->consent_push = TRUE;
  g_assert_true (sk_database_update_customer (f->db, petr, &error));
  g_assert_no_error (error);
  {
    g_autoptr (SkPurchaseRequest) again = request_new (f, petr->id, 0, NOW + 2 * HOUR);
    g_autoptr (SkPurchaseResult) r3 = NULL;
    g_autoptr (GPtrArray) list = NULL;

    sk_cart_add_line (again->cart, "BEAR", "Мишка", "toys", 99900, 1);
    r3 = process_ok (f, again);
    list = customer_notifications (f->db, petr->id, &error);
    g_assert_cmpuint (list->len, ==, 1);
    g_assert_cmpstr (((SkNotification *)g_ptr_array_index (list, 0))->channel, ==, "push");
  }
}

/* Segments move with the sales, and history keeps every change. */
static void
test_segments_follow_sales (Fixture *f, gconstpointer data)
{
  const char *expected[] = {
    "one_time", "occasional", "occasional", "occasional", "regular",
    "regular",  "regular",    "regular",    "regular",    "vip",
  };
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;
  gint64 spent = 0;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 0, NOW + i * HOUR);
      g_autoptr (SkPurchaseResult) result = NULL;
      g_autoptr (SkCustomer) anna = NULL;

      /* 1 000 ₽ each: the 10th sale reaches 10 000 ₽. */
      sk_cart_add_line (request->cart, "PRAM", "Коляска", "prams", 100000, 1);
      result = process_ok (f, request);
      spent += 100000;
      anna = get_customer (f, f->anna->id);
      g_assert_cmpint (anna->visits, ==, i + 1);
      g_assert_cmpint (anna->total_spent, ==, spent);
      g_assert_cmpint (anna->last_purchase_at, ==, NOW + i * HOUR);
      g_assert_cmpstr (anna->segment, ==, expected[i]);
      g_assert_cmpstr (result->customer->segment, ==, expected[i]);
      g_assert_cmpint (anna->bonus_balance, ==, (i + 1) * 1000);
      checked_balance (f, f->anna->id);
    }

  history = sk_database_list_segment_history (f->db, f->anna->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 5);
  {
    const char  *segments[] = { "new", "one_time", "occasional", "regular", "vip" };
    const gint64 at[] = { 0, NOW, NOW + HOUR, NOW + 4 * HOUR, NOW + 9 * HOUR };

    for (guint i = 0; i < history->len; i++)
      {
        SkSegmentAssignment *a = g_ptr_array_index (history, i);

        g_assert_cmpstr (a->segment, ==, segments[i]);
        g_assert_cmpstr (a->previous_segment, ==, i > 0 ? segments[i - 1] : NULL);
        if (i > 0)
          g_assert_cmpint (a->assigned_at, ==, at[i]);
      }
  }

  /* A sale dated before the last one does not move last_purchase_at back. */
  {
    g_autoptr (SkPurchaseRequest) late = request_new (f, f->anna->id, 0, NOW - HOUR);
    g_autoptr (SkPurchaseResult) result = NULL;
    g_autoptr (SkCustomer) anna = NULL;

    sk_cart_add_line (late->cart, "PRAM", "Коляска", "prams", 100000, 1);
    result = process_ok (f, late);
    anna = get_customer (f, f->anna->id);
    g_assert_cmpint (anna->last_purchase_at, ==, NOW + 9 * HOUR);
    g_assert_cmpint (anna->visits, ==, 11);
  }
}

/* Campaign budgets: spent grows by the rules' discount; a spent budget
 * stops the rule. */
static void
test_campaign_budget (Fixture *f, gconstpointer data)
{
  g_autoptr (SkCampaign) campaign = save_campaign (f, "active", 30000);
  g_autoptr (SkCampaign) draft = save_campaign (f, "draft", 0);
  g_autoptr (SkDiscountRule) rule
      = save_rule (f, "Весна −10 %", SK_RULE_PERCENTAGE, 1000, NULL, campaign->id);
  g_autoptr (SkDiscountRule) sleeping
      = save_rule (f, "Черновик −50 %", SK_RULE_PERCENTAGE, 5000, NULL, draft->id);
  const gint64 discounts[] = { 20000, 10000, 0 };
  const gint64 spent[] = { 20000, 30000, 30000 };

  for (guint i = 0; i < G_N_ELEMENTS (discounts); i++)
    {
      g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 0, NOW + i * HOUR);
      g_autoptr (SkPurchaseResult) result = NULL;

      sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 200000, 1);
      result = process_ok (f, request);
      g_assert_cmpint (result->purchase->discount_total, ==, discounts[i]);
      g_assert_cmpint (campaign_spent (f, campaign->id), ==, spent[i]);
      g_assert_cmpint (rule_uses (f, rule->id), ==, i < 2 ? i + 1 : 2);
      g_assert_cmpint (g_list_model_get_n_items (sk_purchase_get_applications (result->purchase)),
                       ==, i < 2 ? 1 : 0);
    }
  g_assert_cmpint (rule_uses (f, sleeping->id), ==, 0);
  g_assert_cmpint (campaign_spent (f, draft->id), ==, 0);
}

/* Running figures stop at the top of 64 bits instead of wrapping (or, in
 * SQLite, turning into floats); bonuses that would take a balance beyond
 * SK_BALANCE_MAX refuse the whole sale. */
static void
test_money_bounds (Fixture *f, gconstpointer data)
{
  g_autoptr (SkCampaign) campaign = save_campaign (f, "active", 0);
  g_autoptr (SkDiscountRule) rule
      = save_rule (f, "Весна −10 %", SK_RULE_PERCENTAGE, 1000, NULL, campaign->id);
  g_autofree char *sql = NULL;

  sk_test_exec_sql (f->db, "UPDATE customers SET total_spent = 9223372036854775800");
  sql = g_strdup_printf ("UPDATE campaigns SET spent = 9223372036854775800 WHERE id = '%s'",
                         campaign->id);
  sk_test_exec_sql (f->db, sql);
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 0, NOW);
    g_autoptr (SkPurchaseResult) result = NULL;
    g_autoptr (SkCustomer) anna = NULL;

    sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 200000, 1);
    result = process_ok (f, request);
    g_assert_cmpint (result->purchase->discount_total, ==, 20000);
    g_assert_cmpint (result->customer->total_spent, ==, G_MAXINT64);
    anna = get_customer (f, f->anna->id);
    g_assert_cmpint (anna->total_spent, ==, G_MAXINT64);
    g_assert_cmpint (campaign_spent (f, campaign->id), ==, G_MAXINT64);
    g_assert_cmpint (
        sk_test_query_int (
            f->db, "SELECT count(*) FROM customers WHERE typeof (total_spent) = 'integer'", NULL),
        ==, 1);
    g_assert_cmpint (
        sk_test_query_int (f->db, "SELECT count(*) FROM campaigns WHERE typeof (spent) = 'integer'",
                           NULL),
        ==, 1);
  }
  g_assert_cmpint (rule_uses (f, rule->id), ==, 1);

  /* 5 kopecks below the bound: a sale earning more is refused whole. */
  give_bonus (f, f->anna->id, SK_BALANCE_MAX - 5 - checked_balance (f, f->anna->id));
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 0, NOW + HOUR);

    sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 200000, 1);
    assert_refused (f, request, SK_ERROR_INVALID, "customer_id", NULL);
    g_assert_cmpint (checked_balance (f, f->anna->id), ==, SK_BALANCE_MAX - 5);
  }
}

/* Spend errors write nothing. */
static void
test_spend_errors (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  give_bonus (f, f->anna->id, 10000);
  f->store->max_bonus_share = 5000;
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  g_assert_no_error (error);

  /* More than the balance. */
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 10001, NOW);

    sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 200000, 1);
    assert_refused (f, request, SK_ERROR_INSUFFICIENT_BONUS, "bonus_to_spend", "100,00");
  }

  /* More than half of the purchase: the store's cap is 50 %. */
  give_bonus (f, f->anna->id, 1000000);
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 100001, NOW);

    sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 200001, 1);
    assert_refused (f, request, SK_ERROR_BONUS_CAP_EXCEEDED, "bonus_to_spend", "1\u202f000,00");
  }

  /* Exactly the cap, floor (200 001 × 5000 / 10000) = 100 000, is fine. */
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 100000, NOW);
    g_autoptr (SkPurchaseResult) result = NULL;

    sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 200001, 1);
    result = process_ok (f, request);
    g_assert_cmpint (result->purchase->bonus_spent, ==, 100000);
    g_assert_cmpint (result->purchase->total_paid, ==, 100001);
    g_assert_cmpint (result->purchase->bonus_earned, ==, 1000);
    g_assert_cmpint (checked_balance (f, f->anna->id), ==, 10000 + 1000000 - 100000 + 1000);
  }

  /* The whole balance, to the last kopeck. */
  f->store->max_bonus_share = 10000;
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 911000, NOW + HOUR);
    g_autoptr (SkPurchaseResult) result = NULL;

    sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 911000, 1);
    result = process_ok (f, request);
    g_assert_cmpint (result->purchase->total_paid, ==, 0);
    g_assert_cmpint (result->purchase->bonus_earned, ==, 0);
    g_assert_cmpint (checked_balance (f, f->anna->id), ==, 0);
    g_assert_cmpint (result->customer->bonus_balance, ==, 0);
  }
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 1, NOW + 2 * HOUR);
    g_autoptr (SkPurchaseResult) result = NULL;

    sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 911000, 1);
    result = sk_database_process_purchase (f->db, request, &error);
    g_assert_error (error, SK_ERROR, SK_ERROR_INSUFFICIENT_BONUS);
  }
}

/* A refund can take back bonuses already spent: the balance goes below
 * zero and the customer is flagged, but can still buy and pay in money. */
static void
test_negative_balance (Fixture *f, gconstpointer data)
{
  g_autoptr (SkPurchaseRequest) first = request_new (f, f->anna->id, 0, 0);
  g_autoptr (SkPurchaseRequest) second = request_new (f, f->anna->id, 0, 0);
  g_autoptr (SkPurchaseRequest) third = request_new (f, f->anna->id, 1, 0);
  g_autoptr (SkPurchaseResult) r1 = NULL;
  g_autoptr (SkPurchaseResult) r2 = NULL;
  g_autoptr (SkPurchaseResult) r3 = NULL;
  g_autoptr (SkBonusTransaction) spend = NULL;
  g_autoptr (SkPurchase) refunded = NULL;
  g_autoptr (SkCustomer) anna = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *refund_id = g_uuid_string_random ();

  sk_cart_add_line (first->cart, "PRAM", "Коляска", "prams", 1000000, 1);
  r1 = process_ok (f, first);
  g_assert_cmpint (r1->purchase->bonus_earned, ==, 10000);
  spend = sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_SPEND, 10000, "Подарочная карта",
                                    NULL, &error);
  g_assert_no_error (error);
  refunded = sk_database_refund_purchase (f->db, refund_id, first->id, NULL, &error);
  g_assert_no_error (error);
  anna = get_customer (f, f->anna->id);
  g_assert_cmpint (anna->bonus_balance, ==, -10000);
  g_assert_true (anna->flagged);
  g_assert_cmpint (checked_balance (f, f->anna->id), ==, -10000);

  sk_cart_add_line (second->cart, "BEAR", "Мишка", "toys", 50000, 1);
  r2 = process_ok (f, second);
  g_assert_cmpint (r2->purchase->bonus_spent, ==, 0);
  g_assert_cmpint (r2->purchase->bonus_earned, ==, 500);
  g_assert_cmpint (checked_balance (f, f->anna->id), ==, -9500);

  /* Spending anything is refused, of course. */
  sk_cart_add_line (third->cart, "BEAR", "Мишка", "toys", 50000, 1);
  r3 = sk_database_process_purchase (f->db, third, &error);
  g_assert_null (r3);
  g_assert_error (error, SK_ERROR, SK_ERROR_INSUFFICIENT_BONUS);
}

/* All or nothing: a failure at any step leaves no trace. */
static void
test_fail_points (Fixture *f, gconstpointer data)
{
  const char *steps[] = { "lines", "applications", "bonus", "notification", "segment", "outbox" };
  g_autoptr (SkDiscountRule) rule = NULL;
  g_autoptr (SkCampaign) campaign = save_campaign (f, "active", 1000000);
  g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 1000, NOW);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autofree char *before = NULL;
  g_autoptr (GError) error = NULL;

  rule = save_rule (f, "Весна −10 %", SK_RULE_PERCENTAGE, 1000, NULL, campaign->id);
  give_bonus (f, f->anna->id, 5000);
  sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 200000, 1);
  before = dump_database (f->db);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      sk_database_set_fail_point (f->db, steps[i]);
      result = sk_database_process_purchase (f->db, request, &error);
      g_assert_null (result);
      g_assert_error (error, SK_ERROR, SK_ERROR_DATABASE);
      g_assert_nonnull (strstr (error->message, steps[i]));
      g_clear_error (&error);
      assert_unchanged (f, before);
    }
  sk_database_set_fail_point (f->db, NULL);

  /* The same sale then goes through, every step of it. */
  result = process_ok (f, request);
  g_assert_cmpint (result->purchase->discount_total, ==, 20000);
  g_assert_cmpint (result->purchase->bonus_earned, ==, 1790);
  g_assert_cmpint (campaign_spent (f, campaign->id), ==, 20000);
  g_assert_cmpint (rule_uses (f, rule->id), ==, 1);
  g_assert_cmpint (checked_balance (f, f->anna->id), ==, 5000 - 1000 + 1790);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM notifications", NULL), ==, 2);
  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT count(*) FROM customer_segments WHERE customer_id = ?",
                         f->anna->id),
      ==, 2);
}

static void
test_commit_failure (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = save_rule (f, "−10 %", SK_RULE_PERCENTAGE, 1000, NULL, NULL);
  g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 1000, 0);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (SkPurchase) refunded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *refund_id = g_uuid_string_random ();
  g_autofree char *before = NULL;

  give_bonus (f, f->anna->id, 5000);
  sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 100000, 1);
  sk_test_break_commits (f->db, TRUE);
  before = dump_database (f->db);
  result = sk_database_process_purchase (f->db, request, &error);
  g_assert_null (result);
  g_assert_nonnull (error);
  g_clear_error (&error);
  assert_unchanged (f, before);
  sk_test_break_commits (f->db, FALSE);

  result = process_ok (f, request);
  g_assert_cmpint (result->purchase->bonus_earned, ==, 890);

  sk_test_break_commits (f->db, TRUE);
  g_free (before);
  before = dump_database (f->db);
  refunded = sk_database_refund_purchase (f->db, refund_id, request->id, NULL, &error);
  g_assert_null (refunded);
  g_assert_nonnull (error);
  g_clear_error (&error);
  assert_unchanged (f, before);
  sk_test_break_commits (f->db, FALSE);

  refunded = sk_database_refund_purchase (f->db, refund_id, request->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refunded->status, ==, "refunded");
  g_assert_cmpint (checked_balance (f, f->anna->id), ==, 5000);
}

/* A replayed sale answers the first result and writes nothing. */
static void
test_replay (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = save_rule (f, "−10 %", SK_RULE_PERCENTAGE, 1000, NULL, NULL);
  g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 2000, NOW);
  g_autoptr (SkPurchaseResult) first = NULL;
  g_autoptr (SkPurchaseResult) second = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;

  give_bonus (f, f->anna->id, 5000);
  sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 150000, 1);
  first = process_ok (f, request);
  before = dump_database (f->db);

  second = sk_database_process_purchase (f->db, request, &error);
  g_assert_no_error (error);
  g_assert_true (second->replayed);
  g_assert_cmpstr (second->purchase->id, ==, first->purchase->id);
  g_assert_cmpint (second->purchase->subtotal, ==, first->purchase->subtotal);
  g_assert_cmpint (second->purchase->discount_total, ==, 15000);
  g_assert_cmpint (second->purchase->bonus_spent, ==, 2000);
  g_assert_cmpint (second->purchase->bonus_earned, ==, first->purchase->bonus_earned);
  g_assert_cmpint (second->purchase->total_paid, ==, first->purchase->total_paid);
  g_assert_cmpint (second->customer->bonus_balance, ==, first->customer->bonus_balance);
  g_assert_cmpuint (g_list_model_get_n_items (sk_purchase_get_lines (second->purchase)), ==, 1);
  assert_unchanged (f, before);

  {
    g_autoptr (JsonNode) json = sk_purchase_result_to_json (second);
    g_assert_true (json_object_get_boolean_member (json_node_get_object (json), "replayed"));
  }

  /* A different cart or spend under the same id is no replay but a
   * mistake, told apart (SPEC 5, idempotency); nothing is written. */
  g_clear_pointer (&second, sk_purchase_result_free);
  sk_cart_add_line (request->cart, "BEAR", "Мишка", "toys", 99900, 3);
  second = sk_database_process_purchase (f->db, request, &error);
  g_assert_null (second);
  g_assert_error (error, SK_ERROR, SK_ERROR_IDEMPOTENCY_MISMATCH);
  g_assert_cmpstr (sk_error_get_field (error), ==, "id");
  g_clear_error (&error);
  g_array_set_size (request->cart->lines, 1);
  request->bonus_to_spend = 3000;
  second = sk_database_process_purchase (f->db, request, &error);
  g_assert_null (second);
  g_assert_error (error, SK_ERROR, SK_ERROR_IDEMPOTENCY_MISMATCH);
  g_clear_error (&error);
  /* A caller bound to another store learns nothing of the sale. */
  request->bonus_to_spend = 2000;
  request->visible_store_id = g_strdup ("another-store");
  second = sk_database_process_purchase (f->db, request, &error);
  g_assert_null (second);
  g_assert_error (error, SK_ERROR, SK_ERROR_FORBIDDEN);
  g_clear_error (&error);
  /* The same request again, from its own store: the first result. */
  g_free (request->visible_store_id);
  request->visible_store_id = g_strdup (first->purchase->store_id);
  second = sk_database_process_purchase (f->db, request, &error);
  g_assert_no_error (error);
  g_assert_true (second->replayed);
  g_assert_cmpint (second->purchase->bonus_spent, ==, 2000);
  assert_unchanged (f, before);
  g_assert_cmpint (rule_uses (f, rule->id), ==, 1);
}

/* Bad input: a clear error, nothing written. */
static void
test_bad_input (Fixture *f, gconstpointer data)
{
  struct
  {
    const char *what;
    const char *id;
    const char *customer;
    const char *store;
    gint64      price, quantity, bonus;
    const char *field;
  } bad[] = {
    { "zero quantity", NULL, "anna", NULL, 10000, 0, 0, "items[0].quantity" },
    { "negative quantity", NULL, "anna", NULL, 10000, -2, 0, "items[0].quantity" },
    { "huge quantity", NULL, "anna", NULL, 10000, SK_QUANTITY_MAX + 1, 0, "items[0].quantity" },
    { "negative price", NULL, "anna", NULL, -1, 1, 0, "items[0].unit_price" },
    { "price overflow", NULL, "anna", NULL, SK_MONEY_MAX, 2, 0, "items[0].unit_price" },
    { "price of int64", NULL, "anna", NULL, G_MAXINT64, 1, 0, "items[0].unit_price" },
    { "unknown customer", NULL, "00000000-0000-4000-8000-000000000000", NULL, 10000, 1, 0,
      "customer_id" },
    { "malformed customer", NULL, "anna'--", NULL, 10000, 1, 0, "customer_id" },
    { "unknown store", NULL, "anna", "00000000-0000-4000-8000-000000000000", 10000, 1, 0,
      "store_id" },
    { "empty store", NULL, "anna", "", 10000, 1, 0, "store_id" },
    { "malformed id", "purchase-1", "anna", NULL, 10000, 1, 0, "id" },
    { "empty id", "", "anna", NULL, 10000, 1, 0, "id" },
    { "anonymous spend", NULL, NULL, NULL, 10000, 1, 100, "bonus_to_spend" },
    { "negative spend", NULL, "anna", NULL, 10000, 1, -100, "bonus_to_spend" },
    { "empty cart", NULL, "anna", NULL, 0, 0, 0, "items" },
  };
  g_autofree char *before = NULL;

  give_bonus (f, f->anna->id, 5000);
  before = dump_database (f->db);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (SkPurchaseRequest) request = NULL;
      const char *customer
          = g_strcmp0 (bad[i].customer, "anna") == 0 ? f->anna->id : bad[i].customer;

      g_test_message ("case %s", bad[i].what);
      request = request_new (f, customer, bad[i].bonus, NOW);
      if (bad[i].id != NULL)
        sk_test_set_string (&request->id, bad[i].id);
      if (bad[i].store != NULL)
        sk_test_set_string (&request->cart->store_id, bad[i].store);
      if (bad[i].quantity != 0 || bad[i].price != 0)
        sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", bad[i].price, bad[i].quantity);
      assert_refused (f, request, SK_ERROR_INVALID, bad[i].field, NULL);
    }
  assert_unchanged (f, before);
}

static void
test_request_from_json (void)
{
  struct
  {
    const char *json;
    const char *field;
  } bad[] = {
    { "{\"store_id\": \"s\", \"items\": []}", "id" },
    { "{\"id\": 5, \"store_id\": \"s\", \"items\": []}", "id" },
    { "{\"id\": \"u\", \"customer_id\": 7, \"store_id\": \"s\", \"items\": []}", "customer_id" },
    { "{\"id\": \"u\", \"customer_id\": [\"c\"], \"store_id\": \"s\", \"items\": []}",
      "customer_id" },
    { "{\"id\": \"u\", \"bonus_to_spend\": \"100\", \"store_id\": \"s\", \"items\": []}",
      "bonus_to_spend" },
    { "{\"id\": \"u\", \"bonus_to_spend\": 100.5, \"store_id\": \"s\", \"items\": []}",
      "bonus_to_spend" },
    { "{\"id\": \"u\", \"bonus_to_spend\": true, \"store_id\": \"s\", \"items\": []}",
      "bonus_to_spend" },
    { "{\"id\": \"u\", \"created_at\": \"yesterday\", \"store_id\": \"s\", \"items\": []}",
      "created_at" },
    { "{\"id\": \"u\", \"created_at\": 1767225600, \"store_id\": \"s\", \"items\": []}",
      "created_at" },
    { "{\"id\": \"u\", \"store_id\": 3, \"items\": []}", "store_id" },
    { "{\"id\": \"u\", \"store_id\": \"s\"}", "items" },
    { "{\"id\": \"u\", \"store_id\": \"s\", \"items\": {}}", "items" },
    { "{\"id\": \"u\", \"store_id\": \"s\", \"items\": [5]}", "items[0]" },
    { "{\"id\": \"u\", \"store_id\": \"s\", \"items\": [{\"sku\": 1, \"unit_price\": 1, "
      "\"quantity\": 1}]}",
      "items[0].sku" },
    { "{\"id\": \"u\", \"store_id\": \"s\", \"items\": [{\"unit_price\": \"129900\", \"quantity\": "
      "1}]}",
      "items[0].unit_price" },
    { "{\"id\": \"u\", \"store_id\": \"s\", \"items\": [{\"unit_price\": 1299.0, \"quantity\": "
      "1}]}",
      "items[0].unit_price" },
    { "{\"id\": \"u\", \"store_id\": \"s\", \"items\": [{\"unit_price\": 1, \"quantity\": 1.5}]}",
      "items[0].quantity" },
    { "{\"id\": \"u\", \"store_id\": \"s\", \"items\": [{\"unit_price\": 1}]}",
      "items[0].quantity" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) node = sk_json_parse (bad[i].json, -1, &error);
      g_autoptr (SkPurchaseRequest) request = NULL;

      g_assert_no_error (error);
      request = sk_purchase_request_from_json (json_node_get_object (node), &error);
      g_assert_null (request);
      g_assert_error (error, SK_ERROR, SK_ERROR_MALFORMED);
      g_assert_cmpstr (sk_error_get_field (error), ==, bad[i].field);
    }

  /* The SPEC 5 shape, read exactly. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonNode) node = sk_json_parse (
        "{\"id\": \"0b7e3a52-2f0c-4f3e-9b8a-3c1f2d4e5a6b\", \"customer_id\": null,"
        " \"store_id\": \"st\", \"bonus_to_spend\": 10000, \"created_at\": "
        "\"2030-01-01T10:00:00Z\","
        " \"items\": [{\"sku\": \"LEGO-1\", \"name\": \"Лего\", \"category\": \"toys\","
        " \"unit_price\": 129900, \"quantity\": 2}, {\"unit_price\": 0, \"quantity\": 1}]}",
        -1, &error);
    g_autoptr (SkPurchaseRequest) request = NULL;
    const SkCartLine *line;

    g_assert_no_error (error);
    request = sk_purchase_request_from_json (json_node_get_object (node), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (request->id, ==, "0b7e3a52-2f0c-4f3e-9b8a-3c1f2d4e5a6b");
    g_assert_null (request->customer_id);
    g_assert_cmpint (request->bonus_to_spend, ==, 10000);
    g_assert_cmpint (request->created_at, ==, NOW + 10 * HOUR);
    g_assert_cmpstr (request->cart->store_id, ==, "st");
    g_assert_cmpuint (request->cart->lines->len, ==, 2);
    line = &g_array_index (request->cart->lines, SkCartLine, 0);
    g_assert_cmpstr (line->sku, ==, "LEGO-1");
    g_assert_cmpstr (line->name, ==, "Лего");
    g_assert_cmpstr (line->category, ==, "toys");
    g_assert_cmpint (line->unit_price, ==, 129900);
    g_assert_cmpint (line->quantity, ==, 2);
    line = &g_array_index (request->cart->lines, SkCartLine, 1);
    g_assert_null (line->sku);
    g_assert_cmpint (line->unit_price, ==, 0);
  }
}

/* Refunds */

typedef struct
{
  SkDiscountRule *rule;
  SkCampaign     *campaign;
  char           *purchase_id;
} RefundSetup;

/* Anna has 50 ₽ of bonuses and buys, paying 30 ₽ of it with bonuses:
 *   line 1: 3 × 333,33 ₽ = 999,99 ₽, line 2: 7 × 10,01 ₽ = 70,07 ₽;
 *   7 % off everything = 74,90 ₽, split 70,00 ₽ / 4,90 ₽ (largest remainder);
 *   payable 995,16 ₽; earned floor ((99 516 − 3 000) × 1 %) = 9,65 ₽. */
static void
refund_setup (Fixture *f, RefundSetup *s)
{
  /* Refunds happen now: so does this sale, for the ledger's order. */
  g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 3000, 0);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (SkPurchaseLine) line0 = NULL;
  g_autoptr (SkPurchaseLine) line1 = NULL;

  s->campaign = save_campaign (f, "active", 1000000);
  s->rule = save_rule (f, "−7 %", SK_RULE_PERCENTAGE, 700, NULL, s->campaign->id);
  give_bonus (f, f->anna->id, 5000);
  sk_cart_add_line (request->cart, "DOLL", "Кукла", "toys", 33333, 3);
  sk_cart_add_line (request->cart, "BOOK", "Книжка", "books", 1001, 7);
  result = process_ok (f, request);
  g_assert_cmpint (result->purchase->subtotal, ==, 107006);
  g_assert_cmpint (result->purchase->discount_total, ==, 7490);
  g_assert_cmpint (result->purchase->bonus_spent, ==, 3000);
  g_assert_cmpint (result->purchase->bonus_earned, ==, 965);
  g_assert_cmpint (result->purchase->total_paid, ==, 96516);
  line0 = purchase_line (result->purchase, 0);
  line1 = purchase_line (result->purchase, 1);
  g_assert_cmpint (line0->discount, ==, 7000);
  g_assert_cmpint (line0->total, ==, 92999);
  g_assert_cmpint (line1->discount, ==, 490);
  g_assert_cmpint (line1->total, ==, 6517);
  g_assert_cmpint (campaign_spent (f, s->campaign->id), ==, 7490);
  g_assert_cmpint (rule_uses (f, s->rule->id), ==, 1);
  g_assert_cmpint (checked_balance (f, f->anna->id), ==, 5000 - 3000 + 965);
  s->purchase_id = g_strdup (request->id);
}

static void
refund_clear (RefundSetup *s)
{
  g_clear_object (&s->rule);
  g_clear_object (&s->campaign);
  g_clear_pointer (&s->purchase_id, g_free);
}

static GArray *
refund_lines (gint64 line_no, gint64 quantity, ...)
{
  GArray *lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
  va_list args;

  va_start (args, quantity);
  while (line_no > 0)
    {
      SkRefundLine line = { line_no, quantity };

      g_array_append_val (lines, line);
      line_no = va_arg (args, gint64);
      if (line_no > 0)
        quantity = va_arg (args, gint64);
    }
  va_end (args);
  return lines;
}

static void
test_refund_whole (Fixture *f, gconstpointer data)
{
  RefundSetup s = { 0 };
  g_autoptr (SkPurchase) refunded = NULL;
  g_autoptr (SkPurchase) again = NULL;
  g_autoptr (SkCustomer) anna = NULL;
  g_autoptr (GPtrArray) ledger = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *refund_id = g_uuid_string_random ();
  g_autofree char *before = NULL;
  gint64           outbox;

  refund_setup (f, &s);
  outbox = sk_database_count_outbox (f->db, NULL);
  /* The sale's message of bonuses earned: by e-mail, sent already; by
   * SMS, still waiting. */
  g_assert_cmpint (sk_test_query_int (f->db,
                                      "SELECT count(*) FROM notifications WHERE event ="
                                      " 'bonus_earned' AND status = 'pending' AND dedup_key LIKE"
                                      " 'bonus_earned:' || ? || ':%'",
                                      s.purchase_id),
                   ==, 2);
  sk_test_exec_sql (f->db, "UPDATE notifications SET status = 'sent' WHERE channel = 'email'");
  refunded = sk_database_refund_purchase (f->db, refund_id, s.purchase_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (refunded->status, ==, "refunded");
  /* The bonuses went back with it: the SMS saying they were earned is not
   * sent; the e-mail that was is kept. */
  g_assert_cmpint (
      sk_test_query_int (f->db,
                         "SELECT count(*) FROM notifications WHERE event ="
                         " 'bonus_earned' AND dedup_key LIKE 'bonus_earned:' || ? || ':%'",
                         s.purchase_id),
      ==, 1);
  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT count(*) FROM notifications WHERE channel = 'sms'", NULL),
      ==, 0);
  g_assert_cmpint (refunded->refunded_total, ==, 99516);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (SkPurchaseLine) line = purchase_line (refunded, i);
      g_assert_cmpint (line->refunded_quantity, ==, line->quantity);
    }

  /* Spent bonuses come back, earned ones go: the balance is as before. */
  ledger = ledger_oldest_first (f, f->anna->id);
  g_assert_cmpuint (ledger->len, ==, 5);
  assert_tx (ledger, 3, "reverse", 3000, 5965, s.purchase_id);
  assert_tx (ledger, 4, "reverse", -965, 5000, s.purchase_id);
  g_assert_cmpint (checked_balance (f, f->anna->id), ==, 5000);

  /* Usage, campaign budget, statistics and segment are undone. */
  g_assert_cmpint (rule_uses (f, s.rule->id), ==, 0);
  g_assert_cmpint (customer_rule_uses (f, s.rule->id, f->anna->id), ==, 0);
  g_assert_cmpint (campaign_spent (f, s.campaign->id), ==, 0);
  anna = get_customer (f, f->anna->id);
  g_assert_cmpint (anna->total_spent, ==, 0);
  g_assert_cmpint (anna->visits, ==, 0);
  g_assert_cmpstr (anna->segment, ==, "new");
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM refunds WHERE purchase_id = ?",
                                      s.purchase_id),
                   ==, 1);
  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT amount FROM refunds WHERE purchase_id = ?", s.purchase_id),
      ==, 99516);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 1);
  g_assert_cmpint (sk_test_query_int (f->db,
                                      "SELECT count(*) FROM sync_outbox WHERE entity = 'refund'"
                                      " AND entity_id = ?",
                                      refund_id),
                   ==, 1);

  /* Replaying the refund changes nothing and answers the purchase. */
  before = dump_database (f->db);
  again = sk_database_refund_purchase (f->db, refund_id, s.purchase_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->status, ==, "refunded");
  g_assert_cmpint (again->refunded_total, ==, 99516);
  assert_unchanged (f, before);

  /* A new refund of a purchase already returned is refused. */
  {
    g_autofree char *other_id = g_uuid_string_random ();

    assert_refund_refused (f, other_id, s.purchase_id, SK_ERROR_INVALID);
    assert_unchanged (f, before);
  }

  /* The same refund id for another purchase is a conflict. */
  {
    g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 0, NOW + HOUR);
    g_autoptr (SkPurchaseResult) result = NULL;

    sk_cart_add_line (request->cart, "DOLL", "Кукла", "toys", 33333, 1);
    result = process_ok (f, request);
    g_free (before);
    before = dump_database (f->db);
    assert_refund_refused (f, refund_id, request->id, SK_ERROR_CONFLICT);
    assert_unchanged (f, before);
  }

  /* Refunds of what does not exist, or with a malformed id. */
  {
    g_autofree char *other_id = g_uuid_string_random ();

    assert_refund_refused (f, other_id, "00000000-0000-4000-8000-000000000000", SK_ERROR_NOT_FOUND);
    assert_refund_refused (f, "refund-1", s.purchase_id, SK_ERROR_INVALID);
    assert_unchanged (f, before);
  }
  refund_clear (&s);
}

static void
test_refund_partial (Fixture *f, gconstpointer data)
{
  /* Returned per step: money, earned bonuses taken back, spent bonuses
   * given back, the campaign's discount given back (see refund_setup). */
  struct
  {
    gint64      amount, reversed, returned, discount;
    const char *status;
  } expected[] = {
    { 30999, 300, 934, 2333, "partially_refunded" },  /* line 1: 1 of 3 */
    { 33793, 328, 1019, 2543, "partially_refunded" }, /* line 1: 1 more, line 2: 3 of 7 */
    { 34724, 337, 1047, 2614, "refunded" },           /* the rest */
  };
  RefundSetup s = { 0 };
  g_autoptr (GError) error = NULL;
  gint64 refunded_total = 0, balance, campaign, total_spent = 99516;
  gint64 sum_amount = 0, sum_reversed = 0, sum_returned = 0;

  refund_setup (f, &s);
  balance = checked_balance (f, f->anna->id);
  campaign = campaign_spent (f, s.campaign->id);

  for (guint step = 0; step < G_N_ELEMENTS (expected); step++)
    {
      g_autoptr (GArray) lines = NULL;
      g_autoptr (SkPurchase) p = NULL;
      g_autoptr (SkCustomer) anna = NULL;
      g_autoptr (GPtrArray) ledger = NULL;
      g_autofree char *refund_id = g_uuid_string_random ();

      if (step == 0)
        lines = refund_lines (1, 1, (gint64)0);
      else if (step == 1)
        lines = refund_lines (2, 3, (gint64)1, (gint64)1, (gint64)0);

      /* What the till shows before it refunds is what the refund records. */
      {
        g_autoptr (SkPurchase) before = sk_database_get_purchase (f->db, s.purchase_id, &error);
        gint64          quantities[2] = { 0, 0 };
        SkRefundFigures figures;

        g_assert_no_error (error);
        for (guint i = 0; lines == NULL && i < 2; i++)
          {
            g_autoptr (SkPurchaseLine) line = purchase_line (before, i);

            quantities[i] = sk_refund_line_left (line); /* the rest */
          }
        for (guint k = 0; lines != NULL && k < lines->len; k++)
          quantities[g_array_index (lines, SkRefundLine, k).line_no - 1]
              = g_array_index (lines, SkRefundLine, k).quantity;
        g_assert_true (sk_refund_figures (before, quantities, &figures));
        g_assert_cmpint (figures.amount, ==, expected[step].amount);
        g_assert_cmpint (figures.bonus_reversed, ==, expected[step].reversed);
        g_assert_cmpint (figures.bonus_returned, ==, expected[step].returned);
        g_assert_cmpint (figures.money_back, ==, expected[step].amount - expected[step].returned);
        g_assert_cmpint (figures.discount_after - figures.discount_before, ==,
                         expected[step].discount);
        g_assert_cmpint (figures.complete, ==, g_str_equal (expected[step].status, "refunded"));
        /* The slip says the same, in lines a receipt printer prints. */
        {
          g_autofree char *slip
              = sk_receipt_format_refund (before, quantities, &figures, f->store, NOW);
          g_autofree char *money = sk_money_format (figures.money_back);
          g_autofree char *paid_back = g_strdup_printf ("Paid back: %s\n", money);
          g_autofree char *number = g_strdup_printf ("Return to receipt %.8s\n", s.purchase_id);
          g_auto (GStrv) slip_lines = g_strsplit (slip, "\n", -1);

          g_test_message ("%s", slip);
          g_assert_true (g_str_has_prefix (slip, f->store->name));
          g_assert_nonnull (strstr (slip, number));
          g_assert_nonnull (strstr (slip, paid_back));
          g_assert_nonnull (strstr (slip, "Кукла"));
          /* A line with nothing returned is not on the slip. */
          g_assert_cmpint (strstr (slip, "Книжка") != NULL, ==, quantities[1] > 0);
          for (guint i = 0; slip_lines[i] != NULL; i++)
            g_assert_cmpint (g_utf8_strlen (slip_lines[i], -1), <=, SK_RECEIPT_WIDTH);
        }
        /* More than is left counts as what is left; nothing returns nothing. */
        quantities[0] += 100;
        g_assert_true (sk_refund_figures (before, quantities, &figures));
        quantities[0] = quantities[1] = 0;
        g_assert_false (sk_refund_figures (before, quantities, &figures));
        g_assert_cmpint (figures.amount, ==, 0);
      }
      p = sk_database_refund_purchase (f->db, refund_id, s.purchase_id, lines, &error);
      g_assert_no_error (error);

      refunded_total += expected[step].amount;
      total_spent -= expected[step].amount;
      balance += expected[step].returned - expected[step].reversed;
      campaign -= expected[step].discount;
      sum_amount += expected[step].amount;
      sum_reversed += expected[step].reversed;
      sum_returned += expected[step].returned;

      g_assert_cmpstr (p->status, ==, expected[step].status);
      g_assert_cmpint (p->refunded_total, ==, refunded_total);
      g_assert_cmpint (
          sk_test_query_int (f->db, "SELECT amount FROM refunds WHERE id = ?", refund_id), ==,
          expected[step].amount);
      g_assert_cmpint (
          sk_test_query_int (f->db, "SELECT bonus_reversed FROM refunds WHERE id = ?", refund_id),
          ==, expected[step].reversed);
      g_assert_cmpint (
          sk_test_query_int (f->db, "SELECT bonus_returned FROM refunds WHERE id = ?", refund_id),
          ==, expected[step].returned);
      g_assert_cmpint (checked_balance (f, f->anna->id), ==, balance);
      g_assert_cmpint (campaign_spent (f, s.campaign->id), ==, campaign);
      ledger = ledger_oldest_first (f, f->anna->id);
      g_assert_cmpuint (ledger->len, ==, 3 + 2 * (step + 1));
      assert_tx (ledger, ledger->len - 2, "reverse", expected[step].returned,
                 balance + expected[step].reversed, s.purchase_id);
      assert_tx (ledger, ledger->len - 1, "reverse", -expected[step].reversed, balance,
                 s.purchase_id);

      anna = get_customer (f, f->anna->id);
      g_assert_cmpint (anna->total_spent, ==, total_spent);
      /* A use and a visit count until the whole purchase is returned. */
      g_assert_cmpint (anna->visits, ==, step < 2 ? 1 : 0);
      g_assert_cmpint (rule_uses (f, s.rule->id), ==, step < 2 ? 1 : 0);
      g_assert_cmpint (customer_rule_uses (f, s.rule->id, f->anna->id), ==, step < 2 ? 1 : 0);
      /* The message of bonuses earned waits until none of them is left. */
      g_assert_cmpint (sk_test_query_int (f->db,
                                          "SELECT count(*) FROM notifications"
                                          " WHERE event = 'bonus_earned' AND status = 'pending'",
                                          NULL),
                       ==, step < 2 ? 2 : 0);
    }

  /* The parts add up to the whole exactly. */
  g_assert_cmpint (sum_amount, ==, 99516);
  g_assert_cmpint (sum_reversed, ==, 965);
  g_assert_cmpint (sum_returned, ==, 3000);
  g_assert_cmpint (campaign, ==, 0);
  g_assert_cmpint (balance, ==, 5000);
  g_assert_cmpint (total_spent, ==, 0);
  refund_clear (&s);
}

/* A till finds a sale to take back by the receipt number it printed. */
static void
test_find_sales (Fixture *f, gconstpointer data)
{
  RefundSetup s = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) other = sk_test_store_new ("MSK-1", "Москва");
  g_autofree char *number = NULL;
  g_autofree char *typed = NULL;
  g_autofree char *printed = NULL;
  struct
  {
    const char *store_id;
    const char *receipt;
    guint       found;
  } cases[] = {
    { NULL, NULL, 1 }, /* every sale */
    { NULL, "", 1 },   /* the same */
    { "", NULL, 0 },   /* set below: this store */
    { NULL, NULL, 1 }, /* set below: the receipt number */
    { NULL, NULL, 1 }, /* set below: as typed, upper case and spaces */
    { NULL, "zz", 0 }, /* no sale's */
    { NULL, "%", 0 },  /* not a pattern */
    { NULL, NULL, 0 }, /* set below: another store's */
    { NULL, NULL, 1 }, /* set below: with the word the receipt prints before it */
  };

  refund_setup (f, &s);
  g_assert_true (sk_database_save_store (f->db, other, &error));
  g_assert_no_error (error);
  number = g_strndup (s.purchase_id, 8);
  typed = g_strdup_printf ("  %s ", number);
  for (char *c = typed; *c != '\0'; c++)
    *c = g_ascii_toupper (*c);
  cases[2].store_id = f->store->id;
  cases[2].found = 1;
  cases[3].receipt = number;
  cases[4].receipt = typed;
  cases[7].store_id = other->id;
  cases[7].receipt = number;
  printed = g_strdup_printf ("Чек %s", number);
  cases[8].receipt = printed;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) sales
          = sk_database_find_sales (f->db, cases[i].store_id, cases[i].receipt, 50, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (sales->len, ==, cases[i].found);
      if (sales->len > 0)
        {
          SkPurchase *p = g_ptr_array_index (sales, 0);

          g_assert_cmpstr (p->id, ==, s.purchase_id);
          /* With its lines, for the return to choose from. */
          g_assert_cmpuint (g_list_model_get_n_items (sk_purchase_get_lines (p)), ==, 2);
        }
    }
  refund_clear (&s);
}

static void
test_refund_invalid (Fixture *f, gconstpointer data)
{
  RefundSetup      s = { 0 };
  g_autofree char *before = NULL;
  struct
  {
    gint64 line_no, quantity, line_no2, quantity2;
  } bad[] = {
    { 1, 4, 0, 0 }, /* more than bought */
    { 2, 8, 0, 0 },
    { 1, 1, 1, 1 }, /* twice, together more than is left */
    { 1, 0, 0, 0 },
    { 1, -1, 0, 0 },
    { 3, 1, 0, 0 }, /* no such line */
    { -1, 1, 0, 0 },
    { 1, 1, 1, G_MAXINT64 }, /* an overflowing sum */
    { 1, G_MAXINT64, 1, G_MAXINT64 },
  };

  refund_setup (f, &s);
  {
    g_autoptr (GArray) lines = refund_lines (1, 2, (gint64)0);
    g_autoptr (SkPurchase) p = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *refund_id = g_uuid_string_random ();

    p = sk_database_refund_purchase (f->db, refund_id, s.purchase_id, lines, &error);
    g_assert_no_error (error);
  }
  before = dump_database (f->db);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GArray) lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
      g_autoptr (SkPurchase) p = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *refund_id = g_uuid_string_random ();
      SkRefundLine     a = { bad[i].line_no, bad[i].quantity };
      SkRefundLine     b = { bad[i].line_no2, bad[i].quantity2 };

      g_array_append_val (lines, a);
      if (b.line_no != 0)
        g_array_append_val (lines, b);
      g_test_message ("case %u", i);
      p = sk_database_refund_purchase (f->db, refund_id, s.purchase_id, lines, &error);
      g_assert_null (p);
      g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
      g_assert_nonnull (sk_error_get_field (error));
      g_assert_true (g_str_has_prefix (sk_error_get_field (error), "lines["));
      assert_unchanged (f, before);
    }

  /* What is left can still be returned: 1 doll and 7 books. */
  {
    g_autoptr (GArray) lines = refund_lines (1, 1, (gint64)2, (gint64)7, (gint64)0);
    g_autoptr (SkPurchase) p = NULL;
    g_autoptr (GError) error = NULL;
    g_autofree char *refund_id = g_uuid_string_random ();

    p = sk_database_refund_purchase (f->db, refund_id, s.purchase_id, lines, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (p->status, ==, "refunded");
    g_assert_cmpint (p->refunded_total, ==, 99516);
    g_assert_cmpint (checked_balance (f, f->anna->id), ==, 5000);
  }
  refund_clear (&s);
}

/* A return gives back what each rule gave the lines returned, to the
 * campaign the rule was in at the sale. Two rules stack: A, −10 % on
 * toys, in campaign K1; B, −5 % on everything, in K2. */
static SkDiscountRule *
save_stacking_rule (Fixture *f, const char *name, gint64 value, const char *category, SkCampaign *k)
{
  SkDiscountRule *rule = sk_test_rule_new (name, SK_RULE_PERCENTAGE, value, category);

  rule->stackable = TRUE;
  sk_test_set_string (&rule->campaign_id, k->id);
  return sk_test_save_rule (f->db, rule);
}

static gint64
application_figure (Fixture *f, const char *column, const char *rule_id)
{
  g_autofree char *sql
      = g_strdup_printf ("SELECT %s FROM discount_applications WHERE rule_id = ?", column);

  return sk_test_query_int (f->db, sql, rule_id);
}

static void
test_refund_per_rule (Fixture *f, gconstpointer data)
{
  g_autoptr (SkCampaign) k1 = save_campaign (f, "active", 0);
  g_autoptr (SkCampaign) k2 = save_campaign (f, "active", 0);
  g_autoptr (SkCampaign) k3 = save_campaign (f, "active", 0);
  g_autoptr (SkDiscountRule) toys = save_stacking_rule (f, "−10 % игрушки", 1000, "toys", k1);
  g_autoptr (SkDiscountRule) all = save_stacking_rule (f, "−5 % всё", 500, NULL, k2);
  g_autoptr (SkPurchaseRequest) request = request_new (f, f->anna->id, 0, 0);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (SkPurchase) books_back = NULL;
  g_autoptr (SkPurchase) doll_back = NULL;
  g_autoptr (GArray) books = refund_lines (2, 2, (gint64)0);
  g_autoptr (GArray) one_doll = refund_lines (1, 1, (gint64)0);
  g_autoptr (SkPurchase) doll_back_one = NULL;
  g_autofree char *one_doll_id = g_uuid_string_random ();
  g_autoptr (GError) error = NULL;
  g_autofree char  *books_id = g_uuid_string_random ();
  g_autofree char  *doll_id = g_uuid_string_random ();
  SkCampaignFigures figures;
  gint64            toys_amount, all_amount, all_on_books;

  sk_cart_add_line (request->cart, "DOLL", "Кукла", "toys", 33333, 3);
  sk_cart_add_line (request->cart, "BOOK", "Книжка", "books", 10000, 2);
  result = process_ok (f, request);
  toys_amount = application_figure (f, "amount", toys->id);
  all_amount = application_figure (f, "amount", all->id);
  g_assert_cmpint (toys_amount, >, 0);
  g_assert_cmpint (toys_amount + all_amount, ==, result->purchase->discount_total);
  g_assert_cmpint (campaign_spent (f, k1->id), ==, toys_amount);
  g_assert_cmpint (campaign_spent (f, k2->id), ==, all_amount);
  {
    g_autoptr (SkPurchaseLine) book_line = purchase_line (result->purchase, 1);

    /* Only B discounted the books. */
    all_on_books = book_line->discount;
    g_assert_cmpint (all_on_books, >, 0);
  }

  /* The books back: B gives back what it gave them; A, nothing. */
  books_back = sk_database_refund_purchase (f->db, books_id, request->id, books, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (books_back->status, ==, "partially_refunded");
  g_assert_cmpint (application_figure (f, "amount_refunded", toys->id), ==, 0);
  g_assert_cmpint (application_figure (f, "amount_refunded", all->id), ==, all_on_books);
  g_assert_cmpint (campaign_spent (f, k1->id), ==, toys_amount);
  g_assert_cmpint (campaign_spent (f, k2->id), ==, all_amount - all_on_books);

  /* One doll of three back: both rules gave the dolls something, and what
   * they give back adds up to the discount returned to the kopeck. */
  doll_back_one = sk_database_refund_purchase (f->db, one_doll_id, request->id, one_doll, &error);
  g_assert_no_error (error);
  g_assert_cmpint (application_figure (f, "amount_refunded", toys->id)
                       + application_figure (f, "amount_refunded", all->id),
                   ==, doll_back_one->discount_refunded);
  g_assert_cmpint (application_figure (f, "amount_refunded", toys->id), >, 0);
  g_assert_cmpint (campaign_spent (f, k1->id), ==,
                   toys_amount - application_figure (f, "amount_refunded", toys->id));

  /* A moves to K3: the sale stays K1's, in its figures and its budget. */
  sk_test_set_string (&toys->campaign_id, k3->id);
  sk_test_save_rule (f->db, toys);
  g_assert_true (sk_analytics_campaign (f->db, k1->id, NULL, &figures, &error));
  g_assert_no_error (error);
  g_assert_cmpint (figures.purchases, ==, 1);
  g_assert_cmpint (figures.discount, ==,
                   toys_amount - application_figure (f, "amount_refunded", toys->id));
  g_assert_true (sk_analytics_campaign (f->db, k3->id, NULL, &figures, &error));
  g_assert_cmpint (figures.purchases, ==, 0);
  g_assert_cmpint (figures.discount, ==, 0);

  /* The rest back: each campaign at the sale gets all of it back. */
  doll_back = sk_database_refund_purchase (f->db, doll_id, request->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (doll_back->status, ==, "refunded");
  g_assert_cmpint (application_figure (f, "amount_refunded", toys->id), ==, toys_amount);
  g_assert_cmpint (application_figure (f, "amount_refunded", all->id), ==, all_amount);
  g_assert_cmpint (campaign_spent (f, k1->id), ==, 0);
  g_assert_cmpint (campaign_spent (f, k2->id), ==, 0);
  g_assert_cmpint (campaign_spent (f, k3->id), ==, 0);
}

/* An anonymous sale is refunded without touching any customer. */
static void
test_refund_anonymous (Fixture *f, gconstpointer data)
{
  g_autoptr (SkDiscountRule) rule = save_rule (f, "−10 %", SK_RULE_PERCENTAGE, 1000, NULL, NULL);
  g_autoptr (SkPurchaseRequest) request = request_new (f, NULL, 0, NOW);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (SkPurchase) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *refund_id = g_uuid_string_random ();
  g_autoptr (SkCustomer) anna = NULL;

  sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", 100000, 2);
  result = process_ok (f, request);
  g_assert_cmpint (rule_uses (f, rule->id), ==, 1);
  p = sk_database_refund_purchase (f->db, refund_id, request->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->status, ==, "refunded");
  g_assert_cmpint (p->refunded_total, ==, 180000);
  g_assert_cmpint (rule_uses (f, rule->id), ==, 0);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM bonus_transactions", NULL), ==,
                   0);
  anna = get_customer (f, f->anna->id);
  g_assert_cmpint (anna->visits, ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define add(path, func) sk_test_shop_add (path, fixture_setup, func)
  add ("/pipeline/purchase/end-to-end", test_purchase);
  add ("/pipeline/purchase/receipt-width", test_receipt_width);
  add ("/pipeline/purchase/anonymous-and-consent", test_anonymous_and_no_consent);
  add ("/pipeline/purchase/segments", test_segments_follow_sales);
  add ("/pipeline/purchase/campaign-budget", test_campaign_budget);
  add ("/pipeline/purchase/money-bounds", test_money_bounds);
  add ("/pipeline/purchase/spend-errors", test_spend_errors);
  add ("/pipeline/purchase/negative-balance", test_negative_balance);
  add ("/pipeline/purchase/fail-points", test_fail_points);
  add ("/pipeline/purchase/commit-failure", test_commit_failure);
  add ("/pipeline/purchase/replay", test_replay);
  add ("/pipeline/purchase/bad-input", test_bad_input);
  g_test_add_func ("/pipeline/request-from-json", test_request_from_json);
  add ("/pipeline/refund/whole", test_refund_whole);
  add ("/pipeline/refund/partial", test_refund_partial);
  add ("/pipeline/refund/find-sales", test_find_sales);
  add ("/pipeline/refund/invalid", test_refund_invalid);
  add ("/pipeline/refund/anonymous", test_refund_anonymous);
  add ("/pipeline/refund/per-rule", test_refund_per_rule);
#undef add

  return g_test_run ();
}
