/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* PopbellSecretCredentials against a real gnome-keyring on a private bus
 * (tests/support/popbell-test-session.h), one fresh session per test case. */
#define _GNU_SOURCE  /* memmem */
#include <string.h>

#include "popbell-error.h"
#include "popbell-secret-credentials.h"
#include "popbell-test-session.h"
#include "popbell-test-util.h"

#define HOST "pop.example.test"
#define USER "alice@example.test"
/* Distinctive, so that a search of the disk cannot match by accident. */
#define PASSWORD "Pw-7f3c9e-\xc3\xbc-\xe2\x9c\x93-secret"

typedef struct {
  PopbellTestSession *session;
  PopbellCredentials *credentials;
  guint               unlocked;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->session = popbell_test_session_new_or_skip (GPOINTER_TO_INT (data),
                                                 POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS);
  if (f->session != NULL)
    f->credentials = popbell_secret_credentials_new ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  /* Every reference to the bus goes before the session stops it. */
  g_clear_object (&f->credentials);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->session, popbell_test_session_free);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
timed_out (gpointer user_data)
{
  g_error ("timed out waiting for %s", (const gchar *) user_data);
  return G_SOURCE_REMOVE;
}

/* Drives the main context until *@done is non-zero, failing after 20 s. */
static void
iterate_until (volatile gpointer *done,
               const gchar       *what)
{
  guint id = g_timeout_add_seconds (20, timed_out, (gpointer) what);

  while (*done == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

static gchar *
lookup (Fixture  *f,
        GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_credentials_lookup_async (f->credentials, HOST, USER, NULL, store_result, &result);
  iterate_until ((volatile gpointer *) &result, "lookup");
  return popbell_credentials_lookup_finish (f->credentials, result, error);
}

static gboolean
store (Fixture      *f,
       const gchar  *password,
       GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_credentials_store_async (f->credentials, HOST, USER, NULL, password, NULL,
                                   store_result, &result);
  iterate_until ((volatile gpointer *) &result, "store");
  return popbell_credentials_store_finish (f->credentials, result, error);
}

static gboolean
clear (Fixture  *f,
       GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_credentials_clear_async (f->credentials, HOST, USER, NULL, store_result, &result);
  iterate_until ((volatile gpointer *) &result, "clear");
  return popbell_credentials_clear_finish (f->credentials, result, error);
}

/* Fails if any file under @dir contains @needle. */
static void
assert_not_on_disk (const gchar *dir,
                    const gchar *needle,
                    guint       *files_seen)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);
      g_autofree gchar *contents = NULL;
      gsize len = 0;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          assert_not_on_disk (path, needle, files_seen);
          continue;
        }
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) ||
          !g_file_get_contents (path, &contents, &len, NULL))
        continue;
      (*files_seen)++;
      g_test_message ("checked %s (%" G_GSIZE_FORMAT " bytes)", path, len);
      if (memmem (contents, len, needle, strlen (needle)) != NULL)
        g_error ("the password was found in %s", path);
    }
}

