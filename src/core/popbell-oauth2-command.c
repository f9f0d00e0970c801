/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include "popbell-config.h"

#include "popbell-oauth2-command.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "popbell-error.h"
#include "popbell-text.h"

#define MIN_COMMAND_TIMEOUT_S 30
/* What of the command's stderr goes into a message. */
#define MAX_STDERR_SHOWN 200

struct _PopbellOAuth2CommandSource
{
  GObject         parent_instance;

  PopbellAccount *account;   /* (owned) */
};

static void popbell_oauth2_command_source_iface_init (PopbellTokenSourceInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PopbellOAuth2CommandSource, popbell_oauth2_command_source,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (POPBELL_TYPE_TOKEN_SOURCE,
                                                      popbell_oauth2_command_source_iface_init))

static void
popbell_oauth2_command_source_dispose (GObject *object)
{
  PopbellOAuth2CommandSource *self = POPBELL_OAUTH2_COMMAND_SOURCE (object);

  g_clear_object (&self->account);
  G_OBJECT_CLASS (popbell_oauth2_command_source_parent_class)->dispose (object);
}

static void
popbell_oauth2_command_source_class_init (PopbellOAuth2CommandSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = popbell_oauth2_command_source_dispose;
}

static void
popbell_oauth2_command_source_init (PopbellOAuth2CommandSource *self)
{
}

PopbellTokenSource *
popbell_oauth2_command_source_new (PopbellAccount *account)
{
  PopbellOAuth2CommandSource *self;

  g_return_val_if_fail (POPBELL_IS_ACCOUNT (account), NULL);

  self = g_object_new (POPBELL_TYPE_OAUTH2_COMMAND_SOURCE, NULL);
  self->account = g_object_ref (account);
  return POPBELL_TOKEN_SOURCE (self);
}

typedef struct {
  GSubprocess *process;    /* (owned) */
  gchar       *program;    /* (owned) argv[0], for messages */
  GSource     *timeout;    /* (owned) (nullable) */
  gulong       cancel_id;
  gboolean     timed_out;
  guint        seconds;
} CommandRun;

static void
command_run_free (CommandRun *run)
{
  if (run->timeout != NULL)
    g_source_destroy (run->timeout);
  g_clear_pointer (&run->timeout, g_source_unref);
  g_clear_object (&run->process);
  g_free (run->program);
  g_free (run);
}

static gboolean
command_timed_out (gpointer user_data)
{
  GTask *task = user_data;
  CommandRun *run = g_task_get_task_data (task);

  run->timed_out = TRUE;
  g_subprocess_force_exit (run->process);
  g_clear_pointer (&run->timeout, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* The first line of @text, made valid UTF-8 and shortened: what the user
 * sees of a helper's complaint. (transfer full) */
static gchar *
first_line (const gchar *text)
{
  const gchar *end;

  if (text == NULL)
    return g_strdup ("");
  while (*text == '\n' || *text == '\r')
    text++;
  end = strpbrk (text, "\r\n");
  return popbell_text_sanitize_line (text, end != NULL ? end - text : -1, MAX_STDERR_SHOWN);
}

static void
command_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  PopbellOAuth2CommandSource *self = g_task_get_source_object (task);
  CommandRun *run = g_task_get_task_data (task);
  const gchar *name = popbell_account_get_name (self->account);
  g_autoptr(GError) error = NULL;
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autofree gchar *complaint = NULL;
  gchar *token;
  gsize len;

  /* The timeout source holds a reference to the task: drop it now. */
  if (run->timeout != NULL)
    g_source_destroy (run->timeout);
  g_clear_pointer (&run->timeout, g_source_unref);
  g_cancellable_disconnect (g_task_get_cancellable (task), run->cancel_id);
  run->cancel_id = 0;
  if (!g_subprocess_communicate_utf8_finish (run->process, result, &out, &err, &error))
    {
      if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      else
        g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                                 _("The token command of account “%s” (%s) printed something "
                                   "that is not text: %s"), name, run->program, error->message);
      goto wipe;
    }
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      goto wipe;
    }
  if (run->timed_out)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_TIMEOUT,
                               _("The token command of account “%s” (%s) did not finish "
                                 "within %u seconds; it was stopped."),
                               name, run->program, run->seconds);
      goto wipe;
    }

  complaint = first_line (err);
  if (!g_subprocess_get_if_exited (run->process))
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The token command of account “%s” (%s) was killed by "
                                 "signal %d: %s"), name, run->program,
                               g_subprocess_get_term_sig (run->process), complaint);
      goto wipe;
    }
  if (g_subprocess_get_exit_status (run->process) != 0)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The token command of account “%s” (%s) failed with exit "
                                 "status %d: %s"), name, run->program,
                               g_subprocess_get_exit_status (run->process), complaint);
      goto wipe;
    }

  len = out != NULL ? strcspn (out, "\r\n") : 0;
  token = g_strndup (out != NULL ? out : "", len);
  g_strstrip (token);
  if (*token == '\0')
    {
      popbell_credentials_free_password (token);
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The token command of account “%s” (%s) printed no access "
                                 "token on its first line."), name, run->program);
      goto wipe;
    }
  g_task_return_pointer (task, token, (GDestroyNotify) popbell_credentials_free_password);

