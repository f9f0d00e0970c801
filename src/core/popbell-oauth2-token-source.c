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
#include "popbell-secret-credentials.h"

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

/* --- the cache ------------------------------------------------------------- */

typedef struct {
  gchar              *digest;   /* (owned) the settings it was made for */
  PopbellTokenSource *source;   /* (owned) */
} CachedSource;

static void
cached_source_free (CachedSource *cached)
{
  g_free (cached->digest);
  g_object_unref (cached->source);
  g_free (cached);
}

struct _PopbellTokenSourceCache
{
  GObject             parent_instance;

  PopbellCredentials *refresh_tokens;  /* (owned) (nullable) until first needed */
  GHashTable         *sources;         /* (owned) account name → CachedSource */
};

G_DEFINE_FINAL_TYPE (PopbellTokenSourceCache, popbell_token_source_cache, G_TYPE_OBJECT)

static void
popbell_token_source_cache_dispose (GObject *object)
{
  PopbellTokenSourceCache *self = POPBELL_TOKEN_SOURCE_CACHE (object);

  g_clear_object (&self->refresh_tokens);
  g_clear_pointer (&self->sources, g_hash_table_unref);
  G_OBJECT_CLASS (popbell_token_source_cache_parent_class)->dispose (object);
}

static void
popbell_token_source_cache_class_init (PopbellTokenSourceCacheClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_token_source_cache_dispose;
}

static void
popbell_token_source_cache_init (PopbellTokenSourceCache *self)
{
  self->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) cached_source_free);
}

PopbellTokenSourceCache *
popbell_token_source_cache_new (PopbellCredentials *refresh_tokens)
{
  PopbellTokenSourceCache *self = g_object_new (POPBELL_TYPE_TOKEN_SOURCE_CACHE, NULL);

  g_return_val_if_fail (refresh_tokens == NULL || POPBELL_IS_CREDENTIALS (refresh_tokens), NULL);
  if (refresh_tokens != NULL)
    self->refresh_tokens = g_object_ref (refresh_tokens);
  return self;
}

PopbellCredentials *
popbell_token_source_cache_get_refresh_tokens (PopbellTokenSourceCache *self)
{
  g_return_val_if_fail (POPBELL_IS_TOKEN_SOURCE_CACHE (self), NULL);

  /* Made when first needed: most people have no OAuth 2.0 account, and
   * this one watches the bus once it saw a locked keyring. */
  if (self->refresh_tokens == NULL)
    self->refresh_tokens = popbell_secret_credentials_new_oauth2 ();
  return self->refresh_tokens;
}

PopbellTokenSource *
popbell_token_source_cache_get (PopbellTokenSourceCache  *self,
                                PopbellAccount           *account,
                                GError                  **error)
{
  g_autofree gchar *digest = NULL;
  CachedSource *cached;
  PopbellTokenSource *source;

  g_return_val_if_fail (POPBELL_IS_TOKEN_SOURCE_CACHE (self), NULL);
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), NULL);

  digest = popbell_account_dup_settings_digest (account);
  cached = g_hash_table_lookup (self->sources, popbell_account_get_name (account));
  if (cached != NULL && g_str_equal (cached->digest, digest))
    return g_object_ref (cached->source);

  source = popbell_token_source_new_for_account (
    account, popbell_token_source_cache_get_refresh_tokens (self), error);
  if (source == NULL)
    {
      g_hash_table_remove (self->sources, popbell_account_get_name (account));
      return NULL;
    }
  cached = g_new0 (CachedSource, 1);
  cached->digest = g_steal_pointer (&digest);
  cached->source = g_object_ref (source);
  g_hash_table_replace (self->sources, g_strdup (popbell_account_get_name (account)), cached);
  return source;
}

GError *
popbell_oauth2_rejected_error (PopbellAccount *account, gboolean held)
{
  const gchar *name = popbell_account_get_name (account);
  PopbellOAuth2SourceKind kind = POPBELL_OAUTH2_SOURCE_COMMAND;
  g_autofree gchar *remedy = NULL;

  popbell_oauth2_source_kind_from_string (popbell_account_get_oauth2 (account, "oauth2-source"),
                                          &kind);
  switch (kind)
    {
    case POPBELL_OAUTH2_SOURCE_BUILTIN:
      remedy = g_strdup_printf (_("sign in again with “popbell --sign-in %s” or “Sign in…” in "
                                  "the preferences"), name);
      break;
    case POPBELL_OAUTH2_SOURCE_GOA:
      remedy = g_strdup (_("check the account in Settings → Online Accounts"));
      break;
    case POPBELL_OAUTH2_SOURCE_COMMAND:
    default:
      remedy = g_strdup (_("check that the token command (oauth2-command) prints a valid access "
                           "token for this user"));
      break;
    }
  if (held)
    /* Translators: the last %s is what to do, e.g. "check the account in …". */
    return g_error_new (POPBELL_ERROR, POPBELL_ERROR_AUTH,
                        _("The server rejected the access token of account “%s”; Popbell will "
                          "not try again until the account changes or you try again: %s."),
                        name, remedy);
  /* Translators: the last %s is what to do, e.g. "check the account in …". */
  return g_error_new (POPBELL_ERROR, POPBELL_ERROR_AUTH,
                      _("The server rejected the access token of account “%s”, also a renewed "
                        "one: %s."), name, remedy);
}
