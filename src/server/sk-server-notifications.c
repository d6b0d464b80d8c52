/* sk-server-notifications.c: what customers do with the notifications they
 * get: the unsubscribe link of a marketing message (no login, a signed
 * token).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-notifications.h"
#include "sk-server-delivery.h"
#include "sk-server-private.h"

/* GET (the link, followed) and POST (RFC 8058's one click, from a mail
 * client) withdraw the consent the token names; again is fine. */
static void
unsubscribe (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *customer_id = NULL;
  g_autofree char *channel = NULL;
  g_autofree char *notification_id = NULL;
  const char      *token = sk_request_query (r, "token");

  if (token == NULL)
    {
      sk_request_fail (r, SK_ERROR_INVALID, "token", "The unsubscribe link has no token");
      return;
    }
  if (!sk_unsubscribe_token_check (r->db, token, &customer_id, &channel, &notification_id, &error)
      || !sk_database_withdraw_consent (r->db, customer_id, channel, notification_id,
                                        g_get_real_time (), &error))
    {
      if (g_error_matches (error, SK_ERROR, SK_ERROR_INVALID))
        sk_request_fail (r, SK_ERROR_INVALID, "token", error->message);
      else
        sk_request_set_error (r, error);
      return;
    }
  g_message ("A customer unsubscribed from %s", channel);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "channel");
  json_builder_add_string_value (b, channel);
  json_builder_set_member_name (b, "unsubscribed");
  json_builder_add_boolean_value (b, TRUE);
  json_builder_end_object (b);
  sk_request_reply (r, 200, json_builder_get_root (b));
}

static void
handle_unsubscribe (SkRequest *r)
{
  gint64 acquired;

  /* A GET route does not write, as a rule: this one, a link in an e-mail,
   * must, so it takes the write lock itself, as the sale does. */
  if (r->write_locked || (r->route != NULL && (r->route->flags & SK_ROUTE_WRITES)))
    {
      unsubscribe (r);
      return;
    }
  acquired = sk_write_lock_acquire (r->write_lock);
  r->write_locked = TRUE;
  unsubscribe (r);
  sk_write_lock_release (r->write_lock, acquired);
}

#define P_UNSUBSCRIBE                                                                              \
  "Public: the holder of a link from a marketing message; the token signed by the server says "    \
  "whose consent to which channel it withdraws."

const SkRoute sk_server_notifications_routes[] = {
  {
      .method = "GET",
      .pattern = "/api/unsubscribe",
      .handler = handle_unsubscribe,
      .roles = SK_ROLE_NONE,
      .summary = "Withdraw a customer's consent to a channel (the link in a marketing message)",
      .response_schema = "Unsubscribed",
      .query_params = "token",
      .policy = P_UNSUBSCRIBE,
  },
  {
      .method = "POST",
      .pattern = "/api/unsubscribe",
      .handler = handle_unsubscribe,
      .roles = SK_ROLE_NONE,
      .summary = "The same, as a mail client's one-click unsubscribe (RFC 8058)",
      .response_schema = "Unsubscribed",
      .query_params = "token",
      .flags = SK_ROUTE_WRITES,
      .policy = P_UNSUBSCRIBE,
  },
};

const guint sk_server_notifications_routes_n = G_N_ELEMENTS (sk_server_notifications_routes);
