/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A private desktop session for tests: temporary HOME and XDG directories,
 * a private D-Bus session bus (its own dbus-daemon without service
 * activation, so nothing the system installs can be auto-started on it)
 * and, on request, a real gnome-keyring Secret Service on that bus. The
 * bus and the keyring die with the test process, also when it crashes.
 *
 * ORDER MATTERS. GLib reads HOME/XDG_* once and caches them at the first
 * g_get_user_config_dir(), g_get_home_dir(), g_get_user_state_dir()... call.
 * So either
 *
 *   a) one session per test program, created in main() after g_test_init()
 *      (WITHOUT G_TEST_OPTION_ISOLATE_DIRS) and before anything looks up a
 *      directory (GApplication, GSettings, libsecret, the engine):
 *
 *        g_test_init (&argc, &argv, NULL);
 *        session = popbell_test_session_new (POPBELL_TEST_SECRETS_UNLOCKED, 0, &error);
 *        if (session == NULL)
 *          return popbell_test_session_skip_program (error);
 *        ... g_test_add_func (...) ...
 *        status = g_test_run ();
 *        popbell_test_session_free (session);
 *        return status;
 *
 *   b) one session per test case, with g_test_init (..., G_TEST_OPTION_ISOLATE_DIRS,
 *      NULL) and POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS: GLib then gives each
 *      test fresh temporary XDG directories (and resets its caches); the
 *      session adopts them instead of making its own. Create it in the
 *      fixture setup (popbell_test_session_new_or_skip()), free it in the
 *      teardown.
 *
 * popbell_test_session_new() checks that GLib sees the directories it set
 * up and aborts with an explanation when it does not, so a wrong order
 * cannot silently write to the real ~/.local/share/keyrings.
 *
 * Before freeing the session, drop every reference to the session bus: a
 * g_bus_get() singleton still alive then is closed under its users (the
 * session says so in the test log). libsecret's cached
 * SecretService is dropped by the session itself (secret_service_disconnect(),
 * looked up at run time so that this library needs no libsecret). */

/* What answers on org.freedesktop.secrets. */
typedef enum
{
  /* A private session bus on which nothing owns org.freedesktop.secrets and
   * nothing can be activated: libsecret gets G_DBUS_ERROR_SERVICE_UNKNOWN. */
  POPBELL_TEST_SECRETS_NONE,
  /* gnome-keyring-daemon with the "login" collection (alias "default")
   * created and unlocked with POPBELL_TEST_SESSION_KEYRING_PASSWORD. */
  POPBELL_TEST_SECRETS_UNLOCKED,
  /* The same, then locked: lookups return nothing (no prompt can appear on
   * this bus) until popbell_test_session_unlock(). */
  POPBELL_TEST_SECRETS_LOCKED,
  /* No session bus at all: DBUS_SESSION_BUS_ADDRESS and DISPLAY unset. */
  POPBELL_TEST_SECRETS_NO_BUS,
} PopbellTestSecrets;

typedef enum
{
  POPBELL_TEST_SESSION_FLAGS_NONE = 0,
  /* Use the directories G_TEST_OPTION_ISOLATE_DIRS set for this test case
   * (see b) above) instead of making a temporary directory. */
  POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS = 1 << 0,
} PopbellTestSessionFlags;

#define POPBELL_TEST_SESSION_KEYRING_PASSWORD "popbell-test-keyring"

typedef struct _PopbellTestSession PopbellTestSession;

/* Sets HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME, XDG_DATA_HOME,
 * XDG_RUNTIME_DIR (0700), GSETTINGS_BACKEND=memory, NO_AT_BRIDGE=1, unsets
 * DISPLAY and WAYLAND_DISPLAY, then starts the bus and the keyring. Returns
 * NULL with @error set when a program is missing (G_IO_ERROR_NOT_FOUND) or a
 * service did not come up; nothing is left running then. */
PopbellTestSession *popbell_test_session_new          (PopbellTestSecrets      secrets,
                                                       PopbellTestSessionFlags flags,
                                                       GError                **error);

/* For use inside a test case (or its fixture setup): on failure calls
 * popbell_test_skip_or_fail() and returns NULL; the test then returns. */
PopbellTestSession *popbell_test_session_new_or_skip  (PopbellTestSecrets      secrets,
                                                       PopbellTestSessionFlags flags);

/* For use in main() when popbell_test_session_new() failed: prints why and
 * returns the exit status for the whole program — 77 (meson: skipped), or 1
 * under POPBELL_TEST_REQUIRE_SERVICES=1. */
int                 popbell_test_session_skip_program (const GError *error);

/* Stops the keyring and the bus (by PID, SIGTERM then SIGKILL after 5 s),
 * and removes the temporary directory. NULL is ignored. */
void                popbell_test_session_free         (PopbellTestSession *self);

/* The temporary directory that holds HOME and the XDG directories. */
const gchar        *popbell_test_session_get_dir      (PopbellTestSession *self);
/* NULL for POPBELL_TEST_SECRETS_NO_BUS. */
const gchar        *popbell_test_session_get_bus_address (PopbellTestSession *self);
/* 0 when no keyring runs. */
GPid                popbell_test_session_get_keyring_pid (PopbellTestSession *self);

/* Lock / unlock the "login" collection, as the user would at the lock
 * screen; unlocking uses gnome-keyring's UnlockWithMasterPassword, no
 * prompt. @password NULL means POPBELL_TEST_SESSION_KEYRING_PASSWORD; a wrong
 * one fails with an error and leaves the collection locked. */
gboolean            popbell_test_session_lock         (PopbellTestSession *self,
                                                       GError            **error);
gboolean            popbell_test_session_unlock       (PopbellTestSession *self,
                                                       const gchar        *password,
                                                       GError            **error);
/* Whether the "login" collection is locked now (in @locked). */
gboolean            popbell_test_session_is_locked    (PopbellTestSession *self,
                                                       gboolean           *locked,
                                                       GError            **error);

/* Store / look up a password as Popbell does (schema
 * io.github.popbell.Account, attributes host and user), through
 * secret-tool, to seed or inspect the keyring independently of the code
 * under test. lookup returns NULL without error when nothing is stored (or
 * the collection is locked). The password goes through a pipe, never argv. */
gboolean            popbell_test_session_store_password  (PopbellTestSession *self,
                                                          const gchar        *host,
                                                          const gchar        *user,
                                                          const gchar        *password,
                                                          GError            **error);
gchar              *popbell_test_session_lookup_password (PopbellTestSession *self,
                                                          const gchar        *host,
                                                          const gchar        *user,
                                                          GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellTestSession, popbell_test_session_free)

G_END_DECLS
