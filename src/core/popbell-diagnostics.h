/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-credentials.h"

G_BEGIN_DECLS

/**
 * The diagnostics report (SPEC §5 "Diagnostics"): one real session with an
 * account — connect, log in, STAT, QUIT — and what a maintainer needs to
 * help: Popbell's version, the greeting and IMPLEMENTATION, the
 * capabilities with LOGIN-DELAY and EXPIRE, the TLS version, cipher,
 * certificate chain fingerprints and the trust outcome, the login method
 * used, the time of each step and the protocol trace. Every secret (the
 * password, SASL data), the user name and any message header are replaced
 * before a line enters the report, so the report can be pasted into a
 * public bug tracker.
 *
 * A session that fails still gives a report (it says where and why); the
 * task fails only when no session could be tried (no password stored).
 */
void   popbell_diagnostics_run_async  (PopbellAccount       *account,
                                       PopbellCredentials   *credentials,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
/* Returns: (transfer full) the report, plain UTF-8 text; sets @session_ok
 * (nullable) to whether the session logged in. Errors: POPBELL_ERROR. */
gchar *popbell_diagnostics_run_finish (GAsyncResult         *result,
                                       gboolean             *session_ok,
                                       GError              **error);

/* The redaction every report line goes through (exposed for tests):
 * @username and @password replaced wherever they occur, SASL data and
 * header lines of a message replaced as a whole. (transfer full) */
gchar *popbell_diagnostics_redact (const gchar *line,
                                   const gchar *username,
                                   const gchar *password);

G_END_DECLS
