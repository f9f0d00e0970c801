/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The OAuth 2.0 token sources without a POP3 server: the command source
 * against real commands, the built-in sign-in and refresh against the test
 * provider (tests/support/oauth2-server.py) with its browser script, and
 * the pure helpers (PKCE, chunked bodies, settings checks). */
#include "popbell-config.h"

#include <stdarg.h>
#include <string.h>
#include <glib/gstdio.h>

#include "popbell-error.h"
#include "popbell-memory-credentials.h"
#include "popbell-oauth2-builtin.h"
#include "popbell-oauth2-http.h"
#include "popbell-oauth2-sign-in.h"
#include "popbell-oauth2-token-source.h"
#include "popbell-test-oauth2.h"
#include "popbell-test-util.h"

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* The command source of account "work" with @command. */
static PopbellTokenSource *
command_source (const gchar *command)
{
  g_autoptr(PopbellMemoryCredentials) store = popbell_memory_credentials_new ();
  g_autoptr(PopbellAccount) account = popbell_account_new ("work");
  g_autoptr(GError) error = NULL;
  PopbellTokenSource *source;

  popbell_account_set_host (account, "pop.example.test");
  popbell_account_set_username (account, "alice");
  popbell_account_set_oauth2 (account, "oauth2-source", "command");
  popbell_account_set_oauth2 (account, "oauth2-command", command);
  source = popbell_token_source_new_for_account (account, POPBELL_CREDENTIALS (store), &error);
  g_assert_no_error (error);
  return source;
}

/* The token, or NULL with @error. */
static gchar *
get_token (PopbellTokenSource *source, gboolean renew, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_token_source_get_token_async (source, renew, NULL, store_result, &result);
  return popbell_token_source_get_token_finish (source, wait_result (&result), error);
}

/* The command must fail: NULL, a CONFIG error; returns its message. (transfer full) */
static gchar *
command_error_message (const gchar *command)
{
  g_autoptr(PopbellTokenSource) source = command_source (command);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = get_token (source, FALSE, &error);

  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  return g_strdup (error->message);
}

static void
test_command_first_line (void)
{
  g_autoptr(PopbellTokenSource) source =
    command_source ("sh -c 'printf \"tok-1 \\r\\nsecond line\\n\"'");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = get_token (source, FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "tok-1");
}

/* No shell: a ';' in the command is an argument, not a second command. */
static void
test_command_no_shell (void)
{
  g_autoptr(PopbellTokenSource) source = command_source ("echo 'a;b' ; echo c");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = get_token (source, FALSE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "a;b ; echo c");
}

/* A renewal tells the helper (POPBELL_OAUTH2_RENEW=1); a normal call does not. */
static void
test_command_renew (void)
{
  g_autoptr(PopbellTokenSource) source =
    command_source ("sh -c 'echo \"t-${POPBELL_OAUTH2_RENEW:-0}-$POPBELL_ACCOUNT\"'");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *first = get_token (source, FALSE, &error);
  g_autofree gchar *second = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "t-0-work");
  second = get_token (source, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, "t-1-work");
}

static void
test_command_fails (void)
{
  g_autofree gchar *message =
    command_error_message ("sh -c 'echo token-on-stdout; echo \"oama: no refresh token\" >&2; "
                           "echo more >&2; exit 3'");

  g_assert_nonnull (strstr (message, "“work”"));
  g_assert_nonnull (strstr (message, "exit status 3"));
  g_assert_nonnull (strstr (message, "oama: no refresh token"));
  g_assert_null (strstr (message, "more"));
  /* What a failing helper printed on stdout may be a token: never shown. */
  g_assert_null (strstr (message, "token-on-stdout"));
}

static void
test_command_empty (void)
{
  g_autofree gchar *message = command_error_message ("true");

  g_assert_nonnull (strstr (message, "no access token"));
}

static void
test_command_missing (void)
{
  g_autofree gchar *message = command_error_message ("/nonexistent/token-helper --x");

  g_assert_nonnull (strstr (message, "/nonexistent/token-helper"));
}

