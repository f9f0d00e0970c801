/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The pure parsers of what a POP3 server sends. */
#include <string.h>

#include "popbell-pop3-reply.h"

static PopbellPop3Reply *
parse (const gchar *line, gboolean continuation, GError **error)
{
  return popbell_pop3_reply_parse (line, strlen (line), continuation, error);
}

static void
test_status (void)
{
  static const struct {
    const gchar *line;
    gboolean     continuation;
    gint         status;    /* -1: error */
    const gchar *code;
    const gchar *text;
  } cases[] = {
    { "+OK", FALSE, POPBELL_POP3_STATUS_OK, NULL, "" },
    { "+OK 2 320", FALSE, POPBELL_POP3_STATUS_OK, NULL, "2 320" },
    { "+ok lower case", FALSE, POPBELL_POP3_STATUS_OK, NULL, "lower case" },
    { "-ERR", FALSE, POPBELL_POP3_STATUS_ERR, NULL, "" },
    { "-ERR no such message", FALSE, POPBELL_POP3_STATUS_ERR, NULL, "no such message" },
    { "-ERR [IN-USE] locked", FALSE, POPBELL_POP3_STATUS_ERR, "IN-USE", "locked" },
    { "-ERR [sys/temp] later", FALSE, POPBELL_POP3_STATUS_ERR, "SYS/TEMP", "later" },
    { "-ERR [AUTH]", FALSE, POPBELL_POP3_STATUS_ERR, "AUTH", "" },
    { "-ERR [not a code] text", FALSE, POPBELL_POP3_STATUS_ERR, NULL, "[not a code] text" },
    { "-ERR [unclosed text", FALSE, POPBELL_POP3_STATUS_ERR, NULL, "[unclosed text" },
    { "-ERR []", FALSE, POPBELL_POP3_STATUS_ERR, NULL, "[]" },
    { "+OK [IN-USE] odd but fine", FALSE, POPBELL_POP3_STATUS_OK, "IN-USE", "odd but fine" },
    { "+ ", TRUE, POPBELL_POP3_STATUS_CONTINUE, NULL, "" },
    { "+", TRUE, POPBELL_POP3_STATUS_CONTINUE, NULL, "" },
    { "+ ", FALSE, -1, NULL, NULL },
    { "+OKAY", FALSE, -1, NULL, NULL },
    { "-ERROR", FALSE, -1, NULL, NULL },
    { "", FALSE, -1, NULL, NULL },
    { "* OK IMAP", FALSE, -1, NULL, NULL },
    { "1 abc", FALSE, -1, NULL, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PopbellPop3Reply) reply = parse (cases[i].line, cases[i].continuation, &error);

      g_test_message ("status line \"%s\"", cases[i].line);
      if (cases[i].status < 0)
        {
          g_assert_null (reply);
          g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpint (reply->status, ==, cases[i].status);
      g_assert_cmpstr (reply->code, ==, cases[i].code);
      g_assert_cmpstr (reply->text, ==, cases[i].text);
    }
}

static void
test_status_untrusted (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3Reply) reply = NULL;

  /* NUL inside a status line */
  reply = popbell_pop3_reply_parse ("+OK a\0b", 7, FALSE, &error);
  g_assert_null (reply);
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
  g_clear_error (&error);
  /* invalid UTF-8 is made valid */
  reply = parse ("-ERR caf\xe9 \xff", FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_utf8_validate (reply->text, -1, NULL));
}

