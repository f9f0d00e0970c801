/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-account.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "popbell-account-private.h"
#include "popbell-error.h"

/* The file is edited in place, never regenerated: the GKeyFile as loaded keeps
 * comments, unknown keys and other groups, and saving writes only the keys
 * whose values changed since the load (SPEC §3). */
struct _PopbellAccountStore
{
  GObject     parent_instance;

  gchar      *path;         /* (owned) */
  GKeyFile   *keyfile;      /* (owned) the file as loaded or last saved */
  gchar      *disk_data;    /* (owned) (nullable) the file's bytes at that moment;
                             * NULL when there was no file */
  gboolean    loaded;       /* a load succeeded (or there was no file) */
  GPtrArray  *accounts;     /* (owned) (element-type PopbellAccount) file order */
  GHashTable *on_disk;      /* (owned) name → PopbellAccount as in the file */
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (PopbellAccountStore, popbell_account_store, G_TYPE_OBJECT)

static void
popbell_account_store_finalize (GObject *object)
{
  PopbellAccountStore *self = POPBELL_ACCOUNT_STORE (object);

  g_free (self->path);
  g_key_file_unref (self->keyfile);
  g_free (self->disk_data);
  g_ptr_array_unref (self->accounts);
  g_hash_table_unref (self->on_disk);

  G_OBJECT_CLASS (popbell_account_store_parent_class)->finalize (object);
}

static void
popbell_account_store_class_init (PopbellAccountStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = popbell_account_store_finalize;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
popbell_account_store_init (PopbellAccountStore *self)
{
  self->keyfile = g_key_file_new ();
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  self->on_disk = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

gchar *
popbell_account_store_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "popbell", "accounts.ini", NULL);
}

PopbellAccountStore *
popbell_account_store_new (const gchar *path)
{
  PopbellAccountStore *self;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (POPBELL_TYPE_ACCOUNT_STORE, NULL);
  self->path = g_strdup (path);
  return self;
}

const gchar *
popbell_account_store_get_path (PopbellAccountStore *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_STORE (self), NULL);
  return self->path;
}

/* --- Where things are in the file ------------------------------------- */

/* GKeyFile does not say which line it stumbled on, and the SPEC wants the
 * line named. The index below records where each group and key was seen,
 * parsing lines the way GKeyFile does (leading blanks skipped, '#' comments,
 * "[group]", "key = value"). */
typedef struct {
  GHashTable *groups;   /* group → line of its (first) header */
  GHashTable *keys;     /* "group\nkey" → line of its last occurrence */
  guint       duplicate_group_line;  /* 0: none */
  gchar      *duplicate_group;
} LineIndex;

static void
line_index_clear (LineIndex *index)
{
  g_clear_pointer (&index->groups, g_hash_table_unref);
  g_clear_pointer (&index->keys, g_hash_table_unref);
  g_clear_pointer (&index->duplicate_group, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LineIndex, line_index_clear)

static void
line_index_build (LineIndex   *index,
                  const gchar *data)
{
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);
  g_autofree gchar *group = NULL;

  index->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  index->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const gchar *line = lines[i];
      guint number = i + 1;

      while (g_ascii_isspace (*line))
        line++;
      if (*line == '\0' || *line == '#')
        continue;

      if (*line == '[')
        {
          const gchar *close = strrchr (line, ']');

          g_free (group);
          group = close != NULL ? g_strndup (line + 1, close - line - 1) : g_strdup (line + 1);
          if (g_hash_table_contains (index->groups, group))
            {
              if (index->duplicate_group_line == 0)
                {
                  index->duplicate_group_line = number;
                  index->duplicate_group = g_strdup (group);
                }
            }
          else
            g_hash_table_insert (index->groups, g_strdup (group), GUINT_TO_POINTER (number));
        }
      else if (group != NULL)
        {
          const gchar *eq = strchr (line, '=');
          g_autofree gchar *key = g_strndup (line, eq != NULL ? (gsize) (eq - line) : strlen (line));

          g_strchomp (key);
          g_hash_table_insert (index->keys, g_strconcat (group, "\n", key, NULL),
                               GUINT_TO_POINTER (number));
        }
    }
}

