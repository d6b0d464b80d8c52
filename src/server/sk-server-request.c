/* sk-server-request.c: what every handler shares: replies, the body and query of a request, the
 * store policy. SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <string.h>

#include "sk-server-private.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT     500

/* Replies */

void
sk_request_reply (SkRequest *request, guint status, JsonNode *node)
{
  g_return_if_fail (request != NULL);

  g_clear_pointer (&request->response, json_node_unref);
  request->status = status;
  request->response = node;
}

void
sk_request_fail (SkRequest *request, SkErrorCode code, const char *field, const char *message)
{
  g_return_if_fail (request != NULL);

  sk_request_reply (request, sk_error_code_to_http_status (code),
                    sk_error_to_json (sk_error_code_to_string (code), message, field));
}

void
sk_request_clear (SkRequest *r)
{
  g_clear_pointer (&r->path, g_free);
  g_clear_pointer (&r->args, g_ptr_array_unref);
  g_clear_pointer (&r->query, g_hash_table_unref);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->if_match, g_free);
  g_clear_pointer (&r->authorization, g_free);
  g_clear_pointer (&r->remote, g_free);
  g_clear_pointer (&r->user, sk_account_free);
  g_clear_pointer (&r->response, json_node_unref);
  g_clear_pointer (&r->etag, g_free);
  g_clear_pointer (&r->link, g_free);
  g_clear_pointer (&r->raw, g_bytes_unref);
}

void
sk_request_forget_answer (SkRequest *request)
{
  request->status = 0;
  request->lost_race = FALSE;
  g_clear_pointer (&request->response, json_node_unref);
  g_clear_pointer (&request->etag, g_free);
  g_clear_pointer (&request->link, g_free);
  g_clear_pointer (&request->raw, g_bytes_unref);
}

void
sk_request_lost_race_pause (guint attempt)
{
  /* A little longer each time, at random, so that the two that met do
   * not meet again. */
  g_usleep (g_random_int_range (0, 2000 * attempt));
}

gboolean
sk_request_run_again (GError **error, guint attempt)
{
  if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_BUSY) || attempt >= SK_WRITE_ATTEMPTS)
    return FALSE;
  g_clear_error (error);
  sk_request_lost_race_pause (attempt);
  return TRUE;
}

void
sk_request_set_error (SkRequest *request, const GError *error)
{
  g_return_if_fail (request != NULL);

  if (error == NULL)
    {
      sk_request_fail (request, SK_ERROR_DATABASE, NULL, "Something went wrong on the server");
      return;
    }
  request->lost_race = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  if (error->domain != SK_ERROR || error->code == SK_ERROR_DATABASE
      || error->code == SK_ERROR_SCHEMA_TOO_NEW)
    {
      /* Never SQL text in a response; the log has it. */
      g_message ("%s %s: %s", request->method, request->path, error->message);
      sk_request_fail (request, SK_ERROR_DATABASE, NULL,
                       "The database could not do this; try again");
      return;
    }
  sk_request_fail (request, error->code, sk_error_get_field (error), error->message);
}

/* @record with its version as the ETag; @error when it is NULL (not found,
 * or the query failed). */
