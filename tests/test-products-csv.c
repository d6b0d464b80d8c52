/* test-products-csv.c: the price list reader (sk-products-csv.h): quoting, BOM, delimiters,
 * prices, barcodes, and every kind of bad file, each with its line and column.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "sk-error.h"
#include "sk-model-private.h"
#include "sk-products-csv.h"

static SkProductsCsv *
parse_good (const char *text, guint n_products)
{
  SkProductsCsv *csv = sk_products_csv_parse (text, -1);

  for (guint i = 0; i < csv->errors->len; i++)
    {
      SkProductsCsvError *e = g_ptr_array_index (csv->errors, i);
      g_test_message ("line %u, %s: %s", e->line, e->column, e->message);
    }
  g_assert_cmpuint (csv->n_errors, ==, 0);
  g_assert_cmpuint (csv->products->len, ==, n_products);
  g_assert_cmpuint (csv->lines->len, ==, n_products);
  return csv;
}

static SkProduct *
product_at (SkProductsCsv *csv, guint i)
{
  return g_ptr_array_index (csv->products, i);
}

static guint
line_at (SkProductsCsv *csv, guint i)
{
  return g_array_index (csv->lines, guint, i);
}

/* Asserts error @i: its line, column (NULL: none) and a word of its message. */
static void
assert_error (SkProductsCsv *csv, guint i, guint line, const char *column, const char *word)
{
  SkProductsCsvError *e;

  g_assert_cmpuint (csv->errors->len, >, i);
  e = g_ptr_array_index (csv->errors, i);
  g_test_message ("line %u, %s: %s", e->line, e->column, e->message);
  g_assert_cmpuint (e->line, ==, line);
  g_assert_cmpstr (e->column, ==, column);
  if (word != NULL && strstr (e->message, word) == NULL)
    g_error ("“%s” does not say “%s”", e->message, word);
}

/* A file of one product (P, "Product", price 1) whose @column is @value
 * (quoted): taken without an error, or, unless @good, refused whole with
 * one error on @column at line 2. */
static SkProductsCsv *
parse_value (const char *column, const char *value, gboolean good)
{
  g_autofree char *text
      = g_str_equal (column, "price")
            ? g_strdup_printf ("sku,name,price\nP,Product,\"%s\"\n", value)
            : g_strdup_printf ("sku,name,price,%s\nP,Product,1,\"%s\"\n", column, value);
  SkProductsCsv *csv = sk_products_csv_parse (text, -1);

  g_test_message ("%s %s", column, value);
  if (good)
    g_assert_cmpuint (csv->n_errors, ==, 0);
  else
    {
      g_assert_cmpuint (csv->n_errors, ==, 1);
      assert_error (csv, 0, 2, column, NULL);
      g_assert_cmpuint (csv->products->len, ==, 0);
    }
  return csv;
}

static void
test_good_file (void)
{
  /* Columns in another order, names in any case, an ignored column, CRLF. */
  g_autoptr (SkProductsCsv) csv = parse_good ("Price , SKU,notes,Name,Category,BARCODE\r\n"
                                              "1299,LEGO-1,new,Лего Дупло,Игрушки,4006381333931\r\n"
                                              "  99.5 ,  BEAR-2 ,,\"Мишка\",, \r\n",
                                              2);

  g_assert_cmpstr (product_at (csv, 0)->sku, ==, "LEGO-1");
  g_assert_cmpstr (product_at (csv, 0)->name, ==, "Лего Дупло");
  g_assert_cmpstr (product_at (csv, 0)->category, ==, "Игрушки");
  g_assert_cmpstr (product_at (csv, 0)->barcode, ==, "4006381333931");
  g_assert_cmpint (product_at (csv, 0)->price, ==, 129900);
  /* Trimmed; empty optional values are none. */
  g_assert_cmpstr (product_at (csv, 1)->sku, ==, "BEAR-2");
  g_assert_cmpint (product_at (csv, 1)->price, ==, 9950);
  g_assert_null (product_at (csv, 1)->category);
  g_assert_null (product_at (csv, 1)->barcode);
  g_assert_cmpuint (line_at (csv, 0), ==, 2);
  g_assert_cmpuint (line_at (csv, 1), ==, 3);
}

