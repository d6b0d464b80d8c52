/* test-server.c: skidka-server in-process on port 0, spoken to over HTTP: every endpoint, errors,
 * roles, concurrency. SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <libpq-fe.h>

#include "sk-database-private.h"
#include "sk-postgres.h"
#include "sk-server-private.h"
#include "sk-sync.h"
#include "sk-sync-till.h"
#include "sk-test-postgres.h"
#include "sk-test-server.h"
#include "sk-test-util.h"

/* One server for the whole program, in its own thread and main context. */
static struct
{
  SkTestHq     hq;
  SoupSession *session;
  char        *store1;
  char        *store2;
  char        *token[5]; /* admin, marketing, manager1, cashier1, manager2 */
} env;

enum
{
  ADMIN,
  MARKETING,
  MANAGER,
  CASHIER,
  MANAGER2
};
static const char *const role_names[] = { "admin", "marketing", "manager", "cashier", "manager2" };

/* HTTP */

typedef SkTestReply Reply;

static void
reply_free (Reply *reply)
{
  sk_test_reply_free (reply);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

/* A JSON request to the suite's server through @session. */
static Reply *
call_full (SoupSession *session,
           const char  *method,
           const char  *path,
           const char  *token,
           const char  *body,
           gsize        body_length,
           const char  *if_match)
{
  return sk_test_request (session, env.hq.port, method, path, token, "application/json", body,
                          body_length, if_match);
}

static Reply *
call (const char *method, const char *path, int who, const char *body)
{
  return call_full (env.session, method, path, who >= 0 ? env.token[who] : NULL, body,
                    body ? strlen (body) : 0, NULL);
}

/* Short names for the shared checks (sk-test-server.h). */
#define obj(reply)                               sk_test_reply_object (reply)
#define num(reply, member)                       sk_test_reply_int (reply, member)
#define assert_status(reply, status)             sk_test_assert_status (reply, status)
#define assert_error(reply, status, code, field) sk_test_assert_error (reply, status, code, field)

static const char *
str (Reply *reply, const char *member)
{
  return json_object_get_string_member (obj (reply), member);
}

/* How many items the list in the reply has. */
static guint
n_items (Reply *reply)
{
  return json_array_get_length (json_object_get_array_member (obj (reply), "items"));
}

/* call (), which must answer with @status; its reply replaces the one
 * *@reply held. */
static void
call_expect (
    Reply **reply, const char *method, const char *path, int who, const char *body, guint status)
{
  sk_test_reply_expect (reply, status, call (method, path, who, body));
}

/* call () that must answer with this error (see assert_error). */
static void
call_fails (const char *method,
            const char *path,
            int         who,
            const char *body,
            guint       status,
            const char *code,
            const char *field)
{
  sk_test_assert_refused (call (method, path, who, body), status, code, field);
}

static gint64
count (const char *sql)
{
  return sk_db_query_int (env.hq.db, NULL, -1, sql, NULL);
}

static guint card_serial = 100000;

/* A new customer (by the admin) with a unique card and phone. */
static char *
new_customer (const char *store_id)
{
  guint            n = ++card_serial;
  g_autofree char *body
      = g_strdup_printf ("{\"full_name\": \"Test %u\", \"card_number\": \"77%06u\","
                         " \"phone\": \"+7901%07u\", \"home_store_id\": \"%s\","
                         " \"consent\": {\"email\": false, \"sms\": true, \"push\": false}}",
                         n, n, n, store_id);
  g_autoptr (Reply) reply = call ("POST", "/api/customers", ADMIN, body);

  assert_status (reply, 201);
  return g_strdup (str (reply, "id"));
}

static char *
new_store (const char *extra)
{
  static guint     serial = 0;
  guint            n = ++serial;
  g_autofree char *body = g_strdup_printf ("{\"code\": \"T%u\", \"name\": \"Test store %u\"%s}", n,
                                           n, extra ? extra : "");
  g_autoptr (Reply) reply = call ("POST", "/api/stores", ADMIN, body);

  assert_status (reply, 201);
  return g_strdup (str (reply, "id"));
}

static char *
new_rule (const char *store_id, const char *extra)
{
  g_autofree char *body
      = g_strdup_printf ("{\"name\": \"Test rule\", \"type\": \"percentage\", \"value\": 1000,"
                         " \"store_ids\": [\"%s\"]%s}",
                         store_id, extra ? extra : "");
  g_autoptr (Reply) reply = call ("POST", "/api/discounts/rules", MARKETING, body);

  assert_status (reply, 201);
  return g_strdup (str (reply, "id"));
}

static gint64
balance_of (const char *customer_id)
{
  g_autofree char *path = g_strdup_printf ("/api/bonuses/%s/balance", customer_id);
  g_autoptr (Reply) reply = call ("GET", path, ADMIN, NULL);

  assert_status (reply, 200);
  return num (reply, "balance");
}

/* Gives the customer @amount of bonuses: the admin's earn through the API. */
static void
give_bonus (const char *customer_id, gint64 amount, const char *reason)
{
  g_autofree char *path = g_strdup_printf ("/api/bonuses/%s/earn", customer_id);
  g_autofree char *body
      = g_strdup_printf ("{\"amount\": %" G_GINT64_FORMAT ", \"reason\": \"%s\"}", amount, reason);
  g_autoptr (Reply) reply = call ("POST", path, ADMIN, body);

  assert_status (reply, 201);
}

/* The customer's balance, as the API gives it and as the ledger sums it,
 * is @expected. */
static void
assert_balance (const char *customer_id, gint64 expected)
{
  g_assert_cmpint (balance_of (customer_id), ==, expected);
  g_assert_cmpint (sk_database_ledger_sum (env.hq.db, customer_id, NULL), ==, expected);
}

static char *
cart_json (const char *store_id, const char *customer_id, gint64 unit_price, gint64 quantity)
{
  g_autofree char *customer
      = customer_id ? g_strdup_printf ("\"%s\"", customer_id) : g_strdup ("null");

  return g_strdup_printf (
      "\"store_id\": \"%s\", \"customer_id\": %s, \"items\": [{\"sku\": \"bear\","
      " \"name\": \"Teddy bear\", \"category\": \"toys\", \"unit_price\": %" G_GINT64_FORMAT ","
      " \"quantity\": %" G_GINT64_FORMAT "}]",
      store_id, customer, unit_price, quantity);
}

/* Tests */

static void
test_health (void)
{
  g_autoptr (Reply) health = call ("GET", "/api/health", -1, NULL);
  g_autoptr (Reply) doc = call ("GET", "/api/openapi.json", -1, NULL);
  g_autoptr (Reply) missing = call ("GET", "/api/nothing-here", ADMIN, NULL);
  g_autoptr (Reply) method = call ("DELETE", "/api/health", ADMIN, NULL);
  JsonObject    *paths;
  const SkRoute *routes;
  guint          n, i;

  assert_status (health, 200);
  g_assert_cmpstr (str (health, "status"), ==, "ok");
  /* The suite runs twice: on SQLite, and on PostgreSQL under with-postgres.sh. */
  g_assert_cmpstr (str (health, "database"), ==,
                   g_getenv ("SKIDKA_TEST_POSTGRES") ? "postgresql" : "sqlite");
  assert_status (doc, 200);
  g_assert_cmpstr (str (doc, "openapi"), ==, "3.0.3");
  paths = json_object_get_object_member (obj (doc), "paths");
  routes = sk_server_routes (&n);
  for (i = 0; i < n; i++)
    {
      g_autoptr (GString) path = g_string_new (routes[i].pattern);
      g_autofree char *lower = g_ascii_strdown (routes[i].method, -1);
      JsonObject      *item;

      g_string_replace (path, "*", "{id}", 0);
      item = json_object_get_object_member (paths, path->str);
      g_assert_nonnull (item);
      g_assert_true (json_object_has_member (item, lower));
    }
  assert_error (missing, 404, "not_found", NULL);
  assert_error (method, 405, "method_not_allowed", NULL);
}

/* The table says which routes write, so that writers queue on the server's
 * write lock: every POST and PUT does, but for those that only compute
 * (calculate, detailed analytics) and the sale and the push, which take the
 * lock themselves around each transaction. The server also stops the suite at once when a
 * route writes without the lock (every route is walked by /server/policy). */
static void
test_route_table (void)
{
  static const char *const computing[] = {
    "POST /api/discounts/calculate",
    "POST /api/analytics",
    "POST /api/pos/process-purchase",
    "POST /api/notification-templates/preview",
    /* Each event's transaction, one at a time. */
    "POST /api/sync/push",
    NULL,
  };
  const SkRoute *routes;
  guint          n;

  routes = sk_server_routes (&n);
  g_assert_cmpuint (n, >=, 40);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s", routes[i].method, routes[i].pattern);
      gboolean         writes = (routes[i].flags & SK_ROUTE_WRITES) != 0;

      g_test_message ("%s", name);
      g_assert_nonnull (routes[i].handler);
      g_assert_nonnull (routes[i].summary);
      g_assert_nonnull (routes[i].policy);
      if (g_str_equal (routes[i].method, "GET"))
        g_assert_false (writes);
      else
        g_assert_true (writes != g_strv_contains (computing, name));
    }
}

static void
test_auth (void)
{
  g_autoptr (Reply) wrong = call ("POST", "/api/auth/login", -1,
                                  "{\"username\": \"admin\", \"password\": \"nope-nope\"}");
  g_autoptr (Reply) unknown = call ("POST", "/api/auth/login", -1,
                                    "{\"username\": \"ghost\", \"password\": \"nope-nope\"}");
  /* Once the password of the dummy hash for unknown names: it stopped the server. */
  g_autoptr (Reply) dummy = call ("POST", "/api/auth/login", -1,
                                  "{\"username\": \"nobody\", \"password\": \"not a password\"}");
  g_autoptr (Reply) missing = call ("POST", "/api/auth/login", -1, "{\"username\": \"admin\"}");
  g_autoptr (Reply) typed
      = call ("POST", "/api/auth/login", -1, "{\"username\": 5, \"password\": \"x\"}");
  g_autoptr (Reply) no_token = call ("GET", "/api/customers", -1, NULL);
  g_autoptr (Reply) bad_token = NULL;
  g_autoptr (Reply) login = NULL;
  g_autoptr (Reply) me = NULL;
  g_autoptr (Reply) logout = NULL;
  g_autoptr (Reply) after = NULL;
  g_autofree char *token = NULL;
  g_autofree char *stored = NULL;

  assert_error (wrong, 401, "unauthorized", NULL);
  assert_error (unknown, 401, "unauthorized", NULL);
  assert_error (dummy, 401, "unauthorized", NULL);
  assert_error (missing, 400, "malformed", "password");
  assert_error (typed, 400, "malformed", "username");
  assert_error (no_token, 401, "unauthorized", NULL);
  bad_token = call_full (env.session, "GET", "/api/customers", "not-a-token", NULL, 0, NULL);
  assert_error (bad_token, 401, "unauthorized", NULL);

  login = call ("POST", "/api/auth/login", -1,
                "{\"username\": \"cashier1\", \"password\": \"cashier-pass\"}");
  assert_status (login, 200);
  token = g_strdup (str (login, "token"));
  g_assert_cmpstr (str (login, "token_type"), ==, "Bearer");
  /* Only the hash is kept. */
  stored = sk_auth_token_hash (token);
  g_assert_cmpint (sk_db_query_int (env.hq.db, NULL, 0,
                                    "SELECT count(*) FROM tokens WHERE token_hash = ?", "s",
                                    stored),
                   ==, 1);
  g_assert_cmpint (sk_db_query_int (env.hq.db, NULL, 0,
                                    "SELECT count(*) FROM tokens WHERE token_hash = ?", "s", token),
                   ==, 0);
  g_assert_cmpint (count ("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'"), ==,
                   count ("SELECT count(*) FROM users"));

  me = call_full (env.session, "GET", "/api/auth/me", token, NULL, 0, NULL);
  assert_status (me, 200);
  g_assert_cmpstr (str (me, "role"), ==, "cashier");
  g_assert_cmpstr (str (me, "store_id"), ==, env.store1);
  logout = call_full (env.session, "POST", "/api/auth/logout", token, NULL, 0, NULL);
  assert_status (logout, 204);
  after = call_full (env.session, "GET", "/api/auth/me", token, NULL, 0, NULL);
  assert_error (after, 401, "unauthorized", NULL);
}

static void
test_customers (void)
{
  g_autoptr (Reply) created = NULL;
  g_autoptr (Reply) reply = NULL;
  g_autofree char *id = NULL;
  g_autofree char *path = NULL;
  g_autofree char *etag = NULL;
  gint64           before;

  created = call ("POST", "/api/customers", CASHIER,
                  "{\"full_name\": \"Maria Ivanova\", \"card_number\": \"4000123\", \"phone\": \"8 "
                  "(916) 555-12-34\","
                  " \"birth_date\": \"1990-04-02\", \"children\": [{\"name\": \"Sasha\", "
                  "\"birth_date\": \"2019-05-01\"}],"
                  " \"bonus_balance\": 999999}");
  assert_status (created, 201);
  id = g_strdup (str (created, "id"));
  g_assert_cmpstr (str (created, "phone"), ==, "+79165551234");
  g_assert_cmpstr (str (created, "segment"), ==, "new");
  /* Read-only fields are the server's: the balance did not come from the client. */
  g_assert_cmpint (num (created, "bonus_balance"), ==, 0);
  g_assert_cmpint (num (created, "version"), ==, 1);
  /* A cashier's registration lands in the cashier's store. */
  g_assert_cmpstr (str (created, "home_store_id"), ==, env.store1);
  g_assert_cmpstr (created->etag, ==, "\"1\"");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (obj (created), "children")),
                   ==, 1);

  before = count ("SELECT count(*) FROM customers");
  g_clear_pointer (&reply, reply_free);
  call_fails ("POST", "/api/customers", ADMIN,
              "{\"full_name\": \"Dup\", \"phone\": \"+79165551234\"}", 409, "conflict", NULL);
  call_fails ("POST", "/api/customers", ADMIN,
              "{\"full_name\": \"Dup\", \"card_number\": \"4000123\"}", 409, "conflict", NULL);
  call_fails ("POST", "/api/customers", ADMIN, "{\"full_name\": ", 400, "malformed", NULL);
  call_fails ("POST", "/api/customers", ADMIN, "[1, 2]", 400, "malformed", NULL);
  call_fails ("POST", "/api/customers", ADMIN, "{\"full_name\": 42}", 400, "malformed",
              "full_name");
  call_fails ("POST", "/api/customers", ADMIN, "{\"full_name\": \"X\", \"phone\": \"12\"}", 422,
              "invalid_value", "phone");
  reply = call_full (env.session, "POST", "/api/customers", env.token[ADMIN],
                     "{\"full_name\": \"\xff\xfe\"}", G_MAXSIZE, NULL);
  assert_error (reply, 400, "malformed", NULL);
  g_assert_cmpint (count ("SELECT count(*) FROM customers"), ==, before);

  path = g_strdup_printf ("/api/customers/%s", id);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpstr (str (reply, "full_name"), ==, "Maria Ivanova");
  etag = g_strdup (reply->etag);
  call_fails ("GET", "/api/customers/00000000-0000-4000-8000-000000000000", ADMIN, NULL, 404,
              "not_found", NULL);

  /* Optimistic concurrency: If-Match, then a stale one, then a stale body version. */
  g_clear_pointer (&reply, reply_free);
  reply = call_full (env.session, "PUT", path, env.token[MANAGER],
                     "{\"email\": \"maria@example.org\"}", G_MAXSIZE, etag);
  assert_status (reply, 200);
  g_assert_cmpstr (str (reply, "email"), ==, "maria@example.org");
  g_assert_cmpint (num (reply, "version"), ==, 2);
  g_assert_cmpstr (str (reply, "id"), ==, id);
  g_clear_pointer (&reply, reply_free);
  reply = call_full (env.session, "PUT", path, env.token[MANAGER],
                     "{\"email\": \"other@example.org\"}", G_MAXSIZE, etag);
  assert_error (reply, 412, "stale_version", NULL);
  g_clear_pointer (&reply, reply_free);
  call_fails ("PUT", path, ADMIN, "{\"email\": \"other@example.org\", \"version\": 1}", 412,
              "stale_version", NULL);
  call_fails ("PUT", path, ADMIN, "{\"email\": 5, \"version\": 2}", 400, "malformed", "email");
  reply = call ("GET", path, ADMIN, NULL);
  g_assert_cmpstr (str (reply, "email"), ==, "maria@example.org");
  /* A manager of another store may not edit this store's customer. */
  call_fails ("PUT", path, MANAGER2, "{\"email\": \"x@example.org\"}", 403, "forbidden", NULL);

  /* Search by phone, card and name; purchases (none yet). */
  call_expect (&reply, "GET", "/api/customers?q=%2B7916555", CASHIER, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, 1);
  g_clear_pointer (&reply, reply_free);
  reply = call ("GET", "/api/customers?q=4000123", CASHIER, NULL);
  g_assert_cmpint (n_items (reply), ==, 1);
  g_clear_pointer (&reply, reply_free);
  reply = call ("GET", "/api/customers?q=Maria", CASHIER, NULL);
  g_assert_cmpint (n_items (reply), ==, 1);
  g_clear_pointer (&reply, reply_free);
  call_fails ("GET", "/api/customers?limit=0", CASHIER, NULL, 422, "invalid_value", "limit");
  call_fails ("GET", "/api/customers?limit=ten", CASHIER, NULL, 400, "malformed", "limit");
  reply = call ("GET", "/api/customers?cursor=garbage", CASHIER, NULL);
  assert_error (reply, 400, "malformed", "cursor");
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/customers/%s/purchases", id);
  call_expect (&reply, "GET", path, MANAGER, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, 0);
}

/* The next page's cursor from a page's reply, escaped for a query, or NULL
 * after the last; counts the pages, which must be fewer than 1000. */
static char *
next_cursor (Reply *reply, guint *pages)
{
  JsonNode *next = json_object_get_member (obj (reply), "next_cursor");

  g_assert_cmpuint (++*pages, <, 1000);
  return JSON_NODE_HOLDS_NULL (next)
             ? NULL
             : g_uri_escape_string (json_node_get_string (next), NULL, FALSE);
}

/* Every item of the list at @path (which may have a query of its own) as
 * @who, walked a page of @limit at a time: no page longer, each item once. */
static JsonArray *
all_pages (const char *path, guint limit, int who)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  JsonArray       *all = json_array_new ();
  char             separator = strchr (path, '?') != NULL ? '&' : '?';
  guint            pages = 0;

  do
    {
      g_autofree char *page
          = cursor ? g_strdup_printf ("%s%climit=%u&cursor=%s", path, separator, limit, cursor)
                   : g_strdup_printf ("%s%climit=%u", path, separator, limit);
      g_autoptr (Reply) reply = call ("GET", page, who, NULL);
      JsonArray *items;

      assert_status (reply, 200);
      items = json_object_get_array_member (obj (reply), "items");
      g_assert_cmpuint (json_array_get_length (items), <=, limit);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);

          g_assert_true (
              g_hash_table_add (seen, g_strdup (json_object_get_string_member (item, "id"))));
          json_array_add_object_element (all, json_object_ref (item));
        }
      g_free (cursor);
      cursor = next_cursor (reply, &pages);
    }
  while (cursor != NULL);
  return all;
}

/* How many items all_pages () finds. */
static guint
count_pages (const char *path, guint limit, int who)
{
  g_autoptr (JsonArray) all = all_pages (path, limit, who);

  return json_array_get_length (all);
}

static void
test_customers_pages (void)
{
  gint64 total = count ("SELECT count(*) FROM customers");

  for (guint i = 0; i < 5; i++)
    g_free (new_customer (env.store1));
  total += 5;
  g_assert_cmpint (count_pages ("/api/customers", 2, MARKETING), ==, total);
}

static void
test_bonuses (void)
{
  g_autofree char *id = new_customer (env.store1);
  g_autofree char *earn = g_strdup_printf ("/api/bonuses/%s/earn", id);
  g_autofree char *spend = g_strdup_printf ("/api/bonuses/%s/spend", id);
  g_autofree char *adjust = g_strdup_printf ("/api/bonuses/%s/adjust", id);
  g_autofree char *txs = g_strdup_printf ("/api/bonuses/%s/transactions", id);
  g_autofree char *other_store
      = g_strdup_printf ("{\"amount\": 100, \"reason\": \"x\", \"store_id\": \"%s\"}", env.store2);
  g_autoptr (Reply) reply = NULL;
  gint64 ledger;

  reply = call ("POST", earn, MANAGER, "{\"amount\": 10000, \"reason\": \"welcome gift\"}");
  assert_status (reply, 201);
  g_assert_cmpstr (str (reply, "kind"), ==, "earn");
  g_assert_cmpint (num (reply, "amount"), ==, 10000);
  g_assert_cmpint (num (reply, "balance_after"), ==, 10000);
  g_assert_cmpstr (str (reply, "store_id"), ==, env.store1);
  call_expect (&reply, "POST", spend, ADMIN, "{\"amount\": 3000, \"reason\": \"gift wrap\"}", 201);
  g_assert_cmpint (num (reply, "amount"), ==, -3000);
  g_assert_cmpint (num (reply, "balance_after"), ==, 7000);
  call_expect (&reply, "POST", adjust, ADMIN, "{\"amount\": -500, \"reason\": \"correction\"}",
               201);
  g_assert_cmpint (balance_of (id), ==, 6500);

  /* Errors write nothing. */
  g_clear_pointer (&reply, reply_free);
  call_fails ("POST", spend, ADMIN, "{\"amount\": 6501, \"reason\": \"too much\"}", 422,
              "insufficient_bonus", NULL);
  call_fails ("POST", spend, ADMIN, "{\"amount\": -5, \"reason\": \"negative\"}", 422,
              "invalid_value", "amount");
  call_fails ("POST", earn, ADMIN, "{\"amount\": \"100\", \"reason\": \"text\"}", 400, "malformed",
              "amount");
  call_fails ("POST", earn, ADMIN, "{\"amount\": 1.5, \"reason\": \"float\"}", 400, "malformed",
              "amount");
  call_fails ("POST", earn, ADMIN, "{\"amount\": 100}", 400, "malformed", "reason");
  call_fails ("POST", earn, ADMIN, "{\"amount\": 100, \"reason\": \" \"}", 422, "invalid_value",
              "reason");
  call_fails ("POST", "/api/bonuses/00000000-0000-4000-8000-000000000000/earn", ADMIN,
              "{\"amount\": 100, \"reason\": \"ghost\"}", 404, "not_found", NULL);
  reply = call ("POST", earn, MANAGER, other_store);
  assert_error (reply, 403, "forbidden", "store_id");
  g_assert_cmpint (balance_of (id), ==, 6500);

  call_expect (&reply, "GET", txs, MARKETING, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, 3);
  ledger = sk_database_ledger_sum (env.hq.db, id, NULL);
  g_assert_cmpint (ledger, ==, 6500);
}

static void
test_rules (void)
{
  g_autofree char *store = new_store (NULL);
  g_autofree char *rule = new_rule (store, ", \"priority\": 5");
  g_autofree char *path = g_strdup_printf ("/api/discounts/rules/%s", rule);
  g_autoptr (Reply) reply = NULL;
  gint64 before = count ("SELECT count(*) FROM discount_rules");

  reply = call ("GET", path, CASHIER, NULL);
  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "value"), ==, 1000);
  g_assert_cmpstr (reply->etag, ==, "\"1\"");
  g_clear_pointer (&reply, reply_free);
  reply = call_full (env.session, "PUT", path, env.token[MARKETING], "{\"value\": 1500}", 15,
                     "\"1\"");
  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "value"), ==, 1500);
  g_assert_cmpint (num (reply, "version"), ==, 2);
  g_clear_pointer (&reply, reply_free);
  reply = call_full (env.session, "PUT", path, env.token[MARKETING], "{\"value\": 2000}", 15,
                     "\"1\"");
  assert_error (reply, 412, "stale_version", NULL);
  g_clear_pointer (&reply, reply_free);
  call_fails ("PUT", path, MARKETING, "{\"value\": -5, \"version\": 2}", 422, "invalid_value",
              "value");
  call_fails ("PUT", "/api/discounts/rules/00000000-0000-4000-8000-000000000000", MARKETING,
              "{\"value\": 5}", 404, "not_found", NULL);
  call_fails ("POST", "/api/discounts/rules", MARKETING, "{\"type\": \"percentage\", \"value\": 5}",
              400, "malformed", "name");
  call_fails ("POST", "/api/discounts/rules", MARKETING,
              "{\"name\": \"x\", \"type\": \"magic\", \"value\": 5}", 422, "invalid_value", "type");
  reply = call ("POST", "/api/discounts/rules", MARKETING,
                "{\"name\": \"x\", \"type\": \"percentage\", \"value\": \"5\"}");
  assert_error (reply, 400, "malformed", "value");
  g_assert_cmpint (count ("SELECT count(*) FROM discount_rules"), ==, before);
  call_expect (&reply, "GET", "/api/discounts/rules?limit=500", CASHIER, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, before);
}

