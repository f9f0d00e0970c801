/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

/* Between the files of the POP3 client (not installed, not for core):
 *
 *   popbell-pop3-queue.c     transport, command queue, pipelining, timers,
 *                            cancellation (the queue's invariants live there)
 *   popbell-pop3-commands.c  the one-command operations and their answers
 *   popbell-pop3-connect.c   TCP, greeting, CAPA, STLS
 *   popbell-pop3-tls.c       TLS handshake and trust: system store, CA file, pin
 *   popbell-pop3-auth.c      authentication mechanisms and auth=auto
 *   popbell-pop3-client.c    the GObject, options, public async wrappers
 */

#include "popbell-pop3-client.h"
#include "popbell-pop3-reply.h"
#include "popbell-pop3-stream.h"

G_BEGIN_DECLS

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
  OP_INTERNAL,   /* no caller: a CAPA written ahead, or a command whose answer is void */
} OpKind;

typedef struct _Op  Op;
typedef struct _Cmd Cmd;
typedef struct _CancelHook CancelHook;

/* One caller operation. CONNECT and LOGIN are "barriers": they run alone,
 * as a series of commands; the others are one command each and may be
 * pipelined. */
struct _Op
{
  PopbellPop3Client *client;      /* (unowned) the task holds a ref */
  OpKind             kind;
  GTask             *task;        /* (owned) (nullable) NULL once answered early (cancelled) */
  CancelHook        *cancel_hook; /* (nullable) shared with the ops of the same cancellable */
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
  const gchar       *oauth2_mechanism; /* "OAUTHBEARER" or "XOAUTH2" */
  gboolean           oauth2_error_step; /* the server sent its JSON failure challenge */
  gchar             *oauth2_status;  /* (nullable) "status" of that JSON */
  gboolean           capa_with_auth; /* LOGIN: the CAPA after login went out with AUTH */
  gboolean           ahead_open;     /* LOGIN: simple commands may follow it unanswered */
  GError            *auth_error;     /* LOGIN: refused; reported once that CAPA is read */
  GError            *user_error;     /* LOGIN: USER written ahead was refused */
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
  gboolean   passable;            /* a barrier may start while it is unanswered */
  gboolean   ahead;               /* written before the login was answered */
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
  GCancellable       *io_cancellable;  /* (owned) cancelled on pop3_queue_disconnect */
  guint               generation;      /* bumped on pop3_queue_disconnect: stale callbacks drop out */
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
  /* What the server advertised last time (set_remembered_capabilities);
   * with PIPELINING, the session writes ahead (see popbell-pop3-queue.c). */
  PopbellPop3Capabilities *remembered; /* (owned) (nullable) */
  PopbellPop3Capabilities *capa_before_login; /* (owned) (nullable) what to remember */
  gboolean            writing_ahead;   /* this session writes ahead */
  gboolean            remembered_contradicted; /* the server said otherwise now */

  GHashTable         *cancel_hooks;    /* (owned) GCancellable* -> CancelHook*, one
                                        * g_cancellable_connect() per cancellable */
  GSource            *cancel_idle;     /* (owned) (nullable) a sweep for cancelled ops is due */
  GMutex              cancel_lock;     /* cancel_idle: ::cancelled may come from any thread */

  guint               read_timeout_id;
  guint               write_timeout_id;
  guint               session_timeout_id;
};


/* --- queue (popbell-pop3-queue.c) ----------------------------------------- */

/* user_data of every GIO call: a ref on the client and the connection
 * generation it belongs to. */
typedef struct {
  PopbellPop3Client *self;
  guint              generation;
} IoCall;

IoCall            *pop3_io_call_new (PopbellPop3Client *self);
PopbellPop3Client *pop3_io_call_end (IoCall *call, gboolean *stale);

/* One line of the protocol trace ("C" or "S", secrets already masked): the
 * debug log and the ::trace signal (popbell-pop3-client.c). */
void   pop3_trace         (PopbellPop3Client *self, const gchar *direction, const gchar *text);

void   pop3_secret_wipe   (gpointer data, gsize len);
void   pop3_secret_free   (gchar *secret);
gchar *pop3_secret_concat (const gchar *a, const gchar *b);

void   pop3_queue_out_append (PopbellPop3Client *self, const gchar *data, gsize len);
void   pop3_queue_out_clear  (PopbellPop3Client *self);
void   pop3_queue_flush      (PopbellPop3Client *self);

