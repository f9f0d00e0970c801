/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>

#include "popbell-tray.h"
#include "popbell-tray-status-icon.h"
#ifdef POPBELL_HAVE_APPINDICATOR
#include "popbell-tray-appindicator.h"
#endif

G_DEFINE_INTERFACE (PopbellTray, popbell_tray, G_TYPE_OBJECT)

static void
popbell_tray_default_init (PopbellTrayInterface *iface)
{
}

void
popbell_tray_update (PopbellTray            *self,
                     const PopbellTrayState *state)
{
  g_return_if_fail (POPBELL_IS_TRAY (self));
  g_return_if_fail (state != NULL);

  POPBELL_TRAY_GET_IFACE (self)->update (self, state);
}

const gchar *
popbell_tray_get_name (PopbellTray *self)
{
  g_return_val_if_fail (POPBELL_IS_TRAY (self), NULL);

  return POPBELL_TRAY_GET_IFACE (self)->get_name (self);
}

#ifdef POPBELL_HAVE_APPINDICATOR
static gboolean
session_has_sni_watcher (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  if (bus == NULL)
    return FALSE;
  /* Once at start, on the local bus: a short synchronous call is fine. */
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.kde.StatusNotifierWatcher"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 2000,
                                       NULL, NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}
#endif

PopbellTray *
popbell_tray_new_for_session (GActionGroup *actions)
{
  const gchar *forced = g_getenv ("POPBELL_TRAY");

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

#ifdef POPBELL_HAVE_APPINDICATOR
  if (g_strcmp0 (forced, "appindicator") == 0)
    return popbell_tray_appindicator_new (actions);
  if (g_strcmp0 (forced, "status-icon") != 0 && session_has_sni_watcher ())
    return popbell_tray_appindicator_new (actions);
#else
  if (g_strcmp0 (forced, "appindicator") == 0)
    g_warning ("POPBELL_TRAY=appindicator, but Popbell was built without it");
#endif
  /* No StatusNotifierItem host: our own XEmbed icon rather than the
   * library's fallback, because ours opens the preview on a click and
   * shows the per-account tooltip. */
  return popbell_tray_status_icon_new (actions);
}

void
popbell_tray_account_init_from_status (PopbellTrayAccount   *out,
                                       PopbellAccountStatus *status)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (status != NULL);

  out->name = popbell_account_status_get_name (status);
  out->unseen = popbell_account_status_get_unseen (status);
  out->messages = popbell_account_status_get_messages (status);
  out->last_success = popbell_account_status_get_last_success (status);
  out->next_check = popbell_account_status_get_next_check (status);
  out->next_reason = popbell_account_status_get_next_reason (status);
  out->login_delay = popbell_account_status_get_login_delay (status);
  out->error = popbell_account_status_get_error (status);
  out->needs_attention = popbell_account_status_needs_attention (status);
  out->stale = popbell_account_status_is_stale (status);
}

/* The menu ----------------------------------------------------------------- */

#define MENU_ACTIONS_KEY "popbell-tray-actions"
#define MENU_STATUS_KEY "popbell-tray-status-items"
#define MENU_PREVIEW_KEY "popbell-tray-preview-item"
#define ITEM_ACTION_KEY "popbell-tray-action"

/* Items call the application's actions directly: a GtkMenu exported over
 * dbusmenu or popped up by a status icon is not inside an application
 * window, so GtkActionable could not find the "app" action group. */
static void
menu_item_activated (GtkMenuItem *item,
                     GtkWidget   *menu)
{
  GActionGroup *actions = g_object_get_data (G_OBJECT (menu), MENU_ACTIONS_KEY);
  const gchar *action = g_object_get_data (G_OBJECT (item), ITEM_ACTION_KEY);

  if (actions != NULL && g_action_group_get_action_enabled (actions, action))
    g_action_group_activate_action (actions, action, NULL);
}

static GtkWidget *
add_item (GtkWidget   *menu,
          const gchar *label,
          const gchar *action)
{
  GtkWidget *item = gtk_menu_item_new_with_label (label);

  g_object_set_data (G_OBJECT (item), ITEM_ACTION_KEY, (gpointer) action);
  g_signal_connect (item, "activate", G_CALLBACK (menu_item_activated), menu);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), item);
  return item;
}

