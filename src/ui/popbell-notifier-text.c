/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n.h>

#include "popbell-error.h"
#include "popbell-mail-summary.h"
#include "popbell-notifier-text.h"
#include "popbell-tray-text.h"

static gchar *
maybe_escape (const gchar *text,
              gboolean     markup)
{
  return markup ? g_markup_escape_text (text, -1) : g_strdup (text);
}

static const gchar *
subject_or_placeholder (PopbellMailSummary *summary)
{
  const gchar *subject = popbell_mail_summary_get_subject (summary);

  return *subject != '\0' ? subject : _("(no subject)");
}

void
popbell_notifier_text_new_mail (const gchar  *account_name,
                                guint         new_count,
                                GPtrArray    *messages,
                                gboolean      markup,
                                gchar       **summary,
                                gchar       **body)
{
  guint known = messages != NULL ? messages->len : 0;
  g_autoptr(GString) text = NULL;
  guint listed;

  g_return_if_fail (account_name != NULL);
  g_return_if_fail (summary != NULL && body != NULL);

  /* Never announce fewer than are listed. */
  new_count = MAX (new_count, known);

  if (new_count == 1 && known == 1)
    {
      PopbellMailSummary *mail = g_ptr_array_index (messages, 0);
      g_autofree gchar *sender = popbell_tray_text_sender_name (popbell_mail_summary_get_from (mail));

      *summary = g_strdup_printf (_("New mail from %s"), sender);
      *body = maybe_escape (subject_or_placeholder (mail), markup);
      return;
    }

  *summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new message in %s",
                                           "%u new messages in %s", new_count),
                              new_count, account_name);

  text = g_string_new (NULL);
  listed = MIN (known, POPBELL_TRAY_TEXT_MAX_LISTED);
  for (guint i = 0; i < listed; i++)
    {
      PopbellMailSummary *mail = g_ptr_array_index (messages, i);
      g_autofree gchar *sender = popbell_tray_text_sender_name (popbell_mail_summary_get_from (mail));
      g_autofree gchar *sender_text = maybe_escape (sender, markup);
      g_autofree gchar *subject_text = maybe_escape (subject_or_placeholder (mail), markup);

      if (i > 0)
        g_string_append_c (text, '\n');
      /* A dash between them is ambiguous ("Sales – EU – Q3 figures"):
       * the subject is quoted, and in bold text the sender stands out. */
      if (markup)
        /* Translators: one line of a notification: bold SENDER, then the
         * quoted SUBJECT; keep the <b> tags. */
        g_string_append_printf (text, _("<b>%s</b>: “%s”"), sender_text, subject_text);
      else
        /* Translators: one line of a notification: SENDER, then the quoted
         * SUBJECT; use your language's quotation marks. */
        g_string_append_printf (text, _("%s: “%s”"), sender_text, subject_text);
    }

  if (listed > 0 && new_count > listed)
    {
      guint more = new_count - listed;

      g_string_append_c (text, '\n');
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "and %u more",
                                                 "and %u more", more), more);
    }

  *body = g_string_free (g_steal_pointer (&text), FALSE);
}

/* The first line of a problem: what happened, for the person in front of
 * the applet (the sentences of the command line name commands instead). */
static const gchar *
problem_line (const GError *error)
{
  switch (popbell_error_get_reason (error))
    {
    case POPBELL_ERROR_REASON_NO_SUCH_HOST:
      return _("The server name could not be found. Check the name of the server.");
    case POPBELL_ERROR_REASON_REFUSED:
      return _("The server refused the connection: nothing answers on this port. "
               "Check the port and the security setting.");
    case POPBELL_ERROR_REASON_TIMED_OUT:
      return _("The server did not answer in time.");
    case POPBELL_ERROR_REASON_UNREACHABLE:
      return _("There is no route to the server. Check your network connection.");
    case POPBELL_ERROR_REASON_CLOSED:
      return _("The server closed the connection.");
    case POPBELL_ERROR_REASON_TLS_MISMATCH:
      return _("The port and the security setting do not match: one side spoke TLS, the other "
               "plain text. Use port 995 with TLS, or port 110 with STARTTLS.");
    case POPBELL_ERROR_REASON_CERTIFICATE:
      return _("Its certificate could not be verified.");
    case POPBELL_ERROR_REASON_AUTH_REJECTED:
      return _("The server rejected the user name or password.");
    case POPBELL_ERROR_REASON_AUTH_UNSUPPORTED:
      return _("The server does not offer the login method chosen for this account.");
    case POPBELL_ERROR_REASON_NONE:
    default:
      break;
    }

  switch (error->domain == POPBELL_ERROR ? (PopbellError) error->code : POPBELL_ERROR_PROTOCOL)
    {
    case POPBELL_ERROR_AUTH:
      return _("The server rejected the login.");
    case POPBELL_ERROR_TLS:
      return _("The secure connection failed. Check the security setting and the port.");
    case POPBELL_ERROR_INSECURE:
      return _("Popbell did not send the password over an unencrypted connection. "
               "Choose TLS or STARTTLS, or allow it for this account.");
    case POPBELL_ERROR_NETWORK:
      return _("The connection to the server failed.");
    case POPBELL_ERROR_TIMEOUT:
      return _("The server did not answer in time.");
    default:
      return NULL;
    }
}

