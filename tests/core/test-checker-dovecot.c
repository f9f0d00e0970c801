/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The checker against a real Dovecot (tests/support/dovecot.sh), over
 * STARTTLS with the server's own CA: baseline, arrivals with encoded
 * headers, delete + deliver, a failed login between good checks and a
 * restart (fresh checker, state from the file) between every check. */
#include "popbell-config.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "popbell-checker.h"
#include "popbell-memory-credentials.h"
#include "popbell-test-util.h"

typedef struct {
  GHashTable *vars;     /* POP3_PORT, DOVECOT_DIR, POP3_CAFILE, MAILDIR_ALICE, ... */
} Dovecot;

static Dovecot *dovecot;   /* one per program: ~0.2 s to start, ~1 s to stop */
static gchar *state_dir;

static gchar *
support_script (void)
{
  const gchar *dir = g_getenv ("POPBELL_SUPPORT_DIR");

  return g_build_filename (dir != NULL ? dir : "tests/support", "dovecot.sh", NULL);
}

static Dovecot *
dovecot_start (GError **error)
{
  g_autofree gchar *script = support_script ();
  const gchar *argv[] = { script, "start", NULL };
  g_autofree gchar *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  Dovecot *d;
  gint status;

  if (!g_file_test ("/usr/sbin/dovecot", G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "dovecot is not installed");
      return NULL;
    }
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, error) ||
      !g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "dovecot.sh: %s: ", err != NULL ? err : "");
      return NULL;
    }

  d = g_new0 (Dovecot, 1);
  d->vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gchar *eq = strchr (lines[i], '=');

      if (eq != NULL)
        g_hash_table_insert (d->vars, g_strndup (lines[i], eq - lines[i]), g_strdup (eq + 1));
    }
  return d;
}

static void
dovecot_stop (Dovecot *d)
{
  g_autofree gchar *script = support_script ();
  const gchar *argv[] = { script, "stop", g_hash_table_lookup (d->vars, "DOVECOT_DIR"), NULL };

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, NULL, NULL);
  g_hash_table_unref (d->vars);
  g_free (d);
}

static const gchar *
var (const gchar *name)
{
  const gchar *value = g_hash_table_lookup (dovecot->vars, name);

  g_assert_nonnull (value);
  return value;
}

/* Maildir delivery: write to tmp/, rename into new/ (atomic), owned like
 * the maildir so Dovecot (mail user "nobody" when run as root) may read it. */
static void
deliver (const gchar *raw)
{
  static guint counter;
  const gchar *maildir = var ("MAILDIR_ALICE");
  g_autofree gchar *name = g_strdup_printf ("%" G_GINT64_FORMAT ".M%uP%d.popbell-test",
                                            g_get_real_time () / G_USEC_PER_SEC,
                                            ++counter, getpid ());
  g_autofree gchar *tmp = g_build_filename (maildir, "tmp", name, NULL);
  g_autofree gchar *dest = g_build_filename (maildir, "new", name, NULL);
  g_autoptr(GString) crlf = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  for (const gchar *p = raw; *p != '\0'; p++)
    {
      if (*p == '\n')
        g_string_append_c (crlf, '\r');
      g_string_append_c (crlf, *p);
    }
  g_assert_true (g_file_set_contents (tmp, crlf->str, crlf->len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (maildir, &st), ==, 0);
  if (getuid () == 0)
    g_assert_cmpint (chown (tmp, st.st_uid, st.st_gid), ==, 0);
  g_assert_cmpint (g_rename (tmp, dest), ==, 0);
}

/* Removes every message file (new/ and cur/); returns how many. */
static guint
clear_mailbox (void)
{
  const gchar *subdirs[] = { "new", "cur" };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree gchar *path = g_build_filename (var ("MAILDIR_ALICE"), subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const gchar *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *file = g_build_filename (path, name, NULL);
          if (g_unlink (file) == 0)
            n++;
        }
    }
  return n;
}

/* Deletes the message file whose content contains @needle. */
static void
delete_message (const gchar *needle)
{
  const gchar *subdirs[] = { "new", "cur" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree gchar *path = g_build_filename (var ("MAILDIR_ALICE"), subdirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const gchar *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *file = g_build_filename (path, name, NULL);
          g_autofree gchar *contents = NULL;

          if (g_file_get_contents (file, &contents, NULL, NULL) && strstr (contents, needle) != NULL)
            {
              g_assert_cmpint (g_unlink (file), ==, 0);
              return;
            }
        }
    }
  g_error ("no message with %s", needle);
}

