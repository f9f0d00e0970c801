/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* RTLD_DEFAULT, for secret_service_disconnect() below. */
#define _GNU_SOURCE

#include "popbell-test-session.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <glib/gstdio.h>

#include "popbell-test-util.h"

#define SECRETS_NAME      "org.freedesktop.secrets"
#define SECRETS_PATH      "/org/freedesktop/secrets"
#define SERVICE_IFACE     "org.freedesktop.Secret.Service"
#define COLLECTION_IFACE  "org.freedesktop.Secret.Collection"
/* gnome-keyring's own interface for setting up keyrings without a prompt
 * (what its PAM module and tools like this one use). */
#define GKR_INTERNAL_IFACE "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"
#define POPBELL_SCHEMA    "io.github.popbell.Account"

#define START_TIMEOUT_S 10
#define STOP_TIMEOUT_S  5
#define CALL_TIMEOUT_MS 5000

struct _PopbellTestSession
{
  PopbellTestSecrets secrets;
  gchar           *dir;          /* (owned) the session root */
  gboolean         own_dir;      /* we made @dir and remove it */
  GSubprocess     *bus;          /* (owned) (nullable) our dbus-daemon */
  gchar           *bus_address;  /* (owned) (nullable) */
  GDBusConnection *conn;         /* (owned) (nullable) private, not the g_bus_get() singleton */
  GSubprocess     *keyring;      /* (owned) (nullable) gnome-keyring-daemon --foreground */
  GPid             keyring_pid;
  gchar           *keyring_runtime; /* (owned) (nullable) short runtime dir we made for it */
  gchar           *collection;   /* (owned) (nullable) object path of the "login" collection */
};

/* ------------------------------------------------------------------------ */
/* Waiting without sleeping: a private main context, so that the caller's
 * sources do not run inside our setup and teardown. */

typedef struct
{
  gboolean done;
  gboolean timed_out;
} Wait;

static gboolean
on_wait_timeout (gpointer user_data)
{
  Wait *wait = user_data;

  wait->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static GSource *
wait_timeout_attach (GMainContext *context,
                     guint         seconds,
                     Wait         *wait)
{
  GSource *source = g_timeout_source_new_seconds (seconds);

  g_source_set_callback (source, on_wait_timeout, wait, NULL);
  g_source_attach (source, context);
  return source;
}

static void
on_subprocess_waited (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Wait *wait = user_data;

  /* Cancelled or not, the process state is all we need. */
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  wait->done = TRUE;
}

/* TRUE once @proc has exited, FALSE after @seconds. */
static gboolean
subprocess_wait_timeout (GSubprocess *proc,
                         guint        seconds)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait wait = { FALSE, FALSE };
  GSource *timeout;

  g_main_context_push_thread_default (context);
  timeout = wait_timeout_attach (context, seconds, &wait);
  g_subprocess_wait_async (proc, cancellable, on_subprocess_waited, &wait);
  while (!wait.done && !wait.timed_out)
    g_main_context_iteration (context, TRUE);
  if (!wait.done)
    {
      g_cancellable_cancel (cancellable);
      while (!wait.done)
        g_main_context_iteration (context, TRUE);
    }
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_pop_thread_default (context);

  return !wait.timed_out;
}

static void
on_name_appeared (GDBusConnection *connection,
                  const gchar     *name,
                  const gchar     *name_owner,
                  gpointer         user_data)
{
  gboolean *appeared = user_data;

  *appeared = TRUE;
}

/* Waits until @name has an owner on @conn; fails early when @proc (the
 * process meant to own it) exits. */
