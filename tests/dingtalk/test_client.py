"""The DingTalk client against the faithful fake: tokens cached and refreshed, calls shaped as the vendor wants."""

from __future__ import annotations

import httpx
import pytest

from app.dingtalk.client import DingTalkApi, DingTalkError, DingTalkWorkplace
from app.dingtalk.errors import Kind
from tests.fakes.dingtalk_app import FakeDingTalkApp


def make(fake: FakeDingTalkApp, now: list[float], **over: object) -> DingTalkApi:
    settings = {"app_key": "dingfakeappkey", "app_secret": "fake-app-secret", "agent_id": 3_000_001,
                "robot_code": "dingfakeappkey"} | over
    return DingTalkApi(httpx.Client(transport=fake.transport()), clock=lambda: now[0], **settings)  # type: ignore[arg-type]


def text(content: str) -> dict:
    return {"msgtype": "text", "text": {"content": content}}


def test_the_client_is_a_workplace(fake: FakeDingTalkApp, now: list[float]) -> None:
    workplace: DingTalkWorkplace = make(fake, now)
    assert workplace.get_union_id("xixi01") == "union-xixi01"


def test_the_token_is_fetched_once_and_reused_until_near_expiry(fake: FakeDingTalkApp, now: list[float]) -> None:
    client = make(fake, now)
    client.send_work_notification(["xixi01"], text("诉求 1 待签收"))
    client.send_work_notification(["xixi01"], text("诉求 2 待签收"))
    assert fake.requests.count(("POST", "/v1.0/oauth2/accessToken")) == 1
    now[0] += 7200 - 299  # inside the 300 s margin: ask again before the vendor's expiry
    client.send_work_notification(["xixi01"], text("诉求 3 待签收"))
    assert fake.requests.count(("POST", "/v1.0/oauth2/accessToken")) == 2
    assert len(fake.received["xixi01"]) == 3


def test_a_token_invalidated_early_is_refreshed_once_and_the_call_succeeds(fake: FakeDingTalkApp,
                                                                           now: list[float]) -> None:
    client = make(fake, now)
    client.send_work_notification(["xixi01"], text("第一条"))
    fake.expire_tokens()
    client.send_work_notification(["xixi01"], text("第二条"))  # legacy style: 88 / sub_code 40014
    fake.expire_tokens()
    client.complete_todo("union-xixi01", client.create_todo("union-xixi01", source_id="s1", subject="签收") or "")
    assert len(fake.received["xixi01"]) == 2 and fake.tokens_issued == 3


def test_bad_credentials_are_permanent_not_a_refresh_loop(fake: FakeDingTalkApp, now: list[float]) -> None:
    client = make(fake, now, app_secret="wrong")
    with pytest.raises(DingTalkError) as caught:
        client.send_work_notification(["xixi01"], text("x"))
    assert caught.value.kind is Kind.permanent and fake.requests.count(("POST", "/v1.0/oauth2/accessToken")) == 1


def test_recipients_are_sent_in_batches_of_100(fake: FakeDingTalkApp, now: list[float]) -> None:
    userids = [f"u{i}" for i in range(250)]
    for userid in userids:
        fake.add_user(userid)
    task_ids = make(fake, now).send_work_notification(userids + ["u0"], text("政策推送 2026-05 第 3 期"))
    assert len(task_ids) == 3 and all(len(fake.received[u]) == 1 for u in userids)


def test_a_wrong_agent_id_is_a_permanent_error(fake: FakeDingTalkApp, now: list[float]) -> None:
    with pytest.raises(DingTalkError) as caught:
        make(fake, now, agent_id=42).send_work_notification(["xixi01"], text("x"))
    assert caught.value.kind is Kind.permanent and caught.value.judgement.code == "dingtalk:40056"


def test_union_ids_are_cached_and_strangers_refused(fake: FakeDingTalkApp, now: list[float]) -> None:
    client = make(fake, now)
    assert client.get_union_id("xixi01") == client.get_union_id("xixi01") == "union-xixi01"
    assert fake.requests.count(("POST", "/topapi/v2/user/get")) == 1
    with pytest.raises(DingTalkError) as caught:
        client.get_union_id("ghost")
    assert caught.value.judgement.code == "dingtalk:60121"


def test_a_todo_is_created_once_per_source_id_and_completed(fake: FakeDingTalkApp, now: list[float]) -> None:
    client = make(fake, now)
    task_id = client.create_todo("union-xixi01", source_id="zhuqi:1:sign:union-xixi01", subject="签收诉求 1",
                                 due_ms=1_780_100_000_000, url="https://zhuqi.example/appeals/1")
    assert task_id and fake.todos[("union-xixi01", task_id)]["detailUrl"]["pcUrl"] == "https://zhuqi.example/appeals/1"
    again = client.create_todo("union-xixi01", source_id="zhuqi:1:sign:union-xixi01", subject="签收诉求 1")
    assert again == task_id  # "task exist": the id DingTalk has, found by sourceId
    client.complete_todo("union-xixi01", task_id)
    assert fake.todos[("union-xixi01", task_id)]["done"] is True and len(fake.todos) == 1
    with pytest.raises(DingTalkError):
        client.complete_todo("union-xixi01", "task-missing")


def test_a_card_is_delivered_once_then_updated_for_everyone(fake: FakeDingTalkApp, now: list[float]) -> None:
    client = make(fake, now)
    params = {"title": "诉求 20260801-001", "status": "待签收"}
    assert client.create_card("zhuqi-appeal-1", template_id="tpl.schema", params=params,
                              open_conversation_id="cidXXXX==", callback_route_key="zhuqi") is True
    assert client.create_card("zhuqi-appeal-1", template_id="tpl.schema", params=params,
                              open_conversation_id="cidXXXX==") is False
    client.update_card("zhuqi-appeal-1", {"status": "已由 王晓明 签收"})
    card = fake.cards["zhuqi-appeal-1"]
    assert card.public == {"title": "诉求 20260801-001", "status": "已由 王晓明 签收"}
    assert (card.callback_type, card.open_space_id) == ("HTTP", "dtv1.card//IM_GROUP.cidXXXX==")


def test_transport_failures_are_retryable(now: list[float]) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)
    client = DingTalkApi(httpx.Client(transport=httpx.MockTransport(down)), app_key="k", app_secret="s",
                         agent_id=1, robot_code="r", clock=lambda: now[0])
    with pytest.raises(DingTalkError) as caught:
        client.get_union_id("xixi01")
    assert caught.value.kind is Kind.retry



def test_a_todo_is_found_by_its_source_id(fake: FakeDingTalkApp, now: list[float]) -> None:
    client = make(fake, now)
    first = client.create_todo("union-xixi01", source_id="zhuqi:7:sign:12:xixi01", subject="签收诉求 7")
    assert client.find_todo("union-xixi01", "zhuqi:7:sign:12:xixi01") == first
    assert client.find_todo("union-xixi01", "zhuqi:8:sign:13:xixi01") is None  # "task not exist"
    assert client.find_todo("union-xixi02", "zhuqi:7:sign:12:xixi01") is None  # another person's task list
