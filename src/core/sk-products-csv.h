/* sk-products-csv.h: a price list in CSV, as shops keep it in a spreadsheet, read into products.
 *
 * The format (README, "Products"):
 * - UTF-8 text; a byte order mark at the start is skipped.
 * - RFC 4180 records: fields separated by the delimiter, records by CRLF,
 *   LF or CR; a field in double quotes may hold the delimiter, quotes
 *   (doubled: "") and line breaks. A quote inside an unquoted field, text
 *   after a closing quote or a quote left open is an error.
 * - The delimiter is ',' or ';' (spreadsheets in Russian locales write ';'),
 *   whichever of the two the header row has more of outside quotes.
 * - The first record is the header: column names in any order, case and
 *   surrounding spaces ignored. `sku`, `name` and `price` are required,
 *   `category` and `barcode` optional; other columns are ignored. A name
 *   given twice is an error. Importing a file without an optional column
 *   keeps the category or barcode each product has; with it, an empty cell
 *   clears it.
 * - Every further record is a product. Values are trimmed of surrounding
 *   spaces; an empty record (a blank line) is skipped. `price` is in rubles
 *   with '.' or ',' before the kopecks and spaces between thousands
 *   ("1299", "1299.50", "1 299,50"), as sk_money_parse reads it; at least 0
 *   and at most SK_MONEY_MAX kopecks. `barcode` is what a scanner reads: an
 *   EAN-8, UPC-A, EAN-13 or GTIN-14 (8, 12, 13 or 14 digits) with a correct
 *   check digit, or another code of up to 48 printable ASCII characters.
 *   A SKU or barcode given twice in one file is an error on its second line.
 * - Errors name the line the record starts on (1 is the header) and the
 *   column; every bad record is reported, up to SK_PRODUCTS_CSV_MAX_ERRORS.
 *
 * The parser is pure: text in, products or errors out, no database; the
 * server's import, the CLI and the app share it (sk_database_import_products
 * writes what it gives).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sk-model.h"

G_BEGIN_DECLS

/* The most errors kept for one file; further ones are only counted. */
#define SK_PRODUCTS_CSV_MAX_ERRORS 100

typedef struct
{
  guint line;    /* where the record starts, from 1 (the header); 0: the whole file */
  char *column;  /* "price", or NULL when the error is not about one column */
  char *message; /* what is wrong, for a person */
} SkProductsCsvError;

typedef struct
{
  GPtrArray *products; /* SkProduct, in the file's order */
  GArray    *lines;    /* guint: the line each product starts on */
  GPtrArray *errors;   /* SkProductsCsvError, in the file's order; empty: the file is good */
  guint      n_errors; /* how many there were (errors holds the first ones) */
  /* Whether the header has these optional columns: an import keeps what a
   * product has when its file has no such column (an empty cell clears it). */
  gboolean has_category;
  gboolean has_barcode;
} SkProductsCsv;

/* What every product must be, however it arrives (the REST API, a file):
 * a SKU, a name, a price and a barcode as the format above says. */
gboolean sk_product_validate (SkProduct *product, GError **error);
/* Trims spaces around the SKU, name, category and barcode, as a file's
 * values are; what is then empty becomes NULL. */
void sk_product_tidy (SkProduct *product);

/* Reads @text (@length bytes; -1: NUL-terminated). Never NULL. */
SkProductsCsv *sk_products_csv_parse (const char *text, gssize length);
void           sk_products_csv_free (SkProductsCsv *csv);

/* Adds an error (the database's, during an import) unless the cap is reached. */
void sk_products_csv_add_error (SkProductsCsv *csv,
                                guint          line,
                                const char    *column,
                                const char    *format,
                                ...) G_GNUC_PRINTF (4, 5);

/* The errors as a JSON array of {line, column, message}. */
JsonNode *sk_products_csv_errors_to_json (const SkProductsCsv *csv);
/* One SK_ERROR_MALFORMED for the errors: how many, and the first one's
 * line, column and message. */
void sk_products_csv_set_error (const SkProductsCsv *csv, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkProductsCsv, sk_products_csv_free)

G_END_DECLS
