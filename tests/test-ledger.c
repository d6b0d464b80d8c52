/* test-ledger.c: the bonus ledger (manual changes, append-only, expiry) and segments.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-test-util.h"

/* 2030-01-01 00:00 UTC: dated sales and expiry runs happen after the
 * manual changes the tests make now. */
#define T0  ((gint64)1893456000 * G_USEC_PER_SEC)
#define DAY G_TIME_SPAN_DAY

typedef SkTestShop Fixture;

/* Helpers */

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->db = sk_test_open_database ("skidka-ledger-XXXXXX", &f->dir);
  f->store = sk_test_store_new ("EKB-1", "Детский мир");
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  g_assert_no_error (error);
  f->anna = sk_test_create_customer (f->db, "Иванова Анна", "+79123456789");
}

/* What a failed call must leave alone: the ledger, the balances, the outbox. */
static char *
ledger_state (SkDatabase *db)
{
  return g_strdup_printf (
      "tx=%" G_GINT64_FORMAT " sum=%" G_GINT64_FORMAT " cached=%" G_GINT64_FORMAT
      " outbox=%" G_GINT64_FORMAT " flagged=%" G_GINT64_FORMAT,
      sk_test_query_int (db, "SELECT count(*) FROM bonus_transactions", NULL),
      sk_test_query_int (db, "SELECT coalesce (sum (amount), 0) FROM bonus_transactions", NULL),
      sk_test_query_int (db, "SELECT coalesce (sum (bonus_balance), 0) FROM customers", NULL),
      sk_test_query_int (db, "SELECT count(*) FROM sync_outbox", NULL),
      sk_test_query_int (db, "SELECT coalesce (sum (flagged), 0) FROM customers", NULL));
}

/* The cached balance equals the ledger; returns it. */
static gint64
checked_balance (SkDatabase *db, const char *customer_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_database_get_customer (db, customer_id, &error);
  gint64 sum;

  g_assert_no_error (error);
  sum = sk_database_ledger_sum (db, customer_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (customer->bonus_balance, ==, sum);
  return sum;
}

static SkBonusTransaction *
manual_ok (Fixture *f, const char *customer_id, const char *kind, gint64 amount, const char *reason)
{
  g_autoptr (GError) error = NULL;
  SkBonusTransaction *tx
      = sk_database_bonus_manual (f->db, customer_id, kind, amount, reason, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tx);
  return tx;
}

/* A sale at @when of one line at @price, paying @spend with bonuses. */
static SkPurchaseResult *
sale (Fixture *f, const char *customer_id, gint64 price, gint64 spend, gint64 when, GError **error)
{
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);

  request->id = g_uuid_string_random ();
  request->customer_id = g_strdup (customer_id);
  request->cart = sk_cart_new (f->store->id);
  request->bonus_to_spend = spend;
  request->created_at = when;
  sk_cart_add_line (request->cart, "CAR", "Машинка", "toys", price, 1);
  return sk_database_process_purchase (f->db, request, error);
}

static void
set_bonus_rate (Fixture *f, gint64 rate)
{
  g_autoptr (GError) error = NULL;

  f->store->bonus_rate = rate;
  g_assert_true (sk_database_save_store (f->db, f->store, &error));
  g_assert_no_error (error);
}

/* Manual changes */

static void
test_manual (Fixture *f, gconstpointer data)
{
  g_autoptr (SkBonusTransaction) earn = NULL;
  g_autoptr (SkBonusTransaction) spend = NULL;
  g_autoptr (SkBonusTransaction) down = NULL;
  g_autoptr (SkBonusTransaction) up = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_real_time ();
  gint64 outbox = sk_database_count_outbox (f->db, NULL);

  earn = sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_EARN, 100000,
                                   "Подарок ко дню рождения", f->store->id, &error);
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (earn->id));
  g_assert_cmpstr (earn->customer_id, ==, f->anna->id);
  g_assert_cmpstr (earn->kind, ==, "earn");
  g_assert_cmpint (earn->amount, ==, 100000);
  g_assert_cmpint (earn->balance_after, ==, 100000);
  g_assert_cmpstr (earn->reason, ==, "Подарок ко дню рождения");
  g_assert_cmpstr (earn->store_id, ==, f->store->id);
  g_assert_null (earn->purchase_id);
  g_assert_cmpint (earn->created_at, >=, start);
  g_assert_cmpint (earn->expires_at, ==, 0); /* expiry is off by default */
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 100000);

  spend = manual_ok (f, f->anna->id, SK_BONUS_SPEND, 30000, "Оплата подарочной упаковки");
  g_assert_cmpint (spend->amount, ==, -30000);
  g_assert_cmpint (spend->balance_after, ==, 70000);
  g_assert_null (spend->store_id);
  down = manual_ok (f, f->anna->id, SK_BONUS_ADJUST, -20000, "Исправление ошибки кассира");
  g_assert_cmpint (down->amount, ==, -20000);
  g_assert_cmpint (down->balance_after, ==, 50000);
  up = manual_ok (f, f->anna->id, SK_BONUS_ADJUST, 555, "Компенсация");
  g_assert_cmpint (up->balance_after, ==, 50555);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 50555);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 4);
  g_assert_cmpint (
      sk_test_query_int (f->db,
                         "SELECT count(*) FROM sync_outbox WHERE entity = 'bonus_transaction'"
                         " AND entity_id = ?",
                         up->id),
      ==, 1);

  /* Newest first, as the customer's card shows them. */
  list = sk_database_list_bonus_transactions (f->db, f->anna->id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 4);
  g_assert_cmpstr (((SkBonusTransaction *)g_ptr_array_index (list, 0))->id, ==, up->id);
  g_assert_cmpstr (((SkBonusTransaction *)g_ptr_array_index (list, 3))->id, ==, earn->id);
  g_assert_cmpstr (((SkBonusTransaction *)g_ptr_array_index (list, 1))->reason, ==,
                   "Исправление ошибки кассира");
}

