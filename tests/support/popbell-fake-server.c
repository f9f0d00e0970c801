/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-fake-server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A throwaway self-signed certificate (P-256, CN and SAN localhost,
 * IP 127.0.0.1, valid until 2126), used only by the tests' fake server. */
static const gchar fake_cert_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBnDCCAUGgAwIBAgIUaQeRTM95AXRkwC7GUhQsrLbtXzgwCgYIKoZIzj0EAwIw\n"
  "FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNjEwMzMyNloYDzIxMjYxMTAy\n"
  "MTAzMzI2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
  "PQMBBwNCAAQyPEuB8v4khYMjaRQzxmohagmHhQclIzefffDuQzqt/BjoYvPhGprG\n"
  "CjVAWVBIg5e8RfAT4Vx/VR0Ecc+cw4jNo28wbTAdBgNVHQ4EFgQUfBvzknZnqMjZ\n"
  "EMFJvz8nS51+SlIwHwYDVR0jBBgwFoAUfBvzknZnqMjZEMFJvz8nS51+SlIwDwYD\n"
  "VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI\n"
  "zj0EAwIDSQAwRgIhAICc6oE3vX6QuQpxMSwOiGNSGUPFkoAyYb5A6ilRLlGjAiEA\n"
  "lXq7FrOlS3Ax9nVd0yq4N5zJlSBbOfpOQTAwzzlfh3w=\n"
  "-----END CERTIFICATE-----\n";
static const gchar fake_key_pem[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVlTsCsa6ZJS+L1kB\n"
  "vIQN8+lVjRXvkkxM5i+29GUBZSihRANCAAQyPEuB8v4khYMjaRQzxmohagmHhQcl\n"
  "IzefffDuQzqt/BjoYvPhGprGCjVAWVBIg5e8RfAT4Vx/VR0Ecc+cw4jN\n"
  "-----END PRIVATE KEY-----\n";

typedef enum {
  STEP_SEND,
  STEP_EXPECT,
  STEP_EXPECT_ANY,
  STEP_CLOSE,
  STEP_STALL,
  STEP_FLOOD,
  STEP_START_TLS,
} StepKind;

typedef struct {
  StepKind  kind;
  gchar    *glob;    /* STEP_EXPECT */
  GBytes   *data;    /* STEP_SEND, STEP_EXPECT reply, STEP_FLOOD line */
  guint     n;       /* STEP_EXPECT_ANY */
} Step;

typedef struct {
  gchar  *uid;
  GBytes *raw;       /* CRLF line ends */
} Message;

/* Output queue items: bytes, or a marker to close / start TLS once
 * everything before it is written. */
typedef enum { OUT_DATA, OUT_CLOSE, OUT_START_TLS, OUT_RESUME } OutKind;
typedef struct {
  OutKind  kind;
  GBytes  *data;
} OutItem;

typedef struct _Conn Conn;

struct _PopbellFakeServer
{
  GObject parent_instance;

  GSocketService *service;         /* (owned) */
  guint16         port;
  GList          *conns;           /* (owned) Conn*, open connections */

  gboolean        mailbox_mode;
  GPtrArray      *scripts;         /* (owned) GPtrArray of GPtrArray of Step */
  guint           next_script;     /* script of the next accepted connection */
  gboolean        byte_by_byte;
  gboolean        break_pipelining;
  guint           n_batches;       /* reads that carried more than one command */
  guint           n_reads;         /* reads that carried commands: the client's turns */

  GPtrArray      *commands;        /* (owned) gchar* */
  GArray         *login_times;     /* gint64 */
  guint           n_logins;
  guint           n_connections;
  gchar          *failure;         /* (nullable) first failure */

  /* mailbox mode */
  gchar          *user;
  gchar          *password;
  gchar          *greeting;
  gchar          *login_reply;
  GPtrArray      *messages;        /* (owned) Message* (refcounted with g_rc_box) */
  GPtrArray      *capa;            /* (owned) gchar* */
  GPtrArray      *user_capa;       /* (owned) gchar* */

  GTlsCertificate *certificate;    /* (owned) (nullable) created on first use */
  gchar          *cert_sha256;
};

struct _Conn
{
  PopbellFakeServer *server;       /* (unowned) the server owns the Conn */
  GSocketConnection *socket_conn;  /* (owned) */
  GIOStream         *stream;       /* (owned) socket_conn or its TLS wrapper */
  GDataInputStream  *in;           /* (owned) */
  GCancellable      *cancellable;  /* (owned) cancelled when the Conn closes */

  GPtrArray         *script;       /* (unowned) (nullable) */
  guint              step;
  guint              any_left;     /* lines still to swallow for EXPECT_ANY */
  GQueue             lines;        /* received, not yet consumed, gchar* */
  gboolean           reading;
  gboolean           writing;
  gboolean           waiting_tls;  /* handshake running or queued: don't read */
  gboolean           stalled;
  gboolean           flooding;
  GBytes            *flood_line;
  guint              flood_counter;
  gboolean           closed;
  guint              busy;         /* callbacks running: don't free yet */
  GQueue             out;          /* OutItem* */

  /* mailbox session */
  gchar             *timestamp;
  gchar             *user_given;
  gboolean           authed;
  gboolean           sasl_wait;    /* AUTH PLAIN sent "+ ", waiting for the response */
  gboolean           in_batch;     /* the next line came in the same read as the last */
  GPtrArray         *snapshot;     /* (owned) Message*, the mailbox at login */
  GArray            *deleted;      /* gboolean per snapshot entry */
};

G_DEFINE_TYPE (PopbellFakeServer, popbell_fake_server, G_TYPE_OBJECT)

static void conn_advance (Conn *conn);
static void conn_read_more (Conn *conn);
static void conn_flush (Conn *conn);
static void mailbox_handle_line (Conn *conn, const gchar *line);

static void
step_free (gpointer data)
{
  Step *step = data;

  g_free (step->glob);
  g_clear_pointer (&step->data, g_bytes_unref);
  g_free (step);
}

static void
message_clear (gpointer data)
{
  Message *msg = data;

  g_free (msg->uid);
  g_bytes_unref (msg->raw);
}

static void
message_unref (gpointer data)
{
  g_rc_box_release_full (data, message_clear);
}

static void
out_item_free (gpointer data)
{
  OutItem *item = data;

  g_clear_pointer (&item->data, g_bytes_unref);
  g_free (item);
}

static void
record_failure (PopbellFakeServer *self, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
record_failure (PopbellFakeServer *self, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_test_message ("fake server: %s", msg);
  if (self->failure == NULL)
    self->failure = g_steal_pointer (&msg);
}

/* --- connections ----------------------------------------------------------- */

static void
conn_free (Conn *conn)
{
  g_cancellable_cancel (conn->cancellable);
  g_clear_object (&conn->in);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->socket_conn);
  g_clear_object (&conn->cancellable);
  g_queue_clear_full (&conn->lines, g_free);
  g_queue_clear_full (&conn->out, out_item_free);
  g_clear_pointer (&conn->flood_line, g_bytes_unref);
  g_free (conn->timestamp);
  g_free (conn->user_given);
  g_clear_pointer (&conn->snapshot, g_ptr_array_unref);
  g_clear_pointer (&conn->deleted, g_array_unref);
  g_free (conn);
}

/* Close now. The Conn itself is freed once no async call refers to it. */
static void
conn_close (Conn *conn)
{
  if (conn->closed)
    return;
  conn->closed = TRUE;
  g_cancellable_cancel (conn->cancellable);
  /* Abrupt close of the socket: no TLS close_notify, like a dropped link. */
  g_socket_close (g_socket_connection_get_socket (conn->socket_conn), NULL);
  conn->server->conns = g_list_remove (conn->server->conns, conn);
}

static void
conn_maybe_free (Conn *conn)
{
  if (conn->closed && !conn->reading && !conn->writing && conn->busy == 0)
    conn_free (conn);
}

static void
conn_queue (Conn *conn, OutKind kind, GBytes *data)
{
  OutItem *item = g_new0 (OutItem, 1);

  item->kind = kind;
  item->data = data != NULL ? g_bytes_ref (data) : NULL;
  g_queue_push_tail (&conn->out, item);
  conn_flush (conn);
}

static void
conn_send (Conn *conn, const gchar *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  conn_queue (conn, OUT_DATA, bytes);
}

static void
conn_sendf (Conn *conn, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
conn_sendf (Conn *conn, const gchar *format, ...)
{
  va_list args;
  g_autofree gchar *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  conn_send (conn, text);
}

static void
conn_write_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;

  conn->writing = FALSE;
  conn->busy++;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    conn_close (conn);
  else if (!conn->closed)
    conn_flush (conn);
  conn->busy--;
  conn_maybe_free (conn);
}

static void
conn_handshake_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;

  conn->writing = FALSE;
  conn->waiting_tls = FALSE;
  conn->busy++;
  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      g_test_message ("fake server: TLS handshake failed: %s", error->message);
      conn_close (conn);
    }
  if (!conn->closed)
    conn_flush (conn);
  if (!conn->closed)
    conn_advance (conn);
  conn->busy--;
  conn_maybe_free (conn);
}

