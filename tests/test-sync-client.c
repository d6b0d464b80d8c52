/* test-sync-client.c: a till's SkSyncClient against skidka-server
 * in-process on port 0 (SQLite, or PostgreSQL under with-postgres.sh): an
 * offline sale reaches HQ exactly once, HQ's rules reach the till, and
 * 401, a dead server and an expired cursor lose nothing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "sk-change-feed.h"
#include "sk-database-private.h"
#include "sk-postgres.h"
#include "sk-server-private.h"
#include "sk-sync-client.h"
#include "sk-sync-till.h"
#include "sk-test-postgres.h"
#include "sk-test-server.h"
#include "sk-test-util.h"

static struct
{
  SkTestHq hq;
  char    *store;
} env;

/* One cycle, waited for on this thread's main context. */
static SkSyncSummary *
sync_once (SkSyncClient *client, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  sk_sync_client_sync_async (client, NULL, sk_test_keep_result, &result);
  g_assert_cmpint (sk_sync_client_get_state (client), ==, SK_SYNC_STATE_SYNCING);
  sk_test_wait_result (&result);
  return sk_sync_client_sync_finish (client, result, error);
}

static SkSyncSummary *
sync_ok (SkSyncClient *client)
{
  g_autoptr (GError) error = NULL;
  SkSyncSummary *summary = sync_once (client, &error);

  g_assert_no_error (error);
  g_assert_nonnull (summary);
  g_assert_cmpint (sk_sync_client_get_state (client), ==, SK_SYNC_STATE_IDLE);
  g_assert_cmpint (sk_sync_client_get_pending (client), ==, summary->pending);
  g_assert_cmpint (sk_sync_client_get_last_success (client), >, 0);
  g_assert_null (sk_sync_client_get_last_error (client));
  return summary;
}

/* Signs @client in at HQ as @username. */
static void
sign_in (SkSyncClient *client, const char *username, const char *password)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *token = sk_sync_login (env.hq.url, username, password, NULL, &error);

  g_assert_no_error (error);
  sk_sync_client_set_token (client, token);
}

static SkDiscountRule *
hq_rule (const char *name)
{
  return sk_test_save_rule (env.hq.db, sk_test_rule_new (name, "percentage", 500, NULL));
}

static SkPurchaseResult *
sell (SkDatabase *till, const char *customer_id, gint64 bonus_to_spend)
{
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (GError) error = NULL;
  SkPurchaseResult *sold;

  request->id = g_uuid_string_random ();
  request->customer_id = g_strdup (customer_id);
  request->cart = sk_cart_new (env.store);
  sk_cart_add_line (request->cart, "bear", "Teddy bear", "toys", 10000, 3);
  request->bonus_to_spend = bonus_to_spend;
  sold = sk_database_process_purchase (till, request, &error);
  g_assert_no_error (error);
  return sold;
}

/* Sales of this id at HQ (either backend). */
static gint64
hq_purchases (const char *id)
{
  return sk_db_query_int (env.hq.db, NULL, -1, "SELECT count(*) FROM purchases WHERE id = ?", "s",
                          id);
}

static gint64
balance_at (SkDatabase *db, const char *customer_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_database_get_customer (db, customer_id, &error);

  g_assert_no_error (error);
  return sk_record_get_int64 (customer, "bonus_balance");
}

/* A till sells offline; HQ adds a rule meanwhile; one cycle later HQ has
 * the sale once, the till has the rule and an empty outbox, and the next
 * cycle has nothing to do. */
