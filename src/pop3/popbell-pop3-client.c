/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-pop3-client.h"

#include <string.h>

#include "popbell-pop3-reply.h"
#include "popbell-pop3-stream.h"

/* Pipelining window (RFC 2449 §6.6 leaves it to the client; Camel bounds
 * the bytes outstanding, mpop the commands): never more than this many
 * commands, or octets of commands, written but unanswered. */
#define PIPELINE_MAX_COMMANDS 16
#define PIPELINE_MAX_BYTES    1024
/* After a message passed the caller's cap, read and drop at most this much
 * more of it before giving up on the connection. */
#define MAX_DRAIN             (32 * 1024 * 1024)

typedef enum {
  STATE_IDLE,          /* never connected */
  STATE_CONNECTING,
  STATE_AUTHORIZATION, /* RFC 1939 §4: connected, not logged in */
  STATE_TRANSACTION,   /* logged in */
  STATE_CLOSED,
} State;

typedef enum {
  OP_CONNECT,
  OP_LOGIN,
  OP_STAT,
  OP_LIST,
  OP_UIDL,
  OP_LIST_ONE,
  OP_UIDL_ONE,
  OP_TOP,
  OP_RETR,
  OP_DELE,
  OP_RSET,
  OP_NOOP,
  OP_QUIT,
} OpKind;

typedef struct _Op  Op;
typedef struct _Cmd Cmd;

/* One caller operation. CONNECT and LOGIN are "barriers": they run alone,
 * as a series of commands; the others are one command each and may be
 * pipelined. */
struct _Op
{
  PopbellPop3Client *client;      /* (unowned) the task holds a ref */
  OpKind             kind;
  GTask             *task;        /* (owned) (nullable) NULL once answered early (cancelled) */
  GSource           *cancel_source; /* (owned) (nullable) */
  gboolean           sent;        /* its command was written */

  guint              index;       /* message number */
  guint              lines;       /* TOP */
  gsize              max_size;    /* RETR / TOP cap */

  /* results */
  GPtrArray         *entries;     /* LIST / UIDL: PopbellPop3ListEntry */
  GByteArray        *data;        /* TOP / RETR */
  GError            *data_error;  /* a cap was passed: answered once drained */
  gsize              drained;

  /* LOGIN */
  gchar             *username;
  gchar             *password;    /* wiped on free, like every copy of it: the
                                   * command line (Cmd.line), the output
                                   * buffer (out_pending) and the octets being
                                   * written (WriteCall) */
  PopbellPop3AuthMethod method;
  PopbellPop3Capabilities *new_capa; /* CAPA being read */
  gboolean           after_stls;  /* CONNECT: the handshake was for STLS */
  gboolean           continued;   /* AUTH PLAIN answered "+ " once */
  PopbellPop3AuthMethod method_trying; /* the attempt on the wire */
  PopbellPop3AuthMethod plan[3];  /* auth=auto: the methods to try, in order */
  guint              n_plan;
  guint              plan_next;
  gchar             *sasl_response; /* wiped on free */
};

/* The answer to STAT. */
typedef struct {
  guint   count;
  guint64 size;
} StatResult;

/* One command on the wire (or, with line == NULL, the greeting). */
struct _Cmd
{
  Op        *op;                  /* (unowned) */
  gchar     *line;                /* (nullable) without CRLF; wiped on free (PASS,
                                   * AUTH carry secrets) */
  gchar     *trace;               /* what the debug log shows */
  gboolean   multiline;           /* "+OK" starts a data block */
  gboolean   partial_ok;          /* data lines may be longer (message text) */
  gboolean   allow_continuation;
  gboolean   is_stls;
  gboolean   is_quit;
  gboolean   in_data;
  gboolean   line_start;
  guint      n_lines;
  PopbellPop3Reply *reply;
  /* a data line (dot-unstuffed when it starts a line) */
  gboolean (*data_line) (Cmd *cmd, const guint8 *data, gsize len, gboolean complete, GError **error);
  /* the answer is complete: status (and data) in cmd */
  void     (*done)      (Cmd *cmd);
};

struct _PopbellPop3Client
{
  GObject parent_instance;

  /* options */
  gchar              *host;
  guint16             port;
  PopbellPop3Security security;
  guint               timeout;
  guint               session_timeout;
  gchar              *ca_file;
  gchar              *pinned;          /* (nullable) upper-case hex, no colons */
  gboolean            allow_insecure_auth;
  gboolean            pipelining_enabled;
  GSocketAddress     *local_address;   /* (owned) (nullable) */

  GMainContext       *context;         /* (owned) where the caller runs */

  /* connection; all NULL unless connected */
  State               state;
  GSocketConnection  *socket_conn;     /* (owned) */
  GIOStream          *iostream;        /* (owned) socket_conn or its TLS wrapper */
  PopbellPop3Stream  *in;              /* (owned) */
  GOutputStream      *out;             /* (unowned) of iostream */
  gboolean            encrypted;
  GCancellable       *io_cancellable;  /* (owned) cancelled on disconnect */
  guint               generation;      /* bumped on disconnect: stale callbacks drop out */
  GTlsDatabase       *ca_database;     /* (owned) (nullable) from ca_file */

  PopbellPop3Capabilities *capa;       /* (owned) */
  gchar              *apop_timestamp;
  gchar              *peer_sha256;
  GTlsCertificateFlags tls_errors;
  PopbellPop3AuthMethod preferred_auth;   /* AUTO: no preference */
  PopbellPop3AuthMethod auth_method_used; /* AUTO until a login worked */

  /* queue: pending ops (not started), commands written and unanswered, the
   * running barrier. Invariant: barrier != NULL ⇒ only its commands are in
   * sent. */
  GQueue              pending;         /* Op* */
  GQueue              sent;            /* Cmd* */
  Op                 *barrier;
  gboolean            connect_queued;
  gboolean            quit_queued;
  GString            *out_pending;     /* (owned) commands waiting for the current write;
                                        * wiped when emptied, never grown by realloc */
  guint               out_pending_cmds;
  guint               flush_idle_id;   /* commands queued in one main loop turn go in one write */
  gboolean            out_writing;     /* a write is in progress (its WriteCall owns the octets) */
  gboolean            reading;
  gboolean            batch_written;   /* a write carried more than one command */

  guint               read_timeout_id;
  guint               write_timeout_id;
  guint               session_timeout_id;
};

G_DEFINE_TYPE (PopbellPop3Client, popbell_pop3_client, G_TYPE_OBJECT)

/* ::trace (const gchar *direction, const gchar *text): every line of the
 * protocol trace as the debug log shows it (secrets already masked), for a
 * diagnostics report that needs it without the global log. */
static guint trace_signal;

static void
emit_trace (PopbellPop3Client *self,
            const gchar       *direction,
            const gchar       *text)
{
  g_debug ("%s: %s", direction, text);
  g_signal_emit (self, trace_signal, 0, direction, text);
}

static void schedule (PopbellPop3Client *self);
static void reader_kick (PopbellPop3Client *self);
static void fail_all (PopbellPop3Client *self, GError *error);
static void barrier_done (PopbellPop3Client *self, GError *error);
static void connect_read_greeting (PopbellPop3Client *self);
static void connect_send_capa (PopbellPop3Client *self);
static void login_send_capa (PopbellPop3Client *self);

/* --- secrets ------------------------------------------------------------- */

/* A volatile pointer so that the compiler cannot drop the wipe as a dead
 * store before the free. */
