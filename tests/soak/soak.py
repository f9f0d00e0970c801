#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""Popbell's soak test: the real applet under faults, checked from outside.

Runs inside tests/support/x-session.sh --keyring --monitor (Xvfb, a private
session bus, dunst, gnome-keyring, a capture of the notification traffic):

  - a private Dovecot (tests/support/dovecot.sh) whose maildir lives in the
    soak's own folder, so that the server can be restarted without losing it
  - the real `popbell` applet, one account, checking every second through a
    fault-injecting relay (chaos_proxy.py: resets, stalls, [IN-USE],
    [SYS/TEMP], drawn from the seed)
  - a driver that delivers messages at random times (sometimes in bursts),
    restarts Dovecot, stops the applet with SIGTERM and starts it again,
    makes the state folder read-only for a while, kills the applet with
    SIGKILL right after a state save (state_watch.py), and deletes messages
    (some already announced, some old, some that arrived while the applet
    was down)

and then judges from the notification server's side (ledger.py): every
delivered message announced, none twice except across a SIGKILL, none old or
deleted; the final `popbell --check-once --json` agrees with the maildir; the
applet's anonymous memory stays flat. Prints a summary table; exit status 1
on any violation, 77 when a service is missing (unless
POPBELL_TEST_REQUIRE_SERVICES=1).

  soak.py --popbell BINARY [--deliveries N] [--seed S] [--minutes M]
          [--fault-rate F] [--keep] [--report FILE]
