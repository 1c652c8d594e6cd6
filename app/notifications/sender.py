"""The HTTP edge of notifications: sign at send time, send once, judge the answer. No database here.

Every attempt re-checks the URL against the SSRF rules with a fresh DNS answer, refuses redirects, and
checks the address it actually connected to before reading the answer (DNS can change between checks).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from app.notifications import signing, ssrf
from app.notifications.delivery import Outcome, Target, Verdict, classify

__all__ = ["Attempt", "Target", "UrlGuard", "deliver", "make_client", "resolve_host"]

TIMEOUT = httpx.Timeout(5.0, connect=3.0)  # DingTalk answers fast; never hold a lease on a slow peer
_BODY_MAX = 64 * 1024


def resolve_host(host: str) -> list[str]:
    """Every address `host` resolves to (tests replace this to avoid real DNS)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})


@dataclass(frozen=True)
class UrlGuard:
    extra_hosts: tuple[str, ...] = ()
    allow_loopback: bool = False
    resolve: Callable[[str], list[str]] | None = None  # None: resolve_host, looked up at call time

    @classmethod
    def from_settings(cls, settings: Any) -> UrlGuard:
        return cls(extra_hosts=tuple(settings.extra_webhook_hosts),
                   allow_loopback=settings.allow_loopback_webhooks)

    def check(self, url: str, kind: str) -> str:
        """The normalised URL, or ssrf.UnsafeUrl."""
        return ssrf.validate_channel_url(url, kind, extra_allowed_hosts=self.extra_hosts,
                                         allow_loopback=self.allow_loopback,
                                         resolve=self.resolve or (lambda host: resolve_host(host)))

    def peer_ok(self, ip: str) -> bool:
        return ssrf.is_public_address(ip) or (self.allow_loopback and ssrf.is_loopback_address(ip))


def make_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


@dataclass(frozen=True)
class Attempt:
    verdict: Verdict
    http_status: int | None = None
    body: bytes = b""
    retry_after: str | None = None
    answer: dict[str, Any] | None = field(default=None)  # the vendor's JSON answer, when it sent one


def build_request(
    target: Target, payload: dict[str, Any], msg_id: str, now: datetime
) -> tuple[str, bytes, dict[str, str]]:
    """URL, exact body bytes and headers of one attempt; signatures are fresh for `now`."""
    body = dict(payload)
    url = target.url
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if target.kind == "dingtalk":
        body["msgUuid"] = msg_id  # the same on every attempt: DingTalk de-duplicates retries
        url = signing.dingtalk_signed_url(target.url, target.secret, int(now.timestamp() * 1000))
    elif target.kind == "feishu" and target.secret:
        ts = int(now.timestamp())
        body = {"timestamp": str(ts), "sign": signing.feishu_sign(target.secret, ts), **body}
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    if target.kind == "webhook" and target.secret:
        headers |= signing.standard_webhook_headers(target.secret, msg_id, int(now.timestamp()), content)
    elif target.kind == "webhook":
        headers |= {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp()))}
    return url, content, headers


def _peer(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None  # in-process transports (tests) have no socket
    try:
        addr = stream.get_extra_info("server_addr")
    except OSError:
        return None
    return str(addr[0]) if addr else None


def _answer(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def deliver(client: httpx.Client, target: Target, payload: dict[str, Any], msg_id: str, *, now: datetime,
            guard: UrlGuard) -> Attempt:
    """One attempt. Never raises for network or vendor trouble: the Verdict says what happened."""
    try:
        guard.check(target.url, target.kind)
    except ssrf.UnsafeUrl as exc:
        return Attempt(Verdict(Outcome.permanent, "ssrf", str(exc)[:300], breaks_channel=True))
    url, content, headers = build_request(target, payload, msg_id, now)
    try:
        with client.stream("POST", url, content=content, headers=headers, timeout=TIMEOUT,
                           follow_redirects=False) as response:
            peer = _peer(response)
            if peer is not None and not guard.peer_ok(peer):
                detail = f"connected to non-public address {peer} / 连接到了非公网地址 {peer}"
                refused = Verdict(Outcome.permanent, "ssrf", detail, breaks_channel=True)
                return Attempt(refused, response.status_code)
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > _BODY_MAX:
                    break
    except httpx.HTTPError as exc:
        return Attempt(classify(target.kind, None, None, error=f"{type(exc).__name__}: {exc}"[:300]))
    verdict = classify(target.kind, response.status_code, body)
    return Attempt(verdict, response.status_code, body, response.headers.get("retry-after"), _answer(body))
