/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#define _GNU_SOURCE
#include "popbell-test-heap.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_NEEDLES 4
#define MAX_NEEDLE  256

/* Static storage only: the watcher must not allocate (it runs inside
 * free()). */
static gchar  needles[MAX_NEEDLES][MAX_NEEDLE];
static gsize  needle_len[MAX_NEEDLES];
static gint   n_needles;
static gint   watching;
static guint  hits;

static void
scan_block (const void *block, gsize size)
{
  if (block == NULL || !g_atomic_int_get (&watching))
    return;
  for (gint i = 0; i < n_needles; i++)
    if (needle_len[i] > 0 && memmem (block, size, needles[i], needle_len[i]) != NULL)
      {
        g_atomic_int_inc ((gint *) &hits);
        return;
      }
}

#if defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define POPBELL_ASAN 1
# endif
#endif
#if defined(__SANITIZE_ADDRESS__)
# define POPBELL_ASAN 1
#endif

#ifdef POPBELL_ASAN
/* From <sanitizer/allocator_interface.h> (not installed with every
 * compiler). */
extern int    __sanitizer_install_malloc_and_free_hooks (void (*malloc_hook) (const volatile void *, size_t),
                                                         void (*free_hook) (const volatile void *));
extern size_t __sanitizer_get_allocated_size (const volatile void *p);

/* ASan's free hook runs for free() and for the old block of realloc(),
 * before the block is poisoned. */
static void
asan_free_hook (const volatile void *ptr)
{
  if (ptr != NULL && g_atomic_int_get (&watching))
    scan_block ((const void *) ptr, __sanitizer_get_allocated_size (ptr));
}

/* The sanitizer installs a pair or nothing. */
static void
asan_malloc_hook (const volatile void *ptr, size_t size)
{
}

static void
install_hooks (void)
{
  if (__sanitizer_install_malloc_and_free_hooks (asan_malloc_hook, asan_free_hook) == 0)
    g_error ("cannot install the sanitizer's free hook");
}
#else
extern void *__libc_malloc (size_t size);
extern void *__libc_realloc (void *ptr, size_t size);
extern void  __libc_free (void *ptr);

void
free (void *ptr)
{
  if (ptr != NULL && g_atomic_int_get (&watching))
    scan_block (ptr, malloc_usable_size (ptr));
  __libc_free (ptr);
}

/* While watching, a realloc always moves (like one that cannot grow in
 * place), and the old block is scanned as it is given back. */
void *
realloc (void *ptr, size_t size)
{
  void *moved;
  size_t old;

  if (ptr == NULL || !g_atomic_int_get (&watching))
    return __libc_realloc (ptr, size);
  if (size == 0)
    {
      free (ptr);
      return NULL;
    }
  moved = __libc_malloc (size);
  if (moved == NULL)
    return NULL;
  old = malloc_usable_size (ptr);
  memcpy (moved, ptr, MIN (old, size));
  free (ptr);
  return moved;
}

static void
install_hooks (void)
{
}
#endif

void
popbell_test_heap_init (char **argv)
{
  /* GLib 2.74's slice allocator keeps freed blocks to itself, and reads
   * G_SLICE once, before main() (GObject's constructor allocates): run
   * again with it set. */
  if (g_strcmp0 (g_getenv ("G_SLICE"), "always-malloc") != 0)
    {
      g_setenv ("G_SLICE", "always-malloc", TRUE);
      execv ("/proc/self/exe", argv);
      g_error ("cannot re-run %s with G_SLICE=always-malloc", argv[0]);
    }
  install_hooks ();
}

void
popbell_test_heap_watch (const gchar *needle)
{
  gsize len = strlen (needle);

  g_assert_cmpint (n_needles, <, MAX_NEEDLES);
  g_assert_cmpuint (len, <, MAX_NEEDLE);
  g_assert_cmpuint (len, >, 0);
  memcpy (needles[n_needles], needle, len);
  needle_len[n_needles] = len;
  n_needles++;
  g_atomic_int_set (&watching, 1);
}

guint
popbell_test_heap_unwatch (void)
{
  guint n;

  g_atomic_int_set (&watching, 0);
  n = g_atomic_int_get ((gint *) &hits);
  g_atomic_int_set ((gint *) &hits, 0);
  memset (needles, 0, sizeof needles);
  memset (needle_len, 0, sizeof needle_len);
  n_needles = 0;
  return n;
}
