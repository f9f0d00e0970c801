/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-oauth2-builtin.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "popbell-error.h"
#include "popbell-oauth2-http.h"
#include "popbell-text.h"

/* --- providers ------------------------------------------------------------ */

/* Endpoints as the providers document them for installed applications.
 * Google: https://developers.google.com/identity/protocols/oauth2/native-app,
 * scope for POP3/IMAP/SMTP https://mail.google.com/. Microsoft identity
 * platform, "common" tenant (work, school and personal accounts), POP scope
 * plus offline_access for a refresh token. */
typedef struct {
  const gchar *name;
  const gchar *auth_url;
  const gchar *token_url;
  const gchar *scope;
  gboolean     google_offline;
} ProviderPreset;

static const ProviderPreset presets[] = {
  { "google", "https://accounts.google.com/o/oauth2/v2/auth",
    "https://oauth2.googleapis.com/token", "https://mail.google.com/", TRUE },
  { "microsoft", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    "https://outlook.office.com/POP.AccessAsUser.All offline_access", FALSE },
};

void
popbell_oauth2_provider_free (PopbellOAuth2Provider *provider)
{
  if (provider == NULL)
    return;
  g_free (provider->auth_url);
  g_free (provider->token_url);
  g_free (provider->scope);
  g_free (provider->client_id);
  if (provider->client_secret != NULL)
    memset (provider->client_secret, 0, strlen (provider->client_secret));
  g_free (provider->client_secret);
  g_free (provider);
}

PopbellOAuth2Provider *
popbell_oauth2_provider_new_for_account (PopbellAccount  *account,
                                         gchar          **out_key,
                                         gchar          **out_reason)
{
  g_autoptr(PopbellOAuth2Provider) provider = g_new0 (PopbellOAuth2Provider, 1);
  const gchar *name = popbell_account_get_oauth2 (account, "oauth2-provider");
  const gchar *client_id = popbell_account_get_oauth2 (account, "oauth2-client-id");
  const ProviderPreset *preset = NULL;

#define REFUSE(key, reason) \
  G_STMT_START { *out_key = g_strdup (key); *out_reason = g_strdup (reason); return NULL; } G_STMT_END

  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (presets); i++)
    if (g_str_equal (name, presets[i].name))
      preset = &presets[i];
  if (preset == NULL && g_strcmp0 (name, "custom") != 0)
    REFUSE ("oauth2-provider", _("choose google, microsoft or custom"));
  if (client_id == NULL)
    REFUSE ("oauth2-client-id",
            _("the built-in sign-in needs the client ID of an application registered with the "
              "provider (see the README)"));

  if (preset != NULL)
    {
      provider->auth_url = g_strdup (preset->auth_url);
      provider->token_url = g_strdup (preset->token_url);
      provider->scope = g_strdup (preset->scope);
      provider->google_offline = preset->google_offline;
    }
  else
    {
      provider->auth_url = g_strdup (popbell_account_get_oauth2 (account, "oauth2-auth-url"));
      provider->token_url = g_strdup (popbell_account_get_oauth2 (account, "oauth2-token-url"));
      provider->scope = g_strdup (popbell_account_get_oauth2 (account, "oauth2-scope"));
      if (!popbell_oauth2_http_url_allowed (provider->auth_url))
        REFUSE ("oauth2-auth-url", _("set the provider's authorization address (https)"));
      if (!popbell_oauth2_http_url_allowed (provider->token_url))
        REFUSE ("oauth2-token-url", _("set the provider's token address (https)"));
      if (provider->scope == NULL)
        REFUSE ("oauth2-scope", _("set the scope that grants POP3 access"));
    }
  provider->client_id = g_strdup (client_id);
  provider->client_secret = g_strdup (popbell_account_get_oauth2 (account, "oauth2-client-secret"));
#undef REFUSE
  return g_steal_pointer (&provider);
}

/* --- the token endpoint --------------------------------------------------- */

typedef struct {
  PopbellAccount     *account;         /* (owned) */
  PopbellCredentials *refresh_tokens;  /* (owned) */
  gboolean            sign_in;
  gint64              expires_at;
  gchar              *access_token;    /* (owned) (nullable) wiped; while the refresh
                                        * token is being kept */
} TokenRequest;

static void
token_request_free (TokenRequest *request)
{
  g_clear_object (&request->account);
  g_clear_object (&request->refresh_tokens);
  popbell_credentials_free_password (request->access_token);
  g_free (request);
}

