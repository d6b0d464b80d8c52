/* sk-server-routes.c: the REST API of SPEC section 5: one table of routes and their roles, and the handlers.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <string.h>

#include "sk-analytics.h"
#include "sk-money.h"
#include "sk-server-private.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT     500

/* Replies */

void
sk_request_reply (SkRequest *request,
                  guint      status,
                  JsonNode  *node)
{
  g_return_if_fail (request != NULL);

  g_clear_pointer (&request->response, json_node_unref);
  request->status = status;
  request->response = node;
}

void
sk_request_fail (SkRequest   *request,
                 SkErrorCode  code,
                 const char  *field,
                 const char  *message)
{
  g_return_if_fail (request != NULL);

  sk_request_reply (request, sk_error_code_to_http_status (code),
                    sk_error_to_json (sk_error_code_to_string (code), message, field));
}

void
sk_request_set_error (SkRequest    *request,
                      const GError *error)
{
  g_return_if_fail (request != NULL);

  if (error == NULL)
    {
      sk_request_fail (request, SK_ERROR_DATABASE, NULL, "Something went wrong on the server");
      return;
    }
  if (error->domain != SK_ERROR || error->code == SK_ERROR_DATABASE || error->code == SK_ERROR_SCHEMA_TOO_NEW)
    {
      /* Never SQL text in a response; the log has it. */
      g_message ("%s %s: %s", request->method, request->path, error->message);
      sk_request_fail (request, SK_ERROR_DATABASE, NULL, "The database could not do this; try again");
      return;
    }
  sk_request_fail (request, error->code, sk_error_get_field (error), error->message);
}

static void
reply_record (SkRequest *r,
              guint      status,
              gpointer   record)
{
  GParamSpec *version = g_object_class_find_property (G_OBJECT_GET_CLASS (record), "version");

  if (version != NULL)
    {
      gint64 v = 0;

      g_object_get (record, "version", &v, NULL);
      g_free (r->etag);
      r->etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", v);
    }
  sk_request_reply (r, status, sk_record_to_json (record));
}

static void
reply_too_many (SkRequest *r)
{
  sk_request_reply (r, 429, sk_error_to_json ("too_many_attempts",
                                              "Too many failed logins; wait a while and try again",
                                              NULL));
}

/* Input */

static JsonObject *
body_object (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  gsize length = 0;
  const char *data = r->body ? g_bytes_get_data (r->body, &length) : NULL;

  if (data == NULL || length == 0)
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, NULL, "The request needs a JSON object");
      return NULL;
    }
  if (!g_utf8_validate (data, length, NULL))
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, NULL, "The request is not UTF-8");
      return NULL;
    }
  node = sk_json_parse (data, length, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, NULL, "The request is not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

/* A member of the body: FALSE (and the request failed) when a required one
 * is absent or null; *node is NULL when an optional one is. */
static gboolean
member_node (SkRequest   *r,
             JsonObject  *object,
             const char  *name,
             gboolean     required,
             JsonNode   **node)
{
  *node = json_object_get_member (object, name);
  if (*node != NULL && JSON_NODE_HOLDS_NULL (*node))
    *node = NULL;
  if (*node == NULL && required)
    {
      g_autofree char *message = g_strdup_printf ("%s is required", name);
      sk_request_fail (r, SK_ERROR_MALFORMED, name, message);
      return FALSE;
    }
  return TRUE;
}

/* A member of @type, or fails the request naming what it should be. */
static gboolean
member_is (SkRequest  *r,
           JsonNode   *node,
           const char *name,
           GType       type,
           const char *what)
{
  g_autofree char *message = NULL;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type)
    return TRUE;
  message = g_strdup_printf ("%s must be %s", name, what);
  sk_request_fail (r, SK_ERROR_MALFORMED, name, message);
  return FALSE;
}

/* A string member: absent or null gives NULL; another type is malformed. */
static gboolean
member_string (SkRequest   *r,
               JsonObject  *object,
               const char  *name,
               gboolean     required,
               const char **out)
{
  JsonNode *node;

  *out = NULL;
  if (!member_node (r, object, name, required, &node))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!member_is (r, node, name, G_TYPE_STRING, "a string"))
    return FALSE;
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
member_int (SkRequest  *r,
            JsonObject *object,
            const char *name,
            gboolean    required,
            gint64     *out)
{
  JsonNode *node;

  if (!member_node (r, object, name, required, &node))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!member_is (r, node, name, G_TYPE_INT64, "a whole number"))
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static const char *
query (SkRequest  *r,
       const char *name)
{
  const char *value = g_hash_table_lookup (r->query, name);

  return value != NULL && *value != '\0' ? value : NULL;
}

static gboolean
query_limit (SkRequest *r,
             guint     *limit)
{
  const char *text = query (r, "limit");
  guint64 value = DEFAULT_LIMIT;

  if (text != NULL && !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL))
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "limit", "limit must be a whole number");
      return FALSE;
    }
  if (value < 1 || value > MAX_LIMIT)
    {
      sk_request_fail (r, SK_ERROR_INVALID, "limit", "limit must be from 1 to 500");
      return FALSE;
    }
  *limit = value;
  return TRUE;
}

static gboolean
query_time (SkRequest  *r,
            const char *name,
            gint64      fallback,
            gint64     *out)
{
  const char *text = query (r, name);

  *out = fallback;
  if (text != NULL && !sk_time_from_rfc3339 (text, out))
    {
      g_autofree char *message = g_strdup_printf ("%s must be an RFC 3339 time", name);
      sk_request_fail (r, SK_ERROR_MALFORMED, name, message);
      return FALSE;
    }
  return TRUE;
}

static const char *
arg (SkRequest *r,
     guint      i)
{
  return g_ptr_array_index (r->args, i);
}

/* Roles bound to a store act on their own store only. */
static gboolean
store_allowed (SkRequest  *r,
               const char *store_id)
{
  if (r->user == NULL || !(r->user->role & SK_ROLES_STORE))
    return TRUE;
  if (g_strcmp0 (store_id, r->user->store_id) == 0)
    return TRUE;
  sk_request_fail (r, SK_ERROR_FORBIDDEN, "store_id", "You may act only for your own store");
  return FALSE;
}

