"""Enterprises through the admin API: masked mobiles, create, update, list."""

from __future__ import annotations

from tests.helpers import XIXI_ENTERPRISE, assert_problem


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
