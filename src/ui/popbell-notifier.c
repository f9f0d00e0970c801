/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>

#include "popbell-mail-summary.h"
#include "popbell-notifier-text.h"
#include "popbell-notifier.h"

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
/* The capabilities are only a hint for how to format: a server that does not
 * answer within this time gets plain text without actions. */
#define CAPS_TIMEOUT_MS 3000

/* ---------------------------------------------------------------------------
 * The libnotify thread.
 *
 * libnotify keeps process-global state (its D-Bus proxy, the list of live
 * notifications) without locks, and its proxy delivers ActionInvoked on the
 * main context that was thread-default when the proxy was made. So every
 * libnotify call happens on one thread with its own main context, for the
 * life of the process: NotifyNotification objects never leave it, and a
 * blocking notify_notification_show() only ever blocks it.
 * ------------------------------------------------------------------------ */

typedef struct {
  GMainContext *context;        /* the thread's, owned */
  GHashTable   *notifications;  /* "SERIAL/SLOT" → NotifyNotification; thread only */
} Worker;

static gpointer
worker_thread_main (gpointer data)
{
  Worker *w = data;
  g_autoptr(GMainLoop) loop = NULL;

  g_main_context_push_thread_default (w->context);
  notify_init ("Popbell");
  loop = g_main_loop_new (w->context, FALSE);
  g_main_loop_run (loop);
  return NULL;
}

static gpointer
worker_create (gpointer data)
{
  Worker *w = g_new0 (Worker, 1);

  w->context = g_main_context_new ();
  w->notifications = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  /* Never joined: it lives as long as the process, like libnotify's own
   * globals. */
  g_thread_unref (g_thread_new ("popbell-notify", worker_thread_main, w));
  return w;
}

static Worker *
worker_get (void)
{
  static GOnce once = G_ONCE_INIT;

  return g_once (&once, worker_create, NULL);
}

/* A handle the thread uses to reach a notifier on its owner's context,
 * without keeping it alive. */
typedef struct {
  gint          ref_count;
  GWeakRef      notifier;
  GMainContext *owner;    /* owned */
  guint         serial;   /* distinguishes notifiers in the thread's table */
} Handle;

static Handle *
handle_ref (Handle *h)
{
  g_atomic_int_inc (&h->ref_count);
  return h;
}

static void
handle_unref (Handle *h)
{
  if (g_atomic_int_dec_and_test (&h->ref_count))
    {
      g_weak_ref_clear (&h->notifier);
      g_main_context_unref (h->owner);
      g_free (h);
    }
}

typedef enum {
  JOB_MAIL,
  JOB_PROBLEM,
  JOB_CLOSE,
  JOB_FORGET,   /* the notifier is gone: drop its notifications (no D-Bus) */
} JobKind;

typedef struct {
  JobKind    kind;
  Handle    *handle;     /* owned */
  gchar     *slot;       /* "mail:ACCOUNT" / "problem:ACCOUNT" */
  gchar     *account;

  /* input, kept until the capabilities are known */
  guint      new_count;
  GPtrArray *messages;   /* (element-type PopbellMailSummary) (nullable) owned */
  GError    *problem;    /* (nullable) owned */
  GPtrArray *announce;   /* (element-type utf8) owned: every new UID this job
                          * announces, also those without known headers and
                          * those of jobs it replaced in the queue */
  gboolean   announce_all;  /* @announce misses some: it stands for all the
                             * account's new mail */

  /* formatted on the owner's thread, used on the libnotify thread */
  gchar     *summary;
  gchar     *body;
  gboolean   with_actions;
  PopbellNotifierRemedy remedy;
  GStrv      uids;

  /* result, set on the libnotify thread */
  gboolean   ok;
} Job;

