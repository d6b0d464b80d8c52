/* test-analytics.c: the figures the charts and the analytics API show.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "sk-analytics.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-test-util.h"

typedef struct
{
  char           *dir;
  SkDatabase     *db;
  SkStore        *store_a;
  SkStore        *store_b;
  SkCustomer     *anna;
  SkCustomer     *boris;
  SkCampaign     *campaign;
  SkDiscountRule *ten_percent; /* campaign rule, stackable 10 % */
  SkDiscountRule *fixed_500;   /* 5 ₽ off toys, stackable */
  gint64          day0;        /* 2026-11-01T00:00:00Z */
} Fixture;

#define DAY G_TIME_SPAN_DAY

static SkStore *
make_store (SkDatabase *db, const char *code)
{
  SkStore *s = sk_store_new ();
  g_autoptr (GError) error = NULL;

  g_object_set (s, "code", code, "name", code, "timezone", "Europe/Moscow", NULL);
  g_assert_true (sk_database_save_store (db, s, &error));
  g_assert_no_error (error);
  return s;
}

/* Sells @quantity items at @price; returns the purchase's id. */
static char *
sell_some (Fixture    *f,
           SkStore    *store,
           SkCustomer *customer,
           gint64      at,
           const char *category,
           gint64      price,
           gint64      quantity)
{
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (GError) error = NULL;

  request->id = g_uuid_string_random ();
  request->customer_id = customer ? g_strdup (sk_record_get_id (customer)) : NULL;
  request->created_at = at;
  request->cart = sk_cart_new (sk_record_get_id (store));
  sk_cart_add_line (request->cart, "SKU", "Item", category, price, quantity);
  result = sk_database_process_purchase (f->db, request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  return g_strdup (sk_record_get_id (result->purchase));
}

static void
sell (
    Fixture *f, SkStore *store, SkCustomer *customer, gint64 at, const char *category, gint64 price)
{
  g_free (sell_some (f, store, customer, at, category, price, 1));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  const char *toys[] = { "toys", NULL };

  f->db = sk_test_open_database ("skidka-analytics-XXXXXX", &f->dir);

  f->day0 = (gint64)1793491200 * G_USEC_PER_SEC; /* 2026-11-01T00:00:00Z */
  f->store_a = make_store (f->db, "A");
  f->store_b = make_store (f->db, "B");
  f->anna = sk_test_create_customer (f->db, "Анна Иванова", "+79120000001");
  f->boris = sk_test_create_customer (f->db, "Борис Петров", "+79120000002");

  f->campaign = sk_campaign_new ();
  g_object_set (f->campaign, "name", "Autumn", "status", "active", "budget", (gint64)100000, NULL);
  g_assert_true (sk_database_save_campaign (f->db, f->campaign, &error));
  g_assert_no_error (error);

  f->ten_percent = sk_discount_rule_new ();
  g_object_set (f->ten_percent, "name", "Autumn 10 %", "type", "percentage", "value", (gint64)1000,
                "campaign-id", sk_record_get_id (f->campaign), "priority", (gint64)10, NULL);
  g_assert_true (sk_database_save_rule (f->db, f->ten_percent, &error));
  g_assert_no_error (error);

  f->fixed_500 = sk_discount_rule_new ();
  g_object_set (f->fixed_500, "name", "Toys −5 ₽", "type", "fixed_amount", "value", (gint64)500,
                "categories", toys, "priority", (gint64)5, NULL);
  g_assert_true (sk_database_save_rule (f->db, f->fixed_500, &error));
  g_assert_no_error (error);

  /* Day 0: Anna buys toys for 100 ₽ in A: 10 % (1000) then 5 ₽ (500) on the rest.
   * Day 1: Boris buys clothes for 200 ₽ in B: 10 % (2000).
   * Day 1: an anonymous buyer, clothes 50 ₽ in A: 10 % (500).
   * Day 40: Anna, toys 100 ₽ in B (outside a 30-day period). */
  sell (f, f->store_a, f->anna, f->day0 + (gint64)3600 * G_USEC_PER_SEC, "toys", 10000);
  sell (f, f->store_b, f->boris, f->day0 + DAY + (gint64)60 * G_USEC_PER_SEC, "clothes", 20000);
  sell (f, f->store_a, NULL, f->day0 + DAY + (gint64)120 * G_USEC_PER_SEC, "clothes", 5000);
  sell (f, f->store_b, f->anna, f->day0 + 40 * DAY, "toys", 10000);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->ten_percent);
  g_clear_object (&f->fixed_500);
  g_clear_object (&f->campaign);
  g_clear_object (&f->anna);
  g_clear_object (&f->boris);
  g_clear_object (&f->store_a);
  g_clear_object (&f->store_b);
  g_clear_object (&f->db);
  sk_test_remove_dir (f->dir);
  g_free (f->dir);
}

