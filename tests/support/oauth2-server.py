#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""A small OAuth 2.0 provider for the tests, on 127.0.0.1 only.

One process plays three parts:

  GET  /authorize   the authorization endpoint (RFC 6749 §4.1, PKCE RFC 7636):
                    no login page, it redirects at once to redirect_uri with a
                    code bound to the code_challenge (S256 only), or with
                    error=... for a bad request.  redirect_uri must be
                    http://127.0.0.1:PORT/... (RFC 8252 §7.3).
  POST /token       grant_type=authorization_code (checks client_id,
                    redirect_uri and that SHA-256(code_verifier) matches the
                    challenge) and grant_type=refresh_token; issues bearer
                    access tokens (expires_in from --lifetime) and refresh
                    tokens.
  POST /introspect  RFC 7662, as Dovecot's oauth2 passdb calls it with
                    introspection_mode=post: token=... -> {"active": true,
                    "username": USER} or {"active": false}.
  POST /expire      control: every access token issued so far stops working
                    (a provider that revoked them, or a clock that moved on).

Accepted tokens are those it issued (not expired) plus the lines
"TOKEN USER" of DIR/tokens, read at every request, so that a test can mint
tokens for the `command` source by writing that file.  Each request is
logged to DIR/events, one word a line ("authorize", "token-code",
"token-refresh", "introspect-ok", "introspect-fail", "bad-verifier", ...),
for the tests to count; no secret goes there.

Usage: oauth2-server.py DIR [--user NAME] [--client-id ID] [--lifetime S]
Prints "PORT=<n>" on stdout once listening, then serves until killed or
until stdin reaches EOF (the test that started it went away).
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Provider:
    def __init__(self, directory, user, client_id, lifetime):
        self.dir = directory
        self.user = user
        self.client_id = client_id
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.codes = {}      # code -> (challenge, redirect_uri, user)
        self.access = {}     # token -> (user, expires_at)
        self.refresh = {}    # token -> user

    def event(self, word):
        with self.lock, open(os.path.join(self.dir, "events"), "a") as f:
            f.write(word + "\n")

    def file_tokens(self):
        try:
            with open(os.path.join(self.dir, "tokens")) as f:
                pairs = (line.split() for line in f)
                return {p[0]: p[1] for p in pairs if len(p) == 2}
        except FileNotFoundError:
            return {}

    def issue(self, user):
        access = "at-" + secrets.token_urlsafe(24)
        refresh = "rt-" + secrets.token_urlsafe(24)
        with self.lock:
            self.access[access] = (user, time.time() + self.lifetime)
            self.refresh[refresh] = user
        return access, refresh


def b64url_sha256(text):
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def loopback_redirect(uri):
    parts = urllib.parse.urlsplit(uri)
    return parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.port


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    provider = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=()):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        return {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}

    def do_GET(self):
        p = self.provider
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/authorize":
            self.reply(404, {"error": "not_found"})
            return
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        redirect = q.get("redirect_uri", "")
        if not loopback_redirect(redirect) or q.get("client_id") != p.client_id:
            p.event("authorize-refused")
            self.reply(400, {"error": "invalid_request"})
            return
        if (q.get("response_type") != "code" or q.get("code_challenge_method") != "S256"
                or not q.get("code_challenge") or not q.get("state")):
            p.event("authorize-bad-request")
            target = redirect + "?" + urllib.parse.urlencode(
                {"error": "invalid_request", "state": q.get("state", "")})
        else:
            p.event("authorize")
            code = "code-" + secrets.token_urlsafe(16)
            with p.lock:
                p.codes[code] = (q["code_challenge"], redirect, q.get("login_hint") or p.user)
            target = redirect + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
        self.reply(302, None, [("Location", target)])

    def do_POST(self):
        p = self.provider
        path = urllib.parse.urlsplit(self.path).path
        f = self.form()
        if path == "/introspect":
            token = f.get("token", "")
            with p.lock:
                issued = p.access.get(token)
            user = None
            if issued is not None and issued[1] > time.time():
                user = issued[0]
            elif token in p.file_tokens():
                user = p.file_tokens()[token]
            p.event("introspect-ok" if user else "introspect-fail")
            self.reply(200, {"active": True, "username": user} if user else {"active": False})
        elif path == "/token":
            self.token(f)
        elif path == "/expire":
            with p.lock:
                p.access.clear()
            p.event("expire")
            self.reply(200, {})
        else:
            self.reply(404, {"error": "not_found"})

    def token(self, f):
        p = self.provider
        if f.get("client_id") != p.client_id:
            p.event("token-bad-client")
            self.reply(401, {"error": "invalid_client"})
            return
        grant = f.get("grant_type")
        if grant == "authorization_code":
            with p.lock:
                entry = p.codes.pop(f.get("code", ""), None)   # a code works once
            if entry is None or entry[1] != f.get("redirect_uri"):
                p.event("token-bad-code")
                self.reply(400, {"error": "invalid_grant"})
                return
            if b64url_sha256(f.get("code_verifier", "")) != entry[0]:
                p.event("bad-verifier")
                self.reply(400, {"error": "invalid_grant",
                                 "error_description": "PKCE verification failed"})
                return
            p.event("token-code")
            access, refresh = p.issue(entry[2])
            self.reply(200, {"access_token": access, "token_type": "Bearer",
                             "expires_in": p.lifetime, "refresh_token": refresh})
        elif grant == "refresh_token":
            with p.lock:
                user = p.refresh.get(f.get("refresh_token", ""))
            if user is None:
                p.event("token-bad-refresh")
                self.reply(400, {"error": "invalid_grant",
                                 "error_description": "Token has been expired or revoked."})
                return
            p.event("token-refresh")
            access, _ = p.issue(user)
            self.reply(200, {"access_token": access, "token_type": "Bearer",
                             "expires_in": p.lifetime})
        else:
            self.reply(400, {"error": "unsupported_grant_type"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--user", default="alice")
    ap.add_argument("--client-id", default="popbell-test")
    ap.add_argument("--lifetime", type=int, default=3600)
    args = ap.parse_args()
    Handler.provider = Provider(args.dir, args.user, args.client_id, args.lifetime)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT=%d" % server.server_address[1], flush=True)
    # Dies with its owner: the test holds our stdin open.
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
