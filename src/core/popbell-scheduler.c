/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-scheduler.h"

typedef struct {
  PopbellScheduler       *scheduler;  /* (unowned) */
  gchar                  *name;
  gint64                  at;         /* 0 when not armed */
  PopbellNextCheckReason  reason;
  guint                   source_id;  /* 0 when not armed */
} Entry;

struct _PopbellScheduler
{
  GObject parent_instance;

  GHashTable *entries;   /* (owned) name → Entry */
};

G_DEFINE_FINAL_TYPE (PopbellScheduler, popbell_scheduler, G_TYPE_OBJECT)

enum { SIGNAL_DUE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
entry_free (Entry *entry)
{
  g_clear_handle_id (&entry->source_id, g_source_remove);
  g_free (entry->name);
  g_free (entry);
}

static void
popbell_scheduler_dispose (GObject *object)
{
  PopbellScheduler *self = POPBELL_SCHEDULER (object);

  g_clear_pointer (&self->entries, g_hash_table_unref);
  G_OBJECT_CLASS (popbell_scheduler_parent_class)->dispose (object);
}

static void
popbell_scheduler_class_init (PopbellSchedulerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_scheduler_dispose;

  signals[SIGNAL_DUE] = g_signal_new ("due", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
popbell_scheduler_init (PopbellScheduler *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) entry_free);
}

PopbellScheduler *
popbell_scheduler_new (void)
{
  return g_object_new (POPBELL_TYPE_SCHEDULER, NULL);
}

static Entry *
ensure_entry (PopbellScheduler *self, const gchar *name)
{
  Entry *entry = g_hash_table_lookup (self->entries, name);

  if (entry == NULL)
    {
      entry = g_new0 (Entry, 1);
      entry->scheduler = self;
      entry->name = g_strdup (name);
      entry->reason = POPBELL_NEXT_CHECK_DISABLED;
      g_hash_table_insert (self->entries, entry->name, entry);
    }
  return entry;
}

static gboolean
entry_fire (gpointer user_data)
{
  Entry *entry = user_data;
  PopbellScheduler *self = entry->scheduler;
  g_autofree gchar *name = g_strdup (entry->name);

  entry->source_id = 0;
  entry->at = 0;
  entry->reason = POPBELL_NEXT_CHECK_RUNNING;
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_DUE], 0, name);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

void
popbell_scheduler_schedule (PopbellScheduler       *self,
                            const gchar            *account_name,
                            gint64                  at,
                            PopbellNextCheckReason  reason)
{
  Entry *entry;
  gint64 delay_ms;

  g_return_if_fail (POPBELL_IS_SCHEDULER (self));
  g_return_if_fail (account_name != NULL);

  entry = ensure_entry (self, account_name);
  g_clear_handle_id (&entry->source_id, g_source_remove);
  entry->at = at;
  entry->reason = reason;

  delay_ms = (at - g_get_real_time () + 999) / 1000;
  if (delay_ms <= 0)
    entry->source_id = g_idle_add (entry_fire, entry);
  else
    entry->source_id = g_timeout_add ((guint) MIN (delay_ms, G_MAXUINT), entry_fire, entry);
}

void
popbell_scheduler_unschedule (PopbellScheduler       *self,
                              const gchar            *account_name,
                              PopbellNextCheckReason  reason)
{
  Entry *entry;

  g_return_if_fail (POPBELL_IS_SCHEDULER (self));

  entry = ensure_entry (self, account_name);
  g_clear_handle_id (&entry->source_id, g_source_remove);
  entry->at = 0;
  entry->reason = reason;
}

void
popbell_scheduler_remove (PopbellScheduler *self, const gchar *account_name)
{
  g_return_if_fail (POPBELL_IS_SCHEDULER (self));
  g_hash_table_remove (self->entries, account_name);
}

gint64
popbell_scheduler_get_next (PopbellScheduler       *self,
                            const gchar            *account_name,
                            PopbellNextCheckReason *out_reason)
{
  Entry *entry;

  g_return_val_if_fail (POPBELL_IS_SCHEDULER (self), 0);

  entry = g_hash_table_lookup (self->entries, account_name);
  if (out_reason != NULL)
    *out_reason = entry != NULL ? entry->reason : POPBELL_NEXT_CHECK_DISABLED;
  return entry != NULL ? entry->at : 0;
}

gboolean
popbell_scheduler_is_armed (PopbellScheduler *self, const gchar *account_name)
{
  Entry *entry;

  g_return_val_if_fail (POPBELL_IS_SCHEDULER (self), FALSE);
  entry = g_hash_table_lookup (self->entries, account_name);
  return entry != NULL && entry->source_id != 0;
}

gint64
popbell_scheduler_backoff_delay (guint interval, guint step, gdouble jitter01)
{
  gdouble delay = MAX (interval, 1);
  guint cap = MAX (POPBELL_SCHEDULER_MAX_BACKOFF_S, interval);

  for (guint i = 1; i < step && delay < cap; i++)
    delay *= 2;
  delay *= 0.8 + 0.4 * CLAMP (jitter01, 0.0, 1.0);
  return (gint64) (CLAMP (delay, 1.0, (gdouble) cap) * G_USEC_PER_SEC);
}

gint64
popbell_scheduler_login_allowed (gint64 last_login, guint login_delay, gint64 next_allowed)
{
  gint64 allowed = 0;

  if (login_delay > 0 && last_login > 0)
    allowed = last_login + (gint64) login_delay * G_USEC_PER_SEC;
  return MAX (allowed, next_allowed);
}
