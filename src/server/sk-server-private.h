/* sk-server-private.h: what the server's files share: requests, routes, roles and accounts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sk-accounts.h"
#include "sk-database.h"
#include "sk-error.h"
#include "sk-role.h"
#include "sk-server.h"

G_BEGIN_DECLS

/* The account behind a request, without its password hash; freed with
 * sk_account_free (). */
typedef SkAccount SkServerUser;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkServerUser, sk_account_free)

/* Tokens a server has checked, kept while it can learn of every change to
 * accounts and tokens; off until sk_token_cache_reset (cache, TRUE). */
typedef struct _SkTokenCache SkTokenCache;

/* The server's one writer at a time on SQLite, which has one writer
 * anyway: writers queue on a mutex, not in SQLite's busy handler. On
 * PostgreSQL writers go together and the database orders them (row locks;
 * sk-sql-postgres.c); the lock only counts them. How busy the writers keep
 * the database: the time they held it, summed. */
typedef struct
{
  GMutex   mutex;
  gboolean serialise; /* SQLite: one writer at a time */
  GMutex   figures;   /* for @busy and @writes */
  gint64   busy;      /* microseconds held */
  guint64  writes;
} SkWriteLock;

gint64 sk_write_lock_acquire (SkWriteLock *lock);
void   sk_write_lock_release (SkWriteLock *lock, gint64 acquired);

/* One request as a worker sees it: copied out of the SoupServerMessage on
 * the main thread, answered by filling the out members. */
typedef struct
{
  SkDatabase            *db;
  const SkServerConfig  *config;
  const char            *method;
  char                  *path;
  GPtrArray             *args;  /* the path segments matched by '*' */
  GHashTable            *query; /* char* -> char* */
  GBytes                *body;
  char                  *if_match;
  char                  *authorization;
  char                  *remote;
  SkServerUser          *user;         /* NULL on public routes */
  gpointer               limiter;      /* SkRateLimiter of the server */
  SkTokenCache          *tokens;       /* the server's checked tokens */
  SkWriteLock           *write_lock;   /* held around a write (see SK_ROUTE_WRITES) */
  gboolean               write_locked; /* the handler held it (sk_request_lock_writes) */
  gboolean               lost_race;    /* its transaction lost a race: run it again */
  const struct _SkRoute *route;

  guint     status;
  JsonNode *response;
  char     *etag;
  char     *link; /* the answer's Link header, or NULL */
  GBytes   *raw;  /* a ready body instead of @response */
} SkRequest;

typedef void (*SkRouteHandler) (SkRequest *request);

typedef enum
{
  SK_ROUTE_NONE = 0,
  /* Writes in one short transaction: the server runs these one at a time,
   * so they queue on a mutex instead of in SQLite's sleeping busy handler. */
  SK_ROUTE_WRITES = 1 << 0,
  /* Reads, and may keep what it computed (analytics' per-day figures) in
   * short transactions of its own that need not queue behind sales. */
  SK_ROUTE_CACHES = 1 << 1,
} SkRouteFlags;

typedef struct _SkRoute
{
  const char    *method;
  const char    *pattern; /* "/api/customers/ *" without the space */
  SkRouteHandler handler;
  SkRole         roles; /* SK_ROLE_NONE: public */
  const char    *summary;
  const char    *request_schema; /* OpenAPI component name or NULL */
  const char    *response_schema;
  const char    *query_params; /* "q,limit,cursor" */
  SkRouteFlags   flags;
  gconstpointer  data; /* for handlers shared by several routes */
  /* Who may do it, by role and own or other store: the authorisation
   * policy of this route, as its OpenAPI description states it. */
  const char *policy;
} SkRoute;

const SkRoute *sk_server_routes (guint *n_routes);
/* The route for @method and @path (arguments appended to @args), or NULL;
 * *path_known says whether another method would have matched. */
const SkRoute *
sk_server_route_find (const char *method, const char *path, GPtrArray *args, gboolean *path_known);

/* Frees what @request holds, all but its database (not its own). */
void sk_request_clear (SkRequest *request);
/* Answers with @error; an error of a transaction that lost a race
 * (G_IO_ERROR_BUSY) also marks the request to be run again. */
void sk_request_set_error (SkRequest *request, const GError *error);
/* How often a write that loses races is run before its error is answered. */
#define SK_WRITE_ATTEMPTS 8
/* Forgets what the handler answered, to run it again. */
void sk_request_forget_answer (SkRequest *request);
/* Waits a little, at random, before @attempt (1, 2...) of a lost race. */
void sk_request_lost_race_pause (guint attempt);
/* Whether @error is a transaction that lost a race and may run again as
 * its @attempt (1, 2...): then it is cleared, after that pause. */
