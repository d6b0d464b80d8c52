/* test-products.c: products at HQ: /api/products over HTTP (CRUD, 412, roles, search pages),
 * price lists imported all or nothing, edits and tombstones reaching a till through the sync
 * pull, and skidka-cli products on a file and through the server. skidka-server runs in-process
 * on port 0, on SQLite or (under tests/with-postgres.sh) PostgreSQL.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "sk-database-private.h"
#include "sk-postgres.h"
#include "sk-server-private.h"
#include "sk-sync-client.h"
#include "sk-test-postgres.h"
#include "sk-test-server.h"
#include "sk-test-util.h"

enum
{
  ADMIN,
  MARKETING,
  MANAGER,
  CASHIER,
  N_ROLES
};

static const char *const role_names[N_ROLES] = { "admin", "marketing", "manager", "cashier" };

static struct
{
  SkTestHq     hq;
  char        *store;
  char        *token[N_ROLES];
  SoupSession *session;
} env;

/* HTTP */

/* @method @path as @who (-1: no token), with @body of @type and If-Match @if_match. */
static SkTestReply *
request (const char *method,
         const char *path,
         int         who,
         const char *type,
         const char *body,
         const char *if_match)
{
  return sk_test_request (env.session, env.hq.port, method, path, who >= 0 ? env.token[who] : NULL,
                          type, body, G_MAXSIZE, if_match);
}

static SkTestReply *
call (const char *method, const char *path, int who, const char *json)
{
  return request (method, path, who, "application/json", json, NULL);
}

static SkTestReply *
import (int who, const char *csv)
{
  return request ("POST", "/api/products/import", who, "text/csv", csv, NULL);
}

/* Short names for the shared checks (sk-test-server.h). */
#define obj(reply)                               sk_test_reply_object (reply)
#define num(reply, member)                       sk_test_reply_int (reply, member)
#define assert_status(reply, status)             sk_test_assert_status (reply, status)
#define assert_error(reply, status, code, field) sk_test_assert_error (reply, status, code, field)

static const char *
str (SkTestReply *reply, const char *member)
{
  JsonNode *node = json_object_get_member (obj (reply), member);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : NULL;
}

/* HQ's database */

static gint64
count_products (const char *like)
{
  return sk_db_query_int (env.hq.db, NULL, -1, "SELECT count(*) FROM products WHERE sku LIKE ?",
                          "s", like);
}

static SkProduct *
hq_product (const char *sku)
{
  g_autoptr (GError) error = NULL;
  SkProduct *product = sk_database_get_product (env.hq.db, sku, &error);

  g_assert_no_error (error);
  return product;
}

/* A digest of the products whose SKU starts with @prefix: every field, in
 * SKU order, to show that a refused import changed nothing. */
static char *
snapshot (const char *prefix)
{
  g_autofree char *like = g_strconcat (prefix, "%", NULL);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (GError) error = NULL;
  GString *text = g_string_new (NULL);

  rows = sk_db_query_records (env.hq.db,
                              sk_db_query (env.hq.db, &error,
                                           "SELECT * FROM products WHERE sku LIKE ? ORDER BY sku",
                                           "s", like),
                              SK_TYPE_PRODUCT, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < rows->len; i++)
    {
      g_autoptr (JsonNode) json = sk_record_to_json (g_ptr_array_index (rows, i));
      g_autofree char *line = json_to_string (json, FALSE);

      g_string_append_printf (text, "%s\n", line);
    }
  return g_string_free (text, FALSE);
}

/* Tests */

