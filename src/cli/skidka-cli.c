/* skidka-cli.c: Skidka from a shell: make a database, fill it with demo
 * data, price a cart, ring up a sale, export, import and sum up.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "sk-analytics.h"
#include "sk-database.h"
#include "sk-postgres.h"
#include "sk-demo.h"
#include "sk-error.h"
#include "sk-money.h"
#include "sk-record.h"
#include "sk-sync-client.h"

#define PROGRAM     "skidka-cli"
#define EXIT_OK     0
#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define DEFAULT_DB  "skidka.db"

typedef struct _Cli Cli;

typedef struct
{
  const char *name;
  const char *parameters; /* after the name, in the list of commands */
  const char *summary;    /* in the list of commands */
  const char *arguments;  /* after the options, in its --help; NULL: it takes none */
  const char *help;       /* its --help */
  int (*run) (Cli *cli, int argc, char **argv);
  const char *action;     /* the one argument it takes ("segments update"), or NULL */
  gboolean    reads_json; /* it reads a JSON object on the standard input */
} Command;

struct _Cli
{
  char          *db_path;
  const Command *command;
  JsonNode      *input; /* what it read on the standard input */
};

/* Reporting */

static int usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void print_error (const char *format, va_list args) G_GNUC_PRINTF (1, 0);

static void
print_error (const char *format, va_list args)
{
  g_autofree char *message = g_strdup_vprintf (format, args);

  g_printerr ("%s: %s\n", PROGRAM, message);
}

static int
usage_error (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_error (format, args);
  va_end (args);
  g_printerr ("Try “%s --help”.\n", PROGRAM);
  return EXIT_USAGE;
}

/* The message, and the field it is about when the message does not say. */
static int
failure (const GError *error)
{
  const char *field = error->domain == SK_ERROR ? sk_error_get_field (error) : NULL;

  if (field != NULL && *field != '\0' && strstr (error->message, field) == NULL)
    g_printerr ("%s: %s (%s)\n", PROGRAM, error->message, field);
  else
    g_printerr ("%s: %s\n", PROGRAM, error->message);
  return EXIT_FAILED;
}

static int failure_message (const char *format, ...) G_GNUC_PRINTF (1, 2);

static int
failure_message (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  print_error (format, args);
  va_end (args);
  return EXIT_FAILED;
}

static void
print_json (JsonNode *node, gboolean pretty)
{
  g_autofree char *text = sk_json_to_string (node, pretty);

  fputs (text, stdout);
  fputc ('\n', stdout);
}

/* A command's answer: prints @node (taken), indented, and succeeds. */
static int
print_result (JsonNode *node)
{
  g_autoptr (JsonNode) owned = node;

  print_json (owned, TRUE);
  return EXIT_OK;
}

/* Input */

static char *
read_stdin (gsize *length, GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  char   buffer[65536];
  size_t n;

  while ((n = fread (buffer, 1, sizeof buffer, stdin)) > 0)
    g_string_append_len (text, buffer, n);
  if (ferror (stdin))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read the standard input: %s",
                   g_strerror (errno));
      return NULL;
    }
  *length = text->len;
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The JSON document on stdin; @want_object: it must be an object. */
static JsonNode *
read_json_input (gboolean want_object, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr (JsonNode) root = NULL;
  gsize length = 0;

  text = read_stdin (&length, error);
  if (text == NULL)
    return NULL;
  if (length == 0)
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL,
                          "Expected a JSON document on the standard input, got nothing");
      return NULL;
    }
  root = sk_json_parse (text, length, error);
  if (root == NULL)
    return NULL;
  if (want_object && !JSON_NODE_HOLDS_OBJECT (root))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, NULL, "Expected a JSON object");
      return NULL;
    }
  return g_steal_pointer (&root);
}

/* Options */

static int
check_no_arguments (int argc, char **argv)
{
  if (argc > 1)
    return usage_error ("Unexpected argument “%s”", argv[1]);
  return -1;
}

/* A subcommand's one action, with nothing after it ("segments update");
 * returns -1 to go on, else the exit code. */
static int
check_action (int argc, char **argv, const char *command, const char *action)
{
  if (argc < 2)
    return usage_error ("%s needs an action (there is “%s”)", command, action);
  if (!g_str_equal (argv[1], action))
    return usage_error ("Unknown %s action “%s” (there is “%s”)", command, argv[1], action);
  return check_no_arguments (argc - 1, argv + 1);
}

/* Parses the command's options (@entries, and --db) and checks its
 * arguments, then reads its input: all a command does before its own work.
 * Returns -1 to go on, else the exit code. */
static int
begin_command (Cli *cli, GOptionEntry *entries, int *argc, char ***argv)
{
  const Command *command = cli->command;
  g_autoptr (GOptionContext) context = g_option_context_new (command->arguments);
  g_autoptr (GError) error = NULL;
  int                status;
  const GOptionEntry db_entries[] = { { "db", 0, 0, G_OPTION_ARG_FILENAME, &cli->db_path,
                                        "The database file (default ./" DEFAULT_DB ")", "FILE" },
                                      G_OPTION_ENTRY_NULL };

  g_option_context_set_summary (context, command->help);
  g_option_context_add_main_entries (context, db_entries, NULL);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    return usage_error ("%s", error->message);
  if (command->action != NULL
      && (status = check_action (*argc, *argv, command->name, command->action)) >= 0)
    return status;
  if (command->arguments == NULL && (status = check_no_arguments (*argc, *argv)) >= 0)
    return status;
  /* The input is checked before the database is touched. */
  if (command->reads_json && (cli->input = read_json_input (TRUE, &error)) == NULL)
    return failure (error);
  return -1;
}

