/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "popbell-account-editor.h"
#include "popbell-autostart.h"
#include "popbell-mail-client.h"

/* GTK-free parts of the preferences: the autostart entry, the settings
 * file, fingerprint parsing. Each test runs with fresh XDG directories
 * (G_TEST_OPTION_ISOLATE_DIRS). */

static void
test_autostart_on_off (void)
{
  g_autofree gchar *path = popbell_autostart_dup_path ();
  g_autofree gchar *expected = g_build_filename (g_get_user_config_dir (), "autostart",
                                                 "io.github.popbell.Popbell.desktop", NULL);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *exec = NULL;

  g_assert_cmpstr (path, ==, expected);
  g_assert_false (popbell_autostart_is_enabled ());

  g_assert_true (popbell_autostart_set_enabled (TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_true (popbell_autostart_is_enabled ());

  g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  exec = g_key_file_get_string (keyfile, "Desktop Entry", "Exec", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exec, ==, "popbell");
  g_assert_true (g_key_file_get_boolean (keyfile, "Desktop Entry",
                                         "X-GNOME-Autostart-enabled", &error));
  g_assert_no_error (error);

  /* Writing it twice is harmless. */
  g_assert_true (popbell_autostart_set_enabled (TRUE, &error));
  g_assert_no_error (error);

  g_assert_true (popbell_autostart_set_enabled (FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (popbell_autostart_is_enabled ());

  /* Removing a missing entry is not an error. */
  g_assert_true (popbell_autostart_set_enabled (FALSE, &error));
  g_assert_no_error (error);
}

/* A desktop's session settings may switch the entry off in place. */
static void
test_autostart_hidden (void)
{
  g_autofree gchar *path = popbell_autostart_dup_path ();
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  g_autofree gchar *edited = NULL;

  g_assert_true (popbell_autostart_set_enabled (TRUE, &error));
  g_assert_no_error (error);
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);

  edited = g_strconcat (contents, "Hidden=true\n", NULL);
  g_file_set_contents (path, edited, -1, &error);
  g_assert_no_error (error);
  g_assert_false (popbell_autostart_is_enabled ());
}

static void
test_mail_client_setting (void)
{
  g_autofree gchar *path = popbell_settings_dup_path ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *command = NULL;
  g_autofree gchar *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (popbell_mail_client_dup_command ());

  /* Keys and comments someone added by hand survive a save. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, "# mine\n[general]\nfuture-key=1\n", -1, &error);
  g_assert_no_error (error);

  g_assert_true (popbell_mail_client_set_command ("  thunderbird -mail  ", &error));
  g_assert_no_error (error);
  command = popbell_mail_client_dup_command ();
  g_assert_cmpstr (command, ==, "thunderbird -mail");

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "# mine"));
  g_assert_nonnull (strstr (contents, "future-key=1"));
  g_assert_nonnull (strstr (contents, "mail-client=thunderbird -mail"));

  g_assert_true (popbell_mail_client_set_command ("", &error));
  g_assert_no_error (error);
  g_assert_null (popbell_mail_client_dup_command ());
}

static void
test_mail_client_malformed_settings (void)
{
  g_autofree gchar *path = popbell_settings_dup_path ();
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *contents = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, "this is [not a key file\n", -1, &error);
  g_assert_no_error (error);

  g_assert_false (popbell_mail_client_set_command ("mutt", &error));
  g_assert_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE);
  g_clear_error (&error);

  /* Never silently replaced. */
  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "this is [not a key file\n");
}

static gboolean
set_flag_cb (gpointer user_data)
{
  if (user_data != NULL)
    *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
test_mail_client_launch_command (void)
{
  g_autofree gchar *marker = g_build_filename (g_get_user_cache_dir (), "launched", NULL);
  g_autofree gchar *command = NULL;
  g_autoptr(GError) error = NULL;
  gboolean timed_out = FALSE;
  guint timeout_id;
  guint tick_id;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  command = g_strdup_printf ("touch %s", marker);
  g_assert_true (popbell_mail_client_set_command (command, &error));
  g_assert_no_error (error);

  g_assert_true (popbell_mail_client_launch (NULL, &error));
  g_assert_no_error (error);

  /* The command runs as a child process; look for its effect on each
   * tick of the main context, for at most 10 s. */
  timeout_id = g_timeout_add_seconds (10, set_flag_cb, &timed_out);
  tick_id = g_timeout_add (10, tick_cb, NULL);
  while (!g_file_test (marker, G_FILE_TEST_EXISTS) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick_id);
  if (!timed_out)
    g_source_remove (timeout_id);
  g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));
}

static void
test_mail_client_escape_exec (void)
{
  static const struct { const gchar *in, *out; } cases[] = {
    { "thunderbird -mail", "thunderbird -mail" },
    { "client --zoom=50%", "client --zoom=50%%" },
    { "printf %s", "printf %%s" },
    { "a 100%% b", "a 100%% b" },
    { "open %u", "open %u" },
    { "x %f %F %U %c %k %i", "x %f %F %U %c %k %i" },
    { "%", "%%" },
    { "%%%", "%%%%" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *exec = popbell_mail_client_escape_exec (cases[i].in);

      g_assert_cmpstr (exec, ==, cases[i].out);
    }
}

/* The command as the user wrote it reaches the process: a '%' before
 * anything but a field code is kept, "%%" is one '%', "%u" (no URI) is
 * nothing. GLib used to drop "%o" and "%s" silently. */
static void
test_mail_client_launch_percent (void)
{
  g_autofree gchar *marker = g_build_filename (g_get_user_cache_dir (), "percent", NULL);
  g_autofree gchar *command = NULL;
  g_autofree gchar *contents = NULL;
  g_autoptr(GError) error = NULL;
  gboolean timed_out = FALSE;
  guint timeout_id;
  guint tick_id;

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_cache_dir (), 0700), ==, 0);
  g_unlink (marker);
  command = g_strdup_printf ("sh -c 'printf \"%%s|%%s\" \"$1\" \"$2\" > %s.tmp && mv %s.tmp %s' "
                             "sh 50%%off%%%%x%%u 'pct %%'", marker, marker, marker);
  g_assert_true (popbell_mail_client_set_command (command, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_mail_client_launch (NULL, &error));
  g_assert_no_error (error);

  timeout_id = g_timeout_add_seconds (10, set_flag_cb, &timed_out);
  tick_id = g_timeout_add (10, tick_cb, NULL);
  while (!g_file_test (marker, G_FILE_TEST_EXISTS) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick_id);
  if (!timed_out)
    g_source_remove (timeout_id);
  g_assert_true (g_file_get_contents (marker, &contents, NULL, &error));
  g_assert_cmpstr (contents, ==, "50%off%x|pct %");
}

static void
test_fingerprint_parsing (void)
{
  const gchar *colon = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                       "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
  g_autofree gchar *normal = NULL;

  normal = popbell_account_editor_normalize_fingerprint (" ab cd ef 01 23 45 67 89 ab cd ef 01 23 45 67 89"
                                                         " ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89");
  g_assert_cmpstr (normal, ==, colon);
  g_assert_null (popbell_account_editor_normalize_fingerprint ("xyz"));
  g_assert_null (popbell_account_editor_normalize_fingerprint ("AB:CD"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/ui/autostart/on-off", test_autostart_on_off);
  g_test_add_func ("/ui/autostart/hidden", test_autostart_hidden);
  g_test_add_func ("/ui/mail-client/setting", test_mail_client_setting);
  g_test_add_func ("/ui/mail-client/malformed-settings", test_mail_client_malformed_settings);
  g_test_add_func ("/ui/mail-client/launch-command", test_mail_client_launch_command);
  g_test_add_func ("/ui/mail-client/escape-exec", test_mail_client_escape_exec);
  g_test_add_func ("/ui/mail-client/launch-percent", test_mail_client_launch_percent);
  g_test_add_func ("/ui/account-editor/fingerprint", test_fingerprint_parsing);

  return g_test_run ();
}
