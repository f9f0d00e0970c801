# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""The applet's anonymous memory over a soak: samples and their drift.

The applet is restarted during a soak, so the drift is the slope of RssAnon
within each instance (past its start-up), pooled over the instances: each
instance contributes its own deviations from its own mean, and no restart
looks like a fall or a rise.
"""


def rss_anon_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def pooled_slope(groups):
    """Least-squares slope of y on x with one intercept per group."""
    sxy = sxx = 0.0
    for points in groups:
        if len(points) < 2:
            continue
        mx = sum(p[0] for p in points) / len(points)
        my = sum(p[1] for p in points) / len(points)
        sxy += sum((x - mx) * (y - my) for x, y in points)
        sxx += sum((x - mx) ** 2 for x, _ in points)
    return sxy / sxx if sxx > 0 else None


def summarize_rss(samples, warmup_s, min_life_s=120):
    """@samples: (t, instance, kib, age, sessions) tuples, in time order.
    The drift is judged on instances that lived @min_life_s or more; the
    first @warmup_s of each are start-up."""
    if not samples:
        return {"start_kib": None, "end_kib": None, "max_kib": None, "slope_kib_per_min": None,
                "slope_kib_per_100_sessions": None, "longest_instance_s": 0, "samples": 0,
                "judged_instances": 0, "judged_min_s": min_life_s}
    life = {}
    for t, inst, kib, age, sessions in samples:
        life[inst] = max(life.get(inst, 0), age)
    by_instance = {}
    for t, inst, kib, age, sessions in samples:
        if age >= warmup_s and life[inst] >= min_life_s:
            by_instance.setdefault(inst, []).append((t, kib, sessions))
    steady = [s for pts in by_instance.values() for s in pts]
    per_min = pooled_slope([[(t, k) for t, k, _ in pts] for pts in by_instance.values()])
    per_session = pooled_slope([[(s, k) for _, k, s in pts] for pts in by_instance.values()])
    return {
        "start_kib": steady[0][1] if steady else samples[0][2],
        "end_kib": samples[-1][2],
        "max_kib": max(s[2] for s in samples),
        "slope_kib_per_min": round(per_min * 60, 2) if per_min is not None else None,
        "slope_kib_per_100_sessions": round(per_session * 100, 2) if per_session is not None else None,
        "longest_instance_s": round(max(life.values()), 1),
        "judged_instances": len(by_instance),
        "judged_min_s": min_life_s,
        "samples": len(samples),
    }
