/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-account.h"

#include <glib/gi18n.h>
#include <string.h>

#include "popbell-account-private.h"
#include "popbell-error.h"
#include "popbell-oauth2-token-source.h"

struct _PopbellAccount
{
  GObject parent_instance;

  gchar                 *name;               /* (owned) never NULL */
  gchar                 *host;               /* (owned) never NULL, "" unset */
  guint16                port;               /* 0: default for security */
  PopbellPop3Security    security;
  gchar                 *username;           /* (owned) never NULL, "" unset */
  PopbellPop3AuthMethod  auth;
  guint                  interval;           /* seconds */
  guint                  timeout;            /* seconds */
  gboolean               enabled;
  gboolean               allow_insecure_auth;
  gchar                 *tls_ca_file;        /* (owned) (nullable) */
  gchar                 *tls_pinned_sha256;  /* (owned) (nullable) as given */
  /* (owned) oauth2-* key → value, only the keys that are set */
  GHashTable            *oauth2;
};

G_DEFINE_TYPE (PopbellAccount, popbell_account, G_TYPE_OBJECT)

static void
popbell_account_finalize (GObject *object)
{
  PopbellAccount *self = POPBELL_ACCOUNT (object);

  g_free (self->name);
  g_free (self->host);
  g_free (self->username);
  g_free (self->tls_ca_file);
  g_free (self->tls_pinned_sha256);
  g_hash_table_unref (self->oauth2);

  G_OBJECT_CLASS (popbell_account_parent_class)->finalize (object);
}

static void
popbell_account_class_init (PopbellAccountClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = popbell_account_finalize;
}

static void
popbell_account_init (PopbellAccount *self)
{
  self->host = g_strdup ("");
  self->username = g_strdup ("");
  self->security = POPBELL_POP3_SECURITY_TLS;
  self->auth = POPBELL_POP3_AUTH_AUTO;
  self->interval = POPBELL_ACCOUNT_DEFAULT_INTERVAL;
  self->timeout = POPBELL_ACCOUNT_DEFAULT_TIMEOUT;
  self->enabled = TRUE;
  self->oauth2 = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
}

PopbellAccount *
popbell_account_new (const gchar *name)
{
  PopbellAccount *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (POPBELL_TYPE_ACCOUNT, NULL);
  self->name = g_strdup (name);
  return self;
}

PopbellAccount *
popbell_account_copy (PopbellAccount *self)
{
  PopbellAccount *copy;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);

  copy = popbell_account_new (self->name);
  popbell_account_set_host (copy, self->host);
  copy->port = self->port;
  copy->security = self->security;
  popbell_account_set_username (copy, self->username);
  copy->auth = self->auth;
  copy->interval = self->interval;
  copy->timeout = self->timeout;
  copy->enabled = self->enabled;
  copy->allow_insecure_auth = self->allow_insecure_auth;
  popbell_account_set_tls_ca_file (copy, self->tls_ca_file);
  popbell_account_set_tls_pinned_sha256 (copy, self->tls_pinned_sha256);
  for (const gchar * const *key = popbell_account_oauth2_keys (); *key != NULL; key++)
    popbell_account_set_oauth2 (copy, *key, popbell_account_get_oauth2 (self, *key));
  return copy;
}

const gchar *
popbell_account_get_name (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);
  return self->name;
}

const gchar *
popbell_account_get_host (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);
  return self->host;
}

guint16
popbell_account_get_port (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), 0);
  if (self->port != 0)
    return self->port;
  /* RFC 8314 §3.3: implicit TLS on 995; plain and STLS share 110. */
  return self->security == POPBELL_POP3_SECURITY_TLS ? 995 : 110;
}

guint16
popbell_account_get_configured_port (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), 0);
  return self->port;
}

PopbellPop3Security
popbell_account_get_security (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), POPBELL_POP3_SECURITY_TLS);
  return self->security;
}

const gchar *
popbell_account_get_username (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);
  return self->username;
}

PopbellPop3AuthMethod
popbell_account_get_auth (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), POPBELL_POP3_AUTH_AUTO);
  return self->auth;
}

guint
popbell_account_get_interval (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), 0);
  return self->interval;
}

guint
popbell_account_get_timeout (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), 0);
  return self->timeout;
}

gboolean
popbell_account_get_enabled (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), FALSE);
  return self->enabled;
}

gboolean
popbell_account_get_allow_insecure_auth (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), FALSE);
  return self->allow_insecure_auth;
}

