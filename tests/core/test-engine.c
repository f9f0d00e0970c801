/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The engine's schedule on a real main loop against the fake server, with
 * 1-second intervals (POPBELL_MIN_INTERVAL=1): LOGIN-DELAY over the
 * interval, the auth stop, quiet [IN-USE], backoff, unseen handling and
 * operations that wait for the account's session. */
#include "popbell-config.h"

#include <glib/gstdio.h>

#include "popbell-checker.h"
#include "popbell-engine.h"
#include "popbell-fake-server.h"
#include "popbell-memory-credentials.h"

#define USER "alice"
#define PASSWORD "s3cret-pw"

typedef struct {
  gchar                    *dir;
  gchar                    *accounts_path;
  PopbellMemoryCredentials *credentials;
  PopbellFakeServer        *server;
  PopbellEngine            *engine;
  GPtrArray                *results;     /* (element-type PopbellCheckResult) */
  GArray                   *result_times; /* gint64 real time of each */
} Fixture;

#define MSG \
  "From: =?UTF-8?Q?J=C3=BCrgen?= <jw@example.org>\n" \
  "To: alice@example.org\n" \
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= %s\n" \
  "Date: Thu, 26 Nov 2026 1%s:00:00 +0100\n" \
  "\n" \
  "Hallo\n"

static void
add_message (PopbellFakeServer *server, const gchar *uid, const gchar *hour)
{
  g_autofree gchar *raw = g_strdup_printf (MSG, uid, hour);
  popbell_fake_server_add_message (server, uid, raw);
}

static void
write_accounts (Fixture *f, guint16 port, guint interval)
{
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error = NULL;

  text = g_strdup_printf ("[account work]\nhost=127.0.0.1\nport=%u\nsecurity=none\n"
                          "username=" USER "\nauth=user\ninterval=%u\ntimeout=5\n"
                          "allow-insecure-auth=true\n", port, interval);
  g_assert_true (g_file_set_contents (f->accounts_path, text, -1, &error));
  g_assert_no_error (error);
}

static void
account_checked (PopbellEngine *engine, PopbellCheckResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  gint64 now = g_get_real_time ();

  g_ptr_array_add (f->results, popbell_check_result_ref (result));
  g_array_append_val (f->result_times, now);
}

