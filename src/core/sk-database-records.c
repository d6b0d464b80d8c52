/* sk-database-records.c: stores, customers, rules and campaigns in
 * the SQLite file, with validation of what users type.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"

/* Validation */

char *
sk_normalize_phone (const char *input, GError **error)
{
  g_autoptr (GString) digits = g_string_new (NULL);
  gboolean plus = FALSE;

  if (input == NULL)
    goto invalid;
  for (const char *p = input; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (digits, *p);
      else if (*p == '+' && digits->len == 0 && !plus)
        plus = TRUE;
      else if (*p != ' ' && *p != '-' && *p != '(' && *p != ')' && *p != '.')
        goto invalid;
    }

  /* Russian numbers as people write them: 8 912..., 7 912..., 912... */
  if (!plus && digits->len == 11 && (digits->str[0] == '8' || digits->str[0] == '7'))
    return g_strdup_printf ("+7%s", digits->str + 1);
  if (!plus && digits->len == 10 && digits->str[0] == '9')
    return g_strdup_printf ("+7%s", digits->str);
  if (plus && digits->str[0] == '7' && digits->len == 11)
    return g_strdup_printf ("+%s", digits->str);
  if (plus && digits->str[0] != '7' && digits->str[0] != '0' && digits->len >= 8
      && digits->len <= 15)
    return g_strdup_printf ("+%s", digits->str);

invalid:
  sk_set_field_error (error, SK_ERROR_INVALID, "phone",
                      _ ("“%s” is not a phone number; type it as +7 912 345-67-89"),
                      input ? input : "");
  return NULL;
}

static gboolean
validate_id (const char *id, const char *field, GError **error)
{
  if (id != NULL && !g_uuid_string_is_valid (id))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, field, _ ("“%s” is not a UUID"), id);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_segments (char **segments, GError **error)
{
  for (char **s = segments; s != NULL && *s != NULL; s++)
    if (!sk_segment_is_valid (*s))
      {
        sk_set_field_error (error, SK_ERROR_INVALID, "segments",
                            _ ("Unknown segment “%s” (new, one_time, occasional, regular, vip)"),
                            *s);
        return FALSE;
      }
  return TRUE;
}

gboolean
sk_str_is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

gboolean
sk_discount_rule_validate (SkDiscountRule *rule, GError **error)
{
  g_return_val_if_fail (SK_IS_DISCOUNT_RULE (rule), FALSE);

  if (sk_str_is_blank (rule->name))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "name", _ ("The rule needs a name"));
      return FALSE;
    }
  if (g_strcmp0 (rule->type, SK_RULE_PERCENTAGE) == 0)
    {
      if (rule->value <= 0 || rule->value > 10000)
        {
          sk_set_field_error (
              error, SK_ERROR_INVALID, "value",
              _ ("A percentage must be above 0 %% and at most 100 %% (1–10000 basis points)"));
          return FALSE;
        }
    }
  else if (g_strcmp0 (rule->type, SK_RULE_FIXED_AMOUNT) == 0)
    {
      if (rule->value <= 0 || rule->value > SK_MONEY_MAX)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "value",
                              _ ("A fixed amount must be above zero"));
          return FALSE;
        }
    }
  else if (g_strcmp0 (rule->type, SK_RULE_BONUS_MULTIPLIER) == 0)
    {
      if (rule->value < 100 || rule->value > 10000)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "value",
                              _ ("A bonus multiplier must be between ×1 and ×100 (100–10000)"));
          return FALSE;
        }
    }
  else
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "type",
                          _ ("The type must be percentage, fixed_amount or bonus_multiplier"));
      return FALSE;
    }
  if (rule->min_purchase < 0 || rule->min_purchase > SK_MONEY_MAX)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "min_purchase",
                          _ ("The minimum purchase cannot be negative"));
      return FALSE;
    }
  if (rule->max_discount < 0 || rule->max_discount > SK_MONEY_MAX)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "max_discount",
                          _ ("The maximum discount cannot be negative"));
      return FALSE;
    }
  if (rule->usage_limit_total < 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "usage_limit_total",
                          _ ("A usage limit cannot be negative"));
      return FALSE;
    }
  if (rule->usage_limit_per_customer < 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "usage_limit_per_customer",
                          _ ("A usage limit cannot be negative"));
      return FALSE;
    }
  if (rule->valid_from != SK_TIME_NONE && rule->valid_until != SK_TIME_NONE
      && rule->valid_from >= rule->valid_until)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "valid_until",
                          _ ("The rule must end after it starts"));
      return FALSE;
    }
  if (!validate_segments (rule->segments, error))
    return FALSE;
  return validate_id (rule->id, "id", error);
}

gboolean
sk_campaign_validate (SkCampaign *campaign, GError **error)
{
  static const char *const statuses[]
      = { "draft", "scheduled", "active", "finished", "archived", NULL };
  static const char *const channels[] = { "email", "sms", "push", NULL };

  g_return_val_if_fail (SK_IS_CAMPAIGN (campaign), FALSE);

  if (sk_str_is_blank (campaign->name))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "name", _ ("The campaign needs a name"));
      return FALSE;
    }
  if (campaign->status == NULL || !g_strv_contains (statuses, campaign->status))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "status",
                          _ ("The status must be draft, scheduled, active, finished or archived"));
      return FALSE;
    }
  if (campaign->starts_at != SK_TIME_NONE && campaign->ends_at != SK_TIME_NONE
      && campaign->starts_at >= campaign->ends_at)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "ends_at",
                          _ ("The campaign must end after it starts"));
      return FALSE;
    }
  if (campaign->budget < 0 || campaign->budget > SK_MONEY_MAX)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "budget", _ ("The budget cannot be negative"));
      return FALSE;
    }
  for (char **c = campaign->channels; c != NULL && *c != NULL; c++)
    if (!g_strv_contains (channels, *c))
      {
        sk_set_field_error (error, SK_ERROR_INVALID, "channels",
                            _ ("Unknown channel “%s” (email, sms, push)"), *c);
        return FALSE;
      }
  if (!validate_segments (campaign->segments, error))
    return FALSE;
  return validate_id (campaign->id, "id", error);
}

