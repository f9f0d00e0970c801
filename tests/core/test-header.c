/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include <string.h>

#include "popbell-header-decode.h"
#include "popbell-mail-summary.h"
#include "popbell-text.h"

static PopbellHeaders *
parse (const gchar *raw)
{
  return popbell_headers_parse (raw, strlen (raw));
}

static void
test_utf8_q (void)
{
  g_autoptr(PopbellHeaders) h = parse (
    "From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@example.org>\r\n"
    "To: alice@example.org\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n"
    "Date: Thu, 26 Nov 2026 10:00:00 +0100\r\n"
    "Message-ID: <abc@example.org>\r\n"
    "\r\n");
  g_autofree gchar *date = NULL;

  g_assert_cmpstr (h->from, ==, "Jürgen Weiß <jw@example.org>");
  g_assert_cmpstr (h->to, ==, "alice@example.org");
  g_assert_cmpstr (h->subject, ==, "Grüße aus Köln");
  g_assert_cmpstr (h->message_id, ==, "abc@example.org");
  g_assert_nonnull (h->date);
  date = g_date_time_format_iso8601 (h->date);
  g_assert_cmpstr (date, ==, "2026-11-26T10:00:00+01");
  g_assert_cmpint (g_date_time_get_utc_offset (h->date), ==, G_TIME_SPAN_HOUR);
}

static void
test_latin1_b (void)
{
  /* "Grüße" in ISO-8859-1, base64; a name in Windows-1252 Q. */
  g_autoptr(PopbellHeaders) h = parse (
    "From: =?ISO-8859-1?Q?Andr=E9?= \"Smith\" <a@example.org>\n"
    "Subject: =?iso-8859-1?b?R3L832U=?=\n"
    "\n");

  g_assert_cmpstr (h->subject, ==, "Grüße");
  g_assert_cmpstr (h->from, ==, "André Smith <a@example.org>");
}

static void
test_other_charsets (void)
{
  /* KOI8-R and Shift_JIS words, adjacent encoded words joined. */
  g_autoptr(PopbellHeaders) h = parse (
    "Subject: =?koi8-r?B?8NLJ18XU?= =?UTF-8?B?4pyT?=\n"
    "From: =?Shift_JIS?B?k/qWe4zq?= <jp@example.org>\n\n");

  g_assert_cmpstr (h->subject, ==, "Привет✓");
  g_assert_cmpstr (h->from, ==, "日本語 <jp@example.org>");
}

static void
test_folded (void)
{
  g_autoptr(PopbellHeaders) h = parse (
    "Subject: a long subject\r\n"
    "\tthat is folded\r\n"
    "  =?UTF-8?Q?over_thr=C3=A9e?=\r\n"
    " lines\r\n"
    "From: Bob\r\n <bob@example.org>\r\n"
    "\r\n");

  g_assert_cmpstr (h->subject, ==, "a long subject that is folded over thrée lines");
  g_assert_cmpstr (h->from, ==, "Bob <bob@example.org>");
}

static void
test_broken_encoded_word (void)
{
  const gchar *cases[] = {
    "Subject: =?UTF-8?Q?unterminated\n\n",
    "Subject: =?UTF-8?B?!!!notbase64!!!?=\n\n",
    "Subject: =?no-such-charset?Q?abc?=\n\n",
    "Subject: =?UTF-8?X?abc?=\n\n",
    "Subject: =?UTF-8?Q?=FF=FE=C3?=\n\n",
    "Subject: =?=?=?=?\n\n",
    "From: =?UTF-8?Q?broken <x@y\n\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PopbellHeaders) h = parse (cases[i]);

      g_assert_true (g_utf8_validate (h->subject, -1, NULL));
      g_assert_true (g_utf8_validate (h->from, -1, NULL));
      g_assert_null (strchr (h->subject, '\n'));
    }

  {
    /* Lenient: encoded word glued to text still decodes. */
    g_autoptr(PopbellHeaders) h = parse ("Subject: Re:=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n\n");
    g_assert_cmpstr (h->subject, ==, "Re:Grüße");
  }
}

static void
test_raw_8bit (void)
{
  /* Unencoded UTF-8 and unencoded Latin-1 in headers: both end up right. */
  g_autoptr(PopbellHeaders) a = parse ("Subject: Grüße\nFrom: Jürgen <j@x.org>\n\n");
  g_autoptr(PopbellHeaders) b = parse ("Subject: Gr\xfc\xdf" "e\n\n");

  g_assert_cmpstr (a->subject, ==, "Grüße");
  g_assert_cmpstr (a->from, ==, "Jürgen <j@x.org>");
  g_assert_cmpstr (b->subject, ==, "Grüße");
}

