/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n-lib.h>

#include "popbell-checker.h"
#include "popbell-error.h"
#include "popbell-session.h"

/* A whole session may take this long at most, whatever the per-wait
 * timeout: a server that trickles bytes must not hold the account lock
 * forever. */
#define SESSION_TIMEOUT_S 300
/* After "[LOGIN-DELAY]" without an advertised delay, wait at least this. */
#define MIN_LOGIN_DELAY_WAIT_S 60

struct _PopbellSession
{
  GObject parent_instance;

  PopbellChecker      *checker;     /* (owned) */
  PopbellAccount      *account;     /* (owned) */
  PopbellSessionFlags  flags;
  gchar               *password;    /* (owned) (nullable) wiped when freed; the
                                     * access token for auth=oauth2 */
  gboolean             have_password;
  gboolean             token_renewed; /* auth=oauth2: the one renewal is spent */

  PopbellStateLock    *lock;        /* (owned) (nullable) non-NULL ⇔ we hold the account */
  PopbellAccountState *state;       /* (owned) (nullable) loaded under the lock */
  PopbellPop3Client   *client;      /* (owned) (nullable) */

  GDateTime           *retry_after; /* (owned) (nullable) */
  gchar               *certificate_sha256;
  gboolean             keyring_unavailable;
  gboolean             contacted;

  /* open: the credentials and the connection, fetched at once */
  guint                open_pending;
  GError              *credentials_error; /* (owned) (nullable) */
  GError              *connect_error;     /* (owned) (nullable) */
  gboolean             recovered;

  PopbellAccountState *unsaved;     /* (owned) (nullable) the caller's newer state */
  gboolean             no_save;     /* a probe of another mailbox: save nothing */
  gboolean             has_slot;    /* counts towards POPBELL_SESSION_MAX_OPEN */

  PopbellSessionLoginFunc login_func; /* (nullable) see set_login_func() */
  gpointer             login_func_data;
};

G_DEFINE_FINAL_TYPE (PopbellSession, popbell_session, G_TYPE_OBJECT)

static gint64
now_us (void)
{
  return g_get_real_time ();
}

