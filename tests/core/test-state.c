/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "popbell-pop3-client.h"
#include "popbell-pop3-reply.h"
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
  state->capabilities = g_strdup ("PIPELINING\nSASL PLAIN\nUIDL");

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
  g_assert_cmpstr (a->capabilities, ==, b->capabilities);
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

/* Whatever UID the POP3 layer accepts (issue 7: lenient up to its cap,
 * 8-bit octets as %XX) loads again: one odd UID must not make the state
 * "corrupt" and every check a baseline. */
static void
test_lenient_uids (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 3);
  g_autoptr(PopbellAccountState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  gchar longest[POPBELL_POP3_MAX_UID_LENGTH + 1];
  gboolean recovered = TRUE;

  memset (longest, 'x', POPBELL_POP3_MAX_UID_LENGTH);
  longest[POPBELL_POP3_MAX_UID_LENGTH] = '\0';
  g_assert_true (popbell_pop3_uid_is_valid (longest, strlen (longest)));
  g_hash_table_add (state->seen, g_strdup (longest));
  g_hash_table_add (state->seen, popbell_pop3_uid_normalize ("\xc3\x84rger<1>%", 9));
  g_hash_table_add (state->seen, g_strdup ("~!\"#$%&'()*+,-./:;=?@[\\]^_`{|}"));
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  loaded = popbell_state_store_load (f->store, "work", &recovered, &error);
  g_assert_no_error (error);
  g_assert_false (recovered);
  assert_states_equal (state, loaded);
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
stat_file (const gchar *path, GStatBuf *st)
{
  g_assert_cmpint (g_stat (path, st), ==, 0);
}

static PopbellStateStoreStats
stats_of (PopbellStateStore *store)
{
  PopbellStateStoreStats stats;

  popbell_state_store_get_stats (store, &stats);
  return stats;
}

static PopbellAccountState *
load_fresh (Fixture *f, const gchar *name)
{
  /* Another store: what a restart (or another process) would read. */
  g_autoptr(PopbellStateStore) other = popbell_state_store_new (f->dir);
  g_autoptr(GError) error = NULL;
  gboolean recovered = TRUE;
  PopbellAccountState *state = popbell_state_store_load (other, name, &recovered, &error);

  g_assert_no_error (error);
  g_assert_false (recovered);
  return state;
}

/* Issue 9: a check that changed nothing writes nothing (no fsync either);
 * nor does one that only moved the times nobody needs from the file. */
static void
test_unchanged_writes_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 1000);
  g_autoptr(PopbellAccountState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  g_autofree gchar *journal = g_strconcat (f->dir, "/work.journal", NULL);
  PopbellStateStoreStats before, after;
  GStatBuf st1, st2;

  state->login_delay = 0;
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  stat_file (path, &st1);
  before = stats_of (f->store);

  /* The same state again, then what a load gives back. */
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  loaded = popbell_state_store_load (f->store, "work", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (popbell_state_store_save (f->store, loaded, &error));
  /* A check that found nothing new: the times of the check moved. */
  loaded->last_success += 60 * G_USEC_PER_SEC;
  loaded->last_login += 60 * G_USEC_PER_SEC;
  g_assert_true (popbell_state_store_save (f->store, loaded, &error));

  after = stats_of (f->store);
  g_assert_cmpuint (after.bytes_written, ==, before.bytes_written);
  g_assert_cmpuint (after.fsyncs, ==, before.fsyncs);
  g_assert_cmpuint (after.unchanged, ==, before.unchanged + 3);
  stat_file (path, &st2);
  g_assert_cmpuint (st1.st_ino, ==, st2.st_ino);
  g_assert_cmpint (st1.st_mtime, ==, st2.st_mtime);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));

  /* An hour later they are written, once. */
  loaded->last_success += 2 * (gint64) 3600 * G_USEC_PER_SEC;
  g_assert_true (popbell_state_store_save (f->store, loaded, &error));
  g_assert_true (popbell_state_store_save (f->store, loaded, &error));
  after = stats_of (f->store);
  g_assert_cmpuint (after.journal_appends, ==, before.journal_appends + 1);
  g_assert_cmpuint (after.bytes_written - before.bytes_written, <, 200);
  g_clear_pointer (&state, popbell_account_state_free);
  state = load_fresh (f, "work");
  assert_states_equal (loaded, state);

  /* With a LOGIN-DELAY the last login matters at once. */
  before = after;
  loaded->login_delay = 300;
  g_assert_true (popbell_state_store_save (f->store, loaded, &error));
  loaded->last_login += G_USEC_PER_SEC;
  g_assert_true (popbell_state_store_save (f->store, loaded, &error));
  after = stats_of (f->store);
  g_assert_cmpuint (after.journal_appends, ==, before.journal_appends + 2);
}

