/* bench-engine.c: microseconds per discount calculation, 1-50 lines x 10-1000 rules.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "bench-util.h"
#include "sk-database.h"
#include "sk-discount-engine.h"
#include "sk-model-private.h"

#define NOW          ((gint64)1767225600 * G_USEC_PER_SEC)
#define DAY          ((gint64)24 * 3600 * G_USEC_PER_SEC)
#define N_CARTS      16 /* different carts per size, taken in turn */
#define N_RUNS       5  /* timed runs per combination; the median is shown */
#define MIN_RUN_USEC 100000

static const char *const segments[] = { "new", "one_time", "occasional", "regular", "vip" };
#define N_CATEGORIES 24
#define N_STORES     30

static char *
category_name (guint i)
{
  return g_strdup_printf ("category-%02u", i);
}

static char *
store_name (guint i)
{
  return g_strdup_printf ("store-%02u", i);
}

static char **
random_names (GRand *rand, guint count, guint pool, char *(*name) (guint))
{
  char **strv = g_new0 (char *, count + 1);

  for (guint k = 0; k < count; k++)
    strv[k] = name (g_rand_int_range (rand, 0, pool));
  return strv;
}

static char *
segment_name (guint i)
{
  return g_strdup (segments[i]);
}

/* A realistic mix, all active and valid now: most rules are percentages,
 * some fixed amounts, a fifth multipliers; some limited to categories,
 * segments or stores; most stackable; a few of a live campaign with a
 * budget. */
static GPtrArray *
make_rules (GRand *rand, guint n)
{
  GPtrArray *rules = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint r = 0; r < n; r++)
    {
      SkDiscountRule *rule = sk_discount_rule_new ();
      int             kind = g_rand_int_range (rand, 0, 10);

      rule->id = g_strdup_printf ("%08x-%04u", g_rand_int (rand), r);
      rule->name = g_strdup_printf ("Rule %u", r);
      if (kind < 5)
        {
          rule->type = g_strdup (SK_RULE_PERCENTAGE);
          rule->value = g_rand_int_range (rand, 100, 2001);
        }
      else if (kind < 8)
        {
          rule->type = g_strdup (SK_RULE_FIXED_AMOUNT);
          rule->value = g_rand_int_range (rand, 100, 50001);
        }
      else
        {
          rule->type = g_strdup (SK_RULE_BONUS_MULTIPLIER);
          rule->value = g_rand_int_range (rand, 110, 301);
        }
      rule->priority = g_rand_int_range (rand, 0, 10);
      rule->stackable = g_rand_double (rand) < 0.7;
      rule->valid_from = NOW - DAY;
      rule->valid_until = NOW + DAY;
      if (g_rand_double (rand) < 0.4)
        rule->categories
            = random_names (rand, g_rand_int_range (rand, 1, 4), N_CATEGORIES, category_name);
      if (g_rand_double (rand) < 0.2)
        rule->segments = random_names (rand, g_rand_int_range (rand, 1, 3), G_N_ELEMENTS (segments),
                                       segment_name);
      if (g_rand_double (rand) < 0.25)
        rule->store_ids = random_names (rand, g_rand_int_range (rand, 1, 6), N_STORES, store_name);
      if (g_rand_double (rand) < 0.2)
        rule->min_purchase = g_rand_int_range (rand, 1000, 500000);
      if (g_rand_double (rand) < 0.2)
        rule->max_discount = g_rand_int_range (rand, 1000, 100000);
      if (g_rand_double (rand) < 0.1)
        {
          rule->usage_limit_total = 1000;
          rule->uses = g_rand_int_range (rand, 0, 999);
        }
      if (g_rand_double (rand) < 0.1)
        rule->campaign_id = g_strdup_printf ("campaign-%d", g_rand_int_range (rand, 0, 3));
      g_ptr_array_add (rules, rule);
    }
  return rules;
}

static GPtrArray *
make_campaigns (void)
{
  GPtrArray *campaigns = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint c = 0; c < 3; c++)
    {
      SkCampaign *campaign = sk_campaign_new ();

      campaign->id = g_strdup_printf ("campaign-%u", c);
      campaign->name = g_strdup (campaign->id);
      campaign->status = g_strdup ("active");
      campaign->budget = c == 0 ? 0 : 10000000;
      campaign->spent = c == 2 ? 9999000 : 0;
      g_ptr_array_add (campaigns, campaign);
    }
  return campaigns;
}

static SkCart *
make_cart (GRand *rand, guint n_lines)
{
  g_autofree char *store = store_name (g_rand_int_range (rand, 0, 3));
  SkCart          *cart = sk_cart_new (store);

  for (guint i = 0; i < n_lines; i++)
    {
      g_autofree char *sku = g_strdup_printf ("SKU-%05u", g_rand_int_range (rand, 0, 100000));
      g_autofree char *category = category_name (g_rand_int_range (rand, 0, N_CATEGORIES));

      sk_cart_add_line (cart, sku, sku, category, g_rand_int_range (rand, 100, 500000),
                        g_rand_int_range (rand, 1, 4));
    }
  g_assert (sk_cart_validate (cart, NULL));
  return cart;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a;
  double y = *(const double *)b;

  return x < y ? -1 : x > y;
}

/* Microseconds per calculation: the median of N_RUNS timed runs, each long
 * enough for the clock. */
