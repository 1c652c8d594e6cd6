"""The baseline for intake: a bare FastAPI app doing one INSERT and one commit per request, on the same
database, through the same engine settings (`app.db.make_engine`: pool, SQLite pragmas and BEGIN IMMEDIATE),
served by the same uvicorn settings as the real app. Run as `uvicorn --factory bench.baseline_app:create_app`.

The table `bench_insert` is created by `prepare(url)` before the server starts (never by the workers, which
would race each other).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio.to_thread

import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import BaseModel, Field

from app.db import UtcDateTime, make_engine

metadata = sa.MetaData()
bench_insert = sa.Table(
    "bench_insert", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enterprise_id", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)


def prepare(url: str) -> None:
    engine = make_engine(url)
    metadata.create_all(engine)
    engine.dispose()


class InsertIn(BaseModel):
    enterprise_id: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)


class InsertOut(BaseModel):
    id: int


def create_app() -> FastAPI:
    engine = make_engine(os.environ["ZHUQI_DATABASE_URL"])
    threads = os.environ.get("BENCH_BASELINE_THREADS")  # unset: anyio's default 40, a bare FastAPI app

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if threads:  # the same thread pool as the real app's ZHUQI_API_THREADS, to see what it is worth alone
            anyio.to_thread.current_default_thread_limiter().total_tokens = int(threads)
        yield

    app = FastAPI(title="bench baseline", lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bench/noop")
    def noop() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/bench/insert", status_code=201, response_model=InsertOut)
    def insert(data: InsertIn) -> InsertOut:
        with engine.begin() as conn:
            new_id = conn.execute(
                bench_insert.insert()
                .values(enterprise_id=data.enterprise_id, title=data.title, description=data.description,
                        created_at=datetime.now(UTC))
                .returning(bench_insert.c.id)
            ).scalar_one()
        return InsertOut(id=new_id)

    return app
