/* sk-campaign-editor.h: a window to create or edit a campaign: its period,
 * audience, budget, status and the rules it groups.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-record-editor.h"

G_BEGIN_DECLS

#define SK_TYPE_CAMPAIGN_EDITOR (sk_campaign_editor_get_type ())
G_DECLARE_FINAL_TYPE (SkCampaignEditor, sk_campaign_editor, SK, CAMPAIGN_EDITOR, SkRecordEditor)

/* @campaign: NULL for a new one; a copy is edited. Emits "saved" (SkCampaign). */
SkCampaignEditor *
sk_campaign_editor_new (GtkWindow *parent, SkRepository *repository, SkCampaign *campaign);
/* Sets a field as a user would type it: "name", "description", "starts",
 * "ends", "segments", "stores", "channels", "budget". */
void sk_campaign_editor_set_text (SkCampaignEditor *self, const char *field, const char *text);

G_END_DECLS
