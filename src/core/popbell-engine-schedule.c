/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-engine-private.h"

/* When each account is checked: start/stop, per-account timers (interval,
 * LOGIN-DELAY, backoff, holds), the network monitor, logind resume, the
 * keyring's ::unlocked, and running a check and applying its outcome. */

static void entry_schedule_next (Entry *entry, PopbellCheckResult *result);

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
entry_reachable (Entry *entry)
{
  return entry->engine->network_up ||
         host_is_local (popbell_account_get_host (entry->account));
}

static gint64
entry_login_allowed (Entry *entry)
{
  return popbell_scheduler_login_allowed (entry->state->last_login, entry->state->login_delay,
                                          entry->state->next_allowed);
}

/* Schedule a check at @at or when LOGIN-DELAY allows, whichever is later. */
static void
entry_schedule_at (Entry *entry, gint64 at, PopbellNextCheckReason reason)
{
  gint64 allowed = entry_login_allowed (entry);

  if (allowed > at)
    {
      at = allowed;
      reason = POPBELL_NEXT_CHECK_LOGIN_DELAY;
    }
  popbell_scheduler_schedule (entry->engine->scheduler, entry->name, at, reason);
}

void
popbell_engine_entry_plan (Entry *entry, gint64 first_delay)
{
  PopbellScheduler *scheduler = entry->engine->scheduler;

  if (!entry->engine->started)
    return;
  if (!popbell_account_get_enabled (entry->account))
    popbell_scheduler_unschedule (scheduler, entry->name, POPBELL_NEXT_CHECK_DISABLED);
  else if (entry->held)
    popbell_scheduler_unschedule (scheduler, entry->name, POPBELL_NEXT_CHECK_HELD);
  else if (entry->keyring_wait)
    popbell_scheduler_unschedule (scheduler, entry->name, POPBELL_NEXT_CHECK_KEYRING);
  else if (!entry_reachable (entry))
    {
      entry->offline_wait = TRUE;
      popbell_scheduler_unschedule (scheduler, entry->name, POPBELL_NEXT_CHECK_OFFLINE);
    }
  else if (entry->running == NULL)
    entry_schedule_at (entry, popbell_engine_now_us () + first_delay, POPBELL_NEXT_CHECK_INTERVAL);
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

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      if (available && entry->offline_wait)
        {
          entry->offline_wait = FALSE;
          popbell_engine_entry_plan (entry, SOON_US);
          g_ptr_array_add (changed, g_strdup (entry->name));
        }
      else if (!available && entry->running == NULL && !entry_reachable (entry))
        {
          popbell_engine_entry_plan (entry, 0);
          g_ptr_array_add (changed, g_strdup (entry->name));
        }
    }
  popbell_engine_emit_status_changed_names (self, changed);
}

static void
check_all_soon (PopbellEngine *self, gboolean include_held, PopbellSessionFlags flags)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      if (!popbell_account_get_enabled (entry->account))
        continue;
      if (entry->held && !include_held)
        continue;
      entry->held = FALSE;
      if (include_held)
        entry->keyring_wait = FALSE;
      entry->next_flags |= flags;
      if (entry->running != NULL)
        {
          entry->check_again = TRUE;
          continue;
        }
      popbell_engine_entry_plan (entry, 0);
      g_ptr_array_add (changed, g_strdup (entry->name));
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
      check_all_soon (POPBELL_ENGINE (user_data), FALSE, POPBELL_SESSION_FLAGS_NONE);
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

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      if (!entry->keyring_wait)
        continue;
      entry->keyring_wait = FALSE;
      popbell_engine_entry_plan (entry, 0);
      g_ptr_array_add (changed, g_strdup (entry->name));
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

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      popbell_engine_entry_plan (value, START_US);
      g_ptr_array_add (changed, g_strdup (((Entry *) value)->name));
    }
  popbell_engine_emit_status_changed_names (self, changed);
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

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      popbell_scheduler_unschedule (self->scheduler, entry->name, POPBELL_NEXT_CHECK_DISABLED);
      if (entry->running != NULL)
        g_cancellable_cancel (entry->running);
    }
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

typedef struct {
  PopbellEngine *engine;   /* (owned) */
  gchar         *name;
  GCancellable  *cancellable;  /* (owned) identifies this run */
} RunData;

static void
run_data_free (RunData *run)
{
  g_object_unref (run->engine);
  g_free (run->name);
  g_object_unref (run->cancellable);
  g_free (run);
}

void
popbell_engine_scheduler_due (PopbellScheduler *scheduler, const gchar *name, gpointer user_data)
{
  Entry *entry = popbell_engine_lookup_entry (POPBELL_ENGINE (user_data), name);

  if (entry != NULL)
    popbell_engine_entry_run_check (entry);
}

