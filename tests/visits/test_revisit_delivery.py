"""A 回头看 reminder goes out through the real dispatcher to the fake DingTalk robot (signed, keyword, @ the visitor
by userid), and nothing in it is a mobile or a USCC."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from app.enterprises.pii import contains_pii
from app.notifications.dispatcher import dispatch_due
from app.visits.revisits import revisit_job
from tests.fakes.dingtalk_robot import FakeDingTalkRobot
from tests.helpers import XIXI_ENTERPRISE
from tests.visits.conftest import visit_body

TOKEN = "xixi-revisit-token"
SECRET = "SEC0123456789abcdef0123456789abcdef"
KEYWORD = "助企"


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.notifications.sender.resolve_host", lambda host: ["106.11.35.100"])


def test_the_revisit_reminder_reaches_the_group(client, keys, people, db, settings, clock):
    robot = FakeDingTalkRobot(clock=lambda: clock.now.timestamp())
    robot.add_robot(TOKEN, secret=SECRET, keywords=[KEYWORD])
    channel = client.post("/api/v1/units/330106012/channels", headers=keys["xixi_admin"], json={
        "name": "西溪街道助企服务群", "kind": "dingtalk", "secret": SECRET, "keyword": KEYWORD,
        "url": f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", "events": ["reminder"]})
    assert channel.status_code == 201, channel.text
    body = visit_body(XIXI_ENTERPRISE, summary="企业联系人 13912340001 反映用电增容慢", revisit_on="2026-03-16")
    assert client.post("/api/v1/visits", json=body, headers=people["wang"]).status_code == 201

    clock.set(datetime(2026, 3, 16, 1, 0, tzinfo=UTC))
    assert revisit_job(db, settings, clock.now) == 1
    with httpx.Client(transport=robot.transport()) as robot_client:
        assert dispatch_due(db, settings, clock.now, client=robot_client, rand=lambda: 0.5) == 1
    assert robot.rejected == []
    [message] = robot.accepted[TOKEN]
    assert message["msgtype"] == "markdown" and message["at"]["atUserIds"] == ["wangxm01"]
    text = message["markdown"]["text"]
    assert text.startswith(f"#### 【{KEYWORD}】回头看提醒") and "2026-03-16" in text and "@wangxm01" in text
    assert not contains_pii(json.dumps(message, ensure_ascii=False))
