/* sk-server-gateway.c: SMS and push messages to HTTP gateways (libsoup).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "sk-server-delivery.h"

/* The error kept of a gateway's answer. */
#define MAX_ANSWER 500

typedef struct
{
  const char *name;
  const char *value;
} Placeholder;

static char *
fill (const char *text, const Placeholder *placeholders, guint n)
{
  GString *out = g_string_new (text);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *needle = g_strdup_printf ("{{%s}}", placeholders[i].name);

      g_string_replace (out, needle, placeholders[i].value != NULL ? placeholders[i].value : "", 0);
    }
  return g_string_free (out, FALSE);
}

/* Fills the template's strings (values and member names stay JSON, so what
 * a customer wrote cannot break out of its string). */
static JsonNode *
fill_node (JsonNode *node, const Placeholder *placeholders, guint n)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *in = json_node_get_object (node);
        JsonObject *out = json_object_new ();
        g_autoptr (GList) members = json_object_get_members (in);
        JsonNode *result = json_node_new (JSON_NODE_OBJECT);

        for (GList *l = members; l != NULL; l = l->next)
          json_object_set_member (
              out, l->data, fill_node (json_object_get_member (in, l->data), placeholders, n));
        json_node_take_object (result, out);
        return result;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *in = json_node_get_array (node);
        JsonArray *out = json_array_new ();
        JsonNode  *result = json_node_new (JSON_NODE_ARRAY);

        for (guint i = 0; i < json_array_get_length (in); i++)
          json_array_add_element (out, fill_node (json_array_get_element (in, i), placeholders, n));
        json_node_take_array (result, out);
        return result;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        {
          g_autofree char *text = fill (json_node_get_string (node), placeholders, n);

          return json_node_init_string (json_node_alloc (), text);
        }
      return json_node_copy (node);
    case JSON_NODE_NULL:
    default:
      return json_node_copy (node);
    }
}

SkSendResult
sk_gateway_send (SoupSession           *session,
                 const SkGatewayConfig *gateway,
                 const char            *id,
                 const char            *to,
                 const char            *subject,
                 const char            *text,
                 char                 **error_message)
{
  const Placeholder placeholders[] = {
    { "id", id },
    { "to", to },
    { "subject", subject },
    { "text", text },
  };
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;
  guint            status;

  g_return_val_if_fail (SOUP_IS_SESSION (session), SK_SEND_PERMANENT);
  g_return_val_if_fail (gateway != NULL && gateway->url != NULL, SK_SEND_PERMANENT);

  if (to == NULL || *to == '\0')
    {
      *error_message = g_strdup ("No recipient");
      return SK_SEND_PERMANENT;
    }
  /* The loader checked the template. */
  if (!json_parser_load_from_data (parser, gateway->body_template, -1, &error))
    {
      *error_message = g_strdup_printf ("The body template is not JSON: %s", error->message);
      return SK_SEND_PERMANENT;
    }
  body = fill_node (json_parser_get_root (parser), placeholders, G_N_ELEMENTS (placeholders));
  json = json_to_string (body, FALSE);
  request = g_bytes_new_take (json, strlen (json));
  json = NULL;

  msg = soup_message_new (SOUP_METHOD_POST, gateway->url);
  if (msg == NULL)
    {
      *error_message = g_strdup_printf ("Not a URL: %s", gateway->url);
      return SK_SEND_PERMANENT;
    }
  for (guint i = 0; gateway->headers != NULL && gateway->headers[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (gateway->headers[i], ":", 2);

      soup_message_headers_append (soup_message_get_request_headers (msg), g_strstrip (pair[0]),
                                   g_strstrip (pair[1]));
    }
  /* The gateway may drop a message it has seen: every attempt has this id.
   * So the POST may go on a kept-alive connection (libsoup opens a new one
   * for each request it cannot repeat). */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", id);
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  if (answer == NULL)
    {
      *error_message = g_strdup_printf ("%s", error->message);
      return SK_SEND_TRANSIENT;
    }
  status = soup_message_get_status (msg);
  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    return SK_SEND_OK;
  {
    gsize            size = 0;
    const char      *data = g_bytes_get_data (answer, &size);
    g_autofree char *said = g_utf8_make_valid (data != NULL ? data : "", MIN (size, MAX_ANSWER));

    *error_message = g_strdup_printf ("HTTP %u: %s", status, g_strstrip (said));
  }
  /* Too many requests and a request timeout are the gateway's state, not the
   * message's. */
  if (status == 429 || status == SOUP_STATUS_REQUEST_TIMEOUT)
    return SK_SEND_TRANSIENT;
  return status >= 400 && status < 500 ? SK_SEND_PERMANENT : SK_SEND_TRANSIENT;
}
