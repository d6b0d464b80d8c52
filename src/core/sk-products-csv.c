/* sk-products-csv.c: a small RFC 4180 reader for price lists, and what a product may hold.
 * The format is described in sk-products-csv.h.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-money.h"
#include "sk-products-csv.h"

/* Lengths in characters: a SKU and a barcode are codes, a name is a line
 * on a receipt, a category a word or two. */
#define MAX_SKU      64
#define MAX_NAME     200
#define MAX_CATEGORY 100
#define MAX_BARCODE  48

/* What a product may hold */

static gboolean
has_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* A text field: present when @required, at most @max characters, one line. */
static gboolean
check_text (const char *value, const char *column, gboolean required, glong max, GError **error)
{
  if (value == NULL || *value == '\0')
    {
      if (required)
        sk_set_field_error (error, SK_ERROR_INVALID, column, _ ("The %s is missing"), column);
      return !required;
    }
  if (!g_utf8_validate (value, -1, NULL))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, column, _ ("The %s is not UTF-8 text"), column);
      return FALSE;
    }
  if (g_utf8_strlen (value, -1) > max)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, column,
                          _ ("The %s is longer than %ld characters"), column, max);
      return FALSE;
    }
  if (has_control (value))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, column,
                          _ ("The %s has a line break or another control character"), column);
      return FALSE;
    }
  return TRUE;
}

/* GS1's check digit: the last digit makes the weighted sum (3, 1, 3, ...
 * from the right, the check digit itself weighing 1) a multiple of 10. */
static gboolean
gs1_check_digit_ok (const char *digits, gsize length)
{
  guint sum = 0;

  for (gsize i = 0; i < length; i++)
    sum += (guint)(digits[length - 1 - i] - '0') * (i % 2 == 1 ? 3 : 1);
  return sum % 10 == 0;
}

static gboolean
check_barcode (const char *barcode, GError **error)
{
  gsize    length;
  gboolean digits = TRUE;

  if (barcode == NULL)
    return TRUE;
  length = strlen (barcode);
  if (length == 0 || length > MAX_BARCODE)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "barcode", _ ("A barcode is 1 to %d characters"),
                          MAX_BARCODE);
      return FALSE;
    }
  for (gsize i = 0; i < length; i++)
    {
      if ((guchar)barcode[i] <= ' ' || (guchar)barcode[i] >= 0x7f)
        {
          sk_set_field_error (error, SK_ERROR_INVALID, "barcode",
                              _ ("A barcode is letters, digits and signs without spaces"));
          return FALSE;
        }
      digits = digits && g_ascii_isdigit (barcode[i]);
    }
  /* EAN-8, UPC-A, EAN-13, GTIN-14: a mistyped digit is caught here rather
   * than by a scanner that never finds the product. */
  if (digits && (length == 8 || length == 12 || length == 13 || length == 14)
      && !gs1_check_digit_ok (barcode, length))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "barcode",
                          _ ("“%s” is not a valid EAN/UPC barcode: its check digit is wrong"),
                          barcode);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_price (gint64 price, GError **error)
{
  if (price < 0 || price > SK_MONEY_MAX)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "price",
                          _ ("A price is from 0 to 10 000 000 000 rubles"));
      return FALSE;
    }
  return TRUE;
}

gboolean
sk_product_validate (SkProduct *product, GError **error)
{
  g_return_val_if_fail (SK_IS_PRODUCT (product), FALSE);

  return check_text (product->sku, "sku", TRUE, MAX_SKU, error)
         && check_text (product->name, "name", TRUE, MAX_NAME, error)
         && check_price (product->price, error)
         && check_text (product->category, "category", FALSE, MAX_CATEGORY, error)
         && check_barcode (product->barcode, error);
}

/* Spaces around a value go, Unicode's included (a no-break space pasted
 * from a document); NULL for what is then empty. */
