# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""Watches popbell's state folder with inotify and, when armed, sends SIGKILL
to the applet the moment a save mentions a new UID: the window in which a
new message may be saved as seen while its announcement has not left the
process yet. (Saves that only record a failed login or a backoff step are
not aimed at.) A save is a snapshot renamed into place (ACCOUNT.state) or a
record appended to the journal beside it (ACCOUNT.journal, closed after
each append).

The kill is sent from the watching thread itself, a few microseconds after
the rename, not after a round trip through the driver's event loop.
"""
import ctypes
import os
import select
import signal
import struct
import threading
import time

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100

_libc = ctypes.CDLL(None, use_errno=True)


class StateWatch:
    def __init__(self, folder, account):
        self.folder = folder
        self.state_name = (account + ".state").encode()
        self.journal_name = (account + ".journal").encode()
        self.saves = 0
        self._uids = frozenset()
        self.last_save = None
        self._armed_pid = None
        self._killed = threading.Event()
        self._saved = threading.Condition()
        self._stop = False
        self.fd = _libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        os.makedirs(folder, exist_ok=True)
        if _libc.inotify_add_watch(self.fd, folder.encode(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + folder)
        self._thread = threading.Thread(target=self._run, name="state-watch", daemon=True)
        self._thread.start()

    def arm(self, pid):
        """SIGKILL @pid right after the next save."""
        self._killed.clear()
        self._armed_pid = pid

    def disarm(self):
        self._armed_pid = None

    def wait_killed(self, timeout):
        return self._killed.wait(timeout)

    def wait_save(self, after_count, timeout):
        """True once more than @after_count saves were seen."""
        deadline = time.monotonic() + timeout
        with self._saved:
            while self.saves <= after_count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._saved.wait(left)
        return True

    def _run(self):
        while not self._stop:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if not r:
                continue
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            pos = 0
            while pos + 16 <= len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, pos)
                name = data[pos + 16:pos + 16 + length].rstrip(b"\0")
                pos += 16 + length
                if ((name == self.state_name and mask & IN_MOVED_TO) or
                        (name == self.journal_name and mask & IN_CLOSE_WRITE)):
                    pid = self._armed_pid
                    if self._mentions_new_uid() and pid is not None:
                        self._armed_pid = None
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                        self._killed.set()
                    with self._saved:
                        self.saves += 1
                        self.last_save = time.monotonic()
                        self._saved.notify_all()

    def _mentions_new_uid(self):
        """Does the state on disk (snapshot and journal) name a UID it did
        not name at the previous save? Lines "u UID", "n UID<TAB>...",
        "+ UID" carry one."""
        uids = set()
        for name in (self.state_name, self.journal_name):
            try:
                with open(os.path.join(self.folder.encode(), name), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            for line in data.split(b"\n"):
                if line[:2] in (b"u ", b"n ", b"+ "):
                    uids.add(line[2:].split(b"\t", 1)[0])
        new = bool(uids - self._uids)
        self._uids = frozenset(uids)
        return new

    def close(self):
        self._stop = True
        self._thread.join(2)
        os.close(self.fd)
