/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The goa token source with the real libgoa client against a fake
 * org.gnome.OnlineAccounts (tests/support/oauth2-fake-goa.py) on a private
 * session bus. */
#include "popbell-config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "popbell-error.h"
#include "popbell-memory-credentials.h"
#include "popbell-oauth2-goa.h"
#include "popbell-oauth2-token-source.h"
#include "popbell-test-session.h"
#include "popbell-test-util.h"

typedef struct {
  gchar       *dir;
  gchar       *config;
  gchar       *events;
  GSubprocess *goa;   /* (nullable) */
} Fixture;

static void
write_config (Fixture *f, const gchar *json)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (f->config, json, -1, &error);
  g_assert_no_error (error);
}

#define ONE_ACCOUNT(extra) \
  "{\"accounts\": [{\"id\": \"account_1\", \"provider_name\": \"Google\", " \
  "\"identity\": \"alice@example.test\", \"email\": \"alice@example.test\", " \
  "\"tokens\": [\"goa-first\", \"goa-second\"]" extra "}]}"

static void
start_goa (Fixture *f)
{
  g_autofree gchar *script = g_build_filename (g_getenv ("POPBELL_SUPPORT_DIR"),
                                               "oauth2-fake-goa.py", NULL);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *line = NULL;

  f->goa = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                             &error, "/usr/bin/python3", script, f->config, f->events, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->goa));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "READY");
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("popbell-goa.XXXXXX", &error);
  g_assert_no_error (error);
  f->config = g_build_filename (f->dir, "config.json", NULL);
  f->events = g_build_filename (f->dir, "events", NULL);
  write_config (f, data != NULL ? data : ONE_ACCOUNT (""));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->goa != NULL)
    {
      g_output_stream_close (g_subprocess_get_stdin_pipe (f->goa), NULL, NULL);
      g_subprocess_wait (f->goa, NULL, NULL);
      g_object_unref (f->goa);
    }
  g_unlink (f->config);
  g_unlink (f->events);
  g_rmdir (f->dir);
  g_free (f->config);
  g_free (f->events);
  g_free (f->dir);
}

static guint
count_events (Fixture *f, const gchar *event)
{
  g_autofree gchar *data = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents (f->events, &data, NULL, NULL))
    return 0;
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_equal (lines[i], event))
      n++;
  return n;
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gchar *
get_token (const gchar *goa_id, gboolean renew, GError **error)
{
  g_autoptr(PopbellAccount) account = popbell_account_new ("gnome");
  g_autoptr(PopbellMemoryCredentials) store = popbell_memory_credentials_new ();
  g_autoptr(PopbellTokenSource) source = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  popbell_account_set_host (account, "pop.gmail.com");
  popbell_account_set_username (account, "alice@example.test");
  popbell_account_set_oauth2 (account, "oauth2-source", "goa");
  popbell_account_set_oauth2 (account, "oauth2-goa-id", goa_id);
  source = popbell_token_source_new_for_account (account, POPBELL_CREDENTIALS (store), NULL);
  g_assert_nonnull (source);
  popbell_token_source_get_token_async (source, renew, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return popbell_token_source_get_token_finish (source, result, error);
}

static void
test_token (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;
  g_autofree gchar *renewed = NULL;

  start_goa (f);
  token = get_token ("account_1", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "goa-first");
  g_assert_cmpuint (count_events (f, "ensure-credentials account_1"), ==, 0);

  /* After a rejection GOA is asked to renew first. */
  renewed = get_token ("account_1", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (renewed, ==, "goa-second");
  g_assert_cmpuint (count_events (f, "ensure-credentials account_1"), ==, 1);
  g_assert_cmpuint (count_events (f, "get-access-token account_1"), ==, 2);
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;

  start_goa (f);
  token = get_token ("account_9", FALSE, &error);
  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "account_9"));
  g_assert_nonnull (strstr (error->message, "Online Accounts"));
}

/* No GOA running at all: the same clear answer, no hang. */
static void
test_not_running (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = get_token ("account_1", FALSE, &error);

  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "Online Accounts"));
}

static void
test_attention (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;

  start_goa (f);
  token = get_token ("account_1", FALSE, &error);
  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "sign in again"));
  g_assert_cmpuint (count_events (f, "get-access-token account_1"), ==, 0);
}

static void
test_mail_disabled (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;

  start_goa (f);
  token = get_token ("account_1", FALSE, &error);
  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "Mail is switched off"));
}

/* GOA cannot renew (the provider revoked it): the user is sent to Settings. */
static void
test_renew_fails (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;

  start_goa (f);
  token = get_token ("account_1", TRUE, &error);
  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "Settings"));
}

static void
test_list (Fixture *f, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;
  PopbellGoaAccountInfo *info;

  start_goa (f);
  popbell_oauth2_goa_list_accounts_async (NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  accounts = popbell_oauth2_goa_list_accounts_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 1);
  info = accounts->pdata[0];
  g_assert_cmpstr (info->id, ==, "account_1");
  g_assert_cmpstr (info->provider, ==, "Google");
  g_assert_cmpstr (info->identity, ==, "alice@example.test");
  g_assert_cmpstr (info->email, ==, "alice@example.test");
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  PopbellTestSession *session;
  int status;

  g_test_init (&argc, &argv, NULL);
  session = popbell_test_session_new (POPBELL_TEST_SECRETS_NONE, 0, &error);
  if (session == NULL)
    return popbell_test_session_skip_program (error);

#define ADD(path, func, config) \
  g_test_add (path, Fixture, config, setup, func, teardown)
  ADD ("/oauth2/goa/not-running", test_not_running, NULL);
  ADD ("/oauth2/goa/token", test_token, NULL);
  ADD ("/oauth2/goa/missing", test_missing, NULL);
  ADD ("/oauth2/goa/attention", test_attention, ONE_ACCOUNT (", \"attention_needed\": true"));
  ADD ("/oauth2/goa/mail-disabled", test_mail_disabled, ONE_ACCOUNT (", \"mail_disabled\": true"));
  ADD ("/oauth2/goa/renew-fails", test_renew_fails, ONE_ACCOUNT (", \"ensure_fails\": true"));
  ADD ("/oauth2/goa/list", test_list, NULL);
#undef ADD

  status = g_test_run ();
  popbell_test_session_free (session);
  return status;
}