static char *
trim (const char *value)
{
  const char *start = value;
  const char *end = value + strlen (value);

  while (*start != '\0' && g_unichar_isspace (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  while (end > start)
    {
      const char *prev = g_utf8_prev_char (end);

      if (!g_unichar_isspace (g_utf8_get_char (prev)))
        break;
      end = prev;
    }
  return end > start ? g_strndup (start, end - start) : NULL;
}

static void
tidy (char **value)
{
  char *trimmed = *value != NULL ? trim (*value) : NULL;

  g_free (*value);
  *value = trimmed;
}

void
sk_product_tidy (SkProduct *product)
{
  g_return_if_fail (SK_IS_PRODUCT (product));

  tidy (&product->sku);
  tidy (&product->name);
  tidy (&product->category);
  tidy (&product->barcode);
}

/* Errors */

static void
csv_error_free (gpointer data)
{
  SkProductsCsvError *e = data;

  g_free (e->column);
  g_free (e->message);
  g_free (e);
}

static void
add_error_literal (SkProductsCsv *csv, guint line, const char *column, const char *message)
{
  SkProductsCsvError *e;

  csv->n_errors++;
  if (csv->errors->len >= SK_PRODUCTS_CSV_MAX_ERRORS)
    return;
  e = g_new0 (SkProductsCsvError, 1);
  e->line = line;
  e->column = g_strdup (column);
  e->message = g_strdup (message);
  g_ptr_array_add (csv->errors, e);
}

void
sk_products_csv_add_error (
    SkProductsCsv *csv, guint line, const char *column, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  g_return_if_fail (csv != NULL && format != NULL);

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  add_error_literal (csv, line, column, message);
}

static void
add_gerror (SkProductsCsv *csv, guint line, const GError *error)
{
  add_error_literal (csv, line, sk_error_get_field (error), error->message);
}

/* Reading records */

typedef struct
{
  const char *p;
  const char *end;
  char        delimiter;
  guint       line; /* of r->p */
} Reader;

static gboolean
at_line_end (const Reader *r)
{
  return r->p < r->end && (*r->p == '\n' || *r->p == '\r');
}

/* Past one line end: CRLF, LF or CR. */
static void
end_line (Reader *r)
{
  if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')
    r->p++;
  r->p++;
  r->line++;
}

static void
skip_line (Reader *r)
{
  while (r->p < r->end && !at_line_end (r))
    r->p++;
  if (r->p < r->end)
    end_line (r);
}

/* A quoted field, r->p just past its opening quote; FALSE (and *problem)
 * when it never closes. */
static gboolean
read_quoted (Reader *r, GString *field, char **problem)
{
  guint opened = r->line;

  for (;;)
    {
      if (r->p >= r->end)
        {
          *problem = g_strdup_printf (_ ("A quote opened on line %u is never closed"), opened);
          return FALSE;
        }
      if (*r->p == '"')
        {
          if (r->p + 1 < r->end && r->p[1] == '"')
            {
              g_string_append_c (field, '"');
              r->p += 2;
              continue;
            }
          r->p++;
          return TRUE;
        }
      if (*r->p == '\n' || (*r->p == '\r' && !(r->p + 1 < r->end && r->p[1] == '\n')))
        r->line++;
      g_string_append_c (field, *r->p++);
    }
}

/* The next record's fields; FALSE at the end of the text. A record that
 * breaks the format gives *problem (and no fields), and reading goes on
 * at the next line, unless a quote never closes: then the text is at its
 * end. */
static gboolean
read_record (Reader *r, GPtrArray *fields, guint *start_line, char **problem)
{
  g_autoptr (GString) field = g_string_new (NULL);

  g_ptr_array_set_size (fields, 0);
  *problem = NULL;
  if (r->p >= r->end)
    return FALSE;
  *start_line = r->line;
  for (;;)
    {
      g_string_truncate (field, 0);
      if (r->p < r->end && *r->p == '"')
        {
          r->p++;
          if (!read_quoted (r, field, problem))
            break;
          if (r->p < r->end && *r->p != r->delimiter && !at_line_end (r))
            {
              *problem = g_strdup (_ ("There is text after a closing quote (a quote inside a "
                                      "quoted field is written twice: \"\")"));
              skip_line (r);
              break;
            }
        }
      else
        {
          while (r->p < r->end && *r->p != r->delimiter && !at_line_end (r))
            {
              if (*r->p == '"')
                {
                  *problem = g_strdup (
                      _ ("A quote inside a field that does not start with one (put the whole "
                         "field in quotes and write the quote twice: \"\")"));
                  skip_line (r);
                  break;
                }
              g_string_append_c (field, *r->p++);
            }
          if (*problem != NULL)
            break;
        }
      g_ptr_array_add (fields, g_strndup (field->str, field->len));
      if (r->p >= r->end)
        break;
      if (*r->p == r->delimiter)
        {
          r->p++;
          continue;
        }
      end_line (r);
      break;
    }
  if (*problem != NULL)
    g_ptr_array_set_size (fields, 0);
  return TRUE;
}

/* ',' or ';', whichever the header row has more of outside quotes. */
static char
detect_delimiter (const char *p, const char *end)
{
  guint    commas = 0, semicolons = 0;
  gboolean quoted = FALSE;

  for (; p < end; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else if (!quoted && (*p == '\n' || *p == '\r'))
        break;
      else if (!quoted && *p == ',')
        commas++;
      else if (!quoted && *p == ';')
        semicolons++;
    }
  return semicolons > commas ? ';' : ',';
}

/* The header */

enum
{
  COL_SKU,
  COL_NAME,
  COL_PRICE,
  COL_CATEGORY,
  COL_BARCODE,
  N_COLUMNS
};

static const char *const column_names[N_COLUMNS]
    = { "sku", "name", "price", "category", "barcode" };

/* Fills @index (the field of each column, -1: absent); FALSE with errors. */
static gboolean
read_header (SkProductsCsv *csv, GPtrArray *fields, guint line, int index[N_COLUMNS])
{
  gboolean ok = TRUE;

  for (int c = 0; c < N_COLUMNS; c++)
    index[c] = -1;
  for (guint i = 0; i < fields->len; i++)
    {
      g_autofree char *trimmed = trim (g_ptr_array_index (fields, i));
      g_autofree char *name = trimmed ? g_ascii_strdown (trimmed, -1) : NULL;

      for (int c = 0; name != NULL && c < N_COLUMNS; c++)
        {
          if (!g_str_equal (name, column_names[c]))
            continue;
          if (index[c] >= 0)
            {
              sk_products_csv_add_error (csv, line, column_names[c],
                                         _ ("The header names the column “%s” twice"),
                                         column_names[c]);
              ok = FALSE;
            }
          index[c] = (int)i;
        }
    }
  for (int c = COL_SKU; c <= COL_PRICE; c++)
    if (index[c] < 0)
      {
        sk_products_csv_add_error (
            csv, line, column_names[c],
            _ ("The header row has no column “%s” (it needs sku, name and price; category and "
               "barcode may be there too)"),
            column_names[c]);
        ok = FALSE;
      }
  return ok;
}

/* Records */

static gboolean
all_blank (GPtrArray *fields)
{
  for (guint i = 0; i < fields->len; i++)
    {
      g_autofree char *value = trim (g_ptr_array_index (fields, i));

      if (value != NULL)
        return FALSE;
    }
  return TRUE;
}

/* The product of one record, or NULL after adding its errors. */
static SkProduct *
read_product (
    SkProductsCsv *csv, GPtrArray *fields, guint line, const int index[N_COLUMNS], int n_header)
{
  g_autoptr (SkProduct) product = g_object_new (SK_TYPE_PRODUCT, NULL);
  char    *value[N_COLUMNS] = { NULL };
  guint    errors = csv->n_errors;
  gboolean price_ok = FALSE;

  for (guint i = (guint)n_header; i < fields->len; i++)
    {
      g_autofree char *extra = trim (g_ptr_array_index (fields, i));

      if (extra != NULL)
        {
          sk_products_csv_add_error (csv, line, NULL,
                                     _ ("This row has %u fields but the header only %d columns"),
                                     fields->len, n_header);
          return NULL;
        }
    }
  for (int c = 0; c < N_COLUMNS; c++)
    if (index[c] >= 0 && (guint)index[c] < fields->len)
      value[c] = trim (g_ptr_array_index (fields, index[c]));

  product->sku = value[COL_SKU];
  product->name = value[COL_NAME];
  product->category = value[COL_CATEGORY];
  product->barcode = value[COL_BARCODE];
  {
    g_autoptr (GError) error = NULL;

    if (!check_text (product->sku, "sku", TRUE, MAX_SKU, &error))
      add_gerror (csv, line, error);
  }
  {
    g_autoptr (GError) error = NULL;

    if (!check_text (product->name, "name", TRUE, MAX_NAME, &error))
      add_gerror (csv, line, error);
  }
  if (value[COL_PRICE] == NULL)
    sk_products_csv_add_error (csv, line, "price", _ ("The price is missing"));
  else if (!sk_money_parse (value[COL_PRICE], &product->price))
    sk_products_csv_add_error (
        csv, line, "price",
        _ ("“%s” is not a price in rubles (write it as 1299, 1299.50 or 1 299,50)"),
        value[COL_PRICE]);
  else
    {
      g_autoptr (GError) error = NULL;

      price_ok = check_price (product->price, &error);
      if (!price_ok)
        add_gerror (csv, line, error);
    }
  g_free (value[COL_PRICE]);
  {
    g_autoptr (GError) error = NULL;

    if (!check_text (product->category, "category", FALSE, MAX_CATEGORY, &error))
      add_gerror (csv, line, error);
  }
  {
    g_autoptr (GError) error = NULL;

    if (!check_barcode (product->barcode, &error))
      add_gerror (csv, line, error);
  }
  if (csv->n_errors != errors || !price_ok)
    return NULL;
  return g_steal_pointer (&product);
}

/* A value seen before in the file (a SKU, a barcode) is an error here. */
static gboolean
first_time (SkProductsCsv *csv, GHashTable *seen, const char *value, guint line, int column)
{
  gpointer before;

  if (value == NULL)
    return TRUE;
  before = g_hash_table_lookup (seen, value);
  if (before == NULL)
    {
      g_hash_table_insert (seen, g_strdup (value), GUINT_TO_POINTER (line));
      return TRUE;
    }
  if (column == COL_SKU)
    sk_products_csv_add_error (csv, line, "sku", _ ("The SKU “%s” is on line %u already"), value,
                               GPOINTER_TO_UINT (before));
  else
    sk_products_csv_add_error (csv, line, "barcode", _ ("The barcode “%s” is on line %u already"),
                               value, GPOINTER_TO_UINT (before));
  return FALSE;
}

SkProductsCsv *
sk_products_csv_parse (const char *text, gssize length)
{
  g_autoptr (SkProductsCsv) csv = g_new0 (SkProductsCsv, 1);
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) skus = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) barcodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *bad = NULL;
  Reader      r = { 0 };
  int         index[N_COLUMNS];
  guint       line = 0;
  char       *problem = NULL;

  csv->products = g_ptr_array_new_with_free_func (g_object_unref);
  csv->lines = g_array_new (FALSE, FALSE, sizeof (guint));
  csv->errors = g_ptr_array_new_with_free_func (csv_error_free);
  if (text == NULL)
    text = "";
  if (length < 0)
    length = (gssize)strlen (text);
  r.p = text;
  r.end = text + length;
  r.line = 1;
  if (length >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    r.p += 3;

  /* NUL bytes fail this too, so every field is a C string. */
  if (!g_utf8_validate (r.p, r.end - r.p, &bad))
    {
      guint bad_line = 1;

      for (const char *p = r.p; p < bad; p++)
        bad_line += *p == '\n' || (*p == '\r' && !(p + 1 < bad && p[1] == '\n'));
      sk_products_csv_add_error (csv, bad_line, NULL,
                                 _ ("The file is not UTF-8 text (save it as “CSV UTF-8”)"));
      return g_steal_pointer (&csv);
    }
  {
    const char *p = r.p;

    while (p < r.end && g_ascii_isspace (*p))
      p++;
    if (p == r.end)
      {
        sk_products_csv_add_error (
            csv, 0, NULL,
            _ ("The file is empty: it needs a header row naming the columns sku, "
               "name and price, and a row per product"));
        return g_steal_pointer (&csv);
      }
  }

  r.delimiter = detect_delimiter (r.p, r.end);
  /* Blank lines before the header are no header. */
  while (read_record (&r, fields, &line, &problem) && problem == NULL && all_blank (fields))
    ;
  if (problem != NULL)
    {
      sk_products_csv_add_error (csv, line, NULL, "%s", problem);
      g_free (problem);
      return g_steal_pointer (&csv);
    }
  if (!read_header (csv, fields, line, index))
    return g_steal_pointer (&csv);
  csv->has_category = index[COL_CATEGORY] >= 0;
  csv->has_barcode = index[COL_BARCODE] >= 0;

  {
    int n_header = (int)fields->len;

    while (read_record (&r, fields, &line, &problem))
      {
        g_autoptr (SkProduct) product = NULL;

        if (problem != NULL)
          {
            sk_products_csv_add_error (csv, line, NULL, "%s", problem);
            g_clear_pointer (&problem, g_free);
            continue;
          }
        if (all_blank (fields))
          continue;
        product = read_product (csv, fields, line, index, n_header);
        if (product == NULL)
          continue;
        /* Both checked, so that each duplicate is reported. */
        {
          gboolean new_sku = first_time (csv, skus, product->sku, line, COL_SKU);
          gboolean new_barcode = first_time (csv, barcodes, product->barcode, line, COL_BARCODE);

          if (!new_sku || !new_barcode)
            continue;
        }
        if (csv->n_errors > 0)
          continue; /* no use keeping products of a file that will be refused */
        g_ptr_array_add (csv->products, g_steal_pointer (&product));
        g_array_append_val (csv->lines, line);
      }
  }
  /* A file with errors is refused whole: none of its products is given. */
  if (csv->n_errors > 0)
    {
      g_ptr_array_set_size (csv->products, 0);
      g_array_set_size (csv->lines, 0);
    }
  if (csv->n_errors == 0 && csv->products->len == 0)
    sk_products_csv_add_error (csv, 0, NULL,
                               _ ("The file has a header row but no products under it"));
  return g_steal_pointer (&csv);
}

void
sk_products_csv_free (SkProductsCsv *csv)
{
  if (csv == NULL)
    return;
  g_clear_pointer (&csv->products, g_ptr_array_unref);
  g_clear_pointer (&csv->lines, g_array_unref);
  g_clear_pointer (&csv->errors, g_ptr_array_unref);
  g_free (csv);
}

JsonNode *
sk_products_csv_errors_to_json (const SkProductsCsv *csv)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (csv != NULL, NULL);

  json_builder_begin_array (builder);
  for (guint i = 0; i < csv->errors->len; i++)
    {
      const SkProductsCsvError *e = g_ptr_array_index (csv->errors, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "line");
      json_builder_add_int_value (builder, e->line);
      json_builder_set_member_name (builder, "column");
      sk_json_add_string_or_null (builder, e->column);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, e->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

void
sk_products_csv_set_error (const SkProductsCsv *csv, GError **error)
{
  const SkProductsCsvError *first;
  g_autofree char          *where = NULL;

  g_return_if_fail (csv != NULL && csv->errors->len > 0);

  first = g_ptr_array_index (csv->errors, 0);
  if (first->line > 0 && first->column != NULL)
    where = g_strdup_printf (_ ("line %u, %s: "), first->line, first->column);
  else if (first->line > 0)
    where = g_strdup_printf (_ ("line %u: "), first->line);
  else
    where = g_strdup ("");
  sk_set_field_error (error, SK_ERROR_MALFORMED, first->column,
                      _ ("Nothing was imported: errors in the file: %u; the first: %s%s"),
                      csv->n_errors, where, first->message);
}