static const char *
own_store (SkRequest *r)
{
  return r->user != NULL && (r->user->role & SK_ROLES_STORE) ? r->user->store_id : NULL;
}

/* The policy (SPEC 5; README, "Who may do what"): customers are members of
 * the chain, but a customer is of a store when it is the customer's home
 * store or the customer bought there. *own is TRUE for HQ roles. */
static gboolean
customer_is_own (SkRequest  *r,
                 SkCustomer *customer,
                 gboolean   *own,
                 GError    **error)
{
  g_autofree char *home = NULL;
  const char *store = own_store (r);

  *own = TRUE;
  if (store == NULL)
    return TRUE;
  g_object_get (customer, "home-store-id", &home, NULL);
  if (g_strcmp0 (home, store) == 0)
    return TRUE;
  return sk_database_customer_bought_at (r->db, sk_record_get_id (customer), store, own, error);
}

/* May the caller write for @customer, or read its ledger and purchases?
 * Store roles: for the customers of their own store only. */
static gboolean
customer_allowed (SkRequest  *r,
                  SkCustomer *customer)
{
  g_autoptr(GError) error = NULL;
  gboolean own = FALSE;

  if (!customer_is_own (r, customer, &own, &error))
    {
      sk_request_set_error (r, error);
      return FALSE;
    }
  if (!own)
    sk_request_fail (r, SK_ERROR_FORBIDDEN, NULL,
                     "This customer is another store's: neither its home store nor a store where it bought");
  return own;
}

/* {"items": [...], "next_cursor": ...}: a page of @records. */
static void
reply_items (SkRequest *r,
             GPtrArray *records,
             const char *next_cursor)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < records->len; i++)
    sk_record_build_json (g_ptr_array_index (records, i), builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next_cursor");
  if (next_cursor != NULL)
    json_builder_add_string_value (builder, next_cursor);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

/* A page of an in-memory list (of the few rules, stores or campaigns of a
 * chain); the cursor is the offset of the next item. */
static void
reply_page (SkRequest *r,
            GPtrArray *records)
{
  const char *cursor = query (r, "cursor");
  g_autofree char *next = NULL;
  guint64 offset = 0;
  guint limit;

  if (!query_limit (r, &limit))
    return;
  if (cursor != NULL && !g_ascii_string_to_unsigned (cursor, 10, 0, G_MAXUINT, &offset, NULL))
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "cursor", "The cursor is not one this server gave");
      return;
    }
  if (offset + limit < records->len)
    next = g_strdup_printf ("%" G_GUINT64_FORMAT, offset + limit);
  g_ptr_array_remove_range (records, 0, MIN (offset, records->len));
  if (records->len > limit)
    g_ptr_array_set_size (records, limit);
  reply_items (r, records, next);
}

static void
reply_list (SkRequest *r,
            GPtrArray *records,
            GError    *error)
{
  if (records == NULL)
    sk_request_set_error (r, error);
  else
    reply_page (r, records);
}

/* The version the client saw: If-Match wins over a "version" member. A
 * request with neither updates unconditionally. */
static gboolean
apply_version (SkRequest  *r,
               gpointer    record,
               JsonObject *object)
{
  gint64 version = -1;

  if (r->if_match != NULL)
    {
      g_autofree char *tag = g_strdup (r->if_match);
      char *text = g_strstrip (tag);

      if (g_str_equal (text, "*"))
        return TRUE;
      if (g_str_has_prefix (text, "W/"))
        text += 2;
      if (*text == '"')
        text++;
      if (*text != '\0' && text[strlen (text) - 1] == '"')
        text[strlen (text) - 1] = '\0';
      if (!g_ascii_string_to_signed (text, 10, 1, G_MAXINT64, &version, NULL))
        version = -1;
      if (version < 1)
        {
          sk_request_fail (r, SK_ERROR_STALE, "version", "The record has changed since you read it");
          return FALSE;
        }
    }
  else if (json_object_has_member (object, "version"))
    {
      if (!member_int (r, object, "version", TRUE, &version))
        return FALSE;
      if (version < 1)
        {
          sk_request_fail (r, SK_ERROR_STALE, "version", "The record has changed since you read it");
          return FALSE;
        }
    }
  if (version > 0)
    g_object_set (record, "version", version, NULL);
  return TRUE;
}

/* Parses the body into a new record of @type (POST). */
static gpointer
body_record (SkRequest *r,
             GType      type)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  gpointer record;

  if (object == NULL)
    return NULL;
  node = json_node_init_object (json_node_alloc (), object);
  record = sk_record_from_json (type, node, &error);
  if (record == NULL)
    sk_request_set_error (r, error);
  return record;
}

/* Applies the body onto @record (PUT), keeping its id. */
static gboolean
body_update (SkRequest *r,
             gpointer   record)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup (sk_record_get_id (record));

  if (object == NULL || !apply_version (r, record, object))
    return FALSE;
  if (!sk_record_update_from_json (record, object, &error))
    {
      sk_request_set_error (r, error);
      return FALSE;
    }
  g_object_set (record, "id", id, NULL);
  return TRUE;
}

/* Public */

static void
handle_health (SkRequest *r)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "schema_version");
  json_builder_add_int_value (builder, sk_database_get_schema_version (r->db));
  json_builder_set_member_name (builder, "database");
  json_builder_add_string_value (builder, sk_database_get_backend_name (r->db));
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
handle_openapi (SkRequest *r)
{
  static GBytes *document = NULL;

  if (g_once_init_enter (&document))
    {
      g_autoptr(JsonNode) node = sk_server_openapi ();
      char *text = sk_json_to_string (node, TRUE);

      g_once_init_leave (&document, g_bytes_new_take (text, strlen (text)));
    }
  r->status = 200;
  r->raw = g_bytes_ref (document);
}

static JsonNode *
user_to_json (const char *id,
              const char *username,
              SkRole      role,
              const char *store_id)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, sk_role_to_string (role));
  json_builder_set_member_name (builder, "store_id");
  if (store_id != NULL)
    json_builder_add_string_value (builder, store_id);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
