/* bench-util.h: what the benchmarks share for their latency figures.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sorts @usec, an array of gint64 durations, shortest first. */
void bench_sort_usec (GArray *usec);
/* The duration at @percent (0 the shortest, 50 the median, 100 the
 * longest) of sorted, non-empty @usec, in milliseconds. */
double bench_percentile_ms (GArray *usec, guint percent);

G_END_DECLS
