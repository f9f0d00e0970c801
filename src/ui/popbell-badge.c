/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <gdk/gdk.h>
#include <pango/pangocairo.h>

#include "popbell-badge.h"
#include "popbell-tray-icons.h"
#include "popbell-tray-text.h"

#define TRAY_ICON_RESOURCE_DIR "/io/github/popbell/Popbell/tray/"

const gchar *
popbell_badge_variant_icon_name (PopbellBadgeVariant variant)
{
  switch (variant)
    {
    case POPBELL_BADGE_VARIANT_NEW:
      return "popbell-tray-new";
    case POPBELL_BADGE_VARIANT_ATTENTION:
      return "popbell-tray-attention";
    case POPBELL_BADGE_VARIANT_NORMAL:
    default:
      return "popbell-tray";
    }
}

GdkPixbuf *
popbell_badge_load_base (PopbellBadgeVariant variant,
                         gint                size)
{
  g_autofree gchar *path = g_strconcat (TRAY_ICON_RESOURCE_DIR,
                                        popbell_badge_variant_icon_name (variant),
                                        ".svg", NULL);
  g_autoptr(GError) error = NULL;
  GdkPixbuf *pixbuf;

  g_return_val_if_fail (size > 0, NULL);

  /* The resource registers itself from a constructor in its object file;
   * referencing it makes sure a static link keeps that file. */
  (void) popbell_tray_icons_get_resource ();

  pixbuf = gdk_pixbuf_new_from_resource_at_scale (path, size, size, TRUE, &error);
  if (pixbuf == NULL)
    {
      /* Only a broken installation (no SVG pixbuf loader) gets here: draw the
       * badge on an empty square rather than show no icon at all. */
      g_warning ("Cannot load the tray icon %s: %s", path, error->message);
      pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, size, size);
      gdk_pixbuf_fill (pixbuf, 0);
    }
  return pixbuf;
}

static void
rounded_rect (cairo_t *cr,
              double   x,
              double   y,
              double   w,
              double   h)
{
  double r = h / 2;

  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, G_PI / 2);
  cairo_arc (cr, x + r, y + r, r, G_PI / 2, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
draw_badge (cairo_t     *cr,
            gint         size,
            const gchar *text)
{
  g_autoptr(PangoFontDescription) font = NULL;
  g_autoptr(PangoLayout) layout = NULL;
  PangoRectangle ink;
  double h = MAX (8.0, size * 0.62);
  double font_px = h * 0.82;
  double w;
  double x;
  double border = MAX (1.0, size / 20.0);

  layout = pango_cairo_create_layout (cr);
  font = pango_font_description_from_string ("Sans Condensed Bold");
  pango_font_description_set_absolute_size (font, font_px * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_extents (layout, &ink, NULL);

  /* Wider than high only when the text needs it; never wider than the icon:
   * "99+" is squeezed horizontally rather than clipped. */
  w = MIN ((double) size, MAX (h, ink.width + h * 0.45));
  x = size - w;

  rounded_rect (cr, x + border / 2, border / 2, w - border, h - border);
  cairo_set_source_rgb (cr, 0xe0 / 255.0, 0x1b / 255.0, 0x24 / 255.0);
  cairo_fill_preserve (cr);
  cairo_set_line_width (cr, border);
  cairo_set_source_rgb (cr, 0x80 / 255.0, 0x0a / 255.0, 0x12 / 255.0);
  cairo_stroke (cr);

  cairo_save (cr);
  {
    double avail = w - border * 2 - 1;
    double scale = ink.width > avail ? avail / ink.width : 1.0;
    double cx = x + w / 2;
    double cy = h / 2;

    cairo_translate (cr, cx, cy);
    cairo_scale (cr, scale, 1.0);
    cairo_move_to (cr, -(ink.x + ink.width / 2.0), -(ink.y + ink.height / 2.0));
    cairo_set_source_rgb (cr, 1, 1, 1);
    pango_cairo_show_layout (cr, layout);
  }
  cairo_restore (cr);
}

GdkPixbuf *
popbell_badge_render (GdkPixbuf *base,
                      guint      count,
                      gint       size)
{
  g_autofree gchar *text = popbell_tray_text_count (count);
  cairo_surface_t *surface;
  cairo_t *cr;
  GdkPixbuf *result;

  g_return_val_if_fail (size > 0, NULL);
  g_return_val_if_fail (base == NULL || GDK_IS_PIXBUF (base), NULL);

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, size, size);
  cr = cairo_create (surface);

  if (base != NULL)
    {
      double sx = (double) size / gdk_pixbuf_get_width (base);
      double sy = (double) size / gdk_pixbuf_get_height (base);

      cairo_save (cr);
      cairo_scale (cr, sx, sy);
      gdk_cairo_set_source_pixbuf (cr, base, 0, 0);
      cairo_paint (cr);
      cairo_restore (cr);
    }

  if (*text != '\0')
    draw_badge (cr, size, text);

  cairo_destroy (cr);
  cairo_surface_flush (surface);
  result = gdk_pixbuf_get_from_surface (surface, 0, 0, size, size);
  cairo_surface_destroy (surface);
  return result;
}
