/* test-sync-tills.c: tills and HQ end to end (SPEC 6), on SQLite or on
 * PostgreSQL (under with-postgres.sh): two tills of two stores selling
 * offline while HQ edits, a network that loses answers, resets and
 * delays, the real skidka-server killed in the middle of a push, the same
 * batch pushed twice at once, the same last bonuses spent at two tills,
 * one person registered at two tills; afterwards HQ and every till agree,
 * each sale once, and HQ's store adds up (sk-integrity.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>

#include "sk-change-feed.h"
#include "sk-database-file.h"
#include "sk-database-private.h"
#include "sk-integrity.h"
#include "sk-notifications.h"
#include "sk-postgres.h"
#include "sk-receipt.h"
#include "sk-server-private.h"
#include "sk-sync-client.h"
#include "sk-sync-till.h"
#include "sk-sync.h"
#include "sk-test-postgres.h"
#include "sk-test-proxy.h"
#include "sk-test-server.h"
#include "sk-test-util.h"

/* One HQ: its stores and the accounts of their tills. */
typedef struct
{
  char *store1;
  char *store2;
} Hq;

static struct
{
  SkTestHq hq;
  Hq       stores;
} env;

/* A till: its SQLite file, a connection of the test's to it, and a client
 * of its own; or, made by the CLI, its token file. */
typedef struct
{
  char         *path;
  SkDatabase   *db;
  SkSyncClient *client;
  char         *store_id;
  char         *token;
  char         *token_file; /* a till the CLI runs */
  char         *server_url;
} Till;

static void
till_free (Till *t)
{
  g_clear_object (&t->client);
  g_clear_object (&t->db);
  g_free (t->path);
  g_free (t->store_id);
  g_free (t->token);
  g_free (t->token_file);
  g_free (t->server_url);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Till, till_free)

/* A client of @t's file and account whose requests go through @proxy. */
static SkSyncClient *
till_client_via (Till *t, SkTestProxy *proxy)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", sk_test_proxy_get_port (proxy));
  SkSyncClient    *client = sk_sync_client_new (t->path, url);

  sk_sync_client_set_token (client, t->token);
  return client;
}

/* Programs */

/* skidka-cli with @args (NULL-terminated); its standard output, or the
 * test fails with what it said. */
#define cli_ok(input, ...) cli_ok_v ((input), (const char *const[]){ __VA_ARGS__, NULL })

static char *
cli_ok_v (const char *input, const char *const *args)
{
  g_autoptr (SkTestRun) run = sk_test_run_cli_full (input, FALSE, args);

  sk_test_assert_ok (run);
  return g_steal_pointer (&run->out);
}

/* `skidka-server --database @database admin check`, as an operator runs
 * it. */
static SkTestRun *
admin_check (const char *database)
{
  const char *argv[]
      = { g_getenv ("SKIDKA_SERVER"), "--database", database, "admin", "check", NULL };

  g_assert_nonnull (argv[0]);
  return sk_test_run_program (NULL, argv);
}

/* HQ */

static char *
save_store (SkDatabase *db, const char *code)
{
  g_autoptr (SkStore) store = sk_test_store_new (code, code);
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_database_save_store (db, store, &error));
  g_assert_no_error (error);
  return g_strdup (sk_record_get_id (store));
}

static void
create_user (SkDatabase *db, const char *username, const char *role, const char *store)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *password = g_strconcat (username, "-pass", NULL);
  g_autofree char *id = sk_auth_create_user (db, username, password, role, store, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
}

/* Two stores; a cashier and a manager of the first, a manager of the
 * second (who may move bonuses by hand and take returns), an admin.
 * Passwords are "NAME-pass". */
static void
hq_prepare (SkDatabase *db, Hq *hq)
{
  hq->store1 = save_store (db, "S1");
  hq->store2 = save_store (db, "S2");
  create_user (db, "cashier1", "cashier", hq->store1);
  create_user (db, "manager1", "manager", hq->store1);
  create_user (db, "manager2", "manager", hq->store2);
  create_user (db, "admin", "admin", NULL);
}

static void
hq_clear (Hq *hq)
{
  g_clear_pointer (&hq->store1, g_free);
  g_clear_pointer (&hq->store2, g_free);
}

/* A customer of @store at HQ with @bonuses given on registration. */
static char *
hq_customer (const char *name, const char *phone, const char *store, gint64 bonuses)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_customer_new ();
  g_autoptr (SkBonusTransaction) gift = NULL;

  sk_test_set_string (&customer->full_name, name);
  sk_test_set_string (&customer->phone, phone);
  sk_test_set_string (&customer->home_store_id, store);
  g_assert_true (sk_database_create_customer (env.hq.db, customer, &error));
  g_assert_no_error (error);
  if (bonuses > 0)
    {
      gift = sk_database_bonus_manual (env.hq.db, customer->id, "earn", bonuses, "welcome", store,
                                       &error);
      g_assert_no_error (error);
    }
  return g_strdup (customer->id);
}

static gint64
balance_at (SkDatabase *db, const char *customer_id)
{
  return sk_db_query_int (db, NULL, G_MININT64, "SELECT bonus_balance FROM customers WHERE id = ?",
                          "s", customer_id);
}

/* Integers of one row, or of a count, at either backend. */
static gint64
count_at (SkDatabase *db, const char *sql, const char *arg)
{
  g_autoptr (GError) error = NULL;
  gint64 n = arg ? sk_db_query_int (db, &error, -1, sql, "s", arg)
                 : sk_db_query_int (db, &error, -1, sql, NULL);

  g_assert_no_error (error);
  return n;
}

/* HQ's store adds up: no problem found. */
static void
assert_integrity (SkDatabase *db)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) problems = sk_database_check_integrity (db, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < problems->len; i++)
    g_test_message ("integrity: %s", (char *)g_ptr_array_index (problems, i));
  g_assert_cmpuint (problems->len, ==, 0);
}

/* Tills */

static Till *
till_new (const char *name, const char *username, const char *store_id, const char *url)
{
  Till *t = g_new0 (Till, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *password = g_strconcat (username, "-pass", NULL);

  t->path = g_build_filename (env.hq.dir, name, NULL);
  t->store_id = g_strdup (store_id);
  t->server_url = g_strdup (url);
  /* What `skidka-cli init` does. */
  t->db = sk_database_open (t->path, &error);
  g_assert_no_error (error);
  t->token = sk_sync_login (url, username, password, NULL, &error);
  g_assert_no_error (error);
  t->client = sk_sync_client_new (t->path, url);
  sk_sync_client_set_token (t->client, t->token);
  return t;
}

/* A till made and run by skidka-cli, as an operator does it. */
static Till *
till_new_cli (const char *name, const char *username, const char *store_id)
{
  Till *t = g_new0 (Till, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *password_file = g_build_filename (env.hq.dir, "password", NULL);
  g_autofree char *password = g_strconcat (username, "-pass\n", NULL);
  g_autofree char *out = NULL;
  g_autofree char *login = NULL;

  t->path = g_build_filename (env.hq.dir, name, NULL);
  t->store_id = g_strdup (store_id);
  t->server_url = g_strdup (env.hq.url);
  t->token_file = g_strconcat (t->path, ".token", NULL);
  out = cli_ok (NULL, "--db", t->path, "init");
  g_assert_true (g_file_set_contents (password_file, password, -1, &error));
  g_assert_no_error (error);
  login = cli_ok (NULL, "--db", t->path, "sync", "login", "--server", env.hq.url, "--username",
                  username, "--password-file", password_file, "--token-file", t->token_file);
  g_assert_true (g_file_get_contents (t->token_file, &t->token, NULL, &error));
  g_assert_no_error (error);
  t->db = sk_database_open (t->path, &error);
  g_assert_no_error (error);
  return t;
}

static SkSyncSummary *
sync_client (SkSyncClient *client, GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  sk_sync_client_sync_async (client, NULL, sk_test_keep_result, &result);
  sk_test_wait_result (&result);
  return sk_sync_client_sync_finish (client, result, error);
}

/* One full cycle that must succeed: by the till's client, or by
 * `skidka-cli sync` for a till the CLI runs. */
static SkSyncSummary *
till_sync (Till *t)
{
  g_autoptr (GError) error = NULL;
  SkSyncSummary *summary;

  if (t->token_file != NULL)
    {
      g_autofree char *out = cli_ok (NULL, "--db", t->path, "sync", "--server", t->server_url,
                                     "--token-file", t->token_file);
      g_autoptr (JsonObject) o = sk_test_parse_object (out);

      summary = g_new0 (SkSyncSummary, 1);
      summary->pushed = json_object_get_int_member (o, "pushed");
      summary->applied = json_object_get_int_member (o, "applied");
      summary->duplicates = json_object_get_int_member (o, "duplicates");
      summary->rejected = json_object_get_int_member (o, "rejected");
      summary->pulled = json_object_get_int_member (o, "pulled");
      summary->pending = json_object_get_int_member (o, "pending");
      summary->cursor = g_strdup (json_object_get_string_member (o, "cursor"));
      return summary;
    }
  summary = sync_client (t->client, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sk_sync_client_get_state (t->client), ==, SK_SYNC_STATE_IDLE);
  return summary;
}

static char *rows_text (SkDatabase *db, const char *sql, const char *arg);

/* Syncs and checks that every event left went in as @applied new ones and
 * @duplicates known ones, none refused, nothing left. */
static void
till_sync_expect (Till *t, gint64 applied, gint64 duplicates)
{
  g_autoptr (SkSyncSummary) s = till_sync (t);

  g_test_message ("sync of %s: pushed %" G_GINT64_FORMAT ", applied %" G_GINT64_FORMAT
                  ", duplicates %" G_GINT64_FORMAT ", rejected %" G_GINT64_FORMAT
                  ", pending %" G_GINT64_FORMAT,
                  t->path, s->pushed, s->applied, s->duplicates, s->rejected, s->pending);
  if (s->rejected > 0)
    {
      g_autofree char *why = rows_text (env.hq.db,
                                        "SELECT kind, code, field, message FROM sync_events"
                                        " WHERE device_id = ? AND status = 'rejected'",
                                        sk_database_get_device_id (t->db));

      g_test_message ("rejected: %s", why);
    }
  g_assert_cmpint (s->applied, ==, applied);
  g_assert_cmpint (s->duplicates, ==, duplicates);
  g_assert_cmpint (s->rejected, ==, 0);
  g_assert_cmpint (s->pushed, ==, applied + duplicates);
  g_assert_cmpint (s->pending, ==, 0);
}

/* A sale at the till: @quantity teddy bears (toys, 100 ₽) and a ball
 * (sport, 49.90 ₽), @spend bonuses; its purchase id. */
static char *
sell (Till *t, const char *customer_id, gint64 quantity, gint64 spend)
{
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) sold = NULL;
  g_autoptr (GError) error = NULL;

  request->id = g_uuid_string_random ();
  request->customer_id = g_strdup (customer_id);
  request->cart = sk_cart_new (t->store_id);
  sk_cart_add_line (request->cart, "bear", "Teddy bear", "toys", 10000, quantity);
  sk_cart_add_line (request->cart, "ball", "Ball", "sport", 4990, 1);
  request->bonus_to_spend = spend;
  sold = sk_database_process_purchase (t->db, request, &error);
  g_assert_no_error (error);
  g_assert_false (sold->replayed);
  return g_strdup (sk_record_get_id (sold->purchase));
}

/* The same sale rung up by `skidka-cli purchase`. */
static char *
sell_cli (Till *t, const char *customer_id, gint64 quantity, gint64 spend)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *customer
      = customer_id ? g_strdup_printf ("\"%s\"", customer_id) : g_strdup ("null");
  g_autofree char *request = g_strdup_printf (
      "{\"id\": \"%s\", \"store_id\": \"%s\", \"customer_id\": %s, \"bonus_to_spend\": "
      "%" G_GINT64_FORMAT ", \"items\": [{\"sku\": \"bear\", \"name\": \"Teddy bear\","
      " \"category\": \"toys\", \"unit_price\": 10000, \"quantity\": %" G_GINT64_FORMAT "},"
      " {\"sku\": \"ball\", \"name\": \"Ball\", \"category\": \"sport\", \"unit_price\": 4990,"
      " \"quantity\": 1}]}",
      id, t->store_id, customer, spend, quantity);
  g_autofree char *out = cli_ok (request, "--db", t->path, "purchase");
  g_autoptr (JsonObject) result = sk_test_parse_object (out);

  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (result, "purchase"), "id"), ==,
      id);
  return g_steal_pointer (&id);
}

