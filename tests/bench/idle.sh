#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# What the applet costs while idle: starts the real applet against a private
# Dovecot (one account, interval 1 h) in a private X session with a tray host
# and a keyring, lets the first check finish, then measures the CPU time it
# uses and its resident memory over SECONDS of idling. Prints figures; it is
# a benchmark, not a test (no thresholds).
#
#   tests/bench/idle.sh [BUILDDIR] [SECONDS]     (default: _build-test, 60)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/_build-test}" && pwd)
SECONDS_IDLE=${2:-60}
export ROOT BUILD SECONDS_IDLE

exec "$ROOT/tests/support/x-session.sh" --tray sni --keyring -- bash -euo pipefail -c '
eval "$(DOVECOT_OWNER_PID=$$ "$ROOT/tests/support/dovecot.sh" start)"
trap "\"$ROOT/tests/support/dovecot.sh\" stop \"$DOVECOT_DIR\" >/dev/null 2>&1 || true" EXIT
mkdir -p "$XDG_CONFIG_HOME/popbell"
cat > "$XDG_CONFIG_HOME/popbell/accounts.ini" <<INI
[account bench]
host=127.0.0.1
port=$POP3S_PORT
security=tls
username=alice
tls-ca-file=$POP3_CAFILE
interval=3600
INI
echo alicepw | "$BUILD/src/popbell" --set-password bench >/dev/null
"$BUILD/src/popbell" >"$XS_DIR/popbell.log" 2>&1 &
PID=$!
# The first check is done once the state file exists.
for _ in $(seq 200); do ls "$XDG_STATE_HOME"/popbell/*.state >/dev/null 2>&1 && break; sleep 0.05; done
sleep 2
ticks() { awk "{print \$14 + \$15}" "/proc/$PID/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); w0=$(grep -E "^(voluntary|nonvoluntary)_ctxt_switches" /proc/$PID/status | awk "{s+=\$2} END {print s}")
sleep "$SECONDS_IDLE"
t1=$(ticks); w1=$(grep -E "^(voluntary|nonvoluntary)_ctxt_switches" /proc/$PID/status | awk "{s+=\$2} END {print s}")
rss=$(awk "/^VmRSS/ {print \$2}" /proc/$PID/status)
threads=$(awk "/^Threads/ {print \$2}" /proc/$PID/status)
kill -TERM $PID; wait $PID 2>/dev/null || true
echo "idle ${SECONDS_IDLE} s: CPU $(( (t1 - t0) * 1000 / hz )) ms, context switches $((w1 - w0)), RSS ${rss} KiB, threads ${threads}"
'
