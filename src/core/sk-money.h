/* sk-money.h: money is gint64 kopecks; this is the one place it is formatted.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "1 299,00 ₽" (narrow no-break space between thousands). */
char    *sk_money_format (gint64      kopecks);
/* Parses "1299", "1299.5", "1 299,50" into kopecks. */
gboolean sk_money_parse  (const char *text,
                          gint64     *kopecks);
/* floor (a * b / c) without overflow for non-negative a, b and positive c. */
gint64   sk_muldiv       (gint64      a,
                          gint64      b,
                          gint64      c);

G_END_DECLS
