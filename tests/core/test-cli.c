/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The headless commands of the real `popbell` binary ($POPBELL_BIN) in a
 * private session (temporary XDG dirs, private bus, real gnome-keyring),
 * against the in-process fake POP3 server: JSON field by field, exit codes,
 * the keyring, no password anywhere on disk or in the debug trace, kills
 * at random moments, two runs at once. */
#define _GNU_SOURCE 1   /* memmem */
#include "popbell-config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "popbell-fake-server.h"
#include "popbell-state-store.h"
#include "popbell-test-session.h"
#include "popbell-test-util.h"

#define USER "alice"
#define PASSWORD "Pw-7x!q9-unique-secret"

typedef struct {
  PopbellTestSession *session;
  PopbellFakeServer  *server;
  const gchar        *bin;
} Fixture;

static const gchar *MSG_NEW =
  "From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@example.org>\n"
  "To: alice@example.org\n"
  "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\n"
  "Date: Thu, 26 Nov 2026 10:00:00 +0100\n"
  "\n"
  "Hallo Alice,\nbis bald.\n";

static const gchar *MSG_OLD =
  "From: old@example.org\nTo: alice@example.org\nSubject: old\n\nold\n";

static void
write_accounts (guint16 port, const gchar *extra)
{
  g_autofree gchar *dir = g_build_filename (g_get_user_config_dir (), "popbell", NULL);
  g_autofree gchar *path = g_build_filename (dir, "accounts.ini", NULL);
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error = NULL;

  text = g_strdup_printf ("[account work]\nhost=127.0.0.1\nport=%u\nsecurity=none\n"
                          "username=" USER "\nauth=user\ninterval=60\ntimeout=5\n"
                          "allow-insecure-auth=true\n%s", port, extra != NULL ? extra : "");
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  PopbellTestSecrets secrets = GPOINTER_TO_INT (data);

  f->bin = g_getenv ("POPBELL_BIN");
  if (f->bin == NULL)
    {
      popbell_test_skip_or_fail ("POPBELL_BIN (the popbell binary) is not set");
      return;
    }
  f->session = popbell_test_session_new_or_skip (secrets, POPBELL_TEST_SESSION_GLIB_ISOLATED_DIRS);
  if (f->session == NULL)
    return;
  g_setenv ("POPBELL_NO_SYSTEM_BUS", "1", TRUE);
  f->server = popbell_fake_server_new_mailbox (USER, PASSWORD);
  write_accounts (popbell_fake_server_get_port (f->server), NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  if (f->server != NULL)
    {
      /* Never: the CLI does not download or delete in a check. */
      g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "DELE*"), ==, 0);
      popbell_fake_server_stop (f->server);
    }
  g_clear_object (&f->server);
  g_clear_pointer (&f->session, popbell_test_session_free);
}

#define SKIP_IF_NO_SESSION(f) G_STMT_START { if ((f)->session == NULL) return; } G_STMT_END

typedef struct {
  GSubprocess *process;
  gchar       *out;
  gchar       *err;
  gboolean     done;
} Run;

static void
communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->done = TRUE;
}

static GSubprocess *
spawn (Fixture *f, const gchar * const *args, gboolean debug)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (debug)
    g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "popbell", TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  /* G_TEST_OPTION_ISOLATE_DIRS empties XDG_DATA_DIRS; the proxy resolver
   * of glib-networking then finds no GSettings schemas and aborts. */
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", "/usr/local/share:/usr/share", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");

  g_ptr_array_add (argv, (gpointer) f->bin);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const gchar * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* Runs popbell to its end, driving the fake server meanwhile. */
static gint
run_popbell (Fixture *f, const gchar * const *args, const gchar *input, gboolean debug,
             gchar **out, gchar **err)
{
  Run run = { 0 };
  gint status;

  run.process = spawn (f, args, debug);
  g_subprocess_communicate_utf8_async (run.process, input != NULL ? input : "", NULL,
                                       communicated, &run);
  while (!run.done)
    g_main_context_iteration (NULL, TRUE);
  g_subprocess_wait (run.process, NULL, NULL);
  if (g_subprocess_get_if_signaled (run.process))
    g_error ("popbell %s died of signal %d; stderr:\n%s", args[0],
             g_subprocess_get_term_sig (run.process), run.err);
  status = g_subprocess_get_exit_status (run.process);
  g_test_message ("popbell %s → %d\nstdout: %s\nstderr: %s", args[0], status,
                  run.out, debug ? "(debug trace)" : run.err);
  if (out != NULL)
    *out = g_steal_pointer (&run.out);
  if (err != NULL)
    *err = g_steal_pointer (&run.err);
  g_free (run.out);
  g_free (run.err);
  g_object_unref (run.process);
  return status;
}

