/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The one-command operations (STAT, LIST, UIDL, TOP, RETR, DELE, RSET,
 * NOOP, QUIT) and CAPA: the command line each sends and how its answer is
 * read. They may be pipelined (popbell-pop3-queue.c decides). */
#include "popbell-pop3-client-private.h"

#include <string.h>

/* After a message passed the caller's cap, read and drop at most this much
 * more of it before giving up on the connection. */
#define MAX_DRAIN             (32 * 1024 * 1024)

/* --- simple commands -------------------------------------------------------- */

static gboolean
list_data_line (Cmd *cmd, const guint8 *data, gsize len, gboolean complete, GError **error)
{
  Op *op = cmd->op;
  PopbellPop3ListEntry *entry;

  if (op->entries->len >= POPBELL_POP3_MAX_MESSAGES)
    {
      g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                   "The server listed more than %u messages", POPBELL_POP3_MAX_MESSAGES);
      return FALSE;
    }
  if (op->kind == OP_UIDL)
    entry = popbell_pop3_parse_uidl_line ((const gchar *) data, len, error);
  else
    entry = popbell_pop3_parse_list_line ((const gchar *) data, len, error);
  if (entry == NULL)
    return FALSE;
  /* Message numbers ascend (RFC 1939 lists them in order); insisting on it
   * also rules out duplicates. */
  if (op->entries->len > 0 &&
      entry->index <= ((PopbellPop3ListEntry *) g_ptr_array_index (op->entries, op->entries->len - 1))->index)
    {
      popbell_pop3_list_entry_free (entry);
      g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                   "The server listed messages out of order");
      return FALSE;
    }
  g_ptr_array_add (op->entries, entry);
  return TRUE;
}

static gboolean
message_data_line (Cmd *cmd, const guint8 *data, gsize len, gboolean complete, GError **error)
{
  Op *op = cmd->op;
  gsize add = len + (complete ? 2 : 0);

  if (op->data_error != NULL)
    {
      op->drained += add;
      if (op->drained > MAX_DRAIN)
        {
          g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                       "The server sent a message that does not end");
          return FALSE;
        }
      return TRUE;
    }
  if (op->data->len + add > op->max_size)
    {
      if (op->kind == OP_RETR)
        op->data_error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_TOO_LARGE,
                                      "Message %u is larger than %" G_GSIZE_FORMAT " octets",
                                      op->index, op->max_size);
      else
        op->data_error = g_error_new (POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                                      "The headers of message %u are larger than %" G_GSIZE_FORMAT " octets",
                                      op->index, op->max_size);
      g_byte_array_set_size (op->data, 0);
      op->drained = add;
      return TRUE;
    }
  g_byte_array_append (op->data, data, len);
  if (complete)
    g_byte_array_append (op->data, (const guint8 *) "\r\n", 2);
  return TRUE;
}

/* @op's answer (already taken off the queue) broke the protocol: it and
 * everything else fail, the connection goes. */
