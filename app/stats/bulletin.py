"""The weekly bulletin (周报) in the style of a government work report, as Chinese markdown. Pure.

"本周收集企业诉求X个，解决Y个，解决率Z%……": the figures are those of app.stats.figures, percentages with one
decimal, "暂无" where a rate is undefined; amounts of money in 元 below 1万, else in 万元 (亿元 from 1亿) with at most
two decimals, as such reports write them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.enums import CATEGORY_LABELS, Status
from app.policies.schemas import PolicyStats
from app.stats.figures import TWO_MONTHS_DAYS, Counts, rates
from app.stats.schemas import UnitFigures

OPEN_FOR_REPORT = ((Status.submitted, "待签收"), (Status.in_progress, "办理中"), (Status.pending_info, "待补充"),
                   (Status.returned, "已退回"))


@dataclass(frozen=True)
class VisitLine:
    """The programme's line of the bulletin (走访): this week's visits, the year's, pairing and overdue now."""

    week_visits: int
    week_enterprises: int
    year_visits: int
    enterprises_paired: int
    pairing_coverage_rate: float | None
    visit_overdue: int


@dataclass(frozen=True)
class PolicyLine:
    """The bulletin's policy section (政策推送与兑现): the week's pushes and the year's so far, each as
    GET /stats/policies gives them for that period (deliveries made in it, and what came of them so far)."""

    week: PolicyStats
    year: PolicyStats


@dataclass(frozen=True)
class BulletinInput:
    unit_name: str
    week_label: str  # 2026-W47
    first_day: date
    last_day: date
    week: Counts
    week_by_category: Mapping[str, int]
    week_by_urgency: Mapping[str, int]
    year: Counts
    year_by_status: Mapping[str, int]
    ranking: Sequence[UnitFigures]
    visits: VisitLine | None = None
    policies: PolicyLine | None = None


NUMERALS = "一二三四五六七八九"


def percent(rate: float | None, *, missing: str = "暂无") -> str:
    return missing if rate is None else f"{rate * 100:.1f}%"


def money(amount_cny: int) -> str:
    """8000元, 80万元, 81.23万元, 1.5亿元: rounded half up to two decimals of the unit, trailing zeros dropped."""
    if amount_cny < 10_000:
        return f"{amount_cny}元"
    divisor, unit = (100_000_000, "亿元") if amount_cny >= 100_000_000 else (10_000, "万元")
    value = (Decimal(amount_cny) / divisor).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value:f}".rstrip("0").rstrip(".") + unit


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _categories(by_category: Mapping[str, int]) -> str:
    present = sorted(((n, code) for code, n in by_category.items() if n), key=lambda item: (-item[0], item[1]))
    labels = {c.value: label for c, label in CATEGORY_LABELS.items()}
    return "、".join(f"{labels.get(code, code)}{n}个" for n, code in present)


