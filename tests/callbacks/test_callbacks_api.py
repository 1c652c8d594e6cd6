"""Phone callbacks (回访): a task per resolution for the district's callers, up to three tries on working days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from app.appeals.models import Appeal
from app.auth.service import authenticate_api_key
from app.callbacks import service
from app.callbacks.models import CallbackTask
from app.problems.service import resolve_linked_appeal
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body, assert_problem


def _resolve(session: Session, keys, appeal_id: int, now: datetime) -> None:  # type: ignore[no-untyped-def]
    principal = authenticate_api_key(session, keys["city"]["Authorization"].split()[1])
    appeal = session.exec(select(Appeal).where(Appeal.id == appeal_id)).one()
    assert resolve_linked_appeal(session, principal, appeal, resolution_code="已解决", public_reply="已协调解决。",
                                 now=now)
    session.commit()


@pytest.fixture
def resolved(client, keys, city, clock):  # type: ignore[no-untyped-def]
    """Two appeals resolved on Monday 2026-03-02: one of 湖墅街道 (拱墅区), one of 西溪街道 (西湖区)."""
    ids = {}
    for name, uscc in (("hushu", HUSHU_ENTERPRISE), ("xixi", XIXI_ENTERPRISE)):
        response = client.post("/api/v1/appeals", json=appeal_body(uscc), headers=keys["city"])
        ids[name] = response.json()["id"]
        _resolve(city, keys, ids[name], clock.now)
    tasks = {t.appeal_id: t.id for t in city.exec(select(CallbackTask)).all()}
    city.commit()
    return {name: {"appeal_id": appeal_id, "task_id": tasks[appeal_id]} for name, appeal_id in ids.items()}


def outcome(client, key, task_id, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/callback-tasks/{task_id}/outcome", json=body, headers=key)


def test_the_district_lists_its_tasks_with_the_number_to_call(client, keys, resolved):
    items = client.get("/api/v1/callback-tasks", headers=keys["gongshu"]).json()["items"]
    assert [i["appeal_id"] for i in items] == [resolved["hushu"]["appeal_id"]]
    task = items[0]
    assert (task["unit_code"], task["status"], task["attempts"], task["max_attempts"]) == ("330105", "pending", 0, 3)
    assert task["next_try_on"] == "2026-03-03"  # the working day after the resolution
    assert (task["enterprise_name"], task["contact_name"], task["contact_mobile"]) == (
        "杭州湖墅精密机械有限公司", "周敏", "13912340002")
    city_view = client.get("/api/v1/callback-tasks", headers=keys["city"]).json()["items"]
    assert len(city_view) == 2 and all("****" in i["contact_mobile"] for i in city_view)
    assert [i["appeal_id"] for i in client.get("/api/v1/callback-tasks", headers=keys["xihu"]).json()["items"]] == [
        resolved["xixi"]["appeal_id"]]
    assert client.get("/api/v1/callback-tasks", headers=keys["hushu_admin"]).json()["items"] == []
    assert_problem(client.get(f"/api/v1/callback-tasks/{resolved['hushu']['task_id']}", headers=keys["hushu_admin"]),
                   404)
    due = client.get("/api/v1/callback-tasks", params={"due_by": "2026-03-02"}, headers=keys["city"]).json()
    assert due["items"] == []


def test_not_reached_three_times_on_working_days(client, keys, resolved, clock):
    task_id = resolved["hushu"]["task_id"]
    clock.set(datetime(2026, 3, 3, 2, 0, tzinfo=UTC))  # Tuesday
    first = outcome(client, keys["gongshu"], task_id, outcome="not_reached", comment="无人接听").json()
    assert (first["status"], first["attempts"], first["next_try_on"]) == ("pending", 1, "2026-03-04")
    clock.set(datetime(2026, 3, 6, 2, 0, tzinfo=UTC))  # Friday: the next try is Monday
    second = outcome(client, keys["gongshu"], task_id, outcome="not_reached").json()
    assert (second["attempts"], second["next_try_on"], second["comment"]) == (2, "2026-03-09", "无人接听")
    third = outcome(client, keys["gongshu"], task_id, outcome="not_reached").json()
    assert (third["status"], third["attempts"], third["next_try_on"]) == ("not_reached", 3, None)
    assert_problem(outcome(client, keys["gongshu"], task_id, outcome="not_reached"), 409)
    events = client.get(f"/api/v1/appeals/{resolved['hushu']['appeal_id']}/events", headers=keys["city"]).json()
    notes = [e["note"] for e in events["items"] if e["type"] == "callback"]
    assert notes == ["电话回访（第1次）：未接通，2026-03-04 再次回访。无人接听", "电话回访（第2次）：未接通，2026-03-09 再次回访。",
                     "电话回访（第3次）：未接通，已达 3 次，回访结束。"]
    assert all(not e["public"] for e in events["items"] if e["type"] == "callback")


def test_satisfied_rates_and_closes_the_appeal(client, keys, resolved):
    body = outcome(client, keys["xihu"], resolved["xixi"]["task_id"], outcome="reached", rating="satisfied",
                   comment="企业对办理结果满意").json()
    assert (body["status"], body["rating"], body["attempts"], body["needs_redo"]) == ("reached", "satisfied", 1, False)
    appeal = client.get(f"/api/v1/appeals/{resolved['xixi']['appeal_id']}", headers=keys["city"]).json()
    assert (appeal["status"], appeal["rating"]) == ("closed", "satisfied")
    types = [e["type"] for e in client.get(f"/api/v1/appeals/{resolved['xixi']['appeal_id']}/events",
                                           headers=keys["city"]).json()["items"]]
    assert types[-2:] == ["callback", "rated"]
    summary = client.get("/api/v1/stats/summary", headers=keys["city"]).json()
    assert (summary["collected"], summary["resolved"], summary["satisfaction_rate"]) == (2, 2, 1.0)


def test_dissatisfied_reopens_as_redo_like_the_in_app_rating(client, keys, resolved):
    body = outcome(client, keys["gongshu"], resolved["hushu"]["task_id"], outcome="reached", rating="dissatisfied",
                   comment="指标只解决了一半").json()
    assert (body["status"], body["rating"], body["needs_redo"]) == ("reached", "dissatisfied", True)
    appeal = client.get(f"/api/v1/appeals/{resolved['hushu']['appeal_id']}", headers=keys["city"]).json()
    assert (appeal["status"], appeal["urgency"], appeal["counters"]["reopens"]) == ("in_progress", "red", 1)
    events = client.get(f"/api/v1/appeals/{appeal['id']}/events", headers=keys["city"]).json()["items"]
    assert [e["type"] for e in events][-2:] == ["callback", "reopened"] and events[-1]["via"] == "callback"


def test_refused(client, keys, resolved):
    body = outcome(client, keys["gongshu"], resolved["hushu"]["task_id"], outcome="refused").json()
    assert (body["status"], body["next_try_on"], body["rating"]) == ("refused", None, None)


def test_in_app_rating_first_closes_the_task(client, keys, resolved, city):
    appeal = city.exec(select(Appeal).where(Appeal.id == resolved["hushu"]["appeal_id"])).one()
    appeal.rating, appeal.status = "satisfied", "closed"
    city.add(appeal)
    city.commit()
    response = outcome(client, keys["gongshu"], resolved["hushu"]["task_id"], outcome="reached", rating="satisfied")
    assert_problem(response, 409)
    task = client.get(f"/api/v1/callback-tasks/{resolved['hushu']['task_id']}", headers=keys["gongshu"]).json()
    assert (task["status"], task["closed_reason"], task["attempts"]) == ("closed", "企业已在线评价", 0)


@pytest.mark.parametrize(("body", "field"), [
    ({"outcome": "reached"}, "body"),
    ({"outcome": "not_reached", "rating": "satisfied"}, "body"),
    ({"outcome": "reached", "rating": "ok"}, "body.rating"),
    ({"outcome": "maybe"}, "body.outcome"),
    ({"outcome": "refused", "caller": "x"}, "body.caller"),
])
def test_bad_outcomes_are_422(client, keys, resolved, body, field):
    assert_problem(outcome(client, keys["gongshu"], resolved["hushu"]["task_id"], **body), 422, field=field)


def test_hooks_for_the_workflow(city, keys, resolved, clock):
    appeal = city.exec(select(Appeal).where(Appeal.id == resolved["xixi"]["appeal_id"])).one()
    again = service.create_callback_task_for(city, appeal, now=clock.now)
    assert again.id == resolved["xixi"]["task_id"]  # once per resolution
    appeal.reopens = 1  # a redo that is resolved again owes a new callback
    redo_task = service.create_callback_task_for(city, appeal, now=clock.now)
    assert redo_task.id != again.id and redo_task.round == 1
    assert service.close_callback_task_for(city, appeal, reason="企业已在线评价", now=clock.now) == 2
    city.commit()
    statuses = {t.status for t in city.exec(select(CallbackTask).where(CallbackTask.appeal_id == appeal.id)).all()}
    city.commit()
    assert statuses == {"closed"}
