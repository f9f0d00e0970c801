/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <unistd.h>

#include "test-preview-util.h"

static GSubprocess *xvfb;   /* (owned) (nullable) */

gboolean
ui_test_display_start (GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree gchar *display = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  g_autofree gchar *line = NULL;
  gchar *xvfb_path = NULL;
  int fds[2];

  if (g_getenv ("POPBELL_TEST_DISPLAY") != NULL)
    {
      g_setenv ("DISPLAY", g_getenv ("POPBELL_TEST_DISPLAY"), TRUE);
      return TRUE;
    }

  xvfb_path = g_find_program_in_path ("Xvfb");
  if (xvfb_path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Xvfb is not installed");
      return FALSE;
    }
  g_free (xvfb_path);

  if (pipe (fds) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "pipe() failed");
      return FALSE;
    }

  /* -displayfd: Xvfb picks a free display and writes its number once it
   * accepts connections, so there is no race and no fixed :99. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  xvfb = g_subprocess_launcher_spawn (launcher, error, "Xvfb", "-displayfd", "3",
                                      "-screen", "0", "1024x768x24", "-nolisten", "tcp",
                                      "-terminate", NULL);
  g_clear_object (&launcher);   /* closes our copy of the write end */
  if (xvfb == NULL)
    {
      close (fds[0]);
      return FALSE;
    }

  channel = g_io_channel_unix_new (fds[0]);
  g_io_channel_set_close_on_unref (channel, TRUE);
  if (g_io_channel_read_line (channel, &line, NULL, NULL, error) != G_IO_STATUS_NORMAL ||
      line == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Xvfb did not start");
      ui_test_display_stop ();
      return FALSE;
    }

  g_strstrip (line);
  display = g_strdup_printf (":%s", line);
  g_setenv ("DISPLAY", display, TRUE);
  return TRUE;
}

void
ui_test_display_stop (void)
{
  if (xvfb == NULL)
    return;

  /* Once GTK is connected, killing the server makes GDK exit the process
   * with status 1 (and gdk_display_close() is not safe in GTK 3): Xvfb
   * runs with -terminate instead and goes away when this process, its
   * last client, disconnects at exit. */
  if (gdk_display_get_default () == NULL)
    {
      g_subprocess_force_exit (xvfb);
      g_subprocess_wait (xvfb, NULL, NULL);
    }
  g_clear_object (&xvfb);
}

typedef struct {
  const gchar *id;
  GtkWidget   *found;
} FindData;

static void
find_cb (GtkWidget *widget,
         gpointer   user_data)
{
  FindData *data = user_data;

  if (data->found != NULL)
    return;
  if (g_strcmp0 (gtk_buildable_get_name (GTK_BUILDABLE (widget)), data->id) == 0)
    {
      data->found = widget;
      return;
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_cb, data);
}

GtkWidget *
ui_test_find (GtkWidget   *root,
              const gchar *id)
{
  FindData data = { id, NULL };

  if (GTK_IS_CONTAINER (root))
    gtk_container_forall (GTK_CONTAINER (root), find_cb, &data);
  if (data.found == NULL)
    g_error ("no widget with id “%s” in %s", id, G_OBJECT_TYPE_NAME (root));
  return data.found;
}

GtkWidget *
ui_test_find_toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();
  GtkWidget *found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) &&
        !gtk_widget_in_destruction (l->data) &&
        gtk_widget_get_visible (l->data))
      found = l->data;
  return found;
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
ui_test_wait (UiTestCondition condition,
              gpointer        user_data,
              guint           timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, timeout_cb, &timed_out);

  while (!condition (user_data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);
  else
    g_error ("condition not met within %u ms", timeout_ms);
}

static gboolean
drawn_cb (GtkWidget *widget,
          cairo_t   *cr,
          gpointer   user_data)
{
  *(gboolean *) user_data = TRUE;
  return FALSE;
}

static gboolean
is_true (gpointer user_data)
{
  return *(gboolean *) user_data;
}

void
ui_test_settle (GtkWidget *window)
{
  gboolean drawn = FALSE;
  gulong id;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (!gtk_widget_get_mapped (window))
    return;

  /* Two frames: the first may still show a transition or a stale size. */
  for (int i = 0; i < 2; i++)
    {
      drawn = FALSE;
      id = g_signal_connect_after (window, "draw", G_CALLBACK (drawn_cb), &drawn);
      gtk_widget_queue_draw (window);
      ui_test_wait (is_true, &drawn, 5000);
      g_signal_handler_disconnect (window, id);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }
}

gchar *
ui_test_screenshot (GtkWidget   *window,
                    const gchar *basename)
{
  const gchar *outdir = g_getenv ("POPBELL_TEST_OUTDIR");
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *path = NULL;
  GdkWindow *gdk_window;

  if (outdir == NULL)
    outdir = g_getenv ("G_TEST_BUILDDIR");
  if (outdir == NULL)
    outdir = ".";
  g_mkdir_with_parents (outdir, 0755);
  path = g_build_filename (outdir, basename, NULL);

  ui_test_settle (window);
  gdk_window = gtk_widget_get_window (window);
  g_assert_nonnull (gdk_window);
  pixbuf = gdk_pixbuf_get_from_window (gdk_window, 0, 0,
                                       gdk_window_get_width (gdk_window),
                                       gdk_window_get_height (gdk_window));
  g_assert_nonnull (pixbuf);
  gdk_pixbuf_save (pixbuf, path, "png", &error, NULL);
  g_assert_no_error (error);
  g_test_message ("screenshot: %s", path);
  return g_steal_pointer (&path);
}

static gboolean
is_null (gpointer user_data)
{
  return *(gpointer *) user_data == NULL;
}

void
ui_test_click_until_destroyed (GtkWidget *button,
                               GtkWidget *widget,
                               guint      timeout_ms)
{
  gpointer pointer = widget;

  g_object_add_weak_pointer (G_OBJECT (widget), &pointer);
  gtk_button_clicked (GTK_BUTTON (button));
  ui_test_wait (is_null, &pointer, timeout_ms);
}

typedef struct {
  const gchar *name;
  GtkWidget   *found;
} FindNamedData;

static void
find_named_cb (GtkWidget *widget,
               gpointer   user_data)
{
  FindNamedData *data = user_data;

  if (data->found != NULL)
    return;
  if (g_strcmp0 (gtk_widget_get_name (widget), data->name) == 0)
    {
      data->found = widget;
      return;
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_named_cb, data);
}

GtkWidget *
ui_test_find_named (GtkWidget   *root,
                    const gchar *name)
{
  FindNamedData data = { name, NULL };

  if (GTK_IS_CONTAINER (root))
    gtk_container_forall (GTK_CONTAINER (root), find_named_cb, &data);
  return data.found;
}
