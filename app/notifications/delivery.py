"""What a delivery attempt's response means, and when to try again (pure: no clock, no I/O).

The dispatcher does the HTTP call and the bookkeeping; this module only turns
(status, body, transport error) into a Verdict and computes delays, so every branch is unit-testable.
Sources: chat-protocols.md §1.4 (DingTalk errcodes), §4.1 (WeCom), §4.2 (Feishu),
reliability-security-performance.md §1.1/§1.6 (Standard Webhooks status handling, W3/W4).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    sent = "sent"
    throttled = "throttled"  # not a failed attempt: wait for the block to lift, then resend (W4)
    retry = "retry"  # transient: count an attempt, back off per RETRY_SCHEDULE
    permanent = "permanent"  # never retry this message; dead + admin alert


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    code: str  # stable, greppable: "dingtalk:410100", "http:503", "transport", "unparseable"
    detail: str  # vendor text for humans; never branch on it (wording changes, §0.5)
    # True when the channel itself is unusable (bad token, robot removed, group dissolved,
    # redirect): mark it broken and stop sending everything, not just this message.
    breaks_channel: bool = False
    # Retried, since it is usually passing (a clock step, a stale timestamp); but once the whole retry
    # schedule has failed the same way it is the channel's configuration (a wrong secret): break it then.
    breaks_when_exhausted: bool = False


KINDS = ("dingtalk", "wecom", "feishu", "webhook")


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: a snapshot of a channel, so no session is open while sending."""

    channel_id: int
    kind: str
    url: str
    secret: str | None

_DINGTALK_THROTTLED = frozenset({410100, 130101})
_DINGTALK_CHANNEL_BROKEN = frozenset({400013, 400101, 400102, 400106, 300001, 300005})
_DINGTALK_MESSAGE_BAD = frozenset({430101, 430102, 430103, 430104, 40035, 43004, 400105, 460101})
# Feishu (§4.2): 19001 token invalid, 19024 keyword missing, 19022 IP not allowed [INF]: the robot's settings.
_FEISHU_CHANNEL_BROKEN = frozenset({19001, 19022, 19024})
# 19021 "sign match fail or timestamp is not within one hour": each attempt is signed afresh, so a stale
# timestamp (a retry after a long wait, a clock step) passes next time; a wrong secret fails every time.
_FEISHU_RESIGN = 19021
_DETAIL_MAX = 300


