"""The enterprise side of a policy (DESIGN §12): inbox, read receipts, declaration of interest (意向申报),
fulfilment outcomes (兑现), the service package (服务包) and the policy figures.

An enterprise sees only its own deliveries: another's is a 404, like anything outside one's reach (§8).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.appeals import service as appeals
from app.appeals.schemas import AppealCreate
from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enums import Category, Outcome, Source
from app.errors import FieldError, Forbidden, InvalidInput, NotFound
from app.policies.models import Policy, PolicyDelivery
from app.policies.rules import outcome_problems
from app.policies.schemas import (
    DeliveryRead,
    InterestIn,
    OutcomeIn,
)
from app.policies.service import read_of, require_publisher
from app.units.models import Unit


def delivery_read(session: Session, delivery: PolicyDelivery, uscc: str | None = None) -> DeliveryRead:
    policy = session.get(Policy, delivery.policy_id)
    assert policy is not None
    if uscc is None:
        enterprise = session.get(Enterprise, delivery.enterprise_id)
        uscc = enterprise.uscc if enterprise else ""
    return DeliveryRead(
        id=delivery.id, policy=read_of(session, policy), enterprise_uscc=uscc, reasons=delivery.reasons,  # type: ignore[arg-type]
        delivered_at=delivery.delivered_at, read_at=delivery.read_at, interest_at=delivery.interest_at,
        interest_appeal_id=delivery.interest_appeal_id, outcome=delivery.outcome,  # type: ignore[arg-type]
        outcome_amount_cny=delivery.outcome_amount_cny, outcome_note=delivery.outcome_note,
        outcome_at=delivery.outcome_at,
    )


def _own(session: Session, principal: Principal, delivery_id: int) -> PolicyDelivery:
    if not principal.is_enterprise:
        raise Forbidden("此接口仅供企业用户使用")
    delivery = session.get(PolicyDelivery, delivery_id)
    if delivery is None or delivery.enterprise_id != principal.enterprise_id:
        raise NotFound(f"政策推送 {delivery_id} 不存在或不属于您的企业")
    return delivery


def my_policies(session: Session, principal: Principal, *, after: tuple[int, int] | None, limit: int) -> list[
    PolicyDelivery
]:
    """Unread first, then newest first; keyset on (read flag, -id)."""
    if not principal.is_enterprise:
        raise Forbidden("此接口仅供企业用户使用")
    read_flag = sa.case((col(PolicyDelivery.read_at).is_(None), 0), else_=1)
    query = select(PolicyDelivery).where(PolicyDelivery.enterprise_id == principal.enterprise_id)
    if after is not None:
        flag, last_id = after
        query = query.where(sa.or_(read_flag > flag, sa.and_(read_flag == flag, col(PolicyDelivery.id) < last_id)))
    return list(session.exec(query.order_by(read_flag, col(PolicyDelivery.id).desc()).limit(limit)).all())


def mark_read(session: Session, principal: Principal, delivery_id: int, *, now: datetime) -> DeliveryRead:
    delivery = _own(session, principal, delivery_id)
    if delivery.read_at is None:  # the first reading counts; reading again changes nothing
        session.execute(sa.update(PolicyDelivery).where(col(PolicyDelivery.id) == delivery.id,
                                                         col(PolicyDelivery.read_at).is_(None)).values(read_at=now))
        session.commit()
        session.refresh(delivery)
    return delivery_read(session, delivery)


def declare_interest(session: Session, principal: Principal, delivery_id: int, data: InterestIn, *,
                     now: datetime) -> tuple[DeliveryRead, bool]:
    """Files a `policy` appeal routed as any other and links it to the delivery. A second declaration returns the
    first one (False: nothing new), also when two race: the link is a conditional update."""
    delivery = _own(session, principal, delivery_id)
    if delivery.interest_appeal_id is not None:
        return delivery_read(session, delivery), False
    policy = session.get(Policy, delivery.policy_id)
    assert policy is not None
    description = f"企业对政策《{policy.title}》提出申报意向，请对接指导申报。"
    if policy.apply_by is not None:
        description += f"申报截止日：{policy.apply_by}。"
    if data.note:
        description += f"\n企业说明：{data.note}"
    appeal = appeals.file_appeal(session, principal, AppealCreate(
        title=f"政策意向申报：{policy.title}"[:200], description=description, category=Category.policy,
        source=Source.mini_program), now=now)
    linked = session.execute(
        sa.update(PolicyDelivery).where(col(PolicyDelivery.id) == delivery.id,
                                        col(PolicyDelivery.interest_appeal_id).is_(None))
        .values(interest_appeal_id=appeal.id, interest_at=now, read_at=sa.func.coalesce(PolicyDelivery.read_at, now))
    )
    if linked.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()  # a concurrent declaration linked its appeal first: answer with it
        session.refresh(delivery)
        return delivery_read(session, delivery), False
    session.commit()
    session.refresh(delivery)
    return delivery_read(session, delivery), True


def record_outcome(session: Session, principal: Principal, delivery_id: int, data: OutcomeIn, *,
                   now: datetime) -> DeliveryRead:
    """兑现: an admin over the enterprise's street, or an admin of the issuer or above, records the outcome."""
    delivery = session.get(PolicyDelivery, delivery_id)
    street = session.get(Unit, delivery.street_unit_id) if delivery else None
    policy = session.get(Policy, delivery.policy_id) if delivery else None
    issuer = session.get(Unit, policy.issuer_unit_id) if policy else None
    if delivery is None or street is None or issuer is None or not principal.is_staff or not (
            principal.reaches_path(street.path) or principal.reaches_path(issuer.path)):
        raise NotFound(f"政策推送 {delivery_id} 不存在或不在您的权限范围内")
    if not principal.reaches_path(street.path):
        require_publisher(principal, issuer)
    elif not principal.is_admin:
        raise Forbidden("只有管理员可以登记兑现结果")
    problems = outcome_problems(data.status, data.amount_cny)
    if problems:
        raise InvalidInput(problems[0][1], errors=[FieldError(field=f, message=m) for f, m in problems])
    delivery.outcome = data.status
    delivery.outcome_amount_cny = data.amount_cny if data.status == Outcome.granted else None
    delivery.outcome_note = data.note
    delivery.outcome_at = now
    session.add(delivery)
    session.commit()
    return delivery_read(session, delivery)


