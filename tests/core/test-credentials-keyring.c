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

/* Method calls this process sends to the Secret Service, by name. The
 * filter runs in GDBus's worker thread. */
typedef struct {
  gint searches;      /* SearchItems */
  gint secret_reads;  /* GetSecrets / GetSecret */
} BusCalls;

static GDBusMessage *
count_calls (GDBusConnection *connection,
             GDBusMessage    *message,
             gboolean         incoming,
             gpointer         user_data)
{
  BusCalls *calls = user_data;
  const gchar *member;

  if (incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  member = g_dbus_message_get_member (message);
  if (g_strcmp0 (member, "SearchItems") == 0)
    g_atomic_int_inc (&calls->searches);
  else if (g_strcmp0 (member, "GetSecrets") == 0 || g_strcmp0 (member, "GetSecret") == 0)
    g_atomic_int_inc (&calls->secret_reads);
  return message;
}

typedef struct {
  guint  pending;
  guint  ok;
  gchar *wrong;   /* the first account that got a wrong answer */
} Lookups;

typedef struct {
  Lookups *lookups;
  gchar   *expected;
} LookupOne;

static void
looked_up (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  LookupOne *one = user_data;
  g_autoptr(GError) error = NULL;
  gchar *password = popbell_credentials_lookup_finish (POPBELL_CREDENTIALS (source), result, &error);

  if (g_strcmp0 (password, one->expected) == 0)
    one->lookups->ok++;
  else if (one->lookups->wrong == NULL)
    one->lookups->wrong = g_strdup_printf ("%s: %s", one->expected,
                                           error != NULL ? error->message : password);
  one->lookups->pending--;
  popbell_credentials_free_password (password);
  g_free (one->expected);
  g_free (one);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Issue 9: the passwords of many accounts at start cost one search of the
 * keyring, not one per account; a second lookup of an account asks the
 * keyring again (never a stale copy for long), and a password stored
 * meanwhile is the one served. */
static void
test_many_accounts_one_search (Fixture       *f,
                               gconstpointer  data)
{
  const guint n = 60;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(PopbellCredentials) fresh = NULL;
  g_autoptr(GError) error = NULL;
  BusCalls calls = { 0 };
  Lookups lookups = { 0 };
  gboolean timeout = FALSE;
  guint filter_id, timeout_id;
  gchar *password;

  if (f->session == NULL)
    return;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autofree gchar *user = g_strdup_printf ("user%u", i);
      g_autofree gchar *secret = g_strdup_printf ("secret-%u", i);

      popbell_credentials_store_async (f->credentials, HOST, user, NULL, secret, NULL,
                                       store_result, &result);
      iterate_until ((volatile gpointer *) &result, "store");
      g_assert_true (popbell_credentials_store_finish (f->credentials, result, &error));
    }

  /* A new process, in effect: nothing prefetched yet. */
  fresh = popbell_secret_credentials_new ();
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  filter_id = g_dbus_connection_add_filter (bus, count_calls, &calls, NULL);

  for (guint i = 0; i < n; i++)
    {
      LookupOne *one = g_new0 (LookupOne, 1);
      g_autofree gchar *user = g_strdup_printf ("user%u", i);

      one->lookups = &lookups;
      one->expected = g_strdup_printf ("secret-%u", i);
      lookups.pending++;
      popbell_credentials_lookup_async (fresh, HOST, user, NULL, looked_up, one);
    }
  timeout_id = g_timeout_add_seconds (20, set_flag, &timeout);
  while (lookups.pending > 0 && !timeout)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timeout);
  g_source_remove (timeout_id);
  g_assert_cmpstr (lookups.wrong, ==, NULL);
  g_assert_cmpuint (lookups.ok, ==, n);
  g_test_message ("%d searches, %d secret reads for %u accounts",
                  g_atomic_int_get (&calls.searches), g_atomic_int_get (&calls.secret_reads), n);
  g_assert_cmpint (g_atomic_int_get (&calls.searches), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&calls.secret_reads), <=, 1);

  /* Again for one account: the keyring is asked, not a copy. */
  {
    g_autoptr(GAsyncResult) result = NULL;

    popbell_credentials_lookup_async (fresh, HOST, "user7", NULL, store_result, &result);
    iterate_until ((volatile gpointer *) &result, "second lookup");
    password = popbell_credentials_lookup_finish (fresh, result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (password, ==, "secret-7");
    popbell_credentials_free_password (password);
    g_assert_cmpint (g_atomic_int_get (&calls.searches), ==, 2);
  }

  /* Changed meanwhile by this process: the new one. */
  {
    g_autoptr(GAsyncResult) stored = NULL;
    g_autoptr(GAsyncResult) result = NULL;

    popbell_credentials_store_async (fresh, HOST, "user9", NULL, "changed", NULL,
                                     store_result, &stored);
    iterate_until ((volatile gpointer *) &stored, "store");
    g_assert_true (popbell_credentials_store_finish (fresh, stored, &error));
    popbell_credentials_lookup_async (fresh, HOST, "user9", NULL, store_result, &result);
    iterate_until ((volatile gpointer *) &result, "lookup after store");
    password = popbell_credentials_lookup_finish (fresh, result, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (password, ==, "changed");
    popbell_credentials_free_password (password);
  }

  g_dbus_connection_remove_filter (bus, filter_id);
  g_clear_object (&fresh);
  while (g_main_context_iteration (NULL, FALSE))
    ;
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
  ADD ("many-accounts-one-search", POPBELL_TEST_SECRETS_UNLOCKED, test_many_accounts_one_search);
  ADD ("not-found", POPBELL_TEST_SECRETS_UNLOCKED, test_not_found);
  ADD ("locked-then-unlocked", POPBELL_TEST_SECRETS_UNLOCKED, test_locked_then_unlocked);
  ADD ("locked-empty", POPBELL_TEST_SECRETS_LOCKED, test_locked_empty);
  ADD ("no-service", POPBELL_TEST_SECRETS_NONE, test_no_service);
  ADD ("no-bus", POPBELL_TEST_SECRETS_NO_BUS, test_no_service);
  ADD ("cancelled", POPBELL_TEST_SECRETS_UNLOCKED, test_cancelled);
#undef ADD

  return g_test_run ();
}