static void
test_manual_invalid (Fixture *f, gconstpointer data)
{
  struct
  {
    const char *customer, *kind;
    gint64      amount;
    const char *reason, *store;
    SkErrorCode code;
    const char *field;
  } bad[] = {
    { "anna", "earn", 100, NULL, NULL, SK_ERROR_INVALID, "reason" },
    { "anna", "earn", 100, "", NULL, SK_ERROR_INVALID, "reason" },
    { "anna", "spend", 100, " \t ", NULL, SK_ERROR_INVALID, "reason" },
    { "anna", "earn", 0, "Причина", NULL, SK_ERROR_INVALID, "amount" },
    { "anna", "earn", -100, "Причина", NULL, SK_ERROR_INVALID, "amount" },
    { "anna", "spend", -100, "Причина", NULL, SK_ERROR_INVALID, "amount" },
    { "anna", "earn", SK_MONEY_MAX + 1, "Причина", NULL, SK_ERROR_INVALID, "amount" },
    { "anna", "adjust", 0, "Причина", NULL, SK_ERROR_INVALID, "amount" },
    { "anna", "adjust", G_MININT64, "Причина", NULL, SK_ERROR_INVALID, "amount" },
    { "anna", "expire", 100, "Причина", NULL, SK_ERROR_INVALID, "kind" },
    { "anna", "reverse", 100, "Причина", NULL, SK_ERROR_INVALID, "kind" },
    { "anna", "gift", 100, "Причина", NULL, SK_ERROR_INVALID, "kind" },
    { "anna", NULL, 100, "Причина", NULL, SK_ERROR_INVALID, "kind" },
    /* More than the balance (50 ₽). */
    { "anna", "spend", 5001, "Причина", NULL, SK_ERROR_INSUFFICIENT_BONUS, "amount" },
    { "anna", "adjust", -5001, "Причина", NULL, SK_ERROR_INSUFFICIENT_BONUS, "amount" },
    { "00000000-0000-4000-8000-000000000000", "earn", 100, "Причина", NULL, SK_ERROR_NOT_FOUND,
      "customer_id" },
    { NULL, "earn", 100, "Причина", NULL, SK_ERROR_NOT_FOUND, "customer_id" },
    { "anna", "earn", 100, "Причина", "00000000-0000-4000-8000-000000000000", SK_ERROR_INVALID,
      "store_id" },
  };
  g_autoptr (SkBonusTransaction) seed
      = manual_ok (f, f->anna->id, SK_BONUS_EARN, 5000, "Приветственные");
  g_autofree char *before = ledger_state (f->db);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SkBonusTransaction) tx = NULL;
      g_autofree char *after = NULL;
      const char      *customer
          = g_strcmp0 (bad[i].customer, "anna") == 0 ? f->anna->id : bad[i].customer;

      g_test_message ("case %u: %s", i, bad[i].field);
      tx = sk_database_bonus_manual (f->db, customer, bad[i].kind, bad[i].amount, bad[i].reason,
                                     bad[i].store, &error);
      g_assert_null (tx);
      g_assert_error (error, SK_ERROR, bad[i].code);
      g_assert_cmpstr (sk_error_get_field (error), ==, bad[i].field);
      g_assert_cmpuint (strlen (error->message), >, 10);
      after = ledger_state (f->db);
      g_assert_cmpstr (after, ==, before);
    }

  /* Exactly the balance can be spent. */
  {
    g_autoptr (SkBonusTransaction) all = manual_ok (f, f->anna->id, SK_BONUS_SPEND, 5000, "Всё");
    g_assert_cmpint (all->balance_after, ==, 0);
    g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 0);
  }
}

/* Earning the most one movement may be, again and again, stops at
 * SK_BALANCE_MAX with an error that changes nothing (it once wrapped the
 * balance past 2^63 after 9 300 earns of 10^15). */
