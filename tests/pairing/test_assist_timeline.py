"""协办 in the timeline (DESIGN §11): a progress note by a paired cadre or a 楼长 who is not of the owning unit reads
as 协办 in the appeal's events; the owning unit's own notes do not. The mark is recorded with the note, so it stays
when the pairing ends."""

from __future__ import annotations

import pytest

from tests.helpers import XIXI_ENTERPRISE, appeal_body
from tests.pairing.helpers import cadre

ENTERPRISE = f"/api/v1/enterprises/{XIXI_ENTERPRISE}"


@pytest.fixture
def appeal(client, keys):  # type: ignore[no-untyped-def]
    """An appeal of 西溪智造, signed by 西溪街道 (the owning unit)."""
    filed = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()
    assert client.post(f"/api/v1/appeals/{filed['id']}/actions/sign", json={},
                       headers=keys["xixi_liaison"]).status_code == 200
    return filed


def _note(client, appeal_id, headers, note):  # type: ignore[no-untyped-def]
    r = client.post(f"/api/v1/appeals/{appeal_id}/actions/progress", json={"note": note}, headers=headers)
    assert r.status_code == 200, r.text


def _progress(client, appeal_id, headers):  # type: ignore[no-untyped-def]
    """The progress events as (note, actor, assist), oldest first."""
    r = client.get(f"/api/v1/appeals/{appeal_id}/events", headers=headers)
    assert r.status_code == 200, r.text
    return [(e["note"], e["actor"], e["assist"]) for e in r.json()["items"] if e["type"] == "progress"]


def test_a_paired_cadres_note_is_assist_and_the_owners_is_not(client, keys, city, clock, appeal):
    jxj = cadre(city, clock.now, "张科")
    assert client.put(f"{ENTERPRISE}/liaison", json={"user_id": jxj.user_id}, headers=keys["city"]).status_code == 200
    _note(client, appeal["id"], jxj.headers, "市经信局已协调供电公司现场勘查")
    _note(client, appeal["id"], keys["xixi_liaison"], "街道已上门核实")
    expected = [("市经信局已协调供电公司现场勘查", "张科（市经信局·协办）", True),
                ("街道已上门核实", "xixi_liaison（西溪街道）", False)]
    assert _progress(client, appeal["id"], keys["xixi_admin"]) == expected
    assert _progress(client, appeal["id"], jxj.headers) == expected  # the cadre reads the same timeline
    # Other events by the owner carry no mark either.
    [event] = [e for e in client.get(f"/api/v1/appeals/{appeal['id']}/events", headers=keys["city"]).json()["items"]
               if e["type"] == "signed"]
    assert event["assist"] is False and "协办" not in event["actor"]


def test_the_assist_mark_survives_the_end_of_the_pairing(client, keys, city, clock, appeal):
    jxj = cadre(city, clock.now, "张科")
    client.put(f"{ENTERPRISE}/liaison", json={"user_id": jxj.user_id}, headers=keys["city"])
    _note(client, appeal["id"], jxj.headers, "已协调")
    assert client.delete(f"{ENTERPRISE}/liaison", headers=keys["xixi_admin"]).status_code == 200
    assert _progress(client, appeal["id"], keys["xixi_admin"]) == [("已协调", "张科（市经信局·协办）", True)]


def test_a_building_managers_note_is_assist(client, keys, city, clock, appeal):
    manager = cadre(city, clock.now, "楼长小吴", "330106-RLSB")
    building = client.post("/api/v1/buildings", json={"name": "西溪科创大厦", "street_code": "330106012",
                                                      "manager_user_id": manager.user_id}, headers=keys["xixi_admin"])
    assert building.status_code == 201, building.text
    client.patch(ENTERPRISE, json={"building_id": building.json()["id"]}, headers=keys["xixi_admin"])
    _note(client, appeal["id"], manager.headers, "楼宇已协调物业")
    [(_, actor, assist)] = _progress(client, appeal["id"], keys["xixi_admin"])
    assert assist is True and actor.startswith("楼长小吴（") and actor.endswith("·协办）")


def test_a_colleague_of_the_owning_unit_paired_with_the_enterprise_is_not_assist(client, keys, city, clock, appeal):
    """Being paired is not what makes 协办: belonging to another unit than the owner is."""
    street_cadre = cadre(city, clock.now, "李娜", "330106012")
    client.put(f"{ENTERPRISE}/liaison", json={"user_id": street_cadre.user_id}, headers=keys["city"])
    _note(client, appeal["id"], street_cadre.headers, "街道结对干部跟进")
    assert _progress(client, appeal["id"], keys["xixi_admin"]) == [("街道结对干部跟进", "李娜（西溪街道）", False)]


def test_a_cohandling_units_note_is_assist_too(client, keys, appeal):
    """协办 is "not of the owning unit", whatever let them write: a 加派 unit's member as well as a paired cadre.
    (A 加派 unit outside the owner's tree reads it too: tests/accounts/test_access_matrix_cohandle.py.)"""
    r = client.post(f"/api/v1/appeals/{appeal['id']}/actions/cohandle", json={"target_unit_code": "330106"},
                    headers=keys["xixi_admin"])
    assert r.status_code == 200, r.text
    _note(client, appeal["id"], keys["xihu"], "区经信局协助联系供电公司")
    assert _progress(client, appeal["id"], keys["xixi_admin"]) == [
        ("区经信局协助联系供电公司", "xihu（西湖区·协办）", True)]
