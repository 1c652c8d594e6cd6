"""/dashboard's policy panel (政策推送与兑现): the figures of GET /api/v1/stats/policies for the page's unit and period,
server-rendered, in the viewer's reach — a street admin never sees another street's deliveries. Data set:
tests/stats/policy_dataset.py."""

from __future__ import annotations

import json
import re

import pytest

from tests.stats.policy_dataset import NOW, W46, W47, seed_policies

pytestmark = pytest.mark.db

PANEL = re.compile(r'<section class="card" id="policies">(.*?)</section>', re.DOTALL)
POLICY = re.compile(r'<span class="pol" data-policy="([a-z_]+)" data-value="([^"]*)"[^>]*>([^<]*)<b>([^<]*)</b>')
KEYS = ["policies", "enterprises_reached", "deliveries", "read_rate", "interested", "granted", "granted_amount_cny"]


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    seed_policies(city)
    return keys


def panel(html: str) -> dict[str, tuple[object, str]]:
    """data-policy → (the API value carried by the page, the text shown)."""
    [inner] = PANEL.findall(html)
    return {key: (json.loads(value), text) for key, value, _, text in POLICY.findall(inner)}


@pytest.mark.parametrize(("role", "params"), [
    ("city", W46), ("city", W47), ("city", {}), ("xihu", W46), ("gongshu", {"unit": "330105011", **W47}),
    ("xixi_admin", {}), ("hushu_admin", W47), ("xixi_liaison", W46),
])
def test_the_panel_shows_the_apis_figures(client, data, browser_for, role, params):
    html = browser_for(role).get("/dashboard", params=params).text
    api = client.get("/api/v1/stats/policies", params=params, headers=data[role]).json()
    shown = panel(html)
    assert list(shown) == KEYS
    assert {key: value for key, (value, _) in shown.items()} == {key: api[key] for key in KEYS}


def test_the_city_year_as_written(data, browser_for):
    shown = panel(browser_for("city").get("/dashboard").text)  # 2026 so far
    assert {key: text for key, (_, text) in shown.items()} == {
        "policies": "3项", "enterprises_reached": "5家", "deliveries": "9家次", "read_rate": "55.6%",
        "interested": "2个", "granted": "3笔", "granted_amount_cny": "81.73万元"}
    assert shown["granted_amount_cny"][0] == 817_345 and shown["read_rate"][0] == 0.5556  # 5/9 to 4 decimals, as every rate


def test_a_street_admin_sees_only_the_streets_deliveries(data, browser_for):
    xixi = panel(browser_for("xixi_admin").get("/dashboard").text)
    assert {key: value for key, (value, _) in xixi.items()} == {
        "policies": 2, "enterprises_reached": 1, "deliveries": 2, "read_rate": 1.0, "interested": 2, "granted": 1,
        "granted_amount_cny": 800_000}
    hushu = panel(browser_for("hushu_admin").get("/dashboard").text)
    assert {key: value for key, (value, _) in hushu.items()} == {
        "policies": 2, "enterprises_reached": 1, "deliveries": 2, "read_rate": 1.0, "interested": 0, "granted": 1,
        "granted_amount_cny": 12_345}
    # and no way round it: another street's dashboard does not exist for them
    other = browser_for("xixi_admin").get("/dashboard", params={"unit": "330105005"})
    assert other.status_code == 404 and 'id="policies"' not in other.text


def test_a_period_without_pushes_says_so(data, browser_for):
    html = browser_for("city").get("/dashboard", params={"from": "2026-11-01", "to": "2026-11-08"}).text
    [inner] = PANEL.findall(html)
    assert "统计区间内未向本单位属地企业推送政策" in inner and 'data-policy=' not in inner


def test_no_policies_at_all(keys, clock, browser_for):
    clock.set(NOW)
    page = browser_for("xixi_admin").get("/dashboard")
    assert page.status_code == 200
    [inner] = PANEL.findall(page.text)
    assert "统计区间内未向本单位属地企业推送政策" in inner


def test_a_department_sees_the_policies_it_issued(client, city, data, browser_for):
    from tests.stats.policy_dataset import seed_department_policy

    seed_department_policy(city)
    params = {"unit": "330100-RLSB", **W47}
    shown = panel(browser_for("city").get("/dashboard", params=params).text)
    api = client.get("/api/v1/stats/policies", params=params, headers=data["city"]).json()
    assert {key: value for key, (value, _) in shown.items()} == {key: api[key] for key in KEYS}
    assert (api["policies"], api["deliveries"], api["granted_amount_cny"]) == (1, 5, 3_000)
