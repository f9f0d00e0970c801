/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-check-result.h"

#include "popbell-error.h"

struct _PopbellCheckResult
{
  gatomicrefcount  ref_count;

  gchar           *account_name;   /* (owned) */
  GError          *error;          /* (owned) (nullable); a POPBELL_ERROR; NULL ⇔ ok */
  GDateTime       *retry_after;    /* (owned) (nullable) */
  gboolean         first_check;
  guint            messages;
  guint64          size;
  guint            new_count;
  guint            unseen_count;
  GPtrArray       *new_messages;   /* (owned) (element-type PopbellMailSummary); never NULL */
  gchar           *note;           /* (owned) (nullable) */
  GDateTime       *time;           /* (owned) */
};

G_DEFINE_BOXED_TYPE (PopbellCheckResult, popbell_check_result,
                     popbell_check_result_ref, popbell_check_result_unref)

static PopbellCheckResult *
check_result_new (const gchar *account_name,
                  GDateTime   *time)
{
  PopbellCheckResult *self = g_new0 (PopbellCheckResult, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->account_name = g_strdup (account_name);
  self->new_messages = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_mail_summary_unref);
  self->time = time != NULL ? g_date_time_ref (time) : g_date_time_new_now_local ();
  return self;
}

PopbellCheckResult *
popbell_check_result_new_ok (const gchar *account_name,
                             gboolean     first_check,
                             guint        messages,
                             guint64      size,
                             guint        new_count,
                             guint        unseen_count,
                             GPtrArray   *new_messages,
                             const gchar *note,
                             GDateTime   *time)
{
  PopbellCheckResult *self;

  g_return_val_if_fail (account_name != NULL, NULL);

  self = check_result_new (account_name, time);
  self->first_check = first_check;
  self->messages = messages;
  self->size = size;
  self->new_count = new_count;
  self->unseen_count = unseen_count;
  self->note = g_strdup (note);
  for (guint i = 0; new_messages != NULL && i < new_messages->len; i++)
    g_ptr_array_add (self->new_messages,
                     popbell_mail_summary_ref (g_ptr_array_index (new_messages, i)));
  return self;
}

PopbellCheckResult *
popbell_check_result_new_error (const gchar  *account_name,
                                const GError *error,
                                GDateTime    *retry_after,
                                guint         unseen_count,
                                GDateTime    *time)
{
  PopbellCheckResult *self;

  g_return_val_if_fail (account_name != NULL, NULL);
  g_return_val_if_fail (error != NULL, NULL);

  self = check_result_new (account_name, time);
  if (error->domain == POPBELL_ERROR)
    self->error = g_error_copy (error);
  else
    self->error = popbell_error_from_pop3 (error, account_name);
  self->retry_after = retry_after != NULL ? g_date_time_ref (retry_after) : NULL;
  self->unseen_count = unseen_count;
  return self;
}

PopbellCheckResult *
popbell_check_result_ref (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
popbell_check_result_unref (PopbellCheckResult *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->account_name);
  g_clear_error (&self->error);
  g_clear_pointer (&self->retry_after, g_date_time_unref);
  g_ptr_array_unref (self->new_messages);
  g_free (self->note);
  g_date_time_unref (self->time);
  g_free (self);
}

const gchar *
popbell_check_result_get_account_name (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->account_name;
}

gboolean
popbell_check_result_is_ok (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->error == NULL;
}

const GError *
popbell_check_result_get_error (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->error;
}

const gchar *
popbell_check_result_get_error_kind (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (self->error == NULL || self->error->domain != POPBELL_ERROR)
    return NULL;
  return popbell_error_kind_to_string (self->error->code);
}

GDateTime *
popbell_check_result_get_retry_after (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->retry_after;
}

gboolean
popbell_check_result_is_first_check (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->first_check;
}

guint
popbell_check_result_get_messages (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->messages;
}

guint64
popbell_check_result_get_size (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->size;
}

guint
popbell_check_result_get_new_count (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->new_count;
}

guint
popbell_check_result_get_unseen_count (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->unseen_count;
}

GPtrArray *
popbell_check_result_get_new_messages (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->new_messages;
}

const gchar *
popbell_check_result_get_note (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->note;
}

GDateTime *
popbell_check_result_get_time (PopbellCheckResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->time;
}
