"""Issue 14 §3 and §7 through HTTP, on both databases: dates at the edge of Python's calendar were 500s
(OverflowError in app/stats/periods.py) and `hard_deadline` in the past coded an appeal red. Each is now a Chinese
422 naming the field, and nothing is written. (§4, control characters in chatbot callbacks:
tests/chatbot/test_control_characters.py.)"""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.appeals.models import Appeal
from app.core.messages_zh import has_chinese
from tests.helpers import appeal_body, assert_problem

pytestmark = pytest.mark.db


def _chinese_422(response, field: str) -> dict:  # type: ignore[no-untyped-def]
    body = assert_problem(response, 422, field=field, code="validation_error")
    assert all(has_chinese(e["message"]) for e in body["errors"]), body
    return body


# --- dates at the edge (§3) -------------------------------------------------------------------------------------

EDGE_QUERIES = [
    ("/api/v1/stats/summary?to=9999-12-31", "query.to"),
    ("/api/v1/stats/summary?from=0001-01-01", "query.from"),
    ("/api/v1/stats/summary?from=9999-12-30&to=9999-12-31", "query.from"),
    ("/api/v1/stats/summary?to=9999-12-31T23:59:59%2B08:00", "query.to"),
    ("/api/v1/stats/summary?from=0001-01-01T00:00:00%2B08:00", "query.from"),
    ("/api/v1/stats/summary?to=2101-01-01", "query.to"),
    ("/api/v1/stats/summary?from=1999-12-31", "query.from"),
    ("/api/v1/stats/timeseries?to=9999-12-31", "query.to"),
    ("/api/v1/stats/timeseries?period=month&from=0001-01-01&to=0001-02-01", "query.from"),
    ("/api/v1/stats/export.csv?to=9999-12-31", "query.to"),
    ("/api/v1/stats/bulletin?week=9999-W52", "query.week"),
    ("/api/v1/stats/bulletin?week=0001-W01", "query.week"),
    ("/api/v1/stats/bulletin?week=1999-W52", "query.week"),
    ("/api/v1/callback-tasks?due_by=9999-12-31", "query.due_by"),
    ("/api/v1/callback-tasks?due_by=0001-01-01", "query.due_by"),
]


@pytest.mark.parametrize("url, field", EDGE_QUERIES)
def test_dates_outside_the_calendar_are_422(client, keys, url, field):
    body = _chinese_422(client.get(url, headers=keys["city"]), field)
    assert "2000-01-01" in body["detail"] or "2000-W01" in body["detail"]


@pytest.mark.parametrize("url", [
    "/api/v1/stats/summary?from=2000-01-01&to=2009-12-31", "/api/v1/stats/summary?from=2091-01-01&to=2100-12-31",
    "/api/v1/stats/timeseries?period=month&from=2100-01-01&to=2100-12-31", "/api/v1/stats/bulletin?week=2000-W01",
    "/api/v1/stats/bulletin?week=2100-W52", "/api/v1/stats/export.csv?from=2000-01-01&to=2000-01-31",
    "/api/v1/callback-tasks?due_by=2100-12-31",
])
def test_the_calendar_ends_are_answered(client, keys, url):
    response = client.get(url, headers=keys["city"])
    assert response.status_code == 200, response.text


def test_a_calendar_override_outside_the_calendar_is_422(client, keys):
    response = client.put("/api/v1/calendar/2026", json={"overrides": [{"day": "9999-12-31", "workday": False}]},
                          headers=keys["city"])
    _chinese_422(response, "body.overrides.0.day")


def test_the_dashboard_answers_a_far_date_with_its_422_page(app, keys):
    from tests.pages.conftest import new_browser, sign_in_with_key

    with new_browser(app) as browser:  # raise_server_exceptions: an OverflowError would fail here
        sign_in_with_key(browser, keys["city"]["Authorization"], next_path="/dashboard")
        for query in ("to=9999-12-31", "from=0001-01-01", "from=2100-12-31&to=9999-12-31"):
            response = browser.get(f"/dashboard?{query}")
            assert response.status_code == 422 and "日期有误" in response.text and "2000-01-01" in response.text


