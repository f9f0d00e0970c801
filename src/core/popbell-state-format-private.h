/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-state-store.h"

G_BEGIN_DECLS

/* The bytes of the state files (popbell-state-format.c); the files
 * themselves, their locks and when to write which are the store's
 * (popbell-state-store.c). */

/* The whole state, as `<account>.state`. @generation ties a journal to it
 * (0: none, never written by this version). */
GString  *popbell_state_format_snapshot      (const PopbellAccountState *state,
                                              guint64                    generation);
/* Parses a whole snapshot into @state (fresh, from
 * popbell_account_state_new()); FALSE with a reason for the debug log if
 * anything is off. *@out_generation: 0 for a file without one. */
gboolean  popbell_state_format_read_snapshot (PopbellAccountState       *state,
                                              const gchar               *data,
                                              gsize                      len,
                                              guint64                   *out_generation,
                                              const gchar              **why);
/* The generation of a snapshot from its first bytes (the line after the
 * magic); 0 when they do not say. Cheap: for checking that a file is still
 * the one we wrote. */
guint64   popbell_state_format_peek_generation (const gchar *head,
                                                gsize        len);

/* The first line of `<account>.journal`. */
GString  *popbell_state_format_journal_header (guint64 generation);

typedef enum {
  POPBELL_STATE_DIFF_NONE,   /* nothing differs */
  POPBELL_STATE_DIFF_LAZY,   /* only times nobody needs before the next real change */
  POPBELL_STATE_DIFF_REAL,
} PopbellStateDiff;

/* Appends to @out the journal record (closing line included) that turns
 * @before into @after, and says what kind of difference it is. @out is
 * left as it was for POPBELL_STATE_DIFF_NONE. */
PopbellStateDiff popbell_state_format_diff   (const PopbellAccountState *before,
                                              const PopbellAccountState *after,
                                              GString                   *out);
/* The lazy times of @after lag those of @before by less than @max_lag_us:
 * a lazy-only difference need not be written yet. */
gboolean  popbell_state_format_lazy_is_fresh (const PopbellAccountState *before,
                                              const PopbellAccountState *after,
                                              gint64                     max_lag_us);

/* Applies the complete records of a journal to @state, in order. A record
 * that is cut short or does not match its checksum ends the journal (a
 * save torn by a crash); so does a header of another generation.
 * Returns the length of the valid part (0: the header is not ours). */
gsize     popbell_state_format_apply_journal (PopbellAccountState       *state,
                                              const gchar               *data,
                                              gsize                      len,
                                              guint64                    generation);

/* Applies one record as popbell_state_format_diff() made it (closing
 * line included) to @state. */
void      popbell_state_format_apply_record  (PopbellAccountState       *state,
                                              const gchar               *record,
                                              gsize                      len);

G_END_DECLS
