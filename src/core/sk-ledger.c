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
  g_autoptr(SkBonusTransaction) tx = NULL;
  gint64 balance;

  balance = sk_db_query_int (self, error, G_MININT64,
                             "SELECT bonus_balance FROM customers WHERE id = ?", "s", customer_id);
  if (balance == G_MININT64)
    {
      if (error != NULL && *error == NULL)
        sk_set_field_error (error, SK_ERROR_NOT_FOUND, "customer_id", _("There is no customer %s"),
                            customer_id);
      return NULL;
    }

  tx = g_object_new (SK_TYPE_BONUS_TRANSACTION, NULL);
  tx->id = g_uuid_string_random ();
  tx->customer_id = g_strdup (customer_id);
  tx->kind = g_strdup (kind);
  tx->amount = amount;
  tx->balance_after = balance + amount;
  tx->reason = g_strdup (reason);
  tx->purchase_id = g_strdup (purchase_id);
  tx->store_id = g_strdup (store_id);
  tx->created_at = created_at != 0 ? created_at : sk_time_now ();
  tx->expires_at = expires_at;

  if (!sk_db_insert_record (self, "bonus_transactions", SK_RECORD (tx), error) ||
      !sk_db_exec (self, error,
                   "UPDATE customers SET bonus_balance = ?,"
                   " flagged = flagged OR ? < 0 WHERE id = ?",
                   "iis", tx->balance_after, tx->balance_after, customer_id))
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
  g_autoptr(SkBonusTransaction) tx = NULL;
  g_autoptr(JsonNode) payload = NULL;
  gint64 balance;
  gint64 signed_amount;
  gint64 expires_at = SK_TIME_NONE;
  gint64 now = sk_time_now ();
  gint64 expiry_days;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  if (sk_str_is_blank (reason))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "reason", _("Say why the bonuses are changed"));
      return NULL;
    }
  if (g_strcmp0 (kind, SK_BONUS_EARN) == 0 || g_strcmp0 (kind, SK_BONUS_SPEND) == 0)
    {
      if (amount <= 0 || amount > SK_MONEY_MAX)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "amount", _("The amount must be above zero"));
          return NULL;
        }
      signed_amount = g_str_equal (kind, SK_BONUS_EARN) ? amount : -amount;
    }
  else if (g_strcmp0 (kind, SK_BONUS_ADJUST) == 0)
    {
      if (amount == 0 || amount > SK_MONEY_MAX || amount < -SK_MONEY_MAX)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "amount", _("An adjustment cannot be zero"));
          return NULL;
        }
      signed_amount = amount;
    }
  else
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "kind",
                          _("Manual bonus changes are earn, spend or adjust"));
      return NULL;
    }

  if (!sk_db_begin (self, error))
    return NULL;
  balance = sk_db_query_int (self, error, G_MININT64,
                             "SELECT bonus_balance FROM customers WHERE id = ?", "s", customer_id);
  if (balance == G_MININT64)
    {
      if (error != NULL && *error == NULL)
        sk_set_field_error (error, SK_ERROR_NOT_FOUND, "customer_id", _("There is no customer %s"),
                            customer_id ? customer_id : "");
      goto fail;
    }
  if (store_id != NULL &&
      sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM stores WHERE id = ?", "s", store_id) == 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "store_id", _("There is no store %s"), store_id);
      goto fail;
    }
  if (signed_amount < 0 && balance + signed_amount < 0)
    {
      g_autofree char *have = sk_money_format (balance);
      sk_set_field_error (error, SK_ERROR_INSUFFICIENT_BONUS, "amount",
                          _("Not enough bonuses: the balance is %s"), have);
      goto fail;
    }
  expiry_days = sk_database_get_setting_int (self, SK_SETTING_BONUS_EXPIRY_DAYS, 0);
  if (signed_amount > 0 && g_str_equal (kind, SK_BONUS_EARN) && expiry_days > 0)
    expires_at = now + expiry_days * G_TIME_SPAN_DAY;

  tx = sk_db_ledger_append (self, customer_id, kind, signed_amount, reason, NULL, store_id, now,
                            expires_at, error);
  if (tx == NULL)
    goto fail;
  payload = sk_record_to_json (SK_RECORD (tx));
  if (!sk_db_outbox_add (self, "bonus_transaction", tx->id, "create", payload, error) ||
      !sk_db_commit (self, error))
    goto fail;
  return g_steal_pointer (&tx);

fail:
  sk_db_rollback (self);
  return NULL;
}

GPtrArray *
sk_database_list_bonus_transactions (SkDatabase *self,
                                     const char *customer_id,
                                     GError    **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return sk_db_query_records (self,
                              sk_db_query (self, error,
                                           "SELECT * FROM bonus_transactions WHERE customer_id = ?"
                                           " ORDER BY created_at DESC, rowid DESC",
                                           "s", customer_id),
                              SK_TYPE_BONUS_TRANSACTION, error);
}

gint64
sk_database_ledger_sum (SkDatabase *self,
                        const char *customer_id,
                        GError    **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), 0);
  return sk_db_query_int (self, error, 0,
                          "SELECT coalesce (sum (amount), 0) FROM bonus_transactions WHERE customer_id = ?",
                          "s", customer_id);
}

gint64
sk_database_expire_bonuses (SkDatabase *self,
                            gint64      now,
                            GError    **error)
{
  g_autoptr(GPtrArray) due_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) due_amounts = g_array_new (FALSE, FALSE, sizeof (gint64));
  sqlite3_stmt *stmt;
  gboolean has_row;
  gint64 total = 0;

  g_return_val_if_fail (SK_IS_DATABASE (self), -1);

  if (sk_database_get_setting_int (self, SK_SETTING_BONUS_EXPIRY_DAYS, 0) <= 0)
    return 0;
  if (!sk_db_begin (self, error))
    return -1;

  /* Oldest spent first: whatever was debited consumed the oldest credits,
   * so what is left of the credits past their date is what expires. */
  stmt = sk_db_query (self, error,
                      "SELECT t.customer_id, min (c.bonus_balance, t.expired - t.debits) FROM ("
                      "  SELECT customer_id,"
                      "    sum (CASE WHEN amount > 0 AND expires_at IS NOT NULL AND expires_at <= ?"
                      "         THEN amount ELSE 0 END) AS expired,"
                      "    sum (CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS debits"
                      "  FROM bonus_transactions GROUP BY customer_id) AS t"
                      " JOIN customers AS c ON c.id = t.customer_id"
                      " WHERE t.expired > t.debits AND c.bonus_balance > 0"
                      " ORDER BY t.customer_id",
                      "i", now);
  if (stmt == NULL)
    goto fail;
  while (sk_db_step (self, stmt, &has_row, error) && has_row)
    {
      gint64 amount = sqlite3_column_int64 (stmt, 1);
      g_ptr_array_add (due_ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_array_append_val (due_amounts, amount);
    }
  sqlite3_reset (stmt);
  if (error != NULL && *error != NULL)
    goto fail;

  for (guint i = 0; i < due_ids->len; i++)
    {
      gint64 amount = g_array_index (due_amounts, gint64, i);
      g_autoptr(SkBonusTransaction) tx = NULL;
      g_autoptr(JsonNode) payload = NULL;

      tx = sk_db_ledger_append (self, g_ptr_array_index (due_ids, i), SK_BONUS_EXPIRE, -amount,
                                _("Bonuses expired"), NULL, NULL, now, SK_TIME_NONE, error);
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
