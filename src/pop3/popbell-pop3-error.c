/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-pop3-error.h"

/* Structured data that travels with an error (STYLE §10: never parsed
 * back out of the message). Copied with the error. */
typedef struct {
  gchar *certificate_sha256;
  gchar *oauth2_status;
} PopbellPop3ErrorPrivate;

static void
popbell_pop3_error_private_init (PopbellPop3ErrorPrivate *priv)
{
}

static void
popbell_pop3_error_private_copy (const PopbellPop3ErrorPrivate *src,
                                 PopbellPop3ErrorPrivate       *dest)
{
  if (src == NULL || dest == NULL)
    return;
  dest->certificate_sha256 = g_strdup (src->certificate_sha256);
  dest->oauth2_status = g_strdup (src->oauth2_status);
}

static void
popbell_pop3_error_private_clear (PopbellPop3ErrorPrivate *priv)
{
  if (priv == NULL)   /* never, but the generated caller does not say so */
    return;
  g_clear_pointer (&priv->certificate_sha256, g_free);
  g_clear_pointer (&priv->oauth2_status, g_free);
}

G_DEFINE_EXTENDED_ERROR (PopbellPop3Error, popbell_pop3_error)

const gchar *
popbell_pop3_error_get_certificate_sha256 (const GError *error)
{
  /* Any GError may be asked: only ours carry the extra data. */
  PopbellPop3ErrorPrivate *priv = error != NULL && error->domain == POPBELL_POP3_ERROR
                                    ? popbell_pop3_error_get_private (error) : NULL;

  return priv != NULL ? priv->certificate_sha256 : NULL;
}

const gchar *
popbell_pop3_error_get_oauth2_status (const GError *error)
{
  /* Any GError may be asked: only ours carry the extra data. */
  PopbellPop3ErrorPrivate *priv = error != NULL && error->domain == POPBELL_POP3_ERROR
                                    ? popbell_pop3_error_get_private (error) : NULL;

  return priv != NULL ? priv->oauth2_status : NULL;
}

void
popbell_pop3_error_set_certificate_sha256 (GError *error, const gchar *sha256)
{
  PopbellPop3ErrorPrivate *priv;

  g_return_if_fail (error != NULL);
  priv = popbell_pop3_error_get_private (error);
  g_return_if_fail (priv != NULL);
  g_free (priv->certificate_sha256);
  priv->certificate_sha256 = g_strdup (sha256);
}

void
popbell_pop3_error_set_oauth2_status (GError *error, const gchar *status)
{
  PopbellPop3ErrorPrivate *priv;

  g_return_if_fail (error != NULL);
  priv = popbell_pop3_error_get_private (error);
  g_return_if_fail (priv != NULL);
  g_free (priv->oauth2_status);
  priv->oauth2_status = g_strdup (status);
}
