/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-state-format-private.h"

#include "popbell-pop3-client.h"

#include <string.h>

/*
 * Two files per account, UTF-8 text, one record per line, LF.
 *
 * The snapshot, `<account>.state`, replaced atomically as a whole:
 *
 *   popbell-state 1
 *   generation <16 hex digits>         ties the journal to this snapshot
 *   account <name>                     informational
 *   <key> <value>                      the scalar fields of `fields` below
 *   u <uid>                            one per seen UID
 *   n <uid>\t<index>\t<size>\t<h>\t<date>\t<from>\t<subject>   unseen entries
 *   p <uid>                            an unseen entry not announced yet
 *   end <number of u lines> <number of n lines>
 *
 * The journal, `<account>.journal`, only ever appended to: what changed
 * since the snapshot, so that one new message in a mailbox of 100,000
 * costs a line, not the 2 MB of the snapshot (issue 9):
 *
 *   popbell-journal 1 <generation of its snapshot>
 *   records, each a run of lines closed by
 *   c <bytes of the record before this line> <FNV-1a 64 of them, hex>
 *
 * Record lines: a scalar "<key> <value>" or "unset <key>" (a string that
 * became NULL); "+ <uid>" / "- <uid>" for the seen set; for the unseen
 * list "N 0" (cleared), "n ..." (appended, as in the snapshot),
 * "x <uid>" (removed), "p <uid>" / "a <uid>" (announced no / yes).
 *
 * Strings are escaped (\\ \t \n \r) so a value never spans lines. The
 * snapshot's closing "end" line with the counts makes a file cut short (by
 * something other than the store's atomic rename) a parse error rather
 * than a silently smaller baseline. A journal record cut short by a crash,
 * or not matching its checksum, ends the journal there: the state is the
 * one before that save, never a torn one. Unknown keys are skipped, so a
 * newer Popbell's files still load. (An older Popbell reads the snapshot
 * and ignores the journal: it sees the state of the last compaction.)
 * Plain lines instead of JSON or GKeyFile because 100,000 UIDs must load
 * in a few milliseconds (tests/core/bench-state.c).
 */
#define STATE_MAGIC "popbell-state 1"
#define JOURNAL_MAGIC "popbell-journal 1"
/* What the POP3 layer accepts (8-bit octets already written as %XX):
 * the same cap, so a UID the client took always loads again. */
#define MAX_UID_LENGTH POPBELL_POP3_MAX_UID_LENGTH

/* --- the scalar fields ------------------------------------------------------ */

typedef enum {
  FIELD_STRING,   /* gchar *, nullable */
  FIELD_UINT,     /* guint, up to max */
  FIELD_UINT64,
  FIELD_INT64,
  FIELD_BOOL,     /* gboolean, written 0 or 1 */
} FieldType;

typedef struct {
  const gchar *key;
  FieldType    type;
  gsize        offset;
  guint64      max;
} Field;

#define FIELD(key, type, member, max) \
  { key, type, G_STRUCT_OFFSET (PopbellAccountState, member), max }

/* In the order of the snapshot. A new field of PopbellAccountState that
 * must survive a restart is one line here. */
