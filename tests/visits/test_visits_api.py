"""POST/GET /api/v1/visits by role: the visit and the appeals it raised in one transaction, reach, bad input."""

from __future__ import annotations

from sqlmodel import func, select

from app.appeals.models import Appeal, AppealEvent
from app.visits.models import Visit
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, assert_problem
from tests.visits.conftest import BEISHAN_ENTERPRISE, raised, visit_body


def counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    found = (session.exec(select(func.count()).select_from(Visit)).one(),
             session.exec(select(func.count()).select_from(Appeal)).one())
    session.rollback()  # SQLite: no read transaction left holding the file
    return found


def test_a_visit_and_the_appeals_it_raised_are_recorded_together(client, people, session):
    body = visit_body(XIXI_ENTERPRISE, appeals=[raised(), raised("数控车床熟练工招聘困难", category="labour",
                                                                 source="visit")],
                      participant_user_ids=[people.ids["xixi_admin_user"]], revisit_on="2026-04-01")
    response = client.post("/api/v1/visits", json=body, headers=people["wang"])
    assert response.status_code == 201, response.text
    visit = response.json()
    assert response.headers["Location"] == f"/api/v1/visits/{visit['id']}"
    assert visit["enterprise_uscc"] == XIXI_ENTERPRISE and visit["street_code"] == "330106012"
    assert visit["visitor"] == {"user_id": people.ids["wang"], "name": "王晓明", "unit_code": "330106012",
                                "unit_name": "西溪街道"}
    assert [p["name"] for p in visit["participants"]] == ["钱芳"]
    assert visit["visited_on"] == "2026-03-01" and visit["mode"] == "on_site" and visit["revisit_on"] == "2026-04-01"
    assert len(visit["appeal_ids"]) == 2 and visit["via"] == "api"

    for appeal_id in visit["appeal_ids"]:
        appeal = client.get(f"/api/v1/appeals/{appeal_id}", headers=people["wang"]).json()
        assert appeal["source"] == "visit" and appeal["visit_id"] == visit["id"]
        assert appeal["unit_code"] == "330106012"
        first = client.get(f"/api/v1/appeals/{appeal_id}/events", headers=people["wang"]).json()["items"][0]
        assert first["type"] == "submitted" and f"走访登记 #{visit['id']}" in first["note"]
    assert client.get(f"/api/v1/visits/{visit['id']}", headers=people["wang"]).json() == visit
    event = session.exec(select(AppealEvent).where(AppealEvent.appeal_id == visit["appeal_ids"][0])).first()
    assert event is not None and event.data["visit_id"] == visit["id"]
    session.rollback()


def test_a_bad_second_appeal_refuses_the_whole_visit(client, people, session):
    body = visit_body(XIXI_ENTERPRISE, appeals=[raised(), raised(category="weather")])
    response = client.post("/api/v1/visits", json=body, headers=people["wang"])
    assert_problem(response, 422, field="body.appeals.1.category")
    assert counts(session) == (0, 0)

    # A problem the appeals intake finds (an attachment that is not there) names the same place.
    body = visit_body(XIXI_ENTERPRISE, appeals=[raised(), raised(attachment_ids=[999])])
    response = client.post("/api/v1/visits", json=body, headers=people["wang"])
    problem = assert_problem(response, 422, field="body.appeals.1.attachment_ids")
    assert all(e["field"].startswith("body.appeals.1.") for e in problem["errors"])
    assert counts(session) == (0, 0)


def test_bad_input_is_a_chinese_problem_naming_the_field_and_writes_nothing(client, people, session):
    cases = [
        (visit_body(XIXI_ENTERPRISE, visited_on="2026-03-03"), "body.visited_on", "晚于今天"),
        (visit_body(XIXI_ENTERPRISE, visited_on="1999-12-31"), "body.visited_on", "早于 2000-01-01"),
        (visit_body(XIXI_ENTERPRISE, summary="   "), "body.summary", "不能为空"),
        (visit_body(XIXI_ENTERPRISE, summary=""), "body.summary", None),
        (visit_body("91330106MA2CF9999X"), "body.enterprise_uscc", None),
        (visit_body(XIXI_ENTERPRISE, mode="by_pigeon"), "body.mode", None),
        (visit_body(XIXI_ENTERPRISE, participant_user_ids=[people.ids["li"]]), "body.participant_user_ids.0",
         "不在您或该企业的服务范围内"),
        (visit_body(XIXI_ENTERPRISE, participant_user_ids=[999999]), "body.participant_user_ids.0", "不存在"),
        (visit_body(XIXI_ENTERPRISE, policy_ids=[12345]), "body.policy_ids.0", "政策 12345 不存在"),
        (visit_body(XIXI_ENTERPRISE, revisit_on="2026-02-01"), "body.revisit_on", None),
        (visit_body(XIXI_ENTERPRISE, revisit_on="2028-01-01"), "body.revisit_on", "超过一年"),
        (visit_body(XIXI_ENTERPRISE, extra="x"), "body.extra", None),
        (visit_body(XIXI_ENTERPRISE, appeals=[raised(source="hotline")]), "body.appeals.0.source", None),
        (visit_body(XIXI_ENTERPRISE, appeals=[raised(enterprise_uscc=XIXI_ENTERPRISE)]),
         "body.appeals.0.enterprise_uscc", None),
    ]
    for body, field, words in cases:
        problem = assert_problem(client.post("/api/v1/visits", json=body, headers=people["wang"]), 422, field=field)
        if words:
            assert words in problem["detail"], problem
    assert counts(session) == (0, 0)


