/* sk-server-sync.c: sync between tills and HQ (SPEC 6): what tills push, and what they pull.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <string.h>

#include "sk-change-feed.h"
#include "sk-server-private.h"
#include "sk-sync.h"

/* Push */

static int
compare_seq (gconstpointer a, gconstpointer b)
{
  const SkSyncEvent *x = *(SkSyncEvent *const *)a, *y = *(SkSyncEvent *const *)b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The push's events, in sequence order; NULL (and the request failed) when
 * one is not an event at all: the push is refused whole, as nothing of it
 * could be acknowledged. */
static GPtrArray *
push_events (SkRequest *r, JsonObject *object)
{
  g_autoptr (GPtrArray) events
      = g_ptr_array_new_with_free_func ((GDestroyNotify)sk_sync_event_free);
  JsonNode  *node = json_object_get_member (object, "events");
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "events", "events must be a list of events");
      return NULL;
    }
  array = json_node_get_array (node);
  if (json_array_get_length (array) > SK_SYNC_MAX_EVENTS)
    {
      g_autofree char *message = g_strdup_printf (
          "A push carries at most %d events; push the rest next", SK_SYNC_MAX_EVENTS);

      sk_request_reply (r, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                        sk_error_to_json ("too_large", message, "events"));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autoptr (GError) error = NULL;
      SkSyncEvent *event = sk_sync_event_from_json (json_array_get_element (array, i), &error);

      if (event == NULL)
        {
          const char      *inner = sk_error_get_field (error);
          g_autofree char *field = inner ? g_strdup_printf ("events[%u].%s", i, inner)
                                         : g_strdup_printf ("events[%u]", i);

          sk_request_fail (r, SK_ERROR_MALFORMED, field, error->message);
          return NULL;
        }
      g_ptr_array_add (events, event);
    }
  g_ptr_array_sort (events, compare_seq);
  for (guint i = 1; i < events->len; i++)
    if (((SkSyncEvent *)g_ptr_array_index (events, i))->seq
        == ((SkSyncEvent *)g_ptr_array_index (events, i - 1))->seq)
      {
        sk_request_fail (r, SK_ERROR_MALFORMED, "events",
                         "Two events of the push have the same seq");
        return NULL;
      }
  return g_steal_pointer (&events);
}

static void
handle_push (SkRequest *r)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *store_id = NULL;
  g_autoptr (SkStore) store = NULL;
  const char  *device_id, *app_version, *asked_store;
  SkSyncPusher pusher = { 0 };
  gint64       acked_seq = 0, acquired;
  gboolean     ok;

  if (object == NULL || !sk_request_member_string (r, object, "device_id", TRUE, &device_id)
      || !sk_request_member_string (r, object, "app_version", FALSE, &app_version)
      || !sk_request_member_string (r, object, "store_id", FALSE, &asked_store))
    return;
  if (!g_uuid_string_is_valid (device_id))
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "device_id", "device_id must be the till's UUID");
      return;
    }
  if (app_version != NULL && strlen (app_version) > 100)
    {
      sk_request_fail (r, SK_ERROR_INVALID, "app_version", "app_version is at most 100 bytes");
      return;
    }
  events = push_events (r, object);
  if (events == NULL)
    return;

  pusher.device_id = device_id;
  pusher.app_version = app_version;
  pusher.user_id = r->user->id;
  pusher.role = r->user->role;
  pusher.user_store_id = r->user->store_id;
  pusher.manual_bonus_limit = r->config->manual_bonus_limit;

  /* Each transaction holds the write lock on its own, so other requests
   * (and other tills' pushes) go between the events of a long push. */
  acquired = sk_write_lock_acquire (r->write_lock);
  r->write_locked = TRUE;
  ok = sk_database_sync_device (r->db, &pusher, asked_store, &store_id, &acked_seq, &error);
  for (guint attempt = 1; !ok && sk_request_run_again (&error, attempt); attempt++)
    ok = sk_database_sync_device (r->db, &pusher, asked_store, &store_id, &acked_seq, &error);
  sk_write_lock_release (r->write_lock, acquired);
  if (ok)
    store = sk_database_get_store (r->db, store_id, &error);
  if (store == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "device_id");
  json_builder_add_string_value (b, device_id);
  json_builder_set_member_name (b, "store_id");
  json_builder_add_string_value (b, store_id);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint i = 0; i < events->len; i++)
    {
      g_autoptr (SkSyncAnswer) answer = NULL;

      acquired = sk_write_lock_acquire (r->write_lock);
      answer = sk_database_sync_apply (r->db, &pusher, store, g_ptr_array_index (events, i),
                                       &acked_seq, &error);
      /* Each event on its own: the ones answered stay answered. */
      for (guint attempt = 1; answer == NULL && sk_request_run_again (&error, attempt); attempt++)
        answer = sk_database_sync_apply (r->db, &pusher, store, g_ptr_array_index (events, i),
                                         &acked_seq, &error);
      sk_write_lock_release (r->write_lock, acquired);
      if (answer == NULL)
        break;
      json_builder_add_value (b, sk_sync_answer_to_json (answer));
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "acked_seq");
  json_builder_add_int_value (b, acked_seq);
  if (error != NULL)
    {
      /* The database failed: what was answered stays acknowledged, the
       * rest is pushed again. Never its text in a response: the log has it. */
      g_message ("%s %s: %s", r->method, r->path, error->message);
      json_builder_set_member_name (b, "error");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "code");
      json_builder_add_string_value (b, "database_error");
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b,
                                     "The server could not apply the rest of the push; push again");
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  sk_request_reply (r, 200, json_builder_get_root (b));
}

