/* bench-app.c: the desktop app's figures on a database of any size: time to
 * the first frame, search-to-list time, resident memory with the customers
 * list scrolled to the end, checkout recompute per cart change.
 * Run: xvfb-run -a bench-app /tmp/scale.db  (GSETTINGS_SCHEMA_DIR=<build>/data)
 * The resident memory is VmRSS, then what it is made of; with
 * SKIDKA_BENCH_MAPPINGS=N, also the N largest mappings (a file's name,
 * [heap], [anon] for the others).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>

#include "bench-util.h"
#include "sk-application.h"
#include "sk-checkout-view.h"
#include "sk-customer-list-model.h"
#include "sk-customers-view.h"
#include "sk-model-private.h"
#include "sk-widgets.h"
#include "sk-window.h"

static gint64 start_time;
static gint64 first_frame_time;

static void
pump_until (gboolean (*done) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while ((done == NULL || !done (data)) && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (500);
}

static gboolean
priced (gpointer checkout)
{
  return !sk_checkout_view_get_calculating (checkout);
}

static gboolean
have_first_frame (gpointer data)
{
  return first_frame_time != 0;
}

static void
after_paint_cb (GdkFrameClock *clock, gpointer data)
{
  if (first_frame_time == 0)
    first_frame_time = g_get_monotonic_time ();
}

static void
window_realize_cb (GtkWidget *window, gpointer data)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
}

static gboolean
not_loading (gpointer model)
{
  return !sk_customer_list_model_get_loading (model);
}

typedef struct
{
  SkCustomerListModel *model;
  guint                center;
} Visible;

/* The rows around the middle of the view are there. */
static gboolean
visible_loaded (gpointer data)
{
  Visible *v = data;
  guint    n = g_list_model_get_n_items (G_LIST_MODEL (v->model));

  /* What the rows show (a row keeps its customer when its page leaves
   * the cache); the list holds these rows already. */
  for (guint i = v->center > 8 ? v->center - 8 : 0; i < v->center + 8 && i < n; i++)
    {
      g_autoptr (SkCustomerRow) row = g_list_model_get_item (G_LIST_MODEL (v->model), i);

      if (sk_customer_row_get_customer (row) == NULL)
        return FALSE;
    }
  return TRUE;
}

static gboolean
last_loaded (gpointer model)
{
  return sk_customer_list_model_is_loaded (model, g_list_model_get_n_items (model) - 1);
}

static gint64
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char      *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : -1;
}

/* A field of /proc/self/smaps_rollup, in kB (0 if missing). */
static gint64
rollup_kb (const char *rollup, const char *field)
{
  g_autofree char *key = g_strconcat ("\n", field, ":", NULL);
  const char      *p = strstr (rollup, key);

  return p ? g_ascii_strtoll (p + strlen (key), NULL, 10) : 0;
}

typedef struct
{
  char  *name;
  gint64 rss_kb;
  gint64 anon_kb;
} Mapping;

static void
mapping_free (gpointer data)
{
  Mapping *m = data;

  g_free (m->name);
  g_free (m);
}

static int
compare_mapping (gconstpointer a, gconstpointer b)
{
  const Mapping *x = *(Mapping *const *)a, *y = *(Mapping *const *)b;

  return (y->rss_kb > x->rss_kb) - (y->rss_kb < x->rss_kb);
}