static gboolean
validate_customer (SkDatabase *self, SkCustomer *customer, GError **error)
{
  if (!validate_id (customer->id, "id", error))
    return FALSE;
  if (sk_str_is_blank (customer->phone))
    g_clear_pointer (&customer->phone, g_free);
  if (sk_str_is_blank (customer->card_number))
    g_clear_pointer (&customer->card_number, g_free);
  if (sk_str_is_blank (customer->email))
    g_clear_pointer (&customer->email, g_free);
  if (customer->phone == NULL && customer->card_number == NULL)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "phone",
                          _ ("A customer needs a phone number or a card"));
      return FALSE;
    }
  if (customer->phone != NULL)
    {
      char *phone = sk_normalize_phone (customer->phone, error);

      if (phone == NULL)
        return FALSE;
      g_free (customer->phone);
      customer->phone = phone;
    }
  if (customer->card_number != NULL)
    {
      gsize len = strlen (customer->card_number);

      for (const char *p = customer->card_number; *p; p++)
        if (!g_ascii_isdigit (*p))
          len = 0;
      if (len < 6 || len > 20)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "card_number",
                              _ ("A card number is 6 to 20 digits"));
          return FALSE;
        }
    }
  if (customer->email != NULL)
    {
      const char *at = strchr (customer->email, '@');

      if (at == NULL || at == customer->email || strchr (at, '.') == NULL
          || strchr (customer->email, ' '))
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "email", _ ("“%s” is not an e-mail address"),
                              customer->email);
          return FALSE;
        }
    }
  if (customer->birth_date != NULL && !sk_date_is_valid (customer->birth_date))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "birth_date",
                          _ ("The birth date must be a date like 1990-05-17"));
      return FALSE;
    }
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (customer->children)); i++)
    {
      g_autoptr (SkChild) child = g_list_model_get_item (G_LIST_MODEL (customer->children), i);

      if (child->birth_date != NULL && !sk_date_is_valid (child->birth_date))
        {
          g_autofree char *field = g_strdup_printf ("children[%u].birth_date", i);
          sk_set_field_error (error, SK_ERROR_INVALID, field,
                              _ ("A child's birth date must be a date like 2019-05-17"));
          return FALSE;
        }
    }
  if (customer->home_store_id != NULL
      && sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM stores WHERE id = ?", "s",
                          customer->home_store_id)
             == 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "home_store_id", _ ("There is no such store"));
      return FALSE;
    }
  return TRUE;
}

char *
sk_name_key (const char *full_name)
{
  g_autofree char *normalized = NULL;

  /* Never NULL: a customer without a name still sorts (first) in the
   * name index, so listing everyone by name finds them too. */
  if (full_name == NULL)
    return g_strdup ("");
  normalized = g_utf8_normalize (full_name, -1, G_NORMALIZE_ALL);
  if (normalized == NULL)
    return g_strdup ("");
  {
    g_autofree char *folded = g_utf8_casefold (g_strstrip (normalized), -1);
    GString         *key = g_string_sized_new (strlen (folded));
    gunichar         previous = 0;

    /* Nobody types ё at a till: "Федор" finds "Фёдоров". Decomposed, ё is
     * е and a combining diaeresis: the diaeresis goes (й keeps its breve). */
    for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
      {
        gunichar c = g_utf8_get_char (p);

        if (!(c == 0x0308 && previous == 0x0435))
          g_string_append_unichar (key, c);
        previous = c;
      }
    return g_string_free (key, FALSE);
  }
}

/* Generic update of the writable columns with the version check. */

static gboolean
update_record (SkDatabase *self, const char *table, SkRecord *record, GError **error)
{
  SkRecordClass *klass = SK_RECORD_GET_CLASS (record);
  g_autoptr (GString) sql = g_string_new (NULL);
  SkStmt     *stmt = NULL;
  const char *id = sk_record_get_id (record);
  gint64      version = 0;
  int         index = 1;

  g_object_get (record, "version", &version, NULL);
  g_string_printf (sql, "UPDATE %s SET ", table);
  for (guint i = 0; i < klass->n_fields; i++)
    {
      const SkField *f = &klass->fields[i];
      if ((f->flags & (SK_FIELD_READONLY | SK_FIELD_COMPUTED)) || g_str_equal (f->name, "id"))
        continue;
      g_string_append_printf (sql, "%s = ?, ", f->name);
    }
  g_string_append (sql, "version = version + 1 WHERE id = ? AND version = ?");

  /* Few distinct texts (one per table): the statement cache keeps them. */
  stmt = sk_db_query (self, error, sql->str, NULL);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < klass->n_fields; i++)
    {
      const SkField *f = &klass->fields[i];

      if ((f->flags & (SK_FIELD_READONLY | SK_FIELD_COMPUTED)) || g_str_equal (f->name, "id"))
        continue;
      sk_db_bind_field (stmt, index++, record, f);
    }
  sk_stmt_bind_text (stmt, index++, id);
  sk_stmt_bind_int64 (stmt, index, version);
  if (!sk_db_step_done (self, stmt, error))
    return FALSE;
  if (sk_db_changes (self) == 0)
    {
      g_autofree char *exists_sql = g_strdup_printf ("SELECT count(*) FROM %s WHERE id = ?", table);

      if (sk_db_query_int (self, NULL, 0, exists_sql, "s", id) == 0)
        sk_set_field_error (error, SK_ERROR_NOT_FOUND, "id", _ ("No such record: %s"), id);
      else
        {
          g_autofree char *yours = g_strdup_printf ("%" G_GINT64_FORMAT, version);
          sk_set_field_error (error, SK_ERROR_STALE, "version",
                              _ ("Someone else changed this record meanwhile (your version %s); "
                                 "reload it and try again"),
                              yours);
        }
      return FALSE;
    }
  g_object_set (record, "version", version + 1, NULL);
  return TRUE;
}

static gpointer
get_one (
    SkDatabase *self, GType type, const char *sql, const char *id, const char *what, GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;

  if (id == NULL)
    {
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, "id", _ ("No %s given"), what);
      return NULL;
    }
  rows = sk_db_query_records (self, sk_db_query (self, error, sql, "s", id), type, error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, "id", _ ("There is no %s %s"), what, id);
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (rows, 0));
}

static gboolean
save_record (
    SkDatabase *self, const char *table, const char *entity, SkRecord *record, GError **error)
{
  gint64 version = 0;
  g_autoptr (JsonNode) payload = NULL;
  gboolean creating;

  g_object_get (record, "version", &version, NULL);
  creating = version == 0;

  if (!sk_db_begin (self, error))
    return FALSE;
  if (creating)
    {
      if (sk_record_get_id (record) == NULL)
        {
          g_autofree char *id = g_uuid_string_random ();
          g_object_set (record, "id", id, NULL);
        }
      g_object_set (record, "version", (gint64)1, NULL);
      if (!sk_db_insert_record (self, table, record, error))
        goto fail;
    }
  else if (!update_record (self, table, record, error))
    goto fail;
  payload = sk_record_to_json (record);
  if (!sk_db_outbox_add (self, entity, sk_record_get_id (record), creating ? "create" : "update",
                         payload, error))
    goto fail;
  if (sk_db_commit (self, error))
    return TRUE;
  /* sk_db_commit rolled back already. */
  g_object_set (record, "version", version, NULL);
  return FALSE;

fail:
  /* Nothing was saved: the caller's copy keeps the version it had, so
   * saving it again is not taken for a stale edit. */
  sk_db_rollback (self);
  g_object_set (record, "version", version, NULL);
  return FALSE;
}

/* Stores */

