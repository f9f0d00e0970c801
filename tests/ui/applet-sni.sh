#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# The applet end to end, as a StatusNotifierItem: real popbell, real
# Dovecot, gnome-keyring, dunst, and a tray — either a real SNI host
# (status-notifier-watcher + gtk-sni-tray-standalone, x-session.sh --tray
# sni) or the project's own minimal watcher (--tray own).
#
#   applet-sni.sh POPBELL_BINARY
#
# Proves: popbell's own item registers (ItemIsMenu false, Category, Id,
# IconName, IconPixmap as ARGB32 at 16…48 px); the menu (dbusmenu GetLayout)
# has one insensitive line per account, then Preview newest, Check now, Mark
# all as seen, Open mail client, Preferences, Quit; IconName/pixmaps,
# XAyatanaLabel, Title and ToolTip follow the unseen count; the baseline
# check does not notify; new mail notifies once per check (one message:
# sender + subject; several: count, three lines, "and N more", replacing the
# account's previous notification) with category, desktop entry and actions;
# SecondaryActivate (middle click) checks now; a check with nothing new
# notifies nothing and emits no tray signal; a left click on gtk-sni-tray's
# icon (Activate; with the own watcher, the call) opens the preview of the
# newest message; ContextMenu pops the menu; the preview's Mark as Seen
# drops the count; a restarted watcher gets the item again (own watcher);
# the menu's "Check now", "Mark all as seen" and "Quit" work through
# dbusmenu; `popbell --check-now` reaches the running applet and fails
# (exit 1) when none runs; an account whose port is closed turns the icon
# into the problem icon with Status NeedsAttention.
POPBELL=$1
. "$(dirname "$0")/applet-lib.sh"

prop() { $SNI props | json_get "j['props']['$1']"; }
# check JSON CODE [ARG...]: run the Python assertions CODE over an item's
# JSON (from sni-probe.py props / wait-prop), its properties as p, the
# decoded pixmaps as icon and pix (attention), ARGs as sys.argv[1:]. One probe call per
# step: each Python start costs a second on a loaded machine.
check() {
  printf '%s' "$1" | "$PY" -c 'import html, json, sys
p = json.load(sys.stdin)["props"]
icon, pix = p.get("IconPixmapDecoded"), p.get("AttentionIconPixmapDecoded")
'"$2" "${@:3}"
}

start_dovecot
add_account alice alice
start_sni_monitor
start_popbell

step "our own item registers; its properties and icons"
$SNI wait-prop Status Active --timeout 10 >/dev/null || fail "no StatusNotifierItem"
wait_for 10 sessions_at_least 1 || fail "no first check"
item=$($SNI wait-prop Title "Popbell — no new mail" --timeout 10) || fail "title after baseline: $(prop Title)"
check "$item" '
assert p["ItemIsMenu"] is False, p["ItemIsMenu"]
assert p["Category"] == "Communications" and p["Id"] == "io.github.popbell.Popbell", p
assert p["IconName"] == "popbell-tray" and p["AttentionIconName"] == "popbell-tray", p
assert p["XAyatanaLabel"] == "" and p["Menu"] == "/StatusNotifierItem/Menu", p
_, _, title, body = p["ToolTip"]
assert title == "Popbell — no new mail", title
assert body.startswith("alice: no new mail, 3 on server · checked "), body
assert [(e["w"], e["h"]) for e in icon] == [(16, 16), (22, 22), (24, 24), (32, 32), (48, 48)], icon
assert all(e["ok"] and e["opaque"] > e["w"] for e in icon), icon
assert all(e["red"] == 0 for e in icon), icon
print(icon[2]["sha1"], file=open(sys.argv[1], "w"))
' "$XS_DIR/normal-icon" || fail "properties after the baseline check"
normal_icon=$(cat "$XS_DIR/normal-icon")

step "the menu: one line per account, then the actions"
$SNI menu | "$PY" -c '
import json, sys
m = [e for e in json.load(sys.stdin) if e["visible"]]
labels = [e["label"] if e["type"] != "separator" else "--" for e in m]
assert labels == ["alice: no new mail, 3 on server", "--", "Preview newest", "Check now",
                  "Mark all as seen", "Open mail client", "--", "Preferences", "Quit"], labels
assert m[0]["enabled"] is False and all(e["enabled"] for e in m[2:6]), m
' || fail "menu: $($SNI menu)"

