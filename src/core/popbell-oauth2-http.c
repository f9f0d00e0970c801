/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-oauth2-http.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* A token endpoint answers a handful of JSON fields: a whole HTTP library
 * (libsoup) for one POST per hour is more than Popbell needs. GIO gives the
 * connection and TLS; this file only frames one request and one answer. */

#define READ_CHUNK 16384

gboolean
popbell_oauth2_http_url_allowed (const gchar *url)
{
  g_autoptr(GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return FALSE;
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0)
    return TRUE;
  /* RFC 8252 §8.3 trusts only the loopback address, not the name
   * "localhost" (which a resolver may send elsewhere). */
  return g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 &&
         g_str_equal (g_uri_get_host (uri), "127.0.0.1");
}

gchar *
popbell_oauth2_http_encode_form (const gchar * const *pairs)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2)
    {
      g_autofree gchar *name = g_uri_escape_string (pairs[i], NULL, FALSE);
      g_autofree gchar *value = g_uri_escape_string (pairs[i + 1], NULL, FALSE);

      if (out->len > 0)
        g_string_append_c (out, '&');
      g_string_append_printf (out, "%s=%s", name, value);
    }
  return g_string_free (out, FALSE);
}

gboolean
popbell_oauth2_http_dechunk (const gchar *data, gsize len, GByteArray *out)
{
  gsize pos = 0;

  for (;;)
    {
      const gchar *eol = len > pos ? g_strstr_len (data + pos, len - pos, "\r\n") : NULL;
      guint64 size;
      gchar *end;

      if (eol == NULL)
        return FALSE;
      size = g_ascii_strtoull (data + pos, &end, 16);
      /* chunk-ext after ';' is allowed and ignored */
      if (end == data + pos || (end != eol && *end != ';' && *end != ' '))
        return FALSE;
      pos = (gsize) (eol - data) + 2;
      if (size == 0)
        return TRUE;   /* trailers, if any, are of no interest */
      if (size > len - pos || len - pos - size < 2 ||
          memcmp (data + pos + size, "\r\n", 2) != 0)
        return FALSE;
      g_byte_array_append (out, (const guint8 *) data + pos, (guint) size);
      pos += size + 2;
    }
}

typedef struct {
  GSocketConnection *connection;  /* (owned) (nullable) */
  gchar             *request;     /* (owned) contains secrets: wiped */
  gsize              request_len;
  GByteArray        *response;    /* (owned) */
  guint8             buffer[READ_CHUNK];
  guint              status;
} HttpPost;

static void
http_post_free (HttpPost *post)
{
  if (post->connection != NULL)
    g_io_stream_close (G_IO_STREAM (post->connection), NULL, NULL);
  g_clear_object (&post->connection);
  if (post->request != NULL)
    memset (post->request, 0, post->request_len);
  g_free (post->request);
  if (post->response->len > 0)
    memset (post->response->data, 0, post->response->len);
  g_byte_array_unref (post->response);
  g_free (post);
}

static void http_connected (GObject *source, GAsyncResult *result, gpointer user_data);
static void http_written (GObject *source, GAsyncResult *result, gpointer user_data);
static void http_read (GObject *source, GAsyncResult *result, gpointer user_data);

void
popbell_oauth2_http_post_form_async (const gchar         *url,
                                     const gchar * const *form,
                                     guint                timeout,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree gchar *body = NULL;
  g_autofree gchar *target = NULL;
  g_autofree gchar *host = NULL;
  HttpPost *post;
  gboolean https;
  gint port;

  g_task_set_source_tag (task, popbell_oauth2_http_post_form_async);
  post = g_new0 (HttpPost, 1);
  post->response = g_byte_array_new ();
  g_task_set_task_data (task, post, (GDestroyNotify) http_post_free);

  if (!popbell_oauth2_http_url_allowed (url))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Popbell talks to an OAuth 2.0 provider only over https "
                                 "(or plain http to 127.0.0.1): “%s”."), url);
      return;
    }
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  https = g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0;
  port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : (https ? 443 : 80);
  target = g_strconcat (*g_uri_get_path (uri) != '\0' ? g_uri_get_path (uri) : "/",
                        g_uri_get_query (uri) != NULL ? "?" : "",
                        g_uri_get_query (uri) != NULL ? g_uri_get_query (uri) : "", NULL);

  body = popbell_oauth2_http_encode_form (form);
  /* RFC 9110 §7.2: the port only when it is not the scheme's default. */
  host = g_uri_get_port (uri) > 0 ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), port)
                                  : g_strdup (g_uri_get_host (uri));
  post->request = g_strdup_printf ("POST %s HTTP/1.1\r\n"
                                   "Host: %s\r\n"
                                   "User-Agent: Popbell/" PACKAGE_VERSION "\r\n"
                                   "Accept: application/json\r\n"
                                   "Content-Type: application/x-www-form-urlencoded\r\n"
                                   "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                   "Connection: close\r\n"
                                   "\r\n%s",
                                   target, host, strlen (body), body);
  post->request_len = strlen (post->request);
  memset (body, 0, strlen (body));

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, timeout);
  /* GSocketClient wraps the stream in a GTlsClientConnection that checks
   * the certificate against the system trust store and the host name. */
  g_socket_client_set_tls (client, https);
  g_socket_client_connect_to_host_async (client, g_uri_get_host (uri), (guint16) port,
                                         cancellable, http_connected, g_steal_pointer (&task));
}

