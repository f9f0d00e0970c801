#!/usr/bin/env bash
# Private Dovecot POP3 server on loopback for the tests (adapted from the
# project's service recipes): a generated config in a temp dir, no system
# config read, nothing in /etc changed, nothing listening beyond 127.0.0.1.
#
#   dovecot.sh start       start in the background and print shell assignments:
#                          POP3_HOST POP3_PORT POP3S_PORT DOVECOT_DIR DOVECOT_PID
#                          POP3_CAFILE MAILDIR_ALICE MAILDIR_BOB
#   dovecot.sh stop DIR    stop the instance started in DIR and remove DIR
#
# Users alice/alicepw (3 messages) and bob/bobpw (1 message).
# Environment:
#   POP3_PORT / POP3S_PORT   fixed ports (default: free ports from the kernel)
#   PLAINTEXT_AUTH=no        refuse USER/PASS and AUTH PLAIN before TLS on
#                            connections Dovecot does not consider secured
#                            (connect from 127.0.0.2 to see it)
#   REAL_AUTH_DELAYS=1       keep Dovecot's failure delay and per-IP penalty
#   OAUTH2_INTROSPECTION_URL=http://127.0.0.1:PORT/introspect
#                            also offer AUTH XOAUTH2 and OAUTHBEARER: a passdb
#                            of driver oauth2 asks this RFC 7662 service
#                            (introspection_mode=post) whether a bearer token
#                            is active and whose it is (tests/support/
#                            oauth2-server.py); the passwords keep working
#   OAUTH2_MECHANISMS='xoauth2'  which of the two to offer (default both)
#   DOVECOT_EXTRA='...'      extra config lines, e.g.
#                            'auth_mechanisms = plain login apop'
#   DOVECOT_OWNER_PID=PID    the process that owns the instance (default: the
#                            caller of this script). A watchdog stops Dovecot
#                            and removes its directory once that process is
#                            gone, so a test that crashes before its teardown
#                            leaves no server behind.
# Needs: dovecot-core dovecot-pop3d openssl python3
set -euo pipefail

PY=/usr/bin/python3
MODE=${1:?usage: $0 start | stop DIR}

