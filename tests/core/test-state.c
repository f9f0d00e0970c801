/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>

#include "popbell-state-store.h"

typedef struct {
  gchar             *dir;
  PopbellStateStore *store;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("popbell-state-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = popbell_state_store_new (f->dir);
}

static void
rm_rf (const gchar *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  rm_rf (f->dir);
  g_free (f->dir);
}

static guint
count_files (const gchar *dir, const gchar *suffix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    if (suffix == NULL || g_str_has_suffix (name, suffix) || strstr (name, suffix) != NULL)
      n++;
  return n;
}

static PopbellAccountState *
make_state (const gchar *name, guint n_uids)
{
  PopbellAccountState *state = popbell_account_state_new (name);
  PopbellUnseenEntry *entry;

  state->mailbox_id = g_strdup ("pop.example.org\nalice");
  for (guint i = 0; i < n_uids; i++)
    g_hash_table_add (state->seen, g_strdup_printf ("%08Xu%08Xv", i + 1, 1234u));
  state->last_count = n_uids;
  state->last_size = G_GUINT64_CONSTANT (12345678901);
  state->last_uid = g_strdup_printf ("%08Xu%08Xv", n_uids, 1234u);
  state->login_delay = 900;
  state->last_login = 1790000000;
  state->backoff_step = 3;
  state->next_allowed = 1790000300;
  state->auth_hold = TRUE;
  state->auth_hold_digest = g_strdup ("abc\\def");
  state->tls_worked = TRUE;
  state->pipelining_broken = TRUE;
  state->pipelining_strikes = 2;
  state->pipelining_broken_at = 1789999000;
  state->auth_method = g_strdup ("USER");
  state->last_success = 1789999999;

  entry = popbell_unseen_entry_new ("000001a8", 11, 1234);
  g_free (entry->from);
  entry->from = g_strdup ("Jürgen Weiß <jw@example.org>");
  g_free (entry->subject);
  entry->subject = g_strdup ("Tab\there, newline\nthere, back\\slash");
  entry->date = g_strdup ("2026-11-26T10:00:00+01:00");
  entry->has_headers = TRUE;
  entry->announced = TRUE;
  g_ptr_array_add (state->unseen, entry);
  /* Not announced yet: must stay so across a restart (issue 7). */
  g_ptr_array_add (state->unseen, popbell_unseen_entry_new ("000001a9", 12, 99));
  return state;
}

static void
assert_states_equal (const PopbellAccountState *a, const PopbellAccountState *b)
{
  GHashTableIter iter;
  gpointer key;

  g_assert_cmpstr (a->account_name, ==, b->account_name);
  g_assert_cmpstr (a->mailbox_id, ==, b->mailbox_id);
  g_assert_cmpuint (g_hash_table_size (a->seen), ==, g_hash_table_size (b->seen));
  g_hash_table_iter_init (&iter, a->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_assert_true (g_hash_table_contains (b->seen, key));
  g_assert_cmpuint (a->last_count, ==, b->last_count);
  g_assert_cmpuint (a->last_size, ==, b->last_size);
  g_assert_cmpstr (a->last_uid, ==, b->last_uid);
  g_assert_cmpint (a->no_uidl, ==, b->no_uidl);
  g_assert_cmpuint (a->login_delay, ==, b->login_delay);
  g_assert_cmpint (a->last_login, ==, b->last_login);
  g_assert_cmpuint (a->backoff_step, ==, b->backoff_step);
  g_assert_cmpint (a->next_allowed, ==, b->next_allowed);
  g_assert_cmpint (a->auth_hold, ==, b->auth_hold);
  g_assert_cmpstr (a->auth_hold_digest, ==, b->auth_hold_digest);
  g_assert_cmpint (a->tls_worked, ==, b->tls_worked);
  g_assert_cmpint (a->pipelining_broken, ==, b->pipelining_broken);
  g_assert_cmpuint (a->pipelining_strikes, ==, b->pipelining_strikes);
  g_assert_cmpint (a->pipelining_broken_at, ==, b->pipelining_broken_at);
  g_assert_cmpstr (a->auth_method, ==, b->auth_method);
  g_assert_cmpint (a->last_success, ==, b->last_success);
  g_assert_cmpuint (a->unseen->len, ==, b->unseen->len);
  for (guint i = 0; i < a->unseen->len; i++)
    {
      const PopbellUnseenEntry *x = a->unseen->pdata[i], *y = b->unseen->pdata[i];

      g_assert_cmpstr (x->uid, ==, y->uid);
      g_assert_cmpuint (x->index, ==, y->index);
      g_assert_cmpuint (x->size, ==, y->size);
      g_assert_cmpstr (x->from, ==, y->from);
      g_assert_cmpstr (x->subject, ==, y->subject);
      g_assert_cmpstr (x->date, ==, y->date);
      g_assert_cmpint (x->has_headers, ==, y->has_headers);
      g_assert_cmpint (x->announced, ==, y->announced);
    }
}

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 1000);
  g_autoptr(PopbellAccountState) loaded = NULL;
  g_autoptr(PopbellAccountState) copy = NULL;
  g_autoptr(GError) error = NULL;
  gboolean recovered = TRUE;

  g_assert_true (popbell_state_store_save (f->store, state, &error));
  g_assert_no_error (error);
  loaded = popbell_state_store_load (f->store, "work", &recovered, &error);
  g_assert_no_error (error);
  g_assert_false (recovered);
  assert_states_equal (state, loaded);

  copy = popbell_account_state_copy (loaded);
  assert_states_equal (state, copy);

  /* One file, no temporaries left. */
  g_assert_cmpuint (count_files (f->dir, ".tmp-"), ==, 0);
  g_assert_cmpuint (count_files (f->dir, ".state"), ==, 1);
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;
  gboolean recovered = TRUE;

  state = popbell_state_store_load (f->store, "nobody", &recovered, &error);
  g_assert_no_error (error);
  g_assert_nonnull (state);
  g_assert_false (recovered);
  g_assert_null (state->mailbox_id);
  g_assert_cmpuint (g_hash_table_size (state->seen), ==, 0);
}

