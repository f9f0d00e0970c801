/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* OAuth 2.0 over POP3 SASL (RFC 5034): OAUTHBEARER (RFC 7628) where the
 * server lists it, else XOAUTH2 (the Google/Microsoft form). The bearer
 * token is a password: TLS only, masked in the trace, wiped on free. */
#include "popbell-pop3-client-private.h"

#include <string.h>

/* RFC 5034 §4: an AUTH command with its initial response must fit in 255
 * octets with CRLF; a longer one (most real tokens) goes after "+ ". */
#define MAX_AUTH_LINE 255
/* Longest "status" we keep from the server's JSON (RFC 7628 §3.2.2 values
 * are short: "invalid_token", "insufficient_scope"). */
#define MAX_STATUS    64

/* RFC 5801 §5.1 (the GS2 header of RFC 7628): ',' and '=' in the
 * authorization identity are written =2C and =3D. */
static gchar *
gs2_escape (const gchar *user)
{
  GString *out = g_string_sized_new (strlen (user));

  for (const gchar *c = user; *c != '\0'; c++)
    {
      if (*c == ',')
        g_string_append (out, "=2C");
      else if (*c == '=')
        g_string_append (out, "=3D");
      else
        g_string_append_c (out, *c);
    }
  return g_string_free (out, FALSE);
}

/* The client's first message, base64-encoded; wiped by the caller.
 * OAUTHBEARER: "n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A".
 * XOAUTH2:     "user=USER^Aauth=Bearer TOKEN^A^A". */
static gchar *
initial_response (PopbellPop3Client *self, Op *op, gboolean oauthbearer)
{
  /* Room for everything (escaping at most triples the user name), so that
   * the GString never grows (a realloc would leave the token behind). */
  g_autoptr(GString) raw = g_string_sized_new (64 + 3 * strlen (op->username) +
                                               strlen (self->host) + strlen (op->password));
  gchar *b64;

  if (oauthbearer)
    {
      g_autofree gchar *user = gs2_escape (op->username);

      g_string_append_printf (raw, "n,a=%s,\001host=%s\001port=%u\001", user, self->host,
                              self->port);
    }
  else
    {
      g_string_append_printf (raw, "user=%s\001", op->username);
    }
  /* Appended by hand, not printf: no scratch copy of the token. The
   * GString was sized for it, so it does not grow (realloc) either. */
  g_string_append (raw, "auth=Bearer ");
  g_string_append (raw, op->password);
  g_string_append (raw, "\001\001");
  b64 = g_base64_encode ((const guchar *) raw->str, raw->len);
  pop3_secret_wipe (raw->str, raw->len);
  return b64;
}

/* The "status" of the JSON in an error challenge, or NULL. A lenient scan
 * (the POP3 layer has no JSON parser): "status" : "value", printable ASCII. */
static gchar *
challenge_status (const gchar *b64)
{
  g_autofree guchar *json = NULL;
  g_autofree gchar *text = NULL;
  const gchar *p, *end;
  gsize len = 0;

  if (b64 == NULL || *b64 == '\0')
    return NULL;
  json = g_base64_decode (b64, &len);
  if (json == NULL || len == 0)
    return NULL;
  text = g_strndup ((const gchar *) json, len);
  p = strstr (text, "\"status\"");
  if (p == NULL)
    return NULL;
  p += strlen ("\"status\"");
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p++ != ':')
    return NULL;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p++ != '"')
    return NULL;
  end = strchr (p, '"');
  if (end == NULL || end == p || end - p > MAX_STATUS)
    return NULL;
  for (const gchar *c = p; c < end; c++)
    if ((guchar) *c < 0x20 || (guchar) *c > 0x7e || *c == '\\')
      return NULL;
  return g_strndup (p, end - p);
}

static void
send_continuation (PopbellPop3Client *self, const gchar *data, const gchar *trace)
{
  pop3_trace (self, "C", trace);
  pop3_queue_out_append (self, data, strlen (data));
  pop3_queue_out_append (self, "\r\n", 2);
  pop3_queue_flush (self);
}

