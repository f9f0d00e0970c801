/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <signal.h>

#include "popbell-application.h"
#include "popbell-cli.h"
#include "popbell-engine.h"
#include "popbell-mail-client.h"
#include "popbell-notifier.h"
#include "popbell-preferences-window.h"
#include "popbell-preview-window.h"
#include "popbell-tray.h"
#include "popbell-tray-text.h"

/* The notification slot of a configuration error (not an account). */
#define CONFIG_PROBLEM_SLOT "accounts.ini"

struct _PopbellApplication
{
  GtkApplication parent_instance;

  PopbellEngine   *engine;      /* (owned) (nullable) between startup and shutdown */
  PopbellTray     *tray;        /* (owned) (nullable) */
  PopbellNotifier *notifier;    /* (owned) (nullable) */
  GtkWidget       *preview;     /* (unowned) (nullable) weak pointer */
  GtkWidget       *preferences; /* (unowned) (nullable) weak pointer */

  guint            refresh_id;  /* idle source; 0: no refresh scheduled */
  guint            minute_id;   /* the tooltip's clock tick */
  guint            signal_ids[3];  /* SIGTERM, SIGINT, SIGHUP sources */
  GHashTable      *unseen;      /* account name → last unseen count, to withdraw */
  GPtrArray       *announce_after_tray;  /* (element-type Announced) shown by the tray only */
  GError          *config_error;/* (owned) (nullable) the engine could not load */
  guint            n_checked;   /* checks finished, for the debug log */
  gboolean         activated;   /* the first activation has happened */
  gboolean         options_parsed;    /* the command line was valid */
  gboolean         open_preferences;  /* --preferences started us */
};

G_DEFINE_FINAL_TYPE (PopbellApplication, popbell_application, GTK_TYPE_APPLICATION)

static void schedule_refresh (PopbellApplication *self);

/* The account's problem episode (SPEC §5 "Problems"), 0 when it has none:
 * the engine decides what a problem is (three failed checks in a row, ten
 * minutes, or at once for what only the user can fix) and numbers the
 * episodes; the notifier notifies each number once. */
static guint
problem_episode (PopbellAccountStatus *status)
{
  if (!popbell_account_status_has_problem (status))
    return 0;
  return popbell_account_status_get_problem_episode (status);
}

/* At-least-once announcement (issue 7) --------------------------------------
 *
 * New messages stay "unannounced" in the engine's state until the user has
 * been told: the notification was handed to the notification server, or,
 * with none running, the tray showed the count. */

typedef struct {
  gchar *account;
  GStrv  uids;
} Announced;

static void
announced_free (Announced *announced)
{
  g_free (announced->account);
  g_strfreev (announced->uids);
  g_free (announced);
}

/* The one place that tells the engine. @uids NULL: every new message of
 * the account (a notification that could not name them all). */
static void
mark_announced (PopbellApplication *self,
                const gchar        *account_name,
                const gchar *const *uids)
{
  g_debug ("Announced %s new message(s) of %s",
           uids != NULL ? "the listed" : "all", account_name);
  popbell_engine_mark_announced (self->engine, account_name, uids);
}

static void
on_announced (PopbellNotifier    *notifier,
              const gchar        *account,
              GStrv               uids,
              gboolean            shown,
              PopbellApplication *self)
{
  Announced *announced;

  if (self->engine == NULL)
    return;
  if (shown)
    {
      mark_announced (self, account, (const gchar *const *) uids);
      return;
    }
  /* No server took it: announced once the tray shows the count. */
  announced = g_new0 (Announced, 1);
  announced->account = g_strdup (account);
  announced->uids = g_strdupv (uids);
  g_ptr_array_add (self->announce_after_tray, announced);
  schedule_refresh (self);
}

/* Refresh of the tray and the problem notifications. Engine signals only set
 * a flag and add one idle, so that a burst of status changes (all accounts
 * checked at once) redraws once — nm-applet's applet_schedule_update_icon. */

