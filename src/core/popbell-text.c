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

/* --- HTML to text ------------------------------------------------------ */

static const struct {
  const gchar *name;
  gunichar     c;
} html_entities[] = {
  { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
  { "nbsp", ' ' }, { "shy", 0xAD }, { "copy", 0xA9 }, { "reg", 0xAE }, { "trade", 0x2122 },
  { "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 },
  { "rsquo", 0x2019 }, { "sbquo", 0x201A }, { "ldquo", 0x201C }, { "rdquo", 0x201D },
  { "bdquo", 0x201E }, { "bull", 0x2022 }, { "middot", 0xB7 }, { "euro", 0x20AC },
  { "pound", 0xA3 }, { "yen", 0xA5 }, { "cent", 0xA2 }, { "sect", 0xA7 }, { "deg", 0xB0 },
  { "plusmn", 0xB1 }, { "times", 0xD7 }, { "divide", 0xF7 }, { "laquo", 0xAB },
  { "raquo", 0xBB }, { "iexcl", 0xA1 }, { "iquest", 0xBF }, { "auml", 0xE4 },
  { "ouml", 0xF6 }, { "uuml", 0xFC }, { "Auml", 0xC4 }, { "Ouml", 0xD6 }, { "Uuml", 0xDC },
  { "szlig", 0xDF }, { "eacute", 0xE9 }, { "egrave", 0xE8 }, { "ecirc", 0xEA },
  { "aacute", 0xE1 }, { "agrave", 0xE0 }, { "acirc", 0xE2 }, { "ccedil", 0xE7 },
  { "oacute", 0xF3 }, { "ntilde", 0xF1 }, { "Eacute", 0xC9 }, { "zwnj", 0x200C },
  { "zwj", 0x200D }, { "rarr", 0x2192 }, { "larr", 0x2190 },
};

/* Decodes the entity at @p ('&'); returns the character and sets *@end past
 * it, or returns 0 when it is not one (the '&' is then plain text). */
static gunichar
decode_entity (const gchar  *p,
               const gchar **end)
{
  const gchar *q = p + 1;
  gchar name[12];
  gsize n = 0;

  if (*q == '#')
    {
      guint64 value = 0;
      gboolean hex = (q[1] == 'x' || q[1] == 'X');
      const gchar *digits = q + (hex ? 2 : 1);
      const gchar *r = digits;

      while (g_ascii_isxdigit (*r) && (hex || g_ascii_isdigit (*r)) && r - digits < 8)
        {
          value = value * (hex ? 16 : 10) + (hex ? (guint) g_ascii_xdigit_value (*r)
                                                 : (guint) g_ascii_digit_value (*r));
          r++;
        }
      if (r == digits)
        return 0;
      *end = *r == ';' ? r + 1 : r;
      if (value == 0 || value > 0x10FFFF || !g_unichar_validate ((gunichar) value))
        return 0xFFFD;
      return (gunichar) value;
    }

  while (g_ascii_isalnum (q[n]) && n < sizeof name - 1)
    {
      name[n] = q[n];
      n++;
    }
  name[n] = '\0';
  if (n == 0 || q[n] != ';')
    return 0;

  for (gsize i = 0; i < G_N_ELEMENTS (html_entities); i++)
    if (strcmp (html_entities[i].name, name) == 0)
      {
        *end = q + n + 1;
        return html_entities[i].c;
      }
  return 0;
}

/* Case-insensitive search for @needle (lower case ASCII). */
static const gchar *
find_ascii_ci (const gchar *haystack,
               const gchar *needle)
{
  gsize n = strlen (needle);

  for (const gchar *p = haystack; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, needle, n) == 0)
      return p;
  return NULL;
}

typedef struct {
  GString  *out;
  gboolean  space_pending;
  guint     pre;            /* inside <pre>: keep whitespace */
} HtmlText;

static void
html_break (HtmlText *state,
            guint     newlines)
{
  guint have = 0;

  state->space_pending = FALSE;
  while (state->out->len > 0 && state->out->str[state->out->len - 1] == ' ')
    g_string_truncate (state->out, state->out->len - 1);
  if (state->out->len == 0)
    return;
  for (gsize i = state->out->len; i > 0 && state->out->str[i - 1] == '\n'; i--)
    have++;
  for (; have < newlines; have++)
    g_string_append_c (state->out, '\n');
}

static void
html_text_char (HtmlText *state,
                gunichar  c)
{
  if (state->pre == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'))
    {
      if (state->out->len > 0 && state->out->str[state->out->len - 1] != '\n')
        state->space_pending = TRUE;
      return;
    }
  if (state->space_pending)
    g_string_append_c (state->out, ' ');
  state->space_pending = FALSE;
  g_string_append_unichar (state->out, c);
}

static gboolean
tag_in (const gchar *name,
        const gchar *const *list)
{
  return g_strv_contains (list, name);
}

static void
html_tag (HtmlText    *state,
          const gchar *name,
          gboolean     closing)
{
  static const gchar *const paragraphs[] = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "dl",
    "pre", "hr", NULL,
  };
  static const gchar *const lines[] = {
    "div", "tr", "dt", "dd", "section", "article", "header", "footer", "address",
    "center", "form", "fieldset", "caption", NULL,
  };

  if (g_str_equal (name, "br"))
    {
      state->space_pending = FALSE;
      g_string_append_c (state->out, '\n');
    }
  else if (tag_in (name, paragraphs))
    html_break (state, 2);
  else if (tag_in (name, lines))
    html_break (state, 1);
  else if (g_str_equal (name, "li"))
    {
      html_break (state, 1);
      if (!closing)
        g_string_append (state->out, "- ");
    }
  else if ((g_str_equal (name, "td") || g_str_equal (name, "th")) && !closing)
    html_text_char (state, ' ');

  if (g_str_equal (name, "pre"))
    state->pre = closing ? (state->pre > 0 ? state->pre - 1 : 0) : state->pre + 1;
}

gchar *
popbell_text_from_html (const gchar *html)
{
  static const gchar *const hidden[] = {
    "script", "style", "head", "title", "template", "object", "svg", NULL,
  };
  HtmlText state = { g_string_new (NULL), FALSE, 0 };
  const gchar *p = html != NULL ? html : "";

  while (*p != '\0')
    {
      if (*p == '<')
        {
          const gchar *q = p + 1;
          gboolean closing = FALSE;
          gchar name[16];
          gsize n = 0;
          gchar quote = 0;

          if (g_str_has_prefix (p, "<!--"))
            {
              const gchar *end = strstr (p + 4, "-->");
              p = end != NULL ? end + 3 : p + strlen (p);
              continue;
            }
          if (*q == '/')
            {
              closing = TRUE;
              q++;
            }
          if (*q == '!' || *q == '?')
            n = 0;
          else
            {
              while (g_ascii_isalnum (q[n]) && n < sizeof name - 1)
                {
                  name[n] = g_ascii_tolower (q[n]);
                  n++;
                }
              if (n == 0)
                {
                  /* "a < b": not a tag. */
                  html_text_char (&state, '<');
                  p++;
                  continue;
                }
            }
          name[n] = '\0';

          /* The tag ends at the first '>' outside quoted attribute values. */
          for (q += n; *q != '\0'; q++)
            {
              if (quote != 0)
                {
                  if (*q == quote)
                    quote = 0;
                }
              else if (*q == '"' || *q == '\'')
                quote = *q;
              else if (*q == '>')
                break;
            }
          p = *q == '>' ? q + 1 : q;

          if (n > 0 && !closing && tag_in (name, hidden))
            {
              g_autofree gchar *end_tag = g_strconcat ("</", name, NULL);
              const gchar *end = find_ascii_ci (p, end_tag);

              if (end == NULL)
                break;
              end = strchr (end, '>');
              p = end != NULL ? end + 1 : p + strlen (p);
              continue;
            }
          if (n > 0)
            html_tag (&state, name, closing);
        }
      else if (*p == '&')
        {
          const gchar *end = NULL;
          gunichar c = decode_entity (p, &end);

          if (c == 0)
            {
              html_text_char (&state, '&');
              p++;
            }
          else
            {
              html_text_char (&state, c);
              p = end;
            }
        }
      else
        {
          html_text_char (&state, g_utf8_get_char_validated (p, -1) == (gunichar) -1 ||
                                  g_utf8_get_char_validated (p, -1) == (gunichar) -2
                                  ? 0xFFFD : g_utf8_get_char (p));
          p = g_utf8_next_char (p);
        }
    }

  html_break (&state, 0);
  return g_strchomp (g_string_free (state.out, FALSE));
}
