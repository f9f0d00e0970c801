/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The most a provider's answer may take, headers included. */
#define POPBELL_OAUTH2_HTTP_MAX_RESPONSE (256 * 1024)

/* TRUE for an endpoint Popbell may talk to: https, or plain http to the
 * loopback address 127.0.0.1 (a local test or proxy; SPEC §5). */
gboolean popbell_oauth2_http_url_allowed (const gchar *url);

/**
 * popbell_oauth2_http_post_form_async:
 * @url: an https URL (or http://127.0.0.1…), see popbell_oauth2_http_url_allowed()
 * @form: (element-type utf8 utf8): NULL-terminated name, value, name, value…
 *   sent as application/x-www-form-urlencoded
 * @timeout: seconds for the connection and each read
 *
 * A minimal HTTP/1.1 client for the token endpoint (RFC 6749 §4.1.3, §6):
 * one POST on its own connection (`Connection: close`), the answer read to
 * its end (Content-Length, chunked or end of stream) and capped at
 * POPBELL_OAUTH2_HTTP_MAX_RESPONSE. The form carries secrets: nothing of it
 * is logged.
 *
 * Finish returns the body and the status code.
 * Errors: G_IO_ERROR (network, G_IO_ERROR_INVALID_DATA for a malformed or
 * over-long answer, G_IO_ERROR_NOT_SUPPORTED for a refused URL), G_TLS_ERROR.
 */
void    popbell_oauth2_http_post_form_async  (const gchar         *url,
                                              const gchar * const *form,
                                              guint                timeout,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GBytes *popbell_oauth2_http_post_form_finish (GAsyncResult        *result,
                                              guint               *out_status,
                                              GError             **error);

/* application/x-www-form-urlencoded / query string from name, value pairs
 * (NULL-terminated). (transfer full) */
gchar  *popbell_oauth2_http_encode_form (const gchar * const *pairs);

/* Decodes the body of an HTTP/1.1 answer: "chunked" transfer coding
 * (RFC 9112 §7.1). FALSE for a malformed one. Exposed for tests. */
gboolean popbell_oauth2_http_dechunk (const gchar *data, gsize len, GByteArray *out);

G_END_DECLS
