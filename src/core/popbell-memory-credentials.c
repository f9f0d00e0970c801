/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-memory-credentials.h"

struct _PopbellMemoryCredentials
{
  GObject                       parent_instance;

  GHashTable                   *passwords;     /* (owned) "host\nuser" → password (wiped on removal) */
  PopbellMemoryCredentialsMode  mode;
  guint                         lookup_count;
};

static void popbell_memory_credentials_iface_init (PopbellCredentialsInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PopbellMemoryCredentials, popbell_memory_credentials, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (POPBELL_TYPE_CREDENTIALS,
                                                popbell_memory_credentials_iface_init))

static gchar *
make_key (const gchar *host,
          const gchar *user)
{
  return g_strconcat (host, "\n", user, NULL);
}

/* Fails the task as the mode says; FALSE when the store is available. */
static gboolean
fail_by_mode (PopbellMemoryCredentials *self,
              GTask                    *task)
{
  switch (self->mode)
    {
    case POPBELL_MEMORY_CREDENTIALS_LOCKED:
      g_task_return_new_error (task, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED,
                               "The collection is locked");
      return TRUE;
    case POPBELL_MEMORY_CREDENTIALS_NO_SERVICE:
      g_task_return_new_error (task, POPBELL_CREDENTIALS_ERROR,
                               POPBELL_CREDENTIALS_ERROR_NO_SERVICE,
                               "No Secret Service on the bus");
      return TRUE;
    case POPBELL_MEMORY_CREDENTIALS_FAILING:
      g_task_return_new_error (task, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_FAILED,
                               "Simulated failure");
      return TRUE;
    case POPBELL_MEMORY_CREDENTIALS_AVAILABLE:
    default:
      return FALSE;
    }
}

static void
memory_lookup_async (PopbellCredentials  *credentials,
                     const gchar         *host,
                     const gchar         *user,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  PopbellMemoryCredentials *self = POPBELL_MEMORY_CREDENTIALS (credentials);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree gchar *key = make_key (host, user);
  const gchar *password;

  g_task_set_source_tag (task, memory_lookup_async);
  self->lookup_count++;

  if (g_task_return_error_if_cancelled (task) || fail_by_mode (self, task))
    return;

  password = g_hash_table_lookup (self->passwords, key);
  if (password == NULL)
    g_task_return_new_error (task, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND,
                             "No password stored for %s@%s", user, host);
  else
    g_task_return_pointer (task, g_strdup (password),
                           (GDestroyNotify) popbell_credentials_free_password);
}

static gchar *
memory_lookup_finish (PopbellCredentials  *credentials,
                      GAsyncResult        *result,
                      GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, credentials), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
memory_store_async (PopbellCredentials  *credentials,
                    const gchar         *host,
                    const gchar         *user,
                    const gchar         *label,
                    const gchar         *password,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  PopbellMemoryCredentials *self = POPBELL_MEMORY_CREDENTIALS (credentials);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, memory_store_async);
  if (g_task_return_error_if_cancelled (task) || fail_by_mode (self, task))
    return;

  g_hash_table_replace (self->passwords, make_key (host, user), g_strdup (password));
  g_task_return_boolean (task, TRUE);
}

static gboolean
memory_boolean_finish (PopbellCredentials  *credentials,
                       GAsyncResult        *result,
                       GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, credentials), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
memory_clear_async (PopbellCredentials  *credentials,
                    const gchar         *host,
                    const gchar         *user,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  PopbellMemoryCredentials *self = POPBELL_MEMORY_CREDENTIALS (credentials);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree gchar *key = make_key (host, user);

  g_task_set_source_tag (task, memory_clear_async);
  if (g_task_return_error_if_cancelled (task) || fail_by_mode (self, task))
    return;

  g_hash_table_remove (self->passwords, key);
  g_task_return_boolean (task, TRUE);
}

static void
popbell_memory_credentials_iface_init (PopbellCredentialsInterface *iface)
{
  iface->lookup_async = memory_lookup_async;
  iface->lookup_finish = memory_lookup_finish;
  iface->store_async = memory_store_async;
  iface->store_finish = memory_boolean_finish;
  iface->clear_async = memory_clear_async;
  iface->clear_finish = memory_boolean_finish;
}

static void
popbell_memory_credentials_finalize (GObject *object)
{
  PopbellMemoryCredentials *self = POPBELL_MEMORY_CREDENTIALS (object);

  g_hash_table_unref (self->passwords);

  G_OBJECT_CLASS (popbell_memory_credentials_parent_class)->finalize (object);
}

static void
popbell_memory_credentials_class_init (PopbellMemoryCredentialsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = popbell_memory_credentials_finalize;
}

static void
popbell_memory_credentials_init (PopbellMemoryCredentials *self)
{
  self->passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) popbell_credentials_free_password);
}

PopbellMemoryCredentials *
popbell_memory_credentials_new (void)
{
  return g_object_new (POPBELL_TYPE_MEMORY_CREDENTIALS, NULL);
}

void
popbell_memory_credentials_set_mode (PopbellMemoryCredentials     *self,
                                     PopbellMemoryCredentialsMode  mode)
{
  gboolean was_unavailable;

  g_return_if_fail (POPBELL_IS_MEMORY_CREDENTIALS (self));

  was_unavailable = self->mode == POPBELL_MEMORY_CREDENTIALS_LOCKED ||
                    self->mode == POPBELL_MEMORY_CREDENTIALS_NO_SERVICE;
  self->mode = mode;
  if (was_unavailable && mode == POPBELL_MEMORY_CREDENTIALS_AVAILABLE)
    popbell_credentials_emit_unlocked (POPBELL_CREDENTIALS (self));
}

void
popbell_memory_credentials_set (PopbellMemoryCredentials *self,
                                const gchar              *host,
                                const gchar              *user,
                                const gchar              *password)
{
  g_return_if_fail (POPBELL_IS_MEMORY_CREDENTIALS (self));
  g_return_if_fail (host != NULL && user != NULL);

  if (password == NULL)
    {
      g_autofree gchar *key = make_key (host, user);
      g_hash_table_remove (self->passwords, key);
    }
  else
    g_hash_table_replace (self->passwords, make_key (host, user), g_strdup (password));
}

guint
popbell_memory_credentials_get_lookup_count (PopbellMemoryCredentials *self)
{
  g_return_val_if_fail (POPBELL_IS_MEMORY_CREDENTIALS (self), 0);
  return self->lookup_count;
}