static void
assert_corrupt_recovers (Fixture *f, const gchar *contents, gssize len)
{
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  g_autofree gchar *corrupt = g_strconcat (path, ".corrupt", NULL);
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;
  gboolean recovered = FALSE;

  g_unlink (corrupt);
  g_assert_true (g_file_set_contents (path, contents, len, &error));
  state = popbell_state_store_load (f->store, "work", &recovered, &error);
  g_assert_no_error (error);
  g_assert_true (recovered);
  g_assert_null (state->mailbox_id);
  g_assert_cmpuint (g_hash_table_size (state->seen), ==, 0);
  g_assert_cmpuint (state->unseen->len, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (corrupt, G_FILE_TEST_EXISTS));
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 10);
  g_autoptr(GString) good = NULL;
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;

  g_assert_true (popbell_state_store_save (f->store, state, &error));
  g_assert_true (g_file_get_contents (path, &text, &len, &error));

  assert_corrupt_recovers (f, "garbage\n", -1);
  assert_corrupt_recovers (f, "", 0);
  assert_corrupt_recovers (f, "\xff\xfe\x00binary", 9);
  /* Cut short: every proper prefix of a good file is rejected. */
  for (gsize cut = 1; cut < len; cut += 37)
    assert_corrupt_recovers (f, text, cut);
  /* A UID that is not printable ASCII. */
  {
    g_autofree gchar *bad = g_strdup (text);
    gchar *u = strstr (bad, "\nu ");
    u[3] = '\x01';
    assert_corrupt_recovers (f, bad, len);
  }
}

static void
test_name_escaping (Fixture *f, gconstpointer data)
{
  const gchar *names[] = { "../../etc/passwd", "a b/c", "Ärger", ".", "x.state" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree gchar *path = popbell_state_store_dup_path (f->store, names[i]);
      g_autofree gchar *dirname = g_path_get_dirname (path);
      g_autoptr(PopbellAccountState) state = popbell_account_state_new (names[i]);
      g_autoptr(PopbellAccountState) loaded = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (dirname, ==, f->dir);
      state->last_count = i + 1;
      g_assert_true (popbell_state_store_save (f->store, state, &error));
      g_assert_no_error (error);
      loaded = popbell_state_store_load (f->store, names[i], NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (loaded->last_count, ==, i + 1);
    }
  g_assert_cmpuint (count_files (f->dir, ".state"), ==, G_N_ELEMENTS (names));
}

/* A full disk, simulated with RLIMIT_FSIZE: write() fails (EFBIG) as it
 * would with ENOSPC. The old file must survive and no temporary remain. */
static void
test_save_failure (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) small = make_state ("work", 5);
  g_autoptr(PopbellAccountState) big = make_state ("work", 20000);
  g_autoptr(PopbellAccountState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  struct rlimit old_limit, limit;

  g_assert_true (popbell_state_store_save (f->store, small, &error));

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  limit = old_limit;
  limit.rlim_cur = 4096;
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  g_assert_false (popbell_state_store_save (f->store, big, &error));
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old_limit), ==, 0);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);
  g_assert_nonnull (strstr (error->message, "work"));
  g_clear_error (&error);

  g_assert_cmpuint (count_files (f->dir, ".tmp-"), ==, 0);
  loaded = popbell_state_store_load (f->store, "work", NULL, &error);
  g_assert_no_error (error);
  assert_states_equal (small, loaded);
}

