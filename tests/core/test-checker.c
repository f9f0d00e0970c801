/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The checker against the in-process fake POP3 server (mailbox mode, and
 * script mode for broken sessions): new-mail detection, the cheap path,
 * LOGIN-DELAY, holds, failures that must not change the baseline. */
#include "popbell-config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "popbell-checker.h"
#include "popbell-error.h"
#include "popbell-fake-server.h"
#include "popbell-memory-credentials.h"

#define USER "alice"
#define PASSWORD "s3cret-pw"

typedef struct {
  gchar                    *dir;
  PopbellStateStore        *store;
  PopbellMemoryCredentials *credentials;
  PopbellChecker           *checker;
  PopbellFakeServer        *server;
  PopbellAccount           *account;
} Fixture;

static const gchar *MSG_PLAIN =
  "From: Plain Sender <plain@example.org>\n"
  "To: alice@example.org\n"
  "Subject: plain old message\n"
  "Date: Wed, 25 Nov 2026 09:00:00 +0000\n"
  "\n"
  "old body\n";

static const gchar *MSG_UTF8_Q =
  "From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@example.org>\n"
  "To: alice@example.org\n"
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\n"
  "Date: Thu, 26 Nov 2026 10:00:00 +0100\n"
  "\n"
  "Hallo\n";

static const gchar *MSG_LATIN1_B =
  "From: =?ISO-8859-1?B?SvxyZ2VuIFdlad8=?= <jw@example.org>\n"
  "To: alice@example.org\n"
  "Subject: =?ISO-8859-1?B?R3L832UgYXVzIEv2bG4=?=\n"
  "Date: Thu, 26 Nov 2026 11:00:00 +0100\n"
  "\n"
  "Hallo\n";

static const gchar *MSG_FOLDED =
  "From: folded@example.org\n"
  "Subject: a subject that goes on\n"
  "  and on over two lines\n"
  "\n"
  "body\n";

static const gchar *MSG_BROKEN =
  "From: broken@example.org\n"
  "Subject: =?UTF-8?Q?caf=C3?= and =?X-UNKNOWN?B?!!!?= end\n"
  "\n"
  "body\n";

static PopbellAccount *
make_account (guint16 port)
{
  PopbellAccount *account = popbell_account_new ("work");

  popbell_account_set_host (account, "127.0.0.1");
  popbell_account_set_port (account, port);
  popbell_account_set_security (account, POPBELL_POP3_SECURITY_NONE);
  popbell_account_set_allow_insecure_auth (account, TRUE);
  popbell_account_set_username (account, USER);
  popbell_account_set_auth (account, POPBELL_POP3_AUTH_USER);
  popbell_account_set_timeout (account, 5);
  return account;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("popbell-checker-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = popbell_state_store_new (f->dir);
  f->credentials = popbell_memory_credentials_new ();
  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, PASSWORD);
  f->checker = popbell_checker_new (f->store, POPBELL_CREDENTIALS (f->credentials));
  f->server = popbell_fake_server_new_mailbox (USER, PASSWORD);
  f->account = make_account (popbell_fake_server_get_port (f->server));
}

static void
rm_rf (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  /* Whatever a test did: a check never retrieves nor deletes mail. */
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "RETR*"), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "DELE*"), ==, 0);
  g_assert_null (popbell_fake_server_get_failure (f->server));

  g_clear_object (&f->account);
  popbell_fake_server_stop (f->server);
  g_clear_object (&f->server);
  g_clear_object (&f->checker);
  g_clear_object (&f->credentials);
  g_clear_object (&f->store);
  rm_rf (f->dir);
  g_free (f->dir);
}

static void
result_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* One check with a fresh checker (as a new process would do it: every
 * check re-reads the state file). */
