/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-test-dovecot.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "popbell-test-util.h"

struct _PopbellTestDovecot
{
  gchar   *script;      /* dovecot.sh */
  gchar   *host;
  guint16  port;
  guint16  tls_port;
  gchar   *dir;
  gchar   *ca_file;
  gchar   *maildir_alice;
  gchar   *maildir_bob;
  guint    delivered;   /* makes delivered file names unique and ordered */
};

static gboolean
dovecot_installed (void)
{
  g_autofree gchar *openssl = g_find_program_in_path ("openssl");

  return g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE) &&
         g_file_test ("/usr/bin/doveconf", G_FILE_TEST_IS_EXECUTABLE) &&
         openssl != NULL;
}

static gchar *
find_script (void)
{
  const gchar *dir = g_getenv ("POPBELL_SUPPORT_DIR");

  if (dir == NULL)
    return NULL;
  return g_build_filename (dir, "dovecot.sh", NULL);
}

static gboolean
parse_port (const gchar *value, guint16 *out)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT16, &n, NULL))
    return FALSE;
  *out = (guint16) n;
  return TRUE;
}

PopbellTestDovecot *
popbell_test_dovecot_start (const gchar *extra_config, gboolean plaintext_auth)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *script = find_script ();
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_auto(GStrv) env = g_get_environ ();
  g_auto(GStrv) lines = NULL;
  gint status = 0;
  const gchar *argv[] = { "/bin/bash", NULL, "start", NULL };
  PopbellTestDovecot *self;

  if (!dovecot_installed ())
    {
      popbell_test_skip_or_fail ("Dovecot (dovecot-core, dovecot-pop3d) and openssl are not installed");
      return NULL;
    }
  if (script == NULL || !g_file_test (script, G_FILE_TEST_EXISTS))
    {
      g_test_message ("dovecot.sh not found: is POPBELL_SUPPORT_DIR set (meson test sets it)?");
      g_test_fail ();
      return NULL;
    }

  argv[1] = script;
  env = g_environ_setenv (g_steal_pointer (&env), "DOVECOT_EXTRA", extra_config != NULL ? extra_config : "", TRUE);
  env = g_environ_setenv (g_steal_pointer (&env), "PLAINTEXT_AUTH", plaintext_auth ? "yes" : "no", TRUE);
  /* A short blocking spawn (~0.2 s) in a fixture: nothing else runs yet. */
  if (!g_spawn_sync (NULL, (gchar **) argv, env, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_test_message ("dovecot.sh start failed: %s\n%s", error->message, err != NULL ? err : "");
      g_test_fail ();
      return NULL;
    }

  self = g_new0 (PopbellTestDovecot, 1);
  self->script = g_steal_pointer (&script);
  lines = g_strsplit (out, "\n", -1);
  for (gchar **l = lines; *l != NULL; l++)
    {
      gchar *eq = strchr (*l, '=');
      const gchar *value;

      if (eq == NULL)
        continue;
      *eq = '\0';
      value = eq + 1;
      if (g_str_equal (*l, "POP3_HOST"))
        self->host = g_strdup (value);
      else if (g_str_equal (*l, "POP3_PORT"))
        parse_port (value, &self->port);
      else if (g_str_equal (*l, "POP3S_PORT"))
        parse_port (value, &self->tls_port);
      else if (g_str_equal (*l, "DOVECOT_DIR"))
        self->dir = g_strdup (value);
      else if (g_str_equal (*l, "POP3_CAFILE"))
        self->ca_file = g_strdup (value);
      else if (g_str_equal (*l, "MAILDIR_ALICE"))
        self->maildir_alice = g_strdup (value);
      else if (g_str_equal (*l, "MAILDIR_BOB"))
        self->maildir_bob = g_strdup (value);
    }
  if (self->host == NULL || self->port == 0 || self->tls_port == 0 || self->dir == NULL ||
      self->ca_file == NULL || self->maildir_alice == NULL || self->maildir_bob == NULL)
    {
      g_test_message ("dovecot.sh start printed something unexpected:\n%s", out);
      g_test_fail ();
      popbell_test_dovecot_stop (self);
      return NULL;
    }
  return self;
}

