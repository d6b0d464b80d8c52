/* sk-database-products.c: the chain's products: edits with a version, barcodes, a searchable list,
 * and a price list imported all or nothing. SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sk-database-private.h"
#include "sk-error.h"

/* A search reads products a chunk at a time by SKU and keeps those that
 * match, so a page is full whatever the query (casefolding in C, as
 * neither backend's LIKE folds Cyrillic). */
#define SEARCH_CHUNK 500

static char *
fold (const char *text)
{
  g_autofree char *normalized = NULL;

  if (text == NULL)
    return NULL;
  normalized = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);
  return normalized != NULL ? g_utf8_casefold (normalized, -1) : NULL;
}

/* Categories: one spelling each */

/* The categories of the products (other than @except_sku), by their
 * casefolded form. */
static GHashTable *
load_categories (SkDatabase *self, const char *except_sku, GError **error)
{
  g_autoptr (GHashTable) categories
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  SkStmt  *stmt = sk_db_query (self, error,
                               "SELECT DISTINCT category FROM products"
                                " WHERE category IS NOT NULL AND sku <> ? ORDER BY category",
                               "s", except_sku ? except_sku : "");
  gboolean has_row = FALSE;

  if (stmt == NULL)
    return NULL;
  while (sk_db_step (self, stmt, &has_row, error))
    {
      const char *category;

      if (!has_row)
        {
          sk_stmt_reset (stmt);
          return g_steal_pointer (&categories);
        }
      category = sk_stmt_text (stmt, 0);
      if (category != NULL && !g_hash_table_contains (categories, category))
        {
          char *key = fold (category);

          if (key != NULL && !g_hash_table_contains (categories, key))
            g_hash_table_insert (categories, key, g_strdup (category));
          else
            g_free (key);
        }
    }
  return NULL;
}

/* "toys" becomes "Toys" when products are in "Toys" already: a category is
 * what rules and charts group by, so it has one spelling. A new one is
 * remembered in @categories with the spelling it came with. */
static void
canonical_category (GHashTable *categories, SkProduct *product)
{
  g_autofree char *key = fold (product->category);
  const char      *known;

  if (key == NULL)
    return;
  known = g_hash_table_lookup (categories, key);
  if (known != NULL)
    sk_set_str (&product->category, known);
  else
    g_hash_table_insert (categories, g_steal_pointer (&key), g_strdup (product->category));
}

/* Reading */

static SkProduct *
query_one (SkDatabase *self, const char *sql, const char *value, GError **error)
{
  g_autoptr (GPtrArray) rows = sk_db_query_records (
      self, sk_db_query (self, error, sql, "s", value), SK_TYPE_PRODUCT, error);

  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_object_ref (g_ptr_array_index (rows, 0));
}

SkProduct *
sk_database_get_product (SkDatabase *self, const char *sku, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  SkProduct *product;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  if (sku == NULL)
    {
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, "sku", _ ("No product given"));
      return NULL;
    }
  product = query_one (self, "SELECT * FROM products WHERE sku = ?", sku, &local_error);
  if (product == NULL && local_error == NULL)
    sk_set_field_error (&local_error, SK_ERROR_NOT_FOUND, "sku", _ ("There is no product %s"), sku);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return product;
}

SkProduct *
sk_database_find_product_by_code (SkDatabase *self, const char *code, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *trimmed = NULL;
  SkProduct       *product;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  trimmed = g_strstrip (g_strdup (code ? code : ""));
  if (*trimmed == '\0')
    {
      sk_set_field_error (error, SK_ERROR_NOT_FOUND, "code", _ ("No barcode or SKU given"));
      return NULL;
    }
  product = query_one (self, "SELECT * FROM products WHERE barcode = ?", trimmed, &local_error);
  if (product == NULL && local_error == NULL)
    product = query_one (self, "SELECT * FROM products WHERE sku = ?", trimmed, &local_error);
  if (product == NULL && local_error == NULL)
    sk_set_field_error (&local_error, SK_ERROR_NOT_FOUND, "code",
                        _ ("No product has the barcode or SKU “%s”"), trimmed);
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return product;
}

