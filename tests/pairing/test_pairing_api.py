"""Pairing (结对) through the API: set, replace, end, history, import; by role, with the bad inputs of issue 17."""

from __future__ import annotations

import pytest

from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE, assert_problem, uscc_of
from tests.pairing.helpers import cadre

LIAISON = f"/api/v1/enterprises/{XIXI_ENTERPRISE}/liaison"
HISTORY = f"/api/v1/enterprises/{XIXI_ENTERPRISE}/pairings"


@pytest.fixture
def cadres(keys, city, clock):  # type: ignore[no-untyped-def]
    return {"jxj": cadre(city, clock.now, "张科"), "rlsb": cadre(city, clock.now, "刘洋", "330100-RLSB"),
            "street": cadre(city, clock.now, "何川", "330106012"),
            "admin": cadre(city, clock.now, "钱主任", "330106012", role="street_admin")}


def test_city_admin_pairs_a_city_department_cadre_with_a_street_enterprise(client, keys, cadres, clock):
    r = client.put(LIAISON, json={"user_id": cadres["jxj"].user_id, "note": "市经信局选派"}, headers=keys["city"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit_code"] == "330100-JXJ" and body["unit_name"] == "市经信局" and body["ended_at"] is None
    assert body["enterprise_uscc"] == XIXI_ENTERPRISE and body["note"] == "市经信局选派" and body["started_by"]
    assert client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", headers=keys["city"]).json()["liaison_user_id"] \
        == cadres["jxj"].user_id


def test_history_is_never_overwritten(client, keys, cadres, clock):
    client.put(LIAISON, json={"user_id": cadres["jxj"].user_id}, headers=keys["xixi_admin"])
    clock.advance(days=3)
    again = client.put(LIAISON, json={"user_id": cadres["jxj"].user_id}, headers=keys["xihu"])
    assert again.status_code == 200
    clock.advance(days=3)
    client.put(LIAISON, json={"user_id": cadres["rlsb"].user_id}, headers=keys["xihu"])
    history = client.get(HISTORY, headers=keys["city"]).json()["items"]
    assert [p["user_name"] for p in history] == ["刘洋", "张科"]  # the same cadre again added no row
    assert history[0]["ended_at"] is None and history[1]["ended_at"] == history[0]["started_at"]
    clock.advance(days=1)
    ended = client.delete(LIAISON, headers=keys["xixi_admin"])
    assert ended.status_code == 200
    history = ended.json()["items"]
    assert history == client.get(HISTORY, headers=keys["city"]).json()["items"]
    assert all(p["ended_at"] for p in history) and history[0]["ended_by"]
    assert client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", headers=keys["city"]).json()["liaison_user_id"] is None
    assert_problem(client.delete(LIAISON, headers=keys["xixi_admin"]), 409)


def test_bad_input_and_reach(client, keys, cadres):
    unknown = uscc_of("91330106MA2CF0777")
    assert_problem(client.put(f"/api/v1/enterprises/{unknown}/liaison", json={"user_id": cadres["jxj"].user_id},
                              headers=keys["city"]), 404)
    assert_problem(client.put(LIAISON, json={"user_id": cadres["admin"].user_id}, headers=keys["city"]),
                   422, field="body.user_id")
    assert_problem(client.put(LIAISON, json={"user_id": 99999}, headers=keys["city"]), 422, field="body.user_id")
    assert_problem(client.put(LIAISON, json={"user_id": "1"}, headers=keys["city"]), 422, field="user_id")
    assert_problem(client.put(LIAISON, json={"user_id": cadres["jxj"].user_id, "x": 1}, headers=keys["city"]), 422)
    # Another district's admin: neither pairs nor sees the enterprise, nor its history.
    assert_problem(client.put(LIAISON, json={"user_id": cadres["jxj"].user_id}, headers=keys["gongshu"]), 404)
    assert_problem(client.delete(LIAISON, headers=keys["gongshu"]), 404)
    assert_problem(client.get(HISTORY, headers=keys["gongshu"]), 404)
    # Liaisons and enterprises never pair.
    assert_problem(client.put(LIAISON, json={"user_id": cadres["jxj"].user_id}, headers=keys["xixi_liaison"]), 403)
    assert_problem(client.put(LIAISON, json={"user_id": cadres["jxj"].user_id}, headers=cadres["jxj"].headers), 403)
    assert client.get(HISTORY, headers=keys["city"]).json()["items"] == []  # nothing was written


def test_history_read_by_the_paired_cadre_not_by_others(client, keys, cadres):
    client.put(LIAISON, json={"user_id": cadres["jxj"].user_id}, headers=keys["city"])
    assert client.get(HISTORY, headers=cadres["jxj"].headers).status_code == 200
    assert_problem(client.get(HISTORY, headers=cadres["rlsb"].headers), 404)
    assert client.get(HISTORY, headers=keys["xixi_liaison"]).status_code == 200  # the street's own staff


class TestImport:
    URL = "/api/v1/pairings/import"

    def test_all_or_nothing_naming_the_row(self, client, keys, cadres):
        good = [{"uscc": XIXI_ENTERPRISE, "user_id": cadres["jxj"].user_id},
                {"uscc": HUSHU_ENTERPRISE, "user_id": cadres["rlsb"].user_id}]
        bad_user = good + [{"uscc": KANGQIAO_ENTERPRISE, "user_id": cadres["admin"].user_id}]
        body = assert_problem(client.post(self.URL, json={"items": bad_user}, headers=keys["city"]), 422,
                              field="body.items[2].user_id")
        assert "第 3 行" in body["detail"]
        unknown = [good[0], {"uscc": uscc_of("91330106MA2CF0777"), "user_id": cadres["jxj"].user_id}]
        assert_problem(client.post(self.URL, json={"items": unknown}, headers=keys["city"]), 422,
                       field="body.items[1].uscc")
        assert_problem(client.post(self.URL, json={"items": [good[0], good[0]]}, headers=keys["city"]), 422,
                       field="body.items[1].uscc")
        assert_problem(client.post(self.URL, json={"items": [{"uscc": "91330106MA2CF00010", "user_id": 1}]},
                                   headers=keys["city"]), 422, field="uscc")
        for uscc in (XIXI_ENTERPRISE, HUSHU_ENTERPRISE):  # nothing was written by any refused import
            assert client.get(f"/api/v1/enterprises/{uscc}/pairings", headers=keys["city"]).json()["items"] == []
        r = client.post(self.URL, json={"items": good}, headers=keys["city"])
        assert r.status_code == 201, r.text
        assert (r.json()["paired"], r.json()["unchanged"], r.json()["replaced"]) == (2, 0, 0)
        swap = [{"uscc": XIXI_ENTERPRISE, "user_id": cadres["jxj"].user_id},
                {"uscc": HUSHU_ENTERPRISE, "user_id": cadres["street"].user_id}]
        again = client.post(self.URL, json={"items": swap}, headers=keys["city"]).json()
        assert (again["paired"], again["unchanged"], again["replaced"]) == (0, 1, 1)

    def test_outside_reach_names_the_row(self, client, keys, cadres):
        items = [{"uscc": HUSHU_ENTERPRISE, "user_id": cadres["jxj"].user_id},
                 {"uscc": XIXI_ENTERPRISE, "user_id": cadres["jxj"].user_id}]
        assert_problem(client.post(self.URL, json={"items": items}, headers=keys["gongshu"]), 422,
                       field="body.items[1].uscc")
        assert_problem(client.post(self.URL, json={"items": items}, headers=keys["xixi_liaison"]), 403)
        assert_problem(client.post(self.URL, json={"items": []}, headers=keys["city"]), 422, field="items")
