/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-account-runner.h"

/* Retry of a save of the user's marks that found the account locked by
 * another process. */
#define MARKS_RETRY_MS 1000

struct _PopbellAccountRunner
{
  GObject parent_instance;

  PopbellEngine       *engine;        /* (unowned) (nullable) NULL once detached */
  PopbellStateStore   *store;         /* (owned) */
  GMainContext        *context;       /* (owned) where the runner's timers run */
  gchar               *name;          /* (owned) */
  PopbellAccount      *account;       /* (owned) current settings snapshot */
  gchar               *digest;        /* (owned) settings digest of @account */
  PopbellAccountState *state;         /* (owned) authoritative in this process */
  gboolean             unsaved;       /* the last save failed: @state is newer than the file */
  GError              *save_error;    /* (owned) (nullable) the last failed save */
  gboolean             removed;       /* detached because the account went away */

  GCancellable        *session;       /* (owned) (nullable) non-NULL ⇔ a session is running */
  GCancellable        *chained_to;    /* (owned) (nullable) the caller's, for the session */
  gulong               chain_id;
  GQueue               ops;           /* (element-type GTask) (owned) waiting for the session */
  gboolean             check_again;   /* a check was asked for while busy */
  PopbellSessionFlags  next_flags;    /* flags of the next check */

  gboolean             held;          /* stopped until the user acts */
  gboolean             keyring_wait;  /* waiting for ::unlocked */
  gboolean             offline_wait;  /* paused by the network monitor */

  GError              *error;         /* (owned) (nullable) last failure */
  gchar               *certificate_sha256; /* (owned) (nullable) of a rejected certificate */
  guint                transient_failures; /* consecutive, for the backoff */
  guint                failures_in_row;    /* consecutive failures of any kind */
  gint64               failing_since;      /* first failure of the streak, 0 none */
  gboolean             problem;
  guint                problem_episode;

  GHashTable          *seen_marks;    /* (owned) UIDs marked seen, not yet saved */
  GHashTable          *announced_marks; /* (owned) UIDs marked announced, not yet saved */
  GSource             *marks_retry;   /* (owned) (nullable) */
};

G_DEFINE_FINAL_TYPE (PopbellAccountRunner, popbell_account_runner, G_TYPE_OBJECT)

static void
fail_queued_ops (PopbellAccountRunner *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->ops)) != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The account was removed");
      g_object_unref (task);
    }
}

static void
clear_marks_retry (PopbellAccountRunner *self)
{
  if (self->marks_retry != NULL)
    {
      g_source_destroy (self->marks_retry);
      g_clear_pointer (&self->marks_retry, g_source_unref);
    }
}

static void
unchain (PopbellAccountRunner *self)
{
  if (self->chained_to != NULL)
    g_cancellable_disconnect (self->chained_to, self->chain_id);
  self->chain_id = 0;
  g_clear_object (&self->chained_to);
}

static void
popbell_account_runner_dispose (GObject *object)
{
  PopbellAccountRunner *self = POPBELL_ACCOUNT_RUNNER (object);

  fail_queued_ops (self);
  clear_marks_retry (self);
  unchain (self);
  G_OBJECT_CLASS (popbell_account_runner_parent_class)->dispose (object);
}

static void
popbell_account_runner_finalize (GObject *object)
{
  PopbellAccountRunner *self = POPBELL_ACCOUNT_RUNNER (object);

  g_clear_object (&self->session);
  g_clear_object (&self->store);
  g_main_context_unref (self->context);
  g_free (self->name);
  g_clear_object (&self->account);
  g_free (self->digest);
  g_clear_pointer (&self->state, popbell_account_state_free);
  g_clear_error (&self->save_error);
  g_clear_error (&self->error);
  g_free (self->certificate_sha256);
  g_hash_table_unref (self->seen_marks);
  g_hash_table_unref (self->announced_marks);
  G_OBJECT_CLASS (popbell_account_runner_parent_class)->finalize (object);
}

static void
popbell_account_runner_class_init (PopbellAccountRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_account_runner_dispose;
  object_class->finalize = popbell_account_runner_finalize;
}

