/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-account-status-private.h"

struct _PopbellAccountStatus
{
  gatomicrefcount         ref_count;
  gchar                  *name;
  guint                   unseen;
  guint                   messages;
  GDateTime              *last_success;  /* (owned) (nullable) */
  GDateTime              *next_check;    /* (owned) (nullable) */
  PopbellNextCheckReason  next_reason;
  guint                   login_delay;
  GError                 *error;         /* (owned) (nullable) */
  gboolean                needs_attention;
  gchar                  *certificate_sha256;
  gboolean                stale;
  gboolean                has_problem;
  guint                   problem_episode;
  GError                 *save_error;    /* (owned) (nullable) */
};

G_DEFINE_BOXED_TYPE (PopbellAccountStatus, popbell_account_status,
                     popbell_account_status_ref, popbell_account_status_unref)

static GDateTime *
date_time_from_us (gint64 us)
{
  g_autoptr(GDateTime) seconds = NULL;

  if (us <= 0)
    return NULL;
  seconds = g_date_time_new_from_unix_local (us / G_USEC_PER_SEC);
  return g_date_time_add (seconds, us % G_USEC_PER_SEC);
}

PopbellAccountStatus *
popbell_account_status_new (const gchar            *name,
                            guint                   unseen,
                            guint                   messages,
                            gint64                  last_success,
                            gint64                  next_check,
                            PopbellNextCheckReason  next_reason,
                            guint                   login_delay,
                            const GError           *error,
                            gboolean                needs_attention,
                            const gchar            *certificate_sha256,
                            gboolean                stale,
                            gboolean                has_problem,
                            guint                   problem_episode,
                            const GError           *save_error)
{
  PopbellAccountStatus *self = g_new0 (PopbellAccountStatus, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->name = g_strdup (name);
  self->unseen = unseen;
  self->messages = messages;
  self->last_success = date_time_from_us (last_success);
  self->next_check = date_time_from_us (next_check);
  self->next_reason = next_reason;
  self->login_delay = login_delay;
  self->error = error != NULL ? g_error_copy (error) : NULL;
  self->needs_attention = needs_attention;
  self->certificate_sha256 = g_strdup (certificate_sha256);
  self->stale = stale;
  self->has_problem = has_problem;
  self->problem_episode = problem_episode;
  self->save_error = save_error != NULL ? g_error_copy (save_error) : NULL;
  return self;
}

PopbellAccountStatus *
popbell_account_status_ref (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
popbell_account_status_unref (PopbellAccountStatus *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->name);
  g_clear_pointer (&self->last_success, g_date_time_unref);
  g_clear_pointer (&self->next_check, g_date_time_unref);
  g_clear_error (&self->error);
  g_free (self->certificate_sha256);
  g_clear_error (&self->save_error);
  g_free (self);
}

const gchar *
popbell_account_status_get_name (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

guint
popbell_account_status_get_unseen (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->unseen;
}

guint
popbell_account_status_get_messages (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->messages;
}

GDateTime *
popbell_account_status_get_last_success (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->last_success;
}

GDateTime *
popbell_account_status_get_next_check (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->next_check;
}

PopbellNextCheckReason
popbell_account_status_get_next_reason (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, POPBELL_NEXT_CHECK_DISABLED);
  return self->next_reason;
}

guint
popbell_account_status_get_login_delay (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->login_delay;
}

const GError *
popbell_account_status_get_error (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error;
}

gboolean
popbell_account_status_needs_attention (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->needs_attention;
}

const gchar *
popbell_account_status_get_certificate_sha256 (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->certificate_sha256;
}

gboolean
popbell_account_status_is_stale (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->stale;
}

gboolean
popbell_account_status_has_problem (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->has_problem;
}

guint
popbell_account_status_get_problem_episode (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->problem_episode;
}

const GError *
popbell_account_status_get_save_error (PopbellAccountStatus *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->save_error;
}
