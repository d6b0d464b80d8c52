/* main.c: starts the Skidka desktop application.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "sk-application.h"

int
main (int argc, char *argv[])
{
  const char *localedir = g_getenv ("SKIDKA_LOCALEDIR");
  g_autoptr (SkApplication) app = NULL;

  setlocale (LC_ALL, "");
  /* Running from the build tree: translations are in <build>/po. */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = sk_application_new (NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
