/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* PopbellPop3Client: the object, its options and state, and the public
 * async operations. How they run: popbell-pop3-client-private.h. */
#include "popbell-pop3-client-private.h"

#include <string.h>

G_DEFINE_FINAL_TYPE (PopbellPop3Client, popbell_pop3_client, G_TYPE_OBJECT)

void
popbell_pop3_list_entry_free (PopbellPop3ListEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->uid);
  g_free (entry);
}

void
pop3_op_start_barrier (PopbellPop3Client *self, Op *op)
{
  if (op->kind == OP_CONNECT)
    pop3_connect_start (self);
  else
    pop3_auth_login_start (self, op);
}

/* --- object ------------------------------------------------------------------- */

static void
popbell_pop3_client_dispose (GObject *object)
{
  PopbellPop3Client *self = POPBELL_POP3_CLIENT (object);

  /* Tasks hold refs: nothing is outstanding once we get here. */
  pop3_queue_disconnect (self);
  pop3_queue_clear_cancel_hooks (self);
  g_clear_object (&self->ca_database);
  G_OBJECT_CLASS (popbell_pop3_client_parent_class)->dispose (object);
}

static void
popbell_pop3_client_finalize (GObject *object)
{
  PopbellPop3Client *self = POPBELL_POP3_CLIENT (object);

  g_free (self->host);
  g_free (self->ca_file);
  g_free (self->pinned);
  g_clear_object (&self->local_address);
  g_main_context_unref (self->context);
  popbell_pop3_capabilities_free (self->capa);
  g_clear_pointer (&self->remembered, popbell_pop3_capabilities_free);
  g_clear_pointer (&self->capa_before_login, popbell_pop3_capabilities_free);
  g_free (self->apop_timestamp);
  g_free (self->peer_sha256);
  pop3_queue_out_clear (self);
  g_string_free (self->out_pending, TRUE);
  g_mutex_clear (&self->cancel_lock);
  G_OBJECT_CLASS (popbell_pop3_client_parent_class)->finalize (object);
}

/* ::trace (const gchar *direction, const gchar *text): every line the debug
 * log shows, for a diagnostics report that needs it without the global log. */
static guint trace_signal;

void
pop3_trace (PopbellPop3Client *self,
            const gchar       *direction,
            const gchar       *text)
{
  g_debug ("%s: %s", direction, text);
  g_signal_emit (self, trace_signal, 0, direction, text);
}

static void
popbell_pop3_client_class_init (PopbellPop3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = popbell_pop3_client_dispose;
  object_class->finalize = popbell_pop3_client_finalize;

  trace_signal = g_signal_new ("trace", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                               NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
popbell_pop3_client_init (PopbellPop3Client *self)
{
  self->timeout = 30;
  self->pipelining_enabled = TRUE;
  self->context = g_main_context_ref_thread_default ();
  self->capa = popbell_pop3_capabilities_new ();
  pop3_queue_init (self);
}

PopbellPop3Client *
popbell_pop3_client_new (const gchar *host, guint16 port, PopbellPop3Security security)
{
  PopbellPop3Client *self;

  g_return_val_if_fail (host != NULL && *host != '\0', NULL);

  self = g_object_new (POPBELL_TYPE_POP3_CLIENT, NULL);
  self->host = g_strdup (host);
  self->port = port;
  self->security = security;
  return self;
}

void
popbell_pop3_client_set_timeout (PopbellPop3Client *self, guint seconds)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->timeout = seconds;
}

void
popbell_pop3_client_set_session_timeout (PopbellPop3Client *self, guint seconds)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->session_timeout = seconds;
}

void
popbell_pop3_client_set_tls_ca_file (PopbellPop3Client *self, const gchar *path)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_free (self->ca_file);
  self->ca_file = (path != NULL && *path != '\0') ? g_strdup (path) : NULL;
  g_clear_object (&self->ca_database);
}

void
popbell_pop3_client_set_pinned_sha256 (PopbellPop3Client *self, const gchar *hex)
{
  GString *plain;

  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_clear_pointer (&self->pinned, g_free);
  if (hex == NULL || *hex == '\0')
    return;
  /* Colons and spaces optional, any case. */
  plain = g_string_new (NULL);
  for (const gchar *c = hex; *c != '\0'; c++)
    if (*c != ':' && *c != ' ')
      g_string_append_c (plain, g_ascii_toupper (*c));
  self->pinned = g_string_free (plain, FALSE);
}

