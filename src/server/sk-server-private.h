/* sk-server-private.h: what the server's files share: requests, routes, roles and accounts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sk-database.h"
#include "sk-error.h"
#include "sk-role.h"
#include "sk-server.h"

G_BEGIN_DECLS

/* The account behind a request. */
typedef struct
{
  char   *id;
  char   *username;
  SkRole  role;
  char   *store_id;      /* managers and cashiers only */
  char   *token_hash;
} SkServerUser;

void         sk_server_user_free      (SkServerUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkServerUser, sk_server_user_free)

/* Tokens a server has checked, kept while it can learn of every change to
 * accounts and tokens; off until sk_token_cache_reset (cache, TRUE). */
typedef struct _SkTokenCache SkTokenCache;

/* The server's one writer at a time, and how busy it keeps the database. */
typedef struct
{
  GMutex  mutex;
  gint64  busy;      /* microseconds held, changed under @mutex */
  guint64 writes;
} SkWriteLock;

gint64       sk_write_lock_acquire     (SkWriteLock *lock);
void         sk_write_lock_release     (SkWriteLock *lock,
                                        gint64       acquired);

/* One request as a worker sees it: copied out of the SoupServerMessage on
 * the main thread, answered by filling the out members. */
typedef struct
{
  SkDatabase     *db;
  const SkServerConfig *config;
  const char     *method;
  char           *path;
  GPtrArray      *args;         /* the path segments matched by '*' */
  GHashTable     *query;        /* char* -> char* */
  GBytes         *body;
  char           *if_match;
  char           *authorization;
  char           *remote;
  SkServerUser   *user;         /* NULL on public routes */
  gpointer        limiter;      /* SkRateLimiter of the server */
  SkTokenCache   *tokens;       /* the server's checked tokens */
  SkWriteLock    *write_lock;   /* held around a write (see SK_ROUTE_WRITES) */
  const struct _SkRoute *route;

  guint           status;
  JsonNode       *response;
  char           *etag;
  GBytes         *raw;          /* a ready body instead of @response */
} SkRequest;

typedef void (*SkRouteHandler) (SkRequest *request);

typedef enum
{
  SK_ROUTE_NONE   = 0,
  /* Writes in one short transaction: the server runs these one at a time,
   * so they queue on a mutex instead of in SQLite's sleeping busy handler. */
  SK_ROUTE_WRITES = 1 << 0,
} SkRouteFlags;

typedef struct _SkRoute
{
  const char     *method;
  const char     *pattern;      /* "/api/customers/ *" without the space */
  SkRouteHandler  handler;
  SkRole          roles;        /* SK_ROLE_NONE: public */
  const char     *summary;
  const char     *request_schema;   /* OpenAPI component name or NULL */
  const char     *response_schema;
  const char     *query_params;     /* "q,limit,cursor" */
  SkRouteFlags    flags;
  gconstpointer   data;             /* for handlers shared by several routes */
  /* Who may do it, by role and own or other store: the authorisation
   * policy of this route, as its OpenAPI description states it. */
  const char     *policy;
} SkRoute;

const SkRoute *sk_server_routes         (guint       *n_routes);
/* The route for @method and @path (arguments appended to @args), or NULL;
 * *path_known says whether another method would have matched. */
const SkRoute *sk_server_route_find     (const char  *method,
                                         const char  *path,
                                         GPtrArray   *args,
                                         gboolean    *path_known);

void         sk_request_set_error      (SkRequest   *request,
                                        const GError *error);
void         sk_request_fail           (SkRequest   *request,
                                        SkErrorCode  code,
                                        const char  *field,
                                        const char  *message);
void         sk_request_reply          (SkRequest   *request,
                                        guint        status,
                                        JsonNode    *node);
JsonNode    *sk_error_to_json          (const char  *code,
                                        const char  *message,
                                        const char  *field);

