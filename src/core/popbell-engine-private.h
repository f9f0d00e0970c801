/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account-runner.h"
#include "popbell-checker.h"
#include "popbell-engine.h"
#include "popbell-scheduler.h"
#include "popbell-state-store.h"

G_BEGIN_DECLS

/* Shared by the files of PopbellEngine, and by nothing else:
 *   popbell-engine.c           the object, accounts, signals, status, marks
 *   popbell-engine-schedule.c  start/stop, timers, network, resume, keyring, checks
 *   popbell-engine-ops.c       the per-account session queue: fetch, delete
 *   popbell-engine-login.c     set/forget the password, test a connection
 * Each account is a PopbellAccountRunner (popbell-account-runner.h), which
 * owns the per-account rules. */

/* The first check after a network return or a resume: soon, but not in
 * the same instant as everything else that wakes up then. At start the
 * first checks run at once (issue 9); the session limit spreads them. */
#define SOON_US (2 * G_USEC_PER_SEC)

struct _PopbellEngine
{
  GObject parent_instance;

  PopbellAccountStore *accounts;      /* (owned) */
  PopbellStateStore   *state_store;   /* (owned) */
  PopbellCredentials  *credentials;   /* (owned) */
  PopbellChecker      *checker;       /* (owned) */
  PopbellScheduler    *scheduler;     /* (owned) */
  GHashTable          *runners;       /* (owned) name → PopbellAccountRunner (owned) */
  GPtrArray           *order;         /* (owned) names in file order */

  GNetworkMonitor     *network;       /* (owned) (nullable) while started */
  gboolean             network_up;
  GDBusConnection     *system_bus;    /* (owned) (nullable) */
  guint                sleep_subscription;
  GCancellable        *cancellable;   /* (owned) bus lookup while started */
  gboolean             started;
  GRand               *rand;          /* (owned) backoff jitter */
  GPtrArray           *stop_waiters;  /* (owned) (element-type GTask) stop_async callers */
};

static inline gint64
popbell_engine_now_us (void)
{
  return g_get_real_time ();
}

/* popbell-engine.c */

/* (nullable) (transfer none) NULL for a NULL or unknown name. */
PopbellAccountRunner *popbell_engine_lookup_runner (PopbellEngine        *self,
                                                    const gchar          *name);
/* Handlers run synchronously and may call back into the engine, even
 * remove the account or drop the engine: callers hold references to what
 * they use afterwards (a removed account's runner is detached). */
void   popbell_engine_emit_status_changed      (PopbellAccountRunner *runner);
/* For loops over the runners: collect the names (@names owns its strings),
 * then emit for those that still exist. */
void   popbell_engine_emit_status_changed_names (PopbellEngine       *self,
                                                 GPtrArray           *names);
/* ::account-checked; the same caveat as for ::status-changed applies. */
void   popbell_engine_emit_account_checked     (PopbellEngine        *self,
                                                PopbellCheckResult   *result);

/* ::announce for every account with unannounced new messages. */
void   popbell_engine_emit_announce            (PopbellEngine        *self);

/* popbell-engine-schedule.c */

/* Arms the runner's timer @first_delay from now (or records why not:
 * disabled, held, keyring, offline). No-op while stopped or busy. */
void   popbell_engine_runner_plan              (PopbellAccountRunner *runner,
                                                gint64                first_delay);
/* Starts a check now if the session is free, else once it is. */
void   popbell_engine_runner_run_check         (PopbellAccountRunner *runner);
/* Signal handlers, connected by popbell_engine_new_full(). */
void   popbell_engine_scheduler_due            (PopbellScheduler     *scheduler,
                                                const gchar          *name,
                                                gpointer              user_data);
void   popbell_engine_credentials_unlocked     (PopbellCredentials   *credentials,
                                                gpointer              user_data);

/* A session of an attached runner ended: completes popbell_engine_stop_async()
 * once none runs any more. */
void   popbell_engine_session_ended            (PopbellEngine        *self);

/* popbell-engine-ops.c */

/* After a session of @runner ended: a check asked for meanwhile, else the
 * next queued operation. */
void   popbell_engine_runner_next              (PopbellAccountRunner *runner);

G_END_DECLS
