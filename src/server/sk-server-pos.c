/* sk-server-pos.c: the till: what a cart gets, selling, sales and refunds.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-server-private.h"

/* Checkout */

static void
handle_calculate (SkRequest *r)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (SkEngineResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const char *customer_id;

  if (object == NULL || !sk_request_member_string (r, object, "customer_id", FALSE, &customer_id))
    return;
  cart = sk_cart_from_json (object, &error);
  if (cart == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!sk_request_store_allowed (r, cart->store_id))
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
  g_autoptr (SkEngineResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const char *store_id = sk_request_query (r, "store_id");
  const char *customer_id = sk_request_arg (r, 0);

  if (store_id == NULL)
    store_id = sk_request_own_store (r);
  if (store_id == NULL)
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "store_id", "store_id is required");
      return;
    }
  if (!sk_request_store_allowed (r, store_id))
    return;
  if (g_str_equal (customer_id, "anonymous"))
    customer_id = NULL;
  result = sk_database_available_discounts (r->db, store_id, customer_id, sk_time_now (), &error);
  if (result == NULL)
    sk_request_set_error (r, error);
  else
    {
      g_autoptr (SkCart) cart = sk_cart_new (store_id);

      sk_request_reply (r, 200, sk_engine_result_to_json (result, cart));
    }
}