"""
import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # nothing written into the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bus_stream import CaptureTail, Markers  # noqa: E402
from chaos_proxy import ChaosProxy  # noqa: E402
from ledger import Ledger  # noqa: E402
from memory import rss_anon_kib, summarize_rss  # noqa: E402
from state_watch import StateWatch  # noqa: E402

ACCOUNT = "alice"
APP_ID = "io.github.popbell.Popbell"
SEQ_BASE = 1800000000      # maildir names "<SEQ_BASE+seq>.M<seq>P<pid>.soak": Dovecot's order
WARMUP_S = 20.0            # RSS samples of an instance's first seconds are start-up, not drift


class Violation(Exception):
    pass


async def run_command(args, timeout, env=None, stdin=None, capture=False):
    """Runs @args to its end, or kills it after @timeout s: (status, out, err);
    status None on a timeout."""
    pipe = subprocess.PIPE if capture else subprocess.DEVNULL
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=pipe, stderr=pipe)
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return None, b"", b""
    return proc.returncode, out or b"", err or b""


class Soak:
    def __init__(self, opt):
        self.opt = opt
        self.rng = random.Random(opt.seed)
        self.rng_proxy = random.Random(opt.seed * 7919 + 1)
        self.t0 = time.monotonic()
        self.violations = []
        self.findings = []
        self.sessions = []
        self.rss = []                 # (t, instance, kib, sessions so far)
        self.counts = {"dovecot_restarts": 0, "applet_terms": 0, "kills_aimed": 0,
                       "kills_unaimed": 0, "ro_periods": 0, "crashes": 0,
                       "deleted_old": 0, "deleted_announced": 0, "deleted_while_down": 0,
                       "state_saves": 0}
        self.seq = 0
        self.applet = None
        self.instance = 0
        self.expect_exit = False
        self.dovecot_env = None
        self.ro = False
        self.stopping = False

    # -- logging ------------------------------------------------------------------
    def t(self):
        return time.monotonic() - self.t0

    def log(self, what, **fields):
        line = {"t": round(self.t(), 3), "what": what}
        line.update(fields)
        self.events_file.write(json.dumps(line) + "\n")
        self.events_file.flush()
        if what not in ("deliver", "session", "rss"):
            print("# %7.2f %s %s" % (self.t(), what,
                                     " ".join("%s=%s" % kv for kv in fields.items())), flush=True)

    def violation(self, text):
        self.log("violation", text=text)
        self.violations.append(text)

    # -- setup ----------------------------------------------------------------------
    def setup_dirs(self):
        self.work = tempfile.mkdtemp(prefix="popbell-soak.")
        os.chmod(self.work, 0o755)             # Dovecot's mail user traverses it
        self.maildir = os.path.join(self.work, "mail", ACCOUNT, "Maildir")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub))
        if os.getuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
        for root, dirs, _files in os.walk(os.path.join(self.work, "mail")):
            os.chown(root, self.mail_uid, self.mail_gid)
            for d in dirs:
                os.chown(os.path.join(root, d), self.mail_uid, self.mail_gid)
        self.events_file = open(os.path.join(self.work, "events.jsonl"), "w")
        self.state_dir = os.path.join(os.environ["XDG_STATE_HOME"], "popbell")
        os.makedirs(self.state_dir, exist_ok=True)
        self.config_dir = os.path.join(os.environ["XDG_CONFIG_HOME"], "popbell")
        os.makedirs(self.config_dir, exist_ok=True)
        self.applet_log = open(os.path.join(self.work, "popbell.log"), "ab")

    def free_port(self):
        import socket
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    async def dovecot_start(self):
        env = dict(os.environ)
        if self.dovecot_env is None:
            env["POP3_PORT"], env["POP3S_PORT"] = str(self.free_port()), str(self.free_port())
        else:
            env["POP3_PORT"], env["POP3S_PORT"] = self.dovecot_env["POP3_PORT"], self.dovecot_env["POP3S_PORT"]
        env["DOVECOT_EXTRA"] = "mail_location = maildir:%s/mail/%%u/Maildir" % self.work
        env["DOVECOT_OWNER_PID"] = str(os.getpid())
        for attempt in range(3):
            status, out, err = await run_command(
                ["bash", os.path.join(self.opt.support_dir, "dovecot.sh"), "start"], 60, env=env,
                capture=True)
            if status == 0:
                self.dovecot_env = dict(l.split("=", 1) for l in out.decode().split("\n") if "=" in l)
                return
            self.log("dovecot-start-failed", attempt=attempt, stderr=err.decode()[-400:])
            await asyncio.sleep(1)
        raise Violation("Dovecot did not start again on port %s" % env["POP3_PORT"])

    async def dovecot_stop(self):
        if self.dovecot_env is None:
            return
        await run_command(["bash", os.path.join(self.opt.support_dir, "dovecot.sh"), "stop",
                           self.dovecot_env["DOVECOT_DIR"]], 30)

    def write_account(self):
        with open(os.path.join(self.config_dir, "accounts.ini"), "w") as f:
            f.write("[account %s]\nhost=127.0.0.1\nport=%d\nsecurity=none\nauth=user\n"
                    "allow-insecure-auth=true\nusername=alice\ninterval=%d\ntimeout=%d\n"
                    % (ACCOUNT, self.proxy.port, self.opt.interval, self.opt.timeout))
        r = subprocess.run([self.opt.popbell, "--set-password", ACCOUNT], input=b"alicepw\n",
                           env=self.applet_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=30)
        if r.returncode != 0:
            raise Violation("--set-password failed: %s" % r.stderr.decode()[-300:])

    def applet_env(self):
        env = dict(os.environ)
        env.update(G_MESSAGES_DEBUG="popbell", POPBELL_NO_SYSTEM_BUS="1",
                   POPBELL_MIN_INTERVAL="1", LC_ALL="C.UTF-8", LANGUAGE="")
        return env

    # -- mail ----------------------------------------------------------------------------
    def file_name(self, seq):
        return "%d.M%06dP%d.soak" % (SEQ_BASE + seq, seq, os.getpid())

    def write_message(self, seq, old=False):
        name = self.file_name(seq)
        tmp = os.path.join(self.maildir, "tmp", name)
        subject = "%s message soak-%06d" % ("Old" if old else "Soak", seq)
        with open(tmp, "wb") as f:
            f.write(("From: Soak Sender %d <s%d@example.test>\r\nTo: alice@example.test\r\n"
                     "Subject: %s\r\nDate: Thu, 26 Nov 2026 10:00:00 +0100\r\n"
                     "Message-ID: <soak-%d-%d@example.test>\r\n\r\nBody of message %d.\r\n"
                     % (seq, seq, subject, self.opt.seed, seq, seq)).encode())
        os.chown(tmp, self.mail_uid, self.mail_gid)
        return tmp, os.path.join(self.maildir, "new", name)

    def deliver(self, why="scheduled"):
        self.seq += 1
        seq = self.seq
        tmp, dest = self.write_message(seq)
        # Marker first: a notification can only name it after this.
        self.markers.emit("deliver", seq=seq)
        os.rename(tmp, dest)
        self.log("deliver", seq=seq, why=why)
        return seq

    def find_file(self, seq):
        prefix = "%d.M%06dP" % (SEQ_BASE + seq, seq)
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(self.maildir, sub)):
                if name.startswith(prefix):
                    return os.path.join(self.maildir, sub, name)
        return None

    def delete(self, seq, why):
        path = self.find_file(seq)
        if path is None:
            return False
        os.unlink(path)
        self.markers.emit("delete", seq=seq, why=why)
        if why != "cap":
            self.log("delete", seq=seq, why=why)
        else:
            self.events_file.write(json.dumps({"t": round(self.t(), 3), "what": "delete",
                                               "seq": seq, "why": why}) + "\n")
        return True

    def maildir_files(self):
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(self.maildir, sub)
            for name in os.listdir(d):
                out.append((name, os.path.getsize(os.path.join(d, name))))
        return out

    # -- the applet --------------------------------------------------------------------
    async def applet_start(self):
        self.instance += 1
        self.applet_log.write(b"\n===== soak: applet instance %d at t+%.2f\n" % (self.instance, self.t()))
        self.applet_log.flush()
        self.expect_exit = False
        self.applet = await asyncio.create_subprocess_exec(
            self.opt.popbell, env=self.applet_env(), stdin=subprocess.DEVNULL,
            stdout=self.applet_log, stderr=self.applet_log)
        self.applet_started = time.monotonic()
        self.markers.emit("applet-start", instance=self.instance)
        self.log("applet-start", instance=self.instance, pid=self.applet.pid)
        asyncio.create_task(self.watch_exit(self.applet, self.instance))
        # Up means: one POP3 session since the start (whatever its fate).
        sessions = len(self.sessions)
        await self.wait_for("a session", lambda: len(self.sessions) > sessions, 15)

    async def watch_exit(self, proc, instance):
        status = await proc.wait()
        if proc is self.applet and not self.expect_exit and not self.stopping:
            self.counts["crashes"] += 1
            await self.wait_name_gone()
            self.markers.emit("applet-kill", instance=instance, crash=True)
            self.violation("applet instance %d exited on its own with status %s" % (instance, status))
            if self.counts["crashes"] <= 5:
                await self.applet_start()

    async def wait_name_gone(self, timeout=10):
        """The bus has seen the applet's connection close, so every message it
        sent before is ordered before what the driver sends next."""
        deadline = time.monotonic() + timeout
        while self.markers.has_owner(APP_ID):
            if time.monotonic() > deadline:
                self.violation("the bus name %s stayed %d s after the applet exited" % (APP_ID, timeout))
                return
            await asyncio.sleep(0.02)

    async def applet_stop(self, why):
        """SIGTERM: a clean shutdown must end the process soon, with status 0."""
        proc = self.applet
        self.expect_exit = True
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            status = await asyncio.wait_for(proc.wait(), 10)
        except asyncio.TimeoutError:
            self.violation("applet did not exit within 10 s of SIGTERM (%s)" % why)
            proc.kill()
            await proc.wait()
            await self.wait_name_gone()
            self.markers.emit("applet-kill", instance=self.instance, aimed=False)
            return
        secs = round(time.monotonic() - t, 3)
        await self.wait_name_gone()
        self.markers.emit("applet-term", instance=self.instance, status=status)
        self.log("applet-term", instance=self.instance, status=status, secs=secs, why=why)
        if status != 0:
            self.violation("applet exited with status %s after SIGTERM (%s): no clean shutdown"
                           % (status, why))

    async def applet_kill_after_save(self):
        proc = self.applet
        self.expect_exit = True
        self.watch.arm(proc.pid)
        aimed = await asyncio.to_thread(self.watch.wait_killed, 20)
        if not aimed:
            self.watch.disarm()
            proc.kill()
        await proc.wait()
        await self.wait_name_gone()
        self.markers.emit("applet-kill", instance=self.instance, aimed=aimed)
        self.counts["kills_aimed" if aimed else "kills_unaimed"] += 1
        self.log("applet-kill", instance=self.instance, aimed=aimed)

    # -- background monitors -------------------------------------------------------------
    async def pump_capture(self):
        while True:
            for rec in self.tail.poll():
                self.ledger.feed(rec)
            await asyncio.sleep(0.1)

    async def sample_rss(self):
        while True:
            proc = self.applet
            if proc is not None and proc.returncode is None:
                kib = rss_anon_kib(proc.pid)
                if kib is not None:
                    age = time.monotonic() - self.applet_started
                    sample = (round(self.t(), 2), self.instance, kib, round(age, 2), len(self.sessions))
                    self.rss.append(sample)
                    self.log("rss", sample=sample)
            await asyncio.sleep(1.0)

    def on_session(self, rec):
        rec = dict(rec, start=round(rec["start"] - self.t0, 3))
        rec.pop("end", None)
        self.sessions.append(rec)
        self.log("session", **rec)

    # -- chaos ------------------------------------------------------------------------------
    def set_readonly(self, on):
        if os.getuid() == 0:
            # root ignores permission bits: the immutable flag stops it too
            subprocess.run(["chattr", "+i" if on else "-i", self.state_dir], check=True)
        else:
            os.chmod(self.state_dir, 0o555 if on else 0o700)
        self.ro = on
        if on:
            probe = os.path.join(self.state_dir, "soak-probe")
            try:
                open(probe, "w").close()
            except OSError:
                return
            os.unlink(probe)
            self.set_readonly(False)
            raise Violation("cannot make %s read-only here" % self.state_dir)

    async def chaos_ro(self):
        hold = self.rng.uniform(4, 10)
        self.set_readonly(True)
        self.markers.emit("ro-start")
        self.log("ro-start", hold=round(hold, 2))
        self.counts["ro_periods"] += 1
        await asyncio.sleep(hold)
        saves = self.watch.saves
        self.set_readonly(False)
        self.markers.emit("ro-end")
        # Once writable again, the state must reach the disk before the next
        # stop: wait for that save (new mail keeps arriving meanwhile).
        saved = await asyncio.to_thread(self.watch.wait_save, saves, 20)
        self.log("ro-end", saved_after=saved)
        if not saved:
            self.findings.append("state not saved within 20 s after the state folder became writable")

    async def chaos_term(self):
        self.counts["applet_terms"] += 1
        await self.applet_stop("restart")
        # Mail that comes and goes while no applet runs must never be announced.
        if self.rng.random() < 0.6:
            for _ in range(self.rng.randint(1, 3)):
                seq = self.deliver("while-down")
                if self.rng.random() < 0.5 and self.delete(seq, "while-down"):
                    self.counts["deleted_while_down"] += 1
        await asyncio.sleep(self.rng.uniform(0.2, 2.0))
        await self.applet_start()

    async def chaos_kill(self):
        await self.applet_kill_after_save()
        await asyncio.sleep(self.rng.uniform(0.1, 1.0))
        await self.applet_start()

    async def chaos_dovecot(self):
        self.counts["dovecot_restarts"] += 1
        self.markers.emit("dovecot-stop")
        self.log("dovecot-stop")
        await self.dovecot_stop()
        await asyncio.sleep(self.rng.uniform(0.0, 2.0))
        await self.dovecot_start()
        self.markers.emit("dovecot-start")
        self.log("dovecot-start", dir=self.dovecot_env["DOVECOT_DIR"])

    async def chaos_delete(self):
        announced = [s for s in self.ledger.announced()
                     if not self.ledger.msgs[s].deleted and not self.ledger.msgs[s].old]
        old = [s for s, m in self.ledger.msgs.items() if m.old and not m.deleted]
        if old and (not announced or self.rng.random() < 0.3):
            if self.delete(self.rng.choice(old), "old"):
                self.counts["deleted_old"] += 1
        elif announced:
            if self.delete(self.rng.choice(announced), "announced"):
                self.counts["deleted_announced"] += 1

    def chaos_plan(self):
        m = self.opt.minutes
        plan = (["dovecot"] * max(1, round(m * 0.5)) + ["term"] * max(1, round(m * 0.6)) +
                ["kill"] * max(2, round(m * 0.8)) + ["ro"] * max(1, round(m * 0.3)) +
                ["delete"] * max(2, round(m * 1.0)))
        self.rng.shuffle(plan)
        return plan

    async def chaos(self, plan):
        """Each event at a random moment of the delivery phase, one at a time,
        a few seconds apart. The applet is stopped or killed only in the
        first 70 % of the phase, so that its last instance runs long enough
        to show a memory drift."""
        span = self.opt.minutes * 60.0
        start = time.monotonic()
        timed = [(self.rng.uniform(0.05, 0.7 if kind in ("term", "kill") else 0.9) * span, kind)
                 for kind in plan]
        for at, kind in sorted(timed):
            await asyncio.sleep(max(0.0, start + at - time.monotonic()))
            await {"dovecot": self.chaos_dovecot, "term": self.chaos_term, "kill": self.chaos_kill,
                   "ro": self.chaos_ro, "delete": self.chaos_delete}[kind]()
            await asyncio.sleep(self.opt.settle)

    def trim_mailbox(self):
        """With --mailbox-cap, the oldest announced messages go (as a mail
        client would fetch them): the mailbox, and so what the applet must
        remember, stays the same size, and memory that still grows leaks."""
        cap = self.opt.mailbox_cap
        if not cap:
            return
        present = [s for s, m in sorted(self.ledger.msgs.items()) if m.delivered and not m.deleted]
        for seq in present[:max(0, len(present) - cap)]:
            if self.ledger.msgs[seq].announcements and self.delete(seq, "cap"):
                self.counts["deleted_announced"] += 1

    async def deliveries(self, done):
        gap = self.opt.minutes * 60.0 / max(1, self.opt.deliveries)
        left = self.opt.deliveries
        while left > 0:
            burst = 1
            if self.rng.random() < 0.15:
                burst = min(left, self.rng.randint(2, 8))
            for _ in range(burst):
                self.deliver()
            left -= burst
            self.trim_mailbox()
            await asyncio.sleep(self.rng.expovariate(1.0 / (gap * burst)))
        done.set()

    # -- phases ------------------------------------------------------------------------------
    async def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    async def check_now(self):
        await run_command([self.opt.popbell, "--check-now"], 30, env=self.applet_env())

    async def drain(self):
        """No more faults: every message on the server must now be announced."""
        self.proxy.faults_on = False
        self.markers.emit("drain")
        self.log("drain", unannounced=len(self.ledger.unannounced()))
        deadline = time.monotonic() + self.opt.drain
        while time.monotonic() < deadline and self.ledger.unannounced():
            # Past the backoff the chaos caused: ask for a check now.
            await self.check_now()
            await self.wait_for("announced", lambda: not self.ledger.unannounced(), 10)

    async def final_check(self):
        await self.applet_stop("end of the soak")
        self.applet = None
        status, out, err = await run_command([self.opt.popbell, "--check-once", "--json"], 60,
                                             env=self.applet_env(), capture=True)
        files = self.maildir_files()
        present_delivered = sum(1 for s, m in self.ledger.msgs.items()
                                if m.delivered and not m.deleted)
        result = {"exit": status, "maildir_messages": len(files),
                  "maildir_size": sum(size for _n, size in files),
                  "unseen_expected": present_delivered}
        try:
            acc = json.loads(out)["accounts"][0]
            result.update(ok=acc.get("ok"), messages=acc.get("messages"), size=acc.get("size"),
                          new=acc.get("new"), unseen=acc.get("unseen"), error=acc.get("error"))
        except (ValueError, KeyError, IndexError) as e:
            self.violation("--check-once --json gave no account: %s / %s" % (e, err.decode()[-300:]))
            return result
        self.log("check-once", **result)
        if status != 0 or not result["ok"]:
            self.violation("final --check-once failed: %s" % result.get("error"))
        else:
            if result["messages"] != len(files) or result["size"] != result["maildir_size"]:
                self.violation("final --check-once sees %s messages / %s bytes, the maildir has %d / %d"
                               % (result["messages"], result["size"], len(files), result["maildir_size"]))
            if result["new"] != 0:
                self.violation("final --check-once finds %s new messages: the applet's saved state "
                               "missed them" % result["new"])
            if result["unseen"] != present_delivered:
                self.violation("final --check-once has %s unseen, expected %d (delivered, not deleted, "
                               "never acknowledged)" % (result["unseen"], present_delivered))
        self.check_server_order()
        return result

    def check_server_order(self):
        """The ledger's inference assumes Dovecot's order is the delivery order."""
        uids = []
        try:
            with open(os.path.join(self.maildir, "dovecot-uidlist")) as f:
                next(f)
                for line in f:
                    name = line.split()[-1]
                    if name.startswith(":"):
                        name = name[1:]
                    uids.append(int(name.split(".")[0]) - SEQ_BASE)
        except (OSError, StopIteration, ValueError) as e:
            self.violation("cannot read dovecot-uidlist: %s" % e)
            return
        if uids != sorted(uids):
            self.violation("Dovecot's order differs from the delivery order: %s" % uids[:20])

    async def run(self):
        self.setup_dirs()
        self.markers = Markers()
        self.tail = CaptureTail(os.path.join(os.environ["XS_DIR"], "notifications.dbus"))
        self.ledger = Ledger(ACCOUNT)
        print("# soak: seed %d, %d deliveries over %.1f min, fault rate %.2f, work dir %s"
              % (self.opt.seed, self.opt.deliveries, self.opt.minutes, self.opt.fault_rate, self.work),
              flush=True)
        # Old mail, there before the first (baseline) check.
        for _ in range(self.opt.old):
            self.seq += 1
            tmp, dest = self.write_message(self.seq, old=True)
            os.rename(tmp, dest)
            self.markers.emit("old", seq=self.seq)
        await self.dovecot_start()
        share = self.opt.fault_rate
        weights = {"reset": share * 0.3, "stall": share * 0.2, "in-use": share * 0.25,
                   "sys-temp": share * 0.25}
        self.proxy = ChaosProxy(int(self.dovecot_env["POP3_PORT"]), self.rng_proxy, weights,
                                self.opt.timeout + 1.5, self.on_session)
        await self.proxy.start()
        self.write_account()
        self.watch = StateWatch(self.state_dir, ACCOUNT)
        monitors = [asyncio.create_task(self.pump_capture()), asyncio.create_task(self.sample_rss())]
        try:
            await self.applet_start()
            if not await asyncio.to_thread(self.watch.wait_save, 0, 60):
                raise Violation("no baseline: the applet saved no state within 60 s")
            self.log("baseline")
            self.proxy.faults_on = True
            self.markers.emit("faults-on")
            done = asyncio.Event()
            chaos = asyncio.create_task(self.chaos(self.chaos_plan()))
            await self.deliveries(done)
            await chaos
            if self.ro:
                self.set_readonly(False)
            await self.drain()
            final = await self.final_check()
            # Everything the bus carried before this marker is in the ledger
            # once the marker is.
            self.markers.emit("end")
            if not await self.wait_for("the end marker", lambda: self.ledger.events.get("end"), 20):
                raise Violation("the capture of the bus did not show the end marker within 20 s")
        finally:
            self.stopping = True
            for t in monitors:
                t.cancel()
        self.counts["state_saves"] = self.watch.saves
        return final

    async def cleanup(self):
        self.stopping = True
        if getattr(self, "watch", None) is not None:
            self.watch.disarm()
        if self.ro:
            try:
                self.set_readonly(False)
            except Exception:
                pass
        if self.applet is not None and self.applet.returncode is None:
            self.applet.kill()
            await self.applet.wait()
        if getattr(self, "proxy", None) is not None:
            await self.proxy.close()
        try:
            await self.dovecot_stop()
        except Exception:
            pass
        if getattr(self, "watch", None) is not None:
            self.watch.close()


def session_figures(sessions):
    by_kind = {}
    for s in sessions:
        if "upstream" in s:
            kind = "server-down"
        elif not s["fired"]:
            continue
        elif s["fault"] == "stall" and s.get("verb") == "TOP":
            kind = "stall among TOPs"
        else:
            kind = s["fault"]
        by_kind[kind] = by_kind.get(kind, 0) + 1
    # Pipelining shows where several TOPs go out (sessions that sent two or
    # more); what may switch it off is a stall while TOPs were waiting.
    stall_times = [s["start"] for s in sessions
                   if s["fault"] == "stall" and s["fired"] and s.get("tops", 0) >= 1]
    first_stall = min(stall_times) if stall_times else None
    with_tops = [s for s in sessions if s.get("tops", 0) >= 2]
    before = [s for s in with_tops if first_stall is None or s["start"] < first_stall]
    after = [s for s in with_tops if first_stall is not None and s["start"] > first_stall]
    pct = lambda ss: round(100.0 * sum(1 for s in ss if s["max_inflight"] > 1) / len(ss), 1) if ss else None
    gave_up = [s.get("client_gave_up_after") for s in sessions if s["fault"] == "stall" and s["fired"]]
    return {"sessions": len(sessions), "faulted": by_kind,
            "stalls_with_tops": len(stall_times),
            "top_sessions_before_first_stall": len(before),
            "top_sessions_after_first_stall": len(after),
            "pipelined_pct_before_first_stall": pct(before),
            "pipelined_pct_after_first_stall": pct(after),
            "stalls_client_never_gave_up": sum(1 for g in gave_up if g is None)}


def print_table(figures):
    rows = [
        ("delivered", figures["ledger"]["delivered"]),
        ("  announced once", figures["ledger"]["announced_once"]),
        ("  announced twice", figures["ledger"]["announced_twice"]),
        ("  announced 3+ times", figures["ledger"]["announced_more"]),
        ("  of those, twice across a SIGKILL", figures["ledger"]["twice_after_sigkill"]),
        ("  never announced", figures["ledger"]["never"]),
        ("    of those, with a SIGKILL since delivery", figures["ledger"]["never_with_sigkill_since"]),
        ("  deleted before any announcement", figures["ledger"]["deleted_before_announced"]),
        ("  deleted after their announcement", figures["ledger"]["deleted_after_announced"]),
        ("  counted only in an \"and N more\"", figures["ledger"]["inferred"]),
        ("old messages (never to announce)", figures["ledger"]["old"]),
        ("mail notifications", figures["ledger"]["notifications"]),
        ("problem notifications", figures["ledger"]["problem_notifications"]),
        ("POP3 sessions through the relay", figures["sessions"]["sessions"]),
    ]
    for kind, n in sorted(figures["sessions"]["faulted"].items()):
        rows.append(("  faulted: %s" % kind, n))
    rows += [
        ("  stalls in sessions that sent TOPs", figures["sessions"]["stalls_with_tops"]),
        ("  TOP sessions pipelined before that first stall (%)",
         "%s of %d" % (figures["sessions"]["pipelined_pct_before_first_stall"],
                       figures["sessions"]["top_sessions_before_first_stall"])),
        ("  TOP sessions pipelined after it (%)",
         "%s of %d" % (figures["sessions"]["pipelined_pct_after_first_stall"],
                       figures["sessions"]["top_sessions_after_first_stall"])),
        ("  stalls the client never gave up on", figures["sessions"]["stalls_client_never_gave_up"]),
        ("Dovecot restarts", figures["counts"]["dovecot_restarts"]),
        ("applet SIGTERM restarts", figures["counts"]["applet_terms"]),
        ("SIGKILLs right after a state save", figures["counts"]["kills_aimed"]),
        ("SIGKILLs without a save to aim at", figures["counts"]["kills_unaimed"]),
        ("read-only state periods", figures["counts"]["ro_periods"]),
        ("applet crashes", figures["counts"]["crashes"]),
        ("state saves seen", figures["counts"]["state_saves"]),
    ]
    mem = figures["memory"]
    rows += [
        ("RssAnon start / end / max (KiB)", "%s / %s / %s" % (mem["start_kib"], mem["end_kib"], mem["max_kib"])),
        ("RssAnon drift, instances >= %d s (KiB/min)" % mem["judged_min_s"], mem["slope_kib_per_min"]),
        ("RssAnon drift per 100 sessions (KiB)", mem["slope_kib_per_100_sessions"]),
        ("instances judged / longest (s)", "%s / %s" % (mem["judged_instances"], mem["longest_instance_s"])),
        ("final --check-once: messages / new / unseen",
         "%s / %s / %s (maildir %s)" % (figures["final"].get("messages"), figures["final"].get("new"),
                                        figures["final"].get("unseen"),
                                        figures["final"].get("maildir_messages"))),
    ]
    width = max(len(r[0]) for r in rows)
    print("-" * (width + 14))
    for name, value in rows:
        print("%-*s  %s" % (width, name, value))
    print("-" * (width + 14))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--popbell", required=True)
    ap.add_argument("--deliveries", type=int, default=30)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--fault-rate", type=float, default=0.4)
    ap.add_argument("--interval", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=2)
    ap.add_argument("--old", type=int, default=5)
    ap.add_argument("--drain", type=float, default=30.0)
    ap.add_argument("--mailbox-cap", type=int, default=0,
                    help="delete the oldest announced messages beyond this many (0: keep all)")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds between two chaos events")
    ap.add_argument("--max-drift", type=float, default=64.0,
                    help="KiB per minute of RssAnon growth within an instance that fails the run")
    ap.add_argument("--support-dir", default=os.path.join(HERE, "..", "support"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--report")
    opt = ap.parse_args()
    if opt.seed is None:
        opt.seed = random.SystemRandom().randrange(1, 2 ** 31)
    for need in ("XS_DIR", "XDG_STATE_HOME", "DBUS_SESSION_BUS_ADDRESS"):
        if need not in os.environ:
            print("soak.py: run me inside tests/support/x-session.sh --keyring --monitor", file=sys.stderr)
            return 2
    if not (os.path.exists("/usr/sbin/dovecot") or shutil.which("dovecot")):
        if os.environ.get("POPBELL_TEST_REQUIRE_SERVICES") == "1":
            print("FAIL: dovecot is not installed (required)")
            return 1
        print("SKIP: dovecot is not installed")
        return 77

    soak = Soak(opt)
    loop = asyncio.new_event_loop()
    main_task = loop.create_task(soak.run())
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, main_task.cancel)
    final = {}
    try:
        final = loop.run_until_complete(main_task)
    except Violation as e:
        soak.violation(str(e))
    except asyncio.CancelledError:
        soak.violation("interrupted")
    finally:
        loop.run_until_complete(soak.cleanup())
        loop.close()

    ledger_figures, ledger_violations = soak.ledger.verdict()
    for v in ledger_violations:
        soak.violations.append(v)
    memory = summarize_rss(soak.rss, WARMUP_S)
    if memory["slope_kib_per_min"] is not None and memory["slope_kib_per_min"] > opt.max_drift:
        soak.violations.append("RssAnon grows %.1f KiB/min within an applet instance (limit %.1f)"
                               % (memory["slope_kib_per_min"], opt.max_drift))
    figures = {"seed": opt.seed, "ledger": ledger_figures, "sessions": session_figures(soak.sessions),
               "counts": soak.counts, "memory": memory, "final": final or {},
               "findings": soak.findings, "violations": soak.violations,
               "notifications": soak.ledger.notifications,
               "timeline": soak.ledger.timeline,
               "duration_s": round(soak.t(), 1)}
    print_table(figures)
    for f in soak.findings:
        print("note: %s" % f)
    report = opt.report or os.path.join(soak.work, "report.json")
    with open(report, "w") as f:
        json.dump(figures, f, indent=1)
    if soak.violations:
        print("%d violation(s):" % len(soak.violations))
        for v in soak.violations[:60]:
            print("  VIOLATION: %s" % v)
        if len(soak.violations) > 60:
            print("  ... and %d more (see %s)" % (len(soak.violations) - 60, report))
    # The capture, to judge again with `ledger.py notifications.dbus`.
    shutil.copy(os.path.join(os.environ["XS_DIR"], "notifications.dbus"), soak.work)
    out = os.environ.get("POPBELL_TEST_OUTDIR")
    if out and (opt.keep or soak.violations):
        dest = os.path.join(out, "soak-%d" % opt.seed)
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(soak.work, dest, ignore=shutil.ignore_patterns("mail"))
        print("# soak: events.jsonl, popbell.log, notifications.dbus and report.json are in %s" % dest)
    if opt.keep:
        print("# soak: kept %s" % soak.work)
    else:
        shutil.rmtree(soak.work, ignore_errors=True)
    print("soak: %s (seed %d, %.0f s)" % ("FAIL" if soak.violations else "ok", opt.seed, soak.t()))
    return 1 if soak.violations else 0


if __name__ == "__main__":
    sys.exit(main())