static void
refresh_now (PopbellApplication *self)
{
  g_autoptr(GPtrArray) statuses = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree PopbellTrayAccount *accounts = NULL;
  g_autofree gchar *title = NULL;
  g_autofree gchar *tooltip = NULL;
  PopbellTrayState state = { 0 };

  if (self->engine == NULL)
    return;

  statuses = popbell_engine_list_status (self->engine);
  accounts = g_new0 (PopbellTrayAccount, MAX (statuses->len, 1));
  for (guint i = 0; i < statuses->len; i++)
    {
      PopbellAccountStatus *status = g_ptr_array_index (statuses, i);
      PopbellTrayAccount *a = &accounts[i];
      guint before;

      popbell_tray_account_init_from_status (a, status);
      state.unseen += a->unseen;

      if (self->notifier != NULL)
        {
          popbell_notifier_update_problem (self->notifier, a->name, a->error,
                                           problem_episode (status));
          /* Everything of this account was seen: its notification is stale. */
          before = GPOINTER_TO_UINT (g_hash_table_lookup (self->unseen, a->name));
          if (before > 0 && a->unseen == 0)
            popbell_notifier_withdraw (self->notifier, a->name);
        }
      g_hash_table_insert (self->unseen, g_strdup (a->name), GUINT_TO_POINTER (a->unseen));
    }

  title = popbell_tray_text_title (accounts, statuses->len);
  tooltip = popbell_tray_text_tooltip (accounts, statuses->len, now);
  if (self->config_error != NULL)
    {
      /* Say what is wrong with the settings where the user looks first. */
      gchar *with_error = g_strconcat (tooltip, "\n", self->config_error->message, NULL);

      g_free (tooltip);
      tooltip = with_error;
      state.attention = TRUE;
    }

  state.title = title;
  state.tooltip = tooltip;
  state.accounts = accounts;
  state.n_accounts = statuses->len;
  if (self->tray != NULL)
    {
      popbell_tray_update (self->tray, &state);
      for (guint i = 0; i < self->announce_after_tray->len; i++)
        {
          Announced *announced = g_ptr_array_index (self->announce_after_tray, i);

          mark_announced (self, announced->account, (const gchar *const *) announced->uids);
        }
      g_ptr_array_set_size (self->announce_after_tray, 0);
    }
  /* Tests wait for this line: every decision of this refresh is made. */
  g_debug ("Tray refreshed after %u checks", self->n_checked);
}

