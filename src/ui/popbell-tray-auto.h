/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-tray.h"

G_BEGIN_DECLS

/* The tray for a session that may change under us: the StatusNotifierItem
 * while org.kde.StatusNotifierWatcher has an owner on the session bus, the
 * XEmbed status icon while it has none. A panel started after us, restarted
 * or gone moves the icon; the new backend gets the last state at once. */
#define POPBELL_TYPE_TRAY_AUTO (popbell_tray_auto_get_type ())
G_DECLARE_FINAL_TYPE (PopbellTrayAuto, popbell_tray_auto, POPBELL, TRAY_AUTO, GObject)

PopbellTray *popbell_tray_auto_new (GActionGroup *actions);

G_END_DECLS
