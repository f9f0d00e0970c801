# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright 2026 The Popbell developers
"""A fault-injecting POP3 relay on 127.0.0.1, for the soak test.

Every connection is relayed to the real server (Dovecot). While faults are on,
each session draws one fault from a seeded random generator, so that a run
can be told again from its seed and its log:

  reset     an RST to both sides once the relayed bytes of one direction reach
            a random offset (inside a whole session: after the greeting, in
            the middle of a UIDL listing, between pipelined TOPs...)
  stall     from a random offset on (or, in half of them, from the first
            answer to TOP: a stall among pipelined TOPs), nothing more from
            the server, for longer than the account's timeout; then the
            connection is dropped
  in-use    the answer to PASS becomes "-ERR [IN-USE] ..." (RFC 3206)
  sys-temp  the answer to PASS, STAT, UIDL, LIST or the first TOP becomes
            "-ERR [SYS/TEMP] ..."

After an injected answer the relay plays the server itself: the real server
is dropped and later commands get "-ERR" (QUIT gets "+OK" and the end).

The relay understands just enough POP3 to frame the answers (which commands
have multi-line answers) and to see whether the client pipelines (more than
one command waiting for its answer at once).
"""
import asyncio
import socket
import struct
import time

MULTILINE = {b"CAPA", b"UIDL", b"LIST", b"TOP", b"RETR"}
KINDS = ("reset", "stall", "in-use", "sys-temp")
SYS_TEMP_VERBS = (b"PASS", b"STAT", b"UIDL", b"LIST", b"TOP")