static void
test_balance_bound (Fixture *f, gconstpointer data)
{
  guint accepted = 0;

  for (guint i = 0; i < 20; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (SkBonusTransaction) tx = NULL;
      g_autofree char *state = ledger_state (f->db);
      g_autofree char *after = NULL;
      gint64           balance = checked_balance (f->db, f->anna->id);

      tx = sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_EARN, SK_MONEY_MAX, "Причина",
                                     NULL, &error);
      if (tx != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpint (tx->balance_after, <=, SK_BALANCE_MAX);
          accepted++;
          continue;
        }
      g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
      g_assert_cmpstr (sk_error_get_field (error), ==, "amount");
      g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, balance);
      after = ledger_state (f->db);
      g_assert_cmpstr (after, ==, state);
    }
  g_assert_cmpuint (accepted, ==, SK_BALANCE_MAX / SK_MONEY_MAX);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, accepted * SK_MONEY_MAX);

  /* One amount above the limit is refused as an amount, as is 10^15. */
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_ADJUST,
                                             (gint64)1000000000000000, "Причина", NULL, &error));
    g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
    g_assert_cmpstr (sk_error_get_field (error), ==, "amount");
  }

  /* A whole balance at the bound goes in one movement. */
  {
    g_autoptr (SkBonusTransaction) all
        = manual_ok (f, f->anna->id, SK_BONUS_SPEND, SK_BALANCE_MAX, "Всё");

    g_assert_cmpint (all->balance_after, ==, 0);
    g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 0);
  }

  /* A balance written beyond the bound before there was one (no ledger
   * rows to match here) may only come back towards zero. */
  sk_test_exec_sql (f->db, "UPDATE customers SET bonus_balance = 9000000000000000000");
  {
    g_autoptr (SkBonusTransaction) back
        = manual_ok (f, f->anna->id, SK_BONUS_SPEND, SK_MONEY_MAX, "Назад");
    g_autoptr (SkBonusTransaction) further = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_cmpint (back->balance_after, ==, 9000000000000000000 - SK_MONEY_MAX);
    further = sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_EARN, SK_MONEY_MAX, "Причина",
                                        NULL, &error);
    g_assert_null (further);
    g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  }
  /* Far below zero, a spend is refused as more than the balance, without
   * computing a sum that overflows. */
  sk_test_exec_sql (f->db, "UPDATE customers SET bonus_balance = -9223372036854775807");
  {
    g_autoptr (GError) error = NULL;

    g_assert_null (sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_SPEND, SK_MONEY_MAX,
                                             "Причина", NULL, &error));
    g_assert_error (error, SK_ERROR, SK_ERROR_INSUFFICIENT_BONUS);
  }
}

static void
test_append_only (Fixture *f, gconstpointer data)
{
  g_autoptr (SkBonusTransaction) tx = manual_ok (f, f->anna->id, SK_BONUS_EARN, 1000, "Бонус");
  sqlite3         *handle = sk_database_get_handle (f->db);
  g_autofree char *before = ledger_state (f->db);
  g_autofree char *after = NULL;
  const char      *attempts[] = {
         "UPDATE bonus_transactions SET amount = 1000000",
         "UPDATE bonus_transactions SET reason = 'tampered' WHERE kind = 'earn'",
         "DELETE FROM bonus_transactions",
         "DELETE FROM bonus_transactions WHERE amount > 0",
         "INSERT OR REPLACE INTO bonus_transactions (id, customer_id, kind, amount, balance_after, "
              "created_at)"
              " SELECT id, customer_id, kind, 5, 5, created_at FROM bonus_transactions",
  };

  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      char *message = NULL;
      int   rc = sqlite3_exec (handle, attempts[i], NULL, NULL, &message);

      g_test_message ("%s: %s", attempts[i], message ? message : "ok");
      g_assert_cmpint (rc, !=, SQLITE_OK);
      sqlite3_free (message);
    }
  {
    char *message = NULL;

    g_assert_cmpint (
        sqlite3_exec (handle, "UPDATE bonus_transactions SET amount = 1", NULL, NULL, &message), ==,
        SQLITE_CONSTRAINT_TRIGGER);
    g_assert_nonnull (strstr (message, "append-only"));
    sqlite3_free (message);
  }
  after = ledger_state (f->db);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT amount FROM bonus_transactions WHERE id = ?", tx->id), ==,
      1000);
}

/* A manual change whose commit fails leaves nothing behind. */
static void
test_manual_commit_failure (Fixture *f, gconstpointer data)
{
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = ledger_state (f->db);
  g_autofree char *after = NULL;

  /* A row with a deferred foreign key to nobody makes COMMIT fail. */
  sk_test_exec_sql (f->db,
                    "CREATE TABLE test_deferred ("
                    "  customer_id TEXT REFERENCES customers (id) DEFERRABLE INITIALLY DEFERRED);"
                    "CREATE TEMP TRIGGER break_commit AFTER INSERT ON main.sync_outbox"
                    "  BEGIN INSERT INTO test_deferred VALUES ('nobody'); END;");
  tx = sk_database_bonus_manual (f->db, f->anna->id, SK_BONUS_EARN, 1000, "Бонус", NULL, &error);
  g_assert_null (tx);
  g_assert_nonnull (error);
  g_clear_error (&error);
  after = ledger_state (f->db);
  g_assert_cmpstr (after, ==, before);

  sk_test_exec_sql (f->db, "DROP TRIGGER temp.break_commit");
  tx = manual_ok (f, f->anna->id, SK_BONUS_EARN, 1000, "Бонус");
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 1000);
}

