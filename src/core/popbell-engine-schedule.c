/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-engine-private.h"

/* When each account is checked: start/stop, per-account timers (interval,
 * LOGIN-DELAY, backoff, holds), the network monitor, logind resume, the
 * keyring's ::unlocked, and running a check and applying its outcome. */

static gboolean
host_is_local (const gchar *host)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);

  if (address != NULL)
    return g_inet_address_get_is_loopback (address);
  return g_ascii_strcasecmp (host, "localhost") == 0;
}

/* Offline means no default route: a server on this machine is still there. */
static gboolean
runner_reachable (PopbellEngine *self, PopbellAccountRunner *runner)
{
  return self->network_up ||
         host_is_local (popbell_account_get_host (popbell_account_runner_get_account (runner)));
}

/* Schedule a check at @at or when LOGIN-DELAY allows, whichever is later. */
static void
runner_schedule_at (PopbellEngine          *self,
                    PopbellAccountRunner   *runner,
                    gint64                  at,
                    PopbellNextCheckReason  reason)
{
  PopbellAccountState *state = popbell_account_runner_get_state (runner);
  gint64 allowed = popbell_scheduler_login_allowed (state->last_login, state->login_delay,
                                                    state->next_allowed);

  if (allowed > at)
    {
      at = allowed;
      reason = POPBELL_NEXT_CHECK_LOGIN_DELAY;
    }
  popbell_scheduler_schedule (self->scheduler, popbell_account_runner_get_name (runner), at,
                              reason);
}

void
popbell_engine_runner_plan (PopbellAccountRunner *runner, gint64 first_delay)
{
  PopbellEngine *self = popbell_account_runner_get_engine (runner);
  const gchar *name = popbell_account_runner_get_name (runner);

  if (self == NULL || !self->started)
    return;
  if (!popbell_account_get_enabled (popbell_account_runner_get_account (runner)))
    popbell_scheduler_unschedule (self->scheduler, name, POPBELL_NEXT_CHECK_DISABLED);
  else if (popbell_account_runner_is_held (runner))
    popbell_scheduler_unschedule (self->scheduler, name, POPBELL_NEXT_CHECK_HELD);
  else if (popbell_account_runner_get_keyring_wait (runner))
    popbell_scheduler_unschedule (self->scheduler, name, POPBELL_NEXT_CHECK_KEYRING);
  else if (!runner_reachable (self, runner))
    {
      popbell_account_runner_set_offline_wait (runner, TRUE);
      popbell_scheduler_unschedule (self->scheduler, name, POPBELL_NEXT_CHECK_OFFLINE);
    }
  else if (!popbell_account_runner_is_busy (runner))
    runner_schedule_at (self, runner, popbell_engine_now_us () + first_delay,
                        POPBELL_NEXT_CHECK_INTERVAL);
}

/* --- network, resume, keyring -------------------------------------------- */

static void
network_changed (GNetworkMonitor *monitor, gboolean available, gpointer user_data)
{
  PopbellEngine *self = user_data;
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  if (available == self->network_up)
    return;
  self->network_up = available;
  g_debug ("network %s", available ? "available: checking soon" : "gone: checks paused");

  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PopbellAccountRunner *runner = value;

      if (available && popbell_account_runner_get_offline_wait (runner))
        {
          popbell_account_runner_set_offline_wait (runner, FALSE);
          popbell_engine_runner_plan (runner, SOON_US);
          g_ptr_array_add (changed, g_strdup (popbell_account_runner_get_name (runner)));
        }
      else if (!available && !popbell_account_runner_is_busy (runner) &&
               !runner_reachable (self, runner))
        {
          popbell_engine_runner_plan (runner, 0);
          g_ptr_array_add (changed, g_strdup (popbell_account_runner_get_name (runner)));
        }
    }
  popbell_engine_emit_status_changed_names (self, changed);
}

/* Every enabled account that is not held checks soon: after a resume, or
 * because the user (or a script) asked. @user: the keyring may have been
 * unlocked meanwhile, so a keyring wait ends too. */
static void
check_all_soon (PopbellEngine *self, gboolean user)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PopbellAccountRunner *runner = value;

      if (!popbell_account_get_enabled (popbell_account_runner_get_account (runner)) ||
          popbell_account_runner_is_held (runner))
        continue;
      if (user)
        popbell_account_runner_set_keyring_wait (runner, FALSE);
      if (popbell_account_runner_is_busy (runner))
        {
          popbell_account_runner_request_check (runner, POPBELL_SESSION_FLAGS_NONE);
          continue;
        }
      popbell_engine_runner_plan (runner, 0);
      g_ptr_array_add (changed, g_strdup (popbell_account_runner_get_name (runner)));
    }
  popbell_engine_emit_status_changed_names (self, changed);
}

