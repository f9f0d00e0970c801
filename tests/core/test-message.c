/* SPDX-License-Identifier: GPL-3.0-or-later
 * Copyright 2026 The Popbell developers
 */
#include <string.h>

#include "popbell-message.h"

static PopbellMessage *
message_new (const gchar *raw,
             gboolean     complete)
{
  g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));

  return popbell_message_new_from_bytes (bytes, "uid-1", strlen (raw) * 2, complete);
}

static void
test_plain (void)
{
  g_autoptr(PopbellMessage) m = message_new (
    "From: =?UTF-8?Q?J=C3=BCrgen?= <jw@example.org>\r\n"
    "To: Alice <alice@example.org>, bob@example.org\r\n"
    "Subject: Hello\r\n"
    "Date: Thu, 26 Nov 2026 10:00:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe,\r\n"
    "\tindented line\r\n"
    "..dot-stuffing is already undone by the POP3 layer\r\n", TRUE);

  g_assert_cmpstr (popbell_message_get_uid (m), ==, "uid-1");
  g_assert_cmpstr (popbell_message_get_from (m), ==, "Jürgen <jw@example.org>");
  g_assert_cmpstr (popbell_message_get_to (m), ==, "Alice <alice@example.org>, bob@example.org");
  g_assert_cmpstr (popbell_message_get_subject (m), ==, "Hello");
  g_assert_nonnull (popbell_message_get_date (m));
  g_assert_cmpstr (popbell_message_get_body (m), ==,
                   "Grüße,\n\tindented line\n..dot-stuffing is already undone by the POP3 layer\n");
  g_assert_true (popbell_message_is_complete (m));
  g_assert_cmpuint (popbell_message_get_attachments (m)->len, ==, 0);
}

static void
test_no_mime (void)
{
  /* No MIME headers, undeclared 8-bit Latin-1 body. */
  g_autoptr(PopbellMessage) m = message_new ("Subject: old style\n\nCaf\xe9 \x1b[1mbold\n", TRUE);

  g_assert_cmpstr (popbell_message_get_body (m), ==, "Café [1mbold\n");
}

static void
test_alternative (void)
{
  g_autoptr(PopbellMessage) m = message_new (
    "From: a@example.org\r\n"
    "Subject: alt\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"XYZ\"\r\n"
    "\r\n"
    "--XYZ\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>HTML version</p>\r\n"
    "--XYZ\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "UGxhaW4gdmVyc2lvbiDinJMK\r\n"
    "--XYZ--\r\n", TRUE);

  g_assert_cmpstr (popbell_message_get_body (m), ==, "Plain version ✓\n");
  g_assert_cmpuint (popbell_message_get_attachments (m)->len, ==, 0);
}

static void
test_html_only (void)
{
  g_autoptr(PopbellMessage) m = message_new (
    "Subject: html\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=windows-1252\r\n"
    "\r\n"
    "<html><head><style>body{}</style><script>evil()</script></head>"
    "<body><p>Price: 5 \x80</p><img src=\"https://tracker.example/pixel.gif\">"
    "<div>one<br>two</div></body></html>\r\n", TRUE);

  g_assert_cmpstr (popbell_message_get_body (m), ==, "Price: 5 €\n\none\ntwo");
}

static void
test_attachment_rfc2231 (void)
{
  g_autoptr(PopbellMessage) m = message_new (
    "Subject: files\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b1\r\n"
    "\r\n"
    "preamble\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "See attached.\r\n"
    "--b1\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*0*=UTF-8''Gr%C3%BC%C3%9Fe%20aus;\r\n"
    " filename*1*=%20K%C3%B6ln.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQKJeLjz9MK\r\n"
    "--b1\r\n"
    "Content-Type: image/png; name=\"=?UTF-8?Q?bild_=C3=A4.png?=\"\r\n"
    "Content-Disposition: inline\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--b1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: forwarded\r\n"
    "\r\n"
    "inner body\r\n"
    "--b1--\r\n", TRUE);
  GPtrArray *attachments = popbell_message_get_attachments (m);
  PopbellAttachment *pdf, *png, *eml;

  /* The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1). */
  g_assert_cmpstr (popbell_message_get_body (m), ==, "See attached.");
  g_assert_cmpuint (attachments->len, ==, 3);
  pdf = g_ptr_array_index (attachments, 0);
  png = g_ptr_array_index (attachments, 1);
  eml = g_ptr_array_index (attachments, 2);
  g_assert_cmpstr (pdf->filename, ==, "Grüße aus Köln.pdf");
  g_assert_cmpstr (pdf->content_type, ==, "application/pdf");
  g_assert_cmpuint (pdf->size, ==, 15);   /* "%PDF-1.4\n%âãÏÓ\n" */
  g_assert_cmpstr (png->filename, ==, "bild ä.png");
  g_assert_cmpstr (png->content_type, ==, "image/png");
  g_assert_cmpuint (png->size, ==, 8);
  g_assert_cmpstr (eml->filename, ==, "");
  g_assert_cmpstr (eml->content_type, ==, "message/rfc822");
  g_assert_cmpuint (eml->size, >, 0);
}

