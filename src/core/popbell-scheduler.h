/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-engine.h"

G_BEGIN_DECLS

/* Transient failures back off up to this (SPEC §5). */
#define POPBELL_SCHEDULER_MAX_BACKOFF_S (30 * 60)

/**
 * PopbellScheduler:
 *
 * One timer per account on the thread-default main context, plus the
 * reason the next check happens when it does. It only keeps time: the
 * engine decides what "due" means. Times are g_get_real_time()
 * microseconds; timers run on the monotonic clock, so a suspend does not
 * fire them early (the engine checks after resume anyway).
 *
 * Signals:
 * - ::due (const gchar *account_name): the account's time came. Its entry
 *   is then unscheduled (reason POPBELL_NEXT_CHECK_RUNNING) until the
 *   engine schedules it again.
 */
#define POPBELL_TYPE_SCHEDULER (popbell_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (PopbellScheduler, popbell_scheduler, POPBELL, SCHEDULER, GObject)

PopbellScheduler *popbell_scheduler_new (void);

/* (Re)arms the account's timer for @at (in the past: at once, from an idle). */
void   popbell_scheduler_schedule   (PopbellScheduler       *self,
                                     const gchar            *account_name,
                                     gint64                  at,
                                     PopbellNextCheckReason  reason);
/* Stops the account's timer and records why (held, offline, ...). */
void   popbell_scheduler_unschedule (PopbellScheduler       *self,
                                     const gchar            *account_name,
                                     PopbellNextCheckReason  reason);
/* Forgets the account. */
void   popbell_scheduler_remove     (PopbellScheduler       *self,
                                     const gchar            *account_name);
/* When the account's timer fires (0: not armed), and why. */
gint64 popbell_scheduler_get_next   (PopbellScheduler       *self,
                                     const gchar            *account_name,
                                     PopbellNextCheckReason *out_reason);
gboolean popbell_scheduler_is_armed (PopbellScheduler       *self,
                                     const gchar            *account_name);

/* The policy, as pure functions (unit-tested):
 *
 * The delay after the @step-th consecutive transient failure (step >= 1):
 * interval · 2^(step-1) times a random factor in [0.8, 1.2) so that many clients do not retry in
 * step, and at most POPBELL_SCHEDULER_MAX_BACKOFF_S (or the interval, if
 * that is longer). Microseconds (whole seconds would flatten the jitter of
 * short intervals). */
gint64 popbell_scheduler_backoff_delay (guint interval, guint step, gdouble jitter01);
/* The earliest time a login is allowed: last login + LOGIN-DELAY, and any
 * server-imposed time. */
gint64 popbell_scheduler_login_allowed (gint64 last_login, guint login_delay, gint64 next_allowed);

G_END_DECLS
