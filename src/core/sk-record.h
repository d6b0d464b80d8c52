/* sk-record.h: base class of the domain objects; fields described once give
 * GObject properties and the JSON shape of SPEC section 5.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Timestamps are gint64 microseconds since the Unix epoch, UTC; 0 means
 * "not set" (JSON null). */
#define SK_TIME_NONE ((gint64)0)

typedef enum
{
  SK_FIELD_STRING,
  SK_FIELD_INT64,
  SK_FIELD_BOOL,
  SK_FIELD_STRV,
  SK_FIELD_TIME,
  SK_FIELD_AMOUNTS, /* a GArray of gint64 (NULL: none), a JSON array of whole numbers */
} SkFieldType;

typedef enum
{
  SK_FIELD_NONE = 0,
  SK_FIELD_REQUIRED = 1 << 0, /* from_json refuses a record without it */
  SK_FIELD_READONLY = 1 << 1, /* computed: written by the server, ignored on input */
  SK_FIELD_NULLABLE = 1 << 2, /* an int64 that may be null in JSON (0 = none) */
  SK_FIELD_NO_JSON = 1 << 3,  /* a property only: the JSON shape nests it (consent) */
  SK_FIELD_COMPUTED = 1 << 4, /* derived on reading; no column of its own */
} SkFieldFlags;

typedef struct
{
  const char  *name; /* snake_case: the JSON member and SQL column */
  SkFieldType  type;
  gsize        offset; /* within the instance struct */
  SkFieldFlags flags;
} SkField;

#define SK_TYPE_RECORD (sk_record_get_type ())
G_DECLARE_DERIVABLE_TYPE (SkRecord, sk_record, SK, RECORD, GObject)

struct _SkRecordClass
{
  GObjectClass parent_class;

  const SkField *fields;
  guint          n_fields;

  /* Members outside the flat fields (children, lines, consent). */
  void (*to_json_extra) (SkRecord *self, JsonBuilder *builder);
  gboolean (*from_json_extra) (SkRecord *self, JsonObject *object, GError **error);
};

/* Called from a subclass's class_init: installs one property per field. */
void sk_record_class_install_fields (SkRecordClass *klass, const SkField *fields, guint n_fields);

JsonNode *sk_record_to_json (SkRecord *self);
void      sk_record_build_json (SkRecord *self, JsonBuilder *builder);
/* Creates a record of @type from a JSON object. Type errors and missing
 * required fields give SK_ERROR_MALFORMED naming the field. */
gpointer sk_record_from_json (GType type, JsonNode *node, GError **error);
/* The items of a page as the REST API answers one ({"items": [...],
 * "next_cursor"}), or NULL with SK_ERROR_MALFORMED when it is not one;
 * and the same items made records of @type, *next_cursor (may be NULL)
 * the page's, NULL on the last. */
JsonArray *sk_json_page_items (JsonNode *page, GError **error);
GPtrArray *sk_records_from_page (JsonNode *page, GType type, char **next_cursor, GError **error);
/* Sets the writable fields present in @object onto @self (a partial update). */
gboolean sk_record_update_from_json (SkRecord *self, JsonObject *object, GError **error);
gpointer sk_record_copy (SkRecord *self);

/* A list field (STRV, AMOUNTS) as the JSON text a database column keeps
 * (NULL for an AMOUNTS field without a list), and read back from it. */
char *sk_record_dup_field_json (SkRecord *self, const SkField *field);
gboolean
sk_record_set_field_json (SkRecord *self, const SkField *field, const char *text, GError **error);

/* Reads one field of a record by its name in the field table ("full_name",
 * as in JSON and SQL): typed, and without the copy a property read makes,
 * for list cells and other paths that run per row. A string or list returned
 * is the record's own, valid while the field keeps its value. TIME fields
 * read as int64. A name the record lacks or a field of another type is a
 * programming error: a critical, and NULL, 0 or FALSE. Writes go through
 * properties (g_object_set), which notify. */
const char        *sk_record_get_string (gpointer record, const char *field);
gint64             sk_record_get_int64 (gpointer record, const char *field);
gboolean           sk_record_get_boolean (gpointer record, const char *field);
const char *const *sk_record_get_strv (gpointer record, const char *field);

/* JSON helpers shared by the records and the engine. */
char    *sk_time_to_rfc3339 (gint64 usec);
gboolean sk_time_from_rfc3339 (const char *text, gint64 *usec);
gint64   sk_time_now (void);
/* For display, in the user's locale: the date and local time of @usec
 * ("—" for 0). */
char *sk_datetime_from_usec (gint64 usec);
char *sk_json_to_string (JsonNode *node, gboolean pretty);
/* @node as a request body (compact); NULL for NULL. */
GBytes   *sk_json_to_bytes (JsonNode *node);
JsonNode *sk_json_parse (const char *text, gssize length, GError **error);

/* Plain structs as JSON objects: each member of a table under its name. */
typedef enum
{
  SK_MEMBER_INT64,  /* gint64 */
  SK_MEMBER_BOOL,   /* gboolean */
  SK_MEMBER_STRING, /* char * */
  SK_MEMBER_CHARS,  /* char[N] */
} SkMemberType;

typedef struct
{
  const char  *name;
  SkMemberType type;
  gsize        offset;
  gsize        size;
} SkMember;

/* The member @name of struct @Type, under its own name in JSON. */
#define SK_MEMBER(Type, type, name)                                                                \
  {                                                                                                \
    G_STRINGIFY (name), SK_MEMBER_##type, G_STRUCT_OFFSET (Type, name), sizeof (((Type *)0)->name) \
  }

/* A member of JSON another program sent, as the type asked for, or
 * @fallback when it is missing or of another type (json-glib's own getters
 * warn of a wrong type, which such JSON may well have). */
const char *sk_json_member_string (JsonObject *object, const char *name, const char *fallback);
gint64      sk_json_member_int (JsonObject *object, const char *name, gint64 fallback);
gboolean    sk_json_member_boolean (JsonObject *object, const char *name, gboolean fallback);
/* Adds @value to @builder as a string, or as null when it is NULL. */
void      sk_json_add_string_or_null (JsonBuilder *builder, const char *value);
void      sk_json_build_struct (JsonBuilder    *builder,
                                gconstpointer   data,
                                const SkMember *members,
                                guint           n_members);
JsonNode *sk_json_from_struct (gconstpointer data, const SkMember *members, guint n_members);
/* An array of the structs in @array, each an object. */
JsonNode *sk_json_from_structs (GArray *array, const SkMember *members, guint n_members);
/* The other way: @node's members into the struct at @data (a member
 * missing or of another type is zero); FALSE if @node is no object. */
gboolean
sk_json_to_struct (JsonNode *node, gpointer data, const SkMember *members, guint n_members);
/* An array of structs of @element_size from @node, an array of objects;
 * NULL if it is not one. */
GArray *sk_json_to_structs (JsonNode       *node,
                            guint           element_size,
                            const SkMember *members,
                            guint           n_members,
                            GDestroyNotify  clear_func);

/* g_set_str() arrived in GLib 2.76; Debian 12 has 2.74. */
static inline gboolean
sk_set_str (char **str_pointer, const char *new_str)
{
  char *copy;

  if (*str_pointer == new_str || (*str_pointer && new_str && strcmp (*str_pointer, new_str) == 0))
    return FALSE;
  copy = g_strdup (new_str);
  g_free (*str_pointer);
  *str_pointer = copy;
  return TRUE;
}

G_END_DECLS