static PopbellCheckOutcome *
run_check_flags (Fixture *f, PopbellAccount *account, PopbellSessionFlags flags)
{
  g_autoptr(PopbellStateStore) store = popbell_state_store_new (f->dir);
  g_autoptr(PopbellChecker) checker =
    popbell_checker_new (store, POPBELL_CREDENTIALS (f->credentials));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PopbellCheckOutcome *outcome;

  popbell_checker_check_async (checker, account, flags, NULL, result_ready, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  outcome = popbell_checker_check_finish (checker, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (outcome);
  g_assert_nonnull (outcome->result);
  g_assert_no_error (outcome->save_error);
  return outcome;
}

static PopbellCheckOutcome *
run_check (Fixture *f)
{
  return run_check_flags (f, f->account, POPBELL_SESSION_FLAGS_NONE);
}

static void
assert_ok (PopbellCheckResult *result, gboolean first, guint messages, guint n_new, guint unseen)
{
  if (!popbell_check_result_is_ok (result))
    g_error ("check failed: %s", popbell_check_result_get_error (result)->message);
  g_assert_cmpint (popbell_check_result_is_first_check (result), ==, first);
  g_assert_cmpuint (popbell_check_result_get_messages (result), ==, messages);
  g_assert_cmpuint (popbell_check_result_get_new_count (result), ==, n_new);
  g_assert_cmpuint (popbell_check_result_get_unseen_count (result), ==, unseen);
}

static const gchar *
error_kind (PopbellCheckResult *result)
{
  g_assert_false (popbell_check_result_is_ok (result));
  return popbell_check_result_get_error_kind (result);
}

static PopbellMailSummary *
new_message (PopbellCheckResult *result, guint i)
{
  GPtrArray *messages = popbell_check_result_get_new_messages (result);

  g_assert_cmpuint (i, <, messages->len);
  return messages->pdata[i];
}

/* ------------------------------------------------------------------------ */

static void
test_baseline_then_arrivals (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) first = NULL, second = NULL, third = NULL, fourth = NULL;
  PopbellMailSummary *m;
  g_autofree gchar *date = NULL;

  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_PLAIN);

  /* Baseline: nothing is new, nothing to announce. */
  first = run_check (f);
  assert_ok (first->result, TRUE, 2, 0, 0);
  g_assert_cmpuint (popbell_check_result_get_new_messages (first->result)->len, ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "TOP*"), ==, 0);

  popbell_fake_server_add_message (f->server, "uid-3", MSG_UTF8_Q);
  popbell_fake_server_add_message (f->server, "uid-4", MSG_LATIN1_B);
  second = run_check (f);
  assert_ok (second->result, FALSE, 4, 2, 2);

  m = new_message (second->result, 0);
  g_assert_cmpstr (popbell_mail_summary_get_uid (m), ==, "uid-3");
  g_assert_cmpuint (popbell_mail_summary_get_index (m), ==, 3);
  g_assert_cmpuint (popbell_mail_summary_get_size (m), >, 0);
  g_assert_cmpstr (popbell_mail_summary_get_from (m), ==, "Jürgen Weiß <jw@example.org>");
  g_assert_cmpstr (popbell_mail_summary_get_subject (m), ==, "Grüße aus Köln");
  date = g_date_time_format_iso8601 (popbell_mail_summary_get_date (m));
  g_assert_cmpstr (date, ==, "2026-11-26T10:00:00+01");

  m = new_message (second->result, 1);
  g_assert_cmpstr (popbell_mail_summary_get_uid (m), ==, "uid-4");
  g_assert_cmpstr (popbell_mail_summary_get_from (m), ==, "Jürgen Weiß <jw@example.org>");
  g_assert_cmpstr (popbell_mail_summary_get_subject (m), ==, "Grüße aus Köln");

  popbell_fake_server_add_message (f->server, "uid-5", MSG_FOLDED);
  popbell_fake_server_add_message (f->server, "uid-6", MSG_BROKEN);
  third = run_check (f);
  /* The unseen ones of the previous check are carried over. */
  assert_ok (third->result, FALSE, 6, 2, 4);
  m = new_message (third->result, 0);
  g_assert_cmpstr (popbell_mail_summary_get_subject (m), ==,
                   "a subject that goes on and on over two lines");
  m = new_message (third->result, 1);
  g_assert_true (g_utf8_validate (popbell_mail_summary_get_subject (m), -1, NULL));
  g_assert_nonnull (strstr (popbell_mail_summary_get_subject (m), "end"));

  /* Nothing changed: nothing new, the unseen stay. */
  fourth = run_check (f);
  assert_ok (fourth->result, FALSE, 6, 0, 4);
  g_assert_cmpuint (fourth->state->unseen->len, ==, 4);
  g_assert_cmpstr (((PopbellUnseenEntry *) fourth->state->unseen->pdata[0])->subject, ==,
                   "Grüße aus Köln");
}

