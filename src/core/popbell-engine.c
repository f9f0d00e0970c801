/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "popbell-account-status-private.h"
#include "popbell-checker.h"
#include "popbell-engine.h"
#include "popbell-scheduler.h"
#include "popbell-secret-credentials.h"
#include "popbell-state-store.h"

/* The first check after start, a network return or a resume: soon, but not
 * in the same instant as everything else that wakes up then. */
#define SOON_US (2 * G_USEC_PER_SEC)
#define START_US (G_USEC_PER_SEC / 2)
/* Retry of a "mark as seen" that found the account busy. */
#define ACK_RETRY_MS 1000
/* Body lines a preview asks for with TOP before the user wants it all. */
#define PREVIEW_TOP_LINES 200

/* One account as the engine sees it. */
typedef struct {
  PopbellEngine       *engine;        /* (unowned) */
  gchar               *name;
  PopbellAccount      *account;       /* (owned) current settings snapshot */
  gchar               *digest;        /* settings digest of @account */
  PopbellAccountState *state;         /* (owned) last known state (file) */

  GCancellable        *running;       /* (owned) (nullable) non-NULL ⇔ a session is in use */
  GQueue               waiting;       /* (element-type GTask) operations waiting for the session */
  gboolean             check_again;   /* check_now arrived while busy */
  PopbellSessionFlags  next_flags;    /* flags of the next check */

  GError              *error;         /* (owned) (nullable) last failure */
  gchar               *certificate_sha256;
  gboolean             held;          /* stopped until the user acts */
  gboolean             keyring_wait;  /* waiting for ::unlocked */
  gboolean             offline_wait;  /* paused by the network monitor */
  guint                failures;      /* consecutive transient failures */

  GHashTable          *pending_acks;  /* (owned) UIDs marked seen, not yet saved */
  gboolean             pending_ack_all;
  guint                ack_retry_id;
} Entry;

struct _PopbellEngine
{
  GObject parent_instance;

  PopbellAccountStore *accounts;      /* (owned) */
  PopbellStateStore   *state_store;   /* (owned) */
  PopbellCredentials  *credentials;   /* (owned) */
  PopbellChecker      *checker;       /* (owned) */
  PopbellScheduler    *scheduler;     /* (owned) */
  GHashTable          *entries;       /* (owned) name → Entry, */
  GPtrArray           *order;         /* (owned) names in file order */

  GNetworkMonitor     *network;       /* (owned) (nullable) while started */
  gboolean             network_up;
  GDBusConnection     *system_bus;    /* (owned) (nullable) */
  guint                sleep_subscription;
  GCancellable        *cancellable;   /* (owned) bus lookup, running checks on stop */
  gboolean             started;
  GRand               *rand;
};

G_DEFINE_FINAL_TYPE (PopbellEngine, popbell_engine, G_TYPE_OBJECT)

enum {
  SIGNAL_ACCOUNT_CHECKED,
  SIGNAL_STATUS_CHANGED,
  SIGNAL_ACCOUNTS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void entry_schedule_next (Entry *entry, PopbellCheckResult *result);
static void entry_run_check (Entry *entry);
static void entry_start_waiting (Entry *entry);
static void entry_flush_acks (Entry *entry);

static gint64
now_us (void)
{
  return g_get_real_time ();
}

/* ------------------------------------------------------------------------ */

static void
entry_free (Entry *entry)
{
  GTask *task;

  if (entry->running != NULL)
    g_cancellable_cancel (entry->running);
  g_clear_object (&entry->running);
  while ((task = g_queue_pop_head (&entry->waiting)) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "The account was removed");
      g_object_unref (task);
    }
  g_clear_handle_id (&entry->ack_retry_id, g_source_remove);
  g_free (entry->name);
  g_clear_object (&entry->account);
  g_free (entry->digest);
  g_clear_pointer (&entry->state, popbell_account_state_free);
  g_clear_error (&entry->error);
  g_free (entry->certificate_sha256);
  g_hash_table_unref (entry->pending_acks);
  g_free (entry);
}

static Entry *
lookup_entry (PopbellEngine *self, const gchar *name)
{
  return name != NULL ? g_hash_table_lookup (self->entries, name) : NULL;
}

/* Handlers run synchronously and may call back into the engine, even
 * remove the account: emit last, and touch no Entry afterwards without
 * looking it up again. */
static void
emit_status_changed (Entry *entry)
{
  g_signal_emit (entry->engine, signals[SIGNAL_STATUS_CHANGED], 0, entry->name);
}

/* For loops over the entries: collect the names (a hash table iterator
 * dies if a handler adds or removes accounts), then emit for those that
 * still exist. */
static void
emit_status_changed_names (PopbellEngine *self, GPtrArray *names)
{
  g_object_ref (self);
  for (guint i = 0; i < names->len; i++)
    if (self->entries != NULL && lookup_entry (self, names->pdata[i]) != NULL)
      g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, names->pdata[i]);
  g_object_unref (self);
}

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

static void
entry_plan (Entry *entry, gint64 first_delay)
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
    entry_schedule_at (entry, now_us () + first_delay, POPBELL_NEXT_CHECK_INTERVAL);
}