static guint
line_index_find (LineIndex   *index,
                 const gchar *group,
                 const gchar *key)
{
  if (key != NULL)
    {
      g_autofree gchar *both = g_strconcat (group, "\n", key, NULL);
      guint line = GPOINTER_TO_UINT (g_hash_table_lookup (index->keys, both));

      if (line != 0)
        return line;
    }
  return GPOINTER_TO_UINT (g_hash_table_lookup (index->groups, group));
}

/* The first line GKeyFile rejects: the shortest prefix (in whole lines) that
 * fails to parse ends with it. Parsing is line by line, so failure is
 * monotonic in the prefix length and a binary search finds it. */
static guint
find_syntax_error_line (const gchar *data,
                        gsize        len)
{
  g_autoptr(GArray) ends = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint lo = 1, hi;

  for (gsize i = 0; i < len; i++)
    if (data[i] == '\n')
      {
        gsize end = i + 1;
        g_array_append_val (ends, end);
      }
  if (len > 0 && data[len - 1] != '\n')
    g_array_append_val (ends, len);
  hi = ends->len;
  if (hi == 0)
    return 1;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      g_autoptr(GKeyFile) probe = g_key_file_new ();

      if (g_key_file_load_from_data (probe, data, g_array_index (ends, gsize, mid - 1),
                                     G_KEY_FILE_NONE, NULL))
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* --- Loading ---------------------------------------------------------- */

static void set_config_error (GError      **error,
                              const gchar  *path,
                              guint         line,
                              const gchar  *group,
                              const gchar  *format,
                              ...) G_GNUC_PRINTF (5, 6);

/* A line for an error message: valid UTF-8 whatever the file holds, and
 * short (a whole line of base64 helps nobody). */
static gchar *
quote_line (const gchar *line,
            gsize        len)
{
  g_autofree gchar *valid = g_strstrip (g_utf8_make_valid (line, len));
  /* Counted after the strip: g_utf8_substring() reads past the end of a
   * string shorter than it is asked for. */
  glong chars = g_utf8_strlen (valid, -1);

  if (chars <= 60)
    return g_steal_pointer (&valid);
  {
    g_autofree gchar *start = g_utf8_substring (valid, 0, 57);

    return g_strconcat (start, "…", NULL);
  }
}

/* GKeyFile's own messages quote the offending line byte for byte (so the
 * message itself can be invalid UTF-8) and never name the line. Encoding
 * problems are found here first, line by line. */
static gboolean
check_encoding (const gchar  *path,
                const gchar  *data,
                gsize         len,
                GError      **error)
{
  const gchar *p = data, *end = data + len;

  for (guint number = 1; p < end; number++)
    {
      const gchar *nl = memchr (p, '\n', end - p);
      gsize line_len = (nl != NULL ? nl : end) - p;

      if (memchr (p, '\0', line_len) != NULL)
        {
          set_config_error (error, path, number, NULL,
                            _("the line contains a NUL byte; this is not a text file."));
          return FALSE;
        }
      if (!g_utf8_validate_len (p, line_len, NULL))
        {
          g_autofree gchar *quoted = quote_line (p, line_len);

          set_config_error (error, path, number, NULL,
                            _("“%s” is not valid UTF-8 text; save the file as UTF-8."),
                            quoted);
          return FALSE;
        }
      p = nl != NULL ? nl + 1 : end;
    }
  return TRUE;
}

/* What is wrong with @line (number @number), which GKeyFile rejected: said
 * in the terms of the file, not GKeyFile's. */
static void
set_syntax_error (GError      **error,
                  const gchar  *path,
                  const gchar  *data,
                  guint         number)
{
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);
  g_autofree gchar *quoted = NULL;
  gboolean in_group = FALSE;
  const gchar *line = "";
  const gchar *eq;

  for (guint i = 0; lines[i] != NULL && i < number; i++)
    {
      line = lines[i];
      while (g_ascii_isspace (*line))
        line++;
      if (i + 1 < number && *line == '[')
        in_group = TRUE;
    }
  quoted = quote_line (line, strlen (line));
  eq = strchr (line, '=');

  if (*line == '[')
    set_config_error (error, path, number, NULL,
                      _("“%s” is not a valid group header: write [NAME] on a line of its "
                        "own, without brackets inside the name."), quoted);
  else if (eq != NULL && !in_group)
    set_config_error (error, path, number, NULL,
                      _("“%s” comes before the first group; put keys under a group such "
                        "as [account NAME]."), quoted);
  else if (eq != NULL)
    {
      g_autofree gchar *key = g_strstrip (g_strndup (line, eq - line));
      g_autofree gchar *quoted_key = quote_line (key, strlen (key));

      if (*key == '\0')
        set_config_error (error, path, number, NULL,
                          _("“%s” has no key name before “=”."), quoted);
      else
        set_config_error (error, path, number, NULL,
                          _("“%s” is not a valid key name; use letters, digits and “-”."),
                          quoted_key);
    }
  else
    set_config_error (error, path, number, NULL,
                      _("“%s” is neither a [group], a key=value line nor a # comment."),
                      quoted);
}