/* Opens the database; @may_create: a missing file is made (init, demo,
 * import), else it is an error, so a typo never leaves an empty file. */
static SkDatabase *
open_database (Cli *cli, gboolean may_create, GError **error)
{
  if (!may_create && !sk_database_is_uri (cli->db_path)
      && !g_file_test (cli->db_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "There is no database “%s”; make one with “%s init” (or pass --db FILE)",
                   cli->db_path, PROGRAM);
      return NULL;
    }
  return sk_database_open (cli->db_path, error);
}

/* init */

static int
run_init (Cli *cli, int argc, char **argv)
{
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  if ((status = begin_command (cli, NULL, &argc, &argv)) >= 0)
    return status;

  db = open_database (cli, TRUE, &error);
  if (db == NULL)
    return failure (error);
  g_print ("Database %s is ready (schema version %d)\n", cli->db_path,
           sk_database_get_schema_version (db));
  return EXIT_OK;
}

/* demo */

typedef struct
{
  SkDatabase   *db;
  SkDemoOptions options;
  GCancellable *cancellable;
  GError       *error;
  gboolean      ok;
  gboolean      done;
} DemoJob;

static gboolean
demo_wake (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static gpointer
demo_thread (gpointer data)
{
  DemoJob *job = data;

  job->ok = sk_demo_generate (job->db, &job->options, job->cancellable, &job->error);
  g_atomic_int_set (&job->done, TRUE);
  g_main_context_invoke (NULL, demo_wake, NULL);
  return NULL;
}

static gboolean
on_interrupt (gpointer data)
{
  GCancellable *cancellable = data;

  if (!g_cancellable_is_cancelled (cancellable))
    g_printerr ("%s: stopping; what was made so far is kept consistent…\n", PROGRAM);
  g_cancellable_cancel (cancellable);
  return G_SOURCE_CONTINUE;
}

static char *
format_size (const char *path)
{
  GStatBuf         st;
  goffset          size = 0;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);

  if (sk_database_is_uri (path))
    return g_strdup ("kept by the database server");
  if (g_stat (path, &st) == 0)
    size += st.st_size;
  if (g_stat (wal, &st) == 0)
    size += st.st_size;
  return g_format_size (size);
}

static int
run_demo (Cli *cli, int argc, char **argv)
{
  gint64       customers = 1000, purchases = 10000, days = 180, seed = 1;
  GOptionEntry entries[] = { { "customers", 0, 0, G_OPTION_ARG_INT64, &customers,
                               "How many customers (default 1000)", "N" },
                             { "purchases", 0, 0, G_OPTION_ARG_INT64, &purchases,
                               "How many purchases (default 10000)", "M" },
                             { "days", 0, 0, G_OPTION_ARG_INT64, &days,
                               "Over how many days up to today (default 180)", "D" },
                             { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
                               "The random seed: the same seed, the same chain (default 1)", "S" },
                             G_OPTION_ENTRY_NULL };
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = NULL;
  g_autoptr (GPtrArray) stores = NULL;
  g_autoptr (GPtrArray) products = NULL;
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GPtrArray) campaigns = NULL;
  g_autofree char *size = NULL;
  g_autofree char *revenue = NULL;
  g_autofree char *discounts = NULL;
  g_autofree char *earned = NULL;
  g_autofree char *spent = NULL;
  DemoJob          job = { NULL };
  SkSummary        summary;
  GThread         *thread;
  guint            sigint, sigterm;
  gint64           started;
  double           seconds;
  int              status;

  if ((status = begin_command (cli, entries, &argc, &argv)) >= 0)
    return status;
  if (customers < 0 || customers > 100000000)
    return usage_error ("--customers must be between 0 and 100 000 000");
  if (purchases < 0 || purchases > 1000000000)
    return usage_error ("--purchases must be between 0 and 1 000 000 000");
  if (days < 1 || days > 3650)
    return usage_error ("--days must be between 1 and 3650");
  if (seed < 0 || seed > G_MAXUINT32)
    return usage_error ("--seed must be between 0 and %u", G_MAXUINT32);

  db = open_database (cli, TRUE, &error);
  if (db == NULL)
    return failure (error);

  /* The work runs in a thread so Ctrl+C can cancel it between chunks. */
  cancellable = g_cancellable_new ();
  job.db = db;
  job.options.customers = customers;
  job.options.purchases = purchases;
  job.options.days = days;
  job.options.seed = (guint32)seed;
  job.cancellable = cancellable;

  sigint = g_unix_signal_add (SIGINT, on_interrupt, cancellable);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, cancellable);
  started = g_get_monotonic_time ();
  thread = g_thread_new ("demo", demo_thread, &job);
  while (!g_atomic_int_get (&job.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  seconds = (double)(g_get_monotonic_time () - started) / G_USEC_PER_SEC;
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (!job.ok)
    {
      status = failure (job.error);
      g_clear_error (&job.error);
      return status;
    }

  stores = sk_database_list_stores (db, &error);
  products = stores ? sk_database_list_products (db, &error) : NULL;
  rules = products ? sk_database_list_rules (db, &error) : NULL;
  campaigns = rules ? sk_database_list_campaigns (db, &error) : NULL;
  if (campaigns == NULL
      || !sk_analytics_summary (db, G_MININT64, G_MAXINT64, NULL, &summary, &error))
    return failure (error);

  size = format_size (cli->db_path);
  revenue = sk_money_format (summary.revenue);
  discounts = sk_money_format (summary.discounts);
  earned = sk_money_format (summary.bonus_earned);
  spent = sk_money_format (summary.bonus_spent);
  g_print ("Made %u stores, %u products, %u rules, %u campaigns, %" G_GINT64_FORMAT " customers"
           " and %" G_GINT64_FORMAT " purchases over %" G_GINT64_FORMAT
           " days (seed %" G_GINT64_FORMAT ")"
           " in %.1f s\n",
           stores->len, products->len, rules->len, campaigns->len, customers, summary.purchases,
           days, seed, seconds);
  if (purchases > 0)
    g_print ("  purchases written %s\n",
             purchases > SK_DEMO_PIPELINE_MAX_PURCHASES
                     || g_strcmp0 (g_getenv ("SKIDKA_DEMO_BULK"), "1") == 0
                 ? "in bulk, priced by the discount engine"
                 : "one by one through the purchase pipeline");
  g_print ("  revenue %s, discounts %s, bonuses earned %s, spent %s\n", revenue, discounts, earned,
           spent);
  g_print ("  database %s: %s\n", cli->db_path, size);
  return EXIT_OK;
}

/* engine */

/* Checks one record of the input; @index is its place in the list. */
typedef gboolean (*RecordCheck) (gpointer record, guint index, GError **error);

static gboolean
check_rule (gpointer record, guint index, GError **error)
{
  SkDiscountRule *rule = record;
  gint64          uses;

  g_object_get (rule, "uses", &uses, NULL);
  if (sk_record_get_id (rule) == NULL)
    {
      g_autofree char *id = g_strdup_printf ("00000000-0000-4000-8000-%012u", index + 1);
      g_object_set (rule, "id", id, NULL);
    }
  if (uses < 0)
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "uses", "“uses” cannot be negative");
      return FALSE;
    }
  return sk_discount_rule_validate (rule, error);
}

