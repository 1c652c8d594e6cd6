"""Answers every API route may give besides its own are in the contract (issue 14): 503 (`overloaded`: the
connection pool is exhausted; `service_unavailable`: the database is down) with Retry-After on every /api/v1
operation, and 409 `idempotency_in_progress` with Retry-After exactly where an Idempotency-Key is taken."""

from __future__ import annotations

import pytest

from app.errors import IDEMPOTENCY_IN_PROGRESS

pytestmark = pytest.mark.db


def _operations(spec):  # type: ignore[no-untyped-def]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/"):
                yield f"{method.upper()} {path}", operation


def _takes_idempotency_key(operation) -> bool:  # type: ignore[no-untyped-def]
    return any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters", ()))


def test_every_api_operation_documents_503_with_retry_after(app):
    missing = [name for name, op in _operations(app.openapi())
               if "Retry-After" not in op["responses"].get("503", {}).get("headers", {})
               and not name.startswith("POST /api/v1/callbacks/dingtalk")]  # its own 503: an unset callback secret
    assert missing == []


def test_409_idempotency_in_progress_is_documented_where_an_idempotency_key_is_taken(app):
    documented = {name for name, op in _operations(app.openapi())
                  if IDEMPOTENCY_IN_PROGRESS in op["responses"].get("409", {}).get("description", "")}
    taking = {name for name, op in _operations(app.openapi()) if _takes_idempotency_key(op)}
    assert documented == taking and "POST /api/v1/appeals" in taking and len(taking) >= 4
    for name, op in _operations(app.openapi()):
        if name in taking:
            conflict = op["responses"]["409"]
            assert "Retry-After" in conflict["headers"]
            assert conflict["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    policy_push = app.openapi()["paths"]["/api/v1/policies/{policy_id}/push"]["post"]["responses"]["409"]
    assert policy_push["description"].startswith("状态冲突 Conflict / illegal transition")  # its own 409 kept
