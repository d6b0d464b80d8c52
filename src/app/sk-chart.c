/* sk-chart.c: our own chart widget (there is no chart library for GTK 4):
 * grid, axes and labels with GtkSnapshot and Pango, bars as colour nodes,
 * lines through a cairo node; hovering highlights a category and its
 * tooltip lists every series' value there. Trailing categories of figures
 * so far (today's) are hatched or dashed and explained in the legend.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "sk-chart.h"
#include "sk-money.h"

#define MARGIN_LEFT   92.0
#define MARGIN_RIGHT  16.0
#define MARGIN_TOP    56.0
#define MARGIN_BOTTOM 36.0
/* A second line of x labels, and the most categories put on two. */
#define LABEL_LINE    16.0
#define MAX_STAGGERED 12

typedef struct
{
  char    *name;
  GdkRGBA  color;
  GArray  *values; /* gint64 */
  gboolean money;
} Series;

struct _SkChart
{
  GtkWidget parent_instance;

  SkChartKind kind;
  char       *title;
  GPtrArray  *labels; /* char* */
  GPtrArray  *series; /* Series* */
  int         hover;
  int         partial; /* the first category of figures so far, or -1 */
  char       *partial_note;
};

G_DEFINE_FINAL_TYPE (SkChart, sk_chart, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_KIND,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
series_free (Series *s)
{
  g_free (s->name);
  g_array_unref (s->values);
  g_free (s);
}

GtkWidget *
sk_chart_new (void)
{
  return g_object_new (SK_TYPE_CHART, NULL);
}

void
sk_chart_set_kind (SkChart *self, SkChartKind kind)
{
  g_return_if_fail (SK_IS_CHART (self));
  if (self->kind == kind)
    return;
  self->kind = kind;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KIND]);
}

SkChartKind
sk_chart_get_kind (SkChart *self)
{
  return self->kind;
}