GPtrArray *
sk_database_list_products (SkDatabase *self, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);
  return sk_db_query_records (
      self, sk_db_query (self, error, "SELECT * FROM products ORDER BY category, name, sku", NULL),
      SK_TYPE_PRODUCT, error);
}

static gboolean
matches (SkProduct *product, const char *folded_query)
{
  const char *texts[] = { product->sku, product->name, product->category, product->barcode };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *folded = fold (texts[i]);

      if (folded != NULL && strstr (folded, folded_query) != NULL)
        return TRUE;
    }
  return FALSE;
}

GPtrArray *
sk_database_search_products (SkDatabase *self,
                             const char *query,
                             const char *cursor,
                             guint       limit,
                             char      **next_cursor,
                             GError    **error)
{
  g_autoptr (GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *trimmed = g_strstrip (g_strdup (query ? query : ""));
  g_autofree char *folded = *trimmed != '\0' ? fold (trimmed) : NULL;
  g_autofree char *after = NULL;

  g_return_val_if_fail (SK_IS_DATABASE (self), NULL);

  if (next_cursor != NULL)
    *next_cursor = NULL;
  limit = CLAMP (limit, 1, 1000);
  /* The cursor is the last SKU given, base64: opaque to clients. */
  if (cursor != NULL && *cursor != '\0')
    {
      gsize length = 0;

      after = (char *)g_base64_decode (cursor, &length);
      if (after == NULL || length == 0 || !g_utf8_validate (after, length, NULL))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "cursor", _ ("The cursor is not valid"));
          return NULL;
        }
      after = g_realloc (after, length + 1);
      after[length] = '\0';
    }

  /* One row more than the page, to know whether there is a next one. */
  for (;;)
    {
      g_autoptr (GPtrArray) chunk = sk_db_query_records (
          self,
          sk_db_query (self, error, "SELECT * FROM products WHERE sku > ? ORDER BY sku LIMIT ?",
                       "si", after ? after : "", (gint64)(folded ? SEARCH_CHUNK : limit + 1)),
          SK_TYPE_PRODUCT, error);

      if (chunk == NULL)
        return NULL;
      for (guint i = 0; i < chunk->len && page->len <= limit; i++)
        {
          SkProduct *product = g_ptr_array_index (chunk, i);

          if (folded == NULL || matches (product, folded))
            g_ptr_array_add (page, g_object_ref (product));
        }
      if (page->len > limit || chunk->len == 0 || folded == NULL || chunk->len < SEARCH_CHUNK)
        break;
      g_free (after);
      after = g_strdup (((SkProduct *)g_ptr_array_index (chunk, chunk->len - 1))->sku);
    }
  if (page->len > limit)
    {
      const char *last = ((SkProduct *)g_ptr_array_index (page, limit - 1))->sku;

      g_ptr_array_set_size (page, limit);
      if (next_cursor != NULL)
        *next_cursor = g_base64_encode ((const guchar *)last, strlen (last));
    }
  return g_steal_pointer (&page);
}

/* Writing */

/* A barcode another product has: SK_ERROR_CONFLICT naming it. */
static gboolean
barcode_free (SkDatabase *self, SkProduct *product, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SkProduct) holder = NULL;

  if (product->barcode == NULL)
    return TRUE;
  holder = query_one (self, "SELECT * FROM products WHERE barcode = ? ", product->barcode,
                      &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (holder != NULL && g_strcmp0 (holder->sku, product->sku) != 0)
    {
      sk_set_field_error (error, SK_ERROR_CONFLICT, "barcode",
                          _ ("The barcode %s is the product %s's already"), product->barcode,
                          holder->sku);
      return FALSE;
    }
  return TRUE;
}

static void
stale (gint64 version, GError **error)
{
  g_autofree char *yours = g_strdup_printf ("%" G_GINT64_FORMAT, version);

  sk_set_field_error (error, SK_ERROR_STALE, "version",
                      _ ("Someone else changed this product meanwhile (your version %s); reload "
                         "it and try again"),
                      yours);
}

static gboolean
insert_product (SkDatabase *self, SkProduct *product, GError **error)
{
  product->version = 1;
  return sk_db_insert_record (self, "products", SK_RECORD (product), error);
}

