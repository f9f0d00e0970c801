/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "fuzz-util.h"

#include <glib/gstdio.h>
#include <stdlib.h>

static gchar *tmpdir;

static void
remove_tmpdir (void)
{
  if (tmpdir == NULL)
    return;
  fuzz_clear_dir (tmpdir);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static void
quiet_log (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user_data)
{
  /* g_debug/g_info/g_message from the code under test: millions of inputs
   * would drown the fuzzer's own output. Warnings and worse are printed
   * (and then abort: g_log_set_always_fatal). */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    {
      /* Printed here, not by g_log_default_handler(): for an error that
       * one ends the process with SIGTRAP itself, which libFuzzer does not
       * catch (no crash input would be saved). abort() it is. */
      g_printerr ("%s-%s: %s\n", domain != NULL ? domain : "(none)",
                  (level & G_LOG_LEVEL_ERROR) ? "ERROR" :
                  (level & G_LOG_LEVEL_CRITICAL) ? "CRITICAL" : "WARNING", message);
      abort ();
    }
}

void
fuzz_init (void)
{
  static gsize once = 0;

  if (!g_once_init_enter (&once))
    return;
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_default_handler (quiet_log, NULL);
  g_once_init_leave (&once, 1);
}

const gchar *
fuzz_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      /* RAM-backed when there is one: the state and accounts targets write
       * a file per input. */
      const gchar *base = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm"
                                                                       : g_get_tmp_dir ();
      g_autofree gchar *template = g_build_filename (base, "popbell-fuzz-XXXXXX", NULL);

      tmpdir = g_mkdtemp (g_steal_pointer (&template));
      if (tmpdir == NULL)
        g_error ("cannot create a temporary directory in %s", base);
      atexit (remove_tmpdir);
    }
  return tmpdir;
}

void
fuzz_clear_dir (const gchar *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree gchar *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
}

void
fuzz_check_error (const GError *error)
{
  FUZZ_CHECK (error != NULL, "a failure comes with a GError");
  FUZZ_CHECK (error->domain != 0, "the GError has a domain");
  FUZZ_CHECK (error->message != NULL && g_utf8_validate (error->message, -1, NULL),
              "the GError message is valid UTF-8");
}
