"""The hostile mix of tests/load/hostile_mix.py in-process, concurrently, on both databases (the real-process,
200-connection version is tests/load/test_burst.py, PostgreSQL only): every request gets its own answer, every
refusal a Chinese problem+json, nothing ≥ 500, and no refused intake is written."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import func, select

from app.appeals.models import Appeal
from tests.helpers import XIXI_ENTERPRISE, appeal_body
from tests.load.hostile_mix import CITY, LIAISON, hostile_mix, wrong_answers

pytestmark = pytest.mark.db

ROUNDS = 2  # each call of the mix twice, all at once


def test_valid_and_hostile_requests_at_once_get_their_own_answers(client, app, keys, session, clock):
    appeal_id = client.post("/api/v1/appeals", json=appeal_body(XIXI_ENTERPRISE), headers=keys[CITY]).json()["id"]
    assert client.post(f"/api/v1/appeals/{appeal_id}/actions/sign", json={}, headers=keys[LIAISON]).status_code == 200
    mix = hostile_mix({CITY: keys[CITY], LIAISON: keys[LIAISON]}, appeal_id, clock.now.date())

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://zhuqi") as http:
            return await asyncio.gather(*(http.request(call.method, call.path, headers=call.headers, json=call.body)
                                          for call, _ in mix * ROUNDS))

    responses = asyncio.run(run())
    answers = [(i, r.status_code, r.headers.get("content-type", ""), r.json() if r.status_code >= 400 else {})
               for i, r in enumerate(responses)]
    assert not wrong_answers(mix, answers), wrong_answers(mix, answers)
    assert session.exec(select(func.count()).select_from(Appeal)).one() == 1

