/* sk-server-records.c: the records HQ edits: discount rules, stores, campaigns.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-analytics.h"
#include "sk-server-private.h"

/* Editable records: rules, stores and campaigns share their four handlers;
 * the route's data says which, through functions of these exact types. */
typedef struct
{
  GType (*get_type) (void);
  SkRecord *(*get) (SkDatabase *db, const char *id, GError **error);
  gboolean (*save) (SkDatabase *db, SkRecord *record, GError **error);
  GPtrArray *(*list) (SkDatabase *db, GError **error);
} Editable;

static SkRecord *
get_rule (SkDatabase *db, const char *id, GError **error)
{
  return SK_RECORD (sk_database_get_rule (db, id, error));
}

static gboolean
save_rule (SkDatabase *db, SkRecord *record, GError **error)
{
  return sk_database_save_rule (db, SK_DISCOUNT_RULE (record), error);
}

static SkRecord *
get_store (SkDatabase *db, const char *id, GError **error)
{
  return SK_RECORD (sk_database_get_store (db, id, error));
}

static gboolean
save_store (SkDatabase *db, SkRecord *record, GError **error)
{
  return sk_database_save_store (db, SK_STORE (record), error);
}

static SkRecord *
get_campaign (SkDatabase *db, const char *id, GError **error)
{
  return SK_RECORD (sk_database_get_campaign (db, id, error));
}

static gboolean
save_campaign (SkDatabase *db, SkRecord *record, GError **error)
{
  return sk_database_save_campaign (db, SK_CAMPAIGN (record), error);
}

static const Editable rules_editable = {
  sk_discount_rule_get_type,
  get_rule,
  save_rule,
  sk_database_list_rules,
};
static const Editable stores_editable = {
  sk_store_get_type,
  get_store,
  save_store,
  sk_database_list_stores,
};
static const Editable campaigns_editable = {
  sk_campaign_get_type,
  get_campaign,
  save_campaign,
  sk_database_list_campaigns,
};

static void
handle_editable_list (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = e->list (r->db, &error);

  sk_request_reply_list (r, records, error);
}

