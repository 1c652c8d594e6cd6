"""Races on PostgreSQL: two sweepers on the same due appeals, and a resolve racing an escalation."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select

from app.appeals import workflow
from app.appeals.lifecycle import Action
from app.appeals.models import Appeal, AppealEvent
from app.appeals.schemas import ActionIn, AppealCreate
from app.appeals.service import submit_appeal
from app.appeals.sweeper import sweep
from app.auth.service import authenticate_api_key, create_api_key
from app.errors import AppError
from tests.helpers import appeal_body

pytestmark = pytest.mark.postgres_only


def _staff(session, clock, role, unit):
    _, token = create_api_key(session, role=role, unit_code=unit, name=f"{role}@{unit}", now=clock.now)
    return authenticate_api_key(session, token)


def _file_many(session, clock, n):
    city = _staff(session, clock, "city_admin", "330100")
    return [submit_appeal(session, city, AppealCreate(**appeal_body()), now=clock.now).body["id"] for _ in range(n)]


def _run_in_threads(*targets):
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn):
        def run():
            try:
                barrier.wait()
                fn()
            except BaseException as exc:  # noqa: BLE001 — surfaced below
                errors.append(exc)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_two_sweepers_escalate_each_appeal_exactly_once(city, clock, engine):
    ids = _file_many(city, clock, 500)
    later = clock.now + timedelta(hours=24, seconds=1)  # every respond deadline has passed

    def sweeper():
        with Session(engine) as s:
            while sweep(s, now=later, limit=50):
                pass

    _run_in_threads(sweeper, sweeper)
    with Session(engine) as s:
        counts = dict(s.exec(select(AppealEvent.appeal_id, func.count()).where(AppealEvent.type == "escalated")
                             .group_by(AppealEvent.appeal_id)).all())
        tiers = set(s.exec(select(Appeal.tier).where(Appeal.id.in_(ids))).all())
        versions = set(s.exec(select(Appeal.escalations).where(Appeal.id.in_(ids))).all())
    assert len(counts) == 500 and set(counts.values()) == {1}
    assert tiers == {"district"} and versions == {1}


def test_resolve_racing_escalation_never_both(city, clock, engine):
    ids = _file_many(city, clock, 20)
    liaison = _staff(city, clock, "liaison", "330106012")
    for aid in ids:
        workflow.perform_action(city, liaison, aid, Action.sign, ActionIn(), now=clock.now)
    with Session(engine) as s:
        deadline = max(a.unit_resolve_by for a in s.exec(select(Appeal).where(Appeal.id.in_(ids))).all())
    later = deadline + timedelta(seconds=1)
    outcomes: dict[int, str] = {}

    def resolver():
        for aid in ids:
            with Session(engine) as s:
                try:
                    workflow.perform_action(s, liaison, aid, Action.resolve,
                                            ActionIn(resolution_code="已解决", public_reply="已办结"), now=later)
                    outcomes[aid] = "resolved"
                except AppError as exc:
                    outcomes[aid] = type(exc).__name__

    def sweeper():
        with Session(engine) as s:
            for _ in range(40):
                sweep(s, now=later, limit=5)

    _run_in_threads(resolver, sweeper)
    print("race outcomes:", sorted(outcomes.values()))
    with Session(engine) as s:
        for aid in ids:
            appeal = s.get(Appeal, aid)
            types = s.exec(select(AppealEvent.type).where(AppealEvent.appeal_id == aid)).all()
            if outcomes[aid] == "resolved":
                assert appeal.status == "resolved" and "escalated" not in types, (aid, types)
            else:
                assert outcomes[aid] in ("InvalidTransition", "Forbidden", "NotFound"), outcomes[aid]
                assert types.count("escalated") == 1 and "resolved" not in types, (aid, types)
