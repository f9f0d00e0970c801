/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>

#include "popbell-mail-client.h"
#include "popbell-preview-window.h"
#include "popbell-resources.h"

/* One entry of the previous/next list. */
typedef struct {
  gchar    *account;  /* (owned) */
  gchar    *uid;      /* (owned) (nullable): NULL = newest on the server */
  gboolean  unseen;   /* still in the engine's unseen list */
} PreviewItem;

static PreviewItem *
preview_item_new (const gchar *account,
                  const gchar *uid,
                  gboolean     unseen)
{
  PreviewItem *item = g_new0 (PreviewItem, 1);

  item->account = g_strdup (account);
  item->uid = g_strdup (uid);
  item->unseen = unseen;
  return item;
}

static void
preview_item_free (PreviewItem *item)
{
  g_free (item->account);
  g_free (item->uid);
  g_free (item);
}

struct _PopbellPreviewWindow
{
  GtkApplicationWindow parent_instance;

  PopbellEngine  *engine;        /* (owned) */
  GPtrArray      *items;         /* (owned) (element-type PreviewItem): newest first */
  guint           position;      /* index into items; meaningless when empty */
  PopbellMessage *message;       /* (owned) (nullable): the message shown */
  GCancellable   *cancellable;   /* (owned) (nullable): non-NULL ⇔ fetch or delete running */
  GtkWidget      *confirm_dialog; /* (nullable): the open "Delete?" question */

  GtkHeaderBar   *header_bar;
  GtkWidget      *previous_button;
  GtkWidget      *next_button;
  GtkWidget      *open_client_button;
  GtkWidget      *error_bar;
  GtkLabel       *error_label;
  GtkWidget      *partial_bar;
  GtkLabel       *partial_label;
  GtkWidget      *load_full_button;
  GtkStack       *stack;
  GtkLabel       *status_label;
  GtkSpinner     *spinner;
  GtkLabel       *loading_label;
  GtkWidget      *cancel_button;
  GtkLabel       *from_label;
  GtkLabel       *to_label;
  GtkLabel       *date_label;
  GtkLabel       *subject_label;
  GtkTextView    *body_view;
  GtkRevealer    *attachments_revealer;
  GtkListBox     *attachments_list;
  GtkWidget      *mark_seen_button;
  GtkLabel       *position_label;
  GtkWidget      *delete_button;
};

G_DEFINE_FINAL_TYPE (PopbellPreviewWindow, popbell_preview_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_ENGINE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

/* Per-operation data: a callback whose cancellable is no longer the
 * window's current one belongs to a superseded operation. */
typedef struct {
  PopbellPreviewWindow *self;        /* (owned) */
  GCancellable         *cancellable; /* (owned) */
  gchar                *account;     /* (owned) */
  gchar                *uid;         /* (owned) (nullable) */
} OperationData;

static OperationData *
operation_data_new (PopbellPreviewWindow *self,
                    const gchar          *account,
                    const gchar          *uid)
{
  OperationData *data = g_new0 (OperationData, 1);

  data->self = g_object_ref (self);
  data->cancellable = g_object_ref (self->cancellable);
  data->account = g_strdup (account);
  data->uid = g_strdup (uid);
  return data;
}

static void
operation_data_free (OperationData *data)
{
  g_object_unref (data->self);
  g_object_unref (data->cancellable);
  g_free (data->account);
  g_free (data->uid);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OperationData, operation_data_free)

/* TRUE when the callback of @data may still touch the window. */
static gboolean
operation_is_current (OperationData *data)
{
  return data->self->cancellable == data->cancellable &&
         !g_cancellable_is_cancelled (data->cancellable);
}

static PreviewItem *
current_item (PopbellPreviewWindow *self)
{
  if (self->items->len == 0)
    return NULL;
  return g_ptr_array_index (self->items, MIN (self->position, self->items->len - 1));
}

static void
set_label_text (GtkLabel    *label,
                const gchar *text)
{
  /* The core hands out valid UTF-8; make sure anyway, a label must not
   * choke on what a server sent. Always plain text, never markup. */
  g_autofree gchar *valid = g_utf8_make_valid (text != NULL ? text : "", -1);

  gtk_label_set_text (label, valid);
}

static void
show_error (PopbellPreviewWindow *self,
            const gchar          *message)
{
  set_label_text (self->error_label, message);
  gtk_widget_show (self->error_bar);
  gtk_info_bar_set_revealed (GTK_INFO_BAR (self->error_bar), TRUE);
}

static void
hide_error (PopbellPreviewWindow *self)
{
  gtk_widget_hide (self->error_bar);
}

static void
show_status (PopbellPreviewWindow *self,
             const gchar          *text)
{
  gtk_label_set_text (self->status_label, text);
  gtk_stack_set_visible_child_name (self->stack, "status");
  gtk_widget_hide (self->partial_bar);
}

static void
stop_busy (PopbellPreviewWindow *self)
{
  g_clear_object (&self->cancellable);
  gtk_spinner_stop (self->spinner);
}

static void
start_busy (PopbellPreviewWindow *self,
            const gchar          *text)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  gtk_label_set_text (self->loading_label, text);
  gtk_spinner_start (self->spinner);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  gtk_widget_hide (self->partial_bar);
  hide_error (self);
}