gboolean sk_request_run_again (GError **error, guint attempt);
void sk_request_fail (SkRequest *request, SkErrorCode code, const char *field, const char *message);
void sk_request_reply (SkRequest *request, guint status, JsonNode *node);
JsonNode *sk_error_to_json (const char *code, const char *message, const char *field);

/* What handlers share (sk-server-request.c). */
void sk_request_reply_record (SkRequest *r, guint status, gpointer record, const GError *error);
JsonObject *sk_request_body_object (SkRequest *r);
gboolean    sk_request_member_string (
       SkRequest *r, JsonObject *object, const char *name, gboolean required, const char **out);
gboolean sk_request_member_int (
    SkRequest *r, JsonObject *object, const char *name, gboolean required, gint64 *out);
const char *sk_request_query (SkRequest *r, const char *name);
gboolean    sk_request_query_limit (SkRequest *r, guint *limit);
gboolean    sk_request_query_time (SkRequest *r, const char *name, gint64 fallback, gint64 *out);
const char *sk_request_arg (SkRequest *r, guint i);
gboolean    sk_request_store_allowed (SkRequest *r, const char *store_id);
const char *sk_request_own_store (SkRequest *r);
gboolean
sk_request_customer_is_own (SkRequest *r, SkCustomer *customer, gboolean *own, GError **error);
gboolean sk_request_customer_allowed (SkRequest *r, SkCustomer *customer);
/* The customer @id, if the caller is allowed it (above); NULL once the
 * request is answered with why not (unknown, another store's, failed). */
SkCustomer *sk_request_allowed_customer (SkRequest *r, const char *id);
void        sk_request_reply_items (SkRequest    *r,
                                    GPtrArray    *records,
                                    const char   *next_cursor,
                                    const GError *error);
void        sk_request_reply_list (SkRequest *r, GPtrArray *records, const GError *error);
gpointer    sk_request_body_record (SkRequest *r, GType type);
gboolean    sk_request_body_update (SkRequest *r, gpointer record);
gboolean    sk_request_if_match_version (SkRequest *r, gint64 *version);

/* Records HQ edits (rules, stores, campaigns, products) share their
 * handlers (sk-server-records.c); the route's data says which record,
 * through functions of these exact types. */
typedef struct
{
  GType (*get_type) (void);
  SkRecord *(*get) (SkDatabase *db, const char *key, GError **error);
  gboolean (*save) (SkDatabase *db, SkRecord *record, GError **error);
  GPtrArray *(*list) (SkDatabase *db, GError **error); /* NULL: listed by a route of its own */
  const char *key; /* the property the path's key stays in on an update (NULL: the id) */
} SkEditable;

void sk_editable_handle_create (SkRequest *r);
void sk_editable_handle_get (SkRequest *r);
void sk_editable_handle_update (SkRequest *r);

/* The routes of each area (sk-server-<area>.c). */
extern const SkRoute sk_server_accounts_routes[];
extern const guint   sk_server_accounts_routes_n;
extern const SkRoute sk_server_customers_routes[];
extern const guint   sk_server_customers_routes_n;
extern const SkRoute sk_server_records_routes[];
extern const guint   sk_server_records_routes_n;
extern const SkRoute sk_server_products_routes[];
extern const guint   sk_server_products_routes_n;
extern const SkRoute sk_server_pos_routes[];
extern const guint   sk_server_pos_routes_n;
extern const SkRoute sk_server_analytics_routes[];
extern const guint   sk_server_analytics_routes_n;
extern const SkRoute sk_server_sync_routes[];
extern const guint   sk_server_sync_routes_n;
extern const SkRoute sk_server_notifications_routes[];
extern const guint   sk_server_notifications_routes_n;

/* The authorisation policy (SPEC 5; README, "Who may do what"), route by
 * route, as the OpenAPI document states it and /server/policy checks it.
 * Store roles are manager and cashier, bound to one store; a customer is
 * of a store when it is the customer's home store or the customer bought
 * there; a sale is of the store where it was made. */
#define P_PUBLIC "Public: anyone, without a token."
#define P_SELF   "Any role (admin, marketing, manager, cashier), on its own token."
#define P_CHAIN_CUSTOMER                                                                           \
  "Any role (admin, marketing, manager, cashier), for any customer of the chain: customers are "   \
  "members of the chain, so every till finds them, reads their balance and sells to them."