static void
prepare_for_sleep (GDBusConnection *connection,
                   const gchar     *sender,
                   const gchar     *path,
                   const gchar     *interface,
                   const gchar     *signal,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  gboolean going_to_sleep = TRUE;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    return;
  g_variant_get (parameters, "(b)", &going_to_sleep);
  if (!going_to_sleep)
    {
      g_debug ("resumed from sleep: checking soon");
      check_all_soon (POPBELL_ENGINE (user_data), FALSE);
    }
}

static void
system_bus_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (result, &error);
  PopbellEngine *self;

  if (bus == NULL)
    {
      /* No system bus (container, tests): no resume hint; not an error. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("no system bus, resume from sleep is not noticed: %s", error->message);
      return;
    }
  self = POPBELL_ENGINE (user_data);
  self->system_bus = bus;
  self->sleep_subscription =
    g_dbus_connection_signal_subscribe (bus, "org.freedesktop.login1",
                                        "org.freedesktop.login1.Manager", "PrepareForSleep",
                                        "/org/freedesktop/login1", NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, prepare_for_sleep, self, NULL);
}

void
popbell_engine_credentials_unlocked (PopbellCredentials *credentials, gpointer user_data)
{
  PopbellEngine *self = user_data;
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      PopbellAccountRunner *runner = value;

      if (!popbell_account_runner_get_keyring_wait (runner))
        continue;
      popbell_account_runner_set_keyring_wait (runner, FALSE);
      popbell_engine_runner_plan (runner, 0);
      g_ptr_array_add (changed, g_strdup (popbell_account_runner_get_name (runner)));
    }
  popbell_engine_emit_status_changed_names (self, changed);
}

void
popbell_engine_start (PopbellEngine *self)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  if (self->started)
    return;
  self->started = TRUE;
  self->cancellable = g_cancellable_new ();

  if (self->network == NULL)
    self->network = g_object_ref (g_network_monitor_get_default ());
  self->network_up = g_network_monitor_get_network_available (self->network);
  g_signal_connect (self->network, "network-changed", G_CALLBACK (network_changed), self);

  if (g_getenv ("POPBELL_NO_SYSTEM_BUS") == NULL)
    g_bus_get (G_BUS_TYPE_SYSTEM, self->cancellable, system_bus_ready, self);

  /* The first checks at once (no timer to wait for, issue 9): the session
   * limit (popbell-session.c) takes them in turn. */
  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      popbell_engine_runner_plan (value, 0);
      g_ptr_array_add (changed, g_strdup (popbell_account_runner_get_name (value)));
    }
  popbell_engine_emit_status_changed_names (self, changed);
  /* What the last run found but could not announce (issue 7). */
  popbell_engine_emit_announce (self);
}

void
popbell_engine_stop (PopbellEngine *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  if (!self->started)
    return;
  self->started = FALSE;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->network != NULL)
    g_signal_handlers_disconnect_by_data (self->network, self);
  g_clear_object (&self->network);
  if (self->sleep_subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->system_bus, self->sleep_subscription);
  self->sleep_subscription = 0;
  g_clear_object (&self->system_bus);

  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      popbell_scheduler_unschedule (self->scheduler, popbell_account_runner_get_name (value),
                                    POPBELL_NEXT_CHECK_DISABLED);
      popbell_account_runner_cancel_session (value);
    }
}

static gboolean
any_session_running (PopbellEngine *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (popbell_account_runner_is_busy (value))
      return TRUE;
  return FALSE;
}

void
popbell_engine_session_ended (PopbellEngine *self)
{
  g_autoptr(GPtrArray) waiters = NULL;

  if (self->stop_waiters == NULL || self->stop_waiters->len == 0 || any_session_running (self))
    return;
  waiters = g_steal_pointer (&self->stop_waiters);
  self->stop_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    if (!g_task_return_error_if_cancelled (waiters->pdata[i]))
      g_task_return_boolean (waiters->pdata[i], TRUE);
}

void
popbell_engine_stop_async (PopbellEngine       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_stop_async);
  popbell_engine_stop (self);
  if (!any_session_running (self))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_ptr_array_add (self->stop_waiters, g_steal_pointer (&task));
}

gboolean
popbell_engine_stop_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* For tests: a monitor to use instead of the default one (before start). */
void
popbell_engine_set_network_monitor (PopbellEngine *self, GNetworkMonitor *monitor)
{
  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (!self->started);
  g_set_object (&self->network, monitor);
}

