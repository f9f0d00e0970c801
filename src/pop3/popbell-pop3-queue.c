/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The transport and the command queue of a POP3 session.
 *
 * Invariants of the queue (self->pending, self->sent, self->barrier):
 *
 *  - An operation (Op) is in exactly one place: pending (not started), the
 *    barrier (CONNECT or LOGIN, running alone as a series of commands), or
 *    owned by its command (Cmd) in sent (written, answer not yet read).
 *  - barrier != NULL ⇒ sent holds only the barrier's commands; nothing else
 *    starts until the barrier ends (never pipelined across STLS or login).
 *  - Answers arrive in the order of sent: the head of sent owns the line
 *    being read. Octets beyond the last expected answer are an error (RFC
 *    1939 has no unsolicited answers), except after STLS (RFC 2595 §4).
 *  - Without pipelining at most one command is in sent. With it, at most
 *    PIPELINE_MAX_COMMANDS commands and PIPELINE_MAX_BYTES octets, and QUIT
 *    ends a batch.
 *  - Commands queued in one main loop turn go out in one write
 *    (request_flush); one write at a time (out_writing).
 *  - An Op whose task is NULL was answered early (cancelled): its answer is
 *    still read, and dropped.
 *  - Any I/O or protocol failure (pop3_queue_fail_all) disconnects first,
 *    then answers every outstanding operation; callbacks of the old
 *    connection see a new generation and drop out.
 */
#include "popbell-pop3-client-private.h"

#include <string.h>

/* Pipelining window (RFC 2449 §6.6 leaves it to the client; Camel bounds
 * the bytes outstanding, mpop the commands): never more than this many
 * commands, or octets of commands, written but unanswered. */
#define PIPELINE_MAX_COMMANDS 32
#define PIPELINE_MAX_BYTES    1024

static void cancel_hook_release (CancelHook *hook);
static void send_cmd (PopbellPop3Client *self, Cmd *cmd);
static void request_flush (PopbellPop3Client *self);

/* --- secrets ------------------------------------------------------------- */

/* A volatile pointer so that the compiler cannot drop the wipe as a dead
 * store before the free. */
void
pop3_secret_wipe (gpointer data, gsize len)
{
  for (volatile guint8 *p = data; len > 0; len--, p++)
    *p = 0;
}

void
pop3_secret_free (gchar *secret)
{
  if (secret == NULL)
    return;
  pop3_secret_wipe (secret, strlen (secret));
  g_free (secret);
}

/* @a then @b in one exact-size block. Not g_strdup_printf(): vasprintf
 * builds the string in a scratch block it frees without a wipe. */
gchar *
pop3_secret_concat (const gchar *a, const gchar *b)
{
  gsize la = strlen (a), lb = strlen (b);
  gchar *out = g_malloc (la + lb + 1);

  memcpy (out, a, la);
  memcpy (out + la, b, lb);
  out[la + lb] = '\0';
  return out;
}

/* Append to the output buffer without ever letting GString realloc() it:
 * a realloc leaves the old block, secrets included, in freed heap. */
void
pop3_queue_out_append (PopbellPop3Client *self, const gchar *data, gsize len)
{
  GString *out = self->out_pending;

  if (out->len + len + 1 > out->allocated_len)
    {
      GString *bigger = g_string_sized_new (MAX (2 * out->allocated_len, out->len + len + 64));

      g_string_append_len (bigger, out->str, out->len);
      pop3_secret_wipe (out->str, out->allocated_len);
      g_string_free (out, TRUE);
      self->out_pending = out = bigger;
    }
  g_string_append_len (out, data, len);
}

/* Empty the output buffer, wiping what it held. */
void
pop3_queue_out_clear (PopbellPop3Client *self)
{
  pop3_secret_wipe (self->out_pending->str, self->out_pending->len);
  g_string_truncate (self->out_pending, 0);
}

/* --- I/O call bookkeeping ------------------------------------------------- */

IoCall *
pop3_io_call_new (PopbellPop3Client *self)
{
  IoCall *call = g_new (IoCall, 1);

  call->self = g_object_ref (self);
  call->generation = self->generation;
  return call;
}

/* Frees @call; returns the client (a ref the caller owns) and sets *stale
 * when the connection it belonged to is gone. */
PopbellPop3Client *
pop3_io_call_end (IoCall *call, gboolean *stale)
{
  PopbellPop3Client *self = call->self;

  *stale = call->generation != self->generation;
  g_free (call);
  return self;
}

/* --- ops and commands ------------------------------------------------------ */

