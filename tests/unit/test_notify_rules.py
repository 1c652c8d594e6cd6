"""Pure notification rules and request building (no database, no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from app.notifications import rules
from app.notifications.messages import render_digest, render_digest_indexed
from app.notifications.sender import Target, build_request
from app.notifications.signing import dingtalk_sign
from tests.unit.test_messages import make_items


@pytest.mark.parametrize("events, min_urgency, event_type, urgency, expected", [
    (["submitted"], "green", "submitted", "green", True),
    (["submitted"], "yellow", "submitted", "green", False),
    (["submitted"], "red", "submitted", "red", True),
    (["escalated"], "green", "submitted", "red", False),
    (["digest"], "green", "digest", "red", False),  # digest is a mode, not an event
    (["comment"], "green", "comment", "red", False),  # not a notifiable event at all
])
def test_subscribes(events, min_urgency, event_type, urgency, expected):
    assert rules.subscribes(events, min_urgency, event_type, urgency) is expected


@pytest.mark.parametrize("timeline, notified", [
    ("submitted", "submitted"), ("escalated", "escalated"), ("urged", "reminder"), ("supplemented", "progress"),
    ("rerouted", "submitted"), ("delegated", "submitted"), ("recolored", None), ("extension_requested", None),
    ("digest", None), ("merge_received", None),
])
def test_notification_type_of_timeline_events(timeline, notified):
    assert rules.notification_type(timeline) == notified


@pytest.mark.parametrize("now, expected", [
    (datetime(2026, 3, 2, 0, 59, tzinfo=UTC), datetime(2026, 3, 2, 1, 0, tzinfo=UTC)),  # 08:59 → today 09:00
    (datetime(2026, 3, 2, 1, 0, tzinfo=UTC), datetime(2026, 3, 3, 1, 0, tzinfo=UTC)),  # 09:00 → tomorrow
    (datetime(2026, 3, 2, 16, 30, tzinfo=UTC), datetime(2026, 3, 3, 1, 0, tzinfo=UTC)),  # 00:30 local, next day
])
def test_next_daily_digest_is_0900_shanghai(now, expected):
    assert rules.next_daily_digest(now) == expected


def test_quota_month_and_threshold():
    march_last_local = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 1 April 00:30 in Shanghai
    assert rules.month_key(march_last_local) == "2026-04"
    assert rules.month_sends("2026-03", 2999, march_last_local) == 0
    assert rules.quota_reached(2400, 3000) and not rules.quota_reached(2399, 3000)
    assert not rules.quota_reached(10**6, None)
    assert rules.holds_for_digest([], quota_mode=True, urgency="yellow")
    assert not rules.holds_for_digest(["digest"], quota_mode=True, urgency="red")
    assert rules.holds_for_digest(["digest"], quota_mode=False, urgency="green")


@pytest.mark.parametrize("url, hidden", [
    ("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef0123", "0123456789abcdef0123"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", "7xxx-4bc4"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/5c1d2e3f-aaaa-bbbb-cccc-0123456789ab", "aaaa-bbbb"),
])
def test_mask_url_hides_credentials(url, hidden):
    masked = rules.mask_url(url)
    assert hidden not in masked and masked.startswith(url.split("?")[0][:25])


def test_indexed_digest_matches_plain_digest_and_covers_every_item_once():
    items = make_items(300)
    indexed = render_digest_indexed("dingtalk", items, internal=False, keyword=None)
    assert [p for p, _ in indexed] == render_digest("dingtalk", items, internal=False, keyword=None)
    covered = [i for _, idx in indexed for i in idx]
    assert sorted(covered) == list(range(300))
    for payload, idx in indexed:
        for i in idx:
            assert items[i].number in payload["markdown"]["text"]


def test_dingtalk_request_keeps_token_signs_fresh_and_carries_msg_uuid():
    target = Target(channel_id=1, kind="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=abc",
                    secret="SEC0123456789abcdef")
    now = datetime.fromtimestamp(1_700_000_000, tz=UTC)
    url, body, headers = build_request(target, {"msgtype": "text", "text": {"content": "诉求"}}, "msg_1", now)
    params = httpx.URL(url).params
    assert params["access_token"] == "abc" and params["timestamp"] == "1700000000000"
    assert params["sign"] == dingtalk_sign("SEC0123456789abcdef", 1_700_000_000_000)
    assert json.loads(body)["msgUuid"] == "msg_1" and "诉求".encode() in body  # UTF-8, not \\u escapes
    assert headers["Content-Type"].startswith("application/json")