static void
on_unlocked (PopbellCredentials *credentials,
             Fixture            *f)
{
  f->unlocked++;
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *seen = NULL;
  gchar *password;
  guint files = 0;

  if (f->session == NULL)
    return;

  g_assert_true (store (f, PASSWORD, &error));
  g_assert_no_error (error);
  password = lookup (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, PASSWORD);
  popbell_credentials_free_password (password);

  /* Stored as SPEC §1 says: schema io.github.popbell.Account, host + user. */
  seen = popbell_test_session_lookup_password (f->session, HOST, USER, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (seen, ==, PASSWORD);

  /* Replacing keeps one item. */
  g_assert_true (store (f, "second", &error));
  password = lookup (f, &error);
  g_assert_cmpstr (password, ==, "second");
  popbell_credentials_free_password (password);
  g_assert_true (store (f, PASSWORD, &error));

  /* Nothing but the keyring holds it, and the keyring file is encrypted:
   * the plain text is in no file of HOME/XDG. */
  assert_not_on_disk (popbell_test_session_get_dir (f->session), PASSWORD, &files);
  g_assert_cmpuint (files, >, 0);

  g_assert_true (clear (f, &error));
  g_assert_no_error (error);
  g_assert_null (lookup (f, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (clear (f, &error));   /* nothing left: still fine */
  g_assert_no_error (error);
}

static void
test_not_found (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) user_error = NULL;

  if (f->session == NULL)
    return;

  g_assert_null (lookup (f, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND);
  user_error = popbell_credentials_error_to_popbell (error, "work");
  g_assert_error (user_error, POPBELL_ERROR, POPBELL_ERROR_KEYRING);
  g_assert_nonnull (strstr (user_error->message, "popbell --set-password work"));
}

static void
test_locked_then_unlocked (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) user_error = NULL;
  gchar *password;
  gint64 start;

  if (f->session == NULL)
    return;

  /* Stored while unlocked, then the session locks (screen lock, or an
   * auto-login desktop where the keyring is not unlocked yet). */
  g_assert_true (store (f, PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_test_session_lock (f->session, &error));
  g_assert_no_error (error);

  g_signal_connect (f->credentials, "unlocked", G_CALLBACK (on_unlocked), f);
  start = g_get_monotonic_time ();
  g_assert_null (lookup (f, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED);
  /* No prompt was waited for. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  user_error = popbell_credentials_error_to_popbell (error, "work");
  g_assert_nonnull (strstr (user_error->message, "nlock your keyring"));
  g_clear_error (&error);
  g_assert_cmpuint (f->unlocked, ==, 0);

  /* The user unlocks: we notice without polling. */
  g_assert_true (popbell_test_session_unlock (f->session, NULL, &error));
  g_assert_no_error (error);
  {
    guint id = g_timeout_add_seconds (20, timed_out, (gpointer) "::unlocked");

    while (f->unlocked == 0)
      g_main_context_iteration (NULL, TRUE);
    g_source_remove (id);
  }
  g_assert_cmpuint (f->unlocked, ==, 1);

  password = lookup (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, PASSWORD);
  popbell_credentials_free_password (password);
}

static void
test_locked_empty (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  if (f->session == NULL)
    return;

  /* Locked and nothing visible: we cannot tell "not stored" from "locked
   * away", and must not claim NOT_FOUND (that would nag for a password). */
  g_assert_null (lookup (f, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED);
}

static void
test_no_service (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) user_error = NULL;

  if (f->session == NULL)
    return;

  g_assert_null (lookup (f, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NO_SERVICE);
  user_error = popbell_credentials_error_to_popbell (error, "work");
  g_assert_error (user_error, POPBELL_ERROR, POPBELL_ERROR_KEYRING);
  g_test_message ("%s", user_error->message);
  g_assert_nonnull (strstr (user_error->message, "gnome-keyring"));
  g_clear_error (&error);

  g_assert_false (store (f, PASSWORD, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NO_SERVICE);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (f->session == NULL)
    return;

  g_cancellable_cancel (cancellable);
  popbell_credentials_lookup_async (f->credentials, HOST, USER, cancellable, store_result, &result);
  iterate_until ((volatile gpointer *) &result, "cancelled lookup");
  g_assert_null (popbell_credentials_lookup_finish (f->credentials, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  /* Fresh XDG directories per test case, adopted by each session. */
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, secrets, func) \
  g_test_add ("/core/credentials/keyring/" path, Fixture, GINT_TO_POINTER (secrets), \
              fixture_set_up, func, fixture_tear_down)
  ADD ("round-trip", POPBELL_TEST_SECRETS_UNLOCKED, test_round_trip);
  ADD ("not-found", POPBELL_TEST_SECRETS_UNLOCKED, test_not_found);
  ADD ("locked-then-unlocked", POPBELL_TEST_SECRETS_UNLOCKED, test_locked_then_unlocked);
  ADD ("locked-empty", POPBELL_TEST_SECRETS_LOCKED, test_locked_empty);
  ADD ("no-service", POPBELL_TEST_SECRETS_NONE, test_no_service);
  ADD ("no-bus", POPBELL_TEST_SECRETS_NO_BUS, test_no_service);
  ADD ("cancelled", POPBELL_TEST_SECRETS_UNLOCKED, test_cancelled);
#undef ADD

  return g_test_run ();
}