void
pop3_op_free (Op *op)
{
  if (op->cancel_hook != NULL)
    cancel_hook_release (op->cancel_hook);
  g_clear_object (&op->task);
  g_clear_pointer (&op->entries, g_ptr_array_unref);
  g_clear_pointer (&op->data, g_byte_array_unref);
  g_clear_error (&op->data_error);
  g_free (op->username);
  pop3_secret_free (op->password);
  pop3_secret_free (op->sasl_response);
  g_free (op->oauth2_status);
  g_clear_error (&op->auth_error);
  g_clear_error (&op->user_error);
  g_clear_pointer (&op->new_capa, popbell_pop3_capabilities_free);
  g_free (op);
}

void
pop3_cmd_free (Cmd *cmd)
{
  pop3_secret_free (cmd->line);
  g_free (cmd->trace);
  g_clear_pointer (&cmd->reply, popbell_pop3_reply_free);
  g_free (cmd);
}

/* Take the op's task (NULL if already answered) and free the op. */
GTask *
pop3_op_finish (Op *op)
{
  GTask *task = g_steal_pointer (&op->task);

  pop3_op_free (op);
  return task;
}

void
pop3_op_return_error (Op *op, GError *error)
{
  g_autoptr(GTask) task = pop3_op_finish (op);

  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

void
pop3_op_return_boolean (Op *op)
{
  g_autoptr(GTask) task = pop3_op_finish (op);

  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

gboolean
pop3_queue_pipelining_active (PopbellPop3Client *self)
{
  return self->pipelining_enabled && self->state == STATE_TRANSACTION &&
         popbell_pop3_capabilities_has (self->capa, "PIPELINING");
}

/* An answer that makes no sense where it came: if a pipelined batch was
 * written this is most likely the server's pipelining going wrong. */
GError *
pop3_queue_out_of_step_error (PopbellPop3Client *self, GError *error)
{
  if ((pop3_queue_pipelining_active (self) || self->writing_ahead) && self->batch_written &&
      error->domain == POPBELL_POP3_ERROR && error->code == POPBELL_POP3_ERROR_PROTOCOL)
    {
      error->code = POPBELL_POP3_ERROR_PIPELINING;
      g_prefix_error (&error, "Pipelined answers out of step: ");
    }
  return error;
}

GError *
pop3_command_error (Cmd *cmd, PopbellPop3Error fallback)
{
  const gchar *text = *cmd->reply->text != '\0' ? cmd->reply->text : "no reason given";
  PopbellPop3Error code = popbell_pop3_resp_code_to_error (cmd->reply->code, fallback);
  g_autofree gchar *name = NULL;

  if (cmd->line == NULL)
    return g_error_new (POPBELL_POP3_ERROR, code, "The server %s refused the connection: %s",
                        cmd->op->client->host, text);
  name = g_strndup (cmd->line, strcspn (cmd->line, " "));
  return g_error_new (POPBELL_POP3_ERROR, code, "The server refused %s: %s", name, text);
}

/* --- timers ---------------------------------------------------------------- */

guint
pop3_queue_add_timeout (PopbellPop3Client *self, guint seconds, GSourceFunc func)
{
  g_autoptr(GSource) source = g_timeout_source_new_seconds (seconds);
  guint id;

  g_source_set_callback (source, func, self, NULL);
  g_source_set_static_name (source, "popbell-pop3-timeout");
  id = g_source_attach (source, self->context);
  return id;
}

void
pop3_queue_clear_source (PopbellPop3Client *self, guint *id)
{
  if (*id != 0)
    {
      GSource *source = g_main_context_find_source_by_id (self->context, *id);
      if (source != NULL)
        g_source_destroy (source);
      *id = 0;
    }
}

/* Plain text expected, the greeting not read yet. */
gboolean
pop3_queue_awaits_greeting (PopbellPop3Client *self)
{
  Cmd *head = g_queue_peek_head (&self->sent);

  return self->state == STATE_CONNECTING && head != NULL && head->line == NULL &&
         !self->encrypted;
}

/* TRUE when @data (or, with NULL, what the stream holds unread) starts
 * like a TLS record (RFC 8446 §5.1: handshake 0x16 or alert 0x15, then
 * version 0x03 xx): where a POP3 greeting should be, the server speaks
 * TLS. */
gboolean
pop3_queue_tls_mismatch (PopbellPop3Client *self, const gchar *data, gsize len)
{
  if (data == NULL && self->in != NULL)
    data = popbell_pop3_stream_peek (self->in, &len);
  return data != NULL && len >= 2 && ((guchar) data[0] == 0x16 || (guchar) data[0] == 0x15) &&
         (guchar) data[1] == 0x03;
}

GError *
pop3_queue_tls_mismatch_error (PopbellPop3Client *self)
{
  return g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_MISMATCH,
                      "The server %s speaks TLS on port %u where a plain-text greeting was "
                      "expected (use security=tls, usually port 995)", self->host, self->port);
}

static gboolean
wait_timeout_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;
  g_autoptr(PopbellPop3Client) keep = g_object_ref (self);
  GError *error;

  self->read_timeout_id = 0;
  if (self->state == STATE_CONNECTING && self->socket_conn == NULL)
    error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                         "Could not connect to %s port %u within %u seconds",
                         self->host, self->port, self->timeout);
  else if (pop3_queue_awaits_greeting (self) && pop3_queue_tls_mismatch (self, NULL, 0))
    error = pop3_queue_tls_mismatch_error (self);
  else if (pop3_queue_awaits_greeting (self) && self->port == 995)
    error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_MISMATCH,
                         "The server %s sent no greeting within %u seconds; port 995 "
                         "expects TLS first (security=tls)", self->host, self->timeout);
  else if ((pop3_queue_pipelining_active (self) && g_queue_get_length (&self->sent) > 1) ||
           (self->writing_ahead && self->batch_written && self->state != STATE_TRANSACTION))
    /* A command written ahead with others before login went unanswered:
     * most likely the server drops what comes with the login (SPEC §5:
     * detected and remembered, as pipelining that misbehaves). */
    error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING,
                         "The server stopped answering pipelined commands "
                         "(no answer within %u seconds)", self->timeout);
  else
    error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                         "The server did not answer within %u seconds", self->timeout);
  pop3_queue_fail_all (self, error);
  return G_SOURCE_REMOVE;
}