/* Issue 9: reading the state does not write either. On a relatime mount
 * the first read after a change updates the access time, which costs an
 * inode write per account and check; the store reads without it. An
 * access time older than the change is what relatime would update. */
static void
test_load_keeps_access_time (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 10);
  g_autoptr(PopbellAccountState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  struct timespec times[2];
  struct stat st;

  g_assert_true (popbell_state_store_save (f->store, state, &error));
  g_assert_cmpint (stat (path, &st), ==, 0);
  times[0].tv_sec = st.st_mtim.tv_sec - 3600;
  times[0].tv_nsec = 0;
  times[1] = st.st_mtim;
  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);

  loaded = load_fresh (f, "work");
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_atim.tv_sec, ==, times[0].tv_sec);
}

/* Issue 9: one new message in a mailbox of 100,000 costs a journal line,
 * not a 2 MB snapshot; what loads is exactly what was saved. */
static void
test_journal_costs_the_change (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 100000);
  g_autoptr(PopbellAccountState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = popbell_state_store_dup_path (f->store, "work");
  g_autofree gchar *journal = g_strconcat (f->dir, "/work.journal", NULL);
  PopbellStateStoreStats before, after;
  PopbellUnseenEntry *entry;
  GStatBuf st;

  g_assert_true (popbell_state_store_save (f->store, state, &error));
  stat_file (path, &st);
  g_assert_cmpint (st.st_size, >, 1500000);
  before = stats_of (f->store);

  /* One new message: seen, unseen, count, size, last UID. */
  g_hash_table_add (state->seen, g_strdup ("new-message-1"));
  g_ptr_array_add (state->unseen, popbell_unseen_entry_new ("new-message-1", 100001, 4321));
  state->last_count++;
  state->last_size += 4321;
  g_free (state->last_uid);
  state->last_uid = g_strdup ("new-message-1");
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  after = stats_of (f->store);
  g_assert_cmpuint (after.snapshots, ==, before.snapshots);
  g_assert_cmpuint (after.journal_appends, ==, before.journal_appends + 1);
  g_assert_cmpuint (after.bytes_written - before.bytes_written, <, 400);
  g_assert_true (g_file_test (journal, G_FILE_TEST_EXISTS));
  loaded = load_fresh (f, "work");
  assert_states_equal (state, loaded);
  g_clear_pointer (&loaded, popbell_account_state_free);

  /* One deleted, one new; the unseen list loses one, gains one; a flag
   * flips; a string becomes NULL. */
  g_assert_true (g_hash_table_remove (state->seen, "00000001u000004D2v"));
  g_hash_table_add (state->seen, g_strdup ("new-message-2"));
  g_assert_true (popbell_account_state_remove_unseen (state, "000001a9"));
  entry = popbell_unseen_entry_new ("new-message-2", 100001, 99);
  entry->announced = FALSE;
  g_ptr_array_add (state->unseen, entry);
  ((PopbellUnseenEntry *) state->unseen->pdata[0])->announced = FALSE;
  g_clear_pointer (&state->auth_hold_digest, g_free);
  state->auth_hold = FALSE;
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  loaded = load_fresh (f, "work");
  assert_states_equal (state, loaded);
  g_clear_pointer (&loaded, popbell_account_state_free);

  /* A reordered unseen list is written whole, and still loads the same. */
  g_ptr_array_add (state->unseen, g_ptr_array_steal_index (state->unseen, 0));
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  loaded = load_fresh (f, "work");
  assert_states_equal (state, loaded);
  after = stats_of (f->store);
  g_assert_cmpuint (after.snapshots, ==, before.snapshots);
}

/* Small changes pile up in the journal until it would outgrow the
 * snapshot; then one compaction, and the journal is gone. */
static void
test_journal_compacts (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 100);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *journal = g_strconcat (f->dir, "/work.journal", NULL);
  PopbellStateStoreStats stats;
  guint appends_before_compaction = 0;

  g_assert_true (popbell_state_store_save (f->store, state, &error));
  for (guint i = 0; i < 400; i++)
    {
      g_autoptr(PopbellAccountState) loaded = NULL;

      g_hash_table_add (state->seen, g_strdup_printf ("more-%u", i));
      state->last_count++;
      g_assert_true (popbell_state_store_save (f->store, state, &error));
      stats = stats_of (f->store);
      if (stats.snapshots == 2 && appends_before_compaction == 0)
        {
          appends_before_compaction = stats.journal_appends;
          g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
        }
      if (i % 50 == 0)
        {
          loaded = load_fresh (f, "work");
          assert_states_equal (state, loaded);
        }
    }
  g_assert_cmpuint (appends_before_compaction, >, 10);
  g_assert_cmpuint (stats.snapshots, >=, 3);
}

