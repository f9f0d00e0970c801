/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <string.h>

#include "popbell-diagnostics.h"
#include "popbell-error.h"

/* The report is for the maintainers who read bug reports, so its headings
 * stay English whatever the user's language; the sentences of errors in it
 * are the user's. */

/* A session that never ends must not make the report unbounded. */
#define MAX_TRACE_LINES 400

typedef struct {
  PopbellAccount     *account;      /* (owned) */
  PopbellCredentials *credentials;  /* (owned) */
  PopbellPop3Client  *client;       /* (owned) (nullable) */
  gchar              *password;     /* (owned) (nullable) wiped */
  GString            *trace;
  guint               trace_lines;
  GString            *timing;
  gint64              step_start;
  gchar              *greeting;     /* (owned) (nullable) redacted */
  gchar              *tls;          /* (owned) (nullable) the TLS section */
  const gchar        *failed_step;  /* (nullable) */
  GError             *failure;      /* (owned) (nullable) translated */
  gboolean            logged_in;
  guint               messages;
  guint64             size;
} Run;

static void
run_free (Run *run)
{
  if (run->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (run->client, run);
      popbell_pop3_client_close (run->client);
    }
  g_clear_object (&run->client);
  g_clear_object (&run->account);
  g_clear_object (&run->credentials);
  g_clear_pointer (&run->password, popbell_credentials_free_password);
  g_string_free (run->trace, TRUE);
  g_string_free (run->timing, TRUE);
  g_free (run->greeting);
  g_free (run->tls);
  g_clear_error (&run->failure);
  g_free (run);
}

/* Redaction ---------------------------------------------------------------- */

static void
replace_all (GString     *text,
             const gchar *what,
             const gchar *with)
{
  if (what != NULL && *what != '\0')
    g_string_replace (text, what, with, 0);
}

/* A SASL exchange line: base64 of some length, with lower case or digits
 * (a capability such as PIPELINING is one upper-case word). */
static gboolean
is_base64_word (const gchar *text)
{
  gboolean mixed = FALSE;
  gsize n = 0;

  for (const gchar *p = text; *p != '\0'; p++, n++)
    {
      if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
        return FALSE;
      mixed |= g_ascii_islower (*p) || g_ascii_isdigit (*p);
    }
  return n >= 8 && mixed;
}

