"""Response classification, retry schedule and rate-window maths (app.notifications.delivery)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.notifications.delivery import (
    RETRY_SCHEDULE,
    THROTTLE_BLOCK,
    Outcome,
    classify,
    next_attempt_delay,
    throttle_wait,
    window_slots,
)


def body(**kw: object) -> bytes:
    return json.dumps(kw, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("errcode", "errmsg", "outcome", "breaks"),
    [
        (0, "ok", Outcome.sent, False),
        ("0", "ok", Outcome.sent, False),
        (410100, "发送速度太快而限流", Outcome.throttled, False),
        (130101, "send too fast, exceed 20 times per minute", Outcome.throttled, False),
        (-1, "系统繁忙", Outcome.retry, False),
        (400013, "群已被解散", Outcome.permanent, True),
        (400101, "access_token不存在", Outcome.permanent, True),
        (400102, "机器人已停用", Outcome.permanent, True),
        (400106, "机器人不存在", Outcome.permanent, True),
        (300001, "token is not exist", Outcome.permanent, True),
        ("300005", "token is not exist", Outcome.permanent, True),
        (310000, "invalid timestamp", Outcome.retry, False),
        (310000, "sign not match, more: [...]", Outcome.permanent, True),
        (
            310000,
            "description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中",
            Outcome.permanent,
            True,
        ),
        (310000, "keywords not in content", Outcome.permanent, True),
        (310000, "ip 1.2.3.4 not in whitelist", Outcome.permanent, True),
        (430101, "含有不安全的外链", Outcome.permanent, False),
        (430104, "不合适的内容", Outcome.permanent, False),
        (40035, "缺少参数 json", Outcome.permanent, False),
        (43004, "无效的HTTP HEADER Content-Type", Outcome.permanent, False),
        (400105, "不支持的消息类型", Outcome.permanent, False),
        (460101, "body 大小不合法", Outcome.permanent, False),
        (999999, "new", Outcome.permanent, False),
    ],
)
def test_dingtalk_errcodes(errcode: object, errmsg: str, outcome: Outcome, breaks: bool) -> None:
    v = classify("dingtalk", 200, body(errcode=errcode, errmsg=errmsg))
    assert (v.outcome, v.breaks_channel) == (outcome, breaks)
    assert v.code == f"dingtalk:{int(str(errcode))}"


def test_dingtalk_body_wins_over_http_status() -> None:
    assert classify("dingtalk", 500, body(errcode=0, errmsg="ok")).outcome is Outcome.sent
    assert classify("dingtalk", 200, body(errcode=-1)).outcome is Outcome.retry


@pytest.mark.parametrize(
    ("status", "raw", "error", "outcome", "breaks"),
    [
        (None, None, "ReadTimeout", Outcome.retry, False),
        (200, b"<html>gateway</html>", None, Outcome.retry, False),
        (200, b"", None, Outcome.retry, False),
        (200, b"[]", None, Outcome.retry, False),
        (200, body(errcode=True), None, Outcome.retry, False),
        (502, b"bad gateway", None, Outcome.retry, False),
        (429, b"", None, Outcome.throttled, False),
        (302, b"", None, Outcome.permanent, True),
        (301, body(errcode=0), None, Outcome.permanent, True),
    ],
)
def test_dingtalk_transport_and_http(
    status: int | None, raw: bytes | None, error: str | None, outcome: Outcome, breaks: bool
) -> None:
    v = classify("dingtalk", status, raw, error)
    assert (v.outcome, v.breaks_channel) == (outcome, breaks)


@pytest.mark.parametrize(
    ("errcode", "outcome", "breaks"),
    [
        (0, Outcome.sent, False),
        (45009, Outcome.throttled, False),
        (93000, Outcome.permanent, True),
        (-1, Outcome.retry, False),
        (40058, Outcome.permanent, False),
    ],
)
def test_wecom(errcode: int, outcome: Outcome, breaks: bool) -> None:
    v = classify("wecom", 200, body(errcode=errcode, errmsg="x"))
    assert (v.outcome, v.breaks_channel) == (outcome, breaks)


@pytest.mark.parametrize(
    ("payload", "outcome", "breaks"),
    [
        (
            {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
            Outcome.sent,
            False,
        ),
        ({"StatusCode": 0, "StatusMessage": "success", "Extra": None}, Outcome.sent, False),
        ({"code": 11232, "msg": "frequency limited"}, Outcome.throttled, False),
        # 19021 is also "timestamp is not within one hour": re-signed on the next attempt (see below).
        ({"code": 19021, "msg": "sign match fail"}, Outcome.retry, False),
        ({"code": 19022, "msg": "Ip Not Allowed"}, Outcome.permanent, True),
        ({"code": 19024, "msg": "Key Words Not Found"}, Outcome.permanent, True),
        ({"code": 19001, "msg": "param invalid"}, Outcome.permanent, True),
        ({"StatusCode": 9499, "StatusMessage": "Bad Request"}, Outcome.permanent, False),
        ({"data": {}}, Outcome.retry, False),
    ],
)
def test_feishu(payload: dict[str, object], outcome: Outcome, breaks: bool) -> None:
    v = classify("feishu", 200, body(**payload))
    assert (v.outcome, v.breaks_channel) == (outcome, breaks)


@pytest.mark.parametrize(
    ("status", "outcome", "breaks"),
    [
        (200, Outcome.sent, False),
        (204, Outcome.sent, False),
        (429, Outcome.throttled, False),
        (408, Outcome.retry, False),
        (500, Outcome.retry, False),
        (503, Outcome.retry, False),
        (410, Outcome.permanent, True),
        (400, Outcome.permanent, False),
        (404, Outcome.permanent, False),
        (307, Outcome.permanent, True),
    ],
)
def test_generic_webhook(status: int, outcome: Outcome, breaks: bool) -> None:
    v = classify("webhook", status, b"whatever")
    assert (v.outcome, v.breaks_channel) == (outcome, breaks)
    assert classify("webhook", None, None, "ConnectError").outcome is Outcome.retry


def test_unknown_kind_and_long_detail() -> None:
    with pytest.raises(ValueError):
        classify("sms", 200, b"{}")
    assert len(classify("dingtalk", 200, body(errcode=-1, errmsg="x" * 5000)).detail) <= 300


def test_retry_schedule_and_jitter() -> None:
    assert next_attempt_delay(0, 0.5) == timedelta(0)
    for n, base in enumerate(RETRY_SCHEDULE, 1):
        assert next_attempt_delay(n, 0.5) == base
        assert next_attempt_delay(n, 0.0) == base * 0.8
        low, high = base * 0.8, base * 1.2
        assert low <= next_attempt_delay(n, 0.999999) < high  # type: ignore[operator]
    assert next_attempt_delay(len(RETRY_SCHEDULE) + 1, 0.5) is None
    with pytest.raises(ValueError):
        next_attempt_delay(1, 1.0)


@given(st.integers(min_value=1, max_value=6), st.floats(min_value=0, max_value=1, exclude_max=True))
def test_jitter_bounds(n: int, rand: float) -> None:
    delay = next_attempt_delay(n, rand)
    assert delay is not None
    assert RETRY_SCHEDULE[n - 1] * 0.8 <= delay <= RETRY_SCHEDULE[n - 1] * 1.2


def test_throttle_wait() -> None:
    now = datetime(2026, 8, 1, tzinfo=UTC)
    assert throttle_wait("dingtalk") == THROTTLE_BLOCK == timedelta(minutes=10)
    assert throttle_wait("dingtalk", "5") == THROTTLE_BLOCK  # DingTalk's penalty is fixed
    assert throttle_wait("webhook", "30") == timedelta(seconds=30)
    assert throttle_wait("webhook", "999999") == timedelta(hours=1)
    assert throttle_wait("webhook", "Sat, 01 Aug 2026 00:02:00 GMT", now) == timedelta(minutes=2)
    assert throttle_wait("webhook", "garbage") == timedelta(minutes=1)
    assert throttle_wait("wecom") == timedelta(minutes=1)


T0 = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)


def test_window_slots() -> None:
    assert window_slots([], T0, 20) == (20, None)
    sends = [T0 - timedelta(seconds=59 - i) for i in range(18)]
    assert window_slots(sends, T0, 20) == (2, None)
    full = [T0 - timedelta(seconds=50 - i) for i in range(20)]
    assert window_slots(full, T0, 20) == (0, full[0] + timedelta(seconds=60))
    # A send exactly 60 s ago has left the window (same rule as the fake robot).
    assert window_slots([T0 - timedelta(seconds=60)] * 20, T0, 20) == (20, None)
    assert window_slots(full, T0, 0) == (0, None)


@given(st.lists(st.integers(min_value=-120, max_value=5), max_size=40), st.integers(1, 25))
def test_window_slots_never_exceeds_budget(offsets: list[int], per_minute: int) -> None:
    sends = [T0 + timedelta(seconds=o) for o in offsets]
    allowed, free_at = window_slots(sends, T0, per_minute)
    in_window = [s for s in sends if s > T0 - timedelta(seconds=60)]
    assert allowed == max(0, per_minute - len(in_window))
    if allowed == 0:
        assert free_at is not None and free_at > T0 - timedelta(seconds=1)
        # At free_at exactly one more send fits.
        assert window_slots(sends, free_at, per_minute)[0] >= 1


def test_feishu_19021_and_dingtalk_invalid_timestamp_are_retried_then_break_the_channel_if_they_persist() -> None:
    resign = classify("feishu", 200, body(code=19021, msg="sign match fail or timestamp is not within one hour"))
    assert resign.outcome is Outcome.retry and not resign.breaks_channel and resign.breaks_when_exhausted
    clock = classify("dingtalk", 200, body(errcode=310000, errmsg="invalid timestamp"))
    assert clock.outcome is Outcome.retry and clock.breaks_when_exhausted
    assert not classify("dingtalk", 200, body(errcode=-1, errmsg="busy")).breaks_when_exhausted