# running = exists and not a zombie (an orphaned master may stay unreaped a while)
alive() { [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'; }

if [ "$MODE" = stop ]; then
  D=${2:?usage: $0 stop DIR}
  if [ -f "$D/dovecot.pid" ]; then
    pid=$(cat "$D/dovecot.pid")
    if alive "$pid"; then
      kill -TERM "$pid"      # the master stops its children; it exits ~1 s later
      for _ in $(seq 100); do alive "$pid" || break; sleep 0.05; done
    fi
  fi
  case "$D" in /tmp/popbell-dovecot.*) rm -rf "$D" ;; esac
  exit 0
fi

free_port() {  # a free loopback port chosen by the kernel
  $PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

T=$(mktemp -d /tmp/popbell-dovecot.XXXXXX)
DOVECOT_PID=
cleanup() {
  if [ -n "$DOVECOT_PID" ] && alive "$DOVECOT_PID"; then
    kill -TERM "$DOVECOT_PID"
    for _ in $(seq 100); do alive "$DOVECOT_PID" || break; sleep 0.05; done
  fi
  rm -rf "$T"
}
# clean up only if we fail before handing over
trap cleanup EXIT; trap 'exit 130' INT TERM

# Ports the kernel handed out and we released may be taken again before
# Dovecot binds them (another test starting at the same moment): then we
# pick new ones and start again, unless the caller fixed them.
FIXED_PORTS=${POP3_PORT:+1}${POP3S_PORT:+1}
pick_ports() {
  [ -n "$FIXED_PORTS" ] && return 0
  POP3_PORT=$(free_port)
  POP3S_PORT=$(free_port)
  while [ "$POP3S_PORT" = "$POP3_PORT" ]; do POP3S_PORT=$(free_port); done
}
pick_ports

# --- identities -------------------------------------------------------------
# As root the master drops privileges: login processes run as
# default_login_user, auth/anvil/stats as default_internal_user, mail access as
# the uid the userdb returns (uid 0 is refused for mail access).  Debian's
# package creates the 'dovecot' and 'dovenull' users; mail belongs to 'nobody'.
# As a normal user everything runs as that user and no privilege is changed.
NONROOT_CONF=; LOGIN_CHROOT=
if [ "$(id -u)" = 0 ]; then
  LOGIN_USER=dovenull; INTERNAL_USER=dovecot; INTERNAL_GROUP=dovecot
  getent passwd dovecot >/dev/null && getent passwd dovenull >/dev/null ||
    { echo "users dovecot/dovenull missing (install dovecot-core)" >&2; exit 1; }
  MAIL_UID=$(id -u nobody); MAIL_GID=$(id -g nobody)
  chmod 755 "$T"                       # the mail user must traverse the temp dir
else
  LOGIN_USER=$(id -un); INTERNAL_USER=$(id -un); INTERNAL_GROUP=$(id -gn)
  # chroot() needs root: run the login and anvil processes unchrooted
  NONROOT_CONF='service anvil {
  chroot =
}'
  LOGIN_CHROOT='    chroot ='
  MAIL_UID=$(id -u); MAIL_GID=$(id -g)
fi

mkdir -p "$T/run" "$T/state" "$T/mail"
# --- TLS: throwaway self-signed cert for localhost / 127.0.0.1 ----------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
  -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
chmod 600 "$T/key.pem"

# --- users: passwd-file, plaintext passwords (test only) -----------------------
cat > "$T/passwd" <<PW
alice:{PLAIN}alicepw::::::
bob:{PLAIN}bobpw::::::
PW

# --- maildirs ---------------------------------------------------------------
mkmsg() {  # mkmsg USER N SUBJECT: one message, written to tmp/ then renamed to new/
  local m="$T/mail/$1/Maildir" f
  f="$(date +%s).P$$Q$2.popbell"
  printf 'From: sender%s@example.test\r\nTo: %s@example.test\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s.%s@example.test>\r\n\r\nbody line 1 of message %s\r\nbody line 2\r\nbody line 3\r\n' \
    "$2" "$1" "$3" "$(date -R)" "$2" "$$" "$2" > "$m/tmp/$f"
  mv "$m/tmp/$f" "$m/new/$f"
}
for u in alice bob; do mkdir -p "$T/mail/$u/Maildir/"{new,cur,tmp}; done
mkmsg alice 1 "first"; mkmsg alice 2 "second"; mkmsg alice 3 "third"
mkmsg bob 1 "hello bob"
chown -R "$MAIL_UID:$MAIL_GID" "$T/mail"

DH=
[ -r /usr/share/dovecot/dh.pem ] && DH="ssl_dh = </usr/share/dovecot/dh.pem"
if [ "${PLAINTEXT_AUTH:-yes}" = no ]; then DPA=yes; else DPA=no; fi
FAST_AUTH=
if [ "${REAL_AUTH_DELAYS:-0}" != 1 ]; then
  # auth_failure_delay=0: a failed login is answered within ~0.5 s (dovecot
  # flushes failures on a 500 ms timer).  Closing the anvil-auth-penalty socket
  # (mode 0) disables the per-IP penalty that otherwise delays the *next*
  # login from 127.0.0.1 by 2..15 s; login_trusted_networks does not skip it.
  FAST_AUTH='auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}'
fi

MECHS='plain login'
OAUTH2_PASSDB=
if [ -n "${OAUTH2_INTROSPECTION_URL:-}" ]; then
  # Dovecot 2.3's oauth2 passdb: the token is POSTed as token=... and the
  # answer must be active and name the user who logged in.
  cat > "$T/dovecot-oauth2.conf.ext" <<OAUTH
introspection_mode = post
introspection_url = $OAUTH2_INTROSPECTION_URL
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
OAUTH
  OAUTH2_MECHS=${OAUTH2_MECHANISMS:-xoauth2 oauthbearer}
  MECHS="plain login $OAUTH2_MECHS"
  OAUTH2_PASSDB="passdb {
  driver = oauth2
  mechanisms = $OAUTH2_MECHS
  args = $T/dovecot-oauth2.conf.ext
}"
fi

