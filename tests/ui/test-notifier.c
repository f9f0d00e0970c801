/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <locale.h>
#include <string.h>

#include "popbell-check-result.h"
#include "popbell-error.h"
#include "popbell-mail-summary.h"
#include "popbell-notifier.h"
#include "popbell-pop3-error.h"
#include "popbell-test-util.h"

/* The notifier against a real notification server, inside
 * tests/support/x-session.sh: dunst (no body-markup; actions), or with
 * --server notification-daemon (body-markup). What the server received is
 * read back by a D-Bus monitor connection in this process (BecomeMonitor):
 * the exact Notify arguments, the ids the server answered, and
 * CloseNotification calls. */

typedef struct {
  gchar    *member;     /* Notify, CloseNotification */
  guint32   serial;
  GVariant *body;
  guint32   id;         /* the server's answer to Notify; 0 until seen */
} Call;

static struct {
  GMutex     lock;
  GPtrArray *calls;      /* (element-type Call) */
  GHashTable *replies;   /* reply serial → id, from the server */
} monitor;

static const gchar *server_kind = "dunst";
static GDBusConnection *monitor_connection;
static GSubprocess *server_process;

static void
call_free (Call *call)
{
  g_free (call->member);
  g_clear_pointer (&call->body, g_variant_unref);
  g_free (call);
}

/* GDBus worker thread. */
static GDBusMessage *
monitor_filter (GDBusConnection *connection,
                GDBusMessage    *message,
                gboolean         incoming,
                gpointer         user_data)
{
  GDBusMessageType type = g_dbus_message_get_message_type (message);

  /* Our own traffic (the answer to BecomeMonitor) goes on; everything
   * seen as a monitor is recorded and dropped, so that GDBus never tries to
   * answer a call meant for someone else (a monitor must not send). */
  if (!incoming ||
      g_strcmp0 (g_dbus_message_get_destination (message),
                 g_dbus_connection_get_unique_name (connection)) == 0)
    return message;

  g_mutex_lock (&monitor.lock);
  if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      g_strcmp0 (g_dbus_message_get_interface (message), "org.freedesktop.Notifications") == 0)
    {
      Call *call = g_new0 (Call, 1);
      GVariant *body = g_dbus_message_get_body (message);

      call->member = g_strdup (g_dbus_message_get_member (message));
      call->serial = g_dbus_message_get_serial (message);
      call->body = body != NULL ? g_variant_ref (body) : NULL;
      g_ptr_array_add (monitor.calls, call);
    }
  else if (type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN)
    {
      GVariant *body = g_dbus_message_get_body (message);

      if (body != NULL && g_variant_is_of_type (body, G_VARIANT_TYPE ("(u)")))
        {
          guint32 id;

          g_variant_get (body, "(u)", &id);
          g_hash_table_insert (monitor.replies,
                               GUINT_TO_POINTER (g_dbus_message_get_reply_serial (message)),
                               GUINT_TO_POINTER (id));
        }
    }
  g_mutex_unlock (&monitor.lock);

  g_object_unref (message);
  return NULL;
}

