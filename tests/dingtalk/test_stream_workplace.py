"""Issue 19's "done means", on an intranet in Stream mode (no public callback address): an appeal reaching 西溪街道
gives its liaison a work notice and a to-do, and the street's group a card whose clicks come back over the Stream
connection (callbackType STREAM, no callback registration); another street's click changes nothing, the liaison's
click signs, the to-do completes and the card says "已由 王晓明 签收" for everyone; a second click is answered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import func, select

from app.appeals.models import Appeal, AppealEvent
from app.dingtalk import handlers
from app.dingtalk.stream import StreamRunner
from tests.dingtalk.streaming import run_with_stream_client
from tests.dingtalk.workplace import (GROUP, app_fake, dispatch_round, file_appeal, read, workplace,
                                      workplace_settings)
from tests.fakes.dingtalk_stream_gateway import FakeStreamGateway

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def _unconfigure_after() -> Iterator[None]:
    yield
    from app.config import Settings
    from app.dingtalk import setup

    handlers.configure(Settings())
    setup.install(Settings())  # drops the Stream readiness check again


def test_in_stream_mode_the_liaison_is_notified_signs_on_the_card_and_the_todo_completes(
        client, keys, clock, db, database_url, tmp_path):
    settings = workplace_settings(database_url, tmp_path, dingtalk_mode="stream",
                                  dingtalk_stream_heartbeat_seconds=0.2)
    handlers.configure(settings)
    fake = app_fake(clock)
    place = workplace(fake, clock)
    group = client.put("/api/v1/units/330106012/dingtalk-group", json={"open_conversation_id": GROUP},
                       headers=keys["xixi_admin"])
    assert group.status_code == 200, group.text
    filed = file_appeal(client, keys)
    dispatch_round(db, settings, clock, place)

    assert "新诉求待签收" in fake.texts_received("wangxm01")[0]
    [(todo_key, task)] = fake.todos.items()
    assert todo_key[0] == "union-wangxm01" and task["done"] is False
    [card] = fake.cards.values()
    assert card.callback_type == "STREAM" and card.open_space_id == f"dtv1.card//IM_GROUP.{GROUP}"
    assert fake.card_callbacks == {}  # Stream mode registers no callback URL
    button = {"action": "sign", "appeal_id": card.public["appeal_id"]}

    async def click(gateway: FakeStreamGateway, userid: str) -> dict[str, Any]:
        _, _, body = fake.card_click(card.out_track_id, userid, button)
        answer = gateway.response_of(await gateway.wait_ack(await gateway.push_card_callback(body), timeout=10))
        fake.apply_callback_response(card.out_track_id, userid, answer)
        return answer

    async def scenario(gateway: FakeStreamGateway, _: StreamRunner) -> None:
        refused = await click(gateway, "lina02")  # 湖墅街道's liaison
        assert "cardData" not in refused and "不属于您的单位" in refused["userPrivateData"]["cardParamMap"]["message"]
        assert card.public["status_text"] == "待签收" and read(db, select(Appeal.status)) == ["submitted"]
        signed = await click(gateway, "wangxm01")
        assert signed["userPrivateData"]["cardParamMap"]["message"] == f"已签收 {filed['number']}"
        again = await click(gateway, "wangxm01")  # answered, not repeated
        assert "不能「签收」" in again["userPrivateData"]["cardParamMap"]["message"]
        assert not gateway.errors

    run_with_stream_client(db, settings, clock, scenario)
    assert read(db, select(Appeal.status)) == ["in_progress"]
    assert read(db, select(func.count()).select_from(AppealEvent).where(AppealEvent.type == "signed")) == [1]
    clock.advance(seconds=5)  # our own card update waits until the callback's answer is out
    dispatch_round(db, settings, clock, place)
    assert fake.todos[todo_key]["done"] is True
    assert card.public["status_text"] == "已由 王晓明 签收" and card.public["status"] == "办理中"
