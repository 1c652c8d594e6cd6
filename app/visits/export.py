"""The 走访台账 as CSV and xlsx, for Excel. Pure formatting, no I/O.

Chinese headers and labels, dates as the Asia/Shanghai calendar day. No enterprise contact or mobile; a mobile
typed into a summary is masked unless the reader may see the enterprise's contact in full (the owning street's
admin, as for the enterprise record). Cells Excel would run as formulas are prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence

from app.core.time import SHANGHAI
from app.enterprises.industry import industry_label
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile
from app.enums import KEY_LEVEL_LABELS, SCALE_LABELS, VISIT_MODE_LABELS, VisitMode
from app.visits.models import Visit
from app.visits.views import Lookups

BOM = "\ufeff"
HEADERS: tuple[str, ...] = (
    "走访编号", "走访日期", "企业名称", "统一社会信用代码", "属地街道", "所属行业", "企业规模", "重点企业", "走访方式",
    "走访人", "走访人单位", "同行人员",
    "走访情况", "收集诉求数", "诉求编号", "宣讲政策数", "回头看日期", "回头看已提醒", "登记方式", "登记时间",
)
VIA_LABELS = {"api": "接口", "chatbot": "钉钉机器人", "page": "页面"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[\s\-]?)?1[3-9][0-9](?:[\s\-]?[0-9]{4}){2}(?![0-9])")


def mask_mobiles(text: str) -> str:
    return _MOBILE_IN_TEXT.sub(lambda m: mask_mobile(m[0]), text)


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def facts(enterprise: Enterprise) -> tuple[str, str, str]:
    """所属行业 (GB/T 4754-2017 code and name), 企业规模, 重点企业: blank when not recorded."""
    industry = industry_label(enterprise.industry) if enterprise.industry else ""
    scale, key_level = enterprise.scale or "", enterprise.key_level or ""
    return industry, SCALE_LABELS.get(scale, scale), KEY_LEVEL_LABELS.get(key_level, key_level)


def row(visit: Visit, found: Lookups, *, full_contact: Callable[[int], bool]) -> list[str | int]:
    enterprise = found.enterprises[visit.enterprise_id]
    visitor = found.person(visit.visitor_user_id, visit.visitor_unit_id)
    summary = visit.summary if full_contact(visit.street_unit_id) else mask_mobiles(visit.summary)
    raised = found.appeals.get(visit.id, [])  # type: ignore[arg-type]
    try:
        mode = VISIT_MODE_LABELS[VisitMode(visit.mode)]
    except ValueError:
        mode = visit.mode
    return [
        visit.id or 0, visit.visited_on.isoformat(), _text(enterprise.name), enterprise.uscc,
        found.units[visit.street_unit_id].name, *facts(enterprise), mode, _text(visitor.name), visitor.unit_name,
        "、".join(_text(found.person(u).name) for u in visit.participant_user_ids), _text(summary), len(raised),
        "、".join(a.number for a in raised), len(visit.policy_ids),
        visit.revisit_on.isoformat() if visit.revisit_on else "", "是" if visit.revisit_sent_at else "否",
        VIA_LABELS.get(visit.via, visit.via), visit.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
    ]


def csv_chunks(rows: Iterable[Sequence[Sequence[str | int]]]) -> Iterable[str]:
    """UTF-8 CSV text (BOM first: Excel otherwise reads Chinese as GBK), one chunk per page of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    yield BOM + buffer.getvalue()
    for page in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(page)
        yield buffer.getvalue()


def xlsx_bytes(rows: Iterable[Sequence[Sequence[str | int]]]) -> bytes:
    """One worksheet 走访台账, header row frozen; openpyxl's write-only mode keeps memory flat per row."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("走访台账")
    sheet.freeze_panes = "A2"
    sheet.append(list(HEADERS))
    try:
        for page in rows:
            for values in page:
                sheet.append(list(values))
    except BaseException:
        book.close()  # the half-written sheet's temporary file, not left for the garbage collector
        raise
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
