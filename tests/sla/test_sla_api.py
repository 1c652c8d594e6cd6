"""SLA policies, the calendar override table and the urgency thresholds through the API (issue 3)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.helpers import KANGQIAO_ENTERPRISE, appeal_body, assert_problem

YELLOW = {"respond": {"amount": 24, "unit": "hours"}, "plan": {"amount": 3, "unit": "working_days"},
          "feedback": {"amount": 6, "unit": "working_days"}, "resolve": {"amount": 10, "unit": "working_days"},
          "rating_window_days": 7}


def _file_yellow(client, keys):
    # 西溪 enterprise is 专精特新 → a routine appeal is boosted from green to yellow.
    r = client.post("/api/v1/appeals", json=appeal_body(impact={"employees_affected": 5}), headers=keys["city"])
    assert r.status_code == 201 and r.json()["urgency"] == "yellow", r.text
    return r.json()


class TestDeadlinesAcrossHolidays:
    def test_friday_before_spring_festival(self, client, keys, clock):
        clock.set(datetime(2026, 2, 13, 2, 0, tzinfo=UTC))  # Fri 2026-02-13 10:00 Shanghai
        d = _file_yellow(client, keys)["deadlines"]
        assert d["respond_by"] == "2026-02-14T10:00:00+08:00"  # 24 h, plain time (a make-up Saturday anyway)
        # Working days after 02-13: 02-14 (make-up Sat), then 02-24, 02-25 … (02-15..02-23 off)
        assert d["plan_by"] == "2026-02-25T23:59:59+08:00"
        assert d["feedback_by"] == "2026-02-28T23:59:59+08:00"  # 02-26, 02-27, 02-28 (make-up Sat)
        assert d["resolve_by"] == "2026-03-05T23:59:59+08:00"  # then 03-02 … 03-05 (10th)

    def test_ordinary_monday(self, client, keys, clock):
        clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Mon 2026-03-02 09:00
        d = _file_yellow(client, keys)["deadlines"]
        assert d["respond_by"] == "2026-03-03T09:00:00+08:00"
        assert d["plan_by"] == "2026-03-05T23:59:59+08:00"
        assert d["feedback_by"] == "2026-03-10T23:59:59+08:00"
        assert d["resolve_by"] == "2026-03-16T23:59:59+08:00"

    def test_national_day_and_make_up_saturday(self, client, keys, clock):
        clock.set(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))  # Wed 09-30; 10-01..10-07 off; Sat 10-10 works
        d = _file_yellow(client, keys)["deadlines"]
        assert d["plan_by"] == "2026-10-10T23:59:59+08:00"  # 10-08, 10-09, 10-10


class TestPolicies:
    def test_city_admin_edits_and_new_appeals_follow(self, client, keys, clock):
        clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        before = client.get("/api/v1/sla-policies/yellow", headers=keys["xixi_liaison"]).json()
        assert before["version"] == 1 and before["promise"] == "24小时内响应、10个工作日内办结"
        r = client.put("/api/v1/sla-policies/yellow", json={**YELLOW, "resolve": {"amount": 8, "unit": "working_days"}},
                       headers=keys["city"])
        assert r.status_code == 200 and r.json()["version"] == 2, r.text
        a = _file_yellow(client, keys)
        assert a["deadlines"]["resolve_by"] == "2026-03-12T23:59:59+08:00" and a["policy_version"] == 2
        listed = client.get("/api/v1/sla-policies", headers=keys["city"]).json()["items"]
        assert {p["urgency"]: p["version"] for p in listed} == {"red": 1, "yellow": 2, "green": 1}

    def test_others_may_not_edit(self, client, keys):
        assert_problem(client.put("/api/v1/sla-policies/red", json=YELLOW, headers=keys["xixi_admin"]), 403)
        assert_problem(client.put("/api/v1/sla-policies/red", json=YELLOW, headers=keys["xihu"]), 403)
        assert_problem(client.put("/api/v1/sla-policies/red", json=YELLOW, headers=keys["xixi_liaison"]), 403)

    def test_invalid_policies(self, client, keys):
        bad = [
            ({**YELLOW, "resolve": {"amount": 2, "unit": "hours"}}, "body"),
            ({**YELLOW, "respond": {"amount": 0, "unit": "hours"}}, "amount"),
            ({**YELLOW, "respond": {"amount": 1, "unit": "weeks"}}, "unit"),
            ({**YELLOW, "rating_window_days": 0}, "rating_window_days"),
            ({**YELLOW, "extra": 1}, "extra"),
        ]
        for body, field in bad:
            assert_problem(client.put("/api/v1/sla-policies/yellow", json=body, headers=keys["city"]), 422, field=field)
        assert_problem(client.put("/api/v1/sla-policies/purple", json=YELLOW, headers=keys["city"]), 422)
        assert client.get("/api/v1/sla-policies/yellow", headers=keys["city"]).json()["version"] == 1


class TestCalendarOverrides:
    def test_upload_2027_notice_and_readyz_stops_degrading(self, client, keys, clock):
        clock.set(datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
        assert client.get("/readyz").json()["calendar_missing_years"] == [2027]
        year = client.get("/api/v1/calendar/2027", headers=keys["city"]).json()
        assert year == {"year": 2027, "covered": False, "source": "fallback", "overrides": []}
        notice = {"overrides": [{"day": f"2027-02-{d:02d}", "workday": False, "note": "春节"} for d in range(6, 13)]
                  + [{"day": "2027-02-20", "workday": True, "note": "春节调休上班"}]}
        r = client.put("/api/v1/calendar/2027", json=notice, headers=keys["city"])
        assert r.status_code == 200 and r.json()["covered"] and r.json()["source"] == "overrides"
        assert client.get("/readyz").json()["calendar"] == "ok"
        # A deadline over the 2027 Spring Festival now follows the notice.
        clock.set(datetime(2027, 2, 5, 2, 0, tzinfo=UTC))  # Fri 2027-02-05
        d = _file_yellow(client, keys)["deadlines"]
        assert d["plan_by"] == "2027-02-17T23:59:59+08:00"  # 02-15, 02-16, 02-17 (02-06..02-12 off)

    def test_override_turns_a_weekday_into_a_holiday(self, client, keys, clock):
        clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        client.put("/api/v1/calendar/2026", json={"overrides": [{"day": "2026-03-04", "workday": False,
                                                                  "note": "台风停工"}]}, headers=keys["city"])
        assert _file_yellow(client, keys)["deadlines"]["plan_by"] == "2026-03-06T23:59:59+08:00"

    def test_bad_uploads(self, client, keys):
        assert_problem(client.put("/api/v1/calendar/2027", json={"overrides": [{"day": "2026-01-01",
                       "workday": False}]}, headers=keys["city"]), 422, field="overrides.0.day")
        assert_problem(client.put("/api/v1/calendar/2027", json={"overrides": []}, headers=keys["xihu"]), 403)
        assert_problem(client.put("/api/v1/calendar/1999", json={"overrides": []}, headers=keys["city"]), 422)


class TestUrgencyPolicy:
    def test_thresholds_are_tunable(self, client, keys):
        body = client.get("/api/v1/urgency-policy", headers=keys["city"]).json()
        assert body["red_employees"] == 100
        r = client.post("/api/v1/appeals", json=appeal_body(impact={"employees_affected": 60},
                        enterprise_uscc=KANGQIAO_ENTERPRISE),
                        headers=keys["city"])
        assert r.json()["urgency"] == "yellow"
        client.put("/api/v1/urgency-policy", json={**body, "red_employees": 50}, headers=keys["city"])
        r = client.post("/api/v1/appeals", json=appeal_body(impact={"employees_affected": 60},
                        enterprise_uscc=KANGQIAO_ENTERPRISE),
                        headers=keys["city"])
        assert r.json()["urgency"] == "red" and "影响职工50人以上" in r.json()["urgency_reasons"]
        assert_problem(client.put("/api/v1/urgency-policy", json={**body, "yellow_employees": 500},
                                  headers=keys["city"]), 422, field="yellow_employees")
        assert_problem(client.put("/api/v1/urgency-policy", json=body, headers=keys["gongshu"]), 403)
