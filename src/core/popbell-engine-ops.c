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

/* A queued operation: started with the session free (entry->running is
 * then its cancellable); it ends through op_close() or op_fail(), whose
 * op_finish() frees the session for the next one. */
typedef void (*OpStart) (GTask *task, Entry *entry);

/* The task data of a queued operation. Only names, never an Entry: the
 * account may be removed while the operation runs. */
typedef struct {
  gchar          *name;        /* (owned) account name */
  OpStart         start;
  gchar          *uid;         /* (owned) (nullable) NULL: the newest message */
  gboolean        full;
  gboolean        complete;    /* the fetched bytes are the whole message */
  gsize           max_size;
  PopbellSession *session;     /* (owned) (nullable) until opened */
  guint           index;
  guint64         size;
  GBytes         *raw;         /* (owned) (nullable) the fetched message */
  GError         *error;       /* (owned) (nullable) the first failure */
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

void
popbell_engine_entry_start_waiting (Entry *entry)
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
  Entry *entry = popbell_engine_lookup_entry (self, name);

  if (entry == NULL)
    return;
  g_clear_object (&entry->running);
  /* Marks made while the session was busy could not be saved then. */
  popbell_engine_entry_flush_acks (entry);
  if (entry->check_again)
    {
      entry->check_again = FALSE;
      popbell_engine_entry_run_check (entry);
    }
  popbell_engine_entry_start_waiting (entry);
}

/* A task for a user operation on one account's session, with its OpData
 * (copies of @account_name and @uid: the caller's strings may not live
 * until the operation starts). */
static GTask *
op_task_new (PopbellEngine       *self,
             gpointer             source_tag,
             const gchar         *account_name,
             const gchar         *uid,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  OpData *op = g_new0 (OpData, 1);

  g_task_set_source_tag (task, source_tag);
  op->name = g_strdup (account_name);
  op->uid = g_strdup (uid);
  g_task_set_task_data (task, op, (GDestroyNotify) op_data_free);
  return task;
}

static void
op_enqueue (PopbellEngine *self, GTask *task, const gchar *account_name, OpStart start)
{
  Entry *entry = popbell_engine_lookup_entry (self, account_name);
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
  popbell_engine_entry_start_waiting (entry);
}

static GCancellable *
op_cancellable (GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  return cancellable != NULL ? cancellable
                             : g_object_get_data (G_OBJECT (task), "popbell-op-cancellable");
}

/* @message: (transfer full) (nullable) the parsed message of a fetch. */
static void
op_return (GTask *task, PopbellMessage *message)
{
  PopbellEngine *self = g_task_get_source_object (task);
  OpData *op = g_task_get_task_data (task);
  g_autofree gchar *name = g_strdup (op->name);

  if (op->error != NULL)
    g_task_return_error (task, popbell_error_from_pop3 (op->error, name));
  else if (message != NULL)
    g_task_return_pointer (task, message, (GDestroyNotify) popbell_message_unref);
  else
    g_task_return_boolean (task, TRUE);
  g_object_ref (self);
  g_object_unref (task);
  op_release (self, name);
  g_object_unref (self);
}

static void
op_parsed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* No cancellable was given: parsing always gives a message. */
  op_return (user_data, popbell_message_new_from_bytes_finish (result, NULL));
}

static void
op_finish (GTask *task)
{
  OpData *op = g_task_get_task_data (task);

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
  GTask *task = user_data;
  OpData *op = g_task_get_task_data (task);
  PopbellEngine *self = g_task_get_source_object (task);
  Entry *entry = popbell_engine_lookup_entry (self, op->name);
  g_autoptr(GError) error = NULL;

  if (!popbell_session_close_finish (op->session, result, &error))
    g_debug ("%s", error->message);
  if (entry != NULL && popbell_session_get_state (op->session) != NULL)
    {
      popbell_account_state_free (entry->state);
      entry->state = popbell_account_state_copy (popbell_session_get_state (op->session));
      popbell_engine_apply_pending_acks (entry, entry->state);
      popbell_engine_emit_status_changed (entry);
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
  Entry *entry = popbell_engine_lookup_entry (self, op->name);
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

  task = op_task_new (self, popbell_engine_fetch_message_async, account_name, uid,
                      cancellable, callback, user_data);
  op = g_task_get_task_data (task);
  op->full = full;
  op->max_size = max_size > 0 ? max_size : POPBELL_POP3_MAX_TOP_SIZE;
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

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL);
  g_return_if_fail (uid != NULL);

  task = op_task_new (self, popbell_engine_delete_message_async, account_name, uid,
                      cancellable, callback, user_data);
  op_enqueue (self, task, ((OpData *) g_task_get_task_data (task))->name, delete_start);
}

gboolean
popbell_engine_delete_message_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

