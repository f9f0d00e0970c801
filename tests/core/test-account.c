/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "popbell-account.h"
#include "popbell-error.h"

typedef struct {
  gchar *dir;
  gchar *path;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("popbell-account-XXXXXX", &error);
  g_assert_no_error (error);
  /* A folder that does not exist yet: saving must create it. */
  f->path = g_build_filename (f->dir, "popbell", "accounts.ini", NULL);
  g_unsetenv ("POPBELL_MIN_INTERVAL");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree gchar *sub = g_path_get_dirname (f->path);
  g_autoptr(GDir) dir = g_dir_open (sub, 0, NULL);
  const gchar *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree gchar *file = g_build_filename (sub, name, NULL);
      g_remove (file);
    }
  g_rmdir (sub);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_unsetenv ("POPBELL_MIN_INTERVAL");
}

static void
write_file (Fixture     *f,
            const gchar *contents)
{
  g_autofree gchar *sub = g_path_get_dirname (f->path);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (sub, 0700);
  g_file_set_contents (f->path, contents, -1, &error);
  g_assert_no_error (error);
}

static gchar *
read_file (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gchar *contents = NULL;

  g_file_get_contents (f->path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

static PopbellAccountStore *
load_ok (Fixture *f)
{
  g_autoptr(PopbellAccountStore) store = popbell_account_store_new (f->path);
  g_autoptr(GError) error = NULL;

  popbell_account_store_load (store, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&store);
}

/* Loads a file that must fail; returns the message. */
static gchar *
load_error (Fixture     *f,
            const gchar *contents)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(GError) error = NULL;

  write_file (f, contents);
  store = popbell_account_store_new (f->path);
  g_assert_false (popbell_account_store_load (store, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  /* Every configuration error names the file. */
  g_assert_nonnull (strstr (error->message, f->path));
  return g_strdup (error->message);
}

static void
assert_contains (const gchar *haystack,
                 const gchar *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack, needle);
}

static void
test_defaults (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(PopbellAccount) a = popbell_account_new ("work");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (popbell_account_get_name (a), ==, "work");
  g_assert_cmpint (popbell_account_get_security (a), ==, POPBELL_POP3_SECURITY_TLS);
  g_assert_cmpuint (popbell_account_get_port (a), ==, 995);
  g_assert_cmpint (popbell_account_get_auth (a), ==, POPBELL_POP3_AUTH_AUTO);
  g_assert_cmpuint (popbell_account_get_interval (a), ==, 300);
  g_assert_cmpuint (popbell_account_get_timeout (a), ==, 30);
  g_assert_true (popbell_account_get_enabled (a));
  g_assert_false (popbell_account_get_allow_insecure_auth (a));
  g_assert_null (popbell_account_get_tls_ca_file (a));
  g_assert_null (popbell_account_get_tls_pinned_sha256 (a));

  popbell_account_set_security (a, POPBELL_POP3_SECURITY_STARTTLS);
  g_assert_cmpuint (popbell_account_get_port (a), ==, 110);
  popbell_account_set_security (a, POPBELL_POP3_SECURITY_NONE);
  g_assert_cmpuint (popbell_account_get_port (a), ==, 110);
  popbell_account_set_port (a, 1110);
  g_assert_cmpuint (popbell_account_get_port (a), ==, 1110);

  /* host and username are required. */
  g_assert_false (popbell_account_validate (a, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  assert_contains (error->message, "“work”");
  assert_contains (error->message, "host");
  g_clear_error (&error);
  popbell_account_set_host (a, "pop.example.org");
  g_assert_false (popbell_account_validate (a, &error));
  assert_contains (error->message, "username");
  g_clear_error (&error);
  popbell_account_set_username (a, "alice");
  g_assert_true (popbell_account_validate (a, &error));
  g_assert_no_error (error);
}

static void
test_load_all_keys (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(GPtrArray) list = NULL;
  PopbellAccount *a, *b;

  write_file (f,
              "# my accounts\n"
              "[account work]\n"
              "host = pop.example.org \n"
              "port=1995\n"
              "security=starttls\n"
              "username=alice@example.org\n"
              "auth=sasl-plain\n"
              "interval=600\n"
              "timeout=600\n"
              "enabled=false\n"
              "allow-insecure-auth=true\n"
              "tls-ca-file=/etc/ssl/my ca.pem\n"
              "tls-pinned-sha256=ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:"
              "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\n"
              "\n"
              "[account home]\n"
              "host=mail.example.net\n"
              "username=bob\n"
              "security=none\n"
              "auth=apop\n");
  store = load_ok (f);
  list = popbell_account_store_list (store);
  g_assert_cmpuint (list->len, ==, 2);

  a = g_ptr_array_index (list, 0);
  g_assert_cmpstr (popbell_account_get_name (a), ==, "work");
  g_assert_cmpstr (popbell_account_get_host (a), ==, "pop.example.org");
  g_assert_cmpuint (popbell_account_get_port (a), ==, 1995);
  g_assert_cmpint (popbell_account_get_security (a), ==, POPBELL_POP3_SECURITY_STARTTLS);
  g_assert_cmpstr (popbell_account_get_username (a), ==, "alice@example.org");
  g_assert_cmpint (popbell_account_get_auth (a), ==, POPBELL_POP3_AUTH_SASL_PLAIN);
  g_assert_cmpuint (popbell_account_get_interval (a), ==, 600);
  g_assert_cmpuint (popbell_account_get_timeout (a), ==, 600);
  g_assert_false (popbell_account_get_enabled (a));
  g_assert_true (popbell_account_get_allow_insecure_auth (a));
  g_assert_cmpstr (popbell_account_get_tls_ca_file (a), ==, "/etc/ssl/my ca.pem");
  g_assert_nonnull (popbell_account_get_tls_pinned_sha256 (a));

  b = popbell_account_store_lookup (store, "home");
  g_assert_nonnull (b);
  g_assert_cmpuint (popbell_account_get_port (b), ==, 110);
  g_assert_cmpint (popbell_account_get_auth (b), ==, POPBELL_POP3_AUTH_APOP);
  g_assert_cmpuint (popbell_account_get_interval (b), ==, 300);
  g_assert_null (popbell_account_store_lookup (store, "nope"));
}

static void
test_missing_file (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(PopbellAccountStore) store = load_ok (f);
  g_autoptr(GPtrArray) list = popbell_account_store_list (store);

  g_assert_cmpuint (list->len, ==, 0);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
}

typedef struct {
  const gchar *line;      /* the bad line, placed at line 4 */
  const gchar *expect;    /* a part of the message */
} BadValue;

static void
test_invalid_values (Fixture       *f,
                     gconstpointer  data)
{
  static const BadValue cases[] = {
    { "port=0", "1 to 65535" },
    { "port=65536", "1 to 65535" },
    { "port=99x", "“99x”" },
    { "port=-1", "“-1”" },
    { "security=ssl", "tls, starttls or none" },
    { "security=TLS", "tls, starttls or none" },
    { "auth=cram-md5", "auto, user, apop, sasl-plain or oauth2" },
    { "interval=59", "from 60" },
    { "interval=ten", "not a number" },
    { "interval=99999999999", "not a number" },
    { "interval=604801", "from 60 to 604800" },
    { "timeout=0", "from 1 to 600" },
    { "timeout=601", "from 1 to 600" },
    { "enabled=yes", "neither true nor false" },
    { "allow-insecure-auth=maybe", "neither true nor false" },
    { "tls-pinned-sha256=abcd", "64 hexadecimal" },
    { "tls-pinned-sha256=zz" "0000000000000000000000000000000000000000000000000000000000000000", "64 hexadecimal" },
    { "tls-pinned-sha256=00000000000000000000000000000000000000000000000000000000000000000", "64 hexadecimal" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *contents = g_strdup_printf ("[account work]\nhost=h\nusername=u\n%s\n"
                                                    "# after\n", cases[i].line);
      g_autofree gchar *message = load_error (f, contents);
      g_autofree gchar *key = g_strndup (cases[i].line, strchr (cases[i].line, '=') - cases[i].line);
      g_autofree gchar *quoted_key = g_strdup_printf ("“%s”", key);

      assert_contains (message, "line 4");
      assert_contains (message, "[account work]");
      assert_contains (message, quoted_key);
      assert_contains (message, cases[i].expect);
    }
}

static void
test_valid_variants (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  PopbellAccount *a;

  /* Boundaries, GKeyFile's 1/0 booleans, an upper-case pin without colons. */
  write_file (f, "[account x]\nhost=h\nusername=u\nport=65535\ninterval=60\ntimeout=1\n"
                 "enabled=0\nallow-insecure-auth=1\n"
                 "tls-pinned-sha256=ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\n"
                 "[account y]\nhost=h\nusername=u\nport=1\ntimeout=600\n");
  store = load_ok (f);
  a = popbell_account_store_lookup (store, "x");
  g_assert_cmpuint (popbell_account_get_port (a), ==, 65535);
  g_assert_cmpuint (popbell_account_get_interval (a), ==, 60);
  g_assert_false (popbell_account_get_enabled (a));
  g_assert_true (popbell_account_get_allow_insecure_auth (a));
  g_assert_cmpuint (popbell_account_get_port (popbell_account_store_lookup (store, "y")), ==, 1);
}

static void
test_required_keys (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree gchar *a = load_error (f, "\n[account work]\nusername=u\n");
  g_autofree gchar *b = load_error (f, "[account work]\nhost=h\nusername=  \n");
  g_autofree gchar *c = load_error (f, "[account work]\nhost=\nusername=u\n");

  assert_contains (a, "line 2");     /* no key: the group's line */
  assert_contains (a, "“host”");
  assert_contains (b, "line 3");
  assert_contains (b, "“username”");
  assert_contains (c, "line 2");
  assert_contains (c, "“host”");
}

static void
test_syntax_error_line (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree gchar *a = load_error (f, "# comment\n[account work]\nhost=h\n\nthis is not a key\nusername=u\n");
  g_autofree gchar *b = load_error (f, "host=h\n[account work]\n");
  g_autofree gchar *c = load_error (f, "[account work]\nhost=h\n[broken\nusername=u\n");
  g_autofree gchar *d = load_error (f, "[account work]\nhost=h\nusername=u\n[account work]\nport=1\n");
  g_autofree gchar *e = load_error (f, "[account a]b]\nhost=h\nusername=u\n");

  assert_contains (a, "line 5");
  assert_contains (b, "line 1");
  assert_contains (c, "line 3");
  assert_contains (d, "line 4");
  assert_contains (d, "twice");
  assert_contains (e, "line 1");
}

static void
assert_utf8_config_error (const gchar *message, const gchar *line, const gchar *reason)
{
  g_assert_true (g_utf8_validate (message, -1, NULL));
  assert_contains (message, line);
  assert_contains (message, reason);
}

/* Every syntax error says what is wrong with which line, in valid UTF-8:
 * GKeyFile's own message quoted the raw bytes of the line (invalid UTF-8
 * in the message itself) and named no line. */
static void
test_syntax_error_reason (Fixture       *f,
                          gconstpointer  data)
{
  static const struct { const gchar *text; const gchar *line; const gchar *reason; } cases[] = {
    { "[account work]\nhost=h\nthis is \xff not a key\n", "line 3", "not valid UTF-8" },
    { "[account work]\nhost=h\xe4\nusername=u\n", "line 2", "not valid UTF-8" },
    { "[account work]\nhost=h\nthis is not a key\n", "line 3", "neither a [group]" },
    { "[account work]\nhost=h\n=value\n", "line 3", "no key name" },
    { "[account work]\nhost=h\nkey[x=1\n", "line 3", "not a valid key name" },
    { "host=h\n[account work]\n", "line 1", "before the first group" },
    { "# c\n[account work]\nhost=h\n[broken\nusername=u\n", "line 4", "not a valid group header" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree gchar *message = load_error (f, cases[i].text);

      assert_utf8_config_error (message, cases[i].line, cases[i].reason);
      /* Not GKeyFile's words, and no claim of bad UTF-8 where there is none. */
      g_assert_null (strstr (message, "Key file"));
      if (strstr (cases[i].reason, "UTF-8") == NULL)
        g_assert_null (strstr (message, "UTF-8"));
    }

  /* A NUL byte: GKeyFile read past it as if nothing were there. */
  {
    static const gchar text[] = "[account work]\nhost=h\n\0\nusername=u\n";
    g_autoptr(PopbellAccountStore) store = popbell_account_store_new (f->path);
    g_autoptr(GError) error = NULL;

    g_assert_true (g_file_set_contents (f->path, text, sizeof text - 1, &error));
    g_assert_false (popbell_account_store_load (store, &error));
    g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
    assert_utf8_config_error (error->message, "line 3", "NUL");
  }
}

static void
test_password_refused (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree gchar *a = load_error (f, "[account work]\nhost=h\nusername=u\npassword=hunter2\n");
  g_autofree gchar *b = load_error (f, "[general]\npassword=x\n[account work]\nhost=h\nusername=u\n");

  assert_contains (a, "line 4");
  assert_contains (a, "popbell --set-password work");
  assert_contains (a, "keyring");
  /* The password itself is never repeated. */
  g_assert_null (strstr (a, "hunter2"));
  assert_contains (b, "line 2");
}

static void
test_unknown_kept (Fixture       *f,
                   gconstpointer  data)
{
  const gchar *original =
    "# Popbell accounts, edited by hand\n"
    "[general]\n"
    "theme=dark\n"
    "\n"
    "# the work account\n"
    "[account work]\n"
    "host=pop.example.org\n"
    "username=alice\n"
    "# check less often\n"
    "interval=300\n"
    "x-future-key=keep me\n"
    "name[de]=Arbeit\n"
    "\n"
    "[account old]\n"
    "host=old.example.org\n"
    "username=old\n";
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellAccount) edited = NULL;
  g_autoptr(PopbellAccount) added = NULL;
  g_autoptr(PopbellAccountStore) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *saved = NULL;
  GStatBuf st;

  write_file (f, original);
  store = load_ok (f);

  edited = popbell_account_copy (popbell_account_store_lookup (store, "work"));
  popbell_account_set_interval (edited, 900);
  popbell_account_store_put (store, edited);
  popbell_account_store_remove (store, "old");
  added = popbell_account_new ("new one");
  popbell_account_set_host (added, "pop.new.example");
  popbell_account_set_username (added, "carol");
  popbell_account_store_put (store, added);

  g_assert_true (popbell_account_store_save (store, &error));
  g_assert_no_error (error);

  saved = read_file (f);
  g_test_message ("%s", saved);
  /* GKeyFile puts a blank line between a comment and the group under it. */
  g_assert_true (g_str_has_prefix (saved, "# Popbell accounts, edited by hand\n"));
  assert_contains (saved, "[general]\ntheme=dark\n");
  assert_contains (saved, "# the work account\n");
  assert_contains (saved, "[account work]\nhost=pop.example.org\nusername=alice\n");
  assert_contains (saved, "# check less often\ninterval=900\n");
  assert_contains (saved, "x-future-key=keep me\n");
  assert_contains (saved, "name[de]=Arbeit\n");
  g_assert_null (strstr (saved, "[account old]"));
  assert_contains (saved, "[account new one]\nhost=pop.new.example\n");
  /* Nothing was written that the user did not change. */
  g_assert_null (strstr (saved, "port="));
  g_assert_null (strstr (saved, "password"));

  g_assert_cmpint (g_stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  again = load_ok (f);
  g_assert_cmpuint (popbell_account_get_interval (popbell_account_store_lookup (again, "work")), ==, 900);
  g_assert_cmpstr (popbell_account_get_username (popbell_account_store_lookup (again, "new one")),
                   ==, "carol");
  g_assert_null (popbell_account_store_lookup (again, "old"));
}

/* A relative tls-ca-file is relative to the folder of accounts.ini ("~/"
 * to the home folder); before, it was looked up in the applet's working
 * folder and silently trusted nothing. The file keeps the user's spelling. */
static void
test_relative_ca_file (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree gchar *dir = g_path_get_dirname (f->path);
  g_autofree gchar *beside = g_build_filename (dir, "certs", "ca.pem", NULL);
  g_autofree gchar *in_home = g_build_filename (g_get_home_dir (), "ca.pem", NULL);
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellAccount) edited = NULL;
  g_autoptr(PopbellAccount) relative = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *saved = NULL;

  write_file (f, "[account work]\nhost=h\nusername=u\ntls-ca-file=certs/ca.pem\n"
                 "[account home]\nhost=h\nusername=u\ntls-ca-file=~/ca.pem\n"
                 "[account abs]\nhost=h\nusername=u\ntls-ca-file=/etc/ca.pem\n");
  store = load_ok (f);
  g_assert_cmpstr (popbell_account_get_tls_ca_file (popbell_account_store_lookup (store, "work")),
                   ==, beside);
  g_assert_cmpstr (popbell_account_get_tls_ca_file (popbell_account_store_lookup (store, "home")),
                   ==, in_home);
  g_assert_cmpstr (popbell_account_get_tls_ca_file (popbell_account_store_lookup (store, "abs")),
                   ==, "/etc/ca.pem");

  edited = popbell_account_copy (popbell_account_store_lookup (store, "work"));
  popbell_account_set_interval (edited, 900);
  popbell_account_store_put (store, edited);
  g_assert_true (popbell_account_store_save (store, &error));
  g_assert_no_error (error);
  saved = read_file (f);
  assert_contains (saved, "tls-ca-file=certs/ca.pem\n");
  assert_contains (saved, "tls-ca-file=~/ca.pem\n");

  /* Set by a program (the preferences), a relative name is refused. */
  relative = popbell_account_copy (edited);
  popbell_account_set_tls_ca_file (relative, "ca.pem");
  g_assert_false (popbell_account_validate (relative, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  assert_contains (error->message, "tls-ca-file");
  assert_contains (error->message, "full path");
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(PopbellAccountStore) store = popbell_account_store_new (f->path);
  g_autoptr(PopbellAccountStore) again = NULL;
  g_autoptr(PopbellAccount) a = popbell_account_new ("wörk");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *d1 = NULL;
  g_autofree gchar *d2 = NULL;
  PopbellAccount *b;

  popbell_account_set_host (a, "pop.example.org");
  popbell_account_set_username (a, "name with spaces \\ and = sign");
  popbell_account_set_security (a, POPBELL_POP3_SECURITY_STARTTLS);
  popbell_account_set_port (a, 1110);
  popbell_account_set_auth (a, POPBELL_POP3_AUTH_USER);
  popbell_account_set_interval (a, 120);
  popbell_account_set_timeout (a, 5);
  popbell_account_set_enabled (a, FALSE);
  popbell_account_set_allow_insecure_auth (a, TRUE);
  popbell_account_set_tls_ca_file (a, "/tmp/ca.pem");
  popbell_account_set_tls_pinned_sha256 (a, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  popbell_account_store_put (store, a);
  g_assert_true (popbell_account_store_save (store, &error));
  g_assert_no_error (error);

  again = load_ok (f);
  b = popbell_account_store_lookup (again, "wörk");
  g_assert_nonnull (b);
  g_assert_cmpstr (popbell_account_get_username (b), ==, "name with spaces \\ and = sign");
  g_assert_cmpuint (popbell_account_get_port (b), ==, 1110);
  g_assert_false (popbell_account_get_enabled (b));
  d1 = popbell_account_dup_settings_digest (a);
  d2 = popbell_account_dup_settings_digest (b);
  g_assert_cmpstr (d1, ==, d2);
}

static void
test_save_refuses_broken (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellAccountStore) fresh = NULL;
  g_autoptr(PopbellAccount) a = popbell_account_new ("x");
  g_autoptr(GError) error = NULL;
  g_autofree gchar *after = NULL;
  const gchar *broken = "[account work]\nhost=h\nusername=u\nport=nope\n";

  /* A store that never loaded the (broken) file must not overwrite it. */
  write_file (f, broken);
  fresh = popbell_account_store_new (f->path);
  popbell_account_set_host (a, "h");
  popbell_account_set_username (a, "u");
  popbell_account_store_put (fresh, a);
  g_assert_false (popbell_account_store_save (fresh, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  g_clear_error (&error);
  after = read_file (f);
  g_assert_cmpstr (after, ==, broken);

  /* An invalid account is not saved either. */
  write_file (f, "");
  store = load_ok (f);
  popbell_account_set_interval (a, 1);
  popbell_account_store_put (store, a);
  g_assert_false (popbell_account_store_save (store, &error));
  g_assert_error (error, POPBELL_ERROR, POPBELL_ERROR_CONFIG);
  assert_contains (error->message, "interval");
}

static void
test_external_edit_merged (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(PopbellAccountStore) store = NULL;
  g_autoptr(PopbellAccount) edited = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *saved = NULL;

  write_file (f, "[account a]\nhost=a\nusername=a\n[account b]\nhost=b\nusername=b\n");
  store = load_ok (f);

  /* Meanwhile the user edits b by hand and adds c. */
  write_file (f, "[account a]\nhost=a\nusername=a\n[account b]\nhost=b2\nusername=b\n"
                 "[account c]\nhost=c\nusername=c\n");

  edited = popbell_account_copy (popbell_account_store_lookup (store, "a"));
  popbell_account_set_timeout (edited, 10);
  popbell_account_store_put (store, edited);
  g_assert_true (popbell_account_store_save (store, &error));
  g_assert_no_error (error);

  saved = read_file (f);
  assert_contains (saved, "timeout=10");
  assert_contains (saved, "host=b2");
  assert_contains (saved, "[account c]");
  g_assert_nonnull (popbell_account_store_lookup (store, "c"));
}

static void
test_min_interval (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree gchar *msg = NULL;
  g_autoptr(PopbellAccountStore) store = NULL;

  g_assert_cmpuint (popbell_account_get_min_interval (), ==, 60);
  msg = load_error (f, "[account t]\nhost=h\nusername=u\ninterval=2\n");
  assert_contains (msg, "from 60");

  g_setenv ("POPBELL_MIN_INTERVAL", "2", TRUE);
  g_assert_cmpuint (popbell_account_get_min_interval (), ==, 2);
  store = load_ok (f);
  g_assert_cmpuint (popbell_account_get_interval (popbell_account_store_lookup (store, "t")), ==, 2);

  /* It only lowers the floor; nonsense is ignored. */
  g_setenv ("POPBELL_MIN_INTERVAL", "600", TRUE);
  g_assert_cmpuint (popbell_account_get_min_interval (), ==, 60);
  g_setenv ("POPBELL_MIN_INTERVAL", "0", TRUE);
  g_assert_cmpuint (popbell_account_get_min_interval (), ==, 60);
  g_setenv ("POPBELL_MIN_INTERVAL", "abc", TRUE);
  g_assert_cmpuint (popbell_account_get_min_interval (), ==, 60);
}

static void
test_digest (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(PopbellAccount) a = popbell_account_new ("d");
  g_autoptr(PopbellAccount) b = NULL;
  g_autofree gchar *d0 = NULL;
  g_autofree gchar *d1 = NULL;
  g_autofree gchar *d2 = NULL;
  g_autofree gchar *d3 = NULL;

  popbell_account_set_host (a, "h");
  popbell_account_set_username (a, "u");
  d0 = popbell_account_dup_settings_digest (a);
  g_assert_cmpuint (strlen (d0), ==, 64);

  b = popbell_account_copy (a);
  popbell_account_set_interval (b, 999);
  popbell_account_set_enabled (b, FALSE);
  d1 = popbell_account_dup_settings_digest (b);
  g_assert_cmpstr (d0, ==, d1);   /* not login-relevant */

  popbell_account_set_username (b, "v");
  d2 = popbell_account_dup_settings_digest (b);
  g_assert_cmpstr (d0, !=, d2);

  popbell_account_set_username (b, "u");
  popbell_account_set_port (b, 995);   /* the default, spelled out: same login */
  d3 = popbell_account_dup_settings_digest (b);
  g_assert_cmpstr (d0, ==, d3);
}

static void
test_names_and_strings (Fixture       *f,
                        gconstpointer  data)
{
  PopbellPop3Security security;
  PopbellPop3AuthMethod auth;

  g_assert_true (popbell_account_name_is_valid ("work"));
  g_assert_true (popbell_account_name_is_valid ("Büro 2"));
  g_assert_false (popbell_account_name_is_valid (""));
  g_assert_false (popbell_account_name_is_valid ("a]b"));
  g_assert_false (popbell_account_name_is_valid ("a\nb"));
  g_assert_false (popbell_account_name_is_valid (" lead"));

  g_assert_true (popbell_account_security_from_string ("starttls", &security));
  g_assert_cmpint (security, ==, POPBELL_POP3_SECURITY_STARTTLS);
  g_assert_false (popbell_account_security_from_string ("ssl", &security));
  g_assert_true (popbell_account_auth_from_string ("sasl-plain", &auth));
  g_assert_cmpint (auth, ==, POPBELL_POP3_AUTH_SASL_PLAIN);
  g_assert_cmpstr (popbell_account_auth_to_string (POPBELL_POP3_AUTH_APOP), ==, "apop");
}

static void
on_changed (PopbellAccountStore *store,
            guint               *count)
{
  (*count)++;
}

static void
test_changed_signal (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(PopbellAccountStore) store = popbell_account_store_new (f->path);
  g_autoptr(PopbellAccount) a = popbell_account_new ("s");
  guint count = 0;

  g_signal_connect (store, "changed", G_CALLBACK (on_changed), &count);
  g_assert_true (popbell_account_store_load (store, NULL));
  g_assert_cmpuint (count, ==, 1);
  popbell_account_store_put (store, a);
  g_assert_cmpuint (count, ==, 2);
  g_assert_true (popbell_account_store_remove (store, "s"));
  g_assert_false (popbell_account_store_remove (store, "s"));
  g_assert_cmpuint (count, ==, 3);

  /* A failed reload keeps the accounts and says nothing. */
  popbell_account_store_put (store, a);
  write_file (f, "broken line\n");
  g_assert_false (popbell_account_store_load (store, NULL));
  g_assert_cmpuint (count, ==, 4);
  g_assert_nonnull (popbell_account_store_lookup (store, "s"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/core/account/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("defaults", test_defaults);
  ADD ("load-all-keys", test_load_all_keys);
  ADD ("missing-file", test_missing_file);
  ADD ("invalid-values", test_invalid_values);
  ADD ("valid-variants", test_valid_variants);
  ADD ("required-keys", test_required_keys);
  ADD ("syntax-error-line", test_syntax_error_line);
  ADD ("syntax-error-reason", test_syntax_error_reason);
  ADD ("relative-ca-file", test_relative_ca_file);
  ADD ("password-refused", test_password_refused);
  ADD ("unknown-kept", test_unknown_kept);
  ADD ("round-trip", test_round_trip);
  ADD ("save-refuses-broken", test_save_refuses_broken);
  ADD ("external-edit-merged", test_external_edit_merged);
  ADD ("min-interval", test_min_interval);
  ADD ("digest", test_digest);
  ADD ("names-and-strings", test_names_and_strings);
  ADD ("changed-signal", test_changed_signal);
#undef ADD

  return g_test_run ();
}
