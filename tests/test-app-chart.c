/* test-app-chart.c: the chart widget renders a known series (to a texture,
 * not blank), as lines and bars; its tooltip names the values.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-chart.h"
#include "sk-charts-view.h"
#include "test-app-common.h"

static guint
count_distinct_pixels (GdkTexture *texture)
{
  int                w = gdk_texture_get_width (texture);
  int                h = gdk_texture_get_height (texture);
  g_autofree guchar *data = g_malloc ((gsize)w * h * 4);
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);

  gdk_texture_download (texture, data, (gsize)w * 4);
  for (int i = 0; i < w * h; i++)
    {
      guint32 px;

      memcpy (&px, data + (gsize)i * 4, 4);
      g_hash_table_add (seen, GUINT_TO_POINTER (px));
    }
  return g_hash_table_size (seen);
}

static void
test_render (AppFixture *f, gconstpointer data)
{
  const char  *labels[] = { "11-01", "11-02", "11-03", "11-04", "11-05" };
  const gint64 revenue[] = { 1000000, 2500000, 1800000, 3000000, 1200000 };
  const gint64 discount[] = { 100000, 300000, 150000, 420000, 90000 };
  GtkWidget   *window = gtk_window_new ();
  GtkWidget   *chart = sk_chart_new ();
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *tip = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 640, 360);
  gtk_window_set_child (GTK_WINDOW (window), chart);
  sk_chart_set_title (SK_CHART (chart), "Known series");
  sk_chart_set_categories (SK_CHART (chart), labels, G_N_ELEMENTS (labels));
  sk_chart_add_series (SK_CHART (chart), "Revenue", "#3584e4", revenue, G_N_ELEMENTS (revenue),
                       TRUE);
  sk_chart_add_series (SK_CHART (chart), "Discounts", "#e66100", discount, G_N_ELEMENTS (discount),
                       TRUE);
  gtk_window_present (GTK_WINDOW (window));
  app_pump (400);

  texture = sk_widget_render_texture (chart);
  g_assert_nonnull (texture);
  g_assert_cmpuint (count_distinct_pixels (texture), >, 8);
  app_save_png (chart, "chart-lines");

  sk_chart_set_kind (SK_CHART (chart), SK_CHART_BARS);
  sk_chart_set_hover (SK_CHART (chart), 3);
  app_pump (200);
  g_clear_object (&texture);
  texture = sk_widget_render_texture (chart);
  g_assert_cmpuint (count_distinct_pixels (texture), >, 8);
  app_save_png (chart, "chart-bars");

  tip = sk_chart_describe (SK_CHART (chart), 3);
  g_assert_nonnull (strstr (tip, "11-04"));
  g_assert_nonnull (strstr (tip, "30"));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Does @texture have a pixel of @rgb (0xRRGGBB) in rows [@y0, @y1)? */
static gboolean
has_color_in_rows (GdkTexture *texture, guint32 rgb, int y0, int y1)
{
  int                w = gdk_texture_get_width (texture);
  int                h = gdk_texture_get_height (texture);
  g_autofree guchar *data = g_malloc ((gsize)w * h * 4);

  gdk_texture_download (texture, data, (gsize)w * 4);
  for (int y = MAX (y0, 0); y < MIN (y1, h); y++)
    for (int x = 0; x < w; x++)
      {
        const guchar *p = data + ((gsize)y * w + x) * 4; /* B, G, R, A */

        if (p[3] == 0xff && p[2] == (rgb >> 16 & 0xff) && p[1] == (rgb >> 8 & 0xff)
            && p[0] == (rgb & 0xff))
          return TRUE;
      }
  return FALSE;
}

/* Four series in a phone's width: the legend takes a second line rather
 * than drawing its last entries past the edge. */
