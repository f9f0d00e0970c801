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
  g_auto(GStrv) settings = popbell_test_oauth2_builtin_settings (provider);
  GtkWidget *editor;

  editor = new_editor (engine);
  /* Each setting has a widget of its name: the source and the provider
   * are lists, the others entries. */
  for (guint i = 0; settings[i] != NULL; i += 2)
    if (GTK_IS_COMBO_BOX (named (editor, settings[i])))
      g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (named (editor, settings[i])),
                                                  settings[i + 1]));
    else
      set_text (editor, settings[i], settings[i + 1]);

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
  g_autoptr(PopbellTestGoa) goa =
    popbell_test_goa_start ("{\"accounts\": [{\"id\": \"account_3\", \"provider_name\": "
                            "\"Google\", \"identity\": \"alice\", \"email\": "
                            "\"alice@gmail.test\", \"tokens\": [\"ui-goa-token\"]}]}");
  GtkWidget *editor;

  popbell_test_oauth2_add_token (provider, "ui-goa-token", USER);
  editor = new_editor (engine);
  g_assert_true (gtk_combo_box_set_active_id (GTK_COMBO_BOX (named (editor, "oauth2-source")),
                                              "goa"));
  ui_test_wait (goa_listed, editor, 10000);
  g_assert_cmpstr (gtk_combo_box_get_active_id (GTK_COMBO_BOX (named (editor, "oauth2-goa-id"))),
                   ==, "account_3");
  g_assert_cmpstr (test_connection (editor), ==, WORKS);
  gtk_widget_destroy (editor);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

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
  popbell_test_oauth2_register_browser ();

  g_test_add_func ("/ui/oauth2-editor/command", test_command);
  g_test_add_func ("/ui/oauth2-editor/builtin", test_builtin);
  g_test_add_func ("/ui/oauth2-editor/goa", test_goa);

  status = popbell_test_oauth2_run_with_dovecot (USER, &provider, &dovecot);
  ui_test_display_stop ();
  popbell_test_session_free (session);
  return status;
}
