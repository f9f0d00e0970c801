/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

#include "popbell-pop3-error.h"

G_BEGIN_DECLS

typedef enum {
  POPBELL_POP3_SECURITY_TLS,       /* implicit TLS, RFC 8314 (port 995) */
  POPBELL_POP3_SECURITY_STARTTLS,  /* STLS, RFC 2595: required, never downgraded */
  POPBELL_POP3_SECURITY_NONE,
} PopbellPop3Security;

typedef enum {
  POPBELL_POP3_AUTH_AUTO,          /* on TLS: SASL PLAIN if offered, else
                                    * USER/PASS. On a plain link: APOP if the
                                    * greeting has a timestamp (it sends no
                                    * password); when the server refuses it,
                                    * and only with allow-insecure-auth, SASL
                                    * PLAIN or USER/PASS in the same session
                                    * (SPEC §5 "Authentication") */
  POPBELL_POP3_AUTH_USER,
  POPBELL_POP3_AUTH_APOP,
  POPBELL_POP3_AUTH_SASL_PLAIN,
  POPBELL_POP3_AUTH_OAUTH2,        /* the password argument is a bearer token:
                                    * SASL OAUTHBEARER (RFC 7628) where offered,
                                    * else XOAUTH2; TLS only (else INSECURE,
                                    * nothing sent); neither offered:
                                    * OAUTH2_UNAVAILABLE; a refused token: AUTH,
                                    * with popbell_pop3_error_get_oauth2_status() */
} PopbellPop3AuthMethod;

/* Limits on what a server may send; exceeding one is POPBELL_POP3_ERROR_PROTOCOL. */
#define POPBELL_POP3_MAX_STATUS_LINE   512     /* RFC 2449 §4, CRLF included */
#define POPBELL_POP3_MAX_DATA_LINE     8192    /* one line of a multi-line answer */
#define POPBELL_POP3_MAX_CAPA_LINES    128
#define POPBELL_POP3_MAX_MESSAGES      500000  /* entries in a LIST/UIDL listing */
#define POPBELL_POP3_MAX_UID_LENGTH    255     /* RFC 1939 §7 says 70; real servers
                                                * exceed it (see popbell_pop3_uid_is_valid) */
#define POPBELL_POP3_MAX_TOP_SIZE      (1024 * 1024)

/* An entry of a LIST or UIDL listing. */
typedef struct {
  guint    index;   /* message number, 1-based */
  guint64  size;    /* LIST: octets; UIDL: 0 */
  gchar   *uid;     /* UIDL: the unique id in its stored form (printable
                     * ASCII, 8-bit octets as %XX); LIST: NULL */
} PopbellPop3ListEntry;

void popbell_pop3_list_entry_free (PopbellPop3ListEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellPop3ListEntry, popbell_pop3_list_entry_free)

#define POPBELL_POP3_EXPIRE_NONE   (-1)        /* no EXPIRE capability */
#define POPBELL_POP3_EXPIRE_NEVER  G_MAXINT    /* "EXPIRE NEVER" */

/* Signal ::trace (const gchar *direction "C" or "S", const gchar *text):
 * each line of the protocol trace, as G_MESSAGES_DEBUG shows it (passwords
 * masked), for diagnostics reports. */
#define POPBELL_TYPE_POP3_CLIENT (popbell_pop3_client_get_type ())
G_DECLARE_FINAL_TYPE (PopbellPop3Client, popbell_pop3_client, POPBELL, POP3_CLIENT, GObject)

/**
 * popbell_pop3_client_new:
 *
 * A client for one POP3 session. Set options before connecting.
 *
 * Operations may be started while earlier ones are still running: they are
 * queued and answered in order. When the server advertises PIPELINING (and
 * pipelining is enabled) queued commands are written together, in a bounded
 * window; otherwise one at a time. Commands are never pipelined across STLS
 * or authentication.
 *
 * Any I/O or protocol failure fails every outstanding operation and leaves
 * the client disconnected.
 */
PopbellPop3Client *popbell_pop3_client_new (const gchar         *host,
                                            guint16              port,
                                            PopbellPop3Security  security);

/* Options (before connect). Defaults: timeout 30 s per wait, session timeout
 * 0 (none), no extra CA, no pin, insecure auth refused, pipelining enabled. */