gboolean
sk_database_save_store (SkDatabase *self, SkStore *store, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (SK_IS_STORE (store), FALSE);

  if (sk_str_is_blank (store->code) || sk_str_is_blank (store->name))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, sk_str_is_blank (store->code) ? "code" : "name",
                          _ ("A store needs a code and a name"));
      return FALSE;
    }
  if (store->bonus_rate < 0 || store->bonus_rate > 10000)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "bonus_rate",
                          _ ("The bonus rate must be between 0 %% and 100 %% (0–10000)"));
      return FALSE;
    }
  if (store->max_bonus_share < 0 || store->max_bonus_share > 10000)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "max_bonus_share",
                          _ ("The bonus share must be between 0 %% and 100 %% (0–10000)"));
      return FALSE;
    }
  if (store->timezone != NULL)
    {
      g_autoptr (GTimeZone) tz = g_time_zone_new_identifier (store->timezone);
      if (tz == NULL)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "timezone", _ ("Unknown time zone “%s”"),
                              store->timezone);
          return FALSE;
        }
    }
  if (!validate_id (store->id, "id", error))
    return FALSE;
  return save_record (self, "stores", "store", SK_RECORD (store), error);
}

SkStore *
sk_database_get_store (SkDatabase *self, const char *id, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return get_one (self, SK_TYPE_STORE, "SELECT * FROM stores WHERE id = ?", id, _ ("store"), error);
}

GPtrArray *
sk_database_list_stores (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return sk_db_query_records (self,
                              sk_db_query (self, error, "SELECT * FROM stores ORDER BY code", NULL),
                              SK_TYPE_STORE, error);
}

/* Customers */

static gboolean
load_children (SkDatabase *self, SkCustomer *customer, GError **error)
{
  SkStmt  *stmt = sk_db_query (self, error,
                               "SELECT name, birth_date FROM customer_children"
                                " WHERE customer_id = ? ORDER BY position",
                               "s", customer->id);
  gboolean has_row;

  if (stmt == NULL)
    return FALSE;
  g_list_store_remove_all (customer->children);
  while (sk_db_step (self, stmt, &has_row, error))
    {
      g_autoptr (SkChild) child = NULL;

      if (!has_row)
        {
          sk_stmt_reset (stmt);
          return TRUE;
        }
      child = sk_child_new (sk_stmt_text (stmt, 0), sk_stmt_text (stmt, 1));
      g_list_store_append (customer->children, child);
    }
  return FALSE;
}

gboolean
sk_db_save_customer_extras (SkDatabase *self, SkCustomer *customer, GError **error)
{
  g_autofree char *name_key = sk_name_key (customer->full_name);

  return sk_db_exec (self, error, "UPDATE customers SET name_key = ? WHERE id = ?", "ss", name_key,
                     customer->id)
         && sk_db_save_customer_children (self, customer, error);
}

gboolean
sk_db_save_customer_children (SkDatabase *self, SkCustomer *customer, GError **error)
{
  GListModel *children = G_LIST_MODEL (customer->children);

  /* The DELETE, with its feed's trigger, gathers the rows in a temporary
   * table before it deletes them, even when there are none: a customer
   * a till takes from HQ's feed mostly has none yet. */
  if (sk_db_query_int (self, NULL, 1,
                       "SELECT EXISTS (SELECT 1 FROM customer_children WHERE customer_id = ?)", "s",
                       customer->id)
          != 0
      && !sk_db_exec (self, error, "DELETE FROM customer_children WHERE customer_id = ?", "s",
                      customer->id))
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (children); i++)
    {
      g_autoptr (SkChild) child = g_list_model_get_item (children, i);

      if (!sk_db_exec (self, error,
                       "INSERT INTO customer_children (customer_id, position, name, birth_date)"
                       " VALUES (?, ?, ?, ?)",
                       "siss", customer->id, (gint64)i, child->name, child->birth_date))
        return FALSE;
    }
  return TRUE;
}

gboolean
sk_database_create_customer (SkDatabase *self, SkCustomer *customer, GError **error)
{
  g_autoptr (JsonNode) payload = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (SK_IS_CUSTOMER (customer), FALSE);

  if (!validate_customer (self, customer, error))
    return FALSE;

  if (customer->id == NULL)
    customer->id = g_uuid_string_random ();
  if (customer->created_at == SK_TIME_NONE)
    customer->created_at = sk_time_now ();
  customer->visits = 0;
  customer->total_spent = 0;
  customer->last_purchase_at = SK_TIME_NONE;
  customer->bonus_balance = 0;
  customer->flagged = FALSE;
  customer->version = 1;
  sk_set_str (&customer->segment, SK_SEGMENT_NEW);

  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_db_insert_record (self, "customers", SK_RECORD (customer), error)
      || !sk_db_save_customer_extras (self, customer, error)
      || !sk_db_exec (
          self, error,
          "INSERT INTO customer_segments (customer_id, segment, assigned_at) VALUES (?, ?, ?)",
          "ssi", customer->id, SK_SEGMENT_NEW, customer->created_at))
    goto fail;
  payload = sk_record_to_json (SK_RECORD (customer));
  if (!sk_db_outbox_add (self, "customer", customer->id, "create", payload, error))
    goto fail;
  if (sk_db_commit (self, error))
    return TRUE;
  /* sk_db_commit rolled back already. */
  customer->version = 0;
  return FALSE;

fail:
  sk_db_rollback (self);
  customer->version = 0;
  return FALSE;
}

gboolean
sk_database_update_customer (SkDatabase *self, SkCustomer *customer, GError **error)
{
  g_autoptr (JsonNode) payload = NULL;
  g_autoptr (SkCustomer) before = NULL;
  g_autoptr (SkCustomer) stored = NULL;
  gint64 version;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (SK_IS_CUSTOMER (customer), FALSE);

  if (!validate_customer (self, customer, error))
    return FALSE;

  version = customer->version;
  if (!sk_db_begin (self, error))
    return FALSE;
  /* The values this edit was made on go with it: HQ takes the fields the
   * edit changed, and keeps its own where it changed them meanwhile. */
  before = sk_database_get_customer (self, customer->id, error);
  if (before == NULL || !update_record (self, "customers", SK_RECORD (customer), error)
      || !sk_db_save_customer_extras (self, customer, error))
    goto fail;
  stored = sk_database_get_customer (self, customer->id, error);
  if (stored == NULL)
    goto fail;
  payload = sk_record_to_json (SK_RECORD (stored));
  json_object_set_member (json_node_get_object (payload), "base",
                          sk_record_to_json (SK_RECORD (before)));
  if (!sk_db_outbox_add (self, "customer", customer->id, "update", payload, error))
    goto fail;
  if (!sk_db_commit (self, error))
    {
      /* sk_db_commit rolled back already. */
      customer->version = version;
      return FALSE;
    }

  /* Hand back what is stored, statistics included. */
  customer->visits = stored->visits;
  customer->total_spent = stored->total_spent;
  customer->last_purchase_at = stored->last_purchase_at;
  customer->bonus_balance = stored->bonus_balance;
  customer->created_at = stored->created_at;
  customer->flagged = stored->flagged;
  sk_set_str (&customer->segment, stored->segment);
  return TRUE;

fail:
  /* Nothing was saved: keep the version the caller had. */
  sk_db_rollback (self);
  customer->version = version;
  return FALSE;
}

