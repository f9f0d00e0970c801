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
 *   "mark-seen", "open-mail-client" or "preferences"; @uids are the messages
 *   the notification listed (may be empty).
 * - ::sent (const gchar *slot, gboolean ok): a show or close finished; slot
 *   is "mail:ACCOUNT" or "problem:ACCOUNT". For tests and logs.
 */
#define POPBELL_TYPE_NOTIFIER (popbell_notifier_get_type ())
G_DECLARE_FINAL_TYPE (PopbellNotifier, popbell_notifier, POPBELL, NOTIFIER, GObject)

PopbellNotifier *popbell_notifier_new (void);

/* A check of @account_name found @new_count new messages; @messages
 * (element-type PopbellMailSummary) (nullable) those with known headers.
 * Replaces the account's previous new-mail notification. */
void popbell_notifier_new_mail      (PopbellNotifier *self,
                                     const gchar     *account_name,
                                     guint            new_count,
                                     GPtrArray       *messages);

/* Calls popbell_notifier_new_mail() for a successful, non-baseline check
 * that found new mail; does nothing otherwise. */
void popbell_notifier_handle_result (PopbellNotifier    *self,
                                     PopbellCheckResult *result);

/* The account's current state: a failure that needs the user is notified
 * the first time it is reported, not on every retry; when the account no
 * longer needs attention, the episode ends and its notification is closed. */
void popbell_notifier_update_problem (PopbellNotifier *self,
                                      const gchar     *account_name,
                                      const GError    *error,
                                      gboolean         needs_attention);

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
