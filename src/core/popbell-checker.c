/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n-lib.h>

#include "popbell-checker.h"
#include "popbell-error.h"
#include "popbell-mail-summary.h"

/* Up to this many new messages get "LIST n" each (pipelined); more get
 * one LIST. */
/* The sizes of new messages: "LIST n" each costs ~28 octets a message,
 * one LIST ~12 octets for every message in the mailbox. "LIST n" each
 * while that is cheaper and the commands fit a pipelined batch with the
 * TOPs (ten new in a mailbox of 100,000 must not fetch a 1.2 MB listing),
 * else one LIST (32,000 new must not cost 32,000 commands). */
#define LIST_ONE_MAX 30
#define LIST_ONE_OCTETS 28
#define LIST_ALL_OCTETS_PER_MESSAGE 12

/* ======================================================================== */
/* PopbellChecker                                                           */
/* ======================================================================== */

struct _PopbellChecker
{
  GObject parent_instance;

  PopbellStateStore  *store;        /* (owned) */
  PopbellCredentials *credentials;  /* (owned) */
  PopbellTokenSourceCache *token_sources;  /* (owned) auth=oauth2 */
  guint               max_headers;
  guint               lock_timeout_ms;
};

G_DEFINE_FINAL_TYPE (PopbellChecker, popbell_checker, G_TYPE_OBJECT)

static void
popbell_checker_dispose (GObject *object)
{
  PopbellChecker *self = POPBELL_CHECKER (object);

  g_clear_object (&self->store);
  g_clear_object (&self->credentials);
  g_clear_object (&self->token_sources);
  G_OBJECT_CLASS (popbell_checker_parent_class)->dispose (object);
}

static void
popbell_checker_class_init (PopbellCheckerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_checker_dispose;
}

static void
popbell_checker_init (PopbellChecker *self)
{
  self->max_headers = POPBELL_CHECKER_MAX_HEADERS;
  self->lock_timeout_ms = 120 * 1000;
  self->token_sources = popbell_token_source_cache_new (NULL);
}

PopbellChecker *
popbell_checker_new (PopbellStateStore *store, PopbellCredentials *credentials)
{
  PopbellChecker *self;

  g_return_val_if_fail (POPBELL_IS_STATE_STORE (store), NULL);
  g_return_val_if_fail (POPBELL_IS_CREDENTIALS (credentials), NULL);

  self = g_object_new (POPBELL_TYPE_CHECKER, NULL);
  self->store = g_object_ref (store);
  self->credentials = g_object_ref (credentials);
  return self;
}

PopbellStateStore *
popbell_checker_get_store (PopbellChecker *self)
{
  g_return_val_if_fail (POPBELL_IS_CHECKER (self), NULL);
  return self->store;
}

PopbellCredentials *
popbell_checker_get_credentials (PopbellChecker *self)
{
  g_return_val_if_fail (POPBELL_IS_CHECKER (self), NULL);
  return self->credentials;
}

PopbellTokenSourceCache *
popbell_checker_get_token_sources (PopbellChecker *self)
{
  g_return_val_if_fail (POPBELL_IS_CHECKER (self), NULL);
  return self->token_sources;
}

void
popbell_checker_set_max_headers (PopbellChecker *self, guint max_headers)
{
  g_return_if_fail (POPBELL_IS_CHECKER (self));
  self->max_headers = max_headers;
}

void
popbell_checker_set_lock_timeout (PopbellChecker *self, guint ms)
{
  g_return_if_fail (POPBELL_IS_CHECKER (self));
  self->lock_timeout_ms = ms;
}

guint
popbell_checker_get_lock_timeout (PopbellChecker *self)
{
  g_return_val_if_fail (POPBELL_IS_CHECKER (self), 0);
  return self->lock_timeout_ms;
}

/* ======================================================================== */
/* The check                                                                */
/* ======================================================================== */

static gint64
now_us (void)
{
  return g_get_real_time ();
}

void
popbell_check_outcome_free (PopbellCheckOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_clear_pointer (&outcome->result, popbell_check_result_unref);
  g_clear_pointer (&outcome->state, popbell_account_state_free);
  g_free (outcome->certificate_sha256);
  g_clear_error (&outcome->save_error);
  g_free (outcome);
}