const gchar *
popbell_account_get_tls_ca_file (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);
  return self->tls_ca_file;
}

const gchar *
popbell_account_get_tls_pinned_sha256 (PopbellAccount *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);
  return self->tls_pinned_sha256;
}

static void
set_string (gchar       **field,
            const gchar  *value,
            gboolean      nullable)
{
  g_free (*field);
  if (value == NULL || *value == '\0')
    *field = nullable ? NULL : g_strdup ("");
  else
    *field = g_strstrip (g_strdup (value));
}

void
popbell_account_set_host (PopbellAccount *self,
                          const gchar    *host)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  set_string (&self->host, host, FALSE);
}

void
popbell_account_set_port (PopbellAccount *self,
                          guint16         port)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  self->port = port;
}

void
popbell_account_set_security (PopbellAccount      *self,
                              PopbellPop3Security  security)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  g_return_if_fail (security <= POPBELL_POP3_SECURITY_NONE);
  self->security = security;
}

void
popbell_account_set_username (PopbellAccount *self,
                              const gchar    *username)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  /* Not stripped: a user name is what the server says it is. */
  g_free (self->username);
  self->username = g_strdup (username != NULL ? username : "");
}

void
popbell_account_set_auth (PopbellAccount        *self,
                          PopbellPop3AuthMethod  auth)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  g_return_if_fail (auth <= POPBELL_POP3_AUTH_OAUTH2);
  self->auth = auth;
}

void
popbell_account_set_interval (PopbellAccount *self,
                              guint           seconds)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  self->interval = seconds;
}

void
popbell_account_set_timeout (PopbellAccount *self,
                             guint           seconds)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  self->timeout = seconds;
}

void
popbell_account_set_enabled (PopbellAccount *self,
                             gboolean        enabled)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  self->enabled = !!enabled;
}

void
popbell_account_set_allow_insecure_auth (PopbellAccount *self,
                                         gboolean        allow)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  self->allow_insecure_auth = !!allow;
}

void
popbell_account_set_tls_ca_file (PopbellAccount *self,
                                 const gchar    *path)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  set_string (&self->tls_ca_file, path, TRUE);
}

void
popbell_account_set_tls_pinned_sha256 (PopbellAccount *self,
                                       const gchar    *hex)
{
  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  set_string (&self->tls_pinned_sha256, hex, TRUE);
}

const gchar * const *
popbell_account_oauth2_keys (void)
{
  static const gchar * const keys[] = {
    "oauth2-source", "oauth2-command", "oauth2-goa-id", "oauth2-provider",
    "oauth2-client-id", "oauth2-client-secret", "oauth2-auth-url", "oauth2-token-url",
    "oauth2-scope", NULL,
  };
  return keys;
}

/* The static spelling of @key, or NULL when it is not an OAuth 2.0 key: the
 * table's keys point at it, so no copy of a key is ever needed. */
static const gchar *
oauth2_intern_key (const gchar *key)
{
  for (const gchar * const *k = popbell_account_oauth2_keys (); key != NULL && *k != NULL; k++)
    if (g_str_equal (*k, key))
      return *k;
  return NULL;
}

const gchar *
popbell_account_get_oauth2 (PopbellAccount *self,
                            const gchar    *key)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (oauth2_intern_key (key) != NULL, NULL);
  return g_hash_table_lookup (self->oauth2, key);
}

void
popbell_account_set_oauth2 (PopbellAccount *self,
                            const gchar    *key,
                            const gchar    *value)
{
  const gchar *interned = oauth2_intern_key (key);
  g_autofree gchar *stripped = value != NULL ? g_strstrip (g_strdup (value)) : NULL;

  g_return_if_fail (POPBELL_IS_ACCOUNT (self));
  g_return_if_fail (interned != NULL);

  if (stripped == NULL || *stripped == '\0')
    g_hash_table_remove (self->oauth2, interned);
  else
    g_hash_table_replace (self->oauth2, (gpointer) interned, g_steal_pointer (&stripped));
}