static void
test_summary (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkSummary   s;
  const char *only_a[] = { sk_record_get_id (f->store_a), NULL };

  g_assert_true (sk_analytics_summary (f->db, f->day0, f->day0 + 30 * DAY, NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpint (s.purchases, ==, 3);
  g_assert_cmpint (s.discounts, ==, 1500 + 2000 + 500);
  g_assert_cmpint (s.revenue, ==, 8500 + 18000 + 4500);
  g_assert_cmpint (s.customers, ==, 2);
  g_assert_cmpint (s.average_check, ==, (8500 + 18000 + 4500) / 3);
  /* 1 % of what was paid, for known customers only. */
  g_assert_cmpint (s.bonus_earned, ==, 85 + 180);
  g_assert_cmpint (s.bonus_spent, ==, 0);

  g_assert_true (sk_analytics_summary (f->db, f->day0, f->day0 + 30 * DAY, only_a, &s, &error));
  g_assert_cmpint (s.purchases, ==, 2);
  g_assert_cmpint (s.revenue, ==, 8500 + 4500);
  g_assert_cmpint (s.customers, ==, 1);

  /* A period that ends before it starts is the user's mistake. */
  g_assert_false (sk_analytics_summary (f->db, f->day0, f->day0, NULL, &s, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
}

static void
test_daily (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) days = sk_analytics_daily (f->db, f->day0, f->day0 + 60 * DAY, NULL, &error);
  g_autoptr (JsonNode) json = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (days->len, ==, 3);
  g_assert_cmpstr (g_array_index (days, SkDailyPoint, 0).day, ==, "2026-11-01");
  g_assert_cmpint (g_array_index (days, SkDailyPoint, 0).revenue, ==, 8500);
  g_assert_cmpstr (g_array_index (days, SkDailyPoint, 1).day, ==, "2026-11-02");
  g_assert_cmpint (g_array_index (days, SkDailyPoint, 1).purchases, ==, 2);
  g_assert_cmpint (g_array_index (days, SkDailyPoint, 1).discounts, ==, 2500);
  g_assert_cmpstr (g_array_index (days, SkDailyPoint, 2).day, ==, "2026-12-11");

  json = sk_daily_to_json (days);
  text = sk_json_to_string (json, FALSE);
  g_assert_nonnull (strstr (text, "\"day\":\"2026-11-02\",\"revenue\":22500"));
}

/* Today is not over: its point is marked as figures so far (the charts set
 * it apart rather than show a fall), the days before it are whole, in the
 * store's own days (Moscow's today begins at 21:00 UTC). */
static void
test_daily_today (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) days = NULL;
  g_autoptr (JsonNode) json = NULL;
  g_autofree char    *text = NULL;
  gint64              now = g_get_real_time ();
  const SkDailyPoint *last, *before;

  sell (f, f->store_a, f->anna, now - 3 * DAY, "clothes", 30000);
  sell (f, f->store_a, f->boris, now - G_USEC_PER_SEC, "clothes", 7000);
  days = sk_analytics_daily (f->db, now - 5 * DAY, now + DAY, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (days->len, >=, 2);
  last = &g_array_index (days, SkDailyPoint, days->len - 1);
  before = &g_array_index (days, SkDailyPoint, days->len - 2);
  g_assert_cmpint (last->revenue, ==, 7000 - 700);
  g_assert_true (last->partial);
  g_assert_cmpint (before->revenue, ==, 30000 - 3000);
  g_assert_false (before->partial);
  json = sk_daily_to_json (days);
  text = sk_json_to_string (json, FALSE);
  g_assert_nonnull (strstr (text, "\"partial\":true"));
  g_assert_nonnull (strstr (text, "\"partial\":false"));

  /* Last month's days are over. */
  g_clear_pointer (&days, g_array_unref);
  days = sk_analytics_daily (f->db, f->day0, f->day0 + 30 * DAY, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < days->len; i++)
    g_assert_false (g_array_index (days, SkDailyPoint, i).partial);
}

/* The revenue of @day in the daily series over [from, to), 0 if none. */
static gint64
revenue_on (Fixture *f, gint64 from, gint64 to, const char *day)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) days = sk_analytics_daily (f->db, from, to, NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < days->len; i++)
    if (g_str_equal (g_array_index (days, SkDailyPoint, i).day, day))
      return g_array_index (days, SkDailyPoint, i).revenue;
  return 0;
}

/* Days are the store's: a sale at 01:30 in Moscow (22:30 UTC the day
 * before) counts for that Moscow day, in the series and in a summary of the
 * Moscow day; the same sale in a store on UTC counts for the UTC day, and
 * moving the store to UTC moves it there too (the cached days are dropped). */
static void
test_store_local_day (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  /* 2026-11-20T22:30:00Z = 2026-11-21 01:30 in Moscow (UTC+3). */
  gint64    night = (gint64)1795213800 * G_USEC_PER_SEC;
  gint64    from = f->day0 + 15 * DAY, to = f->day0 + 25 * DAY;
  SkSummary moscow_day;

  /* 777 ₽ less the campaign's 10 %: 699,30 ₽. */
  sell (f, f->store_a, NULL, night, "clothes", 77700);
  /* The series first: it caches the days. */
  g_assert_cmpint (revenue_on (f, from, to, "2026-11-21"), ==, 69930);
  g_assert_cmpint (revenue_on (f, from, to, "2026-11-20"), ==, 0);
  /* Moscow's 21 November: 20 November 21:00 UTC to 21 November 21:00 UTC. */
  g_assert_true (sk_analytics_summary (f->db, f->day0 + 19 * DAY + 21 * G_TIME_SPAN_HOUR,
                                       f->day0 + 20 * DAY + 21 * G_TIME_SPAN_HOUR, NULL,
                                       &moscow_day, &error));
  g_assert_no_error (error);
  g_assert_cmpint (moscow_day.revenue, ==, 69930);
  g_assert_cmpint (moscow_day.purchases, ==, 1);

  g_object_set (f->store_a, "timezone", "UTC", NULL);
  g_assert_true (sk_database_save_store (f->db, f->store_a, &error));
  g_assert_no_error (error);
  g_assert_cmpint (revenue_on (f, from, to, "2026-11-20"), ==, 69930);
  g_assert_cmpint (revenue_on (f, from, to, "2026-11-21"), ==, 0);
}

static void
test_segments (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) counts = sk_analytics_segments (f->db, &error);
  gint64 total = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (counts->len, ==, 5);
  for (guint i = 0; i < counts->len; i++)
    {
      const SkSegmentCount *c = &g_array_index (counts, SkSegmentCount, i);

      total += c->customers;
      if (g_str_equal (c->segment, "occasional"))
        g_assert_cmpint (c->customers, ==, 1); /* Anna: 2 visits */
      else if (g_str_equal (c->segment, "one_time"))
        g_assert_cmpint (c->customers, ==, 1); /* Boris */
      else
        g_assert_cmpint (c->customers, ==, 0);
    }
  g_assert_cmpint (total, ==, 2);
}