/* @member of the entry under which @rule_id was rejected, or NULL. */
static const char *
rejected_member (Reply *reply, const char *rule_id, const char *member)
{
  JsonArray *rejected = json_object_get_array_member (obj (reply), "rejected");

  for (guint i = 0; i < json_array_get_length (rejected); i++)
    {
      JsonObject *item = json_array_get_object_element (rejected, i);

      if (g_strcmp0 (json_object_get_string_member (item, "rule_id"), rule_id) == 0)
        return json_object_get_string_member (item, member);
    }
  return NULL;
}

static void
test_calculate (void)
{
  g_autofree char *store = new_store (NULL);
  g_autofree char *rule = new_rule (store, NULL);
  g_autofree char *small
      = new_rule (store, ", \"name\": \"Big carts\", \"type\": \"fixed_amount\", \"value\": 50000,"
                         " \"min_purchase\": 1000000, \"stackable\": false");
  g_autofree char *cart = cart_json (store, NULL, 129900, 2);
  g_autofree char *body = g_strdup_printf ("{%s}", cart);
  g_autoptr (Reply) reply = call ("POST", "/api/discounts/calculate", ADMIN, body);
  JsonArray  *applied, *lines;
  const char *reason;

  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "subtotal"), ==, 259800);
  g_assert_cmpint (num (reply, "discount_total"), ==, 25980);
  g_assert_cmpint (num (reply, "total"), ==, 233820);
  g_assert_cmpint (num (reply, "bonus_multiplier"), ==, 100);
  applied = json_object_get_array_member (obj (reply), "applied");
  g_assert_cmpint (json_array_get_length (applied), ==, 1);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (applied, 0), "rule_id"), ==,
      rule);
  g_assert_cmpint (
      json_object_get_int_member (json_array_get_object_element (applied, 0), "amount"), ==, 25980);
  /* Rules of other stores are listed as rejected too; find ours. */
  reason = rejected_member (reply, small, "reason");
  g_assert_nonnull (reason);
  g_assert_nonnull (strstr (reason, "min"));
  lines = json_object_get_array_member (obj (reply), "lines");
  g_assert_cmpint (
      json_object_get_int_member (json_array_get_object_element (lines, 0), "discount"), ==, 25980);

  /* Errors. */
  g_clear_pointer (&reply, reply_free);
  reply = call ("POST", "/api/discounts/calculate", ADMIN, "{\"store_id\": \"x\", \"items\": 5}");
  g_assert_cmpuint (reply->status, ==, 400);
  g_clear_pointer (&reply, reply_free);
  g_free (cart);
  g_free (body);
  cart = cart_json (store, NULL, -100, 1);
  body = g_strdup_printf ("{%s}", cart);
  call_fails ("POST", "/api/discounts/calculate", ADMIN, body, 422, "invalid_value", NULL);
  g_free (cart);
  g_free (body);
  cart = cart_json (store, NULL, 100, 0);
  body = g_strdup_printf ("{%s}", cart);
  call_fails ("POST", "/api/discounts/calculate", ADMIN, body, 422, "invalid_value", NULL);
  reply = call ("POST", "/api/discounts/calculate", ADMIN,
                "{\"store_id\": \"00000000-0000-4000-8000-000000000000\", \"items\": "
                "[{\"unit_price\": 100, \"quantity\": 1}]}");
  g_assert_cmpuint (reply->status, >=, 400);
  g_assert_cmpuint (reply->status, <, 500);
  /* A line without a SKU (CartItem allows it) once stopped the server. */
  g_clear_pointer (&reply, reply_free);
  g_free (body);
  body = g_strdup_printf (
      "{\"store_id\": \"%s\", \"items\": [{\"name\": \"Loose item\", \"unit_price\": 129900,"
      " \"quantity\": 2}]}",
      store);
  reply = call ("POST", "/api/discounts/calculate", ADMIN, body);
  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "total"), ==, 233820);
  lines = json_object_get_array_member (obj (reply), "lines");
  g_assert_true (json_object_get_null_member (json_array_get_object_element (lines, 0), "sku"));
  /* A cashier computes for its own store only. */
  g_clear_pointer (&reply, reply_free);
  g_free (cart);
  g_free (body);
  cart = cart_json (store, NULL, 100, 1);
  body = g_strdup_printf ("{%s}", cart);
  reply = call ("POST", "/api/discounts/calculate", CASHIER, body);
  assert_error (reply, 403, "forbidden", "store_id");
}

static void
test_pos (void)
{
  g_autofree char *store = new_store (NULL);
  g_autofree char *rule = new_rule (store, NULL);
  g_autofree char *customer = new_customer (store);
  g_autofree char *cart = cart_json (store, customer, 129900, 2);
  g_autofree char *purchase_id = g_uuid_string_random ();
  g_autofree char *body
      = g_strdup_printf ("{\"id\": \"%s\", %s, \"bonus_to_spend\": 10000}", purchase_id, cart);
  g_autofree char *over_id = g_uuid_string_random ();
  g_autofree char *over
      = g_strdup_printf ("{\"id\": \"%s\", %s, \"bonus_to_spend\": 10001}", over_id, cart);
  g_autofree char *path = NULL;
  g_autofree char *refund = NULL;
  g_autofree char *refund_id = g_uuid_string_random ();
  g_autoptr (Reply) reply = NULL;
  JsonObject *purchase, *cust;
  gint64      purchases_before;

  give_bonus (customer, 10000, "gift");

  /* Over-spend: refused, nothing written. */
  purchases_before = count ("SELECT count(*) FROM purchases");
  call_fails ("POST", "/api/pos/process-purchase", ADMIN, over, 422, "insufficient_bonus", NULL);
  g_assert_cmpint (count ("SELECT count(*) FROM purchases"), ==, purchases_before);
  g_assert_cmpint (balance_of (customer), ==, 10000);

  g_clear_pointer (&reply, reply_free);
  reply = call ("POST", "/api/pos/process-purchase", ADMIN, "{\"id\": 5}");
  g_assert_cmpuint (reply->status, ==, 400);
  call_fails ("POST", "/api/pos/process-purchase", CASHIER, body, 403, "forbidden", "store_id");

  /* The sale: 2 x 1 299 ₽, 10 % off, 100 ₽ of bonuses, 1 % back on the rest. */
  call_expect (&reply, "POST", "/api/pos/process-purchase", ADMIN, body, 201);
  purchase = json_object_get_object_member (obj (reply), "purchase");
  cust = json_object_get_object_member (obj (reply), "customer");
  g_assert_cmpstr (json_object_get_string_member (purchase, "id"), ==, purchase_id);
  g_assert_cmpint (json_object_get_int_member (purchase, "subtotal"), ==, 259800);
  g_assert_cmpint (json_object_get_int_member (purchase, "discount_total"), ==, 25980);
  g_assert_cmpint (json_object_get_int_member (purchase, "bonus_spent"), ==, 10000);
  g_assert_cmpint (json_object_get_int_member (purchase, "total_paid"), ==, 223820);
  g_assert_cmpint (json_object_get_int_member (purchase, "bonus_earned"), ==, 2238);
  g_assert_cmpint (json_object_get_int_member (cust, "bonus_balance"), ==, 2238);
  g_assert_cmpint (json_object_get_int_member (cust, "visits"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (cust, "segment"), ==, "one_time");

  /* A replay returns the first result and writes nothing. */
  call_expect (&reply, "POST", "/api/pos/process-purchase", ADMIN, body, 200);
  purchase = json_object_get_object_member (obj (reply), "purchase");
  g_assert_cmpint (json_object_get_int_member (purchase, "total_paid"), ==, 223820);
  g_assert_cmpint (balance_of (customer), ==, 2238);
  g_assert_cmpint (count ("SELECT count(*) FROM purchases"), ==, purchases_before + 1);

  path = g_strdup_printf ("/api/pos/purchases/%s", purchase_id);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpint (num (reply, "total_paid"), ==, 223820);

  /* The customer's history: all of it for HQ, none for another store's manager. */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/customers/%s/purchases", customer);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, 1);
  call_fails ("GET", path, MANAGER, NULL, 403, "forbidden", NULL);

  /* The bonus notification was queued with the sale (the customer consented to SMS). */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/notifications?customer_id=%s", customer);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpint (n_items (reply), >=, 1);
  /* The customer is another store's. */
  call_fails ("GET", path, MANAGER, NULL, 403, "forbidden", NULL);

  /* Analytics of this store see exactly this sale. */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/analytics/summary?store_id=%s", store);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpint (num (reply, "purchases"), ==, 1);
  g_assert_cmpint (num (reply, "revenue"), ==, 233820);
  g_assert_cmpint (num (reply, "discounts"), ==, 25980);
  g_assert_cmpint (num (reply, "bonus_spent"), ==, 10000);
  g_assert_cmpint (num (reply, "bonus_earned"), ==, 2238);

  /* Available discounts before a cart. */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/pos/customer/%s/available-discounts?store_id=%s", customer, store);
  call_expect (&reply, "GET", path, ADMIN, NULL, 200);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (obj (reply), "applied")),
                   ==, 1);
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/pos/customer/%s/available-discounts", customer);
  call_fails ("GET", path, ADMIN, NULL, 400, "malformed", "store_id");

  /* A manager of another store may not refund it; the admin may. */
  refund = g_strdup_printf ("{\"id\": \"%s\", \"purchase_id\": \"%s\"}", refund_id, purchase_id);
  g_clear_pointer (&reply, reply_free);
  call_fails ("POST", "/api/pos/refund", MANAGER2, refund, 403, "forbidden", NULL);
  call_fails ("POST", "/api/pos/refund", ADMIN,
              "{\"id\": \"x\", \"purchase_id\": \"00000000-0000-4000-8000-000000000000\"}", 404,
              "not_found", NULL);
  reply = call ("POST", "/api/pos/refund", ADMIN, refund);
  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "refunded_total"), ==, 223820 + 10000);
  g_assert_cmpint (num (reply, "discount_refunded"), ==, 25980);
  g_assert_cmpint (num (reply, "bonus_returned"), ==, 10000);
  g_assert_cmpint (num (reply, "bonus_reversed"), ==, 2238);
  /* Bonuses spent come back, bonuses earned go: 2238 - 2238 + 10000. */
  assert_balance (customer, 10000);

  /* A sale wholly returned is gone from the store's figures. */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/analytics/summary?store_id=%s", store);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpint (num (reply, "purchases"), ==, 0);
  g_assert_cmpint (num (reply, "revenue"), ==, 0);
  g_assert_cmpint (num (reply, "discounts"), ==, 0);
  g_assert_cmpint (num (reply, "bonus_spent"), ==, 0);
  g_assert_cmpint (num (reply, "bonus_earned"), ==, 0);
}

/* Member @name of the first item of a page. */
static const char *
first_item_string (Reply *reply, const char *name)
{
  JsonArray *items = json_object_get_array_member (obj (reply), "items");

  return json_object_get_string_member (json_array_get_object_element (items, 0), name);
}

/* A store's sales that reached HQ, or were returned, since a time: what
 * a till keeps of them, a page at a time. */
static void
test_pos_store_sales (void)
{
  g_autofree char *store = new_store (NULL);
  g_autofree char *cart = cart_json (store, NULL, 50000, 1);
  g_autofree char *since = sk_time_to_rfc3339 (sk_time_now () - G_TIME_SPAN_SECOND);
  g_autofree char *base = g_strdup_printf ("/api/pos/purchases?store_id=%s&updated_since=", store);
  g_autofree char *path = NULL;
  g_autofree char *later = NULL;
  g_autofree char *refund = NULL;
  g_autofree char *refund_id = g_uuid_string_random ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (Reply) reply = NULL;
  const char *first = NULL;
  gint64      newest = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", %s}", id, cart);

      call_expect (&reply, "POST", "/api/pos/process-purchase", ADMIN, body, 201);
    }

  /* Two pages of two; each sale once, with its lines and the time it was
   * written at HQ. */
  path = g_strconcat (base, since, "&limit=2", NULL);
  while (path != NULL)
    {
      JsonArray  *items;
      const char *next;

      call_expect (&reply, "GET", path, MARKETING, NULL, 200);
      g_clear_pointer (&path, g_free);
      items = json_object_get_array_member (obj (reply), "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *sale = json_array_get_object_element (items, i);
          gint64      at = 0;

          g_assert_true (
              sk_time_from_rfc3339 (json_object_get_string_member (sale, "updated_at"), &at));
          newest = MAX (newest, at);
          g_assert_cmpuint (json_array_get_length (json_object_get_array_member (sale, "lines")),
                            ==, 1);
          g_assert_true (
              g_hash_table_add (seen, g_strdup (json_object_get_string_member (sale, "id"))));
        }
      next = json_object_get_null_member (obj (reply), "next_cursor")
                 ? NULL
                 : json_object_get_string_member (obj (reply), "next_cursor");
      if (next != NULL)
        path = g_strdup_printf ("%s%s&limit=2&cursor=%s", base, since, next);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 3);

  /* Since the newest: nothing. A return writes the sale again. */
  later = sk_time_to_rfc3339 (newest + 1);
  g_clear_pointer (&path, g_free);
  path = g_strconcat (base, later, NULL);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, 0);
  {
    GHashTableIter iter;

    g_hash_table_iter_init (&iter, seen);
    g_assert_true (g_hash_table_iter_next (&iter, (gpointer *)&first, NULL));
  }
  refund = g_strdup_printf ("{\"id\": \"%s\", \"purchase_id\": \"%s\"}", refund_id, first);
  call_expect (&reply, "POST", "/api/pos/refund", ADMIN, refund, 200);
  call_expect (&reply, "GET", path, MARKETING, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, 1);
  g_assert_cmpstr (first_item_string (reply, "status"), ==, "refunded");

  /* A till's own sales are left out of its answer (HQ knows the till
   * that pushed one), unless someone took back some of one. */
  {
    g_autofree char *mine
        = g_strdup_printf ("%s%s&device_id=d0000000-0000-4000-8000-000000000001", base, since);
    g_autofree char *sql
        = g_strdup_printf ("UPDATE purchases SET device_id = 'd0000000-0000-4000-8000-000000000001'"
                           " WHERE store_id = '%s'",
                           store);

    g_assert_true (sk_db_exec_script (env.hq.db, sql, NULL));
    call_expect (&reply, "GET", mine, MARKETING, NULL, 200);
    g_assert_cmpint (n_items (reply), ==, 1);
    g_assert_cmpstr (first_item_string (reply, "id"), ==, first);
  }

  /* Not a time: refused, naming it. */
  g_clear_pointer (&path, g_free);
  path = g_strconcat (base, "yesterday", NULL);
  call_fails ("GET", path, MARKETING, NULL, 400, "malformed", "updated_since");
}

static void
test_analytics (void)
{
  g_autoptr (Reply) reply = call ("POST", "/api/analytics/", MARKETING, "{}");
  g_autofree char *other = NULL;

  assert_status (reply, 200);
  g_assert_true (json_object_has_member (obj (reply), "summary"));
  g_assert_true (json_object_has_member (obj (reply), "daily"));
  g_assert_true (json_object_has_member (obj (reply), "segments"));
  g_assert_true (json_object_has_member (obj (reply), "rules"));
  g_clear_pointer (&reply, reply_free);
  call_fails ("POST", "/api/analytics", MARKETING, "{\"from\": \"yesterday\"}", 400, "malformed",
              "from");
  call_fails ("GET", "/api/analytics/summary?from=nonsense", ADMIN, NULL, 400, "malformed", "from");
  reply = call ("POST", "/api/analytics/segments/update", MARKETING, NULL);
  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "changed"), >=, 0);
  /* A manager sees its own store only. */
  call_expect (&reply, "GET", "/api/analytics/summary", MANAGER, NULL, 200);
  other = g_strdup_printf ("/api/analytics/summary?store_id=%s", env.store2);
  call_fails ("GET", other, MANAGER, NULL, 403, "forbidden", "store_id");
}

static void
test_stores_campaigns_users (void)
{
  g_autofree char *store = new_store (", \"bonus_rate\": 300, \"timezone\": \"Europe/Moscow\"");
  g_autofree char *path = g_strdup_printf ("/api/stores/%s", store);
  g_autofree char *campaign = NULL;
  g_autofree char *cpath = NULL;
  g_autofree char *figures = NULL;
  g_autofree char *till7
      = g_strdup_printf ("{\"username\": \"till7\", \"password\": \"long-enough\","
                         " \"role\": \"cashier\", \"store_id\": \"%s\"}",
                         store);
  g_autoptr (Reply) reply = call ("GET", path, CASHIER, NULL);
  gint64 users;

  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "bonus_rate"), ==, 300);
  g_assert_cmpint (num (reply, "max_bonus_share"), ==, 10000);
  g_clear_pointer (&reply, reply_free);
  reply = call_full (env.session, "PUT", path, env.token[ADMIN], "{\"name\": \"Renamed\"}",
                     G_MAXSIZE, "\"1\"");
  assert_status (reply, 200);
  g_assert_cmpstr (str (reply, "name"), ==, "Renamed");
  g_clear_pointer (&reply, reply_free);
  reply = call_full (env.session, "PUT", path, env.token[ADMIN], "{\"name\": \"Again\"}", G_MAXSIZE,
                     "\"1\"");
  assert_error (reply, 412, "stale_version", NULL);
  g_clear_pointer (&reply, reply_free);
  call_fails ("PUT", path, ADMIN, "{\"bonus_rate\": 20000}", 422, "invalid_value", "bonus_rate");
  call_fails ("POST", "/api/stores", ADMIN, "{\"code\": \"T1\", \"name\": \"Same code\"}", 409,
              "conflict", NULL);
  reply = call ("GET", "/api/stores", CASHIER, NULL);
  assert_status (reply, 200);
  g_assert_cmpint (n_items (reply), ==, count ("SELECT count(*) FROM stores"));

  call_expect (&reply, "POST", "/api/campaigns", MARKETING,
               "{\"name\": \"Back to school\", \"status\": \"active\", \"budget\": 1000000,"
               " \"starts_at\": \"2026-08-01T00:00:00Z\", \"ends_at\": \"2026-09-15T00:00:00Z\"}",
               201);
  campaign = g_strdup (str (reply, "id"));
  g_assert_cmpint (num (reply, "budget"), ==, 1000000);
  cpath = g_strdup_printf ("/api/campaigns/%s", campaign);
  call_expect (&reply, "PUT", cpath, MARKETING,
               "{\"description\": \"Pens and bags\", \"version\": 1}", 200);
  g_assert_cmpint (num (reply, "version"), ==, 2);
  g_clear_pointer (&reply, reply_free);
  call_fails ("PUT", cpath, MARKETING, "{\"description\": \"Stale\", \"version\": 1}", 412,
              "stale_version", NULL);
  reply = call ("POST", "/api/campaigns", MARKETING, "{\"description\": \"no name\"}");
  assert_error (reply, 400, "malformed", "name");
  figures = g_strdup_printf ("/api/campaigns/%s/figures", campaign);
  call_expect (&reply, "GET", figures, MARKETING, NULL, 200);
  g_assert_cmpint (num (reply, "purchases"), ==, 0);
  g_assert_false (json_object_get_boolean_member (obj (reply), "store_only"));
  /* A store's manager: its store's sales, the campaign's budget. */
  call_expect (&reply, "GET", figures, MANAGER, NULL, 200);
  g_assert_true (json_object_get_boolean_member (obj (reply), "store_only"));
  g_assert_cmpint (num (reply, "budget"), ==, 1000000);
  call_expect (&reply, "GET", "/api/campaigns", CASHIER, NULL, 200);

  users = count ("SELECT count(*) FROM users");
  call_expect (&reply, "POST", "/api/users", ADMIN, till7, 201);
  g_assert_cmpstr (str (reply, "role"), ==, "cashier");
  g_clear_pointer (&reply, reply_free);
  call_fails ("POST", "/api/users", ADMIN,
              "{\"username\": \"till7\", \"password\": \"long-enough\", \"role\": \"marketing\"}",
              409, "conflict", "username");
  call_fails ("POST", "/api/users", ADMIN,
              "{\"username\": \"till8\", \"password\": \"long-enough\", \"role\": \"king\"}", 422,
              "invalid_value", "role");
  call_fails ("POST", "/api/users", ADMIN,
              "{\"username\": \"till8\", \"password\": \"long-enough\", \"role\": \"cashier\"}",
              422, "invalid_value", "store_id");
  reply = call ("POST", "/api/users", ADMIN,
                "{\"username\": \"till8\", \"password\": \"short\", \"role\": \"marketing\"}");
  assert_error (reply, 422, "invalid_value", "password");
  g_assert_cmpint (count ("SELECT count(*) FROM users"), ==, users + 1);
  call_expect (&reply, "GET", "/api/users", ADMIN, NULL, 200);
  g_assert_cmpint (n_items (reply), ==, users + 1);
  {
    g_autofree char *text = json_to_string (reply->node, FALSE);
    g_assert_null (strstr (text, "argon2"));
  }

  /* Disabling an account kills its tokens and its logins. */
  {
    g_autoptr (Reply) created = call (
        "POST", "/api/users", ADMIN,
        "{\"username\": \"temp\", \"password\": \"temp-password\", \"role\": \"marketing\"}");
    g_autoptr (Reply) login = NULL;
    g_autoptr (Reply) me = NULL;
    g_autoptr (Reply) put = NULL;
    g_autofree char *upath = NULL;
    g_autofree char *token = NULL;

    assert_status (created, 201);
    upath = g_strdup_printf ("/api/users/%s", str (created, "id"));
    login = call ("POST", "/api/auth/login", -1,
                  "{\"username\": \"temp\", \"password\": \"temp-password\"}");
    assert_status (login, 200);
    token = g_strdup (str (login, "token"));
    put = call ("PUT", upath, ADMIN, "{\"disabled\": \"yes\"}");
    assert_error (put, 400, "malformed", "disabled");
    call_fails ("PUT", "/api/users/00000000-0000-4000-8000-000000000000", ADMIN,
                "{\"disabled\": true}", 404, "not_found", NULL);
    call_fails ("PUT", upath, MARKETING, "{\"disabled\": true}", 403, "forbidden", NULL);
    call_expect (&put, "PUT", upath, ADMIN, "{\"disabled\": true}", 204);
    me = call_full (env.session, "GET", "/api/auth/me", token, NULL, 0, NULL);
    assert_error (me, 401, "unauthorized", NULL);
    call_fails ("POST", "/api/auth/login", -1,
                "{\"username\": \"temp\", \"password\": \"temp-password\"}", 401, "unauthorized",
                NULL);
    users++;
  }

  call_expect (&reply, "GET", "/api/notifications?limit=10", MANAGER, NULL, 200);
  g_assert_true (json_object_has_member (obj (reply), "next_cursor"));
}

/* A customer's ledger and purchases come a page at a time from the
 * database, the manager's filtered to its store there. */
static void
test_customer_pages (void)
{
  g_autofree char *customer = new_customer (env.store1);
  g_autofree char *ledger = g_strdup_printf ("/api/bonuses/%s/transactions", customer);
  g_autofree char *purchases = g_strdup_printf ("/api/customers/%s/purchases", customer);

  for (guint i = 0; i < 7; i++)
    give_bonus (customer, 100, "pages");
  g_assert_cmpuint (count_pages (ledger, 3, ADMIN), ==, 7);
  g_assert_cmpuint (count_pages (ledger, 7, MANAGER), ==, 7);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *cart = cart_json (i < 3 ? env.store1 : env.store2, customer, 1000, 1);
      g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", %s}", id, cart);
      g_autoptr (Reply) reply = call ("POST", "/api/pos/process-purchase", ADMIN, body);

      assert_status (reply, 201);
    }
  g_assert_cmpuint (count_pages (purchases, 2, ADMIN), ==, 5);
  g_assert_cmpuint (count_pages (purchases, 2, MANAGER), ==, 3);
  /* Five visits took her from new to one-time to occasional to regular:
   * her segments, oldest first. */
  {
    g_autofree char *path = g_strdup_printf ("/api/customers/%s/segments", customer);
    g_autoptr (Reply) reply = call ("GET", path, MANAGER, NULL);
    JsonArray *items;

    assert_status (reply, 200);
    items = json_object_get_array_member (obj (reply), "items");
    g_assert_cmpuint (json_array_get_length (items), >=, 3);
    g_assert_cmpstr (
        json_object_get_string_member (
            json_array_get_object_element (items, json_array_get_length (items) - 1), "segment"),
        ==, "regular");
  }
}

/* A manager's notifications are those of its store's customers, filtered
 * in the query: more than a thousand newer ones of another store hide none
 * of them, and the pages of the list join up without a gap or a repeat. */
