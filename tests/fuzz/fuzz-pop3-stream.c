/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 *
 * The POP3 line reader (src/pop3/popbell-pop3-stream.c) over a stream that
 * hands out the input in small pieces, so lines and CRLFs are split at
 * every position. Input: byte 0 = piece size (1..256), byte 1 = line limit
 * and partial mode, the rest is what the server sends. Invariants: every
 * line is at most the limit, holds no LF, and the lines (plus the
 * terminators that were cut off) add up to the input.
 */
#include <string.h>

#include "fuzz-util.h"
#include "popbell-pop3-stream.h"

/* --- a GInputStream that returns at most @piece octets per read ---------- */

#define FUZZ_TYPE_PIECE_STREAM (fuzz_piece_stream_get_type ())
G_DECLARE_FINAL_TYPE (FuzzPieceStream, fuzz_piece_stream, FUZZ, PIECE_STREAM, GInputStream)

struct _FuzzPieceStream
{
  GInputStream  parent_instance;
  const guint8 *data;    /* (unowned): the fuzzer's input outlives the stream */
  gsize         len;
  gsize         pos;
  gsize         piece;
};

G_DEFINE_FINAL_TYPE (FuzzPieceStream, fuzz_piece_stream, G_TYPE_INPUT_STREAM)

static gssize
piece_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
            GError **error)
{
  FuzzPieceStream *self = FUZZ_PIECE_STREAM (stream);
  gsize n = MIN (MIN (count, self->piece), self->len - self->pos);

  if (n > 0)
    memcpy (buffer, self->data + self->pos, n);
  self->pos += n;
  return (gssize) n;
}

/* Answers at once but through the main context, as a socket would. */
static void
piece_read_async (GInputStream *stream, void *buffer, gsize count, int io_priority,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);

  g_task_return_int (task, piece_read (stream, buffer, count, cancellable, NULL));
}

static gssize
piece_read_finish (GInputStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

static void
fuzz_piece_stream_class_init (FuzzPieceStreamClass *klass)
{
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  stream_class->read_fn = piece_read;
  stream_class->read_async = piece_read_async;
  stream_class->read_finish = piece_read_finish;
}

static void
fuzz_piece_stream_init (FuzzPieceStream *self)
{
}

/* --- the target ---------------------------------------------------------- */

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(FuzzPieceStream) base = NULL;
  g_autoptr(PopbellPop3Stream) stream = NULL;
  gsize max_len, consumed = 0;
  gboolean allow_partial;

  fuzz_init ();
  if (size < 2 || size > 256 * 1024)
    return 0;

  base = g_object_new (FUZZ_TYPE_PIECE_STREAM, NULL);
  base->piece = (gsize) data[0] + 1;
  /* Small limits reach the edges; 0x7f picks the real status-line limit. */
  max_len = (data[1] & 0x7f) == 0x7f ? 512 : (gsize) (data[1] & 0x7f) + 2;
  allow_partial = (data[1] & 0x80) != 0;
  base->data = data + 2;
  base->len = size - 2;
  stream = popbell_pop3_stream_new (G_INPUT_STREAM (base));

  for (;;)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(PopbellPop3Line) line = NULL;
      gboolean complete = FALSE;
      gsize len = 0;
      const guint8 *bytes;

      popbell_pop3_stream_read_line_async (stream, max_len, allow_partial, G_PRIORITY_DEFAULT,
                                           NULL, store_result, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);

      line = popbell_pop3_stream_read_line_finish (stream, result, &error);
      if (line == NULL)
        {
          fuzz_check_error (error);
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
            FUZZ_CHECK (consumed + popbell_pop3_stream_get_buffered (stream) == base->len,
                        "at the end every octet was a line or is still buffered");
          else
            FUZZ_CHECK (!allow_partial, "only a strict reader refuses a long line");
          break;
        }

      bytes = (const guint8 *) line->data;
      len = line->len;
      complete = line->complete;
      FUZZ_CHECK (bytes[len] == '\0', "a line is NUL-terminated, also when empty");
      FUZZ_CHECK (len + 1 <= max_len || (!complete && len <= max_len),
                  "a line and its terminator fit the limit");
      FUZZ_CHECK (len == 0 || memchr (bytes, '\n', len) == NULL, "no LF inside a line");
      FUZZ_CHECK (complete || allow_partial, "pieces only when partial lines are allowed");
      FUZZ_CHECK (consumed + len <= base->len, "never more octets than were sent");
      /* The line is the input at this position, minus its terminator. */
      FUZZ_CHECK (len == 0 || memcmp (bytes, base->data + consumed, len) == 0,
                  "a line is the octets the server sent");
      consumed += len;
      if (complete)
        {
          if (consumed < base->len && base->data[consumed] == '\r')
            consumed++;
          FUZZ_CHECK (consumed < base->len && base->data[consumed] == '\n',
                      "a complete line ended in LF");
          consumed++;
        }

      if (complete && popbell_pop3_line_is_terminator (bytes, len))
        FUZZ_CHECK (len == 1 && bytes[0] == '.', "the end marker is a lone dot");
      {
        gsize unstuffed_len = len;
        const guint8 *unstuffed = popbell_pop3_line_unstuff (bytes, &unstuffed_len);

        FUZZ_CHECK (unstuffed_len <= len && unstuffed + unstuffed_len == bytes + len,
                    "unstuffing only drops a leading dot");
      }
    }
  return 0;
}
