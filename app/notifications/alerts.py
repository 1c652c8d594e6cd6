"""Admin alerts: what the dispatcher tells a unit's admins (broken channel, dead message, quota)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.auth.principal import Principal
from app.errors import Conflict, NotFound
from app.notifications.models import AdminAlert
from app.units.models import Unit


class AlertKind:
    channel_broken = "channel_broken"
    message_dead = "message_dead"
    quota_warning = "quota_warning"


def add_alert(session: Session, *, unit_id: int, kind: str, message: str, now: datetime,
              channel_id: int | None = None) -> AdminAlert:
    """Adds an alert in the caller's transaction. Never commits."""
    alert = AdminAlert(unit_id=unit_id, kind=kind, message=message[:2000], channel_id=channel_id,
                       created_at=now)
    session.add(alert)
    return alert


def city_unit_id(session: Session, unit_id: int) -> int:
    """The root of the unit's tree (the city): quota warnings go to the city admins."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        return unit_id
    root_code = unit.path.strip("/").split("/")[0]
    root = session.exec(select(Unit).where(Unit.code == root_code)).first()
    return root.id if root and root.id is not None else unit_id


def list_alerts(
    session: Session, principal: Principal, *, unacknowledged: bool | None, kind: str | None,
    before_id: int | None, limit: int,
) -> list[tuple[AdminAlert, Unit]]:
    query = (
        select(AdminAlert, Unit)
        .join(Unit, col(Unit.id) == AdminAlert.unit_id)
        .where(col(Unit.path).startswith(principal.unit_path or "\x00"))
    )
    if unacknowledged is not None:
        query = query.where(col(AdminAlert.acknowledged_at).is_(None) if unacknowledged
                            else col(AdminAlert.acknowledged_at).is_not(None))
    if kind:
        query = query.where(AdminAlert.kind == kind)
    if before_id is not None:
        query = query.where(col(AdminAlert.id) < before_id)
    return [(a, u) for a, u in session.exec(query.order_by(col(AdminAlert.id).desc()).limit(limit)).all()]


def acknowledge(
    session: Session, principal: Principal, alert_id: int, *, now: datetime
) -> tuple[AdminAlert, Unit]:
    alert = session.get(AdminAlert, alert_id)
    unit = session.get(Unit, alert.unit_id) if alert else None
    if alert is None or unit is None or not principal.reaches_path(unit.path):
        raise NotFound(f"提醒 {alert_id} 不存在或不在您的权限范围内")
    if alert.acknowledged_at is not None:
        raise Conflict(f"提醒 {alert_id} 已确认")
    alert.acknowledged_at = now
    session.add(alert)
    session.commit()
    return alert, unit
