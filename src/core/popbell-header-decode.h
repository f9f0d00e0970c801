/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>
#include <gmime/gmime.h>

G_BEGIN_DECLS

/* Calls g_mime_init() once per process (thread-safe). Every user of GMime in
 * the core calls this first. */
void popbell_mime_init (void);

/* Parser options for untrusted mail, shared by every parse in the core
 * (calls popbell_mime_init()). (transfer none) */
GMimeParserOptions *popbell_mime_parser_options (void);

/* GMime 3.2 has no autoptr support of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeStream, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeParser, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeMessage, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GMimeDataWrapper, g_object_unref)

/**
 * PopbellHeaders:
 *
 * The headers a summary or preview shows, decoded with GMime: RFC 2047 words
 * in any charset, folded lines, raw 8-bit bytes (tried as UTF-8, then the
 * GMime fallback charsets) — best effort, never failing. Strings are
 * sanitized one-line UTF-8 (popbell_text_sanitize_line(), not shortened),
 * never NULL ("" when absent).
 */
typedef struct {
  gchar     *from;        /* "Name <addr>", or "addr" when there is no name */
  gchar     *to;          /* the same form, comma-separated */
  gchar     *subject;
  GDateTime *date;        /* (nullable) with the header's UTC offset */
  gchar     *message_id;  /* without <> */
} PopbellHeaders;

/* Parses a header block (e.g. the answer of "TOP n 0") or a whole message (only
 * its headers are read). Never fails. (transfer full) */
PopbellHeaders *popbell_headers_parse (const gchar *data, gsize len);
/* The same from an already parsed message (popbell-message.c). */
PopbellHeaders *popbell_headers_from_gmime (GMimeMessage *message);
void            popbell_headers_free  (PopbellHeaders *headers);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellHeaders, popbell_headers_free)

G_END_DECLS
