/* sk-record.c: properties and JSON for every domain object from one field table.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sk-error.h"
#include "sk-record.h"

G_DEFINE_ABSTRACT_TYPE (SkRecord, sk_record, G_TYPE_OBJECT)

#define FIELD_PTR(self, field) ((gpointer)(((guint8 *)(self)) + (field)->offset))

static const SkField *
field_for_pspec (GParamSpec *pspec, guint prop_id)
{
  SkRecordClass *klass = g_type_class_peek (pspec->owner_type);

  g_assert (prop_id >= 1 && prop_id <= klass->n_fields);
  return &klass->fields[prop_id - 1];
}

static void
sk_record_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  const SkField *field = field_for_pspec (pspec, prop_id);
  gpointer       ptr = FIELD_PTR (object, field);

  switch (field->type)
    {
    case SK_FIELD_STRING:
      g_value_set_string (value, *(char **)ptr);
      break;
    case SK_FIELD_INT64:
    case SK_FIELD_TIME:
      g_value_set_int64 (value, *(gint64 *)ptr);
      break;
    case SK_FIELD_BOOL:
      g_value_set_boolean (value, *(gboolean *)ptr);
      break;
    case SK_FIELD_STRV:
      g_value_set_boxed (value, *(char ***)ptr);
      break;
    case SK_FIELD_AMOUNTS:
      g_value_set_boxed (value, *(GArray **)ptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
strv_equal0 (char **a, char **b)
{
  if (a == NULL || b == NULL)
    return (a == NULL || a[0] == NULL) && (b == NULL || b[0] == NULL);
  return g_strv_equal ((const char *const *)a, (const char *const *)b);
}

static gboolean
amounts_equal (GArray *a, GArray *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (gint64)) == 0;
}

static void
sk_record_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  const SkField *field = field_for_pspec (pspec, prop_id);
  gpointer       ptr = FIELD_PTR (object, field);
  gboolean       changed = FALSE;

  switch (field->type)
    {
    case SK_FIELD_STRING:
      changed = sk_set_str ((char **)ptr, g_value_get_string (value));
      break;
    case SK_FIELD_INT64:
    case SK_FIELD_TIME:
      changed = *(gint64 *)ptr != g_value_get_int64 (value);
      *(gint64 *)ptr = g_value_get_int64 (value);
      break;
    case SK_FIELD_BOOL:
      changed = *(gboolean *)ptr != g_value_get_boolean (value);
      *(gboolean *)ptr = g_value_get_boolean (value);
      break;
    case SK_FIELD_STRV:
      if (!strv_equal0 (*(char ***)ptr, g_value_get_boxed (value)))
        {
          g_strfreev (*(char ***)ptr);
          *(char ***)ptr = g_value_dup_boxed (value);
          changed = TRUE;
        }
      break;
    case SK_FIELD_AMOUNTS:
      if (!amounts_equal (*(GArray **)ptr, g_value_get_boxed (value)))
        {
          g_clear_pointer ((GArray **)ptr, g_array_unref);
          *(GArray **)ptr = g_value_dup_boxed (value);
          changed = TRUE;
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }

  if (changed)
    g_object_notify_by_pspec (object, pspec);
}

static void
sk_record_finalize (GObject *object)
{
  for (GType type = G_OBJECT_TYPE (object); type != SK_TYPE_RECORD; type = g_type_parent (type))
    {
      SkRecordClass *klass = g_type_class_peek (type);

      for (guint i = 0; i < klass->n_fields; i++)
        {
          const SkField *field = &klass->fields[i];

          if (field->type == SK_FIELD_STRING)
            g_clear_pointer ((char **)FIELD_PTR (object, field), g_free);
          else if (field->type == SK_FIELD_STRV)
            g_clear_pointer ((char ***)FIELD_PTR (object, field), g_strfreev);
          else if (field->type == SK_FIELD_AMOUNTS)
            g_clear_pointer ((GArray **)FIELD_PTR (object, field), g_array_unref);
        }
    }

  G_OBJECT_CLASS (sk_record_parent_class)->finalize (object);
}

static void
sk_record_class_init (SkRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sk_record_get_property;
  object_class->set_property = sk_record_set_property;
  object_class->finalize = sk_record_finalize;
}

static void
sk_record_init (SkRecord *self)
{
}

void
sk_record_class_install_fields (SkRecordClass *klass, const SkField *fields, guint n_fields)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  klass->fields = fields;
  klass->n_fields = n_fields;
  /* GObject does not inherit these two: each class sets its own. */
  object_class->get_property = sk_record_get_property;
  object_class->set_property = sk_record_set_property;

  for (guint i = 0; i < n_fields; i++)
    {
      g_autofree char *canonical = g_strdelimit (g_strdup (fields[i].name), "_", '-');
      const char      *name = g_intern_string (canonical);
      GParamSpec      *pspec = NULL;

      switch (fields[i].type)
        {
        case SK_FIELD_STRING:
          pspec = g_param_spec_string (name, NULL, NULL, NULL, flags);
          break;
        case SK_FIELD_INT64:
        case SK_FIELD_TIME:
          pspec = g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
          break;
        case SK_FIELD_BOOL:
          pspec = g_param_spec_boolean (name, NULL, NULL, FALSE, flags);
          break;
        case SK_FIELD_STRV:
          pspec = g_param_spec_boxed (name, NULL, NULL, G_TYPE_STRV, flags);
          break;
        case SK_FIELD_AMOUNTS:
          pspec = g_param_spec_boxed (name, NULL, NULL, G_TYPE_ARRAY, flags);
          break;
        default:
          g_assert_not_reached ();
        }
      g_object_class_install_property (object_class, i + 1, pspec);
    }
}

