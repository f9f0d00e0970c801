/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* auth=oauth2 end to end: the real `popbell` binary ($POPBELL_BIN) in a
 * private session (XDG dirs, bus, gnome-keyring, a browser registered for
 * http URLs), a private Dovecot that does the SASL (XOAUTH2, OAUTHBEARER)
 * itself and asks the test provider (tests/support/oauth2-server.py) whether
 * a token is good, over implicit TLS with the test certificate. */
#include "popbell-config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "popbell-test-dovecot.h"
#include "popbell-test-oauth2.h"
#include "popbell-test-session.h"
#include "popbell-test-util.h"

#define USER "alice"

static PopbellTestSession *session;
static PopbellTestOAuth2  *provider;
static PopbellTestDovecot *dovecot;
static gchar              *scratch;   /* the tests' own files (helper scripts) */

static gchar *
browser_log (void)
{
  return g_build_filename (scratch, "browser.log", NULL);
}

static void
write_accounts (const gchar *oauth2_lines)
{
  g_autofree gchar *dir = g_build_filename (g_get_user_config_dir (), "popbell", NULL);
  g_autofree gchar *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error = NULL;

  text = g_strdup_printf ("[account mail]\nhost=127.0.0.1\nport=%u\nsecurity=tls\n"
                          "tls-ca-file=%s\nusername=" USER "\nauth=oauth2\ninterval=60\n"
                          "timeout=10\n%s",
                          popbell_test_dovecot_get_tls_port (dovecot),
                          popbell_test_dovecot_get_ca_file (dovecot), oauth2_lines);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

/* Forget what an earlier test taught the state (holds, baselines). */
static void
reset_state (void)
{
  g_autofree gchar *dir = g_build_filename (g_get_user_state_dir (), "popbell", NULL);
  g_autofree gchar *command = g_strdup_printf ("rm -rf '%s'", dir);

  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
}

/* Runs popbell with the protocol trace on; returns the exit status. */
static gint
run_popbell (const gchar * const *args, gchar **out, gchar **err)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *log = browser_log ();
  gint status;

  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "popbell", TRUE);
  g_subprocess_launcher_setenv (launcher, "POPBELL_TEST_BROWSER_LOG", log, TRUE);
  g_subprocess_launcher_setenv (launcher, "POPBELL_NO_SYSTEM_BUS", "1", TRUE);
  if (g_getenv ("ASAN_OPTIONS") != NULL)
    {
      /* LeakSanitizer's own tracer thread crashes now and then at the exit
       * of this child ("Tracer caught signal 11", with the full unwinding
       * CI needs for GLib), failing the test for no fault of Popbell's. The
       * token sources' leaks are checked in-process by test-oauth2 and
       * test-oauth2-goa; here ASan still checks every access. */
      g_autofree gchar *asan = g_strconcat (g_getenv ("ASAN_OPTIONS"), ":detect_leaks=0", NULL);

      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", asan, TRUE);
    }
  g_ptr_array_add (argv, (gpointer) g_getenv ("POPBELL_BIN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const gchar * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  /* What it printed first: a crash is then explained in the log. */
  g_test_message ("popbell %s → %s %d\nstdout: %s\nstderr: %s", args[0],
                  g_subprocess_get_if_exited (process) ? "exit" : "signal",
                  g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                       : g_subprocess_get_term_sig (process),
                  *out, *err);
  g_assert_true (g_subprocess_get_if_exited (process));
  status = g_subprocess_get_exit_status (process);
  return status;
}

/* Runs --check-once --json; returns the account's JSON object (owned by
 * *@parser) and the output for secret searches. */
static JsonObject *
check_once (JsonParser **parser, gchar **out, gchar **err)
{
  const gchar *args[] = { "--check-once", "--json", NULL };
  g_autoptr(GError) error = NULL;
  JsonObject *root;

  run_popbell (args, out, err);
  *parser = json_parser_new ();
  json_parser_load_from_data (*parser, *out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (*parser));
  return json_array_get_object_element (json_object_get_array_member (root, "accounts"), 0);
}

static const gchar *
error_kind (JsonObject *account)
{
  if (json_object_get_boolean_member (account, "ok"))
    return "none";
  return json_object_get_string_member (json_object_get_object_member (account, "error"), "kind");
}

/* @secret appears in no file under the session directory (config, state,
 * cache, data, the keyring's own file is encrypted) nor in @texts. */
static void
assert_secret_nowhere (const gchar *secret, const gchar * const *texts)
{
  g_autoptr(GError) error = NULL;
  gint status = 0;
  const gchar *argv[] = { "grep", "-rqF", "--", secret, popbell_test_session_get_dir (session),
                          NULL };

  for (guint i = 0; texts[i] != NULL; i++)
    g_assert_null (strstr (texts[i], secret));
  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                &status, &error);
  g_assert_no_error (error);
  /* grep: 1 = not found */
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
}

