/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-test-oauth2.h"

#include <string.h>
#include <glib/gstdio.h>

#include "popbell-test-util.h"

/* How often the line @event stands in the file @path (an events log the
 * Python fixtures append to). */
static guint
count_lines (const gchar *path, const gchar *event)
{
  g_autofree gchar *data = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &data, NULL, NULL))
    return 0;
  lines = g_strsplit (data, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_equal (lines[i], event))
      n++;
  return n;
}

/* The first line a fixture script prints once it is ready. */
static gchar *
read_first_line (GSubprocess *process)
{
  g_autoptr(GDataInputStream) out =
    g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_autoptr(GError) error = NULL;
  gchar *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

  g_assert_no_error (error);
  return line;
}

/* The script @name of tests/support run by python3 with @args, its stdin
 * and stdout piped. (transfer full) */
static GSubprocess *
spawn_script (const gchar *name, const gchar * const *args)
{
  g_autofree gchar *script = g_build_filename (g_getenv ("POPBELL_SUPPORT_DIR"), name, NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, (gpointer) "/usr/bin/python3");
  g_ptr_array_add (argv, script);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const gchar * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                               &error);
  g_assert_no_error (error);
  return process;
}

/* EOF on its stdin ends a fixture script; a kill is the fallback. */
static void
stop_script (GSubprocess *process, gboolean force)
{
  g_output_stream_close (g_subprocess_get_stdin_pipe (process), NULL, NULL);
  if (force)
    g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
  g_object_unref (process);
}

gchar *
popbell_test_oauth2_scratch_new (void)
{
  g_autoptr(GError) error = NULL;
  gchar *dir = g_dir_make_tmp ("popbell-oauth2.XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
popbell_test_oauth2_scratch_free (gchar *dir)
{
  const gchar *argv[] = { "rm", "-rf", "--", dir, NULL };

  if (dir == NULL)
    return;
  /* Only what g_dir_make_tmp() made. */
  if (g_str_has_prefix (dir, g_get_tmp_dir ()))
    g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                  NULL, NULL);
  g_free (dir);
}

/* --- the provider ---------------------------------------------------------- */

struct _PopbellTestOAuth2
{
  GSubprocess *process;   /* (owned) */
  gchar       *dir;       /* (owned) */
  guint16      port;
};

PopbellTestOAuth2 *
popbell_test_oauth2_start (const gchar *user, guint lifetime)
{
  g_autofree gchar *lifetime_text = g_strdup_printf ("%u", lifetime);
  g_autofree gchar *line = NULL;
  PopbellTestOAuth2 *self;
  guint64 port;

  if (!g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE))
    {
      popbell_test_skip_or_fail ("python3 is not installed");
      return NULL;
    }
  self = g_new0 (PopbellTestOAuth2, 1);
  self->dir = popbell_test_oauth2_scratch_new ();
  {
    const gchar *args[] = { self->dir, "--user", user, "--lifetime", lifetime_text, NULL };

    self->process = spawn_script ("oauth2-server.py", args);
  }
  line = read_first_line (self->process);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "PORT="));
  g_assert_true (g_ascii_string_to_unsigned (line + 5, 10, 1, 65535, &port, NULL));
  self->port = (guint16) port;
  return self;
}

void
popbell_test_oauth2_stop (PopbellTestOAuth2 *self)
{
  if (self == NULL)
    return;
  stop_script (self->process, TRUE);
  popbell_test_oauth2_scratch_free (self->dir);
  g_free (self);
}

gchar *
popbell_test_oauth2_url (PopbellTestOAuth2 *self, const gchar *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", self->port, path);
}

const gchar *
popbell_test_oauth2_get_dir (PopbellTestOAuth2 *self)
{
  return self->dir;
}

void
popbell_test_oauth2_add_token (PopbellTestOAuth2 *self, const gchar *token, const gchar *user)
{
  g_autofree gchar *path = g_build_filename (self->dir, "tokens", NULL);
  g_autofree gchar *old = NULL;
  g_autofree gchar *data = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &old, NULL, NULL);
  data = g_strdup_printf ("%s%s %s\n", old != NULL ? old : "", token, user);
  g_file_set_contents (path, data, -1, &error);
  g_assert_no_error (error);
}

guint
popbell_test_oauth2_count (PopbellTestOAuth2 *self, const gchar *event)
{
  g_autofree gchar *path = g_build_filename (self->dir, "events", NULL);

  return count_lines (path, event);
}

