/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-account-status-private.h"
#include "popbell-engine-private.h"
#include "popbell-secret-credentials.h"

/* PopbellEngine: the object and its signals, the accounts (one
 * PopbellAccountRunner each, reconciled with the account store), status
 * queries and the user's marks (seen, announced). When checks run:
 * popbell-engine-schedule.c; sessions the user asks for:
 * popbell-engine-ops.c; passwords: popbell-engine-login.c. */

G_DEFINE_FINAL_TYPE (PopbellEngine, popbell_engine, G_TYPE_OBJECT)

enum {
  SIGNAL_ACCOUNT_CHECKED,
  SIGNAL_STATUS_CHANGED,
  SIGNAL_ACCOUNTS_CHANGED,
  SIGNAL_ANNOUNCE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* ------------------------------------------------------------------------ */

PopbellAccountRunner *
popbell_engine_lookup_runner (PopbellEngine *self, const gchar *name)
{
  return name != NULL && self->runners != NULL ? g_hash_table_lookup (self->runners, name) : NULL;
}

void
popbell_engine_emit_status_changed (PopbellAccountRunner *runner)
{
  PopbellEngine *self = popbell_account_runner_get_engine (runner);
  /* Ours: a handler may remove the account (and free its name). */
  g_autofree gchar *name = g_strdup (popbell_account_runner_get_name (runner));

  if (self != NULL)
    g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, name);
}

/* A hash table iterator dies if a handler adds or removes accounts: the
 * loops collect names, then emit for those that still exist. */
void
popbell_engine_emit_status_changed_names (PopbellEngine *self, GPtrArray *names)
{
  g_object_ref (self);
  for (guint i = 0; i < names->len; i++)
    if (popbell_engine_lookup_runner (self, names->pdata[i]) != NULL)
      g_signal_emit (self, signals[SIGNAL_STATUS_CHANGED], 0, names->pdata[i]);
  g_object_unref (self);
}

void
popbell_engine_emit_account_checked (PopbellEngine *self, PopbellCheckResult *result)
{
  g_signal_emit (self, signals[SIGNAL_ACCOUNT_CHECKED], 0, result);
}

/* ------------------------------------------------------------------------ */

