/* fuzz-account.c: a till reading HQ's answer about its account (GET
 * /api/auth/me: role and store, sk_sync_parse_account) fed fuzzed answers.
 *
 * An answer is taken with a role the till knows and a store that is a
 * string or null, or refused with an error; never half.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-common.h"
#include "sk-record.h"
#include "sk-sync-client.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *store = NULL;
  SkRole           role = SK_ROLE_NONE;

  /* The client reads HQ's answer with sk_json_parse, as here. */
  root = sk_json_parse ((const char *)data, (gssize)size, NULL);
  if (root == NULL)
    return 0;
  if (sk_sync_parse_account (root, &role, &store, &error))
    {
      if (error != NULL || role == SK_ROLE_NONE || sk_role_to_string (role) == NULL)
        sk_fuzz_fail ("an account was taken without a known role");
      return 0;
    }
  if (error == NULL || store != NULL || role != SK_ROLE_NONE)
    sk_fuzz_fail ("an account was refused without an error, or half taken");
  return 0;
}
