"""HTTP edge concerns: request ids, body size limit, problem+json rendering for every error path, and the answer of
a creating route from its use case's idempotency.Outcome."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import messages_zh, metrics, overload
from app.core.idempotency import Outcome
from app.core.logging import bind_request, route_template
from app.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, AppError, FieldError, Problem

log = logging.getLogger("app.http")
access_log = logging.getLogger("app.access")

_HTTP_TITLES = {
    400: "请求无法处理",
    401: "未认证或凭据无效",
    403: "无权执行此操作",
    404: "资源不存在或不在您的权限范围内",
    405: "不支持该请求方法",
    406: "不支持的响应格式",
    413: "请求体过大",
    415: "不支持的内容类型",
    422: "请求参数有误",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂时不可用",
}
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 400: "bad_request"}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def etag(version: int) -> str:
    """A resource's version as a strong ETag; If-Match sends it back (app.core.validation.parse_if_match)."""
    return f'"{version}"'


def created(outcome: Outcome, *, location: str | None = None, version: int | None = None) -> JSONResponse:
    """A creating route's answer: the use case's status and body, `Idempotent-Replayed: true` on a replay, and the
    Location and ETag of the resource when it has them."""
    headers: dict[str, str] = {}
    if version is not None:
        headers["ETag"] = etag(version)
    if location is not None:
        headers["Location"] = location
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers or None)


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_problem(exc: RequestValidationError, request: Request) -> Problem:
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid" and loc[:1] == ("body",):
            # FastAPI puts the character offset in the location (`body.16`): it is a place in the text, not a field.
            position = loc[1] if len(loc) > 1 else None
            message = messages_zh.json_syntax_message(exc.body, position, str(err.get("ctx", {}).get("error", "")))
            loc = ("body",)
        else:
            message = messages_zh.field_message(err)
        errors.append(FieldError(field=_field_path(loc), message=message, type=str(err.get("type", "value_error"))))
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5]) or "请求参数有误"
    return Problem(
        type=PROBLEM_TYPE_BASE + "validation_error",
        title="请求参数有误",
        status=422,
        detail=detail,
        code="validation_error",
        errors=errors,
        request_id=_request_id(request),
    )


def _body_problem(request: Request, exc: StarletteHTTPException) -> Problem:
    if isinstance(exc.__cause__, ValueError):
        message, kind = "请求体不是合法的 UTF-8 JSON (body is not valid UTF-8 JSON)", "json_invalid"
    else:
        message, kind = f"请求体无法解析 (body could not be parsed: {exc.detail})", "body_invalid"
    return Problem(
        type=PROBLEM_TYPE_BASE + "validation_error", title="请求参数有误", status=422,
        detail=f"body: {message}", code="validation_error",
        errors=[FieldError(field="body", message=message, type=kind)], request_id=_request_id(request),
    )


