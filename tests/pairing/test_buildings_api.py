"""Buildings (楼长制) by role: admins whose subtree holds the street manage them; others get 404/403/422."""

from __future__ import annotations

from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, assert_problem
from tests.pairing.helpers import cadre

URL = "/api/v1/buildings"


def _body(**overrides: object) -> dict[str, object]:
    return {"name": "湖墅金融大厦", "street_code": "330105005", "address": "杭州市拱墅区湖墅南路 1 号", **overrides}


def test_crud_by_role(client, keys, city, clock):
    manager = cadre(city, clock.now, "楼长李", "330105005")
    r = client.post(URL, json=_body(manager_user_id=manager.user_id), headers=keys["hushu_admin"])
    assert r.status_code == 201, r.text
    building = r.json()
    assert building["manager_name"] == "楼长李" and building["street_code"] == "330105005"
    bid = building["id"]
    assert_problem(client.post(URL, json=_body(), headers=keys["xixi_admin"]), 422, field="body.street_code")
    assert_problem(client.post(URL, json=_body(street_code="330105"), headers=keys["city"]), 422,
                   field="body.street_code")
    assert_problem(client.post(URL, json=_body(manager_user_id=99999), headers=keys["city"]), 422,
                   field="body.manager_user_id")
    assert_problem(client.post(URL, json=_body(), headers=keys["hushu_liaison"]), 403)
    assert_problem(client.post(URL, json=_body(extra=1), headers=keys["city"]), 422)
    assert [b["id"] for b in client.get(URL, headers=keys["gongshu"]).json()["items"]] == [bid]
    assert client.get(URL, headers=keys["xihu"]).json()["items"] == []
    assert client.get(URL, headers=manager.headers).json()["items"][0]["id"] == bid
    assert_problem(client.get(f"{URL}/{bid}", headers=keys["xihu"]), 404)
    assert_problem(client.patch(f"{URL}/{bid}", json={"name": "x"}, headers=keys["xihu"]), 404)
    assert_problem(client.patch(f"{URL}/{bid}", json={"name": "x"}, headers=keys["hushu_liaison"]), 403)
    assert_problem(client.patch(f"{URL}/{bid}", json={"name": None}, headers=keys["city"]), 422, field="body.name")
    assert client.patch(f"{URL}/{bid}", json={"name": "湖墅金融中心"}, headers=keys["city"]).json()["name"] == "湖墅金融中心"
    # An enterprise's building must be in its street; a building with tenants cannot be deleted.
    assert_problem(client.patch(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", json={"building_id": bid},
                                headers=keys["city"]), 422, field="body.building_id")
    client.patch(f"/api/v1/enterprises/{HUSHU_ENTERPRISE}", json={"building_id": bid}, headers=keys["city"])
    assert_problem(client.delete(f"{URL}/{bid}", headers=keys["hushu_admin"]), 409)
    client.patch(f"/api/v1/enterprises/{HUSHU_ENTERPRISE}", json={"building_id": None}, headers=keys["city"])
    assert_problem(client.delete(f"{URL}/{bid}", headers=keys["xihu"]), 404)
    assert client.delete(f"{URL}/{bid}", headers=keys["hushu_admin"]).status_code == 200
    assert_problem(client.get(f"{URL}/{bid}", headers=keys["city"]), 404)
    assert_problem(client.get(f"{URL}/2147483648", headers=keys["city"]), 422)