/* Rounded up to the second: "retry after" must never be too early. */
static GDateTime *
date_time_from_us (gint64 us)
{
  return g_date_time_new_from_unix_local ((us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

/* --- the process-wide session limit ------------------------------------------ */

/* SPEC §5 "Schedule": never more than POPBELL_SESSION_MAX_OPEN sessions at
 * once per process (a thousand accounts must not open a thousand
 * connections, issue 9). A session takes a slot before it locks its
 * account and gives it back when it ends; the others wait first come,
 * first served — and the engine runs one session per account at a time,
 * so that is fair between accounts too. Sessions run on one main context;
 * the lock only keeps the counters whole. */
typedef struct {
  GTask  *task;        /* (owned) the open that waits */
  gulong  cancel_id;
} SlotWaiter;

static GMutex slots_mutex;
static guint  slots_used;
/* (element-type SlotWaiter) what the user waits for (a preview, Test
 * connection) goes before the queued checks of a thousand accounts. */
static GQueue urgent_waiters = G_QUEUE_INIT;
static GQueue slot_waiters = G_QUEUE_INIT;

static void open_lock (GTask *task);

static gboolean
slot_try_take (void)
{
  gboolean ok;

  g_mutex_lock (&slots_mutex);
  ok = slots_used < POPBELL_SESSION_MAX_OPEN;
  if (ok)
    slots_used++;
  g_mutex_unlock (&slots_mutex);
  return ok;
}

static void
slot_waiter_free (SlotWaiter *waiter)
{
  GCancellable *cancellable = g_task_get_cancellable (waiter->task);

  if (cancellable != NULL && waiter->cancel_id != 0)
    g_cancellable_disconnect (cancellable, waiter->cancel_id);
  g_object_unref (waiter->task);
  g_free (waiter);
}

/* From an idle, on the waiting task's context: never inside the call that
 * freed the slot or cancelled the wait. */
static gboolean
slot_granted (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellSession *self = g_task_get_source_object (task);

  if (g_task_return_error_if_cancelled (task))
    {
      /* Pass the slot on. */
      self->has_slot = TRUE;
      popbell_session_release_slot (self);
      return G_SOURCE_REMOVE;
    }
  self->has_slot = TRUE;
  open_lock (g_steal_pointer (&task));
  return G_SOURCE_REMOVE;
}

static void
dispatch (GTask *task, GSourceFunc func)
{
  g_autoptr(GSource) idle = g_idle_source_new ();

  g_source_set_callback (idle, func, task, NULL);
  g_source_attach (idle, g_task_get_context (task));
}

static SlotWaiter *
slot_unqueue (GQueue *queue, GTask *task)
{
  for (GList *l = queue->head; l != NULL; l = l->next)
    {
      SlotWaiter *waiter = l->data;

      if (waiter->task == task)
        {
          g_queue_delete_link (queue, l);
          return waiter;
        }
    }
  return NULL;
}

static gboolean
slot_wait_cancelled (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SlotWaiter *waiter;

  g_mutex_lock (&slots_mutex);
  waiter = slot_unqueue (&urgent_waiters, task);
  if (waiter == NULL)
    waiter = slot_unqueue (&slot_waiters, task);
  g_mutex_unlock (&slots_mutex);
  if (waiter == NULL)
    return G_SOURCE_REMOVE;   /* granted meanwhile: slot_granted answers */
  slot_waiter_free (waiter);
  g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

static void
slot_cancelled (GCancellable *cancellable, gpointer user_data)
{
  dispatch (g_object_ref (G_TASK (user_data)), slot_wait_cancelled);
}

/* Takes a slot at once, or queues @task (transfer full) for the next. */
static void
slot_wait (GTask *task)
{
  PopbellSession *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  SlotWaiter *waiter;

  if (slot_try_take ())
    {
      self->has_slot = TRUE;
      open_lock (task);
      return;
    }
  g_debug ("account %s: %u sessions open, waiting for one to end",
           popbell_account_get_name (self->account), POPBELL_SESSION_MAX_OPEN);
  waiter = g_new0 (SlotWaiter, 1);
  waiter->task = task;
  g_mutex_lock (&slots_mutex);
  g_queue_push_tail (self->flags & POPBELL_SESSION_URGENT ? &urgent_waiters : &slot_waiters,
                     waiter);
  g_mutex_unlock (&slots_mutex);
  if (cancellable != NULL)
    waiter->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (slot_cancelled), task, NULL);
}

void
popbell_session_release_slot (PopbellSession *self)
{
  SlotWaiter *waiter;

  g_return_if_fail (POPBELL_IS_SESSION (self));
  if (!self->has_slot)
    return;
  self->has_slot = FALSE;

  g_mutex_lock (&slots_mutex);
  waiter = g_queue_pop_head (&urgent_waiters);
  if (waiter == NULL)
    waiter = g_queue_pop_head (&slot_waiters);
  if (waiter == NULL)
    slots_used--;
  g_mutex_unlock (&slots_mutex);
  if (waiter != NULL)
    {
      /* The slot goes straight to the next in line. */
      dispatch (g_object_ref (waiter->task), slot_granted);
      slot_waiter_free (waiter);
    }
}

guint
popbell_session_get_n_open (void)
{
  guint n;

  g_mutex_lock (&slots_mutex);
  n = slots_used;
  g_mutex_unlock (&slots_mutex);
  return n;
}

/* ------------------------------------------------------------------------------ */

static void
session_wipe_password (PopbellSession *self)
{
  g_clear_pointer (&self->password, popbell_credentials_free_password);
}

/* What the server advertised before login, for the next session to write
 * ahead on (issue 9). A probe proves nothing about the account as saved;
 * a session that never read a CAPA leaves the memory as it was. The list
 * comes in a stable order: unchanged, it changes nothing in the file. */
static void
session_learn_capabilities (PopbellSession *self)
{
  g_auto(GStrv) lines = NULL;
  g_autofree gchar *joined = NULL;

  if (self->client == NULL || self->state == NULL || (self->flags & POPBELL_SESSION_PROBE))
    return;
  lines = popbell_pop3_client_dup_capabilities (self->client);
  if (lines[0] == NULL)
    return;
  joined = g_strjoinv ("\n", lines);
  if (g_strcmp0 (joined, self->state->capabilities) != 0)
    {
      g_free (self->state->capabilities);
      self->state->capabilities = g_steal_pointer (&joined);
    }
}

/* Best effort for a session dropped without close: what the attempt
 * taught (login time, holds) must still reach the file. */
static void
session_release (PopbellSession *self)
{
  session_learn_capabilities (self);
  if (self->client != NULL)
    popbell_pop3_client_close (self->client);
  if (self->lock != NULL && self->state != NULL && !self->no_save)
    {
      g_autoptr(GError) error = NULL;

      if (!popbell_state_store_save (popbell_checker_get_store (self->checker), self->state, &error))
        g_debug ("%s", error->message);
    }
  g_clear_pointer (&self->lock, popbell_state_lock_release);
  popbell_session_release_slot (self);
}

static void
popbell_session_dispose (GObject *object)
{
  PopbellSession *self = POPBELL_SESSION (object);

  if (self->checker != NULL)
    session_release (self);
  g_clear_object (&self->client);
  g_clear_object (&self->checker);
  g_clear_object (&self->account);
  session_wipe_password (self);
  G_OBJECT_CLASS (popbell_session_parent_class)->dispose (object);
}

static void
popbell_session_finalize (GObject *object)
{
  PopbellSession *self = POPBELL_SESSION (object);

  g_clear_pointer (&self->state, popbell_account_state_free);
  g_clear_pointer (&self->unsaved, popbell_account_state_free);
  g_clear_pointer (&self->retry_after, g_date_time_unref);
  g_free (self->certificate_sha256);
  g_clear_error (&self->credentials_error);
  g_clear_error (&self->connect_error);
  G_OBJECT_CLASS (popbell_session_parent_class)->finalize (object);
}

static void
popbell_session_class_init (PopbellSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_session_dispose;
  object_class->finalize = popbell_session_finalize;
}

static void
popbell_session_init (PopbellSession *self)
{
}

PopbellSession *
popbell_session_new (PopbellChecker      *checker,
                     PopbellAccount      *account,
                     PopbellSessionFlags  flags)
{
  PopbellSession *self;

  g_return_val_if_fail (POPBELL_IS_CHECKER (checker), NULL);
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), NULL);

  self = g_object_new (POPBELL_TYPE_SESSION, NULL);
  self->checker = g_object_ref (checker);
  self->account = g_object_ref (account);
  self->flags = flags;
  return self;
}

void
popbell_session_set_password (PopbellSession *self, const gchar *password)
{
  g_return_if_fail (POPBELL_IS_SESSION (self));

  session_wipe_password (self);
  self->password = g_strdup (password);
  self->have_password = password != NULL;
}

void
popbell_session_set_login_func (PopbellSession          *self,
                                PopbellSessionLoginFunc  func,
                                gpointer                 user_data)
{
  g_return_if_fail (POPBELL_IS_SESSION (self));
  self->login_func = func;
  self->login_func_data = user_data;
}

void
popbell_session_set_unsaved_state (PopbellSession *self, const PopbellAccountState *state)
{
  g_return_if_fail (POPBELL_IS_SESSION (self));

  g_clear_pointer (&self->unsaved, popbell_account_state_free);
  self->unsaved = state != NULL ? popbell_account_state_copy (state) : NULL;
}

PopbellSessionFlags
popbell_session_get_flags (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), 0);
  return self->flags;
}

