/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <locale.h>
#include <string.h>

#include "popbell-notifier-text.h"
#include "popbell-tray.h"
#include "popbell-tray-text.h"

/* The pure text functions of the tray and the notifications, and the tray
 * state's copy, with hand-made account states: no engine, no display, no
 * D-Bus. */

static GDateTime *
today_at (gint hour,
          gint minute)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                g_date_time_get_day_of_month (now), hour, minute, 0);
}

static void
test_count (void)
{
  g_autofree gchar *zero = popbell_tray_text_count (0);
  g_autofree gchar *one = popbell_tray_text_count (1);
  g_autofree gchar *max = popbell_tray_text_count (99);
  g_autofree gchar *over = popbell_tray_text_count (100);
  g_autofree gchar *huge = popbell_tray_text_count (G_MAXUINT);

  g_assert_cmpstr (zero, ==, "");
  g_assert_cmpstr (one, ==, "1");
  g_assert_cmpstr (max, ==, "99");
  g_assert_cmpstr (over, ==, "99+");
  g_assert_cmpstr (huge, ==, "99+");
}

static void
test_title (void)
{
  g_autoptr(GError) auth = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_AUTH, "x");
  PopbellTrayAccount accounts[2] = {
    { .name = "work", .unseen = 2 },
    { .name = "home", .unseen = 1 },
  };
  g_autofree gchar *none = popbell_tray_text_title (NULL, 0);
  g_autofree gchar *three = popbell_tray_text_title (accounts, 2);
  g_autofree gchar *one = popbell_tray_text_title (accounts + 1, 1);
  g_autofree gchar *attention = NULL;
  g_autofree gchar *quiet = NULL;

  g_assert_cmpstr (none, ==, "Popbell — no accounts set up");
  g_assert_cmpstr (three, ==, "Popbell — 3 new messages");
  g_assert_cmpstr (one, ==, "Popbell — 1 new message");

  accounts[1].error = auth;
  accounts[1].needs_attention = TRUE;
  attention = popbell_tray_text_title (accounts, 2);
  g_assert_cmpstr (attention, ==, "Popbell — 3 new messages, 1 account needs attention");

  accounts[0].unseen = accounts[1].unseen = 0;
  accounts[1].needs_attention = FALSE;
  quiet = popbell_tray_text_title (accounts, 2);
  g_assert_cmpstr (quiet, ==, "Popbell — no new mail");
}

static void
test_account_line_ok (void)
{
  g_autoptr(GDateTime) now = today_at (12, 35);
  g_autoptr(GDateTime) last = today_at (12, 34);
  g_autoptr(GDateTime) next = today_at (12, 39);
  PopbellTrayAccount a = {
    .name = "work", .unseen = 2, .messages = 12, .last_success = last,
    .next_check = next, .next_reason = POPBELL_NEXT_CHECK_INTERVAL,
  };
  g_autofree gchar *line = popbell_tray_text_account_line (&a, now);
  g_autofree gchar *none = NULL;

  g_assert_cmpstr (line, ==, "work: 2 new, 12 on server · checked 12:34 · next check 12:39");

  a.unseen = 0;
  a.messages = 1;
  none = popbell_tray_text_account_line (&a, now);
  g_assert_cmpstr (none, ==, "work: no new mail, 1 on server · checked 12:34 · next check 12:39");
}

static void
test_account_line_login_delay (void)
{
  g_autoptr(GDateTime) now = today_at (12, 30);
  g_autoptr(GDateTime) last = today_at (12, 28);
  g_autoptr(GDateTime) next = today_at (12, 40);
  PopbellTrayAccount a = {
    .name = "isp", .messages = 3, .last_success = last, .next_check = next,
    .next_reason = POPBELL_NEXT_CHECK_LOGIN_DELAY, .login_delay = 720,
  };
  g_autofree gchar *line = popbell_tray_text_account_line (&a, now);
  g_autofree gchar *rounded = NULL;

  g_assert_cmpstr (line, ==, "isp: no new mail, 3 on server · checked 12:28 · "
                             "next check 12:40 — server allows one login per 12 min");

  /* 61 s is promised as 2 min, never as 1. */
  a.login_delay = 61;
  rounded = popbell_tray_text_account_line (&a, now);
  g_assert_nonnull (strstr (rounded, "one login per 2 min"));
}