static void
test_truncated (void)
{
  /* What TOP n 5 returns: the closing boundary and most parts are missing,
   * a base64 part is cut in the middle. */
  g_autoptr(PopbellMessage) m = message_new (
    "Subject: cut\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b1\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8gd29y\r\n"
    "bGQgYW5kIG1v\r\n"
    "cmU=", FALSE);

  g_assert_false (popbell_message_is_complete (m));
  g_assert_cmpstr (popbell_message_get_subject (m), ==, "cut");
  g_assert_true (g_str_has_prefix (popbell_message_get_body (m), "Hello world"));
}

static void
test_garbage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);
  const gchar *fixed[] = {
    "",
    "\r\n\r\n",
    "Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
    "Content-Type: multipart/mixed\r\n\r\nno boundary\r\n",
    "Content-Type: text/plain; charset=no-such-charset\r\n\r\nbody\xff\r\n",
    "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!\r\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (fixed); i++)
    {
      g_autoptr(PopbellMessage) m = message_new (fixed[i], FALSE);

      g_assert_true (g_utf8_validate (popbell_message_get_body (m), -1, NULL));
      g_assert_nonnull (popbell_message_get_from (m));
    }

  for (guint round = 0; round < 200; round++)
    {
      gsize len = g_rand_int_range (rand, 0, 4096);
      g_autofree guint8 *data = g_malloc (len + 1);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(PopbellMessage) m = NULL;

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) g_rand_int_range (rand, 0, 256);
      bytes = g_bytes_new (data, len);
      m = popbell_message_new_from_bytes (bytes, NULL, len, TRUE);
      g_assert_true (g_utf8_validate (popbell_message_get_body (m), -1, NULL));
    }
}

static void
store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (source);
  *out = g_object_ref (result);
}

/* Several messages parsed at once in worker threads give exactly what the
 * synchronous parser gives, each to its own callback on this thread. */
static void
test_async (void)
{
  GString *html = g_string_new ("From: a@example.org\r\nSubject: big\r\n"
                                "Content-Type: text/html; charset=utf-8\r\n\r\nx");
  const gchar *raws[] = {
    "From: =?UTF-8?Q?J=C3=BCrgen?= <jw@example.org>\r\nSubject: Hi\r\n\r\nbody\r\n",
    "Subject: multi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\ntext\r\n--b\r\n"
    "Content-Type: application/pdf; name=a.pdf\r\n\r\n%PDF\r\n--b--\r\n",
    NULL,   /* the big HTML one, below */
    "",
  };
  GAsyncResult *results[G_N_ELEMENTS (raws)] = { NULL };
  GBytes *bytes[G_N_ELEMENTS (raws)];

  /* 256 KiB of the markup that once took seconds; the other parses run
   * beside it. */
  for (gsize i = 0; html->len < 256 * 1024; i++)
    g_string_append (html, i < 18000 ? "<br>" : "<p>");
  g_string_append (html, "y\r\n");
  raws[2] = html->str;

  for (gsize i = 0; i < G_N_ELEMENTS (raws); i++)
    {
      bytes[i] = g_bytes_new (raws[i], strlen (raws[i]));
      popbell_message_new_from_bytes_async (bytes[i], "uid-a", i, i != 1, NULL,
                                            store_result, &results[i]);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (raws); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PopbellMessage) async = NULL;
      g_autoptr(PopbellMessage) sync = NULL;

      while (results[i] == NULL)
        g_main_context_iteration (NULL, TRUE);
      async = popbell_message_new_from_bytes_finish (results[i], &error);
      g_assert_no_error (error);
      g_assert_nonnull (async);
      sync = popbell_message_new_from_bytes (bytes[i], "uid-a", i, i != 1);

      g_assert_cmpstr (popbell_message_get_uid (async), ==, "uid-a");
      g_assert_cmpuint (popbell_message_get_size_on_server (async), ==, i);
      g_assert_cmpint (popbell_message_is_complete (async), ==, i != 1);
      g_assert_cmpstr (popbell_message_get_from (async), ==, popbell_message_get_from (sync));
      g_assert_cmpstr (popbell_message_get_subject (async), ==,
                       popbell_message_get_subject (sync));
      g_assert_cmpstr (popbell_message_get_body (async), ==, popbell_message_get_body (sync));
      g_assert_cmpuint (popbell_message_get_attachments (async)->len, ==,
                        popbell_message_get_attachments (sync)->len);
      g_object_unref (results[i]);
      g_bytes_unref (bytes[i]);
    }
  g_string_free (html, TRUE);
}

static void
test_async_cancelled (void)
{
  g_autoptr(GBytes) raw = g_bytes_new_static ("Subject: x\r\n\r\ny\r\n", 17);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PopbellMessage *message;

  g_cancellable_cancel (cancellable);
  popbell_message_new_from_bytes_async (raw, "u", 17, TRUE, cancellable, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  message = popbell_message_new_from_bytes_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (message);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/message/plain", test_plain);
  g_test_add_func ("/core/message/no-mime", test_no_mime);
  g_test_add_func ("/core/message/alternative", test_alternative);
  g_test_add_func ("/core/message/html-only", test_html_only);
  g_test_add_func ("/core/message/attachment-rfc2231", test_attachment_rfc2231);
  g_test_add_func ("/core/message/truncated", test_truncated);
  g_test_add_func ("/core/message/garbage", test_garbage);
  g_test_add_func ("/core/message/async", test_async);
  g_test_add_func ("/core/message/async-cancelled", test_async_cancelled);

  return g_test_run ();
}
