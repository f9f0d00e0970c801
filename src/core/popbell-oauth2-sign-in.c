/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-oauth2-sign-in.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/random.h>

#include "popbell-error.h"
#include "popbell-oauth2-builtin.h"
#include "popbell-oauth2-http.h"
#include "popbell-oauth2-token-source.h"

/* The browser's request for the redirect: a request line and a few
 * headers. Anything longer is not the provider's redirect. */
#define MAX_REQUEST_HEAD 16384

/* --- PKCE and state -------------------------------------------------------- */

static gchar *
base64url (const guint8 *data, gsize len)
{
  gchar *text = g_base64_encode (data, len);
  gsize n = strlen (text);

  for (gsize i = 0; i < n; i++)
    if (text[i] == '+')
      text[i] = '-';
    else if (text[i] == '/')
      text[i] = '_';
  while (n > 0 && text[n - 1] == '=')
    text[--n] = '\0';
  return text;
}

/* @bytes of the kernel's randomness, base64url: the code verifier (RFC 7636
 * §4.1: 32 octets give the recommended 43 characters) and `state`. */
static gchar *
random_string (gsize bytes, GError **error)
{
  guint8 buffer[64];

  g_assert (bytes <= sizeof buffer);
  if (getrandom (buffer, bytes, 0) != (gssize) bytes)
    {
      g_set_error_literal (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                           _("The system gave no random numbers for the sign-in."));
      return NULL;
    }
  return base64url (buffer, bytes);
}

gchar *
popbell_oauth2_pkce_challenge (const gchar *verifier)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;

  g_checksum_update (checksum, (const guchar *) verifier, strlen (verifier));
  g_checksum_get_digest (checksum, digest, &len);
  return base64url (digest, len);
}

/* --- the flow ------------------------------------------------------------- */

typedef struct {
  PopbellAccount        *account;         /* (owned) */
  PopbellCredentials    *refresh_tokens;  /* (owned) */
  PopbellOAuth2Provider *provider;        /* (owned) */
  GSocketListener       *listener;        /* (owned) */
  GCancellable          *connections;     /* (owned) cancelled once done: stops
                                           * accepting and reading */
  gulong                 cancel_id;
  GSource               *timeout;         /* (owned) (nullable) */
  gchar                 *verifier;        /* (owned) secret until the exchange */
  gchar                 *state;           /* (owned) */
  gchar                 *redirect_uri;    /* (owned) */
  gboolean               answered;        /* a redirect with our state arrived */
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_cancellable_cancel (sign_in->connections);
  if (sign_in->timeout != NULL)
    g_source_destroy (sign_in->timeout);
  g_clear_pointer (&sign_in->timeout, g_source_unref);
  if (sign_in->listener != NULL)
    g_socket_listener_close (sign_in->listener);
  g_clear_object (&sign_in->listener);
  g_clear_object (&sign_in->connections);
  g_clear_object (&sign_in->account);
  g_clear_object (&sign_in->refresh_tokens);
  g_clear_pointer (&sign_in->provider, popbell_oauth2_provider_free);
  popbell_credentials_free_password (sign_in->verifier);
  g_free (sign_in->state);
  g_free (sign_in->redirect_uri);
  g_free (sign_in);
}

/* Ends the flow: stop listening at once, drop the timer (it holds a
 * reference to the task). */
static void
sign_in_stop (GTask *task)
{
  SignIn *sign_in = g_task_get_task_data (task);

  g_cancellable_cancel (sign_in->connections);
  if (sign_in->timeout != NULL)
    g_source_destroy (sign_in->timeout);
  g_clear_pointer (&sign_in->timeout, g_source_unref);
  g_socket_listener_close (sign_in->listener);
  g_cancellable_disconnect (g_task_get_cancellable (task), sign_in->cancel_id);
  sign_in->cancel_id = 0;
}

static void
sign_in_return_error (GTask *task, GError *error)
{
  sign_in_stop (task);
  g_task_return_error (task, error);
}

