/* fuzz-config.c: skidka-server's configuration file (a GKeyFile) fed fuzzed text.
 *
 * A file that loads must give a configuration the server can start with:
 * the bounds sk_server_config_load promises, and both TLS files or neither.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-common.h"
#include "sk-server.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  sk_fuzz_init ();
  return 0;
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
  return 0;
}
