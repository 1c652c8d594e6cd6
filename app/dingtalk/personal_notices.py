"""Work notices that concern no appeal (DESIGN §14): a visit's 回头看 day to its visitor, and a policy push's digest
to each paired liaison — the person's own channel, beside the group messages of app.notifications.

Subscribed by app.dingtalk.setup.install to the events the visits and policies domains publish (`RevisitDue` in the
sweeper's revisit step, `PolicyPushed` in a push), so neither domain knows DingTalk. Like the appeal notices they
are `notice` rows of the DingTalk outbox written in the publisher's transaction: one row per (event, user) by its
dedupe key, rendered once (a retry sends the same bytes), sent by app.dingtalk.dispatch within the user's daily
budget (over it: held for the next morning's digest), and their content names the visit or the push, so two of
them the same day are two deliveries rather than one the vendor drops as the same content.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.auth.models import User
from app.core import events
from app.dingtalk import plan
from app.dingtalk.handlers import active_settings, add_op
from app.dingtalk.plan import OpKind
from app.enterprises.models import Enterprise
from app.enums import VISIT_MODE_LABELS, VisitMode
from app.notifications import policy_digest
from app.policies.events import PolicyPushed
from app.units.models import Unit
from app.visits.revisits import RevisitDue

HOME_PATH = "/m/"  # 我的企业 on the phone: where the visitor registers the revisit


def register() -> None:
    events.subscribe(RevisitDue, on_revisit_due)
    events.subscribe(PolicyPushed, on_policy_pushed)
    policy_digest.add_personal_channel(reaches)  # the group then does not @ them: they hear of a push once


def _userid(user: User | None) -> str | None:
    if user is None or not user.active:
        return None
    return (user.dingtalk_userid or "").strip() or None


def reaches(user: User) -> bool:
    """Whether a push's digest reaches this user as a work notice (`on_policy_pushed` writes one exactly then)."""
    return active_settings() is not None and _userid(user) is not None


def on_revisit_due(session: Session, event: RevisitDue) -> None:
    """The visitor's notice; never commits (it runs in the revisit step's transaction)."""
    settings = active_settings()
    userid = _userid(session.get(User, event.visitor_user_id))
    if settings is None or userid is None:
        return
    enterprise = session.get(Enterprise, event.enterprise_id)
    street = session.get(Unit, event.street_unit_id)
    try:
        mode = VISIT_MODE_LABELS[VisitMode(event.mode)]
    except ValueError:
        mode = event.mode
    msg = plan.revisit_notice(visit_id=event.visit_id, enterprise_name=enterprise.name if enterprise else "",
                              visited_on=event.visited_on, revisit_on=event.revisit_on, mode_label=mode,
                              street_name=street.name if street else "",
                              link=settings.public_base_url.rstrip("/") + HOME_PATH)
    add_op(session, OpKind.notice, None, f"revisit:{event.visit_id}:{userid}", {"msg": msg}, event.now,
           userid=userid)


def on_policy_pushed(session: Session, event: PolicyPushed) -> None:
    """One digest per paired liaison of the newly reached enterprises; never commits (the push's transaction)."""
    if active_settings() is None or event.at is None or not event.by_liaison:
        return
    users = session.exec(select(User).where(col(User.id).in_(set(event.by_liaison))).order_by(col(User.id))).all()
    for user in users:
        userid = _userid(user)
        if not reaches(user) or userid is None or user.id is None:
            continue
        msg = plan.policy_notice(push_id=event.push_id, title=event.title, issuer=event.issuer_unit_name,
                                 count=event.by_liaison[user.id], apply_by=event.apply_by, url=event.url,
                                 pushed_at=event.at)
        add_op(session, OpKind.notice, None, f"policy:{event.push_id}:{userid}", {"msg": msg}, event.at,
               userid=userid)
