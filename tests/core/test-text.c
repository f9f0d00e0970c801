/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include <string.h>

#include "popbell-text.h"

static void
test_line_invalid_utf8 (void)
{
  /* Latin-1 "Grüße" raw, and a NUL in the middle. */
  g_autofree gchar *a = popbell_text_sanitize_line ("Gr\xfc\xdf" "e", -1, 0);
  g_autofree gchar *b = popbell_text_sanitize_line ("a\0b", 3, 0);

  g_assert_true (g_utf8_validate (a, -1, NULL));
  g_assert_cmpstr (a, ==, "Gr\xef\xbf\xbd\xef\xbf\xbd" "e");
  g_assert_cmpstr (b, ==, "a\xef\xbf\xbd" "b");
}

static void
test_line_controls (void)
{
  g_autofree gchar *a = popbell_text_sanitize_line ("  Hello,\r\n\tworld\x1b[31m \x7f!  ", -1, 0);
  /* C1 control (U+0085), line separator, bidi override (RLO). */
  g_autofree gchar *b = popbell_text_sanitize_line ("x\xc2\x85y\xe2\x80\xa8z \xe2\x80\xae" "evil", -1, 0);
  g_autofree gchar *c = popbell_text_sanitize_line (NULL, -1, 0);

  g_assert_cmpstr (a, ==, "Hello, world [31m !");
  g_assert_cmpstr (b, ==, "x y z evil");
  g_assert_cmpstr (c, ==, "");
}

static void
test_line_shorten (void)
{
  g_autofree gchar *a = popbell_text_sanitize_line ("Grüße aus Köln", -1, 6);
  g_autofree gchar *b = popbell_text_sanitize_line ("Grüße", -1, 5);
  g_autofree gchar *c = popbell_text_shorten ("ab cd", 4);
  g_autofree gchar *d = popbell_text_shorten ("abc", 1);

  g_assert_cmpstr (a, ==, "Grüße…");
  g_assert_cmpint (g_utf8_strlen (a, -1), ==, 6);
  g_assert_cmpstr (b, ==, "Grüße");
  g_assert_cmpstr (c, ==, "ab…");   /* no dangling space before the ellipsis */
  g_assert_cmpstr (d, ==, "…");
}

static void
test_body (void)
{
  g_autofree gchar *a = popbell_text_sanitize_body ("one\r\ntwo\rthree\n\tfour\x01\x1b five\xff", -1);

  g_assert_cmpstr (a, ==, "one\ntwo\nthree\n\tfour five\xef\xbf\xbd");
}

static void
test_huge (void)
{
  gsize n = 4 * 1024 * 1024;
  g_autofree gchar *big = g_malloc (n + 1);
  g_autofree gchar *line = NULL;

  memset (big, 'x', n);
  big[n] = '\0';
  line = popbell_text_sanitize_line (big, -1, POPBELL_TEXT_HEADER_MAX_CHARS);
  g_assert_cmpint (g_utf8_strlen (line, -1), ==, POPBELL_TEXT_HEADER_MAX_CHARS);
  g_assert_true (g_str_has_suffix (line, "…"));
}

static void
test_html (void)
{
  const gchar *html =
    "<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head>"
    "<body><script type=\"text/javascript\">alert('<p>x</p>')</script>"
    "<p>Hello&nbsp;<b>J&uuml;rgen</b> &amp; co&#8212;&#x263a;</p>"
    "<div>line<br>break</div><!-- <p>hidden</p> -->"
    "<ul><li>one</li><li>two</li></ul>"
    "<img src=\"http://tracker.example/x.png\" alt='a > b'>"
    "<p>a &lt; b &unknown; &#0; 3 < 4</p><PRE>  keep\n  this</PRE>"
    "</body></html>";
  g_autofree gchar *text = popbell_text_from_html (html);

  g_assert_cmpstr (text, ==,
                   "Hello J\xc3\xbcrgen & co\xe2\x80\x94\xe2\x98\xba\n\n"
                   "line\nbreak\n\n"
                   "- one\n- two\n\n"
                   "a < b &unknown; \xef\xbf\xbd 3 < 4\n\n"
                   "  keep\n  this");
}

static void
test_html_broken (void)
{
  const gchar *cases[] = {
    "<", "<p", "<p class=\"x", "<script>never ends", "&", "&#", "&#x;", "&#99999999999;",
    "<!-- open", "</", "<<<>>>", "<a href='x>y'>t</a>",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *text = popbell_text_from_html (cases[i]);
      g_assert_true (g_utf8_validate (text, -1, NULL));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/text/line-invalid-utf8", test_line_invalid_utf8);
  g_test_add_func ("/core/text/line-controls", test_line_controls);
  g_test_add_func ("/core/text/line-shorten", test_line_shorten);
  g_test_add_func ("/core/text/body", test_body);
  g_test_add_func ("/core/text/huge", test_huge);
  g_test_add_func ("/core/text/html", test_html);
  g_test_add_func ("/core/text/html-broken", test_html_broken);

  return g_test_run ();
}
