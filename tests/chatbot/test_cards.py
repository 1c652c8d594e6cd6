"""Interactive-card buttons: verified with x-ddpaas-signature when a secret is configured; 签收 acts for the
clicking user with the API's rules and returns the updated card data (string values only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlmodel import func, select

from app.appeals.models import Appeal, AppealEvent
from app.config import Env
from tests.chatbot.conftest import CARD_URL, card_payload, card_sign, post_card
from tests.helpers import appeal_body, assert_problem

N1 = "ZQ2026-000001"


@pytest.fixture
def filed(client, keys):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"])
    assert response.status_code == 201, response.text
    return response.json()


def _strings_only(reply: dict) -> None:
    for part in ("cardData", "userPrivateData"):
        if part in reply:
            assert all(isinstance(v, str) for v in reply[part]["cardParamMap"].values()), reply


def _untouched(session, filed) -> None:
    session.expire_all()
    assert session.get(Appeal, filed["id"]).status == "submitted"
    assert session.exec(select(func.count()).select_from(AppealEvent)).one() == 1


def test_reference_vector_and_sign_from_a_card(client, keys, clock, session):
    clock.set(datetime.fromtimestamp(1_700_000_000, tz=UTC))  # the vector's timestamp, 2023-11-14
    filed = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["xixi_liaison"]).json()
    n1 = filed["number"]
    assert n1 == "ZQ2023-000001"
    assert card_sign("1700000000000") == "t3jqwt0WBVsvNpgD+ncljxce56XsNOeEYafngX/BHjc="
    r = client.post(CARD_URL, content=json.dumps(card_payload("wangxm01", "sign", number=n1)).encode(),
                    headers={"Content-Type": "application/json", "x-ddpaas-signature-timestamp": "1700000000000",
                             "x-ddpaas-signature": "t3jqwt0WBVsvNpgD+ncljxce56XsNOeEYafngX/BHjc="})
    assert r.status_code == 200, r.text
    reply = r.json()
    _strings_only(reply)
    shared = reply["cardData"]["cardParamMap"]
    assert shared["status"] == "办理中" and shared["status_code"] == "in_progress" and shared["number"] == n1
    assert shared["handler"] == "王晓明（西溪街道）"
    assert reply["userPrivateData"]["cardParamMap"] == {"message": f"已签收 {n1}", "myAction": "sign"}
    assert reply["cardUpdateOptions"] == {"updateCardDataByKey": True, "updatePrivateDataByKey": True}
    timeline = client.get(f"/api/v1/appeals/{filed['id']}/events", headers=keys["city"]).json()["items"]
    assert timeline[-1]["type"] == "signed" and timeline[-1]["via"] == "chatbot"
    assert timeline[-1]["actor"] == "王晓明（西溪街道）"

    # A second click (or DingTalk's retry) changes nothing and shows the current status.
    again = post_card(client, clock, card_payload("wangxm01", "sign", appeal_id=filed["id"])).json()
    assert again["cardData"]["cardParamMap"]["status"] == "办理中"
    assert "不能「签收」" in again["userPrivateData"]["cardParamMap"]["message"]
    assert session.exec(select(func.count()).select_from(AppealEvent)).one() == 2


def test_the_doc_sample_shape_accept_with_case_id(client, clock, filed):
    body = {"type": "actionCallback", "outTrackId": "case-123-v1", "corpId": "dingXXXXXX", "userId": "wangxm01",
            "content": json.dumps({"cardPrivateData": {"actionIds": ["accept"],
                                                       "params": {"action": "accept", "caseId": str(filed["id"])}}})}
    reply = post_card(client, clock, body).json()
    assert reply["cardData"]["cardParamMap"]["status"] == "办理中"


def test_other_street_unknown_user_and_view(client, clock, filed, session):
    reply = post_card(client, clock, card_payload("lina02", "sign", number=N1)).json()
    assert "不属于您的单位" in reply["userPrivateData"]["cardParamMap"]["message"] and "cardData" not in reply
    reply = post_card(client, clock, card_payload("nobody99", "sign", number=N1)).json()
    assert "尚未登记" in reply["userPrivateData"]["cardParamMap"]["message"]
    reply = post_card(client, clock, card_payload("wangxm01", "view", number=N1)).json()
    assert reply["cardData"]["cardParamMap"]["status"] == "待签收"
    reply = post_card(client, clock, card_payload("wangxm01", "delete", number=N1)).json()
    assert "不支持的操作" in reply["userPrivateData"]["cardParamMap"]["message"]
    reply = post_card(client, clock, card_payload("wangxm01", "sign")).json()
    assert "未找到" in reply["userPrivateData"]["cardParamMap"]["message"]
    _untouched(session, filed)


@pytest.mark.parametrize("headers", [
    {"x-ddpaas-signature": "t3jqwt0WBVsvNpgD+ncljxce56XsNOeEYafngX/BHjc="},  # not for this timestamp
    {"x-ddpaas-signature": ""},
    {"x-ddpaas-signature-timestamp": "1700000000000"},  # stale by years
])
def test_bad_card_signatures_are_refused(client, clock, filed, session, headers):
    assert_problem(post_card(client, clock, card_payload("wangxm01", "sign", number=N1), **headers), 401)
    _untouched(session, filed)


def test_missing_card_signature_headers_are_refused(client, filed, session):
    r = client.post(CARD_URL, json=card_payload("wangxm01", "sign", number=N1))
    assert_problem(r, 401)
    _untouched(session, filed)


@pytest.mark.parametrize("body", [
    b"not json",
    b"[]",
    json.dumps({"userId": "wangxm01", "content": "{not json"}).encode(),
    json.dumps({"userId": "wangxm01", "content": "{}"}).encode(),
    json.dumps({"content": json.dumps({"cardPrivateData": {}})}).encode(),
])
def test_malformed_card_bodies_are_422(client, clock, filed, session, body):
    assert_problem(post_card(client, clock, body), 422)
    _untouched(session, filed)


def _app_with(db, settings, clock, **update):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from app.main import create_app

    return TestClient(create_app(settings.model_copy(update=update), engine=db, clock=clock),
                      raise_server_exceptions=False)


def test_without_a_card_secret_unsigned_callbacks_work_outside_prod_only(db, settings, clock, filed, session):
    with _app_with(db, settings, clock, dingtalk_card_api_secret=SecretStr("")) as client:
        r = client.post(CARD_URL, json=card_payload("wangxm01", "view", number=N1))
        assert r.status_code == 200 and r.json()["cardData"]["cardParamMap"]["status"] == "待签收"
    with _app_with(db, settings, clock, dingtalk_card_api_secret=SecretStr(""), env=Env.prod) as client:
        body = assert_problem(client.post(CARD_URL, json=card_payload("wangxm01", "sign", number=N1)), 503)
        assert "ZHUQI_DINGTALK_CARD_API_SECRET" in body["detail"]
    _untouched(session, filed)