/* Cancelling stops the helper at once rather than waiting for it. */
static void
test_command_cancel (void)
{
  g_autoptr(PopbellTokenSource) source = command_source ("sleep 60");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;
  gint64 start = g_get_monotonic_time ();

  popbell_token_source_get_token_async (source, FALSE, cancellable, store_result, &result);
  g_cancellable_cancel (cancellable);
  token = popbell_token_source_get_token_finish (source, wait_result (&result), &error);
  g_assert_null (token);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static void
test_check_account (void)
{
  g_autoptr(PopbellAccount) account = popbell_account_new ("work");
  g_autoptr(GError) error = NULL;

  g_assert_false (popbell_oauth2_check_account (account, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "oauth2-source"));
  g_clear_error (&error);

  popbell_account_set_oauth2 (account, "oauth2-source", "command");
  popbell_account_set_oauth2 (account, "oauth2-command", "helper 'unbalanced");
  g_assert_false (popbell_oauth2_check_account (account, &error));
  g_assert_nonnull (strstr (error->message, "oauth2-command"));
  g_clear_error (&error);

  popbell_account_set_oauth2 (account, "oauth2-source", "goa");
  g_assert_false (popbell_oauth2_check_account (account, &error));
  g_assert_nonnull (strstr (error->message, "oauth2-goa-id"));
  g_clear_error (&error);

  popbell_account_set_oauth2 (account, "oauth2-source", "builtin");
  popbell_account_set_oauth2 (account, "oauth2-provider", "google");
  g_assert_false (popbell_oauth2_check_account (account, &error));
  g_assert_nonnull (strstr (error->message, "oauth2-client-id"));
  g_clear_error (&error);
  popbell_account_set_oauth2 (account, "oauth2-client-id", "123.apps.example");
  g_assert_true (popbell_oauth2_check_account (account, &error));
  g_assert_no_error (error);

  /* custom endpoints: https, or http only to 127.0.0.1 */
  popbell_account_set_oauth2 (account, "oauth2-provider", "custom");
  popbell_account_set_oauth2 (account, "oauth2-auth-url", "http://idp.example.test/authorize");
  g_assert_false (popbell_oauth2_check_account (account, &error));
  g_assert_nonnull (strstr (error->message, "oauth2-auth-url"));
  g_clear_error (&error);
  popbell_account_set_oauth2 (account, "oauth2-auth-url", "https://idp.example.test/authorize");
  popbell_account_set_oauth2 (account, "oauth2-token-url", "http://127.0.0.1:9/token");
  popbell_account_set_oauth2 (account, "oauth2-scope", "pop");
  g_assert_true (popbell_oauth2_check_account (account, &error));
}

/* accounts.ini: the oauth2-* keys load, count in the settings digest only
 * when set, and survive a rewrite by the preferences (only changed keys
 * are written; a comment stays). */
static void
test_account_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("popbell-oauth2-XXXXXX", &error);
  g_autofree gchar *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autoptr(PopbellAccountStore) store = popbell_account_store_new (path);
  g_autoptr(PopbellAccountStore) again = popbell_account_store_new (path);
  g_autoptr(PopbellAccount) edited = NULL;
  g_autoptr(PopbellAccount) plain = popbell_account_new ("plain");
  g_autoptr(PopbellAccount) plain_copy = NULL;
  g_autofree gchar *data = NULL;
  g_autofree gchar *digest_before = NULL;
  g_autofree gchar *digest_after = NULL;
  g_autofree gchar *plain_digest = NULL;
  g_autofree gchar *plain_copy_digest = NULL;
  PopbellAccount *account;

  g_assert_no_error (error);
  g_file_set_contents (path,
                       "[account gmail]\nhost=pop.gmail.com\nusername=alice@gmail.com\n"
                       "auth=oauth2\n# my helper\noauth2-source=command\n"
                       "oauth2-command=oama access alice@gmail.com\n", -1, &error);
  g_assert_no_error (error);
  g_assert_true (popbell_account_store_load (store, &error));
  g_assert_no_error (error);
  account = popbell_account_store_lookup (store, "gmail");
  g_assert_cmpstr (popbell_account_auth_to_string (popbell_account_get_auth (account)), ==,
                   "oauth2");
  g_assert_cmpstr (popbell_account_get_oauth2 (account, "oauth2-source"), ==, "command");
  g_assert_cmpstr (popbell_account_get_oauth2 (account, "oauth2-command"), ==,
                   "oama access alice@gmail.com");
  g_assert_null (popbell_account_get_oauth2 (account, "oauth2-goa-id"));
  g_assert_true (popbell_account_validate (account, &error));

  /* Another command is another login: it lifts an auth hold. */
  digest_before = popbell_account_dup_settings_digest (account);
  edited = popbell_account_copy (account);
  popbell_account_set_oauth2 (edited, "oauth2-command", "oama access alice@example.org");
  digest_after = popbell_account_dup_settings_digest (edited);
  g_assert_cmpstr (digest_before, !=, digest_after);
  /* An account without OAuth 2.0 settings keeps its digest through a copy. */
  popbell_account_set_host (plain, "pop.example.org");
  plain_digest = popbell_account_dup_settings_digest (plain);
  plain_copy = popbell_account_copy (plain);
  plain_copy_digest = popbell_account_dup_settings_digest (plain_copy);
  g_assert_cmpstr (plain_digest, ==, plain_copy_digest);

  popbell_account_store_put (store, edited);
  g_assert_true (popbell_account_store_save (store, &error));
  g_assert_no_error (error);
  g_file_get_contents (path, &data, NULL, &error);
  g_assert_nonnull (strstr (data, "# my helper\noauth2-source=command\n"));
  g_assert_nonnull (strstr (data, "oauth2-command=oama access alice@example.org\n"));
  g_assert_true (popbell_account_store_load (again, &error));
  g_assert_cmpstr (popbell_account_get_oauth2 (popbell_account_store_lookup (again, "gmail"),
                                               "oauth2-command"),
                   ==, "oama access alice@example.org");

  /* auth=oauth2 without a source is a configuration error naming the key. */
  popbell_account_set_oauth2 (edited, "oauth2-source", NULL);
  g_assert_false (popbell_account_validate (edited, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "oauth2-source"));

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_url_allowed (void)
{
  g_assert_true (popbell_oauth2_http_url_allowed ("https://oauth2.googleapis.com/token"));
  g_assert_true (popbell_oauth2_http_url_allowed ("http://127.0.0.1:8080/token"));
  g_assert_false (popbell_oauth2_http_url_allowed ("http://localhost:8080/token"));
  g_assert_false (popbell_oauth2_http_url_allowed ("http://oauth2.googleapis.com/token"));
  g_assert_false (popbell_oauth2_http_url_allowed ("ftp://127.0.0.1/token"));
  g_assert_false (popbell_oauth2_http_url_allowed ("not a url"));
  g_assert_false (popbell_oauth2_http_url_allowed (NULL));
}

/* RFC 7636 Appendix B. */
static void
test_pkce_challenge (void)
{
  g_autofree gchar *challenge =
    popbell_oauth2_pkce_challenge ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");

  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

static void
test_dechunk (void)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const gchar *good = "5\r\n{\"a\":\r\n3;ext=1\r\n 1}\r\n0\r\n\r\n";

  g_assert_true (popbell_oauth2_http_dechunk (good, strlen (good), out));
  g_assert_cmpmem (out->data, out->len, "{\"a\": 1}", 8);
  g_byte_array_set_size (out, 0);
  /* incomplete, lying sizes, garbage: refused, never read beyond */
  g_assert_false (popbell_oauth2_http_dechunk ("5\r\nab", 6, out));
  g_assert_false (popbell_oauth2_http_dechunk ("ffffffffffffffff\r\nab\r\n", 22, out));
  g_assert_false (popbell_oauth2_http_dechunk ("zz\r\n", 4, out));
  g_assert_false (popbell_oauth2_http_dechunk ("", 0, out));
}

/* --- the built-in sign-in against the test provider ----------------------- */

/* Each test: a fresh provider whose access tokens live @data seconds, an
 * empty keyring and the account "gmail" that signs in there. */
typedef struct {
  PopbellTestOAuth2        *provider;  /* (nullable) NULL: skipped */
  PopbellMemoryCredentials *store;
  PopbellAccount           *account;   /* (nullable) with the provider */
  PopbellTestTokenEndpoint *endpoint;  /* (nullable) see use_scripted_endpoint() */
} Builtin;

static void
builtin_setup (Builtin *f, gconstpointer data)
{
  f->provider = popbell_test_oauth2_start ("alice", GPOINTER_TO_UINT (data));
  f->store = popbell_memory_credentials_new ();
  if (f->provider != NULL)
    {
      g_auto(GStrv) settings = popbell_test_oauth2_builtin_settings (f->provider);

      f->account = popbell_account_new ("gmail");
      popbell_account_set_host (f->account, "127.0.0.1");
      popbell_account_set_username (f->account, "alice");
      for (guint i = 0; settings[i] != NULL; i += 2)
        popbell_account_set_oauth2 (f->account, settings[i], settings[i + 1]);
    }
}

static void
builtin_teardown (Builtin *f, gconstpointer data)
{
  g_clear_object (&f->account);
  g_clear_object (&f->store);
  g_clear_pointer (&f->endpoint, popbell_test_token_endpoint_free);
  g_clear_pointer (&f->provider, popbell_test_oauth2_stop);
}

/* The account's token source, on the fixture's keyring. */
static PopbellTokenSource *
builtin_source (Builtin *f)
{
  g_autoptr(GError) error = NULL;
  PopbellTokenSource *source =
    popbell_token_source_new_for_account (f->account, POPBELL_CREDENTIALS (f->store), &error);

  g_assert_no_error (error);
  return source;
}

/* The browser: the test script, started on the address the sign-in shows. */
static GSubprocess *
spawn_browser (const gchar *uri)
{
  g_autofree gchar *script = g_build_filename (g_getenv ("POPBELL_SUPPORT_DIR"),
                                               "oauth2-browser.py", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *browser = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "/usr/bin/python3",
                                           script, uri, NULL);

  g_assert_no_error (error);
  return browser;
}

static void
open_in_test_browser (const gchar *uri, gpointer user_data)
{
  *(GSubprocess **) user_data = spawn_browser (uri);
}

static gboolean
sign_in (Builtin *f, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GSubprocess) browser = NULL;
  gboolean ok;

  popbell_oauth2_sign_in_async (f->account, POPBELL_CREDENTIALS (f->store), FALSE,
                                open_in_test_browser, &browser, NULL, store_result, &result);
  ok = popbell_oauth2_sign_in_finish (wait_result (&result), error);
  if (browser != NULL)
    g_subprocess_wait (browser, NULL, NULL);
  return ok;
}