static void
test_legend_narrow (AppFixture *f, gconstpointer data)
{
  const char  *labels[] = { "1", "2", "3" };
  const gint64 values[] = { 100, 200, 300 };
  const gint64 none[] = { 0, 0, 0 }; /* the last: its line on the x axis */
  const char  *names[] = { "Revenue", "Discounts", "Bonuses earned", "Bonuses spent" };
  const char  *colors[] = { "#3584e4", "#e66100", "#2ec27e", "#9141ac" };
  GtkWidget   *window = gtk_window_new ();
  GtkWidget   *chart = sk_chart_new ();
  g_autoptr (GdkTexture) texture = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 300, 300);
  gtk_window_set_child (GTK_WINDOW (window), chart);
  sk_chart_set_title (SK_CHART (chart), "Per day");
  sk_chart_set_categories (SK_CHART (chart), labels, G_N_ELEMENTS (labels));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    sk_chart_add_series (SK_CHART (chart), names[i], colors[i], i < 3 ? values : none,
                         G_N_ELEMENTS (values), FALSE);
  gtk_window_present (GTK_WINDOW (window));
  app_pump (400);
  g_assert_cmpint (gtk_widget_get_width (chart), <=, 300);
  texture = sk_widget_render_texture (chart);
  g_assert_nonnull (texture);
  app_save_png (chart, "chart-legend-narrow");
  /* The last entry's square, in the legend's lines above the plot. */
  g_assert_true (has_color_in_rows (texture, 0x9141ac, 20, 100));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Does @texture have a pixel of @rgb (0xRRGGBB) in columns [@x0, @x1)? */
static gboolean
has_color_in_columns (GdkTexture *texture, guint32 rgb, int x0, int x1)
{
  int                w = gdk_texture_get_width (texture);
  int                h = gdk_texture_get_height (texture);
  g_autofree guchar *data = g_malloc ((gsize)w * h * 4);

  gdk_texture_download (texture, data, (gsize)w * 4);
  for (int y = 0; y < h; y++)
    for (int x = MAX (x0, 0); x < MIN (x1, w); x++)
      {
        const guchar *p = data + ((gsize)y * w + x) * 4; /* B, G, R, A */

        if (p[3] == 0xff && p[2] == (rgb >> 16 & 0xff) && p[1] == (rgb >> 8 & 0xff)
            && p[0] == (rgb & 0xff))
          return TRUE;
      }
  return FALSE;
}

/* Today's figures so far are not drawn as a whole day's: its bar is not
 * the solid colour of the others, and the tooltip says "so far". */
/* Six y axis labels, none twice, whatever the values: a chart of zeros
 * (a new chain's segments) read "1, 0, 0, 0, 0, 0". */
static void
test_axis (AppFixture *f, gconstpointer data)
{
  static const struct
  {
    gint64      value;
    gboolean    money;
    const char *top;
  } cases[] = {
    { 0, FALSE, "5" },
    { 3, FALSE, "5" },
    { 40, FALSE, "40" },
    { 0, TRUE, "5\u00a0₽" },
    { 199, TRUE, "5\u00a0₽" },
    { 123456789, TRUE, NULL },
    /* Not much above the highest: 270 to 300, not 500; but no axis of
     * fractions for small counts. */
    { 270, FALSE, "300" },
    { 61, FALSE, "80" },
    { 7, FALSE, "10" },
  };
  const char *labels[] = { "New" };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (SkChart) chart = g_object_ref_sink (SK_CHART (sk_chart_new ()));
      g_auto (GStrv) axis = NULL;

      sk_chart_set_categories (chart, labels, 1);
      sk_chart_add_series (chart, "Customers", "#1c71d8", &cases[c].value, 1, cases[c].money);
      axis = sk_chart_dup_axis_labels (chart);
      g_assert_cmpuint (g_strv_length (axis), ==, 6);
      for (guint i = 1; i < 6; i++)
        for (guint j = 0; j < i; j++)
          if (g_str_equal (axis[i], axis[j]))
            g_error ("case %u: the axis says %s twice", c, axis[i]);
      if (cases[c].top != NULL)
        g_assert_cmpstr (axis[5], ==, cases[c].top);
    }
}