#define P_CUSTOMER_CREATE                                                                          \
  "admin: a customer of any store, or of none. manager, cashier: a customer whose home store "     \
  "is their own (none given: their own; another: 403). marketing: 403. The server sets "           \
  "created_at."
#define P_CUSTOMER_UPDATE                                                                          \
  "admin: any customer. manager: a customer of its own store (home store there, or a sale "        \
  "there; another store's: 403), keeping its home store: clearing it or moving it to another "     \
  "store is 403, "                                                                                 \
  "only a customer of no store who bought there may be given the manager's own. marketing, "       \
  "cashier: 403."
#define P_CUSTOMER_HISTORY(what)                                                                   \
  "admin, marketing: any customer. manager: a customer of its own store (home "                    \
  "store there, or a sale there)" what "; another store's customer: 403. cashier: 403."
#define P_MANUAL_BONUS                                                                             \
  "admin: any customer, any amount. manager: a customer of its own store (home store there, "      \
  "or a sale there; another store's: 403), for its own store (store_id absent or its own; "        \
  "another: 403), at most "                                                                        \
  "[auth] manual-bonus-limit of the server (default 1 000 000 kopecks) either way per movement "   \
  "(beyond: 403, an "                                                                              \
  "admin must). marketing, cashier: 403."
#define P_CHAIN_READ(what)                                                                         \
  "Any role (admin, marketing, manager, cashier): every " what " of the chain."
#define P_HQ_WRITE(what) "admin, marketing: any " what ". manager, cashier: 403."
#define P_HQ_CREATE(what)                                                                          \
  "admin, marketing: a new " what "; an id already taken is 409 (POST never edits). "              \
  "manager, cashier: 403."
#define P_HQ_ONLY    "admin, marketing. manager, cashier: 403."
#define P_ADMIN_ONLY "admin only. marketing, manager, cashier: 403."
#define P_CALCULATE                                                                                \
  "Any role (admin, marketing, manager, cashier), for any customer of the chain or none; "         \
  "manager and cashier at their own store only (store_id of another: 403)."
#define P_SELL                                                                                     \
  "admin: at any store. manager, cashier: at their own store only (store_id of another: 403), to " \
  "any "                                                                                           \
  "customer of the chain. marketing: 403. A replayed id answers the first result (200) only to a " \
  "caller who may "                                                                                \
  "see that sale (manager, cashier: a sale of their own store; another store's: 403, not 404, as " \
  "the id is taken "                                                                               \
  "whatever the answer) and only for the same request (another body: 409 idempotency_mismatch)."
#define P_AVAILABLE                                                                                \
  "Any role (admin, marketing, manager, cashier), for any customer of the chain; manager and "     \
  "cashier at their own store only (store_id of another: 403; none given: their own)."
#define P_REFUND                                                                                   \
  "admin: any sale. manager: a sale made at its own store; another store's: 403. marketing, "      \
  "cashier: 403."
#define P_PURCHASE                                                                                 \
  "admin, marketing: any sale. manager, cashier: a sale made at their own store; another "         \
  "store's: 403."
#define P_PURCHASES_FIND                                                                           \
  "admin, marketing: the sales of store_id, or of every store. manager, cashier: their own "       \
  "store's (another store_id: 403), as a till of the store looks up a sale another till made "     \
  "to take a return. With updated_since, one store's: an HQ account names it (none: 422)."
#define P_ANALYTICS                                                                                \
  "admin, marketing: any stores (none given: the whole chain). manager: its own store only "       \
  "(another: 403; none given: its own). cashier: 403."
#define P_NOTIFICATIONS                                                                            \
  "admin, marketing: every notification. manager: those to the customers of its own store "        \
  "(home store there, or a sale there); customer_id of another store's customer: 403. cashier: "   \
  "403."

#define P_SYNC_PULL                                                                                \
  "admin, manager, cashier (a till pulls as its account), marketing (the app at HQ's desk): "      \
  "every change of the chain, of any store: a till keeps the chain's stores, rules, campaigns, "   \
  "products and settings, and every customer, as customers are members of the chain (each of "     \
  "them readable by every role). A cursor this server did "                                        \
  "not give (another database's, or beyond its newest change): 410 cursor_expired; the till "      \
  "then pulls again from the start."

#define P_SYNC_PUSH                                                                                \
  "manager, cashier: from a device of their own store: a device is bound at its first push to "    \
  "the store of the account that pushes; a device bound to another store, or a store_id not "      \
  "their own: 403. Within the push, an event of another store (a sale, a refund, a manual "        \
  "movement for another store's customer) is answered rejected with code forbidden, and the "      \
  "queue goes on; manual bonus movements need a manager (within [auth] manual-bonus-limit), "      \
  "customer edits and refunds a manager, as online. admin: any store, named by store_id at a "     \
  "device's first push. marketing: 403."

