"""Pure presentation of the dashboard: figures as the programme writes them, the charts, links and date ranges.

Rates are shown like the bulletin shows them (percent with one decimal, "—" where undefined); each figure also
carries the API's exact value (`data-value`, JSON), so a reader — or a test — can check the page against
`GET /api/v1/stats/summary` digit for digit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from markupsafe import Markup

from app.appeals.schemas import AppealRead
from app.core.time import SHANGHAI
from app.enums import CATEGORY_LABELS, STATUS_LABELS, URGENCY_LABELS, Category, Status, Urgency
from app.pages.dashboard import charts, markdown
from app.pages.dashboard.view import DashboardData, UnitOption
from app.policies.schemas import PolicyStats
from app.signin import tokens
from app.stats.bulletin import money, percent
from app.stats.figures import DEFINITIONS
from app.stats.schemas import StatsProgramme, StatsSummary, StatsTimeseries, UnitFigures

PATH = "/dashboard"
HEADLINE = (  # (field, label, short explanation under the figure)
    ("collected", "收集", "统计期内提交的诉求"),
    ("resolved", "解决", "其中已办结"),
    ("resolution_rate", "解决率", "解决 / 收集"),
    ("on_time_rate", "按时办结率", "原始期限内办结 / 解决"),
    ("satisfaction_rate", "满意率", "满意与基本满意 / 已评价"),
    ("first_response_on_time_rate", "首次响应及时率", "时限内签收 / 应响应"),
    ("redo_rate", "重办率", "重办过 / 办结过"),
)
SECONDARY = (
    ("return_rate", "退回率"),
    ("resolved_at_first_tier_rate", "本级解决率"),
    ("resolved_within_two_months_rate", "两个月内解决率"),
    ("avg_working_days_to_resolve", "平均办理工作日"),
)
RANK_RATES = (("resolution_rate", "解决率"), ("on_time_rate", "按时办结率"),
              ("first_response_on_time_rate", "首次响应及时率"), ("satisfaction_rate", "满意率"),
              ("redo_rate", "重办率"), ("return_rate", "退回率"))
URGENCY_BARS = ((Urgency.red, "红色"), (Urgency.yellow, "黄色"), (Urgency.green, "绿色"))


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    text: str  # as shown: "91.8%", "7869", "—"
    value: str  # the API's value as JSON: "0.9178", "7869", "null"
    note: str  # under the figure
    definition: str  # tooltip: the definition of docs/statistics.md


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Cell:
    text: str
    value: str


@dataclass(frozen=True)
class RankRow:
    rank: int
    unit_code: str
    unit_name: str
    href: str
    collected: int
    resolved: int
    rates: list[Cell]


@dataclass(frozen=True)
class AttentionRow:
    number: str
    href: str
    title: str
    urgency: str
    urgency_label: str
    category_label: str
    enterprise_name: str
    unit_name: str
    status_label: str
    resolve_by: str
    overdue: bool
    supervised: bool


@dataclass(frozen=True)
class CoverageRow:
    unit_code: str
    unit_name: str
    href: str
    cells: list[Cell]  # enterprises, paired, coverage, visited in the period, visited in cadence, overdue


POLICY_FIGURES = (  # (field, label, note under it, definition): GET /api/v1/stats/policies
    ("policies", "推送政策", "项", "统计区间内推送到本单位属地企业的政策数"),
    ("enterprises_reached", "触达企业", "家", "收到推送的企业数（去重）"),
    ("deliveries", "推送", "家次", "推送记录数：每项政策每家企业一次"),
    ("read_rate", "已读率", "", "企业已读的推送 / 推送（已读截至目前）"),
    ("interested", "意向申报", "个", "企业提出意向申报的推送数（截至目前）"),
    ("granted", "已兑现", "笔", "登记为已兑现的推送数（截至目前）"),
    ("granted_amount_cny", "兑现金额", "", "已兑现推送登记的金额合计（元）"),
)
COVERAGE_COLUMNS = (("enterprises_total", "企业数"), ("enterprises_paired", "已结对"), ("pairing_coverage_rate", "覆盖率"),
                    ("enterprises_visited", "本期走访企业"), ("visited_in_cadence", "按频次走访"),
                    ("visit_overdue", "走访逾期"))


@dataclass(frozen=True)
class Board:
    unit_code: str
    unit_name: str
    period_text: str
    as_of: str
    from_value: str  # the date inputs
    to_value: str
    headline: list[Figure]
    secondary: list[Figure]
    trend: Markup
    urgency: Markup
    category: Markup
    units: Markup | None  # child units; a street has none and shows its appeals' statuses instead
    status: Markup | None
    ranking: list[RankRow]
    rank_headers: list[str]
    attention: list[AttentionRow]
    attention_truncated: bool
    bulletin_week: str
    bulletin: Markup
    breadcrumb: list[Link]
    options: list[UnitOption]
    ranges: list[Link]
    api_href: str
    programme_sentence: str = ""  # "共选派干部N名，服务企业N家，……" (GET /api/v1/stats/programme)
    coverage: list[CoverageRow] = field(default_factory=list)
    coverage_headers: tuple[tuple[str, str], ...] = COVERAGE_COLUMNS
    policies: list[Figure] | None = None  # None: no panel (a department); []: nothing pushed in the period


def href(unit: str | None = None, start: str | None = None, end: str | None = None) -> str:
    query = urlencode([(k, v) for k, v in (("unit", unit), ("from", start), ("to", end)) if v])
    return f"{PATH}?{query}" if query else PATH


def value_json(value: float | None) -> str:
    return json.dumps(value)


def figure_text(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    if key.endswith("_rate"):
        return percent(float(value))
    return str(value)  # a count, or the average working days as the API gives it ("4.0")


def local_day(value: datetime) -> date:
    return value.astimezone(SHANGHAI).date()


def period_days(summary: StatsSummary) -> tuple[date, date]:
    """First and last local day of the period (`to` is exclusive)."""
    return local_day(summary.from_), local_day(summary.to - timedelta(microseconds=1))


def cn_day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def quick_ranges(today: date, *, unit: str | None, start: str | None, end: str | None) -> list[Link]:
    """本年 (the default), 本季度, 本月, 上月, 近12周, 上年 — each a link keeping the chosen unit."""
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    month = today.replace(day=1)
    last_month_end = month - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    spans: list[tuple[str, date | None, date | None]] = [
        ("本年", None, None),
        ("本季度", quarter, today),
        ("本月", month, today),
        ("上月", last_month_end.replace(day=1), last_month_end),
        ("近12周", monday - timedelta(weeks=11), today),
        ("上年", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    ]
    links = []
    for text, first, last in spans:
        a, b = (first.isoformat() if first else None), (last.isoformat() if last else None)
        links.append(Link(text, href(unit, a, b), current=(start or None, end or None) == (a, b)))
    return links


def _figure(summary: StatsSummary, key: str, label: str, note: str) -> Figure:
    value = getattr(summary, key)
    definition = DEFINITIONS[key].split("。 ")[0] if key in DEFINITIONS else label
    return Figure(key, label, figure_text(key, value), value_json(value), note, definition)


def headline(summary: StatsSummary) -> list[Figure]:
    figures = [_figure(summary, key, label, note) for key, label, note in HEADLINE]
    return [
        f if f.key != "resolution_rate" else Figure(f.key, f.label, f.text, f.value,
                                                    f"解决 {summary.resolved} / 收集 {summary.collected}", f.definition)
        for f in figures
    ]


def secondary(summary: StatsSummary) -> list[Figure]:
    return [_figure(summary, key, label, "") for key, label in SECONDARY]


def _md(d: date) -> str:
    return f"{d.month}月{d.day}日"


def trend_svg(weeks: StatsTimeseries) -> str:
    points = [
        charts.Week(label=f"{p.start.month}/{p.start.day}",
                    tip=f"{p.label}（{_md(p.start)}—{_md(p.end)}）：收集 {p.collected}，其中已解决 {p.resolved}",
                    total=p.collected, part=p.resolved)
        for p in weeks.items
    ]
    return charts.trend_chart(points, title=f"{weeks.unit_name} 每周收集与解决（按提交周）")


def urgency_svg(summary: StatsSummary) -> str:
    bars = [charts.Bar(label, summary.by_urgency.get(code, 0), tone=code.value) for code, label in URGENCY_BARS]
    return charts.bar_chart(bars, title=f"{summary.unit_name} 紧急程度分布")


def category_svg(summary: StatsSummary) -> str:
    labels = {c.value: label for c, label in CATEGORY_LABELS.items()}
    order = {c.value: i for i, c in enumerate(Category)}
    items = sorted(summary.by_category.items(), key=lambda kv: (-kv[1], order.get(kv[0], 99), kv[0]))
    bars = [charts.Bar(labels.get(code, code), n) for code, n in items]
    return charts.bar_chart(bars, title=f"{summary.unit_name} 诉求类别分布")


def status_svg(summary: StatsSummary) -> str:
    bars = [charts.Bar(label, summary.by_status.get(code, 0)) for code, label in STATUS_LABELS.items()]
    return charts.bar_chart(bars, title=f"{summary.unit_name} 办理状态分布（当前状态）")


def units_svg(summary: StatsSummary) -> str:
    bars = [charts.Bar(row.unit_name, row.collected, part=row.resolved, note=f"{row.collected}（解决 {row.resolved}）")
            for row in summary.by_unit]
    return charts.bar_chart(bars, title=f"{summary.unit_name} 下级单位收集与解决",
                            legend=(("收集", "b-pri"), ("其中已解决", "b-pri-part")))


def ranking(rows: list[UnitFigures], *, start: str | None, end: str | None) -> list[RankRow]:
    return [
        RankRow(rank=r.rank, unit_code=r.unit_code, unit_name=r.unit_name, href=href(r.unit_code, start, end),
                collected=r.collected, resolved=r.resolved,
                rates=[Cell(percent(getattr(r, key), missing="—"), value_json(getattr(r, key))) for key, _ in RANK_RATES])
        for r in rows
    ]


def coverage(programme: StatsProgramme | None, *, start: str | None, end: str | None) -> list[CoverageRow]:
    if programme is None:
        return []
    return [
        CoverageRow(r.unit_code, r.unit_name, href(r.unit_code, start, end),
                    [Cell(figure_text(key, getattr(r, key)), value_json(getattr(r, key))) for key, _ in COVERAGE_COLUMNS])
        for r in programme.by_unit
    ]


def policy_figures(stats: PolicyStats | None) -> list[Figure] | None:
    """The policy panel's figures as the bulletin writes them (rates in percent, money in 元/万元)."""
    if stats is None or not stats.deliveries:
        return None if stats is None else []
    figures = []
    for key, label, unit, definition in POLICY_FIGURES:
        value = getattr(stats, key)
        text = money(value) if key == "granted_amount_cny" else f"{figure_text(key, value)}{unit}"
        figures.append(Figure(key, label, text, value_json(value), "", definition))
    return figures