/* Accounts (sk-server-auth.c) */
char        *sk_auth_hash_password     (const char  *password,
                                        GError     **error);
gboolean     sk_auth_verify_password   (const char  *hash,
                                        const char  *password);
char        *sk_auth_create_user       (SkDatabase  *db,
                                        const char  *username,
                                        const char  *password,
                                        const char  *role,
                                        const char  *store_id,
                                        GError     **error);
JsonNode    *sk_auth_list_users        (SkDatabase  *db,
                                        GError     **error);
/* Disabling also revokes every token of the user. */
gboolean     sk_auth_set_disabled      (SkDatabase   *db,
                                        SkTokenCache *cache,
                                        const char   *user_id,
                                        gboolean      disabled,
                                        GError      **error);
/* A new bearer token for @username, or NULL with SK_ERROR_UNAUTHORIZED. */
char        *sk_auth_login             (SkDatabase  *db,
                                        const char  *username,
                                        const char  *password,
                                        gint64       lifetime_seconds,
                                        SkServerUser **user,
                                        GError     **error);
SkTokenCache *sk_token_cache_new       (void);
void         sk_token_cache_free       (SkTokenCache *cache);
/* Forgets every token; keeps them from now on only if @enabled. */
void         sk_token_cache_reset      (SkTokenCache *cache,
                                        gboolean      enabled);

/* The account of a valid @token, from @cache (may be NULL) or the database. */
SkServerUser *sk_auth_check_token      (SkDatabase   *db,
                                        SkTokenCache *cache,
                                        const char   *token,
                                        GError      **error);
gboolean     sk_auth_revoke            (SkDatabase   *db,
                                        SkTokenCache *cache,
                                        const char   *token_hash,
                                        GError      **error);
char        *sk_auth_token_hash        (const char  *token);

typedef struct _SkRateLimiter SkRateLimiter;
SkRateLimiter *sk_rate_limiter_new     (guint        attempts,
                                        gint64       window_seconds);
void         sk_rate_limiter_free      (SkRateLimiter *limiter);
/* May @key try again now? It has @factor times the attempts. */
/* Takes one attempt for @key, which may have @factor times the attempts
 * (failures in the window and attempts in flight), or says to wait. */
gboolean     sk_rate_limiter_begin     (SkRateLimiter *limiter,
                                        const char    *key,
                                        guint          factor);
/* Ends an attempt that sk_rate_limiter_begin took. */
void         sk_rate_limiter_end       (SkRateLimiter *limiter,
                                        const char    *key,
                                        gboolean       failed);
/* Remembers that @key (a name at an address) logged in, for 30 days. */
void         sk_rate_limiter_succeeded (SkRateLimiter *limiter,
                                        const char    *key);
gboolean     sk_rate_limiter_known     (SkRateLimiter *limiter,
                                        const char    *key);
void         sk_rate_limiter_reset     (SkRateLimiter *limiter,
                                        const char    *key);

/* The server's own accept loop (sk-server-listener.c). */
typedef struct
{
  guint max_connections;  /* beyond it a new connection gets 503 */
  guint header_timeout;   /* seconds from accept to a request's whole head */
  guint body_timeout;     /* seconds from the head to the whole body */
  guint idle_timeout;     /* seconds a kept-alive connection waits for its next
                           * request, and a read or write may stall */
} SkListenerLimits;

typedef struct _SkListener SkListener;

SkListener  *sk_listener_new           (SoupServer             *soup,
                                        GSocketAddress         *address,
                                        GTlsCertificate        *certificate,
                                        const SkListenerLimits *limits,
                                        GError                **error);
void         sk_listener_free          (SkListener        *self);
guint        sk_listener_get_port      (SkListener        *self);
guint        sk_listener_get_n_connections (SkListener    *self);
/* From the server's early handler: the head of @msg has arrived. */
void         sk_listener_got_headers   (SkListener        *self,
                                        SoupServerMessage *msg);

G_END_DECLS
