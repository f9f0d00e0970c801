/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-check-result.h"
#include "popbell-credentials.h"
#include "popbell-state-store.h"

G_BEGIN_DECLS

/* How many new messages get their headers fetched (the newest ones) when
 * many arrive at once: a notification names a few, the rest is a count. */
#define POPBELL_CHECKER_MAX_HEADERS 30

typedef enum {
  POPBELL_SESSION_FLAGS_NONE = 0,
  /* The user explicitly retries ("Check now"): log in despite an auth hold
   * (the hold is set again if the server still refuses). */
  POPBELL_SESSION_IGNORE_AUTH_HOLD = 1 << 0,
} PopbellSessionFlags;

/**
 * PopbellChecker:
 *
 * Runs sessions and checks against accounts, with the state store (which it
 * locks per account, see #PopbellStateLock) and the credentials. Stateless
 * between calls: everything it remembers is in the store.
 */
#define POPBELL_TYPE_CHECKER (popbell_checker_get_type ())
G_DECLARE_FINAL_TYPE (PopbellChecker, popbell_checker, POPBELL, CHECKER, GObject)

PopbellChecker *popbell_checker_new (PopbellStateStore  *store,
                                     PopbellCredentials *credentials);
PopbellStateStore  *popbell_checker_get_store       (PopbellChecker *self);
PopbellCredentials *popbell_checker_get_credentials (PopbellChecker *self);
/* Headers fetched per check at most (default POPBELL_CHECKER_MAX_HEADERS). */
void popbell_checker_set_max_headers (PopbellChecker *self, guint max_headers);
/* How long to wait for another process's check of the same account
 * (default 120 s). */
void popbell_checker_set_lock_timeout (PopbellChecker *self, guint ms);

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

/**
 * PopbellCheckOutcome:
 *
 * Everything a check produced: the result for the user, and what the
 * scheduler needs to plan the next one.
 */
typedef struct {
  PopbellCheckResult  *result;             /* (owned) */
  PopbellAccountState *state;              /* (owned) (nullable) as saved */
  gboolean             keyring_unavailable;
  gboolean             contacted;          /* a connection was made */
  gchar               *certificate_sha256; /* (nullable) */
  GError              *save_error;         /* (nullable) the state was not saved */
} PopbellCheckOutcome;

void popbell_check_outcome_free (PopbellCheckOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellCheckOutcome, popbell_check_outcome_free)

/* One check of @account (SPEC §5 "New-mail detection"): STAT, a cheap
 * "UIDL n" when the figures are unchanged, else the full UIDL listing, TOP
 * n 0 for the newest new messages, QUIT; never RETR or DELE. A failed check
 * changes no baseline. The only error is G_IO_ERROR_CANCELLED; failures of
 * the check itself are a failed result in the outcome. */
void                 popbell_checker_check_async  (PopbellChecker      *self,
                                                   PopbellAccount      *account,
                                                   PopbellSessionFlags  flags,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
PopbellCheckOutcome *popbell_checker_check_finish (PopbellChecker      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
