# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""Watches popbell's state folder with inotify and, when armed, sends SIGKILL
to the applet the moment a state file that mentions a new UID is renamed
into place: the window in which a new message may be saved as seen while
its announcement has not left the process yet. (Saves that only record a
failed login or a backoff step are not aimed at.)

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
    def __init__(self, folder, state_name):
        self.folder = folder
        self.state_name = state_name.encode()
        self.saves = 0
        self._uid_lines = frozenset()
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
                if name == self.state_name and mask & IN_MOVED_TO:
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
        """Lines that carry a UID ("u UID", "n UID ..."): does this save add one?"""
        try:
            with open(os.path.join(self.folder, self.state_name.decode()), "rb") as f:
                lines = frozenset(l.split(b"\t", 1)[0] for l in f.read().split(b"\n")
                                  if l[:2] in (b"u ", b"n "))
        except OSError:
            return False
        new = bool(lines - self._uid_lines)
        self._uid_lines = lines
        return new

    def close(self):
        self._stop = True
        self._thread.join(2)
        os.close(self.fd)