static void
start_monitor (void)
{
  const gchar *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  const gchar *rules[] = {
    "type='method_call',interface='org.freedesktop.Notifications'",
    "type='method_return'",
    NULL
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_mutex_init (&monitor.lock);
  monitor.calls = g_ptr_array_new_with_free_func ((GDestroyNotify) call_free);
  monitor.replies = g_hash_table_new (NULL, NULL);

  monitor_connection = g_dbus_connection_new_for_address_sync (
      address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
               G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (monitor_connection, FALSE);
  g_dbus_connection_add_filter (monitor_connection, monitor_filter, NULL, NULL);
  reply = g_dbus_connection_call_sync (monitor_connection, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
                                       "BecomeMonitor", g_variant_new ("(^asu)", rules, 0),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

/* The calls with @member so far, with their answered ids filled in.
 * (transfer container) */
static GPtrArray *
calls_named (const gchar *member)
{
  GPtrArray *result = g_ptr_array_new ();

  g_mutex_lock (&monitor.lock);
  for (guint i = 0; i < monitor.calls->len; i++)
    {
      Call *call = g_ptr_array_index (monitor.calls, i);

      if (call->id == 0)
        call->id = GPOINTER_TO_UINT (g_hash_table_lookup (monitor.replies,
                                                          GUINT_TO_POINTER (call->serial)));
      if (g_str_equal (call->member, member))
        g_ptr_array_add (result, call);
    }
  g_mutex_unlock (&monitor.lock);
  return result;
}

static guint
count_calls (const gchar *member)
{
  g_autoptr(GPtrArray) calls = calls_named (member);

  return calls->len;
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

typedef struct {
  const gchar *member;
  guint        count;
} CallCount;

static gboolean
calls_reached (gpointer data)
{
  CallCount *want = data;

  return count_calls (want->member) >= want->count;
}

static gboolean
last_notify_answered (gpointer data)
{
  g_autoptr(GPtrArray) calls = calls_named ("Notify");

  return calls->len > 0 && ((Call *) g_ptr_array_index (calls, calls->len - 1))->id != 0;
}

static void
on_sent (PopbellNotifier *notifier,
         const gchar     *slot,
         gboolean         ok,
         guint           *n_sent)
{
  (*n_sent)++;
}

static gboolean
uint_nonzero (gpointer data)
{
  return *(guint *) data > 0;
}

/* Waits until the server has the notification @notifier is sending: the
 * notifier's ::sent (libnotify got the server's answer), then the monitor's
 * copy of the call and of the answer. Each wait is on an event; the limits
 * only stop a test that would otherwise hang, and are generous for a loaded
 * machine (a fixed 5 s once failed there). */
static Call *
wait_notify (PopbellNotifier *notifier,
             guint            before)
{
  CallCount want = { "Notify", before + 1 };
  g_autoptr(GPtrArray) calls = NULL;
  guint n_sent = 0;
  gulong handler = g_signal_connect (notifier, "sent", G_CALLBACK (on_sent), &n_sent);

  if (popbell_notifier_is_busy (notifier))
    g_assert_true (popbell_test_iterate_until (uint_nonzero, &n_sent, 30000));
  g_signal_handler_disconnect (notifier, handler);
  g_assert_true (popbell_test_iterate_until (not_busy, notifier, 30000));
  g_assert_true (popbell_test_iterate_until (calls_reached, &want, 30000));
  g_assert_true (popbell_test_iterate_until (last_notify_answered, NULL, 30000));
  calls = calls_named ("Notify");
  g_assert_cmpuint (calls->len, ==, before + 1);
  return g_ptr_array_index (calls, calls->len - 1);
}

/* Notify (s app_name, u replaces_id, s app_icon, s summary, s body,
 *         as actions, a{sv} hints, i expire_timeout) */
typedef struct {
  const gchar  *app_name;
  guint32       replaces_id;
  const gchar  *summary;
  const gchar  *body;
  const gchar **actions;
  GVariant     *hints;
} NotifyArgs;

static NotifyArgs
unpack (Call *call)
{
  NotifyArgs a = { 0 };
  const gchar *icon;
  gint32 timeout;

  g_variant_get (call->body, "(&su&s&s&s^a&s@a{sv}i)", &a.app_name, &a.replaces_id, &icon,
                 &a.summary, &a.body, &a.actions, &a.hints, &timeout);
  return a;
}

static void
args_clear (NotifyArgs *a)
{
  g_free (a->actions);
  g_clear_pointer (&a->hints, g_variant_unref);
}

static void
assert_hint (GVariant    *hints,
             const gchar *key,
             const gchar *value)
{
  const gchar *found = NULL;

  g_assert_true (g_variant_lookup (hints, key, "&s", &found));
  g_assert_cmpstr (found, ==, value);
}

static gboolean
server_has (PopbellNotifier *notifier,
            const gchar     *cap)
{
  return g_strv_contains (popbell_notifier_get_capabilities (notifier), cap);
}

static PopbellNotifier *
make_notifier (void)
{
  PopbellNotifier *notifier = popbell_notifier_new ();
  g_autofree gchar *caps = NULL;

  g_assert_true (popbell_test_iterate_until (caps_known, notifier, 5000));
  caps = g_strjoinv (" ", (gchar **) popbell_notifier_get_capabilities (notifier));
  g_test_message ("%s capabilities: %s", server_kind, caps);
  return notifier;
}

static GPtrArray *
messages_new (guint n)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("uid-%u", i);
      g_autofree gchar *from = g_strdup_printf ("Sender %u <s%u@example.org>", i, i);
      g_autofree gchar *subject = g_strdup_printf ("Subject %u", i);

      g_ptr_array_add (messages, popbell_mail_summary_new ("work", uid, i + 1, 100, from, subject,
                                                           NULL));
    }
  return messages;
}

/* Tests ------------------------------------------------------------------- */

static void
test_one_message (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  guint before = count_calls ("Notify");
  NotifyArgs a;
  Call *call;

  g_ptr_array_add (messages, popbell_mail_summary_new ("work", "u1", 1, 10,
                                                       "Jürgen Weiß <jw@example.org>",
                                                       "Grüße aus Köln", NULL));
  popbell_notifier_new_mail (notifier, "work", 1, messages, NULL);
  call = wait_notify (notifier, before);
  a = unpack (call);

  g_assert_cmpstr (a.app_name, ==, "Popbell");
  g_assert_cmpuint (a.replaces_id, ==, 0);
  g_assert_cmpstr (a.summary, ==, "New mail from Jürgen Weiß");
  g_assert_cmpstr (a.body, ==, "Grüße aus Köln");
  assert_hint (a.hints, "category", "email.arrived");
  assert_hint (a.hints, "desktop-entry", "io.github.popbell.Popbell");
  assert_hint (a.hints, "sound-name", "message-new-email");
  if (server_has (notifier, "actions"))
    {
      const gchar *expected[] = { "default", "Preview", "mark-seen", "Mark as seen",
                                  "open-mail-client", "Open mail client", NULL };

      g_assert_cmpstrv (a.actions, expected);
    }
  else
    g_assert_cmpuint (g_strv_length ((gchar **) a.actions), ==, 0);
  args_clear (&a);
}

static void
save_screenshot (const gchar *name)
{
  const gchar *dir = g_getenv ("POPBELL_TEST_OUTDIR");
  g_autofree gchar *path = NULL;
  g_autoptr(GError) error = NULL;
  gint status = -1;

  if (dir == NULL || g_getenv ("DISPLAY") == NULL)
    return;
  g_mkdir_with_parents (dir, 0755);
  path = g_build_filename (dir, name, NULL);
  /* Let the server draw the popup before taking it. */
  popbell_test_run_for (500);
  if (!g_spawn_sync (NULL, (gchar *[]) { "import", "-window", "root", path, NULL }, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                     &status, &error) || !g_spawn_check_wait_status (status, NULL))
    g_test_message ("no screenshot: %s", error != NULL ? error->message : "import failed");
  else
    g_test_message ("screenshot: %s", path);
}

static void
test_several_replace (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GPtrArray) first = messages_new (1);
  g_autoptr(GPtrArray) five = messages_new (5);
  g_autofree gchar *shot = g_strdup_printf ("notification-%s.png", server_kind);
  guint before = count_calls ("Notify");
  NotifyArgs a;
  Call *call;
  guint32 first_id;

  popbell_notifier_new_mail (notifier, "work", 1, first, NULL);
  call = wait_notify (notifier, before);
  first_id = call->id;
  g_assert_cmpuint (first_id, !=, 0);

  /* The next check of the same account replaces that notification. */
  popbell_notifier_new_mail (notifier, "work", 5, five, NULL);
  call = wait_notify (notifier, before + 1);
  a = unpack (call);
  g_assert_cmpuint (a.replaces_id, ==, first_id);
  g_assert_cmpstr (a.summary, ==, "5 new messages in work");
  if (server_has (notifier, "body-markup"))
    g_assert_cmpstr (a.body, ==, "<b>Sender 0</b>: “Subject 0”\n<b>Sender 1</b>: “Subject 1”\n"
                                 "<b>Sender 2</b>: “Subject 2”\nand 2 more");
  else
    g_assert_cmpstr (a.body, ==, "Sender 0: “Subject 0”\nSender 1: “Subject 1”\n"
                                 "Sender 2: “Subject 2”\nand 2 more");
  args_clear (&a);
  save_screenshot (shot);
}

static void
test_escaped (void)
{
  const gchar *evil = "<b>Hi</b> & <a href=\"x\">";
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  guint before = count_calls ("Notify");
  NotifyArgs a;

  g_ptr_array_add (messages, popbell_mail_summary_new ("esc", "u1", 1, 10, "x@example.org", evil,
                                                       NULL));
  popbell_notifier_new_mail (notifier, "esc", 1, messages, NULL);
  a = unpack (wait_notify (notifier, before));
  if (server_has (notifier, "body-markup"))
    g_assert_cmpstr (a.body, ==, "&lt;b&gt;Hi&lt;/b&gt; &amp; &lt;a href=&quot;x&quot;&gt;");
  else
    g_assert_cmpstr (a.body, ==, evil);
  args_clear (&a);
}

static void
test_nothing_new (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GPtrArray) three = messages_new (3);
  g_autoptr(GError) error = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_NETWORK, "down");
  g_autoptr(PopbellCheckResult) nothing = NULL;
  g_autoptr(PopbellCheckResult) baseline = NULL;
  g_autoptr(PopbellCheckResult) failed = NULL;
  g_autoptr(PopbellCheckResult) found = NULL;
  guint before = count_calls ("Notify");

  nothing = popbell_check_result_new_ok ("work", FALSE, 3, 300, 0, 0, NULL, NULL, NULL);
  baseline = popbell_check_result_new_ok ("work", TRUE, 3, 300, 0, 0, three, NULL, NULL);
  failed = popbell_check_result_new_error ("work", error, NULL, 0, NULL);
  popbell_notifier_handle_result (notifier, nothing);
  popbell_notifier_handle_result (notifier, baseline);
  popbell_notifier_handle_result (notifier, failed);
  g_assert_false (popbell_notifier_is_busy (notifier));
  popbell_test_run_for (300);
  g_assert_cmpuint (count_calls ("Notify"), ==, before);

  /* ...while a check that found mail does notify. */
  found = popbell_check_result_new_ok ("work", FALSE, 6, 600, 3, 3, three, NULL, NULL);
  popbell_notifier_handle_result (notifier, found);
  g_assert_nonnull (wait_notify (notifier, before));
}

