/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <string.h>

#include "popbell-preview-window.h"
#include "popbell-test-util.h"
#include "test-preview-fixture.h"
#include "test-preview-util.h"

/* The preview window, for real: under a private Xvfb, against a real
 * engine that talks to a real Dovecot, with the password in a real
 * gnome-keyring on a private bus. */

#define ACCOUNT "alice"

static PopbellTestSession *session;   /* (owned) one per program */

/* An old plain message, then a new one with RFC 2047 headers in two
 * charsets, a quoted-printable German body and a PDF attachment. */
static const gchar old_message[] =
  "From: Bob <bob@example.org>\r\n"
  "To: alice@example.org\r\n"
  "Subject: Old news\r\n"
  "Date: Wed, 25 Nov 2026 09:00:00 +0100\r\n"
  "Message-ID: <old@example.org>\r\n"
  "\r\n"
  "Nothing new here.\r\n";

static const gchar new_message[] =
  "From: =?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@example.org>\r\n"
  "To: Alice <alice@example.org>\r\n"
  "Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\r\n"
  "Date: Thu, 26 Nov 2026 10:00:00 +0100\r\n"
  "Message-ID: <new@example.org>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
  "\r\n"
  "--b1\r\n"
  "Content-Type: text/plain; charset=UTF-8\r\n"
  "Content-Transfer-Encoding: quoted-printable\r\n"
  "\r\n"
  "Hallo Alice,\r\n"
  "\r\n"
  "viele Gr=C3=BC=C3=9Fe aus K=C3=B6ln! Der Bericht h=C3=A4ngt an.\r\n"
  "\r\n"
  "J=C3=BCrgen\r\n"
  "--b1\r\n"
  "Content-Type: application/pdf; name=\"bericht.pdf\"\r\n"
  "Content-Disposition: attachment; filename=\"bericht.pdf\"\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8\r\n"
  "PC9Sb290IDEgMCBSPj4KJSVFT0YK\r\n"
  "--b1--\r\n";