/* accounts.ini with the command source, and a fresh state. The command
 * is a token helper that prints line N of @tokens on its N-th run (the
 * last line from then on) and counts its runs in scratch/runs. */
static void
use_command (const gchar *tokens)
{
  g_autofree gchar *list = g_build_filename (scratch, "tokens.txt", NULL);
  g_autofree gchar *runs = g_build_filename (scratch, "runs", NULL);
  g_autofree gchar *script = g_build_filename (scratch, "token-helper.sh", NULL);
  g_autofree gchar *lines = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (list, tokens, -1, &error);
  g_assert_no_error (error);
  g_unlink (runs);
  g_file_set_contents (script,
                       "#!/bin/sh\n"
                       "dir=$(dirname \"$0\")\n"
                       "echo run >> \"$dir/runs\"\n"
                       "n=$(wc -l < \"$dir/runs\")\n"
                       "total=$(wc -l < \"$dir/tokens.txt\")\n"
                       "[ \"$n\" -gt \"$total\" ] && n=$total\n"
                       "sed -n \"${n}p\" \"$dir/tokens.txt\"\n", -1, &error);
  g_assert_no_error (error);
  lines = g_strdup_printf ("oauth2-source=command\noauth2-command=sh %s\n", script);
  write_accounts (lines);
  reset_state ();
}

static guint
helper_runs (void)
{
  g_autofree gchar *runs = g_build_filename (scratch, "runs", NULL);
  g_autofree gchar *data = NULL;
  guint n = 0;

  if (!g_file_get_contents (runs, &data, NULL, NULL))
    return 0;
  for (const gchar *p = data; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

/* --- command ------------------------------------------------------------- */

static void
test_command_ok (void)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *account;

  popbell_test_oauth2_add_token (provider, "cmd-token-ok-4711", USER);
  use_command ("cmd-token-ok-4711\n");

  account = check_once (&parser, &out, &err);
  g_assert_cmpstr (error_kind (account), ==, "none");
  g_assert_cmpint (json_object_get_int_member (account, "messages"), ==, 3);
  g_assert_cmpuint (helper_runs (), ==, 1);
  {
    const gchar *texts[] = { out, err, NULL };
    assert_secret_nowhere ("cmd-token-ok-4711", texts);
  }
}

/* The first token is stale: Dovecot rejects it, the command runs once more
 * (POPBELL_OAUTH2_RENEW=1) and the second one logs in, in one check. */
static void
test_command_expired (void)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *account;

  popbell_test_oauth2_add_token (provider, "cmd-token-fresh", USER);
  use_command ("cmd-token-stale\ncmd-token-fresh\n");

  account = check_once (&parser, &out, &err);
  g_assert_cmpstr (error_kind (account), ==, "none");
  g_assert_cmpuint (helper_runs (), ==, 2);
  {
    const gchar *texts[] = { out, err, NULL };
    assert_secret_nowhere ("cmd-token-stale", texts);
    assert_secret_nowhere ("cmd-token-fresh", texts);
  }
}

/* Rejected twice: `auth`, the command ran twice, not more (no loop); the
 * next check is held without connecting or running the command. */