G_GNUC_PRINTF (5, 6)
static void
set_config_error (GError      **error,
                  const gchar  *path,
                  guint         line,
                  const gchar  *group,
                  const gchar  *format,
                  ...)
{
  g_autofree gchar *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  if (group != NULL)
    /* Translators: file, line number, group such as "account work", then what is wrong. */
    g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                 _("%s line %u, group [%s]: %s"), path, line, group, reason);
  else
    g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                 _("%s line %u: %s"), path, line, reason);
}

static gboolean
parse_boolean (const gchar *text,
               gboolean    *out)
{
  /* What GKeyFile itself accepts. */
  if (g_str_equal (text, "true") || g_str_equal (text, "1"))
    *out = TRUE;
  else if (g_str_equal (text, "false") || g_str_equal (text, "0"))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* tls-ca-file as written may be relative: to the folder of accounts.ini
 * (a CA file kept next to it), or to the home folder with "~/". As it was,
 * a relative name was looked up in whatever folder the applet started in
 * and the CA trusted nothing. The file keeps the user's spelling; the
 * account holds the absolute path. */
static gchar *
resolve_ca_file (const gchar *accounts_path,
                 const gchar *value)
{
  g_autofree gchar *dir = NULL;

  if (*value == '\0' || g_path_is_absolute (value))
    return g_strdup (value);
  if (g_str_has_prefix (value, "~/"))
    return g_build_filename (g_get_home_dir (), value + 2, NULL);
  dir = g_path_get_dirname (accounts_path);
  if (!g_path_is_absolute (dir))
    {
      g_autofree gchar *cwd = g_get_current_dir ();
      g_autofree gchar *absolute = g_build_filename (cwd, dir, NULL);

      g_free (dir);
      dir = g_steal_pointer (&absolute);
    }
  return g_build_filename (dir, value, NULL);
}

/* Reads one account group. Every message names the key and its line. */
static PopbellAccount *
parse_account (GKeyFile     *keyfile,
               const gchar  *group,
               const gchar  *path,
               LineIndex    *index,
               GError      **error)
{
  const gchar *name = group + strlen (POPBELL_ACCOUNT_GROUP_PREFIX);
  g_autoptr(PopbellAccount) account = NULL;
  g_auto(GStrv) keys = NULL;

#define FAIL(key, ...) \
  G_STMT_START { \
    set_config_error (error, path, line_index_find (index, group, (key)), group, __VA_ARGS__); \
    return NULL; \
  } G_STMT_END

  if (!popbell_account_name_is_valid (name))
    FAIL (NULL, _("the account name “%s” is not valid; use a non-empty name without "
                  "brackets or control characters."), name);

  account = popbell_account_new (name);
  keys = g_key_file_get_keys (keyfile, group, NULL, NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      const gchar *key = keys[i];
      g_autoptr(GError) local_error = NULL;
      g_autofree gchar *raw = g_key_file_get_string (keyfile, group, key, &local_error);
      g_autofree gchar *reason = NULL;
      const gchar *value;
      guint64 number;
      gboolean flag;

      if (raw == NULL)
        FAIL (key, _("key “%s”: %s."), key, local_error->message);
      value = g_strstrip (raw);

      if (g_str_equal (key, POPBELL_ACCOUNT_KEY_HOST))
        popbell_account_set_host (account, value);
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_USERNAME))
        popbell_account_set_username (account, value);
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_PORT))
        {
          if (!g_ascii_string_to_unsigned (value, 10, 1, 65535, &number, NULL))
            FAIL (key, _("key “%s”: “%s” is not a port number from 1 to 65535."), key, value);
          popbell_account_set_port (account, (guint16) number);
        }
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_SECURITY))
        {
          PopbellPop3Security security;

          if (!popbell_account_security_from_string (value, &security))
            FAIL (key, _("key “%s”: “%s” is not one of tls, starttls or none."), key, value);
          popbell_account_set_security (account, security);
        }
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_AUTH))
        {
          PopbellPop3AuthMethod auth;

          if (!popbell_account_auth_from_string (value, &auth))
            FAIL (key, _("key “%s”: “%s” is not one of auto, user, apop, sasl-plain or oauth2."),
                  key, value);
          popbell_account_set_auth (account, auth);
        }
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_INTERVAL) ||
               g_str_equal (key, POPBELL_ACCOUNT_KEY_TIMEOUT))
        {
          if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &number, NULL))
            FAIL (key, _("key “%s”: “%s” is not a number of seconds."), key, value);
          if (g_str_equal (key, POPBELL_ACCOUNT_KEY_INTERVAL))
            popbell_account_set_interval (account, (guint) number);
          else
            popbell_account_set_timeout (account, (guint) number);
          if (!popbell_account_check_key (account, key, &reason))
            FAIL (key, _("key “%s”: %s."), key, reason);
        }
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_ENABLED) ||
               g_str_equal (key, POPBELL_ACCOUNT_KEY_ALLOW_INSECURE))
        {
          if (!parse_boolean (value, &flag))
            FAIL (key, _("key “%s”: “%s” is neither true nor false."), key, value);
          if (g_str_equal (key, POPBELL_ACCOUNT_KEY_ENABLED))
            popbell_account_set_enabled (account, flag);
          else
            popbell_account_set_allow_insecure_auth (account, flag);
        }
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_CA_FILE))
        {
          g_autofree gchar *resolved = resolve_ca_file (path, value);

          popbell_account_set_tls_ca_file (account, resolved);
          if (!popbell_account_check_key (account, key, &reason))
            FAIL (key, _("key “%s”: %s."), key, reason);
        }
      else if (g_str_equal (key, POPBELL_ACCOUNT_KEY_PINNED_SHA256))
        {
          popbell_account_set_tls_pinned_sha256 (account, value);
          if (!popbell_account_check_key (account, key, &reason))
            FAIL (key, _("key “%s”: %s."), key, reason);
        }
      else if (g_str_has_prefix (key, POPBELL_ACCOUNT_KEY_OAUTH2_PREFIX) &&
               g_strv_contains (popbell_account_oauth2_keys (), key))
        popbell_account_set_oauth2 (account, key, value);
      else
        g_debug ("%s: [%s] unknown key “%s” kept as it is", path, group, key);
    }

  if (*popbell_account_get_host (account) == '\0')
    FAIL (POPBELL_ACCOUNT_KEY_HOST, _("key “%s” is missing or empty: set the server name."),
          POPBELL_ACCOUNT_KEY_HOST);
  if (*popbell_account_get_username (account) == '\0')
    FAIL (POPBELL_ACCOUNT_KEY_USERNAME, _("key “%s” is missing or empty: set the user name."),
          POPBELL_ACCOUNT_KEY_USERNAME);

