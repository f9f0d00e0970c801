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
ACCOUNT" and the first few "sender — subject" lines, then "and K more". The K
unnamed ones are, in server order, the K messages after the last named one
that are on the server (the driver names files so that Dovecot's order is the
delivery order, and checks that at the end). A count that cannot be explained
that way is a violation of its own ("unexplained").
"""
import re

TOKEN = re.compile(r"soak-(\d+)")
ONE = re.compile(r"^New mail from ")
MANY = re.compile(r"^(\d+) new messages? in ")


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

    def _present_after(self, seq):
        return sorted(s for s, msg in self.msgs.items() if s > seq and not msg.deleted)

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
        missing = count - len(listed)
        if missing > 0:
            if listed:
                candidates = self._present_after(max(listed))
            else:
                candidates = sorted(s for s, msg in self.msgs.items()
                                    if not msg.deleted and not msg.old and not msg.announcements)
            if len(candidates) < missing:
                self.unexplained.append((number, "counts %d, names %s, but only %d more on the server"
                                         % (count, listed, len(candidates))))
                return
            inferred = candidates[:missing]
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