static void
job_free (Job *job)
{
  g_clear_pointer (&job->handle, handle_unref);
  g_free (job->slot);
  g_free (job->account);
  g_clear_pointer (&job->messages, g_ptr_array_unref);
  g_clear_error (&job->problem);
  g_clear_pointer (&job->announce, g_ptr_array_unref);
  g_free (job->summary);
  g_free (job->body);
  g_strfreev (job->uids);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

typedef struct {
  Handle *handle;   /* owned */
  gchar  *account;
  gchar  *action;
  GStrv   uids;
} ActionEvent;

static void
action_event_free (ActionEvent *ev)
{
  handle_unref (ev->handle);
  g_free (ev->account);
  g_free (ev->action);
  g_strfreev (ev->uids);
  g_free (ev);
}

typedef struct {
  Handle *handle;   /* owned */
  gchar  *account;
  gchar  *deliver;  /* the action name ::action-invoked reports */
  GStrv   uids;
} ActionData;

static void
action_data_free (gpointer data)
{
  ActionData *ad = data;

  handle_unref (ad->handle);
  g_free (ad->account);
  g_free (ad->deliver);
  g_strfreev (ad->uids);
  g_free (ad);
}

static gboolean deliver_action (gpointer data);
static gboolean deliver_job_done (gpointer data);

/* libnotify thread: a button or the notification itself was clicked. */
static void
on_notification_action (NotifyNotification *notification,
                        gchar              *action,
                        gpointer            user_data)
{
  ActionData *ad = user_data;
  ActionEvent *ev = g_new0 (ActionEvent, 1);

  ev->handle = handle_ref (ad->handle);
  ev->account = g_strdup (ad->account);
  ev->action = g_strdup (ad->deliver);
  ev->uids = g_strdupv (ad->uids);
  g_main_context_invoke_full (ad->handle->owner, G_PRIORITY_DEFAULT, deliver_action, ev,
                              (GDestroyNotify) action_event_free);
}

static void
add_action (NotifyNotification *n,
            Job                *job,
            const gchar        *action,
            const gchar        *deliver,
            const gchar        *label)
{
  ActionData *ad = g_new0 (ActionData, 1);

  ad->handle = handle_ref (job->handle);
  ad->account = g_strdup (job->account);
  ad->deliver = g_strdup (deliver);
  ad->uids = g_strdupv (job->uids);
  notify_notification_add_action (n, action, label, on_notification_action, ad,
                                  action_data_free);
}

/* libnotify thread. */
static gboolean
run_job (gpointer data)
{
  Worker *w = worker_get ();
  Job *job = data;
  g_autofree gchar *key = g_strdup_printf ("%u/%s", job->handle->serial, job->slot);
  NotifyNotification *n = g_hash_table_lookup (w->notifications, key);
  g_autoptr(GError) error = NULL;

  switch (job->kind)
    {
    case JOB_FORGET:
      {
        g_autofree gchar *prefix = g_strdup_printf ("%u/", job->handle->serial);
        GHashTableIter iter;
        gpointer k;

        g_hash_table_iter_init (&iter, w->notifications);
        while (g_hash_table_iter_next (&iter, &k, NULL))
          if (g_str_has_prefix (k, prefix))
            g_hash_table_iter_remove (&iter);
        job->ok = TRUE;
      }
      break;

    case JOB_CLOSE:
      if (n != NULL)
        {
          /* A notification the server already closed has id 0: nothing to do. */
          gint id = 0;

          g_object_get (n, "id", &id, NULL);
          job->ok = id == 0 || notify_notification_close (n, &error);
          g_hash_table_remove (w->notifications, key);
        }
      else
        job->ok = TRUE;
      break;

    case JOB_MAIL:
    case JOB_PROBLEM:
      /* Keep the account's NotifyNotification and update it: libnotify sends
       * its id as replaces_id, so the server replaces the old one. */
      if (n == NULL)
        {
          n = notify_notification_new (job->summary, job->body, APPLICATION_ID);
          g_hash_table_insert (w->notifications, g_strdup (key), n);
        }
      else
        notify_notification_update (n, job->summary, job->body, APPLICATION_ID);

      notify_notification_clear_hints (n);
      notify_notification_clear_actions (n);
      notify_notification_set_app_name (n, _("Popbell"));
      notify_notification_set_hint_string (n, "desktop-entry", APPLICATION_ID);
      notify_notification_set_urgency (n, NOTIFY_URGENCY_NORMAL);
      if (job->kind == JOB_MAIL)
        {
          notify_notification_set_category (n, "email.arrived");
          notify_notification_set_hint_string (n, "sound-name", "message-new-email");
        }
      if (job->with_actions && job->kind == JOB_MAIL)
        {
          add_action (n, job, "default", "preview", _("Preview"));
          add_action (n, job, "mark-seen", "mark-seen", _("Mark as seen"));
          add_action (n, job, "open-mail-client", "open-mail-client", _("Open mail client"));
        }
      else if (job->with_actions)
        {
          /* The remedy where the user is (SPEC §5 "Problems"): a button
           * that opens it, never a command line. */
          switch (job->remedy)
            {
            case POPBELL_NOTIFIER_REMEDY_FIX_RETRY:
              add_action (n, job, "default", "fix", _("Fix…"));
              add_action (n, job, "fix", "fix", _("Fix…"));
              add_action (n, job, "retry", "retry", _("Try again"));
              break;
            case POPBELL_NOTIFIER_REMEDY_TRUST:
              add_action (n, job, "default", "trust", _("Trust this certificate…"));
              add_action (n, job, "trust", "trust", _("Trust this certificate…"));
              break;
            case POPBELL_NOTIFIER_REMEDY_FIX:
              add_action (n, job, "default", "fix", _("Fix…"));
              add_action (n, job, "fix", "fix", _("Fix…"));
              break;
            case POPBELL_NOTIFIER_REMEDY_PREFERENCES:
            case POPBELL_NOTIFIER_REMEDY_NONE:
            default:
              add_action (n, job, "default", "preferences", _("Preferences"));
              break;
            }
        }

      job->ok = notify_notification_show (n, &error);
      break;

    default:
      g_assert_not_reached ();
    }

  if (error != NULL)
    g_debug ("Notification %s: %s", job->slot, error->message);

  g_main_context_invoke_full (job->handle->owner, G_PRIORITY_DEFAULT, deliver_job_done, job,
                              (GDestroyNotify) job_free);
  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------------------------------
 * The notifier, on its owner's main context.
 * ------------------------------------------------------------------------ */

struct _PopbellNotifier
{
  GObject parent_instance;

  Handle          *handle;        /* (owned) */
  GCancellable    *cancellable;   /* (owned) bus and capability calls */
  GDBusConnection *bus;           /* (owned) (nullable) until connected */
  guint            watch_id;      /* 0 when not watching */
  gboolean         seen_owner;    /* the server's name had an owner once */
  GStrv            caps;          /* (owned) (nullable): NULL until known */

  GQueue           pending;       /* (element-type Job) (owned): ≤ 1 per slot */
  Job             *in_flight;     /* (owned by the thread while non-NULL) */
  GHashTable      *problem_episodes;   /* account name → episode notified (guint) */
};

G_DEFINE_FINAL_TYPE (PopbellNotifier, popbell_notifier, G_TYPE_OBJECT)

enum {
  SIGNAL_ACTION_INVOKED,
  SIGNAL_SENT,
  SIGNAL_ANNOUNCED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void dispatch (PopbellNotifier *self);

static gboolean
has_cap (PopbellNotifier *self,
         const gchar     *cap)
{
  return self->caps != NULL && g_strv_contains ((const gchar *const *) self->caps, cap);
}

static gboolean
deliver_action (gpointer data)
{
  ActionEvent *ev = data;
  g_autoptr(PopbellNotifier) self = g_weak_ref_get (&ev->handle->notifier);

  if (self != NULL)
    g_signal_emit (self, signals[SIGNAL_ACTION_INVOKED], 0, ev->account, ev->action, ev->uids);
  return G_SOURCE_REMOVE;
}

static gboolean
deliver_job_done (gpointer data)
{
  Job *job = data;
  g_autoptr(PopbellNotifier) self = g_weak_ref_get (&job->handle->notifier);

  if (self == NULL || self->in_flight != job)
    return G_SOURCE_REMOVE;

  self->in_flight = NULL;
  if (job->kind != JOB_FORGET)
    g_signal_emit (self, signals[SIGNAL_SENT], 0, job->slot, job->ok);
  if (job->kind == JOB_MAIL)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) uids = NULL;

      /* A notification that could not name every message it counted
       * (headers not fetched) stood for all of the account's new mail. */
      if (!job->announce_all)
        {
          for (guint i = 0; i < job->announce->len; i++)
            g_strv_builder_add (builder, g_ptr_array_index (job->announce, i));
          uids = g_strv_builder_end (builder);
        }
      g_signal_emit (self, signals[SIGNAL_ANNOUNCED], 0, job->account, uids, job->ok);
    }
  dispatch (self);
  /* job_free runs as the destroy notify of this source. */
  return G_SOURCE_REMOVE;
}

static void
format_job (PopbellNotifier *self,
            Job             *job)
{
  gboolean markup = has_cap (self, "body-markup");

  job->with_actions = has_cap (self, "actions");
  if (job->kind == JOB_MAIL)
    {
      g_autoptr(GStrvBuilder) uids = g_strv_builder_new ();

      popbell_notifier_text_new_mail (job->account, job->new_count, job->messages, markup,
                                      &job->summary, &job->body);
      /* The actions stand for every message announced, listed or not:
       * "Mark as seen" marks what the notification told of; none named
       * when it could not name them all (then: the whole account). */
      for (guint i = 0; !job->announce_all && i < job->announce->len; i++)
        g_strv_builder_add (uids, g_ptr_array_index (job->announce, i));
      job->uids = g_strv_builder_end (uids);
    }
  else if (job->kind == JOB_PROBLEM)
    {
      job->remedy = popbell_notifier_text_problem (job->account, job->problem, markup,
                                                   &job->summary, &job->body);
      job->uids = g_new0 (gchar *, 1);
    }
}

/* Hands the next job to the libnotify thread once the capabilities are
 * known and the previous one has finished: one at a time, so that a hanging
 * server costs one thread, not one per notification. */
static void
dispatch (PopbellNotifier *self)
{
  Job *job;

  if (self->in_flight != NULL || self->caps == NULL)
    return;
  job = g_queue_pop_head (&self->pending);
  if (job == NULL)
    return;

  format_job (self, job);
  self->in_flight = job;
  g_main_context_invoke (worker_get ()->context, run_job, job);
}

static void
enqueue (PopbellNotifier *self,
         Job             *job)
{
  job->handle = handle_ref (self->handle);

  /* A newer notification for the same slot replaces one still waiting: a
   * hanging server must not let the queue grow. */
  for (GList *l = self->pending.head; l != NULL; l = l->next)
    {
      Job *old = l->data;

      if (g_strcmp0 (old->slot, job->slot) == 0)
        {
          /* What the old one would have announced is announced by the
           * new one, or it would never be marked announced. */
          if (old->kind == JOB_MAIL && job->kind == JOB_MAIL)
            {
              for (guint i = 0; i < old->announce->len; i++)
                g_ptr_array_add (job->announce, g_strdup (g_ptr_array_index (old->announce, i)));
              job->announce_all |= old->announce_all;
            }
          l->data = job;
          job_free (old);
          dispatch (self);
          return;
        }
    }
  g_queue_push_tail (&self->pending, job);
  dispatch (self);
}

static Job *
job_new (JobKind      kind,
         const gchar *prefix,
         const gchar *account_name)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->announce = g_ptr_array_new_with_free_func (g_free);
  job->account = g_strdup (account_name);
  job->slot = g_strconcat (prefix, account_name, NULL);
  return job;
}

