/* bench-util.h: what the benchmarks share: latency figures, their
 * temporary folder.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sorts @usec, an array of gint64 durations, shortest first. */
void bench_sort_usec (GArray *usec);
/* The duration at @percent (0 the shortest, 50 the median, 100 the
 * longest) of sorted, non-empty @usec, in milliseconds. */
double bench_percentile_ms (GArray *usec, guint percent);

/* Seconds since @start, a g_get_monotonic_time (). */
double bench_seconds_since (gint64 start);
/* Removes a benchmark's temporary folder and the files in it, as far as
 * it can (a benchmark's figures are printed by then). */
void bench_remove_dir (const char *dir);

G_END_DECLS
