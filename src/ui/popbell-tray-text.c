/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "popbell-tray-text.h"

/* Pure functions only: no GTK, no engine calls, no clock. The tests build
 * PopbellTrayAccount values by hand. */

gchar *
popbell_tray_text_count (guint unseen)
{
  if (unseen == 0)
    return g_strdup ("");
  if (unseen > 99)
    return g_strdup ("99+");
  return g_strdup_printf ("%u", unseen);
}

const gchar *
popbell_tray_text_error_phrase (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != POPBELL_ERROR)
    return _("check failed");

  switch ((PopbellError) error->code)
    {
    case POPBELL_ERROR_NETWORK:
      return _("cannot reach the server");
    case POPBELL_ERROR_TLS:
      return _("secure connection failed");
    case POPBELL_ERROR_AUTH:
      return _("password rejected");
    case POPBELL_ERROR_INSECURE:
      return _("refused to send the password unencrypted");
    case POPBELL_ERROR_PROTOCOL:
      return _("the server broke the protocol");
    case POPBELL_ERROR_TIMEOUT:
      return _("the server did not answer");
    case POPBELL_ERROR_SERVER:
      return _("server error");
    case POPBELL_ERROR_MAILBOX_LOCKED:
      return _("mailbox in use by another program");
    case POPBELL_ERROR_LOGIN_DELAY:
      return _("waiting for the server’s login delay");
    case POPBELL_ERROR_KEYRING:
      return _("keyring unavailable");
    case POPBELL_ERROR_CONFIG:
      return _("settings incomplete");
    default:
      return _("check failed");
    }
}

static guint
count_attention (const PopbellTrayAccount *accounts,
                 guint                     n_accounts,
                 guint                    *unseen_total)
{
  guint n = 0;

  *unseen_total = 0;
  for (guint i = 0; i < n_accounts; i++)
    {
      if (accounts[i].needs_attention || accounts[i].problem)
        n++;
      /* Saturate rather than wrap: the count is shown, never computed with. */
      if (G_MAXUINT - *unseen_total > accounts[i].unseen)
        *unseen_total += accounts[i].unseen;
      else
        *unseen_total = G_MAXUINT;
    }
  return n;
}

gchar *
popbell_tray_text_title (const PopbellTrayAccount *accounts,
                         guint                     n_accounts)
{
  g_autoptr(GString) title = g_string_new (NULL);
  guint unseen = 0;
  guint attention;

  if (n_accounts == 0)
    return g_strdup (_("Popbell — no accounts set up"));

  attention = count_attention (accounts, n_accounts, &unseen);

  /* TRANSLATORS: the start of the tray title, e.g. "Popbell — 3 new messages" */
  g_string_append (title, _("Popbell — "));
  if (unseen == 0)
    g_string_append (title, _("no new mail"));
  else
    g_string_append_printf (title, g_dngettext (GETTEXT_PACKAGE, "%u new message",
                                                "%u new messages", unseen), unseen);
  if (attention > 0)
    {
      g_string_append (title, ", ");
      g_string_append_printf (title, g_dngettext (GETTEXT_PACKAGE, "%u account needs attention",
                                                  "%u accounts need attention", attention),
                              attention);
    }

  return g_string_free (g_steal_pointer (&title), FALSE);
}

/* "12:40" today, "Tue 12:40" within the week, "3 Dec 12:40" otherwise. */
static gchar *
format_time (GDateTime *when,
             GDateTime *now)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (when);
  g_autoptr(GDateTime) local_now = g_date_time_to_local (now);
  GTimeSpan diff = g_date_time_difference (local, local_now);
  gint y1, m1, d1, y2, m2, d2;

  g_date_time_get_ymd (local, &y1, &m1, &d1);
  g_date_time_get_ymd (local_now, &y2, &m2, &d2);
  if (y1 == y2 && m1 == m2 && d1 == d2)
    /* TRANSLATORS: time of day in the tray, see g_date_time_format() */
    return g_date_time_format (local, _("%H:%M"));
  if (ABS (diff) < 6 * G_TIME_SPAN_DAY)
    /* TRANSLATORS: weekday and time in the tray, see g_date_time_format() */
    return g_date_time_format (local, _("%a %H:%M"));
  /* TRANSLATORS: date and time in the tray, see g_date_time_format() */
  return g_date_time_format (local, _("%-d %b %H:%M"));
}

