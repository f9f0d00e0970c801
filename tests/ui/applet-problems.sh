#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# Problems are never silent, and never repeated (x-session.sh --tray
# watcher --keyring --monitor): the real applet with an account whose port
# is closed, and dunst as the notification server.
#
#   applet-problems.sh POPBELL_BINARY
#
# Proves (SPEC §5 "Problems"): an account that keeps failing raises exactly
# one notification over six failed checks; it says which way the server
# cannot be reached (refused), offers "Fix…" rather than a command line, and
# does not repeat the host.
POPBELL=$1
. "$(dirname "$0")/applet-lib.sh"

# A port where nothing listens: bound, read, closed.
POP3_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
add_account closed alice

checks() { grep -c "Checked closed: " "$LOG" || true; }
refreshed_after() { grep -q "Tray refreshed after $1 checks" "$LOG"; }

start_popbell
wait_for 20 refreshed_after 1 || fail "no first check"
for n in 2 3 4 5 6; do
  "$POPBELL" --check-now || fail "--check-now"
  wait_for 20 refreshed_after "$n" || fail "check $n did not happen ($(checks) so far)"
done
[ "$(checks)" = 6 ] || fail "expected 6 checks, saw $(checks)"
grep -q "Checked closed: .*refused" "$LOG" || fail "the checks did not fail as refused: $(grep 'Checked closed' "$LOG" | tail -1)"

step "one notification for the episode"
decided=$(grep -c "Problem notification for closed" "$LOG" || true)
[ "$decided" = 1 ] || fail "popbell decided $decided problem notifications over 6 failed checks"
wait_for 20 n_notify_is 1 || fail "expected one notification, the server got $(n_notify)"
summary=$(notify_calls | json_get 'j[0]["summary"]')
body=$(notify_calls | json_get 'j[0]["body"]')
actions=$(notify_calls | json_get '" ".join(a[0] for a in j[0].get("actions", []))')
printf '# %s\n# %s\n# actions: %s\n' "$summary" "$body" "$actions"
[ "$summary" = "Cannot reach the server of closed" ] || fail "summary: $summary"
case $body in "The server refused the connection"*) ;; *) fail "does not say refused: $body" ;; esac
case $body in *"--"*|*"popbell "*) fail "names a command in the applet: $body" ;; esac
case $body in *"127.0.0.1: Could not connect to 127.0.0.1"*|*"127.0.0.1: could not connect to 127.0.0.1"*)
  fail "repeats the detail: $body" ;; esac
case $actions in *"fix"*) ;; *) fail "no Fix… action: $actions" ;; esac
screenshot notification-problem.png
echo "ok"