static gboolean
refresh_idle (gpointer data)
{
  PopbellApplication *self = data;

  self->refresh_id = 0;
  refresh_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (PopbellApplication *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add (refresh_idle, self);
}

/* The times in the tooltip ("next check 12:40") go stale without any
 * engine signal; a minute tick keeps "checked 12:34" honest. */
static gboolean
minute_tick (gpointer data)
{
  schedule_refresh (data);
  return G_SOURCE_CONTINUE;
}

/* Engine signals ------------------------------------------------------------ */

static void
on_account_checked (PopbellEngine      *engine,
                    PopbellCheckResult *result,
                    PopbellApplication *self)
{
  const GError *error = popbell_check_result_get_error (result);

  g_debug ("Checked %s: %s", popbell_check_result_get_account_name (result),
           error != NULL ? error->message : "ok");
  self->n_checked++;
  if (self->notifier != NULL)
    popbell_notifier_handle_result (self->notifier, result);
  schedule_refresh (self);
}

/* New messages of an earlier run that were never announced (the applet
 * ended first): announced now, like a check's. */
static void
on_announce (PopbellEngine      *engine,
             PopbellCheckResult *result,
             PopbellApplication *self)
{
  if (self->notifier != NULL)
    popbell_notifier_handle_result (self->notifier, result);
  schedule_refresh (self);
}

static void
on_status_changed (PopbellEngine      *engine,
                   const gchar        *account_name,
                   PopbellApplication *self)
{
  schedule_refresh (self);
}

static void
on_accounts_changed (PopbellEngine      *engine,
                     PopbellApplication *self)
{
  schedule_refresh (self);
}

/* Windows ------------------------------------------------------------------- */

static PopbellPreviewWindow *
ensure_preview (PopbellApplication *self)
{
  if (self->preview == NULL)
    {
      self->preview = popbell_preview_window_new (GTK_APPLICATION (self), self->engine);
      g_object_add_weak_pointer (G_OBJECT (self->preview), (gpointer *) &self->preview);
    }
  return POPBELL_PREVIEW_WINDOW (self->preview);
}

static void
open_preferences (PopbellApplication *self)
{
  if (self->preferences == NULL)
    {
      self->preferences = popbell_preferences_window_new (GTK_APPLICATION (self), self->engine);
      g_object_add_weak_pointer (G_OBJECT (self->preferences), (gpointer *) &self->preferences);
    }
  gtk_window_present (GTK_WINDOW (self->preferences));
}

/* "Fix…" and "Trust this certificate…" of a problem notification: the
 * account's editor over the preferences, ready for the remedy. */
static void
edit_account (PopbellApplication       *self,
              const gchar              *account_name,
              PopbellAccountEditorFocus focus)
{
  g_autoptr(PopbellAccountStatus) status = popbell_engine_dup_status (self->engine, account_name);

  open_preferences (self);
  if (status == NULL)
    return;   /* removed meanwhile: the preferences show what there is */
  popbell_preferences_window_edit_account (POPBELL_PREFERENCES_WINDOW (self->preferences),
                                           account_name, focus,
                                           popbell_account_status_get_error (status));
}

/* "Try again": the one thing besides a changed setting that lifts an
 * authentication hold (SPEC §5 "Schedule"). */
static void
retry_account (PopbellApplication *self,
               const gchar        *account_name)
{
  popbell_engine_retry_account (self->engine, account_name);
}

static void
launch_mail_client (PopbellApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkAppLaunchContext) context = NULL;
  GdkDisplay *display = gdk_display_get_default ();

  if (display != NULL)
    context = gdk_display_get_app_launch_context (display);
  if (!popbell_mail_client_launch (context != NULL ? G_APP_LAUNCH_CONTEXT (context) : NULL, &error))
    g_warning ("%s", error->message);
}

/* Actions ------------------------------------------------------------------- */

static void
action_check_now (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  PopbellApplication *self = user_data;

  g_debug ("Check now requested");
  if (self->engine != NULL && self->config_error == NULL)
    popbell_engine_check_now (self->engine);
}

static void
action_preview (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  PopbellApplication *self = user_data;

  if (self->engine != NULL)
    popbell_preview_window_show_newest (ensure_preview (self));
}

static void
action_mark_all_seen (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  PopbellApplication *self = user_data;

  if (self->engine != NULL)
    popbell_engine_mark_all_seen (self->engine);
}

static void
action_preferences (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  PopbellApplication *self = user_data;

  if (self->engine != NULL)
    open_preferences (self);
}

static void
action_open_mail_client (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  launch_mail_client (user_data);
}

