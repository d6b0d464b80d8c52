/* fuzz-export.c: the JSON import of sk-export.c (skidka-cli import) fed fuzzed documents.
 *
 * The input is imported into an empty database. A document that imports
 * must export again as valid JSON, that export must import into another
 * empty database, and its export must be the same text: what a backup
 * writes, a restore reads.
 *
 * Migrating a new database takes tens of milliseconds, which made a
 * successful import cost as much as a hundred failed ones; so a migrated
 * file is made once and each empty database is a copy of it, in /dev/shm
 * when there is one (no disk writes).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"
#include "sk-database.h"
#include "sk-error.h"

static char       *dir;
static char       *template_data;
static gsize       template_length;
static guint       n_files;
static SkDatabase *empty;

/* Closes a database from open_empty () and removes its file. */
static void
close_database (SkDatabase *db)
{
  g_autofree char *path = g_strdup (g_object_get_data (G_OBJECT (db), "fuzz-path"));

  g_object_unref (db);
  sk_fuzz_remove_database (path);
}

/* A database that close_database () removes when it goes. */
typedef SkDatabase FuzzDatabase;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FuzzDatabase, close_database)

static SkDatabase *
open_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("%s/db-%u.db", dir, n_files++);
  SkDatabase      *db;

  if (!g_file_set_contents (path, template_data, template_length, &error))
    sk_fuzz_fail ("cannot write %s: %s", path, error->message);
  db = sk_database_open (path, &error);
  if (db == NULL)
    sk_fuzz_fail ("cannot open a database: %s", error->message);
  g_object_set_data_full (G_OBJECT (db), "fuzz-path", g_steal_pointer (&path), g_free);
  return db;
}

static void
clean_up (void)
{
  g_autofree char *template = g_build_filename (dir, "template.db", NULL);

  g_clear_pointer (&empty, close_database);
  sk_fuzz_remove_database (template);
  g_rmdir (dir);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autofree char *template = NULL;

  sk_fuzz_init ();
  dir = sk_fuzz_make_dir ();
  template = g_build_filename (dir, "template.db", NULL);
  db = sk_database_open (template, &error);
  if (db == NULL)
    sk_fuzz_fail ("cannot make the template database: %s", error->message);
  /* Closing checkpoints the journal into the file. */
  g_clear_object (&db);
  if (!g_file_get_contents (template, &template_data, &template_length, &error))
    sk_fuzz_fail ("cannot read the template database: %s", error->message);
  atexit (clean_up);
  empty = open_empty ();
  return 0;
}

/* The export of @db as text, checked. */
static char *
export_text (SkDatabase *db)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = sk_database_export (db, &error);
  char *text;

  if (root == NULL)
    sk_fuzz_fail ("an imported database does not export: %s", error->message);
  text = sk_json_to_string (root, FALSE);
  sk_fuzz_check_json_text (text, strlen (text));
  return text;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) reread = NULL;
  g_autoptr (FuzzDatabase) imported = NULL;
  g_autoptr (FuzzDatabase) second = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  /* skidka-cli reads the document with sk_json_parse, as here. */
  if (!g_utf8_validate ((const char *)data, size, NULL))
    return 0;
  root = sk_json_parse ((const char *)data, size, &error);
  if (root == NULL)
    return 0;
  if (!sk_database_import (empty, root, &error))
    {
      g_autoptr (GPtrArray) stores = sk_database_list_stores (empty, NULL);

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