static void
new_engine (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *state = g_build_filename (f->dir, "state", NULL);

  g_clear_object (&f->engine);
  f->engine = popbell_engine_new_full (f->accounts_path, state,
                                       POPBELL_CREDENTIALS (f->credentials));
  g_signal_connect (f->engine, "account-checked", G_CALLBACK (account_checked), f);
  g_assert_true (popbell_engine_load (f->engine, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  g_setenv ("POPBELL_MIN_INTERVAL", "1", TRUE);
  g_setenv ("POPBELL_NO_SYSTEM_BUS", "1", TRUE);
  f->dir = g_dir_make_tmp ("popbell-engine-XXXXXX", &error);
  g_assert_no_error (error);
  f->accounts_path = g_build_filename (f->dir, "accounts.ini", NULL);
  f->credentials = popbell_memory_credentials_new ();
  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, PASSWORD);
  f->server = popbell_fake_server_new_mailbox (USER, PASSWORD);
  f->results = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_check_result_unref);
  f->result_times = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
rm_rf (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_assert_null (popbell_fake_server_get_failure (f->server));
  if (f->engine != NULL)
    popbell_engine_stop (f->engine);
  g_clear_object (&f->engine);
  popbell_fake_server_stop (f->server);
  g_clear_object (&f->server);
  g_clear_object (&f->credentials);
  g_ptr_array_unref (f->results);
  g_array_unref (f->result_times);
  rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->accounts_path);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Runs until @n results arrived (or fails after @timeout_ms). */
static void
run_until_results (Fixture *f, guint n, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, set_flag, &timed_out);

  while (f->results->len < n && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("only %u of %u checks within %u ms", f->results->len, n, timeout_ms);
  g_source_remove (id);
}

static PopbellCheckResult *
result_at (Fixture *f, guint i)
{
  g_assert_cmpuint (i, <, f->results->len);
  return f->results->pdata[i];
}

/* ------------------------------------------------------------------------ */

/* LOGIN-DELAY 5 with a 1-second interval: logins at most every 5 s. */
static void
test_login_delay_schedule (Fixture *f, gconstpointer data)
{
  GArray *logins;

  popbell_fake_server_add_capability (f->server, "LOGIN-DELAY 5");
  write_accounts (f, popbell_fake_server_get_port (f->server), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_for (11500);
  popbell_engine_stop (f->engine);

  logins = popbell_fake_server_get_login_times (f->server);
  g_test_message ("%u logins in 11.5 s", logins->len);
  g_assert_cmpuint (logins->len, >=, 2);
  g_assert_cmpuint (logins->len, <=, 3);
  for (guint i = 1; i < logins->len; i++)
    {
      gint64 gap = g_array_index (logins, gint64, i) - g_array_index (logins, gint64, i - 1);

      g_test_message ("gap %u: %.3f s", i, gap / 1e6);
      g_assert_cmpint (gap, >=, 5 * G_USEC_PER_SEC);
    }
  /* Planned around the delay, never refused locally. */
  for (guint i = 0; i < f->results->len; i++)
    g_assert_true (popbell_check_result_is_ok (result_at (f, i)));
}

static void
test_auth_stops_schedule (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountStatus) status = NULL;

  popbell_memory_credentials_set (f->credentials, "127.0.0.1", USER, "wrong");
  write_accounts (f, popbell_fake_server_get_port (f->server), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_for (3000);

  /* One attempt, then nothing: repeated bad logins lock accounts. */
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 1);
  g_assert_cmpuint (f->results->len, ==, 1);
  g_assert_cmpstr (popbell_check_result_get_error_kind (result_at (f, 0)), ==, "auth");
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==, POPBELL_NEXT_CHECK_HELD);
  g_assert_true (popbell_account_status_needs_attention (status));
  g_assert_nonnull (popbell_account_status_get_error (status));
  g_clear_pointer (&status, popbell_account_status_unref);

  /* A restart keeps the hold. */
  new_engine (f);
  popbell_engine_start (f->engine);
  run_for (1500);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS *"), ==, 1);

  /* A new password lifts it and checks. */
  popbell_engine_set_password_async (f->engine, "work", PASSWORD, NULL,
                                     NULL, NULL);
  run_until_results (f, 2, 5000);
  g_assert_true (popbell_check_result_is_ok (result_at (f, 1)));
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_false (popbell_account_status_needs_attention (status));
  g_assert_null (popbell_account_status_get_error (status));
}

static void
test_in_use_quiet (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountStatus) status = NULL;

  popbell_fake_server_set_login_reply (f->server, "-ERR [IN-USE] locked by another session");
  write_accounts (f, popbell_fake_server_get_port (f->server), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 3, 6000);

  g_assert_cmpstr (popbell_check_result_get_error_kind (result_at (f, 0)), ==, "mailbox-locked");
  /* Rescheduled at the interval, not backed off. */
  for (guint i = 1; i < f->result_times->len; i++)
    {
      gint64 gap = g_array_index (f->result_times, gint64, i) -
                   g_array_index (f->result_times, gint64, i - 1);
      g_assert_cmpint (gap, <, 1600 * 1000);
    }
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_false (popbell_account_status_needs_attention (status));
}

/* A locked keyring: wait for ::unlocked instead of retrying (or nagging). */
static void
test_keyring_wait (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountStatus) status = NULL;
  guint lookups;

  popbell_memory_credentials_set_mode (f->credentials, POPBELL_MEMORY_CREDENTIALS_LOCKED);
  write_accounts (f, popbell_fake_server_get_port (f->server), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 1, 3000);
  g_assert_cmpstr (popbell_check_result_get_error_kind (result_at (f, 0)), ==, "keyring");
  lookups = popbell_memory_credentials_get_lookup_count (f->credentials);
  run_for (2000);
  g_assert_cmpuint (f->results->len, ==, 1);
  g_assert_cmpuint (popbell_memory_credentials_get_lookup_count (f->credentials), ==, lookups);
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==, POPBELL_NEXT_CHECK_KEYRING);

  popbell_memory_credentials_set_mode (f->credentials, POPBELL_MEMORY_CREDENTIALS_AVAILABLE);
  popbell_credentials_emit_unlocked (POPBELL_CREDENTIALS (f->credentials));
  run_until_results (f, 2, 3000);
  g_assert_true (popbell_check_result_is_ok (result_at (f, 1)));
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, 1);
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

