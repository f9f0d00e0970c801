/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The built-in source's refresh token in a locked keyring, end to end in
 * this process: the real engine, gnome-keyring on a private bus, the test
 * provider and a Dovecot that asks it. Like a password account
 * (test-engine's /core/engine/keyring-wait), the account must wait for the
 * keyring's ::unlocked and be checked as soon as it is unlocked, not be
 * held as if the user had to act. */
#include "popbell-config.h"

#include <string.h>

#include "popbell-check-result.h"
#include "popbell-engine.h"
#include "popbell-oauth2-sign-in.h"
#include "popbell-secret-credentials.h"
#include "popbell-test-oauth2.h"
#include "popbell-test-session.h"
#include "popbell-test-util.h"

#define USER "alice"

static PopbellTestSession *session;
static PopbellTestOAuth2  *provider;
static PopbellTestDovecot *dovecot;

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
open_in_test_browser (const gchar *uri, gpointer user_data)
{
  g_autofree gchar *script = g_build_filename (g_getenv ("POPBELL_SUPPORT_DIR"),
                                               "oauth2-browser.py", NULL);
  g_autoptr(GError) error = NULL;

  *(GSubprocess **) user_data = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error,
                                                  "/usr/bin/python3", script, uri, NULL);
  g_assert_no_error (error);
}

/* accounts.ini in @dir: the built-in source at the test provider, Dovecot
 * over implicit TLS. Returns the account. */
static PopbellAccount *
write_account (const gchar *path)
{
  g_auto(GStrv) settings = popbell_test_oauth2_builtin_settings (provider);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(PopbellAccountStore) store = popbell_account_store_new (path);
  g_autoptr(GError) error = NULL;

  g_string_append_printf (text, "[account mail]\nhost=127.0.0.1\nport=%u\nsecurity=tls\n"
                                "tls-ca-file=%s\nusername=" USER "\nauth=oauth2\n"
                                "interval=3600\ntimeout=10\n",
                          popbell_test_dovecot_get_tls_port (dovecot),
                          popbell_test_dovecot_get_ca_file (dovecot));
  for (guint i = 0; settings[i] != NULL; i += 2)
    g_string_append_printf (text, "%s=%s\n", settings[i], settings[i + 1]);
  g_file_set_contents (path, text->str, -1, &error);
  g_assert_no_error (error);
  g_assert_true (popbell_account_store_load (store, &error));
  return g_object_ref (popbell_account_store_lookup (store, "mail"));
}

static void
account_checked (PopbellEngine *engine, PopbellCheckResult *result, gpointer user_data)
{
  g_ptr_array_add (user_data, popbell_check_result_ref (result));
}

static gboolean
has_results (gpointer data)
{
  GPtrArray *results = ((gpointer *) data)[0];

  return results->len >= GPOINTER_TO_UINT (((gpointer *) data)[1]);
}

static void
wait_results (GPtrArray *results, guint n)
{
  gpointer data[] = { results, GUINT_TO_POINTER (n) };

  g_assert_true (popbell_test_iterate_until (has_results, data, 30000));
}

static void
test_locked_then_unlocked (void)
{
  g_autofree gchar *dir = popbell_test_oauth2_scratch_new ();
  g_autofree gchar *accounts = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree gchar *state = g_build_filename (dir, "state", NULL);
  g_autoptr(PopbellAccount) account = write_account (accounts);
  g_autoptr(PopbellCredentials) refresh_tokens = popbell_secret_credentials_new_oauth2 ();
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_check_result_unref);
  g_autoptr(PopbellAccountStatus) status = NULL;
  g_autoptr(PopbellEngine) engine = NULL;
  g_autoptr(GAsyncResult) signed_in = NULL;
  g_autoptr(GSubprocess) browser = NULL;
  g_autoptr(GError) error = NULL;
  guint refreshes;

  /* Signed in while the keyring was open: the refresh token is in it. */
  popbell_oauth2_sign_in_async (account, refresh_tokens, FALSE, open_in_test_browser, &browser,
                                NULL, store_result, &signed_in);
  while (signed_in == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (popbell_oauth2_sign_in_finish (signed_in, &error));
  g_assert_no_error (error);
  g_subprocess_wait (browser, NULL, NULL);

  /* The session locks; Popbell starts. */
  g_assert_true (popbell_test_session_lock (session, &error));
  g_assert_no_error (error);
  engine = popbell_engine_new_full (accounts, state, NULL);
  g_signal_connect (engine, "account-checked", G_CALLBACK (account_checked), results);
  g_assert_true (popbell_engine_load (engine, &error));
  popbell_engine_start (engine);
  wait_results (results, 1);
  g_assert_cmpstr (popbell_check_result_get_error_kind (results->pdata[0]), ==, "keyring");
  /* Waiting for the keyring, no timer, not held. */
  status = popbell_engine_dup_status (engine, "mail");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==,
                   POPBELL_NEXT_CHECK_KEYRING);

  /* The user unlocks: checked at once, with the refresh token. */
  refreshes = popbell_test_oauth2_count (provider, "token-refresh");
  g_assert_true (popbell_test_session_unlock (session, NULL, &error));
  g_assert_no_error (error);
  wait_results (results, 2);
  g_assert_true (popbell_check_result_is_ok (results->pdata[1]));
  g_assert_cmpuint (popbell_test_oauth2_count (provider, "token-refresh"), ==, refreshes + 1);

  popbell_engine_stop (engine);
  popbell_test_oauth2_scratch_free (g_steal_pointer (&dir));
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_setenv ("POPBELL_NO_SYSTEM_BUS", "1", TRUE);
  session = popbell_test_session_new (POPBELL_TEST_SECRETS_UNLOCKED, 0, &error);
  if (session == NULL)
    return popbell_test_session_skip_program (error);

  g_test_add_func ("/oauth2/keyring/locked-then-unlocked", test_locked_then_unlocked);

  status = popbell_test_oauth2_run_with_dovecot (USER, &provider, &dovecot);
  popbell_test_session_free (session);
  return status;
}
