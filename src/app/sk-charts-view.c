/* sk-charts-view.c: charts of a period and store: revenue, discounts and
 * bonuses per day, customers by segment, the rule effectiveness table.
 * The figures are read on the repository's workers; export as CSV and PNG.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-analytics.h"
#include "sk-charts-view.h"
#include "sk-money.h"
#include "sk-widgets.h"

struct _SkChartsView
{
  AdwBin parent_instance;

  GtkDropDown   *period_dropdown;
  GtkDropDown   *store_dropdown;
  GtkDropDown   *kind_dropdown;
  GtkSpinner    *spinner;
  GtkLabel      *summary_label;
  GtkWidget     *daily_box; /* the two charts per day, exported as one picture */
  SkChart       *daily_chart;
  SkChart       *bonus_chart;
  SkChart       *segments_chart;
  GtkColumnView *rules_view;

  GListStore   *rule_rows;
  GPtrArray    *store_ids;
  GArray       *daily; /* SkDailyPoint shown */
  GCancellable *cancellable;
  GCancellable *stores_cancellable;
  gboolean      loaded;
  gboolean      loading;
  guint         n_reloads;
};

G_DEFINE_FINAL_TYPE (SkChartsView, sk_charts_view, ADW_TYPE_BIN)

static void
rule_stats_free (gpointer data)
{
  SkRuleStats *s = data;

  g_free (s->rule_id);
  g_free (s->name);
  g_free (s);
}

/* A row of the rules' table: its figures. */
static SkRuleStats *
row_stats (gpointer item)
{
  return g_object_get_data (item, "stats");
}

static char *
cell_rule (gpointer item)
{
  return g_strdup (row_stats (item)->name);
}

static char *
cell_uses (gpointer item)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, row_stats (item)->uses);
}

#define MONEY_CELL(member)                                                                         \
  static char *cell_##member (gpointer item) { return sk_money_format (row_stats (item)->member); }

MONEY_CELL (discount)
MONEY_CELL (revenue_with)
MONEY_CELL (average_without)

/* No check had the rule: no average to speak of, not "0,00 ₽". */
static char *
cell_average_with (gpointer item)
{
  SkRuleStats *stats = row_stats (item);

  return stats->uses > 0 ? sk_money_format (stats->average_with) : g_strdup ("—");
}

static void
apply_figures (SkChartsView *self, SkChartFigures *f)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) revenue = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) discounts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) earned = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) spent = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) segment_labels = g_ptr_array_new ();
  g_autofree char *rev = sk_money_format (f->summary.revenue);
  g_autofree char *disc = sk_money_format (f->summary.discounts);
  g_autofree char *bon = sk_money_format (f->summary.bonus_earned);
  g_autofree char *avg = sk_money_format (f->summary.average_check);
  g_autofree char *summary = NULL;
  int              partial = -1;

  for (guint i = 0; i < f->daily->len; i++)
    {
      SkDailyPoint *p = &g_array_index (f->daily, SkDailyPoint, i);

      /* Today's figures so far (the days not over yet come last): set
       * apart, or they read as a fall in revenue. */
      if (p->partial && partial < 0)
        partial = i;

      g_ptr_array_add (labels, sk_day_label_from_iso (p->day)); /* "3 ноя", "Nov 3" */
      g_array_append_val (revenue, p->revenue);
      g_array_append_val (discounts, p->discounts);
      g_array_append_val (earned, p->bonus_earned);
      g_array_append_val (spent, p->bonus_spent);
    }
  sk_chart_set_categories (self->daily_chart, (const char *const *)labels->pdata, labels->len);
  sk_chart_add_series (self->daily_chart, _ ("Revenue"), "#3584e4", (gint64 *)revenue->data,
                       revenue->len, TRUE);
  sk_chart_add_series (self->daily_chart, _ ("Discounts"), "#e66100", (gint64 *)discounts->data,
                       discounts->len, TRUE);
  sk_chart_set_partial (self->daily_chart, partial, _ ("Today so far"));
  sk_chart_set_categories (self->bonus_chart, (const char *const *)labels->pdata, labels->len);
  sk_chart_add_series (self->bonus_chart, _ ("Bonuses earned"), "#2ec27e", (gint64 *)earned->data,
                       earned->len, TRUE);
  sk_chart_add_series (self->bonus_chart, _ ("Bonuses spent"), "#9141ac", (gint64 *)spent->data,
                       spent->len, TRUE);
  sk_chart_set_partial (self->bonus_chart, partial, _ ("Today so far"));

  for (guint i = 0; i < f->segments->len; i++)
    {
      SkSegmentCount *c = &g_array_index (f->segments, SkSegmentCount, i);

      g_ptr_array_add (segment_labels, (gpointer)sk_segment_display_name (c->segment));
      g_array_append_val (counts, c->customers);
    }
  sk_chart_set_categories (self->segments_chart, (const char *const *)segment_labels->pdata,
                           segment_labels->len);
  sk_chart_add_series (self->segments_chart, _ ("Customers"), "#1c71d8", (gint64 *)counts->data,
                       counts->len, FALSE);

  g_list_store_remove_all (self->rule_rows);
  for (guint i = 0; i < f->rules->len; i++)
    {
      g_autoptr (GObject) row = g_object_new (G_TYPE_OBJECT, NULL);
      SkRuleStats *copy = g_new (SkRuleStats, 1);

      *copy = g_array_index (f->rules, SkRuleStats, i);
      copy->rule_id = g_strdup (copy->rule_id);
      copy->name = g_strdup (copy->name);
      g_object_set_data_full (row, "stats", copy, rule_stats_free);
      g_list_store_append (self->rule_rows, row);
    }

  {
    g_autofree char *purchases = g_strdup_printf ("%" G_GINT64_FORMAT, f->summary.purchases);
    g_autofree char *customers = g_strdup_printf ("%" G_GINT64_FORMAT, f->summary.customers);

    summary = g_strdup_printf (_ ("Revenue %s · discounts %s · bonuses earned %s · purchases %s · "
                                  "customers %s · average check %s"),
                               rev, disc, bon, purchases, customers, avg);
  }
  gtk_label_set_text (self->summary_label, summary);
  g_clear_pointer (&self->daily, g_array_unref);
  self->daily = g_steal_pointer (&f->daily);
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkChartFigures) figures = NULL;
  SkChartsView *self;

  figures = sk_repository_chart_figures_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHARTS_VIEW (user_data);
  if (figures == NULL)
    sk_widget_toast_error (GTK_WIDGET (self), error);
  else
    apply_figures (self, figures);
  self->loading = FALSE;
  gtk_spinner_stop (self->spinner);
}