static void
test_sync_cycle (void)
{
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till.db", NULL);
  g_autoptr (SkDatabase) till = sk_database_open (till_path, NULL);
  g_autoptr (SkSyncClient) client = sk_sync_client_new (till_path, env.hq.url);
  g_autoptr (SkCustomer) olga = sk_test_create_customer (env.hq.db, "Olga HQ", "+79055550170");
  g_autoptr (SkBonusTransaction) welcome = NULL;
  g_autoptr (SkDiscountRule) rule = NULL;
  g_autoptr (SkDiscountRule) at_till = NULL;
  g_autoptr (SkPurchaseResult) sold = NULL;
  g_autoptr (SkSyncSummary) first = NULL;
  g_autoptr (SkSyncSummary) second = NULL;
  g_autoptr (SkSyncSummary) third = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sale_id = NULL;
  gint64           till_balance;

  g_assert_nonnull (till);
  welcome
      = sk_database_bonus_manual (env.hq.db, olga->id, "earn", 50000, "welcome", env.store, &error);
  g_assert_no_error (error);

  sign_in (client, "cashier1", "cashier-pass");

  /* First contact: the till takes HQ's store and customers. */
  first = sync_ok (client);
  g_assert_cmpint (first->pushed, ==, 0);
  g_assert_cmpint (first->pulled, >, 0);
  g_assert_cmpint (first->pending, ==, 0);
  g_assert_nonnull (first->cursor);
  g_assert_cmpint (balance_at (till, olga->id), ==, 50000);

  /* Offline: a sale with bonuses spent; HQ adds a rule meanwhile. */
  sold = sell (till, olga->id, 10000);
  sale_id = g_strdup (sk_record_get_id (sold->purchase));
  till_balance = balance_at (till, olga->id);
  g_assert_cmpint (till_balance, <, 50000);
  g_assert_cmpint (sk_database_count_outbox (till, NULL), ==, 1);
  rule = hq_rule ("HQ spring");

  /* A pull while the sale is unacknowledged does not hide it: the balance
   * is HQ's plus the till's own movements. */
  {
    g_autoptr (SkChangePage) page = sk_database_pull_changes (env.hq.db, NULL, 500, &error);

    g_assert_no_error (error);
    g_assert_true (sk_database_apply_changes (till, json_node_get_array (page->refs),
                                              json_node_get_array (page->changes),
                                              page->next_cursor, &error));
    g_assert_no_error (error);
    g_assert_cmpint (balance_at (till, olga->id), ==, till_balance);
    g_assert_cmpint (sk_database_count_outbox (till, NULL), ==, 1);
    {
      g_autoptr (SkPurchase) kept = sk_database_get_purchase (till, sale_id, NULL);

      g_assert_nonnull (kept);
    }
  }

  second = sync_ok (client);
  g_assert_cmpint (second->pushed, ==, 1);
  g_assert_cmpint (second->applied, ==, 1);
  g_assert_cmpint (second->duplicates, ==, 0);
  g_assert_cmpint (second->rejected, ==, 0);
  g_assert_cmpint (second->pending, ==, 0);
  g_assert_cmpint (second->pulled, >, 0);
  g_assert_cmpint (sk_database_count_outbox (till, NULL), ==, 0);
  g_assert_cmpint (hq_purchases (sale_id), ==, 1);
  g_assert_cmpint (balance_at (env.hq.db, olga->id), ==, till_balance);
  g_assert_cmpint (balance_at (till, olga->id), ==, till_balance);
  at_till = sk_database_get_rule (till, rule->id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sk_record_get_string (at_till, "name"), ==, "HQ spring");

  /* Nothing new either way. */
  third = sync_ok (client);
  g_assert_cmpint (third->pushed, ==, 0);
  g_assert_cmpint (third->pulled, ==, 0);
  g_assert_cmpstr (third->cursor, ==, second->cursor);
  g_assert_cmpint (hq_purchases (sale_id), ==, 1);
}

/* A refused token and a dead server keep every event; an expired cursor
 * pulls everything again. */