void
popbell_notifier_new_mail (PopbellNotifier    *self,
                           const gchar        *account_name,
                           guint               new_count,
                           GPtrArray          *messages,
                           const gchar *const *announce)
{
  Job *job;

  g_return_if_fail (POPBELL_IS_NOTIFIER (self));
  g_return_if_fail (account_name != NULL);

  if (new_count == 0 && (messages == NULL || messages->len == 0))
    return;

  job = job_new (JOB_MAIL, "mail:", account_name);
  job->new_count = new_count;
  job->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    {
      PopbellMailSummary *mail = g_ptr_array_index (messages, i);

      g_ptr_array_add (job->messages, popbell_mail_summary_ref (mail));
      if (popbell_mail_summary_get_uid (mail) != NULL)
        g_ptr_array_add (job->announce, g_strdup (popbell_mail_summary_get_uid (mail)));
    }
  for (guint i = 0; announce != NULL && announce[i] != NULL; i++)
    if (!g_ptr_array_find_with_equal_func (job->announce, announce[i], g_str_equal, NULL))
      g_ptr_array_add (job->announce, g_strdup (announce[i]));
  job->announce_all = job->announce->len < new_count;
  enqueue (self, job);
}

void
popbell_notifier_handle_result (PopbellNotifier    *self,
                                PopbellCheckResult *result)
{
  g_return_if_fail (POPBELL_IS_NOTIFIER (self));
  g_return_if_fail (result != NULL);

  /* The first check is a baseline (SPEC §4): no notification. */
  if (!popbell_check_result_is_ok (result) || popbell_check_result_is_first_check (result) ||
      popbell_check_result_get_new_count (result) == 0)
    return;

  popbell_notifier_new_mail (self, popbell_check_result_get_account_name (result),
                             popbell_check_result_get_new_count (result),
                             popbell_check_result_get_new_messages (result), NULL);
}

