/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The credentials interface through its in-memory test double. The real
 * Secret Service is exercised in test-credentials-keyring.c. */
#include <string.h>

#include "popbell-error.h"
#include "popbell-memory-credentials.h"
#include "popbell-test-heap.h"

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static gchar *
lookup (PopbellCredentials *c,
        const gchar        *host,
        const gchar        *user,
        GCancellable       *cancellable,
        GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_credentials_lookup_async (c, host, user, cancellable, store_result, &result);
  /* Never answered synchronously, like a real service. */
  g_assert_null (result);
  return popbell_credentials_lookup_finish (c, wait_for (&result), error);
}

static gboolean
store (PopbellCredentials *c,
       const gchar        *host,
       const gchar        *user,
       const gchar        *password,
       GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_credentials_store_async (c, host, user, NULL, password, NULL, store_result, &result);
  return popbell_credentials_store_finish (c, wait_for (&result), error);
}

static gboolean
clear (PopbellCredentials *c,
       const gchar        *host,
       const gchar        *user,
       GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  popbell_credentials_clear_async (c, host, user, NULL, store_result, &result);
  return popbell_credentials_clear_finish (c, wait_for (&result), error);
}

static void
test_round_trip (void)
{
  g_autoptr(PopbellMemoryCredentials) m = popbell_memory_credentials_new ();
  PopbellCredentials *c = POPBELL_CREDENTIALS (m);
  g_autoptr(GError) error = NULL;
  gchar *password;

  g_assert_true (store (c, "pop.example.org", "alice", "pw ü", &error));
  g_assert_no_error (error);
  password = lookup (c, "pop.example.org", "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "pw ü");
  popbell_credentials_free_password (password);

  /* Keyed by host and user: neither alone matches. */
  password = lookup (c, "pop.example.org", "bob", NULL, &error);
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND);
  g_assert_null (password);
  g_clear_error (&error);
  password = lookup (c, "other.example.org", "alice", NULL, &error);
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (clear (c, "pop.example.org", "alice", &error));
  g_assert_no_error (error);
  g_assert_true (clear (c, "pop.example.org", "alice", &error));   /* nothing there: fine */
  password = lookup (c, "pop.example.org", "alice", NULL, &error);
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND);
  g_assert_cmpuint (popbell_memory_credentials_get_lookup_count (m), ==, 4);
}

static void
on_unlocked (PopbellCredentials *c,
             guint              *count)
{
  (*count)++;
}

static void
test_modes (void)
{
  g_autoptr(PopbellMemoryCredentials) m = popbell_memory_credentials_new ();
  PopbellCredentials *c = POPBELL_CREDENTIALS (m);
  g_autoptr(GError) error = NULL;
  gchar *password;
  guint unlocked = 0;

  g_signal_connect (c, "unlocked", G_CALLBACK (on_unlocked), &unlocked);
  popbell_memory_credentials_set (m, "h", "u", "pw");

  popbell_memory_credentials_set_mode (m, POPBELL_MEMORY_CREDENTIALS_LOCKED);
  g_assert_null (lookup (c, "h", "u", NULL, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_false (store (c, "h", "u", "x", &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_cmpuint (unlocked, ==, 0);

  popbell_memory_credentials_set_mode (m, POPBELL_MEMORY_CREDENTIALS_AVAILABLE);
  g_assert_cmpuint (unlocked, ==, 1);
  password = lookup (c, "h", "u", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "pw");
  popbell_credentials_free_password (password);

  popbell_memory_credentials_set_mode (m, POPBELL_MEMORY_CREDENTIALS_NO_SERVICE);
  g_assert_null (lookup (c, "h", "u", NULL, &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NO_SERVICE);
  g_clear_error (&error);
  popbell_memory_credentials_set_mode (m, POPBELL_MEMORY_CREDENTIALS_AVAILABLE);
  g_assert_cmpuint (unlocked, ==, 2);

  popbell_memory_credentials_set_mode (m, POPBELL_MEMORY_CREDENTIALS_FAILING);
  g_assert_false (clear (c, "h", "u", &error));
  g_assert_error (error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_FAILED);
  g_clear_error (&error);
  /* FAILING → AVAILABLE is not an unlock. */
  popbell_memory_credentials_set_mode (m, POPBELL_MEMORY_CREDENTIALS_AVAILABLE);
  g_assert_cmpuint (unlocked, ==, 2);
}

static void
test_cancelled (void)
{
  g_autoptr(PopbellMemoryCredentials) m = popbell_memory_credentials_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  popbell_memory_credentials_set (m, "h", "u", "pw");
  g_cancellable_cancel (cancellable);
  g_assert_null (lookup (POPBELL_CREDENTIALS (m), "h", "u", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The heap watcher searches every block as it is freed: a password freed
 * with popbell_credentials_free_password() leaves no copy; one freed with
 * g_free() does (the watcher works). NULL and "" are fine. */
static void
test_free_password_wipes (void)
{
  static const gchar zeros[16] = { 0 };
  gchar *password = g_strdup ("s3cret-passw0rd");
  gsize len = strlen (password);

  /* The wipe free_password() does, observed while the buffer still lives
   * (after free() it could only be read with undefined behaviour). */
  popbell_credentials_wipe_password (password);
  g_assert_cmpmem (password, len + 1, zeros, len + 1);
  g_free (password);

  popbell_credentials_wipe_password (NULL);
  popbell_credentials_free_password (NULL);
  popbell_credentials_free_password (g_strdup (""));

  popbell_test_heap_watch ("Wipe-Me-5e1d");
  popbell_credentials_free_password (g_strdup ("Wipe-Me-5e1d"));
  g_assert_cmpuint (popbell_test_heap_unwatch (), ==, 0);

  popbell_test_heap_watch ("Wipe-Me-5e1d");
  g_free (g_strdup ("Wipe-Me-5e1d"));
  g_assert_cmpuint (popbell_test_heap_unwatch (), ==, 1);
}

int
main (int argc, char **argv)
{
  popbell_test_heap_init (argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/credentials/memory/round-trip", test_round_trip);
  g_test_add_func ("/core/credentials/memory/modes", test_modes);
  g_test_add_func ("/core/credentials/memory/cancelled", test_cancelled);
  g_test_add_func ("/core/credentials/free-password", test_free_password_wipes);

  return g_test_run ();
}
