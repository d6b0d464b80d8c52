/* sk-export.c: the whole file as one JSON document and back, for backups,
 * moving a till's data and tests. Records use the JSON shape of SPEC 5.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-sync-till.h"

#define EXPORT_FORMAT "skidka-export"

typedef struct
{
  const char    *member;
  const char    *table;
  const char    *select; /* NULL: @statement */
  SkSqlStatement statement;
  GType (*get_type) (void);
} Section;

/* In the order import must insert them (foreign keys). */
static const Section sections[] = {
  { "stores", "stores", "SELECT * FROM stores ORDER BY id", 0, sk_store_get_type },
  { "products", "products", "SELECT * FROM products ORDER BY sku", 0, sk_product_get_type },
  { "campaigns", "campaigns", "SELECT * FROM campaigns ORDER BY id", 0, sk_campaign_get_type },
  { "rules", "discount_rules", "SELECT * FROM discount_rules ORDER BY id", 0,
    sk_discount_rule_get_type },
  { "customers", "customers", "SELECT * FROM customers ORDER BY id", 0, sk_customer_get_type },
  { "purchases", "purchases", "SELECT * FROM purchases ORDER BY created_at, id", 0,
    sk_purchase_get_type },
  { "bonus_transactions", "bonus_transactions", NULL, SK_SQL_LEDGER_EXPORT,
    sk_bonus_transaction_get_type },
  { "segment_history", "customer_segments", "SELECT * FROM customer_segments ORDER BY id", 0,
    sk_segment_assignment_get_type },
  { "notifications", "notifications", "SELECT * FROM notifications ORDER BY created_at, id", 0,
    sk_notification_get_type },
};

/* The store's sales a till keeps from HQ for a while (purchases.kept, see
 * sk_database_drop_kept_sales): a column no record carries, exported as
 * the list of their ids, so an imported till lets them go as this one
 * would have. */
#define KEPT_SALES "kept_sales"

/* Plain tables with no record type: exported row by row, as @select reads
 * them. A till's outbox goes with it, in its order but without its
 * numbers, which the file it goes into gives anew (PostgreSQL's sequence
 * too): what the till has not pushed yet, its copy pushes (a new device;
 * should the old till push it as well, HQ refuses it that one, so the
 * event counts once). */
static const struct
{
  const char *table;
  const char *select;
} plain_tables[] = {
  { "rule_customer_uses", "SELECT * FROM rule_customer_uses ORDER BY 1, 2" },
  { "refunds", "SELECT * FROM refunds ORDER BY 1, 2" },
  { "sync_outbox", "SELECT event_id, entity, entity_id, op, payload, created_at FROM sync_outbox"
                   " ORDER BY seq" },
};

static gboolean
add_plain_rows (
    SkDatabase *self, JsonBuilder *b, const char *table, const char *sql, GError **error)
{
  SkStmt  *stmt = sk_db_query (self, error, sql, NULL);
  gboolean has_row;

  if (stmt == NULL)
    return FALSE;
  json_builder_set_member_name (b, table);
  json_builder_begin_array (b);
  while (sk_db_step (self, stmt, &has_row, error))
    {
      if (!has_row)
        {
          sk_stmt_reset (stmt);
          json_builder_end_array (b);
          return TRUE;
        }
      json_builder_begin_object (b);
      for (int col = 0; col < sk_stmt_column_count (stmt); col++)
        {
          json_builder_set_member_name (b, sk_stmt_column_name (stmt, col));
          if (sk_stmt_is_null (stmt, col))
            json_builder_add_null_value (b);
          else if (sk_stmt_is_integer (stmt, col))
            json_builder_add_int_value (b, sk_stmt_int64 (stmt, col));
          else
            json_builder_add_string_value (b, sk_stmt_text (stmt, col));
        }
      json_builder_end_object (b);
    }
  return FALSE;
}