static Entry *
entry_new (PopbellEngine *self, PopbellAccount *account)
{
  Entry *entry = g_new0 (Entry, 1);
  g_autoptr(GError) error = NULL;
  gboolean recovered = FALSE;

  entry->engine = self;
  entry->name = g_strdup (popbell_account_get_name (account));
  entry->account = g_object_ref (account);
  entry->digest = popbell_account_dup_settings_digest (account);
  entry->pending_acks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&entry->waiting);

  /* Read without the lock: saves are atomic renames, so this sees a whole
   * file; checks re-read under the lock anyway. */
  entry->state = popbell_state_store_load (self->state_store, entry->name, &recovered, &error);
  if (entry->state == NULL)
    {
      g_debug ("%s", error->message);
      entry->state = popbell_account_state_new (entry->name);
    }
  /* An auth hold of the same settings survives a restart. */
  if (entry->state->auth_hold && g_strcmp0 (entry->state->auth_hold_digest, entry->digest) == 0)
    entry->held = TRUE;
  return entry;
}

/* ------------------------------------------------------------------------ */

static void
popbell_engine_dispose (GObject *object)
{
  PopbellEngine *self = POPBELL_ENGINE (object);

  popbell_engine_stop (self);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->order, g_ptr_array_unref);
  if (self->accounts != NULL)
    g_signal_handlers_disconnect_by_data (self->accounts, self);
  if (self->credentials != NULL)
    g_signal_handlers_disconnect_by_data (self->credentials, self);
  g_clear_object (&self->accounts);
  g_clear_object (&self->state_store);
  g_clear_object (&self->credentials);
  g_clear_object (&self->checker);
  g_clear_object (&self->scheduler);
  g_clear_pointer (&self->rand, g_rand_free);
  G_OBJECT_CLASS (popbell_engine_parent_class)->dispose (object);
}

static void
popbell_engine_class_init (PopbellEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_engine_dispose;

  signals[SIGNAL_ACCOUNT_CHECKED] =
    g_signal_new ("account-checked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                  POPBELL_TYPE_CHECK_RESULT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_STATUS_CHANGED] =
    g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ACCOUNTS_CHANGED] =
    g_signal_new ("accounts-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
popbell_engine_init (PopbellEngine *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) entry_free);
  self->order = g_ptr_array_new_with_free_func (g_free);
  self->scheduler = popbell_scheduler_new ();
  self->rand = g_rand_new ();
  self->network_up = TRUE;
}

static void scheduler_due (PopbellScheduler *scheduler, const gchar *name, gpointer user_data);
static void credentials_unlocked (PopbellCredentials *credentials, gpointer user_data);
static void accounts_changed (PopbellAccountStore *store, gpointer user_data);

PopbellEngine *
popbell_engine_new_full (const gchar        *accounts_path,
                         const gchar        *state_dir,
                         PopbellCredentials *credentials)
{
  PopbellEngine *self = g_object_new (POPBELL_TYPE_ENGINE, NULL);
  g_autofree gchar *default_path = NULL;

  if (accounts_path == NULL)
    accounts_path = default_path = popbell_account_store_default_path ();
  self->accounts = popbell_account_store_new (accounts_path);
  self->state_store = popbell_state_store_new (state_dir);
  self->credentials = credentials != NULL ? g_object_ref (credentials)
                                          : popbell_secret_credentials_new ();
  self->checker = popbell_checker_new (self->state_store, self->credentials);

  g_signal_connect (self->scheduler, "due", G_CALLBACK (scheduler_due), self);
  g_signal_connect (self->credentials, "unlocked", G_CALLBACK (credentials_unlocked), self);
  g_signal_connect (self->accounts, "changed", G_CALLBACK (accounts_changed), self);
  return self;
}

PopbellEngine *
popbell_engine_new (void)
{
  return popbell_engine_new_full (NULL, NULL, NULL);
}

PopbellChecker *
popbell_engine_get_checker (PopbellEngine *self)
{
  g_return_val_if_fail (POPBELL_IS_ENGINE (self), NULL);
  return self->checker;
}

PopbellAccountStore *
popbell_engine_get_account_store (PopbellEngine *self)
{
  g_return_val_if_fail (POPBELL_IS_ENGINE (self), NULL);
  return self->accounts;
}

/* Brings the entries in line with the account store: new accounts get an
 * entry (and a check soon), removed ones lose it (and their state), edited
 * ones take the new settings; a change of the login settings lifts a hold. */
static void
reconcile (PopbellEngine *self)
{
  g_autoptr(GPtrArray) accounts = popbell_account_store_list (self->accounts);
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) edited = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;
  gboolean changed = FALSE;

  g_ptr_array_set_size (self->order, 0);
  for (guint i = 0; i < accounts->len; i++)
    {
      PopbellAccount *account = accounts->pdata[i];
      const gchar *name = popbell_account_get_name (account);
      Entry *entry = lookup_entry (self, name);

      g_hash_table_add (present, (gpointer) name);
      g_ptr_array_add (self->order, g_strdup (name));

      if (entry == NULL)
        {
          entry = entry_new (self, account);
          g_hash_table_insert (self->entries, entry->name, entry);
          entry_plan (entry, START_US);
          changed = TRUE;
          continue;
        }
      if (entry->account != account)
        {
          g_autofree gchar *digest = popbell_account_dup_settings_digest (account);
          gboolean login_changed = g_strcmp0 (digest, entry->digest) != 0;
          gboolean timing_changed =
            popbell_account_get_interval (account) != popbell_account_get_interval (entry->account) ||
            popbell_account_get_enabled (account) != popbell_account_get_enabled (entry->account);

          g_set_object (&entry->account, account);
          g_free (entry->digest);
          entry->digest = g_steal_pointer (&digest);
          if (login_changed)
            {
              /* The user changed what the server rejected: try again. */
              entry->held = FALSE;
              entry->keyring_wait = FALSE;
              entry->failures = 0;
              g_clear_error (&entry->error);
              g_clear_pointer (&entry->certificate_sha256, g_free);
            }
          if (login_changed || timing_changed)
            entry_plan (entry, SOON_US);
          g_ptr_array_add (edited, g_strdup (name));
          changed = TRUE;
        }
    }

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_hash_table_contains (present, key))
        continue;
      popbell_scheduler_remove (self->scheduler, key);
      popbell_state_store_remove (self->state_store, key);
      g_hash_table_iter_remove (&iter);
      changed = TRUE;
    }

  g_object_ref (self);
  emit_status_changed_names (self, edited);
  if (changed)
    g_signal_emit (self, signals[SIGNAL_ACCOUNTS_CHANGED], 0);
  g_object_unref (self);
}