step "one new message: badge 1, one notification"
deliver alice '=?UTF-8?Q?J=C3=BCrgen_Wei=C3=9F?= <jw@example.org>' '<b>Hi</b> & <a href="x">'
$SNI click "Check now" >/dev/null || fail "menu Check now"
item=$($SNI wait-prop XAyatanaLabel 1 --timeout 10) || fail "label did not become 1"
check "$item" '
assert p["Status"] == "Active", "new mail is no problem: " + p["Status"]
assert p["IconName"] == "popbell-tray-new", p["IconName"]
assert icon[2]["red"] >= 15, icon
assert p["Title"] == "Popbell — 1 new message", p["Title"]
assert p["ToolTip"][2] == "Popbell — 1 new message", p["ToolTip"]
assert p["ToolTip"][3].startswith("alice: 1 new, 4 on server"), p["ToolTip"]
' || fail "properties with one new message"
# The first Notify is this one: the baseline check before it sent none.
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
if [ "$XS_TRAY" = sni ]; then
  # The host draws the pixmap with the badge: wait until it is on screen.
  red_on_top() {
    screenshot tray-sni.png
    "$PY" - "$XS_DIR/tray-sni.png" <<'PY'
import sys
import gi
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf
pb = GdkPixbuf.Pixbuf.new_from_file(sys.argv[1])
px, stride, n = pb.get_pixels(), pb.get_rowstride(), pb.get_n_channels()
red = sum(1 for y in range(40) for x in range(pb.get_width())
          if px[y * stride + x * n] > 170 and px[y * stride + x * n + 1] < 80 and px[y * stride + x * n + 2] < 80)
sys.exit(0 if red >= 15 else 1)
PY
  }
  wait_for 10 red_on_top || fail "gtk-sni-tray shows no badge"
fi

step "a middle click checks now; with nothing new: no notification, no tray signal"
sni_mark
before=$(sni_signals)
s=$(sessions)
$SNI secondary-activate >/dev/null || fail "SecondaryActivate"
wait_for 10 sessions_at_least $((s + 1)) || fail "no check after SecondaryActivate"
wait_for 10 updated_after_last_session || fail "the tray was not updated after the check"
sni_mark
[ "$(sni_signals)" = "$before" ] ||
  fail "a check with nothing new emitted $(( $(sni_signals) - before )) tray signals: $(grep -E '^signal .*(StatusNotifierItem|dbusmenu);' "$SNI_SIGNALS" | tail -n 5)"
grep 'Tray item updated:' "$LOG" | tail -n 1 | grep -q ': 0 signals$' || fail "popbell says: $(grep 'Tray item updated:' "$LOG" | tail -n 1)"

step "a left click (Activate) opens the preview of the newest message"
if [ "$XS_TRAY" = sni ]; then
  # A real click on the host's icon (the only item, packed at the right
  # end of gtk-sni-tray's panel): the host sends Activate.
  host=$(xdotool search --onlyvisible --class gtk-sni-tray-standalone | head -n 1)
  [ -n "$host" ] || fail "no gtk-sni-tray window"
  eval "$(xdotool getwindowgeometry --shell "$host")"
  xdotool mousemove $((X + WIDTH - 16)) $((Y + HEIGHT / 2)) click 1
else
  $SNI activate >/dev/null || fail "Activate"
fi
preview() { xdotool search --onlyvisible --name '^Subject 5$' 2>/dev/null | head -n 1; }
shown() { [ -n "$(preview)" ]; }
wait_for 15 shown || fail "no preview window of the newest message (windows: $(xdotool search --onlyvisible --class Popbell getwindowname %@ 2>/dev/null | tr '\n' '|'))"
import -window "$(preview)" "$XS_DIR/tray-sni-activate-preview.png" || fail "screenshot of the preview"
[ -n "$OUT" ] && { mkdir -p "$OUT"; cp "$XS_DIR/tray-sni-activate-preview.png" "$OUT/"; }

step "the badge drops once the preview showed a message (its Mark as Seen)"
# SPEC §5: showing acknowledges it. Until the engine does that on its own,
# the preview's "Mark as Seen" button (bottom left) does it; either way the
# count must drop to 5 and the item must say so.
eval "$(xdotool getwindowgeometry --shell "$(preview)")"
xdotool mousemove --window "$(preview)" 60 $((HEIGHT - 14)) click 1
item=$($SNI wait-prop XAyatanaLabel 5 --timeout 10) || fail "label did not drop to 5: $(prop XAyatanaLabel)"
check "$item" '
assert p["Title"] == p["ToolTip"][2] == "Popbell — 5 new messages", (p["Title"], p["ToolTip"])
' || fail "title after the preview"

step "ContextMenu (right click) pops the menu"
n=$(popbell_windows)
$SNI context-menu >/dev/null || fail "ContextMenu"
popped() { [ "$(popbell_windows)" -gt "$n" ]; }
wait_for 10 popped || fail "ContextMenu showed no menu"
xdotool key Escape
gone() { [ "$(popbell_windows)" -eq "$n" ]; }
wait_for 10 gone || fail "the menu did not close on Escape"

