/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-message.h"

#include <string.h>

#include "popbell-header-decode.h"
#include "popbell-text.h"

struct _PopbellMessage
{
  gatomicrefcount  ref_count;

  gchar           *uid;             /* (owned) (nullable) */
  gchar           *from;            /* (owned) */
  gchar           *to;              /* (owned) */
  gchar           *subject;         /* (owned) */
  GDateTime       *date;            /* (owned) (nullable) */
  gchar           *body;            /* (owned) sanitized plain text */
  gboolean         complete;
  guint64          size_on_server;
  GPtrArray       *attachments;     /* (owned) (element-type PopbellAttachment) */
};

G_DEFINE_BOXED_TYPE (PopbellMessage, popbell_message, popbell_message_ref, popbell_message_unref)

static void
attachment_free (PopbellAttachment *attachment)
{
  g_free (attachment->filename);
  g_free (attachment->content_type);
  g_free (attachment);
}

/* What the walk over the MIME tree collects. */
typedef struct {
  GMimePart *plain;        /* (unowned) first inline text/plain */
  GMimePart *html;         /* (unowned) first inline text/html */
  GPtrArray *attachments;  /* (unowned) */
} Walk;

/* Decoded (transfer encoding undone) and converted to UTF-8. */
static gchar *
part_text (GMimePart *part)
{
  GMimeDataWrapper *content = g_mime_part_get_content (part);
  GMimeContentType *type = g_mime_object_get_content_type (GMIME_OBJECT (part));
  const gchar *charset = type != NULL ? g_mime_content_type_get_parameter (type, "charset") : NULL;
  g_autoptr(GMimeStream) memory = NULL;
  g_autoptr(GMimeStream) filtered = NULL;
  GByteArray *bytes;
  gchar *text;

  if (content == NULL)
    return g_strdup ("");

  memory = g_mime_stream_mem_new ();
  filtered = g_mime_stream_filter_new (memory);
  if (charset != NULL && g_ascii_strcasecmp (charset, "utf-8") != 0 &&
      g_ascii_strcasecmp (charset, "us-ascii") != 0)
    {
      /* NULL for a charset iconv does not know: the bytes are then taken as
       * they are and made valid UTF-8 below. */
      GMimeFilter *convert = g_mime_filter_charset_new (charset, "UTF-8");

      if (convert != NULL)
        {
          g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), convert);
          g_object_unref (convert);
        }
    }
  g_mime_data_wrapper_write_to_stream (content, filtered);
  g_mime_stream_flush (filtered);

  bytes = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (memory));
  if (bytes == NULL || bytes->len == 0)
    return g_strdup ("");
  if (charset == NULL && !g_utf8_validate ((const gchar *) bytes->data, bytes->len, NULL))
    {
      /* Undeclared 8-bit text: Windows-1252 is the common case and maps
       * every byte. */
      text = g_convert ((const gchar *) bytes->data, bytes->len, "UTF-8", "WINDOWS-1252",
                        NULL, NULL, NULL);
      if (text != NULL)
        return text;
    }
  return g_utf8_make_valid ((const gchar *) bytes->data, bytes->len);
}

static guint64
decoded_size (GMimeObject *object)
{
  g_autoptr(GMimeStream) sink = g_mime_stream_null_new ();
  gint64 written;

  if (GMIME_IS_PART (object))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (object));

      if (content == NULL)
        return 0;
      written = g_mime_data_wrapper_write_to_stream (content, sink);
    }
  else
    written = g_mime_object_write_to_stream (object, NULL, sink);

  return written > 0 ? (guint64) written : 0;
}

static void
add_attachment (Walk        *walk,
                GMimeObject *object,
                const gchar *filename)
{
  PopbellAttachment *attachment = g_new0 (PopbellAttachment, 1);
  GMimeContentType *type = g_mime_object_get_content_type (object);
  g_autofree gchar *mime_type = type != NULL ? g_mime_content_type_get_mime_type (type) : NULL;

  attachment->filename = popbell_text_sanitize_line (filename, -1, POPBELL_TEXT_HEADER_MAX_CHARS);
  attachment->content_type = popbell_text_sanitize_line (mime_type != NULL ? mime_type
                                                         : "application/octet-stream", -1, 128);
  attachment->size = decoded_size (object);
  g_ptr_array_add (walk->attachments, attachment);
}

static void
visit (GMimeObject *parent,
       GMimeObject *object,
       gpointer     user_data)
{
  Walk *walk = user_data;
  GMimeContentType *type = g_mime_object_get_content_type (object);
  const gchar *disposition = g_mime_object_get_disposition (object);
  gboolean is_attachment = disposition != NULL &&
                           g_ascii_strcasecmp (disposition, GMIME_DISPOSITION_ATTACHMENT) == 0;

  if (GMIME_IS_MULTIPART (object))
    return;   /* g_mime_message_foreach() descends into it */

  if (GMIME_IS_MESSAGE_PART (object))
    {
      /* A forwarded message: listed, not shown inline, not descended into
       * (foreach does not descend either). */
      const gchar *name = g_mime_object_get_content_disposition_parameter (object, "filename");

      if (name == NULL)
        name = g_mime_object_get_content_type_parameter (object, "name");
      add_attachment (walk, object, name);
      return;
    }

  if (!GMIME_IS_PART (object))
    return;

  if (!is_attachment && g_mime_part_get_filename (GMIME_PART (object)) == NULL && type != NULL &&
      g_mime_content_type_is_type (type, "text", "*"))
    {
      if (walk->plain == NULL && g_mime_content_type_is_type (type, "text", "plain"))
        {
          walk->plain = GMIME_PART (object);
          return;
        }
      if (walk->html == NULL && g_mime_content_type_is_type (type, "text", "html"))
        {
          walk->html = GMIME_PART (object);
          return;
        }
      /* A second text part in a multipart/mixed: most clients show it in
       * line; listing it as an attachment keeps the body simple. */
    }

  add_attachment (walk, object, g_mime_part_get_filename (GMIME_PART (object)));
}

