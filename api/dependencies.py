"""FastAPI dependencies: one database session per request, or none for an answer already in memory."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from geo.db import session_factory
from geo.replicas import read_router

T = TypeVar("T")


def get_session() -> Iterator[Session]:
    with session_factory(for_requests=True)() as session:
        yield session


@contextmanager
def read_session(request: Request) -> Iterator[Session]:
    """A session for reads that may be a little stale (tiles, OGC, areas, locate): a replica
    in rotation, else the primary. A replica that refuses the connection leaves the rotation
    and the next candidate serves. ``X-Read-From`` says which served."""
    router = read_router()
    for sessions, replica in router.candidates():
        session = sessions()
        try:
            session.connection()
        except OperationalError as exc:
            session.close()
            if replica is None:
                raise
            router.mark_down(replica, exc)
            continue
        # Through the headers middleware: a route may answer with a Response of its own (tiles).
        request.state.response_headers = {**getattr(request.state, "response_headers", {}),
                                          "X-Read-From": replica.name if replica else "primary"}
        try:
            yield session
        finally:
            try:
                session.close()
            except OperationalError as exc:   # the server went away after the answer was made
                if replica is not None:
                    router.mark_down(replica, exc)
        return


def get_read_session(request: Request) -> Iterator[Session]:
    """``read_session`` as a dependency."""
    with read_session(request) as session:
        yield session


def in_worker_thread(request: Request, work: Callable[[Session], T]) -> Awaitable[T]:
    """``work`` with a read session, in a worker thread: the part of an async route that needs
    the database (a cache miss), off the event loop."""
    def run() -> T:
        with read_session(request) as session:
            return work(session)
    return run_in_threadpool(run)


def get_transaction() -> Iterator[Session]:
    """A session whose work commits as one transaction when the request succeeds."""
    with session_factory(for_requests=True)() as session, session.begin():
        yield session


# A route's one transaction, committed before its answer is sent (scope "function"): a 201 is
# never sent for a change that then fails to commit.
Transaction = Annotated[Session, Depends(get_transaction, scope="function")]


def get_actor(request: Request) -> str:
    """Who is acting, for the audit log: the key's name or the token's subject."""
    principal = getattr(request.state, "principal", None)
    return principal.name if principal is not None else "anonymous"