static void
test_builtin_sign_in_and_refresh (Builtin *f, gconstpointer data)
{
  g_autoptr(PopbellTokenSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *first = NULL;
  g_autofree gchar *again = NULL;
  g_autofree gchar *renewed = NULL;

  if (f->provider == NULL)
    return;

  /* Before the sign-in: a clear AUTH error naming the remedy. */
  source = builtin_source (f);
  first = get_token (source, FALSE, &error);
  g_assert_null (first);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "popbell --sign-in gmail"));
  g_clear_error (&error);

  g_assert_true (sign_in (f, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "authorize"), ==, 1);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "token-code"), ==, 1);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "bad-verifier"), ==, 0);

  /* The refresh token buys an access token; it is then kept in memory. */
  first = get_token (source, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (first, "at-"));
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "token-refresh"), ==, 1);
  again = get_token (source, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, first);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "token-refresh"), ==, 1);

  /* A rejected token: renewed with the refresh token, no browser. */
  renewed = get_token (source, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (renewed, !=, first);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "token-refresh"), ==, 2);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "authorize"), ==, 1);
}

/* An access token that expires (lifetime below the margin) is refreshed
 * before use, not sent to be rejected. */
static void
test_builtin_expired (Builtin *f, gconstpointer data)
{
  g_autoptr(PopbellTokenSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *first = NULL;
  g_autofree gchar *second = NULL;

  if (f->provider == NULL)
    return;
  g_assert_true (sign_in (f, &error));
  source = builtin_source (f);
  first = get_token (source, FALSE, &error);
  g_assert_no_error (error);
  second = get_token (source, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, !=, second);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "token-refresh"), ==, 2);
}