static GTlsCertificate *
server_certificate (PopbellFakeServer *self)
{
  if (self->certificate == NULL)
    {
      g_autofree gchar *pem = g_strconcat (fake_cert_pem, fake_key_pem, NULL);
      g_autoptr(GError) error = NULL;

      self->certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
      g_assert_no_error (error);
    }
  return self->certificate;
}

static void
conn_start_tls (Conn *conn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;

  tls = g_tls_server_connection_new (G_IO_STREAM (conn->socket_conn),
                                     server_certificate (conn->server), &error);
  g_assert_no_error (error);
  /* Plaintext the client sent before the handshake is dropped (RFC 2595 §4). */
  g_clear_object (&conn->in);
  g_set_object (&conn->stream, tls);
  conn->in = g_data_input_stream_new (g_io_stream_get_input_stream (tls));
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (conn->in), FALSE);
  g_data_input_stream_set_newline_type (conn->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  conn->writing = TRUE;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    conn->cancellable, conn_handshake_cb, conn);
}

static void
conn_flood_more (Conn *conn)
{
  gsize line_len;
  const gchar *line = g_bytes_get_data (conn->flood_line, &line_len);
  g_autoptr(GByteArray) chunk = g_byte_array_new ();
  gboolean counted = strstr (line, "%u") != NULL;

  while (chunk->len < 16384)
    {
      if (counted)
        {
          const gchar *mark = strstr (line, "%u");
          g_autofree gchar *number = g_strdup_printf ("%u", ++conn->flood_counter);

          g_byte_array_append (chunk, (const guint8 *) line, mark - line);
          g_byte_array_append (chunk, (const guint8 *) number, strlen (number));
          g_byte_array_append (chunk, (const guint8 *) mark + 2, strlen (mark + 2));
        }
      else
        g_byte_array_append (chunk, (const guint8 *) line, line_len - 1);
    }
  conn->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->stream),
                                   chunk->data, chunk->len, G_PRIORITY_LOW,
                                   conn->cancellable, conn_write_cb, conn);
  /* write_all copies nothing: keep the chunk alive until the callback. */
  g_object_set_data_full (G_OBJECT (conn->cancellable), "flood-chunk",
                          g_byte_array_free_to_bytes (g_steal_pointer (&chunk)),
                          (GDestroyNotify) g_bytes_unref);
}

