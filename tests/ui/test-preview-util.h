/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Helpers of the window tests (test-preview, test-preferences): a private
 * X display, widget look-up by GtkBuilder id, waiting on the main context,
 * screenshots. */

/* Starts Xvfb on a free display (-displayfd) and sets DISPLAY, unless
 * POPBELL_TEST_DISPLAY names a display to use. Call after the test session
 * (which unsets DISPLAY) and before gtk_init(). FALSE with @error when Xvfb
 * is missing or did not come up. */
gboolean   ui_test_display_start (GError **error);
/* Stops the Xvfb started above (by its PID), or, once GTK is connected to
 * it, leaves it to exit with this process. */
void       ui_test_display_stop  (void);

/* The descendant of @root whose GtkBuilder id (gtk_buildable_get_name) is
 * @id, searching internal children too; fails the test when there is none. */
GtkWidget *ui_test_find          (GtkWidget   *root,
                                  const gchar *id);
/* The newest toplevel of @type that is not being destroyed, or NULL. */
GtkWidget *ui_test_find_toplevel (GType        type);

typedef gboolean (*UiTestCondition) (gpointer user_data);
/* Iterates the default main context until @condition holds; fails the test
 * after @timeout_ms. */
void       ui_test_wait          (UiTestCondition condition,
                                  gpointer        user_data,
                                  guint           timeout_ms);
/* Lets pending events, layout and drawing run (a few frames). */
void       ui_test_settle        (GtkWidget *window);

/* Draws @window and saves it as PNG under $POPBELL_TEST_OUTDIR (else the
 * build dir); returns the path. */
gchar     *ui_test_screenshot    (GtkWidget   *window,
                                  const gchar *basename);

/* Clicks @button and waits until @widget is finalized (the caller holds
 * no reference); it may already be gone when the click returns. */
void       ui_test_click_until_destroyed (GtkWidget *button,
                                          GtkWidget *widget,
                                          guint      timeout_ms);

G_END_DECLS

/* The descendant of @root whose widget name (gtk_widget_get_name) is
 * @name, or NULL. */
GtkWidget *ui_test_find_named    (GtkWidget   *root,
                                  const gchar *name);
