#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# Retakes the screenshots of data/screenshots/ (README): every window and
# notification, in English and German, on a 1024×768 screen. The real
# applet against a private Dovecot, in a private session with a
# StatusNotifierItem tray and dunst:
#
#   tests/support/x-session.sh --screen 1024x768x24 --keyring --tray sni -- \
#     data/screenshots/take-screenshots.sh _build-test/src/popbell
#
# The uninstalled popbell reads the build's own catalogues, so LANGUAGE
# picks the language.
POPBELL=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../tests/ui/applet-lib.sh"
XS_SUPPORT_DIR=${XS_SUPPORT_DIR:-$HERE/../../tests/support}

shot() { import -window root "$HERE/$1" && echo "# $1"; }
app() {
  gdbus call --session --dest io.github.popbell.Popbell --object-path /io/github/popbell/Popbell \
    --method org.gtk.Actions.Activate "$1" "${2:-[]}" '{}' >/dev/null
}
dunst_clear() { gdbus call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications --method org.dunstproject.cmd0.NotificationCloseAll >/dev/null 2>&1 || true; }

start_dovecot
closed=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
add_account work alice
add_account home bob "$(printf 'host=127.0.0.1\n')"
sed -i "/^\[account home\]/,/^\[/ s/^port=.*/port=$closed/" "$XDG_CONFIG_HOME/popbell/accounts.ini"

restart() {
  if [ -n "$POPBELL_PID" ]; then kill -TERM "$POPBELL_PID" 2>/dev/null || true; wait "$POPBELL_PID" || true; fi
  POPBELL_PID=
  dunst_clear
  start_popbell
  wait_for 20 sessions_at_least 1 || fail "no first check"
}

for lang in en de; do
  case $lang in en) export LANGUAGE=C LANG=C.UTF-8 ;; de) export LANGUAGE=de LANG=C.UTF-8 ;; esac
  rm -rf "$XDG_STATE_HOME/popbell"
  restart
  for _ in 1 2; do "$POPBELL" --check-now; sleep 1; done   # the closed port: a problem episode
  sleep 2
  shot "notification-problem-$lang.png"
  dunst_clear

  deliver alice "Jürgen Weiß <jw@example.org>" "Grüße aus Köln – der Bericht"
  deliver alice "Carol Smith <carol@example.org>" "Lunch on Friday?"
  "$POPBELL" --check-now
  wait_for 20 sessions_at_least 2 || fail "no second check"
  sleep 2
  shot "notification-$lang.png"
  dunst_clear
  app preview
  sleep 3
  shot "preview-$lang.png"

  restart
  app preferences
  sleep 2
  shot "preferences-$lang.png"
  app edit-account "[<'work'>]"
  sleep 2
  shot "account-editor-$lang.png"
done
kill -TERM "$POPBELL_PID" 2>/dev/null || true
echo ok