write_conf() {
cat > "$T/dovecot.conf" <<CONF
# generated: the only config this instance reads
instance_name = pop3test-$$
base_dir = $T/run
state_dir = $T/state
log_path = $T/dovecot.log
protocols = pop3
listen = 127.0.0.1
default_login_user = $LOGIN_USER
default_internal_user = $INTERNAL_USER
default_internal_group = $INTERNAL_GROUP
first_valid_uid = 1
# 'no' allows USER/PASS and AUTH PLAIN before STLS.  Note: dovecot treats a
# connection whose remote IP equals its local IP (127.0.0.1 -> 127.0.0.1) as
# secured, so plaintext is allowed there even with 'yes'; connect from
# 127.0.0.2 to see the refusal.
disable_plaintext_auth = $DPA
auth_mechanisms = $MECHS
ssl = yes
ssl_cert = <$T/cert.pem
ssl_key = <$T/key.pem
$DH
$OAUTH2_PASSDB
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $T/passwd
}
userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_GID home=$T/mail/%u
}
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
service pop3-login {
$LOGIN_CHROOT
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
$NONROOT_CONF
$FAST_AUTH
${DOVECOT_EXTRA:-}
CONF
}

[ "$MODE" = start ] || { echo "usage: $0 start | stop DIR" >&2; exit 2; }

# start_master: 0 once our master is up and a client gets the "+OK"
# greeting; 1 when it exited or 20 s (wall clock: a loaded CI machine) passed.
start_master() {
  local end=$(( $(date +%s%N) + 20000000000 ))
  setsid /usr/sbin/dovecot -F -c "$T/dovecot.conf" >"$T/stdout" 2>&1 </dev/null &
  DOVECOT_PID=$!
  echo "$DOVECOT_PID" > "$T/dovecot.pid"
  while [ "$(date +%s%N)" -lt "$end" ]; do
    alive "$DOVECOT_PID" || return 1
    if grep -q 'starting up' "$T/dovecot.log" 2>/dev/null &&
       $PY -c "import socket,sys;s=socket.create_connection(('127.0.0.1',$POP3_PORT),1);s.settimeout(1);sys.exit(0 if s.recv(64).startswith(b'+OK') else 1)" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  return 1
}

attempt=1
while :; do
  write_conf
  /usr/bin/doveconf -c "$T/dovecot.conf" -n >/dev/null   # fail early on config errors
  start_master && break
  # the master's last words reach the files late (through its log process)
  for _ in $(seq 40); do grep -qs Fatal "$T/stdout" "$T/dovecot.log" && break; sleep 0.05; done
  if alive "$DOVECOT_PID"; then
    kill -TERM "$DOVECOT_PID"
    for _ in $(seq 100); do alive "$DOVECOT_PID" || break; sleep 0.05; done
  fi
  if [ -z "$FIXED_PORTS" ] && [ "$attempt" -lt 3 ] &&
     grep -qs 'Address already in use' "$T/stdout" "$T/dovecot.log"; then
    echo "dovecot.sh: port $POP3_PORT or $POP3S_PORT was taken meanwhile; new ports" >&2
    attempt=$((attempt + 1))
    rm -f "$T/stdout" "$T/dovecot.log"
    pick_ports
    continue
  fi
  echo "dovecot did not start:" >&2; cat "$T/dovecot.log" "$T/stdout" >&2 2>/dev/null
  exit 1
done

trap - EXIT INT TERM            # success: the instance now belongs to the caller

# The watchdog: detached, with every descriptor closed so that a caller
# reading our output (eval "$(dovecot.sh start)") sees EOF at once.
OWNER=${DOVECOT_OWNER_PID:-$PPID}
setsid bash -c '
  alive() { [ -r "/proc/$1/stat" ] && ! sed "s/.*) //" "/proc/$1/stat" 2>/dev/null | grep -q "^Z"; }
  while alive "$1" && alive "$2"; do sleep 1; done
  exec bash "$3" stop "$4"' watchdog "$OWNER" "$DOVECOT_PID" "$0" "$T" \
  </dev/null >/dev/null 2>&1 &
cat <<ENV
POP3_HOST=127.0.0.1
POP3_PORT=$POP3_PORT
POP3S_PORT=$POP3S_PORT
DOVECOT_DIR=$T
DOVECOT_PID=$DOVECOT_PID
POP3_CAFILE=$T/cert.pem
MAILDIR_ALICE=$T/mail/alice/Maildir
MAILDIR_BOB=$T/mail/bob/Maildir
ENV
exit 0

