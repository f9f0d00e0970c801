# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# Shared by the applet end-to-end tests (tests/ui/applet-*.sh). They run the
# real popbell binary inside tests/support/x-session.sh, against a private
# Dovecot (tests/support/dovecot.sh) and the session's gnome-keyring, and
# read back the tray (sni-probe.py) and the notifications
# (notifications-probe.py) the way a desktop would.
#
# Source it with POPBELL set to the binary; it sets -euo pipefail.
set -euo pipefail

: "${POPBELL:?set POPBELL to the popbell binary}"
: "${XS_DIR:?run inside tests/support/x-session.sh}"
PY=${XS_PYTHON:-/usr/bin/python3}
SNI="$PY $XS_SUPPORT_DIR/sni-probe.py"
NOTES="$PY $XS_SUPPORT_DIR/notifications-probe.py"
DOVECOT_SH=${POPBELL_DOVECOT_SH:-$XS_SUPPORT_DIR/dovecot.sh}
OUT=${POPBELL_TEST_OUTDIR:-}
LOG=$XS_DIR/popbell.log
POPBELL_PID=
DOVECOT_DIR=
SNI_MONITOR_PID=
WATCHER_PID=

step() { printf '# %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; [ -s "$LOG" ] && { echo "--- popbell log (tail)"; tail -n 30 "$LOG"; }; exit 1; }
skip() {
  if [ "${POPBELL_TEST_REQUIRE_SERVICES:-}" = 1 ]; then fail "$* (required: POPBELL_TEST_REQUIRE_SERVICES=1)"; fi
  printf 'SKIP: %s\n' "$*"; exit 77
}

applet_cleanup() {
  local rc=$?
  if [ -n "$POPBELL_PID" ] && kill -0 "$POPBELL_PID" 2>/dev/null; then
    kill -TERM "$POPBELL_PID" 2>/dev/null || true
    wait "$POPBELL_PID" 2>/dev/null || true
  fi
  if [ -n "$DOVECOT_DIR" ]; then "$DOVECOT_SH" stop "$DOVECOT_DIR" >/dev/null 2>&1 || true; fi
  if [ -n "$WATCHER_PID" ]; then kill -TERM "$WATCHER_PID" 2>/dev/null || true; wait "$WATCHER_PID" 2>/dev/null || true; fi
  if [ -n "$SNI_MONITOR_PID" ]; then kill -TERM "$SNI_MONITOR_PID" 2>/dev/null || true; wait "$SNI_MONITOR_PID" 2>/dev/null || true; fi
  exit "$rc"
}
trap applet_cleanup EXIT

# Private Dovecot with users alice/alicepw (3 messages) and bob/bobpw.
start_dovecot() {
  [ -x "$DOVECOT_SH" ] || skip "$DOVECOT_SH is missing"
  command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ] || skip "dovecot is not installed"
  eval "$("$DOVECOT_SH" start)" || fail "dovecot did not start"
  export POP3_PORT DOVECOT_DIR MAILDIR_ALICE
}

