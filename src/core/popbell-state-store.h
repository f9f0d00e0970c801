/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * PopbellUnseenEntry:
 *
 * A new message the user has not acknowledged yet. The headers are those a
 * check fetched with TOP; @has_headers is FALSE when the check did not fetch
 * them (EXPIRE 0, more new messages than the header cap, no TOP).
 */
typedef struct {
  gchar    *uid;          /* UIDL, or "#<index>:<size>" without UIDL */
  guint     index;        /* message number at the check that found it */
  guint64   size;
  gchar    *from;         /* never NULL */
  gchar    *subject;      /* never NULL */
  gchar    *date;         /* (nullable) ISO 8601 */
  gboolean  has_headers;
  /* The announcement (notification, or the user saw it in the tray or the
   * preview) was handed over. A new entry starts FALSE; the engine sets it
   * only after the hand-over, so a crash in between announces it again at
   * the next start instead of losing it (issue 7). Entries of a file
   * written before this field existed load as announced. */
  gboolean  announced;
} PopbellUnseenEntry;

PopbellUnseenEntry *popbell_unseen_entry_new  (const gchar *uid, guint index, guint64 size);
PopbellUnseenEntry *popbell_unseen_entry_copy (const PopbellUnseenEntry *entry);
void                popbell_unseen_entry_free (PopbellUnseenEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellUnseenEntry, popbell_unseen_entry_free)

/**
 * PopbellAccountState:
 *
 * What Popbell remembers about one account between checks and restarts
 * (SPEC §3). A plain mutable struct owned by whoever loaded it; the store
 * reads and writes it as a whole. Times are g_get_real_time() microseconds
 * (wall clock: they must survive a restart), 0 meaning "never".
 */
typedef struct {
  gchar      *account_name;

  /* The mailbox the baseline belongs to (host + username). A different
   * mailbox is a new baseline, never a flood of "new" mail. NULL: no
   * baseline yet. */
  gchar      *mailbox_id;
  /* (element-type utf8 utf8): the UIDs on the server at the last successful
   * check (a set: key == value). */
  GHashTable *seen;
  guint       last_count;     /* STAT of the last successful check */
  guint64     last_size;
  gchar      *last_uid;       /* (nullable) UID of message last_count */
  gboolean    no_uidl;        /* the baseline is count/size only */
  /* (element-type PopbellUnseenEntry), server order. */
  GPtrArray  *unseen;

  guint       login_delay;    /* seconds, from CAPA; 0 none */
  gint64      last_login;     /* last login attempt that reached the server */
  guint       backoff_step;   /* consecutive transient failures */
  gint64      next_allowed;   /* no connection before this (backoff, [LOGIN-DELAY]) */

  gboolean    auth_hold;      /* the server rejected the credentials */
  gchar      *auth_hold_digest; /* (nullable) settings digest at that time */

  gboolean    tls_worked;     /* an encrypted session succeeded once */
  /* Pipelining is not used while pipelining_broken is set. One stall is no
   * evidence (issue 7): pipelining_strikes counts consecutive sessions in
   * which pipelined commands misbehaved (reset by a pipelined session that
   * went well); the mark is set after repeated strikes, at
   * pipelining_broken_at, and expires after a while so a fixed server gets
   * pipelining back. */
  gboolean    pipelining_broken;
  guint       pipelining_strikes;
  gint64      pipelining_broken_at;
  /* (nullable) the authentication method of the last successful login,
   * as accounts.ini names it ("apop", "user", "sasl-plain"): tried first
   * next time with auth=auto (SPEC §5 "Authentication"). */
  gchar      *auth_method;
  gint64      last_success;
  /* (nullable) what the server advertised before login in the last
   * session, CAPA lines joined by "\n": with PIPELINING among them the next
   * session writes its unchanged check ahead (SPEC §5 "POP3": a guess the
   * session's own answers overrule; issue 9). */
  gchar      *capabilities;
} PopbellAccountState;

PopbellAccountState *popbell_account_state_new   (const gchar *account_name);
PopbellAccountState *popbell_account_state_copy  (const PopbellAccountState *state);
void                 popbell_account_state_free  (PopbellAccountState *state);
/* Forget the baseline (UIDs, STAT figures, unseen list); keep timing,
 * holds and flags. The next check is a baseline again. */
