"""CSV export of appeals with their timestamps and outcomes, for Excel. Pure formatting, no I/O.

UTF-8 with a BOM (Excel otherwise reads Chinese as GBK), Chinese headers and labels, times in Asia/Shanghai.
No contact names or mobiles. Cells that Excel would run as formulas are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from app.core.time import SHANGHAI
from app.enums import (
    CATEGORY_LABELS,
    RATING_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    URGENCY_LABELS,
    AppealKind,
    Category,
    Rating,
    Source,
    Status,
    Tier,
    Urgency,
)
from app.stats.figures import NOT_DUE_UNANSWERED, TWO_MONTHS_DAYS

BOM = "\ufeff"
KIND_LABELS = {AppealKind.individual: "个性问题", AppealKind.common: "共性问题", AppealKind.institutional: "体制机制性问题"}
SOURCE_LABELS = {Source.mini_program: "小程序", Source.visit: "走访", Source.hotline: "热线", Source.chatbot: "钉钉机器人",
                 Source.api: "接口"}

# Columns read from `appeal`, in this order; the enterprise's name and USCC follow them in each row.
APPEAL_COLUMNS: tuple[str, ...] = (
    "id", "number", "street_unit_id", "unit_id", "tier", "category", "urgency", "status", "kind", "source", "title",
    "created_at", "original_respond_by", "responded_at", "original_resolve_by", "resolve_by", "resolved_at",
    "closed_at", "resolution_code", "rating", "urges", "returns", "extensions", "reopens", "escalations",
    "supervised",
)
HEADERS: tuple[str, ...] = (
    "诉求编号", "企业名称", "统一社会信用代码", "属地街道", "当前承办单位", "当前层级", "诉求类别", "紧急程度", "状态",
    "问题类型", "来源", "标题", "提交时间", "首次响应期限", "首次响应时间", "首次响应是否及时", "办结期限（原始）",
    "办结期限（当前）", "办结时间", "是否按时办结", "办理工作日", "两个月内解决", "结案时间", "办结类型", "评价",
    "催办次数", "退回次数", "延期次数", "重办次数", "提级次数", "是否督办",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _label(labels: Mapping[Any, str], enum: type, value: str | None) -> str:
    if value is None:
        return ""
    try:
        return labels[enum(value)]
    except (ValueError, KeyError):
        return value


def _time(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(HEADERS)
    return BOM + buffer.getvalue()


def lines(rows: Sequence[Sequence[Any]], *, unit_names: Mapping[int, str], workdays: Sequence[int],
          first_day: date, now: datetime) -> str:
    """CSV text for a batch of rows (APPEAL_COLUMNS values, then enterprise name and USCC)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(_row(dict(zip(APPEAL_COLUMNS, row, strict=False)), row[-2], row[-1], unit_names=unit_names,
                             workdays=workdays, first_day=first_day, now=now))
    return buffer.getvalue()


def _working_days(created: datetime, resolved: datetime, workdays: Sequence[int], first_day: date) -> int:
    top = len(workdays) - 1

    def at(t: datetime) -> int:
        return workdays[min(max((t.astimezone(SHANGHAI).date() - first_day).days, 0), top)]

    return at(resolved) - at(created)


def _responded_on_time(a: dict[str, Any], now: datetime) -> bool | None:
    """As in the first-response rate: blank while not yet owed, or when it never will be."""
    responded, respond_by = a["responded_at"], a["original_respond_by"]
    if responded is not None:
        return respond_by is None or responded <= respond_by
    if respond_by is not None and respond_by < now and a["status"] not in NOT_DUE_UNANSWERED:
        return False
    return None


def _row(a: dict[str, Any], enterprise_name: str, uscc: str, *, unit_names: Mapping[int, str],
         workdays: Sequence[int], first_day: date, now: datetime) -> list[str | int]:
    responded, resolved = a["responded_at"], a["resolved_at"]
    respond_by, resolve_by = a["original_respond_by"], a["original_resolve_by"]
    created = a["created_at"]
    return [
        a["number"], _text(enterprise_name), uscc, unit_names.get(a["street_unit_id"], ""),
        unit_names.get(a["unit_id"], ""), _label(TIER_LABELS, Tier, a["tier"]),
        _label(CATEGORY_LABELS, Category, a["category"]), _label(URGENCY_LABELS, Urgency, a["urgency"]),
        _label(STATUS_LABELS, Status, a["status"]), _label(KIND_LABELS, AppealKind, a["kind"]),
        _label(SOURCE_LABELS, Source, a["source"]), _text(a["title"]), _time(created), _time(respond_by),
        _time(responded), _yes_no(_responded_on_time(a, now)),
        _time(resolve_by), _time(a["resolve_by"]), _time(resolved),
        _yes_no(None if resolved is None else resolve_by is None or resolved <= resolve_by),
        "" if resolved is None else _working_days(created, resolved, workdays, first_day),
        _yes_no(None if resolved is None else (resolved.astimezone(SHANGHAI).date()
                                               - created.astimezone(SHANGHAI).date()).days <= TWO_MONTHS_DAYS),
        _time(a["closed_at"]), _text(a["resolution_code"]), _label(RATING_LABELS, Rating, a["rating"]),
        a["urges"], a["returns"], a["extensions"], a["reopens"], a["escalations"], _yes_no(a["supervised"]),
    ]