static void
test_partial (AppFixture *f, gconstpointer data)
{
  const char  *labels[] = { "Dec 1", "Dec 2", "Dec 3" };
  const gint64 revenue[] = { 3000000, 2800000, 400000 };
  GtkWidget   *window = gtk_window_new ();
  GtkWidget   *chart = sk_chart_new ();
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *tip = NULL;
  g_autofree char *whole = NULL;
  float            slot;

  gtk_window_set_default_size (GTK_WINDOW (window), 640, 360);
  gtk_window_set_child (GTK_WINDOW (window), chart);
  sk_chart_set_kind (SK_CHART (chart), SK_CHART_BARS);
  sk_chart_set_categories (SK_CHART (chart), labels, G_N_ELEMENTS (labels));
  sk_chart_add_series (SK_CHART (chart), "Revenue", "#3584e4", revenue, G_N_ELEMENTS (revenue),
                       TRUE);
  sk_chart_set_partial (SK_CHART (chart), 2, "Today so far");
  gtk_window_present (GTK_WINDOW (window));
  app_pump (400);
  texture = sk_widget_render_texture (chart);
  app_save_png (chart, "chart-partial-bars");
  /* The plot's slots start 92 px in and end 16 px before the edge. */
  slot = (gtk_widget_get_width (chart) - 92 - 16) / 3.0;
  g_assert_true (has_color_in_columns (texture, 0x3584e4, 92 + slot, 92 + 2 * slot));
  g_assert_false (has_color_in_columns (texture, 0x3584e4, 92 + 2 * slot + 1, 92 + 3 * slot));
  /* ...but it is there, lighter. */
  g_assert_cmpuint (count_distinct_pixels (texture), >, 8);

  tip = sk_chart_describe (SK_CHART (chart), 2);
  g_assert_nonnull (strstr (tip, "Dec 3 — Today so far"));
  whole = sk_chart_describe (SK_CHART (chart), 1);
  g_assert_null (strstr (whole, "so far"));

  sk_chart_set_kind (SK_CHART (chart), SK_CHART_LINES);
  app_pump (200);
  app_save_png (chart, "chart-partial-lines");
  /* New categories are whole until told otherwise. */
  sk_chart_set_categories (SK_CHART (chart), labels, G_N_ELEMENTS (labels));
  g_assert_cmpint (sk_chart_get_partial (SK_CHART (chart)), ==, -1);
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
charts_loaded (gpointer view)
{
  return !sk_charts_view_is_loading (view);
}

/* A sale made at the till a moment ago: the demo's sales end yesterday. */
static void
sell_now (SkDatabase *db)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) stores = sk_database_list_stores (db, &error);
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) result = NULL;

  g_assert_no_error (error);
  request->id = g_uuid_string_random ();
  request->created_at = g_get_real_time () - G_USEC_PER_SEC;
  request->cart = sk_cart_new (sk_record_get_id (g_ptr_array_index (stores, 0)));
  sk_cart_add_line (request->cart, "SKU", "Item", "toys", 50000, 1);
  result = sk_database_process_purchase (db, request, &error);
  g_assert_no_error (error);
}

/* Today has a sale: the revenue chart's last day says it is today's so
 * far (its tooltip), the day before is a whole one. */
static void
test_view_today (AppFixture *f, gconstpointer data)
{
  SkChartsView    *view;
  SkChart         *chart;
  guint            n;
  g_autofree char *csv = NULL;
  g_auto (GStrv) rows = NULL;
  g_autofree char *last = NULL;
  g_autofree char *before = NULL;

  sell_now (f->db);
  sk_window_show_view (f->window, "charts");
  view = SK_CHARTS_VIEW (sk_window_get_view (f->window, "charts"));
  app_pump (100);
  g_assert_true (app_wait (charts_loaded, view, 20000));
  app_pump (300);
  chart = sk_charts_view_get_daily_chart (view);
  /* One category per day of the CSV (its header and last newline aside). */
  csv = sk_charts_view_to_csv (view);
  rows = g_strsplit (csv, "\n", -1);
  n = g_strv_length (rows) - 2;
  g_assert_cmpuint (n, >, 2);
  last = sk_chart_describe (chart, n - 1);
  before = sk_chart_describe (chart, n - 2);
  g_assert_nonnull (strstr (last, "Today so far"));
  g_assert_null (strstr (before, "so far"));
  /* The CSV says so too. */
  g_assert_true (g_str_has_suffix (rows[0], ",partial"));
  g_assert_true (g_str_has_suffix (rows[n], ",true"));
  g_assert_true (g_str_has_suffix (rows[n - 1], ",false"));
  app_save_png (GTK_WIDGET (chart), "charts-view-today");
}

