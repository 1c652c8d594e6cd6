"""The fake DingTalk robot follows chat-protocols.md §1.6 — and our own modules pass it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.notifications.delivery import Outcome, classify
from app.notifications.messages import render_digest
from app.notifications.signing import dingtalk_signed_url
from tests.fakes.dingtalk_robot import FakeDingTalkRobot
from tests.unit.test_messages import make_items

BASE = "https://oapi.dingtalk.com"
SECRET = "SEC0123456789abcdef"
T0 = 1_700_000_000.0  # seconds; the vectors' timestamp 1700000000000 ms


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> FakeDingTalkRobot:
    robot = FakeDingTalkRobot(clock=clock)
    robot.add_robot("open")
    robot.add_robot("signed", secret=SECRET)
    robot.add_robot("kw", keywords=["助企", "诉求"])
    return robot


@pytest.fixture
def client(fake: FakeDingTalkRobot) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake.transport(), base_url=BASE) as c:
        yield c


def text(content: str = "诉求", uuid: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"msgtype": "text", "text": {"content": content}}
    if uuid:
        payload["msgUuid"] = uuid
    return payload


def send(client: httpx.Client, token: str, payload: Any = None, **kw: Any) -> dict[str, Any]:
    response = client.post(
        f"/robot/send?access_token={token}", json=text() if payload is None else payload, **kw
    )
    assert response.status_code == 200  # always 200, errors are in the body
    body: dict[str, Any] = response.json()
    return body


def signed(client: httpx.Client, ts_ms: int, payload: Any = None, secret: str = SECRET) -> dict[str, Any]:
    url = dingtalk_signed_url(f"{BASE}/robot/send?access_token=signed", secret, ts_ms)
    body: dict[str, Any] = client.post(url, json=text() if payload is None else payload).json()
    return body


def test_accepts_and_records(client: httpx.Client, fake: FakeDingTalkRobot) -> None:
    assert send(client, "open") == {"errcode": 0, "errmsg": "ok"}
    assert fake.accepted["open"] == [text()]
    assert fake.requests == 1 and fake.rejected == []


def test_unknown_token(client: httpx.Client, fake: FakeDingTalkRobot, clock: Clock) -> None:
    assert send(client, "nope")["errcode"] == 300001
    assert send(client, "")["errcode"] == 300001
    assert fake.rejected == [("nope", 300001), ("", 300001)]
    other = FakeDingTalkRobot(clock=clock, unknown_token_errcode=400101)
    with httpx.Client(transport=other.transport(), base_url=BASE) as c:
        assert send(c, "nope")["errcode"] == 400101


def test_signature_vectors_and_skew(client: httpx.Client, clock: Clock) -> None:
    assert signed(client, 1700000000000)["errcode"] == 0
    assert signed(client, 1700000000001)["errcode"] == 0  # the vector whose sign contains '+'
    assert signed(client, int(T0 * 1000) + 3_600_000)["errcode"] == 0
    late = signed(client, int(T0 * 1000) - 3_600_001)
    assert late == {"errcode": 310000, "errmsg": "invalid timestamp"}
    assert signed(client, 1700000000000, secret="SECwrong") == {"errcode": 310000, "errmsg": "sign not match"}
    assert send(client, "signed")["errmsg"] == "invalid timestamp"  # no timestamp/sign at all
    assert send(client, "signed&timestamp=1700000000000")["errmsg"] == "sign not match"
    assert send(client, "signed&timestamp=abc&sign=x")["errmsg"] == "invalid timestamp"
    # Double-encoding the sign (the classic bug) fails.
    bad = "signed&timestamp=1700000000001&sign=h9I8htdbvJCasKF0f8Gu%252Ba2Cr5fjl9T%252Bpzb6hx3n%252BpE%253D"
    assert send(client, bad)["errmsg"] == "sign not match"
    # Passing params= replaces the query and drops access_token (httpx#3433): the fake notices.
    r = client.post(
        f"{BASE}/robot/send?access_token=signed", params={"timestamp": "1", "sign": "x"}, json=text()
    )
    assert r.json()["errcode"] == 300001


def test_keywords(client: httpx.Client, fake: FakeDingTalkRobot) -> None:
    assert send(client, "kw", text("hello")) == {"errcode": 310000, "errmsg": "keywords not in content"}
    assert send(client, "kw", text("【助企】hello"))["errcode"] == 0
    md = {"msgtype": "markdown", "markdown": {"title": "诉求汇总", "text": "x"}}
    assert send(client, "kw", md)["errcode"] == 0
    card = {"msgtype": "actionCard", "actionCard": {"title": "t", "text": "助企", "btns": []}}
    assert send(client, "kw", card)["errcode"] == 0
    feed = {
        "msgtype": "feedCard",
        "feedCard": {"links": [{"title": "诉求A", "messageURL": "u", "picURL": "p"}]},
    }
    assert send(client, "kw", feed)["errcode"] == 0
    assert len(fake.accepted["kw"]) == 4


def test_content_type_size_json_and_msgtype(client: httpx.Client, fake: FakeDingTalkRobot) -> None:
    r = client.post(
        "/robot/send?access_token=open", content=json.dumps(text()), headers={"content-type": "text/plain"}
    )
    assert r.json()["errcode"] == 43004
    ok = client.post(
        "/robot/send?access_token=open",
        content=json.dumps(text()).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok.json()["errcode"] == 0
    big = text("诉" * 6667)  # 20,001+ bytes of UTF-8
    assert send(client, "open", big)["errcode"] == 460101
    r = client.post(
        "/robot/send?access_token=open", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.json()["errcode"] == 40035
    assert send(client, "open", [1, 2])["errcode"] == 40035
    assert send(client, "open", {"msgtype": "image", "image": {}})["errcode"] == 400105
    assert send(client, "open", {"msgtype": "text"})["errcode"] == 40035
    assert [code for _, code in fake.rejected] == [43004, 460101, 40035, 40035, 400105, 40035]
    assert client.get("/robot/send?access_token=open").status_code == 405


def test_msg_uuid_dedupe(client: httpx.Client, fake: FakeDingTalkRobot) -> None:
    for _ in range(3):
        assert send(client, "open", text(uuid="outbox-1")) == {"errcode": 0, "errmsg": "ok"}
    assert send(client, "open", text(uuid="outbox-2"))["errcode"] == 0
    assert len(fake.accepted["open"]) == 2
    assert fake.unique_msg_uuids("open") == {"outbox-1", "outbox-2"}
    assert fake.requests == 4  # duplicates still count as requests (and toward the rate)


def test_rate_block_lasts_exactly_block_seconds(
    client: httpx.Client, fake: FakeDingTalkRobot, clock: Clock
) -> None:
    for i in range(20):
        clock.now = T0 + i  # 20 sends spread over 19 s
        assert send(client, "open", text(uuid=f"m{i}"))["errcode"] == 0
    clock.now = T0 + 59.5
    assert send(client, "open")["errcode"] == 410100  # the 21st within 60 s
    assert fake.blocks_triggered == 1 and fake.blocked("open")
    assert send(client, "kw", text("诉求"))["errcode"] == 0  # other robots unaffected
    for t in (60, 300, 659.499):
        clock.now = T0 + t
        assert send(client, "open")["errcode"] == 410100
    assert fake.blocks_triggered == 1  # one block, however many requests hit it
    clock.now = T0 + 59.5 + 600
    assert not fake.blocked("open")
    assert send(client, "open", text(uuid="after"))["errcode"] == 0
    assert len(fake.accepted["open"]) == 21


def test_sliding_window_not_calendar_minute(
    client: httpx.Client, fake: FakeDingTalkRobot, clock: Clock
) -> None:
    for i in range(20):
        clock.now = T0 + i * 3  # one every 3 s: T0 .. T0+57
        assert send(client, "open")["errcode"] == 0
    clock.now = T0 + 60  # the send at T0 has left the window: exactly one slot is free
    assert send(client, "open")["errcode"] == 0
    assert fake.blocks_triggered == 0
    clock.now = T0 + 62.9  # T0+3 is still inside (62.9 - 60 < 3): the window is full again
    assert send(client, "open")["errcode"] == 410100
    assert fake.blocks_triggered == 1


def test_duplicates_and_errors_count_toward_rate(client: httpx.Client, fake: FakeDingTalkRobot) -> None:
    for _ in range(10):
        send(client, "open", text(uuid="same"))
    for _ in range(10):
        send(client, "open", {"msgtype": "bogus"})
    assert send(client, "open")["errcode"] == 410100
    assert len(fake.accepted["open"]) == 1


def test_async_asgi_transport(fake: FakeDingTalkRobot) -> None:
    async def go() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=fake.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
            r = await c.post(
                dingtalk_signed_url(f"{BASE}/robot/send?access_token=signed", SECRET, 1700000000001),
                json=text(uuid="a"),
            )
            body: dict[str, Any] = r.json()
            return body

    assert asyncio.run(go()) == {"errcode": 0, "errmsg": "ok"}
    assert fake.unique_msg_uuids("signed") == {"a"}


def test_digest_payloads_pass_the_fake_and_classify_sent(
    client: httpx.Client, fake: FakeDingTalkRobot
) -> None:
    payloads = render_digest("dingtalk", make_items(500), internal=True, keyword="助企")
    for i, payload in enumerate(payloads):
        body = send(client, "kw", {**payload, "msgUuid": f"d{i}"})
        assert classify("dingtalk", 200, json.dumps(body).encode()).outcome is Outcome.sent
    assert len(fake.accepted["kw"]) == len(payloads)
    assert send(client, "kw")["errcode"] == 0  # still under 20 in the window


def test_over_real_loopback_socket_with_ssrf_guard() -> None:
    import threading
    import time

    import uvicorn

    from app.notifications.ssrf import validate_channel_url

    fake = FakeDingTalkRobot()  # real clock: a real signed request
    fake.add_robot("live", secret=SECRET)
    server = uvicorn.Server(
        uvicorn.Config(fake.app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = validate_channel_url(
            f"http://127.0.0.1:{port}/robot/send?access_token=live",
            "dingtalk",
            extra_allowed_hosts=(),
            allow_loopback=True,
            resolve=lambda h: [],
        )
        with httpx.Client(follow_redirects=False, timeout=5) as c:
            r = c.post(dingtalk_signed_url(url, SECRET, int(time.time() * 1000)), json=text(uuid="live-1"))
        assert classify("dingtalk", r.status_code, r.content).outcome is Outcome.sent
        assert fake.unique_msg_uuids("live") == {"live-1"}
    finally:
        server.should_exit = True
        thread.join(timeout=5)
