"""Pairing (结对) use cases: who is an enterprise's primary liaison, with the whole history kept.

Every pairing is a row from `started_at` to `ended_at`; changing the liaison ends the open row and opens a new one,
nothing is overwritten. `enterprise.liaison_user_id` mirrors the open row (the reach check reads it, app.pairing.
handlers). The cadre's dispatching unit (派出单位) may be at any tier and anywhere in the city: a 市经信局 cadre
serves a 西溪街道 enterprise. Who pairs: an admin whose subtree holds the enterprise's street.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth.models import User
from app.auth.principal import Principal
from app.db import is_postgres
from app.enterprises.models import Enterprise
from app.enterprises.service import get_by_uscc, get_in_reach
from app.enums import Role
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.pairing.models import Pairing
from app.pairing.schemas import LiaisonIn, PairingImportItem, PairingRead
from app.units.models import Unit

Outcome = Literal["paired", "unchanged", "replaced"]


def admin_enterprise(session: Session, principal: Principal, uscc: str, *, lock: bool = False) -> tuple[Enterprise, Unit]:
    """The enterprise, for an admin whose own subtree holds its street (a pairing's reach does not count). With
    `lock`, its row is locked (PostgreSQL) so two admins changing the pairing at once take turns: the second sees
    the first's pairing and ends it, instead of failing on the one-open-pairing index."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以管理结对")
    enterprise = get_by_uscc(session, uscc)
    street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
    if enterprise is None or street is None or not principal.reaches_path(street.path):
        raise NotFound(f"企业 {uscc} 不存在或不在您的权限范围内")
    if lock and is_postgres(session):
        session.refresh(enterprise, with_for_update=True)
    return enterprise, street


def liaison_user(session: Session, user_id: int, field: str) -> tuple[User, Unit]:
    """A cadre who may be paired: an active user with the liaison role, of any unit (派出单位 at any tier)."""
    user = session.get(User, user_id)
    unit = session.get(Unit, user.unit_id) if user else None
    if user is None or unit is None:
        raise InvalidInput.field(field, f"用户 {user_id} 不存在")
    if user.role != Role.liaison:
        raise InvalidInput.field(field, f"用户 {user_id}（{user.name}）不是服务专员，只能与角色为 liaison 的用户结对")
    if not user.active:
        raise InvalidInput.field(field, f"用户 {user_id}（{user.name}）已停用")
    return user, unit


def open_pairing(session: Session, enterprise_id: int) -> Pairing | None:
    return session.exec(select(Pairing).where(Pairing.enterprise_id == enterprise_id,
                                              col(Pairing.ended_at).is_(None))).first()


def _end(pairing: Pairing, principal: Principal, now: datetime) -> None:
    pairing.ended_at = now
    pairing.ended_by = principal.label[:100]
    pairing.ended_by_user_id = principal.user_id


def pair(session: Session, principal: Principal, enterprise: Enterprise, user: User, unit: Unit, *,
         note: str | None, now: datetime) -> tuple[Pairing, Outcome]:
    """Makes `user` the enterprise's liaison (no commit). Pairing the current liaison again changes nothing."""
    current = open_pairing(session, enterprise.id)  # type: ignore[arg-type]
    if current is not None and current.user_id == user.id:
        enterprise.liaison_user_id = user.id
        return current, "unchanged"
    if current is not None:
        _end(current, principal, now)
        session.add(current)
        session.flush()  # the open row must be closed before the new one: one open pairing per enterprise
    pairing = Pairing(enterprise_id=enterprise.id, user_id=user.id, unit_id=unit.id, note=note,  # type: ignore[arg-type]
                      started_at=now, started_by=principal.label[:100], started_by_user_id=principal.user_id)
    session.add(pairing)
    enterprise.liaison_user_id = user.id
    enterprise.updated_at = now
    session.add(enterprise)
    return pairing, "paired" if current is None else "replaced"


def unpair(session: Session, principal: Principal, enterprise: Enterprise, *, now: datetime) -> Pairing | None:
    """Ends the open pairing (no commit); None when there was none. A liaison set without a pairing row (data from
    before the history existed) is cleared too."""
    current = open_pairing(session, enterprise.id)  # type: ignore[arg-type]
    if current is not None:
        _end(current, principal, now)
        session.add(current)
    if current is not None or enterprise.liaison_user_id is not None:
        enterprise.liaison_user_id = None
        enterprise.updated_at = now
        session.add(enterprise)
    return current


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:
        # Two admins paired the same enterprise at once: the unique open-row index let one through.
        session.rollback()
        raise Conflict("该企业的结对刚被他人修改，请刷新后重试") from None


def set_liaison(session: Session, principal: Principal, uscc: str, data: LiaisonIn, *, now: datetime) -> PairingRead:
    enterprise, _ = admin_enterprise(session, principal, uscc, lock=True)
    user, unit = liaison_user(session, data.user_id, "body.user_id")
    pairing, _ = pair(session, principal, enterprise, user, unit, note=data.note, now=now)
    _commit(session)
    return describe(session, [pairing])[0]


def end_liaison(session: Session, principal: Principal, uscc: str, *, now: datetime) -> None:
    enterprise, _ = admin_enterprise(session, principal, uscc, lock=True)
    if unpair(session, principal, enterprise, now=now) is None and not session.dirty:
        raise Conflict(f"企业 {enterprise.uscc} 当前没有结对的服务专员")
    _commit(session)


def history(session: Session, principal: Principal, uscc: str) -> list[PairingRead]:
    """Every pairing of an enterprise, newest first; for staff who reach the enterprise."""
    if not principal.is_staff:
        raise Forbidden("此接口仅供单位管理员、服务专员使用")
    enterprise, _ = get_in_reach(session, principal, uscc)
    rows = session.exec(select(Pairing).where(Pairing.enterprise_id == enterprise.id)
                        .order_by(col(Pairing.started_at).desc(), col(Pairing.id).desc())).all()
    return describe(session, rows)


def import_pairings(session: Session, principal: Principal, items: Sequence[PairingImportItem], *,
                    now: datetime) -> tuple[dict[Outcome, int], list[PairingRead]]:
    """All or nothing: every row is checked before anything is written; the first bad row is a 422 naming it."""
    if not principal.is_admin:
        raise Forbidden("只有管理员可以导入结对")
    checked: list[tuple[Enterprise, User, Unit, str | None]] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        field = f"body.items[{index}]"
        if item.uscc in seen:
            raise InvalidInput.field(f"{field}.uscc", f"第 {index + 1} 行：企业 {item.uscc} 与第 {seen[item.uscc] + 1} 行"
                                                      "重复（一家企业只有一名结对专员）")
        seen[item.uscc] = index
        try:
            enterprise, _ = admin_enterprise(session, principal, item.uscc)
        except NotFound:
            raise InvalidInput.field(f"{field}.uscc", f"第 {index + 1} 行：企业 {item.uscc} 不存在或不在您的权限范围内"
                                     ) from None
        try:
            user, unit = liaison_user(session, item.user_id, f"{field}.user_id")
        except InvalidInput as exc:
            raise InvalidInput.field(f"{field}.user_id", f"第 {index + 1} 行：{exc.errors[0].message}") from None
        checked.append((enterprise, user, unit, item.note))
    if is_postgres(session):  # in id order: two imports locking the same enterprises cannot deadlock
        session.exec(select(Enterprise.id).where(col(Enterprise.id).in_([e.id for e, *_ in checked]))
                     .order_by(col(Enterprise.id)).with_for_update()).all()
    counts: dict[Outcome, int] = {"paired": 0, "unchanged": 0, "replaced": 0}
    pairings = []
    for enterprise, user, unit, note in checked:
        pairing, outcome = pair(session, principal, enterprise, user, unit, note=note, now=now)
        counts[outcome] += 1
        pairings.append(pairing)
    _commit(session)
    return counts, describe(session, pairings)


def describe(session: Session, pairings: Sequence[Pairing]) -> list[PairingRead]:
    """The wire shape, with names looked up in three queries whatever the number of rows."""
    if not pairings:
        return []
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_({p.user_id for p in pairings})))}
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_({p.unit_id for p in pairings})))}
    usccs = dict(session.exec(select(Enterprise.id, Enterprise.uscc)
                              .where(col(Enterprise.id).in_({p.enterprise_id for p in pairings}))).all())
    return [PairingRead(
        id=p.id, enterprise_uscc=usccs[p.enterprise_id], user_id=p.user_id, user_name=users[p.user_id].name,  # type: ignore[arg-type]
        unit_code=units[p.unit_id].code, unit_name=units[p.unit_id].name, note=p.note, started_at=p.started_at,
        started_by=p.started_by, ended_at=p.ended_at, ended_by=p.ended_by,
    ) for p in pairings]
