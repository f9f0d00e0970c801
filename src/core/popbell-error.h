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

/* The SPEC's name of a kind, e.g. "mailbox-locked". */
const gchar *popbell_error_kind_to_string (PopbellError kind);

G_END_DECLS
