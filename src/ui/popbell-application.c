/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>

#include "popbell-application.h"
#include "popbell-cli.h"

struct _PopbellApplication
{
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (PopbellApplication, popbell_application, GTK_TYPE_APPLICATION)

/* The headless commands run here, before the application registers on the
 * bus or touches a display (GtkApplication initialises GTK in startup, which
 * comes later). */
static gint
popbell_application_handle_local_options (GApplication *app,
                                          GVariantDict *options)
{
  const gchar *account = NULL;
  gboolean json = FALSE;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("popbell %s\n", PACKAGE_VERSION);
      return 0;
    }

  g_variant_dict_lookup (options, "account", "&s", &account);
  g_variant_dict_lookup (options, "json", "b", &json);

  if (g_variant_dict_contains (options, "check-once"))
    return popbell_cli_check_once (account, json);

  if (account != NULL || json)
    {
      g_printerr (_("popbell: --account and --json go with --check-once\n"));
      return 2;
    }

  if (g_variant_dict_lookup (options, "set-password", "&s", &account))
    return popbell_cli_set_password (account);
  if (g_variant_dict_lookup (options, "show-newest", "&s", &account))
    return popbell_cli_show_newest (account);

  return -1;
}

static void
popbell_application_class_init (PopbellApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->handle_local_options = popbell_application_handle_local_options;
}

static const GOptionEntry option_entries[] = {
  { "check-once", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Check every enabled account once without any GUI, print the result and exit"), NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --check-once: print the result as JSON"), NULL },
  { "account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --check-once: check only this account"), N_("NAME") },
  { "check-now", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Ask the running applet to check all accounts now"), NULL },
  { "set-password", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Read the password of account NAME from standard input and store it in the keyring"), N_("NAME") },
  { "show-newest", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Print the newest message of account NAME"), N_("NAME") },
  { "preferences", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Open the preferences window"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { NULL }
};

static void
popbell_application_init (PopbellApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

PopbellApplication *
popbell_application_new (void)
{
  return g_object_new (POPBELL_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