static void
action_quit (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* The editor of one account (a notification's "Fix…"; scripts such as the
 * screenshot tour reach it over D-Bus too). */
static void
action_edit_account (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  PopbellApplication *self = user_data;

  if (self->engine != NULL)
    edit_account (self, g_variant_get_string (parameter, NULL),
                  POPBELL_ACCOUNT_EDITOR_FOCUS_PASSWORD);
}

static const GActionEntry app_actions[] = {
  { "check-now", action_check_now, NULL, NULL, NULL, { 0 } },
  { "preview", action_preview, NULL, NULL, NULL, { 0 } },
  { "mark-all-seen", action_mark_all_seen, NULL, NULL, NULL, { 0 } },
  { "preferences", action_preferences, NULL, NULL, NULL, { 0 } },
  { "edit-account", action_edit_account, "s", NULL, NULL, { 0 } },
  { "open-mail-client", action_open_mail_client, NULL, NULL, NULL, { 0 } },
  { "quit", action_quit, NULL, NULL, NULL, { 0 } },
};

/* Notification actions ---------------------------------------------------- */

static void
on_notification_action (PopbellNotifier    *notifier,
                        const gchar        *account,
                        const gchar        *action,
                        GStrv               uids,
                        PopbellApplication *self)
{
  guint n_uids = uids != NULL ? g_strv_length (uids) : 0;

  g_debug ("Notification action %s for %s", action, account);
  if (self->engine == NULL)
    return;

  if (g_str_equal (action, "preview"))
    {
      /* One message: exactly that one. Several: the preview starts at the
       * newest unseen and steps through them. */
      if (n_uids == 1)
        popbell_preview_window_show_message (ensure_preview (self), account, uids[0]);
      else
        popbell_preview_window_show_newest (ensure_preview (self));
    }
  else if (g_str_equal (action, "mark-seen"))
    {
      for (guint i = 0; i < n_uids; i++)
        popbell_engine_mark_seen (self->engine, account, uids[i]);
      /* A notification that could list no message (headers not fetched)
       * stood for that account's new mail: that account, never all. */
      if (n_uids == 0)
        popbell_engine_mark_account_seen (self->engine, account);
    }
  else if (g_str_equal (action, "open-mail-client"))
    launch_mail_client (self);
  else if (g_str_equal (action, "preferences"))
    open_preferences (self);
  else if (g_str_equal (action, "fix"))
    edit_account (self, account, POPBELL_ACCOUNT_EDITOR_FOCUS_PASSWORD);
  else if (g_str_equal (action, "trust"))
    edit_account (self, account, POPBELL_ACCOUNT_EDITOR_FOCUS_TRUST);
  else if (g_str_equal (action, "retry"))
    retry_account (self, account);
}

/* Signals ------------------------------------------------------------------- */

/* Logout sends SIGHUP or SIGTERM, Ctrl-C in a terminal SIGINT. Left to the
 * default action they kill the applet wherever it is, a state write
 * included; as a main-loop source they take the same way out as "Quit":
 * the engine stops (running sessions are cancelled and QUIT), and the
 * notifier and the tray are torn down in order. */
static const gint quit_signals[] = { SIGTERM, SIGINT, SIGHUP };

static gboolean
on_quit_signal (gpointer user_data)
{
  PopbellApplication *self = user_data;

  g_debug ("Quitting on a signal");
  /* Once is enough: a second signal while shutting down finds the source
   * gone and gets the default action, so a stuck shutdown stays killable. */
  for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
    g_clear_handle_id (&self->signal_ids[i], g_source_remove);
  g_application_quit (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

/* GApplication -------------------------------------------------------------- */

static void
popbell_application_startup (GApplication *app)
{
  PopbellApplication *self = POPBELL_APPLICATION (app);
  g_autoptr(GError) error = NULL;

  G_APPLICATION_CLASS (popbell_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (quit_signals); i++)
    self->signal_ids[i] = g_unix_signal_add (quit_signals[i], on_quit_signal, self);
  gtk_window_set_default_icon_name (APPLICATION_ID);

  self->notifier = popbell_notifier_new ();
  g_signal_connect (self->notifier, "action-invoked", G_CALLBACK (on_notification_action), self);
  g_signal_connect (self->notifier, "announced", G_CALLBACK (on_announced), self);

  self->engine = popbell_engine_new ();
  g_signal_connect (self->engine, "account-checked", G_CALLBACK (on_account_checked), self);
  g_signal_connect (self->engine, "announce", G_CALLBACK (on_announce), self);
  g_signal_connect (self->engine, "status-changed", G_CALLBACK (on_status_changed), self);
  g_signal_connect (self->engine, "accounts-changed", G_CALLBACK (on_accounts_changed), self);

  if (popbell_engine_load (self->engine, &error))
    popbell_engine_start (self->engine);
  else
    {
      /* Not a crash and not a silent tray: the sentence names the line. */
      g_warning ("%s", error->message);
      popbell_notifier_update_problem (self->notifier, CONFIG_PROBLEM_SLOT, error, 1);
      self->config_error = g_steal_pointer (&error);
    }

  self->tray = popbell_tray_new_for_session (G_ACTION_GROUP (self));
  g_debug ("Tray: %s", popbell_tray_get_name (self->tray));
  self->minute_id = g_timeout_add_seconds (60, minute_tick, self);
  refresh_now (self);

  /* No window at start: the applet lives in the tray. */
  g_application_hold (app);
}

static void
popbell_application_activate (GApplication *app)
{
  PopbellApplication *self = POPBELL_APPLICATION (app);
  GList *windows;

  if (self->open_preferences)
    {
      self->open_preferences = FALSE;
      self->activated = TRUE;
      open_preferences (self);
      return;
    }

  /* The first activation is the start itself. */
  if (!self->activated)
    {
      self->activated = TRUE;
      return;
    }

  /* "A second start focuses the running instance" (SPEC §2): the window the
   * user had open, else the preview. */
  windows = gtk_application_get_windows (GTK_APPLICATION (app));
  if (windows != NULL)
    gtk_window_present (GTK_WINDOW (windows->data));
  else
    g_action_group_activate_action (G_ACTION_GROUP (app), "preview", NULL);
}

static void
popbell_application_shutdown (GApplication *app)
{
  PopbellApplication *self = POPBELL_APPLICATION (app);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->minute_id, g_source_remove);
  for (guint i = 0; i < G_N_ELEMENTS (self->signal_ids); i++)
    g_clear_handle_id (&self->signal_ids[i], g_source_remove);
  if (self->engine != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->engine, self);
      popbell_engine_stop (self->engine);
    }
  g_clear_object (&self->tray);
  if (self->notifier != NULL)
    g_signal_handlers_disconnect_by_data (self->notifier, self);
  g_clear_object (&self->notifier);

  G_APPLICATION_CLASS (popbell_application_parent_class)->shutdown (app);

  /* After the windows are gone (the parent's shutdown destroys them). */
  g_clear_object (&self->engine);
}

/* Asks the running applet to check now. Checking the bus name first keeps
 * this headless: registering would make us the primary instance and
 * initialise GTK when none runs. Decided: with no applet running this is an
 * error (exit 1) rather than a start, because a script calling it every few
 * minutes must not spawn applets; --check-once is the headless check. */
static gint
remote_check_now (GApplication *app)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean running = FALSE;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus != NULL)
    reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "NameHasOwner",
                                         g_variant_new ("(s)", APPLICATION_ID),
                                         G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 5000,
                                         NULL, &error);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &running);

  if (!running || !g_application_register (app, NULL, &error) ||
      !g_application_get_is_remote (app))
    {
      g_printerr (_("popbell: Popbell is not running; start it with “popbell”, or check once "
                    "with “popbell --check-once”\n"));
      return 1;
    }

  g_action_group_activate_action (G_ACTION_GROUP (app), "check-now", NULL);
  /* The activation is a one-way message: send it before we exit. */
  g_dbus_connection_flush_sync (g_application_get_dbus_connection (app), NULL, NULL);
  return 0;
}