handle_login (SkRequest *r)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(SkServerUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *token = NULL;
  g_autofree char *user_key = NULL;
  g_autofree char *addr_key = NULL;
  g_autofree char *pair_key = NULL;
  g_autofree char *expires = NULL;
  gboolean known, failed;
  const char *username, *password;
  SkRateLimiter *limiter = r->limiter;

  if (object == NULL ||
      !member_string (r, object, "username", TRUE, &username) ||
      !member_string (r, object, "password", TRUE, &password))
    return;
  user_key = g_strconcat ("user:", username, NULL);
  addr_key = g_strconcat ("addr:", r->remote ? r->remote : "-", NULL);
  pair_key = g_strconcat ("pair:", r->remote ? r->remote : "-", "\n", username, NULL);
  /* Many tills of a store may share one address: it gets more tries. A name
   * that has logged in from this address before is not held back by other
   * names' failures there (behind a proxy every till has one address). */
  known = sk_rate_limiter_known (limiter, pair_key);
  if (!sk_rate_limiter_begin (limiter, user_key, 1))
    {
      reply_too_many (r);
      return;
    }
  if (!known && !sk_rate_limiter_begin (limiter, addr_key, 4))
    {
      sk_rate_limiter_end (limiter, user_key, FALSE);
      reply_too_many (r);
      return;
    }
  token = sk_auth_login (r->db, username, password, r->config->token_lifetime, &user, &error);
  failed = token == NULL && g_error_matches (error, SK_ERROR, SK_ERROR_UNAUTHORIZED);
  sk_rate_limiter_end (limiter, user_key, failed);
  if (!known)
    sk_rate_limiter_end (limiter, addr_key, failed);
  if (token == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  sk_rate_limiter_reset (limiter, user_key);
  sk_rate_limiter_succeeded (limiter, pair_key);
  r->user = g_steal_pointer (&user);
  expires = sk_time_to_rfc3339 (sk_time_now () + r->config->token_lifetime * G_USEC_PER_SEC);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "token_type");
  json_builder_add_string_value (builder, "Bearer");
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_string_value (builder, expires);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (builder, user_to_json (r->user->id, r->user->username, r->user->role, r->user->store_id));
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
handle_logout (SkRequest *r)
{
  g_autoptr(GError) error = NULL;

  if (!sk_auth_revoke (r->db, r->tokens, r->user->token_hash, &error))
    sk_request_set_error (r, error);
  else
    r->status = 204;
}

static void
handle_me (SkRequest *r)
{
  sk_request_reply (r, 200, user_to_json (r->user->id, r->user->username, r->user->role, r->user->store_id));
}

/* Customers */

static void
handle_customers_list (SkRequest *r)
{
  g_autoptr(GPtrArray) customers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next = NULL;
  guint limit;

  if (!query_limit (r, &limit))
    return;
  customers = sk_database_search_customers (r->db, query (r, "q"), query (r, "cursor"), limit, &next, &error);
  if (customers == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  reply_items (r, customers, next);
}

static void
handle_customers_create (SkRequest *r)
{
  g_autoptr(SkCustomer) customer = body_record (r, SK_TYPE_CUSTOMER);
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;

  if (customer == NULL)
    return;
  /* When it was registered is the server's to say. */
  g_object_set (customer, "created-at", SK_TIME_NONE, NULL);
  g_object_get (customer, "home-store-id", &home, NULL);
  if (own_store (r) != NULL)
    {
      if (home == NULL)
        g_object_set (customer, "home-store-id", own_store (r), NULL);
      else if (!store_allowed (r, home))
        return;
    }
  if (!sk_database_create_customer (r->db, customer, &error))
    sk_request_set_error (r, error);
  else
    reply_record (r, 201, customer);
}

static void
handle_customer_get (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkCustomer) customer = sk_database_get_customer (r->db, arg (r, 0), &error);

  if (customer == NULL)
    sk_request_set_error (r, error);
  else
    reply_record (r, 200, customer);
}

static void
handle_customer_update (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkCustomer) customer = sk_database_get_customer (r->db, arg (r, 0), &error);
  g_autofree char *home = NULL;
  g_autofree char *new_home = NULL;
  const char *store = own_store (r);

  if (customer == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!customer_allowed (r, customer))
    return;
  g_object_get (customer, "home-store-id", &home, NULL);
  if (!body_update (r, customer))
    return;
  g_object_get (customer, "home-store-id", &new_home, NULL);
  /* A store hands its customer to nobody: moved, it would be another
   * store's; cleared, no store's. It may only make its own a customer of
   * no store who bought there. */
  if (store != NULL && g_strcmp0 (home, new_home) != 0 &&
      !(home == NULL && g_strcmp0 (new_home, store) == 0))
    {
      sk_request_fail (r, SK_ERROR_FORBIDDEN, "home_store_id", "Only an admin moves a customer to another store");
      return;
    }
  if (!sk_database_update_customer (r->db, customer, &error))
    sk_request_set_error (r, error);
  else
    reply_record (r, 200, customer);
}

static void
handle_customer_purchases (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkCustomer) customer = sk_database_get_customer (r->db, arg (r, 0), &error);
  g_autoptr(GPtrArray) purchases = NULL;
  g_autofree char *next = NULL;
  const char *store = own_store (r);
  guint limit;

  if (customer == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!customer_allowed (r, customer))
    return;
  if (!query_limit (r, &limit))
    return;
  /* A manager sees the purchases of its own store only. */
  purchases = sk_database_list_purchases_page (r->db, arg (r, 0), store, query (r, "cursor"), limit, &next, &error);
  if (purchases == NULL)
    sk_request_set_error (r, error);
  else
    reply_items (r, purchases, next);
}

/* Bonuses */

