"""Injected context: the database session, the clock and the settings. For loading and auth only.

Connection discipline (docs/decisions.md, "Connection discipline"): a request holds a pooled connection only while
a thread of the pool is running its code, never while it waits for a thread or for the client. Sync route
functions run in the thread pool; `release_connections` wraps them so that the session gives its connection back
in that same thread before the function's result travels on (serialisation, the response). Authentication does
the same (app.auth.deps). Otherwise a burst deadlocks: threads wait for connections held by requests that wait
for threads (issue 14: 150 concurrent requests, every one timed out).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.db import session_for

_REQUEST_SESSION = "zhuqi.request_session"
_RELEASES = "_zhuqi_releases_connections"
_WAITS_ON_VENDOR = "_zhuqi_waits_on_vendor"
DEFAULT_VENDOR_THREADS = 16
_vendor_limiter: RunVar[anyio.CapacityLimiter] = RunVar("zhuqi_vendor_threads")


def configure_threads(settings: Settings) -> None:
    """Sizes this event loop's thread pools (called in the app's lifespan, on the loop that serves requests)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
    _vendor_limiter.set(anyio.CapacityLimiter(settings.vendor_threads))


def _vendor_threads() -> anyio.CapacityLimiter:
    try:
        return _vendor_limiter.get()
    except LookupError:  # an app used without its lifespan (some tests)
        limiter = anyio.CapacityLimiter(DEFAULT_VENDOR_THREADS)
        _vendor_limiter.set(limiter)
        return limiter


def waits_on_vendor(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a sync route function that waits on a vendor's server (put it under the `@router…` decorator):
    `release_connections` runs it on the vendor threads instead of the few database ones."""
    setattr(endpoint, _WAITS_ON_VENDOR, True)
    return endpoint


async def get_session(request: Request) -> AsyncIterator[Session]:
    """Opening a session does no I/O, so it happens on the event loop instead of costing two thread hops per
    request. By the time the request ends, its sync code has already released the connection (see
    `release_connections`), so closing costs nothing; only a session still in a transaction (used by async code)
    rolls back, which is I/O, so that part goes to the thread pool."""
    session = session_for(request.app.state.engine)
    session.info[_REQUEST_SESSION] = True
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


def is_request_session(value: object) -> bool:
    return isinstance(value, Session) and bool(value.info.get(_REQUEST_SESSION))


def release_connections(router: APIRouter) -> APIRouter:
    """Wraps each sync route function of `router` (before the app includes it) so that, in the thread that ran it,
    the request's session is closed as the function returns or raises: its transaction ends (a use case has
    committed by then; anything else is rolled back, as closing always did) and the connection goes back to the
    pool. Loaded objects stay readable for the response. Idempotent: routers are module-level and every app
    (each test builds one) includes the same ones."""
    for route in router.routes:
        if isinstance(route, APIRoute) and _plain_sync(route.endpoint):
            vendor = getattr(route.endpoint, _WAITS_ON_VENDOR, False)
            route.endpoint = _releasing(route.endpoint)
            if vendor:
                route.endpoint = _on_vendor_threads(route.endpoint)
    return router


def _plain_sync(call: Callable[..., Any]) -> bool:
    return (inspect.isfunction(call) and not getattr(call, _RELEASES, False)
            and not inspect.iscoroutinefunction(call) and not inspect.isgeneratorfunction(call)
            and not inspect.isasyncgenfunction(call))


def _releasing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the signature (and its globals) through __wrapped__
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            for value in kwargs.values():
                if is_request_session(value):
                    value.close()

    setattr(run, _RELEASES, True)
    return run


def _on_vendor_threads(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(functools.partial(endpoint, *args, **kwargs), limiter=_vendor_threads())

    setattr(run, _RELEASES, True)
    return run


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
