/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-test-dovecot.h"

G_BEGIN_DECLS

/* The fixtures the OAuth 2.0 tests share: the test provider, the fake GNOME
 * Online Accounts, the session's test browser, and a Dovecot whose oauth2
 * passdb asks the provider. */

/*
 * PopbellTestOAuth2: the OAuth 2.0 provider of tests/support/oauth2-server.py
 * on 127.0.0.1 (authorization endpoint with PKCE, token endpoint, RFC 7662
 * introspection for Dovecot's oauth2 passdb), in its own temp directory. It
 * dies with the test (its stdin is a pipe from us).
 *
 * Client id "popbell-test"; the authorization endpoint signs in @user.
 */
typedef struct _PopbellTestOAuth2 PopbellTestOAuth2;

/* @lifetime: seconds an access token lives. NULL after
 * popbell_test_skip_or_fail() when python3 is missing. */
PopbellTestOAuth2 *popbell_test_oauth2_start (const gchar *user, guint lifetime);
void               popbell_test_oauth2_stop  (PopbellTestOAuth2 *self);

/* "http://127.0.0.1:PORT" + @path. (transfer full) */
gchar   *popbell_test_oauth2_url (PopbellTestOAuth2 *self, const gchar *path);
/* Accept @token for @user at the introspection endpoint (tokens file). */
void     popbell_test_oauth2_add_token (PopbellTestOAuth2 *self, const gchar *token,
                                        const gchar *user);
/* How often @event ("authorize", "token-code", "token-refresh",
 * "introspect-ok", "introspect-fail", "bad-verifier", …) happened. */
guint    popbell_test_oauth2_count (PopbellTestOAuth2 *self, const gchar *event);
/* Every access token issued so far stops working. */
void     popbell_test_oauth2_expire_all (PopbellTestOAuth2 *self);
const gchar *popbell_test_oauth2_get_dir (PopbellTestOAuth2 *self);

/* The oauth2-* settings of a `custom` built-in sign-in with this provider
 * (source, provider, client id, endpoints, scope): NULL-terminated key,
 * value, key, value… (transfer full) */
GStrv        popbell_test_oauth2_builtin_settings (PopbellTestOAuth2 *self);

/* A Dovecot offering XOAUTH2 and OAUTHBEARER whose oauth2 passdb asks this
 * provider (popbell_test_dovecot_start_oauth2()); NULL when it did not
 * start (skipped or failed as that says). */
PopbellTestDovecot *popbell_test_oauth2_start_dovecot (PopbellTestOAuth2 *self);

/* For main() of a test program on both: starts the provider (signing in
 * @user) and its Dovecot into *@provider and *@dovecot, runs g_test_run()
 * when both came up, stops both (the pointers are NULL again) and returns
 * the exit status: g_test_run()'s, else 77 (skipped) or 1 under
 * POPBELL_TEST_REQUIRE_SERVICES=1. */
int          popbell_test_oauth2_run_with_dovecot (const gchar         *user,
                                                   PopbellTestOAuth2  **provider,
                                                   PopbellTestDovecot **dovecot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellTestOAuth2, popbell_test_oauth2_stop)

/*
 * PopbellTestGoa: a fake org.gnome.OnlineAccounts on the session bus
 * (tests/support/oauth2-fake-goa.py) that the real libgoa client talks to.
 * @config_json: its accounts, e.g. {"accounts": [{"id": "account_1",
 * "provider_name": "Google", "identity": …, "email": …, "tokens": […]}]}
 * (see the script for the failure switches). Returns once it owns its name
 * on the bus; it dies with the test (its stdin is a pipe from us).
 */
typedef struct _PopbellTestGoa PopbellTestGoa;

PopbellTestGoa *popbell_test_goa_start (const gchar *config_json);
/* NULL-safe. */
void            popbell_test_goa_stop  (PopbellTestGoa *self);
/* How often @event ("get-access-token ID", "ensure-credentials ID") happened. */
guint           popbell_test_goa_count (PopbellTestGoa *self, const gchar *event);
/* Every event so far, one a line, in order. (transfer full) */
gchar          *popbell_test_goa_dup_events (PopbellTestGoa *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellTestGoa, popbell_test_goa_stop)

/*
 * PopbellTestTokenEndpoint: a scripted OAuth 2.0 token endpoint in this
 * process (a thread answers), for answers the test provider never gives (a
 * rotated refresh token, none at all). Each POST gets the next queued
 * answer (or 500 when none is left) and its form is recorded.
 */
typedef struct _PopbellTestTokenEndpoint PopbellTestTokenEndpoint;

PopbellTestTokenEndpoint *popbell_test_token_endpoint_new  (void);
/* NULL-safe. */
void         popbell_test_token_endpoint_free   (PopbellTestTokenEndpoint *self);
/* "http://127.0.0.1:PORT/token". (transfer full) */
gchar       *popbell_test_token_endpoint_url    (PopbellTestTokenEndpoint *self);
/* Queue the answer to the next request: HTTP @status, @json as the body. */
void         popbell_test_token_endpoint_answer (PopbellTestTokenEndpoint *self,
                                                 guint                     status,
                                                 const gchar              *json);
/* The form of request @n (0: the first), or NULL when there was none yet.
 * (transfer full) */
gchar       *popbell_test_token_endpoint_dup_form (PopbellTestTokenEndpoint *self, guint n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellTestTokenEndpoint, popbell_test_token_endpoint_free)

/* Makes tests/support/oauth2-browser.py (which follows the provider's
 * redirect like a browser) the default handler of http and https
 * URLs in the test session, for g_app_info_launch_default_for_uri(). Call
 * after popbell_test_session_new(). */
void            popbell_test_oauth2_register_browser (void);

/* A temporary directory for a test's own files, outside the session's
 * directory (which must hold no token), and its removal with everything in
 * it (NULL-safe, frees @dir). */
gchar          *popbell_test_oauth2_scratch_new  (void);
void            popbell_test_oauth2_scratch_free (gchar *dir);

G_END_DECLS