typedef struct {
  PopbellAccount      *account;
  PopbellSessionFlags  flags;
  PopbellAccountState *unsaved;     /* (owned) (nullable) the caller's unsaved state */
  PopbellSession      *session;     /* (owned) the current attempt */
  gboolean             retried;     /* the session was redone without pipelining */
  gboolean             retry_pending;

  guint                count;       /* STAT */
  guint64              size;
  /* "UIDL n" for the remembered n, written with STAT when pipelining (see
   * check_behind_login). */
  gboolean             opened;      /* the session's open succeeded */
  gboolean             stat_done;   /* STAT (started behind the login) answered */
  GError              *stat_error;  /* (owned) (nullable) its failure */
  gboolean             uidl_ahead;
  gboolean             uidl_ahead_done;
  gboolean             stat_waits;  /* STAT unchanged: waiting for that answer */
  PopbellPop3ListEntry *ahead_entry; /* (owned) (nullable) its answer */
  GError              *ahead_error; /* (owned) (nullable) */
  guint                ahead_generation; /* a retried session ignores the old answer */
  GPtrArray           *listing;     /* (element-type PopbellPop3ListEntry) UIDL, or LIST without UIDL */
  gboolean             no_uidl;
  gboolean             first_check;
  gboolean             expire_zero;
  gchar               *note;

  GPtrArray           *new_entries; /* (element-type PopbellUnseenEntry) server order */
  GPtrArray           *summaries;   /* (element-type PopbellMailSummary) */
  GPtrArray           *headers;     /* (element-type BatchItem) the TOPs asked */
  guint                pending;     /* pipelined operations outstanding */
  GError              *batch_error; /* first failure among them */

  PopbellCheckResult  *result;
  GError              *save_error;
} CheckData;

static void
check_data_free (CheckData *data)
{
  g_clear_object (&data->account);
  g_clear_pointer (&data->unsaved, popbell_account_state_free);
  g_clear_object (&data->session);
  g_clear_pointer (&data->listing, g_ptr_array_unref);
  g_free (data->note);
  g_clear_pointer (&data->new_entries, g_ptr_array_unref);
  g_clear_pointer (&data->summaries, g_ptr_array_unref);
  g_clear_pointer (&data->headers, g_ptr_array_unref);
  g_clear_error (&data->batch_error);
  g_clear_pointer (&data->ahead_entry, popbell_pop3_list_entry_free);
  g_clear_error (&data->ahead_error);
  g_clear_error (&data->stat_error);
  g_clear_pointer (&data->result, popbell_check_result_unref);
  g_clear_error (&data->save_error);
  g_free (data);
}

static void check_open (GTask *task);
static void check_opened (GObject *source, GAsyncResult *result, gpointer user_data);
static void check_last_uid_done (GObject *source, GAsyncResult *result, gpointer user_data);
static void check_last_uid (GTask *task, PopbellPop3ListEntry *entry, const GError *error);
static void uidl_ahead_done (GObject *source, GAsyncResult *result, gpointer user_data);
static void check_full_listing (GTask *task);
static void check_uidl_done (GObject *source, GAsyncResult *result, gpointer user_data);
static void check_list_done (GObject *source, GAsyncResult *result, gpointer user_data);
static void check_compare (GTask *task);
static void check_fetch_new (GTask *task);
static void check_succeeded (GTask *task);
static void check_failed (GTask *task, const GError *error);
static void check_closed (GObject *source, GAsyncResult *result, gpointer user_data);

void
popbell_checker_check_async (PopbellChecker      *self,
                             PopbellAccount      *account,
                             PopbellSessionFlags  flags,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  popbell_checker_check_full_async (self, account, flags, NULL, cancellable, callback, user_data);
}