void popbell_pop3_client_set_timeout             (PopbellPop3Client *self, guint seconds);
void popbell_pop3_client_set_session_timeout     (PopbellPop3Client *self, guint seconds);
void popbell_pop3_client_set_tls_ca_file         (PopbellPop3Client *self, const gchar *path);
void popbell_pop3_client_set_pinned_sha256       (PopbellPop3Client *self, const gchar *hex);
void popbell_pop3_client_set_allow_insecure_auth (PopbellPop3Client *self, gboolean allow);
void popbell_pop3_client_set_pipelining_enabled  (PopbellPop3Client *self, gboolean enabled);
/* auth=auto: try @method first when the rules above allow it here (the
 * method that worked last time, see get_auth_method_used()), so that a
 * check costs one login attempt. POPBELL_POP3_AUTH_AUTO: no preference. */
void popbell_pop3_client_set_preferred_auth_method (PopbellPop3Client     *self,
                                                    PopbellPop3AuthMethod  method);
/* What the server advertised in the previous session of this account,
 * as CAPA lines ("PIPELINING", "SASL PLAIN", ...; NULL: nothing
 * remembered). With PIPELINING among them the session writes ahead: the
 * CAPA after the greeting (never before STLS), a one-command login (APOP,
 * AUTH PLAIN) with the CAPA after it, and the simple one-line operations
 * already queued behind the login (STAT, UIDL n, LIST n, NOOP) in one
 * write. Whatever this session's answers say wins; a refused login puts
 * those operations back in the queue, answered after the login. */
void popbell_pop3_client_set_remembered_capabilities (PopbellPop3Client   *self,
                                                      const gchar * const *capabilities);
/* Connect from this local address (tests: 127.0.0.2, which Dovecot does not
 * treat as a secured connection). NULL: any. */
void popbell_pop3_client_set_local_address       (PopbellPop3Client *self, GSocketAddress *address);

/* State, valid after connect (capabilities refreshed after STLS and login). */
gboolean     popbell_pop3_client_is_connected     (PopbellPop3Client *self);
gboolean     popbell_pop3_client_is_encrypted     (PopbellPop3Client *self);
gboolean     popbell_pop3_client_is_pipelining    (PopbellPop3Client *self);
/* Commands queued now go out pipelined once logged in (before the login
 * is answered too, when the session writes ahead): PIPELINING is
 * advertised (or remembered) and not disabled. */
gboolean     popbell_pop3_client_can_pipeline     (PopbellPop3Client *self);
/* Capability names are upper case, e.g. "TOP", "UIDL", "PIPELINING", "STLS". */
gboolean     popbell_pop3_client_has_capability   (PopbellPop3Client *self, const gchar *name);
/* (nullable): the arguments of a capability, e.g. "PLAIN LOGIN" for "SASL". */
const gchar *popbell_pop3_client_get_capability_args (PopbellPop3Client *self, const gchar *name);
/* LOGIN-DELAY seconds, -1 when not advertised. */
gint         popbell_pop3_client_get_login_delay  (PopbellPop3Client *self);
/* EXPIRE days, POPBELL_POP3_EXPIRE_NONE or POPBELL_POP3_EXPIRE_NEVER. */
gint         popbell_pop3_client_get_expire       (PopbellPop3Client *self);
/* (transfer full) what to remember for set_remembered_capabilities():
 * the capabilities before login (those the next session starts with), as
 * CAPA lines; empty before connect. */
gchar      **popbell_pop3_client_dup_capabilities (PopbellPop3Client *self);
/* The session wrote ahead on a memory that the server's CAPA contradicted
 * (no PIPELINING now): the caller should forget it. */
gboolean     popbell_pop3_client_get_remembered_contradicted (PopbellPop3Client *self);
/* The method that logged in (never AUTO after a successful login);
 * POPBELL_POP3_AUTH_AUTO before that. */
PopbellPop3AuthMethod popbell_pop3_client_get_auth_method_used (PopbellPop3Client *self);
/* (nullable) the greeting's APOP timestamp "<...>". */
const gchar *popbell_pop3_client_get_apop_timestamp (PopbellPop3Client *self);
/* (nullable) hex "AB:CD:..." SHA-256 of the peer certificate, once seen (also
 * after a verification failure). */
const gchar *popbell_pop3_client_get_peer_certificate_sha256 (PopbellPop3Client *self);
/* (nullable) (transfer none) the TLS layer while connected with TLS: its
 * protocol version, cipher suite and peer certificate chain (diagnostics). */
GTlsConnection *popbell_pop3_client_get_tls_connection (PopbellPop3Client *self);