def short_time(value: datetime | None) -> str:
    return "—" if value is None else f"{value.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def attention(items: list[AppealRead]) -> list[AttentionRow]:
    return [
        AttentionRow(
            number=a.number, href=tokens.appeal_path(a.number), title=a.title, urgency=a.urgency,
            urgency_label=URGENCY_LABELS[Urgency(a.urgency)],
            category_label=CATEGORY_LABELS[Category(a.category)],
            enterprise_name=a.enterprise_name or "", unit_name=a.unit_name or "",
            status_label=STATUS_LABELS[Status(a.status)], resolve_by=short_time(a.deadlines.resolve_by),
            overdue=a.sla_state == "overdue", supervised=a.supervised,
        )
        for a in items
    ]


def present(data: DashboardData, *, unit: str | None, start: str | None, end: str | None) -> Board:
    s = data.summary
    first, last = period_days(s)
    today = date.fromisoformat(data.today)
    return Board(
        unit_code=s.unit_code, unit_name=s.unit_name,
        period_text=f"{cn_day(first)}至{cn_day(last)}", as_of=short_time(s.as_of),
        from_value=first.isoformat(), to_value=last.isoformat(),
        headline=headline(s), secondary=secondary(s),
        trend=Markup(trend_svg(data.weeks)), urgency=Markup(urgency_svg(s)), category=Markup(category_svg(s)),
        units=Markup(units_svg(s)) if data.has_children else None,
        status=None if data.has_children else Markup(status_svg(s)),
        ranking=ranking(s.by_unit, start=start, end=end), rank_headers=[label for _, label in RANK_RATES],
        attention=attention(data.attention.items), attention_truncated=data.attention.truncated,
        bulletin_week=data.bulletin.week, bulletin=Markup(markdown.to_html(data.bulletin.markdown, heading_offset=1)),
        breadcrumb=[Link(u.name, href(u.code if i else None, start, end), current=i == len(data.breadcrumb) - 1)
                    for i, u in enumerate(data.breadcrumb)],
        options=data.options,
        ranges=quick_ranges(today, unit=unit, start=start, end=end),
        api_href="/api/v1/stats/summary" + href(unit, start, end).removeprefix(PATH),
        programme_sentence=data.programme.sentence if data.programme else "",
        coverage=coverage(data.programme, start=start, end=end),
        policies=policy_figures(data.policies),
    )