static gboolean
check_campaign (gpointer record, guint index, GError **error)
{
  return sk_campaign_validate (record, error);
}

/* The list @member of @input as records of @type, each checked; an error
 * names the element ("rules[2].value"). */
static GPtrArray *
read_records (JsonObject *input, const char *member, GType type, RecordCheck check, GError **error)
{
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  JsonNode  *node = json_object_get_member (input, member);
  JsonArray *array;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_steal_pointer (&records);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, member, "“%s” must be a list", member);
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autoptr (GError) local_error = NULL;
      g_autofree char *where = g_strdup_printf ("%s[%u]", member, i);
      g_autoptr (SkRecord) record
          = sk_record_from_json (type, json_array_get_element (array, i), &local_error);

      if (record != NULL)
        check (record, i, &local_error);
      if (local_error != NULL)
        {
          const char      *field = sk_error_get_field (local_error);
          g_autofree char *full_field
              = field ? g_strdup_printf ("%s.%s", where, field) : g_strdup (where);

          sk_set_field_error (error, local_error->code, full_field, "%s: %s", where,
                              local_error->message);
          return NULL;
        }
      g_ptr_array_add (records, g_steal_pointer (&record));
    }
  return g_steal_pointer (&records);
}

/* The string member @name of the input's customer into *out, which stays
 * NULL when the member is absent or null. */
static gboolean
read_customer_string (JsonObject *customer, const char *name, const char **out, GError **error)
{
  JsonNode *member = json_object_get_member (customer, name);

  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
    {
      g_autofree char *field = g_strconcat ("customer.", name, NULL);

      sk_set_field_error (error, SK_ERROR_MALFORMED, field, "“%s” must be a string", field);
      return FALSE;
    }
  *out = json_node_get_string (member);
  return TRUE;
}

static gboolean
read_customer (JsonObject *input, SkEngineCustomer **out, GError **error)
{
  g_autoptr (SkEngineCustomer) customer = NULL;
  JsonNode   *node = json_object_get_member (input, "customer");
  JsonObject *object;
  JsonNode   *member;
  const char *id = NULL;
  const char *segment = NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      sk_set_field_error (error, SK_ERROR_MALFORMED, "customer",
                          "“customer” must be an object {id, segment, rule_uses} or null");
      return FALSE;
    }
  object = json_node_get_object (node);

  if (!read_customer_string (object, "id", &id, error)
      || !read_customer_string (object, "segment", &segment, error))
    return FALSE;
  if (segment != NULL && !sk_segment_is_valid (segment))
    {
      sk_set_field_error (error, SK_ERROR_INVALID, "customer.segment",
                          "Unknown segment “%s” (new, one_time, occasional, regular, vip)",
                          segment);
      return FALSE;
    }
  customer = sk_engine_customer_new (id, segment);

  member = json_object_get_member (object, "rule_uses");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      g_autoptr (GList) names = NULL;
      JsonObject *uses;

      if (!JSON_NODE_HOLDS_OBJECT (member))
        {
          sk_set_field_error (error, SK_ERROR_MALFORMED, "customer.rule_uses",
                              "“customer.rule_uses” must be an object {\"<rule id>\": uses}");
          return FALSE;
        }
      uses = json_node_get_object (member);
      names = json_object_get_members (uses);
      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (uses, l->data);

          if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_INT64
              || json_node_get_int (value) < 0)
            {
              g_autofree char *field
                  = g_strdup_printf ("customer.rule_uses.%s", (const char *)l->data);
              sk_set_field_error (error, SK_ERROR_MALFORMED, field,
                                  "“%s” must be a whole number of uses, 0 or more", field);
              return FALSE;
            }
          sk_engine_customer_set_uses (customer, l->data, json_node_get_int (value));
        }
    }
  *out = g_steal_pointer (&customer);
  return TRUE;
}