void
popbell_test_oauth2_expire_all (PopbellTestOAuth2 *self)
{
  g_autofree gchar *url = popbell_test_oauth2_url (self, "/expire");
  g_autoptr(GError) error = NULL;
  gint status = -1;
  const gchar *argv[] = { "/usr/bin/python3", "-c",
                          "import sys,urllib.request;"
                          "urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b''))",
                          url, NULL };

  g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

GStrv
popbell_test_oauth2_builtin_settings (PopbellTestOAuth2 *self)
{
  g_autofree gchar *auth = popbell_test_oauth2_url (self, "/authorize");
  g_autofree gchar *token = popbell_test_oauth2_url (self, "/token");
  const gchar *settings[] = {
    "oauth2-source", "builtin",
    "oauth2-provider", "custom",
    "oauth2-client-id", "popbell-test",
    "oauth2-auth-url", auth,
    "oauth2-token-url", token,
    "oauth2-scope", "pop3 offline_access",
    NULL,
  };

  return g_strdupv ((gchar **) settings);
}

PopbellTestDovecot *
popbell_test_oauth2_start_dovecot (PopbellTestOAuth2 *self)
{
  g_autofree gchar *introspect = popbell_test_oauth2_url (self, "/introspect");

  return popbell_test_dovecot_start_oauth2 (introspect);
}

int
popbell_test_oauth2_run_with_dovecot (const gchar         *user,
                                      PopbellTestOAuth2  **provider,
                                      PopbellTestDovecot **dovecot)
{
  int status;

  *provider = popbell_test_oauth2_start (user, 3600);
  if (*provider != NULL)
    *dovecot = popbell_test_oauth2_start_dovecot (*provider);
  if (*dovecot != NULL)
    status = g_test_run ();
  else
    status = popbell_test_require_services () ? 1 : 77;

  g_clear_pointer (dovecot, popbell_test_dovecot_stop);
  g_clear_pointer (provider, popbell_test_oauth2_stop);
  return status;
}

/* --- a scripted token endpoint --------------------------------------------- */

typedef struct {
  guint  status;
  gchar *json;   /* (owned) */
} TokenAnswer;

static void
token_answer_free (TokenAnswer *answer)
{
  g_free (answer->json);
  g_free (answer);
}

struct _PopbellTestTokenEndpoint
{
  GSocketService *service;   /* (owned) */
  guint16         port;
  GMutex          lock;      /* the handler thread reads and writes these: */
  GQueue          answers;   /* (element-type TokenAnswer) (owned) */
  GPtrArray      *forms;     /* (element-type utf8) (owned) */
};

/* Reads one request (head, then Content-Length bytes of form), answers it
 * and closes. Runs in the service's own thread: blocking I/O is fine. */
static gboolean
token_endpoint_run (GThreadedSocketService *service,
                    GSocketConnection      *connection,
                    GObject                *source_object,
                    gpointer                user_data)
{
  PopbellTestTokenEndpoint *self = user_data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GByteArray) request = g_byte_array_new ();
  g_autofree gchar *reply = NULL;
  const gchar *head_end = NULL;
  TokenAnswer *answer;
  guint64 length = 0;
  guint8 buffer[4096];

  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL);
      const gchar *data;

      if (n <= 0)
        return TRUE;
      g_byte_array_append (request, buffer, (guint) n);
      data = (const gchar *) request->data;
      head_end = g_strstr_len (data, request->len, "\r\n\r\n");
      if (head_end == NULL)
        continue;
      if (length == 0)
        {
          g_autofree gchar *head = g_ascii_strdown (data, head_end - data);
          const gchar *field = strstr (head, "\r\ncontent-length:");

          if (field != NULL)
            length = g_ascii_strtoull (field + 17, NULL, 10);
        }
      if (request->len - (gsize) (head_end + 4 - data) >= length)
        break;
    }

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->forms, g_strndup (head_end + 4, length));
  answer = g_queue_pop_head (&self->answers);
  g_mutex_unlock (&self->lock);
  if (answer == NULL)
    reply = g_strdup ("HTTP/1.1 500 Nothing scripted\r\nContent-Length: 0\r\n"
                      "Connection: close\r\n\r\n");
  else
    reply = g_strdup_printf ("HTTP/1.1 %u Scripted\r\nContent-Type: application/json\r\n"
                             "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n"
                             "\r\n%s", answer->status, strlen (answer->json), answer->json);
  g_clear_pointer (&answer, token_answer_free);
  g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