static void
test_stale_temporary (Fixture *f, gconstpointer data)
{
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  g_autofree gchar *tmp = g_strconcat (path, ".tmp-ABCDEF", NULL);
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (tmp, "popbell-state 1\ncount 3\n", -1, &error));
  state = popbell_state_store_load (f->store, "work", NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
}

/* Two stores on one directory, as an applet and a `--check-once` are: a
 * load by one must not touch the files of a save the other is making under
 * the account lock (its temporary file, or a file it is about to replace). */
static void
test_cleanup_needs_lock (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellStateStore) other = popbell_state_store_new (f->dir);
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  g_autofree gchar *tmp = g_strconcat (path, ".tmp-ABCDEF", NULL);
  g_autofree gchar *corrupt = g_strconcat (path, ".corrupt", NULL);
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(GError) error = NULL;
  gboolean recovered = FALSE;

  lock = popbell_state_store_try_lock (other, "work", &error);
  g_assert_no_error (error);

  /* The holder's save in flight, and a file the holder will replace. */
  g_assert_true (g_file_set_contents (tmp, "popbell-state 1\ncount 3\n", -1, &error));
  g_assert_true (g_file_set_contents (path, "garbage\n", -1, &error));
  state = popbell_state_store_load (f->store, "work", &recovered, &error);
  g_assert_no_error (error);
  g_assert_true (recovered);
  g_assert_null (state->mailbox_id);
  g_assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (corrupt, G_FILE_TEST_EXISTS));
  g_clear_pointer (&state, popbell_account_state_free);

  /* The holder itself cleans up under its own lock. */
  state = popbell_state_store_load (other, "work", &recovered, &error);
  g_assert_no_error (error);
  g_assert_true (recovered);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (corrupt, G_FILE_TEST_EXISTS));
  g_clear_pointer (&state, popbell_account_state_free);

  /* With nobody holding the lock, a load takes it for the clean-up. */
  g_clear_pointer (&lock, popbell_state_lock_release);
  g_unlink (corrupt);
  g_assert_true (g_file_set_contents (tmp, "x", -1, &error));
  g_assert_true (g_file_set_contents (path, "garbage\n", -1, &error));
  state = popbell_state_store_load (f->store, "work", &recovered, &error);
  g_assert_no_error (error);
  g_assert_true (recovered);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (corrupt, G_FILE_TEST_EXISTS));
  /* ... and lets go of it again. */
  lock = popbell_state_store_try_lock (other, "work", &error);
  g_assert_no_error (error);
}

/* A key twice is not something Popbell writes: the file is corrupt (and
 * the first value must not leak, which the sanitizer build checks). */
static void
test_repeated_key (Fixture *f, gconstpointer data)
{
  const gchar *keys[] = { "mailbox", "last-uid", "auth-hold-digest", "count", "no-uidl" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree gchar *text = NULL;
      const gchar *value = g_str_equal (keys[i], "no-uidl") ? "1" : "7";

      text = g_strdup_printf ("popbell-state 1\n%s %s\n%s %s\nend 0 0\n",
                              keys[i], value, keys[i], value);
      assert_corrupt_recovers (f, text, -1);
    }
}

static void
lock_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
release_lock (gpointer user_data)
{
  popbell_state_lock_release (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_lock (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  PopbellStateLock *first, *second;
  gint64 start;

  first = popbell_state_store_try_lock (f->store, "work", &error);
  g_assert_no_error (error);
  g_assert_nonnull (first);

  /* Busy for anyone else, this process included... */
  g_assert_null (popbell_state_store_try_lock (f->store, "work", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  g_clear_error (&error);
  /* ... but not for another account. */
  second = popbell_state_store_try_lock (f->store, "home", &error);
  g_assert_no_error (error);
  popbell_state_lock_release (second);

  /* A waiter gets it once the holder lets go. */
  start = g_get_monotonic_time ();
  g_timeout_add (200, release_lock, first);
  popbell_state_store_lock_async (f->store, "work", 5000, NULL, lock_ready, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  second = popbell_state_store_lock_finish (f->store, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 150000);
  g_clear_object (&result);

  /* A waiter gives up after its timeout. */
  popbell_state_store_lock_async (f->store, "work", 120, NULL, lock_ready, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (popbell_state_store_lock_finish (f->store, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
  popbell_state_lock_release (second);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/core/state/roundtrip", test_roundtrip);
  ADD ("/core/state/missing", test_missing);
  ADD ("/core/state/corrupt", test_corrupt);
  ADD ("/core/state/name-escaping", test_name_escaping);
  ADD ("/core/state/save-failure", test_save_failure);
  ADD ("/core/state/stale-temporary", test_stale_temporary);
  ADD ("/core/state/lock", test_lock);
  ADD ("/core/state/cleanup-needs-lock", test_cleanup_needs_lock);
  ADD ("/core/state/repeated-key", test_repeated_key);
#undef ADD

  return g_test_run ();
}