# --- impact.hard_deadline (§7) ------------------------------------------------------------------------------------

def _today(clock):  # type: ignore[no-untyped-def]
    from app.core.time import SHANGHAI

    return clock.now.astimezone(SHANGHAI).date()


@pytest.mark.parametrize("deadline, expected", [
    ("0001-01-01", "2000-01-01"), ("9999-12-31", "2100-12-31"), ("1999-12-31", "2000-01-01"),
    ("2026-03-01", "不能早于今天"), ("2000-01-01", "不能早于今天"), ("2028-03-03", "不能晚于 2028-03-02"),
    ("2100-12-31", "不能晚于"),
])
def test_a_hard_deadline_in_the_past_or_far_ahead_is_422(client, keys, session, deadline, expected):
    response = client.post("/api/v1/appeals", json=appeal_body(impact={"hard_deadline": deadline}),
                           headers=keys["city"])
    body = _chinese_422(response, "body.impact.hard_deadline")
    assert expected in body["detail"], body
    assert session.exec(select(Appeal)).all() == []


def test_today_and_two_years_ahead_are_accepted(client, keys, clock):
    today = _today(clock)  # 2026-03-02 in Shanghai
    for deadline in (today, today.replace(year=today.year + 2)):
        response = client.post("/api/v1/appeals", json=appeal_body(impact={"hard_deadline": deadline.isoformat()}),
                               headers=keys["city"])
        assert response.status_code == 201, response.text
    assert response.json()["urgency"] in ("yellow", "green", "red")


def test_today_is_shanghai_today(client, keys, clock):
    """At 23:30 UTC on 1 March it is already 2 March in Hangzhou: 1 March is in the past there."""
    clock.set(clock.now.replace(day=1, hour=23, minute=30))
    assert _today(clock).isoformat() == "2026-03-02"
    late = client.post("/api/v1/appeals", json=appeal_body(impact={"hard_deadline": "2026-03-01"}),
                       headers=keys["city"])
    _chinese_422(late, "body.impact.hard_deadline")
    ok = client.post("/api/v1/appeals", json=appeal_body(impact={"hard_deadline": "2026-03-02"}), headers=keys["city"])
    assert ok.status_code == 201, ok.text
    assert "距企业截止日期不超过5个工作日" in ok.json()["urgency_reasons"]  # a real, near deadline still codes red


@pytest.mark.parametrize("impact, field", [
    ({"employees_affected": 10_000_001}, "body.impact.employees_affected"),
    ({"amount_cny": 10**13 + 1}, "body.impact.amount_cny"),
    ({"amount_cny": 2**63}, "body.impact.amount_cny"),
])
def test_numbers_are_bounded(client, keys, impact, field):
    _chinese_422(client.post("/api/v1/appeals", json=appeal_body(impact=impact), headers=keys["city"]), field)


def test_urgency_policy_numbers_are_bounded(client, keys):
    current = client.get("/api/v1/urgency-policy", headers=keys["city"]).json()
    for name, value in (("red_amount_cny", 10**20), ("yellow_employees", 2**40)):
        response = client.put("/api/v1/urgency-policy", json={**current, name: value}, headers=keys["city"])
        _chinese_422(response, f"body.{name}")


def test_sql_parameters_never_reach_an_error(db):
    """hide_parameters on the app's engine: a failing statement's error, and so any log line made of it, carries
    no parameter (what a user or a liaison typed)."""
    import sqlalchemy as sa

    with pytest.raises(sa.exc.DBAPIError) as caught, db.connect() as conn:
        conn.execute(sa.text("INSERT INTO no_such_table (x) VALUES (:typed)"), {"typed": "王晓明 13800001111"})
    assert "13800001111" not in str(caught.value) and "parameters hidden" in str(caught.value)