JsonNode *
sk_database_export (SkDatabase *self, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  SkStmt  *stmt;
  gboolean has_row, stepped;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  /* One read transaction: a consistent picture. */
  if (!sk_db_begin (self, error))
    return NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, EXPORT_FORMAT);
  json_builder_set_member_name (b, "schema_version");
  json_builder_add_int_value (b, SK_SCHEMA_VERSION);

  json_builder_set_member_name (b, "settings");
  json_builder_begin_object (b);
  stmt = sk_db_query (
      self, error, "SELECT key, value FROM settings WHERE key <> 'device_id' ORDER BY key", NULL);
  if (stmt == NULL)
    goto fail;
  while ((stepped = sk_db_step (self, stmt, &has_row, error)) && has_row)
    {
      json_builder_set_member_name (b, sk_stmt_text (stmt, 0));
      json_builder_add_string_value (b, sk_stmt_text (stmt, 1));
    }
  sk_stmt_reset (stmt);
  if (!stepped)
    goto fail;
  json_builder_end_object (b);

  for (guint s = 0; s < G_N_ELEMENTS (sections); s++)
    {
      const char *select
          = sections[s].select ? sections[s].select : sk_db_sql (self, sections[s].statement);
      g_autoptr (GPtrArray) rows = sk_db_query_records (
          self, sk_db_query (self, error, select, NULL), sections[s].get_type (), error);
      if (rows == NULL)
        goto fail;
      json_builder_set_member_name (b, sections[s].member);
      json_builder_begin_array (b);
      for (guint i = 0; i < rows->len; i++)
        {
          SkRecord *record = g_ptr_array_index (rows, i);
          g_autoptr (SkRecord) full = NULL;

          /* Nested parts: a customer's children, a purchase's lines. */
          if (SK_IS_CUSTOMER (record))
            record = full
                = (SkRecord *)sk_database_get_customer (self, sk_record_get_id (record), error);
          else if (SK_IS_PURCHASE (record))
            record = full
                = (SkRecord *)sk_database_get_purchase (self, sk_record_get_id (record), error);
          else if (SK_IS_CAMPAIGN (record))
            record = full
                = (SkRecord *)sk_database_get_campaign (self, sk_record_get_id (record), error);
          if (record == NULL)
            goto fail;
          sk_record_build_json (record, b);
        }
      json_builder_end_array (b);
    }
  for (guint t = 0; t < G_N_ELEMENTS (plain_tables); t++)
    if (!add_plain_rows (self, b, plain_tables[t].table, plain_tables[t].select, error))
      goto fail;
  json_builder_set_member_name (b, KEPT_SALES);
  json_builder_begin_array (b);
  stmt = sk_db_query (self, error, "SELECT id FROM purchases WHERE kept = 1 ORDER BY id", NULL);
  if (stmt == NULL)
    goto fail;
  while ((stepped = sk_db_step (self, stmt, &has_row, error)) && has_row)
    json_builder_add_string_value (b, sk_stmt_text (stmt, 0));
  sk_stmt_reset (stmt);
  if (!stepped)
    goto fail;
  json_builder_end_array (b);
  json_builder_end_object (b);

  sk_db_rollback (self);
  return json_builder_get_root (b);

fail:
  sk_db_rollback (self);
  return NULL;
}

