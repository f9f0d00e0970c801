/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-checker.h"
#include "popbell-engine.h"
#include "popbell-state-store.h"

G_BEGIN_DECLS

/* A problem is shown (and notified once) after this many failed checks in
 * a row, or after failing for this long (SPEC §5 "Problems"). */
#define POPBELL_PROBLEM_FAILURES 3
#define POPBELL_PROBLEM_AFTER_US (10 * 60 * G_USEC_PER_SEC)

/**
 * PopbellAccountRunner:
 *
 * One account as the engine runs it, private to the engine. The only owner
 * of what used to be rules in comments:
 *
 * - "Is a session running": begin_session() hands out the session's own
 *   cancellable (chained to the caller's, never the caller's itself);
 *   end_session() with that cancellable frees the account again. A session
 *   that ends after the runner was detached (the account removed, the
 *   engine gone) changes nothing, and a removed account's files are
 *   deleted only once no session can write them back.
 * - The user's marks (seen, announced): applied to the in-memory state at
 *   once, saved under the account lock when no session runs, re-applied
 *   to every fresh state a session brings back until they are saved.
 * - The hold (auth, certificate, configuration): only hold() sets it and
 *   only lift_hold() clears it.
 *
 * Callbacks hold a reference to the runner; get_engine() is NULL once the
 * engine let go of it.
 */
#define POPBELL_TYPE_ACCOUNT_RUNNER (popbell_account_runner_get_type ())
G_DECLARE_FINAL_TYPE (PopbellAccountRunner, popbell_account_runner, POPBELL, ACCOUNT_RUNNER, GObject)

/* Loads the account's state from @store (without the lock: saves are
 * atomic renames). */
PopbellAccountRunner *popbell_account_runner_new (PopbellEngine     *engine,
                                                  PopbellStateStore *store,
                                                  PopbellAccount    *account);
/* The engine lets go (account removed: @removed TRUE; engine disposed:
 * FALSE). Cancels the session and fails queued operations. */
void                  popbell_account_runner_detach (PopbellAccountRunner *self,
                                                     gboolean              removed);
/* (transfer none) (nullable) NULL once detached. */
PopbellEngine        *popbell_account_runner_get_engine  (PopbellAccountRunner *self);
const gchar          *popbell_account_runner_get_name    (PopbellAccountRunner *self);
PopbellAccount       *popbell_account_runner_get_account (PopbellAccountRunner *self);
/* New settings; TRUE when the login settings changed, which lifts the hold
 * and forgets the failures (the user changed what the server rejected). */
gboolean              popbell_account_runner_set_account (PopbellAccountRunner *self,
                                                          PopbellAccount       *account);

/* (transfer none) the authoritative state of this process: what the last
 * session left, with the user's marks applied. */
PopbellAccountState  *popbell_account_runner_get_state  (PopbellAccountRunner *self);
/* A session's state (@state: transfer full) replaces ours; the marks not
 * yet saved are applied to it. */
void                  popbell_account_runner_take_state (PopbellAccountRunner *self,
                                                         PopbellAccountState  *state);
/* (nullable) (transfer none) the state when the last save failed (it is
 * newer than the file): the next session starts from it. */
PopbellAccountState  *popbell_account_runner_get_unsaved_state (PopbellAccountRunner *self);
/* The outcome of a save: @error NULL for success. */
void                  popbell_account_runner_note_save (PopbellAccountRunner *self,
                                                        const GError         *error);
/* (nullable) the last failed save, until one succeeds. */
const GError         *popbell_account_runner_get_save_error (PopbellAccountRunner *self);

/* --- the session ------------------------------------------------------------ */

gboolean      popbell_account_runner_is_busy       (PopbellAccountRunner *self);
/* (transfer none) the session's cancellable; @chain_to (nullable) is the
 * caller's, which cancels ours. Must not be busy. */
GCancellable *popbell_account_runner_begin_session (PopbellAccountRunner *self,
                                                    GCancellable         *chain_to);
/* TRUE if @session is the running session's cancellable. */
gboolean      popbell_account_runner_owns_session  (PopbellAccountRunner *self,
                                                    GCancellable         *session);
