/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-account.h"
#include "popbell-credentials.h"

G_BEGIN_DECLS

/* How long a sign-in waits for the browser to come back. */
#define POPBELL_OAUTH2_SIGN_IN_TIMEOUT_S 300

/* Called once with the provider's sign-in address, before the browser is
 * asked to open it: show it to the user (the CLI prints it), who can open
 * it by hand if no browser starts. */
typedef void (*PopbellOAuth2UriFunc) (const gchar *uri, gpointer user_data);

/**
 * popbell_oauth2_sign_in_async:
 * @account: an account with auth=oauth2 and oauth2-source=builtin
 * @refresh_tokens: where the refresh token goes (schema io.github.popbell.OAuth2)
 * @launch_browser: FALSE to only report the address (tests of the flow
 *   itself; the CLI and the editor pass TRUE)
 *
 * The authorization-code flow for installed applications (RFC 8252): listen
 * on 127.0.0.1 on a port the kernel picks, open the provider's page in the
 * default browser with a PKCE challenge (RFC 7636, S256) and a random
 * `state`, take the redirect (checking `state`; anything else on the port is
 * answered 404 and ignored), exchange the code at the token endpoint,
 * and store the refresh token in the Secret Service.
 *
 * Errors: POPBELL_ERROR: CONFIG (settings), AUTH (the user or provider
 * refused; no refresh token issued), TIMEOUT (no answer within
 * POPBELL_OAUTH2_SIGN_IN_TIMEOUT_S), NETWORK/TLS/SERVER/PROTOCOL (the token
 * endpoint), KEYRING; G_IO_ERROR_CANCELLED.
 */
void     popbell_oauth2_sign_in_async  (PopbellAccount       *account,
                                        PopbellCredentials   *refresh_tokens,
                                        gboolean              launch_browser,
                                        PopbellOAuth2UriFunc  uri_ready,
                                        gpointer              uri_data,
                                        GCancellable         *cancellable,
                                        GAsyncReadyCallback   callback,
                                        gpointer              user_data);
gboolean popbell_oauth2_sign_in_finish (GAsyncResult         *result,
                                        GError              **error);

/* RFC 7636 §4.2: BASE64URL(SHA256(ASCII(verifier))), no padding. Exposed
 * for tests. (transfer full) */
gchar   *popbell_oauth2_pkce_challenge (const gchar *verifier);

G_END_DECLS
