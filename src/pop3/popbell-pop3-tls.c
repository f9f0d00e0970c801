/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* TLS for a POP3 session: the handshake (implicit TLS and after STLS)
 * and the trust decision: the system store, plus the CA file, or exactly
 * the pinned certificate. A failure names the certificate's SHA-256. */
#include "popbell-pop3-client-private.h"

#include <string.h>

/* --- connect: TCP, TLS, greeting, CAPA, STLS, CAPA ---------------------------- */

gchar *
pop3_tls_certificate_sha256 (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize len = sizeof digest;
  GString *hex = g_string_sized_new (96);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der != NULL)
    g_checksum_update (sum, der->data, der->len);
  g_checksum_get_digest (sum, digest, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
matches_pin (PopbellPop3Client *self, const gchar *sha256)
{
  g_autoptr(GString) plain = g_string_new (NULL);

  for (const gchar *c = sha256; *c != '\0'; c++)
    if (*c != ':')
      g_string_append_c (plain, *c);
  return g_strcmp0 (plain->str, self->pinned) == 0;
}

static gchar *
describe_tls_errors (GTlsCertificateFlags flags)
{
  GString *s = g_string_new (NULL);
  static const struct { GTlsCertificateFlags flag; const gchar *text; } reasons[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "issued by an unknown authority" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "made out to another host" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "expired" },
    { G_TLS_CERTIFICATE_REVOKED, "revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "using an insecure algorithm" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (reasons); i++)
    if (flags & reasons[i].flag)
      g_string_append_printf (s, "%s%s", s->len > 0 ? ", " : "", reasons[i].text);
  if (s->len == 0)
    g_string_append (s, "not valid");
  return g_string_free (s, FALSE);
}

/* The fingerprint also as data of the error, for the caller to pin. */
static GError *
certificate_error (PopbellPop3Client *self, GError *error)
{
  popbell_pop3_error_set_certificate_sha256 (error, self->peer_sha256);
  return error;
}

/* Called by GIO when the system trust store did not vouch for the peer:
 * accept the pinned certificate, or one the CA file vouches for. */
static gboolean
accept_certificate_cb (GTlsConnection       *conn,
                       GTlsCertificate      *peer,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  PopbellPop3Client *self = user_data;

  g_free (self->peer_sha256);
  self->peer_sha256 = pop3_tls_certificate_sha256 (peer);
  self->tls_errors = errors;

  if (self->pinned != NULL)
    return matches_pin (self, self->peer_sha256);

  if (self->ca_database != NULL)
    {
      g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
      g_autoptr(GError) error = NULL;
      GTlsCertificateFlags flags;

      /* A local check against the file's anchors (no I/O but the file read
       * at connect). The same identity as GIO used: the host name. */
      flags = g_tls_database_verify_chain (self->ca_database, peer,
                                           G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                           identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                           NULL, &error);
      if (error == NULL && flags == 0)
        return TRUE;
      if (error == NULL)
        self->tls_errors = flags;
    }
  return FALSE;
}

/* After a failed handshake on implicit TLS: is the rest of what the
 * server sent a line of text (a POP3 greeting)? GnuTLS read the start of
 * it as a record header ("+OK ..." is no TLS record: GIO often calls that
 * G_TLS_ERROR_MISC, not NOT_TLS); the rest is still in the socket. */
static gboolean
plain_text_waiting (PopbellPop3Client *self)
{
  GSocket *socket = g_socket_connection_get_socket (self->socket_conn);
  gchar buf[256];
  GInputVector vector = { buf, sizeof buf };
  gint flags = G_SOCKET_MSG_PEEK;
  gssize n;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL);
  if (n <= 0)
    return FALSE;
  for (gssize i = 0; i < n; i++)
    {
      guchar c = buf[i];

      if (c == '\n')
        return i > 0;
      if ((c < 0x20 && c != '\r' && c != '\t') || c >= 0x7f)
        return FALSE;
    }
  return FALSE;
}

static void
handshake_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean stale;
  g_autoptr(PopbellPop3Client) self = pop3_io_call_end (user_data, &stale);
  g_autoptr(GError) error = NULL;
  GTlsConnection *tls = G_TLS_CONNECTION (source);
  GTlsCertificate *peer;

  g_tls_connection_handshake_finish (tls, result, &error);
  if (stale)
    return;
  pop3_queue_clear_source (self, &self->read_timeout_id);

  peer = g_tls_connection_get_peer_certificate (tls);
  if (peer != NULL && self->peer_sha256 == NULL)
    self->peer_sha256 = pop3_tls_certificate_sha256 (peer);

  if (error == NULL && self->pinned != NULL && self->peer_sha256 != NULL &&
      !matches_pin (self, self->peer_sha256))
    {
      pop3_barrier_done (self, certificate_error (self, g_error_new (
        POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE,
        "The certificate of %s does not match the pinned fingerprint; its SHA-256 "
        "fingerprint is %s", self->host, self->peer_sha256)));
      return;
    }
  if (error != NULL)
    {
      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) &&
          self->peer_sha256 != NULL)
        {
          g_autofree gchar *why = describe_tls_errors (self->tls_errors);
          pop3_barrier_done (self, certificate_error (self, g_error_new (
            POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_CERTIFICATE,
            "The certificate of %s is not trusted (%s); its SHA-256 fingerprint is %s",
            self->host, why, self->peer_sha256)));
          return;
        }
      if (self->security == POPBELL_POP3_SECURITY_TLS && !self->encrypted &&
          (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
           (error->domain == G_TLS_ERROR && self->peer_sha256 == NULL &&
            plain_text_waiting (self))))
        {
          /* security=tls, and the server answered the ClientHello with
           * plain text: a port for security=starttls or none. */
          pop3_barrier_done (self, g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TLS_MISMATCH,
                                                "The server %s does not speak TLS on port %u "
                                                "(it expects plain text first: security=starttls "
                                                "or none, usually port 110)",
                                                self->host, self->port));
          return;
        }
      g_prefix_error (&error, "TLS handshake with %s failed: ", self->host);
      pop3_barrier_done (self, g_steal_pointer (&error));
      return;
    }

  g_set_object (&self->iostream, G_IO_STREAM (tls));
  self->out = g_io_stream_get_output_stream (self->iostream);
  self->encrypted = TRUE;
  /* After STLS, whatever plaintext followed "+OK" is dropped here
   * (RFC 2595 §4): the stream restarts empty on the TLS layer. */
  if (self->in == NULL)
    self->in = popbell_pop3_stream_new (g_io_stream_get_input_stream (self->iostream));
  else
    popbell_pop3_stream_set_base_stream (self->in, g_io_stream_get_input_stream (self->iostream));

  if (self->barrier->after_stls)
    pop3_connect_send_capa (self);   /* RFC 2595 §4: capabilities may change */
  else
    pop3_connect_read_greeting (self);
}

void
pop3_tls_start (PopbellPop3Client *self)
{
  g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  tls = g_tls_client_connection_new (G_IO_STREAM (self->socket_conn), identity, &error);
  if (tls == NULL)
    {
      pop3_barrier_done (self, g_steal_pointer (&error));
      return;
    }
  g_signal_connect_object (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), self, 0);
  pop3_queue_arm_wait_timer (self);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    self->io_cancellable, handshake_cb, pop3_io_call_new (self));
}


/* The CA file is read once per client, at the first connect. */
gboolean
pop3_tls_load_ca_file (PopbellPop3Client *self, GError **error)
{
  if (self->ca_file == NULL || self->ca_database != NULL)
    return TRUE;
  self->ca_database = g_tls_file_database_new (self->ca_file, error);
  if (self->ca_database == NULL)
    {
      g_prefix_error (error, "Cannot use the CA file %s: ", self->ca_file);
      return FALSE;
    }
  return TRUE;
}
