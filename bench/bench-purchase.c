/* bench-purchase.c: the cost of a sale through the purchase pipeline against
 * a bare SQLite transaction that writes the same rows with no logic.
 * Usage: bench-purchase [N]   (N purchases, default 2000)
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <stdlib.h>

#include "bench-util.h"
#include "sk-database-private.h"
#include "sk-demo.h"

#define DEFAULT_N   2000
#define N_CUSTOMERS 1000

/* One stored row, as SQLite values, to be written again elsewhere. */
typedef struct
{
  int             n;
  sqlite3_value **values;
} Row;

static void
row_free (gpointer data)
{
  Row *row = data;

  for (int i = 0; i < row->n; i++)
    sqlite3_value_free (row->values[i]);
  g_free (row->values);
  g_free (row);
}

/* Everything the baseline writes for one sale. */
typedef struct
{
  GPtrArray *purchase; /* Row, one */
  GPtrArray *lines;
  GPtrArray *applications;
  GPtrArray *bonus;
  char      *customer_id; /* NULL: anonymous */
  gint64     visits;
  gint64     total_spent;
  gint64     last_purchase_at;
  gint64     bonus_balance;
  char      *segment;
  GPtrArray *extra;        /* Row: outbox, notifications, segment history */
  GPtrArray *extra_tables; /* const char *: the table of each extra row */
  SkCart    *cart;         /* to price it again, alone */
  char      *buyer_id;
} Sale;

static void
sale_clear (Sale *sale)
{
  g_ptr_array_unref (sale->purchase);
  g_ptr_array_unref (sale->lines);
  g_ptr_array_unref (sale->applications);
  g_ptr_array_unref (sale->bonus);
  g_free (sale->customer_id);
  g_free (sale->segment);
  g_ptr_array_unref (sale->extra);
  g_ptr_array_unref (sale->extra_tables);
  sk_cart_free (sale->cart);
  g_free (sale->buyer_id);
}

typedef struct
{
  double mean;
  double median;
  double p95;
} Figures;

static Figures
figures_of (GArray *usec)
{
  Figures f = { 0 };
  gint64  sum = 0;

  if (usec->len == 0)
    return f;
  for (guint i = 0; i < usec->len; i++)
    sum += g_array_index (usec, gint64, i);
  bench_sort_usec (usec);
  f.mean = (double)sum / usec->len / 1000.0;
  f.median = bench_percentile_ms (usec, 50);
  f.p95 = bench_percentile_ms (usec, 95);
  return f;
}

static SkDatabase *
open_chain (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (path, &error);
  SkDemoOptions options = { .customers = N_CUSTOMERS, .purchases = 0, .days = 30, .seed = 1 };

  if (db == NULL || !sk_demo_generate (db, &options, NULL, &error))
    g_error ("Cannot make the bench database %s: %s", path, error->message);
  return g_steal_pointer (&db);
}

static GPtrArray *
read_rows (SkDatabase *db, const char *sql, const char *id)
{
  GPtrArray    *rows = g_ptr_array_new_with_free_func (row_free);
  sqlite3_stmt *stmt = NULL;

  g_assert (sqlite3_prepare_v2 (sk_database_get_handle (db), sql, -1, &stmt, NULL) == SQLITE_OK);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      Row *row = g_new0 (Row, 1);

      row->n = sqlite3_column_count (stmt);
      row->values = g_new0 (sqlite3_value *, row->n);
      for (int i = 0; i < row->n; i++)
        row->values[i] = sqlite3_value_dup (sqlite3_column_value (stmt, i));
      g_ptr_array_add (rows, row);
    }
  sqlite3_finalize (stmt);
  return rows;
}

