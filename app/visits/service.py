"""The 走访台账 (DESIGN §11): record a visit with the appeals it raised in one transaction; read and list visits.

One use case, one transaction, one commit. Who may record: a staff *user* (an API key bound to a user, a page
session, the chatbot) whose reach holds the enterprise — its street's subtree, or the enterprise's paired liaison,
or the 楼长 of its building. Admins record only in reach as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, or_, select

from app.appeals import service as appeals
from app.appeals.schemas import AppealCreate
from app.auth import service as auth
from app.auth.models import User
from app.auth.principal import Principal
from app.core import idempotency, reach
from app.core.time import SHANGHAI
from app.enterprises.models import Enterprise
from app.enterprises.service import get_with_street, staff_reaches
from app.enums import Role, Source
from app.errors import FieldError, Forbidden, InvalidInput, NotFound
from app.policies.models import Policy
from app.units import service as units
from app.units.models import Unit
from app.visits import views
from app.visits.models import Visit
from app.visits.schemas import VisitCreate

EARLIEST_VISIT = date(2000, 1, 1)
MAX_REVISIT_DAYS = 366  # a 回头看 more than a year out is a typo, not a plan


@dataclass(frozen=True)
class VisitFilters:
    unit_code: str | None = None
    enterprise_uscc: str | None = None
    visitor_user_id: int | None = None
    start: date | None = None
    end: date | None = None


def today_in_shanghai(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


# --- reach ----------------------------------------------------------------------------------------------------

def enterprise_in_reach(session: Session, principal: Principal, enterprise: Enterprise, street: Unit) -> bool:
    """May this staff principal act for the enterprise: its street is in their subtree, or another domain grants it
    (the paired liaison, the 楼长 of its building: app.core.reach)."""
    return principal.is_staff and staff_reaches(session, principal, enterprise.id, street)  # type: ignore[arg-type]


def visibility_clause(principal: Principal, reach_ids: list[int] | None) -> Any:
    """Who reads a visit: staff whose subtree holds the enterprise's street or the visitor's dispatching unit,
    the visitor, and the enterprise's paired liaison or 楼长."""
    if reach_ids is None:
        return True
    clauses = [col(Visit.street_unit_id).in_(reach_ids), col(Visit.visitor_unit_id).in_(reach_ids)]
    if principal.user_id is not None:
        clauses.append(Visit.visitor_user_id == principal.user_id)
    granted = reach.enterprise_clause(col(Visit.enterprise_id), principal)
    if granted is not None:
        clauses.append(granted)
    return or_(*clauses)


# --- recording ------------------------------------------------------------------------------------------------

def _visitor(session: Session, principal: Principal) -> tuple[User, Unit]:
    if not principal.is_staff or principal.role == Role.system:
        raise Forbidden("只有单位工作人员可以登记走访")
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    unit = session.get(Unit, user.unit_id) if user else None
    if user is None or unit is None or not user.active:
        raise Forbidden("走访须由具体工作人员登记：请使用绑定到用户的 API key、页面或钉钉机器人")
    return user, unit


def find_enterprise(session: Session, principal: Principal, uscc: str, field: str) -> tuple[Enterprise, Unit]:
    found = get_with_street(session, uscc)
    if found is None or not enterprise_in_reach(session, principal, *found):
        raise InvalidInput.field(field, f"企业 {uscc} 未登记或不在您的权限范围内")
    return found


def _check_dates(data: VisitCreate, today: date) -> None:
    if data.visited_on > today:
        raise InvalidInput.field("body.visited_on", f"走访日期 {data.visited_on} 晚于今天（{today}），不能登记未来的走访")
    if data.visited_on < EARLIEST_VISIT:
        raise InvalidInput.field("body.visited_on", f"走访日期 {data.visited_on} 早于 {EARLIEST_VISIT}，请检查日期")
    if data.revisit_on is None:
        return
    if data.revisit_on <= data.visited_on or data.revisit_on < today:
        raise InvalidInput.field("body.revisit_on", f"回头看日期 {data.revisit_on} 应晚于走访日期且不早于今天")
    if (data.revisit_on - today).days > MAX_REVISIT_DAYS:
        raise InvalidInput.field("body.revisit_on", f"回头看日期 {data.revisit_on} 超过一年，请检查日期")


