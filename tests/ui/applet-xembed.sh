#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# The applet where no StatusNotifierItem host runs: an XEmbed system tray
# (trayer) and no StatusNotifierWatcher (x-session.sh --tray xembed
# --keyring). Real popbell, real Dovecot.
#
#   applet-xembed.sh POPBELL_BINARY
#
# Proves: popbell picks its GtkStatusIcon, which embeds into trayer and
# draws the bell, with no critical on start but GDK's own thaw miscount for
# a GtkPlug mapped by the tray (a GTK 3 bug: balancing it with a freeze left
# the icon undrawn now and then, far worse than a log line); after new mail the red
# badge is on screen (pixels checked); when a StatusNotifierWatcher starts
# later (the project's sni-watcher.py) the icon leaves trayer and registers
# as a StatusNotifierItem carrying the same count, and when the watcher
# quits it comes back to trayer.
POPBELL=$1
. "$(dirname "$0")/applet-lib.sh"

tree() { for _ in 1 2 3 4 5; do xwininfo -root -tree 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# Our icon window inside trayer's panel: a window in the panel's subtree
# (deeper indented lines up to the next sibling) named or classed popbell
# (its title becomes the tray title). Only the subtree counts: popbell's
# other top-level windows (GTK's client leader is class "Popbell") can sit
# next to the panel in the stacking order.
embedded() {
  tree | awk '
    /"panel": \("panel" "trayer"\)/ { match($0, /^ */); depth = RLENGTH; inside = 1; next }
    inside && / 0x[0-9a-f]+ / { match($0, /^ */); if (RLENGTH <= depth) inside = 0 }
    inside && /"[Pp]opbell/ { found = 1 }
    END { exit !found }'
}
# trayer embeds the icon on popbell's dock request, while popbell goes on
# to log which tray it chose: wait for that line too.
tray_chosen() { grep -q "Tray: " "$LOG"; }
panel_geometry() {
  tree | grep '"panel": ("panel" "trayer")' | sed -E 's/.* ([0-9]+)x([0-9]+)\+(-?[0-9]+)\+(-?[0-9]+) .*/\1 \2 \3 \4/'
}
# count_pixels PNG KIND: pixels of the panel that are badge red / not the
# panel's flat grey.
count_pixels() {
  read -r w h x y < <(panel_geometry)
  "$PY" - "$1" "$2" "$w" "$h" "$x" "$y" <<'PY'
import sys
import gi
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf
path, kind, w, h, x, y = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
pb = GdkPixbuf.Pixbuf.new_from_file(path)
px, stride, n = pb.get_pixels(), pb.get_rowstride(), pb.get_n_channels()
count = 0
for yy in range(max(y, 0), min(y + h, pb.get_height())):
    for xx in range(max(x, 0), min(x + w, pb.get_width())):
        r, g, b = px[yy * stride + xx * n: yy * stride + xx * n + 3]
        if kind == "red" and r > 170 and g < 80 and b < 80:
            count += 1
        elif kind == "drawn" and abs(r - 0xdd) + abs(g - 0xdd) + abs(b - 0xdd) > 30:
            count += 1
print(count)
PY
}

start_dovecot
add_account alice alice

step "no watcher: the GtkStatusIcon embeds into trayer and draws the bell"
start_popbell
wait_for 10 embedded || fail "no icon in trayer"
wait_for 10 tray_chosen || fail "popbell did not say which tray it uses"
grep -q "Tray: status-icon" "$LOG" || fail "expected the status-icon tray: $(grep Tray: "$LOG")"
wait_for 10 sessions_at_least 1 || fail "no first check"
# Embedding comes before the first paint, and a loaded machine may take a
# while to draw: look until the bell is there.
drawn() { screenshot tray-xembed-quiet.png; [ "$(count_pixels "$XS_DIR/tray-xembed-quiet.png" drawn)" -gt 60 ]; }
wait_for 10 drawn ||
  fail "the icon is not drawn ($(count_pixels "$XS_DIR/tray-xembed-quiet.png" drawn) pixels differ from the panel)"
[ "$(count_pixels "$XS_DIR/tray-xembed-quiet.png" red)" -lt 5 ] || fail "a badge without new mail"

step "new mail: the red badge appears"
deliver alice "Bob <bob@example.org>" "Lunch?"
deliver alice "Carol <carol@example.org>" "Minutes"
"$POPBELL" --check-now || fail "--check-now"
wait_for 10 sessions_at_least 2 || fail "no check after --check-now"
badge() { screenshot tray-xembed.png; [ "$(count_pixels "$XS_DIR/tray-xembed.png" red)" -ge 15 ]; }
wait_for 5 badge || fail "no badge on screen ($(count_pixels "$XS_DIR/tray-xembed.png" red) red pixels)"
read -r w h x y < <(panel_geometry)
/usr/bin/convert "$XS_DIR/tray-xembed.png" -crop "$((w + 40))x$((h + 8))+$((x - 40))+0" +repage \
  -scale 400% "$XS_DIR/tray-xembed-zoom.png" && [ -n "$OUT" ] && cp "$XS_DIR/tray-xembed-zoom.png" "$OUT/"
criticals=$(grep CRITICAL "$LOG" | grep -v "gdk_window_thaw_toplevel_updates" || true)
[ -z "$criticals" ] || fail "criticals: $criticals"

step "a StatusNotifierWatcher starts: the icon moves to it, with its count"
n_tray_lines() { grep -c "Tray: " "$LOG" || true; }
"$PY" "$XS_SUPPORT_DIR/sni-watcher.py" --host --log "$XS_DIR/watcher-events.jsonl" \
  >"$XS_DIR/own-watcher.log" 2>&1 &
WATCHER_PID=$!
registered() { grep -q '"event": "registered"' "$XS_DIR/watcher-events.jsonl" 2>/dev/null; }
wait_for 10 registered || fail "popbell did not register with the new watcher"
[ "$(grep "Tray: " "$LOG" | tail -n 1 | sed 's/.*Tray: //')" = sni ] || fail "tray lines: $(grep "Tray: " "$LOG")"
not_embedded() { ! embedded; }
wait_for 10 not_embedded || fail "the XEmbed icon stayed in trayer"
$SNI wait-prop XAyatanaLabel 2 --timeout 10 >/dev/null || fail "the item did not get the count"

step "the watcher quits: back to trayer"
kill -TERM "$WATCHER_PID"; wait "$WATCHER_PID" || true; WATCHER_PID=
back() { [ "$(grep "Tray: " "$LOG" | tail -n 1 | sed 's/.*Tray: //')" = status-icon ]; }
wait_for 10 back || fail "tray lines: $(grep "Tray: " "$LOG")"
wait_for 10 embedded || fail "the icon did not come back to trayer"
badge_again() { screenshot tray-xembed-back.png; [ "$(count_pixels "$XS_DIR/tray-xembed-back.png" red)" -ge 15 ]; }
wait_for 10 badge_again || fail "no badge after coming back"
criticals=$(grep CRITICAL "$LOG" | grep -v "gdk_window_thaw_toplevel_updates" || true)
[ -z "$criticals" ] || fail "criticals: $criticals"
echo "ok"