static gboolean
sign_in_timed_out (gpointer user_data)
{
  GTask *task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);

  g_clear_pointer (&sign_in->timeout, g_source_unref);
  if (!sign_in->answered)
    sign_in_return_error (task, g_error_new (POPBELL_ERROR, POPBELL_ERROR_TIMEOUT,
                                             _("No sign-in for account “%s” arrived within %u "
                                               "minutes; start it again."),
                                             popbell_account_get_name (sign_in->account),
                                             POPBELL_OAUTH2_SIGN_IN_TIMEOUT_S / 60));
  return G_SOURCE_REMOVE;
}

static void
sign_in_cancelled (GCancellable *cancellable, gpointer user_data)
{
  SignIn *sign_in = user_data;

  /* Wakes the pending accept; its callback returns the cancellation. */
  g_cancellable_cancel (sign_in->connections);
}

/* One connection to the loopback port. */
typedef struct {
  GTask             *task;        /* (owned) */
  GSocketConnection *connection;  /* (owned) */
  GByteArray        *head;        /* (owned) */
  guint8             buffer[4096];
} Visitor;

static void
visitor_free (Visitor *visitor)
{
  g_clear_object (&visitor->task);
  g_clear_object (&visitor->connection);
  g_byte_array_unref (visitor->head);
  g_free (visitor);
}

static void accept_next (GTask *task);
static void visitor_read (GObject *source, GAsyncResult *result, gpointer user_data);
static void code_exchanged (GObject *source, GAsyncResult *result, gpointer user_data);

static void
browser_launched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  /* Not fatal: the address was shown, the user can open it by hand. */
  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    g_message ("%s", error->message);
}

void
popbell_oauth2_sign_in_async (PopbellAccount       *account,
                              PopbellCredentials   *refresh_tokens,
                              gboolean              launch_browser,
                              PopbellOAuth2UriFunc  uri_ready,
                              gpointer              uri_data,
                              GCancellable         *cancellable,
                              GAsyncReadyCallback   callback,
                              gpointer              user_data)
{
  g_autoptr(GTask) task = g_task_new (account, cancellable, callback, user_data);
  g_autoptr(GSocketAddress) loopback = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *reason = NULL;
  g_autofree gchar *query = NULL;
  g_autofree gchar *uri = NULL;
  g_autofree gchar *challenge = NULL;
  const gchar *name = popbell_account_get_name (account);
  SignIn *sign_in;

  g_return_if_fail (POPBELL_IS_ACCOUNT (account));
  g_return_if_fail (POPBELL_IS_CREDENTIALS (refresh_tokens));

  g_task_set_source_tag (task, popbell_oauth2_sign_in_async);
  sign_in = g_new0 (SignIn, 1);
  sign_in->account = g_object_ref (account);
  sign_in->refresh_tokens = g_object_ref (refresh_tokens);
  sign_in->connections = g_cancellable_new ();
  sign_in->listener = g_socket_listener_new ();
  g_task_set_task_data (task, sign_in, (GDestroyNotify) sign_in_free);

  if (!popbell_oauth2_check_account (account, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_strcmp0 (popbell_account_get_oauth2 (account, "oauth2-source"), "builtin") != 0)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("Account “%s” does not use Popbell's own sign-in: set "
                                 "auth=oauth2 and oauth2-source=builtin."), name);
      return;
    }
  sign_in->provider = popbell_oauth2_provider_new_for_account (account, &key, &reason);

  /* RFC 8252 §7.3: the loopback IP literal, any free port. */
  loopback = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  if (!g_socket_listener_add_address (sign_in->listener, loopback, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error))
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_NETWORK,
                               _("Cannot wait for the sign-in of account “%s” on 127.0.0.1: %s"),
                               name, error->message);
      return;
    }
  sign_in->redirect_uri =
    g_strdup_printf ("http://127.0.0.1:%u/",
                     g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  sign_in->verifier = random_string (32, &error);
  sign_in->state = sign_in->verifier != NULL ? random_string (16, &error) : NULL;
  if (sign_in->state == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  challenge = popbell_oauth2_pkce_challenge (sign_in->verifier);

  {
    g_autoptr(GPtrArray) form = g_ptr_array_new ();
    const gchar *pairs[] = {
      "response_type", "code",
      "client_id", sign_in->provider->client_id,
      "redirect_uri", sign_in->redirect_uri,
      "scope", sign_in->provider->scope,
      "state", sign_in->state,
      "code_challenge", challenge,
      "code_challenge_method", "S256",
      "login_hint", popbell_account_get_username (account),
    };

    for (gsize i = 0; i < G_N_ELEMENTS (pairs); i++)
      g_ptr_array_add (form, (gpointer) pairs[i]);
    if (sign_in->provider->google_offline)
      {
        /* Google issues a refresh token only for offline access, and on a
         * second sign-in only when asked to show the consent again. */
        g_ptr_array_add (form, (gpointer) "access_type");
        g_ptr_array_add (form, (gpointer) "offline");
        g_ptr_array_add (form, (gpointer) "prompt");
        g_ptr_array_add (form, (gpointer) "consent");
      }
    g_ptr_array_add (form, NULL);
    query = popbell_oauth2_http_encode_form ((const gchar * const *) form->pdata);
  }
  uri = g_strconcat (sign_in->provider->auth_url,
                     strchr (sign_in->provider->auth_url, '?') != NULL ? "&" : "?", query, NULL);

  sign_in->timeout = g_timeout_source_new_seconds (POPBELL_OAUTH2_SIGN_IN_TIMEOUT_S);
  g_task_attach_source (task, sign_in->timeout, sign_in_timed_out);
  if (cancellable != NULL)
    sign_in->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (sign_in_cancelled),
                                                sign_in, NULL);
  accept_next (task);

  if (uri_ready != NULL)
    uri_ready (uri, uri_data);
  if (launch_browser)
    g_app_info_launch_default_for_uri_async (uri, NULL, NULL, browser_launched, NULL);
}