PopbellPop3Client *
popbell_session_get_client (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), NULL);
  return self->client;
}

PopbellAccountState *
popbell_session_get_state (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), NULL);
  return self->state;
}

PopbellAccount *
popbell_session_get_account (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), NULL);
  return self->account;
}

GDateTime *
popbell_session_get_retry_after (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), NULL);
  return self->retry_after;
}

gboolean
popbell_session_is_keyring_unavailable (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), FALSE);
  return self->keyring_unavailable;
}

const gchar *
popbell_session_get_certificate_sha256 (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), NULL);
  return self->certificate_sha256;
}

gboolean
popbell_session_get_contacted (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), FALSE);
  return self->contacted;
}

gboolean
popbell_session_get_recovered (PopbellSession *self)
{
  g_return_val_if_fail (POPBELL_IS_SESSION (self), FALSE);
  return self->recovered;
}

static const gchar *
account_name (PopbellSession *self)
{
  return popbell_account_get_name (self->account);
}

gchar *
popbell_session_dup_mailbox_id (PopbellAccount *account)
{
  return g_strdup_printf ("%s\n%s", popbell_account_get_host (account),
                          popbell_account_get_username (account));
}

static GError *
translate (PopbellSession *self, const GError *error)
{
  return popbell_error_from_pop3 (error, account_name (self));
}