static void
conn_flush (Conn *conn)
{
  OutItem *item;

  if (conn->closed || conn->writing)
    return;

  item = g_queue_pop_head (&conn->out);
  if (item == NULL)
    {
      if (conn->flooding)
        conn_flood_more (conn);
      return;
    }

  switch (item->kind)
    {
    case OUT_DATA:
      {
        gsize len;
        const guint8 *data = g_bytes_get_data (item->data, &len);
        GOutputStream *out = g_io_stream_get_output_stream (conn->stream);

        if (conn->server->byte_by_byte && len > 1)
          {
            /* Requeue the rest, one byte per write, in order. */
            for (gsize i = len - 1; i >= 1; i--)
              {
                OutItem *rest = g_new0 (OutItem, 1);
                rest->kind = OUT_DATA;
                rest->data = g_bytes_new_from_bytes (item->data, i, 1);
                g_queue_push_head (&conn->out, rest);
              }
            len = 1;
          }
        conn->writing = TRUE;
        g_object_set_data_full (G_OBJECT (conn->cancellable), "out-data",
                                g_bytes_ref (item->data), (GDestroyNotify) g_bytes_unref);
        g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT,
                                         conn->cancellable, conn_write_cb, conn);
      }
      break;
    case OUT_CLOSE:
      conn_close (conn);
      break;
    case OUT_START_TLS:
      conn_start_tls (conn);
      break;
    case OUT_RESUME:
      break;
    default:
      g_assert_not_reached ();
    }
  out_item_free (item);
  if (conn->closed)
    conn_maybe_free (conn);
}

/* TRUE when more than the rest of a line terminator is already buffered:
 * the client wrote the next command together with this one (pipelining). */
static gboolean
more_buffered (Conn *conn)
{
  gsize len = 0;
  const gchar *buffer = g_buffered_input_stream_peek_buffer (G_BUFFERED_INPUT_STREAM (conn->in), &len);

  for (gsize i = 0; i < len; i++)
    if (buffer[i] != '\r' && buffer[i] != '\n')
      return TRUE;
  return FALSE;
}

static void
conn_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Conn *conn = user_data;
  PopbellFakeServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *line = NULL;
  gboolean batched;

  conn->reading = FALSE;
  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  if (conn->closed)
    {
      conn_maybe_free (conn);
      return;
    }
  if (line == NULL)
    {
      /* EOF or error: the client went away. */
      conn_close (conn);
      conn_maybe_free (conn);
      return;
    }
  conn->busy++;
  /* read_line with NEWLINE_TYPE_ANY leaves a lone CR of a CRLF split across
   * reads; strip what is left of the terminator. */
  g_strchomp (line);
  g_ptr_array_add (self->commands, g_strdup (line));
  batched = conn->in_batch;
  if (!batched)
    self->n_reads++;
  conn->in_batch = more_buffered (conn);
  if (conn->in_batch && !batched)
    self->n_batches++;
  if (self->mailbox_mode && batched && self->break_pipelining)
    ;   /* a broken server: only the first command of a batch is answered */
  else if (self->mailbox_mode)
    mailbox_handle_line (conn, line);
  else
    g_queue_push_tail (&conn->lines, g_steal_pointer (&line));
  if (!conn->closed)
    conn_advance (conn);
  conn->busy--;
  conn_maybe_free (conn);
}

static void
conn_read_more (Conn *conn)
{
  if (conn->reading || conn->closed || conn->waiting_tls)
    return;
  conn->reading = TRUE;
  g_data_input_stream_read_line_async (conn->in, G_PRIORITY_DEFAULT, conn->cancellable,
                                       conn_read_cb, conn);
}

