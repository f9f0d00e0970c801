/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-pop3-line.h"

G_BEGIN_DECLS

/*
 * PopbellPop3Stream: reads the lines of a POP3 conversation from a
 * GInputStream with its own bounded buffer (GDataInputStream would buffer a
 * line of any length). Lines end in CRLF; a bare LF is tolerated. The
 * terminator is not part of the returned line.
 */
#define POPBELL_TYPE_POP3_STREAM (popbell_pop3_stream_get_type ())
G_DECLARE_FINAL_TYPE (PopbellPop3Stream, popbell_pop3_stream, POPBELL, POP3_STREAM, GObject)

PopbellPop3Stream *popbell_pop3_stream_new (GInputStream *base);

/* Read from @base from now on and drop whatever was buffered: after STLS
 * the plaintext that followed "+OK" must not be used (RFC 2595 §4). */
void   popbell_pop3_stream_set_base_stream (PopbellPop3Stream *self, GInputStream *base);
/* Octets received but not yet returned as lines. */
gsize  popbell_pop3_stream_get_buffered    (PopbellPop3Stream *self);
/* (nullable) those octets (*len of them), valid until the next read. */
const gchar *popbell_pop3_stream_peek      (PopbellPop3Stream *self, gsize *len);

/* Read one line of at most @max_len octets including its terminator.
 *
 * Without @allow_partial a longer line is POPBELL_POP3_ERROR_PROTOCOL. With
 * it (message bodies, whose size is bounded elsewhere) a long line is
 * returned in pieces of at most @max_len octets: ->complete is FALSE for
 * every piece but the last.
 *
 * End of stream is G_IO_ERROR_CONNECTION_CLOSED. Only one read at a time. */
void    popbell_pop3_stream_read_line_async  (PopbellPop3Stream   *self,
                                              gsize                max_len,
                                              gboolean             allow_partial,
                                              int                  io_priority,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* (transfer full): never NULL data, see PopbellPop3Line. */
PopbellPop3Line *popbell_pop3_stream_read_line_finish (PopbellPop3Stream   *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Multi-line answers (RFC 1939 §3): TRUE if @line (without terminator) is
 * the end marker ".". */
gboolean      popbell_pop3_line_is_terminator (const guint8 *line, gsize len);
/* Remove the byte-stuffed leading "." of a data line: returns the start of
 * the data and updates *len. Only for the first piece of a line. */
const guint8 *popbell_pop3_line_unstuff       (const guint8 *line, gsize *len);

G_END_DECLS
