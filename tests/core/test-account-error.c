/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include <gio/gio.h>
#include <string.h>

#include "popbell-check-result.h"
#include "popbell-credentials.h"
#include "popbell-error.h"
#include "popbell-pop3-error.h"

#define PIN "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

typedef struct {
  GQuark       domain;
  gint         code;
  const gchar *message;
  PopbellError kind;
  const gchar *expect;    /* a part of the translated sentence */
} Case;

static void
assert_contains (const gchar *haystack,
                 const gchar *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

static void
test_mapping (void)
{
  const Case cases[] = {
    { G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused", POPBELL_ERROR_NETWORK, "refused the connection" },
    { G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE, "No route to host", POPBELL_ERROR_NETWORK, "cannot be reached" },
    { G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "Network is unreachable", POPBELL_ERROR_NETWORK, "cannot be reached" },
    { G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "Connection reset by peer", POPBELL_ERROR_NETWORK, "closed the connection" },
    { G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "x", POPBELL_ERROR_NETWORK, "could not be found" },
    { G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "Name or service not known", POPBELL_ERROR_NETWORK, "could not be found" },
    { G_IO_ERROR, G_IO_ERROR_FAILED, "Error sending data: Broken pipe", POPBELL_ERROR_NETWORK, "connection to the server failed" },
    { G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Socket I/O timed out", POPBELL_ERROR_TIMEOUT, "did not answer in time" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT, "no answer after 30 s", POPBELL_ERROR_TIMEOUT, "did not answer in time" },
    { G_TLS_ERROR, G_TLS_ERROR_NOT_TLS, "Peer does not speak TLS", POPBELL_ERROR_TLS, "plain text" },
    { G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE, "handshake failed", POPBELL_ERROR_TLS, "secure connection" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_UNAVAILABLE, "no STLS", POPBELL_ERROR_TLS, "STARTTLS" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE,
      "certificate not trusted (SHA-256 " PIN ")", POPBELL_ERROR_TLS, "tls-pinned-sha256=" PIN },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH, "-ERR [AUTH] Authentication failed.", POPBELL_ERROR_AUTH,
      "popbell --set-password work" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED, "no SASL PLAIN", POPBELL_ERROR_AUTH, "auth=auto" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE, "plain", POPBELL_ERROR_INSECURE, "allow-insecure-auth=true" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL, "line too long", POPBELL_ERROR_PROTOCOL, "line too long" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING, "stalled", POPBELL_ERROR_PROTOCOL, "without pipelining" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TOO_LARGE, "big", POPBELL_ERROR_PROTOCOL, "too large" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED, "-ERR no such message", POPBELL_ERROR_PROTOCOL, "refused a command" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_SYS_TEMP, "-ERR [SYS/TEMP] disk", POPBELL_ERROR_SERVER, "temporary" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_SYS_PERM, "-ERR [SYS/PERM] gone", POPBELL_ERROR_SERVER, "permanent" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_SERVER_REFUSED, "-ERR go away", POPBELL_ERROR_SERVER, "not accepting" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_IN_USE, "-ERR [IN-USE]", POPBELL_ERROR_MAILBOX_LOCKED, "in use" },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_LOGIN_DELAY, "-ERR [LOGIN-DELAY]", POPBELL_ERROR_LOGIN_DELAY, "another login" },
    { POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED, "locked", POPBELL_ERROR_KEYRING, "Unlock your keyring" },
    { G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, "odd", POPBELL_ERROR_PROTOCOL, "odd" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) in = g_error_new_literal (cases[i].domain, cases[i].code, cases[i].message);
      g_autoptr(GError) out = popbell_error_from_pop3 (in, "work");

      g_test_message ("%s", out->message);
      g_assert_error (out, POPBELL_ERROR, (gint) cases[i].kind);
      assert_contains (out->message, "Account “work”");
      assert_contains (out->message, cases[i].expect);
      /* One line; never a bare library text. */
      g_assert_null (strchr (out->message, '\n'));
      g_assert_cmpstr (out->message, !=, cases[i].message);
    }
}

static void
test_passthrough (void)
{
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  g_autoptr(GError) c = popbell_error_from_pop3 (cancelled, "w");
  g_autoptr(GError) own = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_CONFIG, "mine");
  g_autoptr(GError) o = popbell_error_from_pop3 (own, "w");

  g_assert_error (c, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (o, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  g_assert_cmpstr (o->message, ==, "mine");
}

static void
test_server_text_sanitized (void)
{
  g_autoptr(GError) in = g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_SYS_TEMP,
                                              "-ERR \x1b[31mred\r\nInjected: \xff line");
  g_autoptr(GError) out = popbell_error_from_pop3 (in, "w");

  g_assert_true (g_utf8_validate (out->message, -1, NULL));
  g_assert_null (strchr (out->message, '\x1b'));
  g_assert_null (strchr (out->message, '\n'));
  g_assert_null (strchr (out->message, '\r'));
}

static void
test_fingerprint (void)
{
  g_autoptr(GError) a = g_error_new (POPBELL_POP3_ERROR, 0, "cert %s bad", "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  g_autoptr(GError) b = g_error_new (POPBELL_POP3_ERROR, 0, "no fingerprint here: AB:CD");
  g_autofree gchar *fa = popbell_error_dup_certificate_sha256 (a);
  g_autofree gchar *fb = popbell_error_dup_certificate_sha256 (b);

  g_assert_cmpstr (fa, ==, PIN);
  g_assert_null (fb);
}

/* "Cannot reach the server" says which, as data a notification can use. */
static void
test_reasons (void)
{
  const struct {
    GQuark             domain;
    gint               code;
    PopbellErrorReason reason;
  } cases[] = {
    { G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, POPBELL_ERROR_REASON_NO_SUCH_HOST },
    { G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND, POPBELL_ERROR_REASON_NO_SUCH_HOST },
    { G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, POPBELL_ERROR_REASON_REFUSED },
    { G_IO_ERROR, G_IO_ERROR_TIMED_OUT, POPBELL_ERROR_REASON_TIMED_OUT },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT, POPBELL_ERROR_REASON_TIMED_OUT },
    { G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, POPBELL_ERROR_REASON_UNREACHABLE },
    { G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, POPBELL_ERROR_REASON_CLOSED },
    { G_TLS_ERROR, G_TLS_ERROR_NOT_TLS, POPBELL_ERROR_REASON_TLS_MISMATCH },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_MISMATCH, POPBELL_ERROR_REASON_TLS_MISMATCH },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_OAUTH2_UNAVAILABLE, POPBELL_ERROR_REASON_AUTH_UNSUPPORTED },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH, POPBELL_ERROR_REASON_AUTH_REJECTED },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED, POPBELL_ERROR_REASON_AUTH_UNSUPPORTED },
    { POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_SYS_TEMP, POPBELL_ERROR_REASON_NONE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) in = g_error_new_literal (cases[i].domain, cases[i].code, "x");
      g_autoptr(GError) out = popbell_error_from_pop3 (in, "work");
      g_autoptr(GError) copy = g_error_copy (out);

      g_assert_cmpint (popbell_error_get_reason (out), ==, cases[i].reason);
      /* Structured data survives the copies the engine and statuses make. */
      g_assert_cmpint (popbell_error_get_reason (copy), ==, cases[i].reason);
    }
  g_assert_cmpint (popbell_error_get_reason (NULL), ==, POPBELL_ERROR_REASON_NONE);
}