static int
run_engine (Cli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rules = NULL;
  g_autoptr (GPtrArray) campaigns = NULL;
  g_autoptr (SkCart) cart = NULL;
  g_autoptr (SkEngineCustomer) customer = NULL;
  g_autoptr (SkEngineResult) result = NULL;
  JsonObject *input;
  JsonNode   *node;
  gint64      now;
  int         status;

  if ((status = begin_command (cli, NULL, &argc, &argv)) >= 0)
    return status;
  input = json_node_get_object (cli->input);

  rules = read_records (input, "rules", SK_TYPE_DISCOUNT_RULE, check_rule, &error);
  if (rules == NULL)
    return failure (error);
  campaigns = read_records (input, "campaigns", SK_TYPE_CAMPAIGN, check_campaign, &error);
  if (campaigns == NULL)
    return failure (error);

  node = json_object_get_member (input, "cart");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return failure_message ("“cart” must be an object {\"store_id\": ..., \"items\": [...]}");
  cart = sk_cart_from_json (json_node_get_object (node), &error);
  if (cart == NULL || !sk_cart_validate (cart, &error))
    {
      g_prefix_error (&error, "cart: ");
      return failure (error);
    }
  if (!read_customer (input, &customer, &error))
    return failure (error);

  node = json_object_get_member (input, "now");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    now = sk_time_now ();
  else if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
           || !sk_time_from_rfc3339 (json_node_get_string (node), &now))
    return failure_message ("“now” must be an RFC 3339 date and time, like 2024-05-17T12:00:00Z");

  result = sk_discount_engine_calculate (cart, customer, rules, campaigns, now);
  return print_result (sk_engine_result_to_json (result, cart));
}

/* purchase */

static int
run_purchase (Cli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkPurchaseRequest) request = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SkPurchaseResult) result = NULL;
  int status;

  if ((status = begin_command (cli, NULL, &argc, &argv)) >= 0)
    return status;
  request = sk_purchase_request_from_json (json_node_get_object (cli->input), &error);
  if (request == NULL)
    return failure (error);

  db = open_database (cli, FALSE, &error);
  if (db == NULL)
    return failure (error);
  result = sk_database_process_purchase (db, request, &error);
  if (result == NULL)
    return failure (error);
  return print_result (sk_purchase_result_to_json (result));
}

/* segments update */

static int
run_segments (Cli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  gint64 changed;
  int    status;

  if ((status = begin_command (cli, NULL, &argc, &argv)) >= 0)
    return status;

  db = open_database (cli, FALSE, &error);
  if (db == NULL)
    return failure (error);
  changed = sk_database_update_segments (db, &error);
  if (changed < 0)
    return failure (error);
  g_print ("%" G_GINT64_FORMAT " customers changed segment\n", changed);
  return EXIT_OK;
}

/* export, import */

static int
run_export (Cli *cli, int argc, char **argv)
{
  gboolean     pretty = FALSE;
  GOptionEntry entries[]
      = { { "pretty", 0, 0, G_OPTION_ARG_NONE, &pretty, "Indent the JSON for people", NULL },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (JsonNode) root = NULL;
  int status;

  if ((status = begin_command (cli, entries, &argc, &argv)) >= 0)
    return status;

  db = open_database (cli, FALSE, &error);
  if (db == NULL)
    return failure (error);
  root = sk_database_export (db, &error);
  if (root == NULL)
    return failure (error);
  print_json (root, pretty);
  if (fflush (stdout) != 0)
    return failure_message ("Cannot write the export: %s", g_strerror (errno));
  return EXIT_OK;
}

static gint64
count_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node)
             ? json_array_get_length (json_node_get_array (node))
             : 0;
}

static int
run_import (Cli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  JsonObject *object;
  gboolean    existed;
  int         status;

  if ((status = begin_command (cli, NULL, &argc, &argv)) >= 0)
    return status;
  existed = sk_database_is_uri (cli->db_path) || g_file_test (cli->db_path, G_FILE_TEST_EXISTS);
  db = open_database (cli, TRUE, &error);
  if (db != NULL && !sk_database_import (db, cli->input, &error))
    g_clear_object (&db);
  if (db == NULL)
    {
      /* All or nothing: a file made for this import goes with it. */
      if (!existed)
        {
          const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

          for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
            {
              g_autofree char *file = g_strconcat (cli->db_path, suffixes[i], NULL);
              g_unlink (file);
            }
        }
      return failure (error);
    }
  object = json_node_get_object (cli->input);
  g_print ("Imported %" G_GINT64_FORMAT " stores, %" G_GINT64_FORMAT " rules, %" G_GINT64_FORMAT
           " customers, %" G_GINT64_FORMAT " purchases and %" G_GINT64_FORMAT
           " bonus transactions\n",
           count_member (object, "stores"), count_member (object, "rules"),
           count_member (object, "customers"), count_member (object, "purchases"),
           count_member (object, "bonus_transactions"));
  return EXIT_OK;
}