typedef struct {
  PopbellTestDovecot *dovecot;  /* (unowned) */
  PopbellEngine      *engine;   /* (owned) */
  GtkWidget          *window;   /* (owned) floating toplevel */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dovecot = ui_test_dovecot ();
  if (fixture->dovecot == NULL)
    return;

  ui_test_reset_files ();
  popbell_test_dovecot_clear (fixture->dovecot, "alice");
  popbell_test_dovecot_deliver (fixture->dovecot, "alice", old_message, strlen (old_message));
  ui_test_write_account (fixture->dovecot, ACCOUNT);
  popbell_test_session_store_password (session, popbell_test_dovecot_get_host (fixture->dovecot),
                                       "alice", "alicepw", &error);
  g_assert_no_error (error);

  fixture->engine = popbell_engine_new ();
  popbell_engine_load (fixture->engine, &error);
  g_assert_no_error (error);
  /* Checks run only on a started engine; the first (baseline) check of a
   * test is triggered explicitly, the interval keeps others away. */
  popbell_engine_start (fixture->engine);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  if (fixture->window != NULL)
    {
      gtk_widget_destroy (fixture->window);
      ui_test_settle (fixture->window);
    }
  if (fixture->engine != NULL)
    popbell_engine_stop (fixture->engine);
  g_clear_object (&fixture->engine);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
window_idle (gpointer user_data)
{
  return !popbell_preview_window_is_busy (user_data);
}

static const gchar *
label_text (Fixture     *fixture,
            const gchar *id)
{
  return gtk_label_get_text (GTK_LABEL (ui_test_find (fixture->window, id)));
}

static gchar *
body_text (Fixture *fixture)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (
    GTK_TEXT_VIEW (ui_test_find (fixture->window, "body_view")));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
open_preview (Fixture *fixture)
{
  fixture->window = popbell_preview_window_new (NULL, fixture->engine);
  g_object_ref_sink (fixture->window);
  popbell_preview_window_show_newest (POPBELL_PREVIEW_WINDOW (fixture->window));
  ui_test_wait (window_idle, fixture->window, 20000);
}

/* A message that arrived after the baseline is unseen; the preview opens
 * on it with every header decoded, the body and the attachment. */
static void
test_newest_unseen (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree gchar *body = NULL;
  g_autofree gchar *shot = NULL;
  GtkWidget *attachment;
  GtkWidget *mark_seen;

  if (fixture->dovecot == NULL)
    return;

  ui_test_check_and_wait (fixture->engine, ACCOUNT);   /* baseline */
  popbell_test_dovecot_deliver (fixture->dovecot, "alice", new_message, strlen (new_message));
  ui_test_check_and_wait (fixture->engine, ACCOUNT);
  g_assert_cmpuint (popbell_engine_get_unseen_total (fixture->engine), ==, 1);

  open_preview (fixture);
  /* Shown is acknowledged: the count on the icon drops. */
  g_assert_cmpuint (popbell_engine_get_unseen_total (fixture->engine), ==, 0);

  g_assert_nonnull (popbell_preview_window_get_message (POPBELL_PREVIEW_WINDOW (fixture->window)));
  g_assert_false (gtk_widget_get_visible (ui_test_find (fixture->window, "error_bar")));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (
                     GTK_STACK (ui_test_find (fixture->window, "stack"))), ==, "message");
  g_assert_nonnull (strstr (label_text (fixture, "from_label"), "Jürgen Weiß"));
  g_assert_nonnull (strstr (label_text (fixture, "from_label"), "jw@example.org"));
  g_assert_nonnull (strstr (label_text (fixture, "to_label"), "alice@example.org"));
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Grüße aus Köln");
  g_assert_nonnull (strstr (label_text (fixture, "date_label"), "2026"));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (fixture->window)), ==, "Grüße aus Köln");

  body = body_text (fixture);
  g_assert_nonnull (strstr (body, "viele Grüße aus Köln! Der Bericht hängt an."));

  attachment = ui_test_find_named (ui_test_find (fixture->window, "attachments_list"),
                                   "attachment-name");
  g_assert_nonnull (attachment);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (attachment)), ==, "bericht.pdf");
  g_assert_true (gtk_revealer_get_reveal_child (
                   GTK_REVEALER (ui_test_find (fixture->window, "attachments_revealer"))));

  /* Only one unseen message: nowhere to go. */
  g_assert_false (gtk_widget_get_sensitive (ui_test_find (fixture->window, "previous_button")));
  g_assert_false (gtk_widget_get_sensitive (ui_test_find (fixture->window, "next_button")));

  shot = ui_test_screenshot (fixture->window, "preview.png");

  /* Already seen by showing it: nothing left to mark. */
  mark_seen = ui_test_find (fixture->window, "mark_seen_button");
  g_assert_false (gtk_widget_get_sensitive (mark_seen));
}

/* Several unseen messages: newest first, next/previous walk the list. */
static void
test_navigation (Fixture       *fixture,
                 gconstpointer  data)
{
  static const gchar second[] =
    "From: Carol <carol@example.org>\r\n"
    "To: alice@example.org\r\n"
    "Subject: Second\r\n"
    "Date: Thu, 3 Dec 2026 11:00:00 +0100\r\n"
    "\r\n"
    "Two.\r\n";
  GtkWidget *next;
  GtkWidget *previous;

  if (fixture->dovecot == NULL)
    return;

  ui_test_check_and_wait (fixture->engine, ACCOUNT);
  popbell_test_dovecot_deliver (fixture->dovecot, "alice", new_message, strlen (new_message));
  popbell_test_dovecot_deliver (fixture->dovecot, "alice", second, strlen (second));
  ui_test_check_and_wait (fixture->engine, ACCOUNT);
  g_assert_cmpuint (popbell_engine_get_unseen_total (fixture->engine), ==, 2);

  open_preview (fixture);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Second");
  g_assert_cmpstr (label_text (fixture, "position_label"), ==, "1 of 2");
  /* A one-digit day without the double space of %e. */
  g_assert_nonnull (strstr (label_text (fixture, "date_label"), " 3 Dec 2026"));
  g_assert_null (strstr (label_text (fixture, "date_label"), "  "));
  /* The one shown is acknowledged, the other still waits... */
  g_assert_cmpuint (popbell_engine_get_unseen_total (fixture->engine), ==, 1);

  next = ui_test_find (fixture->window, "next_button");
  previous = ui_test_find (fixture->window, "previous_button");
  g_assert_true (gtk_widget_get_sensitive (next));
  g_assert_false (gtk_widget_get_sensitive (previous));

  gtk_button_clicked (GTK_BUTTON (next));
  ui_test_wait (window_idle, fixture->window, 20000);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Grüße aus Köln");
  g_assert_cmpstr (label_text (fixture, "position_label"), ==, "2 of 2");
  g_assert_false (gtk_widget_get_sensitive (next));
  g_assert_true (gtk_widget_get_sensitive (previous));

  /* ...until it is shown too; the list keeps both. */
  g_assert_cmpuint (popbell_engine_get_unseen_total (fixture->engine), ==, 0);

  gtk_button_clicked (GTK_BUTTON (previous));
  ui_test_wait (window_idle, fixture->window, 20000);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Second");
  g_assert_cmpstr (label_text (fixture, "position_label"), ==, "1 of 2");
}

