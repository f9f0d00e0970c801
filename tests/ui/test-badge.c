/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gstdio.h>

#include "popbell-badge.h"

/* The tray badge: drawn with cairo at the sizes panels use, the digits must
 * really be there (white on the red pill), and "99+" beyond 99. */

typedef struct {
  guint white;     /* digit pixels */
  guint red;       /* pill pixels */
  guint opaque;    /* anything drawn */
  gint  lowest_white_row;
} Census;

static Census
census (GdkPixbuf *pixbuf)
{
  Census c = { 0, 0, 0, -1 };
  gint w = gdk_pixbuf_get_width (pixbuf);
  gint h = gdk_pixbuf_get_height (pixbuf);
  gint stride = gdk_pixbuf_get_rowstride (pixbuf);
  const guchar *pixels = gdk_pixbuf_read_pixels (pixbuf);

  g_assert_true (gdk_pixbuf_get_has_alpha (pixbuf));
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      {
        const guchar *p = pixels + y * stride + x * 4;

        if (p[3] < 200)
          continue;
        c.opaque++;
        if (p[0] >= 190 && p[1] >= 190 && p[2] >= 190)
          {
            c.white++;
            c.lowest_white_row = MAX (c.lowest_white_row, y);
          }
        else if (p[0] >= 150 && p[1] <= 90 && p[2] <= 90)
          c.red++;
      }
  return c;
}

static void
save_for_inspection (GdkPixbuf   *pixbuf,
                     const gchar *name)
{
  const gchar *dir = g_getenv ("POPBELL_TEST_OUTDIR");
  g_autofree gchar *path = NULL;
  g_autoptr(GdkPixbuf) big = NULL;

  if (dir == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  /* 8× without smoothing: the real pixels, visible. */
  big = gdk_pixbuf_scale_simple (pixbuf, gdk_pixbuf_get_width (pixbuf) * 8,
                                 gdk_pixbuf_get_height (pixbuf) * 8, GDK_INTERP_NEAREST);
  g_assert_true (gdk_pixbuf_save (big, path, "png", NULL, NULL));
}

static void
test_zero_draws_nothing (void)
{
  g_autoptr(GdkPixbuf) empty = popbell_badge_render (NULL, 0, 22);
  Census c = census (empty);

  g_assert_cmpint (gdk_pixbuf_get_width (empty), ==, 22);
  g_assert_cmpuint (c.opaque, ==, 0);
}

static void
test_digits (gconstpointer data)
{
  gint size = GPOINTER_TO_INT (data);
  const guint counts[] = { 1, 7, 42, 100 };
  guint white[G_N_ELEMENTS (counts)];
  guint red[G_N_ELEMENTS (counts)];

  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autoptr(GdkPixbuf) badge = popbell_badge_render (NULL, counts[i], size);
      g_autofree gchar *name = g_strdup_printf ("badge-%d-%u.png", size, counts[i]);
      Census c = census (badge);

      save_for_inspection (badge, name);
      g_test_message ("size %d count %u: %u white, %u red, %u opaque", size, counts[i],
                      c.white, c.red, c.opaque);
      /* Digits need some area; the pill around them more. */
      g_assert_cmpuint (c.white, >=, (guint) MAX (3, size / 4));
      g_assert_cmpuint (c.red, >, c.white);
      /* The pill is at the top and takes ~60 % of the height: the digits
       * stay inside it. */
      g_assert_cmpint (c.lowest_white_row, <, (gint) (size * 0.62) + 1);
      white[i] = c.white;
      red[i] = c.red + c.white;
    }

  /* Two digits draw more than one; "99+" is a wider pill than "7". */
  g_assert_cmpuint (white[2], >, white[1]);
  g_assert_cmpuint (red[3], >, red[1]);
}

static void
test_over_99 (void)
{
  g_autoptr(GdkPixbuf) a = popbell_badge_render (NULL, 100, 24);
  g_autoptr(GdkPixbuf) b = popbell_badge_render (NULL, 12345, 24);
  gsize len = gdk_pixbuf_get_byte_length (a);

  /* Both read "99+". */
  g_assert_cmpuint (len, ==, gdk_pixbuf_get_byte_length (b));
  g_assert_cmpmem (gdk_pixbuf_read_pixels (a), len, gdk_pixbuf_read_pixels (b), len);
}

static void
test_on_base (void)
{
  g_autoptr(GdkPixbuf) base = popbell_badge_load_base (POPBELL_BADGE_VARIANT_NEW, 24);
  g_autoptr(GdkPixbuf) plain = popbell_badge_render (base, 0, 24);
  g_autoptr(GdkPixbuf) badged = popbell_badge_render (base, 3, 24);
  g_autoptr(GdkPixbuf) attention = popbell_badge_load_base (POPBELL_BADGE_VARIANT_ATTENTION, 16);
  g_autoptr(GdkPixbuf) attention_badged = popbell_badge_render (attention, 12, 16);
  Census base_census = census (base);
  Census plain_census = census (plain);
  Census badged_census = census (badged);

  save_for_inspection (badged, "badge-new-24-3.png");
  save_for_inspection (attention_badged, "badge-attention-16-12.png");

  /* The bell from the resources is drawn (the SVG loader works). */
  g_assert_cmpuint (base_census.opaque, >, 24 * 24 / 5);
  g_assert_cmpuint (plain_census.opaque, ==, base_census.opaque);
  /* The badge adds red and white on top of the bell. */
  g_assert_cmpuint (badged_census.red, >, plain_census.red + 10);
  g_assert_cmpuint (badged_census.white, >, plain_census.white);
}

/* The themed names are the installed files' names (data/icons). */
static void
test_icon_names (void)
{
  g_assert_cmpstr (popbell_badge_variant_icon_name (POPBELL_BADGE_VARIANT_NORMAL), ==,
                   "popbell-tray");
  g_assert_cmpstr (popbell_badge_variant_icon_name (POPBELL_BADGE_VARIANT_NEW), ==,
                   "popbell-tray-new");
  g_assert_cmpstr (popbell_badge_variant_icon_name (POPBELL_BADGE_VARIANT_ATTENTION), ==,
                   "popbell-tray-attention");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/badge/zero-draws-nothing", test_zero_draws_nothing);
  g_test_add_data_func ("/ui/badge/digits/16", GINT_TO_POINTER (16), test_digits);
  g_test_add_data_func ("/ui/badge/digits/22", GINT_TO_POINTER (22), test_digits);
  g_test_add_data_func ("/ui/badge/digits/24", GINT_TO_POINTER (24), test_digits);
  g_test_add_func ("/ui/badge/over-99", test_over_99);
  g_test_add_func ("/ui/badge/on-base", test_on_base);
  g_test_add_func ("/ui/badge/icon-names", test_icon_names);

  return g_test_run ();
}
