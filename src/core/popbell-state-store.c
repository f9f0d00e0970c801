/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-state-store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/*
 * File format (UTF-8 text, one record per line, LF):
 *
 *   popbell-state 1
 *   <key> <value>                      scalar fields, see write_state()
 *   u <uid>                            one per seen UID
 *   n <uid>\t<index>\t<size>\t<h>\t<date>\t<from>\t<subject>   unseen entries
 *   p <uid>                            an unseen entry not announced yet
 *   end <number of u lines> <number of n lines>
 *
 * Strings are escaped (\\ \t \n \r) so a value never spans lines. The
 * closing "end" line with the counts makes a file that was cut short (by
 * something other than our atomic rename) a parse error rather than a
 * silently smaller baseline. Unknown keys are skipped, so a newer Popbell's
 * file still loads. Plain lines instead of JSON or GKeyFile because 100,000
 * UIDs must load and save in a few milliseconds (see the benchmark in
 * tests/core/bench-state.c).
 */
#define STATE_MAGIC "popbell-state 1"
#define STATE_SUFFIX ".state"
#define LOCK_SUFFIX ".lock"
#define MAX_UID_LENGTH 255   /* generous: RFC 1939 says 70; never trust a file */

/* --- entries and state ----------------------------------------------------- */

PopbellUnseenEntry *
popbell_unseen_entry_new (const gchar *uid, guint index, guint64 size)
{
  PopbellUnseenEntry *entry = g_new0 (PopbellUnseenEntry, 1);

  entry->uid = g_strdup (uid);
  entry->index = index;
  entry->size = size;
  entry->from = g_strdup ("");
  entry->subject = g_strdup ("");
  return entry;
}

PopbellUnseenEntry *
popbell_unseen_entry_copy (const PopbellUnseenEntry *entry)
{
  PopbellUnseenEntry *copy = g_new0 (PopbellUnseenEntry, 1);

  copy->uid = g_strdup (entry->uid);
  copy->index = entry->index;
  copy->size = entry->size;
  copy->from = g_strdup (entry->from);
  copy->subject = g_strdup (entry->subject);
  copy->date = g_strdup (entry->date);
  copy->has_headers = entry->has_headers;
  copy->announced = entry->announced;
  return copy;
}

void
popbell_unseen_entry_free (PopbellUnseenEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->uid);
  g_free (entry->from);
  g_free (entry->subject);
  g_free (entry->date);
  g_free (entry);
}

static GHashTable *
uid_set_new (void)
{
  /* A set: key and value are the same string, freed once. */
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

PopbellAccountState *
popbell_account_state_new (const gchar *account_name)
{
  PopbellAccountState *state = g_new0 (PopbellAccountState, 1);

  g_return_val_if_fail (account_name != NULL, NULL);

  state->account_name = g_strdup (account_name);
  state->seen = uid_set_new ();
  state->unseen = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_unseen_entry_free);
  return state;
}