#undef FAIL

  return g_steal_pointer (&account);
}

/* Parses @data into a key file and its accounts. Nothing is changed on error. */
static gboolean
parse_file (const gchar  *path,
            const gchar  *data,
            gsize         len,
            GKeyFile    **out_keyfile,
            GPtrArray   **out_accounts,
            GError      **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) groups = NULL;
  g_auto(LineIndex) index = { 0 };

  if (!check_encoding (path, data, len, error))
    return FALSE;
  if (!g_key_file_load_from_data (keyfile, data, len,
                                  G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
                                  &local_error))
    {
      g_debug ("%s: %s", path, local_error->message);
      set_syntax_error (error, path, data, find_syntax_error_line (data, len));
      return FALSE;
    }

  line_index_build (&index, data);
  if (index.duplicate_group_line != 0)
    {
      set_config_error (error, path, index.duplicate_group_line, index.duplicate_group,
                        _("the group appears twice; merge the two into one."));
      return FALSE;
    }

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      PopbellAccount *account;

      /* A password in a plain file is exactly what Popbell promises never to
       * keep: refuse the whole file rather than use or silently drop it. */
      if (g_key_file_has_key (keyfile, groups[i], POPBELL_ACCOUNT_KEY_PASSWORD, NULL))
        {
          const gchar *name = g_str_has_prefix (groups[i], POPBELL_ACCOUNT_GROUP_PREFIX)
                              ? groups[i] + strlen (POPBELL_ACCOUNT_GROUP_PREFIX) : "NAME";

          set_config_error (error, path,
                            line_index_find (&index, groups[i], POPBELL_ACCOUNT_KEY_PASSWORD),
                            groups[i],
                            _("passwords must not be stored in this file. Remove the "
                              "password line and store the password in the keyring with "
                              "popbell --set-password %s."), name);
          return FALSE;
        }

      if (!g_str_has_prefix (groups[i], POPBELL_ACCOUNT_GROUP_PREFIX))
        continue;

      account = parse_account (keyfile, groups[i], path, &index, error);
      if (account == NULL)
        return FALSE;
      g_ptr_array_add (accounts, account);
    }

  *out_keyfile = g_steal_pointer (&keyfile);
  *out_accounts = g_steal_pointer (&accounts);
  return TRUE;
}

