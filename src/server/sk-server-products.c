/* sk-server-products.c: the chain's products at HQ: list, edits with a version, and price lists
 * imported from CSV. Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-server-private.h"

#define P_PRODUCT_WRITE                                                                            \
  "admin only: products are the chain's price list, kept at HQ; tills learn every change "         \
  "through the sync feed. marketing, manager, cashier: 403."

static void
handle_products_list (SkRequest *r)
{
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *next = NULL;
  guint            limit;

  if (!sk_request_query_limit (r, &limit))
    return;
  products = sk_database_search_products (r->db, sk_request_query (r, "q"),
                                          sk_request_query (r, "cursor"), limit, &next, &error);
  sk_request_reply_items (r, products, next, error);
}

/* Products as SkEditable (sk-server-private.h): the SKU is the key. */

static SkRecord *
get_product (SkDatabase *db, const char *sku, GError **error)
{
  return SK_RECORD (sk_database_get_product (db, sku, error));
}

static gboolean
save_product (SkDatabase *db, SkRecord *record, GError **error)
{
  return sk_database_save_product (db, SK_PRODUCT (record), error);
}

static const SkEditable products_editable = {
  .get_type = sk_product_get_type,
  .get = get_product,
  .save = save_product,
  .key = "sku",
};

static void
handle_product_delete (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  gint64 version = 0;

  if (!sk_request_if_match_version (r, &version))
    return;
  if (!sk_database_delete_product (r->db, sk_request_arg (r, 0), version, &error))
    sk_request_set_error (r, error);
  else
    r->status = 204;
}

/* 400 with the rows that are wrong: the error, and each row's line, column and message. */
static void
reply_csv_errors (SkRequest *r, SkProductsCsv *csv)
{
  g_autoptr (GError) error = NULL;
  JsonNode   *node;
  JsonObject *object;

  sk_products_csv_set_error (csv, &error);
  node = sk_error_to_json (sk_error_code_to_string (SK_ERROR_MALFORMED), error->message,
                           sk_error_get_field (error));
  object = json_node_get_object (node);
  json_object_set_int_member (object, "error_count", csv->n_errors);
  json_object_set_member (object, "errors", sk_products_csv_errors_to_json (csv));
  sk_request_reply (r, 400, node);
}

static void
handle_products_import (SkRequest *r)
{
  g_autoptr (SkProductsCsv) csv = NULL;
  g_autoptr (GError) error = NULL;
  SkProductImport counts = { 0 };
  gsize           length = 0;
  const char     *text = r->body ? g_bytes_get_data (r->body, &length) : NULL;

  csv = sk_products_csv_parse (text ? text : "", (gssize)length);
  if (csv->n_errors > 0)
    {
      reply_csv_errors (r, csv);
      return;
    }
  if (!sk_database_import_products (r->db, csv, &counts, &error))
    {
      if (csv->n_errors > 0)
        reply_csv_errors (r, csv);
      else
        sk_request_set_error (r, error);
      return;
    }
  sk_request_reply (r, 200, sk_product_import_to_json (&counts));
}

const SkRoute sk_server_products_routes[] = {
  {
      .method = "GET",
      .pattern = "/api/products",
      .handler = handle_products_list,
      .roles = SK_ROLES_ALL,
      .summary = "Products by SKU; q: a part of the SKU, name, category or barcode, any case",
      .response_schema = "page:Product",
      .query_params = "q,limit,cursor",
      .policy = P_CHAIN_READ ("product"),
  },
  {
      .method = "POST",
      .pattern = "/api/products",
      .handler = sk_editable_handle_create,
      .roles = SK_ROLE_ADMIN,
      .summary = "Create a product",
      .request_schema = "Product",
      .response_schema = "Product",
      .flags = SK_ROUTE_WRITES,
      .data = &products_editable,
      .policy = P_PRODUCT_WRITE " A SKU already taken is 409 (POST never edits).",
  },
  {
      .method = "POST",
      .pattern = "/api/products/import",
      .handler = handle_products_import,
      .roles = SK_ROLE_ADMIN,
      .summary = "Import a price list (CSV, text/csv): an upsert by SKU, all or nothing",
      .request_schema = "csv:ProductsCsv",
      .response_schema = "ProductImport",
      .flags = SK_ROUTE_WRITES,
      .policy = P_PRODUCT_WRITE " Any bad row is 400 with every bad row's line, column and "
                                "message (errors), and nothing changes.",
  },
  {
      .method = "GET",
      .pattern = "/api/products/*",
      .handler = sk_editable_handle_get,
      .roles = SK_ROLES_ALL,
      .summary = "A product, by SKU",
      .response_schema = "Product",
      .data = &products_editable,
      .policy = P_CHAIN_READ ("product"),
  },
  {
      .method = "PUT",
      .pattern = "/api/products/*",
      .handler = sk_editable_handle_update,
      .roles = SK_ROLE_ADMIN,
      .summary = "Update a product (If-Match or version)",
      .request_schema = "Product",
      .response_schema = "Product",
      .flags = SK_ROUTE_WRITES,
      .data = &products_editable,
      .policy = P_PRODUCT_WRITE,
  },
  {
      .method = "DELETE",
      .pattern = "/api/products/*",
      .handler = handle_product_delete,
      .roles = SK_ROLE_ADMIN,
      .summary = "Delete a product (If-Match: only that version); tills get a tombstone",
      .flags = SK_ROUTE_WRITES,
      .policy = P_PRODUCT_WRITE,
  },
};

const guint sk_server_products_routes_n = G_N_ELEMENTS (sk_server_products_routes);
