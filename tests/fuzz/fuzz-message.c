/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * A whole message from the server through GMime and Popbell's decoding
 * (src/core/popbell-message.c, popbell-header-decode.c, popbell-text.c):
 * as a complete RETR and as a cut TOP, and as a bare header block. Every
 * string that comes out is valid UTF-8; the one-line headers hold no line
 * break nor control character.
 */
#include "fuzz-util.h"
#include "popbell-header-decode.h"
#include "popbell-message.h"
#include "popbell-text.h"

static void
check_line (const gchar *text, const gchar *what)
{
  FUZZ_CHECK (text != NULL, what);
  FUZZ_CHECK (g_utf8_validate (text, -1, NULL), what);
  for (const gchar *p = text; *p != '\0'; p = g_utf8_next_char (p))
    FUZZ_CHECK (!g_unichar_iscntrl (g_utf8_get_char (p)), what);
}

static void
check_message (GBytes *raw, gboolean complete)
{
  g_autoptr(PopbellMessage) message = popbell_message_new_from_bytes (raw, "uid", 42, complete);
  GPtrArray *attachments = popbell_message_get_attachments (message);
  const gchar *body = popbell_message_get_body (message);

  check_line (popbell_message_get_from (message), "From is one clean line");
  check_line (popbell_message_get_to (message), "To is one clean line");
  check_line (popbell_message_get_subject (message), "Subject is one clean line");
  FUZZ_CHECK (body != NULL && g_utf8_validate (body, -1, NULL), "the body is valid UTF-8");
  FUZZ_CHECK (popbell_message_is_complete (message) == complete, "complete is kept");
  for (guint i = 0; i < attachments->len; i++)
    {
      PopbellAttachment *attachment = attachments->pdata[i];

      check_line (attachment->filename, "an attachment name is one clean line");
      check_line (attachment->content_type, "a content type is one clean line");
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(PopbellHeaders) headers = NULL;

  fuzz_init ();
  if (size > 512 * 1024)
    return 0;

  raw = g_bytes_new (data, size);
  check_message (raw, TRUE);
  check_message (raw, FALSE);

  headers = popbell_headers_parse ((const gchar *) data, size);
  check_line (headers->from, "From is one clean line");
  check_line (headers->to, "To is one clean line");
  check_line (headers->subject, "Subject is one clean line");
  check_line (headers->message_id, "Message-ID is one clean line");
  return 0;
}