static void
accepted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;
  Visitor *visitor;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (connection == NULL)
    {
      if (g_task_get_completed (task) || sign_in->answered)
        return;
      if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        sign_in_return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         "cancelled"));
      else
        sign_in_return_error (task, g_error_new (POPBELL_ERROR, POPBELL_ERROR_NETWORK,
                                                 _("Waiting for the sign-in of account “%s” "
                                                   "failed: %s"),
                                                 popbell_account_get_name (sign_in->account),
                                                 error->message));
      return;
    }

  /* Browsers open spare connections that never send a request: each
   * visitor is read on its own while the next one is accepted. */
  visitor = g_new0 (Visitor, 1);
  visitor->task = g_object_ref (task);
  visitor->connection = connection;
  visitor->head = g_byte_array_new ();
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                             visitor->buffer, sizeof visitor->buffer, G_PRIORITY_DEFAULT,
                             sign_in->connections, visitor_read, visitor);
  accept_next (task);
}

static void
accept_next (GTask *task)
{
  SignIn *sign_in = g_task_get_task_data (task);

  g_socket_listener_accept_async (sign_in->listener, sign_in->connections, accepted,
                                  g_object_ref (task));
}

static void
page_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GIOStream) connection = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close (connection, NULL, NULL);
}

/* Answers the browser with a small page and closes the connection. */
static void
visitor_answer (Visitor *visitor, guint status, const gchar *text)
{
  g_autofree gchar *escaped = g_markup_escape_text (text, -1);
  g_autofree gchar *body = g_strdup_printf ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                                            "<title>Popbell</title></head><body><p>%s</p>"
                                            "</body></html>\n", escaped);
  gchar *response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                                     "Content-Type: text/html; charset=utf-8\r\n"
                                     "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                                     "Cache-Control: no-store\r\n"
                                     "Connection: close\r\n\r\n%s",
                                     status, status == 200 ? "OK" : status == 404 ? "Not Found"
                                                                                  : "Bad Request",
                                     strlen (body), body);
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (visitor->connection));

  g_object_set_data_full (G_OBJECT (out), "popbell-page", response, g_free);
  g_output_stream_write_all_async (out, response, strlen (response), G_PRIORITY_DEFAULT, NULL,
                                   page_written, g_object_ref (visitor->connection));
}

