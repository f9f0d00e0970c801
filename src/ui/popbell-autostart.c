/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "popbell-autostart.h"

#define DESKTOP_GROUP G_KEY_FILE_DESKTOP_GROUP

gchar *
popbell_autostart_dup_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart",
                           APPLICATION_ID ".desktop", NULL);
}

gboolean
popbell_autostart_is_enabled (void)
{
  g_autofree gchar *path = popbell_autostart_dup_path ();
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  gboolean enabled;

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL))
    return FALSE;

  if (g_key_file_get_boolean (keyfile, DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_HIDDEN, NULL))
    return FALSE;

  /* A missing key means enabled; only an explicit false switches it off. */
  enabled = g_key_file_get_boolean (keyfile, DESKTOP_GROUP, "X-GNOME-Autostart-enabled", &error);
  return enabled || error != NULL;
}

gboolean
popbell_autostart_set_enabled (gboolean   enabled,
                               GError   **error)
{
  g_autofree gchar *path = popbell_autostart_dup_path ();
  g_autofree gchar *dir = NULL;
  g_autoptr(GKeyFile) keyfile = NULL;
  g_autofree gchar *data = NULL;
  gsize length;

  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Could not remove the autostart entry “%s”: %s"),
                       path, g_strerror (saved_errno));
          return FALSE;
        }
      return TRUE;
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not create the folder “%s”: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  /* Written in C locale on purpose: the session reads Name only for its
   * own settings list, and a fixed entry is easy to compare in tests. */
  keyfile = g_key_file_new ();
  g_key_file_set_string (keyfile, DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  g_key_file_set_string (keyfile, DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME, "Popbell");
  g_key_file_set_string (keyfile, DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_COMMENT,
                         "Check POP3 mailboxes for new mail");
  g_key_file_set_string (keyfile, DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC, "popbell");
  g_key_file_set_string (keyfile, DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON, APPLICATION_ID);
  g_key_file_set_boolean (keyfile, DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TERMINAL, FALSE);
  g_key_file_set_boolean (keyfile, DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);

  data = g_key_file_to_data (keyfile, &length, NULL);
  return g_file_set_contents_full (path, data, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}