/* Time helpers */

gint64
sk_time_now (void)
{
  return g_get_real_time ();
}

char *
sk_datetime_from_usec (gint64 usec)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autoptr (GDateTime) local = NULL;

  if (usec == 0)
    return g_strdup ("—");
  dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (dt == NULL)
    return g_strdup ("—");
  local = g_date_time_to_local (dt);
  /* The locale's date ("12/02/2026", "02.12.2026"), then the time. */
  return g_date_time_format (local, "%x %H:%M");
}

char *
sk_time_to_rfc3339 (gint64 usec)
{
  g_autoptr (GDateTime) seconds = NULL;
  g_autoptr (GDateTime) dt = NULL;

  seconds = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (seconds == NULL)
    return NULL;
  dt = g_date_time_add (seconds, usec % G_USEC_PER_SEC);
  return g_date_time_format_iso8601 (dt);
}

gboolean
sk_time_from_rfc3339 (const char *text, gint64 *usec)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) dt = NULL;

  if (text == NULL)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    return FALSE;
  *usec = g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
  return TRUE;
}

char *
sk_json_to_string (JsonNode *node, gboolean pretty)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GString) escaped = NULL;
  char *text;

  json_generator_set_pretty (gen, pretty);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  /* json-glib 1.6 escapes every control character but U+001F, which JSON
   * forbids raw too (SQLite's json_each () refuses it). The generator
   * writes that byte only inside strings, so escaping each one is safe. */
  if (strchr (text, 0x1f) == NULL)
    return text;
  escaped = g_string_new (NULL);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == 0x1f)
        g_string_append (escaped, "\\u001f");
      else
        g_string_append_c (escaped, *p);
    }
  g_free (text);
  return g_string_free (g_steal_pointer (&escaped), FALSE);
}

/* @object's member @name if it is a value of @type. */
static JsonNode *
member_of_type (JsonObject *object, const char *name, GType type)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type
             ? node
             : NULL;
}