static void
accounts_changed (PopbellAccountStore *store, gpointer user_data)
{
  reconcile (POPBELL_ENGINE (user_data));
}

gboolean
popbell_engine_load (PopbellEngine *self, GError **error)
{
  g_return_val_if_fail (POPBELL_IS_ENGINE (self), FALSE);

  if (!popbell_account_store_load (self->accounts, error))
    return FALSE;
  /* ::changed reconciled already; a store that emits nothing for an
   * unchanged file is covered too. */
  reconcile (self);
  return TRUE;
}

gboolean
popbell_engine_apply_accounts (PopbellEngine *self, GError **error)
{
  g_return_val_if_fail (POPBELL_IS_ENGINE (self), FALSE);

  if (!popbell_account_store_save (self->accounts, error))
    return FALSE;
  reconcile (self);
  return TRUE;
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
          entry_plan (entry, SOON_US);
          g_ptr_array_add (changed, g_strdup (entry->name));
        }
      else if (!available && entry->running == NULL && !entry_reachable (entry))
        {
          entry_plan (entry, 0);
          g_ptr_array_add (changed, g_strdup (entry->name));
        }
    }
  emit_status_changed_names (self, changed);
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
      entry_plan (entry, 0);
      g_ptr_array_add (changed, g_strdup (entry->name));
    }
  emit_status_changed_names (self, changed);
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

static void
credentials_unlocked (PopbellCredentials *credentials, gpointer user_data)
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
      entry_plan (entry, 0);
      g_ptr_array_add (changed, g_strdup (entry->name));
    }
  emit_status_changed_names (self, changed);
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
      entry_plan (value, START_US);
      g_ptr_array_add (changed, g_strdup (((Entry *) value)->name));
    }
  emit_status_changed_names (self, changed);
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

static void
scheduler_due (PopbellScheduler *scheduler, const gchar *name, gpointer user_data)
{
  Entry *entry = lookup_entry (POPBELL_ENGINE (user_data), name);

  if (entry != NULL)
    entry_run_check (entry);
}

static void
apply_pending_acks (Entry *entry, PopbellAccountState *state)
{
  GHashTableIter iter;
  gpointer key;

  if (entry->pending_ack_all)
    g_ptr_array_set_size (state->unseen, 0);
  g_hash_table_iter_init (&iter, entry->pending_acks);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    popbell_account_state_remove_unseen (state, key);
}

static void
check_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RunData *run = user_data;
  PopbellEngine *self = run->engine;
  Entry *entry = lookup_entry (self, run->name);
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
      /* Cancelled (stop): silent. */
      run_data_free (run);
      entry_start_waiting (entry);
      return;
    }

  if (outcome->state != NULL)
    {
      popbell_account_state_free (entry->state);
      entry->state = g_steal_pointer (&outcome->state);
      /* Acknowledgements made during the check are not in the file yet. */
      apply_pending_acks (entry, entry->state);
    }
  g_free (entry->certificate_sha256);
  entry->certificate_sha256 = g_steal_pointer (&outcome->certificate_sha256);
  entry->keyring_wait = outcome->keyring_unavailable;
  if (outcome->save_error != NULL)
    g_warning ("%s", outcome->save_error->message);

  entry_schedule_next (entry, outcome->result);

  g_signal_emit (self, signals[SIGNAL_ACCOUNT_CHECKED], 0, outcome->result);
  /* Handlers may have removed the account (or even stopped the engine). */
  entry = lookup_entry (self, run->name);
  if (entry != NULL)
    emit_status_changed (entry);
  entry = lookup_entry (self, run->name);
  if (entry != NULL)
    {
      entry_flush_acks (entry);
      entry_start_waiting (entry);
    }
  run_data_free (run);
}

static void
entry_schedule_next (Entry *entry, PopbellCheckResult *result)
{
  PopbellEngine *self = entry->engine;
  guint interval = popbell_account_get_interval (entry->account);
  gint64 now = now_us ();
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

static void
entry_run_check (Entry *entry)
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
      entry_plan (entry, 0);
      emit_status_changed (entry);
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
  emit_status_changed (entry);
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
  entry = lookup_entry (self, name);
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
  entry_plan (entry, 0);
  emit_status_changed (entry);
}

/* --- status ------------------------------------------------------------------ */

static gboolean
needs_attention (Entry *entry)
{
  return entry->held && entry->error != NULL;
}