/* The balance is the ledger's sum after any sequence of operations. */
static void
test_random_operations (Fixture *f, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20260101);
  g_autoptr (GPtrArray) customers = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) purchases = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (SkDiscountRule) rule
      = sk_test_save_rule (f->db, sk_test_rule_new ("−5 %", SK_RULE_PERCENTAGE, 500, NULL));
  g_autoptr (GError) error = NULL;
  gint64 expected[3] = { 0, 0, 0 };
  guint  refused = 0, refunds = 0, sales = 0;

  g_ptr_array_add (customers, g_object_ref (f->anna));
  g_ptr_array_add (customers, sk_test_create_customer (f->db, "Петров Пётр", "+79120000001"));
  g_ptr_array_add (customers, sk_test_create_customer (f->db, "Сидорова Ольга", "+79120000002"));

  for (guint step = 0; step < 400; step++)
    {
      guint       who = g_rand_int_range (rand, 0, customers->len);
      const char *id = ((SkCustomer *)g_ptr_array_index (customers, who))->id;
      gint64      amount = g_rand_int_range (rand, 1, 20000);
      guint       op = g_rand_int_range (rand, 0, 6);

      if (op == 0 || op == 1)
        {
          g_autoptr (SkBonusTransaction) tx = NULL;
          const char *kind = op == 0 ? SK_BONUS_EARN : SK_BONUS_SPEND;

          tx = sk_database_bonus_manual (f->db, id, kind, amount, "Случайная операция", NULL,
                                         &error);
          if (op == 1 && amount > expected[who])
            {
              g_assert_null (tx);
              g_assert_error (error, SK_ERROR, SK_ERROR_INSUFFICIENT_BONUS);
              g_clear_error (&error);
              refused++;
            }
          else
            {
              g_assert_no_error (error);
              expected[who] += op == 0 ? amount : -amount;
              g_assert_cmpint (tx->balance_after, ==, expected[who]);
            }
        }
      else if (op == 2)
        {
          g_autoptr (SkBonusTransaction) tx = NULL;
          gint64 signed_amount = g_rand_boolean (rand) ? amount : -amount;

          tx = sk_database_bonus_manual (f->db, id, SK_BONUS_ADJUST, signed_amount, "Корректировка",
                                         NULL, &error);
          /* Taking away is refused below zero; giving is always fine. */
          if (signed_amount < 0 && expected[who] + signed_amount < 0)
            {
              g_assert_error (error, SK_ERROR, SK_ERROR_INSUFFICIENT_BONUS);
              g_clear_error (&error);
              refused++;
            }
          else
            {
              g_assert_no_error (error);
              expected[who] += signed_amount;
            }
        }
      else if (op == 3 || op == 4)
        {
          gint64 price = g_rand_int_range (rand, 100, 500000);
          gint64 spend = g_rand_int_range (rand, 0, MAX (1, MIN (expected[who], price) + 2000));
          gint64 payable = price - price * 500 / 10000;
          g_autoptr (SkPurchaseResult) result = sale (f, id, price, spend, 0, &error);

          /* A refund may have left the balance below zero: paying in
           * money is still fine then. */
          if (spend > 0 && spend > expected[who])
            {
              g_assert_null (result);
              g_assert_error (error, SK_ERROR, SK_ERROR_INSUFFICIENT_BONUS);
              g_clear_error (&error);
              refused++;
            }
          else if (spend > payable)
            {
              g_assert_null (result);
              g_assert_error (error, SK_ERROR, SK_ERROR_BONUS_CAP_EXCEEDED);
              g_clear_error (&error);
              refused++;
            }
          else
            {
              g_assert_no_error (error);
              g_assert_cmpint (result->purchase->total_paid, ==, payable - spend);
              g_assert_cmpint (result->purchase->bonus_earned, ==, (payable - spend) / 100);
              expected[who] += result->purchase->bonus_earned - spend;
              g_assert_cmpint (result->customer->bonus_balance, ==, expected[who]);
              g_ptr_array_add (purchases, g_strdup_printf ("%u %s", who, result->purchase->id));
              sales++;
            }
        }
      else if (purchases->len > 0)
        {
          guint            pick = g_rand_int_range (rand, 0, purchases->len);
          const char      *entry = g_ptr_array_index (purchases, pick);
          guint            owner = (guint)g_ascii_strtoull (entry, NULL, 10);
          const char      *purchase_id = strchr (entry, ' ') + 1;
          g_autofree char *refund_id = g_uuid_string_random ();
          g_autoptr (SkPurchase) p = NULL;

          p = sk_database_refund_purchase (f->db, refund_id, purchase_id, NULL, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (p->status, ==, "refunded");
          expected[owner] += sk_test_query_int (
              f->db, "SELECT bonus_returned - bonus_reversed FROM refunds WHERE id = ?", refund_id);
          g_ptr_array_remove_index (purchases, pick);
          refunds++;
        }

      for (guint c = 0; c < customers->len; c++)
        g_assert_cmpint (
            checked_balance (f->db, ((SkCustomer *)g_ptr_array_index (customers, c))->id), ==,
            expected[c]);
    }
  g_test_message ("%u sales, %u refunds, %u refused", sales, refunds, refused);
  g_assert_cmpuint (sales, >, 50);
  g_assert_cmpuint (refunds, >, 20);
  g_assert_cmpuint (refused, >, 10);
  /* Every balance_after is the running sum of the customer's ledger. */
  g_assert_cmpint (
      sk_test_query_int (f->db,
                         "SELECT count(*) FROM bonus_transactions AS t WHERE balance_after <>"
                         " (SELECT sum (amount) FROM bonus_transactions AS u"
                         "  WHERE u.customer_id = t.customer_id AND u.rowid <= t.rowid)",
                         NULL),
      ==, 0);
}