static gboolean
wait_for_name (GDBusConnection *conn,
               const gchar     *name,
               GSubprocess     *proc,
               GError         **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait wait = { FALSE, FALSE };
  Wait exited = { FALSE, FALSE };
  gboolean appeared = FALSE;
  GSource *timeout;
  guint watch_id;

  g_main_context_push_thread_default (context);
  timeout = wait_timeout_attach (context, START_TIMEOUT_S, &wait);
  watch_id = g_bus_watch_name_on_connection (conn, name, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                             on_name_appeared, NULL, &appeared, NULL);
  g_subprocess_wait_async (proc, cancellable, on_subprocess_waited, &exited);

  while (!appeared && !wait.timed_out && !exited.done)
    g_main_context_iteration (context, TRUE);

  g_bus_unwatch_name (watch_id);
  g_cancellable_cancel (cancellable);
  while (!exited.done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  /* Let the unwatch's pending callbacks drop their references. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);

  if (appeared)
    return TRUE;
  if (g_subprocess_get_if_exited (proc) || g_subprocess_get_if_signaled (proc))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                 "%s exited before it owned %s (see its log in the session directory)",
                 g_subprocess_get_identifier (proc) ? g_subprocess_get_identifier (proc) : "the service",
                 name);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "nothing owned %s after %d s", name, START_TIMEOUT_S);
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Directories */

static gboolean
make_dir (const gchar *path,
          int          mode,
          GError     **error)
{
  if (g_mkdir_with_parents (path, mode) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* Aborts when GLib's cached directories are not the ones in the
 * environment: the test would otherwise read and write the real ones. */
static void
check_glib_sees_environment (void)
{
  static const struct { const gchar *var; const gchar *(*get) (void); } dirs[] = {
    { "HOME", g_get_home_dir },
    { "XDG_CONFIG_HOME", g_get_user_config_dir },
    { "XDG_STATE_HOME", g_get_user_state_dir },
    { "XDG_CACHE_HOME", g_get_user_cache_dir },
    { "XDG_DATA_HOME", g_get_user_data_dir },
    { "XDG_RUNTIME_DIR", g_get_user_runtime_dir },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      const gchar *want = g_getenv (dirs[i].var);
      const gchar *have = dirs[i].get ();

      if (g_strcmp0 (want, have) != 0)
        g_error ("popbell-test-session: GLib uses %s for %s but the session set %s. "
                 "Create the session before anything asks GLib for a user directory "
                 "(right after g_test_init(), in main()), or use "
                 "G_TEST_OPTION_ISOLATE_DIRS with POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS.",
                 have, dirs[i].var, want);
    }
}

/* g_test_dbus_unset() unsets
 * XDG_RUNTIME_DIR, because GDBus would find the user's bus at
 * $XDG_RUNTIME_DIR/bus. Ours holds no bus socket, and services such as
 * gnome-keyring need a runtime directory: put it back. */
static void
restore_runtime_dir (void)
{
  g_setenv ("XDG_RUNTIME_DIR", g_get_user_runtime_dir (), TRUE);
}

static gboolean
setup_own_dirs (PopbellTestSession *self,
                GError            **error)
{
  g_autofree gchar *home = NULL;
  g_autofree gchar *runtime = NULL;
  g_autofree gchar *config = NULL;
  g_autofree gchar *state = NULL;
  g_autofree gchar *cache = NULL;
  g_autofree gchar *data = NULL;

  self->dir = g_dir_make_tmp ("popbell-session-XXXXXX", error);
  if (self->dir == NULL)
    return FALSE;
  self->own_dir = TRUE;

  home = g_build_filename (self->dir, "home", NULL);
  runtime = g_build_filename (self->dir, "run", NULL);
  config = g_build_filename (home, ".config", NULL);
  state = g_build_filename (home, ".local", "state", NULL);
  cache = g_build_filename (home, ".cache", NULL);
  data = g_build_filename (home, ".local", "share", NULL);

  if (!make_dir (config, 0700, error) || !make_dir (state, 0700, error) ||
      !make_dir (cache, 0700, error) || !make_dir (data, 0700, error) ||
      !make_dir (runtime, 0700, error))
    return FALSE;
  /* XDG_RUNTIME_DIR must be 0700 whatever the umask did. */
  g_chmod (runtime, 0700);

  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_STATE_HOME", state, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  return TRUE;
}

/* G_TEST_OPTION_ISOLATE_DIRS has pointed GLib's cached directories into
 * a per-test temporary directory, but set the environment variables to
 * /dev/null (so that a subprocess cannot reach the real ones by accident).
 * The services we start need them: export GLib's values. */
static gboolean
adopt_isolated_dirs (PopbellTestSession *self,
                     GError            **error)
{
  static const struct { const gchar *var; const gchar *(*get) (void); } dirs[] = {
    { "HOME", g_get_home_dir },
    { "XDG_CONFIG_HOME", g_get_user_config_dir },
    { "XDG_STATE_HOME", g_get_user_state_dir },
    { "XDG_CACHE_HOME", g_get_user_cache_dir },
    { "XDG_DATA_HOME", g_get_user_data_dir },
    { "XDG_RUNTIME_DIR", g_get_user_runtime_dir },
  };
  const gchar *tmp = g_get_tmp_dir ();

  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      const gchar *value = dirs[i].get ();

      if (!g_str_has_prefix (value, tmp))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS needs G_TEST_OPTION_ISOLATE_DIRS "
                       "(GLib's %s is %s)", dirs[i].var, value);
          return FALSE;
        }
      if (!make_dir (value, 0700, error))
        return FALSE;
      g_setenv (dirs[i].var, value, TRUE);
    }
  g_chmod (g_get_user_runtime_dir (), 0700);
  self->dir = g_path_get_dirname (g_get_home_dir ());
  self->own_dir = FALSE;
  return TRUE;
}

static void
remove_tree (const gchar *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const gchar *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree gchar *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    {
      g_unlink (path);
    }
}

/* ------------------------------------------------------------------------ */
/* Session bus */

/* Runs in each service's child process between fork and exec: the service
 * goes when the test process does, also when an assertion aborts it or
 * meson kills it, before any teardown ran. Otherwise it would live on and
 * keep meson's stdout/stderr pipes open, so that meson waits for the
 * test's full timeout. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* A dbus-daemon of our own, not GTestDBus: GLib 2.74's GTestDBus forks a
 * "watcher" that kills the bus when the test process dies, but its pipe's
 * write end is not close-on-exec, so every dbus-daemon started after the
 * first (one session per test case) inherits it, the watcher never sees
 * EOF, and a crashed test leaves bus, keyring and watcher running until
 * meson's timeout (test-cli hung 120 s after a failed assertion). The
 * configuration has no <servicedir>: nothing is activatable, so neither a
 * notification server nor a keyring the system installs can be started
 * behind the test's back. */
static gboolean
start_bus (PopbellTestSession *self,
           GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree gchar *conf = g_build_filename (self->dir, "bus.conf", NULL);
  g_autofree gchar *text = NULL;
  g_autofree gchar *escaped = g_markup_escape_text (g_get_tmp_dir (), -1);
  gchar *line;

  /* unix:tmpdir gives an abstract socket on Linux: no file, no path
   * length limit. */
  text = g_strdup_printf ("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus "
                          "Configuration 1.0//EN\" "
                          "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                          "<busconfig>\n"
                          "  <type>session</type>\n"
                          "  <listen>unix:tmpdir=%s</listen>\n"
                          "  <auth>EXTERNAL</auth>\n"
                          "  <policy context=\"default\">\n"
                          "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                          "    <allow eavesdrop=\"true\"/>\n"
                          "    <allow own=\"*\"/>\n"
                          "  </policy>\n"
                          "</busconfig>\n", escaped);
  if (!g_file_set_contents (conf, text, -1, error))
    return FALSE;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  self->bus = g_subprocess_launcher_spawn (launcher, error, "dbus-daemon", "--config-file", conf,
                                           "--nofork", "--nopidfile", "--print-address=1",
                                           NULL);
  if (self->bus == NULL)
    return FALSE;

  /* It prints its address once it listens; EOF if it failed. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->bus));
  line = g_data_input_stream_read_line (out, NULL, NULL, error);
  if (line == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "dbus-daemon did not start");
      return FALSE;
    }
  self->bus_address = g_strstrip (line);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", self->bus_address, TRUE);
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Keyring */

/* gnome-keyring-daemon binds $XDG_RUNTIME_DIR/keyring/control and copies
 * the path into sockaddr_un.sun_path (108 bytes) silently truncated.
 * GLib's per-test directories are deep (TMPDIR, program, test path): cut
 * by exactly "/control" the daemon binds the keyring/ directory itself,
 * fails with EADDRINUSE and exits; cut otherwise it binds a stray name.
 * Whether a test case works would depend on the length of its name and of
 * TMPDIR. Give the daemon a short runtime directory of its own then. */
static gboolean
keyring_runtime_dir (PopbellTestSession  *self,
                     GSubprocessLauncher *launcher,
                     GError             **error)
{
  const gchar *runtime = g_getenv ("XDG_RUNTIME_DIR");
  g_autofree gchar *control = NULL;

  control = g_build_filename (runtime ? runtime : "", "keyring", "control", NULL);
  if (runtime != NULL && strlen (control) < sizeof (((struct sockaddr_un *) NULL)->sun_path))
    return TRUE;

  self->keyring_runtime = g_dir_make_tmp ("pb-kr-XXXXXX", error);
  if (self->keyring_runtime == NULL)
    return FALSE;
  g_chmod (self->keyring_runtime, 0700);
  g_free (control);
  control = g_build_filename (self->keyring_runtime, "keyring", "control", NULL);
  if (strlen (control) >= sizeof (((struct sockaddr_un *) NULL)->sun_path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FILENAME_TOO_LONG,
                   "TMPDIR is too long for gnome-keyring-daemon's socket path %s", control);
      return FALSE;
    }
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", self->keyring_runtime, TRUE);
  return TRUE;
}

/* gnome-keyring-daemon owns its bus name before it has created (or
 * unlocked) the login keyring from the --unlock password: seen as
 * ReadAlias("default") = "/" right after the name appeared, about once in
 * a hundred starts. Ask again until the collection is there and unlocked. */
static gboolean
wait_for_login_collection (PopbellTestSession *self,
                           GError            **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + START_TIMEOUT_S * G_USEC_PER_SEC;
  guint tries = 0;

  g_main_context_push_thread_default (context);
  for (;;)
    {
      g_autoptr(GVariant) reply = NULL;
      gboolean locked = TRUE;

      reply = g_dbus_connection_call_sync (self->conn, SECRETS_NAME, SECRETS_PATH, SERVICE_IFACE,
                                           "ReadAlias", g_variant_new ("(s)", "default"),
                                           G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                           CALL_TIMEOUT_MS, NULL, error);
      if (reply == NULL)
        break;
      g_clear_pointer (&self->collection, g_free);
      g_variant_get (reply, "(o)", &self->collection);
      if (g_strcmp0 (self->collection, "/") == 0)
        g_clear_pointer (&self->collection, g_free);
      else if (!popbell_test_session_is_locked (self, &locked, error))
        break;

      tries++;
      if (self->collection != NULL && !locked)
        {
          if (tries > 1)
            g_test_message ("popbell-test-session: the login keyring was ready %" G_GINT64_FORMAT
                            " ms after its bus name", (g_get_monotonic_time () - start) / 1000);
          g_main_context_pop_thread_default (context);
          return TRUE;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "gnome-keyring-daemon has no unlocked default collection %d s after --unlock",
                       START_TIMEOUT_S);
          break;
        }
      {
        /* 20 ms on our own context: nothing of the caller's runs. */
        Wait wait = { FALSE, FALSE };
        GSource *tick = g_timeout_source_new (20);

        g_source_set_callback (tick, on_wait_timeout, &wait, NULL);
        g_source_attach (tick, context);
        while (!wait.timed_out)
          g_main_context_iteration (context, TRUE);
        g_source_destroy (tick);
        g_source_unref (tick);
      }
    }
  g_clear_pointer (&self->collection, g_free);
  g_main_context_pop_thread_default (context);
  return FALSE;
}

static gboolean
start_keyring (PopbellTestSession *self,
               GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *log = g_build_filename (self->dir, "gnome-keyring.log", NULL);
  GOutputStream *stdin_pipe;
  const gchar *password = POPBELL_TEST_SESSION_KEYRING_PASSWORD;
  const gchar *identifier;

  /* The environment is copied now: HOME, XDG_* and the bus address are
   * already the session's, so the keyring files land in the temp dir. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  if (!keyring_runtime_dir (self, launcher, error))
    return FALSE;
  /* --unlock reads the password on stdin up to EOF and, with no login
   * keyring yet, creates it with that password, unlocked. --foreground
   * keeps it our child, so we know its PID. */
  self->keyring = g_subprocess_launcher_spawn (launcher, error, "gnome-keyring-daemon",
                                               "--foreground", "--unlock",
                                               "--components=secrets", NULL);
  if (self->keyring == NULL)
    return FALSE;
  identifier = g_subprocess_get_identifier (self->keyring);
  self->keyring_pid = identifier ? (GPid) g_ascii_strtoll (identifier, NULL, 10) : 0;

  stdin_pipe = g_subprocess_get_stdin_pipe (self->keyring);
  if (!g_output_stream_write_all (stdin_pipe, password, strlen (password), NULL, NULL, error) ||
      !g_output_stream_close (stdin_pipe, NULL, error))
    return FALSE;

  if (!wait_for_name (self->conn, SECRETS_NAME, self->keyring, error))
    {
      /* With G_TEST_OPTION_ISOLATE_DIRS the session directory, log and
       * all, is gone by the time anyone reads the failure: carry the log
       * in the message. */
      g_autofree gchar *text = NULL;

      if (error != NULL && *error != NULL &&
          g_file_get_contents (log, &text, NULL, NULL) && text[0] != '\0')
        {
          gchar *message = g_strdup_printf ("%s; gnome-keyring-daemon said: %s",
                                            (*error)->message, g_strchomp (text));

          g_free ((*error)->message);
          (*error)->message = message;
        }
      return FALSE;
    }

  return wait_for_login_collection (self, error);
}

static void
stop_keyring (PopbellTestSession *self)
{
  if (self->keyring != NULL && g_subprocess_get_identifier (self->keyring) != NULL)
    {
      g_subprocess_send_signal (self->keyring, SIGTERM);
      if (!subprocess_wait_timeout (self->keyring, STOP_TIMEOUT_S))
        {
          g_subprocess_force_exit (self->keyring);
          subprocess_wait_timeout (self->keyring, STOP_TIMEOUT_S);
        }
    }
  g_clear_object (&self->keyring);
  self->keyring_pid = 0;
  if (self->keyring_runtime != NULL)
    remove_tree (self->keyring_runtime);
  g_clear_pointer (&self->keyring_runtime, g_free);
}

/* libsecret keeps its SecretService (and with it the session bus
 * connection) in a process-wide cache, and with it the g_bus_get()
 * singleton. Tests that use libsecret link it; this library does not
 * need to. */
static void
disconnect_libsecret (void)
{
  void (*disconnect) (void) = (void (*) (void)) dlsym (RTLD_DEFAULT, "secret_service_disconnect");

  if (disconnect != NULL)
    disconnect ();
}

static gboolean
have_program (const gchar *program,
              const gchar *package,
              GError     **error)
{
  g_autofree gchar *path = g_find_program_in_path (program);

  if (path != NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               "%s is not installed (Debian package %s)", program, package);
  return FALSE;
}

/* Stops the dbus-daemon. */
static void
stop_bus (PopbellTestSession *self)
{
  GDBusConnection *singleton;
  GDBusConnection *alive = NULL;

  if (self->bus == NULL)
    return;

  /* Unlike g_test_dbus_down(), this does not wait for the g_bus_get()
   * singleton to be finalized (GTestDBus runs the global default context
   * for up to 30 s, then warns, fatal in a GTest). Code under test may
   * keep the bus until the process exits (libsecret's proxies do, even
   * after secret_service_disconnect()), and running the default context
   * would dispatch whatever the test left in it (GDK exits the process
   * when its X server is already gone). We drop our reference and only
   * say when it is still in use. */
  singleton = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (singleton != NULL)
    {
      GWeakRef weak;

      /* Otherwise its closing raises SIGTERM in this process. */
      g_dbus_connection_set_exit_on_close (singleton, FALSE);
      /* The last other reference may go on GDBus's worker thread at any
       * moment (libsecret's proxies drop theirs there): only GWeakRef is
       * safe against that; a weak pointer can be cleared between our
       * check and its removal. */
      g_weak_ref_init (&weak, singleton);
      g_object_unref (singleton);
      alive = g_weak_ref_get (&weak);
      g_weak_ref_clear (&weak);
    }
  if (alive != NULL)
    {
      g_test_message ("popbell-test-session: the session bus connection is still in use "
                      "(%u other references); stopping the bus without waiting for it",
                      G_OBJECT (alive)->ref_count - 1);
      g_clear_object (&alive);
    }

  g_subprocess_send_signal (self->bus, SIGTERM);
  if (!subprocess_wait_timeout (self->bus, STOP_TIMEOUT_S))
    {
      g_subprocess_force_exit (self->bus);
      subprocess_wait_timeout (self->bus, STOP_TIMEOUT_S);
    }
  g_clear_object (&self->bus);
  g_clear_pointer (&self->bus_address, g_free);
  g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
}

/* ------------------------------------------------------------------------ */
/* Public API */

PopbellTestSession *
popbell_test_session_new (PopbellTestSecrets      secrets,
                          PopbellTestSessionFlags flags,
                          GError                **error)
{
  g_autoptr(PopbellTestSession) self = NULL;
  gboolean with_keyring = secrets == POPBELL_TEST_SECRETS_UNLOCKED ||
                          secrets == POPBELL_TEST_SECRETS_LOCKED;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Check the programs first, for a clear message. */
  if (secrets != POPBELL_TEST_SECRETS_NO_BUS && !have_program ("dbus-daemon", "dbus", error))
    return NULL;
  if (with_keyring && !have_program ("gnome-keyring-daemon", "gnome-keyring", error))
    return NULL;

  self = g_new0 (PopbellTestSession, 1);
  self->secrets = secrets;

  if (flags & POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS)
    {
      if (!adopt_isolated_dirs (self, error))
        return NULL;
    }
  else if (!setup_own_dirs (self, error))
    {
      return NULL;
    }
  check_glib_sees_environment ();

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  g_unsetenv ("WAYLAND_DISPLAY");
  g_test_dbus_unset ();   /* DISPLAY and any outer bus address */
  restore_runtime_dir ();

  if (secrets == POPBELL_TEST_SECRETS_NO_BUS)
    return g_steal_pointer (&self);

  if (!start_bus (self, error))
    return NULL;

  self->conn = g_dbus_connection_new_for_address_sync (self->bus_address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, error);
  if (self->conn == NULL)
    return NULL;

  if (with_keyring && !start_keyring (self, error))
    return NULL;

  if (secrets == POPBELL_TEST_SECRETS_LOCKED && !popbell_test_session_lock (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

PopbellTestSession *
popbell_test_session_new_or_skip (PopbellTestSecrets      secrets,
                                  PopbellTestSessionFlags flags)
{
  g_autoptr(GError) error = NULL;
  PopbellTestSession *self = popbell_test_session_new (secrets, flags, &error);

  if (self == NULL)
    popbell_test_skip_or_fail (error->message);
  return self;
}

int
popbell_test_session_skip_program (const GError *error)
{
  const gchar *why = error ? error->message : "the test session could not be set up";

  if (popbell_test_require_services ())
    {
      g_printerr ("FAIL: %s (required: POPBELL_TEST_REQUIRE_SERVICES=1)\n", why);
      return 1;
    }
  g_printerr ("SKIP: %s\n", why);
  return 77;
}

void
popbell_test_session_free (PopbellTestSession *self)
{
  if (self == NULL)
    return;

  disconnect_libsecret ();
  stop_keyring (self);
  if (self->conn != NULL)
    g_dbus_connection_close_sync (self->conn, NULL, NULL);
  g_clear_object (&self->conn);
  stop_bus (self);

  if (self->own_dir && self->dir != NULL)
    remove_tree (self->dir);
  g_free (self->dir);
  g_free (self->collection);
  g_free (self);
}

const gchar *
popbell_test_session_get_dir (PopbellTestSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->dir;
}

const gchar *
popbell_test_session_get_bus_address (PopbellTestSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->bus_address;
}

GPid
popbell_test_session_get_keyring_pid (PopbellTestSession *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->keyring_pid;
}

static gboolean
require_keyring (PopbellTestSession *self,
                 GError            **error)
{
  if (self->collection != NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "this test session runs no keyring");
  return FALSE;
}

gboolean
popbell_test_session_lock (PopbellTestSession *self,
                           GError            **error)
{
  g_autoptr(GVariant) reply = NULL;
  const gchar *prompt = NULL;
  const gchar *collections[] = { NULL, NULL };

  g_return_val_if_fail (self != NULL, FALSE);
  if (!require_keyring (self, error))
    return FALSE;

  collections[0] = self->collection;
  reply = g_dbus_connection_call_sync (self->conn, SECRETS_NAME, SECRETS_PATH, SERVICE_IFACE,
                                       "Lock", g_variant_new ("(^ao)", collections),
                                       G_VARIANT_TYPE ("(aoo)"), G_DBUS_CALL_FLAGS_NONE,
                                       CALL_TIMEOUT_MS, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(@ao&o)", NULL, &prompt);
  if (g_strcmp0 (prompt, "/") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "locking the keyring wanted a prompt (%s)", prompt);
      return FALSE;
    }
  return TRUE;
}

gboolean
popbell_test_session_unlock (PopbellTestSession *self,
                             const gchar        *password,
                             GError            **error)
{
  g_autoptr(GVariant) opened = NULL;
  g_autoptr(GVariant) reply = NULL;
  const gchar *session_path = NULL;
  GVariant *secret;
  gboolean locked;

  g_return_val_if_fail (self != NULL, FALSE);
  if (!require_keyring (self, error))
    return FALSE;
  if (password == NULL)
    password = POPBELL_TEST_SESSION_KEYRING_PASSWORD;

  /* A "plain" session: the secret travels unencrypted over the private
   * bus, which is fine for a throw-away test keyring. */
  opened = g_dbus_connection_call_sync (self->conn, SECRETS_NAME, SECRETS_PATH, SERVICE_IFACE,
                                        "OpenSession",
                                        g_variant_new ("(sv)", "plain", g_variant_new_string ("")),
                                        G_VARIANT_TYPE ("(vo)"), G_DBUS_CALL_FLAGS_NONE,
                                        CALL_TIMEOUT_MS, NULL, error);
  if (opened == NULL)
    return FALSE;
  g_variant_get (opened, "(v&o)", NULL, &session_path);

  /* Secret struct (oayays): session, parameters, value, content type. */
  secret = g_variant_new ("(o@ay@ays)", session_path,
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1),
                          g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, password,
                                                     strlen (password), 1),
                          "text/plain");
  reply = g_dbus_connection_call_sync (self->conn, SECRETS_NAME, SECRETS_PATH, GKR_INTERNAL_IFACE,
                                       "UnlockWithMasterPassword",
                                       g_variant_new ("(o@(oayays))", self->collection, secret),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
  g_dbus_connection_call (self->conn, SECRETS_NAME, session_path, "org.freedesktop.Secret.Session",
                          "Close", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS,
                          NULL, NULL, NULL);
  if (reply == NULL)
    return FALSE;

  /* gnome-keyring answers success for an already unlocked collection
   * whatever the password: say what the state is now. */
  if (!popbell_test_session_is_locked (self, &locked, error))
    return FALSE;
  if (locked)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "the keyring is still locked");
      return FALSE;
    }
  return TRUE;
}

gboolean
popbell_test_session_is_locked (PopbellTestSession *self,
                                gboolean           *locked,
                                GError            **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (locked != NULL, FALSE);
  if (!require_keyring (self, error))
    return FALSE;

  reply = g_dbus_connection_call_sync (self->conn, SECRETS_NAME, self->collection,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", COLLECTION_IFACE, "Locked"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                       CALL_TIMEOUT_MS, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(v)", &value);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Collection.Locked is not a boolean");
      return FALSE;
    }
  *locked = g_variant_get_boolean (value);
  return TRUE;
}