static void
secret_wipe (gpointer data, gsize len)
{
  for (volatile guint8 *p = data; len > 0; len--, p++)
    *p = 0;
}

static void
secret_free (gchar *secret)
{
  if (secret == NULL)
    return;
  secret_wipe (secret, strlen (secret));
  g_free (secret);
}

/* @a then @b in one exact-size block. Not g_strdup_printf(): vasprintf
 * builds the string in a scratch block it frees without a wipe. */
static gchar *
secret_concat (const gchar *a, const gchar *b)
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
static void
out_append (PopbellPop3Client *self, const gchar *data, gsize len)
{
  GString *out = self->out_pending;

  if (out->len + len + 1 > out->allocated_len)
    {
      GString *bigger = g_string_sized_new (MAX (2 * out->allocated_len, out->len + len + 64));

      g_string_append_len (bigger, out->str, out->len);
      secret_wipe (out->str, out->allocated_len);
      g_string_free (out, TRUE);
      self->out_pending = out = bigger;
    }
  g_string_append_len (out, data, len);
}

/* Empty the output buffer, wiping what it held. */
static void
out_clear (PopbellPop3Client *self)
{
  secret_wipe (self->out_pending->str, self->out_pending->len);
  g_string_truncate (self->out_pending, 0);
}

void
popbell_pop3_list_entry_free (PopbellPop3ListEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->uid);
  g_free (entry);
}

/* --- I/O call bookkeeping ------------------------------------------------- */

/* user_data of every GIO call: a ref on the client and the connection
 * generation it belongs to. */
typedef struct {
  PopbellPop3Client *self;
  guint              generation;
} IoCall;

static IoCall *
io_call_new (PopbellPop3Client *self)
{
  IoCall *call = g_new (IoCall, 1);

  call->self = g_object_ref (self);
  call->generation = self->generation;
  return call;
}

/* Frees @call; returns the client (a ref the caller owns) and sets *stale
 * when the connection it belonged to is gone. */
static PopbellPop3Client *
io_call_end (IoCall *call, gboolean *stale)
{
  PopbellPop3Client *self = call->self;

  *stale = call->generation != self->generation;
  g_free (call);
  return self;
}

/* --- ops and commands ------------------------------------------------------ */

static void
op_free (Op *op)
{
  if (op->cancel_source != NULL)
    {
      g_source_destroy (op->cancel_source);
      g_source_unref (op->cancel_source);
    }
  g_clear_object (&op->task);
  g_clear_pointer (&op->entries, g_ptr_array_unref);
  g_clear_pointer (&op->data, g_byte_array_unref);
  g_clear_error (&op->data_error);
  g_free (op->username);
  secret_free (op->password);
  secret_free (op->sasl_response);
  g_clear_pointer (&op->new_capa, popbell_pop3_capabilities_free);
  g_free (op);
}

static void
cmd_free (Cmd *cmd)
{
  secret_free (cmd->line);
  g_free (cmd->trace);
  g_clear_pointer (&cmd->reply, popbell_pop3_reply_free);
  g_free (cmd);
}

/* Take the op's task (NULL if already answered) and free the op. */
static GTask *
op_finish (Op *op)
{
  GTask *task = g_steal_pointer (&op->task);

  op_free (op);
  return task;
}

static void
op_return_error (Op *op, GError *error)
{
  g_autoptr(GTask) task = op_finish (op);

  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
op_return_boolean (Op *op)
{
  g_autoptr(GTask) task = op_finish (op);

  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static gboolean
pipelining_active (PopbellPop3Client *self)
{
  return self->pipelining_enabled && self->state == STATE_TRANSACTION &&
         popbell_pop3_capabilities_has (self->capa, "PIPELINING");
}

/* An answer that makes no sense where it came: if a pipelined batch was
 * written this is most likely the server's pipelining going wrong. */
static GError *
out_of_step_error (PopbellPop3Client *self, GError *error)
{
  if (pipelining_active (self) && self->batch_written &&
      error->domain == POPBELL_POP3_ERROR && error->code == POPBELL_POP3_ERROR_PROTOCOL)
    {
      error->code = POPBELL_POP3_ERROR_PIPELINING;
      g_prefix_error (&error, "Pipelined answers out of step: ");
    }
  return error;
}

static GError *
command_error (Cmd *cmd, PopbellPop3Error fallback)
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

static guint
add_timeout (PopbellPop3Client *self, guint seconds, GSourceFunc func)
{
  g_autoptr(GSource) source = g_timeout_source_new_seconds (seconds);
  guint id;

  g_source_set_callback (source, func, self, NULL);
  g_source_set_static_name (source, "popbell-pop3-timeout");
  id = g_source_attach (source, self->context);
  return id;
}

static void
clear_source (PopbellPop3Client *self, guint *id)
{
  if (*id != 0)
    {
      GSource *source = g_main_context_find_source_by_id (self->context, *id);
      if (source != NULL)
        g_source_destroy (source);
      *id = 0;
    }
}

static gboolean
wait_timeout_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;
  g_autoptr(PopbellPop3Client) keep = g_object_ref (self);
  GError *error;

  self->read_timeout_id = 0;
  if (pipelining_active (self) && g_queue_get_length (&self->sent) > 1)
    error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PIPELINING,
                         "The server stopped answering pipelined commands "
                         "(no answer within %u seconds)", self->timeout);
  else
    error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                         "The server did not answer within %u seconds", self->timeout);
  fail_all (self, error);
  return G_SOURCE_REMOVE;
}

static gboolean
write_timeout_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;
  g_autoptr(PopbellPop3Client) keep = g_object_ref (self);

  self->write_timeout_id = 0;
  fail_all (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
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
  fail_all (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                               "The session took longer than %u seconds",
                               self->session_timeout));
  return G_SOURCE_REMOVE;
}

/* Every wait for the server (connect, handshake, an answer line) runs
 * under this timer. */
static void
arm_wait_timer (PopbellPop3Client *self)
{
  clear_source (self, &self->read_timeout_id);
  if (self->timeout > 0)
    self->read_timeout_id = add_timeout (self, self->timeout, wait_timeout_cb);
}

/* --- connection teardown --------------------------------------------------- */

static void
disconnect (PopbellPop3Client *self)
{
  self->generation++;
  clear_source (self, &self->read_timeout_id);
  clear_source (self, &self->write_timeout_id);
  clear_source (self, &self->session_timeout_id);
  clear_source (self, &self->flush_idle_id);
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
  out_clear (self);
  self->out_pending_cmds = 0;
  self->reading = FALSE;
  self->state = STATE_CLOSED;
}

