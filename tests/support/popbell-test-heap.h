/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Watches the heap for secrets left behind: while watching, every block
 * handed back to the allocator (free(), and the old block of a realloc()
 * that moves) is searched for the needles first. A "wiped on free"
 * promise is then a test assertion, not a comment.
 *
 * Linking this helper replaces free() and realloc() in the test program
 * (under AddressSanitizer it uses the sanitizer's free hook instead), so
 * it lives in its own library: link it only into tests that use it.
 * GLib's slice allocator must not hide blocks: call
 * popbell_test_heap_init (argv) first thing in main() (it may run the
 * program again with G_SLICE=always-malloc).
 */
void  popbell_test_heap_init      (char **argv);
/* Up to 4 needles; each is copied into static storage. */
void  popbell_test_heap_watch     (const gchar *needle);
/* Stop watching and forget the needles. Returns how many freed blocks
 * held one of them. */
guint popbell_test_heap_unwatch   (void);

G_END_DECLS
