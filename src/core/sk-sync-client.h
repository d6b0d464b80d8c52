/* sk-sync-client.h: a till's sync with HQ over HTTP (SPEC 6): push the
 * outbox, pull HQ's changes, and say how it went, as an object a window's
 * header bar can bind to.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sk-role.h"

G_BEGIN_DECLS

/* The most events a push carries, and changes a pull page asks for. */
#define SK_SYNC_CLIENT_BATCH 500
/* After a failed cycle, the next one in this long (microseconds), doubled
 * for each further failure up to the most, each with jitter. */
#define SK_SYNC_CLIENT_RETRY_FIRST (5 * G_TIME_SPAN_SECOND)
#define SK_SYNC_CLIENT_RETRY_MAX   (5 * G_TIME_SPAN_MINUTE)

typedef enum
{
  SK_SYNC_STATE_IDLE,    /* synced, or not synced yet */
  SK_SYNC_STATE_SYNCING, /* a cycle is running */
  SK_SYNC_STATE_OFFLINE, /* HQ could not be reached: try again later */
  SK_SYNC_STATE_ERROR,   /* HQ answered with an error: see last-error */
} SkSyncState;

#define SK_TYPE_SYNC_STATE (sk_sync_state_get_type ())
GType sk_sync_state_get_type (void);

/* What kinds of HQ's records a cycle's pull changed at the till. */
typedef enum
{
  SK_SYNC_CHANGED_STORES = 1 << 0, /* stores or products */
  SK_SYNC_CHANGED_RULES = 1 << 1,
  SK_SYNC_CHANGED_CAMPAIGNS = 1 << 2,
  SK_SYNC_CHANGED_CUSTOMERS = 1 << 3,
  SK_SYNC_CHANGED_SETTINGS = 1 << 4,
} SkSyncChanges;

/* More customers than this changed in one cycle: customer_ids is NULL
 * (a first pull brings them all; a view reloads rather than hears of each). */
#define SK_SYNC_SUMMARY_MAX_IDS 200

/* What one cycle did. */
typedef struct
{
  gint64        pushed; /* events HQ acknowledged */
  gint64        applied;
  gint64        duplicates;
  gint64        rejected;
  gint64        pulled;           /* changes applied */
  char         *cursor;           /* where the next pull starts (NULL: from the start) */
  gint64        pending;          /* events still in the outbox */
  SkSyncChanges changed;          /* what the pull changed */
  GPtrArray    *customer_ids;     /* customers it changed, each once (NULL: none, or too many) */
  gint64        merged;           /* customers HQ merged into another */
  gint64        rules_edited;     /* rules added, removed or of a new version */
  gint64        campaigns_edited; /* likewise campaigns (not what they spent) */
  gboolean      full_copy;  /* the pull started from the start (a first sync, an expired cursor) */
  gint64        sales_kept; /* the store's sales new here, or returned at another till */
  gint64        sales_dropped; /* those kept here and now older than a new till keeps */
} SkSyncSummary;

void      sk_sync_summary_free (SkSyncSummary *summary);
JsonNode *sk_sync_summary_to_json (const SkSyncSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSyncSummary, sk_sync_summary_free)

#define SK_TYPE_SYNC_CLIENT (sk_sync_client_get_type ())
G_DECLARE_FINAL_TYPE (SkSyncClient, sk_sync_client, SK, SYNC_CLIENT, GObject)

/* A client for the till database at @database_path (a connection of its
 * own, opened in the worker a cycle runs on) and HQ at @server_url
 * ("https://hq.example:8443"). */
SkSyncClient *sk_sync_client_new (const char *database_path, const char *server_url);
/* The account's token (POST /api/auth/login); NULL: signed out. */
void sk_sync_client_set_token (SkSyncClient *self, const char *token);
/* "skidka 1.2" unless set. */
void sk_sync_client_set_app_version (SkSyncClient *self, const char *app_version);
/* A request failing for a passing reason (the network, 5xx, 429) is sent
 * again @retries more times within a cycle, after @base_ms, then twice as
 * long each time, with jitter (default: 3, 1000 ms). */
void        sk_sync_client_set_retry (SkSyncClient *self, guint retries, guint base_ms);
SkSyncState sk_sync_client_get_state (SkSyncClient *self);
/* Cycles failed in a row (0 after a success), and how long to wait before
 * the next cycle: 0 after a success, else an exponential backoff with
 * jitter (SK_SYNC_CLIENT_RETRY_FIRST to _MAX), in microseconds. */