void
popbell_checker_check_full_async (PopbellChecker            *self,
                                  PopbellAccount            *account,
                                  PopbellSessionFlags        flags,
                                  const PopbellAccountState *unsaved,
                                  GCancellable              *cancellable,
                                  GAsyncReadyCallback        callback,
                                  gpointer                   user_data)
{
  g_autoptr(GTask) task = NULL;
  CheckData *data;

  g_return_if_fail (POPBELL_IS_CHECKER (self));
  g_return_if_fail (POPBELL_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_checker_check_async);
  data = g_new0 (CheckData, 1);
  data->account = g_object_ref (account);
  data->flags = flags;
  data->unsaved = unsaved != NULL ? popbell_account_state_copy (unsaved) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);

  check_open (g_steal_pointer (&task));
}

static PopbellChecker *
task_checker (GTask *task)
{
  return g_task_get_source_object (task);
}

static PopbellAccountState *
task_state (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  return popbell_session_get_state (data->session);
}

static PopbellPop3Client *
task_client (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  return popbell_session_get_client (data->session);
}

static const gchar *
task_account_name (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  return popbell_account_get_name (data->account);
}

static void check_behind_login (PopbellSession *session, PopbellPop3Client *client,
                                gpointer user_data);

static void
check_open (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  g_clear_object (&data->session);
  data->session = popbell_session_new (task_checker (task), data->account,
                                       data->flags | (data->retried ? POPBELL_SESSION_NO_PIPELINING : 0));
  popbell_session_set_unsaved_state (data->session, data->unsaved);
  popbell_session_set_login_func (data->session, check_behind_login, task);
  popbell_session_open_async (data->session, g_task_get_cancellable (task), check_opened, task);
}

/* STAT, and with pipelining "UIDL n" for the remembered n, are started
 * behind the login, before its answer: a session that writes ahead (the
 * capabilities remembered from last time) sends them with the login in one
 * write, so an unchanged mailbox costs the connect, that write and QUIT
 * (issue 9). When the mailbox changed, the UIDL answer is dropped. Their
 * answers may come before or after the open finishes (the one that comes
 * last goes on, see check_stat); each call holds its own reference (the
 * check may end first) and a generation: a given-up session's answers
 * (failed open, pipelining retry, renewed token) are dropped. */
typedef struct {
  GTask *task;        /* (owned) */
  guint  generation;
} AheadCall;

static AheadCall *
ahead_call_new (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  AheadCall *call = g_new0 (AheadCall, 1);

  call->task = g_object_ref (task);
  call->generation = data->ahead_generation;
  return call;
}

/* Drops the answers of the calls started so far. */
static void
ahead_forget (CheckData *data)
{
  data->ahead_generation++;
  data->opened = data->stat_done = FALSE;
  data->uidl_ahead = data->uidl_ahead_done = data->stat_waits = FALSE;
  g_clear_error (&data->stat_error);
  g_clear_pointer (&data->ahead_entry, popbell_pop3_list_entry_free);
  g_clear_error (&data->ahead_error);
}

static void stat_ahead_done (GObject *source, GAsyncResult *result, gpointer user_data);
static void check_stat (GTask *task);

static void
check_behind_login (PopbellSession *session, PopbellPop3Client *client, gpointer user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  PopbellAccountState *state = popbell_session_get_state (session);
  GCancellable *cancellable = g_task_get_cancellable (task);

  ahead_forget (data);
  popbell_pop3_client_stat_async (client, cancellable, stat_ahead_done, ahead_call_new (task));
  if (!popbell_pop3_client_can_pipeline (client) || state->mailbox_id == NULL ||
      state->no_uidl || state->last_count == 0 || state->last_uid == NULL)
    return;
  data->uidl_ahead = TRUE;
  popbell_pop3_client_uidl_one_async (client, state->last_count, cancellable,
                                      uidl_ahead_done, ahead_call_new (task));
}

static void
check_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  PopbellPop3Client *client;

  if (!popbell_session_open_finish (data->session, result, &error))
    {
      ahead_forget (data);
      check_failed (task, error);
      return;
    }

  /* RFC 2449 §6.7: EXPIRE 0 means "messages are deleted once retrieved";
   * TOP may count as retrieval on such servers, so fetch no headers. The
   * capabilities after login are those the client keeps. */
  client = popbell_session_get_client (data->session);
  data->expire_zero = popbell_pop3_client_get_expire (client) == 0;
  data->opened = TRUE;
  if (data->stat_done)
    check_stat (task);
}

