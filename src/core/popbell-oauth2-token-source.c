/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-oauth2-token-source.h"

#include <glib/gi18n-lib.h>

#include "popbell-error.h"
#include "popbell-oauth2-builtin.h"
#include "popbell-oauth2-command.h"
#include "popbell-oauth2-goa.h"

G_DEFINE_INTERFACE (PopbellTokenSource, popbell_token_source, G_TYPE_OBJECT)

static void
popbell_token_source_default_init (PopbellTokenSourceInterface *iface)
{
}

void
popbell_token_source_get_token_async (PopbellTokenSource  *self,
                                      gboolean             force_renew,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (POPBELL_IS_TOKEN_SOURCE (self));
  POPBELL_TOKEN_SOURCE_GET_IFACE (self)->get_token_async (self, force_renew, cancellable,
                                                           callback, user_data);
}

gchar *
popbell_token_source_get_token_finish (PopbellTokenSource  *self,
                                       GAsyncResult        *result,
                                       GError             **error)
{
  g_return_val_if_fail (POPBELL_IS_TOKEN_SOURCE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return POPBELL_TOKEN_SOURCE_GET_IFACE (self)->get_token_finish (self, result, error);
}

const gchar *
popbell_oauth2_source_kind_to_string (PopbellOAuth2SourceKind kind)
{
  switch (kind)
    {
    case POPBELL_OAUTH2_SOURCE_COMMAND: return "command";
    case POPBELL_OAUTH2_SOURCE_GOA:     return "goa";
    case POPBELL_OAUTH2_SOURCE_BUILTIN: return "builtin";
    default:                            g_return_val_if_reached ("command");
    }
}

gboolean
popbell_oauth2_source_kind_from_string (const gchar             *text,
                                        PopbellOAuth2SourceKind *out)
{
  static const PopbellOAuth2SourceKind all[] = {
    POPBELL_OAUTH2_SOURCE_COMMAND, POPBELL_OAUTH2_SOURCE_GOA, POPBELL_OAUTH2_SOURCE_BUILTIN,
  };

  for (gsize i = 0; text != NULL && i < G_N_ELEMENTS (all); i++)
    if (g_str_equal (text, popbell_oauth2_source_kind_to_string (all[i])))
      {
        if (out != NULL)
          *out = all[i];
        return TRUE;
      }
  return FALSE;
}

static gboolean
config_error (GError **error, PopbellAccount *account, const gchar *key, const gchar *reason)
{
  /* Translators: account name, key name, then why (a sentence fragment). */
  g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG, _("Account “%s”, setting “%s”: %s."),
               popbell_account_get_name (account), key, reason);
  return FALSE;
}

gboolean
popbell_oauth2_check_account (PopbellAccount *account, GError **error)
{
  const gchar *source = popbell_account_get_oauth2 (account, "oauth2-source");
  PopbellOAuth2SourceKind kind;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!popbell_oauth2_source_kind_from_string (source, &kind))
    return config_error (error, account, "oauth2-source",
                         _("auth=oauth2 needs a token source: goa, command or builtin"));

  switch (kind)
    {
    case POPBELL_OAUTH2_SOURCE_COMMAND:
      {
        const gchar *command = popbell_account_get_oauth2 (account, "oauth2-command");
        g_auto(GStrv) argv = NULL;

        if (command == NULL || !g_shell_parse_argv (command, NULL, &argv, NULL))
          return config_error (error, account, "oauth2-command",
                               _("set the command that prints an access token (quotes must "
                                 "be balanced)"));
        return TRUE;
      }
    case POPBELL_OAUTH2_SOURCE_GOA:
      if (popbell_account_get_oauth2 (account, "oauth2-goa-id") == NULL)
        return config_error (error, account, "oauth2-goa-id",
                             _("choose the GNOME Online Accounts account"));
      return TRUE;
    case POPBELL_OAUTH2_SOURCE_BUILTIN:
      {
        g_autoptr(PopbellOAuth2Provider) provider = NULL;
        g_autofree gchar *key = NULL;
        g_autofree gchar *reason = NULL;

        provider = popbell_oauth2_provider_new_for_account (account, &key, &reason);
        if (provider == NULL)
          return config_error (error, account, key, reason);
        return TRUE;
      }
    default:
      g_assert_not_reached ();
    }
}

PopbellTokenSource *
popbell_token_source_new_for_account (PopbellAccount      *account,
                                      PopbellCredentials  *refresh_tokens,
                                      GError             **error)
{
  PopbellOAuth2SourceKind kind;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (POPBELL_IS_CREDENTIALS (refresh_tokens), NULL);

  if (!popbell_oauth2_check_account (account, error))
    return NULL;
  popbell_oauth2_source_kind_from_string (popbell_account_get_oauth2 (account, "oauth2-source"),
                                          &kind);
  switch (kind)
    {
    case POPBELL_OAUTH2_SOURCE_COMMAND:
      return popbell_oauth2_command_source_new (account);
    case POPBELL_OAUTH2_SOURCE_GOA:
      return popbell_oauth2_goa_source_new (account);
    case POPBELL_OAUTH2_SOURCE_BUILTIN:
      return popbell_oauth2_builtin_source_new (account, refresh_tokens);
    default:
      g_assert_not_reached ();
    }
}
