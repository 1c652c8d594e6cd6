"""The liaison's mobile home (/m/ after sign-in): the appeals waiting at the viewer's unit (待办), the same list as
the chatbot's 待办, each linking to its page. A session opened by a one-time chat link sees only its own appeal."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.appeals import todo
from app.enums import CATEGORY_LABELS, STATUS_LABELS, URGENCY_LABELS, Category, SlaState, Status, Urgency
from app.pages import present, tokens
from app.pages.service import Viewer
from app.units.models import Unit

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
class HomePage:
    unit_name: str | None
    counts: todo.TodoCounts
    items: tuple[TodoItem, ...]

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


def home_page(session: Session, viewer: Viewer) -> HomePage:
    if viewer.scope is not None or viewer.principal.unit_id is None:
        return HomePage(unit_name=None, counts=todo.TodoCounts(), items=())
    unit = session.get(Unit, viewer.principal.unit_id)
    counts, rows = todo.unit_todo(session, viewer.principal.unit_id, limit=HOME_LIMIT)
    return HomePage(unit_name=unit.name if unit else None, counts=counts, items=tuple(_item(a) for a in rows))
