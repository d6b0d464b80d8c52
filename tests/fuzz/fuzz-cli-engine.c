/* fuzz-cli-engine.c: "skidka-cli engine", which reads rules, a cart and a customer on stdin.
 *
 * The command has readers of its own (rules and campaigns checked one by
 * one, the customer object), so the target runs the program's own
 * run_engine () with the input as its standard input and checks that a
 * successful run printed valid JSON.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>

#include "fuzz-common.h"

/* The program reads stdin and prints to stdout; per input they are a
 * memory stream each. */
static FILE *fuzz_stdin;
static FILE *fuzz_stdout;

#undef stdin
#undef stdout
#define stdin  fuzz_stdin
#define stdout fuzz_stdout
#define main   skidka_cli_main
int skidka_cli_main (int argc, char **argv);
#include "skidka-cli.c"
#undef main
#undef stdin
#undef stdout

static void
print_nothing (const char *string)
{
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  sk_fuzz_init ();
  /* Refusals are the normal answer to most inputs: keep them off stderr. */
  g_set_printerr_handler (print_nothing);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char   program[] = "skidka-cli engine";
  char  *argv[] = { program, NULL };
  Cli    cli = { NULL };
  char  *output = NULL;
  size_t length = 0;
  int    status;

  if (size == 0)
    return 0;
  fuzz_stdin = fmemopen ((void *)data, size, "r");
  fuzz_stdout = open_memstream (&output, &length);
  if (fuzz_stdin == NULL || fuzz_stdout == NULL)
    sk_fuzz_fail ("cannot make the standard streams");
  cli.db_path = g_strdup ("/nonexistent/skidka.db");
  /* As main () runs it: with its entry of the command table. */
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, "engine"))
      cli.command = &commands[i];
  status = cli.command->run (&cli, 1, argv);
  g_free (cli.db_path);
  g_clear_pointer (&cli.input, json_node_unref);
  fclose (fuzz_stdin);
  fclose (fuzz_stdout);
  if (status == EXIT_OK)
    sk_fuzz_check_json_text (output, length);
  else if (status != EXIT_FAILED || length != 0)
    sk_fuzz_fail ("skidka-cli engine exited %d after printing %zu bytes", status, length);
  free (output);
  return 0;
}