/* Expiry */

static gint64
expire_ok (Fixture *f, gint64 now)
{
  g_autoptr (GError) error = NULL;
  gint64 expired = sk_database_expire_bonuses (f->db, now, &error);

  g_assert_no_error (error);
  return expired;
}

static void
test_expiry (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) ledger = NULL;
  SkBonusTransaction *expire_tx;
  gint64              outbox;

  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "30", &error));
  g_assert_no_error (error);

  /* Earn 100 at day 0 and 50 at day 20 (1 % of 100 ₽ and 50 ₽), then pay
   * 30 with bonuses at day 25 (in a store that gives nothing back). */
  {
    g_autoptr (SkPurchaseResult) r1 = sale (f, f->anna->id, 10000, 0, T0, &error);
    g_autoptr (SkPurchaseResult) r2 = sale (f, f->anna->id, 5000, 0, T0 + 20 * DAY, &error);
    g_autoptr (SkPurchaseResult) r3 = NULL;

    g_assert_no_error (error);
    g_assert_cmpint (r1->purchase->bonus_earned, ==, 100);
    g_assert_cmpint (r2->purchase->bonus_earned, ==, 50);
    set_bonus_rate (f, 0);
    r3 = sale (f, f->anna->id, 3000, 30, T0 + 25 * DAY, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r3->purchase->bonus_earned, ==, 0);
  }
  g_assert_cmpint (sk_test_query_int (
                       f->db, "SELECT expires_at FROM bonus_transactions WHERE amount = 100", NULL),
                   ==, T0 + 30 * DAY);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 120);

  /* Nothing is due before day 30. */
  g_assert_cmpint (expire_ok (f, T0 + 29 * DAY), ==, 0);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 120);

  /* Day 31: the 100 of day 0 expire, less the 30 spent from them. */
  outbox = sk_database_count_outbox (f->db, NULL);
  g_assert_cmpint (expire_ok (f, T0 + 31 * DAY), ==, 70);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 50);
  g_assert_cmpint (sk_database_count_outbox (f->db, NULL), ==, outbox + 1);
  ledger = sk_database_list_bonus_transactions (f->db, f->anna->id, &error);
  g_assert_no_error (error);
  expire_tx = g_ptr_array_index (ledger, 0);
  g_assert_cmpstr (expire_tx->kind, ==, "expire");
  g_assert_cmpint (expire_tx->amount, ==, -70);
  g_assert_cmpint (expire_tx->balance_after, ==, 50);
  g_assert_cmpint (expire_tx->created_at, ==, T0 + 31 * DAY);
  g_assert_nonnull (expire_tx->reason);

  /* Running it again the same day changes nothing. */
  g_assert_cmpint (expire_ok (f, T0 + 31 * DAY), ==, 0);
  g_assert_cmpint (expire_ok (f, T0 + 45 * DAY), ==, 0);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 50);

  /* Day 51: the 50 of day 20 go too. */
  g_assert_cmpint (expire_ok (f, T0 + 51 * DAY), ==, 50);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 0);
  g_assert_cmpint (expire_ok (f, T0 + 100 * DAY), ==, 0);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 0);
  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT count(*) FROM bonus_transactions WHERE kind = 'expire'",
                         NULL),
      ==, 2);
}

static void
test_expiry_never_below_zero (Fixture *f, gconstpointer data)
{
  g_autoptr (SkCustomer) petr = sk_test_create_customer (f->db, "Петров Пётр", "+79120000001");
  g_autoptr (SkCustomer) olga = sk_test_create_customer (f->db, "Сидорова Ольга", "+79120000002");
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "30", &error));

  /* Anna spends everything she earned before it expires. */
  {
    g_autoptr (SkPurchaseResult) r1 = sale (f, f->anna->id, 10000, 0, T0, &error);
    g_autoptr (SkPurchaseResult) r2 = sale (f, f->anna->id, 10000, 100, T0 + 10 * DAY, &error);

    g_assert_no_error (error);
    g_assert_cmpint (r2->purchase->bonus_earned, ==, 99);
  }
  /* Petr earns, and his earn is taken back by a refund. */
  {
    g_autoptr (SkPurchaseResult) r = sale (f, petr->id, 50000, 0, T0, &error);
    g_autofree char *refund_id = g_uuid_string_random ();
    g_autoptr (SkPurchase) p = NULL;

    g_assert_no_error (error);
    p = sk_database_refund_purchase (f->db, refund_id, r->purchase->id, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (checked_balance (f->db, petr->id), ==, 0);
  }
  /* Olga's earned bonuses were taken back by a manual adjustment. */
  {
    g_autoptr (SkPurchaseResult) r = sale (f, olga->id, 20000, 0, T0, &error);
    g_autoptr (SkBonusTransaction) tx = NULL;

    g_assert_no_error (error);
    tx = manual_ok (f, olga->id, SK_BONUS_ADJUST, -150, "Ошибка начисления");
    g_assert_cmpint (checked_balance (f->db, olga->id), ==, 50);
  }

  /* Day 31: Anna spent her 100 and Petr's were taken back; what is left of
   * Olga's 200 after the adjustment, 50, expires. */
  g_assert_cmpint (expire_ok (f, T0 + 31 * DAY), ==, 50);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 99);
  g_assert_cmpint (checked_balance (f->db, petr->id), ==, 0);
  g_assert_cmpint (checked_balance (f->db, olga->id), ==, 0);
  /* Day 41: Anna's 99 of day 10 expire. */
  g_assert_cmpint (expire_ok (f, T0 + 41 * DAY), ==, 99);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 0);
  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT count(*) FROM customers WHERE bonus_balance < 0", NULL), ==,
      0);
}

