/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-pop3-client.h"

G_BEGIN_DECLS

/**
 * PopbellAccount:
 *
 * One `[account NAME]` group of accounts.ini (SPEC §3), validated. Treated as
 * an immutable settings snapshot: editing builds a new one and hands it to
 * popbell_account_store_put().
 */
#define POPBELL_TYPE_ACCOUNT (popbell_account_get_type ())
G_DECLARE_FINAL_TYPE (PopbellAccount, popbell_account, POPBELL, ACCOUNT, GObject)

PopbellAccount *popbell_account_new (const gchar *name);   /* defaults of SPEC §3 */
PopbellAccount *popbell_account_copy (PopbellAccount *self);

const gchar          *popbell_account_get_name        (PopbellAccount *self);
const gchar          *popbell_account_get_host        (PopbellAccount *self);
guint16               popbell_account_get_port        (PopbellAccount *self); /* default by security */
PopbellPop3Security   popbell_account_get_security    (PopbellAccount *self);
const gchar          *popbell_account_get_username    (PopbellAccount *self);
PopbellPop3AuthMethod popbell_account_get_auth        (PopbellAccount *self);
guint                 popbell_account_get_interval    (PopbellAccount *self); /* seconds */
guint                 popbell_account_get_timeout     (PopbellAccount *self); /* seconds */
gboolean              popbell_account_get_enabled     (PopbellAccount *self);
gboolean              popbell_account_get_allow_insecure_auth (PopbellAccount *self);
const gchar          *popbell_account_get_tls_ca_file (PopbellAccount *self); /* (nullable) */
const gchar          *popbell_account_get_tls_pinned_sha256 (PopbellAccount *self); /* (nullable) */

void popbell_account_set_host        (PopbellAccount *self, const gchar *host);
void popbell_account_set_port        (PopbellAccount *self, guint16 port); /* 0: default */
void popbell_account_set_security    (PopbellAccount *self, PopbellPop3Security security);
void popbell_account_set_username    (PopbellAccount *self, const gchar *username);
void popbell_account_set_auth        (PopbellAccount *self, PopbellPop3AuthMethod auth);
void popbell_account_set_interval    (PopbellAccount *self, guint seconds);
void popbell_account_set_timeout     (PopbellAccount *self, guint seconds);
void popbell_account_set_enabled     (PopbellAccount *self, gboolean enabled);
void popbell_account_set_allow_insecure_auth (PopbellAccount *self, gboolean allow);
void popbell_account_set_tls_ca_file (PopbellAccount *self, const gchar *path);
void popbell_account_set_tls_pinned_sha256 (PopbellAccount *self, const gchar *hex);

/* The OAuth 2.0 settings of SPEC §3, read and written like the other keys
 * but kept as text: what they mean is for the token sources
 * (popbell-oauth2-token-source.h). @key is one of popbell_account_oauth2_keys()
 * ("oauth2-source", "oauth2-command", ...). (nullable) when unset. */
const gchar         *popbell_account_get_oauth2 (PopbellAccount *self, const gchar *key);
void                 popbell_account_set_oauth2 (PopbellAccount *self, const gchar *key,
                                                 const gchar *value /* nullable: unset */);
/* NULL-terminated, in the order they are written to a new group. */
const gchar * const *popbell_account_oauth2_keys (void);

/* A fingerprint of the settings that matter for logging in (host, port,
 * security, username, auth, TLS options): an auth hold is lifted when it
 * changes. */
gchar *popbell_account_dup_settings_digest (PopbellAccount *self);

/* Checks a snapshot (host set, username set, interval >= floor, ...).
 * Errors: POPBELL_ERROR_CONFIG naming the account and the key. */
gboolean popbell_account_validate (PopbellAccount *self, GError **error);

/* Account names: non-empty, no control characters, no ']' (they become the
 * group name "account NAME"). */
gboolean popbell_account_name_is_valid (const gchar *name);

/* The interval floor: 60 s, or POPBELL_MIN_INTERVAL (>= 1) when set. */
guint popbell_account_get_min_interval (void);

/* The accounts.ini spellings: "tls", "starttls", "none" and "auto", "user",
 * "apop", "sasl-plain", "oauth2". _from_string returns FALSE for anything else. */
const gchar *popbell_account_security_to_string (PopbellPop3Security security);
gboolean     popbell_account_security_from_string (const gchar *text, PopbellPop3Security *out);
const gchar *popbell_account_auth_to_string (PopbellPop3AuthMethod auth);
gboolean     popbell_account_auth_from_string (const gchar *text, PopbellPop3AuthMethod *out);

/* A POP3 client set up from this account: host, port, security, timeout,
 * tls-ca-file, tls-pinned-sha256, allow-insecure-auth. (transfer full) */
PopbellPop3Client *popbell_account_create_client (PopbellAccount *self);

/**
 * PopbellAccountStore:
 *
 * accounts.ini: loads it (a malformed file is POPBELL_ERROR_CONFIG naming the
 * line, group or key, and is never replaced), saves it atomically keeping
 * keys and comments it does not know, emits ::changed when the file or the
 * accounts change.
 *
 * Signals:
 * - ::changed: after a successful load (also a reload) and after put/remove.
 *   A failed reload keeps the previous accounts and emits nothing.
 *
 * Load errors (all POPBELL_ERROR_CONFIG, message names the file):
 * - GKeyFile syntax: names the line ("…accounts.ini line 7: …");
 * - a bad value: names the group and key and the line
 *   ("…accounts.ini line 4, [account work] port: must be 1–65535");
 * - a `password=` key anywhere: refused, the user is told to move it into
 *   the keyring with `popbell --set-password NAME` (it is not read);
 * - two groups for the same account, a missing host/username.
 * Groups not named "account …" and unknown keys are kept untouched.
 */
#define POPBELL_TYPE_ACCOUNT_STORE (popbell_account_store_get_type ())
G_DECLARE_FINAL_TYPE (PopbellAccountStore, popbell_account_store, POPBELL, ACCOUNT_STORE, GObject)

/* $XDG_CONFIG_HOME/popbell/accounts.ini */
gchar               *popbell_account_store_default_path (void);
PopbellAccountStore *popbell_account_store_new   (const gchar *path);
const gchar         *popbell_account_store_get_path (PopbellAccountStore *self);
/* A missing file is an empty store, not an error. */
gboolean             popbell_account_store_load  (PopbellAccountStore *self, GError **error);
gboolean             popbell_account_store_save  (PopbellAccountStore *self, GError **error);
/* (element-type PopbellAccount) (transfer container), file order. */
GPtrArray           *popbell_account_store_list  (PopbellAccountStore *self);
/* (transfer none) (nullable) */
PopbellAccount      *popbell_account_store_lookup (PopbellAccountStore *self, const gchar *name);
/* Adds or replaces by name (does not save). */
void                 popbell_account_store_put    (PopbellAccountStore *self, PopbellAccount *account);
gboolean             popbell_account_store_remove (PopbellAccountStore *self, const gchar *name);

G_END_DECLS
