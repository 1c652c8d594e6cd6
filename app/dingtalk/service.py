"""Use cases of the DingTalk admin API (one transaction, one commit each)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.auth.principal import Principal
from app.dingtalk.models import DingTalkGroup
from app.dingtalk.schemas import DingTalkGroupIn
from app.errors import NotFound
from app.units import service as units
from app.units.models import Unit


def set_group(session: Session, principal: Principal, code: str, data: DingTalkGroupIn, *,
              now: datetime) -> tuple[DingTalkGroup, Unit]:
    """Where the unit's new appeals go as interactive cards; replaces the unit's previous group."""
    unit = units.get_in_reach(session, principal, code)
    group = session.get(DingTalkGroup, unit.id)
    if group is None:
        group = DingTalkGroup(unit_id=unit.id, open_conversation_id=data.open_conversation_id,  # type: ignore[arg-type]
                              created_at=now)
    group.open_conversation_id = data.open_conversation_id
    session.add(group)
    session.commit()
    return group, unit


def get_group(session: Session, principal: Principal, code: str) -> tuple[DingTalkGroup, Unit]:
    unit = units.get_in_reach(session, principal, code)
    group = session.get(DingTalkGroup, unit.id)
    if group is None:
        raise NotFound(f"单位 {code} 尚未登记钉钉群")
    return group, unit


def delete_group(session: Session, principal: Principal, code: str) -> tuple[DingTalkGroup, Unit]:
    """No more cards for this unit (cards already sent keep working)."""
    group, unit = get_group(session, principal, code)
    session.delete(group)
    session.commit()
    return group, unit
