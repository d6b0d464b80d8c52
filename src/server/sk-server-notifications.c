/* sk-server-notifications.c: the notifications' templates (marketing edits
 * and previews them), a campaign's announcement (its reach, then sending),
 * and the unsubscribe link of a marketing message (no login, a signed
 * token).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include "sk-money.h"
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

/* Templates */

static void
handle_templates_list (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) list = sk_database_list_notification_templates (r->db, &error);
  g_autoptr (JsonArray) items = json_array_new ();
  JsonObject *o;
  JsonNode   *root;

  if (list == NULL)
    {
      sk_request_set_error (r, error);
      return;
    }
  for (guint i = 0; i < list->len; i++)
    json_array_add_element (items, sk_notification_template_to_json (list->pdata[i]));
  o = json_object_new ();
  json_object_set_array_member (o, "items", g_steal_pointer (&items));
  root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, o);
  sk_request_reply (r, 200, root);
}

static void
handle_template_update (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkNotificationTemplate) t = g_new0 (SkNotificationTemplate, 1);
  g_autoptr (JsonObject) body = sk_request_body_object (r);
  const char *subject = NULL, *text = NULL;

  if (body == NULL || !sk_request_member_string (r, body, "subject", TRUE, &subject)
      || !sk_request_member_string (r, body, "body", TRUE, &text)
      || !sk_request_member_int (r, body, "version", FALSE, &t->version))
    return;
  t->event = g_strdup (sk_request_arg (r, 0));
  t->language = g_strdup (sk_request_arg (r, 1));
  t->subject = g_strdup (subject);
  t->body = g_strdup (text);
  if (!sk_database_save_notification_template (r->db, t, &error))
    {
      sk_request_set_error (r, error);
      return;
    }
  sk_request_reply (r, 200, sk_notification_template_to_json (t));
}

/* What a template gives: with a customer's own figures, or with examples. */
static void
handle_template_preview (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkNotificationTemplate) stored = NULL;
  g_autoptr (SkNotificationTemplate) t = g_new0 (SkNotificationTemplate, 1);
  g_autoptr (GHashTable) values = sk_notification_sample_values ();
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *subject_out = NULL;
  g_autofree char *body_out = NULL;
  g_autoptr (JsonObject) body = sk_request_body_object (r);
  const char *event = NULL, *language = NULL, *subject = NULL, *text = NULL;

  if (body == NULL || !sk_request_member_string (r, body, "event", TRUE, &event)
      || !sk_request_member_string (r, body, "language", TRUE, &language)
      || !sk_request_member_string (r, body, "subject", FALSE, &subject)
      || !sk_request_member_string (r, body, "body", FALSE, &text))
    return;
  if (subject == NULL || text == NULL)
    {
      stored = sk_database_get_notification_template (r->db, event, language, &error);
      if (stored == NULL)
        {
          sk_request_set_error (r, error);
          return;
        }
    }
  t->event = g_strdup (event);
  t->language = g_strdup (language);
  t->subject = g_strdup (subject != NULL ? subject : stored->subject);
  t->body = g_strdup (text != NULL ? text : stored->body);
  if (!sk_notification_template_validate (t, &error))
    {
      sk_request_set_error (r, error);
      return;
    }
  subject_out = sk_notification_render (t->subject, values);
  body_out = sk_notification_render (t->body, values);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "subject");
  json_builder_add_string_value (b, subject_out);
  json_builder_set_member_name (b, "body");
  json_builder_add_string_value (b, body_out);
  json_builder_end_object (b);
  sk_request_reply (r, 200, json_builder_get_root (b));
}

/* A campaign's announcement */

static void
handle_announcement (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  SkReach              reach;
  SkCampaignDeliveries deliveries;

  if (!sk_database_campaign_reach (r->db, sk_request_arg (r, 0), &reach, &error)
      || !sk_database_campaign_deliveries (r->db, sk_request_arg (r, 0), &deliveries, &error))
    {
      sk_request_set_error (r, error);
      return;
    }
  json_builder_begin_object (b);
  sk_reach_build (b, "reach", &reach);
  json_builder_set_member_name (b, "pending");
  json_builder_add_int_value (b, deliveries.pending);
  json_builder_set_member_name (b, "sent");
  json_builder_add_int_value (b, deliveries.sent);
  json_builder_set_member_name (b, "failed");
  json_builder_add_int_value (b, deliveries.failed);
  json_builder_set_member_name (b, "unsubscribed");
  json_builder_add_int_value (b, deliveries.unsubscribed);
  json_builder_end_object (b);
  sk_request_reply (r, 200, json_builder_get_root (b));
}

static void
handle_announce (SkRequest *r)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  SkReach queued;

  if (!sk_database_announce_campaign (r->db, sk_request_arg (r, 0), g_get_real_time (), &queued,
                                      &error))
    {
      sk_request_set_error (r, error);
      return;
    }
  json_builder_begin_object (b);
  sk_reach_build (b, "queued", &queued);
  json_builder_end_object (b);
  sk_request_reply (r, 200, json_builder_get_root (b));
}

#define P_UNSUBSCRIBE                                                                              \
  "Public: the holder of a link from a marketing message; the token signed by the server says "    \
  "whose consent to which channel it withdraws."

const SkRoute sk_server_notifications_routes[] = {
  {
      .method = "GET",
      .pattern = "/api/notification-templates",
      .handler = handle_templates_list,
      .roles = SK_ROLES_HQ,
      .summary = "The notifications' templates, per event and language",
      .response_schema = "NotificationTemplateList",
      .policy = P_HQ_ONLY,
  },
  {
      .method = "PUT",
      .pattern = "/api/notification-templates/*/*",
      .handler = handle_template_update,
      .roles = SK_ROLES_HQ,
      .summary = "Edit the template of an event in a language ({event}/{language})",
      .request_schema = "NotificationTemplateEdit",
      .response_schema = "NotificationTemplate",
      .flags = SK_ROUTE_WRITES,
      .policy = P_HQ_WRITE ("template"),
  },
  {
      .method = "POST",
      .pattern = "/api/notification-templates/preview",
      .handler = handle_template_preview,
      .roles = SK_ROLES_HQ,
      .summary = "What a template (stored, or the subject and body given) gives, with examples",
      .request_schema = "NotificationTemplatePreview",
      .response_schema = "NotificationPreview",
      .policy = P_HQ_ONLY,
  },
  {
      .method = "GET",
      .pattern = "/api/campaigns/*/announcement",
      .handler = handle_announcement,
      .roles = SK_ROLES_HQ,
      .summary
      = "Whom announcing the campaign reaches per channel, and what became of its messages",
      .response_schema = "CampaignAnnouncement",
      .policy = P_HQ_ONLY,
  },
  {
      .method = "POST",
      .pattern = "/api/campaigns/*/announce",
      .handler = handle_announce,
      .roles = SK_ROLES_HQ,
      .summary = "Announce the campaign to its segments and stores, each customer once",
      .response_schema = "CampaignAnnounced",
      .flags = SK_ROUTE_WRITES,
      .policy = P_HQ_WRITE ("campaign"),
  },
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
