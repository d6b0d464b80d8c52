/* bench-delivery.c: how fast skidka-server's worker delivers e-mail to a
 * local SMTP server, with one connection per batch and with one per
 * message, and how long the birthday job takes over a large chain.
 * Usage: bench-delivery [MAILS [CUSTOMERS]]   (10 000 and 1 000 000)
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>

#include "../tests/sk-test-smtp.h"
#include "bench-util.h"
#include "sk-database-private.h"
#include "sk-demo.h"
#include "sk-notifications.h"
#include "sk-server-delivery.h"

static void
check (GError *error, const char *what)
{
  if (error != NULL)
    g_error ("%s: %s", what, error->message);
}

/* @n e-mails to one customer, queued in one transaction. */
static void
queue_mails (SkDatabase *db, const char *customer_id, gint64 n)
{
  g_autoptr (GError) error = NULL;
  gint64 now = g_get_real_time ();

  sk_db_begin (db, &error);
  for (gint64 i = 0; i < n && error == NULL; i++)
    {
      g_autofree char *id = g_uuid_string_random ();

      sk_db_exec (db, &error,
                  "INSERT INTO notifications (id, customer_id, channel, event, recipient, subject,"
                  " body, status, attempts, created_at, next_attempt_at)"
                  " VALUES (?, ?, 'email', 'bonus_earned', 'anna@example.org',"
                  " 'You earned 15,00 ₽ in bonuses', ?, 'pending', 0, ?, ?)",
                  "sssii", id, customer_id,
                  "Anna, thank you for your purchase at Tverskaya! You earned 15,00 ₽ in bonuses;"
                  " your balance is now 420,00 ₽.",
                  now, now);
    }
  check (error, "queueing");
  sk_db_commit (db, &error);
  check (error, "committing");
}

static void
bench_mails (SkServerConfig *config,
             SkDatabase     *db,
             const char     *customer_id,
             gint64          n,
             gboolean        reuse,
             SkTestSmtp     *smtp)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDelivery) delivery = NULL;
  guint  before = sk_test_smtp_count (smtp), connections = sk_test_smtp_connections (smtp);
  gint64 start, elapsed;
  int    claimed;

  queue_mails (db, customer_id, n);
  delivery = sk_delivery_new (config, &error);
  check (error, "worker");
  sk_delivery_set_reuse (delivery, reuse);
  start = g_get_monotonic_time ();
  while ((claimed = sk_delivery_run_once (delivery, &error)) > 0)
    ;
  check (error, "delivering");
  elapsed = g_get_monotonic_time () - start;
  g_print ("  %-36s %8u mails %8.2f s %9.0f mails/s  (%u connections)\n",
           reuse ? "one connection per batch of 50" : "one connection per mail",
           sk_test_smtp_count (smtp) - before, elapsed / (double)G_USEC_PER_SEC,
           (sk_test_smtp_count (smtp) - before) / (elapsed / (double)G_USEC_PER_SEC),
           sk_test_smtp_connections (smtp) - connections);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *big_path = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SkDatabase) big = NULL;
  g_autoptr (SkServerConfig) config = sk_server_config_new ();
  g_autoptr (SkCustomer) anna = sk_customer_new ();
  SkTestSmtp   *smtp;
  SkDemoOptions options = { .customers = 1000000, .purchases = 1000, .days = 30, .seed = 42 };
  gint64        mails = 10000;
  gint64        start, queued, again;

  setlocale (LC_ALL, "");
  if (argc > 1)
    mails = g_ascii_strtoll (argv[1], NULL, 10);
  if (argc > 2)
    options.customers = g_ascii_strtoll (argv[2], NULL, 10);
  if (mails <= 0 || options.customers <= 0)
    {
      g_printerr ("Usage: bench-delivery [MAILS [CUSTOMERS]]\n");
      return 2;
    }
  dir = g_dir_make_tmp ("bench-delivery-XXXXXX", &error);
  check (error, "temporary folder");

  /* E-mail to a local SMTP server (tests/sk-test-smtp.c), SQLite. */
  path = g_build_filename (dir, "mail.db", NULL);
  db = sk_database_open (path, &error);
  check (error, "database");
  g_object_set (anna, "full_name", "Anna", "phone", "+79001234567", "email", "anna@example.org",
                NULL);
  sk_database_create_customer (db, anna, &error);
  check (error, "customer");
  sk_db_exec (db, &error, "UPDATE customers SET consent_email = 1", "");
  check (error, "consent");
  smtp = sk_test_smtp_start ();
  g_free (config->database);
  config->database = g_strdup (path);
  config->notify.smtp_url = g_strdup_printf ("smtp://127.0.0.1:%u", sk_test_smtp_get_port (smtp));
  config->notify.smtp_from = g_strdup ("shop@skidka.test");
  g_print ("E-mail: %" G_GINT64_FORMAT " notifications to a local SMTP server\n", mails);
  bench_mails (config, db, anna->id, mails, TRUE, smtp);
  bench_mails (config, db, anna->id, mails, FALSE, smtp);
  sk_test_smtp_stop (smtp);

  /* The birthday job over a demo chain (children's birth dates spread over
   * the year), first run and again. */
  big_path = g_build_filename (dir, "chain.db", NULL);
  big = sk_database_open (big_path, &error);
  check (error, "chain database");
  g_print ("Birthdays: making a chain of %" G_GINT64_FORMAT " customers...\n", options.customers);
  start = g_get_monotonic_time ();
  sk_demo_generate (big, &options, NULL, &error);
  check (error, "demo chain");
  g_print ("  made in %.1f s; %" G_GINT64_FORMAT " children\n", bench_seconds_since (start),
           sk_db_query_int (big, NULL, 0, "SELECT count(*) FROM customer_children", ""));
  start = g_get_monotonic_time ();
  queued = sk_database_queue_birthdays (big, g_get_real_time (), 3, &error);
  check (error, "birthday job");
  g_print ("  %-36s %8.3f s  (%" G_GINT64_FORMAT " greetings queued)\n", "birthday job",
           bench_seconds_since (start), queued);
  start = g_get_monotonic_time ();
  again = sk_database_queue_birthdays (big, g_get_real_time (), 3, &error);
  check (error, "birthday job again");
  g_print ("  %-36s %8.3f s  (%" G_GINT64_FORMAT " queued)\n", "the same job again",
           bench_seconds_since (start), again);

  g_clear_object (&db);
  g_clear_object (&big);
  bench_remove_dir (dir);
  return 0;
}