/* Run script steps until one has to wait for the client. */
static void
conn_advance (Conn *conn)
{
  PopbellFakeServer *self = conn->server;

  if (self->mailbox_mode)
    {
      if (!conn->closed)
        conn_read_more (conn);
      return;
    }

  while (!conn->closed && !conn->waiting_tls)
    {
      Step *step;

      if (conn->stalled || conn->flooding)
        {
          g_queue_clear_full (&conn->lines, g_free);
          conn_read_more (conn);
          return;
        }
      if (conn->script == NULL || conn->step >= conn->script->len)
        {
          g_autofree gchar *line = g_queue_pop_head (&conn->lines);

          if (line != NULL)
            {
              record_failure (self, "unscripted command \"%s\"", line);
              conn_send (conn, "-ERR unscripted\r\n");
            }
          conn_read_more (conn);
          return;
        }

      step = g_ptr_array_index (conn->script, conn->step);
      switch (step->kind)
        {
        case STEP_SEND:
          conn_queue (conn, OUT_DATA, step->data);
          conn->step++;
          break;
        case STEP_EXPECT:
          {
            g_autofree gchar *line = g_queue_pop_head (&conn->lines);

            if (line == NULL)
              {
                conn_read_more (conn);
                return;
              }
            conn->step++;
            if (!g_pattern_match_simple (step->glob, line))
              {
                record_failure (self, "expected \"%s\", got \"%s\"", step->glob, line);
                conn_close (conn);
                return;
              }
            if (step->data != NULL)
              conn_queue (conn, OUT_DATA, step->data);
          }
          break;
        case STEP_EXPECT_ANY:
          {
            g_autofree gchar *line = NULL;

            if (conn->any_left == 0)
              conn->any_left = step->n;
            line = g_queue_pop_head (&conn->lines);
            if (line == NULL)
              {
                conn_read_more (conn);
                return;
              }
            if (--conn->any_left == 0)
              conn->step++;
          }
          break;
        case STEP_CLOSE:
          conn->step++;
          conn_queue (conn, OUT_CLOSE, NULL);
          return;
        case STEP_STALL:
          conn->step++;
          conn->stalled = TRUE;
          break;
        case STEP_FLOOD:
          conn->step++;
          conn->flooding = TRUE;
          conn->flood_line = g_bytes_ref (step->data);
          conn_flush (conn);
          break;
        case STEP_START_TLS:
          conn->step++;
          conn->waiting_tls = TRUE;
          conn_queue (conn, OUT_START_TLS, NULL);
          return;
        default:
          g_assert_not_reached ();
        }
    }
}

static gboolean
incoming_cb (GSocketService     *service,
             GSocketConnection  *connection,
             GObject            *source_object,
             gpointer            user_data)
{
  PopbellFakeServer *self = user_data;
  Conn *conn = g_new0 (Conn, 1);

  conn->server = self;
  conn->socket_conn = g_object_ref (connection);
  conn->stream = G_IO_STREAM (g_object_ref (connection));
  conn->cancellable = g_cancellable_new ();
  conn->in = g_data_input_stream_new (g_io_stream_get_input_stream (conn->stream));
  /* Dropping the plaintext reader at STLS must not close the socket. */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (conn->in), FALSE);
  g_data_input_stream_set_newline_type (conn->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  g_queue_init (&conn->lines);
  g_queue_init (&conn->out);
  /* Replies must go out at once, also byte by byte. */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  self->conns = g_list_append (self->conns, conn);
  self->n_connections++;

  if (self->mailbox_mode)
    {
      conn->timestamp = g_strdup_printf ("<%d.%u@fake>", (int) getpid (), self->n_connections);
      if (self->greeting != NULL)
        conn_sendf (conn, "%s\r\n", self->greeting);
      else
        conn_sendf (conn, "+OK Popbell fake server ready %s\r\n", conn->timestamp);
    }
  else if (self->next_script < self->scripts->len)
    {
      conn->script = g_ptr_array_index (self->scripts, self->next_script);
      self->next_script++;
    }
  else
    {
      record_failure (self, "unscripted connection #%u", self->n_connections);
    }
  conn->busy++;
  conn_advance (conn);
  conn->busy--;
  conn_maybe_free (conn);
  return TRUE;
}

/* --- mailbox mode ------------------------------------------------------------ */

static GBytes *
normalize_crlf (const gchar *raw)
{
  GString *out = g_string_sized_new (strlen (raw) + 64);

  for (const gchar *p = raw; *p != '\0'; p++)
    {
      if (*p == '\n' && (p == raw || p[-1] != '\r'))
        g_string_append_c (out, '\r');
      g_string_append_c (out, *p);
    }
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append (out, "\r\n");
  return g_string_free_to_bytes (out);
}

static gboolean
capa_has (GPtrArray *capa, const gchar *name)
{
  gsize n = strlen (name);

  for (guint i = 0; i < capa->len; i++)
    {
      const gchar *line = g_ptr_array_index (capa, i);
      if (g_ascii_strncasecmp (line, name, n) == 0 && (line[n] == '\0' || line[n] == ' '))
        return TRUE;
    }
  return FALSE;
}

static gboolean
capa_has_sasl_plain (GPtrArray *capa)
{
  for (guint i = 0; i < capa->len; i++)
    {
      const gchar *line = g_ptr_array_index (capa, i);
      if (g_ascii_strncasecmp (line, "SASL ", 5) == 0 && strstr (line, "PLAIN") != NULL)
        return TRUE;
    }
  return FALSE;
}

/* Append @raw dot-stuffed; stop after the header and @body_lines lines when
 * @body_lines >= 0. */
static void
append_stuffed (GString *out, GBytes *raw, gint64 body_lines)
{
  gsize len;
  const gchar *data = g_bytes_get_data (raw, &len);
  const gchar *end = data + len;
  const gchar *p = data;
  gboolean in_body = FALSE;
  gint64 body_seen = 0;

  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', end - p);
      const gchar *next = nl != NULL ? nl + 1 : end;

      if (in_body && body_lines >= 0 && body_seen >= body_lines)
        break;
      if (*p == '.')
        g_string_append_c (out, '.');
      g_string_append_len (out, p, next - p);
      if (in_body)
        body_seen++;
      else if (next - p <= 2 && (*p == '\r' || *p == '\n'))
        in_body = TRUE;
      p = next;
    }
  g_string_append (out, ".\r\n");
}