static void
test_resp_codes (void)
{
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("AUTH", POPBELL_POP3_ERROR_COMMAND_FAILED), ==, POPBELL_POP3_ERROR_AUTH);
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("IN-USE", POPBELL_POP3_ERROR_AUTH), ==, POPBELL_POP3_ERROR_IN_USE);
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("LOGIN-DELAY", POPBELL_POP3_ERROR_AUTH), ==, POPBELL_POP3_ERROR_LOGIN_DELAY);
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("SYS/TEMP", POPBELL_POP3_ERROR_AUTH), ==, POPBELL_POP3_ERROR_SYS_TEMP);
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("SYS/PERM", POPBELL_POP3_ERROR_AUTH), ==, POPBELL_POP3_ERROR_SYS_PERM);
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("SYS/TEMP/DISK", POPBELL_POP3_ERROR_AUTH), ==, POPBELL_POP3_ERROR_SYS_TEMP);
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("SYS", POPBELL_POP3_ERROR_COMMAND_FAILED), ==, POPBELL_POP3_ERROR_COMMAND_FAILED);
  g_assert_cmpint (popbell_pop3_resp_code_to_error ("AUTHX", POPBELL_POP3_ERROR_COMMAND_FAILED), ==, POPBELL_POP3_ERROR_COMMAND_FAILED);
  g_assert_cmpint (popbell_pop3_resp_code_to_error (NULL, POPBELL_POP3_ERROR_SERVER_REFUSED), ==, POPBELL_POP3_ERROR_SERVER_REFUSED);
}

