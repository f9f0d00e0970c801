/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The POP3 client against the scripted fake server: every error path,
 * the limits, pipelining, STLS and certificate checks. */
#include <string.h>
#include <glib/gstdio.h>

#include "popbell-fake-server.h"
#include "popbell-pop3-client.h"

/* --- log capture (the trace must never show a password) ----------------------- */

static GString *captured_log = NULL;

static GLogWriterOutput
capture_writer (GLogLevelFlags log_level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (captured_log != NULL)
    for (gsize i = 0; i < n_fields; i++)
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        {
          g_string_append_len (captured_log, fields[i].value,
                               fields[i].length < 0 ? (gssize) strlen (fields[i].value) : fields[i].length);
          g_string_append_c (captured_log, '\n');
        }
  if (log_level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;   /* keep test output short */
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* --- fixture --------------------------------------------------------------------- */

typedef struct {
  PopbellFakeServer *server;
  PopbellPop3Client *client;
  gchar             *tmpdir;
} Fixture;

static void
setup_script (Fixture *f, gconstpointer data)
{
  f->server = popbell_fake_server_new ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->client != NULL)
    popbell_pop3_client_close (f->client);
  g_clear_object (&f->client);
  if (f->server != NULL)
    {
      popbell_fake_server_stop (f->server);
      /* Let the closed connections' callbacks run. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
  g_clear_object (&f->server);
  if (f->tmpdir != NULL)
    {
      g_autofree gchar *ca = g_build_filename (f->tmpdir, "ca.pem", NULL);
      g_unlink (ca);
      g_rmdir (f->tmpdir);
      g_free (f->tmpdir);
    }
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static PopbellPop3Client *
new_client (Fixture *f, PopbellPop3Security security)
{
  g_clear_object (&f->client);
  f->client = popbell_pop3_client_new ("127.0.0.1", popbell_fake_server_get_port (f->server), security);
  popbell_pop3_client_set_timeout (f->client, 5);
  return f->client;
}

static gboolean
do_connect (Fixture *f, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_connect_async (f->client, NULL, store_result, &result);
  return popbell_pop3_client_connect_finish (f->client, wait_for (&result), error);
}

static gboolean
do_login (Fixture *f, const gchar *user, const gchar *password, PopbellPop3AuthMethod method,
          GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_login_async (f->client, user, password, method, NULL, store_result, &result);
  return popbell_pop3_client_login_finish (f->client, wait_for (&result), error);
}

static gboolean
do_stat (Fixture *f, guint *count, guint64 *size, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_stat_async (f->client, NULL, store_result, &result);
  return popbell_pop3_client_stat_finish (f->client, wait_for (&result), count, size, error);
}

static GPtrArray *
do_uidl (Fixture *f, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_uidl_async (f->client, NULL, store_result, &result);
  return popbell_pop3_client_uidl_finish (f->client, wait_for (&result), error);
}

static GPtrArray *
do_list (Fixture *f, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_list_async (f->client, NULL, store_result, &result);
  return popbell_pop3_client_list_finish (f->client, wait_for (&result), error);
}

static gboolean
do_quit (Fixture *f, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_pop3_client_quit_async (f->client, NULL, store_result, &result);
  return popbell_pop3_client_quit_finish (f->client, wait_for (&result), error);
}

/* Greeting and a CAPA answer for a plain connection. */
static void
script_hello (PopbellFakeServer *server, const gchar *greeting, const gchar *capa_answer)
{
  popbell_fake_server_send (server, greeting);
  popbell_fake_server_expect (server, "CAPA", capa_answer);
}

/* Greeting, CAPA (+ PIPELINING if asked), USER/PASS, CAPA after login. */
static void
script_logged_in (PopbellFakeServer *server, gboolean pipelining)
{
  script_hello (server, "+OK ready\r\n",
                pipelining ? "+OK\r\nUSER\r\nPIPELINING\r\nUIDL\r\nTOP\r\n.\r\n"
                           : "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
  popbell_fake_server_expect (server, "USER alice", "+OK\r\n");
  popbell_fake_server_expect (server, "PASS secret", "+OK logged in\r\n");
  popbell_fake_server_expect (server, "CAPA",
                              pipelining ? "+OK\r\nPIPELINING\r\nUIDL\r\nTOP\r\n.\r\n"
                                         : "+OK\r\nUIDL\r\nTOP\r\n.\r\n");
}

static void
connect_and_login (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  g_assert_true (do_connect (f, &error));
  g_assert_no_error (error);
  g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
}

static void
assert_bytes (GBytes *bytes, const gchar *expected)
{
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), expected, strlen (expected));
}

/* --- the whole conversation ---------------------------------------------------- */

static void
test_full_session (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL, r6 = NULL, r7 = NULL;
  g_autoptr(GBytes) top = NULL;
  g_autoptr(GBytes) retr = NULL;
  g_autoptr(PopbellPop3ListEntry) one = NULL;
  g_autoptr(PopbellPop3ListEntry) uid_one = NULL;
  guint count = 0;
  guint64 size = 0;

  script_hello (f->server, "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n",
                "+OK Capability list follows\r\n"
                "TOP\r\nUSER\r\nSASL PLAIN LOGIN\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\n"
                "EXPIRE NEVER\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n");
  popbell_fake_server_expect (f->server, "USER alice", "+OK\r\n");
  popbell_fake_server_expect (f->server, "PASS secret", "+OK maildrop locked and ready\r\n");
  popbell_fake_server_expect (f->server, "CAPA",
                              "+OK\r\nTOP\r\nUIDL\r\nLOGIN-DELAY 300 USER\r\nEXPIRE 30 USER\r\n.\r\n");
  popbell_fake_server_expect (f->server, "STAT", "+OK 2 320\r\n");
  popbell_fake_server_expect (f->server, "LIST", "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n");
  popbell_fake_server_expect (f->server, "UIDL", "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n");
  popbell_fake_server_expect (f->server, "LIST 2", "+OK 2 200\r\n");
  popbell_fake_server_expect (f->server, "UIDL 2", "+OK 2 QhdPYR:00WBw1Ph7x7\r\n");
  popbell_fake_server_expect (f->server, "TOP 1 0", "+OK\r\nSubject: hi\r\n..dotted\r\n\r\n.\r\n");
  popbell_fake_server_expect (f->server, "RETR 2", "+OK 200 octets\r\nA: b\r\n\r\n..\r\nline\nbare LF\r\n.\r\n");
  popbell_fake_server_expect (f->server, "DELE 1", "+OK message 1 deleted\r\n");
  popbell_fake_server_expect (f->server, "RSET", "+OK\r\n");
  popbell_fake_server_expect (f->server, "NOOP", "+OK\r\n");
  popbell_fake_server_expect (f->server, "QUIT", "+OK dewey POP3 server signing off\r\n");
  popbell_fake_server_close (f->server);

  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  g_assert_true (do_connect (f, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_pop3_client_is_connected (f->client));
  g_assert_false (popbell_pop3_client_is_encrypted (f->client));
  g_assert_cmpstr (popbell_pop3_client_get_apop_timestamp (f->client), ==,
                   "<1896.697170952@dbc.mtview.ca.us>");
  g_assert_true (popbell_pop3_client_has_capability (f->client, "TOP"));
  g_assert_true (popbell_pop3_client_has_capability (f->client, "implementation"));
  g_assert_cmpstr (popbell_pop3_client_get_capability_args (f->client, "SASL"), ==, "PLAIN LOGIN");
  g_assert_cmpint (popbell_pop3_client_get_login_delay (f->client), ==, 900);
  g_assert_cmpint (popbell_pop3_client_get_expire (f->client), ==, POPBELL_POP3_EXPIRE_NEVER);
  g_assert_false (popbell_pop3_client_is_pipelining (f->client));

  g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  /* The per-user values after login replace the general ones. */
  g_assert_cmpint (popbell_pop3_client_get_login_delay (f->client), ==, 300);
  g_assert_cmpint (popbell_pop3_client_get_expire (f->client), ==, 30);
  g_assert_false (popbell_pop3_client_has_capability (f->client, "SASL"));

  g_assert_true (do_stat (f, &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 2);
  g_assert_cmpuint (size, ==, 320);

  list = do_list (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpuint (((PopbellPop3ListEntry *) list->pdata[1])->index, ==, 2);
  g_assert_cmpuint (((PopbellPop3ListEntry *) list->pdata[1])->size, ==, 200);

  /* Queue the rest at once: answered in order without pipelining too. */
  popbell_pop3_client_uidl_async (f->client, NULL, store_result, &r1);
  popbell_pop3_client_list_one_async (f->client, 2, NULL, store_result, &r2);
  popbell_pop3_client_uidl_one_async (f->client, 2, NULL, store_result, &r3);
  popbell_pop3_client_top_async (f->client, 1, 0, NULL, store_result, &r4);
  popbell_pop3_client_retr_async (f->client, 2, 10000, NULL, store_result, &r5);
  popbell_pop3_client_dele_async (f->client, 1, NULL, store_result, &r6);
  popbell_pop3_client_rset_async (f->client, NULL, store_result, &r7);

  uidl = popbell_pop3_client_uidl_finish (f->client, wait_for (&r1), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, 2);
  g_assert_cmpstr (((PopbellPop3ListEntry *) uidl->pdata[0])->uid, ==, "whqtswO00WBw418f9t5JxYwZ");
  one = popbell_pop3_client_list_one_finish (f->client, wait_for (&r2), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (one->size, ==, 200);
  uid_one = popbell_pop3_client_uidl_one_finish (f->client, wait_for (&r3), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (uid_one->uid, ==, "QhdPYR:00WBw1Ph7x7");
  top = popbell_pop3_client_top_finish (f->client, wait_for (&r4), &error);
  g_assert_no_error (error);
  assert_bytes (top, "Subject: hi\r\n.dotted\r\n\r\n");
  retr = popbell_pop3_client_retr_finish (f->client, wait_for (&r5), &error);
  g_assert_no_error (error);
  assert_bytes (retr, "A: b\r\n\r\n.\r\nline\r\nbare LF\r\n");
  g_assert_true (popbell_pop3_client_dele_finish (f->client, wait_for (&r6), &error));
  g_assert_no_error (error);
  g_assert_true (popbell_pop3_client_rset_finish (f->client, wait_for (&r7), &error));
  g_assert_no_error (error);

  {
    g_autoptr(GAsyncResult) r = NULL;
    popbell_pop3_client_noop_async (f->client, NULL, store_result, &r);
    g_assert_true (popbell_pop3_client_noop_finish (f->client, wait_for (&r), &error));
    g_assert_no_error (error);
  }
  g_assert_true (do_quit (f, &error));
  g_assert_no_error (error);
  g_assert_false (popbell_pop3_client_is_connected (f->client));
  g_assert_null (popbell_fake_server_get_failure (f->server));
  g_assert_true (popbell_fake_server_script_done (f->server));
}

/* An RFC 1939 server: no CAPA, no extensions. */
static void
test_capa_err (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint count;
  guint64 size;

  script_hello (f->server, "+OK hello\r\n", "-ERR unknown command\r\n");
  popbell_fake_server_expect (f->server, "USER bob", "+OK\r\n");
  popbell_fake_server_expect (f->server, "PASS pw", "+OK\r\n");
  popbell_fake_server_expect (f->server, "CAPA", "-ERR unknown command\r\n");
  popbell_fake_server_expect (f->server, "STAT", "+OK 0 0\r\n");

  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  g_assert_true (do_connect (f, &error));
  g_assert_no_error (error);
  g_assert_false (popbell_pop3_client_has_capability (f->client, "UIDL"));
  g_assert_cmpint (popbell_pop3_client_get_login_delay (f->client), ==, -1);
  g_assert_cmpint (popbell_pop3_client_get_expire (f->client), ==, POPBELL_POP3_EXPIRE_NONE);
  g_assert_null (popbell_pop3_client_get_apop_timestamp (f->client));
  g_assert_true (do_login (f, "bob", "pw", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_true (do_stat (f, &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 0);
  g_assert_null (popbell_fake_server_get_failure (f->server));
}

/* LOGIN-DELAY and EXPIRE said before login stay when the answer after
 * login leaves them out. */
static void
test_capa_limits_kept (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  script_hello (f->server, "+OK hi\r\n", "+OK\r\nUSER\r\nLOGIN-DELAY 900\r\nEXPIRE 5\r\n.\r\n");
  popbell_fake_server_expect (f->server, "USER alice", "+OK\r\n");
  popbell_fake_server_expect (f->server, "PASS secret", "+OK\r\n");
  popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
  connect_and_login (f);
  g_assert_cmpint (popbell_pop3_client_get_login_delay (f->client), ==, 900);
  g_assert_cmpint (popbell_pop3_client_get_expire (f->client), ==, 5);
  g_assert_true (popbell_pop3_client_has_capability (f->client, "UIDL"));
  g_assert_false (popbell_pop3_client_has_capability (f->client, "USER"));
}

typedef struct {
  const gchar *greeting;
  gint         code;
} GreetingCase;

static void
test_greeting_err (Fixture *f, gconstpointer data)
{
  static const GreetingCase cases[] = {
    { "-ERR go away\r\n", POPBELL_POP3_ERROR_SERVER_REFUSED },
    { "-ERR [SYS/TEMP] too busy\r\n", POPBELL_POP3_ERROR_SYS_TEMP },
    { "-ERR [SYS/PERM] disabled\r\n", POPBELL_POP3_ERROR_SYS_PERM },
    { "-ERR [IN-USE] locked\r\n", POPBELL_POP3_ERROR_IN_USE },
    { "* OK IMAP4 ready\r\n", POPBELL_POP3_ERROR_PROTOCOL },
    { "+OK\r\n+OK extra\r\n", POPBELL_POP3_ERROR_PROTOCOL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      if (i > 0)
        popbell_fake_server_next_connection (f->server);
      popbell_fake_server_send (f->server, cases[i].greeting);
      popbell_fake_server_stall (f->server);
      new_client (f, POPBELL_POP3_SECURITY_NONE);
      g_assert_false (do_connect (f, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, cases[i].code);
      g_assert_false (popbell_pop3_client_is_connected (f->client));
    }
}

typedef struct {
  const gchar *reply;
  gint         code;
} LoginCase;

static void
test_login_errors (Fixture *f, gconstpointer data)
{
  static const LoginCase cases[] = {
    { "-ERR [AUTH] Authentication failed.", POPBELL_POP3_ERROR_AUTH },
    { "-ERR [IN-USE] Mailbox is locked by another POP3 session.", POPBELL_POP3_ERROR_IN_USE },
    { "-ERR [LOGIN-DELAY] Wait 15 minutes", POPBELL_POP3_ERROR_LOGIN_DELAY },
    { "-ERR [SYS/TEMP] Try later", POPBELL_POP3_ERROR_SYS_TEMP },
    { "-ERR [SYS/PERM] Account disabled", POPBELL_POP3_ERROR_SYS_PERM },
    { "-ERR [SYS/TEMP/DISK] full", POPBELL_POP3_ERROR_SYS_TEMP },
    { "-ERR invalid password", POPBELL_POP3_ERROR_AUTH },
    { "-ERR [UNKNOWN-CODE] no", POPBELL_POP3_ERROR_AUTH },
  };
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_APOP, POPBELL_POP3_AUTH_SASL_PLAIN,
  };

  g_clear_object (&f->server);
  f->server = popbell_fake_server_new_mailbox ("alice", "secret");
  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(GError) error = NULL;

        popbell_fake_server_set_login_reply (f->server, cases[i].reply);
        new_client (f, POPBELL_POP3_SECURITY_NONE);
        popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
        g_assert_true (do_connect (f, &error));
        g_assert_no_error (error);
        g_assert_false (do_login (f, "alice", "secret", methods[m], &error));
        g_assert_error (error, POPBELL_POP3_ERROR, cases[i].code);
        /* A refused login leaves the session usable: QUIT politely. */
        g_clear_error (&error);
        g_assert_true (popbell_pop3_client_is_connected (f->client));
        g_assert_true (do_quit (f, &error));
        g_assert_no_error (error);
      }
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "APOP *"), ==, G_N_ELEMENTS (cases));
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "AUTH PLAIN *"), ==, G_N_ELEMENTS (cases));
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, G_N_ELEMENTS (cases));
}

/* A wrong password in mailbox mode, and the right one. */
static void
test_login_methods (Fixture *f, gconstpointer data)
{
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_APOP, POPBELL_POP3_AUTH_SASL_PLAIN,
    POPBELL_POP3_AUTH_AUTO,
  };

  g_clear_object (&f->server);
  f->server = popbell_fake_server_new_mailbox ("alice", "s3cret pass");
  popbell_fake_server_add_message (f->server, "u1", "Subject: one\n\nbody\n");
  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autoptr(GError) error = NULL;
      guint count;
      guint64 size;

      new_client (f, POPBELL_POP3_SECURITY_NONE);
      popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
      g_assert_true (do_connect (f, &error));
      g_assert_no_error (error);
      g_assert_false (do_login (f, "alice", "wrong", methods[m], &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
      g_clear_error (&error);
      g_assert_true (do_quit (f, &error));
      g_assert_no_error (error);

      new_client (f, POPBELL_POP3_SECURITY_NONE);
      popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
      g_assert_true (do_connect (f, &error));
      g_assert_no_error (error);
      g_assert_true (do_login (f, "alice", "s3cret pass", methods[m], &error));
      g_assert_no_error (error);
      g_assert_true (do_stat (f, &count, &size, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (count, ==, 1);
      g_assert_true (do_quit (f, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, G_N_ELEMENTS (methods));
  /* AUTO on a plain link with a greeting timestamp chose APOP. */
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "APOP *"), ==, 4);
}

/* auth=auto on a plain link: APOP first (a timestamp in the greeting);
 * the server refuses it (no APOP secret for the user), then USER/PASS or
 * SASL PLAIN in the same session, but only with allow-insecure-auth. */
typedef enum { FALLBACK_USER, FALLBACK_SASL, FALLBACK_FORBIDDEN, FALLBACK_IN_USE } Fallback;

static void
test_auto_apop_fallback (Fixture *f, gconstpointer data)
{
  Fallback mode = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  script_hello (f->server, "+OK hi <42.7@host>\r\n",
                mode == FALLBACK_SASL ? "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n"
                                      : "+OK\r\nUSER\r\n.\r\n");
  popbell_fake_server_expect (f->server, "APOP alice *",
                              mode == FALLBACK_IN_USE ? "-ERR [IN-USE] locked\r\n"
                                                      : "-ERR [AUTH] authentication failed\r\n");
  if (mode == FALLBACK_USER)
    {
      popbell_fake_server_expect (f->server, "USER alice", "+OK\r\n");
      popbell_fake_server_expect (f->server, "PASS secret", "+OK in\r\n");
      popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
    }
  else if (mode == FALLBACK_SASL)
    {
      popbell_fake_server_expect (f->server, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "+OK in\r\n");
      popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
    }
  popbell_fake_server_expect (f->server, "QUIT", "+OK\r\n");

  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, mode != FALLBACK_FORBIDDEN);
  g_assert_true (do_connect (f, &error));
  g_assert_no_error (error);
  ok = do_login (f, "alice", "secret", POPBELL_POP3_AUTH_AUTO, &error);
  switch (mode)
    {
    case FALLBACK_USER:
    case FALLBACK_SASL:
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (popbell_pop3_client_get_auth_method_used (f->client), ==,
                       mode == FALLBACK_USER ? POPBELL_POP3_AUTH_USER : POPBELL_POP3_AUTH_SASL_PLAIN);
      break;
    case FALLBACK_FORBIDDEN:
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
      g_assert_cmpint (popbell_pop3_client_get_auth_method_used (f->client), ==, POPBELL_POP3_AUTH_AUTO);
      break;
    case FALLBACK_IN_USE:
    default:
      /* A locked mailbox is not a refused secret: no second attempt. */
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_IN_USE);
      break;
    }
  g_clear_error (&error);
  g_assert_true (do_quit (f, &error));
  g_assert_no_error (error);
  g_assert_null (popbell_fake_server_get_failure (f->server));
  g_assert_true (popbell_fake_server_script_done (f->server));
  if (mode == FALLBACK_FORBIDDEN || mode == FALLBACK_IN_USE)
    {
      g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "USER*"), ==, 0);
      g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS*"), ==, 0);
      g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "AUTH*"), ==, 0);
    }
}

/* The remembered method goes first: one login attempt, not two. */
static void
test_preferred_method (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_clear_object (&f->server);
  f->server = popbell_fake_server_new_mailbox ("alice", "secret");
  popbell_fake_server_remove_capability (f->server, "SASL");

  /* USER remembered: no APOP although the greeting has a timestamp. */
  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  popbell_pop3_client_set_preferred_auth_method (f->client, POPBELL_POP3_AUTH_USER);
  g_assert_true (do_connect (f, &error));
  g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_cmpint (popbell_pop3_client_get_auth_method_used (f->client), ==, POPBELL_POP3_AUTH_USER);
  g_assert_true (do_quit (f, &error));
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "APOP *"), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 1);

  /* A remembered USER is no licence to send a password in clear. */
  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_preferred_auth_method (f->client, POPBELL_POP3_AUTH_USER);
  g_assert_true (do_connect (f, &error));
  g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_cmpint (popbell_pop3_client_get_auth_method_used (f->client), ==, POPBELL_POP3_AUTH_APOP);
  g_assert_true (do_quit (f, &error));
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 1);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "USER *"), ==, 1);
}