static void
test_notifications_pages (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ours = new_customer (env.store1);
  g_autofree char *theirs = new_customer (env.store2);
  g_autoptr (JsonArray) managers = NULL;
  gint64 now = sk_time_now ();
  gint64 own_total;

  g_assert_true (sk_db_begin (env.hq.db, &error));
  for (guint i = 0; i < 1100 + 3; i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      /* Three of ours, older than all of theirs. */
      gboolean own = i < 3;

      g_assert_true (sk_db_exec (
          env.hq.db, &error,
          "INSERT INTO notifications (id, customer_id, channel, event, recipient, body, created_at)"
          " VALUES (?, ?, 'sms', 'test', '+79010000000', 'Hello', ?)",
          "ssi", id, own ? ours : theirs, now + (own ? 0 : (gint64)i * G_USEC_PER_SEC)));
    }
  g_assert_true (sk_db_commit (env.hq.db, &error));
  g_assert_no_error (error);
  /* Store one's customers: its home store, or they bought there (the policy). */
  own_total = sk_db_query_int (
      env.hq.db, NULL, -1,
      "SELECT count(*) FROM notifications n JOIN customers c ON c.id = n.customer_id"
      " WHERE c.home_store_id = ?1 OR EXISTS (SELECT 1 FROM purchases p"
      " WHERE p.customer_id = c.id AND p.store_id = ?1)",
      "s", env.store1);
  g_assert_cmpint (own_total, >=, 3);

  /* The manager pages through its own, three at a time. */
  managers = all_pages ("/api/notifications", 3, MANAGER);
  for (guint i = 0; i < json_array_get_length (managers); i++)
    {
      JsonObject *item = json_array_get_object_element (managers, i);
      g_autoptr (SkCustomer) customer = sk_database_get_customer (
          env.hq.db, json_object_get_string_member (item, "customer_id"), NULL);
      g_autofree char *home = NULL;
      gboolean         bought = FALSE;

      g_object_get (customer, "home-store-id", &home, NULL);
      g_assert_true (sk_database_customer_bought_at (
          env.hq.db, json_object_get_string_member (item, "customer_id"), env.store1, &bought,
          NULL));
      g_assert_true (g_strcmp0 (home, env.store1) == 0 || bought);
    }
  g_assert_cmpint (json_array_get_length (managers), ==, own_total);

  /* The admin sees the chain's, newest first, one page at a time. */
  {
    g_autoptr (Reply) reply = call ("GET", "/api/notifications?limit=1", ADMIN, NULL);
    JsonArray *items;

    assert_status (reply, 200);
    items = json_object_get_array_member (obj (reply), "items");
    g_assert_cmpuint (json_array_get_length (items), ==, 1);
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (items, 0), "customer_id"), ==,
        theirs);
    g_assert_false (JSON_NODE_HOLDS_NULL (json_object_get_member (obj (reply), "next_cursor")));
  }
  {
    g_autoptr (Reply) reply = call ("GET", "/api/notifications?cursor=12345", ADMIN, NULL);

    assert_error (reply, 400, "malformed", "cursor");
  }
}

/* Each role against each endpoint: allowed ones never get 401/403, the
 * others get 403. Bodies are invalid where they could write, so the
 * matrix leaves no trace. */
static void
test_roles (void)
{
  g_autofree char *customer = new_customer (env.store1);
  g_autofree char *rule = new_rule (env.store1, ", \"is_active\": false");
  struct
  {
    const char *method;
    const char *path;
    const char *body;
    const char *allowed; /* initials: A M G C (admin, marketing, manager, cashier) */
  } matrix[] = {
    { "GET", "/api/customers", NULL, "AMGC" },
    { "POST", "/api/customers", "{}", "AGC" },
    { "GET", "/api/customers/{c}", NULL, "AMGC" },
    { "PUT", "/api/customers/{c}", "{\"email\": 5}", "AG" },
    { "GET", "/api/customers/{c}/purchases", NULL, "AMG" },
    { "GET", "/api/bonuses/{c}/balance", NULL, "AMGC" },
    { "POST", "/api/bonuses/{c}/earn", "{\"amount\": 0, \"reason\": \"x\"}", "AG" },
    { "POST", "/api/bonuses/{c}/spend", "{\"amount\": 0, \"reason\": \"x\"}", "AG" },
    { "POST", "/api/bonuses/{c}/adjust", "{\"amount\": 0, \"reason\": \"x\"}", "AG" },
    { "GET", "/api/bonuses/{c}/transactions", NULL, "AMG" },
    { "GET", "/api/discounts/rules", NULL, "AMGC" },
    { "POST", "/api/discounts/rules", "{}", "AM" },
    { "GET", "/api/discounts/rules/{r}", NULL, "AMGC" },
    { "PUT", "/api/discounts/rules/{r}", "{\"value\": -1}", "AM" },
    { "POST", "/api/discounts/calculate", "{\"store_id\": \"{s}\", \"items\": []}", "AMGC" },
    { "POST", "/api/pos/process-purchase",
      "{\"id\": \"{c}\", \"store_id\": \"{s}\", \"items\": []}", "AGC" },
    { "GET", "/api/pos/customer/{c}/available-discounts?store_id={s}", NULL, "AMGC" },
    { "POST", "/api/pos/refund", "{\"id\": \"r\", \"purchase_id\": \"none\"}", "AG" },
    { "GET", "/api/pos/purchases/none", NULL, "AMGC" },
    { "GET", "/api/pos/purchases?receipt=ab", NULL, "AMGC" },
    { "GET", "/api/analytics/summary", NULL, "AMG" },
    { "POST", "/api/analytics", "{}", "AMG" },
    { "POST", "/api/analytics/segments/update", NULL, "AM" },
    { "GET", "/api/stores", NULL, "AMGC" },
    { "POST", "/api/stores", "{}", "A" },
    { "GET", "/api/stores/{s}", NULL, "AMGC" },
    { "PUT", "/api/stores/{s}", "{\"bonus_rate\": -1}", "A" },
    { "GET", "/api/campaigns", NULL, "AMGC" },
    { "POST", "/api/campaigns", "{}", "AM" },
    { "GET", "/api/campaigns/none", NULL, "AMGC" },
    { "PUT", "/api/campaigns/none", "{}", "AM" },
    { "GET", "/api/campaigns/none/figures", NULL, "AMG" },
    { "GET", "/api/users", NULL, "A" },
    { "POST", "/api/users", "{}", "A" },
    { "PUT", "/api/users/none", "{}", "A" },
    { "GET", "/api/notifications", NULL, "AMG" },
    { "GET", "/api/auth/me", NULL, "AMGC" },
  };
  const char initials[] = { 'A', 'M', 'G', 'C' };
  gint64     ledger_rows = count ("SELECT count(*) FROM bonus_transactions");
  gint64     purchases = count ("SELECT count(*) FROM purchases");
  gint64     customers = count ("SELECT count(*) FROM customers");
  gint64     rules = count ("SELECT count(*) FROM discount_rules");
  guint      i;
  int        who;

  for (i = 0; i < G_N_ELEMENTS (matrix); i++)
    for (who = ADMIN; who <= CASHIER; who++)
      {
        g_autoptr (GString) path = g_string_new (matrix[i].path);
        g_autoptr (GString) body = g_string_new (matrix[i].body);
        g_autoptr (Reply) reply = NULL;
        gboolean allowed = strchr (matrix[i].allowed, initials[who]) != NULL;

        g_string_replace (path, "{c}", customer, 0);
        g_string_replace (path, "{r}", rule, 0);
        g_string_replace (path, "{s}", env.store1, 0);
        if (matrix[i].body != NULL)
          {
            g_string_replace (body, "{c}", customer, 0);
            g_string_replace (body, "{s}", env.store1, 0);
          }
        reply = call (matrix[i].method, path->str, who, matrix[i].body ? body->str : NULL);
        if (allowed && (reply->status == 401 || reply->status == 403))
          g_error ("%s %s as %s: %u, expected allowed", matrix[i].method, matrix[i].path,
                   role_names[who], reply->status);
        if (!allowed && reply->status != 403)
          g_error ("%s %s as %s: %u, expected 403", matrix[i].method, matrix[i].path,
                   role_names[who], reply->status);
        g_assert_cmpuint (reply->status, <, 500);
        /* Without a token, everything but the public routes is 401. */
        if (who == ADMIN)
          {
            g_autoptr (Reply) anonymous
                = call (matrix[i].method, path->str, -1, matrix[i].body ? body->str : NULL);
            assert_error (anonymous, 401, "unauthorized", NULL);
          }
      }
  g_assert_cmpint (count ("SELECT count(*) FROM bonus_transactions"), ==, ledger_rows);
  g_assert_cmpint (count ("SELECT count(*) FROM purchases"), ==, purchases);
  g_assert_cmpint (count ("SELECT count(*) FROM customers"), ==, customers);
  g_assert_cmpint (count ("SELECT count(*) FROM discount_rules"), ==, rules);
}

/* Concurrency: many tills spending one balance at once. */
typedef struct
{
  const char *path;
  char       *body;
  guint       status;
  gint64      discount;
} Attempt;

static gpointer
attempt_thread (gpointer data)
{
  Attempt *attempt = data;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (Reply) reply = call_full (session, "POST", attempt->path, env.token[ADMIN],
                                       attempt->body, strlen (attempt->body), NULL);

  attempt->status = reply->status;
  if (reply->status == 201)
    {
      if (json_object_has_member (obj (reply), "purchase"))
        attempt->discount = json_object_get_int_member (
            json_object_get_object_member (obj (reply), "purchase"), "discount_total");
    }
  else
    g_assert_cmpuint (reply->status, ==, 422);
  return NULL;
}

/* Runs the @n attempts at once, each in a thread of its own, and frees
 * their bodies; how many were taken (201). */
static guint
run_attempts (Attempt *attempts, guint n)
{
  GThread *threads[64];
  guint    ok = 0;
  guint    i;

  g_assert_cmpuint (n, <=, G_N_ELEMENTS (threads));
  for (i = 0; i < n; i++)
    threads[i] = g_thread_new ("till", attempt_thread, &attempts[i]);
  for (i = 0; i < n; i++)
    {
      g_thread_join (threads[i]);
      g_clear_pointer (&attempts[i].body, g_free);
      if (attempts[i].status == 201)
        ok++;
    }
  return ok;
}

static void
test_concurrent_spend (void)
{
  g_autofree char *customer = new_customer (env.store1);
  g_autofree char *spend = g_strdup_printf ("/api/bonuses/%s/spend", customer);
  Attempt          attempts[20];
  guint            i;

  give_bonus (customer, 10000, "gift");
  for (i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      attempts[i] = (Attempt){ spend, g_strdup ("{\"amount\": 1000, \"reason\": \"race\"}"), 0, 0 };
    }
  g_assert_cmpuint (run_attempts (attempts, G_N_ELEMENTS (attempts)), ==, 10);
  assert_balance (customer, 0);
}

static void
test_concurrent_purchases (void)
{
  g_autofree char *store = new_store (NULL);
  g_autofree char *customer = new_customer (store);
  g_autofree char *cart = cart_json (store, customer, 10000, 1);
  Attempt          attempts[20];
  guint            i;

  give_bonus (customer, 5000, "gift");
  for (i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      attempts[i]
          = (Attempt){ "/api/pos/process-purchase",
                       g_strdup_printf ("{\"id\": \"%s\", %s, \"bonus_to_spend\": 1000}", id, cart),
                       0, 0 };
    }
  /* Each sale spends 1000 and earns floor(9000 x 1 %) = 90: 5000 -> 4090 ->
   * ... -> 450 after five; a sixth cannot pay. */
  g_assert_cmpuint (run_attempts (attempts, G_N_ELEMENTS (attempts)), ==, 5);
  assert_balance (customer, 450);
}

static void
test_concurrent_usage_limit (void)
{
  g_autofree char *store = new_store (NULL);
  g_autofree char *rule = new_rule (store, ", \"usage_limit_total\": 3");
  g_autofree char *cart = cart_json (store, NULL, 10000, 1);
  Attempt          attempts[12];
  guint            discounted = 0;
  guint            i;

  for (i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      attempts[i] = (Attempt){ "/api/pos/process-purchase",
                               g_strdup_printf ("{\"id\": \"%s\", %s}", id, cart), 0, 0 };
    }
  g_assert_cmpuint (run_attempts (attempts, G_N_ELEMENTS (attempts)), ==, G_N_ELEMENTS (attempts));
  for (i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      if (attempts[i].discount > 0)
        {
          g_assert_cmpint (attempts[i].discount, ==, 1000);
          discounted++;
        }
    }
  g_assert_cmpuint (discounted, ==, 3);
  g_assert_cmpint (sk_db_query_int (env.hq.db, NULL, -1,
                                    "SELECT uses FROM discount_rules WHERE id = ?", "s", rule),
                   ==, 3);
}

/* PostgreSQL: a sale priced with a rule's last use while another writer
 * takes that use and commits. The sale's own count finds the limit
 * reached, its transaction runs again, priced anew: no discount, and the
 * rule used once, not twice. */
static void
test_concurrent_usage_limit_race (void)
{
  g_autofree char *store = new_store (NULL);
  g_autofree char *rule = new_rule (store, ", \"usage_limit_total\": 1");
  g_autofree char *cart = cart_json (store, NULL, 10000, 1);
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *take = NULL;
  Attempt          attempt = { "/api/pos/process-purchase", NULL, 0, -1 };
  GThread         *thread;
  PGconn          *other;
  PGresult        *result;

  if (g_str_equal (sk_database_get_backend_name (env.hq.db), "sqlite"))
    {
      g_test_skip ("SQLite has one writer at a time");
      return;
    }
  other = PQconnectdb (env.hq.path);
  g_assert_cmpint (PQstatus (other), ==, CONNECTION_OK);
  take = g_strdup_printf ("BEGIN; UPDATE discount_rules SET uses = uses + 1 WHERE id = '%s'", rule);
  result = PQexec (other, take);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);

  attempt.body = g_strdup_printf ("{\"id\": \"%s\", %s}", id, cart);
  thread = g_thread_new ("till", attempt_thread, &attempt);
  /* The sale waits for the other writer's row: then that one commits. */
  for (gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
       g_get_monotonic_time () < deadline;)
    {
      gint64 waiting = sk_db_query_int (
          env.hq.db, NULL, 0,
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'", NULL);

      if (waiting > 0)
        break;
      g_usleep (G_USEC_PER_SEC / 50);
    }
  result = PQexec (other, "COMMIT");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  PQfinish (other);
  g_thread_join (thread);

  g_assert_cmpuint (attempt.status, ==, 201);
  g_assert_cmpint (attempt.discount, ==, 0);
  g_assert_cmpint (sk_db_query_int (env.hq.db, NULL, -1,
                                    "SELECT uses FROM discount_rules WHERE id = ?", "s", rule),
                   ==, 1);
  g_free (attempt.body);
}

static void
test_limits (void)
{
  gsize            size = 1024 * 1024 + 10;
  g_autofree char *big = g_malloc (size);
  g_autoptr (Reply) reply = NULL;

  memset (big, ' ', size);
  big[0] = '{';
  big[size - 1] = '}';
  reply = call_full (env.session, "POST", "/api/customers", env.token[ADMIN], big, size, NULL);
  assert_error (reply, 413, "too_large", NULL);
}

/* Bodies well under the size limit that nest deeper than any document of
 * ours: they once overflowed a worker's stack in json-glib's parser. */
static void
test_json_depth (void)
{
  static const struct
  {
    const char *open, *close;
    guint       levels;
  } shapes[] = {
    { "[", "]", 75000 },
    { "{\"a\":", "}", 52000 },
  };
  const char *paths[] = { "/api/auth/login", "/api/discounts/calculate" };

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    for (guint k = 0; k < G_N_ELEMENTS (paths); k++)
      {
        g_autoptr (GString) body = g_string_new (NULL);
        g_autoptr (Reply) reply = NULL;

        for (guint level = 0; level < shapes[i].levels; level++)
          g_string_append (body, shapes[i].open);
        g_string_append (body, "1");
        for (guint level = 0; level < shapes[i].levels; level++)
          g_string_append (body, shapes[i].close);
        reply = call_full (env.session, "POST", paths[k], env.token[ADMIN], body->str, body->len,
                           NULL);
        assert_error (reply, 400, "malformed", NULL);
      }
  /* And still serving. */
  {
    g_autoptr (Reply) health = call ("GET", "/api/health", -1, NULL);

    assert_status (health, 200);
  }
}

/* Last: it locks out the address for the rest of the window. */
static void
test_login_rate_limit (void)
{
  guint i;

  for (i = 0; i < 5; i++)
    {
      g_autoptr (Reply) reply
          = call ("POST", "/api/auth/login", -1,
                  "{\"username\": \"marketing1\", \"password\": \"guess-guess\"}");
      assert_error (reply, 401, "unauthorized", NULL);
    }
  {
    /* Even the right password waits now. */
    g_autoptr (Reply) reply
        = call ("POST", "/api/auth/login", -1,
                "{\"username\": \"marketing1\", \"password\": \"marketing-pass\"}");
    assert_error (reply, 429, "too_many_attempts", NULL);
  }
  {
    g_autoptr (Reply) reply = call ("POST", "/api/auth/login", -1,
                                    "{\"username\": \"admin\", \"password\": \"admin-pass\"}");
    assert_status (reply, 200);
  }
}

/* TLS: a second server, HTTPS only, with a self-signed certificate made for
 * this test (valid until 2126). */
static const char test_certificate[]
    = "-----BEGIN CERTIFICATE-----\n"
      "MIIBfzCCASWgAwIBAgIUZztneE8brVG6jkhXjmhu4KqmSgwwCgYIKoZIzj0EAwIw\n"
      "FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNDA4NDQxOFoYDzIxMjYxMDMx\n"
      "MDg0NDE4WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
      "PQMBBwNCAASQU5z23748YSXcwoMlwVrHb/TFazjdb2BSCTycsUA9dVpjy25x37B5\n"
      "54pmS/ZdA18abkEIiU0NrB1KoJDgxy/ao1MwUTAdBgNVHQ4EFgQUBHEefkuqDUvv\n"
      "JlpXPDDip+wysl4wHwYDVR0jBBgwFoAUBHEefkuqDUvvJlpXPDDip+wysl4wDwYD\n"
      "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiA5XvPzX/ab0e8GjAdgcPk9\n"
      "MwX79ad3DjwP0ISnOx1wsAIhAPNyRu0cF4SUsW6CjOSKiH9XiNIPjoaqHYaTH19T\n"
      "2Sgj\n"
      "-----END CERTIFICATE-----\n";
static const char test_key[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggEY9YlfV5UFm+u64\n"
                               "S0u+S4hWqn134h2+AneFkqvgOp+hRANCAASQU5z23748YSXcwoMlwVrHb/TFazjd\n"
                               "b2BSCTycsUA9dVpjy25x37B554pmS/ZdA18abkEIiU0NrB1KoJDgxy/a\n"
                               "-----END PRIVATE KEY-----\n";

typedef struct
{
  SkTestServer *server;
  guint         port;
} SecondServer;

/* Another server on the suite's database, in its own thread; HTTPS when
 * given a certificate and key. */
static void
second_server_start (SecondServer *second, const char *certificate, const char *key)
{
  SkServerConfig *config = sk_test_server_config (env.hq.path, 0);

  config->tls_certificate = g_strdup (certificate);
  config->tls_key = g_strdup (key);
  second->server = sk_test_server_start (config);
  second->port = sk_test_server_get_port (second->server);
}

static void
second_server_stop (SecondServer *second)
{
  sk_test_server_stop (second->server);
}

static gboolean
accept_test_certificate (SoupMessage         *msg,
                         GTlsCertificate     *certificate,
                         GTlsCertificateFlags errors,
                         gpointer             data)
{
  g_autoptr (GTlsCertificate) expected
      = g_tls_certificate_new_from_pem (test_certificate, -1, NULL);

  return expected != NULL && g_tls_certificate_is_same (certificate, expected);
}

static void
test_tls (void)
{
  SecondServer second = {
    0,
  };
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *cert = g_build_filename (env.hq.dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (env.hq.dir, "key.pem", NULL);
  g_autofree char *https = NULL;
  g_autofree char *http = NULL;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("No TLS backend (glib-networking)");
      return;
    }
  g_assert_true (g_file_set_contents (cert, test_certificate, -1, &error));
  g_assert_true (g_file_set_contents (key, test_key, -1, &error));
  second_server_start (&second, cert, key);

  https = g_strdup_printf ("https://127.0.0.1:%u/api/health", second.port);
  {
    g_autoptr (SoupMessage) msg = soup_message_new ("GET", https);
    g_autoptr (GBytes) body = NULL;

    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_test_certificate), NULL);
    body = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_nonnull (strstr (g_bytes_get_data (body, NULL), "\"ok\""));
  }
  /* Plain HTTP gets no answer from an HTTPS server. */
  http = g_strdup_printf ("http://127.0.0.1:%u/api/health", second.port);
  {
    g_autoptr (SoupMessage) msg = soup_message_new ("GET", http);
    g_autoptr (GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);

    g_assert_nonnull (error);
    g_clear_error (&error);
  }

  second_server_stop (&second);
  g_remove (cert);
  g_remove (key);
}

/* The program itself: admin commands, then a run stopped by SIGTERM. */
static gboolean
run_program (const char *const *argv, const char *input, char **out)
{
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stdout_text = NULL;

  process = g_subprocess_newv (argv,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                               &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &stdout_text, NULL, &error);
  g_assert_no_error (error);
  if (out != NULL)
    *out = g_strdup (g_strstrip (stdout_text));
  return g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0;
}

/* A raw TCP connection to 127.0.0.1:@port, blocking, reads time out. */
static int
raw_connect (guint port)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
  struct timeval     timeout = { .tv_sec = 15 };
  int                fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_cmpint (fd, >=, 0);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

/* Everything the server sends until it closes (or the read times out). */
static char *
raw_read_all (int fd)
{
  GString *text = g_string_new (NULL);
  char     buffer[4096];
  ssize_t  n;

  while ((n = recv (fd, buffer, sizeof buffer, 0)) > 0)
    g_string_append_len (text, buffer, n);
  return g_string_free (text, FALSE);
}

/* What the server on @port answers to @request sent as it is, on a new
 * connection. */
static char *
raw_request_at (guint port, const char *request)
{
  int   fd = raw_connect (port);
  char *answer;

  g_assert_cmpint (send (fd, request, strlen (request), MSG_NOSIGNAL), ==,
                   (gssize)strlen (request));
  answer = raw_read_all (fd);
  close (fd);
  return answer;
}

