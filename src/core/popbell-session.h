/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-state-store.h"

G_BEGIN_DECLS

typedef struct _PopbellChecker PopbellChecker;

typedef enum {
  POPBELL_SESSION_FLAGS_NONE = 0,
  /* The user explicitly retries ("Check now"): log in despite an auth hold
   * (the hold is set again if the server still refuses). */
  POPBELL_SESSION_IGNORE_AUTH_HOLD = 1 << 0,
} PopbellSessionFlags;

/**
 * PopbellSession:
 *
 * One POP3 session of one account with the account's state locked and
 * loaded: open it (lock, load, refuse what the server's limits or an auth
 * hold forbid, read the password, connect, log in), use the client, close
 * it (QUIT, save, unlock). Between open and close nobody else (no other
 * process either) touches this account. Whatever happens, the login time,
 * LOGIN-DELAY, auth hold and TLS facts reach the state file.
 */
#define POPBELL_TYPE_SESSION (popbell_session_get_type ())
G_DECLARE_FINAL_TYPE (PopbellSession, popbell_session, POPBELL, SESSION, GObject)

PopbellSession *popbell_session_new (PopbellChecker      *checker,
                                     PopbellAccount      *account,
                                     PopbellSessionFlags  flags);
/* Use this password instead of the keyring's (NULL: the keyring). */
void popbell_session_set_password (PopbellSession *self, const gchar *password);

/* Errors: POPBELL_ERROR_* (also for refusals without connecting:
 * LOGIN_DELAY with a retry time, AUTH for a hold, KEYRING, INSECURE),
 * G_IO_ERROR_CANCELLED. */
void     popbell_session_open_async  (PopbellSession      *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean popbell_session_open_finish (PopbellSession      *self,
                                      GAsyncResult        *result,
                                      GError             **error);

/* (transfer none) valid after a successful open. */
PopbellPop3Client   *popbell_session_get_client (PopbellSession *self);
/* (transfer none) (nullable) the state, loaded by open; the caller may
 * change it before close, which saves it. */
PopbellAccountState *popbell_session_get_state  (PopbellSession *self);
PopbellAccount      *popbell_session_get_account (PopbellSession *self);

/* After a failed open: */
/* (nullable) when a login is allowed again (LOGIN-DELAY). */
GDateTime   *popbell_session_get_retry_after (PopbellSession *self);
/* The keyring could not answer (locked, no Secret Service): wait for the
 * credentials' ::unlocked rather than retrying. */
gboolean     popbell_session_is_keyring_unavailable (PopbellSession *self);
/* (nullable) the server certificate's SHA-256 after a TLS failure. */
const gchar *popbell_session_get_certificate_sha256 (PopbellSession *self);
/* TRUE when a connection to the server was made. */
gboolean     popbell_session_get_contacted (PopbellSession *self);
/* The state file was unreadable and set aside: re-baseline quietly. */
gboolean     popbell_session_get_recovered (PopbellSession *self);

/* Ends the session: QUIT when @quit and connected (so DELE takes effect),
 * else drops the connection; saves the state; unlocks. Also valid after a
 * failed open (saves what the attempt taught, unlocks). Never fails for
 * the QUIT; errors: G_IO_ERROR when the state could not be saved. */
void     popbell_session_close_async  (PopbellSession      *self,
                                       gboolean             quit,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean popbell_session_close_finish (PopbellSession      *self,
                                       GAsyncResult        *result,
                                       GError             **error);

/* The mailbox a baseline belongs to ("host\nuser"). Security, port and
 * auth may change without changing the mailbox; host or user may not. */
gchar *popbell_session_dup_mailbox_id (PopbellAccount *account);

G_END_DECLS
