/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when POPBELL_TEST_REQUIRE_SERVICES=1 (CI): a missing real service is
 * then a failure, never a skip. */
gboolean popbell_test_require_services (void);

/* Skip the current test because @what is missing — or fail it under
 * POPBELL_TEST_REQUIRE_SERVICES=1. Returns after g_test_skip(); the caller
 * returns from the test. */
void popbell_test_skip_or_fail (const gchar *what);

/* Main-context helpers for tests that drive async code. */

/* A GSourceFunc that sets the gboolean @flag points to and removes itself. */
gboolean popbell_test_set_flag (gpointer flag);

/* Iterates the global default main context for @ms. */
void popbell_test_run_for (guint ms);

/* Iterates until @done (@data) is TRUE or @timeout_ms passed; returns
 * @done's last answer. A 10 ms tick re-checks conditions that change on
 * another thread (which does not wake this context). */
gboolean popbell_test_iterate_until (gboolean (*done) (gpointer data),
                                     gpointer   data,
                                     guint      timeout_ms);

G_END_DECLS