PopbellNotifierRemedy
popbell_notifier_text_problem (const gchar  *account_name,
                               const GError *error,
                               gboolean      markup,
                               gchar       **summary,
                               gchar       **body)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree gchar *fingerprint = NULL;
  const gchar *line;
  const gchar *detail;
  PopbellNotifierRemedy remedy = POPBELL_NOTIFIER_REMEDY_FIX;
  gboolean network;

  g_return_val_if_fail (account_name != NULL, POPBELL_NOTIFIER_REMEDY_NONE);
  g_return_val_if_fail (summary != NULL && body != NULL, POPBELL_NOTIFIER_REMEDY_NONE);

  if (error == NULL)
    {
      *summary = g_strdup_printf (_("%s needs attention"), account_name);
      *body = g_strdup ("");
      return POPBELL_NOTIFIER_REMEDY_FIX;
    }

  if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG))
    {
      /* The sentence names the file and the line. */
      *summary = g_strdup (_("Popbell cannot read its accounts"));
      *body = maybe_escape (error->message, markup);
      return POPBELL_NOTIFIER_REMEDY_PREFERENCES;
    }

  network = g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_NETWORK) ||
            g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_TIMEOUT) ||
            popbell_error_get_reason (error) == POPBELL_ERROR_REASON_TLS_MISMATCH;
  if (g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_AUTH))
    {
      *summary = g_strdup_printf (_("Cannot log in to %s"), account_name);
      if (popbell_error_get_reason (error) != POPBELL_ERROR_REASON_AUTH_UNSUPPORTED)
        remedy = POPBELL_NOTIFIER_REMEDY_FIX_RETRY;
    }
  else if (popbell_error_get_reason (error) == POPBELL_ERROR_REASON_CERTIFICATE)
    *summary = g_strdup_printf (_("The server of %s is not trusted"), account_name);
  else if (network)
    *summary = g_strdup_printf (_("Cannot reach the server of %s"), account_name);
  else
    *summary = g_strdup_printf (_("%s needs attention"), account_name);

  line = problem_line (error);
  detail = popbell_error_get_detail (error);
  if (line == NULL)
    {
      /* No applet wording for it: the full sentence. */
      *body = maybe_escape (error->message, markup);
      return remedy;
    }

  {
    g_autofree gchar *escaped = maybe_escape (line, markup);

    g_string_append (text, escaped);
  }

  fingerprint = popbell_error_get_reason (error) == POPBELL_ERROR_REASON_CERTIFICATE
                ? popbell_error_dup_certificate_sha256 (error) : NULL;
  if (fingerprint != NULL)
    {
      /* Four lines at most, the fingerprint once (SPEC §5 "Problems"). */
      g_string_append_c (text, '\n');
      g_string_append_printf (text, _("SHA-256 fingerprint: %s"), fingerprint);
      g_string_append_c (text, '\n');
      g_string_append (text, _("Trust it only if your provider publishes the same fingerprint."));
      remedy = POPBELL_NOTIFIER_REMEDY_TRUST;
    }
  /* Where the first line already says what happened (no such host,
   * refused, timed out…), the library's words only repeat it — in the
   * user's language twice over. */
  else if (detail != NULL && (popbell_error_get_reason (error) == POPBELL_ERROR_REASON_NONE ||
                              popbell_error_get_reason (error) == POPBELL_ERROR_REASON_AUTH_REJECTED ||
                              popbell_error_get_reason (error) == POPBELL_ERROR_REASON_AUTH_UNSUPPORTED))
    {
      /* The server's own words (already translated where they are ours),
       * on a line of their own: a sentence. */
      gunichar first = g_utf8_get_char (detail);
      g_autofree gchar *rest = NULL;
      g_autofree gchar *escaped = NULL;
      gchar upper[8] = { 0 };

      g_unichar_to_utf8 (g_unichar_totitle (first), upper);
      rest = g_strconcat (upper, g_utf8_next_char (detail), NULL);
      escaped = maybe_escape (rest, markup);
      g_string_append_c (text, '\n');
      g_string_append (text, escaped);
    }

  if (network)
    {
      g_string_append_c (text, '\n');
      g_string_append (text, _("Popbell keeps trying."));
    }

  *body = g_string_free (g_steal_pointer (&text), FALSE);
  return remedy;
}
