/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <string.h>
#include <libdbusmenu-glib/server.h>
#include <libdbusmenu-gtk/parser.h>

#include "popbell-badge.h"
#include "popbell-tray-sni.h"

/* The protocol: https://www.freedesktop.org/wiki/Specifications/StatusNotifierItem/
 * (KDE's names), plus the Ayatana label that several hosts draw next to the
 * icon. Hosts read the properties after registration and again after a New*
 * signal; there is no PropertiesChanged. */
#define SNI_PATH         "/StatusNotifierItem"
#define SNI_MENU_PATH    "/StatusNotifierItem/Menu"
#define SNI_INTERFACE    "org.kde.StatusNotifierItem"
#define WATCHER_NAME     "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH     "/StatusNotifierWatcher"
#define LABEL_GUIDE      "99+"

/* The sizes published in IconPixmap: a host cannot ask for a size, it
 * picks the nearest (16 … 48 covers panels from tiny to HiDPI). */
static const gint icon_sizes[] = { 16, 22, 24, 32, 48 };

static const gchar sni_xml[] =
  "<node>"
  " <interface name='" SNI_INTERFACE "'>"
  "  <property name='Category' type='s' access='read'/>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='Title' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='WindowId' type='i' access='read'/>"
  "  <property name='IconThemePath' type='s' access='read'/>"
  "  <property name='Menu' type='o' access='read'/>"
  "  <property name='ItemIsMenu' type='b' access='read'/>"
  "  <property name='IconName' type='s' access='read'/>"
  "  <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='OverlayIconName' type='s' access='read'/>"
  "  <property name='OverlayIconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='AttentionIconName' type='s' access='read'/>"
  "  <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='AttentionMovieName' type='s' access='read'/>"
  "  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "  <property name='XAyatanaLabel' type='s' access='read'/>"
  "  <property name='XAyatanaLabelGuide' type='s' access='read'/>"
  "  <method name='ContextMenu'><arg name='x' type='i' direction='in'/>"
  "   <arg name='y' type='i' direction='in'/></method>"
  "  <method name='Activate'><arg name='x' type='i' direction='in'/>"
  "   <arg name='y' type='i' direction='in'/></method>"
  "  <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/>"
  "   <arg name='y' type='i' direction='in'/></method>"
  "  <method name='Scroll'><arg name='delta' type='i' direction='in'/>"
  "   <arg name='orientation' type='s' direction='in'/></method>"
  "  <signal name='NewTitle'/>"
  "  <signal name='NewIcon'/>"
  "  <signal name='NewAttentionIcon'/>"
  "  <signal name='NewOverlayIcon'/>"
  "  <signal name='NewToolTip'/>"
  "  <signal name='NewStatus'><arg name='status' type='s'/></signal>"
  "  <signal name='XAyatanaNewLabel'><arg name='label' type='s'/>"
  "   <arg name='guide' type='s'/></signal>"
  " </interface>"
  "</node>";

struct _PopbellTraySni
{
  GObject parent_instance;

  GActionGroup    *actions;        /* (unowned) (nullable) weak pointer: the app owns us */
  GDBusConnection *bus;            /* (owned) the application's session bus connection */
  guint            object_id;      /* the exported item, 0 when not exported */
  guint            watch_id;       /* watches WATCHER_NAME */
  GCancellable    *cancellable;    /* (owned) pending RegisterStatusNotifierItem calls */
  GtkWidget       *menu;           /* (owned) */
  DbusmenuServer  *menu_server;    /* (owned) exports @menu */

  /* What hosts were last told, compared on each update so that a signal
   * means a change (a host re-reads every property on any signal). */
  gchar           *title;          /* (owned) */
  const gchar     *status;         /* "Active" | "NeedsAttention" */
  gchar           *label;          /* (owned) the count, "" for none */
  PopbellBadgeVariant variant;
  guint            badge_count;    /* capped at 100: "99+" */
  const gchar     *icon_name;      /* themed name of @variant */
  GVariant        *pixmaps;        /* (owned) a(iiay) for @variant and @badge_count */
  gchar           *tooltip_key;    /* (owned) the time-free text hosts were told about */
  gchar           *tooltip_body;   /* (owned) the latest body, with times, markup-escaped */
  guint            n_emitted;      /* signals emitted by the update under way, for the log */
};

static void popbell_tray_sni_iface_init (PopbellTrayInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PopbellTraySni, popbell_tray_sni, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (POPBELL_TYPE_TRAY,
                                                      popbell_tray_sni_iface_init))

/* Icons ---------------------------------------------------------------------- */

