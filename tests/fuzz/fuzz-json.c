/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * The JSON output of `popbell --check-once --json` (src/core/popbell-json.c)
 * for results built from server data: the first line of the input is the
 * account name, the second the UID, the rest a header block as TOP returns
 * it. The document is always valid UTF-8 JSON, and names, subjects,
 * senders and error messages read back exactly as they went in.
 */
#include <string.h>

#include "fuzz-util.h"
#include "popbell-error.h"
#include "popbell-json.h"

/* The next line of *@data (without LF), made valid UTF-8. */
static gchar *
take_line (const guint8 **data, gsize *size)
{
  const guint8 *nl = *size > 0 ? memchr (*data, '\n', *size) : NULL;
  gsize len = nl != NULL ? (gsize) (nl - *data) : *size;
  gchar *line = g_utf8_make_valid ((const gchar *) *data, len);

  *data += nl != NULL ? len + 1 : len;
  *size -= nl != NULL ? len + 1 : len;
  return line;
}

static JsonObject *
member_object (JsonArray *array, guint i)
{
  FUZZ_CHECK (i < json_array_get_length (array), "every item is there");
  return json_array_get_object_element (array, i);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree gchar *name = NULL;
  g_autofree gchar *uid = NULL;
  g_autoptr(GBytes) headers = NULL;
  g_autoptr(PopbellMailSummary) from_headers = NULL;
  g_autoptr(PopbellMailSummary) raw = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) failure = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree gchar *text = NULL;
  JsonArray *accounts, *new_messages;
  JsonObject *ok, *failed;

  fuzz_init ();
  if (size > 64 * 1024)
    return 0;

  name = take_line (&data, &size);
  uid = take_line (&data, &size);
  headers = g_bytes_new (data, size);

  messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  from_headers = popbell_mail_summary_new_from_headers (name, uid, 1, 1234, headers);
  g_ptr_array_add (messages, popbell_mail_summary_ref (from_headers));
  /* The raw text as subject and sender: every character JSON must escape. */
  raw = popbell_mail_summary_new (name, *uid != '\0' ? uid : NULL, 2, 0, uid, name, NULL);
  g_ptr_array_add (messages, popbell_mail_summary_ref (raw));

  now = g_date_time_new_now_utc ();
  failure = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_SERVER, name);
  results = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_check_result_unref);
  g_ptr_array_add (results, popbell_check_result_new_ok (name, FALSE, 2, 1234, 2, 2, messages,
                                                         NULL, now));
  g_ptr_array_add (results, popbell_check_result_new_error (name, failure, NULL, 0, now));

  text = popbell_json_results_to_string (results);
  FUZZ_CHECK (g_utf8_validate (text, -1, NULL), "the document is valid UTF-8");

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, &error))
    g_error ("the document is not JSON: %s", error->message);

  accounts = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "accounts");
  ok = member_object (accounts, 0);
  failed = member_object (accounts, 1);
  FUZZ_CHECK (g_strcmp0 (json_object_get_string_member (ok, "name"), name) == 0,
              "the account name reads back");
  FUZZ_CHECK (json_object_get_boolean_member (ok, "ok"), "ok reads back");
  new_messages = json_object_get_array_member (ok, "new_messages");
  for (guint i = 0; i < messages->len; i++)
    {
      PopbellMailSummary *summary = messages->pdata[i];
      JsonObject *message = member_object (new_messages, i);

      FUZZ_CHECK (g_strcmp0 (json_object_get_string_member (message, "subject"),
                             popbell_mail_summary_get_subject (summary)) == 0,
                  "a subject reads back");
      FUZZ_CHECK (g_strcmp0 (json_object_get_string_member (message, "from"),
                             popbell_mail_summary_get_from (summary)) == 0,
                  "a sender reads back");
      FUZZ_CHECK (g_strcmp0 (json_object_get_string_member (message, "uid"),
                             popbell_mail_summary_get_uid (summary)) == 0,
                  "a UID reads back");
    }
  FUZZ_CHECK (!json_object_get_boolean_member (failed, "ok"), "a failure reads back");
  FUZZ_CHECK (g_strcmp0 (json_object_get_string_member (
                           json_object_get_object_member (failed, "error"), "message"),
                         popbell_check_result_get_error (results->pdata[1])->message) == 0,
              "an error message reads back");
  return 0;
}