static JsonObject *
parse_account (const gchar *text, JsonParser **out_parser)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *accounts;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (root), ==, 1);
  accounts = json_object_get_array_member (root, "accounts");
  g_assert_cmpuint (json_array_get_length (accounts), ==, 1);
  *out_parser = g_steal_pointer (&parser);
  return json_array_get_object_element (accounts, 0);
}

static void
store_password (Fixture *f, const gchar *password)
{
  const gchar *args[] = { "--set-password", "work", NULL };
  g_autofree gchar *input = g_strconcat (password, "\n", NULL);
  g_autofree gchar *out = NULL, *err = NULL;

  g_assert_cmpint (run_popbell (f, args, input, FALSE, &out, &err), ==, 0);
  g_assert_null (strstr (out, password));
  g_assert_null (strstr (err, password));
}

/* Every file under the session's directory (HOME and the XDG dirs,
 * keyrings included): none may contain the password. */
static void
assert_not_in_files (const gchar *path, const gchar *needle)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  if (dir == NULL)
    {
      g_autofree gchar *contents = NULL;
      gsize len;

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR) &&
          g_file_get_contents (path, &contents, &len, NULL))
        {
          if (memmem (contents, len, needle, strlen (needle)) != NULL)
            g_error ("the password is in %s", path);
        }
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (!g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        assert_not_in_files (child, needle);
    }
}

/* The child becomes a session leader with the pty as its controlling
 * terminal, so a ^C typed on the master is a SIGINT from the line
 * discipline, as at a real prompt. */
static void
pty_child_setup (gpointer user_data)
{
  setsid ();
  ioctl (STDIN_FILENO, TIOCSCTTY, 0);
}

/* Reads what the child wrote to the terminal until @needle appears. */
static void
pty_wait_for (int master, GString *seen, const gchar *needle)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (strstr (seen->str, needle) == NULL)
    {
      struct pollfd pfd = { .fd = master, .events = POLLIN };
      gchar buf[256];
      gssize n;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (poll (&pfd, 1, 100) <= 0)
        continue;
      n = read (master, buf, sizeof buf);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (seen, buf, n);
    }
}

static gboolean
pty_echoes (int slave)
{
  struct termios t;

  g_assert_cmpint (tcgetattr (slave, &t), ==, 0);
  return (t.c_lflag & ECHO) != 0;
}

/* ^C (and a SIGTERM) at the password prompt must give the terminal its
 * echo back: it was left off, and the user's shell typed blind. */
static void
test_prompt_interrupted (Fixture *f, gconstpointer data)
{
  const int signals[] = { SIGINT, SIGTERM };

  SKIP_IF_NO_SESSION (f);

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GString) seen = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      const gchar *argv[] = { f->bin, "--set-password", "work", NULL };
      gint64 deadline;
      int master, slave;

      master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
      g_assert_cmpint (master, >=, 0);
      g_assert_cmpint (grantpt (master), ==, 0);
      g_assert_cmpint (unlockpt (master), ==, 0);
      slave = open (ptsname (master), O_RDWR | O_NOCTTY | O_CLOEXEC);
      g_assert_cmpint (slave, >=, 0);
      g_assert_true (pty_echoes (slave));

      g_subprocess_launcher_take_stdin_fd (launcher, dup (slave));
      g_subprocess_launcher_take_stdout_fd (launcher, dup (slave));
      g_subprocess_launcher_take_stderr_fd (launcher, dup (slave));
      g_subprocess_launcher_set_child_setup (launcher, pty_child_setup, NULL, NULL);
      g_subprocess_launcher_setenv (launcher, "XDG_DATA_DIRS", "/usr/local/share:/usr/share", TRUE);
      g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
      process = g_subprocess_launcher_spawnv (launcher, argv, &error);
      g_assert_no_error (error);

      /* The prompt is printed before the echo goes off: wait for both. */
      pty_wait_for (master, seen, "Password:");
      deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
      while (pty_echoes (slave))
        {
          g_assert_cmpint (g_get_monotonic_time (), <, deadline);
          g_usleep (10000);
        }

      if (signals[i] == SIGINT)
        g_assert_cmpint (write (master, "\x03", 1), ==, 1);   /* ^C, as typed */
      else
        g_subprocess_send_signal (process, SIGTERM);
      g_assert_true (g_subprocess_wait (process, NULL, &error));
      g_assert_true (g_subprocess_get_if_signaled (process));
      g_assert_cmpint (g_subprocess_get_term_sig (process), ==, signals[i]);
      g_assert_true (pty_echoes (slave));

      close (slave);
      close (master);
    }
}

