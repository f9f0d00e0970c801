/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * PopbellFakeServer: an in-process POP3 server on 127.0.0.1 (port chosen by
 * the kernel), running on the thread-default main context of the thread that
 * created it. Drive that context (g_main_context_iteration) while the client
 * under test runs; nothing blocks.
 *
 * Two modes:
 *
 * Script mode (popbell_fake_server_new): every accepted connection plays the
 * next scripted connection, a list of steps appended with the calls below.
 * The first connection's script is being built right after _new();
 * popbell_fake_server_next_connection() starts the next one. A connection
 * with no script left (or beyond the scripted ones) answers "-ERR unscripted"
 * to every command and records a failure.
 *
 *   srv = popbell_fake_server_new ();
 *   popbell_fake_server_send (srv, "+OK hello <1.2@x>\r\n");
 *   popbell_fake_server_expect (srv, "CAPA", "+OK\r\nUIDL\r\n.\r\n");
 *   popbell_fake_server_expect (srv, "USER alice", "+OK\r\n");
 *   popbell_fake_server_expect (srv, "PASS *", "-ERR [AUTH] no\r\n");
 *   popbell_fake_server_expect (srv, "QUIT", "+OK bye\r\n");
 *   popbell_fake_server_close (srv);
 *
 * Mailbox mode (popbell_fake_server_new_mailbox): a small but real POP3
 * server over a list of messages, for every connection: greeting with an APOP
 * timestamp, CAPA, USER/PASS, APOP, AUTH PLAIN, STAT, LIST, UIDL, TOP, RETR,
 * DELE (applied at QUIT), RSET, NOOP, QUIT. Messages can be added/removed
 * between (or during) sessions; the next STAT sees them.
 *
 * In both modes every command line the client sent is recorded (in order,
 * over all connections, without CRLF, passwords included: the tests check
 * what went over the wire).
 */

#define POPBELL_TYPE_FAKE_SERVER (popbell_fake_server_get_type ())
G_DECLARE_FINAL_TYPE (PopbellFakeServer, popbell_fake_server, POPBELL, FAKE_SERVER, GObject)

/* Script mode. */
PopbellFakeServer *popbell_fake_server_new (void);

guint16 popbell_fake_server_get_port (PopbellFakeServer *self);
/* Listen on @ip (e.g. "127.0.0.2") too, same port: a name the test
 * certificate (localhost, 127.0.0.1) is not made out to. */
void    popbell_fake_server_listen_also (PopbellFakeServer *self, const gchar *ip);

/* --- script steps (for the connection being scripted) --------------------- */

/* Send @raw as is (CRLFs included; may be broken on purpose). */
void popbell_fake_server_send (PopbellFakeServer *self, const gchar *raw);
/* Send @len raw bytes (may contain NULs). */
void popbell_fake_server_send_bytes (PopbellFakeServer *self, const guint8 *data, gsize len);
/* Wait for one command line and match it against @glob (GPatternSpec: '*'
 * and '?'; the line without its CRLF; case-sensitive). Then send @reply
 * (NULL: send nothing). A mismatch records a failure and closes the
 * connection. */
void popbell_fake_server_expect (PopbellFakeServer *self, const gchar *glob, const gchar *reply);
/* Wait for @n command lines (each recorded, not matched) and send nothing:
 * lets a test see that a pipelined batch arrived before answering it. */
void popbell_fake_server_expect_any (PopbellFakeServer *self, guint n);
/* Close the connection. */
void popbell_fake_server_close (PopbellFakeServer *self);
/* Stop answering: read and record whatever comes, never reply, keep the
 * connection open until the client closes it. */
void popbell_fake_server_stall (PopbellFakeServer *self);
/* Send @line (CRLF added) again and again until the client closes the
 * connection: a listing that never ends. A "%u" in @line is replaced by a
 * counter from 1 ("%u 100" makes an endless, well-formed LIST). */
void popbell_fake_server_flood (PopbellFakeServer *self, const gchar *line);
/* Upgrade the connection to TLS (server side; after "+OK" to STLS, or as the
 * first step for implicit TLS), using a throwaway certificate generated once
 * per process (see popbell_fake_server_get_certificate_pem). */
void popbell_fake_server_start_tls (PopbellFakeServer *self);
/* Steps appended after this belong to the next accepted connection. */
void popbell_fake_server_next_connection (PopbellFakeServer *self);

/* Deliver every reply of this server one byte per write (Nagle off), to
 * prove the client reassembles lines. Default FALSE. Both modes. */
void popbell_fake_server_set_byte_by_byte (PopbellFakeServer *self, gboolean byte_by_byte);

/* --- mailbox mode ---------------------------------------------------------- */

/* A mailbox of @user/@password. Default CAPA: "TOP", "UIDL", "USER",
 * "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "SASL PLAIN". */