static void
test_command_rejected (void)
{
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *out2 = NULL, *err2 = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonParser) parser2 = NULL;
  JsonObject *account;
  guint rejected;

  use_command ("cmd-token-never-good\n");

  rejected = popbell_test_oauth2_count (provider, "introspect-fail");
  account = check_once (&parser, &out, &err);
  g_assert_cmpstr (error_kind (account), ==, "auth");
  g_assert_cmpuint (helper_runs (), ==, 2);
  g_assert_cmpuint (popbell_test_oauth2_count (provider, "introspect-fail"), ==, rejected + 2);

  account = check_once (&parser2, &out2, &err2);
  g_assert_cmpstr (error_kind (account), ==, "auth");
  g_assert_cmpuint (helper_runs (), ==, 2);
  g_assert_cmpuint (popbell_test_oauth2_count (provider, "introspect-fail"), ==, rejected + 2);
  {
    const gchar *texts[] = { out, err, out2, err2, NULL };
    assert_secret_nowhere ("cmd-token-never-good", texts);
  }
}

/* --- builtin ------------------------------------------------------------- */

/* The lines of popbell_test_oauth2_builtin_settings(). (transfer full) */
static gchar *
builtin_lines (void)
{
  g_auto(GStrv) settings = popbell_test_oauth2_builtin_settings (provider);
  GString *lines = g_string_new (NULL);

  for (guint i = 0; settings[i] != NULL; i += 2)
    g_string_append_printf (lines, "%s=%s\n", settings[i], settings[i + 1]);
  return g_string_free (lines, FALSE);
}

static gchar *
stored_refresh_token (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = NULL;
  gint status = 0;
  const gchar *argv[] = { "secret-tool", "lookup", "xdg:schema", "io.github.popbell.OAuth2",
                          "host", "127.0.0.1", "user", USER, NULL };

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                &status, &error);
  g_assert_no_error (error);
  return status == 0 && out != NULL && *out != '\0' ? g_strchomp (g_steal_pointer (&out)) : NULL;
}

static guint
browser_opened (void)
{
  g_autofree gchar *log = browser_log ();
  g_autofree gchar *data = NULL;
  guint n = 0;

  if (!g_file_get_contents (log, &data, NULL, NULL))
    return 0;
  for (const gchar *p = data; (p = strstr (p, "opened 200")) != NULL; p++)
    n++;
  return n;
}

static void
test_builtin (void)
{
  const gchar *sign_in[] = { "--sign-in", "mail", NULL };
  g_autofree gchar *lines = builtin_lines ();
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *out2 = NULL, *err2 = NULL;
  g_autofree gchar *out3 = NULL, *err3 = NULL;
  g_autofree gchar *refresh = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonParser) parser2 = NULL;
  JsonObject *account;
  guint refreshes;
  g_autofree gchar *authorize = NULL;

  write_accounts (lines);
  reset_state ();

  /* Not signed in yet: auth, with the remedy. */
  account = check_once (&parser, &out, &err);
  g_assert_cmpstr (error_kind (account), ==, "auth");
  g_assert_nonnull (strstr (out, "--sign-in mail"));

  g_assert_cmpint (run_popbell (sign_in, &out2, &err2), ==, 0);
  authorize = popbell_test_oauth2_url (provider, "/authorize?");
  g_assert_nonnull (strstr (out2, authorize));
  g_assert_cmpuint (browser_opened (), ==, 1);
  g_assert_cmpuint (popbell_test_oauth2_count (provider, "bad-verifier"), ==, 0);
  refresh = stored_refresh_token ();
  g_assert_nonnull (refresh);
  g_assert_true (g_str_has_prefix (refresh, "rt-"));

  /* Later checks refresh without the browser. */
  refreshes = popbell_test_oauth2_count (provider, "token-refresh");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  account = check_once (&parser2, &out3, &err3);
  g_assert_cmpstr (error_kind (account), ==, "none");
  g_assert_cmpint (json_object_get_int_member (account, "messages"), ==, 3);
  g_assert_cmpuint (popbell_test_oauth2_count (provider, "token-refresh"), ==, refreshes + 1);
  g_assert_cmpuint (browser_opened (), ==, 1);
  {
    const gchar *texts[] = { out2, err2, out3, err3, NULL };
    assert_secret_nowhere (refresh, texts);
  }
}