def _abort(writer):
    """Close with an RST (SO_LINGER 0), not a FIN."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    writer.transport.abort()


class Session:
    """One relayed connection and its fault."""

    def __init__(self, proxy, sid, fault, rng):
        self.proxy = proxy
        self.sid = sid
        self.rng = rng
        self.rec = {"id": sid, "start": time.monotonic(), "fault": fault or "none",
                    "fired": False, "commands": 0, "tops": 0, "max_inflight": 0,
                    "bytes_c2s": 0, "bytes_s2c": 0}
        self.fault = fault
        self.cmds = [(b"<greeting>", False)]   # (verb, has arguments) in order; 0: the greeting
        self.answered = 0              # answers fully relayed (or injected)
        self.in_multi = False
        self.synthetic = False         # the relay answers in place of the server
        self.done = asyncio.Event()
        self.client_eof = asyncio.Event()
        self.cw = self.sw = None
        typical = proxy.typical
        self.target = None
        if fault == "stall" and rng.random() < 0.5:
            self.target = b"TOP"
            self.rec["verb"] = "TOP"
            self.rec["direction"] = "s2c"
            self.rec["offset"] = None
        elif fault in ("reset", "stall"):
            direction = "s2c" if fault == "stall" or rng.random() < 0.7 else "c2s"
            self.rec["direction"] = direction
            self.rec["offset"] = rng.randrange(0, max(1, typical[direction]))
        elif fault == "sys-temp":
            self.target = rng.choice(SYS_TEMP_VERBS)
            self.rec["verb"] = self.target.decode()
        elif fault == "in-use":
            self.target = b"PASS"
            self.rec["verb"] = "PASS"

    # -- helpers ----------------------------------------------------------
    def _fire(self, **detail):
        self.rec["fired"] = True
        self.rec["fired_at"] = round(time.monotonic() - self.rec["start"], 3)
        self.rec.update(detail)

    def _cut(self, direction, data):
        """The bytes of @data that may pass before a reset/stall offset; None: all."""
        if self.fault not in ("reset", "stall") or self.rec["fired"] or self.rec["direction"] != direction:
            return None
        if self.rec["offset"] is None:
            return None
        sent = self.rec["bytes_" + direction]
        room = self.rec["offset"] - sent
        if room >= len(data):
            return None
        return max(room, 0)

    async def _reset_all(self):
        self._fire()
        _abort(self.cw)
        _abort(self.sw)
        self.done.set()

    async def _stall(self):
        self._fire()
        stall_s = self.proxy.stall_s
        t0 = time.monotonic()
        try:
            await asyncio.wait_for(self.client_eof.wait(), stall_s)
            self.rec["client_gave_up_after"] = round(time.monotonic() - t0, 3)
        except asyncio.TimeoutError:
            self.rec["client_gave_up_after"] = None
        _abort(self.cw)
        _abort(self.sw)
        self.done.set()

    def _inflight(self):
        return len(self.cmds) - self.answered

    def _synthetic_answer(self, verb):
        if verb == b"QUIT":
            return b"+OK Logging out (soak relay)\r\n", True
        return b"-ERR [SYS/TEMP] Not available after an injected failure (soak relay)\r\n", False

    async def _go_synthetic(self, injected):
        """Answer the target with @injected, drop the server, answer what waits."""
        self.synthetic = True
        self._fire()
        _abort(self.sw)
        self.sw = None
        out = bytearray(injected)
        self.answered += 1
        end = False
        while self.answered < len(self.cmds) and not end:
            line, end = self._synthetic_answer(self.cmds[self.answered][0])
            out += line
            self.answered += 1
        self.cw.write(bytes(out))
        if end:
            await self._close_client()

    async def _close_client(self):
        try:
            await self.cw.drain()
            self.cw.close()
        except (ConnectionError, OSError):
            pass
        self.done.set()

    # -- client → server ------------------------------------------------------
    async def c2s(self, reader):
        buf = b""
        try:
            while not self.done.is_set():
                data = await reader.read(4096)
                if not data:
                    break
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    line += b"\n"
                    words = line.split()
                    verb = words[0].upper() if words else b""
                    self.cmds.append((verb, len(words) > 1))
                    self.rec["commands"] += 1
                    self.rec["tops"] += verb == b"TOP"
                    self.rec["max_inflight"] = max(self.rec["max_inflight"], self._inflight())
                    if self.synthetic:
                        answer, end = self._synthetic_answer(verb)
                        self.answered += 1
                        self.cw.write(answer)
                        if end:
                            await self._close_client()
                            return
                        continue
                    if self.rec["fired"] and self.fault == "stall":
                        continue           # the server is "gone": swallow
                    cut = self._cut("c2s", line)
                    if cut is not None:
                        self.sw.write(line[:cut])
                        self.rec["bytes_c2s"] += cut
                        await self._reset_all()
                        return
                    self.sw.write(line)
                    self.rec["bytes_c2s"] += len(line)
        except (ConnectionError, OSError):
            pass
        finally:
            self.client_eof.set()
            if not self.done.is_set() and not (self.fault == "stall" and self.rec["fired"]):
                if self.sw is not None:
                    try:
                        self.sw.close()
                    except OSError:
                        pass
                self.done.set()

    # -- server → client ------------------------------------------------------
    def _answer_starts(self, line):
        """Bookkeeping for the first line of an answer; True: inject here."""
        verb, has_args = self.cmds[self.answered] if self.answered < len(self.cmds) else (b"?", False)
        if self.target is not None and not self.rec["fired"] and verb == self.target:
            return True
        one_line = verb in (b"UIDL", b"LIST") and has_args
        self.in_multi = line.startswith(b"+OK") and verb in MULTILINE and not one_line
        if not self.in_multi:
            self.answered += 1
        return False

    async def s2c(self, reader):
        buf = b""
        try:
            while not self.done.is_set():
                data = await reader.read(65536)
                if not data:
                    break
                if self.synthetic or (self.fault == "stall" and self.rec["fired"]):
                    continue
                buf += data
                while b"\n" in buf and not self.done.is_set() and not self.synthetic:
                    line, buf = buf.split(b"\n", 1)
                    line += b"\n"
                    if self.in_multi:
                        if line == b".\r\n" or line == b".\n":
                            self.in_multi = False
                            self.answered += 1
                    elif self._answer_starts(line):
                        if self.fault == "stall":
                            self.rec["inflight_at_stall"] = self._inflight()
                            await self._stall()
                            return
                        if self.fault == "in-use":
                            injected = b"-ERR [IN-USE] Mailbox is locked by another POP3 session (soak relay)\r\n"
                        else:
                            injected = b"-ERR [SYS/TEMP] Temporary failure, try again later (soak relay)\r\n"
                        await self._go_synthetic(injected)
                        return
                    cut = self._cut("s2c", line)
                    if cut is not None:
                        self.cw.write(line[:cut])
                        self.rec["bytes_s2c"] += cut
                        if self.fault == "reset":
                            await self._reset_all()
                        else:
                            await self._stall()
                        return
                    self.cw.write(line)
                    self.rec["bytes_s2c"] += len(line)
                await self.cw.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not self.done.is_set() and not self.synthetic:
                await self._close_client()

    async def run(self, creader, cwriter):
        self.cw = cwriter
        try:
            sreader, self.sw = await asyncio.open_connection("127.0.0.1", self.proxy.target_port)
        except OSError as e:
            self.rec["upstream"] = "down: " + (e.strerror or str(e))
            _abort(cwriter)
            return self.rec
        tasks = [asyncio.create_task(self.c2s(creader)), asyncio.create_task(self.s2c(sreader))]
        await self.done.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for w in (self.cw, self.sw):
            if w is not None:
                w.close()
        self.rec["end"] = time.monotonic()
        self.rec["duration"] = round(self.rec["end"] - self.rec["start"], 3)
        return self.rec


class ChaosProxy:
    """The listening side: draws a fault per session while faults are on.

    @weights: fault kind → share of sessions (the rest are clean);
    @stall_s: how long a stall lasts (longer than the account's timeout);
    @on_session: called with each finished session's record (a dict).
    """

    def __init__(self, target_port, rng, weights, stall_s, on_session):
        self.target_port = target_port
        self.rng = rng
        self.weights = dict(weights)
        self.stall_s = stall_s
        self.on_session = on_session
        self.faults_on = False
        self.typical = {"c2s": 60, "s2c": 200}
        self.port = None
        self._server = None
        self._next_id = 1
        self._live = set()

    def _draw(self):
        if not self.faults_on:
            return None
        x = self.rng.random()
        for kind in KINDS:
            x -= self.weights.get(kind, 0.0)
            if x < 0:
                return kind
        return None

    async def start(self):
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, creader, cwriter):
        sid = self._next_id
        self._next_id += 1
        session = Session(self, sid, self._draw(), self.rng)
        task = asyncio.current_task()
        self._live.add(task)
        try:
            rec = await session.run(creader, cwriter)
        finally:
            self._live.discard(task)
        if rec["fault"] == "none" or not rec["fired"]:
            if "upstream" not in rec:
                self.typical = {"c2s": max(rec["bytes_c2s"], 1), "s2c": max(rec["bytes_s2c"], 1)}
        self.on_session(rec)

    async def close(self):
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._live):
            task.cancel()
        await asyncio.gather(*self._live, return_exceptions=True)
