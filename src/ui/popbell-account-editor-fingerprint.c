/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-account-editor.h"

/* Kept apart from the editor widget: pure string functions, unit-tested
 * without a display or an engine. */

gchar *
popbell_account_editor_normalize_fingerprint (const gchar *text)
{
  g_autoptr(GString) hex = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);

  if (text == NULL)
    return NULL;

  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        g_string_append_c (hex, g_ascii_toupper (*p));
      else if (*p != ':' && !g_ascii_isspace (*p))
        return NULL;
    }

  if (hex->len != 64)
    return NULL;

  for (gsize i = 0; i < hex->len; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, ':');
      g_string_append_len (out, hex->str + i, 2);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
