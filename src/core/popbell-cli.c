/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "popbell-account.h"
#include "popbell-checker.h"
#include "popbell-cli.h"
#include "popbell-diagnostics.h"
#include "popbell-error.h"
#include "popbell-json.h"
#include "popbell-message.h"
#include "popbell-oauth2-sign-in.h"
#include "popbell-secret-credentials.h"
#include "popbell-state-store.h"

/* --show-newest pulls the whole message only up to this size; larger ones
 * show their headers and the first lines of the body (TOP). */
#define SHOW_NEWEST_MAX_SIZE (1024 * 1024)
#define SHOW_NEWEST_TOP_LINES 200
#define MAX_PASSWORD_LENGTH 4096

/* Loads accounts.ini; prints the error (exit status 2) on failure. */
static PopbellAccountStore *
load_accounts (void)
{
  g_autofree gchar *path = popbell_account_store_default_path ();
  g_autoptr(PopbellAccountStore) store = popbell_account_store_new (path);
  g_autoptr(GError) error = NULL;

  /* GLib prints debug and info messages on stdout by default; stdout is
   * the result (JSON) here, so the protocol trace goes to stderr. Every
   * command starts here. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (!popbell_account_store_load (store, &error))
    {
      g_printerr ("popbell: %s\n", error->message);
      return NULL;
    }
  return g_steal_pointer (&store);
}

static PopbellAccount *
lookup_account (PopbellAccountStore *store, const gchar *name)
{
  PopbellAccount *account = popbell_account_store_lookup (store, name);

  if (account == NULL)
    g_printerr (_("popbell: there is no account “%s” in %s\n"),
                name, popbell_account_store_get_path (store));
  return account;
}

static void
wait_for (gboolean *done)
{
  while (!*done)
    g_main_context_iteration (NULL, TRUE);
}

/* ======================================================================== */
/* --check-once                                                             */
/* ======================================================================== */

typedef struct {
  GPtrArray *outcomes;  /* (element-type PopbellCheckOutcome), account order */
  guint      pending;
} CheckOnce;

typedef struct {
  CheckOnce *run;
  guint      position;
} CheckSlot;

static void
check_once_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CheckSlot *slot = user_data;
  g_autoptr(GError) error = NULL;
  PopbellCheckOutcome *outcome;

  /* Nothing cancels these checks: there is always an outcome. */
  outcome = popbell_checker_check_finish (POPBELL_CHECKER (source), result, &error);
  g_ptr_array_index (slot->run->outcomes, slot->position) = outcome;
  slot->run->pending--;
  g_free (slot);
}

static void
print_human (PopbellCheckResult *result)
{
  const gchar *name = popbell_check_result_get_account_name (result);
  GPtrArray *messages = popbell_check_result_get_new_messages (result);
  g_autofree gchar *size = NULL;
  guint count;

  if (!popbell_check_result_is_ok (result))
    {
      g_print (_("%s: failed (%s): %s\n"), name, popbell_check_result_get_error_kind (result),
               popbell_check_result_get_error (result)->message);
      return;
    }
  /* The size goes in as text: a G_GUINT64_FORMAT inside _() would cut the
   * msgid there (xgettext stops at the macro) and the line stay English. */
  size = g_format_size (popbell_check_result_get_size (result));
  count = popbell_check_result_get_messages (result);
  if (popbell_check_result_is_first_check (result))
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "%s: %u message (%s); first check, remembered as seen\n",
                          "%s: %u messages (%s); first check, remembered as seen\n", count),
             name, count, size);
  else
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "%s: %u message (%s), %u new, %u unseen\n",
                          "%s: %u messages (%s), %u new, %u unseen\n", count),
             name, count, size,
             popbell_check_result_get_new_count (result),
             popbell_check_result_get_unseen_count (result));
  for (guint i = 0; messages != NULL && i < messages->len; i++)
    g_print ("  %s — %s\n", popbell_mail_summary_get_from (messages->pdata[i]),
             popbell_mail_summary_get_subject (messages->pdata[i]));
  if (popbell_check_result_get_note (result) != NULL)
    g_print ("  %s\n", popbell_check_result_get_note (result));
}