static void
popbell_engine_dispose (GObject *object)
{
  PopbellEngine *self = POPBELL_ENGINE (object);

  popbell_engine_stop (self);
  if (self->runners != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      /* Callbacks still under way hold their runner; they find it
       * detached and touch nothing of ours. */
      g_hash_table_iter_init (&iter, self->runners);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        popbell_account_runner_detach (value, FALSE);
    }
  g_clear_pointer (&self->runners, g_hash_table_unref);
  g_clear_pointer (&self->order, g_ptr_array_unref);
  g_clear_pointer (&self->stop_waiters, g_ptr_array_unref);
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
  signals[SIGNAL_ANNOUNCE] =
    g_signal_new ("announce", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                  POPBELL_TYPE_CHECK_RESULT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
popbell_engine_init (PopbellEngine *self)
{
  self->runners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->order = g_ptr_array_new_with_free_func (g_free);
  self->stop_waiters = g_ptr_array_new_with_free_func (g_object_unref);
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
  /* The built-in OAuth 2.0 source's refresh tokens are a store of their own
   * (SPEC §3): its ::unlocked ends the keyring wait of those accounts. */
  g_signal_connect (popbell_token_source_cache_get_refresh_tokens (
                      popbell_checker_get_token_sources (self->checker)),
                    "unlocked", G_CALLBACK (popbell_engine_credentials_unlocked), self);
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

/* Brings the runners in line with the account store: new accounts get a
 * runner (and a check at once), removed ones lose it (and their state,
 * once no session can write it back), edited ones take the new settings;
 * a change of the login settings lifts a hold. */
static void
reconcile (PopbellEngine *self)
{
  g_autoptr(GPtrArray) accounts = popbell_account_store_list (self->accounts);
  g_autoptr(GHashTable) present = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) edited = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key, value;
  gboolean changed = FALSE;

  g_ptr_array_set_size (self->order, 0);
  for (guint i = 0; i < accounts->len; i++)
    {
      PopbellAccount *account = accounts->pdata[i];
      const gchar *name = popbell_account_get_name (account);
      PopbellAccountRunner *runner = popbell_engine_lookup_runner (self, name);

      g_hash_table_add (present, (gpointer) name);
      g_ptr_array_add (self->order, g_strdup (name));

      if (runner == NULL)
        {
          runner = popbell_account_runner_new (self, self->state_store, account);
          g_hash_table_insert (self->runners, g_strdup (name), runner);
          popbell_engine_runner_plan (runner, 0);
          changed = TRUE;
          continue;
        }
      if (popbell_account_runner_get_account (runner) != account)
        {
          PopbellAccount *old = popbell_account_runner_get_account (runner);
          gboolean timing_changed =
            popbell_account_get_interval (account) != popbell_account_get_interval (old) ||
            popbell_account_get_enabled (account) != popbell_account_get_enabled (old);
          gboolean login_changed = popbell_account_runner_set_account (runner, account);

          if (login_changed || timing_changed)
            popbell_engine_runner_plan (runner, SOON_US);
          g_ptr_array_add (edited, g_strdup (name));
          changed = TRUE;
        }
    }

  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_hash_table_contains (present, key))
        continue;
      popbell_scheduler_remove (self->scheduler, key);
      g_ptr_array_add (gone, g_object_ref (value));
      g_hash_table_iter_remove (&iter);
      changed = TRUE;
    }
  /* After the table no longer has them: detaching fails queued operations,
   * whose callbacks may look the account up. */
  for (guint i = 0; i < gone->len; i++)
    popbell_account_runner_detach (gone->pdata[i], TRUE);
  if (gone->len > 0)
    popbell_engine_session_ended (self);   /* a stop_async may wait for those no more */

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

static PopbellAccountStatus *
runner_status (PopbellEngine *self, PopbellAccountRunner *runner)
{
  const gchar *name = popbell_account_runner_get_name (runner);
  PopbellAccount *account = popbell_account_runner_get_account (runner);
  PopbellAccountState *state = popbell_account_runner_get_state (runner);
  const GError *error = popbell_account_runner_get_error (runner);
  gboolean held = popbell_account_runner_is_held (runner);
  PopbellNextCheckReason reason;
  gint64 next = popbell_scheduler_get_next (self->scheduler, name, &reason);
  guint interval = popbell_account_get_interval (account);
  gint64 last = state->last_success;
  gboolean stale;

  if (popbell_account_runner_is_busy (runner))
    reason = POPBELL_NEXT_CHECK_RUNNING;
  else if (!popbell_account_get_enabled (account))
    reason = POPBELL_NEXT_CHECK_DISABLED;
  else if (held)
    reason = POPBELL_NEXT_CHECK_HELD;

  stale = last > 0 ? popbell_engine_now_us () - last > 3 * (gint64) interval * G_USEC_PER_SEC
                   : error != NULL;

  return popbell_account_status_new (name, state->unseen->len, state->last_count, last, next,
                                     reason, state->login_delay, error, held && error != NULL,
                                     popbell_account_runner_get_certificate_sha256 (runner),
                                     stale, popbell_account_runner_has_problem (runner),
                                     popbell_account_runner_get_problem_episode (runner),
                                     popbell_account_runner_get_save_error (runner));
}

GPtrArray *
popbell_engine_list_status (PopbellEngine *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_account_status_unref);

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), list);
  for (guint i = 0; i < self->order->len; i++)
    {
      PopbellAccountRunner *runner = popbell_engine_lookup_runner (self, self->order->pdata[i]);

      if (runner != NULL)
        g_ptr_array_add (list, runner_status (self, runner));
    }
  return list;
}

PopbellAccountStatus *
popbell_engine_dup_status (PopbellEngine *self, const gchar *account_name)
{
  PopbellAccountRunner *runner;

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), NULL);
  runner = popbell_engine_lookup_runner (self, account_name);
  return runner != NULL ? runner_status (self, runner) : NULL;
}

guint
popbell_engine_get_unseen_total (PopbellEngine *self)
{
  GHashTableIter iter;
  gpointer value;
  guint total = 0;

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), 0);
  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    total += popbell_account_runner_get_state (value)->unseen->len;
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

static PopbellMailSummary *
summary_of (const gchar *account_name, PopbellUnseenEntry *u)
{
  g_autoptr(GDateTime) date = NULL;

  if (u->date != NULL)
    date = g_date_time_new_from_iso8601 (u->date, NULL);
  return popbell_mail_summary_new (account_name, u->uid, u->index, u->size, u->from,
                                   u->subject, date);
}

