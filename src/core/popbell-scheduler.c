/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-scheduler.h"

/* One account's timer. */
typedef struct {
  PopbellScheduler       *scheduler;  /* (unowned) the scheduler owns the slot */
  gchar                  *name;
  gint64                  at;         /* 0 when not armed */
  PopbellNextCheckReason  reason;
  GSource                *source;     /* (owned) (nullable) non-NULL ⇔ armed */
} ScheduleSlot;

struct _PopbellScheduler
{
  GObject parent_instance;

  GHashTable   *entries;   /* (owned) name → ScheduleSlot */
  GMainContext *context;   /* (owned) the thread-default context at creation */
};

G_DEFINE_FINAL_TYPE (PopbellScheduler, popbell_scheduler, G_TYPE_OBJECT)

enum { SIGNAL_DUE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
slot_disarm (ScheduleSlot *entry)
{
  if (entry->source != NULL)
    {
      g_source_destroy (entry->source);
      g_clear_pointer (&entry->source, g_source_unref);
    }
}

static void
entry_free (ScheduleSlot *entry)
{
  slot_disarm (entry);
  g_free (entry->name);
  g_free (entry);
}

static void
popbell_scheduler_dispose (GObject *object)
{
  PopbellScheduler *self = POPBELL_SCHEDULER (object);

  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
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
  /* Library code keeps its timers on the context it runs in, never the
   * global default one (STYLE §10). */
  self->context = g_main_context_ref_thread_default ();
}

PopbellScheduler *
popbell_scheduler_new (void)
{
  return g_object_new (POPBELL_TYPE_SCHEDULER, NULL);
}

static ScheduleSlot *
ensure_entry (PopbellScheduler *self, const gchar *name)
{
  ScheduleSlot *entry = g_hash_table_lookup (self->entries, name);

  if (entry == NULL)
    {
      entry = g_new0 (ScheduleSlot, 1);
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
  ScheduleSlot *entry = user_data;
  PopbellScheduler *self = entry->scheduler;
  g_autofree gchar *name = g_strdup (entry->name);

  g_clear_pointer (&entry->source, g_source_unref);
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
  ScheduleSlot *entry;
  gint64 delay_ms;

  g_return_if_fail (POPBELL_IS_SCHEDULER (self));
  g_return_if_fail (account_name != NULL);

  entry = ensure_entry (self, account_name);
  slot_disarm (entry);
  entry->at = at;
  entry->reason = reason;

  delay_ms = (at - g_get_real_time () + 999) / 1000;
  entry->source = delay_ms <= 0 ? g_idle_source_new ()
                                : g_timeout_source_new ((guint) MIN (delay_ms, G_MAXUINT));
  g_source_set_callback (entry->source, entry_fire, entry, NULL);
  g_source_attach (entry->source, self->context);
}

void
popbell_scheduler_unschedule (PopbellScheduler       *self,
                              const gchar            *account_name,
                              PopbellNextCheckReason  reason)
{
  ScheduleSlot *entry;

  g_return_if_fail (POPBELL_IS_SCHEDULER (self));

  entry = ensure_entry (self, account_name);
  slot_disarm (entry);
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
  ScheduleSlot *entry;

  g_return_val_if_fail (POPBELL_IS_SCHEDULER (self), 0);

  entry = g_hash_table_lookup (self->entries, account_name);
  if (out_reason != NULL)
    *out_reason = entry != NULL ? entry->reason : POPBELL_NEXT_CHECK_DISABLED;
  return entry != NULL ? entry->at : 0;
}

gboolean
popbell_scheduler_is_armed (PopbellScheduler *self, const gchar *account_name)
{
  ScheduleSlot *entry;

  g_return_val_if_fail (POPBELL_IS_SCHEDULER (self), FALSE);
  entry = g_hash_table_lookup (self->entries, account_name);
  return entry != NULL && entry->source != NULL;
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
