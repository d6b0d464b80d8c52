/* sk-test-server.h: an SkServer (or any listener) run in its own thread for a test.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sk-database.h"
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

/* A config for a server on @database (copied), listening on port 0 of
 * loopback with @workers database threads (0: one a CPU): what a test adds to it
 * before sk_test_server_start. */
SkServerConfig *sk_test_server_config (const char *database, guint workers);

/* Starts a server with @config (taken) in a thread and main context of its
 * own, and returns once it listens. */
SkTestServer *sk_test_server_start (SkServerConfig *config);
guint         sk_test_server_get_port (SkTestServer *self);
/* Its address: http://127.0.0.1:port. */
char *sk_test_server_get_url (SkTestServer *self);
/* Stops the server, waits for its thread and frees everything. */
void sk_test_server_stop (SkTestServer *self);

/* A test program's HQ: a new database (in a new temporary folder, or on
 * the test PostgreSQL server: sk-test-postgres.h) and a server on it. */
typedef struct
{
  char         *dir;
  char         *path; /* the database: a file or a PostgreSQL URI */
  SkDatabase   *db;   /* the test's own connection, for setup and checks */
  SkTestServer *server;
  guint         port;
  char         *url;
} SkTestHq;

/* Opens @hq's new database (folder named after @tmp_template, …-XXXXXX):
 * what a test adds to it before sk_test_hq_serve. */
void sk_test_hq_open (SkTestHq *hq, const char *tmp_template);
/* Starts @hq's server with @config (taken), made by sk_test_server_config
 * for @hq's path, and sets its port and URL. */
void sk_test_hq_serve (SkTestHq *hq, SkServerConfig *config);
/* Stops @hq's server, if it runs; its port and URL stay. */
void sk_test_hq_stop (SkTestHq *hq);
/* Stops the server, closes the database, removes the folder and frees
 * what @hq holds. */
void sk_test_hq_close (SkTestHq *hq);

/* What a request got: its status, its JSON (NULL when the body was
 * empty) and its ETag (or NULL). */
typedef struct
{
  guint     status;
  JsonNode *node;
  char     *etag;
} SkTestReply;

void sk_test_reply_free (SkTestReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkTestReply, sk_test_reply_free)

/* @method @path at http://127.0.0.1:@port through @session, with a bearer
 * @token, a @body of @body_length bytes (G_MAXSIZE: up to its NUL) and
 * @content_type, and If-Match @if_match (each may be NULL). Fails the test
 * unless the answer arrives and its body is empty or JSON. */
SkTestReply *sk_test_request (SoupSession *session,
                              guint        port,
                              const char  *method,
                              const char  *path,
                              const char  *token,
                              const char  *content_type,
                              const char  *body,
                              gsize        body_length,
                              const char  *if_match);

/* The reply's JSON object; fails the test when its body is not one. */
JsonObject *sk_test_reply_object (SkTestReply *reply);
/* An integer member of the reply's object. */
gint64 sk_test_reply_int (SkTestReply *reply, const char *member);
/* Fails the test, showing the body, unless the reply has @status. */
void sk_test_assert_status (SkTestReply *reply, guint status);
/* Frees the reply *@reply held and keeps @next there, which must have
 * @status: the next step of a test that checks one reply at a time. */
void sk_test_reply_expect (SkTestReply **reply, guint status, SkTestReply *next);
/* An error reply: @status, its error's @code, a message and (when given)
 * the @field it names. */
void sk_test_assert_error (SkTestReply *reply, guint status, const char *code, const char *field);
/* sk_test_assert_error on @reply, which it frees: a call whose answer
 * matters only as that error. */
void sk_test_assert_refused (SkTestReply *reply, guint status, const char *code, const char *field);

G_END_DECLS