gchar *
popbell_diagnostics_redact (const gchar *line,
                            const gchar *username,
                            const gchar *password)
{
  static const gchar *const headers[] = {
    "from:", "to:", "cc:", "bcc:", "subject:", "reply-to:", "sender:", "date:",
    "message-id:", "received:", "return-path:", "delivered-to:", "in-reply-to:",
    "references:", NULL
  };
  g_autoptr(GString) text = g_string_new (line);
  g_autofree gchar *lower = g_ascii_strdown (line, -1);
  const gchar *at;

  /* A message's header line says who wrote to whom about what. */
  for (guint i = 0; headers[i] != NULL; i++)
    if (g_str_has_prefix (lower, headers[i]))
      return g_strdup ("[header]");

  /* SASL data carries the credentials (PLAIN) or a token (OAuth). */
  if (g_str_has_prefix (lower, "auth ") && strchr (line + 5, ' ') != NULL)
    {
      g_autofree gchar *mechanism = g_strndup (line, strchr (line + 5, ' ') - line);

      return g_strconcat (mechanism, " [secret]", NULL);
    }
  if (is_base64_word (line))
    return g_strdup ("[secret]");
  if (g_str_has_prefix (line, "+ ") && is_base64_word (line + 2))
    return g_strdup ("+ [secret]");

  /* Short values would replace ordinary letters; the client already masks
   * what it sends (PASS, APOP), this catches echoes by the server. */
  if (password != NULL && strlen (password) >= 3)
    replace_all (text, password, "[secret]");
  if (username != NULL && strlen (username) >= 2)
    {
      replace_all (text, username, "[user]");
      at = strchr (username, '@');
      if (at != NULL && at - username >= 3)
        {
          g_autofree gchar *local = g_strndup (username, at - username);

          replace_all (text, local, "[user]");
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The session ---------------------------------------------------------------- */

static void
on_trace (PopbellPop3Client *client,
          const gchar       *direction,
          const gchar       *text,
          Run               *run)
{
  g_autofree gchar *clean = popbell_diagnostics_redact (text,
                                                        popbell_account_get_username (run->account),
                                                        run->password);

  if (run->greeting == NULL && g_str_equal (direction, "S"))
    run->greeting = g_strdup (clean);
  if (++run->trace_lines > MAX_TRACE_LINES)
    return;
  g_string_append_printf (run->trace, "  %s: %s\n", direction, clean);
}

static void
step_done (Run         *run,
           const gchar *step)
{
  gint64 now = g_get_monotonic_time ();

  g_string_append_printf (run->timing, "  %-10s %6.1f ms\n", step,
                          (now - run->step_start) / 1000.0);
  run->step_start = now;
}

static gchar *
fingerprint_of (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autofree gchar *hex = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return g_strdup ("?");
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  for (guint i = 0; hex[i] != '\0'; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_toupper (hex[i]));
      g_string_append_c (out, g_ascii_toupper (hex[i + 1]));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const gchar *
protocol_name (GTlsProtocolVersion version)
{
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_SSL_3_0: return "SSL 3.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_0: return "TLS 1.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_1: return "TLS 1.1";
    case G_TLS_PROTOCOL_VERSION_TLS_1_2: return "TLS 1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3: return "TLS 1.3";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0: return "DTLS 1.0";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2: return "DTLS 1.2";
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    default: return "unknown";
    }
}

/* The TLS section, read while the connection is up. */
static void
record_tls (Run *run)
{
  GTlsConnection *tls = popbell_pop3_client_get_tls_connection (run->client);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree gchar *cipher = NULL;
  GTlsCertificateFlags errors;
  const gchar *pin = popbell_account_get_tls_pinned_sha256 (run->account);
  guint depth = 0;

  if (tls == NULL)
    {
      g_free (run->tls);
      run->tls = g_strdup ("TLS: none (the connection is not encrypted)\n");
      return;
    }

  cipher = g_tls_connection_get_ciphersuite_name (tls);
  g_string_append_printf (text, "TLS: %s, cipher %s\n",
                          protocol_name (g_tls_connection_get_protocol_version (tls)),
                          cipher != NULL ? cipher : "unknown");
  g_string_append (text, "Certificate chain (SHA-256 of each certificate):\n");
  for (GTlsCertificate *c = g_tls_connection_get_peer_certificate (tls);
       c != NULL && depth < 10; c = g_tls_certificate_get_issuer (c), depth++)
    {
      g_autofree gchar *fingerprint = fingerprint_of (c);
      g_autofree gchar *subject = g_tls_certificate_get_subject_name (c);

      g_string_append_printf (text, "  %u. %s\n     %s\n", depth,
                              subject != NULL ? subject : "(no subject)", fingerprint);
    }

  errors = g_tls_connection_get_peer_certificate_errors (tls);
  if (errors == 0)
    g_string_append (text, "Trust: verified against the system's certificates\n");
  else if (pin != NULL && *pin != '\0')
    g_string_append (text, "Trust: accepted by its pinned fingerprint (tls-pinned-sha256)\n");
  else if (popbell_account_get_tls_ca_file (run->account) != NULL)
    g_string_append (text, "Trust: accepted by the account's tls-ca-file\n");
  else
    g_string_append_printf (text, "Trust: accepted with certificate errors 0x%x\n", errors);

  g_free (run->tls);
  run->tls = g_string_free (g_steal_pointer (&text), FALSE);
}

static const gchar *
security_name (PopbellPop3Security security)
{
  switch (security)
    {
    case POPBELL_POP3_SECURITY_TLS: return "tls";
    case POPBELL_POP3_SECURITY_STARTTLS: return "starttls";
    case POPBELL_POP3_SECURITY_NONE: return "none";
    default: return "?";
    }
}

static const gchar *
auth_name (PopbellPop3AuthMethod method)
{
  switch (method)
    {
    case POPBELL_POP3_AUTH_AUTO: return "auto";
    case POPBELL_POP3_AUTH_USER: return "user (USER/PASS)";
    case POPBELL_POP3_AUTH_APOP: return "apop";
    case POPBELL_POP3_AUTH_SASL_PLAIN: return "sasl-plain";
    default: return "other";
    }
}

static gchar *
build_report (Run *run)
{
  static const gchar *const capabilities[] = {
    "TOP", "USER", "UIDL", "SASL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS",
    "LOGIN-DELAY", "EXPIRE", "UTF8", "LANG", NULL
  };
  PopbellAccount *a = run->account;
  g_autoptr(GString) r = g_string_new (NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree gchar *date = g_date_time_format_iso8601 (now);
  PopbellPop3Client *c = run->client;

  g_string_append (r, "Popbell diagnostics\n");
  g_string_append_printf (r, "Popbell %s, GLib %u.%u.%u, TLS backend %s\n", PACKAGE_VERSION,
                          glib_major_version, glib_minor_version, glib_micro_version,
                          G_OBJECT_TYPE_NAME (g_tls_backend_get_default ()));
  g_string_append_printf (r, "Date: %s\n\n", date);

  g_string_append_printf (r, "Account: %s (user name and password replaced throughout)\n",
                          popbell_account_get_name (a));
  g_string_append_printf (r, "Server: %s port %u, security=%s, auth=%s, timeout=%u s\n",
                          popbell_account_get_host (a), popbell_account_get_port (a),
                          security_name (popbell_account_get_security (a)),
                          auth_name (popbell_account_get_auth (a)), popbell_account_get_timeout (a));
  g_string_append_printf (r, "tls-ca-file: %s, tls-pinned-sha256: %s\n\n",
                          popbell_account_get_tls_ca_file (a) != NULL ? "set" : "not set",
                          popbell_account_get_tls_pinned_sha256 (a) != NULL ? "set" : "not set");

  g_string_append_printf (r, "Greeting: %s\n", run->greeting != NULL ? run->greeting : "(none)");
  if (c != NULL && popbell_pop3_client_has_capability (c, "IMPLEMENTATION"))
    {
      g_autofree gchar *impl = popbell_diagnostics_redact (
        popbell_pop3_client_get_capability_args (c, "IMPLEMENTATION"),
        popbell_account_get_username (a), run->password);

      g_string_append_printf (r, "Implementation: %s\n", impl);
    }
  else
    g_string_append (r, "Implementation: not announced\n");

  g_string_append (r, "Capabilities:");
  for (guint i = 0; c != NULL && capabilities[i] != NULL; i++)
    if (popbell_pop3_client_has_capability (c, capabilities[i]))
      {
        const gchar *args = popbell_pop3_client_get_capability_args (c, capabilities[i]);

        g_string_append_printf (r, " %s%s%s", capabilities[i],
                                args != NULL && *args != '\0' ? "=" : "",
                                args != NULL ? args : "");
      }
  g_string_append_c (r, '\n');
  if (c != NULL && popbell_pop3_client_get_login_delay (c) >= 0)
    g_string_append_printf (r, "LOGIN-DELAY: %d s\n", popbell_pop3_client_get_login_delay (c));
  else
    g_string_append (r, "LOGIN-DELAY: not announced\n");
  if (c != NULL && popbell_pop3_client_get_expire (c) >= 0)
    g_string_append_printf (r, "EXPIRE: %d days\n", popbell_pop3_client_get_expire (c));
  else
    g_string_append (r, "EXPIRE: not announced (or NEVER)\n");
  g_string_append_c (r, '\n');

  if (run->tls != NULL)
    g_string_append (r, run->tls);
  else if (c != NULL && popbell_pop3_client_get_peer_certificate_sha256 (c) != NULL)
    g_string_append_printf (r, "TLS: refused; the server's certificate: %s\n",
                            popbell_pop3_client_get_peer_certificate_sha256 (c));
  else
    g_string_append (r, "TLS: not reached\n");
  g_string_append_c (r, '\n');

  if (run->logged_in)
    g_string_append_printf (r, "Authentication: %s\n",
                            auth_name (popbell_pop3_client_get_auth_method_used (c)));
  if (run->failure != NULL)
    {
      g_autofree gchar *message = popbell_diagnostics_redact (run->failure->message,
                                                              popbell_account_get_username (a),
                                                              run->password);

      g_string_append_printf (r, "Result: failed at %s (%s): %s\n", run->failed_step,
                              popbell_error_kind_to_string (run->failure->code), message);
    }
  else
    g_string_append_printf (r, "Result: logged in; %u messages, %" G_GUINT64_FORMAT " bytes\n",
                            run->messages, run->size);
  g_string_append (r, "\nTiming:\n");
  g_string_append (r, run->timing->str);
  g_string_append (r, "\nProtocol trace:\n");
  g_string_append (r, run->trace->str);
  if (run->trace_lines > MAX_TRACE_LINES)
    g_string_append_printf (r, "  (%u more lines)\n", run->trace_lines - MAX_TRACE_LINES);
  return g_string_free (g_steal_pointer (&r), FALSE);
}

static void
finish (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  g_task_return_pointer (task, build_report (run), g_free);
}

static void
fail_at (GTask       *task,
         const gchar *step,
         GError      *error)
{
  Run *run = g_task_get_task_data (task);

  step_done (run, step);
  run->failed_step = step;
  run->failure = popbell_error_from_pop3 (error, popbell_account_get_name (run->account));
  g_error_free (error);
  finish (task);
}

static void
quit_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GError *error = NULL;

  if (!popbell_pop3_client_quit_finish (POPBELL_POP3_CLIENT (source), result, &error))
    {
      fail_at (task, "quit", error);
      return;
    }
  step_done (run, "quit");
  finish (task);
}

static void
stat_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  /* Read before the task moves on: an argument list has no order. */
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!popbell_pop3_client_stat_finish (POPBELL_POP3_CLIENT (source), result, &run->messages,
                                        &run->size, &error))
    {
      fail_at (task, "stat", error);
      return;
    }
  step_done (run, "stat");
  popbell_pop3_client_quit_async (run->client, cancellable, quit_cb, g_steal_pointer (&task));
}

static void
login_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!popbell_pop3_client_login_finish (POPBELL_POP3_CLIENT (source), result, &error))
    {
      fail_at (task, "login", error);
      return;
    }
  run->logged_in = TRUE;
  step_done (run, "login");
  popbell_pop3_client_stat_async (run->client, cancellable, stat_cb, g_steal_pointer (&task));
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!popbell_pop3_client_connect_finish (POPBELL_POP3_CLIENT (source), result, &error))
    {
      fail_at (task, "connect", error);
      return;
    }
  step_done (run, "connect");
  record_tls (run);
  popbell_pop3_client_login_async (run->client, popbell_account_get_username (run->account),
                                   run->password, popbell_account_get_auth (run->account),
                                   cancellable, login_cb, g_steal_pointer (&task));
}