void
popbell_notifier_update_problem (PopbellNotifier *self,
                                 const gchar     *account_name,
                                 const GError    *error,
                                 guint            episode)
{
  Job *job;

  g_return_if_fail (POPBELL_IS_NOTIFIER (self));
  g_return_if_fail (account_name != NULL);

  if (episode == 0)
    {
      /* The episode is over: its notification goes. */
      if (g_hash_table_remove (self->problem_episodes, account_name))
        enqueue (self, job_new (JOB_CLOSE, "problem:", account_name));
      return;
    }

  /* Every retry reports the problem again: one notification per episode. */
  if (GPOINTER_TO_UINT (g_hash_table_lookup (self->problem_episodes, account_name)) == episode)
    return;
  g_hash_table_insert (self->problem_episodes, g_strdup (account_name), GUINT_TO_POINTER (episode));
  g_debug ("Problem notification for %s, episode %u", account_name, episode);

  job = job_new (JOB_PROBLEM, "problem:", account_name);
  job->problem = error != NULL ? g_error_copy (error) : NULL;
  enqueue (self, job);
}

void
popbell_notifier_withdraw (PopbellNotifier *self,
                           const gchar     *account_name)
{
  g_return_if_fail (POPBELL_IS_NOTIFIER (self));
  g_return_if_fail (account_name != NULL);

  enqueue (self, job_new (JOB_CLOSE, "mail:", account_name));
}

