/* sk-change-feed.h: the change feed tills pull from HQ (SPEC 6, "Pull"):
 * stores, rules, campaigns, products, customers with their balances and
 * figures, and the chain's settings, each as its latest change, in commit
 * order on every backend, a page at a time after an opaque cursor.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* What a change is of ("entity"), and what happened ("op"). */
#define SK_FEED_STORE    "store"
#define SK_FEED_RULE     "rule"
#define SK_FEED_CAMPAIGN "campaign"
#define SK_FEED_PRODUCT  "product"
#define SK_FEED_CUSTOMER "customer"
#define SK_FEED_SETTING  "setting"

#define SK_FEED_UPSERT "upsert" /* the record as it is now: insert or replace it */
#define SK_FEED_DELETE "delete" /* the record is gone (a tombstone) */
#define SK_FEED_MERGE  "merge"  /* a customer id is now an alias of merged_into */

typedef struct
{
  /* A JSON array of {"cursor", "entity", "id", "op", "data"} and, for a
   * merge, "merged_into". data is the record as the REST API shows it
   * (a setting: {"key", "value"}; a merge: the surviving customer), null
   * for a delete. cursor is the position just after the change. */
  JsonNode *changes;
  guint     n_changes;
  /* The stores and campaigns the page's customers and rules refer to, as
   * upserts of the same shape, for a till to apply before the changes:
   * their own changes may come later (the feed keeps the latest only). */
  JsonNode *refs;
  /* Where the next pull starts; the cursor given when nothing was new. */
  char    *next_cursor;
  gboolean has_more;
} SkChangePage;

/* At most @limit changes after @since (NULL or "": from the start, which is
 * a full copy: the feed keeps every record's latest change, tombstones
 * included). Cursors never expire; one this database did not give (not one
 * of ours, of another database, or beyond the newest change, as after a
 * restore from a backup) is SK_ERROR_CURSOR_EXPIRED: the till then pulls
 * again from the start. On PostgreSQL a change is given only once every
 * transaction older than its own has ended, so a pull lags behind a
 * transaction left open. */
SkChangePage *
sk_database_pull_changes (SkDatabase *self, const char *since, guint limit, GError **error);
/* {"changes", "refs", "next_cursor", "has_more"}; takes the changes and
 * refs from @page. */
JsonNode *sk_change_page_to_json (SkChangePage *page);
void      sk_change_page_free (SkChangePage *page);

/* Records that customer @alias_id is now @surviving_id (one person
 * registered at two tills: SPEC 6), in the caller's transaction. It
 * replaces the alias's earlier changes, so call it once the alias's row is
 * removed or last written (a later change of that row would replace the
 * merge). */
gboolean sk_database_feed_merge (SkDatabase *self,
                                 const char *alias_id,
                                 const char *surviving_id,
                                 GError    **error);

/* A server keeps the feed of its database. A till keeps none (its first
 * pull stops it: sk_database_apply_changes), so should a till's SQLite
 * file become a server's, the feed is begun again from its records under
 * a new epoch: every till's cursor is then refused and it copies in full. */
gboolean sk_database_keep_change_feed (SkDatabase *self, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkChangePage, sk_change_page_free)

G_END_DECLS