/* Disconnect and fail everything outstanding with @error (taken). */
static void
fail_all (PopbellPop3Client *self, GError *error)
{
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  Cmd *cmd;
  Op *op;

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("POP3 %s: %s", self->host, error->message);
  disconnect (self);

  /* Collect first, answer last: a callback may call back into us. */
  while ((cmd = g_queue_pop_head (&self->sent)) != NULL)
    {
      if (cmd->op != self->barrier)
        {
          GTask *task = op_finish (cmd->op);
          if (task != NULL)
            g_ptr_array_add (tasks, task);
        }
      cmd_free (cmd);
    }
  if (self->barrier != NULL)
    {
      GTask *task = op_finish (g_steal_pointer (&self->barrier));
      if (task != NULL)
        g_ptr_array_add (tasks, task);
    }
  while ((op = g_queue_pop_head (&self->pending)) != NULL)
    {
      GTask *task = op_finish (op);
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

static void
flush_output (PopbellPop3Client *self)
{
  WriteCall *write;

  if (self->out_writing || self->out_pending->len == 0 || self->out == NULL)
    return;
  write = g_new0 (WriteCall, 1);
  write->call = io_call_new (self);
  write->len = self->out_pending->len;
  write->data = g_memdup2 (self->out_pending->str, write->len);
  out_clear (self);
  self->out_writing = TRUE;
  /* RFC 2449 §6.6: a pipelining client should send its commands in as few
   * writes as it can (a write per command costs a round trip under Nagle). */
  if (self->out_pending_cmds > 1)
    self->batch_written = TRUE;
  self->out_pending_cmds = 0;
  if (self->timeout > 0)
    self->write_timeout_id = add_timeout (self, self->timeout, write_timeout_cb);
  g_output_stream_write_all_async (self->out, write->data, write->len, G_PRIORITY_DEFAULT,
                                   self->io_cancellable, write_cb, write);
}

static gboolean
flush_idle_cb (gpointer user_data)
{
  PopbellPop3Client *self = user_data;

  self->flush_idle_id = 0;
  flush_output (self);
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
  source = g_idle_source_new ();
  g_source_set_callback (source, flush_idle_cb, self, NULL);
  g_source_set_static_name (source, "popbell-pop3-flush");
  self->flush_idle_id = g_source_attach (source, self->context);
}

static void
write_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WriteCall *write = user_data;
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = io_call_end (write->call, &stale);
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  secret_wipe (write->data, write->len);
  g_free (write->data);
  g_free (write);
  if (stale)
    return;
  clear_source (self, &self->write_timeout_id);
  self->out_writing = FALSE;
  if (error != NULL)
    {
      g_prefix_error (&error, "Could not send to the server: ");
      fail_all (self, g_steal_pointer (&error));
      return;
    }
  flush_output (self);
}

/* Queue @cmd's line for writing and its answer for reading. */
static void
send_cmd (PopbellPop3Client *self, Cmd *cmd)
{
  g_queue_push_tail (&self->sent, cmd);
  cmd->op->sent = TRUE;
  if (cmd->line != NULL)
    {
      emit_trace (self, "C", cmd->trace != NULL ? cmd->trace : cmd->line);
      out_append (self, cmd->line, strlen (cmd->line));
      out_append (self, "\r\n", 2);
      self->out_pending_cmds++;
    }
}

/* --- reading --------------------------------------------------------------- */

static void read_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
reader_kick (PopbellPop3Client *self)
{
  Cmd *cmd = g_queue_peek_head (&self->sent);
  gsize max_len;

  if (self->reading || cmd == NULL || self->in == NULL)
    return;
  max_len = cmd->in_data ? POPBELL_POP3_MAX_DATA_LINE : POPBELL_POP3_MAX_STATUS_LINE;
  self->reading = TRUE;
  arm_wait_timer (self);
  popbell_pop3_stream_read_line_async (self->in, max_len, cmd->in_data && cmd->partial_ok,
                                       G_PRIORITY_DEFAULT, self->io_cancellable,
                                       read_cb, io_call_new (self));
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
      fail_all (self, out_of_step_error (self, g_error_new (POPBELL_POP3_ERROR,
                                                            POPBELL_POP3_ERROR_PROTOCOL,
                                                            "The server sent more than was asked for")));
      return;
    }
  g_queue_pop_head (&self->sent);
  cmd->done (cmd);
  cmd_free (cmd);
  schedule (self);
  reader_kick (self);
}

static void
handle_status_line (PopbellPop3Client *self, Cmd *cmd, PopbellPop3Line *line)
{
  g_autofree gchar *trace = popbell_pop3_trace_text (line->data, line->len);
  GError *error = NULL;

  emit_trace (self, "S", trace);
  cmd->reply = popbell_pop3_reply_parse (line->data, line->len, cmd->allow_continuation, &error);
  if (cmd->reply == NULL)
    {
      fail_all (self, out_of_step_error (self, error));
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
      reader_kick (self);
      return;
    }
  if (cmd->reply->status == POPBELL_POP3_STATUS_OK && cmd->multiline)
    {
      cmd->in_data = TRUE;
      cmd->line_start = TRUE;
      reader_kick (self);
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
      fail_all (self, out_of_step_error (self, error));
      return;
    }
  cmd->line_start = complete;
  reader_kick (self);
}

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = io_call_end (user_data, &stale);
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3Line) line = NULL;
  Cmd *cmd;

  line = popbell_pop3_stream_read_line_finish (POPBELL_POP3_STREAM (source), result, &error);
  if (stale)
    return;
  self->reading = FALSE;
  clear_source (self, &self->read_timeout_id);
  if (line == NULL)
    {
      if (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_CONNECTION_CLOSED &&
          g_queue_get_length (&self->sent) > 0 &&
          ((Cmd *) g_queue_peek_head (&self->sent))->in_data)
        g_prefix_error (&error, "Answer cut short: ");
      fail_all (self, g_steal_pointer (&error));
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
static void op_start_barrier (PopbellPop3Client *self, Op *op);
static Cmd *op_make_cmd (Op *op);

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

/* Start what may start: a barrier when nothing else is outstanding, or
 * simple commands (several at once when pipelining). */
static void
schedule (PopbellPop3Client *self)
{
  guint batch = 0;
  Op *op;

  if (self->barrier != NULL)
    return;

  while ((op = g_queue_peek_head (&self->pending)) != NULL)
    {
      Cmd *cmd;

      if (op_is_barrier (op))
        {
          if (g_queue_get_length (&self->sent) == 0)
            {
              g_queue_pop_head (&self->pending);
              self->barrier = op;
              op_start_barrier (self, op);
            }
          break;
        }
      if (self->state != STATE_AUTHORIZATION && self->state != STATE_TRANSACTION)
        break;
      if (g_queue_get_length (&self->sent) > 0)
        {
          if (!pipelining_active (self) ||
              g_queue_get_length (&self->sent) >= PIPELINE_MAX_COMMANDS ||
              sent_bytes (self) >= PIPELINE_MAX_BYTES)
            break;
        }
      g_queue_pop_head (&self->pending);
      cmd = op_make_cmd (op);
      send_cmd (self, cmd);
      batch++;
      if (cmd->is_quit)
        break;
    }
  if (batch > 0)
    request_flush (self);
  reader_kick (self);
}

static gboolean
op_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Op *op = user_data;
  PopbellPop3Client *self = op->client;
  g_autoptr(PopbellPop3Client) keep = g_object_ref (self);
  GList *link;

  g_clear_pointer (&op->cancel_source, g_source_unref);
  if ((link = g_queue_find (&self->pending, op)) != NULL)
    {
      g_queue_delete_link (&self->pending, link);
      op_return_error (op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                "Operation was cancelled"));
    }
  else if (op == self->barrier)
    {
      /* Half a login or a handshake cannot be taken back. */
      fail_all (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "Operation was cancelled"));
    }
  else if (op->task != NULL)
    {
      /* Already sent: answer now; the reply is read and dropped later. */
      g_autoptr(GTask) task = g_steal_pointer (&op->task);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
    }
  return G_SOURCE_REMOVE;
}

static Op *
op_new (PopbellPop3Client   *self,
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
    {
      op->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (op->cancel_source, G_SOURCE_FUNC (op_cancelled_cb), op, NULL);
      g_source_attach (op->cancel_source, self->context);
    }
  return op;
}

