/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Not a test: prints how long the state store takes to save and load an
 * account with many UIDs.  Run: build/tests/core/bench-state [N_UIDS] */
#include "popbell-config.h"

#include <glib/gstdio.h>

#include "popbell-state-store.h"

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  g_autofree gchar *dir = g_dir_make_tmp ("popbell-bench-XXXXXX", NULL);
  g_autoptr(PopbellStateStore) store = popbell_state_store_new (dir);
  g_autoptr(PopbellAccountState) state = popbell_account_state_new ("bench");
  g_autofree gchar *path = popbell_state_store_dup_path (store, "bench");
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  gdouble best_save = G_MAXDOUBLE, best_load = G_MAXDOUBLE;

  state->mailbox_id = g_strdup ("pop.example.org\nalice");
  for (guint i = 0; i < n; i++)
    g_hash_table_add (state->seen, g_strdup_printf ("%08Xu%08Xv", i + 1, 1700000000u));

  for (int round = 0; round < 5; round++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(PopbellAccountState) loaded = NULL;

      if (!popbell_state_store_save (store, state, &error))
        g_error ("save: %s", error->message);
      best_save = MIN (best_save, (g_get_monotonic_time () - t0) / 1000.0);

      t0 = g_get_monotonic_time ();
      loaded = popbell_state_store_load (store, "bench", NULL, &error);
      if (loaded == NULL)
        g_error ("load: %s", error->message);
      best_load = MIN (best_load, (g_get_monotonic_time () - t0) / 1000.0);
      if (g_hash_table_size (loaded->seen) != n)
        g_error ("loaded %u UIDs, expected %u", g_hash_table_size (loaded->seen), n);
    }

  g_stat (path, &st);
  g_print ("%u UIDs, file %.1f KiB: save %.1f ms (incl. fsync), load %.1f ms (best of 5)\n",
           n, st.st_size / 1024.0, best_save, best_load);
  g_unlink (path);
  {
    g_autofree gchar *lock = g_strconcat (dir, "/bench.lock", NULL);
    g_unlink (lock);
  }
  g_rmdir (dir);
  return 0;
}