static void
test_quoting (void)
{
  /* A delimiter, a doubled quote and a line break inside quotes; the line
   * break moves the next record's line number. */
  g_autoptr (SkProductsCsv) csv = parse_good ("sku,name,price,notes\n"
                                              "A,\"Кубики, 12 шт.\",10,\"two\nlines\"\n"
                                              "B,\"Книга \"\"Сказки\"\"\",\"1,5\",\n"
                                              "D,Мяч,3",
                                              3);

  g_assert_cmpstr (product_at (csv, 0)->name, ==, "Кубики, 12 шт.");
  g_assert_cmpstr (product_at (csv, 1)->name, ==, "Книга \"Сказки\"");
  g_assert_cmpint (product_at (csv, 1)->price, ==, 150);
  g_assert_cmpuint (line_at (csv, 1), ==, 4);
  /* The last record has no line end. */
  g_assert_cmpstr (product_at (csv, 2)->sku, ==, "D");
  g_assert_cmpuint (line_at (csv, 2), ==, 5);
  {
    /* "C" has an empty name: an error on its line. */
    g_autoptr (SkProductsCsv) bad
        = sk_products_csv_parse ("sku,name,price\n\"C\",\"\",\"1\"\n", -1);

    g_assert_cmpuint (bad->n_errors, ==, 1);
    assert_error (bad, 0, 2, "name", "missing");
  }
}

static void
test_bom_and_semicolon (void)
{
  /* What a spreadsheet in a Russian locale saves: a BOM, ';', decimal
   * commas, spaces between thousands (a no-break one too). */
  g_autoptr (SkProductsCsv) csv = parse_good ("\xef\xbb\xbfsku;name;price;category\n"
                                              "S-1;Коляска, прогулочная;12 999,90;Коляски\n"
                                              "S-2;Соска;1\xc2\xa0"
                                              "299,5;\n"
                                              "S-3;Пустышка;0;\n",
                                              3);

  g_assert_cmpstr (product_at (csv, 0)->sku, ==, "S-1");
  g_assert_cmpstr (product_at (csv, 0)->name, ==, "Коляска, прогулочная");
  g_assert_cmpint (product_at (csv, 0)->price, ==, 1299990);
  g_assert_cmpint (product_at (csv, 1)->price, ==, 129950);
  g_assert_cmpint (product_at (csv, 2)->price, ==, 0);
}

