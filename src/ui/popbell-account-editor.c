/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "popbell-account-editor.h"
#include "popbell-oauth2-section.h"
#include "popbell-resources.h"

struct _PopbellAccountEditor
{
  GtkWindow parent_instance;

  PopbellEngine  *engine;            /* (owned) */
  gchar          *account_name;      /* (owned) (nullable): NULL for a new account */
  PopbellAccount *original;          /* (owned) (nullable): the stored account, edited as a copy */
  GCancellable   *test_cancellable;  /* (owned) (nullable): non-NULL ⇔ test running */
  GCancellable   *save_cancellable;  /* (owned) (nullable): non-NULL ⇔ password being stored */
  gchar          *certificate;       /* (owned) (nullable): fingerprint of the last refused cert */
  PopbellPop3Security security;      /* what security_combo showed before its last change */

  GtkHeaderBar   *header_bar;
  GtkWidget      *save_button;
  GtkWidget      *cancel_button;
  GtkWidget      *error_bar;
  GtkLabel       *error_label;
  GtkEntry       *name_entry;
  GtkEntry       *host_entry;
  GtkComboBox    *security_combo;
  GtkSpinButton  *port_spin;
  GtkEntry       *username_entry;
  GtkEntry       *password_entry;
  GtkComboBox    *auth_combo;
  GtkSpinButton  *interval_spin;
  GtkSpinButton  *timeout_spin;
  GtkEntry       *ca_file_entry;
  GtkEntry       *pin_entry;
  GtkToggleButton *enabled_check;
  GtkToggleButton *insecure_check;
  GtkButton      *test_button;
  GtkSpinner     *test_spinner;
  GtkWidget      *trust_button;
  GtkLabel       *test_label;
  PopbellOAuth2Section *oauth2_section;  /* shown for auth=oauth2 */
};

G_DEFINE_FINAL_TYPE (PopbellAccountEditor, popbell_account_editor, GTK_TYPE_WINDOW)

enum {
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const struct {
  PopbellPop3Security value;
  const gchar *id;
} security_ids[] = {
  { POPBELL_POP3_SECURITY_TLS, "tls" },
  { POPBELL_POP3_SECURITY_STARTTLS, "starttls" },
  { POPBELL_POP3_SECURITY_NONE, "none" },
};

static const struct {
  PopbellPop3AuthMethod value;
  const gchar *id;
} auth_ids[] = {
  { POPBELL_POP3_AUTH_AUTO, "auto" },
  { POPBELL_POP3_AUTH_USER, "user" },
  { POPBELL_POP3_AUTH_APOP, "apop" },
  { POPBELL_POP3_AUTH_SASL_PLAIN, "sasl-plain" },
  { POPBELL_POP3_AUTH_OAUTH2, "oauth2" },
};

static guint16
default_port (PopbellPop3Security security)
{
  return security == POPBELL_POP3_SECURITY_TLS ? 995 : 110;
}

static PopbellPop3Security
get_security (PopbellAccountEditor *self)
{
  const gchar *id = gtk_combo_box_get_active_id (self->security_combo);

  for (gsize i = 0; i < G_N_ELEMENTS (security_ids); i++)
    if (g_strcmp0 (id, security_ids[i].id) == 0)
      return security_ids[i].value;
  return POPBELL_POP3_SECURITY_TLS;
}

static void
set_security (PopbellAccountEditor *self,
              PopbellPop3Security   security)
{
  for (gsize i = 0; i < G_N_ELEMENTS (security_ids); i++)
    if (security_ids[i].value == security)
      gtk_combo_box_set_active_id (self->security_combo, security_ids[i].id);
}

static PopbellPop3AuthMethod
get_auth (PopbellAccountEditor *self)
{
  const gchar *id = gtk_combo_box_get_active_id (self->auth_combo);

  for (gsize i = 0; i < G_N_ELEMENTS (auth_ids); i++)
    if (g_strcmp0 (id, auth_ids[i].id) == 0)
      return auth_ids[i].value;
  return POPBELL_POP3_AUTH_AUTO;
}

static void
set_auth (PopbellAccountEditor  *self,
          PopbellPop3AuthMethod  auth)
{
  for (gsize i = 0; i < G_N_ELEMENTS (auth_ids); i++)
    if (auth_ids[i].value == auth)
      gtk_combo_box_set_active_id (self->auth_combo, auth_ids[i].id);
}

/* POPBELL_MIN_INTERVAL lowers the 60-second floor, for tests (SPEC §3). */
static guint
min_interval (void)
{
  const gchar *env = g_getenv ("POPBELL_MIN_INTERVAL");
  guint64 value;

  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, 60, &value, NULL))
    return (guint) value;
  return 60;
}