static void
actions_gone (gpointer  data,
              GObject  *where_the_object_was)
{
  g_object_set_data (G_OBJECT (data), MENU_ACTIONS_KEY, NULL);
}

static void
menu_destroyed (GtkWidget *menu,
                gpointer   actions)
{
  if (g_object_get_data (G_OBJECT (menu), MENU_ACTIONS_KEY) != NULL)
    g_object_weak_unref (G_OBJECT (actions), actions_gone, menu);
  g_object_set_data (G_OBJECT (menu), MENU_ACTIONS_KEY, NULL);
}

GtkWidget *
popbell_tray_menu_new (GActionGroup *actions)
{
  GtkWidget *menu = gtk_menu_new ();
  GtkWidget *preview;

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  /* The application owns the tray that owns this menu: no reference back. */
  g_object_set_data (G_OBJECT (menu), MENU_ACTIONS_KEY, actions);
  g_object_weak_ref (G_OBJECT (actions), actions_gone, menu);
  g_signal_connect (menu, "destroy", G_CALLBACK (menu_destroyed), actions);

  g_object_set_data_full (G_OBJECT (menu), MENU_STATUS_KEY,
                          g_ptr_array_new (), (GDestroyNotify) g_ptr_array_unref);

  preview = add_item (menu, _("Preview newest"), "preview");
  g_object_set_data (G_OBJECT (menu), MENU_PREVIEW_KEY, preview);
  add_item (menu, _("Check now"), "check-now");
  add_item (menu, _("Mark all as seen"), "mark-all-seen");
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), gtk_separator_menu_item_new ());
  add_item (menu, _("Preferences"), "preferences");
  add_item (menu, _("Quit"), "quit");

  gtk_widget_show_all (menu);
  return menu;
}

GtkWidget *
popbell_tray_menu_get_preview_item (GtkWidget *menu)
{
  g_return_val_if_fail (GTK_IS_MENU (menu), NULL);

  return g_object_get_data (G_OBJECT (menu), MENU_PREVIEW_KEY);
}

/* One insensitive item per account at the top, then a separator: hosts that
 * show no tooltip (most StatusNotifierItem hosts ignore the title) still
 * show each account's state when the menu opens. Items are relabelled in
 * place when the number of lines stays the same, so that a dbusmenu client
 * sees property updates rather than a new layout. */
void
popbell_tray_menu_set_status_lines (GtkWidget          *menu,
                                    const gchar *const *lines)
{
  GPtrArray *items;
  guint n_lines = lines != NULL ? g_strv_length ((gchar **) lines) : 0;
  guint n_wanted = n_lines > 0 ? n_lines + 1 : 0;   /* + separator */

  g_return_if_fail (GTK_IS_MENU (menu));

  items = g_object_get_data (G_OBJECT (menu), MENU_STATUS_KEY);

  if (items->len != n_wanted)
    {
      for (guint i = 0; i < items->len; i++)
        gtk_widget_destroy (g_ptr_array_index (items, i));
      g_ptr_array_set_size (items, 0);

      for (guint i = 0; i < n_lines; i++)
        {
          GtkWidget *item = gtk_menu_item_new_with_label ("");

          gtk_widget_set_sensitive (item, FALSE);
          gtk_menu_shell_insert (GTK_MENU_SHELL (menu), item, (gint) i);
          g_ptr_array_add (items, item);
        }
      if (n_lines > 0)
        {
          GtkWidget *separator = gtk_separator_menu_item_new ();

          gtk_menu_shell_insert (GTK_MENU_SHELL (menu), separator, (gint) n_lines);
          g_ptr_array_add (items, separator);
        }
      for (guint i = 0; i < items->len; i++)
        gtk_widget_show (g_ptr_array_index (items, i));
    }

  for (guint i = 0; i < n_lines; i++)
    {
      GtkMenuItem *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (gtk_menu_item_get_label (item), lines[i]) != 0)
        gtk_menu_item_set_label (item, lines[i]);
    }
}