static gboolean
write_timeout_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;
  g_autoptr(PopbellPop3Client) keep = g_object_ref (self);

  self->write_timeout_id = 0;
  pop3_queue_fail_all (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                                          "Could not send to the server within %u seconds",
                               self->timeout));
  return G_SOURCE_REMOVE;
}

static gboolean
session_timeout_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;
  g_autoptr(PopbellPop3Client) keep = g_object_ref (self);

  self->session_timeout_id = 0;
  pop3_queue_fail_all (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                                          "The session took longer than %u seconds",
                               self->session_timeout));
  return G_SOURCE_REMOVE;
}

/* The whole session (from connect) runs under this timer. */
void
pop3_queue_start_session_timer (PopbellPop3Client *self)
{
  if (self->session_timeout > 0)
    self->session_timeout_id = pop3_queue_add_timeout (self, self->session_timeout,
                                                       session_timeout_cb);
}

/* Every wait for the server (connect, handshake, an answer line) runs
 * under this timer. */
void
pop3_queue_arm_wait_timer (PopbellPop3Client *self)
{
  pop3_queue_clear_source (self, &self->read_timeout_id);
  if (self->timeout > 0)
    self->read_timeout_id = pop3_queue_add_timeout (self, self->timeout, wait_timeout_cb);
}

/* --- connection teardown --------------------------------------------------- */

void
pop3_queue_disconnect (PopbellPop3Client *self)
{
  self->generation++;
  pop3_queue_clear_source (self, &self->read_timeout_id);
  pop3_queue_clear_source (self, &self->write_timeout_id);
  pop3_queue_clear_source (self, &self->session_timeout_id);
  pop3_queue_clear_source (self, &self->flush_idle_id);
  if (self->io_cancellable != NULL)
    g_cancellable_cancel (self->io_cancellable);
  g_clear_object (&self->io_cancellable);
  if (self->socket_conn != NULL)
    g_socket_close (g_socket_connection_get_socket (self->socket_conn), NULL);
  g_clear_object (&self->in);
  self->out = NULL;
  g_clear_object (&self->iostream);
  g_clear_object (&self->socket_conn);
  /* A write in flight keeps (and wipes) its own octets. */
  self->out_writing = FALSE;
  pop3_queue_out_clear (self);
  self->out_pending_cmds = 0;
  self->reading = FALSE;
  self->state = STATE_CLOSED;
}

/* Disconnect and fail everything outstanding with @error (taken). */
void
pop3_queue_fail_all (PopbellPop3Client *self, GError *error)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  Cmd *cmd;
  Op *op;

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("POP3 %s: %s", self->host, error->message);
  pop3_queue_disconnect (self);

  /* Collect first, answer last: a callback may call back into us. */
  while ((cmd = g_queue_pop_head (&self->sent)) != NULL)
    {
      if (cmd->op != self->barrier)
        {
          GTask *task = pop3_op_finish (cmd->op);
          if (task != NULL)
            g_ptr_array_add (tasks, task);
        }
      pop3_cmd_free (cmd);
    }
  if (self->barrier != NULL)
    {
      GTask *task = pop3_op_finish (g_steal_pointer (&self->barrier));
      if (task != NULL)
        g_ptr_array_add (tasks, task);
    }
  while ((op = g_queue_pop_head (&self->pending)) != NULL)
    {
      GTask *task = pop3_op_finish (op);
      if (task != NULL)
        g_ptr_array_add (tasks, task);
    }

  for (guint i = 0; i < tasks->len; i++)
    g_task_return_error (g_ptr_array_index (tasks, i), g_error_copy (error));
  g_error_free (error);
}