/* The customer whose id @sql (ending in WHERE c.id = ...) finds for ?1,
 * with its children, a row each: one query, a sale reads its customer. */
#define CUSTOMER_WITH_CHILDREN                                                                     \
  "SELECT c.*, h.name AS child_name, h.birth_date AS child_birth_date"                             \
  " FROM customers AS c LEFT JOIN customer_children AS h ON h.customer_id = c.id"

static SkCustomer *
get_customer (SkDatabase *self, const char *sql, const char *id, GError **error)
{
  if (id == NULL)
    {
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, "id", _ ("No %s given"), _ ("customer"));
      return NULL;
    }
  return sk_db_read_customer (self, sk_db_query (self, error, sql, "s", id), id, error);
}

SkCustomer *
sk_db_read_customer (SkDatabase *self, SkStmt *stmt, const char *id, GError **error)
{
  g_autoptr (SkCustomer) customer = NULL;
  gboolean has_row = FALSE, ok = TRUE;
  int      name;

  while (stmt != NULL && (ok = sk_db_step (self, stmt, &has_row, error)) && has_row)
    {
      name = sk_stmt_column_count (stmt) - 2;
      if (customer == NULL)
        customer = SK_CUSTOMER (sk_db_row_to_record (stmt, SK_TYPE_CUSTOMER));
      if (!sk_stmt_is_null (stmt, name))
        {
          g_autoptr (SkChild) child
              = sk_child_new (sk_stmt_text (stmt, name), sk_stmt_text (stmt, name + 1));

          g_list_store_append (customer->children, child);
        }
    }
  if (stmt != NULL)
    sk_stmt_reset (stmt);
  if (stmt == NULL || !ok)
    return NULL;
  if (customer == NULL)
    sk_set_field_error (error, SK_ERROR_NOT_FOUND, "id", _ ("There is no %s %s"), _ ("customer"),
                        id);
  return g_steal_pointer (&customer);
}

SkCustomer *
sk_database_get_customer (SkDatabase *self, const char *id, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  return get_customer (self, CUSTOMER_WITH_CHILDREN " WHERE c.id = ?1 ORDER BY h.position", id,
                       error);
}

SkStmt *
sk_db_send_customer_or_survivor (SkDatabase *self, const char *id, GError **error)
{
  return sk_db_query_ahead (self, error,
                            CUSTOMER_WITH_CHILDREN
                            " WHERE c.id = coalesce ((SELECT customer_id FROM customer_aliases"
                            "   WHERE alias_id = ?1), ?1) ORDER BY h.position",
                            "s", id);
}

SkCustomer *
sk_db_get_customer_or_survivor (SkDatabase *self, const char *id, GError **error)
{
  return sk_db_read_customer (self, sk_db_send_customer_or_survivor (self, id, error), id, error);
}

SkCustomer *
sk_database_lookup_customer (SkDatabase *self, const char *card_or_phone, GError **error)
{
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  text = g_strstrip (g_strdup (card_or_phone ? card_or_phone : ""));
  phone = sk_normalize_phone (text, NULL);
  rows = sk_db_query_records (self,
                              sk_db_query (self, error,
                                           "SELECT * FROM customers WHERE card_number = ?"
                                           " UNION ALL SELECT * FROM customers WHERE phone = ?"
                                           " LIMIT 1",
                                           "ss", text, phone),
                              SK_TYPE_CUSTOMER, error);
  if (rows == NULL)
    return NULL;
  if (rows->len == 0)
    {
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, "q", _ ("No customer with card or phone “%s”"),
                          text);
      return NULL;
    }
  if (!load_children (self, g_ptr_array_index (rows, 0), error))
    return NULL;
  return g_object_ref (g_ptr_array_index (rows, 0));
}

/* Search pages by one indexed key; the cursor names the key and carries
 * the last row's key and id. */
typedef enum
{
  BY_NAME,
  BY_PHONE,
  BY_CARD,
} SearchKey;

static char *
make_cursor (SearchKey by, const char *key, const char *id)
{
  g_autofree char *raw = g_strdup_printf ("%d\n%s\n%s", by, key ? key : "", id);
  return g_base64_encode ((const guchar *)raw, strlen (raw));
}

static gboolean
parse_cursor (const char *cursor, SearchKey *by, char **key, char **id)
{
  gsize            len;
  g_autofree char *raw = (char *)g_base64_decode (cursor, &len);
  g_auto (GStrv) parts = NULL;

  if (raw == NULL || len == 0)
    return FALSE;
  raw = g_realloc (raw, len + 1);
  raw[len] = '\0';
  if (!g_utf8_validate (raw, len, NULL))
    return FALSE;
  parts = g_strsplit (raw, "\n", 3);
  if (g_strv_length (parts) != 3 || parts[0][0] < '0' + BY_NAME || parts[0][0] > '0' + BY_CARD
      || parts[0][1] != '\0')
    return FALSE;
  *by = parts[0][0] - '0';
  *key = g_strdup (parts[1]);
  *id = g_strdup (parts[2]);
  return TRUE;
}

/* The low end of the prefix range for @q searched by @by. */
static char *
search_prefix (const char *q, SearchKey by)
{
  g_autoptr (GString) d = g_string_new (NULL);

  if (by == BY_NAME)
    return sk_name_key (q);
  for (const char *p = q; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (d, *p);
  if (by == BY_CARD)
    return g_strdup (d->str);
  /* A phone as typed: 8 912 ..., 7 912 ... and 912 ... are all +7 912 ... */
  if (q[0] == '+')
    return g_strdup_printf ("+%s", d->str);
  if (d->str[0] == '8' || d->str[0] == '7')
    return g_strdup_printf ("+7%s", d->str + 1);
  return g_strdup_printf ("+7%s", d->str);
}

/* Which keys @q is searched by, in order: a name; or digits, a phone or a
 * card, the likelier first and the other when the first finds no one. */
static guint
search_order (const char *q, SearchKey order[2])
{
  gboolean digits = *q != '\0';
  guint    n_digits = 0;
  gboolean phone_first;

  for (const char *p = q; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p) && !strchr ("+ -()", *p))
        digits = FALSE;
      n_digits += g_ascii_isdigit (*p) ? 1 : 0;
    }
  if (!digits || n_digits == 0)
    {
      order[0] = order[1] = BY_NAME;
      return 1;
    }
  phone_first = q[0] == '+' || n_digits >= 10;
  order[0] = phone_first ? BY_PHONE : BY_CARD;
  order[1] = phone_first ? BY_CARD : BY_PHONE;
  return q[0] == '+' ? 1 : 2;
}

/* A name search of some text: it also matches any word of the name
 * ("анна" finds "петрова анна"), as a scan; the whole list (no text) stays
 * on its index. */
