"""The visit cadence (走访频次) as one editable row (DESIGN §11), read by the enterprise lists and the liaison's
own view. The rule itself is pure (app.visits.cadence); this module only loads and saves it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.enums import Role
from app.errors import FieldError, Forbidden, InvalidInput, PreconditionFailed
from app.visits.cadence import InvalidVisitPolicy, VisitPolicy
from app.visits.models import VisitPolicySetting


def _row(session: Session) -> VisitPolicySetting | None:
    return session.exec(select(VisitPolicySetting).order_by(col(VisitPolicySetting.id)).limit(1)).first()


def current(session: Session) -> tuple[VisitPolicy, VisitPolicySetting | None]:
    """The stored policy, or the defaults (30 days; city 14, district 21, street 30) when none was saved."""
    row = _row(session)
    if row is None:
        return VisitPolicy(), None
    return VisitPolicy(default_days=row.default_days, by_key_level=row.by_key_level), row


def save(session: Session, principal: Principal, default_days: object, by_key_level: object, *, now: datetime,
         if_match: int | None = None) -> tuple[VisitPolicy, VisitPolicySetting]:
    """Replaces the cadence (city admins only: it sets the programme's rhythm for every street)."""
    if principal.role not in (Role.city_admin, Role.system):
        raise Forbidden("只有市级管理员可以修改走访频次")
    try:
        policy = VisitPolicy(default_days=default_days, by_key_level=by_key_level)  # type: ignore[arg-type]
    except InvalidVisitPolicy as exc:
        raise InvalidInput("；".join(f"body.{f}: {m}" for f, m in exc.problems), errors=[
            FieldError(field=f"body.{f}", message=m) for f, m in exc.problems]) from None
    row = _row(session)
    version = row.version if row else 0
    if if_match is not None and if_match != version:
        raise PreconditionFailed(f"If-Match 版本 {if_match} 与当前版本 {version} 不一致")
    if row is None:
        row = VisitPolicySetting(updated_at=now, version=0)
    row.default_days = policy.default_days
    row.by_key_level = dict(policy.by_key_level)
    row.version = version + 1
    row.updated_by = principal.label[:100]
    row.updated_at = now
    session.add(row)
    session.commit()
    return policy, row