/* One (width, height, ARGB32) entry: the specification wants each pixel as
 * A, R, G, B bytes (a 32-bit ARGB value in network byte order), not
 * premultiplied — the same as a GdkPixbuf's RGBA moved one byte. */
static GVariant *
pixmap_entry (GdkPixbuf *pixbuf)
{
  gint width = gdk_pixbuf_get_width (pixbuf);
  gint height = gdk_pixbuf_get_height (pixbuf);
  gint stride = gdk_pixbuf_get_rowstride (pixbuf);
  gint channels = gdk_pixbuf_get_n_channels (pixbuf);
  const guchar *pixels = gdk_pixbuf_read_pixels (pixbuf);
  gsize length = (gsize) width * (gsize) height * 4;
  guchar *argb = g_malloc (length);

  for (gint y = 0; y < height; y++)
    for (gint x = 0; x < width; x++)
      {
        const guchar *p = pixels + (gsize) y * stride + (gsize) x * channels;
        guchar *q = argb + ((gsize) y * width + x) * 4;

        q[0] = channels == 4 ? p[3] : 0xff;
        q[1] = p[0];
        q[2] = p[1];
        q[3] = p[2];
      }

  return g_variant_new ("(ii@ay)", width, height,
                        g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, argb, length,
                                                 TRUE, g_free, argb));
}

/* Rendered in memory at every published size: nothing is written to disk
 * for a host to find by name. */
static GVariant *
render_pixmaps (PopbellBadgeVariant variant,
                guint               count)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(iiay)"));
  for (gsize i = 0; i < G_N_ELEMENTS (icon_sizes); i++)
    {
      gint size = icon_sizes[i];
      g_autoptr(GdkPixbuf) base = popbell_badge_load_base (variant, size);
      g_autoptr(GdkPixbuf) icon = popbell_badge_render (base, count, size);

      g_variant_builder_add_value (&builder, pixmap_entry (icon));
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* D-Bus ---------------------------------------------------------------------- */

static void
emit (PopbellTraySni *self,
      const gchar    *signal,
      GVariant       *parameters)
{
  g_autoptr(GError) error = NULL;

  if (!g_dbus_connection_emit_signal (self->bus, NULL, SNI_PATH, SNI_INTERFACE, signal,
                                      parameters, &error))
    g_debug ("Cannot emit %s: %s", signal, error->message);
  else
    self->n_emitted++;
}

static GVariant *
empty_pixmaps (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
}

static GVariant *
sni_get_property (GDBusConnection  *connection,
                  const gchar      *sender,
                  const gchar      *object_path,
                  const gchar      *interface_name,
                  const gchar      *property_name,
                  GError          **error,
                  gpointer          user_data)
{
  PopbellTraySni *self = user_data;

  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("Communications");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (APPLICATION_ID);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string (self->title);
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string (self->status);
  if (g_str_equal (property_name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property_name, "IconThemePath") ||
      g_str_equal (property_name, "OverlayIconName") ||
      g_str_equal (property_name, "AttentionMovieName"))
    return g_variant_new_string ("");
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (SNI_MENU_PATH);
  /* Not a menu: a left click is Activate, which opens the preview. */
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  /* Themed hosts find the installed icons by name (without the count,
   * which the label and the tooltip carry); the others draw the pixmaps.
   * Icon and attention icon are the same picture: hosts that ignore
   * Status still show the problem. */
  if (g_str_equal (property_name, "IconName") ||
      g_str_equal (property_name, "AttentionIconName"))
    return g_variant_new_string (self->icon_name);
  if (g_str_equal (property_name, "IconPixmap") ||
      g_str_equal (property_name, "AttentionIconPixmap"))
    return g_variant_ref (self->pixmaps);   /* GDBus drops one reference */
  if (g_str_equal (property_name, "OverlayIconPixmap"))
    return empty_pixmaps ();
  if (g_str_equal (property_name, "ToolTip"))
    return g_variant_new ("(s@a(iiay)ss)", "", empty_pixmaps (), self->title,
                          self->tooltip_body);
  if (g_str_equal (property_name, "XAyatanaLabel"))
    return g_variant_new_string (self->label);
  if (g_str_equal (property_name, "XAyatanaLabelGuide"))
    return g_variant_new_string (LABEL_GUIDE);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               "No property %s", property_name);
  return NULL;
}

static void
activate_action (PopbellTraySni *self,
                 const gchar    *action)
{
  if (self->actions != NULL && g_action_group_get_action_enabled (self->actions, action))
    g_action_group_activate_action (self->actions, action, NULL);
}

