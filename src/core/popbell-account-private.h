/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-account.h"

G_BEGIN_DECLS

/* Shared by PopbellAccount and PopbellAccountStore. */

#define POPBELL_ACCOUNT_GROUP_PREFIX      "account "

#define POPBELL_ACCOUNT_KEY_HOST          "host"
#define POPBELL_ACCOUNT_KEY_PORT          "port"
#define POPBELL_ACCOUNT_KEY_SECURITY      "security"
#define POPBELL_ACCOUNT_KEY_USERNAME      "username"
#define POPBELL_ACCOUNT_KEY_AUTH          "auth"
#define POPBELL_ACCOUNT_KEY_INTERVAL      "interval"
#define POPBELL_ACCOUNT_KEY_TIMEOUT       "timeout"
#define POPBELL_ACCOUNT_KEY_ENABLED       "enabled"
#define POPBELL_ACCOUNT_KEY_ALLOW_INSECURE "allow-insecure-auth"
#define POPBELL_ACCOUNT_KEY_CA_FILE       "tls-ca-file"
#define POPBELL_ACCOUNT_KEY_PINNED_SHA256 "tls-pinned-sha256"
/* auth=oauth2 (SPEC §3): every key that starts with this prefix and is in
 * popbell_account_oauth2_keys() is an OAuth 2.0 setting. */
#define POPBELL_ACCOUNT_KEY_OAUTH2_PREFIX "oauth2-"
/* Never read, never written: its presence is a configuration error. */
#define POPBELL_ACCOUNT_KEY_PASSWORD      "password"

#define POPBELL_ACCOUNT_DEFAULT_INTERVAL  300
#define POPBELL_ACCOUNT_DEFAULT_TIMEOUT   30
#define POPBELL_ACCOUNT_MIN_INTERVAL      60
/* A week: far beyond any sensible schedule, and far from guint overflow
 * when the scheduler converts to milliseconds. */
#define POPBELL_ACCOUNT_MAX_INTERVAL      (7 * 24 * 3600)
#define POPBELL_ACCOUNT_MAX_TIMEOUT       600

/* The port as configured; 0 when the default for the security applies. */
guint16  popbell_account_get_configured_port (PopbellAccount *self);

/* "AB:CD:…" upper case, or NULL when @text is not 64 hex digits (colons and
 * spaces between them allowed). (transfer full) */
gchar   *popbell_account_normalize_sha256 (const gchar *text);

/* Checks one key's value; on failure sets *@out_reason to a translated
 * fragment such as "the user name is missing". */
gboolean popbell_account_check_key (PopbellAccount  *self,
                                    const gchar     *key,
                                    gchar          **out_reason);

G_END_DECLS