static Message *
session_message (Conn *conn, const gchar *arg)
{
  guint64 n;

  if (arg == NULL || !g_ascii_string_to_unsigned (arg, 10, 1, conn->snapshot->len, &n, NULL))
    return NULL;
  if (g_array_index (conn->deleted, gboolean, n - 1))
    return NULL;
  return g_ptr_array_index (conn->snapshot, n - 1);
}

static void
mailbox_login (Conn *conn, const gchar *user, const gchar *password, const gchar *apop_digest)
{
  PopbellFakeServer *self = conn->server;
  gint64 now = g_get_real_time ();
  gboolean ok;

  g_array_append_val (self->login_times, now);
  if (self->login_reply != NULL)
    {
      conn_sendf (conn, "%s\r\n", self->login_reply);
      return;
    }
  ok = g_strcmp0 (user, self->user) == 0;
  if (apop_digest != NULL)
    {
      g_autofree gchar *input = g_strconcat (conn->timestamp, self->password, NULL);
      g_autofree gchar *digest = g_compute_checksum_for_string (G_CHECKSUM_MD5, input, -1);
      ok = ok && g_ascii_strcasecmp (digest, apop_digest) == 0;
    }
  else
    {
      ok = ok && g_strcmp0 (password, self->password) == 0;
    }
  if (!ok)
    {
      conn_send (conn, "-ERR [AUTH] Authentication failed.\r\n");
      return;
    }
  self->n_logins++;
  conn->authed = TRUE;
  conn->snapshot = g_ptr_array_new_with_free_func (message_unref);
  for (guint i = 0; i < self->messages->len; i++)
    g_ptr_array_add (conn->snapshot, g_rc_box_acquire (g_ptr_array_index (self->messages, i)));
  conn->deleted = g_array_new (FALSE, TRUE, sizeof (gboolean));
  g_array_set_size (conn->deleted, conn->snapshot->len);
  conn_send (conn, "+OK Logged in.\r\n");
}

static void
mailbox_sasl_plain (Conn *conn, const gchar *b64)
{
  gsize len = 0;
  g_autofree guchar *raw = g_base64_decode (b64, &len);
  const gchar *authz, *user, *pass;
  g_autofree gchar *copy = NULL;

  /* "authzid \0 authcid \0 passwd" (RFC 4616) */
  copy = g_malloc0 (len + 1);
  memcpy (copy, raw, len);
  authz = copy;
  user = memchr (copy, '\0', len);
  pass = user != NULL ? memchr (user + 1, '\0', copy + len - (user + 1)) : NULL;
  if (user == NULL || pass == NULL)
    {
      conn_send (conn, "-ERR [AUTH] Invalid base64 data\r\n");
      return;
    }
  (void) authz;
  mailbox_login (conn, user + 1, pass + 1, NULL);
}

static void
mailbox_capa (Conn *conn)
{
  PopbellFakeServer *self = conn->server;
  GString *out;

  if (self->capa->len == 0)
    {
      conn_send (conn, "-ERR Unknown command\r\n");
      return;
    }
  out = g_string_new ("+OK Capability list follows\r\n");
  for (guint i = 0; i < self->capa->len; i++)
    {
      const gchar *line = g_ptr_array_index (self->capa, i);
      /* After login, a server lists no SASL/USER/STLS (Dovecot does not). */
      if (conn->authed && (g_str_has_prefix (line, "SASL") || g_str_equal (line, "USER") ||
                           g_str_equal (line, "STLS")))
        continue;
      g_string_append_printf (out, "%s\r\n", line);
    }
  if (conn->authed)
    for (guint i = 0; i < self->user_capa->len; i++)
      g_string_append_printf (out, "%s\r\n", (const gchar *) g_ptr_array_index (self->user_capa, i));
  g_string_append (out, ".\r\n");
  conn_send (conn, out->str);
  g_string_free (out, TRUE);
}