/* --- checks ---------------------------------------------------------------- */

/* What a running check's callback holds: its runner and the session's
 * cancellable, which says whether the runner still counts on this run. */
typedef struct {
  PopbellAccountRunner *runner;    /* (owned) */
  GCancellable         *session;   /* (owned) */
} CheckRun;

static void
check_run_free (CheckRun *run)
{
  g_object_unref (run->runner);
  g_object_unref (run->session);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CheckRun, check_run_free)

void
popbell_engine_scheduler_due (PopbellScheduler *scheduler, const gchar *name, gpointer user_data)
{
  PopbellAccountRunner *runner = popbell_engine_lookup_runner (POPBELL_ENGINE (user_data), name);

  if (runner != NULL)
    popbell_engine_runner_run_check (runner);
}

/* How a failure counts (SPEC §5 "Schedule", "Problems"). */
static PopbellRunnerResult
classify (PopbellAccountRunner *runner, const GError *error, const gchar *certificate_sha256)
{
  if (error == NULL)
    return POPBELL_RUNNER_RESULT_OK;
  if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_AUTH) ||
      g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_INSECURE) ||
      g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG) ||
      (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_TLS) && certificate_sha256 != NULL) ||
      (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_KEYRING) &&
       !popbell_account_runner_get_keyring_wait (runner)))
    /* Needs the user: retrying would at best nag, at worst get the
     * account locked (SPEC §5). */
    return POPBELL_RUNNER_RESULT_NEEDS_USER;
  if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_LOGIN_DELAY))
    /* Refused locally or by the server's clock: at the next allowed time
     * (runner_schedule_at adds LOGIN-DELAY); not a failure of ours. */
    return POPBELL_RUNNER_RESULT_QUIET;
  if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_KEYRING) ||
      g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_MAILBOX_LOCKED))
    /* keyring_wait: ::unlocked brings the next check; [IN-USE]: quietly at
     * the next regular time. */
    return POPBELL_RUNNER_RESULT_WAIT;
  return POPBELL_RUNNER_RESULT_TRANSIENT;
}

static void
runner_schedule_next (PopbellEngine        *self,
                      PopbellAccountRunner *runner,
                      PopbellCheckResult   *result,
                      const gchar          *certificate_sha256)
{
  const gchar *name = popbell_account_runner_get_name (runner);
  guint interval = popbell_account_get_interval (popbell_account_runner_get_account (runner));
  gint64 now = popbell_engine_now_us ();
  const GError *error = popbell_check_result_get_error (result);
  PopbellRunnerResult kind = classify (runner, error, certificate_sha256);
  guint failures;

  if (kind == POPBELL_RUNNER_RESULT_NEEDS_USER)
    popbell_account_runner_hold (runner);
  failures = popbell_account_runner_note_result (runner, kind, error, certificate_sha256);

  if (kind == POPBELL_RUNNER_RESULT_TRANSIENT && !popbell_account_runner_take_check_again (runner))
    {
      gint64 delay = popbell_scheduler_backoff_delay (interval, failures,
                                                      g_rand_double (self->rand));

      g_debug ("account %s: transient failure %u, next try in %.1f s", name, failures, delay / 1e6);
      runner_schedule_at (self, runner, now + delay, POPBELL_NEXT_CHECK_BACKOFF);
      return;
    }

  if (!self->started)
    return;
  if (popbell_account_runner_is_held (runner))
    {
      popbell_scheduler_unschedule (self->scheduler, name, POPBELL_NEXT_CHECK_HELD);
      return;
    }
  if (popbell_account_runner_get_keyring_wait (runner))
    {
      popbell_scheduler_unschedule (self->scheduler, name, POPBELL_NEXT_CHECK_KEYRING);
      return;
    }
  if (kind == POPBELL_RUNNER_RESULT_TRANSIENT || popbell_account_runner_take_check_again (runner))
    {
      runner_schedule_at (self, runner, now, POPBELL_NEXT_CHECK_INTERVAL);
      return;
    }
  runner_schedule_at (self, runner, now + (gint64) interval * G_USEC_PER_SEC,
                      POPBELL_NEXT_CHECK_INTERVAL);
}

