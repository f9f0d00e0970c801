/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "popbell-credentials.h"
#include "popbell-pop3-error.h"
#include "popbell-text.h"

/* How much of a server's own words we quote after our sentence. */
#define DETAIL_MAX_CHARS 160

/* The structured part of a POPBELL_ERROR (STYLE §10): what a notification
 * or the account editor needs beyond the sentence. Zero for errors made
 * with plain g_error_new(). */
typedef struct {
  PopbellErrorReason  reason;
  gchar              *certificate_sha256;  /* (nullable) "AB:CD:…" */
  gchar              *detail;              /* (nullable) the lower layer's words */
} PopbellErrorPrivate;

static void
popbell_error_private_init (PopbellErrorPrivate *priv)
{
}

static void
popbell_error_private_copy (const PopbellErrorPrivate *src,
                            PopbellErrorPrivate       *dest)
{
  if (src == NULL || dest == NULL)
    return;
  dest->reason = src->reason;
  dest->certificate_sha256 = g_strdup (src->certificate_sha256);
  dest->detail = g_strdup (src->detail);
}

static void
popbell_error_private_clear (PopbellErrorPrivate *priv)
{
  if (priv == NULL)
    return;
  g_clear_pointer (&priv->certificate_sha256, g_free);
  g_clear_pointer (&priv->detail, g_free);
}

G_DEFINE_EXTENDED_ERROR (PopbellError, popbell_error)

/* Only ever called with a POPBELL_ERROR, where the private part exists. */
static PopbellErrorPrivate *
priv_of (const GError *error)
{
  PopbellErrorPrivate *priv = popbell_error_get_private (error);

  if (priv == NULL)
    g_error ("not a POPBELL_ERROR");
  return priv;
}

PopbellErrorReason
popbell_error_get_reason (const GError *error)
{
  if (error == NULL || error->domain != POPBELL_ERROR)
    return POPBELL_ERROR_REASON_NONE;
  return priv_of (error)->reason;
}

const gchar *
popbell_error_get_detail (const GError *error)
{
  if (error == NULL || error->domain != POPBELL_ERROR)
    return NULL;
  return priv_of (error)->detail;
}

static GError *
with_reason (GError             *error,
             PopbellErrorReason  reason)
{
  priv_of (error)->reason = reason;
  return error;
}

const gchar *
popbell_error_kind_to_string (PopbellError kind)
{
  switch (kind)
    {
    case POPBELL_ERROR_NETWORK:        return "network";
    case POPBELL_ERROR_TLS:            return "tls";
    case POPBELL_ERROR_AUTH:           return "auth";
    case POPBELL_ERROR_INSECURE:       return "insecure";
    case POPBELL_ERROR_PROTOCOL:       return "protocol";
    case POPBELL_ERROR_TIMEOUT:        return "timeout";
    case POPBELL_ERROR_SERVER:         return "server";
    case POPBELL_ERROR_MAILBOX_LOCKED: return "mailbox-locked";
    case POPBELL_ERROR_LOGIN_DELAY:    return "login-delay";
    case POPBELL_ERROR_KEYRING:        return "keyring";
    case POPBELL_ERROR_CONFIG:         return "config";
    default:                           return NULL;
    }
}

gchar *
popbell_error_dup_certificate_sha256 (const GError *error)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree gchar *hex = NULL;
  GString *out;

  if (error == NULL || error->message == NULL)
    return NULL;
  if (error->domain == POPBELL_ERROR && priv_of (error)->certificate_sha256 != NULL)
    return g_strdup (priv_of (error)->certificate_sha256);
  if (error->domain == POPBELL_POP3_ERROR &&
      popbell_pop3_error_get_certificate_sha256 (error) != NULL)
    return g_strdup (popbell_pop3_error_get_certificate_sha256 (error));

  /* 32 bytes, each two hex digits, optionally separated by colons. */
  regex = g_regex_new ("(?<![0-9A-Fa-f:])((?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2})(?![0-9A-Fa-f:])",
                       G_REGEX_OPTIMIZE, 0, NULL);
  if (!g_regex_match (regex, error->message, 0, &match))
    return NULL;

  hex = g_match_info_fetch (match, 1);
  out = g_string_sized_new (95);
  for (const gchar *p = hex; *p != '\0'; p++)
    {
      if (*p == ':')
        continue;
      if (out->len > 0 && (out->len + 1) % 3 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (*p));
    }
  if (out->len != 95)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* The POP3 layer's messages are English templates around the server's
 * own words. Their templates are translated here, at the boundary where
 * text becomes the user's: only the server's part stays as it came. The
 * patterns are in the order of the formats in tail_format(). */
