/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-check-result.h"
#include "popbell-credentials.h"
#include "popbell-oauth2-token-source.h"
#include "popbell-session.h"
#include "popbell-state-store.h"

G_BEGIN_DECLS

/* How many new messages get their headers fetched (the newest ones) when
 * many arrive at once: a notification names a few, the rest is a count. */
#define POPBELL_CHECKER_MAX_HEADERS 30


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
/* auth=oauth2: the accounts' token sources, kept across checks. (transfer none) */
PopbellTokenSourceCache *popbell_checker_get_token_sources (PopbellChecker *self);
/* Headers fetched per check at most (default POPBELL_CHECKER_MAX_HEADERS). */
void popbell_checker_set_max_headers (PopbellChecker *self, guint max_headers);
/* How long to wait for another process's check of the same account
 * (default 120 s). */
void  popbell_checker_set_lock_timeout (PopbellChecker *self, guint ms);
guint popbell_checker_get_lock_timeout (PopbellChecker *self);

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
/* The same, starting from @unsaved (nullable), the caller's state when its
 * last save failed (see popbell_session_set_unsaved_state()). */
void                 popbell_checker_check_full_async (PopbellChecker            *self,
                                                       PopbellAccount            *account,
                                                       PopbellSessionFlags        flags,
                                                       const PopbellAccountState *unsaved,
                                                       GCancellable              *cancellable,
                                                       GAsyncReadyCallback        callback,
                                                       gpointer                   user_data);
PopbellCheckOutcome *popbell_checker_check_finish (PopbellChecker      *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
