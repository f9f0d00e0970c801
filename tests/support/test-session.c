/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Self-test of the private-session fixture (popbell-test-session.h).
 *
 * Process-wide sessions (the usual way) can be made once per process, so
 * each case runs in a fresh subprocess (g_test_trap_subprocess re-executes
 * this program). With --isolate-dirs the program instead runs under
 * G_TEST_OPTION_ISOLATE_DIRS and makes one session per test case. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "popbell-test-session.h"
#include "popbell-test-util.h"

static gboolean isolate_dirs;

static PopbellTestSessionFlags
session_flags (void)
{
  return isolate_dirs ? POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS : POPBELL_TEST_SESSION_FLAGS_NONE;
}

/* In process-wide mode the body runs in a child process; returns TRUE in
 * the child (run the body), FALSE in the parent (which checked the child). */
static gboolean
in_child (void)
{
  if (isolate_dirs || g_test_subprocess ())
    return TRUE;
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return FALSE;
}

static gboolean
pid_alive (GPid pid)
{
  g_autofree gchar *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree gchar *stat = NULL;
  const gchar *state;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  /* "pid (comm) S ...": a zombie (Z) is dead for our purposes. */
  state = strrchr (stat, ')');
  return state != NULL && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

static gboolean
name_has_owner (GDBusConnection *conn,
                const gchar     *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
assert_dir_is (const gchar *var,
               const gchar *glib_value,
               const gchar *root)
{
  const gchar *value = g_getenv (var);

  g_test_message ("%s=%s (GLib: %s)", var, value, glib_value);
  g_assert_cmpstr (value, ==, glib_value);
  g_assert_true (g_str_has_prefix (value, root));
  g_assert_true (g_file_test (value, G_FILE_TEST_IS_DIR));
}

/* Directories and environment; the bus has nothing activatable. */
static void
test_dirs_and_bus (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) conn = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree gchar *root = NULL;
  g_autofree gchar *address = NULL;
  g_autofree const gchar **activatable = NULL;
  PopbellTestSession *session;
  GStatBuf st;

  if (!in_child ())
    return;

  session = popbell_test_session_new_or_skip (POPBELL_TEST_SECRETS_NONE, session_flags ());
  if (session == NULL)
    return;
  root = g_strdup (popbell_test_session_get_dir (session));

  assert_dir_is ("HOME", g_get_home_dir (), root);
  assert_dir_is ("XDG_CONFIG_HOME", g_get_user_config_dir (), root);
  assert_dir_is ("XDG_STATE_HOME", g_get_user_state_dir (), root);
  assert_dir_is ("XDG_CACHE_HOME", g_get_user_cache_dir (), root);
  assert_dir_is ("XDG_DATA_HOME", g_get_user_data_dir (), root);
  assert_dir_is ("XDG_RUNTIME_DIR", g_get_user_runtime_dir (), root);
  g_assert_cmpint (g_stat (g_get_user_runtime_dir (), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpstr (g_getenv ("GSETTINGS_BACKEND"), ==, "memory");
  g_assert_cmpstr (g_getenv ("NO_AT_BRIDGE"), ==, "1");
  g_assert_null (g_getenv ("DISPLAY"));

  address = g_strdup (popbell_test_session_get_bus_address (session));
  g_assert_nonnull (address);
  g_assert_cmpstr (g_getenv ("DBUS_SESSION_BUS_ADDRESS"), ==, address);

  /* The g_bus_get() singleton, as the code under test would use it. */
  conn = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (name_has_owner (conn, "org.freedesktop.secrets"));
  g_assert_false (name_has_owner (conn, "org.freedesktop.Notifications"));
  reply = g_dbus_connection_call_sync (conn, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "ListActivatableNames", NULL,
                                       G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(^a&s)", &activatable);
  g_assert_cmpuint (g_strv_length ((gchar **) activatable), ==, 1);
  g_assert_cmpstr (activatable[0], ==, "org.freedesktop.DBus");
  g_clear_object (&conn);

  popbell_test_session_free (session);

  /* Everything is gone: the bus refuses connections, the dir is removed. */
  conn = g_dbus_connection_new_for_address_sync (address,
                                                 G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                 G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                 NULL, NULL, &error);
  g_assert_null (conn);
  g_assert_nonnull (error);
  if (!isolate_dirs)
    g_assert_false (g_file_test (root, G_FILE_TEST_EXISTS));
}

static void
test_unlocked (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *password = NULL;
  g_autofree gchar *keyrings = NULL;
  PopbellTestSession *session;
  gboolean locked = TRUE;
  GPid pid;

  if (!in_child ())
    return;

  session = popbell_test_session_new_or_skip (POPBELL_TEST_SECRETS_UNLOCKED, session_flags ());
  if (session == NULL)
    return;
  pid = popbell_test_session_get_keyring_pid (session);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (pid_alive (pid));

  g_assert_true (popbell_test_session_is_locked (session, &locked, &error));
  g_assert_no_error (error);
  g_assert_false (locked);

  /* Nothing stored yet: NULL without an error. */
  password = popbell_test_session_lookup_password (session, "pop.example.test", "alice", &error);
  g_assert_no_error (error);
  g_assert_null (password);

  g_assert_true (popbell_test_session_store_password (session, "pop.example.test", "alice",
                                                      "s3cret pw ü", &error));
  g_assert_no_error (error);
  password = popbell_test_session_lookup_password (session, "pop.example.test", "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "s3cret pw ü");

  /* The keyring files live in the session, not in the real home. */
  keyrings = g_build_filename (g_get_user_data_dir (), "keyrings", NULL);
  g_assert_true (g_str_has_prefix (keyrings, popbell_test_session_get_dir (session)));
  g_assert_true (g_file_test (keyrings, G_FILE_TEST_IS_DIR));

  popbell_test_session_free (session);
  g_assert_false (pid_alive (pid));
}

static void
test_locked_then_unlocked (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *password = NULL;
  PopbellTestSession *session;
  gboolean locked = FALSE;

  if (!in_child ())
    return;

  session = popbell_test_session_new_or_skip (POPBELL_TEST_SECRETS_LOCKED, session_flags ());
  if (session == NULL)
    return;

  g_assert_true (popbell_test_session_is_locked (session, &locked, &error));
  g_assert_no_error (error);
  g_assert_true (locked);

  /* Locked: nothing can be read, and no prompt blocks (none can start). */
  password = popbell_test_session_lookup_password (session, "h", "u", &error);
  g_assert_no_error (error);
  g_assert_null (password);

  /* A wrong password leaves it locked. */
  g_assert_false (popbell_test_session_unlock (session, "wrong", &error));
  g_assert_nonnull (error);
  g_test_message ("wrong password: %s", error->message);
  g_clear_error (&error);
  g_assert_true (popbell_test_session_is_locked (session, &locked, &error));
  g_assert_true (locked);

  g_assert_true (popbell_test_session_unlock (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (popbell_test_session_is_locked (session, &locked, &error));
  g_assert_false (locked);

  g_assert_true (popbell_test_session_store_password (session, "h", "u", "pw", &error));
  g_assert_no_error (error);
  password = popbell_test_session_lookup_password (session, "h", "u", &error);
  g_assert_cmpstr (password, ==, "pw");
  g_clear_pointer (&password, g_free);

  /* And locked again: the stored item is out of reach. */
  g_assert_true (popbell_test_session_lock (session, &error));
  g_assert_no_error (error);
  password = popbell_test_session_lookup_password (session, "h", "u", &error);
  g_assert_no_error (error);
  g_assert_null (password);

  popbell_test_session_free (session);
}

static void
test_no_bus (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) conn = NULL;
  PopbellTestSession *session;

  if (!in_child ())
    return;

  session = popbell_test_session_new_or_skip (POPBELL_TEST_SECRETS_NO_BUS, session_flags ());
  if (session == NULL)
    return;
  g_assert_null (popbell_test_session_get_bus_address (session));
  g_assert_null (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
  conn = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_null (conn);
  g_assert_nonnull (error);
  popbell_test_session_free (session);
}

int
main (int argc, char **argv)
{
  /* Our own option, removed before g_test_init() sees argv. */
  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--isolate-dirs") == 0)
      {
        isolate_dirs = TRUE;
        memmove (&argv[i], &argv[i + 1], (argc - i) * sizeof (char *));
        argc--;
        break;
      }

  if (isolate_dirs)
    g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  else
    g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/support/session/dirs-and-bus", test_dirs_and_bus);
  g_test_add_func ("/support/session/unlocked", test_unlocked);
  g_test_add_func ("/support/session/locked-then-unlocked", test_locked_then_unlocked);
  g_test_add_func ("/support/session/no-bus", test_no_bus);

  return g_test_run ();
}