/* The new values under the version the caller read; 0 rows: gone or stale. */
static gboolean
update_product (SkDatabase *self, SkProduct *product, GError **error)
{
  if (!sk_db_exec (self, error,
                   "UPDATE products SET name = ?, category = ?, price = ?, barcode = ?,"
                   " version = version + 1 WHERE sku = ? AND version = ?",
                   "ssissi", product->name, product->category, product->price, product->barcode,
                   product->sku, product->version))
    return FALSE;
  if (sk_db_changes (self) == 0)
    {
      if (sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM products WHERE sku = ?", "s",
                           product->sku)
          == 0)
        sk_set_field_error (error, SK_ERROR_NOT_FOUND, "sku", _ ("There is no product %s"),
                            product->sku);
      else
        stale (product->version, error);
      return FALSE;
    }
  product->version++;
  return TRUE;
}

gboolean
sk_database_save_product (SkDatabase *self, SkProduct *product, GError **error)
{
  g_autoptr (GHashTable) categories = NULL;
  gint64 version;

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (SK_IS_PRODUCT (product), FALSE);

  sk_product_tidy (product);
  if (!sk_product_validate (product, error))
    return FALSE;
  version = product->version;
  if (!sk_db_begin (self, error))
    return FALSE;
  categories = load_categories (self, product->sku, error);
  if (categories == NULL)
    goto fail;
  canonical_category (categories, product);
  if (!barcode_free (self, product, error))
    goto fail;
  if (version == 0)
    {
      if (sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM products WHERE sku = ?", "s",
                           product->sku)
          > 0)
        {
          sk_set_field_error (error, SK_ERROR_CONFLICT, "sku", _ ("There is a product %s already"),
                              product->sku);
          goto fail;
        }
      if (!insert_product (self, product, error))
        goto fail;
    }
  else if (!update_product (self, product, error))
    goto fail;
  if (sk_db_commit (self, error))
    return TRUE;
  product->version = version;
  return FALSE;

fail:
  /* Nothing was saved: saving the same record again is no stale edit. */
  sk_db_rollback (self);
  product->version = version;
  return FALSE;
}

gboolean
sk_database_delete_product (SkDatabase *self, const char *sku, gint64 version, GError **error)
{
  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (sku != NULL, FALSE);

  if (version > 0 ? !sk_db_exec (self, error, "DELETE FROM products WHERE sku = ? AND version = ?",
                                 "si", sku, version)
                  : !sk_db_exec (self, error, "DELETE FROM products WHERE sku = ?", "s", sku))
    return FALSE;
  if (sk_db_changes (self) > 0)
    return TRUE;
  if (sk_db_query_int (self, NULL, 0, "SELECT count(*) FROM products WHERE sku = ?", "s", sku) == 0)
    sk_set_field_error (error, SK_ERROR_NOT_FOUND, "sku", _ ("There is no product %s"), sku);
  else
    stale (version, error);
  return FALSE;
}

/* Importing a price list */

static gboolean
same_product (SkProduct *a, SkProduct *b)
{
  return g_strcmp0 (a->name, b->name) == 0 && g_strcmp0 (a->category, b->category) == 0
         && a->price == b->price && g_strcmp0 (a->barcode, b->barcode) == 0;
}

static void
unref_product (gpointer product)
{
  if (product != NULL)
    g_object_unref (product);
}

/* The stored product of each row (NULL: new), and the rows whose barcode
 * a product outside the file has (errors of @csv). */