static void
mark_invalid (GtkWidget *widget,
              gboolean   invalid)
{
  GtkStyleContext *context = gtk_widget_get_style_context (widget);

  if (invalid)
    gtk_style_context_add_class (context, GTK_STYLE_CLASS_ERROR);
  else
    gtk_style_context_remove_class (context, GTK_STYLE_CLASS_ERROR);
}

static void
show_error (PopbellAccountEditor *self,
            const gchar          *message,
            GtkWidget            *field)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (self->error_bar);
  if (field != NULL)
    {
      mark_invalid (field, TRUE);
      gtk_widget_grab_focus (field);
    }
}

static void
hide_error (PopbellAccountEditor *self)
{
  GtkWidget *fields[] = {
    GTK_WIDGET (self->name_entry), GTK_WIDGET (self->host_entry),
    GTK_WIDGET (self->username_entry), GTK_WIDGET (self->pin_entry),
    GTK_WIDGET (self->ca_file_entry), GTK_WIDGET (self->interval_spin),
    GTK_WIDGET (self->port_spin), GTK_WIDGET (self->password_entry),
  };

  gtk_widget_hide (self->error_bar);
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    mark_invalid (fields[i], FALSE);
}

static gchar *
entry_dup_text (GtkEntry *entry)
{
  return g_strstrip (g_strdup (gtk_entry_get_text (entry)));
}

/* Reads the fields into a new account snapshot; checks what the window
 * can name a field for, then the core's own validation. For a test
 * (@for_test) the name may still be empty. */
