/* sk-ledger.c: the append-only bonus ledger; the cached balance moves in the
 * same statement group as every ledger row, so the two never differ.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-error.h"
#include "sk-money.h"

SkBonusTransaction *
sk_db_ledger_append (SkDatabase *self,
                     gint64     *balance,
                     const char *id,
                     const char *customer_id,
                     const char *kind,
                     gint64      amount,
                     const char *reason,
                     const char *purchase_id,
                     const char *store_id,
                     gint64      created_at,
                     gint64      expires_at,
                     GError    **error)
{
  g_autoptr (SkBonusTransaction) tx = NULL;
  gint64 before, after;

  before = balance != NULL ? *balance
                           : sk_db_query_int (self, error, G_MININT64,
                                              "SELECT bonus_balance FROM customers WHERE id = ?",
                                              "s", customer_id);
  if (before == G_MININT64)
    {
      if (error != NULL && *error == NULL)
        sk_set_field_error (error, SK_ERROR_NOT_FOUND, "customer_id", _ ("There is no customer %s"),
                            customer_id);
      return NULL;
    }

  /* No balance goes beyond SK_BALANCE_MAX; one written before there was a
   * bound may still move back towards zero. */
  if (__builtin_add_overflow (before, amount, &after)
      || ((after > SK_BALANCE_MAX || after < -SK_BALANCE_MAX) && (amount > 0) == (after > 0)))
    {
      g_autofree char *limit = sk_money_format (SK_BALANCE_MAX);

      sk_set_field_error (error, SK_ERROR_INVALID, "amount",
                          _ ("A bonus balance cannot go beyond %s either way"), limit);
      return NULL;
    }

  tx = g_object_new (SK_TYPE_BONUS_TRANSACTION, NULL);
  tx->id = id != NULL ? g_strdup (id) : g_uuid_string_random ();
  tx->customer_id = g_strdup (customer_id);
  tx->kind = g_strdup (kind);
  tx->amount = amount;
  tx->balance_after = after;
  tx->reason = g_strdup (reason);
  tx->purchase_id = g_strdup (purchase_id);
  tx->store_id = g_strdup (store_id);
  tx->created_at = created_at != 0 ? created_at : sk_time_now ();
  tx->expires_at = expires_at;

  /* A till's id may be met again (a movement pushed twice): its insert is
   * answered at once. A new id's insert, and the balance, go with the next
   * statement. */
  if (!(id != NULL ? sk_db_insert_record : sk_db_insert_record_pipelined) (
          self, "bonus_transactions", SK_RECORD (tx), error))
    return NULL;
  if (balance != NULL)
    *balance = after;
  else if (!sk_db_exec_pipelined (self, error,
                                  "UPDATE customers SET bonus_balance = ?,"
                                  " flagged = CASE WHEN ? < 0 THEN 1 ELSE flagged END WHERE id = ?",
                                  "iis", after, after, customer_id))
    return NULL;
  return g_steal_pointer (&tx);
}