static void
sni_method_call (GDBusConnection       *connection,
                 const gchar           *sender,
                 const gchar           *object_path,
                 const gchar           *interface_name,
                 const gchar           *method_name,
                 GVariant              *parameters,
                 GDBusMethodInvocation *invocation,
                 gpointer               user_data)
{
  g_autoptr(PopbellTraySni) self = g_object_ref (user_data);

  /* Answer first: the action may open a window and take a while. */
  g_dbus_method_invocation_return_value (invocation, NULL);

  if (g_str_equal (method_name, "Activate"))
    activate_action (self, "preview");
  else if (g_str_equal (method_name, "SecondaryActivate"))
    activate_action (self, "check-now");
  else if (g_str_equal (method_name, "ContextMenu"))
    popbell_tray_menu_popup (self->menu, 0, GDK_CURRENT_TIME);
  /* Scroll: nothing to page through. */
}

static const GDBusInterfaceVTable sni_vtable = {
  .method_call = sni_method_call,
  .get_property = sni_get_property,
};

static void
register_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source),
                                                             result, &error);

  if (reply != NULL)
    g_debug ("Registered the StatusNotifierItem with the watcher");
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("The StatusNotifierWatcher refused the tray item: %s", error->message);
}

/* A (re)started watcher knows no items: register whenever it appears. The
 * unique name, not a path: every watcher then looks at /StatusNotifierItem. */
static void
on_watcher_appeared (GDBusConnection *connection,
                     const gchar     *name,
                     const gchar     *name_owner,
                     gpointer         user_data)
{
  PopbellTraySni *self = user_data;

  g_dbus_connection_call (self->bus, WATCHER_NAME, WATCHER_PATH, WATCHER_NAME,
                          "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", g_dbus_connection_get_unique_name (self->bus)),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable,
                          register_done, NULL);
}

/* The tray interface ----------------------------------------------------------- */