/* GET /api/health on a new connection: the whole answer. */
static char *
raw_health (guint port)
{
  return raw_request_at (
      port, "GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
}

static void
limit_descriptors (gpointer data)
{
  struct rlimit limit = { 256, 256 };

  setrlimit (RLIMIT_NOFILE, &limit);
}

/* What the suite's server answers to @request sent as it is. */
static char *
raw_request (const char *request)
{
  return raw_request_at (env.hq.port, request);
}

/* Requests libsoup would refuse without a word (a bad escape, not HTTP, a
 * head of 100 KB) and paths that do not decode to UTF-8 get our error JSON,
 * and nothing we send quotes bytes that are not UTF-8. A Transfer-Encoding
 * we do not know libsoup still answers itself (501, empty): that one keeps
 * its status and stops nothing. */
static void
test_bad_paths (void)
{
  g_autofree char *long_path = g_strnfill (100 * 1024, 'a');
  g_autofree char *long_header = g_strnfill (100 * 1024, 'b');
  g_autofree char *long_line
      = g_strdup_printf ("GET /api/%s HTTP/1.1\r\nHost: x\r\n\r\n", long_path);
  g_autofree char *long_head
      = g_strdup_printf ("GET /api/health HTTP/1.1\r\nHost: x\r\nX-Long: %s\r\n\r\n", long_header);
  const struct
  {
    const char *request;
    guint       status;
    const char *code; /* NULL: libsoup's own answer */
  } cases[] = {
    { "GET /api/customers/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400,
      "malformed" },
    { "GET /api/customers/a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400,
      "malformed" },
    { "GET /api/nothing/\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, "malformed" },
    { "GET /api/customers/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400, "malformed" },
    { "NOT HTTP AT ALL\r\n\r\n", 400, "malformed" },
    { long_line, 414, "too_large" },
    { long_head, 431, "too_large" },
    { "GET /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, rot13\r\n\r\n", 501,
      NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *answer = raw_request (cases[i].request);
      g_autofree char *status_line = g_strdup_printf (" %u ", cases[i].status);
      const char      *body = strstr (answer, "\r\n\r\n");
      g_autoptr (JsonNode) node = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *start = g_strndup (cases[i].request, 80);
      g_autofree char *shown = g_strescape (start, NULL);
      JsonObject      *e;

      g_test_message ("%s", shown);
      g_assert_true (g_str_has_prefix (answer, "HTTP/1."));
      g_assert_nonnull (strstr (answer, status_line));
      g_assert_nonnull (body);
      g_assert_true (g_utf8_validate (body, -1, NULL));
      if (cases[i].code == NULL)
        continue;
      node = json_from_string (body + 4, &error);
      g_assert_no_error (error);
      e = json_object_get_object_member (json_node_get_object (node), "error");
      g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, cases[i].code);
      g_assert_nonnull (json_object_get_string_member (e, "message"));
    }
  {
    g_autoptr (Reply) health = call ("GET", "/api/health", -1, NULL);

    assert_status (health, 200);
  }
}

typedef struct
{
  const char *body;
  gint        unauthorized;
  gint        too_many;
} Guesses;

static gpointer
guess_thread (gpointer data)
{
  Guesses *guesses = data;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (Reply) reply
      = call_full (session, "POST", "/api/auth/login", NULL, guesses->body, G_MAXSIZE, NULL);

  if (reply->status == 401)
    g_atomic_int_inc (&guesses->unauthorized);
  else if (reply->status == 429)
    g_atomic_int_inc (&guesses->too_many);
  return NULL;
}

/* Guesses in parallel for one name get no more verifications than the
 * limit: those in flight count. */
static void
test_login_parallel (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id
      = sk_auth_create_user (env.hq.db, "parallel1", "parallel-pass", "marketing", NULL, &error);
  Guesses  guesses = { "{\"username\": \"parallel1\", \"password\": \"guess-guess\"}", 0, 0 };
  GThread *threads[40];

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("guess", guess_thread, &guesses);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_assert_cmpint (guesses.unauthorized + guesses.too_many, ==, G_N_ELEMENTS (threads));
  g_assert_cmpint (guesses.unauthorized, <=, 5);
  g_assert_cmpint (guesses.too_many, >=, G_N_ELEMENTS (threads) - 5);
}

/* Failures of many names from one address (everyone, behind a proxy) hold
 * back new names there, not a name that has logged in from it before. */
static void
test_login_address (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *known
      = sk_auth_create_user (env.hq.db, "regular1", "regular-pass", "marketing", NULL, &error);
  g_autofree char *fresh
      = sk_auth_create_user (env.hq.db, "newcomer1", "newcomer-pass", "marketing", NULL, &error);
  gboolean locked = FALSE;

  g_assert_no_error (error);
  {
    g_autoptr (Reply) reply = call ("POST", "/api/auth/login", -1,
                                    "{\"username\": \"regular1\", \"password\": \"regular-pass\"}");
    assert_status (reply, 200);
  }
  for (guint i = 0; i < 30 && !locked; i++)
    {
      g_autofree char *body
          = g_strdup_printf ("{\"username\": \"ghost%u\", \"password\": \"guess-guess\"}", i);
      g_autoptr (Reply) reply = call ("POST", "/api/auth/login", -1, body);

      locked = reply->status == 429;
      if (!locked)
        assert_error (reply, 401, "unauthorized", NULL);
    }
  g_assert_true (locked);
  {
    g_autoptr (Reply) reply = call ("POST", "/api/auth/login", -1,
                                    "{\"username\": \"regular1\", \"password\": \"regular-pass\"}");
    assert_status (reply, 200);
  }
  {
    g_autoptr (Reply) reply
        = call ("POST", "/api/auth/login", -1,
                "{\"username\": \"newcomer1\", \"password\": \"newcomer-pass\"}");
    assert_error (reply, 429, "too_many_attempts", NULL);
  }
  /* The suite's server trusts 127.0.0.1 as a proxy: the till behind it is
   * another address, with its own count. */
  {
    const char      *body = "{\"username\": \"newcomer1\", \"password\": \"newcomer-pass\"}";
    g_autofree char *request
        = g_strdup_printf ("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           "X-Forwarded-For: 10.1.2.3, 198.51.100.7\r\n"
                           "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen (body), body);
    g_autofree char *answer = raw_request (request);

    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200 "));
  }
}

/* skidka-server's configuration for the program in a new folder (named
 * after @tmp_template, in *dir): loopback, port 0, info logs, a new
 * database (its location in *db) and @server_lines more of [server]; its
 * path. */
static char *
write_server_conf (const char *tmp_template, const char *server_lines, char **dir, char **db)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  char            *conf;

  *dir = g_dir_make_tmp (tmp_template, &error);
  g_assert_no_error (error);
  *db = sk_test_database_location (*dir, "hq.db");
  conf = g_build_filename (*dir, "hq.conf", NULL);
  text = g_strdup_printf ("[server]\naddress=127.0.0.1\nport=0\n%s[database]\npath=%s\n"
                          "[log]\nlevel=info\n",
                          server_lines, *db);
  g_assert_true (g_file_set_contents (conf, text, -1, &error));
  g_assert_no_error (error);
  return conf;
}

/* A server started as a program under a descriptor limit: idle connections
 * beyond what it can hold get a JSON 503 instead of silence, it serves again
 * once they are gone, and a head that never ends is cut off. */
static void
test_connection_limits (void)
{
  const char *program = g_getenv ("SKIDKA_SERVER");
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *db = NULL;
  g_autoptr (GArray) idle = g_array_new (FALSE, FALSE, sizeof (int));
  struct rlimit own;
  guint         port = 0, refused = 0, held = 0;

  if (program == NULL)
    {
      g_test_skip ("SKIDKA_SERVER is not set");
      return;
    }
  /* This process holds every connection's other end. */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &own), ==, 0);
  if (own.rlim_cur < 1024 && own.rlim_max >= 1024)
    {
      own.rlim_cur = 1024;
      setrlimit (RLIMIT_NOFILE, &own);
    }
  conf = write_server_conf ("skidka-server-limits-XXXXXX", "workers=2\nheader-timeout=3\n", &dir,
                            &db);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, limit_descriptors, NULL, NULL);
  server = g_subprocess_launcher_spawn (launcher, &error, program, "--config", conf, NULL);
  g_assert_no_error (error);
  port = sk_test_server_log_port (server);
  g_assert_cmpuint (port, >, 0);

  /* 300 idle connections against 256 descriptors, the database's included. */
  for (guint i = 0; i < 300; i++)
    {
      int fd = raw_connect (port);

      g_array_append_val (idle, fd);
    }
  /* Those over the cap are answered at once and closed; the held ones stay
   * open for header-timeout (3 s). */
  g_usleep (G_USEC_PER_SEC / 2);
  for (guint i = 0; i < idle->len; i++)
    {
      int     fd = g_array_index (idle, int, i);
      char    peek[64];
      ssize_t n = recv (fd, peek, sizeof peek - 1, MSG_DONTWAIT);

      if (n <= 0)
        {
          held++;
          continue;
        }
      peek[n] = '\0';
      g_assert_true (g_str_has_prefix (peek, "HTTP/1.1 503"));
      refused++;
    }
  g_assert_cmpuint (held, >, 100);
  g_assert_cmpuint (refused, >, 0);
  {
    g_autofree char *busy = raw_health (port);
    const char      *body = strstr (busy, "\r\n\r\n");
    g_autoptr (JsonNode) node = NULL;

    g_assert_true (g_str_has_prefix (busy, "HTTP/1.1 503"));
    g_assert_nonnull (body);
    node = json_from_string (body + 4, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (
        json_object_get_string_member (
            json_object_get_object_member (json_node_get_object (node), "error"), "code"),
        ==, "unavailable");
  }
  for (guint i = 0; i < idle->len; i++)
    close (g_array_index (idle, int, i));

  /* Serving again once they are gone. */
  {
    g_autofree char *answer = NULL;

    for (guint tries = 0; tries < 50; tries++)
      {
        g_clear_pointer (&answer, g_free);
        answer = raw_health (port);
        if (g_str_has_prefix (answer, "HTTP/1.1 200"))
          break;
        g_usleep (100 * 1000);
      }
    g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 200"));
  }

  /* A head that never ends is closed after header-timeout (3 s), silent
   * connections too. */
  {
    const char      *half = "GET /api/health HTTP/1.1\r\nHost: localhost\r\n";
    int              slow = raw_connect (port);
    int              silent = raw_connect (port);
    gint64           started = g_get_monotonic_time ();
    g_autofree char *rest = NULL;
    g_autofree char *nothing = NULL;

    g_assert_cmpint (send (slow, half, strlen (half), MSG_NOSIGNAL), ==, (gssize)strlen (half));
    rest = raw_read_all (slow);
    nothing = raw_read_all (silent);
    /* Closed by the server (not our 15 s read timeout). */
    g_assert_cmpint (g_get_monotonic_time () - started, <, 10 * G_USEC_PER_SEC);
    g_assert_cmpstr (nothing, ==, "");
    close (slow);
    close (silent);
  }

  g_subprocess_send_signal (server, SIGTERM);
  g_assert_true (g_subprocess_wait (server, NULL, &error));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
  sk_test_remove_dir (dir);
}

static void
test_program (void)
{
  const char      *program = g_getenv ("SKIDKA_SERVER");
  g_autofree char *dir = NULL;
  g_autofree char *db = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *store = NULL;
  g_autofree char *user = NULL;
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) check = NULL;

  if (program == NULL)
    {
      g_test_skip ("SKIDKA_SERVER is not set");
      return;
    }
  conf = write_server_conf ("skidka-server-program-XXXXXX", "", &dir, &db);

  {
    const char *argv[] = { program, "--config", conf, "admin", "migrate", NULL };
    g_assert_true (run_program (argv, NULL, NULL));
  }
  {
    const char *argv[]
        = { program,  "--config", conf,       "admin",      "create-store",  "--code",
            "MSK-01", "--name",   "Moscow 1", "--timezone", "Europe/Moscow", NULL };
    g_assert_true (run_program (argv, NULL, &store));
    g_assert_true (g_uuid_string_is_valid (store));
  }
  {
    /* The password from stdin (no terminal): as a script would give it. */
    const char *argv[] = { program,      "--config", conf,     "admin", "create-user",
                           "--username", "boss",     "--role", "admin", NULL };
    g_assert_true (run_program (argv, "first-admin-pass\n", &user));
    g_assert_true (g_uuid_string_is_valid (user));
  }
  {
    const char *argv[] = { program,      "--config", conf,     "admin",   "create-user",
                           "--username", "till",     "--role", "cashier", NULL };
    g_assert_false (run_program (argv, "till-pass-long\n", NULL)); /* a cashier needs a store */
  }
  check = sk_database_open (db, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      sk_db_query_int (check, NULL, 0,
                       "SELECT count(*) FROM users WHERE username = 'boss' AND role = 'admin'",
                       NULL),
      ==, 1);
  g_clear_object (&check);

  /* Runs, answers, and stops cleanly on SIGTERM. */
  {
    const char *argv[] = { program, "--config", conf, NULL };
    server = g_subprocess_newv (
        argv, G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpuint (sk_test_server_log_port (server), >, 0);
  g_subprocess_send_signal (server, SIGTERM);
  g_assert_true (g_subprocess_wait (server, NULL, &error));
  g_assert_true (g_subprocess_get_if_exited (server));
  g_assert_cmpint (g_subprocess_get_exit_status (server), ==, 0);
  sk_test_remove_dir (dir);
}

/* Setup */

static char *
login (const char *username, const char *password)
{
  g_autofree char *body
      = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\"}", username, password);
  g_autoptr (Reply) reply = call ("POST", "/api/auth/login", -1, body);

  assert_status (reply, 200);
  return g_strdup (str (reply, "token"));
}

/* The status of GET /api/auth/me with @token on @port once it is @status,
 * or after 5 s: a server learns of another's change through the database. */
static guint
me_status_within (guint port, const char *token, guint status)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint  last;

  for (;;)
    {
      g_autoptr (Reply) me
          = sk_test_request (env.session, port, "GET", "/api/auth/me", token, NULL, NULL, 0, NULL);

      last = me->status;
      if (last == status || g_get_monotonic_time () > deadline)
        return last;
      g_usleep (20 * 1000);
    }
}

/* The listeners of the servers on PostgreSQL, as "pid,pid". */
static char *
listener_pids (void)
{
  g_autoptr (GError) error = NULL;
  SkStmt *stmt = sk_db_query (
      env.hq.db, &error,
      "SELECT string_agg (CAST (pid AS TEXT), ',' ORDER BY pid) FROM pg_stat_activity"
      " WHERE application_name = 'skidka-server listener' AND datname = current_database ()",
      NULL);
  gboolean has_row = FALSE;
  char    *pids;

  g_assert_no_error (error);
  g_assert_true (sk_db_step (env.hq.db, stmt, &has_row, &error));
  pids = g_strdup (sk_stmt_text (stmt, 0));
  sk_stmt_reset (stmt);
  return pids;
}

/* Are there as many listeners @after as @before, none of them the same? */
static gboolean
new_listeners (const char *before, const char *after)
{
  g_auto (GStrv) old = g_strsplit (before, ",", -1);
  g_auto (GStrv) now = after ? g_strsplit (after, ",", -1) : g_new0 (char *, 1);

  for (guint i = 0; now[i] != NULL; i++)
    if (g_strv_contains ((const char *const *)old, now[i]))
      return FALSE;
  return g_strv_length (now) == g_strv_length (old);
}

/* Calculates @cart on the server on @port, and checks the discount and,
 * when given, the code under which @rule_id is rejected. */
static void
assert_calculated_at (
    guint port, const char *cart, gint64 discount, const char *rule_id, const char *code)
{
  g_autofree char *body = g_strdup_printf ("{%s}", cart);
  g_autoptr (Reply) reply
      = sk_test_request (env.session, port, "POST", "/api/discounts/calculate", env.token[ADMIN],
                         "application/json", body, G_MAXSIZE, NULL);

  assert_status (reply, 200);
  g_assert_cmpint (num (reply, "discount_total"), ==, discount);
  if (rule_id != NULL)
    g_assert_cmpstr (rejected_member (reply, rule_id, "code"), ==, code);
}

/* Sells @cart on the suite's server. */
static void
sell (const char *cart, gint64 discount)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", %s}", id, cart);
  g_autoptr (Reply) sale = call ("POST", "/api/pos/process-purchase", ADMIN, body);

  assert_status (sale, 201);
  g_assert_cmpint (json_object_get_int_member (
                       json_object_get_object_member (obj (sale), "purchase"), "discount_total"),
                   ==, discount);
}

/* A server keeps the live rules, their counts and the store ids between
 * calculations; what a sale or an edit on another server changed is seen at
 * the next one all the same: a usage limit reached, a campaign budget spent,
 * a new store. */
static void
test_calculate_everywhere (void)
{
  SecondServer second = {
    0,
  };
  g_autofree char *store = new_store (NULL);
  g_autofree char *limited
      = new_rule (store, ", \"type\": \"fixed_amount\", \"value\": 1000, \"usage_limit_total\": 1");
  g_autofree char *campaign = NULL;
  g_autofree char *budgeted = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *small = cart_json (store, NULL, 10000, 1);
  g_autofree char *big = cart_json (store, NULL, 10000, 2);
  g_autofree char *new_store_id = NULL;
  g_autofree char *there = NULL;
  g_autoptr (Reply) created = NULL;

  created = call ("POST", "/api/campaigns", MARKETING,
                  "{\"name\": \"Small budget\", \"status\": \"active\", \"budget\": 500}");
  assert_status (created, 201);
  campaign = g_strdup (str (created, "id"));
  extra = g_strdup_printf (", \"type\": \"fixed_amount\", \"value\": 500, \"min_purchase\": 20000,"
                           " \"campaign_id\": \"%s\"",
                           campaign);
  budgeted = new_rule (store, extra);
  second_server_start (&second, NULL, NULL);

  /* The usage limit, reached by a sale of the small cart on the first server. */
  assert_calculated_at (second.port, small, 1000, NULL, NULL);
  sell (small, 1000);
  assert_calculated_at (second.port, small, 0, limited, "usage_limit_total");

  /* The budget, spent by a sale of the big cart there. */
  assert_calculated_at (second.port, big, 500, limited, "usage_limit_total");
  sell (big, 500);
  assert_calculated_at (second.port, big, 0, budgeted, "campaign_budget_spent");

  /* A store opened there. */
  new_store_id = new_store (NULL);
  there = cart_json (new_store_id, NULL, 10000, 1);
  assert_calculated_at (second.port, there, 0, NULL, NULL);
  second_server_stop (&second);
}

/* A token revoked through one server, or by an operator in SQL, and the
 * tokens of an account disabled, are refused by every server on the same
 * database, even one that has just accepted them (PostgreSQL servers keep
 * the tokens they checked until the database tells them of a change). */
