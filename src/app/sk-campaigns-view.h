/* sk-campaigns-view.h: campaigns by status, editor, figures.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SK_TYPE_CAMPAIGNS_VIEW (sk_campaigns_view_get_type ())
G_DECLARE_FINAL_TYPE (SkCampaignsView, sk_campaigns_view, SK, CAMPAIGNS_VIEW, AdwBin)

void sk_campaigns_view_reload (SkCampaignsView *self);
/* A list being read (tests wait for it). */
gboolean sk_campaigns_view_get_loading (SkCampaignsView *self);

G_END_DECLS
