/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-engine.h"

G_BEGIN_DECLS

/* For the engine: a status snapshot. Times are g_get_real_time() µs, 0 for
 * none; @error is copied. */
PopbellAccountStatus *popbell_account_status_new (const gchar            *name,
                                                  guint                   unseen,
                                                  guint                   messages,
                                                  gint64                  last_success,
                                                  gint64                  next_check,
                                                  PopbellNextCheckReason  next_reason,
                                                  guint                   login_delay,
                                                  const GError           *error,
                                                  gboolean                needs_attention,
                                                  const gchar            *certificate_sha256,
                                                  gboolean                stale,
                                                  gboolean                has_problem,
                                                  guint                   problem_episode,
                                                  const GError           *save_error);

G_END_DECLS