/* --- open: lock, load, guards, password, connect, login --------------------- */

static void open_locked (GObject *source, GAsyncResult *result, gpointer user_data);
static void open_got_password (GObject *source, GAsyncResult *result, gpointer user_data);
static void open_start (GTask *task, gboolean renew);
static void open_get_token (GTask *task, gboolean renew);
static void open_connect (GTask *task);
static void open_connected (GObject *source, GAsyncResult *result, gpointer user_data);
static void open_login (GTask *task);
static void open_logged_in (GObject *source, GAsyncResult *result, gpointer user_data);

void
popbell_session_open_async (PopbellSession      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (POPBELL_IS_SESSION (self));
  g_return_if_fail (self->lock == NULL && self->client == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_session_open_async);
  slot_wait (g_steal_pointer (&task));
}

static void
open_lock (GTask *task)
{
  PopbellSession *self = g_task_get_source_object (task);

  popbell_state_store_lock_async (popbell_checker_get_store (self->checker), account_name (self),
                                  popbell_checker_get_lock_timeout (self->checker),
                                  g_task_get_cancellable (task), open_locked, task);
}

/* Refusals that need no connection: the server's limits and our holds.
 * Returns FALSE with @error set when the session must not go ahead. */
static gboolean
open_guards (PopbellSession *self, GError **error)
{
  PopbellAccountState *state = self->state;
  g_autofree gchar *digest = popbell_account_dup_settings_digest (self->account);
  gint64 now = now_us ();
  gint64 allowed = 0;

  /* TLS worked for this mailbox before: a session without it now would
   * expose at least the mail (and with APOP, a crackable hash). The user
   * must say so explicitly (SPEC §5 "never a silent downgrade"). */
  if (state->tls_worked &&
      popbell_account_get_security (self->account) == POPBELL_POP3_SECURITY_NONE &&
      !popbell_account_get_allow_insecure_auth (self->account))
    {
      g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_INSECURE,
                   _("Account “%s” used an encrypted connection before but is now set to "
                     "security=none; set security back to tls or starttls, or set "
                     "allow-insecure-auth=true if you really mean it."),
                   account_name (self));
      return FALSE;
    }

  /* A probe neither obeys nor changes the hold: it tries what the user
   * typed, which is how a hold gets lifted with confidence. */
  if (state->auth_hold && !(self->flags & POPBELL_SESSION_PROBE))
    {
      if (g_strcmp0 (state->auth_hold_digest, digest) != 0)
        {
          g_debug ("account %s: settings changed since the server rejected them; "
                   "lifting the authentication hold", account_name (self));
          state->auth_hold = FALSE;
          g_clear_pointer (&state->auth_hold_digest, g_free);
        }
      else if (!(self->flags & POPBELL_SESSION_IGNORE_AUTH_HOLD) &&
               popbell_account_get_auth (self->account) == POPBELL_POP3_AUTH_OAUTH2)
        {
          g_propagate_error (error, popbell_oauth2_rejected_error (self->account, TRUE));
          return FALSE;
        }
      else if (!(self->flags & POPBELL_SESSION_IGNORE_AUTH_HOLD))
        {
          g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                       _("The server rejected the password of account “%s”; Popbell will "
                         "not try again until you set it with “popbell --set-password %s” "
                         "or change the account."),
                       account_name (self), account_name (self));
          return FALSE;
        }
    }

  /* RFC 2449 §6.8: never log in more often than LOGIN-DELAY allows; also
   * honour a "[LOGIN-DELAY]" refusal (next_allowed). */
  if (state->login_delay > 0 && state->last_login > 0)
    allowed = state->last_login + (gint64) state->login_delay * G_USEC_PER_SEC;
  allowed = MAX (allowed, state->next_allowed);
  if (allowed > now)
    {
      g_autoptr(GDateTime) at = date_time_from_us (allowed);
      g_autofree gchar *when = g_date_time_format (at, "%X");

      g_clear_pointer (&self->retry_after, g_date_time_unref);
      self->retry_after = g_steal_pointer (&at);
      /* Name the advertised delay only when there is one: a server may
       * refuse with "[LOGIN-DELAY]" without ever advertising LOGIN-DELAY
       * (then login_delay is 0 and the wait is our own minimum). */
      if (state->login_delay > 0)
        g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_LOGIN_DELAY,
                     _("The server of account “%s” allows a login only every %u seconds; "
                       "the next check can log in at %s."),
                     account_name (self), state->login_delay, when);
      else
        g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_LOGIN_DELAY,
                     _("The server of account “%s” refused the last login as too soon "
                       "after the one before; the next check can log in at %s."),
                     account_name (self), when);
      return FALSE;
    }
  return TRUE;
}

