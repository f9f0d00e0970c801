/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "popbell-engine-private.h"

/* Operations the user asks for that need the account's own session
 * (preview fetch, delete): queued per account so they never overlap a
 * check or each other (one session per account, SPEC §5). */

/* Body lines a preview asks for with TOP before the user wants it all. */
#define PREVIEW_TOP_LINES 200

/* --- operations that need the account's session (preview, delete) ------------- */

typedef struct _EngineOp EngineOp;

/* A queued operation, started when the runner's session is free; it ends
 * through op_close() or op_fail(), whose op_finish() frees the session. */
typedef void (*OpStart) (GTask *task);
/* The message was found on the server (op->index). */
typedef void (*OpLocated) (GTask *task);

/* The task data of a queued operation. */
struct _EngineOp
{
  PopbellAccountRunner *runner;      /* (owned) */
  GCancellable         *session;     /* (owned) (nullable) the runner's session while running */
  OpStart               start;
  OpLocated             located;     /* what to do with the message once found */
  gchar                *uid;         /* (owned) (nullable) NULL: the newest message */
  gboolean              full;
  gboolean              complete;    /* the fetched bytes are the whole message */
  gsize                 max_size;
  PopbellSession       *pop3;        /* (owned) (nullable) until opened */
  guint                 index;
  guint64               size;
  GBytes               *raw;         /* (owned) (nullable) the fetched message */
  GError               *error;       /* (owned) (nullable) the first failure */
};

static void
engine_op_free (EngineOp *op)
{
  g_clear_object (&op->runner);
  g_clear_object (&op->session);
  g_free (op->uid);
  g_clear_object (&op->pop3);
  g_clear_pointer (&op->raw, g_bytes_unref);
  g_clear_error (&op->error);
  g_free (op);
}

static const gchar *
op_name (EngineOp *op)
{
  return popbell_account_runner_get_name (op->runner);
}

void
popbell_engine_runner_next (PopbellAccountRunner *runner)
{
  g_autoptr(GTask) task = NULL;
  EngineOp *op;

  if (popbell_account_runner_get_engine (runner) == NULL ||
      popbell_account_runner_is_busy (runner))
    return;
  if (popbell_account_runner_take_check_again (runner))
    {
      popbell_engine_runner_run_check (runner);
      if (popbell_account_runner_is_busy (runner))
        return;
    }
  task = popbell_account_runner_pop_op (runner);
  if (task == NULL)
    return;
  op = g_task_get_task_data (task);
  /* The session's own cancellable, chained to the caller's (STYLE §10). */
  op->session = g_object_ref (popbell_account_runner_begin_session (runner,
                                                                    g_task_get_cancellable (task)));
  op->start (g_steal_pointer (&task));
}

/* A task for a user operation on one account's session, with its EngineOp
 * (a copy of @uid: the caller's string may not live until it starts).
 * NULL (the task answered) for an unknown account. */
static GTask *
op_task_new (PopbellEngine       *self,
             gpointer             source_tag,
             const gchar         *account_name,
             const gchar         *uid,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  PopbellAccountRunner *runner = popbell_engine_lookup_runner (self, account_name);
  EngineOp *op;

  g_task_set_source_tag (task, source_tag);
  if (runner == NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("There is no account “%s”."), account_name);
      return NULL;
    }
  op = g_new0 (EngineOp, 1);
  op->runner = g_object_ref (runner);
  op->uid = g_strdup (uid);
  g_task_set_task_data (task, op, (GDestroyNotify) engine_op_free);
  return g_steal_pointer (&task);
}

static void
op_enqueue (GTask *task, OpStart start)
{
  EngineOp *op = g_task_get_task_data (task);
  PopbellAccountRunner *runner = op->runner;

  op->start = start;
  popbell_account_runner_push_op (runner, task);
  popbell_engine_runner_next (runner);
}

/* Takes @task_in. @message: (transfer full) (nullable) the parsed message
 * of a fetch. */
static void
op_return (GTask *task_in, PopbellMessage *message)
{
  g_autoptr(GTask) task = task_in;
  EngineOp *op = g_task_get_task_data (task);
  g_autoptr(PopbellAccountRunner) runner = g_object_ref (op->runner);

  if (op->error != NULL)
    g_task_return_error (task, popbell_error_from_pop3 (op->error, op_name (op)));
  else if (message != NULL)
    g_task_return_pointer (task, message, (GDestroyNotify) popbell_message_unref);
  else
    g_task_return_boolean (task, TRUE);
  g_clear_object (&task);
  popbell_engine_runner_next (runner);
  if (popbell_account_runner_get_engine (runner) != NULL)
    popbell_engine_session_ended (popbell_account_runner_get_engine (runner));
}

static void
op_parsed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* No cancellable was given: parsing always gives a message. */
  op_return (user_data, popbell_message_new_from_bytes_finish (result, NULL));
}

