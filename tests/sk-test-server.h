/* sk-test-server.h: an SkServer (or any listener) run in its own thread for a test.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-server.h"

G_BEGIN_DECLS

/* A thread with a main context of its own, pushed as its thread-default,
 * running that context's loop: @start runs first, in it, and gives the
 * port it listens on; @stop runs in it after the loop. */
typedef guint (*SkTestLoopStart) (gpointer data);
typedef void (*SkTestLoopStop) (gpointer data);
typedef struct _SkTestLoop SkTestLoop;

/* Returns once @start has given its port. */
SkTestLoop *
sk_test_loop_start (const char *name, SkTestLoopStart start, SkTestLoopStop stop, gpointer data);
guint sk_test_loop_get_port (SkTestLoop *self);
/* Quits the loop, waits for @stop and the thread, and frees @self. */
void sk_test_loop_stop (SkTestLoop *self);

typedef struct _SkTestServer SkTestServer;

/* Starts a server with @config (taken) in a thread and main context of its
 * own, and returns once it listens. */
SkTestServer *sk_test_server_start (SkServerConfig *config);
guint         sk_test_server_get_port (SkTestServer *self);
/* Stops the server, waits for its thread and frees everything. */
void sk_test_server_stop (SkTestServer *self);

G_END_DECLS
