/* sk-server-auth.c: accounts of the server: argon2id passwords, hashed bearer tokens, login rate
 * limits. SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <sodium.h>

#include "sk-accounts.h"
#include "sk-server-private.h"

#define TOKEN_BYTES 32

static gboolean
ensure_sodium (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error (error, SK_ERROR, SK_ERROR_DATABASE, "libsodium could not start");
      return FALSE;
    }
  return TRUE;
}

char *
sk_auth_hash_password (const char *password, GError **error)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (!ensure_sodium (error))
    return NULL;
  if (strlen (password) < 8)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "password",
                          _ ("A password needs at least 8 characters"));
      return NULL;
    }
  if (crypto_pwhash_str_alg (hash, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13)
      != 0)
    {
      g_set_error (error, SK_ERROR, SK_ERROR_DATABASE, "Out of memory hashing a password");
      return NULL;
    }
  return g_strdup (hash);
}

gboolean
sk_auth_verify_password (const char *hash, const char *password)
{
  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (sodium_init () < 0)
    return FALSE;
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

char *
sk_auth_token_hash (const char *token)
{
  g_return_val_if_fail (token != NULL, NULL);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* Checked tokens, kept while the database can tell the server of every
 * change to accounts and tokens (on PostgreSQL, see sk_postgres_listen). A
 * check that began before the last change is not kept: the generation
 * moves with each change. */
struct _SkTokenCache
{
  GMutex      lock;
  GHashTable *entries; /* token hash -> CachedToken */
  guint64     generation;
  gboolean    enabled;
};

typedef struct
{
  SkServerUser *user;
  gint64        expires_at; /* the token's, as sk_time_now () */
  gint64        deadline;   /* monotonic: kept no longer than this */
} CachedToken;

#define TOKEN_CACHE_MAX      10000
#define TOKEN_CACHE_LIFETIME (60 * G_USEC_PER_SEC)

static void
cached_token_free (gpointer data)
{
  CachedToken *cached = data;

  sk_account_free (cached->user);
  g_free (cached);
}

SkTokenCache *
sk_token_cache_new (void)
{
  SkTokenCache *cache = g_new0 (SkTokenCache, 1);

  g_mutex_init (&cache->lock);
  cache->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, cached_token_free);
  return cache;
}

void
sk_token_cache_free (SkTokenCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->entries);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

/* Under the lock: forget every token, and every check under way. */
static void
token_cache_clear (SkTokenCache *cache)
{
  g_hash_table_remove_all (cache->entries);
  cache->generation++;
}

void
sk_token_cache_reset (SkTokenCache *cache, gboolean enabled)
{
  g_return_if_fail (cache != NULL);

  g_mutex_lock (&cache->lock);
  token_cache_clear (cache);
  cache->enabled = enabled;
  g_mutex_unlock (&cache->lock);
}

/* After this server changed accounts or tokens: it forgets at once, the
 * other servers when the database tells them. */
static void
token_cache_forget (SkTokenCache *cache)
{
  if (cache == NULL)
    return;
  g_mutex_lock (&cache->lock);
  token_cache_clear (cache);
  g_mutex_unlock (&cache->lock);
}

/* The account behind @hash if kept and still valid, else NULL and the
 * generation to keep the database's answer under. */
static SkServerUser *
token_cache_lookup (SkTokenCache *cache, const char *hash, guint64 *generation)
{
  SkServerUser *user = NULL;
  CachedToken  *cached;

  g_mutex_lock (&cache->lock);
  cached = cache->enabled ? g_hash_table_lookup (cache->entries, hash) : NULL;
  if (cached != NULL
      && (cached->expires_at <= sk_time_now () || cached->deadline <= g_get_monotonic_time ()))
    {
      g_hash_table_remove (cache->entries, hash);
      cached = NULL;
    }
  if (cached != NULL)
    user = sk_account_copy (cached->user);
  *generation = cache->generation;
  g_mutex_unlock (&cache->lock);
  return user;
}

