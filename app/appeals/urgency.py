"""Three-colour urgency coding (红黄绿), DESIGN §3.

``code_urgency`` is a pure function of the appeal's impact facts, the enterprise, the appeal's
history and an admin-tunable policy. The rules are a table (``RULES``) a reviewer can read top to
bottom: every rule that fires contributes its Chinese reason (in table order) and the urgency is the
highest among them. Then the category floor rules, then at most one tag boost. Nothing fired → green,
"常规诉求".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.enums import CATEGORY_LABELS, URGENCY_RANK, Category, Urgency
from app.sla.calendar import WorkingCalendar, local_date
from app.sla.policy import UrgencyPolicy  # the thresholds are sla's settings; re-exported here

__all__ = [
    "RULES",
    "AppealHistory",
    "Decision",
    "EnterpriseProfile",
    "ImpactFacts",
    "Rule",
    "RuleInput",
    "UrgencyPolicy",
    "code_urgency",
    "max_urgency",
    "raise_one_step",
]

ROUTINE_REASON = "常规诉求"


@dataclass(frozen=True)
class ImpactFacts:
    production_halted: bool = False
    safety_risk: bool = False
    wage_arrears: bool = False
    employees_affected: int | None = None
    amount_cny: Decimal | int | None = None
    hard_deadline: date | None = None  # the enterprise's own external deadline (e.g. a bid, a permit)
    category: Category = Category.other


@dataclass(frozen=True)
class EnterpriseProfile:
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppealHistory:
    reopens: int = 0  # redo after an unsatisfied rating (不满意重办)
    urges: int = 0  # enterprise urges (催办)


@dataclass(frozen=True)
class RuleInput:
    facts: ImpactFacts
    enterprise: EnterpriseProfile
    history: AppealHistory
    policy: UrgencyPolicy
    # Working days from today (exclusive) to the hard deadline (inclusive); 0 if today or passed;
    # None if there is no hard deadline. Computed once so predicates stay one-liners.
    wd_to_deadline: int | None


@dataclass(frozen=True)
class Rule:
    name: str
    urgency: Urgency
    reason_template: str  # str.format_map over _template_values(); thresholds come from the policy
    predicate: Callable[[RuleInput], bool]


@dataclass(frozen=True)
class Decision:
    urgency: Urgency
    reasons: tuple[str, ...]


def _cny(amount: int) -> str:
    """Amounts the way Chinese officials write them: 1000万元, 1亿元."""
    if amount and amount % 100_000_000 == 0:
        return f"{amount // 100_000_000}亿元"
    if amount and amount % 10_000 == 0:
        return f"{amount // 10_000}万元"
    return f"{amount}元"


def _template_values(i: RuleInput) -> dict[str, str]:
    p = i.policy
    return {
        "red_employees": str(p.red_employees),
        "yellow_employees": str(p.yellow_employees),
        "red_amount": _cny(p.red_amount_cny),
        "yellow_amount": _cny(p.yellow_amount_cny),
        "red_deadline_wd": str(p.red_deadline_working_days),
        "yellow_deadline_wd": str(p.yellow_deadline_working_days),
        "category": CATEGORY_LABELS.get(i.facts.category, str(i.facts.category)),
    }


def _employees(i: RuleInput) -> int:
    return i.facts.employees_affected or 0


def _amount(i: RuleInput) -> Decimal | int:
    return i.facts.amount_cny or 0


def _deadline_within(i: RuleInput, lo_exclusive: int | None, hi_inclusive: int) -> bool:
    wd = i.wd_to_deadline
    return wd is not None and wd <= hi_inclusive and (lo_exclusive is None or wd > lo_exclusive)


# The yellow rule of a graded fact (deadline, employees, amount) fires only *below* the red threshold,
# so a reason list never says both "100人以上" and "20人以上" for the same fact.
RULES: tuple[Rule, ...] = (
    # —— 红 red ——
    Rule("safety_risk", Urgency.red, "存在安全隐患", lambda i: i.facts.safety_risk),
    Rule("production_halted", Urgency.red, "停产停工", lambda i: i.facts.production_halted),
    Rule("wage_arrears", Urgency.red, "涉及欠薪", lambda i: i.facts.wage_arrears),
    Rule(
        "hard_deadline_red",
        Urgency.red,
        "距企业截止日期不超过{red_deadline_wd}个工作日",
        lambda i: _deadline_within(i, None, i.policy.red_deadline_working_days),
    ),
    Rule(
        "employees_red",
        Urgency.red,
        "影响职工{red_employees}人以上",
        lambda i: _employees(i) >= i.policy.red_employees,
    ),
    Rule(
        "amount_red",
        Urgency.red,
        "涉及金额{red_amount}以上",
        lambda i: _amount(i) >= i.policy.red_amount_cny,
    ),
    Rule("redo", Urgency.red, "企业不满意重办", lambda i: i.history.reopens >= 1),
    # —— 黄 yellow ——
    Rule(
        "hard_deadline_yellow",
        Urgency.yellow,
        "距企业截止日期不超过{yellow_deadline_wd}个工作日",
        lambda i: _deadline_within(
            i, i.policy.red_deadline_working_days, i.policy.yellow_deadline_working_days
        ),
    ),
    Rule(
        "employees_yellow",
        Urgency.yellow,
        "影响职工{yellow_employees}人以上",
        lambda i: i.policy.yellow_employees <= _employees(i) < i.policy.red_employees,
    ),
    Rule(
        "amount_yellow",
        Urgency.yellow,
        "涉及金额{yellow_amount}以上",
        lambda i: i.policy.yellow_amount_cny <= _amount(i) < i.policy.red_amount_cny,
    ),
    Rule("second_urge", Urgency.yellow, "企业二次催办", lambda i: i.history.urges >= 2),
    # —— 类别保底 category floor (admin-configured, empty by default) ——
    Rule(
        "category_floor_red",
        Urgency.red,
        "{category}类诉求，不低于红色",
        lambda i: i.policy.category_floor.get(i.facts.category) == Urgency.red,
    ),
    Rule(
        "category_floor_yellow",
        Urgency.yellow,
        "{category}类诉求，不低于黄色",
        lambda i: i.policy.category_floor.get(i.facts.category) == Urgency.yellow,
    ),
)


def max_urgency(*urgencies: Urgency) -> Urgency:
    return max(urgencies, key=URGENCY_RANK.__getitem__)


def raise_one_step(u: Urgency) -> Urgency:
    """green→yellow, yellow→red, red stays red."""
    rank = min(URGENCY_RANK[u] + 1, max(URGENCY_RANK.values()))
    return next(k for k, r in URGENCY_RANK.items() if r == rank)


def _boost_reason(tag: str) -> str:
    # "规上企业" already ends in 企业; "专精特新" does not.
    subject = tag if tag.endswith("企业") else f"{tag}企业"
    return f"{subject}，提级一档"


def code_urgency(
    facts: ImpactFacts,
    enterprise: EnterpriseProfile,
    history: AppealHistory,
    policy: UrgencyPolicy,
    now: datetime,
    calendar: WorkingCalendar,
) -> Decision:
    """Code an appeal 红/黄/绿 with the reasons, in RULES order. ``now`` must be timezone-aware."""
    today = local_date(now)  # Shanghai date: a 23:30 filing counts from that local day
    wd: int | None = None
    if facts.hard_deadline is not None:
        # Count no further than a horizon that surely holds more working days than any threshold
        # (≥ half of all days are workdays, even around Spring Festival): same decision, but a
        # deadline typed as 9999-12-31 cannot make us walk millions of days.
        horizon = 2 * max(policy.red_deadline_working_days, policy.yellow_deadline_working_days) + 30
        end = min(facts.hard_deadline, today + timedelta(days=horizon))
        wd = calendar.working_days_between(today, end)
    inp = RuleInput(facts, enterprise, history, policy, wd)
    values = _template_values(inp)

    fired = [r for r in RULES if r.predicate(inp)]
    if fired:
        urgency = max_urgency(*(r.urgency for r in fired))
        reasons = [r.reason_template.format_map(values) for r in fired]
    else:
        urgency, reasons = Urgency.green, [ROUTINE_REASON]

    # Boost once, by the first matching tag in the policy's order (deterministic, whatever order the
    # enterprise's tags are stored in). Only recorded when it changes something.
    tag = next((t for t in policy.boost_tags if t in enterprise.tags), None)
    if tag is not None and urgency != Urgency.red:
        urgency = raise_one_step(urgency)
        reasons.append(_boost_reason(tag))

    return Decision(urgency=urgency, reasons=tuple(reasons))
