"""`zhuqi token create --enterprise USCC`: a bearer token of an enterprise (mini-program) user bound to that
enterprise, so the enterprise flow can be tried with curl without WeChat or DingTalk. Dev and test only: the CLI
refuses it in prod.

It goes through the same doors a real user does — sign-in with a vendor identity, an invitation code issued by an
admin over the enterprise's street, binding with that code — so the token behaves exactly like one from the
mini-program. The identity is fixed per enterprise (`cli-trial:USCC`): running it again signs the same user in
again (a new session) and does not bind twice."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.accounts import binding, service
from app.accounts.models import Provider
from app.accounts.schemas import BindingCreate, InvitationCreate
from app.accounts.vendors import VendorIdentity
from app.auth.principal import Principal
from app.enterprises import service as enterprises
from app.enterprises.models import Enterprise
from app.enums import Role
from app.errors import NotFound

TRIAL_SUBJECT = "cli-trial:{uscc}"
TRIAL_NAME = "本地试用（zhuqi token create）"


def token_for(session: Session, uscc: str, *, secret: str, now: datetime) -> tuple[str, Enterprise]:
    """Returns an access token (ACCESS_TTL) and the enterprise it is bound to; NotFound for an unknown USCC."""
    found = enterprises.get_with_street(session, uscc)
    if found is None:
        raise NotFound(f"企业 {uscc.strip().upper()} 未登记 (no enterprise with this USCC)")
    enterprise, street = found
    identity = VendorIdentity(provider=Provider.wechat, subject=TRIAL_SUBJECT.format(uscc=enterprise.uscc),
                              display_name=TRIAL_NAME[:50])
    issued = service.sign_in(session, identity, secret=secret, now=now)
    if issued.user.enterprise_id is None:
        # The street's admin would issue the code; a system principal over the street does it here.
        admin = Principal(role=Role.system, label=TRIAL_NAME, unit_id=street.id, unit_code=street.code,
                          unit_path=street.path)
        _, code, _ = binding.create_invitation(session, admin, enterprise.uscc, InvitationCreate(valid_days=1),
                                               secret=secret, now=now)
        user = service.principal_for(session, issued.user)
        binding.bind(session, user, BindingCreate(uscc=enterprise.uscc, name=enterprise.name, invitation_code=code),
                     secret=secret, now=now)
    return issued.access_token, enterprise
