"""Cadres (users bound to API keys) for the pairing and reach tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session


@dataclass(frozen=True)
class Cadre:
    user_id: int
    headers: dict[str, str]


def cadre(session: Session, now: datetime, name: str, unit_code: str = "330100-JXJ", role: str = "liaison") -> Cadre:
    """A user of `unit_code` (by default a 市经信局 cadre: a city department, not the enterprise's street) with an API
    key bound to them."""
    from app.auth.models import User
    from app.auth.service import create_api_key
    from app.units.service import get_by_code

    user = User(name=name, role=role, unit_id=get_by_code(session, unit_code).id, created_at=now)  # type: ignore[union-attr]
    session.add(user)
    session.commit()
    _, token = create_api_key(session, role=role, unit_code=unit_code, name=name, now=now,  # type: ignore[arg-type]
                              user_id=user.id)
    return Cadre(user.id, {"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]