/* @n sales in one transaction of the till (fast): anonymous ones, and
 * every third to @customer_id, earning bonuses. */
static void
sell_many (Till *t, const char *customer_id, guint n)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_db_begin (t->db, &error));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = sell (t, i % 3 == 0 ? customer_id : NULL, 1 + i % 4, 0);
    }
  g_assert_true (sk_db_commit (t->db, &error));
  g_assert_no_error (error);
}

/* Refunds @quantity of line @line_no of @purchase_id at the till (0:
 * everything). */
static void
refund (Till *t, const char *purchase_id, gint64 line_no, gint64 quantity)
{
  g_autoptr (GArray) lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
  g_autoptr (SkPurchase) after = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_uuid_string_random ();
  SkRefundLine     line = { line_no, quantity };

  g_array_append_val (lines, line);
  after = sk_database_refund_purchase (t->db, id, purchase_id, line_no > 0 ? lines : NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after->refunded_total, >, 0);
}

/* Comparing stores */

/* The rows @sql gives (@arg its one parameter, may be NULL) as text, a
 * line a row, columns apart by '|'. */
static char *
rows_text (SkDatabase *db, const char *sql, const char *arg)
{
  g_autoptr (GError) error = NULL;
  GString *text = g_string_new (NULL);
  SkStmt  *stmt
      = arg ? sk_db_query (db, &error, sql, "s", arg) : sk_db_query (db, &error, sql, NULL);
  gboolean has_row = FALSE;

  g_assert_no_error (error);
  while (sk_db_step (db, stmt, &has_row, &error) && has_row)
    {
      for (int c = 0; c < sk_stmt_column_count (stmt); c++)
        g_string_append_printf (text, "%s%s", c ? "|" : "",
                                sk_stmt_is_null (stmt, c) ? "NULL" : sk_stmt_text (stmt, c));
      g_string_append_c (text, '\n');
    }
  g_assert_no_error (error);
  sk_stmt_reset (stmt);
  return g_string_free (text, FALSE);
}

/* A sale as text: its figures, lines and discounts; *ledger its rows in
 * the ledger (the ledger's own ids and times are each store's). */
static char *
sale_text (SkDatabase *db, const char *id, char **ledger_text)
{
  g_autofree char *sale = rows_text (
      db,
      "SELECT id, customer_id, store_id, created_at, subtotal, discount_total,"
      " bonus_spent, bonus_earned, total_paid, bonus_multiplier, status, refunded_total,"
      " discount_refunded, bonus_reversed, bonus_returned FROM purchases WHERE id = ?",
      id);
  g_autofree char *lines = rows_text (db,
                                      "SELECT line_no, sku, name, category, unit_price, quantity,"
                                      " discount, total, refunded_quantity FROM purchase_lines"
                                      " WHERE purchase_id = ? ORDER BY line_no",
                                      id);
  g_autofree char *apps
      = rows_text (db,
                   "SELECT id, rule_id, customer_id, store_id, amount, created_at,"
                   " campaign_id, line_amounts, amount_refunded"
                   " FROM discount_applications WHERE purchase_id = ? ORDER BY id",
                   id);
  char *ledger = rows_text (db,
                            "SELECT customer_id, kind, amount, store_id"
                            " FROM bonus_transactions WHERE purchase_id = ?"
                            " ORDER BY kind, amount",
                            id);

  g_assert_cmpstr (sale, !=, "");
  *ledger_text = ledger;
  return g_strconcat (sale, lines, apps, NULL);
}

