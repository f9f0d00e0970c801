/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>

#include "popbell-account-editor.h"
#include "popbell-autostart.h"
#include "popbell-diagnostics.h"
#include "popbell-mail-client.h"
#include "popbell-preferences-window.h"
#include "popbell-secret-credentials.h"
#include "popbell-resources.h"

/* Typing in the mail client field is saved once the user pauses. */
#define MAIL_CLIENT_SAVE_DELAY_MS 500

#define ROW_ACCOUNT_KEY "popbell-account-name"

struct _PopbellPreferencesWindow
{
  GtkApplicationWindow parent_instance;

  PopbellEngine *engine;             /* (owned) */
  guint          mail_client_save_id; /* 0 unless a save is pending */
  guint          refresh_id;         /* 0 unless a list refresh is pending */
  GtkWidget     *confirm_dialog;     /* (nullable): the open "Remove?" question */

  GtkWidget     *error_bar;
  GtkLabel      *error_label;
  GtkListBox    *accounts_list;
  GtkWidget     *add_button;
  GtkWidget     *edit_button;
  GtkWidget     *remove_button;
  GtkWidget     *diagnostics_button;
  GCancellable  *diagnostics_cancellable;  /* (owned) (nullable): a report is being made */
  GtkSwitch     *autostart_switch;
  GtkEntry      *mail_client_entry;
};

G_DEFINE_FINAL_TYPE (PopbellPreferencesWindow, popbell_preferences_window,
                     GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void autostart_active_cb (PopbellPreferencesWindow *self);

static void
show_error (PopbellPreferencesWindow *self,
            const gchar              *message)
{
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->error_bar), GTK_MESSAGE_ERROR);
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (self->error_bar);
}

static void
show_info (PopbellPreferencesWindow *self,
           const gchar              *message)
{
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->error_bar), GTK_MESSAGE_INFO);
  gtk_label_set_text (self->error_label, message);
  gtk_widget_show (self->error_bar);
}

static void
error_bar_response_cb (PopbellPreferencesWindow *self,
                       gint                      response)
{
  gtk_widget_hide (self->error_bar);
}

static const gchar *
selected_account (PopbellPreferencesWindow *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->accounts_list);

  return row != NULL ? g_object_get_data (G_OBJECT (row), ROW_ACCOUNT_KEY) : NULL;
}

static GtkWidget *
account_row_new (PopbellPreferencesWindow *self,
                 PopbellAccount           *account)
{
  g_autoptr(PopbellAccountStatus) status =
    popbell_engine_dup_status (self->engine, popbell_account_get_name (account));
  const GError *failure = status != NULL ? popbell_account_status_get_error (status) : NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (popbell_account_get_name (account));
  GtkWidget *subtitle;
  g_autofree gchar *details = NULL;
  PangoAttrList *attrs = pango_attr_list_new ();

  /* TRANSLATORS: account details in the preferences list:
   * user name, server and port, e.g. "alice on pop.example.org:995" */
  details = g_strdup_printf (_("%s on %s:%u"),
                             popbell_account_get_username (account) != NULL
                             ? popbell_account_get_username (account) : "",
                             popbell_account_get_host (account) != NULL
                             ? popbell_account_get_host (account) : "",
                             popbell_account_get_port (account));
  if (!popbell_account_get_enabled (account))
    {
      /* TRANSLATORS: appended to the details of a switched-off account */
      g_autofree gchar *tmp = g_strdup_printf (_("%s (not checked)"), details);
      g_free (details);
      details = g_steal_pointer (&tmp);
    }
  subtitle = gtk_label_new (details);

  pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  gtk_label_set_attributes (GTK_LABEL (title), attrs);
  pango_attr_list_unref (attrs);
  gtk_label_set_xalign (GTK_LABEL (title), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_style_context_add_class (gtk_widget_get_style_context (subtitle), "dim-label");

  g_object_set (box, "margin", 8, NULL);
  gtk_container_add (GTK_CONTAINER (box), title);
  gtk_container_add (GTK_CONTAINER (box), subtitle);

  /* The last failure, so that a rejected password or an untrusted
   * certificate is visible where it is fixed. */
  if (failure != NULL)
    {
      GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *problem = gtk_label_new (failure->message);

      /* An icon, not a colour: red text is unreadable on a selected row. */
      if (popbell_account_status_needs_attention (status))
        {
          GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic",
                                                          GTK_ICON_SIZE_MENU);

          gtk_widget_set_valign (icon, GTK_ALIGN_START);
          gtk_widget_set_name (icon, "account-problem-icon");
          gtk_container_add (GTK_CONTAINER (line), icon);
        }
      gtk_label_set_xalign (GTK_LABEL (problem), 0.0);
      gtk_label_set_line_wrap (GTK_LABEL (problem), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (problem), 60);
      gtk_widget_set_name (problem, "account-problem");
      gtk_container_add (GTK_CONTAINER (line), problem);
      gtk_container_add (GTK_CONTAINER (box), line);
    }

  gtk_container_add (GTK_CONTAINER (row), box);
  g_object_set_data_full (G_OBJECT (row), ROW_ACCOUNT_KEY,
                          g_strdup (popbell_account_get_name (account)), g_free);
  gtk_widget_show_all (row);
  return row;
}