static void
handle_bonus_balance (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkCustomer) customer = sk_database_get_customer (r->db, arg (r, 0), &error);
  g_autoptr(JsonBuilder) builder = NULL;
  gint64 balance = 0;

  if (customer == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  g_object_get (customer, "bonus-balance", &balance, NULL);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "customer_id");
  json_builder_add_string_value (builder, arg (r, 0));
  json_builder_set_member_name (builder, "balance");
  json_builder_add_int_value (builder, balance);
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
bonus_manual (SkRequest  *r,
              const char *kind)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(SkBonusTransaction) tx = NULL;
  g_autoptr(SkCustomer) customer = NULL;
  g_autoptr(GError) error = NULL;
  const char *reason, *store_id;
  gint64 amount = 0;
  gint64 limit = r->config->manual_bonus_limit;

  if (object == NULL ||
      !member_int (r, object, "amount", TRUE, &amount) ||
      !member_string (r, object, "reason", TRUE, &reason) ||
      !member_string (r, object, "store_id", FALSE, &store_id))
    return;
  customer = sk_database_get_customer (r->db, arg (r, 0), &error);
  if (customer == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!customer_allowed (r, customer))
    return;
  if (store_id == NULL)
    store_id = own_store (r);
  else if (!store_allowed (r, store_id))
    return;
  /* Bonuses are money: a large sum moved by hand, by mistake or not, is
   * for an admin to answer for. */
  if (r->user->role != SK_ROLE_ADMIN && (amount > limit || amount < -limit))
    {
      g_autofree char *text = sk_money_format (limit);
      g_autofree char *message = g_strdup_printf ("Moving more than %s of bonuses by hand needs an admin", text);

      sk_request_fail (r, SK_ERROR_FORBIDDEN, "amount", message);
      return;
    }
  tx = sk_database_bonus_manual (r->db, arg (r, 0), kind, amount, reason, store_id, &error);
  if (tx == NULL)
    sk_request_set_error (r, error);
  else
    reply_record (r, 201, tx);
}

static void
handle_bonus_earn (SkRequest *r)
{
  bonus_manual (r, SK_BONUS_EARN);
}

static void
handle_bonus_spend (SkRequest *r)
{
  bonus_manual (r, SK_BONUS_SPEND);
}

static void
handle_bonus_adjust (SkRequest *r)
{
  bonus_manual (r, SK_BONUS_ADJUST);
}

static void
handle_bonus_transactions (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkCustomer) customer = sk_database_get_customer (r->db, arg (r, 0), &error);
  g_autoptr(GPtrArray) transactions = NULL;
  g_autofree char *next = NULL;
  guint limit;

  if (customer == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!customer_allowed (r, customer))
    return;
  if (!query_limit (r, &limit))
    return;
  transactions = sk_database_list_bonus_transactions_page (r->db, arg (r, 0), query (r, "cursor"), limit, &next,
                                                           &error);
  if (transactions == NULL)
    sk_request_set_error (r, error);
  else
    reply_items (r, transactions, next);
}

/* Rules */

/* Editable records: rules, stores and campaigns share their four handlers;
 * the route's data says which. */
typedef struct
{
  GType      (*get_type) (void);
  gpointer   (*get)      (SkDatabase *db, const char *id, GError **error);
  gboolean   (*save)     (SkDatabase *db, gpointer record, GError **error);
  GPtrArray *(*list)     (SkDatabase *db, GError **error);
} Editable;

static const Editable rules_editable = {
  sk_discount_rule_get_type, (gpointer) sk_database_get_rule, (gpointer) sk_database_save_rule,
  sk_database_list_rules,
};
static const Editable stores_editable = {
  sk_store_get_type, (gpointer) sk_database_get_store, (gpointer) sk_database_save_store,
  sk_database_list_stores,
};
static const Editable campaigns_editable = {
  sk_campaign_get_type, (gpointer) sk_database_get_campaign, (gpointer) sk_database_save_campaign,
  sk_database_list_campaigns,
};

static void
handle_editable_list (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = e->list (r->db, &error);

  reply_list (r, records, error);
}

static void
handle_editable_create (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr(SkRecord) record = body_record (r, e->get_type ());
  g_autoptr(GError) error = NULL;

  if (record == NULL)
    return;
  /* POST creates: with version 0 the save inserts, and an id already
   * taken is a conflict instead of an edit that skipped If-Match. */
  g_object_set (record, "version", (gint64) 0, NULL);
  if (!e->save (r->db, record, &error))
    sk_request_set_error (r, error);
  else
    reply_record (r, 201, record);
}

static void
handle_editable_get (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SkRecord) record = e->get (r->db, arg (r, 0), &error);

  if (record == NULL)
    sk_request_set_error (r, error);
  else
    reply_record (r, 200, record);
}

static void
handle_editable_update (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SkRecord) record = e->get (r->db, arg (r, 0), &error);

  if (record == NULL)
    sk_request_set_error (r, error);
  else if (!body_update (r, record))
    return;
  else if (!e->save (r->db, record, &error))
    sk_request_set_error (r, error);
  else
    reply_record (r, 200, record);
}

/* Checkout */

static void
handle_calculate (SkRequest *r)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(SkCart) cart = NULL;
  g_autoptr(SkEngineResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *customer_id;

  if (object == NULL || !member_string (r, object, "customer_id", FALSE, &customer_id))
    return;
  cart = sk_cart_from_json (object, &error);
  if (cart == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!store_allowed (r, cart->store_id))
    return;
  result = sk_database_calculate (r->db, cart, customer_id, sk_time_now (), &error);
  if (result == NULL)
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, sk_engine_result_to_json (result, cart));
}

static void
handle_available (SkRequest *r)
{
  g_autoptr(SkEngineResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const char *store_id = query (r, "store_id");
  const char *customer_id = arg (r, 0);

  if (store_id == NULL)
    store_id = own_store (r);
  if (store_id == NULL)
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "store_id", "store_id is required");
      return;
    }
  if (!store_allowed (r, store_id))
    return;
  if (g_str_equal (customer_id, "anonymous"))
    customer_id = NULL;
  result = sk_database_available_discounts (r->db, store_id, customer_id, sk_time_now (), &error);
  if (result == NULL)
    sk_request_set_error (r, error);
  else
    {
      g_autoptr(SkCart) cart = sk_cart_new (store_id);

      sk_request_reply (r, 200, sk_engine_result_to_json (result, cart));
    }
}

