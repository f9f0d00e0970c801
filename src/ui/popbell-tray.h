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
  guint                     unseen;      /* drawn on the icon, and the label */
  gboolean                  attention;   /* a problem outside the accounts (the settings) */
  const gchar              *title;       /* one line, "Popbell — 3 new messages" */
  const gchar              *tooltip;     /* title and one line per account, with times */
  const PopbellTrayAccount *accounts;    /* (array length=n_accounts) (nullable) */
  guint                     n_accounts;
} PopbellTrayState;

/* TRUE when the icon must show a problem: @state's attention or any account
 * with a problem (SPEC §5 "Problems"). */
gboolean popbell_tray_state_has_problem (const PopbellTrayState *state);

/* (transfer full) A deep copy of @state, owning every string, time and
 * error, so that a backend created later can be given the last state. */
PopbellTrayState *popbell_tray_state_copy (const PopbellTrayState *state);
void              popbell_tray_state_free (PopbellTrayState       *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellTrayState, popbell_tray_state_free)

/**
 * PopbellTray:
 *
 * The icon in the panel: our own StatusNotifierItem (popbell-tray-sni.c) or
 * an XEmbed GtkStatusIcon (popbell-tray-status-icon.c); popbell-tray-auto.c
 * switches between the two as a StatusNotifierWatcher appears or goes. All
 * carry the same menu — one insensitive line per account, then Preview
 * newest, Check now, Mark all as seen, Open mail client, Preferences, Quit —
 * whose items activate the actions "preview", "check-now", "mark-all-seen",
 * "open-mail-client", "preferences" and "quit" of the #GActionGroup given to
 * the constructor (the application). Activating the icon activates
 * "preview"; a middle click on a StatusNotifierItem "check-now".
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
/* "sni" or "status-icon" (the backend in use), for logs and tests. */
const gchar *popbell_tray_get_name (PopbellTray            *self);

/* The implementation for this session: POPBELL_TRAY=sni|status-icon forces
 * one backend; otherwise a tray that uses the StatusNotifierItem while a
 * StatusNotifierWatcher owns its name on the session bus and the GtkStatusIcon
 * while none does, switching when the watcher comes or goes. Every switch is
 * logged (debug) as "Tray: NAME". (transfer full) */
PopbellTray *popbell_tray_new_for_session (GActionGroup *actions);

/* Fills @out from @status; the pointers in @out are borrowed from @status. */
void popbell_tray_account_init_from_status (PopbellTrayAccount   *out,
                                            PopbellAccountStatus *status);

/* Shared by the implementations. */
GtkWidget *popbell_tray_menu_new              (GActionGroup       *actions);
/* One line per account from popbell_tray_text_account_state(): no times, so
 * that a routine check changes nothing a dbusmenu client sees. */
void       popbell_tray_menu_set_accounts     (GtkWidget                *menu,
                                               const PopbellTrayAccount *accounts,
                                               guint                     n_accounts);
/* Pops @menu up at the pointer (a StatusNotifierItem's ContextMenu, the
 * status icon's right click). */
void       popbell_tray_menu_popup            (GtkWidget                *menu,
                                               guint                     button,
                                               guint32                   activate_time);

G_END_DECLS