static void
refresh_accounts (PopbellPreferencesWindow *self,
                  const gchar              *select)
{
  PopbellAccountStore *store = popbell_engine_get_account_store (self->engine);
  g_autoptr(GPtrArray) accounts = store != NULL ? popbell_account_store_list (store) : NULL;
  g_autofree gchar *keep = g_strdup (select != NULL ? select : selected_account (self));
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->accounts_list));

  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);

  for (guint i = 0; accounts != NULL && i < accounts->len; i++)
    {
      PopbellAccount *account = g_ptr_array_index (accounts, i);
      GtkWidget *row = account_row_new (self, account);

      gtk_container_add (GTK_CONTAINER (self->accounts_list), row);
      if (g_strcmp0 (keep, popbell_account_get_name (account)) == 0)
        gtk_list_box_select_row (self->accounts_list, GTK_LIST_BOX_ROW (row));
    }
}

static void
row_selected_cb (PopbellPreferencesWindow *self,
                 GtkListBoxRow            *row)
{
  gtk_widget_set_sensitive (self->edit_button, row != NULL);
  gtk_widget_set_sensitive (self->remove_button, row != NULL);
  gtk_widget_set_sensitive (self->diagnostics_button,
                            row != NULL && self->diagnostics_cancellable == NULL);
}

/* "Copy diagnostics" (SPEC §5 "Diagnostics"): the same report as
 * `popbell --diagnostics NAME`, onto the clipboard. */
typedef struct {
  PopbellPreferencesWindow *self;  /* (owned) */
  gchar                    *name;  /* (owned) */
} DiagnosticsData;

static void
diagnostics_data_free (DiagnosticsData *data)
{
  g_object_unref (data->self);
  g_free (data->name);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DiagnosticsData, diagnostics_data_free)

static void
diagnostics_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(DiagnosticsData) data = user_data;
  PopbellPreferencesWindow *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *report = popbell_diagnostics_run_finish (result, NULL, &error);
  g_autofree gchar *text = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the window closed */
  g_clear_object (&self->diagnostics_cancellable);
  row_selected_cb (self, gtk_list_box_get_selected_row (self->accounts_list));

  if (report == NULL)
    {
      show_error (self, error->message);
      return;
    }
  gtk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self), GDK_SELECTION_CLIPBOARD),
                          report, -1);
  text = g_strdup_printf (_("The diagnostics of “%s” are on the clipboard: paste them into "
                            "your bug report."), data->name);
  show_info (self, text);
}

static void
diagnostics_clicked_cb (PopbellPreferencesWindow *self)
{
  PopbellAccountStore *store = popbell_engine_get_account_store (self->engine);
  const gchar *name = selected_account (self);
  g_autoptr(PopbellCredentials) credentials = NULL;
  PopbellAccount *account;
  DiagnosticsData *data;

  account = name != NULL ? popbell_account_store_lookup (store, name) : NULL;
  if (account == NULL || self->diagnostics_cancellable != NULL)
    return;

  data = g_new0 (DiagnosticsData, 1);
  data->self = g_object_ref (self);
  data->name = g_strdup (name);
  self->diagnostics_cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (self->diagnostics_button, FALSE);
  show_info (self, _("Connecting to the server for the diagnostics…"));
  credentials = popbell_secret_credentials_new ();
  popbell_diagnostics_run_async (account, credentials, self->diagnostics_cancellable,
                                 diagnostics_done_cb, data);
}

/* For tests: TRUE while a diagnostics report is being made. */
gboolean
popbell_preferences_window_is_busy (PopbellPreferencesWindow *self)
{
  g_return_val_if_fail (POPBELL_IS_PREFERENCES_WINDOW (self), FALSE);
  return self->diagnostics_cancellable != NULL;
}

static void
editor_saved_cb (PopbellPreferencesWindow *self,
                 const gchar              *account_name)
{
  refresh_accounts (self, account_name);
}

