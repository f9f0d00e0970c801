#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""What a mail checker costs while idle (issue 9): Popbell's applet,
gnubiff and Mailnag, one after the other, against the same account on a
private Dovecot (POP3 over TLS, three messages, nothing new arriving), each
checking it every INTERVAL seconds. Each runs until its first check is
done, then is measured over SECONDS of idling:

- private memory at the end: RssAnon (/proc/PID/status), PSS and its
  anonymous part (/proc/PID/smaps_rollup);
- CPU time and wakeups: `perf stat -I` counts task-clock and
  context-switches of all the tool's threads, also of threads that start
  and end meanwhile (a wakeup costs at least one switch), in slices of
  SLICE ms. A slice belongs to a check when it overlaps the time from one
  second before the check's first line in Dovecot's log to two seconds
  after its last; the other slices are the time between checks.

Run by bench.py (`--idle SECONDS`) inside a private session with a tray
and a keyring: tests/support/x-session.sh --tray sni --keyring -- idle.py.
Writes the figures as JSON (--json). It is a benchmark, not a test.
"""
import argparse
import datetime
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
USER, PASSWORD = "alice", "alicepw"   # tests/support/dovecot.sh's account
SLICE_MS = 250


def log(msg):
    print(f"idle: {msg}", file=sys.stderr, flush=True)


# --- Dovecot's log: when the account was checked -------------------------------------

class DovecotLog:
    def __init__(self, path):
        self.path = path

    def lines(self):
        with open(self.path, errors="replace") as f:
            return [l for l in f if "pop3-login:" in l or f"pop3({USER})" in l]

    def logouts(self):
        return sum(1 for l in self.lines() if f"pop3({USER})" in l and "Disconnected" in l)

    def checks(self, since, until):
        """[(first, last)] wall-clock times of the checks: log lines of
        connections less than 10 s apart are one check (gnubiff connects
        twice per check, 3 s apart)."""
        year = datetime.datetime.now().year
        times = []
        for line in self.lines():
            try:
                stamp = datetime.datetime.strptime(f"{year} {line[:15]}", "%Y %b %d %H:%M:%S")
            except ValueError:
                continue
            t = stamp.replace(tzinfo=datetime.datetime.now().astimezone().tzinfo).timestamp()
            # the log has whole seconds: the line was written during [t, t + 1)
            if since - 1 <= t <= until:
                times.append(t)
        groups = []
        for t in sorted(times):
            if groups and t - groups[-1][1] < 10:
                groups[-1][1] = t
            else:
                groups.append([t, t])
        return [(a, b + 1) for a, b in groups]


# --- the tools ------------------------------------------------------------------------

class Tool:
    name = "?"

    def __init__(self, args, dovecot):
        self.args = args
        self.dovecot = dovecot

    def version(self):
        return "?"

    def start(self, out):
        raise NotImplementedError


class Popbell(Tool):
    name = "Popbell"

    def version(self):
        rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                             capture_output=True, text=True).stdout.strip()
        return f"Popbell {rev} (applet)"

    def start(self, out):
        conf = os.path.join(os.environ["XDG_CONFIG_HOME"], "popbell")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "accounts.ini"), "w") as f:
            f.write(f"[account bench]\nhost=127.0.0.1\nport={self.dovecot['POP3S_PORT']}\n"
                    f"security=tls\nusername={USER}\ntls-ca-file={self.dovecot['POP3_CAFILE']}\n"
                    f"interval={self.args.interval}\n")
        env = dict(os.environ, POPBELL_MIN_INTERVAL="1")
        subprocess.run([self.args.popbell, "--set-password", "bench"], input=PASSWORD + "\n",
                       text=True, env=env, check=True, stdout=subprocess.DEVNULL)
        return subprocess.Popen([self.args.popbell], env=env, stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL)


class Gnubiff(Tool):
    """gnubiff in its GTK applet window (no GNOME panel here), configured in
    ~/.gnubiffrc. Debian builds it --with-password: a password in the file
    is read as the mailbox's password once the file says it is of this
    version (older files kept it in another form)."""
    name = "gnubiff"

    def version(self):
        out = subprocess.run(["gnubiff", "--version"], capture_output=True, text=True)
        text = (out.stdout + out.stderr).strip().splitlines()
        return text[0] if text else "gnubiff"

    def start(self, out):
        # "gnubiff version 2.2.17 CVS"
        ver = next((w for w in self.version().split() if w[:1].isdigit()), "2.2.17")
        rc = f"""<?xml version="1.0"?>
