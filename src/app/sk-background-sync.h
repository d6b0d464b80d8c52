/* sk-background-sync.h: a connected till's sync with HQ in the background:
 * cycles on start, after each sale, every minute while events are pending
 * and when the network returns, backing off after failures; what a pull
 * changed reaches the views through the repository's signals.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sk-repository.h"
#include "sk-sync-client.h"

G_BEGIN_DECLS

/* While events are pending, a cycle at least this often (microseconds);
 * with nothing pending, to hear of HQ's changes, this often. */
#define SK_BACKGROUND_SYNC_PENDING_INTERVAL (G_TIME_SPAN_MINUTE)
#define SK_BACKGROUND_SYNC_IDLE_INTERVAL    (5 * G_TIME_SPAN_MINUTE)

#define SK_TYPE_BACKGROUND_SYNC (sk_background_sync_get_type ())
G_DECLARE_FINAL_TYPE (SkBackgroundSync, sk_background_sync, SK, BACKGROUND_SYNC, GObject)

/* Not connected until sk_background_sync_connect (). @database_path: the
 * till's file, which the client opens on a connection of its own. */
SkBackgroundSync *sk_background_sync_new (SkRepository *repository, const char *database_path);

/* Connects to HQ at @server_url with @token (NULL: the account needs to
 * sign in again) and starts a cycle. */
void sk_background_sync_connect (SkBackgroundSync *self, const char *server_url, const char *token);
/* Stops syncing (the till goes stand-alone). */
void sk_background_sync_disconnect (SkBackgroundSync *self);
/* NULL when not connected. */
SkSyncClient *sk_background_sync_get_client (SkBackgroundSync *self);
/* A cycle now (or right after the one running). */
void sk_background_sync_sync_now (SkBackgroundSync *self);
/* When sync first failed to reach HQ since the last success (real time,
 * microseconds; 0: it did not). */
gint64 sk_background_sync_get_offline_since (SkBackgroundSync *self);
/* The wait until the next cycle is due (microseconds; -1: none due). */
gint64 sk_background_sync_get_next_delay (SkBackgroundSync *self);

G_END_DECLS
