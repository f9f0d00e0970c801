/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Issue 7's promises, against the fake server: a new message is announced
 * at least and at most once (unannounced until the UI says so, announced
 * again after a restart otherwise), a failed save neither loses nor
 * repeats anything, a removed account's check cannot write its state
 * back; and Test connection is a session like the others. */
#include "popbell-config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>

#include "engine-fixture.h"
#include "popbell-state-store.h"
#include "popbell-test-util.h"

static PopbellStateStore *
fixture_store (Fixture *f)
{
  g_autofree gchar *state_dir = g_build_filename (f->dir, "state", NULL);

  return popbell_state_store_new (state_dir);
}

static PopbellAccountState *
load_state (Fixture *f)
{
  g_autoptr(PopbellStateStore) store = fixture_store (f);
  g_autoptr(GError) error = NULL;
  PopbellAccountState *state = popbell_state_store_load (store, "work", NULL, &error);

  g_assert_no_error (error);
  return state;
}

static guint
count_unannounced (PopbellAccountState *state)
{
  guint n = 0;

  for (guint i = 0; i < state->unseen->len; i++)
    if (!((PopbellUnseenEntry *) state->unseen->pdata[i])->announced)
      n++;
  return n;
}

static void
collect_announce (PopbellEngine *engine, PopbellCheckResult *result, gpointer user_data)
{
  g_ptr_array_add (user_data, popbell_check_result_ref (result));
}

static void
check_now_and_wait (Fixture *f)
{
  guint n = f->results->len;

  popbell_engine_check_now (f->engine);
  run_until_results (f, n + 1, 8000);
}

/* Found, not announced, the applet ends: the next start announces them;
 * once marked announced, never again. */
static void
test_announce_after_restart (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) announced =
    g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_check_result_unref);
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GPtrArray) summaries = NULL;
  const gchar *uids[] = { "uid-2", NULL };

  add_message (f->server, "uid-1", "0");
  write_accounts (f, popbell_fake_server_get_port (f->server), 3600);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 1, 5000);
  add_message (f->server, "uid-2", "1");
  add_message (f->server, "uid-3", "2");
  check_now_and_wait (f);
  g_assert_cmpuint (popbell_check_result_get_new_count (result_at (f, 1)), ==, 2);

  /* Saved, but not as announced: the notification was not handed over. */
  state = load_state (f);
  g_assert_cmpuint (state->unseen->len, ==, 2);
  g_assert_cmpuint (count_unannounced (state), ==, 2);
  g_clear_pointer (&state, popbell_account_state_free);

  /* "Crash" (no mark_announced), restart: both are announced again. */
  popbell_engine_stop (f->engine);
  new_engine (f);
  g_signal_connect (f->engine, "announce", G_CALLBACK (collect_announce), announced);
  popbell_engine_start (f->engine);
  g_assert_cmpuint (announced->len, ==, 1);
  g_assert_cmpstr (popbell_check_result_get_account_name (announced->pdata[0]), ==, "work");
  g_assert_cmpuint (popbell_check_result_get_new_count (announced->pdata[0]), ==, 2);
  summaries = popbell_engine_list_unannounced (f->engine);
  g_assert_cmpuint (summaries->len, ==, 1);
  g_clear_pointer (&summaries, g_ptr_array_unref);

  /* The UI announces one, then the rest (NULL: all of the account). */
  popbell_engine_mark_announced (f->engine, "work", uids);
  state = load_state (f);
  g_assert_cmpuint (count_unannounced (state), ==, 1);
  g_clear_pointer (&state, popbell_account_state_free);
  popbell_engine_mark_announced (f->engine, "work", NULL);
  state = load_state (f);
  g_assert_cmpuint (count_unannounced (state), ==, 0);
  g_assert_cmpuint (state->unseen->len, ==, 2);   /* announced, still unseen */
  g_clear_pointer (&state, popbell_account_state_free);

  /* At most once: the next start announces nothing. */
  popbell_engine_stop (f->engine);
  g_ptr_array_set_size (announced, 0);
  new_engine (f);
  g_signal_connect (f->engine, "announce", G_CALLBACK (collect_announce), announced);
  popbell_engine_start (f->engine);
  g_assert_cmpuint (announced->len, ==, 0);
  g_assert_cmpuint (popbell_engine_get_unseen_total (f->engine), ==, 2);
}

