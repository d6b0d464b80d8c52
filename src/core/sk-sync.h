/* sk-sync.h: HQ's side of a till's push (SPEC 6): a device bound to one
 * store, and each event it pushes applied exactly once, in one transaction
 * with the device's acknowledged sequence, and answered applied, duplicate
 * or rejected.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"
#include "sk-role.h"

G_BEGIN_DECLS

/* The most events one push may carry, and the most lines a sale may have. */
#define SK_SYNC_MAX_EVENTS 500
#define SK_SYNC_MAX_LINES  1000

/* The kinds of event: a till's outbox row is (entity, op), its kind
 * "entity.op", its payload the row's payload as the till wrote it. */
#define SK_SYNC_KIND_PURCHASE "purchase.create" /* an SkPurchase, lines and applications */
#define SK_SYNC_KIND_REFUND                                                                        \
  "refund.create" /* {id, purchase_id, lines [{line_no, quantity}], amount} */
#define SK_SYNC_KIND_BONUS           "bonus_transaction.create" /* an SkBonusTransaction made by hand */
#define SK_SYNC_KIND_CUSTOMER_CREATE "customer.create"          /* an SkCustomer */
#define SK_SYNC_KIND_CUSTOMER_UPDATE "customer.update"          /* an SkCustomer, and "base" */
#define SK_SYNC_KIND_NOTIFICATION    "notification.create" /* a receipt to e-mail: {purchase_id} */

/* Who pushes: the account, and the device it pushes from. */
typedef struct
{
  const char *device_id;
  const char *app_version; /* may be NULL */
  const char *user_id;     /* may be NULL (tests, the CLI on the server) */
  SkRole      role;
  /* The account's store (manager, cashier); NULL for an admin, who names
   * the device's store in the push instead. */
  const char *user_store_id;
  /* The most a manager may move by hand either way; 0: no limit. */
  gint64 manual_bonus_limit;
} SkSyncPusher;

/* One event of a push, as the till sent it. */
typedef struct
{
  char     *id; /* UUID */
  gint64    seq;
  char     *kind;
  JsonNode *payload;
  gint64    created_at; /* the till's clock; 0 if not given */
} SkSyncEvent;

void sk_sync_event_free (SkSyncEvent *event);
/* The envelope of one event {seq, id, kind, payload, created_at}; the
 * payload is read only when the event is applied. SK_ERROR_MALFORMED
 * naming the member when it is not an event at all. */
SkSyncEvent *sk_sync_event_from_json (JsonNode *node, GError **error);

typedef enum
{
  SK_SYNC_APPLIED,
  SK_SYNC_DUPLICATE,
  SK_SYNC_REJECTED,
} SkSyncStatus;

const char *sk_sync_status_to_string (SkSyncStatus status);

/* The answer to one event. */
typedef struct
{
  char        *id;
  gint64       seq;
  SkSyncStatus status;
  /* A duplicate: how the event was first answered (applied, or rejected
   * when a rejected event is pushed again), and what it duplicates (the
   * event's own id, or the sale or movement recorded before under another
   * event). */
  SkSyncStatus first_status;
  char        *duplicate_of;
  JsonNode    *result; /* applied, duplicate of an applied one: what was recorded */
  char        *code;   /* rejected: an error code (SPEC 5's, or the sync ones) */
  char        *message;
  char        *field;
  JsonNode    *review; /* an array of what HQ should look at, or NULL */
} SkSyncAnswer;

void sk_sync_answer_free (SkSyncAnswer *answer);
/* {id, seq, status, result | code, message, field, first_status,
 * duplicate_of, review} */
JsonNode *sk_sync_answer_to_json (const SkSyncAnswer *answer);

/* Binds @pusher's device to its store at its first push, or checks that a
 * device bound before is of that store; notes its contact, account and
 * version. The store is the account's (manager, cashier) or, for an admin,
 * @store_id (NULL: the one it is bound to). SK_ERROR_FORBIDDEN for a device
 * of another store or a @store_id that is not the account's;
 * SK_ERROR_INVALID for an admin's new device without a store or a store
 * that does not exist. *bound_store_id: the device's store; *acked_seq: the
 * highest sequence acknowledged so far. A write: run it holding the
 * server's write lock. */
gboolean sk_database_sync_device (SkDatabase         *self,
                                  const SkSyncPusher *pusher,
                                  const char         *store_id,
                                  char              **bound_store_id,
                                  gint64             *acked_seq,
                                  GError            **error);

/* Applies one event of @pusher's device (bound to @store by
 * sk_database_sync_device; read once for a push, its sales are recorded
 * with the store as the push found it) in one transaction with the device's
 * acknowledged sequence, and records it with its answer. An event pushed
 * again is answered as the first time (duplicate); one the database
 * refuses for what it says is rejected, recorded and acknowledged too.
 * NULL only when the database failed (nothing written; push it again).
 * *acked_seq: the device's acknowledged sequence afterwards. */
SkSyncAnswer *sk_database_sync_apply (SkDatabase         *self,
                                      const SkSyncPusher *pusher,
                                      SkStore            *store,
                                      const SkSyncEvent  *event,
                                      gint64             *acked_seq,
                                      GError            **error);

/* The review list (SPEC 6): what HQ should look at, an item a row written
 * by the push in the event's transaction: a rejected event
 * (rejected_event), and each item of an event's review (negative_balance,
 * field_conflict, clock_ahead, usage_limit_exceeded, budget_exceeded,
 * refund_differs...). An item is a JSON object {id, kind, store_id (the
 * device's), device_id, event_id, event_kind, seq, customer_id, details,
 * created_at, resolved, resolved_at, resolved_by, resolved_by_username}. */

/* A page of the items of @store_id (NULL: every store), open or
 * @resolved, newest first, after @cursor (NULL: from the newest; else a
 * *next_cursor given before, SK_ERROR_MALFORMED when it is not one).
 * *next_cursor is NULL on the last page. An array of JsonNode. */
GPtrArray *sk_database_sync_review_page (SkDatabase *self,
                                         const char *store_id,
                                         gboolean    resolved,
                                         const char *cursor,
                                         guint       limit,
                                         char      **next_cursor,
                                         GError    **error);
/* The item @id, or SK_ERROR_NOT_FOUND. */
JsonNode *sk_database_sync_review_get (SkDatabase *self, const char *id, GError **error);
/* Marks the item @id resolved by @user_id (may be NULL), now; an item
 * resolved before keeps who resolved it and when. The item afterwards, or
 * SK_ERROR_NOT_FOUND. A write. */
JsonNode *sk_database_sync_review_resolve (SkDatabase *self,
                                           const char *id,
                                           const char *user_id,
                                           GError    **error);

/* A page of the devices (tills) of @store_id (NULL: every store), newest
 * first, paged as the review list: JSON objects {id, store_id, user_id,
 * username (the account of its last push), app_version, acked_seq,
 * created_at, last_seen_at (its last contact)}. */
GPtrArray *sk_database_sync_devices_page (SkDatabase *self,
                                          const char *store_id,
                                          const char *cursor,
                                          guint       limit,
                                          char      **next_cursor,
                                          GError    **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSyncEvent, sk_sync_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkSyncAnswer, sk_sync_answer_free)

G_END_DECLS