static void
op_submit (PopbellPop3Client *self, Op *op)
{
  gboolean open;

  if (op->kind == OP_CONNECT)
    {
      if (self->connect_queued)
        {
          op_return_error (op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_ALREADY_MOUNTED,
                                                    "The client is already connected"));
          return;
        }
      self->connect_queued = TRUE;
    }
  open = self->connect_queued && self->state != STATE_CLOSED && !self->quit_queued;
  if (!open)
    {
      op_return_error (op, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                "Not connected to the server"));
      return;
    }
  if (op->kind == OP_QUIT)
    self->quit_queued = TRUE;
  g_queue_push_tail (&self->pending, op);
  schedule (self);
}

/* --- simple commands -------------------------------------------------------- */

static gboolean
list_data_line (Cmd *cmd, const guint8 *data, gsize len, gboolean complete, GError **error)
{
  Op *op = cmd->op;
  PopbellPop3ListEntry *entry;

  if (op->entries->len >= POPBELL_POP3_MAX_MESSAGES)
    {
      g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                   "The server listed more than %u messages", POPBELL_POP3_MAX_MESSAGES);
      return FALSE;
    }
  if (op->kind == OP_UIDL)
    entry = popbell_pop3_parse_uidl_line ((const gchar *) data, len, error);
  else
    entry = popbell_pop3_parse_list_line ((const gchar *) data, len, error);
  if (entry == NULL)
    return FALSE;
  /* Message numbers ascend (RFC 1939 lists them in order); insisting on it
   * also rules out duplicates. */
  if (op->entries->len > 0 &&
      entry->index <= ((PopbellPop3ListEntry *) g_ptr_array_index (op->entries, op->entries->len - 1))->index)
    {
      popbell_pop3_list_entry_free (entry);
      g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                   "The server listed messages out of order");
      return FALSE;
    }
  g_ptr_array_add (op->entries, entry);
  return TRUE;
}

static gboolean
message_data_line (Cmd *cmd, const guint8 *data, gsize len, gboolean complete, GError **error)
{
  Op *op = cmd->op;
  gsize add = len + (complete ? 2 : 0);

  if (op->data_error != NULL)
    {
      op->drained += add;
      if (op->drained > MAX_DRAIN)
        {
          g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                       "The server sent a message that does not end");
          return FALSE;
        }
      return TRUE;
    }
  if (op->data->len + add > op->max_size)
    {
      if (op->kind == OP_RETR)
        op->data_error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TOO_LARGE,
                                      "Message %u is larger than %" G_GSIZE_FORMAT " octets",
                                      op->index, op->max_size);
      else
        op->data_error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                                      "The headers of message %u are larger than %" G_GSIZE_FORMAT " octets",
                                      op->index, op->max_size);
      g_byte_array_set_size (op->data, 0);
      op->drained = add;
      return TRUE;
    }
  g_byte_array_append (op->data, data, len);
  if (complete)
    g_byte_array_append (op->data, (const guint8 *) "\r\n", 2);
  return TRUE;
}

/* @op's answer (already taken off the queue) broke the protocol: it and
 * everything else fail, the connection goes. */
static void
fail_op_and_all (PopbellPop3Client *self, Op *op, GError *error)
{
  g_autoptr(GTask) task = op_finish (op);

  fail_all (self, g_error_copy (error));
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
simple_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  if (cmd->is_quit)
    {
      /* RFC 1939 §6: the server closes after the UPDATE state; so do we. */
      disconnect (self);
    }
  if (op->task == NULL)
    {
      op_free (op);   /* cancelled earlier: the answer is dropped */
      return;
    }
  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      op_return_error (op, command_error (cmd, POPBELL_POP3_ERROR_COMMAND_FAILED));
      return;
    }

  switch (op->kind)
    {
    case OP_STAT:
      {
        StatResult stat;
        if (!popbell_pop3_parse_stat (cmd->reply->text, &stat.count, &stat.size, &error))
          {
            fail_op_and_all (self, op, out_of_step_error (self, error));
            return;
          }
        task = op_finish (op);
        /* Not g_task_return_int(): a count above G_MAXINT32 is negative in
         * a 32-bit gssize, which reads as an error. */
        g_task_return_pointer (task, g_memdup2 (&stat, sizeof stat), g_free);
      }
      break;
    case OP_LIST_ONE:
    case OP_UIDL_ONE:
      {
        const gchar *text = cmd->reply->text;
        PopbellPop3ListEntry *entry =
          op->kind == OP_UIDL_ONE ? popbell_pop3_parse_uidl_line (text, strlen (text), &error)
                                  : popbell_pop3_parse_list_line (text, strlen (text), &error);
        if (entry != NULL && entry->index != op->index)
          {
            popbell_pop3_list_entry_free (entry);
            entry = NULL;
            g_set_error (&error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                         "The server answered for another message");
          }
        if (entry == NULL)
          {
            fail_op_and_all (self, op, out_of_step_error (self, error));
            return;
          }
        task = op_finish (op);
        g_task_return_pointer (task, entry, (GDestroyNotify) popbell_pop3_list_entry_free);
      }
      break;
    case OP_LIST:
    case OP_UIDL:
      {
        GPtrArray *entries = g_steal_pointer (&op->entries);
        task = op_finish (op);
        g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
      }
      break;
    case OP_TOP:
    case OP_RETR:
      if (op->data_error != NULL)
        {
          error = g_steal_pointer (&op->data_error);
          op_return_error (op, error);
        }
      else
        {
          g_debug ("S: [%u octets]", op->data->len);
          GBytes *bytes = g_byte_array_free_to_bytes (g_steal_pointer (&op->data));
          task = op_finish (op);
          g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
        }
      break;
    case OP_DELE:
    case OP_RSET:
    case OP_NOOP:
    case OP_QUIT:
      op_return_boolean (op);
      break;
    case OP_CONNECT:
    case OP_LOGIN:
    default:
      g_assert_not_reached ();
    }
}

static Cmd *
op_make_cmd (Op *op)
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->op = op;
  cmd->done = simple_done;
  switch (op->kind)
    {
    case OP_STAT: cmd->line = g_strdup ("STAT"); break;
    case OP_LIST:
      cmd->line = g_strdup ("LIST");
      cmd->multiline = TRUE;
      cmd->data_line = list_data_line;
      op->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_pop3_list_entry_free);
      break;
    case OP_UIDL:
      cmd->line = g_strdup ("UIDL");
      cmd->multiline = TRUE;
      cmd->data_line = list_data_line;
      op->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_pop3_list_entry_free);
      break;
    case OP_LIST_ONE: cmd->line = g_strdup_printf ("LIST %u", op->index); break;
    case OP_UIDL_ONE: cmd->line = g_strdup_printf ("UIDL %u", op->index); break;
    case OP_TOP:
    case OP_RETR:
      cmd->line = op->kind == OP_TOP ? g_strdup_printf ("TOP %u %u", op->index, op->lines)
                                     : g_strdup_printf ("RETR %u", op->index);
      cmd->multiline = TRUE;
      cmd->partial_ok = TRUE;
      cmd->data_line = message_data_line;
      op->data = g_byte_array_new ();
      break;
    case OP_DELE: cmd->line = g_strdup_printf ("DELE %u", op->index); break;
    case OP_RSET: cmd->line = g_strdup ("RSET"); break;
    case OP_NOOP: cmd->line = g_strdup ("NOOP"); break;
    case OP_QUIT:
      cmd->line = g_strdup ("QUIT");
      cmd->is_quit = TRUE;
      break;
    case OP_CONNECT:
    case OP_LOGIN:
    default:
      g_assert_not_reached ();
    }
  return cmd;
}