/* A marked announcement made while a check runs is not lost when the
 * check brings back its own (older) copy of the state. */
static void
test_announce_during_check (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = NULL;

  add_message (f->server, "uid-1", "0");
  write_accounts (f, popbell_fake_server_get_port (f->server), 3600);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 1, 5000);
  add_message (f->server, "uid-2", "1");
  check_now_and_wait (f);

  popbell_engine_check_now (f->engine);
  for (;;)
    {
      g_autoptr(PopbellAccountStatus) status = popbell_engine_dup_status (f->engine, "work");

      if (popbell_account_status_get_next_reason (status) == POPBELL_NEXT_CHECK_RUNNING)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  popbell_engine_mark_announced (f->engine, "work", NULL);
  run_until_results (f, 3, 5000);
  state = load_state (f);
  g_assert_cmpuint (state->unseen->len, ==, 1);
  g_assert_cmpuint (count_unannounced (state), ==, 0);
}

/* "Mark all as seen" while a check runs marks what the user saw; what the
 * check brings is new and stays unseen. */
static void
test_mark_all_seen_during_check (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) unseen = NULL;

  add_message (f->server, "uid-1", "0");
  write_accounts (f, popbell_fake_server_get_port (f->server), 3600);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 1, 5000);
  add_message (f->server, "uid-2", "1");
  check_now_and_wait (f);
  g_assert_cmpuint (popbell_engine_get_unseen_total (f->engine), ==, 1);

  add_message (f->server, "uid-3", "2");
  popbell_engine_check_now (f->engine);
  for (;;)
    {
      g_autoptr(PopbellAccountStatus) status = popbell_engine_dup_status (f->engine, "work");

      if (popbell_account_status_get_next_reason (status) == POPBELL_NEXT_CHECK_RUNNING)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  popbell_engine_mark_all_seen (f->engine);
  g_assert_cmpuint (popbell_engine_get_unseen_total (f->engine), ==, 0);
  run_until_results (f, 3, 5000);
  g_assert_cmpuint (popbell_check_result_get_new_count (result_at (f, 2)), ==, 1);
  unseen = popbell_engine_list_unseen (f->engine);
  g_assert_cmpuint (unseen->len, ==, 1);
  g_assert_cmpstr (popbell_mail_summary_get_uid (unseen->pdata[0]), ==, "uid-3");
}

/* --check-once prints what it found: that is the announcement. */
static void
test_check_once_counts_as_announced (Fixture *f, gconstpointer data)
{
  PopbellAccount *account;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PopbellCheckOutcome) outcome = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;

  add_message (f->server, "uid-1", "0");
  write_accounts (f, popbell_fake_server_get_port (f->server), 3600);
  new_engine (f);
  account = popbell_account_store_lookup (popbell_engine_get_account_store (f->engine), "work");
  for (guint i = 0; i < 2; i++)
    {
      g_clear_object (&result);
      g_clear_pointer (&outcome, popbell_check_outcome_free);
      popbell_checker_check_async (popbell_engine_get_checker (f->engine), account,
                                   POPBELL_SESSION_FLAGS_NONE, NULL, store_result, &result);
      run_until_result (&result, 5000);
      outcome = popbell_checker_check_finish (popbell_engine_get_checker (f->engine), result,
                                              &error);
      g_assert_no_error (error);
      add_message (f->server, "uid-2", "1");
    }
  g_assert_cmpuint (popbell_check_result_get_new_count (outcome->result), ==, 1);
  state = load_state (f);
  g_assert_cmpuint (state->unseen->len, ==, 1);
  g_assert_cmpuint (count_unannounced (state), ==, 0);
}

/* A full disk (RLIMIT_FSIZE: every write of a file fails, as with ENOSPC
 * or a read-only folder): the state stays right in memory, later checks
 * do not announce the same messages again, the status says so, and the
 * state is written once the disk takes it again. */
