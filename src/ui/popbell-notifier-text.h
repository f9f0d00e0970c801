/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * The texts of the desktop notifications (SPEC §5 "Notifications",
 * "Problems"). Pure functions: no libnotify, no engine, no clock, so the
 * tests can call them with hand-made values.
 *
 * @markup: the server accepts body markup; every text from the server is
 * escaped with g_markup_escape_text() and the body may use <b>. The summary
 * is always plain text (the specification allows no markup there).
 */

/* What a problem notification offers besides closing it. */
typedef enum {
  POPBELL_NOTIFIER_REMEDY_NONE,
  POPBELL_NOTIFIER_REMEDY_FIX,        /* "Fix…": the account in the preferences */
  POPBELL_NOTIFIER_REMEDY_FIX_RETRY,  /* "Fix…" (password field) and "Try again" */
  POPBELL_NOTIFIER_REMEDY_TRUST,      /* "Trust this certificate…" */
  POPBELL_NOTIFIER_REMEDY_PREFERENCES,/* the preferences (accounts.ini broken) */
} PopbellNotifierRemedy;

/* A check that found @new_count new messages, of which @messages
 * (element-type PopbellMailSummary, nullable) have known headers. One
 * message: "New mail from SENDER" over its subject. Several: the count,
 * then one line per message in which sender and subject stay apart whatever
 * they contain ("Ann – Sales: “Q3 – final”", or the sender in bold). */
void popbell_notifier_text_new_mail (const gchar  *account_name,
                                     guint         new_count,
                                     GPtrArray    *messages,
                                     gboolean      markup,
                                     gchar       **summary,
                                     gchar       **body);

/* A problem of @account_name that the user must see (@error a
 * POPBELL_ERROR): what happened in at most four lines, worded for the
 * applet where the remedy is a button (never a command line), and the
 * remedy to offer. */
PopbellNotifierRemedy popbell_notifier_text_problem (const gchar  *account_name,
                                                     const GError *error,
                                                     gboolean      markup,
                                                     gchar       **summary,
                                                     gchar       **body);

G_END_DECLS