step "mark all as seen: badge gone, notification withdrawn"
$SNI click "Mark all as seen" >/dev/null || fail "menu Mark all as seen"
item=$($SNI wait-prop XAyatanaLabel "" --timeout 10) || fail "label not cleared"
check "$item" '
assert p["Status"] == "Active" and p["IconName"] == "popbell-tray", (p["Status"], p["IconName"])
assert icon[2]["sha1"] == sys.argv[1], "the pixmap is not the plain bell again"
assert p["ToolTip"][2] == "Popbell — no new mail", p["ToolTip"]
' "$normal_icon" || fail "properties after mark all seen"
closed() { $NOTES calls | json_get 'sum(1 for c in j if c.get("member") == "CloseNotification")' | grep -qv '^0$'; }
wait_for 5 closed || fail "the new-mail notification was not withdrawn"
# Sent in order: a notification from the quiet check would come before.
n_notify_is 2 || fail "a check without new mail notified ($(n_notify) notifications)"

if [ "$XS_TRAY" = own ]; then
  step "the watcher restarts: the item registers again, with its state"
  kill -TERM "$XS_WATCHER_PID"
  gone_from_bus() { ! gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
      --method org.freedesktop.DBus.NameHasOwner org.kde.StatusNotifierWatcher | grep -q true; }
  wait_for 10 gone_from_bus || fail "the watcher did not go"
  "$PY" "$XS_SUPPORT_DIR/sni-watcher.py" --host --log "$XS_DIR/watcher-events-2.jsonl" \
    >"$XS_DIR/own-watcher-2.log" 2>&1 &
  WATCHER_PID=$!
  registered_again() { grep -q '"event": "registered"' "$XS_DIR/watcher-events-2.jsonl" 2>/dev/null; }
  wait_for 10 registered_again || fail "popbell did not register with the restarted watcher"
  check "$($SNI props)" 'assert p["Status"] == "Active" and p["IconName"] == "popbell-tray", p' ||
    fail "state after the restart"
  $SNI menu | json_get '[e["label"] for e in j][0]' | grep -q '^alice: no new mail, 9 on server$' ||
    fail "menu after the restart: $($SNI menu | json_get '[e["label"] for e in j]')"
fi

# Scroll has nothing to page through: answered, nothing happens.
$SNI scroll >/dev/null || fail "Scroll"
# Popping the menu without an event, scrolling, re-registering: quietly.
grep -E "CRITICAL|WARNING" "$LOG" && fail "warnings in the log"

step "Quit from the menu; --check-now then says nobody runs"
$SNI click "Quit" >/dev/null || fail "menu Quit"
for _ in $(seq 100); do kill -0 "$POPBELL_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$POPBELL_PID" 2>/dev/null && fail "popbell did not quit"
wait "$POPBELL_PID" || fail "popbell exited with $?"
POPBELL_PID=
rc=0; "$POPBELL" --check-now 2>"$XS_DIR/check-now.err" || rc=$?
[ "$rc" = 1 ] || fail "--check-now without an applet: exit $rc"
grep -q "not running" "$XS_DIR/check-now.err" || fail "--check-now message: $(cat "$XS_DIR/check-now.err")"

step "a closed port: the problem icon, NeedsAttention, named in tooltip and menu"
port=$(closed_port)
printf '[account broken]\nhost=127.0.0.1\nport=%s\nsecurity=none\nallow-insecure-auth=true\nusername=bob\ninterval=600\n' \
  "$port" >>"$XDG_CONFIG_HOME/popbell/accounts.ini"
printf 'bobpw\n' | "$POPBELL" --set-password broken >/dev/null || fail "--set-password broken"
start_popbell
# SPEC §5: a problem once checks failed three times in a row (or for ten
# minutes); "Check now" hurries the second and third failure along.
failures() { grep -c 'account broken: transient failure' "$LOG" || true; }
failed() { [ "$(failures)" -ge "$1" ]; }
wait_for 15 failed 1 || fail "the closed port did not fail"
wait_for 10 updated_after 'account broken: transient failure 1' || fail "no tray update after the failure"
[ "$(prop Status)" = Active ] || fail "one failed check is not yet a problem: $(prop Status)"
for n in 2 3; do
  "$POPBELL" --check-now || fail "--check-now"
  wait_for 15 failed $n || fail "no failed check $n"
done
item=$($SNI wait-prop Status NeedsAttention --timeout 15) || fail "no problem status: $(prop Status)"
check "$item" '
assert p["IconName"] == p["AttentionIconName"] == "popbell-tray-attention", p
assert pix[2]["sha1"] != sys.argv[1], "the problem pixmap is the plain bell"
assert p["Title"].endswith("1 account needs attention"), p["Title"]
assert "broken: cannot reach the server" in p["ToolTip"][3], p["ToolTip"]
' "$normal_icon" || fail "the problem state"
$SNI menu | json_get '[e["label"] for e in j][:2]' | grep -q "'broken: cannot reach the server" ||
  fail "menu: $($SNI menu | json_get '[e["label"] for e in j]')"
if [ "$XS_TRAY" = sni ]; then screenshot tray-sni-problem.png; fi
echo "ok"
