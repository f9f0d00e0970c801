#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""The "web browser" of the OAuth 2.0 tests: registered for http URLs in the
test session (a .desktop file with x-scheme-handler/http and mimeapps.list
in the test's XDG directories), so that g_app_info_launch_default_for_uri()
starts it like a real browser.  It opens the URL, follows the provider's
redirect to Popbell's loopback address like a browser does, and appends
"opened <status>" to $POPBELL_TEST_BROWSER_LOG (never the URL: it names
the PKCE challenge and state, and the redirect carries the code).
"""
import os
import sys
import urllib.error
import urllib.request

url = sys.argv[1]
try:
    with urllib.request.urlopen(url, timeout=30) as answer:
        status = answer.status
        answer.read()
except urllib.error.HTTPError as e:
    status = e.code
log = os.environ.get("POPBELL_TEST_BROWSER_LOG")
if log:
    with open(log, "a") as f:
        f.write("opened %d\n" % status)
