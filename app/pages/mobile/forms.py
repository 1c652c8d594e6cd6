"""Page forms → the workflow's ActionIn, and errors → one readable Chinese sentence. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.appeals.lifecycle import Action
from app.appeals.schemas import ActionIn
from app.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    TooManyRequests,
)
from app.pages.mobile.present import FORM_FIELDS

FIELD_LABELS = {
    "note": "内容", "public_reply": "答复", "resolution_code": "办结类型", "reason": "理由",
    "target_unit_code": "建议单位编码", "days": "延期天数", "decision": "审批意见", "public": "是否公开",
    "version": "页面版本",
}
MAX_FIELD_CHARS = 6000


@dataclass(frozen=True)
class PostedForm:
    """What a page form posted (all strings, as browsers send them)."""

    csrf: str | None = None
    version: str | None = None
    values: dict[str, str] = field(default_factory=dict)


def to_action_in(action: Action, form: PostedForm) -> ActionIn:
    """Only the fields of this action's form are read; blanks are absent. Raises InvalidInput (422)."""
    data: dict[str, Any] = {}
    for name in FORM_FIELDS[action]:
        raw = form.values.get(name)
        if name == "public":
            if action is Action.progress:
                data["public"] = raw is not None  # an unticked checkbox sends nothing
            continue
        value = (raw or "").replace("\r\n", "\n").strip()
        if not value:
            continue
        if len(value) > MAX_FIELD_CHARS:
            raise InvalidInput.field(f"body.{name}", f"{FIELD_LABELS[name]}过长")
        if name == "days":
            if not value.isdigit():
                raise InvalidInput.field("body.days", "延期天数必须是 1–60 的整数")
            data[name] = int(value)
        else:
            data[name] = value
    try:
        return ActionIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else "body"
        raise InvalidInput.field(f"body.{name}", _pydantic_message(first)) from None


def to_version(form: PostedForm) -> int:
    raw = (form.version or "").strip()
    if not raw.isdigit():
        raise InvalidInput.field("body.version", "页面版本缺失，请刷新页面后重试")
    return int(raw)


def _pydantic_message(error: Any) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "string_too_long":
        return f"最多 {ctx.get('max_length')} 个字"
    if kind in ("greater_than_equal", "less_than_equal"):
        return "超出允许范围"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return "填写有误"


def describe(exc: AppError) -> str:
    """One sentence for the top of the re-rendered page."""
    if isinstance(exc, PreconditionFailed):
        return "诉求刚刚已被他人更新（页面显示的版本已过期）。下面是最新情况，请核对后重新提交。"
    if isinstance(exc, InvalidInput) and exc.errors:
        name = exc.errors[0].field.removeprefix("body.")
        return f"请检查填写内容：{FIELD_LABELS.get(name, name)}：{exc.errors[0].message}"
    if isinstance(exc, TooManyRequests):
        return f"操作过于频繁：{exc.detail or exc.title}"
    if isinstance(exc, (Conflict, Forbidden, NotFound)):
        return f"{exc.title}：{exc.detail}" if exc.detail and exc.detail != exc.title else exc.title
    return f"{exc.title}：{exc.detail}" if exc.detail else exc.title
