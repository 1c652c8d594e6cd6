"""Injected context: the database session, the clock and the settings. For loading and auth only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.config import Settings
from app.db import session_for


def get_session(request: Request) -> Iterator[Session]:
    with session_for(request.app.state.engine) as session:
        yield session


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