/* --- barrier commands --------------------------------------------------------- */

static Cmd *
barrier_cmd (PopbellPop3Client *self, const gchar *line, const gchar *trace,
             void (*done) (Cmd *cmd))
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->op = self->barrier;
  cmd->line = g_strdup (line);
  cmd->trace = g_strdup (trace);
  cmd->done = done;
  return cmd;
}

static void
barrier_send (PopbellPop3Client *self, Cmd *cmd)
{
  send_cmd (self, cmd);
  flush_output (self);
  reader_kick (self);
}

/* The barrier (connect or login) ends; @error (taken) NULL on success. A
 * failed login leaves the session usable (the caller may QUIT); a failed
 * connect does not. */
static void
barrier_done (PopbellPop3Client *self, GError *error)
{
  Op *op = g_steal_pointer (&self->barrier);
  g_autoptr(GTask) task = NULL;

  if (error != NULL && op->kind == OP_CONNECT)
    {
      self->barrier = op;
      fail_all (self, error);
      return;
    }
  task = op_finish (op);
  if (task != NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
    }
  else if (error != NULL)
    g_error_free (error);
  schedule (self);
}

static gboolean
capa_data_line (Cmd *cmd, const guint8 *data, gsize len, gboolean complete, GError **error)
{
  Op *op = cmd->op;
  g_autofree gchar *trace = popbell_pop3_trace_text ((const gchar *) data, len);

  emit_trace (cmd->op->client, "S", trace);
  if (cmd->n_lines > POPBELL_POP3_MAX_CAPA_LINES)
    {
      g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                   "The server listed more than %u capabilities", POPBELL_POP3_MAX_CAPA_LINES);
      return FALSE;
    }
  return popbell_pop3_capabilities_add_line (op->new_capa, (const gchar *) data, len, error);
}

static Cmd *
capa_cmd (PopbellPop3Client *self, void (*done) (Cmd *cmd))
{
  Cmd *cmd = barrier_cmd (self, "CAPA", NULL, done);

  cmd->multiline = TRUE;
  cmd->data_line = capa_data_line;
  g_clear_pointer (&self->barrier->new_capa, popbell_pop3_capabilities_free);
  self->barrier->new_capa = popbell_pop3_capabilities_new ();
  return cmd;
}

/* --- connect: TCP, TLS, greeting, CAPA, STLS, CAPA ---------------------------- */

static gchar *
certificate_sha256 (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;
  GString *hex = g_string_sized_new (96);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der != NULL)
    g_checksum_update (sum, der->data, der->len);
  g_checksum_get_digest (sum, digest, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
matches_pin (PopbellPop3Client *self, const gchar *sha256)
{
  g_autoptr(GString) plain = g_string_new (NULL);

  for (const gchar *c = sha256; *c != '\0'; c++)
    if (*c != ':')
      g_string_append_c (plain, *c);
  return g_strcmp0 (plain->str, self->pinned) == 0;
}

static gchar *
describe_tls_errors (GTlsCertificateFlags flags)
{
  GString *s = g_string_new (NULL);
  static const struct { GTlsCertificateFlags flag; const gchar *text; } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "issued by an unknown authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "made out to another host" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "expired" },
    { G_TLS_CERTIFICATE_REVOKED, "revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "using an insecure algorithm" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (flags & reasons[i].flag)
      g_string_append_printf (s, "%s%s", s->len > 0 ? ", " : "", reasons[i].text);
  if (s->len == 0)
    g_string_append (s, "not valid");
  return g_string_free (s, FALSE);
}

/* Called by GIO when the system trust store did not vouch for the peer:
 * accept the pinned certificate, or one the CA file vouches for. */
static gboolean
accept_certificate_cb (GTlsConnection       *conn,
                       GTlsCertificate      *peer,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  PopbellPop3Client *self = user_data;

  g_free (self->peer_sha256);
  self->peer_sha256 = certificate_sha256 (peer);
  self->tls_errors = errors;

  if (self->pinned != NULL)
    return matches_pin (self, self->peer_sha256);

  if (self->ca_database != NULL)
    {
      g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
      g_autoptr(GError) error = NULL;
      GTlsCertificateFlags flags;

      /* A local check against the file's anchors (no I/O but the file read
       * at connect). The same identity as GIO used: the host name. */
      flags = g_tls_database_verify_chain (self->ca_database, peer,
                                           G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                           identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                           NULL, &error);
      if (error == NULL && flags == 0)
        return TRUE;
      if (error == NULL)
        self->tls_errors = flags;
    }
  return FALSE;
}

static void
handshake_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = io_call_end (user_data, &stale);
  g_autoptr(GError) error = NULL;
  GTlsConnection *tls = G_TLS_CONNECTION (source);
  GTlsCertificate *peer;

  g_tls_connection_handshake_finish (tls, result, &error);
  if (stale)
    return;
  clear_source (self, &self->read_timeout_id);

  peer = g_tls_connection_get_peer_certificate (tls);
  if (peer != NULL && self->peer_sha256 == NULL)
    self->peer_sha256 = certificate_sha256 (peer);

  if (error == NULL && self->pinned != NULL && self->peer_sha256 != NULL &&
      !matches_pin (self, self->peer_sha256))
    {
      barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE,
                                       "The certificate of %s does not match the pinned "
                                       "fingerprint; its SHA-256 fingerprint is %s",
                                       self->host, self->peer_sha256));
      return;
    }
  if (error != NULL)
    {
      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) &&
          self->peer_sha256 != NULL)
        {
          g_autofree gchar *why = describe_tls_errors (self->tls_errors);
          barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE,
                                           "The certificate of %s is not trusted (%s); "
                                           "its SHA-256 fingerprint is %s",
                                           self->host, why, self->peer_sha256));
          return;
        }
      g_prefix_error (&error, "TLS handshake with %s failed: ", self->host);
      barrier_done (self, g_steal_pointer (&error));
      return;
    }

  g_set_object (&self->iostream, G_IO_STREAM (tls));
  self->out = g_io_stream_get_output_stream (self->iostream);
  self->encrypted = TRUE;
  /* After STLS, whatever plaintext followed "+OK" is dropped here
   * (RFC 2595 §4): the stream restarts empty on the TLS layer. */
  if (self->in == NULL)
    self->in = popbell_pop3_stream_new (g_io_stream_get_input_stream (self->iostream));
  else
    popbell_pop3_stream_set_base_stream (self->in, g_io_stream_get_input_stream (self->iostream));

  if (self->barrier->after_stls)
    connect_send_capa (self);   /* RFC 2595 §4: capabilities may change */
  else
    connect_read_greeting (self);
}

static void
connect_start_tls (PopbellPop3Client *self)
{
  g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  tls = g_tls_client_connection_new (G_IO_STREAM (self->socket_conn), identity, &error);
  if (tls == NULL)
    {
      barrier_done (self, g_steal_pointer (&error));
      return;
    }
  g_signal_connect_object (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), self, 0);
  arm_wait_timer (self);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    self->io_cancellable, handshake_cb, io_call_new (self));
}

static void
connect_done (PopbellPop3Client *self)
{
  self->state = STATE_AUTHORIZATION;
  barrier_done (self, NULL);
}

static void
stls_done (Cmd *cmd)
{
  PopbellPop3Client *self = cmd->op->client;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_UNAVAILABLE,
                                       "The server %s refused STLS: %s", self->host,
                                       cmd->reply->text));
      return;
    }
  self->barrier->after_stls = TRUE;
  connect_start_tls (self);
}

