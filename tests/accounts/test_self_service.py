"""The enterprise files and follows its own appeals: only the fields it may set, Idempotency-Key, a daily
limit, the promise shown at submission, and a timeline without internal notes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.accounts.quota import DAILY_APPEAL_LIMIT, seconds_until_next_day
from app.appeals.models import Appeal
from tests.accounts.helpers import enterprise_appeal
from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE, appeal_body, assert_problem

PROMISES = {"red": "24小时内响应、3个工作日内办结", "yellow": "24小时内响应、10个工作日内办结",
            "green": "2个工作日内响应、20个工作日内办结"}


@pytest.fixture
def a1(enterprise_user):  # type: ignore[no-untyped-def]
    return enterprise_user("o-a1", XIXI_ENTERPRISE)


@pytest.fixture
def b1(enterprise_user):  # type: ignore[no-untyped-def]
    return enterprise_user("o-b1", HUSHU_ENTERPRISE)


class TestFiling:
    def test_files_for_its_own_enterprise(self, client, a1):
        r = client.post("/api/v1/appeals", json=enterprise_appeal(), headers=a1)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["enterprise_uscc"] == XIXI_ENTERPRISE and body["source"] == "mini_program"
        assert body["status"] == "submitted" and body["unit_code"] == "330106012"
        assert body["promise"] == PROMISES[body["urgency"]]
        assert body["deadlines"]["respond_by"] and body["deadlines"]["resolve_by"]

    @pytest.mark.parametrize("urgency_facts, urgency", [
        ({"production_halted": True}, "red"), ({"employees_affected": 50}, "yellow"), ({}, "green"),
    ])
    def test_promise_follows_the_policy_of_its_urgency(self, client, keys, urgency_facts, urgency):
        body = client.post("/api/v1/appeals", json=appeal_body(KANGQIAO_ENTERPRISE, impact=urgency_facts),
                           headers=keys["city"]).json()
        assert body["urgency"] == urgency and body["promise"] == PROMISES[urgency]

    @pytest.mark.parametrize("field, value", [
        ("status", "closed"), ("urgency", "green"), ("urgency_reasons", ["自定"]), ("unit_code", "330100"),
        ("unit", "330100"), ("number", "ZQ2026-999999"), ("deadlines", {"resolve_by": "2030-01-01T00:00:00+08:00"}),
        ("respond_by", "2030-01-01T00:00:00+08:00"), ("resolve_by", "2030-01-01T00:00:00+08:00"),
        ("tier", "city"), ("sla_state", "on_track"), ("version", 9), ("id", 1), ("enterprise_id", 2),
        ("enterprise_uscc", HUSHU_ENTERPRISE), ("supervised", True), ("liaison_user_id", 1), ("promise", "1小时办结"),
    ])
    def test_mass_assignment_is_422(self, client, a1, session, field, value):
        r = client.post("/api/v1/appeals", json=enterprise_appeal(**{field: value}), headers=a1)
        assert_problem(r, 422, field=field)
        assert session.exec(select(Appeal)).all() == []

    def test_idempotency_key_per_user(self, client, a1, enterprise_user):
        a2 = enterprise_user("o-a2", XIXI_ENTERPRISE)
        first = client.post("/api/v1/appeals", json=enterprise_appeal(), headers={**a1, "Idempotency-Key": "k1"})
        again = client.post("/api/v1/appeals", json=enterprise_appeal(), headers={**a1, "Idempotency-Key": "k1"})
        assert first.status_code == again.status_code == 201 and first.json() == again.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert_problem(client.post("/api/v1/appeals", json=enterprise_appeal(title="另一件事"),
                                   headers={**a1, "Idempotency-Key": "k1"}), 422, field="Idempotency-Key")
        colleague = client.post("/api/v1/appeals", json=enterprise_appeal(), headers={**a2, "Idempotency-Key": "k1"})
        assert colleague.status_code == 201 and colleague.json()["id"] != first.json()["id"]

    def test_lists_and_reads_only_its_own(self, client, a1, b1, keys):
        mine = client.post("/api/v1/appeals", json=enterprise_appeal(), headers=a1).json()
        theirs = client.post("/api/v1/appeals", json=enterprise_appeal(), headers=b1).json()
        staff_filed = client.post("/api/v1/appeals", json=appeal_body(HUSHU_ENTERPRISE), headers=keys["city"]).json()
        listed = client.get("/api/v1/appeals", headers=a1).json()["items"]
        assert [a["id"] for a in listed] == [mine["id"]]
        assert all(a["enterprise_uscc"] == XIXI_ENTERPRISE for a in listed)
        assert client.get("/api/v1/appeals", params={"enterprise": HUSHU_ENTERPRISE}, headers=a1).json()["items"] == []
        for other in (theirs, staff_filed):
            assert_problem(client.get(f"/api/v1/appeals/{other['id']}", headers=a1), 404)
            assert_problem(client.get(f"/api/v1/appeals/{other['id']}/events", headers=a1), 404)
        assert_problem(client.get(f"/api/v1/enterprises/{HUSHU_ENTERPRISE}", headers=a1), 404)
        own = client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", headers=a1).json()
        assert own["contact_mobile"].count("*") == 4

    def test_timeline_hides_internal_notes(self, client, a1, keys, session, clock):
        from app.appeals import events

        filed = client.post("/api/v1/appeals", json=enterprise_appeal(), headers=a1).json()
        appeal = session.get(Appeal, filed["id"])
        events.record_event(session, appeal, "progress", now=clock.now, note="内部：需协调住建局", public=False)
        events.record_event(session, appeal, "progress", now=clock.now, note="已联系市政部门现场查看")
        session.commit()
        seen = client.get(f"/api/v1/appeals/{filed['id']}/events", headers=a1).json()["items"]
        assert [e["note"] for e in seen][1:] == ["已联系市政部门现场查看"] and all(e["public"] for e in seen)
        staff = client.get(f"/api/v1/appeals/{filed['id']}/events", headers=keys["xixi_liaison"]).json()["items"]
        assert len(staff) == 3


class TestDailyLimit:
    def test_twenty_a_day_then_429_until_shanghai_midnight(self, client, enterprise_user, keys, clock):
        clock.set(datetime(2026, 3, 2, 14, 30, tzinfo=UTC))  # 22:30 in Shanghai
        a1 = enterprise_user("o-a1", XIXI_ENTERPRISE)
        for n in range(DAILY_APPEAL_LIMIT):
            r = client.post("/api/v1/appeals", json=enterprise_appeal(), headers={**a1, "Idempotency-Key": f"n{n}"})
            assert r.status_code == 201, r.text
        r = client.post("/api/v1/appeals", json=enterprise_appeal(), headers=a1)
        body = assert_problem(r, 429, code="rate_limited")
        assert r.headers["retry-after"] == "5400" and "20" in body["detail"]
        replay = client.post("/api/v1/appeals", json=enterprise_appeal(), headers={**a1, "Idempotency-Key": "n0"})
        assert replay.status_code == 201  # a replay creates nothing, so it is not limited
        colleague = enterprise_user("o-a2", XIXI_ENTERPRISE)
        assert client.post("/api/v1/appeals", json=enterprise_appeal(), headers=colleague).status_code == 201
        assert client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"]).status_code == 201
        clock.advance(hours=1.5)  # 00:00 in Shanghai: a new day
        assert client.post("/api/v1/appeals", json=enterprise_appeal(), headers=a1).status_code == 201

    def test_refused_intake_does_not_count(self, client, a1):
        for _ in range(DAILY_APPEAL_LIMIT + 2):
            assert_problem(client.post("/api/v1/appeals", json=enterprise_appeal(attachment_ids=[424242]), headers=a1),
                           422)
        assert client.post("/api/v1/appeals", json=enterprise_appeal(), headers=a1).status_code == 201

    @pytest.mark.parametrize("now, seconds", [
        (datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC), 1), (datetime(2026, 3, 2, 16, 0, tzinfo=UTC), 86400),
        (datetime(2026, 3, 2, 4, 0, 0, 500000, tzinfo=UTC), 43200),
    ])
    def test_retry_after(self, now, seconds):
        assert seconds_until_next_day(now) == seconds
