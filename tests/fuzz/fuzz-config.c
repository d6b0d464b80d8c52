/* fuzz-config.c: skidka-server's configuration file (a GKeyFile) fed fuzzed text.
 *
 * A file that loads must give a configuration the server can start with:
 * the bounds sk_server_config_load promises, and both TLS files or neither.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "fuzz-common.h"
#include "sk-server.h"

/* A gateway's template is a JSON object and its headers "Name: value". */
static void
check_gateway (const SkGatewayConfig *gateway)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (gateway->url != NULL
      && (!json_parser_load_from_data (parser, gateway->body_template, -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))))
    sk_fuzz_fail ("a configuration loaded a gateway body template that is not a JSON object");
  for (guint i = 0; gateway->headers != NULL && gateway->headers[i] != NULL; i++)
    if (strchr (gateway->headers[i], ':') == NULL || strpbrk (gateway->headers[i], "\r\n"))
      sk_fuzz_fail ("a configuration loaded a gateway header that is not Name: value");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkServerConfig) config
      = sk_server_config_load_from_data ((const char *)data, size, &error);

  if (config == NULL)
    {
      if (error == NULL)
        sk_fuzz_fail ("a configuration failed to load without an error");
      return 0;
    }
  if (config->address == NULL || config->database == NULL || config->port > 65535
      || config->workers > 256 || config->max_body < 1024 || config->token_lifetime < 60
      || config->login_attempts < 1 || config->login_window < 1
      || (config->tls_certificate == NULL) != (config->tls_key == NULL))
    sk_fuzz_fail ("a configuration loaded out of its bounds");
  if (!g_utf8_validate (config->address, -1, NULL) || !g_utf8_validate (config->database, -1, NULL))
    sk_fuzz_fail ("a configuration loaded a string that is not UTF-8");
  /* The delivery of notifications: what the worker counts on. */
  if (config->notify.retries < 1 || config->notify.retry_delay < 1 || config->notify.lease < 1
      || config->notify.batch < 1 || config->notify.quiet_start < 0
      || config->notify.quiet_start > 23 || config->notify.quiet_end < 0
      || config->notify.quiet_end > 23 || config->notify.weekly_cap < 1
      || config->notify.birthday_lead_days < 1 || config->notify.birthday_lead_days > 60)
    sk_fuzz_fail ("a configuration loaded notification settings out of their bounds");
  if (config->notify.smtp_url != NULL
      && (config->notify.smtp_from == NULL || strchr (config->notify.smtp_from, '@') == NULL))
    sk_fuzz_fail ("a configuration loaded [smtp] without a sender");
  check_gateway (&config->notify.sms);
  check_gateway (&config->notify.push);
  return 0;
}