/* A notification that listed no message marks its own account seen,
 * never the others (issue 8: it marked every account). */
static void
test_mark_account_seen (Fixture       *fixture,
                        gconstpointer  data)
{
  PopbellAccountStore *store;
  PopbellAccount *alice;
  g_autoptr(PopbellAccount) other = NULL;
  g_autoptr(PopbellAccountStatus) status = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->dovecot == NULL)
    return;

  store = popbell_engine_get_account_store (fixture->engine);
  alice = popbell_account_store_lookup (store, ACCOUNT);
  other = popbell_account_new ("other");
  popbell_account_set_host (other, popbell_account_get_host (alice));
  popbell_account_set_port (other, popbell_account_get_port (alice));
  popbell_account_set_security (other, popbell_account_get_security (alice));
  popbell_account_set_username (other, popbell_account_get_username (alice));
  popbell_account_set_tls_ca_file (other, popbell_account_get_tls_ca_file (alice));
  popbell_account_store_put (store, other);
  g_assert_true (popbell_engine_apply_accounts (fixture->engine, &error));
  g_assert_no_error (error);

  ui_test_check_and_wait (fixture->engine, ACCOUNT);
  ui_test_check_and_wait (fixture->engine, "other");
  popbell_test_dovecot_deliver (fixture->dovecot, "alice", new_message, strlen (new_message));
  ui_test_check_and_wait (fixture->engine, ACCOUNT);
  ui_test_check_and_wait (fixture->engine, "other");
  g_assert_cmpuint (popbell_engine_get_unseen_total (fixture->engine), ==, 2);

  popbell_engine_mark_account_seen (fixture->engine, ACCOUNT);
  g_assert_cmpuint (popbell_engine_get_unseen_total (fixture->engine), ==, 1);
  status = popbell_engine_dup_status (fixture->engine, "other");
  g_assert_cmpuint (popbell_account_status_get_unseen (status), ==, 1);
}

/* Nothing unseen: the newest message on the server. */
static void
test_newest_on_server (Fixture       *fixture,
                       gconstpointer  data)
{
  if (fixture->dovecot == NULL)
    return;

  popbell_test_dovecot_deliver (fixture->dovecot, "alice", new_message, strlen (new_message));
  open_preview (fixture);

  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Grüße aus Köln");
  g_assert_cmpstr (label_text (fixture, "position_label"), ==, "Newest message on the server");
  /* Not an unseen message: nothing to mark. */
  g_assert_false (gtk_widget_get_sensitive (ui_test_find (fixture->window, "mark_seen_button")));
  g_assert_true (gtk_widget_get_sensitive (ui_test_find (fixture->window, "delete_button")));
}

static GtkDialog *
find_confirmation (void)
{
  GtkWidget *dialog = ui_test_find_toplevel (GTK_TYPE_MESSAGE_DIALOG);

  g_assert_nonnull (dialog);
  g_assert_cmpstr (gtk_widget_get_name (dialog), ==, "popbell-delete-confirmation");
  return GTK_DIALOG (dialog);
}

/* Delete asks first; "Cancel" leaves the message on the server, "Delete"
 * removes exactly that message from Dovecot. */
