/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * The whole POP3 client (src/pop3/popbell-pop3-client.c) against a server
 * whose side of the conversation is the input, over a real loopback TCP
 * socket. A thread accepts the connection, sends the input, closes its
 * sending side and reads whatever the client says until it hangs up. The
 * client connects, logs in and runs STAT, LIST, UIDL, TOP, RETR, LIST n,
 * UIDL n, NOOP, DELE, RSET and QUIT; every operation must end in a success
 * with sane values or in a clean GError — never a crash, a critical, a hang
 * or a leak.
 *
 * Byte 0 of the input picks the options (the rest is the server's side):
 *   bits 0-1  auth method (auto, user, apop, sasl-plain)
 *   bit 2     pipelining disabled
 *   bit 3     every command queued at once (else one after the other)
 */
#include <string.h>

#include "fuzz-util.h"
#include "popbell-pop3-client.h"

typedef struct {
  GSocket      *socket;    /* (owned) the accepted connection, or NULL */
  const guint8 *data;      /* (unowned) */
  gsize         len;
} ServerData;

static GSocket *listener;  /* one for the whole process */
static guint16  port;

static void
listen_once (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (listener != NULL)
    return;
  listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
  if (listener == NULL || !g_socket_bind (listener, address, TRUE, &error) ||
      !g_socket_listen (listener, &error))
    g_error ("cannot listen on loopback: %s", error->message);
  /* A client that never connects must not hang the fuzzer. */
  g_socket_set_timeout (listener, 10);
  bound = g_socket_get_local_address (listener, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gpointer
server_thread (gpointer user_data)
{
  ServerData *server = user_data;
  g_autoptr(GSocket) socket = g_socket_accept (listener, NULL, NULL);
  gsize sent = 0;
  gchar sink[4096];

  if (socket == NULL)
    return NULL;
  g_socket_set_timeout (socket, 10);
  while (sent < server->len)
    {
      gssize n = g_socket_send (socket, (const gchar *) server->data + sent,
                                server->len - sent, NULL, NULL);
      if (n <= 0)
        break;
      sent += n;
    }
  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  /* Read until the client hangs up, so it never blocks on a full buffer. */
  while (g_socket_receive (socket, sink, sizeof sink, NULL, NULL) > 0)
    ;
  g_socket_close (socket, NULL);
  return NULL;
}

/* --- one operation at a time, or all queued at once ---------------------- */

typedef enum {
  OP_STAT, OP_LIST, OP_UIDL, OP_TOP_0, OP_TOP_5, OP_RETR, OP_LIST_ONE, OP_UIDL_ONE,
  OP_NOOP, OP_DELE, OP_RSET, OP_QUIT, N_OPS
} Op;

typedef struct {
  guint pending;
} Run;

typedef struct {
  Run *run;
  Op   op;
} OpCall;

static void
check_listing (GPtrArray *entries, GError *error, gboolean uidl)
{
  if (entries == NULL)
    {
      fuzz_check_error (error);
      return;
    }
  FUZZ_CHECK (entries->len <= POPBELL_POP3_MAX_MESSAGES, "listings are capped");
  for (guint i = 0; i < entries->len; i++)
    {
      PopbellPop3ListEntry *entry = entries->pdata[i];

      FUZZ_CHECK (entry->index >= 1, "message numbers start at 1");
      FUZZ_CHECK (!uidl || (entry->uid != NULL && g_utf8_validate (entry->uid, -1, NULL)),
                  "UIDs are valid UTF-8");
    }
  g_ptr_array_unref (entries);
}

static void
check_entry (PopbellPop3ListEntry *entry, GError *error, gboolean uidl)
{
  if (entry == NULL)
    {
      fuzz_check_error (error);
      return;
    }
  FUZZ_CHECK (entry->index >= 1, "message numbers start at 1");
  FUZZ_CHECK (!uidl || entry->uid != NULL, "a UIDL answer has a UID");
  popbell_pop3_list_entry_free (entry);
}

static void
check_bytes (GBytes *bytes, GError *error, gsize max)
{
  if (bytes == NULL)
    {
      fuzz_check_error (error);
      return;
    }
  FUZZ_CHECK (g_bytes_get_size (bytes) <= max, "a message is never larger than its cap");
  g_bytes_unref (bytes);
}

static void
check_boolean (gboolean ok, GError *error)
{
  if (!ok)
    fuzz_check_error (error);
  else
    FUZZ_CHECK (error == NULL, "no error on success");
}

static void
op_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpCall *call = user_data;
  PopbellPop3Client *client = POPBELL_POP3_CLIENT (source);
  g_autoptr(GError) error = NULL;
  guint count = 0;
  guint64 size = 0;
  gboolean ok;
  GPtrArray *listing;
  GBytes *bytes;
  PopbellPop3ListEntry *entry;

  /* Each result is taken before it is checked: a function argument list
   * does not order the _finish call before the read of @error. */
  switch (call->op)
    {
    case OP_STAT:
      ok = popbell_pop3_client_stat_finish (client, result, &count, &size, &error);
      check_boolean (ok, error);
      break;
    case OP_LIST:
    case OP_UIDL:
      listing = call->op == OP_LIST ? popbell_pop3_client_list_finish (client, result, &error)
                                    : popbell_pop3_client_uidl_finish (client, result, &error);
      check_listing (listing, error, call->op == OP_UIDL);
      break;
    case OP_TOP_0:
    case OP_TOP_5:
      bytes = popbell_pop3_client_top_finish (client, result, &error);
      check_bytes (bytes, error, POPBELL_POP3_MAX_TOP_SIZE);
      break;
    case OP_RETR:
      bytes = popbell_pop3_client_retr_finish (client, result, &error);
      check_bytes (bytes, error, 64 * 1024);
      break;
    case OP_LIST_ONE:
    case OP_UIDL_ONE:
      entry = call->op == OP_LIST_ONE
              ? popbell_pop3_client_list_one_finish (client, result, &error)
              : popbell_pop3_client_uidl_one_finish (client, result, &error);
      check_entry (entry, error, call->op == OP_UIDL_ONE);
      break;
    case OP_NOOP:
      ok = popbell_pop3_client_noop_finish (client, result, &error);
      check_boolean (ok, error);
      break;
    case OP_DELE:
      ok = popbell_pop3_client_dele_finish (client, result, &error);
      check_boolean (ok, error);
      break;
    case OP_RSET:
      ok = popbell_pop3_client_rset_finish (client, result, &error);
      check_boolean (ok, error);
      break;
    case OP_QUIT:
      ok = popbell_pop3_client_quit_finish (client, result, &error);
      check_boolean (ok, error);
      break;
    case N_OPS:
    default:
      g_assert_not_reached ();
    }
  call->run->pending--;
  g_free (call);
}

static void
start_op (PopbellPop3Client *client, Run *run, Op op)
{
  OpCall *call = g_new0 (OpCall, 1);

  call->run = run;
  call->op = op;
  run->pending++;
  switch (op)
    {
    case OP_STAT: popbell_pop3_client_stat_async (client, NULL, op_done, call); break;
    case OP_LIST: popbell_pop3_client_list_async (client, NULL, op_done, call); break;
    case OP_UIDL: popbell_pop3_client_uidl_async (client, NULL, op_done, call); break;
    case OP_TOP_0: popbell_pop3_client_top_async (client, 1, 0, NULL, op_done, call); break;
    case OP_TOP_5: popbell_pop3_client_top_async (client, 2, 5, NULL, op_done, call); break;
    case OP_RETR: popbell_pop3_client_retr_async (client, 1, 64 * 1024, NULL, op_done, call); break;
    case OP_LIST_ONE: popbell_pop3_client_list_one_async (client, 1, NULL, op_done, call); break;
    case OP_UIDL_ONE: popbell_pop3_client_uidl_one_async (client, 1, NULL, op_done, call); break;
    case OP_NOOP: popbell_pop3_client_noop_async (client, NULL, op_done, call); break;
    case OP_DELE: popbell_pop3_client_dele_async (client, 1, NULL, op_done, call); break;
    case OP_RSET: popbell_pop3_client_rset_async (client, NULL, op_done, call); break;
    case OP_QUIT: popbell_pop3_client_quit_async (client, NULL, op_done, call); break;
    case N_OPS:
    default: g_assert_not_reached ();
    }
}

static void
wait_for (Run *run)
{
  while (run->pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
run_session (PopbellPop3Client *client, guint8 options)
{
  static const PopbellPop3AuthMethod methods[] = {
    POPBELL_POP3_AUTH_AUTO, POPBELL_POP3_AUTH_USER, POPBELL_POP3_AUTH_APOP,
    POPBELL_POP3_AUTH_SASL_PLAIN,
  };
  g_autoptr(GAsyncResult) connected = NULL;
  g_autoptr(GAsyncResult) logged_in = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };

  popbell_pop3_client_connect_async (client, NULL, store_result, &connected);
  while (connected == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!popbell_pop3_client_connect_finish (client, connected, &error))
    {
      fuzz_check_error (error);
      return FALSE;
    }
  (void) popbell_pop3_client_get_login_delay (client);
  (void) popbell_pop3_client_get_expire (client);
  (void) popbell_pop3_client_get_capability_args (client, "SASL");
  {
    const gchar *timestamp = popbell_pop3_client_get_apop_timestamp (client);

    FUZZ_CHECK (timestamp == NULL || g_utf8_validate (timestamp, -1, NULL),
                "the APOP timestamp is valid UTF-8");
  }

  popbell_pop3_client_login_async (client, "user", "secret", methods[options & 3], NULL,
                                   store_result, &logged_in);
  while (logged_in == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (!popbell_pop3_client_login_finish (client, logged_in, &error))
    {
      fuzz_check_error (error);
      return FALSE;
    }

  for (Op op = 0; op < N_OPS; op++)
    {
      start_op (client, &run, op);
      if ((options & 8) == 0)
        {
          wait_for (&run);
          if (!popbell_pop3_client_is_connected (client))
            break;
        }
    }
  wait_for (&run);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(PopbellPop3Client) client = NULL;
  ServerData server = { 0 };
  GThread *thread;

  fuzz_init ();
  if (size < 1 || size > 256 * 1024)
    return 0;

  listen_once ();
  server.data = data + 1;
  server.len = size - 1;
  thread = g_thread_new ("fuzz-server", server_thread, &server);

  client = popbell_pop3_client_new ("127.0.0.1", port, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_timeout (client, 10);
  popbell_pop3_client_set_allow_insecure_auth (client, TRUE);
  popbell_pop3_client_set_pipelining_enabled (client, (data[0] & 4) == 0);
  (void) run_session (client, data[0]);

  popbell_pop3_client_close (client);
  FUZZ_CHECK (!popbell_pop3_client_is_connected (client), "closed means disconnected");
  g_clear_object (&client);
  /* Whatever the client left behind (an idle source, a close in flight). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_thread_join (thread);
  return 0;
}