gchar *
popbell_account_dup_settings_digest (PopbellAccount *self)
{
  g_autoptr(GChecksum) checksum = NULL;
  g_autofree gchar *pin = NULL;
  gchar port[8];

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);

  /* What decides whether a login can succeed; interval, timeout and enabled
   * do not, so changing them does not lift an auth hold. */
  pin = popbell_account_normalize_sha256 (self->tls_pinned_sha256);
  g_snprintf (port, sizeof port, "%u", popbell_account_get_port (self));
  {
    const gchar *parts[] = {
      "v1", self->host, port, popbell_account_security_to_string (self->security),
      self->username, popbell_account_auth_to_string (self->auth),
      self->tls_ca_file != NULL ? self->tls_ca_file : "", pin != NULL ? pin : "",
      self->allow_insecure_auth ? "insecure-ok" : "secure-only",
    };

    checksum = g_checksum_new (G_CHECKSUM_SHA256);
    /* Each part with its NUL: no value contains one, so no two settings collide. */
    for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
      g_checksum_update (checksum, (const guchar *) parts[i], strlen (parts[i]) + 1);
    /* Another token source or client is another login: it lifts a hold.
     * Only keys that are set count, so the digests of accounts without
     * OAuth 2.0 settings (and their holds) stay what they were. */
    for (const gchar * const *key = popbell_account_oauth2_keys (); *key != NULL; key++)
      {
        const gchar *value = g_hash_table_lookup (self->oauth2, *key);

        if (value == NULL)
          continue;
        g_checksum_update (checksum, (const guchar *) *key, strlen (*key) + 1);
        g_checksum_update (checksum, (const guchar *) value, strlen (value) + 1);
      }
  }
  return g_strdup (g_checksum_get_string (checksum));
}

guint
popbell_account_get_min_interval (void)
{
  const gchar *env = g_getenv ("POPBELL_MIN_INTERVAL");
  guint64 value;

  /* For tests only (SPEC §3): it may lower the floor, never raise it. */
  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, POPBELL_ACCOUNT_MIN_INTERVAL,
                                                 &value, NULL))
    return (guint) value;
  return POPBELL_ACCOUNT_MIN_INTERVAL;
}

gboolean
popbell_account_name_is_valid (const gchar *name)
{
  if (name == NULL || *name == '\0' || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  if (g_ascii_isspace (name[0]) || g_ascii_isspace (name[strlen (name) - 1]))
    return FALSE;
  for (const gchar *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* ']' and '[' would end or confuse the group header "[account NAME]". */
      if (g_unichar_iscntrl (c) || c == '[' || c == ']')
        return FALSE;
    }
  return TRUE;
}

const gchar *
popbell_account_security_to_string (PopbellPop3Security security)
{
  switch (security)
    {
    case POPBELL_POP3_SECURITY_TLS:      return "tls";
    case POPBELL_POP3_SECURITY_STARTTLS: return "starttls";
    case POPBELL_POP3_SECURITY_NONE:     return "none";
    default:                             g_return_val_if_reached ("tls");
    }
}

gboolean
popbell_account_security_from_string (const gchar         *text,
                                      PopbellPop3Security *out)
{
  static const PopbellPop3Security all[] = {
    POPBELL_POP3_SECURITY_TLS, POPBELL_POP3_SECURITY_STARTTLS, POPBELL_POP3_SECURITY_NONE,
  };

  for (gsize i = 0; text != NULL && i < G_N_ELEMENTS (all); i++)
    if (g_strcmp0 (text, popbell_account_security_to_string (all[i])) == 0)
      {
        if (out != NULL)
          *out = all[i];
        return TRUE;
      }
  return FALSE;
}

const gchar *
popbell_account_auth_to_string (PopbellPop3AuthMethod auth)
{
  switch (auth)
    {
    case POPBELL_POP3_AUTH_AUTO:       return "auto";
    case POPBELL_POP3_AUTH_USER:       return "user";
    case POPBELL_POP3_AUTH_APOP:       return "apop";
    case POPBELL_POP3_AUTH_SASL_PLAIN: return "sasl-plain";
    case POPBELL_POP3_AUTH_OAUTH2:     return "oauth2";
    default:                           g_return_val_if_reached ("auto");
    }
}

gboolean
popbell_account_auth_from_string (const gchar           *text,
                                  PopbellPop3AuthMethod *out)
{
  static const PopbellPop3AuthMethod all[] = {
    POPBELL_POP3_AUTH_AUTO, POPBELL_POP3_AUTH_USER,
    POPBELL_POP3_AUTH_APOP, POPBELL_POP3_AUTH_SASL_PLAIN, POPBELL_POP3_AUTH_OAUTH2,
  };

  for (gsize i = 0; text != NULL && i < G_N_ELEMENTS (all); i++)
    if (g_strcmp0 (text, popbell_account_auth_to_string (all[i])) == 0)
      {
        if (out != NULL)
          *out = all[i];
        return TRUE;
      }
  return FALSE;
}

gchar *
popbell_account_normalize_sha256 (const gchar *text)
{
  GString *out;
  guint digits = 0;

  if (text == NULL)
    return NULL;

  out = g_string_sized_new (95);
  for (const gchar *p = text; *p != '\0'; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p) || digits == 64)
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      if (digits > 0 && digits % 2 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (*p));
      digits++;
    }
  if (digits != 64)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

