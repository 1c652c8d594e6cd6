"""Units, users, API keys and enterprises through the admin API."""

from __future__ import annotations

from tests.helpers import XIXI_ENTERPRISE, assert_problem


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


class TestUsersAndKeys:
    def test_create_user_then_key_then_use_it(self, client, keys):
        r = client.post("/api/v1/users", json={"name": "刘洋", "mobile": "13700001234", "role": "liaison",
                                               "unit_code": "330106012", "dingtalk_userid": "liuy09"},
                        headers=keys["xihu"])
        assert r.status_code == 201, r.text
        user = r.json()
        assert user["mobile"] == "137****1234"
        created = client.post(f"/api/v1/users/{user['id']}/api-keys", json={}, headers=keys["xihu"])
        assert created.status_code == 201
        token = created.json()["key"]
        assert token.startswith("zq_")
        me = client.get("/api/v1/units/330106012", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200

    def test_role_must_fit_unit_and_reach(self, client, keys):
        assert_problem(client.post("/api/v1/users", json={"name": "x", "role": "district_admin",
                                                          "unit_code": "330106012"}, headers=keys["city"]),
                       422, field="role")
        assert_problem(client.post("/api/v1/users", json={"name": "x", "role": "liaison",
                                                          "unit_code": "330105005"}, headers=keys["xihu"]),
                       422, field="unit_code")
        assert_problem(client.post("/api/v1/users", json={"name": "x", "role": "liaison",
                                                          "unit_code": "330106012"}, headers=keys["xixi_liaison"]),
                       403)

    def test_dingtalk_userid_unique(self, client, keys):
        body = {"name": "x", "role": "liaison", "unit_code": "330106012", "dingtalk_userid": "wangxm01"}
        assert_problem(client.post("/api/v1/users", json=body, headers=keys["city"]), 409)


class TestEnterprises:
    def test_mobile_masked_except_for_owning_street_admin(self, client, keys):
        as_street = client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", headers=keys["xixi_admin"]).json()
        as_city = client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", headers=keys["city"]).json()
        as_liaison = client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", headers=keys["xixi_liaison"]).json()
        assert as_street["contact_mobile"] == "13912340001"
        assert as_city["contact_mobile"] == as_liaison["contact_mobile"] == "139****0001"

    def test_create_update_list(self, client, keys):
        from app.enterprises.uscc import make_uscc

        uscc = make_uscc("91330106MA2CF0077")
        r = client.post("/api/v1/enterprises", json={
            "uscc": uscc.lower(), "name": "杭州蒋村数据有限公司", "street_code": "330106008",
            "contact_name": "何平", "contact_mobile": "+86 138-0000-7777", "tags": ["专精特新", "专精特新"]},
            headers=keys["xihu"])
        assert r.status_code == 201, r.text
        assert r.json()["uscc"] == uscc and r.json()["tags"] == ["专精特新"]
        assert_problem(client.post("/api/v1/enterprises", json={
            "uscc": uscc, "name": "重复", "street_code": "330106008", "contact_name": "x",
            "contact_mobile": "13800007777"}, headers=keys["xihu"]), 409)
        patched = client.patch(f"/api/v1/enterprises/{uscc}", json={"tags": ["外贸"]}, headers=keys["xihu"])
        assert patched.json()["tags"] == ["外贸"]
        listed = client.get("/api/v1/enterprises", params={"street_code": "330106008"}, headers=keys["xihu"])
        assert [e["uscc"] for e in listed.json()["items"]] == [uscc]
        assert_problem(client.get(f"/api/v1/enterprises/{uscc}", headers=keys["gongshu"]), 404)
        gongshu = client.get("/api/v1/enterprises", params={"limit": 200}, headers=keys["gongshu"]).json()["items"]
        assert uscc not in {e["uscc"] for e in gongshu}
