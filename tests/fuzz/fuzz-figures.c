/* fuzz-figures.c: the app at HQ's desk reading HQ's figures (POST
 * /api/analytics: sk_chart_figures_from_json; GET
 * /api/campaigns/{id}/figures: sk_campaign_figures_from_json) and a
 * campaign's reach (/announcement, /announce: sk_reach_from_json) fed
 * fuzzed answers.
 *
 * Figures are taken whole or refused with an error, never half; what is
 * taken reads the same again from its own JSON.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "sk-analytics.h"
#include "sk-notifications.h"
#include "sk-record.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) campaign_error = NULL;
  g_autoptr (GError) reach_error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (SkChartFigures) figures = NULL;
  SkCampaignFigures campaign;
  SkReach           reach;
  gboolean          taken;

  /* The app reads HQ's answer with sk_json_parse, as here. */
  root = sk_json_parse ((const char *)data, (gssize)size, NULL);
  if (root == NULL)
    return 0;

  figures = sk_chart_figures_from_json (root, &error);
  if (figures == NULL && error == NULL)
    sk_fuzz_fail ("figures were refused without an error");
  if (figures != NULL)
    {
      g_autoptr (JsonNode) again_node = sk_chart_figures_to_json (figures);
      g_autoptr (SkChartFigures) again = sk_chart_figures_from_json (again_node, NULL);

      if (error != NULL || figures->daily == NULL || figures->segments == NULL
          || figures->rules == NULL)
        sk_fuzz_fail ("figures were taken half, or with an error");
      if (again == NULL || memcmp (&again->summary, &figures->summary, sizeof again->summary) != 0
          || again->daily->len != figures->daily->len
          || again->segments->len != figures->segments->len
          || again->rules->len != figures->rules->len)
        sk_fuzz_fail ("figures taken do not read the same from their own JSON");
    }

  taken = sk_campaign_figures_from_json (root, &campaign, &campaign_error);
  if (taken == (campaign_error != NULL))
    sk_fuzz_fail ("a campaign's figures were taken with an error, or refused without one");

  taken = sk_reach_from_json (root, "reach", &reach, &reach_error);
  if (taken == (reach_error != NULL))
    sk_fuzz_fail ("a reach was taken with an error, or refused without one");
  return 0;
}
