# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""The soak test's book of deliveries and announcements, and its verdict.

It reads one ordered stream, as the session bus saw it (a dbus-monitor
capture): the driver's markers (a message delivered or deleted, the applet
started, killed or stopped...) interleaved with popbell's Notify calls. The
bus orders both, so "announced after the SIGKILL" or "announced after it was
deleted" is a fact of the stream, not a guess from clocks.

Each message carries the token "soak-<seq>" in its subject. A notification
names its messages: one message → its subject; several → "N new messages in
ACCOUNT" and the first few "sender — subject" lines, then "and K more". What
a check finds new is a run of neighbours in server order (everything older
was seen before); the driver names files so that Dovecot's order is the
delivery order, and checks that at the end. The named ones are the first of
the messages whose headers were read, and headers are read for the newest
MAX_HEADERS of a check only (popbell-checker.h): so the run starts at the
first named message, or, for a bigger count, ends MAX_HEADERS - 1 messages
after it. A count that cannot be explained that way is a violation of its
own ("unexplained").
"""
import re

TOKEN = re.compile(r"soak-(\d+)")
ONE = re.compile(r"^New mail from ")
MANY = re.compile(r"^(\d+) new messages? in ")
MAX_HEADERS = 30     # POPBELL_CHECKER_MAX_HEADERS


class Message:
    __slots__ = ("seq", "old", "delivered", "deleted", "announcements", "epoch")

    def __init__(self, seq, old, epoch):
        self.seq = seq
        self.old = old
        self.delivered = not old
        self.deleted = False
        self.epoch = epoch          # the kill epoch it was delivered in
        # (notification number, kill epoch, after deletion?, inferred?)
        self.announcements = []


class Ledger:
    def __init__(self, account):
        self.account = account
        self.msgs = {}
        self.kill_epoch = 0
        self.notifications = []     # every mail Notify, in order
        self.problem_notifications = 0
        self.other_notifications = 0
        self.unexplained = []       # (notification number, why)
        self.pending = {}           # (sender, serial) → notification number
        self.failed_notifies = 0
        self.events = {}            # marker kind → count
        self.timeline = []          # markers (but deliveries) and notifications, in order

    # -- the stream -------------------------------------------------------------
    def feed(self, rec):
        kind = rec.get("kind")
        if kind == "marker":
            self._marker(rec)
        elif kind == "notify":
            self._notify(rec)
        elif kind == "error":
            self._error(rec)

    def _marker(self, m):
        ev = m["ev"]
        self.events[ev] = self.events.get(ev, 0) + 1
        if ev not in ("deliver", "old"):
            self.timeline.append({k: v for k, v in m.items() if k != "kind"})
        if ev in ("old", "deliver"):
            self.msgs[m["seq"]] = Message(m["seq"], ev == "old", self.kill_epoch)
        elif ev == "delete":
            self.msgs[m["seq"]].deleted = True
        elif ev == "applet-kill":
            self.kill_epoch += 1

    def _run_around(self, listed, count):
        """The @count neighbours on the server that a check with these named
        messages found new (see the module comment); None if there are none."""
        present = sorted(s for s, msg in self.msgs.items() if not msg.deleted)
        try:
            first = present.index(listed[0])
        except ValueError:
            return None
        if count > MAX_HEADERS:
            start = first + MAX_HEADERS - count
        else:
            start = first
        if start < 0 or start + count > len(present):
            return None
        run = present[start:start + count]
        return run if all(s in run for s in listed) else None

    def _notify(self, n):
        if n.get("app_name") != "Popbell":
            return
        category = (n.get("hints") or {}).get("category")
        if category != "email.arrived":
            if n.get("summary", "").endswith("needs attention") or "Cannot" in n.get("summary", ""):
                self.problem_notifications += 1
            else:
                self.other_notifications += 1
            return
        number = len(self.notifications)
        self.notifications.append({"summary": n.get("summary", ""), "body": n.get("body", ""),
                                   "seqs": []})
        self.pending[(n.get("sender"), n.get("serial"))] = number
        summary = n.get("summary", "")
        if ONE.match(summary):
            count = 1
        else:
            m = MANY.match(summary)
            if m is None:
                self.unexplained.append((number, "summary not understood: %r" % summary))
                return
            count = int(m.group(1))
        listed = []
        for s in (int(x) for x in TOKEN.findall(n.get("body", ""))):
            if s not in listed:
                listed.append(s)
        for s in listed:
            if s not in self.msgs:
                self.unexplained.append((number, "names soak-%d, never delivered" % s))
                return
        if len(listed) > count:
            self.unexplained.append((number, "names %d messages but counts %d" % (len(listed), count)))
            return
        inferred = []
        if count > len(listed):
            if listed:
                run = self._run_around(listed, count)
            else:
                # No headers at all: the oldest messages nothing announced yet.
                run = sorted(s for s, msg in self.msgs.items()
                             if not msg.deleted and not msg.old and not msg.announcements)[:count]
            if run is None or len(run) < count:
                self.unexplained.append((number, "counts %d and names %s: no %d neighbours on the "
                                         "server fit" % (count, listed, count)))
                return
            inferred = [s for s in run if s not in listed]
        for s in listed + inferred:
            msg = self.msgs[s]
            msg.announcements.append((number, self.kill_epoch, msg.deleted, s in inferred))
        self.notifications[number]["seqs"] = listed + inferred
        self.timeline.append({"notification": number, "seqs": listed + inferred})

    def _error(self, rec):
        number = self.pending.pop((rec.get("dest"), rec.get("reply_serial")), None)
        if number is None:
            return
        # The server refused the Notify: it announced nothing.
        self.failed_notifies += 1
        for s in self.notifications[number]["seqs"]:
            msg = self.msgs[s]
            msg.announcements = [a for a in msg.announcements if a[0] != number]

    # -- questions while running ------------------------------------------------
    def unannounced(self):
        """Delivered messages on the server that nothing announced yet."""
        return sorted(s for s, m in self.msgs.items()
                      if m.delivered and not m.deleted and not m.announcements)

    def announced(self):
        return sorted(s for s, m in self.msgs.items() if m.announcements)

    # -- the verdict --------------------------------------------------------------
    def verdict(self):
        """(figures, violations): figures a dict, violations a list of strings."""
        f = {"delivered": 0, "deleted_before_announced": 0, "deleted_after_announced": 0,
             "old": 0, "announced_once": 0, "announced_twice": 0, "announced_more": 0,
             "never": 0, "never_with_sigkill_since": 0, "twice_after_sigkill": 0, "inferred": 0,
             "notifications": len(self.notifications),
             "problem_notifications": self.problem_notifications,
             "failed_notifies": self.failed_notifies}
        v = []
        never = []
        for s, m in sorted(self.msgs.items()):
            anns = m.announcements
            if m.old:
                f["old"] += 1
                if anns:
                    v.append("soak-%d: old (on the server before the baseline) but announced %d time(s)"
                             % (s, len(anns)))
                continue
            f["delivered"] += 1
            f["inferred"] += sum(1 for a in anns if a[3])
            if m.deleted:
                if any(a[2] for a in anns):
                    v.append("soak-%d: announced after it was deleted from the server" % s)
                if anns:
                    f["deleted_after_announced"] += 1
                else:
                    f["deleted_before_announced"] += 1
                    continue
            if not anns:
                f["never"] += 1
                killed = m.epoch < self.kill_epoch
                f["never_with_sigkill_since"] += killed
                never.append((s, killed))
                continue
            if len(anns) == 1:
                f["announced_once"] += 1
                continue
            if len(anns) == 2:
                f["announced_twice"] += 1
            else:
                f["announced_more"] += 1
            unexplained = [b for a, b in zip(anns, anns[1:]) if a[1] == b[1]]
            if unexplained:
                v.append("soak-%d: announced %d times, %d of them with no SIGKILL in between "
                         "(notifications %s)" % (s, len(anns), len(unexplained),
                                                 [a[0] for a in anns]))
            else:
                f["twice_after_sigkill"] += 1
        for first, last, killed in _runs(never):
            what = "soak-%d" % first if first == last else "soak-%d..%d (%d messages)" % (
                first, last, sum(1 for s, _k in never if first <= s <= last))
            v.append("%s: delivered, still on the server, never announced%s"
                     % (what, " (a SIGKILL came after the delivery)" if killed else ""))
        for number, why in self.unexplained:
            v.append("notification %d: %s" % (number, why))
        return f, v


def _runs(items):
    """(seq, flag) pairs → (first, last, flag) runs of neighbours with one flag."""
    runs = []
    for seq, flag in items:
        if runs and runs[-1][2] == flag and runs[-1][1] == seq - 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq, flag])
    return [tuple(r) for r in runs]


if __name__ == "__main__":
    # Judge a kept capture again:  ledger.py WORKDIR/notifications.dbus
    import json
    import os
    import sys
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bus_stream import CaptureTail
    ledger = Ledger("alice")
    for record in CaptureTail(sys.argv[1]).poll():
        ledger.feed(record)
    figures, violations = ledger.verdict()
    print(json.dumps(figures, indent=1))
    print("\n".join(violations))
    sys.exit(1 if violations else 0)