static void
token_cache_add (SkTokenCache       *cache,
                 guint64             generation,
                 const SkServerUser *user,
                 gint64              expires_at)
{
  g_mutex_lock (&cache->lock);
  if (cache->enabled && cache->generation == generation)
    {
      CachedToken *cached = g_new0 (CachedToken, 1);

      if (g_hash_table_size (cache->entries) >= TOKEN_CACHE_MAX)
        g_hash_table_remove_all (cache->entries);
      cached->user = sk_account_copy (user);
      cached->expires_at = expires_at;
      cached->deadline = g_get_monotonic_time () + TOKEN_CACHE_LIFETIME;
      g_hash_table_replace (cache->entries, cached->user->token_hash, cached);
    }
  g_mutex_unlock (&cache->lock);
}

static char *
new_token (void)
{
  guchar bytes[TOKEN_BYTES];
  char  *text;
  char  *p;

  randombytes_buf (bytes, sizeof bytes);
  text = g_base64_encode (bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);
  /* base64url without padding: safe in a header and a URL */
  for (p = text; *p; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return text;
}

char *
sk_auth_create_user (SkDatabase *db,
                     const char *username,
                     const char *password,
                     const char *role,
                     const char *store_id,
                     GError    **error)
{
  g_autoptr (SkAccount) account = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  if (password == NULL)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "password", _ ("A user needs a password"));
      return NULL;
    }
  account = sk_account_new ();
  account->username = g_strdup (username);
  account->role = sk_role_from_string (role);
  account->store_id = g_strdup (store_id);
  /* Hashing is slow on purpose: not for an account refused anyway. */
  if (!sk_database_validate_account (db, account, error))
    return NULL;
  account->password_hash = sk_auth_hash_password (password, error);
  if (account->password_hash == NULL || !sk_database_add_account (db, account, error))
    return NULL;
  return g_steal_pointer (&account->id);
}

void
sk_auth_build_user (
    JsonBuilder *builder, const char *id, const char *username, SkRole role, const char *store_id)
{
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, id);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, sk_role_to_string (role));
  json_builder_set_member_name (builder, "store_id");
  sk_json_add_string_or_null (builder, store_id);
}

JsonNode *
sk_auth_list_users (SkDatabase *db, GError **error)
{
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GPtrArray) accounts = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  accounts = sk_database_list_accounts (db, error);
  if (accounts == NULL)
    return NULL;
  builder = json_builder_new ();
  json_builder_begin_array (builder);
  for (guint i = 0; i < accounts->len; i++)
    {
      SkAccount       *account = g_ptr_array_index (accounts, i);
      g_autofree char *created = sk_time_to_rfc3339 (account->created_at);

      json_builder_begin_object (builder);
      sk_auth_build_user (builder, account->id, account->username, account->role,
                          account->store_id);
      json_builder_set_member_name (builder, "created_at");
      json_builder_add_string_value (builder, created);
      json_builder_set_member_name (builder, "disabled");
      json_builder_add_boolean_value (builder, account->disabled);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

gboolean
sk_auth_set_disabled (
    SkDatabase *db, SkTokenCache *cache, const char *user_id, gboolean disabled, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  if (!sk_database_set_account_disabled (db, user_id, disabled, error))
    return FALSE;
  token_cache_forget (cache);
  return TRUE;
}

char *
sk_auth_login (SkDatabase    *db,
               const char    *username,
               const char    *password,
               gint64         lifetime_seconds,
               SkServerUser **user,
               GError       **error)
{
  g_autoptr (SkServerUser) found = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *token = NULL;
  GError          *local = NULL;
  gboolean         disabled = TRUE;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);
  g_return_val_if_fail (username != NULL && password != NULL, NULL);

  if (!ensure_sodium (error))
    return NULL;
  found = sk_database_find_account (db, username, &local);
  if (found != NULL)
    {
      hash = g_steal_pointer (&found->password_hash);
      disabled = found->disabled;
    }
  else if (g_error_matches (local, SK_ERROR, SK_ERROR_NOT_FOUND))
    g_clear_error (&local);
  else
    {
      g_propagate_error (error, local);
      return NULL;
    }

  /* The same work for an unknown user as for a wrong password, so timing
   * does not tell which names exist. The dummy hash is of random bytes no
   * one knows, and the login fails whatever the verification says. */
  if (hash == NULL)
    {
      static char  dummy[crypto_pwhash_STRBYTES];
      static gsize dummy_made = 0;

      if (g_once_init_enter (&dummy_made))
        {
          unsigned char secret[32];

          randombytes_buf (secret, sizeof secret);
          if (crypto_pwhash_str_alg (
                  dummy, (const char *)secret, sizeof secret, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13)
              != 0)
            dummy[0] = '\0';
          sodium_memzero (secret, sizeof secret);
          g_once_init_leave (&dummy_made, 1);
        }
      /* What it says does not matter: the login fails below either way. */
      if (dummy[0] != '\0' && crypto_pwhash_str_verify (dummy, password, strlen (password)) == 0)
        hash = NULL;
    }
  if (hash == NULL || !sk_auth_verify_password (hash, password) || disabled)
    {
      g_set_error (error, SK_ERROR, SK_ERROR_UNAUTHORIZED, _ ("Wrong user name or password"));
      return NULL;
    }

  token = new_token ();
  found->token_hash = sk_auth_token_hash (token);
  if (!sk_database_add_token (db, found->token_hash, found->id,
                              sk_time_now () + lifetime_seconds * G_USEC_PER_SEC, error))
    return NULL;
  if (user != NULL)
    *user = g_steal_pointer (&found);
  return g_steal_pointer (&token);
}