SkBonusTransaction *
sk_database_bonus_manual (SkDatabase *self,
                          const char *customer_id,
                          const char *kind,
                          gint64      amount,
                          const char *reason,
                          const char *store_id,
                          GError    **error)
{
  g_autoptr (SkBonusTransaction) tx = NULL;
  g_autoptr (JsonNode) payload = NULL;
  gint64 balance;
  gint64 signed_amount;
  gint64 expires_at = SK_TIME_NONE;
  gint64 now;
  gint64 expiry_days;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  if (sk_str_is_blank (reason))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "reason", _ ("Say why the bonuses are changed"));
      return NULL;
    }
  if (g_strcmp0 (kind, SK_BONUS_EARN) == 0 || g_strcmp0 (kind, SK_BONUS_SPEND) == 0)
    {
      if (amount <= 0 || amount > SK_MONEY_MAX)
        {
          g_autofree char *limit = sk_money_format (SK_MONEY_MAX);

          sk_set_field_error (error, SK_ERROR_INVALID, "amount",
                              _ ("The amount must be above zero and at most %s"), limit);
          return NULL;
        }
      signed_amount = g_str_equal (kind, SK_BONUS_EARN) ? amount : -amount;
    }
  else if (g_strcmp0 (kind, SK_BONUS_ADJUST) == 0)
    {
      if (amount == 0 || amount > SK_MONEY_MAX || amount < -SK_MONEY_MAX)
        {
          g_autofree char *limit = sk_money_format (SK_MONEY_MAX);

          sk_set_field_error (error, SK_ERROR_INVALID, "amount",
                              _ ("An adjustment cannot be zero or more than %s either way"), limit);
          return NULL;
        }
      signed_amount = amount;
    }
  else
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "kind",
                          _ ("Manual bonus changes are earn, spend or adjust"));
      return NULL;
    }

  if (!sk_db_begin (self, error))
    return NULL;
  /* The time is taken holding the write lock, so that rows written through
   * several servers (or processes) have times in commit order. */
  now = sk_time_now ();
  balance = sk_db_query_int (self, error, G_MININT64,
                             "SELECT bonus_balance FROM customers WHERE id = ?", "s", customer_id);
  if (balance == G_MININT64)
    {
      if (error != NULL && *error == NULL)
        sk_set_field_error (error, SK_ERROR_NOT_FOUND, "customer_id", _ ("There is no customer %s"),
                            customer_id ? customer_id : "");
      goto fail;
    }
  if (store_id != NULL
      && sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM stores WHERE id = ?", "s", store_id)
             == 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "store_id", _ ("There is no store %s"),
                          store_id);
      goto fail;
    }
  /* Compared, not added: a balance from before SK_BALANCE_MAX may be far
   * below zero. */
  if (signed_amount < 0 && balance < -signed_amount)
    {
      g_autofree char *have = sk_money_format (balance);
      sk_set_field_error (error, SK_ERROR_INSUFFICIENT_BONUS, "amount",
                          _ ("Not enough bonuses: the balance is %s"), have);
      goto fail;
    }
  expiry_days = sk_database_get_setting_int (self, SK_SETTING_BONUS_EXPIRY_DAYS, 0);
  if (signed_amount > 0 && g_str_equal (kind, SK_BONUS_EARN) && expiry_days > 0)
    expires_at = now + expiry_days * G_TIME_SPAN_DAY;

  tx = sk_db_ledger_append (self, NULL, NULL, customer_id, kind, signed_amount, reason, NULL,
                            store_id, now, expires_at, error);
  if (tx == NULL)
    goto fail;
  payload = sk_record_to_json (SK_RECORD (tx));
  if (!sk_db_outbox_add (self, "bonus_transaction", tx->id, "create", payload, error))
    goto fail;
  /* A failed commit rolls back by itself. */
  if (!sk_db_commit (self, error))
    return NULL;
  return g_steal_pointer (&tx);

fail:
  sk_db_rollback (self);
  return NULL;
}

GPtrArray *
sk_database_list_bonus_transactions (SkDatabase *self, const char *customer_id, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return sk_db_query_records (
      self,
      sk_db_query (self, error, sk_db_sql (self, SK_SQL_LEDGER_NEWEST_FIRST), "s", customer_id),
      SK_TYPE_BONUS_TRANSACTION, error);
}

GPtrArray *
sk_database_list_bonus_transactions_page (SkDatabase *self,
                                          const char *customer_id,
                                          const char *cursor,
                                          guint       limit,
                                          char      **next_cursor,
                                          GError    **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (customer_id != NULL, NULL);

  return sk_db_query_page (self, SK_TYPE_BONUS_TRANSACTION,
                           "SELECT * FROM bonus_transactions WHERE customer_id = ?4"
                           " AND (created_at < ?1 OR (created_at = ?1 AND id < ?2))"
                           " ORDER BY created_at DESC, id DESC LIMIT ?3",
                           customer_id, NULL, NULL, cursor, limit, next_cursor, error);
}

gint64
sk_database_ledger_sum (SkDatabase *self, const char *customer_id, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), 0);
  return sk_db_query_int (
      self, error, 0,
      "SELECT coalesce (sum (amount), 0) FROM bonus_transactions WHERE customer_id = ?", "s",
      customer_id);
}

/* One credit of the ledger, and what is left of it after the debits. */
typedef struct
{
  gint64 left;
  gint64 expires_at;  /* SK_TIME_NONE: never */
  char  *purchase_id; /* of an earn: a refund takes that one back first */
} Lot;

static void
lot_clear (Lot *lot)
{
  g_clear_pointer (&lot->purchase_id, g_free);
}

/* Takes up to @need from the lots, oldest first, from those that match
 * (@expired_by: only lots expired by then; @purchase_id: only that sale's
 * earn); returns what could not be taken. */
static gint64
take_from_lots (GArray *lots, gint64 need, gint64 expired_by, const char *purchase_id)
{
  for (guint i = 0; i < lots->len && need > 0; i++)
    {
      Lot   *lot = &g_array_index (lots, Lot, i);
      gint64 part;

      if (lot->left == 0)
        continue;
      if (expired_by != SK_TIME_NONE
          && (lot->expires_at == SK_TIME_NONE || lot->expires_at > expired_by))
        continue;
      if (purchase_id != NULL && g_strcmp0 (lot->purchase_id, purchase_id) != 0)
        continue;
      part = MIN (lot->left, need);
      lot->left -= part;
      need -= part;
    }
  return need;
}

/* What is left at @now of a customer's credits past their date, spending
 * the oldest credits first: the ledger is replayed in time order. An
 * `expire` row takes what had expired by its time; a `reverse` of a sale
 * takes back that sale's earn first. */
