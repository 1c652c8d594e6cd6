"""Logs an operations team can ship: one JSON object per line in prod (`ZHUQI_LOG_FORMAT=json|text`), each with
the request's id, method, route template and principal, and nothing a log must not hold.

Every record of every logger (ours, uvicorn's, SQLAlchemy's, httpx's) goes through one root handler, so the
redaction below is applied once, in one place, to the formatted message and to the traceback: bearer tokens and
`zq_` keys, vendor secrets in URLs, 11-digit mobiles, SQLAlchemy's `[parameters: …]` and PostgreSQL's
`Key (…)=(…)` details (what a user typed) never reach a line.
"""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

_HANDLER_NAME = "zhuqi"
# One mutable dict per request: the auth dependency adds the principal to it even when it runs in the thread pool
# (a ContextVar.set there would not be seen by the middleware; a mutation of the shared dict is).
_request: ContextVar[dict[str, Any] | None] = ContextVar("zhuqi_request", default=None)

CONTEXT_FIELDS = ("request_id", "method", "route", "status", "duration_ms", "role", "unit")

_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(authorization['\"]?\s*[:=,]\s*['\"]?)(?:bearer\s+)?[^\s'\",;)}\]]+"), r"\1[redacted]"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[redacted]"),
    (re.compile(r"zq_[A-Za-z0-9_-]+"), "zq_[redacted]"),
    (re.compile(r"(?i)\b((?:access_token|appsecret|app_secret|secret|js_code|code|sign|signature|password|token)=)"
                r"[^&\s'\"]+"), r"\1[redacted]"),
    (re.compile(r"\[parameters: .*?\](?=\n|$)", re.S), "[parameters: redacted]"),
    (re.compile(r"(Key \([^)\n]*\)=\().*?(\) (?:already exists|is not present|conflicts))"), r"\1[redacted]\2"),
    (re.compile(r"(?<!\d)1\d{10}(?!\d)"), "1**********"),
)


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def bind_request(scope: dict[str, Any], request_id: str) -> dict[str, Any]:
    """Called by the request middleware; the context is not reset afterwards on purpose: the server's outer error
    handler logs in the same task after the middleware returns, and each request runs in a task of its own."""
    context: dict[str, Any] = {"request_id": request_id, "method": scope.get("method"), "_scope": scope}
    _request.set(context)
    return context


def bind_principal(role: str, unit_code: str | None) -> None:
    context = _request.get()
    if context is not None:
        context["role"], context["unit"] = str(role), unit_code


def route_template(scope: dict[str, Any]) -> str:
    """The route's path template (`/api/v1/appeals/{appeal_id}`), never the raw path: unknown paths are one label."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    mount = scope.get("root_path", "") or ""
    if mount and scope.get("endpoint") is not None:  # a mounted static directory
        return mount + "/{path}"
    return "<unmatched>"


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _request.get()
        if context is not None:
            for field in CONTEXT_FIELDS:
                if getattr(record, field, None) is None:
                    if field == "route":
                        value = route_template(context["_scope"])
                        value = None if value == "<unmatched>" and "status" not in context else value
                    else:
                        value = context.get(field)
                    if value is not None:
                        setattr(record, field, value)
        return True


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None  # formatters would format the raw exception again
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _JsonFormatter(JsonFormatter):
    def add_fields(self, log_record: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_record, record, message_dict)
        fields = dict(log_record)
        log_record.clear()  # time first, as a reader scans a line
        log_record["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        log_record.update(fields)
        log_record.pop("color_message", None)  # uvicorn's ANSI-coloured copy of the message
        for key in [k for k, v in log_record.items() if v is None]:
            del log_record[key]


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{f}={getattr(record, f)}" for f in ("request_id", "role", "unit")
                           if getattr(record, f, None) is not None)
        return f"{line} [{context}]" if context and "\n" not in line else line


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__(stream)
        self._fixed = stream is not None

    def emit(self, record: logging.LogRecord) -> None:
        if not self._fixed:
            self.stream = sys.stderr
        super().emit(record)


def configure_logging(log_format: str = "text", *, level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """Idempotent: replaces our handler and the plain stderr handlers of logging.basicConfig, keeps any other
    (a test's capture). uvicorn's loggers are sent to the root; its access log is replaced by ours (one line
    per request with the route template and the principal)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME or (
                type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, sys.stdout)):
            root.removeHandler(handler)
    handler = _StderrHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(_ContextFilter())
    handler.addFilter(_RedactFilter())
    if log_format == "json":
        handler.setFormatter(_JsonFormatter("{levelname}{name}{message}", style="{", json_ensure_ascii=False,
                                            rename_fields={"levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    access.disabled = True
