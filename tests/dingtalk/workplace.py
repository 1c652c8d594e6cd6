"""The DingTalk workplace's shared test set-up: settings with an app configured, the app fake with two liaisons
(王晓明 of 西溪街道, 李娜 of 湖墅街道), our client on the fake, and one dispatch round — for HTTP and Stream mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from app.config import Settings
from app.dingtalk import dispatch
from app.dingtalk.client import DingTalkApi
from tests.fakes.dingtalk_app import FakeDingTalkApp
from tests.helpers import appeal_body

CARD_SECRET = "fake-card-secret"
GROUP = "cidXiXiJieDao=="
CARD_URL = "/api/v1/callbacks/dingtalk/card"


def workplace_settings(database_url: str, tmp_path: Path, **extra: Any) -> Settings:
    from tests.conftest import make_settings

    return make_settings(database_url, tmp_path / "attachments", dingtalk_app_key="dingfakeappkey",
                         dingtalk_app_secret=SecretStr("fake-app-secret"), dingtalk_agent_id=3_000_001,
                         dingtalk_card_template_id="tpl.zhuqi.appeal", dingtalk_card_api_secret=SecretStr(CARD_SECRET),
                         **extra)


def app_fake(clock: Any) -> FakeDingTalkApp:
    fake = FakeDingTalkApp(clock=lambda: clock.now.timestamp())
    fake.add_user("wangxm01", name="王晓明")
    fake.add_user("lina02", name="李娜")
    return fake


def workplace(fake: FakeDingTalkApp, clock: Any, transport: httpx.BaseTransport | None = None) -> DingTalkApi:
    return DingTalkApi(httpx.Client(transport=transport or fake.transport()), app_key="dingfakeappkey",
                       app_secret="fake-app-secret", agent_id=3_000_001, robot_code="dingfakeappkey",
                       clock=lambda: clock.now.timestamp())


def dispatch_round(db, settings, clock, place: DingTalkApi) -> int:  # type: ignore[no-untyped-def]
    return dispatch.dispatch_due(db, settings, clock.now, workplace=place, rand=lambda: 0.5)


def read(db, query):  # type: ignore[no-untyped-def]
    """Rows in a short transaction of their own: on SQLite an open reader would block the dispatcher's writes."""
    from app.db import session_for

    with session_for(db) as session:
        return list(session.exec(query).all())


def file_appeal(client, keys) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"])
    assert response.status_code == 201, response.text
    return response.json()
