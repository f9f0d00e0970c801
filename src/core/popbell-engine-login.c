/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n-lib.h>

#include "popbell-engine-private.h"

/* The account's login, outside the schedule: store or forget its keyring
 * password, and test a connection with settings not yet saved. */

/* --- password ------------------------------------------------------------------- */

static void
password_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellEngine *self = g_task_get_source_object (task);
  const gchar *name = g_task_get_task_data (task);
  Entry *entry = popbell_engine_lookup_entry (self, name);
  g_autoptr(GError) error = NULL;

  if (!popbell_credentials_store_finish (POPBELL_CREDENTIALS (source), result, &error))
    {
      g_task_return_error (task, popbell_credentials_error_to_popbell (error, name));
      return;
    }

  if (entry != NULL)
    {
      /* The hold lives in the file too; the next check (flag below) lifts
       * it there under the lock, and a check that still fails sets it
       * again. */
      entry->held = FALSE;
      entry->keyring_wait = FALSE;
      entry->failures = 0;
      entry->state->auth_hold = FALSE;
      g_clear_error (&entry->error);
      entry->next_flags |= POPBELL_SESSION_IGNORE_AUTH_HOLD;
      if (entry->running != NULL)
        entry->check_again = TRUE;
      else
        popbell_engine_entry_plan (entry, 0);
      popbell_engine_emit_status_changed (entry);
    }
  g_task_return_boolean (task, TRUE);
}

void
popbell_engine_set_password_async (PopbellEngine       *self,
                                   const gchar         *account_name,
                                   const gchar         *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree gchar *label = NULL;
  PopbellAccount *account;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (account_name != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_set_password_async);
  g_task_set_task_data (task, g_strdup (account_name), g_free);

  account = popbell_account_store_lookup (self->accounts, account_name);
  if (account == NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("There is no account “%s”."), account_name);
      return;
    }
  label = g_strdup_printf (_("Popbell: %s"), account_name);
  popbell_credentials_store_async (self->credentials, popbell_account_get_host (account),
                                   popbell_account_get_username (account), label, password,
                                   cancellable, password_stored, g_steal_pointer (&task));
}

gboolean
popbell_engine_set_password_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- forget password ------------------------------------------------------------ */

static void
password_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const gchar *name = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!popbell_credentials_clear_finish (POPBELL_CREDENTIALS (source), result, &error))
    g_task_return_error (task, popbell_credentials_error_to_popbell (error, name));
  else
    g_task_return_int (task, TRUE);
}

/* Another account (by name) that logs in as the same user on the same
 * host: the keyring holds one password for both (attributes host, user). */
static gboolean
password_shared (PopbellEngine *self, PopbellAccount *account)
{
  g_autoptr(GPtrArray) accounts = popbell_account_store_list (self->accounts);

  for (guint i = 0; i < accounts->len; i++)
    {
      PopbellAccount *other = accounts->pdata[i];

      if (g_strcmp0 (popbell_account_get_name (other), popbell_account_get_name (account)) != 0 &&
          g_strcmp0 (popbell_account_get_host (other), popbell_account_get_host (account)) == 0 &&
          g_strcmp0 (popbell_account_get_username (other),
                     popbell_account_get_username (account)) == 0)
        return TRUE;
    }
  return FALSE;
}

void
popbell_engine_forget_password_async (PopbellEngine       *self,
                                      PopbellAccount      *account,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (POPBELL_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_forget_password_async);
  g_task_set_task_data (task, g_strdup (popbell_account_get_name (account)), g_free);

  if (password_shared (self, account))
    {
      g_debug ("account %s removed; its password stays: another account uses it",
               popbell_account_get_name (account));
      g_task_return_int (task, FALSE);
      return;
    }
  popbell_credentials_clear_async (self->credentials, popbell_account_get_host (account),
                                   popbell_account_get_username (account), cancellable,
                                   password_cleared, g_steal_pointer (&task));
}

gboolean
popbell_engine_forget_password_finish (PopbellEngine  *self,
                                       GAsyncResult   *result,
                                       gboolean       *out_cleared,
                                       GError        **error)
{
  g_autoptr(GError) local = NULL;
  gssize cleared;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  cleared = g_task_propagate_int (G_TASK (result), &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (out_cleared != NULL)
    *out_cleared = cleared != 0;
  return TRUE;
}

/* --- test connection ------------------------------------------------------------- */

typedef struct {
  PopbellAccount    *account;
  PopbellPop3Client *client;
  gchar             *password;
} TestData;

static void
test_data_free (TestData *data)
{
  g_clear_object (&data->account);
  if (data->client != NULL)
    popbell_pop3_client_close (data->client);
  g_clear_object (&data->client);
  popbell_credentials_free_password (data->password);
  g_free (data);
}

static void
test_fail (GTask *task, GError *error)
{
  TestData *data = g_task_get_task_data (task);

  g_task_return_error (task, popbell_error_from_pop3 (error, popbell_account_get_name (data->account)));
  g_error_free (error);
  g_object_unref (task);
}

static void
test_quit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;

  popbell_pop3_client_quit_finish (POPBELL_POP3_CLIENT (source), result, NULL);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
test_stat (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  guint count;
  guint64 size;

  if (!popbell_pop3_client_stat_finish (POPBELL_POP3_CLIENT (source), result, &count, &size, &error))
    { test_fail (task, error); return; }
  popbell_pop3_client_quit_async (POPBELL_POP3_CLIENT (source), g_task_get_cancellable (task),
                                  test_quit, task);
}

static void
test_login (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  TestData *data = g_task_get_task_data (task);
  GError *error = NULL;

  g_clear_pointer (&data->password, popbell_credentials_free_password);
  if (!popbell_pop3_client_login_finish (POPBELL_POP3_CLIENT (source), result, &error))
    { test_fail (task, error); return; }
  popbell_pop3_client_stat_async (POPBELL_POP3_CLIENT (source), g_task_get_cancellable (task),
                                  test_stat, task);
}

static void
test_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  TestData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!popbell_pop3_client_connect_finish (POPBELL_POP3_CLIENT (source), result, &error))
    { test_fail (task, error); return; }
  popbell_pop3_client_login_async (data->client, popbell_account_get_username (data->account),
                                   data->password, popbell_account_get_auth (data->account),
                                   g_task_get_cancellable (task), test_login, task);
}

static void
test_connect (GTask *task)
{
  TestData *data = g_task_get_task_data (task);

  data->client = popbell_account_create_client (data->account);
  popbell_pop3_client_connect_async (data->client, g_task_get_cancellable (task),
                                     test_connected, task);
}

static void
test_password (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  TestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  data->password = popbell_credentials_lookup_finish (POPBELL_CREDENTIALS (source), result, &error);
  if (data->password == NULL)
    {
      if (error == NULL)
        g_set_error (&error, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND,
                     "no password");
      g_task_return_error (task, popbell_credentials_error_to_popbell (
                                   error, popbell_account_get_name (data->account)));
      g_object_unref (task);
      return;
    }
  test_connect (task);
}

void
popbell_engine_test_account_async (PopbellEngine       *self,
                                   PopbellAccount      *account,
                                   const gchar         *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;
  TestData *data;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (POPBELL_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_test_account_async);
  data = g_new0 (TestData, 1);
  data->account = g_object_ref (account);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) test_data_free);

  if (!popbell_account_validate (account, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (password != NULL)
    test_connect (task);
  else
    popbell_credentials_lookup_async (self->credentials, popbell_account_get_host (account),
                                      popbell_account_get_username (account), cancellable,
                                      test_password, task);
}

gboolean
popbell_engine_test_account_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

