/* bench-scale.c: how the store behaves at the size of a big chain: customer
 * lookups, name search, analytics and the segment pass on a large file.
 * Usage: bench-scale FILE [QUERIES]
 *   FILE from: skidka-cli --db FILE demo --customers 1000000 --purchases 10000000
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>

#include "bench-util.h"
#include "sk-analytics.h"
#include "sk-database-private.h"

#define DEFAULT_QUERIES 200

static void
print_latencies (const char *what, GArray *usec, gint64 found)
{
  gint64 sum = 0;

  bench_sort_usec (usec);
  for (guint i = 0; i < usec->len; i++)
    sum += g_array_index (usec, gint64, i);
  g_print ("  %-40s %9.3f %9.3f %9.3f %9.3f   (%" G_GINT64_FORMAT " rows found)\n", what,
           bench_percentile_ms (usec, 50), bench_percentile_ms (usec, 95),
           bench_percentile_ms (usec, 100), (double)sum / usec->len / 1000.0, found);
}

static void
print_once (const char *what, gint64 usec, const char *note)
{
  g_print ("  %-40s %9.1f ms   %s\n", what, usec / 1000.0, note ? note : "");
}

/* The first name's first letters after the surname: "Иванова Ма". */
static char *
name_prefix (const char *full_name)
{
  const char *space = strchr (full_name, ' ');
  const char *p;

  if (space == NULL)
    return g_utf8_substring (full_name, 0, 3);
  p = g_utf8_next_char (g_utf8_next_char (space + 1));
  return g_strndup (full_name, p - full_name);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GPtrArray) phones = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) cards = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) prefixes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) phone_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) card_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) name_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) page_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *size_text = NULL;
  g_autofree char *note = NULL;
  const char      *path;
  GStatBuf         st;
  gint64           queries = DEFAULT_QUERIES;
  gint64           customers, purchases, max_rowid, last_sale, found, started, changed;
  gint64           name_rows = 0, page_rows = 0;
  SkSummary        summary;
  sqlite3_stmt    *stmt;

  setlocale (LC_ALL, "");
  if (argc < 2)
    {
      g_printerr (
          "Usage: %s FILE [QUERIES]\n"
          "  FILE from: skidka-cli --db FILE demo --customers 1000000 --purchases 10000000\n",
          argv[0]);
      return 2;
    }
  path = argv[1];
  if (argc > 2)
    queries = MAX (1, g_ascii_strtoll (argv[2], NULL, 10));
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("%s: no such file\n", path);
      return 1;
    }

  started = g_get_monotonic_time ();
  db = sk_database_open (path, &error);
  if (db == NULL)
    g_error ("%s", error->message);
  started = g_get_monotonic_time () - started;

  customers = sk_database_count_customers (db, NULL);
  purchases = sk_db_query_int (db, NULL, 0,
                               "SELECT count(*) FROM purchases INDEXED BY purchases_time", NULL);
  max_rowid = sk_db_query_int (db, NULL, 0, "SELECT max (rowid) FROM customers", NULL);
  last_sale
      = sk_db_query_int (db, NULL, sk_time_now (), "SELECT max (created_at) FROM purchases", NULL);
  g_stat (path, &st);
  size_text = g_format_size (st.st_size);
  g_print ("bench-scale: %s: %s, %" G_GINT64_FORMAT " customers, %" G_GINT64_FORMAT " purchases\n",
           path, size_text, customers, purchases);
  print_once ("open (migrations checked)", started, NULL);
  if (customers == 0)
    g_error ("The file has no customers; make it with skidka-cli demo");

  /* Random customers to look for, as a till would be asked. */
  g_assert (
      sqlite3_prepare_v2 (sk_database_get_handle (db),
                          "SELECT phone, card_number, full_name FROM customers WHERE rowid >= ?"
                          " ORDER BY rowid LIMIT 1",
                          -1, &stmt, NULL)
      == SQLITE_OK);
  for (gint64 i = 0; i < queries; i++)
    {
      sqlite3_reset (stmt);
      sqlite3_bind_int64 (stmt, 1, 1 + (gint64)(g_rand_double (rand) * max_rowid));
      if (sqlite3_step (stmt) != SQLITE_ROW)
        continue;
      g_ptr_array_add (phones, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (cards, g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
      g_ptr_array_add (prefixes, name_prefix ((const char *)sqlite3_column_text (stmt, 2)));
    }
  sqlite3_reset (stmt);

  g_print ("\n  %-40s %9s %9s %9s %9s   (ms, %u queries)\n", "lookup", "median", "p95", "max",
           "mean", phones->len);
  found = 0;
  for (guint i = 0; i < phones->len; i++)
    {
      g_autoptr (SkCustomer) customer = NULL;
      /* Typed the way people type it: 8 912 345-67-89. */
      const char      *phone = g_ptr_array_index (phones, i);
      g_autofree char *typed
          = g_strdup_printf ("8 %.3s %.3s-%.2s-%.2s", phone + 2, phone + 5, phone + 8, phone + 10);

      started = g_get_monotonic_time ();
      customer = sk_database_lookup_customer (db, typed, NULL);
      started = g_get_monotonic_time () - started;
      g_array_append_val (phone_usec, started);
      found += customer != NULL;
    }
  print_latencies ("sk_database_lookup_customer (phone)", phone_usec, found);

  found = 0;
  for (guint i = 0; i < cards->len; i++)
    {
      g_autoptr (SkCustomer) customer = NULL;

      started = g_get_monotonic_time ();
      customer = sk_database_lookup_customer (db, g_ptr_array_index (cards, i), NULL);
      started = g_get_monotonic_time () - started;
      g_array_append_val (card_usec, started);
      found += customer != NULL;
    }
  print_latencies ("sk_database_lookup_customer (card)", card_usec, found);

  for (guint i = 0; i < prefixes->len; i++)
    {
      g_autoptr (GPtrArray) rows = NULL;
      g_autoptr (GPtrArray) next_rows = NULL;
      g_autofree char *next = NULL;

      started = g_get_monotonic_time ();
      rows = sk_database_search_customers (db, g_ptr_array_index (prefixes, i), NULL, 50, &next,
                                           &error);
      started = g_get_monotonic_time () - started;
      if (rows == NULL)
        g_error ("%s", error->message);
      g_array_append_val (name_usec, started);
      name_rows += rows->len;
      if (next == NULL)
        continue;
      /* The second page, as a list scrolled down. */
      started = g_get_monotonic_time ();
      next_rows = sk_database_search_customers (db, g_ptr_array_index (prefixes, i), next, 50, NULL,
                                                &error);
      started = g_get_monotonic_time () - started;
      if (next_rows == NULL)
        g_error ("%s", error->message);
      g_array_append_val (page_usec, started);
      page_rows += next_rows->len;
    }
  print_latencies ("sk_database_search_customers (name, 50)", name_usec, name_rows);
  if (page_usec->len > 0)
    print_latencies ("  ... its second page", page_usec, page_rows);

  g_print ("\n");
  /* The last 30 days of sales, twice: cold, then with the pages cached. */
  for (int round = 0; round < 2; round++)
    {
      started = g_get_monotonic_time ();
      if (!sk_analytics_summary (db, last_sale - 30 * G_TIME_SPAN_DAY, last_sale + 1, NULL,
                                 &summary, &error))
        g_error ("%s", error->message);
      started = g_get_monotonic_time () - started;
      g_free (note);
      note = g_strdup_printf ("%" G_GINT64_FORMAT " purchases, %" G_GINT64_FORMAT " customers",
                              summary.purchases, summary.customers);
      print_once (round == 0 ? "sk_analytics_summary, 30 days (cold)"
                             : "sk_analytics_summary, 30 days (warm)",
                  started, note);
    }
  {
    g_autoptr (GArray) daily = NULL;
    g_autoptr (GArray) segments = NULL;
    g_autoptr (GArray) rules = NULL;

    started = g_get_monotonic_time ();
    daily = sk_analytics_daily (db, last_sale - 30 * G_TIME_SPAN_DAY, last_sale + 1, NULL, &error);
    started = g_get_monotonic_time () - started;
    if (daily == NULL)
      g_error ("%s", error->message);
    g_free (note);
    note = g_strdup_printf ("%u days", daily->len);
    print_once ("sk_analytics_daily, 30 days", started, note);

    started = g_get_monotonic_time ();
    segments = sk_analytics_segments (db, &error);
    started = g_get_monotonic_time () - started;
    if (segments == NULL)
      g_error ("%s", error->message);
    print_once ("sk_analytics_segments", started, NULL);

    started = g_get_monotonic_time ();
    rules = sk_analytics_rule_effectiveness (db, last_sale - 30 * G_TIME_SPAN_DAY, last_sale + 1,
                                             NULL, &error);
    started = g_get_monotonic_time () - started;
    if (rules == NULL)
      g_error ("%s", error->message);
    g_free (note);
    note = g_strdup_printf ("%u rules", rules->len);
    print_once ("sk_analytics_rule_effectiveness, 30 days", started, note);
  }

  started = g_get_monotonic_time ();
  changed = sk_database_update_segments (db, &error);
  started = g_get_monotonic_time () - started;
  if (changed < 0)
    g_error ("%s", error->message);
  g_free (note);
  note = g_strdup_printf ("%" G_GINT64_FORMAT " customers changed", changed);
  print_once ("sk_database_update_segments (everyone)", started, note);
  return 0;
}