static void
handle_process_purchase (SkRequest *r)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(SkPurchaseRequest) request = NULL;
  g_autoptr(SkPurchaseResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (object == NULL)
    return;
  request = sk_purchase_request_from_json (object, &error);
  if (request == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!store_allowed (r, request->cart->store_id))
    return;
  request->visible_store_id = g_strdup (own_store (r));
  /* Parsing and the reply stay outside: only the transaction queues. */
  {
    gint64 acquired = sk_write_lock_acquire (r->write_lock);

    result = sk_database_process_purchase (r->db, request, &error);
    sk_write_lock_release (r->write_lock, acquired);
  }
  if (result == NULL)
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, result->replayed ? 200 : 201, sk_purchase_result_to_json (result));
}

static void
handle_purchase_get (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkPurchase) purchase = sk_database_get_purchase (r->db, arg (r, 0), &error);
  g_autofree char *store_id = NULL;

  if (purchase == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  g_object_get (purchase, "store-id", &store_id, NULL);
  if (store_allowed (r, store_id))
    reply_record (r, 200, purchase);
}

static void
handle_refund (SkRequest *r)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(SkPurchase) purchase = NULL;
  g_autoptr(SkPurchase) refunded = NULL;
  g_autoptr(GArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *store_id = NULL;
  const char *id, *purchase_id;
  JsonNode *lines_node;

  if (object == NULL ||
      !member_string (r, object, "id", TRUE, &id) ||
      !member_string (r, object, "purchase_id", TRUE, &purchase_id))
    return;
  lines_node = json_object_get_member (object, "lines");
  if (lines_node != NULL && !JSON_NODE_HOLDS_NULL (lines_node))
    {
      JsonArray *array;
      guint i;

      if (!JSON_NODE_HOLDS_ARRAY (lines_node))
        {
          sk_request_fail (r, SK_ERROR_MALFORMED, "lines", "lines must be an array");
          return;
        }
      array = json_node_get_array (lines_node);
      lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
      for (i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          SkRefundLine line = { 0, 0 };

          if (!JSON_NODE_HOLDS_OBJECT (item) ||
              !member_int (r, json_node_get_object (item), "line_no", TRUE, &line.line_no) ||
              !member_int (r, json_node_get_object (item), "quantity", TRUE, &line.quantity))
            {
              g_autofree char *field = g_strdup_printf ("lines[%u]", i);

              /* Name the line, not just the member. */
              sk_request_fail (r, SK_ERROR_MALFORMED, field, "Each line is {line_no, quantity} with whole numbers");
              return;
            }
          g_array_append_val (lines, line);
        }
    }
  purchase = sk_database_get_purchase (r->db, purchase_id, &error);
  if (purchase == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  g_object_get (purchase, "store-id", &store_id, NULL);
  if (!store_allowed (r, store_id))
    return;
  refunded = sk_database_refund_purchase (r->db, id, purchase_id, lines, &error);
  if (refunded == NULL)
    sk_request_set_error (r, error);
  else
    reply_record (r, 200, refunded);
}

/* Analytics */

static gboolean
analytics_stores (SkRequest   *r,
                  const char  *store_id,
                  char      ***store_ids)
{
  const char *own = own_store (r);

  if (store_id != NULL && !store_allowed (r, store_id))
    return FALSE;
  if (store_id == NULL)
    store_id = own;
  *store_ids = store_id ? g_strsplit (store_id, ",", -1) : NULL;
  return TRUE;
}

static void
handle_summary (SkRequest *r)
{
  g_auto(GStrv) store_ids = NULL;
  g_autoptr(GError) error = NULL;
  SkSummary summary;
  gint64 now = sk_time_now ();
  gint64 from, to;

  if (!query_time (r, "from", now - 30 * G_TIME_SPAN_DAY, &from) ||
      !query_time (r, "to", now + G_TIME_SPAN_SECOND, &to) ||
      !analytics_stores (r, query (r, "store_id"), &store_ids))
    return;
  if (!sk_analytics_summary (r->db, from, to, (const char * const *) store_ids, &summary, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, sk_summary_to_json (&summary));
}

static gboolean
body_time (SkRequest  *r,
           JsonObject *object,
           const char *name,
           gint64     *out)
{
  const char *text;

  if (!member_string (r, object, name, FALSE, &text))
    return FALSE;
  if (text != NULL && !sk_time_from_rfc3339 (text, out))
    {
      g_autofree char *message = g_strdup_printf ("%s must be an RFC 3339 time", name);
      sk_request_fail (r, SK_ERROR_MALFORMED, name, message);
      return FALSE;
    }
  return TRUE;
}

static void
handle_detailed (SkRequest *r)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) daily = NULL;
  g_autoptr(GArray) segments = NULL;
  g_autoptr(GArray) rules = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  SkSummary summary;
  gint64 now = sk_time_now ();
  gint64 from = now - 30 * G_TIME_SPAN_DAY, to = now + G_TIME_SPAN_SECOND;
  JsonNode *stores;
  const char * const *store_ids;

  if (object == NULL || !body_time (r, object, "from", &from) || !body_time (r, object, "to", &to))
    return;
  stores = json_object_get_member (object, "store_ids");
  if (stores != NULL && !JSON_NODE_HOLDS_NULL (stores))
    {
      JsonArray *array;
      guint i;

      if (!JSON_NODE_HOLDS_ARRAY (stores))
        {
          sk_request_fail (r, SK_ERROR_MALFORMED, "store_ids", "store_ids must be an array of strings");
          return;
        }
      array = json_node_get_array (stores);
      for (i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
            {
              sk_request_fail (r, SK_ERROR_MALFORMED, "store_ids", "store_ids must be an array of strings");
              return;
            }
          if (!store_allowed (r, json_node_get_string (item)))
            return;
          g_ptr_array_add (ids, g_strdup (json_node_get_string (item)));
        }
    }
  if (ids->len == 0 && own_store (r) != NULL)
    g_ptr_array_add (ids, g_strdup (own_store (r)));
  g_ptr_array_add (ids, NULL);
  store_ids = (const char * const *) ids->pdata;

  if (!sk_analytics_summary (r->db, from, to, store_ids, &summary, &error) ||
      (daily = sk_analytics_daily (r->db, from, to, store_ids, &error)) == NULL ||
      (segments = sk_analytics_segments (r->db, &error)) == NULL ||
      (rules = sk_analytics_rule_effectiveness (r->db, from, to, store_ids, &error)) == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "summary");
  json_builder_add_value (builder, sk_summary_to_json (&summary));
  json_builder_set_member_name (builder, "daily");
  json_builder_add_value (builder, sk_daily_to_json (daily));
  json_builder_set_member_name (builder, "segments");
  json_builder_add_value (builder, sk_segments_to_json (segments));
  json_builder_set_member_name (builder, "rules");
  json_builder_add_value (builder, sk_rule_stats_to_json (rules));
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
handle_segments_update (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  gint64 changed = sk_database_update_segments (r->db, &error);

  if (error != NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "changed");
  json_builder_add_int_value (builder, changed);
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

/* Stores */

/* Campaigns */

static void
handle_campaign_figures (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SkCampaign) campaign = sk_database_get_campaign (r->db, arg (r, 0), &error);
  SkCampaignFigures figures;

  if (campaign == NULL)
    sk_request_set_error (r, error);
  else if (!sk_analytics_campaign (r->db, arg (r, 0), &figures, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, sk_campaign_figures_to_json (&figures));
}

/* Users */

static void
handle_users_list (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) users = sk_auth_list_users (r->db, &error);
  g_autoptr(JsonBuilder) builder = NULL;

  if (users == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_add_value (builder, g_steal_pointer (&users));
  json_builder_set_member_name (builder, "next_cursor");
  json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
handle_users_create (SkRequest *r)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  const char *username, *password, *role, *store_id;

  if (object == NULL ||
      !member_string (r, object, "username", TRUE, &username) ||
      !member_string (r, object, "password", TRUE, &password) ||
      !member_string (r, object, "role", TRUE, &role) ||
      !member_string (r, object, "store_id", FALSE, &store_id))
    return;
  id = sk_auth_create_user (r->db, username, password, role, store_id, &error);
  if (id == NULL)
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 201, user_to_json (id, username, sk_role_from_string (role),
                                            (sk_role_from_string (role) & SK_ROLES_STORE) ? store_id : NULL));
}

static void
handle_user_update (SkRequest *r)
{
  g_autoptr(JsonObject) object = body_object (r);
  g_autoptr(GError) error = NULL;
  JsonNode *disabled;

  if (object == NULL)
    return;
  disabled = json_object_get_member (object, "disabled");
  if (disabled == NULL || !JSON_NODE_HOLDS_VALUE (disabled) || json_node_get_value_type (disabled) != G_TYPE_BOOLEAN)
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "disabled", "disabled must be true or false");
      return;
    }
  if (json_node_get_boolean (disabled) && g_str_equal (arg (r, 0), r->user->id))
    {
      sk_request_fail (r, SK_ERROR_INVALID, "disabled", "You cannot disable your own account");
      return;
    }
  if (!sk_auth_set_disabled (r->db, r->tokens, arg (r, 0), json_node_get_boolean (disabled), &error))
    sk_request_set_error (r, error);
  else
    r->status = 204;
}

