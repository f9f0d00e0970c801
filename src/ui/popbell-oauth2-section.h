/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gtk/gtk.h>

#include "popbell-account.h"

G_BEGIN_DECLS

/**
 * PopbellOAuth2Section:
 *
 * The "OAuth 2.0" part of the account editor (SPEC §3, auth=oauth2): where
 * the token comes from — a GNOME Online Accounts account chosen from those
 * GOA has, a command, or Popbell's own sign-in (provider, client ID, and a
 * "Sign in…" button that runs the browser sign-in and shows its result).
 *
 * Signals:
 * - ::sign-in-requested: the user pressed "Sign in…"; the editor builds the
 *   account from all its fields and calls popbell_oauth2_section_sign_in().
 * - ::signed-in: the sign-in stored a new refresh token.
 */
#define POPBELL_TYPE_OAUTH2_SECTION (popbell_oauth2_section_get_type ())
G_DECLARE_FINAL_TYPE (PopbellOAuth2Section, popbell_oauth2_section, POPBELL, OAUTH2_SECTION, GtkGrid)

GtkWidget *popbell_oauth2_section_new    (void);
/* Fills the fields from the account's oauth2-* settings. */
void       popbell_oauth2_section_load   (PopbellOAuth2Section *self, PopbellAccount *account);
/* Writes the fields into @account's oauth2-* settings; the keys of the
 * other sources are cleared so that the file says only what is used. */
void       popbell_oauth2_section_apply  (PopbellOAuth2Section *self, PopbellAccount *account);
/* The browser sign-in for @account (built from the editor's fields); the
 * section shows the address while waiting, then the outcome. */
void       popbell_oauth2_section_sign_in (PopbellOAuth2Section *self, PopbellAccount *account);
/* The field the user must fix for an error naming @key ("oauth2-…"), or NULL. */
GtkWidget *popbell_oauth2_section_field_for_key (PopbellOAuth2Section *self, const gchar *key);

G_END_DECLS
