/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#define _GNU_SOURCE   /* O_NOATIME */
#include "popbell-config.h"

#include "popbell-state-store.h"
#include "popbell-state-format-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <unistd.h>

/* The files of an account (the format is popbell-state-format.c):
 *
 *   <name>.state     the snapshot, replaced atomically (temporary file in the
 *                    same directory, fsync, rename, fsync of the directory)
 *   <name>.journal   what changed since, appended to and fsynced per save
 *   <name>.lock      the account lock (PopbellStateLock)
 *
 * A save writes nothing when nothing changed since the files were last
 * loaded or saved by this store, appends a record to the journal when the
 * change is small, and compacts (a new snapshot, the journal deleted) when
 * the journal would outgrow the snapshot (issue 9). Either way a crash
 * leaves the old or the new state, never a torn one.
 */
#define STATE_SUFFIX ".state"
#define JOURNAL_SUFFIX ".journal"
#define LOCK_SUFFIX ".lock"
/* The journal is compacted into a new snapshot when it would grow beyond
 * the snapshot, or beyond this for a small state (one page). */
#define JOURNAL_MIN_LIMIT 4096
/* Times that change every check are written alone at most this often
 * (popbell_state_format_lazy_is_fresh()). */
#define LAZY_MAX_LAG_US ((gint64) 3600 * G_USEC_PER_SEC)

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
  copy->capabilities = g_strdup (state->capabilities);
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
  g_free (state->capabilities);
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

/* --- the store ------------------------------------------------------------- */

/* What this store knows the files of an account hold: the state they
 * load to, as it last loaded or saved them. A save diffs against it. */
typedef struct {
  PopbellAccountState *state;
  guint64              generation;     /* of the snapshot; never 0 here */
  goffset              snapshot_size;
  goffset              journal_size;   /* 0: no journal */
} DiskImage;

static void
disk_image_free (DiskImage *image)
{
  popbell_account_state_free (image->state);
  g_free (image);
}

struct _PopbellStateStore
{
  GObject parent_instance;

  gchar      *dir;    /* (owned) */
  /* Account name → number of PopbellStateLocks of this store that hold
   * its lock (0 or 1: the flock excludes a second one). A load cleans up
   * (stale temporaries, setting a corrupt file aside) only under the
   * lock, its caller's or one it takes for the moment. */
  GHashTable *held;
  /* (element-type utf8 DiskImage) what the files hold, per account */
  GHashTable *disk;
  /* (element-type filename) the temporary files (".tmp-") of the folder,
   * listed once (NULL: not yet): each load removes its account's under
   * the lock, without reading the folder again (1,000 accounts made a
   * million directory entries a pass). A temporary that appears later is
   * a save in progress, or left by a crash the next start cleans up. */
  GHashTable *temporaries;
  PopbellStateStoreStats stats;
};

G_DEFINE_FINAL_TYPE (PopbellStateStore, popbell_state_store, G_TYPE_OBJECT)

static void
popbell_state_store_finalize (GObject *object)
{
  PopbellStateStore *self = POPBELL_STATE_STORE (object);

  g_free (self->dir);
  g_hash_table_unref (self->held);
  g_hash_table_unref (self->disk);
  g_clear_pointer (&self->temporaries, g_hash_table_unref);
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
  self->disk = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) disk_image_free);
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

/* Opens @path for reading without updating its access time where the
 * kernel lets us (our own files): on a relatime mount the first read
 * after a change writes the inode, so an unchanged check would write to
 * disk after all (issue 9: an unchanged pass writes 0 bytes). @flags: more
 * open() flags (O_DIRECTORY). */
static int
open_noatime (const gchar *path, int flags)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOATIME | flags, 0);

  if (fd < 0 && errno == EPERM)   /* not the owner: O_NOATIME is refused */
    fd = g_open (path, O_RDONLY | O_CLOEXEC | flags, 0);
  return fd;
}

/* One read of the folder (without touching its access time, see
 * open_noatime()) for the names of temporary files. */