PopbellAccountState *
popbell_account_state_copy (const PopbellAccountState *state)
{
  PopbellAccountState *copy = popbell_account_state_new (state->account_name);
  GHashTableIter iter;
  gpointer key;

  copy->mailbox_id = g_strdup (state->mailbox_id);
  g_hash_table_iter_init (&iter, state->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (copy->seen, g_strdup (key));
  copy->last_count = state->last_count;
  copy->last_size = state->last_size;
  copy->last_uid = g_strdup (state->last_uid);
  copy->no_uidl = state->no_uidl;
  for (guint i = 0; i < state->unseen->len; i++)
    g_ptr_array_add (copy->unseen, popbell_unseen_entry_copy (state->unseen->pdata[i]));
  copy->login_delay = state->login_delay;
  copy->last_login = state->last_login;
  copy->backoff_step = state->backoff_step;
  copy->next_allowed = state->next_allowed;
  copy->auth_hold = state->auth_hold;
  copy->auth_hold_digest = g_strdup (state->auth_hold_digest);
  copy->tls_worked = state->tls_worked;
  copy->pipelining_broken = state->pipelining_broken;
  copy->pipelining_strikes = state->pipelining_strikes;
  copy->pipelining_broken_at = state->pipelining_broken_at;
  copy->auth_method = g_strdup (state->auth_method);
  copy->last_success = state->last_success;
  return copy;
}

void
popbell_account_state_free (PopbellAccountState *state)
{
  if (state == NULL)
    return;
  g_free (state->account_name);
  g_free (state->mailbox_id);
  g_hash_table_unref (state->seen);
  g_free (state->last_uid);
  g_ptr_array_unref (state->unseen);
  g_free (state->auth_hold_digest);
  g_free (state->auth_method);
  g_free (state);
}

void
popbell_account_state_reset_baseline (PopbellAccountState *state)
{
  g_clear_pointer (&state->mailbox_id, g_free);
  g_hash_table_remove_all (state->seen);
  state->last_count = 0;
  state->last_size = 0;
  g_clear_pointer (&state->last_uid, g_free);
  state->no_uidl = FALSE;
  g_ptr_array_set_size (state->unseen, 0);
}

PopbellUnseenEntry *
popbell_account_state_find_unseen (PopbellAccountState *state, const gchar *uid)
{
  for (guint i = 0; i < state->unseen->len; i++)
    {
      PopbellUnseenEntry *entry = state->unseen->pdata[i];

      if (g_strcmp0 (entry->uid, uid) == 0)
        return entry;
    }
  return NULL;
}

gboolean
popbell_account_state_remove_unseen (PopbellAccountState *state, const gchar *uid)
{
  for (guint i = 0; i < state->unseen->len; i++)
    {
      PopbellUnseenEntry *entry = state->unseen->pdata[i];

      if (g_strcmp0 (entry->uid, uid) == 0)
        {
          g_ptr_array_remove_index (state->unseen, i);
          return TRUE;
        }
    }
  return FALSE;
}

/* --- escaping -------------------------------------------------------------- */

static void
append_escaped (GString *out, const gchar *s)
{
  for (; *s != '\0'; s++)
    {
      switch (*s)
        {
        case '\\': g_string_append (out, "\\\\"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        default: g_string_append_c (out, *s); break;
        }
    }
}

/* Unescapes @len bytes at @s; NULL if an escape is broken or the result is
 * not UTF-8. */
static gchar *
unescape (const gchar *s, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if (s[i] != '\\')
        {
          g_string_append_c (out, s[i]);
          continue;
        }
      if (++i == len)
        goto bad;
      switch (s[i])
        {
        case '\\': g_string_append_c (out, '\\'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        default: goto bad;
        }
    }
  if (!g_utf8_validate_len (out->str, out->len, NULL))
    goto bad;
  return g_string_free (out, FALSE);

bad:
  g_string_free (out, TRUE);
  return NULL;
}

static gboolean
uid_is_valid (const gchar *uid, gsize len)
{
  if (len == 0 || len > MAX_UID_LENGTH)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if ((guchar) uid[i] < 0x21 || (guchar) uid[i] > 0x7e)
      return FALSE;
  return TRUE;
}

/* --- serialisation --------------------------------------------------------- */

static void
append_string_field (GString *out, const gchar *key, const gchar *value)
{
  if (value == NULL)
    return;
  g_string_append (out, key);
  g_string_append_c (out, ' ');
  append_escaped (out, value);
  g_string_append_c (out, '\n');
}

static GString *
write_state (const PopbellAccountState *state)
{
  GString *out = g_string_sized_new (64 + g_hash_table_size (state->seen) * 20);
  GHashTableIter iter;
  gpointer key;
  guint n_seen = 0;

  g_string_append (out, STATE_MAGIC "\n");
  append_string_field (out, "account", state->account_name);
  append_string_field (out, "mailbox", state->mailbox_id);
  g_string_append_printf (out, "count %u\n", state->last_count);
  g_string_append_printf (out, "size %" G_GUINT64_FORMAT "\n", state->last_size);
  append_string_field (out, "last-uid", state->last_uid);
  g_string_append_printf (out, "no-uidl %d\n", state->no_uidl ? 1 : 0);
  g_string_append_printf (out, "login-delay %u\n", state->login_delay);
  g_string_append_printf (out, "last-login %" G_GINT64_FORMAT "\n", state->last_login);
  g_string_append_printf (out, "backoff-step %u\n", state->backoff_step);
  g_string_append_printf (out, "next-allowed %" G_GINT64_FORMAT "\n", state->next_allowed);
  g_string_append_printf (out, "auth-hold %d\n", state->auth_hold ? 1 : 0);
  append_string_field (out, "auth-hold-digest", state->auth_hold_digest);
  g_string_append_printf (out, "tls-worked %d\n", state->tls_worked ? 1 : 0);
  g_string_append_printf (out, "pipelining-broken %d\n", state->pipelining_broken ? 1 : 0);
  g_string_append_printf (out, "pipelining-strikes %u\n", state->pipelining_strikes);
  g_string_append_printf (out, "pipelining-broken-at %" G_GINT64_FORMAT "\n",
                          state->pipelining_broken_at);
  append_string_field (out, "auth-method", state->auth_method);
  g_string_append_printf (out, "last-success %" G_GINT64_FORMAT "\n", state->last_success);

  g_hash_table_iter_init (&iter, state->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      /* UIDs are validated printable ASCII: no escaping needed. */
      g_string_append (out, "u ");
      g_string_append (out, key);
      g_string_append_c (out, '\n');
      n_seen++;
    }

  for (guint i = 0; i < state->unseen->len; i++)
    {
      const PopbellUnseenEntry *entry = state->unseen->pdata[i];

      g_string_append_printf (out, "n %s\t%u\t%" G_GUINT64_FORMAT "\t%d\t",
                              entry->uid, entry->index, entry->size,
                              entry->has_headers ? 1 : 0);
      if (entry->date != NULL)
        append_escaped (out, entry->date);
      g_string_append_c (out, '\t');
      append_escaped (out, entry->from);
      g_string_append_c (out, '\t');
      append_escaped (out, entry->subject);
      g_string_append_c (out, '\n');
    }
  /* After the "n" lines, and only for the exception, so that an older
   * Popbell (which skips unknown keys) reads every entry as announced. */
  for (guint i = 0; i < state->unseen->len; i++)
    {
      const PopbellUnseenEntry *entry = state->unseen->pdata[i];

      if (!entry->announced)
        g_string_append_printf (out, "p %s\n", entry->uid);
    }

  g_string_append_printf (out, "end %u %u\n", n_seen, state->unseen->len);
  return out;
}

static gboolean
parse_u64 (const gchar *s, gsize len, guint64 max, guint64 *out)
{
  g_autofree gchar *copy = g_strndup (s, len);

  return g_ascii_string_to_unsigned (copy, 10, 0, max, out, NULL);
}

static gboolean
parse_i64 (const gchar *s, gsize len, gint64 *out)
{
  g_autofree gchar *copy = g_strndup (s, len);

  return g_ascii_string_to_signed (copy, 10, 0, G_MAXINT64, out, NULL);
}

static gboolean
parse_bool (const gchar *s, gsize len, gboolean *out)
{
  if (len != 1 || (s[0] != '0' && s[0] != '1'))
    return FALSE;
  *out = s[0] == '1';
  return TRUE;
}

/* Splits @s (length @len) at tabs into exactly @n fields. */
static gboolean
split_tabs (const gchar *s, gsize len, guint n, const gchar **starts, gsize *lens)
{
  const gchar *end = s + len;

  for (guint i = 0; i < n; i++)
    {
      const gchar *tab = (i + 1 < n) ? memchr (s, '\t', end - s) : NULL;

      if (i + 1 < n && tab == NULL)
        return FALSE;
      starts[i] = s;
      lens[i] = (tab != NULL ? tab : end) - s;
      s = (tab != NULL) ? tab + 1 : end;
    }
  return memchr (starts[n - 1], '\t', lens[n - 1]) == NULL;
}

static PopbellUnseenEntry *
parse_unseen (const gchar *s, gsize len)
{
  const gchar *f[7];
  gsize l[7];
  guint64 index, size;
  gboolean has_headers;
  g_autoptr(PopbellUnseenEntry) entry = NULL;

  if (!split_tabs (s, len, G_N_ELEMENTS (f), f, l) ||
      !uid_is_valid (f[0], l[0]) ||
      !parse_u64 (f[1], l[1], G_MAXUINT, &index) ||
      !parse_u64 (f[2], l[2], G_MAXUINT64, &size) ||
      !parse_bool (f[3], l[3], &has_headers))
    return NULL;

  entry = g_new0 (PopbellUnseenEntry, 1);
  entry->uid = g_strndup (f[0], l[0]);
  entry->index = index;
  entry->size = size;
  entry->has_headers = has_headers;
  entry->announced = TRUE;   /* unless a "p" line says otherwise */
  if (l[4] > 0 && (entry->date = unescape (f[4], l[4])) == NULL)
    return NULL;
  if ((entry->from = unescape (f[5], l[5])) == NULL ||
      (entry->subject = unescape (f[6], l[6])) == NULL)
    return NULL;
  return g_steal_pointer (&entry);
}

#define KEY_IS(k) (klen == strlen (k) && memcmp (line, k, klen) == 0)

/* Parses a whole file; FALSE (with a reason for the debug log) if anything
 * is off. */
static gboolean
read_state (PopbellAccountState *state, const gchar *data, gsize len, const gchar **why)
{
  const gchar *p = data, *end = data + len;
  static const gchar * const scalar_keys[] = {
    "account", "mailbox", "last-uid", "auth-hold-digest", "count", "size",
    "login-delay", "backoff-step", "last-login", "next-allowed", "last-success",
    "no-uidl", "auth-hold", "tls-worked", "pipelining-broken",
  };
  guint n_seen = 0, n_unseen = 0;
  guint32 keys_seen = 0;
  gboolean ended = FALSE;
  g_autoptr(GHashTable) pending = NULL;   /* UIDs of "p" lines */

  G_STATIC_ASSERT (G_N_ELEMENTS (scalar_keys) <= 32);

  if (len < strlen (STATE_MAGIC) + 1 ||
      memcmp (data, STATE_MAGIC "\n", strlen (STATE_MAGIC) + 1) != 0)
    return (*why = "not a state file", FALSE);
  p += strlen (STATE_MAGIC) + 1;

  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', end - p);
      const gchar *line = p, *sp, *val;
      gsize line_len, klen, vlen;
      gboolean ok = TRUE;

      if (nl == NULL)
        return (*why = "last line not terminated", FALSE);
      if (ended)
        return (*why = "data after the end line", FALSE);
      line_len = nl - p;
      p = nl + 1;

      sp = memchr (line, ' ', line_len);
      if (sp == NULL)
        return (*why = "line without a value", FALSE);
      klen = sp - line;
      val = sp + 1;
      vlen = line_len - klen - 1;

      /* A scalar key twice is nothing Popbell writes; the second value
       * would also replace (and leak) the first. */
      for (guint k = 0; k < G_N_ELEMENTS (scalar_keys); k++)
        if (KEY_IS (scalar_keys[k]))
          {
            if (keys_seen & (1u << k))
              return (*why = "a key appears twice", FALSE);
            keys_seen |= 1u << k;
            break;
          }

      if (KEY_IS ("u"))
        {
          if (!uid_is_valid (val, vlen))
            return (*why = "bad UID", FALSE);
          g_hash_table_add (state->seen, g_strndup (val, vlen));
          n_seen++;
        }
      else if (KEY_IS ("n"))
        {
          PopbellUnseenEntry *entry = parse_unseen (val, vlen);

          if (entry == NULL)
            return (*why = "bad unseen entry", FALSE);
          g_ptr_array_add (state->unseen, entry);
          n_unseen++;
        }
      else if (KEY_IS ("p"))
        {
          if (!uid_is_valid (val, vlen))
            return (*why = "bad UID", FALSE);
          if (pending == NULL)
            pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          g_hash_table_add (pending, g_strndup (val, vlen));
        }
      else if (KEY_IS ("end"))
        {
          g_autofree gchar *expected = g_strdup_printf ("%u %u", n_seen, n_unseen);

          if (vlen != strlen (expected) || memcmp (val, expected, vlen) != 0)
            return (*why = "record counts do not match", FALSE);
          ended = TRUE;
        }
      else if (KEY_IS ("mailbox"))
        ok = (state->mailbox_id = unescape (val, vlen)) != NULL;
      else if (KEY_IS ("last-uid"))
        ok = (state->last_uid = unescape (val, vlen)) != NULL;
      else if (KEY_IS ("auth-hold-digest"))
        ok = (state->auth_hold_digest = unescape (val, vlen)) != NULL;
      else if (KEY_IS ("auth-method"))
        {
          g_free (state->auth_method);   /* a repeated key must not leak */
          ok = (state->auth_method = unescape (val, vlen)) != NULL;
        }
      else if (KEY_IS ("pipelining-strikes"))
        {
          guint64 v;
          ok = parse_u64 (val, vlen, G_MAXUINT, &v);
          state->pipelining_strikes = v;
        }
      else if (KEY_IS ("pipelining-broken-at"))
        ok = parse_i64 (val, vlen, &state->pipelining_broken_at);
      else if (KEY_IS ("count"))
        {
          guint64 v;
          ok = parse_u64 (val, vlen, G_MAXUINT, &v);
          state->last_count = v;
        }
      else if (KEY_IS ("size"))
        ok = parse_u64 (val, vlen, G_MAXUINT64, &state->last_size);
      else if (KEY_IS ("login-delay"))
        {
          guint64 v;
          ok = parse_u64 (val, vlen, G_MAXUINT, &v);
          state->login_delay = v;
        }
      else if (KEY_IS ("backoff-step"))
        {
          guint64 v;
          ok = parse_u64 (val, vlen, 64, &v);
          state->backoff_step = v;
        }
      else if (KEY_IS ("last-login"))
        ok = parse_i64 (val, vlen, &state->last_login);
      else if (KEY_IS ("next-allowed"))
        ok = parse_i64 (val, vlen, &state->next_allowed);
      else if (KEY_IS ("last-success"))
        ok = parse_i64 (val, vlen, &state->last_success);
      else if (KEY_IS ("no-uidl"))
        ok = parse_bool (val, vlen, &state->no_uidl);
      else if (KEY_IS ("auth-hold"))
        ok = parse_bool (val, vlen, &state->auth_hold);
      else if (KEY_IS ("tls-worked"))
        ok = parse_bool (val, vlen, &state->tls_worked);
      else if (KEY_IS ("pipelining-broken"))
        ok = parse_bool (val, vlen, &state->pipelining_broken);
      /* else: a key of a newer version, or "account" (informational) */

      if (!ok)
        return (*why = "bad value", FALSE);
    }

  if (!ended)
    return (*why = "no end line", FALSE);
  for (guint i = 0; pending != NULL && i < state->unseen->len; i++)
    {
      PopbellUnseenEntry *entry = state->unseen->pdata[i];

      entry->announced = !g_hash_table_contains (pending, entry->uid);
    }
  return TRUE;
}

#undef KEY_IS

/* --- the store ------------------------------------------------------------- */

struct _PopbellStateStore
{
  GObject parent_instance;

  gchar      *dir;    /* (owned) */
  /* Account name → number of PopbellStateLocks of this store that hold
   * its lock (0 or 1: the flock excludes a second one). A load cleans up
   * (stale temporaries, setting a corrupt file aside) only under the
   * lock, its caller's or one it takes for the moment. */
  GHashTable *held;
};

G_DEFINE_FINAL_TYPE (PopbellStateStore, popbell_state_store, G_TYPE_OBJECT)

static void
popbell_state_store_finalize (GObject *object)
{
  PopbellStateStore *self = POPBELL_STATE_STORE (object);

  g_free (self->dir);
  g_hash_table_unref (self->held);
  G_OBJECT_CLASS (popbell_state_store_parent_class)->finalize (object);
}

static void
popbell_state_store_class_init (PopbellStateStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = popbell_state_store_finalize;
}

static void
popbell_state_store_init (PopbellStateStore *self)
{
  self->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

gchar *
popbell_state_store_default_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "popbell", NULL);
}

