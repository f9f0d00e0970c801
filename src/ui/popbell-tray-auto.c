/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-tray-auto.h"
#include "popbell-tray-sni.h"
#include "popbell-tray-status-icon.h"

#define WATCHER_NAME "org.kde.StatusNotifierWatcher"

struct _PopbellTrayAuto
{
  GObject parent_instance;

  GActionGroup     *actions;   /* (unowned) (nullable) weak pointer: the app owns us */
  PopbellTray      *backend;   /* (owned) never NULL after construction */
  PopbellTrayState *last;      /* (owned) (nullable) the last update, for a new backend */
  guint             watch_id;
};

static void popbell_tray_auto_iface_init (PopbellTrayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PopbellTrayAuto, popbell_tray_auto, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (POPBELL_TYPE_TRAY,
                                                      popbell_tray_auto_iface_init))

static PopbellTray *
new_backend (GActionGroup *actions,
             gboolean      sni)
{
  PopbellTray *tray = sni ? popbell_tray_sni_new (actions) : NULL;

  return tray != NULL ? tray : popbell_tray_status_icon_new (actions);
}

static void
use_backend (PopbellTrayAuto *self,
             gboolean         sni)
{
  if (self->actions == NULL ||
      g_str_equal (popbell_tray_get_name (self->backend), sni ? "sni" : "status-icon"))
    return;

  /* The old one first: its menu and icon are gone before the new appear. */
  g_clear_object (&self->backend);
  self->backend = new_backend (self->actions, sni);
  if (self->last != NULL)
    popbell_tray_update (self->backend, self->last);
  g_debug ("Tray: %s", popbell_tray_get_name (self->backend));
}

static void
on_watcher_appeared (GDBusConnection *connection,
                     const gchar     *name,
                     const gchar     *name_owner,
                     gpointer         user_data)
{
  use_backend (POPBELL_TRAY_AUTO (user_data), TRUE);
}

static void
on_watcher_vanished (GDBusConnection *connection,
                     const gchar     *name,
                     gpointer         user_data)
{
  use_backend (POPBELL_TRAY_AUTO (user_data), FALSE);
}

static void
popbell_tray_auto_update (PopbellTray            *tray,
                          const PopbellTrayState *state)
{
  PopbellTrayAuto *self = POPBELL_TRAY_AUTO (tray);

  g_clear_pointer (&self->last, popbell_tray_state_free);
  self->last = popbell_tray_state_copy (state);
  popbell_tray_update (self->backend, state);
}

static const gchar *
popbell_tray_auto_get_name (PopbellTray *tray)
{
  return popbell_tray_get_name (POPBELL_TRAY_AUTO (tray)->backend);
}

static void
popbell_tray_auto_iface_init (PopbellTrayInterface *iface)
{
  iface->update = popbell_tray_auto_update;
  iface->get_name = popbell_tray_auto_get_name;
}

static void
popbell_tray_auto_dispose (GObject *object)
{
  PopbellTrayAuto *self = POPBELL_TRAY_AUTO (object);

  if (self->watch_id != 0)
    {
      g_bus_unwatch_name (self->watch_id);
      self->watch_id = 0;
    }
  g_clear_object (&self->backend);
  g_clear_pointer (&self->last, popbell_tray_state_free);
  if (self->actions != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->actions), (gpointer *) &self->actions);
      self->actions = NULL;
    }

  G_OBJECT_CLASS (popbell_tray_auto_parent_class)->dispose (object);
}

static void
popbell_tray_auto_class_init (PopbellTrayAutoClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_tray_auto_dispose;
}

static void
popbell_tray_auto_init (PopbellTrayAuto *self)
{
}

/* Once at start, on the local bus: a short synchronous call decides the
 * first backend, so that an SNI session never flashes an XEmbed icon. */
static gboolean
watcher_has_owner (GDBusConnection *bus)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", WATCHER_NAME),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 2000,
                                       NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

PopbellTray *
popbell_tray_auto_new (GActionGroup *actions)
{
  PopbellTrayAuto *self;
  g_autoptr(GDBusConnection) bus = NULL;

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (POPBELL_TYPE_TRAY_AUTO, NULL);
  self->actions = actions;
  g_object_add_weak_pointer (G_OBJECT (actions), (gpointer *) &self->actions);

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  self->backend = new_backend (actions, bus != NULL && watcher_has_owner (bus));
  if (bus != NULL)
    self->watch_id = g_bus_watch_name_on_connection (bus, WATCHER_NAME,
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     on_watcher_appeared, on_watcher_vanished,
                                                     self, NULL);
  return POPBELL_TRAY (self);
}