static void
list_temporaries (PopbellStateStore *self)
{
  int fd = open_noatime (self->dir, O_DIRECTORY);
  DIR *dir;
  struct dirent *entry;

  self->temporaries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return;
    }
  while ((entry = readdir (dir)) != NULL)
    if (strstr (entry->d_name, ".tmp-") != NULL)
      g_hash_table_add (self->temporaries, g_strdup (entry->d_name));
  closedir (dir);
}

/* A temporary file of a save that was killed before its rename: harmless,
 * but it would pile up. Removed by the next load under the account lock
 * (never without it: it may be a save in progress). */
static void
remove_stale_temporaries (PopbellStateStore *self, const gchar *state_path)
{
  g_autofree gchar *prefix = g_strconcat (state_path, ".tmp-", NULL);
  g_autofree gchar *base_prefix = g_path_get_basename (prefix);
  GHashTableIter iter;
  gpointer name;

  if (self->temporaries == NULL)
    list_temporaries (self);
  g_hash_table_iter_init (&iter, self->temporaries);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    {
      if (g_str_has_prefix (name, base_prefix))
        {
          g_autofree gchar *path = g_build_filename (self->dir, name, NULL);

          g_unlink (path);
          g_hash_table_iter_remove (&iter);
        }
    }
}

static void
remember_disk (PopbellStateStore         *self,
               const PopbellAccountState *state,
               guint64                    generation,
               goffset                    snapshot_size,
               goffset                    journal_size)
{
  DiskImage *image;

  if (generation == 0)
    {
      /* A file of an older Popbell (or none): the next save compacts. */
      g_hash_table_remove (self->disk, state->account_name);
      return;
    }
  image = g_new0 (DiskImage, 1);
  image->state = popbell_account_state_copy (state);
  image->generation = generation;
  image->snapshot_size = snapshot_size;
  image->journal_size = journal_size;
  g_hash_table_replace (self->disk, g_strdup (state->account_name), image);
}

/* g_file_get_contents() through open_noatime(), with its G_FILE_ERROR
 * codes (the message is the system's). */
static gboolean
read_file (const gchar *path, gchar **out_data, gsize *out_len, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  int fd = open_noatime (path, 0);
  int saved;

  if (fd < 0)
    goto fail;
  for (;;)
    {
      guint8 chunk[65536];
      gssize n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      if (n == 0)
        break;
      g_byte_array_append (buf, chunk, (guint) n);
    }
  close (fd);
  *out_len = buf->len;
  g_byte_array_append (buf, (const guint8 *) "", 1);
  *out_data = (gchar *) g_byte_array_free (g_steal_pointer (&buf), FALSE);
  return TRUE;

fail:
  saved = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
               g_strerror (saved));
  return FALSE;
}

/* The journal of an account applied to @state, if it belongs to the
 * snapshot of @generation. Returns the valid length (0: none). Under the
 * lock, a stale journal is deleted and a torn tail cut off. */
static goffset
load_journal (PopbellStateStore   *self,
              PopbellAccountState *state,
              guint64              generation,
              gboolean             may_clean_up)
{
  g_autofree gchar *path = account_file (self, state->account_name, JOURNAL_SUFFIX);
  g_autofree gchar *data = NULL;
  gsize len = 0, valid;

  if (!read_file (path, &data, &len, NULL))
    return 0;
  valid = generation != 0 ? popbell_state_format_apply_journal (state, data, len, generation) : 0;
  if (valid == len || !may_clean_up)
    return valid;

  if (valid == 0)
    {
      g_debug ("state journal %s belongs to another snapshot; removed", path);
      g_unlink (path);
    }
  else
    {
      /* Appends go after the valid part, never after garbage. */
      g_debug ("state journal %s: a torn record at its end is dropped", path);
      if (truncate (path, valid) < 0)
        return -1;   /* the next save compacts */
    }
  return valid;
}

