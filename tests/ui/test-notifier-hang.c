/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <signal.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#include "popbell-mail-summary.h"
#include "popbell-notifier.h"
#include "popbell-test-util.h"

/* A notification server that never answers must not freeze the applet.
 *
 * A fake org.freedesktop.Notifications runs on a thread of this process,
 * with its own connection to a private bus, and holds the calls it is told
 * to hold. Meanwhile the test drives the main context and measures that a
 * timeout fires on time: if notify_notification_show() (or the capability
 * query) ran on the main thread, it would not. */

/* How late a timer may fire and still count as "on time": generous for a
 * loaded CI machine, far below the 25 s a blocked D-Bus call would cost. */
#define ON_TIME_SLACK_MS 600

static const gchar introspection_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "    </method>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "    <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "  </interface>"
  "</node>";

typedef struct {
  GMutex           lock;
  GCond            cond;
  GMainContext    *context;
  GDBusConnection *connection;
  gboolean         ready;
  gboolean         hang_info;     /* GetCapabilities, GetServerInformation */
  gboolean         hang_notify;   /* Notify */
  GPtrArray       *held;          /* (element-type GDBusMethodInvocation) */
  gint             n_notify;      /* atomic */
  gint             n_caps;        /* atomic */
  guint            next_id;
} FakeServer;

static FakeServer server;
static GSubprocess *bus_daemon;
static gchar *bus_dir;