static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CheckRun) run = user_data;
  PopbellAccountRunner *runner = run->runner;
  PopbellEngine *engine = popbell_account_runner_get_engine (runner);
  g_autoptr(PopbellEngine) self = engine != NULL ? g_object_ref (engine) : NULL;
  g_autoptr(PopbellCheckOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;

  outcome = popbell_checker_check_finish (POPBELL_CHECKER (source), result, &error);
  if (self == NULL || outcome == NULL)
    {
      /* Cancelled (stop, removal) or the engine let go: silent. */
      popbell_account_runner_end_session (runner, run->session);
      if (self != NULL)
        {
          popbell_engine_runner_next (runner);
          popbell_engine_session_ended (self);
        }
      return;
    }

  if (outcome->state != NULL)
    {
      /* As saved, or as it failed to save: ours is the authoritative copy
       * either way (a failed save must not bring the old file back). */
      popbell_account_runner_take_state (runner, g_steal_pointer (&outcome->state));
      popbell_account_runner_note_save (runner, outcome->save_error);
    }
  popbell_account_runner_set_keyring_wait (runner, outcome->keyring_unavailable);
  runner_schedule_next (self, runner, outcome->result, outcome->certificate_sha256);
  /* Saves the marks the user made while the check ran. */
  popbell_account_runner_end_session (runner, run->session);

  popbell_engine_emit_account_checked (self, outcome->result);
  /* Handlers may have removed the account (the runner is then detached)
   * or stopped the engine; both references keep what we touch alive. */
  popbell_engine_emit_status_changed (runner);
  if (popbell_account_runner_get_engine (runner) != NULL)
    popbell_engine_runner_next (runner);
  popbell_engine_session_ended (self);
}

void
popbell_engine_runner_run_check (PopbellAccountRunner *runner)
{
  PopbellEngine *self = popbell_account_runner_get_engine (runner);
  CheckRun *run;
  GCancellable *session;
  PopbellSessionFlags flags;

  if (self == NULL || !self->started ||
      !popbell_account_get_enabled (popbell_account_runner_get_account (runner)))
    return;
  if (popbell_account_runner_is_busy (runner))
    {
      /* One session per account: after this one, once more. */
      popbell_account_runner_request_check (runner, POPBELL_SESSION_FLAGS_NONE);
      return;
    }
  if (!runner_reachable (self, runner))
    {
      popbell_engine_runner_plan (runner, 0);
      popbell_engine_emit_status_changed (runner);
      return;
    }

  session = popbell_account_runner_begin_session (runner, NULL);
  popbell_scheduler_unschedule (self->scheduler, popbell_account_runner_get_name (runner),
                                POPBELL_NEXT_CHECK_RUNNING);

  run = g_new0 (CheckRun, 1);
  run->runner = g_object_ref (runner);
  run->session = g_object_ref (session);
  /* New messages stay unannounced until the UI says they were (issue 7). */
  flags = popbell_account_runner_take_flags (runner) | POPBELL_SESSION_DEFER_ANNOUNCE;
  popbell_checker_check_full_async (self->checker, popbell_account_runner_get_account (runner),
                                    flags, popbell_account_runner_get_unsaved_state (runner),
                                    session, check_done, run);
  popbell_engine_emit_status_changed (runner);
}

void
popbell_engine_check_now (PopbellEngine *self)
{
  g_return_if_fail (POPBELL_IS_ENGINE (self));
  check_all_soon (self, TRUE);
}

void
popbell_engine_check_account_now (PopbellEngine *self, const gchar *account_name)
{
  g_autoptr(PopbellAccountRunner) runner = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  runner = popbell_engine_lookup_runner (self, account_name);
  if (runner == NULL)
    return;
  g_object_ref (runner);
  if (!popbell_account_get_enabled (popbell_account_runner_get_account (runner)) ||
      popbell_account_runner_is_held (runner))
    return;   /* a held account waits for the user (retry_account) */
  popbell_account_runner_set_keyring_wait (runner, FALSE);
  if (popbell_account_runner_is_busy (runner))
    {
      popbell_account_runner_request_check (runner, POPBELL_SESSION_FLAGS_NONE);
      return;
    }
  popbell_engine_runner_plan (runner, 0);
  popbell_engine_emit_status_changed (runner);
}

void
popbell_engine_retry_account (PopbellEngine *self, const gchar *account_name)
{
  g_autoptr(PopbellAccountRunner) runner = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  runner = popbell_engine_lookup_runner (self, account_name);
  if (runner == NULL)
    return;
  g_object_ref (runner);
  if (!popbell_account_get_enabled (popbell_account_runner_get_account (runner)))
    return;
  popbell_account_runner_lift_hold (runner);
  if (popbell_account_runner_is_busy (runner))
    popbell_account_runner_request_check (runner, POPBELL_SESSION_IGNORE_AUTH_HOLD);
  else
    popbell_engine_runner_plan (runner, 0);
  popbell_engine_emit_status_changed (runner);
}