/* The files still hold what @image says: nobody compacted (the snapshot's
 * generation) or appended (the journal's length) since. Cheap: a stat and
 * the first bytes of the snapshot. */
static gboolean
disk_unchanged (PopbellStateStore *self, const DiskImage *image)
{
  g_autofree gchar *path = account_file (self, image->state->account_name, STATE_SUFFIX);
  g_autofree gchar *journal = account_file (self, image->state->account_name, JOURNAL_SUFFIX);
  gchar head[64];
  GStatBuf st;
  gssize n;
  int fd;

  fd = open_noatime (path, 0);
  if (fd < 0)
    return FALSE;
  n = read (fd, head, sizeof head);
  close (fd);
  if (n <= 0 || popbell_state_format_peek_generation (head, n) != image->generation)
    return FALSE;
  if (g_stat (journal, &st) < 0)
    return errno == ENOENT && image->journal_size == 0;
  return st.st_size == image->journal_size;
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
  guint64 generation = 0;
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
  /* The files as this store last loaded or saved them, unchanged since:
   * a copy of that is the load, without reading and parsing 2 MB again
   * (the applet's next check of a big mailbox). */
  {
    DiskImage *image = g_hash_table_lookup (self->disk, account_name);

    if (image != NULL && disk_unchanged (self, image))
      return popbell_account_state_copy (image->state);
  }
  state = popbell_account_state_new (account_name);
  g_hash_table_remove (self->disk, account_name);

  if (!read_file (path, &data, &len, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          if (may_clean_up)
            {
              /* A journal without its snapshot belongs to nothing. */
              g_autofree gchar *journal = account_file (self, account_name, JOURNAL_SUFFIX);
              g_unlink (journal);
            }
          return g_steal_pointer (&state);
        }
      why = local_error->message;
    }
  else if (popbell_state_format_read_snapshot (state, data, len, &generation, &why))
    {
      goffset journal_size = load_journal (self, state, generation, may_clean_up);

      /* Without the lock the files may change under us: remember nothing,
       * the next save (under the lock) compacts. */
      if (may_clean_up && journal_size >= 0)
        remember_disk (self, state, generation, len, journal_size);
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

static void
sync_dir (PopbellStateStore *self)
{
  /* Make a rename or a new file durable: without this a power cut could
   * bring back the old directory entry (or none) after the data was synced. */
  int dir_fd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      self->stats.fsyncs++;
      close (dir_fd);
    }
}

/* Appends @record (one complete journal record) to the journal of @image,
 * creating it with its header first. On failure the journal is cut back
 * to what it was, so a later append never follows a torn record. */
static gboolean
append_journal (PopbellStateStore *self, DiskImage *image, const GString *record, int *out_errno)
{
  g_autofree gchar *path = account_file (self, image->state->account_name, JOURNAL_SUFFIX);
  g_autoptr(GString) header = NULL;
  gboolean created = image->journal_size == 0;
  int fd;

  fd = g_open (path, O_WRONLY | O_APPEND | O_CLOEXEC | (created ? O_CREAT | O_TRUNC : 0), 0600);
  if (fd < 0)
    {
      *out_errno = errno;
      return FALSE;
    }
  if (created)
    header = popbell_state_format_journal_header (image->generation);
  if ((header != NULL && !write_all (fd, header->str, header->len)) ||
      !write_all (fd, record->str, record->len) ||
      fdatasync (fd) < 0)
    {
      *out_errno = errno != 0 ? errno : EIO;
      if (ftruncate (fd, image->journal_size) < 0)
        g_hash_table_remove (self->disk, image->state->account_name);   /* compact next */
      close (fd);
      return FALSE;
    }
  close (fd);
  self->stats.fsyncs++;
  self->stats.journal_appends++;
  self->stats.bytes_written += (header != NULL ? header->len : 0) + record->len;
  if (created)
    sync_dir (self);
  image->journal_size += (header != NULL ? header->len : 0) + record->len;
  return TRUE;
}

/* A new snapshot of @state with a new generation, atomically; the journal
 * is deleted after the rename (a crash in between leaves a journal of the
 * old generation, which the next load ignores). */
static gboolean
write_snapshot (PopbellStateStore *self, const PopbellAccountState *state, int *out_errno)
{
  g_autofree gchar *path = popbell_state_store_dup_path (self, state->account_name);
  g_autofree gchar *journal = account_file (self, state->account_name, JOURNAL_SUFFIX);
  g_autofree gchar *tmp = g_strconcat (path, ".tmp-XXXXXX", NULL);
  g_autoptr(GString) text = NULL;
  guint64 generation;
  int fd;

  /* Random, not counted: two processes compacting from the same snapshot
   * must not make the same generation. */
  do
    generation = ((guint64) g_random_int () << 32) | g_random_int ();
  while (generation == 0);
  text = popbell_state_format_snapshot (state, generation);

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      *out_errno = errno;
      return FALSE;
    }
  if (!write_all (fd, text->str, text->len) || fsync (fd) < 0)
    {
      *out_errno = errno != 0 ? errno : EIO;
      close (fd);
      g_unlink (tmp);
      return FALSE;
    }
  if (close (fd) < 0 || g_rename (tmp, path) < 0)
    {
      *out_errno = errno;
      g_unlink (tmp);
      return FALSE;
    }
  self->stats.fsyncs++;
  self->stats.snapshots++;
  self->stats.bytes_written += text->len;
  sync_dir (self);
  g_unlink (journal);

  remember_disk (self, state, generation, text->len, 0);
  return TRUE;
}

