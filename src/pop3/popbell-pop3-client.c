/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* Temporary skeleton so that other layers link; replaced by the real client. */
#include "popbell-pop3-client.h"

struct _PopbellPop3Client { GObject parent_instance; };
G_DEFINE_TYPE (PopbellPop3Client, popbell_pop3_client, G_TYPE_OBJECT)
static void popbell_pop3_client_class_init (PopbellPop3ClientClass *klass) {}
static void popbell_pop3_client_init (PopbellPop3Client *self) {}
void popbell_pop3_list_entry_free (PopbellPop3ListEntry *entry) { if (entry) { g_free (entry->uid); g_free (entry); } }
PopbellPop3Client *popbell_pop3_client_new (const gchar *host, guint16 port, PopbellPop3Security security) { return g_object_new (POPBELL_TYPE_POP3_CLIENT, NULL); }
void popbell_pop3_client_close (PopbellPop3Client *self) {}

void popbell_pop3_client_set_timeout (PopbellPop3Client *self, guint seconds) {}
void popbell_pop3_client_set_session_timeout (PopbellPop3Client *self, guint seconds) {}
void popbell_pop3_client_set_tls_ca_file (PopbellPop3Client *self, const gchar *path) {}
void popbell_pop3_client_set_pinned_sha256 (PopbellPop3Client *self, const gchar *hex) {}
void popbell_pop3_client_set_allow_insecure_auth (PopbellPop3Client *self, gboolean allow) {}
void popbell_pop3_client_set_pipelining_enabled (PopbellPop3Client *self, gboolean enabled) {}
void popbell_pop3_client_set_local_address (PopbellPop3Client *self, GSocketAddress *address) {}
gboolean popbell_pop3_client_is_connected (PopbellPop3Client *self) { return FALSE; }
gboolean popbell_pop3_client_is_encrypted (PopbellPop3Client *self) { return FALSE; }
gboolean popbell_pop3_client_is_pipelining (PopbellPop3Client *self) { return FALSE; }
gboolean popbell_pop3_client_has_capability (PopbellPop3Client *self, const gchar *name) { return FALSE; }
gint popbell_pop3_client_get_login_delay (PopbellPop3Client *self) { return -1; }
gint popbell_pop3_client_get_expire (PopbellPop3Client *self) { return -1; }
void popbell_pop3_client_connect_async (PopbellPop3Client *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_login_async (PopbellPop3Client *self, const gchar *username, const gchar *password, PopbellPop3AuthMethod method, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_stat_async (PopbellPop3Client *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_list_async (PopbellPop3Client *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_uidl_async (PopbellPop3Client *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_list_one_async (PopbellPop3Client *self, guint index, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_uidl_one_async (PopbellPop3Client *self, guint index, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_top_async (PopbellPop3Client *self, guint index, guint lines, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_retr_async (PopbellPop3Client *self, guint index, gsize max_size, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_dele_async (PopbellPop3Client *self, guint index, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_rset_async (PopbellPop3Client *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_noop_async (PopbellPop3Client *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
void popbell_pop3_client_quit_async (PopbellPop3Client *self, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data) { g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data); g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not implemented"); }
gboolean popbell_pop3_client_connect_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_boolean (G_TASK (result), error); }
gboolean popbell_pop3_client_login_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_boolean (G_TASK (result), error); }
gboolean popbell_pop3_client_stat_finish (PopbellPop3Client *self, GAsyncResult *result, guint *out_count, guint64 *out_size, GError **error) { return g_task_propagate_boolean (G_TASK (result), error); }
GPtrArray * popbell_pop3_client_list_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_pointer (G_TASK (result), error); }
GPtrArray * popbell_pop3_client_uidl_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_pointer (G_TASK (result), error); }
PopbellPop3ListEntry * popbell_pop3_client_list_one_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_pointer (G_TASK (result), error); }
PopbellPop3ListEntry * popbell_pop3_client_uidl_one_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_pointer (G_TASK (result), error); }
GBytes * popbell_pop3_client_top_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_pointer (G_TASK (result), error); }
GBytes * popbell_pop3_client_retr_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_pointer (G_TASK (result), error); }
gboolean popbell_pop3_client_dele_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_boolean (G_TASK (result), error); }
gboolean popbell_pop3_client_rset_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_boolean (G_TASK (result), error); }
gboolean popbell_pop3_client_noop_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_boolean (G_TASK (result), error); }
gboolean popbell_pop3_client_quit_finish (PopbellPop3Client *self, GAsyncResult *result, GError **error) { return g_task_propagate_boolean (G_TASK (result), error); }
const gchar *popbell_pop3_client_get_capability_args (PopbellPop3Client *self, const gchar *name) { return NULL; }
const gchar *popbell_pop3_client_get_apop_timestamp (PopbellPop3Client *self) { return NULL; }
const gchar *popbell_pop3_client_get_peer_certificate_sha256 (PopbellPop3Client *self) { return NULL; }