static void
test_prices (void)
{
  static const struct
  {
    const char *text;
    gint64      kopecks; /* -1: refused */
  } prices[] = {
    { "1299", 129900 },
    { "1299.50", 129950 },
    { "1299,5", 129950 },
    { "1 299,50", 129950 },
    { "0.01", 1 },
    { "10000000000", 1000000000000 }, /* SK_MONEY_MAX */
    { "10000000000.01", -1 },
    { "99999999999999999999", -1 },
    { "92233720368547759", -1 },
    { "-1", -1 },
    { "1,299.50", -1 },
    { "12.345", -1 },
    { "abc", -1 },
    { "", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (prices); i++)
    {
      g_autoptr (SkProductsCsv) csv = parse_value ("price", prices[i].text, prices[i].kopecks >= 0);

      if (prices[i].kopecks >= 0)
        g_assert_cmpint (product_at (csv, 0)->price, ==, prices[i].kopecks);
    }
}

static void
test_barcodes (void)
{
  static const struct
  {
    const char *barcode;
    gboolean    good;
  } barcodes[] = {
    { "4006381333931", TRUE },  /* EAN-13 */
    { "4006381333932", FALSE }, /* its last digit mistyped */
    { "96385074", TRUE },       /* EAN-8 */
    { "96385075", FALSE },
    { "036000291452", TRUE },   /* UPC-A */
    { "10012345678902", TRUE }, /* GTIN-14 */
    { "ABC-123/x", TRUE },      /* Code 128 and friends: not checked */
    { "123456", TRUE },         /* a shop's own short code */
    { "12 34", FALSE },
    { "Штрих", FALSE },
    { "0123456789012345678901234567890123456789012345678", FALSE }, /* 49 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (barcodes); i++)
    {
      g_autoptr (SkProductsCsv) csv
          = parse_value ("barcode", barcodes[i].barcode, barcodes[i].good);

      if (barcodes[i].good)
        g_assert_cmpstr (product_at (csv, 0)->barcode, ==, barcodes[i].barcode);
    }
}

static void
test_missing_columns (void)
{
  g_autoptr (SkProductsCsv) csv = sk_products_csv_parse ("SKU;Наименование;цена\nA;B;1\n", -1);
  g_autoptr (SkProductsCsv) twice = sk_products_csv_parse ("sku,name,price,Name\nA,B,1,C\n", -1);

  /* Only the header is reported: the rows mean nothing without it. */
  g_assert_cmpuint (csv->n_errors, ==, 2);
  assert_error (csv, 0, 1, "name", "no column “name”");
  assert_error (csv, 1, 1, "price", "no column “price”");
  g_assert_cmpuint (csv->products->len, ==, 0);
  g_assert_cmpuint (twice->n_errors, ==, 1);
  assert_error (twice, 0, 1, "name", "twice");
}

static void
test_duplicates (void)
{
  g_autoptr (SkProductsCsv) csv = sk_products_csv_parse ("sku,name,price,barcode\n"
                                                         "A,One,1,4006381333931\n"
                                                         "B,Two,2,\n"
                                                         "A,Three,3,\n"
                                                         "C,Four,4,4006381333931\n",
                                                         -1);

  g_assert_cmpuint (csv->n_errors, ==, 2);
  assert_error (csv, 0, 4, "sku", "line 2");
  assert_error (csv, 1, 5, "barcode", "line 2");
  /* A file with errors gives no products: it is refused whole. */
  g_assert_cmpuint (csv->products->len, ==, 0);
}

static void
test_empty (void)
{
  const char *const empty[] = { "", "\xef\xbb\xbf", " \r\n\n  \t\n" };

  for (guint i = 0; i < G_N_ELEMENTS (empty); i++)
    {
      g_autoptr (SkProductsCsv) csv = sk_products_csv_parse (empty[i], -1);

      g_assert_cmpuint (csv->n_errors, ==, 1);
      assert_error (csv, 0, 0, NULL, "empty");
    }
  {
    g_autoptr (SkProductsCsv) header_only = sk_products_csv_parse ("sku,name,price\n\n", -1);
    g_autoptr (SkProductsCsv) null_text = sk_products_csv_parse (NULL, 0);

    g_assert_cmpuint (header_only->n_errors, ==, 1);
    assert_error (header_only, 0, 0, NULL, "no products");
    g_assert_cmpuint (null_text->n_errors, ==, 1);
  }
}

static void
test_broken_records (void)
{
  g_autoptr (SkProductsCsv) csv = sk_products_csv_parse ("sku,name,price\n"
                                                         "A,\"One\"x,1\n"    /* 2 */
                                                         "B,Two \"2\",2\n"   /* 3 */
                                                         "C,Three,3,extra\n" /* 4 */
                                                         "D,Four,4,\n"       /* 5: fine */
                                                         "\n"                /* 6: skipped */
                                                         "E,Five\n"          /* 7 */
                                                         "F,\"Six,6\n"       /* 8: never closes */
                                                         "G,Seven,7\n",
                                                         -1);

  g_assert_cmpuint (csv->n_errors, ==, 5);
  assert_error (csv, 0, 2, NULL, "after a closing quote");
  assert_error (csv, 1, 3, NULL, "quote inside");
  assert_error (csv, 2, 4, NULL, "fields");
  assert_error (csv, 3, 7, "price", "missing");
  assert_error (csv, 4, 8, NULL, "line 8 is never closed");
}

static void
test_not_utf8 (void)
{
  /* Windows-1251 "Мишка" on line 3. */
  g_autoptr (SkProductsCsv) csv
      = sk_products_csv_parse ("sku,name,price\nA,Ok,1\nB,\xcc\xe8\xf8\xea\xe0,2\n", -1);
  g_autoptr (SkProductsCsv) nul = sk_products_csv_parse ("sku,name,price\nA,O\0k,1\n", 23);

  g_assert_cmpuint (csv->n_errors, ==, 1);
  assert_error (csv, 0, 3, NULL, "UTF-8");
  g_assert_cmpuint (nul->n_errors, ==, 1);
  assert_error (nul, 0, 2, NULL, "UTF-8");
}

/* One line of 8 MiB and one of a million fields: an error each, on their
 * lines, read once through. */
static void
test_huge_line (void)
{
  g_autoptr (GString) text = g_string_new ("sku,name,price\nA,");
  g_autoptr (SkProductsCsv) csv = NULL;
  gint64 started;

  for (guint i = 0; i < 8 * 1024 * 1024; i++)
    g_string_append_c (text, 'x');
  g_string_append (text, ",1\nB,Fine,2\nC,");
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (text, ',');
  g_string_append (text, "x\nD,Fine,3\n");
  started = g_get_monotonic_time ();
  csv = sk_products_csv_parse (text->str, (gssize)text->len);
  g_test_message ("%.0f ms", (g_get_monotonic_time () - started) / 1000.0);
  g_assert_cmpuint (csv->n_errors, ==, 2);
  assert_error (csv, 0, 2, "name", "longer than 200");
  assert_error (csv, 1, 4, NULL, "fields");
}

static void
test_error_cap (void)
{
  g_autoptr (GString) text = g_string_new ("sku,name,price\n");
  g_autoptr (SkProductsCsv) csv = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) json = NULL;
  JsonObject *first;

  for (guint i = 0; i < 150; i++)
    g_string_append_printf (text, "P%u,Product,free\n", i);
  csv = sk_products_csv_parse (text->str, -1);
  g_assert_cmpuint (csv->n_errors, ==, 150);
  g_assert_cmpuint (csv->errors->len, ==, SK_PRODUCTS_CSV_MAX_ERRORS);
  assert_error (csv, 99, 101, "price", "free");

  sk_products_csv_set_error (csv, &error);
  g_assert_error (error, SK_ERROR, SK_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "150"));
  g_assert_nonnull (strstr (error->message, "line 2, price"));
  json = sk_products_csv_errors_to_json (csv);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json)), ==, 100);
  first = json_array_get_object_element (json_node_get_array (json), 0);
  g_assert_cmpint (json_object_get_int_member (first, "line"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (first, "column"), ==, "price");
}

