/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-test-oauth2.h"

#include <string.h>
#include <glib/gstdio.h>

#include "popbell-test-util.h"

struct _PopbellTestOAuth2
{
  GSubprocess *process;   /* (owned) */
  gchar       *dir;       /* (owned) */
  guint16      port;
};

PopbellTestOAuth2 *
popbell_test_oauth2_start (const gchar *user, guint lifetime)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *script = NULL;
  g_autofree gchar *lifetime_text = g_strdup_printf ("%u", lifetime);
  g_autofree gchar *line = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  PopbellTestOAuth2 *self;
  guint64 port;

  if (!g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      popbell_test_skip_or_fail ("python3 is not installed");
      return NULL;
    }
  script = g_build_filename (g_getenv ("POPBELL_SUPPORT_DIR"), "oauth2-server.py", NULL);
  self = g_new0 (PopbellTestOAuth2, 1);
  self->dir = g_dir_make_tmp ("popbell-oauth2.XXXXXX", &error);
  g_assert_no_error (error);
  self->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                    &error, "/usr/bin/python3", script, self->dir,
                                    "--user", user, "--lifetime", lifetime_text, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PORT="));
  g_assert_true (g_ascii_string_to_unsigned (line + 5, 10, 1, 65535, &port, NULL));
  self->port = (guint16) port;
  return self;
}

void
popbell_test_oauth2_stop (PopbellTestOAuth2 *self)
{
  g_autofree gchar *command = NULL;

  if (self == NULL)
    return;
  /* EOF on its stdin ends it; a kill is the fallback. */
  g_output_stream_close (g_subprocess_get_stdin_pipe (self->process), NULL, NULL);
  g_subprocess_force_exit (self->process);
  g_subprocess_wait (self->process, NULL, NULL);
  g_object_unref (self->process);
  command = g_strdup_printf ("rm -rf '%s'", self->dir);
  if (g_str_has_prefix (self->dir, g_get_tmp_dir ()))
    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (self->dir);
  g_free (self);
}

gchar *
popbell_test_oauth2_url (PopbellTestOAuth2 *self, const gchar *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", self->port, path);
}

const gchar *
popbell_test_oauth2_get_dir (PopbellTestOAuth2 *self)
{
  return self->dir;
}

void
popbell_test_oauth2_add_token (PopbellTestOAuth2 *self, const gchar *token, const gchar *user)
{
  g_autofree gchar *path = g_build_filename (self->dir, "tokens", NULL);
  g_autofree gchar *old = NULL;
  g_autofree gchar *data = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &old, NULL, NULL);
  data = g_strdup_printf ("%s%s %s\n", old != NULL ? old : "", token, user);
  g_file_set_contents (path, data, -1, &error);
  g_assert_no_error (error);
}

guint
popbell_test_oauth2_count (PopbellTestOAuth2 *self, const gchar *event)
{
  g_autofree gchar *path = g_build_filename (self->dir, "events", NULL);
  g_autofree gchar *data = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &data, NULL, NULL))
    return 0;
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_equal (lines[i], event))
      n++;
  return n;
}

void
popbell_test_oauth2_expire_all (PopbellTestOAuth2 *self)
{
  g_autofree gchar *url = popbell_test_oauth2_url (self, "/expire");
  g_autoptr(GError) error = NULL;
  gint status = -1;
  const gchar *argv[] = { "/usr/bin/python3", "-c",
                          "import sys,urllib.request;"
                          "urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b''))",
                          url, NULL };

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}
