/* fuzz-server.c: one route family (SK_FUZZ_FAMILY) of skidka-server fed fuzzed requests.
 *
 * An input is a request in a small text form:
 *
 *   A POST /api/customers?limit=5        <- role letter, method, path and query
 *   If-Match: "1"                        <- optional
 *   {"full_name": "..."}                 <- the rest is the body
 *
 * The role letter: A admin, K marketing, M and C the manager and cashier of
 * store 1, m and c those of store 2; any other byte picks one of the six, so
 * the authorisation paths are fuzzed as well. Each request runs as the
 * server's worker () runs it (the role check, the write lock, the handler);
 * the answer must be below 500, valid UTF-8 JSON, and an error must have the
 * documented shape.
 *
 * The database is in memory, seeded once (stores, customers, a rule, a
 * campaign, a sale, accounts), and made anew every RESET_EVERY inputs: the
 * handlers write, and a file that grows without end would slow the run. A
 * crash that needs the writes of earlier inputs may so not reproduce from
 * its input alone; run the corpus (or -runs on a directory) to replay it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include <sodium.h>

#include "fuzz-common.h"
#include "sk-database-private.h"
#include "sk-server-private.h"

#ifndef SK_FUZZ_FAMILY
#error "Build with -DSK_FUZZ_FAMILY=\"customers\" (or another family below)"
#endif

#define RESET_EVERY 10000

#define STORE_1    "11111111-1111-4111-8111-111111111111"
#define STORE_2    "22222222-2222-4222-8222-222222222222"
#define CUSTOMER_1 "33333333-3333-4333-8333-333333333333"
#define CUSTOMER_2 "44444444-4444-4444-8444-444444444444"
#define RULE_1     "55555555-5555-4555-8555-555555555555"
#define CAMPAIGN_1 "66666666-6666-4666-8666-666666666666"
#define PURCHASE_1 "77777777-7777-4777-8777-777777777777"

/* The path prefixes of each family: a request outside them is skipped, so
 * each target spends its time on its own handlers. */
typedef struct
{
  const char *name;
  const char *prefixes[4];
} Family;

static const Family families[] = {
  { "auth", { "/api/auth/", "/api/health" } },
  { "customers", { "/api/customers", "/api/notifications", "/api/unsubscribe" } },
  { "bonuses", { "/api/bonuses/" } },
  { "records", { "/api/discounts/rules", "/api/stores", "/api/campaigns" } },
  { "calculate", { "/api/discounts/calculate", "/api/pos/customer/" } },
  { "pos", { "/api/pos/process-purchase", "/api/pos/refund", "/api/pos/purchases" } },
  { "analytics", { "/api/analytics" } },
  { "users", { "/api/users" } },
  { "sync", { "/api/sync/" } },
  { "products", { "/api/products" } },
};

/* The accounts a request may come from. */
typedef struct
{
  char        letter;
  const char *id;
  const char *username;
  SkRole      role;
  const char *store_id;
} Account;

static const Account accounts[] = {
  { 'A', "a0000000-0000-4000-8000-000000000001", "admin", SK_ROLE_ADMIN, NULL },
  { 'K', "a0000000-0000-4000-8000-000000000002", "marketing", SK_ROLE_MARKETING, NULL },
  { 'M', "a0000000-0000-4000-8000-000000000003", "manager1", SK_ROLE_MANAGER, STORE_1 },
  { 'C', "a0000000-0000-4000-8000-000000000004", "cashier1", SK_ROLE_CASHIER, STORE_1 },
  { 'm', "a0000000-0000-4000-8000-000000000005", "manager2", SK_ROLE_MANAGER, STORE_2 },
  { 'c', "a0000000-0000-4000-8000-000000000006", "cashier2", SK_ROLE_CASHIER, STORE_2 },
};

static const Family   *family;
static SkDatabase     *db;
static SkServerConfig *config;
static SkRateLimiter  *limiter;
static SkWriteLock     write_lock;
static guint           inputs;
static gboolean        verbose; /* SKIDKA_FUZZ_VERBOSE: each answer on stderr */