static void
connect_capa_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;

  /* "-ERR" to CAPA: an RFC 1939 server without extensions; fine. */
  popbell_pop3_capabilities_free (self->capa);
  if (cmd->reply->status == POPBELL_POP3_STATUS_OK)
    self->capa = g_steal_pointer (&op->new_capa);
  else
    self->capa = popbell_pop3_capabilities_new ();
  g_clear_pointer (&op->new_capa, popbell_pop3_capabilities_free);

  if (self->security == POPBELL_POP3_SECURITY_STARTTLS && !self->encrypted)
    {
      /* Never a silent downgrade: no STLS, no session. */
      if (!popbell_pop3_capabilities_has (self->capa, "STLS"))
        {
          barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_UNAVAILABLE,
                                           "The server %s does not offer STLS", self->host));
          return;
        }
      Cmd *stls = barrier_cmd (self, "STLS", NULL, stls_done);
      stls->is_stls = TRUE;
      barrier_send (self, stls);
      return;
    }
  connect_done (self);
}

static void
connect_send_capa (PopbellPop3Client *self)
{
  barrier_send (self, capa_cmd (self, connect_capa_done));
}

static void
greeting_done (Cmd *cmd)
{
  PopbellPop3Client *self = cmd->op->client;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      barrier_done (self, command_error (cmd, POPBELL_POP3_ERROR_SERVER_REFUSED));
      return;
    }
  g_free (self->apop_timestamp);
  self->apop_timestamp = popbell_pop3_greeting_timestamp (cmd->reply->text);
  connect_send_capa (self);
}

static void
connect_read_greeting (PopbellPop3Client *self)
{
  if (self->in == NULL)
    self->in = popbell_pop3_stream_new (g_io_stream_get_input_stream (self->iostream));
  self->out = g_io_stream_get_output_stream (self->iostream);
  barrier_send (self, barrier_cmd (self, NULL, NULL, greeting_done));
}

static void
socket_connect_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = io_call_end (user_data, &stale);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = NULL;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (stale)
    return;
  clear_source (self, &self->read_timeout_id);
  if (conn == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                                           "Could not connect to %s within %u seconds",
                                           self->host, self->timeout));
          return;
        }
      g_prefix_error (&error, "Could not connect to %s: ", self->host);
      barrier_done (self, g_steal_pointer (&error));
      return;
    }
  self->socket_conn = g_steal_pointer (&conn);
  self->iostream = G_IO_STREAM (g_object_ref (self->socket_conn));
  g_debug ("POP3 %s: connected to port %u", self->host, self->port);

  if (self->security == POPBELL_POP3_SECURITY_TLS)
    connect_start_tls (self);
  else
    connect_read_greeting (self);
}

static void
connect_start (PopbellPop3Client *self)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = g_network_address_new (self->host, self->port);

  self->state = STATE_CONNECTING;
  self->io_cancellable = g_cancellable_new ();
  if (self->session_timeout > 0)
    self->session_timeout_id = add_timeout (self, self->session_timeout, session_timeout_cb);

  if (self->ca_file != NULL && self->ca_database == NULL)
    {
      g_autoptr(GError) error = NULL;

      self->ca_database = g_tls_file_database_new (self->ca_file, &error);
      if (self->ca_database == NULL)
        {
          g_prefix_error (&error, "Cannot use the CA file %s: ", self->ca_file);
          barrier_done (self, g_steal_pointer (&error));
          return;
        }
    }

  /* No g_socket_client_set_timeout(): the wait timer covers the connect
   * and reports POPBELL_POP3_ERROR_TIMEOUT like every other wait. */
  if (self->local_address != NULL)
    g_socket_client_set_local_address (client, self->local_address);
  arm_wait_timer (self);
  g_socket_client_connect_async (client, address, self->io_cancellable,
                                 socket_connect_cb, io_call_new (self));
}

/* --- login --------------------------------------------------------------------- */

static void
login_capa_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;

  /* RFC 2449 §5: capabilities after login may differ (LOGIN-DELAY n USER,
   * EXPIRE n USER); without an answer the old list stays. */
  if (cmd->reply->status == POPBELL_POP3_STATUS_OK)
    {
      PopbellPop3Capabilities *old = self->capa;

      self->capa = g_steal_pointer (&op->new_capa);
      /* A server that stops mentioning LOGIN-DELAY or EXPIRE after login
       * has not lifted them: keep what it said before. */
      if (self->capa->login_delay < 0)
        {
          self->capa->login_delay = old->login_delay;
          self->capa->login_delay_per_user = old->login_delay_per_user;
        }
      if (self->capa->expire == POPBELL_POP3_EXPIRE_NONE)
        {
          self->capa->expire = old->expire;
          self->capa->expire_per_user = old->expire_per_user;
        }
      popbell_pop3_capabilities_free (old);
    }
  barrier_done (self, NULL);
}

static void
login_send_capa (PopbellPop3Client *self)
{
  self->state = STATE_TRANSACTION;
  barrier_send (self, capa_cmd (self, login_capa_done));
}

static void login_try_next (PopbellPop3Client *self, GError *error);

/* The final answer to PASS, APOP or AUTH. */
static void
auth_done (Cmd *cmd)
{
  PopbellPop3Client *self = cmd->op->client;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      /* RFC 3206 §4: without a code, a refused PASS/APOP/AUTH means the
       * credentials. */
      login_try_next (self, command_error (cmd, POPBELL_POP3_ERROR_AUTH));
      return;
    }
  self->auth_method_used = cmd->op->method_trying;
  g_debug ("POP3 %s: logged in", self->host);
  login_send_capa (self);
}

static void
sasl_plain_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;

  if (cmd->reply->status == POPBELL_POP3_STATUS_CONTINUE)
    {
      /* The server ignored the initial response (or wants it now): send it
       * once as the answer to the empty challenge (RFC 5034 §4). */
      if (op->continued)
        {
          fail_all (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                                       "The server asked for more than SASL PLAIN provides"));
          return;
        }
      op->continued = TRUE;
      g_debug ("C: ********");
      out_append (self, op->sasl_response, strlen (op->sasl_response));
      out_append (self, "\r\n", 2);
      flush_output (self);
      return;
    }
  auth_done (cmd);
}

static void
user_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;
  Cmd *pass;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      login_try_next (self, command_error (cmd, POPBELL_POP3_ERROR_AUTH));
      return;
    }
  pass = barrier_cmd (self, NULL, "PASS ********", auth_done);
  pass->line = secret_concat ("PASS ", op->password);
  barrier_send (self, pass);
}

