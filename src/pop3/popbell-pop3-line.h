/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * PopbellPop3Line: one line (or piece of a line) as the server sent it,
 * terminator removed.
 *
 * There is one representation of "empty": @data is never NULL and is
 * always followed by a NUL octet, so an empty line is "" with @len 0. A
 * fresh GByteArray or a zero-length GBytes has NULL data, and every caller
 * that handed that to memchr(), g_utf8_make_valid() or a loop over the
 * octets crashed on an empty server line; this type exists so that no
 * caller needs a special case. @data may contain NUL octets (the parsers
 * reject them where the protocol forbids them): use @len, not strlen().
 */
typedef struct {
  gsize    len;
  gboolean complete;   /* FALSE: a piece of a longer line, more follows */
  gchar    data[];     /* @len octets, then a NUL */
} PopbellPop3Line;

/* @data may be NULL when @len is 0. */
PopbellPop3Line *popbell_pop3_line_new  (const void *data, gsize len, gboolean complete);
void             popbell_pop3_line_free (PopbellPop3Line *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellPop3Line, popbell_pop3_line_free)

/* Server text for a debug trace: valid UTF-8, control characters escaped
 * as \xNN, never NULL (also for an empty @data / @len 0). */
gchar *popbell_pop3_trace_text (const gchar *data, gsize len);

G_END_DECLS
