/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * Prints how long popbell_text_from_html() takes for the markup that made
 * the old reducer quadratic ("x", <br>×N, <p>×N, "y": 29 s for 2 MiB) and
 * for a plain newsletter-like page of the same size. Not a test: figures
 * depend on the machine (the result is checked by test-text,
 * /core/text/html-breaks-then-paragraphs). Run:
 *
 *   _build-test/tests/core/bench-text
 */
#include <stdio.h>
#include <string.h>

#include "popbell-text.h"

static gchar *
breaks_then_paragraphs (gsize bytes)
{
  gsize n = bytes / 7;
  GString *html = g_string_sized_new (bytes + 2);

  g_string_append_c (html, 'x');
  for (gsize i = 0; i < n; i++)
    g_string_append (html, "<br>");
  for (gsize i = 0; i < n; i++)
    g_string_append (html, "<p>");
  g_string_append_c (html, 'y');
  return g_string_free (html, FALSE);
}

static gchar *
newsletter (gsize bytes)
{
  GString *html = g_string_new ("<html><body><table>");

  while (html->len < bytes)
    g_string_append (html, "<tr><td><p>Offer of the day &amp; more: <b>50&nbsp;%</b> off"
                           "<br><a href=\"https://example.com/\">read</a></p></td></tr>\n");
  g_string_append (html, "</table></body></html>");
  return g_string_free (html, FALSE);
}

static void
measure (const gchar *what, gchar *(*make) (gsize), gsize bytes)
{
  g_autofree gchar *html = make (bytes);
  g_autofree gchar *text = NULL;
  gint64 start = g_get_monotonic_time ();
  gdouble seconds;

  text = popbell_text_from_html (html);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  printf ("%-26s %5.2f MiB in %7.3f s (%6.1f MiB/s), %zu octets of text\n", what,
          strlen (html) / 1048576.0, seconds, strlen (html) / 1048576.0 / MAX (seconds, 1e-6),
          strlen (text));
}

int
main (int argc, char **argv)
{
  for (gsize mib = 1; mib <= 4; mib *= 2)
    measure ("<br>xN then <p>xN", breaks_then_paragraphs, mib * 1024 * 1024);
  for (gsize mib = 1; mib <= 4; mib *= 2)
    measure ("newsletter table", newsletter, mib * 1024 * 1024);
  return 0;
}