static void
assert_actions (PopbellNotifier    *notifier,
                 NotifyArgs         *a,
                 const gchar *const *expected)
{
  if (server_has (notifier, "actions"))
    g_assert_cmpstrv (a->actions, expected);
  else
    g_assert_cmpuint (g_strv_length ((gchar **) a->actions), ==, 0);
}

static void
test_problem_once_per_episode (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GError) rejected = g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH,
                                                    "The server refused PASS: [AUTH] Invalid login");
  g_autoptr(GError) auth = popbell_error_from_pop3 (rejected, "work");
  guint before = count_calls ("Notify");
  guint closes = count_calls ("CloseNotification");
  CallCount want_close = { "CloseNotification", closes + 1 };
  NotifyArgs a;

  popbell_notifier_update_problem (notifier, "work", auth, 1);
  a = unpack (wait_notify (notifier, before));
  g_assert_cmpstr (a.summary, ==, "Cannot log in to work");
  /* The applet's words: the remedy is a button, not a command line. */
  g_assert_cmpstr (a.body, ==, "The server rejected the user name or password.\n"
                               "The server refused PASS: [AUTH] Invalid login");
  assert_actions (notifier, &a, (const gchar *const[]) { "default", "Fix…", "fix", "Fix…",
                                                         "retry", "Try again", NULL });
  args_clear (&a);

  /* Every retry reports it again: no new notification. */
  popbell_notifier_update_problem (notifier, "work", auth, 1);
  popbell_notifier_update_problem (notifier, "work", auth, 1);
  g_assert_false (popbell_notifier_is_busy (notifier));
  popbell_test_run_for (300);
  g_assert_cmpuint (count_calls ("Notify"), ==, before + 1);

  /* Fixed: the episode ends and its notification goes away... */
  popbell_notifier_update_problem (notifier, "work", NULL, 0);
  g_assert_true (popbell_test_iterate_until (calls_reached, &want_close, 30000));

  /* ...and the next failure is a new episode. */
  popbell_notifier_update_problem (notifier, "work", auth, 2);
  g_assert_nonnull (wait_notify (notifier, before + 1));
}

