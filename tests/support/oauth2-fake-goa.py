#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""A fake GNOME Online Accounts daemon for the tests: org.gnome.OnlineAccounts
on the (private) session bus, with the parts of its D-Bus API that the real
libgoa client (goa_client_new, goa_client_lookup_by_id, GoaOAuth2Based)
talks to: org.freedesktop.DBus.ObjectManager at /org/gnome/OnlineAccounts,
and per account org.gnome.OnlineAccounts.Account (EnsureCredentials),
org.gnome.OnlineAccounts.OAuth2Based (GetAccessToken) and
org.gnome.OnlineAccounts.Mail.

Usage: oauth2-fake-goa.py CONFIG.json EVENTS
CONFIG is read at every GetManagedObjects and method call, so a test can
change it between checks:
  {"accounts": [{"id": "account_1", "provider_name": "Google",
                 "identity": "alice@example.test", "email": "alice@example.test",
                 "attention_needed": false, "mail_disabled": false,
                 "tokens": ["first", "second"], "ensure_fails": false}]}
GetAccessToken returns tokens[n], where n counts the EnsureCredentials
calls so far (GOA renewing the credentials). EVENTS gets one line per call:
"get-access-token ID" or "ensure-credentials ID".  Prints READY once the
name is owned; ends when stdin reaches EOF.
"""
import json
import sys
import threading

import gi
gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

ROOT = "/org/gnome/OnlineAccounts"
XML = """
<node>
  <interface name="org.freedesktop.DBus.ObjectManager">
    <method name="GetManagedObjects">
      <arg name="objects" type="a{oa{sa{sv}}}" direction="out"/>
    </method>
  </interface>
  <interface name="org.gnome.OnlineAccounts.Account">
    <method name="EnsureCredentials">
      <arg name="expires_in" type="i" direction="out"/>
    </method>
    <property name="ProviderType" type="s" access="read"/>
    <property name="ProviderName" type="s" access="read"/>
    <property name="Id" type="s" access="read"/>
    <property name="Identity" type="s" access="read"/>
    <property name="PresentationIdentity" type="s" access="read"/>
    <property name="AttentionNeeded" type="b" access="read"/>
    <property name="MailDisabled" type="b" access="readwrite"/>
  </interface>
  <interface name="org.gnome.OnlineAccounts.OAuth2Based">
    <method name="GetAccessToken">
      <arg name="access_token" type="s" direction="out"/>
      <arg name="expires_in" type="i" direction="out"/>
    </method>
    <property name="ClientId" type="s" access="read"/>
    <property name="ClientSecret" type="s" access="read"/>
  </interface>
  <interface name="org.gnome.OnlineAccounts.Mail">
    <property name="EmailAddress" type="s" access="read"/>
    <property name="Name" type="s" access="read"/>
  </interface>
</node>
"""
NODE = Gio.DBusNodeInfo.new_for_xml(XML)
IFACES = {i.name: i for i in NODE.interfaces}
config_path, events_path = sys.argv[1], sys.argv[2]
renewals = {}


def config():
    with open(config_path) as f:
        return {a["id"]: a for a in json.load(f)["accounts"]}


def event(text):
    with open(events_path, "a") as f:
        f.write(text + "\n")


def props(acc):
    return {
        "org.gnome.OnlineAccounts.Account": {
            "ProviderType": GLib.Variant("s", acc.get("provider_type", "google")),
            "ProviderName": GLib.Variant("s", acc.get("provider_name", "Google")),
            "Id": GLib.Variant("s", acc["id"]),
            "Identity": GLib.Variant("s", acc.get("identity", "")),
            "PresentationIdentity": GLib.Variant("s", acc.get("identity", "")),
            "AttentionNeeded": GLib.Variant("b", acc.get("attention_needed", False)),
            "MailDisabled": GLib.Variant("b", acc.get("mail_disabled", False)),
        },
        "org.gnome.OnlineAccounts.OAuth2Based": {
            "ClientId": GLib.Variant("s", "fake-goa-client"),
            "ClientSecret": GLib.Variant("s", ""),
        },
        "org.gnome.OnlineAccounts.Mail": {
            "EmailAddress": GLib.Variant("s", acc.get("email", "")),
            "Name": GLib.Variant("s", ""),
        },
    }


def path_of(account_id):
    return ROOT + "/Accounts/" + account_id


def on_call(conn, sender, path, iface, method, params, invocation):
    if method == "GetManagedObjects":
        objects = {path_of(i): props(a) for i, a in config().items()}
        invocation.return_value(GLib.Variant("(a{oa{sa{sv}}})", (objects,)))
        return
    account_id = path.rsplit("/", 1)[-1]
    acc = config().get(account_id)
    if acc is None:
        invocation.return_dbus_error("org.gnome.OnlineAccounts.Error.Failed", "no such account")
        return
    if method == "EnsureCredentials":
        event("ensure-credentials " + account_id)
        if acc.get("ensure_fails") or acc.get("attention_needed"):
            invocation.return_dbus_error("org.gnome.OnlineAccounts.Error.NotAuthorized",
                                         "Credentials not found in keyring")
            return
        renewals[account_id] = renewals.get(account_id, 0) + 1
        invocation.return_value(GLib.Variant("(i)", (3600,)))
    elif method == "GetAccessToken":
        event("get-access-token " + account_id)
        tokens = acc.get("tokens", [])
        n = min(renewals.get(account_id, 0), len(tokens) - 1)
        if n < 0 or acc.get("attention_needed"):
            invocation.return_dbus_error("org.gnome.OnlineAccounts.Error.NotAuthorized",
                                         "Credentials not found in keyring")
            return
        invocation.return_value(GLib.Variant("(si)", (tokens[n], 3600)))
    else:
        invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)


def on_get_property(conn, sender, path, iface, name):
    acc = config().get(path.rsplit("/", 1)[-1])
    return props(acc)[iface][name] if acc else None


def main():
    loop = GLib.MainLoop()
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    bus.register_object(ROOT, IFACES["org.freedesktop.DBus.ObjectManager"], on_call, None, None)
    for account_id in config():
        for name in ("org.gnome.OnlineAccounts.Account", "org.gnome.OnlineAccounts.OAuth2Based",
                     "org.gnome.OnlineAccounts.Mail"):
            bus.register_object(path_of(account_id), IFACES[name], on_call, on_get_property, None)

    def acquired(*_):
        print("READY", flush=True)

    Gio.bus_own_name_on_connection(bus, "org.gnome.OnlineAccounts", Gio.BusNameOwnerFlags.NONE,
                                   acquired, lambda *_: loop.quit())

    def wait_stdin():
        sys.stdin.read()
        GLib.idle_add(loop.quit)

    threading.Thread(target=wait_stdin, daemon=True).start()
    loop.run()


if __name__ == "__main__":
    main()
