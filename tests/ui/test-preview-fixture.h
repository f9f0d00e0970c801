/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-engine.h"
#include "popbell-test-dovecot.h"
#include "popbell-test-session.h"

G_BEGIN_DECLS

/* Real services for the window tests: one Dovecot per test program, started
 * by the first test that needs it (so a missing Dovecot skips — or fails
 * under POPBELL_TEST_REQUIRE_SERVICES=1 — inside a test case). */

/* NULL when Dovecot is missing (the test is then skipped/failed). */
PopbellTestDovecot *ui_test_dovecot          (void);
void                ui_test_dovecot_shutdown (void);

/* Writes $XDG_CONFIG_HOME/popbell/accounts.ini with one account @name for
 * alice on Dovecot (STARTTLS, the Dovecot CA as tls-ca-file). */
void     ui_test_write_account   (PopbellTestDovecot *dovecot,
                                  const gchar        *name);
/* Removes Popbell's config, state and cache directories. */
void     ui_test_reset_files     (void);
/* (transfer full) $XDG_CONFIG_HOME/popbell/accounts.ini */
gchar   *ui_test_accounts_path   (void);
/* Messages in alice's maildir (new/ and cur/). */
guint    ui_test_count_messages  (PopbellTestDovecot *dovecot,
                                  const gchar        *user);
/* Runs one check of @account_name, waits for ::account-checked and
 * returns its result (transfer full). The engine must be started. */
PopbellCheckResult *ui_test_check (PopbellEngine *engine,
                                   const gchar   *account_name);
/* The same, asserting that the check succeeded. */
void     ui_test_check_and_wait  (PopbellEngine      *engine,
                                  const gchar        *account_name);

G_END_DECLS