gboolean
popbell_state_store_save (PopbellStateStore         *self,
                          const PopbellAccountState *state,
                          GError                   **error)
{
  DiskImage *image;
  int saved = 0;

  g_return_val_if_fail (POPBELL_IS_STATE_STORE (self), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!ensure_dir (self, error))
    return FALSE;

  image = g_hash_table_lookup (self->disk, state->account_name);
  if (image != NULL && !disk_unchanged (self, image))
    {
      g_hash_table_remove (self->disk, state->account_name);
      image = NULL;
    }

  if (image != NULL)
    {
      g_autoptr(GString) record = g_string_new (NULL);
      PopbellStateDiff diff = popbell_state_format_diff (image->state, state, record);
      goffset limit = MAX (image->snapshot_size, JOURNAL_MIN_LIMIT);

      if (diff == POPBELL_STATE_DIFF_NONE ||
          (diff == POPBELL_STATE_DIFF_LAZY &&
           popbell_state_format_lazy_is_fresh (image->state, state, LAZY_MAX_LAG_US)))
        {
          self->stats.unchanged++;
          return TRUE;
        }
      if (image->journal_size + (goffset) record->len + 64 <= limit)
        {
          if (!append_journal (self, image, record, &saved))
            goto fail;
          /* The image follows the files: cheap, unlike a copy of the set. */
          popbell_state_format_apply_record (image->state, record->str, record->len);
          return TRUE;
        }
    }

  if (!write_snapshot (self, state, &saved))
    goto fail;
  return TRUE;

fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Cannot save the state of account “%s” in %s: %s",
               state->account_name, self->dir, g_strerror (saved));
  return FALSE;
}

void
popbell_state_store_remove (PopbellStateStore *self, const gchar *account_name)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *journal = NULL;

  g_return_if_fail (POPBELL_IS_STATE_STORE (self));

  path = account_file (self, account_name, STATE_SUFFIX);
  journal = account_file (self, account_name, JOURNAL_SUFFIX);
  /* The lock file stays: unlinking it while someone holds it would let a
   * third process lock a new inode next to the holder. */
  g_unlink (path);
  g_unlink (journal);
  g_hash_table_remove (self->disk, account_name);
}

void
popbell_state_store_get_stats (PopbellStateStore      *self,
                               PopbellStateStoreStats *out_stats)
{
  g_return_if_fail (POPBELL_IS_STATE_STORE (self));
  *out_stats = self->stats;
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
