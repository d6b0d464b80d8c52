/* sk-sync-till.c: the till's side of sync in its own store: the outbox
 * pushed and acknowledged, HQ's changes applied with their cursor.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-change-feed.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-sync-till.h"

/* Outbox */

JsonNode *
sk_database_outbox_batch (SkDatabase *self, guint limit, gint64 *last_seq, GError **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  SkStmt  *stmt;
  gboolean has_row = FALSE;
  gboolean ok;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (limit > 0 && last_seq != NULL, NULL);

  *last_seq = 0;
  stmt = sk_db_query (self, error,
                      "SELECT seq, event_id, entity, op, payload, created_at FROM sync_outbox"
                      " ORDER BY seq LIMIT ?",
                      "i", (gint64)limit);
  if (stmt == NULL)
    return NULL;
  json_builder_begin_array (builder);
  while ((ok = sk_db_step (self, stmt, &has_row, error)) && has_row)
    {
      g_autofree char *kind
          = g_strdup_printf ("%s.%s", sk_stmt_text (stmt, 2), sk_stmt_text (stmt, 3));
      g_autofree char *at = sk_time_to_rfc3339 (sk_stmt_int64 (stmt, 5));
      g_autoptr (GError) parse_error = NULL;
      JsonNode *payload = sk_json_parse (sk_stmt_text (stmt, 4), -1, &parse_error);

      /* A payload the till wrote is JSON; should one not be, HQ says so
       * (rejected) rather than the queue stopping here. */
      if (payload == NULL)
        payload = json_node_init_string (json_node_alloc (), sk_stmt_text (stmt, 4));
      *last_seq = sk_stmt_int64 (stmt, 0);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "seq");
      json_builder_add_int_value (builder, *last_seq);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, sk_stmt_text (stmt, 1));
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, kind);
      json_builder_set_member_name (builder, "payload");
      json_builder_add_value (builder, payload);
      json_builder_set_member_name (builder, "created_at");
      json_builder_add_string_value (builder, at);
      json_builder_end_object (builder);
    }
  sk_stmt_reset (stmt);
  if (!ok)
    return NULL;
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

/* The ids of customers whose record is to be HQ's again, one a line. */
#define SETTING_REFUSED "sync_refused_customers"

char **
sk_database_refused_customers (SkDatabase *self)
{
  g_autofree char *list = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  list = sk_database_get_setting (self, SETTING_REFUSED);
  return g_strsplit (list != NULL ? list : "", "\n", -1);
}

static gboolean
set_refused (SkDatabase *self, GStrv ids, GError **error)
{
  g_autofree char *list = g_strjoinv ("\n", ids);

  return *list == '\0'
             ? sk_db_exec (self, error, "DELETE FROM settings WHERE key = ?", "s", SETTING_REFUSED)
             : sk_database_set_setting (self, SETTING_REFUSED, list, error);
}

gboolean
sk_database_note_refused (SkDatabase *self, const char *event_id, GError **error)
{
  g_auto (GStrv) ids = sk_database_refused_customers (self);
  g_autoptr (GStrvBuilder) more = g_strv_builder_new ();
  g_auto (GStrv) noted = NULL;
  g_autofree char *customer_id = NULL;
  SkStmt          *stmt;
  gboolean         has_row = FALSE;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);

  if (event_id == NULL)
    return TRUE;
  stmt = sk_db_query (
      self, error,
      "SELECT CASE o.entity WHEN 'customer' THEN o.entity_id"
      " WHEN 'bonus_transaction' THEN (SELECT customer_id FROM bonus_transactions"
      "   WHERE id = o.entity_id)"
      " WHEN 'purchase' THEN (SELECT customer_id FROM purchases WHERE id = o.entity_id)"
      " WHEN 'refund' THEN (SELECT p.customer_id FROM refunds AS r"
      "   JOIN purchases AS p ON p.id = r.purchase_id WHERE r.id = o.entity_id) END"
      " FROM sync_outbox AS o WHERE o.event_id = ?",
      "s", event_id);
  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return FALSE;
  if (has_row && !sk_stmt_is_null (stmt, 0))
    customer_id = g_strdup (sk_stmt_text (stmt, 0));
  sk_stmt_reset (stmt);
  if (customer_id == NULL || g_strv_contains ((const char *const *)ids, customer_id))
    return TRUE;
  g_strv_builder_addv (more, (const char **)ids);
  g_strv_builder_add (more, customer_id);
  noted = g_strv_builder_end (more);
  return set_refused (self, noted, error);
}

