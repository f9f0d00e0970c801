#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# The applet end to end, as a StatusNotifierItem: real popbell, real
# Dovecot, gnome-keyring, dunst, status-notifier-watcher and
# gtk-sni-tray-standalone (x-session.sh --tray sni --keyring --monitor).
#
#   applet-sni.sh POPBELL_BINARY
#
# Proves: the item registers; Status/IconName/Title/XAyatanaLabel follow the
# unseen count; the baseline check does not notify; new mail notifies once
# per check (one message: sender + escaped-where-needed subject; several:
# count, three lines, "and N more", replacing the account's previous
# notification) with category, desktop entry and actions; a check with
# nothing new does not notify; the menu's "Check now", "Mark all as seen"
# and "Quit" work through dbusmenu; `popbell --check-now` reaches the running
# applet and fails (exit 1) when none runs.
POPBELL=$1
. "$(dirname "$0")/applet-lib.sh"

prop() { $SNI props | json_get "j['props']['$1']"; }

start_dovecot
add_account alice alice
start_popbell

step "the item registers and the baseline check is quiet"
$SNI wait-prop Status Active --timeout 10 >/dev/null || fail "no StatusNotifierItem"
wait_for 10 sessions_at_least 1 || fail "no first check"
$SNI wait-prop XAyatanaLabel "" --timeout 5 >/dev/null || fail "label after baseline"
title=$(prop Title)
case $title in "Popbell — no new mail"*"alice: no new mail, 3 on server"*) ;; *) fail "title: $title" ;; esac
sleep 0.3
n_notify_is 0 || fail "the baseline check notified"

step "one new message: badge 1, one notification"
deliver alice '=?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@example.org>' '<b>Hi</b> & <a href="x">'
$SNI click "Check now" >/dev/null || fail "menu Check now"
$SNI wait-prop XAyatanaLabel 1 --timeout 10 >/dev/null || fail "label did not become 1"
[ "$(prop Status)" = NeedsAttention ] || fail "status with new mail: $(prop Status)"
[ "$(prop IconName)" = popbell-tray-new-1-24 ] || fail "icon: $(prop IconName)"
[ -s "$(prop IconThemePath)/popbell-tray-new-1-24.png" ] || fail "badge PNG missing"
case $(prop Title) in "Popbell — 1 new message"*"alice: 1 new, 4 on server"*) ;; *) fail "title: $(prop Title)" ;; esac
wait_for 10 n_notify_is 1 || fail "expected one notification, got $(n_notify)"
notify_calls | "$PY" -c '
import json, sys
n = json.load(sys.stdin)[0]
assert n["app_name"] == "Popbell", n
assert n["summary"] == "New mail from Jürgen Weiß", n["summary"]
# dunst has no body-markup: the subject goes out as plain text, unescaped
assert n["body"] == "<b>Hi</b> & <a href=\"x\">", n["body"]
keys = [a[0] for a in n["actions"]]
assert keys == ["default", "mark-seen", "open-mail-client"], keys
h = n["hints"]
assert h["category"] == "email.arrived" and h["desktop-entry"] == "io.github.popbell.Popbell", h
assert h["sound-name"] == "message-new-email", h
' || fail "first notification"

step "five more: badge 6, the account's notification is replaced"
for i in 1 2 3 4 5; do deliver alice "Sender $i <s$i@example.org>" "Subject $i"; done
"$POPBELL" --check-now || fail "--check-now with the applet running"
$SNI wait-prop XAyatanaLabel 6 --timeout 10 >/dev/null || fail "label did not become 6"
wait_for 10 n_notify_is 2 || fail "expected a second notification, got $(n_notify)"
$NOTES calls | "$PY" -c '
import json, sys
calls = json.load(sys.stdin)
notify = [c for c in calls if c.get("member") == "Notify"]
ids = {c["reply_serial"]: c["args"][0] for c in calls if c.get("member") == "return" and c.get("args")}
first_id = ids.get(notify[0]["serial"])
n = notify[1]
assert first_id and n["replaces_id"] == first_id, (first_id, n["replaces_id"])
assert n["summary"] == "5 new messages in alice", n["summary"]
lines = n["body"].split("\n")
assert lines == ["Sender 1: “Subject 1”", "Sender 2: “Subject 2”", "Sender 3: “Subject 3”", "and 2 more"], lines
' || fail "second notification"
sleep 0.5
screenshot tray-sni.png

step "a check with nothing new does not notify"
s=$(sessions)
$SNI click "Check now" >/dev/null || fail "menu Check now"
wait_for 10 sessions_at_least $((s + 1)) || fail "no check after Check now"
sleep 0.5
n_notify_is 2 || fail "a check without new mail notified"

step "mark all as seen: badge gone, notification withdrawn"
$SNI click "Mark all as seen" >/dev/null || fail "menu Mark all as seen"
$SNI wait-prop XAyatanaLabel "" --timeout 10 >/dev/null || fail "label not cleared"
[ "$(prop Status)" = Active ] || fail "status after mark all seen: $(prop Status)"
[ "$(prop IconName)" = popbell-tray-0-24 ] || fail "icon after mark all seen: $(prop IconName)"
closed() { $NOTES calls | json_get 'sum(1 for c in j if c.get("member") == "CloseNotification")' | grep -qv '^0$'; }
wait_for 5 closed || fail "the new-mail notification was not withdrawn"

step "Quit from the menu; --check-now then says nobody runs"
$SNI click "Quit" >/dev/null || fail "menu Quit"
for _ in $(seq 100); do kill -0 "$POPBELL_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$POPBELL_PID" 2>/dev/null && fail "popbell did not quit"
wait "$POPBELL_PID" || fail "popbell exited with $?"
POPBELL_PID=
rc=0; "$POPBELL" --check-now 2>"$XS_DIR/check-now.err" || rc=$?
[ "$rc" = 1 ] || fail "--check-now without an applet: exit $rc"
grep -q "not running" "$XS_DIR/check-now.err" || fail "--check-now message: $(cat "$XS_DIR/check-now.err")"
echo "ok"