gboolean
sk_charts_view_is_loading (SkChartsView *self)
{
  return self->loading;
}

SkChart *
sk_charts_view_get_daily_chart (SkChartsView *self)
{
  return self->daily_chart;
}

SkChart *
sk_charts_view_get_bonus_chart (SkChartsView *self)
{
  return self->bonus_chart;
}

void
sk_charts_view_reload (SkChartsView *self)
{
  static const int days[] = { 7, 30, 90, 180 };
  guint            period = gtk_drop_down_get_selected (self->period_dropdown);
  guint            store = gtk_drop_down_get_selected (self->store_dropdown);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) tomorrow = NULL;
  g_autofree char *bound_store = NULL;
  const char      *store_id = NULL;
  gint64           from, to;

  if (sk_app_repository () == NULL)
    return;
  self->loaded = TRUE;
  sk_cancellable_renew (&self->cancellable);

  /* Whole days, up to the end of today. */
  tomorrow = g_date_time_new_utc (g_date_time_get_year (now), g_date_time_get_month (now),
                                  g_date_time_get_day_of_month (now), 0, 0, 0);
  to = (g_date_time_to_unix (tomorrow) + 86400) * G_USEC_PER_SEC;
  from = to - (gint64)days[MIN (period, 3)] * 86400 * G_USEC_PER_SEC;
  if (self->store_ids != NULL && store < self->store_ids->len)
    store_id = g_ptr_array_index (self->store_ids, store);
  else
    store_id = bound_store = sk_application_dup_account_store_id (sk_app ());
  self->loading = TRUE;
  self->n_reloads++;
  gtk_spinner_start (self->spinner);
  sk_repository_chart_figures_async (sk_app_repository (), from, to, store_id, self->cancellable,
                                     load_done, self);
}

guint
sk_charts_view_get_n_reloads (SkChartsView *self)
{
  g_return_val_if_fail (SK_IS_CHARTS_VIEW (self), 0);
  return self->n_reloads;
}

