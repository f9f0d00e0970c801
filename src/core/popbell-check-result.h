/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib-object.h>

#include "popbell-mail-summary.h"

G_BEGIN_DECLS

/**
 * PopbellCheckResult:
 *
 * Immutable, reference-counted outcome of one check of one account: what
 * SPEC §4 prints for it. Either ok (counts and new messages) or failed (a
 * #POPBELL_ERROR).
 */
typedef struct _PopbellCheckResult PopbellCheckResult;

#define POPBELL_TYPE_CHECK_RESULT (popbell_check_result_get_type ())
GType popbell_check_result_get_type (void) G_GNUC_CONST;

/* A successful check. @new_messages: (element-type PopbellMailSummary)
 * (transfer none) (nullable), copied (the summaries are ref'ed). @time
 * (nullable): when the check finished, NULL for now. */
PopbellCheckResult *popbell_check_result_new_ok    (const gchar *account_name,
                                                    gboolean     first_check,
                                                    guint        messages,
                                                    guint64      size,
                                                    guint        new_count,
                                                    guint        unseen_count,
                                                    GPtrArray   *new_messages,
                                                    const gchar *note,
                                                    GDateTime   *time);
/* A failed check. @error is copied; one that is not a POPBELL_ERROR is
 * translated with popbell_error_from_pop3(). @retry_after (nullable): for
 * login-delay. @unseen_count: what the state still holds for the tray. */
PopbellCheckResult *popbell_check_result_new_error (const gchar  *account_name,
                                                    const GError *error,
                                                    GDateTime    *retry_after,
                                                    guint         unseen_count,
                                                    GDateTime    *time);
PopbellCheckResult *popbell_check_result_ref   (PopbellCheckResult *self);
void                popbell_check_result_unref (PopbellCheckResult *self);

const gchar  *popbell_check_result_get_account_name (PopbellCheckResult *self);
gboolean      popbell_check_result_is_ok            (PopbellCheckResult *self);
/* (nullable) the failure; a POPBELL_ERROR. */
const GError *popbell_check_result_get_error        (PopbellCheckResult *self);
/* The SPEC §4 error.kind ("auth", ...), NULL when ok. */
const gchar  *popbell_check_result_get_error_kind   (PopbellCheckResult *self);
/* (nullable) for login-delay: when a login is allowed again. */
GDateTime    *popbell_check_result_get_retry_after  (PopbellCheckResult *self);
gboolean      popbell_check_result_is_first_check   (PopbellCheckResult *self);
guint         popbell_check_result_get_messages     (PopbellCheckResult *self);
guint64       popbell_check_result_get_size         (PopbellCheckResult *self);
guint         popbell_check_result_get_new_count    (PopbellCheckResult *self);
guint         popbell_check_result_get_unseen_count (PopbellCheckResult *self);
/* (element-type PopbellMailSummary) (transfer none): the new messages whose
 * headers were fetched, server order (may be fewer than new_count). */
GPtrArray    *popbell_check_result_get_new_messages (PopbellCheckResult *self);
/* (nullable) why headers were not fetched, e.g. the server's EXPIRE 0. */
const gchar  *popbell_check_result_get_note         (PopbellCheckResult *self);
GDateTime    *popbell_check_result_get_time         (PopbellCheckResult *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellCheckResult, popbell_check_result_unref)

G_END_DECLS