static GPtrArray *
ids_of (SkDatabase *db, const char *sql)
{
  g_autofree char *text = rows_text (db, sql, NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_ptr_array_add (ids, g_strdup (lines[i]));
  return ids;
}

#define CUSTOMER_COLUMNS                                                                           \
  "SELECT id, card_number, phone, email, full_name, home_store_id, visits, total_spent,"           \
  " last_purchase_at, segment, bonus_balance, flagged, version FROM customers"

/* The till and HQ agree: each sale the till has is at HQ as the till has
 * it, with each of its ledger rows (HQ has more where another till took
 * a return of it, or made it: the balances are HQ's); each movement by
 * hand is there; every customer and rule is HQ's; the outbox is empty. */
static void
assert_till_agrees_with (Till *t, SkDatabase *hq)
{
  g_autoptr (GPtrArray) sales = ids_of (t->db, "SELECT id FROM purchases ORDER BY id");
  g_autoptr (GPtrArray) movements
      = ids_of (t->db, "SELECT id FROM bonus_transactions WHERE purchase_id IS NULL ORDER BY id");
  g_autofree char *customers_till = rows_text (t->db, CUSTOMER_COLUMNS " ORDER BY id", NULL);
  g_autofree char *customers_hq = rows_text (hq, CUSTOMER_COLUMNS " ORDER BY id", NULL);
  g_autofree char *rules_till = rows_text (
      t->db, "SELECT id, name, type, value, is_active, version FROM discount_rules ORDER BY id",
      NULL);
  g_autofree char *rules_hq = rows_text (
      hq, "SELECT id, name, type, value, is_active, version FROM discount_rules ORDER BY id", NULL);

  g_assert_cmpint (sk_database_count_outbox (t->db, NULL), ==, 0);
  for (guint i = 0; i < sales->len; i++)
    {
      g_autofree char *ledger_till = NULL;
      g_autofree char *ledger_hq = NULL;
      g_autofree char *at_till = sale_text (t->db, g_ptr_array_index (sales, i), &ledger_till);
      g_autofree char *at_hq = sale_text (hq, g_ptr_array_index (sales, i), &ledger_hq);
      g_auto (GStrv) rows = g_strsplit (ledger_till, "\n", -1);
      g_autoptr (GString) left = g_string_new (ledger_hq);

      g_assert_cmpstr (at_till, ==, at_hq);
      for (guint k = 0; rows[k] != NULL; k++)
        {
          g_autofree char *row = g_strconcat (rows[k], "\n", NULL);
          const char      *at = *rows[k] != '\0' ? strstr (left->str, row) : NULL;

          if (*rows[k] == '\0')
            continue;
          g_assert_nonnull (at);
          g_string_erase (left, at - left->str, strlen (row));
        }
    }
  for (guint i = 0; i < movements->len; i++)
    {
      const char      *sql = "SELECT id, customer_id, kind, amount, reason, store_id"
                             " FROM bonus_transactions WHERE id = ?";
      g_autofree char *at_till = rows_text (t->db, sql, g_ptr_array_index (movements, i));
      g_autofree char *at_hq = rows_text (hq, sql, g_ptr_array_index (movements, i));

      g_assert_cmpstr (at_till, ==, at_hq);
    }
  g_assert_cmpstr (customers_till, ==, customers_hq);
  g_assert_cmpstr (rules_till, ==, rules_hq);
}

static void
assert_till_agrees (Till *t)
{
  assert_till_agrees_with (t, env.hq.db);
}

/* What one customer's sales and refunds at this till did to their
 * balance. */
static gint64
bonus_moved (Till *t, const char *customer_id)
{
  return count_at (t->db,
                   "SELECT coalesce (sum (bonus_earned - bonus_spent), 0)"
                   " + (SELECT coalesce (sum (r.bonus_returned - r.bonus_reversed), 0)"
                   "    FROM refunds AS r JOIN purchases AS p ON p.id = r.purchase_id"
                   "    WHERE p.customer_id = ?1)"
                   " FROM purchases WHERE customer_id = ?1",
                   customer_id);
}

/* Two tills, one server */

static void
test_two_tills (void)
{
  g_autofree char *olga = hq_customer ("Olga", "+79050000001", env.stores.store1, 50000);
  g_autofree char *ivan = hq_customer ("Ivan", "+79050000002", env.stores.store2, 20000);
  g_autoptr (SkDiscountRule) rule = NULL;
  g_autoptr (SkDiscountRule) edited = NULL;
  g_autoptr (SkCustomer) ivan_hq = NULL;
  g_autoptr (SkBonusTransaction) hq_gift = NULL;
  g_autoptr (SkBonusTransaction) apology = NULL;
  g_autoptr (SkSyncSummary) a1 = NULL;
  g_autoptr (SkSyncSummary) b1 = NULL;
  g_autoptr (Till) a = till_new_cli ("till-a.db", "cashier1", env.stores.store1);
  g_autoptr (Till) b = till_new ("till-b.db", "manager2", env.stores.store2, env.hq.url);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) masha = NULL;
  g_autoptr (GPtrArray) sales = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (SkEngineResult) priced = NULL;
  g_autofree char *out = NULL;
  gint64           olga_before, ivan_before;

  /* HQ's rule: 5 % off toys. */
  rule = sk_test_save_rule (env.hq.db, sk_test_rule_new ("Toys 5 %", "percentage", 500, "toys"));

  /* Each till takes HQ's customers and rules. */
  a1 = till_sync (a);
  b1 = till_sync (b);
  g_assert_cmpint (a1->pulled, >, 0);
  g_assert_cmpint (b1->pulled, >, 0);
  g_assert_cmpint (balance_at (a->db, olga), ==, 50000);
  g_assert_cmpint (balance_at (b->db, ivan), ==, 20000);
  olga_before = balance_at (env.hq.db, olga);
  ivan_before = balance_at (env.hq.db, ivan);

  /* Offline. Till A (skidka-cli): Olga spends 100 ₽ of bonuses, a new
   * customer registered and sold to, Ivan spends 50 ₽, an anonymous sale. */
  g_ptr_array_add (sales, sell_cli (a, olga, 2, 10000));
  out = cli_ok ("{\"full_name\": \"Masha\", \"phone\": \"+79050000003\"}", "--db", a->path,
                "customer", "add");
  masha = sk_test_parse_object (out);
  g_ptr_array_add (sales, sell_cli (a, json_object_get_string_member (masha, "id"), 3, 0));
  g_ptr_array_add (sales, sell (a, ivan, 1, 5000));
  g_ptr_array_add (sales, sell (a, NULL, 4, 0));
  /* Till B (a manager's): Olga spends 200 ₽, Ivan buys twice, an
   * anonymous sale, and Ivan gets 15 ₽ by hand. */
  g_ptr_array_add (sales, sell (b, olga, 3, 20000));
  g_ptr_array_add (sales, sell (b, ivan, 1, 0));
  g_ptr_array_add (sales, sell (b, ivan, 2, 0));
  g_ptr_array_add (sales, sell (b, NULL, 1, 0));
  apology = sk_database_bonus_manual (b->db, ivan, "adjust", 1500, "apology", b->store_id, &error);
  g_assert_no_error (error);
  /* At B (a manager may refund): a bear of Olga's sale comes back, and
   * Ivan returns his first sale whole. */
  refund (b, sales->pdata[4], 1, 1);
  refund (b, sales->pdata[5], 0, 0);
  /* The tills gave 5 % off toys. */
  {
    g_autoptr (SkPurchase) first = sk_database_get_purchase (a->db, sales->pdata[0], &error);

    g_assert_no_error (error);
    g_assert_cmpint (first->discount_total, ==, 1000);
  }

  /* HQ meanwhile: the rule goes to 10 %, Ivan's name and e-mail change,
   * Olga gets 30 ₽. */
  edited = sk_database_get_rule (env.hq.db, rule->id, &error);
  g_assert_no_error (error);
  edited->value = 1000;
  g_assert_true (sk_database_save_rule (env.hq.db, edited, &error));
  g_assert_no_error (error);
  ivan_hq = sk_database_get_customer (env.hq.db, ivan, &error);
  g_assert_no_error (error);
  sk_test_set_string (&ivan_hq->full_name, "Ivan Petrov");
  sk_test_set_string (&ivan_hq->email, "ivan@example.org");
  g_assert_true (sk_database_update_customer (env.hq.db, ivan_hq, &error));
  g_assert_no_error (error);
  hq_gift = sk_database_bonus_manual (env.hq.db, olga, "earn", 3000, "HQ gift", NULL, &error);
  g_assert_no_error (error);

  /* Both sync, A once more to hear of B's sales. */
  till_sync_expect (a, 5, 0);
  till_sync_expect (b, 7, 0);
  till_sync_expect (a, 0, 0);

  /* Each sale once at HQ, as the till made it, at the till's price. */
  g_assert_cmpint (count_at (env.hq.db, "SELECT count(*) FROM purchases", NULL), ==, sales->len);
  {
    g_autoptr (SkPurchase) first = sk_database_get_purchase (env.hq.db, sales->pdata[0], &error);

    g_assert_no_error (error);
    g_assert_cmpint (first->discount_total, ==, 1000);
  }
  assert_till_agrees (a);
  assert_till_agrees (b);

  /* The balances: HQ's before, both tills' sales, the movements by hand. */
  g_assert_cmpint (balance_at (env.hq.db, olga), ==,
                   olga_before + 3000 + bonus_moved (a, olga) + bonus_moved (b, olga));
  g_assert_cmpint (balance_at (env.hq.db, ivan), ==,
                   ivan_before + 1500 + bonus_moved (a, ivan) + bonus_moved (b, ivan));
  g_assert_cmpint (balance_at (a->db, olga), ==, balance_at (env.hq.db, olga));
  g_assert_cmpint (balance_at (b->db, ivan), ==, balance_at (env.hq.db, ivan));
  g_assert_cmpint (
      count_at (b->db, "SELECT count(*) FROM customers WHERE phone = ?", "+79050000003"), ==, 1);
  {
    g_autoptr (SkCustomer) at_b = sk_database_get_customer (b->db, ivan, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (at_b->full_name, ==, "Ivan Petrov");
    g_assert_cmpstr (at_b->email, ==, "ivan@example.org");
  }

  /* HQ's 10 % is the tills' now. */
  cart = sk_cart_new (a->store_id);
  sk_cart_add_line (cart, "bear", "Teddy bear", "toys", 10000, 1);
  priced = sk_database_calculate (a->db, cart, NULL, sk_time_now (), &error);
  g_assert_no_error (error);
  g_assert_cmpint (priced->discount_total, ==, 1000);

  assert_integrity (env.hq.db);
}

/* A network that faults */

/* Events of @device recorded at HQ. */
static gint64
hq_events_of (SkDatabase *db, Till *t)
{
  return count_at (db, "SELECT count(*) FROM sync_events WHERE device_id = ?",
                   sk_database_get_device_id (t->db));
}

static void
test_proxy (void)
{
  g_autofree char *customer = hq_customer ("Proxy", "+79050000010", env.stores.store1, 0);
  g_autoptr (Till) t = till_new ("till-proxy.db", "cashier1", env.stores.store1, env.hq.url);
  SkTestProxy *proxy = sk_test_proxy_new (env.hq.port);
  g_autoptr (SkSyncClient) faulty = till_client_via (t, proxy);
  g_autoptr (SkSyncSummary) s = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  gint64 before;

  /* Two tries more within a cycle, soon after one another. */
  sk_sync_client_set_retry (faulty, 2, 20);
  till_sync_expect (t, 0, 0);

  /* The answer to a push is lost once, after HQ applied it: the
   * client's retry hears its events are known; none is applied twice. */
  sell_many (t, customer, 50);
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_DROP_RESPONSE, "/api/sync/push", 0, 1, 0);
  s = sync_client (faulty, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sk_test_proxy_get_dropped_ok (proxy), ==, 1);
  g_assert_cmpint (s->applied, ==, 0);
  g_assert_cmpint (s->duplicates, ==, 50);
  g_assert_cmpint (s->pending, ==, 0);
  g_clear_pointer (&s, sk_sync_summary_free);
  g_assert_cmpint (hq_events_of (env.hq.db, t), ==, 50);

  /* Every answer to the second push is lost, the retries' too: the first
   * 500 leave the outbox, the next 100 are applied but stay. */
  sell_many (t, customer, 600);
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_DROP_RESPONSE, "/api/sync/push", 1, -1, 0);
  s = sync_client (faulty, &error);
  g_assert_null (s);
  g_assert_nonnull (error);
  g_assert_true (error->domain != SK_ERROR);
  g_clear_error (&error);
  g_assert_cmpint (sk_sync_client_get_state (faulty), ==, SK_SYNC_STATE_OFFLINE);
  g_assert_cmpuint (sk_test_proxy_get_dropped_ok (proxy), >=, 1);
  g_assert_cmpint (sk_database_count_outbox (t->db, NULL), ==, 100);
  g_assert_cmpint (hq_events_of (env.hq.db, t), ==, 650);
  /* On a clean line, the lost 100 are known. */
  till_sync_expect (t, 0, 100);
  g_assert_cmpint (hq_events_of (env.hq.db, t), ==, 650);

  /* The connection is reset with half a push sent: HQ has nothing of it. */
  sell_many (t, customer, 100);
  before = hq_events_of (env.hq.db, t);
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_RESET_REQUEST, "/api/sync/push", 0, -1, 0);
  s = sync_client (faulty, &error);
  g_assert_null (s);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (sk_test_proxy_get_faulted (proxy), >=, 1);
  g_assert_cmpint (sk_database_count_outbox (t->db, NULL), ==, 100);
  g_assert_cmpint (hq_events_of (env.hq.db, t), ==, before);
  till_sync_expect (t, 100, 0);

  /* A slow line: a sale rung up while the push is on its way stays for the
   * next cycle; what was pushed leaves. */
  sell_many (t, customer, 20);
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_DELAY, NULL, 0, -1, 300);
  sk_sync_client_sync_async (faulty, NULL, sk_test_keep_result, &result);
  while (sk_test_proxy_get_faulted (proxy) == 0)
    g_main_context_iteration (NULL, FALSE);
  g_free (sell (t, customer, 1, 0));
  sk_test_wait_result (&result);
  s = sk_sync_client_sync_finish (faulty, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->applied, ==, 20);
  g_assert_cmpint (s->pending, ==, 1);
  g_clear_pointer (&s, sk_sync_summary_free);
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_PASS, NULL, 0, 0, 0);
  till_sync_expect (t, 1, 0);

  /* Each sale once, as the till made it. */
  g_assert_cmpint (hq_events_of (env.hq.db, t), ==, 771);
  assert_till_agrees (t);
  assert_integrity (env.hq.db);
  g_clear_object (&faulty);
  sk_test_proxy_free (proxy);
}

/* The real server killed in the middle of a push */

/* skidka-server on @database, its log in @log; *url where it listens. */
static GSubprocess *
server_spawn (const char *database, const char *log, char **url)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GError) error = NULL;
  const char  *binary = g_getenv ("SKIDKA_SERVER");
  GSubprocess *process;
  gint64       deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_nonnull (binary);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  process = g_subprocess_launcher_spawn (launcher, &error, binary, "--database", database, "--port",
                                         "0", "--log-level", "info", NULL);
  g_assert_no_error (error);
  /* It says its port once it listens (port 0: the kernel's choice). */
  for (;;)
    {
      g_autofree char *text = NULL;
      const char      *at;

      if (g_file_get_contents (log, &text, NULL, NULL)
          && (at = strstr (text, "Listening on ")) != NULL && (at = strstr (at, " port ")) != NULL)
        {
          *url = g_strdup_printf ("http://127.0.0.1:%u",
                                  (guint)g_ascii_strtoull (at + strlen (" port "), NULL, 10));
          return process;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("skidka-server did not start: %s", text ? text : "(no log)");
      g_usleep (G_USEC_PER_SEC / 50);
    }
}

/* Waits until @sql at @db gives the same count for a moment: what the
 * database has once a killed writer's last commit is in or out. */
static gint64
settled_count (SkDatabase *db, Till *t)
{
  gint64 n = hq_events_of (db, t), again;

  for (;;)
    {
      g_usleep (G_USEC_PER_SEC / 4);
      again = hq_events_of (db, t);
      if (again == n)
        return n;
      n = again;
    }
}

