/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#define GOA_API_IS_SUBJECT_TO_CHANGE
#include "popbell-oauth2-goa.h"

#include <glib/gi18n-lib.h>
#include <goa/goa.h>

#include "popbell-error.h"

struct _PopbellOAuth2GoaSource
{
  GObject         parent_instance;

  PopbellAccount *account;   /* (owned) */
};

static void popbell_oauth2_goa_source_iface_init (PopbellTokenSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PopbellOAuth2GoaSource, popbell_oauth2_goa_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (POPBELL_TYPE_TOKEN_SOURCE,
                                                      popbell_oauth2_goa_source_iface_init))

static void
popbell_oauth2_goa_source_dispose (GObject *object)
{
  PopbellOAuth2GoaSource *self = POPBELL_OAUTH2_GOA_SOURCE (object);

  g_clear_object (&self->account);
  G_OBJECT_CLASS (popbell_oauth2_goa_source_parent_class)->dispose (object);
}

static void
popbell_oauth2_goa_source_class_init (PopbellOAuth2GoaSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_oauth2_goa_source_dispose;
}

static void
popbell_oauth2_goa_source_init (PopbellOAuth2GoaSource *self)
{
}

PopbellTokenSource *
popbell_oauth2_goa_source_new (PopbellAccount *account)
{
  PopbellOAuth2GoaSource *self;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), NULL);

  self = g_object_new (POPBELL_TYPE_OAUTH2_GOA_SOURCE, NULL);
  self->account = g_object_ref (account);
  return POPBELL_TOKEN_SOURCE (self);
}

typedef struct {
  gboolean   force_renew;
  GoaObject *object;   /* (owned) (nullable) */
} GoaRun;

static void
goa_run_free (GoaRun *run)
{
  g_clear_object (&run->object);
  g_free (run);
}

static void goa_client_ready (GObject *source, GAsyncResult *result, gpointer user_data);
static void goa_credentials_ensured (GObject *source, GAsyncResult *result, gpointer user_data);
static void goa_got_token (GObject *source, GAsyncResult *result, gpointer user_data);

static void
goa_get_token_async (PopbellTokenSource  *source,
                     gboolean             force_renew,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (source, cancellable, callback, user_data);
  GoaRun *run = g_new0 (GoaRun, 1);

  g_task_set_source_tag (task, goa_get_token_async);
  run->force_renew = force_renew;
  g_task_set_task_data (task, run, (GDestroyNotify) goa_run_free);
  goa_client_new (cancellable, goa_client_ready, g_steal_pointer (&task));
}

static GError *
needs_user (PopbellOAuth2GoaSource *self)
{
  return g_error_new (POPBELL_ERROR, POPBELL_ERROR_AUTH,
                      _("GNOME Online Accounts needs you to sign in again to the account of "
                        "“%s”: open Settings → Online Accounts."),
                      popbell_account_get_name (self->account));
}

static void
goa_client_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellOAuth2GoaSource *self = g_task_get_source_object (task);
  GoaRun *run = g_task_get_task_data (task);
  const gchar *name = popbell_account_get_name (self->account);
  const gchar *id = popbell_account_get_oauth2 (self->account, "oauth2-goa-id");
  g_autoptr(GoaClient) client = NULL;
  g_autoptr(GError) error = NULL;
  GoaAccount *account;

  client = goa_client_new_finish (result, &error);
  if (client == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                                 _("Account “%s” takes its sign-in from GNOME Online Accounts, "
                                   "which cannot be reached: %s"), name, error->message);
      return;
    }
  run->object = id != NULL ? goa_client_lookup_by_id (client, id) : NULL;
  account = run->object != NULL ? goa_object_peek_account (run->object) : NULL;
  if (account == NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                               _("GNOME Online Accounts has no account “%s” for account "
                                 "“%s”: add it in Settings → Online Accounts, or choose "
                                 "another one in Popbell's preferences."),
                               id != NULL ? id : "", name);
      return;
    }
  if (goa_object_peek_oauth2_based (run->object) == NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The GNOME Online Accounts account of “%s” (%s) does not sign "
                                 "in with OAuth 2.0; choose another one."),
                               name, goa_account_get_provider_name (account));
      return;
    }
  if (goa_account_get_mail_disabled (account))
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                               _("Mail is switched off for the GNOME Online Accounts account of "
                                 "“%s”: switch it on in Settings → Online Accounts."), name);
      return;
    }
  if (goa_account_get_attention_needed (account))
    {
      g_task_return_error (task, needs_user (self));
      return;
    }

  /* GetAccessToken hands out what GOA has; after a rejection GOA is first
   * asked to check (and so renew) the credentials. */
  if (run->force_renew)
    goa_account_call_ensure_credentials (account, g_task_get_cancellable (task),
                                         goa_credentials_ensured, g_object_ref (task));
  else
    goa_oauth2_based_call_get_access_token (goa_object_peek_oauth2_based (run->object),
                                            g_task_get_cancellable (task), goa_got_token,
                                            g_object_ref (task));
}

