/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>

G_BEGIN_DECLS

/* Which of the project's tray icons (data/icons/.../status) is the base. */
typedef enum {
  POPBELL_BADGE_VARIANT_NORMAL,     /* popbell-tray: no new mail */
  POPBELL_BADGE_VARIANT_NEW,        /* popbell-tray-new: unseen mail */
  POPBELL_BADGE_VARIANT_ATTENTION,  /* popbell-tray-attention: an account needs the user */
} PopbellBadgeVariant;

/* (transfer full) The base icon at @size × @size, from the compiled-in
 * resources (so that an uninstalled build draws the same icon). */
GdkPixbuf *popbell_badge_load_base (PopbellBadgeVariant variant,
                                    gint                size);

/* (transfer full) A copy of @base (or a transparent square when NULL) of
 * @size × @size with the unseen count drawn on a red pill in the top right
 * corner: "1".."99", "99+" beyond; nothing for 0. The pill takes about 60 % of
 * the height so that digits stay readable at 16–24 px. */
GdkPixbuf *popbell_badge_render (GdkPixbuf *base,
                                 guint      count,
                                 gint       size);

/* The themed icon name of @variant ("popbell-tray", "popbell-tray-new",
 * "popbell-tray-attention"), installed in hicolor. */
const gchar *popbell_badge_variant_icon_name (PopbellBadgeVariant variant);

G_END_DECLS