/* --- XOAUTH2 -------------------------------------------------------------- */

/* A server that offers XOAUTH2 only (Gmail and Outlook.com did for years):
 * the same login, the same renewal after a rejection. */
static void
test_xoauth2 (void)
{
  g_autoptr(PopbellTestDovecot) xoauth2 = NULL;
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  PopbellTestDovecot *both = dovecot;
  JsonObject *account;

  g_setenv ("OAUTH2_MECHANISMS", "xoauth2", TRUE);
  xoauth2 = popbell_test_oauth2_start_dovecot (provider);
  g_unsetenv ("OAUTH2_MECHANISMS");
  if (xoauth2 == NULL)
    return;
  popbell_test_oauth2_add_token (provider, "xo-token-fresh", USER);
  dovecot = xoauth2;
  use_command ("xo-token-stale\nxo-token-fresh\n");
  dovecot = both;

  account = check_once (&parser, &out, &err);
  g_assert_cmpstr (error_kind (account), ==, "none");
  g_assert_cmpuint (helper_runs (), ==, 2);
  g_assert_nonnull (strstr (err, "C: AUTH XOAUTH2 "));
  g_assert_null (strstr (err, "OAUTHBEARER"));
  {
    const gchar *texts[] = { out, err, NULL };
    assert_secret_nowhere ("xo-token-stale", texts);
    assert_secret_nowhere ("xo-token-fresh", texts);
  }
}

/* --- goa ----------------------------------------------------------------- */

/* GOA hands out a stale token first; after the rejection Popbell asks it to
 * renew (EnsureCredentials) and logs in with the fresh one. */
static void
test_goa (void)
{
  g_autoptr(PopbellTestGoa) goa =
    popbell_test_goa_start ("{\"accounts\": [{\"id\": \"account_7\", \"provider_name\": "
                            "\"Google\", \"identity\": \"alice\", \"tokens\": "
                            "[\"goa-token-stale\", \"goa-token-fresh\"]}]}");
  g_autofree gchar *out = NULL, *err = NULL;
  g_autofree gchar *log = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *account;

  popbell_test_oauth2_add_token (provider, "goa-token-fresh", USER);
  write_accounts ("oauth2-source=goa\noauth2-goa-id=account_7\n");
  reset_state ();
  account = check_once (&parser, &out, &err);
  g_assert_cmpstr (error_kind (account), ==, "none");
  log = popbell_test_goa_dup_events (goa);
  g_assert_cmpstr (log, ==, "get-access-token account_7\nensure-credentials account_7\n"
                            "get-access-token account_7\n");
  {
    const gchar *texts[] = { out, err, NULL };
    assert_secret_nowhere ("goa-token-stale", texts);
    assert_secret_nowhere ("goa-token-fresh", texts);
  }
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("POPBELL_BIN") == NULL)
    {
      g_printerr ("POPBELL_BIN is not set\n");
      return popbell_test_require_services () ? 1 : 77;
    }
  session = popbell_test_session_new (POPBELL_TEST_SECRETS_UNLOCKED, 0, &error);
  if (session == NULL)
    return popbell_test_session_skip_program (error);
  /* Outside the session directory, which must hold no token: the helper
   * script keeps its tokens here. */
  scratch = popbell_test_oauth2_scratch_new ();
  popbell_test_oauth2_register_browser ();

  g_test_add_func ("/oauth2/dovecot/command/ok", test_command_ok);
  g_test_add_func ("/oauth2/dovecot/command/expired", test_command_expired);
  g_test_add_func ("/oauth2/dovecot/command/rejected", test_command_rejected);
  g_test_add_func ("/oauth2/dovecot/builtin", test_builtin);
  g_test_add_func ("/oauth2/dovecot/goa", test_goa);
  g_test_add_func ("/oauth2/dovecot/xoauth2", test_xoauth2);

  status = popbell_test_oauth2_run_with_dovecot (USER, &provider, &dovecot);
  popbell_test_oauth2_scratch_free (scratch);
  popbell_test_session_free (session);
  return status;
}