static gchar *
format_interval (guint seconds)
{
  if (seconds < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u s", "%u s", seconds), seconds);
  /* Round up: "one login per 12 min" must not promise earlier than allowed. */
  seconds = (seconds + 59) / 60;
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u min", "%u min", seconds), seconds);
}

/* @now NULL: without times (only next_check_state() passes it). */
static gchar *
next_check_text (const PopbellTrayAccount *a,
                 GDateTime                *now)
{
  g_autofree gchar *when = (a->next_check != NULL && now != NULL)
                             ? format_time (a->next_check, now) : NULL;
  g_autofree gchar *delay = NULL;

  switch (a->next_reason)
    {
    case POPBELL_NEXT_CHECK_INTERVAL:
      return when != NULL ? g_strdup_printf (_("next check %s"), when) : NULL;
    case POPBELL_NEXT_CHECK_LOGIN_DELAY:
      if (when == NULL || a->login_delay == 0)
        return g_strdup (_("waiting for the server’s login delay"));
      delay = format_interval (a->login_delay);
      /* TRANSLATORS: "next check 12:40 — server allows one login per 12 min" */
      return g_strdup_printf (_("next check %s — server allows one login per %s"), when, delay);
    case POPBELL_NEXT_CHECK_BACKOFF:
      return when != NULL ? g_strdup_printf (_("next check %s — retrying after a failure"), when)
                          : g_strdup (_("retrying after a failure"));
    case POPBELL_NEXT_CHECK_OFFLINE:
      return g_strdup (_("paused while offline"));
    case POPBELL_NEXT_CHECK_KEYRING:
      return g_strdup (_("waiting for the keyring to unlock"));
    case POPBELL_NEXT_CHECK_HELD:
      if (a->error != NULL && g_error_matches (a->error, POPBELL_ERROR, POPBELL_ERROR_AUTH))
        return g_strdup (_("stopped until the password is changed"));
      if (a->error != NULL && g_error_matches (a->error, POPBELL_ERROR, POPBELL_ERROR_TLS))
        return g_strdup (_("stopped until the certificate is trusted"));
      return g_strdup (_("stopped until you check the settings"));
    case POPBELL_NEXT_CHECK_DISABLED:
      return g_strdup (_("disabled"));
    case POPBELL_NEXT_CHECK_RUNNING:
      return g_strdup (_("checking now…"));
    default:
      return NULL;
    }
}

gchar *
popbell_tray_text_account_line (const PopbellTrayAccount *a,
                                GDateTime                *now)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *next = NULL;
  g_autofree gchar *joined = NULL;

  g_return_val_if_fail (a != NULL && a->name != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  if (a->error != NULL)
    g_ptr_array_add (parts, g_strdup (popbell_tray_text_error_phrase (a->error)));
  else if (a->last_success != NULL)
    {
      g_autofree gchar *unseen = NULL;

      if (a->unseen == 0)
        unseen = g_strdup (_("no new mail"));
      else
        unseen = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new", "%u new", a->unseen),
                                  a->unseen);
      g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%s, %u on server",
                                                            "%s, %u on server", a->messages),
                                               unseen, a->messages));
    }
  else if (a->next_reason != POPBELL_NEXT_CHECK_DISABLED)
    g_ptr_array_add (parts, g_strdup (_("not checked yet")));

  if (a->error != NULL && a->unseen > 0)
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new", "%u new",
                                                          a->unseen), a->unseen));

  if (a->last_success != NULL)
    {
      g_autofree gchar *when = format_time (a->last_success, now);

      if (a->error != NULL || a->stale)
        g_ptr_array_add (parts, g_strdup_printf (_("last success %s"), when));
      else
        g_ptr_array_add (parts, g_strdup_printf (_("checked %s"), when));
    }

  if (a->stale)
    g_ptr_array_add (parts, g_strdup (_("out of date")));

  next = next_check_text (a, now);
  if (next != NULL)
    g_ptr_array_add (parts, g_steal_pointer (&next));

  g_ptr_array_add (parts, NULL);
  joined = g_strjoinv (" · ", (gchar **) parts->pdata);
  /* TRANSLATORS: an account's line in the tray: "NAME: state · times" */
  return g_strdup_printf (_("%s: %s"), a->name, joined);
}