void
sk_chart_set_title (SkChart *self, const char *title)
{
  g_return_if_fail (SK_IS_CHART (self));
  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
sk_chart_set_categories (SkChart *self, const char *const *labels, guint n_labels)
{
  g_return_if_fail (SK_IS_CHART (self));
  g_ptr_array_set_size (self->labels, 0);
  g_ptr_array_set_size (self->series, 0);
  for (guint i = 0; i < n_labels; i++)
    g_ptr_array_add (self->labels, g_strdup (labels[i]));
  self->hover = -1;
  self->partial = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
sk_chart_add_series (SkChart      *self,
                     const char   *name,
                     const char   *color,
                     const gint64 *values,
                     guint         n_values,
                     gboolean      money)
{
  Series *s;

  g_return_if_fail (SK_IS_CHART (self));
  s = g_new0 (Series, 1);
  s->name = g_strdup (name);
  if (!gdk_rgba_parse (&s->color, color))
    gdk_rgba_parse (&s->color, "#3584e4");
  s->values = g_array_sized_new (FALSE, TRUE, sizeof (gint64), n_values);
  g_array_append_vals (s->values, values, n_values);
  s->money = money;
  g_ptr_array_add (self->series, s);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
sk_chart_get_n_series (SkChart *self)
{
  return self->series->len;
}

void
sk_chart_set_partial (SkChart *self, int first, const char *note)
{
  g_return_if_fail (SK_IS_CHART (self));
  self->partial = first < 0 ? -1 : first;
  g_free (self->partial_note);
  self->partial_note = g_strdup (note);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
sk_chart_get_partial (SkChart *self)
{
  g_return_val_if_fail (SK_IS_CHART (self), -1);
  return self->partial;
}

static gboolean
is_partial (SkChart *self, guint index)
{
  return self->partial >= 0 && index >= (guint)self->partial;
}

int
sk_chart_get_hover (SkChart *self)
{
  return self->hover;
}

void
sk_chart_set_hover (SkChart *self, int index)
{
  if (index >= (int)self->labels->len)
    index = -1;
  if (self->hover == index)
    return;
  self->hover = index;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static char *
format_value (gint64 v, gboolean money)
{
  return money ? sk_money_format (v) : g_strdup_printf ("%" G_GINT64_FORMAT, v);
}

char *
sk_chart_describe (SkChart *self, guint index)
{
  GString *s;

  g_return_val_if_fail (index < self->labels->len, NULL);
  s = g_string_new (g_ptr_array_index (self->labels, index));
  if (is_partial (self, index) && self->partial_note != NULL)
    g_string_append_printf (s, " — %s", self->partial_note);
  for (guint i = 0; i < self->series->len; i++)
    {
      Series          *series = g_ptr_array_index (self->series, i);
      g_autofree char *v
          = index < series->values->len
                ? format_value (g_array_index (series->values, gint64, index), series->money)
                : g_strdup ("—");

      g_string_append_printf (s, "\n%s: %s", series->name, v);
    }
  return g_string_free (s, FALSE);
}

/* A round upper bound for the axis: 1, 2, 2.5 or 5 × 10^n. */
static double
nice_max (double v, double fine_from)
{
  /* Where a fifth of 3, 4, 6 or 8 × p is still a whole number of the
   * unit (p of @fine_from or more), those too: 270 000 ₽ a day gets an
   * axis to 300 000, not 500 000, and the lines the height. */
  static const double fine[] = { 1, 2, 2.5, 3, 4, 5, 6, 8, 10 };
  static const double coarse[] = { 1, 2, 2.5, 5, 10 };
  const double       *steps;
  guint               n;
  double              p, f;

  if (v <= 0)
    return 1;
  p = pow (10, floor (log10 (v)));
  f = v / p;
  steps = p >= fine_from ? fine : coarse;
  n = p >= fine_from ? G_N_ELEMENTS (fine) : G_N_ELEMENTS (coarse);
  for (guint i = 0; i < n; i++)
    if (f <= steps[i])
      return steps[i] * p;
  return 10 * p;
}

static void
append_text (GtkSnapshot   *snapshot,
             PangoLayout   *layout,
             const char    *text,
             float          x,
             float          y,
             float          align, /* 0 left, 0.5 centre, 1 right */
             const GdkRGBA *color)
{
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x - w * align, y - h / 2.0));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* @rect filled lightly in @color and hatched with its diagonals: a figure
 * so far, set apart from the whole ones (in grey print too). */
static void
append_hatched (GtkSnapshot *snapshot, const graphene_rect_t *rect, const GdkRGBA *color)
{
  GdkRGBA  light = *color;
  cairo_t *cr;
  float    x = rect->origin.x, y = rect->origin.y;
  float    w = rect->size.width, h = rect->size.height;

  if (w <= 0 || h <= 0)
    return;
  light.alpha *= 0.3;
  gtk_snapshot_append_color (snapshot, &light, rect);
  cr = gtk_snapshot_append_cairo (snapshot, rect);
  cairo_rectangle (cr, x, y, w, h);
  cairo_clip (cr);
  light = *color;
  light.alpha *= 0.75;
  gdk_cairo_set_source_rgba (cr, &light);
  cairo_set_line_width (cr, 1.5);
  for (float d = -h; d < w; d += 6)
    {
      cairo_move_to (cr, x + d, y + h);
      cairo_line_to (cr, x + d + h, y);
    }
  cairo_stroke (cr);
  cairo_rectangle (cr, x + 0.5, y + 0.5, w - 1, h - 1);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  cairo_destroy (cr);
}

/* The legend's sign of a line's figures so far: a dash ending in a ring,
 * as the line draws them. */
static void
append_dashed_mark (GtkSnapshot *snapshot, const graphene_rect_t *rect, const GdkRGBA *color)
{
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, rect);
  double   dash[] = { 2, 2 };
  float    y = rect->origin.y + rect->size.height / 2;

  gdk_cairo_set_source_rgba (cr, color);
  cairo_set_line_width (cr, 2);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
  cairo_move_to (cr, rect->origin.x, y);
  cairo_line_to (cr, rect->origin.x + rect->size.width - 6, y);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  cairo_arc (cr, rect->origin.x + rect->size.width - 3, y, 3, 0, 2 * G_PI);
  cairo_stroke (cr);
  cairo_destroy (cr);
}

/* The top of the y axis: a round value above every one, and five steps
 * of at least one (a count) or one ruble, so that no two labels read the
 * same ("0, 0, 0, 0, 0, 1" for a chart of zeros). */
static double
axis_top (SkChart *self)
{
  gboolean money = FALSE;
  gint64   max = 0;

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      money |= s->money;
      for (guint j = 0; j < s->values->len; j++)
        max = MAX (max, g_array_index (s->values, gint64, j));
    }
  /* Money is in kopecks, its axis in whole rubles. */
  return MAX (nice_max ((double)max, money ? 1000 : 10), money ? 500 : 5);
}

GStrv
sk_chart_dup_axis_labels (SkChart *self)
{
  g_autoptr (GStrvBuilder) labels = g_strv_builder_new ();
  double   top;
  gboolean money = FALSE;

  g_return_val_if_fail (SK_IS_CHART (self), NULL);

  top = axis_top (self);
  for (guint i = 0; i < self->series->len; i++)
    money |= ((Series *)g_ptr_array_index (self->series, i))->money;
  for (int i = 0; i <= 5; i++)
    {
      gint64           v = (gint64)(top * i / 5.0);
      g_autofree char *label = NULL;

      /* Whole rubles on the axis: kopecks there are noise. */
      label = money ? sk_money_format_rubles (v) : format_value (v, FALSE);
      g_strv_builder_add (labels, label);
    }
  return g_strv_builder_end (labels);
}

static void
sk_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SkChart *self = SK_CHART (widget);
  float    width = gtk_widget_get_width (widget);
  float    height = gtk_widget_get_height (widget);
  float    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
  float    margin_top = MARGIN_TOP;
  float    plot_h;
  guint    n = self->labels->len;
  double   top;
  g_auto (GStrv) axis = NULL;
  GdkRGBA fg, grid, hover_bg;
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, NULL);
  float    slot;
  float    legend_x = 8, legend_y = 34;
  guint    label_step;
  gboolean stagger;
  gboolean noted = self->partial >= 0 && (guint)self->partial < n && self->partial_note != NULL;

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  grid = fg;
  grid.alpha = 0.15;
  hover_bg = fg;
  hover_bg.alpha = 0.08;

  if (self->title != NULL)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
      pango_layout_set_attributes (layout, attrs);
      append_text (snapshot, layout, self->title, 8, 12, 0, &fg);
      pango_layout_set_attributes (layout, NULL);
      pango_attr_list_unref (attrs);
    }

  /* The legend, in as many lines as the width asks for (a phone's 360 px
   * holds two entries); the plot starts below it. Its last entry, a
   * hatched square, says what the hatched (or dashed) days are. */
  for (guint i = 0; i < self->series->len + (noted ? 1 : 0); i++)
    {
      Series     *s = i < self->series->len ? g_ptr_array_index (self->series, i) : NULL;
      const char *name = s != NULL ? s->name : self->partial_note;
      int         w, h;

      pango_layout_set_text (layout, name, -1);
      pango_layout_get_pixel_size (layout, &w, &h);
      if (i > 0 && legend_x + 16 + w > width - 8)
        {
          legend_x = 8;
          legend_y += 20;
        }
      if (s != NULL)
        gtk_snapshot_append_color (snapshot, &s->color,
                                   &GRAPHENE_RECT_INIT (legend_x, legend_y - 6, 12, 12));
      else if (self->kind == SK_CHART_BARS)
        append_hatched (snapshot, &GRAPHENE_RECT_INIT (legend_x, legend_y - 6, 12, 12), &fg);
      else
        append_dashed_mark (snapshot, &GRAPHENE_RECT_INIT (legend_x, legend_y - 6, 12, 12), &fg);
      append_text (snapshot, layout, name, legend_x + 16, legend_y, 0, &fg);
      legend_x += w + 32;
    }
  margin_top += legend_y - 34;
  /* Labels too wide for their slot are thinned out where there are many
   * (days: every third says enough); a few (segments), each needed, go
   * on two lines, every other one lower. */
  label_step = plot_w > 10 ? MAX (1, (guint)ceil (n * 80.0 / plot_w)) : 1;
  /* Two lines make room for every label only where every other one fits. */
  stagger = label_step == 2 && n <= MAX_STAGGERED;
  if (stagger)
    label_step = 1;
  plot_h = height - margin_top - MARGIN_BOTTOM - (stagger ? LABEL_LINE : 0);
  if (plot_w <= 10 || plot_h <= 10)
    return;
  if (n == 0 || self->series->len == 0)
    {
      append_text (snapshot, layout, _ ("No data for this period"), width / 2, height / 2, 0.5,
                   &fg);
      return;
    }

  top = axis_top (self);
  axis = sk_chart_dup_axis_labels (self);

  /* Grid and y axis labels: five steps. */
  for (int i = 0; i <= 5; i++)
    {
      float y = margin_top + plot_h - plot_h * i / 5.0;

      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (MARGIN_LEFT, y, plot_w, 1));
      append_text (snapshot, layout, axis[i], MARGIN_LEFT - 6, y, 1, &fg);
    }
  gtk_snapshot_append_color (snapshot, &fg,
                             &GRAPHENE_RECT_INIT (MARGIN_LEFT, margin_top, 1, plot_h));
  gtk_snapshot_append_color (snapshot, &fg,
                             &GRAPHENE_RECT_INIT (MARGIN_LEFT, margin_top + plot_h, plot_w, 1));

  slot = plot_w / n;
  if (self->hover >= 0 && self->hover < (int)n)
    gtk_snapshot_append_color (
        snapshot, &hover_bg,
        &GRAPHENE_RECT_INIT (MARGIN_LEFT + slot * self->hover, margin_top, slot, plot_h));

  /* x labels, thinned or staggered so they do not overlap */
  for (guint i = 0; i < n; i += label_step)
    append_text (snapshot, layout, g_ptr_array_index (self->labels, i),
                 MARGIN_LEFT + slot * (i + 0.5),
                 margin_top + plot_h + 14 + (stagger && i % 2 == 1 ? LABEL_LINE : 0), 0.5, &fg);

  if (self->kind == SK_CHART_BARS)
    {
      float group = slot * 0.8;
      float bar = group / self->series->len;

      for (guint s = 0; s < self->series->len; s++)
        {
          Series *series = g_ptr_array_index (self->series, s);

          for (guint i = 0; i < MIN (n, series->values->len); i++)
            {
              float           h = plot_h * g_array_index (series->values, gint64, i) / top;
              float           x = MARGIN_LEFT + slot * i + slot * 0.1 + bar * s;
              graphene_rect_t rect
                  = GRAPHENE_RECT_INIT (x, margin_top + plot_h - h, MAX (bar - 1, 1), h);

              if (is_partial (self, i))
                append_hatched (snapshot, &rect, &series->color);
              else
                gtk_snapshot_append_color (snapshot, &series->color, &rect);
            }
        }
    }
  else
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

      cairo_set_line_width (cr, 2);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      for (guint s = 0; s < self->series->len; s++)
        {
          Series *series = g_ptr_array_index (self->series, s);

          gdk_cairo_set_source_rgba (cr, &series->color);
          for (guint i = 0; i < MIN (n, series->values->len); i++)
            {
              double x = MARGIN_LEFT + slot * (i + 0.5);
              double y
                  = margin_top + plot_h - plot_h * g_array_index (series->values, gint64, i) / top;

              /* The way to a figure so far is dashed and ends in a ring:
               * it is not a day's fall. */
              if (i > 0 && is_partial (self, i) && !is_partial (self, i - 1))
                {
                  double dash[] = { 5, 4 };
                  double px, py;

                  cairo_get_current_point (cr, &px, &py);
                  cairo_stroke (cr);
                  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
                  cairo_move_to (cr, px, py);
                }
              if (i == 0)
                cairo_move_to (cr, x, y);
              else
                cairo_line_to (cr, x, y);
            }
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
          for (guint i = MAX (self->partial, 0);
               self->partial >= 0 && i < MIN (n, series->values->len); i++)
            {
              double x = MARGIN_LEFT + slot * (i + 0.5);
              double y
                  = margin_top + plot_h - plot_h * g_array_index (series->values, gint64, i) / top;

              cairo_new_sub_path (cr);
              cairo_arc (cr, x, y, 4, 0, 2 * G_PI);
              cairo_stroke (cr);
            }
          if (self->hover >= 0 && self->hover < (int)series->values->len)
            {
              double x = MARGIN_LEFT + slot * (self->hover + 0.5);
              double y = margin_top + plot_h
                         - plot_h * g_array_index (series->values, gint64, self->hover) / top;

              cairo_arc (cr, x, y, 4, 0, 2 * G_PI);
              cairo_fill (cr);
            }
        }
      cairo_destroy (cr);
    }
}