/* The fingerprint travels as data, not only inside the sentence. */
static void
test_certificate_data (void)
{
  g_autoptr(GError) in = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE,
                                      "The certificate of h is not trusted (unknown CA); "
                                      "its SHA-256 fingerprint is %s", PIN);
  g_autoptr(GError) out = popbell_error_from_pop3 (in, "work");
  g_autoptr(GError) copy = g_error_copy (out);
  g_autofree gchar *fingerprint = NULL;

  g_free (copy->message);
  copy->message = g_strdup ("a message without it");
  fingerprint = popbell_error_dup_certificate_sha256 (copy);
  g_assert_cmpstr (fingerprint, ==, PIN);
  g_assert_cmpint (popbell_error_get_reason (copy), ==, POPBELL_ERROR_REASON_CERTIFICATE);
}

/* Two layers that each prefix the host say it once; the POP3 layer's
 * English template becomes the catalogue's (here the C locale's) words. */
static void
test_detail_once (void)
{
  g_autoptr(GError) in = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                              "Could not connect to 127.0.0.1: Could not connect "
                                              "to 127.0.0.1: Connection refused");
  g_autoptr(GError) out = popbell_error_from_pop3 (in, "work");
  g_autoptr(GError) auth_in = g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH,
                                                   "The server refused PASS: [AUTH] Invalid login");
  g_autoptr(GError) auth = popbell_error_from_pop3 (auth_in, "work");

  g_test_message ("%s", out->message);
  g_assert_null (strstr (out->message, "127.0.0.1: Could not connect to 127.0.0.1"));
  g_assert_null (strstr (out->message, "127.0.0.1: could not connect to 127.0.0.1"));
  g_assert_cmpstr (popbell_error_get_detail (out), ==,
                   "could not connect to 127.0.0.1: Connection refused");
  g_assert_cmpstr (popbell_error_get_detail (auth), ==,
                   "the server refused PASS: [AUTH] Invalid login");
}

