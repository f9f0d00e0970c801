/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-pop3-reply.h"

#include <string.h>

/* Longest response code we keep (RFC 2449 codes are short atoms). */
#define MAX_RESP_CODE 64
#define MAX_TIMESTAMP 255

static gboolean
protocol_error (GError **error, const gchar *what)
{
  g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
               "The server sent a malformed %s", what);
  return FALSE;
}

/* Next space-separated word of *p (advanced past it), or NULL. */
static gchar *
next_word (const gchar **p)
{
  const gchar *start = *p;
  const gchar *end;

  while (*start == ' ')
    start++;
  if (*start == '\0')
    {
      *p = start;
      return NULL;
    }
  end = start;
  while (*end != '\0' && *end != ' ')
    end++;
  *p = end;
  return g_strndup (start, end - start);
}

static gboolean
only_spaces (const gchar *p)
{
  while (*p == ' ')
    p++;
  return *p == '\0';
}

void
popbell_pop3_reply_free (PopbellPop3Reply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->code);
  g_free (reply->text);
  g_free (reply);
}

static gboolean
status_word (const gchar *line, gsize len, const gchar *word, gsize *out_after)
{
  gsize n = strlen (word);

  if (len < n || g_ascii_strncasecmp (line, word, n) != 0)
    return FALSE;
  if (len > n && line[n] != ' ')
    return FALSE;
  *out_after = n;
  return TRUE;
}

PopbellPop3Reply *
popbell_pop3_reply_parse (const gchar *line, gsize len, gboolean allow_continuation, GError **error)
{
  g_autoptr(PopbellPop3Reply) reply = NULL;
  gsize after;
  const gchar *p, *end;

  g_return_val_if_fail (line != NULL || len == 0, NULL);
  /* One "empty": "" (PopbellPop3Line never hands out NULL, but a caller
   * with a zero-length buffer may). */
  if (line == NULL)
    line = "";
  end = line + len;
  if (memchr (line, '\0', len) != NULL)
    {
      protocol_error (error, "status line (NUL octet)");
      return NULL;
    }
  reply = g_new0 (PopbellPop3Reply, 1);
  if (status_word (line, len, "+OK", &after))
    reply->status = POPBELL_POP3_STATUS_OK;
  else if (status_word (line, len, "-ERR", &after))
    reply->status = POPBELL_POP3_STATUS_ERR;
  else if (allow_continuation && status_word (line, len, "+", &after))
    reply->status = POPBELL_POP3_STATUS_CONTINUE;
  else
    {
      protocol_error (error, len == 0 ? "status line (empty)"
                                      : "status line (neither +OK nor -ERR)");
      return NULL;
    }

  p = line + after;
  while (p < end && *p == ' ')
    p++;
  /* RFC 2449 §8: "-ERR [CODE] text"; a '[' without a closing ']' nearby is
   * ordinary text. */
  if (reply->status != POPBELL_POP3_STATUS_CONTINUE && p < end && *p == '[')
    {
      const gchar *close = memchr (p, ']', MIN ((gsize) (end - p), MAX_RESP_CODE + 2));
      if (close != NULL && close > p + 1)
        {
          gboolean valid = TRUE;
          for (const gchar *c = p + 1; c < close; c++)
            if (*c <= 0x20 || *c >= 0x7f || *c == '[')
              valid = FALSE;
          if (valid)
            {
              reply->code = g_ascii_strup (p + 1, close - (p + 1));
              p = close + 1;
              while (p < end && *p == ' ')
                p++;
            }
        }
    }
  reply->text = g_utf8_make_valid (p, end - p);
  return g_steal_pointer (&reply);
}

static gboolean
code_is (const gchar *code, const gchar *name)
{
  gsize n = strlen (name);

  return g_ascii_strncasecmp (code, name, n) == 0 && (code[n] == '\0' || code[n] == '/');
}

PopbellPop3Error
popbell_pop3_resp_code_to_error (const gchar *code, PopbellPop3Error fallback)
{
  if (code == NULL)
    return fallback;
  if (code_is (code, "AUTH"))
    return POPBELL_POP3_ERROR_AUTH;
  if (code_is (code, "IN-USE"))
    return POPBELL_POP3_ERROR_IN_USE;
  if (code_is (code, "LOGIN-DELAY"))
    return POPBELL_POP3_ERROR_LOGIN_DELAY;
  if (code_is (code, "SYS/TEMP"))
    return POPBELL_POP3_ERROR_SYS_TEMP;
  if (code_is (code, "SYS/PERM"))
    return POPBELL_POP3_ERROR_SYS_PERM;
  return fallback;
}

gboolean
popbell_pop3_parse_number (const gchar *text, guint64 max, guint64 *out, GError **error)
{
  gsize len = text != NULL ? strlen (text) : 0;

  if (len == 0 || len > 20)
    return protocol_error (error, "number");
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (text[i]))
      return protocol_error (error, "number");
  /* g_ascii_string_to_unsigned() checks overflow and the range. */
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL))
    {
      g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                   "The server sent a number out of range");
      return FALSE;
    }
  return TRUE;
}

