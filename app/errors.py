"""Typed domain errors and RFC 9457 problem+json for every error path.

Services raise AppError subclasses (they never import FastAPI); install_error_handlers() renders them, plus
validation errors, 404/405 and unexpected exceptions, as application/problem+json.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, Field

log = logging.getLogger("app.errors")

PROBLEM_TYPE_BASE = "https://zhuqi.example.gov.cn/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. body.impact.employees_affected")
    message: str
    type: str = "value_error"


class Problem(BaseModel):
    """RFC 9457 problem details, plus `code` and field `errors`."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "validation_error"])
    title: str = Field(examples=["请求参数有误"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["body.enterprise_uscc: 统一社会信用代码校验位错误"])
    code: str = Field(examples=["validation_error"])
    errors: list[FieldError] = Field(default_factory=list)
    request_id: str | None = None
    current_status: str | None = None
    allowed_actions: list[str] | None = None


class AppError(Exception):
    status_code = 400
    code = "bad_request"
    title = "请求无法处理"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra

    def problem(self, request_id: str | None = None) -> Problem:
        return Problem(
            type=PROBLEM_TYPE_BASE + self.code,
            title=self.title,
            status=self.status_code,
            detail=self.detail,
            code=self.code,
            errors=self.errors,
            request_id=request_id,
            **self.extra,
        )


class InvalidInput(AppError):
    status_code = 422
    code = "validation_error"
    title = "请求参数有误"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", errors=[FieldError(field=field, message=message)])


class Unauthenticated(AppError):
    status_code = 401
    code = "unauthenticated"
    title = "未认证或凭据无效"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="zhuqi"'})


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    title = "无权执行此操作"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    title = "资源不存在或不在您的权限范围内"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    title = "与当前状态冲突"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "当前状态不允许此操作"


class PreconditionFailed(AppError):
    status_code = 412
    code = "precondition_failed"
    title = "版本已变化，请刷新后重试"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"
    title = "请求体过大"


class TooManyRequests(AppError):
    status_code = 429
    code = "rate_limited"
    title = "请求过于频繁"

    def __init__(self, detail: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, int(retry_after_seconds)))})


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
    title = "服务暂时不可用"


_DESCRIPTIONS = {
    400: "请求无法处理 Bad request",
    401: "未认证 Unauthenticated",
    403: "无权 Forbidden",
    404: "不存在或不在权限范围内 Not found or outside your reach",
    409: "状态冲突 Conflict / illegal transition",
    412: "版本已变化 Stale If-Match",
    413: "请求体过大 Payload too large",
    422: "参数有误 Validation error",
    429: "请求过于频繁 Rate limited",
    502: "上游服务返回异常 Bad gateway (vendor answered something unusable)",
    503: "服务暂时不可用，请按 Retry-After 稍后重试 Service unavailable, retry later: `overloaded`（数据库连接已满 "
         "all database connections busy）或 `service_unavailable`（数据库或所需的外部服务不可用 database or a "
         "required vendor unavailable）",
}
IDEMPOTENCY_IN_PROGRESS = ("`idempotency_in_progress`：同一 Idempotency-Key 的请求仍在处理中，请按 Retry-After 稍后重试 "
                           "(a concurrent request with this key is still running; retrying then replays its response)")


def _retry_after() -> dict[str, Any]:
    # Fresh dicts for every response: FastAPI merges response dicts into each other in place.
    return {"Retry-After": {"description": "建议等待的秒数 Seconds to wait before retrying",
                            "schema": {"type": "integer", "minimum": 1}}}


def _problem_schema() -> dict[str, Any]:
    return {"schema": {"$ref": "#/components/schemas/Problem"}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    # Every route behind authentication may answer 401, 404 (not found, or outside the caller's reach: DESIGN §8)
    # and 422; and 503 (app.core.overload, app.core.http): every route reads the database, whose pool may be
    # exhausted or which may be down. Errors are sent as application/problem+json, so the Problem schema is declared
    # there too, where clients and schema-driven tests look for it.
    responses: dict[int | str, dict[str, Any]] = {
        s: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: _problem_schema()}, "description": _DESCRIPTIONS[s]}
        for s in sorted({401, 404, 422, 503, *statuses})
    }
    responses[503]["headers"] = _retry_after()
    return responses


def document_idempotency_conflicts(spec: dict[str, Any]) -> dict[str, Any]:
    """Adds the 409 `idempotency_in_progress` (app.core.idempotency) to every operation of an OpenAPI document that
    takes an Idempotency-Key header, whichever route declares it: the parameter is what makes the answer possible,
    so a new route taking it is documented without being told. Changes `spec` in place and returns it; idempotent."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if not any(p.get("in") == "header" and p.get("name", "").lower() == "idempotency-key"
                       for p in operation.get("parameters", ())):
                continue
            responses = operation["responses"]
            conflict = responses.get("409")
            if conflict and IDEMPOTENCY_IN_PROGRESS in conflict["description"]:
                continue  # documented already (FastAPI builds the document again when routes are added)
            description = f"{conflict['description']}；或 {IDEMPOTENCY_IN_PROGRESS}" if conflict \
                else f"状态冲突 Conflict — {IDEMPOTENCY_IN_PROGRESS}"
            content = {"application/json": _problem_schema(), PROBLEM_MEDIA_TYPE: _problem_schema()}
            responses["409"] = {"content": content, **(conflict or {}), "description": description,
                                "headers": _retry_after()}
    return spec