static void
test_kinds (void)
{
  const gchar *names[] = {
    "network", "tls", "auth", "insecure", "protocol", "timeout", "server",
    "mailbox-locked", "login-delay", "keyring", "config",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (popbell_error_kind_to_string ((PopbellError) i), ==, names[i]);
  g_assert_null (popbell_error_kind_to_string ((PopbellError) 99));
}

static void
test_keyring_sentences (void)
{
  struct { gint code; const gchar *expect; } cases[] = {
    { POPBELL_CREDENTIALS_ERROR_NO_SERVICE, "gnome-keyring" },
    { POPBELL_CREDENTIALS_ERROR_LOCKED, "Unlock your keyring" },
    { POPBELL_CREDENTIALS_ERROR_NOT_FOUND, "popbell --set-password home" },
    { POPBELL_CREDENTIALS_ERROR_FAILED, "boom" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) in = g_error_new_literal (POPBELL_CREDENTIALS_ERROR, cases[i].code, "boom");
      g_autoptr(GError) out = popbell_credentials_error_to_popbell (in, "home");

      g_assert_error (out, POPBELL_ERROR, POPBELL_ERROR_KEYRING);
      assert_contains (out->message, "Account “home”");
      assert_contains (out->message, cases[i].expect);
    }
}

static void
test_check_result (void)
{
  g_autoptr(GPtrArray) news = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  g_autoptr(GDateTime) when = g_date_time_new_utc (2026, 11, 26, 9, 0, 0);
  g_autoptr(PopbellCheckResult) ok = NULL;
  g_autoptr(PopbellCheckResult) bad = NULL;
  g_autoptr(GError) auth = g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_LOGIN_DELAY, "-ERR [LOGIN-DELAY]");

  g_ptr_array_add (news, popbell_mail_summary_new ("work", "u1", 11, 1234, "A <a@x>", "Hi", NULL));
  ok = popbell_check_result_new_ok ("work", FALSE, 12, 34567, 1, 5, news, NULL, when);
  g_ptr_array_set_size (news, 0);   /* the result keeps its own references */

  g_assert_true (popbell_check_result_is_ok (ok));
  g_assert_null (popbell_check_result_get_error (ok));
  g_assert_null (popbell_check_result_get_error_kind (ok));
  g_assert_cmpuint (popbell_check_result_get_messages (ok), ==, 12);
  g_assert_cmpuint (popbell_check_result_get_size (ok), ==, 34567);
  g_assert_cmpuint (popbell_check_result_get_new_count (ok), ==, 1);
  g_assert_cmpuint (popbell_check_result_get_unseen_count (ok), ==, 5);
  g_assert_cmpuint (popbell_check_result_get_new_messages (ok)->len, ==, 1);
  g_assert_cmpstr (popbell_mail_summary_get_subject (g_ptr_array_index (popbell_check_result_get_new_messages (ok), 0)), ==, "Hi");
  g_assert_true (g_date_time_equal (popbell_check_result_get_time (ok), when));

  bad = popbell_check_result_new_error ("home", auth, when, 2, NULL);
  g_assert_false (popbell_check_result_is_ok (bad));
  g_assert_cmpstr (popbell_check_result_get_error_kind (bad), ==, "login-delay");
  g_assert_error (popbell_check_result_get_error (bad), POPBELL_ERROR, POPBELL_ERROR_LOGIN_DELAY);
  g_assert_true (g_date_time_equal (popbell_check_result_get_retry_after (bad), when));
  g_assert_cmpuint (popbell_check_result_get_unseen_count (bad), ==, 2);
  g_assert_cmpuint (popbell_check_result_get_new_messages (bad)->len, ==, 0);
  g_assert_nonnull (popbell_check_result_get_time (bad));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/account-error/mapping", test_mapping);
  g_test_add_func ("/core/account-error/passthrough", test_passthrough);
  g_test_add_func ("/core/account-error/server-text-sanitized", test_server_text_sanitized);
  g_test_add_func ("/core/account-error/fingerprint", test_fingerprint);
  g_test_add_func ("/core/account-error/kinds", test_kinds);
  g_test_add_func ("/core/account-error/reasons", test_reasons);
  g_test_add_func ("/core/account-error/certificate-data", test_certificate_data);
  g_test_add_func ("/core/account-error/detail-once", test_detail_once);
  g_test_add_func ("/core/account-error/keyring-sentences", test_keyring_sentences);
  g_test_add_func ("/core/account-error/check-result", test_check_result);

  return g_test_run ();
}
