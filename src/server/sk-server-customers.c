/* sk-server-customers.c: customers, their bonuses and their notifications.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-money.h"
#include "sk-server-private.h"

/* Customers */

static void
handle_customers_list (SkRequest *r)
{
  g_autoptr (GPtrArray) customers = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *next = NULL;
  guint            limit;

  if (!sk_request_query_limit (r, &limit))
    return;
  customers = sk_database_search_customers (r->db, sk_request_query (r, "q"),
                                            sk_request_query (r, "cursor"), limit, &next, &error);
  sk_request_reply_items (r, customers, next, error);
}

static void
handle_customers_create (SkRequest *r)
{
  g_autoptr (SkCustomer) customer = sk_request_body_record (r, SK_TYPE_CUSTOMER);
  g_autoptr (GError) error = NULL;
  g_autofree char *home = NULL;

  if (customer == NULL)
    return;
  /* When it was registered is the server's to say. */
  g_object_set (customer, "created-at", SK_TIME_NONE, NULL);
  g_object_get (customer, "home-store-id", &home, NULL);
  if (sk_request_own_store (r) != NULL)
    {
      if (home == NULL)
        g_object_set (customer, "home-store-id", sk_request_own_store (r), NULL);
      else if (!sk_request_store_allowed (r, home))
        return;
    }
  if (!sk_database_create_customer (r->db, customer, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply_record (r, 201, customer, NULL);
}

static void
handle_customer_get (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_database_get_customer (r->db, sk_request_arg (r, 0), &error);

  sk_request_reply_record (r, 200, customer, error);
}

static void
handle_customer_update (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autofree char *home = NULL;
  g_autofree char *new_home = NULL;
  const char      *store = sk_request_own_store (r);

  customer = sk_request_allowed_customer (r, sk_request_arg (r, 0));
  if (customer == NULL)
    return;
  g_object_get (customer, "home-store-id", &home, NULL);
  if (!sk_request_body_update (r, customer))
    return;
  g_object_get (customer, "home-store-id", &new_home, NULL);
  /* A store hands its customer to nobody: moved, it would be another
   * store's; cleared, no store's. It may only make its own a customer of
   * no store who bought there. */
  if (store != NULL && g_strcmp0 (home, new_home) != 0
      && !(home == NULL && g_strcmp0 (new_home, store) == 0))
    {
      sk_request_fail (r, SK_ERROR_FORBIDDEN, "home_store_id",
                       "Only an admin moves a customer to another store");
      return;
    }
  if (!sk_database_update_customer (r->db, customer, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply_record (r, 200, customer, NULL);
}

static void
handle_customer_purchases (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (GPtrArray) purchases = NULL;
  g_autofree char *next = NULL;
  const char      *store = sk_request_own_store (r);
  guint            limit;

  customer = sk_request_allowed_customer (r, sk_request_arg (r, 0));
  if (customer == NULL)
    return;
  if (!sk_request_query_limit (r, &limit))
    return;
  /* A manager sees the purchases of its own store only. */
  purchases = sk_database_list_purchases_page (
      r->db, sk_request_arg (r, 0), store, sk_request_query (r, "cursor"), limit, &next, &error);
  sk_request_reply_items (r, purchases, next, error);
}

/* A customer's segments over time, oldest first: a till keeps only the
 * segment it pulled. */
static void
handle_customer_segments (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_request_allowed_customer (r, sk_request_arg (r, 0));
  g_autoptr (GPtrArray) history = NULL;

  if (customer == NULL)
    return;
  history = sk_database_list_segment_history (r->db, sk_request_arg (r, 0), &error);
  sk_request_reply_items (r, history, NULL, error);
}

/* Bonuses */

static void
handle_bonus_balance (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_database_get_customer (r->db, sk_request_arg (r, 0), &error);
  g_autoptr (JsonBuilder) builder = NULL;
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
  json_builder_add_string_value (builder, sk_request_arg (r, 0));
  json_builder_set_member_name (builder, "balance");
  json_builder_add_int_value (builder, balance);
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

/* Earn, spend or adjust: the kind is the route's data. */
static void
handle_bonus_manual (SkRequest *r)
{
  const char *kind = r->route->data;
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (GError) error = NULL;
  const char *reason, *store_id;
  gint64      amount = 0;
  gint64      limit = r->config->manual_bonus_limit;

  if (object == NULL || !sk_request_member_int (r, object, "amount", TRUE, &amount)
      || !sk_request_member_string (r, object, "reason", TRUE, &reason)
      || !sk_request_member_string (r, object, "store_id", FALSE, &store_id))
    return;
  customer = sk_request_allowed_customer (r, sk_request_arg (r, 0));
  if (customer == NULL)
    return;
  if (store_id == NULL)
    store_id = sk_request_own_store (r);
  else if (!sk_request_store_allowed (r, store_id))
    return;
  /* Bonuses are money: a large sum moved by hand, by mistake or not, is
   * for an admin to answer for. */
  if (r->user->role != SK_ROLE_ADMIN && (amount > limit || amount < -limit))
    {
      g_autofree char *text = sk_money_format (limit);
      g_autofree char *message
          = g_strdup_printf ("Moving more than %s of bonuses by hand needs an admin", text);

      sk_request_fail (r, SK_ERROR_FORBIDDEN, "amount", message);
      return;
    }
  tx = sk_database_bonus_manual (r->db, sk_request_arg (r, 0), kind, amount, reason, store_id,
                                 &error);
  sk_request_reply_record (r, 201, tx, error);
}

static void
handle_bonus_transactions (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (GPtrArray) transactions = NULL;
  g_autofree char *next = NULL;
  guint            limit;

  customer = sk_request_allowed_customer (r, sk_request_arg (r, 0));
  if (customer == NULL)
    return;
  if (!sk_request_query_limit (r, &limit))
    return;
  transactions = sk_database_list_bonus_transactions_page (
      r->db, sk_request_arg (r, 0), sk_request_query (r, "cursor"), limit, &next, &error);
  sk_request_reply_items (r, transactions, next, error);
}

/* Notifications */

/* A manager sees the messages to its own store's customers (by home store),
 * filtered in the query, so that a page is full whatever the chain sends. */
static void
handle_notifications_list (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) notifications = NULL;
  g_autofree char *next = NULL;
  const char      *customer_id = sk_request_query (r, "customer_id");
  guint            limit;

  if (!sk_request_query_limit (r, &limit))
    return;
  /* One customer's messages are its history: as its ledger, its store's. */
  if (customer_id != NULL && sk_request_own_store (r) != NULL)
    {
      g_autoptr (SkCustomer) customer = sk_request_allowed_customer (r, customer_id);

      if (customer == NULL)
        return;
    }
  notifications
      = sk_database_list_notifications (r->db, customer_id, sk_request_own_store (r),
                                        sk_request_query (r, "cursor"), limit, &next, &error);
  sk_request_reply_items (r, notifications, next, error);
}

/* A move of bonuses by hand, POST /api/bonuses/{id}/@kind. */
#define MANUAL_BONUS_ROUTE(kind, what)                                                             \
  {                                                                                                \
    .method = "POST", .pattern = "/api/bonuses/*/" kind, .handler = handle_bonus_manual,           \
    .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER, .summary = what, .request_schema = "BonusRequest",   \
    .response_schema = "BonusTransaction", .flags = SK_ROUTE_WRITES, .data = kind,                 \
    .policy = P_MANUAL_BONUS,                                                                      \
  }

const SkRoute sk_server_customers_routes[] = {
  {
      .method = "GET",
      .pattern = "/api/customers",
      .handler = handle_customers_list,
      .roles = SK_ROLES_ALL,
      .summary = "Customers by phone, card or name prefix",
      .response_schema = "page:Customer",
      .query_params = "q,limit,cursor",
      .policy = P_CHAIN_CUSTOMER,
  },
  {
      .method = "POST",
      .pattern = "/api/customers",
      .handler = handle_customers_create,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER | SK_ROLE_CASHIER,
      .summary = "Register a customer",
      .request_schema = "Customer",
      .response_schema = "Customer",
      .flags = SK_ROUTE_WRITES,
      .policy = P_CUSTOMER_CREATE,
  },
  {
      .method = "GET",
      .pattern = "/api/customers/*",
      .handler = handle_customer_get,
      .roles = SK_ROLES_ALL,
      .summary = "A customer",
      .response_schema = "Customer",
      .policy = P_CHAIN_CUSTOMER,
  },
  {
      .method = "PUT",
      .pattern = "/api/customers/*",
      .handler = handle_customer_update,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER,
      .summary = "Update a customer (If-Match or version)",
      .request_schema = "Customer",
      .response_schema = "Customer",
      .flags = SK_ROUTE_WRITES,
      .policy = P_CUSTOMER_UPDATE,
  },
  {
      .method = "GET",
      .pattern = "/api/customers/*/purchases",
      .handler = handle_customer_purchases,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER,
      .summary = "A customer's purchases",
      .response_schema = "page:Purchase",
      .query_params = "limit,cursor",
      .policy = P_CUSTOMER_HISTORY (", and only the sales made at its store"),
  },
  {
      .method = "GET",
      .pattern = "/api/customers/*/segments",
      .handler = handle_customer_segments,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER,
      .summary = "A customer's segment history, oldest first",
      .response_schema = "page:SegmentAssignment",
      .policy = P_CUSTOMER_HISTORY (""),
  },
  {
      .method = "GET",
      .pattern = "/api/bonuses/*/balance",
      .handler = handle_bonus_balance,
      .roles = SK_ROLES_ALL,
      .summary = "A customer's bonus balance",
      .response_schema = "Balance",
      .policy = P_CHAIN_CUSTOMER,
  },
  MANUAL_BONUS_ROUTE (SK_BONUS_EARN, "Add bonuses by hand"),
  MANUAL_BONUS_ROUTE (SK_BONUS_SPEND, "Spend bonuses by hand"),
  MANUAL_BONUS_ROUTE (SK_BONUS_ADJUST, "Correct a balance (signed amount)"),
  {
      .method = "GET",
      .pattern = "/api/bonuses/*/transactions",
      .handler = handle_bonus_transactions,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER,
      .summary = "A customer's bonus ledger",
      .response_schema = "page:BonusTransaction",
      .query_params = "limit,cursor",
      .policy = P_CUSTOMER_HISTORY (""),
  },
  {
      .method = "GET",
      .pattern = "/api/notifications",
      .handler = handle_notifications_list,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER,
      .summary = "The notification outbox and history",
      .response_schema = "page:Notification",
      .query_params = "customer_id,limit,cursor",
      .policy = P_NOTIFICATIONS,
  },
};

const guint sk_server_customers_routes_n = G_N_ELEMENTS (sk_server_customers_routes);
