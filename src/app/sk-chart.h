/* sk-chart.h: a chart widget drawn with GtkSnapshot: series as lines or
 * bars over labelled categories, with axes, a legend and a hover tooltip.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  SK_CHART_LINES,
  SK_CHART_BARS,
} SkChartKind;

#define SK_TYPE_CHART (sk_chart_get_type ())
G_DECLARE_FINAL_TYPE (SkChart, sk_chart, SK, CHART, GtkWidget)

GtkWidget  *sk_chart_new (void);
void        sk_chart_set_kind (SkChart *self, SkChartKind kind);
SkChartKind sk_chart_get_kind (SkChart *self);
void        sk_chart_set_title (SkChart *self, const char *title);
/* Removes all series and sets the category labels (x axis). */
void sk_chart_set_categories (SkChart *self, const char *const *labels, guint n_labels);
/* @values: one per category; @money: values are kopecks (formatted as
 * money), otherwise plain counts. @color: "#rrggbb". */
void  sk_chart_add_series (SkChart      *self,
                           const char   *name,
                           const char   *color,
                           const gint64 *values,
                           guint         n_values,
                           gboolean      money);
guint sk_chart_get_n_series (SkChart *self);
/* The categories from @first to the last hold figures so far (today's, a
 * day not over yet): drawn lighter and hatched (bars) or dashed (lines),
 * with @note in the legend and the tooltip. -1: every category is whole.
 * sk_chart_set_categories () resets it. */
void sk_chart_set_partial (SkChart *self, int first, const char *note);
int  sk_chart_get_partial (SkChart *self);
/* The category under the pointer, or -1. */
int  sk_chart_get_hover (SkChart *self);
void sk_chart_set_hover (SkChart *self, int index);
/* The tooltip text for a category (what hovering shows). */
char *sk_chart_describe (SkChart *self, guint index);
/* The y axis's six labels, from the bottom up, as drawn. */
GStrv sk_chart_dup_axis_labels (SkChart *self);

G_END_DECLS