def _check_participants(session: Session, principal: Principal, visitor: User, enterprise: Enterprise,
                        street: Unit, user_ids: list[int]) -> list[int]:
    """Participants are staff who could record this visit themselves, or colleagues under the caller's unit."""
    kept: list[int] = []
    for index, user_id in enumerate(user_ids):
        field = f"body.participant_user_ids.{index}"
        user = session.get(User, user_id)
        unit = session.get(Unit, user.unit_id) if user else None
        if user is None or unit is None or not user.active:
            raise InvalidInput.field(field, f"用户 {user_id} 不存在或已停用")
        if user_id == visitor.id or user_id in kept:
            continue
        colleague = principal.reaches_path(unit.path)
        if not colleague and not enterprise_in_reach(session, auth.principal_for_user(session, user), enterprise,
                                                     street):
            raise InvalidInput.field(field, f"用户 {user_id}（{user.name}）不在您或该企业的服务范围内，不能作为同行人员")
        kept.append(user_id)
    return kept


def _check_policies(session: Session, policy_ids: list[int]) -> list[int]:
    wanted = list(dict.fromkeys(policy_ids))
    found = set(session.exec(select(Policy.id).where(col(Policy.id).in_(wanted))).all()) if wanted else set()
    for index, policy_id in enumerate(policy_ids):
        if policy_id not in found:
            raise InvalidInput.field(f"body.policy_ids.{index}", f"政策 {policy_id} 不存在")
    return wanted


def _under(prefix: str, exc: InvalidInput) -> InvalidInput:
    """An appeal's own error, renamed to where it sits in the visit's body (body.title → body.appeals.1.title)."""
    errors = [FieldError(field=prefix + e.field.removeprefix("body."), message=e.message, type=e.type)
              for e in exc.errors] or [FieldError(field=prefix.rstrip("."), message=exc.detail or exc.title)]
    return InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def add_visit(session: Session, principal: Principal, data: VisitCreate, *, now: datetime,
              via: str = "api") -> Visit:
    """Writes the visit and its appeals in the caller's transaction; never commits. Every check runs before
    anything is written, and any failure leaves the transaction for the caller to roll back."""
    visitor, visitor_unit = _visitor(session, principal)
    enterprise, street = find_enterprise(session, principal, data.enterprise_uscc, "body.enterprise_uscc")
    _check_dates(data, today_in_shanghai(now))
    participants = _check_participants(session, principal, visitor, enterprise, street, data.participant_user_ids)
    policy_ids = _check_policies(session, data.policy_ids)
    visit = Visit(
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        street_unit_id=street.id,  # type: ignore[arg-type]
        visited_on=data.visited_on, mode=data.mode, visitor_user_id=visitor.id,  # type: ignore[arg-type]
        visitor_unit_id=visitor_unit.id,  # type: ignore[arg-type]
        participant_user_ids=participants, summary=data.summary, policy_ids=policy_ids, via=via,
        revisit_on=data.revisit_on, created_at=now,
    )
    session.add(visit)
    session.flush()  # the appeals point at it
    for index, raised in enumerate(data.appeals):
        body = AppealCreate(**raised.model_dump(exclude={"source"}), enterprise_uscc=enterprise.uscc,
                            source=Source.visit)
        try:
            appeals.file_appeal(session, principal, body, enterprise=enterprise, street=street, now=now,
                                source=Source.visit, visit_id=visit.id, via=via)
        except InvalidInput as exc:
            raise _under(f"body.appeals.{index}.", exc) from None
    return visit


def record_visit(session: Session, principal: Principal, data: VisitCreate, *, now: datetime,
                 idempotency_key: str | None = None, via: str = "api") -> idempotency.Outcome:
    """POST /api/v1/visits: one transaction, replayed for a repeated Idempotency-Key."""

    def create() -> dict[str, Any]:
        return views.to_read(session, add_visit(session, principal, data, now=now, via=via)).model_dump(mode="json")

    return idempotency.run_once(session, caller=principal.caller_key, key=idempotency_key,
                                request=data.model_dump(mode="json"), now=now, create=create)


