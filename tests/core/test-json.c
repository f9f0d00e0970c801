/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The --json document built from result objects directly: values at the
 * edges of their types. */
#include "popbell-config.h"

#include <json-glib/json-glib.h>

#include "popbell-check-result.h"
#include "popbell-json.h"
#include "popbell-mail-summary.h"

static JsonObject *
only_account (JsonParser *parser)
{
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  JsonArray *accounts = json_object_get_array_member (root, "accounts");

  g_assert_cmpuint (json_array_get_length (accounts), ==, 1);
  return json_array_get_object_element (accounts, 0);
}

/* A size only a broken or hostile server sends: never negative in the
 * output (json-glib's integers are signed 64-bit). */
static void
test_huge_sizes (void)
{
  static const guint64 sizes[] = {
    0, G_MAXINT64, (guint64) G_MAXINT64 + 1, G_MAXUINT64,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
      g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_check_result_unref);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autofree gchar *text = NULL;
      JsonObject *account, *message;
      JsonNode *node;

      g_ptr_array_add (messages, popbell_mail_summary_new ("work", "u1", 1, sizes[i],
                                                           "a@example.org", "hi", NULL));
      g_ptr_array_add (results, popbell_check_result_new_ok ("work", FALSE, 1, sizes[i], 1, 1,
                                                             messages, NULL, NULL));
      text = popbell_json_results_to_string (results);
      g_test_message ("%s", text);
      g_assert_null (strstr (text, "-"));   /* no minus sign anywhere */

      json_parser_load_from_data (parser, text, -1, &error);
      g_assert_no_error (error);
      account = only_account (parser);
      message = json_array_get_object_element (json_object_get_array_member (account, "new_messages"), 0);

      for (guint j = 0; j < 2; j++)
        {
          node = json_object_get_member (j == 0 ? account : message, "size");
          g_assert_true (JSON_NODE_HOLDS_VALUE (node));
          if (sizes[i] <= (guint64) G_MAXINT64)
            {
              g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
              g_assert_cmpuint ((guint64) json_node_get_int (node), ==, sizes[i]);
            }
          else
            {
              /* The nearest double: within one part in 2^52. */
              gdouble d = json_node_get_double (node);

              g_assert_cmpfloat (d, >=, 9.2e18);
              g_assert_cmpfloat_with_epsilon (d, (gdouble) sizes[i], (gdouble) sizes[i] / 4e15);
            }
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/json/huge-sizes", test_huge_sizes);
  return g_test_run ();
}
