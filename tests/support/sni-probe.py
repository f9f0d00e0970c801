#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""Inspect and click a StatusNotifierItem (tray icon) over D-Bus, the way a
tray host does. Run inside a test session with a StatusNotifierWatcher
(x-session.sh --tray sni or --tray watcher). Output: JSON on stdout; exit
status 1 when a wait times out or the item / menu entry is not found.

  sni-probe.py watcher                      RegisteredStatusNotifierItems, host registered
  sni-probe.py items [--wait S]             every registered item with its properties
  sni-probe.py props [--id ID] [--wait S]   one item's properties (Id, Category, Status,
                                            IconName, AttentionIconName, Title, ToolTip,
                                            XAyatanaLabel, XAyatanaLabelGuide, Menu, ...,
                                            and IconPixmapDecoded as for pixmaps)
  sni-probe.py wait-prop NAME VALUE [--id ID] [--timeout S]
                                            wait until property NAME == VALUE (compared as
                                            text; ints and bools too), print the properties
  sni-probe.py menu [--id ID]               the menu (com.canonical.dbusmenu GetLayout),
                                            flattened: [{id, label, enabled, visible,
                                            type, toggle-state, depth}]
  sni-probe.py click LABEL [--id ID]        send "clicked" to the menu entry whose label
                                            (mnemonic underscores removed) is LABEL
  sni-probe.py secondary-activate [--id ID] middle click on the icon
  sni-probe.py activate [--id ID]           left click on the icon (Activate)
  sni-probe.py context-menu [--id ID]       ContextMenu (the item pops its own menu)
  sni-probe.py scroll [--id ID]             Scroll (one step down, vertical)
  sni-probe.py pixmaps [--id ID] [--attention]
                                            IconPixmap (AttentionIconPixmap) decoded:
                                            [{w, h, ok (w*h*4 bytes), opaque, red,
                                            sha1}] (red: badge-red pixels, ARGB32
                                            in network byte order)

