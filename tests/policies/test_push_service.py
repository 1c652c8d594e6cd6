"""Push at the service level on both databases: idempotency, re-push adding only new matches, two pushes racing on
PostgreSQL, and 1,000 deliveries becoming a handful of digests that the fake DingTalk robot accepts without a block."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlmodel import Session, func, select

from app.auth.models import User
from app.auth.principal import Principal
from app.enums import Role, Tier
from app.notifications.models import OutboxMessage
from app.policies import push
from app.policies.models import Policy, PolicyDelivery, PolicyPush
from app.units.models import Unit
from tests.notifications.conftest import ROBOT_URL, SECRET, TOKEN, KEYWORD, dispatch, outbox_rows
from tests.policies.conftest import bulk_enterprises

pytestmark = pytest.mark.db


def district_admin(session: Session) -> Principal:
    unit = session.exec(select(Unit).where(Unit.code == "330106")).one()
    return Principal(role=Role.district_admin, label="西湖区管理员", unit_id=unit.id, unit_code=unit.code,
                     unit_path=unit.path, unit_tier=Tier.district, key_id=1)


def make_policy(session: Session, now) -> int:  # type: ignore[no-untyped-def]
    unit = session.exec(select(Unit).where(Unit.code == "330106")).one()
    policy = Policy(title="专精特新制造企业技术改造补助", issuer_unit_id=unit.id, summary="补助", kind="targeted",  # type: ignore[arg-type]
                    benefit="subsidy", target={"tags_any": ["专精特新"], "industries": ["C"], "min_employees": 20,
                                               "max_employees": 300},
                    valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), created_by="test", created_at=now,
                    updated_at=now)
    session.add(policy)
    session.commit()
    return policy.id  # type: ignore[return-value]


def count(session: Session, model: type) -> int:
    n = session.exec(select(func.count()).select_from(model)).one()
    session.rollback()
    return n


def test_push_is_idempotent_and_a_repush_adds_only_new_matches(city, clock):
    bulk_enterprises(city, "330106012", 50, now=clock.now)
    bulk_enterprises(city, "330106012", 5, now=clock.now, start=900, employees=5)  # too small: never matched
    pid = make_policy(city, clock.now)
    admin = district_admin(city)
    status, first, replayed = push.push_policy(city, admin, pid, now=clock.now, idempotency_key="k1")
    assert (status, first["matched"], first["new_deliveries"], replayed) == (201, 50, 50, False)
    assert push.push_policy(city, admin, pid, now=clock.now, idempotency_key="k1") == (201, first, True)
    bulk_enterprises(city, "330106012", 10, now=clock.now, start=100)
    clock.advance(hours=1)
    _, second, _ = push.push_policy(city, admin, pid, now=clock.now)
    assert (second["matched"], second["new_deliveries"]) == (60, 10)
    _, third, _ = push.push_policy(city, admin, pid, now=clock.now)
    assert (third["matched"], third["new_deliveries"]) == (60, 0)
    assert count(city, PolicyDelivery) == 60 and count(city, PolicyPush) == 3
    pairs = city.exec(select(PolicyDelivery.policy_id, PolicyDelivery.enterprise_id)).all()
    assert len(set(pairs)) == 60


@pytest.mark.postgres_only
def test_two_pushes_racing_on_postgresql_deliver_once_each(city, db, clock):
    bulk_enterprises(city, "330106012", 300, now=clock.now)
    pid = make_policy(city, clock.now)
    admin = district_admin(city)
    barrier = threading.Barrier(2)
    results: list[dict] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with Session(db, expire_on_commit=False) as session:
                barrier.wait()
                results.append(push.push_policy(session, admin, pid, now=clock.now)[1])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(results) == 2
    assert sorted(r["new_deliveries"] for r in results)[1] > 0
    assert sum(r["new_deliveries"] for r in results) == 300 and all(r["matched"] == 300 for r in results)
    assert count(city, PolicyDelivery) == 300


def test_a_push_to_1000_enterprises_is_a_few_digests_delivered_without_a_block(
        client, keys, city, db, settings, clock, robot, robot_client):
    r = client.post("/api/v1/units/330106012/channels", headers=keys["xixi_admin"], json={
        "name": "西溪街道助企服务群", "kind": "dingtalk", "url": ROBOT_URL, "secret": SECRET, "keyword": KEYWORD})
    assert r.status_code == 201, r.text
    unit = city.exec(select(Unit).where(Unit.code == "330106012")).one()
    # 20 liaisons of the street: 21 digests in one group, more than its budget of 18 a minute.
    liaisons = [User(name=f"干部{i}", mobile=None, role=Role.liaison, unit_id=unit.id, dingtalk_userid=f"gb{i:02d}",  # type: ignore[arg-type]
                     created_at=clock.now) for i in range(20)]
    city.add_all(liaisons)
    city.commit()
    bulk_enterprises(city, "330106012", 1000, now=clock.now, liaison_ids=[u.id for u in liaisons])
    pid = make_policy(city, clock.now)
    pushed = client.post(f"/api/v1/policies/{pid}/push", headers={**keys["xihu"], "Idempotency-Key": "big"})
    assert pushed.status_code == 201 and pushed.json()["new_deliveries"] == 1000
    rows = outbox_rows(db, event_type="policy_digest")
    assert len(rows) == 21 and len(outbox_rows(db)) == 21  # 1 street group + 20 paired liaisons, not 1,000
    assert all(r.context is None for r in rows)  # SQL NULL: the coalescer leaves digests whole
    sent = 0
    for _ in range(6):  # three fake minutes, a round every 30 s
        sent += dispatch(db, settings, clock, robot_client)
        clock.advance(seconds=30)
    assert sent == 21 and robot.blocks_triggered == 0 and robot.rejected == []
    messages = robot.accepted[TOKEN]
    texts = [m["markdown"]["text"] for m in messages]
    assert sum("本街道 1000 家企业" in t for t in texts) == 1
    assert sorted(m["at"]["atUserIds"][0] for m in messages if "at" in m) == [f"gb{i:02d}" for i in range(20)]
    assert all("您结对的 50 家企业" in t for t in texts if "@gb" in t)
    assert all(r.status == "sent" for r in outbox_rows(db))
    again = client.post(f"/api/v1/policies/{pid}/push", headers=keys["xihu"])
    assert again.json()["new_deliveries"] == 0 and count(city, OutboxMessage) == 21  # nobody told twice
