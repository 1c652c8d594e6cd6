"""The DingTalk subscriber of the appeal timeline: writes DingTalk outbox rows in the caller's transaction.

Subscribed once at start (`register(settings)` from the app factory and the worker) to the notification outbox's
per-event fan-out, so app.appeals imports nothing of DingTalk. Nothing here calls DingTalk: the worker's
dispatcher (app.dingtalk.dispatch) sends the rows after the commit, at least once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.appeals.models import Appeal, AppealEvent
from app.auth.models import User
from app.config import Settings
from app.core import events
from app.dingtalk import plan
from app.dingtalk.models import DingTalkCard, DingTalkGroup, DingTalkOp, DingTalkTodo
from app.dingtalk.plan import OpKind, OpStatus
from app.enums import ADMIN_ROLES, Role, Status
from app.appeals.domain_events import AppealEventRecorded as TimelineEventRecorded
from app.pages.mobile.service import link_for
from app.pairing.models import Pairing
from app.units import service as units
from app.units.models import Unit

# DingTalk: "do not call the update API while the callback is in progress" — a card clicked to sign answers in
# its callback; our own update of the shared status waits until that answer is surely out.
CARD_UPDATE_DELAY = timedelta(seconds=3)


class _Config:
    enabled = False  # AgentId + app key/secret
    cards = False  # … and a card template
    settings: Settings | None = None  # signs the page links in to-dos (None: the environment's settings)


_config = _Config()


def configure(settings: Settings) -> None:
    _config.settings = settings
    _config.enabled = bool(settings.dingtalk_agent_id and settings.dingtalk_app_key
                           and settings.dingtalk_app_secret.get_secret_value())
    _config.cards = _config.enabled and bool(settings.dingtalk_card_template_id)


def active_settings() -> Settings | None:
    """The settings bound at start when the DingTalk app is configured; None: DingTalk is off (write nothing)."""
    return (_config.settings or Settings()) if _config.enabled else None


def register(settings: Settings | None = None) -> None:
    if settings is not None:
        configure(settings)
    events.subscribe(TimelineEventRecorded, on_event)


def on_event(session: Session, recorded: TimelineEventRecorded) -> None:
    if not _config.enabled:
        return
    appeal, event, now = recorded.appeal, recorded.event, recorded.now
    todo = plan.plan_for(event.type, status=appeal.status, urgency=appeal.urgency, data=event.data or {})
    if todo == plan.Plan():
        return
    owner = session.get(Unit, appeal.unit_id)
    if owner is None or appeal.id is None or event.id is None:
        return
    facts = _facts(session, appeal, owner, now)
    if todo.close_todos or todo.close_extension_todos:
        _close_todos(session, appeal.id, event, extension_only=not todo.close_todos, now=now)
    if todo.card_status:
        _update_cards(session, appeal, event, facts, now=now)
    if todo.notify:
        msg = plan.notice(facts, event.type, at=now, note=event.note)
        for userid in _expected_to_act(session, appeal):
            add_op(session, OpKind.notice, appeal.id, f"notice:{event.id}:{userid}", {"msg": msg}, now,
                   userid=userid)
    if todo.sign_todo:
        _open_todos(session, appeal.id, f"sign:{event.id}", _liaisons(session, appeal.unit_id), facts, now)
        if _config.cards:
            _create_card(session, appeal, event, owner, facts, now)
    if todo.extension_todo:
        above = units.area_parent(session, owner)
        admins = _users(session, above.id, ADMIN_ROLES) if above is not None and above.id else []
        _open_todos(session, appeal.id, f"extension:{event.id}", admins, facts, now)


def _facts(session: Session, appeal: Appeal, owner: Unit, now: datetime) -> plan.AppealFacts:
    deadline = appeal.respond_by if appeal.status == Status.submitted else appeal.resolve_by
    return plan.AppealFacts(number=appeal.number, category_title=appeal.title, unit_name=owner.name,
                            urgency=appeal.urgency, status=appeal.status, deadline=deadline,
                            link=link_for(session, appeal, now=now, settings=_config.settings))


def _users(session: Session, unit_id: int, roles: frozenset[Role] | set[Role]) -> list[str]:
    rows = session.exec(select(User.dingtalk_userid).where(
        User.unit_id == unit_id, col(User.role).in_([str(r) for r in roles]), User.active == True,
        col(User.dingtalk_userid).is_not(None)).order_by(col(User.id))).all()
    return [r for r in rows if r]


def _liaisons(session: Session, unit_id: int) -> list[str]:
    """The unit's liaisons; a unit without any (a district's office, a department) signs through its admins."""
    return _users(session, unit_id, {Role.liaison}) or _users(session, unit_id, ADMIN_ROLES)


def _expected_to_act(session: Session, appeal: Appeal) -> list[str]:
    """The owning unit's liaisons and the enterprise's paired liaison (结对), once each."""
    people = _liaisons(session, appeal.unit_id)
    paired = session.exec(select(User.dingtalk_userid).join(Pairing, col(Pairing.user_id) == User.id).where(
        Pairing.enterprise_id == appeal.enterprise_id, col(Pairing.ended_at).is_(None),
        User.active == True)).first()
    return list(dict.fromkeys([*people, *([paired] if paired else [])]))


def add_op(session: Session, kind: OpKind, appeal_id: int | None, key: str, payload: dict[str, Any],
           now: datetime, *, userid: str | None = None, ref_id: int | None = None,
           delay: timedelta = timedelta(0)) -> None:
    """One row per dedupe key: a handler run twice for the same event (a retried use case) adds nothing.
    `appeal_id` is None for a notice about no appeal (a revisit due, a policy digest)."""
    if session.exec(select(DingTalkOp.id).where(DingTalkOp.dedupe_key == key)).first() is not None:
        return
    session.add(DingTalkOp(kind=kind, appeal_id=appeal_id, userid=userid, ref_id=ref_id, payload=payload,
                           dedupe_key=key[:160], status=OpStatus.pending, next_attempt_at=now + delay,
                           created_at=now))


def _open_todos(session: Session, appeal_id: int, step: str, userids: list[str], facts: plan.AppealFacts,
                now: datetime) -> None:
    for userid in userids:
        exists = session.exec(select(DingTalkTodo.id).where(
            DingTalkTodo.appeal_id == appeal_id, DingTalkTodo.step == step, DingTalkTodo.userid == userid)).first()
        if exists is not None:
            continue
        row = DingTalkTodo(appeal_id=appeal_id, step=step, userid=userid, source_id=f"zhuqi:{appeal_id}:{step}:{userid}",
                           created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        add_op(session, OpKind.todo_create, appeal_id, f"todo:{row.id}", plan.todo(facts, step), now, ref_id=row.id)


def _close_todos(session: Session, appeal_id: int, event: AppealEvent, *, extension_only: bool,
                 now: datetime) -> None:
    # "unknown": created but its id was not learnt; the completion finds it by sourceId.
    query = select(DingTalkTodo).where(DingTalkTodo.appeal_id == appeal_id,
                                       col(DingTalkTodo.status).in_(("open", "unknown")))
    if extension_only:
        query = query.where(col(DingTalkTodo.step).startswith("extension:"))
    for row in session.exec(query).all():
        row.status, row.updated_at = "done", now
        session.add(row)
        add_op(session, OpKind.todo_done, appeal_id, f"todo_done:{row.id}", {}, now, ref_id=row.id)


def _create_card(session: Session, appeal: Appeal, event: AppealEvent, owner: Unit, facts: plan.AppealFacts,
                 now: datetime) -> None:
    group = session.get(DingTalkGroup, owner.id)
    if group is None or appeal.id is None:
        return
    out_track_id = f"zhuqi-{appeal.id}-{event.id}"  # one card per arrival at a unit
    if session.exec(select(DingTalkCard.id).where(DingTalkCard.out_track_id == out_track_id)).first() is not None:
        return
    card = DingTalkCard(appeal_id=appeal.id, out_track_id=out_track_id,
                        open_conversation_id=group.open_conversation_id, created_at=now, updated_at=now)
    session.add(card)
    session.flush()
    add_op(session, OpKind.card_create, appeal.id, f"card:{card.out_track_id}",
         {"params": plan.card_params(facts, appeal_id=appeal.id)}, now, ref_id=card.id)


def _update_cards(session: Session, appeal: Appeal, event: AppealEvent, facts: plan.AppealFacts, *,
                  now: datetime) -> None:
    actor = session.get(User, event.actor_user_id) if event.actor_user_id else None
    text = plan.status_text(event.type, appeal.status, actor.name if actor else None)
    if event.type in plan.ARRIVALS:
        text = f"已转交{facts.unit_name}办理"
    for card in session.exec(select(DingTalkCard).where(DingTalkCard.appeal_id == appeal.id)).all():
        if event.type in plan.ARRIVALS and card.out_track_id.endswith(f"-{event.id}"):
            continue
        params = {"status": plan.status_label(appeal.status), "status_code": appeal.status, "status_text": text}
        add_op(session, OpKind.card_update, appeal.id, f"card_update:{event.id}:{card.id}",  # type: ignore[arg-type]
             {"params": params}, now, ref_id=card.id, delay=CARD_UPDATE_DELAY)
