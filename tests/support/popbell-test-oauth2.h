/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellTestOAuth2, popbell_test_oauth2_stop)

G_END_DECLS
