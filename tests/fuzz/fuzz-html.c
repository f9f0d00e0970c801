/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * HTML reduced to text (popbell_text_from_html()) and the line and body
 * sanitizers of src/core/popbell-text.c, on arbitrary octets. The output is
 * valid UTF-8 with no NUL; the one-line sanitizer leaves no control
 * character and respects its length limit.
 */
#include <string.h>

#include "fuzz-util.h"
#include "popbell-text.h"

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree gchar *html = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *line = NULL;
  g_autofree gchar *body = NULL;
  gsize max_chars;

  fuzz_init ();
  if (size > 256 * 1024)
    return 0;

  /* The message code hands HTML over as a C string of valid UTF-8. */
  html = g_utf8_make_valid ((const gchar *) data, size);
  text = popbell_text_from_html (html);
  FUZZ_CHECK (text != NULL && g_utf8_validate (text, -1, NULL), "HTML text is valid UTF-8");

  max_chars = size > 0 ? data[0] % 64 : 0;
  line = popbell_text_sanitize_line ((const gchar *) data, size, max_chars);
  FUZZ_CHECK (g_utf8_validate (line, -1, NULL), "a sanitized line is valid UTF-8");
  FUZZ_CHECK (max_chars == 0 || (gsize) g_utf8_strlen (line, -1) <= max_chars,
              "a sanitized line respects its limit");
  for (const gchar *p = line; *p != '\0'; p = g_utf8_next_char (p))
    FUZZ_CHECK (!g_unichar_iscntrl (g_utf8_get_char (p)), "no control character in a line");

  body = popbell_text_sanitize_body ((const gchar *) data, size);
  FUZZ_CHECK (g_utf8_validate (body, -1, NULL), "a sanitized body is valid UTF-8");
  FUZZ_CHECK (strchr (body, '\r') == NULL, "a sanitized body has no CR");
  return 0;
}
