/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-scheduler.h"

static void
test_backoff_policy (void)
{
  gint64 s = G_USEC_PER_SEC;

  /* 5-minute interval: 300, 600, 1200, then the 30-minute cap. */
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 1, 0.5), ==, 300 * s);
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 2, 0.5), ==, 600 * s);
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 3, 0.5), ==, 1200 * s);
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 4, 0.5), ==, 1800 * s);
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 60, 0.99), ==, 1800 * s);
  /* Jitter: ±20 %, but never past the cap. */
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 1, 0.0), ==, 240 * s);
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 1, 1.0), ==, 360 * s);
  g_assert_cmpint (popbell_scheduler_backoff_delay (300, 4, 1.0), ==, 1800 * s);
  /* An interval above the cap is not shortened. */
  g_assert_cmpint (popbell_scheduler_backoff_delay (3600, 5, 0.5), ==, 3600 * s);
}

static void
test_login_allowed (void)
{
  g_assert_cmpint (popbell_scheduler_login_allowed (0, 900, 0), ==, 0);
  g_assert_cmpint (popbell_scheduler_login_allowed (1000, 0, 0), ==, 0);
  g_assert_cmpint (popbell_scheduler_login_allowed (1000, 5, 0), ==, 1000 + 5 * G_USEC_PER_SEC);
  g_assert_cmpint (popbell_scheduler_login_allowed (1000, 5, 9 * G_USEC_PER_SEC), ==,
                   9 * G_USEC_PER_SEC);
}

static void
on_due (PopbellScheduler *scheduler, const gchar *name, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (name));
}

static void
test_timers (void)
{
  g_autoptr(PopbellScheduler) scheduler = popbell_scheduler_new ();
  g_autoptr(GPtrArray) fired = g_ptr_array_new_with_free_func (g_free);
  PopbellNextCheckReason reason;
  gint64 now = g_get_real_time ();

  g_signal_connect (scheduler, "due", G_CALLBACK (on_due), fired);
  popbell_scheduler_schedule (scheduler, "late", now + 300 * 1000, POPBELL_NEXT_CHECK_BACKOFF);
  popbell_scheduler_schedule (scheduler, "soon", now + 100 * 1000, POPBELL_NEXT_CHECK_INTERVAL);
  popbell_scheduler_schedule (scheduler, "gone", now + 50 * 1000, POPBELL_NEXT_CHECK_INTERVAL);
  popbell_scheduler_unschedule (scheduler, "gone", POPBELL_NEXT_CHECK_HELD);

  g_assert_cmpint (popbell_scheduler_get_next (scheduler, "late", &reason), ==, now + 300 * 1000);
  g_assert_cmpint (reason, ==, POPBELL_NEXT_CHECK_BACKOFF);
  g_assert_cmpint (popbell_scheduler_get_next (scheduler, "gone", &reason), ==, 0);
  g_assert_cmpint (reason, ==, POPBELL_NEXT_CHECK_HELD);

  while (fired->len < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (fired->pdata[0], ==, "soon");
  g_assert_cmpstr (fired->pdata[1], ==, "late");
  g_assert_cmpint (g_get_real_time () - now, >=, 300 * 1000);
  g_assert_false (popbell_scheduler_is_armed (scheduler, "late"));
  popbell_scheduler_get_next (scheduler, "late", &reason);
  g_assert_cmpint (reason, ==, POPBELL_NEXT_CHECK_RUNNING);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/core/scheduler/backoff-policy", test_backoff_policy);
  g_test_add_func ("/core/scheduler/login-allowed", test_login_allowed);
  g_test_add_func ("/core/scheduler/timers", test_timers);
  return g_test_run ();
}
