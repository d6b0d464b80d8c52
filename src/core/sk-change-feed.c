/* sk-change-feed.c: reading the change feed of migration 10 a page at a
 * time (SPEC 6, "Pull").
 *
 * A cursor is "f1.EPOCH.XID.SEQ": the feed's epoch (so a cursor of another
 * database is refused) and the position of the last change given. The
 * client keeps it as an opaque string. Positions are ordered by (xid, seq):
 * on SQLite xid is always 0 and seq, given out by one writer at a time, is
 * commit order; on PostgreSQL seq is taken before commit, so a change
 * numbered lower may commit after a higher one was read. There a page holds
 * only changes of transactions older than the reading snapshot's xmin, all
 * of them ended, and any transaction still to commit has an xid at or above
 * that xmin, so its changes sort after every cursor given so far.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-change-feed.h"
#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-schema.h"

#define CURSOR_FORMAT "f1"

typedef struct
{
  gint64 seq;
  gint64 xid;
  char  *entity;
  char  *entity_id;
  char  *op;
  char  *merged_into;
} Change;

static void
change_clear (Change *change)
{
  g_free (change->entity);
  g_free (change->entity_id);
  g_free (change->op);
  g_free (change->merged_into);
}

static char *
feed_epoch (SkDatabase *self, GError **error)
{
  SkStmt  *stmt = sk_db_query (self, error, "SELECT epoch FROM change_feed", NULL);
  gboolean has_row = FALSE;
  char    *epoch = NULL;

  if (stmt == NULL || !sk_db_step (self, stmt, &has_row, error))
    return NULL;
  if (has_row)
    epoch = g_strdup (sk_stmt_text (stmt, 0));
  else
    sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("The change feed has no epoch"));
  sk_stmt_reset (stmt);
  return epoch;
}

static char *
cursor_make (const char *epoch, gint64 xid, gint64 seq)
{
  return g_strdup_printf (CURSOR_FORMAT ".%s.%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT, epoch, xid,
                          seq);
}

static gboolean
cursor_expired (GError **error)
{
  sk_set_field_error (error, SK_ERROR_CURSOR_EXPIRED, "since",
                      _ ("This server does not know the cursor: pull again from the start"));
  return FALSE;
}

/* The position after @since, checked to be one this feed may have given. */
static gboolean
cursor_parse (SkDatabase *self,
              const char *since,
              const char *epoch,
              gint64     *xid,
              gint64     *seq,
              GError    **error)
{
  g_auto (GStrv) parts = NULL;
  guint64 x, s;

  *xid = *seq = 0;
  if (since == NULL || *since == '\0')
    return TRUE;
  parts = g_strsplit (since, ".", 5);
  if (g_strv_length (parts) != 4 || !g_str_equal (parts[0], CURSOR_FORMAT)
      || !g_str_equal (parts[1], epoch)
      || !g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXINT64, &x, NULL)
      || !g_ascii_string_to_unsigned (parts[3], 10, 0, G_MAXINT64, &s, NULL))
    return cursor_expired (error);
  *xid = (gint64)x;
  *seq = (gint64)s;
  if (x != 0 || s != 0)
    {
      g_autoptr (GError) local_error = NULL;
      gint64 known = sk_db_query_int (self, &local_error, 0, sk_db_sql (self, SK_SQL_FEED_KNOWN),
                                      "ii", *xid, *seq);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (known != 1)
        return cursor_expired (error);
    }
  return TRUE;
}

/* The record @id of @entity as the REST API shows it; NULL without an
 * error when it is gone. */
