/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Not a test: prints what the state store costs for an account with many
 * UIDs (issue 9): a whole snapshot, a load from the file, and the state
 * part of a check that found one new message or nothing as the applet does
 * it (the same store, check after check) — CPU time, and bytes written and
 * fsyncs as the store counts them.
 *   Run: BUILDDIR/tests/core/bench-state [N_UIDS] */
#include "popbell-config.h"

#include <glib/gstdio.h>
#include <sys/resource.h>

#include "popbell-state-store.h"

#define ROUNDS 5

static gdouble
cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec * 1000.0 + usage.ru_utime.tv_usec / 1000.0 +
         usage.ru_stime.tv_sec * 1000.0 + usage.ru_stime.tv_usec / 1000.0;
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble *values, guint n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return values[n / 2];
}

/* One check's worth of state work, as the checker does it under the lock:
 * load, change (or not), save. Returns CPU ms; adds to the counters. */
static gdouble
check_once (PopbellStateStore *store, guint serial, gboolean one_new,
            PopbellStateStoreStats *delta)
{
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;
  PopbellStateStoreStats before, after;
  gdouble t0 = cpu_ms (), t1;

  popbell_state_store_get_stats (store, &before);
  lock = popbell_state_store_try_lock (store, "bench", &error);
  if (lock == NULL)
    g_error ("lock: %s", error->message);
  state = popbell_state_store_load (store, "bench", NULL, &error);
  if (state == NULL)
    g_error ("load: %s", error->message);
  state->last_success = g_get_real_time ();
  if (one_new)
    {
      gchar *uid = g_strdup_printf ("new-%08u", serial);

      g_hash_table_add (state->seen, uid);
      g_ptr_array_add (state->unseen, popbell_unseen_entry_new (uid, state->last_count + 1, 1234));
      state->last_count++;
      state->last_size += 1234;
      g_free (state->last_uid);
      state->last_uid = g_strdup (uid);
    }
  if (!popbell_state_store_save (store, state, &error))
    g_error ("save: %s", error->message);
  t1 = cpu_ms ();
  popbell_state_store_get_stats (store, &after);
  delta->bytes_written += after.bytes_written - before.bytes_written;
  delta->fsyncs += after.fsyncs - before.fsyncs;
  return t1 - t0;
}

static void
remove_dir (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  g_autofree gchar *dir = g_dir_make_tmp ("popbell-bench-XXXXXX", NULL);
  g_autoptr(PopbellStateStore) store = popbell_state_store_new (dir);
  g_autoptr(PopbellAccountState) state = popbell_account_state_new ("bench");
  g_autofree gchar *path = popbell_state_store_dup_path (store, "bench");
  g_autoptr(GError) error = NULL;
  PopbellStateStoreStats s0, s1, new_delta = { 0 }, same_delta = { 0 };
  gdouble save_ms[ROUNDS], load_ms[ROUNDS], new_ms[ROUNDS], same_ms[ROUNDS];
  GStatBuf st;

  state->mailbox_id = g_strdup ("pop.example.org\nalice");
  for (guint i = 0; i < n; i++)
    g_hash_table_add (state->seen, g_strdup_printf ("%08Xu%08Xv", i + 1, 1700000000u));
  state->last_count = n;

  for (int round = 0; round < ROUNDS; round++)
    {
      g_autoptr(PopbellStateStore) fresh = popbell_state_store_new (dir);
      g_autoptr(PopbellAccountState) loaded = NULL;
      gdouble t0;

      /* A whole snapshot: what every save cost before the journal. */
      g_unlink (path);
      t0 = cpu_ms ();
      popbell_state_store_get_stats (fresh, &s0);
      if (!popbell_state_store_save (fresh, state, &error))
        g_error ("save: %s", error->message);
      popbell_state_store_get_stats (fresh, &s1);
      save_ms[round] = cpu_ms () - t0;

      /* Another store, as a restart or a --check-once: reads the file. */
      g_clear_object (&fresh);
      fresh = popbell_state_store_new (dir);
      t0 = cpu_ms ();
      loaded = popbell_state_store_load (fresh, "bench", NULL, &error);
      if (loaded == NULL)
        g_error ("load: %s", error->message);
      load_ms[round] = cpu_ms () - t0;
      if (g_hash_table_size (loaded->seen) != n)
        g_error ("loaded %u UIDs, expected %u", g_hash_table_size (loaded->seen), n);
    }
  g_stat (path, &st);

  for (int round = 0; round < ROUNDS; round++)
    {
      new_ms[round] = check_once (store, round, TRUE, &new_delta);
      same_ms[round] = check_once (store, round, FALSE, &same_delta);
    }

  g_print ("state store, %u UIDs (snapshot %.1f KiB); CPU ms are medians of %d\n",
           n, st.st_size / 1024.0, ROUNDS);
  g_print ("  whole snapshot save: %6.1f ms CPU, %" G_GUINT64_FORMAT " bytes, %u fsyncs\n",
           median (save_ms, ROUNDS), s1.bytes_written - s0.bytes_written, s1.fsyncs - s0.fsyncs);
  g_print ("  load (from the file): %5.1f ms CPU\n", median (load_ms, ROUNDS));
  g_print ("  check, 1 new:        %6.1f ms CPU (load+diff+save), %.0f bytes, %.1f fsyncs per check\n",
           median (new_ms, ROUNDS), (gdouble) new_delta.bytes_written / ROUNDS,
           (gdouble) new_delta.fsyncs / ROUNDS);
  g_print ("  check, unchanged:    %6.1f ms CPU (load+diff+save), %.0f bytes, %.1f fsyncs per check\n",
           median (same_ms, ROUNDS), (gdouble) same_delta.bytes_written / ROUNDS,
           (gdouble) same_delta.fsyncs / ROUNDS);
  remove_dir (dir);
  return 0;
}
