/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include "popbell-oauth2-token-source.h"

G_BEGIN_DECLS

/**
 * PopbellOAuth2CommandSource:
 *
 * The `command` token source: runs `oauth2-command` (split like a shell
 * command line by g_shell_parse_argv(), run without a shell) and takes the
 * first line of its standard output as the access token. This is how the
 * helpers people already use (oama, mutt_oauth2.py, pizauth, …) plug in.
 *
 * The command runs every time a token is asked for: such helpers keep their
 * own cache and know best when to refresh. After a rejection it runs with
 * POPBELL_OAUTH2_RENEW=1 in its environment, for helpers that can be told
 * to refresh. It must answer within the account's timeout (at least 30 s);
 * a command that fails is a CONFIG error naming its exit status and the
 * first line it wrote to standard error.
 */
#define POPBELL_TYPE_OAUTH2_COMMAND_SOURCE (popbell_oauth2_command_source_get_type ())
G_DECLARE_FINAL_TYPE (PopbellOAuth2CommandSource, popbell_oauth2_command_source,
                      POPBELL, OAUTH2_COMMAND_SOURCE, GObject)

PopbellTokenSource *popbell_oauth2_command_source_new (PopbellAccount *account);

G_END_DECLS
