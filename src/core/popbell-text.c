/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-text.h"

#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6"   /* U+2026 */

/* Explicit bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069): in a one-line header they let a sender reorder what the
 * user reads ("Trojan Source" style spoofing), so they go. */
static gboolean
is_bidi_control (gunichar c)
{
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

static gchar *
make_valid (const gchar *text,
            gssize       len)
{
  if (text == NULL)
    return g_strdup ("");
  if (len < 0)
    len = strlen (text);
  /* Also turns embedded NUL bytes into U+FFFD. */
  return g_utf8_make_valid (text, len);
}

gchar *
popbell_text_shorten (const gchar *text,
                      gsize        max_chars)
{
  const gchar *end;
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);

  if (max_chars == 0 || (gsize) g_utf8_strlen (text, -1) <= max_chars)
    return g_strdup (text);

  end = g_utf8_offset_to_pointer (text, max_chars - 1);
  out = g_string_new_len (text, end - text);
  /* Don't leave a dangling space before the ellipsis. */
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  g_string_append (out, ELLIPSIS);
  return g_string_free (out, FALSE);
}

gchar *
popbell_text_sanitize_line (const gchar *text,
                            gssize       len,
                            gsize        max_chars)
{
  g_autofree gchar *valid = make_valid (text, len);
  g_autofree gchar *line = NULL;
  GString *out = g_string_sized_new (strlen (valid));
  gboolean pending_space = FALSE;

  for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_bidi_control (c))
        continue;
      if (g_unichar_iscntrl (c) || g_unichar_isspace (c) ||
          c == 0x2028 || c == 0x2029)
        {
          pending_space = out->len > 0;
          continue;
        }
      if (pending_space)
        g_string_append_c (out, ' ');
      pending_space = FALSE;
      g_string_append_unichar (out, c);
    }

  line = g_string_free (out, FALSE);
  return popbell_text_shorten (line, max_chars);
}

gchar *
popbell_text_sanitize_body (const gchar *text,
                            gssize       len)
{
  g_autofree gchar *valid = make_valid (text, len);
  GString *out = g_string_sized_new (strlen (valid));

  for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\r')
        {
          /* CRLF and a lone CR both end a line. */
          g_string_append_c (out, '\n');
          if (p[1] == '\n')
            p++;
          continue;
        }
      if (c == '\n' || c == '\t')
        {
          g_string_append_c (out, (gchar) c);
          continue;
        }
      if (g_unichar_iscntrl (c))
        continue;
      g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}
