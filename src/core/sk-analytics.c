/* sk-analytics.c: set-based SQL for the charts and the analytics API.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-analytics.h"
#include "sk-database-private.h"
#include "sk-error.h"

/* Store filters travel as one JSON array parameter: NULL = every store. */
static char *
stores_param (const char * const *store_ids)
{
  if (store_ids == NULL || store_ids[0] == NULL)
    return NULL;
  return sk_strv_to_json ((char **) store_ids);
}

static gboolean
check_period (gint64   from,
              gint64   to,
              GError **error)
{
  if (from >= to)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "to", _("The period must end after it starts"));
      return FALSE;
    }
  return TRUE;
}

gboolean
sk_analytics_summary (SkDatabase         *db,
                      gint64              from,
                      gint64              to,
                      const char * const *store_ids,
                      SkSummary          *out,
                      GError            **error)
{
  g_autofree char *stores = stores_param (store_ids);
  sqlite3_stmt *stmt;
  gboolean has_row = FALSE;

  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (!check_period (from, to, error))
    return FALSE;
  stmt = sk_db_query (db, error,
                      "SELECT count (*), total (subtotal - discount_total - refunded_total),"
                      " total (discount_total), total (bonus_earned), total (bonus_spent),"
                      " count (DISTINCT customer_id)"
                      " FROM purchases INDEXED BY purchases_time"
                      " WHERE created_at >= ?1 AND created_at < ?2"
                      " AND (?3 IS NULL OR store_id IN (SELECT value FROM json_each (?3)))",
                      "iis", from, to, stores);
  if (stmt == NULL || !sk_db_step (db, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    {
      out->purchases = sqlite3_column_int64 (stmt, 0);
      out->revenue = sqlite3_column_int64 (stmt, 1);
      out->discounts = sqlite3_column_int64 (stmt, 2);
      out->bonus_earned = sqlite3_column_int64 (stmt, 3);
      out->bonus_spent = sqlite3_column_int64 (stmt, 4);
      out->customers = sqlite3_column_int64 (stmt, 5);
      out->average_check = out->purchases > 0 ? out->revenue / out->purchases : 0;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

GArray *
sk_analytics_daily (SkDatabase         *db,
                    gint64              from,
                    gint64              to,
                    const char * const *store_ids,
                    GError            **error)
{
  g_autofree char *stores = stores_param (store_ids);
  g_autoptr(GArray) points = g_array_new (FALSE, TRUE, sizeof (SkDailyPoint));
  sqlite3_stmt *stmt;
  gboolean has_row;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  if (!check_period (from, to, error))
    return NULL;
  stmt = sk_db_query (db, error,
                      "SELECT date (created_at / 1000000, 'unixepoch') AS day,"
                      " total (subtotal - discount_total - refunded_total), total (discount_total),"
                      " total (bonus_earned), total (bonus_spent), count (*)"
                      " FROM purchases INDEXED BY purchases_time"
                      " WHERE created_at >= ?1 AND created_at < ?2"
                      " AND (?3 IS NULL OR store_id IN (SELECT value FROM json_each (?3)))"
                      " GROUP BY day ORDER BY day",
                      "iis", from, to, stores);
  if (stmt == NULL)
    return NULL;
  while (sk_db_step (db, stmt, &has_row, error))
    {
      SkDailyPoint point = { { 0 } };

      if (!has_row)
        {
          sqlite3_reset (stmt);
          return g_steal_pointer (&points);
        }
      g_strlcpy (point.day, (const char *) sqlite3_column_text (stmt, 0), sizeof point.day);
      point.revenue = sqlite3_column_int64 (stmt, 1);
      point.discounts = sqlite3_column_int64 (stmt, 2);
      point.bonus_earned = sqlite3_column_int64 (stmt, 3);
      point.bonus_spent = sqlite3_column_int64 (stmt, 4);
      point.purchases = sqlite3_column_int64 (stmt, 5);
      g_array_append_val (points, point);
    }
  return NULL;
}

GArray *
sk_analytics_segments (SkDatabase *db,
                       GError    **error)
{
  static const char * const order[] = {
    SK_SEGMENT_NEW, SK_SEGMENT_ONE_TIME, SK_SEGMENT_OCCASIONAL, SK_SEGMENT_REGULAR, SK_SEGMENT_VIP,
  };
  g_autoptr(GArray) counts = g_array_new (FALSE, TRUE, sizeof (SkSegmentCount));
  sqlite3_stmt *stmt;
  gboolean has_row;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      SkSegmentCount count = { { 0 } };
      g_strlcpy (count.segment, order[i], sizeof count.segment);
      g_array_append_val (counts, count);
    }
  stmt = sk_db_query (db, error,
                      "SELECT segment, count (*), total (total_spent), total (bonus_balance)"
                      " FROM customers GROUP BY segment", NULL);
  if (stmt == NULL)
    return NULL;
  while (sk_db_step (db, stmt, &has_row, error))
    {
      const char *segment;

      if (!has_row)
        {
          sqlite3_reset (stmt);
          return g_steal_pointer (&counts);
        }
      segment = (const char *) sqlite3_column_text (stmt, 0);
      for (guint i = 0; i < counts->len; i++)
        {
          SkSegmentCount *count = &g_array_index (counts, SkSegmentCount, i);
          if (g_strcmp0 (count->segment, segment) == 0)
            {
              count->customers = sqlite3_column_int64 (stmt, 1);
              count->total_spent = sqlite3_column_int64 (stmt, 2);
              count->bonus_balance = sqlite3_column_int64 (stmt, 3);
            }
        }
    }
  return NULL;
}

static void
rule_stats_clear (gpointer data)
{
  SkRuleStats *stats = data;

  g_free (stats->rule_id);
  g_free (stats->name);
}

GArray *
sk_analytics_rule_effectiveness (SkDatabase         *db,
                                 gint64              from,
                                 gint64              to,
                                 const char * const *store_ids,
                                 GError            **error)
{
  g_autofree char *stores = stores_param (store_ids);
  g_autoptr(GArray) stats = g_array_new (FALSE, TRUE, sizeof (SkRuleStats));
  SkSummary all;
  sqlite3_stmt *stmt;
  gboolean has_row;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  g_array_set_clear_func (stats, rule_stats_clear);
  if (!sk_analytics_summary (db, from, to, store_ids, &all, error))
    return NULL;

  /* A rule applies at most once per purchase, so one row per application
   * is one purchase "with" the rule. */
  stmt = sk_db_query (db, error,
                      "SELECT r.id, r.name, count (a.id), total (a.amount),"
                      " total (p.subtotal - p.discount_total - p.refunded_total)"
                      " FROM discount_rules AS r"
                      " LEFT JOIN discount_applications AS a ON a.rule_id = r.id"
                      "  AND a.created_at >= ?1 AND a.created_at < ?2"
                      "  AND (?3 IS NULL OR a.store_id IN (SELECT value FROM json_each (?3)))"
                      " LEFT JOIN purchases AS p ON p.id = a.purchase_id"
                      " GROUP BY r.id ORDER BY total (a.amount) DESC, count (a.id) DESC, r.id",
                      "iis", from, to, stores);
  if (stmt == NULL)
    return NULL;
  while (sk_db_step (db, stmt, &has_row, error))
    {
      SkRuleStats s = { 0 };

      if (!has_row)
        {
          sqlite3_reset (stmt);
          return g_steal_pointer (&stats);
        }
      s.rule_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      s.name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      s.uses = sqlite3_column_int64 (stmt, 2);
      s.discount = sqlite3_column_int64 (stmt, 3);
      s.purchases_with = s.uses;
      s.revenue_with = sqlite3_column_int64 (stmt, 4);
      s.average_with = s.purchases_with > 0 ? s.revenue_with / s.purchases_with : 0;
      s.purchases_without = all.purchases - s.purchases_with;
      s.revenue_without = all.revenue - s.revenue_with;
      s.average_without = s.purchases_without > 0 ? s.revenue_without / s.purchases_without : 0;
      g_array_append_val (stats, s);
    }
  return NULL;
}

gboolean
sk_analytics_campaign (SkDatabase        *db,
                       const char        *campaign_id,
                       SkCampaignFigures *out,
                       GError           **error)
{
  g_autoptr(SkCampaign) campaign = NULL;
  sqlite3_stmt *stmt;
  gboolean has_row = FALSE;

  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  campaign = sk_database_get_campaign (db, campaign_id, error);
  if (campaign == NULL)
    return FALSE;
  out->budget = campaign->budget;
  out->spent = campaign->spent;

  stmt = sk_db_query (db, error,
                      "WITH a AS (SELECT a.purchase_id, sum (a.amount) AS amount"
                      "  FROM discount_applications AS a JOIN discount_rules AS r ON r.id = a.rule_id"
                      "  WHERE r.campaign_id = ? GROUP BY a.purchase_id)"
                      " SELECT count (*), total (p.subtotal - p.discount_total - p.refunded_total),"
                      " total (a.amount), total (p.bonus_earned), count (DISTINCT p.customer_id)"
                      " FROM a JOIN purchases AS p ON p.id = a.purchase_id",
                      "s", campaign_id);
  if (stmt == NULL || !sk_db_step (db, stmt, &has_row, error))
    return FALSE;
  if (has_row)
    {
      out->purchases = sqlite3_column_int64 (stmt, 0);
      out->revenue = sqlite3_column_int64 (stmt, 1);
      out->discount = sqlite3_column_int64 (stmt, 2);
      out->bonus_earned = sqlite3_column_int64 (stmt, 3);
      out->customers = sqlite3_column_int64 (stmt, 4);
    }
  sqlite3_reset (stmt);
  return TRUE;
}

/* JSON */

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

JsonNode *
sk_summary_to_json (const SkSummary *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_int (b, "revenue", s->revenue);
  add_int (b, "discounts", s->discounts);
  add_int (b, "bonus_earned", s->bonus_earned);
  add_int (b, "bonus_spent", s->bonus_spent);
  add_int (b, "customers", s->customers);
  add_int (b, "purchases", s->purchases);
  add_int (b, "average_check", s->average_check);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
sk_daily_to_json (GArray *points)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < points->len; i++)
    {
      const SkDailyPoint *p = &g_array_index (points, SkDailyPoint, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "day");
      json_builder_add_string_value (b, p->day);
      add_int (b, "revenue", p->revenue);
      add_int (b, "discounts", p->discounts);
      add_int (b, "bonus_earned", p->bonus_earned);
      add_int (b, "bonus_spent", p->bonus_spent);
      add_int (b, "purchases", p->purchases);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

JsonNode *
sk_segments_to_json (GArray *counts)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < counts->len; i++)
    {
      const SkSegmentCount *c = &g_array_index (counts, SkSegmentCount, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "segment");
      json_builder_add_string_value (b, c->segment);
      add_int (b, "customers", c->customers);
      add_int (b, "total_spent", c->total_spent);
      add_int (b, "bonus_balance", c->bonus_balance);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

JsonNode *
sk_rule_stats_to_json (GArray *stats)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint i = 0; i < stats->len; i++)
    {
      const SkRuleStats *s = &g_array_index (stats, SkRuleStats, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "rule_id");
      json_builder_add_string_value (b, s->rule_id);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, s->name);
      add_int (b, "uses", s->uses);
      add_int (b, "discount", s->discount);
      add_int (b, "purchases_with", s->purchases_with);
      add_int (b, "revenue_with", s->revenue_with);
      add_int (b, "average_with", s->average_with);
      add_int (b, "purchases_without", s->purchases_without);
      add_int (b, "revenue_without", s->revenue_without);
      add_int (b, "average_without", s->average_without);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return json_builder_get_root (b);
}

JsonNode *
sk_campaign_figures_to_json (const SkCampaignFigures *f)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_int (b, "purchases", f->purchases);
  add_int (b, "revenue", f->revenue);
  add_int (b, "discount", f->discount);
  add_int (b, "bonus_earned", f->bonus_earned);
  add_int (b, "customers", f->customers);
  add_int (b, "budget", f->budget);
  add_int (b, "spent", f->spent);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}
