"""Health, readiness, metrics, the OpenAPI contract and the schema/migration agreement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_calendar_truthfully(client, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    body = client.get("/readyz").json()
    assert body["database"] == "ok" and body["migrations"] == "head"
    assert body["calendar"] == "degraded" and body["calendar_missing_years"] == [2027]
    clock.set(datetime(2025, 6, 1, 2, 0, tzinfo=UTC))
    assert client.get("/readyz").json()["calendar"] == "ok"


def test_metrics_is_prometheus_text(client):
    client.get("/api/v1/nowhere")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    # Unknown paths share one label (a scanner cannot grow the series without bound); never the raw path.
    assert 'zhuqi_http_requests_total{method="GET",route="<unmatched>",status="404"}' in r.text
    assert "/api/v1/nowhere" not in r.text


def test_request_id_echoed(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abcdef123456"})
    assert r.headers["x-request-id"] == "abcdef123456"


def test_openapi_contract_matches_committed_file(app):
    committed = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    assert app.openapi() == committed, "openapi/openapi.json is stale: run `zhuqi export-openapi`"


def test_every_route_has_operation_id_response_model_and_example(app):
    spec = app.openapi()
    operation_ids = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            operation_ids.append(op["operationId"])
            ok = op["responses"].get("200") or op["responses"].get("201")
            assert ok and ok.get("content"), f"{method} {path} has no success response schema"
    assert len(operation_ids) == len(set(operation_ids))
    schemas = spec["components"]["schemas"]
    for name in ("AppealCreate", "AppealRead", "UnitCreate", "EnterpriseCreate", "UserCreate"):
        assert schemas[name].get("examples"), f"{name} has no example"


def test_models_and_migrations_agree(engine):
    import app.models  # noqa: F401

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == [], diff


@pytest.mark.parametrize("env, secret, ok", [("dev", None, True), ("prod", None, False), ("prod", "s" * 40, True)])
def test_prod_refuses_default_secrets(env, secret, ok):
    from pydantic import ValidationError

    from app.config import Settings

    kwargs = {"env": env} | ({"secret_key": secret, "metrics_token": "m" * 32} if secret else {})
    if ok:
        Settings(**kwargs)
    else:
        with pytest.raises(ValidationError):
            Settings(**kwargs)