static JsonNode *
record_json (SkDatabase *self, const char *entity, const char *id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SkRecord) record = NULL;

  if (g_str_equal (entity, SK_FEED_SETTING))
    {
      g_autofree char *value = sk_database_get_setting (self, id);
      g_autoptr (JsonBuilder) builder = NULL;

      if (value == NULL)
        return NULL;
      builder = json_builder_new ();
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "key");
      json_builder_add_string_value (builder, id);
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, value);
      json_builder_end_object (builder);
      return json_builder_get_root (builder);
    }
  if (g_str_equal (entity, SK_FEED_STORE))
    record = SK_RECORD (sk_database_get_store (self, id, &local_error));
  else if (g_str_equal (entity, SK_FEED_RULE))
    record = SK_RECORD (sk_database_get_rule (self, id, &local_error));
  else if (g_str_equal (entity, SK_FEED_CAMPAIGN))
    record = SK_RECORD (sk_database_get_campaign (self, id, &local_error));
  else if (g_str_equal (entity, SK_FEED_PRODUCT))
    record = SK_RECORD (sk_database_get_product (self, id, &local_error));
  else if (g_str_equal (entity, SK_FEED_CUSTOMER))
    record = SK_RECORD (sk_database_get_customer (self, id, &local_error));
  else
    {
      sk_set_field_error (error, SK_ERROR_DATABASE, NULL, _ ("The change feed has a change of %s"),
                          entity);
      return NULL;
    }
  if (record != NULL)
    return sk_record_to_json (record);
  if (!g_error_matches (local_error, SK_ERROR, SK_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

/* The customers of the page's upserts, children included, by id: a till's
 * first pull is mostly customers, and one query for a page of them instead
 * of two per customer is what keeps it short on a server database over the
 * network. */
static GHashTable *
page_customers (SkDatabase *self, GArray *changes, GError **error)
{
  g_autoptr (GHashTable) customers
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  g_autoptr (GPtrArray) rows = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) ids = NULL;
  g_autofree char *ids_json = NULL;
  SkStmt          *stmt;
  gboolean         has_row = FALSE;
  gboolean         any = FALSE;
  gboolean         ok;

  json_builder_begin_array (builder);
  for (guint i = 0; i < changes->len; i++)
    {
      const Change *change = &g_array_index (changes, Change, i);

      if (g_str_equal (change->entity, SK_FEED_CUSTOMER)
          && g_str_equal (change->op, SK_FEED_UPSERT))
        {
          json_builder_add_string_value (builder, change->entity_id);
          any = TRUE;
        }
    }
  json_builder_end_array (builder);
  if (!any)
    return g_steal_pointer (&customers);
  ids = json_builder_get_root (builder);
  ids_json = json_to_string (ids, FALSE);
  rows = sk_db_query_records (
      self, sk_db_query (self, error, sk_db_sql (self, SK_SQL_FEED_CUSTOMERS), "s", ids_json),
      SK_TYPE_CUSTOMER, error);
  if (rows == NULL)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      SkCustomer *customer = g_ptr_array_index (rows, i);

      g_hash_table_insert (customers, customer->id, g_object_ref (customer));
    }
  stmt = sk_db_query (self, error, sk_db_sql (self, SK_SQL_FEED_CHILDREN), "s", ids_json);
  if (stmt == NULL)
    return NULL;
  while ((ok = sk_db_step (self, stmt, &has_row, error)) && has_row)
    {
      SkCustomer *customer = g_hash_table_lookup (customers, sk_stmt_text (stmt, 0));
      g_autoptr (SkChild) child = NULL;

      if (customer == NULL)
        continue; /* made since the customers were read: read alone below */
      child = sk_child_new (sk_stmt_text (stmt, 1), sk_stmt_text (stmt, 2));
      g_list_store_append (customer->children, child);
    }
  sk_stmt_reset (stmt);
  return ok ? g_steal_pointer (&customers) : NULL;
}

static void
add_change (JsonBuilder *builder,
            const char  *cursor,
            const char  *entity,
            const char  *id,
            const char  *op,
            const char  *merged_into,
            JsonNode    *data)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "cursor");
  json_builder_add_string_value (builder, cursor);
  json_builder_set_member_name (builder, "entity");
  json_builder_add_string_value (builder, entity);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "op");
  json_builder_add_string_value (builder, op);
  if (merged_into != NULL)
    {
      json_builder_set_member_name (builder, "merged_into");
      json_builder_add_string_value (builder, merged_into);
    }
  json_builder_set_member_name (builder, "data");
  if (data != NULL)
    json_builder_add_value (builder, data);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
}

