/* main.c: skidka-server: runs the REST server, or an admin command on its database.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "skidka-server"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <libintl.h>
#include <locale.h>

#include <glib-unix.h>

#include "sk-database-file.h"
#include "sk-integrity.h"
#include "sk-postgres.h"
#include "sk-server-private.h"

static GLogLevelFlags max_level = G_LOG_LEVEL_MESSAGE;

/* journald when stderr is the journal, plain lines otherwise; filtered by
 * the configured level. */
static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_MASK) > max_level
      && !(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)))
    return G_LOG_WRITER_HANDLED;
  if (g_log_writer_is_journald (fileno (stderr))
      && g_log_writer_journald (level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  {
    /* Everything to stderr, as services do: stdout stays for command output. */
    g_autofree char *line = g_log_writer_format_fields (
        level, fields, n_fields, g_log_writer_supports_color (fileno (stderr)));

    fprintf (stderr, "%s\n", line);
    fflush (stderr);
  }
  return G_LOG_WRITER_HANDLED;
}

static gboolean
set_log_level (const char *name, GError **error)
{
  static const struct
  {
    const char    *name;
    GLogLevelFlags level;
  } levels[] = {
    { "error", G_LOG_LEVEL_CRITICAL },  { "warning", G_LOG_LEVEL_WARNING },
    { "message", G_LOG_LEVEL_MESSAGE }, { "info", G_LOG_LEVEL_INFO },
    { "debug", G_LOG_LEVEL_DEBUG },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (levels); i++)
    if (g_ascii_strcasecmp (name, levels[i].name) == 0)
      {
        max_level = levels[i].level;
        return TRUE;
      }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "Log level is error, warning, message, info or debug, not “%s”", name);
  return FALSE;
}

static gboolean
on_stop_signal (gpointer data)
{
  g_message ("Stopping");
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static char *
read_password (const char *file, GError **error)
{
  g_autofree char *text = NULL;
  char             buffer[1024];
  struct termios   old, quiet;
  gboolean         tty = isatty (STDIN_FILENO);

  if (file != NULL)
    {
      if (!g_file_get_contents (file, &text, NULL, error))
        return NULL;
      return g_strdup (g_strchomp (text));
    }
  if (tty)
    {
      fprintf (stderr, "Password: ");
      tcgetattr (STDIN_FILENO, &old);
      quiet = old;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    buffer[0] = '\0';
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &old);
      fprintf (stderr, "\n");
    }
  text = g_strdup (g_strchomp (buffer));
  memset (buffer, 0, sizeof buffer);
  return g_steal_pointer (&text);
}

static int
fail (GError *error)
{
  g_printerr ("skidka-server: %s\n", error->message);
  return 1;
}

/* Parses an admin command's options (its --help included); @parameters
 * names its arguments. Returns -1 to go on, else the exit status. */
static int
parse_admin_options (const char   *command,
                     const char   *parameters,
                     const char   *summary,
                     GOptionEntry *entries,
                     int          *argc,
                     char       ***argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("skidka-server admin %s", command);
  g_autoptr (GOptionContext) context = g_option_context_new (parameters);

  g_option_context_set_summary (context, summary);
  g_option_context_set_description (
      context, "The database is the one of skidka-server's --config or --database, given before "
               "“admin”.");
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, NULL);
  /* The command's own name, for the usage line GOption prints. */
  g_set_prgname (name);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s: %s\n", name, error->message);
      return 2;
    }
  return -1;
}

static SkDatabase *
open_database (SkServerConfig *config)
{
  g_autoptr (GError) error = NULL;
  SkDatabase *db = sk_database_open (config->database, &error);

  if (db == NULL)
    fail (error);
  return db;
}

static int
admin_migrate (SkServerConfig *config, int argc, char **argv)
{
  g_autoptr (SkDatabase) db = NULL;
  int status = parse_admin_options ("migrate", NULL, "Create or upgrade the database's schema.",
                                    NULL, &argc, &argv);

  if (status >= 0)
    return status;
  if (argc > 1)
    {
      g_printerr ("skidka-server admin migrate: unexpected argument “%s”\n", argv[1]);
      return 2;
    }
  db = open_database (config);
  if (db == NULL)
    return 1;
  g_print ("%s is at schema version %d\n", config->database, sk_database_get_schema_version (db));
  return 0;
}

