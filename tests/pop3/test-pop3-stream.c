/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The line stream over canned buffers: CRLF and bare LF, length limits,
 * long lines in pieces, end of stream, dot-unstuffing of multi-line
 * answers. */
#include <string.h>

#include "popbell-pop3-stream.h"
#include "popbell-pop3-error.h"

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static PopbellPop3Line *
read_line (PopbellPop3Stream *stream, gsize max_len, gboolean partial, gboolean *complete,
           GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  PopbellPop3Line *line;

  popbell_pop3_stream_read_line_async (stream, max_len, partial, G_PRIORITY_DEFAULT, NULL,
                                       store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  line = popbell_pop3_stream_read_line_finish (stream, result, error);
  if (line != NULL)
    {
      /* One representation of "empty": never NULL, always NUL-terminated. */
      g_assert_nonnull (line->data);
      g_assert_cmpint (line->data[line->len], ==, '\0');
    }
  if (complete != NULL)
    *complete = line != NULL && line->complete;
  return line;
}

static PopbellPop3Stream *
stream_for (const gchar *data, gssize len)
{
  g_autoptr(GInputStream) base = NULL;

  if (len < 0)
    len = strlen (data);
  base = g_memory_input_stream_new_from_data (g_memdup2 (data, len), len, g_free);
  return popbell_pop3_stream_new (base);
}

static void
assert_line (PopbellPop3Stream *stream, gsize max_len, const gchar *expected)
{
  g_autoptr(GError) error = NULL;
  gboolean complete = FALSE;
  g_autoptr(PopbellPop3Line) line = read_line (stream, max_len, FALSE, &complete, &error);

  g_assert_no_error (error);
  g_assert_true (complete);
  g_assert_cmpmem (line->data, line->len, expected, strlen (expected));
}

static void
assert_eof (PopbellPop3Stream *stream)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3Line) line = read_line (stream, 512, FALSE, NULL, &error);

  g_assert_null (line);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
}

static void
test_crlf_and_bare_lf (void)
{
  g_autoptr(PopbellPop3Stream) stream = stream_for ("+OK one\r\nbare\nempty next\r\n\r\n\n"
                                                    "cr inside\rline\r\nlast\r\n", -1);

  assert_line (stream, 512, "+OK one");
  assert_line (stream, 512, "bare");
  assert_line (stream, 512, "empty next");
  assert_line (stream, 512, "");
  assert_line (stream, 512, "");
  assert_line (stream, 512, "cr inside\rline");
  assert_line (stream, 512, "last");
  g_assert_cmpuint (popbell_pop3_stream_get_buffered (stream), ==, 0);
  assert_eof (stream);
}

static void
test_unterminated_last_line (void)
{
  g_autoptr(PopbellPop3Stream) stream = stream_for ("+OK\r\ntruncat", -1);

  assert_line (stream, 512, "+OK");
  assert_eof (stream);
}

static void
test_line_limit (void)
{
  g_autofree gchar *exact = g_strnfill (510, 'a');
  g_autofree gchar *data = g_strdup_printf ("%s\r\n%sb\r\nnext\r\n", exact, exact);
  g_autoptr(PopbellPop3Stream) stream = stream_for (data, -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3Line) line = NULL;

  /* 510 octets + CRLF = 512: the limit of RFC 2449 §4 */
  assert_line (stream, 512, exact);
  line = read_line (stream, 512, FALSE, NULL, &error);
  g_assert_null (line);
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
}

static void
test_endless_line_bounded (void)
{
  /* 1 MiB without a line end: refused after max_len, nothing more buffered */
  gsize len = 1024 * 1024;
  g_autofree gchar *data = g_strnfill (len, 'x');
  g_autoptr(PopbellPop3Stream) stream = stream_for (data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellPop3Line) line = read_line (stream, 8192, FALSE, NULL, &error);

  g_assert_null (line);
  g_assert_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL);
  g_assert_cmpuint (popbell_pop3_stream_get_buffered (stream), <=, 8192 + 4096);
}

static void
test_partial_pieces (void)
{
  /* 10 octets of line, pieces of at most 4; a CR at a piece end waits for
   * its LF. */
  g_autoptr(PopbellPop3Stream) stream = stream_for ("abcdefghij\r\nab\rcd\r\nxy\r\n", -1);
  g_autoptr(GString) joined = g_string_new (NULL);
  guint pieces = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gboolean complete = FALSE;
      g_autoptr(PopbellPop3Line) piece = read_line (stream, 4, TRUE, &complete, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (piece->len, <=, 4);
      g_string_append_len (joined, piece->data, piece->len);
      pieces++;
      if (complete)
        {
          g_string_append (joined, "|");
          if (g_str_has_suffix (joined->str, "xy|"))
            break;
        }
    }
  g_assert_cmpstr (joined->str, ==, "abcdefghij|ab\rcd|xy|");
  g_assert_cmpuint (pieces, >, 3);
}