static PopbellAccount *
build_account (PopbellAccountEditor  *self,
               gboolean               for_test,
               GtkWidget            **bad_field,
               GError               **error)
{
  g_autofree gchar *name = entry_dup_text (self->name_entry);
  g_autofree gchar *host = entry_dup_text (self->host_entry);
  g_autofree gchar *username = entry_dup_text (self->username_entry);
  g_autofree gchar *ca_file = entry_dup_text (self->ca_file_entry);
  g_autofree gchar *pin_text = entry_dup_text (self->pin_entry);
  g_autofree gchar *pin = NULL;
  g_autoptr(PopbellAccount) account = NULL;
  PopbellPop3Security security = get_security (self);
  guint16 port;

  *bad_field = NULL;

  if (self->account_name == NULL && !for_test)
    {
      PopbellAccountStore *store = popbell_engine_get_account_store (self->engine);

      if (*name == '\0')
        {
          *bad_field = GTK_WIDGET (self->name_entry);
          g_set_error_literal (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("Enter a name for the account."));
          return NULL;
        }
      /* The name becomes a key-file group "[account NAME]". */
      if (strpbrk (name, "[]\n\r") != NULL || !g_utf8_validate (name, -1, NULL))
        {
          *bad_field = GTK_WIDGET (self->name_entry);
          g_set_error_literal (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The account name must not contain square brackets."));
          return NULL;
        }
      if (store != NULL && popbell_account_store_lookup (store, name) != NULL)
        {
          *bad_field = GTK_WIDGET (self->name_entry);
          g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                       _("An account named “%s” already exists: choose another name."), name);
          return NULL;
        }
    }

  if (*host == '\0' || strpbrk (host, " \t/") != NULL)
    {
      *bad_field = GTK_WIDGET (self->host_entry);
      g_set_error_literal (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                           _("Enter the server’s host name, e.g. pop.example.org."));
      return NULL;
    }

  if (*username == '\0')
    {
      *bad_field = GTK_WIDGET (self->username_entry);
      g_set_error_literal (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                           _("Enter the user name of the mailbox."));
      return NULL;
    }

  if (*pin_text != '\0')
    {
      pin = popbell_account_editor_normalize_fingerprint (pin_text);
      if (pin == NULL)
        {
          *bad_field = GTK_WIDGET (self->pin_entry);
          g_set_error_literal (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The pinned certificate must be a SHA-256 fingerprint: "
                                 "64 hexadecimal digits, colons optional."));
          return NULL;
        }
    }

  if (*ca_file != '\0' && !g_file_test (ca_file, G_FILE_TEST_IS_REGULAR))
    {
      *bad_field = GTK_WIDGET (self->ca_file_entry);
      g_set_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                   _("The certificate file “%s” does not exist."), ca_file);
      return NULL;
    }

  if (self->original != NULL)
    account = popbell_account_copy (self->original);
  else
    account = popbell_account_new (*name != '\0' ? name : _("New account"));

  popbell_account_set_host (account, host);
  popbell_account_set_security (account, security);
  port = (guint16) gtk_spin_button_get_value_as_int (self->port_spin);
  /* The default port is left implicit, so that it follows the security. */
  popbell_account_set_port (account, port == default_port (security) ? 0 : port);
  popbell_account_set_username (account, username);
  popbell_account_set_auth (account, get_auth (self));
  popbell_account_set_interval (account, (guint) gtk_spin_button_get_value_as_int (self->interval_spin));
  popbell_account_set_timeout (account, (guint) gtk_spin_button_get_value_as_int (self->timeout_spin));
  popbell_account_set_enabled (account, gtk_toggle_button_get_active (self->enabled_check));
  popbell_account_set_allow_insecure_auth (account,
                                           gtk_toggle_button_get_active (self->insecure_check));
  popbell_account_set_tls_ca_file (account, *ca_file != '\0' ? ca_file : NULL);
  popbell_account_set_tls_pinned_sha256 (account, pin);
  if (get_auth (self) == POPBELL_POP3_AUTH_OAUTH2)
    popbell_oauth2_section_apply (self->oauth2_section, account);

  if (!popbell_account_validate (account, error))
    return NULL;

  return g_steal_pointer (&account);
}

static void
load_account (PopbellAccountEditor *self,
              PopbellAccount       *account)
{
  const gchar *ca_file = popbell_account_get_tls_ca_file (account);
  const gchar *pin = popbell_account_get_tls_pinned_sha256 (account);

  gtk_entry_set_text (self->name_entry, popbell_account_get_name (account));
  gtk_entry_set_text (self->host_entry, popbell_account_get_host (account) != NULL
                                        ? popbell_account_get_host (account) : "");
  set_security (self, popbell_account_get_security (account));
  self->security = popbell_account_get_security (account);
  gtk_spin_button_set_value (self->port_spin, popbell_account_get_port (account));
  gtk_entry_set_text (self->username_entry, popbell_account_get_username (account) != NULL
                                            ? popbell_account_get_username (account) : "");
  set_auth (self, popbell_account_get_auth (account));
  gtk_spin_button_set_value (self->interval_spin, popbell_account_get_interval (account));
  gtk_spin_button_set_value (self->timeout_spin, popbell_account_get_timeout (account));
  gtk_toggle_button_set_active (self->enabled_check, popbell_account_get_enabled (account));
  gtk_toggle_button_set_active (self->insecure_check,
                                popbell_account_get_allow_insecure_auth (account));
  gtk_entry_set_text (self->ca_file_entry, ca_file != NULL ? ca_file : "");
  gtk_entry_set_text (self->pin_entry, pin != NULL ? pin : "");
  popbell_oauth2_section_load (self->oauth2_section, account);
}