static gboolean
import_plain_rows (SkDatabase *self, JsonObject *root, const char *table, GError **error)
{
  JsonNode  *node = json_object_get_member (root, table);
  JsonArray *rows;
  g_autoptr (GHashTable) columns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *info_sql = g_strdup_printf ("SELECT * FROM %s LIMIT 0", table);
  SkStmt          *stmt;
  gboolean         has_row;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, table, _ ("“%s” must be a list"), table);
      return FALSE;
    }
  /* Column names come from the schema, never from the document. */
  stmt = sk_db_query (self, error, info_sql, NULL);
  if (stmt == NULL)
    return FALSE;
  if (!sk_db_step (self, stmt, &has_row, error))
    return FALSE;
  for (int col = 0; col < sk_stmt_column_count (stmt); col++)
    g_hash_table_add (columns, g_strdup (sk_stmt_column_name (stmt, col)));
  sk_stmt_reset (stmt);

  rows = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonNode *row = json_array_get_element (rows, i);
      g_autoptr (GString) names = g_string_new (NULL);
      g_autoptr (GString) marks = g_string_new (NULL);
      g_autoptr (GList) members = NULL;
      g_autofree char *sql = NULL;
      SkStmt          *insert;
      int              index = 1;

      if (!JSON_NODE_HOLDS_OBJECT (row))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, table,
                              _ ("Each row of “%s” must be an object"), table);
          return FALSE;
        }
      members = json_object_get_members (json_node_get_object (row));
      for (GList *l = members; l != NULL; l = l->next)
        {
          const char *column = g_hash_table_lookup (columns, l->data) ? l->data : NULL;

          if (column == NULL)
            {
              sk_set_field_error (error, SK_ERROR_MALFORMED, table, _ ("“%s” has no column “%s”"),
                                  table, (const char *)l->data);
              return FALSE;
            }
          g_string_append_printf (names, "%s%s", names->len ? ", " : "", column);
          g_string_append (marks, marks->len ? ", ?" : "?");
        }
      sql = g_strdup_printf ("INSERT INTO %s (%s) VALUES (%s)", table, names->str, marks->str);
      insert = sk_db_prepare (self, sql, error);
      if (insert == NULL)
        return FALSE;
      for (GList *l = members; l != NULL; l = l->next, index++)
        {
          JsonNode *value = json_object_get_member (json_node_get_object (row), l->data);

          if (JSON_NODE_HOLDS_NULL (value))
            sk_stmt_bind_null (insert, index);
          else if (JSON_NODE_HOLDS_VALUE (value)
                   && json_node_get_value_type (value) == G_TYPE_INT64)
            sk_stmt_bind_int64 (insert, index, json_node_get_int (value));
          else if (JSON_NODE_HOLDS_VALUE (value)
                   && json_node_get_value_type (value) == G_TYPE_STRING)
            sk_stmt_bind_text (insert, index, json_node_get_string (value));
          else
            {
              sk_set_field_error (error, SK_ERROR_MALFORMED, table,
                                  _ ("“%s”: values must be numbers or strings"), table);
              return FALSE;
            }
        }
      if (!sk_db_step_done (self, insert, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
import_kept_sales (SkDatabase *self, JsonObject *root, GError **error)
{
  JsonNode  *node = json_object_get_member (root, KEPT_SALES);
  JsonArray *ids;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, KEPT_SALES, _ ("“%s” must be a list"),
                          KEPT_SALES);
      return FALSE;
    }
  ids = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (ids); i++)
    {
      JsonNode *id = json_array_get_element (ids, i);

      if (!JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_STRING)
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, KEPT_SALES,
                              _ ("“%s” must list the ids of sales"), KEPT_SALES);
          return FALSE;
        }
      if (!sk_db_exec (self, error, "UPDATE purchases SET kept = 1 WHERE id = ?", "s",
                       json_node_get_string (id)))
        return FALSE;
      if (sk_db_changes (self) == 0)
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, KEPT_SALES,
                              _ ("“%s” names a sale the export does not have: %s"), KEPT_SALES,
                              json_node_get_string (id));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
import_record (SkDatabase *self, const char *table, SkRecord *record, GError **error)
{
  if (SK_IS_SEGMENT_ASSIGNMENT (record))
    {
      SkSegmentAssignment *a = SK_SEGMENT_ASSIGNMENT (record);
      return sk_db_exec (
          self, error,
          "INSERT INTO customer_segments (customer_id, segment, previous_segment, assigned_at)"
          " VALUES (?, ?, ?, ?)",
          "sssi", a->customer_id, a->segment, a->previous_segment, a->assigned_at);
    }
  /* Products had no version before schema 14: they are at their first. */
  if (SK_IS_PRODUCT (record) && sk_record_get_int64 (record, "version") < 1)
    g_object_set (record, "version", (gint64)1, NULL);
  if (SK_IS_PURCHASE (record))
    return sk_db_insert_purchase_as_is (self, SK_PURCHASE (record), error);
  if (!sk_db_insert_record (self, table, record, error))
    return FALSE;
  if (SK_IS_CUSTOMER (record))
    return sk_db_save_customer_extras (self, SK_CUSTOMER (record), error);
  return TRUE;
}

/* The string or whole number @name of @object, or @fallback when it is
 * absent or of another kind: json-glib's _with_default getters raise a
 * CRITICAL on an object or array. */
static const char *
string_member (JsonObject *object, const char *name, const char *fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (node);
}