/* Send the commands of one method. */
static void
login_send (PopbellPop3Client *self, Op *op, PopbellPop3AuthMethod method)
{
  op->method_trying = method;
  op->continued = FALSE;
  g_clear_pointer (&op->sasl_response, secret_free);

  switch (method)
    {
    case POPBELL_POP3_AUTH_USER:
      {
        g_autofree gchar *line = g_strdup_printf ("USER %s", op->username);
        barrier_send (self, barrier_cmd (self, line, NULL, user_done));
      }
      break;
    case POPBELL_POP3_AUTH_APOP:
      {
        /* RFC 1939 §7: MD5 of timestamp + secret, in lower-case hex. */
        g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
        static const guint8 zeros[64] = { 0, };
        g_autofree gchar *line = NULL;
        g_autofree gchar *trace = g_strdup_printf ("APOP %s ********", op->username);

        g_checksum_update (md5, (const guchar *) self->apop_timestamp, -1);
        g_checksum_update (md5, (const guchar *) op->password, -1);
        line = g_strdup_printf ("APOP %s %s", op->username, g_checksum_get_string (md5));
        /* The MD5 state keeps the last block of its input (the password):
         * overwrite it before the checksum is freed. */
        g_checksum_reset (md5);
        g_checksum_update (md5, zeros, sizeof zeros);
        barrier_send (self, barrier_cmd (self, line, trace, auth_done));
      }
      break;
    case POPBELL_POP3_AUTH_SASL_PLAIN:
      {
        /* RFC 4616: authzid (empty) NUL authcid NUL passwd. */
        gsize ulen = strlen (op->username), plen = strlen (op->password);
        guchar *raw = g_malloc (ulen + plen + 2);
        gchar *b64;
        Cmd *cmd;

        raw[0] = '\0';
        memcpy (raw + 1, op->username, ulen);
        raw[1 + ulen] = '\0';
        memcpy (raw + 2 + ulen, op->password, plen);
        b64 = g_base64_encode (raw, ulen + plen + 2);
        secret_wipe (raw, ulen + plen + 2);
        g_free (raw);
        cmd = barrier_cmd (self, NULL, "AUTH PLAIN ********", sasl_plain_done);
        cmd->line = secret_concat ("AUTH PLAIN ", b64);
        cmd->allow_continuation = TRUE;
        op->sasl_response = b64;
        barrier_send (self, cmd);
      }
      break;
    case POPBELL_POP3_AUTH_AUTO:
    default:
      g_assert_not_reached ();
    }
}

/* An attempt failed with @error (taken). Only a refusal of the
 * credentials moves on to the next method of the plan (SPEC §5: a server
 * may show an APOP timestamp without an APOP secret for the user); a
 * locked mailbox, LOGIN-DELAY or a server fault end the login, and so
 * does the end of the plan. RFC 1939 §4: after -ERR the session stays in
 * the AUTHORIZATION state, so the next method goes in the same session. */
static void
login_try_next (PopbellPop3Client *self, GError *error)
{
  Op *op = self->barrier;

  if (error != NULL &&
      g_error_matches (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH) &&
      op->n_plan > op->plan_next)
    {
      PopbellPop3AuthMethod next = op->plan[op->plan_next++];

      g_debug ("POP3 %s: %s; trying another method", self->host, error->message);
      g_error_free (error);
      login_send (self, op, next);
      return;
    }
  barrier_done (self, error);
}

static gboolean
password_allowed (PopbellPop3Client *self)
{
  return self->encrypted || self->allow_insecure_auth;
}

/* The methods auth=auto may use here, in the order of SPEC §5
 * "Authentication": on TLS, SASL PLAIN where offered, else USER/PASS; on a
 * plain link APOP when the greeting has a timestamp (it sends no
 * password), then, only where a password may go, SASL PLAIN or USER/PASS.
 * A remembered method that is among them goes first. */
static void
login_plan_auto (PopbellPop3Client *self, Op *op)
{
  PopbellPop3AuthMethod password_method =
    popbell_pop3_capabilities_has_sasl (self->capa, "PLAIN") ? POPBELL_POP3_AUTH_SASL_PLAIN
                                                             : POPBELL_POP3_AUTH_USER;
  PopbellPop3AuthMethod preferred = self->preferred_auth;

  op->n_plan = 0;
  if (!self->encrypted && self->apop_timestamp != NULL)
    op->plan[op->n_plan++] = POPBELL_POP3_AUTH_APOP;
  if (password_allowed (self))
    op->plan[op->n_plan++] = password_method;
  /* The remembered method first, when it is a choice here (a USER/PASS
   * remembered from an encrypted session is no licence for a plain one:
   * password_allowed() said so above). */
  if (preferred == POPBELL_POP3_AUTH_USER && password_allowed (self) &&
      password_method == POPBELL_POP3_AUTH_SASL_PLAIN)
    op->plan[op->n_plan - 1] = POPBELL_POP3_AUTH_USER;
  for (guint i = 1; i < op->n_plan; i++)
    if (op->plan[i] == preferred)
      {
        op->plan[i] = op->plan[0];
        op->plan[0] = preferred;
      }
}

static void
login_start (PopbellPop3Client *self, Op *op)
{
  PopbellPop3AuthMethod method = op->method;
  gboolean capa_known = g_hash_table_size (self->capa->caps) > 0;

  if (self->state != STATE_AUTHORIZATION)
    {
      barrier_done (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                               "Not connected, or already logged in"));
      return;
    }
  if (method == POPBELL_POP3_AUTH_AUTO)
    {
      login_plan_auto (self, op);
      if (op->n_plan == 0)
        {
          barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE,
                                           "Refusing to send the password to %s over an "
                                           "unencrypted connection", self->host));
          return;
        }
      op->plan_next = 1;
      login_send (self, op, op->plan[0]);
      return;
    }
  if (method == POPBELL_POP3_AUTH_APOP && self->apop_timestamp == NULL)
    {
      barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED,
                                       "The server %s does not offer APOP", self->host));
      return;
    }
  if (method == POPBELL_POP3_AUTH_SASL_PLAIN && capa_known &&
      !popbell_pop3_capabilities_has_sasl (self->capa, "PLAIN"))
    {
      barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED,
                                       "The server %s does not offer SASL PLAIN", self->host));
      return;
    }
  if (method != POPBELL_POP3_AUTH_APOP && !password_allowed (self))
    {
      barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE,
                                       "Refusing to send the password to %s over an "
                                       "unencrypted connection", self->host));
      return;
    }
  op->n_plan = op->plan_next = 0;
  login_send (self, op, method);
}

static void
op_start_barrier (PopbellPop3Client *self, Op *op)
{
  if (op->kind == OP_CONNECT)
    connect_start (self);
  else
    login_start (self, op);
}

/* --- object ------------------------------------------------------------------- */

static void
popbell_pop3_client_dispose (GObject *object)
{
  PopbellPop3Client *self = POPBELL_POP3_CLIENT (object);

  /* Tasks hold refs: nothing is outstanding once we get here. */
  disconnect (self);
  g_clear_object (&self->ca_database);
  G_OBJECT_CLASS (popbell_pop3_client_parent_class)->dispose (object);
}

static void
popbell_pop3_client_finalize (GObject *object)
{
  PopbellPop3Client *self = POPBELL_POP3_CLIENT (object);

  g_free (self->host);
  g_free (self->ca_file);
  g_free (self->pinned);
  g_clear_object (&self->local_address);
  g_main_context_unref (self->context);
  popbell_pop3_capabilities_free (self->capa);
  g_free (self->apop_timestamp);
  g_free (self->peer_sha256);
  out_clear (self);
  g_string_free (self->out_pending, TRUE);
  G_OBJECT_CLASS (popbell_pop3_client_parent_class)->finalize (object);
}

static void
popbell_pop3_client_class_init (PopbellPop3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_pop3_client_dispose;
  object_class->finalize = popbell_pop3_client_finalize;

  trace_signal = g_signal_new ("trace", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                               NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
popbell_pop3_client_init (PopbellPop3Client *self)
{
  self->timeout = 30;
  self->pipelining_enabled = TRUE;
  self->context = g_main_context_ref_thread_default ();
  self->capa = popbell_pop3_capabilities_new ();
  self->out_pending = g_string_new (NULL);
  g_queue_init (&self->pending);
  g_queue_init (&self->sent);
}

PopbellPop3Client *
popbell_pop3_client_new (const gchar *host, guint16 port, PopbellPop3Security security)
{
  PopbellPop3Client *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);

  self = g_object_new (POPBELL_TYPE_POP3_CLIENT, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;
  return self;
}

void
popbell_pop3_client_set_timeout (PopbellPop3Client *self, guint seconds)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->timeout = seconds;
}

void
popbell_pop3_client_set_session_timeout (PopbellPop3Client *self, guint seconds)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->session_timeout = seconds;
}

