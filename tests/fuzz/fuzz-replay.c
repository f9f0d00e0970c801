/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * The main() of a fuzz target in the normal build: runs
 * LLVMFuzzerTestOneInput once on every file named on the command line, or
 * inside a directory named there (sorted, so a failure is reproducible).
 * This is how CI replays the committed corpus on every run, with any
 * compiler and without libFuzzer. Prints TAP-less plain lines; the exit
 * status is what meson looks at (a crash or an abort is a failure).
 */
#include <stdio.h>

#include "fuzz-util.h"

static guint
replay_file (const gchar *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("%s", error->message);
  /* A copy of exactly @len bytes, so ASan sees a read past the end. */
  g_autofree guint8 *copy = g_memdup2 (contents, len);
  LLVMFuzzerTestOneInput (copy, len);
  return 1;
}

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const gchar *const *) a, *(const gchar *const *) b);
}

static guint
replay_path (const gchar *path)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const gchar *name;
  guint count = 0;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return replay_file (path);

  dir = g_dir_open (path, 0, &error);
  if (dir == NULL)
    g_error ("%s", error->message);
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len; i++)
    {
      printf ("replay %s\n", (const gchar *) names->pdata[i]);
      fflush (stdout);
      count += replay_file (names->pdata[i]);
    }
  return count;
}

int
main (int argc, char **argv)
{
  guint count = 0;

  fuzz_init ();
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s FILE-OR-DIR...\n", argv[0]);
      return 2;
    }
  for (int i = 1; i < argc; i++)
    count += replay_path (argv[i]);
  if (count == 0)
    {
      fprintf (stderr, "no input replayed: an empty corpus tests nothing\n");
      return 1;
    }
  printf ("%u inputs replayed\n", count);
  return 0;
}