PopbellStateStore *
popbell_state_store_new (const gchar *dir)
{
  PopbellStateStore *self = g_object_new (POPBELL_TYPE_STATE_STORE, NULL);

  self->dir = dir != NULL ? g_strdup (dir) : popbell_state_store_default_dir ();
  return self;
}

const gchar *
popbell_state_store_get_dir (PopbellStateStore *self)
{
  g_return_val_if_fail (POPBELL_IS_STATE_STORE (self), NULL);
  return self->dir;
}

static gchar *
escape_name (const gchar *name)
{
  GString *out = g_string_new (NULL);

  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '_' || *p == '-')
        g_string_append_c (out, *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
  return g_string_free (out, FALSE);
}

static gchar *
account_file (PopbellStateStore *self, const gchar *account_name, const gchar *suffix)
{
  g_autofree gchar *escaped = escape_name (account_name);
  g_autofree gchar *base = g_strconcat (escaped, suffix, NULL);

  return g_build_filename (self->dir, base, NULL);
}

gchar *
popbell_state_store_dup_path (PopbellStateStore *self, const gchar *account_name)
{
  g_return_val_if_fail (POPBELL_IS_STATE_STORE (self), NULL);
  g_return_val_if_fail (account_name != NULL, NULL);

  return account_file (self, account_name, STATE_SUFFIX);
}

