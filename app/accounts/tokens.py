"""Our own bearer tokens for enterprise users: compact JWS (HS256), pure sign/verify, no I/O.

The algorithm is fixed here, never taken from the token: a header that is not exactly
{"alg": "HS256", "typ": "JWT"} (e.g. alg "none", "HS512", "RS256") is refused before anything else is read.
Expiry is checked against the `now` the caller passes (the injected clock).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

ALGORITHM = "HS256"
ISSUER = "zhuqi"
MAX_TOKEN_LENGTH = 2048
_HEADER = {"alg": ALGORITHM, "typ": "JWT"}
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
_SUBJECT_PREFIX = "eu:"


class TokenKind(StrEnum):
    access = "access"
    refresh = "refresh"


class TokenError(ValueError):
    """The token is malformed, forged, of the wrong kind or expired. The message is safe to show."""


@dataclass(frozen=True)
class Claims:
    enterprise_user_id: int
    session_id: int
    jti: str
    kind: TokenKind
    issued_at: datetime
    expires_at: datetime


def derive_key(secret: str) -> bytes:
    """A key of its own for tokens, so cursors and tokens signed with SECRET_KEY never share a MAC key."""
    return hmac.new(secret.encode(), b"zhuqi/enterprise-token/v1", hashlib.sha256).digest()


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(segment: str) -> bytes:
    if not _SEGMENT.match(segment):
        raise TokenError("凭据格式无效")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("凭据格式无效") from None


def _mac(key: bytes, signing_input: str) -> bytes:
    return hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()


def sign(claims: Claims, key: bytes) -> str:
    payload = {
        "iss": ISSUER,
        "sub": f"{_SUBJECT_PREFIX}{claims.enterprise_user_id}",
        "sid": claims.session_id,
        "jti": claims.jti,
        "typ": claims.kind.value,
        "iat": int(claims.issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    header_b64 = _b64encode(json.dumps(_HEADER, separators=(",", ":")).encode())
    payload_b64 = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = f"{header_b64}.{payload_b64}"
    return f"{signing_input}.{_b64encode(_mac(key, signing_input))}"


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise TokenError("凭据格式无效") from None
    if not isinstance(value, dict):
        raise TokenError("凭据格式无效")
    return value


def _int_claim(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TokenError("凭据内容无效")
    return value


def verify(token: str, key: bytes, *, kind: TokenKind, now: datetime) -> Claims:
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenError("凭据格式无效")
    header_b64, payload_b64, signature_b64 = token.split(".")
    if _json_object(header_b64) != _HEADER:
        raise TokenError("凭据算法无效（仅接受 HS256）")
    # Compared as canonical text: a re-encoding with other padding bits is not the same token.
    expected = _b64encode(_mac(key, f"{header_b64}.{payload_b64}"))
    if not _SEGMENT.match(signature_b64) or not hmac.compare_digest(expected, signature_b64):
        raise TokenError("凭据签名无效")
    payload = _json_object(payload_b64)
    if payload.get("iss") != ISSUER or payload.get("typ") != kind.value:
        raise TokenError("凭据类型不符")
    subject, jti = payload.get("sub"), payload.get("jti")
    if not isinstance(subject, str) or not subject.startswith(_SUBJECT_PREFIX) or not subject[3:].isdigit():
        raise TokenError("凭据内容无效")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 64:
        raise TokenError("凭据内容无效")
    issued, expires = _int_claim(payload, "iat"), _int_claim(payload, "exp")
    if now.timestamp() >= expires:
        raise TokenError("凭据已过期，请刷新或重新登录")
    return Claims(
        enterprise_user_id=int(subject[3:]),
        session_id=_int_claim(payload, "sid"),
        jti=jti,
        kind=kind,
        issued_at=datetime.fromtimestamp(issued, UTC),
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
