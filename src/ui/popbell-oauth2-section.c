/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-oauth2-section.h"

#include <glib/gi18n.h>

#include "popbell-oauth2-goa.h"
#include "popbell-oauth2-sign-in.h"
#include "popbell-secret-credentials.h"

/* Built in code, not in the editor's template: the section is one unit
 * that the editor places under its "Authentication" row and shows only for
 * auth=oauth2. */
struct _PopbellOAuth2Section
{
  GtkGrid       parent_instance;

  GtkComboBoxText *source_combo;
  GtkWidget       *goa_label;
  GtkComboBoxText *goa_combo;
  GtkWidget       *command_label;
  GtkEntry        *command_entry;
  GtkWidget       *provider_label;
  GtkComboBoxText *provider_combo;
  GtkWidget       *client_id_label;
  GtkEntry        *client_id_entry;
  GtkWidget       *client_secret_label;
  GtkEntry        *client_secret_entry;
  GtkWidget       *auth_url_label;
  GtkEntry        *auth_url_entry;
  GtkWidget       *token_url_label;
  GtkEntry        *token_url_entry;
  GtkWidget       *scope_label;
  GtkEntry        *scope_entry;
  GtkWidget       *sign_in_box;
  GtkButton       *sign_in_button;
  GtkLabel        *sign_in_label;

  gchar           *goa_id;              /* (owned) (nullable) as loaded, until GOA answers */
  GCancellable    *cancellable;         /* (owned) GOA listing and sign-in */
  GCancellable    *sign_in_cancellable; /* (owned) (nullable) non-NULL ⇔ signing in */
};

G_DEFINE_FINAL_TYPE (PopbellOAuth2Section, popbell_oauth2_section, GTK_TYPE_GRID)

enum {
  SIGNAL_SIGN_IN_REQUESTED,
  SIGNAL_SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_row (GtkWidget *label, GtkWidget *field, gboolean visible)
{
  gtk_widget_set_visible (label, visible);
  gtk_widget_set_visible (field, visible);
}

static void
update_visibility (PopbellOAuth2Section *self)
{
  const gchar *source = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->source_combo));
  const gchar *provider = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->provider_combo));
  gboolean builtin = g_strcmp0 (source, "builtin") == 0;
  gboolean custom = builtin && g_strcmp0 (provider, "custom") == 0;

  show_row (self->goa_label, GTK_WIDGET (self->goa_combo), g_strcmp0 (source, "goa") == 0);
  show_row (self->command_label, GTK_WIDGET (self->command_entry),
            g_strcmp0 (source, "command") == 0);
  show_row (self->provider_label, GTK_WIDGET (self->provider_combo), builtin);
  show_row (self->client_id_label, GTK_WIDGET (self->client_id_entry), builtin);
  show_row (self->client_secret_label, GTK_WIDGET (self->client_secret_entry), builtin);
  show_row (self->auth_url_label, GTK_WIDGET (self->auth_url_entry), custom);
  show_row (self->token_url_label, GTK_WIDGET (self->token_url_entry), custom);
  show_row (self->scope_label, GTK_WIDGET (self->scope_entry), custom);
  gtk_widget_set_visible (self->sign_in_box, builtin);
}

static GtkWidget *
add_row (PopbellOAuth2Section *self, gint row, const gchar *text, GtkWidget *field)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (text);

  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), field);
  gtk_widget_set_hexpand (field, TRUE);
  gtk_grid_attach (GTK_GRID (self), label, 0, row, 1, 1);
  gtk_grid_attach (GTK_GRID (self), field, 1, row, 1, 1);
  gtk_widget_show (label);
  gtk_widget_show (field);
  return label;
}

static GtkEntry *
new_entry (const gchar *placeholder)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  if (placeholder != NULL)
    gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  return GTK_ENTRY (entry);
}

static void
sign_in_clicked_cb (PopbellOAuth2Section *self)
{
  if (self->sign_in_cancellable != NULL)
    {
      g_cancellable_cancel (self->sign_in_cancellable);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_SIGN_IN_REQUESTED], 0);
}

