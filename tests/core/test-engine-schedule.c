/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The engine's schedule over real seconds against the fake server, with
 * 1-second intervals (POPBELL_MIN_INTERVAL=1): LOGIN-DELAY over the
 * interval, exponential backoff. Slow by nature (~20 s), so apart from
 * test-engine. */
#include "popbell-config.h"

#include "engine-fixture.h"

/* LOGIN-DELAY 5 with a 1-second interval: logins at most every 5 s. */
static void
test_login_delay_schedule (Fixture *f, gconstpointer data)
{
  GArray *logins;

  popbell_fake_server_add_capability (f->server, "LOGIN-DELAY 5");
  write_accounts (f, popbell_fake_server_get_port (f->server), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_for (11500);
  popbell_engine_stop (f->engine);

  logins = popbell_fake_server_get_login_times (f->server);
  g_test_message ("%u logins in 11.5 s", logins->len);
  g_assert_cmpuint (logins->len, >=, 2);
  g_assert_cmpuint (logins->len, <=, 3);
  for (guint i = 1; i < logins->len; i++)
    {
      gint64 gap = g_array_index (logins, gint64, i) - g_array_index (logins, gint64, i - 1);

      g_test_message ("gap %u: %.3f s", i, gap / 1e6);
      g_assert_cmpint (gap, >=, 5 * G_USEC_PER_SEC);
    }
  /* Planned around the delay, never refused locally. */
  for (guint i = 0; i < f->results->len; i++)
    g_assert_true (popbell_check_result_is_ok (result_at (f, i)));
}

static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_backoff (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountStatus) status = NULL;

  write_accounts (f, closed_port (), 1);
  new_engine (f);
  popbell_engine_start (f->engine);
  run_until_results (f, 4, 12000);

  for (guint i = 0; i < f->results->len; i++)
    g_assert_cmpstr (popbell_check_result_get_error_kind (result_at (f, i)), ==, "network");
  /* 1, 2, 4 s each ±20 %: every gap longer than the one before. */
  for (guint i = 2; i < 4; i++)
    {
      gint64 before = g_array_index (f->result_times, gint64, i - 1) -
                      g_array_index (f->result_times, gint64, i - 2);
      gint64 gap = g_array_index (f->result_times, gint64, i) -
                   g_array_index (f->result_times, gint64, i - 1);

      g_test_message ("gap %.3f s after %.3f s", gap / 1e6, before / 1e6);
      g_assert_cmpint (gap, >, before);
    }
  status = popbell_engine_dup_status (f->engine, "work");
  g_assert_cmpint (popbell_account_status_get_next_reason (status), ==, POPBELL_NEXT_CHECK_BACKOFF);
  g_assert_false (popbell_account_status_needs_attention (status));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/core/engine/login-delay-schedule", test_login_delay_schedule);
  ADD ("/core/engine/backoff", test_backoff);
#undef ADD

  return g_test_run ();
}