#define FINGERPRINT "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
                    "AB:CD:EF:01:23:45:67:89"

/* A refused certificate: at most four lines, the fingerprint once, and the
 * editor's trust flow one click away. */
static void
test_problem_certificate (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GError) refused = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE,
                                           "The certificate of h is not trusted (unknown CA); its "
                                           "SHA-256 fingerprint is %s", "ab:cd:ef:01:23:45:67:89:"
                                           "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:"
                                           "ef:01:23:45:67:89");
  g_autoptr(GError) error = popbell_error_from_pop3 (refused, "home");
  g_auto(GStrv) lines = NULL;
  const gchar *first, *last;
  NotifyArgs a;

  guint before = count_calls ("Notify");

  popbell_notifier_update_problem (notifier, "home", error, 1);
  a = unpack (wait_notify (notifier, before));
  g_test_message ("%s\n%s", a.summary, a.body);
  g_assert_cmpstr (a.summary, ==, "The server of home is not trusted");
  lines = g_strsplit (a.body, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), <=, 4);
  first = strstr (a.body, FINGERPRINT);
  last = g_strrstr (a.body, FINGERPRINT);
  g_assert_nonnull (first);
  g_assert_true (first == last);
  g_assert_null (strstr (a.body, "tls-pinned-sha256"));
  assert_actions (notifier, &a, (const gchar *const[]) { "default", "Trust this certificate…",
                                                         "trust", "Trust this certificate…",
                                                         NULL });
  args_clear (&a);
}

