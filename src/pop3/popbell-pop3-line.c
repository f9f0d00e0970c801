/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-pop3-line.h"

#include <string.h>

PopbellPop3Line *
popbell_pop3_line_new (const void *data, gsize len, gboolean complete)
{
  PopbellPop3Line *line;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  line = g_malloc (sizeof (PopbellPop3Line) + len + 1);
  line->len = len;
  line->complete = complete;
  if (len > 0)
    memcpy (line->data, data, len);
  line->data[len] = '\0';
  return line;
}

void
popbell_pop3_line_free (PopbellPop3Line *line)
{
  g_free (line);
}

gchar *
popbell_pop3_trace_text (const gchar *data, gsize len)
{
  g_autoptr(GString) escaped = NULL;

  /* g_utf8_make_valid (NULL, 0) is a critical warning and NULL: empty
   * input is handled here, not by every caller. */
  if (data == NULL || len == 0)
    return g_strdup ("");
  /* Controls (NUL included) first, octet by octet; then whatever is not
   * UTF-8 becomes U+FFFD. */
  escaped = g_string_sized_new (len);
  for (gsize i = 0; i < len; i++)
    {
      guchar c = data[i];

      if (c < 0x20 || c == 0x7f)
        g_string_append_printf (escaped, "\\x%02x", c);
      else
        g_string_append_c (escaped, c);
    }
  return g_utf8_make_valid (escaped->str, escaped->len);
}