static void
test_account_line_errors (void)
{
  g_autoptr(GDateTime) now = today_at (12, 30);
  g_autoptr(GDateTime) last = today_at (9, 5);
  g_autoptr(GDateTime) next = today_at (12, 45);
  g_autoptr(GError) timeout = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_TIMEOUT,
                                                   "The server of “home” did not answer.");
  g_autoptr(GError) auth = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_AUTH, "x");
  g_autoptr(GError) tls = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_TLS, "x");
  PopbellTrayAccount a = {
    .name = "home", .unseen = 1, .messages = 4, .last_success = last, .next_check = next,
    .next_reason = POPBELL_NEXT_CHECK_BACKOFF, .error = timeout, .stale = TRUE,
  };
  g_autofree gchar *backoff = popbell_tray_text_account_line (&a, now);
  g_autofree gchar *held = NULL;
  g_autofree gchar *cert = NULL;
  g_autofree gchar *never = NULL;

  g_assert_cmpstr (backoff, ==, "home: the server did not answer · 1 new · last success 09:05 · "
                                "out of date · next check 12:45 — retrying after a failure");

  a.error = auth;
  a.needs_attention = TRUE;
  a.stale = FALSE;
  a.unseen = 0;
  a.next_reason = POPBELL_NEXT_CHECK_HELD;
  a.next_check = NULL;
  held = popbell_tray_text_account_line (&a, now);
  g_assert_cmpstr (held, ==, "home: password rejected · last success 09:05 · "
                             "stopped until the password is changed");

  a.error = tls;
  a.last_success = NULL;
  cert = popbell_tray_text_account_line (&a, now);
  g_assert_cmpstr (cert, ==, "home: secure connection failed · stopped until the certificate is trusted");

  a.error = NULL;
  a.needs_attention = FALSE;
  a.next_reason = POPBELL_NEXT_CHECK_RUNNING;
  never = popbell_tray_text_account_line (&a, now);
  g_assert_cmpstr (never, ==, "home: not checked yet · checking now…");
}

/* The menu's and the change detector's line: the same state as the
 * tooltip's line without a time, so that a routine check (a later
 * "checked", a later "next check", "checking now…") leaves it unchanged. */
static void
test_account_state (void)
{
  g_autoptr(GDateTime) now = today_at (12, 30);
  g_autoptr(GDateTime) later = g_date_time_add_minutes (now, 10);
  g_autoptr(GError) refused = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_NETWORK, "x");
  g_autoptr(GError) auth = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_AUTH, "x");
  PopbellTrayAccount a = {
    .name = "work", .unseen = 2, .messages = 12, .last_success = now, .next_check = later,
    .next_reason = POPBELL_NEXT_CHECK_INTERVAL,
  };
  g_autofree gchar *ok = popbell_tray_text_account_state (&a);
  g_autofree gchar *running = NULL;
  g_autofree gchar *again = NULL;
  g_autofree gchar *never = NULL;
  g_autofree gchar *held = NULL;

  g_assert_cmpstr (ok, ==, "work: 2 new, 12 on server");
  a.next_reason = POPBELL_NEXT_CHECK_RUNNING;
  running = popbell_tray_text_account_state (&a);
  g_assert_cmpstr (running, ==, ok);
  a.last_success = later;
  a.next_check = now;
  a.next_reason = POPBELL_NEXT_CHECK_INTERVAL;
  again = popbell_tray_text_account_state (&a);
  g_assert_cmpstr (again, ==, ok);

  /* A first check that never succeeded: the problem, named. */
  a.last_success = NULL;
  a.unseen = 0;
  a.error = refused;
  a.stale = TRUE;
  a.problem = TRUE;
  a.next_reason = POPBELL_NEXT_CHECK_BACKOFF;
  never = popbell_tray_text_account_state (&a);
  g_assert_cmpstr (never, ==, "work: cannot reach the server · out of date");

  a.error = auth;
  a.stale = FALSE;
  a.needs_attention = TRUE;
  a.next_reason = POPBELL_NEXT_CHECK_HELD;
  held = popbell_tray_text_account_state (&a);
  g_assert_cmpstr (held, ==, "work: password rejected · stopped until the password is changed");
}