static void
test_crud (void)
{
  g_autoptr (SkTestReply) created = call (
      "POST", "/api/products", ADMIN,
      "{\"sku\": \"crud-1\", \"name\": \"Мишка\", \"category\": \"Игрушки\", \"price\": 129900,"
      " \"barcode\": \"4006381333931\", \"version\": 7}");
  g_autoptr (SkTestReply) reply = NULL;
  g_autoptr (SkProduct) found = NULL;
  g_autoptr (GError) error = NULL;

  /* Created at version 1 whatever the body said; the ETag is the version. */
  assert_status (created, 201);
  g_assert_cmpint (num (created, "version"), ==, 1);
  g_assert_cmpstr (created->etag, ==, "\"1\"");
  g_assert_cmpstr (str (created, "barcode"), ==, "4006381333931");

  /* POST never edits: the SKU is taken. A barcode is one product's. */
  reply = call ("POST", "/api/products", ADMIN,
                "{\"sku\": \"crud-1\", \"name\": \"X\", \"price\": 1}");
  assert_error (reply, 409, "conflict", "sku");
  sk_test_assert_refused (
      call ("POST", "/api/products", ADMIN,
            "{\"sku\": \"crud-2\", \"name\": \"X\", \"price\": 1, \"barcode\": \"4006381333931\"}"),
      409, "conflict", "barcode");
  sk_test_assert_refused (
      call ("POST", "/api/products", ADMIN,
            "{\"sku\": \"crud-2\", \"name\": \"X\", \"price\": 1, \"barcode\": \"4006381333932\"}"),
      422, "invalid_value", "barcode");
  sk_test_assert_refused (
      call ("POST", "/api/products", ADMIN, "{\"sku\": \"crud-2\", \"price\": 1}"), 400,
      "malformed", "name");
  sk_test_assert_refused (call ("POST", "/api/products", ADMIN,
                                "{\"sku\": \"crud-2\", \"name\": \"X\", \"price\": -5}"),
                          422, "invalid_value", "price");
  g_assert_cmpint (count_products ("crud-2"), ==, 0);

  /* One spelling per category: "игрушки" is "Игрушки", which exists. */
  sk_test_reply_expect (
      &reply, 201,
      call ("POST", "/api/products", ADMIN,
            "{\"sku\": \"crud-2\", \"name\": \"Кубики\", \"price\": 500, \"category\": \" "
            "игрушки\"}"));
  g_assert_cmpstr (str (reply, "category"), ==, "Игрушки");

  sk_test_reply_expect (&reply, 200, call ("GET", "/api/products/crud-1", CASHIER, NULL));
  g_assert_cmpstr (str (reply, "name"), ==, "Мишка");
  g_assert_cmpint (num (reply, "price"), ==, 129900);
  sk_test_assert_refused (call ("GET", "/api/products/nothing-here", ADMIN, NULL), 404, "not_found",
                          NULL);

  /* Edits carry the version read: If-Match or "version". */
  sk_test_reply_expect (&reply, 200,
                        request ("PUT", "/api/products/crud-1", ADMIN, "application/json",
                                 "{\"price\": 119900, \"sku\": \"renamed\"}", "\"1\""));
  g_assert_cmpint (num (reply, "version"), ==, 2);
  g_assert_cmpstr (reply->etag, ==, "\"2\"");
  g_assert_cmpstr (str (reply, "sku"), ==, "crud-1"); /* the key stays */
  g_assert_cmpint (num (reply, "price"), ==, 119900);
  g_clear_pointer (&reply, sk_test_reply_free);
  reply = request ("PUT", "/api/products/crud-1", ADMIN, "application/json", "{\"price\": 1}",
                   "\"1\"");
  assert_error (reply, 412, "stale_version", "version");
  sk_test_assert_refused (
      call ("PUT", "/api/products/crud-1", ADMIN, "{\"price\": 1, \"version\": 1}"), 412,
      "stale_version", "version");
  g_clear_pointer (&found, g_object_unref);
  found = hq_product ("crud-1");
  g_assert_cmpint (found->price, ==, 119900);
  g_assert_cmpint (found->version, ==, 2);
  /* A barcode given up and taken by another product. */
  sk_test_assert_refused (call ("PUT", "/api/products/crud-2", ADMIN,
                                "{\"barcode\": \"4006381333931\", \"version\": 1}"),
                          409, "conflict", "barcode");
  sk_test_reply_expect (
      &reply, 200,
      call ("PUT", "/api/products/crud-1", ADMIN, "{\"barcode\": null, \"version\": 2}"));
  g_assert_null (str (reply, "barcode"));
  sk_test_reply_expect (&reply, 200,
                        call ("PUT", "/api/products/crud-2", ADMIN,
                              "{\"barcode\": \"4006381333931\", \"version\": 1}"));

  /* What the checkout will call: a barcode first, else a SKU. */
  g_clear_pointer (&found, g_object_unref);
  found = sk_database_find_product_by_code (env.hq.db, " 4006381333931 ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->sku, ==, "crud-2");
  g_clear_pointer (&found, g_object_unref);
  found = sk_database_find_product_by_code (env.hq.db, "crud-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->sku, ==, "crud-1");
  g_clear_pointer (&found, g_object_unref);
  found = sk_database_find_product_by_code (env.hq.db, "0000000000000", &error);
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_assert_null (found);

  /* Delete: If-Match guards it too; then it is gone. */
  g_clear_pointer (&reply, sk_test_reply_free);
  reply = request ("DELETE", "/api/products/crud-1", ADMIN, NULL, NULL, "\"2\"");
  assert_error (reply, 412, "stale_version", "version");
  g_assert_cmpint (count_products ("crud-1"), ==, 1);
  sk_test_reply_expect (&reply, 204,
                        request ("DELETE", "/api/products/crud-1", ADMIN, NULL, NULL, "\"3\""));
  g_assert_cmpint (count_products ("crud-1"), ==, 0);
  sk_test_assert_refused (call ("DELETE", "/api/products/crud-1", ADMIN, NULL), 404, "not_found",
                          NULL);
  sk_test_reply_expect (&reply, 204, call ("DELETE", "/api/products/crud-2", ADMIN, NULL));
}

/* Every role signed in reads; only an admin writes (README, "Who may do what"). */
static void
test_roles (void)
{
  g_autoptr (SkTestReply) made = call ("POST", "/api/products", ADMIN,
                                       "{\"sku\": \"role-1\", \"name\": \"Юла\", \"price\": 100}");

  assert_status (made, 201);
  for (int who = -1; who < N_ROLES; who++)
    {
      g_autoptr (SkTestReply) list = call ("GET", "/api/products", who, NULL);
      g_autoptr (SkTestReply) one = call ("GET", "/api/products/role-1", who, NULL);
      g_autoptr (SkTestReply) post = call (
          "POST", "/api/products", who, "{\"sku\": \"role-2\", \"name\": \"Юла\", \"price\": 100}");
      g_autoptr (SkTestReply) put = call ("PUT", "/api/products/role-1", who, "{\"price\": 200}");
      g_autoptr (SkTestReply) csv = import (who, "sku,name,price\nrole-3,Юла,1\n");
      g_autoptr (SkTestReply) del = NULL;

      g_test_message ("as %s", who < 0 ? "nobody" : role_names[who]);
      if (who == ADMIN)
        continue;
      del = call ("DELETE", "/api/products/role-1", who, NULL);
      assert_status (list, who < 0 ? 401 : 200);
      assert_status (one, who < 0 ? 401 : 200);
      assert_error (post, who < 0 ? 401 : 403, who < 0 ? "unauthorized" : "forbidden", NULL);
      assert_error (put, who < 0 ? 401 : 403, who < 0 ? "unauthorized" : "forbidden", NULL);
      assert_error (csv, who < 0 ? 401 : 403, who < 0 ? "unauthorized" : "forbidden", NULL);
      assert_error (del, who < 0 ? 401 : 403, who < 0 ? "unauthorized" : "forbidden", NULL);
    }
  g_assert_cmpint (count_products ("role-1"), ==, 1);
  g_assert_cmpint (count_products ("role-2"), ==, 1); /* the admin's */
  g_assert_cmpint (count_products ("role-3"), ==, 1);
  {
    g_autoptr (SkProduct) kept = hq_product ("role-1");

    g_assert_cmpint (kept->price, ==, 200); /* the admin's edit only */
    g_assert_cmpint (kept->version, ==, 2);
  }
}

/* Pages by SKU, whatever the query, each product once. */
static void
test_list (void)
{
  g_autoptr (SkTestReply) made = import (ADMIN, "sku,name,category,price,barcode\n"
                                                "list-a,Мишка плюшевый,Игрушки,1,\n"
                                                "list-b,Машинка,Игрушки,2,\n"
                                                "list-c,Кукла МАША,Куклы,3,96385074\n"
                                                "list-d,Мишка-панда,Игрушки,4,\n"
                                                "list-e,Коляска,Коляски,5,\n"
                                                "list-f,Пазл,Игры,6,\n"
                                                "list-g,МИШКА большой,Игрушки,7,\n");
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = NULL;
  static const struct
  {
    const char *q;
    const char *skus;
  } searches[] = {
    { "list-", "list-a list-b list-c list-d list-e list-f list-g" },
    { "мишк", "list-a list-d list-g" }, /* any case, Cyrillic too */
    { "  КУКЛЫ ", "list-c" },
    { "963850", "list-c" },
    { "list-f", "list-f" },
    { "nothing like it", "" },
  };

  assert_status (made, 200);
  g_assert_cmpint (num (made, "created"), ==, 7);
  for (guint s = 0; s < G_N_ELEMENTS (searches); s++)
    {
      g_autoptr (GString) got = g_string_new (NULL);
      g_autofree char *q = g_uri_escape_string (searches[s].q, NULL, FALSE);

      g_clear_pointer (&cursor, g_free);
      do
        {
          g_autofree char *path = g_strdup_printf ("/api/products?q=%s&limit=2%s%s", q,
                                                   cursor ? "&cursor=" : "", cursor ? cursor : "");
          g_autoptr (SkTestReply) page = call ("GET", path, MANAGER, NULL);
          JsonArray *items;

          assert_status (page, 200);
          items = json_object_get_array_member (obj (page), "items");
          g_assert_cmpuint (json_array_get_length (items), <=, 2);
          for (guint i = 0; i < json_array_get_length (items); i++)
            {
              const char *sku
                  = json_object_get_string_member (json_array_get_object_element (items, i), "sku");

              if (!g_str_has_prefix (sku, "list-"))
                continue;
              g_string_append_printf (got, "%s%s", got->len ? " " : "", sku);
            }
          g_free (cursor);
          cursor = g_strdup (str (page, "next_cursor"));
          if (cursor != NULL)
            {
              g_autofree char *escaped = g_uri_escape_string (cursor, NULL, FALSE);
              g_free (cursor);
              cursor = g_steal_pointer (&escaped);
            }
        }
      while (cursor != NULL);
      g_test_message ("q=%s: %s", searches[s].q, got->str);
      g_assert_cmpstr (got->str, ==, searches[s].skus);
    }
  {
    g_autoptr (SkTestReply) bad = call ("GET", "/api/products?cursor=%25%25%25", ADMIN, NULL);
    g_autoptr (SkTestReply) limit = call ("GET", "/api/products?limit=0", ADMIN, NULL);

    assert_error (bad, 400, "malformed", "cursor");
    assert_error (limit, 422, "invalid_value", "limit");
  }
}

static void
test_import (void)
{
  g_autoptr (SkTestReply) first = NULL;
  g_autoptr (SkTestReply) again = NULL;
  g_autoptr (SkTestReply) edited = NULL;
  g_autoptr (SkProduct) bear = NULL;
  g_autoptr (SkProduct) car = NULL;
  g_autoptr (SkTestReply) existing
      = call ("POST", "/api/products", ADMIN,
              "{\"sku\": \"imp-0\", \"name\": \"Old\", \"category\": \"Игрушки\", \"price\": 1}");

  assert_status (existing, 201);
  /* What a spreadsheet saves in a Russian locale. */
  first = import (ADMIN, "\xef\xbb\xbf"
                         "Артикул;sku;name;price;category;barcode\r\n"
                         "x;imp-1;\"Мишка; большой\";1 299,50;игрушки;4600000000015\r\n"
                         "x;imp-2;Машинка;99;ИГРУШКИ;12345670\r\n"
                         "x;imp-3;Пазл;10.5;Игры;\r\n");
  assert_status (first, 200);
  g_assert_cmpint (num (first, "created"), ==, 3);
  g_assert_cmpint (num (first, "updated"), ==, 0);
  g_assert_cmpint (num (first, "unchanged"), ==, 0);
  bear = hq_product ("imp-1");
  g_assert_cmpstr (bear->name, ==, "Мишка; большой");
  g_assert_cmpint (bear->price, ==, 129950);
  g_assert_cmpstr (bear->category, ==, "Игрушки"); /* the spelling there was */
  g_assert_cmpint (bear->version, ==, 1);
  car = hq_product ("imp-2");
  g_assert_cmpstr (car->category, ==, "Игрушки");

  /* The same file again changes nothing. */
  again = import (ADMIN, "sku,name,price,category,barcode\n"
                         "imp-1,\"Мишка; большой\",1299.5,Игрушки,4600000000015\n"
                         "imp-2,Машинка,99.00,игрушки,12345670\n");
  assert_status (again, 200);
  g_assert_cmpint (num (again, "created"), ==, 0);
  g_assert_cmpint (num (again, "unchanged"), ==, 2);

  /* A new price, and the two barcodes swapped: an upsert by SKU. */
  edited = import (ADMIN, "sku,name,price,barcode\n"
                          "imp-1,\"Мишка; большой\",1199,12345670\n"
                          "imp-2,Машинка,99,4600000000015\n"
                          "imp-4,Кукла,15,\n");
  assert_status (edited, 200);
  g_assert_cmpint (num (edited, "created"), ==, 1);
  g_assert_cmpint (num (edited, "updated"), ==, 2);
  g_clear_object (&bear);
  bear = hq_product ("imp-1");
  g_assert_cmpint (bear->price, ==, 119900);
  g_assert_cmpstr (bear->barcode, ==, "12345670");
  /* The file has no category column: the product keeps its own. */
  g_assert_cmpstr (bear->category, ==, "Игрушки");
  g_assert_cmpint (bear->version, ==, 2);
  g_clear_object (&car);
  car = hq_product ("imp-2");
  g_assert_cmpstr (car->barcode, ==, "4600000000015");
}

/* A bad row refuses the whole file: every bad row is named, nothing changes. */
static void
test_import_bad (void)
{
  g_autoptr (SkTestReply) made = import (ADMIN, "sku,name,price,barcode\n"
                                                "bad-1,Мяч,100,036000291452\n"
                                                "bad-2,Юла,200,\n");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (SkTestReply) reply = NULL;
  JsonArray  *errors;
  JsonObject *e;

  assert_status (made, 200);
  before = snapshot ("bad-");

  reply = import (ADMIN, "sku,name,price\n"
                         "bad-1,Мяч,150\n"      /* good, but not alone */
                         "bad-3,,10\n"          /* 3: no name */
                         "bad-4,Кубик,дорого\n" /* 4: no price */
                         "bad-5,Кубик,5\n"
                         "bad-5,Кубик,6\n"); /* 6: the SKU twice */
  assert_error (reply, 400, "malformed", "name");
  g_assert_cmpint (num (reply, "error_count"), ==, 3);
  errors = json_object_get_array_member (obj (reply), "errors");
  g_assert_cmpuint (json_array_get_length (errors), ==, 3);
  e = json_array_get_object_element (errors, 0);
  g_assert_cmpint (json_object_get_int_member (e, "line"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (e, "column"), ==, "name");
  e = json_array_get_object_element (errors, 1);
  g_assert_cmpint (json_object_get_int_member (e, "line"), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (e, "column"), ==, "price");
  e = json_array_get_object_element (errors, 2);
  g_assert_cmpint (json_object_get_int_member (e, "line"), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (e, "column"), ==, "sku");
  after = snapshot ("bad-");
  g_assert_cmpstr (after, ==, before);
  g_assert_cmpint (count_products ("bad-5"), ==, 0);

  /* A barcode another product has (one not in the file) is found in the
   * database, named with its line, and nothing of the file is written:
   * not bad-2's new price, not the new bad-6 before it. */
  g_clear_pointer (&reply, sk_test_reply_free);
  reply = import (ADMIN, "sku,name,price,barcode\n"
                         "bad-6,Новый,1,\n"
                         "bad-2,Юла,999,\n"
                         "bad-7,Другой,1,036000291452\n");
  g_assert_cmpint (num (reply, "error_count"), ==, 1);
  assert_error (reply, 400, "malformed", "barcode");
  e = json_array_get_object_element (json_object_get_array_member (obj (reply), "errors"), 0);
  g_assert_cmpint (json_object_get_int_member (e, "line"), ==, 4);
  g_assert_nonnull (strstr (json_object_get_string_member (e, "message"), "bad-1"));
  g_free (after);
  after = snapshot ("bad-");
  g_assert_cmpstr (after, ==, before);

  /* No file, not UTF-8, no header. */
  g_clear_pointer (&reply, sk_test_reply_free);
  reply = import (ADMIN, "");
  assert_error (reply, 400, "malformed", NULL);
  g_clear_pointer (&reply, sk_test_reply_free);
  reply = import (ADMIN, "sku,name,price\nbad-8,\xff\xfe,1\n");
  assert_error (reply, 400, "malformed", NULL);
  g_clear_pointer (&reply, sk_test_reply_free);
  reply = import (ADMIN, "{\"sku\": \"bad-9\"}");
  assert_error (reply, 400, "malformed", NULL);
  g_free (after);
  after = snapshot ("bad-");
  g_assert_cmpstr (after, ==, before);
}

/* A till */

static void
sync_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
sync_till (SkSyncClient *client)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autoptr (GError) error = NULL;

  sk_sync_client_sync_async (client, NULL, sync_ready, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = sk_sync_client_sync_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (summary);
}

static gint64
till_int (SkDatabase *till, const char *sql, const char *sku)
{
  return sk_db_query_int (till, NULL, -1, sql, "s", sku);
}

/* What HQ does to products reaches a till through GET /api/sync/pull: an
 * edit, a swap of barcodes, a delete (a tombstone). */
static void
test_till (void)
{
  g_autofree char *till_path = g_build_filename (env.hq.dir, "till.db", NULL);
  g_autoptr (SkDatabase) till = NULL;
  g_autoptr (SkSyncClient) client = sk_sync_client_new (till_path, env.hq.url);
  g_autoptr (SkProduct) at_till = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkTestReply) reply = NULL;
  JsonArray *changes;

  reply = import (ADMIN, "sku,name,price,barcode\n"
                         "till-1,Мяч,100,4600000000022\n"
                         "till-2,Юла,200,76543210\n"
                         "till-3,Кегли,300,\n");
  assert_status (reply, 200);
  till = sk_database_open (till_path, &error);
  g_assert_no_error (error);
  sk_sync_client_set_token (client, env.token[CASHIER]);
  sync_till (client);
  at_till = sk_database_find_product_by_code (till, "4600000000022", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (at_till->sku, ==, "till-1");
  g_assert_cmpint (at_till->price, ==, 10000); /* 100 rubles */

  /* An edit, a swap and a delete. */
  sk_test_reply_expect (
      &reply, 200, call ("PUT", "/api/products/till-3", ADMIN, "{\"price\": 350, \"version\": 1}"));
  sk_test_reply_expect (&reply, 200,
                        import (ADMIN, "sku,name,price,barcode\n"
                                       "till-1,Мяч,100,76543210\n"
                                       "till-2,Юла,200,4600000000022\n"));
  sk_test_reply_expect (&reply, 204, call ("DELETE", "/api/products/till-2", ADMIN, NULL));

  /* The feed has the tombstone (data null), as a till pulls it. */
  sk_test_reply_expect (&reply, 200, call ("GET", "/api/sync/pull?limit=500", CASHIER, NULL));
  while (TRUE)
    {
      g_autofree char *path = NULL;
      JsonObject      *gone;

      changes = json_object_get_array_member (obj (reply), "changes");
      gone = sk_test_find_change (changes, "product", "till-2");
      if (gone != NULL)
        {
          g_assert_cmpstr (json_object_get_string_member (gone, "op"), ==, "delete");
          g_assert_true (json_object_get_null_member (gone, "data"));
          break;
        }
      g_assert_true (json_object_get_boolean_member (obj (reply), "has_more"));
      path = g_strdup_printf ("/api/sync/pull?limit=500&since=%s", str (reply, "next_cursor"));
      sk_test_reply_expect (&reply, 200, call ("GET", path, CASHIER, NULL));
    }

  sync_till (client);
  g_assert_cmpint (till_int (till, "SELECT price FROM products WHERE sku = ?", "till-3"), ==, 350);
  g_assert_cmpint (till_int (till, "SELECT version FROM products WHERE sku = ?", "till-3"), ==, 2);
  g_assert_cmpint (till_int (till, "SELECT count(*) FROM products WHERE sku = ?", "till-2"), ==, 0);
  g_clear_object (&at_till);
  at_till = sk_database_find_product_by_code (till, "76543210", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (at_till->sku, ==, "till-1");
  g_clear_object (&at_till);
  at_till = sk_database_find_product_by_code (till, "4600000000022", &error);
  g_assert_error (error, SK_ERROR, SK_ERROR_NOT_FOUND);
  g_assert_null (at_till);
}

/* skidka-cli */

/* The real program with the arguments given, up to a NULL. */
#define cli(...) sk_test_run_cli_full (NULL, FALSE, (const char *const[]){ __VA_ARGS__ })

static char *
write_file (const char *name, const char *text)
{
  char *path = g_build_filename (env.hq.dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

static JsonNode *
parse_out (SkTestRun *run)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (run->out, &error);

  g_assert_no_error (error);
  return node;
}

static void
test_cli_file (void)
{
  g_autofree char *db = g_build_filename (env.hq.dir, "cli.db", NULL);
  g_autofree char *good = write_file ("good.csv", "sku;name;price;category\n"
                                                  "cli-1;Мишка;1 299,50;Игрушки\n"
                                                  "cli-2;Юла;99;игрушки\n");
  g_autofree char *bad = write_file ("bad.csv", "sku,name,price\n"
                                                "cli-3,Кубик,10\n"
                                                "cli-4,,10\n"
                                                "cli-5,Мяч,free\n");
  g_autoptr (SkTestRun) init = cli ("--db", db, "init", NULL);
  g_autoptr (SkTestRun) imported = NULL;
  g_autoptr (SkTestRun) refused = NULL;
  g_autoptr (SkTestRun) listed = NULL;
  g_autoptr (SkTestRun) missing = NULL;
  g_autoptr (SkTestRun) usage = NULL;
  g_autoptr (JsonNode) counts = NULL;
  g_autoptr (JsonNode) list = NULL;
  JsonArray *items;

  g_assert_cmpint (init->status, ==, 0);
  imported = cli ("--db", db, "products", "import", good, NULL);
  g_assert_cmpint (imported->status, ==, 0);
  counts = parse_out (imported);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (counts), "created"), ==, 2);

  /* Each bad row with its line and column; exit 1; nothing written. */
  refused = cli ("--db", db, "products", "import", bad, NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_cmpstr (refused->out, ==, "");
  g_assert_nonnull (strstr (refused->err, "bad.csv:3: name:"));
  g_assert_nonnull (strstr (refused->err, "bad.csv:4: price:"));
  g_assert_nonnull (strstr (refused->err, "Nothing was imported"));

  listed = cli ("--db", db, "products", "list", NULL);
  g_assert_cmpint (listed->status, ==, 0);
  list = parse_out (listed);
  items = json_node_get_array (list);
  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (items, 1), "category"), ==,
      "Игрушки");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items, 0), "price"),
                   ==, 129950);

  /* An export made before products had a version: they are at version 1. */
  {
    g_autofree char *old_db = g_build_filename (env.hq.dir, "old-export.db", NULL);
    g_autoptr (SkTestRun) loaded
        = sk_test_run_cli_full ("{\"format\": \"skidka-export\", \"schema_version\": 13, "
                                "\"products\": [{\"sku\": \"old-1\", \"name\": \"Old\", "
                                "\"price\": 100}]}",
                                FALSE, (const char *const[]){ "--db", old_db, "import", NULL });
    g_autoptr (SkTestRun) old_list = cli ("--db", old_db, "products", "list", NULL);
    g_autoptr (JsonNode) old_items = NULL;

    g_assert_cmpint (loaded->status, ==, 0);
    old_items = parse_out (old_list);
    g_assert_cmpint (
        json_object_get_int_member (
            json_array_get_object_element (json_node_get_array (old_items), 0), "version"),
        ==, 1);
  }

  missing = cli ("--db", db, "products", "import", "/nonexistent/prices.csv", NULL);
  g_assert_cmpint (missing->status, ==, 1);
  g_assert_nonnull (strstr (missing->err, "prices.csv"));
  usage = cli ("--db", db, "products", "export", NULL);
  g_assert_cmpint (usage->status, ==, 2);
}