gboolean
popbell_notifier_is_busy (PopbellNotifier *self)
{
  g_return_val_if_fail (POPBELL_IS_NOTIFIER (self), FALSE);

  return self->in_flight != NULL || !g_queue_is_empty (&self->pending);
}

const gchar *const *
popbell_notifier_get_capabilities (PopbellNotifier *self)
{
  g_return_val_if_fail (POPBELL_IS_NOTIFIER (self), NULL);

  return (const gchar *const *) self->caps;
}

/* Capabilities ------------------------------------------------------------- */

static void
got_caps (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  PopbellNotifier *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = POPBELL_NOTIFIER (user_data);
  g_clear_pointer (&self->caps, g_strfreev);
  if (reply != NULL)
    g_variant_get (reply, "(^as)", &self->caps);
  else
    {
      g_debug ("No notification server capabilities: %s", error->message);
      self->caps = g_new0 (gchar *, 1);
    }
  dispatch (self);
}

static void
fetch_caps (PopbellNotifier *self)
{
  g_dbus_connection_call (self->bus, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                          NOTIFICATIONS_NAME, "GetCapabilities", NULL,
                          G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, CAPS_TIMEOUT_MS,
                          self->cancellable, got_caps, self);
}

/* Another server took over (or the first one started): its capabilities
 * may differ. The cached ones stay in use until the new answer arrives. */