PopbellTestTokenEndpoint *
popbell_test_token_endpoint_new (void)
{
  PopbellTestTokenEndpoint *self = g_new0 (PopbellTestTokenEndpoint, 1);
  g_autoptr(GSocketAddress) loopback = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_init (&self->lock);
  g_queue_init (&self->answers);
  self->forms = g_ptr_array_new_with_free_func (g_free);
  self->service = g_threaded_socket_service_new (1);
  g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), loopback,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                 &error);
  g_assert_no_error (error);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (self->service, "run", G_CALLBACK (token_endpoint_run), self);
  g_socket_service_start (self->service);
  return self;
}

void
popbell_test_token_endpoint_free (PopbellTestTokenEndpoint *self)
{
  if (self == NULL)
    return;
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  /* A handler touches @self only before it sends its answer, and a test
   * frees this once the answers it waited for arrived. */
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_object_unref (self->service);
  g_queue_clear_full (&self->answers, (GDestroyNotify) token_answer_free);
  g_ptr_array_unref (self->forms);
  g_mutex_clear (&self->lock);
  g_free (self);
}

gchar *
popbell_test_token_endpoint_url (PopbellTestTokenEndpoint *self)
{
  return g_strdup_printf ("http://127.0.0.1:%u/token", self->port);
}

void
popbell_test_token_endpoint_answer (PopbellTestTokenEndpoint *self,
                                    guint                     status,
                                    const gchar              *json)
{
  TokenAnswer *answer = g_new0 (TokenAnswer, 1);

  answer->status = status;
  answer->json = g_strdup (json);
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->answers, answer);
  g_mutex_unlock (&self->lock);
}

gchar *
popbell_test_token_endpoint_dup_form (PopbellTestTokenEndpoint *self, guint n)
{
  gchar *form;

  g_mutex_lock (&self->lock);
  form = n < self->forms->len ? g_strdup (self->forms->pdata[n]) : NULL;
  g_mutex_unlock (&self->lock);
  return form;
}

/* --- GNOME Online Accounts ------------------------------------------------- */

struct _PopbellTestGoa
{
  GSubprocess *process;  /* (owned) */
  gchar       *dir;      /* (owned) config.json, events */
  gchar       *events;   /* (owned) */
};

PopbellTestGoa *
popbell_test_goa_start (const gchar *config_json)
{
  PopbellTestGoa *self = g_new0 (PopbellTestGoa, 1);
  g_autofree gchar *config = NULL;
  g_autofree gchar *line = NULL;
  g_autoptr(GError) error = NULL;

  self->dir = popbell_test_oauth2_scratch_new ();
  config = g_build_filename (self->dir, "config.json", NULL);
  self->events = g_build_filename (self->dir, "events", NULL);
  g_file_set_contents (config, config_json, -1, &error);
  g_assert_no_error (error);
  {
    const gchar *args[] = { config, self->events, NULL };

    self->process = spawn_script ("oauth2-fake-goa.py", args);
  }
  line = read_first_line (self->process);
  g_assert_cmpstr (line, ==, "READY");
  return self;
}

void
popbell_test_goa_stop (PopbellTestGoa *self)
{
  if (self == NULL)
    return;
  stop_script (self->process, FALSE);
  popbell_test_oauth2_scratch_free (self->dir);
  g_free (self->events);
  g_free (self);
}

guint
popbell_test_goa_count (PopbellTestGoa *self, const gchar *event)
{
  return count_lines (self->events, event);
}

gchar *
popbell_test_goa_dup_events (PopbellTestGoa *self)
{
  gchar *data = NULL;

  if (!g_file_get_contents (self->events, &data, NULL, NULL))
    return g_strdup ("");
  return data;
}

/* --- the browser ----------------------------------------------------------- */

void
popbell_test_oauth2_register_browser (void)
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
                          "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n"
                          "NoDisplay=true\n", g_getenv ("POPBELL_SUPPORT_DIR"));
  g_file_set_contents (desktop, text, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (mimeapps, "[Default Applications]\n"
                                 "x-scheme-handler/http=popbell-test-browser.desktop\n"
                                 "x-scheme-handler/https=popbell-test-browser.desktop\n",
                       -1, &error);
  g_assert_no_error (error);
}