PopbellMessage *
popbell_message_new_from_bytes (GBytes      *raw,
                                const gchar *uid,
                                guint64      size_on_server,
                                gboolean     complete)
{
  PopbellMessage *self = g_new0 (PopbellMessage, 1);
  g_autoptr(GMimeStream) stream = NULL;
  g_autoptr(GMimeParser) parser = NULL;
  g_autoptr(GMimeMessage) message = NULL;
  g_autoptr(PopbellHeaders) headers = NULL;
  g_autofree gchar *text = NULL;
  Walk walk = { 0 };
  gsize len = 0;
  const gchar *data = raw != NULL ? g_bytes_get_data (raw, &len) : NULL;

  g_atomic_ref_count_init (&self->ref_count);
  self->uid = g_strdup (uid);
  self->complete = complete;
  self->size_on_server = size_on_server;
  self->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) attachment_free);

  popbell_mime_init ();
  stream = g_mime_stream_mem_new_with_buffer (data != NULL ? data : "", data != NULL ? len : 0);
  parser = g_mime_parser_new_with_stream (stream);
  message = g_mime_parser_construct_message (parser, popbell_mime_parser_options ());

  headers = popbell_headers_from_gmime (message);
  self->from = g_steal_pointer (&headers->from);
  self->to = g_steal_pointer (&headers->to);
  self->subject = g_steal_pointer (&headers->subject);
  self->date = g_steal_pointer (&headers->date);

  if (message != NULL)
    {
      walk.attachments = self->attachments;
      if (g_mime_message_get_mime_part (message) != NULL)
        g_mime_message_foreach (message, visit, &walk);

      if (walk.plain != NULL)
        text = part_text (walk.plain);
      else if (walk.html != NULL)
        {
          g_autofree gchar *html = part_text (walk.html);

          /* Reduced to text here: nothing remote is ever loaded (SPEC §5). */
          text = popbell_text_from_html (html);
        }
    }

  self->body = popbell_text_sanitize_body (text != NULL ? text : "", -1);
  return self;
}

typedef struct {
  GBytes  *raw;             /* (owned) */
  gchar   *uid;             /* (owned) (nullable) */
  guint64  size_on_server;
  gboolean complete;
} ParseData;

static void
parse_data_free (ParseData *data)
{
  g_bytes_unref (data->raw);
  g_free (data->uid);
  g_free (data);
}

static void
parse_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  ParseData *data = task_data;

  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task,
                         popbell_message_new_from_bytes (data->raw, data->uid,
                                                         data->size_on_server, data->complete),
                         (GDestroyNotify) popbell_message_unref);
}

void
popbell_message_new_from_bytes_async (GBytes              *raw,
                                      const gchar         *uid,
                                      guint64              size_on_server,
                                      gboolean             complete,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ParseData *data;

  g_return_if_fail (raw != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* GMime's and libxml2's one-time set-up happen here, on the caller's
   * thread, never racing in two workers. */
  popbell_mime_init ();
  popbell_text_init ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_message_new_from_bytes_async);
  data = g_new0 (ParseData, 1);
  data->raw = g_bytes_ref (raw);
  data->uid = g_strdup (uid);
  data->size_on_server = size_on_server;
  data->complete = complete;
  g_task_set_task_data (task, data, (GDestroyNotify) parse_data_free);
  g_task_run_in_thread (task, parse_in_thread);
}

PopbellMessage *
popbell_message_new_from_bytes_finish (GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        popbell_message_new_from_bytes_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

PopbellMessage *
popbell_message_ref (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
popbell_message_unref (PopbellMessage *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->uid);
  g_free (self->from);
  g_free (self->to);
  g_free (self->subject);
  g_clear_pointer (&self->date, g_date_time_unref);
  g_free (self->body);
  g_ptr_array_unref (self->attachments);
  g_free (self);
}

const gchar *
popbell_message_get_uid (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->uid;
}

const gchar *
popbell_message_get_from (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->from;
}

const gchar *
popbell_message_get_to (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->to;
}

const gchar *
popbell_message_get_subject (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->subject;
}

GDateTime *
popbell_message_get_date (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->date;
}

const gchar *
popbell_message_get_body (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->body;
}

gboolean
popbell_message_is_complete (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->complete;
}

guint64
popbell_message_get_size_on_server (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->size_on_server;
}

GPtrArray *
popbell_message_get_attachments (PopbellMessage *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->attachments;
}
