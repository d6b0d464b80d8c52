/* sk-server-accounts.c: health, the OpenAPI document, logging in and out, accounts.
 * Handlers run in a worker thread with that thread's own SkDatabase.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <string.h>

#include "sk-database-file.h"
#include "sk-server-private.h"

/* Public */

static void
handle_health (SkRequest *r)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GError) error = NULL;

  /* Up means able to serve: a load balancer takes a server whose database
   * is gone out of rotation. */
  if (!sk_database_check (r->db, &error))
    {
      g_message ("Health: %s", error->message);
      sk_request_reply (
          r, 503, sk_error_to_json ("database_unavailable", "The database is not available", NULL));
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "schema_version");
  json_builder_add_int_value (builder, sk_database_get_schema_version (r->db));
  json_builder_set_member_name (builder, "database");
  json_builder_add_string_value (builder, sk_database_get_backend_name (r->db));
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
handle_openapi (SkRequest *r)
{
  static GBytes *document = NULL;

  if (g_once_init_enter (&document))
    {
      g_autoptr (JsonNode) node = sk_server_openapi ();
      char *text = sk_json_to_string (node, TRUE);

      g_once_init_leave (&document, g_bytes_new_take (text, strlen (text)));
    }
  r->status = 200;
  r->raw = g_bytes_ref (document);
}

static void
reply_too_many (SkRequest *r)
{
  sk_request_reply (r, 429,
                    sk_error_to_json ("too_many_attempts",
                                      "Too many failed logins; wait a while and try again", NULL));
}

static JsonNode *
user_to_json (const char *id, const char *username, SkRole role, const char *store_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  sk_auth_build_user (builder, id, username, role, store_id);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
handle_login (SkRequest *r)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (SkServerUser) user = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *token = NULL;
  g_autofree char *user_key = NULL;
  g_autofree char *addr_key = NULL;
  g_autofree char *pair_key = NULL;
  g_autofree char *expires = NULL;
  gboolean         known, failed;
  const char      *username, *password;
  SkRateLimiter   *limiter = r->limiter;

  if (object == NULL || !sk_request_member_string (r, object, "username", TRUE, &username)
      || !sk_request_member_string (r, object, "password", TRUE, &password))
    return;
  user_key = g_strconcat ("user:", username, NULL);
  addr_key = g_strconcat ("addr:", r->remote ? r->remote : "-", NULL);
  pair_key = g_strconcat ("pair:", r->remote ? r->remote : "-", "\n", username, NULL);
  /* Many tills of a store may share one address: it gets more tries. A name
   * that has logged in from this address before is not held back by other
   * names' failures there (behind a proxy every till has one address). */
  known = sk_rate_limiter_known (limiter, pair_key);
  if (!sk_rate_limiter_begin (limiter, user_key, 1))
    {
      reply_too_many (r);
      return;
    }
  if (!known && !sk_rate_limiter_begin (limiter, addr_key, 4))
    {
      sk_rate_limiter_end (limiter, user_key, FALSE);
      reply_too_many (r);
      return;
    }
  token = sk_auth_login (r->db, username, password, r->config->token_lifetime, &user, &error);
  failed = token == NULL && g_error_matches (error, SK_ERROR, SK_ERROR_UNAUTHORIZED);
  sk_rate_limiter_end (limiter, user_key, failed);
  if (!known)
    sk_rate_limiter_end (limiter, addr_key, failed);
  if (token == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  sk_rate_limiter_reset (limiter, user_key);
  sk_rate_limiter_succeeded (limiter, pair_key);
  r->user = g_steal_pointer (&user);
  expires = sk_time_to_rfc3339 (sk_time_now () + r->config->token_lifetime * G_USEC_PER_SEC);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, token);
  json_builder_set_member_name (builder, "token_type");
  json_builder_add_string_value (builder, "Bearer");
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_string_value (builder, expires);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (
      builder, user_to_json (r->user->id, r->user->username, r->user->role, r->user->store_id));
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
handle_logout (SkRequest *r)
{
  g_autoptr (GError) error = NULL;

  if (!sk_auth_revoke (r->db, r->tokens, r->user->token_hash, &error))
    sk_request_set_error (r, error);
  else
    r->status = 204;
}

static void
handle_me (SkRequest *r)
{
  sk_request_reply (
      r, 200, user_to_json (r->user->id, r->user->username, r->user->role, r->user->store_id));
}

/* Users */

static void
handle_users_list (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) users = sk_auth_list_users (r->db, &error);
  g_autoptr (JsonBuilder) builder = NULL;

  if (users == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_add_value (builder, g_steal_pointer (&users));
  json_builder_set_member_name (builder, "next_cursor");
  json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  sk_request_reply (r, 200, json_builder_get_root (builder));
}

static void
handle_users_create (SkRequest *r)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  const char      *username, *password, *role, *store_id;

  if (object == NULL || !sk_request_member_string (r, object, "username", TRUE, &username)
      || !sk_request_member_string (r, object, "password", TRUE, &password)
      || !sk_request_member_string (r, object, "role", TRUE, &role)
      || !sk_request_member_string (r, object, "store_id", FALSE, &store_id))
    return;
  id = sk_auth_create_user (r->db, username, password, role, store_id, &error);
  if (id == NULL)
    sk_request_set_error (r, error);
  else
    sk_request_reply (
        r, 201,
        user_to_json (id, username, sk_role_from_string (role),
                      (sk_role_from_string (role) & SK_ROLES_STORE) ? store_id : NULL));
}