/* Takes @task. */
static void
op_finish (GTask *task)
{
  EngineOp *op = g_task_get_task_data (task);
  g_autoptr(GCancellable) session = g_steal_pointer (&op->session);

  /* The session is free before the caller hears back: what its callback
   * asks for next queues behind nothing. */
  popbell_account_runner_end_session (op->runner, session);
  if (op->error == NULL && op->raw != NULL)
    {
      /* A whole message can be megabytes of MIME and HTML: parsed in a
       * worker thread, never on the main loop. */
      popbell_message_new_from_bytes_async (op->raw, op->uid != NULL ? op->uid : "", op->size,
                                            op->complete, NULL, op_parsed, task);
      return;
    }
  op_return (task, NULL);
}

static void
op_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  PopbellAccountState *state = popbell_session_get_state (op->pop3);
  gboolean saved = popbell_session_close_finish (op->pop3, result, &error);

  if (popbell_account_runner_get_engine (op->runner) != NULL && state != NULL)
    {
      popbell_account_runner_take_state (op->runner, popbell_account_state_copy (state));
      popbell_account_runner_note_save (op->runner, saved ? NULL : error);
      popbell_engine_emit_status_changed (op->runner);
    }
  op_finish (g_steal_pointer (&task));
}

static void
op_close (GTask *task, gboolean quit)
{
  EngineOp *op = g_task_get_task_data (task);

  popbell_session_close_async (op->pop3, quit, NULL, op_closed, task);
}

static void
op_fail (GTask *task, GError *error)
{
  EngineOp *op = g_task_get_task_data (task);

  if (op->error == NULL)
    op->error = error;
  else
    g_error_free (error);
  op_close (task, FALSE);
}

/* Finding a message by UID: the unseen list's index is a good guess
 * ("UIDL n" confirms it); otherwise the full listing. */
static void
locate_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  g_autoptr(GPtrArray) listing = NULL;
  GError *error = NULL;

  listing = popbell_pop3_client_uidl_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (listing == NULL)
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  for (guint i = 0; i < listing->len; i++)
    {
      PopbellPop3ListEntry *e = listing->pdata[i];

      if (g_strcmp0 (e->uid, op->uid) == 0)
        {
          op->index = e->index;
          op->located (g_steal_pointer (&task));
          return;
        }
    }
  op_fail (g_steal_pointer (&task),
           g_error_new (POPBELL_ERROR, POPBELL_ERROR_SERVER,
                        _("The message is no longer on the server of account “%s”."),
                        op_name (op)));
}

static void
locate_guessed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;
  GError *error = NULL;

  entry = popbell_pop3_client_uidl_one_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (entry != NULL && g_strcmp0 (entry->uid, op->uid) == 0)
    {
      op->located (g_steal_pointer (&task));
      return;
    }
  if (error != NULL && !g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED))
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  g_clear_error (&error);
  popbell_pop3_client_uidl_async (POPBELL_POP3_CLIENT (source), op->session,
                                  locate_listed, g_steal_pointer (&task));
}

static void
op_locate (GTask *task)
{
  EngineOp *op = g_task_get_task_data (task);
  PopbellPop3Client *client = popbell_session_get_client (op->pop3);
  PopbellUnseenEntry *hint =
    popbell_account_state_find_unseen (popbell_account_runner_get_state (op->runner), op->uid);

  if (hint != NULL && hint->index > 0)
    {
      op->index = hint->index;
      popbell_pop3_client_uidl_one_async (client, hint->index, op->session, locate_guessed, task);
    }
  else
    popbell_pop3_client_uidl_async (client, op->session, locate_listed, task);
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
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  GError *error = NULL;

  op->raw = op->full ? popbell_pop3_client_retr_finish (POPBELL_POP3_CLIENT (source), result, &error)
                     : popbell_pop3_client_top_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (op->raw == NULL)
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  op->complete = op->full || top_is_whole_message (op->raw, PREVIEW_TOP_LINES);
  op_close (g_steal_pointer (&task), TRUE);
}

static void
fetch_sized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;
  GError *error = NULL;

  entry = popbell_pop3_client_list_one_finish (POPBELL_POP3_CLIENT (source), result, &error);
  if (entry == NULL)
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  op->size = entry->size;
  if (op->full)
    popbell_pop3_client_retr_async (POPBELL_POP3_CLIENT (source), op->index, op->max_size,
                                    op->session, fetch_got, g_steal_pointer (&task));
  else
    popbell_pop3_client_top_async (POPBELL_POP3_CLIENT (source), op->index, PREVIEW_TOP_LINES,
                                   op->session, fetch_got, g_steal_pointer (&task));
}

static void
fetch_located (GTask *task)
{
  EngineOp *op = g_task_get_task_data (task);

  popbell_pop3_client_list_one_async (popbell_session_get_client (op->pop3), op->index,
                                      op->session, fetch_sized, task);
}

/* Pipelined with the LIST of fetch_located(): learns the UID of the
 * newest message. Holds the task until it ran, like every callback. */
