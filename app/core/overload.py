"""Overload answers: a request that cannot get a database connection within ZHUQI_DB_POOL_TIMEOUT_SECONDS is
answered 503 problem+json with Retry-After at once, instead of a 500 (SQLAlchemy's TimeoutError) after 30 s.

The pool wait is short on purpose: with connections held only while a thread runs a request's code
(app.deps), a wait of seconds means the database is slower than the traffic, and a client retrying in a moment
does better than a queue that grows until every request times out."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, Problem

log = logging.getLogger("app.overload")

RETRY_AFTER_SECONDS = 1


def pool_exhausted_response(request_id: str | None) -> JSONResponse:
    problem = Problem(
        type=PROBLEM_TYPE_BASE + "overloaded",
        title="服务繁忙",
        status=503,
        detail="服务繁忙，数据库连接已满，请稍后重试 (all database connections busy, retry shortly)",
        code="overloaded",
        request_id=request_id,
    )
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=503, media_type=PROBLEM_MEDIA_TYPE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def install(app: FastAPI) -> None:
    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None)
        log.warning("connection pool exhausted request_id=%s", request_id)
        return pool_exhausted_response(request_id)