static void
update_controls (PopbellPreviewWindow *self)
{
  PreviewItem *item = current_item (self);
  gboolean busy = self->cancellable != NULL;
  gboolean shown = self->message != NULL && !busy;
  gtk_widget_set_sensitive (self->previous_button, self->items->len > 0 && self->position > 0);
  gtk_widget_set_sensitive (self->next_button, self->position + 1 < self->items->len);
  gtk_widget_set_sensitive (self->mark_seen_button, shown && item != NULL && item->unseen);
  gtk_widget_set_sensitive (self->delete_button, shown && item != NULL);

  if (item != NULL && item->uid != NULL && self->items->len > 1)
    {
      /* TRANSLATORS: position in the list of new messages, e.g. "2 of 5" */
      g_autofree gchar *text = g_strdup_printf (_("%u of %u"), self->position + 1,
                                                self->items->len);
      gtk_label_set_text (self->position_label, text);
    }
  else if (item != NULL && item->uid == NULL)
    {
      gtk_label_set_text (self->position_label, _("Newest message on the server"));
    }
  else
    {
      gtk_label_set_text (self->position_label, "");
    }

  if (item != NULL)
    gtk_header_bar_set_subtitle (self->header_bar, item->account);
  else
    gtk_header_bar_set_subtitle (self->header_bar, NULL);
}

static gchar *
format_date (GDateTime *date)
{
  g_autoptr(GDateTime) local = NULL;

  if (date == NULL)
    return g_strdup (_("Unknown"));

  local = g_date_time_to_local (date);
  /* TRANSLATORS: strftime-like format of the message date in the preview,
   * see g_date_time_format(); e.g. "Thu, 3 Dec 2026, 10:00" (%-d: the day
   * without padding; %e would pad it with a space) */
  return g_date_time_format (local, _("%a, %-d %b %Y, %H:%M"));
}

static GtkWidget *
attachment_row_new (PopbellAttachment *attachment,
                    gboolean           complete)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon;
  GtkWidget *name;
  GtkWidget *size;
  g_autofree gchar *size_text = g_format_size (attachment->size);
  g_autoptr(GIcon) gicon = NULL;

  gicon = g_content_type_get_symbolic_icon (attachment->content_type != NULL
                                            ? attachment->content_type
                                            : "application/octet-stream");
  icon = gtk_image_new_from_gicon (gicon, GTK_ICON_SIZE_MENU);

  name = gtk_label_new (NULL);
  set_label_text (GTK_LABEL (name), *attachment->filename != '\0'
                                    ? attachment->filename : _("Unnamed attachment"));
  gtk_label_set_xalign (GTK_LABEL (name), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_set_tooltip_text (name, attachment->content_type);
  gtk_widget_set_name (name, "attachment-name");

  if (!complete)
    {
      /* TRANSLATORS: the size of an attachment of a partly loaded message
       * is only an estimate, e.g. "about 1.2 MB" */
      g_autofree gchar *about = g_strdup_printf (_("about %s"), size_text);
      size = gtk_label_new (about);
    }
  else
    {
      size = gtk_label_new (size_text);
    }
  gtk_widget_set_name (size, "attachment-size");
  gtk_style_context_add_class (gtk_widget_get_style_context (size), "dim-label");

  gtk_container_add (GTK_CONTAINER (box), icon);
  gtk_container_add (GTK_CONTAINER (box), name);
  gtk_container_add (GTK_CONTAINER (box), size);
  g_object_set (box, "margin", 6, NULL);
  gtk_widget_show_all (box);
  return box;
}