static void
test_cli_server (void)
{
  g_autofree char *admin_token = write_file ("admin.token", env.token[ADMIN]);
  g_autofree char *cashier_token = write_file ("cashier.token", env.token[CASHIER]);
  g_autofree char *good = write_file ("hq.csv", "sku,name,price\n"
                                                "cli-hq-1,Мишка,10\n"
                                                "cli-hq-2,Юла,20\n");
  g_autofree char *bad = write_file ("hq-bad.csv", "sku,name,price\n"
                                                   "cli-hq-3,Кубик,10\n"
                                                   "cli-hq-4,Мяч,-3\n");
  g_autoptr (SkTestRun) imported = NULL;
  g_autoptr (SkTestRun) refused = NULL;
  g_autoptr (SkTestRun) forbidden = NULL;
  g_autoptr (SkTestRun) listed = NULL;
  g_autoptr (SkTestRun) offline = NULL;
  g_autoptr (JsonNode) counts = NULL;
  g_autoptr (JsonNode) list = NULL;

  imported
      = cli ("products", "import", good, "--server", env.hq.url, "--token-file", admin_token, NULL);
  g_assert_cmpint (imported->status, ==, 0);
  counts = parse_out (imported);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (counts), "created"), ==, 2);
  g_assert_cmpint (count_products ("cli-hq-%"), ==, 2);

  refused
      = cli ("products", "import", bad, "--server", env.hq.url, "--token-file", admin_token, NULL);
  g_assert_cmpint (refused->status, ==, 1);
  g_assert_nonnull (strstr (refused->err, "hq-bad.csv:3: price:"));
  g_assert_cmpint (count_products ("cli-hq-3"), ==, 0);

  forbidden = cli ("products", "import", good, "--server", env.hq.url, "--token-file",
                   cashier_token, NULL);
  g_assert_cmpint (forbidden->status, ==, 1);
  /* Refused, in the user's words. */
  g_assert_nonnull (strstr (forbidden->err, "HQ does not let the account"));

  listed = cli ("products", "list", "--search", "CLI-HQ", "--server", env.hq.url, "--token-file",
                cashier_token, NULL);
  g_assert_cmpint (listed->status, ==, 0);
  list = parse_out (listed);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 2);

  /* A server that is not there: a clear message, exit 1. */
  offline = cli ("products", "list", "--server", "http://127.0.0.1:1", "--token-file",
                 cashier_token, NULL);
  g_assert_cmpint (offline->status, ==, 1);
  g_assert_nonnull (strstr (offline->err, "Cannot reach the server"));
}

