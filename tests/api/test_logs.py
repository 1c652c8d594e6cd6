"""Prod logs (DESIGN §13): every line one JSON object with the request's fields; no token, secret, mobile or SQL
parameter in any line of a run that goes through 401, 404, 422 and a 500 whose exception carries SQL parameters."""

from __future__ import annotations

import json
import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from app.config import Env
from app.core.logging import configure_logging, redact
from tests.helpers import XIXI_ENTERPRISE

MOBILE = "13912345678"
FAKE_KEY = "zq_notarealkey0123456789abcdef"
METRICS_TOKEN = "metrics-token-" + "t" * 24
SECRET = "prod-secret-key-" + "k" * 32


@pytest.fixture
def prod_client(db, settings, clock):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from app.main import create_app

    prod = settings.model_copy(update={"env": Env.prod, "log_format": None, "secret_key": SecretStr(SECRET),
                                       "metrics_token": SecretStr(METRICS_TOKEN)})
    app = create_app(prod, engine=db, clock=clock)

    @app.get("/boom-for-test", include_in_schema=False)
    def boom() -> None:
        # What a failing INSERT raises: its text carries the statement, the parameters and PostgreSQL's DETAIL.
        raise sa.exc.IntegrityError(
            "INSERT INTO enterprise (uscc, contact_mobile) VALUES (%(uscc)s, %(contact_mobile)s)",
            {"uscc": XIXI_ENTERPRISE, "contact_mobile": MOBILE},
            Exception(f"duplicate key value violates unique constraint\nDETAIL:  Key (uscc)=({XIXI_ENTERPRISE}) "
                      "already exists."),
        )

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    configure_logging("text")  # back to the test suite's format


def test_prod_log_lines_are_json_and_hold_nothing_secret(prod_client, keys, capsys):
    capsys.readouterr()
    city = keys["city"]
    sent = [
        (prod_client.get("/api/v1/appeals", headers={"Authorization": f"Bearer {FAKE_KEY}"}), 401),
        (prod_client.get("/metrics"), 401),
        (prod_client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}), 200),
        (prod_client.get("/api/v1/appeals/999999", headers=city), 404),
        (prod_client.post("/api/v1/enterprises", headers=city,
                          json={"uscc": "123", "name": "测试", "street_code": "330106012", "address": "x",
                                "contact_name": "张三", "contact_mobile": MOBILE, "tags": []}), 422),
        (prod_client.get(f"/api/v1/appeals?text={MOBILE}", headers=city), 200),
        (prod_client.get("/boom-for-test", headers={"Authorization": f"Bearer {FAKE_KEY}"}), 500),
    ]
    assert [r.status_code for r, _ in sent] == [status for _, status in sent]
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line parses
    assert all(isinstance(r, dict) and {"time", "level", "logger", "message"} <= r.keys() for r in records)

    for needle in (MOBILE, FAKE_KEY, METRICS_TOKEN, SECRET, city["Authorization"].split()[1], XIXI_ENTERPRISE):
        assert needle not in err, needle
    assert "[parameters: redacted]" in err

    access = [r for r in records if r["logger"] == "app.access"]
    assert len(access) == len(sent)
    by_status = {r["status"]: r for r in access}
    assert by_status[404]["route"] == "/api/v1/appeals/{appeal_id}" and by_status[404]["method"] == "GET"
    assert by_status[404]["role"] == "city_admin" and by_status[404]["unit"] == "330100"
    assert all(isinstance(r["duration_ms"], float) and len(r["request_id"]) == 32 for r in access)
    failure = [r for r in records if r["level"] == "ERROR"]
    assert failure and failure[0]["request_id"] == by_status[500]["request_id"] and "exc_info" in failure[0]


def test_text_format_outside_prod(client, capsys):
    capsys.readouterr()
    client.get("/healthz")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "INFO app.access: GET /healthz 200" in line


@pytest.mark.parametrize("raw, hidden", [
    ("Authorization: Bearer abc.def-123", "abc.def-123"),
    ("{'authorization': 'Bearer eyJhbGciOi'}", "eyJhbGciOi"),
    ("key zq_AbC123_-xyz used", "AbC123_-xyz"),
    ("GET https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=s3cr3t&js_code=0a1b", "s3cr3t"),
    ("GET https://api.weixin.qq.com/sns/jscode2session?appid=wx1&secret=s3cr3t&js_code=0a1b", "0a1b"),
    ("contact 13800138000 called", "13800138000"),
    ("[SQL: SELECT 1]\n[parameters: {'m': 'anything', 'n': [1, 2]}]\n(Background on this error)", "anything"),
    ("DETAIL:  Key (uscc)=(91330106MA2CF0001M) already exists.", "91330106MA2CF0001M"),
])
def test_redaction(raw, hidden):
    assert hidden not in redact(raw)


def test_redaction_keeps_ordinary_numbers():
    assert redact("appeal 12345 took 1500ms, id 2147483647") == "appeal 12345 took 1500ms, id 2147483647"