static void
test_backoff (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountStatus) status = NULL;

  write_accounts (f, closed_port (), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 4, 12000);

  for (guint i = 0; i < f->results->len; i++)
    g_assert_cmpstr (popbell_check_result_get_error_kind (result_at (f, i)), ==, "network");
  /* 1, 2, 4 s each ±20 %: every gap longer than the one before. */
  for (guint i = 2; i < 4; i++)
    {
      gint64 before = g_array_index (f->result_times, gint64, i - 1) -
                      g_array_index (f->result_times, gint64, i - 2);
      gint64 gap = g_array_index (f->result_times, gint64, i) -
                   g_array_index (f->result_times, gint64, i - 1);

      g_test_message ("gap %.3f s after %.3f s", gap / 1e6, before / 1e6);
      g_assert_cmpint (gap, >, before);
    }
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==, POPBELL_NEXT_CHECK_BACKOFF);
  g_assert_false (popbell_account_status_needs_attention (status));
}

static void
message_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_unseen_and_operations (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) unseen = NULL;
  g_autoptr(GAsyncResult) fetched = NULL, deleted = NULL;
  g_autoptr(PopbellMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  guint checks;

  add_message (f->server, "uid-1", "0");
  write_accounts (f, popbell_fake_server_get_port (f->server), 60);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 1, 5000);
  g_assert_true (popbell_check_result_is_first_check (result_at (f, 0)));

  add_message (f->server, "uid-2", "1");
  add_message (f->server, "uid-3", "2");
  popbell_engine_check_now (f->engine);
  run_until_results (f, 2, 5000);
  g_assert_cmpuint (popbell_check_result_get_new_count (result_at (f, 1)), ==, 2);
  g_assert_cmpuint (popbell_engine_get_unseen_total (f->engine), ==, 2);

  unseen = popbell_engine_list_unseen (f->engine);
  g_assert_cmpuint (unseen->len, ==, 2);
  g_assert_cmpstr (popbell_mail_summary_get_uid (unseen->pdata[0]), ==, "uid-3");
  g_assert_cmpstr (popbell_mail_summary_get_subject (unseen->pdata[0]), ==, "Grüße uid-3");

  popbell_engine_mark_seen (f->engine, "work", "uid-3");
  g_assert_cmpuint (popbell_engine_get_unseen_total (f->engine), ==, 1);

  /* A preview requested while a check runs waits for it (one session). */
  checks = f->results->len;
  popbell_engine_check_now (f->engine);
  for (;;)
    {
      g_autoptr(PopbellAccountStatus) status = popbell_engine_dup_status (f->engine, "work");

      if (popbell_account_status_get_next_reason (status) == POPBELL_NEXT_CHECK_RUNNING)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  popbell_engine_fetch_message_async (f->engine, "work", "uid-2", FALSE, 0, NULL,
                                      message_ready, &fetched);
  while (fetched == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (f->results->len, ==, checks + 1);
  g_assert_cmpuint (popbell_fake_server_get_n_open (f->server), <=, 1);
  message = popbell_engine_fetch_message_finish (f->engine, fetched, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (popbell_message_get_subject (message), ==, "Grüße uid-2");
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "RETR*"), ==, 0);

  /* The acknowledgement survives a restart. */
  new_engine (f);
  g_assert_cmpuint (popbell_engine_get_unseen_total (f->engine), ==, 1);
  popbell_engine_start (f->engine);

  popbell_engine_delete_message_async (f->engine, "work", "uid-2", NULL, message_ready, &deleted);
  while (deleted == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (popbell_engine_delete_message_finish (f->engine, deleted, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "DELE 2"), ==, 1);
  g_assert_cmpuint (popbell_fake_server_get_n_messages (f->server), ==, 2);
  g_assert_cmpuint (popbell_engine_get_unseen_total (f->engine), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/core/engine/login-delay-schedule", test_login_delay_schedule);
  ADD ("/core/engine/auth-stops-schedule", test_auth_stops_schedule);
  ADD ("/core/engine/in-use-quiet", test_in_use_quiet);
  ADD ("/core/engine/backoff", test_backoff);
  ADD ("/core/engine/keyring-wait", test_keyring_wait);
  ADD ("/core/engine/unseen-and-operations", test_unseen_and_operations);
#undef ADD

  return g_test_run ();
}