/* A revoked sign-in (the provider forgot the refresh token) is AUTH with
 * the remedy, not a network error retried forever. */
static void
test_builtin_revoked (Builtin *f, gconstpointer data)
{
  g_autoptr(PopbellTokenSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;

  if (f->provider == NULL)
    return;
  popbell_memory_credentials_set (f->store, "127.0.0.1", "alice", "rt-unknown-to-the-provider");
  source = builtin_source (f);
  token = get_token (source, FALSE, &error);
  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "popbell --sign-in gmail"));
  g_assert_null (strstr (error->message, "rt-unknown"));
}

/* A stray request to the loopback port (wrong state) does not end the
 * sign-in; the real redirect still does. The stray one goes first; the
 * real one once it was answered. */
typedef struct {
  gchar       *uri;       /* the real sign-in address */
  GSubprocess *browser;   /* the real one */
} StrayRun;

static void
stray_answered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StrayRun *run = user_data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  g_object_unref (source);
  run->browser = spawn_browser (run->uri);
}

static void
open_stray_then_real (const gchar *uri, gpointer user_data)
{
  StrayRun *run = user_data;
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GHashTable) params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&",
                                                     G_URI_PARAMS_NONE, NULL);
  g_autofree gchar *stray = g_strdup_printf ("%s?code=forged&state=not-ours",
                                             (gchar *) g_hash_table_lookup (params,
                                                                            "redirect_uri"));

  run->uri = g_strdup (uri);
  g_subprocess_wait_async (spawn_browser (stray), NULL, stray_answered, run);
}

