/* sk-engine-json.c: an engine result as the JSON of SPEC section 5
 * (discounts/calculate, pos/available-discounts).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sk-discount-engine.h"
#include "sk-model-private.h"

/* A string member; NULL (a cart line sent without a SKU) is JSON null, as a
 * string node holding NULL would stop the generator. */
static void
set_string (JsonObject *object, const char *name, const char *value)
{
  if (value == NULL)
    json_object_set_null_member (object, name);
  else
    json_object_set_string_member (object, name, value);
}

/* Rejected entries, shared between answers.
 *
 * Most of a server's answer to a cart is the rules it rejected, each with
 * its name, code and sentence: the same for every cart that is rejected by
 * the same rule for the same cause. Making them anew (four strings, a
 * translated sentence, a hash table per entry) was a fifth of what a
 * calculation cost the server. Each entry is made once and sealed; answers
 * share it by reference (a JsonNode's count is atomic, and nothing writes
 * to a sealed node).
 *
 * The key is everything the entry shows, so a rule that is renamed or
 * whose dates or minimum change simply gets new entries; the table is
 * emptied when it grows past MAX_REJECTED, so old ones do not pile up. */
#define MAX_REJECTED 4096

typedef struct
{
  const char  *rule_id;
  const char  *name;
  SkRejectCode code;
  gint64       detail;
} RejectedKey;

static GMutex      rejected_lock;
static GHashTable *rejected_entries; /* RejectedKey (own copies) → sealed JsonNode */

static guint
rejected_key_hash (gconstpointer data)
{
  const RejectedKey *key = data;
  guint              hash = g_str_hash (key->rule_id);

  hash = hash * 31 + (key->name != NULL ? g_str_hash (key->name) : 0);
  hash = hash * 31 + key->code;
  return hash * 31 + g_int64_hash (&key->detail);
}

static gboolean
rejected_key_equal (gconstpointer a, gconstpointer b)
{
  const RejectedKey *x = a;
  const RejectedKey *y = b;

  return x->code == y->code && x->detail == y->detail && g_str_equal (x->rule_id, y->rule_id)
         && g_strcmp0 (x->name, y->name) == 0;
}

/* The key and its strings in one block. */
static RejectedKey *
rejected_key_copy (const RejectedKey *key)
{
  gsize        id_size = strlen (key->rule_id) + 1;
  gsize        name_size = key->name != NULL ? strlen (key->name) + 1 : 0;
  RejectedKey *copy = g_malloc (sizeof (RejectedKey) + id_size + name_size);
  char        *strings = (char *)(copy + 1);

  *copy = *key;
  copy->rule_id = memcpy (strings, key->rule_id, id_size);
  if (key->name != NULL)
    copy->name = memcpy (strings + id_size, key->name, name_size);
  return copy;
}

static JsonNode *
rejected_entry_new (const SkEngineRejected *rejected)
{
  g_autofree char *reason = sk_reject_reason_to_string (rejected);
  JsonObject      *o = json_object_new ();
  JsonNode        *node;

  set_string (o, "rule_id", rejected->rule->id);
  set_string (o, "name", rejected->rule->name);
  set_string (o, "code", sk_reject_code_to_string (rejected->code));
  set_string (o, "reason", reason);
  node = json_node_init_object (json_node_alloc (), o);
  json_object_unref (o);
  json_node_seal (node);
  return node;
}

/* A new reference. Call with rejected_lock held. */
static JsonNode *
rejected_entry (const SkEngineRejected *rejected)
{
  RejectedKey key = { rejected->rule->id, rejected->rule->name, rejected->code, rejected->detail };
  JsonNode   *node;

  if (key.rule_id == NULL)
    return rejected_entry_new (rejected);
  if (rejected_entries == NULL)
    rejected_entries = g_hash_table_new_full (rejected_key_hash, rejected_key_equal, g_free,
                                              (GDestroyNotify)json_node_unref);
  node = g_hash_table_lookup (rejected_entries, &key);
  if (node == NULL)
    {
      if (g_hash_table_size (rejected_entries) >= MAX_REJECTED)
        g_hash_table_remove_all (rejected_entries);
      node = rejected_entry_new (rejected);
      g_hash_table_insert (rejected_entries, rejected_key_copy (&key), node);
    }
  return json_node_ref (node);
}

/* The objects are made directly, not through a JsonBuilder: a server
 * answers this for every cart, and the builder's state cost a third more. */
JsonNode *
sk_engine_result_to_json (const SkEngineResult *result, const SkCart *cart)
{
  JsonObject *root;
  JsonArray  *applied, *rejected, *lines;
  JsonNode   *node;

  g_return_val_if_fail (result != NULL && cart != NULL, NULL);

  root = json_object_new ();
  json_object_set_int_member (root, "subtotal", result->subtotal);
  json_object_set_int_member (root, "discount_total", result->discount_total);
  json_object_set_int_member (root, "total", result->total);
  json_object_set_int_member (root, "bonus_multiplier", result->bonus_multiplier);

  applied = json_array_sized_new (result->applied->len);
  for (guint i = 0; i < result->applied->len; i++)
    {
      const SkEngineApplied *a = &g_array_index (result->applied, SkEngineApplied, i);
      JsonObject            *o = json_object_new ();

      set_string (o, "rule_id", a->rule->id);
      set_string (o, "name", a->rule->name);
      set_string (o, "type", a->rule->type);
      json_object_set_int_member (o, "amount", a->amount);
      json_array_add_object_element (applied, o);
    }
  json_object_set_array_member (root, "applied", applied);

  rejected = json_array_sized_new (result->rejected->len);
  g_mutex_lock (&rejected_lock);
  for (guint i = 0; i < result->rejected->len; i++)
    json_array_add_element (
        rejected, rejected_entry (&g_array_index (result->rejected, SkEngineRejected, i)));
  g_mutex_unlock (&rejected_lock);
  json_object_set_array_member (root, "rejected", rejected);

  lines = json_array_sized_new (cart->lines->len);
  for (guint i = 0; i < cart->lines->len; i++)
    {
      const SkCartLine *line = &g_array_index (cart->lines, SkCartLine, i);
      gint64            discount = g_array_index (result->line_discounts, gint64, i);
      JsonObject       *o = json_object_new ();

      set_string (o, "sku", line->sku);
      json_object_set_int_member (o, "discount", discount);
      json_object_set_int_member (o, "total",
                                  g_array_index (result->line_totals, gint64, i) - discount);
      json_array_add_object_element (lines, o);
    }
  json_object_set_array_member (root, "lines", lines);

  node = json_node_init_object (json_node_alloc (), root);
  json_object_unref (root);
  return node;
}