/* --- writing --------------------------------------------------------------- */

static void write_cb (GObject *source, GAsyncResult *result, gpointer user_data);

/* The octets of one write, owned by the write until its callback, and
 * wiped there (they may hold a password). */
typedef struct {
  IoCall *call;
  gchar  *data;
  gsize   len;
} WriteCall;

void
pop3_queue_flush (PopbellPop3Client *self)
{
  WriteCall *write;

  if (self->out_writing || self->out_pending->len == 0 || self->out == NULL)
    return;
  write = g_new0 (WriteCall, 1);
  write->call = pop3_io_call_new (self);
  write->len = self->out_pending->len;
  write->data = g_memdup2 (self->out_pending->str, write->len);
  pop3_queue_out_clear (self);
  self->out_writing = TRUE;
  /* RFC 2449 §6.6: a pipelining client should send its commands in as few
   * writes as it can (a write per command costs a round trip under Nagle). */
  if (self->out_pending_cmds > 1)
    self->batch_written = TRUE;
  self->out_pending_cmds = 0;
  if (self->timeout > 0)
    self->write_timeout_id = pop3_queue_add_timeout (self, self->timeout, write_timeout_cb);
  g_output_stream_write_all_async (self->out, write->data, write->len, G_PRIORITY_DEFAULT,
                                   self->io_cancellable, write_cb, write);
}

static gboolean
flush_idle_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;

  self->flush_idle_id = 0;
  pop3_queue_flush (self);
  return G_SOURCE_REMOVE;
}

/* Write at the end of this main loop turn: whatever the caller queues
 * meanwhile goes into the same write. */
static void
request_flush (PopbellPop3Client *self)
{
  g_autoptr(GSource) source = NULL;

  if (self->flush_idle_id != 0 || self->out_writing || self->out_pending->len == 0)
    return;
  /* An idle (G_PRIORITY_DEFAULT_IDLE): after the default-priority sources
   * of this turn (a GTask completing the connect runs its callback there
   * and may queue the login; a cancellation sweep runs there too). */
  source = g_idle_source_new ();
  g_source_set_callback (source, flush_idle_cb, self, NULL);
  g_source_set_static_name (source, "popbell-pop3-flush");
  self->flush_idle_id = g_source_attach (source, self->context);
}

/* A QUIT that needs no answer (popbell_pop3_client_quit_nowait_async():
 * nothing was deleted, so the UPDATE state changes nothing) is done once
 * it is written and everything before it answered: the connection is
 * dropped then, without waiting a round trip for "+OK". */
static gboolean
quit_ends_written (PopbellPop3Client *self)
{
  Cmd *cmd = g_queue_peek_head (&self->sent);

  if (cmd == NULL || !cmd->is_quit || !cmd->op->no_answer || self->dele_sent ||
      g_queue_get_length (&self->sent) != 1 || self->out_pending->len > 0)
    return FALSE;
  g_queue_pop_head (&self->sent);
  g_debug ("POP3 %s: QUIT written; nothing was deleted, so not waiting for its answer",
           self->host);
  pop3_queue_disconnect (self);
  pop3_op_return_boolean (g_steal_pointer (&cmd->op));
  pop3_cmd_free (cmd);
  return TRUE;
}

static void
write_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WriteCall *write = user_data;
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = pop3_io_call_end (write->call, &stale);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  pop3_secret_wipe (write->data, write->len);
  g_free (write->data);
  g_free (write);
  if (stale)
    return;
  pop3_queue_clear_source (self, &self->write_timeout_id);
  self->out_writing = FALSE;
  if (error != NULL)
    {
      g_prefix_error (&error, "Could not send to the server: ");
      pop3_queue_fail_all (self, g_steal_pointer (&error));
      return;
    }
  if (quit_ends_written (self))
    return;
  pop3_queue_flush (self);
}

/* Queue @cmd's line for writing and its answer for reading. */
static void
send_cmd (PopbellPop3Client *self, Cmd *cmd)
{
  g_queue_push_tail (&self->sent, cmd);
  cmd->op->sent = TRUE;
  if (cmd->line != NULL)
    {
      pop3_trace (self, "C", cmd->trace != NULL ? cmd->trace : cmd->line);
      pop3_queue_out_append (self, cmd->line, strlen (cmd->line));
      pop3_queue_out_append (self, "\r\n", 2);
      self->out_pending_cmds++;
    }
}

/* --- reading --------------------------------------------------------------- */

