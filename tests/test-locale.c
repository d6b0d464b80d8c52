/* test-locale.c: money and dates in the user's locale (the one helper of
 * each), English and Russian; the C locale keeps the chain's own format.
 * Dates are typed and read in the locale's format, ISO accepted too.
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

/* What an editor's field shows for @hundredths, and reads back. */
static void
assert_field (gint64 hundredths, const char *expected)
{
  g_autofree char *text = sk_money_format_number (hundredths);

  g_assert_cmpstr (text, ==, expected);
  assert_parses (text, hundredths);
}

/* A date as typed reads as @iso (NULL: not a date); both ways, ISO stays
 * ISO whatever the locale. */
static void
assert_date (const char *typed, const char *iso)
{
  g_autofree char *parsed = sk_date_parse (typed);
  gint64           usec = -1;

  g_assert_cmpstr (parsed, ==, iso);
  g_assert_true (sk_usec_from_date (typed, &usec) == (iso != NULL));
  if (iso != NULL)
    {
      g_autofree char *again = sk_date_parse (iso);
      g_autoptr (GDateTime) midnight = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
      g_autofree char *day = g_date_time_format (midnight, "%Y-%m-%d");

      g_assert_cmpstr (again, ==, iso);
      g_assert_cmpint (usec % ((gint64)G_USEC_PER_SEC * 86400), ==, 0);
      g_assert_cmpstr (day, ==, iso);
    }
}

/* How a date is shown, from ISO and from microseconds, and that what is
 * shown reads back as the same date. */
static void
assert_date_shown (const char *iso, const char *shown)
{
  g_autofree char *from_iso = sk_date_display_from_iso (iso);
  g_autofree char *from_usec = NULL;
  gint64           usec = 0;

  g_assert_true (sk_usec_from_date (iso, &usec));
  from_usec = sk_date_display_from_usec (usec);
  g_assert_cmpstr (from_iso, ==, shown);
  g_assert_cmpstr (from_usec, ==, shown);
  assert_date (shown, iso);
}

/* Typed in every locale, not a date: out of range, half a date, words. */
static void
assert_not_dates (void)
{
  const char *const bad[]
      = { "31.13.2026", "2026-02-30", "2026-13-01",   "2026-1-1-1",       "12.2026",
          "2026",       "abc",        "31.12.2026 x", "2026-12-31T00:00", "1.1.20266" };
  gint64 usec = 0;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_date (bad[i], NULL);
  /* An empty field is no date, and for a field that may stay empty, 0. */
  g_assert_null (sk_date_parse (""));
  g_assert_true (sk_usec_from_date ("", &usec));
  g_assert_cmpint (usec, ==, 0);
}

/* A field left as shown keeps what was stored (the end of a day stays
 * its last microsecond); typed anew, @end is the day's last one. */
static void
assert_kept (const char *shown)
{
  gint64 end_of_day
      = (gint64)1798761599 * G_USEC_PER_SEC + 999999; /* 2026-12-31 23:59:59.999999 UTC */
  gint64           usec = 0;
  g_autofree char *iso = NULL;

  g_assert_true (sk_usec_from_date_kept (shown, end_of_day, TRUE, &usec));
  g_assert_cmpint (usec, ==, end_of_day);
  g_assert_true (sk_usec_from_date_kept ("2026-12-30", end_of_day, TRUE, &usec));
  g_assert_cmpint (usec, ==, end_of_day - (gint64)G_USEC_PER_SEC * 86400);
  g_assert_true (sk_usec_from_date_kept (shown, 0, FALSE, &usec));
  g_assert_cmpint (usec, ==, (gint64)1798675200 * G_USEC_PER_SEC);
  iso = sk_date_parse_kept (shown, "2026-12-31");
  g_assert_cmpstr (iso, ==, "2026-12-31");
}

/* The example a date field's title gives is a date of the field's format. */
static void
assert_example (void)
{
  g_autofree char *example = sk_date_example (0);
  g_autofree char *iso = sk_date_parse (example);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *expected = g_strdup_printf ("%d-12-31", g_date_time_get_year (now));

  g_assert_cmpstr (iso, ==, expected);
}