int
popbell_cli_check_once (const gchar *account_name, gboolean json)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PopbellStateStore) state_store = NULL;
  g_autoptr(PopbellCredentials) credentials = NULL;
  g_autoptr(PopbellChecker) checker = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new ();
  CheckOnce run = { 0 };
  int status = 0;

  store = load_accounts ();
  if (store == NULL)
    return 2;

  if (account_name != NULL)
    {
      /* Named explicitly: checked even when disabled (the user asked). */
      PopbellAccount *account = lookup_account (store, account_name);

      if (account == NULL)
        return 2;
      g_ptr_array_add (accounts, g_object_ref (account));
    }
  else
    {
      g_autoptr(GPtrArray) all = popbell_account_store_list (store);

      for (guint i = 0; i < all->len; i++)
        if (popbell_account_get_enabled (all->pdata[i]))
          g_ptr_array_add (accounts, g_object_ref (all->pdata[i]));
      if (accounts->len == 0)
        {
          g_printerr (_("popbell: no enabled account in %s; add one with “popbell "
                        "--preferences” or edit the file\n"),
                      popbell_account_store_get_path (store));
          return 2;
        }
    }

  state_store = popbell_state_store_new (NULL);
  credentials = popbell_secret_credentials_new ();
  checker = popbell_checker_new (state_store, credentials);

  /* Every account at once: one session each, and the slowest server sets
   * the run time rather than the sum of them. */
  run.outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_check_outcome_free);
  g_ptr_array_set_size (run.outcomes, accounts->len);
  run.pending = accounts->len;
  for (guint i = 0; i < accounts->len; i++)
    {
      CheckSlot *slot = g_new0 (CheckSlot, 1);

      slot->run = &run;
      slot->position = i;
      popbell_checker_check_async (checker, accounts->pdata[i], POPBELL_SESSION_FLAGS_NONE,
                                   NULL, check_once_done, slot);
    }
  while (run.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < run.outcomes->len; i++)
    {
      PopbellCheckOutcome *outcome = run.outcomes->pdata[i];

      if (outcome == NULL)
        continue;
      g_ptr_array_add (results, outcome->result);
      if (!popbell_check_result_is_ok (outcome->result))
        status = 1;
      if (outcome->save_error != NULL)
        {
          g_printerr ("popbell: %s\n", outcome->save_error->message);
          status = 1;
        }
    }

  if (json)
    {
      g_autofree gchar *text = popbell_json_results_to_string (results);
      fputs (text, stdout);
    }
  else
    {
      for (guint i = 0; i < results->len; i++)
        print_human (results->pdata[i]);
    }
  fflush (stdout);
  g_ptr_array_unref (run.outcomes);
  return status;
}

/* ======================================================================== */
/* --set-password                                                           */
/* ======================================================================== */

/* While the echo is off, a signal that ends the process (^C, a logout's
 * SIGHUP, kill) must turn it back on first: the terminal belongs to the
 * user's shell. Only async-signal-safe calls in the handler. */
static struct termios prompt_termios;
static volatile sig_atomic_t prompt_echo_off;
static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void
prompt_signal_handler (int sig)
{
  if (prompt_echo_off)
    tcsetattr (STDIN_FILENO, TCSANOW, &prompt_termios);
  (void) !write (STDERR_FILENO, "\n", 1);
  /* Die of the signal, as without the handler: the shell sees why. */
  signal (sig, SIG_DFL);
  raise (sig);
}

static void
prompt_echo_restore_on_signal (struct sigaction *old_actions)
{
  struct sigaction action = { 0 };

  action.sa_handler = prompt_signal_handler;
  sigemptyset (&action.sa_mask);
  for (gsize i = 0; i < G_N_ELEMENTS (prompt_signals); i++)
    sigaddset (&action.sa_mask, prompt_signals[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (prompt_signals); i++)
    sigaction (prompt_signals[i], &action, &old_actions[i]);
}

static void
prompt_signals_reset (const struct sigaction *old_actions)
{
  for (gsize i = 0; i < G_N_ELEMENTS (prompt_signals); i++)
    sigaction (prompt_signals[i], &old_actions[i], NULL);
}

/* One line from stdin, without its line end; the terminal does not echo
 * it. NULL at once-EOF or for an over-long line. */
static gchar *
read_password_line (void)
{
  gboolean tty = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  struct sigaction old_actions[G_N_ELEMENTS (prompt_signals)];
  gboolean echo_off = FALSE;
  GString *line = g_string_sized_new (64);
  gboolean got_any = FALSE;
  int c;

  if (tty)
    {
      g_printerr (_("Password: "));
      if (tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~(ECHO | ECHONL);
          prompt_termios = saved;
          prompt_echo_restore_on_signal (old_actions);
          /* The flag goes up before the echo goes off: a signal right after
           * tcsetattr() (before its return value is stored) must restore
           * it. Restoring the saved settings is harmless if it failed. */
          prompt_echo_off = TRUE;
          echo_off = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
          if (!echo_off)
            {
              prompt_echo_off = FALSE;
              prompt_signals_reset (old_actions);
            }
        }
    }

  while ((c = getchar ()) != EOF)
    {
      got_any = TRUE;
      if (c == '\n')
        break;
      if (line->len >= MAX_PASSWORD_LENGTH)
        {
          got_any = FALSE;
          break;
        }
      g_string_append_c (line, (gchar) c);
    }

  if (echo_off)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      prompt_echo_off = FALSE;
      prompt_signals_reset (old_actions);
    }
  if (tty)
    g_printerr ("\n");

  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  if (!got_any)
    {
      memset (line->str, 0, line->allocated_len);
      g_string_free (line, TRUE);
      return NULL;
    }
  /* The buffer may have been reallocated while growing; the old copies are
   * beyond our reach, the final one is wiped by the caller. */
  return g_string_free (line, FALSE);
}

