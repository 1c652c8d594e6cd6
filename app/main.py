"""create_app(): routers, error handlers, middleware, stable operation ids."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine

from app.appeals.router import router as appeals_router
from app.auth.router import router as users_router
from app.config import Settings, get_settings
from app.core.health import router as health_router
from app.core.http import BodySizeLimitMiddleware, NulByteGuard, RequestContextMiddleware, install_error_handlers
from app.db import make_engine
from app.deps import system_clock
from app.enterprises.router import router as enterprises_router
from app.sla.router import router as sla_router
from app.units.router import router as units_router

log = logging.getLogger("app")

DESCRIPTION = """
助企 Zhuqi — 企业诉求"收集 → 梳理 → 交办 → 督办 → 反馈"闭环服务。

Enterprises file appeals (诉求); the service codes each one red/yellow/green, routes it to the responsible
street, holds every unit to deadlines in Chinese working days, escalates what is stuck, and keeps the
liaisons' DingTalk groups informed. Errors are `application/problem+json` (RFC 9457).
"""


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = None
        if settings.run_workers_in_process:
            from app.worker import start_in_process

            stop = start_in_process(engine, settings, app.state.clock)
        yield
        if stop is not None:
            stop.set()

    app = FastAPI(
        title="Zhuqi 助企",
        version="0.1.0",
        description=DESCRIPTION,
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.clock = clock or system_clock
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(NulByteGuard)
    app.add_middleware(RequestContextMiddleware)
    for router in (health_router, units_router, users_router, enterprises_router, appeals_router,
                   sla_router):
        app.include_router(router)
    return app