static double
measure (SkCart          **carts,
         SkEngineCustomer *customer,
         GPtrArray        *rules,
         GPtrArray        *campaigns,
         guint            *applied)
{
  double runs[N_RUNS];
  guint  iterations = 1;

  /* Warm up, and find how many calculations fill a run. */
  for (;;)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < iterations; i++)
        {
          SkEngineResult *result
              = sk_discount_engine_calculate (carts[i % N_CARTS], customer, rules, campaigns, NOW);
          sk_engine_result_free (result);
        }
      if (g_get_monotonic_time () - start >= MIN_RUN_USEC / 4)
        break;
      iterations *= 2;
    }
  iterations *= 4;

  for (guint run = 0; run < N_RUNS; run++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < iterations; i++)
        {
          SkEngineResult *result
              = sk_discount_engine_calculate (carts[i % N_CARTS], customer, rules, campaigns, NOW);
          *applied += result->applied->len;
          sk_engine_result_free (result);
        }
      runs[run] = (double)(g_get_monotonic_time () - start) / iterations;
    }
  qsort (runs, N_RUNS, sizeof runs[0], compare_double);
  return runs[N_RUNS / 2];
}

/* The same calculation through SkDatabase: rules and the customer's uses
 * read from the SQLite file on each call, as the till and the server do. */
static double
measure_database (GRand *rand, GPtrArray *rules, guint n_lines)
{
  g_autofree char *dir = g_dir_make_tmp ("skidka-bench-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bench.db", NULL);
  g_autoptr (SkDatabase) db = sk_database_open (path, NULL);
  g_autoptr (SkStore) store = sk_store_new ();
  g_autoptr (SkCustomer) customer = sk_customer_new ();
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start, n = 0;

  g_object_set (store, "code", "BENCH", "name", "Bench", NULL);
  g_object_set (customer, "phone", "+79120000000", NULL);
  g_assert (sk_database_save_store (db, store, NULL));
  g_assert (sk_database_create_customer (db, customer, NULL));
  for (guint i = 0; i < rules->len; i++)
    {
      g_autoptr (SkDiscountRule) rule = sk_record_copy (g_ptr_array_index (rules, i));

      g_clear_pointer (&rule->id, g_free);
      g_clear_pointer (&rule->campaign_id, g_free);
      g_clear_pointer (&rule->store_ids, g_strfreev);
      rule->version = 0;
      if (!sk_database_save_rule (db, rule, &error))
        g_error ("%s", error->message);
    }
  cart = make_cart (rand, n_lines);
  g_free (cart->store_id);
  cart->store_id = g_strdup (store->id);

  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < MIN_RUN_USEC * 5)
    {
      g_autoptr (SkEngineResult) result
          = sk_database_calculate (db, cart, customer->id, NOW, &error);
      g_assert (result != NULL);
      n++;
    }
  g_clear_object (&db);
  bench_remove_dir (dir);
  return (double)(g_get_monotonic_time () - start) / n;
}

int
main (int argc, char *argv[])
{
  static const guint line_counts[] = { 1, 10, 50 };
  static const guint rule_counts[] = { 10, 100, 1000 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (20260101);
  g_autoptr (GPtrArray) campaigns = make_campaigns ();
  g_autoptr (SkEngineCustomer) customer = sk_engine_customer_new ("customer-1", "regular");
  GPtrArray *rule_sets[G_N_ELEMENTS (rule_counts)];
  double     table[G_N_ELEMENTS (line_counts)][G_N_ELEMENTS (rule_counts)];
  guint      applied = 0;

  for (guint r = 0; r < G_N_ELEMENTS (rule_counts); r++)
    {
      rule_sets[r] = make_rules (rand, rule_counts[r]);
      /* Some per-customer history, so the lookups happen. */
      for (guint k = 0; k < rule_sets[r]->len; k += 7)
        sk_engine_customer_set_uses (
            customer, ((SkDiscountRule *)g_ptr_array_index (rule_sets[r], k))->id, 1);
    }

  for (guint l = 0; l < G_N_ELEMENTS (line_counts); l++)
    {
      SkCart *carts[N_CARTS];

      for (guint c = 0; c < N_CARTS; c++)
        carts[c] = make_cart (rand, line_counts[l]);
      for (guint r = 0; r < G_N_ELEMENTS (rule_counts); r++)
        table[l][r] = measure (carts, customer, rule_sets[r], campaigns, &applied);
      for (guint c = 0; c < N_CARTS; c++)
        sk_cart_free (carts[c]);
    }

  g_print ("sk_discount_engine_calculate, microseconds per cart (median of %d runs)\n\n", N_RUNS);
  g_print ("%-8s", "lines");
  for (guint r = 0; r < G_N_ELEMENTS (rule_counts); r++)
    g_print (" %8u rules", rule_counts[r]);
  g_print ("\n");
  for (guint l = 0; l < G_N_ELEMENTS (line_counts); l++)
    {
      g_print ("%-8u", line_counts[l]);
      for (guint r = 0; r < G_N_ELEMENTS (rule_counts); r++)
        g_print (" %14.1f", table[l][r]);
      g_print ("\n");
    }
  g_print ("\n(%u rules applied in all, so nothing was optimised away)\n", applied);

  g_print (
      "\nsk_database_calculate (rules read from SQLite each call), 10 lines, microseconds\n\n");
  for (guint r = 0; r < G_N_ELEMENTS (rule_counts); r++)
    g_print ("%5u rules %14.1f\n", rule_counts[r], measure_database (rand, rule_sets[r], 10));

  for (guint r = 0; r < G_N_ELEMENTS (rule_counts); r++)
    g_ptr_array_unref (rule_sets[r]);
  return 0;
}
