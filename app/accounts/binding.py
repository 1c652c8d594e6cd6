"""Binding an enterprise user to its enterprise: with a single-use invitation code from the street's admin,
or through a binding request that the admin approves. One use case, one transaction, committed here."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from app.accounts.models import BindingRequest, BindingStatus, EnterpriseInvitation, EnterpriseUser
from app.accounts.schemas import BindingCreate, InvitationCreate
from app.accounts.service import get_user
from app.auth.principal import Principal
from app.enterprises import service as enterprises
from app.enterprises.models import Enterprise
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.units.models import Unit

# 32 symbols without 0/O/1/I: 12 of them are 60 random bits, typed as XXXX-XXXX-XXXX.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
_NOT_CODE = re.compile(r"[\s\-]")


def new_invitation_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def hash_code(code: str, secret: str) -> str:
    """Keyed, so a copy of the table alone does not let anyone try codes offline."""
    normalized = _NOT_CODE.sub("", code).upper()
    return hmac.new(secret.encode(), b"invitation:" + normalized.encode(), hashlib.sha256).hexdigest()


def names_match(given: str, registered: str) -> bool:
    """Same name up to full-width/half-width forms (（）vs ()), spaces and letter case."""
    def norm(value: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()

    return norm(given) == norm(registered)


@dataclass(frozen=True)
class RequestRow:
    request: BindingRequest
    enterprise: Enterprise
    street: Unit
    user: EnterpriseUser


def create_invitation(
    session: Session, principal: Principal, uscc: str, data: InvitationCreate, *, secret: str, now: datetime
) -> tuple[EnterpriseInvitation, str, Enterprise]:
    if not principal.is_admin:
        raise Forbidden("只有企业属地街道（或上级）的管理员可以发放邀请码")
    enterprise, _ = enterprises.get_in_reach(session, principal, uscc)
    code = new_invitation_code()
    invitation = EnterpriseInvitation(
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        code_hash=hash_code(code, secret),
        created_by=principal.label[:120],
        created_by_user_id=principal.user_id,
        created_at=now,
        expires_at=now + timedelta(days=data.valid_days),
    )
    session.add(invitation)
    session.commit()
    return invitation, code, enterprise


def _enterprise_for_binding(session: Session, data: BindingCreate) -> Enterprise:
    enterprise = enterprises.get_by_uscc(session, data.uscc)
    if enterprise is None:
        raise InvalidInput.field("body.uscc", "该统一社会信用代码尚未登记，请联系属地街道")
    if not names_match(data.name, enterprise.name):
        raise InvalidInput.field("body.name", "企业名称与登记名称不一致")
    return enterprise


def _use_invitation(session: Session, user: EnterpriseUser, enterprise: Enterprise, code: str, *, secret: str,
                    now: datetime) -> None:
    invalid = InvalidInput.field("body.invitation_code", "邀请码无效、已使用或已过期")
    invitation = session.exec(
        select(EnterpriseInvitation).where(EnterpriseInvitation.code_hash == hash_code(code, secret))
    ).first()
    if invitation is None or invitation.enterprise_id != enterprise.id or invitation.expires_at <= now:
        raise invalid
    claimed = session.exec(
        update(EnterpriseInvitation)
        .where(col(EnterpriseInvitation.id) == invitation.id, col(EnterpriseInvitation.used_at).is_(None))
        .values(used_at=now, used_by_enterprise_user_id=user.id)
    )
    if claimed.rowcount != 1:  # single use, also under concurrency
        raise invalid


def _pending_request(session: Session, user: EnterpriseUser) -> BindingRequest | None:
    return session.exec(
        select(BindingRequest).where(BindingRequest.enterprise_user_id == user.id,
                                     BindingRequest.status == BindingStatus.pending)
    ).first()


def bind(session: Session, principal: Principal, data: BindingCreate, *, secret: str, now: datetime) -> EnterpriseUser:
    """With a code: bound at once. Without: a pending binding request (repeating it is harmless)."""
    user = get_user(session, principal)
    if user.enterprise_id is not None:
        raise Conflict("该账号已绑定企业；如需更换请联系属地街道")
    enterprise = _enterprise_for_binding(session, data)
    pending = _pending_request(session, user)
    if data.invitation_code is None:
        if pending is not None:
            if pending.enterprise_id != enterprise.id:
                raise Conflict("已有一个待审核的绑定申请，请等待街道审核")
            return user
        session.add(BindingRequest(  # type: ignore[call-arg]
            enterprise_user_id=user.id, enterprise_id=enterprise.id, status=BindingStatus.pending,
            applicant_name=data.applicant_name, applicant_mobile=data.applicant_mobile, note=data.note,
            created_at=now,
        ))
        session.commit()
        return user
    _use_invitation(session, user, enterprise, data.invitation_code, secret=secret, now=now)
    if pending is not None:
        pending.status, pending.decided_at, pending.reason = BindingStatus.cancelled, now, "已使用邀请码绑定"
        session.add(pending)
    user.enterprise_id, user.bound_at = enterprise.id, now
    session.add(user)
    session.commit()
    return user


def latest_request(session: Session, user: EnterpriseUser) -> tuple[BindingRequest, Enterprise] | None:
    row = session.exec(
        select(BindingRequest, Enterprise)
        .join(Enterprise, col(Enterprise.id) == BindingRequest.enterprise_id)
        .where(BindingRequest.enterprise_user_id == user.id)
        .order_by(col(BindingRequest.id).desc())
    ).first()
    return (row[0], row[1]) if row else None


def _request_query():  # type: ignore[no-untyped-def]
    return (
        select(BindingRequest, Enterprise, Unit, EnterpriseUser)
        .join(Enterprise, col(Enterprise.id) == BindingRequest.enterprise_id)
        .join(Unit, col(Unit.id) == Enterprise.street_unit_id)
        .join(EnterpriseUser, col(EnterpriseUser.id) == BindingRequest.enterprise_user_id)
    )


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("只有管理员可以审核企业绑定申请")


def list_requests(
    session: Session, principal: Principal, *, status: BindingStatus | None, after_id: int | None, limit: int
) -> list[RequestRow]:
    """Oldest first (a work queue), only for enterprises whose street is in the admin's subtree."""
    _require_admin(principal)
    query = _request_query().where(col(Unit.path).startswith(principal.unit_path or "\x00"))
    if status is not None:
        query = query.where(BindingRequest.status == status)
    if after_id is not None:
        query = query.where(col(BindingRequest.id) > after_id)
    rows = session.exec(query.order_by(col(BindingRequest.id)).limit(limit)).all()
    return [RequestRow(*row) for row in rows]


