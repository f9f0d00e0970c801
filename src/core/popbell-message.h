/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * PopbellMessage:
 *
 * Immutable, reference-counted decoded message for the preview and
 * `--show-newest`: headers decoded to UTF-8, the text body (an HTML-only
 * message reduced to text; nothing remote is ever loaded), and the
 * attachments. Built with GMime from the octets of TOP or RETR.
 */
typedef struct _PopbellMessage PopbellMessage;

typedef struct {
  gchar   *filename;      /* never NULL; "" when the part has none */
  gchar   *content_type;  /* e.g. "application/pdf" */
  guint64  size;          /* decoded size, or an estimate when truncated */
} PopbellAttachment;

#define POPBELL_TYPE_MESSAGE (popbell_message_get_type ())
GType popbell_message_get_type (void) G_GNUC_CONST;

/* Parse raw octets. @complete is FALSE when they come from TOP (the body may
 * be cut). Never fails: a broken message gives best-effort fields. */
PopbellMessage *popbell_message_new_from_bytes (GBytes      *raw,
                                                const gchar *uid,
                                                guint64      size_on_server,
                                                gboolean     complete);
/* The same in a worker thread (g_task_run_in_thread): a whole message can
 * be megabytes of MIME, base64 and HTML, too much work for the main
 * thread. @raw is referenced, never modified. The callback runs in the
 * thread-default main context of the caller. */
void            popbell_message_new_from_bytes_async  (GBytes              *raw,
                                                       const gchar         *uid,
                                                       guint64              size_on_server,
                                                       gboolean             complete,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
/* (transfer full): NULL only with G_IO_ERROR_CANCELLED (parsing itself
 * never fails). */
PopbellMessage *popbell_message_new_from_bytes_finish (GAsyncResult        *result,
                                                       GError             **error);
PopbellMessage *popbell_message_ref   (PopbellMessage *self);
void            popbell_message_unref (PopbellMessage *self);

const gchar *popbell_message_get_uid      (PopbellMessage *self);
const gchar *popbell_message_get_from     (PopbellMessage *self);
const gchar *popbell_message_get_to       (PopbellMessage *self);
const gchar *popbell_message_get_subject  (PopbellMessage *self);
GDateTime   *popbell_message_get_date     (PopbellMessage *self); /* (nullable) */
const gchar *popbell_message_get_body     (PopbellMessage *self); /* plain text */
gboolean     popbell_message_is_complete  (PopbellMessage *self);
guint64      popbell_message_get_size_on_server (PopbellMessage *self);
/* (element-type PopbellAttachment) (transfer none) */
GPtrArray   *popbell_message_get_attachments (PopbellMessage *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellMessage, popbell_message_unref)

G_END_DECLS
