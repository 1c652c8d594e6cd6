"""The programme's figures: what each count means and how each rate is derived from the counts. Pure.

Counts come from one SQL aggregate (app/stats/queries.py); every rate is a quotient of two counts, a fraction
in 0..1 rounded to 4 decimals, and `None` when its denominator is 0 ("undefined", never 0 or 1 by convention).
The texts in DEFINITIONS are the single source for docs/statistics.md and the OpenAPI descriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from app.enums import Status

# Never signed for and then taken out of the loop (不予受理, 撤回, 合并): no first response is owed any more.
NOT_DUE_UNANSWERED: tuple[Status, ...] = (Status.rejected, Status.withdrawn, Status.merged)
# Within this many calendar days (Asia/Shanghai dates) of filing counts as "两个月内解决".
TWO_MONTHS_DAYS = 60
RATE_DECIMALS = 4


@dataclass(frozen=True)
class Counts:
    """Counts over the appeals collected (created) in a period and scope. All are appeal counts except
    `working_days`, a sum of working days over the resolved appeals."""

    collected: int = 0
    resolved: int = 0
    on_time: int = 0
    responded: int = 0
    unanswered_overdue: int = 0
    responded_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    redone: int = 0
    ever_resolved: int = 0
    returned: int = 0
    first_tier: int = 0
    within_two_months: int = 0
    working_days: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    @property
    def response_due(self) -> int:
        """Appeals that owed a first response: answered, or unanswered past the original deadline."""
        return self.responded + self.unanswered_overdue

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> Counts:
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})


MEASURES: tuple[str, ...] = tuple(f.name for f in fields(Counts))
# Depends on the moment of the request, so never stored in the daily rollup (app/stats/rollup.py).
LIVE_MEASURES: tuple[str, ...] = ("unanswered_overdue",)
STORED_MEASURES: tuple[str, ...] = tuple(m for m in MEASURES if m not in LIVE_MEASURES)


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator <= 0 else round(numerator / denominator, RATE_DECIMALS)


@dataclass(frozen=True)
class Rates:
    resolution_rate: float | None
    on_time_rate: float | None
    first_response_on_time_rate: float | None
    satisfaction_rate: float | None
    redo_rate: float | None
    return_rate: float | None
    resolved_at_first_tier_rate: float | None
    resolved_within_two_months_rate: float | None
    avg_working_days_to_resolve: float | None


def rates(c: Counts) -> Rates:
    return Rates(
        resolution_rate=ratio(c.resolved, c.collected),
        on_time_rate=ratio(c.on_time, c.resolved),
        first_response_on_time_rate=ratio(c.responded_on_time, c.response_due),
        satisfaction_rate=ratio(c.satisfied, c.rated),
        redo_rate=ratio(c.redone, c.ever_resolved),
        return_rate=ratio(c.returned, c.collected),
        resolved_at_first_tier_rate=ratio(c.first_tier, c.resolved),
        resolved_within_two_months_rate=ratio(c.within_two_months, c.resolved),
        avg_working_days_to_resolve=None if c.resolved <= 0 else round(c.working_days / c.resolved, 2),
    )


DEFINITIONS: dict[str, str] = {
    "collected": "收集：统计期 [from, to) 内提交（created_at）的诉求数，范围内按属地街道归属。"
    " Appeals created in [from, to) whose enterprise's street (属地) is in the unit's subtree.",
    "resolved": "解决：上述诉求中已办结（resolved_at 非空，状态为已办结或已结案）的数量。"
    " Of those, resolved_at is set (status resolved or closed).",
    "resolution_rate": "解决率 = 解决 / 收集。 resolved / collected.",
    "on_time_rate": "按时办结率 = 在原始办结期限（original_resolve_by，不含延期）之前办结的 / 解决；"
    "无期限的视为按时。 Resolved with resolved_at ≤ original_resolve_by (extensions do not count) / resolved.",
    "first_response_on_time_rate": "首次响应及时率（24小时响应率）= 在原始响应期限前签收的 / 应响应的；"
    "应响应 = 已签收，或未签收但原始响应期限已过（不予受理、撤回、合并且未签收的除外）。"
    " responded_at ≤ original_respond_by / (responded, or unresponded past original_respond_by "
    "excluding rejected, withdrawn and merged appeals never responded to).",
    "satisfaction_rate": "满意率 =（满意 + 基本满意）/ 已评价。"
    " (satisfied + basically_satisfied) / rated; ratings from the app or the phone callback.",
    "redo_rate": "重办率 = 重办过（reopens > 0）的 / 办结过的（resolved_at 非空或 reopens > 0）。"
    " Appeals reopened at least once / appeals resolved at least once.",
    "return_rate": "退回率 = 被退回过（returns > 0）的 / 收集。 Appeals returned at least once / collected.",
    "resolved_at_first_tier_rate": "本级解决率 = 在首次接收的街道层级办结且从未提级的 / 解决。"
    " Resolved while at the street tier that first received it, never escalated / resolved.",
    "resolved_within_two_months_rate": f"两个月内解决率 = 提交后 {TWO_MONTHS_DAYS} 个自然日内（按北京时间日期）"
    f"办结的 / 解决。 Resolved within {TWO_MONTHS_DAYS} calendar days (Asia/Shanghai dates) of filing / resolved.",
    "avg_working_days_to_resolve": "平均办理工作日 = 各办结诉求从提交日到办结日之间的工作日数（按法定节假日及调休，"
    "不含提交当日）之和 / 解决。 Mean of working days after the filing date up to the resolution date.",
}