static void
display_message (PopbellPreviewWindow *self)
{
  PopbellMessage *message = self->message;
  const gchar *subject = popbell_message_get_subject (message);
  g_autofree gchar *date = format_date (popbell_message_get_date (message));
  g_autofree gchar *body = g_utf8_make_valid (popbell_message_get_body (message) != NULL
                                              ? popbell_message_get_body (message) : "", -1);
  GPtrArray *attachments = popbell_message_get_attachments (message);
  gboolean complete = popbell_message_is_complete (message);
  g_autoptr(GList) rows = NULL;

  set_label_text (self->from_label, popbell_message_get_from (message));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->from_label),
                               gtk_label_get_text (self->from_label));
  set_label_text (self->to_label, popbell_message_get_to (message));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->to_label),
                               gtk_label_get_text (self->to_label));
  set_label_text (self->date_label, date);
  set_label_text (self->subject_label, subject != NULL && *subject != '\0'
                                       ? subject : _("(no subject)"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->body_view), body, -1);

  rows = gtk_container_get_children (GTK_CONTAINER (self->attachments_list));
  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  for (guint i = 0; attachments != NULL && i < attachments->len; i++)
    gtk_container_add (GTK_CONTAINER (self->attachments_list),
                       attachment_row_new (g_ptr_array_index (attachments, i), complete));
  gtk_revealer_set_reveal_child (self->attachments_revealer,
                                 attachments != NULL && attachments->len > 0);

  if (!complete)
    {
      guint64 size = popbell_message_get_size_on_server (message);
      g_autofree gchar *size_text = g_format_size (size);
      g_autofree gchar *text = NULL;

      if (size > POPBELL_PREVIEW_MAX_MESSAGE_SIZE)
        {
          g_autofree gchar *cap = g_format_size (POPBELL_PREVIEW_MAX_MESSAGE_SIZE);

          text = g_strdup_printf (_("Only the beginning of this message was loaded. "
                                    "The whole message (%s) is larger than the preview "
                                    "loads (%s): open it in your mail client."),
                                  size_text, cap);
        }
      else
        {
          text = g_strdup_printf (_("Only the beginning of this message was loaded "
                                    "(%s on the server)."), size_text);
        }
      gtk_label_set_text (self->partial_label, text);
      gtk_widget_set_sensitive (self->load_full_button,
                                size <= POPBELL_PREVIEW_MAX_MESSAGE_SIZE);
      gtk_widget_show (self->partial_bar);
    }
  else
    {
      gtk_widget_hide (self->partial_bar);
    }

  gtk_window_set_title (GTK_WINDOW (self), gtk_label_get_text (self->subject_label));
  gtk_stack_set_visible_child_name (self->stack, "message");
}

/* Showing a message acknowledges it (SPEC §5 "Preview"): it leaves the
 * unseen list and the count on the icon drops. It keeps its place in the
 * window's list, so that "previous" still leads back to it. */