static void
handle_editable_create (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr (SkRecord) record = sk_request_body_record (r, e->get_type ());
  g_autoptr (GError) error = NULL;

  if (record == NULL)
    return;
  /* POST creates: with version 0 the save inserts, and an id already
   * taken is a conflict instead of an edit that skipped If-Match. */
  g_object_set (record, "version", (gint64)0, NULL);
  if (!e->save (r->db, record, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply_record (r, 201, record);
}

static void
handle_editable_get (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkRecord) record = e->get (r->db, sk_request_arg (r, 0), &error);

  if (record == NULL)
    sk_request_set_error (r, error);
  else
    sk_request_reply_record (r, 200, record);
}

static void
handle_editable_update (SkRequest *r)
{
  const Editable *e = r->route->data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkRecord) record = e->get (r->db, sk_request_arg (r, 0), &error);

  if (record == NULL)
    sk_request_set_error (r, error);
  else if (!sk_request_body_update (r, record))
    return;
  else if (!e->save (r->db, record, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply_record (r, 200, record);
}

static void
handle_campaign_figures (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCampaign) campaign = sk_database_get_campaign (r->db, sk_request_arg (r, 0), &error);
  SkCampaignFigures figures;

  if (campaign == NULL)
    sk_request_set_error (r, error);
  else if (!sk_analytics_campaign (r->db, sk_request_arg (r, 0), &figures, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, sk_campaign_figures_to_json (&figures));
}

const SkRoute sk_server_records_routes[] = {
  {
      .method = "GET",
      .pattern = "/api/discounts/rules",
      .handler = handle_editable_list,
      .roles = SK_ROLES_ALL,
      .summary = "Discount rules",
      .response_schema = "page:DiscountRule",
      .query_params = "limit,cursor",
      .data = &rules_editable,
      .policy = P_CHAIN_READ ("rule"),
  },
  {
      .method = "POST",
      .pattern = "/api/discounts/rules",
      .handler = handle_editable_create,
      .roles = SK_ROLES_HQ,
      .summary = "Create a rule",
      .request_schema = "DiscountRule",
      .response_schema = "DiscountRule",
      .flags = SK_ROUTE_WRITES,
      .data = &rules_editable,
      .policy = P_HQ_CREATE ("rule"),
  },
  {
      .method = "GET",
      .pattern = "/api/discounts/rules/*",
      .handler = handle_editable_get,
      .roles = SK_ROLES_ALL,
      .summary = "A rule",
      .response_schema = "DiscountRule",
      .data = &rules_editable,
      .policy = P_CHAIN_READ ("rule"),
  },
  {
      .method = "PUT",
      .pattern = "/api/discounts/rules/*",
      .handler = handle_editable_update,
      .roles = SK_ROLES_HQ,
      .summary = "Update a rule (If-Match or version)",
      .request_schema = "DiscountRule",
      .response_schema = "DiscountRule",
      .flags = SK_ROUTE_WRITES,
      .data = &rules_editable,
      .policy = P_HQ_WRITE ("rule"),
  },
  {
      .method = "GET",
      .pattern = "/api/stores",
      .handler = handle_editable_list,
      .roles = SK_ROLES_ALL,
      .summary = "Stores",
      .response_schema = "page:Store",
      .query_params = "limit,cursor",
      .data = &stores_editable,
      .policy = P_CHAIN_READ ("store"),
  },
  {
      .method = "POST",
      .pattern = "/api/stores",
      .handler = handle_editable_create,
      .roles = SK_ROLE_ADMIN,
      .summary = "Create a store",
      .request_schema = "Store",
      .response_schema = "Store",
      .flags = SK_ROUTE_WRITES,
      .data = &stores_editable,
      .policy = P_ADMIN_ONLY " An id already taken is 409 (POST never edits).",
  },
  {
      .method = "GET",
      .pattern = "/api/stores/*",
      .handler = handle_editable_get,
      .roles = SK_ROLES_ALL,
      .summary = "A store",
      .response_schema = "Store",
      .data = &stores_editable,
      .policy = P_CHAIN_READ ("store"),
  },
  {
      .method = "PUT",
      .pattern = "/api/stores/*",
      .handler = handle_editable_update,
      .roles = SK_ROLE_ADMIN,
      .summary = "Update a store (If-Match or version)",
      .request_schema = "Store",
      .response_schema = "Store",
      .flags = SK_ROUTE_WRITES,
      .data = &stores_editable,
      .policy = P_ADMIN_ONLY,
  },
  {
      .method = "GET",
      .pattern = "/api/campaigns",
      .handler = handle_editable_list,
      .roles = SK_ROLES_ALL,
      .summary = "Campaigns",
      .response_schema = "page:Campaign",
      .query_params = "limit,cursor",
      .data = &campaigns_editable,
      .policy = P_CHAIN_READ ("campaign") " Stores see them read-only.",
  },
  {
      .method = "POST",
      .pattern = "/api/campaigns",
      .handler = handle_editable_create,
      .roles = SK_ROLES_HQ,
      .summary = "Create a campaign",
      .request_schema = "Campaign",
      .response_schema = "Campaign",
      .flags = SK_ROUTE_WRITES,
      .data = &campaigns_editable,
      .policy = P_HQ_CREATE ("campaign"),
  },
  {
      .method = "GET",
      .pattern = "/api/campaigns/*",
      .handler = handle_editable_get,
      .roles = SK_ROLES_ALL,
      .summary = "A campaign",
      .response_schema = "Campaign",
      .data = &campaigns_editable,
      .policy = P_CHAIN_READ ("campaign") " Stores see them read-only.",
  },
  {
      .method = "PUT",
      .pattern = "/api/campaigns/*",
      .handler = handle_editable_update,
      .roles = SK_ROLES_HQ,
      .summary = "Update a campaign (If-Match or version)",
      .request_schema = "Campaign",
      .response_schema = "Campaign",
      .flags = SK_ROUTE_WRITES,
      .data = &campaigns_editable,
      .policy = P_HQ_WRITE ("campaign"),
  },
  {
      .method = "GET",
      .pattern = "/api/campaigns/*/figures",
      .handler = handle_campaign_figures,
      .roles = SK_ROLES_HQ,
      .summary = "A campaign's figures",
      .response_schema = "CampaignFigures",
      .policy = P_HQ_WRITE ("campaign"),
  },
};

const guint sk_server_records_routes_n = G_N_ELEMENTS (sk_server_records_routes);