/* An account with a problem counts in the title like one that needs the
 * user. */
static void
test_title_problem (void)
{
  PopbellTrayAccount accounts[2] = {
    { .name = "home", .unseen = 1 },
    { .name = "work", .problem = TRUE },
  };
  g_autofree gchar *title = popbell_tray_text_title (accounts, 2);

  g_assert_cmpstr (title, ==, "Popbell — 1 new message, 1 account needs attention");
}

/* The switching tray keeps the last state for a backend created later:
 * the copy must own everything, as the caller's values are gone by then. */
static void
test_state_copy (void)
{
  g_autoptr(GDateTime) now = today_at (12, 30);
  g_autoptr(PopbellTrayState) copy = NULL;
  g_autofree gchar *name = g_strdup ("work");
  g_autofree gchar *title = g_strdup ("Popbell — 2 new messages");
  GError *error = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_NETWORK, "refused");
  PopbellTrayAccount accounts[1] = {
    { .name = name, .unseen = 2, .last_success = g_date_time_ref (now), .error = error,
      .problem = TRUE },
  };
  PopbellTrayState state = {
    .unseen = 2, .title = title, .tooltip = NULL, .accounts = accounts, .n_accounts = 1,
  };

  g_assert_false (popbell_tray_state_has_problem (&(PopbellTrayState) { .unseen = 2 }));
  g_assert_true (popbell_tray_state_has_problem (&state));

  copy = popbell_tray_state_copy (&state);
  g_clear_pointer (&name, g_free);
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&accounts[0].last_success, g_date_time_unref);
  g_error_free (error);
  memset (accounts, 0, sizeof accounts);

  g_assert_cmpstr (copy->title, ==, "Popbell — 2 new messages");
  g_assert_null (copy->tooltip);
  g_assert_cmpuint (copy->n_accounts, ==, 1);
  g_assert_cmpstr (copy->accounts[0].name, ==, "work");
  g_assert_cmpuint (copy->accounts[0].unseen, ==, 2);
  g_assert_true (g_date_time_equal (copy->accounts[0].last_success, now));
  g_assert_error (copy->accounts[0].error, POPBELL_ERROR, POPBELL_ERROR_NETWORK);
  g_assert_true (popbell_tray_state_has_problem (copy));
}

static void
test_account_line_other_day (void)
{
  g_autoptr(GDateTime) now = today_at (12, 30);
  g_autoptr(GDateTime) last = g_date_time_add_days (now, -30);
  PopbellTrayAccount a = {
    .name = "old", .last_success = last, .next_reason = POPBELL_NEXT_CHECK_DISABLED,
  };
  g_autofree gchar *line = popbell_tray_text_account_line (&a, now);
  g_autofree gchar *expected_when = g_date_time_format (last, "%-d %b %H:%M");
  g_autofree gchar *expected = g_strdup_printf ("old: no new mail, 0 on server · checked %s · disabled",
                                                expected_when);

  g_assert_cmpstr (line, ==, expected);
}

static void
test_tooltip (void)
{
  g_autoptr(GDateTime) now = today_at (8, 0);
  PopbellTrayAccount accounts[2] = {
    { .name = "a", .next_reason = POPBELL_NEXT_CHECK_OFFLINE },
    { .name = "b", .next_reason = POPBELL_NEXT_CHECK_KEYRING },
  };
  g_autofree gchar *tooltip = popbell_tray_text_tooltip (accounts, 2, now);

  g_assert_cmpstr (tooltip, ==, "Popbell — no new mail\n"
                                "a: not checked yet · paused while offline\n"
                                "b: not checked yet · waiting for the keyring to unlock");
}