/* Notifications */

/* A manager sees the messages to its own store's customers (by home store),
 * filtered in the query, so that a page is full whatever the chain sends. */
static void
handle_notifications_list (SkRequest *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) notifications = NULL;
  g_autofree char *next = NULL;
  const char *customer_id = query (r, "customer_id");
  guint limit;

  if (!query_limit (r, &limit))
    return;
  /* One customer's messages are its history: as its ledger, its store's. */
  if (customer_id != NULL && own_store (r) != NULL)
    {
      g_autoptr(SkCustomer) customer = sk_database_get_customer (r->db, customer_id, &error);

      if (customer == NULL)
        {
          sk_request_set_error (r, error);
          return;
        }
      if (!customer_allowed (r, customer))
        return;
    }
  notifications = sk_database_list_notifications (r->db, customer_id, own_store (r),
                                                  query (r, "cursor"), limit, &next, &error);
  if (notifications == NULL)
    sk_request_set_error (r, error);
  else
    reply_items (r, notifications, next);
}

/* The table. Patterns match segment by segment; '*' is one segment. */

#define ALL SK_ROLES_ALL
#define ADMIN SK_ROLE_ADMIN
#define HQ SK_ROLES_HQ
#define MGR SK_ROLE_MANAGER
#define CASH SK_ROLE_CASHIER
#define MKT SK_ROLE_MARKETING

/* The authorisation policy (SPEC 5; README, "Who may do what"), route by
 * route, as the OpenAPI document states it and /server/policy checks it.
 * Store roles are manager and cashier, bound to one store; a customer is
 * of a store when it is the customer's home store or the customer bought
 * there; a sale is of the store where it was made. */
#define P_PUBLIC "Public: anyone, without a token."
#define P_SELF "Any role (admin, marketing, manager, cashier), on its own token."
#define P_CHAIN_CUSTOMER "Any role (admin, marketing, manager, cashier), for any customer of the chain: customers are " \
  "members of the chain, so every till finds them, reads their balance and sells to them."
#define P_CUSTOMER_CREATE "admin: a customer of any store, or of none. manager, cashier: a customer whose home store " \
  "is their own (none given: their own; another: 403). marketing: 403. The server sets created_at."
#define P_CUSTOMER_UPDATE "admin: any customer. manager: a customer of its own store (home store there, or a sale " \
  "there; another store's: 403), keeping its home store: clearing it or moving it to another store is 403, " \
  "only a customer of no store who bought there may be given the manager's own. marketing, cashier: 403."
#define P_CUSTOMER_HISTORY(what) "admin, marketing: any customer. manager: a customer of its own store (home " \
  "store there, or a sale there)" what "; another store's customer: 403. cashier: 403."
#define P_MANUAL_BONUS "admin: any customer, any amount. manager: a customer of its own store (home store there, " \
  "or a sale there; another store's: 403), for its own store (store_id absent or its own; another: 403), at most " \
  "[auth] manual-bonus-limit of the server (default 1 000 000 kopecks) either way per movement (beyond: 403, an " \
  "admin must). marketing, cashier: 403."