void
popbell_pop3_client_set_allow_insecure_auth (PopbellPop3Client *self, gboolean allow)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->allow_insecure_auth = allow;
}

void
popbell_pop3_client_set_pipelining_enabled (PopbellPop3Client *self, gboolean enabled)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->pipelining_enabled = enabled;
}

void
popbell_pop3_client_set_local_address (PopbellPop3Client *self, GSocketAddress *address)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_set_object (&self->local_address, address);
}

void
popbell_pop3_client_set_preferred_auth_method (PopbellPop3Client *self, PopbellPop3AuthMethod method)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  self->preferred_auth = method;
}

void
popbell_pop3_client_set_remembered_capabilities (PopbellPop3Client   *self,
                                                 const gchar * const *capabilities)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));

  g_clear_pointer (&self->remembered, popbell_pop3_capabilities_free);
  if (capabilities == NULL)
    return;
  self->remembered = popbell_pop3_capabilities_new ();
  for (const gchar * const *c = capabilities; *c != NULL; c++)
    if (!popbell_pop3_capabilities_add_line (self->remembered, *c, strlen (*c), NULL))
      g_debug ("POP3 %s: ignoring the remembered capability \"%s\"", self->host, *c);
}

static gint
compare_lines (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

gchar **
popbell_pop3_client_dup_capabilities (PopbellPop3Client *self)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);

  if (self->capa_before_login == NULL)
    return g_new0 (gchar *, 1);
  g_hash_table_iter_init (&iter, self->capa_before_login->caps);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (lines, *(const gchar *) value != '\0'
                            ? g_strdup_printf ("%s %s", (const gchar *) key, (const gchar *) value)
                            : g_strdup (key));
  /* In a stable order: the caller stores the list, and an unchanged list
   * must not cost a write. */
  g_ptr_array_sort (lines, compare_lines);
  g_ptr_array_add (lines, NULL);
  return (gchar **) g_ptr_array_free (g_steal_pointer (&lines), FALSE);
}

gboolean
popbell_pop3_client_get_remembered_contradicted (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return self->remembered_contradicted;
}

PopbellPop3AuthMethod
popbell_pop3_client_get_auth_method_used (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), POPBELL_POP3_AUTH_AUTO);
  return self->auth_method_used;
}

gboolean
popbell_pop3_client_is_connected (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return self->state == STATE_AUTHORIZATION || self->state == STATE_TRANSACTION;
}

gboolean
popbell_pop3_client_is_encrypted (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return self->encrypted;
}

gboolean
popbell_pop3_client_is_pipelining (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return pop3_queue_pipelining_active (self);
}

gboolean
popbell_pop3_client_can_pipeline (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  return self->pipelining_enabled && self->capa != NULL &&
         popbell_pop3_capabilities_has (self->capa, "PIPELINING");
}

gboolean
popbell_pop3_client_has_capability (PopbellPop3Client *self, const gchar *name)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  return popbell_pop3_capabilities_has (self->capa, name);
}

const gchar *
popbell_pop3_client_get_capability_args (PopbellPop3Client *self, const gchar *name)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return popbell_pop3_capabilities_get_args (self->capa, name);
}

gint
popbell_pop3_client_get_login_delay (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), -1);
  return self->capa->login_delay;
}

gint
popbell_pop3_client_get_expire (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), POPBELL_POP3_EXPIRE_NONE);
  return self->capa->expire;
}

const gchar *
popbell_pop3_client_get_apop_timestamp (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  return self->apop_timestamp;
}

GTlsConnection *
popbell_pop3_client_get_tls_connection (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  return G_IS_TLS_CONNECTION (self->iostream) ? G_TLS_CONNECTION (self->iostream) : NULL;
}

const gchar *
popbell_pop3_client_get_peer_certificate_sha256 (PopbellPop3Client *self)
{
  g_return_val_if_fail (POPBELL_IS_POP3_CLIENT (self), NULL);
  return self->peer_sha256;
}

/* --- public operations ------------------------------------------------------------ */

void
popbell_pop3_client_connect_async (PopbellPop3Client   *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  pop3_op_submit (self, pop3_op_new (self, OP_CONNECT, popbell_pop3_client_connect_async,
                                     cancellable, callback, user_data));
}