static PopbellAccountStatus *
entry_status (Entry *entry)
{
  PopbellNextCheckReason reason;
  gint64 next = popbell_scheduler_get_next (entry->engine->scheduler, entry->name, &reason);
  guint interval = popbell_account_get_interval (entry->account);
  gint64 last = entry->state->last_success;
  gboolean stale;

  if (entry->running != NULL)
    reason = POPBELL_NEXT_CHECK_RUNNING;
  else if (!popbell_account_get_enabled (entry->account))
    reason = POPBELL_NEXT_CHECK_DISABLED;
  else if (entry->held)
    reason = POPBELL_NEXT_CHECK_HELD;

  stale = last > 0 ? now_us () - last > 3 * (gint64) interval * G_USEC_PER_SEC
                   : entry->error != NULL;

  return popbell_account_status_new (entry->name, entry->state->unseen->len,
                                     entry->state->last_count, last, next, reason,
                                     entry->state->login_delay, entry->error,
                                     needs_attention (entry), entry->certificate_sha256,
                                     stale);
}

GPtrArray *
popbell_engine_list_status (PopbellEngine *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_account_status_unref);

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), list);
  for (guint i = 0; i < self->order->len; i++)
    {
      Entry *entry = lookup_entry (self, self->order->pdata[i]);

      if (entry != NULL)
        g_ptr_array_add (list, entry_status (entry));
    }
  return list;
}

PopbellAccountStatus *
popbell_engine_dup_status (PopbellEngine *self, const gchar *account_name)
{
  Entry *entry;

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), NULL);
  entry = lookup_entry (self, account_name);
  return entry != NULL ? entry_status (entry) : NULL;
}

guint
popbell_engine_get_unseen_total (PopbellEngine *self)
{
  GHashTableIter iter;
  gpointer value;
  guint total = 0;

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), 0);
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    total += ((Entry *) value)->state->unseen->len;
  return total;
}

static gint
compare_newest_first (gconstpointer a, gconstpointer b)
{
  PopbellMailSummary *x = *(PopbellMailSummary **) a, *y = *(PopbellMailSummary **) b;
  GDateTime *dx = popbell_mail_summary_get_date (x), *dy = popbell_mail_summary_get_date (y);
  gint64 tx = dx != NULL ? g_date_time_to_unix (dx) : 0;
  gint64 ty = dy != NULL ? g_date_time_to_unix (dy) : 0;

  if (tx != ty)
    return tx > ty ? -1 : 1;
  return (gint) popbell_mail_summary_get_index (y) - (gint) popbell_mail_summary_get_index (x);
}

GPtrArray *
popbell_engine_list_unseen (PopbellEngine *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), list);
  for (guint i = 0; i < self->order->len; i++)
    {
      Entry *entry = lookup_entry (self, self->order->pdata[i]);

      for (guint j = 0; entry != NULL && j < entry->state->unseen->len; j++)
        {
          PopbellUnseenEntry *u = entry->state->unseen->pdata[j];
          g_autoptr(GDateTime) date = NULL;

          if (!u->has_headers)
            continue;
          if (u->date != NULL)
            date = g_date_time_new_from_iso8601 (u->date, NULL);
          g_ptr_array_add (list, popbell_mail_summary_new (entry->name, u->uid, u->index,
                                                           u->size, u->from, u->subject, date));
        }
    }
  g_ptr_array_sort (list, compare_newest_first);
  return list;
}

/* --- acknowledgements --------------------------------------------------------- */

static gboolean
ack_retry (gpointer user_data)
{
  Entry *entry = user_data;

  entry->ack_retry_id = 0;
  entry_flush_acks (entry);
  return G_SOURCE_REMOVE;
}

/* Writes pending "seen" marks: under the lock, on the file's current state
 * (another process may have checked meanwhile). Busy: try again later. */
static void
entry_flush_acks (Entry *entry)
{
  PopbellEngine *self = entry->engine;
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;

  if (!entry->pending_ack_all && g_hash_table_size (entry->pending_acks) == 0)
    return;
  if (entry->running != NULL)
    return;   /* check_done flushes */

  lock = popbell_state_store_try_lock (self->state_store, entry->name, &error);
  if (lock == NULL)
    {
      if (entry->ack_retry_id == 0)
        entry->ack_retry_id = g_timeout_add (ACK_RETRY_MS, ack_retry, entry);
      return;
    }
  state = popbell_state_store_load (self->state_store, entry->name, NULL, &error);
  if (state == NULL)
    {
      g_debug ("%s", error->message);
      return;
    }
  apply_pending_acks (entry, state);
  if (!popbell_state_store_save (self->state_store, state, &error))
    {
      g_warning ("%s", error->message);
      return;
    }
  g_hash_table_remove_all (entry->pending_acks);
  entry->pending_ack_all = FALSE;
  popbell_account_state_free (entry->state);
  entry->state = g_steal_pointer (&state);
}

void
popbell_engine_mark_seen (PopbellEngine *self, const gchar *account_name, const gchar *uid)
{
  /* Copies: the caller's strings may be freed by a ::status-changed
   * handler (a list row showing this message, say). */
  g_autofree gchar *name = g_strdup (account_name);
  g_autofree gchar *uid_copy = g_strdup (uid);
  Entry *entry;
  gboolean changed;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (uid != NULL);

  entry = lookup_entry (self, name);
  if (entry == NULL)
    return;
  changed = popbell_account_state_remove_unseen (entry->state, uid_copy);
  g_hash_table_add (entry->pending_acks, g_steal_pointer (&uid_copy));
  entry_flush_acks (entry);
  if (changed)
    emit_status_changed (entry);
}

