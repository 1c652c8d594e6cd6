"""/metrics' business series (DESIGN §13) are read from the database at scrape time: open appeals by tier and SLA
state, the outbox backlog and its oldest age per channel, and how far the dispatcher and the sweeper lag."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from tests.notifications.conftest import dispatch, file_appeal, make_channel


def _samples(client, headers=None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:  # type: ignore[no-untyped-def]
    r = client.get("/metrics", headers=headers or {})
    assert r.status_code == 200, r.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def test_business_series_follow_the_database(client, keys, db, settings, clock, robot_client):
    channel = make_channel(client, keys)
    file_appeal(client, keys)
    clock.advance(seconds=120)
    samples = _samples(client)
    assert samples[("zhuqi_open_appeals", (("sla_state", "on_track"), ("tier", "street")))] == 1
    per_channel = (("channel_id", str(channel["id"])), ("kind", "dingtalk"))
    assert samples[("zhuqi_outbox_backlog", per_channel)] == 1
    assert samples[("zhuqi_outbox_oldest_age_seconds", per_channel)] == 120
    assert samples[("zhuqi_dispatcher_lag_seconds", ())] == 120
    assert samples[("zhuqi_sweeper_lag_seconds", ())] == 0

    dispatch(db, settings, clock, robot_client)
    clock.advance(days=10)  # every deadline of the appeal has passed and no sweeper ran
    samples = _samples(client)
    assert ("zhuqi_outbox_backlog", per_channel) not in samples and samples[("zhuqi_dispatcher_lag_seconds", ())] == 0
    assert samples[("zhuqi_sweeper_lag_seconds", ())] > 86400
    assert samples[("zhuqi_notifications_sent_total", (("kind", "dingtalk"),))] >= 1  # kept from the old registry


def test_metrics_token_is_required_when_set(db, settings, clock):
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(settings.model_copy(update={"metrics_token": SecretStr("scrape-me-" + "s" * 20)}), engine=db,
                     clock=clock)
    with TestClient(app) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2NyYXBlLW1l"}):
            r = client.get("/metrics", headers=headers)
            assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
            assert r.headers["www-authenticate"] == "Bearer"
        assert "zhuqi_http_requests_total" in client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-me-" + "s" * 20}).text


def test_prod_refuses_to_start_without_a_metrics_token():
    import pytest
    from pydantic import ValidationError

    from app.config import Settings

    with pytest.raises(ValidationError, match="ZHUQI_METRICS_TOKEN must be set in prod"):
        Settings(env="prod", secret_key="s" * 40)
    Settings(env="prod", secret_key="s" * 40, metrics_token="m" * 32)