/* A crash while appending leaves a torn record at the end of the journal:
 * the load ignores it and gives the state of the save before. Under the
 * lock, the tail is cut off so the next append follows good records. */
static void
test_journal_torn_tail (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellAccountState) state = make_state ("work", 50);
  g_autoptr(PopbellAccountState) previous = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *journal = g_strconcat (f->dir, "/work.journal", NULL);
  g_autofree gchar *good = NULL;
  g_autofree gchar *torn = NULL;
  gsize good_len, torn_len;

  g_assert_true (popbell_state_store_save (f->store, state, &error));
  g_hash_table_add (state->seen, g_strdup ("first"));
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  g_assert_true (g_file_get_contents (journal, &good, &good_len, &error));
  previous = popbell_account_state_copy (state);

  g_hash_table_add (state->seen, g_strdup ("second"));
  g_free (state->mailbox_id);
  state->mailbox_id = g_strdup ("changed\tmailbox");
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  g_assert_true (g_file_get_contents (journal, &torn, &torn_len, &error));
  g_assert_cmpuint (torn_len, >, good_len);

  /* Every cut inside the last record, and garbage in place of its end. */
  for (gsize cut = good_len; cut < torn_len; cut++)
    {
      g_autoptr(PopbellAccountState) loaded = NULL;

      g_assert_true (g_file_set_contents (journal, torn, cut, &error));
      loaded = load_fresh (f, "work");
      assert_states_equal (previous, loaded);
    }
  {
    g_autoptr(PopbellAccountState) loaded = NULL;
    g_autofree gchar *garbage = g_strdup (torn);

    garbage[torn_len - 3] ^= 0x01;   /* in the checksum line */
    g_assert_true (g_file_set_contents (journal, garbage, torn_len, &error));
    loaded = load_fresh (f, "work");
    assert_states_equal (previous, loaded);
    memset (garbage + good_len, 0, torn_len - good_len);   /* zeroed blocks */
    g_assert_true (g_file_set_contents (journal, garbage, torn_len, &error));
    g_clear_pointer (&loaded, popbell_account_state_free);
    loaded = load_fresh (f, "work");
    assert_states_equal (previous, loaded);
  }

  /* The store that loads it under the lock appends after the good part. */
  {
    g_autoptr(PopbellStateStore) other = popbell_state_store_new (f->dir);
    g_autoptr(PopbellStateLock) lock = popbell_state_store_try_lock (other, "work", &error);
    g_autoptr(PopbellAccountState) loaded = popbell_state_store_load (other, "work", NULL, &error);
    g_autoptr(PopbellAccountState) again = NULL;
    PopbellStateStoreStats stats;

    g_assert_no_error (error);
    g_hash_table_add (loaded->seen, g_strdup ("third"));
    g_assert_true (popbell_state_store_save (other, loaded, &error));
    popbell_state_store_get_stats (other, &stats);
    g_assert_cmpuint (stats.journal_appends, ==, 1);
    g_clear_pointer (&lock, popbell_state_lock_release);
    again = load_fresh (f, "work");
    assert_states_equal (loaded, again);
  }
}

/* Two stores on one directory (the applet and a --check-once): a save by
 * one makes the other's picture of the files stale; it must notice and
 * write its state whole, never append to a journal that is not what it
 * thinks. A journal left by a crash between a compaction's rename and its
 * unlink belongs to the old snapshot and is ignored. */