static void
goa_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PopbellOAuth2Section *self = user_data;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;
  gboolean found = FALSE;

  accounts = popbell_oauth2_goa_list_accounts_finish (result, &error);
  if (accounts == NULL)
    return;   /* cancelled: the section is gone */

  gtk_combo_box_text_remove_all (self->goa_combo);
  for (guint i = 0; i < accounts->len; i++)
    {
      PopbellGoaAccountInfo *info = accounts->pdata[i];
      /* Translators: a GNOME Online Accounts account: provider — identity. */
      g_autofree gchar *text = g_strdup_printf (_("%s — %s"), info->provider,
                                                info->email != NULL && *info->email != '\0'
                                                  ? info->email : info->identity);

      gtk_combo_box_text_append (self->goa_combo, info->id, text);
      found |= g_strcmp0 (info->id, self->goa_id) == 0;
    }
  /* An account GOA no longer has stays selectable: the check says why. */
  if (self->goa_id != NULL && !found)
    gtk_combo_box_text_append (self->goa_combo, self->goa_id, self->goa_id);
  if (self->goa_id != NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->goa_combo), self->goa_id);
  else if (accounts->len > 0)
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->goa_combo), 0);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->goa_combo),
                               accounts->len == 0
                                 ? _("GNOME Online Accounts has no account that signs in with "
                                     "OAuth 2.0: add one in Settings → Online Accounts.")
                                 : NULL);
}

static void
popbell_oauth2_section_dispose (GObject *object)
{
  PopbellOAuth2Section *self = POPBELL_OAUTH2_SECTION (object);

  g_cancellable_cancel (self->cancellable);
  if (self->sign_in_cancellable != NULL)
    g_cancellable_cancel (self->sign_in_cancellable);
  g_clear_object (&self->sign_in_cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->goa_id, g_free);
  G_OBJECT_CLASS (popbell_oauth2_section_parent_class)->dispose (object);
}

static void
popbell_oauth2_section_class_init (PopbellOAuth2SectionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_oauth2_section_dispose;

  signals[SIGNAL_SIGN_IN_REQUESTED] =
    g_signal_new ("sign-in-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
popbell_oauth2_section_init (PopbellOAuth2Section *self)
{
  GtkGrid *grid = GTK_GRID (self);
  gint row = 0;

  gtk_grid_set_row_spacing (grid, 6);
  gtk_grid_set_column_spacing (grid, 12);
  self->cancellable = g_cancellable_new ();

  self->source_combo = GTK_COMBO_BOX_TEXT (gtk_combo_box_text_new ());
  gtk_combo_box_text_append (self->source_combo, "goa", _("GNOME Online Accounts"));
  gtk_combo_box_text_append (self->source_combo, "builtin", _("Sign in with the browser"));
  gtk_combo_box_text_append (self->source_combo, "command", _("Command"));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->source_combo), "builtin");
  add_row (self, row++, _("_Token from"), GTK_WIDGET (self->source_combo));

  self->goa_combo = GTK_COMBO_BOX_TEXT (gtk_combo_box_text_new ());
  self->goa_label = add_row (self, row++, _("Online _account"), GTK_WIDGET (self->goa_combo));

  self->command_entry = new_entry (_("e.g. oama access alice@gmail.com"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->command_entry),
                               _("Runs without a shell; the first line it prints is the access "
                                 "token."));
  self->command_label = add_row (self, row++, _("Co_mmand"), GTK_WIDGET (self->command_entry));

  self->provider_combo = GTK_COMBO_BOX_TEXT (gtk_combo_box_text_new ());
  gtk_combo_box_text_append (self->provider_combo, "google", _("Google (Gmail)"));
  gtk_combo_box_text_append (self->provider_combo, "microsoft",
                             _("Microsoft (Outlook.com, Microsoft 365)"));
  gtk_combo_box_text_append (self->provider_combo, "custom", _("Other provider"));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->provider_combo), "google");
  self->provider_label = add_row (self, row++, _("_Provider"), GTK_WIDGET (self->provider_combo));

  self->client_id_entry = new_entry (_("from the provider’s developer console"));
  self->client_id_label = add_row (self, row++, _("Client _ID"), GTK_WIDGET (self->client_id_entry));
  self->client_secret_entry = new_entry (_("Optional"));
  gtk_entry_set_visibility (self->client_secret_entry, FALSE);
  self->client_secret_label = add_row (self, row++, _("Client _secret"),
                                       GTK_WIDGET (self->client_secret_entry));
  self->auth_url_entry = new_entry ("https://…");
  self->auth_url_label = add_row (self, row++, _("Authori_zation address"),
                                  GTK_WIDGET (self->auth_url_entry));
  self->token_url_entry = new_entry ("https://…");
  self->token_url_label = add_row (self, row++, _("To_ken address"),
                                   GTK_WIDGET (self->token_url_entry));
  self->scope_entry = new_entry (NULL);
  self->scope_label = add_row (self, row++, _("Sco_pe"), GTK_WIDGET (self->scope_entry));

  self->sign_in_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  self->sign_in_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("Sign _In…")));
  self->sign_in_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_line_wrap (self->sign_in_label, TRUE);
  gtk_label_set_selectable (self->sign_in_label, TRUE);
  gtk_label_set_xalign (self->sign_in_label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->sign_in_label), TRUE);
  gtk_box_pack_start (GTK_BOX (self->sign_in_box), GTK_WIDGET (self->sign_in_button), FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (self->sign_in_box), GTK_WIDGET (self->sign_in_label), TRUE, TRUE, 0);
  gtk_widget_show_all (self->sign_in_box);
  gtk_grid_attach (grid, self->sign_in_box, 1, row++, 1, 1);
  g_signal_connect_swapped (self->sign_in_button, "clicked", G_CALLBACK (sign_in_clicked_cb), self);

  /* Named after their keys, for tests and accessibility tools. */
  gtk_widget_set_name (GTK_WIDGET (self->source_combo), "oauth2-source");
  gtk_widget_set_name (GTK_WIDGET (self->goa_combo), "oauth2-goa-id");
  gtk_widget_set_name (GTK_WIDGET (self->command_entry), "oauth2-command");
  gtk_widget_set_name (GTK_WIDGET (self->provider_combo), "oauth2-provider");
  gtk_widget_set_name (GTK_WIDGET (self->client_id_entry), "oauth2-client-id");
  gtk_widget_set_name (GTK_WIDGET (self->client_secret_entry), "oauth2-client-secret");
  gtk_widget_set_name (GTK_WIDGET (self->auth_url_entry), "oauth2-auth-url");
  gtk_widget_set_name (GTK_WIDGET (self->token_url_entry), "oauth2-token-url");
  gtk_widget_set_name (GTK_WIDGET (self->scope_entry), "oauth2-scope");
  gtk_widget_set_name (GTK_WIDGET (self->sign_in_button), "oauth2-sign-in");
  gtk_widget_set_name (GTK_WIDGET (self->sign_in_label), "oauth2-sign-in-status");

  g_signal_connect_swapped (self->source_combo, "changed", G_CALLBACK (update_visibility), self);
  g_signal_connect_swapped (self->provider_combo, "changed", G_CALLBACK (update_visibility), self);
  update_visibility (self);

  popbell_oauth2_goa_list_accounts_async (self->cancellable, goa_listed, self);
}

