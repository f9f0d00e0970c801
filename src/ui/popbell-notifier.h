/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-check-result.h"

G_BEGIN_DECLS

/**
 * PopbellNotifier:
 *
 * The desktop notifications (SPEC §5), through libnotify: one notification
 * per account for new mail, replaced by the account's next one; one per
 * account for a failure that needs the user (auth, certificate), once per
 * episode.
 *
 * notify_notification_show() is a blocking D-Bus call, and a notification
 * server that hangs must never freeze the applet or delay checks. So
 * libnotify lives on a thread of its own (process-wide, its own main
 * context, where libnotify's proxy also delivers the action signals); this
 * object hands it one notification at a time and keeps the rest in a queue
 * with at most one entry per notification slot (a newer one replaces a
 * waiting older one). The server's capabilities are read asynchronously on
 * the caller's main context and cached; they decide whether text is
 * markup-escaped ("body-markup") and whether actions are offered
 * ("actions").
 *
 * Signals (on the thread-default main context of the creator):
 * - ::action-invoked (const gchar *account, const gchar *action,
 *   GStrv uids): the user chose "preview" (also the default action),
 *   "mark-seen", "open-mail-client" on a new-mail notification; "fix",
 *   "retry", "trust" or "preferences" on a problem; @uids are the messages
 *   the notification listed (may be empty).
 * - ::sent (const gchar *slot, gboolean ok): a show or close finished; slot
 *   is "mail:ACCOUNT" or "problem:ACCOUNT". For tests and logs.
 * - ::announced (const gchar *account, GStrv uids, gboolean shown): a
 *   new-mail notification is done with: @shown TRUE when
 *   notify_notification_show() handed it to the server, FALSE when there
 *   was none to take it (then only the tray can tell the user). @uids are
 *   all the new messages it stood for, NULL when it could not name them
 *   all (then it stood for all of the account's new mail). The
 *   at-least-once announcement (issue 7) marks them announced only now.
 */
#define POPBELL_TYPE_NOTIFIER (popbell_notifier_get_type ())
G_DECLARE_FINAL_TYPE (PopbellNotifier, popbell_notifier, POPBELL, NOTIFIER, GObject)

PopbellNotifier *popbell_notifier_new (void);

/* A check of @account_name found @new_count new messages; @messages
 * (element-type PopbellMailSummary) (nullable) those with known headers;
 * @announce (nullable) the UIDs of new messages beyond those (headers not
 * fetched), reported with ::announced. Replaces the account's previous
 * new-mail notification. */
void popbell_notifier_new_mail      (PopbellNotifier    *self,
                                     const gchar        *account_name,
                                     guint               new_count,
                                     GPtrArray          *messages,
                                     const gchar *const *announce);

/* Calls popbell_notifier_new_mail() for a successful, non-baseline check
 * that found new mail; does nothing otherwise. */
void popbell_notifier_handle_result (PopbellNotifier    *self,
                                     PopbellCheckResult *result);

/* The account's current problem: @episode numbers the problem episode
 * (SPEC §5 "Problems"), 0 when there is none. Each episode is notified
 * once, however often it is reported; at 0 the episode's notification is
 * closed. @error (a POPBELL_ERROR) decides the text and the remedy. */
void popbell_notifier_update_problem (PopbellNotifier *self,
                                      const gchar     *account_name,
                                      const GError    *error,
                                      guint            episode);

/* Closes the account's new-mail notification (e.g. all of it was seen). */
void popbell_notifier_withdraw      (PopbellNotifier *self,
                                     const gchar     *account_name);

/* TRUE while a notification waits for the capabilities, waits in the
 * queue, or is being sent. */
gboolean popbell_notifier_is_busy   (PopbellNotifier *self);

/* (nullable) (transfer none) the cached server capabilities, NULL until
 * known (empty when the server did not answer). */
const gchar *const *popbell_notifier_get_capabilities (PopbellNotifier *self);

G_END_DECLS