def decide(
    session: Session, principal: Principal, request_id: int, *, approve: bool, reason: str | None, now: datetime
) -> RequestRow:
    _require_admin(principal)
    row = session.exec(_request_query().where(BindingRequest.id == request_id)).first()
    if row is None or not principal.reaches_path(row[2].path):
        raise NotFound(f"绑定申请 {request_id} 不存在或不在您的权限范围内")
    found = RequestRow(*row)
    if found.request.status != BindingStatus.pending:
        raise Conflict(f"该申请已处理（{found.request.status}）", current_status=found.request.status)
    if approve and found.user.enterprise_id is not None:
        raise Conflict("该用户已绑定企业")
    new_status = BindingStatus.approved if approve else BindingStatus.rejected
    decided = session.exec(
        update(BindingRequest)
        .where(col(BindingRequest.id) == request_id, col(BindingRequest.status) == BindingStatus.pending)
        .values(status=new_status, decided_by=principal.label[:120], decided_by_user_id=principal.user_id,
                decided_at=now, reason=reason)
    )
    if decided.rowcount != 1:
        raise Conflict("该申请已被他人处理")
    if approve:
        found.user.enterprise_id, found.user.bound_at = found.enterprise.id, now
        session.add(found.user)
    session.commit()
    session.refresh(found.request)
    return found
