# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""The soak test's view of the session bus.

  Markers      the driver's own events, sent as signals on the
               org.freedesktop.Notifications interface so that the capture
               (tests/support/x-session.sh --monitor) records them in bus
               order among popbell's Notify calls
  CaptureTail  reads that capture (dbus-monitor --binary) as it grows and
               turns it into records: {"kind": "notify" | "marker" | "return"
               | "error", ...}
"""
import json

from gi.repository import Gio, GLib

NAME = "org.freedesktop.Notifications"
MARKER_PATH = "/io/github/popbell/Soak"
MARKER_MEMBER = "SoakMarker"


def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Markers:
    def __init__(self):
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)

    def emit(self, ev, **fields):
        fields["ev"] = ev
        self.bus.emit_signal(None, MARKER_PATH, NAME, MARKER_MEMBER,
                             GLib.Variant("(s)", (json.dumps(fields),)))
        self.bus.flush_sync(None)

    def has_owner(self, name):
        (owned,) = self.bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                      "org.freedesktop.DBus", "NameHasOwner",
                                      GLib.Variant("(s)", (name,)), GLib.VariantType("(b)"),
                                      Gio.DBusCallFlags.NONE, 5000, None).unpack()
        return owned


class CaptureTail:
    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.buf = b""

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return []
        self.pos += len(data)
        self.buf += data
        out = []
        while len(self.buf) >= 16:
            need = Gio.DBusMessage.bytes_needed(self.buf[:16])
            if need <= 0 or len(self.buf) < need:
                break
            blob, self.buf = self.buf[:need], self.buf[need:]
            rec = self._decode(blob)
            if rec is not None:
                out.append(rec)
        return out

    @staticmethod
    def _decode(blob):
        msg = Gio.DBusMessage.new_from_blob(blob, Gio.DBusCapabilityFlags.NONE)
        body = msg.get_body()
        args = plain(body.unpack()) if body is not None else []
        kind = msg.get_message_type()
        if kind == Gio.DBusMessageType.SIGNAL and msg.get_member() == MARKER_MEMBER:
            rec = json.loads(args[0])
            rec["kind"] = "marker"
            return rec
        if kind == Gio.DBusMessageType.METHOD_CALL and msg.get_interface() == NAME:
            if msg.get_member() != "Notify" or len(args) != 8:
                return {"kind": "call", "member": msg.get_member()}
            return {"kind": "notify", "sender": msg.get_sender(), "serial": msg.get_serial(),
                    "app_name": args[0], "replaces_id": args[1], "summary": args[3],
                    "body": args[4], "hints": args[6]}
        if kind == Gio.DBusMessageType.METHOD_RETURN:
            return {"kind": "return", "dest": msg.get_destination(),
                    "reply_serial": msg.get_reply_serial()}
        if kind == Gio.DBusMessageType.ERROR:
            return {"kind": "error", "dest": msg.get_destination(),
                    "reply_serial": msg.get_reply_serial(), "error": msg.get_error_name()}
        return None