GtkWidget *
popbell_oauth2_section_new (void)
{
  return g_object_new (POPBELL_TYPE_OAUTH2_SECTION, NULL);
}

static void
set_entry (GtkEntry *entry, PopbellAccount *account, const gchar *key)
{
  const gchar *value = popbell_account_get_oauth2 (account, key);

  gtk_entry_set_text (entry, value != NULL ? value : "");
}

void
popbell_oauth2_section_load (PopbellOAuth2Section *self, PopbellAccount *account)
{
  const gchar *source = popbell_account_get_oauth2 (account, "oauth2-source");
  const gchar *provider = popbell_account_get_oauth2 (account, "oauth2-provider");

  g_return_if_fail (POPBELL_IS_OAUTH2_SECTION (self));

  if (source != NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->source_combo), source);
  if (provider != NULL)
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->provider_combo), provider);
  g_free (self->goa_id);
  self->goa_id = g_strdup (popbell_account_get_oauth2 (account, "oauth2-goa-id"));
  if (self->goa_id != NULL &&
      !gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->goa_combo), self->goa_id))
    {
      gtk_combo_box_text_append (self->goa_combo, self->goa_id, self->goa_id);
      gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->goa_combo), self->goa_id);
    }
  set_entry (self->command_entry, account, "oauth2-command");
  set_entry (self->client_id_entry, account, "oauth2-client-id");
  set_entry (self->client_secret_entry, account, "oauth2-client-secret");
  set_entry (self->auth_url_entry, account, "oauth2-auth-url");
  set_entry (self->token_url_entry, account, "oauth2-token-url");
  set_entry (self->scope_entry, account, "oauth2-scope");
  update_visibility (self);
}

