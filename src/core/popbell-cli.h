/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The headless commands of SPEC §2. Each runs its own main loop, needs no
 * display, prints its result on stdout and errors on stderr, and returns the
 * exit status: 0 all went well, 1 an account failed, 2 usage or
 * configuration error. */
int popbell_cli_check_once   (const gchar *account_name /* nullable: all enabled */,
                              gboolean     json);
int popbell_cli_set_password (const gchar *account_name);   /* reads stdin */
int popbell_cli_show_newest  (const gchar *account_name);
/* --diagnostics NAME: the redacted report on stdout (SPEC §5); 0 when the
 * session logged in, 1 when it failed (the report says where), 2 for a
 * usage or configuration error. */
int popbell_cli_diagnostics  (const gchar *account_name);
/* auth=oauth2, oauth2-source=builtin: the browser sign-in (prints the
 * address too), then the refresh token goes to the keyring. */
int popbell_cli_sign_in      (const gchar *account_name);

G_END_DECLS
