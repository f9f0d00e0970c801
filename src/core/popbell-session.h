/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-state-store.h"

G_BEGIN_DECLS

typedef struct _PopbellChecker PopbellChecker;

/* SPEC §5 "Schedule": sessions open at once per process, at most. */
#define POPBELL_SESSION_MAX_OPEN 8
/* Pipelining is marked broken after this many sessions in a row in which
 * pipelined commands misbehaved, and tried again after a week. */
#define POPBELL_PIPELINING_STRIKES 2
#define POPBELL_PIPELINING_MARK_EXPIRES_US ((gint64) 7 * 24 * 3600 * G_USEC_PER_SEC)

typedef enum {
  POPBELL_SESSION_FLAGS_NONE = 0,
  /* The user explicitly retries ("Try again", a new password): log in
   * despite an auth hold (set again if the server still refuses). */
  POPBELL_SESSION_IGNORE_AUTH_HOLD = 1 << 0,
  /* The caller announces new messages itself and says so later (the
   * engine: popbell_engine_mark_announced()): a check saves them as not
   * announced yet. Without it (--check-once, which prints the result) they
   * are saved as announced. */
  POPBELL_SESSION_DEFER_ANNOUNCE = 1 << 1,
  /* A connection test (the account editor's Test connection): takes the
   * lock and honours LOGIN-DELAY like any session and records the login;
   * neither obeys nor sets an auth hold, and saves nothing else. */
  POPBELL_SESSION_PROBE = 1 << 2,
  /* Do not pipeline in this session (a retry after pipelining failed). */
  POPBELL_SESSION_NO_PIPELINING = 1 << 3,
  /* The user waits for it (preview, deletion, Test connection): ahead of
   * the queued checks when all session slots are taken. */
  POPBELL_SESSION_URGENT = 1 << 4,
} PopbellSessionFlags;

/**
 * PopbellSession:
 *
 * One POP3 session of one account with the account's state locked and
 * loaded: open it (wait for one of the process's POPBELL_SESSION_MAX_OPEN
 * slots, lock, load, refuse what the server's limits or an auth hold
 * forbid, read the password, connect, log in), use the client, close it
 * (QUIT, save, unlock, free the slot). Between open and close nobody else
 * (no other process either) touches this account. Whatever happens, the
 * login time, LOGIN-DELAY, auth hold and TLS facts reach the state file;
 * so do the pipelining strikes and the method that logged in.
 */
#define POPBELL_TYPE_SESSION (popbell_session_get_type ())
G_DECLARE_FINAL_TYPE (PopbellSession, popbell_session, POPBELL, SESSION, GObject)

PopbellSession *popbell_session_new (PopbellChecker      *checker,
                                     PopbellAccount      *account,
                                     PopbellSessionFlags  flags);
/* Called when the login has been started on @client and is not answered
 * yet: operations started here are queued behind it, and go in the same
 * write when the session writes ahead on the capabilities remembered from
 * the last session (issue 9: an unchanged check in the fewest round
 * trips). Their callbacks must expect the open to fail or to be redone on
 * a new connection (a renewed OAuth 2.0 token calls this again): the
 * client then fails or drops them. */
typedef void (*PopbellSessionLoginFunc) (PopbellSession    *session,
                                         PopbellPop3Client *client,
                                         gpointer           user_data);
void popbell_session_set_login_func (PopbellSession          *self,
                                     PopbellSessionLoginFunc  func,
                                     gpointer                 user_data);
/* Use this password instead of the keyring's (NULL: the keyring). */
void popbell_session_set_password (PopbellSession *self, const gchar *password);
/* Before open: @state (copied; nullable) is newer than the file when the
 * last save failed; open starts from it unless the file shows a login
 * after it (another process checked meanwhile). */
void popbell_session_set_unsaved_state (PopbellSession            *self,
                                        const PopbellAccountState *state);
PopbellSessionFlags popbell_session_get_flags (PopbellSession *self);

/* Errors: POPBELL_ERROR_* (also for refusals without connecting:
 * LOGIN_DELAY with a retry time, AUTH for a hold, KEYRING, INSECURE),
 * G_IO_ERROR_CANCELLED, and POPBELL_POP3_ERROR_PIPELINING untranslated
 * when what was written with the login went unanswered (the caller counts
 * the strike, see popbell-checker.c). */
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

/* A session holds one of the POPBELL_SESSION_MAX_OPEN slots from open
 * (before it locks the account) until close (or its last reference);
 * further opens wait in turn (POPBELL_SESSION_URGENT ones first). Release
 * early once the connection is gone. */
void  popbell_session_release_slot (PopbellSession *self);
/* Slots in use in this process (for tests and the debug log). */
guint popbell_session_get_n_open (void);

/* The mailbox a baseline belongs to ("host\nuser"). Security, port and
 * auth may change without changing the mailbox; host or user may not. */
gchar *popbell_session_dup_mailbox_id (PopbellAccount *account);

G_END_DECLS
