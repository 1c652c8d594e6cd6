"""Connection discipline (issue 14, docs/decisions.md 72), in-process on both databases with a pool of ONE
connection: more concurrent requests than the thread pool has threads all get their answer (a request holds the
connection only while a thread runs its code) — API reads, the HTML pages and the streamed exports alike —, an
invented key needs no connection at all, and an exhausted pool answers 503 problem+json with Retry-After at once
instead of a 500 after 30 s — a streamed export too, when its first page meets it (app.core.streaming)."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import pytest
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, select

from app.auth.models import User
from app.auth.service import create_api_key
from app.db import make_engine
from app.deps import is_request_session
from app.main import create_app
from app.pages.web import SESSION_COOKIE
from app.signin import service as signin
from tests.helpers import XIXI_ENTERPRISE, appeal_body

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


# The HTML pages and the streamed exports (docs/decisions.md 72): the pages' viewer dependency reads the signed-in
# user in its own thread, and an export's rows are read in short transactions, each ended in the thread that read
# it before its chunk goes to the client; otherwise a stream suspended between chunks keeps the one connection
# while the other requests' threads wait for it.

PAGE_REQUESTS = 45  # more than anyio's 40 threads


@pytest.fixture
def exportable(one_connection_app, city, keys, clock):  # type: ignore[no-untyped-def]
    """Two appeals and two visits of 西溪街道, filed through the API (a visit needs a key bound to a user)."""
    wang = city.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one()
    _, token = create_api_key(city, role="liaison", unit_code="330106012", name="wang", now=clock.now,
                              user_id=wang.id)
    with TestClient(one_connection_app, raise_server_exceptions=False) as client:
        for day in ("2026-02-26", "2026-02-27"):
            assert client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_admin"]).status_code == 201
            visit = {"enterprise_uscc": XIXI_ENTERPRISE, "visited_on": day, "mode": "on_site",
                     "summary": "了解企业新厂房投产进度。"}
            response = client.post("/api/v1/visits", json=visit, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response.text
    return one_connection_app


@pytest.mark.parametrize("path", ["/api/v1/visits/export.csv", "/api/v1/visits/export.xlsx",
                                  "/api/v1/stats/export.csv?from=2026-01-01&unit=330106"])
def test_concurrent_exports_share_one_connection(exportable, keys, path):
    responses = _gather(exportable, [("GET", path, keys["xihu"])] * PAGE_REQUESTS)
    assert [r.status_code for r in responses] == [200] * PAGE_REQUESTS, {r.text[:200] for r in responses}
    assert all(len(r.content) > 500 for r in responses)  # the rows, not only a header
    if ".csv" in path:
        assert len({r.content for r in responses}) == 1
    assert exportable.state.engine.pool.checkedout() == 0


@pytest.mark.parametrize("path", ["/m/", "/dashboard"])
def test_concurrent_pages_share_one_connection(one_connection_app, city, keys, clock, path):
    signed_in = signin.sign_in_api_key(city, keys["xihu"]["Authorization"].removeprefix("Bearer "), now=clock.now)
    cookie = {"Cookie": f"{SESSION_COOKIE}={signed_in.cookie_value}"}
    responses = _gather(one_connection_app, [("GET", path, cookie)] * PAGE_REQUESTS)
    assert [r.status_code for r in responses] == [200] * PAGE_REQUESTS, {r.text[:200] for r in responses}
    assert "登录" not in responses[0].text.split("<title>")[1].split("</title>")[0]  # the page, not the sign-in
    assert one_connection_app.state.engine.pool.checkedout() == 0


# A streamed export whose first page meets an exhausted pool: the route reads that page in its own thread before
# the response starts, so the answer is a whole 503 problem+json with Retry-After (as for any other route), never
# a 200 whose body stops after the header. Every StreamingResponse route of the app must be listed here.

STREAMED = ["/api/v1/visits/export.csv", "/api/v1/stats/export.csv?from=2026-01-01&unit=330106"]
EXPORTS = [*STREAMED, "/api/v1/visits/export.xlsx"]


def test_every_streamed_route_is_tested_against_an_exhausted_pool(app):
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    streamed = {route.path for route in routes if isinstance(route, APIRoute) and (
        route.response_class is StreamingResponse or "StreamingResponse" in str(route.endpoint.__annotations__))}
    assert streamed == {path.split("?")[0] for path in STREAMED}


@pytest.fixture
def taken_at_stream_start(exportable):  # type: ignore[no-untyped-def]
    """Arms a hand-over: the first statement of a session other than the request's own (the export's stream
    session, after the route's checks have given the connection back) finds the only connection taken."""
    engine, held, armed = exportable.state.engine, [], [True]

    def take(state) -> None:  # type: ignore[no-untyped-def]
        if armed and not is_request_session(state.session):
            armed.clear()  # once
            held.append(engine.connect())

    event.listen(Session, "do_orm_execute", take)
    yield held
    event.remove(Session, "do_orm_execute", take)
    for connection in held:
        connection.close()


def _assert_overloaded(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.content[:200])
    assert response.headers["Retry-After"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Content-Disposition" not in response.headers
    assert response.json()["code"] == "overloaded"  # a whole JSON body: nothing of the file was sent


@pytest.mark.parametrize("one_connection_app", [0.3], indirect=True)
@pytest.mark.parametrize("path", STREAMED)
def test_a_streamed_export_whose_first_page_meets_an_exhausted_pool_answers_503(taken_at_stream_start, exportable,
                                                                                keys, path):
    _gather(exportable, [("GET", "/api/v1/appeals", keys["xihu"])])  # the key is read once (the request's session)
    _assert_overloaded(_gather(exportable, [("GET", path, keys["xihu"])])[0])
    assert len(taken_at_stream_start) == 1  # the hold happened at the stream's first page
    taken_at_stream_start[0].close()
    again = _gather(exportable, [("GET", path, keys["xihu"])])[0]
    assert again.status_code == 200 and len(again.content) > 500
    assert exportable.state.engine.pool.checkedout() == 0


@pytest.mark.parametrize("one_connection_app", [0.3], indirect=True)
@pytest.mark.parametrize("path", EXPORTS)
def test_an_export_meeting_a_pool_held_throughout_answers_503(exportable, keys, path):
    _gather(exportable, [("GET", "/api/v1/appeals", keys["xihu"])])
    with exportable.state.engine.connect():
        _assert_overloaded(_gather(exportable, [("GET", path, keys["xihu"])])[0])
    assert exportable.state.engine.pool.checkedout() == 0
