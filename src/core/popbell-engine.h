/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-check-result.h"
#include "popbell-error.h"
#include "popbell-mail-summary.h"
#include "popbell-message.h"

G_BEGIN_DECLS

/**
 * PopbellAccountStatus:
 *
 * Immutable snapshot of where one account stands, for the tray's title and
 * the preferences window.
 */
typedef enum {
  POPBELL_NEXT_CHECK_INTERVAL,     /* the configured interval */
  POPBELL_NEXT_CHECK_LOGIN_DELAY,  /* the server's LOGIN-DELAY */
  POPBELL_NEXT_CHECK_BACKOFF,      /* retrying after a transient failure */
  POPBELL_NEXT_CHECK_OFFLINE,      /* paused: no network */
  POPBELL_NEXT_CHECK_KEYRING,      /* waiting for the keyring to unlock */
  POPBELL_NEXT_CHECK_HELD,         /* stopped: needs the user (auth, certificate) */
  POPBELL_NEXT_CHECK_DISABLED,
  POPBELL_NEXT_CHECK_RUNNING,
} PopbellNextCheckReason;

typedef struct _PopbellAccountStatus PopbellAccountStatus;

#define POPBELL_TYPE_ACCOUNT_STATUS (popbell_account_status_get_type ())
GType popbell_account_status_get_type (void) G_GNUC_CONST;
PopbellAccountStatus *popbell_account_status_ref   (PopbellAccountStatus *self);
void                  popbell_account_status_unref (PopbellAccountStatus *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellAccountStatus, popbell_account_status_unref)

const gchar           *popbell_account_status_get_name        (PopbellAccountStatus *self);
guint                  popbell_account_status_get_unseen      (PopbellAccountStatus *self);
guint                  popbell_account_status_get_messages    (PopbellAccountStatus *self); /* on server */
GDateTime             *popbell_account_status_get_last_success (PopbellAccountStatus *self); /* (nullable) */
GDateTime             *popbell_account_status_get_next_check  (PopbellAccountStatus *self); /* (nullable) */
PopbellNextCheckReason popbell_account_status_get_next_reason (PopbellAccountStatus *self);
guint                  popbell_account_status_get_login_delay (PopbellAccountStatus *self); /* s, 0 none */
/* (nullable) the last failure (POPBELL_ERROR), cleared by a success. */
const GError          *popbell_account_status_get_error       (PopbellAccountStatus *self);
/* TRUE for failures that wait on the user: auth, tls certificate. */
gboolean               popbell_account_status_needs_attention (PopbellAccountStatus *self);
/* (nullable) for a certificate failure: the fingerprint to pin. */
const gchar           *popbell_account_status_get_certificate_sha256 (PopbellAccountStatus *self);
/* No success for more than three intervals (or ever, after failures). */
gboolean               popbell_account_status_is_stale        (PopbellAccountStatus *self);
/* SPEC §5 "Problems": TRUE once the account failed 3 checks in a row or
 * for 10 minutes (a first check that never succeeded included), at once
 * for auth, certificate and configuration failures; FALSE again after a
 * success. */
gboolean               popbell_account_status_has_problem     (PopbellAccountStatus *self);
/* Counts the problem episodes of this account in this process (0: none
 * yet): a new number means a new episode, so the UI notifies once per
 * episode. */
guint                  popbell_account_status_get_problem_episode (PopbellAccountStatus *self);
/* (nullable) the state could not be saved (read-only or full disk); the
 * engine keeps it in memory and saves it when it can. NULL again after a
 * successful save. */
const GError          *popbell_account_status_get_save_error  (PopbellAccountStatus *self);

