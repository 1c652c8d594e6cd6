"""Liveness and readiness (database, migrations at head, calendar coverage); /metrics is app.core.metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from app.core import migrate
from app.core.time import to_shanghai
from app.db import session_for
from app.deps import NowDep

log = logging.getLogger("app.health")
router = APIRouter(tags=["health"])

# Extra readiness checks registered by other domains (e.g. the dispatcher's lag): name → check(session, now).
READINESS_CHECKS: dict[str, Callable[[Any, datetime], dict[str, Any]]] = {}
# The working calendar in force, registered by its owner (sla, from app.wiring): session → calendar with
# `covers(year)`. Core imports no domain; until one is registered the calendar reads "unknown".
CALENDAR_LOADER: dict[str, Callable[[Any], Any]] = {}


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: str


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ok", "database": "ok", "migrations": "head", "calendar": "degraded",
                 "calendar_missing_years": [2027], "checks": {}}
            ]
        }
    )
    status: str
    database: str
    migrations: str
    calendar: str
    calendar_missing_years: list[int]
    checks: dict[str, Any]


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """进程存活。"""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request, now: NowDep) -> JSONResponse:
    """就绪检查：数据库可达、迁移已到最新、工作日历覆盖今明两年、后台任务积压。"""
    engine = request.app.state.engine
    body: dict[str, Any] = {"status": "ok", "database": "ok", "migrations": "unknown", "calendar": "unknown",
                            "calendar_missing_years": [], "checks": {}}
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        current = migrate.current_revisions(engine)
        body["migrations"] = "head" if current == migrate.head_revisions() else f"behind ({', '.join(current)})"
        with session_for(engine) as session:
            for load_calendar in CALENDAR_LOADER.values():
                calendar = load_calendar(session)
                year = to_shanghai(now).year
                missing = [y for y in (year, year + 1) if not calendar.covers(y)]
                body["calendar"] = "degraded" if missing else "ok"
                body["calendar_missing_years"] = missing
            for name, check in READINESS_CHECKS.items():
                body["checks"][name] = check(session, now)
    except sa.exc.SQLAlchemyError as exc:
        log.warning("readiness: database unavailable: %s", exc.__class__.__name__)
        body["database"] = "unavailable"
    ready = body["database"] == "ok" and body["migrations"] == "head"
    body["status"] = "ok" if ready else "unavailable"
    return JSONResponse(body, status_code=200 if ready else 503)
