/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <json-glib/json-glib.h>

#include "popbell-check-result.h"

G_BEGIN_DECLS

/* One account of SPEC §4: name, ok, first_check, messages, size, new,
 * unseen, new_messages, error (null); or name, ok false, error {kind,
 * message} plus "retry_after" (ISO 8601) for login-delay. (transfer full) */
JsonNode *popbell_json_from_result  (PopbellCheckResult *result);
/* The whole document {"accounts": [...]}; @results: (element-type
 * PopbellCheckResult). (transfer full) */
JsonNode *popbell_json_from_results (GPtrArray *results);
/* Pretty-printed text of the document, with a final newline. */
gchar    *popbell_json_results_to_string (GPtrArray *results);

/* "2026-11-26T10:00:00+01:00": seconds precision and the original offset. */
gchar    *popbell_json_format_date (GDateTime *date);

G_END_DECLS
