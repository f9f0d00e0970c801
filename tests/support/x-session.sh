#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# A private graphical session for UI tests: runs COMMAND with
#   - HOME and XDG_* in a fresh temp dir (XDG_RUNTIME_DIR 0700),
#     GSETTINGS_BACKEND=memory, NO_AT_BRIDGE=1
#   - a private D-Bus session bus WITHOUT service activation (nothing the
#     system installs can be auto-started; we start each service ourselves)
#   - Xvfb on a free display (-displayfd), checked with xdpyinfo
#   - dunst as the notification server, private config, long history
#   - optionally a tray host, gnome-keyring, a dbus-monitor capture
# and tears everything down by PID afterwards (also on Ctrl-C / errors).
#
#   tests/support/x-session.sh [options] [--] COMMAND [ARGS...]
#     --tray sni       status-notifier-watcher + gtk-sni-tray-standalone (SNI host)
#     --tray watcher   status-notifier-watcher only (items register, nothing visible)
#     --tray own       the project's minimal watcher, sni-watcher.py --host (a
#                      watcher and host independent of any desktop's tray);
#                      its events go to $XS_DIR/watcher-events.jsonl
#     --tray xembed    trayer (XEmbed system tray; AppIndicator falls back to it
#                      when no StatusNotifierWatcher runs)
#     --tray none      no tray host (default)
#     --no-notifications   do not start dunst
#     --keyring        gnome-keyring-daemon, login keyring unlocked with
#                      password "popbell-test-keyring"
#     --monitor        record every org.freedesktop.Notifications message
#                      (dbus-monitor --binary) in $XS_DIR/notifications.dbus;
#                      read it with notifications-probe.py calls
#     --screen WxHxD   Xvfb screen (default 800x600x24)
#     --keep           keep $XS_DIR after the run (logs, screenshots)
#
# COMMAND sees these variables (also printed on stderr as "export ..."):
#   DISPLAY DBUS_SESSION_BUS_ADDRESS HOME XDG_CONFIG_HOME XDG_STATE_HOME
#   XDG_CACHE_HOME XDG_DATA_HOME XDG_RUNTIME_DIR
#   XS_DIR            the session's temp dir (logs: xvfb.log dunst.log ...)
#   XS_XVFB_PID XS_DUNST_PID XS_WATCHER_PID XS_TRAY_PID XS_KEYRING_PID (if started)
#   XS_TRAY           none | sni | watcher | own | xembed
#   XS_SUPPORT_DIR    this directory (sni-probe.py, notifications-probe.py)
#   XS_PYTHON         /usr/bin/python3 (has python3-gi)
# Exit status: COMMAND's; 77 when a required program is missing (skip),
# unless POPBELL_TEST_REQUIRE_SERVICES=1, then 1.
#
# dunst is configured so that tests can act like a user: middle click =
# do_action + close, left click = close, context menu via "dmenu" =
# $XS_DIR/dmenu (a script that picks the line matching $XS_DMENU_PICK,
# default the first one). Notifications stay 60 s (urgency low/normal)
# unless the sender sets a timeout.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRAY=none NOTIFY=1 KEYRING=0 MONITOR=0 SCREEN=800x600x24 KEEP=0
while [ $# -gt 0 ]; do
  case $1 in
    --tray) TRAY=${2:?--tray needs sni, watcher, own, xembed or none}; shift 2 ;;
    --tray=*) TRAY=${1#*=}; shift ;;
    --no-notifications) NOTIFY=0; shift ;;
    --keyring) KEYRING=1; shift ;;
    --monitor) MONITOR=1; shift ;;
    --screen) SCREEN=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --) shift; break ;;
    -*) echo "x-session.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: x-session.sh [options] [--] COMMAND [ARGS...]" >&2; exit 2; }
case $TRAY in none|sni|watcher|own|xembed) ;; *) echo "x-session.sh: bad --tray $TRAY" >&2; exit 2 ;; esac