gboolean
sk_database_forget_refused (SkDatabase *self, const char *customer_id, GError **error)
{
  g_auto (GStrv) ids = sk_database_refused_customers (self);
  g_autoptr (GStrvBuilder) left = g_strv_builder_new ();
  g_auto (GStrv) kept = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);

  for (guint i = 0; ids[i] != NULL; i++)
    if (*ids[i] != '\0' && g_strcmp0 (ids[i], customer_id) != 0)
      g_strv_builder_add (left, ids[i]);
  kept = g_strv_builder_end (left);
  return set_refused (self, kept, error);
}

gboolean
sk_database_outbox_acknowledge (SkDatabase *self, gint64 acked_seq, gint64 *removed, GError **error)
{
  gint64 n;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);

  if (removed != NULL)
    *removed = 0;
  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_db_exec (self, error, "DELETE FROM sync_outbox WHERE seq <= ?", "i", acked_seq))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  n = sk_db_changes (self);
  if (!sk_db_commit (self, error))
    return FALSE;
  if (removed != NULL)
    *removed = n;
  return TRUE;
}

/* Cursor */

char *
sk_database_get_sync_cursor (SkDatabase *self)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return sk_database_get_setting (self, SK_SETTING_SYNC_CURSOR);
}

gboolean
sk_database_forget_sync_cursor (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  return sk_db_exec (self, error, "DELETE FROM settings WHERE key IN (?, ?)", "ss",
                     SK_SETTING_SYNC_CURSOR, SK_SETTING_SYNC_SALES_SINCE);
}

/* Applying a page */

typedef struct
{
  const char *entity;
  const char *table;
  const char *key;
  GType (*get_type) (void);
  gboolean name_key; /* the row has the search key of its full_name */
} Kind;

static const Kind kinds[] = {
  { SK_FEED_STORE, "stores", "id", sk_store_get_type, FALSE },
  { SK_FEED_RULE, "discount_rules", "id", sk_discount_rule_get_type, FALSE },
  { SK_FEED_CAMPAIGN, "campaigns", "id", sk_campaign_get_type, FALSE },
  { SK_FEED_PRODUCT, "products", "sku", sk_product_get_type, FALSE },
  { SK_FEED_CUSTOMER, "customers", "id", sk_customer_get_type, TRUE },
};

static const Kind *
kind_of (const char *entity)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kinds[i].entity, entity))
      return &kinds[i];
  return NULL;
}

/* The figures of a customer HQ keeps, which the till takes even while it
 * has an edit of the customer's details HQ has not acknowledged. */
static const char *const customer_figures[]
    = { "visits",        "total_spent", "last_purchase_at", "segment",
        "bonus_balance", "flagged",     "version",          NULL };

/* INSERT ... ON CONFLICT DO UPDATE of @kind's stored fields, replacing all
 * of them or only the customer's figures; made once per kind. */