static void
open_locked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *mailbox = NULL;

  self->lock = popbell_state_store_lock_finish (POPBELL_STATE_STORE (source), result, &error);
  if (self->lock == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
        g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_MAILBOX_LOCKED,
                                 _("Account “%s” is being checked by another Popbell "
                                   "process; try again in a moment."),
                                 account_name (self));
      else
        g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                                 _("Cannot use the state folder for account “%s”: %s"),
                                 account_name (self), error->message);
      return;
    }

  self->state = popbell_state_store_load (popbell_checker_get_store (self->checker), account_name (self),
                                          &self->recovered, &error);
  if (self->state == NULL)
    {
      g_clear_pointer (&self->lock, popbell_state_lock_release);
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("Cannot use the state folder for account “%s”: %s"),
                               account_name (self), error->message);
      return;
    }

  /* Another host or user is another mailbox: its first check is a baseline,
   * and nothing learnt about the old server applies. */
  mailbox = popbell_session_dup_mailbox_id (self->account);
  if (self->state->mailbox_id != NULL && g_strcmp0 (self->state->mailbox_id, mailbox) != 0)
    {
      g_autofree gchar *name = g_strdup (account_name (self));

      g_debug ("account %s now points at another mailbox; starting a new baseline", name);
      popbell_account_state_free (self->state);
      self->state = popbell_account_state_new (name);
      /* A probe of settings not saved yet must not wipe the baseline. */
      self->no_save = (self->flags & POPBELL_SESSION_PROBE) != 0;
    }
  else if (self->unsaved != NULL && self->unsaved->last_login >= self->state->last_login)
    {
      /* Our last save failed, and nobody logged in since the file was
       * written: the caller's state is the newer one (issue 7: a failed
       * save must not bring old news back). */
      popbell_account_state_free (self->state);
      self->state = popbell_account_state_copy (self->unsaved);
    }

  if (!open_guards (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  open_start (g_steal_pointer (&task), FALSE);
}

/* The credentials and the connection are fetched at once: the keyring's
 * (or the token endpoint's) answer comes while the server's greeting is on
 * its way, and a check waits for the slower of the two instead of their
 * sum (issue 9). The login starts once both are in. When the credentials
 * fail, that is the error (it says what to do) and the connection is
 * dropped unused; a connection is harmless without a login. */
static void
open_start (GTask *task, gboolean renew)
{
  PopbellSession *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_clear_error (&self->credentials_error);
  g_clear_error (&self->connect_error);
  self->open_pending = 1;
  if (!self->have_password)
    {
      self->open_pending++;
      if (popbell_account_get_auth (self->account) == POPBELL_POP3_AUTH_OAUTH2)
        open_get_token (g_object_ref (task), renew);
      else
        popbell_credentials_lookup_async (popbell_checker_get_credentials (self->checker),
                                          popbell_account_get_host (self->account),
                                          popbell_account_get_username (self->account),
                                          cancellable, open_got_password, g_object_ref (task));
    }
  open_connect (task);
}

/* One of the two is in; the last goes on. */
static void
open_join (GTask *task)
{
  g_autoptr(GTask) owned = task;
  PopbellSession *self = g_task_get_source_object (task);

  if (--self->open_pending > 0)
    return;
  if (self->credentials_error != NULL)
    {
      if (self->client != NULL)
        popbell_pop3_client_close (self->client);
      g_task_return_error (task, g_steal_pointer (&self->credentials_error));
      return;
    }
  if (self->connect_error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&self->connect_error));
      return;
    }
  open_login (g_steal_pointer (&owned));
}