static void
test_sender_name (void)
{
  const struct { const gchar *from; const gchar *name; } cases[] = {
    { "Jürgen Weiß <jw@example.org>", "Jürgen Weiß" },
    { "\"Weiß, Jürgen\" <jw@example.org>", "Weiß, Jürgen" },
    { "<jw@example.org>", "jw@example.org" },
    { "jw@example.org", "jw@example.org" },
    { "  ", "unknown sender" },
    { "", "unknown sender" },
    { "\"\" <>", "unknown sender" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *name = popbell_tray_text_sender_name (cases[i].from);

      g_assert_cmpstr (name, ==, cases[i].name);
    }
}

static GPtrArray *
make_messages (guint n)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree gchar *uid = g_strdup_printf ("uid%u", i);
      g_autofree gchar *from = g_strdup_printf ("Sender %u <s%u@example.org>", i, i);
      g_autofree gchar *subject = g_strdup_printf ("Subject %u", i);

      g_ptr_array_add (messages, popbell_mail_summary_new ("work", uid, i + 1, 100, from,
                                                           subject, NULL));
    }
  return messages;
}

static void
test_notification_one (void)
{
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  g_autofree gchar *summary = NULL;
  g_autofree gchar *body = NULL;

  g_ptr_array_add (messages, popbell_mail_summary_new ("work", "u1", 1, 10,
                                                       "Jürgen Weiß <jw@example.org>",
                                                       "Grüße aus Köln", NULL));
  popbell_notifier_text_new_mail ("work", 1, messages, FALSE, &summary, &body);
  g_assert_cmpstr (summary, ==, "New mail from Jürgen Weiß");
  g_assert_cmpstr (body, ==, "Grüße aus Köln");
}

static void
test_notification_several (void)
{
  g_autoptr(GPtrArray) two = make_messages (2);
  g_autoptr(GPtrArray) five = make_messages (5);
  g_autofree gchar *summary = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *summary5 = NULL;
  g_autofree gchar *body5 = NULL;
  g_autofree gchar *summary_unknown = NULL;
  g_autofree gchar *body_unknown = NULL;
  g_autofree gchar *summary_partial = NULL;
  g_autofree gchar *body_partial = NULL;

  popbell_notifier_text_new_mail ("work", 2, two, FALSE, &summary, &body);
  g_assert_cmpstr (summary, ==, "2 new messages in work");
  g_assert_cmpstr (body, ==, "Sender 0: “Subject 0”\nSender 1: “Subject 1”");

  popbell_notifier_text_new_mail ("work", 5, five, FALSE, &summary5, &body5);
  g_assert_cmpstr (summary5, ==, "5 new messages in work");
  g_assert_cmpstr (body5, ==, "Sender 0: “Subject 0”\nSender 1: “Subject 1”\n"
                              "Sender 2: “Subject 2”\nand 2 more");

  /* Headers not fetched (e.g. EXPIRE 0): the count only. */
  popbell_notifier_text_new_mail ("work", 1, NULL, FALSE, &summary_unknown, &body_unknown);
  g_assert_cmpstr (summary_unknown, ==, "1 new message in work");
  g_assert_cmpstr (body_unknown, ==, "");

  /* Fewer headers than new messages: "and N more" counts the unknown ones. */
  g_ptr_array_set_size (two, 1);
  popbell_notifier_text_new_mail ("work", 4, two, FALSE, &summary_partial, &body_partial);
  g_assert_cmpstr (summary_partial, ==, "4 new messages in work");
  g_assert_cmpstr (body_partial, ==, "Sender 0: “Subject 0”\nand 3 more");
}

