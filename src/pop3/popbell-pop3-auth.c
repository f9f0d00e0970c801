/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Authentication: USER/PASS, APOP, SASL PLAIN, and auth=auto's plan
 * (SPEC §5 "Authentication"), then CAPA again (RFC 2449 §5). */
#include "popbell-pop3-client-private.h"

#include <string.h>

static void login_try_next (PopbellPop3Client *self, GError *error);
static void login_send (PopbellPop3Client *self, Op *op, PopbellPop3AuthMethod method);

/* A login written ahead picked its mechanism from the remembered
 * capabilities; this session's CAPA (answered before the login) may say
 * SASL PLAIN is gone. Its refusal then says nothing about the password:
 * auth=auto goes on with USER/PASS (what the plan gives without SASL
 * PLAIN; the password was allowed here for SASL PLAIN already), an
 * explicit sasl-plain is UNSUPPORTED — never AUTH, which would hold the
 * account. TRUE when handled. */
static gboolean
login_guess_was_wrong (PopbellPop3Client *self, Op *op)
{
  if (op->method_trying != POPBELL_POP3_AUTH_SASL_PLAIN || self->remembered == NULL ||
      popbell_pop3_capabilities_has_sasl (self->capa, "PLAIN"))
    return FALSE;
  g_clear_error (&op->auth_error);
  if (op->method == POPBELL_POP3_AUTH_AUTO)
    {
      g_debug ("POP3 %s: SASL PLAIN is no longer offered; trying USER/PASS", self->host);
      login_send (self, op, POPBELL_POP3_AUTH_USER);
    }
  else
    pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED,
                                          "The server %s does not offer SASL PLAIN", self->host));
  return TRUE;
}

/* --- login --------------------------------------------------------------------- */

static void
login_capa_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;

  op->capa_with_auth = FALSE;
  op->ahead_open = FALSE;
  if (op->auth_error != NULL)
    {
      /* The CAPA written with a refused login: not logged in, nothing to
       * learn; the login goes on (another method) or ends. */
      g_clear_pointer (&op->new_capa, popbell_pop3_capabilities_free);
      if (!login_guess_was_wrong (self, op))
        login_try_next (self, g_steal_pointer (&op->auth_error));
      return;
    }
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
  pop3_barrier_done (self, NULL);
}

void
pop3_auth_login_send_capa (PopbellPop3Client *self)
{
  self->state = STATE_TRANSACTION;
  pop3_barrier_send (self, pop3_capa_cmd (self, login_capa_done));
}


/* The final answer to PASS, APOP or AUTH. */
static void
auth_done (Cmd *cmd)
{
  PopbellPop3Client *self = cmd->op->client;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK || cmd->op->user_error != NULL)
    {
      /* RFC 3206 §4: without a code, a refused PASS/APOP/AUTH means the
       * credentials. A refused USER written ahead speaks first. */
      GError *error = cmd->op->user_error != NULL
                      ? g_steal_pointer (&cmd->op->user_error)
                      : pop3_command_error (cmd, POPBELL_POP3_ERROR_AUTH);

      if (cmd->op->capa_with_auth)
        {
          /* The CAPA written with it is answered next: go on from there.
           * What was written ahead goes back to the queue. */
          cmd->op->ahead_open = FALSE;
          pop3_queue_requeue_ahead (self);
          g_clear_error (&cmd->op->auth_error);
          cmd->op->auth_error = error;
          return;
        }
      login_try_next (self, error);
      return;
    }
  self->auth_method_used = cmd->op->method_trying;
  g_debug ("POP3 %s: logged in", self->host);
  if (cmd->op->capa_with_auth)
    {
      self->state = STATE_TRANSACTION;   /* its CAPA is on the way */
      return;
    }
  pop3_auth_login_send_capa (self);
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
          pop3_queue_fail_all (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                                                  "The server asked for more than SASL PLAIN provides"));
          return;
        }
      op->continued = TRUE;
      pop3_trace (self, "C", "********");
      pop3_queue_out_append (self, op->sasl_response, strlen (op->sasl_response));
      pop3_queue_out_append (self, "\r\n", 2);
      pop3_queue_flush (self);
      return;
    }
  auth_done (cmd);
}

static Cmd *
pass_cmd (PopbellPop3Client *self, Op *op)
{
  Cmd *pass = pop3_barrier_cmd (self, NULL, "PASS ********", auth_done);

  pass->line = pop3_secret_concat ("PASS ", op->password);
  return pass;
}

