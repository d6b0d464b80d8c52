/* sk-accounts.c: the users and tokens tables of the server, in SQL both backends take.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sk-accounts.h"
#include "sk-database-private.h"
#include "sk-error.h"

G_DEFINE_BOXED_TYPE (SkAccount, sk_account, sk_account_copy, sk_account_free)

SkAccount *
sk_account_new (void)
{
  return g_new0 (SkAccount, 1);
}

SkAccount *
sk_account_copy (const SkAccount *account)
{
  SkAccount *copy;

  g_return_val_if_fail (account != NULL, NULL);

  copy = g_memdup2 (account, sizeof *account);
  copy->id = g_strdup (account->id);
  copy->username = g_strdup (account->username);
  copy->store_id = g_strdup (account->store_id);
  copy->password_hash = g_strdup (account->password_hash);
  copy->token_hash = g_strdup (account->token_hash);
  return copy;
}

void
sk_account_free (SkAccount *account)
{
  if (account == NULL)
    return;
  g_free (account->id);
  g_free (account->username);
  g_free (account->store_id);
  g_free (account->password_hash);
  g_free (account->token_hash);
  g_free (account);
}

/* id, username, role, store_id, created_at, disabled: the columns every
 * query of an account starts with. */
#define ACCOUNT_COLUMNS "u.id, u.username, u.role, u.store_id, u.created_at, u.disabled"

static SkAccount *
account_from_row (SkStmt *stmt)
{
  SkAccount *account = sk_account_new ();

  account->id = g_strdup (sk_stmt_text (stmt, 0));
  account->username = g_strdup (sk_stmt_text (stmt, 1));
  account->role = sk_role_from_string (sk_stmt_text (stmt, 2));
  account->store_id = sk_stmt_is_null (stmt, 3) ? NULL : g_strdup (sk_stmt_text (stmt, 3));
  account->created_at = sk_stmt_int64 (stmt, 4);
  account->disabled = sk_stmt_int64 (stmt, 5) != 0;
  return account;
}

gboolean
sk_database_validate_account (SkDatabase *self, const SkAccount *account, GError **error)
{
  gint64 taken;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (account != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (sk_str_is_blank (account->username) || strlen (account->username) > 64)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "username",
                          _ ("A user needs a name of up to 64 characters"));
      return FALSE;
    }
  /* One of the four roles, not none nor a set of them. */
  if (sk_role_from_string (sk_role_to_string (account->role)) == SK_ROLE_NONE)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "role",
                          _ ("The role is admin, marketing, manager or cashier"));
      return FALSE;
    }
  if (account->role & SK_ROLES_STORE)
    {
      g_autoptr (SkStore) store = NULL;
      GError *local = NULL;

      if (sk_str_is_blank (account->store_id))
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "store_id",
                              _ ("Managers and cashiers belong to a store"));
          return FALSE;
        }
      store = sk_database_get_store (self, account->store_id, &local);
      if (store == NULL)
        {
          if (g_error_matches (local, SK_ERROR, SK_ERROR_NOT_FOUND))
            {
              g_clear_error (&local);
              sk_set_field_error (error, SK_ERROR_INVALID, "store_id", _ ("There is no store %s"),
                                  account->store_id);
            }
          else
            g_propagate_error (error, local);
          return FALSE;
        }
    }
  taken = sk_db_query_int (self, error, -1, "SELECT count(*) FROM users WHERE username = ?", "s",
                           account->username);
  if (taken < 0)
    return FALSE;
  if (taken > 0)
    {
      sk_set_field_error (error, SK_ERROR_CONFLICT, "username", _ ("The user %s exists already"),
                          account->username);
      return FALSE;
    }
  return TRUE;
}