static void
result_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static PopbellCheckOutcome *
check (const gchar *password, PopbellSessionFlags flags)
{
  g_autoptr(PopbellStateStore) store = popbell_state_store_new (state_dir);
  g_autoptr(PopbellMemoryCredentials) credentials = popbell_memory_credentials_new ();
  g_autoptr(PopbellChecker) checker = NULL;
  g_autoptr(PopbellAccount) account = popbell_account_new ("dovecot");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PopbellCheckOutcome *outcome;

  popbell_account_set_host (account, "127.0.0.1");
  popbell_account_set_port (account, (guint16) atoi (var ("POP3_PORT")));
  popbell_account_set_security (account, POPBELL_POP3_SECURITY_STARTTLS);
  popbell_account_set_tls_ca_file (account, var ("POP3_CAFILE"));
  popbell_account_set_username (account, "alice");
  popbell_account_set_timeout (account, 10);
  popbell_memory_credentials_set (credentials, "127.0.0.1", "alice", password);
  checker = popbell_checker_new (store, POPBELL_CREDENTIALS (credentials));

  popbell_checker_check_async (checker, account, flags, NULL, result_ready, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  outcome = popbell_checker_check_finish (checker, result, &error);
  g_assert_no_error (error);
  return outcome;
}

static void
assert_ok (PopbellCheckResult *result, gboolean first, guint messages, guint n_new, guint unseen)
{
  if (!popbell_check_result_is_ok (result))
    g_error ("check failed: %s", popbell_check_result_get_error (result)->message);
  g_assert_cmpint (popbell_check_result_is_first_check (result), ==, first);
  g_assert_cmpuint (popbell_check_result_get_messages (result), ==, messages);
  g_assert_cmpuint (popbell_check_result_get_new_count (result), ==, n_new);
  g_assert_cmpuint (popbell_check_result_get_unseen_count (result), ==, unseen);
}

static const gchar *
subject (PopbellCheckResult *result, guint i)
{
  GPtrArray *messages = popbell_check_result_get_new_messages (result);

  g_assert_cmpuint (i, <, messages->len);
  return popbell_mail_summary_get_subject (messages->pdata[i]);
}

static void
test_dovecot_detection (void)
{
  g_autoptr(PopbellCheckOutcome) a = NULL, b = NULL, c = NULL, d = NULL, e = NULL, g = NULL;
  GPtrArray *messages;

  if (dovecot == NULL)
    {
      popbell_test_skip_or_fail ("dovecot");
      return;
    }

  clear_mailbox ();
  deliver ("From: one@example.org\nSubject: old one\n\nbody\n");
  deliver ("From: two@example.org\nSubject: old two\n\nbody\n");

  a = check ("alicepw", POPBELL_SESSION_FLAGS_NONE);
  assert_ok (a->result, TRUE, 2, 0, 0);
  g_assert_true (a->state->tls_worked);
  /* What Dovecot advertised (after STLS): the checks below write ahead on
   * it (issue 9), a wrong password included. */
  g_assert_nonnull (a->state->capabilities);
  g_assert_nonnull (strstr (a->state->capabilities, "PIPELINING"));

  deliver ("From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@example.org>\n"
           "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\n"
           "Date: Thu, 26 Nov 2026 10:00:00 +0100\n\nHallo\n");
  deliver ("From: =?ISO-8859-1?B?SvxyZ2VuIFdlad8=?= <jw@example.org>\n"
           "Subject: =?ISO-8859-1?B?R3L832UgYXVzIEv2bG4=?=\n\nHallo\n");
  deliver ("From: folded@example.org\nSubject: folded across\n  two lines\n\nbody\n");
  deliver ("From: broken@example.org\nSubject: =?UTF-8?Q?caf=C3?= and =?X-UNKNOWN?B?!!!?= end\n\nb\n");
  b = check ("alicepw", POPBELL_SESSION_FLAGS_NONE);
  assert_ok (b->result, FALSE, 6, 4, 4);
  messages = popbell_check_result_get_new_messages (b->result);
  g_assert_cmpuint (messages->len, ==, 4);
  g_assert_cmpstr (popbell_mail_summary_get_from (messages->pdata[0]), ==,
                   "Jürgen Weiß <jw@example.org>");
  g_assert_cmpstr (subject (b->result, 0), ==, "Grüße aus Köln");
  g_assert_cmpstr (popbell_mail_summary_get_from (messages->pdata[1]), ==,
                   "Jürgen Weiß <jw@example.org>");
  g_assert_cmpstr (subject (b->result, 1), ==, "Grüße aus Köln");
  g_assert_cmpstr (subject (b->result, 2), ==, "folded across two lines");
  g_assert_true (g_utf8_validate (subject (b->result, 3), -1, NULL));
  /* Dovecot's UIDL format: %08Xu%08Xv */
  g_assert_cmpuint (strlen (popbell_mail_summary_get_uid (messages->pdata[0])), ==, 16);

  /* One deleted, one delivered: same count, one new. */
  delete_message ("old two");
  deliver ("From: late@example.org\nSubject: late arrival\n\nbody\n");
  c = check ("alicepw", POPBELL_SESSION_FLAGS_NONE);
  assert_ok (c->result, FALSE, 6, 1, 5);
  g_assert_cmpstr (subject (c->result, 0), ==, "late arrival");

  /* A failed login, then good checks: nothing old comes back as new. */
  d = check ("wrong", POPBELL_SESSION_FLAGS_NONE);
  g_assert_cmpstr (popbell_check_result_get_error_kind (d->result), ==, "auth");
  deliver ("From: after@example.org\nSubject: after the failure\n\nbody\n");
  e = check ("alicepw", POPBELL_SESSION_IGNORE_AUTH_HOLD);
  assert_ok (e->result, FALSE, 7, 1, 6);
  g_assert_cmpstr (subject (e->result, 0), ==, "after the failure");

  g = check ("alicepw", POPBELL_SESSION_FLAGS_NONE);
  assert_ok (g->result, FALSE, 7, 0, 6);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  state_dir = g_dir_make_tmp ("popbell-dovecot-state-XXXXXX", &error);
  g_assert_no_error (error);

  dovecot = dovecot_start (&error);
  if (dovecot == NULL)
    g_test_message ("no Dovecot: %s", error->message);

  g_test_add_func ("/core/checker-dovecot/detection", test_dovecot_detection);
  status = g_test_run ();

  if (dovecot != NULL)
    dovecot_stop (dovecot);
  {
    /* Whatever the store wrote (state, journal, lock). */
    g_autoptr(GDir) dir = g_dir_open (state_dir, 0, NULL);
    const gchar *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree gchar *path = g_build_filename (state_dir, name, NULL);
        g_unlink (path);
      }
    g_rmdir (state_dir);
  }
  g_free (state_dir);
  return status;
}