static void
fetch_newest_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;

  entry = popbell_pop3_client_uidl_one_finish (POPBELL_POP3_CLIENT (source), result, NULL);
  if (op->uid == NULL)
    op->uid = g_strdup (entry != NULL ? entry->uid : "");
}

static void
fetch_stat (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  guint64 size;
  GError *error = NULL;

  if (!popbell_pop3_client_stat_finish (POPBELL_POP3_CLIENT (source), result, &op->index,
                                        &size, &error))
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  if (op->index == 0)
    {
      op_fail (g_steal_pointer (&task),
               g_error_new (POPBELL_ERROR, POPBELL_ERROR_SERVER,
                            _("There are no messages on the server of account “%s”."),
                            op_name (op)));
      return;
    }
  popbell_pop3_client_uidl_one_async (POPBELL_POP3_CLIENT (source), op->index, op->session,
                                      fetch_newest_uid, g_object_ref (task));
  fetch_located (g_steal_pointer (&task));
}

static void
op_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  PopbellPop3Client *client;
  GError *error = NULL;

  if (!popbell_session_open_finish (op->pop3, result, &error))
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  if (popbell_account_runner_get_engine (op->runner) == NULL)
    {
      op_fail (g_steal_pointer (&task), g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Removed"));
      return;
    }

  client = popbell_session_get_client (op->pop3);
  if (popbell_pop3_client_get_expire (client) == 0 && op->located == fetch_located)
    {
      op_fail (g_steal_pointer (&task),
               g_error_new (POPBELL_ERROR, POPBELL_ERROR_SERVER,
                            _("The server of account “%s” deletes messages once "
                              "they are read (EXPIRE 0); open them in your mail client."),
                            op_name (op)));
      return;
    }
  if (op->uid == NULL)
    popbell_pop3_client_stat_async (client, op->session, fetch_stat, g_steal_pointer (&task));
  else
    op_locate (g_steal_pointer (&task));
}

static void
op_open (GTask *task)
{
  EngineOp *op = g_task_get_task_data (task);
  PopbellEngine *self = g_task_get_source_object (task);

  op->pop3 = popbell_session_new (self->checker, popbell_account_runner_get_account (op->runner),
                                  POPBELL_SESSION_URGENT);
  popbell_session_set_unsaved_state (op->pop3, popbell_account_runner_get_unsaved_state (op->runner));
  popbell_session_open_async (op->pop3, op->session, op_opened, task);
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
  EngineOp *op;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL);

  task = op_task_new (self, popbell_engine_fetch_message_async, account_name, uid,
                      cancellable, callback, user_data);
  if (task == NULL)
    return;
  op = g_task_get_task_data (task);
  op->full = full;
  op->max_size = max_size > 0 ? max_size : POPBELL_POP3_MAX_TOP_SIZE;
  op->located = fetch_located;
  op_enqueue (task, op_open);
}

PopbellMessage *
popbell_engine_fetch_message_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* delete */

static void
delete_quit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  PopbellAccountState *state = popbell_session_get_state (op->pop3);
  GError *error = NULL;

  /* RFC 1939 §6: the deletion happens in the UPDATE state, i.e. only if
   * QUIT succeeds; anything else means "not deleted". */
  if (!popbell_pop3_client_quit_finish (POPBELL_POP3_CLIENT (source), result, &error))
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }

  popbell_account_state_remove_unseen (state, op->uid);
  g_hash_table_remove (state->seen, op->uid);
  /* The counts drop at once (issue 8; the menu must not say "0 on
   * server"). The size is not known: leave it, so STAT figures cannot
   * match by chance, and forget the last UID, so the next check lists. */
  if (state->last_count > 0)
    state->last_count--;
  g_clear_pointer (&state->last_uid, g_free);
  op_close (g_steal_pointer (&task), FALSE);
}

static void
delete_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  EngineOp *op = g_task_get_task_data (task);
  GError *error = NULL;

  if (!popbell_pop3_client_dele_finish (POPBELL_POP3_CLIENT (source), result, &error))
    {
      op_fail (g_steal_pointer (&task), error);
      return;
    }
  popbell_pop3_client_quit_async (POPBELL_POP3_CLIENT (source), op->session,
                                  delete_quit, g_steal_pointer (&task));
}

static void
delete_located (GTask *task)
{
  EngineOp *op = g_task_get_task_data (task);

  popbell_pop3_client_dele_async (popbell_session_get_client (op->pop3), op->index,
                                  op->session, delete_done, task);
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

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL);
  g_return_if_fail (uid != NULL);

  task = op_task_new (self, popbell_engine_delete_message_async, account_name, uid,
                      cancellable, callback, user_data);
  if (task == NULL)
    return;
  ((EngineOp *) g_task_get_task_data (task))->located = delete_located;
  op_enqueue (task, op_open);
}

gboolean
popbell_engine_delete_message_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