static void
password_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  run->password = popbell_credentials_lookup_finish (POPBELL_CREDENTIALS (source), result, &error);
  if (run->password == NULL)
    {
      g_task_return_error (task, popbell_error_from_pop3 (error,
                                                          popbell_account_get_name (run->account)));
      g_error_free (error);
      return;
    }

  run->client = popbell_account_create_client (run->account);
  g_signal_connect (run->client, "trace", G_CALLBACK (on_trace), run);
  run->step_start = g_get_monotonic_time ();
  popbell_pop3_client_connect_async (run->client, cancellable, connect_cb,
                                     g_steal_pointer (&task));
}

void
popbell_diagnostics_run_async (PopbellAccount      *account,
                               PopbellCredentials  *credentials,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  Run *run;

  g_return_if_fail (POPBELL_IS_ACCOUNT (account));
  g_return_if_fail (POPBELL_IS_CREDENTIALS (credentials));

  run = g_new0 (Run, 1);
  run->account = popbell_account_copy (account);
  run->credentials = g_object_ref (credentials);
  run->trace = g_string_new (NULL);
  run->timing = g_string_new (NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, popbell_diagnostics_run_async);
  g_task_set_task_data (task, run, (GDestroyNotify) run_free);
  popbell_credentials_lookup_async (credentials, popbell_account_get_host (account),
                                    popbell_account_get_username (account), cancellable,
                                    password_cb, task);
}

gchar *
popbell_diagnostics_run_finish (GAsyncResult  *result,
                                gboolean      *session_ok,
                                GError       **error)
{
  Run *run;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  run = g_task_get_task_data (G_TASK (result));
  if (session_ok != NULL)
    *session_ok = run->logged_in && run->failure == NULL;
  return g_task_propagate_pointer (G_TASK (result), error);
}
