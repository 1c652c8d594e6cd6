"""Fixtures for notification tests: fake DNS, the fake DingTalk robot on the test clock, channel helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests.fakes.dingtalk_robot import FakeDingTalkRobot
from tests.helpers import appeal_body

TOKEN = "xixi-robot-token"
SECRET = "SEC0123456789abcdef0123456789abcdef"
KEYWORD = "诉求"
ROBOT_URL = f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"

# Public addresses for the vendors and a configured webhook host; one configured host points inside.
DNS: dict[str, list[str]] = {
    "oapi.dingtalk.com": ["106.11.35.100"],
    "qyapi.weixin.qq.com": ["101.91.40.27"],
    "open.feishu.cn": ["220.181.7.60"],
    "hooks.example.com": ["93.184.216.34"],
    "intranet.example.com": ["10.20.30.40"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    table = {k: list(v) for k, v in DNS.items()}

    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError(f"Name or service not known: {host}")
        return table[host]

    monkeypatch.setattr("app.notifications.sender.resolve_host", resolve)
    return table


@pytest.fixture
def settings(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from app.config import Settings

    return Settings(database_url=database_url, env="test", secret_key="test-secret-key-" + "x" * 32,
                    attachments_dir=str(tmp_path / "attachments"), allow_loopback_webhooks=True,
                    public_base_url="https://zhuqi.example.gov.cn",
                    webhook_allowed_hosts="hooks.example.com, intranet.example.com")


@pytest.fixture
def robot(clock) -> FakeDingTalkRobot:  # type: ignore[no-untyped-def]
    fake = FakeDingTalkRobot(clock=lambda: clock.now.timestamp())
    fake.add_robot(TOKEN, secret=SECRET, keywords=[KEYWORD])
    return fake


@pytest.fixture
def robot_client(robot: FakeDingTalkRobot) -> Iterator[httpx.Client]:
    with httpx.Client(transport=robot.transport()) as client:
        yield client


@pytest.fixture
def use_robot(app, robot_client: httpx.Client) -> httpx.Client:  # type: ignore[no-untyped-def]
    """Test messages sent through the API go to the fake robot."""
    from app.notifications.router import get_http_client

    app.dependency_overrides[get_http_client] = lambda: robot_client
    return robot_client


def channel_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "西溪街道助企服务群", "kind": "dingtalk", "url": ROBOT_URL, "secret": SECRET,
                            "keyword": KEYWORD}
    body.update(overrides)
    return body


def make_channel(  # type: ignore[no-untyped-def]
    client, keys, unit: str = "330106012", key: str = "xixi_admin", **overrides: Any
) -> dict:
    r = client.post(f"/api/v1/units/{unit}/channels", json=channel_body(**overrides), headers=keys[key])
    assert r.status_code == 201, r.text
    return r.json()


def file_appeal(client, keys, key: str = "xixi_admin", **overrides: Any) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/appeals", json=appeal_body(**overrides), headers=keys[key])
    assert r.status_code == 201, r.text
    return r.json()


def dispatch(db: Engine, settings, clock, client: httpx.Client, **kwargs: Any) -> int:  # type: ignore[no-untyped-def]
    from app.notifications.dispatcher import dispatch_due

    kwargs.setdefault("rand", lambda: 0.5)  # jitter factor exactly 1.0
    return dispatch_due(db, settings, clock.now, client=client, **kwargs)


def outbox_rows(db: Engine, **filters: Any) -> list:
    from app.notifications.models import OutboxMessage

    with Session(db) as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
        for name, value in filters.items():
            query = query.where(getattr(OutboxMessage, name) == value)
        return list(session.exec(query).all())


def add_events(  # type: ignore[no-untyped-def]
    db: Engine, appeal_id: int, count: int, now, event_type: str = "reminder"
) -> None:
    """Timeline events through the one real entry point (record_event), committed like a workflow action."""
    from app.appeals.events import record_event
    from app.appeals.models import Appeal

    with Session(db, expire_on_commit=False) as session:
        appeal = session.get(Appeal, appeal_id)
        assert appeal is not None
        for i in range(count):
            record_event(session, appeal, event_type, now=now, note=f"第{i + 1}次催办：请尽快签收")
        session.commit()