static void
acknowledge_current (PopbellPreviewWindow *self)
{
  PreviewItem *item = current_item (self);
  g_autofree gchar *account = NULL;
  g_autofree gchar *uid = NULL;

  if (item == NULL || !item->unseen || item->uid == NULL)
    return;

  /* Copies: mark_seen emits ::status-changed, whose handler may touch the
   * list while the engine still reads the strings. */
  account = g_strdup (item->account);
  uid = g_strdup (item->uid);
  item->unseen = FALSE;
  popbell_engine_mark_seen (self->engine, account, uid);
}

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(OperationData) data = user_data;
  PopbellPreviewWindow *self = data->self;
  g_autoptr(PopbellMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = popbell_engine_fetch_message_finish (POPBELL_ENGINE (source), result, &error);

  /* Cancelled (Cancel, navigation, window closed): silent, whoever
   * cancelled has already updated the window. */
  if (!operation_is_current (data) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  stop_busy (self);

  if (message == NULL)
    {
      show_error (self, error->message);
      if (self->message != NULL)
        gtk_stack_set_visible_child_name (self->stack, "message");
      else
        show_status (self, _("The message could not be loaded."));
      update_controls (self);
      return;
    }

  g_clear_pointer (&self->message, popbell_message_unref);
  self->message = g_steal_pointer (&message);
  display_message (self);
  acknowledge_current (self);
  update_controls (self);
}

/* The strings handed to the engine belong to the operation, not to @item:
 * an engine signal may rebuild the list (and free @item) at any time. */
static void
start_fetch (PopbellPreviewWindow *self,
             PreviewItem          *item,
             gboolean              full)
{
  OperationData *data = operation_data_new (self, item->account, item->uid);

  popbell_engine_fetch_message_async (self->engine, data->account, data->uid, full,
                                      POPBELL_PREVIEW_MAX_MESSAGE_SIZE, self->cancellable,
                                      fetch_cb, data);
  update_controls (self);
}

static void
fetch_current (PopbellPreviewWindow *self,
               gboolean              full)
{
  PreviewItem *item = current_item (self);

  g_clear_pointer (&self->message, popbell_message_unref);

  if (item == NULL)
    {
      PopbellAccountStore *store = popbell_engine_get_account_store (self->engine);
      g_autoptr(GPtrArray) accounts = store != NULL ? popbell_account_store_list (store) : NULL;

      if (self->cancellable != NULL)
        g_cancellable_cancel (self->cancellable);
      stop_busy (self);
      if (accounts != NULL && accounts->len > 0)
        show_status (self, _("No account is switched on. Switch one on in the preferences."));
      else
        show_status (self, _("No accounts are set up. Add one in the preferences."));
      update_controls (self);
      return;
    }

  start_busy (self, full ? _("Loading the whole message…") : _("Loading the message…"));
  start_fetch (self, item, full);
}

/* The previous/next list: the engine's unseen messages, newest first; when
 * there are none, the newest message of the first enabled account. */
static void
reload_items (PopbellPreviewWindow *self)
{
  g_autoptr(GPtrArray) unseen = popbell_engine_list_unseen (self->engine);

  g_ptr_array_set_size (self->items, 0);

  for (guint i = 0; unseen != NULL && i < unseen->len; i++)
    {
      PopbellMailSummary *summary = g_ptr_array_index (unseen, i);

      g_ptr_array_add (self->items,
                       preview_item_new (popbell_mail_summary_get_account_name (summary),
                                         popbell_mail_summary_get_uid (summary), TRUE));
    }

  if (self->items->len == 0)
    {
      PopbellAccountStore *store = popbell_engine_get_account_store (self->engine);
      g_autoptr(GPtrArray) accounts = store != NULL ? popbell_account_store_list (store) : NULL;

      for (guint i = 0; accounts != NULL && i < accounts->len; i++)
        {
          PopbellAccount *account = g_ptr_array_index (accounts, i);

          if (popbell_account_get_enabled (account))
            {
              g_ptr_array_add (self->items,
                               preview_item_new (popbell_account_get_name (account), NULL, FALSE));
              break;
            }
        }
    }
}

static gint
find_item (PopbellPreviewWindow *self,
           const gchar          *account,
           const gchar          *uid)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      PreviewItem *item = g_ptr_array_index (self->items, i);

      if (g_strcmp0 (item->account, account) == 0 && g_strcmp0 (item->uid, uid) == 0)
        return (gint) i;
    }
  return -1;
}