static const char *
upsert_sql (const Kind *kind, SkRecordClass *klass, gboolean figures_only)
{
  static char *made[G_N_ELEMENTS (kinds)][2];
  char       **sql = &made[kind - kinds][figures_only];

  if (g_once_init_enter (sql))
    {
      g_autoptr (GString) columns = g_string_new (NULL);
      g_autoptr (GString) values = g_string_new (NULL);
      g_autoptr (GString) updates = g_string_new (NULL);

      for (guint i = 0; i < klass->n_fields; i++)
        {
          const SkField *field = &klass->fields[i];

          if (field->flags & SK_FIELD_COMPUTED)
            continue;
          g_string_append_printf (columns, "%s%s", columns->len ? ", " : "", field->name);
          g_string_append (values, values->len ? ", ?" : "?");
          if (!g_str_equal (field->name, kind->key)
              && (!figures_only || g_strv_contains (customer_figures, field->name)))
            g_string_append_printf (updates, "%s%s = excluded.%s", updates->len ? ", " : "",
                                    field->name, field->name);
        }
      if (kind->name_key)
        {
          g_string_append (columns, ", name_key");
          g_string_append (values, ", ?");
          if (!figures_only)
            g_string_append (updates, ", name_key = excluded.name_key");
        }
      g_once_init_leave (sql, g_strdup_printf ("INSERT INTO %s (%s) VALUES (%s)"
                                               " ON CONFLICT (%s) DO UPDATE SET %s",
                                               kind->table, columns->str, values->str, kind->key,
                                               updates->str));
    }
  return *sql;
}

/* Inserts @record, or replaces the columns of the row with its key: an
 * UPDATE in place, so that rows referring to it stay. */
static gboolean
upsert_record (SkDatabase *self,
               const Kind *kind,
               SkRecord   *record,
               const char *name_key,
               gboolean    figures_only,
               GError    **error)
{
  SkRecordClass *klass = SK_RECORD_GET_CLASS (record);
  SkStmt        *stmt = sk_db_prepare (self, upsert_sql (kind, klass, figures_only), error);
  int            index = 1;

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < klass->n_fields; i++)
    if (!(klass->fields[i].flags & SK_FIELD_COMPUTED))
      sk_db_bind_field (stmt, index++, record, &klass->fields[i]);
  if (kind->name_key)
    sk_stmt_bind_text (stmt, index, name_key);
  return sk_db_step_done (self, stmt, error);
}

/* What the till's events not yet acknowledged add to a customer HQ sent:
 * its sales, refunds and movements by hand are in the till's own tables,
 * and still in the outbox until HQ has them. */
static gboolean
add_pending (SkDatabase *self, const char *customer_id, GError **error)
{
  return sk_db_exec (
      self, error,
      "UPDATE customers SET"
      " bonus_balance = bonus_balance"
      "  + (SELECT coalesce (sum (p.bonus_earned - p.bonus_spent), 0) FROM purchases p"
      "     JOIN sync_outbox o ON o.entity = 'purchase' AND o.entity_id = p.id"
      "     WHERE p.customer_id = ?1)"
      "  + (SELECT coalesce (sum (r.bonus_returned - r.bonus_reversed), 0) FROM refunds r"
      "     JOIN purchases p ON p.id = r.purchase_id"
      "     JOIN sync_outbox o ON o.entity = 'refund' AND o.entity_id = r.id"
      "     WHERE p.customer_id = ?1)"
      "  + (SELECT coalesce (sum (t.amount), 0) FROM bonus_transactions t"
      "     JOIN sync_outbox o ON o.entity = 'bonus_transaction' AND o.entity_id = t.id"
      "     WHERE t.customer_id = ?1),"
      " visits = visits"
      "  + (SELECT count(*) FROM purchases p"
      "     JOIN sync_outbox o ON o.entity = 'purchase' AND o.entity_id = p.id"
      "     WHERE p.customer_id = ?1)"
      /* A refund returning the rest of a sale takes its visit back;
       * being the sale's last, it is the one still pending. */
      "  - (SELECT count(DISTINCT p.id) FROM purchases p"
      "     JOIN refunds r ON r.purchase_id = p.id"
      "     JOIN sync_outbox o ON o.entity = 'refund' AND o.entity_id = r.id"
      "     WHERE p.customer_id = ?1 AND p.status = 'refunded'),"
      " total_spent = total_spent"
      "  + (SELECT coalesce (sum (p.subtotal - p.discount_total), 0) FROM purchases p"
      "     JOIN sync_outbox o ON o.entity = 'purchase' AND o.entity_id = p.id"
      "     WHERE p.customer_id = ?1)"
      "  - (SELECT coalesce (sum (r.amount), 0) FROM refunds r"
      "     JOIN purchases p ON p.id = r.purchase_id"
      "     JOIN sync_outbox o ON o.entity = 'refund' AND o.entity_id = r.id"
      "     WHERE p.customer_id = ?1)"
      " WHERE id = ?1",
      "s", customer_id);
}