/* The parts of next_check_text() that do not change from one routine check
 * to the next: NULL for a plain interval, a running check, a login delay
 * (the server's pace is the normal state) and a retry after a failure (the
 * failure itself is the state). */
static gchar *
next_check_state (const PopbellTrayAccount *a)
{
  switch (a->next_reason)
    {
    case POPBELL_NEXT_CHECK_OFFLINE:
    case POPBELL_NEXT_CHECK_KEYRING:
    case POPBELL_NEXT_CHECK_HELD:
    case POPBELL_NEXT_CHECK_DISABLED:
      /* next_check_text() prints no time for these. */
      return next_check_text (a, NULL);
    case POPBELL_NEXT_CHECK_INTERVAL:
    case POPBELL_NEXT_CHECK_LOGIN_DELAY:
    case POPBELL_NEXT_CHECK_BACKOFF:
    case POPBELL_NEXT_CHECK_RUNNING:
    default:
      return NULL;
    }
}

gchar *
popbell_tray_text_account_state (const PopbellTrayAccount *a)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *next = NULL;
  g_autofree gchar *joined = NULL;

  g_return_val_if_fail (a != NULL && a->name != NULL, NULL);

  if (a->error != NULL)
    {
      g_ptr_array_add (parts, g_strdup (popbell_tray_text_error_phrase (a->error)));
      if (a->unseen > 0)
        g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new",
                                                              "%u new", a->unseen), a->unseen));
    }
  else if (a->last_success != NULL)
    {
      g_autofree gchar *unseen = NULL;

      if (a->unseen == 0)
        unseen = g_strdup (_("no new mail"));
      else
        unseen = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new", "%u new", a->unseen),
                                  a->unseen);
      g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "%s, %u on server",
                                                            "%s, %u on server", a->messages),
                                               unseen, a->messages));
    }
  else if (a->next_reason != POPBELL_NEXT_CHECK_DISABLED)
    g_ptr_array_add (parts, g_strdup (_("not checked yet")));

  if (a->stale)
    g_ptr_array_add (parts, g_strdup (_("out of date")));

  next = next_check_state (a);
  if (next != NULL)
    g_ptr_array_add (parts, g_steal_pointer (&next));

  g_ptr_array_add (parts, NULL);
  joined = g_strjoinv (" · ", (gchar **) parts->pdata);
  return g_strdup_printf (_("%s: %s"), a->name, joined);
}

gchar *
popbell_tray_text_tooltip (const PopbellTrayAccount *accounts,
                           guint                     n_accounts,
                           GDateTime                *now)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree gchar *title = popbell_tray_text_title (accounts, n_accounts);

  g_string_append (text, title);
  for (guint i = 0; i < n_accounts; i++)
    {
      g_autofree gchar *line = popbell_tray_text_account_line (&accounts[i], now);

      g_string_append_c (text, '\n');
      g_string_append (text, line);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

gchar *
popbell_tray_text_sender_name (const gchar *from)
{
  g_autofree gchar *copy = NULL;
  gchar *lt;
  gchar *gt;

  if (from == NULL)
    return g_strdup (_("unknown sender"));

  copy = g_strstrip (g_strdup (from));
  lt = strrchr (copy, '<');
  gt = lt != NULL ? strchr (lt, '>') : NULL;
  if (lt != NULL && gt != NULL)
    {
      gchar *name;
      gsize len;

      *lt = '\0';
      *gt = '\0';
      name = g_strstrip (copy);
      len = strlen (name);
      if (len >= 2 && name[0] == '"' && name[len - 1] == '"')
        {
          name[len - 1] = '\0';
          name = g_strstrip (name + 1);
        }
      if (*name != '\0')
        return g_strdup (name);
      if (*g_strstrip (lt + 1) != '\0')
        return g_strdup (lt + 1);
      return g_strdup (_("unknown sender"));
    }

  if (*copy == '\0')
    return g_strdup (_("unknown sender"));
  return g_steal_pointer (&copy);
}
