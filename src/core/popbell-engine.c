/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-account-status-private.h"
#include "popbell-engine-private.h"
#include "popbell-secret-credentials.h"

/* PopbellEngine: the object and its signals, the accounts (one Entry each,
 * reconciled with the account store), status queries and "mark as seen".
 * When checks run: popbell-engine-schedule.c; sessions the user asks for:
 * popbell-engine-ops.c; passwords: popbell-engine-login.c. */

/* Retry of a "mark as seen" that found the account busy. */
#define ACK_RETRY_MS 1000

G_DEFINE_FINAL_TYPE (PopbellEngine, popbell_engine, G_TYPE_OBJECT)

enum {
  SIGNAL_ACCOUNT_CHECKED,
  SIGNAL_STATUS_CHANGED,
  SIGNAL_ACCOUNTS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

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

Entry *
popbell_engine_lookup_entry (PopbellEngine *self, const gchar *name)
{
  return name != NULL ? g_hash_table_lookup (self->entries, name) : NULL;
}

/* Handlers run synchronously and may call back into the engine, even
 * remove the account: emit last, and touch no Entry afterwards without
 * looking it up again. */
void
popbell_engine_emit_status_changed (Entry *entry)
{
  g_signal_emit (entry->engine, signals[SIGNAL_STATUS_CHANGED], 0, entry->name);
}

/* For loops over the entries: collect the names (a hash table iterator
 * dies if a handler adds or removes accounts), then emit for those that
 * still exist. */
void
popbell_engine_emit_status_changed_names (PopbellEngine *self, GPtrArray *names)
{
  g_object_ref (self);
  for (guint i = 0; i < names->len; i++)
    if (self->entries != NULL && popbell_engine_lookup_entry (self, names->pdata[i]) != NULL)
      g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, names->pdata[i]);
  g_object_unref (self);
}

void
popbell_engine_emit_account_checked (PopbellEngine *self, PopbellCheckResult *result)
{
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_CHECKED], 0, result);
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

  g_signal_connect (self->scheduler, "due",
                    G_CALLBACK (popbell_engine_scheduler_due), self);
  g_signal_connect (self->credentials, "unlocked",
                    G_CALLBACK (popbell_engine_credentials_unlocked), self);
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
      Entry *entry = popbell_engine_lookup_entry (self, name);

      g_hash_table_add (present, (gpointer) name);
      g_ptr_array_add (self->order, g_strdup (name));

      if (entry == NULL)
        {
          entry = entry_new (self, account);
          g_hash_table_insert (self->entries, entry->name, entry);
          popbell_engine_entry_plan (entry, START_US);
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
            popbell_engine_entry_plan (entry, SOON_US);
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
  popbell_engine_emit_status_changed_names (self, edited);
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

  stale = last > 0 ? popbell_engine_now_us () - last > 3 * (gint64) interval * G_USEC_PER_SEC
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
      Entry *entry = popbell_engine_lookup_entry (self, self->order->pdata[i]);

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
  entry = popbell_engine_lookup_entry (self, account_name);
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
      Entry *entry = popbell_engine_lookup_entry (self, self->order->pdata[i]);

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

void
popbell_engine_apply_pending_acks (Entry *entry, PopbellAccountState *state)
{
  GHashTableIter iter;
  gpointer key;

  if (entry->pending_ack_all)
    g_ptr_array_set_size (state->unseen, 0);
  g_hash_table_iter_init (&iter, entry->pending_acks);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    popbell_account_state_remove_unseen (state, key);
}

static gboolean
ack_retry (gpointer user_data)
{
  Entry *entry = user_data;

  entry->ack_retry_id = 0;
  popbell_engine_entry_flush_acks (entry);
  return G_SOURCE_REMOVE;
}

/* Writes pending "seen" marks: under the lock, on the file's current state
 * (another process may have checked meanwhile). Busy: try again later. */
void
popbell_engine_entry_flush_acks (Entry *entry)
{
  PopbellEngine *self = entry->engine;
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;

  if (!entry->pending_ack_all && g_hash_table_size (entry->pending_acks) == 0)
    return;
  if (entry->running != NULL)
    return;   /* check_done() flushes (popbell-engine-schedule.c) */

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
  popbell_engine_apply_pending_acks (entry, state);
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

  entry = popbell_engine_lookup_entry (self, name);
  if (entry == NULL)
    return;
  changed = popbell_account_state_remove_unseen (entry->state, uid_copy);
  g_hash_table_add (entry->pending_acks, g_steal_pointer (&uid_copy));
  popbell_engine_entry_flush_acks (entry);
  if (changed)
    popbell_engine_emit_status_changed (entry);
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
      popbell_engine_entry_flush_acks (entry);
      g_ptr_array_add (changed, g_strdup (entry->name));
    }
  popbell_engine_emit_status_changed_names (self, changed);
}

void
popbell_engine_mark_account_seen (PopbellEngine *self, const gchar *account_name)
{
  g_autofree gchar *name = g_strdup (account_name);
  Entry *entry;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL);

  entry = popbell_engine_lookup_entry (self, name);
  if (entry == NULL || (entry->state->unseen->len == 0 && !entry->running))
    return;
  g_ptr_array_set_size (entry->state->unseen, 0);
  entry->pending_ack_all = TRUE;
  popbell_engine_entry_flush_acks (entry);
  popbell_engine_emit_status_changed (entry);
}