static void
popbell_account_runner_init (PopbellAccountRunner *self)
{
  g_queue_init (&self->ops);
  self->seen_marks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->announced_marks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

PopbellAccountRunner *
popbell_account_runner_new (PopbellEngine     *engine,
                            PopbellStateStore *store,
                            PopbellAccount    *account)
{
  PopbellAccountRunner *self;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (POPBELL_IS_ENGINE (engine), NULL);
  g_return_val_if_fail (POPBELL_IS_STATE_STORE (store), NULL);
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), NULL);

  self = g_object_new (POPBELL_TYPE_ACCOUNT_RUNNER, NULL);
  self->engine = engine;
  self->store = g_object_ref (store);
  self->context = g_main_context_ref_thread_default ();
  self->name = g_strdup (popbell_account_get_name (account));
  self->account = g_object_ref (account);
  self->digest = popbell_account_dup_settings_digest (account);

  /* Without the lock: saves are atomic renames, so this sees a whole file;
   * sessions re-read under the lock anyway. */
  self->state = popbell_state_store_load (store, self->name, NULL, &error);
  if (self->state == NULL)
    {
      g_debug ("%s", error->message);
      self->state = popbell_account_state_new (self->name);
    }
  /* An auth hold of the same settings survives a restart. */
  self->held = self->state->auth_hold &&
               g_strcmp0 (self->state->auth_hold_digest, self->digest) == 0;
  return self;
}

void
popbell_account_runner_detach (PopbellAccountRunner *self, gboolean removed)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));

  self->engine = NULL;
  self->removed = removed;
  clear_marks_retry (self);
  fail_queued_ops (self);
  if (self->session != NULL)
    g_cancellable_cancel (self->session);   /* end_session() deletes the files */
  else if (removed)
    popbell_state_store_remove (self->store, self->name);
}

PopbellEngine *
popbell_account_runner_get_engine (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->engine;
}

const gchar *
popbell_account_runner_get_name (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->name;
}

PopbellAccount *
popbell_account_runner_get_account (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->account;
}

gboolean
popbell_account_runner_set_account (PopbellAccountRunner *self, PopbellAccount *account)
{
  g_autofree gchar *digest = NULL;
  gboolean login_changed;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);

  digest = popbell_account_dup_settings_digest (account);
  login_changed = g_strcmp0 (digest, self->digest) != 0;
  g_set_object (&self->account, account);
  g_free (self->digest);
  self->digest = g_steal_pointer (&digest);
  if (login_changed)
    {
      self->held = FALSE;
      self->keyring_wait = FALSE;
      self->transient_failures = 0;
      self->failures_in_row = 0;
      self->failing_since = 0;
      self->problem = FALSE;
      g_clear_error (&self->error);
      g_clear_pointer (&self->certificate_sha256, g_free);
    }
  return login_changed;
}

/* --- state and saving --------------------------------------------------------- */

PopbellAccountState *
popbell_account_runner_get_state (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->state;
}

static void
apply_marks (PopbellAccountRunner *self, PopbellAccountState *state)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->seen_marks);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    popbell_account_state_remove_unseen (state, key);
  if (g_hash_table_size (self->announced_marks) == 0)
    return;
  for (guint i = 0; i < state->unseen->len; i++)
    {
      PopbellUnseenEntry *entry = state->unseen->pdata[i];

      if (g_hash_table_contains (self->announced_marks, entry->uid))
        entry->announced = TRUE;
    }
}

void
popbell_account_runner_take_state (PopbellAccountRunner *self, PopbellAccountState *state)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  g_return_if_fail (state != NULL);

  popbell_account_state_free (self->state);
  self->state = state;
  apply_marks (self, self->state);
}

PopbellAccountState *
popbell_account_runner_get_unsaved_state (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->unsaved ? self->state : NULL;
}

void
popbell_account_runner_note_save (PopbellAccountRunner *self, const GError *error)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));

  self->unsaved = error != NULL;
  if (error == NULL)
    {
      g_clear_error (&self->save_error);
      return;
    }
  if (self->save_error == NULL)
    g_debug ("account %s: the state could not be saved; keeping it in memory: %s",
             self->name, error->message);
  g_clear_error (&self->save_error);
  self->save_error = g_error_copy (error);
}

const GError *
popbell_account_runner_get_save_error (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->save_error;
}

/* --- the session ---------------------------------------------------------------- */

gboolean
popbell_account_runner_is_busy (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  return self->session != NULL;
}

static void
chained_cancelled (GCancellable *caller, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

GCancellable *
popbell_account_runner_begin_session (PopbellAccountRunner *self, GCancellable *chain_to)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  g_return_val_if_fail (self->session == NULL, NULL);

  self->session = g_cancellable_new ();
  if (chain_to != NULL)
    {
      /* The caller's cancellable cancels ours, never the other way round
       * (STYLE §10): removing the account must not cancel what the caller
       * may still use. */
      self->chained_to = g_object_ref (chain_to);
      self->chain_id = g_cancellable_connect (chain_to, G_CALLBACK (chained_cancelled),
                                              g_object_ref (self->session), g_object_unref);
    }
  return self->session;
}

