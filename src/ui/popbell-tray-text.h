/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

#include "popbell-engine.h"

G_BEGIN_DECLS

/**
 * PopbellTrayAccount:
 *
 * The facts about one account that the tray shows, copied out of a
 * #PopbellAccountStatus (popbell_tray_account_init_from_status()). A plain
 * struct so that the text functions below are pure and can be tested with
 * hand-made values. Pointers are borrowed from the status it was filled from.
 */
typedef struct {
  const gchar            *name;
  guint                   unseen;
  guint                   messages;        /* on the server, at the last success */
  GDateTime              *last_success;    /* (nullable) */
  GDateTime              *next_check;      /* (nullable) */
  PopbellNextCheckReason  next_reason;
  guint                   login_delay;     /* seconds, 0: none */
  const GError           *error;           /* (nullable) a POPBELL_ERROR */
  gboolean                needs_attention;
  gboolean                stale;
  gboolean                problem;         /* shown as a problem on the icon */
} PopbellTrayAccount;

/* The count as drawn on the badge and shown as the label: "" for 0, "1".."99",
 * "99+" beyond. */
gchar *popbell_tray_text_count (guint unseen);

/* One short phrase for an error, e.g. "password rejected". Never NULL. */
const gchar *popbell_tray_text_error_phrase (const GError *error);

/* The first line: "Popbell — 3 new messages", "Popbell — no new mail", or
 * that accounts need attention. */
gchar *popbell_tray_text_title (const PopbellTrayAccount *accounts,
                                guint                     n_accounts);

/* One line per account: "work: 2 new, 12 on server · checked 12:34 ·
 * next check 12:40 — server allows one login per 12 min". @now decides
 * whether times carry a date. */
gchar *popbell_tray_text_account_line (const PopbellTrayAccount *account,
                                       GDateTime                *now);

/* The account's state without any time, for the menu and for deciding
 * whether a StatusNotifierItem host must be told about a change: "work: 2
 * new, 12 on server", "work: password rejected · stopped until the password
 * is changed". A routine check leaves it unchanged. */
gchar *popbell_tray_text_account_state (const PopbellTrayAccount *account);

/* Title, then one line per account, joined by newlines: the tooltip. */
gchar *popbell_tray_text_tooltip (const PopbellTrayAccount *accounts,
                                  guint                     n_accounts,
                                  GDateTime                *now);

/* The display name of a From header: "Jürgen Weiß <jw@example.org>" →
 * "Jürgen Weiß", "<jw@example.org>" → "jw@example.org", "" → "unknown sender". */
gchar *popbell_tray_text_sender_name (const gchar *from);

/* How many senders/subjects a notification lists before "and N more". */
#define POPBELL_TRAY_TEXT_MAX_LISTED 3

G_END_DECLS
