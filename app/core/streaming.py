"""Streamed responses (the CSV exports) that start only once their first page is read.

A StreamingResponse sends its status and headers before it asks its iterator for the first chunk. If that first
read meets an exhausted connection pool (or any other failure), the client gets a 200 whose body stops after the
headers, and the error handlers cannot answer any more ("response already started"). So the route reads the
first page itself, in its own thread, before it returns the response: a failure there is answered like on any
other route (an exhausted pool: 503 problem+json with Retry-After, app.core.overload). Later pages can still
fail; by then the client has a file it can see is cut short, and the failure is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import release, session_for

T = TypeVar("T")


def first_page_read(engine: Engine, chunks_of: Callable[[Session], Iterable[T]]) -> Iterator[T]:
    """The chunks `chunks_of` produces with a session of its own, the first one produced now, in the calling
    thread. `chunks_of` must yield its first chunk only after reading its first page (the header travels with
    that page), and end each page's read transaction before yielding it: no connection is held while the
    client reads. After the first chunk the session holds no connection; it is closed when the stream ends."""
    session = session_for(engine)
    try:
        chunks = iter(chunks_of(session))
        first = list(islice(chunks, 1))
        release(session)  # the connection goes back before the response starts, whatever `chunks_of` did
    except BaseException:
        session.close()
        raise
    return _then_the_rest(session, first, chunks)


def _then_the_rest(session: Session, first: list[T], chunks: Iterator[T]) -> Iterator[T]:
    with session:
        yield from first
        yield from chunks