const char *
sk_json_member_string (JsonObject *object, const char *name, const char *fallback)
{
  JsonNode *node = member_of_type (object, name, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : fallback;
}

gint64
sk_json_member_int (JsonObject *object, const char *name, gint64 fallback)
{
  JsonNode *node = member_of_type (object, name, G_TYPE_INT64);

  return node != NULL ? json_node_get_int (node) : fallback;
}

gboolean
sk_json_member_boolean (JsonObject *object, const char *name, gboolean fallback)
{
  JsonNode *node = member_of_type (object, name, G_TYPE_BOOLEAN);

  return node != NULL ? json_node_get_boolean (node) : fallback;
}

void
sk_json_add_string_or_null (JsonBuilder *builder, const char *value)
{
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
sk_json_build_struct (JsonBuilder    *builder,
                      gconstpointer   data,
                      const SkMember *members,
                      guint           n_members)
{
  gpointer base = (gpointer)data;

  json_builder_begin_object (builder);
  for (guint i = 0; i < n_members; i++)
    {
      const SkMember *m = &members[i];

      json_builder_set_member_name (builder, m->name);
      switch (m->type)
        {
        case SK_MEMBER_INT64:
          json_builder_add_int_value (builder, G_STRUCT_MEMBER (gint64, base, m->offset));
          break;
        case SK_MEMBER_BOOL:
          json_builder_add_boolean_value (builder, G_STRUCT_MEMBER (gboolean, base, m->offset));
          break;
        case SK_MEMBER_STRING:
          json_builder_add_string_value (builder, G_STRUCT_MEMBER (const char *, base, m->offset));
          break;
        case SK_MEMBER_CHARS:
          json_builder_add_string_value (builder, G_STRUCT_MEMBER_P (base, m->offset));
          break;
        default:
          g_assert_not_reached ();
        }
    }
  json_builder_end_object (builder);
}

JsonNode *
sk_json_from_struct (gconstpointer data, const SkMember *members, guint n_members)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  sk_json_build_struct (builder, data, members, n_members);
  return json_builder_get_root (builder);
}

JsonNode *
sk_json_from_structs (GArray *array, const SkMember *members, guint n_members)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  gsize size = g_array_get_element_size (array);

  json_builder_begin_array (builder);
  for (guint i = 0; i < array->len; i++)
    sk_json_build_struct (builder, array->data + i * size, members, n_members);
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

gboolean
sk_json_to_struct (JsonNode *node, gpointer data, const SkMember *members, guint n_members)
{
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  object = json_node_get_object (node);
  for (guint i = 0; i < n_members; i++)
    {
      const SkMember *m = &members[i];

      switch (m->type)
        {
        case SK_MEMBER_INT64:
          G_STRUCT_MEMBER (gint64, data, m->offset) = sk_json_member_int (object, m->name, 0);
          break;
        case SK_MEMBER_BOOL:
          G_STRUCT_MEMBER (gboolean, data, m->offset)
              = sk_json_member_boolean (object, m->name, FALSE);
          break;
        case SK_MEMBER_STRING:
          sk_set_str (&G_STRUCT_MEMBER (char *, data, m->offset),
                      sk_json_member_string (object, m->name, NULL));
          break;
        case SK_MEMBER_CHARS:
          g_strlcpy (G_STRUCT_MEMBER_P (data, m->offset),
                     sk_json_member_string (object, m->name, ""), m->size);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

GArray *
sk_json_to_structs (JsonNode       *node,
                    guint           element_size,
                    const SkMember *members,
                    guint           n_members,
                    GDestroyNotify  clear_func)
{
  g_autoptr (GArray) array = NULL;
  JsonArray *items;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  items = json_node_get_array (node);
  array = g_array_sized_new (FALSE, TRUE, element_size, json_array_get_length (items));
  if (clear_func != NULL)
    g_array_set_clear_func (array, clear_func);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      g_array_set_size (array, i + 1);
      if (!sk_json_to_struct (json_array_get_element (items, i),
                              array->data + (gsize)i * element_size, members, n_members))
        return NULL;
    }
  return g_steal_pointer (&array);
}

/* How deep arrays and objects may nest. Our documents are a few levels
 * deep; json-glib's parser recurses once per level and overflows a worker
 * thread's stack at some tens of thousands, so deeper input is refused
 * before it sees it. */
#define SK_JSON_MAX_DEPTH 64

typedef enum
{
  JSON_SHAPE_OK,
  JSON_SHAPE_TOO_DEEP,
  JSON_SHAPE_MORE_THAN_ONE,
} JsonShape;

/* Is @text one JSON value, nested no deeper than SK_JSON_MAX_DEPTH?
 * json-glib 1.6 reads containers after the root ("{...}{...}", "1 [...]"),
 * keeps the first and leaks the others: a body with a megabyte after its
 * object leaked a megabyte per request. Nothing but whitespace may follow
 * the first value. Too deep anywhere, even after it, is told first. */
static JsonShape
json_shape (const char *text, gsize length)
{
  gboolean in_string = FALSE;
  gboolean seen = FALSE;  /* the first value has begun */
  gboolean done = FALSE;  /* and ended */
  gboolean extra = FALSE; /* and more came after it: only the depth counts now */
  guint    depth = 0;
  gsize    i = 0;

  /* json-glib skips a byte order mark, so may we. */
  if (length >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  for (; i < length; i++)
    {
      char c = text[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            {
              in_string = FALSE;
              done = depth == 0;
            }
          continue;
        }
      if (depth == 0 && !extra)
        {
          if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            {
              done = seen;
              continue;
            }
          if (done || (seen && (c == '"' || c == '[' || c == '{')))
            extra = TRUE;
          seen = TRUE;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > SK_JSON_MAX_DEPTH)
            return JSON_SHAPE_TOO_DEEP;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        done = --depth == 0;
    }
  return extra ? JSON_SHAPE_MORE_THAN_ONE : JSON_SHAPE_OK;
}

/* The code unit of the "\\uXXXX" escape at @p (4 hex digits after "\\u"
 * at p[0..1]), or -1 if there is none within @end. */
static gint
json_escape_unit (const char *p, const char *end)
{
  gint unit = 0;

  if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
    return -1;
  for (guint k = 2; k < 6; k++)
    {
      gint digit = g_ascii_xdigit_value (p[k]);

      if (digit < 0)
        return -1;
      unit = unit * 16 + digit;
    }
  return unit;
}

/* Does every surrogate escape in @text come as a pair, high then low?
 * json-glib 1.6 leaks its string buffer when it meets a malformed pair
 * ("\\ude00\\ud83d"): 152 bytes per request body, found by
 * LeakSanitizer. Checked here, json-glib never sees one. */
static gboolean
json_surrogates_paired (const char *text, gsize length)
{
  const char *end = text + length;
  gboolean    in_string = FALSE;

  for (const char *p = text; p < end; p++)
    {
      gint unit;

      if (!in_string)
        {
          in_string = *p == '"';
          continue;
        }
      if (*p == '"')
        {
          in_string = FALSE;
          continue;
        }
      if (*p != '\\')
        continue;
      unit = json_escape_unit (p, end);
      if (unit < 0xd800 || unit > 0xdfff)
        {
          p++; /* the escaped character (a "\\u" without four digits is json-glib's to refuse) */
          continue;
        }
      if (unit >= 0xdc00)
        return FALSE;
      unit = json_escape_unit (p + 6, end);
      if (unit < 0xdc00 || unit > 0xdfff)
        return FALSE;
      p += 11;
    }
  return TRUE;
}

/* Are every string and member name in @node UTF-8? json-glib 1.6 decodes
 * a lone surrogate escape ("\\ud800") into bytes that are not. The depth
 * check above bounds the recursion. */
static gboolean
json_strings_valid (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char    *name;
      JsonNode      *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_utf8_validate (name, -1, NULL) || !json_strings_valid (member))
          return FALSE;
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!json_strings_valid (json_array_get_element (array, i)))
          return FALSE;
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_utf8_validate (json_node_get_string (node), -1, NULL);
  return TRUE;
}

GBytes *
sk_json_to_bytes (JsonNode *node)
{
  char *text;

  if (node == NULL)
    return NULL;
  text = sk_json_to_string (node, FALSE);
  return g_bytes_new_take (text, strlen (text));
}

JsonNode *
sk_json_parse (const char *text, gssize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (text != NULL, NULL);

  if (length < 0)
    length = strlen (text);
  switch (json_shape (text, length))
    {
    case JSON_SHAPE_TOO_DEEP:
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                          "Malformed JSON: nested deeper than %d levels", SK_JSON_MAX_DEPTH);
      return NULL;
    case JSON_SHAPE_MORE_THAN_ONE:
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, "Malformed JSON: more than one value");
      return NULL;
    case JSON_SHAPE_OK:
    default:
      break;
    }
  if (!json_surrogates_paired (text, length))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                          "Malformed JSON: a lone surrogate escape");
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, length, &local_error))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, "Malformed JSON: %s",
                          local_error->message);
      return NULL;
    }
  /* The parser's tree itself, not a copy of it. */
  root = json_parser_steal_root (parser);
  if (root == NULL)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, "Empty JSON document");
      return NULL;
    }
  if (!json_strings_valid (root))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                          "Malformed JSON: a string is not valid Unicode");
      json_node_unref (root);
      return NULL;
    }
  return root;
}

