"""The world the fuzzer runs in: one app and one seeded database for the whole module, restored from a snapshot
(cheap: a few dozen DELETEs and INSERTs) before an operation only when the previous one may have written: sent a
method other than GET (a read may refresh the statistics rollup, which changes no answer).

Seeding is the expensive part (the demo city, API keys for every role, an enterprise user's bearer token, appeals,
and one row of each kind the newer operations act on, so that the small ids the fuzzer draws reach real rows):
it runs once. Every test item (operation × role) then starts from the same rows, so a failure reproduces alone
(`-k`), whatever ran before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from tests.accounts.helpers import png_bytes, sign_in_headers
from tests.conftest import Clock, create_keys, make_settings, truncate_all
from tests.fakes.dingtalk_robot import FakeDingTalkRobot
from tests.fakes.mini_program_login import FakeDingTalkLogin, FakeWeChat, LoginFakes, login_settings
from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, appeal_body
from tests.notifications.conftest import DNS, KEYWORD, ROBOT_URL, SECRET, TOKEN

CARD_SECRET = "fuzz-card-secret"
# The appeal statistics triggers (migration 0005) mark days dirty on every insert, update and delete of an appeal.
TRIGGER_WRITTEN = {"appeal_stats_dirty"}
ENTERPRISE_OPENID = "fuzz-enterprise-openid"


@dataclass
class Snapshot:
    """Every table's rows (and PostgreSQL's sequence positions) as they were after seeding."""

    rows: dict[str, list[dict[str, Any]]]
    sequences: list[tuple[str, int | None]] = field(default_factory=list)

    @classmethod
    def take(cls, engine: Engine) -> Snapshot:
        with engine.connect() as conn:
            rows = {t.name: [dict(r) for r in conn.execute(t.select()).mappings()]
                    for t in SQLModel.metadata.sorted_tables}
            sequences: list[tuple[str, int | None]] = []
            if engine.dialect.name == "postgresql":
                sequences = [(name, value) for name, value in conn.execute(sa.text(
                    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"))]
        return cls(rows, sequences)

    def restore(self, engine: Engine) -> None:
        from app.core import refcache

        tables = SQLModel.metadata.sorted_tables
        with engine.begin() as conn:
            for table in reversed(tables):
                conn.execute(table.delete())
            for table in tables:
                self._insert(conn, table)
            for table in tables:
                if table.name in TRIGGER_WRITTEN:  # what the triggers wrote while the rows went out and back in
                    conn.execute(table.delete())
                    self._insert(conn, table)
            if self.sequences:  # last: the triggers above drew from them
                conn.execute(sa.text("SELECT " + ", ".join(
                    f"setval('{name}', {value or 1}, {'true' if value else 'false'})"
                    for name, value in self.sequences)))
        refcache.clear(engine)  # the rows were rewritten behind the ORM's back: nothing cached may outlive them

    def _insert(self, conn: sa.Connection, table: sa.Table) -> None:
        if self.rows[table.name]:
            conn.execute(table.insert(), self.rows[table.name])


@dataclass
class World:
    app: Any
    engine: Engine
    headers: dict[str, dict[str, str]]
    snapshot: Snapshot
    dirty: bool = False

    def reset(self) -> None:
        if self.dirty:
            self.snapshot.restore(self.engine)
            self.dirty = False


def _seed(client: Any, engine: Engine, settings: Any, clock: Clock) -> dict[str, dict[str, str]]:
    from app.demo import seed_demo
    from app.notifications import alerts
    from app.units.service import get_by_code

    secret = settings.secret_key.get_secret_value()
    with Session(engine, expire_on_commit=False) as session:
        seed_demo(session, now=clock.now, with_appeals=False)
        headers = dict(create_keys(session, clock.now).headers)
        headers["enterprise"] = sign_in_headers(session, secret, clock.now, ENTERPRISE_OPENID, XIXI_ENTERPRISE)
        applicant_headers = sign_in_headers(session, secret, clock.now, ENTERPRISE_OPENID + "-unbound")

    def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.text
        return response.json()  # type: ignore[no-any-return]

    city, xixi = headers["city"], headers["xixi_admin"]
    # Channel 1 (西溪街道's robot, the fake one), so that the appeals below leave messages in the outbox.
    ok(client.post("/api/v1/units/330106012/channels", json={
        "name": "西溪街道助企服务群", "kind": "dingtalk", "url": ROBOT_URL, "secret": SECRET, "keyword": KEYWORD},
        headers=xixi), 201)
    # Appeals 1–3 open (西溪, 湖墅, 西溪); appeal 4 resolved, which leaves callback task 1 for 西湖区's callers.
    for uscc in (XIXI_ENTERPRISE, HUSHU_ENTERPRISE, XIXI_ENTERPRISE, XIXI_ENTERPRISE):
        ok(client.post("/api/v1/appeals", json=appeal_body(uscc), headers=city), 201)
    ok(client.post("/api/v1/appeals/4/actions/sign", json={}, headers=xixi))
    ok(client.post("/api/v1/appeals/4/actions/resolve", json={"resolution_code": "已解决",
                                                              "public_reply": "已协调供电公司完成增容。"}, headers=xixi))
    # Problem group 1 (拱墅区) holding appeal 2; attachment 1 (the enterprise's); binding request 1 (pending).
    ok(client.post("/api/v1/problem-groups", json={"kind": "common", "title": "拱墅区夏季用电负荷指标不足",
                                                   "description": "多家企业反映迎峰度夏期间用电负荷指标不足。",
                                                   "unit_code": "330105"}, headers=city), 201)
    ok(client.post("/api/v1/problem-groups/1/appeals", json={"appeal_ids": [2]}, headers=city))
    ok(client.post("/api/v1/attachments", files={"file": ("现场.png", png_bytes(), "image/png")},
                   headers=headers["enterprise"]), 201)
    ok(client.post("/api/v1/me/binding", json={"uscc": HUSHU_ENTERPRISE, "name": "杭州湖墅精密机械有限公司"},
                   headers=applicant_headers))
    # Alert 1 for the city's admins.
    with Session(engine) as session:
        alerts.add_alert(session, unit_id=get_by_code(session, "330100").id,  # type: ignore[arg-type]
                         kind=alerts.AlertKind.quota_warning, message="西溪街道助企服务群本月额度已用 80%",
                         now=clock.now)
        session.commit()
    return headers


@pytest.fixture(scope="module")
def world(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.notifications.router import get_http_client

    settings = make_settings(database_url, tmp_path_factory.mktemp("fuzz-attachments"), **login_settings(),
                             dingtalk_card_api_secret=SecretStr(CARD_SECRET))
    clock = Clock()
    robot = FakeDingTalkRobot(clock=lambda: clock.now.timestamp())
    robot.add_robot(TOKEN, secret=SECRET, keywords=[KEYWORD])
    app = create_app(settings, engine=engine, clock=clock)
    with pytest.MonkeyPatch.context() as mp, httpx.Client(transport=robot.transport()) as robot_client:
        mp.setattr("app.notifications.sender.resolve_host", lambda host: DNS.get(host) or _unknown_host(host))
        app.dependency_overrides[get_http_client] = lambda: robot_client  # channel tests reach the fake robot
        truncate_all(engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            headers = _seed(client, engine, settings, clock)
        yield World(app=app, engine=engine, headers=headers, snapshot=Snapshot.take(engine))
    truncate_all(engine)


def _unknown_host(host: str) -> list[str]:
    raise OSError(f"Name or service not known: {host}")


@pytest.fixture
def fuzz_world(world: World) -> World:
    """The world as seeded, for one operation and role (restored first if the previous one may have written), with
    fresh fake vendors: sign-in codes never reach the network, and any code the fuzzer sends is a valid one."""
    world.reset()
    world.app.state.http_transport = LoginFakes(wechat=FakeWeChat(accept_any=True),
                                                dingtalk=FakeDingTalkLogin(token="at-fuzz", accept_any=True)).transport
    return world
