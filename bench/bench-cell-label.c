/* bench-cell-label.c: SkCellLabel against GTK 4.8's GtkInscription (and a
 * GtkLabel) as the cells of a column view hold them: N widgets with text,
 * in a window, laid out and drawn once. Prints the heap each kind holds per
 * widget and the time to create, lay out and draw them.
 * Run: xvfb-run -a _build/bench/bench-cell-label [N]
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gtk/gtk.h>
#include <malloc.h>

#include "sk-cell-label.h"

typedef enum
{
  KIND_CELL_LABEL,
  KIND_INSCRIPTION,
  KIND_LABEL,
} Kind;

static const char *const kind_names[] = { "SkCellLabel", "GtkInscription", "GtkLabel" };

static GtkWidget *
new_cell (Kind kind, const char *text)
{
  GtkWidget *widget = NULL;

  switch (kind)
    {
    case KIND_CELL_LABEL:
      widget = sk_cell_label_new (FALSE);
      g_object_set (widget, "text", text, NULL);
      break;
    case KIND_INSCRIPTION:
      widget = gtk_inscription_new (text);
      gtk_inscription_set_text_overflow (GTK_INSCRIPTION (widget),
                                         GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
      break;
    case KIND_LABEL:
    default:
      widget = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (widget), 0);
      gtk_label_set_ellipsize (GTK_LABEL (widget), PANGO_ELLIPSIZE_END);
      break;
    }
  return widget;
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

static void
draw (GtkWidget *box)
{
  int        min, nat;
  GtkWidget *child;

  /* What a frame does for each cell: measure, allocate, snapshot. */
  for (child = gtk_widget_get_first_child (box); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkSnapshot   *snapshot = gtk_snapshot_new ();
      GskRenderNode *node;

      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, 160, &min, &nat, NULL, NULL);
      gtk_widget_allocate (child, 160, nat, -1, NULL);
      GTK_WIDGET_GET_CLASS (child)->snapshot (child, snapshot);
      node = gtk_snapshot_free_to_node (snapshot);
      g_clear_pointer (&node, gsk_render_node_unref);
    }
}

int
main (int argc, char **argv)
{
  guint      n = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 20000;
  GtkWidget *windows[2][KIND_LABEL + 1];

  gtk_init ();
  g_print ("%u cells of customer-list text each, laid out and drawn once\n", n);
  g_print ("%-15s %14s %12s\n", "widget", "heap/cell (B)", "time (ms)");
  /* A first pass warms the font and glyph caches up; the second counts. */
  for (guint pass = 0; pass < 2; pass++)
    for (Kind kind = KIND_CELL_LABEL; kind <= KIND_LABEL; kind++)
      {
        GtkWidget *window = gtk_window_new ();
        GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
        gsize      before;
        gint64     start;

        gtk_window_set_child (GTK_WINDOW (window), box);
        gtk_widget_realize (window);
        windows[pass][kind] = window;
        malloc_trim (0);
        before = heap_in_use ();
        start = g_get_monotonic_time ();
        for (guint i = 0; i < n; i++)
          {
            g_autofree char *text
                = g_strdup_printf ("Customer %u of the chain, +7 916 %07u", i, i * 7919 % 10000000);

            gtk_box_append (GTK_BOX (box), new_cell (kind, text));
          }
        draw (box);
        if (pass == 1)
          g_print ("%-15s %14.0f %12.1f\n", kind_names[kind], (double)(heap_in_use () - before) / n,
                   (g_get_monotonic_time () - start) / 1000.0);
        /* Kept: each kind's heap is counted from its own start. */
      }
  for (guint pass = 0; pass < 2; pass++)
    for (Kind kind = KIND_CELL_LABEL; kind <= KIND_LABEL; kind++)
      gtk_window_destroy (GTK_WINDOW (windows[pass][kind]));
  return 0;
}
