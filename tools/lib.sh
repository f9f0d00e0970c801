# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
#
# Shared by tools/test and tools/demo (source it; it defines functions only).
# Debian 12 is the reference system: package names below are Debian's.

# Everything needed to build Popbell and to run its whole test suite against
# real services (Dovecot, gnome-keyring, dunst/Xvfb, tray hosts). apt-get
# runs with --no-install-recommends, so whatever a test touches directly is
# named here even when something else usually drags it in:
#   librsvg2-common    gdk-pixbuf's SVG loader: the tray badge is drawn from
#                      SVG at run time (only a Recommends of the icon theme)
#   libglib2.0-bin     gdbus (x-session.sh);  dbus-bin: dbus-monitor
#   gir1.2-gdkpixbuf-2.0  applet-xembed.sh counts tray pixels from Python
#   notification-daemon   the second, body-markup notification server
#   fonts-dejavu-core  the font dunst is configured with; text in screenshots
#   libgoa-1.0-dev     oauth2-source=goa (the tests' fake GOA service is
#                      python3-gi on the private bus)
POPBELL_PACKAGES=(
  meson ninja-build pkg-config gcc
  libgtk-3-dev libnotify-dev libsecret-1-dev libdbusmenu-gtk3-dev
  libgmime-3.0-dev libjson-glib-dev libxml2-dev libgoa-1.0-dev glib-networking librsvg2-common
  gettext desktop-file-utils appstream
  dovecot-core dovecot-pop3d openssl python3 python3-gi gir1.2-gdkpixbuf-2.0 procps
  dbus dbus-bin libglib2.0-bin gnome-keyring libsecret-tools
  xvfb dunst notification-daemon libnotify-bin xdotool x11-utils imagemagick fonts-dejavu-core
  trayer haskell-status-notifier-item-utils haskell-gtk-sni-tray-utils
)

# What tools/demo needs: build, a private Dovecot, a private keyring, and
# what the applet itself needs at run time in your session.
POPBELL_DEMO_PACKAGES=(
  meson ninja-build pkg-config gcc
  libgtk-3-dev libnotify-dev libsecret-1-dev libdbusmenu-gtk3-dev
  libgmime-3.0-dev libjson-glib-dev libxml2-dev libgoa-1.0-dev glib-networking librsvg2-common
  gettext desktop-file-utils appstream
  dovecot-core dovecot-pop3d openssl python3 procps dbus libglib2.0-bin gnome-keyring libsecret-tools
)

pb_log() { printf '%s: %s\n' "${PB_TOOL:-popbell}" "$*" >&2; }
pb_die() { pb_log "$*"; exit 2; }

pb_repo_root() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  printf '%s\n' "$here"
}

# pb_missing_packages PKG... — prints the ones not installed, one per line.
pb_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || printf '%s\n' "$p"
  done
}

# pb_ensure_packages PKG... — installs what is missing (as root, with apt-get).
# Packages such as dovecot-core would start a system-wide service at install
# time (listening on 110/995); a temporary policy-rc.d forbids that, because
# the tests and the demo run their own private Dovecot.
pb_ensure_packages() {
  command -v dpkg-query >/dev/null || { pb_log "not a Debian system: install the packages of tools/lib.sh by hand"; return 0; }
  local missing
  missing=$(pb_missing_packages "$@" | tr '\n' ' ')
  missing=${missing% }
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    pb_log "these Debian packages are missing: $missing"
    pb_log "install them as root, e.g.:  sudo apt-get install --no-install-recommends $missing"
    pb_log "or run this command as root (it installs them itself), or pass --no-install to try anyway."
    exit 2
  fi
  pb_log "installing: $missing"
  local made_policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from popbell tools/lib.sh: start no services\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         -o Dpkg::Use-Pty=0 $missing >/dev/null || rc=$?
  [ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" = 0 ] || pb_die "apt-get failed (status $rc)"
  missing=$(pb_missing_packages "$@" | tr '\n' ' ')
  [ -z "${missing// /}" ] || pb_die "still missing after apt-get: $missing"
}

# pb_meson_setup BUILDDIR [meson options...] — configures BUILDDIR for the
# repository, reconfiguring an existing one and starting afresh when it is
# stale (another meson version, another source tree, a broken earlier setup).
pb_meson_setup() {
  local builddir=$1; shift
  local root; root=$(pb_repo_root)
  if [ -f "$builddir/meson-private/coredata.dat" ]; then
    local log; log=$(mktemp)
    if meson setup --reconfigure "$builddir" "$root" "$@" >"$log" 2>&1; then
      rm -f "$log"
      return 0
    fi
    pb_log "build dir $builddir is stale; wiping it. meson said:"
    tail -n 5 "$log" >&2 || true
    rm -f "$log"
    rm -rf -- "$builddir"
  elif [ -e "$builddir" ] && [ -n "$(ls -A "$builddir" 2>/dev/null)" ]; then
    # Never delete a directory that is not ours.
    pb_die "$builddir exists and is not a meson build directory; remove it or choose another with --builddir"
  fi
  local out; out=$(mktemp)
  if ! meson setup "$builddir" "$root" "$@" >"$out" 2>&1; then
    cat "$out" >&2; rm -f "$out"
    pb_die "meson setup $builddir failed"
  fi
  rm -f "$out"
}
