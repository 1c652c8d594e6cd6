"""Signature vectors from chat-protocols.md §1.2, §2.1, §2.5, §4.2 and the Standard Webhooks spec."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.notifications.signing import (
    dingtalk_sign,
    dingtalk_signed_url,
    feishu_sign,
    standard_webhook_headers,
    standard_webhook_signature,
    verify_card_callback,
    verify_dingtalk_callback,
)

DINGTALK_VECTORS = [
    (1577262236757, "this is a secret", "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA="),
    (1700000000000, "SEC0123456789abcdef", "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="),
    (1700000000001, "SEC0123456789abcdef", "h9I8htdbvJCasKF0f8Gu+a2Cr5fjl9T+pzb6hx3n+pE="),
]
WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=abc123"


@pytest.mark.parametrize(("ts", "secret", "expected"), DINGTALK_VECTORS)
def test_dingtalk_sign_vectors(ts: int, secret: str, expected: str) -> None:
    assert dingtalk_sign(secret, ts) == expected


def test_signed_url_keeps_access_token_and_encodes_plus_once() -> None:
    url = dingtalk_signed_url(WEBHOOK, "SEC0123456789abcdef", 1700000000001)
    query = urlsplit(url).query
    # Exactly the quote_plus form from the table: '+' → %2B, '=' → %3D, never %252B.
    assert "sign=h9I8htdbvJCasKF0f8Gu%2Ba2Cr5fjl9T%2Bpzb6hx3n%2BpE%3D" in query
    assert "%25" not in query
    params = parse_qs(query)
    assert params["access_token"] == ["abc123"]
    assert params["timestamp"] == ["1700000000001"]
    assert params["sign"] == ["h9I8htdbvJCasKF0f8Gu+a2Cr5fjl9T+pzb6hx3n+pE="]
    # httpx round-trips it unchanged (what the dispatcher will actually send).
    assert httpx.URL(url).params["sign"] == "h9I8htdbvJCasKF0f8Gu+a2Cr5fjl9T+pzb6hx3n+pE="
    assert httpx.URL(url).params["access_token"] == "abc123"


def test_signed_url_slash_vector_and_no_secret() -> None:
    url = dingtalk_signed_url(WEBHOOK, "SEC0123456789abcdef", 1700000000000)
    assert parse_qs(urlsplit(url).query)["sign"] == ["TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk="]
    assert dingtalk_signed_url(WEBHOOK, None, 1700000000000) == WEBHOOK
    assert dingtalk_signed_url(WEBHOOK, "", 1700000000000) == WEBHOOK


@given(st.text(min_size=1, max_size=40), st.integers(min_value=0, max_value=10**13))
def test_signed_url_round_trips_any_secret(secret: str, ts: int) -> None:
    params = httpx.URL(dingtalk_signed_url(WEBHOOK, secret, ts)).params
    assert params["access_token"] == "abc123"
    assert params["sign"] == dingtalk_sign(secret, ts)


def test_verify_dingtalk_callback() -> None:
    ts, secret, sign = DINGTALK_VECTORS[0]
    assert verify_dingtalk_callback(str(ts), sign, secret, now_ms=ts)
    assert verify_dingtalk_callback(str(ts), sign, secret, now_ms=ts + 3_600_000)
    assert verify_dingtalk_callback(str(ts), sign, secret, now_ms=ts - 3_600_000)
    assert not verify_dingtalk_callback(str(ts), sign, secret, now_ms=ts + 3_600_001)
    assert not verify_dingtalk_callback(str(ts), sign, "other secret", now_ms=ts)
    assert not verify_dingtalk_callback(
        str(ts), ("E" if sign[0] != "E" else "F") + sign[1:], secret, now_ms=ts
    )
    # The URL-encoded form is wrong for inbound callbacks (headers are not URL-encoded).
    ts3, secret3, sign3 = DINGTALK_VECTORS[2]
    assert not verify_dingtalk_callback(str(ts3), sign3.replace("+", "%2B"), secret3, now_ms=ts3)


@pytest.mark.parametrize(
    ("ts", "sign"),
    [(None, "x"), ("1577262236757", None), ("abc", "x"), ("", "x"), ("-5", "x"), ("1e3", "x"), ("+1", "x")],
)
def test_verify_dingtalk_callback_rejects_missing_or_bad(ts: str | None, sign: str | None) -> None:
    assert not verify_dingtalk_callback(ts, sign, "this is a secret", now_ms=1577262236757)


def test_verify_card_callback_vector() -> None:
    sig = "t3jqwt0WBVsvNpgD+ncljxce56XsNOeEYafngX/BHjc="
    assert verify_card_callback("1700000000000", sig, "mySecret", now_ms=1700000000000)
    assert not verify_card_callback("1700000000000", sig, "mySecret", now_ms=1700000000000 + 3_600_001)
    assert not verify_card_callback("1700000000001", sig, "mySecret", now_ms=1700000000000)
    assert not verify_card_callback(None, sig, "mySecret", now_ms=1700000000000)
    assert not verify_card_callback("1700000000000", None, "mySecret", now_ms=1700000000000)
    assert not verify_card_callback("x", sig, "mySecret", now_ms=1700000000000)


def test_feishu_sign_vector() -> None:
    assert feishu_sign("demo", 1599360473) == "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="


def test_standard_webhook_reference_vector() -> None:
    # The vector published with the Standard Webhooks / Svix libraries.
    sig = standard_webhook_signature(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_standard_webhook_plain_secret_uses_utf8_bytes() -> None:
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"plain", b"m1.5.{}", hashlib.sha256).digest()).decode()
    assert standard_webhook_signature("plain", "m1", 5, b"{}") == "v1," + expected


def test_standard_webhook_headers_and_rejections() -> None:
    headers = standard_webhook_headers("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 7, b"{}")
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == "7"
    assert headers["webhook-signature"].startswith("v1,")
    with pytest.raises(ValueError):
        standard_webhook_signature("whsec_MfKQ", "a.b", 1, b"{}")
    with pytest.raises(ValueError):
        standard_webhook_signature("whsec_not base64!", "a", 1, b"{}")