static void
stat_ahead_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree AheadCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint count = 0;
  guint64 size = 0;
  gboolean ok;

  ok = popbell_pop3_client_stat_finish (POPBELL_POP3_CLIENT (source), result, &count, &size, &error);
  if (call->generation != data->ahead_generation)
    return;
  data->stat_done = TRUE;
  data->count = count;
  data->size = size;
  if (!ok)
    data->stat_error = g_steal_pointer (&error);
  /* The check goes on from whichever of the open and STAT ends last. */
  if (data->opened)
    check_stat (task);
}

static void
uidl_ahead_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree AheadCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  entry = popbell_pop3_client_uidl_one_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (call->generation != data->ahead_generation)
    return;
  data->ahead_entry = g_steal_pointer (&entry);
  data->ahead_error = g_steal_pointer (&error);
  data->uidl_ahead_done = TRUE;
  if (data->stat_waits)
    {
      data->stat_waits = FALSE;
      check_last_uid (task, data->ahead_entry, data->ahead_error);
    }
}

/* The session is open and STAT answered. */
static void
check_stat (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  PopbellAccountState *state = task_state (task);
  gboolean baselined;

  if (data->stat_error != NULL)
    {
      check_failed (task, data->stat_error);
      return;
    }

  baselined = state->mailbox_id != NULL;
  if (baselined && data->count == state->last_count && data->size == state->last_size)
    {
      /* The cheap path (SPEC §5): same figures; the UID of the last message
       * tells whether one message was swapped for another of equal size. */
      if (data->count == 0 || state->no_uidl)
        {
          g_debug ("account %s: STAT unchanged (%u, %" G_GUINT64_FORMAT "), no listing",
                   task_account_name (task), data->count, data->size);
          data->no_uidl = state->no_uidl;
          check_succeeded (task);
          return;
        }
      if (data->uidl_ahead)
        {
          /* Asked with STAT, for the same n (count unchanged). */
          if (data->uidl_ahead_done)
            check_last_uid (task, data->ahead_entry, data->ahead_error);
          else
            data->stat_waits = TRUE;
          return;
        }
      popbell_pop3_client_uidl_one_async (task_client (task), data->count,
                                          g_task_get_cancellable (task),
                                          check_last_uid_done, task);
      return;
    }
  check_full_listing (task);
}

static void
check_last_uid_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr(PopbellPop3ListEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  entry = popbell_pop3_client_uidl_one_finish (POPBELL_POP3_CLIENT (source), result, &error);
  check_last_uid (task, entry, error);
}

/* The answer to "UIDL n" for an unchanged STAT. */
static void
check_last_uid (GTask *task, PopbellPop3ListEntry *entry, const GError *error)
{
  PopbellAccountState *state = task_state (task);

  if (entry == NULL && !g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED))
    {
      check_failed (task, error);
      return;
    }
  if (entry != NULL && g_strcmp0 (entry->uid, state->last_uid) == 0)
    {
      g_debug ("account %s: STAT and last UID unchanged, no listing", task_account_name (task));
      check_succeeded (task);
      return;
    }
  check_full_listing (task);
}

static void
check_full_listing (GTask *task)
{
  g_debug ("account %s: mailbox changed, listing every UID", task_account_name (task));
  popbell_pop3_client_uidl_async (task_client (task), g_task_get_cancellable (task),
                                  check_uidl_done, task);
}

static void
check_uidl_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->listing = popbell_pop3_client_uidl_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (data->listing != NULL)
    {
      check_compare (task);
      return;
    }
  if (!g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED))
    {
      check_failed (task, error);
      return;
    }

  /* An RFC 1939 server without the optional UIDL: only counts and sizes
   * say what changed (SPEC §5 asks for this note in the debug log). */
  g_debug ("account %s: the server does not support UIDL; new mail is detected "
           "from message counts and sizes only", task_account_name (task));
  data->no_uidl = TRUE;
  popbell_pop3_client_list_async (POPBELL_POP3_CLIENT (source), g_task_get_cancellable (task),
                                  check_list_done, task);
}