/* Oldest spent first also when some credits never expire. */
static void
test_expiry_oldest_first (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkBonusTransaction) gift = NULL;

  /* A credit that does not expire, made before expiry was switched on. */
  gift = manual_ok (f, f->anna->id, SK_BONUS_ADJUST, 100, "Компенсация");
  g_assert_cmpint (gift->expires_at, ==, 0);
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "30", &error));

  /* Day 0: earn 50; day 1: pay 100 with bonuses. The payment takes the
   * older 100 first, so the 50 are still there to expire at day 30. */
  {
    g_autoptr (SkPurchaseResult) r1 = sale (f, f->anna->id, 5000, 0, T0, &error);
    g_autoptr (SkPurchaseResult) r2 = NULL;

    g_assert_no_error (error);
    set_bonus_rate (f, 0);
    r2 = sale (f, f->anna->id, 10000, 100, T0 + DAY, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 50);
  g_assert_cmpint (expire_ok (f, T0 + 31 * DAY), ==, 50);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 0);
}

/* A refund takes back the bonuses of its own sale, not the oldest ones. */
static void
test_expiry_refund (Fixture *f, gconstpointer data)
{
  gint64 now = g_get_real_time ();
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchaseResult) a = NULL;
  g_autoptr (SkPurchaseResult) b = NULL;
  g_autoptr (SkPurchase) refunded = NULL;
  g_autofree char *refund_id = g_uuid_string_random ();

  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "30", &error));
  /* 100 earned 40 days ago (expired 10 days ago), 50 earned 20 days ago. */
  a = sale (f, f->anna->id, 10000, 0, now - 40 * DAY, &error);
  g_assert_no_error (error);
  b = sale (f, f->anna->id, 5000, 0, now - 20 * DAY, &error);
  g_assert_no_error (error);
  /* The second sale is returned today: its 50 go back. */
  refunded = sk_database_refund_purchase (f->db, refund_id, b->purchase->id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 100);
  /* What is left is the first sale's 100, past its date. */
  g_assert_cmpint (expire_ok (f, now + 1), ==, 100);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 0);
}

static void
test_expiry_off (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchaseResult) r = sale (f, f->anna->id, 10000, 0, T0, &error);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_no_error (error);
  /* Off by default: earned bonuses carry no date and never expire. */
  g_assert_cmpint (
      sk_test_query_int (
          f->db, "SELECT count(*) FROM bonus_transactions WHERE expires_at IS NOT NULL", NULL),
      ==, 0);
  before = ledger_state (f->db);
  g_assert_cmpint (expire_ok (f, T0 + 1000 * DAY), ==, 0);

  /* Switched on later, then off again ("0"): still nothing. */
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "30", &error));
  {
    g_autoptr (SkPurchaseResult) r2 = sale (f, f->anna->id, 10000, 0, T0 + DAY, &error);
    g_assert_no_error (error);
  }
  g_free (before);
  before = ledger_state (f->db);
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "0", &error));
  g_assert_cmpint (expire_ok (f, T0 + 1000 * DAY), ==, 0);
  after = ledger_state (f->db);
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 200);

  /* Back on: only the bonus earned while it was on expires. */
  g_assert_true (sk_database_set_setting (f->db, SK_SETTING_BONUS_EXPIRY_DAYS, "30", &error));
  g_assert_cmpint (expire_ok (f, T0 + 1000 * DAY), ==, 100);
  g_assert_cmpint (checked_balance (f->db, f->anna->id), ==, 100);

  /* Manual earns get a date when expiry is on; spends and adjustments do not. */
  {
    g_autoptr (SkBonusTransaction) earn = manual_ok (f, f->anna->id, SK_BONUS_EARN, 500, "Бонус");
    g_autoptr (SkBonusTransaction) adjust
        = manual_ok (f, f->anna->id, SK_BONUS_ADJUST, 500, "Бонус");

    g_assert_cmpint (earn->expires_at, ==, earn->created_at + 30 * DAY);
    g_assert_cmpint (adjust->expires_at, ==, 0);
  }
}

/* Segments */