/* The @n_top largest parts of the resident memory by what is mapped. */
static void
print_mappings (guint n_top)
{
  g_autofree char *smaps = NULL;
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (mapping_free);
  g_auto (GStrv) lines = NULL;
  Mapping *current = NULL;

  if (!g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL))
    return;
  lines = g_strsplit (smaps, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      /* "start-end perms offset dev inode [path]" opens each mapping. */
      if (g_ascii_isxdigit (**l) && strchr (*l, '-') != NULL && strchr (*l, ':') > strchr (*l, ' '))
        {
          g_auto (GStrv) fields = g_strsplit_set (*l, " ", -1);
          const char      *path = NULL;
          g_autofree char *name = NULL;

          for (guint i = 5; fields[i] != NULL && path == NULL; i++)
            if (*fields[i] != '\0')
              path = fields[i];
          name = path == NULL   ? g_strdup ("[anon]")
                 : *path == '/' ? g_path_get_basename (path)
                                : g_strdup (path);
          current = g_hash_table_lookup (by_name, name);
          if (current == NULL)
            {
              current = g_new0 (Mapping, 1);
              current->name = g_steal_pointer (&name);
              g_hash_table_insert (by_name, current->name, current);
              g_ptr_array_add (all, current);
            }
        }
      else if (current != NULL && g_str_has_prefix (*l, "Rss:"))
        current->rss_kb += g_ascii_strtoll (*l + 4, NULL, 10);
      else if (current != NULL && g_str_has_prefix (*l, "Anonymous:"))
        current->anon_kb += g_ascii_strtoll (*l + 10, NULL, 10);
    }
  g_ptr_array_sort (all, compare_mapping);
  for (guint i = 0; i < all->len && i < n_top; i++)
    {
      Mapping *m = g_ptr_array_index (all, i);

      printf ("    %-36s %7.1f MB resident, %7.1f MB of it anonymous\n", m->name,
              m->rss_kb / 1024.0, m->anon_kb / 1024.0);
    }
}

/* What the resident memory is made of: pages of files (libraries, fonts;
 * some shared with other processes, as Xvfb shares Mesa's) and anonymous
 * memory, most of it malloc's. */
static void
print_memory_breakdown (void)
{
  g_autofree char *rollup = NULL;
  struct mallinfo2 mi = mallinfo2 ();
  const char      *n_top = g_getenv ("SKIDKA_BENCH_MAPPINGS");

  if (!g_file_get_contents ("/proc/self/smaps_rollup", &rollup, NULL, NULL))
    return;
  printf ("  of which anonymous %.1f MB, file pages %.1f MB (%.1f MB of all shared with other "
          "processes)\n",
          rollup_kb (rollup, "Anonymous") / 1024.0,
          (rollup_kb (rollup, "Rss") - rollup_kb (rollup, "Anonymous")) / 1024.0,
          (rollup_kb (rollup, "Shared_Clean") + rollup_kb (rollup, "Shared_Dirty")) / 1024.0);
  /* Allocated is not resident until written: the sums differ. */
  printf ("  malloc: %.1f MB allocated (SQLite %.1f MB of it), %.1f MB free in its heaps\n",
          (mi.uordblks + mi.hblkhd) / 1048576.0, sqlite3_memory_used () / 1048576.0,
          mi.fordblks / 1048576.0);
  if (n_top != NULL)
    print_mappings (MAX (1, g_ascii_strtoull (n_top, NULL, 10)));
}

/* Types @query one character at a time, as a cashier would, and times each
 * update of the list (count + first page on the worker, then the model). */
static void
bench_search (SkCustomerListModel *model, const char *label, const char *query)
{
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  glong n_chars = g_utf8_strlen (query, -1);

  for (glong k = 1; k <= n_chars; k++)
    {
      g_autofree char *typed = g_utf8_substring (query, 0, k);
      gint64           t;

      sk_customer_list_model_set_query (model, typed);
      pump_until (not_loading, model, 60000);
      t = sk_customer_list_model_get_search_usec (model);
      g_array_append_val (times, t);
      /* The list draws, and asks for the rows on screen, between keystrokes. */
      pump_until (NULL, NULL, 30);
    }
  bench_sort_usec (times);
  printf ("search %-16s %-22s %2u keystrokes, %7u rows at the end: median %6.1f ms, max %6.1f ms\n",
          label, query, times->len, g_list_model_get_n_items (G_LIST_MODEL (model)),
          bench_percentile_ms (times, 50), bench_percentile_ms (times, 100));
}

