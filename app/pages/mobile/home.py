"""The liaison's mobile home (/m/ after sign-in): the appeals waiting at the viewer's unit (待办), the same list as
the chatbot's 待办, each linking to its page; and for a staff user, 我的企业 (paired and building enterprises with
the visit cadence) with a 走访登记 form (DESIGN §11). A session opened by a one-time chat link sees only its own
appeal, so it gets neither."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app.appeals import todo
from app.core.time import shanghai_date
from app.enums import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
    VISIT_MODE_LABELS,
    Category,
    SlaState,
    Status,
    Urgency,
)
from app.errors import Forbidden
from app.pages.mobile import present
from app.pages.mobile.visit_form import VisitChoices, choices, may_record_visits
from app.signin import tokens
from app.signin.service import Viewer
from app.pairing.schemas import MyEnterprise
from app.units.models import Unit
from app.visits import mine

HOME_LIMIT = 30


@dataclass(frozen=True)
class TodoItem:
    number: str
    path: str
    title: str
    urgency: str
    urgency_label: str
    status_label: str
    category_label: str
    deadline_label: str
    deadline_text: str
    overdue: bool


@dataclass(frozen=True)
class MineItem:
    uscc: str
    name: str
    street_code: str
    street_name: str
    via_label: str
    last_visit_text: str
    next_due_text: str
    overdue: bool
    open_appeals: int


@dataclass(frozen=True)
class HomePage:
    unit_name: str | None
    counts: todo.TodoCounts
    items: tuple[TodoItem, ...]
    mine: tuple[MineItem, ...] | None = None  # None: no 我的企业 section (no user behind the session)
    form: VisitChoices = VisitChoices()  # what the 走访登记 form offers (同行人员, 宣讲政策)
    today: date | None = None
    modes: tuple[tuple[str, str], ...] = tuple((m.value, label) for m, label in VISIT_MODE_LABELS.items())
    categories: tuple[tuple[str, str], ...] = tuple((c.value, label) for c, label in CATEGORY_LABELS.items())

    @property
    def more(self) -> int:
        return self.counts.total - len(self.items)


def _item(appeal) -> TodoItem:  # type: ignore[no-untyped-def]
    waiting = appeal.status == Status.submitted
    deadline = appeal.respond_by if waiting else appeal.resolve_by
    return TodoItem(
        number=appeal.number, path=tokens.appeal_path(appeal.number), title=appeal.title, urgency=appeal.urgency,
        urgency_label=URGENCY_LABELS.get(Urgency(appeal.urgency), appeal.urgency),
        status_label=STATUS_LABELS.get(Status(appeal.status), appeal.status),
        category_label=CATEGORY_LABELS.get(Category(appeal.category), appeal.category),
        deadline_label="签收期限" if waiting else "办结期限", deadline_text=present.format_local(deadline),
        overdue=appeal.sla_state == SlaState.overdue,
    )


def _mine_item(e: MyEnterprise) -> MineItem:
    last = f"{e.last_visited_on}（{e.days_since} 天前）" if e.last_visited_on is not None else "尚未走访"
    return MineItem(
        uscc=e.uscc, name=e.name, street_code=e.street_code, street_name=e.street_name, via_label="结对" if e.via == "pairing" else "楼长包干",
        last_visit_text=last, next_due_text=str(e.next_due_on) if e.next_due_on else "—",
        overdue=e.visit_overdue, open_appeals=e.open_appeals,
    )


def _mine(session: Session, viewer: Viewer, today: date) -> tuple[MineItem, ...] | None:
    if not may_record_visits(viewer):
        return None
    try:
        return tuple(_mine_item(e) for e in mine.my_enterprises(session, viewer.principal, today=today))
    except Forbidden:
        return None


def home_page(session: Session, viewer: Viewer, *, now: datetime) -> HomePage:
    today = shanghai_date(now)
    if viewer.scope is not None or viewer.principal.unit_id is None:
        return HomePage(unit_name=None, counts=todo.TodoCounts(), items=(), today=today)
    unit = session.get(Unit, viewer.principal.unit_id)
    counts, rows = todo.unit_todo(session, viewer.principal.unit_id, limit=HOME_LIMIT)
    enterprises = _mine(session, viewer, today)
    form = (choices(session, viewer, (e.street_code for e in enterprises), today=today) if enterprises
            else VisitChoices())
    return HomePage(unit_name=unit.name if unit else None, counts=counts, items=tuple(_item(a) for a in rows),
                    mine=enterprises, today=today, form=form)