def render(data: BulletinInput) -> str:
    year, week_no = data.week_label.split("-W")
    w, wr = data.week, rates(data.week)
    y, yr = data.year, rates(data.year)
    lines = [
        f"# {data.unit_name}助企服务周报",
        "",
        f"**{year}年第{int(week_no)}周（{data.first_day.year}年{_day(data.first_day)}至{_day(data.last_day)}）**",
        "",
        "## 一、本周情况",
        "",
        (f"本周收集企业诉求{w.collected}个，解决{w.resolved}个，解决率{percent(wr.resolution_rate)}；"
         f"按时办结率{percent(wr.on_time_rate)}，首次响应及时率{percent(wr.first_response_on_time_rate)}；"
         f"企业评价{w.rated}个，满意率{percent(wr.satisfaction_rate)}。"),
    ]
    if data.visits is not None:
        v = data.visits
        lines += ["", (f"本周走访企业{v.week_visits}家次（{v.week_enterprises}家），{data.last_day.year}年以来累计走访企业"
                       f"{v.year_visits}家次；结对企业{v.enterprises_paired}家，结对覆盖率"
                       f"{percent(v.pairing_coverage_rate)}，目前走访逾期企业{v.visit_overdue}家。")]
    if w.collected:
        u = data.week_by_urgency
        lines += ["", (f"按紧急程度：红色{u.get('red', 0)}个、黄色{u.get('yellow', 0)}个、绿色{u.get('green', 0)}个。"
                       f"按类别：{_categories(data.week_by_category)}。")]
    open_counts = [(label, data.year_by_status.get(status, 0)) for status, label in OPEN_FOR_REPORT]
    open_total = sum(n for _, n in open_counts)
    lines += [
        "",
        "## 二、累计情况",
        "",
        (f"{data.last_day.year}年以来累计收集企业诉求{y.collected}个，解决{y.resolved}个，"
         f"解决率{percent(yr.resolution_rate)}；"
         + (f"{percent(yr.resolved_within_two_months_rate)}的问题在两个月（{TWO_MONTHS_DAYS}天）内完成解决，"
            f"平均办理{yr.avg_working_days_to_resolve}个工作日；"
            if yr.resolved_within_two_months_rate is not None and yr.avg_working_days_to_resolve is not None
            else "尚无已解决的诉求，两个月内解决率和平均办理时长暂无；")
         + f"首次接收层级（街道）解决率{percent(yr.resolved_at_first_tier_rate)}；"
         f"企业满意率{percent(yr.satisfaction_rate)}，重办率{percent(yr.redo_rate)}，退回率{percent(yr.return_rate)}。"),
        "",
        f"今年收集的诉求中，目前仍在办理的{open_total}个"
        + (f"（{'、'.join(f'{label}{n}个' for label, n in open_counts if n)}）。" if open_total else "。"),
    ]
    sections = iter(NUMERALS[2:])
    if data.policies is not None:
        lines += ["", f"## {next(sections)}、政策推送与兑现", ""] + _policy_lines(data.policies, data.last_day.year)
    if data.ranking:
        lines += ["", f"## {next(sections)}、各单位情况（本周）", "", "| 排名 | 单位 | 收集 | 解决 | 解决率 | 按时办结率 | 满意率 |",
                  "|---:|---|---:|---:|---:|---:|---:|"]
        lines += [
            f"| {row.rank} | {row.unit_name} | {row.collected} | {row.resolved} | {percent(row.resolution_rate, missing='—')} "
            f"| {percent(row.on_time_rate, missing='—')} | {percent(row.satisfaction_rate, missing='—')} |"
            for row in data.ranking
        ]
    lines += ["", f"## {next(sections)}、工作提示", ""] + [f"- {tip}" for tip in _tips(data)]
    return "\n".join(lines) + "\n"


def _policy_figures(p: PolicyStats) -> str:
    return (f"推送政策{p.policies}项，触达企业{p.enterprises_reached}家（{p.deliveries}家次），"
            f"企业已读率{percent(p.read_rate)}；企业意向申报{p.interested}个；"
            f"已兑现{p.granted}笔，兑现金额{money(p.granted_amount_cny)}")


def _policy_lines(line: PolicyLine, year: int) -> list[str]:
    if not line.year.deliveries and not line.week.deliveries:
        return [f"本周未推送政策，{year}年以来尚未推送政策。"]
    return [
        f"本周{_policy_figures(line.week)}。" if line.week.deliveries else "本周未推送政策。",
        "",
        f"{year}年以来累计{_policy_figures(line.year)}。" if line.year.deliveries else f"{year}年以来尚未推送政策。",
        "",
        "注：政策按推送时间计入统计期，已读、意向申报和兑现情况统计至本报生成时。",
    ]


def _tips(data: BulletinInput) -> list[str]:
    w = data.week
    tips = []
    red = data.week_by_urgency.get("red", 0)
    if red:
        tips.append(f"本周新增红色诉求{red}个，请承办单位按红色诉求时限加快办理，逐件跟踪销号。")
    late_response = w.response_due - w.responded_on_time
    if late_response:
        tips.append(f"本周有{late_response}个诉求未在时限内首次响应，请相关单位落实首问负责制。")
    if w.redone:
        tips.append(f"本周诉求中有{w.redone}个因企业不满意转为重办，请做好跟踪回访。")
    if w.returned:
        tips.append(f"本周诉求中有{w.returned}个被退回，请上级单位及时研判改派。")
    return tips or ["本周各项工作运行平稳，请继续做好诉求跟踪和回访工作。"]
