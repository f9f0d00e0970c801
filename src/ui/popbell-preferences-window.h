/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gtk/gtk.h>

#include "popbell-account-editor.h"
#include "popbell-engine.h"

G_BEGIN_DECLS

/**
 * PopbellPreferencesWindow:
 *
 * The accounts (add, edit through #PopbellAccountEditor, remove) and the
 * app-wide settings: "Start at login" (the XDG autostart entry) and the
 * mail client command. Every change is saved and applied at once, no
 * restart and no "Apply" button.
 */
#define POPBELL_TYPE_PREFERENCES_WINDOW (popbell_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (PopbellPreferencesWindow, popbell_preferences_window, POPBELL,
                      PREFERENCES_WINDOW, GtkApplicationWindow)

GtkWidget *popbell_preferences_window_new (GtkApplication *app,
                                           PopbellEngine  *engine);

/* Writes a pending mail client command now (it is otherwise saved shortly
 * after typing stops, and when the window closes). */
void       popbell_preferences_window_flush (PopbellPreferencesWindow *self);

/* Opens the editor of @account_name over the window, prepared for the
 * remedy of @problem (nullable): see popbell_account_editor_focus(). */
void       popbell_preferences_window_edit_account (PopbellPreferencesWindow  *self,
                                                    const gchar               *account_name,
                                                    PopbellAccountEditorFocus  focus,
                                                    const GError              *problem);

/* TRUE while "Copy diagnostics" is making its report (for tests). */
gboolean   popbell_preferences_window_is_busy (PopbellPreferencesWindow *self);

G_END_DECLS
