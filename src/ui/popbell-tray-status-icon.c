/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/gdkx.h>
#endif

#include "popbell-badge.h"
#include "popbell-tray-status-icon.h"

/* GtkStatusIcon is deprecated in GTK 3 but is its only XEmbed tray API; the
 * deprecation warnings are silenced around each use, nowhere else. */

struct _PopbellTrayStatusIcon
{
  GObject parent_instance;

  GtkStatusIcon *icon;     /* (owned) */
  GtkWidget     *menu;     /* (owned) */
  GActionGroup  *actions;  /* (unowned) (nullable) weak pointer: the app owns us */

  guint               unseen;
  PopbellBadgeVariant variant;
  gint                drawn_size;  /* 0: not drawn yet */
  guint               drawn_unseen;
  PopbellBadgeVariant drawn_variant;
};

static void popbell_tray_status_icon_iface_init (PopbellTrayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PopbellTrayStatusIcon, popbell_tray_status_icon, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (POPBELL_TYPE_TRAY,
                                                      popbell_tray_status_icon_iface_init))

/* Drawn at the size the tray asks for, so that the digits are sharp. */
static void
redraw (PopbellTrayStatusIcon *self,
        gint                   size)
{
  g_autoptr(GdkPixbuf) base = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;

  if (size == self->drawn_size && self->unseen == self->drawn_unseen &&
      self->variant == self->drawn_variant)
    return;

  base = popbell_badge_load_base (self->variant, size);
  pixbuf = popbell_badge_render (base, self->unseen, size);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_status_icon_set_from_pixbuf (self->icon, pixbuf);
  G_GNUC_END_IGNORE_DEPRECATIONS
  self->drawn_size = size;
  self->drawn_unseen = self->unseen;
  self->drawn_variant = self->variant;
}

static gboolean
on_size_changed (GtkStatusIcon         *icon,
                 gint                   size,
                 PopbellTrayStatusIcon *self)
{
  redraw (self, size);
  return TRUE;
}

static void
on_activate (GtkStatusIcon         *icon,
             PopbellTrayStatusIcon *self)
{
  if (self->actions != NULL)
    g_action_group_activate_action (self->actions, "preview", NULL);
}

static void
on_popup_menu (GtkStatusIcon         *icon,
               guint                  button,
               guint                  activate_time,
               PopbellTrayStatusIcon *self)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_menu_popup (GTK_MENU (self->menu), NULL, NULL, gtk_status_icon_position_menu, icon,
                  button, activate_time);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
popbell_tray_status_icon_update (PopbellTray            *tray,
                                 const PopbellTrayState *state)
{
  PopbellTrayStatusIcon *self = POPBELL_TRAY_STATUS_ICON (tray);
  gint size;

  self->unseen = state->unseen;
  if (popbell_tray_state_has_problem (state))
    self->variant = POPBELL_BADGE_VARIANT_ATTENTION;
  else if (state->unseen > 0)
    self->variant = POPBELL_BADGE_VARIANT_NEW;
  else
    self->variant = POPBELL_BADGE_VARIANT_NORMAL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  size = gtk_status_icon_get_size (self->icon);
  gtk_status_icon_set_tooltip_text (self->icon, state->tooltip);
  gtk_status_icon_set_title (self->icon, state->title);
  G_GNUC_END_IGNORE_DEPRECATIONS

  if (size > 0)
    redraw (self, size);
  popbell_tray_menu_set_accounts (self->menu, state->accounts, state->n_accounts);
}

static const gchar *
popbell_tray_status_icon_get_name (PopbellTray *tray)
{
  return "status-icon";
}

static void
popbell_tray_status_icon_iface_init (PopbellTrayInterface *iface)
{
  iface->update = popbell_tray_status_icon_update;
  iface->get_name = popbell_tray_status_icon_get_name;
}

static void
popbell_tray_status_icon_dispose (GObject *object)
{
  PopbellTrayStatusIcon *self = POPBELL_TRAY_STATUS_ICON (object);

  if (self->icon != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->icon, self);
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      gtk_status_icon_set_visible (self->icon, FALSE);
      G_GNUC_END_IGNORE_DEPRECATIONS
      g_clear_object (&self->icon);
    }
  if (self->menu != NULL)
    {
      gtk_widget_destroy (self->menu);
      g_clear_object (&self->menu);
    }
  if (self->actions != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->actions), (gpointer *) &self->actions);
      self->actions = NULL;
    }

  G_OBJECT_CLASS (popbell_tray_status_icon_parent_class)->dispose (object);
}

static void
popbell_tray_status_icon_class_init (PopbellTrayStatusIconClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_tray_status_icon_dispose;
}

static void
popbell_tray_status_icon_init (PopbellTrayStatusIcon *self)
{
}

PopbellTray *
popbell_tray_status_icon_new (GActionGroup *actions)
{
  PopbellTrayStatusIcon *self;

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (POPBELL_TYPE_TRAY_STATUS_ICON, NULL);
  self->actions = actions;
  g_object_add_weak_pointer (G_OBJECT (actions), (gpointer *) &self->actions);
  self->menu = g_object_ref_sink (popbell_tray_menu_new (actions));

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  self->icon = gtk_status_icon_new ();
  /* WM_CLASS / window title of the embedded icon: how tests and panels
   * recognise it. */
  gtk_status_icon_set_name (self->icon, APPLICATION_ID);
  gtk_status_icon_set_title (self->icon, _("Popbell"));
  gtk_status_icon_set_tooltip_text (self->icon, _("Popbell"));
  G_GNUC_END_IGNORE_DEPRECATIONS

  g_signal_connect (self->icon, "size-changed", G_CALLBACK (on_size_changed), self);
  g_signal_connect (self->icon, "activate", G_CALLBACK (on_activate), self);
  g_signal_connect (self->icon, "popup-menu", G_CALLBACK (on_popup_menu), self);

  self->variant = POPBELL_BADGE_VARIANT_NORMAL;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_status_icon_set_visible (self->icon, TRUE);
  G_GNUC_END_IGNORE_DEPRECATIONS

  return POPBELL_TRAY (self);
}
