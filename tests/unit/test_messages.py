"""Renderers (app.notifications.messages): PII-free, keyword, @ rules, digest splitting."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.notifications.messages import (
    EVENT_TITLES,
    MessageContext,
    payload_size,
    render,
    render_digest,
    render_test,
    scrub,
)
from tests.fakes.dingtalk_robot import effective_mentions, textual_content

KINDS = ("dingtalk", "wecom", "feishu", "webhook")
LIAISON = "wangxm01"  # DingTalk userid
WECOM_LIAISON = "WangXiaoMing"  # WeCom userid: another namespace
ENTERPRISE = "杭州某某科技有限公司"
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
USCC_RE = re.compile(r"[0-9A-Za-z]{18}")
LINK = "https://zq.example.gov.cn/appeals/abc"
BASE = MessageContext(
    event_type="submitted",
    number="ZQ2026-000123",
    title="用地审批 联系13812345678 代码91330106MA2B3C4D5E",
    category="land",
    urgency="red",
    unit_name="西溪街道",
    tier="street",
    status="submitted",
    deadline=datetime(2026, 9, 1, 9, 0, tzinfo=UTC),
    link=LINK,
    enterprise_name=ENTERPRISE,
    liaison_userid=LIAISON,
    liaison_wecom_userid=WECOM_LIAISON,
    note="请联系 +86 138-1234-5678 或 8613812345678，身份证 33010619900101123X [点我](http://evil)\n# 标题",
    urgency_reasons=("停产", "拖欠工资 13700001111"),
)


def assert_pii_free(kind: str, payload: dict[str, Any], ctx: MessageContext) -> None:
    """No mobile anywhere in the payload: the @ of a red item is by userid (DESIGN §6)."""
    dumped = json.dumps(payload, ensure_ascii=False)
    assert "atMobiles" not in dumped and "mentioned_mobile_list" not in dumped
    assert not MOBILE_RE.search(dumped), dumped
    assert not USCC_RE.search(dumped), dumped
    assert "](http://evil)" not in dumped  # no injected markdown link


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("internal", [True, False])
@pytest.mark.parametrize("event", sorted(EVENT_TITLES))
@pytest.mark.parametrize("urgency", ["red", "yellow", "green"])
def test_no_pii_and_enterprise_only_when_internal(
    kind: str, internal: bool, event: str, urgency: str
) -> None:
    ctx = replace(BASE, event_type=event, urgency=urgency)
    payload = render(kind, ctx, internal=internal, keyword="助企")
    assert_pii_free(kind, payload, ctx)
    dumped = json.dumps(payload, ensure_ascii=False)
    assert (ENTERPRISE in dumped) is internal
    assert ("用地审批" in dumped) is internal  # free-text title: internal channels only
    assert ("助企" in dumped) is (kind != "webhook")  # generic webhooks have no keyword filter
    assert "ZQ2026-000123" in dumped and LINK in dumped
    if urgency != "red":
        assert LIAISON not in dumped


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789 -+abcXYZ中文[]()#\n", max_size=60), st.sampled_from(KINDS))
def test_free_text_never_leaks_mobile_or_code(noise: str, kind: str) -> None:
    ctx = replace(
        BASE, urgency="yellow", note=noise + "13812345678" + noise, title=noise, unit_name="街道" + noise
    )
    assert_pii_free(kind, render(kind, ctx, internal=True, keyword=None), ctx)


def test_scrub() -> None:
    assert scrub("a\n#b [x](y) <b>") == "a ＃b ［x］(y) ＜b＞"
    assert "13812345678" not in scrub("电话13812345678")
    assert "91330106MA2B3C4D5E" not in scrub("代码91330106MA2B3C4D5E。")
    assert scrub("身份证 33010619900101123X") == "身份证 [编码已隐藏]"
    assert scrub("ZQ2026-000123 用工") == "ZQ2026-000123 用工"


def test_dingtalk_action_card_with_sign_button() -> None:
    ctx = replace(BASE, urgency="yellow", link=LINK + "?from=bot")
    p = render("dingtalk", ctx, internal=False, keyword=None)
    assert p["msgtype"] == "actionCard"
    assert p["actionCard"]["btns"] == [
        {"title": "查看", "actionURL": LINK + "?from=bot"},
        {"title": "签收", "actionURL": LINK + "?from=bot&action=sign"},
    ]
    text = p["actionCard"]["text"]
    assert "用地" in text and "🟡黄" in text and "西溪街道" in text
    assert "2026-09-01 17:00" in text  # 09:00 UTC shown in Asia/Shanghai
    assert "at" not in p
    plain = render(
        "dingtalk",
        replace(BASE, event_type="escalated", urgency="red", liaison_userid=None),
        internal=False,
        keyword=None,
    )
    assert plain["actionCard"]["btns"][1]["actionURL"] == LINK + "?action=sign"


def test_dingtalk_red_ats_the_liaison() -> None:
    p = render("dingtalk", BASE, internal=False, keyword=None)
    assert p["msgtype"] == "markdown"  # actionCard cannot @: markdown with inline links instead
    assert p["at"] == {"atUserIds": [LIAISON], "isAtAll": False}
    assert p["markdown"]["text"].endswith(f"@{LIAISON}")
    assert f"[签收]({LINK}?action=sign)" in p["markdown"]["text"]
    assert effective_mentions(p) == [LIAISON]
    progress = render("dingtalk", replace(BASE, event_type="progress"), internal=False, keyword=None)
    assert progress["msgtype"] == "markdown" and effective_mentions(progress) == [LIAISON]
    assert "签收" not in progress["markdown"]["text"].split("[查看详情]")[1]
    for bad_id in ("0571-8888 x", "13800001111", "+8613800001111", "a]b(c)"):  # not an id, or a mobile
        bad = render("dingtalk", replace(BASE, liaison_userid=bad_id), internal=False, keyword=None)
        assert "at" not in bad and bad_id not in json.dumps(bad, ensure_ascii=False)
    green = render("dingtalk", replace(BASE, urgency="green"), internal=False, keyword=None)
    assert "at" not in green and LIAISON not in json.dumps(green)


@pytest.mark.parametrize("kind", ["dingtalk", "wecom", "feishu"])
def test_keyword(kind: str) -> None:
    for ctx in (BASE, replace(BASE, urgency="green")):
        p = render(kind, ctx, internal=False, keyword="助企通知")
        text = textual_content(p) if kind == "dingtalk" else json.dumps(p, ensure_ascii=False)
        assert "【助企通知】" in text
        # Already present (诉求 is in every heading): not prefixed again.
        assert "【诉求】" not in json.dumps(
            render(kind, ctx, internal=False, keyword="诉求"), ensure_ascii=False
        )
    assert "【" not in json.dumps(render(kind, replace(BASE, urgency="green"), internal=False, keyword=None))


def test_naive_deadline_is_utc_and_missing_deadline() -> None:
    p = render(
        "dingtalk",
        replace(BASE, deadline=datetime(2026, 9, 1, 9, 0), urgency="green"),
        internal=False,
        keyword=None,
    )
    assert "2026-09-01 17:00" in p["actionCard"]["text"]
    p = render("webhook", replace(BASE, deadline=None), internal=False, keyword=None)
    assert p["data"]["deadline"] is None


def test_wecom_red_text_mentions_and_truncates_note_not_link() -> None:
    long = replace(BASE, note="很长的说明" * 2000)
    p = render("wecom", long, internal=True, keyword=None)
    assert p["msgtype"] == "text" and p["text"]["mentioned_list"] == [WECOM_LIAISON]
    assert "mentioned_mobile_list" not in p["text"] and LIAISON not in json.dumps(p)  # never the DingTalk id
    content = p["text"]["content"]
    assert len(content.encode()) <= 2048 and WECOM_LIAISON not in content
    unknown = render("wecom", replace(BASE, liaison_wecom_userid=None), internal=False, keyword=None)
    assert unknown["msgtype"] == "markdown" and "mentioned" not in json.dumps(unknown)  # no WeCom id: no @
    assert "ZQ2026-000123" in content and content.endswith(LINK)
    md = render("wecom", replace(long, urgency="yellow", note="长" * 5000), internal=True, keyword="助企")
    assert md["msgtype"] == "markdown"
    content = md["markdown"]["content"]
    assert len(content.encode()) <= 4096 and "ZQ2026-000123" in content and LINK in content


def test_feishu_post_and_webhook_shapes() -> None:
    p = render("feishu", replace(BASE, urgency="green"), internal=False, keyword="助企")
    assert p["msg_type"] == "post"
    post = p["content"]["post"]["zh_cn"]
    assert post["title"] == "【助企】新诉求待签收"
    assert [{"tag": "a", "text": "查看详情", "href": LINK}] in post["content"]
    w = render("webhook", BASE, internal=False, keyword="助企")
    assert w["type"] == "appeal.submitted"
    assert "enterprise_name" not in w["data"] and w["data"]["title"] is None
    assert w["data"]["deadline"] == "2026-09-01T09:00:00+00:00"
    assert {"number", "category", "urgency", "unit_name", "tier", "status", "link", "note"} <= set(w["data"])
    assert render("webhook", BASE, internal=True, keyword=None)["data"]["enterprise_name"] == ENTERPRISE


@pytest.mark.parametrize("kind", KINDS)
def test_render_test_and_unknown_kind(kind: str) -> None:
    p = render_test(kind, unit_name="西溪街道", keyword="助企")
    assert "西溪街道" in json.dumps(p, ensure_ascii=False)
    with pytest.raises(ValueError):
        render("sms", BASE, internal=False, keyword=None)
    with pytest.raises(ValueError):
        render_test("sms", unit_name="x", keyword=None)


def make_items(n: int) -> list[MessageContext]:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    urg = ("green", "yellow", "red")
    return [
        replace(
            BASE,
            number=f"ZQ2026-{i:06d}",
            urgency=urg[i % 3],
            deadline=start + timedelta(hours=(i * 7919) % 500),
            link=f"{LINK}/{i}",
            liaison_userid=f"user{i:06d}",
            event_type="reminder",
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("internal", [True, False])
def test_digest_of_500_splits_and_keeps_everything(kind: str, internal: bool) -> None:
    items = make_items(500)
    payloads = render_digest(kind, items, internal=internal, keyword="助企")
    assert len(payloads) >= 2
    dumped = [json.dumps(p, ensure_ascii=False) for p in payloads]
    for d, p in zip(dumped, payloads, strict=True):
        assert len(d.encode()) < 18_000 and payload_size(p) < 18_000
        assert ("助企" in d) is (kind != "webhook")
        assert (ENTERPRISE in d) is internal
        if kind == "wecom":
            assert len(p["markdown"]["content"].encode()) <= 4096
    everything = "".join(dumped)
    found = re.findall(r"ZQ2026-\d{6}", everything)
    assert sorted(found) == sorted(c.number for c in items)  # each exactly once
    # Red first, then yellow, then green; by deadline within a colour.
    rank = {c.number: ({"red": 0, "yellow": 1, "green": 2}[c.urgency], c.deadline) for c in items}
    keys = [rank[n] for n in found]
    assert keys == sorted(keys)
    for p in payloads:
        assert_pii_free(kind, p, BASE)


def test_digest_mentions_red_liaisons_only_and_pages() -> None:
    payloads = render_digest("dingtalk", make_items(500), internal=False, keyword=None)
    n = len(payloads)
    for i, p in enumerate(payloads, 1):
        assert f"第{i}/{n}页" in p["markdown"]["title"]
        assert "atMobiles" not in p.get("at", {})
        for m in p.get("at", {}).get("atUserIds", []):
            assert int(m[4:]) % 3 == 2  # only liaisons of red items
            assert f"@{m}" in p["markdown"]["text"]
        assert len(p.get("at", {}).get("atUserIds", [])) <= 50


def test_digest_edge_cases() -> None:
    assert render_digest("dingtalk", [], internal=False, keyword=None) == []
    one = render_digest("dingtalk", make_items(1), internal=False, keyword=None)
    assert len(one) == 1 and "第1/1页" in one[0]["markdown"]["title"]
    with pytest.raises(ValueError):
        render_digest("dingtalk", make_items(3), internal=False, keyword=None, max_bytes=100)
    small = render_digest("webhook", make_items(40), internal=False, keyword=None, max_bytes=3000)
    assert sum(len(p["data"]["items"]) for p in small) == 40 and all(payload_size(p) < 3000 for p in small)


def test_every_channel_kind_has_a_renderer_module():
    from app.notifications.messages import VENDORS
    from app.notifications.rules import ChannelKind

    assert set(VENDORS) == set(ChannelKind)
    for vendor in VENDORS.values():
        assert callable(vendor.event) and callable(vendor.digest) and callable(vendor.channel_test)
