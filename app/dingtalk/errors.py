"""What a DingTalk answer means (pure: no clock, no I/O). Sources: docs/dingtalk.md §1–§5.

Two answer styles: the legacy host (oapi.dingtalk.com) answers HTTP 200 with an `errcode`; the new host
(api.dingtalk.com) answers HTTP 4xx/5xx with a string `code`. Branch on codes only, never on the wording.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    ok = "ok"
    token = "token"  # the token is invalid or expired: fetch a new one and try once more
    throttled = "throttled"  # vendor flow control: try later, not a failed attempt
    retry = "retry"  # transient (system busy, 5xx, transport)
    duplicate = "duplicate"  # the vendor already has this object (idempotent create): treat as done
    permanent = "permanent"  # configuration or request error: retrying cannot help


@dataclass(frozen=True)
class Judgement:
    kind: Kind
    code: str  # stable and greppable: "dingtalk:88/40014", "dingtalk-api:InvalidAuthentication", "http:503"
    detail: str = ""


_TOKEN_ERRCODES = frozenset({40014, 42001})
_TOKEN_SUB_CODES = frozenset({"40014", "42001", "40000"})
_THROTTLED_ERRCODES = frozenset({143103, 143104, 143203, 143204, 1430003})
# The to-do service refuses with one code per call, `todo.<action>.paramError`, and says what it refused in the
# message: "task exist" / "task not exist" in the documentation's tables, but on the wire the code comes first in a
# Go format leftover — "todo.taskDelete.paramError%!(EXTRA string=task not exist)", "…(EXTRA string=task existed
# sourceId is 34347712)" (docs/dingtalk.md §4). So these two are the code plus a phrase *in* the message.
TASK_EXISTS = "task exist"  # also matches "task existed …"; "task not exist" does not contain it
TASK_MISSING = "task not exist"
_DUPLICATE_API: dict[str, str | None] = {"todo.taskCreate.paramError": TASK_EXISTS, "param.outTrackIdDuplicate": None}


def parse(body: bytes | str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def judge_legacy(status: int | None, answer: dict[str, Any] | None) -> Judgement:
    """oapi.dingtalk.com: success is errcode 0 in the body, whatever the HTTP status says."""
    if status is None:
        return Judgement(Kind.retry, "transport")
    if answer is None:
        return Judgement(Kind.retry if status >= 500 or status == 200 else Kind.permanent, f"http:{status}")
    errcode, detail = answer.get("errcode"), str(answer.get("errmsg", ""))[:300]
    if isinstance(errcode, str) and errcode.lstrip("-").isdigit():
        errcode = int(errcode)
    if errcode == 0:
        return Judgement(Kind.ok, "dingtalk:0")
    if errcode == 88:
        sub = str(answer.get("sub_code", ""))
        kind = Kind.token if sub in _TOKEN_SUB_CODES else Kind.permanent
        return Judgement(kind, f"dingtalk:88/{sub}", str(answer.get("sub_msg", detail))[:300])
    if errcode in _TOKEN_ERRCODES:
        return Judgement(Kind.token, f"dingtalk:{errcode}", detail)
    if errcode == -1:
        return Judgement(Kind.retry, "dingtalk:-1", detail)
    if errcode in _THROTTLED_ERRCODES:
        return Judgement(Kind.throttled, f"dingtalk:{errcode}", detail)
    return Judgement(Kind.permanent, f"dingtalk:{errcode}", detail)


def judge_api(status: int | None, answer: dict[str, Any] | None) -> Judgement:
    """api.dingtalk.com: success is HTTP 2xx; errors carry a string `code`."""
    if status is None:
        return Judgement(Kind.retry, "transport")
    if 200 <= status < 300:
        return Judgement(Kind.ok, f"http:{status}")
    code = str((answer or {}).get("code", ""))
    message = str((answer or {}).get("message", ""))
    label = f"dingtalk-api:{code}" if code else f"http:{status}"
    if code == "InvalidAuthentication" or (status == 401 and not code):
        return Judgement(Kind.token, label, message[:300])
    if code in _DUPLICATE_API and (_DUPLICATE_API[code] or "") in message:
        return Judgement(Kind.duplicate, label, message[:300])
    if status == 429 or code.endswith("flowControlError") or code.startswith("Throttling"):
        return Judgement(Kind.throttled, label, message[:300])
    if status >= 500:
        return Judgement(Kind.retry, label, message[:300])
    return Judgement(Kind.permanent, label, message[:300])


def task_missing(judgement: Judgement) -> bool:
    """A to-do call refused because the task is not there (never created, or deleted by the person): HTTP 400
    `todo.<action>.paramError` with "task not exist" in the message (docs/dingtalk.md §4)."""
    code = judgement.code.removeprefix("dingtalk-api:")
    return code.startswith("todo.") and code.endswith(".paramError") and TASK_MISSING in judgement.detail