/* JSON */

static void
build_field (SkRecord *self, const SkField *field, JsonBuilder *builder)
{
  gpointer ptr = FIELD_PTR (self, field);

  json_builder_set_member_name (builder, field->name);
  switch (field->type)
    {
    case SK_FIELD_STRING:
      sk_json_add_string_or_null (builder, *(char **)ptr);
      break;
    case SK_FIELD_INT64:
      if ((field->flags & SK_FIELD_NULLABLE) && *(gint64 *)ptr == 0)
        json_builder_add_null_value (builder);
      else
        json_builder_add_int_value (builder, *(gint64 *)ptr);
      break;
    case SK_FIELD_BOOL:
      json_builder_add_boolean_value (builder, *(gboolean *)ptr);
      break;
    case SK_FIELD_STRV:
      json_builder_begin_array (builder);
      for (char **s = *(char ***)ptr; s != NULL && *s != NULL; s++)
        json_builder_add_string_value (builder, *s);
      json_builder_end_array (builder);
      break;
    case SK_FIELD_AMOUNTS:
      if (*(GArray **)ptr == NULL)
        {
          json_builder_add_null_value (builder);
          break;
        }
      json_builder_begin_array (builder);
      for (guint i = 0; i < (*(GArray **)ptr)->len; i++)
        json_builder_add_int_value (builder, g_array_index (*(GArray **)ptr, gint64, i));
      json_builder_end_array (builder);
      break;
    case SK_FIELD_TIME:
      if (*(gint64 *)ptr != SK_TIME_NONE)
        {
          g_autofree char *text = sk_time_to_rfc3339 (*(gint64 *)ptr);
          json_builder_add_string_value (builder, text);
        }
      else
        json_builder_add_null_value (builder);
      break;
    default:
      g_assert_not_reached ();
    }
}

