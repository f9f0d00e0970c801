/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-oauth2-token-source.h"

G_BEGIN_DECLS

/**
 * PopbellOAuth2GoaSource:
 *
 * The `goa` token source: GNOME Online Accounts holds the sign-in; Popbell
 * asks the account `oauth2-goa-id` for an access token
 * (org.gnome.OnlineAccounts.OAuth2Based.GetAccessToken). After a rejection
 * it first asks GOA to check the credentials (EnsureCredentials), which
 * renews them. A missing account, one whose mail is switched off, or one GOA
 * needs the user for is AUTH, pointing to GNOME Settings.
 */
#define POPBELL_TYPE_OAUTH2_GOA_SOURCE (popbell_oauth2_goa_source_get_type ())
G_DECLARE_FINAL_TYPE (PopbellOAuth2GoaSource, popbell_oauth2_goa_source,
                      POPBELL, OAUTH2_GOA_SOURCE, GObject)

PopbellTokenSource *popbell_oauth2_goa_source_new (PopbellAccount *account);

/* One account of GNOME Online Accounts that can give an OAuth 2.0 token
 * for mail: for the account editor's list. */
typedef struct {
  gchar *id;        /* (owned) the value for oauth2-goa-id */
  gchar *provider;  /* (owned) e.g. "Google" */
  gchar *identity;  /* (owned) e.g. "alice@gmail.com" */
  gchar *email;     /* (owned) (nullable) the mail address, if GOA knows it */
} PopbellGoaAccountInfo;

void popbell_goa_account_info_free (PopbellGoaAccountInfo *info);

/* (element-type PopbellGoaAccountInfo) (transfer full): empty when GOA
 * does not run. Errors: G_IO_ERROR_CANCELLED only. */
void       popbell_oauth2_goa_list_accounts_async  (GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GPtrArray *popbell_oauth2_goa_list_accounts_finish (GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
