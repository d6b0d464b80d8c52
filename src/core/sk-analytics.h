/* sk-analytics.h: figures for the charts view and the analytics API.
 * Periods are [from, to) in microseconds; store_ids NULL or empty = all stores.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

typedef struct
{
  gint64   revenue; /* subtotal - discount, net of refunds */
  gint64   discounts;
  gint64   bonus_earned;
  gint64   bonus_spent;
  gint64   customers;       /* distinct known customers who bought */
  gboolean customers_exact; /* FALSE: a HyperLogLog estimate (±1 %) over a long busy period */
  gint64   purchases;
  gint64   average_check; /* revenue / purchases */
} SkSummary;

typedef struct
{
  char   day[11]; /* YYYY-MM-DD, UTC */
  gint64 revenue;
  gint64 discounts;
  gint64 bonus_earned;
  gint64 bonus_spent;
  gint64 purchases;
  /* The day is not over yet (today's): its figures so far, not a day's. */
  gboolean partial;
} SkDailyPoint;

typedef struct
{
  char   segment[16];
  gint64 customers;
  gint64 total_spent;
  gint64 bonus_balance;
} SkSegmentCount;

typedef struct
{
  char  *rule_id;
  char  *name;
  gint64 uses;
  gint64 discount;
  gint64 purchases_with;
  gint64 revenue_with;
  gint64 average_with;
  gint64 purchases_without;
  gint64 revenue_without;
  gint64 average_without;
} SkRuleStats;

typedef struct
{
  gint64   purchases;
  gint64   revenue;
  gint64   discount;
  gint64   bonus_earned;
  gint64   customers;
  gint64   budget;
  gint64   spent;
  gboolean store_only; /* the sales' figures are one store's; the budget is the campaign's */
} SkCampaignFigures;

/* Builds the per-day figures of [from, to) ahead of the first chart (they
 * are otherwise made when first asked for). */
gboolean sk_analytics_prepare (SkDatabase *db, gint64 from, gint64 to, GError **error);
gboolean sk_analytics_summary (SkDatabase        *db,
                               gint64             from,
                               gint64             to,
                               const char *const *store_ids,
                               SkSummary         *out,
                               GError           **error);
/* SkDailyPoint per day with sales, in day order; the days not over yet
 * (today in a store's time zone) are marked partial. */
GArray *sk_analytics_daily (
    SkDatabase *db, gint64 from, gint64 to, const char *const *store_ids, GError **error);
/* SkSegmentCount for every segment (zero rows included). */
GArray *sk_analytics_segments (SkDatabase *db, GError **error);
/* SkRuleStats for every rule, by discount given. */
GArray *sk_analytics_rule_effectiveness (
    SkDatabase *db, gint64 from, gint64 to, const char *const *store_ids, GError **error);
/* A campaign's figures: of its sales at @store_id, or (NULL) at every
 * store; its budget and what it spent are the whole campaign's. */
gboolean sk_analytics_campaign (SkDatabase        *db,
                                const char        *campaign_id,
                                const char        *store_id,
                                SkCampaignFigures *out,
                                GError           **error);

JsonNode *sk_summary_to_json (const SkSummary *summary);
JsonNode *sk_daily_to_json (GArray *points);
JsonNode *sk_segments_to_json (GArray *counts);
JsonNode *sk_rule_stats_to_json (GArray *stats);
JsonNode *sk_campaign_figures_to_json (const SkCampaignFigures *figures);

/* Every figure of a period: the charts' and the detailed analytics'. */
typedef struct
{
  SkSummary summary;
  GArray   *daily;    /* SkDailyPoint */
  GArray   *segments; /* SkSegmentCount */
  GArray   *rules;    /* SkRuleStats */
} SkChartFigures;

void sk_chart_figures_free (SkChartFigures *figures);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkChartFigures, sk_chart_figures_free)

SkChartFigures *sk_analytics_figures (
    SkDatabase *db, gint64 from, gint64 to, const char *const *store_ids, GError **error);
/* {"summary", "daily", "segments", "rules"} */
JsonNode *sk_chart_figures_to_json (const SkChartFigures *figures);
/* The figures of HQ's answer (POST /api/analytics, GET
 * /api/campaigns/{id}/figures): what the functions above made there. */
SkChartFigures *sk_chart_figures_from_json (JsonNode *node, GError **error);
gboolean sk_campaign_figures_from_json (JsonNode *node, SkCampaignFigures *out, GError **error);

G_END_DECLS
