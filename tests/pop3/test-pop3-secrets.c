/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* "The password is wiped on free" as an assertion: every heap block the
 * process gives back during a login is searched for the password (and its
 * SASL PLAIN encoding). The server is a tiny thread that keeps what it
 * reads on its stack, so only the client's copies can be found. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "popbell-pop3-client.h"
#include "popbell-test-heap.h"

#define USER     "alice"
#define PASSWORD "Wipe-Me-7f3a9c"

typedef struct {
  int      listen_fd;
  guint16  port;
  gboolean force_continuation;  /* AUTH PLAIN: ignore the initial response */
} RawServer;

static void
raw_send (int fd, const char *text)
{
  gsize len = strlen (text);

  while (len > 0)
    {
      ssize_t n = send (fd, text, len, MSG_NOSIGNAL);
      if (n <= 0)
        return;
      text += n;
      len -= n;
    }
}

/* One session per accepted connection; everything on the stack. */
static gpointer
raw_server_thread (gpointer user_data)
{
  RawServer *server = user_data;
  int fd;

  while ((fd = accept (server->listen_fd, NULL, NULL)) >= 0)
    {
      char buf[4096];
      gsize have = 0;
      gboolean sasl_wait = FALSE;
      gboolean quit = FALSE;

      raw_send (fd, "+OK raw <1.2@raw>\r\n");
      while (!quit)
        {
          ssize_t n = recv (fd, buf + have, sizeof buf - have, 0);
          char *nl;

          if (n <= 0)
            break;
          have += n;
          while (!quit && (nl = memchr (buf, '\n', have)) != NULL)
            {
              gsize len = nl - buf + 1;
              char line[4096];

              memcpy (line, buf, len);
              line[len] = '\0';
              memmove (buf, buf + len, have - len);
              have -= len;

              if (sasl_wait)
                {
                  sasl_wait = FALSE;
                  raw_send (fd, "+OK welcome\r\n");
                }
              else if (strncmp (line, "CAPA", 4) == 0)
                raw_send (fd, "+OK\r\nUSER\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n");
              else if (strncmp (line, "AUTH PLAIN", 10) == 0 &&
                       (server->force_continuation || line[10] != ' '))
                {
                  sasl_wait = TRUE;
                  raw_send (fd, "+ \r\n");
                }
              else if (strncmp (line, "STAT", 4) == 0)
                raw_send (fd, "+OK 0 0\r\n");
              else if (strncmp (line, "QUIT", 4) == 0)
                {
                  raw_send (fd, "+OK bye\r\n");
                  quit = TRUE;
                }
              else
                raw_send (fd, "+OK\r\n");
              memset (line, 0, sizeof line);
            }
        }
      memset (buf, 0, sizeof buf);
      close (fd);
    }
  return NULL;
}

static void
raw_server_start (RawServer *server)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  socklen_t len = sizeof addr;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  server->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (server->listen_fd, >=, 0);
  g_assert_cmpint (bind (server->listen_fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (server->listen_fd, 4), ==, 0);
  g_assert_cmpint (getsockname (server->listen_fd, (struct sockaddr *) &addr, &len), ==, 0);
  server->port = ntohs (addr.sin_port);
  g_thread_unref (g_thread_new ("raw-pop3", raw_server_thread, server));
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
run_session (RawServer *server, PopbellPop3AuthMethod method)
{
  g_autoptr(PopbellPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL;
  guint count;
  guint64 size;

  client = popbell_pop3_client_new ("127.0.0.1", server->port, POPBELL_POP3_SECURITY_NONE);
  popbell_pop3_client_set_allow_insecure_auth (client, TRUE);
  popbell_pop3_client_set_timeout (client, 10);
  popbell_pop3_client_connect_async (client, NULL, store_result, &r1);
  g_assert_true (popbell_pop3_client_connect_finish (client, wait_for (&r1), &error));
  g_assert_no_error (error);
  popbell_pop3_client_login_async (client, USER, PASSWORD, method, NULL, store_result, &r2);
  g_assert_true (popbell_pop3_client_login_finish (client, wait_for (&r2), &error));
  g_assert_no_error (error);
  popbell_pop3_client_stat_async (client, NULL, store_result, &r3);
  g_assert_true (popbell_pop3_client_stat_finish (client, wait_for (&r3), &count, &size, &error));
  g_assert_no_error (error);
  popbell_pop3_client_quit_async (client, NULL, store_result, &r4);
  g_assert_true (popbell_pop3_client_quit_finish (client, wait_for (&r4), &error));
  g_assert_no_error (error);
}

static void
test_login_leaves_no_copy (gconstpointer data)
{
  PopbellPop3AuthMethod method = GPOINTER_TO_INT (data);
  static RawServer server;
  static gboolean started;
  gchar b64[128];

  if (!started)
    {
      raw_server_start (&server);
      started = TRUE;
    }
  /* The SASL PLAIN response, computed before watching starts. */
  {
    gchar *encoded = g_base64_encode ((const guchar *) "\0" USER "\0" PASSWORD,
                                      strlen (USER) + strlen (PASSWORD) + 2);
    g_strlcpy (b64, encoded, sizeof b64);
    memset (encoded, 0, strlen (encoded));
    g_free (encoded);
  }

  for (guint round = 0; round < 2; round++)
    {
      guint hits;

      /* Round 1 makes the server ask for the response after "+ ". */
      server.force_continuation = round == 1;
      popbell_test_heap_watch (PASSWORD);
      popbell_test_heap_watch (b64);
      run_session (&server, method);
      /* Let everything the session scheduled run and free its data. */
      while (g_main_context_iteration (NULL, FALSE))
        ;
      hits = popbell_test_heap_unwatch ();
      g_assert_cmpuint (hits, ==, 0);
    }
  memset (b64, 0, sizeof b64);
}

/* The watcher itself: a copy freed without a wipe is found. */
static void
test_watcher_finds_copy (void)
{
  gchar *copy;

  popbell_test_heap_watch (PASSWORD);
  copy = g_strdup ("x" PASSWORD "y");
  g_free (copy);
  g_assert_cmpuint (popbell_test_heap_unwatch (), ==, 1);

  popbell_test_heap_watch (PASSWORD);
  copy = g_strdup ("x" PASSWORD "y");
  memset (copy, 0, strlen (copy));
  g_free (copy);
  g_assert_cmpuint (popbell_test_heap_unwatch (), ==, 0);
}

int
main (int argc, char **argv)
{
  popbell_test_heap_init (argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pop3/secrets/watcher-finds-copy", test_watcher_finds_copy);
  g_test_add_data_func ("/pop3/secrets/user-pass", GINT_TO_POINTER (POPBELL_POP3_AUTH_USER),
                        test_login_leaves_no_copy);
  g_test_add_data_func ("/pop3/secrets/sasl-plain",
                        GINT_TO_POINTER (POPBELL_POP3_AUTH_SASL_PLAIN),
                        test_login_leaves_no_copy);
  g_test_add_data_func ("/pop3/secrets/apop", GINT_TO_POINTER (POPBELL_POP3_AUTH_APOP),
                        test_login_leaves_no_copy);

  return g_test_run ();
}