gboolean
popbell_account_runner_owns_session (PopbellAccountRunner *self, GCancellable *session)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  return session != NULL && self->session == session;
}

void
popbell_account_runner_end_session (PopbellAccountRunner *self, GCancellable *session)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));

  if (!popbell_account_runner_owns_session (self, session))
    return;
  unchain (self);
  g_clear_object (&self->session);
  if (self->engine == NULL)
    {
      /* The cancelled session has saved what it had; a removed account's
       * files go only now, so nothing writes them back. */
      if (self->removed)
        popbell_state_store_remove (self->store, self->name);
      return;
    }
  popbell_account_runner_flush_marks (self);
}

void
popbell_account_runner_cancel_session (PopbellAccountRunner *self)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  if (self->session != NULL)
    g_cancellable_cancel (self->session);
}

void
popbell_account_runner_push_op (PopbellAccountRunner *self, GTask *task)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  g_queue_push_tail (&self->ops, task);
}

GTask *
popbell_account_runner_pop_op (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return g_queue_pop_head (&self->ops);
}

void
popbell_account_runner_request_check (PopbellAccountRunner *self, PopbellSessionFlags flags)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  self->check_again = TRUE;
  self->next_flags |= flags;
}

gboolean
popbell_account_runner_take_check_again (PopbellAccountRunner *self)
{
  gboolean again;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  again = self->check_again;
  self->check_again = FALSE;
  return again;
}

void
popbell_account_runner_add_flags (PopbellAccountRunner *self, PopbellSessionFlags flags)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  self->next_flags |= flags;
}

PopbellSessionFlags
popbell_account_runner_take_flags (PopbellAccountRunner *self)
{
  PopbellSessionFlags flags;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), 0);
  flags = self->next_flags;
  self->next_flags = POPBELL_SESSION_FLAGS_NONE;
  return flags;
}

/* --- waits and the hold -------------------------------------------------------- */

gboolean
popbell_account_runner_is_held (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  return self->held;
}

void
popbell_account_runner_hold (PopbellAccountRunner *self)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  self->held = TRUE;
  self->check_again = FALSE;
}

void
popbell_account_runner_lift_hold (PopbellAccountRunner *self)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  self->held = FALSE;
  self->keyring_wait = FALSE;
  self->transient_failures = 0;
  /* The hold lives in the file too; the next check lifts it there under
   * the lock, and a check that still fails sets it again. */
  self->state->auth_hold = FALSE;
  self->next_flags |= POPBELL_SESSION_IGNORE_AUTH_HOLD;
}

gboolean
popbell_account_runner_get_keyring_wait (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  return self->keyring_wait;
}

void
popbell_account_runner_set_keyring_wait (PopbellAccountRunner *self, gboolean wait)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  self->keyring_wait = wait;
}

gboolean
popbell_account_runner_get_offline_wait (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  return self->offline_wait;
}

void
popbell_account_runner_set_offline_wait (PopbellAccountRunner *self, gboolean wait)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));
  self->offline_wait = wait;
}

/* --- outcomes and problems ----------------------------------------------------- */

guint
popbell_account_runner_note_result (PopbellAccountRunner *self,
                                    PopbellRunnerResult   kind,
                                    const GError         *error,
                                    const gchar          *certificate_sha256)
{
  return popbell_account_runner_note_result_at (self, kind, error, certificate_sha256,
                                                g_get_real_time ());
}

guint
popbell_account_runner_note_result_at (PopbellAccountRunner *self,
                                       PopbellRunnerResult   kind,
                                       const GError         *error,
                                       const gchar          *certificate_sha256,
                                       gint64                now)
{
  gboolean problem;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), 0);

  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  g_free (self->certificate_sha256);
  self->certificate_sha256 = g_strdup (certificate_sha256);

  switch (kind)
    {
    case POPBELL_RUNNER_RESULT_OK:
      self->held = FALSE;
      self->transient_failures = 0;
      self->failures_in_row = 0;
      self->failing_since = 0;
      self->problem = FALSE;
      return 0;
    case POPBELL_RUNNER_RESULT_QUIET:
      return self->transient_failures;
    case POPBELL_RUNNER_RESULT_TRANSIENT:
      self->transient_failures++;
      break;
    case POPBELL_RUNNER_RESULT_WAIT:
    case POPBELL_RUNNER_RESULT_NEEDS_USER:
      break;
    }

  /* SPEC §5 "Problems": every kind of failure counts, a first check that
   * never succeeded too; one episode until a check succeeds again. */
  self->failures_in_row++;
  if (self->failing_since == 0)
    self->failing_since = now;
  problem = kind == POPBELL_RUNNER_RESULT_NEEDS_USER ||
            self->failures_in_row >= POPBELL_PROBLEM_FAILURES ||
            now - self->failing_since >= POPBELL_PROBLEM_AFTER_US;
  if (problem && !self->problem)
    self->problem_episode++;
  self->problem = self->problem || problem;
  return self->transient_failures;
}