static void
test_delete_and_deliver (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) first = NULL, second = NULL;

  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_PLAIN);
  popbell_fake_server_add_message (f->server, "uid-3", MSG_PLAIN);
  first = run_check (f);
  assert_ok (first->result, TRUE, 3, 0, 0);

  g_assert_true (popbell_fake_server_remove_message (f->server, "uid-2"));
  popbell_fake_server_add_message (f->server, "uid-4", MSG_UTF8_Q);
  second = run_check (f);
  /* Same count, one new: new means an unknown UID, not a larger count. */
  assert_ok (second->result, FALSE, 3, 1, 1);
  g_assert_cmpstr (popbell_mail_summary_get_uid (new_message (second->result, 0)), ==, "uid-4");
  g_assert_cmpuint (popbell_mail_summary_get_index (new_message (second->result, 0)), ==, 3);
}

static void
test_unseen_leave_with_deleted (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL, c = NULL;

  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  a = run_check (f);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_UTF8_Q);
  popbell_fake_server_add_message (f->server, "uid-3", MSG_LATIN1_B);
  b = run_check (f);
  assert_ok (b->result, FALSE, 3, 2, 2);
  popbell_fake_server_remove_message (f->server, "uid-2");
  c = run_check (f);
  assert_ok (c->result, FALSE, 2, 0, 1);
  g_assert_cmpstr (((PopbellUnseenEntry *) c->state->unseen->pdata[0])->uid, ==, "uid-3");
}

static guint
count_exact (PopbellFakeServer *server, const gchar *line, guint from)
{
  GPtrArray *commands = popbell_fake_server_get_commands (server);
  guint n = 0;

  for (guint i = from; i < commands->len; i++)
    if (g_strcmp0 (commands->pdata[i], line) == 0)
      n++;
  return n;
}