static void
replace_contents (PopbellAccountStore *self,
                  GKeyFile            *keyfile,
                  GPtrArray           *accounts,
                  gchar               *disk_data)
{
  g_key_file_unref (self->keyfile);
  self->keyfile = keyfile;
  g_free (self->disk_data);
  self->disk_data = disk_data;
  g_ptr_array_unref (self->accounts);
  self->accounts = accounts;

  g_hash_table_remove_all (self->on_disk);
  for (guint i = 0; i < accounts->len; i++)
    {
      PopbellAccount *account = g_ptr_array_index (accounts, i);

      g_hash_table_insert (self->on_disk, g_strdup (popbell_account_get_name (account)),
                           popbell_account_copy (account));
    }
  self->loaded = TRUE;
}

/* Reads the file: TRUE with *@out_data NULL when it does not exist. */
static gboolean
read_file (const gchar  *path,
           gchar       **out_data,
           gsize        *out_len,
           GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  *out_data = NULL;
  *out_len = 0;
  if (g_file_get_contents (path, out_data, out_len, &local_error))
    return TRUE;
  if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return TRUE;

  g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
               _("Cannot read the accounts file: %s."), local_error->message);
  return FALSE;
}

gboolean
popbell_account_store_load (PopbellAccountStore  *self,
                            GError              **error)
{
  g_autofree gchar *data = NULL;
  GKeyFile *keyfile = NULL;
  GPtrArray *accounts = NULL;
  gsize len;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!read_file (self->path, &data, &len, error))
    return FALSE;

  if (data == NULL)
    {
      keyfile = g_key_file_new ();
      accounts = g_ptr_array_new_with_free_func (g_object_unref);
    }
  else if (!parse_file (self->path, data, len, &keyfile, &accounts, error))
    return FALSE;

  replace_contents (self, keyfile, accounts, g_steal_pointer (&data));
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}

/* --- Saving ----------------------------------------------------------- */

static void
write_uint (GKeyFile    *keyfile,
            const gchar *group,
            const gchar *key,
            guint        value)
{
  gchar text[16];

  g_snprintf (text, sizeof text, "%u", value);
  g_key_file_set_value (keyfile, group, key, text);
}

static void
write_string (GKeyFile    *keyfile,
              const gchar *group,
              const gchar *key,
              const gchar *value)
{
  if (value == NULL)
    g_key_file_remove_key (keyfile, group, key, NULL);
  else
    g_key_file_set_string (keyfile, group, key, value);
}