static const Field fields[] = {
  FIELD ("mailbox", FIELD_STRING, mailbox_id, 0),
  FIELD ("count", FIELD_UINT, last_count, G_MAXUINT),
  FIELD ("size", FIELD_UINT64, last_size, G_MAXUINT64),
  FIELD ("last-uid", FIELD_STRING, last_uid, 0),
  FIELD ("no-uidl", FIELD_BOOL, no_uidl, 0),
  FIELD ("login-delay", FIELD_UINT, login_delay, G_MAXUINT),
  FIELD ("last-login", FIELD_INT64, last_login, 0),
  FIELD ("backoff-step", FIELD_UINT, backoff_step, 64),
  FIELD ("next-allowed", FIELD_INT64, next_allowed, 0),
  FIELD ("auth-hold", FIELD_BOOL, auth_hold, 0),
  FIELD ("auth-hold-digest", FIELD_STRING, auth_hold_digest, 0),
  FIELD ("tls-worked", FIELD_BOOL, tls_worked, 0),
  FIELD ("pipelining-broken", FIELD_BOOL, pipelining_broken, 0),
  FIELD ("pipelining-strikes", FIELD_UINT, pipelining_strikes, G_MAXUINT),
  FIELD ("pipelining-broken-at", FIELD_INT64, pipelining_broken_at, 0),
  FIELD ("auth-method", FIELD_STRING, auth_method, 0),
  FIELD ("last-success", FIELD_INT64, last_success, 0),
  FIELD ("capabilities", FIELD_STRING, capabilities, 0),
};

#undef FIELD

/* Keys of the snapshot besides the fields; each may appear once. */
enum { KEY_ACCOUNT = G_N_ELEMENTS (fields), KEY_GENERATION, N_KEYS };
G_STATIC_ASSERT (N_KEYS <= 32);

#define FIELD_PTR(state, field, ctype) \
  ((ctype *) (gpointer) ((guint8 *) (state) + (field)->offset))

static gboolean
field_equal (const Field *f, const PopbellAccountState *a, const PopbellAccountState *b)
{
  switch (f->type)
    {
    case FIELD_STRING:
      return g_strcmp0 (*FIELD_PTR (a, f, gchar *), *FIELD_PTR (b, f, gchar *)) == 0;
    case FIELD_UINT:
      return *FIELD_PTR (a, f, guint) == *FIELD_PTR (b, f, guint);
    case FIELD_UINT64:
      return *FIELD_PTR (a, f, guint64) == *FIELD_PTR (b, f, guint64);
    case FIELD_INT64:
      return *FIELD_PTR (a, f, gint64) == *FIELD_PTR (b, f, gint64);
    case FIELD_BOOL:
      return !*FIELD_PTR (a, f, gboolean) == !*FIELD_PTR (b, f, gboolean);
    default:
      g_assert_not_reached ();
    }
}

/* --- escaping and values ------------------------------------------------------ */

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

static gboolean
parse_u64 (const gchar *s, gsize len, guint64 max, guint64 *out)
{
  gchar copy[24];

  if (len == 0 || len >= sizeof copy)
    return FALSE;
  memcpy (copy, s, len);
  copy[len] = '\0';
  return g_ascii_string_to_unsigned (copy, 10, 0, max, out, NULL);
}

static gboolean
parse_i64 (const gchar *s, gsize len, gint64 *out)
{
  gchar copy[24];

  if (len == 0 || len >= sizeof copy)
    return FALSE;
  memcpy (copy, s, len);
  copy[len] = '\0';
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

static gboolean
parse_hex64 (const gchar *s, gsize len, guint64 *out)
{
  gchar copy[24];

  if (len == 0 || len >= sizeof copy)
    return FALSE;
  memcpy (copy, s, len);
  copy[len] = '\0';
  return g_ascii_string_to_unsigned (copy, 16, 0, G_MAXUINT64, out, NULL);
}

/* Writes "<key> <value>\n"; nothing for a NULL string unless @unset_null,
 * which writes "unset <key>\n" (the journal). */
static void
append_field (GString *out, const Field *f, const PopbellAccountState *state, gboolean unset_null)
{
  if (f->type == FIELD_STRING && *FIELD_PTR (state, f, gchar *) == NULL)
    {
      if (unset_null)
        g_string_append_printf (out, "unset %s\n", f->key);
      return;
    }
  g_string_append (out, f->key);
  g_string_append_c (out, ' ');
  switch (f->type)
    {
    case FIELD_STRING:
      append_escaped (out, *FIELD_PTR (state, f, gchar *));
      break;
    case FIELD_UINT:
      g_string_append_printf (out, "%u", *FIELD_PTR (state, f, guint));
      break;
    case FIELD_UINT64:
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, *FIELD_PTR (state, f, guint64));
      break;
    case FIELD_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, *FIELD_PTR (state, f, gint64));
      break;
    case FIELD_BOOL:
      g_string_append_c (out, *FIELD_PTR (state, f, gboolean) ? '1' : '0');
      break;
    default:
      g_assert_not_reached ();
    }
  g_string_append_c (out, '\n');
}

