/* sk-test-server.h: an SkServer run in its own thread for a test.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-server.h"

G_BEGIN_DECLS

typedef struct _SkTestServer SkTestServer;

/* Starts a server with @config (taken) in a thread and main context of its
 * own, and returns once it listens. */
SkTestServer *sk_test_server_start (SkServerConfig *config);
guint         sk_test_server_get_port (SkTestServer *self);
/* Stops the server, waits for its thread and frees everything. */
void sk_test_server_stop (SkTestServer *self);

G_END_DECLS