static void
test_revoked_everywhere (void)
{
  SecondServer second = {
    0,
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *user
      = sk_auth_create_user (env.hq.db, "till9", "till9-pass", "cashier", env.store1, &error);
  g_autofree char *put = g_strdup_printf ("/api/users/%s", user);
  g_autofree char *token = NULL;
  g_autofree char *hash = NULL;
  g_autoptr (Reply) logout = NULL;
  g_autoptr (Reply) disable = NULL;
  g_autoptr (Reply) enable = NULL;
  gboolean postgres = g_str_equal (sk_database_get_backend_name (env.hq.db), "postgresql");

  g_assert_no_error (error);
  second_server_start (&second, NULL, NULL);

  /* Logged out on the first server. */
  token = login ("till9", "till9-pass");
  g_assert_cmpuint (me_status_within (second.port, token, 200), ==, 200);
  g_assert_cmpuint (me_status_within (second.port, token, 200), ==, 200);
  logout = call_full (env.session, "POST", "/api/auth/logout", token, NULL, 0, NULL);
  assert_status (logout, 204);
  g_assert_cmpuint (me_status_within (env.hq.port, token, 401), ==, 401);
  g_assert_cmpuint (me_status_within (second.port, token, 401), ==, 401);

  /* Revoked by an operator, behind every server's back. */
  g_clear_pointer (&token, g_free);
  token = login ("till9", "till9-pass");
  g_assert_cmpuint (me_status_within (second.port, token, 200), ==, 200);
  g_assert_cmpuint (me_status_within (env.hq.port, token, 200), ==, 200);
  hash = sk_auth_token_hash (token);
  g_assert_true (sk_db_exec (env.hq.db, &error,
                             "UPDATE tokens SET revoked = 1 WHERE token_hash = ?", "s", hash));
  g_assert_cmpuint (me_status_within (second.port, token, 401), ==, 401);
  g_assert_cmpuint (me_status_within (env.hq.port, token, 401), ==, 401);

  /* The account disabled through the first server. */
  g_clear_pointer (&token, g_free);
  token = login ("till9", "till9-pass");
  g_assert_cmpuint (me_status_within (second.port, token, 200), ==, 200);
  disable = call ("PUT", put, ADMIN, "{\"disabled\": true}");
  assert_status (disable, 204);
  g_assert_cmpuint (me_status_within (env.hq.port, token, 401), ==, 401);
  g_assert_cmpuint (me_status_within (second.port, token, 401), ==, 401);
  enable = call ("PUT", put, ADMIN, "{\"disabled\": false}");
  assert_status (enable, 204);

  /* The connection that listens is lost: what changes meanwhile still counts. */
  if (postgres)
    {
      g_autofree char *before = listener_pids ();
      g_autofree char *after = NULL;
      gint64           deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

      g_assert_nonnull (before);
      g_clear_pointer (&token, g_free);
      token = login ("till9", "till9-pass");
      g_assert_cmpuint (me_status_within (second.port, token, 200), ==, 200);
      g_assert_true (sk_db_exec (env.hq.db, &error,
                                 "SELECT pg_terminate_backend (pid) FROM pg_stat_activity"
                                 " WHERE application_name = 'skidka-server listener'"
                                 " AND datname = current_database ()",
                                 NULL));
      g_clear_pointer (&hash, g_free);
      hash = sk_auth_token_hash (token);
      g_assert_true (sk_db_exec (env.hq.db, &error,
                                 "UPDATE tokens SET revoked = 1 WHERE token_hash = ?", "s", hash));
      g_assert_cmpuint (me_status_within (second.port, token, 401), ==, 401);

      /* Both servers listen again, on new connections. */
      while (!new_listeners (before, after) && g_get_monotonic_time () < deadline)
        {
          g_free (after);
          g_usleep (50 * 1000);
          after = listener_pids ();
        }
      g_assert_true (new_listeners (before, after));
      g_clear_pointer (&token, g_free);
      token = login ("till9", "till9-pass");
      g_assert_cmpuint (me_status_within (second.port, token, 200), ==, 200);
      g_clear_pointer (&hash, g_free);
      hash = sk_auth_token_hash (token);
      g_assert_true (sk_db_exec (env.hq.db, &error,
                                 "UPDATE tokens SET revoked = 1 WHERE token_hash = ?", "s", hash));
      g_assert_cmpuint (me_status_within (second.port, token, 401), ==, 401);
    }
  g_assert_no_error (error);
  second_server_stop (&second);
}

/* The authorisation policy (SPEC 5; README, "Who may do what"): every route
 * of the table, as every role and without a token, on the things of the
 * caller's own store and on those of another store. */

/* What a case acts on: store one's things (the manager's and the cashier's
 * own) or store two's (another store's). */
typedef struct
{
  const char *store;      /* {s} */
  char       *customer;   /* {c}: {s} is its home store */
  char       *visitor;    /* {v}: another; store one's tills sell to it */
  char       *purchase;   /* {p}: a sale at {s} to {c}, made with POLICY_SALE */
  char       *refundable; /* {q}: another, refunded a unit at a time */
  char       *rule;       /* {r}: of {s}, not active */
  char       *campaign;   /* {k}: of {s} */
  char       *user;       /* {u}: a cashier of {s} */
  char       *review;     /* {i}: a review item of a till of {s} (a rejected event) */
} PolicyScene;

#define POLICY_ITEMS                                                                               \
  "\"items\": [{\"sku\": \"bear\", \"name\": \"Teddy bear\", \"category\": \"toys\","              \
  " \"unit_price\": 10000, \"quantity\": 10}]"
/* A sale as the scene makes it: a replay of {p} with this body is the same request. */
#define POLICY_SALE                                                                                \
  "{\"id\": \"{p}\", \"store_id\": \"{s}\", \"customer_id\": \"{c}\", " POLICY_ITEMS "}"

static guint policy_serial = 3000000;

/* @template with the scene's things in place of {s} {c} {v} {p} {q} {r} {k}
 * {u} {i}; {S} is store one (the till of the manager and cashier), {n} a new
 * serial, {uuid} a new UUID. */
static char *
policy_expand (const char *template, const PolicyScene *scene)
{
  GString         *text = g_string_new (template);
  g_autofree char *serial = g_strdup_printf ("%07u", ++policy_serial);
  g_autofree char *uuid = g_uuid_string_random ();

  g_string_replace (text, "{s}", scene->store, 0);
  g_string_replace (text, "{S}", env.store1, 0);
  g_string_replace (text, "{c}", scene->customer, 0);
  g_string_replace (text, "{v}", scene->visitor, 0);
  g_string_replace (text, "{p}", scene->purchase, 0);
  g_string_replace (text, "{q}", scene->refundable, 0);
  g_string_replace (text, "{r}", scene->rule, 0);
  g_string_replace (text, "{k}", scene->campaign, 0);
  g_string_replace (text, "{u}", scene->user, 0);
  g_string_replace (text, "{i}", scene->review, 0);
  g_string_replace (text, "{n}", serial, 0);
  g_string_replace (text, "{uuid}", uuid, 0);
  return g_string_free (text, FALSE);
}

/* A review item of a new till of @store: the rejection of an event it pushed. */
static char *
policy_review_item (const char *store)
{
  g_autofree char *device = g_uuid_string_random ();
  g_autofree char *event = g_uuid_string_random ();
  g_autofree char *body = g_strdup_printf (
      "{\"device_id\": \"%s\", \"store_id\": \"%s\", \"events\": [{\"seq\": 1, \"id\": \"%s\","
      " \"kind\": \"rocket.launch\", \"payload\": {}}]}",
      device, store, event);
  g_autoptr (Reply) reply = call ("POST", "/api/sync/push", ADMIN, body);
  SkStmt  *stmt = NULL;
  gboolean has_row = FALSE;
  char    *id;

  assert_status (reply, 200);
  stmt
      = sk_db_query (env.hq.db, NULL, "SELECT id FROM sync_reviews WHERE event_id = ?", "s", event);
  g_assert_nonnull (stmt);
  g_assert_true (sk_db_step (env.hq.db, stmt, &has_row, NULL) && has_row);
  id = g_strdup (sk_stmt_text (stmt, 0));
  sk_stmt_reset (stmt);
  return id;
}

static void
policy_scene_init (PolicyScene *scene, const char *store)
{
  g_autofree char *campaign
      = g_strdup_printf ("{\"name\": \"Policy\", \"store_ids\": [\"%s\"]}", store);
  g_autofree char *user = NULL;
  g_autofree char *product = NULL;
  g_autoptr (Reply) reply = NULL;

  scene->store = store;
  scene->customer = new_customer (store);
  scene->visitor = new_customer (store);
  scene->purchase = g_uuid_string_random ();
  scene->refundable = g_uuid_string_random ();
  scene->rule = new_rule (store, ", \"is_active\": false");
  scene->user = NULL;
  scene->campaign = NULL;
  scene->review = policy_review_item (store);
  reply = call ("POST", "/api/campaigns", MARKETING, campaign);
  assert_status (reply, 201);
  scene->campaign = g_strdup (str (reply, "id"));
  /* The product the cases read, edit and delete: policy-{s}. */
  product
      = g_strdup_printf ("{\"sku\": \"policy-%s\", \"name\": \"Policy\", \"price\": 100}", store);
  call_expect (&reply, "POST", "/api/products", ADMIN, product, 201);
  user = g_strdup_printf ("{\"username\": \"policy-%.8s\", \"password\": \"policy-pass\","
                          " \"role\": \"cashier\", \"store_id\": \"%s\"}",
                          scene->purchase, store);
  call_expect (&reply, "POST", "/api/users", ADMIN, user, 201);
  scene->user = g_strdup (str (reply, "id"));
  /* Enough to spend by hand, and the two sales. */
  give_bonus (scene->customer, 100000, "policy");
  for (guint i = 0; i < 2; i++)
    {
      PolicyScene      as = *scene;
      g_autofree char *body = NULL;

      as.purchase = i == 0 ? scene->purchase : scene->refundable;
      body = policy_expand (POLICY_SALE, &as);
      call_expect (&reply, "POST", "/api/pos/process-purchase", ADMIN, body, 201);
    }
}

static void
policy_scene_clear (PolicyScene *scene)
{
  g_free (scene->customer);
  g_free (scene->visitor);
  g_free (scene->purchase);
  g_free (scene->refundable);
  g_free (scene->rule);
  g_free (scene->campaign);
  g_free (scene->user);
  g_free (scene->review);
}

/* The answers, in the order admin, marketing, manager, cashier, no token:
 * a status, or a status and the error's code ("409:idempotency_mismatch");
 * 401, 403 and 404 mean their usual codes. Managers and cashiers are of
 * store one, so "own" is store one's things and "other" store two's. */
typedef struct
{
  const char *method;
  const char *pattern; /* the route's, as in the table */
  const char *path;
  const char *body;
  const char *own;
  const char *other;
  gboolean    new_token; /* each call with a token of its own (logout) */
} PolicyCase;

#define EVERYONE "200 200 200 200 200"
#define ANY_ROLE "200 200 200 200 401"

static const PolicyCase policy_cases[] = {
  /* Public */
  { "GET", "/api/health", "/api/health", NULL, EVERYONE, EVERYONE },
  { "GET", "/api/openapi.json", "/api/openapi.json", NULL, EVERYONE, EVERYONE },
  { "POST", "/api/auth/login", "/api/auth/login",
    "{\"username\": \"cashier1\", \"password\": \"cashier-pass\"}", EVERYONE, EVERYONE },
  { "POST", "/api/auth/logout", "/api/auth/logout", NULL, "204 204 204 204 401",
    "204 204 204 204 401", TRUE },
  { "GET", "/api/auth/me", "/api/auth/me", NULL, ANY_ROLE, ANY_ROLE },
  /* A bad link is refused alike for everyone (test-delivery follows good ones). */
  { "GET", "/api/unsubscribe", "/api/unsubscribe?token=bad.link", NULL, "422 422 422 422 422",
    "422 422 422 422 422" },
  { "POST", "/api/unsubscribe", "/api/unsubscribe?token=bad.link", NULL, "422 422 422 422 422",
    "422 422 422 422 422" },
  /* Notifications' templates and announcements are HQ marketing's. */
  { "GET", "/api/notification-templates", "/api/notification-templates", NULL,
    "200 200 403 403 401", "200 200 403 403 401" },
  { "PUT", "/api/notification-templates/*/*", "/api/notification-templates/campaign/en",
    "{\"subject\": \"{campaign}\", \"body\": \"{name}, see {campaign}\"}", "200 200 403 403 401",
    "200 200 403 403 401" },
  { "POST", "/api/notification-templates/preview", "/api/notification-templates/preview",
    "{\"event\": \"birthday\", \"language\": \"ru\"}", "200 200 403 403 401",
    "200 200 403 403 401" },
  { "GET", "/api/campaigns/*/announcement", "/api/campaigns/{k}/announcement", NULL,
    "200 200 403 403 401", "200 200 403 403 401" },
  /* The scene's campaign is a draft: HQ gets past the policy to 422. */
  { "POST", "/api/campaigns/*/announce", "/api/campaigns/{k}/announce", NULL, "422 422 403 403 401",
    "422 422 403 403 401" },

  /* Customers are members of the chain: every till finds and reads them. */
  { "GET", "/api/customers", "/api/customers?q=Test", NULL, ANY_ROLE, ANY_ROLE },
  { "POST", "/api/customers", "/api/customers",
    "{\"full_name\": \"Policy {n}\", \"card_number\": \"88{n}\", \"phone\": \"+7902{n}\", "
    "\"home_store_id\": \"{s}\"}",
    "201 403 201 201 401", "201 403 403 403 401" },
  { "GET", "/api/customers/*", "/api/customers/{c}", NULL, ANY_ROLE, ANY_ROLE },
  { "PUT", "/api/customers/*", "/api/customers/{c}", "{\"email\": \"policy{n}@example.org\"}",
    "200 403 200 403 401", "200 403 403 403 401" },
  { "GET", "/api/customers/*/purchases", "/api/customers/{c}/purchases", NULL,
    "200 200 200 403 401", "200 200 403 403 401" },
  { "GET", "/api/customers/*/segments", "/api/customers/{c}/segments", NULL, "200 200 200 403 401",
    "200 200 403 403 401" },

  { "GET", "/api/bonuses/*/balance", "/api/bonuses/{c}/balance", NULL, ANY_ROLE, ANY_ROLE },
  { "POST", "/api/bonuses/*/earn", "/api/bonuses/{c}/earn",
    "{\"amount\": 100, \"reason\": \"policy\"}", "201 403 201 403 401", "201 403 403 403 401" },
  { "POST", "/api/bonuses/*/spend", "/api/bonuses/{c}/spend",
    "{\"amount\": 100, \"reason\": \"policy\"}", "201 403 201 403 401", "201 403 403 403 401" },
  { "POST", "/api/bonuses/*/adjust", "/api/bonuses/{c}/adjust",
    "{\"amount\": -100, \"reason\": \"policy\"}", "201 403 201 403 401", "201 403 403 403 401" },
  { "GET", "/api/bonuses/*/transactions", "/api/bonuses/{c}/transactions", NULL,
    "200 200 200 403 401", "200 200 403 403 401" },

  /* Rules are HQ's; every till reads them. */
  { "GET", "/api/discounts/rules", "/api/discounts/rules", NULL, ANY_ROLE, ANY_ROLE },
  { "POST", "/api/discounts/rules", "/api/discounts/rules",
    "{\"name\": \"Policy {n}\", \"type\": \"percentage\", \"value\": 100, \"store_ids\": "
    "[\"{s}\"], \"is_active\": false}",
    "201 201 403 403 401", "201 201 403 403 401" },
  { "GET", "/api/discounts/rules/*", "/api/discounts/rules/{r}", NULL, ANY_ROLE, ANY_ROLE },
  { "PUT", "/api/discounts/rules/*", "/api/discounts/rules/{r}",
    "{\"description\": \"policy {n}\"}", "200 200 403 403 401", "200 200 403 403 401" },

  /* A till prices and sells at its own store, to any customer of the chain. */
  { "POST", "/api/discounts/calculate", "/api/discounts/calculate",
    "{\"store_id\": \"{S}\", \"customer_id\": \"{c}\", " POLICY_ITEMS "}", ANY_ROLE, ANY_ROLE },
  { "POST", "/api/discounts/calculate", "/api/discounts/calculate",
    "{\"store_id\": \"{s}\", \"customer_id\": \"{c}\", " POLICY_ITEMS "}", ANY_ROLE,
    "200 200 403 403 401" },
  { "POST", "/api/pos/process-purchase", "/api/pos/process-purchase",
    "{\"id\": \"{uuid}\", \"store_id\": \"{S}\", \"customer_id\": \"{v}\", " POLICY_ITEMS "}",
    "201 403 201 201 401", "201 403 201 201 401" },
  { "POST", "/api/pos/process-purchase", "/api/pos/process-purchase",
    "{\"id\": \"{uuid}\", \"store_id\": \"{s}\", \"customer_id\": \"{c}\", " POLICY_ITEMS "}",
    "201 403 201 201 401", "201 403 403 403 401" },
  /* Replays: the first result, to a caller who may see that sale and for
   * the same request only. */
  { "POST", "/api/pos/process-purchase", "/api/pos/process-purchase", POLICY_SALE,
    "200 403 200 200 401", "200 403 403 403 401" },
  { "POST", "/api/pos/process-purchase", "/api/pos/process-purchase",
    "{\"id\": \"{p}\", \"store_id\": \"{S}\", \"customer_id\": \"{c}\", \"items\": [{\"sku\": "
    "\"bear\","
    " \"name\": \"Teddy bear\", \"category\": \"toys\", \"unit_price\": 10000, \"quantity\": 9}]}",
    "409:idempotency_mismatch 403 409:idempotency_mismatch 409:idempotency_mismatch 401",
    "409:idempotency_mismatch 403 403 403 401" },
  { "GET", "/api/pos/customer/*/available-discounts",
    "/api/pos/customer/{c}/available-discounts?store_id={S}", NULL, ANY_ROLE, ANY_ROLE },
  { "GET", "/api/pos/customer/*/available-discounts",
    "/api/pos/customer/{c}/available-discounts?store_id={s}", NULL, ANY_ROLE,
    "200 200 403 403 401" },
  { "POST", "/api/pos/refund", "/api/pos/refund",
    "{\"id\": \"{uuid}\", \"purchase_id\": \"{q}\", \"lines\": [{\"line_no\": 1, \"quantity\": "
    "1}]}",
    "200 403 200 403 401", "200 403 403 403 401" },
  { "GET", "/api/pos/purchases/*", "/api/pos/purchases/{p}", NULL, ANY_ROLE,
    "200 200 403 403 401" },
  /* A till finds a sale of its store by its receipt; HQ any store's. */
  { "GET", "/api/pos/purchases", "/api/pos/purchases?receipt=0&store_id={S}", NULL, ANY_ROLE,
    ANY_ROLE },
  { "GET", "/api/pos/purchases", "/api/pos/purchases?store_id={s}", NULL, ANY_ROLE,
    "200 200 403 403 401" },
  /* A till keeps its store's sales; HQ's accounts have no store of their
   * own and name one. */
  { "GET", "/api/pos/purchases",
    "/api/pos/purchases?updated_since=2026-01-01T00:00:00Z&store_id={s}", NULL, ANY_ROLE,
    "200 200 403 403 401" },
  { "GET", "/api/pos/purchases", "/api/pos/purchases?updated_since=2026-01-01T00:00:00Z", NULL,
    "422:invalid_value 422:invalid_value 200 200 401",
    "422:invalid_value 422:invalid_value 200 200 401" },

  { "GET", "/api/analytics/summary", "/api/analytics/summary?store_id={s}", NULL,
    "200 200 200 403 401", "200 200 403 403 401" },
  { "POST", "/api/analytics", "/api/analytics", "{\"store_ids\": [\"{s}\"]}", "200 200 200 403 401",
    "200 200 403 403 401" },
  { "POST", "/api/analytics/segments/update", "/api/analytics/segments/update", NULL,
    "200 200 403 403 401", "200 200 403 403 401" },

  { "GET", "/api/stores", "/api/stores", NULL, ANY_ROLE, ANY_ROLE },
  { "POST", "/api/stores", "/api/stores", "{\"code\": \"P{n}\", \"name\": \"Policy {n}\"}",
    "201 403 403 403 401", "201 403 403 403 401" },
  { "GET", "/api/stores/*", "/api/stores/{s}", NULL, ANY_ROLE, ANY_ROLE },
  { "PUT", "/api/stores/*", "/api/stores/{s}", "{\"address\": \"Policy street {n}\"}",
    "200 403 403 403 401", "200 403 403 403 401" },

  { "GET", "/api/campaigns", "/api/campaigns", NULL, ANY_ROLE, ANY_ROLE },
  { "POST", "/api/campaigns", "/api/campaigns",
    "{\"name\": \"Policy {n}\", \"store_ids\": [\"{s}\"]}", "201 201 403 403 401",
    "201 201 403 403 401" },
  { "GET", "/api/campaigns/*", "/api/campaigns/{k}", NULL, ANY_ROLE, ANY_ROLE },
  { "PUT", "/api/campaigns/*", "/api/campaigns/{k}", "{\"description\": \"policy {n}\"}",
    "200 200 403 403 401", "200 200 403 403 401" },
  { "GET", "/api/campaigns/*/figures", "/api/campaigns/{k}/figures", NULL, "200 200 200 403 401",
    "200 200 200 403 401" },
  { "GET", "/api/campaigns/*/figures", "/api/campaigns/{k}/figures?store_id={s}", NULL,
    "200 200 200 403 401", "200 200 403 403 401" },

  /* Products are HQ's price list: an admin keeps it, every till reads it. */
  { "GET", "/api/products", "/api/products?q=policy", NULL, ANY_ROLE, ANY_ROLE },
  { "POST", "/api/products", "/api/products",
    "{\"sku\": \"policy-{n}\", \"name\": \"Policy {n}\", \"price\": 100}", "201 403 403 403 401",
    "201 403 403 403 401" },
  { "POST", "/api/products/import", "/api/products/import",
    "sku,name,price\npolicy-{n},Policy {n},1.50\n", "200 403 403 403 401", "200 403 403 403 401" },
  { "GET", "/api/products/*", "/api/products/policy-{s}", NULL, ANY_ROLE, ANY_ROLE },
  { "PUT", "/api/products/*", "/api/products/policy-{s}", "{\"name\": \"Policy {n}\"}",
    "200 403 403 403 401", "200 403 403 403 401" },
  { "DELETE", "/api/products/*", "/api/products/policy-{s}", NULL, "204 403 403 403 401",
    "204 403 403 403 401" },

  { "GET", "/api/users", "/api/users", NULL, "200 403 403 403 401", "200 403 403 403 401" },
  { "POST", "/api/users", "/api/users",
    "{\"username\": \"policy{n}\", \"password\": \"policy-pass\", \"role\": \"cashier\", "
    "\"store_id\": \"{s}\"}",
    "201 403 403 403 401", "201 403 403 403 401" },
  { "PUT", "/api/users/*", "/api/users/{u}", "{\"disabled\": false}", "204 403 403 403 401",
    "204 403 403 403 401" },

  { "GET", "/api/notifications", "/api/notifications?customer_id={c}", NULL, "200 200 200 403 401",
    "200 200 403 403 401" },
  { "GET", "/api/notifications", "/api/notifications", NULL, "200 200 200 403 401",
    "200 200 200 403 401" },

  /* A till pushes from a device of its own store; an admin names the store. */
  { "POST", "/api/sync/push", "/api/sync/push",
    "{\"device_id\": \"{uuid}\", \"app_version\": \"policy\", \"store_id\": \"{s}\", "
    "\"events\": []}",
    "200 403 200 200 401", "200 403 403 403 401" },

  /* Every till pulls the whole chain's changes, and so does HQ's desk. */
  { "GET", "/api/sync/pull", "/api/sync/pull?limit=1", NULL, "200 200 200 200 401",
    "200 200 200 200 401" },

  /* HQ looks at what tills pushed; a manager at its own store's. */
  { "GET", "/api/sync/review", "/api/sync/review", NULL, "200 403 200 403 401",
    "200 403 200 403 401" },
  { "POST", "/api/sync/review/*/resolve", "/api/sync/review/{i}/resolve", NULL,
    "200 403 200 403 401", "200 403 403 403 401" },
  { "GET", "/api/sync/devices", "/api/sync/devices", NULL, "200 403 403 403 401",
    "200 403 403 403 401" },
};

static const char *
policy_error_code (guint status)
{
  switch (status)
    {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 409:
      return "conflict";
    default:
      return NULL;
    }
}

static void
test_policy (void)
{
  static const struct
  {
    const char *name, *password;
  } accounts[] = {
    { "admin", "admin-pass" },
    { "marketing1", "marketing-pass" },
    { "manager1", "manager-pass" },
    { "cashier1", "cashier-pass" },
  };
  char          *tokens[G_N_ELEMENTS (accounts)];
  PolicyScene    scenes[2];
  const SkRoute *routes;
  guint          n_routes, i, j;

  /* Every route has its cases, and every case its route. */
  routes = sk_server_routes (&n_routes);
  for (i = 0; i < n_routes; i++)
    {
      gboolean found = FALSE;

      for (j = 0; j < G_N_ELEMENTS (policy_cases) && !found; j++)
        found = g_str_equal (policy_cases[j].method, routes[i].method)
                && g_str_equal (policy_cases[j].pattern, routes[i].pattern);
      if (!found)
        g_error ("%s %s has no case in the policy test", routes[i].method, routes[i].pattern);
      /* And its rule written down, for the OpenAPI description. */
      if (routes[i].policy == NULL || strlen (routes[i].policy) < 20)
        g_error ("%s %s has no policy text", routes[i].method, routes[i].pattern);
    }
  for (j = 0; j < G_N_ELEMENTS (policy_cases); j++)
    {
      gboolean found = FALSE;

      for (i = 0; i < n_routes && !found; i++)
        found = g_str_equal (policy_cases[j].method, routes[i].method)
                && g_str_equal (policy_cases[j].pattern, routes[i].pattern);
      if (!found)
        g_error ("The policy test's %s %s is no route", policy_cases[j].method,
                 policy_cases[j].pattern);
    }

  /* Tokens of the test's own: it logs them out. */
  for (i = 0; i < G_N_ELEMENTS (accounts); i++)
    tokens[i] = login (accounts[i].name, accounts[i].password);
  policy_scene_init (&scenes[0], env.store1);
  policy_scene_init (&scenes[1], env.store2);

  for (j = 0; j < G_N_ELEMENTS (policy_cases); j++)
    for (guint s = 0; s < 2; s++)
      {
        const PolicyCase *c = &policy_cases[j];
        g_auto (GStrv) expected = g_strsplit (s == 0 ? c->own : c->other, " ", -1);

        g_assert_cmpuint (g_strv_length (expected), ==, G_N_ELEMENTS (accounts) + 1);
        for (guint who = 0; who <= G_N_ELEMENTS (accounts); who++)
          {
            g_autofree char *path = policy_expand (c->path, &scenes[s]);
            g_autofree char *body = c->body ? policy_expand (c->body, &scenes[s]) : NULL;
            g_autofree char *fresh = NULL;
            g_autoptr (Reply) reply = NULL;
            const char *token = NULL;
            const char *want = expected[who];
            const char *code = strchr (want, ':');
            guint       status = (guint)g_ascii_strtoull (want, NULL, 10);

            if (who < G_N_ELEMENTS (accounts))
              token = c->new_token ? (fresh = login (accounts[who].name, accounts[who].password))
                                   : tokens[who];
            code = code != NULL ? code + 1 : policy_error_code (status);
            reply = call_full (env.session, c->method, path, token, body, body ? strlen (body) : 0,
                               NULL);
            if (reply->status != status)
              g_error ("%s %s (%s store) as %s: %u, the policy says %u: %s", c->method, c->path,
                       s == 0 ? "own" : "other",
                       who < G_N_ELEMENTS (accounts) ? accounts[who].name : "nobody", reply->status,
                       status, reply->node ? json_to_string (reply->node, FALSE) : "(no body)");
            if (code != NULL)
              assert_error (reply, status, code, NULL);
          }
      }

  for (i = 0; i < G_N_ELEMENTS (accounts); i++)
    g_free (tokens[i]);
  policy_scene_clear (&scenes[0]);
  policy_scene_clear (&scenes[1]);
}

static gint64
ledger_rows (const char *customer_id)
{
  g_autofree char *sql = g_strdup_printf (
      "SELECT count(*) FROM bonus_transactions WHERE customer_id = '%s'", customer_id);
  return count (sql);
}

/* The defects of issue 10 (6), one by one. */
static void
test_policy_defects (void)
{
  g_autofree char *mine = new_customer (env.store1);
  g_autofree char *theirs = new_customer (env.store2);
  g_autofree char *earn_theirs = g_strdup_printf ("/api/bonuses/%s/earn", theirs);
  g_autofree char *earn_mine = g_strdup_printf ("/api/bonuses/%s/earn", mine);
  g_autofree char *adjust_mine = g_strdup_printf ("/api/bonuses/%s/adjust", mine);
  g_autofree char *sale_id = g_uuid_string_random ();
  g_autofree char *sale = NULL;
  g_autofree char *cart = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autoptr (Reply) reply = NULL;
  gint64                   rows = ledger_rows (theirs);
  static const char *const verbs[] = { "earn", "spend", "adjust" };

  /* A manager of store one moves no bonuses of store two's customer. */
  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    {
      g_free (path);
      path = g_strdup_printf ("/api/bonuses/%s/%s", theirs, verbs[i]);
      call_fails ("POST", path, MANAGER, "{\"amount\": 100, \"reason\": \"mine now\"}", 403,
                  "forbidden", NULL);
    }
  g_assert_cmpint (ledger_rows (theirs), ==, rows);

  /* Nor reads its ledger and purchases. */
  g_free (path);
  path = g_strdup_printf ("/api/bonuses/%s/transactions", theirs);
  call_fails ("GET", path, MANAGER, NULL, 403, "forbidden", NULL);
  g_free (path);
  path = g_strdup_printf ("/api/customers/%s/purchases", theirs);
  call_fails ("GET", path, MANAGER, NULL, 403, "forbidden", NULL);

  /* A cashier of store one replaying the id of a store two sale learns
   * nothing of it: not the sale, not its customer's phone. */
  cart = cart_json (env.store2, theirs, 5000, 1);
  sale = g_strdup_printf ("{\"id\": \"%s\", %s}", sale_id, cart);
  call_expect (&reply, "POST", "/api/pos/process-purchase", MANAGER2, sale, 201);
  g_free (cart);
  cart = cart_json (env.store1, theirs, 5000, 1);
  body = g_strdup_printf ("{\"id\": \"%s\", %s}", sale_id, cart);
  g_clear_pointer (&reply, reply_free);
  reply = call ("POST", "/api/pos/process-purchase", CASHIER, body);
  assert_error (reply, 403, "forbidden", NULL);
  g_assert_false (json_object_has_member (obj (reply), "purchase"));
  g_assert_false (json_object_has_member (obj (reply), "customer"));
  /* The same request again: the first result, once more. */
  call_expect (&reply, "POST", "/api/pos/process-purchase", MANAGER2, sale, 200);
  g_assert_true (json_object_get_boolean_member (obj (reply), "replayed"));
  /* The same request written another way is still the same. */
  g_free (body);
  body = g_strdup_printf (
      "{\"items\": [{\"quantity\": 1, \"unit_price\": 5000, \"category\": \"toys\","
      " \"name\": \"Teddy bear\", \"sku\": \"bear\"}], \"customer_id\": \"%s\","
      " \"store_id\": \"%s\", \"id\": \"%s\"}",
      theirs, env.store2, sale_id);
  call_expect (&reply, "POST", "/api/pos/process-purchase", MANAGER2, body, 200);
  /* Another body with that id is a mistake, not a replay (as Stripe has it). */
  g_free (cart);
  cart = cart_json (env.store2, theirs, 5000, 2);
  g_free (body);
  body = g_strdup_printf ("{\"id\": \"%s\", %s}", sale_id, cart);
  call_fails ("POST", "/api/pos/process-purchase", MANAGER2, body, 409, "idempotency_mismatch",
              "id");
  g_free (body);
  body = g_strdup_printf ("{\"id\": \"%s\", \"bonus_to_spend\": 100, %s}", sale_id, cart);
  call_fails ("POST", "/api/pos/process-purchase", ADMIN, body, 409, "idempotency_mismatch", "id");

  /* A customer who bought at store one is of store one too. */
  g_free (cart);
  cart = cart_json (env.store1, theirs, 5000, 1);
  g_free (sale_id);
  sale_id = g_uuid_string_random ();
  g_free (body);
  body = g_strdup_printf ("{\"id\": \"%s\", %s}", sale_id, cart);
  call_expect (&reply, "POST", "/api/pos/process-purchase", CASHIER, body, 201);
  call_expect (&reply, "POST", earn_theirs, MANAGER,
               "{\"amount\": 100, \"reason\": \"bought here\"}", 201);
  g_free (path);
  path = g_strdup_printf ("/api/customers/%s/purchases", theirs);
  call_expect (&reply, "GET", path, MANAGER, NULL, 200);
  /* Its sales at store one only. */
  g_assert_cmpuint (n_items (reply), ==, 1);
  /* And its messages, alone or among the store's. */
  g_free (path);
  path = g_strdup_printf ("/api/notifications?customer_id=%s", theirs);
  call_expect (&reply, "GET", path, MANAGER, NULL, 200);
  g_assert_cmpuint (n_items (reply), >=, 2);
  call_expect (&reply, "GET", "/api/notifications?limit=500", MANAGER, NULL, 200);
  {
    JsonArray *items = json_object_get_array_member (obj (reply), "items");
    guint      found = 0;

    for (guint i = 0; i < json_array_get_length (items); i++)
      found += g_strcmp0 (json_object_get_string_member (json_array_get_object_element (items, i),
                                                         "customer_id"),
                          theirs)
               == 0;
    g_assert_cmpuint (found, >=, 2);
  }

  /* Above the manual limit, a manager needs an admin. */
  g_clear_pointer (&reply, reply_free);
  reply = call ("POST", earn_mine, MANAGER, "{\"amount\": 1000001, \"reason\": \"too much\"}");
  assert_error (reply, 403, "forbidden", "amount");
  g_assert_nonnull (strstr (json_object_get_string_member (
                                json_object_get_object_member (obj (reply), "error"), "message"),
                            "admin"));
  g_clear_pointer (&reply, reply_free);
  call_fails ("POST", adjust_mine, MANAGER, "{\"amount\": -1000001, \"reason\": \"too much\"}", 403,
              "forbidden", "amount");
  reply = call ("POST", earn_mine, MANAGER, "{\"amount\": 1000000, \"reason\": \"just so\"}");
  assert_status (reply, 201);
  call_expect (&reply, "POST", earn_mine, ADMIN,
               "{\"amount\": 1000001, \"reason\": \"an admin may\"}", 201);
  g_assert_cmpint (balance_of (mine), ==, 2000001);
}

/* A manager keeps a customer's home store or, for one without a home who
 * bought at its store, makes it its own; it never clears nor moves it. */
static void
test_policy_home_store (void)
{
  g_autofree char *mine = new_customer (env.store1);
  g_autofree char *path = g_strdup_printf ("/api/customers/%s", mine);
  g_autofree char *homeless = NULL;
  g_autofree char *homeless_path = NULL;
  g_autofree char *sale_id = NULL;
  g_autofree char *sale = NULL;
  g_autofree char *cart = NULL;
  g_autofree char *body = NULL;
  g_autoptr (Reply) reply = NULL;

  call_fails ("PUT", path, MANAGER, "{\"home_store_id\": null}", 403, "forbidden", "home_store_id");
  body = g_strdup_printf ("{\"home_store_id\": \"%s\"}", env.store2);
  call_fails ("PUT", path, MANAGER, body, 403, "forbidden", "home_store_id");
  reply = call ("GET", path, ADMIN, NULL);
  assert_status (reply, 200);
  g_assert_cmpstr (str (reply, "home_store_id"), ==, env.store1);
  /* Other edits stay the manager's. */
  call_expect (&reply, "PUT", path, MANAGER, "{\"email\": \"home@example.org\"}", 200);
  g_assert_cmpstr (str (reply, "home_store_id"), ==, env.store1);
  /* An admin moves customers. */
  call_expect (&reply, "PUT", path, ADMIN, body, 200);
  g_assert_cmpstr (str (reply, "home_store_id"), ==, env.store2);
  call_fails ("PUT", path, MANAGER, "{\"email\": \"gone@example.org\"}", 403, "forbidden", NULL);

  /* A customer of no store is no store's to edit... */
  call_expect (&reply, "POST", "/api/customers", ADMIN,
               "{\"full_name\": \"Homeless\", \"phone\": \"+79039990001\"}", 201);
  homeless = g_strdup (str (reply, "id"));
  g_assert_true (json_node_is_null (json_object_get_member (obj (reply), "home_store_id")));
  homeless_path = g_strdup_printf ("/api/customers/%s", homeless);
  call_fails ("PUT", homeless_path, MANAGER2, "{\"email\": \"mine@example.org\"}", 403, "forbidden",
              NULL);
  /* ...until it buys there. */
  cart = cart_json (env.store2, homeless, 5000, 1);
  sale_id = g_uuid_string_random ();
  sale = g_strdup_printf ("{\"id\": \"%s\", %s}", sale_id, cart);
  call_expect (&reply, "POST", "/api/pos/process-purchase", MANAGER2, sale, 201);
  g_free (body);
  body = g_strdup_printf ("{\"home_store_id\": \"%s\"}", env.store2);
  call_expect (&reply, "PUT", homeless_path, MANAGER2, body, 200);
  g_assert_cmpstr (str (reply, "home_store_id"), ==, env.store2);
}

/* POST creates: an id already taken is a conflict, never an overwrite; and
 * the server, not the client, says when a customer was registered. */
static void
test_policy_create_only (void)
{
  g_autofree char *rule = new_rule (env.store1, ", \"is_active\": false");
  g_autofree char *rule_path = g_strdup_printf ("/api/discounts/rules/%s", rule);
  g_autofree char *body
      = g_strdup_printf ("{\"id\": \"%s\", \"version\": 1, \"name\": \"Overwritten\","
                         " \"type\": \"percentage\", \"value\": 9000}",
                         rule);
  g_autofree char *store_body
      = g_strdup_printf ("{\"id\": \"%s\", \"version\": 1, \"code\": \"HIJACK\","
                         " \"name\": \"Overwritten\"}",
                         env.store2);
  g_autofree char *store_path = g_strdup_printf ("/api/stores/%s", env.store2);
  g_autoptr (Reply) reply = call ("POST", "/api/discounts/rules", MARKETING, body);
  gint64 created = 0;

  assert_error (reply, 409, "conflict", NULL);
  call_expect (&reply, "GET", rule_path, ADMIN, NULL, 200);
  g_assert_cmpstr (str (reply, "name"), ==, "Test rule");
  g_assert_cmpint (num (reply, "value"), ==, 1000);
  g_clear_pointer (&reply, reply_free);
  call_fails ("POST", "/api/stores", ADMIN, store_body, 409, "conflict", NULL);
  reply = call ("GET", store_path, ADMIN, NULL);
  g_assert_cmpstr (str (reply, "name"), ==, "Store two");

  call_expect (&reply, "POST", "/api/customers", CASHIER,
               "{\"full_name\": \"Early bird\", \"phone\": \"+79039990002\", \"created_at\": "
               "\"2001-02-03T04:05:06Z\"}",
               201);
  g_assert_true (sk_time_from_rfc3339 (str (reply, "created_at"), &created));
  g_assert_cmpint (created, >, sk_time_now () - 600 * G_USEC_PER_SEC);
}

/* [auth] manual-bonus-limit in the configuration file. */
/* What the config file may hold and what it may not; a value ending in a
 * lone backslash once crashed the server at start (the config fuzzer). */
static void
test_config (void)
{
  static const char *const refused[] = {
    "[tls]\nkey=\\auth]\\\n",
    "[server]\naddress=127.0.0.1\\\n",
    "[server]\ntrusted-proxies=127.0.0.1;10.0.0.1\\\n",
    "[server]\ntrusted-proxies=127.0.0.1;not-an-address\n",
    "[server]\nmax-connections=0\n",
    "[server]\nheader-timeout=-5\n",
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SkServerConfig) config = sk_server_config_load_from_data (
      "[server]\nmax-connections=64\nheader-timeout=5\nidle-timeout=7\nbody-timeout=9\n"
      "trusted-proxies=127.0.0.1; ::1\n[database]\npath=C:\\\\tills\\\\a.db\n",
      -1, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (config->max_connections, ==, 64);
  g_assert_cmpuint (config->header_timeout, ==, 5);
  g_assert_cmpuint (config->idle_timeout, ==, 7);
  g_assert_cmpuint (config->body_timeout, ==, 9);
  g_assert_cmpstr (config->trusted_proxies[1], ==, "::1");
  g_assert_cmpstr (config->database, ==, "C:\\tills\\a.db");
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (SkServerConfig) bad = sk_server_config_load_from_data (refused[i], -1, &local);

      g_test_message ("%s", refused[i]);
      g_assert_null (bad);
      g_assert_error (local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
    }
}

static void
test_policy_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (env.hq.dir, "policy.conf", NULL);
  g_autoptr (SkServerConfig) config = NULL;
  g_autoptr (SkServerConfig) defaults = sk_server_config_new ();

  g_assert_true (g_file_set_contents (path, "[auth]\nmanual-bonus-limit=50000\n", -1, &error));
  config = sk_server_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (config->manual_bonus_limit, ==, 50000);
  g_clear_pointer (&config, sk_server_config_free);
  g_assert_true (g_file_set_contents (path, "[auth]\nmanual-bonus-limit=-1\n", -1, &error));
  config = sk_server_config_load (path, &error);
  g_assert_null (config);
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE);
  g_assert_nonnull (strstr (error->message, "manual-bonus-limit"));
  g_remove (path);
  /* 0 in the structure: the default, 10 000 roubles. */
  g_assert_cmpint (defaults->manual_bonus_limit, ==, 0);
}

