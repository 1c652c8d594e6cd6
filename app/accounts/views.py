"""Read models for enterprise users and binding requests."""

from __future__ import annotations

from sqlmodel import Session

from app.accounts import binding
from app.accounts.models import BindingStatus, EnterpriseUser, Provider
from app.accounts.schemas import (
    BindingRequestBrief,
    BindingRequestRead,
    EnterpriseBrief,
    MeRead,
    TokenPair,
)
from app.accounts.service import IssuedTokens
from app.auth.principal import Principal
from app.enterprises.models import Enterprise
from app.enterprises.pii import mask_mobile
from app.enterprises.service import sees_full_contact
from app.units.models import Unit


def me_read(session: Session, user: EnterpriseUser) -> MeRead:
    enterprise = session.get(Enterprise, user.enterprise_id) if user.enterprise_id else None
    street = session.get(Unit, enterprise.street_unit_id) if enterprise else None
    brief = (
        EnterpriseBrief(uscc=enterprise.uscc, name=enterprise.name, street_code=street.code, street_name=street.name)
        if enterprise and street else None
    )
    latest = binding.latest_request(session, user)
    request = None
    if latest is not None:
        req, req_enterprise = latest
        request = BindingRequestBrief(id=req.id, status=BindingStatus(req.status),  # type: ignore[arg-type]
                                      enterprise_uscc=req_enterprise.uscc, enterprise_name=req_enterprise.name,
                                      reason=req.reason,
                                      created_at=req.created_at, decided_at=req.decided_at)
    return MeRead(id=user.id, provider=Provider(user.provider), display_name=user.display_name,  # type: ignore[arg-type]
                  bound=brief is not None, enterprise=brief, binding_request=request, created_at=user.created_at,
                  last_login_at=user.last_login_at)


def token_pair(session: Session, issued: IssuedTokens) -> TokenPair:
    return TokenPair(access_token=issued.access_token, expires_in=issued.expires_in,
                     refresh_token=issued.refresh_token, refresh_expires_in=issued.refresh_expires_in,
                     user=me_read(session, issued.user))


def request_read(row: binding.RequestRow, principal: Principal) -> BindingRequestRead:
    req, mobile = row.request, row.request.applicant_mobile
    if mobile and not sees_full_contact(principal, row.street):
        mobile = mask_mobile(mobile)
    return BindingRequestRead(
        id=req.id, status=BindingStatus(req.status), enterprise_uscc=row.enterprise.uscc,  # type: ignore[arg-type]
        enterprise_name=row.enterprise.name, street_code=row.street.code, provider=Provider(row.user.provider),
        applicant_name=req.applicant_name, applicant_mobile=mobile, note=req.note, decided_by=req.decided_by,
        decided_at=req.decided_at, reason=req.reason, created_at=req.created_at,
    )