/* Argon2 at the interactive cost takes tens of milliseconds and 64 MiB a
 * call: logins and new accounts would spend the fuzzer's time in
 * libsodium, not in our code. These stand-ins are linked into the target
 * ahead of libsodium's; they keep a hash per password, so right and wrong
 * passwords still behave as such. */
int
crypto_pwhash_str_alg (char               out[crypto_pwhash_STRBYTES],
                       const char *const  passwd,
                       unsigned long long passwdlen,
                       unsigned long long opslimit,
                       size_t             memlimit,
                       int                alg)
{
  g_autofree char *digest
      = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)passwd, passwdlen);

  g_snprintf (out, crypto_pwhash_STRBYTES, "$fuzz$%s", digest);
  return 0;
}

int
crypto_pwhash_str_verify (const char         str[crypto_pwhash_STRBYTES],
                          const char *const  passwd,
                          unsigned long long passwdlen)
{
  char expected[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str_alg (expected, passwd, passwdlen, 0, 0, 0) != 0)
    return -1;
  return strcmp (str, expected) == 0 ? 0 : -1;
}

static void
check_no_error (GError *error, const char *what)
{
  if (error != NULL)
    sk_fuzz_fail ("seeding the database (%s): %s", what, error->message);
}

static void
seed_database (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store1 = sk_store_new ();
  g_autoptr (SkStore) store2 = sk_store_new ();
  g_autoptr (SkCustomer) customer1 = sk_customer_new ();
  g_autoptr (SkCustomer) customer2 = sk_customer_new ();
  g_autoptr (SkCampaign) campaign = sk_campaign_new ();
  g_autoptr (SkDiscountRule) rule = sk_discount_rule_new ();
  g_autoptr (SkPurchaseRequest) sale = g_new0 (SkPurchaseRequest, 1);
  g_autoptr (SkPurchaseResult) result = NULL;
  const char *categories[] = { "toys", NULL };

  g_clear_object (&db);
  db = sk_database_open (":memory:", &error);
  check_no_error (error, "open");

  g_object_set (store1, "id", STORE_1, "code", "S1", "name", "Store one", NULL);
  g_object_set (store2, "id", STORE_2, "code", "S2", "name", "Store two", NULL);
  sk_database_save_store (db, store1, &error);
  check_no_error (error, "store 1");
  sk_database_save_store (db, store2, &error);
  check_no_error (error, "store 2");

  g_object_set (customer1, "id", CUSTOMER_1, "full_name", "Anna Ivanova", "phone", "+79001234567",
                "card_number", "2000000000011", "home_store_id", STORE_1, NULL);
  g_object_set (customer2, "id", CUSTOMER_2, "full_name", "Boris Petrov", "phone", "+79007654321",
                "home_store_id", STORE_2, NULL);
  sk_database_create_customer (db, customer1, &error);
  check_no_error (error, "customer 1");
  sk_database_create_customer (db, customer2, &error);
  check_no_error (error, "customer 2");

  g_object_set (campaign, "id", CAMPAIGN_1, "name", "Spring", "status", "active", NULL);
  sk_database_save_campaign (db, campaign, &error);
  check_no_error (error, "campaign");
  g_object_set (rule, "id", RULE_1, "name", "Toys -10%", "type", SK_RULE_PERCENTAGE, "value",
                (gint64)1000, "categories", categories, "campaign_id", CAMPAIGN_1, NULL);
  sk_database_save_rule (db, rule, &error);
  check_no_error (error, "rule");

  sale->id = g_strdup (PURCHASE_1);
  sale->customer_id = g_strdup (CUSTOMER_1);
  sale->cart = sk_cart_new (STORE_1);
  sk_cart_add_line (sale->cart, "SKU-1", "Bear", "toys", 150000, 2);
  sk_cart_add_line (sale->cart, "SKU-2", "Socks", "clothes", 30000, 1);
  result = sk_database_process_purchase (db, sale, &error);
  check_no_error (error, "purchase");

  for (guint i = 0; i < G_N_ELEMENTS (accounts); i++)
    {
      const Account   *a = &accounts[i];
      g_autofree char *password = g_strconcat (a->username, "-pass", NULL);
      g_autofree char *id = sk_auth_create_user (db, a->username, password,
                                                 sk_role_to_string (a->role), a->store_id, &error);

      check_no_error (error, a->username);
      /* Fixed ids, so a seed can name an account in a path. */
      sk_db_exec (db, &error, "UPDATE users SET id = ? WHERE id = ?", "ss", a->id, id);
      check_no_error (error, "account id");
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  sk_fuzz_init ();
  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    if (g_str_equal (families[i].name, SK_FUZZ_FAMILY))
      family = &families[i];
  if (family == NULL)
    sk_fuzz_fail ("no route family %s", SK_FUZZ_FAMILY);
  if (sodium_init () < 0)
    sk_fuzz_fail ("libsodium could not start");
  verbose = g_getenv ("SKIDKA_FUZZ_VERBOSE") != NULL;
  config = sk_server_config_new ();
  limiter = sk_rate_limiter_new (5, 15 * 60);
  g_mutex_init (&write_lock.mutex);
  seed_database ();
  return 0;
}

static gboolean
in_family (const char *path)
{
  for (guint i = 0; i < G_N_ELEMENTS (family->prefixes) && family->prefixes[i] != NULL; i++)
    if (g_str_has_prefix (path, family->prefixes[i]))
      return TRUE;
  return FALSE;
}

static SkServerUser *
account_user (guchar letter)
{
  const Account *a = &accounts[letter % G_N_ELEMENTS (accounts)];
  SkServerUser  *user = g_new0 (SkServerUser, 1);

  for (guint i = 0; i < G_N_ELEMENTS (accounts); i++)
    if (accounts[i].letter == letter)
      a = &accounts[i];
  user->id = g_strdup (a->id);
  user->username = g_strdup (a->username);
  user->role = a->role;
  user->store_id = g_strdup (a->store_id);
  user->token_hash = g_strdup ("fuzz-token-hash");
  return user;
}

/* The checks on every answer. */
/* A price list refused: the error, and its rows (ProductImportErrors). */
static void
check_import_errors (JsonNode *node)
{
  g_autoptr (JsonNode) error_only = NULL;
  JsonObject *root;
  JsonArray  *errors;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    sk_fuzz_fail ("an import's error answer that is not an object");
  root = json_node_get_object (node);
  if (!json_object_has_member (root, "errors"))
    {
      sk_fuzz_check_error (node);
      return;
    }
  errors = json_object_get_array_member (root, "errors");
  if (errors == NULL || json_array_get_length (errors) == 0
      || json_object_get_int_member_with_default (root, "error_count", 0)
             < (gint64)json_array_get_length (errors))
    sk_fuzz_fail ("an import's error answer without its rows");
  for (guint i = 0; i < json_array_get_length (errors); i++)
    {
      JsonObject *e = json_array_get_object_element (errors, i);

      if (e == NULL || !json_object_has_member (e, "line") || !json_object_has_member (e, "column")
          || json_object_get_string_member_with_default (e, "message", NULL) == NULL)
        sk_fuzz_fail ("an import's error row not of the shape {line, column, message}");
    }
  error_only = json_node_copy (node);
  json_object_remove_member (json_node_get_object (error_only), "errors");
  json_object_remove_member (json_node_get_object (error_only), "error_count");
  sk_fuzz_check_error (error_only);
}

static void
check_answer (const SkRequest *r)
{
  guint status = r->status ? r->status : (r->response != NULL || r->raw != NULL ? 200 : 204);

  if (status >= 500)
    {
      g_autofree char *text = r->response ? sk_json_to_string (r->response, FALSE) : NULL;

      sk_fuzz_fail ("%s %s answered %u: %s", r->method, r->path, status, text ? text : "");
    }
  if (status < 100)
    sk_fuzz_fail ("%s %s answered status %u", r->method, r->path, status);
  if (r->response != NULL)
    sk_fuzz_check_json (r->response);
  if (r->raw != NULL)
    {
      gsize       length = 0;
      const char *data = g_bytes_get_data (r->raw, &length);

      sk_fuzz_check_json_text (data, length);
    }
  if (status >= 400)
    {
      if (r->raw != NULL)
        sk_fuzz_fail ("%s %s answered %u with a ready body", r->method, r->path, status);
      if (status == 400 && g_str_equal (r->route->pattern, "/api/products/import"))
        check_import_errors (r->response);
      else
        sk_fuzz_check_error (r->response);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *line = NULL;
  g_auto (GStrv) words = NULL;
  g_autoptr (GPtrArray) args = NULL;
  const uint8_t *end = data + size;
  const uint8_t *rest;
  const SkRoute *route;
  gboolean       path_known = FALSE;
  const char    *target, *question;
  SkRequest      request = { 0 };
  SkRequest     *r = &request;

  if (size < 2)
    return 0;
  if (++inputs % RESET_EVERY == 0)
    seed_database ();

  /* "R METHOD TARGET" up to the first newline. */
  rest = memchr (data, '\n', size);
  rest = rest != NULL ? rest + 1 : end;
  line = sk_fuzz_strndup (data + 1, rest - data - 1);
  g_strchomp (line);
  words = g_strsplit (g_strchug (line), " ", 2);
  if (words[0] == NULL || words[1] == NULL)
    return 0;
  target = words[1];
  question = strchr (target, '?');
  r->path = question ? g_strndup (target, question - target) : g_strdup (target);
  if (!in_family (r->path))
    {
      g_free (r->path);
      return 0;
    }
  if (question != NULL)
    {
      /* As libsoup decodes a query; one it cannot decode never reaches us. */
      r->query = g_uri_parse_params (question + 1, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
      if (r->query == NULL)
        {
          g_free (r->path);
          return 0;
        }
    }
  else
    r->query = g_hash_table_new (g_str_hash, g_str_equal);

  args = g_ptr_array_new_with_free_func (g_free);
  route = sk_server_route_find (words[0], r->path, args, &path_known);
  if (route == NULL)
    {
      g_free (r->path);
      g_hash_table_unref (r->query);
      return 0;
    }

  if ((size_t)(end - rest) >= 9 && g_ascii_strncasecmp ((const char *)rest, "If-Match:", 9) == 0)
    {
      const uint8_t *eol = memchr (rest, '\n', end - rest);

      eol = eol != NULL ? eol : end;
      r->if_match = sk_fuzz_strndup (rest + 9, eol - rest - 9);
      rest = eol < end ? eol + 1 : end;
    }
  if (rest < end)
    r->body = g_bytes_new (rest, end - rest);

  r->db = db;
  r->config = config;
  r->method = route->method;
  r->args = g_steal_pointer (&args);
  r->remote = g_strdup ("192.0.2.1");
  r->limiter = limiter;
  r->write_lock = &write_lock;
  r->route = route;

  /* What worker () does between authentication and the reply. */
  if (route->roles != SK_ROLE_NONE)
    {
      r->user = account_user (data[0]);
      if (!(r->user->role & route->roles))
        sk_request_fail (r, SK_ERROR_FORBIDDEN, NULL, "Your role may not do this");
    }
  if (r->status == 0 && (route->flags & SK_ROUTE_WRITES))
    {
      gint64 acquired = sk_write_lock_acquire (r->write_lock);

      route->handler (r);
      sk_write_lock_release (r->write_lock, acquired);
    }
  else if (r->status == 0)
    route->handler (r);

  if (verbose)
    {
      g_autofree char *text = r->response ? sk_json_to_string (r->response, FALSE) : NULL;

      fprintf (stderr, "%s %s -> %u %.300s\n", r->method, r->path, r->status, text ? text : "");
    }
  check_answer (r);

  sk_request_clear (r);
  return 0;
}