/* HQ's figures of @customer; its details too unless the till has an edit
 * of them HQ has not acknowledged yet. */
static gboolean
apply_customer (SkDatabase *self,
                const Kind *kind,
                SkCustomer *customer,
                const char *name_key,
                gboolean    outbox,
                GError    **error)
{
  g_autoptr (GError) conflict = NULL;
  gboolean edited = FALSE;

  if (outbox)
    edited = sk_db_query_int (self, NULL, 0,
                              "SELECT count(*) FROM sync_outbox WHERE entity = 'customer'"
                              " AND entity_id = ?",
                              "s", customer->id)
             > 0;
  /* HQ's card and phone win over another local customer's: that one is
   * HQ's already under another id (a merge), or will be told apart when
   * its own registration reaches HQ. Seldom so: only when the unique card
   * or phone stops the upsert are they taken from the other (SQLite backs
   * out the failed statement, not the page's transaction). */
  if (!upsert_record (self, kind, SK_RECORD (customer), name_key, edited, &conflict))
    {
      if (edited || !g_error_matches (conflict, SK_ERROR, SK_ERROR_CONFLICT))
        {
          g_propagate_error (error, g_steal_pointer (&conflict));
          return FALSE;
        }
      if (!sk_db_exec (self, error,
                       "UPDATE customers SET card_number = NULL WHERE card_number = ? AND id <> ?",
                       "ss", customer->card_number, customer->id)
          || !sk_db_exec (self, error,
                          "UPDATE customers SET phone = NULL WHERE phone = ? AND id <> ?", "ss",
                          customer->phone, customer->id)
          || !upsert_record (self, kind, SK_RECORD (customer), name_key, edited, error))
        return FALSE;
    }
  if (!edited && !sk_db_save_customer_children (self, customer, error))
    return FALSE;
  return !outbox || add_pending (self, customer->id, error);
}

/* A merge: @alias_id, registered here, is the same person as @survivor_id
 * (HQ kept the registration that reached it first). The till's own sales,
 * ledger rows and notifications of the alias become the survivor's, rule
 * uses add up, and the alias's row goes; events of the alias still in the
 * outbox keep its id, which HQ knows as an alias. */
static gboolean
merge_alias (SkDatabase *self, const char *alias_id, const char *survivor_id, GError **error)
{
  static const char *const moves[] = {
    "UPDATE purchases SET customer_id = ?2 WHERE customer_id = ?1",
    "UPDATE discount_applications SET customer_id = ?2 WHERE customer_id = ?1",
    "UPDATE bonus_transactions SET customer_id = ?2 WHERE customer_id = ?1",
    "UPDATE customer_segments SET customer_id = ?2 WHERE customer_id = ?1",
    "UPDATE notifications SET customer_id = ?2 WHERE customer_id = ?1",
    "INSERT INTO rule_customer_uses (rule_id, customer_id, uses)"
    " SELECT rule_id, ?2, uses FROM rule_customer_uses WHERE customer_id = ?1"
    " ON CONFLICT (customer_id, rule_id) DO UPDATE SET uses = rule_customer_uses.uses + "
    "excluded.uses",
    "DELETE FROM rule_customer_uses WHERE customer_id = ?1",
    "DELETE FROM customers WHERE id = ?1",
  };

  if (!sk_db_exec (self, error,
                   "INSERT INTO customer_aliases (alias_id, customer_id, created_at)"
                   " VALUES (?, ?, ?) ON CONFLICT (alias_id) DO NOTHING",
                   "ssi", alias_id, survivor_id, sk_time_now ()))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    if (!sk_db_exec (self, error, moves[i], "ss", alias_id, survivor_id))
      return FALSE;
  return TRUE;
}