static void
handle_user_update (SkRequest *r)
{
  g_autoptr (JsonObject) object = sk_request_body_object (r);
  g_autoptr (GError) error = NULL;
  JsonNode *disabled;

  if (object == NULL)
    return;
  disabled = json_object_get_member (object, "disabled");
  if (disabled == NULL || !JSON_NODE_HOLDS_VALUE (disabled)
      || json_node_get_value_type (disabled) != G_TYPE_BOOLEAN)
    {
      sk_request_fail (r, SK_ERROR_MALFORMED, "disabled", "disabled must be true or false");
      return;
    }
  if (json_node_get_boolean (disabled) && g_str_equal (sk_request_arg (r, 0), r->user->id))
    {
      sk_request_fail (r, SK_ERROR_INVALID, "disabled", "You cannot disable your own account");
      return;
    }
  if (!sk_auth_set_disabled (r->db, r->tokens, sk_request_arg (r, 0),
                             json_node_get_boolean (disabled), &error))
    sk_request_set_error (r, error);
  else
    r->status = 204;
}

const SkRoute sk_server_accounts_routes[] = {
  {
      .method = "GET",
      .pattern = "/api/health",
      .handler = handle_health,
      .roles = SK_ROLE_NONE,
      .summary = "Is the server up",
      .response_schema = "Health",
      .policy = P_PUBLIC,
  },
  {
      .method = "GET",
      .pattern = "/api/openapi.json",
      .handler = handle_openapi,
      .roles = SK_ROLE_NONE,
      .summary = "This document",
      .response_schema = "Any",
      .policy = P_PUBLIC,
  },
  {
      .method = "POST",
      .pattern = "/api/auth/login",
      .handler = handle_login,
      .roles = SK_ROLE_NONE,
      .summary = "Log in: a bearer token",
      .request_schema = "LoginRequest",
      .response_schema = "LoginResponse",
      .flags = SK_ROUTE_WRITES,
      .policy = P_PUBLIC,
  },
  {
      .method = "POST",
      .pattern = "/api/auth/logout",
      .handler = handle_logout,
      .roles = SK_ROLES_ALL,
      .summary = "Revoke the token of this request",
      .flags = SK_ROUTE_WRITES,
      .policy = P_SELF,
  },
  {
      .method = "GET",
      .pattern = "/api/auth/me",
      .handler = handle_me,
      .roles = SK_ROLES_ALL,
      .summary = "The account of this token",
      .response_schema = "User",
      .policy = P_SELF,
  },
  {
      .method = "GET",
      .pattern = "/api/users",
      .handler = handle_users_list,
      .roles = SK_ROLE_ADMIN,
      .summary = "Accounts",
      .response_schema = "page:User",
      .policy = P_ADMIN_ONLY,
  },
  {
      .method = "POST",
      .pattern = "/api/users",
      .handler = handle_users_create,
      .roles = SK_ROLE_ADMIN,
      .summary = "Create an account",
      .request_schema = "UserCreate",
      .response_schema = "User",
      .flags = SK_ROUTE_WRITES,
      .policy = P_ADMIN_ONLY,
  },
  {
      .method = "PUT",
      .pattern = "/api/users/*",
      .handler = handle_user_update,
      .roles = SK_ROLE_ADMIN,
      .summary = "Disable (revoking its tokens) or enable an account",
      .request_schema = "UserUpdate",
      .flags = SK_ROUTE_WRITES,
      .policy = P_ADMIN_ONLY,
  },
};

const guint sk_server_accounts_routes_n = G_N_ELEMENTS (sk_server_accounts_routes);
