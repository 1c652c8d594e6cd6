"""The DingTalk outbox dispatcher: claim due rows with a lease, call DingTalk, fenced ack (the scheme of
app.notifications.dispatcher, for per-user targets).

  1. claim  — one transaction: due rows get this worker's lease (SKIP LOCKED on PostgreSQL).
  2. reserve — count the attempt (fenced on lease owner and attempts); a work notice also takes one of the
               user's daily sends, or is held for the next morning's digest when the budget is spent.
  3. call   — no transaction open.
  4. ack    — fenced UPDATE: sent / retry later / dead.
At-least-once: a crash between 3 and 4 repeats the call after the lease. That is harmless for each kind: the
notice's bytes are the same, and DingTalk drops the same content to the same user the same day; a to-do is
de-duplicated by its sourceId, a card by its outTrackId, an update or a completion is idempotent.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from app.config import Settings
from app.core import metrics
from app.db import is_postgres, session_for
from app.dingtalk import plan
from app.dingtalk.client import DingTalkApi, DingTalkError, DingTalkWorkplace
from app.dingtalk.errors import Kind, task_missing
from app.dingtalk.models import DingTalkCard, DingTalkNoticeDay, DingTalkOp, DingTalkTodo, DingTalkUnionId
from app.dingtalk.plan import OpKind, OpStatus
from app.notifications.delivery import next_attempt_delay
from app.notifications.dispatcher import default_owner

log = logging.getLogger("app.dingtalk.dispatch")
WAIT = timedelta(seconds=5)  # an op waiting for another (an update for its card's creation) looks again after this
_LIVE = (OpStatus.pending, OpStatus.held)


def enabled(settings: Settings) -> bool:
    return bool(settings.dingtalk_agent_id and settings.dingtalk_app_key
                and settings.dingtalk_app_secret.get_secret_value())


_workplaces: dict[tuple[Any, ...], DingTalkApi] = {}


def workplace_for(settings: Settings) -> DingTalkApi:
    """One client per process and app: its token cache is what keeps us at one token fetch per 2 hours."""
    key = (settings.dingtalk_app_key, settings.dingtalk_agent_id, settings.dingtalk_api_base,
           settings.dingtalk_oapi_base)
    if key not in _workplaces:
        _workplaces[key] = DingTalkApi(
            httpx.Client(follow_redirects=False), app_key=settings.dingtalk_app_key,
            app_secret=settings.dingtalk_app_secret.get_secret_value(), agent_id=int(settings.dingtalk_agent_id or 0),
            robot_code=settings.dingtalk_robot_code or settings.dingtalk_app_key, clock=time.time,
            oapi=settings.dingtalk_oapi_base.rstrip("/"), api=settings.dingtalk_api_base.rstrip("/"))
    return _workplaces[key]


@dataclass
class _Run:
    engine: Engine
    settings: Settings
    workplace: DingTalkWorkplace
    owner: str
    lease: timedelta
    now: datetime
    rand: Callable[[], float]


def run_job(engine: Engine, settings: Settings, now: datetime) -> int:
    """The worker's job (app.worker.registered_jobs); nothing to do unless the DingTalk app is configured."""
    if not enabled(settings):
        return 0
    prune(engine, now)
    return dispatch_due(engine, settings, now, workplace=workplace_for(settings))


KEEP_DONE = timedelta(days=30)  # finished rows stay this long for "what did DingTalk get" questions
_FINISHED = (OpStatus.sent, OpStatus.digested, OpStatus.cancelled, OpStatus.dead)
_pruned: dict[int, datetime] = {}


def prune(engine: Engine, now: datetime, *, every: timedelta = timedelta(hours=1)) -> int:
    """Deletes finished rows older than KEEP_DONE and past days' budget counters, at most once an hour."""
    last = _pruned.get(id(engine))
    if last is not None and now - last < every:
        return 0
    _pruned[id(engine)] = now
    with session_for(engine) as session:
        gone = session.exec(sa.delete(DingTalkOp).where(col(DingTalkOp.status).in_(_FINISHED),
                                                        col(DingTalkOp.created_at) < now - KEEP_DONE))
        session.exec(sa.delete(DingTalkNoticeDay).where(col(DingTalkNoticeDay.day) < plan.china_day(now)))
        session.commit()
    return int(gone.rowcount or 0)