static void
test_cheap_path (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL, c = NULL, d = NULL;
  guint mark;

  for (guint i = 1; i <= 5; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("uid-%u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_PLAIN);
    }
  a = run_check (f);
  assert_ok (a->result, TRUE, 5, 0, 0);
  g_assert_cmpuint (count_exact (f->server, "UIDL", 0), ==, 1);

  /* Unchanged: STAT and "UIDL 5", no full listing. */
  mark = popbell_fake_server_get_commands (f->server)->len;
  b = run_check (f);
  assert_ok (b->result, FALSE, 5, 0, 0);
  g_assert_cmpuint (count_exact (f->server, "UIDL", mark), ==, 0);
  g_assert_cmpuint (count_exact (f->server, "UIDL 5", mark), ==, 1);
  g_assert_cmpuint (count_exact (f->server, "LIST", mark), ==, 0);

  /* The last message swapped for another of exactly the same size: STAT
   * agrees, the last UID does not → full listing, one new. */
  popbell_fake_server_remove_message (f->server, "uid-5");
  popbell_fake_server_add_message (f->server, "uid-6", MSG_PLAIN);
  mark = popbell_fake_server_get_commands (f->server)->len;
  c = run_check (f);
  assert_ok (c->result, FALSE, 5, 1, 1);
  g_assert_cmpuint (count_exact (f->server, "UIDL 5", mark), ==, 1);
  g_assert_cmpuint (count_exact (f->server, "UIDL", mark), ==, 1);

  /* A changed count: full listing straight away. */
  popbell_fake_server_add_message (f->server, "uid-7", MSG_PLAIN);
  mark = popbell_fake_server_get_commands (f->server)->len;
  d = run_check (f);
  assert_ok (d->result, FALSE, 6, 1, 2);
  g_assert_cmpuint (count_exact (f->server, "UIDL", mark), ==, 1);
  g_assert_cmpuint (count_exact (f->server, "UIDL 6", mark), ==, 0);
}

/* Issue 9: the round trips of a check, counted as the server's reads
 * (client turns). Unchanged, on the capabilities (PIPELINING) remembered
 * from the first check: CAPA, USER, PASS, CAPA, STAT and "UIDL n" in one
 * write after the greeting, then QUIT — with the connect, 3 round trips
 * (it was 6 turns: CAPA; USER; PASS; CAPA; STAT with UIDL n; QUIT). */
static void
test_round_trips (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL, c = NULL, d = NULL;
  guint reads, mark;

  for (guint i = 1; i <= 3; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("uid-%u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_PLAIN);
    }
  a = run_check (f);
  assert_ok (a->result, TRUE, 3, 0, 0);

  reads = popbell_fake_server_get_n_reads (f->server);
  mark = popbell_fake_server_get_commands (f->server)->len;
  b = run_check (f);
  assert_ok (b->result, FALSE, 3, 0, 0);
  g_assert_cmpuint (count_exact (f->server, "UIDL 3", mark), ==, 1);
  g_assert_cmpuint (popbell_fake_server_get_n_reads (f->server) - reads, ==, 2);

  /* Ten new: one LIST, not "LIST n" for each, written with the TOPs:
   * the login write (its "UIDL 3" answer is dropped), UIDL, LIST with
   * the TOPs, QUIT — with the connect, 5 round trips (it was 8). */
  for (guint i = 4; i <= 13; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("uid-%u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_PLAIN);
    }
  mark = popbell_fake_server_get_commands (f->server)->len;
  reads = popbell_fake_server_get_n_reads (f->server);
  c = run_check (f);
  g_assert_cmpuint (popbell_fake_server_get_n_reads (f->server) - reads, ==, 4);
  assert_ok (c->result, FALSE, 13, 10, 10);
  g_assert_cmpuint (count_exact (f->server, "LIST", mark), ==, 1);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "LIST *"), ==, 0);
  g_assert_cmpuint (popbell_mail_summary_get_size (new_message (c->result, 0)), >, 0);

  /* Two new in a mailbox of 15: "LIST n" each is cheaper than a listing
   * of every message (at 100,000 messages a LIST is 1.2 MB), and still
   * goes with the TOPs: 5 round trips again. */
  popbell_fake_server_add_message (f->server, "uid-14", MSG_PLAIN);
  popbell_fake_server_add_message (f->server, "uid-15", MSG_PLAIN);
  mark = popbell_fake_server_get_commands (f->server)->len;
  reads = popbell_fake_server_get_n_reads (f->server);
  d = run_check (f);
  assert_ok (d->result, FALSE, 15, 2, 12);
  g_assert_cmpuint (popbell_fake_server_get_n_reads (f->server) - reads, ==, 4);
  g_assert_cmpuint (count_exact (f->server, "LIST", mark), ==, 0);
  g_assert_cmpuint (count_exact (f->server, "LIST 14", mark), ==, 1);
  g_assert_cmpuint (count_exact (f->server, "LIST 15", mark), ==, 1);
  g_assert_cmpuint (popbell_mail_summary_get_size (new_message (d->result, 1)), >, 0);
}

static void
test_no_uidl (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL, c = NULL;

  popbell_fake_server_remove_capability (f->server, "UIDL");
  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_PLAIN);

  a = run_check (f);
  assert_ok (a->result, TRUE, 2, 0, 0);
  g_assert_true (a->state->no_uidl);

  popbell_fake_server_add_message (f->server, "uid-3", MSG_UTF8_Q);
  b = run_check (f);
  assert_ok (b->result, FALSE, 3, 1, 1);
  g_assert_cmpstr (popbell_mail_summary_get_subject (new_message (b->result, 0)), ==,
                   "Grüße aus Köln");

  /* Unchanged figures: nothing new, nothing listed. */
  c = run_check (f);
  assert_ok (c->result, FALSE, 3, 0, 1);
}

static void
test_in_use (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;

  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  a = run_check (f);
  popbell_fake_server_set_login_reply (f->server, "-ERR [IN-USE] Mailbox is locked");
  popbell_fake_server_add_message (f->server, "uid-2", MSG_PLAIN);
  b = run_check (f);
  g_assert_cmpstr (error_kind (b->result), ==, "mailbox-locked");
  g_assert_true (b->contacted);
  /* A failed check is "unknown", never "everything deleted". */
  g_assert_cmpuint (g_hash_table_size (b->state->seen), ==, 1);
  g_assert_false (b->state->auth_hold);
}