gboolean
popbell_pop3_parse_stat (const gchar *text, guint *out_count, guint64 *out_size, GError **error)
{
  const gchar *p = text;
  g_autofree gchar *count_word = next_word (&p);
  g_autofree gchar *size_word = next_word (&p);
  guint64 count, size;

  if (count_word == NULL || size_word == NULL)
    return protocol_error (error, "STAT answer");
  if (!popbell_pop3_parse_number (count_word, G_MAXUINT32, &count, error) ||
      !popbell_pop3_parse_number (size_word, G_MAXUINT64, &size, error))
    {
      g_prefix_error (error, "STAT: ");
      return FALSE;
    }
  *out_count = (guint) count;
  *out_size = size;
  return TRUE;
}

static gchar *
line_to_string (const gchar *line, gsize len, const gchar *what, GError **error)
{
  g_return_val_if_fail (line != NULL || len == 0, NULL);
  if (line == NULL)
    line = "";
  if (memchr (line, '\0', len) != NULL)
    {
      protocol_error (error, what);
      return NULL;
    }
  return g_strndup (line, len);
}

PopbellPop3ListEntry *
popbell_pop3_parse_list_line (const gchar *line, gsize len, GError **error)
{
  g_autofree gchar *str = line_to_string (line, len, "LIST line", error);
  const gchar *p = str;
  g_autofree gchar *index_word = NULL;
  g_autofree gchar *size_word = NULL;
  guint64 index, size;
  PopbellPop3ListEntry *entry;

  if (str == NULL)
    return NULL;
  index_word = next_word (&p);
  size_word = next_word (&p);
  if (index_word == NULL || size_word == NULL)
    {
      protocol_error (error, "LIST line");
      return NULL;
    }
  if (!popbell_pop3_parse_number (index_word, G_MAXINT, &index, error) ||
      !popbell_pop3_parse_number (size_word, G_MAXUINT64, &size, error))
    {
      g_prefix_error (error, "LIST: ");
      return NULL;
    }
  if (index == 0)
    {
      protocol_error (error, "LIST line (message 0)");
      return NULL;
    }
  entry = g_new0 (PopbellPop3ListEntry, 1);
  entry->index = (guint) index;
  entry->size = size;
  return entry;
}

PopbellPop3ListEntry *
popbell_pop3_parse_uidl_line (const gchar *line, gsize len, GError **error)
{
  g_autofree gchar *str = line_to_string (line, len, "UIDL line", error);
  const gchar *p = str;
  g_autofree gchar *index_word = NULL;
  g_autofree gchar *uid = NULL;
  guint64 index;
  PopbellPop3ListEntry *entry;

  if (str == NULL)
    return NULL;
  index_word = next_word (&p);
  uid = next_word (&p);
  if (index_word == NULL || uid == NULL || !only_spaces (p))
    {
      protocol_error (error, "UIDL line");
      return NULL;
    }
  if (!popbell_pop3_parse_number (index_word, G_MAXINT, &index, error))
    {
      g_prefix_error (error, "UIDL: ");
      return NULL;
    }
  if (index == 0)
    {
      protocol_error (error, "UIDL line (message 0)");
      return NULL;
    }
  entry = g_new0 (PopbellPop3ListEntry, 1);
  entry->index = (guint) index;
  entry->uid = popbell_pop3_uid_normalize (uid, strlen (uid));
  if (entry->uid == NULL)
    {
      popbell_pop3_list_entry_free (entry);
      protocol_error (error, "unique id");
      return NULL;
    }
  return entry;
}

/* RFC 1939 §7 asks for 1 to 70 octets in 0x21..0x7E. Real servers send
 * longer ones and 8-bit ones (mpop accepts them for that reason, see its
 * pop3.c), and one such UID must not make a mailbox uncheckable. So we
 * are lenient up to a generous cap: any octets but controls, DEL and
 * space (they would split or hide the word), at most
 * POPBELL_POP3_MAX_UID_LENGTH octets once 8-bit octets are written as
 * %XX (the form the state file stores, printable ASCII only). */
gboolean
popbell_pop3_uid_is_valid (const gchar *uid, gsize len)
{
  gsize stored = 0;

  if (uid == NULL || len < 1)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      guchar c = uid[i];

      if (c <= 0x20 || c == 0x7f)
        return FALSE;
      stored += c >= 0x80 ? 3 : 1;
    }
  return stored <= POPBELL_POP3_MAX_UID_LENGTH;
}

gchar *
popbell_pop3_uid_normalize (const gchar *uid, gsize len)
{
  GString *out;

  if (!popbell_pop3_uid_is_valid (uid, len))
    return NULL;
  out = g_string_sized_new (len);
  for (gsize i = 0; i < len; i++)
    {
      guchar c = uid[i];

      /* '%' itself stays: RFC 1939 UIDs with '%' keep the identity they
       * had in earlier state files. */
      if (c >= 0x80)
        g_string_append_printf (out, "%%%02X", c);
      else
        g_string_append_c (out, c);
    }
  return g_string_free (out, FALSE);
}