static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RunData *run = user_data;
  PopbellEngine *self = run->engine;
  Entry *entry = popbell_engine_lookup_entry (self, run->name);
  g_autoptr(PopbellCheckOutcome) outcome = NULL;
  g_autoptr(GError) error = NULL;

  outcome = popbell_checker_check_finish (POPBELL_CHECKER (source), result, &error);
  if (entry == NULL || entry->running != run->cancellable)
    {
      /* The account went away (or was replaced) meanwhile. */
      run_data_free (run);
      return;
    }
  g_clear_object (&entry->running);

  if (outcome == NULL)
    {
      /* Cancelled (stop): silent. run holds what may be the last engine
       * reference, and the engine owns the entry: use the entry first. */
      popbell_engine_entry_start_waiting (entry);
      run_data_free (run);
      return;
    }

  if (outcome->state != NULL)
    {
      popbell_account_state_free (entry->state);
      entry->state = g_steal_pointer (&outcome->state);
      /* Acknowledgements made during the check are not in the file yet. */
      popbell_engine_apply_pending_acks (entry, entry->state);
    }
  g_free (entry->certificate_sha256);
  entry->certificate_sha256 = g_steal_pointer (&outcome->certificate_sha256);
  entry->keyring_wait = outcome->keyring_unavailable;
  if (outcome->save_error != NULL)
    g_warning ("%s", outcome->save_error->message);

  entry_schedule_next (entry, outcome->result);

  popbell_engine_emit_account_checked (self, outcome->result);
  /* Handlers may have removed the account (or even stopped the engine). */
  entry = popbell_engine_lookup_entry (self, run->name);
  if (entry != NULL)
    popbell_engine_emit_status_changed (entry);
  entry = popbell_engine_lookup_entry (self, run->name);
  if (entry != NULL)
    {
      popbell_engine_entry_flush_acks (entry);
      popbell_engine_entry_start_waiting (entry);
    }
  run_data_free (run);
}

static void
entry_schedule_next (Entry *entry, PopbellCheckResult *result)
{
  PopbellEngine *self = entry->engine;
  guint interval = popbell_account_get_interval (entry->account);
  gint64 now = popbell_engine_now_us ();
  const GError *error = popbell_check_result_get_error (result);

  entry->next_flags = POPBELL_SESSION_FLAGS_NONE;
  g_clear_error (&entry->error);
  if (error != NULL)
    entry->error = g_error_copy (error);

  if (popbell_check_result_is_ok (result))
    {
      entry->failures = 0;
      entry->held = FALSE;
    }
  else if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_AUTH) ||
           g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_INSECURE) ||
           g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG) ||
           (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_TLS) &&
            entry->certificate_sha256 != NULL) ||
           (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_KEYRING) &&
            !entry->keyring_wait))
    {
      /* Needs the user: retrying would at best nag, at worst get the
       * account locked (SPEC §5). */
      entry->held = TRUE;
      entry->check_again = FALSE;
    }
  else if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_KEYRING))
    {
      /* keyring_wait: ::unlocked brings the next check. */
    }
  else if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_LOGIN_DELAY) ||
           g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_MAILBOX_LOCKED))
    {
      /* Quietly at the next regular time (entry_schedule_at adds the
       * server's LOGIN-DELAY). Not a failure of ours: no backoff. */
    }
  else
    {
      gint64 delay;

      entry->failures++;
      delay = popbell_scheduler_backoff_delay (interval, entry->failures,
                                               g_rand_double (self->rand));
      g_debug ("account %s: transient failure %u, next try in %.1f s",
               entry->name, entry->failures, delay / 1e6);
      if (!entry->check_again)
        {
          entry_schedule_at (entry, now + delay, POPBELL_NEXT_CHECK_BACKOFF);
          return;
        }
    }

  if (!self->started)
    return;
  if (entry->held)
    {
      popbell_scheduler_unschedule (self->scheduler, entry->name, POPBELL_NEXT_CHECK_HELD);
      return;
    }
  if (entry->keyring_wait)
    {
      popbell_scheduler_unschedule (self->scheduler, entry->name, POPBELL_NEXT_CHECK_KEYRING);
      return;
    }
  if (entry->check_again)
    {
      entry->check_again = FALSE;
      entry_schedule_at (entry, now, POPBELL_NEXT_CHECK_INTERVAL);
      return;
    }
  entry_schedule_at (entry, now + (gint64) interval * G_USEC_PER_SEC, POPBELL_NEXT_CHECK_INTERVAL);
}

void
popbell_engine_entry_run_check (Entry *entry)
{
  PopbellEngine *self = entry->engine;
  RunData *run;

  if (!self->started || !popbell_account_get_enabled (entry->account))
    return;
  if (entry->running != NULL)
    {
      /* One session per account: after this one, once more. */
      entry->check_again = TRUE;
      return;
    }
  if (!entry_reachable (entry))
    {
      popbell_engine_entry_plan (entry, 0);
      popbell_engine_emit_status_changed (entry);
      return;
    }

  entry->running = g_cancellable_new ();
  popbell_scheduler_unschedule (self->scheduler, entry->name, POPBELL_NEXT_CHECK_RUNNING);

  run = g_new0 (RunData, 1);
  run->engine = g_object_ref (self);
  run->name = g_strdup (entry->name);
  run->cancellable = g_object_ref (entry->running);
  popbell_checker_check_async (self->checker, entry->account, entry->next_flags,
                               entry->running, check_done, run);
  popbell_engine_emit_status_changed (entry);
}

void
popbell_engine_check_now (PopbellEngine *self)
{
  g_return_if_fail (POPBELL_IS_ENGINE (self));
  /* "The user retries": held accounts too, and past an auth hold. */
  check_all_soon (self, TRUE, POPBELL_SESSION_IGNORE_AUTH_HOLD);
}

void
popbell_engine_check_account_now (PopbellEngine *self, const gchar *account_name)
{
  /* Ours: a ::status-changed handler may free the caller's string. */
  g_autofree gchar *name = g_strdup (account_name);
  Entry *entry;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  entry = popbell_engine_lookup_entry (self, name);
  if (entry == NULL || !popbell_account_get_enabled (entry->account))
    return;
  entry->held = FALSE;
  entry->keyring_wait = FALSE;
  entry->next_flags |= POPBELL_SESSION_IGNORE_AUTH_HOLD;
  if (entry->running != NULL)
    {
      entry->check_again = TRUE;
      return;
    }
  popbell_engine_entry_plan (entry, 0);
  popbell_engine_emit_status_changed (entry);
}