static void
mailbox_transaction (Conn *conn, const gchar *cmd, gchar **args)
{
  PopbellFakeServer *self = conn->server;
  const gchar *arg1 = args[0] != NULL ? args[1] : NULL;
  const gchar *arg2 = arg1 != NULL ? args[2] : NULL;

  if (g_ascii_strcasecmp (cmd, "STAT") == 0)
    {
      guint n = 0;
      guint64 size = 0;
      for (guint i = 0; i < conn->snapshot->len; i++)
        if (!g_array_index (conn->deleted, gboolean, i))
          {
            Message *msg = g_ptr_array_index (conn->snapshot, i);
            n++;
            size += g_bytes_get_size (msg->raw);
          }
      conn_sendf (conn, "+OK %u %" G_GUINT64_FORMAT "\r\n", n, size);
    }
  else if (g_ascii_strcasecmp (cmd, "LIST") == 0 || g_ascii_strcasecmp (cmd, "UIDL") == 0)
    {
      gboolean uidl = g_ascii_strcasecmp (cmd, "UIDL") == 0;

      if (uidl && !capa_has (self->capa, "UIDL"))
        {
          conn_send (conn, "-ERR Unknown command\r\n");
          return;
        }
      if (arg1 != NULL)
        {
          Message *msg = session_message (conn, arg1);
          if (msg == NULL)
            conn_send (conn, "-ERR There's no message with that number.\r\n");
          else if (uidl)
            conn_sendf (conn, "+OK %s %s\r\n", arg1, msg->uid);
          else
            conn_sendf (conn, "+OK %s %" G_GSIZE_FORMAT "\r\n", arg1, g_bytes_get_size (msg->raw));
          return;
        }
      GString *out = g_string_new ("+OK\r\n");
      for (guint i = 0; i < conn->snapshot->len; i++)
        {
          Message *msg = g_ptr_array_index (conn->snapshot, i);
          if (g_array_index (conn->deleted, gboolean, i))
            continue;
          if (uidl)
            g_string_append_printf (out, "%u %s\r\n", i + 1, msg->uid);
          else
            g_string_append_printf (out, "%u %" G_GSIZE_FORMAT "\r\n", i + 1, g_bytes_get_size (msg->raw));
        }
      g_string_append (out, ".\r\n");
      conn_send (conn, out->str);
      g_string_free (out, TRUE);
    }
  else if (g_ascii_strcasecmp (cmd, "TOP") == 0 || g_ascii_strcasecmp (cmd, "RETR") == 0)
    {
      gboolean top = g_ascii_strcasecmp (cmd, "TOP") == 0;
      Message *msg = session_message (conn, arg1);
      guint64 lines = 0;

      if (top && !capa_has (self->capa, "TOP"))
        {
          conn_send (conn, "-ERR Unknown command\r\n");
          return;
        }
      if (msg == NULL ||
          (top && (arg2 == NULL || !g_ascii_string_to_unsigned (arg2, 10, 0, G_MAXINT, &lines, NULL))))
        {
          conn_send (conn, "-ERR There's no message with that number.\r\n");
          return;
        }
      GString *out = g_string_new ("+OK\r\n");
      append_stuffed (out, msg->raw, top ? (gint64) lines : -1);
      conn_send (conn, out->str);
      g_string_free (out, TRUE);
    }
  else if (g_ascii_strcasecmp (cmd, "DELE") == 0)
    {
      if (session_message (conn, arg1) == NULL)
        {
          conn_send (conn, "-ERR There's no message with that number.\r\n");
          return;
        }
      g_array_index (conn->deleted, gboolean, atoi (arg1) - 1) = TRUE;
      conn_send (conn, "+OK Marked to be deleted.\r\n");
    }
  else if (g_ascii_strcasecmp (cmd, "RSET") == 0)
    {
      for (guint i = 0; i < conn->deleted->len; i++)
        g_array_index (conn->deleted, gboolean, i) = FALSE;
      conn_send (conn, "+OK\r\n");
    }
  else
    {
      conn_send (conn, "-ERR Unknown command\r\n");
    }
}

static void
mailbox_handle_line (Conn *conn, const gchar *line)
{
  PopbellFakeServer *self = conn->server;
  g_auto(GStrv) args = g_strsplit (line, " ", 4);
  const gchar *cmd = args[0] != NULL ? args[0] : "";
  const gchar *arg1 = args[0] != NULL ? args[1] : NULL;
  const gchar *arg2 = arg1 != NULL ? args[2] : NULL;

  if (conn->sasl_wait)
    {
      conn->sasl_wait = FALSE;
      mailbox_sasl_plain (conn, line);
      return;
    }
  if (g_ascii_strcasecmp (cmd, "CAPA") == 0)
    mailbox_capa (conn);
  else if (g_ascii_strcasecmp (cmd, "NOOP") == 0)
    conn_send (conn, "+OK\r\n");
  else if (g_ascii_strcasecmp (cmd, "QUIT") == 0)
    {
      if (conn->authed)
        for (guint i = 0; i < conn->snapshot->len; i++)
          if (g_array_index (conn->deleted, gboolean, i))
            g_ptr_array_remove (self->messages, g_ptr_array_index (conn->snapshot, i));
      conn_send (conn, "+OK Logging out.\r\n");
      conn_queue (conn, OUT_CLOSE, NULL);
    }
  else if (conn->authed)
    mailbox_transaction (conn, cmd, args);
  else if (g_ascii_strcasecmp (cmd, "USER") == 0 && arg1 != NULL)
    {
      g_free (conn->user_given);
      conn->user_given = g_strdup (arg1);
      conn_send (conn, "+OK\r\n");
    }
  else if (g_ascii_strcasecmp (cmd, "PASS") == 0 && conn->user_given != NULL)
    mailbox_login (conn, conn->user_given, line + 5, NULL);
  else if (g_ascii_strcasecmp (cmd, "APOP") == 0 && arg2 != NULL)
    mailbox_login (conn, arg1, NULL, arg2);
  else if (g_ascii_strcasecmp (cmd, "AUTH") == 0 && arg1 != NULL &&
           g_ascii_strcasecmp (arg1, "PLAIN") == 0 && capa_has_sasl_plain (self->capa))
    {
      if (arg2 != NULL)
        mailbox_sasl_plain (conn, arg2);
      else
        {
          conn->sasl_wait = TRUE;
          conn_send (conn, "+ \r\n");
        }
    }
  else
    conn_send (conn, "-ERR Unknown command or not logged in.\r\n");
}

/* --- object ---------------------------------------------------------------- */

