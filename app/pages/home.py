"""The liaison's mobile home (/m/ after sign-in): the appeals waiting at the viewer's unit (待办), the same list as
the chatbot's 待办, each linking to its page; and for a staff user, 我的企业 (paired and building enterprises with
the visit cadence) with a 走访登记 form (DESIGN §11). A session opened by a one-time chat link sees only its own
appeal, so it gets neither."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
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
from app.errors import AppError, Forbidden, InvalidInput
from app.pages import forms, present, tokens
from app.pages.service import Viewer
from app.pairing.schemas import MyEnterprise
from app.units.models import Unit
from app.visits import mine
from app.visits import service as visits
from app.visits.schemas import VisitCreate

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
        uscc=e.uscc, name=e.name, street_name=e.street_name, via_label="结对" if e.via == "pairing" else "楼长包干",
        last_visit_text=last, next_due_text=str(e.next_due_on) if e.next_due_on else "—",
        overdue=e.visit_overdue, open_appeals=e.open_appeals,
    )


def may_record_visits(viewer: Viewer) -> bool:
    """A visit is always somebody's: a full session (not a chat link's, not a group link's) of a staff user."""
    return viewer.scope is None and not viewer.read_only and viewer.principal.user_id is not None


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
    return HomePage(unit_name=unit.name if unit else None, counts=counts, items=tuple(_item(a) for a in rows),
                    mine=_mine(session, viewer, today), today=today)


# --- the 走访登记 form ------------------------------------------------------------------------------------------

VISIT_FIELDS = ("enterprise_uscc", "mode", "visited_on", "summary", "appeal_title", "appeal_description",
                "appeal_category", "form_key")
VISIT_LABELS = {
    "enterprise_uscc": "企业", "mode": "走访方式", "visited_on": "走访日期", "summary": "走访情况摘要",
    "appeals.0.title": "诉求标题", "appeals.0.description": "诉求描述", "appeals.0.category": "诉求类别",
    "header.Idempotency-Key": "表单编号",
}
PYDANTIC_MESSAGES = {
    "missing": "必填", "string_too_short": "不能为空", "enum": "请从列表中选择", "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确", "date_type": "日期格式不正确",
}


@dataclass(frozen=True)
class VisitForm:
    """What the 走访登记 form posted (strings, as browsers send them; blanks dropped)."""

    csrf: str | None = None
    values: dict[str, str] = field(default_factory=dict)


def new_form_key() -> str:
    """One per rendered form, sent as the Idempotency-Key: a double tap on 提交 records one visit."""
    return tokens.new_nonce()


def _text(values: dict[str, str], name: str) -> str | None:
    value = (values.get(name) or "").replace("\r\n", "\n").strip()
    if len(value) > forms.MAX_FIELD_CHARS:
        raise InvalidInput.field(f"body.{name}", "内容过长")
    return value or None


def to_visit_create(form: VisitForm) -> VisitCreate:
    """The form → VisitCreate; at most one appeal, included when its title or description is filled in.
    Raises InvalidInput (422) naming the field."""
    values = form.values
    data: dict[str, Any] = {name: _text(values, name) for name in ("enterprise_uscc", "mode", "visited_on", "summary")}
    title, description = _text(values, "appeal_title"), _text(values, "appeal_description")
    if title or description:
        raised = {"title": title, "description": description, "category": _text(values, "appeal_category")}
        data["appeals"] = [{k: v for k, v in raised.items() if v is not None}]
    try:
        return VisitCreate.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first.get("loc", ())) or "body"
        message = PYDANTIC_MESSAGES.get(first.get("type", ""))
        if message is None:
            message = str(first.get("msg", "填写有误")).removeprefix("Value error, ")
        raise InvalidInput.field(f"body.{name}", message) from None


def record_visit(session: Session, viewer: Viewer, form: VisitForm, *, now: datetime) -> None:
    """One use case: the visit and its appeal in one transaction (visits.service commits). Nothing is written on
    error: the transaction is rolled back before the page is drawn again."""
    try:
        if not may_record_visits(viewer):
            raise Forbidden("走访须由具体工作人员登记：请通过钉钉或绑定到用户的 API key 登录")
        key = form.values.get("form_key") or None
        visits.record_visit(session, viewer.principal, to_visit_create(form), now=now, idempotency_key=key,
                            via="page")
    except AppError:
        session.rollback()
        raise


def describe_visit_error(exc: AppError) -> str:
    if isinstance(exc, InvalidInput) and exc.errors:
        name = exc.errors[0].field.removeprefix("body.")
        return f"请检查填写内容：{VISIT_LABELS.get(name, name)}：{exc.errors[0].message}"
    return forms.describe(exc)