/* SASL PLAIN for a server that wants the response after "+ ". */
static void
test_sasl_continuation (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *b64 = g_base64_encode ((const guchar *) "\0alice\0secret", 13);
  g_autofree gchar *expected = g_strdup_printf ("AUTH PLAIN %s", b64);

  script_hello (f->server, "+OK hi\r\n", "+OK\r\nSASL PLAIN\r\n.\r\n");
  popbell_fake_server_expect (f->server, expected, "+ \r\n");
  popbell_fake_server_expect (f->server, b64, "+OK welcome\r\n");
  popbell_fake_server_expect (f->server, "CAPA", "+OK\r\n.\r\n");

  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  g_assert_true (do_connect (f, &error));
  g_assert_no_error (error);
  g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_null (popbell_fake_server_get_failure (f->server));
}

/* No password over a plain link unless allowed; nothing is sent. */
static void
test_insecure_refused (Fixture *f, gconstpointer data)
{
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_SASL_PLAIN, POPBELL_POP3_AUTH_AUTO,
  };

  g_clear_object (&f->server);
  f->server = popbell_fake_server_new_mailbox ("alice", "secret");
  popbell_fake_server_set_greeting (f->server, "+OK no timestamp here");
  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autoptr(GError) error = NULL;

      new_client (f, POPBELL_POP3_SECURITY_NONE);
      g_assert_true (do_connect (f, &error));
      g_assert_no_error (error);
      g_assert_false (do_login (f, "alice", "secret", methods[m], &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE);
      g_clear_error (&error);
      g_assert_true (do_quit (f, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "USER*"), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS*"), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "AUTH*"), ==, 0);

  /* APOP is not refused (no password on the wire); without a timestamp it
   * is unsupported. */
  {
    g_autoptr(GError) error = NULL;
    new_client (f, POPBELL_POP3_SECURITY_NONE);
    g_assert_true (do_connect (f, &error));
    g_assert_no_error (error);
    g_assert_false (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_APOP, &error));
    g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED);
  }
}

