/* fuzz-pull.c: a till applying a page HQ's pull answered (sk-sync-till.c)
 * fed fuzzed pages, and the Link header of such an answer read; and a
 * till keeping a page of its store's sales HQ answered ({"items"}).
 *
 * A page is applied with its cursor in one transaction: when it is
 * refused the till's cursor is the one it had, when it is applied the
 * cursor is the page's. One till database takes every input (its data
 * grows as pages apply), in /dev/shm when there is one.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"
#include "sk-database-private.h"
#include "sk-database.h"
#include "sk-record.h"
#include "sk-sync-client.h"
#include "sk-sync-till.h"

static char       *dir;
static char       *path;
static SkDatabase *till;

static void
clean_up (void)
{
  g_clear_object (&till);
  sk_fuzz_remove_database (path);
  g_rmdir (dir);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  sk_fuzz_init ();
  dir = sk_fuzz_make_dir ();
  path = g_build_filename (dir, "till.db", NULL);
  till = sk_database_open (path, &error);
  if (till == NULL)
    sk_fuzz_fail ("cannot make the till's database: %s", error->message);
  atexit (clean_up);
  return 0;
}

static gint64
count_purchases (void)
{
  return sk_db_query_int (till, NULL, -1, "SELECT count(*) FROM purchases", NULL);
}

/* A page of the store's sales, as keep_store_sales reads and keeps it:
 * all of them, or none. */
static void
keep_sales (JsonNode *root)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sales = NULL;
  g_autofree char *cursor = NULL;
  gint64           before, kept = -1;

  sales = sk_records_from_page (root, SK_TYPE_PURCHASE, &cursor, &error);
  if (sales == NULL)
    return;
  before = count_purchases ();
  if (sk_database_keep_hq_purchases (till, sales, TRUE, &kept, &error))
    {
      if (kept < 0 || kept > (gint64)sales->len || count_purchases () > before + kept)
        sk_fuzz_fail ("%u sales kept as %" G_GINT64_FORMAT " from %" G_GINT64_FORMAT
                      " to %" G_GINT64_FORMAT,
                      sales->len, kept, before, count_purchases ());
      return;
    }
  if (error == NULL)
    sk_fuzz_fail ("sales were refused without an error");
  if (count_purchases () != before)
    sk_fuzz_fail ("sales were refused (%s), and %" G_GINT64_FORMAT " of them kept", error->message,
                  count_purchases () - before);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  JsonObject      *page;
  JsonNode        *changes, *refs;
  const char      *next;

  /* The same bytes as the Link header of HQ's answer, which names the
   * page the client asks for before it parses this one. */
  {
    g_autofree char *header = g_strndup ((const char *)data, size);
    g_autofree char *link = sk_sync_link_next (header);

    if (link != NULL && (!g_str_has_prefix (link, "/api/sync/pull?") || strchr (link, '>') != NULL))
      sk_fuzz_fail ("a Link header gave “%s”, not a page of the pull", link);
  }

  /* The client reads HQ's answer with sk_json_parse and takes a page that
   * has a changes array and a next_cursor string, and its refs when they
   * are an array, as here. */
  root = sk_json_parse ((const char *)data, (gssize)size, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;
  page = json_node_get_object (root);
  if (json_object_has_member (page, "items"))
    {
      keep_sales (root);
      return 0;
    }
  changes = json_object_get_member (page, "changes");
  refs = json_object_get_member (page, "refs");
  next = sk_json_member_string (page, "next_cursor", NULL);
  if (changes == NULL || !JSON_NODE_HOLDS_ARRAY (changes) || next == NULL)
    return 0;
  if (refs != NULL && !JSON_NODE_HOLDS_ARRAY (refs))
    refs = NULL; /* as the client takes it */

  before = sk_database_get_sync_cursor (till);
  if (sk_database_apply_changes (till, refs ? json_node_get_array (refs) : NULL,
                                 json_node_get_array (changes), next, &error))
    {
      after = sk_database_get_sync_cursor (till);
      if (g_strcmp0 (after, next) != 0)
        sk_fuzz_fail ("a page applied, and the cursor is “%s”, not its “%s”", after, next);
      return 0;
    }
  if (error == NULL)
    sk_fuzz_fail ("a page was refused without an error");
  after = sk_database_get_sync_cursor (till);
  if (g_strcmp0 (after, before) != 0)
    sk_fuzz_fail ("a page was refused (%s), and the cursor moved from “%s” to “%s”", error->message,
                  before, after);
  return 0;
}