/* Read a multi-line answer the way the client does. */
static gchar *
decode_multiline (const gchar *data, GError **error)
{
  g_autoptr(PopbellPop3Stream) stream = stream_for (data, -1);
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean line_start = TRUE;

  for (;;)
    {
      gboolean complete = FALSE;
      g_autoptr(PopbellPop3Line) piece = read_line (stream, 16, TRUE, &complete, error);
      gsize len;
      const guint8 *p;

      if (piece == NULL)
        return NULL;
      p = (const guint8 *) piece->data;
      len = piece->len;
      if (line_start && complete && popbell_pop3_line_is_terminator (p, len))
        break;
      if (line_start)
        p = popbell_pop3_line_unstuff (p, &len);
      g_string_append_len (out, (const gchar *) p, len);
      if (complete)
        g_string_append (out, "\r\n");
      line_start = complete;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_dot_unstuffing (void)
{
  static const struct { const gchar *wire; const gchar *data; } cases[] = {
    { ".\r\n", "" },
    { "a\r\n.\r\n", "a\r\n" },
    { "..\r\n.\r\n", ".\r\n" },
    { "...\r\n.\r\n", "..\r\n" },
    { ".a\r\n.\r\n", "a\r\n" },
    { "a.\r\n.b\r\n..c\r\n.\r\n", "a.\r\nb\r\n.c\r\n" },
    { "bare\n.\n", "bare\r\n" },
    { " .\r\n.\r\n", " .\r\n" },
    /* a dot after a long line's first piece is data, not stuffing */
    { "0123456789abcdefghijklmnop.x\r\n.\r\n", "0123456789abcdefghijklmnop.x\r\n" },
    { "0123456789abcdef.\r\n.\r\n", "0123456789abcdef.\r\n" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree gchar *data = decode_multiline (cases[i].wire, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (data, ==, cases[i].data);
    }
  /* no terminator: cut short */
  {
    g_autoptr(GError) error = NULL;
    g_autofree gchar *data = decode_multiline ("a\r\nb\r\n", &error);
    g_assert_null (data);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  }
}

/* An empty line first thing (nothing buffered yet: the buffer's data is
 * still NULL), after a CR only, and at the end. */
static void
test_empty_lines (void)
{
  static const gchar *const inputs[] = { "\n", "\r\n", "\n\n", "\r\n+OK\r\n\r\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(PopbellPop3Stream) stream = stream_for (inputs[i], -1);

      assert_line (stream, 512, "");
      if (i == 2)
        assert_line (stream, 512, "");
      if (i == 3)
        {
          assert_line (stream, 512, "+OK");
          assert_line (stream, 512, "");
        }
      assert_eof (stream);
    }
  /* Nothing at all: end of stream, not a crash. */
  {
    g_autoptr(PopbellPop3Stream) stream = stream_for ("", 0);
    assert_eof (stream);
  }
}

static void
test_line_type (void)
{
  g_autoptr(PopbellPop3Line) empty = popbell_pop3_line_new (NULL, 0, TRUE);
  g_autoptr(PopbellPop3Line) nul = popbell_pop3_line_new ("a\0b", 3, FALSE);
  g_autofree gchar *t1 = popbell_pop3_trace_text (NULL, 0);
  g_autofree gchar *t2 = popbell_pop3_trace_text (empty->data, empty->len);
  g_autofree gchar *t3 = popbell_pop3_trace_text (nul->data, nul->len);
  g_autofree gchar *t4 = popbell_pop3_trace_text ("\xff\r\x7f\xc3\xa4", 5);

  g_assert_nonnull (empty->data);
  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_cmpstr (empty->data, ==, "");
  g_assert_cmpmem (nul->data, nul->len + 1, "a\0b\0", 4);
  g_assert_false (nul->complete);
  g_assert_cmpstr (t1, ==, "");
  g_assert_cmpstr (t2, ==, "");
  g_assert_cmpstr (t3, ==, "a\\x00b");
  g_assert_cmpstr (t4, ==, "\xef\xbf\xbd\\x0d\\x7f\xc3\xa4");
}

static void
test_set_base_drops_buffer (void)
{
  g_autoptr(PopbellPop3Stream) stream = stream_for ("+OK begin TLS\r\n+OK injected\r\n", -1);
  g_autoptr(GInputStream) other = g_memory_input_stream_new_from_data ("+OK clean\r\n", -1, NULL);

  assert_line (stream, 512, "+OK begin TLS");
  g_assert_cmpuint (popbell_pop3_stream_get_buffered (stream), >, 0);
  popbell_pop3_stream_set_base_stream (stream, other);
  g_assert_cmpuint (popbell_pop3_stream_get_buffered (stream), ==, 0);
  assert_line (stream, 512, "+OK clean");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3/stream/crlf-and-bare-lf", test_crlf_and_bare_lf);
  g_test_add_func ("/pop3/stream/unterminated-last-line", test_unterminated_last_line);
  g_test_add_func ("/pop3/stream/line-limit", test_line_limit);
  g_test_add_func ("/pop3/stream/endless-line-bounded", test_endless_line_bounded);
  g_test_add_func ("/pop3/stream/partial-pieces", test_partial_pieces);
  g_test_add_func ("/pop3/stream/dot-unstuffing", test_dot_unstuffing);
  g_test_add_func ("/pop3/stream/set-base-drops-buffer", test_set_base_drops_buffer);
  g_test_add_func ("/pop3/stream/empty-lines", test_empty_lines);
  g_test_add_func ("/pop3/stream/line-type", test_line_type);

  return g_test_run ();
}