/* The credentials failed (@error taken): kept for open_join(), worded for
 * the account (a token source's errors already are). A locked or absent
 * keyring, of passwords or of refresh tokens, is waited out (::unlocked)
 * rather than retried. */
static void
open_credentials_failed (PopbellSession *self, GError *error)
{
  self->keyring_unavailable =
    g_error_matches (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED) ||
    g_error_matches (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NO_SERVICE);
  if (error->domain == POPBELL_ERROR)
    self->credentials_error = error;
  else
    {
      self->credentials_error = popbell_credentials_error_to_popbell (error, account_name (self));
      g_error_free (error);
    }
}

static void
open_got_password (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PopbellSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  self->password = popbell_credentials_lookup_finish (POPBELL_CREDENTIALS (source), result, &error);
  if (self->password == NULL)
    {
      if (error == NULL)
        g_set_error (&error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND,
                     "no password");
      open_credentials_failed (self, g_steal_pointer (&error));
    }
  else
    self->have_password = TRUE;
  open_join (task);
}

/* auth=oauth2: the token instead of the keyring's password (SPEC §5
 * "Authentication"); @renew after the server rejected the last one. */
static void
open_got_token (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PopbellSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  self->password = popbell_token_source_get_token_finish (POPBELL_TOKEN_SOURCE (source), result,
                                                          &error);
  if (error != NULL)
    open_credentials_failed (self, g_steal_pointer (&error));
  open_join (task);
}

static void
open_get_token (GTask *task, gboolean renew)
{
  PopbellSession *self = g_task_get_source_object (task);
  PopbellTokenSourceCache *cache = popbell_checker_get_token_sources (self->checker);
  g_autoptr(PopbellTokenSource) source = NULL;

  source = popbell_token_source_cache_get (cache, self->account, &self->credentials_error);
  if (source == NULL)
    {
      open_join (task);
      return;
    }
  popbell_token_source_get_token_async (source, renew, g_task_get_cancellable (task),
                                        open_got_token, task);
}