/* A record HQ removed; one the till's own rows still refer to (a customer
 * of a local sale) stays, as nothing may hide a local sale. */
static gboolean
apply_delete (SkDatabase *self, const Kind *kind, const char *id, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("DELETE FROM %s WHERE %s = ?", kind->table, kind->key);
  g_autoptr (GError) local_error = NULL;

  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_db_exec (self, &local_error, sql, "s", id))
    {
      sk_db_rollback (self);
      if (g_error_matches (local_error, SK_ERROR, SK_ERROR_CONFLICT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return sk_db_commit (self, error);
}

/* A barcode HQ moved to @product is no longer another's: the feed gives
 * each product as it is now, so a swap arrives as two upserts. */
static gboolean
release_barcode (SkDatabase *self, SkProduct *product, GError **error)
{
  if (product->barcode == NULL || product->sku == NULL)
    return TRUE;
  return sk_db_exec (self, error,
                     "UPDATE products SET barcode = NULL WHERE barcode = ? AND sku <> ?", "ss",
                     product->barcode, product->sku);
}

/* Pages read */

/* A change of a page, read into what the till stores. */
typedef struct
{
  const Kind *kind;        /* NULL: a chain setting */
  char       *id;          /* the record's key, or the setting's */
  gboolean    deleted;     /* a tombstone */
  char       *merged_into; /* a customer merged into another */
  SkRecord   *record;      /* an upsert's or a merge's data */
  char       *name_key;    /* a customer's search key */
  char       *value;       /* a setting's */
} Change;

struct _SkPulledPage
{
  GArray *changes;          /* of Change, refs first */
  guint   rules_edited;     /* known once applied */
  guint   campaigns_edited; /* likewise */
};

static void
change_clear (Change *change)
{
  g_free (change->id);
  g_free (change->merged_into);
  g_clear_object (&change->record);
  g_free (change->name_key);
  g_free (change->value);
}

/* Reads @object into @page; changes of what the till does not keep (an
 * entity of a newer HQ, the till's own settings) are left out. */
static gboolean
read_change (SkPulledPage *page, JsonObject *object, GError **error)
{
  const char *entity = sk_json_member_string (object, "entity", NULL);
  const char *id = sk_json_member_string (object, "id", NULL);
  const char *op = sk_json_member_string (object, "op", NULL);
  JsonNode   *data = json_object_get_member (object, "data");
  Change      change = { 0 };

  if (entity == NULL || id == NULL || op == NULL)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "changes",
                          _ ("A change needs an entity, an id and an op"));
      return FALSE;
    }
  if (data != NULL && JSON_NODE_HOLDS_NULL (data))
    data = NULL;
  change.deleted = g_str_equal (op, SK_FEED_DELETE);
  if (g_str_equal (entity, SK_FEED_SETTING))
    {
      /* The till's own settings are never HQ's to change. */
      if (g_str_equal (id, "device_id") || g_str_equal (id, SK_SETTING_SYNC_CURSOR))
        return TRUE;
      if (!change.deleted)
        {
          if (data != NULL && JSON_NODE_HOLDS_OBJECT (data))
            change.value
                = g_strdup (sk_json_member_string (json_node_get_object (data), "value", NULL));
          if (change.value == NULL)
            {
              sk_set_field_error (error, SK_ERROR_MALFORMED, "data",
                                  _ ("A setting change has no value"));
              return FALSE;
            }
        }
      change.id = g_strdup (id);
      g_array_append_val (page->changes, change);
      return TRUE;
    }
  change.kind = kind_of (entity);
  if (change.kind == NULL)
    return TRUE; /* of a newer HQ: nothing this till keeps */
  if (!change.deleted && !g_str_equal (op, SK_FEED_UPSERT) && !g_str_equal (op, SK_FEED_MERGE))
    return TRUE;
  if (!change.deleted && data == NULL)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "data", _ ("The change of %s %s has no data"),
                          entity, id);
      return FALSE;
    }
  if (g_str_equal (op, SK_FEED_MERGE) && g_str_equal (entity, SK_FEED_CUSTOMER))
    {
      const char *survivor = sk_json_member_string (object, "merged_into", NULL);

      if (survivor == NULL || g_str_equal (survivor, id))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "merged_into",
                              _ ("A merge of customer %s names no other customer"), id);
          return FALSE;
        }
      change.merged_into = g_strdup (survivor);
    }
  if (!change.deleted)
    {
      change.record = sk_record_from_json (change.kind->get_type (), data, error);
      if (change.record == NULL)
        {
          change_clear (&change);
          return FALSE;
        }
      if (change.kind->name_key)
        change.name_key = sk_name_key (SK_CUSTOMER (change.record)->full_name);
    }
  change.id = g_strdup (id);
  g_array_append_val (page->changes, change);
  return TRUE;
}

