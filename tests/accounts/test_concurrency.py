"""Limits that must hold under concurrency, on SQLite and PostgreSQL: an invitation code binds exactly one
user, and the daily intake limit is never exceeded, however many requests race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

from app.accounts import binding, quota, service
from app.accounts.models import Provider
from app.accounts.schemas import BindingCreate, InvitationCreate
from app.accounts.vendors import VendorIdentity
from app.appeals import service as appeals
from app.appeals.schemas import AppealCreate
from app.auth.service import authenticate_api_key, create_api_key
from app.core import idempotency
from app.enums import Category, Role
from app.errors import AppError
from tests.helpers import XIXI_ENTERPRISE

SECRET = "test-secret-key-" + "x" * 32


def race(engine: Any, jobs: list[Callable[[Session], object]]) -> list[object]:
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                results[index] = jobs[index](session)
            except AppError as exc:
                results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _principal(session: Session, openid: str, now: Any, *, bind_to: int | None = None):  # type: ignore[no-untyped-def]
    issued = service.sign_in(session, VendorIdentity(Provider.wechat, openid), secret=SECRET, now=now)
    if bind_to is not None:
        issued.user.enterprise_id = bind_to
        session.add(issued.user)
        session.commit()
    return service.authenticate(session, issued.access_token, secret=SECRET, now=now)


def test_an_invitation_binds_exactly_one_user(city, db, clock):
    _, key = create_api_key(city, role=Role.street_admin, unit_code="330106012", name="admin", now=clock.now)
    admin = authenticate_api_key(city, key)
    _, code, _ = binding.create_invitation(city, admin, XIXI_ENTERPRISE, InvitationCreate(), secret=SECRET,
                                           now=clock.now)
    users = [_principal(city, f"o-{n}", clock.now) for n in range(4)]
    city.rollback()
    data = BindingCreate(uscc=XIXI_ENTERPRISE, name="杭州西溪智造科技有限公司", invitation_code=code)
    results = race(db, [lambda s, u=u: binding.bind(s, u, data, secret=SECRET, now=clock.now) for u in users])
    bound = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(bound) == 1 and len(refused) == 3, results
    assert all(r.status_code == 422 for r in refused)


def test_daily_limit_holds_under_a_burst(city, db, clock):
    from app.enterprises.service import get_by_uscc

    enterprise = get_by_uscc(city, XIXI_ENTERPRISE)
    assert enterprise is not None
    user = _principal(city, "o-burst", clock.now, bind_to=enterprise.id)
    city.rollback()
    data = AppealCreate(title="道路破损", description="厂区门口道路破损。", category=Category.other)
    jobs = [lambda s: appeals.submit_appeal(s, user, data, now=clock.now) for _ in range(quota.DAILY_APPEAL_LIMIT + 5)]
    results = race(db, jobs)
    created = [r for r in results if isinstance(r, idempotency.Outcome)]
    limited = [r for r in results if isinstance(r, AppError)]
    assert len(created) == quota.DAILY_APPEAL_LIMIT, results
    assert len(limited) == 5 and all(r.status_code == 429 for r in limited)