static gboolean
name_words (SearchKey by, const char *low)
{
  return by == BY_NAME && *low != '\0';
}

static GPtrArray *
search_page (SkDatabase *self,
             SearchKey   by,
             const char *low,
             const char *after_key,
             const char *after_id,
             guint       limit,
             char      **next_cursor,
             GError    **error)
{
  static const char *const sql[] = {
    [BY_NAME] = "SELECT * FROM customers"
                " WHERE name_key >= ? AND name_key < ? AND (name_key, id) > (?, ?)"
                " ORDER BY name_key, id LIMIT ?",
    [BY_PHONE] = "SELECT * FROM customers"
                 " WHERE phone >= ? AND phone < ? AND (phone, id) > (?, ?)"
                 " ORDER BY phone, id LIMIT ?",
    [BY_CARD] = "SELECT * FROM customers"
                " WHERE card_number >= ? AND card_number < ? AND (card_number, id) > (?, ?)"
                " ORDER BY card_number, id LIMIT ?",
  };
  /* A name typed matches from the start of any word of the name. */
  static const char words_sql[]
      = "SELECT * FROM customers"
        " WHERE ((name_key >= ?1 AND name_key < ?2) OR name_key LIKE ('% ' || ?1 || '%'))"
        " AND (name_key, id) > (?3, ?4) ORDER BY name_key, id LIMIT ?5";
  g_autofree char *high = g_strconcat (low, "\xf4\x8f\xbf\xbf", NULL);
  GPtrArray       *rows;

  /* A prefix range on an index: [low, low + U+10FFFF). */
  rows = sk_db_query_records (self,
                              sk_db_query (self, error, name_words (by, low) ? words_sql : sql[by],
                                           "ssssi", low, high, after_key ? after_key : "",
                                           after_id ? after_id : "", (gint64)limit + 1),
                              SK_TYPE_CUSTOMER, error);
  if (rows != NULL && rows->len > limit)
    {
      SkCustomer      *last = g_ptr_array_index (rows, limit - 1);
      g_autofree char *name_key = by == BY_NAME ? sk_name_key (last->full_name) : NULL;

      if (next_cursor != NULL)
        *next_cursor = make_cursor (by,
                                    by == BY_PHONE  ? last->phone
                                    : by == BY_CARD ? last->card_number
                                                    : name_key,
                                    last->id);
      g_ptr_array_set_size (rows, limit);
    }
  return rows;
}

GPtrArray *
sk_database_search_customers (SkDatabase *self,
                              const char *query,
                              const char *cursor,
                              guint       limit,
                              char      **next_cursor,
                              GError    **error)
{
  g_autofree char *q = g_strstrip (g_strdup (query ? query : ""));
  g_autofree char *after_key = NULL;
  g_autofree char *after_id = NULL;
  SearchKey        order[2];
  guint            n_order = search_order (q, order);

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  if (next_cursor != NULL)
    *next_cursor = NULL;
  limit = CLAMP (limit, 1, 1000);

  if (cursor != NULL && *cursor != '\0')
    {
      SearchKey        by;
      g_autofree char *low = NULL;

      if (!parse_cursor (cursor, &by, &after_key, &after_id)
          || (by != order[0] && (n_order < 2 || by != order[1])))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "cursor", _ ("The cursor is not valid"));
          return NULL;
        }
      low = search_prefix (q, by);
      return search_page (self, by, low, after_key, after_id, limit, next_cursor, error);
    }

  for (guint i = 0; i < n_order; i++)
    {
      g_autofree char *low = search_prefix (q, order[i]);
      GPtrArray *rows = search_page (self, order[i], low, NULL, NULL, limit, next_cursor, error);

      if (rows == NULL || rows->len > 0 || i + 1 == n_order)
        return rows;
      g_ptr_array_unref (rows);
    }
  g_assert_not_reached ();
}

static gboolean load_purchase_details (SkDatabase *self, SkPurchase *purchase, GError **error);

/* @purchases (taken; NULL after a failed query) with their lines and
 * discounts loaded, or NULL. */
static GPtrArray *
with_purchase_details (SkDatabase *self, GPtrArray *purchases, GError **error)
{
  g_autoptr (GPtrArray) rows = purchases;

  if (rows == NULL)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    if (!load_purchase_details (self, g_ptr_array_index (rows, i), error))
      return NULL;
  return g_steal_pointer (&rows);
}

/* The key a lazy list orders @q by: the first of the search's keys that
 * matches anyone (so the list agrees with sk_database_search_customers). */
static SearchKey
search_key_for (SkDatabase *self, const char *q, char **low)
{
  static const char *const exists_sql[] = {
    [BY_PHONE] = "SELECT 1 FROM customers WHERE phone >= ? AND phone < ? LIMIT 1",
    [BY_CARD] = "SELECT 1 FROM customers WHERE card_number >= ? AND card_number < ? LIMIT 1",
  };
  SearchKey order[2];
  guint     n_order = search_order (q, order);
  SearchKey first = order[0], second = order[1];

  *low = search_prefix (q, first);
  if (n_order == 2)
    {
      g_autofree char *high = g_strconcat (*low, "\xf4\x8f\xbf\xbf", NULL);

      if (sk_db_query_int (self, NULL, 0, exists_sql[first], "ss", *low, high) == 0)
        {
          g_free (*low);
          *low = search_prefix (q, second);
          return second;
        }
    }
  return first;
}

gint64
sk_database_count_search_customers (SkDatabase *self, const char *query, gint64 max, GError **error)
{
  /* Counting a broad prefix ("+7", "А") walks most of an index: @max stops
   * the walk, as a list typed into only needs "more than max". */
  static const char *const sql[] = {
    [BY_NAME] = "SELECT count(*) FROM (SELECT 1 FROM customers"
                " WHERE name_key >= ? AND name_key < ? LIMIT ?)",
    [BY_PHONE]
    = "SELECT count(*) FROM (SELECT 1 FROM customers WHERE phone >= ? AND phone < ? LIMIT ?)",
    [BY_CARD] = "SELECT count(*) FROM (SELECT 1 FROM customers"
                " WHERE card_number >= ? AND card_number < ? LIMIT ?)",
  };
  static const char words_sql[]
      = "SELECT count(*) FROM (SELECT 1 FROM customers WHERE (name_key >= ?1 AND name_key < ?2)"
        " OR name_key LIKE ('% ' || ?1 || '%') LIMIT ?3)";
  g_autofree char *q = g_strstrip (g_strdup (query ? query : ""));
  g_autofree char *low = NULL;
  g_autofree char *high = NULL;
  SearchKey        by;

  g_return_val_if_fail (SK_IS_DATABASE (self), -1);
  if (*q == '\0' && max <= 0)
    return sk_database_count_customers (self, error);
  by = search_key_for (self, q, &low);
  high = g_strconcat (low, "\xf4\x8f\xbf\xbf", NULL);
  return sk_db_query_int (self, error, -1, name_words (by, low) ? words_sql : sql[by], "ssi", low,
                          high, max > 0 ? max : G_MAXINT64);
}

