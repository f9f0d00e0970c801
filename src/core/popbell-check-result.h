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

PopbellCheckResult *popbell_check_result_ref   (PopbellCheckResult *self);
void                popbell_check_result_unref (PopbellCheckResult *self);

const gchar  *popbell_check_result_get_account_name (PopbellCheckResult *self);
gboolean      popbell_check_result_is_ok            (PopbellCheckResult *self);
/* (nullable) the failure; a POPBELL_ERROR. */
const GError *popbell_check_result_get_error        (PopbellCheckResult *self);
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