static void
test_segment_for (void)
{
  SkSegmentThresholds t = { 10, 1000000, 5 };
  struct
  {
    gint64      visits, spent;
    const char *segment;
  } cases[] = {
    { 0, 0, "new" },           { 1, 5000000, "one_time" },
    { 2, 0, "occasional" },    { 4, 999999, "occasional" },
    { 5, 0, "regular" },       { 9, 5000000, "regular" },
    { 10, 999999, "regular" }, { 10, 1000000, "vip" },
    { 50, 2000000, "vip" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (sk_segment_for (&t, cases[i].visits, cases[i].spent), ==, cases[i].segment);
}

/* Sets visits and total_spent of a customer straight in the table. */
static void
set_stats (Fixture *f, const char *customer_id, gint64 visits, gint64 spent)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE customers SET visits = %" G_GINT64_FORMAT
                                          ", total_spent = %" G_GINT64_FORMAT " WHERE id = '%s'",
                                          visits, spent, customer_id);
  sk_test_exec_sql (f->db, sql);
}

static const char *
segment_of (Fixture *f, SkCustomer *customer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) back = sk_database_get_customer (f->db, customer->id, &error);

  g_assert_no_error (error);
  return g_intern_string (back->segment);
}

static void
test_update_segments (Fixture *f, gconstpointer data)
{
  struct
  {
    gint64      visits, spent;
    const char *before, *defaults, *custom;
  } cases[] = {
    { 0, 0, "new", "new", "new" },
    { 1, 10000, "new", "one_time", "one_time" },
    { 2, 20000, "new", "occasional", "regular" },
    { 4, 99999, "new", "occasional", "vip" },
    { 4, 40000, "new", "occasional", "regular" },
    { 5, 50000, "new", "regular", "vip" },
    { 9, 2000000, "new", "regular", "vip" },
    { 10, 999999, "new", "regular", "vip" },
    { 10, 1000000, "new", "vip", "vip" },
    { 25, 5000000, "new", "vip", "vip" },
    { 3, 30000, "vip", "occasional", "regular" },   /* was vip, is not any more */
    { 1, 100, "one_time", "one_time", "one_time" }, /* already right */
  };
  g_autoptr (GPtrArray) customers = g_ptr_array_new_with_free_func (g_object_unref);
  SkSegmentThresholds custom = { 3, 50000, 2 };
  SkSegmentThresholds read = { 0 };
  g_autoptr (GError) error = NULL;
  gint64 changed_defaults = 0, changed_custom = 0, history_before;
  gint64 changed;

  sk_database_get_segment_thresholds (f->db, &read);
  g_assert_cmpint (read.vip_visits, ==, 10);
  g_assert_cmpint (read.vip_spent, ==, 1000000);
  g_assert_cmpint (read.regular_visits, ==, 5);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *phone = g_strdup_printf ("+7912000%04u", i);
      g_autofree char *sql = NULL;
      SkCustomer      *c = sk_test_create_customer (f->db, "Клиент", phone);

      g_ptr_array_add (customers, c);
      set_stats (f, c->id, cases[i].visits, cases[i].spent);
      sql = g_strdup_printf ("UPDATE customers SET segment = '%s' WHERE id = '%s'", cases[i].before,
                             c->id);
      sk_test_exec_sql (f->db, sql);
      changed_defaults += !g_str_equal (cases[i].before, cases[i].defaults);
      changed_custom += !g_str_equal (cases[i].defaults, cases[i].custom);
    }
  /* Anna (from the fixture) has no visits and stays "new". */
  history_before = sk_test_query_int (f->db, "SELECT count(*) FROM customer_segments", NULL);

  changed = sk_database_update_segments (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed, ==, changed_defaults);
  for (guint i = 0; i < customers->len; i++)
    g_assert_cmpstr (segment_of (f, g_ptr_array_index (customers, i)), ==, cases[i].defaults);
  g_assert_cmpstr (segment_of (f, f->anna), ==, "new");
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM customer_segments", NULL), ==,
                   history_before + changed_defaults);

  /* History rows say from what to what, only for the changes. */
  for (guint i = 0; i < customers->len; i++)
    {
      SkCustomer *c = g_ptr_array_index (customers, i);
      g_autoptr (GPtrArray) history = sk_database_list_segment_history (f->db, c->id, &error);
      gboolean             moved = !g_str_equal (cases[i].before, cases[i].defaults);
      SkSegmentAssignment *last;

      g_assert_no_error (error);
      g_assert_cmpuint (history->len, ==, moved ? 2 : 1);
      last = g_ptr_array_index (history, history->len - 1);
      if (moved)
        {
          g_assert_cmpstr (last->segment, ==, cases[i].defaults);
          g_assert_cmpstr (last->previous_segment, ==, cases[i].before);
          g_assert_cmpint (last->assigned_at, >, 0);
        }
    }

  /* A second pass finds nothing to do. */
  history_before = sk_test_query_int (f->db, "SELECT count(*) FROM customer_segments", NULL);
  g_assert_cmpint (sk_database_update_segments (f->db, &error), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpint (sk_test_query_int (f->db, "SELECT count(*) FROM customer_segments", NULL), ==,
                   history_before);

  /* Custom thresholds: VIP from 3 visits and 500 ₽, regular from 2. */
  g_assert_true (sk_database_set_segment_thresholds (f->db, &custom, &error));
  g_assert_no_error (error);
  sk_database_get_segment_thresholds (f->db, &read);
  g_assert_cmpint (read.vip_visits, ==, 3);
  g_assert_cmpint (read.vip_spent, ==, 50000);
  g_assert_cmpint (read.regular_visits, ==, 2);
  changed = sk_database_update_segments (f->db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (changed, ==, changed_custom);
  for (guint i = 0; i < customers->len; i++)
    g_assert_cmpstr (segment_of (f, g_ptr_array_index (customers, i)), ==, cases[i].custom);

  /* The pipeline uses the same thresholds: Anna's second sale makes her regular. */
  {
    g_autoptr (SkPurchaseResult) r1 = sale (f, f->anna->id, 1000, 0, 0, &error);
    g_autoptr (SkPurchaseResult) r2 = sale (f, f->anna->id, 1000, 0, 0, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (r1->customer->segment, ==, "one_time");
    g_assert_cmpstr (r2->customer->segment, ==, "regular");
  }
}

static void
test_invalid_thresholds (Fixture *f, gconstpointer data)
{
  struct
  {
    SkSegmentThresholds t;
    const char         *field;
  } bad[] = {
    { { 10, 1000000, 1 }, "regular_visits" },
    { { 10, 1000000, 0 }, "regular_visits" },
    { { 10, 1000000, -5 }, "regular_visits" },
    { { 4, 1000000, 5 }, "vip_visits" },
    { { 10, -1, 5 }, "vip_spent" },
  };
  SkSegmentThresholds fine = { 8, 500000, 3 };
  SkSegmentThresholds read = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_database_set_segment_thresholds (f->db, &fine, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (sk_database_set_segment_thresholds (f->db, &bad[i].t, &error));
      g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
      g_assert_cmpstr (sk_error_get_field (error), ==, bad[i].field);
      g_clear_error (&error);
      sk_database_get_segment_thresholds (f->db, &read);
      g_assert_cmpint (read.vip_visits, ==, 8);
      g_assert_cmpint (read.vip_spent, ==, 500000);
      g_assert_cmpint (read.regular_visits, ==, 3);
    }
  /* The edges: VIP as soon as regular, with no amount. */
  {
    SkSegmentThresholds edge = { 2, 0, 2 };

    g_assert_true (sk_database_set_segment_thresholds (f->db, &edge, &error));
    g_assert_no_error (error);
  }
}

typedef struct
{
  SkDatabase *db;
  const char *customer_id;
} Writer;

static gpointer
earn_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkBonusTransaction) tx = sk_database_bonus_manual (
      w->db, w->customer_id, SK_BONUS_EARN, 100, "waited for the lock", NULL, &error);

  g_assert_no_error (error);
  return NULL;
}

