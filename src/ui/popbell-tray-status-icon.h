/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-tray.h"

G_BEGIN_DECLS

/* An XEmbed tray icon (GtkStatusIcon, deprecated in GTK 3 but the only
 * XEmbed API it has), for panels without a StatusNotifierItem host. */
#define POPBELL_TYPE_TRAY_STATUS_ICON (popbell_tray_status_icon_get_type ())
G_DECLARE_FINAL_TYPE (PopbellTrayStatusIcon, popbell_tray_status_icon, POPBELL,
                      TRAY_STATUS_ICON, GObject)

PopbellTray *popbell_tray_status_icon_new (GActionGroup *actions);

G_END_DECLS