static void read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

void
pop3_queue_reader_kick (PopbellPop3Client *self)
{
  Cmd *cmd = g_queue_peek_head (&self->sent);
  gsize max_len;

  if (self->reading || cmd == NULL || self->in == NULL)
    return;
  max_len = cmd->in_data ? POPBELL_POP3_MAX_DATA_LINE : POPBELL_POP3_MAX_STATUS_LINE;
  self->reading = TRUE;
  pop3_queue_arm_wait_timer (self);
  popbell_pop3_stream_read_line_async (self->in, max_len, cmd->in_data && cmd->partial_ok,
                                       G_PRIORITY_DEFAULT, self->io_cancellable,
                                       read_cb, pop3_io_call_new (self));
}

/* The head command's answer is complete. */
static void
complete_cmd (PopbellPop3Client *self)
{
  Cmd *cmd = g_queue_peek_head (&self->sent);

  /* Octets after the last expected answer: the server answered something
   * we did not ask (RFC 1939 has no unsolicited answers). After STLS they
   * are dropped instead (RFC 2595 §4). */
  if (g_queue_get_length (&self->sent) == 1 && !cmd->is_stls && !cmd->is_quit &&
      popbell_pop3_stream_get_buffered (self->in) > 0)
    {
      pop3_queue_fail_all (self, pop3_queue_out_of_step_error (self, g_error_new (POPBELL_POP3_ERROR,
                                                                                  POPBELL_POP3_ERROR_PROTOCOL,
                                                            "The server sent more than was asked for")));
      return;
    }
  g_queue_pop_head (&self->sent);
  cmd->done (cmd);
  pop3_cmd_free (cmd);
  pop3_queue_schedule (self);
  pop3_queue_reader_kick (self);
}

static void
handle_status_line (PopbellPop3Client *self, Cmd *cmd, PopbellPop3Line *line)
{
  g_autofree gchar *trace = popbell_pop3_trace_text (line->data, line->len);
  GError *error = NULL;

  pop3_trace (self, "S", trace);
  cmd->reply = popbell_pop3_reply_parse (line->data, line->len, cmd->allow_continuation, &error);
  if (cmd->reply == NULL && cmd->line == NULL && !self->encrypted &&
      pop3_queue_tls_mismatch (self, line->data, line->len))
    {
      g_clear_error (&error);
      pop3_queue_fail_all (self, pop3_queue_tls_mismatch_error (self));
      return;
    }
  if (cmd->reply == NULL)
    {
      pop3_queue_fail_all (self, pop3_queue_out_of_step_error (self, error));
      return;
    }
  if (cmd->reply->status == POPBELL_POP3_STATUS_CONTINUE)
    {
      guint generation = self->generation;

      /* Only AUTH asks for this: the op sends the response and the same
       * command waits for its final status. */
      cmd->done (cmd);
      if (generation != self->generation)
        return;
      g_clear_pointer (&cmd->reply, popbell_pop3_reply_free);
      pop3_queue_reader_kick (self);
      return;
    }
  if (cmd->reply->status == POPBELL_POP3_STATUS_OK && cmd->multiline)
    {
      cmd->in_data = TRUE;
      cmd->line_start = TRUE;
      pop3_queue_reader_kick (self);
      return;
    }
  complete_cmd (self);
}

static void
handle_data_line (PopbellPop3Client *self, Cmd *cmd, PopbellPop3Line *line)
{
  gsize len = line->len;
  const guint8 *data = (const guint8 *) line->data;
  gboolean complete = line->complete;
  GError *error = NULL;

  if (cmd->line_start && complete && popbell_pop3_line_is_terminator (data, len))
    {
      if (cmd->n_lines > 0 && !cmd->partial_ok)
        g_debug ("S: [%u lines] .", cmd->n_lines);
      complete_cmd (self);
      return;
    }
  if (cmd->line_start)
    {
      data = popbell_pop3_line_unstuff (data, &len);
      cmd->n_lines++;
    }
  if (!cmd->data_line (cmd, data, len, complete, &error))
    {
      pop3_queue_fail_all (self, pop3_queue_out_of_step_error (self, error));
      return;
    }
  cmd->line_start = complete;
  pop3_queue_reader_kick (self);
}

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = pop3_io_call_end (user_data, &stale);
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3Line) line = NULL;
  Cmd *cmd;

  line = popbell_pop3_stream_read_line_finish (POPBELL_POP3_STREAM (source), result, &error);
  if (stale)
    return;
  self->reading = FALSE;
  pop3_queue_clear_source (self, &self->read_timeout_id);
  if (line == NULL)
    {
      if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CONNECTION_CLOSED &&
          g_queue_get_length (&self->sent) > 0 &&
          ((Cmd *) g_queue_peek_head (&self->sent))->in_data)
        g_prefix_error (&error, "Answer cut short: ");
      pop3_queue_fail_all (self, g_steal_pointer (&error));
      return;
    }

  cmd = g_queue_peek_head (&self->sent);
  if (cmd->in_data)
    handle_data_line (self, cmd, line);
  else
    handle_status_line (self, cmd, line);
}

