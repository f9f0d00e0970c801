/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-credentials.h"

G_BEGIN_DECLS

/* How the test double behaves, to simulate a keyring's states. */
typedef enum {
  POPBELL_MEMORY_CREDENTIALS_AVAILABLE,
  POPBELL_MEMORY_CREDENTIALS_LOCKED,       /* every call fails with LOCKED */
  POPBELL_MEMORY_CREDENTIALS_NO_SERVICE,   /* every call fails with NO_SERVICE */
  POPBELL_MEMORY_CREDENTIALS_FAILING,      /* every call fails with FAILED */
} PopbellMemoryCredentialsMode;

/**
 * PopbellMemoryCredentials:
 *
 * #PopbellCredentials in a hash table, for tests. Answers from an idle
 * callback, like a real service. Switching the mode from LOCKED or
 * NO_SERVICE to AVAILABLE emits ::unlocked.
 */
#define POPBELL_TYPE_MEMORY_CREDENTIALS (popbell_memory_credentials_get_type ())
G_DECLARE_FINAL_TYPE (PopbellMemoryCredentials, popbell_memory_credentials, POPBELL, MEMORY_CREDENTIALS, GObject)

PopbellMemoryCredentials *popbell_memory_credentials_new (void);

void popbell_memory_credentials_set_mode (PopbellMemoryCredentials     *self,
                                          PopbellMemoryCredentialsMode  mode);
/* Stores directly (synchronously), for test set-up. */
void popbell_memory_credentials_set (PopbellMemoryCredentials *self,
                                     const gchar              *host,
                                     const gchar              *user,
                                     const gchar              *password);
/* How many lookups were started since creation (to prove "wait, not nag"). */
guint popbell_memory_credentials_get_lookup_count (PopbellMemoryCredentials *self);

G_END_DECLS
