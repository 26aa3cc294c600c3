"""Server-sent event streams of one API process: who is listening, and the bell that wakes
them when an incident event is written (by this process, at its commit, or by any other,
through the change listener's notification)."""
from __future__ import annotations

import asyncio
import threading

from geo.errors import DomainError
from geo.i18n import N_


class StreamsBusy(DomainError):
    """As many streams as allowed are open in this process."""

    status, title = 503, N_("Streams busy")

    def __init__(self, retry_after: int):
        super().__init__("too many event streams are open; retry in {seconds} s", seconds=retry_after)
        self.retry_after = retry_after


class Listener:
    """One open stream's doorbell: ``clear`` it before reading, then ``wait``; a ring in
    between is kept, so no change is slept through."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop, self.rung = loop, asyncio.Event()

    def clear(self) -> None:
        self.rung.clear()

    async def wait(self, seconds: float) -> bool:
        """True if rung within ``seconds``."""
        try:
            await asyncio.wait_for(self.rung.wait(), seconds)
            return True
        except TimeoutError:
            return False


class Bell:
    """Rings every listener of this process, from any thread; at most ``capacity`` listeners."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._listeners: set[Listener] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._listeners)

    def check(self) -> None:
        """StreamsBusy if no more listeners are taken."""
        if len(self._listeners) >= self.capacity:
            raise StreamsBusy(retry_after=5)

    def listen(self) -> Listener:
        with self._lock:
            self.check()
            listener = Listener(asyncio.get_running_loop())
            self._listeners.add(listener)
            return listener

    def leave(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def ring(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener.loop.call_soon_threadsafe(listener.rung.set)
            except RuntimeError:   # its loop has closed (the app is stopping)
                pass