/* Connect, TLS / STLS, greeting, CAPA (CAPA -ERR is fine: RFC 1939 server).
 * Errors: G_IO_ERROR (network), G_TLS_ERROR, POPBELL_POP3_ERROR_* (TIMEOUT,
 * PROTOCOL, SERVER_REFUSED, TLS_UNAVAILABLE, TLS_CERTIFICATE). */
void     popbell_pop3_client_connect_async  (PopbellPop3Client   *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean popbell_pop3_client_connect_finish (PopbellPop3Client   *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Authenticate, then CAPA again. The password never reaches the trace.
 * Errors: AUTH, IN_USE, LOGIN_DELAY, SYS_TEMP, SYS_PERM, INSECURE,
 * UNSUPPORTED, TIMEOUT, PROTOCOL, G_IO_ERROR. */
void     popbell_pop3_client_login_async  (PopbellPop3Client     *self,
                                           const gchar           *username,
                                           const gchar           *password,
                                           PopbellPop3AuthMethod  method,
                                           GCancellable          *cancellable,
                                           GAsyncReadyCallback    callback,
                                           gpointer               user_data);
gboolean popbell_pop3_client_login_finish (PopbellPop3Client     *self,
                                           GAsyncResult          *result,
                                           GError               **error);

void     popbell_pop3_client_stat_async  (PopbellPop3Client *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_pop3_client_stat_finish (PopbellPop3Client *self, GAsyncResult *result,
                                          guint *out_count, guint64 *out_size, GError **error);

/* Whole listings: (transfer full) GPtrArray of PopbellPop3ListEntry, in server order. */
void       popbell_pop3_client_list_async  (PopbellPop3Client *self, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *popbell_pop3_client_list_finish (PopbellPop3Client *self, GAsyncResult *result,
                                            GError **error);
void       popbell_pop3_client_uidl_async  (PopbellPop3Client *self, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *popbell_pop3_client_uidl_finish (PopbellPop3Client *self, GAsyncResult *result,
                                            GError **error);

/* Single message: "LIST n" / "UIDL n". (transfer full) */
void                  popbell_pop3_client_list_one_async  (PopbellPop3Client *self, guint index,
                                                           GCancellable *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer user_data);
PopbellPop3ListEntry *popbell_pop3_client_list_one_finish (PopbellPop3Client *self,
                                                           GAsyncResult *result, GError **error);
void                  popbell_pop3_client_uidl_one_async  (PopbellPop3Client *self, guint index,
                                                           GCancellable *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer user_data);
PopbellPop3ListEntry *popbell_pop3_client_uidl_one_finish (PopbellPop3Client *self,
                                                           GAsyncResult *result, GError **error);

/* "TOP n lines": headers plus @lines body lines, dot-unstuffed, lines ending
 * in CRLF. At most POPBELL_POP3_MAX_TOP_SIZE octets (else PROTOCOL). */
void    popbell_pop3_client_top_async  (PopbellPop3Client *self, guint index, guint lines,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
GBytes *popbell_pop3_client_top_finish (PopbellPop3Client *self, GAsyncResult *result,
                                        GError **error);

/* "RETR n": the whole message, dot-unstuffed. More than @max_size octets is
 * POPBELL_POP3_ERROR_TOO_LARGE (the rest of the answer is drained, or the
 * connection dropped if it does not end). */
void    popbell_pop3_client_retr_async  (PopbellPop3Client *self, guint index, gsize max_size,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
GBytes *popbell_pop3_client_retr_finish (PopbellPop3Client *self, GAsyncResult *result,
                                         GError **error);

/* Simple commands: DELE n, RSET, NOOP. */
void     popbell_pop3_client_dele_async  (PopbellPop3Client *self, guint index,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_pop3_client_dele_finish (PopbellPop3Client *self, GAsyncResult *result,
                                          GError **error);
void     popbell_pop3_client_rset_async  (PopbellPop3Client *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_pop3_client_rset_finish (PopbellPop3Client *self, GAsyncResult *result,
                                          GError **error);
void     popbell_pop3_client_noop_async  (PopbellPop3Client *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_pop3_client_noop_finish (PopbellPop3Client *self, GAsyncResult *result,
                                          GError **error);

/* "QUIT" (the UPDATE state: DELE takes effect), then close. */
void     popbell_pop3_client_quit_async  (PopbellPop3Client *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean popbell_pop3_client_quit_finish (PopbellPop3Client *self, GAsyncResult *result,
                                          GError **error);

/* Drop the connection without QUIT (pending deletions are not applied) and
 * fail outstanding operations with G_IO_ERROR_CLOSED. */
void popbell_pop3_client_close (PopbellPop3Client *self);

G_END_DECLS