void
popbell_preview_window_show_newest (PopbellPreviewWindow *self)
{
  g_return_if_fail (POPBELL_IS_PREVIEW_WINDOW (self));

  reload_items (self);
  self->position = 0;
  gtk_window_present (GTK_WINDOW (self));
  fetch_current (self, FALSE);
}

void
popbell_preview_window_show_message (PopbellPreviewWindow *self,
                                     const gchar          *account_name,
                                     const gchar          *uid)
{
  gint found;

  g_return_if_fail (POPBELL_IS_PREVIEW_WINDOW (self));
  g_return_if_fail (account_name != NULL);

  reload_items (self);
  found = find_item (self, account_name, uid);
  if (found < 0)
    {
      /* Not (or no longer) unseen: show it alone at the front. */
      g_ptr_array_insert (self->items, 0, preview_item_new (account_name, uid, FALSE));
      found = 0;
    }
  self->position = (guint) found;
  gtk_window_present (GTK_WINDOW (self));
  fetch_current (self, FALSE);
}

PopbellMessage *
popbell_preview_window_get_message (PopbellPreviewWindow *self)
{
  g_return_val_if_fail (POPBELL_IS_PREVIEW_WINDOW (self), NULL);
  return self->message;
}

gboolean
popbell_preview_window_is_busy (PopbellPreviewWindow *self)
{
  g_return_val_if_fail (POPBELL_IS_PREVIEW_WINDOW (self), FALSE);
  return self->cancellable != NULL;
}

/* New mail or seen elsewhere (tray, notification): new unseen messages
 * join the list at the front (newest first); the messages already in it
 * stay where they are, seen or not, so that the user's place and
 * previous/next still hold. */
static void
engine_status_changed_cb (PopbellPreviewWindow *self,
                          const gchar          *account_name)
{
  g_autoptr(GPtrArray) unseen = NULL;
  PreviewItem *item = current_item (self);
  guint added = 0;

  if (item == NULL || item->uid == NULL)
    return;

  unseen = popbell_engine_list_unseen (self->engine);
  for (guint i = 0; i < self->items->len; i++)
    ((PreviewItem *) g_ptr_array_index (self->items, i))->unseen = FALSE;
  for (guint i = 0; i < unseen->len; i++)
    {
      PopbellMailSummary *summary = g_ptr_array_index (unseen, i);
      const gchar *account = popbell_mail_summary_get_account_name (summary);
      const gchar *uid = popbell_mail_summary_get_uid (summary);
      gint found = find_item (self, account, uid);

      if (found >= 0)
        ((PreviewItem *) g_ptr_array_index (self->items, found))->unseen = TRUE;
      else
        g_ptr_array_insert (self->items, added++, preview_item_new (account, uid, TRUE));
    }
  self->position += added;
  update_controls (self);
}

static void
previous_clicked_cb (PopbellPreviewWindow *self)
{
  if (self->position == 0)
    return;
  self->position--;
  fetch_current (self, FALSE);
}

static void
next_clicked_cb (PopbellPreviewWindow *self)
{
  if (self->position + 1 >= self->items->len)
    return;
  self->position++;
  fetch_current (self, FALSE);
}

static void
cancel_clicked_cb (PopbellPreviewWindow *self)
{
  if (self->cancellable == NULL)
    return;

  g_cancellable_cancel (self->cancellable);
  stop_busy (self);
  if (self->message != NULL)
    gtk_stack_set_visible_child_name (self->stack, "message");
  else
    show_status (self, _("Loading was cancelled."));
  update_controls (self);
}

static void
load_full_clicked_cb (PopbellPreviewWindow *self)
{
  PreviewItem *item = current_item (self);

  if (item == NULL || self->message == NULL)
    return;
  if (popbell_message_get_size_on_server (self->message) > POPBELL_PREVIEW_MAX_MESSAGE_SIZE)
    return;

  /* Pin the UID: "newest on the server" could be another message by now. */
  if (item->uid == NULL)
    item->uid = g_strdup (popbell_message_get_uid (self->message));

  start_busy (self, _("Loading the whole message…"));
  start_fetch (self, item, TRUE);
}