/* Sync: the change feed a till pulls (SPEC 6, "Pull") */

/* Every change after @since, pulled by @who a page of @limit at a time;
 * asserts that only the last page says there is more to come. */
static JsonArray *
pull_all (const char *since, guint limit, int who, guint *n_pages, char **cursor)
{
  g_autofree char *at = g_strdup (since);
  JsonArray       *all = json_array_new ();
  gboolean         more = TRUE;
  guint            pages = 0;

  while (more)
    {
      g_autofree char *escaped = at ? g_uri_escape_string (at, NULL, FALSE) : NULL;
      g_autofree char *path
          = escaped ? g_strdup_printf ("/api/sync/pull?since=%s&limit=%u", escaped, limit)
                    : g_strdup_printf ("/api/sync/pull?limit=%u", limit);
      g_autoptr (Reply) reply = call ("GET", path, who, NULL);
      JsonArray *changes;

      assert_status (reply, 200);
      changes = json_object_get_array_member (obj (reply), "changes");
      g_assert_cmpuint (json_array_get_length (changes), <=, limit);
      more = json_object_get_boolean_member (obj (reply), "has_more");
      if (more)
        g_assert_cmpuint (json_array_get_length (changes), ==, limit);
      for (guint i = 0; i < json_array_get_length (changes); i++)
        json_array_add_element (all, json_node_copy (json_array_get_element (changes, i)));
      g_free (at);
      at = g_strdup (str (reply, "next_cursor"));
      g_assert_nonnull (at);
      g_assert_cmpuint (++pages, <, 10000);
    }
  if (n_pages != NULL)
    *n_pages = pages;
  if (cursor != NULL)
    *cursor = g_steal_pointer (&at);
  return all;
}

static JsonObject *
pulled_data (JsonArray *changes, const char *entity, const char *id)
{
  JsonObject *change = sk_test_find_change (changes, entity, id);

  if (change == NULL)
    g_error ("%s %s was not pulled", entity, id);
  g_assert_cmpstr (json_object_get_string_member (change, "op"), ==, "upsert");
  return json_object_get_object_member (change, "data");
}

static void
test_sync_pull (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonArray) before = NULL;
  g_autoptr (JsonArray) changes = NULL;
  g_autoptr (JsonArray) paged = NULL;
  g_autoptr (SkProduct) product = g_object_new (SK_TYPE_PRODUCT, NULL);
  g_autoptr (Reply) reply = NULL;
  g_autofree char *start = NULL;
  g_autofree char *store = new_store (NULL);
  g_autofree char *rule = new_rule (store, ", \"is_active\": false");
  g_autofree char *customer = NULL;
  g_autofree char *campaign = NULL;
  g_autofree char *body = NULL;
  g_autofree char *sku = g_uuid_string_random ();
  guint            n_pages, n_paged;

  /* A till's first pull is everything; then only what changed since. */
  before = pull_all (NULL, 500, CASHIER, NULL, &start);
  g_assert_nonnull (sk_test_find_change (before, "store", env.store1));
  g_assert_nonnull (sk_test_find_change (before, "rule", rule));
  g_assert_null (sk_test_find_change (before, "setting", "device_id"));

  customer = new_customer (env.store1);
  give_bonus (customer, 700, "pull");
  give_bonus (customer, 300, "pull");
  body = g_strdup_printf ("{\"name\": \"Pull\", \"store_ids\": [\"%s\"]}", store);
  call_expect (&reply, "POST", "/api/campaigns", MARKETING, body, 201);
  campaign = g_strdup (str (reply, "id"));
  g_free (body);
  body = g_strdup_printf ("/api/discounts/rules/%s", rule);
  call_expect (&reply, "PUT", body, MARKETING, "{\"description\": \"pulled\"}", 200);
  g_free (body);
  body = g_strdup_printf ("/api/stores/%s", store);
  call_expect (&reply, "PUT", body, ADMIN, "{\"address\": \"Pull street 1\"}", 200);
  g_object_set (product, "sku", sku, "name", "Pulled bear", "price", (gint64)12300, NULL);
  g_assert_true (sk_database_save_product (env.hq.db, product, &error));
  g_assert_no_error (error);
  g_assert_true (sk_database_set_setting (env.hq.db, "segment_vip_visits", "11", &error));
  g_assert_no_error (error);

  /* Each once, as it is now, whoever of the stores pulls. */
  changes = pull_all (start, 500, MANAGER2, &n_pages, NULL);
  g_assert_cmpuint (n_pages, ==, 1);
  g_assert_cmpuint (json_array_get_length (changes), ==, 6);
  g_assert_cmpint (
      json_object_get_int_member (pulled_data (changes, "customer", customer), "bonus_balance"), ==,
      1000);
  g_assert_cmpint (
      json_object_get_int_member (pulled_data (changes, "customer", customer), "visits"), ==, 0);
  g_assert_cmpstr (
      json_object_get_string_member (pulled_data (changes, "campaign", campaign), "name"), ==,
      "Pull");
  g_assert_cmpstr (
      json_object_get_string_member (pulled_data (changes, "rule", rule), "description"), ==,
      "pulled");
  g_assert_cmpstr (json_object_get_string_member (pulled_data (changes, "store", store), "address"),
                   ==, "Pull street 1");
  g_assert_cmpint (json_object_get_int_member (pulled_data (changes, "product", sku), "price"), ==,
                   12300);
  g_assert_cmpstr (json_object_get_string_member (
                       pulled_data (changes, "setting", "segment_vip_visits"), "value"),
                   ==, "11");

  /* Pages of two, as a cashier: the same changes in the same order. */
  paged = pull_all (start, 2, CASHIER, &n_paged, NULL);
  g_assert_cmpuint (n_paged, ==, 3);
  g_assert_cmpuint (json_array_get_length (paged), ==, 6);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (paged, i), "cursor"), ==,
        json_object_get_string_member (json_array_get_object_element (changes, i), "cursor"));
  g_clear_pointer (&paged, json_array_unref);
  /* From the start, in pages, everything once: the store and the rule
   * changed again are there once each, as they are now. */
  paged = pull_all (NULL, 7, ADMIN, &n_paged, NULL);
  g_assert_cmpuint (json_array_get_length (paged), ==,
                    json_array_get_length (before) + json_array_get_length (changes) - 2);
  g_assert_cmpstr (json_object_get_string_member (pulled_data (paged, "rule", rule), "description"),
                   ==, "pulled");
  g_assert_nonnull (sk_test_find_change (paged, "customer", customer));
  g_assert_nonnull (sk_test_find_change (paged, "store", env.store2));

  /* A sale moves the customer's figures. */
  {
    g_autofree char *cart = cart_json (env.store1, customer, 5000, 2);
    g_autofree char *sale_id = g_uuid_string_random ();
    g_autofree char *sale = g_strdup_printf ("{\"id\": \"%s\", %s}", sale_id, cart);
    g_autoptr (JsonArray) after_sale = NULL;
    g_autofree char *end = NULL;

    g_clear_pointer (&changes, json_array_unref);
    changes = pull_all (start, 500, CASHIER, NULL, &end);
    call_expect (&reply, "POST", "/api/pos/process-purchase", CASHIER, sale, 201);
    after_sale = pull_all (end, 500, CASHIER, NULL, NULL);
    g_assert_cmpint (
        json_object_get_int_member (pulled_data (after_sale, "customer", customer), "visits"), ==,
        1);
    g_assert_cmpint (
        json_object_get_int_member (pulled_data (after_sale, "customer", customer), "total_spent"),
        ==, 10000);
  }

  /* A cursor this server never gave: 410, and the till starts over. */
  g_clear_pointer (&reply, reply_free);
  call_fails ("GET", "/api/sync/pull?since=garbage", CASHIER, NULL, 410, "cursor_expired", "since");
  call_fails ("GET", "/api/sync/pull?since=f1.0.0.1", CASHIER, NULL, 410, "cursor_expired",
              "since");
  reply = call ("GET", "/api/sync/pull?limit=0", CASHIER, NULL);
  assert_error (reply, 422, "invalid_value", "limit");
}

/* On PostgreSQL a change numbered lower may commit after a higher one: a
 * pull must wait for it rather than pass it. SQLite has one writer at a
 * time, so there the numbers are commit order already. */
static void
test_sync_pull_late_commit (void)
{
  g_autofree char *rule = new_rule (env.store1, ", \"is_active\": false");
  g_autofree char *cursor = NULL;
  g_autofree char *held = NULL;
  g_autofree char *store_path = g_strdup_printf ("/api/stores/%s", env.store2);
  g_autofree char *address = NULL;
  g_autofree char *update = NULL;
  g_autoptr (JsonArray) drained = NULL;
  g_autoptr (JsonArray) open = NULL;
  g_autoptr (JsonArray) after = NULL;
  g_autoptr (Reply) reply = NULL;
  PGconn   *a;
  PGresult *result;
  gint64    deadline;

  if (g_str_equal (sk_database_get_backend_name (env.hq.db), "sqlite"))
    {
      g_test_skip ("SQLite has one writer at a time");
      return;
    }
  drained = pull_all (NULL, 500, CASHIER, NULL, &cursor);

  /* A changes the rule (its uses: no counter of migration 3 or 8 moves, so
   * B does not wait for A) and stays open. */
  a = PQconnectdb (env.hq.path);
  g_assert_cmpint (PQstatus (a), ==, CONNECTION_OK);
  update
      = g_strdup_printf ("BEGIN; UPDATE discount_rules SET uses = uses + 5 WHERE id = '%s'", rule);
  result = PQexec (a, update);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  /* B, later, changes a store and commits. */
  address = g_strdup_printf ("{\"address\": \"Late street %u\"}", g_random_int ());
  reply = call ("PUT", store_path, ADMIN, address);
  assert_status (reply, 200);

  /* Neither is given while A is open: B's change sorts after A's, and a
   * cursor past B's would pass A's. */
  open = pull_all (cursor, 500, CASHIER, NULL, &held);
  g_assert_null (sk_test_find_change (open, "rule", rule));
  g_assert_null (sk_test_find_change (open, "store", env.store2));

  result = PQexec (a, "COMMIT");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  PQfinish (a);

  /* Both now, from the cursor given while A was open (once the snapshot's
   * xmin has moved past A: at once, unless another transaction is open). */
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  do
    {
      g_clear_pointer (&after, json_array_unref);
      after = pull_all (held, 500, CASHIER, NULL, NULL);
      if (sk_test_find_change (after, "rule", rule) == NULL)
        g_usleep (G_USEC_PER_SEC / 20);
    }
  while (sk_test_find_change (after, "rule", rule) == NULL && g_get_monotonic_time () < deadline);
  g_assert_cmpint (json_object_get_int_member (pulled_data (after, "rule", rule), "uses"), ==, 5);
  g_assert_nonnull (sk_test_find_change (after, "store", env.store2));
}

/* Tills selling at once (PostgreSQL: side by side, each locking its
 * customer's row) while another pulls: every sale's change to its customer
 * reaches the puller, whatever order the sales commit in. */
typedef struct
{
  char **customers; /* this writer's: a sale to each, twice */
  gint  *running;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  g_autoptr (SoupSession) session = soup_session_new ();

  for (guint round = 0; round < 2; round++)
    for (char **c = writer->customers; *c != NULL; c++)
      {
        g_autofree char *id = g_uuid_string_random ();
        g_autofree char *cart = cart_json (env.store1, *c, 10000, 1);
        g_autofree char *body = g_strdup_printf ("{\"id\": \"%s\", %s}", id, cart);
        g_autoptr (Reply) reply = call_full (session, "POST", "/api/pos/process-purchase",
                                             env.token[ADMIN], body, strlen (body), NULL);

        assert_status (reply, 201);
      }
  g_atomic_int_dec_and_test (writer->running);
  return NULL;
}

static void
pull_visits (GHashTable *visits, char **cursor)
{
  g_autofree char *next = NULL;
  g_autoptr (JsonArray) changes = pull_all (*cursor, 7, CASHIER, NULL, &next);

  /* In the feed's order: a later change of a customer replaces an earlier. */
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *change = json_array_get_object_element (changes, i);

      if (g_str_equal (json_object_get_string_member (change, "entity"), "customer")
          && g_str_equal (json_object_get_string_member (change, "op"), "upsert"))
        g_hash_table_insert (visits, g_strdup (json_object_get_string_member (change, "id")),
                             GINT_TO_POINTER (json_object_get_int_member (
                                 json_object_get_object_member (change, "data"), "visits")));
    }
  g_free (*cursor);
  *cursor = g_steal_pointer (&next);
}

static void
test_sync_pull_concurrent_writers (void)
{
  g_autoptr (GHashTable) visits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  Writer           writers[4];
  GThread         *threads[G_N_ELEMENTS (writers)];
  gint             running = G_N_ELEMENTS (writers);

  g_autoptr (JsonArray) drained = pull_all (NULL, 500, CASHIER, NULL, &cursor);
  for (guint w = 0; w < G_N_ELEMENTS (writers); w++)
    {
      writers[w].customers = g_new0 (char *, 7);
      for (guint i = 0; i < 6; i++)
        writers[w].customers[i] = new_customer (env.store1);
      writers[w].running = &running;
    }
  pull_visits (visits, &cursor);
  for (guint w = 0; w < G_N_ELEMENTS (writers); w++)
    threads[w] = g_thread_new ("writer", writer_thread, &writers[w]);
  /* Pulling all along, from where the last pull ended. */
  while (g_atomic_int_get (&running) > 0)
    pull_visits (visits, &cursor);
  for (guint w = 0; w < G_N_ELEMENTS (writers); w++)
    g_thread_join (threads[w]);
  pull_visits (visits, &cursor);

  for (guint w = 0; w < G_N_ELEMENTS (writers); w++)
    {
      for (char **c = writers[w].customers; *c != NULL; c++)
        g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (visits, *c)), ==, 2);
      g_strfreev (writers[w].customers);
    }
}

/* Sync: what tills push (SPEC 6). */

static Reply *
push_as (int who, const char *device, const char *store, const char *events)
{
  g_autofree char *store_member
      = store != NULL ? g_strdup_printf (", \"store_id\": \"%s\"", store) : g_strdup ("");
  g_autofree char *body
      = g_strdup_printf ("{\"device_id\": \"%s\", \"app_version\": \"test 1\"%s, \"events\": %s}",
                         device, store_member, events);

  return call ("POST", "/api/sync/push", who, body);
}

static JsonObject *
push_result (Reply *reply, guint i)
{
  JsonArray *results = json_object_get_array_member (obj (reply), "results");

  g_assert_cmpuint (i, <, json_array_get_length (results));
  return json_array_get_object_element (results, i);
}

static void
assert_pushed (Reply *reply, guint i, const char *status, const char *code)
{
  JsonObject *result = push_result (reply, i);

  if (g_strcmp0 (json_object_get_string_member (result, "status"), status) != 0
      || (code != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (result, "code", ""), code)
                 != 0))
    g_error ("event %u: expected %s %s: %s", i, status, code ? code : "",
             json_to_string (reply->node, FALSE));
}

/* A sale as a till's outbox holds it (an SkPurchase's JSON), one line of
 * @quantity at @unit_price with @discount off it by @rule_id (NULL: none);
 * @skew is added to the line's total, so that it does not add up. */
static char *
sale_event (gint64      seq,
            const char *purchase_id,
            const char *store,
            const char *customer,
            gint64      unit_price,
            gint64      quantity,
            gint64      discount,
            const char *rule_id,
            gint64      bonus_spent,
            gint64      bonus_earned,
            gint64      skew)
{
  g_autofree char *event_id = g_uuid_string_random ();
  g_autofree char *customer_json
      = customer ? g_strdup_printf ("\"%s\"", customer) : g_strdup ("null");
  g_autofree char *apps
      = rule_id ? g_strdup_printf ("[{\"rule_id\": \"%s\", \"amount\": %" G_GINT64_FORMAT "}]",
                                   rule_id, discount)
                : g_strdup ("[]");
  gint64 subtotal = unit_price * quantity, payable = subtotal - discount;

  return g_strdup_printf (
      "{\"seq\": %" G_GINT64_FORMAT ", \"id\": \"%s\", \"kind\": \"purchase.create\","
      " \"created_at\": \"2026-03-01T10:00:00Z\", \"payload\": {\"id\": \"%s\", \"store_id\": "
      "\"%s\", \"customer_id\": %s, \"created_at\": \"2026-03-01T10:00:00Z\","
      " \"subtotal\": %" G_GINT64_FORMAT ", \"discount_total\": %" G_GINT64_FORMAT ","
      " \"bonus_spent\": %" G_GINT64_FORMAT ", \"bonus_earned\": %" G_GINT64_FORMAT ","
      " \"total_paid\": %" G_GINT64_FORMAT ", \"bonus_multiplier\": 100, \"status\": "
      "\"completed\", \"lines\": [{\"line_no\": 1, \"sku\": \"bear\", \"name\": \"Teddy bear\","
      " \"category\": \"toys\", \"unit_price\": %" G_GINT64_FORMAT
      ", \"quantity\": %" G_GINT64_FORMAT ", \"discount\": %" G_GINT64_FORMAT
      ", \"total\": %" G_GINT64_FORMAT "}],"
      " \"applications\": %s}}",
      seq, event_id, purchase_id, store, customer_json, subtotal, discount, bonus_spent,
      bonus_earned, payable - bonus_spent, unit_price, quantity, discount, payable + skew, apps);
}

/* A till: its own SQLite file, store one mirrored under its id. */
static SkDatabase *
till_new (const char *name)
{
  g_autofree char *path = g_build_filename (env.hq.dir, name, NULL);
  g_autoptr (SkStore) store = sk_store_new ();
  g_autoptr (GError) error = NULL;
  SkDatabase *till = sk_database_open (path, &error);

  g_assert_no_error (error);
  g_object_set (store, "id", env.store1, "code", "S1", "name", "Store one", NULL);
  g_assert_true (sk_database_save_store (till, store, &error));
  g_assert_no_error (error);
  return till;
}

