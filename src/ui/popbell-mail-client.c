/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "popbell-mail-client.h"

#define GENERAL_GROUP   "general"
#define MAIL_CLIENT_KEY "mail-client"

gchar *
popbell_settings_dup_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "popbell", "settings.ini", NULL);
}

/* A missing file is an empty one; any other failure is reported, so that a
 * file the user broke by hand is never silently replaced. */
static GKeyFile *
load_settings (const gchar  *path,
               GError      **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;

  if (!g_key_file_load_from_file (keyfile, path,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local_error) &&
      !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Could not read the settings file “%s”: "), path);
      return NULL;
    }

  return g_steal_pointer (&keyfile);
}

gchar *
popbell_mail_client_dup_command (void)
{
  g_autofree gchar *path = popbell_settings_dup_path ();
  g_autoptr(GKeyFile) keyfile = load_settings (path, NULL);
  g_autofree gchar *command = NULL;

  if (keyfile == NULL)
    return NULL;

  command = g_key_file_get_string (keyfile, GENERAL_GROUP, MAIL_CLIENT_KEY, NULL);
  if (command != NULL)
    g_strstrip (command);
  if (command == NULL || *command == '\0')
    return NULL;

  return g_steal_pointer (&command);
}

gboolean
popbell_mail_client_set_command (const gchar  *command,
                                 GError      **error)
{
  g_autofree gchar *path = popbell_settings_dup_path ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *stripped = g_strstrip (g_strdup (command != NULL ? command : ""));
  g_autoptr(GKeyFile) keyfile = NULL;
  g_autofree gchar *data = NULL;
  gsize length;

  keyfile = load_settings (path, error);
  if (keyfile == NULL)
    return FALSE;

  if (*stripped != '\0')
    g_key_file_set_string (keyfile, GENERAL_GROUP, MAIL_CLIENT_KEY, stripped);
  else
    g_key_file_remove_key (keyfile, GENERAL_GROUP, MAIL_CLIENT_KEY, NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  data = g_key_file_to_data (keyfile, &length, NULL);
  return g_file_set_contents_full (path, data, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

gchar *
popbell_mail_client_escape_exec (const gchar *command)
{
  /* The field codes of the Desktop Entry Specification ("The Exec key");
   * the deprecated ones (%d %D %n %N %v %m) are dropped by GLib, as the
   * specification asks, so they count as known too. */
  static const gchar known[] = "fFuUdDnNickvm";
  GString *out = g_string_sized_new (strlen (command) + 8);

  for (const gchar *p = command; *p != '\0'; p++)
    {
      if (*p != '%')
        g_string_append_c (out, *p);
      else if (p[1] == '%')
        {
          /* "%%" is already a literal '%': keep it as it is. */
          g_string_append (out, "%%");
          p++;
        }
      else if (p[1] != '\0' && strchr (known, p[1]) != NULL)
        g_string_append_c (out, '%');
      else
        /* A '%' before anything else ("50%", "%s") is the user's own. */
        g_string_append (out, "%%");
    }
  return g_string_free (out, FALSE);
}

gboolean
popbell_mail_client_launch (GAppLaunchContext  *context,
                            GError            **error)
{
  g_autofree gchar *command = popbell_mail_client_dup_command ();
  g_autoptr(GAppInfo) app_info = NULL;

  if (command != NULL)
    {
      /* GLib reads the command as an Exec line, where any '%' starts a
       * field code and an unknown one is dropped: "--size=50%" lost its
       * '%'. Only the codes the specification knows keep their meaning. */
      g_autofree gchar *exec = popbell_mail_client_escape_exec (command);

      app_info = g_app_info_create_from_commandline (exec, NULL,
                                                     G_APP_INFO_CREATE_NONE, error);
      if (app_info == NULL)
        return FALSE;
    }
  else
    {
      app_info = g_app_info_get_default_for_uri_scheme ("mailto");
      if (app_info == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("No mail client is set up: choose a default mail "
                                 "application in your desktop’s settings, or enter a "
                                 "mail client command in Popbell’s preferences."));
          return FALSE;
        }
    }

  return g_app_info_launch (app_info, NULL, context, error);
}