static void
async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* Lifts the auth hold in the state (under the account lock). */
static gboolean
clear_auth_hold (PopbellStateStore *store, const gchar *name, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(PopbellStateLock) lock = NULL;
  g_autoptr(PopbellAccountState) state = NULL;

  popbell_state_store_lock_async (store, name, 120 * 1000, NULL, async_done, &result);
  lock = popbell_state_store_lock_finish (store, wait_result (&result), error);
  if (lock == NULL)
    return FALSE;
  state = popbell_state_store_load (store, name, NULL, error);
  if (state == NULL)
    return FALSE;
  if (!state->auth_hold)
    return TRUE;
  state->auth_hold = FALSE;
  g_clear_pointer (&state->auth_hold_digest, g_free);
  return popbell_state_store_save (store, state, error);
}

int
popbell_cli_set_password (const gchar *account_name)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellCredentials) credentials = NULL;
  g_autoptr(PopbellStateStore) state_store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *label = NULL;
  PopbellAccount *account;
  gchar *password;
  gboolean ok;

  store = load_accounts ();
  if (store == NULL)
    return 2;
  account = lookup_account (store, account_name);
  if (account == NULL)
    return 2;

  password = read_password_line ();
  if (password == NULL || password[0] == '\0')
    {
      popbell_credentials_free_password (password);
      g_printerr (_("popbell: no password on standard input; nothing was stored for account “%s”\n"),
                  account_name);
      return 2;
    }

  credentials = popbell_secret_credentials_new ();
  label = g_strdup_printf (_("Popbell: %s"), account_name);
  popbell_credentials_store_async (credentials, popbell_account_get_host (account),
                                   popbell_account_get_username (account), label, password,
                                   NULL, async_done, &result);
  ok = popbell_credentials_store_finish (credentials, wait_result (&result), &error);
  popbell_credentials_free_password (password);
  if (!ok)
    {
      g_autoptr(GError) translated = popbell_credentials_error_to_popbell (error, account_name);
      g_printerr ("popbell: %s\n", translated->message);
      return 1;
    }

  /* A new password is the user's answer to an authentication failure. */
  state_store = popbell_state_store_new (NULL);
  if (!clear_auth_hold (state_store, account_name, &error))
    {
      g_printerr (_("popbell: the password of account “%s” was stored, but its state could "
                    "not be updated: %s\n"), account_name, error->message);
      return 1;
    }

  g_print (_("Password of account “%s” stored in the keyring.\n"), account_name);
  return 0;
}

/* ======================================================================== */
/* --show-newest                                                            */
/* ======================================================================== */

typedef struct {
  PopbellSession *session;
  GError         *error;
  PopbellMessage *message;
  gboolean        empty;
  guint           index;
  guint64         size;
  gchar          *uid;
  gboolean        done;
} ShowNewest;

static void show_close (ShowNewest *run, gboolean quit);

static void
show_parsed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShowNewest *run = user_data;

  /* No cancellable was given: parsing always gives a message. */
  run->message = popbell_message_new_from_bytes_finish (result, NULL);
  show_close (run, TRUE);
}