static void
goa_credentials_ensured (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellOAuth2GoaSource *self = g_task_get_source_object (task);
  GoaRun *run = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!goa_account_call_ensure_credentials_finish (GOA_ACCOUNT (source), NULL, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, needs_user (self));
      return;
    }
  goa_oauth2_based_call_get_access_token (goa_object_peek_oauth2_based (run->object),
                                          g_task_get_cancellable (task), goa_got_token,
                                          g_object_ref (task));
}

static void
goa_got_token (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellOAuth2GoaSource *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gchar *token = NULL;

  if (!goa_oauth2_based_call_get_access_token_finish (GOA_OAUTH2_BASED (source), &token, NULL,
                                                      result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, GOA_ERROR, GOA_ERROR_NOT_AUTHORIZED))
        g_task_return_error (task, needs_user (self));
      else
        {
          g_dbus_error_strip_remote_error (error);
          g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                                   _("GNOME Online Accounts gave no access token for account "
                                     "“%s”: %s. Check the account in Settings → Online "
                                     "Accounts."), popbell_account_get_name (self->account),
                                   error->message);
        }
      return;
    }
  g_task_return_pointer (task, token, (GDestroyNotify) popbell_credentials_free_password);
}

static gchar *
goa_get_token_finish (PopbellTokenSource *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
popbell_oauth2_goa_source_iface_init (PopbellTokenSourceInterface *iface)
{
  iface->get_token_async = goa_get_token_async;
  iface->get_token_finish = goa_get_token_finish;
}

/* --- listing -------------------------------------------------------------- */

void
popbell_goa_account_info_free (PopbellGoaAccountInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->id);
  g_free (info->provider);
  g_free (info->identity);
  g_free (info->email);
  g_free (info);
}

static void
list_client_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GoaClient) client = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *infos = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_goa_account_info_free);
  GList *objects;

  client = goa_client_new_finish (result, &error);
  if (client == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_ptr_array_unref (infos);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  objects = client != NULL ? goa_client_get_accounts (client) : NULL;
  for (GList *l = objects; l != NULL; l = l->next)
    {
      GoaAccount *account = goa_object_peek_account (l->data);
      GoaMail *mail = goa_object_peek_mail (l->data);
      PopbellGoaAccountInfo *info;

      if (account == NULL || goa_object_peek_oauth2_based (l->data) == NULL)
        continue;
      info = g_new0 (PopbellGoaAccountInfo, 1);
      info->id = g_strdup (goa_account_get_id (account));
      info->provider = g_strdup (goa_account_get_provider_name (account));
      info->identity = g_strdup (goa_account_get_presentation_identity (account));
      info->email = mail != NULL ? g_strdup (goa_mail_get_email_address (mail)) : NULL;
      g_ptr_array_add (infos, info);
    }
  g_list_free_full (objects, g_object_unref);
  g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
}

void
popbell_oauth2_goa_list_accounts_async (GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, popbell_oauth2_goa_list_accounts_async);
  goa_client_new (cancellable, list_client_ready, g_steal_pointer (&task));
}

GPtrArray *
popbell_oauth2_goa_list_accounts_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