static gboolean
ensure_dir (PopbellStateStore *self, GError **error)
{
  if (g_mkdir_with_parents (self->dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the state folder %s: %s", self->dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* A temporary file of a save that was killed before its rename: harmless,
 * but it would pile up. Removed by the next load under the account lock
 * (never without it: it may be a save in progress). */
static void
remove_stale_temporaries (PopbellStateStore *self, const gchar *state_path)
{
  g_autofree gchar *prefix = g_strconcat (state_path, ".tmp-", NULL);
  g_autofree gchar *base_prefix = g_path_get_basename (prefix);
  g_autoptr(GDir) dir = g_dir_open (self->dir, 0, NULL);
  const gchar *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_prefix (name, base_prefix))
        {
          g_autofree gchar *path = g_build_filename (self->dir, name, NULL);
          g_unlink (path);
        }
    }
}

PopbellAccountState *
popbell_state_store_load (PopbellStateStore *self,
                          const gchar       *account_name,
                          gboolean          *out_recovered,
                          GError           **error)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *data = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(PopbellAccountState) state = NULL;
  g_autoptr(PopbellStateLock) cleanup_lock = NULL;
  gboolean may_clean_up;
  const gchar *why = NULL;
  gsize len = 0;

  g_return_val_if_fail (POPBELL_IS_STATE_STORE (self), NULL);
  g_return_val_if_fail (account_name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (out_recovered != NULL)
    *out_recovered = FALSE;
  if (!ensure_dir (self, error))
    return NULL;

  /* Cleaning up is for the lock holder only: a temporary file may be the
   * save another process is making right now, and the file we found
   * corrupt may have been replaced by a good one since we read it. A
   * caller without the lock gets it for the moment when it is free. */
  if (!g_hash_table_contains (self->held, account_name))
    cleanup_lock = popbell_state_store_try_lock (self, account_name, NULL);
  may_clean_up = cleanup_lock != NULL || g_hash_table_contains (self->held, account_name);

  path = popbell_state_store_dup_path (self, account_name);
  if (may_clean_up)
    remove_stale_temporaries (self, path);
  state = popbell_account_state_new (account_name);

  if (!g_file_get_contents (path, &data, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&state);
      why = local_error->message;
    }
  else if (read_state (state, data, len, &why))
    {
      return g_steal_pointer (&state);
    }

  /* Unreadable or corrupt (SPEC §3): set it aside for a post-mortem and
   * start over with an empty baseline. The caller's next check is then a
   * quiet baseline, so nothing old is announced as new. */
  {
    g_autofree gchar *corrupt = g_strconcat (path, ".corrupt", NULL);

    if (!may_clean_up)
      g_debug ("state of account %s is unreadable (%s); left to the lock holder",
               account_name, why);
    else
      g_debug ("state of account %s is unreadable (%s); set aside as %s",
               account_name, why, corrupt);
    if (may_clean_up && g_rename (path, corrupt) < 0)
      {
        int saved = errno;
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                     "Cannot set aside the unreadable state file %s: %s",
                     path, g_strerror (saved));
        return NULL;
      }
  }

  popbell_account_state_free (state);
  state = popbell_account_state_new (account_name);
  if (out_recovered != NULL)
    *out_recovered = TRUE;
  return g_steal_pointer (&state);
}

