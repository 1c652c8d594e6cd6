"""The HTTP edge of notifications: sign at send time, send once, judge the answer. No database here.

Every attempt re-checks the URL against the SSRF rules with one fresh DNS answer and then connects to an
address of that very answer (pinned): the request goes to the checked IP with the Host header and the TLS
SNI/certificate name set to the hostname, so TLS still verifies the vendor's name, and no second lookup —
which a DNS-rebinding attacker would answer with an internal address — is ever made. Redirects are refused.
A failed lookup or a network error is temporary (retried); only a resolved address that breaks a rule is a
refusal that breaks the channel.
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
_ADDRESSES_TRIED = 3  # connect timeouts add up: three addresses at most stay well inside a lease


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

    def resolve_checked(self, url: str, kind: str) -> list[str]:
        """The checked addresses to connect to (one DNS lookup), or ssrf.UnsafeUrl / ssrf.ResolveFailed."""
        return ssrf.checked_addresses(url, kind, extra_allowed_hosts=self.extra_hosts,
                                      allow_loopback=self.allow_loopback,
                                      resolve=self.resolve or (lambda host: resolve_host(host)))[1]


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


def pinned_request(client: httpx.Client, url: str, address: str, content: bytes,
                   headers: dict[str, str]) -> httpx.Request:
    """A POST to `url` that connects to `address` (already checked) instead of resolving the host again.

    The Host header keeps the name (and port) the vendor routes on; `sni_hostname` makes httpcore send the
    name in the TLS handshake and verify the certificate against it, so connecting by IP loses no TLS check.
    """
    parsed = httpx.URL(url)
    name = parsed.raw_host.decode("ascii")
    extensions: dict[str, object] = {}
    if ssrf.literal_ip(name) is None:
        extensions["sni_hostname"] = name
        parsed = parsed.copy_with(host=address)
    return client.build_request("POST", parsed, content=content,
                                headers={**headers, "Host": httpx.URL(url).netloc.decode("ascii")},
                                timeout=TIMEOUT, extensions=extensions)


def _answer(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _read(response: httpx.Response) -> bytes:
    body = b""
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > _BODY_MAX:
            break
    return body


def deliver(client: httpx.Client, target: Target, payload: dict[str, Any], msg_id: str, *, now: datetime,
            guard: UrlGuard) -> Attempt:
    """One attempt. Never raises for network or vendor trouble: the Verdict says what happened."""
    try:
        addresses = guard.resolve_checked(target.url, target.kind)
    except ssrf.ResolveFailed as exc:  # a DNS blink: try again later, the channel is fine
        return Attempt(Verdict(Outcome.retry, "dns", str(exc)[:300]))
    except ssrf.UnsafeUrl as exc:
        return Attempt(Verdict(Outcome.permanent, "ssrf", str(exc)[:300], breaks_channel=True))
    url, content, headers = build_request(target, payload, msg_id, now)
    error = "no address"
    # IPv4 first: DingTalk's IP allowlist knows no IPv6, so an IPv6 egress would be refused (chat-protocols §1.1).
    for address in sorted(addresses, key=lambda a: ":" in a)[:_ADDRESSES_TRIED]:
        request = pinned_request(client, url, address, content, headers)
        try:
            response = client.send(request, stream=True, follow_redirects=False)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            error = _failure(exc)
            continue  # nothing left us: the next checked address of the same answer may answer
        except httpx.HTTPError as exc:
            return Attempt(classify(target.kind, None, None, error=_failure(exc)))
        try:
            body = _read(response)
        except httpx.HTTPError as exc:
            return Attempt(classify(target.kind, None, None, error=_failure(exc)))
        finally:
            response.close()
        verdict = classify(target.kind, response.status_code, body)
        return Attempt(verdict, response.status_code, body, response.headers.get("retry-after"), _answer(body))
    return Attempt(classify(target.kind, None, None, error=error))