static gint64
expired_left (SkDatabase *self, const char *customer_id, gint64 now, GError **error)
{
  g_autoptr (GArray) lots = g_array_new (FALSE, TRUE, sizeof (Lot));
  SkStmt  *stmt;
  gboolean has_row;
  gint64   debt = 0, due = 0;

  g_array_set_clear_func (lots, (GDestroyNotify)lot_clear);
  stmt = sk_db_query (self, error, sk_db_sql (self, SK_SQL_LEDGER_OLDEST_FIRST), "s", customer_id);
  if (stmt == NULL)
    return -1;
  while (sk_db_step (self, stmt, &has_row, error))
    {
      const char *kind, *purchase_id;
      gint64      amount, created_at;

      if (!has_row)
        {
          sk_stmt_reset (stmt);
          for (guint i = 0; i < lots->len; i++)
            {
              const Lot *lot = &g_array_index (lots, Lot, i);

              if (lot->expires_at != SK_TIME_NONE && lot->expires_at <= now)
                due += lot->left;
            }
          return due;
        }
      kind = sk_stmt_text (stmt, 0);
      amount = sk_stmt_int64 (stmt, 1);
      purchase_id = sk_stmt_text (stmt, 3);
      created_at = sk_stmt_int64 (stmt, 4);
      if (amount > 0)
        {
          /* A credit first pays off a balance below zero. */
          gint64 paid = MIN (debt, amount);
          Lot    lot = { amount - paid, sk_stmt_int64 (stmt, 2), NULL };

          debt -= paid;
          if (lot.left == 0)
            continue;
          if (g_strcmp0 (kind, SK_BONUS_EARN) == 0)
            lot.purchase_id = g_strdup (purchase_id);
          g_array_append_val (lots, lot);
        }
      else if (amount < 0)
        {
          gint64 need = -amount;

          if (g_strcmp0 (kind, SK_BONUS_EXPIRE) == 0)
            need = take_from_lots (lots, need, created_at, NULL);
          else if (g_strcmp0 (kind, SK_BONUS_REVERSE) == 0 && purchase_id != NULL)
            need = take_from_lots (lots, need, SK_TIME_NONE, purchase_id);
          debt += take_from_lots (lots, need, SK_TIME_NONE, NULL);
        }
    }
  return -1;
}

gint64
sk_database_expire_bonuses (SkDatabase *self, gint64 now, GError **error)
{
  g_autoptr (GPtrArray) due_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) balances = g_array_new (FALSE, FALSE, sizeof (gint64));
  SkStmt  *stmt;
  gboolean has_row, ok;
  gint64   total = 0;

  g_return_val_if_fail (SK_IS_DATABASE (self), -1);

  if (sk_database_get_setting_int (self, SK_SETTING_BONUS_EXPIRY_DAYS, 0) <= 0)
    return 0;
  if (!sk_db_begin (self, error))
    return -1;

  /* Those with a credit past its date and something left to lose. */
  stmt = sk_db_query (self, error,
                      "SELECT DISTINCT t.customer_id, c.bonus_balance FROM bonus_transactions AS t"
                      " JOIN customers AS c ON c.id = t.customer_id"
                      " WHERE t.amount > 0 AND t.expires_at IS NOT NULL AND t.expires_at <= ?"
                      " AND c.bonus_balance > 0"
                      " ORDER BY t.customer_id",
                      "i", now);
  if (stmt == NULL)
    goto fail;
  while ((ok = sk_db_step (self, stmt, &has_row, error)) && has_row)
    {
      gint64 balance = sk_stmt_int64 (stmt, 1);

      g_ptr_array_add (due_ids, g_strdup (sk_stmt_text (stmt, 0)));
      g_array_append_val (balances, balance);
    }
  sk_stmt_reset (stmt);
  if (!ok)
    goto fail;

  for (guint i = 0; i < due_ids->len; i++)
    {
      const char *customer_id = g_ptr_array_index (due_ids, i);
      g_autoptr (SkBonusTransaction) tx = NULL;
      g_autoptr (JsonNode) payload = NULL;
      gint64 amount;

      amount = expired_left (self, customer_id, now, error);
      if (amount < 0)
        goto fail;
      /* Never below zero. */
      amount = MIN (amount, g_array_index (balances, gint64, i));
      if (amount <= 0)
        continue;
      tx = sk_db_ledger_append (self, NULL, NULL, customer_id, SK_BONUS_EXPIRE, -amount,
                                N_ ("Bonuses expired"), NULL, NULL, now, SK_TIME_NONE, error);
      if (tx == NULL)
        goto fail;
      payload = sk_record_to_json (SK_RECORD (tx));
      if (!sk_db_outbox_add (self, "bonus_transaction", tx->id, "create", payload, error))
        goto fail;
      total += amount;
    }
  if (!sk_db_commit (self, error))
    return -1;
  return total;

fail:
  sk_db_rollback (self);
  return -1;
}