static void
test_builtin_state_checked (Builtin *f, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  StrayRun run = { 0 };

  if (f->provider == NULL)
    return;
  popbell_oauth2_sign_in_async (f->account, POPBELL_CREDENTIALS (f->store), FALSE,
                                open_stray_then_real, &run, NULL, store_result, &result);
  g_assert_true (popbell_oauth2_sign_in_finish (wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_nonnull (run.browser);
  g_subprocess_wait (run.browser, NULL, NULL);
  g_object_unref (run.browser);
  g_free (run.uri);
  /* only the real code was exchanged */
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "token-code"), ==, 1);
  g_assert_cmpuint (popbell_test_oauth2_count (f->provider, "token-bad-code"), ==, 0);
}

/* --- answers the test provider never gives: a scripted token endpoint ----- */

/* From now on the account's tokens come from a scripted endpoint, which
 * first gives the @n answers (HTTP 200, JSON) that follow. */
static void
use_scripted_endpoint (Builtin *f, guint n, ...)
{
  g_autofree gchar *url = NULL;
  va_list answers;

  f->endpoint = popbell_test_token_endpoint_new ();
  url = popbell_test_token_endpoint_url (f->endpoint);
  popbell_account_set_oauth2 (f->account, "oauth2-token-url", url);
  va_start (answers, n);
  for (guint i = 0; i < n; i++)
    popbell_test_token_endpoint_answer (f->endpoint, 200, va_arg (answers, const gchar *));
  va_end (answers);
}

/* The account's refresh token in the fixture's keyring, or NULL. */
static gchar *
kept_refresh_token (Builtin *f)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_credentials_lookup_async (POPBELL_CREDENTIALS (f->store), "127.0.0.1", "alice", NULL,
                                    store_result, &result);
  return popbell_credentials_lookup_finish (POPBELL_CREDENTIALS (f->store),
                                            wait_result (&result), NULL);
}

/* RFC 6749 §6: a refresh that brings a new refresh token replaces the old
 * one in the keyring, and the next refresh uses it. */
