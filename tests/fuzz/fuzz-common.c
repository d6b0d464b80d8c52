/* fuzz-common.c: set-up and answer checks shared by the libFuzzer targets.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "fuzz-common.h"
#include "sk-record.h"

/* GLib stops a fatal message with a breakpoint (SIGTRAP), which libFuzzer
 * does not catch, so the input would be lost: abort instead. */
static GLogWriterOutput
write_log (GLogLevelFlags log_level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  GLogWriterOutput output = g_log_writer_standard_streams (log_level, fields, n_fields, user_data);

  if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
  return output;
}

void
sk_fuzz_init (void)
{
  /* ASan sees GLib's allocations one by one only without the slice cache. */
  g_setenv ("G_SLICE", "always-malloc", TRUE);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_writer_func (write_log, NULL, NULL);
}

/* The targets with nothing of their own to set up take this one; weak, so
 * a target that has defines its own. */
__attribute__ ((weak)) int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  sk_fuzz_init ();
  return 0;
}

void
sk_fuzz_fail (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  fputs ("skidka-fuzz: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
  abort ();
}

void
sk_fuzz_check_json_text (const char *text, gsize length)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) error = NULL;
  const char *end = NULL;

  if (!g_utf8_validate (text, length, &end))
    sk_fuzz_fail ("the answer is not UTF-8 at byte %" G_GSIZE_FORMAT ": %.*s", (gsize)(end - text),
                  (int)MIN (length, 400), text);
  /* json-glib reads raw control characters in strings; JSON forbids them. */
  for (gsize i = 0; i < length; i++)
    if ((guchar)text[i] < 0x20 && text[i] != '\n' && text[i] != '\r' && text[i] != '\t')
      sk_fuzz_fail ("the answer has a raw control character 0x%02x at byte %" G_GSIZE_FORMAT
                    ": %.*s",
                    (guchar)text[i], i, (int)MIN (length, 400), text);
  if (!json_parser_load_from_data (parser, text, length, &error))
    sk_fuzz_fail ("the answer is not JSON (%s): %.*s", error->message, (int)MIN (length, 400),
                  text);
}

void
sk_fuzz_check_json (JsonNode *node)
{
  g_autofree char *text = sk_json_to_string (node, FALSE);

  if (text == NULL)
    sk_fuzz_fail ("the answer could not be serialised");
  sk_fuzz_check_json_text (text, strlen (text));
}

static gboolean
holds_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_STRING;
}

void
sk_fuzz_check_error (JsonNode *node)
{
  g_autofree char *text = node != NULL ? sk_json_to_string (node, FALSE) : NULL;
  JsonObject      *root, *error;
  JsonNode        *inner, *field;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    sk_fuzz_fail ("an error answer that is not an object: %s", text ? text : "(none)");
  root = json_node_get_object (node);
  inner = json_object_get_member (root, "error");
  if (json_object_get_size (root) != 1 || inner == NULL || !JSON_NODE_HOLDS_OBJECT (inner))
    sk_fuzz_fail ("an error answer without just an \"error\" object: %s", text);
  error = json_node_get_object (inner);
  field = json_object_get_member (error, "field");
  if (json_object_get_size (error) != 3 || !holds_string (error, "code")
      || !holds_string (error, "message") || field == NULL
      || !(JSON_NODE_HOLDS_NULL (field) || holds_string (error, "field")))
    sk_fuzz_fail ("an error answer not of the documented shape {code, message, field}: %s", text);
}

char *
sk_fuzz_strndup (const uint8_t *data, size_t size)
{
  return g_strndup ((const char *)data, size);
}

char *
sk_fuzz_make_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = NULL;

  if (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR))
    dir = g_mkdtemp (g_strdup ("/dev/shm/skidka-fuzz-XXXXXX"));
  if (dir == NULL)
    dir = g_dir_make_tmp ("skidka-fuzz-XXXXXX", &error);
  if (dir == NULL)
    sk_fuzz_fail ("cannot make a folder: %s", error ? error->message : g_strerror (errno));
  return dir;
}

void
sk_fuzz_remove_database (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
}
