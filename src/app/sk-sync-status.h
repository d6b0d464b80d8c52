/* sk-sync-status.h: the header bar's sync state: synced (with the time),
 * pending N, offline (since when), sign in again, error (the message, and a
 * button to copy the details); a popover with "Sync Now".
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-background-sync.h"

G_BEGIN_DECLS

#define SK_TYPE_SYNC_STATUS (sk_sync_status_get_type ())
G_DECLARE_FINAL_TYPE (SkSyncStatus, sk_sync_status, SK, SYNC_STATUS, AdwBin)

/* Hidden while @sync is not connected. */
GtkWidget *sk_sync_status_new (SkBackgroundSync *sync);
/* What the button says ("Synced 14:05", "3 pending", ...). */
const char *sk_sync_status_get_text (SkSyncStatus *self);
/* What the header bar has room to show of it: the words, a time or a
 * count, or nothing beside the icon. */
const char *sk_sync_status_get_shown_text (SkSyncStatus *self);
/* The details "Copy Details" puts on the clipboard (NULL: no error). */
char *sk_sync_status_dup_details (SkSyncStatus *self);

G_END_DECLS