def dispatch_due(engine: Engine, settings: Settings, now: datetime, *, workplace: DingTalkWorkplace,
                 owner: str | None = None, limit: int = 200, rand: Callable[[], float] = random.random) -> int:
    """One round; returns how many rows reached DingTalk. Safe with any number of workers."""
    run = _Run(engine, settings, workplace, owner or default_owner(),
               timedelta(seconds=settings.dispatch_lease_seconds), now, rand)
    _register_card_callback(run)
    with session_for(engine) as session:
        rows = _claim(session, run, limit)
    done = 0
    notices = [r for r in rows if r.kind == OpKind.notice]
    held = [r for r in notices if r.status == OpStatus.held]
    for userid in dict.fromkeys(r.userid for r in held):
        done += _send_digest(run, [r for r in held if r.userid == userid])
    groups: dict[str, list[DingTalkOp]] = {}
    for row in notices:
        if row.status == OpStatus.pending:
            groups.setdefault(json.dumps(row.payload, sort_keys=True, ensure_ascii=False), []).append(row)
    for group in groups.values():
        done += _send_notices(run, group)
    for row in rows:
        if row.kind != OpKind.notice:
            done += _run_op(run, row)
    return done


_registered: set[tuple[int, str, str]] = set()
CARD_CALLBACK_PATH = "/api/v1/callbacks/dingtalk/card"


def _register_card_callback(run: _Run) -> None:
    """HTTP mode with cards: tell DingTalk our card-callback URL and key once per process (forceUpdate, so a
    changed public URL or secret takes effect on the next start). Failing, it is tried again next round."""
    s = run.settings
    secret = s.dingtalk_card_api_secret.get_secret_value()
    if s.dingtalk_mode != "http" or not s.dingtalk_card_template_id or not secret:
        return
    url = s.public_base_url.rstrip("/") + CARD_CALLBACK_PATH
    key = (id(run.workplace), s.dingtalk_card_route_key, url)
    if key in _registered:
        return
    try:
        run.workplace.register_card_callback(s.dingtalk_card_route_key, url, secret)
    except DingTalkError as exc:
        log.warning("registering the card callback failed (%s); retrying next round", exc.judgement.code)
        return
    _registered.add(key)


def _claim(session: Session, run: _Run, limit: int) -> list[DingTalkOp]:
    query = (select(DingTalkOp.id)
             .where(col(DingTalkOp.status).in_(_LIVE), col(DingTalkOp.next_attempt_at) <= run.now)
             .order_by(col(DingTalkOp.next_attempt_at), col(DingTalkOp.id)).limit(limit))
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    ids = list(session.exec(query).all())
    if ids:
        session.exec(update(DingTalkOp).where(col(DingTalkOp.id).in_(ids))
                     .values(lease_owner=run.owner, next_attempt_at=run.now + run.lease))
    rows = list(session.exec(select(DingTalkOp).where(col(DingTalkOp.id).in_(ids)).order_by(col(DingTalkOp.id)))
                .all()) if ids else []
    session.commit()
    return rows


def _fenced(row: DingTalkOp, owner: str, seen: int, **values: Any) -> Any:
    return (update(DingTalkOp)
            .where(col(DingTalkOp.id) == row.id, DingTalkOp.lease_owner == owner, DingTalkOp.attempts == seen,
                   col(DingTalkOp.status).in_(_LIVE))
            .values(**values))


def _take(session: Session, run: _Run, row: DingTalkOp) -> bool:
    """Counts this attempt; False when the lease ran out and another worker has the row."""
    taken = session.exec(_fenced(row, run.owner, row.attempts, attempts=row.attempts + 1))
    return bool(taken.rowcount == 1)


def _ack(session: Session, run: _Run, row: DingTalkOp, error: DingTalkError | Exception | None, *,
         status: OpStatus = OpStatus.sent) -> bool:
    """Settles an attempt made with `row.attempts + 1`; True when it succeeded."""
    attempts = row.attempts + 1
    if error is None:
        session.exec(_fenced(row, run.owner, attempts, status=status, done_at=run.now, lease_owner=None,
                             last_error=None))
        metrics.inc("zhuqi_dingtalk_ops_total", help_text="DingTalk calls that succeeded", kind=row.kind)
        return True
    code = error.judgement.code if isinstance(error, DingTalkError) else type(error).__name__
    message = f"{code} {error}"[:500]
    transient = isinstance(error, DingTalkError) and error.kind in (Kind.retry, Kind.throttled, Kind.token)
    delay = next_attempt_delay(attempts, run.rand()) if transient else None
    if delay is None:
        session.exec(_fenced(row, run.owner, attempts, status=OpStatus.dead, lease_owner=None, last_error=message))
        log.warning("DingTalk %s %s given up: %s", row.kind, row.dedupe_key, message)
    else:
        session.exec(_fenced(row, run.owner, attempts, next_attempt_at=run.now + delay, lease_owner=None,
                             last_error=message))
    metrics.inc("zhuqi_dingtalk_failures_total", help_text="DingTalk calls that failed", kind=row.kind)
    return False


