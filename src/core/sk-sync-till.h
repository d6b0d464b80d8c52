/* sk-sync-till.h: the till's side of sync in its own store (SPEC 6): the
 * outbox read a batch at a time and emptied of what HQ acknowledged, and
 * HQ's changes applied a page at a time together with the cursor.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"

G_BEGIN_DECLS

/* Where the till's pull goes on from (a setting of its own, not HQ's). */
#define SK_SETTING_SYNC_CURSOR "sync_cursor"
/* Since when (HQ's clock, microseconds) the till asks HQ for its store's
 * sales (sk_sync_client.c, keep_store_sales). */
#define SK_SETTING_SYNC_SALES_SINCE "sync_sales_since"

/* At most @limit of the outbox's oldest events, in sequence order, as a
 * push carries them: a JSON array of {seq, id, kind, payload, created_at},
 * kind "entity.op". *last_seq: the sequence of the last one (0 when none). */
JsonNode *
sk_database_outbox_batch (SkDatabase *self, guint limit, gint64 *last_seq, GError **error);

/* Notes the customer the outbox's event @event_id is of (a customer's
 * edit, a bonus movement by hand, a sale or a return of a customer's), if
 * any, as one whose record is to be HQ's again: HQ refused the event. A
 * setting of the till's own, so a refresh that fails is tried again. */
gboolean sk_database_note_refused (SkDatabase *self, const char *event_id, GError **error);
/* The customers noted so (NULL-terminated; empty: none). */
char **sk_database_refused_customers (SkDatabase *self);
/* @customer_id is HQ's again (or HQ has it no more). */
gboolean sk_database_forget_refused (SkDatabase *self, const char *customer_id, GError **error);
/* Removes the events HQ acknowledged (seq <= @acked_seq), in one
 * transaction; *removed (may be NULL) says how many. */
gboolean sk_database_outbox_acknowledge (SkDatabase *self,
                                         gint64      acked_seq,
                                         gint64     *removed,
                                         GError    **error);

/* The cursor of the last page applied; NULL before the first. Forgotten
 * (an HQ that does not know it: restored, or another), the till copies
 * HQ again from the start, and asks for its store's sales of the last
 * days again. */
char    *sk_database_get_sync_cursor (SkDatabase *self);
gboolean sk_database_forget_sync_cursor (SkDatabase *self, GError **error);

/* Applies a page of HQ's changes ({cursor, entity, id, op, data,
 * merged_into} as GET /api/sync/pull gives them) and stores @next_cursor,
 * in ONE transaction: a page is applied whole or not at all. A customer's
 * figures are HQ's plus what the till's own events not yet acknowledged
 * add (SPEC 6: a pull never hides a local sale), and a customer with an
 * edit of its own still pending keeps its own details until HQ has it.
 * @refs (may be NULL), the page's refs, are applied first: the records its
 * changes refer to. */
gboolean sk_database_apply_changes (
    SkDatabase *self, JsonArray *refs, JsonArray *changes, const char *next_cursor, GError **error);

/* The same in two steps: a page read into records (by any thread, with no
 * database: the sync client reads a page on the thread that fetched it),
 * then applied. sk_pulled_page_new () fails with SK_ERROR_MALFORMED on a
 * change that is not one; nothing is applied then. */
typedef struct _SkPulledPage SkPulledPage;

/* Keeps @record (a rule, a campaign and the rules its rule_ids move, a
 * product, or a customer: its figures HQ's plus what the outbox still
 * holds of it) as HQ answered, as its pull will. */
gboolean sk_database_keep_hq_record (SkDatabase *self, SkRecord *record, GError **error);
/* Keeps sales of the store (SkPurchase), as HQ has them, to take returns
 * of them here: a sale new here is kept whole; of one known here, what HQ
 * has taken back when it is more than this copy has (a return at another
 * till), else this copy stays. All or none. @for_a_while: the store's
 * copy a sync keeps, let go when old (sk_database_drop_kept_sales); else
 * sales looked up to take a return of, kept for good (also those kept
 * before for a while). *kept (may be NULL): how many were new or taken
 * back here. */
gboolean sk_database_keep_hq_purchases (
    SkDatabase *self, GPtrArray *purchases, gboolean for_a_while, gint64 *kept, GError **error);
/* Drops the sales a sync kept from HQ that HQ last wrote before @before
 * (a new till keeps those of 14 days), with their lines and discounts;
 * never one a return was taken of here (its record of the money paid
 * back stays, whatever HQ made of it). *dropped (may be NULL): how many. */
gboolean
sk_database_drop_kept_sales (SkDatabase *self, gint64 before, gint64 *dropped, GError **error);

SkPulledPage *sk_pulled_page_new (JsonArray *refs, JsonArray *changes, GError **error);
void          sk_pulled_page_free (SkPulledPage *page);
gboolean      sk_database_apply_pulled_page (SkDatabase   *self,
                                             SkPulledPage *page,
                                             const char   *next_cursor,
                                             GError      **error);
/* How many of the applied page's changes edit a rule as the till had it
 * (added, removed, a new version); a rule back only for the count of its
 * uses, as after every sale that applies it, is no edit. */
guint sk_pulled_page_get_rules_edited (SkPulledPage *page);
/* The same for campaigns: what they have spent is no edit. */
guint sk_pulled_page_get_campaigns_edited (SkPulledPage *page);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkPulledPage, sk_pulled_page_free)

G_END_DECLS