static void
user_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;

  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      login_try_next (self, pop3_command_error (cmd, POPBELL_POP3_ERROR_AUTH));
      return;
    }
  pop3_barrier_send (self, pass_cmd (self, op));
}

/* USER written ahead with PASS: a refusal is kept for PASS's answer,
 * which comes next and ends the attempt (auth_done). */
static void
user_ahead_done (Cmd *cmd)
{
  if (cmd->reply->status != POPBELL_POP3_STATUS_OK && cmd->op->user_error == NULL)
    cmd->op->user_error = pop3_command_error (cmd, POPBELL_POP3_ERROR_AUTH);
}

/* Write a login that is one command. Writing ahead (see
 * popbell-pop3-queue.c), the CAPA after login and the simple commands
 * queued behind go in the same write. */
static void
login_write (PopbellPop3Client *self, Op *op, Cmd *auth)
{
  if (!self->writing_ahead)
    {
      pop3_barrier_send (self, auth);
      return;
    }
  pop3_queue_send (self, auth);
  pop3_queue_send (self, pop3_capa_cmd (self, login_capa_done));
  op->capa_with_auth = TRUE;
  op->ahead_open = TRUE;
  pop3_queue_schedule (self);
}

/* Send the commands of one method. */
static void
login_send (PopbellPop3Client *self, Op *op, PopbellPop3AuthMethod method)
{
  op->method_trying = method;
  op->continued = FALSE;
  g_clear_pointer (&op->sasl_response, pop3_secret_free);

  switch (method)
    {
    case POPBELL_POP3_AUTH_USER:
      {
        g_autofree gchar *line = g_strdup_printf ("USER %s", op->username);

        g_clear_error (&op->user_error);
        if (!self->writing_ahead)
          {
            pop3_barrier_send (self, pop3_barrier_cmd (self, line, NULL, user_done));
            break;
          }
        /* RFC 2449 §6.6 lets a PIPELINING server take USER and PASS in
         * one write; the password goes where USER/PASS sends it anyway
         * (login_plan_auto() and pop3_auth_login_start() decided that). */
        pop3_queue_send (self, pop3_barrier_cmd (self, line, NULL, user_ahead_done));
        login_write (self, op, pass_cmd (self, op));
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
        login_write (self, op, pop3_barrier_cmd (self, line, trace, auth_done));
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
        pop3_secret_wipe (raw, ulen + plen + 2);
        g_free (raw);
        cmd = pop3_barrier_cmd (self, NULL, "AUTH PLAIN ********", sasl_plain_done);
        cmd->line = pop3_secret_concat ("AUTH PLAIN ", b64);
        cmd->allow_continuation = TRUE;
        op->sasl_response = b64;
        login_write (self, op, cmd);
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
  pop3_barrier_done (self, error);
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

void
pop3_auth_login_start (PopbellPop3Client *self, Op *op)
{
  PopbellPop3AuthMethod method = op->method;
  gboolean capa_known = g_hash_table_size (self->capa->caps) > 0;

  if (self->state != STATE_AUTHORIZATION)
    {
      pop3_barrier_done (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                    "Not connected, or already logged in"));
      return;
    }
  if (method == POPBELL_POP3_AUTH_AUTO)
    {
      login_plan_auto (self, op);
      if (op->n_plan == 0)
        {
          pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE,
                                                "Refusing to send the password to %s over an "
                                           "unencrypted connection", self->host));
          return;
        }
      op->plan_next = 1;
      login_send (self, op, op->plan[0]);
      return;
    }
  if (method == POPBELL_POP3_AUTH_OAUTH2)
    {
      op->n_plan = op->plan_next = 0;
      pop3_oauth2_start (self, op);
      return;
    }
  if (method == POPBELL_POP3_AUTH_APOP && self->apop_timestamp == NULL)
    {
      pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED,
                                            "The server %s does not offer APOP", self->host));
      return;
    }
  if (method == POPBELL_POP3_AUTH_SASL_PLAIN && capa_known &&
      !popbell_pop3_capabilities_has_sasl (self->capa, "PLAIN"))
    {
      pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_UNSUPPORTED,
                                            "The server %s does not offer SASL PLAIN", self->host));
      return;
    }
  if (method != POPBELL_POP3_AUTH_APOP && !password_allowed (self))
    {
      pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE,
                                            "Refusing to send the password to %s over an "
                                       "unencrypted connection", self->host));
      return;
    }
  op->n_plan = op->plan_next = 0;
  login_send (self, op, method);
}