static void
error_bar_response_cb (PopbellPreviewWindow *self,
                       gint                  response)
{
  hide_error (self);
}

static void
mark_seen_clicked_cb (PopbellPreviewWindow *self)
{
  PreviewItem *item = current_item (self);

  if (item == NULL || !item->unseen || item->uid == NULL)
    return;

  /* Copies: mark_seen emits ::status-changed, whose handler rebuilds the
   * list and frees @item while the engine still reads the strings. */
  g_autofree gchar *account = g_strdup (item->account);
  g_autofree gchar *uid = g_strdup (item->uid);

  item->unseen = FALSE;
  popbell_engine_mark_seen (self->engine, account, uid);
  update_controls (self);
}

static void
delete_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(OperationData) data = user_data;
  PopbellPreviewWindow *self = data->self;
  g_autoptr(GError) error = NULL;
  gint found;

  popbell_engine_delete_message_finish (POPBELL_ENGINE (source), result, &error);

  if (!operation_is_current (data) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  stop_busy (self);

  if (error != NULL)
    {
      show_error (self, error->message);
      if (self->message != NULL)
        gtk_stack_set_visible_child_name (self->stack, "message");
      update_controls (self);
      return;
    }

  found = find_item (self, data->account, data->uid);
  if (found < 0)
    found = find_item (self, data->account, NULL);
  if (found >= 0)
    g_ptr_array_remove_index (self->items, (guint) found);
  g_clear_pointer (&self->message, popbell_message_unref);

  if (self->items->len > 0 && current_item (self)->uid != NULL)
    {
      self->position = MIN (self->position, self->items->len - 1);
      fetch_current (self, FALSE);
    }
  else
    {
      g_ptr_array_set_size (self->items, 0);
      show_status (self, _("The message was deleted from the server."));
      gtk_window_set_title (GTK_WINDOW (self), _("Mail Preview"));
      update_controls (self);
    }
}

static void
confirm_response_cb (GtkDialog *dialog,
                     gint       response,
                     gpointer   user_data)
{
  PopbellPreviewWindow *self = POPBELL_PREVIEW_WINDOW (user_data);
  PreviewItem *item = current_item (self);
  g_autofree gchar *uid = NULL;
  OperationData *data;

  self->confirm_dialog = NULL;
  gtk_widget_destroy (GTK_WIDGET (dialog));

  if (response != GTK_RESPONSE_ACCEPT || item == NULL || self->message == NULL)
    return;

  uid = g_strdup (item->uid != NULL ? item->uid : popbell_message_get_uid (self->message));
  start_busy (self, _("Deleting the message from the server…"));
  data = operation_data_new (self, item->account, uid);
  popbell_engine_delete_message_async (self->engine, data->account, data->uid, self->cancellable,
                                       delete_cb, data);
  update_controls (self);
}

static void
delete_clicked_cb (PopbellPreviewWindow *self)
{
  PreviewItem *item = current_item (self);
  GtkWidget *dialog;
  GtkWidget *button;

  if (item == NULL || self->message == NULL || self->confirm_dialog != NULL)
    return;

  dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                   GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE,
                                   "%s", _("Delete this message from the server?"));
  /* Plain text, not markup: the subject and sender come from the server. */
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                            _("“%s” from %s will be removed from the "
                                              "mailbox of the account “%s”. This cannot "
                                              "be undone."),
                                            gtk_label_get_text (self->subject_label),
                                            gtk_label_get_text (self->from_label),
                                            item->account);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Delete"), GTK_RESPONSE_ACCEPT);
  gtk_style_context_add_class (gtk_widget_get_style_context (button), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  gtk_widget_set_name (dialog, "popbell-delete-confirmation");

  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response_cb), self, 0);
  self->confirm_dialog = dialog;
  gtk_widget_show (dialog);
}

static void
open_client_clicked_cb (PopbellPreviewWindow *self)
{
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autoptr(GError) error = NULL;

  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (self)));
  if (!popbell_mail_client_launch (G_APP_LAUNCH_CONTEXT (context), &error))
    show_error (self, error->message);
}

