"""The programme's own figures (千名干部助千企, DESIGN §11): rates and the sentence it reports. Pure.

"市县乡三级共选派4407名干部，服务企业8226家，累计走访企业41250家次，收集企业诉求7869个，解决7222个，解决率达91.8%".
The counts come from SQL (see docs/statistics.md, "Programme figures (§11)", for what each one counts); here
only the arithmetic a reviewer must be able to redo by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from app.stats.figures import ratio
from app.visits.cadence import VisitPolicy, due_days

__all__ = ["ProgrammeFigures", "VisitCutoffs", "is_overdue_by_cutoff", "percent_of", "programme_payload",
           "sentence", "visit_cutoffs"]


@dataclass(frozen=True)
class ProgrammeFigures:
    liaisons: int = 0  # 选派干部: cadres paired during the period, under their dispatching unit
    enterprises_paired: int = 0  # 结对企业: paired at the end of the period
    enterprises_served: int = 0  # 服务企业: paired, visited or appealed during the period
    visits: int = 0  # 走访企业家次: visit records
    enterprises_visited: int = 0  # distinct enterprises among those visits
    appeals_collected: int = 0  # 收集企业诉求
    appeals_resolved: int = 0  # 解决
    visit_overdue: int = 0  # paired enterprises overdue for a visit now (not bound to the period)
    enterprises_total: int = 0  # enterprises in scope (coverage denominator)

    def __post_init__(self) -> None:
        # The counts come from SQL; a negative or inconsistent one is a query bug, better loud than published.
        for f in fields(self):
            if getattr(self, f.name) < 0:
                raise ValueError(f"{f.name} must not be negative")
        for part, whole in (("appeals_resolved", "appeals_collected"), ("enterprises_visited", "visits"),
                            ("enterprises_paired", "enterprises_total")):
            if getattr(self, part) > getattr(self, whole):
                raise ValueError(f"{part} must not exceed {whole}")

    @property
    def resolution_rate(self) -> float | None:
        """解决率 = resolved / collected; None when nothing was collected (same rule as /stats/summary)."""
        return ratio(self.appeals_resolved, self.appeals_collected)

    @property
    def pairing_coverage_rate(self) -> float | None:
        """结对覆盖率 = enterprises paired / enterprises in scope; None when the scope has no enterprise."""
        return ratio(self.enterprises_paired, self.enterprises_total)


def percent_of(numerator: int, denominator: int) -> str:
    """`7222, 7869` → `91.8%`: one decimal, half up, from the counts themselves. Rounding the 4-decimal rate
    again would round twice (0.91749… → 0.9175 → 91.8%), and binary floats round .x5 either way."""
    value = (Decimal(100) * numerator / denominator).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}%"


def sentence(figures: ProgrammeFigures) -> str:
    """The programme's phrasing. With no appeal collected there is no rate to state ("解决率0%" would read as
    failure, "100%" as success): the sentence says so instead."""
    f = figures
    head = (f"共选派干部{f.liaisons}名，服务企业{f.enterprises_served}家，"
            f"累计走访企业{f.visits}家次，")
    if f.appeals_collected == 0:
        return head + "尚未收集企业诉求"
    return head + (f"收集企业诉求{f.appeals_collected}个，解决{f.appeals_resolved}个，"
                   f"解决率{percent_of(f.appeals_resolved, f.appeals_collected)}")


def programme_payload(figures: ProgrammeFigures) -> dict[str, object]:
    """The body of GET /api/v1/stats/programme (DESIGN §11): the counts, both rates and the sentence."""
    return {**asdict(figures), "resolution_rate": figures.resolution_rate,
            "pairing_coverage_rate": figures.pairing_coverage_rate, "sentence": sentence(figures)}


@dataclass(frozen=True)
class VisitCutoffs:
    """The cadence rule turned into dates the SQL can compare with: a paired enterprise is overdue today when both
    its last visit (if any) and the start date of its current pairing are before the cutoff of its key level.

    Why this equals `app.visits.cadence.visit_status`: overdue ⇔ today > max(starts) + days ⇔ max(starts) <
    today − days ⇔ every start < cutoff. The SQL then needs no date arithmetic, only comparisons an index answers.
    """

    default: date
    by_key_level: dict[str, date]


def visit_cutoffs(policy: VisitPolicy, today: date) -> VisitCutoffs:
    return VisitCutoffs(
        default=today - timedelta(days=due_days(policy, None)),
        by_key_level={level: today - timedelta(days=due_days(policy, level)) for level in policy.by_key_level},
    )


def is_overdue_by_cutoff(cutoffs: VisitCutoffs, key_level: str | None, last_visited_on: date | None,
                         paired_since: date | None) -> bool:
    """What the SQL of app/stats/programme_queries.py computes for one enterprise (tested against visit_status)."""
    cutoff = cutoffs.by_key_level.get(key_level, cutoffs.default) if key_level is not None else cutoffs.default
    return (paired_since is not None and paired_since < cutoff
            and (last_visited_on is None or last_visited_on < cutoff))