--id matches the item's Id property; without it the first item is used.
Use /usr/bin/python3 (python3-gi lives there).
"""
import argparse
import hashlib
import json
import sys
import os
import time

from gi.repository import Gio, GLib

WATCHER = "org.kde.StatusNotifierWatcher"
ITEM = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"
_bus = None


def bus():
    global _bus
    if _bus is None:
        _bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    return _bus


def call(dest, path, iface, method, args=None):
    return bus().call_sync(dest, path, iface, method, args, None,
                           Gio.DBusCallFlags.NONE, 5000, None).unpack()


def get_all(dest, path, iface):
    return call(dest, path, "org.freedesktop.DBus.Properties", "GetAll",
                GLib.Variant("(s)", (iface,)))[0]


def watcher():
    return get_all(WATCHER, "/StatusNotifierWatcher", WATCHER)


def split_entry(entry):
    # Registered as "service/path" or just "service" (then the path is fixed).
    if "/" in entry:
        i = entry.index("/")
        return entry[:i], entry[i:]
    return entry, "/StatusNotifierItem"


def entries():
    props = watcher()
    # status-notifier-watcher (Haskell) also lists (service, path) pairs.
    if props.get("RegisteredSNIEntries"):
        return [tuple(e) for e in props["RegisteredSNIEntries"]]
    return [split_entry(e) for e in props.get("RegisteredStatusNotifierItems", [])]


def items():
    out = []
    for service, path in entries():
        try:
            props = get_all(service, path, ITEM)
        except GLib.Error:
            continue            # the item is going away
        # Decoded here so that a test reads everything from one call.
        for name in ("IconPixmap", "AttentionIconPixmap"):
            if name in props:
                props[name + "Decoded"] = decode_pixmaps(props[name])
        out.append({"service": service, "path": path, "props": props})
    return out


def find(item_id, wait):
    deadline = time.monotonic() + wait
    while True:
        for it in items():
            if item_id is None or it["props"].get("Id") == item_id:
                return it
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def menu_layout(it):
    path = it["props"].get("Menu")
    if not path or path == "/":
        return []
    _, layout = call(it["service"], path, MENU, "GetLayout",
                     GLib.Variant("(iias)", (0, -1, [])))
    flat = []

    def walk(node, depth):
        mid, props, children = node
        if mid != 0:
            flat.append({"id": mid, "label": props.get("label", ""),
                         "enabled": props.get("enabled", True),
                         "visible": props.get("visible", True),
                         "type": props.get("type", "standard"),
                         "toggle-state": props.get("toggle-state"),
                         "depth": depth})
        for child in children:
            walk(child, depth + (1 if mid != 0 else 0))

    walk(layout, 0)
    return flat


def decode_pixmaps(pixmaps):
    out = []
    for w, h, data in pixmaps:
        data = bytes(data)
        opaque = red = 0
        for i in range(0, len(data) - 3, 4):
            a, r, g, b = data[i], data[i + 1], data[i + 2], data[i + 3]
            if a > 128:
                opaque += 1
                if r > 170 and g < 80 and b < 80:
                    red += 1
        out.append({"w": w, "h": h, "ok": len(data) == w * h * 4, "opaque": opaque, "red": red,
                    "sha1": hashlib.sha1(data).hexdigest()[:12]})
    return out


def as_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def jsonable(value):
    if isinstance(value, (bytes, bytearray)):
        return "<%d bytes>" % len(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # Icon pixmaps are long lists of (w, h, bytes): keep them short.
        return [jsonable(v) for v in value]
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("watcher")
    p = sub.add_parser("items")
    p.add_argument("--wait", type=float, default=0)
    for name in ("props", "menu", "secondary-activate", "activate", "context-menu", "scroll",
                 "pixmaps"):
        p = sub.add_parser(name)
        p.add_argument("--id")
        p.add_argument("--wait", type=float, default=5)
        if name == "pixmaps":
            p.add_argument("--attention", action="store_true")
    p = sub.add_parser("wait-prop")
    p.add_argument("name")
    p.add_argument("value")
    p.add_argument("--id")
    p.add_argument("--timeout", type=float, default=10)
    p = sub.add_parser("click")
    p.add_argument("label")
    p.add_argument("--id")
    p.add_argument("--wait", type=float, default=5)
    opt = ap.parse_args()
    # Slow builds (tools/test's sanitizer pass) stretch every wait alike.
    factor = float(os.environ.get("POPBELL_TEST_TIME_FACTOR", "1") or 1)
    for name in ("wait", "timeout"):
        if getattr(opt, name, None) is not None:
            setattr(opt, name, getattr(opt, name) * factor)

    if opt.cmd == "watcher":
        res = watcher()
    elif opt.cmd == "items":
        deadline = time.monotonic() + opt.wait
        res = items()
        while not res and time.monotonic() < deadline:
            time.sleep(0.05)
            res = items()
    else:
        it = find(opt.id, getattr(opt, "wait", None) or getattr(opt, "timeout", 5))
        if it is None:
            print(json.dumps({"error": "no StatusNotifierItem" + (" with Id " + opt.id if opt.id else ""),
                              "watcher": jsonable(watcher())}), file=sys.stderr)
            return 1
        if opt.cmd == "props":
            res = it
        elif opt.cmd == "wait-prop":
            deadline = time.monotonic() + opt.timeout
            while as_text(it["props"].get(opt.name)) != opt.value and time.monotonic() < deadline:
                time.sleep(0.05)
                it = find(opt.id, 0) or it
            res = it
            if as_text(it["props"].get(opt.name)) != opt.value:
                print(json.dumps(jsonable(res), ensure_ascii=False, indent=1))
                print("timeout: %s is %r, not %r" % (opt.name, it["props"].get(opt.name), opt.value),
                      file=sys.stderr)
                return 1
        elif opt.cmd == "menu":
            res = menu_layout(it)
        elif opt.cmd == "click":
            entries = [e for e in menu_layout(it)
                       if e["label"].replace("_", "") == opt.label.replace("_", "")]
            if not entries:
                print("no menu entry %r in %s" % (opt.label, [e["label"] for e in menu_layout(it)]),
                      file=sys.stderr)
                return 1
            call(it["service"], it["props"]["Menu"], MENU, "Event",
                 GLib.Variant("(isvu)", (entries[0]["id"], "clicked", GLib.Variant("s", ""),
                                         int(time.time()) & 0xffffffff)))
            res = entries[0]
        elif opt.cmd == "secondary-activate":
            call(it["service"], it["path"], ITEM, "SecondaryActivate", GLib.Variant("(ii)", (0, 0)))
            res = {"secondary-activated": it["props"].get("Id")}
        elif opt.cmd == "activate":
            call(it["service"], it["path"], ITEM, "Activate", GLib.Variant("(ii)", (0, 0)))
            res = {"activated": it["props"].get("Id")}
        elif opt.cmd == "context-menu":
            call(it["service"], it["path"], ITEM, "ContextMenu", GLib.Variant("(ii)", (0, 0)))
            res = {"context-menu": it["props"].get("Id")}
        elif opt.cmd == "scroll":
            call(it["service"], it["path"], ITEM, "Scroll", GLib.Variant("(is)", (1, "vertical")))
            res = {"scrolled": it["props"].get("Id")}
        elif opt.cmd == "pixmaps":
            res = decode_pixmaps(it["props"].get("AttentionIconPixmap" if opt.attention else "IconPixmap", []))
    print(json.dumps(jsonable(res), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
