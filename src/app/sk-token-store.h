/* sk-token-store.h: where a till keeps its HQ token: the keyring (libsecret),
 * or, when no keyring service runs and the user agreed, a file only the
 * user may read.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SK_TOKEN_STORE_ERROR (sk_token_store_error_quark ())
GQuark sk_token_store_error_quark (void);

typedef enum
{
  /* No keyring service answered (a kiosk session, a sandbox without the
   * portal): the message says so in plain words. */
  SK_TOKEN_STORE_ERROR_NO_KEYRING,
  SK_TOKEN_STORE_ERROR_FILE, /* the user-only file could not be written */
} SkTokenStoreError;

typedef enum
{
  SK_TOKEN_PLACE_KEYRING,
  SK_TOKEN_PLACE_FILE,
} SkTokenPlace;

/* The user-only file (mode 0600) under the user's config directory. */
char *sk_token_store_file_path (void);

/* Keeps @token of @account at @server in the keyring; @place FILE writes
 * the user-only file instead (after the user agreed to it). The keyring's
 * own errors become SK_TOKEN_STORE_ERROR_NO_KEYRING, never a D-Bus text. */
void     sk_token_store_save_async (const char         *server,
                                    const char         *account,
                                    const char         *token,
                                    SkTokenPlace        place,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
gboolean sk_token_store_save_finish (GAsyncResult *result, GError **error);

/* The token of @account at @server: from the user-only file when it holds
 * it, else from the keyring; NULL without an error when neither has it
 * (or no keyring runs). */
void  sk_token_store_load_async (const char         *server,
                                 const char         *account,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data);
char *sk_token_store_load_finish (GAsyncResult *result, GError **error);

G_END_DECLS