static void
test_save_failure_keeps_memory (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountStatus) status = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  struct rlimit old_limit, limit;

  add_message (f->server, "uid-1", "0");
  write_accounts (f, popbell_fake_server_get_port (f->server), 3600);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 1, 5000);

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  limit = old_limit;
  limit.rlim_cur = 1;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);

  add_message (f->server, "uid-2", "1");
  add_message (f->server, "uid-3", "2");
  check_now_and_wait (f);
  g_assert_cmpuint (popbell_check_result_get_new_count (result_at (f, 1)), ==, 2);
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_nonnull (popbell_account_status_get_save_error (status));
  g_assert_cmpuint (popbell_account_status_get_unseen (status), ==, 2);
  g_clear_pointer (&status, popbell_account_status_unref);

  /* The file is the old one; the next checks must not announce again. */
  state = load_state (f);
  g_assert_cmpuint (state->unseen->len, ==, 0);
  g_clear_pointer (&state, popbell_account_state_free);
  check_now_and_wait (f);
  g_assert_true (popbell_check_result_is_ok (result_at (f, 2)));
  g_assert_cmpuint (popbell_check_result_get_new_count (result_at (f, 2)), ==, 0);
  popbell_engine_mark_announced (f->engine, "work", NULL);
  add_message (f->server, "uid-4", "3");
  check_now_and_wait (f);
  g_assert_cmpuint (popbell_check_result_get_new_count (result_at (f, 3)), ==, 1);

  /* Writable again: the next check writes everything, the flag goes. */
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  check_now_and_wait (f);
  g_assert_cmpuint (popbell_check_result_get_new_count (result_at (f, 4)), ==, 0);
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_null (popbell_account_status_get_save_error (status));
  state = load_state (f);
  g_assert_cmpuint (state->unseen->len, ==, 3);
  /* uid-2 and uid-3 were marked announced while the disk was full. */
  g_assert_cmpuint (count_unannounced (state), ==, 1);
}

static gboolean
no_session_open (gpointer unused)
{
  return popbell_session_get_n_open () == 0;
}

static gboolean
file_is_gone (gpointer path)
{
  return !g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Removing an account while its check is logged in: the cancelled check
 * saves on its way out, and the account's files must still be gone. */
static void
test_remove_during_check (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellFakeServer) server = popbell_fake_server_new ();
  g_autoptr(PopbellStateStore) store = fixture_store (f);
  g_autoptr(PopbellAccountState) state = popbell_account_state_new ("work");
  g_autofree gchar *path = popbell_state_store_dup_path (store, "work");
  PopbellAccountStore *accounts;
  g_autoptr(GError) error = NULL;

  popbell_fake_server_send (server, "+OK hello\r\n");
  popbell_fake_server_expect (server, "CAPA", "+OK\r\nUSER\r\nUIDL\r\n.\r\n");
  popbell_fake_server_expect (server, "USER " USER, "+OK\r\n");
  popbell_fake_server_expect (server, "PASS *", "+OK\r\n");
  popbell_fake_server_stall (server);

  state->mailbox_id = g_strdup ("127.0.0.1\n" USER);
  g_assert_true (popbell_state_store_save (store, state, &error));
  g_assert_no_error (error);
  write_accounts (f, popbell_fake_server_get_port (server), 3600);
  new_engine (f);
  popbell_engine_start (f->engine);
  while (popbell_fake_server_count_commands (server, "PASS *") == 0)
    g_main_context_iteration (NULL, TRUE);

  accounts = popbell_engine_get_account_store (f->engine);
  g_assert_true (popbell_account_store_remove (accounts, "work"));
  g_assert_true (popbell_engine_apply_accounts (f->engine, &error));
  g_assert_no_error (error);

  /* The session ends (and saves) after the connection closed: wait for
   * its slot, then for the files. */
  g_assert_true (popbell_fake_server_wait_closed (server, 5000));
  g_assert_true (popbell_test_iterate_until (no_session_open, NULL, 5000));
  g_assert_true (popbell_test_iterate_until (file_is_gone, path, 2000));
  g_assert_cmpuint (f->results->len, ==, 0);
  popbell_fake_server_stop (server);
}

/* A clean exit (SIGTERM): stop_async completes only when the cancelled
 * session has saved what it learnt (the login time, for LOGIN-DELAY) and
 * released the account. */