GPtrArray *
sk_database_search_customers_at (
    SkDatabase *self, const char *query, gint64 offset, guint limit, gint64 n_total, GError **error)
{
  static const char *const sql[2][3] = {
    {
        [BY_NAME] = "SELECT * FROM customers"
                    " WHERE name_key >= ? AND name_key < ? ORDER BY name_key, id LIMIT ? OFFSET ?",
        [BY_PHONE] = "SELECT * FROM customers WHERE phone >= ? AND phone < ?"
                     " ORDER BY phone, id LIMIT ? OFFSET ?",
        [BY_CARD] = "SELECT * FROM customers WHERE card_number >= ? AND card_number < ?"
                    " ORDER BY card_number, id LIMIT ? OFFSET ?",
    },
    {
        [BY_NAME]
        = "SELECT * FROM customers"
          " WHERE name_key >= ? AND name_key < ? ORDER BY name_key DESC, id DESC LIMIT ? OFFSET ?",
        [BY_PHONE] = "SELECT * FROM customers WHERE phone >= ? AND phone < ?"
                     " ORDER BY phone DESC, id DESC LIMIT ? OFFSET ?",
        [BY_CARD] = "SELECT * FROM customers WHERE card_number >= ? AND card_number < ?"
                    " ORDER BY card_number DESC, id DESC LIMIT ? OFFSET ?",
    },
  };
  static const char *const words_sql[2] = {
    "SELECT * FROM customers"
    " WHERE (name_key >= ?1 AND name_key < ?2) OR name_key LIKE ('% ' || ?1 || '%')"
    " ORDER BY name_key, id LIMIT ?3 OFFSET ?4",
    "SELECT * FROM customers"
    " WHERE (name_key >= ?1 AND name_key < ?2) OR name_key LIKE ('% ' || ?1 || '%')"
    " ORDER BY name_key DESC, id DESC LIMIT ?3 OFFSET ?4",
  };
  g_autofree char *q = g_strstrip (g_strdup (query ? query : ""));
  g_autofree char *low = NULL;
  g_autofree char *high = NULL;
  gboolean         reverse;
  gint64           skip = offset;
  GPtrArray       *rows;
  SearchKey        by;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (offset >= 0, NULL);

  limit = CLAMP (limit, 1, 1000);
  by = search_key_for (self, q, &low);
  high = g_strconcat (low, "\xf4\x8f\xbf\xbf", NULL);
  /* OFFSET walks the index: from the far end when that is shorter, so the
   * end of a million-row list is as quick as its start. */
  reverse = n_total > 0 && offset > n_total / 2;
  if (reverse)
    {
      gint64 end = MIN (offset + (gint64)limit, n_total);

      skip = n_total - end;
      limit = (guint)(end - offset);
      if (end <= offset)
        return g_ptr_array_new_with_free_func (g_object_unref);
    }
  rows = sk_db_query_records (
      self,
      sk_db_query (self, error, name_words (by, low) ? words_sql[reverse] : sql[reverse][by],
                   "ssii", low, high, (gint64)limit, skip),
      SK_TYPE_CUSTOMER, error);
  if (rows != NULL && reverse)
    for (guint i = 0; i < rows->len / 2; i++)
      {
        gpointer tmp = rows->pdata[i];

        rows->pdata[i] = rows->pdata[rows->len - 1 - i];
        rows->pdata[rows->len - 1 - i] = tmp;
      }
  return rows;
}

GPtrArray *
sk_database_list_purchases_between (
    SkDatabase *self, gint64 from, gint64 to, guint limit, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  return with_purchase_details (
      self,
      sk_db_query_records (
          self,
          sk_db_query (self, error,
                       "SELECT * FROM purchases WHERE created_at >= ? AND created_at < ?"
                       " ORDER BY created_at DESC, id LIMIT ?",
                       "iii", from, to, (gint64)CLAMP (limit, 1, 100000)),
          SK_TYPE_PURCHASE, error),
      error);
}

GPtrArray *
sk_database_find_sales (
    SkDatabase *self, const char *store_id, const char *receipt, guint limit, GError **error)
{
  g_autofree char *typed = NULL;
  const char      *prefix;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  /* As the receipt prints it: the id's first characters, in lower case,
   * after the word before them ("Receipt 1a2b3c4d", "Чек 1a2b3c4d"). */
  typed = g_strstrip (g_ascii_strdown (receipt != NULL ? receipt : "", -1));
  prefix = strrchr (typed, ' ') != NULL ? strrchr (typed, ' ') + 1 : typed;
  return with_purchase_details (
      self,
      sk_db_query_records (self,
                           sk_db_query (self, error,
                                        "SELECT * FROM purchases WHERE (?1 = '' OR store_id = ?1)"
                                        " AND id >= ?2 AND id < ?2 || '~'"
                                        " ORDER BY created_at DESC, id DESC LIMIT ?3",
                                        "ssi", store_id != NULL ? store_id : "", prefix,
                                        (gint64)CLAMP (limit, 1, 1000)),
                           SK_TYPE_PURCHASE, error),
      error);
}

GPtrArray *
sk_database_list_sales_updated (SkDatabase *self,
                                const char *store_id,
                                gint64      updated_since,
                                const char *except_device,
                                const char *cursor,
                                guint       limit,
                                char      **next_cursor,
                                GError    **error)
{
  g_autofree char *since = g_strdup_printf ("%" G_GINT64_FORMAT, updated_since);

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (store_id != NULL, NULL);

  return with_purchase_details (
      self,
      sk_db_query_page (self, SK_TYPE_PURCHASE,
                        "SELECT * FROM purchases WHERE store_id = ?4"
                        " AND updated_at >= CAST (?5 AS BIGINT)"
                        " AND (device_id IS NULL OR device_id <> ?6 OR refunded_total > 0)"
                        " AND (created_at < ?1 OR (created_at = ?1 AND id < ?2))"
                        " ORDER BY created_at DESC, id DESC LIMIT ?3",
                        store_id, since, except_device, cursor, limit, next_cursor, error),
      error);
}

gboolean
sk_db_insert_purchase_as_is (SkDatabase *self, SkPurchase *p, GError **error)
{
  GListModel *lines = G_LIST_MODEL (p->lines);
  GListModel *apps = G_LIST_MODEL (p->applications);

  /* From a file older than updated_at: written when it was made. */
  if (p->updated_at == SK_TIME_NONE)
    p->updated_at = p->created_at;
  if (!sk_db_insert_record (self, "purchases", SK_RECORD (p), error))
    return FALSE;
  for (guint i = 0; i < g_list_model_get_n_items (lines); i++)
    {
      g_autoptr (SkPurchaseLine) l = g_list_model_get_item (lines, i);

      if (!sk_db_exec (self, error,
                       "INSERT INTO purchase_lines (purchase_id, line_no, sku, name, category,"
                       " unit_price, quantity, discount, total, refunded_quantity)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       "sisssiiiii", p->id, l->line_no ? l->line_no : (gint64)i + 1, l->sku,
                       l->name, l->category, l->unit_price, l->quantity, l->discount, l->total,
                       l->refunded_quantity))
        return FALSE;
    }
  for (guint i = 0; i < g_list_model_get_n_items (apps); i++)
    {
      g_autoptr (SkRecord) app = g_list_model_get_item (apps, i);

      if (!sk_db_insert_record (self, "discount_applications", app, error))
        return FALSE;
    }
  return TRUE;
}

