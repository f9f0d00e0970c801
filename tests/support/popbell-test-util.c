/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-test-util.h"

gboolean
popbell_test_require_services (void)
{
  return g_strcmp0 (g_getenv ("POPBELL_TEST_REQUIRE_SERVICES"), "1") == 0;
}

void
popbell_test_skip_or_fail (const gchar *what)
{
  if (popbell_test_require_services ())
    {
      g_test_message ("%s is required (POPBELL_TEST_REQUIRE_SERVICES=1)", what);
      g_test_fail ();
      return;
    }
  g_test_skip (what);
}
