/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* "Open mail client": the command the user set in the preferences, else the
 * desktop's default handler of mailto: URIs.
 *
 * The command is an app-wide setting, kept apart from the accounts in
 * $XDG_CONFIG_HOME/popbell/settings.ini, group [general], key mail-client
 * (a GKeyFile a user can edit; other keys and comments are kept). */

/* (transfer full) the settings file path. */
gchar   *popbell_settings_dup_path          (void);

/* (transfer full) (nullable) the configured command, NULL when none. */
gchar   *popbell_mail_client_dup_command    (void);

/* Stores @command (NULL or blank removes the key). Errors: G_FILE_ERROR,
 * G_KEY_FILE_ERROR (a malformed settings file is not overwritten). */
gboolean popbell_mail_client_set_command    (const gchar  *command,
                                             GError      **error);

/* (transfer full) @command as an Exec line (Desktop Entry Specification):
 * "%%" and the known field codes (%f %u %c %k ...) are kept, any other '%'
 * is the user's own and becomes "%%". The launcher reads the configured
 * command through this. */
gchar   *popbell_mail_client_escape_exec    (const gchar  *command);

/* Starts the configured command or the default mailto: handler, without a
 * URI (it just opens the client). @context: (nullable) e.g. from
 * gdk_display_get_app_launch_context(). Errors: G_IO_ERROR_NOT_FOUND when no
 * client is known, G_SHELL_ERROR for a malformed command, G_SPAWN_ERROR. */
gboolean popbell_mail_client_launch         (GAppLaunchContext  *context,
                                             GError            **error);

G_END_DECLS