static GtkWidget *
open_editor (PopbellPreferencesWindow *self,
             const gchar              *account_name)
{
  GtkWidget *editor = popbell_account_editor_new (GTK_WINDOW (self), self->engine, account_name);

  g_signal_connect_object (editor, "saved", G_CALLBACK (editor_saved_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (editor));
  return editor;
}

void
popbell_preferences_window_edit_account (PopbellPreferencesWindow  *self,
                                         const gchar               *account_name,
                                         PopbellAccountEditorFocus  focus,
                                         const GError              *problem)
{
  GtkWidget *editor;

  g_return_if_fail (POPBELL_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (account_name != NULL);

  editor = open_editor (self, account_name);
  popbell_account_editor_focus (POPBELL_ACCOUNT_EDITOR (editor), focus, problem);
}

static void
add_clicked_cb (PopbellPreferencesWindow *self)
{
  open_editor (self, NULL);
}

static void
edit_clicked_cb (PopbellPreferencesWindow *self)
{
  const gchar *name = selected_account (self);

  if (name != NULL)
    open_editor (self, name);
}

static void
row_activated_cb (PopbellPreferencesWindow *self,
                  GtkListBoxRow            *row)
{
  open_editor (self, g_object_get_data (G_OBJECT (row), ROW_ACCOUNT_KEY));
}

static void
password_forgotten_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(PopbellPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!popbell_engine_forget_password_finish (POPBELL_ENGINE (source), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !gtk_widget_in_destruction (GTK_WIDGET (self)))
    show_error (self, error->message);
}

static void
remove_response_cb (GtkDialog *dialog,
                    gint       response,
                    gpointer   user_data)
{
  PopbellPreferencesWindow *self = POPBELL_PREFERENCES_WINDOW (user_data);
  PopbellAccountStore *store = popbell_engine_get_account_store (self->engine);
  g_autofree gchar *name = g_strdup (g_object_get_data (G_OBJECT (dialog), ROW_ACCOUNT_KEY));
  g_autoptr(PopbellAccount) removed = NULL;
  g_autoptr(GError) error = NULL;

  self->confirm_dialog = NULL;
  gtk_widget_destroy (GTK_WIDGET (dialog));

  if (response != GTK_RESPONSE_ACCEPT || name == NULL)
    return;

  if (popbell_account_store_lookup (store, name) != NULL)
    removed = popbell_account_copy (popbell_account_store_lookup (store, name));
  popbell_account_store_remove (store, name);
  if (!popbell_engine_apply_accounts (self->engine, &error))
    {
      if (removed != NULL)
        popbell_account_store_put (store, removed);
      show_error (self, error->message);
    }
  else if (removed != NULL)
    {
      /* A removed account leaves no password behind (the engine keeps it
       * while another account logs in as the same user on that host). */
      popbell_engine_forget_password_async (self->engine, removed, NULL,
                                            password_forgotten_cb, g_object_ref (self));
    }
  refresh_accounts (self, NULL);
}

static void
remove_clicked_cb (PopbellPreferencesWindow *self)
{
  const gchar *name = selected_account (self);
  GtkWidget *dialog;
  GtkWidget *button;

  if (name == NULL || self->confirm_dialog != NULL)
    return;

  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   _("Remove the account “%s”?"), name);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                            _("Popbell will stop checking this mailbox. "
                                              "The mail on the server is not touched."));
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Remove"), GTK_RESPONSE_ACCEPT);
  gtk_style_context_add_class (gtk_widget_get_style_context (button), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  g_object_set_data_full (G_OBJECT (dialog), ROW_ACCOUNT_KEY, g_strdup (name), g_free);

  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  self->confirm_dialog = dialog;
  gtk_widget_show (dialog);
}

static void
autostart_active_cb (PopbellPreferencesWindow *self)
{
  gboolean active = gtk_switch_get_active (self->autostart_switch);
  g_autoptr(GError) error = NULL;

  if (popbell_autostart_set_enabled (active, &error))
    return;

  show_error (self, error->message);
  g_signal_handlers_block_by_func (self->autostart_switch, autostart_active_cb, self);
  gtk_switch_set_active (self->autostart_switch, popbell_autostart_is_enabled ());
  g_signal_handlers_unblock_by_func (self->autostart_switch, autostart_active_cb, self);
}

void
popbell_preferences_window_flush (PopbellPreferencesWindow *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (POPBELL_IS_PREFERENCES_WINDOW (self));

  if (self->mail_client_save_id == 0)
    return;
  g_clear_handle_id (&self->mail_client_save_id, g_source_remove);

  if (!popbell_mail_client_set_command (gtk_entry_get_text (self->mail_client_entry), &error))
    show_error (self, error->message);
}

static gboolean
mail_client_save_cb (gpointer user_data)
{
  PopbellPreferencesWindow *self = POPBELL_PREFERENCES_WINDOW (user_data);
  g_autoptr(GError) error = NULL;

  self->mail_client_save_id = 0;
  if (!popbell_mail_client_set_command (gtk_entry_get_text (self->mail_client_entry), &error))
    show_error (self, error->message);
  return G_SOURCE_REMOVE;
}

static void
mail_client_changed_cb (PopbellPreferencesWindow *self)
{
  g_clear_handle_id (&self->mail_client_save_id, g_source_remove);
  self->mail_client_save_id = g_timeout_add (MAIL_CLIENT_SAVE_DELAY_MS, mail_client_save_cb, self);
}

static void
mail_client_activate_cb (PopbellPreferencesWindow *self)
{
  popbell_preferences_window_flush (self);
}

static void
engine_accounts_changed_cb (PopbellPreferencesWindow *self)
{
  refresh_accounts (self, NULL);
}

static gboolean
refresh_idle_cb (gpointer user_data)
{
  PopbellPreferencesWindow *self = POPBELL_PREFERENCES_WINDOW (user_data);

  self->refresh_id = 0;
  refresh_accounts (self, NULL);
  return G_SOURCE_REMOVE;
}

/* Status changes come in bursts (running, done, rescheduled): rebuild the
 * list once they settle, not on every one. */
static void
engine_status_changed_cb (PopbellPreferencesWindow *self,
                          const gchar              *account_name)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add (refresh_idle_cb, self);
}