static const gchar *
entry_text (GtkEntry *entry, gboolean used)
{
  return used ? gtk_entry_get_text (entry) : NULL;
}

void
popbell_oauth2_section_apply (PopbellOAuth2Section *self, PopbellAccount *account)
{
  const gchar *source = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->source_combo));
  const gchar *provider = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->provider_combo));
  gboolean builtin = g_strcmp0 (source, "builtin") == 0;
  gboolean custom = builtin && g_strcmp0 (provider, "custom") == 0;

  g_return_if_fail (POPBELL_IS_OAUTH2_SECTION (self));

  popbell_account_set_oauth2 (account, "oauth2-source", source);
  popbell_account_set_oauth2 (account, "oauth2-goa-id",
                              g_strcmp0 (source, "goa") == 0
                                ? gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->goa_combo))
                                : NULL);
  popbell_account_set_oauth2 (account, "oauth2-command",
                              entry_text (self->command_entry, g_strcmp0 (source, "command") == 0));
  popbell_account_set_oauth2 (account, "oauth2-provider", builtin ? provider : NULL);
  popbell_account_set_oauth2 (account, "oauth2-client-id", entry_text (self->client_id_entry, builtin));
  popbell_account_set_oauth2 (account, "oauth2-client-secret",
                              entry_text (self->client_secret_entry, builtin));
  popbell_account_set_oauth2 (account, "oauth2-auth-url", entry_text (self->auth_url_entry, custom));
  popbell_account_set_oauth2 (account, "oauth2-token-url", entry_text (self->token_url_entry, custom));
  popbell_account_set_oauth2 (account, "oauth2-scope", entry_text (self->scope_entry, custom));
}

GtkWidget *
popbell_oauth2_section_field_for_key (PopbellOAuth2Section *self, const gchar *key)
{
  const struct { const gchar *key; GtkWidget *field; } fields[] = {
    { "oauth2-source", GTK_WIDGET (self->source_combo) },
    { "oauth2-goa-id", GTK_WIDGET (self->goa_combo) },
    { "oauth2-command", GTK_WIDGET (self->command_entry) },
    { "oauth2-provider", GTK_WIDGET (self->provider_combo) },
    { "oauth2-client-id", GTK_WIDGET (self->client_id_entry) },
    { "oauth2-auth-url", GTK_WIDGET (self->auth_url_entry) },
    { "oauth2-token-url", GTK_WIDGET (self->token_url_entry) },
    { "oauth2-scope", GTK_WIDGET (self->scope_entry) },
  };

  for (gsize i = 0; key != NULL && i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (key, fields[i].key))
      return fields[i].field;
  return NULL;
}

static void
sign_in_uri (const gchar *uri, gpointer user_data)
{
  PopbellOAuth2Section *self = user_data;
  g_autofree gchar *text = NULL;

  text = g_strdup_printf (_("Waiting for the sign-in in your browser. If no browser opened, "
                            "open this address: %s"), uri);
  gtk_label_set_text (self->sign_in_label, text);
}

static void
signed_in (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(PopbellOAuth2Section) self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->sign_in_cancellable);
  gtk_button_set_label (self->sign_in_button, _("Sign _In…"));
  if (popbell_oauth2_sign_in_finish (result, &error))
    {
      gtk_label_set_text (self->sign_in_label,
                          _("Signed in: the refresh token is in the keyring."));
      g_signal_emit (self, signals[SIGNAL_SIGNED_IN], 0);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gtk_label_set_text (self->sign_in_label, _("The sign-in was stopped."));
  else
    gtk_label_set_text (self->sign_in_label, error->message);
}

void
popbell_oauth2_section_sign_in (PopbellOAuth2Section *self, PopbellAccount *account)
{
  g_autoptr(PopbellCredentials) refresh_tokens = NULL;

  g_return_if_fail (POPBELL_IS_OAUTH2_SECTION (self));
  g_return_if_fail (self->sign_in_cancellable == NULL);

  refresh_tokens = popbell_secret_credentials_new_oauth2 ();
  self->sign_in_cancellable = g_cancellable_new ();
  gtk_button_set_label (self->sign_in_button, _("_Stop Sign-In"));
  gtk_label_set_text (self->sign_in_label, _("Starting the sign-in…"));
  popbell_oauth2_sign_in_async (account, refresh_tokens, TRUE, sign_in_uri, self,
                                self->sign_in_cancellable, signed_in, g_object_ref (self));
}