/* The record a customer (its home store) or a rule (its campaign) refers
 * to, as an upsert in the page's refs, once a page (@given): the feed keeps
 * each record's latest change only, so a store or campaign edited after
 * its customers or rules were made comes after them, maybe pages later,
 * and a till could not keep them meanwhile. */
static gboolean
add_parent (SkDatabase  *self,
            JsonBuilder *refs,
            GHashTable  *given,
            const char  *cursor,
            JsonNode    *child,
            GError     **error)
{
  static const struct
  {
    const char *member;
    const char *entity;
  } parents[] = {
    { "home_store_id", SK_FEED_STORE },
    { "campaign_id", SK_FEED_CAMPAIGN },
  };
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (child) ? json_node_get_object (child) : NULL;

  for (guint i = 0; object != NULL && i < G_N_ELEMENTS (parents); i++)
    {
      const char *id = json_object_get_string_member_with_default (object, parents[i].member, NULL);
      g_autofree char *key = NULL;
      GError          *local_error = NULL;
      JsonNode        *data;

      if (id == NULL)
        continue;
      key = g_strconcat (parents[i].entity, ":", id, NULL);
      if (g_hash_table_contains (given, key))
        continue;
      data = record_json (self, parents[i].entity, id, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (data != NULL)
        add_change (refs, cursor, parents[i].entity, id, SK_FEED_UPSERT, NULL, data);
      g_hash_table_add (given, g_steal_pointer (&key));
    }
  return TRUE;
}

SkChangePage *
sk_database_pull_changes (SkDatabase *self, const char *since, guint limit, GError **error)
{
  g_autoptr (SkChangePage) page = NULL;
  g_autoptr (GArray) rows = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonBuilder) refs = NULL;
  g_autoptr (GHashTable) customers = NULL;
  g_autoptr (GHashTable) given = NULL;
  g_autofree char *epoch = NULL;
  gint64           xid, seq;
  SkStmt          *stmt;
  gboolean         has_row = FALSE;
  gboolean         ok;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (limit > 0, NULL);

  epoch = feed_epoch (self, error);
  if (epoch == NULL || !cursor_parse (self, since, epoch, &xid, &seq, error))
    return NULL;

  /* One more than asked: whether there is more. */
  rows = g_array_new (FALSE, TRUE, sizeof (Change));
  g_array_set_clear_func (rows, (GDestroyNotify)change_clear);
  stmt = sk_db_query (self, error, sk_db_sql (self, SK_SQL_FEED_PAGE), "iii", xid, seq,
                      (gint64)limit + 1);
  if (stmt == NULL)
    return NULL;
  while ((ok = sk_db_step (self, stmt, &has_row, error)) && has_row)
    {
      Change change = {
        .seq = sk_stmt_int64 (stmt, 0),
        .xid = sk_stmt_int64 (stmt, 1),
        .entity = g_strdup (sk_stmt_text (stmt, 2)),
        .entity_id = g_strdup (sk_stmt_text (stmt, 3)),
        .op = g_strdup (sk_stmt_text (stmt, 4)),
        .merged_into = g_strdup (sk_stmt_text (stmt, 5)),
      };

      g_array_append_val (rows, change);
    }
  sk_stmt_reset (stmt);
  if (!ok)
    return NULL;

  page = g_new0 (SkChangePage, 1);
  page->has_more = rows->len > limit;
  if (page->has_more)
    g_array_set_size (rows, limit);
  customers = page_customers (self, rows, error);
  if (customers == NULL)
    return NULL;
  given = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  refs = json_builder_new ();
  json_builder_begin_array (refs);
  builder = json_builder_new ();
  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      const Change    *change = &g_array_index (rows, Change, i);
      g_autofree char *cursor = cursor_make (epoch, change->xid, change->seq);
      g_autoptr (JsonNode) data = NULL;
      const char *op = change->op;
      GError     *local_error = NULL;

      /* The record as it is now, which may be newer than the change: a
       * later change of it is given again, later. */
      SkCustomer *customer = NULL;

      if (g_str_equal (op, SK_FEED_UPSERT) && g_str_equal (change->entity, SK_FEED_CUSTOMER))
        customer = g_hash_table_lookup (customers, change->entity_id);
      /* A customer the page's query missed (made meanwhile) is read alone. */
      if (customer != NULL)
        data = sk_record_to_json (SK_RECORD (customer));
      else if (g_str_equal (op, SK_FEED_UPSERT))
        data = record_json (self, change->entity, change->entity_id, &local_error);
      else if (g_str_equal (op, SK_FEED_MERGE))
        data = record_json (self, SK_FEED_CUSTOMER, change->merged_into, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      /* Gone since: its tombstone is not visible yet, or not given yet. */
      if (data == NULL && g_str_equal (op, SK_FEED_UPSERT))
        op = SK_FEED_DELETE;

      /* What it refers to, in refs: a till applies them first, as the
       * parent's own change may come pages later. */
      if (data != NULL && !add_parent (self, refs, given, cursor, data, error))
        return NULL;
      if (data != NULL
          && (g_str_equal (change->entity, SK_FEED_STORE)
              || g_str_equal (change->entity, SK_FEED_CAMPAIGN)))
        g_hash_table_add (given, g_strconcat (change->entity, ":", change->entity_id, NULL));
      add_change (builder, cursor, change->entity, change->entity_id, op, change->merged_into,
                  g_steal_pointer (&data));
      if (i + 1 == rows->len)
        {
          xid = change->xid;
          seq = change->seq;
        }
    }
  json_builder_end_array (builder);
  json_builder_end_array (refs);
  page->changes = json_builder_get_root (builder);
  page->refs = json_builder_get_root (refs);
  page->n_changes = rows->len;
  page->next_cursor = cursor_make (epoch, xid, seq);
  return g_steal_pointer (&page);
}