/* "Cannot reach the server" says which. */
static void
test_problem_unreachable (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GError) refused_in = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                                                      "Could not connect to 127.0.0.1: Could not "
                                                      "connect to 127.0.0.1: Connection refused");
  g_autoptr(GError) refused = popbell_error_from_pop3 (refused_in, "closed");
  g_autoptr(GError) nohost_in = g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                                                     "Error resolving “pop.invalid”");
  g_autoptr(GError) nohost = popbell_error_from_pop3 (nohost_in, "typo");
  NotifyArgs a;

  guint before = count_calls ("Notify");

  popbell_notifier_update_problem (notifier, "closed", refused, 1);
  a = unpack (wait_notify (notifier, before));
  g_assert_cmpstr (a.summary, ==, "Cannot reach the server of closed");
  g_assert_true (g_str_has_prefix (a.body, "The server refused the connection"));
  g_assert_null (strstr (a.body, "127.0.0.1: Could not connect to 127.0.0.1"));
  g_assert_null (strstr (a.body, "127.0.0.1: could not connect to 127.0.0.1"));
  assert_actions (notifier, &a, (const gchar *const[]) { "default", "Fix…", "fix", "Fix…", NULL });
  args_clear (&a);

  popbell_notifier_update_problem (notifier, "typo", nohost, 1);
  a = unpack (wait_notify (notifier, before + 1));
  g_assert_true (g_str_has_prefix (a.body, "The server name could not be found"));
  args_clear (&a);
}