def test_unknown_enterprise_is_422_naming_the_field(client, people):
    registered_nowhere = visit_body(XIXI_ENTERPRISE[:-2] + "00")  # bad check digit: the USCC validator
    assert_problem(client.post("/api/v1/visits", json=registered_nowhere, headers=people["wang"]), 422,
                   field="body.enterprise_uscc")
    from tests.helpers import uscc_of

    unknown = uscc_of("91330106MA2CF0099")
    problem = assert_problem(client.post("/api/v1/visits", json=visit_body(unknown), headers=people["wang"]), 422,
                             field="body.enterprise_uscc")
    assert "未登记或不在您的权限范围内" in problem["detail"]


def test_who_may_record(client, people, keys, session):
    def post(who, uscc):  # type: ignore[no-untyped-def]
        headers = people[who] if who in people.headers else keys[who]
        return client.post("/api/v1/visits", json=visit_body(uscc), headers=headers)

    assert post("wang", XIXI_ENTERPRISE).status_code == 201  # its street's liaison
    assert post("jxj", BEISHAN_ENTERPRISE).status_code == 201  # a city department's cadre, paired with it
    assert post("xixi_admin_user", XIXI_ENTERPRISE).status_code == 201  # its street's admin
    assert post("city_admin_user", HUSHU_ENTERPRISE).status_code == 201  # the city's admin reaches all
    assert_problem(post("jxj_unpaired", BEISHAN_ENTERPRISE), 422, field="body.enterprise_uscc")
    assert_problem(post("jxj", XIXI_ENTERPRISE), 422, field="body.enterprise_uscc")  # paired with another
    assert_problem(post("li", XIXI_ENTERPRISE), 422, field="body.enterprise_uscc")  # another district
    assert_problem(post("xixi_admin_user", HUSHU_ENTERPRISE), 422, field="body.enterprise_uscc")
    # A key not bound to a user cannot say who visited; a system key is no visitor.
    assert_problem(post("xixi_liaison", XIXI_ENTERPRISE), 403)
    assert_problem(post("city", XIXI_ENTERPRISE), 403)
    assert_problem(post("system", XIXI_ENTERPRISE), 403)
    assert counts(session) == (4, 0)


def test_the_same_idempotency_key_replays_the_first_visit(client, people, session):
    body = visit_body(XIXI_ENTERPRISE, appeals=[raised()])
    headers = {**people["wang"], "Idempotency-Key": "visit-2026-03-01-a"}
    first = client.post("/api/v1/visits", json=body, headers=headers)
    again = client.post("/api/v1/visits", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert counts(session) == (1, 1)
    other = client.post("/api/v1/visits", json={**body, "summary": "另一次"}, headers=headers)
    assert_problem(other, 422, field="header.Idempotency-Key")


def test_enterprise_users_and_unknown_visits(client, people, keys):
    created = client.post("/api/v1/visits", json=visit_body(XIXI_ENTERPRISE), headers=people["wang"]).json()
    assert_problem(client.get(f"/api/v1/visits/{created['id']}", headers=people["li"]), 404)
    assert_problem(client.get("/api/v1/visits/999999", headers=people["wang"]), 404)
    assert client.get(f"/api/v1/visits/{created['id']}", headers=keys["xihu"]).status_code == 200
    assert client.get(f"/api/v1/visits/{created['id']}", headers=keys["city"]).status_code == 200
    assert_problem(client.get(f"/api/v1/visits/{created['id']}", headers=keys["gongshu"]), 404)
