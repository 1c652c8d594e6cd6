"""The DingTalk app fake's rules, each proven: a fake missing a rule would let a wrong sender pass."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json

import httpx
import pytest

from tests.fakes.dingtalk_app import TOKEN_TTL_S, FakeDingTalkApp, card_signature

OAPI = "https://oapi.dingtalk.com"
API = "https://api.dingtalk.com"
@pytest.fixture
def http(fake: FakeDingTalkApp) -> httpx.Client:
    return httpx.Client(transport=fake.transport())


def token(http: httpx.Client) -> str:
    return http.get(f"{OAPI}/gettoken", params={"appkey": "dingfakeappkey", "appsecret": "fake-app-secret"}).json()[
        "access_token"]


def send(http: httpx.Client, tok: str, userids: str, content: str, agent_id: int = 3_000_001) -> dict:
    body = {"agent_id": agent_id, "userid_list": userids, "msg": {"msgtype": "text", "text": {"content": content}}}
    return http.post(f"{OAPI}/topapi/message/corpconversation/asyncsend_v2", params={"access_token": tok},
                     json=body).json()


def result(http: httpx.Client, tok: str, task_id: int) -> dict:
    return http.post(f"{OAPI}/topapi/message/corpconversation/getsendresult", params={"access_token": tok},
                     json={"agent_id": 3_000_001, "task_id": task_id}).json()["send_result"]


# ---- tokens -----------------------------------------------------------------------------------------
def test_both_token_endpoints_issue_the_same_app_token_for_7200_seconds(http: httpx.Client) -> None:
    legacy = http.get(f"{OAPI}/gettoken", params={"appkey": "dingfakeappkey", "appsecret": "fake-app-secret"})
    new = http.post(f"{API}/v1.0/oauth2/accessToken", json={"appKey": "dingfakeappkey", "appSecret": "fake-app-secret"})
    assert legacy.json()["errcode"] == 0 and legacy.json()["expires_in"] == TOKEN_TTL_S
    assert new.status_code == 200 and new.json()["expireIn"] == TOKEN_TTL_S
    assert legacy.json()["access_token"] == new.json()["accessToken"]


def test_bad_credentials_are_refused_in_each_style(http: httpx.Client) -> None:
    legacy = http.get(f"{OAPI}/gettoken", params={"appkey": "dingfakeappkey", "appsecret": "wrong"})
    new = http.post(f"{API}/v1.0/oauth2/accessToken", json={"appKey": "dingfakeappkey", "appSecret": "wrong"})
    assert legacy.status_code == 200 and legacy.json()["errcode"] == 40096
    assert new.status_code == 400 and new.json()["code"] == "invalidClientIdOrSecret"


def test_a_valid_token_is_reissued_and_renewed_an_expired_one_replaced(http: httpx.Client, fake: FakeDingTalkApp,
                                                                          now: list[float]) -> None:
    first = token(http)
    now[0] += 7000
    assert token(http) == first  # same token, renewed for another 7200 s
    now[0] += 7000
    assert send(http, first, "xixi01", "仍然有效")["errcode"] == 0
    now[0] += TOKEN_TTL_S + 1
    assert token(http) != first and fake.tokens_issued == 2


def test_an_expired_token_answers_88_with_sub_code_40014_on_topapi(http: httpx.Client, now: list[float]) -> None:
    tok = token(http)
    now[0] += TOKEN_TTL_S + 1
    answer = send(http, tok, "xixi01", "过期")
    assert (answer["errcode"], answer["sub_code"]) == (88, "40014")
    blank = http.post(f"{OAPI}/topapi/v2/user/get", json={"userid": "xixi01"}).json()
    assert (blank["errcode"], blank["sub_code"]) == (88, "40000")


def test_an_early_invalidated_token_fails_on_the_new_api_with_http_400(http: httpx.Client,
                                                                        fake: FakeDingTalkApp) -> None:
    tok = token(http)
    fake.expire_tokens()
    answer = http.post(f"{API}/v1.0/todo/users/union-xixi01/tasks", json={"subject": "签收"},
                       headers={"x-acs-dingtalk-access-token": tok})
    assert answer.status_code == 400 and answer.json()["code"] == "InvalidAuthentication"
    missing = http.post(f"{API}/v1.0/todo/users/union-xixi01/tasks", json={"subject": "签收"})
    assert missing.status_code == 400 and missing.json()["code"] == "AuthenticationFailed.MissingParameter"


# ---- work notifications -----------------------------------------------------------------------------
def test_a_work_notification_reaches_each_listed_user(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    answer = send(http, token(http), "xixi01,xixi02", "诉求 20260801-001 已转至西溪街道，请签收")
    assert answer["errcode"] == 0 and isinstance(answer["task_id"], int)
    assert [d.msg["text"]["content"] for d in fake.received["xixi01"]] == ["诉求 20260801-001 已转至西溪街道，请签收"]
    assert len(fake.received["xixi02"]) == 1


def test_more_than_100_userids_in_one_call_is_refused_and_nothing_is_sent(http: httpx.Client,
                                                                          fake: FakeDingTalkApp) -> None:
    for i in range(101):
        fake.add_user(f"u{i}")
    tok = token(http)
    assert send(http, tok, ",".join(f"u{i}" for i in range(101)), "多")["errcode"] != 0
    assert not fake.received
    assert send(http, tok, ",".join(f"u{i}" for i in range(100)), "刚好")["errcode"] == 0


def test_the_same_content_reaches_a_user_once_a_day_yet_the_call_answers_success(
        http: httpx.Client, fake: FakeDingTalkApp, now: list[float]) -> None:
    tok = token(http)
    first, again = send(http, tok, "xixi01", "同一条"), send(http, tok, "xixi01", "同一条")
    assert first["errcode"] == again["errcode"] == 0
    assert len(fake.received["xixi01"]) == 1
    forbidden = result(http, tok, again["task_id"])["forbidden_list"]
    assert forbidden == [{"code": "143106", "count": 1, "userid": "xixi01"}]
    assert send(http, tok, "xixi01", "另一条")["errcode"] == 0 and len(fake.received["xixi01"]) == 2
    now[0] += 86_400  # the next China day: the same content is delivered again
    assert send(http, token(http), "xixi01", "同一条")["errcode"] == 0 and len(fake.received["xixi01"]) == 3


def test_the_501st_send_to_a_user_in_a_day_is_silently_dropped(http: httpx.Client, fake: FakeDingTalkApp,
                                                               now: list[float]) -> None:
    tok = token(http)
    for i in range(500):
        assert send(http, tok, "xixi01", f"第{i}条")["errcode"] == 0
    over = send(http, tok, "xixi01,xixi02", "第501条")
    assert over["errcode"] == 0
    assert len(fake.received["xixi01"]) == 500 and len(fake.received["xixi02"]) == 1
    assert result(http, tok, over["task_id"])["forbidden_list"] == [{"code": "143105", "count": 500, "userid": "xixi01"}]
    now[0] += 86_400
    assert send(http, token(http), "xixi01", "新的一天")["errcode"] == 0 and len(fake.received["xixi01"]) == 501


def test_the_day_is_chinas_calendar_day(http: httpx.Client, fake: FakeDingTalkApp, now: list[float]) -> None:
    now[0] = 1_780_070_399.0  # 23:59:59 China time (15:59:59 UTC)
    tok = token(http)
    send(http, tok, "xixi01", "跨日")
    now[0] += 2  # 00:00:01 next China day, still the same UTC day
    send(http, tok, "xixi01", "跨日")
    assert len(fake.received["xixi01"]) == 2


def test_unknown_users_wrong_agent_and_bad_msg(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    tok = token(http)
    answer = send(http, tok, "xixi01,ghost", "有人不在")
    assert answer["errcode"] == 0 and result(http, tok, answer["task_id"])["invalid_user_id_list"] == ["ghost"]
    assert send(http, tok, "xixi01", "错应用", agent_id=42)["errcode"] == 40056
    too_long = {"agent_id": 3_000_001, "userid_list": "xixi01", "msg": {"msgtype": "text", "text": {"content": "长" * 700}}}
    assert http.post(f"{OAPI}/topapi/message/corpconversation/asyncsend_v2", params={"access_token": tok},
                     json=too_long).json()["errcode"] == 40035
    no_section = {"agent_id": 3_000_001, "userid_list": "xixi01", "msg": {"msgtype": "markdown"}}
    assert http.post(f"{OAPI}/topapi/message/corpconversation/asyncsend_v2", params={"access_token": tok},
                     json=no_section).json()["errcode"] == 40035
    assert len(fake.received["xixi01"]) == 1


# ---- userid → unionId ---------------------------------------------------------------------------------
def test_user_get_maps_userid_to_unionid_and_refuses_strangers(http: httpx.Client) -> None:
    tok = token(http)
    known = http.post(f"{OAPI}/topapi/v2/user/get", params={"access_token": tok}, json={"userid": "xixi01"}).json()
    assert known["errcode"] == 0 and known["result"]["unionid"] == "union-xixi01"
    ghost = http.post(f"{OAPI}/topapi/v2/user/get", params={"access_token": tok}, json={"userid": "ghost"}).json()
    assert ghost["errcode"] == 60121


# ---- to-dos -------------------------------------------------------------------------------------------
def test_todo_lifecycle_create_done_delete(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    headers = {"x-acs-dingtalk-access-token": token(http)}
    base = f"{API}/v1.0/todo/users/union-xixi01/tasks"
    created = http.post(base, params={"operatorId": "union-xixi01"}, headers=headers, json={
        "subject": "签收诉求 20260801-001", "sourceId": "zhuqi-1-sign", "executorIds": ["union-xixi01"]})
    assert created.status_code == 200 and created.json()["done"] is False
    task_id = created.json()["id"]
    done = http.put(f"{base}/{task_id}", headers=headers, json={"done": True})
    assert done.json() == {"result": True} and fake.todos[("union-xixi01", task_id)]["done"] is True
    assert http.delete(f"{base}/{task_id}", headers=headers).json()["result"] is True
    again = http.delete(f"{base}/{task_id}", headers=headers)  # deleted: refused as DingTalk words it on the wire
    assert again.status_code == 400 and again.json() == {
        "code": "todo.taskDelete.paramError", "message": "todo.taskDelete.paramError%!(EXTRA string=task not exist)"}
    update = http.put(f"{base}/{task_id}", headers=headers, json={"done": True})
    assert update.status_code == 400 and update.json()["code"] == "todo.taskUpdate.paramError"
    assert "task not exist" in update.json()["message"]


def test_a_second_create_with_the_same_source_id_is_refused(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    headers = {"x-acs-dingtalk-access-token": token(http)}
    body = {"subject": "签收", "sourceId": "zhuqi-1-sign"}
    assert http.post(f"{API}/v1.0/todo/users/union-xixi01/tasks", headers=headers, json=body).status_code == 200
    again = http.post(f"{API}/v1.0/todo/users/union-xixi01/tasks", headers=headers, json=body)
    assert again.status_code == 400 and again.json()["code"] == "todo.taskCreate.paramError"
    assert again.json()["message"].endswith("(EXTRA string=task existed sourceId is zhuqi-1-sign)")
    assert len(fake.todos) == 1
    other = http.post(f"{API}/v1.0/todo/users/union-xixi02/tasks", headers=headers, json=body)
    assert other.status_code == 200 and len(fake.todos) == 2
    assert http.post(f"{API}/v1.0/todo/users/union-xixi01/tasks", headers=headers, json={}).status_code == 400


def test_a_task_is_found_by_its_source_id_for_its_union_id_only(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    headers = {"x-acs-dingtalk-access-token": token(http)}
    source = "zhuqi:7:sign:12:xixi01"  # colons: the path segment is percent-encoded by the caller
    created = http.post(f"{API}/v1.0/todo/users/union-xixi01/tasks", headers=headers,
                        json={"subject": "签收", "sourceId": source}).json()
    found = http.get(f"{API}/v1.0/todo/users/union-xixi01/tasks/sources/zhuqi%3A7%3Asign%3A12%3Axixi01",
                     headers=headers)
    assert found.status_code == 200 and found.json()["id"] == created["id"] and found.json()["sourceId"] == source
    other = http.get(f"{API}/v1.0/todo/users/union-xixi02/tasks/sources/zhuqi%3A7%3Asign%3A12%3Axixi01",
                     headers=headers)
    assert other.status_code == 400 and "task not exist" in other.json()["message"]
    assert http.get(f"{API}/v1.0/todo/users/union-xixi01/tasks/sources/x").status_code == 400  # no token


# ---- cards --------------------------------------------------------------------------------------------
def card_body(**over: object) -> dict:
    return {"cardTemplateId": "tpl-sign.schema", "outTrackId": "appeal-1-v1", "callbackType": "HTTP",
            "callbackRouteKey": "zhuqi", "openSpaceId": "dtv1.card//IM_GROUP.cidXXXX==",
            "imGroupOpenDeliverModel": {"robotCode": "dingfakeappkey"},
            "cardData": {"cardParamMap": {"title": "诉求 20260801-001", "status": "待签收"}}} | over


def test_card_create_validates_and_refuses_a_reused_out_track_id(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    headers = {"x-acs-dingtalk-access-token": token(http)}
    url = f"{API}/v1.0/card/instances/createAndDeliver"
    assert http.post(url, headers=headers, json=card_body()).json()["success"] is True
    assert http.post(url, headers=headers, json=card_body()).status_code == 400
    for bad in ({"cardTemplateId": ""}, {"outTrackId": ""}, {"openSpaceId": "cidXXXX"},
                {"imGroupOpenDeliverModel": {}}, {"cardData": {"cardParamMap": {"count": 1}}}):
        assert http.post(url, headers=headers, json=card_body(**({"outTrackId": "x"} | bad))).status_code == 400, bad
    assert list(fake.cards) == ["appeal-1-v1"]


def test_card_update_merges_by_key_or_replaces(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    headers = {"x-acs-dingtalk-access-token": token(http)}
    http.post(f"{API}/v1.0/card/instances/createAndDeliver", headers=headers, json=card_body())
    http.put(f"{API}/v1.0/card/instances", headers=headers, json={
        "outTrackId": "appeal-1-v1", "cardData": {"cardParamMap": {"status": "已由 王晓明 签收"}},
        "cardUpdateOptions": {"updateCardDataByKey": True}})
    assert fake.cards["appeal-1-v1"].public == {"title": "诉求 20260801-001", "status": "已由 王晓明 签收"}
    http.put(f"{API}/v1.0/card/instances", headers=headers, json={
        "outTrackId": "appeal-1-v1", "cardData": {"cardParamMap": {"status": "已办结"}}})
    assert fake.cards["appeal-1-v1"].public == {"status": "已办结"}
    missing = http.put(f"{API}/v1.0/card/instances", headers=headers, json={"outTrackId": "nope"})
    assert missing.status_code == 400


def test_card_click_is_signed_with_the_registered_api_secret(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    headers = {"x-acs-dingtalk-access-token": token(http)}
    http.post(f"{API}/v1.0/card/callbacks/register", headers=headers, json={
        "callbackRouteKey": "zhuqi", "callbackUrl": "https://zhuqi.example/api/v1/callbacks/dingtalk/card",
        "apiSecret": "mySecret"})
    http.post(f"{API}/v1.0/card/instances/createAndDeliver", headers=headers, json=card_body())
    url, sig_headers, body = fake.card_click("appeal-1-v1", "xixi01", {"action": "sign", "appealId": "1"},
                                             timestamp_ms=1_700_000_000_000)
    assert url == "https://zhuqi.example/api/v1/callbacks/dingtalk/card"
    assert sig_headers["x-ddpaas-signature"] == "t3jqwt0WBVsvNpgD+ncljxce56XsNOeEYafngX/BHjc="  # reference vector
    expected = base64.b64encode(hmac.new(b"mySecret", b"1700000000000", hashlib.sha256).digest()).decode()
    assert card_signature("mySecret", "1700000000000") == expected
    assert body["userId"] == "xixi01" and json.loads(body["content"])["cardPrivateData"]["params"]["action"] == "sign"
    fake.apply_callback_response("appeal-1-v1", "xixi01", {
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
        "cardData": {"cardParamMap": {"status": "已由 王晓明 签收"}},
        "userPrivateData": {"cardParamMap": {"mine": "已签收"}}})
    card = fake.cards["appeal-1-v1"]
    assert card.public["status"] == "已由 王晓明 签收" and card.private == {"xixi01": {"mine": "已签收"}}


def test_an_unregistered_route_key_clicks_without_signature(http: httpx.Client, fake: FakeDingTalkApp) -> None:
    headers = {"x-acs-dingtalk-access-token": token(http)}
    http.post(f"{API}/v1.0/card/instances/createAndDeliver", headers=headers, json=card_body(callbackType="STREAM"))
    url, sig_headers, _ = fake.card_click("appeal-1-v1", "xixi01", {"action": "sign"})
    assert url is None and "x-ddpaas-signature" not in sig_headers


def test_the_fake_serves_async_clients_and_its_asgi_app(fake: FakeDingTalkApp) -> None:
    assert asyncio.run(_async_round_trip(fake)) == "union-xixi02"


async def _async_round_trip(fake: FakeDingTalkApp) -> str:
    async with httpx.AsyncClient(transport=fake.transport()) as client:
        assert (await client.get(f"{OAPI}/gettoken", params={"appkey": "dingfakeappkey",
                                                              "appsecret": "fake-app-secret"})).json()["errcode"] == 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.asgi_app), base_url=OAPI) as client:
        tok = (await client.get("/gettoken", params={"appkey": "dingfakeappkey",
                                                      "appsecret": "fake-app-secret"})).json()["access_token"]
        answer = await client.post("/topapi/v2/user/get", params={"access_token": tok}, json={"userid": "xixi02"})
    return answer.json()["result"]["unionid"]
