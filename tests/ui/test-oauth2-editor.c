/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <string.h>

#include "popbell-account-editor.h"
#include "popbell-test-dovecot.h"
#include "popbell-test-oauth2.h"
#include "popbell-test-session.h"
#include "popbell-test-util.h"
#include "test-preview-util.h"

/* The account editor's OAuth 2.0 section, driven through its widgets under
 * a private Xvfb: "Test connection" logs in to a Dovecot that does the SASL
 * itself, with a token from a command, from GNOME Online Accounts (a fake
 * one on the private bus), and from the built-in sign-in, whose "Sign in…"
 * button opens the session's browser (a test script registered for http). */

#define USER "alice"

static PopbellTestSession *session;
static PopbellTestOAuth2  *provider;
static PopbellTestDovecot *dovecot;
static gchar              *scratch;

static void
register_browser (void)
{
  g_autofree gchar *apps = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree gchar *desktop = g_build_filename (apps, "popbell-test-browser.desktop", NULL);
  g_autofree gchar *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  g_autofree gchar *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (apps, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_config_dir (), 0700), ==, 0);
  text = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Popbell test browser\n"
                          "Exec=/usr/bin/python3 %s/oauth2-browser.py %%u\n"
                          "MimeType=x-scheme-handler/http;\nNoDisplay=true\n",
                          g_getenv ("POPBELL_SUPPORT_DIR"));
  g_file_set_contents (desktop, text, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (mimeapps, "[Default Applications]\n"
                                 "x-scheme-handler/http=popbell-test-browser.desktop\n", -1, &error);
  g_assert_no_error (error);
}

static GtkWidget *
named (GtkWidget *editor, const gchar *name)
{
  GtkWidget *widget = ui_test_find_named (editor, name);

  g_assert_nonnull (widget);
  return widget;
}

static void
set_text (GtkWidget *editor, const gchar *name, const gchar *text)
{
  gtk_entry_set_text (GTK_ENTRY (named (editor, name)), text);
}

static GtkWidget *
new_editor (PopbellEngine *engine)
{
  GtkWidget *editor = popbell_account_editor_new (NULL, engine, NULL);
  g_autofree gchar *port = NULL;

  gtk_window_present (GTK_WINDOW (editor));
  ui_test_settle (editor);
  gtk_entry_set_text (GTK_ENTRY (ui_test_find (editor, "name_entry")), "mail");
  gtk_entry_set_text (GTK_ENTRY (ui_test_find (editor, "host_entry")), "127.0.0.1");
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (ui_test_find (editor, "security_combo")),
                                              "tls"));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (ui_test_find (editor, "port_spin")),
                             popbell_test_dovecot_get_tls_port (dovecot));
  gtk_entry_set_text (GTK_ENTRY (ui_test_find (editor, "username_entry")), USER);
  gtk_entry_set_text (GTK_ENTRY (ui_test_find (editor, "ca_file_entry")),
                      popbell_test_dovecot_get_ca_file (dovecot));

  /* The section shows for auth=oauth2 only, and replaces the password. */
  g_assert_false (gtk_widget_is_visible (named (editor, "oauth2-source")));
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (ui_test_find (editor, "auth_combo")),
                                              "oauth2"));
  g_assert_true (gtk_widget_is_visible (named (editor, "oauth2-source")));
  g_assert_false (gtk_widget_get_sensitive (ui_test_find (editor, "password_entry")));
  return editor;
}

static gboolean
editor_idle (gpointer user_data)
{
  return !popbell_account_editor_is_busy (user_data);
}

/* Clicks "Test connection" and returns what the editor says. */
static const gchar *
test_connection (GtkWidget *editor)
{
  gtk_button_clicked (GTK_BUTTON (ui_test_find (editor, "test_button")));
  g_assert_true (popbell_account_editor_is_busy (POPBELL_ACCOUNT_EDITOR (editor)));
  ui_test_wait (editor_idle, editor, 30000);
  return gtk_label_get_text (GTK_LABEL (ui_test_find (editor, "test_label")));
}

#define WORKS "The connection works: Popbell logged in and read the mailbox."

static void
test_command (void)
{
  g_autoptr(PopbellEngine) engine = popbell_engine_new ();
  GtkWidget *editor;

  popbell_test_oauth2_add_token (provider, "ui-command-token", USER);
  editor = new_editor (engine);
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (named (editor, "oauth2-source")),
                                              "command"));
  g_assert_true (gtk_widget_is_visible (named (editor, "oauth2-command")));
  g_assert_false (gtk_widget_is_visible (named (editor, "oauth2-client-id")));

  set_text (editor, "oauth2-command", "echo ui-wrong-token");
  g_assert_nonnull (strstr (test_connection (editor), "rejected the access token"));
  set_text (editor, "oauth2-command", "echo ui-command-token");
  g_assert_cmpstr (test_connection (editor), ==, WORKS);
  gtk_widget_destroy (editor);
}

static gboolean
signed_in (gpointer user_data)
{
  const gchar *text = gtk_label_get_text (GTK_LABEL (named (user_data, "oauth2-sign-in-status")));

  return g_str_has_prefix (text, "Signed in") || g_str_has_prefix (text, "The ");
}