static void
visitor_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Visitor *visitor = user_data;
  GTask *task = visitor->task;
  SignIn *sign_in = g_task_get_task_data (task);
  const gchar *name = popbell_account_get_name (sign_in->account);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) params = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree gchar *line = NULL;
  const gchar *head;
  const gchar *eol;
  const gchar *query;
  const gchar *code;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n <= 0)
    {
      visitor_free (visitor);
      return;
    }
  g_byte_array_append (visitor->head, visitor->buffer, (guint) n);
  head = (const gchar *) visitor->head->data;
  if (g_strstr_len (head, visitor->head->len, "\r\n\r\n") == NULL)
    {
      if (visitor->head->len > MAX_REQUEST_HEAD)
        {
          visitor_free (visitor);
          return;
        }
      g_input_stream_read_async (G_INPUT_STREAM (source), visitor->buffer, sizeof visitor->buffer,
                                 G_PRIORITY_DEFAULT, sign_in->connections, visitor_read, visitor);
      return;
    }

  eol = g_strstr_len (head, visitor->head->len, "\r\n");
  line = g_strndup (head, (gsize) (eol - head));
  words = g_strsplit (line, " ", 3);
  query = g_strv_length (words) == 3 && g_str_equal (words[0], "GET") ? strchr (words[1], '?')
                                                                      : NULL;
  if (query != NULL)
    params = g_uri_parse_params (query + 1, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL || sign_in->answered ||
      g_strcmp0 (g_hash_table_lookup (params, "state"), sign_in->state) != 0)
    {
      /* favicon.ico, a stray visitor, a forged redirect (RFC 6749 §10.12):
       * not ours; keep waiting for the real one. */
      visitor_answer (visitor, params == NULL ? 404 : 400,
                      _("This is not the sign-in Popbell is waiting for."));
      visitor_free (visitor);
      return;
    }

  sign_in->answered = TRUE;
  code = g_hash_table_lookup (params, "code");
  if (code == NULL || *code == '\0')
    {
      const gchar *refusal = g_hash_table_lookup (params, "error");

      visitor_answer (visitor, 400, _("The sign-in was not completed. You can close this page."));
      sign_in_return_error (task, g_error_new (POPBELL_ERROR, POPBELL_ERROR_AUTH,
                                               _("The provider did not sign in account “%s” "
                                                 "(%s)."), name,
                                               refusal != NULL ? refusal : "no code"));
      visitor_free (visitor);
      return;
    }

  visitor_answer (visitor, 200, _("Popbell is signed in. You can close this page."));
  sign_in_stop (task);
  {
    const gchar *form[] = {
      "grant_type", "authorization_code",
      "code", code,
      "redirect_uri", sign_in->redirect_uri,
      "code_verifier", sign_in->verifier,
      NULL,
    };
    popbell_oauth2_token_request_async (sign_in->account, sign_in->provider,
                                        sign_in->refresh_tokens, form, TRUE,
                                        g_task_get_cancellable (task), code_exchanged,
                                        g_object_ref (task));
  }
  visitor_free (visitor);
}

/* The code bought an access token (not needed now) and the refresh token,
 * which the token request kept in the keyring. */
static void
code_exchanged (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gchar *access;

  access = popbell_oauth2_token_request_finish (result, NULL, &error);
  if (access == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
  popbell_credentials_free_password (access);
}

gboolean
popbell_oauth2_sign_in_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
