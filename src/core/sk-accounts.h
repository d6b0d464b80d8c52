/* sk-accounts.h: the server's accounts and bearer tokens as the store keeps them.
 *
 * The store knows no password and no token: it keeps the password hash and
 * the token hash it is given, and the server hashes, checks and caches.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sk-database.h"
#include "sk-role.h"

G_BEGIN_DECLS

#define SK_TYPE_ACCOUNT (sk_account_get_type ())

/* A row of the users table (and of tokens, when found by a token). */
typedef struct
{
  char    *id;
  char    *username;
  SkRole   role;
  char    *store_id;      /* managers and cashiers only, else NULL */
  char    *password_hash; /* by sk_database_find_account only */
  gint64   created_at;    /* microseconds, as sk_time_now () */
  gboolean disabled;
  /* By sk_database_find_token_account only: the token it was found by. */
  char  *token_hash;
  gint64 token_expires_at;
} SkAccount;

GType      sk_account_get_type (void) G_GNUC_CONST;
SkAccount *sk_account_new (void);
SkAccount *sk_account_copy (const SkAccount *account);
void       sk_account_free (SkAccount *account);

/* Refuses, without writing, what sk_database_add_account would refuse for
 * anything but the password hash: a blank name or one over 64 characters,
 * SK_ROLE_NONE, a manager or cashier without a store or with a store that
 * does not exist (SK_ERROR_INVALID on the field), a name taken
 * (SK_ERROR_CONFLICT on "username"). So a caller can say no before it
 * spends a password hash's time. */
gboolean sk_database_validate_account (SkDatabase *self, const SkAccount *account, GError **error);
/* Adds @account, checked as by sk_database_validate_account; it needs a
 * password_hash. Assigns the id (when NULL) and created_at (when 0), and
 * drops the store_id of an admin or marketing account, which belongs to no
 * store. A name taken meanwhile is SK_ERROR_CONFLICT on "username" too. */
gboolean sk_database_add_account (SkDatabase *self, SkAccount *account, GError **error);
/* The account named @username, disabled or not, with its password hash;
 * NULL and SK_ERROR_NOT_FOUND when there is none. */
SkAccount *sk_database_find_account (SkDatabase *self, const char *username, GError **error);
/* Every account (SkAccount, without password hashes), by name. */
GPtrArray *sk_database_list_accounts (SkDatabase *self, GError **error);
/* Disables or enables the account @id (SK_ERROR_NOT_FOUND if none).
 * Disabling also revokes every token of it, in the same transaction, for
 * good: enabling it again brings none of them back. */
gboolean sk_database_set_account_disabled (SkDatabase *self,
                                           const char *id,
                                           gboolean    disabled,
                                           GError    **error);

/* Keeps a new token of @account_id, by its hash, valid until @expires_at
 * (microseconds, as sk_time_now ()). Tokens expired more than a day ago
 * are deleted on the way: they serve nobody, and a day's grace keeps them
 * for a look. */
gboolean sk_database_add_token (SkDatabase *self,
                                const char *token_hash,
                                const char *account_id,
                                gint64      expires_at,
                                GError    **error);
/* The account a token serves now, with token_hash and token_expires_at
 * set; NULL and SK_ERROR_NOT_FOUND when the token is unknown, expired or
 * revoked, or its account disabled. */
SkAccount *
sk_database_find_token_account (SkDatabase *self, const char *token_hash, GError **error);
/* Revokes one token for good; an unknown one is no error. */
gboolean sk_database_revoke_token (SkDatabase *self, const char *token_hash, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkAccount, sk_account_free)

G_END_DECLS