/**
 * PopbellEngine:
 *
 * Owns the accounts, the credentials, the stored state and the schedule;
 * the only object the UI talks to. Runs on the thread-default main context
 * it was created in. One POP3 session per account at a time: a preview or a
 * deletion waits for a running check of the same account. At most
 * POPBELL_SESSION_MAX_OPEN (8) sessions at once in the process; the others
 * wait their turn, the user's (preview, deletion, Test connection) first.
 * The first checks after popbell_engine_start() are due at once.
 *
 * Signals:
 * - ::account-checked (PopbellCheckResult *result): a check finished (also
 *   failed ones). Not emitted for cancelled checks. Its new messages stay
 *   "unannounced" in the state until popbell_engine_mark_announced().
 * - ::announce (PopbellCheckResult *result): emitted by
 *   popbell_engine_start() for each account whose state holds new messages
 *   that were never announced (the applet ended before it could): a result
 *   as if a check had just found them (new count, summaries of those with
 *   headers). Announce them like a check's, then mark them announced.
 * - ::status-changed (const gchar *account_name): that account's status or
 *   unseen list changed; read it with popbell_engine_dup_status().
 * - ::accounts-changed: accounts added, removed or edited.
 */
#define POPBELL_TYPE_ENGINE (popbell_engine_get_type ())
G_DECLARE_FINAL_TYPE (PopbellEngine, popbell_engine, POPBELL, ENGINE, GObject)

/* Uses the XDG paths of SPEC §3 and the libsecret credentials. */
PopbellEngine *popbell_engine_new (void);

typedef struct _PopbellCredentials PopbellCredentials;
typedef struct _PopbellChecker PopbellChecker;

/* For tests and special set-ups: @accounts_path NULL = the XDG one,
 * @state_dir NULL = the XDG one, @credentials NULL = libsecret. */
PopbellEngine  *popbell_engine_new_full (const gchar        *accounts_path,
                                         const gchar        *state_dir,
                                         PopbellCredentials *credentials);
/* (transfer none) the checker the engine runs its sessions with. */
PopbellChecker *popbell_engine_get_checker (PopbellEngine *self);
/* Before popbell_engine_start(): watch this monitor instead of the default
 * one (tests simulate going offline with it). */
void            popbell_engine_set_network_monitor (PopbellEngine   *self,
                                                    GNetworkMonitor *monitor);

/* Loads accounts and state. Errors: POPBELL_ERROR_CONFIG. */
gboolean popbell_engine_load  (PopbellEngine *self, GError **error);
/* Arms the schedule (first checks soon), network and resume monitors. */
void     popbell_engine_start (PopbellEngine *self);
void     popbell_engine_stop  (PopbellEngine *self);
/* For a clean exit (SIGTERM, logout): popbell_engine_stop(), then the
 * callback once every session it cancelled has ended — state saved,
 * account lock released, the user's marks written. The caller iterates
 * the engine's main context meanwhile (bounded by its own timeout).
 * Errors: G_IO_ERROR_CANCELLED (@cancellable). */
