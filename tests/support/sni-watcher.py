#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""A minimal org.kde.StatusNotifierWatcher for tests: the smallest thing a
StatusNotifierItem must work with, independent of any desktop's tray. Owns
the watcher name on the session bus, accepts RegisterStatusNotifierItem
(a bus name, or an object path on the caller's connection) and
RegisterStatusNotifierHost, forgets items and hosts whose bus name goes
away, and emits the watcher's signals.

  sni-watcher.py [--host] [--log FILE]

--host   also register as a host (IsStatusNotifierHostRegistered true)
--log    append one JSON line per event: {"event": "registered"|"unregistered",
         "item": "SERVICE/PATH"}
Exits on SIGTERM/SIGINT (the name goes with it). Use /usr/bin/python3.
"""
import argparse
import json
import signal
import sys

from gi.repository import Gio, GLib

NAME = "org.kde.StatusNotifierWatcher"
PATH = "/StatusNotifierWatcher"
XML = """
<node>
 <interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
  <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
  <signal name="StatusNotifierHostRegistered"/>
  <signal name="StatusNotifierHostUnregistered"/>
 </interface>
</node>"""


class Watcher:
    def __init__(self, bus, host, log):
        self.bus = bus
        self.items = {}           # "service/path" -> owner (unique name)
        self.hosts = {}           # service -> owner
        self.log = log
        if host:
            self.hosts["sni-watcher.py"] = bus.get_unique_name()
        info = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]
        bus.register_object(PATH, info, self.on_call, self.on_get, None)
        bus.signal_subscribe("org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                             "/org/freedesktop/DBus", None, Gio.DBusSignalFlags.NONE,
                             self.on_owner_changed)

    def record(self, event, item):
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"event": event, "item": item}) + "\n")

    def emit(self, name, args=None):
        self.bus.emit_signal(None, PATH, NAME, name, args)

    def on_call(self, bus, sender, path, iface, method, params, invocation):
        service = params.unpack()[0]
        if method == "RegisterStatusNotifierItem":
            # KDE's convention: a bus name means /StatusNotifierItem on it; a
            # path means that object on the caller's connection.
            if service.startswith("/"):
                owner, item = sender, sender + service
            else:
                owner, item = sender, service + "/StatusNotifierItem"
            if item not in self.items:
                self.items[item] = owner
                self.record("registered", item)
                self.emit("StatusNotifierItemRegistered", GLib.Variant("(s)", (item,)))
        else:
            self.hosts[service] = sender
            self.emit("StatusNotifierHostRegistered")
        invocation.return_value(None)

    def on_get(self, bus, sender, path, iface, prop):
        if prop == "RegisteredStatusNotifierItems":
            return GLib.Variant("as", sorted(self.items))
        if prop == "IsStatusNotifierHostRegistered":
            return GLib.Variant("b", bool(self.hosts))
        return GLib.Variant("i", 0)

    def on_owner_changed(self, bus, sender, path, iface, member, params):
        name, old, new = params.unpack()
        if new:
            return
        for item, owner in list(self.items.items()):
            if owner == name or item.split("/", 1)[0] == name:
                del self.items[item]
                self.record("unregistered", item)
                self.emit("StatusNotifierItemUnregistered", GLib.Variant("(s)", (item,)))
        for host, owner in list(self.hosts.items()):
            if owner == name:
                del self.hosts[host]
                self.emit("StatusNotifierHostUnregistered")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", action="store_true")
    ap.add_argument("--log")
    opt = ap.parse_args()

    loop = GLib.MainLoop()
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    Watcher(bus, opt.host, opt.log)

    def lost(*_):
        print("sni-watcher.py: lost or could not own " + NAME, file=sys.stderr)
        loop.quit()

    Gio.bus_own_name_on_connection(bus, NAME, Gio.BusNameOwnerFlags.NONE, None, lost)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