static void
open_connect (GTask *task)
{
  PopbellSession *self = g_task_get_source_object (task);

  PopbellAccountState *state = self->state;
  PopbellPop3AuthMethod preferred;

  /* One stall is no proof (issue 7): the mark needs repeated evidence
   * (popbell-checker.c) and expires, so a fixed server (or a network that
   * merely stalled) gets pipelining back. A mark without a time comes from
   * a Popbell that set it on the first stall: expired too. */
  if (state->pipelining_broken &&
      now_us () - state->pipelining_broken_at > POPBELL_PIPELINING_MARK_EXPIRES_US)
    {
      g_debug ("account %s: trying pipelining again", account_name (self));
      state->pipelining_broken = FALSE;
      state->pipelining_broken_at = 0;
      state->pipelining_strikes = 0;
    }

  g_clear_object (&self->client);
  self->client = popbell_account_create_client (self->account);
  popbell_pop3_client_set_session_timeout (self->client, SESSION_TIMEOUT_S);
  /* SPEC §5 "Authentication": with auth=auto, the method that worked last
   * time goes first, so a check costs one login attempt (the client keeps
   * the rules about where each method is allowed). */
  if (state->auth_method != NULL &&
      popbell_account_auth_from_string (state->auth_method, &preferred))
    popbell_pop3_client_set_preferred_auth_method (self->client, preferred);
  if (state->pipelining_broken || (self->flags & POPBELL_SESSION_NO_PIPELINING))
    popbell_pop3_client_set_pipelining_enabled (self->client, FALSE);
  else if (state->capabilities != NULL && state->pipelining_strikes == 0 &&
           !(self->flags & POPBELL_SESSION_PROBE))
    {
      /* SPEC §5 "POP3": what the server said last time lets an unchanged
       * check go in one write after the greeting; this session's answers
       * overrule it (popbell-pop3-queue.c). Not while pipelining is under
       * suspicion (a strike), and not for a connection test, which must
       * show the server as it is. */
      g_auto(GStrv) remembered = g_strsplit (state->capabilities, "\n", -1);

      popbell_pop3_client_set_remembered_capabilities (self->client,
                                                       (const gchar * const *) remembered);
    }

  popbell_pop3_client_connect_async (self->client, g_task_get_cancellable (task),
                                     open_connected, task);
}

static void
open_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  PopbellSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!popbell_pop3_client_connect_finish (self->client, result, &error))
    {
      const gchar *sha = popbell_pop3_client_get_peer_certificate_sha256 (self->client);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        self->connect_error = g_steal_pointer (&error);
      else
        {
          self->certificate_sha256 = sha != NULL ? g_strdup (sha)
                                                 : popbell_error_dup_certificate_sha256 (error);
          self->connect_error = translate (self, error);
        }
    }
  else
    self->contacted = TRUE;
  open_join (task);
}

/* Connected, with the credentials: log in. */
static void
open_login (GTask *task)
{
  PopbellSession *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  popbell_pop3_client_login_async (self->client,
                                   popbell_account_get_username (self->account),
                                   self->password,
                                   popbell_account_get_auth (self->account),
                                   cancellable, open_logged_in, g_steal_pointer (&task));
  if (self->login_func != NULL)
    self->login_func (self, self->client, self->login_func_data);
}

