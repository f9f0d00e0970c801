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

/* $XDG_CACHE_HOME/popbell/icons (SPEC §3: rendered tray icons may be lost). */
gchar *popbell_badge_dup_cache_dir (void);

/* Renders @variant with @count at @size into @dir (created if needed) as
 * NAME.png and returns NAME, an icon name for a tray host that is given @dir
 * as its icon theme path. The name changes with the picture, because hosts
 * cache icons by name. Errors: G_IO_ERROR, G_FILE_ERROR, GDK_PIXBUF_ERROR. */
gchar *popbell_badge_write_icon (const gchar         *dir,
                                 PopbellBadgeVariant  variant,
                                 guint                count,
                                 gint                 size,
                                 GError             **error);

G_END_DECLS