def _as_int(value: Any) -> int | None:
    """DingTalk's doc prints errcode as "0" while real replies send 0: accept both (§1.4)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _parse(body: bytes | None) -> dict[str, Any] | None:
    if not body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _v(outcome: Outcome, code: str, detail: Any, breaks: bool = False, *, persistent: bool = False) -> Verdict:
    return Verdict(outcome, code, str(detail or "")[:_DETAIL_MAX], breaks, breaks_when_exhausted=persistent)


def _vendor_code(kind: str, code: int, msg: str) -> Verdict:
    tag = f"{kind}:{code}"
    if kind == "dingtalk":
        if code == 0:
            return _v(Outcome.sent, tag, msg)
        if code in _DINGTALK_THROTTLED:
            return _v(Outcome.throttled, tag, msg)
        if code == -1:
            return _v(Outcome.retry, tag, msg)
        if code in _DINGTALK_CHANNEL_BROKEN:
            return _v(Outcome.permanent, tag, msg, breaks=True)
        if code == 310000:
            # Security-setting failures share one code. Only "invalid timestamp" (our clock) is
            # worth retrying; a fresh sign is computed per attempt. Match the English word only:
            # the newer Chinese sign-mismatch text also mentions 时间戳 in its "solution" part.
            if "timestamp" in msg.lower():
                return _v(Outcome.retry, tag, msg, persistent=True)
            return _v(Outcome.permanent, tag, msg, breaks=True)
        if code in _DINGTALK_MESSAGE_BAD:
            return _v(Outcome.permanent, tag, msg)
    elif kind == "wecom":
        if code == 0:
            return _v(Outcome.sent, tag, msg)
        if code == 45009:
            return _v(Outcome.throttled, tag, msg)
        if code == -1:
            return _v(Outcome.retry, tag, msg)
        if code == 93000:
            return _v(Outcome.permanent, tag, msg, breaks=True)
    elif kind == "feishu":
        if code == 0:
            return _v(Outcome.sent, tag, msg)
        if code == 11232:
            return _v(Outcome.throttled, tag, msg)
        if code == _FEISHU_RESIGN:
            return _v(Outcome.retry, tag, msg, persistent=True)
        if code in _FEISHU_CHANNEL_BROKEN:
            return _v(Outcome.permanent, tag, msg, breaks=True)
        if code == 9499:
            return _v(Outcome.permanent, tag, msg)
    # An explicit vendor error we do not know: the vendor answered deterministically, so
    # retrying would burn the monthly quota for nothing. Dead (message-level) + admin alert;
    # it can be redelivered by hand once understood.
    return _v(Outcome.permanent, tag, msg)


def _vendor_fields(kind: str, data: dict[str, Any]) -> tuple[int, str] | None:
    if kind in ("dingtalk", "wecom"):
        code = _as_int(data.get("errcode"))
        return None if code is None else (code, str(data.get("errmsg", "")))
    # Feishu: new replies carry code/msg (and StatusCode too); old ones only StatusCode.
    code = _as_int(data.get("code"))
    status_code = _as_int(data.get("StatusCode"))
    if code == 0 or status_code == 0:
        return 0, str(data.get("msg") or data.get("StatusMessage") or "")
    if code is not None:
        return code, str(data.get("msg", ""))
    if status_code is not None:
        return status_code, str(data.get("StatusMessage", ""))
    return None


def _by_http_status(status: int, body: bytes | None) -> Verdict:
    tag = f"http:{status}"
    text = (body or b"")[:_DETAIL_MAX].decode("utf-8", "replace")
    if 200 <= status < 300:
        return _v(Outcome.sent, tag, text)
    if status == 429:
        return _v(Outcome.throttled, tag, text)
    if status == 410:
        return _v(Outcome.permanent, tag, text, breaks=True)
    if status == 408 or status >= 500:
        return _v(Outcome.retry, tag, text)
    if 400 <= status < 500:
        return _v(Outcome.permanent, tag, text)
    return _v(Outcome.retry, tag, text)  # 1xx or nonsense: treat as transient


def classify(kind: str, http_status: int | None, body: bytes | None, error: str | None = None) -> Verdict:
    """Judge one attempt. `error` is a transport failure (timeout, DNS, TLS, refused)."""
    if kind not in KINDS:
        raise ValueError(f"unknown channel kind {kind!r}")
    if error is not None or http_status is None:
        return _v(Outcome.retry, "transport", error or "no response")
    if 300 <= http_status < 400:
        # We never follow redirects (SSRF): a robot URL that redirects is misconfigured or hijacked.
        return _v(Outcome.permanent, f"http:{http_status}", "redirect not followed", breaks=True)
    if kind == "webhook":
        return _by_http_status(http_status, body)
    data = _parse(body)
    fields = _vendor_fields(kind, data) if data is not None else None
    if fields is not None:
        # Chat vendors report errors in the body, usually with HTTP 200 (§1.4): the body wins.
        return _vendor_code(kind, *fields)
    if http_status == 429:
        return _v(Outcome.throttled, f"http:{http_status}", "rate limited")
    if http_status >= 500:
        return _v(Outcome.retry, f"http:{http_status}", "server error")
    # 2xx/4xx without a vendor code (proxy page, truncated body): transient until the
    # schedule runs out rather than guessing it is permanent.
    return _v(Outcome.retry, "unparseable", (body or b"")[:_DETAIL_MAX].decode("utf-8", "replace"))


# Delay after the Nth failed attempt; after the last one the message is dead.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=10),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
JITTER = 0.2

# DingTalk blocks a robot for 10 minutes after the 21st message in a minute (§1.5).
THROTTLE_BLOCK = timedelta(minutes=10)
_THROTTLE_DEFAULT = timedelta(minutes=1)
_RETRY_AFTER_MAX = timedelta(hours=1)


def next_attempt_delay(attempts_made: int, rand: float) -> timedelta | None:
    """Delay before the next attempt after `attempts_made` failed ones; None → dead.

    Jitter of ±20% (rand in [0, 1) is injected) spreads retries of a burst so they do not hit
    the robot's 20/min window together. attempts_made <= 0 means nothing failed yet: send now.
    """
    if not 0.0 <= rand < 1.0:
        raise ValueError("rand must be in [0, 1)")
    if attempts_made <= 0:
        return timedelta(0)
    if attempts_made > len(RETRY_SCHEDULE):
        return None
    base = RETRY_SCHEDULE[attempts_made - 1]
    return base * (1.0 + JITTER * (2.0 * rand - 1.0))


def _retry_after(value: str | None, now: datetime | None) -> timedelta | None:
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return timedelta(seconds=int(text))
    if now is None:
        return None
    try:  # the HTTP-date form of Retry-After
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None or now.tzinfo is None:
        return None
    return when - now


def throttle_wait(kind: str, retry_after: str | None = None, now: datetime | None = None) -> timedelta:
    """How long a throttled channel stays paused.

    DingTalk: the documented 10-minute block — sending earlier only extends it. Others have no
    documented penalty: honour Retry-After (seconds or HTTP-date, clamped to 1 s..1 h) else 1 min.
    """
    if kind == "dingtalk":
        return THROTTLE_BLOCK
    wait = _retry_after(retry_after, now)
    if wait is None:
        return _THROTTLE_DEFAULT
    return min(max(wait, timedelta(seconds=1)), _RETRY_AFTER_MAX)


WINDOW = timedelta(seconds=60)


def window_slots(
    sent_times: Sequence[datetime], now: datetime, per_minute: int, window: timedelta = WINDOW
) -> tuple[int, datetime | None]:
    """Sends allowed right now under a sliding 60 s window, and when the next slot frees if none.

    A send at t occupies the window while t > now - 60 s (the fake robot uses the same rule),
    so it frees at exactly t + 60 s. Future timestamps (clock skew between workers) count as
    occupied: being conservative is what keeps a robot out of the 10-minute block.
    """
    if per_minute <= 0:
        return 0, None
    in_window = sorted(t for t in sent_times if t > now - window)
    allowed = per_minute - len(in_window)
    if allowed > 0:
        return allowed, None
    # The slot frees when enough of the oldest sends have aged out to go below the limit.
    return 0, in_window[len(in_window) - per_minute] + window