/* Runs secret-tool with @input on stdin; its stdout goes to @output. */
static gboolean
run_secret_tool (const gchar * const *argv,
                 const gchar         *input,
                 gchar              **output,
                 gint                *exit_status,
                 GError             **error)
{
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree gchar *err_text = NULL;

  if (!have_program ("secret-tool", "libsecret-tools", error))
    return FALSE;
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (proc == NULL ||
      !g_subprocess_communicate_utf8 (proc, input, NULL, output, &err_text, error))
    return FALSE;
  *exit_status = g_subprocess_get_exit_status (proc);
  if (err_text != NULL && err_text[0] != '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "secret-tool %s: %s",
                   argv[1], g_strchomp (err_text));
      return FALSE;
    }
  return TRUE;
}

gboolean
popbell_test_session_store_password (PopbellTestSession *self,
                                     const gchar        *host,
                                     const gchar        *user,
                                     const gchar        *password,
                                     GError            **error)
{
  g_autofree gchar *label = NULL;
  g_autofree gchar *output = NULL;
  gint status = -1;

  g_return_val_if_fail (self != NULL && host != NULL && user != NULL && password != NULL, FALSE);

  label = g_strdup_printf ("Popbell test: %s@%s", user, host);
  {
    /* xdg:schema is what libsecret matches a schema-based lookup against. */
    const gchar *argv[] = { "secret-tool", "store", "--label", label,
                            "xdg:schema", POPBELL_SCHEMA, "host", host, "user", user, NULL };

    if (!run_secret_tool (argv, password, &output, &status, error))
      return FALSE;
  }
  if (status != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "secret-tool store failed (exit status %d)", status);
      return FALSE;
    }
  return TRUE;
}

gchar *
popbell_test_session_lookup_password (PopbellTestSession *self,
                                      const gchar        *host,
                                      const gchar        *user,
                                      GError            **error)
{
  const gchar *argv[] = { "secret-tool", "lookup",
                          "xdg:schema", POPBELL_SCHEMA, "host", host, "user", user, NULL };
  g_autofree gchar *output = NULL;
  gint status = -1;

  g_return_val_if_fail (self != NULL && host != NULL && user != NULL, NULL);

  if (!run_secret_tool (argv, NULL, &output, &status, error))
    return NULL;
  /* Exit status 1 with nothing on stderr: not found (or locked). */
  if (status != 0)
    return NULL;
  return g_steal_pointer (&output);
}
