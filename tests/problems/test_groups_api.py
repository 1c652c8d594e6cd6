"""Common problems: a group links appeals from several enterprises and streets, is handled once at the right tier,
and resolving it resolves each linked appeal with its own timeline event and callback task."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.appeals.models import Appeal
from app.callbacks.models import CallbackTask
from app.units.models import Unit
from tests.helpers import assert_problem
from tests.problems.conftest import (
    BEISHAN_ENTERPRISE,
    CHENGXIANG_ENTERPRISE,
    HUSHU_ENTERPRISE,
    KANGQIAO_ENTERPRISE,
    XIXI_ENTERPRISE,
)

GROUP = {"kind": "common", "title": "多家企业夏季用电负荷指标不足",
         "description": "湖墅、康桥、西溪、城厢街道多家制造企业反映迎峰度夏期间用电负荷指标不足。", "unit_code": "330100"}
REPLY = {"public_reply": "经市发改委协调国网杭州供电公司，已调增相关企业夏季用电负荷指标，自8月1日起执行。",
         "resolution_code": "已解决"}


@pytest.fixture
def appeals(file_appeal):  # type: ignore[no-untyped-def]
    return {
        "hushu": file_appeal(HUSHU_ENTERPRISE, "夏季用电指标不足被要求限产", "迎峰度夏期间被要求错峰限产三成。"),
        "kangqiao": file_appeal(KANGQIAO_ENTERPRISE, "用电负荷不够", "新生产线投产后用电负荷不够，被要求错峰。"),
        "xixi": file_appeal(XIXI_ENTERPRISE, "用电指标紧张影响订单", "夏季用电指标紧张，订单交付受影响。"),
        "chengxiang": file_appeal(CHENGXIANG_ENTERPRISE, "纺织车间限电", "车间被要求错峰用电，影响开机率。"),
        "beishan": file_appeal(BEISHAN_ENTERPRISE, "文创园区用电", "园区用电容量不足。"),
    }


def create(client, key, **overrides):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/problem-groups", json={**GROUP, **overrides}, headers=key)
    assert response.status_code == 201, response.text
    return response.json()


def link(client, key, group, *items):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/problem-groups/{group['id']}/appeals", json={"appeal_ids": [a["id"] for a in items]},
                       headers=key)


@pytest.fixture
def city_group(client, keys, appeals):  # type: ignore[no-untyped-def]
    group = create(client, keys["city"])
    response = link(client, keys["city"], group, appeals["hushu"], appeals["kangqiao"], appeals["xixi"],
                    appeals["chengxiang"])
    assert response.status_code == 200, response.text
    return response.json()


def test_create_and_link_from_several_enterprises_and_streets(client, keys, appeals, city_group):
    g = city_group
    assert (g["kind"], g["status"], g["unit_code"], g["unit_name"]) == ("common", "open", "330100", "杭州市")
    assert (g["appeal_count"], g["enterprise_count"], g["street_count"]) == (4, 4, 4)
    assert {a["street_code"] for a in g["appeals"]} == {"330105005", "330105011", "330106012", "330109001"}
    appeal = client.get(f"/api/v1/appeals/{appeals['hushu']['id']}", headers=keys["city"]).json()
    assert appeal["kind"] == "common" and appeal["version"] == 2
    events = client.get(f"/api/v1/appeals/{appeals['hushu']['id']}/events", headers=keys["city"]).json()["items"]
    assert events[-1]["type"] == "grouped" and "共性问题" in events[-1]["note"] and "杭州市" in events[-1]["note"]
    again = link(client, keys["city"], g, appeals["hushu"])  # already linked here: no-op
    assert again.status_code == 200 and again.json()["appeal_count"] == 4
    assert client.get(f"/api/v1/appeals/{appeals['hushu']['id']}", headers=keys["city"]).json()["version"] == 2


def test_the_group_is_handled_at_the_right_tier(client, keys, appeals, city_group):
    district_group = create(client, keys["gongshu"], unit_code="330105", title="拱墅区企业用电负荷指标不足")
    # 西溪街道 is not in 拱墅区: for the district admin it is simply out of reach; for the city admin it is a
    # cross-district problem that a district group cannot hold.
    assert_problem(link(client, keys["gongshu"], district_group, appeals["xixi"]), 422, field="body.appeal_ids.0")
    response = link(client, keys["city"], district_group, appeals["beishan"])
    assert_problem(response, 422, field="body.appeal_ids.0")
    assert "更高层级" in response.json()["detail"]
    assert_problem(link(client, keys["gongshu"], district_group, appeals["hushu"]), 409)  # already in the city's
    moved = client.post(f"/api/v1/problem-groups/{city_group['id']}/assign", json={"unit_code": "330105"},
                        headers=keys["city"])
    assert_problem(moved, 422, field="body.unit_code")


def test_assign_within_reach(client, keys, appeals):
    group = create(client, keys["city"], unit_code="330105")
    assert link(client, keys["city"], group, appeals["hushu"], appeals["kangqiao"]).status_code == 200
    response = client.post(f"/api/v1/problem-groups/{group['id']}/assign", json={"unit_code": "330100"},
                           headers=keys["gongshu"])
    assert_problem(response, 422, field="body.unit_code")  # the district cannot reach the city
    response = client.post(f"/api/v1/problem-groups/{group['id']}/assign", json={"unit_code": "330100"},
                           headers=keys["city"])
    assert response.status_code == 200 and response.json()["unit_code"] == "330100"


def test_visibility_and_authority(client, keys, appeals, city_group):
    url = f"/api/v1/problem-groups/{city_group['id']}"
    xihu = client.get(url, headers=keys["xihu"]).json()  # sees the group through its own enterprise's appeal
    assert [a["id"] for a in xihu["appeals"]] == [appeals["xixi"]["id"]] and xihu["appeal_count"] == 4
    assert [a["id"] for a in client.get(url, headers=keys["hushu_liaison"]).json()["appeals"]] == [appeals["hushu"]["id"]]
    assert_problem(client.post(url + "/resolve", json=REPLY, headers=keys["xihu"]), 403)
    assert_problem(client.post(url + "/resolve", json=REPLY, headers=keys["hushu_liaison"]), 403)
    other = create(client, keys["gongshu"], unit_code="330105")
    assert_problem(client.get(f"/api/v1/problem-groups/{other['id']}", headers=keys["xihu"]), 404)
    assert_problem(client.post("/api/v1/problem-groups", json={**GROUP, "unit_code": "330106"},
                               headers=keys["gongshu"]), 422, field="body.unit_code")
    assert_problem(client.post("/api/v1/problem-groups", json=GROUP, headers=keys["hushu_liaison"]), 403)


def test_problem_lists(client, keys, appeals, city_group):
    create(client, keys["gongshu"], unit_code="330105", kind="institutional", title="工业用地指标分配机制不健全")
    common = client.get("/api/v1/problem-lists", params={"kind": "common"}, headers=keys["city"]).json()
    assert [(i["group_id"], i["appeal_count"], i["enterprise_count"], i["street_count"]) for i in common["items"]] == [
        (city_group["id"], 4, 4, 4)]
    institutional = client.get("/api/v1/problem-lists", params={"kind": "institutional"}, headers=keys["city"]).json()
    assert [i["title"] for i in institutional["items"]] == ["工业用地指标分配机制不健全"]
    individual = client.get("/api/v1/problem-lists", params={"kind": "individual"}, headers=keys["city"]).json()
    assert [i["appeal_id"] for i in individual["items"]] == [appeals["beishan"]["id"]]  # the others are grouped
    assert individual["items"][0]["appeal_count"] == 1 and individual["items"][0]["group_id"] is None
    seen_by_xihu = client.get("/api/v1/problem-lists", params={"kind": "institutional"}, headers=keys["xihu"]).json()
    assert seen_by_xihu["items"] == []
    page = client.get("/api/v1/problem-lists", params={"kind": "common", "limit": 1, "cursor": "x.y"},
                      headers=keys["city"])
    assert_problem(page, 422, field="query.cursor")
    assert_problem(client.get("/api/v1/problem-lists", params={"kind": "other"}, headers=keys["city"]), 422)


def test_resolving_the_group_resolves_each_linked_appeal(client, keys, appeals, city, city_group, clock):
    waiting = city.exec(select(Appeal).where(Appeal.id == appeals["chengxiang"]["id"])).one()
    waiting.status = "pending_info"  # waiting for the enterprise: not resolved with the group
    city.add(waiting)
    city.commit()
    clock.advance(hours=2)
    response = client.post(f"/api/v1/problem-groups/{city_group['id']}/resolve", json=REPLY, headers=keys["city"])
    assert response.status_code == 200, response.text
    body = response.json()
    resolved_ids = [appeals[k]["id"] for k in ("hushu", "kangqiao", "xixi")]
    assert body["resolved_appeal_ids"] == resolved_ids
    assert [(s["id"], s["status"]) for s in body["skipped"]] == [(appeals["chengxiang"]["id"], "pending_info")]
    assert "待补充" in body["skipped"][0]["reason"]
    assert (body["group"]["status"], body["group"]["resolution_code"]) == ("resolved", "已解决")
    for appeal_id in resolved_ids:
        appeal = client.get(f"/api/v1/appeals/{appeal_id}", headers=keys["city"]).json()
        assert (appeal["status"], appeal["resolution_code"], appeal["public_reply"]) == (
            "resolved", "已解决", REPLY["public_reply"])
        assert appeal["version"] == 3
        events = client.get(f"/api/v1/appeals/{appeal_id}/events", headers=keys["city"]).json()["items"]
        resolved = [e for e in events if e["type"] == "resolved"]
        assert len(resolved) == 1 and resolved[0]["from_status"] == "submitted"
        assert resolved[0]["to_status"] == "resolved" and resolved[0]["note"] == "【已解决】" + REPLY["public_reply"]
        assert resolved[0]["public"] is True and resolved[0]["at"] == "2026-03-02T11:00:00+08:00"
    tasks = city.exec(select(CallbackTask, Unit.code).join(Unit, Unit.id == CallbackTask.unit_id)
                      .order_by(CallbackTask.appeal_id)).all()
    city.commit()  # SQLite: an open read transaction in the test would hold the write lock
    assert [(t.appeal_id, code, t.status) for t, code in tasks] == [
        (resolved_ids[0], "330105", "pending"), (resolved_ids[1], "330105", "pending"),
        (resolved_ids[2], "330106", "pending")]
    assert client.get(f"/api/v1/appeals/{appeals['chengxiang']['id']}", headers=keys["city"]).json()["status"] == (
        "pending_info")
    url = f"/api/v1/problem-groups/{city_group['id']}"
    assert_problem(client.post(url + "/resolve", json=REPLY, headers=keys["city"]), 409)
    assert_problem(link(client, keys["city"], city_group, appeals["beishan"]), 409)


@pytest.mark.parametrize(("body", "field"), [
    ({**GROUP, "kind": "individual"}, "body.kind"),
    ({**GROUP, "title": ""}, "body.title"),
    ({**GROUP, "extra": 1}, "body.extra"),
    ({k: v for k, v in GROUP.items() if k != "unit_code"}, "body.unit_code"),
])
def test_create_bad_input(client, keys, body, field):
    assert_problem(client.post("/api/v1/problem-groups", json=body, headers=keys["city"]), 422, field=field)


@pytest.mark.parametrize(("body", "field"), [
    ({"appeal_ids": []}, "body.appeal_ids"), ({"appeal_ids": [0]}, "body.appeal_ids"),
    ({"appeal_ids": [999999]}, "body.appeal_ids.0"), ({"ids": [1]}, "body.ids"),
])
def test_link_bad_input(client, keys, city_group, body, field):
    response = client.post(f"/api/v1/problem-groups/{city_group['id']}/appeals", json=body, headers=keys["city"])
    assert_problem(response, 422, field=field)


def test_resolve_needs_reply_and_code(client, keys, city_group):
    url = f"/api/v1/problem-groups/{city_group['id']}/resolve"
    assert_problem(client.post(url, json={"public_reply": "已协调"}, headers=keys["city"]), 422,
                   field="body.resolution_code")
    assert_problem(client.post("/api/v1/problem-groups/999/resolve", json=REPLY, headers=keys["city"]), 404)


def test_an_empty_group_cannot_be_resolved_and_nothing_changes(client, keys):
    group = create(client, keys["city"])
    response = client.post(f"/api/v1/problem-groups/{group['id']}/resolve", json=REPLY, headers=keys["city"])
    assert_problem(response, 409)
    assert "没有关联任何诉求" in response.json()["detail"]
    assert client.get(f"/api/v1/problem-groups/{group['id']}", headers=keys["city"]).json()["status"] == "open"


def test_a_closed_appeal_cannot_join_and_the_message_reads_once(client, keys, appeals, session):
    from app.appeals.models import Appeal

    closed = session.get(Appeal, appeals["beishan"]["id"])
    closed.status = "closed"
    session.add(closed)
    session.commit()
    response = link(client, keys["city"], create(client, keys["city"]), appeals["beishan"])
    assert_problem(response, 409)
    assert "当前状态为「已结案」" in response.json()["detail"] and "已已" not in response.json()["detail"]