static void
stores_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkChartsView *self;
  g_autoptr (GPtrArray) stores = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *bound = NULL;

  stores = sk_repository_list_stores_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_CHARTS_VIEW (user_data);

  bound = sk_application_dup_account_store_id (sk_app ());
  g_clear_pointer (&self->store_ids, g_ptr_array_unref);
  self->store_ids = g_ptr_array_new_with_free_func (g_free);
  if (bound == NULL)
    {
      gtk_string_list_append (names, _ ("All stores"));
      g_ptr_array_add (self->store_ids, NULL);
    }
  for (guint i = 0; stores && i < stores->len; i++)
    {
      SkStore *s = g_ptr_array_index (stores, i);

      if (bound != NULL && g_strcmp0 (bound, sk_record_get_id (s)) != 0)
        continue;
      gtk_string_list_append (names, sk_record_get_string (s, "name"));
      g_ptr_array_add (self->store_ids, g_strdup (sk_record_get_id (s)));
    }
  g_signal_handlers_block_by_func (self->store_dropdown, sk_charts_view_reload, self);
  gtk_drop_down_set_model (self->store_dropdown, G_LIST_MODEL (names));
  g_signal_handlers_unblock_by_func (self->store_dropdown, sk_charts_view_reload, self);
  /* A store's account has its store's figures only (HQ answers no more,
   * and the till's file holds no more): no menu to choose from. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->store_dropdown), bound == NULL);
}

/* The store menu; the figures of all stores meanwhile. */
static void
load_stores (SkChartsView *self)
{
  sk_cancellable_renew (&self->stores_cancellable);
  sk_repository_list_stores_async (sk_app_repository (), self->stores_cancellable, stores_listed_cb,
                                   self);
}

char *
sk_charts_view_to_csv (SkChartsView *self)
{
  GString *s = g_string_new ("day,revenue,discounts,bonus_earned,bonus_spent,purchases,partial\n");

  for (guint i = 0; self->daily && i < self->daily->len; i++)
    {
      SkDailyPoint *p = &g_array_index (self->daily, SkDailyPoint, i);

      /* Rubles with two decimals, exact from kopecks, for spreadsheets;
       * "partial": the day is not over (today so far). */
      g_string_append_printf (
          s,
          "%s,%" G_GINT64_FORMAT ".%02d,%" G_GINT64_FORMAT ".%02d,%" G_GINT64_FORMAT
          ".%02d,%" G_GINT64_FORMAT ".%02d,%" G_GINT64_FORMAT ",%s\n",
          p->day, p->revenue / 100, (int)(p->revenue % 100), p->discounts / 100,
          (int)(p->discounts % 100), p->bonus_earned / 100, (int)(p->bonus_earned % 100),
          p->bonus_spent / 100, (int)(p->bonus_spent % 100), p->purchases,
          p->partial ? "true" : "false");
    }
  return g_string_free (s, FALSE);
}