static void
test_login_delay_response (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;
  guint connections;
  const gchar *message;

  popbell_fake_server_set_login_reply (f->server, "-ERR [LOGIN-DELAY] wait a bit");
  a = run_check (f);
  g_assert_cmpstr (error_kind (a->result), ==, "login-delay");
  g_assert_nonnull (popbell_check_result_get_retry_after (a->result));

  /* The refusal is remembered: no new connection until the time comes. */
  connections = popbell_fake_server_get_n_connections (f->server);
  b = run_check (f);
  g_assert_cmpstr (error_kind (b->result), ==, "login-delay");
  g_assert_false (b->contacted);
  g_assert_cmpuint (popbell_fake_server_get_n_connections (f->server), ==, connections);
  /* This server never advertised LOGIN-DELAY: no "every 0 seconds". */
  message = popbell_check_result_get_error (b->result)->message;
  g_assert_null (strstr (message, " 0 seconds"));
  g_assert_nonnull (strstr (message, "too soon"));
}

static void
test_login_delay_capability (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  GDateTime *retry;
  GTimeSpan wait;

  popbell_fake_server_add_capability (f->server, "LOGIN-DELAY 900");
  a = run_check (f);
  assert_ok (a->result, TRUE, 0, 0, 0);
  g_assert_cmpuint (a->state->login_delay, ==, 900);

  b = run_check (f);
  g_assert_cmpstr (error_kind (b->result), ==, "login-delay");
  g_assert_false (b->contacted);
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, 1);
  retry = popbell_check_result_get_retry_after (b->result);
  g_assert_nonnull (retry);
  wait = g_date_time_difference (retry, now);
  g_assert_cmpint (wait, >, 890 * G_TIME_SPAN_SECOND);
  g_assert_cmpint (wait, <=, 902 * G_TIME_SPAN_SECOND);
}

static void
test_auth_hold (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL, c = NULL, d = NULL;
  g_autoptr(PopbellAccount) edited = NULL;
  guint connections;

  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, "wrong");
  a = run_check (f);
  g_assert_cmpstr (error_kind (a->result), ==, "auth");
  g_assert_true (a->state->auth_hold);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 1);

  /* Held: reported without connecting, however often it is run. */
  connections = popbell_fake_server_get_n_connections (f->server);
  b = run_check (f);
  g_assert_cmpstr (error_kind (b->result), ==, "auth");
  g_assert_false (b->contacted);
  g_assert_cmpuint (popbell_fake_server_get_n_connections (f->server), ==, connections);

  /* The user retries explicitly: the server decides again. */
  c = run_check_flags (f, f->account, POPBELL_SESSION_IGNORE_AUTH_HOLD);
  g_assert_cmpstr (error_kind (c->result), ==, "auth");
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 2);

  /* Changed settings lift the hold (here: another auth method). */
  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, PASSWORD);
  edited = popbell_account_copy (f->account);
  popbell_account_set_auth (edited, POPBELL_POP3_AUTH_SASL_PLAIN);
  d = run_check_flags (f, edited, POPBELL_SESSION_FLAGS_NONE);
  assert_ok (d->result, TRUE, 0, 0, 0);
  g_assert_false (d->state->auth_hold);
}

static void
test_expire_zero (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;

  popbell_fake_server_add_capability (f->server, "EXPIRE 0");
  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  a = run_check (f);
  assert_ok (a->result, TRUE, 1, 0, 0);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_UTF8_Q);
  b = run_check (f);
  assert_ok (b->result, FALSE, 2, 1, 1);
  g_assert_cmpuint (popbell_check_result_get_new_messages (b->result)->len, ==, 0);
  g_assert_nonnull (popbell_check_result_get_note (b->result));
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "TOP*"), ==, 0);
}

