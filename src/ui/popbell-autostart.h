/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "Start at login": the XDG autostart entry
 * $XDG_CONFIG_HOME/autostart/io.github.popbell.Popbell.desktop
 * (freedesktop.org Desktop Application Autostart Specification). No GTK:
 * unit-testable with a temporary XDG_CONFIG_HOME. */

/* (transfer full) the path of the entry, whether it exists or not. */
gchar   *popbell_autostart_dup_path    (void);

/* TRUE when the entry exists and is not switched off (Hidden=true or
 * X-GNOME-Autostart-enabled=false, as a desktop's session settings may
 * write). */
gboolean popbell_autostart_is_enabled  (void);

/* Writes the entry (Exec=popbell, X-GNOME-Autostart-enabled=true), or
 * removes it; removing a missing entry is not an error.
 * Errors: G_FILE_ERROR, G_IO_ERROR. */
gboolean popbell_autostart_set_enabled (gboolean   enabled,
                                        GError   **error);

G_END_DECLS
