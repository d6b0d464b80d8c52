/* sk-money.c: formatting and parsing of kopeck amounts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <monetary.h>
#include <string.h>

#include "sk-money.h"

/* The C library's formatting of the user's locale (LC_MONETARY): "1,234.56"
 * in English, "1 234,56" in Russian. NULL in the C and POSIX locales, which
 * have no monetary data, and for a figure a double cannot hold exactly. */
static char *
format_by_locale (guint64 abs_value, int digits)
{
  const struct lconv *conv = localeconv ();
  char                buffer[64];

  if (conv->mon_decimal_point == NULL || *conv->mon_decimal_point == '\0'
      || abs_value > ((guint64)1 << 53))
    return NULL;
  /* "!": no currency symbol (the chain's is always ₽); exact for every
   * amount below 2^53 kopecks, the nearest double printed to 2 places. */
  if (strfmon (buffer, sizeof buffer, digits ? "%!.2n" : "%!.0n", (double)abs_value / 100.0) < 0)
    return NULL;
  return g_strdup (buffer);
}

/* @by_locale: the user's locale's way where it has one; otherwise, or
 * when FALSE, the chain's own. @symbol: followed by " ₽". */
static char *
format_money (gint64 kopecks, gboolean with_kopecks, gboolean by_locale, gboolean symbol)
{
  GString         *out = g_string_new (NULL);
  guint64          abs_value = kopecks < 0 ? -(guint64)kopecks : (guint64)kopecks;
  g_autofree char *localized
      = by_locale ? format_by_locale (abs_value, with_kopecks ? 2 : 0) : NULL;

  if (kopecks < 0)
    g_string_append (out, "−");
  if (localized != NULL)
    g_string_append (out, localized);
  else
    {
      /* No locale to follow: the chain's own, Russian way. */
      g_autofree char *rubles = g_strdup_printf ("%" G_GUINT64_FORMAT, abs_value / 100);
      gsize            len = strlen (rubles);

      for (gsize i = 0; i < len; i++)
        {
          if (i > 0 && (len - i) % 3 == 0)
            g_string_append (out, "\u202f");
          g_string_append_c (out, rubles[i]);
        }
      if (with_kopecks)
        g_string_append_printf (out, ",%02u", (guint)(abs_value % 100));
    }
  if (symbol)
    g_string_append (out, "\u00a0₽");
  return g_string_free (out, FALSE);
}

char *
sk_money_format (gint64 kopecks)
{
  return format_money (kopecks, TRUE, TRUE, TRUE);
}

char *
sk_money_format_chain (gint64 kopecks)
{
  return format_money (kopecks, TRUE, FALSE, TRUE);
}

char *
sk_money_format_rubles (gint64 kopecks)
{
  return format_money ((kopecks / 100) * 100, FALSE, TRUE, TRUE);
}

char *
sk_money_format_number (gint64 hundredths)
{
  return format_money (hundredths, hundredths % 100 != 0, TRUE, FALSE);
}

/* Does @rest start with exactly three digits (a group of thousands)? */
static gboolean
groups_thousands (const char *rest)
{
  return g_ascii_isdigit (rest[0]) && g_ascii_isdigit (rest[1]) && g_ascii_isdigit (rest[2])
         && !g_ascii_isdigit (rest[3]);
}

gboolean
sk_money_parse (const char *text, gint64 *kopecks)
{
  gint64      rubles = 0;
  gint64      cents = 0;
  int         cents_digits = 0;
  gboolean    in_cents = FALSE;
  gboolean    any_digit = FALSE;
  gboolean    negative = FALSE;
  const char *p;
  /* Where the locale groups thousands with "," or "." (English: "1,299.50"),
   * that one followed by three digits is a group ("1,299"), not the
   * decimal point ("1299,50" is still 1299.50); either is the decimal point
   * otherwise. */
  const char *group = localeconv ()->mon_thousands_sep;
  char        group_char
      = group != NULL && (g_str_equal (group, ",") || g_str_equal (group, ".")) ? group[0] : '\0';

  g_return_val_if_fail (kopecks != NULL, FALSE);
  if (text == NULL)
    return FALSE;

  p = text;
  while (g_unichar_isspace (g_utf8_get_char (p)))
    p = g_utf8_next_char (p);
  if (*p == '-')
    {
      negative = TRUE;
      p++;
    }
  for (; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c >= '0' && c <= '9')
        {
          any_digit = TRUE;
          if (in_cents)
            {
              if (++cents_digits > 2)
                return FALSE;
              cents = cents * 10 + (c - '0');
            }
          else
            {
              /* So that rubles * 100 + cents below stays inside gint64. */
              if (rubles >= G_MAXINT64 / 1000)
                return FALSE;
              rubles = rubles * 10 + (c - '0');
            }
        }
      else if (c == (gunichar)group_char && group_char != '\0' && !in_cents
               && groups_thousands (p + 1))
        continue;
      else if ((c == '.' || c == ',') && !in_cents)
        in_cents = TRUE;
      else if (g_unichar_isspace (c) || c == 0x202f || c == 0x00a0)
        continue;
      else if (c == 0x20bd) /* ₽ */
        continue;
      else
        return FALSE;
    }
  if (!any_digit)
    return FALSE;
  if (cents_digits == 1)
    cents *= 10;
  *kopecks = (rubles * 100 + cents) * (negative ? -1 : 1);
  return TRUE;
}

gint64
sk_muldiv (gint64 a, gint64 b, gint64 c)
{
  unsigned __int128 product;

  g_return_val_if_fail (a >= 0 && b >= 0 && c > 0, 0);

  product = (unsigned __int128)a * (unsigned __int128)b;
  return (gint64)(product / (unsigned __int128)c);
}
