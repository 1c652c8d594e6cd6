"""Urgency coding 红黄绿: each rule alone, combinations, thresholds, working-day deadlines, boosts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.appeals.urgency import (
    RULES,
    AppealHistory,
    Decision,
    EnterpriseProfile,
    ImpactFacts,
    UrgencyPolicy,
    code_urgency,
    raise_one_step,
)
from app.enums import Category, Urgency
from app.sla.calendar import SHANGHAI, WorkingCalendar

R, Y, G = Urgency.red, Urgency.yellow, Urgency.green
CAL = WorkingCalendar()
NOW = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)  # Monday, no holidays within 20 working days
POLICY = UrgencyPolicy()


def code(
    facts: ImpactFacts = ImpactFacts(),
    history: AppealHistory = AppealHistory(),
    tags: tuple[str, ...] = (),
    policy: UrgencyPolicy = POLICY,
    now: datetime = NOW,
) -> Decision:
    return code_urgency(facts, EnterpriseProfile(tags), history, policy, now, CAL)


def test_nothing_fired_is_green_routine() -> None:
    assert code() == Decision(G, ("常规诉求",))


SINGLE_RULES = [
    (ImpactFacts(safety_risk=True), AppealHistory(), R, "存在安全隐患"),
    (ImpactFacts(production_halted=True), AppealHistory(), R, "停产停工"),
    (ImpactFacts(wage_arrears=True), AppealHistory(), R, "涉及欠薪"),
    (ImpactFacts(hard_deadline=date(2026, 3, 9)), AppealHistory(), R, "距企业截止日期不超过5个工作日"),
    (ImpactFacts(employees_affected=100), AppealHistory(), R, "影响职工100人以上"),
    (ImpactFacts(amount_cny=10_000_000), AppealHistory(), R, "涉及金额1000万元以上"),
    (ImpactFacts(), AppealHistory(reopens=1), R, "企业不满意重办"),
    (ImpactFacts(hard_deadline=date(2026, 3, 10)), AppealHistory(), Y, "距企业截止日期不超过20个工作日"),
    (ImpactFacts(employees_affected=20), AppealHistory(), Y, "影响职工20人以上"),
    (ImpactFacts(amount_cny=Decimal("1000000.00")), AppealHistory(), Y, "涉及金额100万元以上"),
    (ImpactFacts(), AppealHistory(urges=2), Y, "企业二次催办"),
]


@pytest.mark.parametrize(
    ("facts", "history", "urgency", "reason"), SINGLE_RULES, ids=[r[3] for r in SINGLE_RULES]
)
def test_each_rule_alone(facts: ImpactFacts, history: AppealHistory, urgency: Urgency, reason: str) -> None:
    assert code(facts, history) == Decision(urgency, (reason,))


@pytest.mark.parametrize(
    ("facts", "history", "urgency"),
    [
        (ImpactFacts(employees_affected=99), AppealHistory(), Y),
        (ImpactFacts(employees_affected=19), AppealHistory(), G),
        (ImpactFacts(employees_affected=0), AppealHistory(), G),
        (ImpactFacts(amount_cny=9_999_999), AppealHistory(), Y),
        (ImpactFacts(amount_cny=Decimal("999999.99")), AppealHistory(), G),
        (ImpactFacts(), AppealHistory(urges=1), G),
        (ImpactFacts(), AppealHistory(reopens=0, urges=0), G),
        # From Mon 03-02: 5th working day is 03-09, 6th 03-10, 20th 03-30, 21st 03-31.
        (ImpactFacts(hard_deadline=date(2026, 3, 9)), AppealHistory(), R),
        (ImpactFacts(hard_deadline=date(2026, 3, 10)), AppealHistory(), Y),
        (ImpactFacts(hard_deadline=date(2026, 3, 30)), AppealHistory(), Y),
        (ImpactFacts(hard_deadline=date(2026, 3, 31)), AppealHistory(), G),
        (ImpactFacts(hard_deadline=date(2026, 3, 2)), AppealHistory(), R),  # today
        (ImpactFacts(hard_deadline=date(2026, 2, 1)), AppealHistory(), R),  # already passed
    ],
)
def test_boundaries(facts: ImpactFacts, history: AppealHistory, urgency: Urgency) -> None:
    assert code(facts, history).urgency is urgency


def test_graded_facts_give_one_reason_each() -> None:
    # 150 employees is "100人以上", not also "20人以上".
    assert code(ImpactFacts(employees_affected=150)).reasons == ("影响职工100人以上",)
    assert code(ImpactFacts(hard_deadline=date(2026, 3, 3))).reasons == ("距企业截止日期不超过5个工作日",)


def test_combination_takes_max_and_lists_all_in_table_order() -> None:
    facts = ImpactFacts(employees_affected=30, safety_risk=True, amount_cny=2_000_000)
    got = code(facts, AppealHistory(urges=3))
    assert got == Decision(R, ("存在安全隐患", "影响职工20人以上", "涉及金额100万元以上", "企业二次催办"))
    yellow_only = code(ImpactFacts(employees_affected=30, amount_cny=2_000_000))
    assert yellow_only == Decision(Y, ("影响职工20人以上", "涉及金额100万元以上"))


def test_reasons_follow_rule_table_order() -> None:
    everything = ImpactFacts(
        safety_risk=True, production_halted=True, wage_arrears=True, employees_affected=500,
        amount_cny=50_000_000, hard_deadline=date(2026, 3, 4),
    )
    got = code(everything, AppealHistory(reopens=2, urges=5), tags=("专精特新",))
    assert got == Decision(
        R,
        (
            "存在安全隐患", "停产停工", "涉及欠薪", "距企业截止日期不超过5个工作日",
            "影响职工100人以上", "涉及金额1000万元以上", "企业不满意重办", "企业二次催办",
        ),
    )
    assert [r.name for r in RULES][:7] == [
        "safety_risk", "production_halted", "wage_arrears", "hard_deadline_red",
        "employees_red", "amount_red", "redo",
    ]


def test_deadline_across_spring_festival_counts_working_days() -> None:
    # Thu 02-12 → 02-25 is 13 calendar days but only 4 working days: 02-13, 02-14 (调休), 02-24, 02-25.
    now = datetime(2026, 2, 12, 15, tzinfo=SHANGHAI)
    assert CAL.working_days_between(date(2026, 2, 12), date(2026, 2, 25)) == 4
    assert code(ImpactFacts(hard_deadline=date(2026, 2, 25)), now=now).urgency is R
    # → 03-05 is 11 working days: yellow.
    assert CAL.working_days_between(date(2026, 2, 12), date(2026, 3, 5)) == 11
    assert code(ImpactFacts(hard_deadline=date(2026, 3, 5)), now=now).urgency is Y


def test_now_is_read_as_shanghai_local_date() -> None:
    # Deadline Fri 03-13: 5 working days from Fri 03-06 (red), 6 from Thu 03-05 (yellow).
    thu_late_utc = datetime(2026, 3, 5, 16, 30, tzinfo=UTC)  # already Fri 00:30 in Shanghai
    assert code(ImpactFacts(hard_deadline=date(2026, 3, 13)), now=thu_late_utc).urgency is R
    thu_morning_utc = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)  # Thu 09:00 in Shanghai
    assert code(ImpactFacts(hard_deadline=date(2026, 3, 13)), now=thu_morning_utc).urgency is Y


def test_far_future_deadline_is_green_and_cheap() -> None:
    assert code(ImpactFacts(hard_deadline=date(9999, 12, 31))) == Decision(G, ("常规诉求",))
    big = replace(POLICY, yellow_deadline_working_days=300)
    assert code(ImpactFacts(hard_deadline=date(2027, 3, 1)), policy=big).urgency is Y


def test_naive_now_rejected() -> None:
    with pytest.raises(ValueError):
        code(ImpactFacts(hard_deadline=date(2026, 3, 13)), now=datetime(2026, 3, 2, 9))


# —— boost and floor ————————————————————————————————————————————————————————————————————


def test_boost_green_to_yellow() -> None:
    assert code(tags=("专精特新",)) == Decision(Y, ("常规诉求", "专精特新企业，提级一档"))


def test_boost_yellow_to_red_and_once_only() -> None:
    got = code(ImpactFacts(employees_affected=20), tags=("规上企业", "专精特新", "外贸"))
    # Both tags match; the policy's order picks 专精特新 and the boost applies once.
    assert got == Decision(R, ("影响职工20人以上", "专精特新企业，提级一档"))
    assert code(ImpactFacts(employees_affected=20), tags=("规上企业",)).reasons[-1] == "规上企业，提级一档"


def test_boost_not_beyond_red() -> None:
    assert code(ImpactFacts(wage_arrears=True), tags=("专精特新",)) == Decision(R, ("涉及欠薪",))
    assert raise_one_step(R) is R and raise_one_step(G) is Y and raise_one_step(Y) is R


def test_unlisted_tag_does_not_boost() -> None:
    assert code(tags=("外贸",)).urgency is G


def test_category_floor() -> None:
    policy = UrgencyPolicy(category_floor={Category.energy: Y, Category.labour: R})
    energy = ImpactFacts(category=Category.energy)
    assert code(energy, policy=policy) == Decision(Y, ("能源类诉求，不低于黄色",))
    assert code(ImpactFacts(category=Category.labour), policy=policy).urgency is R
    assert code(ImpactFacts(category=Category.land), policy=policy) == Decision(G, ("常规诉求",))
    # Floor, then boost: energy + 专精特新 → red.
    assert code(energy, policy=policy, tags=("专精特新",)).urgency is R
    assert code(energy).urgency is G  # default policy has no floors


# —— admin thresholds ———————————————————————————————————————————————————————————————————


def test_admin_thresholds_change_result_and_reason_text() -> None:
    facts = ImpactFacts(employees_affected=60, amount_cny=5_000_000, hard_deadline=date(2026, 3, 12))
    assert code(facts).urgency is Y  # 60 ≥ 20, ¥5M ≥ ¥1M, 8 working days
    strict = replace(POLICY, red_employees=50, red_amount_cny=100_000_000, red_deadline_working_days=10)
    assert code(facts, policy=strict) == Decision(
        R, ("距企业截止日期不超过10个工作日", "影响职工50人以上", "涉及金额100万元以上")
    )
    lax = replace(POLICY, yellow_employees=80, yellow_amount_cny=6_000_000, yellow_deadline_working_days=7)
    assert code(facts, policy=lax) == Decision(G, ("常规诉求",))
    no_boost = replace(POLICY, boost_tags=())
    assert code(tags=("专精特新",), policy=no_boost).urgency is G


def test_amount_text_in_yi() -> None:
    policy = replace(POLICY, red_amount_cny=100_000_000)
    assert code(ImpactFacts(amount_cny=100_000_000), policy=policy).reasons == ("涉及金额1亿元以上",)


def test_policy_is_hashable() -> None:
    assert hash(UrgencyPolicy()) == hash(UrgencyPolicy())