/* The trace shows commands and answers, never the password. */
static void
test_trace_masks_password (Fixture *f, gconstpointer data)
{
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_APOP, POPBELL_POP3_AUTH_SASL_PLAIN,
  };
  g_autofree gchar *b64 = g_base64_encode ((const guchar *) "\0alice\0Pa55w0rd!", 16);

  g_clear_object (&f->server);
  f->server = popbell_fake_server_new_mailbox ("alice", "Pa55w0rd!");
  captured_log = g_string_new (NULL);
  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autoptr(GError) error = NULL;
      guint count;
      guint64 size;

      new_client (f, POPBELL_POP3_SECURITY_NONE);
      popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
      g_assert_true (do_connect (f, &error));
      g_assert_no_error (error);
      g_assert_true (do_login (f, "alice", "Pa55w0rd!", methods[m], &error));
      g_assert_no_error (error);
      g_assert_true (do_stat (f, &count, &size, &error));
      g_assert_no_error (error);
      g_assert_true (do_quit (f, &error));
      g_assert_no_error (error);
    }
  g_assert_nonnull (strstr (captured_log->str, "C: STAT\n"));
  g_assert_nonnull (strstr (captured_log->str, "S: +OK 0 0\n"));
  g_assert_nonnull (strstr (captured_log->str, "C: PASS ********\n"));
  g_assert_nonnull (strstr (captured_log->str, "C: APOP alice ********\n"));
  g_assert_nonnull (strstr (captured_log->str, "C: AUTH PLAIN ********\n"));
  g_assert_null (strstr (captured_log->str, "Pa55w0rd"));
  g_assert_null (strstr (captured_log->str, b64));
  /* The APOP digest is not in the trace either. */
  for (guint i = 0; i < popbell_fake_server_get_commands (f->server)->len; i++)
    {
      const gchar *cmd = popbell_fake_server_get_commands (f->server)->pdata[i];
      if (g_str_has_prefix (cmd, "APOP "))
        g_assert_null (strstr (captured_log->str, cmd + strlen ("APOP alice ")));
    }
  g_string_free (g_steal_pointer (&captured_log), TRUE);
}

/* --- limits and broken servers ------------------------------------------------ */

/* A whole session's answers, line by line: an empty line goes in front of
 * each in turn (CRLF, and a bare LF), also inside the CAPA and UIDL
 * listings and right after PASS. The client must end in a clean result
 * or a protocol error, never a crash (an empty line once had NULL data). */
typedef struct {
  const gchar *command;         /* NULL: the greeting */
  const gchar *const *lines;    /* the answer, line by line, without CRLF */
} ScriptedAnswer;

static const gchar *const greeting_lines[] = { "+OK ready <1.2@x>", NULL };
static const gchar *const capa_lines[] = { "+OK", "USER", "UIDL", "TOP", ".", NULL };
static const gchar *const ok_lines[] = { "+OK", NULL };
static const gchar *const stat_lines[] = { "+OK 2 320", NULL };
static const gchar *const uidl_lines[] = { "+OK", "1 a", "2 b", ".", NULL };
static const gchar *const list_lines[] = { "+OK", "1 120", "2 200", ".", NULL };
static const gchar *const top_lines[] = { "+OK", "Subject: x", "", ".", NULL };
static const ScriptedAnswer session_answers[] = {
  { NULL, greeting_lines },
  { "CAPA", capa_lines },
  { "USER alice", ok_lines },
  { "PASS secret", ok_lines },
  { "CAPA", capa_lines },
  { "STAT", stat_lines },
  { "UIDL", uidl_lines },
  { "LIST", list_lines },
  { "TOP 1 0", top_lines },
  { "QUIT", ok_lines },
};

static gboolean
run_scripted_session (Fixture *f, GError **error)
{
  g_autoptr(GPtrArray) uidl = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) top = NULL;
  guint count;
  guint64 size;

  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  if (!do_connect (f, error) ||
      !do_login (f, "alice", "secret", POPBELL_POP3_AUTH_USER, error) ||
      !do_stat (f, &count, &size, error) ||
      (uidl = do_uidl (f, error)) == NULL ||
      (list = do_list (f, error)) == NULL)
    return FALSE;
  popbell_pop3_client_top_async (f->client, 1, 0, NULL, store_result, &result);
  top = popbell_pop3_client_top_finish (f->client, wait_for (&result), error);
  if (top == NULL)
    return FALSE;
  return do_quit (f, error);
}

static void
test_empty_line_everywhere (Fixture *f, gconstpointer data)
{
  static const gchar *const empties[] = { "\r\n", "\n" };
  guint n_lines = 0, n_failed = 0, n_ok = 0;

  for (gsize a = 0; a < G_N_ELEMENTS (session_answers); a++)
    n_lines += g_strv_length ((gchar **) session_answers[a].lines);
  /* position n_lines: after the last answer */
  for (gsize e = 0; e < G_N_ELEMENTS (empties); e++)
    for (guint at = 0; at <= n_lines; at++)
      {
        g_autoptr(GError) error = NULL;
        guint line_no = 0;

        g_clear_object (&f->server);
        f->server = popbell_fake_server_new ();
        for (gsize a = 0; a < G_N_ELEMENTS (session_answers); a++)
          {
            g_autoptr(GString) answer = g_string_new (NULL);

            for (const gchar *const *l = session_answers[a].lines; *l != NULL; l++, line_no++)
              {
                if (line_no == at)
                  g_string_append (answer, empties[e]);
                g_string_append_printf (answer, "%s\r\n", *l);
              }
            if (a == G_N_ELEMENTS (session_answers) - 1 && at == n_lines)
              g_string_append (answer, empties[e]);
            if (session_answers[a].command == NULL)
              popbell_fake_server_send (f->server, answer->str);
            else
              popbell_fake_server_expect (f->server, session_answers[a].command, answer->str);
          }
        popbell_fake_server_close (f->server);

        g_test_message ("empty line %s before answer line %u", e == 0 ? "CRLF" : "LF", at);
        if (run_scripted_session (f, &error))
          {
            n_ok++;
            continue;
          }
        /* Anything the client reports is a clean error of the session. */
        g_assert_nonnull (error);
        g_assert_true (error->domain == POPBELL_POP3_ERROR || error->domain == G_IO_ERROR);
        g_assert_false (popbell_pop3_client_is_connected (f->client));
        n_failed++;
      }
  /* Empty lines inside CAPA and TOP are data; elsewhere they break the
   * protocol. Both kinds happened. */
  g_assert_cmpuint (n_ok, >, 0);
  g_assert_cmpuint (n_failed, >, 0);
  g_assert_cmpuint (n_ok + n_failed, ==, 2 * (n_lines + 1));
}

typedef struct {
  const gchar *name;
  const gchar *answer;   /* answer to UIDL (or STAT when stat is set) */
  gboolean     stat;
  gint         domain_is_io;
  gint         code;
} BrokenCase;