static int
admin_create_user (SkServerConfig *config, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autofree char *username = NULL, *role = NULL, *store = NULL, *password_file = NULL;
  g_autofree char *password = NULL, *id = NULL;
  GOptionEntry     entries[]
      = { { "username", 0, 0, G_OPTION_ARG_STRING, &username, "Login name", "NAME" },
          { "role", 0, 0, G_OPTION_ARG_STRING, &role, "admin, marketing, manager or cashier",
            "ROLE" },
          { "store", 0, 0, G_OPTION_ARG_STRING, &store,
            "Store id (managers and cashiers; create-store prints it)", "ID" },
          { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
            "Read the password from the first line of FILE (else it is asked)", "FILE" },
          { NULL } };
  int status = parse_admin_options ("create-user", NULL, "Create an account; prints its id.",
                                    entries, &argc, &argv);

  if (status >= 0)
    return status;
  if (username == NULL || role == NULL)
    {
      g_printerr ("skidka-server admin create-user: needs --username and --role\n");
      return 2;
    }
  db = open_database (config);
  if (db == NULL)
    return 1;
  password = read_password (password_file, &error);
  if (password == NULL)
    return fail (error);
  id = sk_auth_create_user (db, username, password, role, store, &error);
  if (id == NULL)
    return fail (error);
  g_print ("%s\n", id);
  return 0;
}

static int
admin_create_store (SkServerConfig *config, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autofree char *code = NULL, *name = NULL, *address = NULL, *zone_name = NULL, *id = NULL;
  g_autoptr (SkStore) store = sk_store_new ();
  GOptionEntry entries[]
      = { { "id", 0, 0, G_OPTION_ARG_STRING, &id, "Store id (default: made up)", "ID" },
          { "code", 0, 0, G_OPTION_ARG_STRING, &code, "Short code", "CODE" },
          { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Name", "NAME" },
          { "address", 0, 0, G_OPTION_ARG_STRING, &address, "Address", "TEXT" },
          { "timezone", 0, 0, G_OPTION_ARG_STRING, &zone_name, "Time zone, e.g. Europe/Moscow",
            "TZ" },
          { NULL } };
  int status = parse_admin_options ("create-store", NULL, "Create a store; prints its id.", entries,
                                    &argc, &argv);

  if (status >= 0)
    return status;
  db = open_database (config);
  if (db == NULL)
    return 1;
  g_object_set (store, "id", id, "code", code, "name", name, "address", address, "timezone",
                zone_name, NULL);
  if (!sk_database_save_store (db, store, &error))
    return fail (error);
  g_print ("%s\n", sk_record_get_id (store));
  return 0;
}

static int
admin_backup_or_restore (SkServerConfig *config, int argc, char **argv, gboolean restore)
{
  g_autoptr (GError) error = NULL;
  const char *command = restore ? "restore" : "backup";
  int         status = parse_admin_options (
              command, "FILE",
      restore ? "Replace the SQLite database with the backup FILE (stop the server first). For "
                        "PostgreSQL use pg_restore."
                      : "Copy the SQLite database to FILE, consistently, while the server runs. "
                        "Accounts, tokens and settings are included. For PostgreSQL use pg_dump.",
              NULL, &argc, &argv);

  if (status >= 0)
    return status;
  if (argc != 2)
    {
      g_printerr ("skidka-server admin %s: needs one FILE\n", command);
      return 2;
    }
  if (restore ? !sk_database_restore_file (argv[1], config->database, &error)
              : !sk_database_backup_file (config->database, argv[1], &error))
    return fail (error);
  return 0;
}

static int
admin_check (SkServerConfig *config, int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkDatabase) db = NULL;
  g_autoptr (GPtrArray) problems = NULL;
  int status = parse_admin_options ("check", NULL,
                                    "Check the database's integrity; prints each problem, or ok.",
                                    NULL, &argc, &argv);

  if (status >= 0)
    return status;
  db = open_database (config);
  if (db == NULL)
    return 1;
  problems = sk_database_check_integrity (db, &error);
  if (problems == NULL)
    return fail (error);
  for (guint i = 0; i < problems->len; i++)
    g_print ("%s\n", (char *)g_ptr_array_index (problems, i));
  if (problems->len > 0)
    {
      g_printerr ("skidka-server: %u problems in %s\n", problems->len, config->database);
      return 1;
    }
  g_print ("ok\n");
  return 0;
}

static int
admin_backup (SkServerConfig *config, int argc, char **argv)
{
  return admin_backup_or_restore (config, argc, argv, FALSE);
}

static int
admin_restore (SkServerConfig *config, int argc, char **argv)
{
  return admin_backup_or_restore (config, argc, argv, TRUE);
}

static const struct
{
  const char *name;
  const char *parameters;
  const char *summary;
  int (*run) (SkServerConfig *config, int argc, char **argv);
} admin_commands[] = {
  { "migrate", "", "Create or upgrade the schema, print its version", admin_migrate },
  { "create-store", "--code C --name N --timezone TZ", "Create a store, print its id",
    admin_create_store },
  { "create-user", "--username U --role R [--store ID]", "Create an account, print its id",
    admin_create_user },
  { "check", "", "Check the database's integrity, print the problems", admin_check },
  { "backup", "FILE", "Copy the SQLite database to FILE while the server runs", admin_backup },
  { "restore", "FILE", "Replace the SQLite database with a backup (server stopped)",
    admin_restore },
};