SkServerUser *
sk_auth_check_token (SkDatabase *db, SkTokenCache *cache, const char *token, GError **error)
{
  g_autoptr (SkServerUser) user = NULL;
  g_autofree char *hash = NULL;
  GError          *local = NULL;
  guint64          generation = 0;

  g_return_val_if_fail (SK_IS_DATABASE (db), NULL);

  if (token == NULL || *token == '\0')
    {
      g_set_error (error, SK_ERROR, SK_ERROR_UNAUTHORIZED, _ ("Log in first"));
      return NULL;
    }
  hash = sk_auth_token_hash (token);
  if (cache != NULL && (user = token_cache_lookup (cache, hash, &generation)) != NULL)
    return g_steal_pointer (&user);
  user = sk_database_find_token_account (db, hash, &local);
  if (user == NULL)
    {
      if (g_error_matches (local, SK_ERROR, SK_ERROR_NOT_FOUND))
        {
          g_clear_error (&local);
          g_set_error (error, SK_ERROR, SK_ERROR_UNAUTHORIZED,
                       _ ("The token is unknown, expired or revoked"));
        }
      else
        g_propagate_error (error, local);
      return NULL;
    }
  if (cache != NULL)
    token_cache_add (cache, generation, user, user->token_expires_at);
  return g_steal_pointer (&user);
}

gboolean
sk_auth_revoke (SkDatabase *db, SkTokenCache *cache, const char *token_hash, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (token_hash != NULL, FALSE);

  if (!sk_database_revoke_token (db, token_hash, error))
    return FALSE;
  token_cache_forget (cache);
  return TRUE;
}

/* Failed logins, per user name and per remote address, in memory: a restart
 * forgets them, which is acceptable for a limit meant to slow guessing.
 * Attempts in flight count too, so parallel guesses cannot all pass the
 * check before the first failure is written down. */
typedef struct
{
  GArray *failures; /* gint64 times, oldest first */
  guint   in_flight;
  gint64  succeeded; /* the last success of a pair key, or 0 */
} Attempts;

struct _SkRateLimiter
{
  GMutex      lock;
  GHashTable *keys; /* key -> Attempts */
  guint       attempts;
  gint64      window; /* microseconds */
};

/* How long a name that logged in from an address is trusted there. */
#define KNOWN_PAIR_LIFETIME (30 * G_TIME_SPAN_DAY)

static void
attempts_free (Attempts *a)
{
  g_array_unref (a->failures);
  g_free (a);
}

