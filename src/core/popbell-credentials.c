/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-credentials.h"

#include <glib/gi18n.h>
#include <string.h>

#include "popbell-error.h"

G_DEFINE_QUARK (popbell-credentials-error-quark, popbell_credentials_error)

G_DEFINE_INTERFACE (PopbellCredentials, popbell_credentials, G_TYPE_OBJECT)

enum {
  SIGNAL_UNLOCKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
popbell_credentials_default_init (PopbellCredentialsInterface *iface)
{
  signals[SIGNAL_UNLOCKED] =
    g_signal_new ("unlocked", G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

void
popbell_credentials_lookup_async (PopbellCredentials  *self,
                                  const gchar         *host,
                                  const gchar         *user,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (POPBELL_IS_CREDENTIALS (self));
  g_return_if_fail (host != NULL && user != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  POPBELL_CREDENTIALS_GET_IFACE (self)->lookup_async (self, host, user, cancellable,
                                                      callback, user_data);
}

gchar *
popbell_credentials_lookup_finish (PopbellCredentials  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (POPBELL_IS_CREDENTIALS (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return POPBELL_CREDENTIALS_GET_IFACE (self)->lookup_finish (self, result, error);
}

void
popbell_credentials_store_async (PopbellCredentials  *self,
                                 const gchar         *host,
                                 const gchar         *user,
                                 const gchar         *label,
                                 const gchar         *password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autofree gchar *default_label = NULL;

  g_return_if_fail (POPBELL_IS_CREDENTIALS (self));
  g_return_if_fail (host != NULL && user != NULL && password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (label == NULL)
    label = default_label = g_strdup_printf ("Popbell: %s@%s", user, host);

  POPBELL_CREDENTIALS_GET_IFACE (self)->store_async (self, host, user, label, password,
                                                     cancellable, callback, user_data);
}

gboolean
popbell_credentials_store_finish (PopbellCredentials  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (POPBELL_IS_CREDENTIALS (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return POPBELL_CREDENTIALS_GET_IFACE (self)->store_finish (self, result, error);
}

void
popbell_credentials_clear_async (PopbellCredentials  *self,
                                 const gchar         *host,
                                 const gchar         *user,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (POPBELL_IS_CREDENTIALS (self));
  g_return_if_fail (host != NULL && user != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  POPBELL_CREDENTIALS_GET_IFACE (self)->clear_async (self, host, user, cancellable,
                                                     callback, user_data);
}

gboolean
popbell_credentials_clear_finish (PopbellCredentials  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (POPBELL_IS_CREDENTIALS (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return POPBELL_CREDENTIALS_GET_IFACE (self)->clear_finish (self, result, error);
}

void
popbell_credentials_wipe_password (gchar *password)
{
  gsize len;

  if (password == NULL)
    return;
  len = strlen (password);
  /* A volatile pointer so the compiler cannot drop the wipe as a dead store
   * before free(). (Stopping at the first zero byte written, as a loop on
   * *p did, is the same here; the length first makes the intent plain.) */
  for (volatile gchar *p = password; len > 0; p++, len--)
    *p = '\0';
}

void
popbell_credentials_free_password (gchar *password)
{
  popbell_credentials_wipe_password (password);
  g_free (password);
}

void
popbell_credentials_emit_unlocked (PopbellCredentials *self)
{
  g_return_if_fail (POPBELL_IS_CREDENTIALS (self));
  g_signal_emit (self, signals[SIGNAL_UNLOCKED], 0);
}

GError *
popbell_credentials_error_to_popbell (const GError *error,
                                      const gchar  *account_name)
{
  g_autofree gchar *sentence = NULL;
  gboolean with_detail = FALSE;

  g_return_val_if_fail (error != NULL, NULL);
  g_return_val_if_fail (account_name != NULL, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (error->domain != POPBELL_CREDENTIALS_ERROR)
    with_detail = TRUE;
  else
    switch ((PopbellCredentialsError) error->code)
      {
      case POPBELL_CREDENTIALS_ERROR_NO_SERVICE:
        sentence = g_strdup_printf (_("Account “%s”: no keyring service is running, so the "
                                      "password cannot be read. Install and start "
                                      "gnome-keyring or another Secret Service."), account_name);
        break;
      case POPBELL_CREDENTIALS_ERROR_LOCKED:
        sentence = g_strdup_printf (_("Account “%s”: the keyring is locked. Unlock your "
                                      "keyring; Popbell will check as soon as it is "
                                      "unlocked."), account_name);
        break;
      case POPBELL_CREDENTIALS_ERROR_NOT_FOUND:
        sentence = g_strdup_printf (_("Account “%s”: no password is stored. Store it with "
                                      "popbell --set-password %s or in Preferences."),
                                    account_name, account_name);
        break;
      case POPBELL_CREDENTIALS_ERROR_FAILED:
      default:
        with_detail = TRUE;
        break;
      }

  if (with_detail)
    {
      g_autofree gchar *detail = g_strdup (error->message);

      g_strdelimit (detail, "\r\n", ' ');
      sentence = g_strdup_printf (_("Account “%s”: the keyring failed (%s). Check that your "
                                    "keyring works, then try again."), account_name, detail);
    }

  return g_error_new_literal (POPBELL_ERROR, POPBELL_ERROR_KEYRING, sentence);
}
