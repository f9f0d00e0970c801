/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>

#include "popbell-tray.h"
#include "popbell-tray-auto.h"
#include "popbell-tray-sni.h"
#include "popbell-tray-status-icon.h"

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

gboolean
popbell_tray_state_has_problem (const PopbellTrayState *state)
{
  g_return_val_if_fail (state != NULL, FALSE);

  if (state->attention)
    return TRUE;
  for (guint i = 0; i < state->n_accounts; i++)
    if (state->accounts[i].problem || state->accounts[i].needs_attention)
      return TRUE;
  return FALSE;
}

/* The copy's strings live in one string chunk; its accounts own a reference
 * to each time and a copy of each error (freed in popbell_tray_state_free). */
typedef struct {
  PopbellTrayState    state;
  GStringChunk       *strings;
  PopbellTrayAccount *accounts;
} TrayStateCopy;

PopbellTrayState *
popbell_tray_state_copy (const PopbellTrayState *state)
{
  TrayStateCopy *copy;

  g_return_val_if_fail (state != NULL, NULL);

  copy = g_new0 (TrayStateCopy, 1);
  copy->strings = g_string_chunk_new (256);
  copy->state = *state;
  copy->state.title = state->title != NULL ? g_string_chunk_insert (copy->strings, state->title) : NULL;
  copy->state.tooltip = state->tooltip != NULL
                          ? g_string_chunk_insert (copy->strings, state->tooltip) : NULL;
  copy->accounts = g_new0 (PopbellTrayAccount, MAX (state->n_accounts, 1));
  for (guint i = 0; i < state->n_accounts; i++)
    {
      const PopbellTrayAccount *from = &state->accounts[i];
      PopbellTrayAccount *to = &copy->accounts[i];

      *to = *from;
      to->name = g_string_chunk_insert (copy->strings, from->name);
      to->last_success = from->last_success != NULL ? g_date_time_ref (from->last_success) : NULL;
      to->next_check = from->next_check != NULL ? g_date_time_ref (from->next_check) : NULL;
      to->error = from->error != NULL ? g_error_copy (from->error) : NULL;
    }
  copy->state.accounts = copy->accounts;
  /* The first member: the copy is freed through the state's address. */
  return &copy->state;
}

void
popbell_tray_state_free (PopbellTrayState *state)
{
  TrayStateCopy *copy = (TrayStateCopy *) state;

  if (state == NULL)
    return;
  for (guint i = 0; i < state->n_accounts; i++)
    {
      PopbellTrayAccount *a = &copy->accounts[i];

      g_clear_pointer (&a->last_success, g_date_time_unref);
      g_clear_pointer (&a->next_check, g_date_time_unref);
      if (a->error != NULL)
        g_error_free ((GError *) a->error);
    }
  g_free (copy->accounts);
  g_string_chunk_free (copy->strings);
  g_free (copy);
}

PopbellTray *
popbell_tray_new_for_session (GActionGroup *actions)
{
  const gchar *forced = g_getenv ("POPBELL_TRAY");

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  if (g_strcmp0 (forced, "sni") == 0)
    {
      PopbellTray *sni = popbell_tray_sni_new (actions);

      if (sni != NULL)
        return sni;
      return popbell_tray_status_icon_new (actions);
    }
  if (g_strcmp0 (forced, "status-icon") == 0)
    return popbell_tray_status_icon_new (actions);
  if (forced != NULL && *forced != '\0')
    g_warning ("POPBELL_TRAY=%s is neither “sni” nor “status-icon”; choosing by the session", forced);
  return popbell_tray_auto_new (actions);
}

/* Any problem the user must see on the icon (SPEC §5 "Problems"): the
 * engine decides when failures become one (three in a row or ten minutes;
 * auth, certificate and configuration at once). */
static gboolean
account_has_problem (PopbellAccountStatus *status)
{
  return popbell_account_status_has_problem (status);
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
  out->problem = account_has_problem (status);
}

/* The menu ----------------------------------------------------------------- */

#define MENU_ACTIONS_KEY "popbell-tray-actions"
#define MENU_STATUS_KEY "popbell-tray-status-items"
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

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  /* The application owns the tray that owns this menu: no reference back. */
  g_object_set_data (G_OBJECT (menu), MENU_ACTIONS_KEY, actions);
  g_object_weak_ref (G_OBJECT (actions), actions_gone, menu);
  g_signal_connect (menu, "destroy", G_CALLBACK (menu_destroyed), actions);

  g_object_set_data_full (G_OBJECT (menu), MENU_STATUS_KEY,
                          g_ptr_array_new (), (GDestroyNotify) g_ptr_array_unref);

  add_item (menu, _("Preview newest"), "preview");
  add_item (menu, _("Check now"), "check-now");
  add_item (menu, _("Mark all as seen"), "mark-all-seen");
  add_item (menu, _("Open mail client"), "open-mail-client");
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), gtk_separator_menu_item_new ());
  add_item (menu, _("Preferences"), "preferences");
  add_item (menu, _("Quit"), "quit");

  gtk_widget_show_all (menu);
  return menu;
}

void
popbell_tray_menu_popup (GtkWidget *menu,
                         guint      button,
                         guint32    activate_time)
{
  g_return_if_fail (GTK_IS_MENU (menu));

  /* A StatusNotifierItem's ContextMenu comes with no event: GTK then pops
   * the menu at the pointer, grabbing with this time. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_menu_popup (GTK_MENU (menu), NULL, NULL, NULL, NULL, button, activate_time);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

/* One insensitive item per account at the top, then a separator: hosts that
 * show no tooltip (most StatusNotifierItem hosts ignore the title) still
 * show each account's state when the menu opens. Items are relabelled in
 * place when the number of lines stays the same, so that a dbusmenu client
 * sees property updates rather than a new layout. */
void
popbell_tray_menu_set_accounts (GtkWidget                *menu,
                                const PopbellTrayAccount *accounts,
                                guint                     n_accounts)
{
  GPtrArray *items;
  guint n_lines = n_accounts;
  guint n_wanted = n_lines > 0 ? n_lines + 1 : 0;   /* + separator */

  g_return_if_fail (GTK_IS_MENU (menu));
  g_return_if_fail (accounts != NULL || n_accounts == 0);

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
      g_autofree gchar *line = popbell_tray_text_account_state (&accounts[i]);

      /* Relabelling costs a dbusmenu signal: only when the text changed. */
      if (g_strcmp0 (gtk_menu_item_get_label (item), line) != 0)
        gtk_menu_item_set_label (item, line);
    }
}