Op      *pop3_op_new            (PopbellPop3Client *self, OpKind kind, gpointer source_tag,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
void     pop3_op_submit         (PopbellPop3Client *self, Op *op);
void     pop3_op_free           (Op *op);
GTask   *pop3_op_finish         (Op *op);
void     pop3_op_return_error   (Op *op, GError *error);
void     pop3_op_return_boolean (Op *op);
void     pop3_cmd_free          (Cmd *cmd);
GError  *pop3_command_error     (Cmd *cmd, PopbellPop3Error fallback);

gboolean pop3_queue_pipelining_active (PopbellPop3Client *self);
GError  *pop3_queue_out_of_step_error (PopbellPop3Client *self, GError *error);
guint    pop3_queue_add_timeout       (PopbellPop3Client *self, guint seconds, GSourceFunc func);
void     pop3_queue_clear_source      (PopbellPop3Client *self, guint *id);
void     pop3_queue_arm_wait_timer    (PopbellPop3Client *self);
void     pop3_queue_disconnect        (PopbellPop3Client *self);
void     pop3_queue_fail_all          (PopbellPop3Client *self, GError *error);
void     pop3_queue_fail_op_and_all   (PopbellPop3Client *self, Op *op, GError *error);
void     pop3_queue_reader_kick       (PopbellPop3Client *self);
void     pop3_queue_schedule          (PopbellPop3Client *self);
void     pop3_queue_init              (PopbellPop3Client *self);
gboolean pop3_queue_awaits_greeting   (PopbellPop3Client *self);
gboolean pop3_queue_tls_mismatch      (PopbellPop3Client *self, const gchar *data, gsize len);
GError  *pop3_queue_tls_mismatch_error (PopbellPop3Client *self);
void     pop3_queue_clear_cancel_hooks (PopbellPop3Client *self);
void     pop3_queue_start_session_timer (PopbellPop3Client *self);
/* Queue @cmd for writing at the end of this main loop turn. */
void     pop3_queue_send              (PopbellPop3Client *self, Cmd *cmd);
/* The login was refused: commands written ahead of its answer get a void
 * answer, and their operations go back to the queue, in order. */
void     pop3_queue_requeue_ahead     (PopbellPop3Client *self);
Op      *pop3_op_new_internal         (PopbellPop3Client *self);

/* Barriers (connect, login): a series of commands, alone on the wire. */
Cmd  *pop3_barrier_cmd  (PopbellPop3Client *self, const gchar *line, const gchar *trace,
                         void (*done) (Cmd *cmd));
void  pop3_barrier_send (PopbellPop3Client *self, Cmd *cmd);
void  pop3_barrier_done (PopbellPop3Client *self, GError *error);

/* --- commands (popbell-pop3-commands.c) ------------------------------------ */

Cmd *pop3_commands_make_cmd (Op *op);
Cmd *pop3_capa_cmd          (PopbellPop3Client *self, void (*done) (Cmd *cmd));
/* CAPA for @op (an internal one), answered into op->new_capa. */
Cmd *pop3_capa_cmd_for      (Op *op, void (*done) (Cmd *cmd));

/* --- connect (popbell-pop3-connect.c) --------------------------------------- */

void pop3_connect_start          (PopbellPop3Client *self);
void pop3_connect_read_greeting  (PopbellPop3Client *self);
void pop3_connect_send_capa      (PopbellPop3Client *self);

/* --- TLS (popbell-pop3-tls.c) ------------------------------------------------ */

gboolean pop3_tls_load_ca_file      (PopbellPop3Client *self, GError **error);
void     pop3_tls_start             (PopbellPop3Client *self);
gchar   *pop3_tls_certificate_sha256 (GTlsCertificate *certificate);

/* --- authentication (popbell-pop3-auth.c) ------------------------------------ */

void pop3_auth_login_start     (PopbellPop3Client *self, Op *op);
/* Logged in: CAPA again (RFC 2449 §5), then the login ends. */
void pop3_auth_login_send_capa (PopbellPop3Client *self);

/* --- OAuth 2.0 (popbell-pop3-oauth2.c) ----------------------------------------- */

void pop3_oauth2_start (PopbellPop3Client *self, Op *op);

/* --- client (popbell-pop3-client.c) ------------------------------------------ */

/* Run a barrier that reached the head of the queue. */
void pop3_op_start_barrier (PopbellPop3Client *self, Op *op);

G_END_DECLS
