/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gstdio.h>

#include "popbell-test-util.h"
#include "test-preview-fixture.h"
#include "test-preview-util.h"

static PopbellTestDovecot *dovecot;   /* (owned) (nullable) */
static gboolean dovecot_tried;

PopbellTestDovecot *
ui_test_dovecot (void)
{
  if (!dovecot_tried)
    {
      dovecot_tried = TRUE;
      dovecot = popbell_test_dovecot_start (NULL, TRUE);
    }
  else if (dovecot == NULL)
    {
      popbell_test_skip_or_fail ("dovecot");
    }
  return dovecot;
}

void
ui_test_dovecot_shutdown (void)
{
  g_clear_pointer (&dovecot, popbell_test_dovecot_stop);
}

gchar *
ui_test_accounts_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "popbell", "accounts.ini", NULL);
}

void
ui_test_write_account (PopbellTestDovecot *server,
                       const gchar        *name)
{
  g_autofree gchar *path = ui_test_accounts_path ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *contents = NULL;
  g_autoptr(GError) error = NULL;

  contents = g_strdup_printf ("[account %s]\n"
                              "host=%s\n"
                              "port=%u\n"
                              "security=starttls\n"
                              "username=alice\n"
                              "tls-ca-file=%s\n"
                              "timeout=10\n",
                              name,
                              popbell_test_dovecot_get_host (server),
                              popbell_test_dovecot_get_port (server),
                              popbell_test_dovecot_get_ca_file (server));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
remove_tree (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

void
ui_test_reset_files (void)
{
  const gchar *bases[] = {
    g_get_user_config_dir (), g_get_user_state_dir (), g_get_user_cache_dir (),
  };
  g_autofree gchar *autostart = g_build_filename (g_get_user_config_dir (), "autostart", NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bases); i++)
    {
      g_autofree gchar *path = g_build_filename (bases[i], "popbell", NULL);

      remove_tree (path);
    }
  remove_tree (autostart);
}

static guint
count_dir (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

guint
ui_test_count_messages (PopbellTestDovecot *server,
                        const gchar        *user)
{
  const gchar *maildir = popbell_test_dovecot_get_maildir (server, user);
  g_autofree gchar *new_dir = g_build_filename (maildir, "new", NULL);
  g_autofree gchar *cur_dir = g_build_filename (maildir, "cur", NULL);

  return count_dir (new_dir) + count_dir (cur_dir);
}

typedef struct {
  const gchar        *account;
  PopbellCheckResult *result;   /* (owned) (nullable) */
} CheckData;

static void
account_checked_cb (PopbellEngine      *engine,
                    PopbellCheckResult *result,
                    gpointer            user_data)
{
  CheckData *data = user_data;

  if (data->result == NULL &&
      g_strcmp0 (popbell_check_result_get_account_name (result), data->account) == 0)
    data->result = popbell_check_result_ref (result);
}

static gboolean
check_done (gpointer user_data)
{
  return ((CheckData *) user_data)->result != NULL;
}

PopbellCheckResult *
ui_test_check (PopbellEngine *engine,
               const gchar   *account_name)
{
  CheckData data = { account_name, NULL };
  gulong id;

  id = g_signal_connect (engine, "account-checked", G_CALLBACK (account_checked_cb), &data);
  popbell_engine_check_account_now (engine, account_name);
  ui_test_wait (check_done, &data, 20000);
  g_signal_handler_disconnect (engine, id);
  return data.result;
}

void
ui_test_check_and_wait (PopbellEngine *engine,
                        const gchar   *account_name)
{
  PopbellCheckResult *result = ui_test_check (engine, account_name);

  if (!popbell_check_result_is_ok (result))
    g_error ("check of %s failed: %s", account_name,
             popbell_check_result_get_error (result)->message);
  popbell_check_result_unref (result);
}
