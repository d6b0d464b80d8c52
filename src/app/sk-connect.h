/* sk-connect.h: connecting a till to HQ: the "Connect to HQ" window (server,
 * user name, password; POST /api/auth/login; the token kept by
 * sk-token-store), the app's sync actions, and the connection restored at
 * start.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-application.h"

G_BEGIN_DECLS

/* app.sync-now (Ctrl+R) and app.connect, and the saved connection (server
 * URL and account in GSettings, token from the keyring or the user-only
 * file) started in the background. */
void sk_connect_setup (SkApplication *app);

#define SK_TYPE_CONNECT_WINDOW (sk_connect_window_get_type ())
G_DECLARE_FINAL_TYPE (SkConnectWindow, sk_connect_window, SK, CONNECT_WINDOW, AdwWindow)

SkConnectWindow *sk_connect_window_new (SkApplication *app);
/* The message shown to the user (empty when none). */
const char *sk_connect_window_get_message (SkConnectWindow *self);
/* Whether it offers to keep the token in the user-only file. */
gboolean sk_connect_window_get_offers_file (SkConnectWindow *self);
/* What a failed sign-in says (a wrong password, an unreachable server, a
 * TLS error each in their own words). */
char *sk_connect_describe_error (const GError *error, const char *server_url);

G_END_DECLS