/* Runs on the server thread. */
static void
answer (GDBusMethodInvocation *invocation)
{
  const gchar *method = g_dbus_method_invocation_get_method_name (invocation);

  if (g_str_equal (method, "GetCapabilities"))
    {
      const gchar *caps[] = { "actions", "body", "body-markup", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(ssss)", "hang", "popbell", "1", "1.2"));
  else if (g_str_equal (method, "Notify"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", ++server.next_id));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
on_method_call (GDBusConnection       *connection,
                const gchar           *sender,
                const gchar           *object_path,
                const gchar           *interface_name,
                const gchar           *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  gboolean hold;

  g_test_message ("fake server: %s from %s", method_name, sender);
  if (g_str_equal (method_name, "Notify"))
    g_atomic_int_inc (&server.n_notify);
  if (g_str_equal (method_name, "GetCapabilities"))
    g_atomic_int_inc (&server.n_caps);

  g_mutex_lock (&server.lock);
  if (g_str_equal (method_name, "Notify"))
    hold = server.hang_notify;
  else if (g_str_equal (method_name, "CloseNotification"))
    hold = FALSE;
  else
    hold = server.hang_info;
  if (hold)
    g_ptr_array_add (server.held, invocation);
  g_mutex_unlock (&server.lock);

  if (!hold)
    answer (invocation);
}

static gboolean
release_held (gpointer data)
{
  g_autoptr(GPtrArray) held = NULL;

  g_mutex_lock (&server.lock);
  held = g_steal_pointer (&server.held);
  server.held = g_ptr_array_new ();
  g_mutex_unlock (&server.lock);

  for (guint i = 0; i < held->len; i++)
    answer (g_ptr_array_index (held, i));
  return G_SOURCE_REMOVE;
}

static void
server_set_mode (gboolean hang_info,
                 gboolean hang_notify)
{
  g_mutex_lock (&server.lock);
  server.hang_info = hang_info;
  server.hang_notify = hang_notify;
  g_mutex_unlock (&server.lock);
  if (!hang_info && !hang_notify)
    g_main_context_invoke (server.context, release_held, NULL);
}

static gpointer
server_thread (gpointer data)
{
  const gchar *address = data;
  static const GDBusInterfaceVTable vtable = { on_method_call, NULL, NULL, { 0 } };
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GMainLoop) loop = NULL;

  g_main_context_push_thread_default (server.context);
  server.connection = g_dbus_connection_new_for_address_sync (
      address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (server.connection, FALSE);
  g_dbus_connection_register_object (server.connection, "/org/freedesktop/Notifications",
                                     info->interfaces[0], &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (server.connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.Notifications", 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  g_assert_no_error (error);

  g_mutex_lock (&server.lock);
  server.ready = TRUE;
  g_cond_signal (&server.cond);
  g_mutex_unlock (&server.lock);

  loop = g_main_loop_new (server.context, FALSE);
  g_main_loop_run (loop);
  return NULL;
}

/* A bus of our own without service activation: nothing but the fake server
 * can own the name. (GTestDBus would wait at teardown for the session bus
 * connection to go away, which libnotify keeps for the life of the
 * process.) */
/* Runs in the child between fork and exec: the bus goes when this
 * process does, also when a failed assertion aborts it before stop_bus(). */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static gchar *
start_bus (GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *conf = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  gchar *address;

  bus_dir = g_dir_make_tmp ("popbell-hang-XXXXXX", error);
  if (bus_dir == NULL)
    return NULL;
  conf = g_build_filename (bus_dir, "bus.conf", NULL);
  text = g_strdup_printf (
      "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
      "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
      "<busconfig><type>session</type><listen>unix:path=%s/bus</listen><auth>EXTERNAL</auth>"
      "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
      "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n", bus_dir);
  if (!g_file_set_contents (conf, text, -1, error))
    return NULL;

  /* Set before any thread exists (setenv is not thread-safe). */
  address = g_strdup_printf ("unix:path=%s/bus", bus_dir);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  bus_daemon = g_subprocess_launcher_spawn (launcher, error, "dbus-daemon",
                                            "--config-file", conf, "--nofork", "--nopidfile",
                                            "--print-address=1", NULL);
  if (bus_daemon == NULL)
    {
      g_free (address);
      return NULL;
    }
  /* It prints its address once it listens. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus_daemon));
  g_free (g_data_input_stream_read_line (out, NULL, NULL, error));
  return address;
}

static void
stop_bus (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autofree gchar *conf = g_build_filename (bus_dir, "bus.conf", NULL);
  g_autofree gchar *socket = g_build_filename (bus_dir, "bus", NULL);

  /* Our connections see the bus go away: that must not end the process. */
  if (bus != NULL)
    g_dbus_connection_set_exit_on_close (bus, FALSE);
  g_subprocess_send_signal (bus_daemon, SIGTERM);
  g_subprocess_wait (bus_daemon, NULL, NULL);
  g_clear_object (&bus_daemon);
  g_unlink (conf);
  g_unlink (socket);
  g_rmdir (bus_dir);
  g_free (bus_dir);
}

/* Main-context helpers -------------------------------------------------- */



/* Runs the main context until @done() or @timeout_ms passed. Some
 * conditions change on the fake server's thread, which does not wake this
 * context: a 10 ms tick re-checks them. */

/* Starts a @ms timer and runs the main context until it fires; returns how
 * long that took. */
static gint64
timer_latency_ms (guint ms)
{
  gboolean fired = FALSE;
  gint64 start = g_get_monotonic_time ();

  g_timeout_add (ms, popbell_test_set_flag, &fired);
  while (!fired)
    g_main_context_iteration (NULL, TRUE);
  return (g_get_monotonic_time () - start) / 1000;
}

static gboolean
notify_count_reached (gpointer data)
{
  return g_atomic_int_get (&server.n_notify) >= GPOINTER_TO_INT (data);
}

static gboolean
caps_known (gpointer data)
{
  return popbell_notifier_get_capabilities (data) != NULL;
}

static gboolean
not_busy (gpointer data)
{
  return !popbell_notifier_is_busy (data);
}

static void
count_sent (PopbellNotifier *notifier,
            const gchar     *slot,
            gboolean         ok,
            GPtrArray       *slots)
{
  g_ptr_array_add (slots, g_strdup (slot));
}

static GPtrArray *
one_message (const gchar *account,
             const gchar *subject)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);

  g_ptr_array_add (messages, popbell_mail_summary_new (account, "u1", 1, 10, "A <a@example.org>",
                                                       subject, NULL));
  return messages;
}

/* Tests ------------------------------------------------------------------- */

static void
test_show_hangs (void)
{
  g_autoptr(PopbellNotifier) notifier = popbell_notifier_new ();
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) m1 = one_message ("a", "first");
  g_autoptr(GPtrArray) m2 = one_message ("a", "second");
  g_autoptr(GPtrArray) m3 = one_message ("a", "third");
  g_autoptr(GPtrArray) mb = one_message ("b", "other account");
  gint base = g_atomic_int_get (&server.n_notify);
  gint64 latency;

  server_set_mode (FALSE, TRUE);
  g_signal_connect (notifier, "sent", G_CALLBACK (count_sent), sent);
  g_assert_true (popbell_test_iterate_until (caps_known, notifier, 5000));
  g_assert_true (g_strv_contains (popbell_notifier_get_capabilities (notifier), "body-markup"));

  popbell_notifier_new_mail (notifier, "a", 1, m1, NULL);
  /* The server has the Notify call and sits on it. */
  g_assert_true (popbell_test_iterate_until (notify_count_reached, GINT_TO_POINTER (base + 1), 5000));

  latency = timer_latency_ms (100);
  g_test_message ("100 ms timer fired after %" G_GINT64_FORMAT " ms while Notify hangs", latency);
  g_assert_cmpint (latency, <, 100 + ON_TIME_SLACK_MS);
  g_assert_true (popbell_notifier_is_busy (notifier));
  g_assert_cmpuint (sent->len, ==, 0);

  /* More while it hangs: queued, one per slot, nothing else sent. */
  popbell_notifier_new_mail (notifier, "a", 1, m2, NULL);
  popbell_notifier_new_mail (notifier, "a", 1, m3, NULL);
  popbell_notifier_new_mail (notifier, "b", 1, mb, NULL);
  latency = timer_latency_ms (200);
  g_assert_cmpint (latency, <, 200 + ON_TIME_SLACK_MS);
  g_assert_cmpint (g_atomic_int_get (&server.n_notify), ==, base + 1);

  /* The server answers: the first completes, then the latest for "a"
   * (the second was replaced while waiting), then "b". */
  server_set_mode (FALSE, FALSE);
  g_assert_true (popbell_test_iterate_until (not_busy, notifier, 10000));
  g_assert_cmpuint (sent->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (sent, 0), ==, "mail:a");
  g_assert_cmpstr (g_ptr_array_index (sent, 1), ==, "mail:a");
  g_assert_cmpstr (g_ptr_array_index (sent, 2), ==, "mail:b");
  g_assert_cmpint (g_atomic_int_get (&server.n_notify), ==, base + 3);
}

static void
test_capabilities_hang (void)
{
  g_autoptr(PopbellNotifier) notifier = NULL;
  g_autoptr(GPtrArray) m1 = one_message ("c", "caps");
  gint base = g_atomic_int_get (&server.n_notify);
  gint64 start;
  gint64 latency;

  server_set_mode (TRUE, TRUE);
  start = g_get_monotonic_time ();
  notifier = popbell_notifier_new ();
  popbell_notifier_new_mail (notifier, "c", 1, m1, NULL);

  /* GetCapabilities hangs: the main loop runs, the notification waits. */
  latency = timer_latency_ms (100);
  g_assert_cmpint (latency, <, 100 + ON_TIME_SLACK_MS);
  g_assert_null (popbell_notifier_get_capabilities (notifier));
  g_assert_true (popbell_notifier_is_busy (notifier));
  g_assert_cmpint (g_atomic_int_get (&server.n_notify), ==, base);

  /* After the capability timeout it goes out as plain text... and Notify
   * hangs too, on the libnotify thread. */
  g_assert_true (popbell_test_iterate_until (caps_known, notifier, 10000));
  g_test_message ("capabilities given up after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - start) / 1000);
  g_assert_cmpstrv (popbell_notifier_get_capabilities (notifier), ((const gchar *[]) { NULL }));
  g_assert_true (popbell_test_iterate_until (notify_count_reached, GINT_TO_POINTER (base + 1), 5000));
  latency = timer_latency_ms (100);
  g_assert_cmpint (latency, <, 100 + ON_TIME_SLACK_MS);

  /* The applet quits while the call still hangs: nothing waits for it. */
  start = g_get_monotonic_time ();
  g_clear_object (&notifier);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, ON_TIME_SLACK_MS);

  /* The late answer reaches nobody, harmlessly. */
  server_set_mode (FALSE, FALSE);
  latency = timer_latency_ms (300);
  g_assert_cmpint (latency, <, 300 + ON_TIME_SLACK_MS);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *address = NULL;
  GThread *thread;
  int status;

  g_test_init (&argc, &argv, NULL);

  address = start_bus (&error);
  if (address == NULL)
    {
      g_printerr ("dbus-daemon: %s\n", error->message);
      return popbell_test_require_services () ? 1 : 77;
    }
  g_mutex_init (&server.lock);
  g_cond_init (&server.cond);
  server.context = g_main_context_new ();
  server.held = g_ptr_array_new ();
  thread = g_thread_new ("fake-notification-server", server_thread, address);
  g_mutex_lock (&server.lock);
  while (!server.ready)
    g_cond_wait (&server.cond, &server.lock);
  g_mutex_unlock (&server.lock);

  g_test_add_func ("/ui/notifier/hanging-server/show", test_show_hangs);
  g_test_add_func ("/ui/notifier/hanging-server/capabilities", test_capabilities_hang);
  status = g_test_run ();

  server_set_mode (FALSE, FALSE);
  stop_bus ();
  g_thread_unref (thread);
  return status;
}