/* The till's outbox after @after as a push's events: kind "entity.op". */
static char *
till_events (SkDatabase *till, gint64 after, gint64 *last)
{
  GString *out = g_string_new ("[");
  SkStmt  *stmt = sk_db_query (till, NULL,
                               "SELECT seq, event_id, entity, op, payload, created_at"
                                " FROM sync_outbox WHERE seq > ? ORDER BY seq",
                               "i", after);
  gboolean has_row = FALSE;

  g_assert_nonnull (stmt);
  while (sk_db_step (till, stmt, &has_row, NULL) && has_row)
    {
      g_autofree char *at = sk_time_to_rfc3339 (sk_stmt_int64 (stmt, 5));

      g_string_append_printf (out,
                              "%s{\"seq\": %" G_GINT64_FORMAT ", \"id\": \"%s\", \"kind\": "
                              "\"%s.%s\", \"payload\": %s, \"created_at\": \"%s\"}",
                              out->len > 1 ? ", " : "", sk_stmt_int64 (stmt, 0),
                              sk_stmt_text (stmt, 1), sk_stmt_text (stmt, 2),
                              sk_stmt_text (stmt, 3), sk_stmt_text (stmt, 4), at);
      if (last != NULL)
        *last = sk_stmt_int64 (stmt, 0);
    }
  sk_stmt_reset (stmt);
  g_string_append (out, "]");
  return g_string_free (out, FALSE);
}

static gint64
count_of (const char *sql, const char *arg)
{
  return sk_db_query_int (env.hq.db, NULL, -1, sql, "s", arg);
}

/* A till registers a customer, gives bonuses by hand and sells offline; its
 * outbox pushed applies in order, and pushed again changes nothing. */
static void
test_sync_push (void)
{
  g_autoptr (SkDatabase) till = till_new ("till-push.db");
  g_autoptr (SkCustomer) customer = sk_customer_new ();
  g_autoptr (SkCustomer) at_till = NULL;
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) sold = NULL;
  g_autoptr (Reply) first = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *events = NULL;
  g_autofree char *first_results = NULL;
  g_autofree char *again_results = NULL;
  g_autofree char *path = NULL;
  const char      *device = sk_database_get_device_id (till);
  gint64           last = 0, purchases, ledger;

  g_object_set (customer, "full_name", "Offline Olga", "phone", "+79055550101", "home-store-id",
                env.store1, NULL);
  g_assert_true (sk_database_create_customer (till, customer, &error));
  g_assert_no_error (error);
  tx = sk_database_bonus_manual (till, sk_record_get_id (customer), "earn", 50000, "welcome",
                                 env.store1, &error);
  g_assert_no_error (error);
  request->id = g_uuid_string_random ();
  request->customer_id = g_strdup (sk_record_get_id (customer));
  request->cart = sk_cart_new (env.store1);
  sk_cart_add_line (request->cart, "bear", "Teddy bear", "toys", 10000, 3);
  request->bonus_to_spend = 10000;
  sold = sk_database_process_purchase (till, request, &error);
  g_assert_no_error (error);
  at_till = sk_database_get_customer (till, sk_record_get_id (customer), &error);
  g_assert_no_error (error);

  /* The store the till mirrors is HQ's (its outbox row is refused: hq_only). */
  events = till_events (till, 1, &last);
  first = push_as (MANAGER, device, NULL, events);
  assert_status (first, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (obj (first), "results")),
                    ==, 3);
  for (guint i = 0; i < 3; i++)
    assert_pushed (first, i, "applied", NULL);
  g_assert_cmpint (num (first, "acked_seq"), ==, last);
  g_assert_cmpstr (str (first, "store_id"), ==, env.store1);

  /* HQ has what the till has: the customer, the sale, the same balance. */
  path = g_strdup_printf ("/api/pos/purchases/%s", request->id);
  {
    g_autoptr (Reply) sale = call ("GET", path, ADMIN, NULL);

    assert_status (sale, 200);
    g_assert_cmpint (num (sale, "subtotal"), ==, 30000);
    g_assert_cmpint (num (sale, "bonus_spent"), ==, 10000);
  }
  g_assert_cmpint (balance_of (sk_record_get_id (customer)), ==,
                   sk_record_get_int64 (at_till, "bonus_balance"));
  g_assert_cmpint (sk_database_ledger_sum (env.hq.db, sk_record_get_id (customer), NULL), ==,
                   balance_of (sk_record_get_id (customer)));
  g_assert_cmpint (
      count_of ("SELECT visits FROM customers WHERE id = ?", sk_record_get_id (customer)), ==, 1);

  /* Pushed again (the answer was lost): the first answers, nothing twice. */
  purchases = count ("SELECT count(*) FROM purchases");
  ledger = count ("SELECT count(*) FROM bonus_transactions");
  again = push_as (MANAGER, device, NULL, events);
  assert_status (again, 200);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject      *a = push_result (first, i), *b = push_result (again, i);
      g_autofree char *ra = json_to_string (json_object_get_member (a, "result"), FALSE);
      g_autofree char *rb = json_to_string (json_object_get_member (b, "result"), FALSE);

      assert_pushed (again, i, "duplicate", NULL);
      g_assert_cmpstr (json_object_get_string_member (b, "first_status"), ==, "applied");
      g_assert_cmpstr (ra, ==, rb);
    }
  g_assert_cmpint (num (again, "acked_seq"), ==, last);
  g_assert_cmpint (count ("SELECT count(*) FROM purchases"), ==, purchases);
  g_assert_cmpint (count ("SELECT count(*) FROM bonus_transactions"), ==, ledger);
  g_assert_cmpint (
      count_of ("SELECT visits FROM customers WHERE id = ?", sk_record_get_id (customer)), ==, 1);
  g_assert_cmpint (balance_of (sk_record_get_id (customer)), ==,
                   sk_record_get_int64 (at_till, "bonus_balance"));
}

/* A new active campaign @name with a new rule of store one in it: the
 * rule's id; the campaign's in @campaign_id. */
static char *
new_campaign_rule (const char *name, char **campaign_id)
{
  g_autofree char *body = g_strdup_printf ("{\"name\": \"%s\", \"status\": \"active\"}", name);
  g_autoptr (Reply) campaign = call ("POST", "/api/campaigns", MARKETING, body);
  g_autofree char *extra = NULL;

  assert_status (campaign, 201);
  *campaign_id = g_strdup (str (campaign, "id"));
  extra = g_strdup_printf (", \"campaign_id\": \"%s\"", *campaign_id);
  return new_rule (env.store1, extra);
}

static gint64
campaign_spent (const char *campaign_id)
{
  return count_of ("SELECT spent FROM campaigns WHERE id = ?", campaign_id);
}

/* Offline sales are recorded at the till's prices, with the rule's usage
 * and the campaign's spend moved as online. */
static void
test_sync_push_prices (void)
{
  g_autoptr (Reply) reply = NULL;
  g_autofree char *device = g_uuid_string_random ();
  g_autofree char *purchase = g_uuid_string_random ();
  g_autofree char *campaign = NULL;
  g_autofree char *rule = new_campaign_rule ("Offline", &campaign);
  g_autofree char *event = NULL;
  g_autofree char *events = NULL;
  g_autofree char *customer = new_customer (env.store1);

  /* 777 off, not what the rule (10 %) gives today: the till's price is the fact. */
  event = sale_event (1, purchase, env.store1, customer, 10000, 2, 777, rule, 0, 192, 0);
  events = g_strdup_printf ("[%s]", event);
  reply = push_as (CASHIER, device, NULL, events);
  assert_status (reply, 200);
  assert_pushed (reply, 0, "applied", NULL);
  g_assert_cmpint (count_of ("SELECT discount_total FROM purchases WHERE id = ?", purchase), ==,
                   777);
  g_assert_cmpint (count_of ("SELECT uses FROM discount_rules WHERE id = ?", rule), ==, 1);
  g_assert_cmpint (campaign_spent (campaign), ==, 777);
  g_assert_cmpint (
      count_of ("SELECT count(*) FROM discount_applications WHERE purchase_id = ?", purchase), ==,
      1);
  g_assert_cmpint (balance_of (customer), ==, 192);
  g_assert_cmpint (count_of ("SELECT total_spent FROM customers WHERE id = ?", customer), ==,
                   20000 - 777);
}

/* A sale of two lines, a bear (toys) and a book, with two rules' discounts
 * as a till's outbox holds it, each with its "line_amounts" (@toys_on,
 * @all_on: JSON arrays). The toys rule gave the bear 900; the other, 500
 * to the bear and 100 to the book. */
static char *
two_rule_sale_event (gint64      seq,
                     const char *purchase_id,
                     const char *toys_rule,
                     const char *toys_on,
                     const char *all_rule,
                     const char *all_on)
{
  g_autofree char *event_id = g_uuid_string_random ();

  return g_strdup_printf (
      "{\"seq\": %" G_GINT64_FORMAT ", \"id\": \"%s\", \"kind\": \"purchase.create\","
      " \"created_at\": \"2026-03-01T10:00:00Z\", \"payload\": {\"id\": \"%s\", \"store_id\": "
      "\"%s\", \"customer_id\": null, \"created_at\": \"2026-03-01T10:00:00Z\","
      " \"subtotal\": 12000, \"discount_total\": 1500, \"bonus_spent\": 0, \"bonus_earned\": 0,"
      " \"total_paid\": 10500, \"bonus_multiplier\": 100, \"status\": \"completed\","
      " \"lines\": [{\"line_no\": 1, \"sku\": \"bear\", \"name\": \"Teddy bear\", \"category\":"
      " \"toys\", \"unit_price\": 10000, \"quantity\": 1, \"discount\": 1400, \"total\": 8600},"
      " {\"line_no\": 2, \"sku\": \"book\", \"name\": \"Book\", \"category\": \"books\","
      " \"unit_price\": 1000, \"quantity\": 2, \"discount\": 100, \"total\": 1900}],"
      " \"applications\": [{\"rule_id\": \"%s\", \"amount\": 900, \"line_amounts\": %s},"
      " {\"rule_id\": \"%s\", \"amount\": 600, \"line_amounts\": %s}]}}",
      seq, event_id, purchase_id, env.store1, toys_rule, toys_on, all_rule, all_on);
}

/* An offline sale's discounts keep how they shared themselves among the
 * lines, so that a return at HQ gives back to each campaign what its rule
 * gave the lines returned; what does not add up is refused. */
static void
test_sync_push_line_amounts (void)
{
  /* Not one amount a line; not adding up to the discount applied; the
   * bear's not adding up to its discount; right. */
  static const struct
  {
    const char *toys_on, *all_on, *status, *code;
  } sales[] = {
    { "[900]", "[500, 100]", "rejected", "malformed" },
    { "[800, 0]", "[500, 100]", "rejected", "inconsistent" },
    { "[900, 0]", "[600, 0]", "rejected", "inconsistent" },
    { "[900, 0]", "[500, 100]", "applied", NULL },
  };
  g_autoptr (Reply) pushed = NULL;
  g_autoptr (Reply) refunded = NULL;
  g_autoptr (GString) events = g_string_new ("[");
  g_autofree char *device = g_uuid_string_random ();
  g_autofree char *sale = NULL;
  g_autofree char *toys_campaign = NULL;
  g_autofree char *all_campaign = NULL;
  g_autofree char *toys_rule = new_campaign_rule ("Toys", &toys_campaign);
  g_autofree char *all_rule = new_campaign_rule ("All", &all_campaign);
  g_autofree char *refund = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (sales); i++)
    {
      g_autofree char *event = NULL;

      g_free (sale);
      sale = g_uuid_string_random ();
      event = two_rule_sale_event (i + 1, sale, toys_rule, sales[i].toys_on, all_rule,
                                   sales[i].all_on);
      g_string_append_printf (events, "%s%s", i > 0 ? ", " : "", event);
    }
  g_string_append (events, "]");
  pushed = push_as (CASHIER, device, NULL, events->str);
  assert_status (pushed, 200);
  for (guint i = 0; i < G_N_ELEMENTS (sales); i++)
    assert_pushed (pushed, i, sales[i].status, sales[i].code);
  g_assert_cmpint (count ("SELECT count(*) FROM purchases WHERE status = 'completed'"
                          " AND discount_total = 1500 AND subtotal = 12000"),
                   ==, 1);
  g_assert_cmpint (campaign_spent (toys_campaign), ==, 900);
  g_assert_cmpint (campaign_spent (all_campaign), ==, 600);

  /* The books back at HQ (the last sale): the toys campaign gives back
   * nothing, the other what its rule gave the books. */
  refund = g_strdup_printf ("{\"id\": \"%s\", \"purchase_id\": \"%s\","
                            " \"lines\": [{\"line_no\": 2, \"quantity\": 2}]}",
                            device, sale);
  refunded = call ("POST", "/api/pos/refund", ADMIN, refund);
  assert_status (refunded, 200);
  g_assert_cmpint (num (refunded, "discount_refunded"), ==, 100);
  g_assert_cmpint (campaign_spent (toys_campaign), ==, 900);
  g_assert_cmpint (campaign_spent (all_campaign), ==, 500);
}

/* Every rejection is answered, recorded and acknowledged, and the next
 * event is still applied. */
static void
test_sync_push_rejections (void)
{
  g_autofree char *device = g_uuid_string_random ();
  g_autofree char *ok1 = g_uuid_string_random ();
  g_autofree char *ok2 = g_uuid_string_random ();
  g_autofree char *other = g_uuid_string_random ();
  g_autofree char *uneven = g_uuid_string_random ();
  g_autofree char *nobody = g_uuid_string_random ();
  g_autofree char *unknown = g_uuid_string_random ();
  g_autofree char *e1 = sale_event (1, ok1, env.store1, NULL, 5000, 1, 0, NULL, 0, 0, 0);
  g_autofree char *e2 = g_strdup_printf (
      "{\"seq\": 2, \"id\": \"%s\", \"kind\": \"rocket.launch\", \"payload\": {}}", unknown);
  g_autofree char *e3_id = g_uuid_string_random ();
  g_autofree char *e3 = g_strdup_printf (
      "{\"seq\": 3, \"id\": \"%s\", \"kind\": \"purchase.create\", \"payload\": [1, 2]}", e3_id);
  g_autofree char *e4 = sale_event (4, other, env.store2, NULL, 5000, 1, 0, NULL, 0, 0, 0);
  g_autofree char *e5 = sale_event (5, uneven, env.store1, NULL, 5000, 1, 0, NULL, 0, 0, 1);
  g_autofree char *e6 = sale_event (6, nobody, env.store1, unknown, 5000, 1, 0, NULL, 0, 0, 0);
  g_autofree char *e7_id = g_uuid_string_random ();
  g_autofree char *e7 = g_strdup_printf (
      "{\"seq\": 7, \"id\": \"%s\", \"kind\": \"purchase.create\", \"payload\": {\"id\": 5}}",
      e7_id);
  g_autofree char *e8 = sale_event (8, ok2, env.store1, NULL, 5000, 1, 0, NULL, 0, 0, 0);
  g_autofree char *events
      = g_strdup_printf ("[%s, %s, %s, %s, %s, %s, %s, %s]", e8, e2, e3, e4, e5, e6, e7, e1);
  g_autoptr (Reply) reply = push_as (CASHIER, device, NULL, events);
  g_autoptr (Reply) again = NULL;

  assert_status (reply, 200);
  /* In sequence order, whatever the order sent. */
  assert_pushed (reply, 0, "applied", NULL);
  assert_pushed (reply, 1, "rejected", "unknown_kind");
  assert_pushed (reply, 2, "rejected", "malformed");
  assert_pushed (reply, 3, "rejected", "forbidden");
  assert_pushed (reply, 4, "rejected", "inconsistent");
  assert_pushed (reply, 5, "rejected", "unknown_customer");
  assert_pushed (reply, 6, "rejected", "malformed");
  assert_pushed (reply, 7, "applied", NULL);
  g_assert_cmpint (json_object_get_int_member (push_result (reply, 7), "seq"), ==, 8);
  g_assert_cmpint (num (reply, "acked_seq"), ==, 8);
  g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE id = ?", ok2), ==, 1);
  g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE id = ?", other), ==, 0);
  g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE id = ?", uneven), ==, 0);
  /* Kept for review. */
  g_assert_cmpint (count_of ("SELECT count(*) FROM sync_events WHERE device_id = ?"
                             " AND status = 'rejected'",
                             device),
                   ==, 6);

  /* A rejected event pushed again is answered as it was first. */
  again = push_as (CASHIER, device, NULL, events);
  assert_status (again, 200);
  assert_pushed (again, 3, "duplicate", "forbidden");
  g_assert_cmpstr (json_object_get_string_member (push_result (again, 3), "first_status"), ==,
                   "rejected");
  g_assert_cmpint (count_of ("SELECT count(*) FROM sync_events WHERE device_id = ?", device), ==,
                   8);

  /* The sale of seq 1 again under another event (a till that lost it
   * sells it again): answered as the sale it is, recorded once; another
   * sale under its id is refused, and the events after it still apply. */
  {
    g_autofree char *ok3 = g_uuid_string_random ();
    g_autofree char *e9 = sale_event (9, ok1, env.store1, NULL, 5000, 1, 0, NULL, 0, 0, 0);
    g_autofree char *e10 = sale_event (10, ok1, env.store1, NULL, 7000, 1, 0, NULL, 0, 0, 0);
    g_autofree char *e11 = sale_event (11, ok3, env.store1, NULL, 5000, 1, 0, NULL, 0, 0, 0);
    g_autofree char *later = g_strdup_printf ("[%s, %s, %s]", e9, e10, e11);
    g_autoptr (Reply) sold = push_as (CASHIER, device, NULL, later);

    assert_status (sold, 200);
    assert_pushed (sold, 0, "duplicate", NULL);
    g_assert_cmpstr (json_object_get_string_member (push_result (sold, 0), "duplicate_of"), ==,
                     ok1);
    assert_pushed (sold, 1, "rejected", "idempotency_mismatch");
    assert_pushed (sold, 2, "applied", NULL);
    g_assert_cmpint (num (sold, "acked_seq"), ==, 11);
    g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE id = ?", ok1), ==, 1);
    g_assert_cmpint (count_of ("SELECT subtotal FROM purchases WHERE id = ?", ok1), ==, 5000);
    g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE id = ?", ok3), ==, 1);
  }
}

/* A device is its store's: bound by its first push. */
static void
test_sync_push_device (void)
{
  g_autofree char *device = g_uuid_string_random ();
  g_autofree char *admins = g_uuid_string_random ();
  g_autoptr (Reply) reply = push_as (CASHIER, device, NULL, "[]");

  assert_status (reply, 200);
  g_assert_cmpstr (str (reply, "store_id"), ==, env.store1);
  g_assert_cmpint (num (reply, "acked_seq"), ==, 0);
  g_clear_pointer (&reply, reply_free);
  reply = push_as (MANAGER2, device, NULL, "[]");
  assert_error (reply, 403, "forbidden", "device_id");
  g_clear_pointer (&reply, reply_free);
  reply = push_as (ADMIN, device, env.store2, "[]");
  assert_error (reply, 403, "forbidden", "device_id");
  g_clear_pointer (&reply, reply_free);
  reply = push_as (CASHIER, device, env.store2, "[]");
  assert_error (reply, 403, "forbidden", "store_id");
  g_clear_pointer (&reply, reply_free);
  reply = push_as (MARKETING, device, NULL, "[]");
  assert_error (reply, 403, "forbidden", NULL);
  g_clear_pointer (&reply, reply_free);
  reply = push_as (ADMIN, device, NULL, "[]");
  assert_status (reply, 200);
  g_assert_cmpstr (str (reply, "store_id"), ==, env.store1);
  g_clear_pointer (&reply, reply_free);
  reply = push_as (ADMIN, admins, NULL, "[]");
  assert_error (reply, 422, "invalid_value", "store_id");
  g_clear_pointer (&reply, reply_free);
  reply = push_as (ADMIN, admins, env.store2, "[]");
  assert_status (reply, 200);
  g_assert_cmpstr (str (reply, "store_id"), ==, env.store2);
  g_assert_cmpint (
      count_of ("SELECT count(*) FROM devices WHERE id = ? AND app_version = 'test 1'", device), ==,
      1);
}

/* The push itself: its shape and its bounds. */
static void
test_sync_push_limits (void)
{
  g_autofree char *device = g_uuid_string_random ();
  GString         *many = g_string_new ("[");
  g_autofree char *body = NULL;
  g_autoptr (Reply) reply = NULL;

  for (guint i = 1; i <= SK_SYNC_MAX_EVENTS + 1; i++)
    g_string_append_printf (many, "%s{\"seq\": %u}", i > 1 ? ", " : "", i);
  g_string_append (many, "]");
  reply = push_as (CASHIER, device, NULL, many->str);
  assert_error (reply, 413, "too_large", "events");
  g_string_free (many, TRUE);
  g_clear_pointer (&reply, reply_free);
  reply = push_as (CASHIER, device, NULL, "[{\"seq\": 0, \"id\": \"x\"}]");
  assert_error (reply, 400, "malformed", "events[0].seq");
  g_clear_pointer (&reply, reply_free);
  reply = push_as (CASHIER, device, NULL, "{}");
  assert_error (reply, 400, "malformed", "events");
  g_clear_pointer (&reply, reply_free);
  reply = push_as (CASHIER, "not-a-uuid", NULL, "[]");
  assert_error (reply, 400, "malformed", "device_id");
  g_clear_pointer (&reply, reply_free);
  body = g_strdup_printf ("[{\"seq\": 1, \"id\": \"%s\", \"kind\": \"k\", \"payload\": null},"
                          " {\"seq\": 1, \"id\": \"%s\", \"kind\": \"k\", \"payload\": null}]",
                          device, device);
  reply = push_as (CASHIER, device, NULL, body);
  assert_error (reply, 400, "malformed", "events");
  /* Nothing of a refused push was kept. */
  g_assert_cmpint (count_of ("SELECT count(*) FROM devices WHERE id = ?", device), ==, 0);
}

/* Two tills spend the same last bonuses offline: both sales are recorded,
 * the balance goes below zero and the customer is listed. */
static void
test_sync_push_overspend (void)
{
  g_autofree char *customer = new_customer (env.store1);
  g_autofree char *path = g_strdup_printf ("/api/customers/%s", customer);
  g_autofree char *till1 = g_uuid_string_random ();
  g_autofree char *till2 = g_uuid_string_random ();
  g_autofree char *sale1 = g_uuid_string_random ();
  g_autofree char *sale2 = g_uuid_string_random ();
  g_autofree char *e1 = sale_event (1, sale1, env.store1, customer, 10000, 1, 0, NULL, 1000, 90, 0);
  g_autofree char *e2 = sale_event (1, sale2, env.store1, customer, 10000, 1, 0, NULL, 1000, 90, 0);
  g_autofree char *events1 = g_strdup_printf ("[%s]", e1);
  g_autofree char *events2 = g_strdup_printf ("[%s]", e2);
  g_autoptr (Reply) reply = NULL;
  g_autoptr (Reply) first = NULL;
  g_autoptr (Reply) second = NULL;
  JsonArray *review;

  give_bonus (customer, 1000, "gift");
  first = push_as (CASHIER, till1, NULL, events1);
  assert_pushed (first, 0, "applied", NULL);
  second = push_as (MANAGER, till2, NULL, events2);
  assert_pushed (second, 0, "applied", NULL);
  /* 1000 - 1000 + 90 = 90; 90 - 1000 + 90 = -820. */
  assert_balance (customer, -820);
  review = json_object_get_array_member (push_result (second, 0), "review");
  g_assert_nonnull (review);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (review, 0), "type"), ==,
      "negative_balance");
  g_assert_false (json_object_has_member (push_result (first, 0), "review"));
  call_expect (&reply, "GET", path, ADMIN, NULL, 200);
  g_assert_true (json_object_get_boolean_member (obj (reply), "flagged"));
}

/* The items of @device's events in @who's review list (@filter: its
 * query, or ""), walked a page of @limit at a time; each item once. */
static JsonArray *
review_of_device (int who, const char *filter, const char *device, guint limit)
{
  g_autofree char *path = g_strconcat ("/api/sync/review", filter, NULL);
  g_autoptr (JsonArray) all = all_pages (path, limit, who);
  JsonArray *found = json_array_new ();

  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *item = json_array_get_object_element (all, i);

      if (g_strcmp0 (json_object_get_string_member (item, "device_id"), device) == 0)
        json_array_add_object_element (found, json_object_ref (item));
    }
  return found;
}

static JsonObject *
review_of_kind (JsonArray *items, const char *kind)
{
  for (guint i = 0; i < json_array_get_length (items); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (items, i), "kind"),
                   kind)
        == 0)
      return json_array_get_object_element (items, i);
  g_error ("no %s item among %u", kind, json_array_get_length (items));
}

/* What push listed is HQ's review list: an offline overspend and a
 * rejected event, an admin's and their store's manager's to see and
 * resolve; and the till among the devices. */
