#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# What the applet costs while idle: starts the real applet against a private
# Dovecot (one account over TLS, nothing new arriving) in a private X session
# with a real StatusNotifierItem host (gtk-sni-tray) and a keyring, lets the
# first check finish, then measures over SECONDS of idling, during which the
# account is checked every INTERVAL seconds and finds nothing new:
#   - CPU time, resident memory, threads;
#   - context switches of all popbell's threads (a wakeup costs at least one),
#     and of the tray host's (each tray signal makes it re-read the item);
#   - D-Bus signals popbell sent (tray item, dbusmenu, anything else);
# and prints them in total and per check. INTERVAL is at least 60 s by
# default so that every check moves the clock times the tray shows, as
# it does for a user. It is a benchmark, not a test (no thresholds).
#
#   tests/bench/idle.sh [BUILDDIR] [SECONDS] [INTERVAL]   (default: _build-test, 300, 60)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/_build-test}" && pwd)
SECONDS_IDLE=${2:-300}
INTERVAL=${3:-60}
export ROOT BUILD SECONDS_IDLE INTERVAL

exec "$ROOT/tests/support/x-session.sh" --tray sni --keyring -- bash -euo pipefail -c '
eval "$(DOVECOT_OWNER_PID=$$ "$ROOT/tests/support/dovecot.sh" start)"
MONITOR_PID=
cleanup() {
  [ -n "$MONITOR_PID" ] && kill -TERM "$MONITOR_PID" 2>/dev/null || true
  "$ROOT/tests/support/dovecot.sh" stop "$DOVECOT_DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
mkdir -p "$XDG_CONFIG_HOME/popbell"
cat > "$XDG_CONFIG_HOME/popbell/accounts.ini" <<INI
[account bench]
host=127.0.0.1
port=$POP3S_PORT
security=tls
username=alice
tls-ca-file=$POP3_CAFILE
interval=$INTERVAL
INI
export POPBELL_MIN_INTERVAL=1
echo alicepw | "$BUILD/src/popbell" --set-password bench >/dev/null
"$BUILD/src/popbell" >"$XS_DIR/popbell.log" 2>&1 &
PID=$!
logins() { grep -c "Login: user=<alice>" "$DOVECOT_DIR/dovecot.log" || true; }
# Until the first check is done (the state file) and the first idle check
# has run: startup costs are not idle costs.
for _ in $(seq 400); do ls "$XDG_STATE_HOME"/popbell/*.state >/dev/null 2>&1 && break; sleep 0.05; done
first=$(logins)
until [ "$(logins)" -gt "$first" ]; do kill -0 $PID || exit 1; sleep 0.2; done
owner=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
  --method org.freedesktop.DBus.GetNameOwner io.github.popbell.Popbell | sed -E "s/^\(.(:[0-9.]+).,\)$/\1/")
dbus-monitor --session "sender=$owner" >"$XS_DIR/signals.txt" 2>/dev/null &
MONITOR_PID=$!
until [ -s "$XS_DIR/signals.txt" ]; do sleep 0.05; done
n_signals() { grep -c "^signal .*sender=$owner " "$XS_DIR/signals.txt" || true; }
n_messages() { grep -cE "^(signal|method call|method return|error) .*sender=$owner " "$XS_DIR/signals.txt" || true; }
# Context switches per thread name ("pool-popbell", "gdbus", "gmain", ...).
per_thread() {
  for t in /proc/$PID/task/*; do
    printf "%s %s\n" "$(cat "$t/comm")" "$(awk "/^(non)?voluntary_ctxt_switches/ {s += \$2} END {print s}" "$t/status")"
  done | awk "{s[\$1] += \$2} END {for (k in s) print k, s[k]}" | sort
}
switches() { cat /proc/${1:-$PID}/task/*/status | awk "/^(non)?voluntary_ctxt_switches/ {s += \$2} END {print s}"; }
ticks() { awk "{print \$14 + \$15}" "/proc/$PID/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); w0=$(switches); h0=$(switches "$XS_TRAY_PID"); c0=$(logins); s0=$(n_signals); m0=$(n_messages); l0=$(wc -l <"$XS_DIR/signals.txt"); per_thread >"$XS_DIR/threads0"
sleep "$SECONDS_IDLE"
t1=$(ticks); w1=$(switches); h1=$(switches "$XS_TRAY_PID"); c1=$(logins); s1=$(n_signals); m1=$(n_messages); l1=$(wc -l <"$XS_DIR/signals.txt"); per_thread >"$XS_DIR/threads1"
rss=$(awk "/^VmRSS/ {print \$2}" /proc/$PID/status)
threads=$(awk "/^Threads/ {print \$2}" /proc/$PID/status)
kill -TERM $PID; wait $PID 2>/dev/null || true
checks=$((c1 - c0))
per() { if [ "$checks" -gt 0 ]; then awk -v a="$1" -v c="$checks" "BEGIN {printf \"%.1f\", a / c}"; else echo -; fi; }
echo "idle ${SECONDS_IDLE} s, ${checks} checks (interval ${INTERVAL} s, nothing new): CPU $(( (t1 - t0) * 1000 / hz )) ms, RSS ${rss} KiB, threads ${threads}"
echo "context switches: $((w1 - w0)) total, $(per $((w1 - w0))) per check; the tray host (gtk-sni-tray): $((h1 - h0)) total, $(per $((h1 - h0))) per check"
echo "D-Bus signals sent: $((s1 - s0)) total, $(per $((s1 - s0))) per check; all D-Bus messages sent: $((m1 - m0)) total, $(per $((m1 - m0))) per check"
echo "context switches by thread (threads that ended during the run are missing):"
join -a 2 "$XS_DIR/threads0" "$XS_DIR/threads1" | awk "{d = (NF == 3 ? \$3 - \$2 : \$2); print \"  \" \$1 \": \" d}"
echo "messages sent while idling, by type and interface.member (replies omitted):"
sed -n "$((l0 + 1)),${l1}p" "$XS_DIR/signals.txt" | grep -E "^(signal|method call) .*sender=$owner " |
  sed -E "s/^(signal|method call) .*interface=([^;]*); member=(.*)/  \1 \2.\3/" | sort | uniq -c | sort -rn | head -n 12
'
