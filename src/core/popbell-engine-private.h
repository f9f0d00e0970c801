/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-checker.h"
#include "popbell-engine.h"
#include "popbell-scheduler.h"
#include "popbell-state-store.h"

G_BEGIN_DECLS

/* Shared by the files of PopbellEngine, and by nothing else:
 *   popbell-engine.c           the object, accounts, signals, status, "mark as seen"
 *   popbell-engine-schedule.c  start/stop, timers, network, resume, keyring, checks
 *   popbell-engine-ops.c       the per-account session queue: fetch, delete
 *   popbell-engine-login.c     set/forget the password, test a connection */

/* The first check after start, a network return or a resume: soon, but not
 * in the same instant as everything else that wakes up then. */
#define SOON_US (2 * G_USEC_PER_SEC)
#define START_US (G_USEC_PER_SEC / 2)

/* One account as the engine sees it. */
typedef struct {
  PopbellEngine       *engine;        /* (unowned) the engine owns the entry */
  gchar               *name;          /* (owned) key in engine->entries */
  PopbellAccount      *account;       /* (owned) current settings snapshot */
  gchar               *digest;        /* (owned) settings digest of @account */
  PopbellAccountState *state;         /* (owned) last known state (file) */

  GCancellable        *running;       /* (owned) (nullable) non-NULL ⇔ a session is in use */
  GQueue               waiting;       /* (element-type GTask) (owned) ops waiting for the session */
  gboolean             check_again;   /* check_now arrived while busy */
  PopbellSessionFlags  next_flags;    /* flags of the next check */

  GError              *error;         /* (owned) (nullable) last failure */
  gchar               *certificate_sha256; /* (owned) (nullable) of a rejected certificate */
  gboolean             held;          /* stopped until the user acts */
  gboolean             keyring_wait;  /* waiting for ::unlocked */
  gboolean             offline_wait;  /* paused by the network monitor */
  guint                failures;      /* consecutive transient failures */

  GHashTable          *pending_acks;  /* (owned) UIDs marked seen, not yet saved */
  gboolean             pending_ack_all;
  guint                ack_retry_id;  /* 0 when no retry is scheduled */
} Entry;

struct _PopbellEngine
{
  GObject parent_instance;

  PopbellAccountStore *accounts;      /* (owned) */
  PopbellStateStore   *state_store;   /* (owned) */
  PopbellCredentials  *credentials;   /* (owned) */
  PopbellChecker      *checker;       /* (owned) */
  PopbellScheduler    *scheduler;     /* (owned) */
  GHashTable          *entries;       /* (owned) name → Entry (owned) */
  GPtrArray           *order;         /* (owned) names in file order */

  GNetworkMonitor     *network;       /* (owned) (nullable) while started */
  gboolean             network_up;
  GDBusConnection     *system_bus;    /* (owned) (nullable) */
  guint                sleep_subscription;
  GCancellable        *cancellable;   /* (owned) bus lookup, running checks on stop */
  gboolean             started;
  GRand               *rand;          /* (owned) backoff jitter */
};

static inline gint64
popbell_engine_now_us (void)
{
  return g_get_real_time ();
}

/* popbell-engine.c */

/* (nullable) (transfer none) NULL for a NULL or unknown name. */
Entry *popbell_engine_lookup_entry             (PopbellEngine      *self,
                                                const gchar        *name);
/* Handlers run synchronously and may call back into the engine, even
 * remove the account: call last, and touch no Entry afterwards without
 * looking it up again. */
void   popbell_engine_emit_status_changed      (Entry              *entry);
/* For loops over the entries: collect the names (@names owns its strings),
 * then emit for those that still exist. */
void   popbell_engine_emit_status_changed_names (PopbellEngine     *self,
                                                GPtrArray          *names);
/* ::account-checked; the same caveat as for ::status-changed applies. */
void   popbell_engine_emit_account_checked     (PopbellEngine      *self,
                                                PopbellCheckResult *result);
/* Re-applies the "seen" marks not yet saved to @state (a fresh copy from
 * a check or a session, which does not have them yet). */
void   popbell_engine_apply_pending_acks       (Entry              *entry,
                                                PopbellAccountState *state);
/* Saves pending "seen" marks unless a session is running (whoever ends it
 * flushes) or another process holds the lock (retried later). */
void   popbell_engine_entry_flush_acks         (Entry              *entry);

/* popbell-engine-schedule.c */

/* Arms the entry's timer @first_delay from now (or records why not:
 * disabled, held, keyring, offline). No-op while stopped or running. */
void   popbell_engine_entry_plan               (Entry              *entry,
                                                gint64              first_delay);
/* Starts a check now if the session is free, else once it is. */
void   popbell_engine_entry_run_check          (Entry              *entry);
/* Signal handlers, connected by popbell_engine_new_full(). */
void   popbell_engine_scheduler_due            (PopbellScheduler   *scheduler,
                                                const gchar        *name,
                                                gpointer            user_data);
void   popbell_engine_credentials_unlocked     (PopbellCredentials *credentials,
                                                gpointer            user_data);

/* popbell-engine-ops.c */

/* Starts the next queued operation if the session is free. */
void   popbell_engine_entry_start_waiting      (Entry              *entry);

G_END_DECLS
