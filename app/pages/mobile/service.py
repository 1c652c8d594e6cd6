"""Use cases of the liaison's mobile page: the page links in chat messages, opening an appeal, acting on it.

One use case, one commit, here. Who is looking (the `Viewer`) is app.signin's; what they may see and do is the
API's (visibility, the workflow). No FastAPI in here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from app.appeals import workflow
from app.appeals.access import visibility_clause
from app.appeals.lifecycle import Action
from app.appeals.models import Appeal
from app.appeals.schemas import ActionIn
from app.auth import service as auth
from app.auth.models import User
from app.config import Settings, get_settings
from app.errors import AppError, Forbidden, NotFound
from app.signin import tokens
from app.signin.service import Viewer

LINK_TTL = timedelta(hours=72)


# ---------------------------------------------------------------- links in chat messages


def link_for(
    session: Session, appeal: Appeal, *, now: datetime, settings: Settings | None = None, bind_liaison: bool = True
) -> str:
    """The page link for a chat message, with a one-time token (72 h, this appeal only).

    Bound to the appeal's liaison when that person is active and works in the owning unit (they may act after
    opening it); otherwise bound to the owning unit (whoever opens it may look, not act). Inside DingTalk the page
    signs the reader in by 免登 anyway, so the token matters only outside it. Never commits.
    """
    settings = settings or get_settings()
    user_id = None
    if bind_liaison and appeal.liaison_user_id is not None:
        user = session.get(User, appeal.liaison_user_id)
        if user is not None and user.active and user.unit_id == appeal.unit_id:
            user_id = user.id
    token = tokens.make_link_token(settings.signing_secret, appeal.number, user_id, appeal.unit_id,
                                   now + LINK_TTL)
    return tokens.appeal_url(settings.public_base_url, appeal.number, token)


# ---------------------------------------------------------------- appeals


def visible_appeal(session: Session, viewer: Viewer, number: str) -> Appeal:
    """The appeal if this viewer may open it: same reach as the API (its subtree, or the enterprise's street),
    further limited to the session's scope for link sessions. Otherwise 404, so numbers leak nothing."""
    principal = viewer.principal
    appeal = None
    if viewer.may_open(number):
        appeal = session.exec(select(Appeal).where(
            Appeal.number == number, visibility_clause(principal, auth.reach_unit_ids(session, principal)))).first()
    if appeal is None:
        session.rollback()
        raise NotFound(f"诉求 {number} 不存在或不在您的权限范围内")
    return appeal


def act(
    session: Session, viewer: Viewer, number: str, action: Action, data: ActionIn, *, version: int | None,
    now: datetime,
) -> Appeal:
    """A page form → the same workflow as the API (If-Match = the version the page showed). One commit."""
    if viewer.read_only:
        raise Forbidden("通过群链接打开的页面只能查看；办理请在钉钉中打开本页，或使用发给您本人的链接")
    appeal = visible_appeal(session, viewer, number)
    try:
        return workflow.perform_action(session, viewer.principal, appeal.id, action, data, now=now,  # type: ignore[arg-type]
                                       if_match=version, via="page")
    except AppError:
        session.rollback()  # nothing a refused action touched survives, not even in this session's identity map
        raise