/* summary */

static int
run_summary (Cli *cli, int argc, char **argv)
{
  g_autofree char *from_text = NULL;
  g_autofree char *to_text = NULL;
  g_auto (GStrv) store_ids = NULL;
  GOptionEntry entries[]
      = { { "from", 0, 0, G_OPTION_ARG_STRING, &from_text,
            "Start of the period, included (default: the beginning)", "RFC3339" },
          { "to", 0, 0, G_OPTION_ARG_STRING, &to_text,
            "End of the period, excluded (default: no end)", "RFC3339" },
          { "store", 0, 0, G_OPTION_ARG_STRING_ARRAY, &store_ids,
            "Only this store (repeat for several)", "ID" },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  gint64    from = G_MININT64, to = G_MAXINT64;
  SkSummary summary;
  int       status;

  if ((status = begin_command (cli, entries, &argc, &argv)) >= 0)
    return status;
  if (from_text != NULL && !sk_time_from_rfc3339 (from_text, &from))
    return usage_error ("--from: “%s” is not an RFC 3339 date and time, like 2024-05-01T00:00:00Z",
                        from_text);
  if (to_text != NULL && !sk_time_from_rfc3339 (to_text, &to))
    return usage_error ("--to: “%s” is not an RFC 3339 date and time, like 2024-06-01T00:00:00Z",
                        to_text);
  if (from >= to)
    return usage_error ("--to must come after --from");

  db = open_database (cli, FALSE, &error);
  if (db == NULL)
    return failure (error);
  for (char **s = store_ids; s != NULL && *s != NULL; s++)
    {
      g_autoptr (SkStore) store = sk_database_get_store (db, *s, &error);

      if (store == NULL)
        return failure (error);
    }
  if (!sk_analytics_summary (db, from, to, (const char *const *)store_ids, &summary, &error))
    return failure (error);
  return print_result (sk_summary_to_json (&summary));
}

/* customer */

static int
run_customer (Cli *cli, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SkCustomer) customer = NULL;
  g_autoptr (SkCustomer) stored = NULL;
  int status;

  if ((status = begin_command (cli, NULL, &argc, &argv)) >= 0)
    return status;
  customer = sk_record_from_json (SK_TYPE_CUSTOMER, cli->input, &error);
  if (customer == NULL)
    return failure (error);
  db = open_database (cli, FALSE, &error);
  if (db == NULL || !sk_database_create_customer (db, customer, &error))
    return failure (error);
  stored = sk_database_get_customer (db, sk_record_get_id (customer), &error);
  if (stored == NULL)
    return failure (error);
  return print_result (sk_record_to_json (SK_RECORD (stored)));
}

/* sync */

/* The first line of @path, without its line end. */
static char *
read_secret (const char *path, const char *what, GError **error)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  g_strchomp (text);
  if (strchr (text, '\n') != NULL)
    *strchr (text, '\n') = '\0';
  if (*text == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "The %s file “%s” is empty", what,
                   path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

static void
sync_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static int
run_sync_login (const char *server,
                const char *username,
                const char *password_file,
                const char *token_file)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *password = NULL;
  g_autofree char *token = NULL;

  if (username == NULL || password_file == NULL)
    return usage_error ("sync login needs --server, --username, --password-file and --token-file");
  password = read_secret (password_file, "password", &error);
  if (password == NULL)
    return failure (error);
  token = sk_sync_login (server, username, password, NULL, &error);
  if (token == NULL)
    return failure (error);
  /* Only its owner may read the token: it is the account. */
  if (!g_file_set_contents_full (token_file, token, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &error))
    return failure (error);
  g_print ("Signed in to %s as %s; the token is in %s\n", server, username, token_file);
  return EXIT_OK;
}

