/* fuzz-export.c: the JSON import of sk-export.c (skidka-cli import) fed fuzzed documents.
 *
 * The input is imported into an empty in-memory database. A document that
 * imports must export again as valid JSON, that export must import into
 * another empty database, and its export must be the same text: what a
 * backup writes, a restore reads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-common.h"
#include "sk-database.h"
#include "sk-error.h"

static SkDatabase *empty;

static SkDatabase *
open_empty (void)
{
  g_autoptr(GError) error = NULL;
  SkDatabase *db = sk_database_open (":memory:", &error);

  if (db == NULL)
    sk_fuzz_fail ("cannot open a database: %s", error->message);
  return db;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  sk_fuzz_init ();
  empty = open_empty ();
  return 0;
}

/* The export of @db as text, checked. */
static char *
export_text (SkDatabase *db)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = sk_database_export (db, &error);
  char *text;

  if (root == NULL)
    sk_fuzz_fail ("an imported database does not export: %s", error->message);
  text = sk_json_to_string (root, FALSE);
  sk_fuzz_check_json_text (text, strlen (text));
  return text;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) reread = NULL;
  g_autoptr(SkDatabase) imported = NULL;
  g_autoptr(SkDatabase) second = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  /* skidka-cli reads the document with sk_json_parse, as here. */
  if (!g_utf8_validate ((const char *) data, size, NULL))
    return 0;
  root = sk_json_parse ((const char *) data, size, &error);
  if (root == NULL)
    return 0;
  if (!sk_database_import (empty, root, &error))
    {
      g_autoptr(GPtrArray) stores = sk_database_list_stores (empty, NULL);

      if (error == NULL)
        sk_fuzz_fail ("an import failed without an error");
      /* All or nothing: the database must still be empty. */
      if (stores == NULL || stores->len != 0 || sk_database_count_customers (empty, NULL) != 0)
        sk_fuzz_fail ("a failed import left rows behind: %s", error->message);
      return 0;
    }
  /* It is full now; the next input gets a new one. */
  imported = g_steal_pointer (&empty);
  empty = open_empty ();

  text = export_text (imported);
  reread = sk_json_parse (text, -1, &error);
  if (reread == NULL)
    sk_fuzz_fail ("an export does not parse: %s", error->message);
  second = open_empty ();
  if (!sk_database_import (second, reread, &error))
    sk_fuzz_fail ("an export does not import: %s\n%s", error->message, text);
  text_again = export_text (second);
  if (!g_str_equal (text, text_again))
    sk_fuzz_fail ("an export changed through an import:\n%s\n%s", text, text_again);
  return 0;
}
