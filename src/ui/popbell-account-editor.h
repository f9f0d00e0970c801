/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gtk/gtk.h>

#include "popbell-engine.h"

G_BEGIN_DECLS

/**
 * PopbellAccountEditor:
 *
 * A modal window that edits every key of one `[account NAME]` group (SPEC
 * §3) and its password. "Save" validates (errors are shown inline, on the
 * field), puts the account into the engine's store, applies it (so it takes
 * effect at once) and stores a typed password in the keyring through the
 * engine; the password never reaches a file. "Test connection" runs one real
 * session with the values as typed; a certificate failure offers to pin the
 * server's certificate.
 *
 * Signals:
 * - ::saved (const gchar *account_name): the account was saved and applied;
 *   the window closes itself right after.
 */
#define POPBELL_TYPE_ACCOUNT_EDITOR (popbell_account_editor_get_type ())
G_DECLARE_FINAL_TYPE (PopbellAccountEditor, popbell_account_editor, POPBELL, ACCOUNT_EDITOR,
                      GtkWindow)

/* @account_name: (nullable) the account to edit, NULL for a new one. */
GtkWidget *popbell_account_editor_new (GtkWindow     *parent,
                                       PopbellEngine *engine,
                                       const gchar   *account_name);

/* Where an editor opened for a problem starts. */
typedef enum {
  POPBELL_ACCOUNT_EDITOR_FOCUS_NONE,
  POPBELL_ACCOUNT_EDITOR_FOCUS_PASSWORD,  /* the password was rejected */
  POPBELL_ACCOUNT_EDITOR_FOCUS_TRUST,     /* the certificate was refused */
} PopbellAccountEditorFocus;

/* Prepares the editor for the remedy of @problem (nullable, the account's
 * last error): the password field focused, or the certificate that was
 * refused offered to trust (the same flow as after Test connection: the
 * user compares the fingerprint, then "Trust" pins it and tests again). */
void       popbell_account_editor_focus (PopbellAccountEditor      *self,
                                         PopbellAccountEditorFocus  focus,
                                         const GError              *problem);

/* TRUE while a test or a save runs, for tests. */
gboolean   popbell_account_editor_is_busy (PopbellAccountEditor *self);

/* Normalises a user-typed fingerprint (case, colons, spaces) to upper-case
 * colon-separated hex; NULL when it is not 32 bytes of hex. */
gchar     *popbell_account_editor_normalize_fingerprint (const gchar *text);

G_END_DECLS