#define P_CHAIN_READ(what) "Any role (admin, marketing, manager, cashier): every " what " of the chain."
#define P_HQ_WRITE(what) "admin, marketing: any " what ". manager, cashier: 403."
#define P_HQ_CREATE(what) "admin, marketing: a new " what "; an id already taken is 409 (POST never edits). " \
  "manager, cashier: 403."
#define P_HQ_ONLY "admin, marketing. manager, cashier: 403."
#define P_ADMIN_ONLY "admin only. marketing, manager, cashier: 403."
#define P_CALCULATE "Any role (admin, marketing, manager, cashier), for any customer of the chain or none; " \
  "manager and cashier at their own store only (store_id of another: 403)."
#define P_SELL "admin: at any store. manager, cashier: at their own store only (store_id of another: 403), to any " \
  "customer of the chain. marketing: 403. A replayed id answers the first result (200) only to a caller who may " \
  "see that sale (manager, cashier: a sale of their own store; another store's: 403, not 404, as the id is taken " \
  "whatever the answer) and only for the same request (another body: 409 idempotency_mismatch)."
#define P_AVAILABLE "Any role (admin, marketing, manager, cashier), for any customer of the chain; manager and " \
  "cashier at their own store only (store_id of another: 403; none given: their own)."
#define P_REFUND "admin: any sale. manager: a sale made at its own store; another store's: 403. marketing, " \
  "cashier: 403."
#define P_PURCHASE "admin, marketing: any sale. manager, cashier: a sale made at their own store; another " \
  "store's: 403."
#define P_ANALYTICS "admin, marketing: any stores (none given: the whole chain). manager: its own store only " \
  "(another: 403; none given: its own). cashier: 403."
#define P_NOTIFICATIONS "admin, marketing: every notification. manager: those to the customers of its own store " \
  "(home store there, or a sale there); customer_id of another store's customer: 403. cashier: 403."

