/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The POP3 client against a real Dovecot: STLS, implicit TLS and
 * certificate checks, every login method, the transaction commands on
 * delivered mail, pipelined and not, and Dovecot's own refusals. One
 * Dovecot serves the whole program (start 0.2 s, stop 1 s). */
#include <string.h>

#include "popbell-pop3-client.h"
#include "popbell-test-dovecot.h"
#include "popbell-test-util.h"

static PopbellTestDovecot *dovecot = NULL;
static gboolean dovecot_tried = FALSE;

/* Dovecot refuses plaintext logins from addresses other than its own
 * (PLAINTEXT_AUTH=no), and APOP is enabled to test it. */
static PopbellTestDovecot *
get_dovecot (void)
{
  if (!dovecot_tried)
    {
      dovecot_tried = TRUE;
      dovecot = popbell_test_dovecot_start ("auth_mechanisms = plain login apop", FALSE);
      return dovecot;
    }
  if (dovecot == NULL)
    popbell_test_skip_or_fail ("Dovecot is not available");
  return dovecot;
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static PopbellPop3Client *
new_client (PopbellPop3Security security, gboolean tls_port)
{
  PopbellPop3Client *client =
    popbell_pop3_client_new (popbell_test_dovecot_get_host (dovecot),
                             tls_port ? popbell_test_dovecot_get_tls_port (dovecot)
                                      : popbell_test_dovecot_get_port (dovecot),
                             security);
  popbell_pop3_client_set_timeout (client, 10);
  popbell_pop3_client_set_session_timeout (client, 30);
  return client;
}

static gboolean
do_connect (PopbellPop3Client *client, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_connect_async (client, NULL, store_result, &result);
  return popbell_pop3_client_connect_finish (client, wait_for (&result), error);
}

static gboolean
do_login (PopbellPop3Client *client, const gchar *user, const gchar *password,
          PopbellPop3AuthMethod method, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_login_async (client, user, password, method, NULL, store_result, &result);
  return popbell_pop3_client_login_finish (client, wait_for (&result), error);
}

static guint
do_stat (PopbellPop3Client *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint count = 0;
  guint64 size = 0;

  popbell_pop3_client_stat_async (client, NULL, store_result, &result);
  g_assert_true (popbell_pop3_client_stat_finish (client, wait_for (&result), &count, &size, &error));
  g_assert_no_error (error);
  return count;
}

static void
do_quit (PopbellPop3Client *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  popbell_pop3_client_quit_async (client, NULL, store_result, &result);
  g_assert_true (popbell_pop3_client_quit_finish (client, wait_for (&result), &error));
  g_assert_no_error (error);
}

/* --- TLS ----------------------------------------------------------------------- */

static void
test_stls (void)
{
  g_autoptr(PopbellPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  if (get_dovecot () == NULL)
    return;
  client = new_client (POPBELL_POP3_SECURITY_STARTTLS, FALSE);
  popbell_pop3_client_set_tls_ca_file (client, popbell_test_dovecot_get_ca_file (dovecot));
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_pop3_client_is_encrypted (client));
  /* CAPA again after STLS (RFC 2595 §4): no STLS any more. */
  g_assert_false (popbell_pop3_client_has_capability (client, "STLS"));
  g_assert_true (popbell_pop3_client_has_capability (client, "PIPELINING"));
  g_assert_nonnull (popbell_pop3_client_get_peer_certificate_sha256 (client));
  /* AUTO over TLS: SASL PLAIN */
  g_assert_true (do_login (client, "alice", "alicepw", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (do_stat (client), >=, 3);
  do_quit (client);
}

static void
test_implicit_tls_ca_file (void)
{
  g_autoptr(PopbellPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  if (get_dovecot () == NULL)
    return;
  client = new_client (POPBELL_POP3_SECURITY_TLS, TRUE);
  popbell_pop3_client_set_tls_ca_file (client, popbell_test_dovecot_get_ca_file (dovecot));
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_pop3_client_is_encrypted (client));
  g_assert_true (do_login (client, "alice", "alicepw", POPBELL_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (do_stat (client), >=, 3);
  do_quit (client);
}

/* Without the CA the self-signed certificate fails, and the error names
 * its fingerprint; pinning that fingerprint then works. */
static void
test_implicit_tls_untrusted_then_pinned (void)
{
  g_autoptr(PopbellPop3Client) client = NULL;
  g_autoptr(PopbellPop3Client) pinned = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *sha = NULL;

  if (get_dovecot () == NULL)
    return;
  client = new_client (POPBELL_POP3_SECURITY_TLS, TRUE);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE);
  sha = g_strdup (popbell_pop3_client_get_peer_certificate_sha256 (client));
  g_assert_nonnull (sha);
  g_assert_cmpuint (strlen (sha), ==, 95);
  g_assert_nonnull (strstr (error->message, sha));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  pinned = new_client (POPBELL_POP3_SECURITY_STARTTLS, FALSE);
  popbell_pop3_client_set_pinned_sha256 (pinned, sha);
  g_assert_true (do_connect (pinned, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_pop3_client_is_encrypted (pinned));
  do_quit (pinned);
}

/* --- login methods --------------------------------------------------------------- */

static void
test_login_methods (void)
{
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_SASL_PLAIN, POPBELL_POP3_AUTH_APOP,
    POPBELL_POP3_AUTH_AUTO,
  };

  if (get_dovecot () == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(PopbellPop3Client) client = new_client (POPBELL_POP3_SECURITY_NONE, FALSE);
      g_autoptr(GError) error = NULL;

      popbell_pop3_client_set_allow_insecure_auth (client, methods[i] != POPBELL_POP3_AUTH_APOP &&
                                                           methods[i] != POPBELL_POP3_AUTH_AUTO);
      g_assert_true (do_connect (client, &error));
      g_assert_no_error (error);
      /* apop in auth_mechanisms puts a timestamp in the greeting */
      g_assert_nonnull (popbell_pop3_client_get_apop_timestamp (client));
      g_assert_true (do_login (client, "alice", "alicepw", methods[i], &error));
      g_assert_no_error (error);
      g_assert_cmpuint (do_stat (client), >=, 3);
      do_quit (client);
    }
}

static void
test_wrong_password (void)
{
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_SASL_PLAIN, POPBELL_POP3_AUTH_APOP,
  };

  if (get_dovecot () == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autoptr(PopbellPop3Client) client = new_client (POPBELL_POP3_SECURITY_NONE, FALSE);
      g_autoptr(GError) error = NULL;

      popbell_pop3_client_set_allow_insecure_auth (client, TRUE);
      g_assert_true (do_connect (client, &error));
      g_assert_no_error (error);
      g_assert_false (do_login (client, "alice", "wrong", methods[i], &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
      g_test_message ("%s", error->message);
      g_assert_null (strstr (error->message, "wrong"));
      do_quit (client);
    }
}

/* Client turns seen in the trace: a command after an answer. */
static void
count_turn (PopbellPop3Client *client, const gchar *direction, const gchar *text, gpointer user_data)
{
  guint *turns = user_data;
  gboolean client_line = g_str_equal (direction, "C");

  if (client_line && !(turns[1]))
    turns[0]++;
  turns[1] = client_line;
}

/* Issue 9 against the real server: on the capabilities Dovecot advertised
 * in the previous session, the login (each method; USER/PASS too), the
 * CAPA after it, STAT and "UIDL n" go in one write after the greeting, and
 * a wrong password is still just AUTH, with nothing else answered. */
static void
test_write_ahead (void)
{
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_SASL_PLAIN, POPBELL_POP3_AUTH_APOP,
  };
  g_auto(GStrv) remembered = NULL;

  if (get_dovecot () == NULL)
    return;
  {
    g_autoptr(PopbellPop3Client) client = new_client (POPBELL_POP3_SECURITY_NONE, FALSE);
    g_autoptr(GError) error = NULL;

    g_assert_true (do_connect (client, &error));
    g_assert_no_error (error);
    remembered = popbell_pop3_client_dup_capabilities (client);
    g_assert_true (g_strv_contains ((const gchar * const *) remembered, "PIPELINING"));
    do_quit (client);
  }
  for (guint wrong = 0; wrong <= 1; wrong++)
    for (gsize i = 0; i < G_N_ELEMENTS (methods); i++)
      {
        g_autoptr(PopbellPop3Client) client = new_client (POPBELL_POP3_SECURITY_NONE, FALSE);
        g_autoptr(GAsyncResult) r_login = NULL, r_stat = NULL, r_uidl = NULL;
        g_autoptr(PopbellPop3ListEntry) last = NULL;
        g_autoptr(GError) error = NULL;
        guint turns[2] = { 0, 0 };
        guint count = 0;
        guint64 size = 0;
        gboolean ok;

        popbell_pop3_client_set_allow_insecure_auth (client, TRUE);
        popbell_pop3_client_set_remembered_capabilities (client, (const gchar * const *) remembered);
        g_signal_connect (client, "trace", G_CALLBACK (count_turn), turns);
        g_assert_true (do_connect (client, &error));
        g_assert_no_error (error);
        popbell_pop3_client_login_async (client, "alice", wrong ? "wrong" : "alicepw", methods[i],
                                         NULL, store_result, &r_login);
        popbell_pop3_client_stat_async (client, NULL, store_result, &r_stat);
        popbell_pop3_client_uidl_one_async (client, 1, NULL, store_result, &r_uidl);
        ok = popbell_pop3_client_login_finish (client, wait_for (&r_login), &error);
        ok = popbell_pop3_client_stat_finish (client, wait_for (&r_stat), &count, &size,
                                              ok ? &error : NULL) && ok;
        last = popbell_pop3_client_uidl_one_finish (client, wait_for (&r_uidl), ok ? &error : NULL);
        if (wrong)
          {
            g_assert_false (ok);
            g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
          }
        else
          {
            g_assert_no_error (error);
            g_assert_true (ok);
            g_assert_cmpuint (count, >=, 1);
            g_assert_nonnull (last);
            g_assert_false (popbell_pop3_client_get_remembered_contradicted (client));
            /* The greeting, then one write: CAPA, login, CAPA, STAT, UIDL 1. */
            g_assert_cmpuint (turns[0], ==, 1);
          }
        do_quit (client);
      }
}

/* From 127.0.0.2 Dovecot does not consider the link secured. */
static void
test_plaintext_refused (void)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string ("127.0.0.2");
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (inet, 0);
  g_autoptr(PopbellPop3Client) server_refuses = NULL;
  g_autoptr(PopbellPop3Client) we_refuse = NULL;
  g_autoptr(GError) error = NULL;

  if (get_dovecot () == NULL)
    return;

  /* We would send it (allowed), Dovecot refuses with [AUTH]. */
  server_refuses = new_client (POPBELL_POP3_SECURITY_NONE, FALSE);
  popbell_pop3_client_set_local_address (server_refuses, local);
  popbell_pop3_client_set_allow_insecure_auth (server_refuses, TRUE);
  g_assert_true (do_connect (server_refuses, &error));
  g_assert_no_error (error);
  g_assert_false (do_login (server_refuses, "alice", "alicepw", POPBELL_POP3_AUTH_USER, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  do_quit (server_refuses);

  /* Not allowed: we refuse before sending anything. */
  we_refuse = new_client (POPBELL_POP3_SECURITY_NONE, FALSE);
  popbell_pop3_client_set_local_address (we_refuse, local);
  g_assert_true (do_connect (we_refuse, &error));
  g_assert_no_error (error);
  g_assert_false (do_login (we_refuse, "alice", "alicepw", POPBELL_POP3_AUTH_USER, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE);
  g_clear_error (&error);
  do_quit (we_refuse);
}

/* --- transaction --------------------------------------------------------------- */

static const gchar message_a[] =
  "From: Ann <ann@example.test>\r\nTo: bob@example.test\r\nSubject: first\r\n"
  "Message-ID: <a@example.test>\r\n\r\nHello\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n";
static const gchar message_b[] =
  "From: Ben <ben@example.test>\r\nTo: bob@example.test\r\nSubject: second\r\n"
  "Message-ID: <b@example.test>\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";

/* Everything a check would ask, as text, to compare two runs. */
static gchar *
describe_mailbox (gboolean pipelining)
{
  g_autoptr(PopbellPop3Client) client = new_client (POPBELL_POP3_SECURITY_STARTTLS, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r_stat = NULL, r_list = NULL, r_uidl = NULL, r_top = NULL,
                          r_retr = NULL, r_one = NULL, r_uid_one = NULL, r_quit = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  g_autoptr(GBytes) top = NULL;
  g_autoptr(GBytes) retr = NULL;
  g_autoptr(PopbellPop3ListEntry) one = NULL;
  g_autoptr(PopbellPop3ListEntry) uid_one = NULL;
  GString *out = g_string_new (NULL);
  guint count;
  guint64 size;

  popbell_pop3_client_set_tls_ca_file (client, popbell_test_dovecot_get_ca_file (dovecot));
  popbell_pop3_client_set_pipelining_enabled (client, pipelining);
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (do_login (client, "bob", "bobpw", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_cmpint (popbell_pop3_client_is_pipelining (client), ==, pipelining);

  /* All queued at once: one write when pipelining. */
  popbell_pop3_client_stat_async (client, NULL, store_result, &r_stat);
  popbell_pop3_client_list_async (client, NULL, store_result, &r_list);
  popbell_pop3_client_uidl_async (client, NULL, store_result, &r_uidl);
  popbell_pop3_client_top_async (client, 2, 0, NULL, store_result, &r_top);
  popbell_pop3_client_retr_async (client, 2, 1 << 20, NULL, store_result, &r_retr);
  popbell_pop3_client_list_one_async (client, 3, NULL, store_result, &r_one);
  popbell_pop3_client_uidl_one_async (client, 3, NULL, store_result, &r_uid_one);
  popbell_pop3_client_quit_async (client, NULL, store_result, &r_quit);

  g_assert_true (popbell_pop3_client_stat_finish (client, wait_for (&r_stat), &count, &size, &error));
  g_assert_no_error (error);
  g_string_append_printf (out, "STAT %u %" G_GUINT64_FORMAT "\n", count, size);
  list = popbell_pop3_client_list_finish (client, wait_for (&r_list), &error);
  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    {
      PopbellPop3ListEntry *e = list->pdata[i];
      g_string_append_printf (out, "LIST %u %" G_GUINT64_FORMAT "\n", e->index, e->size);
    }
  uidl = popbell_pop3_client_uidl_finish (client, wait_for (&r_uidl), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, list->len);
  for (guint i = 0; i < uidl->len; i++)
    {
      PopbellPop3ListEntry *e = uidl->pdata[i];
      g_string_append_printf (out, "UIDL %u %s\n", e->index, e->uid);
    }
  top = popbell_pop3_client_top_finish (client, wait_for (&r_top), &error);
  g_assert_no_error (error);
  g_string_append_len (out, g_bytes_get_data (top, NULL), g_bytes_get_size (top));
  retr = popbell_pop3_client_retr_finish (client, wait_for (&r_retr), &error);
  g_assert_no_error (error);
  g_string_append_len (out, g_bytes_get_data (retr, NULL), g_bytes_get_size (retr));
  one = popbell_pop3_client_list_one_finish (client, wait_for (&r_one), &error);
  g_assert_no_error (error);
  uid_one = popbell_pop3_client_uidl_one_finish (client, wait_for (&r_uid_one), &error);
  g_assert_no_error (error);
  g_string_append_printf (out, "ONE %u %" G_GUINT64_FORMAT " %s\n", one->index, one->size, uid_one->uid);
  g_assert_true (popbell_pop3_client_quit_finish (client, wait_for (&r_quit), &error));
  g_assert_no_error (error);

  /* The delivered message came back byte for byte (dot-unstuffed). */
  g_assert_cmpuint (count, ==, 3);
  g_assert_cmpuint (g_bytes_get_size (retr), ==, strlen (message_a));
  g_assert_cmpmem (g_bytes_get_data (retr, NULL), g_bytes_get_size (retr), message_a, strlen (message_a));
  g_assert_true (g_str_has_prefix (g_bytes_get_data (top, NULL), "From: Ann"));
  return g_string_free (out, FALSE);
}

static void
test_transaction (void)
{
  g_autofree gchar *pipelined = NULL;
  g_autofree gchar *one_by_one = NULL;
  g_autoptr(PopbellPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r_dele = NULL, r_rset = NULL, r_noop = NULL, r_dele2 = NULL;

  if (get_dovecot () == NULL)
    return;
  /* bob starts with one message; two more arrive. */
  popbell_test_dovecot_deliver (dovecot, "bob", message_a, strlen (message_a));
  popbell_test_dovecot_deliver (dovecot, "bob", message_b, strlen (message_b));

  pipelined = describe_mailbox (TRUE);
  one_by_one = describe_mailbox (FALSE);
  g_test_message ("%s", pipelined);
  g_assert_cmpstr (pipelined, ==, one_by_one);
  g_assert_nonnull (strstr (pipelined, "Subject: first\r\n"));

  /* DELE, RSET, DELE again, QUIT: the deletion happens; the next session
   * sees two messages. */
  client = new_client (POPBELL_POP3_SECURITY_STARTTLS, FALSE);
  popbell_pop3_client_set_tls_ca_file (client, popbell_test_dovecot_get_ca_file (dovecot));
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, "bob", "bobpw", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  popbell_pop3_client_dele_async (client, 1, NULL, store_result, &r_dele);
  popbell_pop3_client_rset_async (client, NULL, store_result, &r_rset);
  popbell_pop3_client_noop_async (client, NULL, store_result, &r_noop);
  popbell_pop3_client_dele_async (client, 2, NULL, store_result, &r_dele2);
  g_assert_true (popbell_pop3_client_dele_finish (client, wait_for (&r_dele), &error));
  g_assert_true (popbell_pop3_client_rset_finish (client, wait_for (&r_rset), &error));
  g_assert_true (popbell_pop3_client_noop_finish (client, wait_for (&r_noop), &error));
  g_assert_true (popbell_pop3_client_dele_finish (client, wait_for (&r_dele2), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (do_stat (client), ==, 2);
  do_quit (client);
  g_clear_object (&client);

  client = new_client (POPBELL_POP3_SECURITY_STARTTLS, FALSE);
  popbell_pop3_client_set_tls_ca_file (client, popbell_test_dovecot_get_ca_file (dovecot));
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, "bob", "bobpw", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (do_stat (client), ==, 2);
  {
    g_autoptr(GAsyncResult) r = NULL;
    g_autoptr(GPtrArray) uidl = NULL;
    popbell_pop3_client_uidl_async (client, NULL, store_result, &r);
    uidl = popbell_pop3_client_uidl_finish (client, wait_for (&r), &error);
    g_assert_no_error (error);
    g_assert_cmpuint (uidl->len, ==, 2);
  }
  {
    /* No such message: an ordinary -ERR, the session goes on. */
    g_autoptr(GAsyncResult) r = NULL;
    g_autoptr(GBytes) msg = NULL;
    popbell_pop3_client_retr_async (client, 9, 1000, NULL, store_result, &r);
    msg = popbell_pop3_client_retr_finish (client, wait_for (&r), &error);
    g_assert_null (msg);
    g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED);
    g_clear_error (&error);
  }
  g_assert_cmpuint (do_stat (client), ==, 2);
  do_quit (client);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3/dovecot/stls", test_stls);
  g_test_add_func ("/pop3/dovecot/implicit-tls-ca-file", test_implicit_tls_ca_file);
  g_test_add_func ("/pop3/dovecot/implicit-tls-untrusted-then-pinned", test_implicit_tls_untrusted_then_pinned);
  g_test_add_func ("/pop3/dovecot/login-methods", test_login_methods);
  g_test_add_func ("/pop3/dovecot/wrong-password", test_wrong_password);
  g_test_add_func ("/pop3/dovecot/plaintext-refused", test_plaintext_refused);
  g_test_add_func ("/pop3/dovecot/transaction", test_transaction);
  g_test_add_func ("/pop3/dovecot/write-ahead", test_write_ahead);

  ret = g_test_run ();
  g_clear_pointer (&dovecot, popbell_test_dovecot_stop);
  return ret;
}
