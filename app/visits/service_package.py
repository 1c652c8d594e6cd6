"""The enterprise's service package (服务包, DESIGN §12): 普惠政策包 (universal policies it fits) + 个性政策包
(targeted ones, with the reasons) + 诉求互动包 (its paired liaison, open appeals, last visit) — what a cadre brings
on a visit and what the enterprise sees in the mini-program. Here, above policies, because it composes them with
the pairing and the visits."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from app.appeals.models import Appeal
from app.auth.models import User
from app.auth.principal import Principal
from app.enterprises import service as enterprises
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile
from app.enums import OPEN_STATUSES
from app.errors import Forbidden, NotFound
from app.policies.matches import policies_for
from app.policies.rules import local_today
from app.policies.schemas import LiaisonCard, ServicePackage, TargetedItem
from app.units.models import Unit
from app.visits.models import Visit


def service_package(session: Session, principal: Principal, uscc: str | None, *, now: datetime) -> ServicePackage:
    """普惠政策包 + 个性政策包 + 诉求互动包 of one enterprise (the caller's own when `uscc` is None)."""
    if uscc is None:
        if not principal.is_enterprise or principal.enterprise_id is None:
            raise Forbidden("此接口仅供企业用户使用")
        enterprise = session.get(Enterprise, principal.enterprise_id)
        street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
        if enterprise is None or street is None:
            raise NotFound("企业不存在")
    else:
        enterprise, street = enterprises.get_in_reach(session, principal, uscc)
    fitting = policies_for(session, enterprise, street, today=local_today(now))
    liaison = session.get(User, enterprise.liaison_user_id) if enterprise.liaison_user_id else None
    liaison_unit = session.get(Unit, liaison.unit_id) if liaison else None
    open_appeals = session.exec(select(func.count()).select_from(Appeal).where(
        Appeal.enterprise_id == enterprise.id, col(Appeal.status).in_(list(OPEN_STATUSES)))).one()
    last_visit = session.exec(select(func.max(Visit.visited_on)).where(Visit.enterprise_id == enterprise.id)).one()
    return ServicePackage(
        enterprise_uscc=enterprise.uscc,
        liaison=LiaisonCard(name=liaison.name, unit_name=liaison_unit.name if liaison_unit else "",
                            mobile_masked=mask_mobile(liaison.mobile or "")) if liaison else None,
        universal=[item.policy for item in fitting if item.policy.kind == "universal"],
        targeted=[TargetedItem(policy=item.policy, reasons=item.reasons)
                  for item in fitting if item.policy.kind == "targeted"],
        open_appeals=open_appeals, last_visit_on=last_visit,
    )