static void
test_rule_effectiveness (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) stats
      = sk_analytics_rule_effectiveness (f->db, f->day0, f->day0 + 30 * DAY, NULL, &error);
  const SkRuleStats *first, *second;

  g_assert_no_error (error);
  g_assert_cmpuint (stats->len, ==, 2);
  first = &g_array_index (stats, SkRuleStats, 0);
  second = &g_array_index (stats, SkRuleStats, 1);
  g_assert_cmpstr (first->rule_id, ==, sk_record_get_id (f->ten_percent));
  g_assert_cmpint (first->uses, ==, 3);
  g_assert_cmpint (first->discount, ==, 3500);
  g_assert_cmpint (first->purchases_without, ==, 0);
  g_assert_cmpstr (second->rule_id, ==, sk_record_get_id (f->fixed_500));
  g_assert_cmpint (second->uses, ==, 1);
  g_assert_cmpint (second->discount, ==, 500);
  g_assert_cmpint (second->revenue_with, ==, 8500);
  g_assert_cmpint (second->average_with, ==, 8500);
  g_assert_cmpint (second->purchases_without, ==, 2);
  g_assert_cmpint (second->average_without, ==, (18000 + 4500) / 2);
}

static void
test_campaign_figures (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  SkCampaignFigures figures;

  g_assert_true (
      sk_analytics_campaign (f->db, sk_record_get_id (f->campaign), NULL, &figures, &error));
  g_assert_no_error (error);
  g_assert_cmpint (figures.purchases, ==, 4);
  g_assert_cmpint (figures.discount, ==, 1000 + 2000 + 500 + 1000);
  g_assert_cmpint (figures.spent, ==, figures.discount);
  g_assert_cmpint (figures.budget, ==, 100000);
  g_assert_cmpint (figures.customers, ==, 2);
  g_assert_cmpint (figures.revenue, ==, 8500 + 18000 + 4500 + 8500);
  g_assert_false (figures.store_only);

  /* One store's sales; the budget and what it spent are the campaign's. */
  g_assert_true (sk_analytics_campaign (f->db, sk_record_get_id (f->campaign), f->store_a->id,
                                        &figures, &error));
  g_assert_no_error (error);
  g_assert_true (figures.store_only);
  g_assert_cmpint (figures.purchases, ==, 2);
  g_assert_cmpint (figures.discount, ==, 1000 + 500);
  g_assert_cmpint (figures.revenue, ==, 8500 + 4500);
  g_assert_cmpint (figures.customers, ==, 1);
  g_assert_cmpint (figures.spent, ==, 1000 + 2000 + 500 + 1000);
  g_assert_cmpint (figures.budget, ==, 100000);
  g_assert_true (sk_analytics_campaign (f->db, sk_record_get_id (f->campaign), f->store_b->id,
                                        &figures, &error));
  g_assert_cmpint (figures.purchases, ==, 2);
  g_assert_cmpint (figures.revenue, ==, 18000 + 8500);
  g_assert_cmpint (figures.customers, ==, 2);

  g_assert_false (sk_analytics_campaign (f->db, "no-such-campaign", NULL, &figures, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
}

/* Returns @quantity items of line 1 of @purchase_id (0: everything). */
static void
refund (Fixture *f, const char *purchase_id, gint64 quantity)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchase) refunded = NULL;
  g_autoptr (GArray) lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
  g_autofree char *refund_id = g_uuid_string_random ();
  SkRefundLine     line = { 1, quantity };

  g_array_append_val (lines, line);
  refunded = sk_database_refund_purchase (f->db, refund_id, purchase_id,
                                          quantity > 0 ? lines : NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (refunded);
}

/* A sale wholly returned is no sale: it leaves the revenue, the discounts,
 * the bonuses, the purchases, the customers and its rules' uses, in the
 * summary, the daily series, rule effectiveness and its campaign. */
static void
test_refund (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) purchases
      = sk_database_list_purchases (f->db, sk_record_get_id (f->boris), 10, &error);
  g_autoptr (GArray) days = NULL;
  g_autoptr (GArray) stats = NULL;
  const SkRuleStats *ten;
  SkCampaignFigures  campaign;
  SkSummary          s;

  g_assert_no_error (error);
  g_assert_cmpuint (purchases->len, ==, 1);
  /* The figures before, so the days are cached when the return comes. */
  g_assert_true (sk_analytics_summary (f->db, f->day0, f->day0 + 30 * DAY, NULL, &s, &error));
  g_assert_cmpint (s.purchases, ==, 3);

  refund (f, sk_record_get_id (g_ptr_array_index (purchases, 0)), 0);

  g_assert_true (sk_analytics_summary (f->db, f->day0, f->day0 + 30 * DAY, NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpint (s.revenue, ==, 8500 + 4500);
  g_assert_cmpint (s.discounts, ==, 1500 + 500);
  g_assert_cmpint (s.bonus_earned, ==, 85);
  g_assert_cmpint (s.purchases, ==, 2);
  g_assert_cmpint (s.average_check, ==, (8500 + 4500) / 2);
  g_assert_cmpint (s.customers, ==, 1);

  days = sk_analytics_daily (f->db, f->day0, f->day0 + 30 * DAY, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (days->len, ==, 2);
  g_assert_cmpstr (g_array_index (days, SkDailyPoint, 1).day, ==, "2026-11-02");
  g_assert_cmpint (g_array_index (days, SkDailyPoint, 1).purchases, ==, 1);
  g_assert_cmpint (g_array_index (days, SkDailyPoint, 1).revenue, ==, 4500);
  g_assert_cmpint (g_array_index (days, SkDailyPoint, 1).discounts, ==, 500);
  g_assert_cmpint (g_array_index (days, SkDailyPoint, 1).bonus_earned, ==, 0);

  stats = sk_analytics_rule_effectiveness (f->db, f->day0, f->day0 + 30 * DAY, NULL, &error);
  g_assert_no_error (error);
  ten = &g_array_index (stats, SkRuleStats, 0);
  g_assert_cmpstr (ten->rule_id, ==, sk_record_get_id (f->ten_percent));
  g_assert_cmpint (ten->uses, ==, 2);
  g_assert_cmpint (ten->discount, ==, 1000 + 500);
  g_assert_cmpint (ten->revenue_with, ==, 8500 + 4500);
  g_assert_cmpint (ten->purchases_without, ==, 0);

  g_assert_true (
      sk_analytics_campaign (f->db, sk_record_get_id (f->campaign), NULL, &campaign, &error));
  g_assert_cmpint (campaign.purchases, ==, 3);
  g_assert_cmpint (campaign.discount, ==, 1000 + 500 + 1000);
  g_assert_cmpint (campaign.spent, ==, campaign.discount);
  g_assert_cmpint (campaign.revenue, ==, 8500 + 4500 + 8500);
  g_assert_cmpint (campaign.bonus_earned, ==, 85 + 85);
  g_assert_cmpint (campaign.customers, ==, 1);
}

/* Half a sale returned: half its discount and bonuses go, the sale stays
 * one purchase; on a cached day (Boris, 3 November) and at the period's
 * partial end (the anonymous buyer's 25 November evening), alike. */
static void
test_refund_partial (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cached
      = sell_some (f, f->store_b, f->boris, f->day0 + 2 * DAY, "clothes", 10000, 2);
  g_autofree char *late = sell_some (
      f, f->store_a, f->anna, f->day0 + 29 * DAY + 23 * G_TIME_SPAN_HOUR, "clothes", 5000, 2);
  g_autoptr (GArray) stats = NULL;
  const SkRuleStats *ten;
  SkCampaignFigures  campaign;
  SkSummary          before, s;

  g_assert_true (sk_analytics_summary (f->db, f->day0, f->day0 + 30 * DAY, NULL, &before, &error));
  g_assert_no_error (error);
  g_assert_cmpint (before.purchases, ==, 5);
  g_assert_cmpint (before.revenue, ==, 8500 + 18000 + 4500 + 18000 + 9000);

  /* 1 of 2: 90 ₽ back and 10 ₽ of discount; 90 kopecks of bonus; then
   * 1 of the 2 at 50 ₽: 45 ₽, 5 ₽ and 45 kopecks. */
  refund (f, cached, 1);
  refund (f, late, 1);

  g_assert_true (sk_analytics_summary (f->db, f->day0, f->day0 + 30 * DAY, NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpint (s.purchases, ==, 5);
  g_assert_cmpint (s.customers, ==, 2);
  g_assert_cmpint (s.revenue, ==, before.revenue - 9000 - 4500);
  g_assert_cmpint (s.discounts, ==, before.discounts - 1000 - 500);
  g_assert_cmpint (s.bonus_earned, ==, before.bonus_earned - 90 - 45);

  stats = sk_analytics_rule_effectiveness (f->db, f->day0, f->day0 + 30 * DAY, NULL, &error);
  g_assert_no_error (error);
  ten = &g_array_index (stats, SkRuleStats, 0);
  g_assert_cmpstr (ten->rule_id, ==, sk_record_get_id (f->ten_percent));
  g_assert_cmpint (ten->uses, ==, 5);
  g_assert_cmpint (ten->discount, ==, 3500 + 2000 + 1000 - 1000 - 500);

  g_assert_true (
      sk_analytics_campaign (f->db, sk_record_get_id (f->campaign), NULL, &campaign, &error));
  g_assert_cmpint (campaign.purchases, ==, 6);
  g_assert_cmpint (campaign.spent, ==, campaign.discount);
  g_assert_cmpint (campaign.discount, ==, 1000 + 2000 + 500 + 1000 + 1000 + 500);
}

/* A busy period: figures come from the per-day cache, the customers from
 * sketches; they must agree with the purchases, and follow changes. */
static void
test_busy_period (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (SkDatabase) db = sk_test_open_database ("skidka-analytics-XXXXXX", &dir);
  g_autoptr (SkStore) store = NULL;
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  const gint64 day = G_TIME_SPAN_DAY, day0 = (gint64)1793491200 * G_USEC_PER_SEC;
  const gint64 from = day0 + 5 * day + 6 * G_TIME_SPAN_HOUR,
               to = day0 + 35 * day + 3 * G_TIME_SPAN_HOUR;
  sqlite3  *handle;
  SkSummary s, again;
  gint64    exact_customers, exact_purchases, exact_revenue;
  g_autoptr (GArray) days = NULL;
  gint64 daily_revenue = 0, daily_purchases = 0;

  store = make_store (db, "BUSY");
  g_object_set (rule, "name", "Tenth", "type", "percentage", "value", (gint64)1000, NULL);
  g_assert_true (sk_database_save_rule (db, rule, &error));
  g_assert_no_error (error);
  handle = sk_database_get_handle (db);
  g_assert_cmpint (sqlite3_exec (handle, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < 20000; i++)
    {
      g_autofree char *sql = g_strdup_printf ("INSERT INTO customers (id, phone, created_at)"
                                              " VALUES ('c%05u', '+7900%07u', 0)",
                                              i, i);
      g_assert_cmpint (sqlite3_exec (handle, sql, NULL, NULL, NULL), ==, SQLITE_OK);
    }
  for (guint i = 0; i < 90000; i++)
    {
      gint64           at = day0 + g_rand_int_range (rand, 0, 40 * 24 * 60) * G_TIME_SPAN_MINUTE;
      gint64           subtotal = g_rand_int_range (rand, 1000, 100000);
      g_autofree char *customer = g_strdup_printf ("'c%05d'", g_rand_int_range (rand, 0, 20000));
      g_autofree char *sql = g_strdup_printf (
          "INSERT INTO purchases (id, customer_id, store_id, created_at,"
          " subtotal, discount_total, bonus_spent, bonus_earned, total_paid)"
          " VALUES ('p%06u', %s, '%s', %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
          ", %" G_GINT64_FORMAT ", 0, 10, 0)",
          i, i % 10 == 0 ? "NULL" : customer, store->id, at, subtotal, subtotal / 10);
      g_assert_cmpint (sqlite3_exec (handle, sql, NULL, NULL, NULL), ==, SQLITE_OK);
    }
  /* Every third sale got the rule. */
  {
    g_autofree char *sql
        = g_strdup_printf ("INSERT INTO discount_applications (id, purchase_id, rule_id,"
                           " store_id, amount, created_at) SELECT 'a' || id, id, '%s',"
                           " store_id, discount_total, created_at FROM purchases"
                           " WHERE rowid %% 3 = 0",
                           sk_record_get_id (rule));
    g_assert_cmpint (sqlite3_exec (handle, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  }
  g_assert_cmpint (sqlite3_exec (handle, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);

#define EXACT(what)                                                                                \
  sk_db_query_int (db, NULL, -1,                                                                   \
                   "SELECT " what " FROM purchases WHERE created_at >= ? AND created_at < ?",      \
                   "ii", from, to)
  exact_customers = EXACT ("count (DISTINCT customer_id)");
  exact_purchases = EXACT ("count (*)");
  exact_revenue = EXACT ("sum (subtotal - discount_total - refunded_total)");

  g_assert_true (sk_analytics_summary (db, from, to, NULL, &s, &error));
  g_assert_no_error (error);
  g_assert_cmpint (s.purchases, ==, exact_purchases);
  g_assert_cmpint (s.revenue, ==, exact_revenue);
  g_assert_cmpint (s.bonus_earned, ==, 10 * exact_purchases);
  g_assert_false (s.customers_exact);
  g_assert_cmpint (ABS (s.customers - exact_customers) * 100, <=, 3 * exact_customers);

  /* The second time from the cache: the same figures. */
  g_assert_true (sk_analytics_summary (db, from, to, NULL, &again, &error));
  g_assert_cmpint (memcmp (&s, &again, sizeof s), ==, 0);

  /* A late sale on a cached day and a refund are seen at once. */
  g_assert_cmpint (
      sqlite3_exec (handle,
                    "INSERT INTO purchases (id, store_id, created_at, subtotal, discount_total,"
                    " bonus_spent, bonus_earned, total_paid) SELECT 'late', id, " G_STRINGIFY (
                        1794355200000000) ", 777, 0, 0, 0, 777 FROM stores",
                    NULL, NULL, NULL),
      ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (handle,
                                 "UPDATE purchases SET refunded_total = 100 WHERE id = 'p000003'",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  g_assert_true (sk_analytics_summary (db, from, to, NULL, &again, &error));
  g_assert_cmpint (again.purchases, ==, exact_purchases + 1);
  g_assert_cmpint (again.revenue, ==, EXACT ("sum (subtotal - discount_total - refunded_total)"));

  /* The daily series adds up to the same. */
  days = sk_analytics_daily (db, from, to, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (days->len, ==, 31);
  for (guint i = 0; i < days->len; i++)
    {
      daily_revenue += g_array_index (days, SkDailyPoint, i).revenue;
      daily_purchases += g_array_index (days, SkDailyPoint, i).purchases;
      if (i > 0)
        g_assert_cmpstr (g_array_index (days, SkDailyPoint, i - 1).day, <,
                         g_array_index (days, SkDailyPoint, i).day);
    }
  g_assert_cmpint (daily_revenue, ==, again.revenue);
  g_assert_cmpint (daily_purchases, ==, again.purchases);
#undef EXACT

  /* Rule effectiveness, from the cached days and the two partial ones. */
  {
    g_autoptr (GArray) stats = sk_analytics_rule_effectiveness (db, from, to, NULL, &error);
    const SkRuleStats *r;

    g_assert_no_error (error);
    g_assert_cmpuint (stats->len, ==, 1);
    r = &g_array_index (stats, SkRuleStats, 0);
    g_assert_cmpint (r->uses, ==,
                     sk_db_query_int (db, NULL, -1,
                                      "SELECT count (*) FROM discount_applications"
                                      " WHERE created_at >= ? AND created_at < ?",
                                      "ii", from, to));
    g_assert_cmpint (r->discount, ==,
                     sk_db_query_int (db, NULL, -1,
                                      "SELECT sum (amount) FROM discount_applications"
                                      " WHERE created_at >= ? AND created_at < ?",
                                      "ii", from, to));
    g_assert_cmpint (
        r->revenue_with, ==,
        sk_db_query_int (
            db, NULL, -1,
            "SELECT sum (p.subtotal - p.discount_total - p.refunded_total)"
            " FROM discount_applications AS a JOIN purchases AS p ON p.id = a.purchase_id"
            " WHERE a.created_at >= ? AND a.created_at < ?",
            "ii", from, to));
    g_assert_cmpint (r->purchases_with + r->purchases_without, ==, again.purchases);
    g_assert_cmpint (r->uses, >, 20000);
  }

  g_clear_object (&db);
  sk_test_remove_dir (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/analytics/summary", test_summary);
  ADD ("/analytics/daily", test_daily);
  ADD ("/analytics/daily-today", test_daily_today);
  ADD ("/analytics/store-local-day", test_store_local_day);
  ADD ("/analytics/segments", test_segments);
  ADD ("/analytics/rule-effectiveness", test_rule_effectiveness);
  ADD ("/analytics/campaign", test_campaign_figures);
  ADD ("/analytics/refund", test_refund);
  ADD ("/analytics/refund-partial", test_refund_partial);
#undef ADD
  g_test_add_func ("/analytics/busy-period", test_busy_period);

  return g_test_run ();
}
