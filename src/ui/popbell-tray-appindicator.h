/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-tray.h"

G_BEGIN_DECLS

/* A StatusNotifierItem through libayatana-appindicator3. Without a
 * StatusNotifierWatcher the library itself falls back to an XEmbed icon. */
#define POPBELL_TYPE_TRAY_APPINDICATOR (popbell_tray_appindicator_get_type ())
G_DECLARE_FINAL_TYPE (PopbellTrayAppindicator, popbell_tray_appindicator, POPBELL,
                      TRAY_APPINDICATOR, GObject)

PopbellTray *popbell_tray_appindicator_new (GActionGroup *actions);

G_END_DECLS