gboolean
popbell_account_check_key (PopbellAccount  *self,
                           const gchar     *key,
                           gchar          **out_reason)
{
  guint min_interval = popbell_account_get_min_interval ();

  if (g_str_equal (key, POPBELL_ACCOUNT_KEY_HOST) && *self->host == '\0')
    *out_reason = g_strdup (_("the server name is missing"));
  else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_USERNAME) && *self->username == '\0')
    *out_reason = g_strdup (_("the user name is missing"));
  else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_INTERVAL) &&
           (self->interval < min_interval || self->interval > POPBELL_ACCOUNT_MAX_INTERVAL))
    *out_reason = g_strdup_printf (_("the interval must be from %u to %u seconds"),
                                   min_interval, (guint) POPBELL_ACCOUNT_MAX_INTERVAL);
  else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_TIMEOUT) &&
           (self->timeout < 1 || self->timeout > POPBELL_ACCOUNT_MAX_TIMEOUT))
    *out_reason = g_strdup_printf (_("the timeout must be from 1 to %u seconds"),
                                   (guint) POPBELL_ACCOUNT_MAX_TIMEOUT);
  else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_CA_FILE) && self->tls_ca_file != NULL &&
           !g_path_is_absolute (self->tls_ca_file))
    /* The account store resolves relative names against the folder of
     * accounts.ini; anything else would depend on the working folder. */
    *out_reason = g_strdup (_("the CA file must be given with its full path"));
  else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_PINNED_SHA256) &&
           self->tls_pinned_sha256 != NULL)
    {
      g_autofree gchar *pin = popbell_account_normalize_sha256 (self->tls_pinned_sha256);

      if (pin == NULL)
        *out_reason = g_strdup (_("the fingerprint must be 64 hexadecimal digits "
                                  "(colons between pairs are allowed)"));
      else
        return TRUE;
    }
  else
    return TRUE;

  return FALSE;
}

gboolean
popbell_account_validate (PopbellAccount  *self,
                          GError         **error)
{
  static const gchar *checked[] = {
    POPBELL_ACCOUNT_KEY_HOST, POPBELL_ACCOUNT_KEY_USERNAME, POPBELL_ACCOUNT_KEY_INTERVAL,
    POPBELL_ACCOUNT_KEY_TIMEOUT, POPBELL_ACCOUNT_KEY_CA_FILE, POPBELL_ACCOUNT_KEY_PINNED_SHA256,
  };

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!popbell_account_name_is_valid (self->name))
    {
      g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                   _("The account name “%s” is not valid: use a non-empty name without "
                     "brackets or control characters."), self->name);
      return FALSE;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (checked); i++)
    {
      g_autofree gchar *reason = NULL;

      if (!popbell_account_check_key (self, checked[i], &reason))
        {
          /* Translators: account name, key name, then why, e.g. "the user name is missing". */
          g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                       _("Account “%s”, setting “%s”: %s."), self->name, checked[i], reason);
          return FALSE;
        }
    }
  /* auth=oauth2: the token source and what it needs (SPEC §3). */
  if (self->auth == POPBELL_POP3_AUTH_OAUTH2)
    return popbell_oauth2_check_account (self, error);
  return TRUE;
}

PopbellPop3Client *
popbell_account_create_client (PopbellAccount *self)
{
  PopbellPop3Client *client;
  g_autofree gchar *pin = NULL;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (self), NULL);

  client = popbell_pop3_client_new (self->host, popbell_account_get_port (self), self->security);
  popbell_pop3_client_set_timeout (client, self->timeout);
  popbell_pop3_client_set_allow_insecure_auth (client, self->allow_insecure_auth);
  if (self->tls_ca_file != NULL)
    popbell_pop3_client_set_tls_ca_file (client, self->tls_ca_file);
  pin = popbell_account_normalize_sha256 (self->tls_pinned_sha256);
  if (pin != NULL)
    popbell_pop3_client_set_pinned_sha256 (client, pin);
  return client;
}