static void
check_list_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->listing = popbell_pop3_client_list_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (data->listing == NULL)
    {
      check_failed (task, error);
      return;
    }
  check_compare (task);
}

/* All current UIDs unknown and most known ones gone: the server renumbered
 * (UIDVALIDITY change, migration), it is not a flood of new mail. A small
 * mailbox where everything was fetched by another client and one new
 * message came is NOT this case (current count below half the old one). */
static gboolean
is_wholesale_churn (PopbellAccountState *state, GPtrArray *listing, guint n_known_current)
{
  guint known = g_hash_table_size (state->seen);

  return known >= 2 && n_known_current == 0 &&
         listing->len >= MAX (2u, known / 2);
}

static void
check_compare (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  PopbellAccountState *state = task_state (task);
  gboolean baselined = state->mailbox_id != NULL && state->no_uidl == data->no_uidl;
  guint n_known_current = 0;

  data->new_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_unseen_entry_free);

  if (!baselined)
    {
      if (state->mailbox_id != NULL)
        g_debug ("account %s: UIDL support changed; new baseline", task_account_name (task));
      data->first_check = TRUE;
      { check_succeeded (task); return; }
    }

  if (data->no_uidl)
    {
      /* Count/size fallback: messages beyond the old count are new. */
      for (guint i = state->last_count; i < data->listing->len; i++)
        {
          PopbellPop3ListEntry *e = data->listing->pdata[i];
          g_autofree gchar *uid = g_strdup_printf ("#%u.%" G_GUINT64_FORMAT, e->index, e->size);
          PopbellUnseenEntry *entry = popbell_unseen_entry_new (uid, e->index, e->size);

          g_ptr_array_add (data->new_entries, entry);
        }
      { check_fetch_new (task); return; }
    }

  for (guint i = 0; i < data->listing->len; i++)
    {
      PopbellPop3ListEntry *e = data->listing->pdata[i];

      if (g_hash_table_contains (state->seen, e->uid))
        n_known_current++;
    }
  if (is_wholesale_churn (state, data->listing, n_known_current))
    {
      g_debug ("account %s: none of %u UIDs is known and %u known ones vanished; "
               "the server renumbered its mailbox: new baseline",
               task_account_name (task), data->listing->len, g_hash_table_size (state->seen));
      data->first_check = TRUE;
      { check_succeeded (task); return; }
    }

  for (guint i = 0; i < data->listing->len; i++)
    {
      PopbellPop3ListEntry *e = data->listing->pdata[i];

      if (!g_hash_table_contains (state->seen, e->uid))
        g_ptr_array_add (data->new_entries, popbell_unseen_entry_new (e->uid, e->index, 0));
    }
  check_fetch_new (task);
}

/* --- new messages: sizes and headers, in one pipelined batch ---------------- */

/* The sizes ("LIST n" each, or one LIST for many) and the headers of the
 * newest ("TOP n 0" each) are asked for together: with pipelining, ten new
 * messages cost one round trip after the listing, not two (issue 9). The
 * summaries are made once every answer is in, so each has its size. */

typedef struct {
  GTask              *task;    /* (unowned) kept alive by the batch */
  PopbellUnseenEntry *entry;   /* (unowned) in data->new_entries */
  GBytes             *top;     /* (owned) (nullable) the headers, once read */
} BatchItem;

static void
batch_item_free (BatchItem *item)
{
  g_clear_pointer (&item->top, g_bytes_unref);
  g_free (item);
}

static BatchItem *
batch_item_new (GTask *task, PopbellUnseenEntry *entry)
{
  BatchItem *item = g_new0 (BatchItem, 1);

  item->task = task;
  item->entry = entry;
  return item;
}

static void check_summarize (GTask *task);

/* One answer of the batch is in (@error: taken, nullable). */
static void
batch_finished_one (GTask *task, GError *error)
{
  CheckData *data = g_task_get_task_data (task);

  if (error != NULL && data->batch_error == NULL)
    data->batch_error = g_steal_pointer (&error);
  g_clear_error (&error);
  if (--data->pending > 0)
    return;
  if (data->batch_error != NULL)
    {
      g_autoptr(GError) batch_error = g_steal_pointer (&data->batch_error);
      check_failed (task, batch_error);
      return;
    }
  check_summarize (task);
}

