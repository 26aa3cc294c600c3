"""Server-sent event streams of one API process: one reader of incident_events for all of
them (``EventFeed``), woken when an incident event is written (by this process, at its
commit, or by any other, through the change listener's notification). The feed reads what
is new once per change and keeps the latest events in memory; each stream takes its own
from there, so a hundred open streams cost one query per change, not a hundred."""
from __future__ import annotations

import asyncio
import threading
from collections import deque

from starlette.concurrency import run_in_threadpool

from geo.db import session_factory
from geo.errors import Busy
from geo.i18n import N_
from geo.incidents import stream
from geo.incidents.stream import Position

RECHECK_SECONDS = 15.0   # the feed reads this often when nothing rings (the listener may be down)


class StreamsBusy(Busy):
    """As many streams as allowed are open in this process (or for one key)."""

    title = N_("Streams busy")

    def __init__(self, retry_after: int):
        super().__init__("too many event streams are open; retry in {seconds} s", retry_after)


class Listener:
    """One open stream's doorbell: ``clear`` it before taking events, then ``wait``; a ring in
    between is kept, so no change is slept through."""

    def __init__(self):
        self.rung = asyncio.Event()

    def clear(self) -> None:
        self.rung.clear()

    async def wait(self, seconds: float) -> bool:
        """True if rung within ``seconds``."""
        try:
            await asyncio.wait_for(self.rung.wait(), seconds)
            return True
        except TimeoutError:
            return False


def _read(position: Position | None, **filters) -> tuple[list[dict], Position | None]:
    with session_factory(for_requests=True)() as session:
        return stream.after(session, position, **filters)


def _head() -> Position | None:
    with session_factory(for_requests=True)() as session:
        return stream.head(session)


class EventFeed:
    """The process's one reader of incident events, the last ``keep`` of them in memory, and
    at most ``capacity`` listening streams."""

    def __init__(self, capacity: int, keep: int = 5000, per_key: int = 20):
        self.capacity, self.per_key = capacity, per_key
        self.position: Position | None = None   # read up to here
        self._recent: deque[tuple[tuple[int, int], dict]] = deque(maxlen=keep)
        self._floor: tuple[int, int] | None = None   # every event after this is in memory
        self._listeners: dict[Listener, str] = {}   # and whose each is
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rung: asyncio.Event | None = None
        self._started: asyncio.Future | None = None

    def check(self, owner: str) -> None:
        """StreamsBusy if no more streams are taken, in all or for ``owner`` (a key or token
        subject: one client may not hold every place)."""
        if len(self._listeners) >= self.capacity or sum(o == owner for o in self._listeners.values()) >= self.per_key:
            raise StreamsBusy(retry_after=5)

    async def listen(self, owner: str) -> Listener:
        """A new stream's listener, once the feed is reading."""
        await self._start()
        with self._lock:
            self.check(owner)
            listener = Listener()
            self._listeners[listener] = owner
            return listener

    def leave(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.pop(listener, None)

    def ring(self) -> None:
        """Something was written: read it (callable from any thread)."""
        if self._loop is not None and self._rung is not None:
            try:
                self._loop.call_soon_threadsafe(self._rung.set)
            except RuntimeError:   # the loop has closed (the app is stopping)
                pass

    def since(self, position: Position | None) -> tuple[list[dict], Position | None] | None:
        """The events in memory after ``position`` (None: from the first), and the position to
        go on from; None when ``position`` is older than what memory holds (read the database)."""
        if self.position is None:
            return [], position
        key = position.key if position else (0, 0)
        if key < self._floor:
            return None
        if key >= self.position.key:
            return [], position
        newer = []   # from the newest back: a stream is usually a change or two behind, not 5,000
        for row_key, row in reversed(self._recent):
            if row_key <= key:
                break
            newer.append(row)
        return newer[::-1], self.position

    async def _start(self) -> None:
        if self._started is None:
            self._loop, self._rung = asyncio.get_running_loop(), asyncio.Event()
            self._started = self._loop.create_future()
            self._loop.create_task(self._run())
        await asyncio.shield(self._started)

    async def _run(self) -> None:
        try:
            self.position = await run_in_threadpool(_head)
            self._floor = self.position.key if self.position else (0, 0)
        finally:
            self._started.set_result(None)
        while True:
            self._rung.clear()
            try:
                rows, position = await run_in_threadpool(_read, self.position)
            except Exception:   # the database is away: try again at the next ring or heartbeat
                rows, position = [], self.position
            for row in rows:
                if len(self._recent) == self._recent.maxlen:
                    self._floor = self._recent[0][0]
                self._recent.append((Position(row["txid"], row["id"]).key, row))
            self.position = position
            if rows:
                for listener in list(self._listeners):
                    listener.rung.set()
            if len(rows) == stream.BATCH:
                continue
            try:
                await asyncio.wait_for(self._rung.wait(), RECHECK_SECONDS)
            except TimeoutError:
                pass


def read_backlog(position: Position | None, *, area: str | None, actions: tuple[str, ...]):
    """A stream's own read, for a position older than the feed's memory."""
    return run_in_threadpool(_read, position, area=area, actions=actions)