void
sk_request_reply_record (SkRequest *r, guint status, gpointer record, const GError *error)
{
  GParamSpec *version;

  if (record == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  version = g_object_class_find_property (G_OBJECT_GET_CLASS (record), "version");
  if (version != NULL)
    {
      gint64 v = 0;

      g_object_get (record, "version", &v, NULL);
      g_free (r->etag);
      r->etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", v);
    }
  sk_request_reply (r, status, sk_record_to_json (record));
}

/* Input */

JsonObject *
sk_request_body_object (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  gsize       length = 0;
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
sk_request_member_node (
    SkRequest *r, JsonObject *object, const char *name, gboolean required, JsonNode **node)
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
sk_request_member_is (SkRequest *r, JsonNode *node, const char *name, GType type, const char *what)
{
  g_autofree char *message = NULL;

  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type)
    return TRUE;
  message = g_strdup_printf ("%s must be %s", name, what);
  sk_request_fail (r, SK_ERROR_MALFORMED, name, message);
  return FALSE;
}

/* A string member: absent or null gives NULL; another type is malformed. */
gboolean
sk_request_member_string (
    SkRequest *r, JsonObject *object, const char *name, gboolean required, const char **out)
{
  JsonNode *node;

  *out = NULL;
  if (!sk_request_member_node (r, object, name, required, &node))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!sk_request_member_is (r, node, name, G_TYPE_STRING, "a string"))
    return FALSE;
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
sk_request_member_int (
    SkRequest *r, JsonObject *object, const char *name, gboolean required, gint64 *out)
{
  JsonNode *node;

  if (!sk_request_member_node (r, object, name, required, &node))
    return FALSE;
  if (node == NULL)
    return TRUE;
  if (!sk_request_member_is (r, node, name, G_TYPE_INT64, "a whole number"))
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

const char *
sk_request_query (SkRequest *r, const char *name)
{
  const char *value = g_hash_table_lookup (r->query, name);

  return value != NULL && *value != '\0' ? value : NULL;
}

gboolean
sk_request_query_limit (SkRequest *r, guint *limit)
{
  const char *text = sk_request_query (r, "limit");
  guint64     value = DEFAULT_LIMIT;

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

gboolean
sk_request_query_time (SkRequest *r, const char *name, gint64 fallback, gint64 *out)
{
  const char *text = sk_request_query (r, name);

  *out = fallback;
  if (text != NULL && !sk_time_from_rfc3339 (text, out))
    {
      g_autofree char *message = g_strdup_printf ("%s must be an RFC 3339 time", name);
      sk_request_fail (r, SK_ERROR_MALFORMED, name, message);
      return FALSE;
    }
  return TRUE;
}

const char *
sk_request_arg (SkRequest *r, guint i)
{
  return g_ptr_array_index (r->args, i);
}

/* Roles bound to a store act on their own store only. */
gboolean
sk_request_store_allowed (SkRequest *r, const char *store_id)
{
  if (r->user == NULL || !(r->user->role & SK_ROLES_STORE))
    return TRUE;
  if (g_strcmp0 (store_id, r->user->store_id) == 0)
    return TRUE;
  sk_request_fail (r, SK_ERROR_FORBIDDEN, "store_id", "You may act only for your own store");
  return FALSE;
}

const char *
sk_request_own_store (SkRequest *r)
{
  return r->user != NULL && (r->user->role & SK_ROLES_STORE) ? r->user->store_id : NULL;
}

/* The policy (SPEC 5; README, "Who may do what"): customers are members of
 * the chain, but a customer is of a store when it is the customer's home
 * store or the customer bought there. *own is TRUE for HQ roles. */
gboolean
sk_request_customer_is_own (SkRequest *r, SkCustomer *customer, gboolean *own, GError **error)
{
  g_autofree char *home = NULL;
  const char      *store = sk_request_own_store (r);

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
gboolean
sk_request_customer_allowed (SkRequest *r, SkCustomer *customer)
{
  g_autoptr (GError) error = NULL;
  gboolean own = FALSE;

  if (!sk_request_customer_is_own (r, customer, &own, &error))
    {
      sk_request_set_error (r, error);
      return FALSE;
    }
  if (!own)
    sk_request_fail (
        r, SK_ERROR_FORBIDDEN, NULL,
        "This customer is another store's: neither its home store nor a store where it bought");
  return own;
}

SkCustomer *
sk_request_allowed_customer (SkRequest *r, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) customer = sk_database_get_customer (r->db, id, &error);

  if (customer == NULL)
    {
      sk_request_set_error (r, error);
      return NULL;
    }
  if (!sk_request_customer_allowed (r, customer))
    return NULL;
  return g_steal_pointer (&customer);
}

/* {"items": [...], "next_cursor": ...}: a page of @records; @error when
 * they are NULL (the query failed). */
void
sk_request_reply_items (SkRequest    *r,
                        GPtrArray    *records,
                        const char   *next_cursor,
                        const GError *error)
{
  g_autoptr (JsonBuilder) builder = NULL;

  if (records == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < records->len; i++)
    sk_record_build_json (g_ptr_array_index (records, i), builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next_cursor");
  sk_json_add_string_or_null (builder, next_cursor);
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

/* A page of an in-memory list (of the few rules, stores or campaigns of a
 * chain), or @error when it is NULL; the cursor is the offset of the next
 * item. */
void
sk_request_reply_list (SkRequest *r, GPtrArray *records, const GError *error)
{
  const char      *cursor = sk_request_query (r, "cursor");
  g_autofree char *next = NULL;
  guint64          offset = 0;
  guint            limit;

  if (records == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!sk_request_query_limit (r, &limit))
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
  sk_request_reply_items (r, records, next, NULL);
}

/* The version in If-Match: *version 0 when there is none or it is "*";
 * FALSE (the request answered 412) when it names no version. */
gboolean
sk_request_if_match_version (SkRequest *r, gint64 *version)
{
  g_autofree char *tag = NULL;
  char            *text;

  *version = 0;
  if (r->if_match == NULL)
    return TRUE;
  tag = g_strdup (r->if_match);
  text = g_strstrip (tag);
  if (g_str_equal (text, "*"))
    return TRUE;
  if (g_str_has_prefix (text, "W/"))
    text += 2;
  if (*text == '"')
    text++;
  if (*text != '\0' && text[strlen (text) - 1] == '"')
    text[strlen (text) - 1] = '\0';
  if (!g_ascii_string_to_signed (text, 10, 1, G_MAXINT64, version, NULL))
    {
      *version = 0;
      sk_request_fail (r, SK_ERROR_STALE, "version", "The record has changed since you read it");
      return FALSE;
    }
  return TRUE;
}

/* The version the client saw: If-Match wins over a "version" member. A
 * request with neither updates unconditionally. */
static gboolean
apply_version (SkRequest *r, gpointer record, JsonObject *object)
{
  gint64 version = -1;

  if (r->if_match != NULL)
    {
      if (!sk_request_if_match_version (r, &version))
        return FALSE;
    }
  else if (json_object_has_member (object, "version"))
    {
      if (!sk_request_member_int (r, object, "version", TRUE, &version))
        return FALSE;
      if (version < 1)
        {
          sk_request_fail (r, SK_ERROR_STALE, "version",
                           "The record has changed since you read it");
          return FALSE;
        }
    }
  if (version > 0)
    g_object_set (record, "version", version, NULL);
  return TRUE;
}

/* Parses the body into a new record of @type (POST). */
gpointer
sk_request_body_record (SkRequest *r, GType type)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GError) error = NULL;
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
gboolean
sk_request_body_update (SkRequest *r, gpointer record)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_strdup (sk_record_get_id (record));

  if (object == NULL || !apply_version (r, record, object))
    return FALSE;
  if (!sk_record_update_from_json (record, object, &error))
    {
      sk_request_set_error (r, error);
      return FALSE;
    }
  /* A product's key is its SKU: its handler keeps that. */
  if (id != NULL)
    g_object_set (record, "id", id, NULL);
  return TRUE;
}