static void
size_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree BatchItem *item = user_data;
  g_autoptr(PopbellPop3ListEntry) e = NULL;
  GError *error = NULL;

  e = popbell_pop3_client_list_one_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (e != NULL)
    item->entry->size = e->size;
  else if (g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED))
    g_clear_error (&error);   /* gone meanwhile (another client's DELE): size unknown */
  batch_finished_one (item->task, error);
}

/* One LIST for many new messages (see LIST_ONE_MAX): ~12 octets a message,
 * while "LIST n" each would be as many commands (issue 9: bound the work,
 * not only the sizes). */
static void
sizes_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) listing = NULL;
  GError *error = NULL;
  guint j = 0;

  listing = popbell_pop3_client_list_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (listing == NULL)
    {
      /* No sizes (COMMAND_FAILED): still a right count. */
      if (g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED))
        g_clear_error (&error);
      batch_finished_one (task, error);
      return;
    }
  /* Both in ascending message number: one merge walk. */
  for (guint i = 0; i < data->new_entries->len; i++)
    {
      PopbellUnseenEntry *entry = data->new_entries->pdata[i];

      while (j < listing->len &&
             ((PopbellPop3ListEntry *) listing->pdata[j])->index < entry->index)
        j++;
      if (j < listing->len && ((PopbellPop3ListEntry *) listing->pdata[j])->index == entry->index)
        entry->size = ((PopbellPop3ListEntry *) listing->pdata[j])->size;
    }
  batch_finished_one (task, NULL);
}

static void
headers_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BatchItem *item = user_data;   /* kept in data->headers */
  CheckData *data = g_task_get_task_data (item->task);
  GError *error = NULL;

  item->top = popbell_pop3_client_top_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED))
    {
      /* No TOP on this server, or the message is gone: a count without
       * headers is still right. */
      if (data->note == NULL &&
          !popbell_pop3_client_has_capability (POPBELL_POP3_CLIENT (source), "TOP"))
        data->note = g_strdup (_("The server does not support TOP, so no senders or subjects are shown."));
      g_clear_error (&error);
    }
  batch_finished_one (item->task, error);
}