/* --- scheduling ------------------------------------------------------------ */

static gboolean op_is_barrier (Op *op) { return op->kind == OP_CONNECT || op->kind == OP_LOGIN; }

static gsize
sent_bytes (PopbellPop3Client *self)
{
  gsize n = 0;

  for (GList *l = self->sent.head; l != NULL; l = l->next)
    {
      Cmd *cmd = l->data;
      n += cmd->line != NULL ? strlen (cmd->line) + 2 : 0;
    }
  return n;
}

/* Writing ahead (issue 9: an unchanged check in the fewest round trips).
 * When the server advertised PIPELINING last time (the caller says so with
 * set_remembered_capabilities()), the session does not wait where the
 * answer is almost certainly known:
 *
 *  - the CAPA after the greeting (or after STLS: never before it) is
 *    written and the connect ends at once, on the remembered list; the
 *    answer replaces it when it comes (passable: a barrier may start);
 *  - a login with a single command (APOP, AUTH PLAIN with its initial
 *    response) is written together with the CAPA after login, and the
 *    simple one-line commands already queued behind it (STAT, UIDL n,
 *    LIST n, NOOP) follow in the same write (ahead).
 *
 * What this session's answers contradict is handled on the ordinary path
 * in the same session: a refused login voids the answers to the commands
 * written ahead and puts them back in the queue (no second session, and
 * nothing but what the login rules allow was sent: the method is chosen
 * as always). A missing PIPELINING is reported to the caller
 * (get_remembered_capabilities_contradicted()). */

static gboolean
all_passable (PopbellPop3Client *self)
{
  for (GList *l = self->sent.head; l != NULL; l = l->next)
    if (!((Cmd *) l->data)->passable)
      return FALSE;
  return TRUE;
}

static gboolean
may_go_ahead (Op *op)
{
  return op->kind == OP_STAT || op->kind == OP_UIDL_ONE || op->kind == OP_LIST_ONE ||
         op->kind == OP_NOOP;
}

static void
void_done (Cmd *cmd)
{
  pop3_op_free (cmd->op);
}

void
pop3_queue_requeue_ahead (PopbellPop3Client *self)
{
  g_autoptr(GPtrArray) ops = g_ptr_array_new ();

  for (GList *l = self->sent.head; l != NULL; l = l->next)
    {
      Cmd *cmd = l->data;

      if (!cmd->ahead)
        continue;
      g_ptr_array_add (ops, cmd->op);
      cmd->op->sent = FALSE;
      cmd->op = pop3_op_new_internal (self);
      cmd->done = void_done;
      cmd->ahead = FALSE;
    }
  for (guint i = ops->len; i > 0; i--)
    g_queue_push_head (&self->pending, g_ptr_array_index (ops, i - 1));
}

Op *
pop3_op_new_internal (PopbellPop3Client *self)
{
  Op *op = g_new0 (Op, 1);

  op->client = self;
  op->kind = OP_INTERNAL;
  return op;
}

void
pop3_queue_send (PopbellPop3Client *self, Cmd *cmd)
{
  send_cmd (self, cmd);
  request_flush (self);
  pop3_queue_reader_kick (self);
}

/* Start what may start: a barrier when nothing else is outstanding, or
 * simple commands (several at once when pipelining). */
/* RFC 1939 §4: the mailbox commands, valid only once logged in. */
static gboolean
needs_transaction (Op *op)
{
  switch (op->kind)
    {
    case OP_STAT: case OP_LIST: case OP_UIDL: case OP_LIST_ONE: case OP_UIDL_ONE:
    case OP_TOP: case OP_RETR: case OP_DELE: case OP_RSET: case OP_NOOP:
      return TRUE;
    case OP_CONNECT: case OP_LOGIN: case OP_QUIT: case OP_INTERNAL:
    default:
      return FALSE;
    }
}