static gboolean
write_all (int fd, const gchar *data, gsize len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

gboolean
popbell_state_store_save (PopbellStateStore         *self,
                          const PopbellAccountState *state,
                          GError                   **error)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *tmp = NULL;
  g_autoptr(GString) text = NULL;
  int fd, dir_fd, saved;

  g_return_val_if_fail (POPBELL_IS_STATE_STORE (self), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!ensure_dir (self, error))
    return FALSE;

  path = popbell_state_store_dup_path (self, state->account_name);
  tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  text = write_state (state);

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      goto fail_no_file;
    }
  if (!write_all (fd, text->str, text->len) || fsync (fd) < 0)
    {
      saved = errno != 0 ? errno : EIO;
      close (fd);
      goto fail;
    }
  if (close (fd) < 0)
    {
      saved = errno;
      goto fail;
    }
  if (g_rename (tmp, path) < 0)
    {
      saved = errno;
      goto fail;
    }

  /* Make the rename itself durable: without this a power cut could bring
   * back the old directory entry (or none) after the new data was synced. */
  dir_fd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;

fail:
  g_unlink (tmp);
fail_no_file:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Cannot save the state of account “%s” in %s: %s",
               state->account_name, self->dir, g_strerror (saved));
  return FALSE;
}

void
popbell_state_store_remove (PopbellStateStore *self, const gchar *account_name)
{
  g_autofree gchar *path = NULL;

  g_return_if_fail (POPBELL_IS_STATE_STORE (self));

  path = account_file (self, account_name, STATE_SUFFIX);
  /* The lock file stays: unlinking it while someone holds it would let a
   * third process lock a new inode next to the holder. */
  g_unlink (path);
}