static void
update_busy (PopbellAccountEditor *self)
{
  gboolean testing = self->test_cancellable != NULL;
  gboolean saving = self->save_cancellable != NULL;

  if (testing || saving)
    gtk_spinner_start (self->test_spinner);
  else
    gtk_spinner_stop (self->test_spinner);

  gtk_button_set_label (self->test_button, testing ? _("_Stop Test") : _("_Test Connection"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), !saving);
  gtk_widget_set_sensitive (self->save_button, !saving);
}

static void
field_changed_cb (PopbellAccountEditor *self,
                  GtkWidget            *field)
{
  mark_invalid (field, FALSE);
}

static void
security_changed_cb (PopbellAccountEditor *self,
                     GtkComboBox          *combo)
{
  PopbellPop3Security security = get_security (self);

  /* Follow the security with the port unless the user chose another one. */
  if (gtk_spin_button_get_value_as_int (self->port_spin) == default_port (self->security))
    gtk_spin_button_set_value (self->port_spin, default_port (security));
  self->security = security;
}

static void
ca_file_response_cb (GtkNativeDialog *chooser,
                     gint             response,
                     gpointer         user_data)
{
  PopbellAccountEditor *self = POPBELL_ACCOUNT_EDITOR (user_data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree gchar *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));

      if (path != NULL)
        gtk_entry_set_text (self->ca_file_entry, path);
    }
  g_object_unref (chooser);
}