PopbellFakeServer *popbell_fake_server_new_mailbox (const gchar *user, const gchar *password);
/* @raw: the message (LF or CRLF line ends; stored with CRLF). UIDs must be
 * unique; messages are numbered in the order they were added. */
void popbell_fake_server_add_message    (PopbellFakeServer *self, const gchar *uid, const gchar *raw);
/* TRUE if a message with @uid was there. */
gboolean popbell_fake_server_remove_message (PopbellFakeServer *self, const gchar *uid);
guint popbell_fake_server_get_n_messages (PopbellFakeServer *self);
/* Replace the whole CAPA list (NULL-terminated; each entry one CAPA line
 * without CRLF; an empty list makes CAPA answer "-ERR", like an RFC 1939
 * server). Without "UIDL" the UIDL command answers -ERR; without "TOP", TOP
 * does; without "SASL ... PLAIN" AUTH does. */
void popbell_fake_server_set_capabilities (PopbellFakeServer *self, const gchar * const *capa);
/* Add one line, e.g. "LOGIN-DELAY 900" or "EXPIRE 0". */
void popbell_fake_server_add_capability    (PopbellFakeServer *self, const gchar *line);
/* Remove lines whose first word is @name ("UIDL", "PIPELINING", ...). */
void popbell_fake_server_remove_capability (PopbellFakeServer *self, const gchar *name);
/* Extra CAPA lines shown only after login (e.g. "LOGIN-DELAY 900 USER"). */
void popbell_fake_server_add_user_capability (PopbellFakeServer *self, const gchar *line);
/* NULL (default): a correct password logs in. Otherwise the exact status
 * line (no CRLF) every login attempt gets, e.g. "-ERR [IN-USE] locked",
 * "-ERR [LOGIN-DELAY] wait", "-ERR [AUTH] bad password". A wrong password
 * always gets "-ERR [AUTH] Authentication failed.". */
void popbell_fake_server_set_login_reply (PopbellFakeServer *self, const gchar *status_line);
/* Greeting, default "+OK Popbell fake server ready <pid.counter@fake>". */
void popbell_fake_server_set_greeting (PopbellFakeServer *self, const gchar *status_line);

/* Mailbox mode: misbehave like a server whose PIPELINING is broken — of
 * several commands that arrive in one read, answer only the first (the
 * client waits for the rest in vain). Commands sent one at a time are
 * answered as usual. Default FALSE. */
void popbell_fake_server_set_break_pipelining (PopbellFakeServer *self, gboolean broken);

/* --- what happened --------------------------------------------------------- */

/* (transfer none) every command line received, oldest first (gchar*). */
GPtrArray  *popbell_fake_server_get_commands (PopbellFakeServer *self);
/* How many recorded commands match @glob, e.g. "RETR *", "DELE *", "PASS *". */
guint       popbell_fake_server_count_commands (PopbellFakeServer *self, const gchar *glob);
guint       popbell_fake_server_get_n_connections (PopbellFakeServer *self);
/* Mailbox mode: successful logins, and the g_get_real_time() of each
 * login attempt (successful or not), oldest first (gint64). (transfer none) */
guint       popbell_fake_server_get_n_logins (PopbellFakeServer *self);
GArray     *popbell_fake_server_get_login_times (PopbellFakeServer *self);
/* Reads that carried more than one command line (pipelined batches). */
guint       popbell_fake_server_get_n_batches (PopbellFakeServer *self);
/* Reads that carried commands, over all connections: each is one turn of
 * the conversation (a client write after a server answer), so the round
 * trips of a session are its reads plus the connect. */
guint       popbell_fake_server_get_n_reads (PopbellFakeServer *self);
/* Connections currently open. */
guint       popbell_fake_server_get_n_open (PopbellFakeServer *self);
/* Script mode: TRUE when every scripted connection ran all its steps. */
gboolean    popbell_fake_server_script_done (PopbellFakeServer *self);
/* NULL, or a description of the first failure (unexpected command, a
 * mismatch, an unscripted connection). Tests: g_assert_null (...). */
const gchar *popbell_fake_server_get_failure (PopbellFakeServer *self);
/* Iterate the default main context until every connection is closed (or
 * @timeout_ms passed; returns FALSE then). */
gboolean    popbell_fake_server_wait_closed (PopbellFakeServer *self, guint timeout_ms);
/* PEM of the server certificate used by start_tls / implicit TLS (a CA file
 * for the client), and its SHA-256 as "AB:CD:...". (transfer none) */
const gchar *popbell_fake_server_get_certificate_pem (PopbellFakeServer *self);
const gchar *popbell_fake_server_get_certificate_sha256 (PopbellFakeServer *self);

/* Stop listening and close every connection (also done by finalize). */
void popbell_fake_server_stop (PopbellFakeServer *self);

G_END_DECLS
