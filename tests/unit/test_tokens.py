"""Our bearer tokens (pure): HS256 only, expiry from the given clock, any change to any part refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.accounts.tokens import Claims, TokenError, TokenKind, derive_key, sign, verify

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
KEY = derive_key("unit-test-secret")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _token(kind: TokenKind = TokenKind.access, ttl: timedelta = timedelta(hours=2)) -> str:
    return sign(Claims(7, 3, "jti-0123456789", kind, NOW, NOW + ttl), KEY)


def _forge(header: dict, payload: dict, key: bytes | None, alg=hashlib.sha256) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    sig = _b64(hmac.new(key, signing_input.encode(), alg).digest()) if key else ""
    return f"{signing_input}.{sig}"


def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_round_trip():
    claims = verify(_token(), KEY, kind=TokenKind.access, now=NOW)
    assert (claims.enterprise_user_id, claims.session_id, claims.jti) == (7, 3, "jti-0123456789")
    assert claims.expires_at == NOW + timedelta(hours=2)


def test_expiry_uses_the_given_clock():
    token = _token()
    verify(token, KEY, kind=TokenKind.access, now=NOW + timedelta(hours=2) - timedelta(seconds=1))
    with pytest.raises(TokenError, match="过期"):
        verify(token, KEY, kind=TokenKind.access, now=NOW + timedelta(hours=2))


def test_kind_is_checked():
    with pytest.raises(TokenError):
        verify(_token(TokenKind.refresh), KEY, kind=TokenKind.access, now=NOW)
    with pytest.raises(TokenError):
        verify(_token(TokenKind.access), KEY, kind=TokenKind.refresh, now=NOW)


@pytest.mark.parametrize("header", [
    {"alg": "none", "typ": "JWT"}, {"alg": "None"}, {"alg": "HS512", "typ": "JWT"}, {"alg": "RS256", "typ": "JWT"},
    {"alg": "HS256", "typ": "JWT", "kid": "../../dev/null"}, {"typ": "JWT"},
])
def test_other_algorithms_are_refused(header):
    payload = _payload(_token())
    for key, alg in ((None, None), (KEY, hashlib.sha256), (KEY, hashlib.sha512)):
        token = _forge(header, payload, key, alg) if alg else _forge(header, payload, None)
        with pytest.raises(TokenError):
            verify(token, KEY, kind=TokenKind.access, now=NOW)


def test_wrong_key_and_tampered_payload():
    payload = _payload(_token())
    with pytest.raises(TokenError, match="签名"):
        verify(_forge({"alg": "HS256", "typ": "JWT"}, payload, derive_key("another")), KEY, kind=TokenKind.access,
               now=NOW)
    header, _, sig = _token().split(".")
    tampered = f"{header}.{_b64(json.dumps({**payload, 'sub': 'eu:8'}).encode())}.{sig}"
    with pytest.raises(TokenError, match="签名"):
        verify(tampered, KEY, kind=TokenKind.access, now=NOW)


def test_every_single_character_change_is_refused():
    token = _token()
    for i, ch in enumerate(token):
        if ch == ".":
            continue
        other = "A" if ch != "A" else "B"
        with pytest.raises(TokenError):
            verify(token[:i] + other + token[i + 1:], KEY, kind=TokenKind.access, now=NOW)


@given(st.text(max_size=300))
def test_garbage_never_crashes(text):
    with pytest.raises(TokenError):
        verify(text, KEY, kind=TokenKind.access, now=NOW)


@given(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/", max_size=80),
                min_size=3, max_size=3))
def test_three_segment_garbage_never_crashes(parts):
    with pytest.raises(TokenError):
        verify(".".join(parts), KEY, kind=TokenKind.access, now=NOW)