missing() {
  if [ "${POPBELL_TEST_REQUIRE_SERVICES:-}" = 1 ]; then
    echo "x-session.sh: FAIL: $1 is missing (required: POPBELL_TEST_REQUIRE_SERVICES=1)" >&2; exit 1
  fi
  echo "x-session.sh: SKIP: $1 is missing" >&2; exit 77
}
need=(dbus-daemon Xvfb xdpyinfo gdbus)
[ "$NOTIFY" = 1 ] && need+=(dunst)
[ "$MONITOR" = 1 ] && need+=(dbus-monitor)
[ "$KEYRING" = 1 ] && need+=(gnome-keyring-daemon)
case $TRAY in
  sni) need+=(status-notifier-watcher gtk-sni-tray-standalone) ;;
  watcher) need+=(status-notifier-watcher) ;;
  xembed) need+=(trayer) ;;
esac
for p in "${need[@]}"; do command -v "$p" >/dev/null || missing "$p"; done
[ -x /usr/bin/python3 ] || missing /usr/bin/python3

XS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/popbell-xsession.XXXXXX")
PIDS=()
cleanup() {
  local rc=$? p i
  trap - EXIT INT TERM
  # Reverse order: clients before the bus and the X server they use.
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do kill -TERM "${PIDS[i]}" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then echo "x-session.sh: kept $XS_DIR" >&2; else rm -rf "$XS_DIR"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() { echo "x-session.sh: $*" >&2; for f in "$XS_DIR"/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }

# Services start slowly on a loaded CI machine: every wait below has a
# budget in wall-clock seconds (not a number of tries, each of which may
# itself take long), generous but well inside the tests' meson timeouts.
START_BUDGET=20
# until_ok SECONDS CMD...: runs CMD until it succeeds; 1 once SECONDS passed.
until_ok() {
  local end=$(( $(date +%s%N) + $1 * 1000000000 )); shift
  until "$@"; do
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.025
  done
}
# alive PID WHAT: fails the session when the service exited.
alive() { kill -0 "$1" 2>/dev/null || fail "$2 exited"; }

# Isolate BEFORE starting anything: every service inherits this environment.
export HOME=$XS_DIR/home XDG_RUNTIME_DIR=$XS_DIR/run
export XDG_CONFIG_HOME=$HOME/.config XDG_STATE_HOME=$HOME/.local/state \
       XDG_CACHE_HOME=$HOME/.cache XDG_DATA_HOME=$HOME/.local/share
export GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1
mkdir -p "$XDG_CONFIG_HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS DBUS_STARTER_ADDRESS DBUS_STARTER_BUS_TYPE

# --- D-Bus: a bus configuration without <servicedir>, so no activation -------
# The <limit>s are those of a desktop's session bus (dbus's own session.conf,
# /usr/share/dbus-1/session.conf on Debian), not dbus-daemon's built-in ones,
# which are meant for the system bus: with 128 pending replies per connection
# a bulk keyring search for 1,000 accounts (libsecret asks for every item at
# once) fails here but never on a desktop. Copied rather than included: that
# file also brings service directories (activation) and a listen address.
cat >"$XS_DIR/bus.conf" <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$XDG_RUNTIME_DIR</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_incoming_unix_fds">250000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_outgoing_unix_fds">250000000</limit>
  <limit name="max_message_size">1000000000</limit>
  <limit name="service_start_timeout">120000</limit>
  <limit name="auth_timeout">240000</limit>
  <limit name="pending_fd_timeout">150000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_pending_service_starts">10000</limit>
  <limit name="max_names_per_connection">50000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
XML
dbus-daemon --config-file="$XS_DIR/bus.conf" --nofork --nopidfile --print-address=3 \
  3>"$XS_DIR/bus-address" 2>"$XS_DIR/dbus.log" &
XS_DBUS_PID=$!; PIDS+=("$XS_DBUS_PID")
bus_up() { alive "$XS_DBUS_PID" dbus-daemon; [ -s "$XS_DIR/bus-address" ]; }
until_ok "$START_BUDGET" bus_up || fail "dbus-daemon did not start within $START_BUDGET s"
DBUS_SESSION_BUS_ADDRESS=$(head -n1 "$XS_DIR/bus-address")
export DBUS_SESSION_BUS_ADDRESS

has_owner() {
  timeout 5 gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.NameHasOwner "$1" 2>/dev/null | grep -q true
}
wait_owner() {   # NAME PID WHAT
  owned() { alive "$2" "$3 (before owning $1)"; has_owner "$1"; }
  until_ok "$START_BUDGET" owned "$@" || fail "$3 did not own $1 within $START_BUDGET s"
}

# --- X: Xvfb picks a free display and writes its number to fd 3 ---------------
Xvfb -displayfd 3 -screen 0 "$SCREEN" -nolisten tcp -noreset 3>"$XS_DIR/display" 2>"$XS_DIR/xvfb.log" &
XS_XVFB_PID=$!; PIDS+=("$XS_XVFB_PID")
display_known() { alive "$XS_XVFB_PID" Xvfb; [ -s "$XS_DIR/display" ]; }
until_ok "$START_BUDGET" display_known || fail "Xvfb did not start within $START_BUDGET s"
export DISPLAY=:$(head -n1 "$XS_DIR/display")
# The display number comes before the server accepts clients: wait for that.
x_accepts() { alive "$XS_XVFB_PID" Xvfb; xdpyinfo >/dev/null 2>&1; }
until_ok "$START_BUDGET" x_accepts || fail "Xvfb on $DISPLAY does not accept clients"

# --- optional: notification capture ------------------------------------------
if [ "$MONITOR" = 1 ]; then
  dbus-monitor --binary --session "interface=org.freedesktop.Notifications" \
    "type=method_return,sender=org.freedesktop.Notifications" \
    >"$XS_DIR/notifications.dbus" 2>"$XS_DIR/monitor.log" &
  XS_MONITOR_PID=$!; PIDS+=("$XS_MONITOR_PID")
  # It becomes a monitor asynchronously; its first message (NameAcquired)
  # says it is live. Without it the tests would miss notifications.
  monitoring() { alive "$XS_MONITOR_PID" dbus-monitor; [ -s "$XS_DIR/notifications.dbus" ]; }
  until_ok "$START_BUDGET" monitoring || fail "dbus-monitor did not start within $START_BUDGET s"
fi

# --- notifications: dunst --------------------------------------------------------
if [ "$NOTIFY" = 1 ]; then
  cat >"$XS_DIR/dmenu" <<'SH'
#!/bin/sh
# dunst's context menu: one line per action ("#Label [summary]") on stdin;
# print the chosen one. XS_DMENU_PICK: a grep -E pattern (default: first line).
if [ -n "${XS_DMENU_PICK:-}" ]; then grep -m1 -E -- "$XS_DMENU_PICK"; else head -n1; fi
SH
  chmod +x "$XS_DIR/dmenu"
  cat >"$XS_DIR/dunstrc" <<RC
[global]
    dmenu = $XS_DIR/dmenu
    browser = /bin/true
    mouse_left_click = close_current
    mouse_middle_click = do_action, close_current
    mouse_right_click = context
    geometry = "360x5-10+10"
    font = DejaVu Sans 10
    history_length = 200
    sticky_history = yes
    show_indicators = no
    idle_threshold = 0
[urgency_low]
    timeout = 60
[urgency_normal]
    timeout = 60
[urgency_critical]
    timeout = 0
RC
  dunst -config "$XS_DIR/dunstrc" >"$XS_DIR/dunst.log" 2>&1 &
  XS_DUNST_PID=$!; PIDS+=("$XS_DUNST_PID")
  wait_owner org.freedesktop.Notifications "$XS_DUNST_PID" dunst
fi

# --- keyring ---------------------------------------------------------------------
if [ "$KEYRING" = 1 ]; then
  printf %s popbell-test-keyring | gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$XS_DIR/keyring.log" 2>&1 &
  XS_KEYRING_PID=$!; PIDS+=("$XS_KEYRING_PID")
  wait_owner org.freedesktop.secrets "$XS_KEYRING_PID" gnome-keyring-daemon
  # It owns the name before the login keyring from --unlock exists: wait
  # until the default collection is there and unlocked.
  login_ready() {
    alive "$XS_KEYRING_PID" gnome-keyring-daemon
    local path
    path=$(timeout 5 gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets \
      --method org.freedesktop.Secret.Service.ReadAlias default 2>/dev/null |
      sed -n "s/^(objectpath '\(\/org\/[^']*\)',)$/\1/p")
    [ -n "$path" ] &&
      timeout 5 gdbus call --session --dest org.freedesktop.secrets --object-path "$path" \
        --method org.freedesktop.DBus.Properties.Get org.freedesktop.Secret.Collection Locked \
        2>/dev/null | grep -q '<false>'
  }
  until_ok "$START_BUDGET" login_ready || fail "gnome-keyring-daemon has no unlocked login keyring"
fi

# --- tray hosts --------------------------------------------------------------------
case $TRAY in
  sni|watcher)
    status-notifier-watcher >"$XS_DIR/watcher.log" 2>&1 &
    XS_WATCHER_PID=$!; PIDS+=("$XS_WATCHER_PID")
    wait_owner org.kde.StatusNotifierWatcher "$XS_WATCHER_PID" status-notifier-watcher
    if [ "$TRAY" = sni ]; then
      gtk-sni-tray-standalone --top --end --size 32 --color "#dddddd" >"$XS_DIR/tray.log" 2>&1 &
      XS_TRAY_PID=$!; PIDS+=("$XS_TRAY_PID")
      # Items that register before a host does are shown all the same,
      # but an application may decide on "no tray" meanwhile: wait for it.
      host_registered() {
        alive "$XS_TRAY_PID" gtk-sni-tray-standalone
        timeout 5 gdbus call --session --dest org.kde.StatusNotifierWatcher --object-path /StatusNotifierWatcher \
          --method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher \
          IsStatusNotifierHostRegistered 2>/dev/null | grep -q true
      }
      until_ok "$START_BUDGET" host_registered ||
        fail "gtk-sni-tray-standalone registered no host within $START_BUDGET s"
    fi ;;
  own)
    /usr/bin/python3 "$HERE/sni-watcher.py" --host --log "$XS_DIR/watcher-events.jsonl" \
      >"$XS_DIR/watcher.log" 2>&1 &
    XS_WATCHER_PID=$!; PIDS+=("$XS_WATCHER_PID")
    wait_owner org.kde.StatusNotifierWatcher "$XS_WATCHER_PID" sni-watcher.py ;;
  xembed)
    trayer --edge top --align right --widthtype request --height 32 --iconspacing 4 \
      --transparent false --tint 0xdddddd --SetDockType true >"$XS_DIR/tray.log" 2>&1 &
    XS_TRAY_PID=$!; PIDS+=("$XS_TRAY_PID")
    # trayer owns the _NET_SYSTEM_TRAY_S0 selection once it can embed
    # icons, after it mapped its panel.
    panel_up() { alive "$XS_TRAY_PID" trayer; xwininfo -root -tree 2>/dev/null | grep -q '"panel": ("panel" "trayer")'; }
    until_ok "$START_BUDGET" panel_up || fail "trayer showed no panel within $START_BUDGET s" ;;
esac

export XS_DIR XS_TRAY=$TRAY XS_SUPPORT_DIR=$HERE XS_PYTHON=/usr/bin/python3 XS_XVFB_PID XS_DBUS_PID
for v in XS_DUNST_PID XS_KEYRING_PID XS_WATCHER_PID XS_TRAY_PID XS_MONITOR_PID; do
  if [ -n "${!v:-}" ]; then export "${v?}"; fi
done
{
  for v in DISPLAY DBUS_SESSION_BUS_ADDRESS HOME XDG_CONFIG_HOME XDG_STATE_HOME XDG_CACHE_HOME \
           XDG_DATA_HOME XDG_RUNTIME_DIR XS_DIR XS_TRAY XS_XVFB_PID XS_DBUS_PID XS_DUNST_PID \
           XS_KEYRING_PID XS_WATCHER_PID XS_TRAY_PID; do
    if [ -n "${!v:-}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
  done
} | sed 's/^/x-session.sh: /' >&2

rc=0
"$@" || rc=$?
exit "$rc"