void     popbell_engine_stop_async  (PopbellEngine       *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
gboolean popbell_engine_stop_finish (PopbellEngine       *self,
                                     GAsyncResult        *result,
                                     GError             **error);

PopbellAccountStore *popbell_engine_get_account_store (PopbellEngine *self);
/* After editing the store: save it, reschedule, lift auth holds whose
 * settings changed. Errors: POPBELL_ERROR_CONFIG, G_IO_ERROR. */
gboolean popbell_engine_apply_accounts (PopbellEngine *self, GError **error);

/* (element-type PopbellAccountStatus) (transfer container) */
GPtrArray            *popbell_engine_list_status (PopbellEngine *self);
PopbellAccountStatus *popbell_engine_dup_status  (PopbellEngine *self, const gchar *account_name);
guint                 popbell_engine_get_unseen_total (PopbellEngine *self);
/* (element-type PopbellMailSummary) (transfer container): unseen messages of
 * all accounts whose headers are known, newest first. */
GPtrArray            *popbell_engine_list_unseen (PopbellEngine *self);

/* Check all enabled accounts now (the tray's Check now, --check-now, the
 * D-Bus action), still within LOGIN-DELAY: an account inside it is checked
 * as soon as allowed. A held account (rejected password, certificate,
 * configuration) stays held: scripts must not cause failed logins (SPEC §5
 * "Schedule"); see popbell_engine_retry_account(). */
void popbell_engine_check_now (PopbellEngine *self);
void popbell_engine_check_account_now (PopbellEngine *self, const gchar *account_name);
/* The user's explicit "Try again" on one account: lifts its hold once and
 * checks now (the hold comes back if the server still refuses). */
void popbell_engine_retry_account (PopbellEngine *self, const gchar *account_name);

/* Showing a message (preview) or the user's "Mark as seen": it leaves the
 * unseen list (the counts drop at once) and the state. */
void popbell_engine_mark_seen     (PopbellEngine *self, const gchar *account_name, const gchar *uid);
void popbell_engine_mark_all_seen (PopbellEngine *self);
/* Every unseen message of one account, headers known or not (a
 * notification's "Mark as seen" that could list none). */
void popbell_engine_mark_account_seen (PopbellEngine *self, const gchar *account_name);

/* Issue 7, announcement at least and at most once: call after the
 * announcement of these new messages was handed to the notification
 * server (or the user saw them in the tray or the preview). @uids NULL:
 * every new message of the account not announced yet (a notification that
 * named no messages). Saved under the account lock; until then (and after
 * a failed save) kept in memory. */
void popbell_engine_mark_announced (PopbellEngine       *self,
                                    const gchar         *account_name,
                                    const gchar * const *uids);
/* (element-type PopbellCheckResult) (transfer container): what ::announce
 * carries, for every account with unannounced new messages now. */
GPtrArray *popbell_engine_list_unannounced (PopbellEngine *self);

/* Store a password (libsecret) and lift an auth hold.
 * Errors: POPBELL_ERROR_KEYRING. */
void     popbell_engine_set_password_async  (PopbellEngine *self, const gchar *account_name,
                                             const gchar *password, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_engine_set_password_finish (PopbellEngine *self, GAsyncResult *result,
                                             GError **error);

/* Remove the password of @account (host + user) from the keyring, unless
 * another account in the store uses the same host and user. For the
 * preferences' Remove: call it with the removed account (the store need
 * not hold it any more). Nothing stored is success. Sets *@out_cleared
 * (nullable) to whether the keyring was asked to clear it.
 * Errors: POPBELL_ERROR_KEYRING, G_IO_ERROR_CANCELLED. */
void     popbell_engine_forget_password_async  (PopbellEngine *self, PopbellAccount *account,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_engine_forget_password_finish (PopbellEngine *self, GAsyncResult *result,
                                                gboolean *out_cleared, GError **error);

/* One real session with @account (not necessarily saved; @password NULL: the
 * keyring's) that logs in, STATs and QUITs, for "Test connection". Like
 * every session it takes the account lock and honours LOGIN-DELAY (and
 * records the login for it); it neither sets nor obeys an auth hold and
 * changes no baseline. Errors: POPBELL_ERROR_*. */
void     popbell_engine_test_account_async  (PopbellEngine *self, PopbellAccount *account,
                                             const gchar *password, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_engine_test_account_finish (PopbellEngine *self, GAsyncResult *result,
                                             GError **error);

/* Fetch one message (by UID; NULL = the newest on the server) for the
 * preview: TOP first (@full FALSE), or the whole message within @max_size.
 * Errors: POPBELL_ERROR_*. */
void            popbell_engine_fetch_message_async  (PopbellEngine *self, const gchar *account_name,
                                                     const gchar *uid, gboolean full, gsize max_size,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback, gpointer user_data);
PopbellMessage *popbell_engine_fetch_message_finish (PopbellEngine *self, GAsyncResult *result,
                                                     GError **error);

/* DELE the message with this UID (found again by UIDL), then QUIT. */
void     popbell_engine_delete_message_async  (PopbellEngine *self, const gchar *account_name,
                                               const gchar *uid, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_engine_delete_message_finish (PopbellEngine *self, GAsyncResult *result,
                                               GError **error);

G_END_DECLS