static void
check_fetch_new (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  PopbellPop3Client *client = task_client (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  guint max = task_checker (task)->max_headers;
  guint first;

  if (data->new_entries->len == 0)
    {
      check_succeeded (task);
      return;
    }

  /* The sizes. Without UIDL the listing was LIST: they are known. */
  data->pending = 1;   /* this function's own, dropped at the end */
  if (data->no_uidl)
    ;
  else if (data->new_entries->len > LIST_ONE_MAX ||
           (guint64) data->new_entries->len * LIST_ONE_OCTETS >
           (guint64) data->count * LIST_ALL_OCTETS_PER_MESSAGE)
    {
      data->pending++;
      popbell_pop3_client_list_async (client, cancellable, sizes_listed, task);
    }
  else
    for (guint i = 0; i < data->new_entries->len; i++)
      {
        BatchItem *item = batch_item_new (task, data->new_entries->pdata[i]);

        data->pending++;
        popbell_pop3_client_list_one_async (client, item->entry->index, cancellable,
                                            size_done, item);
      }

  /* The headers of the newest. */
  data->headers = g_ptr_array_new_with_free_func ((GDestroyNotify) batch_item_free);
  if (data->expire_zero)
    data->note = g_strdup (_("The server deletes messages once they are read (EXPIRE 0), "
                             "so Popbell counts new mail without reading any headers."));
  else
    {
      first = data->new_entries->len > max ? data->new_entries->len - max : 0;
      for (guint i = first; i < data->new_entries->len; i++)
        {
          BatchItem *item = batch_item_new (task, data->new_entries->pdata[i]);

          g_ptr_array_add (data->headers, item);
          data->pending++;
          popbell_pop3_client_top_async (client, item->entry->index, 0, cancellable,
                                         headers_done, item);
        }
    }
  batch_finished_one (task, NULL);
}

/* Every answer is in: the summaries, each with its size. */
static void
check_summarize (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  data->summaries = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  for (guint i = 0; i < data->headers->len; i++)
    {
      BatchItem *item = data->headers->pdata[i];
      PopbellMailSummary *summary;
      GDateTime *date;

      if (item->top == NULL)
        continue;
      summary = popbell_mail_summary_new_from_headers (task_account_name (task), item->entry->uid,
                                                       item->entry->index, item->entry->size,
                                                       item->top);
      date = popbell_mail_summary_get_date (summary);
      g_free (item->entry->from);
      item->entry->from = g_strdup (popbell_mail_summary_get_from (summary));
      g_free (item->entry->subject);
      item->entry->subject = g_strdup (popbell_mail_summary_get_subject (summary));
      g_free (item->entry->date);
      item->entry->date = date != NULL ? g_date_time_format_iso8601 (date) : NULL;
      item->entry->has_headers = TRUE;
      g_ptr_array_add (data->summaries, summary);
    }
  check_succeeded (task);
}

static gint
compare_summaries_by_index (gconstpointer a, gconstpointer b)
{
  guint x = popbell_mail_summary_get_index (*(PopbellMailSummary **) a);
  guint y = popbell_mail_summary_get_index (*(PopbellMailSummary **) b);

  return (x > y) - (x < y);
}

/* --- end ----------------------------------------------------------------- */

static void
apply_success (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  PopbellAccountState *state = task_state (task);
  g_autoptr(GHashTable) current = NULL;

  /* Unseen entries whose message left the server leave the list. */
  if (data->listing != NULL && !data->no_uidl)
    {
      current = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < data->listing->len; i++)
        g_hash_table_add (current, ((PopbellPop3ListEntry *) data->listing->pdata[i])->uid);
      for (guint i = state->unseen->len; i-- > 0;)
        {
          PopbellUnseenEntry *entry = state->unseen->pdata[i];

          if (!g_hash_table_contains (current, entry->uid))
            g_ptr_array_remove_index (state->unseen, i);
        }
      g_hash_table_remove_all (state->seen);
      for (guint i = 0; i < data->listing->len; i++)
        g_hash_table_add (state->seen,
                          g_strdup (((PopbellPop3ListEntry *) data->listing->pdata[i])->uid));
    }
  else if (data->listing != NULL && data->no_uidl)
    {
      for (guint i = state->unseen->len; i-- > 0;)
        {
          PopbellUnseenEntry *entry = state->unseen->pdata[i];

          if (entry->index > data->count)
            g_ptr_array_remove_index (state->unseen, i);
        }
      g_hash_table_remove_all (state->seen);
    }

  if (data->first_check)
    g_ptr_array_set_size (state->unseen, 0);
  else if (data->new_entries != NULL)
    for (guint i = 0; i < data->new_entries->len; i++)
      {
        PopbellUnseenEntry *entry = popbell_unseen_entry_copy (data->new_entries->pdata[i]);

        /* Issue 7: "announced" only once the caller handed the news on
         * (popbell_engine_mark_announced()); a caller that announces by
         * printing the result (--check-once) counts as done. */
        entry->announced = !(data->flags & POPBELL_SESSION_DEFER_ANNOUNCE);
        g_ptr_array_add (state->unseen, entry);
      }

  if (data->listing != NULL)
    {
      g_clear_pointer (&state->last_uid, g_free);
      if (!data->no_uidl && data->listing->len > 0)
        state->last_uid = g_strdup (((PopbellPop3ListEntry *)
                                     data->listing->pdata[data->listing->len - 1])->uid);
    }
  state->last_count = data->count;
  state->last_size = data->size;
  state->no_uidl = data->no_uidl;
  g_free (state->mailbox_id);
  state->mailbox_id = popbell_session_dup_mailbox_id (data->account);
  state->last_success = now_us ();
  state->backoff_step = 0;
  /* A session that pipelined (not the retry without it) and went well
   * ends a run of strikes. */
  if (!data->retried && !state->pipelining_broken)
    state->pipelining_strikes = 0;
}

