"""The 走访登记 form of the liaison's mobile home (DESIGN §11): what it offers (同行人员, 宣讲政策), the posted form →
`VisitCreate`, the one use case through the visits service (the same checks as `POST /api/v1/visits`), and the
service's errors → a Chinese message next to the field that caused it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, or_, select

from app.auth.models import User
from app.enums import Role
from app.errors import AppError, Forbidden, InvalidInput
from app.pages.mobile import forms
from app.policies import service as policies
from app.policies.models import Policy
from app.signin import tokens
from app.signin.service import Viewer
from app.units import service as units
from app.units.models import Unit
from app.visits import service as visits
from app.visits.schemas import MAX_PARTICIPANTS, VisitCreate

MAX_CANDIDATES = 100  # colleagues offered as 同行人员: the own unit's and the enterprises' streets' staff
MAX_POLICIES = 30  # policies offered as 宣讲政策: the newest in force where the enterprises are

TEXT_FIELDS = ("enterprise_uscc", "mode", "visited_on", "summary", "revisit_on", "appeal_title",
               "appeal_description", "appeal_category", "form_key")
LIST_FIELDS = ("participant_user_ids", "policy_ids")
VISIT_LABELS = {
    "enterprise_uscc": "企业", "mode": "走访方式", "visited_on": "走访日期", "summary": "走访情况摘要",
    "participant_user_ids": "同行人员", "policy_ids": "宣讲政策", "revisit_on": "回访日期",
    "appeal_title": "诉求标题", "appeal_description": "诉求描述", "appeal_category": "诉求类别",
    "form_key": "表单编号",
}
PYDANTIC_MESSAGES = {
    "missing": "必填", "string_too_short": "不能为空", "enum": "请从列表中选择", "date_from_datetime_parsing": "日期格式不正确",
    "date_parsing": "日期格式不正确", "date_type": "日期格式不正确", "too_long": "选择过多",
}
_APPEAL_FIELDS = {"title": "appeal_title", "description": "appeal_description", "category": "appeal_category"}


@dataclass(frozen=True)
class VisitForm:
    """What the 走访登记 form posted (strings, as browsers send them; blanks dropped)."""

    csrf: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    picked: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the ticked boxes of LIST_FIELDS


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class VisitChoices:
    participants: tuple[ChoiceGroup, ...] = ()
    policies: tuple[Choice, ...] = ()


def may_record_visits(viewer: Viewer) -> bool:
    """A visit is always somebody's: a full session (not a chat link's, not a group link's) of a staff user."""
    return viewer.scope is None and not viewer.read_only and viewer.principal.user_id is not None


def new_form_key() -> str:
    """One per rendered form, sent as the Idempotency-Key: a double tap on 提交 records one visit."""
    return tokens.new_nonce()


# --- what the form offers ----------------------------------------------------------------------------------------

def choices(session: Session, viewer: Viewer, street_codes: Iterable[str], *, today: date) -> VisitChoices:
    """同行人员: active staff of the viewer's unit and of the streets of the viewer's enterprises (whom the service
    accepts: colleagues under the viewer's unit, or staff who reach the enterprise); 宣讲政策: policies in force
    today whose scope covers one of those streets. The service checks the choice again whatever is posted."""
    streets = [u for u in (units.get_by_code(session, code) for code in sorted(set(street_codes))) if u is not None]
    unit_ids = [i for i in dict.fromkeys([viewer.principal.unit_id, *(s.id for s in streets)]) if i is not None]
    return VisitChoices(participants=_participants(session, viewer.principal.user_id, unit_ids),
                        policies=_policies(session, streets, today))


def _participants(session: Session, me: int | None, unit_ids: list[int]) -> tuple[ChoiceGroup, ...]:
    if not unit_ids:
        return ()
    rows = session.exec(
        select(User, Unit).join(Unit, col(Unit.id) == User.unit_id)
        .where(col(User.unit_id).in_(unit_ids), User.active == True, User.role != Role.system,  # noqa: E712
               User.id != (me or 0))
        .order_by(col(Unit.path), col(User.name), col(User.id)).limit(MAX_CANDIDATES)
    ).all()
    groups: dict[str, list[Choice]] = {}
    for user, unit in rows:
        groups.setdefault(unit.name, []).append(Choice(str(user.id), user.name))
    return tuple(ChoiceGroup(name, tuple(items)) for name, items in groups.items())


def _policies(session: Session, streets: list[Unit], today: date) -> tuple[Choice, ...]:
    if not streets:
        return ()
    rows = session.exec(
        select(Policy).where(Policy.status == "active", col(Policy.valid_from) <= today,
                             or_(col(Policy.valid_to).is_(None), col(Policy.valid_to) >= today),
                             or_(*(policies.covering_clause(session, street) for street in streets)))
        .order_by(col(Policy.id).desc()).limit(MAX_POLICIES)
    ).all()
    return tuple(Choice(str(p.id), p.title) for p in rows)


# --- the posted form → VisitCreate ---------------------------------------------------------------------------

def _text(values: dict[str, str], name: str) -> str | None:
    value = (values.get(name) or "").replace("\r\n", "\n").strip()
    if len(value) > forms.MAX_FIELD_CHARS:
        raise InvalidInput.field(f"body.{name}", "内容过长")
    return value or None


def _ids(form: VisitForm, name: str, most: int) -> list[int]:
    picked = [v.strip() for v in form.picked.get(name, ()) if v.strip()]
    if len(picked) > most:
        raise InvalidInput.field(f"body.{name}", f"最多选择 {most} 项")
    for index, value in enumerate(picked):
        if not value.isdigit() or len(value) > 12:
            raise InvalidInput.field(f"body.{name}.{index}", "请从列表中选择")
    return [int(v) for v in picked]


def to_visit_create(form: VisitForm) -> VisitCreate:
    """The form → VisitCreate; at most one appeal, included when its title or description is filled in.
    Raises InvalidInput (422) naming the field."""
    values = form.values
    names = ("enterprise_uscc", "mode", "visited_on", "summary", "revisit_on")
    data: dict[str, Any] = {name: _text(values, name) for name in names}
    data["participant_user_ids"] = _ids(form, "participant_user_ids", MAX_PARTICIPANTS)
    data["policy_ids"] = _ids(form, "policy_ids", MAX_POLICIES)
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


# --- errors → the form -------------------------------------------------------------------------------------------

def form_field(error_field: str) -> str:
    """The form's input a service error names: body.participant_user_ids.1 → participant_user_ids,
    body.appeals.0.category → appeal_category (any other part of the appeal: its title); "" for none of them."""
    if error_field.startswith("header."):
        return "form_key"
    parts = error_field.removeprefix("body.").split(".")
    if parts[0] == "appeals":
        return _APPEAL_FIELDS.get(parts[2] if len(parts) > 2 else "", "appeal_title")
    return parts[0] if parts[0] in VISIT_LABELS else ""


def field_errors(exc: AppError) -> dict[str, str]:
    """Each named field's message, for the line under that field."""
    if not isinstance(exc, InvalidInput):
        return {}
    found: dict[str, str] = {}
    for error in exc.errors:
        name = form_field(error.field)
        if name:
            found.setdefault(name, error.message)
    return found


def describe_visit_error(exc: AppError) -> str:
    """The sentence at the top of the page (the message also sits under its field)."""
    if isinstance(exc, InvalidInput) and exc.errors:
        name = form_field(exc.errors[0].field)
        label = VISIT_LABELS.get(name) or exc.errors[0].field.removeprefix("body.")
        return f"请检查填写内容：{label}：{exc.errors[0].message}"
    return forms.describe(exc)