static void
test_missing (void)
{
  g_autoptr(PopbellHeaders) a = parse ("X-Other: 1\r\n\r\n");
  g_autoptr(PopbellHeaders) b = popbell_headers_parse ("", 0);
  g_autoptr(PopbellHeaders) c = parse ("Date: not a date\nFrom: <>\n\n");

  g_assert_cmpstr (a->from, ==, "");
  g_assert_cmpstr (a->to, ==, "");
  g_assert_cmpstr (a->subject, ==, "");
  g_assert_null (a->date);
  g_assert_cmpstr (b->subject, ==, "");
  g_assert_null (b->date);
  g_assert_null (c->date);
  g_assert_true (g_utf8_validate (c->from, -1, NULL));
}

static void
test_garbage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234);

  for (guint round = 0; round < 200; round++)
    {
      gsize len = g_rand_int_range (rand, 0, 2048);
      g_autofree guint8 *data = g_malloc (len + 1);
      g_autoptr(PopbellHeaders) h = NULL;

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) g_rand_int_range (rand, 0, 256);
      /* Sometimes make it header-shaped. */
      if (round % 2 == 0 && len > 10)
        memcpy (data, "Subject: ", 9);
      h = popbell_headers_parse ((const gchar *) data, len);
      g_assert_true (g_utf8_validate (h->subject, -1, NULL));
      g_assert_true (g_utf8_validate (h->from, -1, NULL));
      g_assert_true (g_utf8_validate (h->to, -1, NULL));
    }
}

static void
test_huge (void)
{
  g_autoptr(GString) raw = g_string_new ("From: a@example.org\r\nSubject: ");
  g_autoptr(PopbellHeaders) h = NULL;
  g_autoptr(PopbellMailSummary) summary = NULL;
  g_autoptr(GBytes) bytes = NULL;

  /* 1 MiB subject folded over many lines, plus thousands of other headers. */
  for (guint i = 0; i < 16384; i++)
    g_string_append (raw, "=?UTF-8?Q?=C3=BC?= word\r\n ");
  g_string_append (raw, "end\r\n");
  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (raw, "X-Filler-%u: %u\r\n", i, i);
  g_string_append (raw, "\r\n");

  h = popbell_headers_parse (raw->str, raw->len);
  g_assert_true (g_str_has_prefix (h->subject, "ü word ü word"));
  g_assert_true (g_str_has_suffix (h->subject, "end"));

  bytes = g_bytes_new (raw->str, raw->len);
  summary = popbell_mail_summary_new_from_headers ("work", "uid1", 3, 42, bytes);
  g_assert_cmpint (g_utf8_strlen (popbell_mail_summary_get_subject (summary), -1), ==,
                   POPBELL_TEXT_HEADER_MAX_CHARS);
  g_assert_cmpstr (popbell_mail_summary_get_from (summary), ==, "a@example.org");
  g_assert_cmpstr (popbell_mail_summary_get_uid (summary), ==, "uid1");
  g_assert_cmpuint (popbell_mail_summary_get_index (summary), ==, 3);
}

static void
test_summary_sanitizes (void)
{
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 1, 2, 3, 4, 5);
  g_autoptr(PopbellMailSummary) s =
    popbell_mail_summary_new ("home", NULL, 1, 10, "Eve\r\n<eve@x>", NULL, date);

  g_assert_cmpstr (popbell_mail_summary_get_from (s), ==, "Eve <eve@x>");
  g_assert_cmpstr (popbell_mail_summary_get_subject (s), ==, "");
  g_assert_null (popbell_mail_summary_get_uid (s));
  g_assert_true (popbell_mail_summary_get_date (s) == date);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/header/utf8-q", test_utf8_q);
  g_test_add_func ("/core/header/latin1-b", test_latin1_b);
  g_test_add_func ("/core/header/other-charsets", test_other_charsets);
  g_test_add_func ("/core/header/folded", test_folded);
  g_test_add_func ("/core/header/broken-encoded-word", test_broken_encoded_word);
  g_test_add_func ("/core/header/raw-8bit", test_raw_8bit);
  g_test_add_func ("/core/header/missing", test_missing);
  g_test_add_func ("/core/header/garbage", test_garbage);
  g_test_add_func ("/core/header/huge", test_huge);
  g_test_add_func ("/core/header/summary-sanitizes", test_summary_sanitizes);

  return g_test_run ();
}
