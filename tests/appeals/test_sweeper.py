"""The SLA sweeper: reminders once, escalation street → district → city, supervision, auto-close, ping-pong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from app.appeals.models import Appeal, AppealEvent, AppealStep
from app.appeals.sweeper import sweep
from tests.helpers import appeal_body, assert_problem


def _file(client, keys, **overrides):
    r = client.post("/api/v1/appeals", json=appeal_body(**overrides), headers=keys["city"])
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _events(engine, appeal_id):
    with Session(engine) as s:
        return [(e.type, e.note) for e in s.exec(select(AppealEvent).where(AppealEvent.appeal_id == appeal_id)
                                                 .order_by(AppealEvent.id)).all()]


def _sweep_at(engine, when):
    with Session(engine) as s:
        return sweep(s, now=when)


def _get(engine, appeal_id) -> Appeal:
    with Session(engine) as s:
        return s.get(Appeal, appeal_id)


def test_reminders_fire_once_each(client, keys, clock, engine):
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Mon 09:00 Shanghai; respond by Tue 09:00
    aid = _file(client, keys)
    assert _sweep_at(engine, clock.now + timedelta(hours=11)) == 0
    assert _sweep_at(engine, clock.now + timedelta(hours=12)) == 1  # 50%
    assert _sweep_at(engine, clock.now + timedelta(hours=13)) == 0  # nothing twice
    assert _sweep_at(engine, clock.now + timedelta(hours=19, minutes=12)) == 1  # 80%
    assert _sweep_at(engine, clock.now + timedelta(hours=20)) == 0
    reminders = [e for e in _events(engine, aid) if e[0] == "reminder"]
    assert [n for _, n in reminders] == ["签收时限已过50%，请尽快办理", "签收时限已过80%，请尽快办理"]
    assert _get(engine, aid).sla_state == "due_soon"


def test_climbs_street_district_city_then_supervised(client, keys, clock, engine):
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    aid = _file(client, keys)
    t = clock.now
    for expected_unit in ("330106", "330100"):
        t = _get(engine, aid).respond_by + timedelta(seconds=1)
        _sweep_at(engine, t)
        assert _get(engine, aid).unit_id is not None
        a = client.get(f"/api/v1/appeals/{aid}", headers=keys["city"]).json()
        assert a["unit_code"] == expected_unit and a["status"] == "submitted"
    # At the city: no higher tier; not signed in time → 督办, then a reminder every morning.
    t = _get(engine, aid).respond_by + timedelta(seconds=1)
    _sweep_at(engine, t)
    a = _get(engine, aid)
    assert a.supervised and a.tier == "city" and a.escalations == 2
    next_morning = datetime.combine((t + timedelta(hours=8)).date() + timedelta(days=1),
                                    datetime.min.time(), tzinfo=UTC) + timedelta(hours=1)  # 09:00 Shanghai
    assert _sweep_at(engine, next_morning) >= 1
    assert _sweep_at(engine, next_morning + timedelta(hours=1)) == 0
    types = [t for t, _ in _events(engine, aid)]
    assert types.count("escalated") == 2 and types.count("supervised") == 1
    assert types[-1] == "reminder"


def test_resolve_overdue_goes_red_and_up_one_tier(client, keys, clock, engine):
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    aid = _file(client, keys, impact={"employees_affected": 5})
    assert client.post(f"/api/v1/appeals/{aid}/actions/sign", headers=keys["xixi_liaison"]).status_code == 200
    resolve_by = _get(engine, aid).resolve_by
    _sweep_at(engine, resolve_by + timedelta(seconds=1))
    a = _get(engine, aid)
    assert a.urgency == "red" and a.tier == "district" and a.status == "submitted"
    assert a.sla_state == "overdue"
    assert a.resolve_by == resolve_by  # the enterprise's deadline is not reset
    types = [t for t, _ in _events(engine, aid)]
    assert "overdue" in types and types[-1] == "escalated"


def test_auto_close_after_rating_window(client, keys, clock, engine):
    aid = _file(client, keys)
    client.post(f"/api/v1/appeals/{aid}/actions/sign", headers=keys["xixi_liaison"])
    client.post(f"/api/v1/appeals/{aid}/actions/resolve", json={"resolution_code": "已解释答复",
                "public_reply": "已向企业解释政策"}, headers=keys["xixi_liaison"])
    _sweep_at(engine, clock.now + timedelta(days=6))
    assert _get(engine, aid).status == "resolved"
    _sweep_at(engine, clock.now + timedelta(days=7, seconds=1))
    assert _get(engine, aid).status == "closed"


def test_three_returns_go_up_a_tier(client, keys, clock, engine):
    aid = _file(client, keys)
    for i in range(3):
        r = client.post(f"/api/v1/appeals/{aid}/actions/return", json={"reason": f"非本街道职责 {i}"},
                        headers=keys["xixi_liaison"])
        assert r.status_code == 200, r.text
        if i < 2:
            assert r.json()["status"] == "returned"
            # the district admin re-routes it back to the street
            rr = client.post(f"/api/v1/appeals/{aid}/actions/reroute", json={"target_unit_code": "330106012"},
                             headers=keys["xihu"])
            assert rr.status_code == 200, rr.text
    a = r.json()
    assert a["status"] == "submitted" and a["unit_code"] == "330106" and a["counters"]["returns"] == 3
    assert [t for t, _ in _events(engine, aid)][-2:] == ["returned", "escalated"]


def test_if_match_and_409_body(client, keys):
    aid = _file(client, keys)
    r = client.post(f"/api/v1/appeals/{aid}/actions/sign", headers={**keys["xixi_liaison"], "If-Match": '"7"'})
    assert_problem(r, 412)
    r = client.post(f"/api/v1/appeals/{aid}/actions/sign", headers={**keys["xixi_liaison"], "If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    r = client.post(f"/api/v1/appeals/{aid}/actions/sign", headers=keys["xixi_liaison"])
    body = assert_problem(r, 409, code="invalid_transition")
    assert body["current_status"] == "in_progress"
    assert {"progress", "resolve", "request_info"} <= set(body["allowed_actions"])
    assert "sign" not in body["allowed_actions"]
    r = client.post(f"/api/v1/appeals/{aid}/actions/resolve", json={"public_reply": "好了"},
                    headers=keys["xixi_liaison"])
    assert_problem(r, 422, field="resolution_code")
    r = client.post(f"/api/v1/appeals/{aid}/actions/fly", headers=keys["xixi_liaison"])
    assert_problem(r, 422, field="action")


def test_steps_are_unique_per_appeal(client, keys, clock, engine):
    aid = _file(client, keys)
    _sweep_at(engine, clock.now + timedelta(hours=12))
    with Session(engine) as s:
        keys_done = s.exec(select(AppealStep.key).where(AppealStep.appeal_id == aid)).all()
    assert len(keys_done) == len(set(keys_done)) == 1
