/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gstdio.h>

#include "engine-fixture.h"

#include "popbell-test-util.h"

#define MSG \
  "From: =?UTF-8?Q?J=C3=BCrgen?= <jw@example.org>\n" \
  "To: alice@example.org\n" \
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= %s\n" \
  "Date: Thu, 26 Nov 2026 1%s:00:00 +0100\n" \
  "\n" \
  "Hallo\n"

void
add_message (PopbellFakeServer *server, const gchar *uid, const gchar *hour)
{
  g_autofree gchar *raw = g_strdup_printf (MSG, uid, hour);
  popbell_fake_server_add_message (server, uid, raw);
}

void
write_accounts_text (Fixture *f, const gchar *text)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (f->accounts_path, text, -1, &error));
  g_assert_no_error (error);
}

void
write_accounts (Fixture *f, guint16 port, guint interval)
{
  g_autofree gchar *text = NULL;

  text = g_strdup_printf ("[account work]\nhost=127.0.0.1\nport=%u\nsecurity=none\n"
                          "username=" USER "\nauth=user\ninterval=%u\ntimeout=5\n"
                          "allow-insecure-auth=true\n", port, interval);
  write_accounts_text (f, text);
}

static void
account_checked (PopbellEngine *engine, PopbellCheckResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  gint64 now = g_get_real_time ();

  g_ptr_array_add (f->results, popbell_check_result_ref (result));
  g_array_append_val (f->result_times, now);
}

void
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

void
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

void
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


void
run_for (guint ms)
{
  popbell_test_run_for (ms);
}

void
run_until_results (Fixture *f, guint n, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, popbell_test_set_flag, &timed_out);

  while (f->results->len < n && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("only %u of %u checks within %u ms", f->results->len, n, timeout_ms);
  g_source_remove (id);
}

void
run_until_flag (gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, popbell_test_set_flag, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("nothing happened within %u ms", timeout_ms);
  g_source_remove (id);
}

PopbellCheckResult *
result_at (Fixture *f, guint i)
{
  g_assert_cmpuint (i, <, f->results->len);
  return f->results->pdata[i];
}

void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

void
run_until_result (GAsyncResult **result, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, popbell_test_set_flag, &timed_out);

  while (*result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    g_error ("no result within %u ms", timeout_ms);
  g_source_remove (id);
}
