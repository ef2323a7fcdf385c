"""A TCP proxy on loopback for fault injection: it forwards to a database server and cuts
connections deterministically, by byte counts or on demand.

    with CutProxy(5432, cut_after=200_000, cuts=1) as proxy:
        ... point the task's target at 127.0.0.1:proxy.port ...
    proxy.cut_count  # connections it cut

``cut_after``: a connection is cut (both sockets closed with a reset) as soon as its client
has sent more than that many bytes, for the first ``cuts`` such connections; the others pass.
``cut_all()`` cuts every open connection at once (what a server restart does to them).
Bounded: it only ever talks to 127.0.0.1 and stops with the ``with`` block.
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import Any


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0): the peer sees the connection die, not end.
    shutdown() first: a close() alone neither wakes a thread blocked in recv() on the
    socket nor lets the kernel drop the connection while that call is in progress."""
    for step in (lambda: sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                         struct.pack("ii", 1, 0)),
                 lambda: sock.shutdown(socket.SHUT_RDWR), sock.close):
        try:
            step()
        except OSError:
            pass


class _Pair:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server = client, server
        self.sent = 0  # bytes client -> server
        self.dead = threading.Event()

    def kill(self) -> None:
        if not self.dead.is_set():
            self.dead.set()
            _reset(self.client)
            _reset(self.server)


class CutProxy:
    def __init__(self, port: int, host: str = "127.0.0.1", cut_after: int | None = None,
                 cuts: int = 1) -> None:
        self.target = (host, port)
        self.cut_after, self.cuts_left = cut_after, cuts
        self.cut_count = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._pairs: list[_Pair] = []
        self._stop = threading.Event()
        self._listen = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listen.bind(("127.0.0.1", 0))
        self._listen.listen(64)
        self._listen.settimeout(0.2)
        self.port = self._listen.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> CutProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listen.close()
        with self._lock:
            for pair in self._pairs:
                pair.kill()

    def cut_all(self) -> int:
        """Cut every open connection now; how many."""
        with self._lock:
            live = [p for p in self._pairs if not p.dead.is_set()]
            self.cut_count += len(live)
        for pair in live:
            pair.kill()
        return len(live)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listen.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)
                continue
            client.settimeout(None)
            pair = _Pair(client, server)
            with self._lock:
                self.connections += 1
                self._pairs = [p for p in self._pairs if not p.dead.is_set()] + [pair]
            threading.Thread(target=self._pump, args=(pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, False), daemon=True).start()

    def _should_cut(self, pair: _Pair) -> bool:
        if self.cut_after is None or pair.sent <= self.cut_after:
            return False
        with self._lock:
            if self.cuts_left <= 0 or pair.dead.is_set():
                return False
            self.cuts_left -= 1
            self.cut_count += 1
            return True

    def _pump(self, pair: _Pair, upstream: bool) -> None:
        src, dst = (pair.client, pair.server) if upstream else (pair.server, pair.client)
        try:
            while not pair.dead.is_set():
                data = src.recv(65536)
                if not data:
                    break
                if upstream:
                    pair.sent += len(data)
                    if self._should_cut(pair):
                        pair.kill()
                        return
                dst.sendall(data)
        except OSError:
            pass
        pair.kill()
