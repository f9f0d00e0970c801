/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-credentials.h"

G_BEGIN_DECLS

/* The values of `oauth2-source` (SPEC §3). */
typedef enum {
  POPBELL_OAUTH2_SOURCE_COMMAND,
  POPBELL_OAUTH2_SOURCE_GOA,
  POPBELL_OAUTH2_SOURCE_BUILTIN,
} PopbellOAuth2SourceKind;

/**
 * PopbellTokenSource:
 *
 * Where an account's OAuth 2.0 access token comes from (SPEC §5
 * "Authentication"). The engine asks for a token before it logs in; when the
 * server rejects it, it asks once more with @force_renew and never again in
 * the same check, so a source never loops.
 *
 * Implementations: the `command` source (popbell-oauth2-command.c), `goa`
 * (popbell-oauth2-goa.c) and `builtin` (popbell-oauth2-builtin.c). A source
 * may keep an access token in memory between calls; it never writes one
 * anywhere.
 */
#define POPBELL_TYPE_TOKEN_SOURCE (popbell_token_source_get_type ())
G_DECLARE_INTERFACE (PopbellTokenSource, popbell_token_source, POPBELL, TOKEN_SOURCE, GObject)

struct _PopbellTokenSourceInterface
{
  GTypeInterface parent_iface;

  void   (*get_token_async)  (PopbellTokenSource  *self,
                              gboolean             force_renew,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
  gchar *(*get_token_finish) (PopbellTokenSource  *self,
                              GAsyncResult        *result,
                              GError             **error);
};

/* @force_renew: the last token was rejected (or is known to be stale): do
 * not hand out a remembered one.
 * Returns: (transfer full): the access token; free it with
 * popbell_credentials_free_password().
 * Errors: POPBELL_ERROR with one sentence naming the account and the remedy:
 * AUTH (not signed in, sign-in revoked, GOA wants the user), CONFIG (bad
 * settings, a command that fails), NETWORK / TIMEOUT / TLS (the provider),
 * KEYRING; G_IO_ERROR_CANCELLED. A locked or absent keyring is the
 * lookup's own POPBELL_CREDENTIALS_ERROR_LOCKED / _NO_SERVICE instead, as
 * for a password: the caller waits for ::unlocked of the refresh-token
 * store (popbell_token_source_cache_get_refresh_tokens()) and words it
 * with popbell_credentials_error_to_popbell(). */
void   popbell_token_source_get_token_async  (PopbellTokenSource  *self,
                                              gboolean             force_renew,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gchar *popbell_token_source_get_token_finish (PopbellTokenSource  *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* "command", "goa", "builtin". _from_string returns FALSE for anything else. */
const gchar *popbell_oauth2_source_kind_to_string   (PopbellOAuth2SourceKind kind);
gboolean     popbell_oauth2_source_kind_from_string (const gchar             *text,
                                                     PopbellOAuth2SourceKind *out);

/* Checks the oauth2-* settings of an account with auth=oauth2: a known
 * source, and what that source needs (a command that parses, a GOA id, a
 * provider with a client id, https endpoints).
 * Errors: POPBELL_ERROR_CONFIG naming the account and the key. */
gboolean popbell_oauth2_check_account (PopbellAccount *account, GError **error);

/**
 * popbell_token_source_new_for_account:
 * @account: an account with auth=oauth2
 * @refresh_tokens: where the builtin source keeps refresh tokens (schema
 *   io.github.popbell.OAuth2, see popbell_secret_credentials_new_oauth2())
 *
 * Returns: (transfer full) (nullable): the source for the account's
 * `oauth2-source`, or NULL with POPBELL_ERROR_CONFIG.
 */
PopbellTokenSource *popbell_token_source_new_for_account (PopbellAccount      *account,
                                                          PopbellCredentials  *refresh_tokens,
                                                          GError             **error);

/**
 * PopbellTokenSourceCache:
 *
 * One token source per account, kept across checks so that the builtin
 * source's access token lives as long as it is valid; an account whose
 * settings changed (popbell_account_dup_settings_digest()) gets a new one.
 * The checker owns one.
 */
#define POPBELL_TYPE_TOKEN_SOURCE_CACHE (popbell_token_source_cache_get_type ())
G_DECLARE_FINAL_TYPE (PopbellTokenSourceCache, popbell_token_source_cache,
                      POPBELL, TOKEN_SOURCE_CACHE, GObject)

/* @refresh_tokens: (nullable): NULL for the Secret Service
 * (popbell_secret_credentials_new_oauth2(), made when first needed). */
PopbellTokenSourceCache *popbell_token_source_cache_new (PopbellCredentials *refresh_tokens);
/* Returns: (transfer full) (nullable): NULL with POPBELL_ERROR_CONFIG. */
PopbellTokenSource      *popbell_token_source_cache_get (PopbellTokenSourceCache  *self,
                                                         PopbellAccount           *account,
                                                         GError                  **error);
/* (transfer none) where refresh tokens live. */
PopbellCredentials      *popbell_token_source_cache_get_refresh_tokens (PopbellTokenSourceCache *self);

/* The server refused the account's access token twice in one session
 * (@held FALSE), or a check is refused because of that (@held TRUE):
 * POPBELL_ERROR_AUTH with the remedy of the account's source (sign in
 * again, GNOME Settings, the token command). (transfer full) */
GError *popbell_oauth2_rejected_error (PopbellAccount *account, gboolean held);

G_END_DECLS
