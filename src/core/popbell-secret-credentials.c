/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-secret-credentials.h"

#include <libsecret/secret.h>

#define SECRETS_BUS_NAME        "org.freedesktop.secrets"
#define SECRETS_COLLECTION_IFACE "org.freedesktop.Secret.Collection"

/* SPEC §1. */
#define ATTRIBUTE_HOST "host"
#define ATTRIBUTE_USER "user"

static const SecretSchema *
account_schema (void)
{
  static const SecretSchema schema = {
    "io.github.popbell.Account", SECRET_SCHEMA_NONE,
    {
      { ATTRIBUTE_HOST, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { ATTRIBUTE_USER, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

/* SPEC §3: OAuth 2.0 refresh tokens, kept apart from the passwords so that
 * a password and a refresh token for the same (host, user) never replace
 * each other. */
static const SecretSchema *
oauth2_schema (void)
{
  static const SecretSchema schema = {
    "io.github.popbell.OAuth2", SECRET_SCHEMA_NONE,
    {
      { ATTRIBUTE_HOST, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { ATTRIBUTE_USER, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };
  return &schema;
}

struct _PopbellSecretCredentials
{
  GObject          parent_instance;

  const SecretSchema *schema;         /* (unowned) static: account_schema() or oauth2_schema() */

  /* Watching for the keyring to become usable (see ::unlocked). A lookup
   * never prompts, so after LOCKED the engine waits for this instead of
   * asking the user again and again. */
  GDBusConnection *watch_connection;  /* (owned) (nullable) */
  gchar           *watch_path;        /* (owned) (nullable) the locked collection */
  guint            watch_signal_id;   /* 0: not watching a collection */
  GCancellable    *watch_cancellable; /* (owned) (nullable) a Locked query in flight */
  guint            name_watch_id;     /* 0: not waiting for a Secret Service */

  /* The passwords of all accounts, read in one search when lookups start
   * (issue 9: a thousand accounts made a thousand searches, ~14 ms each,
   * before the first check). Each is handed out once: a second lookup of
   * an account asks the keyring itself, so a password changed meanwhile
   * (popbell --set-password in another process) is never served stale
   * for more than that first use. */
  GHashTable      *prefetched;        /* (owned) (nullable) "host\nuser" → password */
  gint64           prefetched_at;     /* monotonic µs */
  gint64           prefetch_failed_at; /* monotonic µs; 0: never */
  gboolean         prefetching;
  GQueue           prefetch_waiters;  /* (element-type GTask) lookups waiting for it */
  GCancellable    *prefetch_cancellable; /* (owned) (nullable) */
};

/* How long a prefetch serves lookups. Long enough for a round of checks
 * of a thousand accounts (8 sessions at a time): a shorter one made that
 * round search the whole keyring again and again, and libsecret makes a
 * proxy per item found, which swamped gnome-keyring. Each password is
 * served once anyway, so this bounds only how long unused ones stay in
 * memory. */
#define PREFETCH_TTL_US (10 * 60 * G_USEC_PER_SEC)

static void popbell_secret_credentials_iface_init (PopbellCredentialsInterface *iface);

G_DEFINE_TYPE_WITH_CODE (PopbellSecretCredentials, popbell_secret_credentials, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (POPBELL_TYPE_CREDENTIALS,
                                                popbell_secret_credentials_iface_init))

/* --- Errors ------------------------------------------------------------ */

/* Maps libsecret / D-Bus failures onto POPBELL_CREDENTIALS_ERROR. @connecting:
 * the error came from reaching the service, where any I/O error means there
 * is no usable session bus (e.g. "Cannot autolaunch D-Bus without X11
 * $DISPLAY"). */
static GError *
classify_error (const GError *error,
                gboolean      connecting)
{
  g_autoptr(GError) copy = g_error_copy (error);
  PopbellCredentialsError code = POPBELL_CREDENTIALS_ERROR_FAILED;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_steal_pointer (&copy);

  g_dbus_error_strip_remote_error (copy);

  if (error->domain == G_DBUS_ERROR)
    switch (error->code)
      {
      case G_DBUS_ERROR_SERVICE_UNKNOWN:
      case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
      case G_DBUS_ERROR_NO_SERVER:
      case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
      case G_DBUS_ERROR_SPAWN_FORK_FAILED:
      case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
      case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
      case G_DBUS_ERROR_SPAWN_FAILED:
      case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
      case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
      case G_DBUS_ERROR_SPAWN_FILE_INVALID:
      case G_DBUS_ERROR_SPAWN_NO_MEMORY:
        code = POPBELL_CREDENTIALS_ERROR_NO_SERVICE;
        break;
      default:
        break;
      }
  else if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    code = POPBELL_CREDENTIALS_ERROR_LOCKED;
  else if (connecting && error->domain == G_IO_ERROR)
    code = POPBELL_CREDENTIALS_ERROR_NO_SERVICE;

  return g_error_new_literal (POPBELL_CREDENTIALS_ERROR, code, copy->message);
}

/* --- Watching ---------------------------------------------------------- */

static void
stop_collection_watch (PopbellSecretCredentials *self)
{
  g_cancellable_cancel (self->watch_cancellable);
  g_clear_object (&self->watch_cancellable);
  if (self->watch_signal_id != 0)
    g_dbus_connection_signal_unsubscribe (self->watch_connection, self->watch_signal_id);
  self->watch_signal_id = 0;
  g_clear_object (&self->watch_connection);
  g_clear_pointer (&self->watch_path, g_free);
}

static void
stop_name_watch (PopbellSecretCredentials *self)
{
  if (self->name_watch_id != 0)
    g_bus_unwatch_name (self->name_watch_id);
  self->name_watch_id = 0;
}

static void
locked_queried (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(PopbellSecretCredentials) self = user_data;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->watch_cancellable);
  if (reply == NULL)
    {
      g_debug ("keyring: cannot read the Locked property: %s", error->message);
      return;
    }

  g_variant_get (reply, "(v)", &value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN) && !g_variant_get_boolean (value))
    {
      g_debug ("keyring: %s was unlocked", self->watch_path);
      stop_collection_watch (self);
      popbell_credentials_emit_unlocked (POPBELL_CREDENTIALS (self));
    }
}

/* Any signal from the Secret Service about the collection (gnome-keyring
 * sends PropertiesChanged on the collection and CollectionChanged on the
 * service): ask again whether it is still locked, rather than trusting the
 * shape of each signal. */
static void
secrets_signal (GDBusConnection *connection,
                const gchar     *sender_name,
                const gchar     *object_path,
                const gchar     *interface_name,
                const gchar     *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  PopbellSecretCredentials *self = user_data;

  if (self->watch_cancellable != NULL || self->watch_path == NULL)
    return;

  self->watch_cancellable = g_cancellable_new ();
  g_dbus_connection_call (connection, SECRETS_BUS_NAME, self->watch_path,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", SECRETS_COLLECTION_IFACE, "Locked"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          self->watch_cancellable, locked_queried, g_object_ref (self));
}

static void
watch_collection (PopbellSecretCredentials *self,
                  SecretCollection         *collection)
{
  GDBusProxy *proxy = G_DBUS_PROXY (collection);
  const gchar *path = g_dbus_proxy_get_object_path (proxy);

  if (g_strcmp0 (path, self->watch_path) == 0)
    return;

  stop_collection_watch (self);
  self->watch_connection = g_object_ref (g_dbus_proxy_get_connection (proxy));
  self->watch_path = g_strdup (path);
  /* Every signal of the service, filtered by owner: covers both signals
   * whatever object they are emitted on. */
  self->watch_signal_id =
    g_dbus_connection_signal_subscribe (self->watch_connection, SECRETS_BUS_NAME,
                                        NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        secrets_signal, self, NULL);
  g_debug ("keyring: %s is locked; waiting for it to be unlocked", path);
}

static void
service_appeared (GDBusConnection *connection,
                  const gchar     *name,
                  const gchar     *name_owner,
                  gpointer         user_data)
{
  PopbellSecretCredentials *self = user_data;

  g_debug ("keyring: a Secret Service appeared (%s)", name_owner);
  stop_name_watch (self);
  popbell_credentials_emit_unlocked (POPBELL_CREDENTIALS (self));
}

static void
watch_for_service (PopbellSecretCredentials *self)
{
  if (self->name_watch_id != 0)
    return;
  /* Without a session bus this never fires: nothing to wait for then. */
  self->name_watch_id = g_bus_watch_name (G_BUS_TYPE_SESSION, SECRETS_BUS_NAME,
                                          G_BUS_NAME_WATCHER_FLAGS_NONE,
                                          service_appeared, NULL, self, NULL);
}

/* --- Operations -------------------------------------------------------- */

typedef enum {
  OP_LOOKUP,
  OP_STORE,
  OP_CLEAR,
} SecretOpKind;

typedef struct {
  SecretOpKind      op;
  GHashTable       *attributes;  /* (owned) */
  gchar            *label;       /* (owned) (nullable) */
  gchar            *password;    /* (owned) (nullable) wiped when freed */
  SecretService    *service;     /* (owned) (nullable) */
  SecretCollection *collection;  /* (owned) (nullable) the default one */
} SecretOp;

static void
secret_op_free (SecretOp *data)
{
  g_hash_table_unref (data->attributes);
  g_free (data->label);
  popbell_credentials_free_password (data->password);
  g_clear_object (&data->service);
  g_clear_object (&data->collection);
  g_free (data);
}

static void
return_error (GTask        *task,
              const GError *error,
              gboolean      connecting)
{
  PopbellSecretCredentials *self = g_task_get_source_object (task);
  SecretOp *data = g_task_get_task_data (task);
  GError *classified = classify_error (error, connecting);

  if (g_error_matches (classified, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NO_SERVICE))
    watch_for_service (self);
  else if (g_error_matches (classified, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_LOCKED) &&
           data->collection != NULL)
    watch_collection (self, data->collection);

  g_task_return_error (task, classified);
}

/* The password in @value (taken), as a string (free it with
 * popbell_credentials_free_password()). */
static gchar *
password_take (SecretValue *value)
{
  gsize len = 0;
  const gchar *bytes = secret_value_get (value, &len);
  gchar *password = g_strndup (bytes, len);

  secret_value_unref (value);
  return password;
}

static void
return_locked (GTask *task)
{
  g_autoptr(GError) error = g_error_new_literal (SECRET_ERROR, SECRET_ERROR_IS_LOCKED,
                                                 "The keyring is locked");
  return_error (task, error, FALSE);
}

static void
searched (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SecretOp *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *items;
  gchar *password = NULL;
  gboolean locked = FALSE;

  items = secret_service_search_finish (SECRET_SERVICE (source), result, &error);
  if (error != NULL)
    {
      return_error (task, error, FALSE);
      return;
    }

  for (GList *l = items; l != NULL && password == NULL; l = l->next)
    {
      SecretItem *item = l->data;
      SecretValue *value;

      if (secret_item_get_locked (item))
        {
          locked = TRUE;
          continue;
        }
      value = secret_item_get_secret (item);
      if (value != NULL)
        password = password_take (value);
    }
  g_list_free_full (items, g_object_unref);

  if (password != NULL)
    g_task_return_pointer (task, password, (GDestroyNotify) popbell_credentials_free_password);
  else if (locked || (data->collection != NULL && secret_collection_get_locked (data->collection)))
    /* Found only locked, or nothing while the default keyring is locked:
     * it may well be in there, we just cannot see it. */
    return_locked (task);
  else
    g_task_return_new_error (task, POPBELL_CREDENTIALS_ERROR, POPBELL_CREDENTIALS_ERROR_NOT_FOUND,
                             "No password stored");
}

static void
stored (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!secret_service_store_finish (SECRET_SERVICE (source), result, &error))
    return_error (task, error, FALSE);
  else
    g_task_return_boolean (task, TRUE);
}

static void
store_now (GTask *task)
{
  PopbellSecretCredentials *self = g_task_get_source_object (task);
  SecretOp *data = g_task_get_task_data (task);
  SecretValue *value = secret_value_new (data->password, -1, "text/plain");

  secret_service_store (data->service, self->schema, data->attributes,
                        SECRET_COLLECTION_DEFAULT, data->label, value,
                        g_task_get_cancellable (task), stored, g_object_ref (task));
  secret_value_unref (value);
}

static void
unlocked_for_store (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GList *unlocked = NULL;
  gint n;

  n = secret_service_unlock_finish (SECRET_SERVICE (source), result, &unlocked, &error);
  g_list_free_full (unlocked, g_object_unref);
  if (error != NULL)
    return_error (task, error, FALSE);
  else if (n == 0)
    /* The prompt was dismissed, or none could be shown. */
    return_locked (task);
  else
    store_now (task);
}

static void
cleared (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* FALSE without an error: there was nothing to delete, which is fine. */
  if (!secret_service_clear_finish (SECRET_SERVICE (source), result, &error) && error != NULL)
    return_error (task, error, FALSE);
  else
    g_task_return_boolean (task, TRUE);
}

static void
got_collection (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellSecretCredentials *self = g_task_get_source_object (task);
  SecretOp *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* NULL without an error: no default keyring exists (yet). */
  data->collection = secret_collection_for_alias_finish (result, &error);
  if (error != NULL)
    {
      return_error (task, error, FALSE);
      return;
    }

  switch (data->op)
    {
    case OP_LOOKUP:
      /* No SECRET_SEARCH_UNLOCK: a background check must never pop up an
       * unlock prompt; locked items come back locked and we say so. */
      secret_service_search (data->service, self->schema, data->attributes,
                             SECRET_SEARCH_LOAD_SECRETS, cancellable, searched,
                             g_steal_pointer (&task));
      break;

    case OP_STORE:
      if (data->collection != NULL && secret_collection_get_locked (data->collection))
        {
          /* The user asked to store: a prompt is what they expect here. */
          GList *objects = g_list_append (NULL, data->collection);

          secret_service_unlock (data->service, objects, cancellable, unlocked_for_store,
                                 g_steal_pointer (&task));
          g_list_free (objects);
        }
      else
        store_now (task);
      break;

    case OP_CLEAR:
      secret_service_clear (data->service, self->schema, data->attributes, cancellable,
                            cleared, g_steal_pointer (&task));
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
find_collection (GTask *task)
{
  SecretOp *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  secret_collection_for_alias (data->service, SECRET_COLLECTION_DEFAULT,
                               SECRET_COLLECTION_NONE, cancellable, got_collection, task);
}

/* The common case of a lookup: the password is there and unlocked. */
static void
looked_up (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  SecretValue *value;

  value = secret_service_lookup_finish (SECRET_SERVICE (source), result, &error);
  if (error != NULL)
    {
      return_error (task, error, FALSE);
      return;
    }
  if (value != NULL)
    {
      g_task_return_pointer (task, password_take (value),
                             (GDestroyNotify) popbell_credentials_free_password);
      return;
    }
  /* Not stored, or locked: the collection and a search tell which. */
  find_collection (g_steal_pointer (&task));
}

static void
got_service (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellSecretCredentials *self = g_task_get_source_object (task);
  SecretOp *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  data->service = secret_service_get_finish (result, &error);
  if (data->service == NULL)
    {
      return_error (task, error, TRUE);
      return;
    }
  if (data->op == OP_LOOKUP)
    {
      /* SearchItems and GetSecrets, no proxy for the collection or the
       * item (each costs a D-Bus match rule, its properties, and their
       * removal): the idle applet's check talks to the keyring twice
       * (issue 9: wakeups per check). */
      cancellable = g_task_get_cancellable (task);
      secret_service_lookup (data->service, self->schema, data->attributes, cancellable,
                             looked_up, g_steal_pointer (&task));
      return;
    }
  find_collection (g_steal_pointer (&task));
}

static GTask *
secret_op_new (PopbellSecretCredentials *self,
               SecretOpKind              op,
               const gchar              *host,
               const gchar              *user,
               const gchar              *label,
               const gchar              *password,
               GCancellable             *cancellable,
               GAsyncReadyCallback       callback,
               gpointer                  user_data,
               gpointer                  source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  SecretOp *data = g_new0 (SecretOp, 1);

  g_task_set_source_tag (task, source_tag);
  data->op = op;
  data->attributes = secret_attributes_build (self->schema,
                                              ATTRIBUTE_HOST, host,
                                              ATTRIBUTE_USER, user,
                                              NULL);
  data->label = g_strdup (label);
  data->password = g_strdup (password);
  g_task_set_task_data (task, data, (GDestroyNotify) secret_op_free);
  return task;
}

/* --- Prefetch ------------------------------------------------------------ */

static gchar *
prefetch_key (GHashTable *attributes)
{
  const gchar *host = g_hash_table_lookup (attributes, ATTRIBUTE_HOST);
  const gchar *user = g_hash_table_lookup (attributes, ATTRIBUTE_USER);

  if (host == NULL || user == NULL)
    return NULL;
  return g_strconcat (host, "\n", user, NULL);
}

static void
prefetch_drop (PopbellSecretCredentials *self)
{
  g_clear_pointer (&self->prefetched, g_hash_table_unref);
}

/* Starts @task (transfer full): every operation of ours goes through here.
 * A store or a clear also drops what the prefetch holds for the account,
 * so a password this process changes is never served stale. */
static void
secret_op_start (GTask *task)
{
  PopbellSecretCredentials *self = g_task_get_source_object (task);
  SecretOp *data = g_task_get_task_data (task);

  if (data->op != OP_LOOKUP && self->prefetched != NULL)
    {
      g_autofree gchar *key = prefetch_key (data->attributes);

      if (key != NULL)
        g_hash_table_remove (self->prefetched, key);
    }
  /* OPEN_SESSION: secrets travel encrypted over the bus when the service
   * supports it. */
  secret_service_get (SECRET_SERVICE_OPEN_SESSION, g_task_get_cancellable (task), got_service,
                      task);
}

/* Answers a waiting lookup: from the prefetch when it holds the password,
 * else by asking the keyring for this account alone (which also knows how
 * to tell "locked" from "not stored" and waits for ::unlocked). */
static void
prefetch_serve (PopbellSecretCredentials *self,
                GTask                    *task)
{
  SecretOp *data = g_task_get_task_data (task);
  g_autofree gchar *key = prefetch_key (data->attributes);
  gpointer stolen_key = NULL;
  gpointer password = NULL;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  if (self->prefetched != NULL && key != NULL &&
      g_hash_table_steal_extended (self->prefetched, key, &stolen_key, &password))
    {
      /* Stealing hands the key over too (a NULL out-pointer leaks it). */
      g_free (stolen_key);
      g_task_return_pointer (task, password, (GDestroyNotify) popbell_credentials_free_password);
      g_object_unref (task);
      return;
    }
  secret_op_start (task);
}

static void
prefetch_done (PopbellSecretCredentials *self,
               GHashTable               *passwords)
{
  GTask *task;

  self->prefetching = FALSE;
  g_clear_object (&self->prefetch_cancellable);
  prefetch_drop (self);
  self->prefetched = passwords;
  self->prefetched_at = g_get_monotonic_time ();
  while ((task = g_queue_pop_head (&self->prefetch_waiters)) != NULL)
    prefetch_serve (self, task);
}

static void
prefetch_searched (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(PopbellSecretCredentials) self = user_data;
  g_autoptr(GError) error = NULL;
  GHashTable *passwords;
  GList *items;

  items = secret_service_search_finish (SECRET_SERVICE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* disposed: the waiters went with it */
  if (error != NULL)
    {
      /* Seen with gnome-keyring and hundreds of items: an item vanishes
       * between the search and libsecret's proxy for it. One lookup per
       * account then, as before, rather than a failing search per lookup. */
      g_debug ("keyring: reading all passwords at once failed: %s", error->message);
      self->prefetch_failed_at = g_get_monotonic_time ();
      prefetch_done (self, NULL);
      return;
    }

  passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) popbell_credentials_free_password);
  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretItem *item = l->data;
      g_autoptr(GHashTable) attributes = NULL;
      g_autofree gchar *key = NULL;
      SecretValue *value;

      /* A locked item has no secret here: that lookup asks on its own. */
      if (secret_item_get_locked (item) || (value = secret_item_get_secret (item)) == NULL)
        continue;
      attributes = secret_item_get_attributes (item);
      key = prefetch_key (attributes);
      if (key != NULL && !g_hash_table_contains (passwords, key))
        g_hash_table_insert (passwords, g_steal_pointer (&key), password_take (value));
      else
        secret_value_unref (value);
    }
  g_list_free_full (items, g_object_unref);
  g_debug ("keyring: %u passwords read in one search", g_hash_table_size (passwords));
  prefetch_done (self, passwords);
}

static void
prefetch_got_service (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(PopbellSecretCredentials) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SecretService) service = secret_service_get_finish (result, &error);
  g_autoptr(GHashTable) all = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (service == NULL)
    {
      /* Each lookup then meets (and reports, and watches) the error. */
      prefetch_done (self, NULL);
      return;
    }
  /* Every item of our schema, one D-Bus search and one GetSecrets. No
   * SECRET_SEARCH_UNLOCK: a background check never pops up a prompt;
   * locked items stay locked and their lookups report it (::unlocked then
   * brings the checks back). */
  all = g_hash_table_new (g_str_hash, g_str_equal);
  secret_service_search (service, self->schema, all,
                         SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS,
                         self->prefetch_cancellable, prefetch_searched, g_object_ref (self));
}

static void
secret_lookup_async (PopbellCredentials  *credentials,
                     const gchar         *host,
                     const gchar         *user,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  PopbellSecretCredentials *self = POPBELL_SECRET_CREDENTIALS (credentials);
  GTask *task = secret_op_new (self, OP_LOOKUP, host, user, NULL, NULL, cancellable,
                               callback, user_data, secret_lookup_async);

  if (self->prefetched != NULL &&
      g_get_monotonic_time () - self->prefetched_at >= PREFETCH_TTL_US)
    prefetch_drop (self);

  if (self->prefetched != NULL)
    {
      prefetch_serve (self, task);
      return;
    }
  if (!self->prefetching && self->prefetch_failed_at != 0 &&
      g_get_monotonic_time () - self->prefetch_failed_at < PREFETCH_TTL_US)
    {
      secret_op_start (task);
      return;
    }
  g_queue_push_tail (&self->prefetch_waiters, task);
  if (self->prefetching)
    return;
  self->prefetching = TRUE;
  self->prefetch_cancellable = g_cancellable_new ();
  secret_service_get (SECRET_SERVICE_OPEN_SESSION, self->prefetch_cancellable,
                      prefetch_got_service, g_object_ref (self));
}

static gchar *
secret_lookup_finish (PopbellCredentials  *credentials,
                      GAsyncResult        *result,
                      GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, credentials), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
secret_store_async (PopbellCredentials  *credentials,
                    const gchar         *host,
                    const gchar         *user,
                    const gchar         *label,
                    const gchar         *password,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  secret_op_start (secret_op_new (POPBELL_SECRET_CREDENTIALS (credentials), OP_STORE, host, user,
                                  label, password, cancellable, callback, user_data,
                                  secret_store_async));
}

static gboolean
secret_boolean_finish (PopbellCredentials  *credentials,
                       GAsyncResult        *result,
                       GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, credentials), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
secret_clear_async (PopbellCredentials  *credentials,
                    const gchar         *host,
                    const gchar         *user,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  secret_op_start (secret_op_new (POPBELL_SECRET_CREDENTIALS (credentials), OP_CLEAR, host, user,
                                  NULL, NULL, cancellable, callback, user_data,
                                  secret_clear_async));
}

static void
popbell_secret_credentials_iface_init (PopbellCredentialsInterface *iface)
{
  iface->lookup_async = secret_lookup_async;
  iface->lookup_finish = secret_lookup_finish;
  iface->store_async = secret_store_async;
  iface->store_finish = secret_boolean_finish;
  iface->clear_async = secret_clear_async;
  iface->clear_finish = secret_boolean_finish;
}

static void
popbell_secret_credentials_dispose (GObject *object)
{
  PopbellSecretCredentials *self = POPBELL_SECRET_CREDENTIALS (object);

  stop_collection_watch (self);
  stop_name_watch (self);
  g_cancellable_cancel (self->prefetch_cancellable);
  g_clear_object (&self->prefetch_cancellable);
  prefetch_drop (self);
  /* Lookups still waiting for the prefetch hold a reference to us, so
   * this runs with none waiting unless someone called dispose by hand. */
  {
    GTask *task;

    while ((task = g_queue_pop_head (&self->prefetch_waiters)) != NULL)
      {
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "The keyring access was shut down");
        g_object_unref (task);
      }
  }

  G_OBJECT_CLASS (popbell_secret_credentials_parent_class)->dispose (object);
}

static void
popbell_secret_credentials_class_init (PopbellSecretCredentialsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_secret_credentials_dispose;
}

static void
popbell_secret_credentials_init (PopbellSecretCredentials *self)
{
  g_queue_init (&self->prefetch_waiters);
  self->schema = account_schema ();
}

PopbellCredentials *
popbell_secret_credentials_new (void)
{
  return g_object_new (POPBELL_TYPE_SECRET_CREDENTIALS, NULL);
}

PopbellCredentials *
popbell_secret_credentials_new_oauth2 (void)
{
  PopbellSecretCredentials *self = g_object_new (POPBELL_TYPE_SECRET_CREDENTIALS, NULL);

  self->schema = oauth2_schema ();
  return POPBELL_CREDENTIALS (self);
}
