#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""The POP3 check benchmark behind tools/bench (issue 9): Popbell
`--check-once` side by side with `mpop --status-only`, `fetchmail --check
--uidl` and the Mailnag pattern (USER/PASS, LIST, TOP n 0 for every
message), against a private Dovecot, through a relay that adds a round-trip
time and counts round trips and bytes.

Run by tools/bench inside a private session (tests/support/x-session.sh
--keyring): DBUS_SESSION_BUS_ADDRESS reaches an unlocked gnome-keyring.

Figures per run: wall time; round trips (the TCP connect plus every time
the client wrote after having read from the server, counted by the relay);
bytes each way; CPU (user + system) and peak RSS of the process (wait4);
bytes it caused to be written to disk (write_bytes of /proc/self/io, which
takes in a child's counters when it is reaped). Every case runs --runs
times, tools interleaved within each run; tables show the median and the
spread (min-max).
"""
import argparse
import asyncio
import datetime
import json
import os
import platform
import poplib
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Logs and scratch that must not count as disk writes (tmpfs).
SCRATCH = os.environ.get("BENCH_SCRATCH") or (
    "/dev/shm/popbell-bench-%d" % os.getpid() if os.path.isdir("/dev/shm") else "/tmp")
PASSWORD = "benchpw"


# --- the relay ---------------------------------------------------------------------

class Relay:
    """TCP relay on loopback: delays every chunk by half the RTT in each
    direction (the connect too), counts per connection the bytes each way
    and the client's turns. Runs an asyncio loop in a thread."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.delay = 0.0
        self.conns = []
        self.open_now = self.open_peak = 0
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()
        self.ready.wait()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=2048))
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _pump(self, reader, writer, st, direction):
        queue = asyncio.Queue()

        async def sender():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    writer.write(data)
                    await writer.drain()
                except (ConnectionError, RuntimeError):
                    pass
            try:
                writer.write_eof()
            except (OSError, RuntimeError):
                pass

        task = asyncio.ensure_future(sender())
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                with self.lock:
                    st["bytes_" + direction] += len(data)
                    if st["last"] != direction:
                        st["turns_" + direction] += 1
                        st["last"] = direction
                await queue.put((time.monotonic() + self.delay, data))
        except ConnectionError:
            pass
        if direction == "c2s":
            self._client_closed(st)
        await queue.put((0, None))
        await task

    def _client_closed(self, st):
        """A connection counts as open from the client's connect until the
        client closes it (a client that drops it after writing QUIT has no
        connection open while the server still answers)."""
        with self.lock:
            if st["open"]:
                st["open"] = False
                self.open_now -= 1

    async def _handle(self, cr, cw):
        st = {"bytes_c2s": 0, "bytes_s2c": 0, "turns_c2s": 0, "turns_s2c": 0,
              "last": None, "open": True}
        with self.lock:
            self.conns.append(st)
            self.open_now += 1
            self.open_peak = max(self.open_peak, self.open_now)
        try:
            await asyncio.sleep(self.delay)    # the SYN's one-way delay
            sr, sw = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(self._pump(cr, sw, st, "c2s"), self._pump(sr, cw, st, "s2c"))
            for w in (sw, cw):
                w.close()
        except OSError:
            pass
        finally:
            self._client_closed(st)

    def reset(self, rtt_ms):
        with self.lock:
            self.delay = rtt_ms / 2000.0
            self.conns = []
            self.open_peak = self.open_now

    def collect(self):
        """Totals over the connections since reset(), once all closed."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.lock:
                if all(not c["open"] for c in self.conns):
                    break
            time.sleep(0.01)
        with self.lock:
            conns = list(self.conns)
        return {
            "connections": len(conns),
            "peak_connections": self.open_peak,
            # the connect, then every turn of the client
            "round_trips": sum(1 + c["turns_c2s"] for c in conns),
            "bytes_sent": sum(c["bytes_c2s"] for c in conns),
            "bytes_received": sum(c["bytes_s2c"] for c in conns),
        }


# --- measuring a process -----------------------------------------------------------

def write_bytes():
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0


TIME_FILE = None


def limit_files():
    # The usual desktop limit (issue 9: a thousand accounts under it).
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def measure(argv, env, relay, rtt_ms, log=None):
    """Runs @argv under GNU time: Linux keeps a process's peak RSS across
    exec, so a child forked from this (large) Python would report Python's.
    time(1) is small; its child's figures are the tool's own."""
    global TIME_FILE
    if TIME_FILE is None:
        TIME_FILE = os.path.join(SCRATCH, "bench-time")
    relay.reset(rtt_ms)
    # Logs on tmpfs: what a tool prints must not count as its disk writes.
    out = open(os.path.join(SCRATCH, log), "ab") if log else subprocess.DEVNULL
    if log:
        out.write(b"bench-run-start\n")
        out.flush()
    disk0 = write_bytes()
    t0 = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-o", TIME_FILE, "-f", "%x %M"] + argv,
                            env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                            preexec_fn=limit_files)
    # CPU from wait4 (µs, time(1)'s own share is negligible and includes the
    # reaped tool's); time(1) only reports in 10 ms steps.
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    wall = time.monotonic() - t0
    disk = write_bytes() - disk0   # time(1) reaped the tool: its counters are in ours
    if log:
        out.close()
    with open(TIME_FILE) as f:
        last = f.read().strip().splitlines()[-1].split()
    status, rss = int(last[0]), int(last[1])
    figures = relay.collect()
    figures.update({
        "status": status,
        "wall_ms": wall * 1000,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000,
        "rss_kib": rss,
        "disk_bytes": disk,
    })
    return figures


# --- mailboxes ---------------------------------------------------------------------

class Mailbox:
    """A Dovecot user with N generated messages in its maildir."""

    def __init__(self, dovecot_dir, user, n, uid, gid):
        self.user = user
        self.maildir = os.path.join(dovecot_dir, "mail", user, "Maildir")
        self.uid, self.gid = uid, gid
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        self.serial = 0
        self._generate(n)
        self._chown()
        with open(os.path.join(dovecot_dir, "passwd"), "a") as f:
            f.write(f"{user}:{{PLAIN}}{PASSWORD}::::::\n")

    def _chown(self):
        # The directories; the files _generate() wrote are the mail user's.
        if os.getuid() == 0:
            for path in [os.path.dirname(self.maildir), self.maildir] + [
                    os.path.join(self.maildir, sub) for sub in ("cur", "new", "tmp")]:
                os.chown(path, self.uid, self.gid)

    def _message(self):
        self.serial += 1
        i = self.serial
        name = f"{1700000000 + i}.M{i}P{os.getpid()}.bench"
        body = (f"From: Sender {i % 97} <sender{i % 97}@example.test>\r\n"
                f"To: {self.user}@example.test\r\n"
                f"Subject: Benchmark message {i}\r\n"
                f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
                f"Message-ID: <{i}.{self.user}@bench.example.test>\r\n\r\n"
                f"Body of message {i}.\r\nA second line.\r\n")
        return name, body.encode()

    def _generate(self, n):
        """The initial messages, straight into cur/: Dovecot has not seen
        this maildir yet, so the tmp/ and rename of add() buy nothing, and
        100,000 messages take seconds instead of a minute. Owned by the
        mail user from the start (no second pass over the files)."""
        cur = os.path.join(self.maildir, "cur")
        chown = os.getuid() == 0
        for _ in range(n):
            name, body = self._message()
            fd = os.open(os.path.join(cur, name + ":2,"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                os.write(fd, body)
                if chown:
                    os.fchown(fd, self.uid, self.gid)
            finally:
                os.close(fd)

    def add(self, where="new"):
        name, body = self._message()
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(body)
        if os.getuid() == 0:
            os.chown(tmp, self.uid, self.gid)
        final = os.path.join(self.maildir, where, name + (":2," if where == "cur" else ""))
        os.rename(tmp, final)
        return final

    def remove(self, path):
        """Removes a message wherever Dovecot moved it (new/ to cur/, with
        flags appended to the name)."""
        base = os.path.basename(path).split(":", 1)[0]
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(self.maildir, sub)):
                if name.split(":", 1)[0] == base:
                    os.unlink(os.path.join(self.maildir, sub, name))
                    return
        raise FileNotFoundError(path)

    def oldest(self):
        names = sorted(os.listdir(os.path.join(self.maildir, "cur")),
                       key=lambda n: int(n.split(".", 1)[0]))
        return os.path.join(self.maildir, "cur", names[0])


# --- the tools ---------------------------------------------------------------------

class Tool:
    name = "?"

    def __init__(self, bench, work):
        self.bench = bench
        self.work = work
        os.makedirs(work, exist_ok=True)

    def available(self, n, rtt_ms):
        return True

    def reset(self):
        """Forget what the last check saw (the next one is a baseline)."""

    def check(self, mailboxes, rtt_ms):
        raise NotImplementedError

    def failed_accounts(self, mailboxes):
        """How many accounts the last check did not get through (-1: unknown)."""
        return -1


class Popbell(Tool):
    name = "Popbell"

    def __init__(self, bench, work):
        super().__init__(bench, work)
        self.env = dict(os.environ)
        self.env.update({
            "XDG_CONFIG_HOME": os.path.join(work, "config"),
            "XDG_STATE_HOME": os.path.join(work, "state"),
            "XDG_CACHE_HOME": os.path.join(work, "cache"),
            "POPBELL_NO_SYSTEM_BUS": "1",
            "GSETTINGS_BACKEND": "memory",
        })
        self.env.pop("G_MESSAGES_DEBUG", None)
        os.makedirs(os.path.join(work, "config", "popbell"), exist_ok=True)
        self.configured = None
        self.passwords = set()

    def _configure(self, mailboxes):
        key = tuple(m.user for m in mailboxes)
        if self.configured == key:
            return
        lines = []
        for m in mailboxes:
            lines.append(f"[account {m.user}]\nhost=127.0.0.1\nport={self.bench.relay.port}\n"
                         f"security=none\nallow-insecure-auth=true\nauth=user\n"
                         f"username={m.user}\ninterval=3600\ntimeout=120\n")
        with open(os.path.join(self.work, "config", "popbell", "accounts.ini"), "w") as f:
            f.write("\n".join(lines))
        missing = [m for m in mailboxes if m.user not in self.passwords]
        if len(missing) > 5:
            # Many accounts: straight into the keyring, as --set-password does
            # (SPEC §1: schema io.github.popbell.Account, host + user).
            import gi
            gi.require_version("Secret", "1")
            from gi.repository import Secret
            schema = Secret.Schema.new("io.github.popbell.Account", Secret.SchemaFlags.NONE,
                                       {"host": Secret.SchemaAttributeType.STRING,
                                        "user": Secret.SchemaAttributeType.STRING})
            for m in missing:
                Secret.password_store_sync(schema, {"host": "127.0.0.1", "user": m.user},
                                           Secret.COLLECTION_DEFAULT, f"Popbell: {m.user}",
                                           PASSWORD, None)
                self.passwords.add(m.user)
        for m in mailboxes:
            if m.user not in self.passwords:
                subprocess.run([self.bench.popbell, "--set-password", m.user], env=self.env,
                               input=PASSWORD + "\n", text=True, check=True,
                               stdout=subprocess.DEVNULL)
                self.passwords.add(m.user)
        self.configured = key

    def reset(self):
        shutil.rmtree(os.path.join(self.work, "state"), ignore_errors=True)

    def check_json(self, mailboxes, rtt_ms):
        return self.check(mailboxes, rtt_ms)

    def failed_accounts(self, mailboxes):
        # --check-once prints "NAME: failed (...)" for each account not ok
        with open(os.path.join(SCRATCH, self.name + ".log"), errors="replace") as f:
            text = f.read()
        tail = text[text.rfind("bench-run-start"):] if "bench-run-start" in text else text
        return sum(1 for line in tail.splitlines() if ": failed (" in line)

    def check(self, mailboxes, rtt_ms):
        self._configure(mailboxes)
        return measure([self.bench.popbell, "--check-once"], self.env, self.bench.relay, rtt_ms,
                       log=self.name + ".log")


class Mpop(Tool):
    name = "mpop"

    def _conf(self, mailboxes):
        path = os.path.join(self.work, "mpoprc")
        with open(path, "w") as f:
            f.write("defaults\nhost 127.0.0.1\nport %d\ntls off\nauth user\n"
                    "password %s\nuidls_file %s/uidls-%%U\ndelivery mda /bin/true\n\n"
                    % (self.bench.relay.port, PASSWORD, self.work))
            for m in mailboxes:
                f.write(f"account {m.user}\nuser {m.user}\n\n")
        os.chmod(path, 0o600)
        return path

    def reset(self):
        for name in os.listdir(self.work):
            if name.startswith("uidls-"):
                os.unlink(os.path.join(self.work, name))

    def check(self, mailboxes, rtt_ms):
        conf = self._conf(mailboxes)
        argv = ["mpop", "-C", conf, "--status-only", "--quiet"]
        argv += ["--all-accounts"] if len(mailboxes) > 1 else [mailboxes[0].user]
        return measure(argv, os.environ, self.bench.relay, rtt_ms,
                       log=self.name + ".log")


class Fetchmail(Tool):
    name = "fetchmail"

    def _conf(self, mailboxes):
        path = os.path.join(self.work, "fetchmailrc")
        with open(path, "w") as f:
            f.write(f"set idfile \"{self.work}/fetchids\"\n")
            for m in mailboxes:
                f.write(f"poll 127.0.0.1 port {self.bench.relay.port} protocol pop3 uidl "
                        f"user \"{m.user}\" password \"{PASSWORD}\" sslproto ''\n")
        os.chmod(path, 0o600)
        return path

    def reset(self):
        try:
            os.unlink(os.path.join(self.work, "fetchids"))
        except FileNotFoundError:
            pass

    def check(self, mailboxes, rtt_ms):
        conf = self._conf(mailboxes)
        env = dict(os.environ, FETCHMAILHOME=self.work)
        return measure(["fetchmail", "--check", "--uidl", "-f", conf,
                        "--pidfile", os.path.join(self.work, "pid")],
                       env, self.bench.relay, rtt_ms, log=self.name + ".log")


MAILNAG_PATTERN = r'''
import poplib, sys
port, users, password = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3]
for user in users:
    c = poplib.POP3("127.0.0.1", port, timeout=120)
    c.user(user); c.pass_(password)
    listing = c.list()[1]
    for line in listing:
        c.top(int(line.split()[0]), 0)
    c.quit()
'''


class Mailnag(Tool):
    """What Mailnag's POP3 backend does every check: log in, LIST, and TOP
    n 0 for every message (it keeps no UIDL state of its own)."""
    name = "Mailnag pattern"

    def available(self, n, rtt_ms):
        # one round trip per message: skipped where a run would take long
        return n <= 10000 and n * rtt_ms <= 10000

    def check(self, mailboxes, rtt_ms):
        return measure([sys.executable, "-c", MAILNAG_PATTERN, str(self.bench.relay.port),
                        ",".join(m.user for m in mailboxes), PASSWORD],
                       os.environ, self.bench.relay, rtt_ms, log=self.name + ".log")


# --- the benchmark -----------------------------------------------------------------

CASES = ["baseline", "unchanged", "ten new", "one deleted + one new"]
FIGURES = [("wall_ms", "ms", "{:.0f}"), ("round_trips", "round trips", "{:.0f}"),
           ("bytes_received", "bytes in", "{:.0f}"), ("bytes_sent", "bytes out", "{:.0f}"),
           ("cpu_ms", "CPU ms", "{:.0f}"), ("rss_kib", "peak RSS KiB", "{:.0f}"),
           ("disk_bytes", "disk bytes", "{:.0f}")]
ACCOUNT_FIGURES = FIGURES + [("peak_connections", "open at once", "{:.0f}"),
                             ("failed", "not ok", "{:.0f}")]


class Bench:
    def __init__(self, args):
        self.args = args
        self.popbell = os.path.abspath(args.popbell)
        self.work = os.path.abspath(args.work)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        # The server must not be the bottleneck of the many-accounts case:
        # Dovecot's default is 100 processes per service.
        env = dict(os.environ, DOVECOT_OWNER_PID=str(os.getpid()),
                   DOVECOT_EXTRA="default_process_limit = 1200\n"
                                 "default_client_limit = 4000\n"
                                 "service pop3-login {\n  process_min_avail = 4\n}\n"
                                 "service anvil {\n  client_limit = 5000\n}\n"
                                 "service auth {\n  client_limit = 5000\n}\n")
        out = subprocess.run([os.path.join(ROOT, "tests", "support", "dovecot.sh"), "start"],
                             env=env, check=True, capture_output=True, text=True).stdout
        self.dovecot = dict(line.split("=", 1) for line in out.split() if "=" in line)
        st = os.stat(self.dovecot["MAILDIR_ALICE"])
        self.mail_uid, self.mail_gid = st.st_uid, st.st_gid
        self.relay = Relay(int(self.dovecot["POP3_PORT"]))
        # The revision the measured binary was built from (tools/bench
        # builds right before): taken now, not when the report is written.
        # "-dirty" when the sources differ from it; the report itself (which
        # a run rewrites) does not count.
        self.revision = subprocess.run(["git", "-C", ROOT, "describe", "--always"],
                                       capture_output=True, text=True).stdout.strip()
        changed = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no",
                                  "--", ".", ":!docs/benchmarks.md"],
                                 capture_output=True, text=True).stdout.strip()
        if changed:
            self.revision += "-dirty"

        self.results = {}   # (n, rtt, case, tool) -> [figures]
        self.idle = None    # idle.py's figures
        self.state_bench = []   # bench-state's lines
        self.notes = []

    def close(self):
        subprocess.run([os.path.join(ROOT, "tests", "support", "dovecot.sh"), "stop",
                        self.dovecot["DOVECOT_DIR"]], check=False)

    def mailbox(self, user, n):
        print(f"bench: generating {user} with {n} messages", file=sys.stderr)
        box = Mailbox(self.dovecot["DOVECOT_DIR"], user, n, self.mail_uid, self.mail_gid)
        return box

    def record(self, key, figures):
        self.results.setdefault(key, []).append(figures)
        if figures["status"] not in (0, 1):   # fetchmail -c: 1 = no mail
            self.notes.append(f"{key}: exit status {figures['status']}")

    def sequence(self, tool, box, n, rtt):
        """One tool through the cases on one mailbox, which it leaves as it
        found it (same count; the restored message has a new UIDL, which the
        next sequence's baseline absorbs)."""
        tool.reset()
        self.record((n, rtt, "baseline", tool.name), tool.check([box], rtt))
        self.record((n, rtt, "unchanged", tool.name), tool.check([box], rtt))
        added = [box.add() for _ in range(10)]
        self.record((n, rtt, "ten new", tool.name), tool.check([box], rtt))
        victim = box.oldest()
        with open(victim) as f:
            kept = f.read()
        box.remove(victim)
        added.append(box.add())
        self.record((n, rtt, "one deleted + one new", tool.name), tool.check([box], rtt))
        for path in added:
            box.remove(path)
        with open(victim, "w") as f:
            f.write(kept)
        if os.getuid() == 0:
            os.chown(victim, self.mail_uid, self.mail_gid)

    def runs_for(self, n):
        return self.args.size_runs.get(n, self.args.runs)

    def runs_done(self, what, rtt):
        return max((len(v) for k, v in self.results.items() if k[:2] == (what, rtt)), default=0)

    def first_login(self, user):
        """Logs in as @user straight to Dovecot until it works. Dovecot
        re-reads its passwd file at most once a second: users added within
        the second of its last look are unknown to it until a later one
        (without this, the first accounts of a pass failed "auth"). The
        STAT makes Dovecot build the mailbox's index, part of no figure."""
        deadline = time.monotonic() + 30
        while True:
            try:
                c = poplib.POP3("127.0.0.1", int(self.dovecot["POP3_PORT"]), timeout=120)
                try:
                    c.user(user)
                    c.pass_(PASSWORD)
                    c.stat()
                finally:
                    c.quit()
                return
            except poplib.error_proto:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def run_size(self, n, tools):
        box = self.mailbox(f"m{n}", n)
        self.first_login(box.user)
        for rtt in self.args.rtt:
            for run in range(self.runs_for(n)):
                order = list(tools)
                random.Random(run).shuffle(order)
                for tool in order:
                    if not tool.available(n, rtt):
                        self.notes.append(f"{n:,} messages, {rtt} ms: {tool.name} not run "
                                          f"(a TOP per message, ~{n * max(rtt, 1) // 1000} s "
                                          f"per check)")
                    else:
                        print(f"bench: {n} messages, {rtt} ms, run {run + 1}, {tool.name}",
                              file=sys.stderr)
                        self.sequence(tool, box, n, rtt)

    def run_accounts(self, count, tools):
        boxes = [self.mailbox(f"a{i}", 10) for i in range(count)]
        self.first_login(boxes[-1].user)   # all of them, added at once
        what = f"{count} accounts of 10 messages"
        for rtt in self.args.rtt:
            for run in range(self.args.account_runs):
                for tool in tools:
                    if tool.name == "Mailnag pattern":
                        continue
                    # mpop and fetchmail check one account after the other:
                    # ~7 round trips each, minutes per run behind 50 ms.
                    if tool.name != "Popbell" and rtt * count > 10000:
                        self.notes.append(f"{what}, {rtt} ms: {tool.name} not run (it checks "
                                          f"accounts one after the other, ~{7 * rtt * count // 1000} s "
                                          f"per run)")
                        continue
                    print(f"bench: {what}, {rtt} ms, run {run + 1}, {tool.name}", file=sys.stderr)
                    tool.reset()
                    for case in ("baseline", "unchanged"):
                        figures = tool.check(boxes, rtt)
                        figures["failed"] = tool.failed_accounts(boxes)
                        self.record((what, rtt, case, tool.name), figures)

    def run_idle(self):
        """The idle applets (idle.py), in a private session of their own:
        Popbell's applet needs a tray, Mailnag a notification server."""
        out = os.path.join(SCRATCH, "idle.json")
        print(f"bench: idle applets, {self.args.idle} s each", file=sys.stderr)
        proc = subprocess.run(
            [os.path.join(ROOT, "tests", "support", "x-session.sh"), "--tray", "sni", "--keyring",
             "--", "/usr/bin/python3", os.path.join(ROOT, "tests", "bench", "idle.py"),
             "--popbell", self.popbell, "--seconds", str(self.args.idle),
             "--interval", str(self.args.idle_interval), "--tools", self.args.idle_tools,
             "--json", out], check=False)
        try:
            with open(out) as f:
                self.idle = json.load(f)
        except (OSError, ValueError):
            self.notes.append(f"idle applets: not measured (idle.py exit status {proc.returncode})")

    def idle_lines(self):
        idle = self.idle
        if not idle:
            return []
        lines = [
            f"## Idle applet, one account checked every {idle['interval']} s, nothing new",
            "",
            "Each tool in turn (`tests/bench/idle.py`) checks the same account of a private",
            "Dovecot (POP3 over TLS, 3 messages) in a private session with a tray and a",
            "notification server: Popbell's applet, gnubiff in its applet window, the",
            "Mailnag daemon as its autostart entry runs it (`mailnag --quiet`; its syslog",
            "messages go to a socket that drops them, as journald would take them).",
            f"Each is measured over {idle['seconds']} s of idling from 5 s after",
            "its first check: *RssAnon* and *PSS* (and its anonymous part) at the end, from",
            "/proc; *CPU* (task-clock) and *wakeups* (context switches of all its threads, also",
            f"of threads that end meanwhile) from `perf stat` in {idle['slice_ms']} ms slices. A slice",
            "belongs to a check when it overlaps the time from 1 s before the check's first",
            "line in Dovecot's log to 2 s after its last; *per check* divides by the checks",
            f"seen, *between checks* by the {idle['interval']} s intervals idled.",
            "",
            "| tool | checks | RssAnon KiB | PSS KiB | PSS anon KiB | threads | CPU ms per check "
            "| CPU ms between checks | wakeups per check | wakeups between checks |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for t in idle["tools"]:
            if "error" in t:
                why = t["error"].replace("|", "/")
                lines.append(f"| {t['tool']} | not measured: {why} |" + " |" * 8)
                continue
            lines.append(
                f"| {t['tool']} | {t['checks']} | {t['RssAnon']} | {t['Pss']} | {t['Pss_Anon']} "
                f"| {t['Threads']} | {t['cpu_ms_per_check']:.1f} | {t['cpu_ms_between']:.1f} "
                f"| {t['wakeups_per_check']:.1f} | {t['wakeups_between']:.1f} |")
        return lines + [""]

    def run_state_bench(self):
        """tests/core/bench-state: the state store at 100,000 UIDs (the CPU of
        diff + state for one new message, and what a save writes)."""
        if not self.args.bench_state:
            return
        try:
            out = subprocess.run([self.args.bench_state], capture_output=True, text=True,
                                 timeout=600, check=True).stdout
            self.state_bench = [l for l in out.splitlines() if l.strip()]
        except (OSError, subprocess.SubprocessError) as e:
            self.notes.append(f"bench-state: not run ({e})")

    def median_of(self, key, figure):
        runs = self.results.get(key)
        values = [r[figure] for r in runs or [] if r.get(figure) is not None]
        return statistics.median(values) if values else None

    def target_lines(self):
        """Issue 9's targets, judged on this run's medians."""
        def verdict(ok):
            return "met" if ok else "**missed**"

        lines = ["## Issue 9 targets, judged on this run", ""]
        for n in sorted({k[0] for k in self.results if isinstance(k[0], int) and k[1] == 50}):
            pb = lambda case, fig: self.median_of((n, 50, case, "Popbell"), fig)
            rt, got = pb("unchanged", "round_trips"), pb("unchanged", "bytes_received")
            ms, rt10 = pb("unchanged", "wall_ms"), pb("ten new", "round_trips")
            if rt is None:
                continue
            parts = [f"unchanged in {rt:.0f} round trips (≤ 3: {verdict(rt <= 3)}), "
                     f"{got:.0f} bytes received in all (≤ 1 KB after login: {verdict(got <= 1024)})"]
            for other in ("mpop", "fetchmail"):
                theirs = self.median_of((n, 50, "unchanged", other), "wall_ms")
                if theirs:
                    parts.append(f"median {ms:.0f} ms = {ms / theirs:.2f} × {other}'s "
                                 f"(≤ 0.5: {verdict(ms <= 0.5 * theirs)})")
            if rt10 is not None:
                parts.append(f"ten new in {rt10:.0f} round trips (≤ 5: {verdict(rt10 <= 5)})")
            lines.append(f"- {n:,} messages, 50 ms: " + "; ".join(parts) + ".")
        for what in sorted({k[0] for k in self.results if isinstance(k[0], str)}):
            for rtt in self.args.rtt:
                runs = [r for case in ("baseline", "unchanged")
                        for r in self.results.get((what, rtt, case, "Popbell"), [])]
                if not runs:
                    continue
                failed = max(r.get("failed", 0) for r in runs)
                conns = max(r.get("peak_connections", 0) for r in runs)
                rss = max(r.get("rss_kib", 0) for r in runs)
                disk = [r.get("disk_bytes", 0) for r in self.results.get((what, rtt, "unchanged", "Popbell"), [])]
                lines.append(
                    f"- {what}, {rtt} ms, `ulimit -n 1024`: {failed} not ok at worst "
                    f"(all ok: {verdict(failed == 0)}); at most {conns} connections open "
                    f"(≤ 8: {verdict(conns <= 8)}); peak RSS {rss / 1024:.0f} MB "
                    f"(< 300 MB: {verdict(rss < 300 * 1024)}); an unchanged pass wrote "
                    f"{max(disk) if disk else '?'} bytes at most (0: {verdict(bool(disk) and max(disk) == 0)}).")
        for line in self.state_bench:
            if "1 new" in line:
                cpu = float(line.split(":", 1)[1].split("ms")[0])
                lines.append(f"- 100,000 UIDs, one new message (`tests/core/bench-state`): {cpu:.1f} ms "
                             f"CPU for load + diff + save (≤ 50 ms: {verdict(cpu <= 50)}), "
                             f"{line.split('save),', 1)[1].split(',')[0].strip()} written "
                             "(proportional to the change).")
        for t in (self.idle or {}).get("tools", []):
            if t.get("tool") == "Popbell" and "error" not in t:
                lines.append(
                    f"- Idle applet: {t['wakeups_per_check']:.0f} wakeups per check with nothing "
                    f"new (≤ 30: {verdict(t['wakeups_per_check'] <= 30)}), "
                    f"{t['wakeups_between']:.1f} between checks (≤ 2: {verdict(t['wakeups_between'] <= 2)}), "
                    f"RssAnon {t['RssAnon'] / 1024:.1f} MB (no more than ~5 MB: "
                    f"{verdict(t['RssAnon'] <= 5 * 1024)}).")
        return lines + [""]

    def write(self, path, tools):
        def cell(values, fmt):
            med = statistics.median(values)
            lo, hi = min(values), max(values)
            if lo == hi:
                return fmt.format(med)
            return f"{fmt.format(med)} ({fmt.format(lo)}–{fmt.format(hi)})"

        def version(argv):
            try:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
                text = (out.stdout + out.stderr).strip().splitlines()
                return next((l for l in text if "WARNING" not in l), "?").strip()
            except OSError:
                return "not installed"

        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        keys = sorted({(k[0], k[1]) for k in self.results},
                      key=lambda x: (isinstance(x[0], str), x[0] if not isinstance(x[0], str) else 0, x[1]))
        # Tables with another number of runs (--size-runs, --account-runs)
        fewer = {}
        for what, rtt in keys:
            done = self.runs_done(what, rtt)
            if done != self.args.runs:
                fewer.setdefault(f"{what:,} messages" if not isinstance(what, str) else what,
                                 set()).add(done)
        runs = f"{self.args.runs} run{'s' if self.args.runs != 1 else ''} per case"
        if fewer:
            runs += " (" + "; ".join(f"{w}: {', '.join(map(str, sorted(d)))}"
                                     for w, d in fewer.items()) + ")"
        lines = [
            "# Benchmarks",
            "",
            "Generated by `tools/bench` (see the README); do not edit by hand.",
            f"Run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"{runs}, tools interleaved within each run.",
            "",
            "## Machine and versions",
            "",
            f"- {platform.system()} {platform.release()}, {os.cpu_count()} × {cpu}",
            f"- Popbell {self.revision}",
            f"- {version(['mpop', '--version'])}",
            f"- {version(['fetchmail', '--version'])}",
            f"- Dovecot {version(['dovecot', '--version'])}",
            f"- Mailnag pattern: Python {platform.python_version()} poplib",
        ] + [f"- {t['version']} (idle)" for t in (self.idle or {}).get("tools", [])
             if t["tool"] != "Popbell"] + [
            "",
        ] + self.target_lines() + [
            "## How to read the tables",
            "",
            "Each cell is the median of the runs, with the spread (min–max) when the runs",
            "differ. *Round trips*: the TCP connect plus every time the client wrote after",
            "having read from the server, counted by the relay that adds the round-trip",
            "time (half of it each way, the connect included). *Bytes in/out*: what the",
            "client received/sent. *CPU*: user + system time of the process (wait4);",
            "*peak RSS*: time(1)'s maximum resident set; *disk bytes*: write_bytes of /proc",
            "(page granular, fsync'd or not). Metadata counts too where the file system",
            "dirties it in the reader's name (ext4 without a journal): the first read of a",
            "file after it was written updates its access time (relatime), 4 KiB per inode",
            "block that is not still dirty — e.g. an *unchanged* check of many accounts",
            "right after the *baseline* that wrote their state files. The mailbox is plain",
            "POP3 on loopback (USER/PASS), generated messages",
            "of ~250 bytes. mpop and fetchmail keep their UIDL files as configured",
            "(`uidls_file`, `idfile`); the Mailnag pattern keeps nothing and TOPs every",
            "message each time, so it is run only where that takes seconds, not hours.",
            "Cases: *baseline* (no state yet), *unchanged* (the same mailbox again), *ten",
            "new*, *one deleted + one new*.",
            "",
        ]
        big = sorted(n for n, r in self.args.size_runs.items()
                     if r != self.args.runs and any(k[0] == n for k in keys))
        if big:
            lines += [
                f"At {', '.join(f'{n:,}' for n in big)} messages every check that lists the",
                "mailbox moves megabytes (UIDL, or LIST too, of every message), so each case",
                "runs " + ", ".join(f"{self.args.size_runs[n]} times" for n in big) +
                " there instead of " + f"{self.args.runs} (`--size-runs`); the Mailnag pattern",
                "is not run (a TOP per message). The mailbox is generated once per size.",
                "",
            ]
        for what, rtt in keys:
            title = f"{what:,} messages" if not isinstance(what, str) else what
            done = self.runs_done(what, rtt)
            more = f" ({done} runs)" if done != self.args.runs else ""
            lines += [f"## {title}, {rtt} ms round trip{more}", ""]
            figures = ACCOUNT_FIGURES if isinstance(what, str) else FIGURES
            lines.append("| case | tool | " + " | ".join(f[1] for f in figures) + " |")
            lines.append("|---|---|" + "---|" * len(figures))
            for case in CASES:
                for tool in tools:
                    runs = self.results.get((what, rtt, case, tool.name))
                    if not runs:
                        continue
                    cells = [cell([r.get(k, -1) for r in runs], fmt) for k, _, fmt in figures]
                    lines.append(f"| {case} | {tool.name} | " + " | ".join(cells) + " |")
            lines.append("")
        lines += self.idle_lines()
        if self.state_bench:
            lines += ["## The state store at 100,000 UIDs (`tests/core/bench-state`)", "", "```"]
            lines += self.state_bench + ["```", ""]
        if self.notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in sorted(set(self.notes))] + [""]
        with open(path, "w") as f:
            f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--popbell", required=True)
    ap.add_argument("--work", required=True, help="scratch directory (on a real disk)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default="10,1000,10000,100000")
    ap.add_argument("--rtt", default="0,50", help="round-trip times in ms")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--size-runs", default="100000=3",
                    help="runs for some sizes instead of --runs, e.g. 100000=3 (each check "
                         "at that size moves megabytes); '' for --runs everywhere")
    ap.add_argument("--accounts", type=int, default=1000, help="0: skip that case")
    ap.add_argument("--account-runs", type=int, default=3)
    ap.add_argument("--tools", default="popbell,mpop,fetchmail,mailnag")
    ap.add_argument("--bench-state", default="",
                    help="tests/core/bench-state of the same build, run once for the report")
    ap.add_argument("--idle", type=int, default=180,
                    help="seconds each idle applet is measured (tests/bench/idle.py); 0: skip")
    ap.add_argument("--idle-interval", type=int, default=60,
                    help="their check interval in seconds (Mailnag's is whole minutes)")
    ap.add_argument("--idle-tools", default="popbell,gnubiff,mailnag")
    args = ap.parse_args()
    args.rtt = [int(x) for x in args.rtt.split(",")]
    sizes = [int(x) for x in args.sizes.split(",") if x]
    args.size_runs = {int(k): int(v) for k, v in
                      (x.split("=", 1) for x in args.size_runs.split(",") if x)}

    os.makedirs(SCRATCH, exist_ok=True)
    # Stopped from outside: still stop Dovecot and keep what was measured.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(args)
    classes = {"popbell": Popbell, "mpop": Mpop, "fetchmail": Fetchmail, "mailnag": Mailnag}
    tools = [classes[t](bench, os.path.join(bench.work, t)) for t in args.tools.split(",")]
    try:
        for n in sizes:
            bench.run_size(n, tools)
            bench.write(args.out, tools)   # partial results survive a later failure
        if args.accounts > 0:
            bench.run_accounts(args.accounts, tools)
            bench.write(args.out, tools)
        if args.idle > 0:
            bench.run_idle()
        bench.run_state_bench()
        bench.write(args.out, tools)
    finally:
        bench.close()
        if SCRATCH.startswith("/dev/shm/popbell-bench-"):
            shutil.rmtree(SCRATCH, ignore_errors=True)
    print(f"bench: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
