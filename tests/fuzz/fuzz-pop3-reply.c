/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * The pure POP3 reply parsers (src/pop3/popbell-pop3-reply.c): every line
 * of the input goes through each of them, as a status line, a STAT answer,
 * a LIST and a UIDL line, a CAPA line and a greeting. They must either
 * succeed with sane values or fail with a clean GError.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "popbell-pop3-reply.h"

static void
check_entry (PopbellPop3ListEntry *entry, GError *error, gboolean uidl)
{
  if (entry == NULL)
    {
      fuzz_check_error (error);
      return;
    }
  FUZZ_CHECK (error == NULL, "no error on success");
  FUZZ_CHECK (entry->index >= 1, "message numbers start at 1");
  if (uidl)
    {
      FUZZ_CHECK (entry->uid != NULL, "a UIDL entry has a UID");
      FUZZ_CHECK (*entry->uid != '\0', "a UID is not empty");
      FUZZ_CHECK (g_utf8_validate (entry->uid, -1, NULL), "a UID is valid UTF-8");
    }
  popbell_pop3_list_entry_free (entry);
}

static void
one_line (PopbellPop3Capabilities *capa, const gchar *line, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3Reply) reply = NULL;
  g_autofree gchar *str = NULL;
  g_autofree gchar *timestamp = NULL;
  guint count = 0;
  guint64 size = 0, number = 0;
  PopbellPop3ListEntry *entry;

  for (int continuation = 0; continuation <= 1; continuation++)
    {
      g_clear_error (&error);
      g_clear_pointer (&reply, popbell_pop3_reply_free);
      reply = popbell_pop3_reply_parse (line, len, continuation, &error);
      if (reply == NULL)
        fuzz_check_error (error);
      else
        {
          FUZZ_CHECK (reply->text != NULL && g_utf8_validate (reply->text, -1, NULL),
                      "reply text is valid UTF-8");
          FUZZ_CHECK (reply->code == NULL || g_utf8_validate (reply->code, -1, NULL),
                      "response code is valid UTF-8");
          FUZZ_CHECK (continuation || reply->status != POPBELL_POP3_STATUS_CONTINUE,
                      "no continuation unless allowed");
          (void) popbell_pop3_resp_code_to_error (reply->code, POPBELL_POP3_ERROR_PROTOCOL);
        }
    }

  g_clear_error (&error);
  entry = popbell_pop3_parse_list_line (line, len, &error);
  check_entry (entry, error, FALSE);
  g_clear_error (&error);
  entry = popbell_pop3_parse_uidl_line (line, len, &error);
  check_entry (entry, error, TRUE);
  g_clear_error (&error);
  if (!popbell_pop3_capabilities_add_line (capa, line, len, &error))
    fuzz_check_error (error);
  g_clear_error (&error);
  (void) popbell_pop3_uid_is_valid (line, len);

  /* The string-based ones see what the client gives them: the line without
   * its NUL bytes cut short. */
  str = g_strndup (line, len);
  if (!popbell_pop3_parse_stat (str, &count, &size, &error))
    fuzz_check_error (error);
  g_clear_error (&error);
  if (!popbell_pop3_parse_number (str, G_MAXUINT32, &number, &error))
    fuzz_check_error (error);
  else
    FUZZ_CHECK (number <= G_MAXUINT32, "a number stays below its maximum");
  g_clear_error (&error);
  timestamp = popbell_pop3_greeting_timestamp (str);
  FUZZ_CHECK (timestamp == NULL ||
              (timestamp[0] == '<' && strlen (timestamp) <= 255 &&
               timestamp[strlen (timestamp) - 1] == '>'),
              "an APOP timestamp is <...> and at most 255 octets");
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(PopbellPop3Capabilities) capa = popbell_pop3_capabilities_new ();
  const gchar *text = (const gchar *) data;
  gsize start = 0;

  fuzz_init ();
  if (size > 64 * 1024)
    return 0;

  while (start <= size)
    {
      const gchar *nl = memchr (text + start, '\n', size - start);
      gsize len = nl != NULL ? (gsize) (nl - (text + start)) : size - start;
      gsize clen = len > 0 && text[start + len - 1] == '\r' ? len - 1 : len;
      /* A copy of exactly the line, so reading past it is an ASan report. */
      gchar *line = malloc (clen > 0 ? clen : 1);

      memcpy (line, text + start, clen);
      one_line (capa, line, clen);
      free (line);
      if (nl == NULL)
        break;
      start += len + 1;
    }

  (void) popbell_pop3_capabilities_has (capa, "TOP");
  (void) popbell_pop3_capabilities_get_args (capa, "SASL");
  (void) popbell_pop3_capabilities_has_sasl (capa, "PLAIN");
  FUZZ_CHECK (capa->login_delay >= -1, "LOGIN-DELAY is -1 or a number of seconds");
  return 0;
}
