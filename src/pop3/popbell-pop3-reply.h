/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

#include <glib.h>

#include "popbell-pop3-client.h"

G_BEGIN_DECLS

/* Pure parsers for what a POP3 server sends. Everything is untrusted: each
 * function checks lengths, characters and number ranges, and reports
 * POPBELL_POP3_ERROR_PROTOCOL instead of guessing. */

typedef enum {
  POPBELL_POP3_STATUS_OK,
  POPBELL_POP3_STATUS_ERR,
  POPBELL_POP3_STATUS_CONTINUE,   /* "+ " SASL continuation (RFC 5034) */
} PopbellPop3Status;

typedef struct {
  PopbellPop3Status status;
  gchar *code;   /* (nullable) response code without brackets, upper case,
                  * e.g. "SYS/TEMP" (RFC 2449 §8) */
  gchar *text;   /* the rest of the line after the status and code, valid
                  * UTF-8 (invalid octets replaced), never NULL */
} PopbellPop3Reply;

void popbell_pop3_reply_free (PopbellPop3Reply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellPop3Reply, popbell_pop3_reply_free)

/* Parse a status line (terminator removed). @allow_continuation: accept
 * "+ ..." (only while authenticating). */
PopbellPop3Reply *popbell_pop3_reply_parse (const gchar *line, gsize len,
                                            gboolean allow_continuation,
                                            GError **error);

/* The error code for a response code: AUTH, IN-USE, LOGIN-DELAY, SYS/TEMP,
 * SYS/PERM (a hierarchical code matches by its first part, e.g.
 * "SYS/TEMP/DISK"); anything else (or NULL) gives @fallback. */
PopbellPop3Error popbell_pop3_resp_code_to_error (const gchar *code, PopbellPop3Error fallback);

/* A decimal number without sign or spaces, <= @max. */
gboolean popbell_pop3_parse_number (const gchar *text, guint64 max, guint64 *out, GError **error);

/* "+OK nn mm": the text after +OK of a STAT answer. Extra words after the
 * size are allowed (RFC 1939 §5 leaves room for them). */
gboolean popbell_pop3_parse_stat (const gchar *text, guint *out_count, guint64 *out_size,
                                  GError **error);

/* A LIST line "n size" (also the text after +OK of "LIST n"). */
PopbellPop3ListEntry *popbell_pop3_parse_list_line (const gchar *line, gsize len, GError **error);
/* A UIDL line "n uid" (also the text after +OK of "UIDL n"). */
PopbellPop3ListEntry *popbell_pop3_parse_uidl_line (const gchar *line, gsize len, GError **error);

/* Lenient where real servers are (RFC 1939 §7 says 1 to 70 characters in
 * 0x21..0x7E): no controls, DEL or spaces, at most
 * POPBELL_POP3_MAX_UID_LENGTH octets in the stored form. */
gboolean popbell_pop3_uid_is_valid  (const gchar *uid, gsize len);
/* The stored form of a valid UID: octets >= 0x80 as "%XX" (upper-case
 * hex), the rest unchanged; NULL when not valid. */
gchar   *popbell_pop3_uid_normalize (const gchar *uid, gsize len);

/* The APOP timestamp "<...>" of a greeting's text, or NULL. Lenient about
 * the content (any printable ASCII but '<' '>'), strict about the length
 * (at most 255). */
gchar *popbell_pop3_greeting_timestamp (const gchar *text);

/* Capabilities from CAPA (RFC 2449). */
typedef struct {
  GHashTable *caps;          /* upper-case name -> args (never NULL, maybe "") */
  gint        login_delay;   /* -1 when not advertised */
  gboolean    login_delay_per_user;
  gint        expire;        /* POPBELL_POP3_EXPIRE_NONE / _NEVER / days */
  gboolean    expire_per_user;
} PopbellPop3Capabilities;

PopbellPop3Capabilities *popbell_pop3_capabilities_new  (void);
void                     popbell_pop3_capabilities_free (PopbellPop3Capabilities *capa);
PopbellPop3Capabilities *popbell_pop3_capabilities_copy (const PopbellPop3Capabilities *capa);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PopbellPop3Capabilities, popbell_pop3_capabilities_free)
/* Add one CAPA line. Unknown capabilities are kept by name; a malformed
 * argument of a known one (LOGIN-DELAY, EXPIRE) is an error. */
gboolean popbell_pop3_capabilities_add_line (PopbellPop3Capabilities *capa,
                                             const gchar *line, gsize len,
                                             GError **error);
gboolean     popbell_pop3_capabilities_has      (PopbellPop3Capabilities *capa, const gchar *name);
const gchar *popbell_pop3_capabilities_get_args (PopbellPop3Capabilities *capa, const gchar *name);
/* TRUE if "SASL" lists @mechanism (case-insensitive). */
gboolean     popbell_pop3_capabilities_has_sasl (PopbellPop3Capabilities *capa, const gchar *mechanism);

G_END_DECLS
