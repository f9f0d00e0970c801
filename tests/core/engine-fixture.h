/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#pragma once

/* Shared by the engine test programs (test-engine, test-engine-schedule): a
 * temp directory with accounts.ini and state, memory credentials, a
 * mailbox-mode fake server, and an engine whose ::account-checked results
 * are collected. Intervals may be 1 s (POPBELL_MIN_INTERVAL=1). */

#include "popbell-checker.h"
#include "popbell-engine.h"
#include "popbell-fake-server.h"
#include "popbell-memory-credentials.h"

#define USER "alice"
#define PASSWORD "s3cret-pw"

typedef struct {
  gchar                    *dir;
  gchar                    *accounts_path;
  PopbellMemoryCredentials *credentials;
  PopbellFakeServer        *server;
  PopbellEngine            *engine;
  GPtrArray                *results;      /* (element-type PopbellCheckResult) */
  GArray                   *result_times; /* gint64 real time of each */
} Fixture;

void fixture_set_up    (Fixture *f, gconstpointer data);
void fixture_tear_down (Fixture *f, gconstpointer data);

/* Adds a small message with an RFC 2047 subject "Grüße @uid" dated 1@hour:00. */
void add_message (PopbellFakeServer *server, const gchar *uid, const gchar *hour);
/* One account "work" on 127.0.0.1:@port, plain USER/PASS, @interval s. */
void write_accounts (Fixture *f, guint16 port, guint interval);
/* Writes accounts.ini as given. */
void write_accounts_text (Fixture *f, const gchar *text);
/* (Re)creates and loads f->engine (not started). */
void new_engine (Fixture *f);

/* Iterates the default main context for @ms. */
void run_for (guint ms);
/* Iterates until @n results arrived (aborts after @timeout_ms). */
void run_until_results (Fixture *f, guint n, guint timeout_ms);
/* Iterates until *@flag is TRUE (aborts after @timeout_ms). */
void run_until_flag (gboolean *flag, guint timeout_ms);
PopbellCheckResult *result_at (Fixture *f, guint i);

/* GAsyncReadyCallback storing a ref on the result in *(GAsyncResult **) user_data. */
void store_result (GObject *source, GAsyncResult *result, gpointer user_data);
/* Iterates until *@result is set (aborts after @timeout_ms). */
void run_until_result (GAsyncResult **result, guint timeout_ms);