def _attempt(call: Callable[[], Any], what: str) -> tuple[Any, Exception | None]:
    """The call's result, or the exception to settle the attempt with: a bug (or bad data) is logged and
    ends the row like a permanent vendor error, never the whole round."""
    try:
        return call(), None
    except DingTalkError as exc:
        return None, exc
    except Exception as exc:  # logged here, settled by _ack
        log.exception("DingTalk call %s failed unexpectedly", what)
        return None, exc


def _release(session: Session, run: _Run, row: DingTalkOp, at: datetime) -> None:
    """Back to the queue without spending an attempt (waiting for another row)."""
    session.exec(_fenced(row, run.owner, row.attempts, next_attempt_at=at, lease_owner=None))


# ---- work notices -------------------------------------------------------------------------------------------
def _spend(session: Session, userid: str, now: datetime, budget: int) -> bool:
    """Takes one of the user's sends today, under the row's lock; False when the budget is spent."""
    day = plan.china_day(now)
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    session.exec(insert(DingTalkNoticeDay).values(userid=userid, day=day, sends=0)  # type: ignore[call-overload]
                 .on_conflict_do_nothing())
    row = session.exec(select(DingTalkNoticeDay).where(DingTalkNoticeDay.userid == userid,
                                                       DingTalkNoticeDay.day == day)
                       .with_for_update().execution_options(populate_existing=True)).one()
    if row.sends >= budget:
        return False
    row.sends += 1
    session.add(row)
    return True


def _send_notices(run: _Run, group: list[DingTalkOp]) -> int:
    """One call for everyone in the group (same content), ≤100 userids per call inside the client. One send
    is kept back from each user's budget for the next morning's digest of what was held."""
    budget = run.settings.dingtalk_notice_daily_budget - 1
    taken: list[DingTalkOp] = []
    with session_for(run.engine) as session:
        for row in group:
            if not _spend(session, row.userid or "", run.now, budget):
                session.exec(_fenced(row, run.owner, row.attempts, status=OpStatus.held, lease_owner=None,
                                     next_attempt_at=plan.next_digest_at(run.now)))
                metrics.inc("zhuqi_dingtalk_notices_held_total", help_text="Work notices held for the digest")
            elif _take(session, run, row):
                taken.append(row)
        session.commit()
    if not taken:
        return 0
    _, error = _attempt(lambda: run.workplace.send_work_notification([r.userid or "" for r in taken],
                                                                     group[0].payload["msg"]), "notice")
    with session_for(run.engine) as session:
        sent = sum(_ack(session, run, row, error) for row in taken)
        session.commit()
    return sent


def _send_digest(run: _Run, rows: list[DingTalkOp]) -> int:
    userid = rows[0].userid or ""
    with session_for(run.engine) as session:
        if not _spend(session, userid, run.now, run.settings.dingtalk_notice_daily_budget):
            for row in rows:
                _release(session, run, row, plan.next_digest_at(run.now))
            session.commit()
            return 0
        taken = [row for row in rows if _take(session, run, row)]
        session.commit()
    if not taken:
        return 0
    msg = plan.digest([r.payload["msg"] for r in taken],
                      day_label=plan.china_day(run.now).isoformat())
    _, error = _attempt(lambda: run.workplace.send_work_notification([userid], msg), "digest")
    with session_for(run.engine) as session:
        done = [_ack(session, run, row, error, status=OpStatus.digested) for row in taken]
        session.commit()
    return 1 if all(done) else 0


# ---- to-dos and cards ---------------------------------------------------------------------------------------
def _union_id(run: _Run, userid: str) -> str:
    with session_for(run.engine) as session:
        cached = session.get(DingTalkUnionId, userid)
    if cached is not None:
        return cached.union_id
    union_id = run.workplace.get_union_id(userid)
    with session_for(run.engine) as session:
        if session.get(DingTalkUnionId, userid) is None:
            session.add(DingTalkUnionId(userid=userid, union_id=union_id, fetched_at=run.now))
            try:
                session.commit()
            except sa.exc.IntegrityError:  # another worker cached it first
                session.rollback()
    return union_id