static void
popbell_fake_server_dispose (GObject *object)
{
  popbell_fake_server_stop (POPBELL_FAKE_SERVER (object));
  g_clear_object (&POPBELL_FAKE_SERVER (object)->service);
  G_OBJECT_CLASS (popbell_fake_server_parent_class)->dispose (object);
}

static void
popbell_fake_server_finalize (GObject *object)
{
  PopbellFakeServer *self = POPBELL_FAKE_SERVER (object);

  g_ptr_array_unref (self->scripts);
  g_ptr_array_unref (self->commands);
  g_array_unref (self->login_times);
  g_ptr_array_unref (self->messages);
  g_ptr_array_unref (self->capa);
  g_ptr_array_unref (self->user_capa);
  g_free (self->failure);
  g_free (self->user);
  g_free (self->password);
  g_free (self->greeting);
  g_free (self->login_reply);
  g_clear_object (&self->certificate);
  g_free (self->cert_sha256);
  G_OBJECT_CLASS (popbell_fake_server_parent_class)->finalize (object);
}

static void
popbell_fake_server_class_init (PopbellFakeServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_fake_server_dispose;
  object_class->finalize = popbell_fake_server_finalize;
}

static void
popbell_fake_server_init (PopbellFakeServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  self->scripts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_ptr_array_add (self->scripts, g_ptr_array_new_with_free_func (step_free));
  self->commands = g_ptr_array_new_with_free_func (g_free);
  self->login_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->messages = g_ptr_array_new_with_free_func (message_unref);
  self->capa = g_ptr_array_new_with_free_func (g_free);
  self->user_capa = g_ptr_array_new_with_free_func (g_free);

  self->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, &effective, &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);
}

PopbellFakeServer *
popbell_fake_server_new (void)
{
  return g_object_new (POPBELL_TYPE_FAKE_SERVER, NULL);
}

PopbellFakeServer *
popbell_fake_server_new_mailbox (const gchar *user, const gchar *password)
{
  PopbellFakeServer *self = g_object_new (POPBELL_TYPE_FAKE_SERVER, NULL);
  static const gchar * const default_capa[] = {
    "TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "SASL PLAIN", NULL,
  };

  self->mailbox_mode = TRUE;
  self->user = g_strdup (user);
  self->password = g_strdup (password);
  popbell_fake_server_set_capabilities (self, default_capa);
  return self;
}

guint16
popbell_fake_server_get_port (PopbellFakeServer *self)
{
  return self->port;
}

void
popbell_fake_server_listen_also (PopbellFakeServer *self, const gchar *ip)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (inet);
  address = g_inet_socket_address_new (inet, self->port);
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
add_step (PopbellFakeServer *self, StepKind kind, const gchar *glob, GBytes *data, guint n)
{
  GPtrArray *script = g_ptr_array_index (self->scripts, self->scripts->len - 1);
  Step *step = g_new0 (Step, 1);

  step->kind = kind;
  step->glob = g_strdup (glob);
  step->data = data;
  step->n = n;
  g_ptr_array_add (script, step);
}

void
popbell_fake_server_send (PopbellFakeServer *self, const gchar *raw)
{
  add_step (self, STEP_SEND, NULL, g_bytes_new (raw, strlen (raw)), 0);
}

void
popbell_fake_server_send_bytes (PopbellFakeServer *self, const guint8 *data, gsize len)
{
  add_step (self, STEP_SEND, NULL, g_bytes_new (data, len), 0);
}

void
popbell_fake_server_expect (PopbellFakeServer *self, const gchar *glob, const gchar *reply)
{
  add_step (self, STEP_EXPECT, glob, reply != NULL ? g_bytes_new (reply, strlen (reply)) : NULL, 0);
}

void
popbell_fake_server_expect_any (PopbellFakeServer *self, guint n)
{
  g_return_if_fail (n > 0);
  add_step (self, STEP_EXPECT_ANY, NULL, NULL, n);
}

void
popbell_fake_server_close (PopbellFakeServer *self)
{
  add_step (self, STEP_CLOSE, NULL, NULL, 0);
}

void
popbell_fake_server_stall (PopbellFakeServer *self)
{
  add_step (self, STEP_STALL, NULL, NULL, 0);
}

void
popbell_fake_server_flood (PopbellFakeServer *self, const gchar *line)
{
  g_autofree gchar *with_crlf = g_strconcat (line, "\r\n", NULL);

  /* Stored NUL-terminated: conn_flood_more looks for "%u" in it. */
  add_step (self, STEP_FLOOD, NULL, g_bytes_new (with_crlf, strlen (with_crlf) + 1), 0);
}

void
popbell_fake_server_start_tls (PopbellFakeServer *self)
{
  add_step (self, STEP_START_TLS, NULL, NULL, 0);
}

void
popbell_fake_server_next_connection (PopbellFakeServer *self)
{
  g_ptr_array_add (self->scripts, g_ptr_array_new_with_free_func (step_free));
}

void
popbell_fake_server_set_byte_by_byte (PopbellFakeServer *self, gboolean byte_by_byte)
{
  self->byte_by_byte = byte_by_byte;
}

void
popbell_fake_server_add_message (PopbellFakeServer *self, const gchar *uid, const gchar *raw)
{
  Message *msg = g_rc_box_new0 (Message);

  msg->uid = g_strdup (uid);
  msg->raw = normalize_crlf (raw);
  g_ptr_array_add (self->messages, msg);
}

