#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# popbell --diagnostics against a real Dovecot (x-session.sh --keyring):
# plain text with SASL PLAIN and with USER/PASS (the user name goes over
# the wire), implicit
# TLS with a tls-ca-file, and a port where nothing listens.
#
#   diagnostics.sh POPBELL_BINARY
#
# Proves (SPEC §5 "Diagnostics"): the report has the version, greeting,
# IMPLEMENTATION, capabilities with LOGIN-DELAY and EXPIRE, the TLS
# version, cipher, chain fingerprints and trust outcome, the login method,
# the timing of each step and the trace — and neither the password nor the
# user name nor a message header anywhere in it.
POPBELL=$1
. "$(dirname "$0")/applet-lib.sh"

start_dovecot
export POP3_CAFILE
export POPBELL_NO_SYSTEM_BUS=1
add_account plain alice
add_account secure alice "$(printf 'security=tls\ntls-ca-file=%s\nhost=localhost' "$POP3_CAFILE")"
sed -i "/^\[account secure\]/,/^\[/ s/^port=.*/port=$POP3S_PORT/" "$XDG_CONFIG_HOME/popbell/accounts.ini"
sed -i "/^\[account secure\]/,/^\[/ {/^host=127.0.0.1$/d}" "$XDG_CONFIG_HOME/popbell/accounts.ini"
deliver alice "Secret Sender <sender@example.org>" "Secret subject line"

no_secrets() {
  for secret in alicepw alice "Secret Sender" "Secret subject" sender@example.org; do
    if grep -n -- "$secret" "$1"; then fail "the report of $2 contains “$secret”"; fi
  done
}
has() { grep -q -- "$1" "$2" || { cat "$2"; fail "the report of $3 lacks “$1”"; }; }

step "plain text, SASL PLAIN"
"$POPBELL" --diagnostics plain >"$XS_DIR/plain.txt" || { cat "$XS_DIR/plain.txt"; fail "--diagnostics plain failed"; }
for want in "Popbell diagnostics" "Greeting: +OK" "Implementation:" "Capabilities:.*UIDL" \
            "LOGIN-DELAY:" "EXPIRE:" "TLS: none" "Authentication:" "Result: logged in" \
            "connect .* ms" "login .* ms" "C: AUTH PLAIN \[secret\]" "S: PIPELINING"; do
  has "$want" "$XS_DIR/plain.txt" plain
done
no_secrets "$XS_DIR/plain.txt" plain

step "plain text, USER/PASS: the user name is replaced"
awk '/^\[account plain\]/ { print; print "auth=user"; next } { print }' "$XDG_CONFIG_HOME/popbell/accounts.ini" >"$XS_DIR/a.ini"
mv "$XS_DIR/a.ini" "$XDG_CONFIG_HOME/popbell/accounts.ini"
"$POPBELL" --diagnostics plain >"$XS_DIR/user.txt" || { cat "$XS_DIR/user.txt"; fail "--diagnostics plain (user) failed"; }
has "C: USER \[user\]" "$XS_DIR/user.txt" user
has "C: PASS \*" "$XS_DIR/user.txt" user
no_secrets "$XS_DIR/user.txt" user

step "implicit TLS with a CA file"
"$POPBELL" --diagnostics secure >"$XS_DIR/secure.txt" || { cat "$XS_DIR/secure.txt"; fail "--diagnostics secure failed"; }
for want in "TLS: TLS 1\.[23], cipher" "Certificate chain" "  0\. .*localhost" \
            "[0-9A-F][0-9A-F]:[0-9A-F][0-9A-F]:" "Trust: accepted by the account's tls-ca-file" \
            "Result: logged in"; do
  has "$want" "$XS_DIR/secure.txt" secure
done
no_secrets "$XS_DIR/secure.txt" secure

step "nothing listens: a report that says where it failed, exit 1"
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
sed -i "/^\[account plain\]/,/^\[/ s/^port=.*/port=$port/" "$XDG_CONFIG_HOME/popbell/accounts.ini"
rc=0
"$POPBELL" --diagnostics plain >"$XS_DIR/closed.txt" || rc=$?
[ "$rc" = 1 ] || fail "exit status $rc for a failed session"
has "Result: failed at connect (network)" "$XS_DIR/closed.txt" closed
no_secrets "$XS_DIR/closed.txt" closed

rc=0; "$POPBELL" --diagnostics nosuch >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "exit status $rc for an unknown account"
sed -n 1,40p "$XS_DIR/secure.txt" | sed 's/^/# /'
echo ok
