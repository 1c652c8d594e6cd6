"""Start-up tuning (issue 20, app.deps and app.main): route code runs on `api_threads` threads (few, so that they do not fight over
the GIL at every database round trip), and a route that waits on a vendor runs on threads of its own — with ONE
database thread, a WeChat sign-in stuck at a slow vendor must not stop anyone else's request."""

from __future__ import annotations

import asyncio
import json
import threading

import anyio.to_thread
import httpx
import pytest

from app.main import create_app
from tests.fakes.mini_program_login import login_settings

pytestmark = pytest.mark.db


@pytest.fixture
def one_thread_app(db, settings, clock):  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={**login_settings(), "api_threads": 1, "vendor_threads": 2})
    return create_app(settings, engine=db, clock=clock)


class SlowWeChat:
    """A WeChat jscode2session that answers only when released (the vendor's server is hanging)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.entered.set()
        self.release.wait(timeout=60)
        body = {"openid": "o-slow-vendor", "session_key": "k"}
        return httpx.Response(200, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


async def _serve(app, scenario):  # type: ignore[no-untyped-def]
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhuqi") as client:
            return await scenario(client)


def test_the_lifespan_sizes_the_route_threads(one_thread_app):
    async def scenario(client: httpx.AsyncClient) -> int:
        return anyio.to_thread.current_default_thread_limiter().total_tokens

    assert asyncio.run(_serve(one_thread_app, scenario)) == 1


def test_a_hanging_vendor_does_not_take_the_database_threads(one_thread_app, keys):
    vendor = SlowWeChat()
    one_thread_app.state.http_transport = httpx.MockTransport(vendor)

    async def scenario(client: httpx.AsyncClient) -> tuple[list[int], int]:
        sign_in = asyncio.create_task(client.post("/api/v1/auth/wechat", json={"code": "c-slow"}))
        while not vendor.entered.is_set():  # the sign-in's thread now waits on the vendor
            await asyncio.sleep(0.01)
        # A deadlock guard, not a timing: with the sign-in on the one database thread these never finish.
        reads = await asyncio.wait_for(asyncio.gather(
            *(client.get("/api/v1/appeals", headers=keys["city"]) for _ in range(5))), timeout=60)
        still_waiting = not sign_in.done()
        vendor.release.set()
        signed_in = await sign_in
        assert still_waiting
        return [r.status_code for r in reads], signed_in.status_code

    reads, signed_in = asyncio.run(_serve(one_thread_app, scenario))
    assert reads == [200] * 5
    assert signed_in == 200


def test_the_lifespan_freezes_the_start_up_heap_and_lets_it_go_at_shutdown(db, settings, clock):
    import gc

    app = create_app(settings.model_copy(update={"gc_freeze": True}), engine=db, clock=clock)

    async def scenario(client: httpx.AsyncClient) -> int:
        return gc.get_freeze_count()

    assert asyncio.run(_serve(app, scenario)) > 10_000  # modules, routes, mappers: the start-up heap
    assert gc.get_freeze_count() == 0