def _create_op_of(session: Session, todo_id: int) -> DingTalkOp | None:
    return session.exec(select(DingTalkOp).where(DingTalkOp.kind == OpKind.todo_create,
                                                 DingTalkOp.ref_id == todo_id)).first()


def _run_op(run: _Run, row: DingTalkOp) -> int:
    """One to-do or card call. Reads what it needs, releases the row when it must wait for another."""
    with session_for(run.engine) as session:
        todo = session.get(DingTalkTodo, row.ref_id) if row.kind in (OpKind.todo_create, OpKind.todo_done) else None
        card = session.get(DingTalkCard, row.ref_id) if row.kind in (OpKind.card_create, OpKind.card_update) else None
        if row.kind == OpKind.todo_create and todo is not None and todo.status != "open":
            # Closed before it was ever created (the appeal moved on first): nothing to create.
            session.exec(_fenced(row, run.owner, row.attempts, status=OpStatus.cancelled, lease_owner=None))
            session.commit()
            return 0
        lookup = False  # a completion without the task's id: find it by sourceId (docs/dingtalk.md §4)
        if row.kind == OpKind.todo_done and todo is not None and todo.task_id is None:
            creation = _create_op_of(session, todo.id)  # type: ignore[arg-type]
            if creation is not None and creation.status in _LIVE:
                _release(session, run, row, run.now + WAIT)
                session.commit()
                return 0
            # A creation that was tried may have reached DingTalk although we never saved its answer (a worker
            # killed between the call and the ack, then the appeal moved on and the retry was cancelled).
            lookup = creation is None or creation.attempts > 0
        if row.kind == OpKind.card_update and card is not None and card.status != "delivered":
            _release(session, run, row, run.now + WAIT)
            session.commit()
            return 0
        if (todo is None and card is None) or not _take(session, run, row):
            session.rollback()
            return 0
        session.commit()
    result, error = _attempt(lambda: _call(run, row, todo, card, lookup=lookup), row.dedupe_key)
    with session_for(run.engine) as session:
        ok = _ack(session, run, row, error)
        if ok:
            _record(session, row, todo, card, result, run.now)
        session.commit()
    return int(ok)


def _call(run: _Run, row: DingTalkOp, todo: DingTalkTodo | None, card: DingTalkCard | None, *,
          lookup: bool = False) -> Any:
    if row.kind == OpKind.todo_create and todo is not None:
        union_id = _union_id(run, todo.userid)
        p = row.payload
        return union_id, run.workplace.create_todo(union_id, source_id=todo.source_id, subject=p["subject"],
                                                   description=p.get("description", ""), due_ms=p.get("due_ms"),
                                                   url=p.get("url"))
    if row.kind == OpKind.todo_done and todo is not None:
        union_id, task_id = todo.union_id, todo.task_id
        if task_id is None and lookup:
            union_id = _union_id(run, todo.userid)
            task_id = run.workplace.find_todo(union_id, todo.source_id)
        if task_id and union_id:
            try:
                run.workplace.complete_todo(union_id, task_id)
            except DingTalkError as exc:  # deleted in DingTalk by the person: already gone, nothing to finish
                if not task_missing(exc.judgement):
                    raise
        return None
    if row.kind == OpKind.card_create and card is not None:
        mode_http = run.settings.dingtalk_mode == "http"
        return run.workplace.create_card(card.out_track_id, template_id=run.settings.dingtalk_card_template_id,
                                         params=row.payload["params"],
                                         open_conversation_id=card.open_conversation_id,
                                         callback_route_key=run.settings.dingtalk_card_route_key if mode_http else None)
    if row.kind == OpKind.card_update and card is not None:
        run.workplace.update_card(card.out_track_id, row.payload["params"])
    return None


def _record(session: Session, row: DingTalkOp, todo: DingTalkTodo | None, card: DingTalkCard | None,
            result: Any, now: datetime) -> None:
    if row.kind == OpKind.todo_create and todo is not None:
        union_id, task_id = result
        stored = session.get(DingTalkTodo, todo.id)
        if stored is not None:
            stored.union_id, stored.updated_at = union_id, now
            # None: DingTalk said "task exist" yet had no task under our sourceId; its completion looks again.
            stored.task_id = task_id
            if task_id is None and stored.status == "open":
                stored.status = "unknown"
            session.add(stored)
    elif row.kind == OpKind.card_create and card is not None:
        stored_card = session.get(DingTalkCard, card.id)
        if stored_card is not None:
            stored_card.status, stored_card.updated_at = "delivered", now
            session.add(stored_card)
