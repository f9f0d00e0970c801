/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <libayatana-appindicator/app-indicator.h>

#include "popbell-badge.h"
#include "popbell-tray-appindicator.h"

/* Hosts scale the icon to their panel; 24 px is the common panel size and
 * keeps the badge digits crisp there (SNI has no per-size icons here). */
#define ICON_SIZE 24

struct _PopbellTrayAppindicator
{
  GObject parent_instance;

  AppIndicator *indicator;   /* (owned) */
  GtkWidget    *menu;        /* (owned) floating ref sunk */
  gchar        *icon_dir;    /* (owned) the icon theme path, in the cache */
  gchar        *icon_name;   /* (owned) (nullable) last icon set */
};

static void popbell_tray_appindicator_iface_init (PopbellTrayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PopbellTrayAppindicator, popbell_tray_appindicator, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (POPBELL_TYPE_TRAY,
                                                      popbell_tray_appindicator_iface_init))

static void
popbell_tray_appindicator_update (PopbellTray            *tray,
                                  const PopbellTrayState *state)
{
  PopbellTrayAppindicator *self = POPBELL_TRAY_APPINDICATOR (tray);
  PopbellBadgeVariant variant;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *name = NULL;
  g_autofree gchar *label = popbell_tray_text_count (state->unseen);

  if (state->attention)
    variant = POPBELL_BADGE_VARIANT_ATTENTION;
  else if (state->unseen > 0)
    variant = POPBELL_BADGE_VARIANT_NEW;
  else
    variant = POPBELL_BADGE_VARIANT_NORMAL;

  name = popbell_badge_write_icon (self->icon_dir, variant, state->unseen, ICON_SIZE, &error);
  if (name == NULL)
    {
      g_warning ("Cannot write the tray icon: %s", error->message);
      name = g_strdup (state->attention ? "dialog-warning" : "mail-unread");
    }

  /* The same picture as icon and attention icon: hosts that ignore the
   * status (gtk-sni-tray draws IconName only) show the count too. */
  if (g_strcmp0 (name, self->icon_name) != 0)
    {
      app_indicator_set_icon_full (self->indicator, name, state->title);
      app_indicator_set_attention_icon_full (self->indicator, name, state->title);
      g_free (self->icon_name);
      self->icon_name = g_steal_pointer (&name);
    }

  app_indicator_set_status (self->indicator,
                            (state->unseen > 0 || state->attention)
                              ? APP_INDICATOR_STATUS_ATTENTION
                              : APP_INDICATOR_STATUS_ACTIVE);
  /* The guide sizes the label slot in hosts that reserve space. */
  app_indicator_set_label (self->indicator, label, "99+");
  /* SNI as implemented here has no tooltip: the title is what hosts show on
   * hover, so it carries every account's line. */
  app_indicator_set_title (self->indicator, state->tooltip);
  popbell_tray_menu_set_status_lines (self->menu, state->account_lines);
}

static const gchar *
popbell_tray_appindicator_get_name (PopbellTray *tray)
{
  return "appindicator";
}

static void
popbell_tray_appindicator_iface_init (PopbellTrayInterface *iface)
{
  iface->update = popbell_tray_appindicator_update;
  iface->get_name = popbell_tray_appindicator_get_name;
}

static void
popbell_tray_appindicator_dispose (GObject *object)
{
  PopbellTrayAppindicator *self = POPBELL_TRAY_APPINDICATOR (object);

  /* Unregisters the item from the watcher. */
  g_clear_object (&self->indicator);
  if (self->menu != NULL)
    {
      gtk_widget_destroy (self->menu);
      g_clear_object (&self->menu);
    }

  G_OBJECT_CLASS (popbell_tray_appindicator_parent_class)->dispose (object);
}

static void
popbell_tray_appindicator_finalize (GObject *object)
{
  PopbellTrayAppindicator *self = POPBELL_TRAY_APPINDICATOR (object);

  g_free (self->icon_dir);
  g_free (self->icon_name);

  G_OBJECT_CLASS (popbell_tray_appindicator_parent_class)->finalize (object);
}

static void
popbell_tray_appindicator_class_init (PopbellTrayAppindicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_tray_appindicator_dispose;
  object_class->finalize = popbell_tray_appindicator_finalize;
}

static void
popbell_tray_appindicator_init (PopbellTrayAppindicator *self)
{
}

PopbellTray *
popbell_tray_appindicator_new (GActionGroup *actions)
{
  PopbellTrayAppindicator *self;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *first = NULL;

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (POPBELL_TYPE_TRAY_APPINDICATOR, NULL);
  self->icon_dir = popbell_badge_dup_cache_dir ();

  /* The first icon must exist before the item registers, or a host may
   * fetch a name it cannot find and show a blank. */
  first = popbell_badge_write_icon (self->icon_dir, POPBELL_BADGE_VARIANT_NORMAL, 0,
                                    ICON_SIZE, &error);
  if (first == NULL)
    {
      g_warning ("Cannot write the tray icon: %s", error->message);
      first = g_strdup ("mail-read");
    }

  self->indicator = app_indicator_new_with_path (APPLICATION_ID, first,
                                                 APP_INDICATOR_CATEGORY_COMMUNICATIONS,
                                                 self->icon_dir);
  app_indicator_set_attention_icon_full (self->indicator, first, _("Popbell"));
  self->icon_name = g_steal_pointer (&first);
  app_indicator_set_title (self->indicator, _("Popbell"));

  self->menu = g_object_ref_sink (popbell_tray_menu_new (actions));
  app_indicator_set_menu (self->indicator, GTK_MENU (self->menu));
  /* Middle click (SNI SecondaryActivate) opens the preview; SNI "Activate"
   * is not offered by the library, a left click opens the menu. */
  app_indicator_set_secondary_activate_target (self->indicator,
                                               popbell_tray_menu_get_preview_item (self->menu));
  app_indicator_set_status (self->indicator, APP_INDICATOR_STATUS_ACTIVE);

  return POPBELL_TRAY (self);
}