static void
test_notification_markup (void)
{
  const gchar *evil = "<b>Hi</b> & <a href=\"x\">";
  g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  g_autoptr(GPtrArray) two = NULL;
  g_autofree gchar *summary = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *plain_summary = NULL;
  g_autofree gchar *plain_body = NULL;
  g_autofree gchar *summary2 = NULL;
  g_autofree gchar *body2 = NULL;

  g_ptr_array_add (one, popbell_mail_summary_new ("work", "u1", 1, 10, "A&B <ab@example.org>",
                                                  evil, NULL));
  popbell_notifier_text_new_mail ("work", 1, one, TRUE, &summary, &body);
  /* The summary is plain text by specification: never escaped. */
  g_assert_cmpstr (summary, ==, "New mail from A&B");
  g_assert_cmpstr (body, ==, "&lt;b&gt;Hi&lt;/b&gt; &amp; &lt;a href=&quot;x&quot;&gt;");

  popbell_notifier_text_new_mail ("work", 1, one, FALSE, &plain_summary, &plain_body);
  g_assert_cmpstr (plain_body, ==, evil);

  two = g_ptr_array_ref (one);
  g_ptr_array_add (two, popbell_mail_summary_new ("work", "u2", 2, 10, "<x@example.org>",
                                                  "a < b", NULL));
  popbell_notifier_text_new_mail ("work", 2, two, TRUE, &summary2, &body2);
  g_assert_cmpstr (body2, ==, "<b>A&amp;B</b>: “&lt;b&gt;Hi&lt;/b&gt; &amp; &lt;a href=&quot;x&quot;&gt;”\n"
                              "<b>x@example.org</b>: “a &lt; b”");
}

static void
test_notification_problem (void)
{
  g_autoptr(GError) auth = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_AUTH, "x");
  g_autoptr(GError) config = g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                                                  "accounts.ini line 3: <b>bad</b>");
  g_autofree gchar *summary = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *config_summary = NULL;
  g_autofree gchar *config_body = NULL;

  /* A rejected login: the applet's wording, no command line, and both
   * remedies. */
  g_assert_cmpint (popbell_notifier_text_problem ("work", auth, FALSE, &summary, &body), ==,
                   POPBELL_NOTIFIER_REMEDY_FIX_RETRY);
  g_assert_cmpstr (summary, ==, "Cannot log in to work");
  g_assert_null (strstr (body, "popbell --"));

  /* A broken accounts.ini: its sentence, escaped for a markup server. */
  g_assert_cmpint (popbell_notifier_text_problem ("accounts.ini", config, TRUE,
                                                  &config_summary, &config_body), ==,
                   POPBELL_NOTIFIER_REMEDY_PREFERENCES);
  g_assert_cmpstr (config_summary, ==, "Popbell cannot read its accounts");
  g_assert_cmpstr (config_body, ==, "accounts.ini line 3: &lt;b&gt;bad&lt;/b&gt;");
}

static void
test_error_phrases (void)
{
  /* Every kind has its own short phrase. */
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (gint code = POPBELL_ERROR_NETWORK; code <= POPBELL_ERROR_CONFIG; code++)
    {
      g_autoptr(GError) error = g_error_new_literal (POPBELL_ERROR, code, "x");
      const gchar *phrase = popbell_tray_text_error_phrase (error);

      g_assert_nonnull (phrase);
      g_assert_false (g_hash_table_contains (seen, phrase));
      g_hash_table_add (seen, (gpointer) phrase);
    }
}

int
main (int argc, char *argv[])
{
  /* The expected strings are the untranslated English ones. */
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ui/tray-text/count", test_count);
  g_test_add_func ("/ui/tray-text/title", test_title);
  g_test_add_func ("/ui/tray-text/account-line/ok", test_account_line_ok);
  g_test_add_func ("/ui/tray-text/account-line/login-delay", test_account_line_login_delay);
  g_test_add_func ("/ui/tray-text/account-line/errors", test_account_line_errors);
  g_test_add_func ("/ui/tray-text/account-line/other-day", test_account_line_other_day);
  g_test_add_func ("/ui/tray-text/account-state", test_account_state);
  g_test_add_func ("/ui/tray-text/title-problem", test_title_problem);
  g_test_add_func ("/ui/tray/state-copy", test_state_copy);
  g_test_add_func ("/ui/tray-text/tooltip", test_tooltip);
  g_test_add_func ("/ui/tray-text/sender-name", test_sender_name);
  g_test_add_func ("/ui/tray-text/error-phrases", test_error_phrases);
  g_test_add_func ("/ui/notification-text/one", test_notification_one);
  g_test_add_func ("/ui/notification-text/several", test_notification_several);
  g_test_add_func ("/ui/notification-text/markup", test_notification_markup);
  g_test_add_func ("/ui/notification-text/problem", test_notification_problem);

  return g_test_run ();
}
