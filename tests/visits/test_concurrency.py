"""The same visit posted twice at once with one Idempotency-Key makes one visit (PostgreSQL: real concurrency)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from app.appeals.models import Appeal
from app.auth.models import User
from app.auth.service import principal_for_user
from app.core.idempotency import IdempotencyInProgress, Outcome
from app.visits import service
from app.visits.models import Visit
from app.visits.schemas import VisitCreate
from tests.helpers import XIXI_ENTERPRISE

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.mark.postgres_only
def test_one_key_two_concurrent_posts_make_one_visit(city, db):
    wang = city.exec(select(User).where(User.dingtalk_userid == "wangxm01")).one()
    principal = principal_for_user(city, wang)
    city.rollback()
    data = VisitCreate.model_validate({
        "enterprise_uscc": XIXI_ENTERPRISE, "visited_on": "2026-03-01", "mode": "on_site", "summary": "例行走访",
        "appeals": [{"title": "用电增容", "description": "增容审批慢", "category": "energy"}]})
    barrier = threading.Barrier(2)
    results: list[Outcome] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            with Session(db, expire_on_commit=False) as session:
                barrier.wait(timeout=10)
                results.append(service.record_visit(session, principal, data, now=NOW,
                                                    idempotency_key="visit-race-1"))
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # The first claims the key; the other gets its stored answer (it came after the commit) or, while the first
    # is still running, 409 idempotency_in_progress (app.core.idempotency) — never a second visit.
    assert all(isinstance(e, IdempotencyInProgress) for e in errors), errors
    assert [r.replayed for r in results].count(False) == 1 and len(results) + len(errors) == 2
    assert all(r.body == results[0].body for r in results)
    with Session(db) as session:
        assert session.exec(select(func.count()).select_from(Visit)).one() == 1
        assert session.exec(select(func.count()).select_from(Appeal)).one() == 1
