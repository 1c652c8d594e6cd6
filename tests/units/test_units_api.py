"""Units through the admin API: listing, reach, shape rules, bulk import, moves."""

from __future__ import annotations

from tests.helpers import assert_problem


class TestUnits:
    def test_list_by_tier_and_parent(self, client, keys):
        districts = client.get("/api/v1/units", params={"tier": "district", "limit": 200},
                               headers=keys["city"]).json()["items"]
        assert {"330106", "330105", "330109", "330111", "330182"} <= {u["code"] for u in districts}
        streets = client.get("/api/v1/units", params={"parent_code": "330105", "kind": "area"},
                             headers=keys["city"]).json()["items"]
        assert {u["code"] for u in streets} >= {"330105005", "330105011"}
        assert all(u["parent_code"] == "330105" and u["tier"] == "street" for u in streets)

    def test_reach(self, client, keys):
        mine = client.get("/api/v1/units", params={"limit": 200}, headers=keys["gongshu"]).json()["items"]
        assert all(u["code"].startswith("330105") for u in mine)
        assert_problem(client.get("/api/v1/units/330106012", headers=keys["gongshu"]), 404)
        assert client.get("/api/v1/units/330105005", headers=keys["gongshu"]).json()["name"] == "湖墅街道"

    def test_create_and_shape_rules(self, client, keys):
        r = client.post("/api/v1/units", json={"code": "330105099", "name": "新街道", "tier": "street",
                                               "parent_code": "330105"}, headers=keys["gongshu"])
        assert r.status_code == 201 and r.json()["parent_code"] == "330105"
        assert_problem(client.post("/api/v1/units", json={"code": "330105099", "name": "重复", "tier": "street",
                                                          "parent_code": "330105"}, headers=keys["city"]), 409)
        assert_problem(client.post("/api/v1/units", json={"code": "330106098", "name": "越权", "tier": "street",
                                                          "parent_code": "330106"}, headers=keys["gongshu"]),
                       422, field="parent_code")
        assert_problem(client.post("/api/v1/units", json={"code": "x1", "name": "街道挂市", "tier": "street",
                                                          "parent_code": "330100"}, headers=keys["city"]),
                       422, field="parent_code")
        assert_problem(client.post("/api/v1/units", json={"code": "x2", "name": "x", "tier": "street",
                                                          "parent_code": "330105"}, headers=keys["xixi_liaison"]),
                       403)
        dept = client.post("/api/v1/units", json={"code": "330105-JXJ", "name": "拱墅区经信局", "tier": "district",
                                                  "kind": "department", "parent_code": "330105"},
                           headers=keys["gongshu"])
        assert dept.status_code == 201, dept.text

    def test_bulk_import_any_order_all_or_nothing(self, client, keys):
        batch = {"units": [
            {"code": "330110001", "name": "五常街道", "tier": "street", "parent_code": "330110"},
            {"code": "330110", "name": "余杭区", "tier": "district", "parent_code": "330100"},
        ]}
        r = client.post("/api/v1/units/import", json=batch, headers=keys["city"])
        assert r.status_code == 201 and r.json()["created"] == 2
        bad = {"units": [{"code": "330113", "name": "临平区", "tier": "district", "parent_code": "330100"},
                         {"code": "330113001", "name": "x", "tier": "street", "parent_code": "nowhere"}]}
        assert_problem(client.post("/api/v1/units/import", json=bad, headers=keys["city"]), 422)
        assert_problem(client.get("/api/v1/units/330113", headers=keys["city"]), 404)

    def test_move_refuses_cycles(self, client, keys):
        r = client.patch("/api/v1/units/330106", json={"parent_code": "330106012"}, headers=keys["city"])
        assert_problem(r, 409)
        moved = client.patch("/api/v1/units/330105011", json={"parent_code": "330106"}, headers=keys["city"])
        assert moved.status_code == 200 and moved.json()["parent_code"] == "330106"
        assert client.get("/api/v1/units/330105011", headers=keys["xihu"]).status_code == 200
