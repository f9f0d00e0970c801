#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# The applet ends cleanly on the signals a session sends (x-session.sh
# --tray watcher --keyring). Real popbell, real Dovecot.
#
#   applet-shutdown.sh POPBELL_BINARY
#
# Proves: SIGTERM (logout, systemd), SIGINT (Ctrl-C) and SIGHUP (the
# terminal or the session going away) each make popbell quit the way its
# menu's Quit does — exit status 0, not death by the signal — and the state
# it wrote is whole: the next headless check finds nothing new and agrees
# with the mailbox.
POPBELL=$1
. "$(dirname "$0")/applet-lib.sh"

on_bus() {
  gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner io.github.popbell.Popbell 2>/dev/null | grep -q true
}

start_dovecot
add_account alice alice
INTERVAL=600

for sig in TERM INT HUP; do
  step "SIG$sig while the applet runs"
  start_popbell
  wait_for 20 sessions_at_least 1 || fail "no first check before SIG$sig"
  deliver alice "Bob <bob@example.org>" "Message before SIG$sig"
  wait_for 20 on_bus || fail "popbell does not own its bus name"
  "$POPBELL" --check-now || fail "--check-now (log: $(wc -l <"$LOG") lines, $(sessions) sessions)"
  wait_for 20 sessions_at_least 2 || fail "no second check before SIG$sig"
  kill -"$sig" "$POPBELL_PID"
  # (A background job of a script starts with SIGINT ignored: without a
  # handler of its own popbell would not end at all, so wait with a limit.)
  for _ in $(seq 200); do kill -0 "$POPBELL_PID" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$POPBELL_PID" 2>/dev/null && fail "popbell did not end within 10 s of SIG$sig"
  rc=0
  wait "$POPBELL_PID" || rc=$?
  POPBELL_PID=
  [ "$rc" = 0 ] || fail "popbell ended with status $rc on SIG$sig (128+signal: killed, not quit)"
  grep -q "Quitting on a signal" "$LOG" || fail "popbell did not say it quit on SIG$sig"

  json=$(POPBELL_NO_SYSTEM_BUS=1 "$POPBELL" --check-once --json) || fail "--check-once after SIG$sig: $json"
  [ "$(echo "$json" | json_get 'j["accounts"][0]["ok"]')" = True ] || fail "check after SIG$sig: $json"
  [ "$(echo "$json" | json_get 'j["accounts"][0]["first_check"]')" = False ] ||
    fail "the state was lost on SIG$sig: $json"
  [ "$(echo "$json" | json_get 'j["accounts"][0]["new"]')" = 0 ] ||
    fail "the state lost what the applet saw before SIG$sig: $json"
  on_disk=$(find "$MAILDIR_ALICE/new" "$MAILDIR_ALICE/cur" -type f | wc -l)
  [ "$(echo "$json" | json_get 'j["accounts"][0]["messages"]')" = "$on_disk" ] ||
    fail "server count differs from the maildir ($on_disk): $json"
done
echo "ok"
