"""Pure presentation rules: which actions the page offers, countdowns in working days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.appeals.lifecycle import Action
from app.enums import Status
from app.pages.mobile import present
from app.sla.calendar import WorkingCalendar

CAL = WorkingCalendar()
MON_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 Shanghai


def _forms(allowed, **kw):
    defaults = {"member": True, "extension_pending": False, "can_escalate": True}
    return [(a.action.value, a.form) for a in present.page_actions(allowed, **defaults | kw)]


class TestPageActions:
    def test_only_the_page_subset_in_page_order(self):
        allowed = ["return", "sign", "escalate", "reroute", "supervise", "reject", "delegate"]
        assert _forms(allowed) == [("sign", "sign"), ("escalate", "escalate"), ("return", "return")]

    def test_no_escalation_at_the_top_of_the_ladder(self):
        assert _forms(["sign", "escalate"], can_escalate=False) == [("sign", "sign")]

    @pytest.mark.parametrize("member, pending, expected", [
        (True, False, [("extend", "extend_request")]),
        (True, True, []),
        (False, True, [("extend", "extend_decide")]),
        (False, False, []),
    ])
    def test_extension_request_or_decision(self, member, pending, expected):
        assert _forms(["extend"], member=member, extension_pending=pending) == expected

    def test_labels(self):
        labels = [a.label for a in present.page_actions(
            ["sign", "progress", "request_info", "resolve", "extend", "escalate", "return"],
            member=True, extension_pending=False, can_escalate=True)]
        assert labels == ["签收", "进展", "要求补充", "办结", "延期", "提级", "退回"]

    def test_every_page_action_has_a_form_and_texts(self):
        for action in present.PAGE_ACTIONS:
            assert action in present.FORM_FIELDS and action in present.SUCCESS_TEXT
        assert Action.reroute not in present.PAGE_ACTIONS


class TestCountdown:
    @pytest.mark.parametrize("deadline, text, tone", [
        (datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC), "剩余 5 个工作日", "ok"),  # next Monday 23:59:59
        (datetime(2026, 3, 3, 15, 59, 59, tzinfo=UTC), "剩余 1 个工作日", "soon"),  # tomorrow 23:59:59 (38 h)
        (datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC), "剩余 15 小时", "soon"),  # tonight
        (datetime(2026, 3, 2, 0, 59, tzinfo=UTC), "已超期", "late"),  # a minute ago
        (datetime(2026, 2, 26, 15, 59, 59, tzinfo=UTC), "已超期 3 个工作日", "late"),  # last Thursday:
        # Fri 27 Feb, Sat 28 Feb (a make-up workday, 调休 after the 2026 Spring Festival) and Mon 2 Mar
    ])
    def test_texts(self, deadline, text, tone):
        assert present.countdown(MON_9, deadline, CAL) == present.Countdown(text, tone)

    def test_weekend_and_holidays_do_not_count(self):
        friday_9 = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
        assert present.countdown(friday_9, datetime(2026, 3, 9, 15, 59, 59, tzinfo=UTC), CAL).text == "剩余 1 个工作日"
        before_national_day = datetime(2026, 9, 30, 1, 0, tzinfo=UTC)
        first_workday_after = datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC)  # 2026 golden week: Oct 1-7 off
        assert present.countdown(before_national_day, first_workday_after, CAL).text == "剩余 1 个工作日"

    def test_paused(self):
        assert present.countdown(MON_9, MON_9 + timedelta(days=3), CAL, paused=True).tone == "paused"


def test_deadline_rows_per_status():
    kw = {"now": MON_9, "calendar": CAL, "respond_by": MON_9 + timedelta(hours=24), "plan_by": None,
          "feedback_by": None, "resolve_by": MON_9 + timedelta(days=5),
          "original_resolve_by": MON_9 + timedelta(days=3), "resolved_at": None}
    submitted = present.deadline_rows(status=Status.submitted, **kw)
    assert [r.label for r in submitted] == ["签收期限", "办结期限"]
    assert submitted[1].note and submitted[1].note.startswith("原期限")
    in_progress = present.deadline_rows(status=Status.in_progress, **kw)
    assert [r.label for r in in_progress] == ["办结期限"] and in_progress[0].countdown is not None
    paused = present.deadline_rows(status=Status.pending_info, **kw)
    assert paused[0].countdown.tone == "paused"
    resolved = present.deadline_rows(status=Status.resolved, **kw | {"resolved_at": MON_9 + timedelta(days=1)})
    assert [(r.label, r.countdown and r.countdown.text) for r in resolved] == [("办结期限", None), ("办结时间", "按期办结")]


def test_impact_lines():
    assert present.impact_lines(production_halted=True, safety_risk=False, wage_arrears=True, employees_affected=120,
                                amount_cny=5_000_000, hard_deadline=None) == [
        "停产停工", "涉及欠薪", "影响职工 120 人", "涉及金额 500 万元"]