/* The headless commands run here, before the application registers on the
 * bus or touches a display (GtkApplication initialises GTK in startup, which
 * comes later). */
static gint
popbell_application_handle_local_options (GApplication *app,
                                          GVariantDict *options)
{
  PopbellApplication *self = POPBELL_APPLICATION (app);
  const gchar *account = NULL;
  gboolean json = FALSE;
  g_autoptr(GError) error = NULL;

  self->options_parsed = TRUE;
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("popbell %s\n", PACKAGE_VERSION);
      return 0;
    }

  g_variant_dict_lookup (options, "account", "&s", &account);
  g_variant_dict_lookup (options, "json", "b", &json);

  if (g_variant_dict_contains (options, "check-once"))
    return popbell_cli_check_once (account, json);

  if (account != NULL || json)
    {
      g_printerr (_("popbell: --account and --json go with --check-once\n"));
      return 2;
    }

  if (g_variant_dict_lookup (options, "set-password", "&s", &account))
    return popbell_cli_set_password (account);
  if (g_variant_dict_lookup (options, "show-newest", "&s", &account))
    return popbell_cli_show_newest (account);
  if (g_variant_dict_lookup (options, "diagnostics", "&s", &account))
    return popbell_cli_diagnostics (account);
  if (g_variant_dict_lookup (options, "sign-in", "&s", &account))
    return popbell_cli_sign_in (account);

  if (g_variant_dict_contains (options, "check-now"))
    return remote_check_now (app);

  if (g_variant_dict_contains (options, "preferences"))
    {
      /* A running applet opens its preferences; otherwise we start as the
       * applet and open them on activation. */
      if (!g_application_register (app, NULL, &error))
        {
          g_printerr ("popbell: %s\n", error->message);
          return 1;
        }
      if (g_application_get_is_remote (app))
        {
          g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
          g_dbus_connection_flush_sync (g_application_get_dbus_connection (app), NULL, NULL);
          return 0;
        }
      self->open_preferences = TRUE;
    }

  return -1;
}