PopbellTestDovecot *
popbell_test_dovecot_start_oauth2 (const gchar *introspection_url)
{
  PopbellTestDovecot *self;

  /* dovecot.sh reads it from the environment it inherits. */
  g_setenv ("OAUTH2_INTROSPECTION_URL", introspection_url, TRUE);
  self = popbell_test_dovecot_start (NULL, TRUE);
  g_unsetenv ("OAUTH2_INTROSPECTION_URL");
  return self;
}

void
popbell_test_dovecot_stop (PopbellTestDovecot *self)
{
  if (self == NULL)
    return;
  if (self->dir != NULL)
    {
      g_autoptr(GError) error = NULL;
      gint status = 0;
      const gchar *argv[] = { "/bin/bash", self->script, "stop", self->dir, NULL };

      /* Stops the master by the PID it wrote and removes the temp dir
       * (~1 s: Dovecot's master waits for its log process). */
      if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                         NULL, NULL, &status, &error) ||
          !g_spawn_check_wait_status (status, &error))
        g_test_message ("dovecot.sh stop failed: %s", error->message);
    }
  g_free (self->script);
  g_free (self->host);
  g_free (self->dir);
  g_free (self->ca_file);
  g_free (self->maildir_alice);
  g_free (self->maildir_bob);
  g_free (self);
}

const gchar *
popbell_test_dovecot_get_host (PopbellTestDovecot *self)
{
  return self->host;
}

guint16
popbell_test_dovecot_get_port (PopbellTestDovecot *self)
{
  return self->port;
}

guint16
popbell_test_dovecot_get_tls_port (PopbellTestDovecot *self)
{
  return self->tls_port;
}

const gchar *
popbell_test_dovecot_get_ca_file (PopbellTestDovecot *self)
{
  return self->ca_file;
}

const gchar *
popbell_test_dovecot_get_dir (PopbellTestDovecot *self)
{
  return self->dir;
}

const gchar *
popbell_test_dovecot_get_maildir (PopbellTestDovecot *self, const gchar *user)
{
  if (g_strcmp0 (user, "alice") == 0)
    return self->maildir_alice;
  if (g_strcmp0 (user, "bob") == 0)
    return self->maildir_bob;
  g_error ("no such Dovecot test user: %s", user);
  return NULL;
}

void
popbell_test_dovecot_deliver (PopbellTestDovecot *self, const gchar *user,
                              const gchar *raw, gsize len)
{
  const gchar *maildir = popbell_test_dovecot_get_maildir (self, user);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *tmp = NULL;
  g_autofree gchar *dest = NULL;
  struct stat st;

  /* Maildir delivery: write into tmp/, then rename into new/ (atomic).
   * Names start with the time and a zero-padded counter after a letter
   * that sorts after the initial messages' names, so Dovecot numbers them
   * in delivery order. */
  name = g_strdup_printf ("%" G_GINT64_FORMAT ".R%08uP%d.popbell",
                          g_get_real_time () / G_USEC_PER_SEC, ++self->delivered, (int) getpid ());
  tmp = g_build_filename (maildir, "tmp", name, NULL);
  dest = g_build_filename (maildir, "new", name, NULL);
  g_file_set_contents (tmp, raw, len, &error);
  g_assert_no_error (error);
  /* The mail user (nobody when we run as root) must read it. */
  g_assert_cmpint (g_stat (maildir, &st), ==, 0);
  if (getuid () == 0)
    g_assert_cmpint (chown (tmp, st.st_uid, st.st_gid), ==, 0);
  g_assert_cmpint (g_chmod (tmp, 0644), ==, 0);
  g_assert_cmpint (g_rename (tmp, dest), ==, 0);
}

void
popbell_test_dovecot_clear (PopbellTestDovecot *self, const gchar *user)
{
  const gchar *maildir = popbell_test_dovecot_get_maildir (self, user);
  const gchar *subdirs[] = { "new", "cur" };

  for (gsize i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree gchar *path = g_build_filename (maildir, subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const gchar *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *file = g_build_filename (path, name, NULL);
          if (g_unlink (file) != 0)
            g_error ("cannot remove %s: %s", file, g_strerror (errno));
        }
    }
}
