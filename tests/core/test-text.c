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
                   /* &#0; is not a character: libxml2 drops it. */
                   "a < b &unknown; 3 < 4\n\n"
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

/* "x", <br>×n, <p>×n, "y": was quadratic (every <p> counted the newlines
 * at the end of the output again). */
static gchar *
breaks_then_paragraphs (gsize n)
{
  GString *html = g_string_sized_new (7 * n + 2);

  g_string_append_c (html, 'x');
  for (gsize i = 0; i < n; i++)
    g_string_append (html, "<br>");
  for (gsize i = 0; i < n; i++)
    g_string_append (html, "<p>");
  g_string_append_c (html, 'y');
  return g_string_free (html, FALSE);
}

static void
test_html_breaks_then_paragraphs (void)
{
  /* 1 MiB of markup, the size that froze the applet for 7-9 s. Its speed
   * is measured by bench-text (up to 4 MiB); here only the result is
   * checked (1 MiB keeps it short under the sanitizers too). */
  const gsize n = 1024 * 1024 / 7;
  g_autofree gchar *html = breaks_then_paragraphs (n);
  g_autofree gchar *text = popbell_text_from_html (html);
  gsize len = strlen (text);

  g_assert_cmpuint (len, ==, n + 2);
  g_assert_cmpint (text[0], ==, 'x');
  g_assert_cmpint (text[len - 1], ==, 'y');
  for (gsize i = 1; i < len - 1; i++)
    if (text[i] != '\n')
      g_error ("octet %" G_GSIZE_FORMAT " is %d, not a newline", i, text[i]);
}

static void
test_html_deep (void)
{
  /* Nesting deeper than any stack a recursive walk could afford. libxml2
   * stops building the tree at 256 levels (no HTML_PARSE_HUGE): what came
   * before is kept, the rest is cut, nothing crashes. */
  const guint depth = 100000;
  GString *html = g_string_new ("top");
  g_autofree gchar *text = NULL;

  for (guint i = 0; i < depth; i++)
    g_string_append (html, i < 200 ? "<div>" : "<span>");
  g_string_append (html, "deep");
  text = popbell_text_from_html (html->str);
  g_string_free (html, TRUE);
  g_assert_cmpstr (text, ==, "top");
}

static void
test_html_nothing_loaded (void)
{
  /* The encoding is the caller's (the part was converted to UTF-8), not
   * what the document claims; external entities and DTDs are never
   * fetched, remote images never mentioned. */
  const gchar *html =
    "<!DOCTYPE html SYSTEM \"http://127.0.0.1:9/never.dtd\">"
    "<html><head><meta charset=\"iso-8859-1\"><base href=\"http://127.0.0.1:9/\">"
    "<link rel=\"stylesheet\" href=\"http://127.0.0.1:9/s.css\"></head>"
    "<body><p>Gr\xc3\xbc\xc3\x9f &uuml;</p><img src=\"http://127.0.0.1:9/x.png\">"
    "<iframe src=\"http://127.0.0.1:9/\">frame</iframe></body></html>";
  g_autofree gchar *text = popbell_text_from_html (html);

  /* An iframe's content is its fallback text: shown, never loaded. */
  g_assert_cmpstr (text, ==, "Gr\xc3\xbc\xc3\x9f \xc3\xbc\n\nframe");
}

static void
test_html_empty (void)
{
  const gchar *cases[] = { "", " ", "<p></p>", "<!-- x -->", "<br>", NULL };

  for (gsize i = 0; cases[i] != NULL; i++)
    {
      g_autofree gchar *text = popbell_text_from_html (cases[i]);
      g_assert_cmpstr (text, ==, "");
    }
  {
    g_autofree gchar *text = popbell_text_from_html (NULL);
    g_assert_cmpstr (text, ==, "");
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
  g_test_add_func ("/core/text/html-breaks-then-paragraphs", test_html_breaks_then_paragraphs);
  g_test_add_func ("/core/text/html-deep", test_html_deep);
  g_test_add_func ("/core/text/html-nothing-loaded", test_html_nothing_loaded);
  g_test_add_func ("/core/text/html-empty", test_html_empty);

  return g_test_run ();
}
