/* sk-server-records.c: the records HQ edits: discount rules, stores, campaigns,
 * and the handlers they share with products.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-analytics.h"
#include "sk-server-private.h"

/* Rules, stores and campaigns as SkEditable (sk-server-private.h). */

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

static const SkEditable rules_editable = {
  sk_discount_rule_get_type,
  get_rule,
  save_rule,
  sk_database_list_rules,
};
static const SkEditable stores_editable = {
  sk_store_get_type,
  get_store,
  save_store,
  sk_database_list_stores,
};
static const SkEditable campaigns_editable = {
  sk_campaign_get_type,
  get_campaign,
  save_campaign,
  sk_database_list_campaigns,
};

static void
handle_editable_list (SkRequest *r)
{
  const SkEditable *e = r->route->data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) records = e->list (r->db, &error);

  sk_request_reply_list (r, records, error);
}

void
sk_editable_handle_create (SkRequest *r)
{
  const SkEditable *e = r->route->data;
  g_autoptr (SkRecord) record = sk_request_body_record (r, e->get_type ());
  g_autoptr (GError) error = NULL;

  if (record == NULL)
    return;
  /* POST creates: with version 0 the save inserts, and an id (or SKU)
   * already taken is a conflict instead of an edit that skipped If-Match. */
  g_object_set (record, "version", (gint64)0, NULL);
  if (!e->save (r->db, record, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply_record (r, 201, record, NULL);
}

void
sk_editable_handle_get (SkRequest *r)
{
  const SkEditable *e = r->route->data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkRecord) record = e->get (r->db, sk_request_arg (r, 0), &error);

  sk_request_reply_record (r, 200, record, error);
}

void
sk_editable_handle_update (SkRequest *r)
{
  const SkEditable *e = r->route->data;
  g_autoptr (GError) error = NULL;
  g_autoptr (SkRecord) record = e->get (r->db, sk_request_arg (r, 0), &error);

  if (record == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  if (!sk_request_body_update (r, record))
    return;
  /* A key that is a field (a product's SKU) stays the path's. */
  if (e->key != NULL)
    g_object_set (record, e->key, sk_request_arg (r, 0), NULL);
  if (!e->save (r->db, record, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply_record (r, 200, record, NULL);
}

static void
handle_campaign_figures (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCampaign) campaign = NULL;
  const char       *store_id = sk_request_query (r, "store_id");
  SkCampaignFigures figures;

  /* A store's manager sees its store's sales, as its other analytics. */
  if (store_id != NULL && !sk_request_store_allowed (r, store_id))
    return;
  if (store_id == NULL)
    store_id = sk_request_own_store (r);
  campaign = sk_database_get_campaign (r->db, sk_request_arg (r, 0), &error);
  if (campaign == NULL)
    sk_request_set_error (r, error);
  else if (!sk_analytics_campaign (r->db, sk_request_arg (r, 0), store_id, &figures, &error))
    sk_request_set_error (r, error);
  else
    sk_request_reply (r, 200, sk_campaign_figures_to_json (&figures));
}

/* The four routes of an editable record: its list (@plural) and a new one
 * at @path, one (a @one) at @path/{id}; @writers create and update it. */
/* clang-format off */
#define EDITABLE_ROUTES(path, Schema, editable, plural, one, writers,                              \
                        read_policy, create_policy, update_policy)                                 \
  { .method = "GET", .pattern = path, .handler = handle_editable_list,                             \
    .roles = SK_ROLES_ALL, .summary = plural, .response_schema = "page:" Schema,                   \
    .query_params = "limit,cursor", .data = &editable, .policy = read_policy },                    \
  { .method = "POST", .pattern = path, .handler = sk_editable_handle_create,                          \
    .roles = writers, .summary = "Create a " one, .request_schema = Schema,                        \
    .response_schema = Schema, .flags = SK_ROUTE_WRITES, .data = &editable,                        \
    .policy = create_policy },                                                                     \
  { .method = "GET", .pattern = path "/*", .handler = sk_editable_handle_get,                         \
    .roles = SK_ROLES_ALL, .summary = "A " one, .response_schema = Schema,                         \
    .data = &editable, .policy = read_policy },                                                    \
  { .method = "PUT", .pattern = path "/*", .handler = sk_editable_handle_update,                      \
    .roles = writers, .summary = "Update a " one " (If-Match or version)",                         \
    .request_schema = Schema, .response_schema = Schema, .flags = SK_ROUTE_WRITES,                 \
    .data = &editable, .policy = update_policy }
/* clang-format on */

const SkRoute sk_server_records_routes[] = {
  EDITABLE_ROUTES ("/api/discounts/rules",
                   "DiscountRule",
                   rules_editable,
                   "Discount rules",
                   "rule",
                   SK_ROLES_HQ,
                   P_CHAIN_READ ("rule"),
                   P_HQ_CREATE ("rule"),
                   P_HQ_WRITE ("rule")),
  EDITABLE_ROUTES ("/api/stores",
                   "Store",
                   stores_editable,
                   "Stores",
                   "store",
                   SK_ROLE_ADMIN,
                   P_CHAIN_READ ("store"),
                   P_ADMIN_ONLY " An id already taken is 409 (POST never edits).",
                   P_ADMIN_ONLY),
  EDITABLE_ROUTES ("/api/campaigns",
                   "Campaign",
                   campaigns_editable,
                   "Campaigns",
                   "campaign",
                   SK_ROLES_HQ,
                   P_CHAIN_READ ("campaign") " Stores see them read-only.",
                   P_HQ_CREATE ("campaign"),
                   P_HQ_WRITE ("campaign")),
  {
      .method = "GET",
      .pattern = "/api/campaigns/*/figures",
      .handler = handle_campaign_figures,
      .roles = SK_ROLES_HQ | SK_ROLE_MANAGER,
      .summary = "A campaign's figures: its sales at store_id (none: every store), its budget",
      .response_schema = "CampaignFigures",
      .query_params = "store_id",
      .policy = P_ANALYTICS,
  },
};

const guint sk_server_records_routes_n = G_N_ELEMENTS (sk_server_records_routes);
