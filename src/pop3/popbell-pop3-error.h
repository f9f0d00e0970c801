/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * PopbellPop3Error:
 * @POPBELL_POP3_ERROR_PROTOCOL: the server broke the protocol or one of our
 *   limits (line too long, listing too large, bad number, bad UID, ...).
 * @POPBELL_POP3_ERROR_TIMEOUT: the server did not answer in time (a single
 *   wait or the whole session).
 * @POPBELL_POP3_ERROR_AUTH: the server rejected the credentials
 *   (`[AUTH]`, or `-ERR` to PASS/APOP/AUTH without a code, RFC 3206 §4).
 * @POPBELL_POP3_ERROR_IN_USE: `[IN-USE]`: the mailbox is locked by another
 *   session.
 * @POPBELL_POP3_ERROR_LOGIN_DELAY: `[LOGIN-DELAY]`: logged in too soon.
 * @POPBELL_POP3_ERROR_SYS_TEMP: `[SYS/TEMP]`: a temporary server fault.
 * @POPBELL_POP3_ERROR_SYS_PERM: `[SYS/PERM]`: a permanent server fault.
 * @POPBELL_POP3_ERROR_SERVER_REFUSED: the greeting was `-ERR`.
 * @POPBELL_POP3_ERROR_COMMAND_FAILED: `-ERR` to an ordinary command (no such
 *   message, unknown command, ...).
 * @POPBELL_POP3_ERROR_TLS_UNAVAILABLE: `security=starttls` but the server does
 *   not offer STLS, or refused it. Never downgraded.
 * @POPBELL_POP3_ERROR_TLS_CERTIFICATE: the server certificate failed
 *   verification; the message names its SHA-256 fingerprint, also available
 *   from popbell_pop3_client_get_peer_certificate_sha256().
 * @POPBELL_POP3_ERROR_INSECURE: refused to send a password over a
 *   connection that is not encrypted.
 * @POPBELL_POP3_ERROR_UNSUPPORTED: the requested authentication method is not
 *   offered by the server (APOP without a greeting timestamp, no SASL PLAIN).
 * @POPBELL_POP3_ERROR_PIPELINING: a pipelined batch stalled or was answered
 *   out of step; retrying the session without pipelining should work.
 * @POPBELL_POP3_ERROR_TOO_LARGE: a message is larger than the caller's cap.
 * @POPBELL_POP3_ERROR_TLS_MISMATCH: one side spoke TLS and the other plain
 *   text: security=tls on a plain-text port (the handshake found no TLS),
 *   or security=none/starttls on an implicit-TLS port (a TLS record, or no
 *   greeting, from port 995).
 * @POPBELL_POP3_ERROR_OAUTH2_UNAVAILABLE: OAuth 2.0 was asked for, but the
 *   server offers neither SASL OAUTHBEARER nor XOAUTH2.
 *
 * Errors of the POP3 layer. Network failures keep their codes, so that a
 * caller can say which: no such host is #G_RESOLVER_ERROR, a refused
 * connection #G_IO_ERROR_CONNECTION_REFUSED (unreachable networks their
 * #G_IO_ERROR codes), a connection not made in time
 * POPBELL_POP3_ERROR_TIMEOUT. TLS handshake failures other than
 * certificate verification and TLS_MISMATCH keep their #G_TLS_ERROR codes.
 */
typedef enum {
  POPBELL_POP3_ERROR_PROTOCOL,
  POPBELL_POP3_ERROR_TIMEOUT,
  POPBELL_POP3_ERROR_AUTH,
  POPBELL_POP3_ERROR_IN_USE,
  POPBELL_POP3_ERROR_LOGIN_DELAY,
  POPBELL_POP3_ERROR_SYS_TEMP,
  POPBELL_POP3_ERROR_SYS_PERM,
  POPBELL_POP3_ERROR_SERVER_REFUSED,
  POPBELL_POP3_ERROR_COMMAND_FAILED,
  POPBELL_POP3_ERROR_TLS_UNAVAILABLE,
  POPBELL_POP3_ERROR_TLS_CERTIFICATE,
  POPBELL_POP3_ERROR_INSECURE,
  POPBELL_POP3_ERROR_UNSUPPORTED,
  POPBELL_POP3_ERROR_PIPELINING,
  POPBELL_POP3_ERROR_TOO_LARGE,
  POPBELL_POP3_ERROR_OAUTH2_UNAVAILABLE,
  POPBELL_POP3_ERROR_TLS_MISMATCH,
} PopbellPop3Error;

#define POPBELL_POP3_ERROR (popbell_pop3_error_quark ())
GQuark popbell_pop3_error_quark (void);

/* Structured data of a POPBELL_POP3_ERROR (an extended GError domain):
 * (nullable) the server certificate's SHA-256 "AB:CD:..." of a
 * TLS_CERTIFICATE error, and the "status" of the JSON an OAuth 2.0 server
 * sent with a refused token (RFC 7628 §3.2.2, e.g. "invalid_token"), of an
 * AUTH error. NULL for other errors and other domains. */
const gchar *popbell_pop3_error_get_certificate_sha256 (const GError *error);
const gchar *popbell_pop3_error_get_oauth2_status      (const GError *error);
void         popbell_pop3_error_set_certificate_sha256 (GError *error, const gchar *sha256);
void         popbell_pop3_error_set_oauth2_status      (GError *error, const gchar *status);

G_END_DECLS