static void
test_expire_zero_after_login (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;

  popbell_fake_server_add_user_capability (f->server, "EXPIRE 0");
  a = run_check (f);
  popbell_fake_server_add_message (f->server, "uid-1", MSG_UTF8_Q);
  b = run_check (f);
  assert_ok (b->result, FALSE, 1, 1, 1);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "TOP*"), ==, 0);
}

/* A session that dies in the middle of the UIDL listing (a second server in
 * script mode; same host and user, so the same mailbox), then a good one:
 * the failure changes nothing, the good one announces exactly the mail
 * that arrived, even with a restart in between. */
static void
test_reset_mid_listing (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL, c = NULL, d = NULL;
  g_autoptr(PopbellFakeServer) broken = popbell_fake_server_new ();
  g_autoptr(PopbellAccount) via_broken = NULL;

  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_PLAIN);
  a = run_check (f);
  assert_ok (a->result, TRUE, 2, 0, 0);

  popbell_fake_server_send (broken, "+OK ready\r\n");
  popbell_fake_server_expect (broken, "CAPA", "+OK\r\nUIDL\r\nUSER\r\n.\r\n");
  popbell_fake_server_expect (broken, "USER alice", "+OK\r\n");
  popbell_fake_server_expect (broken, "PASS *", "+OK logged in\r\n");
  popbell_fake_server_expect (broken, "CAPA", "+OK\r\nUIDL\r\nUSER\r\n.\r\n");
  popbell_fake_server_expect (broken, "STAT", "+OK 3 300\r\n");
  popbell_fake_server_expect (broken, "UIDL", "+OK\r\n1 uid-1\r\n");
  popbell_fake_server_close (broken);
  via_broken = make_account (popbell_fake_server_get_port (broken));

  b = run_check_flags (f, via_broken, POPBELL_SESSION_FLAGS_NONE);
  g_assert_false (popbell_check_result_is_ok (b->result));
  g_assert_cmpuint (g_hash_table_size (b->state->seen), ==, 2);
  g_assert_cmpuint (b->state->last_count, ==, 2);

  /* A wrong password in between: a failure too. */
  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, "wrong");
  c = run_check (f);
  g_assert_cmpstr (error_kind (c->result), ==, "auth");
  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, PASSWORD);

  popbell_fake_server_add_message (f->server, "uid-3", MSG_UTF8_Q);
  d = run_check_flags (f, f->account, POPBELL_SESSION_IGNORE_AUTH_HOLD);
  assert_ok (d->result, FALSE, 3, 1, 1);
  g_assert_cmpstr (popbell_mail_summary_get_uid (new_message (d->result, 0)), ==, "uid-3");
  popbell_fake_server_stop (broken);
}

static void
test_corrupt_state (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  g_autofree gchar *corrupt = g_strconcat (path, ".corrupt", NULL);
  g_autoptr(GError) error = NULL;

  popbell_fake_server_add_message (f->server, "uid-1", MSG_PLAIN);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_PLAIN);
  a = run_check (f);
  g_assert_true (g_file_set_contents (path, "popbell-state 1\nu uid-1\nend 7 0\n", -1, &error));

  /* Quietly a new baseline: the old mail is not announced as new. */
  b = run_check (f);
  assert_ok (b->result, TRUE, 2, 0, 0);
  g_assert_true (g_file_test (corrupt, G_FILE_TEST_EXISTS));
}