GPtrArray *
popbell_engine_list_unseen (PopbellEngine *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), list);
  for (guint i = 0; i < self->order->len; i++)
    {
      PopbellAccountRunner *runner = popbell_engine_lookup_runner (self, self->order->pdata[i]);
      PopbellAccountState *state = runner != NULL ? popbell_account_runner_get_state (runner) : NULL;

      for (guint j = 0; state != NULL && j < state->unseen->len; j++)
        {
          PopbellUnseenEntry *u = state->unseen->pdata[j];

          if (u->has_headers)
            g_ptr_array_add (list, summary_of (self->order->pdata[i], u));
        }
    }
  g_ptr_array_sort (list, compare_newest_first);
  return list;
}

/* --- the user's marks --------------------------------------------------------- */

void
popbell_engine_mark_seen (PopbellEngine *self, const gchar *account_name, const gchar *uid)
{
  PopbellAccountRunner *runner;
  g_autoptr(PopbellAccountRunner) held = NULL;
  gboolean changed;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (uid != NULL);

  runner = popbell_engine_lookup_runner (self, account_name);
  if (runner == NULL)
    return;
  held = g_object_ref (runner);
  /* Before the save and the signal: the caller's strings may be freed by
   * a ::status-changed handler (a list row showing this message). */
  changed = popbell_account_runner_mark_seen (held, uid);
  popbell_account_runner_flush_marks (held);
  if (changed)
    popbell_engine_emit_status_changed (held);
}

void
popbell_engine_mark_all_seen (PopbellEngine *self)
{
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_hash_table_iter_init (&iter, self->runners);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      if (!popbell_account_runner_mark_all_seen (value))
        continue;
      popbell_account_runner_flush_marks (value);
      g_ptr_array_add (changed, g_strdup (popbell_account_runner_get_name (value)));
    }
  popbell_engine_emit_status_changed_names (self, changed);
}

void
popbell_engine_mark_account_seen (PopbellEngine *self, const gchar *account_name)
{
  PopbellAccountRunner *runner;
  g_autoptr(PopbellAccountRunner) held = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL);

  runner = popbell_engine_lookup_runner (self, account_name);
  if (runner == NULL)
    return;
  held = g_object_ref (runner);
  if (!popbell_account_runner_mark_all_seen (held) && !popbell_account_runner_is_busy (held))
    return;
  popbell_account_runner_flush_marks (held);
  popbell_engine_emit_status_changed (held);
}

void
popbell_engine_mark_announced (PopbellEngine       *self,
                               const gchar         *account_name,
                               const gchar * const *uids)
{
  PopbellAccountRunner *runner;

  g_return_if_fail (POPBELL_IS_ENGINE (self));

  runner = popbell_engine_lookup_runner (self, account_name);
  if (runner != NULL && popbell_account_runner_mark_announced (runner, uids))
    popbell_account_runner_flush_marks (runner);
}

/* A result as if a check had just found the unannounced messages. */
static PopbellCheckResult *
unannounced_result (PopbellAccountRunner *runner)
{
  const gchar *name = popbell_account_runner_get_name (runner);
  PopbellAccountState *state = popbell_account_runner_get_state (runner);
  g_autoptr(GPtrArray) summaries =
    g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  guint n = 0;

  for (guint i = 0; i < state->unseen->len; i++)
    {
      PopbellUnseenEntry *u = state->unseen->pdata[i];

      if (u->announced)
        continue;
      n++;
      if (u->has_headers)
        g_ptr_array_add (summaries, summary_of (name, u));
    }
  if (n == 0)
    return NULL;
  return popbell_check_result_new_ok (name, FALSE, state->last_count, state->last_size, n,
                                      state->unseen->len, summaries, NULL, NULL);
}

GPtrArray *
popbell_engine_list_unannounced (PopbellEngine *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_check_result_unref);

  g_return_val_if_fail (POPBELL_IS_ENGINE (self), list);
  for (guint i = 0; i < self->order->len; i++)
    {
      PopbellAccountRunner *runner = popbell_engine_lookup_runner (self, self->order->pdata[i]);
      PopbellCheckResult *result = runner != NULL ? unannounced_result (runner) : NULL;

      if (result != NULL)
        g_ptr_array_add (list, result);
    }
  return list;
}

void
popbell_engine_emit_announce (PopbellEngine *self)
{
  g_autoptr(GPtrArray) results = popbell_engine_list_unannounced (self);

  g_object_ref (self);
  for (guint i = 0; i < results->len; i++)
    g_signal_emit (self, signals[SIGNAL_ANNOUNCE], 0, results->pdata[i]);
  g_object_unref (self);
}
