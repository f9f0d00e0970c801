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

G_END_DECLS