static gint64
int_member (JsonObject *object, const char *name, gint64 fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

gboolean
sk_database_import (SkDatabase *self, JsonNode *root, GError **error)
{
  JsonObject      *object;
  JsonNode        *settings;
  gint64           mismatched, beyond;
  g_autofree char *till = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || g_strcmp0 (string_member (json_node_get_object (root), "format", ""), EXPORT_FORMAT) != 0)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "format", _ ("This is not a Skidka export"));
      return FALSE;
    }
  object = json_node_get_object (root);
  if (int_member (object, "schema_version", 0) > SK_SCHEMA_VERSION)
    {
      sk_set_field_error (error, SK_ERROR_SCHEMA_TOO_NEW, "schema_version",
                          _ ("The export was made by a newer version of Skidka"));
      return FALSE;
    }
  if (sk_db_query_int (self, error, 1,
                       "SELECT (SELECT count(*) FROM stores) + (SELECT count(*) FROM customers)",
                       NULL)
      != 0)
    {
      sk_set_field_error (error, SK_ERROR_CONFLICT, NULL, _ ("Import needs an empty database"));
      return FALSE;
    }

  if (!sk_db_begin (self, error))
    return FALSE;

  settings = json_object_get_member (object, "settings");
  if (settings != NULL && JSON_NODE_HOLDS_OBJECT (settings))
    {
      g_autoptr (GList) keys = json_object_get_members (json_node_get_object (settings));

      for (GList *l = keys; l != NULL; l = l->next)
        {
          const char *value = string_member (json_node_get_object (settings), l->data, NULL);
          if (value != NULL && !g_str_equal (l->data, "device_id")
              && !sk_database_set_setting (self, l->data, value, error))
            goto fail;
        }
    }

  for (guint s = 0; s < G_N_ELEMENTS (sections); s++)
    {
      JsonNode  *node = json_object_get_member (object, sections[s].member);
      JsonArray *array;

      if (node == NULL)
        continue;
      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, sections[s].member,
                              _ ("“%s” must be a list"), sections[s].member);
          goto fail;
        }
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autoptr (SkRecord) record = sk_record_from_json (
              sections[s].get_type (), json_array_get_element (array, i), error);
          GParamSpec *id
              = record ? g_object_class_find_property (G_OBJECT_GET_CLASS (record), "id") : NULL;

          /* An export names every record; one without an id could be
           * stored but never found again. */
          if (record != NULL && id != NULL && id->value_type == G_TYPE_STRING
              && sk_record_get_id (record) == NULL)
            {
              sk_set_field_error (error, SK_ERROR_MALFORMED, "id", _ ("“id” is required"));
              g_clear_object (&record);
            }
          if (record == NULL || !import_record (self, sections[s].table, record, error))
            {
              g_prefix_error (error, "%s[%u]: ", sections[s].member, i);
              goto fail;
            }
        }
    }
  for (guint t = 0; t < G_N_ELEMENTS (plain_tables); t++)
    if (!import_plain_rows (self, object, plain_tables[t].table, error))
      goto fail;
  if (!import_kept_sales (self, object, error))
    goto fail;

  /* A document whose balances disagree with its ledger is refused whole;
   * but a till's balances are HQ's and its ledger only the movements it
   * made or keeps: its copy pulls HQ's balances as the till would. */
  till = sk_database_get_setting (self, SK_SETTING_SYNC_CURSOR);
  mismatched = till != NULL
                   ? 0
                   : sk_db_query_int (self, error, -1,
                                      "SELECT count(*) FROM customers AS c WHERE c.bonus_balance <>"
                                      " (SELECT coalesce (sum (amount), 0) FROM bonus_transactions"
                                      " WHERE customer_id = c.id)",
                                      NULL);
  if (mismatched != 0)
    {
      g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, mismatched);

      if (error == NULL || *error == NULL)
        sk_set_field_error (error, SK_ERROR_INVALID, "customers",
                            _ ("%s customers' bonus balances do not match their ledger"), count);
      goto fail;
    }
  /* So is one with a balance that no movement could have made. */
  beyond = sk_db_query_int (
      self, error, -1,
      "SELECT count(*) FROM customers WHERE bonus_balance > ?1 OR bonus_balance < -?1", "i",
      SK_BALANCE_MAX);
  if (beyond != 0)
    {
      g_autofree char *limit = sk_money_format (SK_BALANCE_MAX);

      if (error == NULL || *error == NULL)
        sk_set_field_error (error, SK_ERROR_INVALID, "customers",
                            _ ("A bonus balance cannot go beyond %s either way"), limit);
      goto fail;
    }
  return sk_db_commit (self, error);

fail:
  sk_db_rollback (self);
  return FALSE;
}
