/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "popbell-credentials.h"
#include "popbell-pop3-error.h"
#include "popbell-text.h"

G_DEFINE_QUARK (popbell-error-quark, popbell_error)

/* How much of a server's own words we quote after our sentence. */
#define DETAIL_MAX_CHARS 160

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

/* The server's or library's own text, cleaned, as a trailing detail. */
static gchar *
detail_of (const GError *error)
{
  return popbell_text_sanitize_line (error->message, -1, DETAIL_MAX_CHARS);
}

static GError *
new_error (PopbellError  code,
           const gchar  *sentence,
           const GError *cause)
{
  g_autofree gchar *detail = NULL;

  if (cause == NULL)
    return g_error_new_literal (POPBELL_ERROR, code, sentence);

  detail = detail_of (cause);
  if (*detail == '\0')
    return g_error_new_literal (POPBELL_ERROR, code, sentence);

  /* Translators: an error sentence, then the lower layer's own words. */
  return g_error_new (POPBELL_ERROR, code, _("%s (%s)"), sentence, detail);
}

static GError *
from_io_error (const GError *error,
               const gchar  *name)
{
  g_autofree gchar *sentence = NULL;

  switch (error->code)
    {
    case G_IO_ERROR_TIMED_OUT:
      sentence = g_strdup_printf (_("Account “%s”: the server did not answer in time. "
                                    "Popbell will try again; if this keeps happening, "
                                    "check the server name or raise the timeout."), name);
      return new_error (POPBELL_ERROR_TIMEOUT, sentence, NULL);

    case G_IO_ERROR_CONNECTION_REFUSED:
      sentence = g_strdup_printf (_("Account “%s”: the server refused the connection. "
                                    "Check the server name, port and security settings."), name);
      break;

    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
      sentence = g_strdup_printf (_("Account “%s”: the server cannot be reached. "
                                    "Check your network connection."), name);
      break;

    case G_IO_ERROR_NOT_FOUND:
    case G_IO_ERROR_HOST_NOT_FOUND:
      sentence = g_strdup_printf (_("Account “%s”: the server name could not be found. "
                                    "Check the server name and your network connection."), name);
      break;

    case G_IO_ERROR_BROKEN_PIPE:   /* == G_IO_ERROR_CONNECTION_CLOSED (reset too) */
    case G_IO_ERROR_CLOSED:
      sentence = g_strdup_printf (_("Account “%s”: the server closed the connection unexpectedly. "
                                    "Popbell will try again later."), name);
      break;

    default:
      sentence = g_strdup_printf (_("Account “%s”: the connection to the server failed. "
                                    "Check your network connection; Popbell will try again later."),
                                  name);
      break;
    }

  return new_error (POPBELL_ERROR_NETWORK, sentence, error);
}

static GError *
from_resolver_error (const GError *error,
                     const gchar  *name)
{
  g_autofree gchar *sentence =
    g_strdup_printf (_("Account “%s”: the server name could not be found. "
                       "Check the server name and your network connection."), name);

  return new_error (POPBELL_ERROR_NETWORK, sentence, error);
}

static GError *
from_tls_error (const GError *error,
                const gchar  *name)
{
  g_autofree gchar *sentence =
    g_strdup_printf (_("Account “%s”: the secure connection to the server failed. "
                       "Check the security setting (tls or starttls) and the port."), name);

  return new_error (POPBELL_ERROR_TLS, sentence, error);
}

static GError *
from_certificate_error (const GError *error,
                        const gchar  *name)
{
  g_autofree gchar *fingerprint = popbell_error_dup_certificate_sha256 (error);
  g_autofree gchar *sentence = NULL;

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

  return g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_TLS, sentence);
}

static GError *
from_pop3_error (const GError *error,
                 const gchar  *name)
{
  g_autofree gchar *sentence = NULL;
  PopbellError code;

  switch ((PopbellPop3Error) error->code)
    {
    case POPBELL_POP3_ERROR_TIMEOUT:
      sentence = g_strdup_printf (_("Account “%s”: the server did not answer in time. "
                                    "Popbell will try again; if this keeps happening, "
                                    "raise the timeout."), name);
      code = POPBELL_ERROR_TIMEOUT;
      break;

    case POPBELL_POP3_ERROR_AUTH:
      sentence = g_strdup_printf (_("Account “%s”: the server rejected the user name or password. "
                                    "Set the password again with popbell --set-password %s "
                                    "or in Preferences."), name, name);
      code = POPBELL_ERROR_AUTH;
      break;

    case POPBELL_POP3_ERROR_UNSUPPORTED:
      /* AUTH rather than PROTOCOL: the server is fine, our login method
       * cannot work with it, and retrying would not help. */
      sentence = g_strdup_printf (_("Account “%s”: the server does not offer the chosen login "
                                    "method. Set auth=auto for the account or choose another "
                                    "method in Preferences."), name);
      code = POPBELL_ERROR_AUTH;
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

  return new_error (code, sentence, error);
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
