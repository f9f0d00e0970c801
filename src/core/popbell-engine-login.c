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
  PopbellAccountRunner *runner = popbell_engine_lookup_runner (self, name);
  g_autoptr(GError) error = NULL;

  if (!popbell_credentials_store_finish (POPBELL_CREDENTIALS (source), result, &error))
    {
      g_task_return_error (task, popbell_credentials_error_to_popbell (error, name));
      return;
    }

  if (runner != NULL)
    {
      g_object_ref (runner);
      popbell_account_runner_lift_hold (runner);
      if (popbell_account_runner_is_busy (runner))
        popbell_account_runner_request_check (runner, POPBELL_SESSION_IGNORE_AUTH_HOLD);
      else
        popbell_engine_runner_plan (runner, 0);
      popbell_engine_emit_status_changed (runner);
      g_object_unref (runner);
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
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
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
  PopbellCredentials *store;

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
  /* auth=oauth2: what the keyring holds is the built-in sign-in's refresh
   * token (SPEC §3, io.github.popbell.OAuth2). */
  store = popbell_account_get_auth (account) == POPBELL_POP3_AUTH_OAUTH2
            ? popbell_token_source_cache_get_refresh_tokens (
                popbell_checker_get_token_sources (self->checker))
            : self->credentials;
  popbell_credentials_clear_async (store, popbell_account_get_host (account),
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
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
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

/* A probe session (POPBELL_SESSION_PROBE): the account lock, LOGIN-DELAY
 * and the session limit like every session; no hold, no baseline. */

typedef struct {
  PopbellSession *session;   /* (owned) */
  GError         *failure;   /* (owned) (nullable) what the probe found */
} ProbeData;

static void
probe_data_free (ProbeData *probe)
{
  g_clear_object (&probe->session);
  g_clear_error (&probe->failure);
  g_free (probe);
}

static void
test_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ProbeData *probe = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* A state that cannot be saved does not make the connection bad. */
  if (!popbell_session_close_finish (POPBELL_SESSION (source), result, &error))
    g_debug ("%s", error->message);
  if (probe->failure != NULL)
    g_task_return_error (task, g_steal_pointer (&probe->failure));
  else
    g_task_return_boolean (task, TRUE);
}

static void
test_end (GTask *task, GError *error)
{
  ProbeData *probe = g_task_get_task_data (task);
  gboolean ok = error == NULL;

  if (!ok)
    {
      PopbellAccount *account = popbell_session_get_account (probe->session);

      probe->failure = popbell_error_from_pop3 (error, popbell_account_get_name (account));
      g_error_free (error);
    }
  popbell_session_close_async (probe->session, ok, NULL, test_closed, task);
}

static void
test_stat (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  guint count;
  guint64 size;

  popbell_pop3_client_stat_finish (POPBELL_POP3_CLIENT (source), result, &count, &size, &error);
  test_end (g_steal_pointer (&task), error);
}

static void
test_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellSession *session = POPBELL_SESSION (source);
  /* Not in the argument list below: the order in which arguments are
   * evaluated is unspecified (g_steal_pointer). */
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!popbell_session_open_finish (session, result, &error))
    {
      test_end (g_steal_pointer (&task), error);
      return;
    }
  popbell_pop3_client_stat_async (popbell_session_get_client (session), cancellable, test_stat,
                                  g_steal_pointer (&task));
}

void
popbell_engine_test_account_async (PopbellEngine       *self,
                                   PopbellAccount      *account,
                                   const gchar         *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ProbeData *probe;

  g_return_if_fail (POPBELL_IS_ENGINE (self));
  g_return_if_fail (POPBELL_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_engine_test_account_async);

  if (!popbell_account_validate (account, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  probe = g_new0 (ProbeData, 1);
  probe->session = popbell_session_new (self->checker, account,
                                        POPBELL_SESSION_PROBE | POPBELL_SESSION_URGENT);
  if (password != NULL)
    popbell_session_set_password (probe->session, password);
  g_task_set_task_data (task, probe, (GDestroyNotify) probe_data_free);
  popbell_session_open_async (probe->session, cancellable, test_opened, g_steal_pointer (&task));
}

gboolean
popbell_engine_test_account_finish (PopbellEngine *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