def install_error_handlers(app: FastAPI) -> None:
    overload.install(app)  # an exhausted connection pool: 503 + Retry-After, not a 500

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc.problem(_request_id(request)), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(_validation_problem(exc, request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # Only the framework raises a bare 400, when it cannot read the body: a JSON body it cannot decode
            # (e.g. not UTF-8; one that is not JSON is a 422) or a multipart body without its boundary (found by
            # schemathesis). The same client mistake as any invalid body, answered the same way.
            return problem_response(_body_problem(request, exc))
        status = exc.status_code
        problem = Problem(
            type=PROBLEM_TYPE_BASE + _HTTP_CODES.get(status, f"http_{status}"),
            title=_HTTP_TITLES.get(status, "请求无法处理"),
            status=status,
            detail=exc.detail if isinstance(exc.detail, str) else None,
            code=_HTTP_CODES.get(status, f"http_{status}"),
            request_id=_request_id(request),
        )
        return problem_response(problem, dict(exc.headers or {}))

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable request_id=%s: %s", _request_id(request), exc.__class__.__name__)
        problem = Problem(
            type=PROBLEM_TYPE_BASE + "service_unavailable",
            title="服务暂时不可用",
            status=503,
            detail="数据库暂时不可用，请稍后重试 (database unavailable, retry later)",
            code="service_unavailable",
            request_id=_request_id(request),
        )
        return problem_response(problem, {"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error request_id=%s", _request_id(request))
        problem = Problem(
            type=PROBLEM_TYPE_BASE + "internal_error",
            title="服务器内部错误",
            status=500,
            detail="服务器内部错误，请联系管理员并提供 request_id",
            code="internal_error",
            request_id=_request_id(request),
        )
        return problem_response(problem)


class RequestContextMiddleware:
    """Assigns a request id (or trusts a sane incoming X-Request-ID) and echoes it in the response; counts the request
    in /metrics by route template and writes one access-log line (method, route, status, duration, principal)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 8 <= len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        context = bind_request(scope, request_id)
        status = 500  # unless a response starts: an exception escaping the app becomes the server's 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            metrics.observe_request(scope["method"], route, status, elapsed)
            context["status"], context["duration_ms"] = status, round(elapsed * 1000, 1)
            access_log.info("%s %s %s %.1fms", scope["method"], route, status, elapsed * 1000,
                            extra={"route": route})


class BodySizeLimitMiddleware:
    """Refuses bodies over the limit with 413 problem+json before any handler reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._reject(scope, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._reject(scope, send, limit)

    def _limit_for(self, scope: Scope) -> int:
        # Attachments carry files of up to 10 MB; everything else is small JSON.
        if scope.get("path", "").startswith("/api/v1/attachments"):
            return max(self.max_bytes, 11 * 1024 * 1024)
        return self.max_bytes

    async def _reject(self, scope: Scope, send: Send, limit: int) -> None:
        problem = Problem(
            type=PROBLEM_TYPE_BASE + "payload_too_large",
            title="请求体过大",
            status=413,
            detail=f"请求体超过 {limit} 字节上限 (body larger than {limit} bytes)",
            code="payload_too_large",
            request_id=scope.get("state", {}).get("request_id"),
        )
        response = problem_response(problem)
        await response(scope, _empty_receive, send)


class NulByteGuard:
    """Refuses a path or query string carrying a NUL character (0x00) with 422 problem+json: PostgreSQL text cannot
    hold one, so it would otherwise reach a query and come back as a 500 (found by schemathesis:
    `GET /api/v1/units?parent_code=%00`). JSON bodies are covered by the field validators."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            where = "path" if "\x00" in scope.get("path", "") else "query" if b"%00" in query or b"\x00" in query \
                else None
            if where is not None:
                message = "不能包含 NUL 字符 (must not contain NUL characters)"
                problem = Problem(
                    type=PROBLEM_TYPE_BASE + "validation_error", title="请求参数有误", status=422,
                    detail=f"{where}: {message}", code="validation_error",
                    errors=[FieldError(field=where, message=message)],
                    request_id=scope.get("state", {}).get("request_id"),
                )
                await problem_response(problem)(scope, _empty_receive, send)
                return
        await self.app(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


async def reject_repeated_query_parameters(request: Request) -> None:
    """Query strings are held to the contract like bodies (extra="forbid"): on the API, a parameter the operation
    does not declare is refused, and so is a scalar given twice (`?text=a&text=b`), instead of being ignored or
    silently reduced to the last value. List parameters (`?status=a&status=b`) may repeat."""
    if not request.scope.get("query_string"):
        return
    from fastapi._compat import field_annotation_is_sequence

    from app.errors import InvalidInput

    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared = _all_query_params(dependant)
    names = {f.alias for f in declared}
    lists = {f.alias for f in declared if field_annotation_is_sequence(f.field_info.annotation)}
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if request.url.path.startswith("/api/") and name not in names:
            raise InvalidInput.field(f"query.{name}", "不支持的查询参数 (unknown query parameter)")
        if name in seen and name not in lists:
            raise InvalidInput.field(f"query.{name}", "该参数只能出现一次 (given more than once)")
        seen.add(name)


def _all_query_params(dependant: Any) -> list[Any]:
    params = list(dependant.query_params)
    for sub in dependant.dependencies:
        params += _all_query_params(sub)
    return params