const GError *
popbell_account_runner_get_error (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->error;
}

const gchar *
popbell_account_runner_get_certificate_sha256 (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), NULL);
  return self->certificate_sha256;
}

gboolean
popbell_account_runner_has_problem (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  return self->problem;
}

guint
popbell_account_runner_get_problem_episode (PopbellAccountRunner *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), 0);
  return self->problem_episode;
}

/* --- the user's marks ------------------------------------------------------------ */

gboolean
popbell_account_runner_mark_seen (PopbellAccountRunner *self, const gchar *uid)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);
  g_return_val_if_fail (uid != NULL, FALSE);

  g_hash_table_add (self->seen_marks, g_strdup (uid));
  return popbell_account_state_remove_unseen (self->state, uid);
}

gboolean
popbell_account_runner_mark_all_seen (PopbellAccountRunner *self)
{
  GPtrArray *unseen;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);

  /* What the user saw, by UID: a check running now may bring messages
   * nobody has seen yet, and they must stay unseen (and be announced). */
  unseen = self->state->unseen;
  for (guint i = 0; i < unseen->len; i++)
    g_hash_table_add (self->seen_marks,
                      g_strdup (((PopbellUnseenEntry *) unseen->pdata[i])->uid));
  if (unseen->len == 0)
    return FALSE;
  g_ptr_array_set_size (unseen, 0);
  return TRUE;
}

gboolean
popbell_account_runner_mark_announced (PopbellAccountRunner *self, const gchar * const *uids)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self), FALSE);

  for (guint i = 0; i < self->state->unseen->len; i++)
    {
      PopbellUnseenEntry *entry = self->state->unseen->pdata[i];

      if (entry->announced)
        continue;
      if (uids != NULL && !g_strv_contains (uids, entry->uid))
        continue;
      entry->announced = TRUE;
      g_hash_table_add (self->announced_marks, g_strdup (entry->uid));
      changed = TRUE;
    }
  return changed;
}

static gboolean
marks_retry (gpointer user_data)
{
  PopbellAccountRunner *self = user_data;

  g_clear_pointer (&self->marks_retry, g_source_unref);
  popbell_account_runner_flush_marks (self);
  return G_SOURCE_REMOVE;
}

/* The state to save the marks on: the file's (another process may have
 * checked meanwhile), unless our last save failed and nobody logged in
 * since the file was written — then ours is the newer one. */
static PopbellAccountState *
marks_base (PopbellAccountRunner *self, PopbellAccountState *file)
{
  if (self->unsaved && file->last_login <= self->state->last_login)
    {
      popbell_account_state_free (file);
      return popbell_account_state_copy (self->state);
    }
  return file;
}

void
popbell_account_runner_flush_marks (PopbellAccountRunner *self)
{
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (POPBELL_IS_ACCOUNT_RUNNER (self));

  if (g_hash_table_size (self->seen_marks) == 0 &&
      g_hash_table_size (self->announced_marks) == 0 && !self->unsaved)
    return;
  if (self->session != NULL || self->engine == NULL)
    return;   /* end_session() flushes */

  lock = popbell_state_store_try_lock (self->store, self->name, &error);
  if (lock == NULL)
    {
      if (self->marks_retry == NULL)
        {
          self->marks_retry = g_timeout_source_new (MARKS_RETRY_MS);
          g_source_set_callback (self->marks_retry, marks_retry, g_object_ref (self),
                                 g_object_unref);
          g_source_attach (self->marks_retry, self->context);
        }
      return;
    }
  state = popbell_state_store_load (self->store, self->name, NULL, &error);
  if (state == NULL)
    {
      g_debug ("%s", error->message);
      return;
    }
  state = marks_base (self, g_steal_pointer (&state));
  apply_marks (self, state);
  if (!popbell_state_store_save (self->store, state, &error))
    {
      /* Keep the marks pending: the next session (or flush) saves them. */
      popbell_account_runner_note_save (self, error);
      return;
    }
  popbell_account_runner_note_save (self, NULL);
  g_hash_table_remove_all (self->seen_marks);
  g_hash_table_remove_all (self->announced_marks);
  popbell_account_state_free (self->state);
  self->state = g_steal_pointer (&state);
}