/* ------------------------------------------------------------------------ */

static void
test_keyring_check_json (Fixture *f, gconstpointer data)
{
  const gchar *check[] = { "--check-once", "--json", NULL };
  g_autofree gchar *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autoptr(JsonParser) p1 = NULL, p2 = NULL;
  JsonObject *account, *message;
  JsonArray *messages;

  SKIP_IF_NO_SESSION (f);
  popbell_fake_server_add_message (f->server, "uid-1", MSG_OLD);
  store_password (f, PASSWORD);

  g_assert_cmpint (run_popbell (f, check, NULL, TRUE, &out, &err), ==, 0);
  account = parse_account (out, &p1);
  g_assert_cmpstr (json_object_get_string_member (account, "name"), ==, "work");
  g_assert_true (json_object_get_boolean_member (account, "ok"));
  g_assert_true (json_object_get_boolean_member (account, "first_check"));
  g_assert_cmpint (json_object_get_int_member (account, "messages"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (account, "size"), >, 0);
  g_assert_cmpint (json_object_get_int_member (account, "new"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (account, "unseen"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (account, "new_messages")), ==, 0);
  g_assert_true (json_object_get_null_member (account, "error"));
  /* The password went over the wire, and nowhere else. */
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "PASS " PASSWORD), ==, 1);
  g_assert_nonnull (strstr (err, "STAT"));   /* the trace is on */
  g_assert_null (strstr (err, PASSWORD));
  g_assert_null (strstr (out, PASSWORD));

  popbell_fake_server_add_message (f->server, "000001a8", MSG_NEW);
  g_assert_cmpint (run_popbell (f, check, NULL, TRUE, &out2, &err2), ==, 0);
  account = parse_account (out2, &p2);
  g_assert_false (json_object_get_boolean_member (account, "first_check"));
  g_assert_cmpint (json_object_get_int_member (account, "messages"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (account, "new"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (account, "unseen"), ==, 1);
  messages = json_object_get_array_member (account, "new_messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  message = json_array_get_object_element (messages, 0);
  g_assert_cmpstr (json_object_get_string_member (message, "uid"), ==, "000001a8");
  g_assert_cmpint (json_object_get_int_member (message, "index"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (message, "size"), >, 100);
  g_assert_cmpstr (json_object_get_string_member (message, "from"), ==,
                   "Jürgen Weiß <jw@example.org>");
  g_assert_cmpstr (json_object_get_string_member (message, "subject"), ==, "Grüße aus Köln");
  g_assert_cmpstr (json_object_get_string_member (message, "date"), ==, "2026-11-26T10:00:00+01:00");
  g_assert_null (strstr (err2, PASSWORD));

  assert_not_in_files (popbell_test_session_get_dir (f->session), PASSWORD);
}

static void
test_exit_codes (Fixture *f, gconstpointer data)
{
  const gchar *check[] = { "--check-once", "--json", NULL };
  const gchar *human[] = { "--check-once", NULL };
  const gchar *unknown[] = { "--check-once", "--account", "nope", NULL };
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *account, *error;
  guint connections;

  SKIP_IF_NO_SESSION (f);
  store_password (f, "not-the-password");

  /* 1: an account failed, and the output says which and why. */
  g_assert_cmpint (run_popbell (f, check, NULL, FALSE, &out, &err), ==, 1);
  account = parse_account (out, &parser);
  g_assert_false (json_object_get_boolean_member (account, "ok"));
  error = json_object_get_object_member (account, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "kind"), ==, "auth");
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "work"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Held: the next run reports auth without connecting. */
  connections = popbell_fake_server_get_n_connections (f->server);
  g_assert_cmpint (run_popbell (f, human, NULL, FALSE, &out, &err), ==, 1);
  g_assert_nonnull (strstr (out, "work"));
  g_assert_nonnull (strstr (out, "auth"));
  g_assert_cmpuint (popbell_fake_server_get_n_connections (f->server), ==, connections);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* --set-password lifts the hold: 0. */
  store_password (f, PASSWORD);
  g_assert_cmpint (run_popbell (f, human, NULL, FALSE, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "work"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* 2: usage and configuration errors, on stderr. */
  g_assert_cmpint (run_popbell (f, unknown, NULL, FALSE, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "nope"));
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  write_accounts (popbell_fake_server_get_port (f->server), "this line is broken\n");
  g_assert_cmpint (run_popbell (f, check, NULL, FALSE, &out, &err), ==, 2);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "accounts.ini"));
}

static void
test_no_secret_service (Fixture *f, gconstpointer data)
{
  const gchar *check[] = { "--check-once", "--json", NULL };
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *account;

  SKIP_IF_NO_SESSION (f);
  g_assert_cmpint (run_popbell (f, check, NULL, FALSE, &out, &err), ==, 1);
  account = parse_account (out, &parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (account, "error"),
                                                  "kind"), ==, "keyring");
  /* Connected while the keyring was asked, then dropped: no login. */
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, 0);
  g_assert_cmpuint (popbell_fake_server_count_commands (f->server, "USER*"), ==, 0);
}

static void
test_login_delay (Fixture *f, gconstpointer data)
{
  const gchar *check[] = { "--check-once", "--json", NULL };
  g_autofree gchar *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *account, *error;
  guint connections;

  SKIP_IF_NO_SESSION (f);
  popbell_fake_server_add_capability (f->server, "LOGIN-DELAY 900");
  store_password (f, PASSWORD);
  g_assert_cmpint (run_popbell (f, check, NULL, FALSE, NULL, NULL), ==, 0);

  connections = popbell_fake_server_get_n_connections (f->server);
  g_assert_cmpint (run_popbell (f, check, NULL, FALSE, &out, &err), ==, 1);
  account = parse_account (out, &parser);
  error = json_object_get_object_member (account, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "kind"), ==, "login-delay");
  g_assert_nonnull (json_object_get_string_member (error, "retry_after"));
  g_assert_cmpuint (popbell_fake_server_get_n_connections (f->server), ==, connections);
}

