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

gchar *
popbell_account_editor_find_fingerprint (const gchar *text)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree gchar *found = NULL;

  if (text == NULL)
    return NULL;

  /* The engine's certificate errors name the SHA-256 fingerprint (SPEC §5
   * "a failure reports the certificate's SHA-256 fingerprint"); accept
   * both the colon form and bare hex, never a longer run of hex. */
  regex = g_regex_new ("(?<![0-9A-Fa-f:])((?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{64})"
                       "(?![0-9A-Fa-f:])",
                       G_REGEX_OPTIMIZE, 0, NULL);
  g_assert (regex != NULL);

  if (!g_regex_match (regex, text, 0, &match))
    return NULL;

  found = g_match_info_fetch (match, 1);
  return popbell_account_editor_normalize_fingerprint (found);
}