/* GApplication ends with status 1 on a command line it cannot parse (an
 * unknown option, a missing argument); SPEC §2 gives usage errors 2, so
 * scripts can tell them from a failed check. */
static gboolean
popbell_application_local_command_line (GApplication   *app,
                                        gchar        ***arguments,
                                        gint           *exit_status)
{
  PopbellApplication *self = POPBELL_APPLICATION (app);
  gboolean handled;

  handled = G_APPLICATION_CLASS (popbell_application_parent_class)->local_command_line (app,
                                                                                       arguments,
                                                                                       exit_status);
  if (handled && *exit_status != 0 && !self->options_parsed)
    *exit_status = 2;
  return handled;
}

static void
popbell_application_finalize (GObject *object)
{
  PopbellApplication *self = POPBELL_APPLICATION (object);

  g_hash_table_unref (self->unseen);
  g_ptr_array_unref (self->announce_after_tray);
  g_clear_error (&self->config_error);

  G_OBJECT_CLASS (popbell_application_parent_class)->finalize (object);
}

static void
popbell_application_class_init (PopbellApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = popbell_application_finalize;
  app_class->handle_local_options = popbell_application_handle_local_options;
  app_class->local_command_line = popbell_application_local_command_line;
  app_class->startup = popbell_application_startup;
  app_class->activate = popbell_application_activate;
  app_class->shutdown = popbell_application_shutdown;
}

static const GOptionEntry option_entries[] = {
  { "check-once", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Check every enabled account once without any GUI, print the result and exit"), NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("With --check-once: print the result as JSON"), NULL },
  { "account", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("With --check-once: check only this account"), N_("NAME") },
  { "check-now", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Ask the running applet to check all accounts now (fails if none runs)"), NULL },
  { "set-password", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Read the password of account NAME from standard input and store it in the keyring"), N_("NAME") },
  { "show-newest", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Print the newest message of account NAME"), N_("NAME") },
  { "diagnostics", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Connect to account NAME, log in and print a report for a bug report "
       "(passwords, user names and message headers replaced)"), N_("NAME") },
  { "sign-in", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in account NAME (OAuth 2.0) in the browser and store the refresh token in the keyring"),
    N_("NAME") },
  { "preferences", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Open the preferences window"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { NULL }
};

static void
popbell_application_init (PopbellApplication *self)
{
  self->unseen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->announce_after_tray = g_ptr_array_new_with_free_func ((GDestroyNotify) announced_free);
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

PopbellApplication *
popbell_application_new (void)
{
  return g_object_new (POPBELL_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