void
pop3_queue_schedule (PopbellPop3Client *self)
{
  g_autoptr(GPtrArray) not_logged_in = NULL;   /* rare: made when needed */
  guint batch = 0;
  Op *op;

  /* A running barrier holds everything back, except a login that opened
   * the way ahead (see write ahead below). */
  if (self->barrier != NULL && !self->barrier->ahead_open)
    return;

  while ((op = g_queue_peek_head (&self->pending)) != NULL)
    {
      Cmd *cmd;

      if (self->barrier != NULL && !may_go_ahead (op))
        break;
      if (op_is_barrier (op))
        {
          if (all_passable (self))
            {
              g_queue_pop_head (&self->pending);
              self->barrier = op;
              pop3_op_start_barrier (self, op);
            }
          break;
        }
      if (self->state != STATE_AUTHORIZATION && self->state != STATE_TRANSACTION)
        break;
      if (self->state == STATE_AUTHORIZATION && self->barrier == NULL && needs_transaction (op))
        {
          /* Not logged in (a refused login, or none yet): writing it would
           * only earn -ERR, and servers count bad commands (Dovecot hangs
           * up after three). Answered here, after the loop. */
          g_queue_pop_head (&self->pending);
          if (not_logged_in == NULL)
            not_logged_in = g_ptr_array_new ();
          g_ptr_array_add (not_logged_in, op);
          continue;
        }
      if (g_queue_get_length (&self->sent) > 0)
        {
          if (!(pop3_queue_pipelining_active (self) || self->barrier != NULL) ||
              g_queue_get_length (&self->sent) >= PIPELINE_MAX_COMMANDS ||
              sent_bytes (self) >= PIPELINE_MAX_BYTES)
            break;
        }
      g_queue_pop_head (&self->pending);
      cmd = pop3_commands_make_cmd (op);
      cmd->ahead = self->barrier != NULL;
      send_cmd (self, cmd);
      batch++;
      if (cmd->is_quit)
        break;
    }
  if (batch > 0)
    request_flush (self);
  pop3_queue_reader_kick (self);
  for (guint i = 0; not_logged_in != NULL && i < not_logged_in->len; i++)
    pop3_op_return_error (not_logged_in->pdata[i],
                          g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_COMMAND_FAILED,
                                               "Not logged in"));
}

/* --- cancellation ------------------------------------------------------------ *
 *
 * One g_cancellable_connect() per cancellable in use (the engine gives every
 * operation of a check the same one), not a GCancellableSource per queued
 * operation: N sources make every main loop iteration O(N), and a check
 * with 32,000 new messages queues 32,000 operations. ::cancelled may be
 * emitted in any thread and inside g_cancellable_cancel() called from our
 * own callbacks, so the handler only schedules a sweep on the client's
 * context; the sweep answers what was cancelled. */

struct _CancelHook
{
  PopbellPop3Client *client;     /* (unowned) the hook is the client's */
  GCancellable      *cancellable; /* (owned) */
  gulong             handler_id;
  guint              n_ops;      /* ops holding the hook */
};

static gboolean
cancel_sweep_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;
  g_autoptr(PopbellPop3Client) keep = g_object_ref (self);
  g_autoptr(GPtrArray) cancelled = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean barrier_cancelled;

  g_mutex_lock (&self->cancel_lock);
  g_clear_pointer (&self->cancel_idle, g_source_unref);
  g_mutex_unlock (&self->cancel_lock);

  /* Half a login or a handshake cannot be taken back: the session goes. */
  barrier_cancelled = self->barrier != NULL && self->barrier->task != NULL &&
                      g_cancellable_is_cancelled (g_task_get_cancellable (self->barrier->task));
  if (barrier_cancelled)
    {
      pop3_queue_fail_all (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                      "Operation was cancelled"));
      return G_SOURCE_REMOVE;
    }
  /* Not sent yet: leave the queue. */
  for (GList *l = self->pending.head; l != NULL;)
    {
      GList *next = l->next;
      Op *op = l->data;

      if (op->task != NULL && g_cancellable_is_cancelled (g_task_get_cancellable (op->task)))
        {
          g_queue_delete_link (&self->pending, l);
          g_ptr_array_add (cancelled, pop3_op_finish (op));
        }
      l = next;
    }
  /* Already sent: answer now; the reply is read and dropped later. */
  for (GList *l = self->sent.head; l != NULL; l = l->next)
    {
      Cmd *cmd = l->data;

      if (cmd->op != self->barrier && cmd->op->task != NULL &&
          g_cancellable_is_cancelled (g_task_get_cancellable (cmd->op->task)))
        g_ptr_array_add (cancelled, g_steal_pointer (&cmd->op->task));
    }
  /* Answer last: a callback may call back into us. */
  for (guint i = 0; i < cancelled->len; i++)
    g_task_return_new_error (g_ptr_array_index (cancelled, i), G_IO_ERROR,
                             G_IO_ERROR_CANCELLED, "Operation was cancelled");
  return G_SOURCE_REMOVE;
}