gint64
sk_database_count_customers (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), -1);
  return sk_db_query_int (self, error, 0, "SELECT count(*) FROM customers", NULL);
}

/* Purchases as read back */

static gboolean
load_purchase_details (SkDatabase *self, SkPurchase *purchase, GError **error)
{
  g_autoptr (GPtrArray) lines = NULL;
  g_autoptr (GPtrArray) apps = NULL;

  lines = sk_db_query_records (self,
                               sk_db_query (self, error,
                                            "SELECT * FROM purchase_lines WHERE purchase_id = ?"
                                            " ORDER BY line_no",
                                            "s", purchase->id),
                               SK_TYPE_PURCHASE_LINE, error);
  if (lines == NULL)
    return FALSE;
  apps = sk_db_query_records (
      self,
      sk_db_query (self, error,
                   "SELECT * FROM discount_applications WHERE purchase_id = ?"
                   " ORDER BY amount DESC, rule_id",
                   "s", purchase->id),
      SK_TYPE_DISCOUNT_APPLICATION, error);
  if (apps == NULL)
    return FALSE;
  g_list_store_splice (purchase->lines, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (purchase->lines)), lines->pdata,
                       lines->len);
  g_list_store_splice (purchase->applications, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (purchase->applications)),
                       apps->pdata, apps->len);
  return TRUE;
}

SkPurchase *
sk_database_get_purchase (SkDatabase *self, const char *id, GError **error)
{
  g_autoptr (SkPurchase) purchase = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  purchase = get_one (self, SK_TYPE_PURCHASE, "SELECT * FROM purchases WHERE id = ?", id,
                      _ ("purchase"), error);
  if (purchase == NULL || !load_purchase_details (self, purchase, error))
    return NULL;
  return g_steal_pointer (&purchase);
}

GPtrArray *
sk_database_list_purchases (SkDatabase *self, const char *customer_id, guint limit, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  return with_purchase_details (
      self,
      sk_db_query_records (self,
                           sk_db_query (self, error,
                                        "SELECT * FROM purchases WHERE customer_id = ?"
                                        " ORDER BY created_at DESC, id LIMIT ?",
                                        "si", customer_id, (gint64)CLAMP (limit, 1, 10000)),
                           SK_TYPE_PURCHASE, error),
      error);
}

GPtrArray *
sk_database_list_purchases_page (SkDatabase *self,
                                 const char *customer_id,
                                 const char *store_id,
                                 const char *cursor,
                                 guint       limit,
                                 char      **next_cursor,
                                 GError    **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (customer_id != NULL, NULL);

  return with_purchase_details (
      self,
      sk_db_query_page (
          self, SK_TYPE_PURCHASE,
          "SELECT * FROM purchases WHERE customer_id = ?4 AND (?5 = '' OR store_id = ?5)"
          " AND (created_at < ?1 OR (created_at = ?1 AND id < ?2))"
          " ORDER BY created_at DESC, id DESC LIMIT ?3",
          customer_id, store_id, NULL, cursor, limit, next_cursor, error),
      error);
}

gboolean
sk_database_customer_bought_at (SkDatabase *self,
                                const char *customer_id,
                                const char *store_id,
                                gboolean   *bought,
                                GError    **error)
{
  GError *local = NULL;
  gint64  n;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (customer_id != NULL && store_id != NULL && bought != NULL, FALSE);

  /* One row at most, found through purchases_customer. */
  n = sk_db_query_int (
      self, &local, 0,
      "SELECT count(*) FROM (SELECT 1 FROM purchases WHERE customer_id = ? AND store_id = ?"
      " LIMIT 1) AS sale",
      "ss", customer_id, store_id);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  *bought = n > 0;
  return TRUE;
}

/* Rules and campaigns */

static gboolean
check_store_ids (SkDatabase *self, char **store_ids, GError **error)
{
  for (char **s = store_ids; s != NULL && *s != NULL; s++)
    if (sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM stores WHERE id = ?", "s", *s) == 0)
      {
        sk_set_field_error (error, SK_ERROR_INVALID, "store_ids", _ ("There is no store %s"), *s);
        return FALSE;
      }
  return TRUE;
}

gboolean
sk_database_save_rule (SkDatabase *self, SkDiscountRule *rule, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (SK_IS_DISCOUNT_RULE (rule), FALSE);

  if (!sk_discount_rule_validate (rule, error) || !check_store_ids (self, rule->store_ids, error))
    return FALSE;
  if (rule->campaign_id != NULL && *rule->campaign_id == '\0')
    g_clear_pointer (&rule->campaign_id, g_free);
  if (rule->campaign_id != NULL
      && sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM campaigns WHERE id = ?", "s",
                          rule->campaign_id)
             == 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "campaign_id", _ ("There is no campaign %s"),
                          rule->campaign_id);
      return FALSE;
    }
  if (rule->version == 0)
    rule->uses = 0;
  return save_record (self, "discount_rules", "rule", SK_RECORD (rule), error);
}

SkDiscountRule *
sk_database_get_rule (SkDatabase *self, const char *id, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return get_one (self, SK_TYPE_DISCOUNT_RULE, "SELECT * FROM discount_rules WHERE id = ?", id,
                  _ ("rule"), error);
}

GPtrArray *
sk_database_list_rules (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return sk_db_query_records (
      self,
      sk_db_query (self, error, "SELECT * FROM discount_rules ORDER BY priority DESC, id", NULL),
      SK_TYPE_DISCOUNT_RULE, error);
}

static GPtrArray *
fill_campaign_rules (SkDatabase *self, GPtrArray *campaigns, GError **error)
{
  if (campaigns == NULL)
    return NULL;
  for (guint i = 0; i < campaigns->len; i++)
    {
      SkCampaign *campaign = g_ptr_array_index (campaigns, i);
      g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
      SkStmt  *stmt = sk_db_query (self, error,
                                   "SELECT id FROM discount_rules WHERE campaign_id = ? ORDER BY id",
                                   "s", campaign->id);
      gboolean has_row;

      if (stmt == NULL)
        return NULL;
      while (sk_db_step (self, stmt, &has_row, error) && has_row)
        g_strv_builder_add (ids, sk_stmt_text (stmt, 0));
      sk_stmt_reset (stmt);
      g_strfreev (campaign->rule_ids);
      campaign->rule_ids = g_strv_builder_end (ids);
    }
  return campaigns;
}

