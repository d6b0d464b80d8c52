/* sk-charts-view.h: revenue, discounts, bonuses over time; segments; rules.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-chart.h"

G_BEGIN_DECLS

#define SK_TYPE_CHARTS_VIEW (sk_charts_view_get_type ())
G_DECLARE_FINAL_TYPE (SkChartsView, sk_charts_view, SK, CHARTS_VIEW, AdwBin)

void     sk_charts_view_reload (SkChartsView *self);
gboolean sk_charts_view_is_loading (SkChartsView *self);
/* How many reads of the figures the view started (tests). */
guint    sk_charts_view_get_n_reloads (SkChartsView *self);
SkChart *sk_charts_view_get_daily_chart (SkChartsView *self);
SkChart *sk_charts_view_get_bonus_chart (SkChartsView *self);
/* The daily figures shown, as CSV (day,revenue,discounts,...; rubles). */
char *sk_charts_view_to_csv (SkChartsView *self);
/* The file an export suggests: its figures and days,
 * "skidka-daily-2026-11-03-2026-12-02.csv" (@extension "csv" or "png"). */
char *sk_charts_view_export_name (SkChartsView *self, const char *extension);

G_END_DECLS