void
sk_record_build_json (SkRecord *self, JsonBuilder *builder)
{
  SkRecordClass *klass;

  g_return_if_fail (SK_IS_RECORD (self));

  klass = SK_RECORD_GET_CLASS (self);
  json_builder_begin_object (builder);
  for (guint i = 0; i < klass->n_fields; i++)
    if (!(klass->fields[i].flags & SK_FIELD_NO_JSON))
      build_field (self, &klass->fields[i], builder);
  if (klass->to_json_extra != NULL)
    klass->to_json_extra (self, builder);
  json_builder_end_object (builder);
}

JsonNode *
sk_record_to_json (SkRecord *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (SK_IS_RECORD (self), NULL);

  sk_record_build_json (self, builder);
  return json_builder_get_root (builder);
}

static gboolean
is_integer_node (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
read_field (SkRecord *self, const SkField *field, JsonNode *node, GError **error)
{
  gpointer ptr = FIELD_PTR (self, field);
  gboolean is_null = JSON_NODE_HOLDS_NULL (node);

  switch (field->type)
    {
    case SK_FIELD_STRING:
      if (is_null)
        {
          g_clear_pointer ((char **)ptr, g_free);
          return TRUE;
        }
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        break;
      sk_set_str ((char **)ptr, json_node_get_string (node));
      return TRUE;

    case SK_FIELD_INT64:
      if (is_null && (field->flags & SK_FIELD_NULLABLE))
        {
          *(gint64 *)ptr = 0;
          return TRUE;
        }
      if (!is_integer_node (node))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, field->name, "“%s” must be a whole number",
                              field->name);
          return FALSE;
        }
      *(gint64 *)ptr = json_node_get_int (node);
      return TRUE;

    case SK_FIELD_BOOL:
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, field->name, "“%s” must be true or false",
                              field->name);
          return FALSE;
        }
      *(gboolean *)ptr = json_node_get_boolean (node);
      return TRUE;

    case SK_FIELD_STRV:
      {
        g_autoptr (GStrvBuilder) strv = g_strv_builder_new ();
        JsonArray *array;

        if (!is_null)
          {
            if (!JSON_NODE_HOLDS_ARRAY (node))
              {
                sk_set_field_error (error, SK_ERROR_MALFORMED, field->name,
                                    "“%s” must be a list of strings", field->name);
                return FALSE;
              }
            array = json_node_get_array (node);
            for (guint i = 0; i < json_array_get_length (array); i++)
              {
                JsonNode *item = json_array_get_element (array, i);

                if (!JSON_NODE_HOLDS_VALUE (item)
                    || json_node_get_value_type (item) != G_TYPE_STRING)
                  {
                    sk_set_field_error (error, SK_ERROR_MALFORMED, field->name,
                                        "“%s” must be a list of strings", field->name);
                    return FALSE;
                  }
                g_strv_builder_add (strv, json_node_get_string (item));
              }
          }
        g_strfreev (*(char ***)ptr);
        *(char ***)ptr = g_strv_builder_end (strv);
        return TRUE;
      }

    case SK_FIELD_AMOUNTS:
      {
        g_autoptr (GArray) amounts = NULL;
        JsonArray *array;

        if (!is_null && !JSON_NODE_HOLDS_ARRAY (node))
          {
            sk_set_field_error (error, SK_ERROR_MALFORMED, field->name,
                                "“%s” must be a list of whole numbers", field->name);
            return FALSE;
          }
        array = is_null ? NULL : json_node_get_array (node);
        if (array != NULL)
          amounts
              = g_array_sized_new (FALSE, FALSE, sizeof (gint64), json_array_get_length (array));
        for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
          {
            JsonNode *item = json_array_get_element (array, i);
            gint64    amount;

            if (!is_integer_node (item))
              {
                sk_set_field_error (error, SK_ERROR_MALFORMED, field->name,
                                    "“%s” must be a list of whole numbers", field->name);
                return FALSE;
              }
            amount = json_node_get_int (item);
            g_array_append_val (amounts, amount);
          }
        g_clear_pointer ((GArray **)ptr, g_array_unref);
        *(GArray **)ptr = g_steal_pointer (&amounts);
        return TRUE;
      }

    case SK_FIELD_TIME:
      if (is_null)
        {
          *(gint64 *)ptr = SK_TIME_NONE;
          return TRUE;
        }
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
          || !sk_time_from_rfc3339 (json_node_get_string (node), (gint64 *)ptr))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, field->name,
                              "“%s” must be an RFC 3339 date and time", field->name);
          return FALSE;
        }
      return TRUE;

    default:
      g_assert_not_reached ();
    }

  sk_set_field_error (error, SK_ERROR_MALFORMED, field->name, "“%s” must be a string", field->name);
  return FALSE;
}