static void
test_server_killed (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *database = sk_test_database_location (env.hq.dir, "killed.db");
  g_autofree char *log1 = g_build_filename (env.hq.dir, "killed-1.log", NULL);
  g_autofree char *log2 = g_build_filename (env.hq.dir, "killed-2.log", NULL);
  g_autofree char *url = NULL;
  g_autofree char *url2 = NULL;
  g_autofree char *customer = NULL;
  g_autoptr (SkDatabase) hq = sk_database_open (database, &error);
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (Till) t = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (SkSyncSummary) s = NULL;
  g_autoptr (SkSyncClient) again = NULL;
  Hq          prepared = { 0 };
  gint64      pending, committed;
  gboolean    killed = FALSE;
  const guint n = 2000;

  g_assert_no_error (error);
  hq_prepare (hq, &prepared);
  {
    g_autoptr (SkCustomer) c = sk_test_create_customer (hq, "Killed", "+79050000020");

    customer = g_strdup (c->id);
  }
  server = server_spawn (database, log1, &url);
  t = till_new ("till-killed.db", "cashier1", prepared.store1, url);
  /* Its retries find nobody, soon. */
  sk_sync_client_set_retry (t->client, 2, 20);
  till_sync_expect (t, 0, 0);
  sell_many (t, customer, n);

  /* SIGKILL once HQ has applied 700 events: in the second batch of 500. */
  sk_sync_client_sync_async (t->client, NULL, sk_test_keep_result, &result);
  while (result == NULL)
    {
      g_main_context_iteration (NULL, FALSE);
      if (!killed && hq_events_of (hq, t) >= 700)
        {
          g_subprocess_force_exit (server);
          g_assert_true (g_subprocess_wait (server, NULL, NULL));
          killed = TRUE;
        }
      g_usleep (G_USEC_PER_SEC / 1000);
    }
  g_assert_true (killed);
  g_assert_true (g_subprocess_get_if_signaled (server));
  g_assert_cmpint (g_subprocess_get_term_sig (server), ==, SIGKILL);
  s = sk_sync_client_sync_finish (t->client, result, &error);
  g_assert_null (s);
  g_assert_nonnull (error);
  g_clear_error (&error);
  pending = sk_database_count_outbox (t->db, NULL);
  committed = settled_count (hq, t);
  g_test_message ("killed with %" G_GINT64_FORMAT " events applied, %" G_GINT64_FORMAT
                  " acknowledged",
                  committed, n - pending);
  g_assert_cmpint (committed, <, n);
  g_assert_cmpint (committed, >, n - pending);

  /* Up again on the same database: what it had applied is answered
   * duplicate, the rest applied; each sale once. */
  g_clear_object (&server);
  server = server_spawn (database, log2, &url2);
  again = sk_sync_client_new (t->path, url2);
  sk_sync_client_set_token (again, t->token);
  s = sync_client (again, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->pushed, ==, pending);
  g_assert_cmpint (s->duplicates, ==, committed - (n - pending));
  g_assert_cmpint (s->applied, ==, n - committed);
  g_assert_cmpint (s->rejected, ==, 0);
  g_assert_cmpint (s->pending, ==, 0);
  g_assert_cmpint (hq_events_of (hq, t), ==, n);
  g_assert_cmpint (count_at (hq, "SELECT count(*) FROM purchases", NULL), ==, n);
  assert_till_agrees_with (t, hq);

  /* The operator's check says so too. */
  {
    g_autoptr (SkTestRun) check = admin_check (database);

    sk_test_assert_ok (check);
    g_assert_cmpstr (check->out, ==, "ok\n");
  }
  g_subprocess_send_signal (server, SIGTERM);
  g_assert_true (g_subprocess_wait (server, NULL, NULL));
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
  hq_clear (&prepared);
}

/* The same batch twice at once */

typedef struct
{
  const char *body;
  const char *token;
  GMutex     *lock;
  GCond      *cond;
  gboolean   *go;
  JsonObject *answer;
} Pusher;

static gpointer
push_thread (gpointer data)
{
  Pusher *p = data;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SkTestReply) reply = NULL;

  g_mutex_lock (p->lock);
  while (!*p->go)
    g_cond_wait (p->cond, p->lock);
  g_mutex_unlock (p->lock);
  reply = sk_test_request (session, env.hq.port, "POST", "/api/sync/push", p->token,
                           "application/json", p->body, G_MAXSIZE, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  p->answer = json_object_ref (json_node_get_object (reply->node));
  return NULL;
}

static void
test_same_batch_twice (void)
{
  g_autofree char *customer = hq_customer ("Twice", "+79050000030", env.stores.store1, 0);
  g_autoptr (Till) t = till_new ("till-twice.db", "cashier1", env.stores.store1, env.hq.url);
  g_autoptr (SkSyncClient) second = sk_sync_client_new (t->path, env.hq.url);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result1 = NULL;
  g_autoptr (GAsyncResult) result2 = NULL;
  g_autoptr (SkSyncSummary) s1 = NULL;
  g_autoptr (SkSyncSummary) s2 = NULL;
  g_autofree char *text = NULL;
  Pusher           pushers[2];
  GThread         *threads[2];
  GMutex           lock;
  GCond            cond;
  gboolean         go = FALSE;
  gint64           last_seq = 0;
  JsonArray       *r0, *r1;

  till_sync_expect (t, 0, 0);
  sell_many (t, customer, 200);

  /* Two raw pushes of one body, let go at the same moment. */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "device_id");
  json_builder_add_string_value (b, sk_database_get_device_id (t->db));
  json_builder_set_member_name (b, "events");
  json_builder_add_value (b, sk_database_outbox_batch (t->db, 500, &last_seq, &error));
  json_builder_end_object (b);
  g_assert_no_error (error);
  body = json_builder_get_root (b);
  text = sk_json_to_string (body, FALSE);
  g_mutex_init (&lock);
  g_cond_init (&cond);
  for (guint i = 0; i < 2; i++)
    {
      pushers[i] = (Pusher){ text, t->token, &lock, &cond, &go, NULL };
      threads[i] = g_thread_new ("pusher", push_thread, &pushers[i]);
    }
  g_usleep (G_USEC_PER_SEC / 10);
  g_mutex_lock (&lock);
  go = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  for (guint i = 0; i < 2; i++)
    g_thread_join (threads[i]);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);

  /* Each event applied by one of them, a duplicate of it to the other. */
  r0 = json_object_get_array_member (pushers[0].answer, "results");
  r1 = json_object_get_array_member (pushers[1].answer, "results");
  g_assert_cmpuint (json_array_get_length (r0), ==, 200);
  g_assert_cmpuint (json_array_get_length (r1), ==, 200);
  for (guint i = 0; i < 200; i++)
    {
      JsonObject *x = json_array_get_object_element (r0, i);
      JsonObject *y = json_array_get_object_element (r1, i);
      const char *sx = json_object_get_string_member (x, "status");
      const char *sy = json_object_get_string_member (y, "status");
      JsonObject *dup = g_str_equal (sx, "duplicate") ? x : y;

      g_assert_cmpstr (json_object_get_string_member (x, "id"), ==,
                       json_object_get_string_member (y, "id"));
      g_assert_true ((g_str_equal (sx, "applied") && g_str_equal (sy, "duplicate"))
                     || (g_str_equal (sx, "duplicate") && g_str_equal (sy, "applied")));
      g_assert_cmpstr (json_object_get_string_member (dup, "first_status"), ==, "applied");
    }
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpint (json_object_get_int_member (pushers[i].answer, "acked_seq"), ==, last_seq);
      json_object_unref (pushers[i].answer);
    }
  g_assert_cmpint (hq_events_of (env.hq.db, t), ==, 200);
  /* The till, which never heard, pushes them once more: all known. */
  till_sync_expect (t, 0, 200);

  /* Two clients of the same till at once. */
  sell_many (t, customer, 200);
  sk_sync_client_set_token (second, t->token);
  sk_sync_client_sync_async (t->client, NULL, sk_test_keep_result, &result1);
  sk_sync_client_sync_async (second, NULL, sk_test_keep_result, &result2);
  sk_test_wait_result (&result1);
  sk_test_wait_result (&result2);
  s1 = sk_sync_client_sync_finish (t->client, result1, &error);
  g_assert_no_error (error);
  s2 = sk_sync_client_sync_finish (second, result2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s1->applied + s2->applied, ==, 200);
  g_assert_cmpint (s1->rejected + s2->rejected, ==, 0);
  g_assert_cmpint (sk_database_count_outbox (t->db, NULL), ==, 0);
  g_assert_cmpint (hq_events_of (env.hq.db, t), ==, 400);
  assert_till_agrees (t);
  assert_integrity (env.hq.db);
}

/* Offline overspend at two tills */

/* HQ's @customer is flagged, and one item on the review list says so. */
static void
assert_flagged_once (const char *customer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) at_hq = sk_database_get_customer (env.hq.db, customer, &error);

  g_assert_no_error (error);
  g_assert_true (at_hq->flagged);
  g_assert_cmpint (count_at (env.hq.db,
                             "SELECT count(*) FROM sync_reviews WHERE customer_id = ?"
                             " AND kind = 'negative_balance'",
                             customer),
                   ==, 1);
}

