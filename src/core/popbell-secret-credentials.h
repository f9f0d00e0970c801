/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-credentials.h"

G_BEGIN_DECLS

/**
 * PopbellSecretCredentials:
 *
 * #PopbellCredentials in the Secret Service (libsecret), schema
 * `io.github.popbell.Account` with attributes `host` and `user`, stored in
 * the default collection. A lookup never triggers an unlock prompt: a locked
 * collection is reported as LOCKED, and the default collection's Locked
 * property (and the service's appearance on the bus) is then watched to emit
 * ::unlocked.
 */
#define POPBELL_TYPE_SECRET_CREDENTIALS (popbell_secret_credentials_get_type ())
G_DECLARE_FINAL_TYPE (PopbellSecretCredentials, popbell_secret_credentials, POPBELL, SECRET_CREDENTIALS, GObject)

PopbellCredentials *popbell_secret_credentials_new (void);
/* The same for OAuth 2.0 refresh tokens: schema `io.github.popbell.OAuth2`
 * (attributes `host`, `user`), SPEC §3. */
PopbellCredentials *popbell_secret_credentials_new_oauth2 (void);

G_END_DECLS