static void
handle_process_purchase (SkRequest *r)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (SkPurchaseRequest) request = NULL;
  g_autoptr (SkPurchaseResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (object == NULL)
    return;
  request = sk_purchase_request_from_json (object, &error);
  if (request == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!sk_request_store_allowed (r, request->cart->store_id))
    return;
  request->visible_store_id = g_strdup (sk_request_own_store (r));
  /* Parsing and the reply stay outside: only the transaction queues. */
  {
    gint64 acquired = sk_write_lock_acquire (r->write_lock);

    r->write_locked = TRUE;
    result = sk_database_process_purchase (r->db, request, &error);
    for (guint attempt = 1; result == NULL && sk_request_run_again (&error, attempt); attempt++)
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
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchase) purchase = sk_database_get_purchase (r->db, sk_request_arg (r, 0), &error);
  g_autofree char *store_id = NULL;

  if (purchase == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  g_object_get (purchase, "store-id", &store_id, NULL);
  if (sk_request_store_allowed (r, store_id))
    sk_request_reply_record (r, 200, purchase, NULL);
}

/* Sales by receipt number, as a till looks one up to take a return: of
 * the caller's store (a store's account), or of store_id (HQ's: any, or
 * none given, every store). With updated_since, the store's sales that
 * reached HQ or were returned since then, a page at a time, as a till
 * keeps them: without those device_id (the till's) pushed, unless
 * someone took back some of one. */
static void
handle_purchases_find (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sales = NULL;
  g_autofree char *next = NULL;
  const char      *store_id = sk_request_query (r, "store_id");
  gint64           since;
  guint            limit;

  if (!sk_request_query_limit (r, &limit)
      || (store_id != NULL && !sk_request_store_allowed (r, store_id))
      || !sk_request_query_time (r, "updated_since", SK_TIME_NONE, &since))
    return;
  if (store_id == NULL)
    store_id = sk_request_own_store (r);
  if (since == SK_TIME_NONE)
    sales
        = sk_database_find_sales (r->db, store_id, sk_request_query (r, "receipt"), limit, &error);
  else if (store_id == NULL)
    {
      sk_request_fail (r, SK_ERROR_INVALID, "store_id",
                       "updated_since lists one store's sales: name it in store_id");
      return;
    }
  else
    sales
        = sk_database_list_sales_updated (r->db, store_id, since, sk_request_query (r, "device_id"),
                                          sk_request_query (r, "cursor"), limit, &next, &error);
  sk_request_reply_items (r, sales, next, error);
}

static void
handle_refund (SkRequest *r)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (SkPurchase) purchase = NULL;
  g_autoptr (SkPurchase) refunded = NULL;
  g_autoptr (GArray) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *store_id = NULL;
  const char      *id, *purchase_id;
  JsonNode        *lines_node;

  if (object == NULL || !sk_request_member_string (r, object, "id", TRUE, &id)
      || !sk_request_member_string (r, object, "purchase_id", TRUE, &purchase_id))
    return;
  lines_node = json_object_get_member (object, "lines");
  if (lines_node != NULL && !JSON_NODE_HOLDS_NULL (lines_node))
    {
      JsonArray *array;
      guint      i;

      if (!JSON_NODE_HOLDS_ARRAY (lines_node))
        {
          sk_request_fail (r, SK_ERROR_MALFORMED, "lines", "lines must be an array");
          return;
        }
      array = json_node_get_array (lines_node);
      lines = g_array_new (FALSE, FALSE, sizeof (SkRefundLine));
      for (i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode    *item = json_array_get_element (array, i);
          SkRefundLine line = { 0, 0 };

          if (!JSON_NODE_HOLDS_OBJECT (item)
              || !sk_request_member_int (r, json_node_get_object (item), "line_no", TRUE,
                                         &line.line_no)
              || !sk_request_member_int (r, json_node_get_object (item), "quantity", TRUE,
                                         &line.quantity))
            {
              g_autofree char *field = g_strdup_printf ("lines[%u]", i);

              /* Name the line, not just the member. */
              sk_request_fail (r, SK_ERROR_MALFORMED, field,
                               "Each line is {line_no, quantity} with whole numbers");
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
  if (!sk_request_store_allowed (r, store_id))
    return;
  refunded = sk_database_refund_purchase (r->db, id, purchase_id, lines, &error);
  sk_request_reply_record (r, 200, refunded, error);
}

const SkRoute sk_server_pos_routes[] = {
  {
      .method = "POST",
      .pattern = "/api/discounts/calculate",
      .handler = handle_calculate,
      .roles = SK_ROLES_ALL,
      .summary = "What a cart gets now",
      .request_schema = "CalculateRequest",
      .response_schema = "CalculateResult",
      .policy = P_CALCULATE,
  },
  {
      .method = "POST",
      .pattern = "/api/pos/process-purchase",
      .handler = handle_process_purchase,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER | SK_ROLE_CASHIER,
      .summary = "Sell: discounts, bonuses, the purchase, in one transaction",
      .request_schema = "PurchaseRequest",
      .response_schema = "PurchaseResult",
      .policy = P_SELL,
  },
  {
      .method = "GET",
      .pattern = "/api/pos/customer/*/available-discounts",
      .handler = handle_available,
      .roles = SK_ROLES_ALL,
      .summary = "Rules open to a customer (or \"anonymous\") in a store",
      .response_schema = "CalculateResult",
      .query_params = "store_id",
      .policy = P_AVAILABLE,
  },
  {
      .method = "POST",
      .pattern = "/api/pos/refund",
      .handler = handle_refund,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER,
      .summary = "Refund a purchase or some of its lines",
      .request_schema = "RefundRequest",
      .response_schema = "Purchase",
      .flags = SK_ROUTE_WRITES,
      .policy = P_REFUND,
  },
  {
      .method = "GET",
      .pattern = "/api/pos/purchases",
      .handler = handle_purchases_find,
      .roles = SK_ROLES_ALL,
      .summary = "Sales by receipt number (the id's first characters), or that reached HQ or were"
                 " returned since updated_since, newest first",
      .response_schema = "page:Purchase",
      .query_params = "receipt,store_id,updated_since,device_id,cursor,limit",
      .policy = P_PURCHASES_FIND,
  },
  {
      .method = "GET",
      .pattern = "/api/pos/purchases/*",
      .handler = handle_purchase_get,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER | SK_ROLE_CASHIER,
      .summary = "A purchase",
      .response_schema = "Purchase",
      .policy = P_PURCHASE,
  },
};

const guint sk_server_pos_routes_n = G_N_ELEMENTS (sk_server_pos_routes);