static void token_request_done (GObject *source, GAsyncResult *result, gpointer user_data);
static void refresh_token_kept (GObject *source, GAsyncResult *result, gpointer user_data);

void
popbell_oauth2_token_request_async (PopbellAccount         *account,
                                    PopbellOAuth2Provider  *provider,
                                    PopbellCredentials     *refresh_tokens,
                                    const gchar * const    *form,
                                    gboolean                sign_in,
                                    GCancellable           *cancellable,
                                    GAsyncReadyCallback     callback,
                                    gpointer                user_data)
{
  g_autoptr(GTask) task = g_task_new (account, cancellable, callback, user_data);
  g_autoptr(GPtrArray) pairs = g_ptr_array_new ();
  TokenRequest *request = g_new0 (TokenRequest, 1);

  g_task_set_source_tag (task, popbell_oauth2_token_request_async);
  request->account = g_object_ref (account);
  request->refresh_tokens = g_object_ref (refresh_tokens);
  request->sign_in = sign_in;
  g_task_set_task_data (task, request, (GDestroyNotify) token_request_free);

  for (guint i = 0; form[i] != NULL; i++)
    g_ptr_array_add (pairs, (gpointer) form[i]);
  g_ptr_array_add (pairs, (gpointer) "client_id");
  g_ptr_array_add (pairs, provider->client_id);
  if (provider->client_secret != NULL)
    {
      /* RFC 6749 §2.3.1 allows it in the body; an installed application's
       * "secret" (Google issues one) is no secret anyway (RFC 8252 §8.5). */
      g_ptr_array_add (pairs, (gpointer) "client_secret");
      g_ptr_array_add (pairs, provider->client_secret);
    }
  g_ptr_array_add (pairs, NULL);

  popbell_oauth2_http_post_form_async (provider->token_url, (const gchar * const *) pairs->pdata,
                                       popbell_account_get_timeout (account), cancellable,
                                       token_request_done, g_steal_pointer (&task));
}

static const gchar *
member_string (JsonObject *object, const gchar *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static GError *
network_error (TokenRequest *request, const GError *error)
{
  const gchar *name = popbell_account_get_name (request->account);

  if (error->domain == G_TLS_ERROR)
    return g_error_new (POPBELL_ERROR, POPBELL_ERROR_TLS,
                        _("The OAuth 2.0 provider of account “%s” has a certificate Popbell "
                          "cannot trust: %s"), name, error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (POPBELL_ERROR, POPBELL_ERROR_TIMEOUT,
                        _("The OAuth 2.0 provider of account “%s” did not answer in time."), name);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    return g_error_new (POPBELL_ERROR, POPBELL_ERROR_PROTOCOL,
                        _("Account “%s”: %s"), name, error->message);
  return g_error_new (POPBELL_ERROR, POPBELL_ERROR_NETWORK,
                      _("Cannot reach the OAuth 2.0 provider of account “%s”: %s"),
                      name, error->message);
}

static void
token_request_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  TokenRequest *request = g_task_get_task_data (task);
  const gchar *name = popbell_account_get_name (request->account);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree gchar *detail = NULL;
  JsonObject *object = NULL;
  const gchar *access;
  const gchar *refresh;
  const gchar *code;
  guint status = 0;
  gsize len;
  const gchar *data;

  body = popbell_oauth2_http_post_form_finish (result, &status, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, network_error (request, error));
      return;
    }
  data = g_bytes_get_data (body, &len);
  if (len > 0 && json_parser_load_from_data (parser, data, (gssize) len, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));

  /* RFC 6749 §5.2: an error answer names the error. */
  code = member_string (object, "error");
  detail = popbell_text_sanitize_line (member_string (object, "error_description") != NULL
                                         ? member_string (object, "error_description")
                                         : (code != NULL ? code : ""), -1, 200);
  if (status >= 500)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_SERVER,
                               _("The OAuth 2.0 provider of account “%s” has a problem (HTTP "
                                 "%u); Popbell will try again later."), name, status);
      return;
    }
  if (g_strcmp0 (code, "invalid_grant") == 0)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                               _("The sign-in of account “%s” has expired or was revoked (%s); "
                                 "sign in again with “popbell --sign-in %s” or “Sign in…” in "
                                 "the preferences."), name, detail, name);
      return;
    }
  if (status != 200 || code != NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The OAuth 2.0 provider of account “%s” refused the request "
                                 "(HTTP %u: %s); check the client ID and secret."),
                               name, status, detail);
      return;
    }

  access = member_string (object, "access_token");
  if (access == NULL || *access == '\0')
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_PROTOCOL,
                               _("The OAuth 2.0 provider of account “%s” sent no access "
                                 "token."), name);
      return;
    }
  if (json_object_has_member (object, "expires_in"))
    {
      JsonNode *node = json_object_get_member (object, "expires_in");
      gint64 seconds = 0;

      /* A number (RFC 6749 §5.1); some providers send it as a string. */
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        seconds = g_ascii_strtoll (json_node_get_string (node), NULL, 10);
      else if (JSON_NODE_HOLDS_VALUE (node))
        seconds = json_node_get_int (node);

      if (seconds > 0 && seconds < G_MAXINT32)
        request->expires_at = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
    }
  refresh = member_string (object, "refresh_token");
  if (refresh == NULL && request->sign_in)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                               _("The provider signed in account “%s” but gave no refresh "
                                 "token, so Popbell could not check it later; check the scope "
                                 "(offline access)."), name);
      return;
    }
  if (refresh == NULL)
    {
      g_task_return_pointer (task, g_strdup (access),
                             (GDestroyNotify) popbell_credentials_free_password);
      return;
    }
  request->access_token = g_strdup (access);
  {
    /* Translators: the label of a keyring item; %s is the account name. */
    g_autofree gchar *label = g_strdup_printf (_("Popbell: %s (OAuth 2.0 sign-in)"), name);
    GCancellable *cancellable = g_task_get_cancellable (task);

    popbell_credentials_store_async (request->refresh_tokens,
                                     popbell_account_get_host (request->account),
                                     popbell_account_get_username (request->account), label,
                                     refresh, cancellable, refresh_token_kept,
                                     g_steal_pointer (&task));
  }
}