static void
popbell_preferences_window_constructed (GObject *object)
{
  PopbellPreferencesWindow *self = POPBELL_PREFERENCES_WINDOW (object);
  g_autofree gchar *command = popbell_mail_client_dup_command ();

  G_OBJECT_CLASS (popbell_preferences_window_parent_class)->constructed (object);

  g_signal_handlers_block_by_func (self->autostart_switch, autostart_active_cb, self);
  gtk_switch_set_active (self->autostart_switch, popbell_autostart_is_enabled ());
  g_signal_handlers_unblock_by_func (self->autostart_switch, autostart_active_cb, self);

  g_signal_handlers_block_by_func (self->mail_client_entry, mail_client_changed_cb, self);
  gtk_entry_set_text (self->mail_client_entry, command != NULL ? command : "");
  g_signal_handlers_unblock_by_func (self->mail_client_entry, mail_client_changed_cb, self);

  g_signal_connect_object (self->engine, "accounts-changed",
                           G_CALLBACK (engine_accounts_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->engine, "status-changed",
                           G_CALLBACK (engine_status_changed_cb), self, G_CONNECT_SWAPPED);
  refresh_accounts (self, NULL);
}

static void
popbell_preferences_window_set_property (GObject      *object,
                                         guint         prop_id,
                                         const GValue *value,
                                         GParamSpec   *pspec)
{
  PopbellPreferencesWindow *self = POPBELL_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
popbell_preferences_window_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  PopbellPreferencesWindow *self = POPBELL_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
popbell_preferences_window_dispose (GObject *object)
{
  PopbellPreferencesWindow *self = POPBELL_PREFERENCES_WINDOW (object);

  /* Closing the window must not lose what was just typed. */
  if (self->mail_client_entry != NULL)
    popbell_preferences_window_flush (self);
  g_clear_handle_id (&self->mail_client_save_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->confirm_dialog != NULL)
    gtk_widget_destroy (g_steal_pointer (&self->confirm_dialog));
  if (self->diagnostics_cancellable != NULL)
    g_cancellable_cancel (self->diagnostics_cancellable);
  g_clear_object (&self->diagnostics_cancellable);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (popbell_preferences_window_parent_class)->dispose (object);
}

static void
popbell_preferences_window_class_init (PopbellPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = popbell_preferences_window_constructed;
  object_class->set_property = popbell_preferences_window_set_property;
  object_class->get_property = popbell_preferences_window_get_property;
  object_class->dispose = popbell_preferences_window_dispose;

  props[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, POPBELL_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* Referencing the resource links it in from the static library; its
   * constructor then registers it. */
  (void) popbell_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/popbell-preferences-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PopbellPreferencesWindow, name)
  BIND (error_bar);
  BIND (error_label);
  BIND (accounts_list);
  BIND (add_button);
  BIND (edit_button);
  BIND (remove_button);
  BIND (diagnostics_button);
  BIND (autostart_switch);
  BIND (mail_client_entry);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, error_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, remove_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, diagnostics_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, autostart_active_cb);
  gtk_widget_class_bind_template_callback (widget_class, mail_client_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, mail_client_activate_cb);
}

static void
popbell_preferences_window_init (PopbellPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
popbell_preferences_window_new (GtkApplication *app,
                                PopbellEngine  *engine)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (POPBELL_IS_ENGINE (engine), NULL);

  return g_object_new (POPBELL_TYPE_PREFERENCES_WINDOW,
                       "application", app,
                       "engine", engine,
                       NULL);
}