void
popbell_engine_mark_all_seen (PopbellEngine *self)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      if (entry->state->unseen->len == 0 && !entry->running)
        continue;
      g_ptr_array_set_size (entry->state->unseen, 0);
      entry->pending_ack_all = TRUE;
      entry_flush_acks (entry);
      g_ptr_array_add (changed, g_strdup (entry->name));
    }
  emit_status_changed_names (self, changed);
}

/* --- operations that need the account's session (preview, delete) ------------- */

/* A queued operation: started with the session free; must call
 * entry_op_finished() when done. */
typedef void (*OpStart) (GTask *task, Entry *entry);

typedef struct {
  gchar          *name;
  OpStart         start;
  gchar          *uid;
  gboolean        full;
  gboolean        complete;    /* the fetched bytes are the whole message */
  gsize           max_size;
  PopbellSession *session;
  guint           index;
  guint64         size;
  gboolean        deleted;
  GBytes         *raw;
  GError         *error;
} OpData;

static void
op_data_free (OpData *op)
{
  g_free (op->name);
  g_free (op->uid);
  g_clear_object (&op->session);
  g_clear_pointer (&op->raw, g_bytes_unref);
  g_clear_error (&op->error);
  g_free (op);
}

static GCancellable *op_cancellable (GTask *task);

static void
entry_start_waiting (Entry *entry)
{
  GTask *task;
  OpData *op;

  if (entry->running != NULL)
    return;
  task = g_queue_pop_head (&entry->waiting);
  if (task == NULL)
    return;
  op = g_task_get_task_data (task);
  entry->running = g_object_ref (op_cancellable (task));
  op->start (task, entry);
}

/* The operation is over (its task returned): the session is free again. */
static void
op_release (PopbellEngine *self, const gchar *name)
{
  Entry *entry = lookup_entry (self, name);

  if (entry == NULL)
    return;
  g_clear_object (&entry->running);
  if (entry->check_again)
    {
      entry->check_again = FALSE;
      entry_run_check (entry);
    }
  entry_start_waiting (entry);
}

static void
op_enqueue (PopbellEngine *self, GTask *task, const gchar *account_name, OpStart start)
{
  Entry *entry = lookup_entry (self, account_name);
  OpData *op = g_task_get_task_data (task);

  if (entry == NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("There is no account “%s”."), account_name);
      g_object_unref (task);
      return;
    }
  if (g_task_get_cancellable (task) == NULL)
    {
      /* entry->running needs a cancellable to stand for the session. */
      g_autoptr(GCancellable) own = g_cancellable_new ();
      g_object_set_data_full (G_OBJECT (task), "popbell-op-cancellable",
                              g_object_ref (own), g_object_unref);
    }
  op->start = start;
  g_queue_push_tail (&entry->waiting, task);
  entry_start_waiting (entry);
}

static GCancellable *
op_cancellable (GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  return cancellable != NULL ? cancellable
                             : g_object_get_data (G_OBJECT (task), "popbell-op-cancellable");
}

static void
op_finish (GTask *task)
{
  PopbellEngine *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autofree gchar *name = g_strdup (op->name);

  if (op->error != NULL)
    g_task_return_error (task, popbell_error_from_pop3 (op->error, name));
  else if (op->raw != NULL)
    g_task_return_pointer (task,
                           popbell_message_new_from_bytes (op->raw, op->uid != NULL ? op->uid : "",
                                                           op->size, op->complete),
                           (GDestroyNotify) popbell_message_unref);
  else
    g_task_return_boolean (task, TRUE);
  g_object_ref (self);
  g_object_unref (task);
  op_release (self, name);
  g_object_unref (self);
}

static void
op_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  PopbellEngine *self = g_task_get_source_object (task);
  Entry *entry = lookup_entry (self, op->name);
  g_autoptr(GError) error = NULL;

  if (!popbell_session_close_finish (op->session, result, &error))
    g_debug ("%s", error->message);
  if (entry != NULL && popbell_session_get_state (op->session) != NULL)
    {
      popbell_account_state_free (entry->state);
      entry->state = popbell_account_state_copy (popbell_session_get_state (op->session));
      apply_pending_acks (entry, entry->state);
      emit_status_changed (entry);
    }
  op_finish (task);
}

static void
op_close (GTask *task, gboolean quit)
{
  OpData *op = g_task_get_task_data (task);

  popbell_session_close_async (op->session, quit, NULL, op_closed, task);
}

static void
op_fail (GTask *task, GError *error)
{
  OpData *op = g_task_get_task_data (task);

  if (op->error == NULL)
    op->error = error;
  else
    g_error_free (error);
  op_close (task, FALSE);
}

/* Finding a message by UID: the unseen list's index is a good guess
 * ("UIDL n" confirms it); otherwise the full listing. */
typedef void (*OpLocated) (GTask *task);

