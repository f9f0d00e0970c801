/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* What the engine must not do (issues 8 and 9), counted at the fake
 * server: log in again on a held account because a script said "check
 * now", stay silent about an account that keeps failing, open more than
 * POPBELL_SESSION_MAX_OPEN sessions, or wait for a timer before the first
 * checks. */
#include "popbell-config.h"

#include "engine-fixture.h"
#include "popbell-account-runner.h"
#include "popbell-session.h"

static PopbellAccountStatus *
status_of (Fixture *f, const gchar *name)
{
  return popbell_engine_dup_status (f->engine, name);
}

/* Three "Check now" on an account whose password the server refused: no
 * login (repeated bad logins lock accounts). "Try again" logs in once. */
static void
test_check_now_keeps_auth_hold (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountStatus) status = NULL;

  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, "wrong");
  write_accounts (f, popbell_fake_server_get_port (f->server), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 1, 5000);
  g_assert_cmpstr (popbell_check_result_get_error_kind (result_at (f, 0)), ==, "auth");
  status = status_of (f, "work");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==, POPBELL_NEXT_CHECK_HELD);
  /* Auth problems are problems at once. */
  g_assert_true (popbell_account_status_has_problem (status));
  g_assert_cmpuint (popbell_account_status_get_problem_episode (status), ==, 1);
  g_clear_pointer (&status, popbell_account_status_unref);

  popbell_engine_check_now (f->engine);
  popbell_engine_check_account_now (f->engine, "work");
  popbell_engine_check_now (f->engine);
  status = status_of (f, "work");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==, POPBELL_NEXT_CHECK_HELD);
  g_clear_pointer (&status, popbell_account_status_unref);

  /* "Try again": exactly one more login. Had a check_now scheduled one,
   * it would have run first (the timers fire in order): two results. */
  popbell_engine_retry_account (f->engine, "work");
  run_until_results (f, 2, 5000);
  g_assert_cmpuint (f->results->len, ==, 2);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 2);
  status = status_of (f, "work");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==, POPBELL_NEXT_CHECK_HELD);
  /* The same episode: the hold never ended. */
  g_assert_cmpuint (popbell_account_status_get_problem_episode (status), ==, 1);
  g_clear_pointer (&status, popbell_account_status_unref);

  /* And after the fix, the next check is a success and the problem ends. */
  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, PASSWORD);
  popbell_engine_retry_account (f->engine, "work");
  run_until_results (f, 3, 5000);
  g_assert_true (popbell_check_result_is_ok (result_at (f, 2)));
  status = status_of (f, "work");
  g_assert_false (popbell_account_status_has_problem (status));
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 3);
}

static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* A closed port (a first check that never succeeded): a problem from the
 * third failure on, one episode over six failed checks. */
static void
test_problem_episode (Fixture *f, gconstpointer data)
{
  write_accounts (f, closed_port (), 3600);
  new_engine (f);
  popbell_engine_start (f->engine);
  for (guint i = 1; i <= 6; i++)
    {
      g_autoptr(PopbellAccountStatus) status = NULL;

      if (i > 1)
        popbell_engine_check_account_now (f->engine, "work");
      run_until_results (f, i, 5000);
      g_assert_false (popbell_check_result_is_ok (result_at (f, i - 1)));
      status = status_of (f, "work");
      g_assert_cmpint (popbell_account_status_has_problem (status), ==, i >= 3);
      g_assert_cmpuint (popbell_account_status_get_problem_episode (status), ==, i >= 3 ? 1 : 0);
    }
}

/* The episode rules on the runner itself, with a clock of our own: a
 * problem after 10 minutes of failures even with fewer than three checks,
 * at once for what needs the user, never for LOGIN-DELAY waits; a success
 * ends the episode, the next failure streak is a new one. */
static void
test_problem_rules (Fixture *f, gconstpointer data)
{
  g_autofree gchar *state_dir = g_build_filename (f->dir, "state", NULL);
  g_autoptr(PopbellStateStore) store = popbell_state_store_new (state_dir);
  g_autoptr(PopbellAccountRunner) runner = NULL;
  g_autoptr(GError) error = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_NETWORK, "down");
  gint64 t0 = G_GINT64_CONSTANT (1790000000) * G_USEC_PER_SEC;

  write_accounts (f, popbell_fake_server_get_port (f->server), 3600);
  new_engine (f);
  runner = popbell_account_runner_new (f->engine, store,
                                       popbell_account_store_lookup (
                                         popbell_engine_get_account_store (f->engine), "work"));

  for (guint i = 0; i < 5; i++)
    popbell_account_runner_note_result_at (runner, POPBELL_RUNNER_RESULT_QUIET, error, NULL,
                                           t0 + i * G_USEC_PER_SEC);
  g_assert_false (popbell_account_runner_has_problem (runner));

  popbell_account_runner_note_result_at (runner, POPBELL_RUNNER_RESULT_TRANSIENT, error, NULL, t0);
  popbell_account_runner_note_result_at (runner, POPBELL_RUNNER_RESULT_TRANSIENT, error, NULL,
                                         t0 + POPBELL_PROBLEM_AFTER_US - 1);
  g_assert_false (popbell_account_runner_has_problem (runner));
  g_assert_cmpuint (popbell_account_runner_get_problem_episode (runner), ==, 0);
  /* A new streak (a keyring wait counts too) that lasts 10 minutes. */
  popbell_account_runner_note_result (runner, POPBELL_RUNNER_RESULT_OK, NULL, NULL);
  popbell_account_runner_note_result_at (runner, POPBELL_RUNNER_RESULT_WAIT, error, NULL, t0);
  popbell_account_runner_note_result_at (runner, POPBELL_RUNNER_RESULT_TRANSIENT, error, NULL,
                                         t0 + POPBELL_PROBLEM_AFTER_US);
  g_assert_true (popbell_account_runner_has_problem (runner));
  g_assert_cmpuint (popbell_account_runner_get_problem_episode (runner), ==, 1);
  popbell_account_runner_note_result_at (runner, POPBELL_RUNNER_RESULT_TRANSIENT, error, NULL,
                                         t0 + 2 * POPBELL_PROBLEM_AFTER_US);
  g_assert_cmpuint (popbell_account_runner_get_problem_episode (runner), ==, 1);

  /* A success ends it; a rejected password is a problem at once. */
  popbell_account_runner_note_result (runner, POPBELL_RUNNER_RESULT_OK, NULL, NULL);
  g_assert_false (popbell_account_runner_has_problem (runner));
  popbell_account_runner_note_result (runner, POPBELL_RUNNER_RESULT_NEEDS_USER, error, NULL);
  g_assert_true (popbell_account_runner_has_problem (runner));
  g_assert_cmpuint (popbell_account_runner_get_problem_episode (runner), ==, 2);
  popbell_account_runner_detach (runner, FALSE);
}