static const gchar *const tail_patterns[] = {
  "^The server refused ([A-Za-z-]+): (.*)$",
  "^The server (\\S+) refused the connection: (.*)$",
  "^Could not connect to (\\S+) within ([0-9]+) seconds$",
  "^Could not connect to (\\S+): (.*)$",
  "^TLS handshake with (\\S+) failed: (.*)$",
  "^Could not send to the server: (.*)()$",
  "^Answer cut short: (.*)()$",
};

static gchar *
tail_format (gsize        index,
             const gchar *a,
             const gchar *b)
{
  switch (index)
    {
    /* Translators: the end of an error: a POP3 command and the server's answer. */
    case 0: return g_strdup_printf (_("the server refused %s: %s"), a, b);
    case 1: return g_strdup_printf (_("the server %s refused the connection: %s"), a, b);
    case 2: return g_strdup_printf (_("could not connect to %s within %s seconds"), a, b);
    case 3: return g_strdup_printf (_("could not connect to %s: %s"), a, b);
    case 4: return g_strdup_printf (_("the TLS handshake with %s failed: %s"), a, b);
    case 5: return g_strdup_printf (_("could not send to the server: %s"), a);
    case 6: return g_strdup_printf (_("the answer was cut short: %s"), a);
    default: g_return_val_if_reached (NULL);
    }
}

static gchar *
translate_tail (const gchar *text)
{
  G_STATIC_ASSERT (G_N_ELEMENTS (tail_patterns) == 7);

  for (gsize i = 0; i < G_N_ELEMENTS (tail_patterns); i++)
    {
      g_autoptr(GRegex) regex = g_regex_new (tail_patterns[i], 0, 0, NULL);
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree gchar *a = NULL;
      g_autofree gchar *b = NULL;

      if (!g_regex_match (regex, text, 0, &match))
        continue;
      a = g_match_info_fetch (match, 1);
      b = g_match_info_fetch (match, 2);
      return tail_format (i, a, b);
    }
  return g_strdup (text);
}

/* Layers that each prefix what they add ("Could not connect to h: " on top
 * of GIO's "Could not connect to h: ") say the same thing twice; keep one
 * of each run of equal parts. */