static const SkRoute routes[] = {
  { "GET", "/api/health", handle_health, SK_ROLE_NONE, "Is the server up", NULL, "Health", NULL, .policy = P_PUBLIC },
  { "GET", "/api/openapi.json", handle_openapi, SK_ROLE_NONE, "This document", NULL, "Any", NULL, .policy = P_PUBLIC },
  { "POST", "/api/auth/login", handle_login, SK_ROLE_NONE, "Log in: a bearer token", "LoginRequest", "LoginResponse", NULL, .policy = P_PUBLIC },
  { "POST", "/api/auth/logout", handle_logout, ALL, "Revoke the token of this request", NULL, NULL, NULL, .policy = P_SELF },
  { "GET", "/api/auth/me", handle_me, ALL, "The account of this token", NULL, "User", NULL, .policy = P_SELF },

  { "GET", "/api/customers", handle_customers_list, ALL, "Customers by phone, card or name prefix", NULL, "page:Customer", "q,limit,cursor", .policy = P_CHAIN_CUSTOMER },
  { "POST", "/api/customers", handle_customers_create, ADMIN | MGR | CASH, "Register a customer", "Customer", "Customer", NULL, SK_ROUTE_WRITES, .policy = P_CUSTOMER_CREATE },
  { "GET", "/api/customers/*", handle_customer_get, ALL, "A customer", NULL, "Customer", NULL, .policy = P_CHAIN_CUSTOMER },
  { "PUT", "/api/customers/*", handle_customer_update, ADMIN | MGR, "Update a customer (If-Match or version)", "Customer", "Customer", NULL, SK_ROUTE_WRITES, .policy = P_CUSTOMER_UPDATE },
  { "GET", "/api/customers/*/purchases", handle_customer_purchases, ADMIN | MKT | MGR, "A customer's purchases", NULL, "page:Purchase", "limit,cursor", .policy = P_CUSTOMER_HISTORY (", and only the sales made at its store") },

  { "GET", "/api/bonuses/*/balance", handle_bonus_balance, ALL, "A customer's bonus balance", NULL, "Balance", NULL, .policy = P_CHAIN_CUSTOMER },
  { "POST", "/api/bonuses/*/earn", handle_bonus_earn, ADMIN | MGR, "Add bonuses by hand", "BonusRequest", "BonusTransaction", NULL, SK_ROUTE_WRITES, .policy = P_MANUAL_BONUS },
  { "POST", "/api/bonuses/*/spend", handle_bonus_spend, ADMIN | MGR, "Spend bonuses by hand", "BonusRequest", "BonusTransaction", NULL, SK_ROUTE_WRITES, .policy = P_MANUAL_BONUS },
  { "POST", "/api/bonuses/*/adjust", handle_bonus_adjust, ADMIN | MGR, "Correct a balance (signed amount)", "BonusRequest", "BonusTransaction", NULL, SK_ROUTE_WRITES, .policy = P_MANUAL_BONUS },
  { "GET", "/api/bonuses/*/transactions", handle_bonus_transactions, ADMIN | MKT | MGR, "A customer's bonus ledger", NULL, "page:BonusTransaction", "limit,cursor", .policy = P_CUSTOMER_HISTORY ("") },

  { "GET", "/api/discounts/rules", handle_editable_list, ALL, "Discount rules", NULL, "page:DiscountRule", "limit,cursor", 0, &rules_editable, .policy = P_CHAIN_READ ("rule") },
  { "POST", "/api/discounts/rules", handle_editable_create, HQ, "Create a rule", "DiscountRule", "DiscountRule", NULL, SK_ROUTE_WRITES, &rules_editable, .policy = P_HQ_CREATE ("rule") },
  { "GET", "/api/discounts/rules/*", handle_editable_get, ALL, "A rule", NULL, "DiscountRule", NULL, 0, &rules_editable, .policy = P_CHAIN_READ ("rule") },
  { "PUT", "/api/discounts/rules/*", handle_editable_update, HQ, "Update a rule (If-Match or version)", "DiscountRule", "DiscountRule", NULL, SK_ROUTE_WRITES, &rules_editable, .policy = P_HQ_WRITE ("rule") },
  { "POST", "/api/discounts/calculate", handle_calculate, ALL, "What a cart gets now", "CalculateRequest", "CalculateResult", NULL, .policy = P_CALCULATE },

  { "POST", "/api/pos/process-purchase", handle_process_purchase, ADMIN | MGR | CASH, "Sell: discounts, bonuses, the purchase, in one transaction", "PurchaseRequest", "PurchaseResult", NULL, .policy = P_SELL },
  { "GET", "/api/pos/customer/*/available-discounts", handle_available, ALL, "Rules open to a customer (or \"anonymous\") in a store", NULL, "CalculateResult", "store_id", .policy = P_AVAILABLE },
  { "POST", "/api/pos/refund", handle_refund, ADMIN | MGR, "Refund a purchase or some of its lines", "RefundRequest", "Purchase", NULL, SK_ROUTE_WRITES, .policy = P_REFUND },
  { "GET", "/api/pos/purchases/*", handle_purchase_get, ADMIN | MKT | MGR | CASH, "A purchase", NULL, "Purchase", NULL, .policy = P_PURCHASE },

  { "GET", "/api/analytics/summary", handle_summary, ADMIN | MKT | MGR, "Revenue, discounts and bonuses of a period", NULL, "Summary", "from,to,store_id", .policy = P_ANALYTICS },
  { "POST", "/api/analytics", handle_detailed, ADMIN | MKT | MGR, "Detailed analytics: summary, days, segments, rules", "AnalyticsRequest", "Analytics", NULL, .policy = P_ANALYTICS },
  { "POST", "/api/analytics/segments/update", handle_segments_update, HQ, "Recompute everyone's segment", NULL, "SegmentsUpdate", NULL, SK_ROUTE_WRITES, .policy = P_HQ_ONLY },

  { "GET", "/api/stores", handle_editable_list, ALL, "Stores", NULL, "page:Store", "limit,cursor", 0, &stores_editable, .policy = P_CHAIN_READ ("store") },
  { "POST", "/api/stores", handle_editable_create, ADMIN, "Create a store", "Store", "Store", NULL, SK_ROUTE_WRITES, &stores_editable, .policy = P_ADMIN_ONLY " An id already taken is 409 (POST never edits)." },
  { "GET", "/api/stores/*", handle_editable_get, ALL, "A store", NULL, "Store", NULL, 0, &stores_editable, .policy = P_CHAIN_READ ("store") },
  { "PUT", "/api/stores/*", handle_editable_update, ADMIN, "Update a store (If-Match or version)", "Store", "Store", NULL, SK_ROUTE_WRITES, &stores_editable, .policy = P_ADMIN_ONLY },

  { "GET", "/api/campaigns", handle_editable_list, ALL, "Campaigns", NULL, "page:Campaign", "limit,cursor", 0, &campaigns_editable, .policy = P_CHAIN_READ ("campaign") " Stores see them read-only." },
  { "POST", "/api/campaigns", handle_editable_create, HQ, "Create a campaign", "Campaign", "Campaign", NULL, SK_ROUTE_WRITES, &campaigns_editable, .policy = P_HQ_CREATE ("campaign") },
  { "GET", "/api/campaigns/*", handle_editable_get, ALL, "A campaign", NULL, "Campaign", NULL, 0, &campaigns_editable, .policy = P_CHAIN_READ ("campaign") " Stores see them read-only." },
  { "PUT", "/api/campaigns/*", handle_editable_update, HQ, "Update a campaign (If-Match or version)", "Campaign", "Campaign", NULL, SK_ROUTE_WRITES, &campaigns_editable, .policy = P_HQ_WRITE ("campaign") },
  { "GET", "/api/campaigns/*/figures", handle_campaign_figures, HQ, "A campaign's figures", NULL, "CampaignFigures", NULL, .policy = P_HQ_WRITE ("campaign") },

  { "GET", "/api/users", handle_users_list, ADMIN, "Accounts", NULL, "page:User", NULL, .policy = P_ADMIN_ONLY },
  { "POST", "/api/users", handle_users_create, ADMIN, "Create an account", "UserCreate", "User", NULL, .policy = P_ADMIN_ONLY },
  { "PUT", "/api/users/*", handle_user_update, ADMIN, "Disable (revoking its tokens) or enable an account", "UserUpdate", NULL, NULL, SK_ROUTE_WRITES, .policy = P_ADMIN_ONLY },

  { "GET", "/api/notifications", handle_notifications_list, ADMIN | MKT | MGR, "The notification outbox and history", NULL, "page:Notification", "customer_id,limit,cursor", .policy = P_NOTIFICATIONS },
};

const SkRoute *
sk_server_routes (guint *n_routes)
{
  g_return_val_if_fail (n_routes != NULL, NULL);
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}

/* Does @path match @pattern? Captured segments go to @args. */
static gboolean
pattern_match (const char *pattern,
               const char *path,
               GPtrArray  *args)
{
  guint captured = args->len;

  while (*pattern != '\0' && *path != '\0')
    {
      if (*pattern == '*')
        {
          const char *end = strchr (path, '/');
          gsize length = end ? (gsize) (end - path) : strlen (path);

          if (length == 0)
            break;
          g_ptr_array_add (args, g_uri_unescape_segment (path, path + length, NULL));
          if (g_ptr_array_index (args, args->len - 1) == NULL)
            break;
          path += length;
          pattern++;
        }
      else if (*pattern == *path)
        {
          pattern++;
          path++;
        }
      else
        break;
    }
  /* A trailing slash is the same endpoint (the seed lists /api/customers/). */
  if (*pattern == '\0' && (*path == '\0' || g_str_equal (path, "/")))
    return TRUE;
  g_ptr_array_set_size (args, captured);
  return FALSE;
}

const SkRoute *
sk_server_route_find (const char *method,
                      const char *path,
                      GPtrArray  *args,
                      gboolean   *path_known)
{
  guint i;

  g_return_val_if_fail (method != NULL && path != NULL && args != NULL, NULL);

  if (path_known != NULL)
    *path_known = FALSE;
  for (i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!pattern_match (routes[i].pattern, path, args))
        continue;
      if (g_str_equal (routes[i].method, method))
        return &routes[i];
      g_ptr_array_set_size (args, 0);
      if (path_known != NULL)
        *path_known = TRUE;
    }
  return NULL;
}