static void
locate_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  g_autoptr(GPtrArray) listing = NULL;
  GError *error = NULL;
  OpLocated next = g_object_get_data (G_OBJECT (task), "popbell-located");

  listing = popbell_pop3_client_uidl_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (listing == NULL)
    { op_fail (task, error); return; }
  for (guint i = 0; i < listing->len; i++)
    {
      PopbellPop3ListEntry *e = listing->pdata[i];

      if (g_strcmp0 (e->uid, op->uid) == 0)
        {
          op->index = e->index;
          { next (task); return; }
        }
    }
  op_fail (task, g_error_new (POPBELL_ERROR, POPBELL_ERROR_SERVER,
                              _("The message is no longer on the server of account “%s”."),
                              op->name));
}

static void
locate_guessed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;
  GError *error = NULL;
  OpLocated next = g_object_get_data (G_OBJECT (task), "popbell-located");

  entry = popbell_pop3_client_uidl_one_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (entry != NULL && g_strcmp0 (entry->uid, op->uid) == 0)
    { next (task); return; }
  if (error != NULL && !g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED))
    { op_fail (task, error); return; }
  g_clear_error (&error);
  popbell_pop3_client_uidl_async (POPBELL_POP3_CLIENT (source), op_cancellable (task),
                                  locate_listed, task);
}

static void
op_locate (GTask *task, Entry *entry, OpLocated next)
{
  OpData *op = g_task_get_task_data (task);
  PopbellPop3Client *client = popbell_session_get_client (op->session);
  PopbellUnseenEntry *hint = popbell_account_state_find_unseen (entry->state, op->uid);

  g_object_set_data (G_OBJECT (task), "popbell-located", next);
  if (hint != NULL && hint->index > 0)
    {
      op->index = hint->index;
      popbell_pop3_client_uidl_one_async (client, hint->index, op_cancellable (task),
                                          locate_guessed, task);
    }
  else
    popbell_pop3_client_uidl_async (client, op_cancellable (task), locate_listed, task);
}

/* fetch */

/* TRUE when the answer to "TOP n @lines" is the whole message: RFC 1939 §7
 * sends at most @lines body lines, so a body with fewer lines (or no body
 * at all) was not cut. Exactly @lines may have been cut: not whole. */
static gboolean
top_is_whole_message (GBytes *raw, guint lines)
{
  gsize len;
  const gchar *data = g_bytes_get_data (raw, &len);
  const gchar *end = data + len;
  const gchar *p = data;
  gboolean in_body = FALSE;
  guint body_lines = 0;

  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', end - p);
      const gchar *line_end = nl != NULL ? nl : end;
      gsize line_len = line_end - p;

      if (line_len > 0 && p[line_len - 1] == '\r')
        line_len--;
      if (in_body)
        body_lines++;
      else if (line_len == 0)
        in_body = TRUE;   /* the empty line between header and body */
      if (body_lines >= lines)
        return FALSE;
      p = nl != NULL ? nl + 1 : end;
    }
  return TRUE;
}

static void
fetch_got (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  GError *error = NULL;

  op->raw = op->full ? popbell_pop3_client_retr_finish (POPBELL_POP3_CLIENT (source), result, &error)
                     : popbell_pop3_client_top_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (op->raw == NULL)
    { op_fail (task, error); return; }
  op->complete = op->full || top_is_whole_message (op->raw, PREVIEW_TOP_LINES);
  op_close (task, TRUE);
}

static void
fetch_sized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;
  GError *error = NULL;

  entry = popbell_pop3_client_list_one_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (entry == NULL)
    { op_fail (task, error); return; }
  op->size = entry->size;
  if (op->full)
    popbell_pop3_client_retr_async (POPBELL_POP3_CLIENT (source), op->index, op->max_size,
                                    op_cancellable (task), fetch_got, task);
  else
    popbell_pop3_client_top_async (POPBELL_POP3_CLIENT (source), op->index, PREVIEW_TOP_LINES,
                                   op_cancellable (task), fetch_got, task);
}

static void
fetch_located (GTask *task)
{
  OpData *op = g_task_get_task_data (task);

  popbell_pop3_client_list_one_async (popbell_session_get_client (op->session), op->index,
                                      op_cancellable (task), fetch_sized, task);
}

static void
fetch_newest_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;

  entry = popbell_pop3_client_uidl_one_finish (POPBELL_POP3_CLIENT (source), result, NULL);
  op->uid = g_strdup (entry != NULL ? entry->uid : "");
}

static void
fetch_stat (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  guint64 size;
  GError *error = NULL;

  if (!popbell_pop3_client_stat_finish (POPBELL_POP3_CLIENT (source), result, &op->index,
                                        &size, &error))
    { op_fail (task, error); return; }
  if (op->index == 0)
    { op_fail (task, g_error_new (POPBELL_ERROR, POPBELL_ERROR_SERVER,
                                       _("There are no messages on the server of account “%s”."),
                                       op->name)); return; }
  popbell_pop3_client_uidl_one_async (POPBELL_POP3_CLIENT (source), op->index,
                                      op_cancellable (task), fetch_newest_uid, task);
  fetch_located (task);
}