static void
check_succeeded (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  PopbellAccountState *state = task_state (task);
  guint n_new;

  if (data->summaries != NULL)
    g_ptr_array_sort (data->summaries, compare_summaries_by_index);

  apply_success (task);
  n_new = data->first_check || data->new_entries == NULL ? 0 : data->new_entries->len;
  data->result = popbell_check_result_new_ok (task_account_name (task), data->first_check,
                                              data->count, data->size, n_new,
                                              state->unseen->len, data->summaries,
                                              data->note, NULL);
  popbell_session_close_async (data->session, TRUE, NULL, check_closed, task);
}

static void
check_failed (GTask *task, const GError *error)
{
  CheckData *data = g_task_get_task_data (task);
  PopbellAccountState *state = popbell_session_get_state (data->session);
  g_autoptr(GError) translated = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Silent: no result; still save what the attempt taught (login time). */
      popbell_session_close_async (data->session, FALSE, NULL, check_closed, task);
      return;
    }

  if (g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING) && state != NULL)
    {
      /* One stall is no proof (issue 7): count it, and mark pipelining
       * broken for later sessions only on repeated evidence (the mark
       * expires, popbell-session.c). Redo this check at once without
       * pipelining unless that would break the server's LOGIN-DELAY. */
      state->pipelining_strikes++;
      if (state->pipelining_strikes >= POPBELL_PIPELINING_STRIKES && !state->pipelining_broken)
        {
          state->pipelining_broken = TRUE;
          state->pipelining_broken_at = now_us ();
        }
      if (!data->retried && state->login_delay == 0)
        {
          g_debug ("account %s: pipelining misbehaved; retrying without it",
                   task_account_name (task));
          data->retried = TRUE;
          data->retry_pending = TRUE;
          popbell_session_close_async (data->session, FALSE, NULL, check_closed, task);
          return;
        }
    }

  translated = popbell_error_from_pop3 (error, task_account_name (task));
  data->result = popbell_check_result_new_error (task_account_name (task), translated,
                                                 popbell_session_get_retry_after (data->session),
                                                 state != NULL ? state->unseen->len : 0, NULL);
  popbell_session_close_async (data->session, FALSE, NULL, check_closed, task);
}

static void
check_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr(GTask) owned = task;   /* the chain's reference ends here (or is passed on) */
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  PopbellCheckOutcome *outcome;
  PopbellAccountState *state;

  if (!popbell_session_close_finish (data->session, result, &error))
    {
      g_debug ("%s", error->message);
      g_clear_error (&data->save_error);
      data->save_error = g_steal_pointer (&error);
    }

  if (data->retry_pending)
    {
      data->retry_pending = FALSE;
      if (g_task_return_error_if_cancelled (task))
        return;
      /* The pipelining retry: a fresh session reads the flag from the file. */
      g_clear_pointer (&data->listing, g_ptr_array_unref);
      g_clear_pointer (&data->new_entries, g_ptr_array_unref);
      g_clear_pointer (&data->summaries, g_ptr_array_unref);
      g_clear_pointer (&data->headers, g_ptr_array_unref);
      g_clear_pointer (&data->note, g_free);
      data->no_uidl = data->first_check = data->expire_zero = FALSE;
      check_open (g_steal_pointer (&owned));
      return;
    }
  if (data->result == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
      return;
    }

  state = popbell_session_get_state (data->session);
  outcome = g_new0 (PopbellCheckOutcome, 1);
  outcome->result = popbell_check_result_ref (data->result);
  outcome->state = state != NULL ? popbell_account_state_copy (state) : NULL;
  outcome->keyring_unavailable = popbell_session_is_keyring_unavailable (data->session);
  outcome->contacted = popbell_session_get_contacted (data->session);
  outcome->certificate_sha256 = g_strdup (popbell_session_get_certificate_sha256 (data->session));
  outcome->save_error = g_steal_pointer (&data->save_error);
  g_task_return_pointer (task, outcome, (GDestroyNotify) popbell_check_outcome_free);
}

PopbellCheckOutcome *
popbell_checker_check_finish (PopbellChecker *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