gboolean
popbell_pop3_client_connect_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_login_async (PopbellPop3Client     *self,
                                 const gchar           *username,
                                 const gchar           *password,
                                 PopbellPop3AuthMethod  method,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  Op *op;

  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  op = pop3_op_new (self, OP_LOGIN, popbell_pop3_client_login_async, cancellable, callback, user_data);
  /* A CR or LF would let the credentials inject commands. */
  if (strpbrk (username, "\r\n") != NULL || strpbrk (password, "\r\n") != NULL ||
      *username == '\0')
    {
      pop3_op_return_error (op, g_error_new_literal (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_AUTH,
                                                     "The user name or password contains a line break, "
                                                "or the user name is empty"));
      return;
    }
  op->username = g_strdup (username);
  op->password = g_strdup (password);
  op->method = method;
  pop3_op_submit (self, op);
}

gboolean
popbell_pop3_client_login_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
submit_simple (PopbellPop3Client   *self,
               OpKind               kind,
               guint                index,
               guint                lines,
               gsize                max_size,
               gpointer             source_tag,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  Op *op = pop3_op_new (self, kind, source_tag, cancellable, callback, user_data);

  op->index = index;
  op->lines = lines;
  op->max_size = max_size;
  pop3_op_submit (self, op);
}

void
popbell_pop3_client_stat_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_STAT, 0, 0, 0, popbell_pop3_client_stat_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_stat_finish (PopbellPop3Client *self, GAsyncResult *result,
                                 guint *out_count, guint64 *out_size, GError **error)
{
  g_autofree StatResult *stat = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stat = g_task_propagate_pointer (G_TASK (result), error);
  if (stat == NULL)
    return FALSE;
  if (out_count != NULL)
    *out_count = stat->count;
  if (out_size != NULL)
    *out_size = stat->size;
  return TRUE;
}

void
popbell_pop3_client_list_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_LIST, 0, 0, 0, popbell_pop3_client_list_async,
                 cancellable, callback, user_data);
}

GPtrArray *
popbell_pop3_client_list_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_uidl_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_UIDL, 0, 0, 0, popbell_pop3_client_uidl_async,
                 cancellable, callback, user_data);
}

GPtrArray *
popbell_pop3_client_uidl_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_list_one_async (PopbellPop3Client *self, guint index, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_LIST_ONE, index, 0, 0, popbell_pop3_client_list_one_async,
                 cancellable, callback, user_data);
}

PopbellPop3ListEntry *
popbell_pop3_client_list_one_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_uidl_one_async (PopbellPop3Client *self, guint index, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_UIDL_ONE, index, 0, 0, popbell_pop3_client_uidl_one_async,
                 cancellable, callback, user_data);
}

PopbellPop3ListEntry *
popbell_pop3_client_uidl_one_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_top_async (PopbellPop3Client *self, guint index, guint lines,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_TOP, index, lines, POPBELL_POP3_MAX_TOP_SIZE,
                 popbell_pop3_client_top_async, cancellable, callback, user_data);
}

GBytes *
popbell_pop3_client_top_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_retr_async (PopbellPop3Client *self, guint index, gsize max_size,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_RETR, index, 0, max_size, popbell_pop3_client_retr_async,
                 cancellable, callback, user_data);
}

GBytes *
popbell_pop3_client_retr_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
popbell_pop3_client_dele_async (PopbellPop3Client *self, guint index, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  g_return_if_fail (index > 0);
  submit_simple (self, OP_DELE, index, 0, 0, popbell_pop3_client_dele_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_dele_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_rset_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_RSET, 0, 0, 0, popbell_pop3_client_rset_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_rset_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_noop_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_NOOP, 0, 0, 0, popbell_pop3_client_noop_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_noop_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_quit_async (PopbellPop3Client *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));
  submit_simple (self, OP_QUIT, 0, 0, 0, popbell_pop3_client_quit_async,
                 cancellable, callback, user_data);
}

gboolean
popbell_pop3_client_quit_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
popbell_pop3_client_close (PopbellPop3Client *self)
{
  g_return_if_fail (POPBELL_IS_POP3_CLIENT (self));

  if (self->state == STATE_CLOSED || self->state == STATE_IDLE)
    {
      self->state = STATE_CLOSED;
      return;
    }
  pop3_queue_fail_all (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED, "Connection closed"));
}