SkPulledPage *
sk_pulled_page_new (JsonArray *refs, JsonArray *changes, GError **error)
{
  JsonArray *lists[] = { refs, changes };
  g_autoptr (SkPulledPage) page = g_new0 (SkPulledPage, 1);

  g_return_val_if_fail (changes != NULL, NULL);

  page->changes = g_array_new (FALSE, TRUE, sizeof (Change));
  g_array_set_clear_func (page->changes, (GDestroyNotify)change_clear);
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; lists[l] != NULL && i < json_array_get_length (lists[l]); i++)
      {
        JsonNode *node = json_array_get_element (lists[l], i);

        if (!JSON_NODE_HOLDS_OBJECT (node))
          {
            sk_set_field_error (error, SK_ERROR_MALFORMED, "changes",
                                _ ("A change must be an object"));
            return NULL;
          }
        if (!read_change (page, json_node_get_object (node), error))
          return NULL;
      }
  return g_steal_pointer (&page);
}

void
sk_pulled_page_free (SkPulledPage *page)
{
  if (page == NULL)
    return;
  g_array_unref (page->changes);
  g_free (page);
}

/* Pages applied */

/* Whether @change edits a rule or a campaign as the till has it (a new
 * one, a removed one, a new version: @sql reads the version stored), not
 * only the count of a rule's uses or what a campaign has spent: each sale
 * that applies a rule brings both back in HQ's feed. */
static gboolean
edits (SkDatabase *self, const char *sql, Change *change)
{
  gint64 stored = sk_db_query_int (self, NULL, -1, sql, "s", change->id);

  if (change->deleted)
    return stored >= 0;
  return stored != sk_record_get_int64 (change->record, "version");
}

static gboolean
apply_change (SkDatabase *self, SkPulledPage *page, Change *change, gboolean outbox, GError **error)
{
  if (change->kind != NULL && g_str_equal (change->kind->entity, SK_FEED_RULE)
      && edits (self, "SELECT version FROM discount_rules WHERE id = ?", change))
    page->rules_edited++;
  if (change->kind != NULL && g_str_equal (change->kind->entity, SK_FEED_CAMPAIGN)
      && edits (self, "SELECT version FROM campaigns WHERE id = ?", change))
    page->campaigns_edited++;
  if (change->kind == NULL && change->deleted)
    return sk_db_exec (self, error, "DELETE FROM settings WHERE key = ?", "s", change->id);
  if (change->kind == NULL)
    return sk_database_set_setting (self, change->id, change->value, error);
  if (change->deleted)
    return apply_delete (self, change->kind, change->id, error);
  if (SK_IS_CUSTOMER (change->record))
    return apply_customer (self, change->kind, SK_CUSTOMER (change->record), change->name_key,
                           outbox, error)
           && (change->merged_into == NULL
               || merge_alias (self, change->id, change->merged_into, error));
  if (SK_IS_PRODUCT (change->record) && !release_barcode (self, SK_PRODUCT (change->record), error))
    return FALSE;
  return upsert_record (self, change->kind, change->record, NULL, FALSE, error);
}

