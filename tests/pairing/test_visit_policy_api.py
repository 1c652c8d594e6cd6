"""GET/PUT /api/v1/visit-policy: the cadence as data; only the city admin changes it."""

from __future__ import annotations

from tests.helpers import assert_problem

URL = "/api/v1/visit-policy"


def test_defaults_then_city_admin_edits(client, keys):
    r = client.get(URL, headers=keys["xixi_liaison"])
    assert r.status_code == 200
    assert (r.json()["default_days"], r.json()["by_key_level"], r.json()["version"]) == (
        30, {"city": 14, "district": 21, "street": 30}, 0)
    new = {"default_days": 45, "by_key_level": {"city": 7, "district": 14}}
    saved = client.put(URL, json=new, headers=keys["city"]).json()
    assert (saved["default_days"], saved["by_key_level"], saved["version"]) == (45, {"city": 7, "district": 14}, 1)
    assert saved["updated_by"]
    assert client.get(URL, headers=keys["gongshu"]).json()["version"] == 1
    assert_problem(client.put(URL, json=new, headers=keys["city"] | {"If-Match": "0"}), 412)
    assert client.put(URL, json=new, headers=keys["city"] | {"If-Match": "1"}).json()["version"] == 2


def test_refusals(client, keys):
    good = {"default_days": 30, "by_key_level": {"city": 14}}
    assert_problem(client.put(URL, json=good, headers=keys["xihu"]), 403)
    assert_problem(client.put(URL, json=good, headers=keys["xixi_liaison"]), 403)
    assert_problem(client.put(URL, json={"default_days": 0, "by_key_level": {}}, headers=keys["city"]), 422,
                   field="body.default_days")
    assert_problem(client.put(URL, json={"default_days": 30, "by_key_level": {"province": 7}}, headers=keys["city"]),
                   422, field="body.by_key_level.province")
    assert_problem(client.put(URL, json={"default_days": 30, "by_key_level": {"city": 3650}}, headers=keys["city"]),
                   422, field="body.by_key_level.city")
    assert_problem(client.put(URL, json={"default_days": "30"}, headers=keys["city"]), 422, field="default_days")
    assert_problem(client.put(URL, json=good, headers=keys["city"] | {"If-Match": "abc"}), 422, field="header.If-Match")
    # The API's one If-Match parser (app.core.validation): a weak ETag cannot guard a compare-and-set.
    assert_problem(client.put(URL, json=good, headers=keys["city"] | {"If-Match": 'W/"0"'}), 422,
                   field="header.If-Match")
    assert client.get(URL, headers=keys["city"]).json()["version"] == 0  # nothing was written
