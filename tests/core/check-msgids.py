#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""No msgid may end in a cut-off printf directive.

xgettext stops a string literal at a macro: _("has %" G_GUINT64_FORMAT " bytes")
becomes the msgid "has %", so the whole sentence is never found in the
catalogue at run time and stays English. Such a msgid ends in a lone "%"
(perhaps with flags or a width). Format the number into a "%s" first.
"""
import os
import re
import subprocess
import sys
import tempfile

SOURCE_DIR = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()

# Same keywords as meson's i18n.gettext(preset: 'glib').
KEYWORDS = ["_", "N_", "C_:1c,2", "NC_:1c,2", "g_dcgettext:2", "g_dngettext:2,3",
            "g_dpgettext2:2c,3"]
# "%", then optional flags, width, precision, length: a directive whose
# conversion letter is missing.
CUT = re.compile(r"%[-+ #0'I]*(\d+|\*)?(\.(\d+|\*))?(hh|h|ll|l|L|q|j|z|t)?$")


def unquote(line):
    return bytes(line[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def msgids(pot):
    """(msgid, reference) of every entry, plural forms included."""
    ref, cur, key = "", None, None
    out = []
    for line in pot.splitlines() + [""]:
        if line.startswith("#:"):
            ref = line[2:].strip()
        m = re.match(r'^(msgid|msgid_plural|msgstr(\[\d+\])?|msgctxt) (".*")$', line)
        if m:
            if cur is not None and key in ("msgid", "msgid_plural"):
                out.append((cur, ref))
            key, cur = m.group(1), unquote(m.group(3))
        elif line.startswith('"') and cur is not None:
            cur += unquote(line)
        else:
            if cur is not None and key in ("msgid", "msgid_plural"):
                out.append((cur, ref))
            cur, key = None, None
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, "fresh.pot")
        cmd = ["xgettext", "--from-code=UTF-8", "--output=" + pot,
               "--files-from=po/POTFILES.in"] + ["--keyword=" + k for k in KEYWORDS]
        try:
            subprocess.run(cmd, cwd=SOURCE_DIR, check=True)
        except FileNotFoundError:
            print("1..0 # SKIP xgettext is not installed")
            return 77
        with open(pot, encoding="utf-8") as f:
            entries = msgids(f.read())
    # "%%" is a literal percent sign, not a directive.
    bad = [(m, r) for m, r in entries if m and CUT.search(m.replace("%%", ""))]
    for m, r in bad:
        print(f"not ok: msgid cut at a macro ({r}): {m!r}")
    if not bad:
        print(f"ok: {len(entries)} msgids, none cut at a macro")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