static void
show_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShowNewest *run = user_data;
  PopbellPop3Client *client = POPBELL_POP3_CLIENT (source);
  g_autoptr(GBytes) raw = NULL;
  gboolean complete = run->size <= SHOW_NEWEST_MAX_SIZE;

  raw = complete ? popbell_pop3_client_retr_finish (client, result, &run->error)
                 : popbell_pop3_client_top_finish (client, result, &run->error);
  if (raw == NULL)
    {
      show_close (run, FALSE);
      return;
    }
  /* Parsed in a worker thread (megabytes of MIME are no work for the
   * thread that drives the POP3 session). */
  popbell_message_new_from_bytes_async (raw, run->uid, run->size, complete, NULL,
                                        show_parsed, run);
}

static void
show_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShowNewest *run = user_data;
  g_autoptr(PopbellPop3ListEntry) entry = NULL;

  entry = popbell_pop3_client_uidl_one_finish (POPBELL_POP3_CLIENT (source), result, NULL);
  run->uid = g_strdup (entry != NULL ? entry->uid : "");
}

static void
show_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShowNewest *run = user_data;
  PopbellPop3Client *client = POPBELL_POP3_CLIENT (source);
  g_autoptr(PopbellPop3ListEntry) entry = NULL;

  entry = popbell_pop3_client_list_one_finish (client, result, &run->error);
  if (entry == NULL)
    {
      show_close (run, FALSE);
      return;
    }
  run->size = entry->size;
  if (run->size <= SHOW_NEWEST_MAX_SIZE)
    popbell_pop3_client_retr_async (client, run->index, SHOW_NEWEST_MAX_SIZE, NULL,
                                    show_fetched, run);
  else
    popbell_pop3_client_top_async (client, run->index, SHOW_NEWEST_TOP_LINES, NULL,
                                   show_fetched, run);
}

static void
show_stat (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShowNewest *run = user_data;
  PopbellPop3Client *client = POPBELL_POP3_CLIENT (source);
  guint64 size;

  if (!popbell_pop3_client_stat_finish (client, result, &run->index, &size, &run->error))
    {
      show_close (run, FALSE);
      return;
    }
  if (run->index == 0)
    {
      run->empty = TRUE;
      show_close (run, TRUE);
      return;
    }
  /* Both queued at once: pipelined where the server allows it. */
  popbell_pop3_client_uidl_one_async (client, run->index, NULL, show_uid, run);
  popbell_pop3_client_list_one_async (client, run->index, NULL, show_listed, run);
}

static void
show_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShowNewest *run = user_data;
  PopbellPop3Client *client;

  if (!popbell_session_open_finish (run->session, result, &run->error))
    {
      show_close (run, FALSE);
      return;
    }
  client = popbell_session_get_client (run->session);
  if (popbell_pop3_client_get_expire (client) == 0)
    {
      /* RFC 2449 §6.7: this server deletes what it hands out. */
      g_set_error (&run->error, POPBELL_ERROR, POPBELL_ERROR_SERVER,
                   _("The server of account “%s” deletes messages once they are read "
                     "(EXPIRE 0); Popbell does not read them. Use your mail client."),
                   popbell_account_get_name (popbell_session_get_account (run->session)));
      show_close (run, TRUE);
      return;
    }
  popbell_pop3_client_stat_async (client, NULL, show_stat, run);
}

static void
show_closed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ShowNewest *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!popbell_session_close_finish (run->session, result, &error))
    g_printerr ("popbell: %s\n", error->message);
  run->done = TRUE;
}

static void
show_close (ShowNewest *run, gboolean quit)
{
  popbell_session_close_async (run->session, quit, NULL, show_closed, run);
}

static void
print_message (PopbellMessage *message)
{
  GDateTime *date = popbell_message_get_date (message);
  g_autofree gchar *date_text = date != NULL ? g_date_time_format (date, "%a, %d %b %Y %H:%M:%S %z")
                                             : g_strdup ("");

  g_print ("From: %s\n", popbell_message_get_from (message));
  g_print ("To: %s\n", popbell_message_get_to (message));
  g_print ("Date: %s\n", date_text);
  g_print ("Subject: %s\n", popbell_message_get_subject (message));
  g_print ("\n%s", popbell_message_get_body (message));
  if (!g_str_has_suffix (popbell_message_get_body (message), "\n"))
    g_print ("\n");
  if (!popbell_message_is_complete (message))
    {
      g_autofree gchar *size = g_format_size (popbell_message_get_size_on_server (message));

      g_print (_("\n[Only the beginning is shown: the message is %s, more than Popbell "
                 "downloads.]\n"), size);
    }
}