#define P_SYNC_REVIEW                                                                              \
  "admin: the items of every store. manager: those of its own store's tills only (the others are " \
  "not listed). marketing, cashier: 403."
#define P_SYNC_REVIEW_RESOLVE                                                                      \
  "admin: any item. manager: an item of its own store's tills; another store's: 403. Resolving "   \
  "again answers the item as it was resolved first. marketing, cashier: 403."

/* Accounts (sk-server-auth.c) */
char     *sk_auth_hash_password (const char *password, GError **error);
gboolean  sk_auth_verify_password (const char *hash, const char *password);
char     *sk_auth_create_user (SkDatabase *db,
                               const char *username,
                               const char *password,
                               const char *role,
                               const char *store_id,
                               GError    **error);
JsonNode *sk_auth_list_users (SkDatabase *db, GError **error);
/* A user's id, username, role and store_id, as members of the object
 * @builder is in. */
void sk_auth_build_user (
    JsonBuilder *builder, const char *id, const char *username, SkRole role, const char *store_id);
/* Disabling also revokes every token of the user. */
gboolean sk_auth_set_disabled (
    SkDatabase *db, SkTokenCache *cache, const char *user_id, gboolean disabled, GError **error);
/* A new bearer token for @username, or NULL with SK_ERROR_UNAUTHORIZED. */
char         *sk_auth_login (SkDatabase    *db,
                             const char    *username,
                             const char    *password,
                             gint64         lifetime_seconds,
                             SkServerUser **user,
                             GError       **error);
SkTokenCache *sk_token_cache_new (void);
void          sk_token_cache_free (SkTokenCache *cache);
/* Forgets every token; keeps them from now on only if @enabled. */
void sk_token_cache_reset (SkTokenCache *cache, gboolean enabled);

/* The account of a valid @token, from @cache (may be NULL) or the database. */
SkServerUser *
sk_auth_check_token (SkDatabase *db, SkTokenCache *cache, const char *token, GError **error);
gboolean
      sk_auth_revoke (SkDatabase *db, SkTokenCache *cache, const char *token_hash, GError **error);
char *sk_auth_token_hash (const char *token);

typedef struct _SkRateLimiter SkRateLimiter;
SkRateLimiter                *sk_rate_limiter_new (guint attempts, gint64 window_seconds);
void                          sk_rate_limiter_free (SkRateLimiter *limiter);
/* May @key try again now? It has @factor times the attempts. */
/* Takes one attempt for @key, which may have @factor times the attempts
 * (failures in the window and attempts in flight), or says to wait. */
gboolean sk_rate_limiter_begin (SkRateLimiter *limiter, const char *key, guint factor);
/* Ends an attempt that sk_rate_limiter_begin took. */
void sk_rate_limiter_end (SkRateLimiter *limiter, const char *key, gboolean failed);
/* Remembers that @key (a name at an address) logged in, for 30 days. */
void     sk_rate_limiter_succeeded (SkRateLimiter *limiter, const char *key);
gboolean sk_rate_limiter_known (SkRateLimiter *limiter, const char *key);
void     sk_rate_limiter_reset (SkRateLimiter *limiter, const char *key);

/* The server's own accept loop (sk-server-listener.c). */
typedef struct
{
  guint max_connections; /* beyond it a new connection gets 503 */
  guint header_timeout;  /* seconds from accept to a request's whole head */
  guint body_timeout;    /* seconds from the head to the whole body */
  guint idle_timeout;    /* seconds a kept-alive connection waits for its next
                          * request, and a read or write may stall */
} SkListenerLimits;

typedef struct _SkListener SkListener;

SkListener *sk_listener_new (SoupServer             *soup,
                             GSocketAddress         *address,
                             GTlsCertificate        *certificate,
                             const SkListenerLimits *limits,
                             GError                **error);
void        sk_listener_free (SkListener *self);
guint       sk_listener_get_port (SkListener *self);
guint       sk_listener_get_n_connections (SkListener *self);
/* Answers @status with our error JSON on @socket directly, and closes its
 * sending side (sk-server-head-guard.c). */
void sk_http_send_error (GSocket *socket, guint status, const char *code, const char *message);
/* @base with its request heads checked before libsoup reads them. */
GIOStream *sk_head_guard_wrap (GIOStream *base, GSocket *socket);
/* From the server's early handler: the head of @msg has arrived. */
void sk_listener_got_headers (SkListener *self, SoupServerMessage *msg);

G_END_DECLS