static void
test_wholesale_churn (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;

  for (guint i = 1; i <= 4; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("old-%u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_PLAIN);
    }
  a = run_check (f);
  for (guint i = 1; i <= 4; i++)
    {
      g_autofree gchar *old = g_strdup_printf ("old-%u", i);
      g_autofree gchar *uid = g_strdup_printf ("renumbered-%u", i);

      popbell_fake_server_remove_message (f->server, old);
      popbell_fake_server_add_message (f->server, uid, MSG_PLAIN);
    }
  b = run_check (f);
  assert_ok (b->result, TRUE, 4, 0, 0);
}

/* Another client fetched and deleted everything, then one message came:
 * that one IS new (not mistaken for a renumbering). */
static void
test_emptied_then_one (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;

  for (guint i = 1; i <= 4; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("old-%u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_PLAIN);
    }
  a = run_check (f);
  for (guint i = 1; i <= 4; i++)
    {
      g_autofree gchar *old = g_strdup_printf ("old-%u", i);
      popbell_fake_server_remove_message (f->server, old);
    }
  popbell_fake_server_add_message (f->server, "fresh", MSG_UTF8_Q);
  b = run_check (f);
  assert_ok (b->result, FALSE, 1, 1, 1);
}

static void
test_many_new (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL;

  popbell_fake_server_add_message (f->server, "first", MSG_PLAIN);
  a = run_check (f);
  for (guint i = 1; i <= 200; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("bulk-%03u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_UTF8_Q);
    }
  b = run_check (f);
  assert_ok (b->result, FALSE, 201, 200, 200);
  /* Only the newest ones get their headers fetched. */
  g_assert_cmpuint (popbell_check_result_get_new_messages (b->result)->len, ==,
                    POPBELL_CHECKER_MAX_HEADERS);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "TOP*"), ==,
                    POPBELL_CHECKER_MAX_HEADERS);
  g_assert_cmpstr (popbell_mail_summary_get_uid (new_message (b->result, 0)), ==, "bulk-171");
}

static void
test_keyring_locked (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellCheckOutcome) a = NULL;

  popbell_memory_credentials_set_mode (f->credentials, POPBELL_MEMORY_CREDENTIALS_LOCKED);
  a = run_check (f);
  g_assert_cmpstr (error_kind (a->result), ==, "keyring");
  g_assert_true (a->keyring_unavailable);
  /* The connection is made while the keyring is asked (issue 9: the
   * check waits for the slower of the two), then dropped unused: no
   * login, nothing of the account sent. */
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "USER*"), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "AUTH*"), ==, 0);
}

static void
test_tls_downgrade (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = popbell_account_state_new ("work");
  g_autoptr(PopbellCheckOutcome) a = NULL;
  g_autoptr(GError) error = NULL;

  state->mailbox_id = g_strdup ("127.0.0.1\n" USER);
  state->tls_worked = TRUE;
  g_assert_true (popbell_state_store_save (f->store, state, &error));

  popbell_account_set_allow_insecure_auth (f->account, FALSE);
  a = run_check (f);
  g_assert_cmpstr (error_kind (a->result), ==, "insecure");
  g_assert_false (a->contacted);
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellStateLock) lock = NULL;

  popbell_checker_check_async (f->checker, f->account, POPBELL_SESSION_FLAGS_NONE,
                               cancellable, result_ready, &result);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (popbell_checker_check_finish (f->checker, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* The account is free again. */
  lock = popbell_state_store_try_lock (f->store, "work", NULL);
  g_assert_nonnull (lock);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/core/checker/baseline-then-arrivals", test_baseline_then_arrivals);
  ADD ("/core/checker/delete-and-deliver", test_delete_and_deliver);
  ADD ("/core/checker/unseen-leave-with-deleted", test_unseen_leave_with_deleted);
  ADD ("/core/checker/cheap-path", test_cheap_path);
  ADD ("/core/checker/no-uidl", test_no_uidl);
  ADD ("/core/checker/in-use", test_in_use);
  ADD ("/core/checker/login-delay-response", test_login_delay_response);
  ADD ("/core/checker/round-trips", test_round_trips);
  ADD ("/core/checker/login-delay-capability", test_login_delay_capability);
  ADD ("/core/checker/auth-hold", test_auth_hold);
  ADD ("/core/checker/expire-zero", test_expire_zero);
  ADD ("/core/checker/expire-zero-after-login", test_expire_zero_after_login);
  ADD ("/core/checker/reset-mid-listing", test_reset_mid_listing);
  ADD ("/core/checker/corrupt-state", test_corrupt_state);
  ADD ("/core/checker/wholesale-churn", test_wholesale_churn);
  ADD ("/core/checker/emptied-then-one", test_emptied_then_one);
  ADD ("/core/checker/many-new", test_many_new);
  ADD ("/core/checker/keyring-locked", test_keyring_locked);
  ADD ("/core/checker/tls-downgrade", test_tls_downgrade);
  ADD ("/core/checker/cancel", test_cancel);
#undef ADD

  return g_test_run ();
}