/* Any thread. */
static void
cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  CancelHook *hook = user_data;
  PopbellPop3Client *self = hook->client;

  g_mutex_lock (&self->cancel_lock);
  if (self->cancel_idle == NULL)
    {
      self->cancel_idle = g_idle_source_new ();
      /* Before the flush idle: a cancelled operation is not written. */
      g_source_set_priority (self->cancel_idle, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->cancel_idle, cancel_sweep_cb, self, NULL);
      g_source_set_static_name (self->cancel_idle, "popbell-pop3-cancel");
      g_source_attach (self->cancel_idle, self->context);
    }
  g_mutex_unlock (&self->cancel_lock);
}

static void
cancel_hook_free (gpointer data)
{
  CancelHook *hook = data;

  /* Waits for a handler running in another thread. */
  g_cancellable_disconnect (hook->cancellable, hook->handler_id);
  g_object_unref (hook->cancellable);
  g_free (hook);
}

static CancelHook *
cancel_hook_acquire (PopbellPop3Client *self, GCancellable *cancellable)
{
  CancelHook *hook = g_hash_table_lookup (self->cancel_hooks, cancellable);

  if (hook == NULL)
    {
      hook = g_new0 (CancelHook, 1);
      hook->client = self;
      hook->cancellable = g_object_ref (cancellable);
      g_hash_table_insert (self->cancel_hooks, cancellable, hook);
      /* Connected after the insert: an already cancelled cancellable runs
       * the handler now, which only schedules the sweep. */
      hook->handler_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb), hook, NULL);
    }
  hook->n_ops++;
  return hook;
}

static void
cancel_hook_release (CancelHook *hook)
{
  if (--hook->n_ops == 0)
    g_hash_table_remove (hook->client->cancel_hooks, hook->cancellable);
}

void
pop3_queue_init (PopbellPop3Client *self)
{
  self->out_pending = g_string_new (NULL);
  g_queue_init (&self->pending);
  g_queue_init (&self->sent);
  g_mutex_init (&self->cancel_lock);
  self->cancel_hooks = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                              cancel_hook_free);
}

/* Dispose: no op is left (each holds a ref on the client through its task),
 * so this only frees the table. */
void
pop3_queue_clear_cancel_hooks (PopbellPop3Client *self)
{
  g_clear_pointer (&self->cancel_hooks, g_hash_table_unref);
  g_mutex_lock (&self->cancel_lock);
  if (self->cancel_idle != NULL)
    {
      g_source_destroy (self->cancel_idle);
      g_clear_pointer (&self->cancel_idle, g_source_unref);
    }
  g_mutex_unlock (&self->cancel_lock);
}

Op *
pop3_op_new (PopbellPop3Client   *self,
             OpKind               kind,
             gpointer             source_tag,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  Op *op = g_new0 (Op, 1);

  op->client = self;
  op->kind = kind;
  op->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (op->task, source_tag);
  if (cancellable != NULL)
    op->cancel_hook = cancel_hook_acquire (self, cancellable);
  return op;
}

void
pop3_op_submit (PopbellPop3Client *self, Op *op)
{
  gboolean open;

  if (op->kind == OP_CONNECT)
    {
      if (self->connect_queued)
        {
          pop3_op_return_error (op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_ALREADY_MOUNTED,
                                                         "The client is already connected"));
          return;
        }
      self->connect_queued = TRUE;
    }
  open = self->connect_queued && self->state != STATE_CLOSED && !self->quit_queued;
  if (!open)
    {
      pop3_op_return_error (op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                     "Not connected to the server"));
      return;
    }
  if (op->kind == OP_QUIT)
    self->quit_queued = TRUE;
  g_queue_push_tail (&self->pending, op);
  pop3_queue_schedule (self);
}

/* --- barrier commands --------------------------------------------------------- */

Cmd *
pop3_barrier_cmd (PopbellPop3Client *self, const gchar *line, const gchar *trace,
                  void (*done) (Cmd *cmd))
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->op = self->barrier;
  cmd->line = g_strdup (line);
  cmd->trace = g_strdup (trace);
  cmd->done = done;
  return cmd;
}

void
pop3_barrier_send (PopbellPop3Client *self, Cmd *cmd)
{
  send_cmd (self, cmd);
  pop3_queue_flush (self);
  pop3_queue_reader_kick (self);
}

/* The barrier (connect or login) ends; @error (taken) NULL on success. A
 * failed login leaves the session usable (the caller may QUIT); a failed
 * connect does not. */
void
pop3_barrier_done (PopbellPop3Client *self, GError *error)
{
  Op *op = g_steal_pointer (&self->barrier);
  g_autoptr(GTask) task = NULL;

  if (error != NULL && op->kind == OP_CONNECT)
    {
      self->barrier = op;
      pop3_queue_fail_all (self, error);
      return;
    }
  task = pop3_op_finish (op);
  if (task != NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
    }
  else if (error != NULL)
    g_error_free (error);
  pop3_queue_schedule (self);
}

