/* test-locale.c: money and dates in the user's locale (the one helper of
 * each), English and Russian; the C locale keeps the chain's own format.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "sk-money.h"
#include "sk-widgets.h"

/* Switches every category to @name; FALSE (and the test skipped) when the
 * system does not have that locale. */
static gboolean
use_locale (const char *name)
{
  if (setlocale (LC_ALL, name) == NULL)
    {
      g_autofree char *message = g_strdup_printf ("locale %s is not installed", name);

      g_test_skip (message);
      return FALSE;
    }
  return TRUE;
}

static void
assert_money (gint64 kopecks, const char *expected)
{
  g_autofree char *text = sk_money_format (kopecks);

  g_assert_cmpstr (text, ==, expected);
}

static void
assert_parses (const char *text, gint64 expected)
{
  gint64 kopecks = 0;

  g_assert_true (sk_money_parse (text, &kopecks));
  g_assert_cmpint (kopecks, ==, expected);
}

/* 1 234,56 ₽ is 123 456 kopecks; 2025-12-31 22:30 UTC is 01:30 on 1 January
 * in Moscow (TZ is Europe/Moscow for this program). */
#define NEW_YEAR_0130_MSK ((gint64)1767220200 * G_USEC_PER_SEC)

static void
test_english (void)
{
  g_autofree char *when = NULL;

  if (!use_locale ("en_US.UTF-8"))
    return;
  assert_money (123456, "1,234.56\u00a0₽");
  assert_money (-5, "−0.05\u00a0₽");
  assert_money (100000000000, "1,000,000,000.00\u00a0₽");
  {
    /* A chart's axis: 500 000 roubles, not 5 000. */
    g_autofree char *axis = sk_money_format_rubles (50000000);

    g_assert_cmpstr (axis, ==, "500,000\u00a0₽");
  }
  assert_parses ("1,234.56", 123456);
  assert_parses ("1,234", 123400);
  assert_parses ("1234.5", 123450);
  /* A comma before two digits is still a decimal point. */
  assert_parses ("1299,50", 129950);
  when = sk_datetime_from_usec (NEW_YEAR_0130_MSK);
  g_assert_cmpstr (when, ==, "01/01/2026 01:30");
  setlocale (LC_ALL, "C.UTF-8");
}

static void
test_russian (void)
{
  g_autofree char *when = NULL;
  g_autofree char *date = NULL;

  if (!use_locale ("ru_RU.UTF-8"))
    return;
  assert_money (123456, "1\u202f234,56\u00a0₽");
  assert_money (0, "0,00\u00a0₽");
  {
    g_autofree char *axis = sk_money_format_rubles (50000099);

    g_assert_cmpstr (axis, ==, "500\u202f000\u00a0₽");
  }
  assert_parses ("1 234,56", 123456);
  assert_parses ("1234,5", 123450);
  when = sk_datetime_from_usec (NEW_YEAR_0130_MSK);
  g_assert_cmpstr (when, ==, "01.01.2026 01:30");
  date = sk_date_display_from_usec ((gint64)1764547200 * G_USEC_PER_SEC); /* 2025-12-01 UTC */
  g_assert_cmpstr (date, ==, "01.12.2025");
  setlocale (LC_ALL, "C.UTF-8");
}

/* No monetary data in the C locale: the chain's own (Russian) format. */
static void
test_c_locale (void)
{
  if (!use_locale ("C.UTF-8"))
    return;
  assert_money (123456, "1\u202f234,56\u00a0₽");
  {
    g_autofree char *axis = sk_money_format_rubles (123456);

    g_assert_cmpstr (axis, ==, "1\u202f234\u00a0₽");
  }
  assert_parses ("1 234,56", 123456);
  assert_parses ("1234.56", 123456);
}

/* The ledger stores the reasons the core writes in English: a Russian
 * reader sees them in Russian, a cashier's own words as typed. */
static void
test_ledger_reason (void)
{
  const char *localedir = g_getenv ("SKIDKA_LOCALEDIR");

  if (!use_locale ("ru_RU.UTF-8"))
    return;
  g_assert_nonnull (localedir);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE); /* the app's own, as its main () sets it */
  g_assert_cmpstr (sk_ledger_reason_display_name ("Bonuses for a purchase"), ==,
                   "Бонусы за покупку");
  g_assert_cmpstr (sk_ledger_reason_display_name ("Paid with bonuses"), ==, "Оплачено бонусами");
  g_assert_cmpstr (sk_ledger_reason_display_name ("Подарок на день рождения"), ==,
                   "Подарок на день рождения");
  /* A cashier's word that happens to be one of the app's is not touched. */
  g_assert_cmpstr (sk_ledger_reason_display_name ("Name"), ==, "Name");
  g_assert_null (sk_ledger_reason_display_name (NULL));
  setlocale (LC_ALL, "C.UTF-8");
}

int
main (int argc, char **argv)
{
  g_setenv ("TZ", "Europe/Moscow", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/locale/english", test_english);
  g_test_add_func ("/locale/russian", test_russian);
  g_test_add_func ("/locale/c", test_c_locale);
  g_test_add_func ("/locale/ledger-reason", test_ledger_reason);
  return g_test_run ();
}