/* --- locking --------------------------------------------------------------- */

struct _PopbellStateLock
{
  int                fd;
  PopbellStateStore *store;          /* (owned) */
  gchar             *account_name;   /* (owned) */
};

void
popbell_state_lock_release (PopbellStateLock *lock)
{
  if (lock == NULL)
    return;
  /* Closing the descriptor drops the flock. */
  close (lock->fd);
  g_hash_table_remove (lock->store->held, lock->account_name);
  g_object_unref (lock->store);
  g_free (lock->account_name);
  g_free (lock);
}

PopbellStateLock *
popbell_state_store_try_lock (PopbellStateStore *self,
                              const gchar       *account_name,
                              GError           **error)
{
  g_autofree gchar *path = NULL;
  PopbellStateLock *lock;
  int fd;

  g_return_val_if_fail (POPBELL_IS_STATE_STORE (self), NULL);
  g_return_val_if_fail (account_name != NULL, NULL);

  if (!ensure_dir (self, error))
    return NULL;

  path = account_file (self, account_name, LOCK_SUFFIX);
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot open the lock file %s: %s", path, g_strerror (saved));
      return NULL;
    }
  /* flock, not fcntl locks: these belong to the open file description, so
   * two opens in one process exclude each other too. */
  while (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      int saved = errno;

      if (saved == EINTR)
        continue;
      close (fd);
      if (saved == EWOULDBLOCK)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                     "Account “%s” is being checked by another Popbell", account_name);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                     "Cannot lock %s: %s", path, g_strerror (saved));
      return NULL;
    }

  lock = g_new0 (PopbellStateLock, 1);
  lock->fd = fd;
  lock->store = g_object_ref (self);
  lock->account_name = g_strdup (account_name);
  g_hash_table_add (self->held, g_strdup (account_name));
  return lock;
}

