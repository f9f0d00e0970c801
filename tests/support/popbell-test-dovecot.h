/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * PopbellTestDovecot: a private Dovecot POP3 server on 127.0.0.1, started by
 * tests/support/dovecot.sh (found through $POPBELL_SUPPORT_DIR) in a temp
 * dir, with users alice/alicepw (3 messages) and bob/bobpw (1 message), a
 * plain port offering STLS and an implicit-TLS port, and a throwaway
 * self-signed certificate (SAN localhost, 127.0.0.1).
 *
 * Start costs ~0.2 s, stop ~1 s: share one instance per test program
 * (start in main() or lazily, stop after g_test_run()).
 *
 *   g_autoptr(PopbellTestDovecot) dc = popbell_test_dovecot_start (NULL, TRUE);
 *   if (dc == NULL)
 *     return;   // skipped (or failed under POPBELL_TEST_REQUIRE_SERVICES=1)
 */
typedef struct _PopbellTestDovecot PopbellTestDovecot;

/* @extra_config: appended to dovecot.conf (DOVECOT_EXTRA), e.g.
 * "auth_mechanisms = plain login apop" or "pop3_lock_session = yes"; NULL for
 * none. @plaintext_auth: FALSE sets PLAINTEXT_AUTH=no (Dovecot then refuses
 * USER/PASS before TLS to clients it does not consider local: connect from
 * 127.0.0.2, see popbell_pop3_client_set_local_address()).
 *
 * Returns NULL when dovecot is not installed, after popbell_test_skip_or_fail()
 * (the caller just returns). A start failure of an installed Dovecot is a
 * test failure (g_test_fail + message) and also returns NULL. */
PopbellTestDovecot *popbell_test_dovecot_start (const gchar *extra_config,
                                                gboolean     plaintext_auth);
/* The same, also offering AUTH XOAUTH2 and OAUTHBEARER: Dovecot's oauth2
 * passdb asks the RFC 7662 service at @introspection_url (e.g. the one of
 * popbell-test-oauth2.h) whether a bearer token is active and whose it is.
 * Passwords keep working. */
PopbellTestDovecot *popbell_test_dovecot_start_oauth2 (const gchar *introspection_url);

/* Stop the server (by its PID) and remove its temp dir. NULL-safe. */
void popbell_test_dovecot_stop (PopbellTestDovecot *self);

const gchar *popbell_test_dovecot_get_host       (PopbellTestDovecot *self); /* "127.0.0.1" */
guint16      popbell_test_dovecot_get_port       (PopbellTestDovecot *self); /* plain + STLS */
guint16      popbell_test_dovecot_get_tls_port   (PopbellTestDovecot *self); /* implicit TLS */
const gchar *popbell_test_dovecot_get_ca_file    (PopbellTestDovecot *self); /* the server cert (PEM) */
const gchar *popbell_test_dovecot_get_dir        (PopbellTestDovecot *self);
/* "alice" or "bob": the Maildir directory. */
const gchar *popbell_test_dovecot_get_maildir    (PopbellTestDovecot *self, const gchar *user);

/* Deliver a message to @user: write Maildir/tmp/<name>, chown it to the
 * maildir owner, rename into new/. Names sort in delivery order, so Dovecot
 * numbers new messages after older ones. @raw should use CRLF line ends. */
void popbell_test_dovecot_deliver (PopbellTestDovecot *self, const gchar *user,
                                   const gchar *raw, gsize len);
/* Remove every message of @user (new/ and cur/): a fresh mailbox. */
void popbell_test_dovecot_clear (PopbellTestDovecot *self, const gchar *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellTestDovecot, popbell_test_dovecot_stop)

G_END_DECLS