static void
test_builtin_rotation (Builtin *f, gconstpointer data)
{
  g_autoptr(PopbellTokenSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *first = NULL, *second = NULL;
  g_autofree gchar *form = NULL, *form2 = NULL;
  g_autofree gchar *kept = NULL, *still = NULL;

  if (f->provider == NULL)
    return;
  use_scripted_endpoint (f, 2,
                         "{\"access_token\": \"at-1\", \"expires_in\": 3600, "
                         "\"refresh_token\": \"rt-new\"}",
                         "{\"access_token\": \"at-2\"}");
  popbell_memory_credentials_set (f->store, "127.0.0.1", "alice", "rt-old");
  source = builtin_source (f);

  first = get_token (source, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "at-1");
  form = popbell_test_token_endpoint_dup_form (f->endpoint, 0);
  g_assert_nonnull (strstr (form, "grant_type=refresh_token"));
  g_assert_nonnull (strstr (form, "refresh_token=rt-old"));
  kept = kept_refresh_token (f);
  g_assert_cmpstr (kept, ==, "rt-new");

  /* No new one this time: the rotated one stays, and was the one sent. */
  second = get_token (source, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second, ==, "at-2");
  form2 = popbell_test_token_endpoint_dup_form (f->endpoint, 1);
  g_assert_nonnull (strstr (form2, "refresh_token=rt-new"));
  still = kept_refresh_token (f);
  g_assert_cmpstr (still, ==, "rt-new");
}

/* A sign-in that yields no refresh token could never check again: AUTH,
 * naming the scope, and nothing kept. */
static void
test_sign_in_no_refresh_token (Builtin *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *form = NULL;
  g_autofree gchar *kept = NULL;

  if (f->provider == NULL)
    return;
  use_scripted_endpoint (f, 1, "{\"access_token\": \"at-1\"}");
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "gave no refresh token"));
  form = popbell_test_token_endpoint_dup_form (f->endpoint, 0);
  g_assert_nonnull (strstr (form, "grant_type=authorization_code"));
  kept = kept_refresh_token (f);
  g_assert_null (kept);
}

/* The refresh token cannot be kept (the keyring is locked): the sign-in
 * fails with the keyring's reason rather than pretending it worked. */
static void
test_sign_in_keyring_locked (Builtin *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  if (f->provider == NULL)
    return;
  use_scripted_endpoint (f, 1, "{\"access_token\": \"at-1\", \"refresh_token\": \"rt-1\"}");
  popbell_memory_credentials_set_mode (f->store, POPBELL_MEMORY_CREDENTIALS_LOCKED);
  g_assert_false (sign_in (f, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "keyring is locked"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/oauth2/command/first-line", test_command_first_line);
  g_test_add_func ("/oauth2/command/no-shell", test_command_no_shell);
  g_test_add_func ("/oauth2/command/renew", test_command_renew);
  g_test_add_func ("/oauth2/command/fails", test_command_fails);
  g_test_add_func ("/oauth2/command/empty", test_command_empty);
  g_test_add_func ("/oauth2/command/missing", test_command_missing);
  g_test_add_func ("/oauth2/command/cancel", test_command_cancel);
  g_test_add_func ("/oauth2/settings/check", test_check_account);
  g_test_add_func ("/oauth2/settings/account-file", test_account_file);
  g_test_add_func ("/oauth2/http/url-allowed", test_url_allowed);
  g_test_add_func ("/oauth2/http/dechunk", test_dechunk);
  g_test_add_func ("/oauth2/pkce/challenge", test_pkce_challenge);
#define ADD_BUILTIN(path, func, lifetime) \
  g_test_add ("/oauth2/builtin/" path, Builtin, GUINT_TO_POINTER (lifetime), builtin_setup, func, \
              builtin_teardown)
  ADD_BUILTIN ("sign-in-and-refresh", test_builtin_sign_in_and_refresh, 3600);
  ADD_BUILTIN ("expired", test_builtin_expired, 30);
  ADD_BUILTIN ("revoked", test_builtin_revoked, 3600);
  ADD_BUILTIN ("state-checked", test_builtin_state_checked, 3600);
  ADD_BUILTIN ("rotation", test_builtin_rotation, 3600);
  ADD_BUILTIN ("no-refresh-token", test_sign_in_no_refresh_token, 3600);
  ADD_BUILTIN ("keyring-locked", test_sign_in_keyring_locked, 3600);
#undef ADD_BUILTIN
  return g_test_run ();
}