static GPtrArray *
read_existing (SkDatabase *self, SkProductsCsv *csv, GHashTable *in_file, GError **error)
{
  g_autoptr (GPtrArray) existing = g_ptr_array_new_with_free_func (unref_product);

  for (guint i = 0; i < csv->products->len; i++)
    {
      SkProduct *product = g_ptr_array_index (csv->products, i);
      g_autoptr (GError) local_error = NULL;
      g_autoptr (SkProduct) holder = NULL;
      SkProduct *stored;

      stored = query_one (self, "SELECT * FROM products WHERE sku = ?", product->sku, &local_error);
      if (local_error == NULL && product->barcode != NULL)
        holder = query_one (self, "SELECT * FROM products WHERE barcode = ?", product->barcode,
                            &local_error);
      if (local_error != NULL)
        {
          g_clear_object (&stored);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_ptr_array_add (existing, stored);
      /* A product of the file gives its barcode up to another of the file. */
      if (holder != NULL && g_strcmp0 (holder->sku, product->sku) != 0
          && !g_hash_table_contains (in_file, holder->sku))
        sk_products_csv_add_error (csv, g_array_index (csv->lines, guint, i), "barcode",
                                   _ ("The barcode %s is the product %s's already"),
                                   product->barcode, holder->sku);
    }
  return g_steal_pointer (&existing);
}

gboolean
sk_database_import_products (SkDatabase      *self,
                             SkProductsCsv   *csv,
                             SkProductImport *counts,
                             GError         **error)
{
  g_autoptr (GHashTable) in_file = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) categories = NULL;
  g_autoptr (GPtrArray) existing = NULL;
  SkProductImport result = { 0 };

  g_return_val_if_fail (SK_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (csv != NULL && counts != NULL, FALSE);

  if (csv->n_errors > 0)
    {
      sk_products_csv_set_error (csv, error);
      return FALSE;
    }
  for (guint i = 0; i < csv->products->len; i++)
    g_hash_table_add (in_file, ((SkProduct *)g_ptr_array_index (csv->products, i))->sku);

  if (!sk_db_begin (self, error))
    return FALSE;
  existing = read_existing (self, csv, in_file, error);
  if (existing == NULL)
    goto fail;
  if (csv->n_errors > 0)
    {
      sk_products_csv_set_error (csv, error);
      goto fail;
    }
  categories = load_categories (self, NULL, error);
  if (categories == NULL)
    goto fail;
  /* A price list without a category or barcode column leaves them be. */
  for (guint i = 0; i < csv->products->len; i++)
    {
      SkProduct *product = g_ptr_array_index (csv->products, i);
      SkProduct *stored = g_ptr_array_index (existing, i);

      if (stored != NULL && !csv->has_category)
        sk_set_str (&product->category, stored->category);
      if (stored != NULL && !csv->has_barcode)
        sk_set_str (&product->barcode, stored->barcode);
    }

  /* Barcodes that move between products of the file are let go first, so
   * that the unique index never sees one twice midway (a swap). */
  for (guint i = 0; i < csv->products->len; i++)
    {
      SkProduct *product = g_ptr_array_index (csv->products, i);
      SkProduct *stored = g_ptr_array_index (existing, i);

      if (stored != NULL && stored->barcode != NULL
          && g_strcmp0 (stored->barcode, product->barcode) != 0
          && !sk_db_exec (self, error, "UPDATE products SET barcode = NULL WHERE sku = ?", "s",
                          product->sku))
        goto fail;
    }
  for (guint i = 0; i < csv->products->len; i++)
    {
      SkProduct *product = g_ptr_array_index (csv->products, i);
      SkProduct *stored = g_ptr_array_index (existing, i);

      canonical_category (categories, product);
      if (stored == NULL)
        {
          if (!insert_product (self, product, error))
            goto fail;
          result.created++;
        }
      else if (same_product (stored, product))
        {
          product->version = stored->version;
          result.unchanged++;
        }
      else
        {
          product->version = stored->version;
          if (!update_product (self, product, error))
            goto fail;
          result.updated++;
        }
    }
  if (!sk_db_commit (self, error))
    return FALSE;
  *counts = result;
  return TRUE;

fail:
  sk_db_rollback (self);
  return FALSE;
}

static const SkMember import_members[] = {
  SK_MEMBER (SkProductImport, INT64, created),
  SK_MEMBER (SkProductImport, INT64, updated),
  SK_MEMBER (SkProductImport, INT64, unchanged),
};

JsonNode *
sk_product_import_to_json (const SkProductImport *counts)
{
  g_return_val_if_fail (counts != NULL, NULL);
  return sk_json_from_struct (counts, import_members, G_N_ELEMENTS (import_members));
}

gboolean
sk_product_import_from_json (JsonNode *node, SkProductImport *counts)
{
  memset (counts, 0, sizeof *counts);
  return sk_json_to_struct (node, counts, import_members, G_N_ELEMENTS (import_members));
}
