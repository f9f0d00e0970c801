/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-oauth2-token-source.h"

G_BEGIN_DECLS

/* Seconds before its announced expiry at which an access token is renewed
 * rather than used (a check takes a few seconds, clocks drift). */
#define POPBELL_OAUTH2_EXPIRY_MARGIN_S 60

/**
 * PopbellOAuth2Provider:
 *
 * The endpoints and client of the built-in sign-in: a preset (`google`,
 * `microsoft`) or `custom` (oauth2-auth-url, oauth2-token-url,
 * oauth2-scope), with the account's oauth2-client-id and optional
 * oauth2-client-secret. Endpoints are https, or http to 127.0.0.1.
 */
typedef struct {
  gchar    *auth_url;        /* (owned) */
  gchar    *token_url;       /* (owned) */
  gchar    *scope;           /* (owned) space-separated */
  gchar    *client_id;       /* (owned) */
  gchar    *client_secret;   /* (owned) (nullable) */
  gboolean  google_offline;  /* add access_type=offline and prompt=consent:
                              * Google issues a refresh token only then */
} PopbellOAuth2Provider;

/* (nullable) NULL when a setting is missing or wrong: then *@out_key names
 * it and *@out_reason says why (a translated fragment). */
PopbellOAuth2Provider *popbell_oauth2_provider_new_for_account (PopbellAccount  *account,
                                                                gchar          **out_key,
                                                                gchar          **out_reason);
void popbell_oauth2_provider_free (PopbellOAuth2Provider *provider);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellOAuth2Provider, popbell_oauth2_provider_free)

/**
 * popbell_oauth2_token_request_async:
 * @refresh_tokens: where the refresh token the provider sends is kept
 *   (SPEC §3), under the account's host and user
 * @form: NULL-terminated name, value pairs of the grant (grant_type, code or
 *   refresh_token, …); client_id and client_secret are added here
 * @sign_in: TRUE for the sign-in's authorization code: a refresh token must
 *   come and be kept. FALSE for a refresh: a new refresh token (rotation,
 *   RFC 6749 §6) replaces the old one, but failing to keep it only logs,
 *   as the access token works either way.
 *
 * One request to the token endpoint (RFC 6749 §4.1.3, §6), the one place
 * the sign-in and the built-in source exchange a grant and keep the
 * refresh token. Finish returns the access token (free with
 * popbell_credentials_free_password()) and when it expires (monotonic µs,
 * 0: unknown).
 * Errors: POPBELL_ERROR: AUTH (invalid_grant: the sign-in was revoked or
 * has expired; @sign_in and no refresh token), CONFIG (the provider refuses
 * the client), NETWORK, TIMEOUT, TLS, SERVER, PROTOCOL (not the JSON of
 * RFC 6749 §5.1), KEYRING (@sign_in: the refresh token could not be kept);
 * G_IO_ERROR_CANCELLED.
 */
void   popbell_oauth2_token_request_async  (PopbellAccount         *account,
                                            PopbellOAuth2Provider  *provider,
                                            PopbellCredentials     *refresh_tokens,
                                            const gchar * const    *form,
                                            gboolean                sign_in,
                                            GCancellable           *cancellable,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
gchar *popbell_oauth2_token_request_finish (GAsyncResult           *result,
                                            gint64                 *out_expires_at,
                                            GError                **error);

/**
 * PopbellOAuth2BuiltinSource:
 *
 * The `builtin` token source: the access token lives in memory until
 * POPBELL_OAUTH2_EXPIRY_MARGIN_S before it expires; then, or when it was
 * rejected, the refresh token from the keyring buys a new one. No refresh
 * token stored is AUTH: the user signs in with `popbell --sign-in NAME`
 * (popbell-oauth2-sign-in.h) or the account editor's "Sign in…".
 */
#define POPBELL_TYPE_OAUTH2_BUILTIN_SOURCE (popbell_oauth2_builtin_source_get_type ())
G_DECLARE_FINAL_TYPE (PopbellOAuth2BuiltinSource, popbell_oauth2_builtin_source,
                      POPBELL, OAUTH2_BUILTIN_SOURCE, GObject)

PopbellTokenSource *popbell_oauth2_builtin_source_new (PopbellAccount     *account,
                                                       PopbellCredentials *refresh_tokens);

G_END_DECLS