static void
op_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  PopbellEngine *self = g_task_get_source_object (task);
  Entry *entry = lookup_entry (self, op->name);
  PopbellPop3Client *client;
  GError *error = NULL;
  OpLocated located = g_object_get_data (G_OBJECT (task), "popbell-after-open");

  if (!popbell_session_open_finish (op->session, result, &error))
    { op_fail (task, error); return; }
  if (entry == NULL)
    { op_fail (task, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Removed")); return; }

  client = popbell_session_get_client (op->session);
  if (popbell_pop3_client_get_expire (client) == 0 && located == fetch_located)
    { op_fail (task, g_error_new (POPBELL_ERROR, POPBELL_ERROR_SERVER,
                                       _("The server of account “%s” deletes messages once "
                                         "they are read (EXPIRE 0); open them in your mail client."),
                                       op->name)); return; }
  if (op->uid == NULL)
    popbell_pop3_client_stat_async (client, op_cancellable (task), fetch_stat, task);
  else
    op_locate (task, entry, located);
}

static void
op_open (GTask *task, Entry *entry, OpLocated after_open)
{
  OpData *op = g_task_get_task_data (task);

  g_object_set_data (G_OBJECT (task), "popbell-after-open", after_open);
  op->session = popbell_session_new (entry->engine->checker, entry->account,
                                     POPBELL_SESSION_FLAGS_NONE);
  popbell_session_open_async (op->session, op_cancellable (task), op_opened, task);
}

static void
fetch_start (GTask *task, Entry *entry)
{
  op_open (task, entry, fetch_located);
}

void
popbell_engine_fetch_message_async (PopbellEngine       *self,
                                    const gchar         *account_name,
                                    const gchar         *uid,
                                    gboolean             full,
                                    gsize                max_size,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task;
  OpData *op;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_fetch_message_async);
  op = g_new0 (OpData, 1);
  op->name = g_strdup (account_name);
  op->uid = g_strdup (uid);
  op->full = full;
  op->max_size = max_size > 0 ? max_size : POPBELL_POP3_MAX_TOP_SIZE;
  g_task_set_task_data (task, op, (GDestroyNotify) op_data_free);
  op_enqueue (self, task, op->name, fetch_start);
}

PopbellMessage *
popbell_engine_fetch_message_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* delete */

static void
delete_quit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  PopbellAccountState *state = popbell_session_get_state (op->session);
  GError *error = NULL;

  /* RFC 1939 §6: the deletion happens in the UPDATE state, i.e. only if
   * QUIT succeeds; anything else means "not deleted". */
  if (!popbell_pop3_client_quit_finish (POPBELL_POP3_CLIENT (source), result, &error))
    { op_fail (task, error); return; }

  popbell_account_state_remove_unseen (state, op->uid);
  g_hash_table_remove (state->seen, op->uid);
  /* The figures no longer match: the next check lists (and recomputes). */
  state->last_count = 0;
  state->last_size = 0;
  op_close (task, FALSE);
}

static void
delete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!popbell_pop3_client_dele_finish (POPBELL_POP3_CLIENT (source), result, &error))
    { op_fail (task, error); return; }
  popbell_pop3_client_quit_async (POPBELL_POP3_CLIENT (source), op_cancellable (task),
                                  delete_quit, task);
}

static void
delete_located (GTask *task)
{
  OpData *op = g_task_get_task_data (task);

  popbell_pop3_client_dele_async (popbell_session_get_client (op->session), op->index,
                                  op_cancellable (task), delete_done, task);
}

static void
delete_start (GTask *task, Entry *entry)
{
  op_open (task, entry, delete_located);
}

void
popbell_engine_delete_message_async (PopbellEngine       *self,
                                     const gchar         *account_name,
                                     const gchar         *uid,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;
  OpData *op;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL);
  g_return_if_fail (uid != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_delete_message_async);
  op = g_new0 (OpData, 1);
  op->name = g_strdup (account_name);
  op->uid = g_strdup (uid);
  g_task_set_task_data (task, op, (GDestroyNotify) op_data_free);
  op_enqueue (self, task, op->name, delete_start);
}

gboolean
popbell_engine_delete_message_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- password ------------------------------------------------------------------- */

static void
password_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellEngine *self = g_task_get_source_object (task);
  const gchar *name = g_task_get_task_data (task);
  Entry *entry = lookup_entry (self, name);
  g_autoptr(GError) error = NULL;

  if (!popbell_credentials_store_finish (POPBELL_CREDENTIALS (source), result, &error))
    {
      g_task_return_error (task, popbell_credentials_error_to_popbell (error, name));
      return;
    }

  if (entry != NULL)
    {
      /* The hold lives in the file too; the next check (flag below) lifts
       * it there under the lock, and a check that still fails sets it
       * again. */
      entry->held = FALSE;
      entry->keyring_wait = FALSE;
      entry->failures = 0;
      entry->state->auth_hold = FALSE;
      g_clear_error (&entry->error);
      entry->next_flags |= POPBELL_SESSION_IGNORE_AUTH_HOLD;
      if (entry->running != NULL)
        entry->check_again = TRUE;
      else
        entry_plan (entry, 0);
      emit_status_changed (entry);
    }
  g_task_return_boolean (task, TRUE);
}

void
popbell_engine_set_password_async (PopbellEngine       *self,
                                   const gchar         *account_name,
                                   const gchar         *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree gchar *label = NULL;
  PopbellAccount *account;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_set_password_async);
  g_task_set_task_data (task, g_strdup (account_name), g_free);

  account = popbell_account_store_lookup (self->accounts, account_name);
  if (account == NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("There is no account “%s”."), account_name);
      return;
    }
  label = g_strdup_printf (_("Popbell: %s"), account_name);
  popbell_credentials_store_async (self->credentials, popbell_account_get_host (account),
                                   popbell_account_get_username (account), label, password,
                                   cancellable, password_stored, g_steal_pointer (&task));
}