/* The member @name: @array (taken), or [] when it is NULL. */
static void
add_array_member (JsonBuilder *builder, const char *name, JsonNode *array)
{
  json_builder_set_member_name (builder, name);
  if (array != NULL)
    json_builder_add_value (builder, array);
  else
    {
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
    }
}

JsonNode *
sk_change_page_to_json (SkChangePage *page)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (page != NULL, NULL);

  json_builder_begin_object (builder);
  add_array_member (builder, "changes", g_steal_pointer (&page->changes));
  add_array_member (builder, "refs", g_steal_pointer (&page->refs));
  json_builder_set_member_name (builder, "next_cursor");
  json_builder_add_string_value (builder, page->next_cursor);
  json_builder_set_member_name (builder, "has_more");
  json_builder_add_boolean_value (builder, page->has_more);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
sk_change_page_free (SkChangePage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->changes, json_node_unref);
  g_clear_pointer (&page->refs, json_node_unref);
  g_free (page->next_cursor);
  g_free (page);
}

gboolean
sk_database_feed_merge (SkDatabase *self,
                        const char *alias_id,
                        const char *surviving_id,
                        GError    **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (alias_id != NULL && surviving_id != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_db_exec (self, error, "DELETE FROM changes WHERE entity = 'customer' AND entity_id = ?",
                   "s", alias_id)
      || !sk_db_exec (self, error,
                      "INSERT INTO changes (entity, entity_id, op, merged_into)"
                      " VALUES ('customer', ?, 'merge', ?)",
                      "ss", alias_id, surviving_id))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}

gboolean
sk_database_keep_change_feed (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);

  if (!sk_db_is_sqlite (self)
      || sk_db_query_int (self, NULL, 1, "SELECT kept FROM change_feed", NULL) != 0)
    return TRUE;
  g_message ("This database was a till's: its change feed is built anew, and tills will copy "
             "everything again");
  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_db_exec_script (self, sk_schema_feed_restart (), error))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}