static void
ca_file_clicked_cb (PopbellAccountEditor *self)
{
  GtkFileChooserNative *chooser;
  GtkFileFilter *filter;

  chooser = gtk_file_chooser_native_new (_("Choose a CA Certificate"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("PEM certificates"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (ca_file_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
test_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(PopbellAccountEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = NULL;

  popbell_engine_test_account_finish (POPBELL_ENGINE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* stopped, or the window closed */

  cancellable = g_steal_pointer (&self->test_cancellable);
  update_busy (self);

  if (error == NULL)
    {
      gtk_label_set_text (self->test_label, _("The connection works: Popbell logged in "
                                              "and read the mailbox."));
      return;
    }

  /* The error's sentence is the command line's (it names --set-password);
   * here the remedy is the field right above the result. */
  if (popbell_error_get_reason (error) == POPBELL_ERROR_REASON_AUTH_REJECTED)
    gtk_label_set_text (self->test_label, _("The server rejected the user name or password. "
                                            "Enter them again above, then test again."));
  else
    gtk_label_set_text (self->test_label, error->message);

  g_clear_pointer (&self->certificate, g_free);
  self->certificate = popbell_error_dup_certificate_sha256 (error);
  gtk_widget_set_visible (self->trust_button, self->certificate != NULL);
}

static void
start_test (PopbellAccountEditor *self)
{
  g_autoptr(PopbellAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *bad_field = NULL;
  const gchar *password = gtk_entry_get_text (self->password_entry);

  hide_error (self);
  gtk_widget_hide (self->trust_button);

  account = build_account (self, TRUE, &bad_field, &error);
  if (account == NULL)
    {
      show_error (self, error->message, bad_field);
      return;
    }

  gtk_label_set_text (self->test_label, _("Connecting…"));
  self->test_cancellable = g_cancellable_new ();
  update_busy (self);
  /* An empty field means "the password in the keyring". */
  popbell_engine_test_account_async (self->engine, account,
                                     *password != '\0' ? password : NULL,
                                     self->test_cancellable, test_cb, g_object_ref (self));
}

static void
test_clicked_cb (PopbellAccountEditor *self)
{
  if (self->test_cancellable != NULL)
    {
      g_cancellable_cancel (self->test_cancellable);
      g_clear_object (&self->test_cancellable);
      gtk_label_set_text (self->test_label, _("The test was stopped."));
      update_busy (self);
      return;
    }

  start_test (self);
}

static void
trust_clicked_cb (PopbellAccountEditor *self)
{
  if (self->certificate == NULL)
    return;

  gtk_entry_set_text (self->pin_entry, self->certificate);
  gtk_widget_hide (self->trust_button);
  start_test (self);
}

static void
finish_saved (PopbellAccountEditor *self,
              const gchar          *name)
{
  g_autofree gchar *saved_name = g_strdup (name);

  g_signal_emit (self, signals[SIGNAL_SAVED], 0, saved_name);
  gtk_widget_destroy (GTK_WIDGET (self));
}

typedef struct {
  PopbellAccountEditor *self;   /* (owned) */
  gchar                *name;   /* (owned) */
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_object_unref (data->self);
  g_free (data->name);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveData, save_data_free)

static void
set_password_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(SaveData) data = user_data;
  PopbellAccountEditor *self = data->self;
  g_autoptr(GError) error = NULL;

  popbell_engine_set_password_finish (POPBELL_ENGINE (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->save_cancellable);
  update_busy (self);

  if (error != NULL)
    {
      g_autofree gchar *text = NULL;

      /* The account itself is saved: from now on this is an edit. */
      if (self->account_name == NULL)
        {
          self->account_name = g_strdup (data->name);
          g_clear_object (&self->original);
          self->original = popbell_account_copy (
            popbell_account_store_lookup (popbell_engine_get_account_store (self->engine),
                                          data->name));
          gtk_widget_set_sensitive (GTK_WIDGET (self->name_entry), FALSE);
        }
      text = g_strdup_printf (_("The account was saved, but its password could not be "
                                "stored: %s"), error->message);
      show_error (self, text, GTK_WIDGET (self->password_entry));
      return;
    }

  finish_saved (self, data->name);
}

static void
save_clicked_cb (PopbellAccountEditor *self)
{
  PopbellAccountStore *store = popbell_engine_get_account_store (self->engine);
  g_autoptr(PopbellAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *bad_field = NULL;
  const gchar *password = gtk_entry_get_text (self->password_entry);
  const gchar *name;

  if (self->save_cancellable != NULL)
    return;

  hide_error (self);

  account = build_account (self, FALSE, &bad_field, &error);
  if (account == NULL)
    {
      show_error (self, error->message, bad_field);
      return;
    }
  name = popbell_account_get_name (account);

  popbell_account_store_put (store, account);
  if (!popbell_engine_apply_accounts (self->engine, &error))
    {
      /* Leave the store as it was: the window keeps the user's input. */
      if (self->original != NULL)
        popbell_account_store_put (store, self->original);
      else
        popbell_account_store_remove (store, name);
      show_error (self, error->message, NULL);
      return;
    }

  if (*password == '\0')
    {
      finish_saved (self, name);
      return;
    }

  {
    SaveData *data = g_new0 (SaveData, 1);

    data->self = g_object_ref (self);
    data->name = g_strdup (name);
    self->save_cancellable = g_cancellable_new ();
    update_busy (self);
    popbell_engine_set_password_async (self->engine, name, password, self->save_cancellable,
                                       set_password_cb, data);
  }
}

static void
cancel_clicked_cb (PopbellAccountEditor *self)
{
  gtk_widget_destroy (GTK_WIDGET (self));
}

/* Showing a window focuses its first field: a focus meant for the user
 * waits until the window is on screen. */
static void
focus_when_mapped (PopbellAccountEditor *self,
                   GtkWidget            *widget)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    gtk_widget_grab_focus (widget);
  else
    g_signal_connect_object (self, "map", G_CALLBACK (gtk_widget_grab_focus), widget,
                             G_CONNECT_SWAPPED | G_CONNECT_AFTER);
}

void
popbell_account_editor_focus (PopbellAccountEditor      *self,
                              PopbellAccountEditorFocus  focus,
                              const GError              *problem)
{
  g_autofree gchar *fingerprint = NULL;

  g_return_if_fail (POPBELL_IS_ACCOUNT_EDITOR (self));

  if (focus == POPBELL_ACCOUNT_EDITOR_FOCUS_TRUST)
    fingerprint = popbell_error_dup_certificate_sha256 (problem);

  if (fingerprint == NULL)
    {
      if (focus != POPBELL_ACCOUNT_EDITOR_FOCUS_NONE)
        focus_when_mapped (self, GTK_WIDGET (self->password_entry));
      if (problem != NULL)
        gtk_label_set_text (self->test_label, problem->message);
      return;
    }

  g_free (self->certificate);
  self->certificate = g_steal_pointer (&fingerprint);
  gtk_label_set_text (self->test_label, problem->message);
  gtk_widget_show (self->trust_button);
  focus_when_mapped (self, self->trust_button);
}

gboolean
popbell_account_editor_is_busy (PopbellAccountEditor *self)
{
  g_return_val_if_fail (POPBELL_IS_ACCOUNT_EDITOR (self), FALSE);
  return self->test_cancellable != NULL || self->save_cancellable != NULL;
}

static gboolean
popbell_account_editor_key_press_event (GtkWidget   *widget,
                                        GdkEventKey *event)
{
  if (event->keyval == GDK_KEY_Escape)
    {
      gtk_widget_destroy (widget);
      return GDK_EVENT_STOP;
    }
  return GTK_WIDGET_CLASS (popbell_account_editor_parent_class)->key_press_event (widget, event);
}

static void
popbell_account_editor_dispose (GObject *object)
{
  PopbellAccountEditor *self = POPBELL_ACCOUNT_EDITOR (object);

  if (self->test_cancellable != NULL)
    g_cancellable_cancel (self->test_cancellable);
  g_clear_object (&self->test_cancellable);
  if (self->save_cancellable != NULL)
    g_cancellable_cancel (self->save_cancellable);
  g_clear_object (&self->save_cancellable);
  g_clear_object (&self->original);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (popbell_account_editor_parent_class)->dispose (object);
}

static void
popbell_account_editor_finalize (GObject *object)
{
  PopbellAccountEditor *self = POPBELL_ACCOUNT_EDITOR (object);

  g_free (self->account_name);
  g_free (self->certificate);

  G_OBJECT_CLASS (popbell_account_editor_parent_class)->finalize (object);
}

static void
popbell_account_editor_class_init (PopbellAccountEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = popbell_account_editor_dispose;
  object_class->finalize = popbell_account_editor_finalize;
  widget_class->key_press_event = popbell_account_editor_key_press_event;

  signals[SIGNAL_SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /* Referencing the resource links it in from the static library; its
   * constructor then registers it. */
  (void) popbell_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/popbell-account-editor.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PopbellAccountEditor, name)
  BIND (header_bar);
  BIND (save_button);
  BIND (cancel_button);
  BIND (error_bar);
  BIND (error_label);
  BIND (name_entry);
  BIND (host_entry);
  BIND (security_combo);
  BIND (port_spin);
  BIND (username_entry);
  BIND (password_entry);
  BIND (auth_combo);
  BIND (interval_spin);
  BIND (timeout_spin);
  BIND (ca_file_entry);
  BIND (pin_entry);
  BIND (enabled_check);
  BIND (insecure_check);
  BIND (test_button);
  BIND (test_spinner);
  BIND (trust_button);
  BIND (test_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, security_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_file_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, test_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, trust_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
}

/* auth=oauth2: the section instead of the password. */
static void
auth_changed_cb (PopbellAccountEditor *self)
{
  gboolean oauth2 = get_auth (self) == POPBELL_POP3_AUTH_OAUTH2;

  gtk_widget_set_visible (GTK_WIDGET (self->oauth2_section), oauth2);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_entry), !oauth2);
  /* A password typed before would be sent as the token, or stored. */
  if (oauth2)
    gtk_entry_set_text (self->password_entry, "");
}

static void
sign_in_requested_cb (PopbellAccountEditor *self)
{
  g_autoptr(PopbellAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *bad_field = NULL;

  hide_error (self);
  account = build_account (self, TRUE, &bad_field, &error);
  if (account == NULL)
    {
      show_error (self, error->message, bad_field);
      return;
    }
  popbell_oauth2_section_sign_in (self->oauth2_section, account);
}

/* A new sign-in is the user's answer to an authentication failure, like a
 * new password: the engine may try the stored account again at once. */
static void
signed_in_cb (PopbellAccountEditor *self)
{
  if (self->account_name != NULL)
    popbell_engine_retry_account (self->engine, self->account_name);
}

/* The section goes right under the "Authentication" row of the grid. */
static void
add_oauth2_section (PopbellAccountEditor *self)
{
  GtkWidget *grid = gtk_widget_get_parent (GTK_WIDGET (self->auth_combo));
  gint row = 0;

  gtk_container_child_get (GTK_CONTAINER (grid), GTK_WIDGET (self->auth_combo),
                           "top-attach", &row, NULL);
  self->oauth2_section = POPBELL_OAUTH2_SECTION (popbell_oauth2_section_new ());
  gtk_grid_insert_row (GTK_GRID (grid), row + 1);
  gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (self->oauth2_section), 0, row + 1, 2, 1);
  g_signal_connect_object (self->oauth2_section, "sign-in-requested",
                           G_CALLBACK (sign_in_requested_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->oauth2_section, "signed-in", G_CALLBACK (signed_in_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->auth_combo, "changed", G_CALLBACK (auth_changed_cb), self,
                           G_CONNECT_SWAPPED);
  auth_changed_cb (self);
}

static void
popbell_account_editor_init (PopbellAccountEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_oauth2_section (self);
  gtk_adjustment_set_lower (gtk_spin_button_get_adjustment (self->interval_spin), min_interval ());
}

GtkWidget *
popbell_account_editor_new (GtkWindow     *parent,
                            PopbellEngine *engine,
                            const gchar   *account_name)
{
  PopbellAccountEditor *self;
  PopbellAccount *account = NULL;
  g_autoptr(PopbellAccount) defaults = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (POPBELL_IS_ENGINE (engine), NULL);

  self = g_object_new (POPBELL_TYPE_ACCOUNT_EDITOR,
                       "transient-for", parent,
                       NULL);
  self->engine = g_object_ref (engine);

  if (account_name != NULL)
    account = popbell_account_store_lookup (popbell_engine_get_account_store (engine),
                                            account_name);

  if (account != NULL)
    {
      self->account_name = g_strdup (account_name);
      self->original = popbell_account_copy (account);
      load_account (self, account);
      /* Renaming would orphan unknown keys and comments of the group. */
      gtk_widget_set_sensitive (GTK_WIDGET (self->name_entry), FALSE);
      gtk_header_bar_set_title (self->header_bar, _("Edit Account"));
      gtk_entry_set_placeholder_text (self->password_entry,
                                      _("Unchanged (stored in the keyring)"));
    }
  else
    {
      defaults = popbell_account_new ("new");
      load_account (self, defaults);
      gtk_entry_set_text (self->name_entry, "");
      gtk_toggle_button_set_active (self->enabled_check, TRUE);
      gtk_entry_set_placeholder_text (self->password_entry, _("Stored in the keyring"));
    }

  gtk_widget_grab_default (self->save_button);
  return GTK_WIDGET (self);
}