static void
test_broken_answers (Fixture *f, gconstpointer data)
{
  g_autofree gchar *xs = g_strnfill (9000, 'x');
  g_autofree gchar *long_status = g_strdup_printf ("+OK %.600s\r\n", xs);
  g_autofree gchar *long_line = g_strdup_printf ("+OK\r\n1 %s\r\n.\r\n", xs);
  g_autofree gchar *long_uid = g_strdup_printf ("+OK\r\n1 %.256s\r\n.\r\n", xs);
  const BrokenCase cases[] = {
    { "long status", long_status, TRUE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "stat letters", "+OK abc def\r\n", TRUE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "stat negative", "+OK -1 5\r\n", TRUE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "stat overflow", "+OK 99999999999999999999999 1\r\n", TRUE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "stat count overflow", "+OK 4294967296 1\r\n", TRUE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "stat missing size", "+OK 3\r\n", TRUE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "garbage status", "hello\r\n", TRUE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "long data line", long_line, FALSE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "uid too long", long_uid, FALSE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "uid control char", "+OK\r\n1 ab\x01""c\r\n.\r\n", FALSE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "uid with space", "+OK\r\n1 ab c\r\n.\r\n", FALSE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "index zero", "+OK\r\n0 abc\r\n.\r\n", FALSE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "index overflow", "+OK\r\n99999999999999999999 abc\r\n.\r\n", FALSE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "out of order", "+OK\r\n2 abc\r\n1 def\r\n.\r\n", FALSE, FALSE, POPBELL_POP3_ERROR_PROTOCOL },
    { "cut short", "+OK\r\n1 abc\r\n", FALSE, TRUE, G_IO_ERROR_CONNECTION_CLOSED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("case: %s", cases[i].name);
      g_clear_object (&f->server);
      f->server = popbell_fake_server_new ();
      script_logged_in (f->server, FALSE);
      popbell_fake_server_expect (f->server, cases[i].stat ? "STAT" : "UIDL", cases[i].answer);
      if (g_str_equal (cases[i].name, "cut short"))
        popbell_fake_server_close (f->server);
      else
        popbell_fake_server_stall (f->server);
      connect_and_login (f);
      if (cases[i].stat)
        {
          guint count;
          guint64 size;
          g_assert_false (do_stat (f, &count, &size, &error));
        }
      else
        {
          g_autoptr(GPtrArray) uidl = do_uidl (f, &error);
          g_assert_null (uidl);
        }
      g_assert_error (error, (GQuark) (cases[i].domain_is_io ? G_IO_ERROR : POPBELL_POP3_ERROR), cases[i].code);
      /* Any protocol failure ends the session. */
      g_assert_false (popbell_pop3_client_is_connected (f->client));
    }
}

/* Sizes up to 2^64 - 1 and counts up to 2^32 - 1 keep their value (no
 * sign, no g_task_return_int() truncation). */
static void
test_big_numbers (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(PopbellPop3ListEntry) one = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  guint count = 0;
  guint64 size = 0;

  script_logged_in (f->server, FALSE);
  popbell_fake_server_expect (f->server, "STAT", "+OK 4294967295 18446744073709551615\r\n");
  popbell_fake_server_expect (f->server, "LIST", "+OK\r\n1 9223372036854775808\r\n"
                              "2 18446744073709551615\r\n.\r\n");
  popbell_fake_server_expect (f->server, "LIST 2", "+OK 2 18446744073709551615\r\n");
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  g_assert_true (do_stat (f, &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, G_MAXUINT32);
  g_assert_cmpuint (size, ==, G_MAXUINT64);
  list = do_list (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((PopbellPop3ListEntry *) list->pdata[0])->size, ==, G_GUINT64_CONSTANT (1) << 63);
  g_assert_cmpuint (((PopbellPop3ListEntry *) list->pdata[1])->size, ==, G_MAXUINT64);
  popbell_pop3_client_list_one_async (f->client, 2, NULL, store_result, &result);
  one = popbell_pop3_client_list_one_finish (f->client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (one->size, ==, G_MAXUINT64);
}

/* UIDs outside RFC 1939's alphabet and length, as real servers send them:
 * accepted up to the cap (stored form printable ASCII). */
static void
test_uid_lenient (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  g_autofree gchar *long_uid = g_strnfill (200, 'u');
  g_autofree gchar *answer = g_strdup_printf ("+OK\r\n1 ok\r\n2 caf\xe9\r\n3 %s\r\n.\r\n",
                                              long_uid);

  script_logged_in (f->server, FALSE);
  popbell_fake_server_expect (f->server, "UIDL", answer);
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  uidl = do_uidl (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, 3);
  g_assert_cmpstr (((PopbellPop3ListEntry *) uidl->pdata[1])->uid, ==, "caf%E9");
  g_assert_cmpstr (((PopbellPop3ListEntry *) uidl->pdata[2])->uid, ==, long_uid);
  g_assert_true (popbell_pop3_client_is_connected (f->client));
}

/* A listing that never ends is cut at POPBELL_POP3_MAX_MESSAGES entries. */
static void
test_endless_listing (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;

  script_logged_in (f->server, FALSE);
  popbell_fake_server_expect (f->server, "LIST", "+OK\r\n");
  popbell_fake_server_flood (f->server, "%u 100");
  connect_and_login (f);
  list = do_list (f, &error);
  g_assert_null (list);
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "more than"));
}

/* A message that never ends: TOP is capped, then the connection dropped. */
static void
test_endless_message (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) top = NULL;

  script_logged_in (f->server, FALSE);
  popbell_fake_server_expect (f->server, "TOP 1 0", "+OK\r\n");
  popbell_fake_server_flood (f->server, "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  connect_and_login (f);
  popbell_pop3_client_top_async (f->client, 1, 0, NULL, store_result, &result);
  top = popbell_pop3_client_top_finish (f->client, wait_for (&result), &error);
  g_assert_null (top);
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
  g_assert_false (popbell_pop3_client_is_connected (f->client));
}

/* RETR over the cap: TOO_LARGE, the rest is drained, the session goes on. */
static void
test_retr_too_large (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) msg = NULL;
  g_autoptr(GString) big = g_string_new ("Subject: big\n\n");
  guint count;
  guint64 size;

  for (guint i = 0; i < 300; i++)
    g_string_append (big, "0123456789 0123456789 0123456789 0123456789\n");
  g_clear_object (&f->server);
  f->server = popbell_fake_server_new_mailbox ("alice", "secret");
  popbell_fake_server_add_message (f->server, "big", big->str);
  connect_and_login (f);
  popbell_pop3_client_retr_async (f->client, 1, 1000, NULL, store_result, &result);
  msg = popbell_pop3_client_retr_finish (f->client, wait_for (&result), &error);
  g_assert_null (msg);
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_assert_true (do_stat (f, &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 1);
  g_clear_object (&result);
  popbell_pop3_client_retr_async (f->client, 1, 1 << 20, NULL, store_result, &result);
  msg = popbell_pop3_client_retr_finish (f->client, wait_for (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (msg), ==, size);
}

/* A server that stops answering: the wait times out. */
static void
test_stall_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  gint64 start;

  popbell_fake_server_stall (f->server);   /* not even a greeting */
  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_timeout (f->client, 1);
  start = g_get_monotonic_time ();
  g_assert_false (do_connect (f, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
}

/* The whole session is bounded too, however lively the server. */
static void
test_session_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint count;
  guint64 size;

  script_logged_in (f->server, FALSE);
  popbell_fake_server_stall (f->server);
  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  popbell_pop3_client_set_timeout (f->client, 30);
  popbell_pop3_client_set_session_timeout (f->client, 1);
  g_assert_true (do_connect (f, &error));
  g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_false (do_stat (f, &count, &size, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT);
}

/* --- pipelining -------------------------------------------------------------------- */

static void
run_pipelined_batch (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  g_autoptr(GBytes) top = NULL;
  guint count;
  guint64 size;

  popbell_pop3_client_stat_async (f->client, NULL, store_result, &r1);
  popbell_pop3_client_uidl_async (f->client, NULL, store_result, &r2);
  popbell_pop3_client_top_async (f->client, 2, 0, NULL, store_result, &r3);
  popbell_pop3_client_quit_async (f->client, NULL, store_result, &r4);
  g_assert_true (popbell_pop3_client_stat_finish (f->client, wait_for (&r1), &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 2);
  uidl = popbell_pop3_client_uidl_finish (f->client, wait_for (&r2), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, 2);
  g_assert_cmpstr (((PopbellPop3ListEntry *) uidl->pdata[1])->uid, ==, "b");
  top = popbell_pop3_client_top_finish (f->client, wait_for (&r3), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (top), ==, 8);
  g_assert_true (popbell_pop3_client_quit_finish (f->client, wait_for (&r4), &error));
  g_assert_no_error (error);
  g_assert_null (popbell_fake_server_get_failure (f->server));
}

static const gchar batch_answers[] =
  "+OK 2 320\r\n"
  "+OK\r\n1 a\r\n2 b\r\n.\r\n"
  "+OK\r\nA: b\r\n\r\n.\r\n"
  "+OK bye\r\n";

/* All commands in one write (the server reads all four before answering:
 * a client waiting for the first answer would stall), all answers in one
 * packet or byte by byte. */
static void
test_pipelined (Fixture *f, gconstpointer data)
{
  gboolean byte_by_byte = GPOINTER_TO_INT (data);

  popbell_fake_server_set_byte_by_byte (f->server, byte_by_byte);
  script_logged_in (f->server, TRUE);
  popbell_fake_server_expect (f->server, "STAT", NULL);
  popbell_fake_server_expect (f->server, "UIDL", NULL);
  popbell_fake_server_expect (f->server, "TOP 2 0", NULL);
  popbell_fake_server_expect (f->server, "QUIT", batch_answers);
  popbell_fake_server_close (f->server);
  connect_and_login (f);
  g_assert_true (popbell_pop3_client_is_pipelining (f->client));
  run_pipelined_batch (f);
  /* The four commands arrived in one read (the counter works). */
  g_assert_cmpuint (popbell_fake_server_get_n_batches (f->server), ==, 1);
}

static void
test_pipelined_byte_by_byte (Fixture *f, gconstpointer data)
{
  test_pipelined (f, GINT_TO_POINTER (TRUE));
}

/* Without PIPELINING (or with it switched off) one command at a time. */
static void
test_not_pipelined (Fixture *f, gconstpointer data)
{
  gboolean advertised = GPOINTER_TO_INT (data);

  script_logged_in (f->server, advertised);
  popbell_fake_server_expect (f->server, "STAT", "+OK 2 320\r\n");
  popbell_fake_server_expect (f->server, "UIDL", "+OK\r\n1 a\r\n2 b\r\n.\r\n");
  popbell_fake_server_expect (f->server, "TOP 2 0", "+OK\r\nA: b\r\n\r\n.\r\n");
  popbell_fake_server_expect (f->server, "QUIT", "+OK bye\r\n");
  popbell_fake_server_close (f->server);
  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  popbell_pop3_client_set_pipelining_enabled (f->client, FALSE);
  {
    g_autoptr(GError) error = NULL;
    g_assert_true (do_connect (f, &error));
    g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_USER, &error));
    g_assert_no_error (error);
  }
  g_assert_false (popbell_pop3_client_is_pipelining (f->client));
  run_pipelined_batch (f);
  /* One at a time: no read of the server ever held two commands, and each
   * came after the answer before it (the script answers on receipt, so a
   * command written early would have arrived with its predecessor). */
  g_assert_cmpuint (popbell_fake_server_get_n_batches (f->server), ==, 0);
  g_assert_cmpuint (popbell_fake_server_get_commands (f->server)->len, ==, 8);
}

static void
test_not_advertised (Fixture *f, gconstpointer data)
{
  test_not_pipelined (f, GINT_TO_POINTER (FALSE));
}

static void
test_pipelining_disabled (Fixture *f, gconstpointer data)
{
  test_not_pipelined (f, GINT_TO_POINTER (TRUE));
}

/* A pipelined batch whose answers stop half way. */
static void
test_pipelined_stall (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  guint count;
  guint64 size;

  script_logged_in (f->server, TRUE);
  popbell_fake_server_expect (f->server, "STAT", NULL);
  popbell_fake_server_expect (f->server, "UIDL", "+OK 2 320\r\n");
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  popbell_pop3_client_set_timeout (f->client, 1);
  popbell_pop3_client_stat_async (f->client, NULL, store_result, &r1);
  popbell_pop3_client_uidl_async (f->client, NULL, store_result, &r2);
  g_assert_true (popbell_pop3_client_stat_finish (f->client, wait_for (&r1), &count, &size, &error));
  g_assert_no_error (error);
  uidl = popbell_pop3_client_uidl_finish (f->client, wait_for (&r2), &error);
  g_assert_null (uidl);
  /* Only one command was outstanding when the wait ran out: a plain
   * timeout. */
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT);
}

static void
test_pipelined_stall_batch (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL;
  guint count;
  guint64 size;

  script_logged_in (f->server, TRUE);
  popbell_fake_server_expect (f->server, "STAT", NULL);
  popbell_fake_server_expect (f->server, "UIDL", NULL);
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  popbell_pop3_client_set_timeout (f->client, 1);
  popbell_pop3_client_stat_async (f->client, NULL, store_result, &r1);
  popbell_pop3_client_uidl_async (f->client, NULL, store_result, &r2);
  g_assert_false (popbell_pop3_client_stat_finish (f->client, wait_for (&r1), &count, &size, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING);
  g_clear_error (&error);
  g_assert_null (popbell_pop3_client_uidl_finish (f->client, wait_for (&r2), &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING);
}

/* Answers out of step: one more than was asked for. */
static void
test_out_of_step (Fixture *f, gconstpointer data)
{
  gboolean pipelining = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL;
  guint count;
  guint64 size;

  script_logged_in (f->server, pipelining);
  if (pipelining)
    {
      popbell_fake_server_expect (f->server, "STAT", NULL);
      popbell_fake_server_expect (f->server, "NOOP", "+OK 2 320\r\n+OK\r\n+OK\r\n");
    }
  else
    {
      popbell_fake_server_expect (f->server, "STAT", "+OK 2 320\r\n+OK\r\n");
    }
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  popbell_pop3_client_stat_async (f->client, NULL, store_result, &r1);
  if (pipelining)
    popbell_pop3_client_noop_async (f->client, NULL, store_result, &r2);
  popbell_pop3_client_stat_finish (f->client, wait_for (&r1), &count, &size, &error);
  if (pipelining)
    {
      g_assert_no_error (error);
      g_assert_false (popbell_pop3_client_noop_finish (f->client, wait_for (&r2), &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING);
    }
  else
    {
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
    }
  g_assert_false (popbell_pop3_client_is_connected (f->client));
}

static void
test_out_of_step_plain (Fixture *f, gconstpointer data)
{
  test_out_of_step (f, GINT_TO_POINTER (FALSE));
}

/* A status line inside a pipelined listing. */
static void
test_pipelined_status_in_listing (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL;
  g_autoptr(GPtrArray) uidl = NULL;

  script_logged_in (f->server, TRUE);
  popbell_fake_server_expect (f->server, "UIDL", NULL);
  popbell_fake_server_expect (f->server, "NOOP", "+OK\r\n1 a\r\n+OK\r\n");
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  popbell_pop3_client_uidl_async (f->client, NULL, store_result, &r1);
  popbell_pop3_client_noop_async (f->client, NULL, store_result, &r2);
  uidl = popbell_pop3_client_uidl_finish (f->client, wait_for (&r1), &error);
  g_assert_null (uidl);
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING);
}

/* The window: at most PIPELINE_MAX_COMMANDS outstanding; the rest follow
 * as answers come in. */
static void
test_pipelined_window (Fixture *f, gconstpointer data)
{
  GAsyncResult *results[40] = { NULL, };
  g_autoptr(GError) error = NULL;

  g_clear_object (&f->server);
  f->server = popbell_fake_server_new_mailbox ("alice", "secret");
  connect_and_login (f);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    popbell_pop3_client_noop_async (f->client, NULL, store_result, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_assert_true (popbell_pop3_client_noop_finish (f->client, wait_for (&results[i]), &error));
      g_assert_no_error (error);
      g_clear_object (&results[i]);
    }
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "NOOP"), ==, 40);
}

/* --- cancel and close ------------------------------------------------------------- */

static void
test_cancel_and_close (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL;
  guint count;
  guint64 size;

  script_logged_in (f->server, FALSE);
  popbell_fake_server_expect (f->server, "STAT", "+OK 1 10\r\n");
  popbell_fake_server_expect (f->server, "NOOP", NULL);
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  popbell_pop3_client_stat_async (f->client, NULL, store_result, &r1);
  popbell_pop3_client_uidl_async (f->client, cancellable, store_result, &r2);
  popbell_pop3_client_noop_async (f->client, NULL, store_result, &r3);
  g_cancellable_cancel (cancellable);
  g_assert_null (popbell_pop3_client_uidl_finish (f->client, wait_for (&r2), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (popbell_pop3_client_stat_finish (f->client, wait_for (&r1), &count, &size, &error));
  g_assert_no_error (error);
  /* NOOP is never answered: close fails it. */
  while (popbell_fake_server_count_commands (f->server, "NOOP") == 0)
    g_main_context_iteration (NULL, TRUE);
  popbell_pop3_client_close (f->client);
  g_assert_false (popbell_pop3_client_noop_finish (f->client, wait_for (&r3), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "UIDL"), ==, 0);
  g_clear_error (&error);
  g_assert_false (do_stat (f, &count, &size, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
}

/* Thousands of operations on one cancellable (a check with many new
 * messages): one cancel answers all of them, the sent one and the queued
 * ones, and the queued ones never go out. */
static void
test_cancel_many (Fixture *f, gconstpointer data)
{
  enum { N = 3000 };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult **slots = g_new0 (GAsyncResult *, N);

  script_logged_in (f->server, FALSE);
  popbell_fake_server_expect (f->server, "NOOP", NULL);   /* never answered */
  popbell_fake_server_stall (f->server);
  connect_and_login (f);
  for (guint i = 0; i < N; i++)
    popbell_pop3_client_noop_async (f->client, cancellable, store_result, &slots[i]);
  while (popbell_fake_server_count_commands (f->server, "NOOP") == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  for (guint i = 0; i < N; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (popbell_pop3_client_noop_finish (f->client, wait_for (&slots[i]), &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_clear_object (&slots[i]);
    }
  g_free (slots);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "NOOP"), ==, 1);
  /* The connection stays (the sent NOOP's answer would be dropped). */
  g_assert_true (popbell_pop3_client_is_connected (f->client));
}

/* --- TLS: STLS and certificates ------------------------------------------------------ */

static gchar *
write_ca_file (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gchar *path;

  f->tmpdir = g_dir_make_tmp ("popbell-pop3-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->tmpdir, "ca.pem", NULL);
  g_file_set_contents (path, popbell_fake_server_get_certificate_pem (f->server), -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_stls (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *ca = write_ca_file (f);

  script_hello (f->server, "+OK hi <1.2@x>\r\n", "+OK\r\nSTLS\r\nUSER\r\n.\r\n");
  popbell_fake_server_expect (f->server, "STLS", "+OK Begin TLS negotiation\r\n");
  popbell_fake_server_start_tls (f->server);
  popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n");
  popbell_fake_server_expect (f->server, "AUTH PLAIN *", "+OK\r\n");
  popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
  popbell_fake_server_expect (f->server, "QUIT", "+OK\r\n");

  new_client (f, POPBELL_POP3_SECURITY_STARTTLS);
  popbell_pop3_client_set_tls_ca_file (f->client, ca);
  g_assert_true (do_connect (f, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_pop3_client_is_encrypted (f->client));
  g_assert_false (popbell_pop3_client_has_capability (f->client, "STLS"));
  g_assert_true (popbell_pop3_client_has_capability (f->client, "SASL"));
  g_assert_cmpstr (popbell_pop3_client_get_peer_certificate_sha256 (f->client), ==,
                   popbell_fake_server_get_certificate_sha256 (f->server));
  /* Encrypted: the password may go, and AUTO prefers SASL PLAIN over APOP. */
  g_assert_true (do_login (f, "alice", "secret", POPBELL_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_true (do_quit (f, &error));
  g_assert_no_error (error);
  g_assert_null (popbell_fake_server_get_failure (f->server));
}

static void
test_stls_unavailable (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  /* Not offered. */
  script_hello (f->server, "+OK hi\r\n", "+OK\r\nUSER\r\n.\r\n");
  popbell_fake_server_stall (f->server);
  /* Offered, then refused. */
  popbell_fake_server_next_connection (f->server);
  script_hello (f->server, "+OK hi\r\n", "+OK\r\nSTLS\r\nUSER\r\n.\r\n");
  popbell_fake_server_expect (f->server, "STLS", "-ERR [SYS/TEMP] not now\r\n");
  popbell_fake_server_stall (f->server);
  /* An RFC 1939 server without CAPA. */
  popbell_fake_server_next_connection (f->server);
  script_hello (f->server, "+OK hi\r\n", "-ERR what\r\n");
  popbell_fake_server_stall (f->server);

  for (guint i = 0; i < 3; i++)
    {
      new_client (f, POPBELL_POP3_SECURITY_STARTTLS);
      g_assert_false (do_connect (f, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_UNAVAILABLE);
      g_clear_error (&error);
      g_assert_false (popbell_pop3_client_is_connected (f->client));
    }
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "USER*"), ==, 0);
  g_assert_null (popbell_fake_server_get_failure (f->server));
}

/* --- writing ahead on remembered capabilities (issue 9) ------------------------------ */

typedef enum { AHEAD_UNCHANGED, AHEAD_LOGIN_REFUSED, AHEAD_STARTTLS, AHEAD_NO_PIPELINING } Ahead;

static const gchar *const remembered_capa[] = { "USER", "SASL PLAIN", "PIPELINING", "UIDL", NULL };

/* connect, login (AUTH PLAIN), STAT and UIDL n queued at once: after the
 * greeting one write carries CAPA, AUTH, CAPA, STAT and UIDL n. */
static void
test_write_ahead (Fixture *f, gconstpointer data)
{
  Ahead mode = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r_connect = NULL, r_login = NULL, r_stat = NULL, r_uidl = NULL;
  g_autoptr(PopbellPop3ListEntry) last = NULL;
  g_autofree gchar *ca = write_ca_file (f);
  const gchar *auth = "AUTH PLAIN AGFsaWNlAHNlY3JldA==";
  guint count = 0;
  guint64 size = 0;
  gboolean ok;

  if (mode == AHEAD_STARTTLS)
    {
      /* STLS first, always: nothing is written ahead of it. */
      script_hello (f->server, "+OK hi\r\n", "+OK\r\nSTLS\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n");
      popbell_fake_server_expect (f->server, "STLS", "+OK go\r\n");
      popbell_fake_server_start_tls (f->server);
    }
  else
    popbell_fake_server_send (f->server, "+OK hi\r\n");
  popbell_fake_server_expect (f->server, "CAPA", NULL);
  popbell_fake_server_expect (f->server, auth, NULL);
  popbell_fake_server_expect (f->server, "CAPA", NULL);
  popbell_fake_server_expect (f->server, "STAT", NULL);
  if (mode == AHEAD_LOGIN_REFUSED)
    {
      popbell_fake_server_expect (f->server, "UIDL 3",
                                  "+OK\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n"
                                  "-ERR [AUTH] no\r\n"
                                  "+OK\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n"
                                  "-ERR not logged in\r\n-ERR not logged in\r\n");
      /* The operations written ahead are not written again after the
       * failed login: not logged in, they fail without a word to the
       * server (which counts bad commands). */
    }
  else
    popbell_fake_server_expect (f->server, "UIDL 3",
                                mode == AHEAD_NO_PIPELINING
                                ? "+OK\r\nSASL PLAIN\r\n.\r\n+OK\r\n+OK\r\nUIDL\r\n.\r\n"
                                  "+OK 3 300\r\n+OK 3 u3\r\n"
                                : "+OK\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n+OK\r\n"
                                  "+OK\r\nUIDL\r\nPIPELINING\r\n.\r\n+OK 3 300\r\n+OK 3 u3\r\n");
  popbell_fake_server_expect (f->server, "QUIT", "+OK\r\n");

  new_client (f, mode == AHEAD_STARTTLS ? POPBELL_POP3_SECURITY_STARTTLS : POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_tls_ca_file (f->client, ca);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  popbell_pop3_client_set_remembered_capabilities (f->client, remembered_capa);
  popbell_pop3_client_connect_async (f->client, NULL, store_result, &r_connect);
  popbell_pop3_client_login_async (f->client, "alice", "secret", POPBELL_POP3_AUTH_SASL_PLAIN,
                                   NULL, store_result, &r_login);
  popbell_pop3_client_stat_async (f->client, NULL, store_result, &r_stat);
  popbell_pop3_client_uidl_one_async (f->client, 3, NULL, store_result, &r_uidl);

  g_assert_true (popbell_pop3_client_connect_finish (f->client, wait_for (&r_connect), &error));
  g_assert_no_error (error);
  ok = popbell_pop3_client_login_finish (f->client, wait_for (&r_login), &error);
  if (mode == AHEAD_LOGIN_REFUSED)
    {
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
      g_clear_error (&error);
      g_assert_false (popbell_pop3_client_stat_finish (f->client, wait_for (&r_stat), &count, &size, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED);
      g_clear_error (&error);
      last = popbell_pop3_client_uidl_one_finish (f->client, wait_for (&r_uidl), &error);
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED);
      g_clear_error (&error);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_true (popbell_pop3_client_stat_finish (f->client, wait_for (&r_stat), &count, &size, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (count, ==, 3);
      last = popbell_pop3_client_uidl_one_finish (f->client, wait_for (&r_uidl), &error);
      g_assert_no_error (error);
      g_assert_cmpstr (last->uid, ==, "u3");
      g_assert_true (popbell_pop3_client_has_capability (f->client, "UIDL"));
    }
  g_assert_cmpint (popbell_pop3_client_get_remembered_contradicted (f->client), ==,
                   mode == AHEAD_NO_PIPELINING);
  g_assert_true (do_quit (f, &error));
  g_assert_no_error (error);
  g_assert_null (popbell_fake_server_get_failure (f->server));
  g_assert_true (popbell_fake_server_script_done (f->server));
  /* The turns: CAPA..UIDL 3 in one write, then QUIT (STARTTLS: CAPA and
   * STLS before). */
  switch (mode)
    {
    case AHEAD_UNCHANGED:
    case AHEAD_NO_PIPELINING:
    case AHEAD_LOGIN_REFUSED:
      g_assert_cmpuint (popbell_fake_server_get_n_reads (f->server), ==, 2);
      break;
    case AHEAD_STARTTLS:
    default:
      g_assert_cmpuint (popbell_fake_server_get_n_reads (f->server), ==, 4);
      break;
    }
}

typedef enum { AHEAD_USER_PASS, AHEAD_USER_REFUSED, AHEAD_PLAIN_GONE } AheadLogin;

/* Logins written ahead other than AUTH PLAIN: USER and PASS in one write
 * (the bench's and many servers' method), a refused USER (the failure is
 * USER's, reported once, the account not logged in), and a remembered
 * SASL PLAIN that this session's CAPA no longer offers: auth=auto goes on
 * with USER/PASS in the same session instead of calling the password
 * wrong (which would hold the account). */
static void
test_write_ahead_login (Fixture *f, gconstpointer data)
{
  AheadLogin mode = GPOINTER_TO_INT (data);
  static const gchar *const remembered_user[] = { "USER", "PIPELINING", "UIDL", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r_connect = NULL, r_login = NULL, r_stat = NULL;
  guint count = 0;
  guint64 size = 0;

  popbell_fake_server_send (f->server, "+OK hi\r\n");
  popbell_fake_server_expect (f->server, "CAPA", NULL);
  if (mode == AHEAD_PLAIN_GONE)
    {
      popbell_fake_server_expect (f->server, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", NULL);
      popbell_fake_server_expect (f->server, "CAPA", NULL);
      popbell_fake_server_expect (f->server, "STAT",
                                  "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n"
                                  "-ERR Unsupported authentication mechanism\r\n"
                                  "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n"
                                  "-ERR not logged in\r\n");
    }
  popbell_fake_server_expect (f->server, "USER alice", NULL);
  popbell_fake_server_expect (f->server, "PASS secret", NULL);
  popbell_fake_server_expect (f->server, "CAPA", NULL);
  popbell_fake_server_expect (f->server, "STAT",
                              mode == AHEAD_USER_REFUSED
                              ? "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n-ERR [AUTH] who?\r\n"
                                "-ERR no USER\r\n+OK\r\nUSER\r\nPIPELINING\r\n.\r\n"
                                "-ERR not logged in\r\n"
                              : mode == AHEAD_USER_PASS
                              ? "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n+OK\r\n+OK in\r\n"
                                "+OK\r\nUIDL\r\nPIPELINING\r\n.\r\n+OK 3 300\r\n"
                              : "+OK\r\n+OK in\r\n+OK\r\nUIDL\r\nPIPELINING\r\n.\r\n"
                                "+OK 3 300\r\n");
  popbell_fake_server_expect (f->server, "QUIT", "+OK\r\n");

  new_client (f, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  popbell_pop3_client_set_remembered_capabilities (f->client, mode == AHEAD_PLAIN_GONE
                                                              ? remembered_capa : remembered_user);
  popbell_pop3_client_connect_async (f->client, NULL, store_result, &r_connect);
  popbell_pop3_client_login_async (f->client, "alice", "secret",
                                   mode == AHEAD_PLAIN_GONE ? POPBELL_POP3_AUTH_AUTO
                                                            : POPBELL_POP3_AUTH_USER,
                                   NULL, store_result, &r_login);
  popbell_pop3_client_stat_async (f->client, NULL, store_result, &r_stat);

  g_assert_true (popbell_pop3_client_connect_finish (f->client, wait_for (&r_connect), &error));
  g_assert_no_error (error);
  if (mode == AHEAD_USER_REFUSED)
    {
      g_assert_false (popbell_pop3_client_login_finish (f->client, wait_for (&r_login), &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
      g_assert_nonnull (strstr (error->message, "who?"));
      g_clear_error (&error);
      g_assert_false (popbell_pop3_client_stat_finish (f->client, wait_for (&r_stat), &count, &size, &error));
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED);
      g_clear_error (&error);
    }
  else
    {
      g_assert_true (popbell_pop3_client_login_finish (f->client, wait_for (&r_login), &error));
      g_assert_no_error (error);
      g_assert_cmpint (popbell_pop3_client_get_auth_method_used (f->client), ==,
                       POPBELL_POP3_AUTH_USER);
      g_assert_true (popbell_pop3_client_stat_finish (f->client, wait_for (&r_stat), &count, &size, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (count, ==, 3);
    }
  g_assert_true (do_quit (f, &error));
  g_assert_no_error (error);
  g_assert_null (popbell_fake_server_get_failure (f->server));
  g_assert_true (popbell_fake_server_script_done (f->server));
  /* CAPA..STAT in one write, then QUIT. SASL PLAIN gone: a second write
   * for USER/PASS (with CAPA and STAT again). */
  g_assert_cmpuint (popbell_fake_server_get_n_reads (f->server), ==,
                    mode == AHEAD_PLAIN_GONE ? 3 : 2);
}

/* --- "cannot reach the server": which ---------------------------------------------- */

/* TLS on a plain-text port, and plain text expected from a TLS port. */
typedef enum { MISMATCH_TLS_TO_PLAIN, MISMATCH_TLS_GREETING, MISMATCH_TLS_ALERT_NO_LF } Mismatch;

static void
test_tls_mismatch (Fixture *f, gconstpointer data)
{
  Mismatch mode = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  static const guint8 record[] = { 0x16, 0x03, 0x03, 0x00, 0x2a, 0x02, 0x00, '\r', '\n' };
  static const guint8 alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };

  switch (mode)
    {
    case MISMATCH_TLS_TO_PLAIN:
      popbell_fake_server_send (f->server, "+OK plain text here\r\n");
      break;
    case MISMATCH_TLS_GREETING:
      popbell_fake_server_send_bytes (f->server, record, sizeof record);
      break;
    case MISMATCH_TLS_ALERT_NO_LF:
    default:
      popbell_fake_server_send_bytes (f->server, alert, sizeof alert);
      break;
    }
  popbell_fake_server_stall (f->server);
  new_client (f, mode == MISMATCH_TLS_TO_PLAIN ? POPBELL_POP3_SECURITY_TLS
                                               : POPBELL_POP3_SECURITY_STARTTLS);
  popbell_pop3_client_set_timeout (f->client, mode == MISMATCH_TLS_ALERT_NO_LF ? 1 : 5);
  g_assert_false (do_connect (f, &error));
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_MISMATCH);
  /* Plain text expected: nothing was sent to the TLS server. */
  if (mode != MISMATCH_TLS_TO_PLAIN)
    g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "*"), ==, 0);
}

typedef enum { UNREACHABLE_REFUSED, UNREACHABLE_NO_HOST, UNREACHABLE_TIMEOUT } Unreachable;

static void
test_unreachable (Fixture *f, gconstpointer data)
{
  Unreachable mode = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocket) filler = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  guint16 port;

  /* A port of our own: closed (refused), or listening with a full accept
   * queue that drops further SYNs (the connect never completes). */
  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (listener, any, FALSE, &error));
  bound = g_socket_get_local_address (listener, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  if (mode == UNREACHABLE_REFUSED)
    g_socket_close (listener, NULL);
  else if (mode == UNREACHABLE_TIMEOUT)
    {
      g_socket_set_listen_backlog (listener, 0);
      g_assert_true (g_socket_listen (listener, &error));
      filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
      g_assert_true (g_socket_connect (filler, bound, NULL, &error));
      g_assert_no_error (error);
    }

  g_clear_object (&f->client);
  f->client = popbell_pop3_client_new (mode == UNREACHABLE_NO_HOST ? "no-such-host.invalid"
                                                                    : "127.0.0.1",
                                       port, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_timeout (f->client, mode == UNREACHABLE_TIMEOUT ? 1 : 20);
  g_assert_false (do_connect (f, &error));
  switch (mode)
    {
    case UNREACHABLE_REFUSED:
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
      break;
    case UNREACHABLE_NO_HOST:
      g_assert_true (error->domain == G_RESOLVER_ERROR);
      g_assert_nonnull (strstr (error->message, "no-such-host.invalid"));
      break;
    case UNREACHABLE_TIMEOUT:
    default:
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT);
      g_assert_nonnull (strstr (error->message, "Could not connect"));
      break;
    }
}

/* --- OAuth 2.0 ----------------------------------------------------------------- */

typedef enum {
  OAUTH_BEARER,        /* OAUTHBEARER offered (with XOAUTH2): initial response */
  OAUTH_XOAUTH2,       /* only XOAUTH2 */
  OAUTH_LONG_TOKEN,    /* too long for an initial response: after "+ " */
  OAUTH_REFUSED,       /* the JSON error step */
  OAUTH_NONE_OFFERED,
  OAUTH_NO_TLS,
} OAuthCase;

#define OAUTH_TOKEN "ya29.a0AfB_byC-token_value.1234567890"

static gchar *
b64_of (const gchar *raw)
{
  return g_base64_encode ((const guchar *) raw, strlen (raw));
}

static void
test_oauth2 (Fixture *f, gconstpointer data)
{
  OAuthCase mode = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *ca = write_ca_file (f);
  g_autofree gchar *long_token = g_strnfill (400, 'T');
  const gchar *token = mode == OAUTH_LONG_TOKEN ? long_token : OAUTH_TOKEN;
  guint16 port = popbell_fake_server_get_port (f->server);
  g_autofree gchar *bearer_raw = g_strdup_printf ("n,a=al=ice@example.com,\001host=127.0.0.1\001"
                                                  "port=%u\001auth=Bearer %s\001\001", port, token);
  g_autofree gchar *xoauth_raw = g_strdup_printf ("user=al=ice@example.com\001auth=Bearer %s\001\001",
                                                  token);
  g_autofree gchar *bearer_raw_escaped = NULL;
  g_autofree gchar *bearer_b64 = NULL;
  g_autofree gchar *xoauth_b64 = b64_of (xoauth_raw);
  g_autofree gchar *expect = NULL;
  g_autofree gchar *challenge = b64_of ("{\"status\":\"invalid_token\",\"scope\":\"mail\"}");
  g_autofree gchar *challenge_line = g_strdup_printf ("+ %s\r\n", challenge);
  const gchar *capa = mode == OAUTH_XOAUTH2 || mode == OAUTH_LONG_TOKEN
                      ? "+OK\r\nUSER\r\nSASL PLAIN XOAUTH2\r\n.\r\n"
                      : mode == OAUTH_NONE_OFFERED ? "+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n"
                      : "+OK\r\nSASL PLAIN OAUTHBEARER XOAUTH2\r\n.\r\n";
  gboolean ok;

  /* RFC 5801: '=' in the user name is sent as "=3D" in the GS2 header. */
  {
    g_auto(GStrv) parts = g_strsplit (bearer_raw, "a=al=ice", 2);
    bearer_raw_escaped = g_strjoin ("a=al=3Dice", parts[0], parts[1], NULL);
    bearer_b64 = b64_of (bearer_raw_escaped);
  }
  if (mode != OAUTH_NO_TLS)
    popbell_fake_server_start_tls (f->server);
  popbell_fake_server_send (f->server, "+OK ready <1.2@x>\r\n");
  popbell_fake_server_expect (f->server, "CAPA", capa);
  switch (mode)
    {
    case OAUTH_BEARER:
      expect = g_strdup_printf ("AUTH OAUTHBEARER %s", bearer_b64);
      popbell_fake_server_expect (f->server, expect, "+OK welcome\r\n");
      popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
      break;
    case OAUTH_XOAUTH2:
      expect = g_strdup_printf ("AUTH XOAUTH2 %s", xoauth_b64);
      popbell_fake_server_expect (f->server, expect, "+OK welcome\r\n");
      popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
      break;
    case OAUTH_LONG_TOKEN:
      popbell_fake_server_expect (f->server, "AUTH XOAUTH2", "+ \r\n");
      popbell_fake_server_expect (f->server, xoauth_b64, "+OK welcome\r\n");
      popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
      break;
    case OAUTH_REFUSED:
      expect = g_strdup_printf ("AUTH OAUTHBEARER %s", bearer_b64);
      popbell_fake_server_expect (f->server, expect, challenge_line);
      popbell_fake_server_expect (f->server, "AQ==", "-ERR [AUTH] Authentication failed.\r\n");
      break;
    case OAUTH_NONE_OFFERED:
    case OAUTH_NO_TLS:
    default:
      break;
    }
  popbell_fake_server_expect (f->server, "QUIT", "+OK\r\n");

  new_client (f, mode == OAUTH_NO_TLS ? POPBELL_POP3_SECURITY_NONE : POPBELL_POP3_SECURITY_TLS);
  popbell_pop3_client_set_tls_ca_file (f->client, ca);
  /* Not even allow-insecure-auth lets a token go in clear. */
  popbell_pop3_client_set_allow_insecure_auth (f->client, TRUE);
  g_assert_true (do_connect (f, &error));
  g_assert_no_error (error);
  captured_log = g_string_new (NULL);
  ok = do_login (f, "al=ice@example.com", token, POPBELL_POP3_AUTH_OAUTH2, &error);
  switch (mode)
    {
    case OAUTH_BEARER:
    case OAUTH_XOAUTH2:
    case OAUTH_LONG_TOKEN:
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (popbell_pop3_client_get_auth_method_used (f->client), ==, POPBELL_POP3_AUTH_OAUTH2);
      break;
    case OAUTH_REFUSED:
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH);
      g_assert_cmpstr (popbell_pop3_error_get_oauth2_status (error), ==, "invalid_token");
      break;
    case OAUTH_NONE_OFFERED:
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_OAUTH2_UNAVAILABLE);
      break;
    case OAUTH_NO_TLS:
    default:
      g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE);
      break;
    }
  g_clear_error (&error);
  g_assert_true (do_quit (f, &error));
  g_assert_no_error (error);
  /* The token is in no trace line, raw or encoded. */
  g_assert_null (strstr (captured_log->str, token));
  g_assert_null (strstr (captured_log->str, bearer_b64));
  g_assert_null (strstr (captured_log->str, xoauth_b64));
  g_string_free (g_steal_pointer (&captured_log), TRUE);
  if (mode == OAUTH_NONE_OFFERED || mode == OAUTH_NO_TLS)
    g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "AUTH*"), ==, 0);
  g_assert_null (popbell_fake_server_get_failure (f->server));
  g_assert_true (popbell_fake_server_script_done (f->server));
}

typedef enum {
  TRUST_NONE, TRUST_CA, TRUST_PIN, TRUST_PIN_PLAIN, TRUST_WRONG_PIN, TRUST_BAD_CA, TRUST_CA_WRONG_HOST,
} Trust;

static void
test_implicit_tls (Fixture *f, gconstpointer data)
{
  Trust trust = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *ca = write_ca_file (f);
  const gchar *sha = popbell_fake_server_get_certificate_sha256 (f->server);
  gboolean ok = trust == TRUST_CA || trust == TRUST_PIN || trust == TRUST_PIN_PLAIN;

  popbell_fake_server_start_tls (f->server);
  popbell_fake_server_send (f->server, "+OK secure hello\r\n");
  popbell_fake_server_expect (f->server, "CAPA", "+OK\r\nUSER\r\n.\r\n");
  popbell_fake_server_stall (f->server);

  new_client (f, POPBELL_POP3_SECURITY_TLS);
  switch (trust)
    {
    case TRUST_CA:
      popbell_pop3_client_set_tls_ca_file (f->client, ca);
      break;
    case TRUST_CA_WRONG_HOST:
      /* The CA vouches for the certificate, but it is made out to
       * localhost and 127.0.0.1, and the client asks for 127.0.0.2. */
      popbell_fake_server_listen_also (f->server, "127.0.0.2");
      g_clear_object (&f->client);
      f->client = popbell_pop3_client_new ("127.0.0.2", popbell_fake_server_get_port (f->server),
                                           POPBELL_POP3_SECURITY_TLS);
      popbell_pop3_client_set_timeout (f->client, 5);
      popbell_pop3_client_set_tls_ca_file (f->client, ca);
      break;
    case TRUST_PIN:
      popbell_pop3_client_set_pinned_sha256 (f->client, sha);
      break;
    case TRUST_PIN_PLAIN:
      {
        /* lower case, no colons */
        g_autofree gchar *down = g_ascii_strdown (sha, -1);
        g_auto(GStrv) parts = g_strsplit (down, ":", -1);
        g_autofree gchar *plain = g_strjoinv ("", parts);
        popbell_pop3_client_set_pinned_sha256 (f->client, plain);
      }
      break;
    case TRUST_WRONG_PIN:
      /* Even a CA that vouches for it: a pin means exactly that cert. */
      popbell_pop3_client_set_tls_ca_file (f->client, ca);
      popbell_pop3_client_set_pinned_sha256 (f->client,
        "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
      break;
    case TRUST_BAD_CA:
      {
        g_autofree gchar *missing = g_build_filename (f->tmpdir, "missing.pem", NULL);
        popbell_pop3_client_set_tls_ca_file (f->client, missing);
      }
      break;
    case TRUST_NONE:
    default:
      break;
    }

  if (ok)
    {
      g_assert_true (do_connect (f, &error));
      g_assert_no_error (error);
      g_assert_true (popbell_pop3_client_is_encrypted (f->client));
      g_assert_null (popbell_fake_server_get_failure (f->server));
      return;
    }
  g_assert_false (do_connect (f, &error));
  if (trust == TRUST_BAD_CA)
    {
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "CA file"));
      return;
    }
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE);
  g_assert_nonnull (strstr (error->message, sha));
  g_assert_cmpstr (popbell_pop3_error_get_certificate_sha256 (error), ==, sha);
  if (trust == TRUST_CA_WRONG_HOST)
    g_assert_nonnull (strstr (error->message, "another host"));
  g_assert_cmpstr (popbell_pop3_client_get_peer_certificate_sha256 (f->client), ==, sha);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "*"), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

#define ADD(path, func) g_test_add ("/pop3/client/" path, Fixture, NULL, setup_script, func, teardown)
#define ADD_DATA(path, data, func) \
  g_test_add ("/pop3/client/" path, Fixture, GINT_TO_POINTER (data), setup_script, func, teardown)
  ADD ("full-session", test_full_session);
  ADD ("capa-err", test_capa_err);
  ADD ("capa-limits-kept", test_capa_limits_kept);
  ADD ("greeting-err", test_greeting_err);
  ADD ("login-errors", test_login_errors);
  ADD ("login-methods", test_login_methods);
  ADD ("sasl-continuation", test_sasl_continuation);
  ADD_DATA ("auto/apop-then-user", FALLBACK_USER, test_auto_apop_fallback);
  ADD_DATA ("auto/apop-then-sasl", FALLBACK_SASL, test_auto_apop_fallback);
  ADD_DATA ("auto/apop-no-insecure-fallback", FALLBACK_FORBIDDEN, test_auto_apop_fallback);
  ADD_DATA ("auto/apop-in-use-no-fallback", FALLBACK_IN_USE, test_auto_apop_fallback);
  ADD ("auto/preferred-method", test_preferred_method);
  ADD ("insecure-refused", test_insecure_refused);
  ADD ("trace-masks-password", test_trace_masks_password);
  ADD ("broken-answers", test_broken_answers);
  ADD ("empty-line-everywhere", test_empty_line_everywhere);
  ADD ("uid-lenient", test_uid_lenient);
  ADD ("big-numbers", test_big_numbers);
  ADD ("endless-listing", test_endless_listing);
  ADD ("endless-message", test_endless_message);
  ADD ("retr-too-large", test_retr_too_large);
  ADD ("stall-timeout", test_stall_timeout);
  ADD ("session-timeout", test_session_timeout);
  ADD_DATA ("pipelining/one-packet", FALSE, test_pipelined);
  ADD ("pipelining/byte-by-byte", test_pipelined_byte_by_byte);
  ADD ("pipelining/not-advertised", test_not_advertised);
  ADD ("pipelining/disabled", test_pipelining_disabled);
  ADD ("pipelining/stall-one", test_pipelined_stall);
  ADD ("pipelining/stall-batch", test_pipelined_stall_batch);
  ADD_DATA ("pipelining/out-of-step", TRUE, test_out_of_step);
  ADD ("pipelining/out-of-step-plain", test_out_of_step_plain);
  ADD ("pipelining/status-in-listing", test_pipelined_status_in_listing);
  ADD ("pipelining/window", test_pipelined_window);
  ADD ("cancel-and-close", test_cancel_and_close);
  ADD ("cancel-many", test_cancel_many);
  ADD ("tls/stls", test_stls);
  ADD ("tls/stls-unavailable", test_stls_unavailable);
  ADD_DATA ("tls/untrusted", TRUST_NONE, test_implicit_tls);
  ADD_DATA ("tls/ca-file", TRUST_CA, test_implicit_tls);
  ADD_DATA ("tls/pin", TRUST_PIN, test_implicit_tls);
  ADD_DATA ("tls/pin-plain-hex", TRUST_PIN_PLAIN, test_implicit_tls);
  ADD_DATA ("tls/wrong-pin", TRUST_WRONG_PIN, test_implicit_tls);
  ADD_DATA ("tls/missing-ca-file", TRUST_BAD_CA, test_implicit_tls);
  ADD_DATA ("tls/ca-file-wrong-host", TRUST_CA_WRONG_HOST, test_implicit_tls);
  ADD_DATA ("oauth2/oauthbearer", OAUTH_BEARER, test_oauth2);
  ADD_DATA ("ahead/unchanged", AHEAD_UNCHANGED, test_write_ahead);
  ADD_DATA ("ahead/login-refused", AHEAD_LOGIN_REFUSED, test_write_ahead);
  ADD_DATA ("ahead/starttls-first", AHEAD_STARTTLS, test_write_ahead);
  ADD_DATA ("ahead/no-pipelining-now", AHEAD_NO_PIPELINING, test_write_ahead);
  ADD_DATA ("ahead/user-pass", AHEAD_USER_PASS, test_write_ahead_login);
  ADD_DATA ("ahead/user-refused", AHEAD_USER_REFUSED, test_write_ahead_login);
  ADD_DATA ("ahead/sasl-plain-gone", AHEAD_PLAIN_GONE, test_write_ahead_login);
  ADD_DATA ("reach/tls-to-plain-port", MISMATCH_TLS_TO_PLAIN, test_tls_mismatch);
  ADD_DATA ("reach/tls-greeting", MISMATCH_TLS_GREETING, test_tls_mismatch);
  ADD_DATA ("reach/tls-alert-no-newline", MISMATCH_TLS_ALERT_NO_LF, test_tls_mismatch);
  ADD_DATA ("reach/refused", UNREACHABLE_REFUSED, test_unreachable);
  ADD_DATA ("reach/no-such-host", UNREACHABLE_NO_HOST, test_unreachable);
  ADD_DATA ("reach/connect-timeout", UNREACHABLE_TIMEOUT, test_unreachable);
  ADD_DATA ("oauth2/xoauth2", OAUTH_XOAUTH2, test_oauth2);
  ADD_DATA ("oauth2/long-token-continuation", OAUTH_LONG_TOKEN, test_oauth2);
  ADD_DATA ("oauth2/refused-json-status", OAUTH_REFUSED, test_oauth2);
  ADD_DATA ("oauth2/none-offered", OAUTH_NONE_OFFERED, test_oauth2);
  ADD_DATA ("oauth2/no-tls", OAUTH_NO_TLS, test_oauth2);
#undef ADD
#undef ADD_DATA

  return g_test_run ();
}