/* Setup */

static void
setup (void)
{
  static const char *const passwords[N_ROLES]
      = { "admin-pass", "marketing-pass", "manager-pass", "cashier-pass" };
  g_autoptr (GError) error = NULL;
  g_autoptr (SkStore) store = sk_test_store_new ("P1", "Products store");

  sk_test_hq_open (&env.hq, "skidka-products-XXXXXX");
  g_assert_true (sk_database_save_store (env.hq.db, store, &error));
  g_assert_no_error (error);
  env.store = g_strdup (sk_record_get_id (store));
  for (int i = 0; i < N_ROLES; i++)
    {
      g_autofree char *id
          = sk_auth_create_user (env.hq.db, role_names[i], passwords[i], role_names[i],
                                 i >= MANAGER ? env.store : NULL, &error);
      g_assert_no_error (error);
    }

  sk_test_hq_serve (&env.hq, sk_test_server_config (env.hq.path, 2));
  env.session = soup_session_new ();
  for (int i = 0; i < N_ROLES; i++)
    {
      env.token[i] = sk_sync_login (env.hq.url, role_names[i], passwords[i], NULL, &error);
      g_assert_no_error (error);
    }
}

static void
teardown (void)
{
  g_clear_object (&env.session);
  sk_test_hq_close (&env.hq);
  g_free (env.store);
  for (int i = 0; i < N_ROLES; i++)
    g_free (env.token[i]);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  sk_postgres_init ();
  setup ();
  g_test_add_func ("/products/crud", test_crud);
  g_test_add_func ("/products/roles", test_roles);
  g_test_add_func ("/products/list", test_list);
  g_test_add_func ("/products/import", test_import);
  g_test_add_func ("/products/import/bad", test_import_bad);
  g_test_add_func ("/products/till", test_till);
  g_test_add_func ("/products/cli/file", test_cli_file);
  g_test_add_func ("/products/cli/server", test_cli_server);
  status = g_test_run ();
  teardown ();
  return status;
}
