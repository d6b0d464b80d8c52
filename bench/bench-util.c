/* bench-util.c: what the benchmarks share: latency figures, their
 * temporary folder.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "bench-util.h"

#include <glib/gstdio.h>

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a;
  gint64 y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

void
bench_sort_usec (GArray *usec)
{
  g_array_sort (usec, compare_gint64);
}

double
bench_percentile_ms (GArray *usec, guint percent)
{
  g_return_val_if_fail (usec->len > 0, 0.0);

  return g_array_index (usec, gint64, MIN (usec->len - 1, usec->len * percent / 100)) / 1000.0;
}

double
bench_seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
}

void
bench_remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);

      g_unlink (file);
    }
  g_rmdir (dir);
}