static void
test_delete (Fixture       *fixture,
             gconstpointer  data)
{
  GtkWidget *delete_button;

  if (fixture->dovecot == NULL)
    return;

  popbell_test_dovecot_deliver (fixture->dovecot, "alice", new_message, strlen (new_message));
  g_assert_cmpuint (ui_test_count_messages (fixture->dovecot, "alice"), ==, 2);
  open_preview (fixture);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Grüße aus Köln");

  delete_button = ui_test_find (fixture->window, "delete_button");
  gtk_button_clicked (GTK_BUTTON (delete_button));
  ui_test_settle (fixture->window);
  gtk_dialog_response (find_confirmation (), GTK_RESPONSE_CANCEL);
  ui_test_settle (fixture->window);
  g_assert_false (popbell_preview_window_is_busy (POPBELL_PREVIEW_WINDOW (fixture->window)));
  g_assert_null (ui_test_find_toplevel (GTK_TYPE_MESSAGE_DIALOG));
  g_assert_cmpuint (ui_test_count_messages (fixture->dovecot, "alice"), ==, 2);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Grüße aus Köln");

  /* Closing the question (Escape, window manager) is no consent either. */
  gtk_button_clicked (GTK_BUTTON (delete_button));
  gtk_dialog_response (find_confirmation (), GTK_RESPONSE_DELETE_EVENT);
  ui_test_settle (fixture->window);
  g_assert_cmpuint (ui_test_count_messages (fixture->dovecot, "alice"), ==, 2);

  gtk_button_clicked (GTK_BUTTON (delete_button));
  gtk_dialog_response (find_confirmation (), GTK_RESPONSE_ACCEPT);
  g_assert_true (popbell_preview_window_is_busy (POPBELL_PREVIEW_WINDOW (fixture->window)));
  ui_test_wait (window_idle, fixture->window, 20000);

  g_assert_false (gtk_widget_get_visible (ui_test_find (fixture->window, "error_bar")));
  g_assert_cmpstr (label_text (fixture, "status_label"), ==,
                   "The message was deleted from the server.");
  g_assert_cmpuint (ui_test_count_messages (fixture->dovecot, "alice"), ==, 1);

  /* The one left is the old message. */
  popbell_preview_window_show_newest (POPBELL_PREVIEW_WINDOW (fixture->window));
  ui_test_wait (window_idle, fixture->window, 20000);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Old news");
}

/* Cancel stops a fetch at once; the window stays usable. */
static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  if (fixture->dovecot == NULL)
    return;

  fixture->window = popbell_preview_window_new (NULL, fixture->engine);
  g_object_ref_sink (fixture->window);
  popbell_preview_window_show_newest (POPBELL_PREVIEW_WINDOW (fixture->window));
  g_assert_true (popbell_preview_window_is_busy (POPBELL_PREVIEW_WINDOW (fixture->window)));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (
                     GTK_STACK (ui_test_find (fixture->window, "stack"))), ==, "loading");

  gtk_button_clicked (GTK_BUTTON (ui_test_find (fixture->window, "cancel_button")));
  g_assert_false (popbell_preview_window_is_busy (POPBELL_PREVIEW_WINDOW (fixture->window)));
  g_assert_cmpstr (label_text (fixture, "status_label"), ==, "Loading was cancelled.");
  ui_test_settle (fixture->window);
  g_assert_false (gtk_widget_get_visible (ui_test_find (fixture->window, "error_bar")));

  popbell_preview_window_show_newest (POPBELL_PREVIEW_WINDOW (fixture->window));
  ui_test_wait (window_idle, fixture->window, 20000);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Old news");
}

