"""Connection discipline (issue 14, docs/decisions.md 72), in-process on both databases with a pool of ONE
connection: more concurrent requests than the thread pool has threads all get their answer (a request holds the
connection only while a thread runs its code), an invented key needs no connection at all, and an exhausted pool
answers 503 problem+json with Retry-After at once instead of a 500 after 30 s."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest

from app.db import make_engine
from app.main import create_app

pytestmark = pytest.mark.db

CONCURRENT = 60  # more than anyio's 40 threads: before the fix, every thread waited for the one connection


@pytest.fixture
def one_connection_app(request, database_url, db, settings, clock):  # type: ignore[no-untyped-def]
    # The wait for the connection: long enough for a queue of 60 requests on a loaded machine, unless a test
    # wants the pool exhausted (before the fix, the queue never moved: every wait ran out).
    timeout = getattr(request, "param", 20.0)
    engine = make_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=timeout)
    yield create_app(settings, engine=engine, clock=clock)
    engine.dispose()


def _gather(app, requests: list[tuple[str, str, dict[str, str]]]) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhuqi") as client:
            return await asyncio.gather(*(client.request(m, p, headers=h) for m, p, h in requests))
    return asyncio.run(run())


def test_more_requests_than_threads_share_one_connection(one_connection_app, keys):
    engine = one_connection_app.state.engine
    reads = [("GET", "/api/v1/appeals", keys["city"])] * CONCURRENT
    invented = [("GET", "/api/v1/appeals", {"Authorization": f"Bearer zq_{secrets.token_urlsafe(32)}"})] * 10
    responses = _gather(one_connection_app, reads + invented)
    assert [r.status_code for r in responses] == [200] * CONCURRENT + [401] * 10, {r.text for r in responses}
    assert engine.pool.checkedout() == 0


def test_a_refused_key_is_answered_without_a_connection(one_connection_app):
    headers = {"Authorization": f"Bearer zq_{secrets.token_urlsafe(32)}"}
    assert _gather(one_connection_app, [("GET", "/api/v1/appeals", headers)])[0].status_code == 401  # read once
    with one_connection_app.state.engine.connect():  # the only connection is taken
        again, malformed = _gather(one_connection_app, [("GET", "/api/v1/appeals", headers),
                                                        ("GET", "/api/v1/appeals", {"Authorization": "Bearer zq_x"})])
    assert (again.status_code, malformed.status_code) == (401, 401)


@pytest.mark.parametrize("one_connection_app", [0.3], indirect=True)
def test_an_exhausted_pool_answers_503_with_retry_after_at_once(one_connection_app, keys):
    with one_connection_app.state.engine.connect():
        response = _gather(one_connection_app, [("GET", "/api/v1/appeals", keys["city"])])[0]
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "overloaded"
    assert _gather(one_connection_app, [("GET", "/api/v1/appeals", keys["city"])])[0].status_code == 200