static void
export_response_cb (GtkNativeDialog *dialog, int response, SkChartsView *self)
{
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  gboolean         png = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "png"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      G_GNUC_END_IGNORE_DEPRECATIONS
      path = g_file_get_path (file);
      if (png)
        sk_widget_save_png (self->daily_box, path, &error);
      else
        {
          g_autofree char *csv = sk_charts_view_to_csv (self);

          g_file_set_contents (path, csv, -1, &error);
        }
      if (error != NULL)
        sk_widget_toast_error (GTK_WIDGET (self), error);
      else
        sk_widget_toast (GTK_WIDGET (self), _ ("Exported"));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

char *
sk_charts_view_export_name (SkChartsView *self, const char *extension)
{
  g_return_val_if_fail (SK_IS_CHARTS_VIEW (self), NULL);
  if (self->daily == NULL || self->daily->len == 0)
    return g_strdup_printf ("skidka-daily.%s", extension);
  return g_strdup_printf ("skidka-daily-%s-%s.%s", g_array_index (self->daily, SkDailyPoint, 0).day,
                          g_array_index (self->daily, SkDailyPoint, self->daily->len - 1).day,
                          extension);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  SkChartsView         *self = SK_CHARTS_VIEW (widget);
  gboolean              png = g_str_equal (action_name, "charts.export-png");
  g_autofree char      *name = sk_charts_view_export_name (self, png ? "png" : "csv");
  GtkFileChooserNative *dialog;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog
      = gtk_file_chooser_native_new (png ? _ ("Export Chart as PNG") : _ ("Export Figures as CSV"),
                                     GTK_WINDOW (gtk_widget_get_root (widget)),
                                     GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_object_set_data (G_OBJECT (dialog), "png", GINT_TO_POINTER (png));
  g_signal_connect (dialog, "response", G_CALLBACK (export_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
kind_changed_cb (SkChartsView *self)
{
  SkChartKind kind
      = gtk_drop_down_get_selected (self->kind_dropdown) == 1 ? SK_CHART_BARS : SK_CHART_LINES;

  sk_chart_set_kind (self->daily_chart, kind);
  sk_chart_set_kind (self->bonus_chart, kind);
}

/* Sales, rules (their names in the table), stores and the whole file:
 * not a customer's edit (the charts count sales, not profiles). */
static void
figures_changed_cb (SkChartsView *self)
{
  if (self->loaded && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      load_stores (self);
      sk_charts_view_reload (self);
    }
  else
    self->loaded = FALSE;
}

static void
sk_charts_view_map (GtkWidget *widget)
{
  SkChartsView *self = SK_CHARTS_VIEW (widget);

  GTK_WIDGET_CLASS (sk_charts_view_parent_class)->map (widget);
  /* At HQ's desk the chain's sales reach HQ, not this file, and no signal
   * says so: each time the charts are shown they are read again. */
  if (sk_app_repository () != NULL
      && (!self->loaded || sk_repository_get_at_hq (sk_app_repository ())))
    {
      load_stores (self);
      sk_charts_view_reload (self);
    }
}

static void
sk_charts_view_dispose (GObject *object)
{
  SkChartsView *self = SK_CHARTS_VIEW (object);

  sk_cancellable_clear (&self->cancellable);
  sk_cancellable_clear (&self->stores_cancellable);
  g_clear_object (&self->rule_rows);
  g_clear_pointer (&self->store_ids, g_ptr_array_unref);
  g_clear_pointer (&self->daily, g_array_unref);
  G_OBJECT_CLASS (sk_charts_view_parent_class)->dispose (object);
}

static void
sk_charts_view_class_init (SkChartsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_charts_view_dispose;
  widget_class->map = sk_charts_view_map;
  g_type_ensure (SK_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/skidka/Skidka/sk-charts-view.ui");
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, period_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, store_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, kind_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, spinner);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, daily_box);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, daily_chart);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, bonus_chart);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, segments_chart);
  gtk_widget_class_bind_template_child (widget_class, SkChartsView, rules_view);
  gtk_widget_class_install_action (widget_class, "charts.export-csv", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "charts.export-png", NULL, export_action);
}

static void
sk_charts_view_init (SkChartsView *self)
{
  static const SkTextColumn columns[] = {
    { N_ ("Rule"), cell_rule, FALSE, TRUE },
    { N_ ("Uses"), cell_uses, TRUE, FALSE },
    { N_ ("Discount given"), cell_discount, TRUE, FALSE },
    { N_ ("Revenue with it"), cell_revenue_with, TRUE, FALSE },
    { N_ ("Average check with"), cell_average_with, TRUE, FALSE },
    { N_ ("Average check without"), cell_average_without, TRUE, FALSE },
  };
  static const char *const changes[]
      = { "purchase-changed", "rules-changed", "stores-changed", "database-changed", NULL };
  static const char *const account_keys[]
      = { "changed::account-store-id", "changed::role-from-account" };

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->rule_rows = g_list_store_new (G_TYPE_OBJECT);
  gtk_column_view_set_model (self->rules_view, GTK_SELECTION_MODEL (gtk_no_selection_new (
                                                   g_object_ref (G_LIST_MODEL (self->rule_rows)))));
  sk_column_view_append_text_columns (self->rules_view, columns, G_N_ELEMENTS (columns));
  {
    /* On a phone: the rule, named in full, and the discount it gave. */
    static const SkColumnFit narrow[] = { { 5, 760 }, { 4, 640 }, { 3, 520 }, { 1, 420 } };

    sk_column_view_fit_width (self->rules_view, narrow, G_N_ELEMENTS (narrow));
  }
  g_signal_connect_swapped (self->period_dropdown, "notify::selected",
                            G_CALLBACK (sk_charts_view_reload), self);
  g_signal_connect_swapped (self->store_dropdown, "notify::selected",
                            G_CALLBACK (sk_charts_view_reload), self);
  g_signal_connect_swapped (self->kind_dropdown, "notify::selected", G_CALLBACK (kind_changed_cb),
                            self);
  sk_widget_follow_repository (GTK_WIDGET (self), changes, G_CALLBACK (figures_changed_cb));
  /* Signing in with another account may bind the charts to a store. */
  for (guint i = 0; sk_app () != NULL && i < G_N_ELEMENTS (account_keys); i++)
    g_signal_connect_object (sk_application_get_settings (sk_app ()), account_keys[i],
                             G_CALLBACK (figures_changed_cb), self, G_CONNECT_SWAPPED);
}
