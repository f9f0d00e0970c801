/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gtk/gtk.h>

#include "popbell-engine.h"
#include "popbell-tray-text.h"

G_BEGIN_DECLS

/**
 * PopbellTrayState:
 *
 * What the tray shows; built by the application from the engine's account
 * statuses with the pure functions of popbell-tray-text.h.
 */
typedef struct {
  guint               unseen;          /* drawn on the icon, and the label */
  gboolean            attention;       /* an account needs the user (auth, certificate) */
  const gchar        *title;           /* one line, "Popbell — 3 new messages" */
  const gchar        *tooltip;         /* title and one line per account */
  const gchar *const *account_lines;   /* (nullable) shown at the top of the menu */
} PopbellTrayState;

/**
 * PopbellTray:
 *
 * The icon in the panel: a StatusNotifierItem (AppIndicator) or an XEmbed
 * GtkStatusIcon, chosen at start (nm-applet does the same). Both carry the
 * same menu — Preview newest, Check now, Mark all as seen, Preferences, Quit —
 * whose items activate the actions "preview", "check-now", "mark-all-seen",
 * "preferences" and "quit" of the #GActionGroup given to the constructor (the
 * application). Activating the icon, where the host supports it, activates
 * "preview".
 */
#define POPBELL_TYPE_TRAY (popbell_tray_get_type ())
G_DECLARE_INTERFACE (PopbellTray, popbell_tray, POPBELL, TRAY, GObject)

struct _PopbellTrayInterface
{
  GTypeInterface parent_iface;

  void         (*update)   (PopbellTray            *self,
                            const PopbellTrayState *state);
  const gchar *(*get_name) (PopbellTray            *self);
};

void         popbell_tray_update   (PopbellTray            *self,
                                    const PopbellTrayState *state);
/* "appindicator" or "status-icon", for logs and tests. */
const gchar *popbell_tray_get_name (PopbellTray            *self);

/* The implementation for this session: POPBELL_TRAY=appindicator|status-icon
 * forces one; otherwise AppIndicator when a StatusNotifierWatcher owns its
 * name on the session bus (or when the status icon is not available), else
 * the GtkStatusIcon. (transfer full) */
PopbellTray *popbell_tray_new_for_session (GActionGroup *actions);

/* Fills @out from @status; the pointers in @out are borrowed from @status. */
void popbell_tray_account_init_from_status (PopbellTrayAccount   *out,
                                            PopbellAccountStatus *status);

/* Shared by the implementations. */
GtkWidget *popbell_tray_menu_new              (GActionGroup       *actions);
void       popbell_tray_menu_set_status_lines (GtkWidget          *menu,
                                               const gchar *const *lines);
/* (transfer none) the "Preview newest" item, for a secondary-activate target. */
GtkWidget *popbell_tray_menu_get_preview_item (GtkWidget          *menu);

G_END_DECLS
