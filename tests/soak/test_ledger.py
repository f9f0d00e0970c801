#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""The soak's judge on made-up streams: each kind of violation is seen, and
what is allowed (a repeat across a SIGKILL, "and N more") is not one.
Pure Python, no services: runs in a blink in the `soak` suite."""
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ledger import Ledger  # noqa: E402
from memory import pooled_slope, summarize_rss  # noqa: E402

SERIAL = [0]


def marker(ev, **kw):
    return dict(kind="marker", ev=ev, **kw)


def notify(summary, body, category="email.arrived"):
    SERIAL[0] += 1
    return {"kind": "notify", "sender": ":1.9", "serial": SERIAL[0], "app_name": "Popbell",
            "summary": summary, "body": body, "hints": {"category": category}}


def one(seq):
    return notify("New mail from Soak Sender %d" % seq, "Soak message soak-%06d" % seq)


def many(seqs, count=None):
    count = count or len(seqs)
    lines = ["Soak Sender %d — Soak message soak-%06d" % (s, s) for s in seqs[:3]]
    if count > 3:
        lines.append("and %d more" % (count - 3))
    return notify("%d new messages in alice" % count, "\n".join(lines))


def judge(*stream, old=(1, 2)):
    led = Ledger("alice")
    for s in old:
        led.feed(marker("old", seq=s))
    for rec in stream:
        led.feed(rec)
    return led.verdict()


def deliver(*seqs):
    return [marker("deliver", seq=s) for s in seqs]


class LedgerTest(unittest.TestCase):
    def test_clean_run(self):
        f, v = judge(*deliver(3), one(3), *deliver(4, 5, 6, 7, 8), many([4, 5, 6, 7, 8]))
        self.assertEqual(v, [])
        self.assertEqual((f["delivered"], f["announced_once"], f["never"], f["inferred"]), (6, 6, 0, 2))

    def test_never(self):
        f, v = judge(*deliver(3, 4), one(3))
        self.assertEqual(f["never"], 1)
        self.assertIn("soak-4: delivered, still on the server, never announced", v)

    def test_never_in_runs_and_after_a_kill(self):
        f, v = judge(*deliver(3, 4, 5), one(3), marker("applet-kill", instance=1, aimed=True),
                     *deliver(6, 7), one(6))
        self.assertEqual((f["never"], f["never_with_sigkill_since"]), (3, 2))
        self.assertIn("soak-4..5 (2 messages): delivered, still on the server, never announced "
                      "(a SIGKILL came after the delivery)", v)
        self.assertIn("soak-7: delivered, still on the server, never announced", v)

    def test_twice_without_kill(self):
        f, v = judge(*deliver(3), one(3), marker("ro-start"), one(3))
        self.assertEqual(f["announced_twice"], 1)
        self.assertEqual(f["twice_after_sigkill"], 0)
        self.assertTrue(any("soak-3: announced 2 times" in x for x in v), v)

    def test_twice_across_sigterm_is_a_violation(self):
        f, v = judge(*deliver(3), one(3), marker("applet-term", instance=1, status=0), one(3))
        self.assertTrue(any("soak-3: announced 2 times" in x for x in v), v)

    def test_twice_across_sigkill_is_allowed(self):
        f, v = judge(*deliver(3), one(3), marker("applet-kill", instance=1, aimed=True), one(3))
        self.assertEqual(v, [])
        self.assertEqual((f["announced_twice"], f["twice_after_sigkill"]), (1, 1))

    def test_old_announced(self):
        _f, v = judge(*deliver(3), many([1, 3]))
        self.assertTrue(any(x.startswith("soak-1: old") for x in v), v)

    def test_deleted_announced(self):
        _f, v = judge(*deliver(3, 4), one(3), marker("delete", seq=4), one(4))
        self.assertIn("soak-4: announced after it was deleted from the server", v)

    def test_deleted_before_any_check_is_not_owed(self):
        f, v = judge(*deliver(3, 4), marker("delete", seq=4), one(3))
        self.assertEqual(v, [])
        self.assertEqual(f["deleted_before_announced"], 1)

    def test_and_more_skips_deleted(self):
        # 5 and 6 deleted: "5 new" after 3 must be 3, 4, 7, 8, 9
        f, v = judge(*deliver(3, 4, 5, 6), marker("delete", seq=5), marker("delete", seq=6),
                     *deliver(7, 8, 9), many([3, 4, 7], count=5))
        self.assertEqual(v, [])
        self.assertEqual(f["announced_once"], 5)

    def test_count_beyond_the_server_is_unexplained(self):
        _f, v = judge(*deliver(3, 4, 5), many([3, 4, 5], count=6))
        self.assertTrue(any("no 6 neighbours on the server fit" in x for x in v), v)

    def test_headers_of_the_newest_only(self):
        # 40 new (3..42): headers for the newest 30 (13..42), so 13, 14, 15 are named
        f, v = judge(*deliver(*range(3, 43)), many([13, 14, 15], count=40))
        self.assertEqual(v, [])
        self.assertEqual((f["announced_once"], f["inferred"]), (40, 37))

    def test_names_an_undelivered_message(self):
        _f, v = judge(*deliver(3), one(4))
        self.assertTrue(any("never delivered" in x for x in v), v)

    def test_problem_notifications_are_not_mail(self):
        f, v = judge(*deliver(3), one(3), notify("alice needs attention", "x", category=None))
        self.assertEqual(v, [])
        self.assertEqual(f["problem_notifications"], 1)


class MemoryTest(unittest.TestCase):
    def test_pooled_slope_ignores_restarts(self):
        # two instances, each flat, the second one higher: no drift
        self.assertAlmostEqual(pooled_slope([[(0, 10), (1, 10)], [(2, 50), (3, 50)]]), 0.0)
        # each grows 2 per unit
        self.assertAlmostEqual(pooled_slope([[(0, 10), (1, 12)], [(2, 0), (3, 2)]]), 2.0)

    def test_leak_is_seen_in_long_instances_only(self):
        leak = [(t, 1, 5000 + t, t, t) for t in range(0, 300)]          # 1 KiB/s
        short = [(300 + t, 2, 9000 + 10 * t, t, 300 + t) for t in range(0, 60)]
        m = summarize_rss(leak + short, warmup_s=20)
        self.assertEqual(m["judged_instances"], 1)
        self.assertAlmostEqual(m["slope_kib_per_min"], 60.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