SkRateLimiter *
sk_rate_limiter_new (guint attempts, gint64 window_seconds)
{
  SkRateLimiter *limiter = g_new0 (SkRateLimiter, 1);

  g_mutex_init (&limiter->lock);
  limiter->keys
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)attempts_free);
  limiter->attempts = MAX (attempts, 1);
  limiter->window = MAX (window_seconds, 1) * G_USEC_PER_SEC;
  return limiter;
}

void
sk_rate_limiter_free (SkRateLimiter *limiter)
{
  if (limiter == NULL)
    return;
  g_hash_table_unref (limiter->keys);
  g_mutex_clear (&limiter->lock);
  g_free (limiter);
}

/* Under the lock. */
static Attempts *
key_attempts (SkRateLimiter *limiter, const char *key, gint64 now)
{
  Attempts *a = g_hash_table_lookup (limiter->keys, key);
  gint64    oldest = now - limiter->window;
  guint     expired = 0;

  if (a == NULL)
    {
      /* Guessing with ever new names must not grow the table without end. */
      if (g_hash_table_size (limiter->keys) > 10000)
        {
          GHashTableIter iter;
          gpointer       value;

          g_hash_table_iter_init (&iter, limiter->keys);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            {
              Attempts *old = value;

              if (old->in_flight == 0 && now - old->succeeded > KNOWN_PAIR_LIFETIME
                  && (old->failures->len == 0
                      || g_array_index (old->failures, gint64, old->failures->len - 1) < oldest))
                g_hash_table_iter_remove (&iter);
            }
        }
      a = g_new0 (Attempts, 1);
      a->failures = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (limiter->keys, g_strdup (key), a);
    }
  while (expired < a->failures->len && g_array_index (a->failures, gint64, expired) < oldest)
    expired++;
  g_array_remove_range (a->failures, 0, expired);
  return a;
}

gboolean
sk_rate_limiter_begin (SkRateLimiter *limiter, const char *key, guint factor)
{
  Attempts *a;
  gboolean  allowed;

  g_return_val_if_fail (limiter != NULL && key != NULL, FALSE);

  g_mutex_lock (&limiter->lock);
  a = key_attempts (limiter, key, g_get_monotonic_time ());
  allowed = a->failures->len + a->in_flight < limiter->attempts * MAX (factor, 1);
  if (allowed)
    a->in_flight++;
  g_mutex_unlock (&limiter->lock);
  return allowed;
}

void
sk_rate_limiter_end (SkRateLimiter *limiter, const char *key, gboolean failed)
{
  gint64    now = g_get_monotonic_time ();
  Attempts *a;

  g_return_if_fail (limiter != NULL && key != NULL);

  g_mutex_lock (&limiter->lock);
  a = key_attempts (limiter, key, now);
  if (a->in_flight > 0)
    a->in_flight--;
  if (failed)
    g_array_append_val (a->failures, now);
  g_mutex_unlock (&limiter->lock);
}

void
sk_rate_limiter_reset (SkRateLimiter *limiter, const char *key)
{
  Attempts *a;

  g_return_if_fail (limiter != NULL && key != NULL);

  g_mutex_lock (&limiter->lock);
  a = key_attempts (limiter, key, g_get_monotonic_time ());
  g_array_set_size (a->failures, 0);
  g_mutex_unlock (&limiter->lock);
}

void
sk_rate_limiter_succeeded (SkRateLimiter *limiter, const char *key)
{
  gint64 now = g_get_monotonic_time ();

  g_return_if_fail (limiter != NULL && key != NULL);

  g_mutex_lock (&limiter->lock);
  key_attempts (limiter, key, now)->succeeded = now;
  g_mutex_unlock (&limiter->lock);
}

gboolean
sk_rate_limiter_known (SkRateLimiter *limiter, const char *key)
{
  Attempts *a;
  gboolean  known;

  g_return_val_if_fail (limiter != NULL && key != NULL, FALSE);

  g_mutex_lock (&limiter->lock);
  a = g_hash_table_lookup (limiter->keys, key);
  known = a != NULL && a->succeeded != 0
          && g_get_monotonic_time () - a->succeeded < KNOWN_PAIR_LIFETIME;
  g_mutex_unlock (&limiter->lock);
  return known;
}