wipe:
  /* stdout held the token. */
  if (out != NULL)
    memset (out, 0, strlen (out));
}

static void
command_cancelled (GCancellable *cancellable, gpointer user_data)
{
  GSubprocess *process = user_data;

  /* The helper may be waiting on the network: do not leave it behind. */
  g_subprocess_force_exit (process);
}

static void
command_get_token_async (PopbellTokenSource  *source,
                         gboolean             force_renew,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  PopbellOAuth2CommandSource *self = POPBELL_OAUTH2_COMMAND_SOURCE (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  const gchar *command = popbell_account_get_oauth2 (self->account, "oauth2-command");
  const gchar *name = popbell_account_get_name (self->account);
  CommandRun *run;

  g_task_set_source_tag (task, command_get_token_async);
  run = g_new0 (CommandRun, 1);
  g_task_set_task_data (task, run, (GDestroyNotify) command_run_free);

  if (command == NULL || !g_shell_parse_argv (command, NULL, &argv, &error))
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("Account “%s”, setting “%s”: %s."), name, "oauth2-command",
                               _("set the command that prints an access token (quotes must "
                                 "be balanced)"));
      return;
    }
  run->program = g_strdup (argv[0]);

  /* No shell, no stdin: the command line is the user's, verbatim, and a
   * helper that wants to ask something cannot hang a background check. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "POPBELL_ACCOUNT", name, TRUE);
  if (force_renew)
    g_subprocess_launcher_setenv (launcher, "POPBELL_OAUTH2_RENEW", "1", TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "POPBELL_OAUTH2_RENEW");

  g_debug ("account %s: running its token command %s%s", name, run->program,
           force_renew ? " (renew)" : "");
  run->process = g_subprocess_launcher_spawnv (launcher, (const gchar * const *) argv, &error);
  if (run->process == NULL)
    {
      g_task_return_new_error (task, POPBELL_ERROR, POPBELL_ERROR_CONFIG,
                               _("The token command of account “%s” (%s) cannot be started: "
                                 "%s"), name, run->program, error->message);
      return;
    }

  run->seconds = MAX (popbell_account_get_timeout (self->account), MIN_COMMAND_TIMEOUT_S);
  run->timeout = g_timeout_source_new_seconds (run->seconds);
  g_task_attach_source (task, run->timeout, command_timed_out);
  if (cancellable != NULL)
    run->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (command_cancelled),
                                            g_object_ref (run->process), g_object_unref);

  /* Not the caller's cancellable: cancelling kills the process (above),
   * and communicate then ends with what it read, which keeps the pipes
   * drained and the child reaped. */
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, command_done,
                                       g_steal_pointer (&task));
}

static gchar *
command_get_token_finish (PopbellTokenSource *source, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
popbell_oauth2_command_source_iface_init (PopbellTokenSourceInterface *iface)
{
  iface->get_token_async = command_get_token_async;
  iface->get_token_finish = command_get_token_finish;
}