static void
test_sync_review (void)
{
  g_autofree char *customer = new_customer (env.store1);
  g_autofree char *device = g_uuid_string_random ();
  g_autofree char *sale = g_uuid_string_random ();
  g_autofree char *odd = g_uuid_string_random ();
  g_autofree char *e1 = sale_event (1, sale, env.store1, customer, 10000, 1, 0, NULL, 1000, 90, 0);
  g_autofree char *e2 = g_strdup_printf (
      "{\"seq\": 2, \"id\": \"%s\", \"kind\": \"rocket.launch\", \"payload\": {}}", odd);
  g_autofree char *events = g_strdup_printf ("[%s, %s]", e1, e2);
  g_autofree char *resolve = NULL;
  g_autofree char *resolve_other = NULL;
  g_autoptr (Reply) reply = NULL;
  g_autoptr (JsonArray) pushed = NULL;
  g_autoptr (JsonArray) items = NULL;
  g_autoptr (JsonArray) resolved = NULL;
  JsonObject *negative, *rejected, *details, *till = NULL;
  JsonArray  *devices;

  give_bonus (customer, 100, "gift");
  reply = push_as (CASHIER, device, NULL, events);
  assert_pushed (reply, 0, "applied", NULL);
  assert_pushed (reply, 1, "rejected", "unknown_kind");
  g_assert_cmpint (balance_of (customer), ==, 100 - 1000 + 90);

  /* The admin sees both, a page at a time. */
  pushed = review_of_device (ADMIN, "", device, 1);
  g_assert_cmpuint (json_array_get_length (pushed), ==, 2);
  negative = review_of_kind (pushed, "negative_balance");
  g_assert_cmpstr (json_object_get_string_member (negative, "customer_id"), ==, customer);
  g_assert_cmpstr (json_object_get_string_member (negative, "store_id"), ==, env.store1);
  g_assert_cmpstr (json_object_get_string_member (negative, "event_kind"), ==, "purchase.create");
  g_assert_cmpint (json_object_get_int_member (negative, "seq"), ==, 1);
  g_assert_false (json_object_get_boolean_member (negative, "resolved"));
  g_assert_cmpint (
      json_object_get_int_member (json_object_get_object_member (negative, "details"), "balance"),
      ==, -810);
  rejected = review_of_kind (pushed, "rejected_event");
  g_assert_cmpstr (json_object_get_string_member (rejected, "event_id"), ==, odd);
  details = json_object_get_object_member (rejected, "details");
  g_assert_cmpstr (json_object_get_string_member (details, "code"), ==, "unknown_kind");
  g_assert_nonnull (json_object_get_string_member (details, "message"));
  g_assert_nonnull (json_object_get_string_member (rejected, "created_at"));
  /* Their store's manager too; another store's manager none of them. */
  items = review_of_device (MANAGER, "", device, 50);
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_clear_pointer (&items, json_array_unref);
  items = review_of_device (MANAGER2, "", device, 50);
  g_assert_cmpuint (json_array_get_length (items), ==, 0);
  call_fails ("GET", "/api/sync/review", CASHIER, NULL, 403, "forbidden", NULL);
  call_fails ("GET", "/api/sync/review", MARKETING, NULL, 403, "forbidden", NULL);
  call_fails ("GET", "/api/sync/review?resolved=maybe", ADMIN, NULL, 400, "malformed", "resolved");
  call_fails ("GET", "/api/sync/review?cursor=garbage", ADMIN, NULL, 400, "malformed", "cursor");

  /* Resolved by the manager, once: again keeps who and when. */
  resolve = g_strdup_printf ("/api/sync/review/%s/resolve",
                             json_object_get_string_member (rejected, "id"));
  resolve_other = g_strdup_printf ("/api/sync/review/%s/resolve",
                                   json_object_get_string_member (negative, "id"));
  call_fails ("POST", resolve_other, MANAGER2, NULL, 403, "forbidden", NULL);
  call_fails ("POST", resolve, CASHIER, NULL, 403, "forbidden", NULL);
  call_fails ("POST", "/api/sync/review/00000000-0000-4000-8000-000000000000/resolve", ADMIN, NULL,
              404, "not_found", NULL);
  call_expect (&reply, "POST", resolve, MANAGER, NULL, 200);
  g_assert_true (json_object_get_boolean_member (obj (reply), "resolved"));
  g_assert_cmpstr (str (reply, "resolved_by_username"), ==, "manager1");
  {
    g_autofree char *at = g_strdup (str (reply, "resolved_at"));

    call_expect (&reply, "POST", resolve, ADMIN, NULL, 200);
    g_assert_cmpstr (str (reply, "resolved_by_username"), ==, "manager1");
    g_assert_cmpstr (str (reply, "resolved_at"), ==, at);
  }
  /* It leaves the default list for the resolved one. */
  g_clear_pointer (&items, json_array_unref);
  items = review_of_device (ADMIN, "", device, 50);
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 0), "kind"),
                   ==, "negative_balance");
  g_clear_pointer (&items, json_array_unref);
  items = review_of_device (ADMIN, "?resolved=false", device, 50);
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  resolved = review_of_device (MANAGER, "?resolved=true", device, 50);
  g_assert_cmpuint (json_array_get_length (resolved), ==, 1);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (resolved, 0), "kind"), ==,
      "rejected_event");

  /* The till among the devices, with what it acknowledged. */
  call_expect (&reply, "GET", "/api/sync/devices?limit=500", ADMIN, NULL, 200);
  devices = json_object_get_array_member (obj (reply), "items");
  for (guint i = 0; i < json_array_get_length (devices); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (devices, i), "id"),
                   device)
        == 0)
      till = json_array_get_object_element (devices, i);
  g_assert_nonnull (till);
  g_assert_cmpstr (json_object_get_string_member (till, "store_id"), ==, env.store1);
  g_assert_cmpstr (json_object_get_string_member (till, "username"), ==, "cashier1");
  g_assert_cmpstr (json_object_get_string_member (till, "app_version"), ==, "test 1");
  g_assert_cmpint (json_object_get_int_member (till, "acked_seq"), ==, 2);
  g_assert_nonnull (json_object_get_string_member (till, "last_seen_at"));
  call_fails ("GET", "/api/sync/devices", MANAGER, NULL, 403, "forbidden", NULL);
}

/* A till registers @phone offline and sells to that customer; the
 * customer, its sale and an edit of it are in @till's outbox. */
static char *
till_registers (SkDatabase *till, const char *name, const char *phone, gint64 price)
{
  g_autoptr (SkCustomer) customer = sk_customer_new ();
  g_autoptr (SkPurchaseRequest) request = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) sold = NULL;
  g_autoptr (GError) error = NULL;

  g_object_set (customer, "full_name", name, "phone", phone, "home-store-id", env.store1, NULL);
  g_assert_true (sk_database_create_customer (till, customer, &error));
  g_assert_no_error (error);
  request->id = g_uuid_string_random ();
  request->customer_id = g_strdup (sk_record_get_id (customer));
  request->cart = sk_cart_new (env.store1);
  sk_cart_add_line (request->cart, "bear", "Teddy bear", "toys", price, 1);
  sold = sk_database_process_purchase (till, request, &error);
  g_assert_no_error (error);
  return g_strdup (sk_record_get_id (customer));
}

/* One person registered offline at two tills (SPEC 6): HQ keeps the
 * registration that reached it first, the second id becomes its alias with
 * both sales and the second till's edit, HQ sees the merge in its review
 * list, and the second till learns it from a pull: one customer there too,
 * with its own sale. */
static void
test_sync_push_merge (void)
{
  g_autoptr (SkDatabase) till1 = till_new ("till-merge-1.db");
  g_autoptr (SkDatabase) till2 = till_new ("till-merge-2.db");
  g_autoptr (SkCustomer) edited = NULL;
  g_autoptr (SkCustomer) at_till = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (Reply) first = NULL;
  g_autoptr (Reply) second = NULL;
  g_autoptr (Reply) again = NULL;
  g_autoptr (JsonArray) before = NULL;
  g_autoptr (JsonArray) merged = NULL;
  g_autoptr (JsonArray) review = NULL;
  g_autofree char *phone = g_strdup_printf ("+7906%07u", g_random_int_range (0, 9999999));
  g_autofree char *cursor = NULL;
  g_autofree char *next = NULL;
  g_autofree char *survivor = till_registers (till1, "Vera Merged", phone, 20000);
  g_autofree char *alias = till_registers (till2, "Vera M.", phone, 30000);
  g_autofree char *events1 = till_events (till1, 1, NULL);
  g_autofree char *events2 = NULL;
  JsonObject      *change, *item;
  gint64           last = 0, hq_balance;

  before = pull_all (NULL, 500, CASHIER, NULL, &cursor);
  /* The second till adds an e-mail to its registration, offline too. */
  edited = sk_database_get_customer (till2, alias, &error);
  g_assert_no_error (error);
  g_object_set (edited, "email", "vera@example.org", NULL);
  g_assert_true (sk_database_update_customer (till2, edited, &error));
  g_assert_no_error (error);
  events2 = till_events (till2, 1, &last);

  first = push_as (CASHIER, sk_database_get_device_id (till1), NULL, events1);
  assert_status (first, 200);
  for (guint i = 0; i < 2; i++)
    assert_pushed (first, i, "applied", NULL);
  second = push_as (MANAGER, sk_database_get_device_id (till2), NULL, events2);
  assert_status (second, 200);
  for (guint i = 0; i < 3; i++)
    assert_pushed (second, i, "applied", NULL);
  g_assert_cmpint (num (second, "acked_seq"), ==, last);
  g_assert_cmpstr (
      json_object_get_string_member (
          json_object_get_object_member (push_result (second, 0), "result"), "merged_into"),
      ==, survivor);

  /* One customer at HQ: both sales, both accruals, the e-mail. */
  g_assert_cmpint (count_of ("SELECT count(*) FROM customers WHERE id = ?", alias), ==, 0);
  g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE customer_id = ?", survivor), ==,
                   2);
  g_assert_cmpint (count_of ("SELECT visits FROM customers WHERE id = ?", survivor), ==, 2);
  g_assert_cmpint (count_of ("SELECT total_spent FROM customers WHERE id = ?", survivor), ==,
                   50000);
  hq_balance = balance_of (survivor);
  g_assert_cmpint (hq_balance, >, 0);
  g_assert_cmpint (sk_database_ledger_sum (env.hq.db, survivor, NULL), ==, hq_balance);
  g_assert_cmpint (
      count_of ("SELECT count(*) FROM customers WHERE id = ? AND email = 'vera@example.org'",
                survivor),
      ==, 1);
  /* Pushed again: the same answers, nothing twice. */
  again = push_as (MANAGER, sk_database_get_device_id (till2), NULL, events2);
  assert_pushed (again, 0, "duplicate", NULL);
  g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE customer_id = ?", survivor), ==,
                   2);
  g_assert_cmpint (balance_of (survivor), ==, hq_balance);

  /* HQ's review list names both ids; the feed says the merge. */
  review = review_of_device (ADMIN, "", sk_database_get_device_id (till2), 50);
  item = review_of_kind (review, "customer_merged");
  g_assert_nonnull (item);
  g_assert_cmpstr (json_object_get_string_member (item, "customer_id"), ==, survivor);
  g_assert_cmpstr (
      json_object_get_string_member (json_object_get_object_member (item, "details"), "alias_id"),
      ==, alias);
  merged = pull_all (cursor, 500, CASHIER, NULL, &next);
  change = sk_test_find_change (merged, "customer", alias);
  g_assert_nonnull (change);
  g_assert_cmpstr (json_object_get_string_member (change, "op"), ==, "merge");
  g_assert_cmpstr (json_object_get_string_member (change, "merged_into"), ==, survivor);

  /* The second till, its outbox acknowledged, applies the pull: one
   * customer, with the till's own sale and ledger rows, HQ's balance. */
  g_assert_true (sk_database_outbox_acknowledge (till2, last, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (sk_database_apply_changes (till2, NULL, merged, next, &error));
  g_assert_no_error (error);
  g_assert_null (sk_database_get_customer (till2, alias, NULL));
  at_till = sk_database_get_customer (till2, survivor, &error);
  g_assert_no_error (error);
  g_assert_cmpint (at_till->bonus_balance, ==, hq_balance);
  g_assert_cmpstr (at_till->phone, ==, phone);
  g_assert_cmpint (sk_db_query_int (till2, NULL, -1,
                                    "SELECT count(*) FROM purchases WHERE customer_id = ?", "s",
                                    survivor),
                   ==, 1);
  g_assert_cmpint (sk_db_query_int (till2, NULL, -1,
                                    "SELECT count(*) FROM bonus_transactions WHERE customer_id = ?",
                                    "s", alias),
                   ==, 0);
  g_assert_cmpint (sk_db_query_int (till2, NULL, -1,
                                    "SELECT count(*) FROM bonus_transactions WHERE customer_id = ?",
                                    "s", survivor),
                   ==, 1);
  /* The ledger is still append-only but for a merge. */
  g_assert_false (
      sk_db_exec (till2, NULL, "UPDATE bonus_transactions SET amount = amount + 1", NULL));
  g_assert_false (
      sk_db_exec (till2, NULL, "UPDATE bonus_transactions SET customer_id = ?", "s", alias));
}

/* acked_seq: the highest sequence acknowledged, never going back. */
static void
test_sync_push_acked (void)
{
  g_autofree char *device = g_uuid_string_random ();
  char            *e[5];
  g_autofree char *first = NULL;
  g_autofree char *rest = NULL;
  g_autoptr (Reply) reply = NULL;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_uuid_string_random ();

      e[i] = sale_event (i + 1, id, env.store1, NULL, 1000, 1, 0, NULL, 0, 0, 0);
    }
  first = g_strdup_printf ("[%s, %s]", e[0], e[1]);
  reply = push_as (CASHIER, device, NULL, first);
  g_assert_cmpint (num (reply, "acked_seq"), ==, 2);
  g_clear_pointer (&reply, reply_free);
  /* The second answer was lost: the till pushes 2 again with the rest. */
  rest = g_strdup_printf ("[%s, %s, %s, %s]", e[1], e[2], e[3], e[4]);
  reply = push_as (CASHIER, device, NULL, rest);
  assert_pushed (reply, 0, "duplicate", NULL);
  for (guint i = 1; i < 4; i++)
    assert_pushed (reply, i, "applied", NULL);
  g_assert_cmpint (num (reply, "acked_seq"), ==, 5);
  g_clear_pointer (&reply, reply_free);
  reply = push_as (CASHIER, device, NULL, first);
  g_assert_cmpint (num (reply, "acked_seq"), ==, 5);
  g_clear_pointer (&reply, reply_free);
  reply = push_as (CASHIER, device, NULL, "[]");
  g_assert_cmpint (num (reply, "acked_seq"), ==, 5);
  for (guint i = 0; i < 5; i++)
    g_free (e[i]);
}

typedef struct
{
  const char *device;
  const char *events;
  Reply      *reply;
} PushAttempt;

static gpointer
push_thread (gpointer data)
{
  PushAttempt *attempt = data;
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autofree char *body = g_strdup_printf ("{\"device_id\": \"%s\", \"events\": %s}",
                                           attempt->device, attempt->events);

  attempt->reply = call_full (session, "POST", "/api/sync/push", env.token[CASHIER], body,
                              strlen (body), NULL);
  return NULL;
}

/* The same batch pushed twice at once: every sale once. */
static void
test_sync_push_concurrent (void)
{
  g_autofree char *device = g_uuid_string_random ();
  g_autofree char *customer = new_customer (env.store1);
  GString         *events = g_string_new ("[");
  PushAttempt      attempts[2];
  GThread         *threads[2];
  char            *ids[10];
  guint            applied = 0;

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autofree char *event = NULL;

      ids[i] = g_uuid_string_random ();
      event = sale_event (i + 1, ids[i], env.store1, customer, 1000, 1, 0, NULL, 0, 10, 0);
      g_string_append_printf (events, "%s%s", i > 0 ? ", " : "", event);
    }
  g_string_append (events, "]");
  for (guint t = 0; t < 2; t++)
    {
      attempts[t] = (PushAttempt){ device, events->str, NULL };
      threads[t] = g_thread_new ("till", push_thread, &attempts[t]);
    }
  for (guint t = 0; t < 2; t++)
    {
      g_thread_join (threads[t]);
      assert_status (attempts[t].reply, 200);
      g_assert_cmpint (num (attempts[t].reply, "acked_seq"), ==, 10);
      for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
        {
          const char *status
              = json_object_get_string_member (push_result (attempts[t].reply, i), "status");

          applied += g_str_equal (status, "applied");
          g_assert_true (g_str_equal (status, "applied") || g_str_equal (status, "duplicate"));
        }
    }
  g_assert_cmpuint (applied, ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE id = ?", ids[i]), ==, 1);
      g_free (ids[i]);
    }
  g_assert_cmpint (count_of ("SELECT visits FROM customers WHERE id = ?", customer), ==, 10);
  g_assert_cmpint (balance_of (customer), ==, 100);
  g_assert_cmpint (count_of ("SELECT count(*) FROM sync_events WHERE device_id = ?", device), ==,
                   10);
  for (guint t = 0; t < 2; t++)
    reply_free (attempts[t].reply);
  g_string_free (events, TRUE);
}

/* One event pushed at once by two devices, both looking it up before
 * either records it (the customer's row is held locked meanwhile): the
 * sale is written once; the device that loses the race is refused the
 * event's id when it records it, and answered as its look-up would answer
 * it now. */
static void
test_sync_push_two_devices (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *customer = new_customer (env.store1);
  g_autofree char *purchase = g_uuid_string_random ();
  g_autofree char *event
      = sale_event (1, purchase, env.store1, customer, 1000, 1, 0, NULL, 0, 10, 0);
  g_autofree char *events = g_strdup_printf ("[%s]", event);
  g_autofree char *device_a = g_uuid_string_random ();
  g_autofree char *device_b = g_uuid_string_random ();
  PushAttempt      attempts[2] = { { device_a, events, NULL }, { device_b, events, NULL } };
  GThread         *threads[2];
  SkStmt          *lock;
  guint            applied = 0, refused = 0;
  gint64           waiting = 0;

  if (g_str_equal (sk_database_get_backend_name (env.hq.db), "sqlite"))
    {
      g_test_skip ("SQLite has one writer at a time");
      return;
    }
  g_assert_true (sk_db_begin (env.hq.db, &error));
  lock = sk_db_query (env.hq.db, &error, "SELECT 1 FROM customers WHERE id = ? FOR UPDATE", "s",
                      customer);
  g_assert_true (sk_db_step (env.hq.db, lock, NULL, &error));
  sk_stmt_reset (lock);
  for (guint t = 0; t < 2; t++)
    threads[t] = g_thread_new ("till", push_thread, &attempts[t]);
  /* Both wait for the row, each having looked the event up. */
  for (guint i = 0; i < 1000 && waiting < 2; i++)
    {
      g_usleep (10 * 1000);
      waiting
          = sk_db_query_int (env.hq.db, &error, -1,
                             "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted", NULL);
    }
  g_assert_cmpint (waiting, ==, 2);
  g_assert_true (sk_db_commit (env.hq.db, &error));
  g_assert_no_error (error);

  for (guint t = 0; t < 2; t++)
    {
      JsonObject *result;

      g_thread_join (threads[t]);
      assert_status (attempts[t].reply, 200);
      g_assert_cmpint (num (attempts[t].reply, "acked_seq"), ==, 1);
      result = push_result (attempts[t].reply, 0);
      if (g_str_equal (json_object_get_string_member (result, "status"), "applied"))
        applied++;
      else
        {
          g_assert_cmpstr (json_object_get_string_member (result, "status"), ==, "rejected");
          g_assert_cmpstr (json_object_get_string_member (result, "code"), ==,
                           "idempotency_mismatch");
          refused++;
        }
      reply_free (attempts[t].reply);
    }
  g_assert_cmpuint (applied, ==, 1);
  g_assert_cmpuint (refused, ==, 1);
  g_assert_cmpint (count_of ("SELECT count(*) FROM purchases WHERE id = ?", purchase), ==, 1);
  g_assert_cmpint (count_of ("SELECT visits FROM customers WHERE id = ?", customer), ==, 1);
  g_assert_cmpint (balance_of (customer), ==, 10);
}

static void
setup (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) s1 = sk_store_new ();
  g_autoptr (SkStore) s2 = sk_store_new ();
  struct
  {
    const char *name, *password, *role;
    char      **store;
  } users[] = {
    { "admin", "admin-pass", "admin", NULL },
    { "marketing1", "marketing-pass", "marketing", NULL },
    { "manager1", "manager-pass", "manager", &env.store1 },
    { "cashier1", "cashier-pass", "cashier", &env.store1 },
    { "manager2", "manager-pass", "manager", &env.store2 },
  };
  guint i;

  sk_test_hq_open (&env.hq, "skidka-server-XXXXXX");

  g_object_set (s1, "code", "S1", "name", "Store one", NULL);
  g_object_set (s2, "code", "S2", "name", "Store two", NULL);
  g_assert_true (sk_database_save_store (env.hq.db, s1, &error));
  g_assert_true (sk_database_save_store (env.hq.db, s2, &error));
  env.store1 = g_strdup (sk_record_get_id (s1));
  env.store2 = g_strdup (sk_record_get_id (s2));
  for (i = 0; i < G_N_ELEMENTS (users); i++)
    {
      g_autofree char *id
          = sk_auth_create_user (env.hq.db, users[i].name, users[i].password, users[i].role,
                                 users[i].store ? *users[i].store : NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (id);
    }

  {
    SkServerConfig *config = sk_test_server_config (env.hq.path, 8);

    config->trusted_proxies = g_strsplit ("127.0.0.1", ";", -1);
    sk_test_hq_serve (&env.hq, config);
  }

  env.session = soup_session_new ();
  for (i = 0; i < G_N_ELEMENTS (users); i++)
    env.token[i] = login (users[i].name, users[i].password);
}

static void
teardown (void)
{
  guint i;

  sk_test_hq_close (&env.hq);
  g_clear_object (&env.session);
  for (i = 0; i < G_N_ELEMENTS (env.token); i++)
    g_free (env.token[i]);
  g_free (env.store1);
  g_free (env.store2);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  sk_postgres_init ();
  setup ();
  g_test_add_func ("/server/health", test_health);
  g_test_add_func ("/server/route-table", test_route_table);
  g_test_add_func ("/server/auth", test_auth);
  g_test_add_func ("/server/auth/revoked-everywhere", test_revoked_everywhere);
  g_test_add_func ("/server/customers", test_customers);
  g_test_add_func ("/server/customers/pages", test_customers_pages);
  g_test_add_func ("/server/bonuses", test_bonuses);
  g_test_add_func ("/server/rules", test_rules);
  g_test_add_func ("/server/calculate", test_calculate);
  g_test_add_func ("/server/calculate/everywhere", test_calculate_everywhere);
  g_test_add_func ("/server/pos", test_pos);
  g_test_add_func ("/server/pos/store-sales", test_pos_store_sales);
  g_test_add_func ("/server/analytics", test_analytics);
  g_test_add_func ("/server/stores-campaigns-users", test_stores_campaigns_users);
  g_test_add_func ("/server/roles", test_roles);
  g_test_add_func ("/server/policy", test_policy);
  g_test_add_func ("/server/policy/defects", test_policy_defects);
  g_test_add_func ("/server/policy/home-store", test_policy_home_store);
  g_test_add_func ("/server/policy/create-only", test_policy_create_only);
  g_test_add_func ("/server/policy/config", test_policy_config);
  g_test_add_func ("/server/config", test_config);
  g_test_add_func ("/server/sync/pull", test_sync_pull);
  g_test_add_func ("/server/sync/pull/late-commit", test_sync_pull_late_commit);
  g_test_add_func ("/server/sync/pull/concurrent-writers", test_sync_pull_concurrent_writers);
  g_test_add_func ("/server/concurrent/spend", test_concurrent_spend);
  g_test_add_func ("/server/concurrent/purchases", test_concurrent_purchases);
  g_test_add_func ("/server/concurrent/usage-limit", test_concurrent_usage_limit);
  g_test_add_func ("/server/concurrent/usage-limit-race", test_concurrent_usage_limit_race);
  g_test_add_func ("/server/sync/push", test_sync_push);
  g_test_add_func ("/server/sync/push/prices", test_sync_push_prices);
  g_test_add_func ("/server/sync/push/line-amounts", test_sync_push_line_amounts);
  g_test_add_func ("/server/sync/push/rejections", test_sync_push_rejections);
  g_test_add_func ("/server/sync/push/device", test_sync_push_device);
  g_test_add_func ("/server/sync/push/limits", test_sync_push_limits);
  g_test_add_func ("/server/sync/push/overspend", test_sync_push_overspend);
  g_test_add_func ("/server/sync/push/acked", test_sync_push_acked);
  g_test_add_func ("/server/sync/push/merge", test_sync_push_merge);
  g_test_add_func ("/server/sync/review", test_sync_review);
  g_test_add_func ("/server/sync/push/concurrent", test_sync_push_concurrent);
  g_test_add_func ("/server/sync/push/two-devices", test_sync_push_two_devices);
  g_test_add_func ("/server/notifications/pages", test_notifications_pages);
  g_test_add_func ("/server/customers/ledger-pages", test_customer_pages);
  g_test_add_func ("/server/limits", test_limits);
  g_test_add_func ("/server/limits/json-depth", test_json_depth);
  g_test_add_func ("/server/limits/connections", test_connection_limits);
  g_test_add_func ("/server/limits/bad-paths", test_bad_paths);
  g_test_add_func ("/server/login-rate-limit", test_login_rate_limit);
  g_test_add_func ("/server/program", test_program);
  g_test_add_func ("/server/tls", test_tls);
  /* Last: they lock out the address for the rest of the window. */
  g_test_add_func ("/server/login-rate-limit/parallel", test_login_parallel);
  g_test_add_func ("/server/login-rate-limit/address", test_login_address);
  status = g_test_run ();
  teardown ();
  return status;
}
