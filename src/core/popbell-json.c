/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-json.h"

gchar *
popbell_json_format_date (GDateTime *date)
{
  return g_date_time_format (date, "%Y-%m-%dT%H:%M:%S%:z");
}

/* json-glib's integers are gint64: a size above 2^63 (a server may send
 * any digits) came out negative. Such a size is written as a JSON number
 * in floating point instead: the nearest double, never negative. */
static void
add_size (JsonBuilder *builder, const gchar *member, guint64 size)
{
  json_builder_set_member_name (builder, member);
  if (size <= (guint64) G_MAXINT64)
    json_builder_add_int_value (builder, (gint64) size);
  else
    json_builder_add_double_value (builder, (gdouble) size);
}

static void
add_date (JsonBuilder *builder, const gchar *member, GDateTime *date)
{
  json_builder_set_member_name (builder, member);
  if (date == NULL)
    {
      json_builder_add_null_value (builder);
    }
  else
    {
      g_autofree gchar *text = popbell_json_format_date (date);
      json_builder_add_string_value (builder, text);
    }
}

static void
add_summary (JsonBuilder *builder, PopbellMailSummary *summary)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "uid");
  json_builder_add_string_value (builder, popbell_mail_summary_get_uid (summary));
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, popbell_mail_summary_get_index (summary));
  add_size (builder, "size", popbell_mail_summary_get_size (summary));
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, popbell_mail_summary_get_from (summary));
  json_builder_set_member_name (builder, "subject");
  json_builder_add_string_value (builder, popbell_mail_summary_get_subject (summary));
  add_date (builder, "date", popbell_mail_summary_get_date (summary));
  json_builder_end_object (builder);
}

static void
add_result (JsonBuilder *builder, PopbellCheckResult *result)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, popbell_check_result_get_account_name (result));
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, popbell_check_result_is_ok (result));

  if (popbell_check_result_is_ok (result))
    {
      GPtrArray *messages = popbell_check_result_get_new_messages (result);

      json_builder_set_member_name (builder, "first_check");
      json_builder_add_boolean_value (builder, popbell_check_result_is_first_check (result));
      json_builder_set_member_name (builder, "messages");
      json_builder_add_int_value (builder, popbell_check_result_get_messages (result));
      add_size (builder, "size", popbell_check_result_get_size (result));
      json_builder_set_member_name (builder, "new");
      json_builder_add_int_value (builder, popbell_check_result_get_new_count (result));
      json_builder_set_member_name (builder, "unseen");
      json_builder_add_int_value (builder, popbell_check_result_get_unseen_count (result));
      json_builder_set_member_name (builder, "new_messages");
      json_builder_begin_array (builder);
      for (guint i = 0; messages != NULL && i < messages->len; i++)
        add_summary (builder, messages->pdata[i]);
      json_builder_end_array (builder);
      if (popbell_check_result_get_note (result) != NULL)
        {
          /* Not in the SPEC's example; an addition scripts may ignore. */
          json_builder_set_member_name (builder, "note");
          json_builder_add_string_value (builder, popbell_check_result_get_note (result));
        }
      json_builder_set_member_name (builder, "error");
      json_builder_add_null_value (builder);
    }
  else
    {
      const GError *error = popbell_check_result_get_error (result);
      GDateTime *retry_after = popbell_check_result_get_retry_after (result);

      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, popbell_check_result_get_error_kind (result));
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, error != NULL ? error->message : "");
      if (retry_after != NULL)
        add_date (builder, "retry_after", retry_after);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

JsonNode *
popbell_json_from_result (PopbellCheckResult *result)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  add_result (builder, result);
  return json_builder_get_root (builder);
}

JsonNode *
popbell_json_from_results (GPtrArray *results)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < results->len; i++)
    add_result (builder, results->pdata[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gchar *
popbell_json_results_to_string (GPtrArray *results)
{
  g_autoptr(JsonNode) root = popbell_json_from_results (results);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree gchar *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return g_strconcat (text, "\n", NULL);
}