gboolean
sk_database_add_account (SkDatabase *self, SkAccount *account, GError **error)
{
  g_autofree char *id = NULL;
  gint64           created_at;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (account != NULL, FALSE);
  g_return_val_if_fail (account->password_hash != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  if (!sk_database_validate_account (self, account, error))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  id = account->id != NULL ? g_strdup (account->id) : g_uuid_string_random ();
  created_at = account->created_at != 0 ? account->created_at : sk_time_now ();
  if (!sk_db_exec (self, error,
                   "INSERT INTO users"
                   " (id, username, password_hash, role, store_id, created_at, disabled)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   "sssssib", id, account->username, account->password_hash,
                   sk_role_to_string (account->role),
                   (account->role & SK_ROLES_STORE) ? account->store_id : NULL, created_at,
                   account->disabled))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  if (!sk_db_commit (self, error)) /* rolls back by itself on failure */
    return FALSE;

  /* Only now, so a refused account comes back as it was given. */
  g_free (account->id);
  account->id = g_steal_pointer (&id);
  account->created_at = created_at;
  if ((account->role & SK_ROLES_STORE) == 0)
    g_clear_pointer (&account->store_id, g_free);
  return TRUE;
}

SkAccount *
sk_database_find_account (SkDatabase *self, const char *username, GError **error)
{
  SkAccount *account = NULL;
  SkStmt    *stmt;
  gboolean   has_row = FALSE;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  stmt = sk_db_query (self, error,
                      "SELECT " ACCOUNT_COLUMNS ", u.password_hash"
                      " FROM users u WHERE u.username = ?",
                      "s", username);
  if (stmt == NULL)
    return NULL;
  if (!sk_db_step (self, stmt, &has_row, error))
    {
      sk_stmt_reset (stmt);
      return NULL;
    }
  if (has_row)
    {
      account = account_from_row (stmt);
      account->password_hash = g_strdup (sk_stmt_text (stmt, 6));
    }
  sk_stmt_reset (stmt);
  if (account == NULL)
    sk_set_field_error (error, SK_ERROR_NOT_FOUND, "username", _ ("There is no user %s"), username);
  return account;
}

GPtrArray *
sk_database_list_accounts (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  /* Names compare by their bytes on both backends (COLLATE "C" on
   * PostgreSQL), so both list them in one order. */
  return sk_db_query_rows (
      self,
      sk_db_query (self, error, "SELECT " ACCOUNT_COLUMNS " FROM users u ORDER BY u.username",
                   NULL),
      (SkRowFunc)account_from_row, NULL, (GDestroyNotify)sk_account_free, error);
}

gboolean
sk_database_set_account_disabled (SkDatabase *self,
                                  const char *id,
                                  gboolean    disabled,
                                  GError    **error)
{
  gint64 found;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!sk_db_begin (self, error))
    return FALSE;
  found = sk_db_query_int (self, error, -1, "SELECT count(*) FROM users WHERE id = ?", "s", id);
  if (found <= 0)
    {
      if (found == 0)
        sk_set_field_error (error, SK_ERROR_NOT_FOUND, NULL, _ ("There is no user %s"), id);
      sk_db_rollback (self);
      return FALSE;
    }
  /* A disabled account's tokens die with it, for good. */
  if (!sk_db_exec (self, error, "UPDATE users SET disabled = ? WHERE id = ?", "bs", disabled, id)
      || (disabled
          && !sk_db_exec (self, error, "UPDATE tokens SET revoked = 1 WHERE user_id = ?", "s", id)))
    {
      sk_db_rollback (self);
      return FALSE;
    }
  return sk_db_commit (self, error); /* rolls back by itself on failure */
}

gboolean
sk_database_add_token (SkDatabase *self,
                       const char *token_hash,
                       const char *account_id,
                       gint64      expires_at,
                       GError    **error)
{
  gint64 now;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);
  g_return_val_if_fail (account_id != NULL, FALSE);

  now = sk_time_now ();
  /* Two statements of their own, not a transaction: on PostgreSQL that
   * would take the lock every writer queues on, for a login. */
  return sk_db_exec (self, error, "DELETE FROM tokens WHERE expires_at < ?", "i",
                     now - G_TIME_SPAN_DAY)
         && sk_db_exec (self, error,
                        "INSERT INTO tokens (token_hash, user_id, created_at, expires_at)"
                        " VALUES (?, ?, ?, ?)",
                        "ssii", token_hash, account_id, now, expires_at);
}

SkAccount *
sk_database_find_token_account (SkDatabase *self, const char *token_hash, GError **error)
{
  SkAccount *account = NULL;
  SkStmt    *stmt;
  gboolean   has_row = FALSE;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  g_return_val_if_fail (token_hash != NULL, NULL);

  stmt = sk_db_query (self, error,
                      "SELECT " ACCOUNT_COLUMNS ", t.expires_at"
                      " FROM tokens t JOIN users u ON u.id = t.user_id"
                      " WHERE t.token_hash = ? AND t.revoked = 0 AND t.expires_at > ?"
                      " AND u.disabled = 0",
                      "si", token_hash, sk_time_now ());
  if (stmt == NULL)
    return NULL;
  if (!sk_db_step (self, stmt, &has_row, error))
    {
      sk_stmt_reset (stmt);
      return NULL;
    }
  if (has_row)
    {
      account = account_from_row (stmt);
      account->token_hash = g_strdup (token_hash);
      account->token_expires_at = sk_stmt_int64 (stmt, 6);
    }
  sk_stmt_reset (stmt);
  if (account == NULL)
    sk_set_field_error (error, SK_ERROR_NOT_FOUND, NULL,
                        _ ("The token is unknown, expired or revoked"));
  return account;
}

gboolean
sk_database_revoke_token (SkDatabase *self, const char *token_hash, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);

  return sk_db_exec (self, error, "UPDATE tokens SET revoked = 1 WHERE token_hash = ?", "s",
                     token_hash);
}
