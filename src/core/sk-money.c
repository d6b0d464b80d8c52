/* sk-money.c: formatting and parsing of kopeck amounts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-money.h"

char *
sk_money_format (gint64 kopecks)
{
  GString         *out = g_string_new (NULL);
  guint64          abs_value = kopecks < 0 ? -(guint64)kopecks : (guint64)kopecks;
  g_autofree char *rubles = g_strdup_printf ("%" G_GUINT64_FORMAT, abs_value / 100);
  gsize            len = strlen (rubles);

  if (kopecks < 0)
    g_string_append (out, "−");
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append (out, "\u202f");
      g_string_append_c (out, rubles[i]);
    }
  g_string_append_printf (out, ",%02u\u00a0₽", (guint)(abs_value % 100));
  return g_string_free (out, FALSE);
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
