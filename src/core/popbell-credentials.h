/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * PopbellCredentialsError:
 * @POPBELL_CREDENTIALS_ERROR_NO_SERVICE: no Secret Service answers (no session
 *   bus, or nothing owns or can activate org.freedesktop.secrets).
 * @POPBELL_CREDENTIALS_ERROR_LOCKED: the keyring holding (or meant to hold)
 *   the password is locked, or the unlock prompt was dismissed. A lookup never
 *   prompts: it reports LOCKED and the caller waits for ::unlocked.
 * @POPBELL_CREDENTIALS_ERROR_NOT_FOUND: no password stored for (host, user).
 * @POPBELL_CREDENTIALS_ERROR_FAILED: anything else; the message says what.
 */
typedef enum {
  POPBELL_CREDENTIALS_ERROR_NO_SERVICE,
  POPBELL_CREDENTIALS_ERROR_LOCKED,
  POPBELL_CREDENTIALS_ERROR_NOT_FOUND,
  POPBELL_CREDENTIALS_ERROR_FAILED,
} PopbellCredentialsError;

#define POPBELL_CREDENTIALS_ERROR (popbell_credentials_error_quark ())
GQuark popbell_credentials_error_quark (void);

/**
 * PopbellCredentials:
 *
 * Where passwords live, keyed by (host, user) — SPEC §1: Secret Service
 * schema `io.github.popbell.Account`, attributes `host` and `user`.
 * Implementations: #PopbellSecretCredentials (libsecret) and
 * #PopbellMemoryCredentials (tests).
 *
 * All operations are asynchronous, take the owner's cancellable and call back
 * once in the caller's thread-default main context.
 *
 * Signals:
 * - ::unlocked: the store may now answer where it answered LOCKED or
 *   NO_SERVICE before (the keyring was unlocked, or a Secret Service
 *   appeared). Implementations start watching once an operation reported
 *   LOCKED or NO_SERVICE, so an auto-login desktop is waited for, not nagged.
 */
#define POPBELL_TYPE_CREDENTIALS (popbell_credentials_get_type ())
G_DECLARE_INTERFACE (PopbellCredentials, popbell_credentials, POPBELL, CREDENTIALS, GObject)

struct _PopbellCredentialsInterface
{
  GTypeInterface parent_iface;

  void      (*lookup_async)  (PopbellCredentials  *self,
                              const gchar         *host,
                              const gchar         *user,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
  gchar    *(*lookup_finish) (PopbellCredentials  *self,
                              GAsyncResult        *result,
                              GError             **error);
  void      (*store_async)   (PopbellCredentials  *self,
                              const gchar         *host,
                              const gchar         *user,
                              const gchar         *label,
                              const gchar         *password,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
  gboolean  (*store_finish)  (PopbellCredentials  *self,
                              GAsyncResult        *result,
                              GError             **error);
  void      (*clear_async)   (PopbellCredentials  *self,
                              const gchar         *host,
                              const gchar         *user,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
  gboolean  (*clear_finish)  (PopbellCredentials  *self,
                              GAsyncResult        *result,
                              GError             **error);
};

/* Looks up the password without ever showing an unlock prompt.
 * Returns: (transfer full): free it with popbell_credentials_free_password().
 * Errors: POPBELL_CREDENTIALS_ERROR_*, G_IO_ERROR_CANCELLED. */
void      popbell_credentials_lookup_async  (PopbellCredentials  *self,
                                             const gchar         *host,
                                             const gchar         *user,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gchar    *popbell_credentials_lookup_finish (PopbellCredentials  *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Stores (or replaces) the password in the default keyring, labelled @label
 * (NULL: "Popbell: USER@HOST"). The user asked for this, so unlocking the
 * keyring may prompt. Errors: POPBELL_CREDENTIALS_ERROR_*. */
void      popbell_credentials_store_async   (PopbellCredentials  *self,
                                             const gchar         *host,
                                             const gchar         *user,
                                             const gchar         *label,
                                             const gchar         *password,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean  popbell_credentials_store_finish  (PopbellCredentials  *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Removes the password; nothing stored is success. Errors: as store. */
void      popbell_credentials_clear_async   (PopbellCredentials  *self,
                                             const gchar         *host,
                                             const gchar         *user,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean  popbell_credentials_clear_finish  (PopbellCredentials  *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Overwrites the password's memory, then frees it. NULL is fine. */
void      popbell_credentials_free_password (gchar *password);
/* Overwrites every byte of @password (nullable) up to its terminator with
 * zeros, in a way the compiler cannot drop. free_password() wipes with it. */
void      popbell_credentials_wipe_password (gchar *password);

/* Emits ::unlocked. For implementations. */
void      popbell_credentials_emit_unlocked (PopbellCredentials *self);

/**
 * popbell_credentials_error_to_popbell:
 * @error: a #POPBELL_CREDENTIALS_ERROR (other domains become FAILED)
 * @account_name: the account named in the sentence
 *
 * Returns: (transfer full): a #POPBELL_ERROR_KEYRING with one sentence saying
 * what to do (install/start a Secret Service, unlock the keyring, store the
 * password with `popbell --set-password NAME`). G_IO_ERROR_CANCELLED is
 * returned unchanged.
 */
GError   *popbell_credentials_error_to_popbell (const GError *error,
                                                const gchar  *account_name);

G_END_DECLS