static gboolean
replace_string (gchar       **field,
                const gchar  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* The tooltip's body: the lines after the title. Markup-escaped, because
 * hosts may read the body as markup (the specification allows a subset). */
static gchar *
tooltip_body (const gchar *tooltip)
{
  const gchar *newline = tooltip != NULL ? strchr (tooltip, '\n') : NULL;

  return g_markup_escape_text (newline != NULL ? newline + 1 : "", -1);
}

/* What a host must hear about: the title and each account's time-free
 * state. The times in the body ("checked 12:34", "next check 12:40") move
 * with every check; they are read fresh whenever a host reads the tooltip,
 * but do not by themselves make a signal. */
static gchar *
tooltip_key (const PopbellTrayState *state)
{
  g_autoptr(GString) key = g_string_new (state->title);

  g_string_append_printf (key, "\n%d", state->attention);
  for (guint i = 0; i < state->n_accounts; i++)
    {
      g_autofree gchar *line = popbell_tray_text_account_state (&state->accounts[i]);

      g_string_append_c (key, '\n');
      g_string_append (key, line);
    }
  return g_string_free (g_steal_pointer (&key), FALSE);
}

static void
popbell_tray_sni_update (PopbellTray            *tray,
                         const PopbellTrayState *state)
{
  PopbellTraySni *self = POPBELL_TRAY_SNI (tray);
  gboolean problem = popbell_tray_state_has_problem (state);
  const gchar *status = problem ? "NeedsAttention" : "Active";
  g_autofree gchar *label = popbell_tray_text_count (state->unseen);
  g_autofree gchar *key = tooltip_key (state);
  PopbellBadgeVariant variant;
  guint badge_count = MIN (state->unseen, 100);

  if (problem)
    variant = POPBELL_BADGE_VARIANT_ATTENTION;
  else if (state->unseen > 0)
    variant = POPBELL_BADGE_VARIANT_NEW;
  else
    variant = POPBELL_BADGE_VARIANT_NORMAL;

  g_free (self->tooltip_body);
  self->tooltip_body = tooltip_body (state->tooltip);
  self->n_emitted = 0;

  if (self->pixmaps == NULL || variant != self->variant || badge_count != self->badge_count)
    {
      g_clear_pointer (&self->pixmaps, g_variant_unref);
      self->pixmaps = render_pixmaps (variant, badge_count);
      self->variant = variant;
      self->badge_count = badge_count;
      self->icon_name = popbell_badge_variant_icon_name (variant);
      emit (self, "NewIcon", NULL);
      emit (self, "NewAttentionIcon", NULL);
    }
  if (!g_str_equal (status, self->status))
    {
      self->status = status;
      emit (self, "NewStatus", g_variant_new ("(s)", status));
    }
  if (replace_string (&self->title, state->title))
    emit (self, "NewTitle", NULL);
  if (replace_string (&self->tooltip_key, key))
    emit (self, "NewToolTip", NULL);
  if (replace_string (&self->label, label))
    emit (self, "XAyatanaNewLabel", g_variant_new ("(ss)", label, LABEL_GUIDE));

  popbell_tray_menu_set_accounts (self->menu, state->accounts, state->n_accounts);
  /* Tests and the idle benchmark read this line: "0" after a quiet check. */
  g_debug ("Tray item updated: %u signals", self->n_emitted);
}

static const gchar *
popbell_tray_sni_get_name (PopbellTray *tray)
{
  return "sni";
}

static void
popbell_tray_sni_iface_init (PopbellTrayInterface *iface)
{
  iface->update = popbell_tray_sni_update;
  iface->get_name = popbell_tray_sni_get_name;
}

/* GObject ---------------------------------------------------------------------- */

static void
popbell_tray_sni_dispose (GObject *object)
{
  PopbellTraySni *self = POPBELL_TRAY_SNI (object);

  g_cancellable_cancel (self->cancellable);
  if (self->watch_id != 0)
    {
      g_bus_unwatch_name (self->watch_id);
      self->watch_id = 0;
    }
  if (self->object_id != 0)
    {
      g_dbus_connection_unregister_object (self->bus, self->object_id);
      self->object_id = 0;
    }
  g_clear_object (&self->menu_server);
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
  g_clear_object (&self->cancellable);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (popbell_tray_sni_parent_class)->dispose (object);
}

static void
popbell_tray_sni_finalize (GObject *object)
{
  PopbellTraySni *self = POPBELL_TRAY_SNI (object);

  g_free (self->title);
  g_free (self->label);
  g_free (self->tooltip_key);
  g_free (self->tooltip_body);
  g_clear_pointer (&self->pixmaps, g_variant_unref);

  G_OBJECT_CLASS (popbell_tray_sni_parent_class)->finalize (object);
}

static void
popbell_tray_sni_class_init (PopbellTraySniClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_tray_sni_dispose;
  object_class->finalize = popbell_tray_sni_finalize;
}

static void
popbell_tray_sni_init (PopbellTraySni *self)
{
  self->cancellable = g_cancellable_new ();
  self->title = g_strdup (_("Popbell"));
  self->status = "Active";
  self->label = g_strdup ("");
  self->tooltip_key = g_strdup ("");
  self->tooltip_body = g_strdup ("");
  self->variant = POPBELL_BADGE_VARIANT_NORMAL;
  self->icon_name = popbell_badge_variant_icon_name (self->variant);
  self->pixmaps = render_pixmaps (self->variant, 0);
}

PopbellTray *
popbell_tray_sni_new (GActionGroup *actions)
{
  g_autoptr(PopbellTraySni) self = NULL;
  g_autoptr(GDBusNodeInfo) node = NULL;
  DbusmenuMenuitem *root;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (G_IS_ACTION_GROUP (actions), NULL);

  self = g_object_new (POPBELL_TYPE_TRAY_SNI, NULL);
  self->actions = actions;
  g_object_add_weak_pointer (G_OBJECT (actions), (gpointer *) &self->actions);

  /* The shared session connection: the one GApplication registered on. */
  self->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (self->bus == NULL)
    {
      g_warning ("No session bus for the tray item: %s", error->message);
      return NULL;
    }

  node = g_dbus_node_info_new_for_xml (sni_xml, &error);
  g_assert_no_error (error);   /* a constant */
  self->object_id = g_dbus_connection_register_object (self->bus, SNI_PATH, node->interfaces[0],
                                                       &sni_vtable, self, NULL, &error);
  if (self->object_id == 0)
    {
      g_warning ("Cannot export the tray item: %s", error->message);
      return NULL;
    }

  /* What libayatana-appindicator does inside: dbusmenu-gtk mirrors the
   * GtkMenu (items, labels, sensitivity, later changes) into a dbusmenu
   * tree, and the server exports that tree; "clicked" events from a host
   * activate the GtkMenuItems. */
  self->menu = g_object_ref_sink (popbell_tray_menu_new (actions));
  self->menu_server = dbusmenu_server_new (SNI_MENU_PATH);
  root = dbusmenu_gtk_parse_menu_structure (self->menu);
  dbusmenu_server_set_root (self->menu_server, root);
  g_object_unref (root);   /* the server holds its own */

  self->watch_id = g_bus_watch_name_on_connection (self->bus, WATCHER_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_watcher_appeared, NULL, self, NULL);

  return POPBELL_TRAY (g_steal_pointer (&self));
}
