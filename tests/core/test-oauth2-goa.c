/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
/* The goa token source with the real libgoa client against a fake
 * org.gnome.OnlineAccounts (tests/support/oauth2-fake-goa.py) on a private
 * session bus. */
#include "popbell-config.h"

#include <string.h>

#include "popbell-error.h"
#include "popbell-memory-credentials.h"
#include "popbell-oauth2-goa.h"
#include "popbell-oauth2-token-source.h"
#include "popbell-test-oauth2.h"
#include "popbell-test-session.h"
#include "popbell-test-util.h"

typedef struct {
  PopbellTestGoa *goa;   /* (nullable) the test starts it */
} Fixture;

#define ONE_ACCOUNT(extra) \
  "{\"accounts\": [{\"id\": \"account_1\", \"provider_name\": \"Google\", " \
  "\"identity\": \"alice@example.test\", \"email\": \"alice@example.test\", " \
  "\"tokens\": [\"goa-first\", \"goa-second\"]" extra "}]}"

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->goa, popbell_test_goa_stop);
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gchar *
get_token (const gchar *goa_id, gboolean renew, GError **error)
{
  g_autoptr(PopbellAccount) account = popbell_account_new ("gnome");
  g_autoptr(PopbellMemoryCredentials) store = popbell_memory_credentials_new ();
  g_autoptr(PopbellTokenSource) source = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  popbell_account_set_host (account, "pop.gmail.com");
  popbell_account_set_username (account, "alice@example.test");
  popbell_account_set_oauth2 (account, "oauth2-source", "goa");
  popbell_account_set_oauth2 (account, "oauth2-goa-id", goa_id);
  source = popbell_token_source_new_for_account (account, POPBELL_CREDENTIALS (store), NULL);
  g_assert_nonnull (source);
  popbell_token_source_get_token_async (source, renew, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return popbell_token_source_get_token_finish (source, result, error);
}

static void
test_token (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;
  g_autofree gchar *renewed = NULL;

  f->goa = popbell_test_goa_start (ONE_ACCOUNT (""));
  token = get_token ("account_1", FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "goa-first");
  g_assert_cmpuint (popbell_test_goa_count (f->goa, "ensure-credentials account_1"), ==, 0);

  /* After a rejection GOA is asked to renew first. */
  renewed = get_token ("account_1", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (renewed, ==, "goa-second");
  g_assert_cmpuint (popbell_test_goa_count (f->goa, "ensure-credentials account_1"), ==, 1);
  g_assert_cmpuint (popbell_test_goa_count (f->goa, "get-access-token account_1"), ==, 2);
}

/* A token GOA cannot give: AUTH, with a message that says why. */
typedef struct {
  const gchar *config;     /* the fake GOA's accounts; NULL: no GOA runs */
  const gchar *goa_id;
  gboolean     renew;      /* asked after a rejection */
  const gchar *hints[3];   /* (array zero-terminated=1) in the message */
  const gchar *never;      /* (nullable) an event that must not happen */
} Refusal;

static void
test_refused (Fixture *f, gconstpointer data)
{
  const Refusal *refusal = data;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *token = NULL;

  if (refusal->config != NULL)
    f->goa = popbell_test_goa_start (refusal->config);
  token = get_token (refusal->goa_id, refusal->renew, &error);
  g_assert_null (token);
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_AUTH);
  for (guint i = 0; refusal->hints[i] != NULL; i++)
    g_assert_nonnull (strstr (error->message, refusal->hints[i]));
  if (refusal->never != NULL)
    g_assert_cmpuint (popbell_test_goa_count (f->goa, refusal->never), ==, 0);
}

static const Refusal missing = {
  ONE_ACCOUNT (""), "account_9", FALSE, { "account_9", "Online Accounts", NULL }, NULL,
};
/* No GOA running at all: the same clear answer, no hang. */
static const Refusal not_running = {
  NULL, "account_1", FALSE, { "Online Accounts", NULL }, NULL,
};
static const Refusal attention = {
  ONE_ACCOUNT (", \"attention_needed\": true"), "account_1", FALSE, { "sign in again", NULL },
  "get-access-token account_1",
};
static const Refusal mail_disabled = {
  ONE_ACCOUNT (", \"mail_disabled\": true"), "account_1", FALSE, { "Mail is switched off", NULL },
  NULL,
};
/* GOA cannot renew (the provider revoked it): the user is sent to Settings. */
static const Refusal renew_fails = {
  ONE_ACCOUNT (", \"ensure_fails\": true"), "account_1", TRUE, { "Settings", NULL }, NULL,
};

static void
test_list (Fixture *f, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(GError) error = NULL;
  PopbellGoaAccountInfo *info;

  f->goa = popbell_test_goa_start (ONE_ACCOUNT (""));
  popbell_oauth2_goa_list_accounts_async (NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  accounts = popbell_oauth2_goa_list_accounts_finish (result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 1);
  info = accounts->pdata[0];
  g_assert_cmpstr (info->id, ==, "account_1");
  g_assert_cmpstr (info->provider, ==, "Google");
  g_assert_cmpstr (info->identity, ==, "alice@example.test");
  g_assert_cmpstr (info->email, ==, "alice@example.test");
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  PopbellTestSession *session;
  int status;

  g_test_init (&argc, &argv, NULL);
  session = popbell_test_session_new (POPBELL_TEST_SECRETS_NONE, 0, &error);
  if (session == NULL)
    return popbell_test_session_skip_program (error);

#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, NULL, func, teardown)
  ADD ("/oauth2/goa/not-running", test_refused, &not_running);
  ADD ("/oauth2/goa/token", test_token, NULL);
  ADD ("/oauth2/goa/missing", test_refused, &missing);
  ADD ("/oauth2/goa/attention", test_refused, &attention);
  ADD ("/oauth2/goa/mail-disabled", test_refused, &mail_disabled);
  ADD ("/oauth2/goa/renew-fails", test_refused, &renew_fails);
  ADD ("/oauth2/goa/list", test_list, NULL);
#undef ADD

  status = g_test_run ();
  popbell_test_session_free (session);
  return status;
}