/* Writes @account into its group: every key for a new account (@before NULL),
 * otherwise only what changed since @before, so that the user's spelling,
 * comments and order of untouched keys survive. */
static void
write_account (GKeyFile       *keyfile,
               PopbellAccount *account,
               PopbellAccount *before)
{
  g_autofree gchar *group = g_strconcat (POPBELL_ACCOUNT_GROUP_PREFIX,
                                         popbell_account_get_name (account), NULL);

#define CHANGED(getter) (before == NULL || getter (account) != getter (before))
#define CHANGED_STR(getter) (before == NULL || g_strcmp0 (getter (account), getter (before)) != 0)

  if (CHANGED_STR (popbell_account_get_host))
    write_string (keyfile, group, POPBELL_ACCOUNT_KEY_HOST, popbell_account_get_host (account));
  if (CHANGED (popbell_account_get_configured_port))
    {
      guint16 port = popbell_account_get_configured_port (account);

      if (port == 0)
        g_key_file_remove_key (keyfile, group, POPBELL_ACCOUNT_KEY_PORT, NULL);
      else
        write_uint (keyfile, group, POPBELL_ACCOUNT_KEY_PORT, port);
    }
  if (CHANGED (popbell_account_get_security))
    g_key_file_set_value (keyfile, group, POPBELL_ACCOUNT_KEY_SECURITY,
                          popbell_account_security_to_string (popbell_account_get_security (account)));
  if (CHANGED_STR (popbell_account_get_username))
    write_string (keyfile, group, POPBELL_ACCOUNT_KEY_USERNAME,
                  popbell_account_get_username (account));
  if (CHANGED (popbell_account_get_auth))
    g_key_file_set_value (keyfile, group, POPBELL_ACCOUNT_KEY_AUTH,
                          popbell_account_auth_to_string (popbell_account_get_auth (account)));
  if (CHANGED (popbell_account_get_interval))
    write_uint (keyfile, group, POPBELL_ACCOUNT_KEY_INTERVAL, popbell_account_get_interval (account));
  if (CHANGED (popbell_account_get_timeout))
    write_uint (keyfile, group, POPBELL_ACCOUNT_KEY_TIMEOUT, popbell_account_get_timeout (account));
  if (CHANGED (popbell_account_get_enabled))
    g_key_file_set_boolean (keyfile, group, POPBELL_ACCOUNT_KEY_ENABLED,
                            popbell_account_get_enabled (account));
  if (CHANGED (popbell_account_get_allow_insecure_auth))
    g_key_file_set_boolean (keyfile, group, POPBELL_ACCOUNT_KEY_ALLOW_INSECURE,
                            popbell_account_get_allow_insecure_auth (account));
  if (CHANGED_STR (popbell_account_get_tls_ca_file))
    write_string (keyfile, group, POPBELL_ACCOUNT_KEY_CA_FILE,
                  popbell_account_get_tls_ca_file (account));
  if (CHANGED_STR (popbell_account_get_tls_pinned_sha256))
    write_string (keyfile, group, POPBELL_ACCOUNT_KEY_PINNED_SHA256,
                  popbell_account_get_tls_pinned_sha256 (account));
  for (const gchar * const *key = popbell_account_oauth2_keys (); *key != NULL; key++)
    {
      const gchar *value = popbell_account_get_oauth2 (account, *key);

      if (before == NULL ? value != NULL
                         : g_strcmp0 (value, popbell_account_get_oauth2 (before, *key)) != 0)
        write_string (keyfile, group, *key, value);
    }

#undef CHANGED
#undef CHANGED_STR
}