<configuration-file>
  <mailbox>
    <parameter name="address" value="127.0.0.1"/>
    <parameter name="authentication" value="certificate"/>
    <parameter name="certificate" value="{self.dovecot['POP3_CAFILE']}"/>
    <parameter name="delay" value="{self.args.interval}"/>
    <parameter name="name" value="bench"/>
    <parameter name="password" value="{PASSWORD}"/>
    <parameter name="protocol" value="pop3"/>
    <parameter name="use_other_port" value="true"/>
    <parameter name="other_port" value="{self.dovecot['POP3S_PORT']}"/>
    <parameter name="port" value="{self.dovecot['POP3S_PORT']}"/>
    <parameter name="username" value="{USER}"/>
  </mailbox>
  <general>
    <parameter name="use_newmail_command" value="false"/>
  </general>
  <information>
    <parameter name="version" value="{ver}"/>
  </information>
</configuration-file>
"""
        path = os.path.join(os.environ["HOME"], ".gnubiffrc")
        with open(path, "w") as f:
            f.write(rc)
        os.chmod(path, 0o600)
        return subprocess.Popen(["gnubiff", "--noconfigure"], stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL)


# Mailnag logs every message to syslog (/dev/log) as well; a desktop has
# journald there, this machine may have nothing, and then every message
# costs a failed connect and a traceback. The launcher points its syslog
# handler at a socket of ours that reads and drops, as journald would.
MAILNAG_LAUNCHER = r'''
import logging.handlers, runpy, sys
_init = logging.handlers.SysLogHandler.__init__
def init(self, address="/dev/log", *args, **kwargs):
    _init(self, sys.argv[1] if address == "/dev/log" else address, *args, **kwargs)
logging.handlers.SysLogHandler.__init__ = init
sys.argv = ["/usr/bin/mailnag", "--quiet"]   # as its autostart entry runs it
runpy.run_path("/usr/bin/mailnag", run_name="__main__")
'''


class Mailnag(Tool):
    """The Mailnag daemon with one POP3 account (~/.config/mailnag/mailnag.cfg),
    its password in the keyring where Mailnag looks it up, as mailnag-config
    would store it. poll_interval is in minutes."""
    name = "Mailnag"

    def version(self):
        out = subprocess.run(["mailnag", "--version"], capture_output=True, text=True)
        return (out.stdout + out.stderr).strip() or "mailnag"

    def start(self, out):
        minutes = max(1, round(self.args.interval / 60))
        conf = os.path.join(os.environ["XDG_CONFIG_HOME"], "mailnag")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "mailnag.cfg"), "w") as f:
            f.write(f"[core]\npoll_interval = {minutes}\nautostart = 0\n\n"
                    f"[account1]\nenabled = 1\ntype = pop3\nname = bench\nuser = {USER}\n"
                    f"server = 127.0.0.1\nport = {self.dovecot['POP3S_PORT']}\nssl = 1\n")
        import gi
        gi.require_version("Secret", "1")
        from gi.repository import Secret
        schema = Secret.Schema.new("com.github.pulb.mailnag", Secret.SchemaFlags.NONE,
                                   {"id": Secret.SchemaAttributeType.STRING})
        account_id = hashlib.md5((USER + "127.0.0.1" + str(False)).encode()).hexdigest()
        Secret.password_store_sync(schema, {"id": account_id}, Secret.COLLECTION_DEFAULT,
                                   f"Mailnag password for account {USER}@127.0.0.1",
                                   PASSWORD, None)
        self.syslog = os.path.join(os.environ["XDG_RUNTIME_DIR"], "syslog")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(self.syslog)

        def drain():
            while True:
                sock.recv(65536)
        threading.Thread(target=drain, daemon=True).start()
        # Python's ssl module takes the CA from SSL_CERT_FILE (the test CA).
        env = dict(os.environ, SSL_CERT_FILE=self.dovecot["POP3_CAFILE"])
        return subprocess.Popen([sys.executable, "-c", MAILNAG_LAUNCHER, self.syslog], env=env,
                                stdout=out, stderr=out, stdin=subprocess.DEVNULL)


TOOLS = {"popbell": Popbell, "gnubiff": Gnubiff, "mailnag": Mailnag}


# --- measuring ------------------------------------------------------------------------

def memory(pid):
    fig = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "VmRSS", "Threads"):
                fig[key] = int(value.split()[0])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Pss", "Pss_Anon"):
                fig[key] = int(value.split()[0])
    return fig


def perf_slices(pid, seconds, path):
    """task-clock (ms) and context switches of @pid's threads per slice:
    [(end time, cpu_ms, switches)]."""
    t0 = time.time()
    subprocess.run(["perf", "stat", "-x,", "-I", str(SLICE_MS), "-o", path,
                    "-e", "task-clock,context-switches", "-p", str(pid),
                    "--", "sleep", str(seconds)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slices = {}
    with open(path) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) < 4 or line.startswith("#"):
                continue
            try:
                rel = float(parts[0])
                value = float(parts[1])
            except ValueError:
                continue   # "<not counted>"
            entry = slices.setdefault(rel, [0.0, 0])
            if parts[3] == "task-clock":
                entry[0] = value        # msec
            elif parts[3] == "context-switches":
                entry[1] = int(value)
    return [(t0 + rel, cpu, sw) for rel, (cpu, sw) in sorted(slices.items())]


def measure(tool, args, dovecot, dlog, scratch):
    name = tool.name
    fig = {"tool": name, "version": tool.version()}
    out = open(os.path.join(scratch, f"{name}.log"), "wb")
    before = dlog.logouts()
    proc = tool.start(out)
    try:
        deadline = time.monotonic() + args.first_check_timeout
        while dlog.logouts() <= before:
            if proc.poll() is not None:
                raise RuntimeError(f"exited with status {proc.returncode} before checking")
            if time.monotonic() > deadline:
                raise RuntimeError(f"did not check the account within {args.first_check_timeout} s")
            time.sleep(0.2)
        time.sleep(args.settle)
        log(f"{name}: first check done; measuring {args.seconds} s")
        t_start = time.time()
        slices = perf_slices(proc.pid, args.seconds, os.path.join(scratch, f"{name}.perf"))
        t_end = time.time()
        if proc.poll() is not None:
            raise RuntimeError(f"exited with status {proc.returncode} while idling")
        fig.update(memory(proc.pid))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
    windows = [(a - 1, b + 2) for a, b in dlog.checks(t_start, t_end)]
    fig["checks"] = sum(1 for a, b in windows if t_start <= a + 1 <= t_end)
    in_check = [0.0, 0]
    between = [0.0, 0]
    for end, cpu, sw in slices:
        begin = end - SLICE_MS / 1000
        target = in_check if any(begin < b and end > a for a, b in windows) else between
        target[0] += cpu
        target[1] += sw
    checks = max(fig["checks"], 1)
    gaps = args.seconds / args.interval     # idle stretches of one interval each
    fig.update({
        "cpu_ms": in_check[0] + between[0],
        "cpu_ms_per_check": in_check[0] / checks,
        "cpu_ms_between": between[0] / gaps,
        "wakeups": in_check[1] + between[1],
        "wakeups_per_check": in_check[1] / checks,
        "wakeups_between": between[1] / gaps,
    })
    log(f"{name}: {fig}")
    return fig


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--popbell", required=True, help="the popbell binary")
    ap.add_argument("--seconds", type=int, default=180, help="idle time measured per tool")
    ap.add_argument("--interval", type=int, default=60, help="check interval in seconds")
    ap.add_argument("--tools", default="popbell,gnubiff,mailnag")
    ap.add_argument("--settle", type=float, default=5.0,
                    help="seconds after the first check before measuring")
    ap.add_argument("--first-check-timeout", type=int, default=60)
    ap.add_argument("--json", required=True, help="where to write the figures")
    args = ap.parse_args()
    for need in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "XDG_RUNTIME_DIR"):
        if need not in os.environ:
            sys.exit(f"idle.py: {need} is not set: run it in tests/support/x-session.sh")
    if shutil.which("perf") is None:
        sys.exit("idle.py: perf (Debian: linux-perf) is needed to count wakeups")

    scratch = os.environ.get("XS_DIR") or os.environ["XDG_RUNTIME_DIR"]
    env = dict(os.environ, DOVECOT_OWNER_PID=str(os.getpid()))
    text = subprocess.run([os.path.join(ROOT, "tests", "support", "dovecot.sh"), "start"],
                          env=env, check=True, capture_output=True, text=True).stdout
    dovecot = dict(line.split("=", 1) for line in text.split() if "=" in line)
    dlog = DovecotLog(os.path.join(dovecot["DOVECOT_DIR"], "dovecot.log"))
    results = {"seconds": args.seconds, "interval": args.interval, "slice_ms": SLICE_MS,
               "tools": []}
    try:
        for key in args.tools.split(","):
            tool = TOOLS[key](args, dovecot)
            log(f"starting {tool.name}")
            try:
                results["tools"].append(measure(tool, args, dovecot, dlog, scratch))
            except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                logfile = os.path.join(scratch, f"{tool.name}.log")
                tail = ""
                if os.path.exists(logfile):
                    with open(logfile, errors="replace") as f:
                        tail = " | ".join(f.read().strip().splitlines()[-3:])
                results["tools"].append({"tool": tool.name, "version": tool.version(),
                                         "error": f"{e}" + (f" ({tail})" if tail else "")})
                log(f"{tool.name}: {e}")
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    finally:
        subprocess.run([os.path.join(ROOT, "tests", "support", "dovecot.sh"), "stop",
                        dovecot["DOVECOT_DIR"]], check=False, capture_output=True)


if __name__ == "__main__":
    main()