/* How many different strings @strv holds. */
static gint64
distinct_count (char **strv)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (char **s = strv; s != NULL && *s != NULL; s++)
    g_hash_table_add (seen, *s);
  return g_hash_table_size (seen);
}

gboolean
sk_db_set_campaign_rules (SkDatabase *self, SkCampaign *campaign, GError **error)
{
  g_autofree char *ids = sk_strv_to_json (campaign->rule_ids);

  return sk_db_exec (self, error,
                     "UPDATE discount_rules SET campaign_id = NULL, version = version + 1"
                     " WHERE campaign_id = ?1 AND ?2 NOT LIKE '%\"' || id || '\"%'",
                     "ss", campaign->id, ids)
         && sk_db_exec (self, error,
                        "UPDATE discount_rules SET campaign_id = ?1, version = version + 1"
                        " WHERE ?2 LIKE '%\"' || id || '\"%' AND campaign_id IS DISTINCT FROM ?1",
                        "ss", campaign->id, ids);
}

gboolean
sk_database_save_campaign (SkDatabase *self, SkCampaign *campaign, GError **error)
{
  g_autofree char *ids = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (SK_IS_CAMPAIGN (campaign), FALSE);

  if (!sk_campaign_validate (campaign, error)
      || !check_store_ids (self, campaign->store_ids, error))
    return FALSE;
  if (campaign->version == 0)
    campaign->spent = 0;
  if (campaign->rule_ids == NULL)
    return save_record (self, "campaigns", "campaign", SK_RECORD (campaign), error);

  /* rule_ids, when given, says which rules belong to the campaign: the
   * campaign and its rules change together. */
  ids = sk_strv_to_json (campaign->rule_ids);
  if (!sk_db_begin (self, error))
    return FALSE;
  if (sk_db_query_int (self, error, -1,
                       "SELECT count (*) FROM discount_rules WHERE ? LIKE '%\"' || id || '\"%'",
                       "s", ids)
      != distinct_count (campaign->rule_ids))
    {
      if (error == NULL || *error == NULL)
        sk_set_field_error (error, SK_ERROR_INVALID, "rule_ids",
                            _ ("Some of these rules do not exist"));
      sk_db_rollback (self);
      return FALSE;
    }
  if (!save_record (self, "campaigns", "campaign", SK_RECORD (campaign), error)
      || !sk_db_set_campaign_rules (self, campaign, error))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error);
}

SkCampaign *
sk_database_get_campaign (SkDatabase *self, const char *id, GError **error)
{
  g_autoptr (SkCampaign) campaign = NULL;
  g_autoptr (GPtrArray) one = g_ptr_array_new ();

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  campaign = get_one (self, SK_TYPE_CAMPAIGN, "SELECT * FROM campaigns WHERE id = ?", id,
                      _ ("campaign"), error);
  if (campaign == NULL)
    return NULL;
  g_ptr_array_add (one, campaign);
  if (fill_campaign_rules (self, one, error) == NULL)
    return NULL;
  return g_steal_pointer (&campaign);
}

GPtrArray *
sk_database_list_campaigns (SkDatabase *self, GError **error)
{
  g_autoptr (GPtrArray) campaigns = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  campaigns = sk_db_query_records (
      self, sk_db_query (self, error, "SELECT * FROM campaigns ORDER BY starts_at DESC, id", NULL),
      SK_TYPE_CAMPAIGN, error);
  if (fill_campaign_rules (self, campaigns, error) == NULL)
    return NULL;
  return g_steal_pointer (&campaigns);
}

/* The engine against the file */

/* The store must exist; the customer (optional) too. *engine_customer is
 * left NULL for an anonymous buyer. */
static gboolean
load_engine_context (SkDatabase        *self,
                     const char        *store_id,
                     const char        *customer_id,
                     SkEngineCustomer **engine_customer,
                     GPtrArray        **rules,
                     GPtrArray        **campaigns,
                     GError           **error)
{
  g_autoptr (SkEngineCustomer) loaded = NULL;
  g_autoptr (SkLiveCounts) live = sk_live_counts_new ();
  g_autoptr (GError) local_error = NULL;
  SkStmt  *stmt;
  gboolean has_row = FALSE;

  /* The customer's segment and rule uses, and what the live rules need:
   * one round trip; 'customer' sorts before 'customer_uses'. */
  *engine_customer = NULL;
  stmt = sk_db_query_engine_context (self, customer_id, error);
  if (stmt == NULL)
    return FALSE;
  while (sk_db_step (self, stmt, &has_row, &local_error) && has_row)
    if (!sk_live_counts_add_row (live, stmt))
      {
        if (g_strcmp0 (sk_stmt_text (stmt, 0), "customer") == 0)
          loaded = sk_engine_customer_new (customer_id, sk_stmt_text (stmt, 1));
        else if (g_strcmp0 (sk_stmt_text (stmt, 0), "customer_uses") == 0)
          sk_engine_customer_set_uses (loaded, sk_stmt_text (stmt, 1), sk_stmt_int64 (stmt, 2));
      }
  sk_stmt_reset (stmt);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!sk_db_live_rules (self, live, rules, campaigns, error))
    return FALSE;
  if (!sk_db_live_store_exists (self, store_id))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "store_id", _ ("There is no store %s"),
                          store_id);
      g_clear_pointer (rules, g_ptr_array_unref);
      g_clear_pointer (campaigns, g_ptr_array_unref);
      return FALSE;
    }
  if (customer_id != NULL && loaded == NULL)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "customer_id", _ ("There is no customer %s"),
                          customer_id);
      g_clear_pointer (rules, g_ptr_array_unref);
      g_clear_pointer (campaigns, g_ptr_array_unref);
      return FALSE;
    }
  *engine_customer = g_steal_pointer (&loaded);
  return TRUE;
}

SkEngineResult *
sk_database_calculate (
    SkDatabase *self, const SkCart *cart, const char *customer_id, gint64 now, GError **error)
{
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GPtrArray) campaigns = NULL;
  g_autoptr (SkEngineCustomer) engine_customer = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (cart != NULL, NULL);

  if (!sk_cart_validate (cart, error)
      || !load_engine_context (self, cart->store_id, customer_id, &engine_customer, &rules,
                               &campaigns, error))
    return NULL;
  return sk_discount_engine_calculate (cart, engine_customer, rules, campaigns,
                                       now != 0 ? now : sk_time_now ());
}

SkEngineResult *
sk_database_available_discounts (
    SkDatabase *self, const char *store_id, const char *customer_id, gint64 now, GError **error)
{
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GPtrArray) campaigns = NULL;
  g_autoptr (SkEngineCustomer) engine_customer = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  if (store_id == NULL)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "store_id", _ ("A store is required"));
      return NULL;
    }
  if (!load_engine_context (self, store_id, customer_id, &engine_customer, &rules, &campaigns,
                            error))
    return NULL;
  return sk_discount_engine_available (store_id, engine_customer, rules, campaigns,
                                       now != 0 ? now : sk_time_now ());
}