/* Ends the session @session (no-op for a stale one): saves the pending
 * marks, deletes the files of a removed account. */
void          popbell_account_runner_end_session   (PopbellAccountRunner *self,
                                                    GCancellable         *session);
void          popbell_account_runner_cancel_session (PopbellAccountRunner *self);

/* Operations waiting for the session (element: GTask, transfer full). */
void   popbell_account_runner_push_op (PopbellAccountRunner *self, GTask *task);
GTask *popbell_account_runner_pop_op  (PopbellAccountRunner *self);

/* A check asked for while busy, with these flags for the next check. */
void                popbell_account_runner_request_check (PopbellAccountRunner *self,
                                                          PopbellSessionFlags   flags);
gboolean            popbell_account_runner_take_check_again (PopbellAccountRunner *self);
void                popbell_account_runner_add_flags    (PopbellAccountRunner *self,
                                                         PopbellSessionFlags   flags);
PopbellSessionFlags popbell_account_runner_take_flags   (PopbellAccountRunner *self);

/* --- waits and the hold ----------------------------------------------------- */

gboolean popbell_account_runner_is_held   (PopbellAccountRunner *self);
void     popbell_account_runner_hold      (PopbellAccountRunner *self);
/* Lifts the hold once: the next check logs in despite an auth hold. */
void     popbell_account_runner_lift_hold (PopbellAccountRunner *self);
gboolean popbell_account_runner_get_keyring_wait (PopbellAccountRunner *self);
void     popbell_account_runner_set_keyring_wait (PopbellAccountRunner *self, gboolean wait);
gboolean popbell_account_runner_get_offline_wait (PopbellAccountRunner *self);
void     popbell_account_runner_set_offline_wait (PopbellAccountRunner *self, gboolean wait);

/* --- outcomes and problems ------------------------------------------------ */

/* How a finished check counts. */
typedef enum {
  POPBELL_RUNNER_RESULT_OK,
  /* Not the account's failure (a LOGIN-DELAY refusal): nothing counts. */
  POPBELL_RUNNER_RESULT_QUIET,
  /* Counts towards a problem, no backoff (keyring, [IN-USE]). */
  POPBELL_RUNNER_RESULT_WAIT,
  /* Counts towards a problem and the backoff. */
  POPBELL_RUNNER_RESULT_TRANSIENT,
  /* Needs the user (auth, certificate, configuration): a problem at once. */
  POPBELL_RUNNER_RESULT_NEEDS_USER,
} PopbellRunnerResult;

/* Records a finished check: its error (NULL for success), the certificate
 * of a TLS failure, and the problem episode. Returns the number of
 * consecutive transient failures (for the backoff). */
guint         popbell_account_runner_note_result (PopbellAccountRunner *self,
                                                  PopbellRunnerResult   kind,
                                                  const GError         *error,
                                                  const gchar          *certificate_sha256);
/* The same at @now (g_get_real_time() µs), for tests of the 10 minutes. */
guint         popbell_account_runner_note_result_at (PopbellAccountRunner *self,
                                                     PopbellRunnerResult   kind,
                                                     const GError         *error,
                                                     const gchar          *certificate_sha256,
                                                     gint64                now);
const GError *popbell_account_runner_get_error   (PopbellAccountRunner *self);
const gchar  *popbell_account_runner_get_certificate_sha256 (PopbellAccountRunner *self);
gboolean      popbell_account_runner_has_problem (PopbellAccountRunner *self);
guint         popbell_account_runner_get_problem_episode (PopbellAccountRunner *self);

/* --- the user's marks ------------------------------------------------------- */

/* Each returns TRUE if the in-memory state changed. @uids NULL: all. */
gboolean popbell_account_runner_mark_seen      (PopbellAccountRunner *self, const gchar *uid);
gboolean popbell_account_runner_mark_all_seen  (PopbellAccountRunner *self);
gboolean popbell_account_runner_mark_announced (PopbellAccountRunner *self,
                                                const gchar * const  *uids);
/* Saves the pending marks now if nothing holds the account (else later). */
void     popbell_account_runner_flush_marks    (PopbellAccountRunner *self);

G_END_DECLS
