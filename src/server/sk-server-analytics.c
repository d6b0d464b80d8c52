/* sk-server-analytics.c: figures of a period, detailed analytics, segments.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-analytics.h"
#include "sk-server-private.h"

/* Analytics */

static gboolean
analytics_stores (SkRequest *r, const char *store_id, char ***store_ids)
{
  const char *own = sk_request_own_store (r);

  if (store_id != NULL && !sk_request_store_allowed (r, store_id))
    return FALSE;
  if (store_id == NULL)
    store_id = own;
  *store_ids = store_id ? g_strsplit (store_id, ",", -1) : NULL;
  return TRUE;
}

static void
handle_summary (SkRequest *r)
{
  g_auto (GStrv) store_ids = NULL;
  g_autoptr (GError) error = NULL;
  SkSummary summary;
  gint64    now = sk_time_now ();
  gint64    from, to;

  if (!sk_request_query_time (r, "from", now - 30 * G_TIME_SPAN_DAY, &from)
      || !sk_request_query_time (r, "to", now + G_TIME_SPAN_SECOND, &to)
      || !analytics_stores (r, sk_request_query (r, "store_id"), &store_ids))
    return;
  if (!sk_analytics_summary (r->db, from, to, (const char *const *)store_ids, &summary, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, sk_summary_to_json (&summary));
}

static gboolean
body_time (SkRequest *r, JsonObject *object, const char *name, gint64 *out)
{
  const char *text;

  if (!sk_request_member_string (r, object, name, FALSE, &text))
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
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (SkChartFigures) figures = NULL;
  g_autoptr (GError) error = NULL;
  gint64             now = sk_time_now ();
  gint64             from = now - 30 * G_TIME_SPAN_DAY, to = now + G_TIME_SPAN_SECOND;
  JsonNode          *stores;
  const char *const *store_ids;

  if (object == NULL || !body_time (r, object, "from", &from) || !body_time (r, object, "to", &to))
    return;
  stores = json_object_get_member (object, "store_ids");
  if (stores != NULL && !JSON_NODE_HOLDS_NULL (stores))
    {
      JsonArray *array;
      guint      i;

      if (!JSON_NODE_HOLDS_ARRAY (stores))
        {
          sk_request_fail (r, SK_ERROR_MALFORMED, "store_ids",
                           "store_ids must be an array of strings");
          return;
        }
      array = json_node_get_array (stores);
      for (i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
            {
              sk_request_fail (r, SK_ERROR_MALFORMED, "store_ids",
                               "store_ids must be an array of strings");
              return;
            }
          if (!sk_request_store_allowed (r, json_node_get_string (item)))
            return;
          g_ptr_array_add (ids, g_strdup (json_node_get_string (item)));
        }
    }
  if (ids->len == 0 && sk_request_own_store (r) != NULL)
    g_ptr_array_add (ids, g_strdup (sk_request_own_store (r)));
  g_ptr_array_add (ids, NULL);
  store_ids = (const char *const *)ids->pdata;

  figures = sk_analytics_figures (r->db, from, to, store_ids, &error);
  if (figures == NULL)
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, sk_chart_figures_to_json (figures));
}

static void
handle_segments_update (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
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

const SkRoute sk_server_analytics_routes[] = {
  {
      .method = "GET",
      .pattern = "/api/analytics/summary",
      .handler = handle_summary,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER,
      .summary = "Revenue, discounts and bonuses of a period",
      .response_schema = "Summary",
      .query_params = "from,to,store_id",
      .flags = SK_ROUTE_CACHES,
      .policy = P_ANALYTICS,
  },
  {
      .method = "POST",
      .pattern = "/api/analytics",
      .handler = handle_detailed,
      .roles = SK_ROLE_ADMIN | SK_ROLE_MARKETING | SK_ROLE_MANAGER,
      .summary = "Detailed analytics: summary, days, segments, rules",
      .request_schema = "AnalyticsRequest",
      .response_schema = "Analytics",
      .flags = SK_ROUTE_CACHES,
      .policy = P_ANALYTICS,
  },
  {
      .method = "POST",
      .pattern = "/api/analytics/segments/update",
      .handler = handle_segments_update,
      .roles = SK_ROLES_HQ,
      .summary = "Recompute everyone's segment",
      .response_schema = "SegmentsUpdate",
      .flags = SK_ROUTE_WRITES,
      .policy = P_HQ_ONLY,
  },
};

const guint sk_server_analytics_routes_n = G_N_ELEMENTS (sk_server_analytics_routes);
