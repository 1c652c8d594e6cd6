"""The reach that follows the pairing (DESIGN §11), through the API: a paired cadre (and a building's 楼长) reads the
enterprise, its appeals with their whole timeline, files appeals for it and adds progress notes as 协办; owner
actions stay with the owning unit; when the pairing ends the reach ends at the next request."""

from __future__ import annotations

import pytest

from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body, assert_problem
from tests.pairing.helpers import cadre

ENTERPRISE = f"/api/v1/enterprises/{XIXI_ENTERPRISE}"


@pytest.fixture
def world(client, keys, city, clock):  # type: ignore[no-untyped-def]
    jxj, other = cadre(city, clock.now, "张科"), cadre(city, clock.now, "刘洋", "330100-RLSB")
    appeal = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()
    client.post(f"/api/v1/appeals/{appeal['id']}/actions/sign", json={}, headers=keys["xixi_liaison"])
    internal = {"note": "内部：已联系供电公司", "public": False}
    client.post(f"/api/v1/appeals/{appeal['id']}/actions/progress", json=internal, headers=keys["xixi_liaison"])
    hushu = client.post("/api/v1/appeals", json=appeal_body(HUSHU_ENTERPRISE), headers=keys["city"]).json()
    r = client.put(f"{ENTERPRISE}/liaison", json={"user_id": jxj.user_id}, headers=keys["city"])
    assert r.status_code == 200, r.text
    return {"jxj": jxj, "other": other, "appeal": appeal["id"], "hushu_appeal": hushu["id"]}


def test_paired_cadre_reads_the_enterprise_its_appeals_and_the_whole_timeline(client, world):
    headers = world["jxj"].headers
    assert client.get(ENTERPRISE, headers=headers).json()["contact_mobile"].count("*") == 4  # masked: not the street
    listed = client.get("/api/v1/enterprises", headers=headers).json()["items"]
    assert [e["uscc"] for e in listed] == [XIXI_ENTERPRISE]
    ids = [a["id"] for a in client.get("/api/v1/appeals", headers=headers).json()["items"]]
    assert ids == [world["appeal"]]  # not the 湖墅 appeal
    events = client.get(f"/api/v1/appeals/{world['appeal']}/events", headers=headers).json()["items"]
    assert any(e["note"] == "内部：已联系供电公司" and e["public"] is False for e in events)
    assert_problem(client.get(f"/api/v1/appeals/{world['hushu_appeal']}", headers=headers), 404)
    assert_problem(client.get(f"/api/v1/enterprises/{HUSHU_ENTERPRISE}", headers=headers), 404)


def test_paired_cadre_files_appeals_and_adds_progress_as_cohandler_but_takes_no_owner_action(client, keys, world):
    headers = world["jxj"].headers
    filed = client.post("/api/v1/appeals", json=appeal_body(title="用工缺口 30 人", category="labour"), headers=headers)
    assert filed.status_code == 201, filed.text
    assert filed.json()["unit_code"] == "330106012"  # routed to the enterprise's street, not the cadre's department
    assert_problem(client.post("/api/v1/appeals", json=appeal_body(HUSHU_ENTERPRISE), headers=headers), 422,
                   field="body.enterprise_uscc")
    url = f"/api/v1/appeals/{world['appeal']}/actions"
    r = client.post(f"{url}/progress", json={"note": "市经信局已协调供电公司现场勘查"}, headers=headers)
    assert r.status_code == 200, r.text
    allowed = client.get(f"/api/v1/appeals/{world['appeal']}/allowed-actions", headers=headers).json()
    assert "progress" in str(allowed) and "resolve" not in str(allowed)
    for action, body in (("resolve", {"resolution_code": "已解决", "public_reply": "已办结"}),
                         ("return", {"reason": "不归我管"}), ("escalate", {"reason": "需要上级"}),
                         ("request_info", {"note": "请补充"})):
        assert_problem(client.post(f"{url}/{action}", json=body, headers=headers), 403)
    assert_problem(client.post(f"/api/v1/appeals/{filed.json()['id']}/actions/sign", json={}, headers=headers), 403)
    # An unpaired cadre of the same kind sees none of it.
    other = world["other"].headers
    assert_problem(client.get(ENTERPRISE, headers=other), 404)
    assert_problem(client.get(f"/api/v1/appeals/{world['appeal']}", headers=other), 404)
    assert_problem(client.post(f"{url}/progress", json={"note": "越权"}, headers=other), 404)
    assert_problem(client.post("/api/v1/appeals", json=appeal_body(), headers=other), 422, field="body.enterprise_uscc")


def test_reach_ends_with_the_pairing_at_once_cached_principal_included(client, keys, world):
    headers = world["jxj"].headers
    assert client.get(ENTERPRISE, headers=headers).status_code == 200  # the key's principal is now cached
    assert client.delete(f"{ENTERPRISE}/liaison", headers=keys["xixi_admin"]).status_code == 200
    assert_problem(client.get(ENTERPRISE, headers=headers), 404)
    assert_problem(client.get(f"/api/v1/appeals/{world['appeal']}", headers=headers), 404)
    assert client.get("/api/v1/appeals", headers=headers).json()["items"] == []
    assert_problem(client.post(f"/api/v1/appeals/{world['appeal']}/actions/progress", json={"note": "x"},
                               headers=headers), 404)
    assert client.get("/api/v1/me/enterprises", headers=headers).json()["items"] == []


def test_a_new_liaison_takes_the_reach_over(client, keys, world):
    client.put(f"{ENTERPRISE}/liaison", json={"user_id": world["other"].user_id}, headers=keys["city"])
    assert_problem(client.get(ENTERPRISE, headers=world["jxj"].headers), 404)
    assert client.get(ENTERPRISE, headers=world["other"].headers).status_code == 200


def test_building_manager_reaches_every_enterprise_in_the_building(client, keys, city, clock):
    manager = cadre(city, clock.now, "楼长老周", "330106012")
    dept = cadre(city, clock.now, "楼长小吴", "330106-RLSB")
    building = client.post("/api/v1/buildings", json={"name": "西溪科创大厦", "street_code": "330106012",
                                                      "manager_user_id": dept.user_id}, headers=keys["xixi_admin"])
    assert building.status_code == 201, building.text
    bid = building.json()["id"]
    assert_problem(client.get(ENTERPRISE, headers=dept.headers), 404)
    r = client.patch(ENTERPRISE, json={"building_id": bid}, headers=keys["xixi_admin"])
    assert r.status_code == 200 and r.json()["building_id"] == bid
    assert client.get(ENTERPRISE, headers=dept.headers).status_code == 200
    appeal = client.post("/api/v1/appeals", json=appeal_body(), headers=dept.headers)
    assert appeal.status_code == 201, appeal.text
    mine = client.get("/api/v1/me/enterprises", headers=dept.headers).json()["items"]
    assert [(m["uscc"], m["via"], m["open_appeals"]) for m in mine] == [(XIXI_ENTERPRISE, "building", 1)]
    # A new 楼长: the reach moves with the building.
    client.patch(f"/api/v1/buildings/{bid}", json={"manager_user_id": manager.user_id}, headers=keys["xixi_admin"])
    assert_problem(client.get(ENTERPRISE, headers=dept.headers), 404)
    assert client.get(f"/api/v1/buildings/{bid}", headers=manager.headers).json()["enterprises"] == 1
