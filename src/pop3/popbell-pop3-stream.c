/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-pop3-stream.h"

#include <string.h>

#include "popbell-pop3-error.h"

#define READ_CHUNK 4096

struct _PopbellPop3Stream
{
  GObject parent_instance;

  GInputStream *base;     /* (owned) */
  GByteArray   *buf;      /* (owned) received octets; buf->data[start..len) unread */
  gsize         start;
  GTask        *task;     /* (nullable) (unowned) the read in progress */
  gsize         read_at;  /* where the pending read writes into buf */
  guint         generation; /* bumped by set_base_stream: stale reads are dropped */
};

G_DEFINE_TYPE (PopbellPop3Stream, popbell_pop3_stream, G_TYPE_OBJECT)

typedef struct {
  gsize    max_len;
  gboolean allow_partial;
  gboolean complete;      /* the piece being returned ends its line */
} ReadLineData;

static void
popbell_pop3_stream_finalize (GObject *object)
{
  PopbellPop3Stream *self = POPBELL_POP3_STREAM (object);

  g_clear_object (&self->base);
  g_byte_array_unref (self->buf);
  G_OBJECT_CLASS (popbell_pop3_stream_parent_class)->finalize (object);
}

static void
popbell_pop3_stream_class_init (PopbellPop3StreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = popbell_pop3_stream_finalize;
}

static void
popbell_pop3_stream_init (PopbellPop3Stream *self)
{
  self->buf = g_byte_array_new ();
}

PopbellPop3Stream *
popbell_pop3_stream_new (GInputStream *base)
{
  PopbellPop3Stream *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (base), NULL);

  self = g_object_new (POPBELL_TYPE_POP3_STREAM, NULL);
  self->base = g_object_ref (base);
  return self;
}

void
popbell_pop3_stream_set_base_stream (PopbellPop3Stream *self, GInputStream *base)
{
  g_return_if_fail (POPBELL_IS_POP3_STREAM (self));
  g_return_if_fail (self->task == NULL);

  g_set_object (&self->base, base);
  g_byte_array_set_size (self->buf, 0);
  self->start = 0;
  self->generation++;
}

gsize
popbell_pop3_stream_get_buffered (PopbellPop3Stream *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_STREAM (self), 0);

  return self->buf->len - self->start;
}

const gchar *
popbell_pop3_stream_peek (PopbellPop3Stream *self, gsize *len)
{
  g_return_val_if_fail (POPBELL_IS_POP3_STREAM (self), NULL);
  g_return_val_if_fail (len != NULL, NULL);

  /* During a read, buf->len also counts the chunk being filled. */
  *len = (self->task != NULL ? self->read_at : self->buf->len) - self->start;
  if (*len == 0)
    return NULL;
  return (const gchar *) self->buf->data + self->start;
}

/* Returns TRUE when the task was completed from the buffer. */
static gboolean
try_extract_line (PopbellPop3Stream *self, GTask *task)
{
  ReadLineData *data = g_task_get_task_data (task);
  gsize avail = self->buf->len - self->start;
  const guint8 *p, *nl;
  gsize len;

  /* A fresh GByteArray has data == NULL: nothing to look at, and
   * memchr (NULL, c, 0) would be undefined behaviour. */
  if (avail == 0)
    return FALSE;
  p = self->buf->data + self->start;
  nl = memchr (p, '\n', MIN (avail, data->max_len));
  if (nl != NULL)
    {
      len = nl - p;
      self->start += len + 1;
      if (len > 0 && p[len - 1] == '\r')
        len--;
      data->complete = TRUE;
    }
  else if (avail >= data->max_len)
    {
      if (!data->allow_partial)
        {
          g_task_return_new_error (task, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                                   "The server sent a line longer than %" G_GSIZE_FORMAT " octets",
                                   data->max_len);
          return TRUE;
        }
      /* Keep a trailing CR for the next piece: it may start a CRLF. */
      len = data->max_len;
      if (len > 1 && p[len - 1] == '\r')
        len--;
      self->start += len;
      data->complete = FALSE;
    }
  else
    {
      return FALSE;
    }

  g_task_return_pointer (task, popbell_pop3_line_new (p, len, data->complete),
                         (GDestroyNotify) popbell_pop3_line_free);
  return TRUE;
}

static void read_more (PopbellPop3Stream *self, GTask *task);

static void
read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellPop3Stream *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  self->task = NULL;
  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "generation")) != self->generation)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "Stream was replaced");
      return;
    }
  if (n < 0)
    {
      g_byte_array_set_size (self->buf, self->read_at);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_byte_array_set_size (self->buf, self->read_at + n);
  if (n == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "The server closed the connection");
      return;
    }
  if (!try_extract_line (self, task))
    read_more (self, g_steal_pointer (&task));
}

static void
read_more (PopbellPop3Stream *self, GTask *task)
{
  /* Compact: the unread part moves to the front. The buffer never holds
   * more than max_len + READ_CHUNK octets. */
  if (self->start > 0)
    {
      g_byte_array_remove_range (self->buf, 0, self->start);
      self->start = 0;
    }
  self->read_at = self->buf->len;
  g_byte_array_set_size (self->buf, self->read_at + READ_CHUNK);
  self->task = task;
  g_object_set_data (G_OBJECT (task), "generation", GUINT_TO_POINTER (self->generation));
  g_input_stream_read_async (self->base, self->buf->data + self->read_at, READ_CHUNK,
                             g_task_get_priority (task), g_task_get_cancellable (task),
                             read_cb, task);
}

void
popbell_pop3_stream_read_line_async (PopbellPop3Stream   *self,
                                     gsize                max_len,
                                     gboolean             allow_partial,
                                     int                  io_priority,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ReadLineData *data;

  g_return_if_fail (POPBELL_IS_POP3_STREAM (self));
  g_return_if_fail (max_len >= 2);
  g_return_if_fail (self->task == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_pop3_stream_read_line_async);
  g_task_set_priority (task, io_priority);
  data = g_new0 (ReadLineData, 1);
  data->max_len = max_len;
  data->allow_partial = allow_partial;
  g_task_set_task_data (task, data, g_free);

  if (try_extract_line (self, task))
    return;
  read_more (self, g_steal_pointer (&task));
}

PopbellPop3Line *
popbell_pop3_stream_read_line_finish (PopbellPop3Stream  *self,
                                      GAsyncResult       *result,
                                      GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
popbell_pop3_line_is_terminator (const guint8 *line, gsize len)
{
  return len == 1 && line[0] == '.';
}

const guint8 *
popbell_pop3_line_unstuff (const guint8 *line, gsize *len)
{
  if (*len > 0 && line[0] == '.')
    {
      (*len)--;
      return line + 1;
    }
  return line;
}