static void
test_numbers (void)
{
  static const struct { const gchar *text; guint64 max; gboolean ok; guint64 value; } cases[] = {
    { "0", 10, TRUE, 0 },
    { "42", 100, TRUE, 42 },
    { "18446744073709551615", G_MAXUINT64, TRUE, G_MAXUINT64 },
    { "18446744073709551616", G_MAXUINT64, FALSE, 0 },
    { "4294967296", G_MAXUINT32, FALSE, 0 },
    { "101", 100, FALSE, 0 },
    { "", 100, FALSE, 0 },
    { "-1", 100, FALSE, 0 },
    { "+1", 100, FALSE, 0 },
    { " 1", 100, FALSE, 0 },
    { "1 ", 100, FALSE, 0 },
    { "0x10", 100, FALSE, 0 },
    { "12a", 100, FALSE, 0 },
    { "000000000000000000000001", 100, FALSE, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint64 value = 0;
      gboolean ok = popbell_pop3_parse_number (cases[i].text, cases[i].max, &value, &error);

      g_test_message ("number \"%s\"", cases[i].text);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (ok)
        g_assert_cmpuint (value, ==, cases[i].value);
      else
        g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
    }
}

static void
test_stat (void)
{
  guint count = 0;
  guint64 size = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (popbell_pop3_parse_stat ("2 320", &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpuint (size, ==, 320);
  g_assert_true (popbell_pop3_parse_stat ("0 0 extra words", &count, &size, &error));
  g_assert_cmpuint (count, ==, 0);
  g_assert_true (popbell_pop3_parse_stat ("4294967295 18446744073709551615", &count, &size, &error));
  g_assert_cmpuint (count, ==, G_MAXUINT32);
  g_assert_cmpuint (size, ==, G_MAXUINT64);

  const gchar *bad[] = { "", "2", "a b", "-2 3", "2 -3", "4294967296 1", "1 18446744073709551616" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_assert_false (popbell_pop3_parse_stat (bad[i], &count, &size, &e));
      g_assert_error (e, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
    }
}

static void
test_list_uidl_lines (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3ListEntry) list = popbell_pop3_parse_list_line ("3 1200", 6, &error);
  g_autoptr(PopbellPop3ListEntry) uidl = popbell_pop3_parse_uidl_line ("7 000001a8", 10, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (list->index, ==, 3);
  g_assert_cmpuint (list->size, ==, 1200);
  g_assert_null (list->uid);
  g_assert_cmpuint (uidl->index, ==, 7);
  g_assert_cmpstr (uidl->uid, ==, "000001a8");

  const gchar *bad_list[] = { "", "3", "0 12", "x 12", "3 x", "3 -1", "99999999999 1" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad_list); i++)
    {
      g_autoptr(GError) e = NULL;
      g_assert_null (popbell_pop3_parse_list_line (bad_list[i], strlen (bad_list[i]), &e));
      g_assert_error (e, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
    }
  const gchar *bad_uidl[] = { "", "3", "0 abc", "3 a b", "3 \x7f", "a abc",
    "1 a\x01b" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad_uidl); i++)
    {
      g_autoptr(GError) e = NULL;
      g_assert_null (popbell_pop3_parse_uidl_line (bad_uidl[i], strlen (bad_uidl[i]), &e));
      g_assert_error (e, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
    }
  /* NUL inside the line */
  g_assert_null (popbell_pop3_parse_uidl_line ("1 ab\0c", 6, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
}

/* Empty input (the empty server line) is one thing for every parser:
 * "" of length 0, and NULL of length 0 is the same. */
static void
test_uidl_lenient (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3ListEntry) e = popbell_pop3_parse_uidl_line ("3 ab\xe9z", 6, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (e->uid, ==, "ab%E9z");
}

static void
test_empty (void)
{
  g_autoptr(PopbellPop3Capabilities) capa = popbell_pop3_capabilities_new ();
  g_autoptr(GError) error = NULL;
  static const gchar *const inputs[] = { "", NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_assert_null (popbell_pop3_reply_parse (inputs[i], 0, FALSE, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
      g_clear_error (&error);
      g_assert_null (popbell_pop3_reply_parse (inputs[i], 0, TRUE, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
      g_clear_error (&error);
      g_assert_null (popbell_pop3_parse_uidl_line (inputs[i], 0, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
      g_clear_error (&error);
      g_assert_null (popbell_pop3_parse_list_line (inputs[i], 0, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
      g_clear_error (&error);
      /* an empty CAPA line records nothing */
      g_assert_true (popbell_pop3_capabilities_add_line (capa, inputs[i], 0, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (g_hash_table_size (capa->caps), ==, 0);
    }
}

static void
test_uid_validity (void)
{
  g_autofree gchar *seventy = g_strnfill (70, '~');

  g_autofree gchar *cap = g_strnfill (255, 'a');
  g_autofree gchar *over = g_strnfill (256, 'a');
  g_autofree gchar *eight_bit_cap = g_strnfill (85, '\xe9');
  g_autofree gchar *eight_bit_over = g_strnfill (86, '\xe9');

  g_assert_true (popbell_pop3_uid_is_valid ("!", 1));
  g_assert_true (popbell_pop3_uid_is_valid (seventy, 70));
  g_assert_false (popbell_pop3_uid_is_valid ("", 0));
  g_assert_false (popbell_pop3_uid_is_valid ("a b", 3));
  g_assert_false (popbell_pop3_uid_is_valid ("a\tb", 3));
  g_assert_false (popbell_pop3_uid_is_valid ("\x7f", 1));
  /* Lenient beyond RFC 1939 (like mpop): longer than 70, 8-bit. */
  g_assert_true (popbell_pop3_uid_is_valid (cap, 255));
  g_assert_false (popbell_pop3_uid_is_valid (over, 256));
  g_assert_true (popbell_pop3_uid_is_valid ("\xc3\xa4", 2));
  g_assert_true (popbell_pop3_uid_is_valid (eight_bit_cap, 85));
  g_assert_false (popbell_pop3_uid_is_valid (eight_bit_over, 86));
  {
    g_autofree gchar *a = popbell_pop3_uid_normalize ("x\xc3\xa4%41\xff", 7);
    g_autofree gchar *b = popbell_pop3_uid_normalize ("plain~!", 7);
    g_autofree gchar *c = popbell_pop3_uid_normalize ("a b", 3);
    g_assert_cmpstr (a, ==, "x%C3%A4%41%FF");
    g_assert_cmpstr (b, ==, "plain~!");
    g_assert_null (c);
  }
}

static void
test_greeting_timestamp (void)
{
  g_autofree gchar *many = g_strnfill (300, 'a');
  g_autofree gchar *long_stamp = g_strdup_printf ("POP3 <%s@x>", many);
  struct { const gchar *text; const gchar *stamp; } cases[] = {
    { "POP3 server ready <1896.697170952@dbc.mtview.ca.us>", "<1896.697170952@dbc.mtview.ca.us>" },
    { "<a@b> first", "<a@b>" },
    { "Dovecot ready.", NULL },
    { "broken <unclosed", NULL },
    { "empty <>", NULL },
    { "space <a b@c>", NULL },
    { long_stamp, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *stamp = popbell_pop3_greeting_timestamp (cases[i].text);
      g_assert_cmpstr (stamp, ==, cases[i].stamp);
    }
}

static void
test_capa (void)
{
  g_autoptr(PopbellPop3Capabilities) capa = popbell_pop3_capabilities_new ();
  g_autoptr(GError) error = NULL;
  const gchar *lines[] = {
    "TOP", "USER", "SASL PLAIN LOGIN  CRAM-MD5", "RESP-CODES", "AUTH-RESP-CODE",
    "pipelining", "UIDL", "STLS", "IMPLEMENTATION Dovecot (Debian)",
    "LOGIN-DELAY 900", "EXPIRE 60", "X-UNKNOWN a b c", "",
  };

  g_assert_cmpint (capa->login_delay, ==, -1);
  g_assert_cmpint (capa->expire, ==, POPBELL_POP3_EXPIRE_NONE);
  for (gsize i = 0; i < G_N_ELEMENTS (lines); i++)
    {
      g_assert_true (popbell_pop3_capabilities_add_line (capa, lines[i], strlen (lines[i]), &error));
      g_assert_no_error (error);
    }
  g_assert_true (popbell_pop3_capabilities_has (capa, "PIPELINING"));
  g_assert_true (popbell_pop3_capabilities_has (capa, "stls"));
  g_assert_false (popbell_pop3_capabilities_has (capa, "APOP"));
  g_assert_true (popbell_pop3_capabilities_has_sasl (capa, "plain"));
  g_assert_true (popbell_pop3_capabilities_has_sasl (capa, "CRAM-MD5"));
  g_assert_false (popbell_pop3_capabilities_has_sasl (capa, "GSSAPI"));
  g_assert_cmpstr (popbell_pop3_capabilities_get_args (capa, "IMPLEMENTATION"), ==, "Dovecot (Debian)");
  g_assert_cmpstr (popbell_pop3_capabilities_get_args (capa, "TOP"), ==, "");
  g_assert_cmpint (capa->login_delay, ==, 900);
  g_assert_false (capa->login_delay_per_user);
  g_assert_cmpint (capa->expire, ==, 60);

  /* per-user forms (RFC 2449 §6.5, §6.7) */
  g_assert_true (popbell_pop3_capabilities_add_line (capa, "LOGIN-DELAY 300 USER", 20, &error));
  g_assert_true (popbell_pop3_capabilities_add_line (capa, "EXPIRE NEVER USER", 17, &error));
  g_assert_no_error (error);
  g_assert_cmpint (capa->login_delay, ==, 300);
  g_assert_true (capa->login_delay_per_user);
  g_assert_cmpint (capa->expire, ==, POPBELL_POP3_EXPIRE_NEVER);
  g_assert_true (capa->expire_per_user);
  g_assert_true (popbell_pop3_capabilities_add_line (capa, "EXPIRE 0", 8, &error));
  g_assert_cmpint (capa->expire, ==, 0);

  const gchar *bad[] = { "LOGIN-DELAY", "LOGIN-DELAY x", "LOGIN-DELAY -5", "LOGIN-DELAY 99999999999",
                         "LOGIN-DELAY 5 OTHER", "EXPIRE", "EXPIRE soon", "LOGIN-DELAY NEVER", "X\x01Y" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_test_message ("capa \"%s\"", bad[i]);
      g_assert_false (popbell_pop3_capabilities_add_line (capa, bad[i], strlen (bad[i]), &e));
      g_assert_error (e, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3/reply/status", test_status);
  g_test_add_func ("/pop3/reply/status-untrusted", test_status_untrusted);
  g_test_add_func ("/pop3/reply/resp-codes", test_resp_codes);
  g_test_add_func ("/pop3/reply/numbers", test_numbers);
  g_test_add_func ("/pop3/reply/stat", test_stat);
  g_test_add_func ("/pop3/reply/list-uidl-lines", test_list_uidl_lines);
  g_test_add_func ("/pop3/reply/uid-validity", test_uid_validity);
  g_test_add_func ("/pop3/reply/empty", test_empty);
  g_test_add_func ("/pop3/reply/uidl-lenient", test_uidl_lenient);
  g_test_add_func ("/pop3/reply/greeting-timestamp", test_greeting_timestamp);
  g_test_add_func ("/pop3/reply/capa", test_capa);

  return g_test_run ();
}