/* Two writers on one file (two servers, or the app and the CLI): the one
 * that waits for the write lock writes its row after the other's, so its
 * row's time must not be earlier. */
static void
test_commit_order (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->dir, "skidka.db", NULL);
  g_autoptr (SkDatabase) other = sk_database_open (path, &error);
  g_autoptr (SkBonusTransaction) first = NULL;
  Writer   waiting = { f->db, f->anna->id };
  GThread *thread;

  g_assert_no_error (error);
  g_assert_true (sk_db_begin (other, &error));
  thread = g_thread_new ("earn", earn_thread, &waiting);
  g_usleep (200 * 1000); /* the thread now waits for the lock */
  first = sk_database_bonus_manual (other, f->anna->id, SK_BONUS_EARN, 50, "holds the lock", NULL,
                                    &error);
  g_assert_no_error (error);
  g_assert_true (sk_db_commit (other, &error));
  g_thread_join (thread);

  g_assert_cmpint (
      sk_test_query_int (f->db, "SELECT count(*) FROM bonus_transactions WHERE customer_id = ?",
                         f->anna->id),
      ==, 2);
  g_assert_cmpint (
      sk_test_query_int (
          f->db,
          "SELECT count(*) FROM bonus_transactions a JOIN bonus_transactions b"
          " ON a.customer_id = b.customer_id AND a.rowid < b.rowid AND a.created_at > b.created_at"
          " WHERE a.customer_id = ?",
          f->anna->id),
      ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define add(path, func) sk_test_shop_add (path, fixture_setup, func)
  add ("/ledger/manual", test_manual);
  add ("/ledger/manual-invalid", test_manual_invalid);
  add ("/ledger/manual-commit-failure", test_manual_commit_failure);
  add ("/ledger/balance-bound", test_balance_bound);
  add ("/ledger/append-only", test_append_only);
  add ("/ledger/random-operations", test_random_operations);
  add ("/ledger/expiry/basic", test_expiry);
  add ("/ledger/expiry/never-below-zero", test_expiry_never_below_zero);
  add ("/ledger/expiry/oldest-first", test_expiry_oldest_first);
  add ("/ledger/expiry/refund", test_expiry_refund);
  add ("/ledger/expiry/off", test_expiry_off);
  add ("/ledger/commit-order", test_commit_order);
  g_test_add_func ("/segments/segment-for", test_segment_for);
  add ("/segments/update", test_update_segments);
  add ("/segments/invalid-thresholds", test_invalid_thresholds);
#undef add

  return g_test_run ();
}