static gboolean
read_object (SkRecord *self, JsonObject *object, gboolean partial, GError **error)
{
  SkRecordClass *klass = SK_RECORD_GET_CLASS (self);

  for (guint i = 0; i < klass->n_fields; i++)
    {
      const SkField *field = &klass->fields[i];
      JsonNode      *node;

      if (field->flags & SK_FIELD_NO_JSON)
        continue;
      node = json_object_get_member (object, field->name);
      if (node == NULL)
        {
          if (!partial && (field->flags & SK_FIELD_REQUIRED))
            {
              sk_set_field_error (error, SK_ERROR_MALFORMED, field->name, "“%s” is required",
                                  field->name);
              return FALSE;
            }
          continue;
        }
      if (partial && (field->flags & SK_FIELD_READONLY))
        continue;
      if (!read_field (self, field, node, error))
        return FALSE;
    }

  if (klass->from_json_extra != NULL && !klass->from_json_extra (self, object, error))
    return FALSE;

  return TRUE;
}

gpointer
sk_record_from_json (GType type, JsonNode *node, GError **error)
{
  g_autoptr (SkRecord) self = NULL;

  g_return_val_if_fail (g_type_is_a (type, SK_TYPE_RECORD), NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, "Expected a JSON object");
      return NULL;
    }
  self = g_object_new (type, NULL);
  if (!read_object (self, json_node_get_object (node), FALSE, error))
    return NULL;
  return g_steal_pointer (&self);
}

JsonArray *
sk_json_page_items (JsonNode *page, GError **error)
{
  JsonObject *object
      = page != NULL && JSON_NODE_HOLDS_OBJECT (page) ? json_node_get_object (page) : NULL;
  JsonNode *items = object != NULL ? json_object_get_member (object, "items") : NULL;

  if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, _ ("HQ's answer could not be read"));
      return NULL;
    }
  return json_node_get_array (items);
}

