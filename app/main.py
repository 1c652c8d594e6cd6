"""create_app(): routers, error handlers, middleware, stable operation ids."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.engine import Engine

import app.models  # noqa: F401  # every table in the metadata before a mapper configures (appeal.visit_id -> visit)
from app import wiring
from app.accounts import service as accounts
from app.accounts.router import auth_router
from app.accounts.router import router as accounts_router
from app.appeals.router import router as appeals_router
from app.attachments.router import router as attachments_router
from app.auth.router import router as users_router
from app.callbacks.router import router as callbacks_router
from app.chatbot.router import router as chatbot_router
from app.config import Settings, get_settings
from app.core import docs, metrics, refcache
from app.core.health import router as health_router
from app.core.http import (
    BodySizeLimitMiddleware,
    NulByteGuard,
    RequestContextMiddleware,
    install_error_handlers,
    reject_repeated_query_parameters,
)
from app.core.logging import configure_logging
from app.db import engine_for
from app.deps import configure_threads, release_connections, system_clock
from app.dingtalk.router import router as dingtalk_router
from app.enterprises.router import router as enterprises_router
from app.notifications.router import router as notifications_router
from app.policies.router import router as policies_router
from app.pages import web as pages_web
from app.pages.dashboard.router import router as dashboard_router
from app.pages.mobile.router import router as pages_router
from app.pairing.router import router as pairing_router
from app.problems.router import router as problems_router
from app.signin.router import router as signin_router
from app.sla.router import router as sla_router
from app.stats.router import router as stats_router
from app.units.router import router as units_router
from app.visits.policy_router import router as visit_policy_router
from app.visits.router import router as visits_router

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
    engine = engine or engine_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = None
        configure_threads(settings)
        # The objects alive once the app is built (modules, routes, mappers, compiled schemas: most of the heap) are
        # moved out of the cyclic collector's reach: a full collection then scans only what requests created. Without
        # it, each full collection paused the process for 160-215 ms under load (issue 20: the stalls in intake's p99
        # at low load; bench/RESULTS.md). Moved back at shutdown, so nothing is kept from collection for good.
        if settings.gc_freeze:
            gc.collect()
            gc.freeze()
        if settings.run_workers_in_process:
            from app.worker import start_in_process

            stop = start_in_process(engine, settings, app.state.clock)
        try:
            yield
        finally:
            if stop is not None:
                stop.set()
            metrics.mark_process_dead()
            if settings.gc_freeze:
                gc.unfreeze()

    app = FastAPI(
        title="Zhuqi 助企",
        version="0.1.0",
        description=DESCRIPTION,
        generate_unique_id_function=_operation_id,
        dependencies=[Depends(reject_repeated_query_parameters)],
        lifespan=lifespan,
        docs_url=None,  # served offline by app.core.docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    refcache.configure(engine, settings.cache_seconds)
    app.state.clock = clock or system_clock
    app.state.token_authenticator = accounts.TokenAuthenticator(app.state)  # enterprise users' bearer tokens
    wiring.install(settings)  # subscribers and registries, bound to these settings (DingTalk's included)
    install_error_handlers(app)
    configure_logging(settings.effective_log_format)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(NulByteGuard)
    app.add_middleware(RequestContextMiddleware)
    for router in (health_router, units_router, users_router, enterprises_router, appeals_router, sla_router,
                   auth_router, accounts_router, attachments_router, notifications_router, chatbot_router,
                   problems_router, callbacks_router, stats_router, pages_router, signin_router, dashboard_router):
        app.include_router(release_connections(router))  # connections held only while a thread runs (app.deps)
    for router in (dingtalk_router, visits_router, pairing_router, visit_policy_router, policies_router):
        app.include_router(release_connections(router))
    app.include_router(metrics.router)
    docs.install(app)
    app.mount(pages_web.STATIC_PREFIX, pages_web.static_files(), name="static")
    return app
