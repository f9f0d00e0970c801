/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-mail-summary.h"

#include "popbell-header-decode.h"
#include "popbell-text.h"

struct _PopbellMailSummary
{
  gatomicrefcount  ref_count;

  gchar           *account_name;  /* (owned) */
  gchar           *uid;           /* (owned) (nullable): server without UIDL */
  guint            index;
  guint64          size;
  gchar           *from;          /* (owned) sanitized, shortened */
  gchar           *subject;       /* (owned) sanitized, shortened */
  GDateTime       *date;          /* (owned) (nullable) */
};

G_DEFINE_BOXED_TYPE (PopbellMailSummary, popbell_mail_summary,
                     popbell_mail_summary_ref, popbell_mail_summary_unref)

PopbellMailSummary *
popbell_mail_summary_new (const gchar *account_name,
                          const gchar *uid,
                          guint        index,
                          guint64      size,
                          const gchar *from,
                          const gchar *subject,
                          GDateTime   *date)
{
  PopbellMailSummary *self;

  g_return_val_if_fail (account_name != NULL, NULL);

  self = g_new0 (PopbellMailSummary, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->account_name = g_strdup (account_name);
  self->uid = g_strdup (uid);
  self->index = index;
  self->size = size;
  self->from = popbell_text_sanitize_line (from, -1, POPBELL_TEXT_HEADER_MAX_CHARS);
  self->subject = popbell_text_sanitize_line (subject, -1, POPBELL_TEXT_HEADER_MAX_CHARS);
  self->date = date != NULL ? g_date_time_ref (date) : NULL;
  return self;
}

PopbellMailSummary *
popbell_mail_summary_new_from_headers (const gchar *account_name,
                                       const gchar *uid,
                                       guint        index,
                                       guint64      size,
                                       GBytes      *raw_headers)
{
  g_autoptr(PopbellHeaders) headers = NULL;
  gsize len = 0;
  const gchar *data = NULL;

  g_return_val_if_fail (account_name != NULL, NULL);

  if (raw_headers != NULL)
    data = g_bytes_get_data (raw_headers, &len);
  headers = popbell_headers_parse (data != NULL ? data : "", data != NULL ? len : 0);

  return popbell_mail_summary_new (account_name, uid, index, size,
                                   headers->from, headers->subject, headers->date);
}

PopbellMailSummary *
popbell_mail_summary_ref (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
popbell_mail_summary_unref (PopbellMailSummary *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->account_name);
  g_free (self->uid);
  g_free (self->from);
  g_free (self->subject);
  g_clear_pointer (&self->date, g_date_time_unref);
  g_free (self);
}

const gchar *
popbell_mail_summary_get_account_name (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->account_name;
}

const gchar *
popbell_mail_summary_get_uid (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->uid;
}

guint
popbell_mail_summary_get_index (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->index;
}

guint64
popbell_mail_summary_get_size (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->size;
}

const gchar *
popbell_mail_summary_get_from (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->from;
}

const gchar *
popbell_mail_summary_get_subject (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->subject;
}

GDateTime *
popbell_mail_summary_get_date (PopbellMailSummary *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->date;
}