gboolean
popbell_account_store_save (PopbellAccountStore  *self,
                            GError              **error)
{
  g_autofree gchar *disk = NULL;
  g_autofree gchar *dir = NULL;
  g_autofree gchar *data = NULL;
  g_autoptr(GKeyFile) base = NULL;
  g_autoptr(GPtrArray) ignored = NULL;
  g_autoptr(GError) local_error = NULL;
  GHashTableIter iter;
  gpointer name;
  gsize len;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < self->accounts->len; i++)
    if (!popbell_account_validate (g_ptr_array_index (self->accounts, i), error))
      return FALSE;

  if (!read_file (self->path, &disk, &len, error))
    return FALSE;

  /* Someone (the user, another Popbell) changed the file since we read it:
   * apply our changes to what is there now instead of overwriting theirs.
   * A file that no longer parses is never replaced (SPEC §3). */
  if (disk != NULL && (!self->loaded || g_strcmp0 (disk, self->disk_data) != 0))
    {
      if (!parse_file (self->path, disk, len, &base, &ignored, &local_error))
        {
          g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                       _("Not saving: the accounts file was changed by someone else and "
                         "now has an error. %s"), local_error->message);
          return FALSE;
        }
    }
  else
    base = g_key_file_ref (self->keyfile);

  g_hash_table_iter_init (&iter, self->on_disk);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (popbell_account_store_lookup (self, name) == NULL)
      {
        g_autofree gchar *group = g_strconcat (POPBELL_ACCOUNT_GROUP_PREFIX, name, NULL);
        g_key_file_remove_group (base, group, NULL);
      }

  for (guint i = 0; i < self->accounts->len; i++)
    {
      PopbellAccount *account = g_ptr_array_index (self->accounts, i);

      write_account (base, account,
                     g_hash_table_lookup (self->on_disk, popbell_account_get_name (account)));
    }

  data = g_key_file_to_data (base, &len, NULL);
  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                   _("Cannot create the folder %s: %s."), dir, g_strerror (saved_errno));
      return FALSE;
    }
  /* Temporary file, fsync, rename: a crash leaves the old or the new file. */
  if (!g_file_set_contents_full (self->path, data, len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                   _("Cannot save the accounts: %s."), local_error->message);
      return FALSE;
    }

  /* Read back what was written: after merging someone else's edits the file
   * may hold accounts we did not have. */
  {
    GKeyFile *written = NULL;
    GPtrArray *accounts = NULL;
    gboolean merged = disk != NULL && g_strcmp0 (disk, self->disk_data) != 0;

    if (!parse_file (self->path, data, len, &written, &accounts, error))
      return FALSE;
    replace_contents (self, written, accounts, g_steal_pointer (&data));
    if (merged)
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  }
  return TRUE;
}

/* --- The accounts ----------------------------------------------------- */

GPtrArray *
popbell_account_store_list (PopbellAccountStore *self)
{
  GPtrArray *list;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_STORE (self), NULL);

  list = g_ptr_array_new_full (self->accounts->len, g_object_unref);
  for (guint i = 0; i < self->accounts->len; i++)
    g_ptr_array_add (list, g_object_ref (g_ptr_array_index (self->accounts, i)));
  return list;
}

static gint
find_index (PopbellAccountStore *self,
            const gchar         *name)
{
  for (guint i = 0; i < self->accounts->len; i++)
    if (g_str_equal (popbell_account_get_name (g_ptr_array_index (self->accounts, i)), name))
      return (gint) i;
  return -1;
}

PopbellAccount *
popbell_account_store_lookup (PopbellAccountStore *self,
                              const gchar         *name)
{
  gint i;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  i = find_index (self, name);
  return i >= 0 ? g_ptr_array_index (self->accounts, i) : NULL;
}

void
popbell_account_store_put (PopbellAccountStore *self,
                           PopbellAccount      *account)
{
  gint i;

  g_return_if_fail (POPBELL_IS_ACCOUNT_STORE (self));
  g_return_if_fail (POPBELL_IS_ACCOUNT (account));

  /* A copy: the stored snapshot must not change under the store's feet. */
  i = find_index (self, popbell_account_get_name (account));
  if (i >= 0)
    {
      g_object_unref (g_ptr_array_index (self->accounts, i));
      g_ptr_array_index (self->accounts, i) = popbell_account_copy (account);
    }
  else
    g_ptr_array_add (self->accounts, popbell_account_copy (account));

  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

gboolean
popbell_account_store_remove (PopbellAccountStore *self,
                              const gchar         *name)
{
  gint i;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  i = find_index (self, name);
  if (i < 0)
    return FALSE;
  g_ptr_array_remove_index (self->accounts, (guint) i);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  return TRUE;
}