static void
test_overspend (void)
{
  g_autofree char *nina = hq_customer ("Nina", "+79050000040", env.stores.store1, 1000);
  g_autoptr (Till) a = till_new ("till-over-a.db", "cashier1", env.stores.store1, env.hq.url);
  g_autoptr (Till) b = till_new ("till-over-b.db", "manager2", env.stores.store2, env.hq.url);
  g_autoptr (GError) error = NULL;
  g_autofree char *sale_a = NULL;
  g_autofree char *sale_b = NULL;
  g_autoptr (SkPurchase) at_hq_a = NULL;
  g_autoptr (SkPurchase) at_hq_b = NULL;
  gint64 balance;

  till_sync_expect (a, 0, 0);
  till_sync_expect (b, 0, 0);
  g_assert_cmpint (balance_at (a->db, nina), ==, 1000);
  g_assert_cmpint (balance_at (b->db, nina), ==, 1000);

  /* Each till sees 10 ₽ of bonuses, and spends them. */
  sale_a = sell (a, nina, 1, 1000);
  sale_b = sell (b, nina, 2, 1000);
  g_assert_cmpint (balance_at (a->db, nina), >=, 0);
  g_assert_cmpint (balance_at (b->db, nina), >=, 0);
  till_sync_expect (a, 1, 0);
  till_sync_expect (b, 1, 0);
  till_sync_expect (a, 0, 0);

  /* Both sales stand; the balance is below zero, as the ledger says. */
  at_hq_a = sk_database_get_purchase (env.hq.db, sale_a, &error);
  g_assert_no_error (error);
  at_hq_b = sk_database_get_purchase (env.hq.db, sale_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (at_hq_a->bonus_spent, ==, 1000);
  g_assert_cmpint (at_hq_b->bonus_spent, ==, 1000);
  balance = 1000 - 2000 + at_hq_a->bonus_earned + at_hq_b->bonus_earned;
  g_assert_cmpint (balance, <, 0);
  g_assert_cmpint (balance_at (env.hq.db, nina), ==, balance);
  g_assert_cmpint (sk_database_ledger_sum (env.hq.db, nina, NULL), ==, balance);
  assert_flagged_once (nina);
  g_assert_cmpint (
      count_at (env.hq.db, "SELECT count(*) FROM sync_reviews WHERE customer_id = ?", nina), ==, 1);
  /* Both tills show HQ's balance. */
  g_assert_cmpint (balance_at (a->db, nina), ==, balance);
  g_assert_cmpint (balance_at (b->db, nina), ==, balance);
  assert_till_agrees (a);
  assert_till_agrees (b);
  assert_integrity (env.hq.db);
}

/* A return whose bonuses were spent since: the till's card goes below
 * zero (the return window warns first), and so does HQ's, which lists it
 * for review as it does an offline overspend. */
static void
test_refund_below_zero (void)
{
  g_autofree char *olga = hq_customer ("Olga", "+79050000045", env.stores.store2, 0);
  g_autoptr (Till) t = till_new ("till-refund-neg.db", "manager2", env.stores.store2, env.hq.url);
  g_autoptr (SkBonusTransaction) spent = NULL;
  g_autoptr (SkPurchase) sold = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sale = NULL;

  till_sync_expect (t, 0, 0);
  sale = sell (t, olga, 2, 0);
  till_sync_expect (t, 1, 0);
  sold = sk_database_get_purchase (env.hq.db, sale, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sold->bonus_earned, >, 0);
  /* She spends them at HQ; the till learns of it. */
  spent = sk_database_bonus_manual (env.hq.db, olga, SK_BONUS_ADJUST, -sold->bonus_earned,
                                    "spent online", NULL, &error);
  g_assert_no_error (error);
  till_sync_expect (t, 0, 0);
  g_assert_cmpint (balance_at (t->db, olga), ==, 0);

  refund (t, sale, 0, 0);
  g_assert_cmpint (balance_at (t->db, olga), ==, -sold->bonus_earned);
  till_sync_expect (t, 1, 0);
  g_assert_cmpint (balance_at (env.hq.db, olga), ==, -sold->bonus_earned);
  assert_flagged_once (olga);
  assert_till_agrees (t);
  assert_integrity (env.hq.db);
}

/* One person registered at two tills */

static void
test_same_phone (void)
{
  g_autoptr (Till) a = till_new ("till-phone-a.db", "cashier1", env.stores.store1, env.hq.url);
  g_autoptr (Till) b = till_new ("till-phone-b.db", "manager2", env.stores.store2, env.hq.url);
  g_autoptr (SkCustomer) at_a = NULL;
  g_autoptr (SkCustomer) at_b = NULL;
  g_autoptr (SkPurchase) hq_a = NULL;
  g_autoptr (SkPurchase) hq_b = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sale_a = NULL;
  g_autofree char *sale_b = NULL;
  g_autofree char *survivor = NULL;
  const char      *phone = "+79050000050";

  till_sync_expect (a, 0, 0);
  till_sync_expect (b, 0, 0);

  /* Offline, each till registers the same phone and sells to it. */
  at_a = sk_test_create_customer (a->db, "Vera", phone);
  at_b = sk_test_create_customer (b->db, "Vera K.", phone);
  g_assert_cmpstr (at_a->id, !=, at_b->id);
  sale_a = sell (a, at_a->id, 1, 0);
  sale_b = sell (b, at_b->id, 2, 0);
  /* A's registration and sale, then B's: its registration an alias of A's
   * customer, its sale A's customer's. */
  till_sync_expect (a, 2, 0);
  {
    g_autoptr (SkSyncSummary) s = till_sync (b);

    g_assert_cmpint (s->rejected, ==, 0);
    g_assert_cmpint (s->pushed, ==, 2);
    g_assert_cmpint (s->pending, ==, 0);
  }
  till_sync_expect (a, 0, 0);

  /* One customer at HQ, with both sales. */
  g_assert_cmpint (count_at (env.hq.db, "SELECT count(*) FROM customers WHERE phone = ?", phone),
                   ==, 1);
  survivor = rows_text (env.hq.db, "SELECT id FROM customers WHERE phone = ?", phone);
  g_strchomp (survivor);
  g_assert_cmpstr (survivor, ==, at_a->id);
  hq_a = sk_database_get_purchase (env.hq.db, sale_a, &error);
  g_assert_no_error (error);
  hq_b = sk_database_get_purchase (env.hq.db, sale_b, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hq_a->customer_id, ==, survivor);
  g_assert_cmpstr (hq_b->customer_id, ==, survivor);
  g_assert_cmpint (balance_at (env.hq.db, survivor), ==, hq_a->bonus_earned + hq_b->bonus_earned);
  g_assert_cmpint (count_at (env.hq.db, "SELECT visits FROM customers WHERE id = ?", survivor), ==,
                   2);

  /* And on both tills: the phone is the survivor's, with HQ's balance. */
  for (guint i = 0; i < 2; i++)
    {
      Till            *t = i == 0 ? a : b;
      g_autofree char *id = rows_text (t->db, "SELECT id FROM customers WHERE phone = ?", phone);

      g_strchomp (id);
      g_assert_cmpstr (id, ==, survivor);
      g_assert_cmpint (balance_at (t->db, survivor), ==, balance_at (env.hq.db, survivor));
    }
  assert_integrity (env.hq.db);
}

/* What a till shows while its sale is not acknowledged */

static void
test_pending_figures (void)
{
  g_autofree char *lena = hq_customer ("Lena", "+79050000060", env.stores.store2, 5000);
  g_autoptr (Till) t = till_new ("till-pending.db", "manager2", env.stores.store2, env.hq.url);
  g_autoptr (SkChangePage) page = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *sale = NULL;
  const char      *sql = "SELECT bonus_balance, visits, total_spent FROM customers WHERE id = ?";

  till_sync_expect (t, 0, 0);
  /* A sale partly returned, another whole, one kept. */
  sale = sell (t, lena, 2, 3000);
  refund (t, sale, 1, 1);
  g_free (sale);
  sale = sell (t, lena, 1, 0);
  refund (t, sale, 0, 0);
  g_free (sale);
  sale = sell (t, lena, 3, 1000);
  before = rows_text (t->db, sql, lena);

  /* HQ's page applied while the sale is still in the outbox: the till
   * still shows its own sale in the figures. */
  page = sk_database_pull_changes (env.hq.db, NULL, 500, &error);
  g_assert_no_error (error);
  g_assert_true (sk_database_apply_changes (t->db, json_node_get_array (page->refs),
                                            json_node_get_array (page->changes), page->next_cursor,
                                            &error));
  g_assert_no_error (error);
  after = rows_text (t->db, sql, lena);
  g_assert_cmpstr (after, ==, before);

  /* And once HQ has them, HQ's figures are the same. */
  till_sync_expect (t, 5, 0);
  g_free (after);
  after = rows_text (t->db, sql, lena);
  g_assert_cmpstr (after, ==, before);
  assert_till_agrees (t);
}

/* The receipt by e-mail: queued at the till, sent from HQ */

/* A customer of @store at HQ with an e-mail address, consenting or not. */
static char *
hq_customer_email (const char *name, const char *phone, const char *email, gboolean consent)
{
  g_autofree char *id = hq_customer (name, phone, env.stores.store1, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_database_get_customer (env.hq.db, id, &error);

  g_assert_no_error (error);
  sk_test_set_string (&customer->email, email);
  customer->consent_email = consent;
  g_assert_true (sk_database_update_customer (env.hq.db, customer, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&id);
}

static gint64
receipts_at (SkDatabase *db, const char *customer_id)
{
  return count_at (db,
                   "SELECT count(*) FROM notifications WHERE event = 'receipt'"
                   " AND channel = 'email' AND status = 'pending' AND customer_id = ?",
                   customer_id);
}

static void
test_receipt_email (void)
{
  g_autofree char *olga = hq_customer_email ("Olga", "+79050000070", "olga@example.org", TRUE);
  g_autofree char *petr = hq_customer_email ("Petr", "+79050000071", "petr@example.org", FALSE);
  g_autoptr (Till) t = till_new ("till-receipt.db", "cashier1", env.stores.store1, env.hq.url);
  g_autoptr (GError) error = NULL;
  g_autoptr (SkSyncSummary) s = NULL;
  g_autofree char *sale = NULL;
  g_autofree char *later = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *body = NULL;
  g_autofree char *recipient = NULL;
  g_autofree char *prefix = NULL;
  gboolean         queued = FALSE;

  till_sync_expect (t, 0, 0);

  /* Queued at the till once, however often the cashier presses. */
  sale = sell (t, olga, 2, 0);
  g_assert_true (sk_database_queue_receipt (t->db, sale, sk_time_now (), &queued, &error));
  g_assert_no_error (error);
  g_assert_true (queued);
  g_assert_true (sk_database_queue_receipt (t->db, sale, sk_time_now (), &queued, &error));
  g_assert_no_error (error);
  g_assert_false (queued);
  g_assert_cmpint (receipts_at (t->db, olga), ==, 1);

  /* Not to a customer who did not consent: refused, nothing queued. */
  refused = sell (t, petr, 1, 0);
  g_assert_false (sk_database_queue_receipt (t->db, refused, sk_time_now (), &queued, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_assert_cmpstr (sk_error_get_field (error), ==, "customer_id");
  g_clear_error (&error);
  g_assert_cmpint (receipts_at (t->db, petr), ==, 0);

  /* Two sales and a receipt pushed: HQ has the receipt, to her address,
   * with the sale in it. */
  s = till_sync (t);
  g_assert_cmpint (s->pushed, ==, 3);
  g_assert_cmpint (s->applied, ==, 3);
  g_assert_cmpint (s->rejected, ==, 0);
  g_assert_cmpint (s->pending, ==, 0);
  g_clear_pointer (&s, sk_sync_summary_free);
  g_assert_cmpint (receipts_at (env.hq.db, olga), ==, 1);
  g_assert_cmpint (receipts_at (env.hq.db, petr), ==, 0);
  recipient = rows_text (env.hq.db,
                         "SELECT recipient FROM notifications WHERE event = 'receipt'"
                         " AND customer_id = ?",
                         olga);
  g_assert_cmpstr (g_strchomp (recipient), ==, "olga@example.org");
  body = rows_text (env.hq.db,
                    "SELECT body FROM notifications WHERE event = 'receipt' AND customer_id = ?",
                    olga);
  prefix = g_strndup (sale, 8);
  g_assert_nonnull (strstr (body, prefix));
  g_assert_nonnull (strstr (body, "Teddy bear"));
  g_assert_nonnull (strstr (body, "Olga"));
  /* All of it in the chain's language (Russian unless set), not in the
   * server's own (these tests run in C.UTF-8): the message and the
   * receipt in it. */
  g_assert_nonnull (strstr (body, "спасибо за покупку"));
  g_assert_nonnull (strstr (body, "Чек "));
  g_assert_nonnull (strstr (body, "Сумма: "));
  g_assert_null (strstr (body, "Receipt "));

  /* Another receipt of Olga's, but she withdraws her consent at HQ before
   * the till syncs: HQ, which sends, refuses it and queues nothing. */
  later = sell (t, olga, 1, 0);
  g_assert_true (sk_database_queue_receipt (t->db, later, sk_time_now (), &queued, &error));
  g_assert_no_error (error);
  g_assert_true (queued);
  g_assert_true (
      sk_database_withdraw_consent (env.hq.db, olga, "email", NULL, sk_time_now (), &error));
  g_assert_no_error (error);
  s = till_sync (t);
  g_assert_cmpint (s->pushed, ==, 2);
  g_assert_cmpint (s->applied, ==, 1);
  g_assert_cmpint (s->rejected, ==, 1);
  g_assert_cmpint (count_at (env.hq.db,
                             "SELECT count(*) FROM sync_events WHERE kind = 'notification.create'"
                             " AND status = 'rejected' AND field = 'customer_id'",
                             NULL),
                   ==, 1);
  g_assert_cmpint (receipts_at (env.hq.db, olga), ==, 1);

  /* A till that asks for the receipt of another store's sale, or of a
   * sale HQ never had, is refused. */
  {
    g_autoptr (Till) other
        = till_new ("till-receipt-b.db", "manager2", env.stores.store2, env.hq.url);
    g_autofree char *nowhere = g_uuid_string_random ();
    const char      *ids[] = { later, nowhere };
    g_autofree char *codes = NULL;

    till_sync_expect (other, 0, 0);
    g_assert_true (sk_db_begin (other->db, &error));
    for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
      {
        g_autofree char *json = g_strdup_printf ("{\"purchase_id\": \"%s\"}", ids[i]);
        g_autoptr (JsonNode) payload = json_from_string (json, &error);

        g_assert_no_error (error);
        g_assert_true (
            sk_db_outbox_add (other->db, "notification", ids[i], "create", payload, &error));
        g_assert_no_error (error);
      }
    g_assert_true (sk_db_commit (other->db, &error));
    g_clear_pointer (&s, sk_sync_summary_free);
    s = till_sync (other);
    g_assert_cmpint (s->rejected, ==, 2);
    codes = rows_text (env.hq.db,
                       "SELECT code FROM sync_events WHERE kind = 'notification.create'"
                       " AND status = 'rejected' AND field = 'purchase_id' ORDER BY code",
                       NULL);
    g_assert_cmpstr (codes, ==, "forbidden\nunknown_purchase\n");
  }
  g_assert_cmpint (receipts_at (env.hq.db, olga), ==, 1);
  assert_integrity (env.hq.db);
}

/* The integrity check */

/* The problems found at @db, as one text; each of @expected (NULL
 * terminated) must be in it, and `skidka-server admin check` says the same
 * and fails. */
static void
assert_problems (SkDatabase *db, const char *database, guint n, const char *const *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) problems = sk_database_check_integrity (db, &error);
  g_autoptr (GString) all = g_string_new (NULL);
  g_autoptr (SkTestRun) check = NULL;

  g_assert_no_error (error);
  for (guint i = 0; i < problems->len; i++)
    g_string_append_printf (all, "%s\n", (char *)g_ptr_array_index (problems, i));
  g_test_message ("problems:\n%s", all->str);
  g_assert_cmpuint (problems->len, ==, n);
  for (guint i = 0; expected[i] != NULL; i++)
    if (strstr (all->str, expected[i]) == NULL)
      g_error ("“%s” is not among the problems:\n%s", expected[i], all->str);

  check = admin_check (database);
  g_assert_cmpint (check->status, ==, n > 0 ? 1 : 0);
  g_assert_cmpstr (check->out, ==, n > 0 ? all->str : "ok\n");
  if (n > 0)
    g_assert_nonnull (strstr (check->err, "problems"));
}

/* Writes behind the store's back. */
#define behind_its_back(db, sql, ...)                                                              \
  G_STMT_START                                                                                     \
  {                                                                                                \
    g_autoptr (GError) local = NULL;                                                               \
                                                                                                   \
    g_assert_true (sk_db_exec ((db), &local, (sql), __VA_ARGS__));                                 \
    g_assert_no_error (local);                                                                     \
  }                                                                                                \
  G_STMT_END

static void
test_integrity (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *database = sk_test_database_location (env.hq.dir, "integrity.db");
  g_autoptr (SkDatabase) db = sk_database_open (database, &error);
  g_autoptr (SkCustomer) anna = NULL;
  g_autoptr (SkDiscountRule) rule = NULL;
  g_autoptr (SkBonusTransaction) gift = NULL;
  g_autoptr (Till) shop = g_new0 (Till, 1);
  g_autofree char *sale1 = NULL;
  g_autofree char *sale2 = NULL;
  g_autofree char *second_earn = g_uuid_string_random ();
  g_autofree char *expected_balance = NULL;
  g_autofree char *expected_earn = NULL;
  g_autofree char *expected_figures = NULL;
  g_autofree char *expected_paid = NULL;
  g_autofree char *expected_rule = NULL;
  g_autofree char *expected_campaign = NULL;
  g_autofree char *expected_back = NULL;
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  Hq hq = { 0 };

  g_assert_no_error (error);
  hq_prepare (db, &hq);
  anna = sk_test_create_customer (db, "Anna", "+79050000070");
  gift = sk_database_bonus_manual (db, anna->id, "earn", 5000, "welcome", NULL, &error);
  g_assert_no_error (error);
  /* The rule in a campaign: what the sales spend of it and the returns
   * give back adds up too. */
  g_object_set (campaign, "name", "Spring", "status", "active", NULL);
  g_assert_true (sk_database_save_campaign (db, campaign, &error));
  g_assert_no_error (error);
  rule = sk_test_rule_new ("All 10 %", "percentage", 1000, NULL);
  g_object_set (rule, "campaign-id", campaign->id, NULL);
  sk_test_save_rule (db, rule);

  /* Sales at HQ itself (online), one partly refunded, one whole. */
  shop->db = g_object_ref (db);
  shop->store_id = g_strdup (hq.store1);
  sale1 = sell (shop, anna->id, 3, 2000);
  sale2 = sell (shop, anna->id, 1, 0);
  refund (shop, sale1, 1, 1);
  refund (shop, sale2, 0, 0);
  assert_problems (db, database, 0, (const char *const[]){ NULL });

  /* A balance written behind the ledger's back. */
  behind_its_back (db, "UPDATE customers SET bonus_balance = bonus_balance + 100 WHERE id = ?", "s",
                   anna->id);
  expected_balance = g_strdup_printf ("customer %s: the bonus balance is", anna->id);
  assert_problems (db, database, 1, (const char *const[]){ expected_balance, NULL });
  behind_its_back (db, "UPDATE customers SET bonus_balance = bonus_balance - 100 WHERE id = ?", "s",
                   anna->id);
  assert_problems (db, database, 0, (const char *const[]){ NULL });

  /* A sale applied twice: a second earn row, and the balance moved with
   * it, so that only the sale's own rows tell. */
  behind_its_back (db,
                   "INSERT INTO bonus_transactions (id, customer_id, kind, amount, balance_after,"
                   " purchase_id, store_id, created_at)"
                   " SELECT ?1, customer_id, 'earn', bonus_earned, 0, id, store_id, created_at"
                   " FROM purchases WHERE id = ?2",
                   "ss", second_earn, sale1);
  behind_its_back (db,
                   "UPDATE customers SET bonus_balance = bonus_balance"
                   " + (SELECT bonus_earned FROM purchases WHERE id = ?1) WHERE id = ?2",
                   "ss", sale1, anna->id);
  expected_earn = g_strdup_printf ("purchase %s: ", sale1);
  assert_problems (db, database, 1,
                   (const char *const[]){ expected_earn, "but 2 earn rows in the ledger", NULL });

  /* A visit counted twice, a sale paid for more than it cost, a rule used
   * once more than the sales say, a campaign's spending and a return's
   * discount off by a kopeck, a device behind its own events. */
  behind_its_back (db, "UPDATE customers SET visits = visits + 1 WHERE id = ?", "s", anna->id);
  behind_its_back (db, "UPDATE campaigns SET spent = spent + 1 WHERE id = ?", "s", campaign->id);
  behind_its_back (db,
                   "UPDATE purchases SET discount_refunded = discount_refunded + 1 WHERE id = ?",
                   "s", sale1);
  behind_its_back (db, "UPDATE purchases SET total_paid = total_paid + 1 WHERE id = ?", "s", sale2);
  behind_its_back (db, "UPDATE discount_rules SET uses = uses + 1 WHERE id = ?", "s", rule->id);
  behind_its_back (db,
                   "INSERT INTO devices (id, store_id, acked_seq, created_at, last_seen_at)"
                   " VALUES (?, ?, 1, 0, 0)",
                   "ss", "0b5c7c2e-6f0e-4c55-9a43-3d1c2f4e5a61", hq.store1);
  behind_its_back (db,
                   "INSERT INTO sync_events (id, device_id, seq, kind, status, received_at)"
                   " VALUES (?, ?, 5, 'purchase.create', 'applied', 0)",
                   "ss", "6f1d2e3c-4b5a-4d6e-8f70-112233445566",
                   "0b5c7c2e-6f0e-4c55-9a43-3d1c2f4e5a61");
  expected_figures = g_strdup_printf ("customer %s: 2 visits", anna->id);
  expected_paid = g_strdup_printf ("purchase %s: paid", sale2);
  expected_rule = g_strdup_printf ("rule %s: 2 uses, but 1 purchases", rule->id);
  expected_campaign = g_strdup_printf ("campaign %s: ", campaign->id);
  expected_back = g_strdup ("of its discount given back, but its discounts' shares");
  assert_problems (db, database, 7,
                   (const char *const[]){ expected_earn, expected_figures, expected_paid,
                                          expected_rule, expected_campaign, expected_back,
                                          "device 0b5c7c2e-6f0e-4c55-9a43-3d1c2f4e5a61:"
                                          " acknowledged up to 1 but recorded to have pushed"
                                          " event 5",
                                          NULL });
  hq_clear (&hq);
}

/* The store's sales at every till of it: what another till sold, by the
 * time it reached HQ (one made offline an hour before comes when it is
 * pushed), is kept at the next sync, so that a return of it is taken while
 * HQ is out of reach; the return reaches HQ once. A till of an HQ
 * account, which has no store, keeps none and syncs all the same. */
static void
test_store_sales (void)
{
  g_autofree char *olga = hq_customer ("Olga Sales", "+79050000080", env.stores.store1, 0);
  g_autoptr (Till) a = till_new ("sales-a.db", "cashier1", env.stores.store1, env.hq.url);
  g_autoptr (Till) c = till_new ("sales-c.db", "manager1", env.stores.store1, env.hq.url);
  g_autoptr (Till) desk = till_new ("sales-desk.db", "admin", env.stores.store1, env.hq.url);
  g_autoptr (SkSyncSummary) s = NULL;
  g_autoptr (SkPurchaseRequest) late = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) sold = NULL;
  g_autoptr (SkPurchase) at_hq = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sale = NULL;
  g_autofree char *number = NULL;
  g_autofree char *hq_sale = NULL;
  const char      *store1_sales = "SELECT count(*) FROM purchases WHERE store_id = ?";
  g_autofree char *backup = NULL;

  till_sync_expect (a, 0, 0);
  till_sync_expect (c, 0, 0);
  backup = g_build_filename (env.hq.dir, "sales-a.backup", NULL);
  g_assert_true (sk_database_backup_file (a->path, backup, &error));
  g_assert_no_error (error);
  /* A sells 130 times (two pages of HQ's answer), one of them to Olga. */
  sell_many (a, NULL, 129);
  sale = sell (a, olga, 2, 0);
  till_sync_expect (a, 130, 0);
  /* HQ knows they are A's: A is not sent them back. */
  g_assert_cmpint (count_at (env.hq.db, "SELECT count(*) FROM purchases WHERE device_id = ?",
                             sk_database_get_device_id (a->db)),
                   ==, 130);
  s = till_sync (c);
  g_assert_cmpint (s->applied, ==, 0);
  g_assert_cmpint (s->sales_kept, >=, 130);
  g_clear_pointer (&s, sk_sync_summary_free);
  g_assert_cmpint (count_at (c->db, store1_sales, env.stores.store1), ==,
                   count_at (env.hq.db, store1_sales, env.stores.store1));
  /* Asked again, nothing is new. */
  s = till_sync (c);
  g_assert_cmpint (s->sales_kept, ==, 0);
  g_clear_pointer (&s, sk_sync_summary_free);

  /* A sells offline an hour ago; meanwhile a sale reaches HQ and C hears
   * of it; then A's sale reaches HQ: C keeps it at its next sync, though
   * it was made before what C had seen. */
  late->id = g_uuid_string_random ();
  late->cart = sk_cart_new (a->store_id);
  late->created_at = sk_time_now () - G_TIME_SPAN_HOUR;
  sk_cart_add_line (late->cart, "bear", "Teddy bear", "toys", 10000, 1);
  sold = sk_database_process_purchase (a->db, late, &error);
  g_assert_no_error (error);
  {
    g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
    g_autoptr (SkPurchaseResult) direct = NULL;

    request->id = g_uuid_string_random ();
    request->cart = sk_cart_new (env.stores.store1);
    sk_cart_add_line (request->cart, "ball", "Ball", "sport", 4990, 1);
    direct = sk_database_process_purchase (env.hq.db, request, &error);
    g_assert_no_error (error);
    hq_sale = g_strdup (sk_record_get_id (direct->purchase));
  }
  s = till_sync (c);
  g_assert_cmpint (s->sales_kept, ==, 1);
  g_clear_pointer (&s, sk_sync_summary_free);
  g_assert_cmpint (count_at (c->db, "SELECT count(*) FROM purchases WHERE id = ?", hq_sale), ==, 1);
  till_sync_expect (a, 1, 0);
  s = till_sync (c);
  g_assert_cmpint (s->sales_kept, ==, 1);
  g_clear_pointer (&s, sk_sync_summary_free);
  g_assert_cmpint (count_at (c->db, "SELECT count(*) FROM purchases WHERE id = ?",
                             sk_record_get_id (sold->purchase)),
                   ==, 1);

  /* HQ out of reach from here on (C is not asked to sync): Olga brings
   * back a bear of the sale A made. C finds it by the receipt's number. */
  number = g_strdup_printf ("Receipt %.8s", sale);
  found = sk_database_find_sales (c->db, c->store_id, number, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (sk_record_get_id (g_ptr_array_index (found, 0)), ==, sale);
  refund (c, sale, 1, 1);
  g_assert_cmpint (sk_database_count_outbox (c->db, NULL), ==, 1);

  /* HQ again: the return is HQ's once, one bear of the two at its price
   * after the discounts. */
  till_sync_expect (c, 1, 0);
  at_hq = sk_database_get_purchase (env.hq.db, sale, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (at_hq->status, ==, "partially_refunded");
  {
    g_autoptr (SkPurchaseLine) bears = g_list_model_get_item (sk_purchase_get_lines (at_hq), 0);

    g_assert_cmpint (bears->quantity, ==, 2);
    g_assert_cmpint (bears->refunded_quantity, ==, 1);
    g_assert_cmpint (at_hq->refunded_total, ==, bears->total / 2);
  }
  till_sync_expect (c, 0, 0);
  g_assert_cmpint (count_at (env.hq.db, "SELECT count(*) FROM refunds WHERE purchase_id = ?", sale),
                   ==, 1);
  /* A hears of it: the other bear is all that can come back there. */
  s = till_sync (a);
  g_assert_cmpint (s->sales_kept, ==, 1);
  g_clear_pointer (&s, sk_sync_summary_free);
  {
    g_autoptr (SkPurchase) at_a = sk_database_get_purchase (a->db, sale, &error);
    g_autoptr (SkPurchaseLine) bears = NULL;

    g_assert_no_error (error);
    bears = g_list_model_get_item (sk_purchase_get_lines (at_a), 0);
    g_assert_cmpstr (at_a->status, ==, "partially_refunded");
    g_assert_cmpint (at_a->refunded_total, ==, at_hq->refunded_total);
    g_assert_cmpint (bears->refunded_quantity, ==, 1);
  }

  /* C takes back the ball, and before C pushes it, HQ the other bear.
   * HQ has taken back more than C's copy says, but not C's ball: C keeps
   * its own figures until its return is at HQ (else the ball could be
   * paid back again there), then takes HQ's, the whole sale. */
  refund (c, sale, 2, 1);
  {
    g_autoptr (GArray) bear = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
    g_autoptr (SkPurchase) after = NULL;
    g_autofree char *id = g_uuid_string_random ();
    SkRefundLine     line = { 1, 1 };

    g_array_append_val (bear, line);
    after = sk_database_refund_purchase (env.hq.db, id, sale, bear, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr (SkPurchase) now_at_hq = sk_database_get_purchase (env.hq.db, sale, &error);
    g_autoptr (GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr (SkPurchase) at_c = NULL;
    g_autoptr (SkPurchaseLine) ball = NULL;
    gint64 kept = -1;

    g_assert_no_error (error);
    g_ptr_array_add (page, g_object_ref (now_at_hq));
    g_assert_true (sk_database_keep_hq_purchases (c->db, page, TRUE, &kept, &error));
    g_assert_no_error (error);
    g_assert_cmpint (kept, ==, 0);
    at_c = sk_database_get_purchase (c->db, sale, &error);
    g_assert_no_error (error);
    g_assert_cmpint (at_c->refunded_total, <, now_at_hq->refunded_total);
    ball = g_list_model_get_item (sk_purchase_get_lines (at_c), 1);
    g_assert_cmpint (ball->refunded_quantity, ==, 1);
  }
  s = till_sync (c);
  g_assert_cmpint (s->applied, ==, 1);
  g_assert_cmpint (s->sales_kept, ==, 1);
  g_clear_pointer (&s, sk_sync_summary_free);
  till_sync_expect (a, 0, 0);
  for (Till **t = (Till *[]){ a, c, NULL }; *t != NULL; t++)
    {
      g_autoptr (SkPurchase) copy = sk_database_get_purchase ((*t)->db, sale, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (copy->status, ==, "refunded");
    }

  /* An HQ that does not know C's cursor (restored from a backup): C
   * copies it again and asks for the store's sales of the last days
   * again; it has them all. */
  {
    g_autoptr (SkSyncSummary) again = NULL;
    g_autofree char *mark = NULL;

    g_assert_true (sk_database_forget_sync_cursor (c->db, &error));
    g_assert_no_error (error);
    g_assert_null (sk_database_get_setting (c->db, SK_SETTING_SYNC_SALES_SINCE));
    again = till_sync (c);
    g_assert_true (again->full_copy);
    g_assert_cmpint (again->sales_kept, ==, 0);
    mark = sk_database_get_setting (c->db, SK_SETTING_SYNC_SALES_SINCE);
    g_assert_nonnull (mark);
  }

  /* A's file restored from the backup made before it sold: it has none
   * of its sales, and HQ sends them, though they are its own. */
  {
    g_autofree char *restored_path = g_build_filename (env.hq.dir, "sales-restored.db", NULL);
    g_autoptr (Till) restored = NULL;
    g_autoptr (SkSyncSummary) first = NULL;

    g_assert_true (sk_database_restore_file (backup, restored_path, &error));
    g_assert_no_error (error);
    restored = till_new ("sales-restored.db", "cashier1", env.stores.store1, env.hq.url);
    g_assert_cmpstr (sk_database_get_device_id (restored->db), ==,
                     sk_database_get_device_id (a->db));
    first = till_sync (restored);
    g_assert_cmpint (first->sales_kept, >=, 131);
    g_assert_cmpint (count_at (restored->db, store1_sales, env.stores.store1), ==,
                     count_at (env.hq.db, store1_sales, env.stores.store1));
  }

  /* An HQ account's till: no store, no sales kept, the sync is fine. */
  s = till_sync (desk);
  g_assert_cmpint (s->sales_kept, ==, 0);
  g_assert_cmpint (count_at (desk->db, "SELECT count(*) FROM purchases", NULL), ==, 0);
  g_clear_pointer (&s, sk_sync_summary_free);

  assert_till_agrees (a);
  assert_till_agrees (c);
  assert_integrity (env.hq.db);
}

/* @ids' sales (a NULL-ended list) as made and last written @days before,
 * at HQ and at @t: time passing, for the sales a till keeps. */
static void
age_sales (Till *t, const char *const *ids, gint64 days)
{
  for (guint i = 0; ids[i] != NULL; i++)
    for (SkDatabase **db = (SkDatabase *[]){ env.hq.db, t->db, NULL }; *db != NULL; db++)
      {
        g_autoptr (GError) error = NULL;

        g_assert_true (sk_db_exec (*db, &error,
                                   "UPDATE purchases SET created_at = created_at - ?1,"
                                   " updated_at = updated_at - ?1 WHERE id = ?2",
                                   "is", days * G_TIME_SPAN_DAY, ids[i]));
        g_assert_no_error (error);
      }
}

/* The store's sales a till keeps go 14 days after HQ last wrote them, as
 * a new till would not have them, with their lines and discounts. The
 * till's own sales stay, as does a kept sale a return was taken of here
 * (its record of what was paid back, and the bonuses moved), one looked up
 * by its receipt to take a return of, and a recent one. */
static void
test_store_sales_dropped (void)
{
  g_autofree char *vera = hq_customer ("Vera Dropped", "+79050000081", env.stores.store1, 0);
  g_autoptr (Till) a = till_new ("dropped-a.db", "cashier1", env.stores.store1, env.hq.url);
  g_autoptr (Till) c = till_new ("dropped-c.db", "manager1", env.stores.store1, env.hq.url);
  g_autoptr (SkSyncSummary) s = NULL;
  g_autofree char *old = NULL, *returned = NULL, *bonused = NULL, *recent = NULL, *own = NULL;
  g_autofree char *looked_up = NULL;
  const char      *sql = "SELECT count(*) FROM purchases WHERE id = ?";

  till_sync_expect (a, 0, 0);
  till_sync_expect (c, 0, 0);
  old = sell (a, NULL, 1, 0);
  returned = sell (a, NULL, 2, 0);
  bonused = sell (a, vera, 2, 0);
  recent = sell (a, NULL, 1, 0);
  looked_up = sell (a, NULL, 1, 0);
  own = sell (c, NULL, 1, 0);
  till_sync_expect (a, 5, 0);
  s = till_sync (c);
  g_assert_cmpint (s->applied, ==, 1);
  g_assert_cmpint (s->sales_kept, >=, 5);
  g_clear_pointer (&s, sk_sync_summary_free);
  /* One is looked up by its receipt, as F8 does: kept for good now. */
  {
    g_autoptr (GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr (GError) error = NULL;

    g_ptr_array_add (page, sk_database_get_purchase (env.hq.db, looked_up, &error));
    g_assert_no_error (error);
    g_assert_true (sk_database_keep_hq_purchases (c->db, page, FALSE, NULL, &error));
    g_assert_no_error (error);
  }
  /* C takes back a bear of two sales: one without a card, one of Vera's,
   * whose bonuses go back with it. */
  refund (c, returned, 1, 1);
  refund (c, bonused, 1, 1);
  till_sync_expect (c, 2, 0);
  g_assert_cmpint (
      count_at (c->db, "SELECT count(*) FROM bonus_transactions WHERE purchase_id = ?", bonused),
      >=, 1);

  /* A copy of the till made by export and import keeps the same sales for
   * a while, and would let the same ones go. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *path = g_build_filename (env.hq.dir, "dropped-copy.db", NULL);
    g_autoptr (SkDatabase) copy = sk_database_open (path, &error);
    g_autoptr (JsonNode) exported = sk_database_export (c->db, &error);
    const char *kept = "SELECT count(*) FROM purchases WHERE kept = 1 AND id = ?";
    gint64      dropped = -1;

    g_assert_no_error (error);
    g_assert_true (sk_database_import (copy, exported, &error));
    g_assert_no_error (error);
    for (const char *const *id
         = (const char *const[]){ old, returned, bonused, looked_up, recent, own, NULL };
         *id != NULL; id++)
      g_assert_cmpint (count_at (copy, kept, *id), ==, count_at (c->db, kept, *id));
    g_assert_cmpint (count_at (copy, "SELECT count(*) FROM purchases WHERE kept = 1", NULL), ==,
                     count_at (c->db, "SELECT count(*) FROM purchases WHERE kept = 1", NULL));
    /* All of them old: those without a return or bonuses moved go. */
    g_assert_true (sk_database_drop_kept_sales (copy, G_MAXINT64, &dropped, &error));
    g_assert_no_error (error);
    g_assert_cmpint (dropped, >=, 2);
    g_assert_cmpint (count_at (copy, sql, old), ==, 0);
    g_assert_cmpint (count_at (copy, sql, recent), ==, 0);
    for (const char *const *id = (const char *const[]){ returned, bonused, looked_up, own, NULL };
         *id != NULL; id++)
      g_assert_cmpint (count_at (copy, sql, *id), ==, 1);
  }

  /* Fifteen days on for all but the recent one. */
  age_sales (c, (const char *const[]){ old, returned, bonused, looked_up, own, NULL }, 15);
  s = till_sync (c);
  g_assert_cmpint (s->sales_dropped, ==, 1);
  g_assert_cmpint (s->sales_kept, ==, 0);
  g_clear_pointer (&s, sk_sync_summary_free);
  g_assert_cmpint (count_at (c->db, sql, old), ==, 0);
  g_assert_cmpint (
      count_at (c->db, "SELECT count(*) FROM purchase_lines WHERE purchase_id = ?", old), ==, 0);
  g_assert_cmpint (
      count_at (c->db, "SELECT count(*) FROM discount_applications WHERE purchase_id = ?", old), ==,
      0);
  /* HQ has it still. */
  g_assert_cmpint (count_at (env.hq.db, sql, old), ==, 1);
  for (const char *const *id
       = (const char *const[]){ returned, bonused, looked_up, recent, own, NULL };
       *id != NULL; id++)
    g_assert_cmpint (count_at (c->db, sql, *id), ==, 1);
  /* Not asked for again. */
  s = till_sync (c);
  g_assert_cmpint (s->sales_kept, ==, 0);
  g_assert_cmpint (s->sales_dropped, ==, 0);
  g_clear_pointer (&s, sk_sync_summary_free);
  g_assert_cmpint (count_at (c->db, sql, old), ==, 0);
  assert_till_agrees (c);
}

/* A till moved by `export` and `import`: the copy takes a till's picture
 * (balances that are HQ's, a ledger of its own movements only) and its
 * outbox, so a sale the till had not pushed reaches HQ from the copy, a new
 * device (SPEC 6: one per file). The old till, pushing the same event
 * again, is refused it, and the sale is at HQ once. */
static void
test_till_copy (void)
{
  g_autofree char *olga = hq_customer ("Olga Copied", "+79050000091", env.stores.store2, 50000);
  g_autoptr (Till) t = till_new ("copied.db", "manager2", env.stores.store2, env.hq.url);
  g_autoptr (Till) copy = g_new0 (Till, 1);
  g_autoptr (JsonNode) exported = NULL;
  g_autoptr (SkSyncSummary) s = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sale = NULL;

  till_sync_expect (t, 0, 0);
  g_assert_cmpint (balance_at (t->db, olga), ==, 50000);
  sale = sell (t, olga, 1, 0);
  exported = sk_database_export (t->db, &error);
  g_assert_no_error (error);

  copy->path = g_build_filename (env.hq.dir, "copied-copy.db", NULL);
  copy->store_id = g_strdup (t->store_id);
  copy->db = sk_database_open (copy->path, &error);
  g_assert_no_error (error);
  /* The outbox goes in its order, its numbers the copy's to give (a
   * PostgreSQL file's sequence would not follow numbers given to it). */
  {
    JsonArray *outbox
        = json_object_get_array_member (json_node_get_object (exported), "sync_outbox");

    g_assert_cmpuint (json_array_get_length (outbox), ==, 1);
    g_assert_false (json_object_has_member (json_array_get_object_element (outbox, 0), "seq"));
  }
  g_assert_true (sk_database_import (copy->db, exported, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sk_database_count_outbox (copy->db, NULL), ==, 1);
  g_assert_cmpint (balance_at (copy->db, olga), ==, balance_at (t->db, olga));
  g_assert_cmpstr (sk_database_get_device_id (copy->db), !=, sk_database_get_device_id (t->db));

  copy->client = sk_sync_client_new (copy->path, env.hq.url);
  sk_sync_client_set_token (copy->client, t->token);
  till_sync_expect (copy, 1, 0);
  s = till_sync (t);
  g_assert_cmpint (s->applied, ==, 0);
  g_assert_cmpint (s->rejected, ==, 1);
  g_assert_cmpint (count_at (env.hq.db,
                             "SELECT count(*) FROM sync_events WHERE device_id = ?"
                             " AND status = 'applied'",
                             sk_database_get_device_id (copy->db)),
                   ==, 1);
  g_assert_cmpint (count_at (env.hq.db, "SELECT count(*) FROM purchases WHERE id = ?", sale), ==,
                   1);
  g_assert_cmpint (balance_at (copy->db, olga), ==, balance_at (env.hq.db, olga));
  g_assert_cmpint (balance_at (t->db, olga), ==, balance_at (env.hq.db, olga));
}

/* A manager's bonuses by hand for another store's customer: HQ refuses
 * them (SPEC 5), and the till, told so, shows HQ's balance again rather
 * than one HQ never had; the app hears of the customer. Should HQ's record
 * of her not come (the network), the push stands and the next cycle asks
 * again. */
static void
test_refused_adjustment (void)
{
  g_autofree char *zoya = hq_customer ("Zoya Elsewhere", "+79050000101", env.stores.store2, 30000);
  g_autoptr (Till) t = till_new ("refused.db", "manager1", env.stores.store1, env.hq.url);
  SkTestProxy *proxy = sk_test_proxy_new (env.hq.port);
  g_autoptr (SkSyncClient) faulty = till_client_via (t, proxy);
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (SkSyncSummary) s = NULL;
  g_autoptr (GError) error = NULL;

  sk_sync_client_set_retry (faulty, 1, 20);
  till_sync_expect (t, 0, 0);
  g_assert_cmpint (balance_at (t->db, zoya), ==, 30000);
  tx = sk_database_bonus_manual (t->db, zoya, "earn", 1000, "goodwill", t->store_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (balance_at (t->db, zoya), ==, 31000);

  /* HQ's record of her does not come back. */
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_RESET_REQUEST, "/api/customers/", 0, -1, 0);
  s = sync_client (faulty, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->rejected, ==, 1);
  g_assert_cmpint (s->pending, ==, 0);
  g_assert_cmpuint (sk_test_proxy_get_faulted (proxy), >=, 1);
  g_assert_cmpint (balance_at (env.hq.db, zoya), ==, 30000);
  g_assert_cmpint (balance_at (t->db, zoya), ==, 31000);
  g_clear_pointer (&s, sk_sync_summary_free);

  /* The next cycle, the network back: her balance is HQ's. */
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_PASS, NULL, 0, 0, 0);
  s = sync_client (faulty, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->rejected, ==, 0);
  g_assert_cmpint (balance_at (t->db, zoya), ==, 30000);
  g_assert_nonnull (s->customer_ids);
  g_assert_true (g_ptr_array_find_with_equal_func (s->customer_ids, zoya, g_str_equal, NULL));
  g_clear_pointer (&s, sk_sync_summary_free);
  /* Nothing left to ask for. */
  {
    g_auto (GStrv) left = sk_database_refused_customers (t->db);

    g_assert_cmpuint (g_strv_length (left), <=, 1);
    g_assert_true (left[0] == NULL || *left[0] == '\0');
  }
  g_clear_object (&faulty);
  sk_test_proxy_free (proxy);
}

/* An HQ desk (an account of no store) syncing: HQ has no store's sales
 * to give it (422), and its client does not ask again at every cycle. */
static void
test_desk_no_store_sales (void)
{
  g_autoptr (Till) t = till_new ("desk.db", "admin", NULL, env.hq.url);
  SkTestProxy *proxy = sk_test_proxy_new (env.hq.port);
  g_autoptr (SkSyncClient) desk = till_client_via (t, proxy);
  g_autoptr (GError) error = NULL;

  /* Every ask for sales, counted (a delay of nothing). */
  sk_test_proxy_set_fault (proxy, SK_TEST_PROXY_DELAY, "/api/pos/purchases", 0, -1, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (SkSyncSummary) s = sync_client (desk, &error);

      g_assert_no_error (error);
      g_assert_cmpint (s->sales_kept, ==, 0);
    }
  g_assert_cmpuint (sk_test_proxy_get_faulted (proxy), ==, 1);
  g_clear_object (&desk);
  sk_test_proxy_free (proxy);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  sk_postgres_init ();
  /* As skidka-server finds its translations. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SKIDKA_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  sk_test_hq_open (&env.hq, "skidka-sync-tills-XXXXXX");
  hq_prepare (env.hq.db, &env.stores);
  sk_test_hq_serve (&env.hq, sk_test_server_config (env.hq.path, 4));

  g_test_add_func ("/sync-tills/two-tills", test_two_tills);
  g_test_add_func ("/sync-tills/proxy", test_proxy);
  g_test_add_func ("/sync-tills/server-killed", test_server_killed);
  g_test_add_func ("/sync-tills/same-batch-twice", test_same_batch_twice);
  g_test_add_func ("/sync-tills/overspend", test_overspend);
  g_test_add_func ("/sync-tills/refund-below-zero", test_refund_below_zero);
  g_test_add_func ("/sync-tills/same-phone", test_same_phone);
  g_test_add_func ("/sync-tills/pending-figures", test_pending_figures);
  g_test_add_func ("/sync-tills/integrity", test_integrity);
  g_test_add_func ("/sync-tills/receipt-email", test_receipt_email);
  g_test_add_func ("/sync-tills/store-sales", test_store_sales);
  g_test_add_func ("/sync-tills/store-sales-dropped", test_store_sales_dropped);
  g_test_add_func ("/sync-tills/till-copy", test_till_copy);
  g_test_add_func ("/sync-tills/refused-adjustment", test_refused_adjustment);
  g_test_add_func ("/sync-tills/desk-no-store-sales", test_desk_no_store_sales);
  status = g_test_run ();

  sk_test_hq_close (&env.hq);
  hq_clear (&env.stores);
  return status;
}
