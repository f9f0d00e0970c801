/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gtk/gtk.h>

#include "popbell-engine.h"

G_BEGIN_DECLS

/* The largest message "Load whole message" fetches (SPEC §5: within a size
 * cap); a larger one is left to the mail client. */
#define POPBELL_PREVIEW_MAX_MESSAGE_SIZE (5 * 1024 * 1024)

/**
 * PopbellPreviewWindow:
 *
 * Shows one message at a time: the unseen ones (newest first, previous/next
 * across them), or the newest on the server when none is unseen. Fetches
 * with TOP and the whole message only on request; every fetch can be
 * cancelled and never blocks the UI. Server text is shown as plain text,
 * never as markup.
 */
#define POPBELL_TYPE_PREVIEW_WINDOW (popbell_preview_window_get_type ())
G_DECLARE_FINAL_TYPE (PopbellPreviewWindow, popbell_preview_window, POPBELL, PREVIEW_WINDOW,
                      GtkApplicationWindow)

GtkWidget *popbell_preview_window_new          (GtkApplication       *app,
                                                PopbellEngine        *engine);

/* Presents the window on the newest unseen message (or the newest message
 * of the first enabled account) and starts fetching it. */
void       popbell_preview_window_show_newest  (PopbellPreviewWindow *self);

/* Presents the window on one message, e.g. from a notification's Preview
 * action; @uid NULL means the newest on the server of @account_name. */
void       popbell_preview_window_show_message (PopbellPreviewWindow *self,
                                                const gchar          *account_name,
                                                const gchar          *uid);

/* (transfer none) (nullable) the message shown, for tests. */
PopbellMessage *popbell_preview_window_get_message (PopbellPreviewWindow *self);

/* TRUE while a fetch or a deletion runs, for tests. */
gboolean   popbell_preview_window_is_busy      (PopbellPreviewWindow *self);

G_END_DECLS
