/* sk-cell-label.c: one line of text in a list cell, drawn as a GtkLabel
 * with xalign 0 (1 when numeric) that ellipsizes at the end would draw it.
 * A column view keeps about 200 rows of cells alive whatever its height,
 * 1 600 cells in the customers list: as GtkLabels they held a few KiB each
 * (the label's state and a PangoLayout kept for its life). This widget
 * keeps its text only and lays it out when it is measured or drawn: GTK
 * keeps both results until the text changes. Its accessible name is its
 * text.
 *
 * Why not GTK 4.8's GtkInscription, made for the same job: it keeps a
 * PangoLayout for its life too. bench/bench-cell-label (20 000 cells of
 * the customer list's text, laid out and drawn once, Xvfb, cairo; Debian
 * 12's GTK 4.8.3) measured 1 350 B of heap per cell here, 3 472 B for
 * GtkInscription and 4 123 B for GtkLabel: 3.4 MB less for the customers
 * list's 1 600 cells. The price is time: laying the text out at measure
 * and at draw took about twice GtkInscription's CPU for a first frame
 * (6.8 s against 3.5 s for the 20 000, about 0.2 ms a cell more), which
 * at a list's 200 rows stays under a frame's budget per scrolled row.
 * Kept for the memory, which bench-app's figures track; run the bench
 * again before changing this.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "sk-cell-label.h"

struct _SkCellLabel
{
  GtkWidget parent_instance;

  char    *text;
  gboolean numeric;
};

G_DEFINE_FINAL_TYPE (SkCellLabel, sk_cell_label, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_TEXT,
  PROP_NUMERIC,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GtkWidget *
sk_cell_label_new (gboolean numeric)
{
  return g_object_new (SK_TYPE_CELL_LABEL, "numeric", numeric, NULL);
}

const char *
sk_cell_label_get_text (SkCellLabel *self)
{
  g_return_val_if_fail (SK_IS_CELL_LABEL (self), NULL);
  return self->text;
}

void
sk_cell_label_set_text (SkCellLabel *self, const char *text)
{
  g_return_if_fail (SK_IS_CELL_LABEL (self));

  if (text == NULL)
    text = "";
  if (g_strcmp0 (self->text, text) == 0)
    return;
  g_free (self->text);
  self->text = g_strdup (text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, self->text,
                                  -1);
  /* Another text may need another font, of another height. */
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

/* The text laid out as GtkLabel lays it out. The widget's Pango context
 * has the font its CSS gives; of CSS's text attributes, the only one a
 * cell has is the tabular figures of .numeric, and GTK 4.8 has no public
 * call that gives them. */
static PangoLayout *
create_layout (SkCellLabel *self)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), self->text);
  gboolean     rtl = gtk_widget_get_direction (GTK_WIDGET (self)) == GTK_TEXT_DIR_RTL;

  if (self->numeric)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum=1"));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }
  pango_layout_set_alignment (layout, rtl ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  return layout;
}

static void
sk_cell_label_measure (GtkWidget     *widget,
                       GtkOrientation orientation,
                       int            for_size,
                       int           *minimum,
                       int           *natural,
                       int           *minimum_baseline,
                       int           *natural_baseline)
{
  SkCellLabel *self = SK_CELL_LABEL (widget);
  g_autoptr (PangoLayout) layout = create_layout (self);
  PangoRectangle widest, smallest;
  int            widest_baseline, smallest_baseline;

  pango_layout_get_extents (layout, NULL, &widest);
  widest_baseline = pango_layout_get_baseline (layout) / PANGO_SCALE;
  /* At width 0, only the ellipsis is left. */
  pango_layout_set_width (layout, 0);
  pango_layout_get_extents (layout, NULL, &smallest);
  smallest_baseline = pango_layout_get_baseline (layout) / PANGO_SCALE;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = PANGO_PIXELS_CEIL (smallest.width);
      *natural = MAX (*minimum, PANGO_PIXELS_CEIL (widest.width));
    }
  else
    {
      int smallest_height = PANGO_PIXELS_CEIL (smallest.height);
      int widest_height = PANGO_PIXELS_CEIL (widest.height);

      *minimum = MIN (smallest_height, widest_height);
      *natural = MAX (smallest_height, widest_height);
      *minimum_baseline = smallest_height < widest_height ? smallest_baseline : widest_baseline;
      *natural_baseline = smallest_height < widest_height ? widest_baseline : smallest_baseline;
    }
}

static void
sk_cell_label_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  SkCellLabel *self = SK_CELL_LABEL (widget);
  g_autoptr (PangoLayout) layout = NULL;
  int            width = gtk_widget_get_width (widget);
  int            height = gtk_widget_get_height (widget);
  int            baseline = gtk_widget_get_allocated_baseline (widget);
  float          xalign = self->numeric ? 1.0f : 0.0f;
  PangoRectangle logical;
  float          x, y;

  if (self->text == NULL || *self->text == '\0')
    return;
  layout = create_layout (self);
  pango_layout_set_width (layout, width * PANGO_SCALE);
  pango_layout_get_pixel_extents (layout, NULL, &logical);
  if (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL)
    xalign = 1.0f - xalign;
  x = floor (xalign * (width - logical.width) - logical.x);
  if (baseline >= 0)
    y = baseline - pango_layout_get_baseline (layout) / PANGO_SCALE;
  else
    y = floor ((height - logical.height) * 0.5);
  gtk_snapshot_render_layout (snapshot, gtk_widget_get_style_context (widget), x, y, layout);
}

static void
sk_cell_label_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SkCellLabel *self = SK_CELL_LABEL (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    case PROP_NUMERIC:
      g_value_set_boolean (value, self->numeric);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_cell_label_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SkCellLabel *self = SK_CELL_LABEL (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      sk_cell_label_set_text (self, g_value_get_string (value));
      break;
    case PROP_NUMERIC:
      self->numeric = g_value_get_boolean (value);
      if (self->numeric)
        gtk_widget_add_css_class (GTK_WIDGET (self), "numeric");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sk_cell_label_finalize (GObject *object)
{
  SkCellLabel *self = SK_CELL_LABEL (object);

  g_clear_pointer (&self->text, g_free);
  G_OBJECT_CLASS (sk_cell_label_parent_class)->finalize (object);
}

static void
sk_cell_label_class_init (SkCellLabelClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sk_cell_label_finalize;
  object_class->get_property = sk_cell_label_get_property;
  object_class->set_property = sk_cell_label_set_property;
  widget_class->measure = sk_cell_label_measure;
  widget_class->snapshot = sk_cell_label_snapshot;

  properties[PROP_TEXT] = g_param_spec_string (
      "text", NULL, NULL, "", G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NUMERIC]
      = g_param_spec_boolean ("numeric", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Styled as a label: the theme's rules for labels apply. */
  gtk_widget_class_set_css_name (widget_class, "label");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_LABEL);
}

static void
sk_cell_label_init (SkCellLabel *self)
{
  self->text = g_strdup ("");
}