static int
index_at (SkChart *self, double x)
{
  float plot_w = gtk_widget_get_width (GTK_WIDGET (self)) - MARGIN_LEFT - MARGIN_RIGHT;
  int   i;

  if (self->labels->len == 0 || plot_w <= 0 || x < MARGIN_LEFT)
    return -1;
  i = (int)((x - MARGIN_LEFT) / (plot_w / self->labels->len));
  return i < (int)self->labels->len ? i : -1;
}

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, SkChart *self)
{
  sk_chart_set_hover (self, index_at (self, x));
}

static void
leave_cb (GtkEventControllerMotion *controller, SkChart *self)
{
  sk_chart_set_hover (self, -1);
}

static gboolean
query_tooltip_cb (
    GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, SkChart *self)
{
  int              i = keyboard ? self->hover : index_at (self, x);
  g_autofree char *text = NULL;

  if (i < 0 || self->series->len == 0)
    return FALSE;
  text = sk_chart_describe (self, i);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
sk_chart_measure (GtkWidget     *widget,
                  GtkOrientation orientation,
                  int            for_size,
                  int           *minimum,
                  int           *natural,
                  int           *minimum_baseline,
                  int           *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 240 : 180;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 300;
}

static void
sk_chart_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkChart *self = SK_CHART (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_chart_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SkChart *self = SK_CHART (object);

  switch (prop_id)
    {
    case PROP_KIND:
      sk_chart_set_kind (self, g_value_get_int (value));
      break;
    case PROP_TITLE:
      sk_chart_set_title (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_chart_finalize (GObject *object)
{
  SkChart *self = SK_CHART (object);

  g_free (self->title);
  g_free (self->partial_note);
  g_ptr_array_unref (self->labels);
  g_ptr_array_unref (self->series);
  G_OBJECT_CLASS (sk_chart_parent_class)->finalize (object);
}

static void
sk_chart_class_init (SkChartClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sk_chart_finalize;
  object_class->get_property = sk_chart_get_property;
  object_class->set_property = sk_chart_set_property;
  widget_class->snapshot = sk_chart_snapshot;
  widget_class->measure = sk_chart_measure;

  properties[PROP_KIND]
      = g_param_spec_int ("kind", NULL, NULL, SK_CHART_LINES, SK_CHART_BARS, SK_CHART_LINES,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE]
      = g_param_spec_string ("title", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sk_chart_init (SkChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->labels = g_ptr_array_new_with_free_func (g_free);
  self->series = g_ptr_array_new_with_free_func ((GDestroyNotify)series_free);
  self->hover = -1;
  self->partial = -1;
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);
}
