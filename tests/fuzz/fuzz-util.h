/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Every fuzz target defines this (libFuzzer's entry point). */
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Once per process: criticals and warnings abort (a g_return_if_fail hit by
 * server data is a bug the fuzzer must report), debug output stays quiet. */
void fuzz_init (void);

/* A private directory for the process, created on first use, removed at
 * exit. Targets that need files put them here and clean up per input. */
const gchar *fuzz_tmpdir (void);

/* Removes every file directly inside @dir (not recursive). */
void fuzz_clear_dir (const gchar *dir);

/* Aborts with @what when @cond is false: an invariant the target checks.
 * Unlike g_assert it is never compiled out. */
#define FUZZ_CHECK(cond, what) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      g_error ("%s:%d: invariant failed: %s (%s)", __FILE__, __LINE__, (what), #cond); \
  } G_STMT_END

/* A clean GError: set, with a domain and a valid UTF-8 message. */
void fuzz_check_error (const GError *error);

G_END_DECLS