static int
run_sync (Cli *cli, int argc, char **argv)
{
  g_autofree char *server = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password_file = NULL;
  GOptionEntry     entries[]
      = { { "server", 0, 0, G_OPTION_ARG_STRING, &server, "The server's address", "URL" },
          { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
            "The file with the account's token (written by “sync login”)", "FILE" },
          { "username", 0, 0, G_OPTION_ARG_STRING, &username, "login: the account", "USER" },
          { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
            "login: the file with the account's password", "FILE" },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SkSyncClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (SkSyncSummary) summary = NULL;
  g_autofree char *token = NULL;
  int              status;

  if ((status = begin_command (cli, entries, &argc, &argv)) >= 0)
    return status;
  if (argc > 2 || (argc == 2 && !g_str_equal (argv[1], "login")))
    return usage_error ("Unexpected argument “%s”", argv[1]);
  if (server == NULL || token_file == NULL)
    return usage_error ("sync needs --server URL and --token-file FILE");
  if (argc == 2)
    return run_sync_login (server, username, password_file, token_file);
  if (sk_database_is_uri (cli->db_path))
    return usage_error ("sync runs on a till's database file, not a server's database");

  /* Made or upgraded here, so that the cycle's own connection finds it. */
  db = open_database (cli, FALSE, &error);
  if (db == NULL)
    return failure (error);
  g_clear_object (&db);
  token = read_secret (token_file, "token", &error);
  if (token == NULL)
    return failure (error);

  client = sk_sync_client_new (cli->db_path, server);
  sk_sync_client_set_token (client, token);
  sk_sync_client_sync_async (client, NULL, sync_ready, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  summary = sk_sync_client_sync_finish (client, result, &error);
  if (summary == NULL)
    {
      if (g_error_matches (error, SK_ERROR, SK_ERROR_UNAUTHORIZED))
        return failure_message ("%s (run “%s sync login”); %" G_GINT64_FORMAT
                                " events stay in the outbox",
                                error->message, PROGRAM, sk_sync_client_get_pending (client));
      if (error->domain != SK_ERROR)
        return failure_message ("Cannot reach the server %s: %s; %" G_GINT64_FORMAT
                                " events stay in the outbox",
                                server, error->message, sk_sync_client_get_pending (client));
      return failure_message ("Sync failed: %s; %" G_GINT64_FORMAT " events stay in the outbox",
                              error->message, sk_sync_client_get_pending (client));
    }
  return print_result (sk_sync_summary_to_json (summary));
}

/* products */

/* Each error of a price list as a compiler would say it: FILE:LINE: column: message. */
static void
print_csv_errors (const char *file, JsonArray *errors, gint64 n_errors)
{
  for (guint i = 0; errors != NULL && i < json_array_get_length (errors); i++)
    {
      JsonObject      *e = json_array_get_object_element (errors, i);
      gint64           line = e ? sk_json_member_int (e, "line", 0) : 0;
      const char      *column = e ? sk_json_member_string (e, "column", NULL) : NULL;
      const char      *message = e ? sk_json_member_string (e, "message", "?") : "?";
      g_autofree char *where = line > 0 ? g_strdup_printf ("%s:%" G_GINT64_FORMAT ": ", file, line)
                                        : g_strdup_printf ("%s: ", file);

      if (column != NULL)
        g_printerr ("%s%s: %s\n", where, column, message);
      else
        g_printerr ("%s%s\n", where, message);
    }
  if (errors != NULL && n_errors > json_array_get_length (errors))
    g_printerr ("%s: and %" G_GINT64_FORMAT " more errors\n", file,
                n_errors - (gint64)json_array_get_length (errors));
}

/* What HQ answered that is not what was asked: a clear message, exit 1. */
static int
server_failure (const char *server, guint status, JsonNode *answer, const GError *error)
{
  g_autoptr (GError) answered = NULL;

  if (error != NULL && error->domain != SK_ERROR)
    return failure_message ("Cannot reach the server %s: %s", server, error->message);
  if (error != NULL)
    return failure (error);
  sk_sync_http_error (status, answer, &answered);
  if (g_error_matches (answered, SK_ERROR, SK_ERROR_UNAUTHORIZED))
    return failure_message ("%s (run “%s sync login”)", answered->message, PROGRAM);
  return failure (answered);
}

static int
products_import_remote (const char *server, const char *token, const char *file, GBytes *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  JsonObject *object;
  guint       status = 0;

  answer = sk_sync_call (server, token, "POST", "/api/products/import", "text/csv", text, 60,
                         &status, NULL, &error);
  if (answer != NULL && status == 200)
    return print_result (g_steal_pointer (&answer));
  object = answer != NULL && JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  if (status == 400 && object != NULL && json_object_has_member (object, "errors"))
    print_csv_errors (file, json_object_get_array_member (object, "errors"),
                      sk_json_member_int (object, "error_count", 0));
  return server_failure (server, status, answer, error);
}

static int
products_import (Cli *cli, const char *server, const char *token, const char *file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (SkProductsCsv) csv = NULL;
  g_autofree char *text = NULL;
  SkProductImport  counts = { 0 };
  gsize            length = 0;

  if (g_str_equal (file, "-"))
    text = read_stdin (&length, &error);
  else if (!g_file_get_contents (file, &text, &length, &error))
    g_clear_pointer (&text, g_free);
  if (text == NULL)
    return failure (error);
  if (server != NULL)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), length);

      return products_import_remote (server, token, file, bytes);
    }

  csv = sk_products_csv_parse (text, (gssize)length);
  if (csv->n_errors == 0)
    {
      db = open_database (cli, FALSE, &error);
      if (db == NULL)
        return failure (error);
      if (sk_database_import_products (db, csv, &counts, &error))
        {
          return print_result (sk_product_import_to_json (&counts));
        }
    }
  if (csv->n_errors > 0)
    {
      g_autoptr (JsonNode) errors = sk_products_csv_errors_to_json (csv);

      print_csv_errors (file, json_node_get_array (errors), csv->n_errors);
      g_clear_error (&error);
      sk_products_csv_set_error (csv, &error);
    }
  return failure (error);
}

