"""Signatures for outbound chat robots and inbound callbacks (pure: no clock, no I/O).

Every function takes the time as an argument so callers and tests control it.
References: chat-protocols.md §1.2 (DingTalk robot 加签), §2.1 (inbound robot callback),
§2.5 (interactive card callback), §4.2 (Feishu), reliability-security-performance.md §1.1
(Standard Webhooks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx

# DingTalk rejects (and we reject) timestamps more than one hour away from "now".
DINGTALK_MAX_SKEW_MS = 3_600_000

WHSEC_PREFIX = "whsec_"


def _hmac_b64(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode("ascii")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Raw (NOT URL-encoded) base64 of HMAC-SHA256(key=secret, msg=f"{ts}\\n{secret}").

    Returned un-encoded on purpose: httpx encodes query values itself, and encoding twice
    is the classic cause of 310000 "sign not match" (chat-protocols §0.4).
    """
    return _hmac_b64(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode())


def dingtalk_signed_url(webhook: str, secret: str | None, timestamp_ms: int) -> str:
    """The webhook URL with `timestamp` and `sign` merged into its query.

    copy_merge_params keeps `access_token`; passing `params=` to httpx would replace the whole
    query and drop the token (httpx#3433/#3550) → 300001 "token is not exist".
    With no secret the webhook is returned unchanged (keyword/IP-only robots).
    """
    url = httpx.URL(webhook)
    if secret:
        url = url.copy_merge_params(
            {"timestamp": str(timestamp_ms), "sign": dingtalk_sign(secret, timestamp_ms)}
        )
    return str(url)


def _parse_int(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    # int() accepts "+5", " 5", "5_000"; a timestamp header is plain digits, so be strict.
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)


def verify_dingtalk_callback(
    timestamp: str | None,
    sign: str | None,
    app_secret: str,
    now_ms: int,
    max_skew_ms: int = DINGTALK_MAX_SKEW_MS,
) -> bool:
    """Check the `timestamp`/`sign` headers of an inbound robot callback (§2.1).

    Signs the header string exactly as received (not a re-formatted int) so a leading
    zero or similar cannot make a valid request fail. Constant-time comparison.
    """
    ts = _parse_int(timestamp)
    if ts is None or sign is None or timestamp is None:
        return False
    if abs(now_ms - ts) > max_skew_ms:
        return False
    expected = _hmac_b64(app_secret.encode("utf-8"), f"{timestamp}\n{app_secret}".encode())
    return hmac.compare_digest(expected.encode("ascii"), sign.encode("utf-8"))


def card_callback_signature(api_secret: str, timestamp: str) -> str:
    """x-ddpaas-signature: base64 HMAC-SHA256(key=apiSecret, msg=timestamp) — only the timestamp."""
    return _hmac_b64(api_secret.encode("utf-8"), timestamp.encode("utf-8"))


def verify_card_callback(
    timestamp: str | None,
    signature: str | None,
    api_secret: str,
    now_ms: int,
    max_skew_ms: int = DINGTALK_MAX_SKEW_MS,
) -> bool:
    """Check `x-ddpaas-signature-timestamp` / `x-ddpaas-signature` of a card callback (§2.5).

    The doc gives no skew limit; ±1 h matches the other DingTalk checks and bounds replay.
    """
    ts = _parse_int(timestamp)
    if ts is None or signature is None or timestamp is None:
        return False
    if abs(now_ms - ts) > max_skew_ms:
        return False
    expected = card_callback_signature(api_secret, timestamp)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8"))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu/Lark bot sign: the KEY is f"{ts}\\n{secret}" and the message is empty (§4.2).

    The reverse of DingTalk; `timestamp` (seconds, as a string) and `sign` go in the JSON body.
    """
    return _hmac_b64(f"{timestamp_s}\n{secret}".encode(), b"")


def _webhook_key(secret: str) -> bytes:
    """Secret bytes for Standard Webhooks.

    "whsec_<base64>" (the spec's format) is base64-decoded; any other string is used as its
    UTF-8 bytes, so an operator-typed passphrase still works. A "whsec_" value that is not
    valid base64 raises ValueError rather than silently signing with the wrong key.
    """
    if secret.startswith(WHSEC_PREFIX):
        return base64.b64decode(secret[len(WHSEC_PREFIX) :], validate=True)
    return secret.encode("utf-8")


def standard_webhook_signature(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> str:
    """`webhook-signature` header value "v1,<base64>" over f"{msg_id}.{timestamp}." + body.

    The body is the exact bytes sent; never re-serialise the JSON between signing and sending.
    """
    if "." in msg_id:
        # The spec forbids '.' in the id: it would make the signed content ambiguous.
        raise ValueError("webhook msg_id must not contain '.'")
    signed = f"{msg_id}.{timestamp_s}.".encode() + body
    return "v1," + _hmac_b64(_webhook_key(secret), signed)


def standard_webhook_headers(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp_s),
        "webhook-signature": standard_webhook_signature(secret, msg_id, timestamp_s, body),
    }
