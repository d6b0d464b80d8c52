/* fuzz-products-csv.c: the price list reader (sk-products-csv.h) fed fuzzed files.
 *
 * Whatever the bytes: errors, or products and no errors; every product
 * passes sk_product_validate with a line after the header, in order; at
 * most SK_PRODUCTS_CSV_MAX_ERRORS errors kept, each with a line and UTF-8
 * text; the errors' JSON reads back. SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fuzz-common.h"
#include "sk-model-private.h"
#include "sk-products-csv.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (SkProductsCsv) csv = sk_products_csv_parse ((const char *)data, (gssize)size);
  g_autoptr (JsonNode) errors = sk_products_csv_errors_to_json (csv);
  guint last_line = 1;

  if (csv->products->len != csv->lines->len)
    sk_fuzz_fail ("%u products but %u lines", csv->products->len, csv->lines->len);
  if (csv->errors->len > SK_PRODUCTS_CSV_MAX_ERRORS || csv->errors->len > csv->n_errors
      || (csv->n_errors > 0 && csv->errors->len == 0))
    sk_fuzz_fail ("%u errors kept of %u", csv->errors->len, csv->n_errors);
  if ((csv->n_errors > 0) == (csv->products->len > 0))
    sk_fuzz_fail ("%u errors and %u products", csv->n_errors, csv->products->len);
  for (guint i = 0; i < csv->products->len; i++)
    {
      g_autoptr (GError) error = NULL;
      SkProduct *product = g_ptr_array_index (csv->products, i);
      guint      line = g_array_index (csv->lines, guint, i);

      if (!sk_product_validate (product, &error))
        sk_fuzz_fail ("a product read that is not valid: %s", error->message);
      if (line <= last_line)
        sk_fuzz_fail ("a product on line %u after one on line %u", line, last_line);
      last_line = line;
    }
  for (guint i = 0; i < csv->errors->len; i++)
    {
      SkProductsCsvError *e = g_ptr_array_index (csv->errors, i);

      if (e->message == NULL || !g_utf8_validate (e->message, -1, NULL))
        sk_fuzz_fail ("an error without a UTF-8 message");
    }
  sk_fuzz_check_json (errors);
  if (csv->n_errors > 0)
    {
      g_autoptr (GError) error = NULL;

      sk_products_csv_set_error (csv, &error);
      if (error == NULL || !g_utf8_validate (error->message, -1, NULL))
        sk_fuzz_fail ("no error for a file with errors");
    }
  return 0;
}
