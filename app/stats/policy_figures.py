"""Policy figures for the statistics (DESIGN §12): how many policies were pushed in a period to the enterprises under
a unit, how many were read, declared interest in and granted, and the amount granted. A read model over the
policies' deliveries, with the period rules of every other figure (app.stats.periods).

One query, `figures`, answers `GET /stats/policies`, the weekly bulletin's policy section and the dashboard's policy
panel alike, so the three cannot disagree for the same unit and period.

Whose deliveries: an area unit's figures are those of the deliveries to the enterprises of its streets (whoever
issued the policy — a city policy counts in each district it reached); a department (市人力社保局, which owns no
street) gets those of the policies it issued (it or a unit under it), wherever they reached. docs/statistics.md
defines each figure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.auth.principal import Principal
from app.errors import Forbidden
from app.enums import Outcome, UnitKind
from app.policies.models import Policy, PolicyDelivery
from app.policies.schemas import PolicyStats
from app.stats.figures import ratio
from app.stats.periods import Period, resolve_period
from app.units import service as units
from app.units.models import Unit


def policy_stats(session: Session, principal: Principal, *, unit_code: str | None, start: str | None,
                 end: str | None, now: datetime) -> PolicyStats:
    """The caller's unit by default; a unit outside the caller's reach is 404 like everything else."""
    if not principal.is_staff:
        raise Forbidden("此接口仅供单位工作人员使用")
    unit = units.get_in_reach(session, principal, unit_code or principal.unit_code or "")
    return figures(session, unit, resolve_period(start, end, now=now))


def figures(session: Session, unit: Unit, period: Period) -> PolicyStats:
    """Figures of the deliveries made in the period to enterprises whose street (at delivery) is under `unit`, or for
    a department, of the policies issued under it; reads, declarations of interest and outcomes count whenever they
    happened, for the deliveries of the period."""
    d = PolicyDelivery
    subtree = select(Unit.id).where(col(Unit.path).startswith(unit.path))
    reach = (col(d.policy_id).in_(select(Policy.id).where(col(Policy.issuer_unit_id).in_(subtree)))
             if unit.kind == UnitKind.department else col(d.street_unit_id).in_(subtree))
    conditions: list[Any] = [reach, col(d.delivered_at) >= period.start, col(d.delivered_at) < period.end]
    granted = d.outcome == Outcome.granted
    row = session.execute(select(
        func.count(sa.distinct(d.policy_id)), func.count(d.id), func.count(sa.distinct(d.enterprise_id)),
        func.count(d.read_at), func.count(d.interest_at),
        func.coalesce(func.sum(sa.case((granted, 1), else_=0)), 0),
        func.coalesce(func.sum(sa.case((granted, d.outcome_amount_cny), else_=0)), 0),
    ).where(*conditions)).one()
    policies, deliveries, reached, read, interested, granted_count, amount = row
    return PolicyStats(unit_code=unit.code, policies=policies, deliveries=deliveries, enterprises_reached=reached,
                       read_rate=ratio(read, deliveries), interested=interested,
                       granted=int(granted_count), granted_amount_cny=int(amount))