static void
test_validate (void)
{
  g_autoptr (SkProduct) product
      = g_object_new (SK_TYPE_PRODUCT, "sku", "A", "name", "Мяч", "price", (gint64)100, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_true (sk_product_validate (product, &error));
  g_assert_no_error (error);
  g_object_set (product, "name", "Two\nlines", NULL);
  g_assert_false (sk_product_validate (product, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_assert_cmpstr (sk_error_get_field (error), ==, "name");
  g_clear_error (&error);
  g_object_set (product, "name", "Мяч", "price", (gint64)-1, NULL);
  g_assert_false (sk_product_validate (product, &error));
  g_assert_cmpstr (sk_error_get_field (error), ==, "price");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/products-csv/good", test_good_file);
  g_test_add_func ("/products-csv/quoting", test_quoting);
  g_test_add_func ("/products-csv/bom-semicolon", test_bom_and_semicolon);
  g_test_add_func ("/products-csv/prices", test_prices);
  g_test_add_func ("/products-csv/barcodes", test_barcodes);
  g_test_add_func ("/products-csv/missing-columns", test_missing_columns);
  g_test_add_func ("/products-csv/duplicates", test_duplicates);
  g_test_add_func ("/products-csv/empty", test_empty);
  g_test_add_func ("/products-csv/broken-records", test_broken_records);
  g_test_add_func ("/products-csv/not-utf8", test_not_utf8);
  g_test_add_func ("/products-csv/huge-line", test_huge_line);
  g_test_add_func ("/products-csv/error-cap", test_error_cap);
  g_test_add_func ("/products-csv/validate", test_validate);
  return g_test_run ();
}
