/* sk-money.h: money is gint64 kopecks; this is the one place it is formatted.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The largest amount of money one value may hold (kopecks): a price, a line,
 * a cart, a discount, a budget, a bonus movement, the bonuses one sale
 * earns. 10^12 kopecks (10 000 000 000 ₽) is far beyond any sale, keeps
 * every product of two amounts inside 128 bits, and lets nine million of
 * them add up inside 64 bits. */
#define SK_MONEY_MAX ((gint64)1000000000000)
/* The furthest a bonus balance may go from zero, either way: as much as one
 * amount, so a whole balance can always be spent or adjusted away in one
 * movement. A movement that would take a balance beyond it is refused. */
#define SK_BALANCE_MAX SK_MONEY_MAX

/* Stores @a + @b in @sum and returns TRUE when it lies within
 * [-@limit, @limit]; otherwise returns FALSE and leaves @sum alone. No
 * overflow for any operands. */
static inline gboolean
sk_money_add (gint64 a, gint64 b, gint64 limit, gint64 *sum)
{
  gint64 result;

  if (__builtin_add_overflow (a, b, &result) || result > limit || result < -limit)
    return FALSE;
  *sum = result;
  return TRUE;
}

/* Adds @value to *@total, stopping at the ends of gint64 instead of
 * wrapping: for report figures (sums over many sales), which are never an
 * amount anyone is paid or owed. */
static inline void
sk_money_add_saturating (gint64 *total, gint64 value)
{
  if (__builtin_add_overflow (*total, value, total))
    *total = value > 0 ? G_MAXINT64 : G_MININT64;
}

/* The amount in the user's locale (LC_MONETARY), in roubles: "1,299.00 ₽"
 * in English, "1 299,00 ₽" in Russian; in the C locale the Russian way
 * ("1 299,00 ₽", narrow no-break space between thousands). */
char *sk_money_format (gint64 kopecks);
/* The chain's own format, "1 299,00 ₽", whatever the user's locale: for
 * what customers read (SMS, e-mail, push), written by a till in any
 * language. */
char *sk_money_format_chain (gint64 kopecks);
/* The same in whole roubles, the kopecks dropped: "1,234 ₽", "1 234 ₽"
 * (a chart's axis). */
char *sk_money_format_rubles (gint64 kopecks);
/* An amount or a percentage in hundredths as a user types it in a field,
 * in the user's locale and with no currency sign: "1,234.56" or
 * "1 234,56", "12.50" or "12,50"; whole, "10". sk_money_parse reads it
 * back. */
char *sk_money_format_number (gint64 hundredths);
/* Parses "1299", "1299.5", "1 299,50" into kopecks; in a locale that
 * groups with "," (English), "1,299.50" too. */
gboolean sk_money_parse (const char *text, gint64 *kopecks);
/* floor (a * b / c) without overflow for non-negative a, b and positive c. */
gint64 sk_muldiv (gint64 a, gint64 b, gint64 c);

G_END_DECLS