static int
products_list (Cli *cli, const char *server, const char *token, const char *search)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree char *cursor = NULL;
  g_autoptr (SkDatabase) db = NULL;

  if (server == NULL)
    {
      db = open_database (cli, FALSE, &error);
      if (db == NULL)
        return failure (error);
    }
  json_builder_begin_array (builder);
  /* A page at a time, from the file or from HQ, until there is no next one. */
  do
    {
      if (db != NULL)
        {
          g_autoptr (GPtrArray) page = NULL;
          g_autofree char *next = NULL;

          page = sk_database_search_products (db, search, cursor, 500, &next, &error);
          if (page == NULL)
            return failure (error);
          for (guint i = 0; i < page->len; i++)
            sk_record_build_json (g_ptr_array_index (page, i), builder);
          g_free (cursor);
          cursor = g_steal_pointer (&next);
        }
      else
        {
          g_autoptr (GString) path = g_string_new ("/api/products?limit=500");
          g_autoptr (JsonNode) answer = NULL;
          JsonObject *object = NULL;
          JsonArray  *items = NULL;
          guint       status = 0;

          if (search != NULL)
            {
              g_autofree char *q = g_uri_escape_string (search, NULL, FALSE);
              g_string_append_printf (path, "&q=%s", q);
            }
          if (cursor != NULL)
            {
              g_autofree char *c = g_uri_escape_string (cursor, NULL, FALSE);
              g_string_append_printf (path, "&cursor=%s", c);
            }
          answer = sk_sync_call (server, token, "GET", path->str, NULL, NULL, 60, &status, NULL,
                                 &error);
          if (answer == NULL || status != 200)
            return server_failure (server, status, answer, error);
          object = JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
          if (object != NULL && json_object_has_member (object, "items"))
            items = json_object_get_array_member (object, "items");
          if (items == NULL)
            return failure_message ("The server %s answered without a list of products", server);
          for (guint i = 0; i < json_array_get_length (items); i++)
            json_builder_add_value (builder, json_node_copy (json_array_get_element (items, i)));
          g_free (cursor);
          cursor = g_strdup (sk_json_member_string (object, "next_cursor", NULL));
        }
    }
  while (cursor != NULL);
  json_builder_end_array (builder);
  return print_result (json_builder_get_root (builder));
}

static int
run_products (Cli *cli, int argc, char **argv)
{
  g_autofree char *server = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *search = NULL;
  g_autofree char *token = NULL;
  GOptionEntry     entries[]
      = { { "server", 0, 0, G_OPTION_ARG_STRING, &server,
            "Do it at HQ, through the server's API, instead of in the database file", "URL" },
          { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
            "With --server: the file with the account's token (written by “sync login”)", "FILE" },
          { "search", 0, 0, G_OPTION_ARG_STRING, &search,
            "list: only the products whose SKU, name, category or barcode holds this", "TEXT" },
          G_OPTION_ENTRY_NULL };
  g_autoptr (GError) error = NULL;
  int status;

  if ((status = begin_command (cli, entries, &argc, &argv)) >= 0)
    return status;
  if (argc < 2)
    return usage_error ("products needs an action (“import FILE.csv” or “list”)");
  if (!g_str_equal (argv[1], "import") && !g_str_equal (argv[1], "list"))
    return usage_error ("Unknown products action “%s” (there are “import” and “list”)", argv[1]);
  if (g_str_equal (argv[1], "import") && argc < 3)
    return usage_error ("products import needs the CSV file (or - for the standard input)");
  if (argc > (g_str_equal (argv[1], "import") ? 3 : 2))
    return usage_error ("Unexpected argument “%s”", argv[g_str_equal (argv[1], "import") ? 3 : 2]);
  if ((server == NULL) != (token_file == NULL))
    return usage_error ("--server and --token-file go together");
  if (token_file != NULL)
    {
      token = read_secret (token_file, "token", &error);
      if (token == NULL)
        return failure (error);
    }
  if (g_str_equal (argv[1], "import"))
    return products_import (cli, server, token, argv[2]);
  return products_list (cli, server, token, search);
}

/* main */

static const Command commands[] = {
  { "init", NULL, "Create or upgrade the database file", NULL,
    "Create the database file, or upgrade it to this version.", run_init },
  { "demo", "[--customers N] [--purchases M] [--days D] [--seed S]",
    "Fill an empty database with a demo chain", NULL,
    "Fill an empty database with a demo chain of children's goods stores:\n"
    "stores, products, rules, campaigns, customers and months of purchases.\n"
    "Up to 20 000 purchases go through the real purchase pipeline; more are\n"
    "written in bulk with the same engine. Ctrl+C stops cleanly.",
    run_demo },
  { "engine", "< input.json", "Price a cart with the engine alone (no database)", NULL,
    "Price a cart with the discount engine alone, no database. Reads\n"
    "{\"rules\": [...], \"campaigns\": [...], \"cart\": {\"store_id\", \"items\"},\n"
    " \"customer\": {\"id\", \"segment\", \"rule_uses\"} or null, \"now\": RFC 3339}\n"
    "on the standard input and prints the calculation.",
    run_engine, .reads_json = TRUE },
  { "purchase", "< request.json", "Process a sale through the purchase pipeline", NULL,
    "Process a sale (POST /api/pos/process-purchase): reads\n"
    "{\"id\": UUID, \"store_id\", \"customer_id\" or null, \"items\": [...],\n"
    " \"bonus_to_spend\", \"created_at\"} on the standard input and prints the result.\n"
    "The same id again prints the first result and changes nothing.",
    run_purchase, .reads_json = TRUE },
  { "segments", "update", "Recompute every customer's segment", "update",
    "Recompute every customer's segment from their visits and spending.", run_segments,
    .action = "update" },
  { "export", "[--pretty] > export.json", "Print the database as JSON", NULL,
    "Print the whole database as one JSON document (for small chains, backups\n"
    "and moving data); “import” reads it back.",
    run_export },
  { "import", "< export.json", "Load a JSON export into an empty database", NULL,
    "Read a JSON document made by “export” from the standard input into an\n"
    "empty database (made if missing). All or nothing.",
    run_import, .reads_json = TRUE },
  { "summary", "[--from RFC3339] [--to RFC3339] [--store ID]", "Sales figures for a period", NULL,
    "Revenue, discounts, bonuses, customers and purchases over a period.", run_summary },
  { "customer", "add < customer.json", "Register a customer (queued for sync)",
    "add < customer.json",
    "Register a customer in the local database (queued for sync with\n"
    "the server) and print it as JSON.",
    run_customer, .action = "add", .reads_json = TRUE },
  { "sync", "--server URL --token-file FILE", "Push the outbox and pull the server's changes",
    "[login]",
    "Push the local outbox to the server and pull its changes until there are no\n"
    "more, then print a JSON summary. “sync login” signs in and writes the token\n"
    "file (readable by its owner only).",
    run_sync },
  { "sync login", "--server URL --username U --password-file F --token-file FILE",
    "Sign in to the server and write the token file", NULL, NULL, run_sync },
  { "products", "import FILE.csv | list [--search TEXT] [--server URL --token-file FILE]",
    "Import a price list (CSV, all or nothing) or list the products", "import FILE.csv | list",
    "The chain's products. “import” reads a price list in CSV (UTF-8; a header row\n"
    "naming sku, name, price and optionally category and barcode, in any order;\n"
    "delimiter , or ;; prices in rubles like 1299.50 or 1 299,50) and writes it\n"
    "all or nothing, an upsert by SKU, printing how many products were created,\n"
    "updated and unchanged; a bad row is reported with its line and column, and\n"
    "nothing changes. FILE - reads the standard input. “list” prints the products\n"
    "as JSON. Both work on the database file (--db) or at HQ (--server, an admin's\n"
    "token to import).",
    run_products },
};

