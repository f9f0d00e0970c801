/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Everything a server sends is untrusted (SPEC §5): these make it safe to show.
 * None of them escapes markup; the UI does that where markup is used. */

/* The default length of a header shown in a notification or the JSON. */
#define POPBELL_TEXT_HEADER_MAX_CHARS 256

/* Valid UTF-8 (invalid bytes become U+FFFD), one line: control characters
 * (C0, DEL, C1, and line/paragraph separators) become spaces, runs of
 * whitespace collapse to one space, leading/trailing whitespace is dropped;
 * then shortened to @max_chars characters with "…" (0: no limit).
 * @len -1: NUL-terminated. NULL gives "". (transfer full) */
gchar *popbell_text_sanitize_line (const gchar *text, gssize len, gsize max_chars);

/* Valid UTF-8 text of many lines: CRLF and CR become LF, tabs and LFs are
 * kept, other control characters are dropped, trailing whitespace of lines
 * is kept. NULL gives "". (transfer full) */
gchar *popbell_text_sanitize_body (const gchar *text, gssize len);

/* At most @max_chars characters (of valid UTF-8 @text): cut at a character
 * boundary, and ending in "…" (which counts) when cut. (transfer full) */
gchar *popbell_text_shorten (const gchar *text, gsize max_chars);

/* HTML reduced to plain text, for a preview that never renders HTML nor
 * loads anything: tags dropped, <script>/<style>/<head> contents dropped,
 * entities decoded, whitespace collapsed as a browser would, line breaks for
 * <br>, <p>, <div>, <li>, headings, table rows; "- " before list items.
 * Never fails on broken markup; linear in the input (libxml2's HTML parser,
 * no network, nothing loaded). Thread-safe. (transfer full) */
gchar *popbell_text_from_html (const gchar *html);

/* One-time set-up of the HTML parser (libxml2's xmlInitParser()); called by
 * popbell_text_from_html() too, but callers that parse in worker threads
 * call it first on their own thread. Thread-safe. */
void popbell_text_init (void);

G_END_DECLS