gboolean
sk_database_keep_hq_record (SkDatabase *self, SkRecord *record, GError **error)
{
  const Kind *kind = SK_IS_DISCOUNT_RULE (record) ? kind_of (SK_FEED_RULE)
                     : SK_IS_CAMPAIGN (record)    ? kind_of (SK_FEED_CAMPAIGN)
                     : SK_IS_PRODUCT (record)     ? kind_of (SK_FEED_PRODUCT)
                     : SK_IS_CUSTOMER (record)    ? kind_of (SK_FEED_CUSTOMER)
                                                  : NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (kind != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  if (SK_IS_CUSTOMER (record))
    {
      g_autofree char *name_key = sk_name_key (SK_CUSTOMER (record)->full_name);

      if (!apply_customer (self, kind, SK_CUSTOMER (record), name_key, TRUE, error))
        {
          sk_db_rollback (self);
          return FALSE;
        }
      return sk_db_commit (self, error);
    }
  if ((SK_IS_PRODUCT (record) && !release_barcode (self, SK_PRODUCT (record), error))
      || !upsert_record (self, kind, record, NULL, FALSE, error)
      || (SK_IS_CAMPAIGN (record) && SK_CAMPAIGN (record)->rule_ids != NULL
          && !sk_db_set_campaign_rules (self, SK_CAMPAIGN (record), error)))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}

/* What HQ has taken back of @purchase, known here, when it is more than
 * this copy has: the returns other tills took. Not while a return of it
 * taken here waits in the outbox: HQ's figures do not have it yet, and
 * taking them would offer back what this till has paid back already; the
 * next cycle pushes it first. */
static gboolean
keep_hq_returns (SkDatabase *self, SkPurchase *purchase, gboolean *returned, GError **error)
{
  GListModel *lines = G_LIST_MODEL (purchase->lines);
  GListModel *apps = G_LIST_MODEL (purchase->applications);

  if (!sk_db_exec (self, error,
                   "UPDATE purchases SET status = ?1, refunded_total = ?2, discount_refunded = ?3,"
                   " bonus_reversed = ?4, bonus_returned = ?5, updated_at = ?6"
                   " WHERE id = ?7 AND refunded_total < ?2"
                   " AND NOT EXISTS (SELECT 1 FROM refunds AS r JOIN sync_outbox AS o"
                   "   ON o.entity = 'refund' AND o.entity_id = r.id WHERE r.purchase_id = ?7)",
                   "siiiiis", purchase->status, purchase->refunded_total,
                   purchase->discount_refunded, purchase->bonus_reversed, purchase->bonus_returned,
                   purchase->updated_at, purchase->id))
    return FALSE;
  *returned = sk_db_changes (self) > 0;
  for (guint i = 0; *returned && i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, i);

      if (!sk_db_exec (self, error,
                       "UPDATE purchase_lines SET refunded_quantity = ?"
                       " WHERE purchase_id = ? AND line_no = ?",
                       "isi", l->refunded_quantity, purchase->id, l->line_no))
        return FALSE;
    }
  for (guint i = 0; *returned && i < g_list_model_get_n_items (apps); i++)
    {
      g_autoptr (SkDiscountApplication) app = g_list_model_get_item (apps, i);

      if (!sk_db_exec (self, error,
                       "UPDATE discount_applications SET amount_refunded = ? WHERE id = ?", "is",
                       app->amount_refunded, app->id))
        return FALSE;
    }
  return TRUE;
}