static void
open_logged_in (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellSession *self = g_task_get_source_object (task);
  PopbellAccountState *state = self->state;
  g_autoptr(GError) error = NULL;
  PopbellPop3AuthMethod used;
  gboolean ok;
  gint delay;

  ok = popbell_pop3_client_login_finish (self->client, result, &error);
  session_wipe_password (self);

  /* Recorded after the answer, whatever it was: the server counts this
   * attempt from when it saw it, which is before now. */
  state->last_login = now_us ();
  delay = popbell_pop3_client_get_login_delay (self->client);
  if (delay >= 0)
    state->login_delay = delay;

  if (!ok)
    {
      g_autoptr(GError) translated = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING))
        {
          /* The commands written with the login went unanswered: the
           * caller counts the strike and may retry without pipelining. */
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      translated = translate (self, error);
      if (g_error_matches (translated, POPBELL_ERROR, POPBELL_ERROR_AUTH) &&
          popbell_account_get_auth (self->account) == POPBELL_POP3_AUTH_OAUTH2 &&
          !self->have_password)
        {
          /* A rejected token is renewed once per session (command again,
           * GOA again, refresh token), on a new connection; the second
           * rejection holds the account below — never a loop. */
          if (!self->token_renewed)
            {
              self->token_renewed = TRUE;
              popbell_pop3_client_close (self->client);
              g_clear_object (&self->client);
              open_start (g_steal_pointer (&task), TRUE);
              return;
            }
          g_clear_error (&translated);
          translated = popbell_oauth2_rejected_error (self->account, FALSE);
        }
      if (g_error_matches (translated, POPBELL_ERROR, POPBELL_ERROR_AUTH) &&
          !(self->flags & POPBELL_SESSION_PROBE))
        {
          /* Repeated bad logins get accounts locked (SPEC §5): hold until
           * the password or the settings change. */
          state->auth_hold = TRUE;
          g_free (state->auth_hold_digest);
          state->auth_hold_digest = popbell_account_dup_settings_digest (self->account);
        }
      else if (g_error_matches (translated, POPBELL_ERROR, POPBELL_ERROR_LOGIN_DELAY))
        {
          guint wait = MAX (state->login_delay, MIN_LOGIN_DELAY_WAIT_S);

          state->next_allowed = state->last_login + (gint64) wait * G_USEC_PER_SEC;
          g_clear_pointer (&self->retry_after, g_date_time_unref);
          self->retry_after = date_time_from_us (state->next_allowed);
        }
      g_task_return_error (task, g_steal_pointer (&translated));
      return;
    }

  state->next_allowed = 0;
  if (self->flags & POPBELL_SESSION_PROBE)
    {
      /* Settings perhaps not saved yet: they prove nothing about the hold
       * or about TLS of the account as configured. */
      g_task_return_boolean (task, TRUE);
      return;
    }
  state->auth_hold = FALSE;
  g_clear_pointer (&state->auth_hold_digest, g_free);
  if (popbell_pop3_client_is_encrypted (self->client))
    state->tls_worked = TRUE;
  used = popbell_pop3_client_get_auth_method_used (self->client);
  if (used != POPBELL_POP3_AUTH_AUTO)
    {
      g_free (state->auth_method);
      state->auth_method = g_strdup (popbell_account_auth_to_string (used));
    }
  g_task_return_boolean (task, TRUE);
}

gboolean
popbell_session_open_finish (PopbellSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- close ------------------------------------------------------------------ */

static void
close_save (GTask *task)
{
  PopbellSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  session_learn_capabilities (self);
  if (self->client != NULL)
    popbell_pop3_client_close (self->client);
  if (self->lock != NULL && self->state != NULL && !self->no_save)
    ok = popbell_state_store_save (popbell_checker_get_store (self->checker), self->state, &error);
  g_clear_pointer (&self->lock, popbell_state_lock_release);
  popbell_session_release_slot (self);

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
close_quit_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* A failed QUIT after a read-only session loses nothing we learnt. */
  if (!popbell_pop3_client_quit_finish (POPBELL_POP3_CLIENT (source), result, &error))
    g_debug ("QUIT failed: %s", error->message);
  close_save (task);
}

void
popbell_session_close_async (PopbellSession      *self,
                             gboolean             quit,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (POPBELL_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_session_close_async);

  /* Without a DELE in the session, QUIT's answer tells nothing: the
   * client drops the connection once QUIT is written (issue 9: a round
   * trip less for every check). */
  if (quit && self->client != NULL && popbell_pop3_client_is_connected (self->client))
    popbell_pop3_client_quit_nowait_async (self->client, cancellable, close_quit_done,
                                           g_steal_pointer (&task));
  else
    close_save (task);
}

gboolean
popbell_session_close_finish (PopbellSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