static void
oauth2_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;

  if (cmd->reply->status == POPBELL_POP3_STATUS_CONTINUE)
    {
      if (!op->continued)
        {
          /* "+ " to "AUTH MECH" without an initial response: send it now. */
          op->continued = TRUE;
          send_continuation (self, op->sasl_response, "********");
          return;
        }
      if (op->oauth2_error_step)
        {
          pop3_queue_fail_all (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                                                  "The server asked for more than %s provides",
                                                  op->oauth2_mechanism));
          return;
        }
      /* RFC 7628 §3.2.3: a failure comes as a JSON challenge; the client
       * answers with the single octet 0x01 and the server ends with -ERR. */
      op->oauth2_error_step = TRUE;
      g_free (op->oauth2_status);
      op->oauth2_status = challenge_status (cmd->reply->text);
      send_continuation (self, "AQ==", "AQ==");
      return;
    }
  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      GError *error = pop3_command_error (cmd, POPBELL_POP3_ERROR_AUTH);

      if (op->oauth2_status != NULL)
        {
          g_prefix_error (&error, "The token was refused (%s): ", op->oauth2_status);
          popbell_pop3_error_set_oauth2_status (error, op->oauth2_status);
        }
      pop3_barrier_done (self, error);
      return;
    }
  self->auth_method_used = POPBELL_POP3_AUTH_OAUTH2;
  g_debug ("POP3 %s: logged in with %s", self->host, op->oauth2_mechanism);
  pop3_auth_login_send_capa (self);
}

void
pop3_oauth2_start (PopbellPop3Client *self, Op *op)
{
  gboolean oauthbearer = popbell_pop3_capabilities_has_sasl (self->capa, "OAUTHBEARER");
  g_autofree gchar *trace = NULL;
  Cmd *cmd;

  /* A bearer token is a password (SPEC §5 "Security"), with no exception
   * for allow-insecure-auth: nothing is sent without TLS. */
  if (!self->encrypted)
    {
      pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_INSECURE,
                                            "Refusing to send an OAuth 2.0 token to %s over an "
                                            "unencrypted connection", self->host));
      return;
    }
  if (!oauthbearer && !popbell_pop3_capabilities_has_sasl (self->capa, "XOAUTH2"))
    {
      pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR,
                                            POPBELL_POP3_ERROR_OAUTH2_UNAVAILABLE,
                                            "The server %s offers neither SASL OAUTHBEARER nor "
                                            "XOAUTH2, so OAuth 2.0 cannot be used", self->host));
      return;
    }
  /* A control octet would break the ^A framing (RFC 6750 tokens are
   * printable); a ^A in the user name too. */
  for (const gchar *c = op->password; *c != '\0'; c++)
    if ((guchar) *c <= 0x20 || *c == 0x7f)
      {
        pop3_barrier_done (self, g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH,
                                                      "The OAuth 2.0 token contains a space or "
                                                      "a control character"));
        return;
      }
  if (strchr (op->username, '\001') != NULL)
    {
      pop3_barrier_done (self, g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH,
                                                    "The user name contains a control character"));
      return;
    }

  op->method_trying = POPBELL_POP3_AUTH_OAUTH2;
  op->oauth2_mechanism = oauthbearer ? "OAUTHBEARER" : "XOAUTH2";
  op->continued = FALSE;
  op->oauth2_error_step = FALSE;
  g_clear_pointer (&op->sasl_response, pop3_secret_free);
  op->sasl_response = initial_response (self, op, oauthbearer);

  cmd = pop3_barrier_cmd (self, NULL, NULL, oauth2_done);
  cmd->allow_continuation = TRUE;
  if (strlen ("AUTH ") + strlen (op->oauth2_mechanism) + 1 + strlen (op->sasl_response) + 2
      <= MAX_AUTH_LINE)
    {
      g_autofree gchar *head = g_strdup_printf ("AUTH %s ", op->oauth2_mechanism);

      cmd->line = pop3_secret_concat (head, op->sasl_response);
      cmd->trace = g_strdup_printf ("AUTH %s ********", op->oauth2_mechanism);
      op->continued = TRUE;
    }
  else
    {
      cmd->line = g_strdup_printf ("AUTH %s", op->oauth2_mechanism);
    }
  pop3_barrier_send (self, cmd);
}
