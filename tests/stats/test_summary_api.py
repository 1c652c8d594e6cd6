"""GET /api/v1/stats/summary on the hand-computed data set of tests/stats/dataset.py."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem
from tests.stats.dataset import NOW, PERIOD, seed


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    return seed(city)


def summary(client, key, **params):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/stats/summary", params={**PERIOD, **params}, headers=key)
    assert response.status_code == 200, response.text
    return response.json()


def test_city_figures_are_the_hand_computed_ones(client, keys, data):
    body = summary(client, keys["city"])
    assert body["unit_code"] == "330100" and body["unit_name"] == "杭州市"
    assert body["from"] == "2026-11-02T00:00:00+08:00" and body["to"] == "2026-11-16T00:00:00+08:00"
    assert (body["collected"], body["resolved"]) == (10, 4)
    assert body["resolution_rate"] == 0.4
    assert body["on_time_rate"] == 0.75
    assert body["first_response_on_time_rate"] == 0.7143  # 5 / 7
    assert body["satisfaction_rate"] == 0.75
    assert body["redo_rate"] == 0.2
    assert body["return_rate"] == 0.1
    assert body["resolved_at_first_tier_rate"] == 0.75
    assert body["resolved_within_two_months_rate"] == 1.0
    assert body["avg_working_days_to_resolve"] == 4.0


def test_city_distributions(client, keys, data):
    body = summary(client, keys["city"])
    assert body["by_urgency"] == {"red": 3, "yellow": 4, "green": 3}
    assert body["by_category"] == {"funding": 1, "land": 1, "labour": 1, "talent": 0, "energy": 3, "approval": 1,
                                   "market": 1, "supply_chain": 1, "policy": 1, "other": 0}
    assert body["by_tier"] == {"street": 8, "district": 1, "city": 1}
    assert body["by_status"] == {"submitted": 2, "in_progress": 2, "pending_info": 0, "returned": 0, "resolved": 1,
                                 "closed": 3, "rejected": 1, "withdrawn": 1, "merged": 0}


def test_city_ranking_of_districts(client, keys, data):
    rows = summary(client, keys["city"])["by_unit"]
    assert [(r["rank"], r["unit_code"], r["collected"], r["resolved"], r["resolution_rate"]) for r in rows] == [
        (1, "330106", 4, 3, 0.75),  # 西湖区: A1 A2 A3 (A3 escalated, still 属地 北山街道) and A10
        (2, "330105", 4, 1, 0.25),  # 拱墅区: A4–A7
        (3, "330109", 2, 0, 0.0),  # 萧山区: A8 A9
        (4, "330102", 0, 0, None),  # no appeals: by code
        (5, "330111", 0, 0, None),
        (6, "330182", 0, 0, None),
    ]
    xihu = rows[0]
    assert xihu["unit_name"] == "西湖区"
    assert (xihu["on_time_rate"], xihu["first_response_on_time_rate"], xihu["satisfaction_rate"]) == (1.0, 0.6667, 1.0)
    assert (xihu["redo_rate"], xihu["return_rate"]) == (0.0, 0.25)
    assert rows[3]["satisfaction_rate"] is None and rows[3]["return_rate"] is None


def test_district_ranks_its_streets(client, keys, data):
    body = summary(client, keys["gongshu"])  # default unit: the caller's (拱墅区)
    assert body["unit_code"] == "330105" and (body["collected"], body["resolved"]) == (4, 1)
    assert [(r["unit_code"], r["collected"], r["resolved"], r["resolution_rate"]) for r in body["by_unit"]] == [
        ("330105005", 2, 1, 0.5), ("330105011", 2, 0, 0.0), ("330105001", 0, 0, None)]
    # A5 is the only redo and was never resolved again; A4 the only resolution, late but 满意.
    assert (body["redo_rate"], body["on_time_rate"], body["satisfaction_rate"]) == (0.5, 0.0, 0.5)
    # owed: A4, A5 (responded on time), A6 (overdue); A7 not yet due.
    assert body["first_response_on_time_rate"] == 0.6667


def test_street_admin_sees_only_its_street(client, keys, data):
    body = summary(client, keys["xixi_admin"])
    assert body["unit_code"] == "330106012"
    assert (body["collected"], body["resolved"], body["by_unit"]) == (3, 2, [])  # A1 A2 A10; not 北山's A3
    assert body["by_status"]["withdrawn"] == 1 and body["avg_working_days_to_resolve"] == 3.5  # (2 + 5) / 2
    assert summary(client, keys["xixi_liaison"])["collected"] == 3


@pytest.mark.parametrize(("key", "unit"), [("xixi_admin", "330106"), ("xixi_admin", "330105011"),
                                           ("xihu", "330105"), ("hushu_admin", "330100"), ("city", "999999")])
def test_unit_outside_reach_is_404(client, keys, data, key, unit):
    response = client.get("/api/v1/stats/summary", params={**PERIOD, "unit": unit}, headers=keys[key])
    assert_problem(response, 404, code="not_found")


def test_rates_are_null_when_undefined(client, keys, data):
    body = summary(client, keys["city"], unit="330111")  # 富阳区: nothing collected
    assert body["collected"] == 0
    for name in ("resolution_rate", "on_time_rate", "first_response_on_time_rate", "satisfaction_rate", "redo_rate",
                 "return_rate", "resolved_at_first_tier_rate", "avg_working_days_to_resolve",
                 "resolved_within_two_months_rate"):
        assert body[name] is None, name
    assert [r["unit_code"] for r in body["by_unit"]] == ["330111001", "330111002"]


def test_period_bounds_are_half_open_in_shanghai_time(client, keys, data):
    # B1 (11-01 23:59:59) and B2 (11-16 00:00) fall outside; a wider period takes them in.
    assert summary(client, keys["city"], **{"from": "2026-11-01", "to": "2026-11-16"})["collected"] == 12
    exact = summary(client, keys["city"], **{"from": "2026-11-02T00:00:00+08:00", "to": "2026-11-16T00:00:00+08:00"})
    assert exact["collected"] == 10
    naive_is_shanghai = summary(client, keys["city"], **{"from": "2026-11-02T00:00:00", "to": "2026-11-15T20:00:00"})
    assert naive_is_shanghai["collected"] == 9  # A10 (20:00) excluded by the exclusive datetime bound


def test_default_period_is_year_to_date(client, keys, data):
    response = client.get("/api/v1/stats/summary", headers=keys["city"])
    body = response.json()
    assert body["from"] == "2026-01-01T00:00:00+08:00" and body["to"] == "2026-11-17T00:00:00+08:00"
    assert body["collected"] == 12  # B2 was filed today


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-11-15", "to": "2026-11-02"}, "query.from"),
    ({"from": "2000-01-01", "to": "2026-11-02"}, "query.to"),
    ({"from": "yesterday"}, "query.from"),
    ({"to": "2026-13-01"}, "query.to"),
    ({"unit": "bad code!"}, "unit"),
])
def test_bad_parameters_are_422(client, keys, data, params, field):
    assert_problem(client.get("/api/v1/stats/summary", params=params, headers=keys["city"]), 422, field=field)


def test_statistics_need_a_staff_key(client, data):
    assert_problem(client.get("/api/v1/stats/summary"), 401)


def test_unencoded_plus_in_offset_is_repaired(client, keys, data):
    url = "/api/v1/stats/summary?from=2026-11-02T00:00:00+08:00&to=2026-11-16T00:00:00+08:00"
    response = client.get(url, headers=keys["city"])  # '+' arrives as a space
    assert response.status_code == 200, response.text
    assert response.json()["collected"] == 10