static void
test_show_newest (Fixture *f, gconstpointer data)
{
  const gchar *show[] = { "--show-newest", "work", NULL };
  g_autofree gchar *out = NULL, *err = NULL;

  SKIP_IF_NO_SESSION (f);
  popbell_fake_server_add_message (f->server, "uid-1", MSG_OLD);
  popbell_fake_server_add_message (f->server, "uid-2", MSG_NEW);
  store_password (f, PASSWORD);
  g_assert_cmpint (run_popbell (f, show, NULL, FALSE, &out, &err), ==, 0);
  g_assert_true (g_str_has_prefix (out, "From: Jürgen Weiß <jw@example.org>\nTo: "));
  g_assert_nonnull (strstr (out, "\nSubject: Grüße aus Köln\n\n"));
  g_assert_nonnull (strstr (out, "\nDate: "));
  g_assert_nonnull (strstr (out, "Hallo Alice,\nbis bald.\n"));
  /* The user asked to read it, not to delete it. */
  g_assert_cmpuint (popbell_fake_server_get_n_messages (f->server), ==, 2);
}


/* SIGKILL at random moments of check + save, again and again: the state
 * file is always the old or the new one, never torn. */
static void
test_kill_anytime (Fixture *f, gconstpointer data)
{
  const gchar *check[] = { "--check-once", "--json", NULL };
  g_autoptr(PopbellStateStore) store = NULL;
  g_autofree gchar *path = NULL;
  guint runs = 50, killed = 0;

  SKIP_IF_NO_SESSION (f);
  /* A big mailbox: the state file is large enough for saves to take time. */
  for (guint i = 0; i < 3000; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("m%05u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_OLD);
    }
  store_password (f, PASSWORD);
  store = popbell_state_store_new (NULL);
  path = popbell_state_store_dup_path (store, "work");

  for (guint i = 0; i < runs; i++)
    {
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(PopbellAccountState) state = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree gchar *uid = g_strdup_printf ("n%05u", i);
      gboolean recovered = TRUE, fired = FALSE;
      guint delay = g_test_rand_int_range (0, 120);

      popbell_fake_server_add_message (f->server, uid, MSG_NEW);
      process = spawn (f, check, FALSE);
      g_timeout_add (delay, popbell_test_set_flag, &fired);
      while (!fired)
        g_main_context_iteration (NULL, TRUE);
      g_subprocess_send_signal (process, SIGKILL);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_subprocess_wait (process, NULL, &error);
      g_assert_no_error (error);
      if (g_subprocess_get_if_signaled (process))
        killed++;

      state = popbell_state_store_load (store, "work", &recovered, &error);
      g_assert_no_error (error);
      g_assert_false (recovered);
      if (state->mailbox_id != NULL)
        g_assert_cmpuint (g_hash_table_size (state->seen), >=, 3000);
    }
  g_test_message ("%u of %u runs killed before they ended", killed, runs);
  g_assert_cmpuint (killed, >, 0);
}

static void
test_two_at_once (Fixture *f, gconstpointer data)
{
  const gchar *check[] = { "--check-once", "--json", NULL };
  Run runs[2] = { { 0 } };
  guint first_checks = 0;

  SKIP_IF_NO_SESSION (f);
  for (guint i = 0; i < 500; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("m%05u", i);
      popbell_fake_server_add_message (f->server, uid, MSG_OLD);
    }
  store_password (f, PASSWORD);

  for (guint i = 0; i < 2; i++)
    {
      runs[i].process = spawn (f, check, FALSE);
      g_subprocess_communicate_utf8_async (runs[i].process, "", NULL, communicated, &runs[i]);
    }
  while (!runs[0].done || !runs[1].done)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *account;

      g_subprocess_wait (runs[i].process, NULL, NULL);
      g_assert_cmpint (g_subprocess_get_exit_status (runs[i].process), ==, 0);
      account = parse_account (runs[i].out, &parser);
      g_assert_true (json_object_get_boolean_member (account, "ok"));
      g_assert_cmpint (json_object_get_int_member (account, "new"), ==, 0);
      if (json_object_get_boolean_member (account, "first_check"))
        first_checks++;
      g_free (runs[i].out);
      g_free (runs[i].err);
      g_object_unref (runs[i].process);
    }
  /* One made the baseline; the other waited for it and used it. */
  g_assert_cmpuint (first_checks, ==, 1);
  /* One session at a time: never two logins overlapping. */
  g_assert_cmpuint (popbell_fake_server_get_n_logins (f->server), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, secrets, fn) \
  g_test_add (path, Fixture, GINT_TO_POINTER (secrets), fixture_set_up, fn, fixture_tear_down)
  ADD ("/core/cli/keyring-check-json", POPBELL_TEST_SECRETS_UNLOCKED, test_keyring_check_json);
  ADD ("/core/cli/exit-codes", POPBELL_TEST_SECRETS_UNLOCKED, test_exit_codes);
  ADD ("/core/cli/no-secret-service", POPBELL_TEST_SECRETS_NONE, test_no_secret_service);
  ADD ("/core/cli/login-delay", POPBELL_TEST_SECRETS_UNLOCKED, test_login_delay);
  ADD ("/core/cli/show-newest", POPBELL_TEST_SECRETS_UNLOCKED, test_show_newest);
  ADD ("/core/cli/kill-anytime", POPBELL_TEST_SECRETS_UNLOCKED, test_kill_anytime);
  ADD ("/core/cli/two-at-once", POPBELL_TEST_SECRETS_UNLOCKED, test_two_at_once);
  ADD ("/core/cli/prompt-interrupted", POPBELL_TEST_SECRETS_NONE, test_prompt_interrupted);
#undef ADD

  return g_test_run ();
}
