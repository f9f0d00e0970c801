#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# The applet with a malformed accounts.ini, and a second start
# (x-session.sh --tray watcher --monitor).
#
#   applet-config-error.sh POPBELL_BINARY
#
# Proves: a configuration error does not crash the applet; it says the
# error's sentence in a notification and in the tray tooltip, and the icon
# shows the problem (Status NeedsAttention, the attention icon); `popbell --preferences` while it runs exits at once and the
# running instance opens its preferences window (single instance).
POPBELL=$1
. "$(dirname "$0")/applet-lib.sh"

prop() { $SNI props | json_get "j['props']['$1']"; }

mkdir -p "$XDG_CONFIG_HOME/popbell"
printf '[account work]\nhost=pop.example.org\nport=not-a-number\nusername=alice\n' \
  >"$XDG_CONFIG_HOME/popbell/accounts.ini"

start_popbell
step "a malformed accounts.ini: tray asks for attention, a notification says why"
$SNI wait-prop Status NeedsAttention --timeout 10 >/dev/null || fail "tray not in attention: $(prop Status)"
[ "$(prop IconName)" = popbell-tray-attention ] || fail "icon: $(prop IconName)"
wait_for 10 n_notify_is 1 || fail "expected one notification, got $(n_notify)"
sentence=$(notify_calls | json_get 'j[0]["body"]')
summary=$(notify_calls | json_get 'j[0]["summary"]')
echo "# notification: $summary — $sentence"
case $sentence in *port*) ;; *) fail "the notification does not name the problem: $sentence" ;; esac
# The tooltip body is markup (the specification allows it): compare unescaped.
body=$($SNI props | json_get '__import__("html").unescape(j["props"]["ToolTip"][3])')
case $body in *"$sentence"*) ;; *) fail "tooltip lacks the sentence: $body" ;; esac
kill -0 "$POPBELL_PID" || fail "popbell died"

step "popbell --preferences reaches the running instance"
start=$(date +%s%N)
timeout 10 "$POPBELL" --preferences || fail "--preferences with an applet running"
echo "# second start returned after $(( ($(date +%s%N) - start) / 1000000 )) ms"
prefs_window() { xdotool search --onlyvisible --name '^(Popbell )?Preferences$' >/dev/null 2>&1; }
wait_for 10 prefs_window || fail "no preferences window"
sleep 0.3
screenshot preferences-from-cli.png
kill -0 "$POPBELL_PID" || fail "popbell died"
$SNI click Quit >/dev/null || fail "menu Quit"
for _ in $(seq 100); do kill -0 "$POPBELL_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$POPBELL_PID" 2>/dev/null && fail "popbell did not quit"
wait "$POPBELL_PID" || fail "popbell exited with $?"
POPBELL_PID=
echo "ok"