GPtrArray *
sk_records_from_page (JsonNode *page, GType type, char **next_cursor, GError **error)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  JsonArray *items = sk_json_page_items (page, error);

  if (items == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      gpointer record = sk_record_from_json (type, json_array_get_element (items, i), error);

      if (record == NULL)
        return NULL;
      g_ptr_array_add (records, record);
    }
  if (next_cursor != NULL)
    *next_cursor
        = g_strdup (sk_json_member_string (json_node_get_object (page), "next_cursor", NULL));
  return g_steal_pointer (&records);
}

gboolean
sk_record_update_from_json (SkRecord *self, JsonObject *object, GError **error)
{
  g_return_val_if_fail (SK_IS_RECORD (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  return read_object (self, object, TRUE, error);
}

gpointer
sk_record_copy (SkRecord *self)
{
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (SK_IS_RECORD (self), NULL);

  node = sk_record_to_json (self);
  return sk_record_from_json (G_OBJECT_TYPE (self), node, NULL);
}

char *
sk_record_dup_field_json (SkRecord *self, const SkField *field)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (SK_IS_RECORD (self), NULL);
  g_return_val_if_fail (field->type == SK_FIELD_STRV || field->type == SK_FIELD_AMOUNTS, NULL);

  if (field->type == SK_FIELD_AMOUNTS && *(GArray **)FIELD_PTR (self, field) == NULL)
    return NULL;
  json_builder_begin_object (builder);
  build_field (self, field, builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  return sk_json_to_string (json_object_get_member (json_node_get_object (node), field->name),
                            FALSE);
}

gboolean
sk_record_set_field_json (SkRecord *self, const SkField *field, const char *text, GError **error)
{
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (SK_IS_RECORD (self), FALSE);
  g_return_val_if_fail (field->type == SK_FIELD_STRV || field->type == SK_FIELD_AMOUNTS, FALSE);

  node = text != NULL && *text != '\0' ? sk_json_parse (text, -1, error)
                                       : json_node_new (JSON_NODE_NULL);
  return node != NULL && read_field (self, field, node, error);
}

/* Typed field reads */

static gpointer
field_ptr_of_type (gpointer record, const char *name, SkFieldType type)
{
  SkRecordClass *klass = SK_RECORD_GET_CLASS (record);

  for (guint i = 0; i < klass->n_fields; i++)
    {
      const SkField *field = &klass->fields[i];
      SkFieldType    field_type = field->type == SK_FIELD_TIME ? SK_FIELD_INT64 : field->type;

      if (strcmp (field->name, name) != 0)
        continue;
      if (field_type != type)
        {
          g_critical ("The field “%s” of %s is not read with this type", name,
                      G_OBJECT_TYPE_NAME (record));
          return NULL;
        }
      return FIELD_PTR (record, field);
    }
  g_critical ("%s has no field “%s”", G_OBJECT_TYPE_NAME (record), name);
  return NULL;
}

const char *
sk_record_get_string (gpointer record, const char *field)
{
  char **ptr;

  g_return_val_if_fail (SK_IS_RECORD (record), NULL);
  g_return_val_if_fail (field != NULL, NULL);

  ptr = field_ptr_of_type (record, field, SK_FIELD_STRING);
  return ptr != NULL ? *ptr : NULL;
}

gint64
sk_record_get_int64 (gpointer record, const char *field)
{
  gint64 *ptr;

  g_return_val_if_fail (SK_IS_RECORD (record), 0);
  g_return_val_if_fail (field != NULL, 0);

  ptr = field_ptr_of_type (record, field, SK_FIELD_INT64);
  return ptr != NULL ? *ptr : 0;
}

gboolean
sk_record_get_boolean (gpointer record, const char *field)
{
  gboolean *ptr;

  g_return_val_if_fail (SK_IS_RECORD (record), FALSE);
  g_return_val_if_fail (field != NULL, FALSE);

  ptr = field_ptr_of_type (record, field, SK_FIELD_BOOL);
  return ptr != NULL ? *ptr : FALSE;
}

const char *const *
sk_record_get_strv (gpointer record, const char *field)
{
  char ***ptr;

  g_return_val_if_fail (SK_IS_RECORD (record), NULL);
  g_return_val_if_fail (field != NULL, NULL);

  ptr = field_ptr_of_type (record, field, SK_FIELD_STRV);
  return ptr != NULL ? (const char *const *)*ptr : NULL;
}