/* Parses @val into the field; with @state NULL only checks it. */
static gboolean
parse_field (const Field *f, PopbellAccountState *state, const gchar *val, gsize vlen)
{
  guint64 u;
  gint64 i;
  gboolean b;
  gchar *s;

  switch (f->type)
    {
    case FIELD_STRING:
      if ((s = unescape (val, vlen)) == NULL)
        return FALSE;
      if (state == NULL)
        g_free (s);
      else
        {
          /* A later value (the journal) replaces an earlier one. */
          g_free (*FIELD_PTR (state, f, gchar *));
          *FIELD_PTR (state, f, gchar *) = s;
        }
      return TRUE;
    case FIELD_UINT:
      if (!parse_u64 (val, vlen, f->max, &u))
        return FALSE;
      if (state != NULL)
        *FIELD_PTR (state, f, guint) = (guint) u;
      return TRUE;
    case FIELD_UINT64:
      if (!parse_u64 (val, vlen, f->max, &u))
        return FALSE;
      if (state != NULL)
        *FIELD_PTR (state, f, guint64) = u;
      return TRUE;
    case FIELD_INT64:
      if (!parse_i64 (val, vlen, &i))
        return FALSE;
      if (state != NULL)
        *FIELD_PTR (state, f, gint64) = i;
      return TRUE;
    case FIELD_BOOL:
      if (!parse_bool (val, vlen, &b))
        return FALSE;
      if (state != NULL)
        *FIELD_PTR (state, f, gboolean) = b;
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static const Field *
find_field (const gchar *key, gsize klen, guint *out_index)
{
  for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
    if (strlen (fields[k].key) == klen && memcmp (fields[k].key, key, klen) == 0)
      {
        if (out_index != NULL)
          *out_index = k;
        return &fields[k];
      }
  return NULL;
}

/* --- unseen entries ------------------------------------------------------------ */

static void
append_unseen (GString *out, const PopbellUnseenEntry *entry)
{
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

/* Everything the files keep of an entry but its announced flag. */
static gboolean
unseen_same_entry (const PopbellUnseenEntry *a, const PopbellUnseenEntry *b)
{
  return g_strcmp0 (a->uid, b->uid) == 0 && a->index == b->index && a->size == b->size &&
         !a->has_headers == !b->has_headers && g_strcmp0 (a->date, b->date) == 0 &&
         g_strcmp0 (a->from, b->from) == 0 && g_strcmp0 (a->subject, b->subject) == 0;
}

/* --- snapshot -------------------------------------------------------------------- */

GString *
popbell_state_format_snapshot (const PopbellAccountState *state, guint64 generation)
{
  GString *out = g_string_sized_new (512 + g_hash_table_size (state->seen) * 20);
  GHashTableIter iter;
  gpointer key;
  guint n_seen = 0;

  g_string_append (out, STATE_MAGIC "\n");
  /* Right after the magic: popbell_state_format_peek_generation() reads
   * it from the first bytes. */
  g_string_append_printf (out, "generation %016" G_GINT64_MODIFIER "x\n", generation);
  g_string_append (out, "account ");
  append_escaped (out, state->account_name);
  g_string_append_c (out, '\n');
  for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
    append_field (out, &fields[k], state, FALSE);

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
    append_unseen (out, state->unseen->pdata[i]);
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

guint64
popbell_state_format_peek_generation (const gchar *head, gsize len)
{
  static const gchar prefix[] = STATE_MAGIC "\ngeneration ";
  const gchar *val, *nl;
  guint64 generation;

  if (len < sizeof prefix - 1 || memcmp (head, prefix, sizeof prefix - 1) != 0)
    return 0;
  val = head + sizeof prefix - 1;
  nl = memchr (val, '\n', head + len - val);
  if (nl == NULL || !parse_hex64 (val, nl - val, &generation))
    return 0;
  return generation;
}

#define KEY_IS(k) (klen == strlen (k) && memcmp (line, k, klen) == 0)

gboolean
popbell_state_format_read_snapshot (PopbellAccountState  *state,
                                    const gchar          *data,
                                    gsize                 len,
                                    guint64              *out_generation,
                                    const gchar         **why)
{
  const gchar *p = data, *end = data + len;
  guint n_seen = 0, n_unseen = 0;
  guint32 keys_seen = 0;
  gboolean ended = FALSE;
  g_autoptr(GHashTable) pending = NULL;   /* UIDs of "p" lines */

  *out_generation = 0;
  if (len < strlen (STATE_MAGIC) + 1 ||
      memcmp (data, STATE_MAGIC "\n", strlen (STATE_MAGIC) + 1) != 0)
    return (*why = "not a state file", FALSE);
  p += strlen (STATE_MAGIC) + 1;

  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', end - p);
      const gchar *line = p, *sp, *val;
      gsize line_len, klen, vlen;
      const Field *field;
      guint key_index;

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

      if (KEY_IS ("u"))
        {
          if (!uid_is_valid (val, vlen))
            return (*why = "bad UID", FALSE);
          g_hash_table_add (state->seen, g_strndup (val, vlen));
          n_seen++;
          continue;
        }

      field = find_field (line, klen, &key_index);
      if (field == NULL && KEY_IS ("account"))
        key_index = KEY_ACCOUNT;
      else if (field == NULL && KEY_IS ("generation"))
        key_index = KEY_GENERATION;
      else if (field == NULL)
        key_index = N_KEYS;
      /* A scalar key twice is nothing Popbell writes; the second value
       * would also replace the first. */
      if (key_index < N_KEYS)
        {
          if (keys_seen & (1u << key_index))
            return (*why = "a key appears twice", FALSE);
          keys_seen |= 1u << key_index;
        }

      if (field != NULL)
        {
          if (!parse_field (field, state, val, vlen))
            return (*why = "bad value", FALSE);
        }
      else if (key_index == KEY_GENERATION)
        {
          if (!parse_hex64 (val, vlen, out_generation))
            return (*why = "bad generation", FALSE);
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
      /* else: a key of a newer version, or "account" (informational) */
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

/* --- journal --------------------------------------------------------------------- */

static guint64
fnv1a64 (const gchar *data, gsize len)
{
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (gsize i = 0; i < len; i++)
    {
      hash ^= (guchar) data[i];
      hash *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return hash;
}

GString *
popbell_state_format_journal_header (guint64 generation)
{
  GString *out = g_string_new (NULL);

  g_string_printf (out, JOURNAL_MAGIC " %016" G_GINT64_MODIFIER "x\n", generation);
  return out;
}

/* The times a check changes every time, which nothing needs from the file
 * before the next real change: when the last check succeeded (the tray
 * shows it; the running process has it in memory), and the last login
 * when no LOGIN-DELAY makes it matter. Writing them alone would cost an
 * fsync per check for nothing (issue 9). */
static gboolean
field_is_lazy (const Field *f, const PopbellAccountState *before, const PopbellAccountState *after)
{
  if (g_str_equal (f->key, "last-success"))
    return TRUE;
  if (g_str_equal (f->key, "last-login"))
    return before->login_delay == 0 && after->login_delay == 0;
  return FALSE;
}

gboolean
popbell_state_format_lazy_is_fresh (const PopbellAccountState *before,
                                    const PopbellAccountState *after,
                                    gint64                     max_lag_us)
{
  return ABS (after->last_success - before->last_success) < max_lag_us &&
         ABS (after->last_login - before->last_login) < max_lag_us;
}

/* uid → position + 1 in @unseen; NULL when a UID appears twice. */
static GHashTable *
unseen_index (const GPtrArray *unseen)
{
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < unseen->len; i++)
    {
      const PopbellUnseenEntry *entry = unseen->pdata[i];

      if (!g_hash_table_insert (index, entry->uid, GUINT_TO_POINTER (i + 1)))
        {
          g_hash_table_unref (index);
          return NULL;
        }
    }
  return index;
}

/* The unseen list as edits of @before when it only lost entries and gained
 * some at its end (the usual case); otherwise cleared and written anew.
 * Linear: the list can hold thousands of entries. */
static gboolean
diff_unseen (const GPtrArray *before, const GPtrArray *after, GString *out)
{
  g_autoptr(GHashTable) in_before = unseen_index (before);
  g_autoptr(GHashTable) in_after = unseen_index (after);
  gsize start = out->len;
  guint kept = 0;
  /* A UID twice would make "x <uid>" ambiguous: the long way then. */
  gboolean incremental = in_before != NULL && in_after != NULL;

  for (guint i = 0; i < before->len && incremental; i++)
    {
      const PopbellUnseenEntry *b = before->pdata[i];
      guint at = GPOINTER_TO_UINT (g_hash_table_lookup (in_after, b->uid));

      if (at == 0)
        g_string_append_printf (out, "x %s\n", b->uid);
      else if (at - 1 != kept || !unseen_same_entry (b, after->pdata[at - 1]))
        incremental = FALSE;   /* reordered or changed in place */
      else
        kept++;
    }

  if (!incremental)
    {
      g_string_truncate (out, start);
      g_string_append (out, "N 0\n");
      kept = 0;
    }
  for (guint i = kept; i < after->len; i++)
    append_unseen (out, after->pdata[i]);
  for (guint i = 0; i < after->len; i++)
    {
      const PopbellUnseenEntry *a = after->pdata[i];
      gboolean was = TRUE;   /* a new "n" line loads as announced */

      if (i < kept)
        {
          guint at = GPOINTER_TO_UINT (g_hash_table_lookup (in_before, a->uid));
          was = ((const PopbellUnseenEntry *) before->pdata[at - 1])->announced;
        }
      if (!a->announced != !was)
        g_string_append_printf (out, "%c %s\n", a->announced ? 'a' : 'p', a->uid);
    }
  return out->len > start;
}

PopbellStateDiff
popbell_state_format_diff (const PopbellAccountState *before,
                           const PopbellAccountState *after,
                           GString                   *out)
{
  gsize start = out->len;
  gboolean real = FALSE;
  GHashTableIter iter;
  gpointer key;
  guint added = 0;

  for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
    if (!field_equal (&fields[k], before, after))
      {
        append_field (out, &fields[k], after, TRUE);
        if (!field_is_lazy (&fields[k], before, after))
          real = TRUE;
      }

  /* Only additions (the usual case) need one pass: when the sizes show
   * that nothing else changed, no UID of @before went away. */
  g_hash_table_iter_init (&iter, after->seen);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (before->seen, key))
      {
        g_string_append_printf (out, "+ %s\n", (const gchar *) key);
        added++;
      }
  if (g_hash_table_size (after->seen) - added != g_hash_table_size (before->seen))
    {
      g_hash_table_iter_init (&iter, before->seen);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (after->seen, key))
          {
            g_string_append_printf (out, "- %s\n", (const gchar *) key);
            real = TRUE;
          }
    }
  if (added > 0)
    real = TRUE;
  if (diff_unseen (before->unseen, after->unseen, out))
    real = TRUE;

  if (out->len == start)
    return POPBELL_STATE_DIFF_NONE;
  g_string_append_printf (out, "c %" G_GSIZE_FORMAT " %016" G_GINT64_MODIFIER "x\n",
                          out->len - start, fnv1a64 (out->str + start, out->len - start));
  return real ? POPBELL_STATE_DIFF_REAL : POPBELL_STATE_DIFF_LAZY;
}

/* Applying a record to a state: the unseen list is indexed by UID for
 * "x", "p" and "a" (built at the first of them), and entries removed by
 * "x" leave the list at the end of the record, so a record costs what it
 * holds even with thousands of unseen entries. */
typedef struct {
  PopbellAccountState *state;      /* NULL: only check the lines */
  GHashTable          *by_uid;     /* (nullable) uid → entry */
  GHashTable          *removed;    /* (nullable) set of entries */
} RecordApply;

static void
record_apply_index (RecordApply *apply)
{
  if (apply->by_uid != NULL)
    return;
  apply->by_uid = g_hash_table_new (g_str_hash, g_str_equal);
  apply->removed = g_hash_table_new (NULL, NULL);
  /* The first entry of a UID is the one a UID names. */
  for (guint i = apply->state->unseen->len; i > 0; i--)
    {
      PopbellUnseenEntry *entry = apply->state->unseen->pdata[i - 1];
      g_hash_table_insert (apply->by_uid, entry->uid, entry);
    }
}

static void
record_apply_finish (RecordApply *apply)
{
  if (apply->removed != NULL && g_hash_table_size (apply->removed) > 0)
    {
      GPtrArray *unseen = apply->state->unseen;
      guint kept = 0;

      for (guint i = 0; i < unseen->len; i++)
        {
          if (g_hash_table_contains (apply->removed, unseen->pdata[i]))
            popbell_unseen_entry_free (unseen->pdata[i]);
          else
            unseen->pdata[kept++] = unseen->pdata[i];
        }
      /* The removed ones are freed above: shrink without the free func. */
      for (guint i = kept; i < unseen->len; i++)
        unseen->pdata[i] = NULL;
      g_ptr_array_set_size (unseen, kept);
    }
  g_clear_pointer (&apply->by_uid, g_hash_table_unref);
  g_clear_pointer (&apply->removed, g_hash_table_unref);
}

#define KEY_IS(k) (klen == strlen (k) && memcmp (line, k, klen) == 0)

/* One line of a record. */
static gboolean
journal_line (RecordApply *apply, const gchar *line, gsize line_len)
{
  PopbellAccountState *state = apply->state;
  const gchar *sp = memchr (line, ' ', line_len), *val;
  const Field *field;
  gsize klen, vlen;

  if (sp == NULL)
    return FALSE;
  klen = sp - line;
  val = sp + 1;
  vlen = line_len - klen - 1;

  if (KEY_IS ("+") || KEY_IS ("-"))
    {
      if (!uid_is_valid (val, vlen))
        return FALSE;
      if (state == NULL)
        return TRUE;
      if (line[0] == '+')
        g_hash_table_add (state->seen, g_strndup (val, vlen));
      else
        {
          g_autofree gchar *uid = g_strndup (val, vlen);
          g_hash_table_remove (state->seen, uid);
        }
      return TRUE;
    }
  if (KEY_IS ("n"))
    {
      PopbellUnseenEntry *entry = parse_unseen (val, vlen);

      if (entry == NULL)
        return FALSE;
      if (state == NULL)
        {
          popbell_unseen_entry_free (entry);
          return TRUE;
        }
      g_ptr_array_add (state->unseen, entry);
      if (apply->by_uid != NULL && !g_hash_table_contains (apply->by_uid, entry->uid))
        g_hash_table_insert (apply->by_uid, entry->uid, entry);
      return TRUE;
    }
  if (KEY_IS ("x") || KEY_IS ("p") || KEY_IS ("a"))
    {
      g_autofree gchar *uid = NULL;
      PopbellUnseenEntry *entry;

      if (!uid_is_valid (val, vlen))
        return FALSE;
      if (state == NULL)
        return TRUE;
      record_apply_index (apply);
      uid = g_strndup (val, vlen);
      entry = g_hash_table_lookup (apply->by_uid, uid);
      if (entry == NULL)
        return TRUE;
      if (line[0] == 'x')
        {
          g_hash_table_remove (apply->by_uid, uid);
          g_hash_table_add (apply->removed, entry);
        }
      else
        entry->announced = line[0] == 'a';
      return TRUE;
    }
  if (KEY_IS ("N"))
    {
      if (state != NULL)
        {
          record_apply_finish (apply);
          g_ptr_array_set_size (state->unseen, 0);
        }
      return TRUE;
    }
  if (KEY_IS ("unset"))
    {
      field = find_field (val, vlen, NULL);
      if (field != NULL && field->type != FIELD_STRING)
        return FALSE;
      if (field != NULL && state != NULL)
        g_clear_pointer (FIELD_PTR (state, field, gchar *), g_free);
      return TRUE;
    }
  field = find_field (line, klen, NULL);
  if (field != NULL)
    return parse_field (field, state, val, vlen);
  return TRUE;   /* a key of a newer version */
}

#undef KEY_IS

/* Runs journal_line() over the lines of @body; with @state NULL only
 * checks them. */
static gboolean
journal_record (PopbellAccountState *state, const gchar *body, gsize len)
{
  RecordApply apply = { state, NULL, NULL };
  const gchar *p = body, *end = body + len;
  gboolean ok = TRUE;

  while (p < end && ok)
    {
      const gchar *nl = memchr (p, '\n', end - p);

      ok = nl != NULL && journal_line (&apply, p, nl - p);
      p = nl != NULL ? nl + 1 : end;
    }
  if (state != NULL)
    record_apply_finish (&apply);
  return ok;
}

gsize
popbell_state_format_apply_journal (PopbellAccountState *state,
                                    const gchar         *data,
                                    gsize                len,
                                    guint64              generation)
{
  g_autoptr(GString) header = popbell_state_format_journal_header (generation);
  const gchar *p = data, *end = data + len, *record = NULL;
  gsize valid;

  if (len < header->len || memcmp (data, header->str, header->len) != 0)
    return 0;
  p = record = data + header->len;
  valid = header->len;

  while (p < end)
    {
      const gchar *nl = memchr (p, '\n', end - p);
      const gchar *line = p;
      const gchar *sp;
      guint64 body_len, sum;

      if (nl == NULL)
        break;                                  /* torn: no line end */
      p = nl + 1;
      if (line[0] != 'c' || line + 1 == nl || line[1] != ' ')
        continue;                               /* a line of the record */

      sp = memchr (line + 2, ' ', nl - line - 2);
      if (sp == NULL ||
          !parse_u64 (line + 2, sp - line - 2, G_MAXSIZE, &body_len) ||
          !parse_hex64 (sp + 1, nl - sp - 1, &sum) ||
          body_len != (guint64) (line - record) ||
          sum != fnv1a64 (record, body_len))
        break;                                  /* torn or garbage */
      if (!journal_record (NULL, record, body_len))
        {
          g_debug ("state journal of %s: a record that does not parse; ignoring the rest",
                   state->account_name);
          break;
        }
      journal_record (state, record, body_len);
      record = p;
      valid = p - data;
    }
  return valid;
}

void
popbell_state_format_apply_record (PopbellAccountState *state, const gchar *record, gsize len)
{
  gsize body = len;

  /* Drop the closing "c" line: the last line. */
  g_return_if_fail (len > 0 && record[len - 1] == '\n');
  while (body > 1 && record[body - 2] != '\n')
    body--;
  body = body > 1 ? body - 1 : 0;
  if (!journal_record (state, record, body))
    g_warn_if_reached ();
}
