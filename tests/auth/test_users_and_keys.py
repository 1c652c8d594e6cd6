"""Users and API keys through the admin API: create and use, roles fit their unit, unique DingTalk ids."""

from __future__ import annotations

from tests.helpers import assert_problem


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