gboolean
sk_database_keep_hq_purchases (
    SkDatabase *self, GPtrArray *purchases, gboolean for_a_while, gint64 *kept, GError **error)
{
  gint64 n = 0;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (purchases != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  for (guint i = 0; i < purchases->len; i++)
    {
      SkPurchase *purchase = g_ptr_array_index (purchases, i);
      gint64      known = sk_db_query_int (
               self, error, -1, "SELECT count(*) FROM purchases WHERE id = ?", "s", purchase->id);

      gboolean returned = FALSE;
      /* A sale new here is the store's copy, or one to keep for good; one
       * looked up again is kept for good; this till's own stay its own. */
      const char *mark = !for_a_while ? "UPDATE purchases SET kept = 0 WHERE id = ? AND kept = 1"
                         : known == 0 ? "UPDATE purchases SET kept = 1 WHERE id = ?"
                                      : NULL;

      if (known < 0 || (known == 0 && !sk_db_insert_purchase_as_is (self, purchase, error))
          || (known > 0 && !keep_hq_returns (self, purchase, &returned, error))
          || (mark != NULL && !sk_db_exec (self, error, mark, "s", purchase->id)))
        {
          sk_db_rollback (self);
          return FALSE;
        }
      n += known == 0 || returned;
    }
  if (!sk_db_commit (self, error))
    return FALSE;
  if (kept != NULL)
    *kept = n;
  return TRUE;
}

/* The kept sales sk_database_drop_kept_sales drops, before ?1. A return
 * taken here needs its sale, as does any movement of the ledger (which
 * keeps every one). */
#define KEPT_TO_DROP                                                                               \
  "SELECT p.id FROM purchases AS p WHERE p.kept = 1 AND p.updated_at < ?1"                         \
  " AND NOT EXISTS (SELECT 1 FROM refunds AS r WHERE r.purchase_id = p.id)"                        \
  " AND NOT EXISTS (SELECT 1 FROM bonus_transactions AS b WHERE b.purchase_id = p.id)"

gboolean
sk_database_drop_kept_sales (SkDatabase *self, gint64 before, gint64 *dropped, GError **error)
{
  static const char *const parts[] = {
    "DELETE FROM purchase_lines WHERE purchase_id IN (" KEPT_TO_DROP ")",
    "DELETE FROM discount_applications WHERE purchase_id IN (" KEPT_TO_DROP ")",
    "DELETE FROM purchases WHERE id IN (" KEPT_TO_DROP ")",
  };

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (!sk_db_exec (self, error, parts[i], "i", before))
      {
        sk_db_rollback (self);
        return FALSE;
      }
  if (dropped != NULL)
    *dropped = sk_db_changes (self);
  return sk_db_commit (self, error);
}

gboolean
sk_database_apply_pulled_page (SkDatabase   *self,
                               SkPulledPage *page,
                               const char   *next_cursor,
                               GError      **error)
{
  gboolean outbox;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (page != NULL && next_cursor != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  /* A database that takes HQ's feed is a till: it keeps no feed of its
   * own (migration 19), and drops what it had kept. */
  if (!sk_db_exec (self, error, "UPDATE change_feed SET kept = 0 WHERE kept = 1", NULL)
      || (sk_db_changes (self) > 0 && !sk_db_exec (self, error, "DELETE FROM changes", NULL)))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  /* Most pulls come after a push that emptied the outbox: then HQ's
   * figures are the till's, with nothing to add. */
  outbox = sk_db_query_int (self, NULL, 1, "SELECT EXISTS (SELECT 1 FROM sync_outbox)", NULL) != 0;
  page->rules_edited = page->campaigns_edited = 0;
  for (guint i = 0; i < page->changes->len; i++)
    if (!apply_change (self, page, &g_array_index (page->changes, Change, i), outbox, error))
      {
        sk_db_rollback (self);
        return FALSE;
      }
  if (!sk_database_set_setting (self, SK_SETTING_SYNC_CURSOR, next_cursor, error))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}

guint
sk_pulled_page_get_rules_edited (SkPulledPage *page)
{
  g_return_val_if_fail (page != NULL, 0);
  return page->rules_edited;
}

guint
sk_pulled_page_get_campaigns_edited (SkPulledPage *page)
{
  g_return_val_if_fail (page != NULL, 0);
  return page->campaigns_edited;
}

gboolean
sk_database_apply_changes (
    SkDatabase *self, JsonArray *refs, JsonArray *changes, const char *next_cursor, GError **error)
{
  g_autoptr (SkPulledPage) page = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (changes != NULL && next_cursor != NULL, FALSE);

  page = sk_pulled_page_new (refs, changes, error);
  return page != NULL && sk_database_apply_pulled_page (self, page, next_cursor, error);
}
