/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "popbell-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr(PopbellApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = popbell_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