static gboolean
popbell_preview_window_key_press_event (GtkWidget   *widget,
                                        GdkEventKey *event)
{
  /* A preview is glanced at and dismissed: Escape closes it, as a dialog. */
  if (event->keyval == GDK_KEY_Escape && (event->state & gtk_accelerator_get_default_mod_mask ()) == 0)
    {
      gtk_window_close (GTK_WINDOW (widget));
      return GDK_EVENT_STOP;
    }
  return GTK_WIDGET_CLASS (popbell_preview_window_parent_class)->key_press_event (widget, event);
}

static void
popbell_preview_window_constructed (GObject *object)
{
  PopbellPreviewWindow *self = POPBELL_PREVIEW_WINDOW (object);

  G_OBJECT_CLASS (popbell_preview_window_parent_class)->constructed (object);

  g_signal_connect_object (self->engine, "status-changed",
                           G_CALLBACK (engine_status_changed_cb), self, G_CONNECT_SWAPPED);
  update_controls (self);
}

static void
popbell_preview_window_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  PopbellPreviewWindow *self = POPBELL_PREVIEW_WINDOW (object);

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
popbell_preview_window_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  PopbellPreviewWindow *self = POPBELL_PREVIEW_WINDOW (object);

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
popbell_preview_window_dispose (GObject *object)
{
  PopbellPreviewWindow *self = POPBELL_PREVIEW_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->confirm_dialog != NULL)
    gtk_widget_destroy (g_steal_pointer (&self->confirm_dialog));
  g_clear_pointer (&self->message, popbell_message_unref);
  g_clear_object (&self->engine);

  G_OBJECT_CLASS (popbell_preview_window_parent_class)->dispose (object);
}

static void
popbell_preview_window_finalize (GObject *object)
{
  PopbellPreviewWindow *self = POPBELL_PREVIEW_WINDOW (object);

  g_ptr_array_unref (self->items);

  G_OBJECT_CLASS (popbell_preview_window_parent_class)->finalize (object);
}

static void
popbell_preview_window_class_init (PopbellPreviewWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = popbell_preview_window_constructed;
  object_class->set_property = popbell_preview_window_set_property;
  object_class->get_property = popbell_preview_window_get_property;
  object_class->dispose = popbell_preview_window_dispose;
  object_class->finalize = popbell_preview_window_finalize;
  widget_class->key_press_event = popbell_preview_window_key_press_event;

  props[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, POPBELL_TYPE_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* Referencing the resource links it in from the static library; its
   * constructor then registers it. */
  (void) popbell_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/popbell/Popbell/popbell-preview-window.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, PopbellPreviewWindow, name)
  BIND (header_bar);
  BIND (previous_button);
  BIND (next_button);
  BIND (open_client_button);
  BIND (error_bar);
  BIND (error_label);
  BIND (partial_bar);
  BIND (partial_label);
  BIND (load_full_button);
  BIND (stack);
  BIND (status_label);
  BIND (spinner);
  BIND (loading_label);
  BIND (cancel_button);
  BIND (from_label);
  BIND (to_label);
  BIND (date_label);
  BIND (subject_label);
  BIND (body_view);
  BIND (attachments_revealer);
  BIND (attachments_list);
  BIND (mark_seen_button);
  BIND (position_label);
  BIND (delete_button);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, previous_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, next_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, load_full_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, error_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, mark_seen_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_client_clicked_cb);
}

static void
popbell_preview_window_init (PopbellPreviewWindow *self)
{
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) preview_item_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
popbell_preview_window_new (GtkApplication *app,
                            PopbellEngine  *engine)
{
  g_return_val_if_fail (app == NULL || GTK_IS_APPLICATION (app), NULL);
  g_return_val_if_fail (POPBELL_IS_ENGINE (engine), NULL);

  return g_object_new (POPBELL_TYPE_PREVIEW_WINDOW,
                       "application", app,
                       "engine", engine,
                       NULL);
}