typedef struct {
  gchar    *account;
  GStrv     uids;
  gboolean  shown;
  guint     count;
} Announcement;

static void
on_announced (PopbellNotifier *notifier,
              const gchar     *account,
              GStrv            uids,
              gboolean         shown,
              Announcement    *out)
{
  g_free (out->account);
  g_strfreev (out->uids);
  out->account = g_strdup (account);
  out->uids = g_strdupv (uids);
  out->shown = shown;
  out->count++;
}

/* The notifier reports the messages it announced once the server has the
 * notification: all of them, those without headers too. */
static void
test_announced (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GPtrArray) two = messages_new (2);
  const gchar *without_headers[] = { "uid-9", NULL };
  Announcement got = { 0 };
  guint before = count_calls ("Notify");

  g_signal_connect (notifier, "announced", G_CALLBACK (on_announced), &got);
  popbell_notifier_new_mail (notifier, "work", 3, two, without_headers);
  g_assert_cmpuint (got.count, ==, 0);   /* not before the server has it */
  wait_notify (notifier, before);
  g_assert_cmpuint (got.count, ==, 1);
  g_assert_cmpstr (got.account, ==, "work");
  g_assert_cmpstrv (got.uids, ((const gchar *[]) { "uid-0", "uid-1", "uid-9", NULL }));
  g_assert_true (got.shown);

  /* Five counted, two named: it stood for all of the account's new mail. */
  before = count_calls ("Notify");
  popbell_notifier_new_mail (notifier, "work", 5, two, NULL);
  wait_notify (notifier, before);
  g_assert_cmpuint (got.count, ==, 2);
  g_assert_null (got.uids);
  g_free (got.account);
}

typedef struct {
  gchar *account;
  gchar *action;
  GStrv  uids;
} Invoked;

static void
on_action (PopbellNotifier *notifier,
           const gchar     *account,
           const gchar     *action,
           GStrv            uids,
           Invoked         *invoked)
{
  invoked->account = g_strdup (account);
  invoked->action = g_strdup (action);
  invoked->uids = g_strdupv (uids);
}

static gboolean
action_seen (gpointer data)
{
  return ((Invoked *) data)->action != NULL;
}

/* dunst's own count of notifications on screen is 1. */
static gboolean
dunst_displays_one (gpointer data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  reply = g_dbus_connection_call_sync (data, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications",
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.dunstproject.cmd0",
                                                      "displayedLength"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                       5000, NULL, NULL);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32) && g_variant_get_uint32 (value) == 1;
}

/* The user clicks the notification (dunst: NotificationAction on its
 * control interface, what `dunstctl action 0` does): the default action,
 * Preview, reaches the application with the message's UID. */
static void
test_default_action (void)
{
  g_autoptr(PopbellNotifier) notifier = make_notifier ();
  g_autoptr(GPtrArray) messages = messages_new (1);
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  Invoked invoked = { 0 };
  guint before;

  if (!g_str_equal (server_kind, "dunst"))
    {
      g_test_skip ("clicking needs dunst's control interface");
      return;
    }

  /* Only ours on screen: the action goes to the first one displayed. */
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications", "org.dunstproject.cmd0",
                                       "NotificationCloseAll", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  g_signal_connect (notifier, "action-invoked", G_CALLBACK (on_action), &invoked);
  /* Counted before sending: the libnotify thread may be faster than us. */
  before = count_calls ("Notify");
  popbell_notifier_new_mail (notifier, "work", 1, messages, NULL);
  wait_notify (notifier, before);
  /* dunst answers Notify first and puts the notification on screen on a
   * later turn of its loop; NotificationAction counts displayed ones. */
  g_assert_true (popbell_test_iterate_until (dunst_displays_one, bus, 10000));

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications", "org.dunstproject.cmd0",
                                       "NotificationAction", g_variant_new ("(u)", 0), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (popbell_test_iterate_until (action_seen, &invoked, 5000));
  g_assert_cmpstr (invoked.account, ==, "work");
  g_assert_cmpstr (invoked.action, ==, "preview");
  g_assert_cmpstrv (invoked.uids, ((const gchar *[]) { "uid-0", NULL }));
  g_free (invoked.account);
  g_free (invoked.action);
  g_strfreev (invoked.uids);
}

