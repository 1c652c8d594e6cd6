"""A deterministic data set for the statistics, inserted row by row with exact timestamps.

Every figure the tests expect is worked out by hand in the comments below (times are Asia/Shanghai; November 2026
has no public holidays, so its working days are Monday to Friday). Period P = from 2026-11-02 to 2026-11-15
(dates, both inclusive), i.e. [11-02 00:00, 11-16 00:00). "Now" is Monday 2026-11-16 12:00.

| id  | enterprise (street, district) | created       | cat          | urg | tier     | status      | first response            | resolved (orig. deadline)    | rating | other |
|-----|------------------|----------------|--------------|-----|----------|-------------|---------------------------|------------------------------|--------|-------|
| A1  | 西溪 (西湖)       | 11-02 00:00    | energy       | red | street   | closed      | 11-02 10:00 ≤ 11-03 00:00 | 11-04 15:00 ≤ 11-05 23:59:59 | 满意   | 2 wd  |
| A2  | 西溪 (西湖)       | 11-03 10:00    | funding      | yel | street   | resolved    | 11-04 11:00 > 11-04 10:00 | 11-10 16:00 ≤ 11-17          | –      | returned once; 5 wd |
| A3  | 北山 (西湖)       | 11-05 14:00    | land         | grn | district | closed      | 11-06 09:00 ≤ 11-09       | 11-13 17:00 ≤ 12-03          | 基本满意 | escalated; 6 wd |
| A4  | 湖墅 (拱墅)       | 11-09 09:00    | labour       | yel | street   | closed      | 11-09 09:30 ≤ 11-10 09:00 | 11-12 10:00 > 11-11 23:59:59 | 满意   | 3 wd  |
| A5  | 湖墅 (拱墅)       | 11-10 09:00    | energy       | red | street   | in_progress | 11-10 10:00 ≤ 11-11 09:00 | – (reopened after 不满意)     | 不满意 | reopens 1 |
| A6  | 康桥 (拱墅)       | 11-11 15:00    | approval     | grn | street   | submitted   | none, due 11-13: overdue  | –                            | –      |       |
| A7  | 康桥 (拱墅)       | 11-13 16:00    | policy       | grn | street   | submitted   | none, due 11-17: not yet  | –                            | –      | title starts with "=" |
| A8  | 城厢 (萧山)       | 11-13 10:00    | market       | yel | street   | rejected    | none (rejected: not owed) | –                            | –      |       |
| A9  | 城厢 (萧山)       | 11-14 11:00    | supply_chain | red | city     | in_progress | 11-14 12:00 ≤ 11-15 11:00 | –                            | –      | escalated twice |
| A10 | 西溪 (西湖)       | 11-15 20:00    | energy       | yel | street   | withdrawn   | none (withdrawn)          | –                            | –      |       |
| B1  | 西溪 (西湖)       | 11-01 23:59:59 | other        | grn | street   | submitted   | none, due 11-03: overdue  | –                            | –      | before P |
| B2  | 湖墅 (拱墅)       | 11-16 00:00    | other        | grn | street   | submitted   | none                      | –                            | –      | after P |

City over P: collected 10; resolved 4 (A1–A4) → 0.4; on time 3 (A4 late) → 0.75; first response: owed 7
(A1–A5, A9 responded; A6 overdue), on time 5 (A2 late) → 0.7143; rated 4, satisfied 3 → 0.75; redo 1 (A5) over
5 ever resolved → 0.2; returned 1/10 → 0.1; first tier 3/4 (A3 escalated) → 0.75; within two months 4/4 → 1.0;
working days 2 + 5 + 6 + 3 = 16 over 4 → 4.0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.appeals.models import Appeal
from app.enterprises.models import Enterprise
from app.units.models import Unit

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=SH).astimezone(UTC)
PERIOD = {"from": "2026-11-02", "to": "2026-11-15"}


def t(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SH).astimezone(UTC)


def eod(month: int, day: int) -> datetime:
    return t(month, day, 23, 59, 59)


# enterprise index in the demo seed: 0 西溪, 1 湖墅, 2 康桥, 3 城厢, 4 北山
ROWS: list[dict[str, Any]] = [
    {"key": "A1", "e": 0, "created": t(11, 2), "category": "energy", "urgency": "red", "status": "closed",
         "respond_by": t(11, 3), "responded": t(11, 2, 10), "resolve_by": eod(11, 5), "resolved": t(11, 4, 15),
         "closed": t(11, 5, 9), "rating": "satisfied"},
    {"key": "A2", "e": 0, "created": t(11, 3, 10), "category": "funding", "urgency": "yellow", "status": "resolved",
         "respond_by": t(11, 4, 10), "responded": t(11, 4, 11), "resolve_by": eod(11, 17), "resolved": t(11, 10, 16), "returns": 1},
    {"key": "A3", "e": 4, "created": t(11, 5, 14), "category": "land", "urgency": "green", "status": "closed", "tier": "district",
         "owner": "330106", "escalations": 1, "respond_by": eod(11, 9), "responded": t(11, 6, 9), "resolve_by": eod(12, 3),
         "resolved": t(11, 13, 17), "closed": t(11, 14, 9), "rating": "basically_satisfied"},
    {"key": "A4", "e": 1, "created": t(11, 9, 9), "category": "labour", "urgency": "yellow", "status": "closed",
         "respond_by": t(11, 10, 9), "responded": t(11, 9, 9, 30), "resolve_by": eod(11, 11), "resolved": t(11, 12, 10),
         "closed": t(11, 13, 9), "rating": "satisfied"},
    {"key": "A5", "e": 1, "created": t(11, 10, 9), "category": "energy", "urgency": "red", "status": "in_progress",
         "respond_by": t(11, 11, 9), "responded": t(11, 10, 10), "resolve_by": eod(11, 13), "rating": "dissatisfied", "reopens": 1},
    {"key": "A6", "e": 2, "created": t(11, 11, 15), "category": "approval", "urgency": "green", "status": "submitted",
         "respond_by": eod(11, 13), "resolve_by": eod(12, 9)},
    {"key": "A7", "e": 2, "created": t(11, 13, 16), "category": "policy", "urgency": "green", "status": "submitted",
         "respond_by": eod(11, 17), "resolve_by": eod(12, 11), "title": "=1+2 政策咨询（以等号开头的标题）"},
    {"key": "A8", "e": 3, "created": t(11, 13, 10), "category": "market", "urgency": "yellow", "status": "rejected",
         "respond_by": t(11, 14, 10), "resolve_by": eod(11, 27), "closed": t(11, 13, 15)},
    {"key": "A9", "e": 3, "created": t(11, 14, 11), "category": "supply_chain", "urgency": "red", "status": "in_progress",
         "tier": "city", "owner": "330100", "escalations": 2, "respond_by": t(11, 15, 11), "responded": t(11, 14, 12),
         "resolve_by": eod(11, 18)},
    {"key": "A10", "e": 0, "created": t(11, 15, 20), "category": "energy", "urgency": "yellow", "status": "withdrawn",
         "respond_by": t(11, 16, 20), "resolve_by": eod(11, 27), "closed": t(11, 16, 8)},
    {"key": "B1", "e": 0, "created": t(11, 1, 23, 59, 59), "category": "other", "urgency": "green", "status": "submitted",
         "respond_by": eod(11, 3), "resolve_by": eod(11, 30)},
    {"key": "B2", "e": 1, "created": t(11, 16), "category": "other", "urgency": "green", "status": "submitted",
         "respond_by": eod(11, 18), "resolve_by": eod(12, 14)},
]


def insert_appeal(session: Session, enterprise: Enterprise, *, number: str, created: datetime, owner: Unit | None = None,
                  **fields: Any) -> Appeal:
    fields.setdefault("title", f"测试诉求 {number}")
    appeal = Appeal(
        number=number, enterprise_id=enterprise.id, street_unit_id=enterprise.street_unit_id,  # type: ignore[arg-type]
        unit_id=owner.id if owner else enterprise.street_unit_id, tier=fields.pop("tier", "street"),  # type: ignore[union-attr]
        description=fields.pop("description", "用于统计测试的诉求。"), kind="individual", source="visit",
        urgency_reasons=[], routed_at=created, original_respond_by=fields.get("respond_by"),
        original_resolve_by=fields.get("resolve_by"), created_at=created,
        updated_at=fields.pop("updated", created), **fields,
    )
    session.add(appeal)
    return appeal


def seed(session: Session) -> dict[str, Appeal]:
    """Inserts the table above (the demo city must be seeded) and returns the appeals by key."""
    enterprises = list(session.exec(select(Enterprise).order_by(Enterprise.id)).all())  # type: ignore[arg-type]
    units = {u.code: u for u in session.exec(select(Unit)).all()}
    appeals = {}
    for n, row in enumerate(ROWS, start=1):
        row = dict(row)
        key, e, created = row.pop("key"), row.pop("e"), row.pop("created")
        owner = units[row.pop("owner")] if "owner" in row else None
        mapping = {"responded": "responded_at", "resolved": "resolved_at", "closed": "closed_at"}
        fields = {mapping.get(k, k): v for k, v in row.items()}
        appeals[key] = insert_appeal(session, enterprises[e], number=f"ZQ2026-{n:06d}", created=created,
                                     owner=owner, **fields)
    session.commit()
    return appeals


def shift(value: datetime, **delta: float) -> datetime:
    return value + timedelta(**delta)
