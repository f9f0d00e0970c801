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

gboolean
popbell_test_set_flag (gpointer flag)
{
  *(gboolean *) flag = TRUE;
  return G_SOURCE_REMOVE;
}

void
popbell_test_run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, popbell_test_set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
keep_awake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
popbell_test_iterate_until (gboolean (*done) (gpointer data),
                            gpointer   data,
                            guint      timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, popbell_test_set_flag, &expired);
  guint tick = g_timeout_add (10, keep_awake, NULL);

  while (!done (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_source_remove (tick);
  return done (data);
}