static void
refresh_token_kept (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  TokenRequest *request = g_task_get_task_data (task);
  const gchar *name = popbell_account_get_name (request->account);
  g_autoptr(GError) error = NULL;

  if (!popbell_credentials_store_finish (POPBELL_CREDENTIALS (source), result, &error))
    {
      if (request->sign_in)
        {
          g_task_return_error (task, popbell_credentials_error_to_popbell (error, name));
          return;
        }
      /* The access token works either way; the next refresh will tell. */
      g_debug ("account %s: the new refresh token could not be stored: %s", name,
               error->message);
    }
  g_task_return_pointer (task, g_steal_pointer (&request->access_token),
                         (GDestroyNotify) popbell_credentials_free_password);
}

gchar *
popbell_oauth2_token_request_finish (GAsyncResult  *result,
                                     gint64        *out_expires_at,
                                     GError       **error)
{
  gchar *token;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  token = g_task_propagate_pointer (G_TASK (result), error);
  if (token != NULL && out_expires_at != NULL)
    *out_expires_at = ((TokenRequest *) g_task_get_task_data (G_TASK (result)))->expires_at;
  return token;
}

/* --- the source ----------------------------------------------------------- */

struct _PopbellOAuth2BuiltinSource
{
  GObject             parent_instance;

  PopbellAccount     *account;          /* (owned) */
  PopbellCredentials *refresh_tokens;   /* (owned) */
  gchar              *access_token;     /* (owned) (nullable) in memory only; wiped */
  gint64              expires_at;       /* monotonic µs; 0: unknown */
};

static void popbell_oauth2_builtin_source_iface_init (PopbellTokenSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PopbellOAuth2BuiltinSource, popbell_oauth2_builtin_source,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (POPBELL_TYPE_TOKEN_SOURCE,
                                                      popbell_oauth2_builtin_source_iface_init))

static void
popbell_oauth2_builtin_source_dispose (GObject *object)
{
  PopbellOAuth2BuiltinSource *self = POPBELL_OAUTH2_BUILTIN_SOURCE (object);

  g_clear_object (&self->account);
  g_clear_object (&self->refresh_tokens);
  g_clear_pointer (&self->access_token, popbell_credentials_free_password);
  G_OBJECT_CLASS (popbell_oauth2_builtin_source_parent_class)->dispose (object);
}

static void
popbell_oauth2_builtin_source_class_init (PopbellOAuth2BuiltinSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_oauth2_builtin_source_dispose;
}

static void
popbell_oauth2_builtin_source_init (PopbellOAuth2BuiltinSource *self)
{
}