static void
test_stop_waits_for_sessions (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellFakeServer) server = popbell_fake_server_new ();
  g_autoptr(PopbellStateStore) store = fixture_store (f);
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  popbell_fake_server_send (server, "+OK hello\r\n");
  popbell_fake_server_expect (server, "CAPA", "+OK\r\nUSER\r\nUIDL\r\n.\r\n");
  popbell_fake_server_expect (server, "USER " USER, "+OK\r\n");
  popbell_fake_server_expect (server, "PASS *", "+OK\r\n");
  popbell_fake_server_stall (server);
  write_accounts (f, popbell_fake_server_get_port (server), 3600);
  new_engine (f);
  popbell_engine_start (f->engine);
  while (popbell_fake_server_count_commands (server, "PASS *") == 0)
    g_main_context_iteration (NULL, TRUE);

  popbell_engine_stop_async (f->engine, NULL, store_result, &result);
  run_until_result (&result, 5000);
  g_assert_true (popbell_engine_stop_finish (f->engine, result, &error));
  g_assert_no_error (error);

  state = load_state (f);
  g_assert_cmpint (state->last_login, >, 0);
  lock = popbell_state_store_try_lock (store, "work", &error);
  g_assert_no_error (error);
  g_assert_nonnull (lock);
  g_assert_cmpuint (popbell_session_get_n_open (), ==, 0);
  g_assert_cmpuint (f->results->len, ==, 0);
  g_assert_true (popbell_fake_server_wait_closed (server, 5000));
  popbell_fake_server_stop (server);
}

/* Test connection: the account lock and LOGIN-DELAY like every session;
 * a wrong password tried there does not hold the account. */
static void
test_probe_session (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellStateStore) store = fixture_store (f);
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PopbellAccount *account;

  write_accounts (f, popbell_fake_server_get_port (f->server), 3600);
  new_engine (f);   /* not started: only the probes run */
  account = popbell_account_store_lookup (popbell_engine_get_account_store (f->engine), "work");
  popbell_checker_set_lock_timeout (popbell_engine_get_checker (f->engine), 200);

  /* Someone else (a --check-once) holds the account: no connection. */
  lock = popbell_state_store_try_lock (store, "work", &error);
  g_assert_no_error (error);
  popbell_engine_test_account_async (f->engine, account, NULL, NULL, store_result, &result);
  run_until_result (&result, 5000);
  g_assert_false (popbell_engine_test_account_finish (f->engine, result, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_MAILBOX_LOCKED);
  g_clear_error (&error);
  g_clear_object (&result);
  g_clear_pointer (&lock, popbell_state_lock_release);
  g_assert_cmpuint (popbell_fake_server_get_n_connections (f->server), ==, 0);

  /* A wrong password typed into the editor: refused, no hold. */
  popbell_engine_test_account_async (f->engine, account, "wrong", NULL, store_result, &result);
  run_until_result (&result, 5000);
  g_assert_false (popbell_engine_test_account_finish (f->engine, result, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_clear_error (&error);
  g_clear_object (&result);
  state = load_state (f);
  g_assert_false (state->auth_hold);
  g_assert_cmpint (state->last_login, >, 0);   /* recorded for LOGIN-DELAY */
  g_clear_pointer (&state, popbell_account_state_free);

  /* The right one works. */
  popbell_engine_test_account_async (f->engine, account, NULL, NULL, store_result, &result);
  run_until_result (&result, 5000);
  g_assert_true (popbell_engine_test_account_finish (f->engine, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (popbell_fake_server_get_n_connections (f->server), ==, 2);

  /* The server asked for 900 s between logins: the probe waits its turn. */
  state = load_state (f);
  state->login_delay = 900;
  state->last_login = g_get_real_time ();
  g_assert_true (popbell_state_store_save (store, state, &error));
  popbell_engine_test_account_async (f->engine, account, NULL, NULL, store_result, &result);
  run_until_result (&result, 5000);
  g_assert_false (popbell_engine_test_account_finish (f->engine, result, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_LOGIN_DELAY);
  g_assert_cmpuint (popbell_fake_server_get_n_connections (f->server), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/core/engine/announce/after-restart", test_announce_after_restart);
  ADD ("/core/engine/announce/during-check", test_announce_during_check);
  ADD ("/core/engine/announce/check-once", test_check_once_counts_as_announced);
  ADD ("/core/engine/mark-all-seen-during-check", test_mark_all_seen_during_check);
  ADD ("/core/engine/save-failure-keeps-memory", test_save_failure_keeps_memory);
  ADD ("/core/engine/remove-during-check", test_remove_during_check);
  ADD ("/core/engine/probe-session", test_probe_session);
  ADD ("/core/engine/stop-waits-for-sessions", test_stop_waits_for_sessions);
#undef ADD

  return g_test_run ();
}
