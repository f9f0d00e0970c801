/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * PopbellMailSummary:
 *
 * Immutable, reference-counted headers of one message as a check found it:
 * UTF-8 strings decoded from RFC 2047, safe to show (valid UTF-8, no control
 * characters, shortened). Never markup-escaped: the UI escapes.
 *
 * popbell_mail_summary_new() sanitizes @from and @subject too
 * (popbell_text_sanitize_line(), POPBELL_TEXT_HEADER_MAX_CHARS); NULL is "".
 * @uid may be NULL (a server without UIDL).
 */
typedef struct _PopbellMailSummary PopbellMailSummary;

#define POPBELL_TYPE_MAIL_SUMMARY (popbell_mail_summary_get_type ())
GType popbell_mail_summary_get_type (void) G_GNUC_CONST;

PopbellMailSummary *popbell_mail_summary_new   (const gchar *account_name,
                                                const gchar *uid,
                                                guint        index,
                                                guint64      size,
                                                const gchar *from,
                                                const gchar *subject,
                                                GDateTime   *date);
/* Decodes the header block of "TOP n 0" (popbell_headers_parse()), and
 * shortens from and subject to POPBELL_TEXT_HEADER_MAX_CHARS. */
PopbellMailSummary *popbell_mail_summary_new_from_headers (const gchar *account_name,
                                                           const gchar *uid,
                                                           guint        index,
                                                           guint64      size,
                                                           GBytes      *raw_headers);
PopbellMailSummary *popbell_mail_summary_ref   (PopbellMailSummary *self);
void                popbell_mail_summary_unref (PopbellMailSummary *self);

const gchar *popbell_mail_summary_get_account_name (PopbellMailSummary *self);
const gchar *popbell_mail_summary_get_uid     (PopbellMailSummary *self); /* (nullable): no UIDL */
guint        popbell_mail_summary_get_index   (PopbellMailSummary *self);
guint64      popbell_mail_summary_get_size    (PopbellMailSummary *self);
const gchar *popbell_mail_summary_get_from    (PopbellMailSummary *self); /* never NULL, may be "" */
const gchar *popbell_mail_summary_get_subject (PopbellMailSummary *self); /* never NULL, may be "" */
GDateTime   *popbell_mail_summary_get_date    (PopbellMailSummary *self); /* (nullable) */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellMailSummary, popbell_mail_summary_unref)

G_END_DECLS
