"""Pure helpers for signing in to the pages: one-time link tokens, session ids, CSRF tokens and safe redirects.

No I/O, no clock: callers pass `now` and the secret. Every HMAC is domain-separated, because the same
SECRET_KEY also signs list cursors: a cursor can never pass as a link token or a CSRF token, or vice versa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote

LINK_DOMAIN = b"zhuqi/page-link/v1\n"
CSRF_DOMAIN = b"zhuqi/page-csrf/v1\n"
MAX_TOKEN_CHARS = 600  # a real token is ~150; anything much longer is not ours


class LinkTokenError(StrEnum):
    """Why a link token was refused; the page explains each in Chinese."""

    malformed = "malformed"
    bad_signature = "bad_signature"
    expired = "expired"
    wrong_appeal = "wrong_appeal"
    used = "used"  # decided by the database (page_link_token), not here


class InvalidLinkToken(Exception):
    def __init__(self, reason: LinkTokenError) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class LinkClaims:
    number: str
    user_id: int | None  # None: bound to the unit only (a group link) — may look, may not act
    unit_id: int
    expires_at: datetime
    jti: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, domain: bytes, message: str) -> str:
    return _b64(hmac.new(secret.encode(), domain + message.encode(), hashlib.sha256).digest())


def new_jti() -> str:
    return secrets.token_hex(16)


def make_link_token(
    secret: str,
    number: str,
    user_id: int | None,
    unit_id: int,
    expires_at: datetime,
    *,
    jti: str | None = None,
) -> str:
    """`<payload>.<mac>`, both base64url: signed, expiring, bound to one appeal and to a user (or a unit)."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    claims = {"n": number, "u": user_id, "g": unit_id, "e": int(expires_at.timestamp()), "j": jti or new_jti()}
    payload = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{payload}.{_mac(secret, LINK_DOMAIN, payload)}"


def read_link_token(secret: str, token: str, *, number: str, now: datetime) -> LinkClaims:
    """The claims of a valid token for this appeal, or InvalidLinkToken with the reason."""
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise InvalidLinkToken(LinkTokenError.malformed)
    payload, mac = token.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(secret, LINK_DOMAIN, payload).encode()):
        raise InvalidLinkToken(LinkTokenError.bad_signature)
    try:
        raw = json.loads(_unb64(payload))
        claims = LinkClaims(
            number=str(raw["n"]),
            user_id=None if raw["u"] is None else int(raw["u"]),
            unit_id=int(raw["g"]),
            expires_at=datetime.fromtimestamp(int(raw["e"]), UTC),
            jti=str(raw["j"]),
        )
    except (ValueError, KeyError, TypeError):
        raise InvalidLinkToken(LinkTokenError.malformed) from None
    if not re.fullmatch(r"[0-9a-f]{32}", claims.jti):
        raise InvalidLinkToken(LinkTokenError.malformed)
    if claims.number != number:
        raise InvalidLinkToken(LinkTokenError.wrong_appeal)
    if now >= claims.expires_at:
        raise InvalidLinkToken(LinkTokenError.expired)
    return claims


def appeal_path(number: str) -> str:
    return f"/m/appeals/{quote(number, safe='')}"


def appeal_url(base_url: str, number: str, token: str | None = None) -> str:
    url = base_url.rstrip("/") + appeal_path(number)
    return f"{url}?t={token}" if token else url


def dingtalk_wrap(url: str, *, pc_slide: bool = True) -> str:
    """DingTalk's own link form (chat-protocols §1.3): on PC, opens in DingTalk's side panel (where H5
    sign-in works) instead of the system browser. Only for messages to DingTalk; other apps cannot open it."""
    return ("dingtalk://dingtalkclient/page/link?url=" + quote(url, safe="")
            + f"&pc_slide={'true' if pc_slide else 'false'}")


def new_session_id() -> str:
    """The cookie value: 256 random bits."""
    return secrets.token_urlsafe(32)


def session_key(session_id: str) -> str:
    """What is stored: the SHA-256 of the cookie value (a random 256-bit value needs no slow hash)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def csrf_token(secret: str, binding: str) -> str:
    """Session-bound CSRF token: HMAC of the session id (or, before sign-in, of a pre-session nonce cookie).
    A page on another site can neither read the cookie nor compute the token."""
    return _mac(secret, CSRF_DOMAIN, binding)


def check_csrf(secret: str, binding: str | None, token: str | None) -> bool:
    if not binding or not token or len(token) > 100:
        return False
    return hmac.compare_digest(token.encode(), csrf_token(secret, binding).encode())


_SAFE_NEXT = re.compile(r"^/(m|dashboard)(/[A-Za-z0-9_\-./%]*)?(\?[A-Za-z0-9_\-=&.%]*)?$")


def safe_next(value: str | None, default: str = "/m/") -> str:
    """Only our own page paths: never another host (`//evil`, `/\\evil`, `https:`), so no open redirect."""
    if not value or "//" in value or "\\" in value or ".." in value or not _SAFE_NEXT.fullmatch(value):
        return default
    return value