static gboolean
is_column_view (GtkWidget *widget, gconstpointer data)
{
  return GTK_IS_COLUMN_VIEW (widget);
}

static void
test_view (AppFixture *f, gconstpointer data)
{
  SkChartsView    *view;
  g_autofree char *csv = NULL;

  sk_window_show_view (f->window, "charts");
  view = SK_CHARTS_VIEW (sk_window_get_view (f->window, "charts"));
  app_pump (100);
  g_assert_true (app_wait (charts_loaded, view, 20000));
  app_pump (300);
  /* Revenue and discounts; bonuses on a chart of their own, its axis on
   * their scale: a hundredth of revenue, they were a line on zero. */
  g_assert_cmpuint (sk_chart_get_n_series (sk_charts_view_get_daily_chart (view)), ==, 2);
  g_assert_cmpuint (sk_chart_get_n_series (sk_charts_view_get_bonus_chart (view)), ==, 2);
  {
    g_auto (GStrv) revenue = sk_chart_dup_axis_labels (sk_charts_view_get_daily_chart (view));
    g_auto (GStrv) bonuses = sk_chart_dup_axis_labels (sk_charts_view_get_bonus_chart (view));

    g_test_message ("axis tops: revenue %s, bonuses %s", revenue[5], bonuses[5]);
    g_assert_cmpstr (revenue[5], !=, bonuses[5]);
    g_assert_cmpuint (strlen (bonuses[5]), <, strlen (revenue[5]));
  }
  csv = sk_charts_view_to_csv (view);
  g_assert_true (g_str_has_prefix (csv, "day,revenue,"));
  g_assert_cmpuint (strlen (csv), >, 40);
  /* The export suggests a name that says its days, the first and last of
   * the CSV. */
  {
    g_auto (GStrv) rows = g_strsplit (csv, "\n", -1);
    guint            n = g_strv_length (rows);
    g_autofree char *name = sk_charts_view_export_name (view, "csv");
    g_autofree char *expected = NULL;

    while (n > 1 && *rows[n - 1] == '\0')
      n--;
    g_assert_cmpuint (n, >, 2);
    expected = g_strdup_printf ("skidka-daily-%.10s-%.10s.csv", rows[1], rows[n - 1]);
    g_assert_cmpstr (name, ==, expected);
  }
  app_save_png (GTK_WIDGET (view), "charts-view");
  /* A rule no check had (the demo's disabled one) has no average check. */
  {
    g_autoptr (GString) text = g_string_new (NULL);
    g_auto (GStrv) cells = NULL;
    guint at = 0;

    app_collect_text (GTK_WIDGET (view), text);
    cells = g_strsplit (text->str, "\n", -1);
    while (cells[at] != NULL && g_strcmp0 (cells[at], "Старая акция (отключена)") != 0)
      at++;
    g_assert_cmpuint (at + 5, <, g_strv_length (cells));
    g_assert_cmpstr (cells[at + 1], ==, "0");
    g_assert_cmpstr (cells[at + 4], ==, "—");
  }

  /* On a phone the table keeps the rule, named in full, and the
   * discount it gave. */
  app_resize (f, 360, 720);
  app_pump (300);
  {
    GListModel *columns = gtk_column_view_get_columns (
        GTK_COLUMN_VIEW (app_find_widget (GTK_WIDGET (view), is_column_view, NULL)));
    gboolean shown[6];

    g_assert_cmpuint (g_list_model_get_n_items (columns), ==, 6);
    for (guint i = 0; i < 6; i++)
      {
        g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

        shown[i] = gtk_column_view_column_get_visible (column);
      }
    g_assert_true (shown[0] && shown[2]);
    g_assert_false (shown[1] || shown[3] || shown[4] || shown[5]);
  }
}

int
main (int argc, char *argv[])
{
  app_test_init (&argc, &argv);
  app_test_add ("/app/chart/render", test_render);
  app_test_add ("/app/chart/legend-narrow", test_legend_narrow);
  app_test_add ("/app/chart/partial", test_partial);
  app_test_add ("/app/chart/axis", test_axis);
  app_test_add ("/app/chart/view", test_view);
  app_test_add ("/app/chart/view-today", test_view_today);
  return g_test_run ();
}
