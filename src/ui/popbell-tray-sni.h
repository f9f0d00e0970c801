/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-tray.h"

G_BEGIN_DECLS

/* Our own StatusNotifierItem (the KDE/freedesktop tray protocol): the item
 * at /StatusNotifierItem on the session bus connection the application
 * uses, registered with org.kde.StatusNotifierWatcher whenever that name
 * gets an owner (so again after a watcher restart), its menu exported over
 * com.canonical.dbusmenu at /StatusNotifierItem/Menu. The New* signals are
 * emitted only when what a host shows really changed: a routine check with
 * nothing new emits none. */
#define POPBELL_TYPE_TRAY_SNI (popbell_tray_sni_get_type ())
G_DECLARE_FINAL_TYPE (PopbellTraySni, popbell_tray_sni, POPBELL, TRAY_SNI, GObject)

/* (transfer full) (nullable) NULL without a session bus. */
PopbellTray *popbell_tray_sni_new (GActionGroup *actions);

G_END_DECLS