static gchar *
without_repeats (const gchar *text)
{
  g_auto(GStrv) parts = g_strsplit (text, ": ", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (i > 0 && g_str_equal (parts[i], parts[i - 1]))
        continue;
      if (out->len > 0)
        g_string_append (out, ": ");
      g_string_append (out, parts[i]);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The server's or library's own text, cleaned, as a trailing detail. */
static gchar *
detail_of (const GError *error)
{
  g_autofree gchar *clean = popbell_text_sanitize_line (error->message, -1, DETAIL_MAX_CHARS);
  g_autofree gchar *once = without_repeats (clean);

  return translate_tail (once);
}

static GError *
new_error (PopbellError  code,
           const gchar  *sentence,
           const GError *cause)
{
  g_autofree gchar *detail = NULL;
  GError *error;

  if (cause == NULL)
    return g_error_new_literal (POPBELL_ERROR, code, sentence);

  detail = detail_of (cause);
  if (*detail == '\0')
    return g_error_new_literal (POPBELL_ERROR, code, sentence);

  /* Translators: an error sentence, then the lower layer's own words. */
  error = g_error_new (POPBELL_ERROR, code, _("%s (%s)"), sentence, detail);
  priv_of (error)->detail = g_steal_pointer (&detail);
  return error;
}

static GError *
from_io_error (const GError *error,
               const gchar  *name)
{
  g_autofree gchar *sentence = NULL;
  PopbellErrorReason reason = POPBELL_ERROR_REASON_NONE;

  switch (error->code)
    {
    case G_IO_ERROR_TIMED_OUT:
      sentence = g_strdup_printf (_("Account “%s”: the server did not answer in time. "
                                    "Popbell will try again; if this keeps happening, "
                                    "check the server name or raise the timeout."), name);
      return with_reason (new_error (POPBELL_ERROR_TIMEOUT, sentence, NULL),
                          POPBELL_ERROR_REASON_TIMED_OUT);

    case G_IO_ERROR_CONNECTION_REFUSED:
      sentence = g_strdup_printf (_("Account “%s”: the server refused the connection. "
                                    "Check the server name, port and security settings."), name);
      reason = POPBELL_ERROR_REASON_REFUSED;
      break;

    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
      sentence = g_strdup_printf (_("Account “%s”: the server cannot be reached. "
                                    "Check your network connection."), name);
      reason = POPBELL_ERROR_REASON_UNREACHABLE;
      break;

    case G_IO_ERROR_NOT_FOUND:
    case G_IO_ERROR_HOST_NOT_FOUND:
      sentence = g_strdup_printf (_("Account “%s”: the server name could not be found. "
                                    "Check the server name and your network connection."), name);
      reason = POPBELL_ERROR_REASON_NO_SUCH_HOST;
      break;

    case G_IO_ERROR_BROKEN_PIPE:   /* == G_IO_ERROR_CONNECTION_CLOSED (reset too) */
    case G_IO_ERROR_CLOSED:
      sentence = g_strdup_printf (_("Account “%s”: the server closed the connection unexpectedly. "
                                    "Popbell will try again later."), name);
      reason = POPBELL_ERROR_REASON_CLOSED;
      break;

    default:
      sentence = g_strdup_printf (_("Account “%s”: the connection to the server failed. "
                                    "Check your network connection; Popbell will try again later."),
                                  name);
      break;
    }

  return with_reason (new_error (POPBELL_ERROR_NETWORK, sentence, error), reason);
}

static GError *
from_resolver_error (const GError *error,
                     const gchar  *name)
{
  g_autofree gchar *sentence =
    g_strdup_printf (_("Account “%s”: the server name could not be found. "
                       "Check the server name and your network connection."), name);

  return with_reason (new_error (POPBELL_ERROR_NETWORK, sentence, error),
                      POPBELL_ERROR_REASON_NO_SUCH_HOST);
}

static GError *
from_tls_error (const GError *error,
                const gchar  *name)
{
  g_autofree gchar *sentence = NULL;

  /* security=tls on a port where the server greets in plain text (110):
   * the handshake meets "+OK …". Common and easy to fix, so say it. */
  if (error->code == G_TLS_ERROR_NOT_TLS)
    {
      sentence = g_strdup_printf (_("Account “%s”: the server answered in plain text on a port "
                                    "set up for TLS. Use the TLS port (usually 995), or "
                                    "security=starttls on this port."), name);
      return with_reason (new_error (POPBELL_ERROR_TLS, sentence, error),
                          POPBELL_ERROR_REASON_TLS_MISMATCH);
    }

  sentence = g_strdup_printf (_("Account “%s”: the secure connection to the server failed. "
                                "Check the security setting (tls or starttls) and the port."),
                              name);
  return new_error (POPBELL_ERROR_TLS, sentence, error);
}

static GError *
from_certificate_error (const GError *error,
                        const gchar  *name)
{
  g_autofree gchar *fingerprint = popbell_error_dup_certificate_sha256 (error);
  g_autofree gchar *sentence = NULL;
  GError *result;

  /* The fingerprint is the point of this message (SPEC §5): the user
   * compares it with what the provider publishes, then pins it. */
  if (fingerprint != NULL)
    sentence = g_strdup_printf (_("Account “%s”: the server’s certificate could not be verified "
                                  "(SHA-256 fingerprint %s). If you trust this server, set "
                                  "tls-pinned-sha256=%s for the account or add its CA with "
                                  "tls-ca-file."), name, fingerprint, fingerprint);
  else
    sentence = g_strdup_printf (_("Account “%s”: the server’s certificate could not be verified. "
                                  "If you trust this server, add its CA with tls-ca-file or pin "
                                  "its certificate with tls-pinned-sha256."), name);

  result = with_reason (g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_TLS, sentence),
                        POPBELL_ERROR_REASON_CERTIFICATE);
  priv_of (result)->certificate_sha256 = g_steal_pointer (&fingerprint);
  return result;
}

static GError *
from_pop3_error (const GError *error,
                 const gchar  *name)
{
  g_autofree gchar *sentence = NULL;
  PopbellErrorReason reason = POPBELL_ERROR_REASON_NONE;
  PopbellError code;

  switch ((PopbellPop3Error) error->code)
    {
    case POPBELL_POP3_ERROR_TIMEOUT:
      sentence = g_strdup_printf (_("Account “%s”: the server did not answer in time. "
                                    "Popbell will try again; if this keeps happening, "
                                    "raise the timeout."), name);
      code = POPBELL_ERROR_TIMEOUT;
      reason = POPBELL_ERROR_REASON_TIMED_OUT;
      break;

    case POPBELL_POP3_ERROR_AUTH:
      sentence = g_strdup_printf (_("Account “%s”: the server rejected the user name or password. "
                                    "Set the password again with popbell --set-password %s "
                                    "or in Preferences."), name, name);
      code = POPBELL_ERROR_AUTH;
      reason = POPBELL_ERROR_REASON_AUTH_REJECTED;
      break;

    case POPBELL_POP3_ERROR_OAUTH2_UNAVAILABLE:
      /* AUTH like UNSUPPORTED: only a settings change helps. */
      sentence = g_strdup_printf (_("Account “%s”: the server does not offer OAuth 2.0 login "
                                    "(SASL OAUTHBEARER or XOAUTH2). Choose another "
                                    "authentication method for the account."), name);
      code = POPBELL_ERROR_AUTH;
      reason = POPBELL_ERROR_REASON_AUTH_UNSUPPORTED;
      break;

    case POPBELL_POP3_ERROR_UNSUPPORTED:
      /* AUTH rather than PROTOCOL: the server is fine, our login method
       * cannot work with it, and retrying would not help. */
      sentence = g_strdup_printf (_("Account “%s”: the server does not offer the chosen login "
                                    "method. Set auth=auto for the account or choose another "
                                    "method in Preferences."), name);
      code = POPBELL_ERROR_AUTH;
      reason = POPBELL_ERROR_REASON_AUTH_UNSUPPORTED;
      break;

    case POPBELL_POP3_ERROR_INSECURE:
      sentence = g_strdup_printf (_("Account “%s”: Popbell refused to send the password over an "
                                    "unencrypted connection. Use security=tls or starttls, or set "
                                    "allow-insecure-auth=true if you accept the risk."), name);
      return g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_INSECURE, sentence);

    case POPBELL_POP3_ERROR_TLS_UNAVAILABLE:
      sentence = g_strdup_printf (_("Account “%s”: the server does not offer STARTTLS, so the "
                                    "connection cannot be secured. Use security=tls (port 995) "
                                    "if the server supports it."), name);
      code = POPBELL_ERROR_TLS;
      break;

    case POPBELL_POP3_ERROR_TLS_CERTIFICATE:
      return from_certificate_error (error, name);

    case POPBELL_POP3_ERROR_TLS_MISMATCH:
      sentence = g_strdup_printf (_("Account “%s”: the port and the security setting do not "
                                    "match: one side spoke TLS, the other plain text. Use port "
                                    "995 with security=tls, or port 110 with starttls or none."),
                                  name);
      code = POPBELL_ERROR_TLS;
      reason = POPBELL_ERROR_REASON_TLS_MISMATCH;
      break;

    case POPBELL_POP3_ERROR_IN_USE:
      sentence = g_strdup_printf (_("Account “%s”: the mailbox is in use by another program. "
                                    "Popbell will try again later."), name);
      code = POPBELL_ERROR_MAILBOX_LOCKED;
      break;

    case POPBELL_POP3_ERROR_LOGIN_DELAY:
      sentence = g_strdup_printf (_("Account “%s”: the server does not allow another login yet. "
                                    "Popbell will wait as long as the server asks."), name);
      code = POPBELL_ERROR_LOGIN_DELAY;
      break;

    case POPBELL_POP3_ERROR_SYS_TEMP:
      sentence = g_strdup_printf (_("Account “%s”: the server reported a temporary problem. "
                                    "Popbell will try again later."), name);
      code = POPBELL_ERROR_SERVER;
      break;

    case POPBELL_POP3_ERROR_SYS_PERM:
      sentence = g_strdup_printf (_("Account “%s”: the server reported a permanent problem with "
                                    "the mailbox. Contact your mail provider."), name);
      code = POPBELL_ERROR_SERVER;
      break;

    case POPBELL_POP3_ERROR_SERVER_REFUSED:
      sentence = g_strdup_printf (_("Account “%s”: the server is not accepting connections right "
                                    "now. Popbell will try again later."), name);
      code = POPBELL_ERROR_SERVER;
      break;

    case POPBELL_POP3_ERROR_PIPELINING:
      sentence = g_strdup_printf (_("Account “%s”: the server mishandled several commands sent at "
                                    "once. Popbell will try again without pipelining."), name);
      code = POPBELL_ERROR_PROTOCOL;
      break;

    case POPBELL_POP3_ERROR_TOO_LARGE:
      sentence = g_strdup_printf (_("Account “%s”: the message is too large to download "
                                    "for a preview. Open it in your mail client."), name);
      code = POPBELL_ERROR_PROTOCOL;
      break;

    case POPBELL_POP3_ERROR_COMMAND_FAILED:
      sentence = g_strdup_printf (_("Account “%s”: the server refused a command. "
                                    "Popbell will try again later; if this keeps happening, "
                                    "the server may not fully support POP3."), name);
      code = POPBELL_ERROR_PROTOCOL;
      break;

    case POPBELL_POP3_ERROR_PROTOCOL:
    default:
      sentence = g_strdup_printf (_("Account “%s”: the server sent an answer Popbell cannot use. "
                                    "Popbell will try again later; if this keeps happening, "
                                    "report it to your mail provider."), name);
      code = POPBELL_ERROR_PROTOCOL;
      break;
    }

  return with_reason (new_error (code, sentence, error), reason);
}

GError *
popbell_error_from_pop3 (const GError *error,
                         const gchar  *account_name)
{
  g_autofree gchar *sentence = NULL;

  g_return_val_if_fail (error != NULL, NULL);
  g_return_val_if_fail (account_name != NULL, NULL);

  if (error->domain == POPBELL_ERROR)
    return g_error_copy (error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);
  if (error->domain == POPBELL_POP3_ERROR)
    return from_pop3_error (error, account_name);
  if (error->domain == G_IO_ERROR)
    return from_io_error (error, account_name);
  if (error->domain == G_RESOLVER_ERROR)
    return from_resolver_error (error, account_name);
  if (error->domain == G_TLS_ERROR)
    {
      if (error->code == G_TLS_ERROR_BAD_CERTIFICATE)
        return from_certificate_error (error, account_name);
      return from_tls_error (error, account_name);
    }
  if (error->domain == POPBELL_CREDENTIALS_ERROR)
    return popbell_credentials_error_to_popbell (error, account_name);

  sentence = g_strdup_printf (_("Account “%s”: the check failed unexpectedly. "
                                "Popbell will try again later."), account_name);
  return new_error (POPBELL_ERROR_PROTOCOL, sentence, error);
}
