"""Injected context: the database session, the clock and the settings. For loading and auth only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import session_for


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Opening a session does no I/O, so it happens on the event loop instead of costing two thread hops per
    request; closing one that still holds a transaction (the use case failed before its commit) rolls back,
    which is I/O, so that part goes to the thread pool."""
    session = session_for(request.app.state.engine)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


# Pure dependencies are `async def`: FastAPI runs a plain `def` dependency in the thread pool, a thread hop per
# request for nothing. (The session and the principal stay sync: they do database I/O.)
async def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def system_clock() -> datetime:
    return datetime.now(UTC)


SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(get_now)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