#define LOCK_POLL_MS 50

typedef struct {
  gchar  *account_name;
  gint64  deadline;      /* monotonic µs */
} LockData;

static void
lock_data_free (LockData *data)
{
  g_free (data->account_name);
  g_free (data);
}

static gboolean lock_poll (gpointer user_data);

static void
lock_attempt (GTask *task)
{
  PopbellStateStore *self = g_task_get_source_object (task);
  LockData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  PopbellStateLock *lock;

  if (g_task_return_error_if_cancelled (task))
    return;

  lock = popbell_state_store_try_lock (self, data->account_name, &error);
  if (lock != NULL)
    {
      g_task_return_pointer (task, lock, (GDestroyNotify) popbell_state_lock_release);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY) ||
      g_get_monotonic_time () >= data->deadline)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* On the task's own context, never the global default one (STYLE §10). */
  {
    g_autoptr(GSource) source = g_timeout_source_new (LOCK_POLL_MS);

    g_task_attach_source (task, source, lock_poll);
  }
}

static gboolean
lock_poll (gpointer user_data)
{
  GTask *task = user_data;

  lock_attempt (task);
  return G_SOURCE_REMOVE;
}

void
popbell_state_store_lock_async (PopbellStateStore   *self,
                                const gchar         *account_name,
                                guint                timeout_ms,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LockData *data;

  g_return_if_fail (POPBELL_IS_STATE_STORE (self));
  g_return_if_fail (account_name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_state_store_lock_async);
  /* A lock that arrives after the caller stopped waiting must not leak. */
  g_task_set_return_on_cancel (task, FALSE);
  data = g_new0 (LockData, 1);
  data->account_name = g_strdup (account_name);
  data->deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  g_task_set_task_data (task, data, (GDestroyNotify) lock_data_free);

  /* Cancellation is noticed at the next poll (at most LOCK_POLL_MS late). */
  lock_attempt (task);
}

PopbellStateLock *
popbell_state_store_lock_finish (PopbellStateStore *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