static void
on_server_appeared (GDBusConnection *connection,
                    const gchar     *name,
                    const gchar     *name_owner,
                    gpointer         user_data)
{
  PopbellNotifier *self = user_data;

  if (self->seen_owner)
    fetch_caps (self);
  self->seen_owner = TRUE;
}

static void
got_bus (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  PopbellNotifier *self;
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = POPBELL_NOTIFIER (user_data);
  if (bus == NULL)
    {
      g_debug ("No session bus for notifications: %s", error->message);
      self->caps = g_new0 (gchar *, 1);
      dispatch (self);
      return;
    }

  self->bus = bus;
  /* The first call may start a server where the bus activates one. */
  fetch_caps (self);
  self->watch_id = g_bus_watch_name_on_connection (bus, NOTIFICATIONS_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_server_appeared, NULL, self, NULL);
}

/* GObject ------------------------------------------------------------------ */

static void
popbell_notifier_dispose (GObject *object)
{
  PopbellNotifier *self = POPBELL_NOTIFIER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->watch_id != 0)
    {
      g_bus_unwatch_name (self->watch_id);
      self->watch_id = 0;
    }
  g_clear_object (&self->bus);
  g_queue_clear_full (&self->pending, (GDestroyNotify) job_free);

  if (self->handle != NULL)
    {
      /* Drop this notifier's notifications on the thread; the job in
       * flight (if any) finishes there and is freed without us. */
      Job *forget = job_new (JOB_FORGET, "", "");

      forget->handle = handle_ref (self->handle);
      g_main_context_invoke (worker_get ()->context, run_job, forget);
      g_clear_pointer (&self->handle, handle_unref);
    }
  self->in_flight = NULL;

  G_OBJECT_CLASS (popbell_notifier_parent_class)->dispose (object);
}

static void
popbell_notifier_finalize (GObject *object)
{
  PopbellNotifier *self = POPBELL_NOTIFIER (object);

  g_strfreev (self->caps);
  g_hash_table_unref (self->problem_episodes);

  G_OBJECT_CLASS (popbell_notifier_parent_class)->finalize (object);
}

static void
popbell_notifier_class_init (PopbellNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_notifier_dispose;
  object_class->finalize = popbell_notifier_finalize;

  signals[SIGNAL_ACTION_INVOKED] =
    g_signal_new ("action-invoked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRV);
  signals[SIGNAL_SENT] =
    g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);
  signals[SIGNAL_ANNOUNCED] =
    g_signal_new ("announced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_STRV, G_TYPE_BOOLEAN);
}

static void
popbell_notifier_init (PopbellNotifier *self)
{
  static guint serial;

  self->problem_episodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->pending);
  self->cancellable = g_cancellable_new ();

  self->handle = g_new0 (Handle, 1);
  self->handle->ref_count = 1;
  g_weak_ref_init (&self->handle->notifier, self);
  self->handle->owner = g_main_context_ref_thread_default ();
  self->handle->serial = ++serial;
}

PopbellNotifier *
popbell_notifier_new (void)
{
  PopbellNotifier *self = g_object_new (POPBELL_TYPE_NOTIFIER, NULL);

  g_bus_get (G_BUS_TYPE_SESSION, self->cancellable, got_bus, self);
  return self;
}