void
popbell_pop3_client_set_tls_ca_file (PopbellPop3Client *self, const gchar *path)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_free (self->ca_file);
  self->ca_file = (path != NULL && *path != '\0') ? g_strdup (path) : NULL;
  g_clear_object (&self->ca_database);
}

void
popbell_pop3_client_set_pinned_sha256 (PopbellPop3Client *self, const gchar *hex)
{
  GString *plain;

  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_clear_pointer (&self->pinned, g_free);
  if (hex == NULL || *hex == '\0')
    return;
  /* Colons and spaces optional, any case. */
  plain = g_string_new (NULL);
  for (const gchar *c = hex; *c != '\0'; c++)
    if (*c != ':' && *c != ' ')
      g_string_append_c (plain, g_ascii_toupper (*c));
  self->pinned = g_string_free (plain, FALSE);
}

void
popbell_pop3_client_set_allow_insecure_auth (PopbellPop3Client *self, gboolean allow)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->allow_insecure_auth = allow;
}

void
popbell_pop3_client_set_pipelining_enabled (PopbellPop3Client *self, gboolean enabled)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->pipelining_enabled = enabled;
}

void
popbell_pop3_client_set_local_address (PopbellPop3Client *self, GSocketAddress *address)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_set_object (&self->local_address, address);
}

void
popbell_pop3_client_set_preferred_auth_method (PopbellPop3Client *self, PopbellPop3AuthMethod method)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->preferred_auth = method;
}

PopbellPop3AuthMethod
popbell_pop3_client_get_auth_method_used (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), POPBELL_POP3_AUTH_AUTO);
  return self->auth_method_used;
}

gboolean
popbell_pop3_client_is_connected (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return self->state == STATE_AUTHORIZATION || self->state == STATE_TRANSACTION;
}

gboolean
popbell_pop3_client_is_encrypted (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return self->encrypted;
}

gboolean
popbell_pop3_client_is_pipelining (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return pipelining_active (self);
}

gboolean
popbell_pop3_client_has_capability (PopbellPop3Client *self, const gchar *name)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return popbell_pop3_capabilities_has (self->capa, name);
}

const gchar *
popbell_pop3_client_get_capability_args (PopbellPop3Client *self, const gchar *name)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return popbell_pop3_capabilities_get_args (self->capa, name);
}

gint
popbell_pop3_client_get_login_delay (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), -1);
  return self->capa->login_delay;
}

gint
popbell_pop3_client_get_expire (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), POPBELL_POP3_EXPIRE_NONE);
  return self->capa->expire;
}

const gchar *
popbell_pop3_client_get_apop_timestamp (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  return self->apop_timestamp;
}

GTlsConnection *
popbell_pop3_client_get_tls_connection (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  return G_IS_TLS_CONNECTION (self->iostream) ? G_TLS_CONNECTION (self->iostream) : NULL;
}

const gchar *
popbell_pop3_client_get_peer_certificate_sha256 (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  return self->peer_sha256;
}

/* --- public operations ------------------------------------------------------------ */

void
popbell_pop3_client_connect_async (PopbellPop3Client   *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  op_submit (self, op_new (self, OP_CONNECT, popbell_pop3_client_connect_async,
                           cancellable, callback, user_data));
}

gboolean
popbell_pop3_client_connect_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_login_async (PopbellPop3Client     *self,
                                 const gchar           *username,
                                 const gchar           *password,
                                 PopbellPop3AuthMethod  method,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  Op *op;

  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  op = op_new (self, OP_LOGIN, popbell_pop3_client_login_async, cancellable, callback, user_data);
  /* A CR or LF would let the credentials inject commands. */
  if (strpbrk (username, "\r\n") != NULL || strpbrk (password, "\r\n") != NULL ||
      *username == '\0')
    {
      op_return_error (op, g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH,
                                                "The user name or password contains a line break, "
                                                "or the user name is empty"));
      return;
    }
  op->username = g_strdup (username);
  op->password = g_strdup (password);
  op->method = method;
  op_submit (self, op);
}

gboolean
popbell_pop3_client_login_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
submit_simple (PopbellPop3Client   *self,
               OpKind               kind,
               guint                index,
               guint                lines,
               gsize                max_size,
               gpointer             source_tag,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  Op *op = op_new (self, kind, source_tag, cancellable, callback, user_data);

  op->index = index;
  op->lines = lines;
  op->max_size = max_size;
  op_submit (self, op);
}

void
popbell_pop3_client_stat_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_STAT, 0, 0, 0, popbell_pop3_client_stat_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_stat_finish (PopbellPop3Client *self, GAsyncResult *result,
                                 guint *out_count, guint64 *out_size, GError **error)
{
  g_autofree StatResult *stat = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stat = g_task_propagate_pointer (G_TASK (result), error);
  if (stat == NULL)
    return FALSE;
  if (out_count != NULL)
    *out_count = stat->count;
  if (out_size != NULL)
    *out_size = stat->size;
  return TRUE;
}

void
popbell_pop3_client_list_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_LIST, 0, 0, 0, popbell_pop3_client_list_async,
                 cancellable, callback, user_data);
}

GPtrArray *
popbell_pop3_client_list_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_uidl_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_UIDL, 0, 0, 0, popbell_pop3_client_uidl_async,
                 cancellable, callback, user_data);
}

GPtrArray *
popbell_pop3_client_uidl_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_list_one_async (PopbellPop3Client *self, guint index, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_LIST_ONE, index, 0, 0, popbell_pop3_client_list_one_async,
                 cancellable, callback, user_data);
}

PopbellPop3ListEntry *
popbell_pop3_client_list_one_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_uidl_one_async (PopbellPop3Client *self, guint index, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_UIDL_ONE, index, 0, 0, popbell_pop3_client_uidl_one_async,
                 cancellable, callback, user_data);
}

PopbellPop3ListEntry *
popbell_pop3_client_uidl_one_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_top_async (PopbellPop3Client *self, guint index, guint lines,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_TOP, index, lines, POPBELL_POP3_MAX_TOP_SIZE,
                 popbell_pop3_client_top_async, cancellable, callback, user_data);
}

GBytes *
popbell_pop3_client_top_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_retr_async (PopbellPop3Client *self, guint index, gsize max_size,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_RETR, index, 0, max_size, popbell_pop3_client_retr_async,
                 cancellable, callback, user_data);
}

GBytes *
popbell_pop3_client_retr_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_dele_async (PopbellPop3Client *self, guint index, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_DELE, index, 0, 0, popbell_pop3_client_dele_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_dele_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_rset_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_RSET, 0, 0, 0, popbell_pop3_client_rset_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_rset_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_noop_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_NOOP, 0, 0, 0, popbell_pop3_client_noop_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_noop_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_quit_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_QUIT, 0, 0, 0, popbell_pop3_client_quit_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_quit_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_close (PopbellPop3Client *self)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));

  if (self->state == STATE_CLOSED || self->state == STATE_IDLE)
    {
      self->state = STATE_CLOSED;
      return;
    }
  fail_all (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "Connection closed"));
}