/* Pull */

static void
handle_sync_pull (SkRequest *r)
{
  g_autoptr (SkChangePage) page = NULL;
  g_autoptr (GError) error = NULL;
  guint limit;

  if (!sk_request_query_limit (r, &limit))
    return;
  page = sk_database_pull_changes (r->db, sk_request_query (r, "since"), limit, &error);
  if (page == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  /* The next page, named as the till would ask for it: it may ask at once,
   * before it has parsed this one. */
  if (page->has_more)
    {
      g_autofree char *since = g_uri_escape_string (page->next_cursor, NULL, FALSE);

      r->link = g_strdup_printf ("</api/sync/pull?limit=%u&since=%s>; rel=\"next\"", limit, since);
    }
  sk_request_reply (r, 200, sk_change_page_to_json (page));
}

/* Review and devices */

/* {"items": [...], "next_cursor": ...}: a page of JSON objects. */
static void
reply_json_page (SkRequest *r, GPtrArray *items, const char *next_cursor)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "items");
  json_builder_begin_array (b);
  for (guint i = 0; i < items->len; i++)
    json_builder_add_value (b, json_node_ref (g_ptr_array_index (items, i)));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "next_cursor");
  sk_json_add_string_or_null (b, next_cursor);
  json_builder_end_object (b);
  sk_request_reply (r, 200, json_builder_get_root (b));
}

static void
handle_sync_review (SkRequest *r)
{
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *next = NULL;
  const char      *resolved = sk_request_query (r, "resolved");
  guint            limit;

  if (!sk_request_query_limit (r, &limit))
    return;
  if (resolved != NULL && !g_str_equal (resolved, "false") && !g_str_equal (resolved, "true"))
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "resolved", "resolved must be true or false");
      return;
    }
  /* A manager sees its own store's items only. */
  items = sk_database_sync_review_page (r->db, sk_request_own_store (r),
                                        g_strcmp0 (resolved, "true") == 0,
                                        sk_request_query (r, "cursor"), limit, &next, &error);
  if (items == NULL)
    sk_request_set_error (r, error);
  else
    reply_json_page (r, items, next);
}

static void
handle_sync_review_resolve (SkRequest *r)
{
  g_autoptr (JsonNode) item = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = sk_request_arg (r, 0);

  item = sk_database_sync_review_get (r->db, id, &error);
  if (item == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!sk_request_store_allowed (
          r, json_object_get_string_member (json_node_get_object (item), "store_id")))
    return;
  g_clear_pointer (&item, json_node_unref);
  item = sk_database_sync_review_resolve (r->db, id, r->user->id, &error);
  if (item == NULL)
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, g_steal_pointer (&item));
}

static void
handle_sync_devices (SkRequest *r)
{
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *next = NULL;
  guint            limit;

  if (!sk_request_query_limit (r, &limit))
    return;
  devices = sk_database_sync_devices_page (r->db, sk_request_query (r, "store_id"),
                                           sk_request_query (r, "cursor"), limit, &next, &error);
  if (devices == NULL)
    sk_request_set_error (r, error);
  else
    reply_json_page (r, devices, next);
}

const SkRoute sk_server_sync_routes[] = {
  {
      .method = "POST",
      .pattern = "/api/sync/push",
      .handler = handle_push,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER | SK_ROLE_CASHIER,
      .summary = "A till's outbox events, applied once each, in sequence order",
      .request_schema = "SyncPush",
      .response_schema = "SyncPushResult",
      .policy = P_SYNC_PUSH,
  },
  {
      .method = "GET",
      .pattern = "/api/sync/pull",
      .handler = handle_sync_pull,
      .roles = SK_ROLES_ALL,
      .summary = "Changes since a cursor: what a till keeps of HQ's data; while there is more, "
                 "a Link header (rel=\"next\") names the next page",
      .response_schema = "SyncPull",
      .query_params = "since,limit",
      .policy = P_SYNC_PULL,
  },
  {
      .method = "GET",
      .pattern = "/api/sync/review",
      .handler = handle_sync_review,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER,
      .summary = "What HQ should look at of what tills pushed, newest first",
      .response_schema = "page:SyncReviewItem",
      .query_params = "resolved,cursor,limit",
      .policy = P_SYNC_REVIEW,
  },
  {
      .method = "POST",
      .pattern = "/api/sync/review/*/resolve",
      .handler = handle_sync_review_resolve,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MANAGER,
      .summary = "Marks a review item resolved (again: as it was)",
      .response_schema = "SyncReviewItem",
      .flags = SK_ROUTE_WRITES,
      .policy = P_SYNC_REVIEW_RESOLVE,
  },
  {
      .method = "GET",
      .pattern = "/api/sync/devices",
      .handler = handle_sync_devices,
      .roles = SK_ROLE_ADMIN,
      .summary = "The tills: store, account, last contact, acknowledged sequence, version",
      .response_schema = "page:SyncDevice",
      .query_params = "store_id,cursor,limit",
      .policy = P_ADMIN_ONLY,
  },
};

const guint sk_server_sync_routes_n = G_N_ELEMENTS (sk_server_sync_routes);
