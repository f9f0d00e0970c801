/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Opening a POP3 session: TCP, (implicit TLS,) greeting, CAPA, and with
 * security=starttls STLS and CAPA again; never a silent downgrade. */
#include "popbell-pop3-client-private.h"

#include <string.h>

static void
connect_done (PopbellPop3Client *self)
{
  self->state = STATE_AUTHORIZATION;
  pop3_barrier_done (self, NULL);
}

static void
stls_done (Cmd *cmd)
{
  PopbellPop3Client *self = cmd->op->client;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_UNAVAILABLE,
                                            "The server %s refused STLS: %s", self->host,
                                       cmd->reply->text));
      return;
    }
  self->barrier->after_stls = TRUE;
  pop3_tls_start (self);
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
  g_clear_pointer (&self->capa_before_login, popbell_pop3_capabilities_free);
  self->capa_before_login = popbell_pop3_capabilities_copy (self->capa);

  if (self->security == POPBELL_POP3_SECURITY_STARTTLS && !self->encrypted)
    {
      /* Never a silent downgrade: no STLS, no session. */
      if (!popbell_pop3_capabilities_has (self->capa, "STLS"))
        {
          pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_UNAVAILABLE,
                                                "The server %s does not offer STLS", self->host));
          return;
        }
      Cmd *stls = pop3_barrier_cmd (self, "STLS", NULL, stls_done);
      stls->is_stls = TRUE;
      pop3_barrier_send (self, stls);
      return;
    }
  connect_done (self);
}

/* The answer to a CAPA written ahead (the connect already ended on the
 * remembered list): the server's word replaces the memory. */
static void
ahead_capa_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;

  if (self->state == STATE_AUTHORIZATION)
    {
      popbell_pop3_capabilities_free (self->capa);
      if (cmd->reply->status == POPBELL_POP3_STATUS_OK)
        self->capa = g_steal_pointer (&op->new_capa);
      else
        self->capa = popbell_pop3_capabilities_new ();
    }
  if (!popbell_pop3_capabilities_has (self->capa, "PIPELINING"))
    self->remembered_contradicted = TRUE;
  g_clear_pointer (&self->capa_before_login, popbell_pop3_capabilities_free);
  self->capa_before_login = popbell_pop3_capabilities_copy (self->capa);
  pop3_op_free (op);
}

void
pop3_connect_send_capa (PopbellPop3Client *self)
{
  Cmd *capa;

  /* Never ahead of STLS: on a starttls session only the CAPA after the
   * handshake may be written ahead. */
  self->writing_ahead = self->remembered != NULL && self->pipelining_enabled &&
                        popbell_pop3_capabilities_has (self->remembered, "PIPELINING") &&
                        (self->security != POPBELL_POP3_SECURITY_STARTTLS || self->encrypted);
  if (!self->writing_ahead)
    {
      pop3_barrier_send (self, pop3_capa_cmd (self, connect_capa_done));
      return;
    }
  capa = pop3_capa_cmd_for (pop3_op_new_internal (self), ahead_capa_done);
  capa->passable = TRUE;
  pop3_queue_send (self, capa);
  popbell_pop3_capabilities_free (self->capa);
  self->capa = popbell_pop3_capabilities_copy (self->remembered);
  connect_done (self);
}

static void
greeting_done (Cmd *cmd)
{
  PopbellPop3Client *self = cmd->op->client;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      pop3_barrier_done (self, pop3_command_error (cmd, POPBELL_POP3_ERROR_SERVER_REFUSED));
      return;
    }
  g_free (self->apop_timestamp);
  self->apop_timestamp = popbell_pop3_greeting_timestamp (cmd->reply->text);
  pop3_connect_send_capa (self);
}

void
pop3_connect_read_greeting (PopbellPop3Client *self)
{
  if (self->in == NULL)
    self->in = popbell_pop3_stream_new (g_io_stream_get_input_stream (self->iostream));
  self->out = g_io_stream_get_output_stream (self->iostream);
  pop3_barrier_send (self, pop3_barrier_cmd (self, NULL, NULL, greeting_done));
}

static void
socket_connect_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = pop3_io_call_end (user_data, &stale);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn = NULL;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (stale)
    return;
  pop3_queue_clear_source (self, &self->read_timeout_id);
  if (conn == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TIMEOUT,
                                                "Could not connect to %s within %u seconds",
                                           self->host, self->timeout));
          return;
        }
      g_prefix_error (&error, "Could not connect to %s: ", self->host);
      pop3_barrier_done (self, g_steal_pointer (&error));
      return;
    }
  self->socket_conn = g_steal_pointer (&conn);
  self->iostream = G_IO_STREAM (g_object_ref (self->socket_conn));
  g_debug ("POP3 %s: connected to port %u", self->host, self->port);

  if (self->security == POPBELL_POP3_SECURITY_TLS)
    pop3_tls_start (self);
  else
    pop3_connect_read_greeting (self);
}

void
pop3_connect_start (PopbellPop3Client *self)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnectable) address = g_network_address_new (self->host, self->port);

  self->state = STATE_CONNECTING;
  self->io_cancellable = g_cancellable_new ();
  pop3_queue_start_session_timer (self);

  {
    GError *error = NULL;

    if (!pop3_tls_load_ca_file (self, &error))
      {
        pop3_barrier_done (self, error);
        return;
      }
  }

  /* No g_socket_client_set_timeout(): the wait timer covers the connect
   * and reports POPBELL_POP3_ERROR_TIMEOUT like every other wait. */
  if (self->local_address != NULL)
    g_socket_client_set_local_address (client, self->local_address);
  pop3_queue_arm_wait_timer (self);
  g_socket_client_connect_async (client, address, self->io_cancellable,
                                 socket_connect_cb, pop3_io_call_new (self));
}

