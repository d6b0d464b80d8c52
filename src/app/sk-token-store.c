/* sk-token-store.c: the HQ token in the keyring (libsecret), or in a
 * user-only key file when no keyring service runs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "sk-token-store.h"

G_DEFINE_QUARK (sk - token - store - error - quark, sk_token_store_error)

#define FILE_GROUP "token"

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = { "org.skidka.Skidka.Token",
                                       SECRET_SCHEMA_NONE,
                                       {
                                           { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
                                           { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
                                           { NULL, 0 },
                                       } };

  return &schema;
}

char *
sk_token_store_file_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "skidka", "token", NULL);
}

typedef struct
{
  char        *server;
  char        *account;
  char        *token;
  SkTokenPlace place;
} Request;

static void
request_free (Request *request)
{
  g_free (request->server);
  g_free (request->account);
  if (request->token != NULL)
    memset (request->token, 0, strlen (request->token));
  g_free (request->token);
  g_free (request);
}

static Request *
request_new (const char *server, const char *account, const char *token, SkTokenPlace place)
{
  Request *request = g_new0 (Request, 1);

  request->server = g_strdup (server);
  request->account = g_strdup (account);
  request->token = g_strdup (token);
  request->place = place;
  return request;
}

/* The keyring failed: what the user reads, with the cause for the log. */
static GError *
no_keyring_error (const GError *cause)
{
  g_debug ("Keyring: %s", cause->message);
  return g_error_new_literal (
      SK_TOKEN_STORE_ERROR, SK_TOKEN_STORE_ERROR_NO_KEYRING,
      _ ("No keyring is available on this computer to keep the sign-in safely"));
}

/* The file: a key file of server, account and token, mode 0600 in a
 * directory of mode 0700, replaced atomically. */
static gboolean
write_file (Request *request, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *path = sk_token_store_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *data = NULL;
  g_autoptr (GError) local = NULL;
  gsize length;

  g_key_file_set_string (file, FILE_GROUP, "server", request->server);
  g_key_file_set_string (file, FILE_GROUP, "account", request->account);
  g_key_file_set_string (file, FILE_GROUP, "token", request->token);
  data = g_key_file_to_data (file, &length, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                    &local))
    {
      g_set_error (error, SK_TOKEN_STORE_ERROR, SK_TOKEN_STORE_ERROR_FILE,
                   _ ("Cannot keep the sign-in in %s: %s"), path,
                   local ? local->message : g_strerror (errno));
      memset (data, 0, length);
      return FALSE;
    }
  memset (data, 0, length);
  return TRUE;
}

/* The file's token when it is for @server and @account. */
static char *
read_file (const char *server, const char *account)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autofree char *path = sk_token_store_file_path ();
  g_autofree char *s = NULL;
  g_autofree char *a = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    return NULL;
  s = g_key_file_get_string (file, FILE_GROUP, "server", NULL);
  a = g_key_file_get_string (file, FILE_GROUP, "account", NULL);
  if (g_strcmp0 (s, server) != 0 || g_strcmp0 (a, account) != 0)
    return NULL;
  return g_key_file_get_string (file, FILE_GROUP, "token", NULL);
}

static void
stored_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (secret_password_store_finish (result, &error))
    {
      g_autofree char *path = sk_token_store_file_path ();

      /* The keyring has it now: no copy stays in a file. */
      g_unlink (path);
      g_task_return_boolean (task, TRUE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_error (task, no_keyring_error (error));
}

void
sk_token_store_save_async (const char         *server,
                           const char         *account,
                           const char         *token,
                           SkTokenPlace        place,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  Request *request = request_new (server, account, token, place);

  g_task_set_source_tag (task, sk_token_store_save_async);
  g_task_set_task_data (task, request, (GDestroyNotify)request_free);
  if (place == SK_TOKEN_PLACE_FILE)
    {
      if (write_file (request, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  secret_password_store (token_schema (), SECRET_COLLECTION_DEFAULT, _ ("Skidka server token"),
                         token, cancellable, stored_cb, g_steal_pointer (&task), "server", server,
                         "account", account, NULL);
}

gboolean
sk_token_store_save_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
looked_up_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    {
      /* No keyring: signed out, as far as this till knows. */
      if (error != NULL)
        g_debug ("Keyring: %s", error->message);
      g_task_return_pointer (task, token, g_free);
    }
}

void
sk_token_store_load_async (const char         *server,
                           const char         *account,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  char *token;

  g_task_set_source_tag (task, sk_token_store_load_async);
  token = read_file (server, account);
  if (token != NULL)
    {
      g_task_return_pointer (task, token, g_free);
      return;
    }
  secret_password_lookup (token_schema (), cancellable, looked_up_cb, g_steal_pointer (&task),
                          "server", server, "account", account, NULL);
}

char *
sk_token_store_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
