/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * PopbellError:
 *
 * What went wrong with an account, as the user and the JSON output see it
 * (SPEC §4 `error.kind`). The core translates lower-layer errors (GIO, TLS,
 * POPBELL_POP3_ERROR, libsecret) into these at its boundary, with a message
 * of one sentence that names the account, what happened and what to do.
 */
typedef enum {
  POPBELL_ERROR_NETWORK,         /* "network" */
  POPBELL_ERROR_TLS,             /* "tls" */
  POPBELL_ERROR_AUTH,            /* "auth" */
  POPBELL_ERROR_INSECURE,        /* "insecure" */
  POPBELL_ERROR_PROTOCOL,        /* "protocol" */
  POPBELL_ERROR_TIMEOUT,         /* "timeout" */
  POPBELL_ERROR_SERVER,          /* "server" */
  POPBELL_ERROR_MAILBOX_LOCKED,  /* "mailbox-locked" */
  POPBELL_ERROR_LOGIN_DELAY,     /* "login-delay" */
  POPBELL_ERROR_KEYRING,         /* "keyring" */
  POPBELL_ERROR_CONFIG,          /* "config" */
} PopbellError;

#define POPBELL_ERROR (popbell_error_quark ())
GQuark popbell_error_quark (void);

/**
 * PopbellErrorReason:
 *
 * Which of the failures behind one #PopbellError happened, for a message
 * that must say more than the kind ("cannot reach the server" is four
 * different problems with four different remedies). Carried as structured
 * data of the error (G_DEFINE_EXTENDED_ERROR), so it survives
 * g_error_copy() and is never parsed back out of the message.
 */
typedef enum {
  POPBELL_ERROR_REASON_NONE,
  POPBELL_ERROR_REASON_NO_SUCH_HOST,       /* the name does not resolve */
  POPBELL_ERROR_REASON_REFUSED,            /* nothing listens on the port */
  POPBELL_ERROR_REASON_TIMED_OUT,          /* no answer in time */
  POPBELL_ERROR_REASON_UNREACHABLE,        /* no route to the host or network */
  POPBELL_ERROR_REASON_CLOSED,             /* the server hung up */
  POPBELL_ERROR_REASON_TLS_MISMATCH,       /* TLS against a plain-text port, or the
                                            * other way round: port and security
                                            * setting do not match */
  POPBELL_ERROR_REASON_CERTIFICATE,        /* the certificate failed verification */
  POPBELL_ERROR_REASON_AUTH_REJECTED,      /* the server rejected the credentials */
  POPBELL_ERROR_REASON_AUTH_UNSUPPORTED,   /* the chosen login method is not offered */
} PopbellErrorReason;

/* The reason of a #POPBELL_ERROR; NONE for any other error or when unknown. */
PopbellErrorReason popbell_error_get_reason (const GError *error);

/* (nullable) the lower layer's own words, cleaned and translated where they
 * are ours ("the server refused PASS: [AUTH] Invalid login"), without the
 * sentence around them; NULL when there are none. */
const gchar *popbell_error_get_detail (const GError *error);

/* The SPEC's name of a kind, e.g. "mailbox-locked"; NULL for an unknown code. */
const gchar *popbell_error_kind_to_string (PopbellError kind);

/**
 * popbell_error_from_pop3:
 * @error: an error from the POP3 layer: #POPBELL_POP3_ERROR, #G_IO_ERROR,
 *   #G_TLS_ERROR, #G_RESOLVER_ERROR; any other domain is accepted too
 *   (#POPBELL_CREDENTIALS_ERROR becomes KEYRING, #POPBELL_ERROR is copied)
 * @account_name: the account, named in the message
 *
 * Translates at the core's boundary: one translatable sentence naming the
 * account, what happened and what to do. The server's own text (e.g. the
 * `-ERR` line) is appended, sanitized, where it helps. Mapping:
 *
 * - refused, unreachable, reset, closed, broken pipe, DNS failure → NETWORK
 * - G_IO_ERROR_TIMED_OUT, POP3 TIMEOUT → TIMEOUT
 * - G_TLS_ERROR_*, POP3 TLS_UNAVAILABLE, TLS_CERTIFICATE → TLS (the
 *   certificate message keeps the SHA-256 fingerprint and says how to pin it)
 * - POP3 AUTH → AUTH; POP3 UNSUPPORTED and OAUTH2_UNAVAILABLE → AUTH as
 *   well: the configured login method cannot work with this server, only a
 *   settings change helps, so it must hold the schedule like a rejected
 *   password instead of retrying
 * - POP3 INSECURE → INSECURE
 * - POP3 PROTOCOL, PIPELINING, TOO_LARGE, COMMAND_FAILED → PROTOCOL
 * - POP3 SYS_TEMP, SYS_PERM, SERVER_REFUSED → SERVER
 * - POP3 IN_USE → MAILBOX_LOCKED; LOGIN_DELAY → LOGIN_DELAY
 * - other G_IO_ERROR codes → NETWORK; unknown domains → PROTOCOL
 *
 * Exception: G_IO_ERROR_CANCELLED is returned as a copy, unchanged, so that
 * callers can keep treating cancellation as silent.
 *
 * Returns: (transfer full): a new #POPBELL_ERROR (or the cancellation).
 */
GError *popbell_error_from_pop3 (const GError *error,
                                 const gchar  *account_name);

/* The SHA-256 fingerprint of a refused certificate, as "AB:CD:…" upper
 * case: the error's structured data where it has it, else extracted from a
 * POP3 TLS_CERTIFICATE message (64 hex digits, colons optional).
 * (nullable) (transfer full) */
gchar *popbell_error_dup_certificate_sha256 (const GError *error);

G_END_DECLS