static void
print_admin_usage (FILE *out)
{
  fprintf (out, "Usage:\n  skidka-server [--config FILE | --database FILE|URI] admin COMMAND "
                "[OPTION…]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (admin_commands); i++)
    fprintf (out, "  %-13s %-36s %s\n", admin_commands[i].name, admin_commands[i].parameters,
             admin_commands[i].summary);
  fprintf (out, "\n“skidka-server admin COMMAND --help” shows a command's options.\n");
}

/* argv[1] is "admin"; argv[2] the command. */
static int
admin_command (SkServerConfig *config, int argc, char **argv)
{
  const char *command = argc > 2 ? argv[2] : "";

  if (g_str_equal (command, "--help") || g_str_equal (command, "-h")
      || g_str_equal (command, "help"))
    {
      print_admin_usage (stdout);
      return 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (admin_commands); i++)
    if (g_str_equal (command, admin_commands[i].name))
      return admin_commands[i].run (config, argc - 2, argv + 2);
  if (*command != '\0')
    g_printerr ("skidka-server: unknown admin command “%s”\n", command);
  print_admin_usage (stderr);
  return 2;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkServerConfig) config = NULL;
  g_autoptr (SkServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GKeyFile) keys = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *database = NULL;
  g_autofree char *log_level = NULL;
  gint             port = -1;
  gboolean         openapi = FALSE;
  gboolean         version = FALSE;
  GOptionEntry     entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file (GKeyFile)",
          "FILE" },
        { "database", 'd', 0, G_OPTION_ARG_FILENAME, &database,
          "SQLite file or postgresql:// URI (overrides the config)", "FILE|URI" },
        { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port (overrides the config; 0: any)", "PORT" },
        { "log-level", 0, 0, G_OPTION_ARG_STRING, &log_level, "error, warning, message, info or debug",
          "LEVEL" },
        { "openapi", 0, 0, G_OPTION_ARG_NONE, &openapi, "Print the OpenAPI document and exit", NULL },
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
        { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[admin COMMAND [OPTION…]]");

  setlocale (LC_ALL, "");
  /* What goes to customers is in the chain's language (sk-receipt.c);
   * from the build tree, the translations are in <build>/po. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SKIDKA_LOCALEDIR") != NULL
                                       ? g_getenv ("SKIDKA_LOCALEDIR")
                                       : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  /* A chain's server keeps its data in PostgreSQL ("postgresql://" URI). */
  sk_postgres_init ();
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_option_context_set_summary (context,
                                "The Skidka HQ server: REST API for tills and integrations.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (
      context, "Admin commands: migrate, create-store, create-user, check, backup, restore\n"
               "(“skidka-server admin --help” lists them; “skidka-server admin COMMAND --help”\n"
               "shows a command's options). Without a command the server runs until SIGTERM.\n");
  /* Options end at the first argument: "admin" and the admin command's
   * options (its --help too) are its own. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);
  if (version)
    {
      g_print ("skidka-server %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (openapi)
    {
      g_autoptr (JsonNode) document = sk_server_openapi ();
      g_autofree char *text = sk_json_to_string (document, TRUE);

      g_print ("%s\n", text);
      return 0;
    }

  if (config_path != NULL)
    {
      config = sk_server_config_load (config_path, &error);
      if (config == NULL)
        return fail (error);
      keys = g_key_file_new ();
      if (g_key_file_load_from_file (keys, config_path, G_KEY_FILE_NONE, NULL) && log_level == NULL)
        log_level = g_key_file_get_string (keys, "log", "level", NULL);
    }
  else
    config = sk_server_config_new ();
  if (database != NULL)
    {
      g_free (config->database);
      config->database = g_steal_pointer (&database);
    }
  if (port >= 0)
    config->port = port;
  if (log_level != NULL && !set_log_level (g_strstrip (log_level), &error))
    return fail (error);

  if (argc > 1 && g_str_equal (argv[1], "admin"))
    return admin_command (config, argc, argv);
  if (argc > 1)
    {
      g_printerr ("skidka-server: unknown command “%s”\n", argv[1]);
      return 2;
    }

  /* The handlers go in first: a SIGTERM right after "Listening" must
   * still stop cleanly. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_stop_signal, loop);
  g_unix_signal_add (SIGINT, on_stop_signal, loop);
  server = sk_server_new (config);
  if (!sk_server_start (server, &error))
    return fail (error);
  g_main_loop_run (loop);
  sk_server_stop (server);
  g_message ("Stopped");
  return 0;
}
