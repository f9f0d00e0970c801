#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""po/POTFILES.in must list, sorted, every file with translatable strings.

A file missing from POTFILES.in silently ships English text in a German
desktop; a listed file that no longer exists breaks `popbell-pot`.
"""
import os
import re
import sys

SOURCE_DIR = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()

# gettext calls as the 'glib' preset of meson's i18n module extracts them.
C_CALL = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|ngettext|g_dngettext|g_dpgettext2)\s*\(\s*"')
UI_TRANSLATABLE = re.compile(r'translatable\s*=\s*"(?:yes|true|1)"')
SCAN_DIRS = ("src", "data")


def needs_translation(path):
    name = os.path.basename(path)
    if name.endswith((".desktop.in", ".metainfo.xml.in", ".appdata.xml.in",
                      ".desktop.in.in", ".metainfo.xml.in.in")):
        return True
    if not name.endswith((".c", ".h", ".ui")):
        return False
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if name.endswith(".ui"):
        return UI_TRANSLATABLE.search(text) is not None
    return C_CALL.search(text) is not None


def main():
    expected = set()
    for top in SCAN_DIRS:
        for root, dirs, files in os.walk(os.path.join(SOURCE_DIR, top)):
            dirs.sort()
            for name in files:
                path = os.path.join(root, name)
                if needs_translation(path):
                    expected.add(os.path.relpath(path, SOURCE_DIR))

    with open(os.path.join(SOURCE_DIR, "po", "POTFILES.in"), encoding="utf-8") as f:
        listed_lines = [l.strip() for l in f
                        if l.strip() and not l.lstrip().startswith("#")]
    listed = set(listed_lines)

    ok = True
    for path in sorted(expected - listed):
        print(f"not ok: {path} has translatable strings but is not in po/POTFILES.in")
        ok = False
    for path in sorted(listed - expected):
        if not os.path.exists(os.path.join(SOURCE_DIR, path)):
            print(f"not ok: po/POTFILES.in lists {path}, which does not exist")
        else:
            print(f"not ok: po/POTFILES.in lists {path}, which has no translatable strings")
        ok = False
    if listed_lines != sorted(listed_lines):
        print("not ok: po/POTFILES.in is not sorted")
        ok = False
    if len(listed_lines) != len(listed):
        print("not ok: po/POTFILES.in lists a file twice")
        ok = False

    if ok:
        print(f"ok: po/POTFILES.in lists all {len(expected)} files with translatable strings")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