int
popbell_cli_show_newest (const gchar *account_name)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellStateStore) state_store = NULL;
  g_autoptr(PopbellCredentials) credentials = NULL;
  g_autoptr(PopbellChecker) checker = NULL;
  ShowNewest run = { 0 };
  PopbellAccount *account;
  int status = 0;

  store = load_accounts ();
  if (store == NULL)
    return 2;
  account = lookup_account (store, account_name);
  if (account == NULL)
    return 2;

  state_store = popbell_state_store_new (NULL);
  credentials = popbell_secret_credentials_new ();
  checker = popbell_checker_new (state_store, credentials);
  run.session = popbell_session_new (checker, account, POPBELL_SESSION_FLAGS_NONE);
  popbell_session_open_async (run.session, NULL, show_opened, &run);
  wait_for (&run.done);

  if (run.error != NULL)
    {
      g_autoptr(GError) translated = popbell_error_from_pop3 (run.error, account_name);
      g_printerr ("popbell: %s\n", translated->message);
      status = 1;
    }
  else if (run.empty)
    {
      g_print (_("Account “%s” has no messages on the server.\n"), account_name);
    }
  else if (run.message != NULL)
    {
      print_message (run.message);
    }

  g_clear_error (&run.error);
  g_clear_pointer (&run.message, popbell_message_unref);
  g_free (run.uid);
  g_clear_object (&run.session);
  return status;
}

/* ======================================================================== */
/* --sign-in                                                                */
/* ======================================================================== */

static void
print_sign_in_uri (const gchar *uri, gpointer user_data)
{
  const gchar *name = user_data;

  /* On stdout, flushed at once: the user may have to open it by hand. */
  g_print (_("To sign in account “%s”, open this address in your browser (Popbell tries to "
             "open it for you):\n%s\n"), name, uri);
  fflush (stdout);
}

int
popbell_cli_sign_in (const gchar *account_name)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellCredentials) refresh_tokens = NULL;
  g_autoptr(PopbellStateStore) state_store = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PopbellAccount *account;

  store = load_accounts ();
  if (store == NULL)
    return 2;
  account = lookup_account (store, account_name);
  if (account == NULL)
    return 2;
  if (popbell_account_get_auth (account) != POPBELL_POP3_AUTH_OAUTH2 ||
      g_strcmp0 (popbell_account_get_oauth2 (account, "oauth2-source"), "builtin") != 0)
    {
      g_printerr (_("popbell: account “%s” does not use Popbell's own sign-in; set auth=oauth2 "
                    "and oauth2-source=builtin first\n"), account_name);
      return 2;
    }

  refresh_tokens = popbell_secret_credentials_new_oauth2 ();
  popbell_oauth2_sign_in_async (account, refresh_tokens, TRUE, print_sign_in_uri,
                                (gpointer) account_name, NULL, async_done, &result);
  if (!popbell_oauth2_sign_in_finish (wait_result (&result), &error))
    {
      g_printerr ("popbell: %s\n", error->message);
      return g_error_matches (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG) ? 2 : 1;
    }

  /* A new sign-in is the user's answer to an authentication failure. */
  state_store = popbell_state_store_new (NULL);
  if (!clear_auth_hold (state_store, account_name, &error))
    {
      g_printerr (_("popbell: account “%s” is signed in, but its state could not be updated: "
                    "%s\n"), account_name, error->message);
      return 1;
    }
  g_print (_("Account “%s” is signed in; its refresh token is in the keyring.\n"), account_name);
  return 0;
}

/* ======================================================================== */
/* --diagnostics                                                            */
/* ======================================================================== */

typedef struct {
  gboolean  done;
  gboolean  session_ok;
  gchar    *report;
  GError   *error;
} Diagnostics;

static void
diagnostics_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Diagnostics *run = user_data;

  run->report = popbell_diagnostics_run_finish (result, &run->session_ok, &run->error);
  run->done = TRUE;
}

int
popbell_cli_diagnostics (const gchar *account_name)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellCredentials) credentials = NULL;
  Diagnostics run = { 0 };
  PopbellAccount *account;

  store = load_accounts ();
  if (store == NULL)
    return 2;
  account = lookup_account (store, account_name);
  if (account == NULL)
    return 2;

  credentials = popbell_secret_credentials_new ();
  popbell_diagnostics_run_async (account, credentials, NULL, diagnostics_done, &run);
  wait_for (&run.done);

  if (run.report == NULL)
    {
      g_printerr ("popbell: %s\n", run.error->message);
      g_clear_error (&run.error);
      return 1;
    }
  g_print ("%s", run.report);
  g_free (run.report);
  return run.session_ok ? 0 : 1;
}