gboolean
popbell_engine_set_password_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- forget password ------------------------------------------------------------ */

static void
password_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const gchar *name = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!popbell_credentials_clear_finish (POPBELL_CREDENTIALS (source), result, &error))
    g_task_return_error (task, popbell_credentials_error_to_popbell (error, name));
  else
    g_task_return_int (task, TRUE);
}

/* Another account (by name) that logs in as the same user on the same
 * host: the keyring holds one password for both (attributes host, user). */
static gboolean
password_shared (PopbellEngine *self, PopbellAccount *account)
{
  g_autoptr(GPtrArray) accounts = popbell_account_store_list (self->accounts);

  for (guint i = 0; i < accounts->len; i++)
    {
      PopbellAccount *other = accounts->pdata[i];

      if (g_strcmp0 (popbell_account_get_name (other), popbell_account_get_name (account)) != 0 &&
          g_strcmp0 (popbell_account_get_host (other), popbell_account_get_host (account)) == 0 &&
          g_strcmp0 (popbell_account_get_username (other),
                     popbell_account_get_username (account)) == 0)
        return TRUE;
    }
  return FALSE;
}

void
popbell_engine_forget_password_async (PopbellEngine       *self,
                                      PopbellAccount      *account,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (POPBELL_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_forget_password_async);
  g_task_set_task_data (task, g_strdup (popbell_account_get_name (account)), g_free);

  if (password_shared (self, account))
    {
      g_debug ("account %s removed; its password stays: another account uses it",
               popbell_account_get_name (account));
      g_task_return_int (task, FALSE);
      return;
    }
  popbell_credentials_clear_async (self->credentials, popbell_account_get_host (account),
                                   popbell_account_get_username (account), cancellable,
                                   password_cleared, g_steal_pointer (&task));
}

gboolean
popbell_engine_forget_password_finish (PopbellEngine  *self,
                                       GAsyncResult   *result,
                                       gboolean       *out_cleared,
                                       GError        **error)
{
  g_autoptr(GError) local = NULL;
  gssize cleared;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  cleared = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (out_cleared != NULL)
    *out_cleared = cleared != 0;
  return TRUE;
}

/* --- test connection ------------------------------------------------------------- */

typedef struct {
  PopbellAccount    *account;
  PopbellPop3Client *client;
  gchar             *password;
} TestData;

static void
test_data_free (TestData *data)
{
  g_clear_object (&data->account);
  if (data->client != NULL)
    popbell_pop3_client_close (data->client);
  g_clear_object (&data->client);
  popbell_credentials_free_password (data->password);
  g_free (data);
}

static void
test_fail (GTask *task, GError *error)
{
  TestData *data = g_task_get_task_data (task);

  g_task_return_error (task, popbell_error_from_pop3 (error, popbell_account_get_name (data->account)));
  g_error_free (error);
  g_object_unref (task);
}

static void
test_quit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;

  popbell_pop3_client_quit_finish (POPBELL_POP3_CLIENT (source), result, NULL);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
test_stat (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  guint count;
  guint64 size;

  if (!popbell_pop3_client_stat_finish (POPBELL_POP3_CLIENT (source), result, &count, &size, &error))
    { test_fail (task, error); return; }
  popbell_pop3_client_quit_async (POPBELL_POP3_CLIENT (source), g_task_get_cancellable (task),
                                  test_quit, task);
}

static void
test_login (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  TestData *data = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_pointer (&data->password, popbell_credentials_free_password);
  if (!popbell_pop3_client_login_finish (POPBELL_POP3_CLIENT (source), result, &error))
    { test_fail (task, error); return; }
  popbell_pop3_client_stat_async (POPBELL_POP3_CLIENT (source), g_task_get_cancellable (task),
                                  test_stat, task);
}

static void
test_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  TestData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!popbell_pop3_client_connect_finish (POPBELL_POP3_CLIENT (source), result, &error))
    { test_fail (task, error); return; }
  popbell_pop3_client_login_async (data->client, popbell_account_get_username (data->account),
                                   data->password, popbell_account_get_auth (data->account),
                                   g_task_get_cancellable (task), test_login, task);
}

static void
test_connect (GTask *task)
{
  TestData *data = g_task_get_task_data (task);

  data->client = popbell_account_create_client (data->account);
  popbell_pop3_client_connect_async (data->client, g_task_get_cancellable (task),
                                     test_connected, task);
}

static void
test_password (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  TestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->password = popbell_credentials_lookup_finish (POPBELL_CREDENTIALS (source), result, &error);
  if (data->password == NULL)
    {
      if (error == NULL)
        g_set_error (&error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND,
                     "no password");
      g_task_return_error (task, popbell_credentials_error_to_popbell (
                                   error, popbell_account_get_name (data->account)));
      g_object_unref (task);
      return;
    }
  test_connect (task);
}

void
popbell_engine_test_account_async (PopbellEngine       *self,
                                   PopbellAccount      *account,
                                   const gchar         *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  TestData *data;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (POPBELL_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_test_account_async);
  data = g_new0 (TestData, 1);
  data->account = g_object_ref (account);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) test_data_free);

  if (!popbell_account_validate (account, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (password != NULL)
    test_connect (task);
  else
    popbell_credentials_lookup_async (self->credentials, popbell_account_get_host (account),
                                      popbell_account_get_username (account), cancellable,
                                      test_password, task);
}

gboolean
popbell_engine_test_account_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