guint  sk_sync_client_get_failures (SkSyncClient *self);
gint64 sk_sync_client_get_retry_delay (SkSyncClient *self);
gint64 sk_sync_client_get_pending (SkSyncClient *self);
/* Counts the outbox again (after a sale) in a worker and updates pending;
 * no request to HQ. */
void        sk_sync_client_update_pending (SkSyncClient *self);
gint64      sk_sync_client_get_last_success (SkSyncClient *self);
const char *sk_sync_client_get_last_error (SkSyncClient *self);
/* HQ refused the token (or there is none): the account must sign in. */
gboolean sk_sync_client_get_needs_sign_in (SkSyncClient *self);

/* One cycle: the outbox pushed in batches (each acknowledged event removed
 * in one transaction per batch), then HQ's changes pulled until has_more is
 * false (each page and its cursor in one transaction; an expired cursor
 * pulls again from the start). On failure nothing the till has is lost:
 * unacknowledged events stay, and the cursor is that of the last page
 * applied. Errors: SK_ERROR_UNAUTHORIZED (sign in again: the token was
 * refused), an SK_ERROR HQ answered, or a G_IO_ERROR (or other domain) of
 * the network (state offline). One cycle at a time. */
void sk_sync_client_sync_async (SkSyncClient       *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data);
SkSyncSummary *
sk_sync_client_sync_finish (SkSyncClient *self, GAsyncResult *result, GError **error);

/* Signs in at @server_url: the account's token. Blocking: run it off the
 * main loop (the CLI calls it directly). */
char *sk_sync_login (const char   *server_url,
                     const char   *username,
                     const char   *password,
                     GCancellable *cancellable,
                     GError      **error);

/* The token set (NULL: signed out), for other requests of the account. */
const char *sk_sync_client_get_token (SkSyncClient *self);

/* One request of the account to HQ: @method @path (with its query) and
 * @body (may be NULL), with @token. HQ's JSON answer on a 2xx (a null node
 * when empty); else an SK_ERROR of HQ's answer (SK_ERROR_UNAUTHORIZED for
 * 401), or the network's error. Blocking. */
JsonNode *sk_sync_request (const char   *server_url,
                           const char   *token,
                           const char   *method,
                           const char   *path,
                           JsonNode     *body,
                           GCancellable *cancellable,
                           GError      **error);

/* The role and store of HQ's answer to GET /api/auth/me; SK_ERROR_MALFORMED
 * when it names no role the till knows. */
gboolean sk_sync_parse_account (JsonNode *answer, SkRole *role, char **store_id, GError **error);
/* The signed-in account as HQ knows it (GET /api/auth/me): its role and
 * its store (*store_id NULL: the whole chain). Blocking, like
 * sk_sync_login. */
gboolean sk_sync_fetch_account (const char   *server_url,
                                const char   *token,
                                SkRole       *role,
                                char        **store_id,
                                GCancellable *cancellable,
                                GError      **error);
/* One call to HQ at @server_url as the account of @token (may be NULL),
 * with @body (may be NULL) of @content_type (a CSV price list), HQ waited
 * for at most @timeout seconds a step (connecting, sending, the answer):
 * HQ's JSON answer (a JSON null when it had no body) and *status; NULL
 * with @error when HQ could not be reached or did not answer JSON. With
 * @status NULL, an answer that is not a 2xx is an error too, as with
 * sk_sync_request. Blocking: the CLI calls it directly. */
JsonNode *sk_sync_call (const char   *server_url,
                        const char   *token,
                        const char   *method,
                        const char   *path,
                        const char   *content_type,
                        GBytes       *body,
                        guint         timeout,
                        guint        *status,
                        GCancellable *cancellable,
                        GError      **error);
/* HQ's error answer @node of @status as an SK_ERROR with HQ's code, field
 * and message; 401 is SK_ERROR_UNAUTHORIZED (sign in again). */
void sk_sync_http_error (guint status, JsonNode *node, GError **error);
/* The path of the next pull page a Link header names (`<PATH>; rel="next"`,
 * a path of /api/sync/pull), or NULL. */
char *sk_sync_link_next (const char *link);

G_END_DECLS
