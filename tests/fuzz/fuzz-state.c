/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * The state loader (src/core/popbell-state-store.c) on any file content.
 * A file either loads or is set aside as corrupt; what loads must save and
 * load again to the same state (the round trip a restart makes).
 */
#include <glib/gstdio.h>

#include "fuzz-util.h"
#include "popbell-state-store.h"

#define NAME "fuzz"

static void
check_same_entry (const PopbellUnseenEntry *a, const PopbellUnseenEntry *b)
{
  FUZZ_CHECK (g_strcmp0 (a->uid, b->uid) == 0, "unseen UID survives");
  FUZZ_CHECK (a->index == b->index, "unseen index survives");
  FUZZ_CHECK (a->size == b->size, "unseen size survives");
  FUZZ_CHECK (g_strcmp0 (a->from, b->from) == 0, "unseen From survives");
  FUZZ_CHECK (g_strcmp0 (a->subject, b->subject) == 0, "unseen Subject survives");
  FUZZ_CHECK (g_strcmp0 (a->date, b->date) == 0, "unseen date survives");
  FUZZ_CHECK (a->has_headers == b->has_headers, "unseen has_headers survives");
}

static void
check_same_state (const PopbellAccountState *a, const PopbellAccountState *b)
{
  GHashTableIter iter;
  gpointer key;

  FUZZ_CHECK (g_strcmp0 (a->mailbox_id, b->mailbox_id) == 0, "mailbox survives");
  FUZZ_CHECK (g_hash_table_size (a->seen) == g_hash_table_size (b->seen), "seen set survives");
  g_hash_table_iter_init (&iter, a->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    FUZZ_CHECK (g_hash_table_contains (b->seen, key), "every seen UID survives");
  FUZZ_CHECK (a->last_count == b->last_count, "count survives");
  FUZZ_CHECK (a->last_size == b->last_size, "size survives");
  FUZZ_CHECK (g_strcmp0 (a->last_uid, b->last_uid) == 0, "last UID survives");
  FUZZ_CHECK (a->no_uidl == b->no_uidl, "no-uidl survives");
  FUZZ_CHECK (a->unseen->len == b->unseen->len, "unseen list survives");
  for (guint i = 0; i < a->unseen->len; i++)
    check_same_entry (a->unseen->pdata[i], b->unseen->pdata[i]);
  FUZZ_CHECK (a->login_delay == b->login_delay, "login delay survives");
  FUZZ_CHECK (a->last_login == b->last_login, "last login survives");
  FUZZ_CHECK (a->backoff_step == b->backoff_step, "backoff step survives");
  FUZZ_CHECK (a->next_allowed == b->next_allowed, "next allowed survives");
  FUZZ_CHECK (a->auth_hold == b->auth_hold, "auth hold survives");
  FUZZ_CHECK (g_strcmp0 (a->auth_hold_digest, b->auth_hold_digest) == 0, "digest survives");
  FUZZ_CHECK (a->tls_worked == b->tls_worked, "tls-worked survives");
  FUZZ_CHECK (a->pipelining_broken == b->pipelining_broken, "pipelining-broken survives");
  FUZZ_CHECK (a->last_success == b->last_success, "last success survives");
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(PopbellStateStore) store = NULL;
  g_autoptr(PopbellAccountState) first = NULL;
  g_autoptr(PopbellAccountState) again = NULL;
  g_autoptr(PopbellAccountState) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL;
  gboolean recovered = TRUE;

  fuzz_init ();
  if (size > 1024 * 1024)
    return 0;

  store = popbell_state_store_new (fuzz_tmpdir ());
  path = popbell_state_store_dup_path (store, NAME);
  fuzz_clear_dir (fuzz_tmpdir ());
  if (!g_file_set_contents (path, (const gchar *) data, size, &error))
    g_error ("%s", error->message);

  first = popbell_state_store_load (store, NAME, &recovered, &error);
  FUZZ_CHECK (first != NULL, "a file never makes the load fail");
  FUZZ_CHECK (g_strcmp0 (first->account_name, NAME) == 0, "the state is the account's");
  if (recovered)
    {
      /* Set aside, and a fresh state in its place. */
      g_autofree gchar *corrupt = g_strconcat (path, ".corrupt", NULL);

      FUZZ_CHECK (g_file_test (corrupt, G_FILE_TEST_EXISTS), "a corrupt file is set aside");
      FUZZ_CHECK (!g_file_test (path, G_FILE_TEST_EXISTS), "a corrupt file is not kept");
      FUZZ_CHECK (g_hash_table_size (first->seen) == 0 && first->unseen->len == 0,
                  "a recovered state is empty");
      fuzz_clear_dir (fuzz_tmpdir ());
      return 0;
    }

  /* A copy is what the engine works on; it must be the same state. */
  copy = popbell_account_state_copy (first);
  check_same_state (first, copy);

  if (!popbell_state_store_save (store, first, &error))
    g_error ("saving a loaded state failed: %s", error->message);
  again = popbell_state_store_load (store, NAME, &recovered, &error);
  FUZZ_CHECK (again != NULL && !recovered, "what was saved loads");
  check_same_state (first, again);
  fuzz_clear_dir (fuzz_tmpdir ());
  return 0;
}