void                 popbell_account_state_reset_baseline (PopbellAccountState *state);
/* (transfer none) (nullable) */
PopbellUnseenEntry  *popbell_account_state_find_unseen (PopbellAccountState *state,
                                                        const gchar         *uid);
/* Drops @uid from the unseen list; TRUE if it was there. */
gboolean             popbell_account_state_remove_unseen (PopbellAccountState *state,
                                                          const gchar         *uid);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellAccountState, popbell_account_state_free)

/**
 * PopbellStateLock:
 *
 * An exclusive flock(2) on `<account>.lock` in the state directory.
 *
 * Locking rule (documented here because every writer must follow it): a
 * check holds the lock of its account from before it loads the state until
 * after it saved it, across the whole POP3 session. So an applet and a
 * `--check-once` (or two of the latter) never interleave on one account:
 * the second waits, then loads what the first saved. Short edits (mark as
 * seen, lifting an auth hold) take the lock, re-load, change, save, unlock.
 * The kernel drops the lock when the process dies, so a killed check never
 * blocks the next one.
 */
typedef struct _PopbellStateLock PopbellStateLock;
void popbell_state_lock_release (PopbellStateLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellStateLock, popbell_state_lock_release)

/**
 * PopbellStateStore:
 *
 * The directory `$XDG_STATE_HOME/popbell/`: one `<escaped name>.state` file
 * per account (a line-based text format, see the .c), replaced atomically
 * (temporary file in the same directory, fsync, rename, fsync of the
 * directory), so a crash leaves the old or the new file, never a torn one.
 */
#define POPBELL_TYPE_STATE_STORE (popbell_state_store_get_type ())
G_DECLARE_FINAL_TYPE (PopbellStateStore, popbell_state_store, POPBELL, STATE_STORE, GObject)

/* $XDG_STATE_HOME/popbell */
gchar             *popbell_state_store_default_dir (void);
/* @dir NULL: the default. The directory is created on first use (0700). */
PopbellStateStore *popbell_state_store_new (const gchar *dir);
const gchar       *popbell_state_store_get_dir (PopbellStateStore *self);
/* The file of an account: the name with every byte outside [A-Za-z0-9_-]
 * written as %XX, so any account name is a safe file name. */
gchar             *popbell_state_store_dup_path (PopbellStateStore *self,
                                                 const gchar       *account_name);

/* Loads an account's state. A missing file is a fresh state. A file that
 * cannot be read or parsed is renamed `*.corrupt` and a fresh state is
 * returned with *@out_recovered TRUE (the caller re-baselines quietly).
 * Errors: G_IO_ERROR only when the directory itself is unusable. */
PopbellAccountState *popbell_state_store_load (PopbellStateStore *self,
                                               const gchar       *account_name,
                                               gboolean          *out_recovered,
                                               GError           **error);
/* Writes atomically. On failure (e.g. G_IO_ERROR_NO_SPACE) the old file is
 * kept and no temporary file is left behind. Errors: G_IO_ERROR. */
gboolean             popbell_state_store_save (PopbellStateStore         *self,
                                               const PopbellAccountState *state,
                                               GError                   **error);
/* What saves cost, for tests and benchmarks (issue 9). */
typedef struct {
  guint64 bytes_written;     /* to state files, snapshots and journals */
  guint   fsyncs;            /* of files and of the directory */
  guint   snapshots;         /* whole states written */
  guint   journal_appends;   /* records appended */
  guint   unchanged;         /* saves that wrote nothing */
} PopbellStateStoreStats;

void                 popbell_state_store_get_stats (PopbellStateStore      *self,
                                                    PopbellStateStoreStats *out_stats);

/* Deletes an account's files (state, journal; the lock file stays). */
void                 popbell_state_store_remove (PopbellStateStore *self,
                                                 const gchar       *account_name);

/* Non-blocking: NULL with G_IO_ERROR_BUSY when someone else holds it.
 * Errors: G_IO_ERROR. */
PopbellStateLock *popbell_state_store_try_lock (PopbellStateStore *self,
                                                const gchar       *account_name,
                                                GError           **error);
/* Waits on the main context (polling, never blocking it) until the lock is
 * ours, @timeout_ms passed (G_IO_ERROR_BUSY) or @cancellable fires. */
void              popbell_state_store_lock_async  (PopbellStateStore   *self,
                                                   const gchar         *account_name,
                                                   guint                timeout_ms,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
PopbellStateLock *popbell_state_store_lock_finish (PopbellStateStore   *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
