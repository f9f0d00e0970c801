/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-header-decode.h"

#include "popbell-text.h"

void
popbell_mime_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

void
popbell_headers_free (PopbellHeaders *headers)
{
  if (headers == NULL)
    return;
  g_free (headers->from);
  g_free (headers->to);
  g_free (headers->subject);
  g_clear_pointer (&headers->date, g_date_time_unref);
  g_free (headers->message_id);
  g_free (headers);
}

static void
append_address (GString         *out,
                InternetAddress *address)
{
  const gchar *name = internet_address_get_name (address);

  if (INTERNET_ADDRESS_IS_MAILBOX (address))
    {
      const gchar *addr = internet_address_mailbox_get_addr (INTERNET_ADDRESS_MAILBOX (address));

      if (name != NULL && *name != '\0' && addr != NULL && *addr != '\0')
        g_string_append_printf (out, "%s <%s>", name, addr);
      else if (addr != NULL && *addr != '\0')
        g_string_append (out, addr);
      else if (name != NULL)
        g_string_append (out, name);
    }
  else if (INTERNET_ADDRESS_IS_GROUP (address))
    {
      InternetAddressList *members =
        internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address));
      int n = members != NULL ? internet_address_list_length (members) : 0;

      if (name != NULL)
        g_string_append (out, name);
      g_string_append (out, ": ");
      for (int i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          append_address (out, internet_address_list_get_address (members, i));
        }
      g_string_append_c (out, ';');
    }
}

/* Display form of an address list: "Name <addr>, addr". When GMime could not
 * parse a single address, the decoded raw header is better than nothing. */
static gchar *
format_addresses (GMimeMessage        *message,
                  InternetAddressList *list,
                  const gchar         *header_name)
{
  g_autoptr(GString) out = g_string_new (NULL);
  int n = list != NULL ? internet_address_list_length (list) : 0;

  for (int i = 0; i < n; i++)
    {
      if (out->len > 0)
        g_string_append (out, ", ");
      append_address (out, internet_address_list_get_address (list, i));
    }

  if (out->len == 0)
    {
      const gchar *raw = g_mime_object_get_header (GMIME_OBJECT (message), header_name);

      if (raw != NULL)
        {
          g_autofree gchar *decoded = g_mime_utils_header_decode_text (NULL, raw);
          g_string_append (out, decoded);
        }
    }

  return popbell_text_sanitize_line (out->str, out->len, 0);
}

PopbellHeaders *
popbell_headers_from_gmime (GMimeMessage *message)
{
  PopbellHeaders *headers = g_new0 (PopbellHeaders, 1);
  const gchar *subject, *message_id;
  GDateTime *date;

  if (message == NULL)
    {
      headers->from = g_strdup ("");
      headers->to = g_strdup ("");
      headers->subject = g_strdup ("");
      headers->message_id = g_strdup ("");
      return headers;
    }

  headers->from = format_addresses (message, g_mime_message_get_from (message), "From");
  headers->to = format_addresses (message,
                                  g_mime_message_get_addresses (message, GMIME_ADDRESS_TYPE_TO),
                                  "To");
  /* Already RFC 2047-decoded to UTF-8 by GMime. */
  subject = g_mime_message_get_subject (message);
  headers->subject = popbell_text_sanitize_line (subject, -1, 0);
  message_id = g_mime_message_get_message_id (message);
  headers->message_id = popbell_text_sanitize_line (message_id, -1, 0);
  date = g_mime_message_get_date (message);
  headers->date = date != NULL ? g_date_time_ref (date) : NULL;

  return headers;
}

/* Options for untrusted input: lenient everywhere, and raw 8-bit bytes tried
 * as UTF-8 first, then Windows-1252 (a superset of ISO-8859-1 that maps every
 * byte, so decoding never fails). */
GMimeParserOptions *
popbell_mime_parser_options (void)
{
  static GMimeParserOptions *options = NULL;
  static gsize initialized = 0;

  popbell_mime_init ();
  if (g_once_init_enter (&initialized))
    {
      static const char *charsets[] = { "UTF-8", "windows-1252", NULL };

      options = g_mime_parser_options_new ();
      g_mime_parser_options_set_fallback_charsets (options, charsets);
      g_mime_parser_options_set_rfc2047_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_address_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_parameter_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
      g_mime_parser_options_set_allow_addresses_without_domain (options, TRUE);
      g_once_init_leave (&initialized, 1);
    }
  return options;
}

PopbellHeaders *
popbell_headers_parse (const gchar *data,
                       gsize        len)
{
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) message = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  popbell_mime_init ();
  /* Copies the bytes: GMime's in-memory stream then owns its buffer. */
  stream = g_mime_stream_mem_new_with_buffer (data != NULL ? data : "", len);
  parser = g_mime_parser_new_with_stream (stream);
  message = g_mime_parser_construct_message (parser, popbell_mime_parser_options ());

  return popbell_headers_from_gmime (message);
}