/* POPBELL_TEST_N_ACCOUNTS (default 20) accounts on one server: never more
 * than POPBELL_SESSION_MAX_OPEN connections at once, every account
 * checked, none waiting for a timer before its first check, and the
 * user's preview ahead of the queue. By hand, 1,000 accounts under
 * `ulimit -n 1024` took 21 s with a peak RSS of 18 MB (server included). */
static void
test_session_limit (Fixture *f, gconstpointer data)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint16 port = popbell_fake_server_get_port (f->server);
  guint max_open = 0;
  gint64 started;
  g_autoptr(GPtrArray) statuses = NULL;
  g_autoptr(GAsyncResult) fetched = NULL;
  g_autoptr(PopbellMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  guint checks_before_preview = 0;
  gboolean preview_asked = FALSE;
  /* More by hand: POPBELL_TEST_N_ACCOUNTS=1000 with ulimit -n 1024. */
  const gchar *n_env = g_getenv ("POPBELL_TEST_N_ACCOUNTS");
  guint n = n_env != NULL ? (guint) g_ascii_strtoull (n_env, NULL, 10) : 20;

  g_assert_cmpuint (n, >=, 20);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "[account a%02u]\nhost=127.0.0.1\nport=%u\nsecurity=none\n"
                            "username=" USER "\nauth=user\ninterval=3600\ntimeout=10\n"
                            "allow-insecure-auth=true\n", i, port);
  /* Not checked; the user opens a preview of it. */
  g_string_append_printf (text, "[account preview]\nhost=127.0.0.1\nport=%u\nsecurity=none\n"
                          "username=" USER "\nauth=user\nenabled=false\n"
                          "allow-insecure-auth=true\n", port);
  write_accounts_text (f, text->str);
  add_message (f->server, "uid-1", "0");
  new_engine (f);

  popbell_engine_start (f->engine);
  started = g_get_real_time ();

  /* Every first check is due now, not after a start-up delay. */
  statuses = popbell_engine_list_status (f->engine);
  g_assert_cmpuint (statuses->len, ==, n + 1);
  for (guint i = 0; i < n; i++)
    {
      GDateTime *next = popbell_account_status_get_next_check (statuses->pdata[i]);

      g_assert_nonnull (next);
      g_assert_cmpint (g_date_time_to_unix (next) * G_USEC_PER_SEC, <=, started);
    }

  while (f->results->len < n)
    {
      if (popbell_session_get_n_open () == POPBELL_SESSION_MAX_OPEN && !preview_asked)
        {
          /* While a dozen checks queue for a slot: the preview goes before
           * them (POPBELL_SESSION_URGENT). */
          popbell_engine_fetch_message_async (f->engine, "preview", "uid-1", FALSE, 0, NULL,
                                              store_result, &fetched);
          preview_asked = TRUE;
        }
      g_main_context_iteration (NULL, TRUE);
      max_open = MAX (max_open, popbell_fake_server_get_n_open (f->server));
      g_assert_cmpuint (popbell_session_get_n_open (), <=, POPBELL_SESSION_MAX_OPEN);
      if (fetched != NULL && checks_before_preview == 0)
        checks_before_preview = f->results->len;
    }
  g_test_message ("the preview came after %u of %u checks", checks_before_preview, n);
  g_assert_true (preview_asked);
  /* It takes the first slot that frees, so it ends with the second wave
   * of checks at the latest; in turn it would wait for the third. */
  g_assert_cmpuint (checks_before_preview, >=, 1);
  g_assert_cmpuint (checks_before_preview, <=, 2 * POPBELL_SESSION_MAX_OPEN);
  message = popbell_engine_fetch_message_finish (f->engine, fetched, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_test_message ("at most %u connections open at once", max_open);
  g_assert_cmpuint (max_open, <=, POPBELL_SESSION_MAX_OPEN);
  g_assert_cmpuint (max_open, >=, 2);   /* they do run side by side */
  for (guint i = 0; i < n; i++)
    g_assert_true (popbell_check_result_is_ok (result_at (f, i)));
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, n + 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/core/engine/check-now-keeps-auth-hold", test_check_now_keeps_auth_hold);
  ADD ("/core/engine/problem-episode", test_problem_episode);
  ADD ("/core/engine/problem-rules", test_problem_rules);
  ADD ("/core/engine/session-limit", test_session_limit);
#undef ADD

  return g_test_run ();
}