static void
http_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HttpPost *post = g_task_get_task_data (task);
  GError *error = NULL;
  GOutputStream *out;

  post->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source),
                                                             result, &error);
  if (post->connection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  out = g_io_stream_get_output_stream (G_IO_STREAM (post->connection));
  g_output_stream_write_all_async (out, post->request, post->request_len,
                                   g_task_get_priority (task), g_task_get_cancellable (task),
                                   http_written, g_object_ref (task));
}

static void
http_read_more (GTask *task)
{
  HttpPost *post = g_task_get_task_data (task);
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (post->connection));

  g_input_stream_read_async (in, post->buffer, sizeof post->buffer, g_task_get_priority (task),
                             g_task_get_cancellable (task), http_read, g_object_ref (task));
}

static void
http_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  http_read_more (task);
}

/* The header value of @name in @headers (CRLF-separated lines, the status
 * line first), or NULL. (transfer full) */
static gchar *
header_value (const gchar *headers, const gchar *name)
{
  g_auto(GStrv) lines = g_strsplit (headers, "\r\n", -1);
  gsize name_len = strlen (name);

  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, name_len) == 0 && lines[i][name_len] == ':')
      return g_strstrip (g_strdup (lines[i] + name_len + 1));
  return NULL;
}

/* Parses what arrived so far. Returns TRUE when the answer is complete
 * (@eof: the server closed), with the body in @body; FALSE to read on.
 * A malformed answer sets @error. */
static gboolean
parse_response (HttpPost *post, gboolean eof, GBytes **body, GError **error)
{
  const gchar *data = (const gchar *) post->response->data;
  gsize len = post->response->len;
  const gchar *end = len > 0 ? g_strstr_len (data, len, "\r\n\r\n") : NULL;
  g_autofree gchar *headers = NULL;
  g_autofree gchar *length = NULL;
  g_autofree gchar *coding = NULL;
  const gchar *content;
  gsize content_len;
  guint64 status;
  gchar code[4] = { 0 };

  if (end == NULL)
    {
      if (eof)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("The OAuth 2.0 provider closed the connection without an answer."));
      return eof;
    }
  headers = g_strndup (data, (gsize) (end - data));
  if (strlen (headers) >= 12)
    memcpy (code, headers + 9, 3);
  if (!g_str_has_prefix (headers, "HTTP/1.") || strlen (headers) < 12 ||
      !g_ascii_string_to_unsigned (code, 10, 100, 599, &status, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The OAuth 2.0 provider did not answer in HTTP."));
      return TRUE;
    }
  post->status = (guint) status;
  content = end + 4;
  content_len = len - (gsize) (content - data);
  length = header_value (headers, "Content-Length");
  coding = header_value (headers, "Transfer-Encoding");

  if (coding != NULL && g_ascii_strcasecmp (coding, "chunked") == 0)
    {
      g_autoptr(GByteArray) decoded = g_byte_array_new ();

      /* Complete once the last chunk is in; before that it fails to parse. */
      if (popbell_oauth2_http_dechunk (content, content_len, decoded))
        {
          *body = g_byte_array_free_to_bytes (g_steal_pointer (&decoded));
          return TRUE;
        }
      if (eof)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("The OAuth 2.0 provider sent a malformed answer."));
      return eof;
    }
  if (length != NULL)
    {
      guint64 want;

      if (!g_ascii_string_to_unsigned (length, 10, 0, POPBELL_OAUTH2_HTTP_MAX_RESPONSE,
                                       &want, NULL))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The OAuth 2.0 provider sent a malformed answer."));
          return TRUE;
        }
      if (content_len >= want)
        {
          *body = g_bytes_new (content, (gsize) want);
          return TRUE;
        }
      if (eof)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                             _("The OAuth 2.0 provider closed the connection in the middle "
                               "of its answer."));
      return eof;
    }
  /* Neither: the body ends with the connection (RFC 9112 §6.3). */
  if (eof)
    *body = g_bytes_new (content, content_len);
  return eof;
}

static void
http_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  HttpPost *post = g_task_get_task_data (task);
  GError *error = NULL;
  GBytes *body = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      g_task_return_error (task, error);
      return;
    }
  g_byte_array_append (post->response, post->buffer, (guint) n);
  memset (post->buffer, 0, (gsize) n);
  if (post->response->len > POPBELL_OAUTH2_HTTP_MAX_RESPONSE)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The OAuth 2.0 provider sent an answer of more than %u bytes."),
                               (guint) POPBELL_OAUTH2_HTTP_MAX_RESPONSE);
      return;
    }
  if (!parse_response (post, n == 0, &body, &error))
    {
      http_read_more (task);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, body, (GDestroyNotify) g_bytes_unref);
}

GBytes *
popbell_oauth2_http_post_form_finish (GAsyncResult  *result,
                                      guint         *out_status,
                                      GError       **error)
{
  GBytes *body;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  body = g_task_propagate_pointer (G_TASK (result), error);
  if (body != NULL && out_status != NULL)
    *out_status = ((HttpPost *) g_task_get_task_data (G_TASK (result)))->status;
  return body;
}
