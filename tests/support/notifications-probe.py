#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""Read and drive the notification server of a test session (x-session.sh).

Run inside the session (DBUS_SESSION_BUS_ADDRESS set). Output is JSON on
stdout; exit status 0 on success, 1 when a wait timed out or a check failed.

  notifications-probe.py server-info        name, vendor, version, spec, capabilities
  notifications-probe.py counts             dunst: {"displayed", "history", "waiting"}
  notifications-probe.py history            dunst history (closed/expired), newest first:
                                            [{id, appname, summary, body, category,
                                              default_action_name, icon_path, urgency?...}]
  notifications-probe.py close-all          dunst: close all displayed (they move to history)
  notifications-probe.py action [N]         dunst: invoke the default/only action of the
                                            N-th displayed notification (default 0);
                                            with several actions dunst runs its "dmenu"
                                            (x-session.sh: $XS_DMENU_PICK picks the line)
  notifications-probe.py wait [--count N] [--summary REGEX] [--timeout S]
                                            wait until N notifications were shown
                                            (displayed + history) or one whose summary
                                            matches REGEX is in the history (closing the
                                            displayed ones to get there); prints it
  notifications-probe.py calls [FILE]       decode a `dbus-monitor --binary` capture
                                            (default $XS_DIR/notifications.dbus) into a
                                            list of {"member": "Notify", "app_name",
                                            "replaces_id", "app_icon", "summary", "body",
                                            "actions": [[key, label]...], "hints": {...},
                                            "expire_timeout", "serial"} and the replies
                                            (ids) and signals (ActionInvoked,
                                            NotificationClosed, ActivationToken)

Use /usr/bin/python3 (python3-gi lives there).
"""
import argparse
import json
import os
import re
import sys
import time

from gi.repository import Gio, GLib

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
DUNST = "org.dunstproject.cmd0"


def bus():
    return Gio.bus_get_sync(Gio.BusType.SESSION, None)


def call(iface, method, args=None, rtype=None):
    return bus().call_sync(NAME, PATH, iface, method, args,
                           GLib.VariantType.new(rtype) if rtype else None,
                           Gio.DBusCallFlags.NONE, 5000, None).unpack()


def dunst_prop(name):
    return call("org.freedesktop.DBus.Properties", "Get",
                GLib.Variant("(ss)", (DUNST, name)), "(v)")[0]


def counts():
    return {k: dunst_prop(k + "Length") for k in ("displayed", "history", "waiting")}


def history():
    (items,) = call(DUNST, "NotificationListHistory", None, "(aa{sv})")
    return [dict(n) for n in items]


def plain(value):
    """GVariant-unpacked values to JSON-friendly ones."""
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def decode_capture(path):
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos + 16 <= len(data):
        need = Gio.DBusMessage.bytes_needed(data[pos:pos + 16])
        if need <= 0 or pos + need > len(data):
            break
        msg = Gio.DBusMessage.new_from_blob(data[pos:pos + need], Gio.DBusCapabilityFlags.NONE)
        pos += need
        body = msg.get_body()
        args = plain(body.unpack()) if body is not None else []
        kind = msg.get_message_type()
        rec = {"serial": msg.get_serial(), "sender": msg.get_sender()}
        if kind == Gio.DBusMessageType.METHOD_CALL and msg.get_interface() == NAME:
            rec["member"] = msg.get_member()
            if msg.get_member() == "Notify" and len(args) == 8:
                acts = args[5]
                rec.update(app_name=args[0], replaces_id=args[1], app_icon=args[2],
                           summary=args[3], body=args[4],
                           actions=[[acts[i], acts[i + 1]] for i in range(0, len(acts) - 1, 2)],
                           hints=args[6], expire_timeout=args[7])
            else:
                rec["args"] = args
        elif kind == Gio.DBusMessageType.SIGNAL and msg.get_interface() == NAME:
            rec.update(member=msg.get_member(), args=args)
        elif kind == Gio.DBusMessageType.METHOD_RETURN:
            rec.update(member="return", reply_serial=msg.get_reply_serial(), args=args)
        elif kind == Gio.DBusMessageType.ERROR:
            rec.update(member="error", reply_serial=msg.get_reply_serial(),
                       error=msg.get_error_name(), args=args)
        else:
            continue
        out.append(rec)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("server-info")
    sub.add_parser("counts")
    sub.add_parser("history")
    sub.add_parser("close-all")
    a = sub.add_parser("action")
    a.add_argument("n", nargs="?", type=int, default=0)
    w = sub.add_parser("wait")
    w.add_argument("--count", type=int, default=1)
    w.add_argument("--summary")
    w.add_argument("--timeout", type=float, default=10)
    c = sub.add_parser("calls")
    c.add_argument("file", nargs="?")
    opt = ap.parse_args()

    if opt.cmd == "server-info":
        info = call(NAME, "GetServerInformation", None, "(ssss)")
        caps = call(NAME, "GetCapabilities", None, "(as)")[0]
        res = dict(zip(("name", "vendor", "version", "spec_version"), info), capabilities=caps)
    elif opt.cmd == "counts":
        res = counts()
    elif opt.cmd == "history":
        res = history()
    elif opt.cmd == "close-all":
        call(DUNST, "NotificationCloseAll")
        res = counts()
    elif opt.cmd == "action":
        call(DUNST, "NotificationAction", GLib.Variant("(u)", (opt.n,)))
        res = {"invoked": opt.n}
    elif opt.cmd == "calls":
        path = opt.file or os.path.join(os.environ.get("XS_DIR", "."), "notifications.dbus")
        res = decode_capture(path)
    elif opt.cmd == "wait":
        deadline = time.monotonic() + opt.timeout
        pattern = re.compile(opt.summary) if opt.summary else None
        res = None
        while time.monotonic() < deadline:
            n = counts()
            if pattern is None and n["displayed"] + n["history"] >= opt.count:
                res = n
                break
            if pattern is not None:
                if n["displayed"]:
                    call(DUNST, "NotificationCloseAll")
                hit = [h for h in history() if pattern.search(h.get("summary", ""))]
                if hit:
                    res = hit[0]
                    break
            time.sleep(0.05)
        if res is None:
            print(json.dumps({"timeout": opt.timeout, "counts": counts(), "history": history()},
                             ensure_ascii=False, indent=1))
            return 1
    json.dump(res, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