gchar *
popbell_pop3_greeting_timestamp (const gchar *text)
{
  const gchar *open = strchr (text, '<');
  const gchar *close;

  if (open == NULL)
    return NULL;
  close = strchr (open + 1, '>');
  if (close == NULL || close == open + 1 || close - open + 1 > MAX_TIMESTAMP)
    return NULL;
  for (const gchar *c = open + 1; c < close; c++)
    if ((guchar) *c < 0x21 || (guchar) *c > 0x7e || *c == '<')
      return NULL;
  return g_strndup (open, close - open + 1);
}

PopbellPop3Capabilities *
popbell_pop3_capabilities_new (void)
{
  PopbellPop3Capabilities *capa = g_new0 (PopbellPop3Capabilities, 1);

  capa->caps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  capa->login_delay = -1;
  capa->expire = POPBELL_POP3_EXPIRE_NONE;
  return capa;
}

void
popbell_pop3_capabilities_free (PopbellPop3Capabilities *capa)
{
  if (capa == NULL)
    return;
  g_hash_table_unref (capa->caps);
  g_free (capa);
}

/* "n" or "n USER" (LOGIN-DELAY, EXPIRE; EXPIRE also "NEVER"). */
static gboolean
parse_delay_args (const gchar *args, gboolean allow_never, gint *out_value,
                  gboolean *out_per_user, GError **error)
{
  const gchar *p = args;
  g_autofree gchar *value = next_word (&p);
  g_autofree gchar *user = next_word (&p);
  guint64 n;

  if (value == NULL || !only_spaces (p) ||
      (user != NULL && g_ascii_strcasecmp (user, "USER") != 0))
    return protocol_error (error, "capability argument");
  if (allow_never && g_ascii_strcasecmp (value, "NEVER") == 0)
    n = POPBELL_POP3_EXPIRE_NEVER;
  else if (!popbell_pop3_parse_number (value, G_MAXINT - 1, &n, error))
    return FALSE;
  *out_value = (gint) n;
  *out_per_user = user != NULL;
  return TRUE;
}

gboolean
popbell_pop3_capabilities_add_line (PopbellPop3Capabilities *capa, const gchar *line, gsize len,
                                    GError **error)
{
  g_autofree gchar *str = line_to_string (line, len, "capability", error);
  const gchar *p = str;
  g_autofree gchar *name = NULL;
  g_autofree gchar *upper = NULL;
  const gchar *args;

  if (str == NULL)
    return FALSE;
  name = next_word (&p);
  if (name == NULL)
    return TRUE;   /* an empty line: nothing to record */
  for (const gchar *c = name; *c != '\0'; c++)
    if ((guchar) *c < 0x21 || (guchar) *c > 0x7e)
      return protocol_error (error, "capability name");
  upper = g_ascii_strup (name, -1);
  while (*p == ' ')
    p++;
  args = p;

  if (g_str_equal (upper, "LOGIN-DELAY") &&
      !parse_delay_args (args, FALSE, &capa->login_delay, &capa->login_delay_per_user, error))
    return FALSE;
  if (g_str_equal (upper, "EXPIRE") &&
      !parse_delay_args (args, TRUE, &capa->expire, &capa->expire_per_user, error))
    return FALSE;

  g_hash_table_replace (capa->caps, g_steal_pointer (&upper), g_utf8_make_valid (args, -1));
  return TRUE;
}

gboolean
popbell_pop3_capabilities_has (PopbellPop3Capabilities *capa, const gchar *name)
{
  g_autofree gchar *upper = g_ascii_strup (name, -1);

  return g_hash_table_contains (capa->caps, upper);
}

const gchar *
popbell_pop3_capabilities_get_args (PopbellPop3Capabilities *capa, const gchar *name)
{
  g_autofree gchar *upper = g_ascii_strup (name, -1);

  return g_hash_table_lookup (capa->caps, upper);
}

gboolean
popbell_pop3_capabilities_has_sasl (PopbellPop3Capabilities *capa, const gchar *mechanism)
{
  const gchar *args = popbell_pop3_capabilities_get_args (capa, "SASL");
  g_auto(GStrv) mechs = NULL;

  if (args == NULL)
    return FALSE;
  mechs = g_strsplit (args, " ", -1);
  for (gchar **m = mechs; *m != NULL; m++)
    if (g_ascii_strcasecmp (*m, mechanism) == 0)
      return TRUE;
  return FALSE;
}

PopbellPop3Capabilities *
popbell_pop3_capabilities_copy (const PopbellPop3Capabilities *capa)
{
  PopbellPop3Capabilities *copy = popbell_pop3_capabilities_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, capa->caps);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy->caps, g_strdup (key), g_strdup (value));
  copy->login_delay = capa->login_delay;
  copy->login_delay_per_user = capa->login_delay_per_user;
  copy->expire = capa->expire;
  copy->expire_per_user = capa->expire_per_user;
  return copy;
}