static void
print_usage (FILE *out)
{
  fprintf (out,
           "Usage:\n"
           "  %s [--db FILE] COMMAND [OPTION…]\n\n"
           "Skidka: discounts and loyalty bonuses for a chain of children's goods stores.\n\n"
           "Commands:\n",
           PROGRAM);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *synopsis = g_strjoin (" ", commands[i].name, commands[i].parameters, NULL);

      if (strlen (synopsis) <= 24)
        fprintf (out, "  %-24s %s\n", synopsis, commands[i].summary);
      else
        fprintf (out, "  %s\n  %-24s %s\n", synopsis, "", commands[i].summary);
    }
  fprintf (out,
           "\nOptions:\n"
           "  --db FILE   The database file (default ./" DEFAULT_DB ")\n"
           "  --version   Print the version\n"
           "  -h, --help  Show this help; “%s COMMAND --help” shows a command's options\n"
           "\nExit status: 0 done, 1 failed, 2 wrong usage.\n",
           PROGRAM);
}

int
main (int argc, char **argv)
{
  Cli               cli = { NULL };
  const Command    *command = NULL;
  g_autofree char **sub_argv = NULL;
  g_autofree char  *command_name = NULL;
  int               sub_argc = 0;
  int               i;
  int               status;

  setlocale (LC_ALL, "");
  sk_postgres_init ();
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  /* Options before the command: --db, --help, --version. */
  for (i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (g_str_equal (arg, "--db"))
        {
          if (i + 1 >= argc)
            return usage_error ("--db needs a file name");
          g_free (cli.db_path);
          cli.db_path = g_strdup (argv[++i]);
        }
      else if (g_str_has_prefix (arg, "--db="))
        {
          g_free (cli.db_path);
          cli.db_path = g_strdup (arg + strlen ("--db="));
        }
      else if (g_str_equal (arg, "-h") || g_str_equal (arg, "--help") || g_str_equal (arg, "help"))
        {
          print_usage (stdout);
          g_free (cli.db_path);
          return EXIT_OK;
        }
      else if (g_str_equal (arg, "--version"))
        {
          g_print ("%s %s\n", PROGRAM, PACKAGE_VERSION);
          g_free (cli.db_path);
          return EXIT_OK;
        }
      else if (arg[0] == '-')
        {
          g_free (cli.db_path);
          return usage_error ("Unknown option “%s”", arg);
        }
      else
        break;
    }
  if (i >= argc)
    {
      print_usage (stderr);
      g_free (cli.db_path);
      return EXIT_USAGE;
    }
  for (guint k = 0; k < G_N_ELEMENTS (commands); k++)
    if (g_str_equal (argv[i], commands[k].name))
      command = &commands[k];
  if (command == NULL)
    {
      g_free (cli.db_path);
      return usage_error ("Unknown command “%s”", argv[i]);
    }

  /* The command sees itself as argv[0], then its own arguments; GOption
   * takes the program name for its help from there. */
  command_name = g_strdup_printf ("%s %s", PROGRAM, command->name);
  sub_argv = g_new0 (char *, argc - i + 1);
  sub_argv[sub_argc++] = command_name;
  for (int k = i + 1; k < argc; k++)
    sub_argv[sub_argc++] = argv[k];
  if (cli.db_path == NULL)
    cli.db_path = g_strdup (DEFAULT_DB);
  cli.command = command;

  {
    char **args = sub_argv;
    char  *given_db = cli.db_path;

    status = command->run (&cli, sub_argc, args);
    /* GOption replaced db_path when --db came after the command. */
    if (cli.db_path != given_db)
      g_free (given_db);
  }
  g_free (cli.db_path);
  g_clear_pointer (&cli.input, json_node_unref);
  return status;
}