static void
on_name_appeared (GDBusConnection *connection,
                  const gchar     *name,
                  const gchar     *name_owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
on_server_exited (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* x-session.sh --no-notifications: this program starts the server and
 * waits until it owns the name (or exits), 20 s at most: a GTK program
 * starting on a loaded machine. */
static gboolean
start_notification_daemon (GError **error)
{
  const gchar *path = "/usr/lib/notification-daemon/notification-daemon";
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, error);
  g_autoptr(GCancellable) cancellable = NULL;
  gboolean appeared = FALSE, exited = FALSE, expired = FALSE;
  guint watch, timeout;

  if (bus == NULL)
    return FALSE;
  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s is not installed", path);
      return FALSE;
    }
  server_process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, error, path, NULL);
  if (server_process == NULL)
    return FALSE;

  cancellable = g_cancellable_new ();
  watch = g_bus_watch_name_on_connection (bus, "org.freedesktop.Notifications",
                                          G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          on_name_appeared, NULL, &appeared, NULL);
  g_subprocess_wait_async (server_process, cancellable, on_server_exited, &exited);
  timeout = g_timeout_add_seconds (20, popbell_test_set_flag, &expired);
  while (!appeared && !exited && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_bus_unwatch_name (watch);
  if (!expired)
    g_source_remove (timeout);
  g_cancellable_cancel (cancellable);
  while (!exited)   /* the cancelled wait still calls back */
    g_main_context_iteration (NULL, TRUE);

  if (appeared)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s %s", path,
               expired ? "did not own org.freedesktop.Notifications within 20 s"
                       : "exited before it owned org.freedesktop.Notifications");
  return FALSE;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  if (argc > 2 && g_str_equal (argv[1], "--server"))
    server_kind = argv[2];

  if (g_getenv ("XS_DIR") == NULL || g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_printerr ("run me inside tests/support/x-session.sh\n");
      return popbell_test_require_services () ? 1 : 77;
    }
  if (g_str_equal (server_kind, "notification-daemon") && !start_notification_daemon (&error))
    {
      g_printerr ("%s\n", error->message);
      return popbell_test_require_services () ? 1 : 77;
    }

  start_monitor ();

  g_test_add_func ("/ui/notifier/real/one-message", test_one_message);
  g_test_add_func ("/ui/notifier/real/several-replace", test_several_replace);
  g_test_add_func ("/ui/notifier/real/escaped", test_escaped);
  g_test_add_func ("/ui/notifier/real/nothing-new", test_nothing_new);
  g_test_add_func ("/ui/notifier/real/problem-once-per-episode", test_problem_once_per_episode);
  g_test_add_func ("/ui/notifier/real/problem-certificate", test_problem_certificate);
  g_test_add_func ("/ui/notifier/real/problem-unreachable", test_problem_unreachable);
  g_test_add_func ("/ui/notifier/real/announced", test_announced);
  g_test_add_func ("/ui/notifier/real/default-action", test_default_action);
  status = g_test_run ();

  if (server_process != NULL)
    {
      g_subprocess_send_signal (server_process, SIGTERM);
      g_subprocess_wait (server_process, NULL, NULL);
    }
  /* x-session.sh stops the bus when we return; that must not kill us first. */
  {
    g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

    if (bus != NULL)
      g_dbus_connection_set_exit_on_close (bus, FALSE);
  }
  return status;
}