gboolean
popbell_fake_server_remove_message (PopbellFakeServer *self, const gchar *uid)
{
  for (guint i = 0; i < self->messages->len; i++)
    {
      Message *msg = g_ptr_array_index (self->messages, i);
      if (g_strcmp0 (msg->uid, uid) == 0)
        {
          g_ptr_array_remove_index (self->messages, i);
          return TRUE;
        }
    }
  return FALSE;
}

guint
popbell_fake_server_get_n_messages (PopbellFakeServer *self)
{
  return self->messages->len;
}

void
popbell_fake_server_set_capabilities (PopbellFakeServer *self, const gchar * const *capa)
{
  g_ptr_array_set_size (self->capa, 0);
  for (; capa != NULL && *capa != NULL; capa++)
    g_ptr_array_add (self->capa, g_strdup (*capa));
}

void
popbell_fake_server_add_capability (PopbellFakeServer *self, const gchar *line)
{
  g_ptr_array_add (self->capa, g_strdup (line));
}

void
popbell_fake_server_remove_capability (PopbellFakeServer *self, const gchar *name)
{
  gsize n = strlen (name);

  for (guint i = self->capa->len; i > 0; i--)
    {
      const gchar *line = g_ptr_array_index (self->capa, i - 1);
      if (g_ascii_strncasecmp (line, name, n) == 0 && (line[n] == '\0' || line[n] == ' '))
        g_ptr_array_remove_index (self->capa, i - 1);
    }
}

void
popbell_fake_server_add_user_capability (PopbellFakeServer *self, const gchar *line)
{
  g_ptr_array_add (self->user_capa, g_strdup (line));
}

void
popbell_fake_server_set_login_reply (PopbellFakeServer *self, const gchar *status_line)
{
  g_free (self->login_reply);
  self->login_reply = g_strdup (status_line);
}

void
popbell_fake_server_set_greeting (PopbellFakeServer *self, const gchar *status_line)
{
  g_free (self->greeting);
  self->greeting = g_strdup (status_line);
}

GPtrArray *
popbell_fake_server_get_commands (PopbellFakeServer *self)
{
  return self->commands;
}

guint
popbell_fake_server_count_commands (PopbellFakeServer *self, const gchar *glob)
{
  guint n = 0;

  for (guint i = 0; i < self->commands->len; i++)
    if (g_pattern_match_simple (glob, g_ptr_array_index (self->commands, i)))
      n++;
  return n;
}

guint
popbell_fake_server_get_n_connections (PopbellFakeServer *self)
{
  return self->n_connections;
}

guint
popbell_fake_server_get_n_logins (PopbellFakeServer *self)
{
  return self->n_logins;
}

GArray *
popbell_fake_server_get_login_times (PopbellFakeServer *self)
{
  return self->login_times;
}

void
popbell_fake_server_set_break_pipelining (PopbellFakeServer *self, gboolean broken)
{
  self->break_pipelining = broken;
}

guint
popbell_fake_server_get_n_batches (PopbellFakeServer *self)
{
  return self->n_batches;
}

guint
popbell_fake_server_get_n_reads (PopbellFakeServer *self)
{
  return self->n_reads;
}

guint
popbell_fake_server_get_n_open (PopbellFakeServer *self)
{
  return g_list_length (self->conns);
}

gboolean
popbell_fake_server_script_done (PopbellFakeServer *self)
{
  guint used = self->next_script;

  if (self->mailbox_mode)
    return TRUE;
  /* The last script is an empty one when nothing was added after _new(). */
  for (guint i = used; i < self->scripts->len; i++)
    if (((GPtrArray *) g_ptr_array_index (self->scripts, i))->len > 0)
      return FALSE;
  for (GList *l = self->conns; l != NULL; l = l->next)
    {
      Conn *conn = l->data;
      if (conn->script != NULL && conn->step < conn->script->len)
        return FALSE;
    }
  return TRUE;
}

const gchar *
popbell_fake_server_get_failure (PopbellFakeServer *self)
{
  return self->failure;
}

static gboolean
timeout_flag_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
popbell_fake_server_wait_closed (PopbellFakeServer *self, guint timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, timeout_flag_cb, &expired);

  while (self->conns != NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return self->conns == NULL;
}

const gchar *
popbell_fake_server_get_certificate_pem (PopbellFakeServer *self)
{
  return fake_cert_pem;
}

const gchar *
popbell_fake_server_get_certificate_sha256 (PopbellFakeServer *self)
{
  if (self->cert_sha256 == NULL)
    {
      g_autoptr(GByteArray) der = NULL;
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      guint8 digest[32];
      gsize len = sizeof digest;
      GString *hex = g_string_new (NULL);

      g_object_get (server_certificate (self), "certificate", &der, NULL);
      g_checksum_update (sum, der->data, der->len);
      g_checksum_get_digest (sum, digest, &len);
      for (gsize i = 0; i < len; i++)
        g_string_append_printf (hex, "%s%02X", i > 0 ? ":" : "", digest[i]);
      self->cert_sha256 = g_string_free (hex, FALSE);
    }
  return self->cert_sha256;
}

void
popbell_fake_server_stop (PopbellFakeServer *self)
{
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }
  while (self->conns != NULL)
    {
      Conn *conn = self->conns->data;
      conn_close (conn);
      conn_maybe_free (conn);
    }
}