# add_account NAME USER [extra ini lines]: plaintext on loopback (Dovecot
# treats 127.0.0.1 as secure), a short interval for tests.
add_account() {
  mkdir -p "$XDG_CONFIG_HOME/popbell"
  {
    printf '[account %s]\nhost=127.0.0.1\nport=%s\nsecurity=none\nallow-insecure-auth=true\n' "$1" "$POP3_PORT"
    printf 'username=%s\ninterval=%s\n' "$2" "${INTERVAL:-600}"
    [ $# -gt 2 ] && printf '%s\n' "$3"
  } >>"$XDG_CONFIG_HOME/popbell/accounts.ini"
  printf '%spw\n' "$2" | "$POPBELL" --set-password "$1" >/dev/null || fail "--set-password $1"
}

# deliver USER FROM SUBJECT: a new message, the way an MDA does (tmp → new).
N_DELIVERED=0
deliver() {
  local dir f
  N_DELIVERED=$((N_DELIVERED + 1))
  dir=$(dirname "$MAILDIR_ALICE")/../$1/Maildir
  [ "$1" = alice ] && dir=$MAILDIR_ALICE
  f="$dir/tmp/$((2000000000 + N_DELIVERED)).M${N_DELIVERED}P$$.popbell-test"
  printf 'From: %s\r\nTo: %s@example.org\r\nSubject: %s\r\nDate: Thu, 26 Nov 2026 10:00:00 +0100\r\nMessage-ID: <t%s@popbell>\r\n\r\nHello.\r\n' \
    "$2" "$1" "$3" "$N_DELIVERED" >"$f"
  mv "$f" "$dir/new/"
}

start_popbell() {
  export POPBELL_NO_SYSTEM_BUS=1 POPBELL_MIN_INTERVAL=1
  G_MESSAGES_DEBUG=popbell "$POPBELL" "$@" >"$LOG" 2>&1 &
  POPBELL_PID=$!
}

# Completed POP3 sessions so far: the protocol trace's QUIT answers, or,
# for a session that deleted nothing, the QUIT that needs none (issue 9).
SESSION_END_RE='S: [+]OK Logging out|QUIT written; nothing was deleted'
sessions() { grep -cE "$SESSION_END_RE" "$LOG" || true; }

# wait_for TIMEOUT_S CMD...: until CMD succeeds.
wait_for() {
  # POPBELL_TEST_TIME_FACTOR: slow builds (tools/test's sanitizer pass)
  # stretch every wait alike.
  local t=$(( $1 * ${POPBELL_TEST_TIME_FACTOR:-1} )); shift
  local end=$(( $(date +%s%N) + t * 1000000000 ))
  until "$@"; do
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    kill -0 "$POPBELL_PID" 2>/dev/null || fail "popbell exited"
    sleep 0.05
  done
}
sessions_at_least() { [ "$(sessions)" -ge "$1" ]; }

# json_get EXPR: evaluate a Python expression over the JSON on stdin (as j).
json_get() { "$PY" -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# The Notify calls captured so far (x-session.sh --monitor), as JSON.
notify_calls() {
  $NOTES calls | "$PY" -c 'import json,sys; print(json.dumps([c for c in json.load(sys.stdin) if c.get("member") == "Notify"]))'
}
n_notify() { notify_calls | json_get 'len(j)'; }
n_notify_is() { [ "$(n_notify)" = "$1" ]; }

screenshot() {
  local name=$1
  import -window root "$XS_DIR/$name" || return 0
  if [ -n "$OUT" ]; then mkdir -p "$OUT"; cp "$XS_DIR/$name" "$OUT/$name"; fi
}

# The tray item's signals as a host would receive them: every
# org.kde.StatusNotifierItem and com.canonical.dbusmenu signal on the bus,
# plus our own markers (sni_mark), in $XS_DIR/sni-signals.txt.
SNI_SIGNALS=$XS_DIR/sni-signals.txt
N_MARKS=0
start_sni_monitor() {
  dbus-monitor --session "type=signal,interface=org.kde.StatusNotifierItem" \
    "type=signal,interface=com.canonical.dbusmenu" "type=signal,interface=io.github.popbell.Test" \
    >"$SNI_SIGNALS" 2>"$XS_DIR/sni-monitor.log" &
  SNI_MONITOR_PID=$!
  # Its first line (NameAcquired) says it is live.
  local end=$(( $(date +%s%N) + 20 * 1000000000 ))
  until [ -s "$SNI_SIGNALS" ]; do
    [ "$(date +%s%N)" -lt "$end" ] || fail "dbus-monitor did not start"
    sleep 0.05
  done
}
# A barrier: the bus delivers messages in order, so once the monitor has
# written our marker it has written every signal sent before it — in
# particular all signals popbell sent before it answered our last call.
sni_mark() {
  N_MARKS=$((N_MARKS + 1))
  gdbus emit --session --object-path /io/github/popbell/Test --signal io.github.popbell.Test.Mark "$N_MARKS" >/dev/null
  marked() { grep -A1 'member=Mark$' "$SNI_SIGNALS" | grep -q "int32 $N_MARKS\$"; }
  wait_for 10 marked || fail "the signal monitor did not see marker $N_MARKS"
}
# Tray signals seen so far (call sni_mark first).
sni_signals() { grep -cE '^signal .*interface=(org\.kde\.StatusNotifierItem|com\.canonical\.dbusmenu);' "$SNI_SIGNALS" || true; }
# popbell's own account of its tray updates ("Tray item updated: N signals").
tray_updates() { grep -c 'Tray item updated:' "$LOG" || true; }
# The update that follows the last completed POP3 session has happened.
updated_after_last_session() { updated_after "$SESSION_END_RE"; }
# A tray update follows the last log line matching the regex $1.
updated_after() {
  awk -v re="$1" '$0 ~ re { s = NR } /Tray item updated:/ { u = NR } END { exit !(s > 0 && u > s) }' "$LOG"
}

# A loopback port nobody listens on (connection refused).
closed_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Visible top-level windows of popbell (preview, popped-up menus).
popbell_windows() { xdotool search --onlyvisible --class Popbell 2>/dev/null | wc -l; }