static void
test_builtin (void)
{
  g_autoptr(PopbellEngine) engine = popbell_engine_new ();
  g_autofree gchar *auth = popbell_test_oauth2_url (provider, "/authorize");
  g_autofree gchar *token = popbell_test_oauth2_url (provider, "/token");
  GtkWidget *editor;

  editor = new_editor (engine);
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (named (editor, "oauth2-source")),
                                              "builtin"));
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (named (editor, "oauth2-provider")),
                                              "custom"));
  set_text (editor, "oauth2-client-id", "popbell-test");
  set_text (editor, "oauth2-auth-url", auth);
  set_text (editor, "oauth2-token-url", token);
  set_text (editor, "oauth2-scope", "pop3 offline_access");

  /* Not signed in yet: the test says what to do. */
  g_assert_nonnull (strstr (test_connection (editor), "not signed in"));

  gtk_button_clicked (GTK_BUTTON (named (editor, "oauth2-sign-in")));
  ui_test_wait (signed_in, editor, 30000);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (named (editor, "oauth2-sign-in-status"))), ==,
                   "Signed in: the refresh token is in the keyring.");
  g_assert_cmpuint (popbell_test_oauth2_count (provider, "token-code"), ==, 1);
  g_free (ui_test_screenshot (editor, "account-editor-oauth2.png"));

  g_assert_cmpstr (test_connection (editor), ==, WORKS);
  g_assert_cmpuint (popbell_test_oauth2_count (provider, "token-refresh"), >=, 1);
  gtk_widget_destroy (editor);
}

static gboolean
goa_listed (gpointer user_data)
{
  GtkComboBox *combo = GTK_COMBO_BOX (named (user_data, "oauth2-goa-id"));

  return gtk_tree_model_iter_n_children (gtk_combo_box_get_model (combo), NULL) > 0;
}

static void
test_goa (void)
{
  g_autoptr(PopbellEngine) engine = popbell_engine_new ();
  g_autofree gchar *script = g_build_filename (g_getenv ("POPBELL_SUPPORT_DIR"),
                                               "oauth2-fake-goa.py", NULL);
  g_autofree gchar *config = g_build_filename (scratch, "goa.json", NULL);
  g_autofree gchar *events = g_build_filename (scratch, "goa-events", NULL);
  g_autofree gchar *line = NULL;
  g_autoptr(GSubprocess) goa = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *editor;

  g_file_set_contents (config,
                       "{\"accounts\": [{\"id\": \"account_3\", \"provider_name\": \"Google\", "
                       "\"identity\": \"alice\", \"email\": \"alice@gmail.test\", "
                       "\"tokens\": [\"ui-goa-token\"]}]}", -1, &error);
  g_assert_no_error (error);
  goa = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                          "/usr/bin/python3", script, config, events, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (goa));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_cmpstr (line, ==, "READY");
  popbell_test_oauth2_add_token (provider, "ui-goa-token", USER);

  editor = new_editor (engine);
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (named (editor, "oauth2-source")),
                                              "goa"));
  ui_test_wait (goa_listed, editor, 10000);
  g_assert_cmpstr (gtk_combo_box_get_active_id (GTK_COMBO_BOX (named (editor, "oauth2-goa-id"))),
                   ==, "account_3");
  g_assert_cmpstr (test_connection (editor), ==, WORKS);
  gtk_widget_destroy (editor);

  g_output_stream_close (g_subprocess_get_stdin_pipe (goa), NULL, NULL);
  g_subprocess_wait (goa, NULL, NULL);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *introspect = NULL;
  int status = 77;

  g_test_init (&argc, &argv, NULL);
  g_setenv ("POPBELL_NO_SYSTEM_BUS", "1", TRUE);
  session = popbell_test_session_new (POPBELL_TEST_SECRETS_UNLOCKED, 0, &error);
  if (session == NULL)
    return popbell_test_session_skip_program (error);
  if (!ui_test_display_start (&error))
    {
      popbell_test_session_free (session);
      return popbell_test_session_skip_program (error);
    }
  gtk_init (NULL, NULL);
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  register_browser ();
  scratch = g_dir_make_tmp ("popbell-oauth2-ui.XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/ui/oauth2-editor/command", test_command);
  g_test_add_func ("/ui/oauth2-editor/builtin", test_builtin);
  g_test_add_func ("/ui/oauth2-editor/goa", test_goa);

  provider = popbell_test_oauth2_start (USER, 3600);
  if (provider != NULL)
    {
      introspect = popbell_test_oauth2_url (provider, "/introspect");
      dovecot = popbell_test_dovecot_start_oauth2 (introspect);
    }
  if (dovecot != NULL)
    status = g_test_run ();
  else if (popbell_test_require_services ())
    status = 1;

  popbell_test_dovecot_stop (dovecot);
  popbell_test_oauth2_stop (provider);
  {
    g_autofree gchar *command = g_strdup_printf ("rm -rf '%s'", scratch);

    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  g_free (scratch);
  ui_test_display_stop ();
  popbell_test_session_free (session);
  return status;
}