/* A long message comes with TOP first; "Load Whole Message" fetches all. */
static void
test_load_whole (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GString) raw = g_string_new (
    "From: Dave <dave@example.org>\r\n"
    "To: alice@example.org\r\n"
    "Subject: Long\r\n"
    "Date: Thu, 26 Nov 2026 12:00:00 +0100\r\n"
    "\r\n");
  g_autofree gchar *body = NULL;
  PopbellMessage *message;

  if (fixture->dovecot == NULL)
    return;

  for (guint i = 1; i <= 3000; i++)
    g_string_append_printf (raw, "Line %u of a long message.\r\n", i);
  g_string_append (raw, "The very end.\r\n");
  popbell_test_dovecot_deliver (fixture->dovecot, "alice", raw->str, raw->len);

  open_preview (fixture);
  message = popbell_preview_window_get_message (POPBELL_PREVIEW_WINDOW (fixture->window));
  g_assert_nonnull (message);
  g_assert_cmpstr (label_text (fixture, "subject_label"), ==, "Long");
  g_assert_false (popbell_message_is_complete (message));
  g_assert_true (gtk_widget_get_visible (ui_test_find (fixture->window, "partial_bar")));
  body = body_text (fixture);
  g_assert_null (strstr (body, "The very end."));
  g_clear_pointer (&body, g_free);

  gtk_button_clicked (GTK_BUTTON (ui_test_find (fixture->window, "load_full_button")));
  ui_test_wait (window_idle, fixture->window, 20000);
  message = popbell_preview_window_get_message (POPBELL_PREVIEW_WINDOW (fixture->window));
  g_assert_nonnull (message);
  g_assert_true (popbell_message_is_complete (message));
  g_assert_false (gtk_widget_get_visible (ui_test_find (fixture->window, "partial_bar")));
  body = body_text (fixture);
  g_assert_nonnull (strstr (body, "The very end."));
}

/* The engine's sentence, not a crash or a blank window, when the server
 * refuses the login. */
static void
test_error_shown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const gchar *text;

  if (fixture->dovecot == NULL)
    return;

  popbell_test_session_store_password (session, popbell_test_dovecot_get_host (fixture->dovecot),
                                       "alice", "not-the-password", &error);
  g_assert_no_error (error);

  open_preview (fixture);
  g_assert_true (gtk_widget_get_visible (ui_test_find (fixture->window, "error_bar")));
  text = label_text (fixture, "error_label");
  g_assert_cmpstr (text, !=, "");
  g_test_message ("error shown: %s", text);
  g_assert_cmpstr (label_text (fixture, "status_label"), ==, "The message could not be loaded.");
  g_assert_false (gtk_widget_get_sensitive (ui_test_find (fixture->window, "delete_button")));
}

/* No enabled account: a sentence that says what to do, no fetch. */
static void
test_no_account (Fixture       *fixture,
                 gconstpointer  data)
{
  PopbellAccountStore *store;
  g_autoptr(PopbellAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->dovecot == NULL)
    return;

  store = popbell_engine_get_account_store (fixture->engine);
  account = popbell_account_copy (popbell_account_store_lookup (store, ACCOUNT));
  popbell_account_set_enabled (account, FALSE);
  popbell_account_store_put (store, account);
  popbell_engine_apply_accounts (fixture->engine, &error);
  g_assert_no_error (error);

  open_preview (fixture);
  g_assert_cmpstr (label_text (fixture, "status_label"), ==,
                   "No account is switched on. Switch one on in the preferences.");
  g_assert_null (popbell_preview_window_get_message (POPBELL_PREVIEW_WINDOW (fixture->window)));
  g_assert_false (gtk_widget_get_sensitive (ui_test_find (fixture->window, "delete_button")));

  popbell_account_store_remove (store, ACCOUNT);
  popbell_engine_apply_accounts (fixture->engine, &error);
  g_assert_no_error (error);
  popbell_preview_window_show_newest (POPBELL_PREVIEW_WINDOW (fixture->window));
  g_assert_cmpstr (label_text (fixture, "status_label"), ==,
                   "No accounts are set up. Add one in the preferences.");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  /* No suspend/resume watching on the real system bus. */
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
  /* Screenshots must not catch a cross-fade half way. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/ui/preview/newest-unseen", test_newest_unseen);
  ADD ("/ui/preview/navigation", test_navigation);
  ADD ("/ui/preview/newest-on-server", test_newest_on_server);
  ADD ("/ui/preview/mark-account-seen", test_mark_account_seen);
  ADD ("/ui/preview/delete", test_delete);
  ADD ("/ui/preview/cancel", test_cancel);
  ADD ("/ui/preview/load-whole", test_load_whole);
  ADD ("/ui/preview/error-shown", test_error_shown);
  ADD ("/ui/preview/no-account", test_no_account);
#undef ADD

  status = g_test_run ();

  ui_test_dovecot_shutdown ();
  ui_test_display_stop ();
  popbell_test_session_free (session);
  return status;
}