int
main (int argc, char *argv[])
{
  g_autoptr (SkApplication) app = NULL;
  g_autoptr (SkDatabase) bench_db = NULL;
  g_autoptr (GError) error = NULL;
  SkWindow            *window;
  SkCustomersView     *customers;
  SkCustomerListModel *model;
  SkCheckoutView      *checkout;
  GtkAdjustment       *adj;
  g_autoptr (SkCustomer) sample = NULL;
  gint64 t, total;
  int    changes = 0;

  start_time = g_get_monotonic_time ();
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s DATABASE\n", argv[0]);
      return 2;
    }
  g_setenv ("SKIDKA_NO_DIALOGS", "1", TRUE);
  if (g_getenv ("GSETTINGS_BACKEND") == NULL)
    g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  gtk_init ();

  app = g_object_new (SK_TYPE_APPLICATION, "application-id", "org.skidka.Skidka.Bench", "flags",
                      G_APPLICATION_NON_UNIQUE, "resource-base-path", "/org/skidka/Skidka",
                      "db-path", argv[1], NULL);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  window = sk_window_new (app);
  g_signal_connect (window, "realize", G_CALLBACK (window_realize_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
  pump_until (have_first_frame, NULL, 30000);
  printf ("first frame                 %8.1f ms after start (target < 1000)\n",
          (first_frame_time - start_time) / 1000.0);
  printf ("rss after first frame       %8.1f MB\n", rss_kb () / 1024.0);
  print_memory_breakdown ();

  /* Checkout: recompute per cart change */
  checkout = SK_CHECKOUT_VIEW (sk_window_get_view (window, "checkout"));
  /* The bench's own connection: the app's are its repository's. */
  bench_db = sk_database_open (sk_application_get_db_path (app), &error);
  g_assert_no_error (error);
  {
    g_autoptr (GPtrArray) some = sk_database_search_customers (bench_db, "", NULL, 50, NULL, NULL);
    sample = g_object_ref (g_ptr_array_index (some, 37));
  }
  sk_checkout_view_set_customer (checkout, sample);
  {
    g_autoptr (GPtrArray) products = sk_database_list_products (bench_db, NULL);

    for (guint i = 0; i < 10 && i < products->len; i++)
      {
        SkProduct *p = g_ptr_array_index (products, i * 3 % products->len);

        sk_checkout_view_add_line (checkout, p->sku, p->name, p->category, p->price, 1);
      }
    pump_until (priced, checkout, 30000);
  }
  total = 0;
  for (int i = 0; i < 200; i++, changes++)
    {
      /* Every change differs from the line's quantity before it. */
      sk_checkout_view_set_quantity (checkout, i % sk_checkout_view_get_n_lines (checkout),
                                     2 + i % 7);
      /* Priced on a worker: the time is from the change to the figures. */
      pump_until (priced, checkout, 30000);
      total += sk_checkout_view_get_recompute_usec (checkout);
    }
  printf (
      "checkout recompute          %8.3f ms per cart change, %u lines (%d changes, target < 2)\n",
      total / 1000.0 / changes, sk_checkout_view_get_n_lines (checkout), changes);
  sk_checkout_view_set_customer (checkout, NULL);

  /* Customers: search as you type */
  sk_window_show_view (window, "customers");
  customers = SK_CUSTOMERS_VIEW (sk_window_get_view (window, "customers"));
  model = sk_customers_view_get_model (customers);
  t = g_get_monotonic_time ();
  pump_until (not_loading, model, 60000);
  pump_until (NULL, NULL, 200);
  printf ("customers view opened       %8.1f ms, %u customers\n",
          (g_get_monotonic_time () - t) / 1000.0, g_list_model_get_n_items (G_LIST_MODEL (model)));

  bench_search (model, "phone", sample->phone);
  bench_search (model, "card", sample->card_number);
  bench_search (model, "name", sample->full_name);
  t = g_get_monotonic_time ();
  sk_customer_list_model_set_query (model, "");
  pump_until (not_loading, model, 60000);
  printf ("search cleared (everyone)    %7.1f ms\n",
          sk_customer_list_model_get_search_usec (model) / 1000.0);

  /* A scrollbar dragged to a place: the time from the end of the drag to
   * the rows in the middle of the view shown. */
  {
    GtkAdjustment *drag = gtk_scrolled_window_get_vadjustment (
        GTK_SCROLLED_WINDOW (sk_customers_view_get_scroller (customers)));
    const double targets[] = { 0.37, 0.71, 0.12, 0.93, 0.55 };
    double       worst = 0, sum = 0;

    /* The whole list laid out first: its height is the scrollbar's range. */
    pump_until (NULL, NULL, 500);

    for (guint k = 0; k < G_N_ELEMENTS (targets); k++)
      {
        double from = gtk_adjustment_get_value (drag);
        double to
            = (gtk_adjustment_get_upper (drag) - gtk_adjustment_get_page_size (drag)) * targets[k];
        Visible visible = { model, 0 };
        gint64  end;
        double  ms;

        /* A hand drags for about half a second, a step per frame. */
        for (int i = 1; i <= 30; i++)
          {
            gtk_adjustment_set_value (drag, from + (to - from) * i / 30.0);
            pump_until (NULL, NULL, 16);
          }
        end = g_get_monotonic_time ();
        visible.center
            = (guint)((double)g_list_model_get_n_items (G_LIST_MODEL (model))
                      * (gtk_adjustment_get_value (drag) + gtk_adjustment_get_page_size (drag) / 2)
                      / gtk_adjustment_get_upper (drag));
        pump_until (visible_loaded, &visible, 10000);
        ms = (g_get_monotonic_time () - end) / 1000.0;
        if (!visible_loaded (&visible))
          fprintf (stderr, "rows %u-%u (value %.0f of %.0f) still not shown after %.0f ms\n",
                   visible.center - 8, visible.center + 8, gtk_adjustment_get_value (drag),
                   gtk_adjustment_get_upper (drag), ms);
        worst = MAX (worst, ms);
        sum += ms;
      }
    printf ("rows after a scrollbar drag %8.1f ms on average, %.1f ms at worst (5 drags, target < "
            "100)\n",
            sum / G_N_ELEMENTS (targets), worst);
  }

  /* Scroll to the end and measure memory. */
  adj = gtk_scrolled_window_get_vadjustment (
      GTK_SCROLLED_WINDOW (sk_customers_view_get_scroller (customers)));
  t = g_get_monotonic_time ();
  for (int i = 0; i < 20; i++)
    {
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) * (i + 1) / 20.0);
      pump_until (NULL, NULL, 50);
    }
  gtk_adjustment_set_value (adj,
                            gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj));
  pump_until (NULL, NULL, 1000);
  /* The last row, as the list asks for it at the very end. */
  g_object_unref (g_list_model_get_item (G_LIST_MODEL (model),
                                         g_list_model_get_n_items (G_LIST_MODEL (model)) - 1));
  pump_until (last_loaded, model, 10000);
  printf (
      "scrolled to the end         %8.1f ms; last row loaded: %s; %u pages cached\n",
      (g_get_monotonic_time () - t) / 1000.0,
      sk_customer_list_model_is_loaded (model, g_list_model_get_n_items (G_LIST_MODEL (model)) - 1)
          ? "yes"
          : "no",
      sk_customer_list_model_get_n_cached_pages (model));
  printf ("rss, customers at the end   %8.1f MB (target < 200)\n", rss_kb () / 1024.0);
  print_memory_breakdown ();

  gtk_window_destroy (GTK_WINDOW (window));
  pump_until (NULL, NULL, 100);
  return 0;
}