PopbellTokenSource *
popbell_oauth2_builtin_source_new (PopbellAccount *account, PopbellCredentials *refresh_tokens)
{
  PopbellOAuth2BuiltinSource *self;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (POPBELL_IS_CREDENTIALS (refresh_tokens), NULL);

  self = g_object_new (POPBELL_TYPE_OAUTH2_BUILTIN_SOURCE, NULL);
  self->account = g_object_ref (account);
  self->refresh_tokens = g_object_ref (refresh_tokens);
  return POPBELL_TOKEN_SOURCE (self);
}

static void builtin_got_refresh_token (GObject *source, GAsyncResult *result, gpointer user_data);
static void builtin_refreshed (GObject *source, GAsyncResult *result, gpointer user_data);

static void
builtin_get_token_async (PopbellTokenSource  *source,
                         gboolean             force_renew,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  PopbellOAuth2BuiltinSource *self = POPBELL_OAUTH2_BUILTIN_SOURCE (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  gint64 now = g_get_monotonic_time ();

  g_task_set_source_tag (task, builtin_get_token_async);

  if (force_renew)
    g_clear_pointer (&self->access_token, popbell_credentials_free_password);
  if (self->access_token != NULL &&
      (self->expires_at == 0 ||
       now + POPBELL_OAUTH2_EXPIRY_MARGIN_S * G_USEC_PER_SEC < self->expires_at))
    {
      g_task_return_pointer (task, g_strdup (self->access_token),
                             (GDestroyNotify) popbell_credentials_free_password);
      return;
    }
  g_clear_pointer (&self->access_token, popbell_credentials_free_password);
  popbell_credentials_lookup_async (self->refresh_tokens, popbell_account_get_host (self->account),
                                    popbell_account_get_username (self->account), cancellable,
                                    builtin_got_refresh_token, g_steal_pointer (&task));
}

static void
builtin_got_refresh_token (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellOAuth2BuiltinSource *self = g_task_get_source_object (task);
  const gchar *name = popbell_account_get_name (self->account);
  g_autoptr(GError) error = NULL;
  g_autoptr(PopbellOAuth2Provider) provider = NULL;
  g_autofree gchar *key = NULL;
  g_autofree gchar *reason = NULL;
  gchar *refresh;

  refresh = popbell_credentials_lookup_finish (POPBELL_CREDENTIALS (source), result, &error);
  if (refresh == NULL)
    {
      if (error == NULL || g_error_matches (error, POPBELL_CREDENTIALS_ERROR,
                                            POPBELL_CREDENTIALS_ERROR_NOT_FOUND))
        g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_AUTH,
                                 _("Account “%s” is not signed in: sign in with “popbell "
                                   "--sign-in %s” or “Sign in…” in the preferences."),
                                 name, name);
      else if (g_error_matches (error, POPBELL_CREDENTIALS_ERROR,
                                POPBELL_CREDENTIALS_ERROR_LOCKED) ||
               g_error_matches (error, POPBELL_CREDENTIALS_ERROR,
                                POPBELL_CREDENTIALS_ERROR_NO_SERVICE))
        /* As it is: the session waits for ::unlocked, as for a password. */
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, popbell_credentials_error_to_popbell (error, name));
      return;
    }

  provider = popbell_oauth2_provider_new_for_account (self->account, &key, &reason);
  if (provider == NULL)
    {
      popbell_credentials_free_password (refresh);
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("Account “%s”, setting “%s”: %s."), name, key, reason);
      return;
    }

  g_debug ("account %s: refreshing its OAuth 2.0 access token", name);
  {
    const gchar *form[] = { "grant_type", "refresh_token", "refresh_token", refresh, NULL };

    popbell_oauth2_token_request_async (self->account, provider, self->refresh_tokens, form,
                                        FALSE, g_task_get_cancellable (task), builtin_refreshed,
                                        g_object_ref (task));
  }
  popbell_credentials_free_password (refresh);
}

static void
builtin_refreshed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellOAuth2BuiltinSource *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  gchar *token;

  token = popbell_oauth2_token_request_finish (result, &self->expires_at, &error);
  if (token == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_pointer (&self->access_token, popbell_credentials_free_password);
  self->access_token = token;
  g_task_return_pointer (task, g_strdup (token), (GDestroyNotify) popbell_credentials_free_password);
}

static gchar *
builtin_get_token_finish (PopbellTokenSource *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
popbell_oauth2_builtin_source_iface_init (PopbellTokenSourceInterface *iface)
{
  iface->get_token_async = builtin_get_token_async;
  iface->get_token_finish = builtin_get_token_finish;
}