static void
test_journal_two_writers (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellStateStore) other = popbell_state_store_new (f->dir);
  g_autoptr(PopbellAccountState) state = make_state ("work", 100);
  g_autoptr(PopbellAccountState) theirs = NULL;
  g_autoptr(PopbellAccountState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *journal = g_strconcat (f->dir, "/work.journal", NULL);
  g_autofree gchar *old_journal = NULL;
  gsize old_len;
  PopbellStateStoreStats stats;

  g_assert_true (popbell_state_store_save (f->store, state, &error));
  theirs = popbell_state_store_load (other, "work", NULL, &error);
  g_hash_table_add (theirs->seen, g_strdup ("theirs"));
  g_assert_true (popbell_state_store_save (other, theirs, &error));   /* appends */

  /* Ours, from the state we had: written whole. */
  g_hash_table_add (state->seen, g_strdup ("ours"));
  g_assert_true (popbell_state_store_save (f->store, state, &error));
  popbell_state_store_get_stats (f->store, &stats);
  g_assert_cmpuint (stats.snapshots, ==, 2);
  g_assert_cmpuint (stats.journal_appends, ==, 0);
  loaded = load_fresh (f, "work");
  assert_states_equal (state, loaded);
  g_clear_pointer (&loaded, popbell_account_state_free);

  /* The other store's picture is stale now too. */
  g_hash_table_add (theirs->seen, g_strdup ("theirs-2"));
  g_assert_true (popbell_state_store_save (other, theirs, &error));
  popbell_state_store_get_stats (other, &stats);
  g_assert_cmpuint (stats.journal_appends, ==, 1);
  g_assert_cmpuint (stats.snapshots, ==, 1);
  loaded = load_fresh (f, "work");
  assert_states_equal (theirs, loaded);
  g_clear_pointer (&loaded, popbell_account_state_free);

  /* A journal of the previous generation next to a new snapshot. */
  g_hash_table_add (theirs->seen, g_strdup ("theirs-3"));
  g_assert_true (popbell_state_store_save (other, theirs, &error));
  g_assert_true (g_file_get_contents (journal, &old_journal, &old_len, &error));
  g_assert_true (popbell_state_store_save (f->store, state, &error));   /* compacts */
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_set_contents (journal, old_journal, old_len, &error));
  loaded = load_fresh (f, "work");
  assert_states_equal (state, loaded);
  /* Under the lock, that load removed it. */
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
}

/* A store loads from what it last saved as long as the files are still
 * that (no second parse of a big snapshot per check); a save by anyone
 * else makes it read the files again. */
static void
test_reload_follows_other_writers (Fixture *f, gconstpointer data)
{
  g_autoptr(PopbellStateStore) other = popbell_state_store_new (f->dir);
  g_autoptr(PopbellAccountState) state = make_state ("work", 500);
  g_autoptr(PopbellAccountState) theirs = NULL;
  g_autoptr(GError) error = NULL;

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(PopbellAccountState) ours = NULL;
      g_autoptr(PopbellAccountState) seen_by_other = NULL;
      g_autofree gchar *mine = g_strdup_printf ("ours-%u", round);
      g_autofree gchar *their = g_strdup_printf ("theirs-%u", round);

      g_hash_table_add (state->seen, g_strdup (mine));
      state->last_count++;
      g_assert_true (popbell_state_store_save (f->store, state, &error));
      ours = popbell_state_store_load (f->store, "work", NULL, &error);
      assert_states_equal (state, ours);

      /* The other one (a --check-once) loads, changes, saves... */
      seen_by_other = popbell_state_store_load (other, "work", NULL, &error);
      assert_states_equal (state, seen_by_other);
      g_hash_table_add (seen_by_other->seen, g_strdup (their));
      g_free (seen_by_other->mailbox_id);
      seen_by_other->mailbox_id = g_strdup_printf ("changed %u", round);
      g_assert_true (popbell_state_store_save (other, seen_by_other, &error));

      /* ... and we see it. */
      g_clear_pointer (&state, popbell_account_state_free);
      state = popbell_state_store_load (f->store, "work", NULL, &error);
      g_assert_no_error (error);
      assert_states_equal (seen_by_other, state);
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
  ADD ("/core/state/lenient-uids", test_lenient_uids);
  ADD ("/core/state/corrupt", test_corrupt);
  ADD ("/core/state/name-escaping", test_name_escaping);
  ADD ("/core/state/save-failure", test_save_failure);
  ADD ("/core/state/stale-temporary", test_stale_temporary);
  ADD ("/core/state/lock", test_lock);
  ADD ("/core/state/cleanup-needs-lock", test_cleanup_needs_lock);
  ADD ("/core/state/repeated-key", test_repeated_key);
  ADD ("/core/state/unchanged-writes-nothing", test_unchanged_writes_nothing);
  ADD ("/core/state/load-keeps-access-time", test_load_keeps_access_time);
  ADD ("/core/state/journal-costs-the-change", test_journal_costs_the_change);
  ADD ("/core/state/journal-compacts", test_journal_compacts);
  ADD ("/core/state/journal-torn-tail", test_journal_torn_tail);
  ADD ("/core/state/journal-two-writers", test_journal_two_writers);
  ADD ("/core/state/reload-follows-other-writers", test_reload_follows_other_writers);
#undef ADD

  return g_test_run ();
}
