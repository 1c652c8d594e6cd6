"""A whole appeal lifecycle through the API, with time injected: intake at a street → not signed in 24 h →
district → signed → request_info (clock paused over a weekend) → supplement → resolve → rate dissatisfied → redo
(red) → resolve → close."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from app.appeals.sweeper import sweep
from tests.helpers import appeal_body, assert_problem


def act(client, keys, who, appeal_id, action, **body):
    return client.post(f"/api/v1/appeals/{appeal_id}/actions/{action}", json=body, headers=keys[who])


def test_full_lifecycle(client, keys, clock, engine, city):
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Monday 09:00 Shanghai
    filed = client.post("/api/v1/appeals", json=appeal_body(impact={"employees_affected": 5}),
                        headers=keys["xixi_liaison"]).json()
    aid = filed["id"]
    assert filed["urgency"] == "yellow" and filed["unit_code"] == "330106012"
    assert filed["deadlines"]["respond_by"] == "2026-03-03T09:00:00+08:00"
    assert filed["deadlines"]["resolve_by"] == "2026-03-16T23:59:59+08:00"  # 10 working days

    # Nobody signs for 24 hours: the sweeper moves it to 西湖区.
    clock.set(datetime(2026, 3, 3, 1, 0, 1, tzinfo=UTC))
    with Session(engine) as s:
        assert sweep(s, now=clock.now) >= 1
    a = client.get(f"/api/v1/appeals/{aid}", headers=keys["xihu"]).json()
    assert a["unit_code"] == "330106" and a["tier"] == "district" and a["status"] == "submitted"
    assert a["deadlines"]["resolve_by"] == "2026-03-16T23:59:59+08:00"  # the enterprise's deadline stays
    assert a["deadlines"]["respond_by"] == "2026-03-04T09:00:01+08:00"
    assert a["counters"]["escalations"] == 1
    # The street can still see it, but can no longer sign for it.
    assert client.get(f"/api/v1/appeals/{aid}", headers=keys["xixi_liaison"]).status_code == 200
    assert_problem(act(client, keys, "xixi_liaison", aid, "sign"), 403)

    assert act(client, keys, "xihu", aid, "sign").json()["status"] == "in_progress"

    # Friday 17:00 → ask for information; the enterprise answers on Monday 09:00.
    clock.set(datetime(2026, 3, 6, 9, 0, tzinfo=UTC))
    r = act(client, keys, "xihu", aid, "request_info", note="请补充供电公司的受理回执")
    assert r.json()["status"] == "pending_info"
    clock.set(datetime(2026, 3, 9, 1, 0, tzinfo=UTC))
    r = act(client, keys, "xihu", aid, "supplement", note="已补充受理回执（代企业录入）")
    assert r.json()["status"] == "in_progress"
    # Paused Fri 17:00 → Mon 09:00 = 7 h + 9 h of working days → one working day later.
    assert r.json()["deadlines"]["resolve_by"] == "2026-03-17T23:59:59+08:00"

    r = act(client, keys, "xihu", aid, "resolve", resolution_code="已解决", public_reply="供电公司已完成增容方案。")
    assert r.json()["status"] == "resolved"
    assert r.json()["public_reply"] == "供电公司已完成增容方案。"

    # The enterprise is unhappy: redo, red, a fresh resolve window.
    from app.appeals import workflow
    from app.appeals.schemas import ActionIn
    from app.appeals.lifecycle import Action
    from app.auth.principal import Principal
    from app.enterprises.models import Enterprise

    with Session(engine) as s:
        ent = s.get(Enterprise, a["id"] and s.exec(__import__("sqlmodel").select(Enterprise.id).where(
            Enterprise.uscc == a["enterprise_uscc"])).one())
        enterprise = Principal(role="enterprise", label=ent.name, enterprise_id=ent.id, enterprise_user_id=1)
        appeal = workflow.perform_action(s, enterprise, aid, Action.rate, ActionIn(rating="dissatisfied",
                                         comment="还是没有送电"), now=clock.now)
        assert appeal.status == "in_progress" and appeal.urgency == "red" and appeal.reopens == 1
        assert "企业不满意重办" in appeal.urgency_reasons

    r = act(client, keys, "xihu", aid, "resolve", resolution_code="已解决", public_reply="已送电。")
    assert r.json()["status"] == "resolved"
    r = act(client, keys, "xihu", aid, "close", note="电话回访确认已送电")
    assert r.json()["status"] == "closed"

    events = client.get(f"/api/v1/appeals/{aid}/events", headers=keys["city"]).json()["items"]
    assert [e["type"] for e in events] == ["submitted", "escalated", "signed", "info_requested", "supplemented",
                                           "resolved", "reopened", "resolved", "closed"]
    escalated = events[1]
    assert escalated["from_unit_code"] == "330106012" and escalated["to_unit_code"] == "330106"
    assert "超过签收时限未签收，自动提级至西湖区" in escalated["note"]
    assert escalated["actor"] == "系统" and escalated["via"] == "sweeper"
    assert "不满意" in events[6]["note"]