void
pop3_queue_fail_op_and_all (PopbellPop3Client *self, Op *op, GError *error)
{
  g_autoptr(GTask) task = pop3_op_finish (op);

  pop3_queue_fail_all (self, g_error_copy (error));
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
simple_done (Cmd *cmd)
{
  Op *op = cmd->op;
  PopbellPop3Client *self = op->client;
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  if (cmd->is_quit)
    {
      /* RFC 1939 §6: the server closes after the UPDATE state; so do we. */
      pop3_queue_disconnect (self);
    }
  if (op->task == NULL)
    {
      pop3_op_free (op);   /* cancelled earlier: the answer is dropped */
      return;
    }
  if (cmd->reply->status != POPBELL_POP3_STATUS_OK)
    {
      pop3_op_return_error (op, pop3_command_error (cmd, POPBELL_POP3_ERROR_COMMAND_FAILED));
      return;
    }

  switch (op->kind)
    {
    case OP_STAT:
      {
        StatResult stat;
        if (!popbell_pop3_parse_stat (cmd->reply->text, &stat.count, &stat.size, &error))
          {
            pop3_queue_fail_op_and_all (self, op, pop3_queue_out_of_step_error (self, error));
            return;
          }
        task = pop3_op_finish (op);
        /* Not g_task_return_int(): a count above G_MAXINT32 is negative in
         * a 32-bit gssize, which reads as an error. */
        g_task_return_pointer (task, g_memdup2 (&stat, sizeof stat), g_free);
      }
      break;
    case OP_LIST_ONE:
    case OP_UIDL_ONE:
      {
        const gchar *text = cmd->reply->text;
        PopbellPop3ListEntry *entry =
          op->kind == OP_UIDL_ONE ? popbell_pop3_parse_uidl_line (text, strlen (text), &error)
                                  : popbell_pop3_parse_list_line (text, strlen (text), &error);
        if (entry != NULL && entry->index != op->index)
          {
            popbell_pop3_list_entry_free (entry);
            entry = NULL;
            g_set_error (&error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                         "The server answered for another message");
          }
        if (entry == NULL)
          {
            pop3_queue_fail_op_and_all (self, op, pop3_queue_out_of_step_error (self, error));
            return;
          }
        task = pop3_op_finish (op);
        g_task_return_pointer (task, entry, (GDestroyNotify) popbell_pop3_list_entry_free);
      }
      break;
    case OP_LIST:
    case OP_UIDL:
      {
        GPtrArray *entries = g_steal_pointer (&op->entries);
        task = pop3_op_finish (op);
        g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
      }
      break;
    case OP_TOP:
    case OP_RETR:
      if (op->data_error != NULL)
        {
          error = g_steal_pointer (&op->data_error);
          pop3_op_return_error (op, error);
        }
      else
        {
          g_debug ("S: [%u octets]", op->data->len);
          GBytes *bytes = g_byte_array_free_to_bytes (g_steal_pointer (&op->data));
          task = pop3_op_finish (op);
          g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
        }
      break;
    case OP_DELE:
    case OP_RSET:
    case OP_NOOP:
    case OP_QUIT:
      pop3_op_return_boolean (op);
      break;
    case OP_CONNECT:
    case OP_LOGIN:
    default:
      g_assert_not_reached ();
    }
}

Cmd *
pop3_commands_make_cmd (Op *op)
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->op = op;
  cmd->done = simple_done;
  switch (op->kind)
    {
    case OP_STAT: cmd->line = g_strdup ("STAT"); break;
    case OP_LIST:
      cmd->line = g_strdup ("LIST");
      cmd->multiline = TRUE;
      cmd->data_line = list_data_line;
      op->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_pop3_list_entry_free);
      break;
    case OP_UIDL:
      cmd->line = g_strdup ("UIDL");
      cmd->multiline = TRUE;
      cmd->data_line = list_data_line;
      op->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) popbell_pop3_list_entry_free);
      break;
    case OP_LIST_ONE: cmd->line = g_strdup_printf ("LIST %u", op->index); break;
    case OP_UIDL_ONE: cmd->line = g_strdup_printf ("UIDL %u", op->index); break;
    case OP_TOP:
    case OP_RETR:
      cmd->line = op->kind == OP_TOP ? g_strdup_printf ("TOP %u %u", op->index, op->lines)
                                     : g_strdup_printf ("RETR %u", op->index);
      cmd->multiline = TRUE;
      cmd->partial_ok = TRUE;
      cmd->data_line = message_data_line;
      op->data = g_byte_array_new ();
      break;
    case OP_DELE:
      cmd->line = g_strdup_printf ("DELE %u", op->index);
      op->client->dele_sent = TRUE;
      break;
    case OP_RSET: cmd->line = g_strdup ("RSET"); break;
    case OP_NOOP: cmd->line = g_strdup ("NOOP"); break;
    case OP_QUIT:
      cmd->line = g_strdup ("QUIT");
      cmd->is_quit = TRUE;
      break;
    case OP_CONNECT:
    case OP_LOGIN:
    default:
      g_assert_not_reached ();
    }
  return cmd;
}

static gboolean
capa_data_line (Cmd *cmd, const guint8 *data, gsize len, gboolean complete, GError **error)
{
  Op *op = cmd->op;
  g_autofree gchar *trace = popbell_pop3_trace_text ((const gchar *) data, len);

  pop3_trace (op->client, "S", trace);
  if (cmd->n_lines > POPBELL_POP3_MAX_CAPA_LINES)
    {
      g_set_error (error, POPBELL_POP3_ERROR, POPBELL_POP3_ERROR_PROTOCOL,
                   "The server listed more than %u capabilities", POPBELL_POP3_MAX_CAPA_LINES);
      return FALSE;
    }
  return popbell_pop3_capabilities_add_line (op->new_capa, (const gchar *) data, len, error);
}

Cmd *
pop3_capa_cmd_for (Op *op, void (*done) (Cmd *cmd))
{
  Cmd *cmd = g_new0 (Cmd, 1);

  cmd->op = op;
  cmd->line = g_strdup ("CAPA");
  cmd->done = done;
  cmd->multiline = TRUE;
  cmd->data_line = capa_data_line;
  g_clear_pointer (&op->new_capa, popbell_pop3_capabilities_free);
  op->new_capa = popbell_pop3_capabilities_new ();
  return cmd;
}

Cmd *
pop3_capa_cmd (PopbellPop3Client *self, void (*done) (Cmd *cmd))
{
  Cmd *cmd = pop3_barrier_cmd (self, "CAPA", NULL, done);

  cmd->multiline = TRUE;
  cmd->data_line = capa_data_line;
  g_clear_pointer (&self->barrier->new_capa, popbell_pop3_capabilities_free);
  self->barrier->new_capa = popbell_pop3_capabilities_new ();
  return cmd;
}

