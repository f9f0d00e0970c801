/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Placeholder until the check engine lands (issue 3). */
#include "popbell-cli.h"

int
popbell_cli_check_once (const gchar *account_name, gboolean json)
{
  g_printerr ("popbell: --check-once is not implemented yet\n");
  return 2;
}

int
popbell_cli_set_password (const gchar *account_name)
{
  g_printerr ("popbell: --set-password is not implemented yet\n");
  return 2;
}

int
popbell_cli_show_newest (const gchar *account_name)
{
  g_printerr ("popbell: --show-newest is not implemented yet\n");
  return 2;
}