# --- reads ----------------------------------------------------------------------------------------------------

def get_visible(session: Session, principal: Principal, visit_id: int) -> Visit:
    if not principal.is_staff:
        raise Forbidden("走访台账仅供单位工作人员查看")
    reach_ids = auth.reach_unit_ids(session, principal)
    visit = session.exec(select(Visit).where(Visit.id == visit_id, visibility_clause(principal, reach_ids))).first()
    if visit is None:
        raise NotFound(f"走访登记 {visit_id} 不存在或不在您的权限范围内")
    return visit


def enterprise_for_read(session: Session, principal: Principal, uscc: str) -> Enterprise:
    """GET /enterprises/{uscc}/visits: 404 for an unknown enterprise or one outside reach."""
    found = get_with_street(session, uscc)
    if found is None or not enterprise_in_reach(session, principal, *found):
        raise NotFound(f"企业 {uscc} 不存在或不在您的权限范围内")
    return found[0]


def _filtered(session: Session, principal: Principal, filters: VisitFilters) -> Any:
    if not principal.is_staff:
        raise Forbidden("走访台账仅供单位工作人员查看")
    if filters.start and filters.end and filters.start > filters.end:
        raise InvalidInput.field("query.from", f"起始日期 {filters.start} 晚于截止日期 {filters.end}")
    query = select(Visit).where(visibility_clause(principal, auth.reach_unit_ids(session, principal)))
    if filters.unit_code:
        unit = units.get_in_reach(session, principal, filters.unit_code)  # outside reach: 404
        ids = units.subtree_ids(session, unit)
        query = query.where(or_(col(Visit.street_unit_id).in_(ids), col(Visit.visitor_unit_id).in_(ids)))
    if filters.enterprise_uscc:
        found = get_with_street(session, filters.enterprise_uscc)
        query = query.where(Visit.enterprise_id == (found[0].id if found else -1))
    if filters.visitor_user_id is not None:
        query = query.where(Visit.visitor_user_id == filters.visitor_user_id)
    if filters.start:
        query = query.where(col(Visit.visited_on) >= filters.start)
    if filters.end:
        query = query.where(col(Visit.visited_on) <= filters.end)
    return query


def list_visits(session: Session, principal: Principal, filters: VisitFilters, *,
                after: tuple[date, int] | None, limit: int) -> list[Visit]:
    """Newest visit first (visit date, then id), keyset-paginated after (visited_on, id)."""
    query = _filtered(session, principal, filters)
    if after is not None:
        day, visit_id = after
        query = query.where(or_(col(Visit.visited_on) < day, (col(Visit.visited_on) == day) & (col(Visit.id) < visit_id)))
    order = (col(Visit.visited_on).desc(), col(Visit.id).desc())
    return list(session.exec(query.order_by(*order).limit(limit)).all())


def check_filters(session: Session, principal: Principal, filters: VisitFilters) -> None:
    """A bad filter is a problem answer, not a file: checked before a streamed export starts. Ends the read
    transaction, so the stream's own session can begin (SQLite takes its lock per transaction)."""
    _filtered(session, principal, filters)
    session.rollback()


EXPORT_PAGE = 500
EXPORT_MAX_ROWS = 50_000  # a ledger bigger than this is asked for by period, not in one file


def export_pages(session: Session, principal: Principal, filters: VisitFilters) -> Any:
    """The filtered ledger page by page (newest first), with each page's lookups; at most EXPORT_MAX_ROWS."""
    after: tuple[date, int] | None = None
    sent = 0
    while sent < EXPORT_MAX_ROWS:
        limit = min(EXPORT_PAGE, EXPORT_MAX_ROWS - sent)
        page = list_visits(session, principal, filters, after=after, limit=limit)
        if not page:
            return
        yield page, views.Lookups(session, page)
        if len(page) < limit:  # the last page: a streamed export then reads nothing after its response started
            return
        sent += len(page)
        after = (page[-1].visited_on, page[-1].id)  # type: ignore[assignment]