static void
assert_day_label (const char *iso, const char *expected)
{
  g_autofree char *label = sk_day_label_from_iso (iso);

  g_assert_cmpstr (label, ==, expected);
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
  assert_field (123456, "1,234.56");
  assert_field (1250, "12.50");
  assert_field (1000, "10");
  assert_money (-5, "−0.05\u00a0₽");
  assert_money (100000000000, "1,000,000,000.00\u00a0₽");
  {
    /* A chart's axis: 500 000 roubles, not 5 000. */
    g_autofree char *axis = sk_money_format_rubles (50000000);

    g_assert_cmpstr (axis, ==, "500,000\u00a0₽");
  }
  {
    /* What a customer reads (an SMS) is in the chain's format, whatever
     * the till's language. */
    g_autofree char *sms = sk_money_format_chain (123456);

    g_assert_cmpstr (sms, ==, "1\u202f234,56\u00a0₽");
  }
  assert_parses ("1,234.56", 123456);
  assert_parses ("1,234", 123400);
  assert_parses ("1234.5", 123450);
  /* A comma before two digits is still a decimal point. */
  assert_parses ("1299,50", 129950);
  when = sk_datetime_from_usec (NEW_YEAR_0130_MSK);
  g_assert_cmpstr (when, ==, "01/01/2026 01:30");

  /* Dates: month first, and ISO still read. */
  assert_date_shown ("2026-12-31", "12/31/2026");
  assert_date_shown ("2025-12-01", "12/01/2025");
  assert_date ("2026-12-31", "2026-12-31");
  assert_date ("1/2/2026", "2026-01-02");
  assert_date (" 12/31/2026 ", "2026-12-31");
  assert_date ("31.12.2026", NULL); /* no 31st month */
  assert_date ("13/01/2026", NULL);
  assert_date ("12/31/26", NULL); /* the year in full, as the locale writes it */
  assert_not_dates ();
  assert_kept ("12/31/2026");
  assert_example ();
  assert_day_label ("2025-11-03", "Nov 3");
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
  /* A rule's 12,5 % and 1 234,56 ₽ open as typed, not as "12.50". */
  assert_field (123456, "1\u202f234,56");
  assert_field (1250, "12,50");
  assert_field (1000, "10");
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

  /* Dates: day first, and ISO still read (a pasted 2026-12-31). */
  assert_date_shown ("2026-12-31", "31.12.2026");
  assert_date ("2026-12-31", "2026-12-31");
  assert_date ("1.2.2026", "2026-02-01");
  assert_date ("31/12/2026", "2026-12-31");
  assert_date ("12/31/2026", NULL); /* no 31st month */
  assert_date ("31.12.26", NULL);
  assert_date ("31 декабря 2026", NULL);
  assert_date ("30.02.2026", NULL);
  assert_not_dates ();
  assert_kept ("31.12.2026");
  assert_example ();
  assert_day_label ("2025-11-03", "3 ноя");
  {
    /* A birth date shown and kept as stored. */
    g_autofree char *birth = sk_date_display_from_iso ("1990-05-01");

    g_assert_cmpstr (birth, ==, "01.05.1990");
  }
  setlocale (LC_ALL, "C.UTF-8");
}

/* No monetary data in the C locale: the chain's own (Russian) format. */
static void
test_c_locale (void)
{
  if (!use_locale ("C.UTF-8"))
    return;
  assert_money (123456, "1\u202f234,56\u00a0₽");
  assert_field (123456, "1\u202f234,56");
  {
    g_autofree char *axis = sk_money_format_rubles (123456);

    g_assert_cmpstr (axis, ==, "1\u202f234\u00a0₽");
  }
  assert_parses ("1 234,56", 123456);
  assert_parses ("1234.56", 123456);

  /* Dates: the chain's own, day first (not the C library's 12/31/26). */
  assert_date_shown ("2026-12-31", "31.12.2026");
  assert_date_shown ("2025-12-01", "01.12.2025");
  assert_date ("2026-12-31", "2026-12-31");
  assert_date ("1.2.2026", "2026-02-01");
  assert_date ("12/31/2026", NULL);
  assert_date ("12/31/26", NULL);
  assert_not_dates ();
  assert_kept ("31.12.2026");
  assert_example ();
  assert_day_label ("2025-11-03", "03.11");
  /* What is not an ISO date is shown as it is. */
  {
    g_autofree char *odd = sk_date_display_from_iso ("someday");

    g_assert_cmpstr (odd, ==, "someday");
  }
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