static void
test_sync_faults (void)
{
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till-faults.db", NULL);
  g_autoptr (SkDatabase) till = sk_database_open (till_path, NULL);
  g_autoptr (SkSyncClient) client = sk_sync_client_new (till_path, env.hq.url);
  g_autoptr (SkSyncClient) dead = NULL;
  g_autoptr (SkSyncSummary) first = NULL;
  g_autoptr (SkSyncSummary) again = NULL;
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (SkPurchaseResult) sold = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *dead_url = NULL;

  g_assert_nonnull (till);
  token = sk_sync_login (env.hq.url, "cashier1", "cashier-pass", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (sk_sync_login (env.hq.url, "cashier1", "wrong", NULL, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  sk_sync_client_set_token (client, token);
  first = sync_ok (client);
  sold = sell (till, NULL, 0);

  /* 401: sign in again, nothing lost. */
  sk_sync_client_set_token (client, "not-a-token");
  summary = sync_once (client, &error);
  g_assert_null (summary);
  g_assert_error (error, SK_ERROR, SK_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_assert_cmpint (sk_sync_client_get_state (client), ==, SK_SYNC_STATE_ERROR);
  g_assert_nonnull (sk_sync_client_get_last_error (client));
  g_assert_cmpint (sk_sync_client_get_pending (client), ==, 1);
  g_assert_cmpint (sk_database_count_outbox (till, NULL), ==, 1);

  /* A port nobody listens on: offline, nothing lost. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  dead_url = g_strdup_printf ("http://127.0.0.1:%u/",
                              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  dead = sk_sync_client_new (till_path, dead_url);
  sk_sync_client_set_token (dead, token);
  sk_sync_client_set_retry (dead, 2, 10);
  g_assert_cmpint (sk_sync_client_get_retry_delay (dead), ==, 0);
  for (guint failures = 1; failures <= 3; failures++)
    {
      gint64 delay, most = SK_SYNC_CLIENT_RETRY_FIRST << (failures - 1);

      summary = sync_once (dead, &error);
      g_assert_null (summary);
      g_assert_nonnull (error);
      g_assert_true (error->domain != SK_ERROR);
      g_clear_error (&error);
      g_assert_cmpint (sk_sync_client_get_state (dead), ==, SK_SYNC_STATE_OFFLINE);
      g_assert_cmpint (sk_database_count_outbox (till, NULL), ==, 1);
      /* The next cycle backs off, twice as long each time, with jitter. */
      g_assert_cmpuint (sk_sync_client_get_failures (dead), ==, failures);
      delay = sk_sync_client_get_retry_delay (dead);
      g_assert_cmpint (delay, >=, most / 2);
      g_assert_cmpint (delay, <=, most);
    }

  /* A cursor HQ does not know: the whole copy again, the sale pushed once. */
  g_assert_true (sk_database_set_setting (till, SK_SETTING_SYNC_CURSOR, "f1.unknown.0.1", &error));
  g_assert_no_error (error);
  sk_sync_client_set_token (client, token);
  again = sync_ok (client);
  g_assert_cmpint (again->pushed, ==, 1);
  g_assert_cmpint (again->applied, ==, 1);
  g_assert_cmpint (again->pulled, >=, first->pulled);
  g_assert_cmpint (again->pending, ==, 0);
  g_assert_false (g_str_has_prefix (again->cursor, "f1.unknown"));
  g_assert_cmpint (hq_purchases (sk_record_get_id (sold->purchase)), ==, 1);
  g_assert_cmpuint (sk_sync_client_get_failures (client), ==, 0);
  g_assert_cmpint (sk_sync_client_get_retry_delay (client), ==, 0);
}

/* HQ gets @records of the till (version 0: created with the till's ids). */
static void
hq_copy (GPtrArray *records, gboolean (*save) (SkDatabase *, gpointer, GError **))
{
  g_assert_nonnull (records);
  for (guint i = 0; i < records->len; i++)
    {
      g_autoptr (GError) error = NULL;

      g_object_set (g_ptr_array_index (records, i), "version", (gint64)0, NULL);
      save (env.hq.db, g_ptr_array_index (records, i), &error);
      g_assert_no_error (error);
    }
  g_ptr_array_unref (records);
}

/* A till of the release before sync (schema 9, tests/data): its file
 * upgrades, and its outbox, written by that release, reaches HQ: its sales
 * at the till's prices, its customer's balance; what only HQ edits (the
 * demo chain's stores, rules and campaigns) is refused and kept for review,
 * and blocks nothing. */
static void
test_sync_upgrade (void)
{
  g_autofree char *dump_path
      = g_test_build_filename (G_TEST_DIST, "data", "till-schema-9.sql", NULL);
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till-schema-9.db", NULL);
  g_autofree char *dump = NULL;
  g_autoptr (SkDatabase) till = NULL;
  g_autoptr (SkSyncClient) client = NULL;
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (SkSyncSummary) again = NULL;
  g_autoptr (SkCustomer) at_hq = NULL;
  g_autoptr (SkCustomer) at_till = NULL;
  g_autoptr (SkPurchase) sale = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) campaigns = NULL;
  g_autofree char *user = NULL;
  const char      *customer = "01a03b64-cb26-76f7-971b-b0b8b4350885";
  const char      *msk = "846487a9-fe86-4fb8-aac5-289912f998ba";
  sqlite3         *handle = NULL;

  g_assert_true (g_file_get_contents (dump_path, &dump, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (till_path, &handle), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (handle, dump, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (handle);

  till = sk_database_open (till_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_get_schema_version (till), ==, SK_SCHEMA_VERSION);
  g_assert_cmpint (sk_database_count_outbox (till, NULL), ==, 29);

  /* HQ has the chain the till was given; the customers are in its outbox. */
  hq_copy (sk_database_list_stores (till, NULL), (gpointer)sk_database_save_store);
  campaigns = sk_database_list_campaigns (till, NULL);
  g_assert_nonnull (campaigns);
  for (guint i = 0; i < campaigns->len; i++) /* their rules name them */
    g_clear_pointer (&((SkCampaign *)g_ptr_array_index (campaigns, i))->rule_ids, g_strfreev);
  hq_copy (g_steal_pointer (&campaigns), (gpointer)sk_database_save_campaign);
  hq_copy (sk_database_list_rules (till, NULL), (gpointer)sk_database_save_rule);
  user = sk_auth_create_user (env.hq.db, "cashier-msk", "msk-pass", "cashier", msk, &error);
  g_assert_no_error (error);

  client = sk_sync_client_new (till_path, env.hq.url);
  sign_in (client, "cashier-msk", "msk-pass");
  summary = sync_ok (client);
  /* 5 stores, 4 campaign and 16 rule events are HQ's to make, the customer
   * of another store another till's: refused, acknowledged. Applied: the
   * customer of this store and both sales. */
  g_assert_cmpint (summary->pushed, ==, 29);
  g_assert_cmpint (summary->applied, ==, 3);
  g_assert_cmpint (summary->rejected, ==, 26);
  g_assert_cmpint (summary->pending, ==, 0);

  sale = sk_database_get_purchase (env.hq.db, "8d3f7a52-6c1e-4e0b-9a55-0b7a1c2d3e01", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sale->customer_id, ==, customer);
  g_assert_cmpint (sale->subtotal, ==, 699800);
  g_assert_cmpint (sale->discount_total, ==, 50000);
  g_assert_cmpint (sale->total_paid, ==, 649800);
  g_assert_cmpint (sale->bonus_earned, ==, 6498);
  g_assert_cmpint (hq_purchases ("8d3f7a52-6c1e-4e0b-9a55-0b7a1c2d3e02"), ==, 1);
  at_hq = sk_database_get_customer (env.hq.db, customer, &error);
  g_assert_no_error (error);
  g_assert_cmpint (at_hq->bonus_balance, ==, 6498);
  g_assert_cmpint (at_hq->visits, ==, 1);
  at_till = sk_database_get_customer (till, customer, &error);
  g_assert_no_error (error);
  g_assert_cmpint (at_till->bonus_balance, ==, 6498);

  /* Nothing twice. */
  again = sync_ok (client);
  g_assert_cmpint (again->pushed, ==, 0);
  g_assert_cmpint (hq_purchases ("8d3f7a52-6c1e-4e0b-9a55-0b7a1c2d3e01"), ==, 1);
}

static gint64
summary_int (SkTestRun *run, const char *name)
{
  g_autoptr (JsonNode) node = json_from_string (run->out, NULL);

  g_assert_nonnull (node);
  return json_object_get_int_member (json_node_get_object (node), name);
}

/* A sale of @id in the file of a till run by the CLI. */
static gint64
till_purchases (const char *till, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = sk_database_open (till, &error);

  g_assert_no_error (error);
  return sk_test_query_int (db, "SELECT count(*) FROM purchases WHERE id = ?", id);
}

/* Tills whose clocks are wrong, for real (faketime): a month ahead, a
 * year behind (a sale made there says so). Each keeps the store's sales
 * of HQ's last 14 days, as a till on time does: a sale HQ had 20 days ago
 * is not kept, today's is. */
static void
test_sync_clock_off (void)
{
  static const char *const clocks[] = { "+30d", "-1y" };
  static const gint64      off_days[] = { 30, -365 };
  g_autofree char         *password = g_build_filename (env.hq.dir, "clock-password", NULL);
  g_autofree char         *token = g_build_filename (env.hq.dir, "clock-token", NULL);
  g_autoptr (SkPurchaseResult) today = sell (env.hq.db, NULL, 0);
  g_autoptr (SkPurchaseResult) before = sell (env.hq.db, NULL, 0);
  const char      *old = sk_record_get_id (before->purchase);
  g_autofree char *sql
      = g_strdup_printf ("UPDATE purchases SET created_at = created_at - %" G_GINT64_FORMAT
                         ", updated_at = updated_at - %" G_GINT64_FORMAT " WHERE id = '%s'",
                         20 * G_TIME_SPAN_DAY, 20 * G_TIME_SPAN_DAY, old);
  g_autoptr (SkTestRun) run = NULL;

  sk_test_exec_sql (env.hq.db, sql);
  g_assert_true (g_file_set_contents (password, "cashier-pass\n", -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (clocks); i++)
    {
      g_autofree char *name = g_strdup_printf ("clock-till-%u.db", i);
      g_autofree char *till = g_build_filename (env.hq.dir, name, NULL);

      g_clear_pointer (&run, sk_test_run_free);
      run = sk_test_run_cli (NULL, "--db", till, "init");
      sk_test_assert_ok (run);
      g_clear_pointer (&run, sk_test_run_free);
      run = sk_test_run_cli (NULL, "--db", till, "sync", "login", "--server", env.hq.url,
                             "--username", "cashier1", "--password-file", password, "--token-file",
                             token);
      sk_test_assert_ok (run);
      g_clear_pointer (&run, sk_test_run_free);
      run = sk_test_run_cli_at (clocks[i], NULL, "--db", till, "sync", "--server", env.hq.url,
                                "--token-file", token);
      sk_test_assert_ok (run);
      g_assert_cmpint (summary_int (run, "sales_kept"), >=, 1);
      g_assert_cmpint (till_purchases (till, sk_record_get_id (today->purchase)), ==, 1);
      g_assert_cmpint (till_purchases (till, old), ==, 0);
      {
        g_autofree char *id = g_uuid_string_random ();
        g_autofree char *request = g_strdup_printf (
            "{\"id\": \"%s\", \"store_id\": \"%s\", \"items\": [{\"sku\": \"bear\", \"name\":"
            " \"Teddy bear\", \"category\": \"toys\", \"unit_price\": 10000, \"quantity\": 1}]}",
            id, env.store);
        g_autoptr (SkDatabase) db = NULL;
        g_autoptr (GError) error = NULL;
        gint64 made;

        g_clear_pointer (&run, sk_test_run_free);
        run = sk_test_run_cli_at (clocks[i], request, "--db", till, "purchase");
        sk_test_assert_ok (run);
        db = sk_database_open (till, &error);
        g_assert_no_error (error);
        made = sk_test_query_int (db, "SELECT created_at FROM purchases WHERE id = ?", id);
        g_assert_cmpint (ABS (made - sk_time_now () - off_days[i] * G_TIME_SPAN_DAY), <,
                         2 * G_TIME_SPAN_DAY);
      }
    }
}

/* A headless till run by skidka-cli alone (SPEC 6, issue "sync" item 6):
 * init, sign in (the token file its owner's only; a wrong password writes
 * nothing), one sync makes it a working till that sells offline with HQ's
 * rules and customers, a customer registered there and the sale reach HQ at
 * the next sync, and a server that cannot be reached fails clearly and
 * loses nothing. */
static void
test_sync_cli (void)
{
  g_autofree char *till = g_build_filename (env.hq.dir, "cli-till.db", NULL);
  g_autofree char *password = g_build_filename (env.hq.dir, "cli-password", NULL);
  g_autofree char *wrong = g_build_filename (env.hq.dir, "cli-wrong", NULL);
  g_autofree char *token = g_build_filename (env.hq.dir, "cli-token", NULL);
  g_autoptr (SkCustomer) anna = sk_test_create_customer (env.hq.db, "Anna CLI", "+79055550177");
  g_autoptr (SkDiscountRule) rule = hq_rule ("CLI till: 5 % off");
  g_autoptr (SkTestRun) run = NULL;
  g_autoptr (JsonNode) sold = NULL;
  g_autoptr (JsonNode) registered = NULL;
  g_autoptr (SkPurchase) at_hq = NULL;
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (SkEngineResult) priced = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *request = NULL;
  g_autofree char *sale_id = g_uuid_string_random ();
  const char      *url = env.hq.url;
  const char      *customer_id;
  gint64           discount;
  GStatBuf         st;

  g_assert_true (g_file_set_contents (password, "cashier-pass\n", -1, NULL));
  g_assert_true (g_file_set_contents (wrong, "not-the-password\n", -1, NULL));
  run = sk_test_run_cli (NULL, "--db", till, "init");
  sk_test_assert_ok (run);
  g_clear_pointer (&run, sk_test_run_free);

  run = sk_test_run_cli (NULL, "--db", till, "sync", "login", "--server", url, "--username",
                         "cashier1", "--password-file", wrong, "--token-file", token);
  sk_test_assert_fails (run, 1, NULL);
  g_assert_false (g_file_test (token, G_FILE_TEST_EXISTS));
  g_clear_pointer (&run, sk_test_run_free);
  run = sk_test_run_cli (NULL, "--db", till, "sync", "login", "--server", url, "--username",
                         "cashier1", "--password-file", password, "--token-file", token);
  sk_test_assert_ok (run);
  g_assert_cmpint (g_stat (token, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_clear_pointer (&run, sk_test_run_free);

  run = sk_test_run_cli (NULL, "--db", till, "sync", "--server", url, "--token-file", token);
  sk_test_assert_ok (run);
  g_assert_cmpint (summary_int (run, "pulled"), >, 0);
  g_assert_cmpint (summary_int (run, "pending"), ==, 0);
  g_clear_pointer (&run, sk_test_run_free);

  /* Offline now: a sale to HQ's customer, priced by HQ's rule. */
  request = g_strdup_printf (
      "{\"id\": \"%s\", \"store_id\": \"%s\", \"customer_id\": \"%s\", \"items\": [{\"sku\": "
      "\"bear\", \"name\": \"Teddy bear\", \"category\": \"toys\", \"unit_price\": 10000, "
      "\"quantity\": 2}], \"bonus_to_spend\": 0}",
      sale_id, env.store, sk_record_get_id (anna));
  run = sk_test_run_cli (request, "--db", till, "purchase");
  sk_test_assert_ok (run);
  sold = json_from_string (run->out, NULL);
  g_assert_nonnull (sold);
  cart = sk_cart_new (env.store);
  sk_cart_add_line (cart, "bear", "Teddy bear", "toys", 10000, 2);
  priced = sk_database_calculate (env.hq.db, cart, sk_record_get_id (anna), sk_time_now (), &error);
  g_assert_no_error (error);
  discount = json_object_get_int_member (
      json_object_get_object_member (json_node_get_object (sold), "purchase"), "discount_total");
  g_assert_cmpint (discount, ==, priced->discount_total);
  g_assert_cmpint (discount, >=, 1000); /* the rule HQ just made among them */
  g_clear_pointer (&run, sk_test_run_free);
  run = sk_test_run_cli ("{\"full_name\": \"Boris Till\", \"phone\": \"+79055550178\"}", "--db",
                         till, "customer", "add");
  sk_test_assert_ok (run);
  registered = json_from_string (run->out, NULL);
  g_assert_nonnull (registered);
  customer_id = json_object_get_string_member (json_node_get_object (registered), "id");
  g_clear_pointer (&run, sk_test_run_free);

  /* HQ down: a clear failure, both events kept. */
  run = sk_test_run_cli (NULL, "--db", till, "sync", "--server", "http://127.0.0.1:1",
                         "--token-file", token);
  sk_test_assert_fails (run, 1, "2 events stay in the outbox");
  g_clear_pointer (&run, sk_test_run_free);

  run = sk_test_run_cli (NULL, "--db", till, "sync", "--server", url, "--token-file", token);
  sk_test_assert_ok (run);
  g_assert_cmpint (summary_int (run, "pushed"), ==, 2);
  g_assert_cmpint (summary_int (run, "applied"), ==, 2);
  g_assert_cmpint (summary_int (run, "pending"), ==, 0);
  at_hq = sk_database_get_purchase (env.hq.db, sale_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (at_hq->discount_total, ==, discount);
  g_assert_cmpint (at_hq->total_paid, ==, 20000 - discount);
  g_assert_cmpint (balance_at (env.hq.db, sk_record_get_id (anna)), ==, at_hq->bonus_earned);
  g_assert_cmpint (sk_db_query_int (env.hq.db, NULL, -1,
                                    "SELECT count(*) FROM customers WHERE id = ? AND phone = ?",
                                    "ss", customer_id, "+79055550178"),
                   ==, 1);
}

/* The feed keeps each record's latest change: a store and a campaign
 * edited after their customers and rules were made come after them. A new
 * till still takes them in one sync: a page gives what its records refer
 * to before them. */
static void
test_sync_parents_first (void)
{
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till-parents.db", NULL);
  g_autoptr (SkStore) store = sk_test_store_new ("S9", "Store nine");
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (SkDiscountRule) rule
      = sk_test_rule_new ("Parents first: 5 %", "percentage", 500, NULL);
  g_autoptr (SkCustomer) customer = sk_customer_new ();
  g_autoptr (SkSyncClient) client = sk_sync_client_new (till_path, env.hq.url);
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (SkDatabase) till = NULL;
  g_autoptr (SkStore) at_till = NULL;
  g_autoptr (SkDiscountRule) rule_at_till = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_database_save_store (env.hq.db, store, &error));
  g_assert_no_error (error);
  sk_test_set_string (&campaign->name, "Parents first");
  sk_test_set_string (&campaign->status, "active");
  campaign->starts_at = sk_time_now () - G_TIME_SPAN_DAY;
  campaign->ends_at = sk_time_now () + 30 * G_TIME_SPAN_DAY;
  g_assert_true (sk_database_save_campaign (env.hq.db, campaign, &error));
  g_assert_no_error (error);
  sk_test_set_string (&rule->campaign_id, sk_record_get_id (campaign));
  sk_test_save_rule (env.hq.db, rule);
  g_object_set (customer, "full_name", "Nina Nine", "phone", "+79055550199", "home-store-id",
                sk_record_get_id (store), NULL);
  g_assert_true (sk_database_create_customer (env.hq.db, customer, &error));
  g_assert_no_error (error);
  /* Edited after: their changes now follow the customer's and the rule's. */
  g_object_set (store, "address", "Ninth street 9", NULL);
  g_assert_true (sk_database_save_store (env.hq.db, store, &error));
  g_assert_no_error (error);
  sk_test_set_string (&campaign->description, "Edited after its rule");
  g_assert_true (sk_database_save_campaign (env.hq.db, campaign, &error));
  g_assert_no_error (error);

  sign_in (client, "cashier1", "cashier-pass");
  summary = sync_ok (client);
  g_assert_cmpint (summary->pending, ==, 0);
  till = sk_database_open (till_path, &error);
  g_assert_no_error (error);
  at_till = sk_database_get_store (till, sk_record_get_id (store), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (at_till->address, ==, "Ninth street 9");
  rule_at_till = sk_database_get_rule (till, sk_record_get_id (rule), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rule_at_till->campaign_id, ==, sk_record_get_id (campaign));
  g_assert_cmpint (balance_at (till, sk_record_get_id (customer)), ==, 0);
}

/* A pull of many pages: each page's Link names the next page as the till
 * would ask for it (so the till asks for it before parsing the page), and
 * a till syncing in pages of SK_SYNC_CLIENT_BATCH takes every customer. */
static void
test_sync_pages (void)
{
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till-pages.db", NULL);
  g_autoptr (SkSyncClient) client = sk_sync_client_new (till_path, env.hq.url);
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (SkDatabase) till = NULL;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *since = NULL;
  guint            pages = 0;
  const gint64     customers = 2 * SK_SYNC_CLIENT_BATCH + 100;

  for (gint64 i = 0; i < customers; i++)
    {
      g_autofree char *name = g_strdup_printf ("Paged customer %" G_GINT64_FORMAT, i);
      g_autofree char *phone = g_strdup_printf ("+7906%07" G_GINT64_FORMAT, i);

      g_object_unref (sk_test_create_customer (env.hq.db, name, phone));
    }

  /* HQ's pages of 400, read as a client reads them. */
  token = sk_sync_login (env.hq.url, "cashier1", "cashier-pass", NULL, &error);
  g_assert_no_error (error);
  for (;;)
    {
      g_autofree char *escaped = since ? g_uri_escape_string (since, NULL, FALSE) : NULL;
      g_autofree char *url = g_strdup_printf ("%s/api/sync/pull?limit=400%s%s", env.hq.url,
                                              escaped ? "&since=" : "", escaped ? escaped : "");
      g_autoptr (SoupMessage) msg = soup_message_new ("GET", url);
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      g_autoptr (GBytes) body = NULL;
      g_autoptr (JsonNode) page = NULL;
      g_autofree char *next = NULL;
      JsonObject      *object;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      body = soup_session_send_and_read (session, msg, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
      page = sk_json_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
      g_assert_no_error (error);
      object = json_node_get_object (page);
      next = sk_sync_link_next (
          soup_message_headers_get_one (soup_message_get_response_headers (msg), "Link"));
      pages++;
      g_free (since);
      since = g_strdup (json_object_get_string_member (object, "next_cursor"));
      if (!json_object_get_boolean_member (object, "has_more"))
        {
          g_assert_null (next);
          break;
        }
      {
        g_autofree char *named = g_uri_escape_string (since, NULL, FALSE);
        g_autofree char *expected = g_strdup_printf ("/api/sync/pull?limit=400&since=%s", named);

        g_assert_cmpstr (next, ==, expected);
      }
    }
  g_assert_cmpuint (pages, >=, customers / 400);

  sign_in (client, "cashier1", "cashier-pass");
  summary = sync_ok (client);
  g_assert_cmpint (summary->pulled, >=, customers);
  g_assert_cmpint (summary->pending, ==, 0);
  till = sk_database_open (till_path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      sk_db_query_int (till, NULL, -1,
                       "SELECT count(*) FROM customers WHERE full_name LIKE 'Paged customer %'",
                       NULL),
      ==, customers);
  g_assert_cmpstr (summary->cursor, ==, since);
}

/* A Link header names a page of the pull, or nothing the till follows. */
static void
test_sync_link (void)
{
  const char *refused[] = {
    NULL,
    "",
    "</api/sync/pull?limit=500&since=x>",
    "</api/sync/pull?limit=500&since=x>; rel=\"prev\"",
    "<https://elsewhere.example/api/sync/pull?since=x>; rel=\"next\"",
    "</api/customers?cursor=x>; rel=\"next\"",
    "/api/sync/pull?since=x; rel=\"next\"",
    "</api/sync/pull?since=x; rel=\"next\"",
  };
  g_autofree char *next
      = sk_sync_link_next ("</api/sync/pull?limit=500&since=f1.ab.0.7>; rel=\"next\"");

  g_assert_cmpstr (next, ==, "/api/sync/pull?limit=500&since=f1.ab.0.7");
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *none = sk_sync_link_next (refused[i]);

      g_assert_null (none);
    }
}

/* A stand-in HQ whose pull answers are written by the test: pages "c0"
 * (no Link: the till asks for the next page by its cursor), "c1" (a Link
 * to another page than its cursor names, until @honest) and "c2" (the
 * last). */
typedef struct
{
  gboolean honest;
} FakeHq;

/* A page of the pull with a new store of code @code (NULL: none). */
static char *
fake_page (const char *code, const char *next_cursor, gboolean has_more)
{
  g_autoptr (SkStore) store = NULL;
  g_autoptr (JsonNode) data = NULL;
  g_autofree char *record = NULL;
  g_autofree char *change = NULL;

  if (code != NULL)
    {
      store = sk_test_store_new (code, code);
      g_free (store->id);
      store->id = g_uuid_string_random ();
      data = sk_record_to_json (SK_RECORD (store));
      record = sk_json_to_string (data, FALSE);
      change = g_strdup_printf ("{\"entity\": \"store\", \"id\": \"%s\", \"op\": \"upsert\","
                                " \"data\": %s}",
                                store->id, record);
    }
  return g_strdup_printf ("{\"changes\": [%s], \"next_cursor\": \"%s\", \"has_more\": %s}",
                          change ? change : "", next_cursor, has_more ? "true" : "false");
}

static void
fake_pull (
    SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  FakeHq          *fake = data;
  const char      *since = query ? g_hash_table_lookup (query, "since") : NULL;
  const char      *link = NULL;
  g_autofree char *text = NULL;

  if (g_strcmp0 (since, "c1") == 0)
    {
      text = fake_page ("F1", "c2", TRUE);
      link = fake->honest ? "</api/sync/pull?limit=500&since=c2>; rel=\"next\""
                          : "</api/sync/pull?limit=500&since=c9>; rel=\"next\"";
    }
  else if (g_strcmp0 (since, "c2") == 0)
    text = fake_page (NULL, "c2", FALSE);
  else
    text = fake_page ("F0", "c1", TRUE);
  if (link != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Link", link);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
  soup_server_message_set_status (msg, 200, NULL);
}

/* The page asked for ahead must be the one the cursor names: a Link to
 * another is refused before the page is applied, and the till keeps the
 * cursor of the pages before; a page without a Link is followed by its
 * cursor. */
static void
test_sync_link_checked (void)
{
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till-link.db", NULL);
  g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  SkListenerLimits limits = { 10, 10, 10, 10 };
  SkListener      *listener;
  g_autoptr (SkSyncClient) client = NULL;
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (SkDatabase) till = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *cursor = NULL;
  FakeHq           fake = { FALSE };

  /* The server's own accept loop: libsoup 3.2's loses a socket a
   * connection (bench/README-libsoup-leak.md). */
  soup_server_add_handler (server, "/api/sync/pull", fake_pull, &fake, NULL);
  listener = sk_listener_new (server, address, NULL, &limits, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("http://127.0.0.1:%u", sk_listener_get_port (listener));
  client = sk_sync_client_new (till_path, url);
  sk_sync_client_set_token (client, "fake");

  summary = sync_once (client, &error);
  g_assert_null (summary);
  g_assert_error (error, SK_ERROR, SK_ERROR_MALFORMED);
  g_clear_error (&error);
  till = sk_database_open (till_path, &error);
  g_assert_no_error (error);
  cursor = sk_database_get_sync_cursor (till);
  g_assert_cmpstr (cursor, ==, "c1");
  g_assert_cmpint (
      sk_db_query_int (till, NULL, -1, "SELECT count(*) FROM stores WHERE code = 'F0'", NULL), ==,
      1);
  g_assert_cmpint (
      sk_db_query_int (till, NULL, -1, "SELECT count(*) FROM stores WHERE code = 'F1'", NULL), ==,
      0);

  fake.honest = TRUE;
  summary = sync_ok (client);
  g_assert_cmpstr (summary->cursor, ==, "c2");
  g_assert_cmpint (
      sk_db_query_int (till, NULL, -1, "SELECT count(*) FROM stores WHERE code = 'F1'", NULL), ==,
      1);
  sk_listener_free (listener);
  soup_server_disconnect (server);
}

/* Rows of the change feed a database keeps. */
static gint64
feed_rows (SkDatabase *db)
{
  return sk_db_query_int (db, NULL, -1, "SELECT count(*) FROM changes", NULL);
}

/* A till takes HQ's feed and keeps none of its own; should its file become
 * a server's, that server builds the feed again from the file, under a new
 * epoch: a cursor of the old HQ is refused, and a pull from the start
 * gives every customer the till had. */
static void
test_sync_till_feed (void)
{
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till-feed.db", NULL);
  g_autoptr (SkDatabase) till = sk_database_open (till_path, NULL);
  g_autoptr (SkSyncClient) client = sk_sync_client_new (till_path, env.hq.url);
  g_autoptr (SkCustomer) anna = sk_test_create_customer (env.hq.db, "Anna Feed", "+79055550181");
  g_autoptr (SkCustomer) local = NULL;
  g_autoptr (SkSyncSummary) first = NULL;
  g_autoptr (SkChangePage) page = NULL;
  g_autoptr (GError) error = NULL;
  SkTestServer *server;
  gint64        customers, pulled_customers = 0;

  g_assert_nonnull (till);
  sign_in (client, "cashier1", "cashier-pass");
  first = sync_ok (client);
  g_assert_cmpint (balance_at (till, anna->id), ==, 0);
  g_assert_cmpint (feed_rows (till), ==, 0);

  /* The till's own registration is queued for HQ, not fed. */
  local = sk_test_create_customer (till, "Local Feed", "+79055550182");
  g_assert_cmpint (feed_rows (till), ==, 0);
  g_assert_cmpint (sk_database_count_outbox (till, NULL), ==, 1);
  customers = sk_db_query_int (till, NULL, -1, "SELECT count(*) FROM customers", NULL);
  g_assert_cmpint (customers, >=, 2);
  g_clear_object (&till);

  /* The file becomes a server's. */
  server = sk_test_server_start (sk_test_server_config (till_path, 1));
  till = sk_database_open (till_path, NULL);
  g_assert_cmpint (feed_rows (till), >=, customers);
  g_assert_null (sk_database_pull_changes (till, first->cursor, 10, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_CURSOR_EXPIRED);
  g_clear_error (&error);
  page = sk_database_pull_changes (till, NULL, 10000, &error);
  g_assert_no_error (error);
  g_assert_false (page->has_more);
  for (guint i = 0; i < page->n_changes; i++)
    {
      JsonObject *change = json_array_get_object_element (json_node_get_array (page->changes), i);

      if (g_str_equal (json_object_get_string_member (change, "entity"), SK_FEED_CUSTOMER))
        pulled_customers++;
    }
  g_assert_cmpint (pulled_customers, ==, customers);
  sk_test_server_stop (server);
}

static void
setup (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_test_store_new ("S1", "Store one");
  g_autofree char *user = NULL;

  sk_test_hq_open (&env.hq, "skidka-sync-client-XXXXXX");
  g_assert_true (sk_database_save_store (env.hq.db, store, &error));
  g_assert_no_error (error);
  env.store = g_strdup (sk_record_get_id (store));
  user = sk_auth_create_user (env.hq.db, "cashier1", "cashier-pass", "cashier", env.store, &error);
  g_assert_no_error (error);

  sk_test_hq_serve (&env.hq, sk_test_server_config (env.hq.path, 2));
}

static void
teardown (void)
{
  sk_test_hq_close (&env.hq);
  g_free (env.store);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  sk_postgres_init ();
  setup ();
  g_test_add_func ("/sync-client/cycle", test_sync_cycle);
  g_test_add_func ("/sync-client/faults", test_sync_faults);
  g_test_add_func ("/sync-client/upgrade", test_sync_upgrade);
  g_test_add_func ("/sync-client/cli", test_sync_cli);
  g_test_add_func ("/sync-client/clock-off", test_sync_clock_off);
  g_test_add_func ("/sync-client/parents-first", test_sync_parents_first);
  g_test_add_func ("/sync-client/till-feed", test_sync_till_feed);
  g_test_add_func ("/sync-client/pages", test_sync_pages);
  g_test_add_func ("/sync-client/link", test_sync_link);
  g_test_add_func ("/sync-client/link-checked", test_sync_link_checked);
  status = g_test_run ();
  teardown ();
  return status;
}
