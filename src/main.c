/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "popbell-application.h"

/* Where the translations are: the installed catalogues, or, for the binary
 * in the build tree (tests, tools/demo), the ones the build compiled next
 * to it, so that an uninstalled popbell speaks the user's language too. */
static const gchar *
locale_dir (void)
{
  g_autofree gchar *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree gchar *dir = exe != NULL ? g_path_get_dirname (exe) : NULL;
  g_autofree gchar *catalogue = NULL;

  if (dir == NULL || g_strcmp0 (dir, POPBELL_BUILD_BINDIR) != 0)
    return LOCALEDIR;
  /* A build tree configured without translations falls back too. */
  catalogue = g_build_filename (POPBELL_BUILD_LOCALEDIR, "de", "LC_MESSAGES",
                                GETTEXT_PACKAGE ".mo", NULL);
  return g_file_test (catalogue, G_FILE_TEST_EXISTS) ? POPBELL_BUILD_LOCALEDIR : LOCALEDIR;
}

int
main (int argc, char *argv[])
{
  g_autoptr(PopbellApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = popbell_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