static sqlite3_stmt *
prepare_insert (sqlite3 *handle, const char *table, int n_columns)
{
  g_autoptr (GString) sql = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_string_printf (sql, "INSERT INTO %s VALUES (", table);
  for (int i = 0; i < n_columns; i++)
    g_string_append (sql, i == 0 ? "?" : ", ?");
  g_string_append (sql, ")");
  if (sqlite3_prepare_v2 (handle, sql->str, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql->str, sqlite3_errmsg (handle));
  return stmt;
}

static int
table_columns (sqlite3 *handle, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s LIMIT 0", table);
  sqlite3_stmt    *stmt = NULL;
  int              n;

  g_assert (sqlite3_prepare_v2 (handle, sql, -1, &stmt, NULL) == SQLITE_OK);
  n = sqlite3_column_count (stmt);
  sqlite3_finalize (stmt);
  return n;
}

static void
insert_rows (sqlite3 *handle, sqlite3_stmt *stmt, GPtrArray *rows)
{
  for (guint r = 0; r < rows->len; r++)
    {
      Row *row = g_ptr_array_index (rows, r);

      for (int i = 0; i < row->n; i++)
        sqlite3_bind_value (stmt, i + 1, row->values[i]);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("Baseline insert: %s", sqlite3_errmsg (handle));
      sqlite3_reset (stmt);
    }
}

static void
exec_or_die (sqlite3 *handle, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (handle, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* The statements that write a sale's rows as they are, with no logic. */
typedef struct
{
  sqlite3      *handle;
  sqlite3_stmt *insert_purchase, *insert_line, *insert_application, *insert_bonus;
  sqlite3_stmt *update_customer;
} SaleWriter;

static void
sale_writer_init (SaleWriter *w, sqlite3 *handle)
{
  w->handle = handle;
  w->insert_purchase = prepare_insert (handle, "purchases", table_columns (handle, "purchases"));
  w->insert_line
      = prepare_insert (handle, "purchase_lines", table_columns (handle, "purchase_lines"));
  w->insert_application = prepare_insert (handle, "discount_applications",
                                          table_columns (handle, "discount_applications"));
  w->insert_bonus
      = prepare_insert (handle, "bonus_transactions", table_columns (handle, "bonus_transactions"));
  if (sqlite3_prepare_v2 (handle,
                          "UPDATE customers SET visits = ?, total_spent = ?, last_purchase_at = ?,"
                          " bonus_balance = ?, segment = ? WHERE id = ?",
                          -1, &w->update_customer, NULL)
      != SQLITE_OK)
    g_error ("%s", sqlite3_errmsg (handle));
}

static void
sale_writer_clear (SaleWriter *w)
{
  sqlite3_finalize (w->insert_purchase);
  sqlite3_finalize (w->insert_line);
  sqlite3_finalize (w->insert_application);
  sqlite3_finalize (w->insert_bonus);
  sqlite3_finalize (w->update_customer);
}

/* The purchase, its lines, discounts and bonus rows. */
static void
sale_writer_insert_rows (SaleWriter *w, Sale *sale)
{
  insert_rows (w->handle, w->insert_purchase, sale->purchase);
  insert_rows (w->handle, w->insert_line, sale->lines);
  insert_rows (w->handle, w->insert_application, sale->applications);
  insert_rows (w->handle, w->insert_bonus, sale->bonus);
}

/* The buyer's figures as the pipeline left them (none for an anonymous sale). */
static void
sale_writer_update_customer (SaleWriter *w, Sale *sale)
{
  if (sale->customer_id == NULL)
    return;
  sqlite3_bind_int64 (w->update_customer, 1, sale->visits);
  sqlite3_bind_int64 (w->update_customer, 2, sale->total_spent);
  sqlite3_bind_int64 (w->update_customer, 3, sale->last_purchase_at);
  sqlite3_bind_int64 (w->update_customer, 4, sale->bonus_balance);
  sqlite3_bind_text (w->update_customer, 5, sale->segment, -1, SQLITE_STATIC);
  sqlite3_bind_text (w->update_customer, 6, sale->customer_id, -1, SQLITE_STATIC);
  if (sqlite3_step (w->update_customer) != SQLITE_DONE)
    g_error ("Customer update: %s", sqlite3_errmsg (w->handle));
  sqlite3_reset (w->update_customer);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *pipeline_path = NULL;
  g_autofree char *baseline_path = NULL;
  g_autoptr (SkDatabase) pipeline_db = NULL;
  g_autoptr (SkDatabase) baseline_db = NULL;
  g_autoptr (GPtrArray) customers = NULL;
  g_autoptr (GPtrArray) stores = NULL;
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (GArray) pipeline_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) baseline_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) calculate_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) full_usec = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *full_path = NULL;
  g_autoptr (SkDatabase) full_db = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autofree Sale *sales = NULL;
  SaleWriter       writer;
  sqlite3         *handle;
  gint64           n = DEFAULT_N;
  gint64           lines = 0, applications = 0, bonus_rows = 0;
  gint64           synchronous;
  Figures          p, b, calc, full;

  setlocale (LC_ALL, "");
  if (argc > 1)
    n = g_ascii_strtoll (argv[1], NULL, 10);
  if (n <= 0)
    {
      g_printerr ("Usage: %s [N]  (N purchases, default %d)\n", argv[0], DEFAULT_N);
      return 2;
    }

  dir = g_dir_make_tmp ("skidka-bench-XXXXXX", &error);
  g_assert_no_error (error);
  pipeline_path = g_build_filename (dir, "pipeline.db", NULL);
  baseline_path = g_build_filename (dir, "baseline.db", NULL);
  full_path = g_build_filename (dir, "full.db", NULL);

  /* Two identical chains (stores, products, rules, campaigns, customers),
   * no sales yet, in files with the store's own settings. */
  pipeline_db = open_chain (pipeline_path);
  baseline_db = open_chain (baseline_path);
  full_db = open_chain (full_path);
  synchronous = sk_db_query_int (pipeline_db, NULL, -1, "PRAGMA synchronous", NULL);

  customers = sk_database_search_customers (pipeline_db, NULL, NULL, N_CUSTOMERS, NULL, &error);
  stores = customers ? sk_database_list_stores (pipeline_db, &error) : NULL;
  products = stores ? sk_database_list_products (pipeline_db, &error) : NULL;
  if (products == NULL)
    g_error ("%s", error->message);

  /* 1. The pipeline, one transaction per sale, as a till does it. */
  sales = g_new0 (Sale, n);
  for (gint64 i = 0; i < n; i++)
    {
      g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
      g_autoptr (SkPurchaseResult) result = NULL;
      SkCustomer *customer
          = g_rand_int_range (rand, 0, 100) < 85
                ? g_ptr_array_index (customers, g_rand_int_range (rand, 0, customers->len))
                : NULL;
      SkStore *store = g_ptr_array_index (stores, g_rand_int_range (rand, 0, stores->len));
      guint    n_lines = g_rand_int_range (rand, 1, 6);
      gint64   started;
      gint64   outbox_before
          = sk_db_query_int (pipeline_db, NULL, 0, "SELECT max (seq) FROM sync_outbox", NULL);
      gint64 notification_before
          = sk_db_query_int (pipeline_db, NULL, 0, "SELECT max (rowid) FROM notifications", NULL);
      gint64 segment_before
          = sk_db_query_int (pipeline_db, NULL, 0, "SELECT max (id) FROM customer_segments", NULL);
      static const char *const extra_tables[]
          = { "sync_outbox", "notifications", "customer_segments" };

      request->id = g_uuid_string_random ();
      request->customer_id = customer ? g_strdup (customer->id) : NULL;
      request->cart = sk_cart_new (store->id);
      for (guint l = 0; l < n_lines; l++)
        {
          SkProduct *product
              = g_ptr_array_index (products, g_rand_int_range (rand, 0, products->len));

          sk_cart_add_line (request->cart, product->sku, product->name, product->category,
                            product->price, g_rand_int_range (rand, 1, 4));
        }
      /* Some spend bonuses, where the store lets a whole sale be paid so. */
      if (customer != NULL && customer->bonus_balance >= 1000 && store->max_bonus_share == 10000
          && g_rand_int_range (rand, 0, 100) < 20)
        request->bonus_to_spend = 1000;

      started = g_get_monotonic_time ();
      result = sk_database_process_purchase (pipeline_db, request, &error);
      started = g_get_monotonic_time () - started;
      if (result == NULL)
        g_error ("Purchase %" G_GINT64_FORMAT ": %s", i, error->message);
      g_array_append_val (pipeline_usec, started);
      if (customer != NULL)
        customer->bonus_balance = result->customer->bonus_balance;

      sales[i].purchase
          = read_rows (pipeline_db, "SELECT * FROM purchases WHERE id = ?", request->id);
      sales[i].lines = read_rows (pipeline_db, "SELECT * FROM purchase_lines WHERE purchase_id = ?",
                                  request->id);
      sales[i].applications = read_rows (
          pipeline_db, "SELECT * FROM discount_applications WHERE purchase_id = ?", request->id);
      sales[i].bonus = read_rows (pipeline_db,
                                  "SELECT * FROM bonus_transactions WHERE purchase_id = ?"
                                  " ORDER BY rowid",
                                  request->id);
      sales[i].extra = g_ptr_array_new_with_free_func (row_free);
      sales[i].extra_tables = g_ptr_array_new ();
      for (guint t = 0; t < G_N_ELEMENTS (extra_tables); t++)
        {
          const char *sql[] = {
            "SELECT * FROM sync_outbox WHERE seq > CAST (? AS INTEGER) ORDER BY seq",
            "SELECT * FROM notifications WHERE rowid > CAST (? AS INTEGER) ORDER BY rowid",
            "SELECT * FROM customer_segments WHERE id > CAST (? AS INTEGER) ORDER BY id",
          };
          gint64           after[] = { outbox_before, notification_before, segment_before };
          g_autofree char *from = g_strdup_printf ("%" G_GINT64_FORMAT, after[t]);
          g_autoptr (GPtrArray) rows = read_rows (pipeline_db, sql[t], from);

          for (guint r = 0; r < rows->len; r++)
            {
              g_ptr_array_add (sales[i].extra, g_ptr_array_steal_index (rows, r--));
              g_ptr_array_add (sales[i].extra_tables, (gpointer)extra_tables[t]);
            }
        }
      sales[i].cart = g_steal_pointer (&request->cart);
      sales[i].buyer_id = g_strdup (request->customer_id);
      lines += sales[i].lines->len;
      applications += sales[i].applications->len;
      bonus_rows += sales[i].bonus->len;
      if (result->customer != NULL)
        {
          SkCustomer *c = result->customer;

          sales[i].customer_id = g_strdup (c->id);
          sales[i].visits = c->visits;
          sales[i].total_spent = c->total_spent;
          sales[i].last_purchase_at = c->last_purchase_at;
          sales[i].bonus_balance = c->bonus_balance;
          sales[i].segment = g_strdup (c->segment);
        }
    }

  /* Of which: what the engine gives, rules and customer read from the file. */
  for (gint64 i = 0; i < n; i++)
    {
      g_autoptr (SkEngineResult) quote = NULL;
      gint64 started = g_get_monotonic_time ();

      quote = sk_database_calculate (pipeline_db, sales[i].cart, sales[i].buyer_id, 0, &error);
      started = g_get_monotonic_time () - started;
      if (quote == NULL)
        g_error ("%s", error->message);
      g_array_append_val (calculate_usec, started);
    }

  /* 2. The same rows, each sale in a bare transaction, no logic. */
  handle = sk_database_get_handle (baseline_db);
  sale_writer_init (&writer, handle);

  for (gint64 i = 0; i < n; i++)
    {
      Sale  *sale = &sales[i];
      gint64 started = g_get_monotonic_time ();

      exec_or_die (handle, "BEGIN IMMEDIATE");
      sale_writer_insert_rows (&writer, sale);
      sale_writer_update_customer (&writer, sale);
      exec_or_die (handle, "COMMIT");
      started = g_get_monotonic_time () - started;
      g_array_append_val (baseline_usec, started);
    }
  sale_writer_clear (&writer);

  /* 3. Every row the pipeline writes, counters included, still no logic. */
  handle = sk_database_get_handle (full_db);
  sale_writer_init (&writer, handle);
  {
    sqlite3_stmt *insert_extra[3] = {
      prepare_insert (handle, "sync_outbox", table_columns (handle, "sync_outbox")),
      prepare_insert (handle, "notifications", table_columns (handle, "notifications")),
      prepare_insert (handle, "customer_segments", table_columns (handle, "customer_segments")),
    };
    sqlite3_stmt *counters[3] = { NULL };

    g_assert (sqlite3_prepare_v2 (handle, "UPDATE discount_rules SET uses = uses + 1 WHERE id = ?",
                                  -1, &counters[0], NULL)
              == SQLITE_OK);
    g_assert (
        sqlite3_prepare_v2 (
            handle,
            "INSERT INTO rule_customer_uses (rule_id, customer_id, uses)"
            " VALUES (?, ?, 1) ON CONFLICT (customer_id, rule_id) DO UPDATE SET uses = uses + 1",
            -1, &counters[1], NULL)
        == SQLITE_OK);
    g_assert (sqlite3_prepare_v2 (handle,
                                  "UPDATE campaigns SET spent = spent + ?2 WHERE id ="
                                  " (SELECT campaign_id FROM discount_rules WHERE id = ?1)",
                                  -1, &counters[2], NULL)
              == SQLITE_OK);
    for (gint64 i = 0; i < n; i++)
      {
        Sale  *sale = &sales[i];
        gint64 started = g_get_monotonic_time ();

        exec_or_die (handle, "BEGIN IMMEDIATE");
        sale_writer_insert_rows (&writer, sale);
        for (guint r = 0; r < sale->applications->len; r++)
          {
            Row *app = g_ptr_array_index (sale->applications, r);

            /* discount_applications: id, purchase_id, rule_id, rule_name, customer_id, store_id,
             * amount */
            for (guint k = 0; k < 3; k++)
              {
                if (k == 1 && sale->customer_id == NULL)
                  continue;
                sqlite3_bind_value (counters[k], 1, app->values[2]);
                sqlite3_bind_value (counters[k], 2, k == 1 ? app->values[4] : app->values[6]);
                if (sqlite3_step (counters[k]) != SQLITE_DONE)
                  g_error ("Counters: %s", sqlite3_errmsg (handle));
                sqlite3_reset (counters[k]);
              }
          }
        for (guint r = 0; r < sale->extra->len; r++)
          {
            const char *table = g_ptr_array_index (sale->extra_tables, r);
            g_autoptr (GPtrArray) one = g_ptr_array_new ();
            guint t = g_str_equal (table, "sync_outbox")     ? 0
                      : g_str_equal (table, "notifications") ? 1
                                                             : 2;

            g_ptr_array_add (one, g_ptr_array_index (sale->extra, r));
            insert_rows (handle, insert_extra[t], one);
          }
        sale_writer_update_customer (&writer, sale);
        exec_or_die (handle, "COMMIT");
        started = g_get_monotonic_time () - started;
        g_array_append_val (full_usec, started);
      }
    for (guint k = 0; k < 3; k++)
      {
        sqlite3_finalize (insert_extra[k]);
        sqlite3_finalize (counters[k]);
      }
  }
  sale_writer_clear (&writer);

  p = figures_of (pipeline_usec);
  b = figures_of (baseline_usec);
  calc = figures_of (calculate_usec);
  full = figures_of (full_usec);
  g_print ("bench-purchase: %" G_GINT64_FORMAT " purchases, %d customers, files in %s\n", n,
           N_CUSTOMERS, dir);
  g_print ("  per sale: %.2f lines, %.2f discount applications, %.2f bonus rows; journal WAL, "
           "synchronous=%" G_GINT64_FORMAT "\n",
           (double)lines / n, (double)applications / n, (double)bonus_rows / n, synchronous);
  g_print ("  %-40s %9s %9s %9s\n", "ms per purchase", "mean", "median", "p95");
  g_print ("  %-40s %9.3f %9.3f %9.3f\n", "sk_database_process_purchase", p.mean, p.median, p.p95);
  g_print ("  %-40s %9.3f %9.3f %9.3f\n", "  of which sk_database_calculate", calc.mean,
           calc.median, calc.p95);
  g_print ("  %-40s %9.3f %9.3f %9.3f\n", "bare transaction: purchase, lines,", b.mean, b.median,
           b.p95);
  g_print ("  %-40s\n", "  applications, bonus rows, customer");
  g_print ("  %-40s %9.3f %9.3f %9.3f\n", "bare transaction: every row it writes", full.mean,
           full.median, full.p95);
  g_print ("  %-40s\n", "  (+ outbox, notifications, counters)");
  g_print ("  ratio pipeline / bare: %.2f (mean), %.2f (median); target <= 1.5\n", p.mean / b.mean,
           p.median / b.median);
  g_print ("  ratio pipeline / bare with every row: %.2f (mean), %.2f (median)\n",
           p.mean / full.mean, p.median / full.median);

  for (gint64 i = 0; i < n; i++)
    sale_clear (&sales[i]);
  g_clear_object (&pipeline_db);
  g_clear_object (&baseline_db);
  g_clear_object (&full_db);
  bench_remove_dir (dir);
  return 0;
}
