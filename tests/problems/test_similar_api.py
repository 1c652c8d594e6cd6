"""GET /api/v1/appeals/{id}/similar on a small hand-made Chinese corpus."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.appeals.models import Appeal
from tests.helpers import assert_problem
from tests.problems.conftest import (
    CHENGXIANG_ENTERPRISE,
    HUSHU_ENTERPRISE,
    KANGQIAO_ENTERPRISE,
    XIXI_ENTERPRISE,
)

POWER = ("夏季用电负荷指标不足被要求错峰限产", "企业因用电指标不足被迫限产，请求协调增加用电负荷")


@pytest.fixture
def corpus(file_appeal, clock):  # type: ignore[no-untyped-def]
    today = clock.now
    clock.set(today - timedelta(days=40))
    old = file_appeal(HUSHU_ENTERPRISE, "用电负荷指标不足限产", "企业因用电指标不足被迫限产，请求协调增加用电负荷，夏季高峰尤为突出")
    clock.set(today)
    appeals = {
        "power": file_appeal(HUSHU_ENTERPRISE, *POWER),
        "power_elsewhere": file_appeal(KANGQIAO_ENTERPRISE, "用电负荷指标不够导致限产",
                                       "用电负荷指标不够导致限产，希望帮助协调增加用电指标"),
        "same_enterprise_same_category": file_appeal(HUSHU_ENTERPRISE, "再次反映生产线开工不足",
                                                     "生产线无法满负荷运行，订单交付受影响"),
        "labour": file_appeal(XIXI_ENTERPRISE, "招工难，缺少熟练技工",
                              "今年订单增长，缺少熟练数控车床操作工约30人，希望协助对接职业院校", "labour"),
        "loan": file_appeal(CHENGXIANG_ENTERPRISE, "贷款到期银行抽贷", "企业贷款到期，银行抽贷断贷，请求协调续贷", "funding"),
        "land": file_appeal(KANGQIAO_ENTERPRISE, "厂房用地指标迟迟未批",
                            "厂房用地指标迟迟未批，影响扩产项目落地，请求协调土地指标", "land"),
        "old_power": old,
    }
    return appeals


def similar(client, key, appeal):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/appeals/{appeal['id']}/similar", headers=key)
    assert response.status_code == 200, response.text
    return response.json()


def test_near_duplicates_found_unrelated_not(client, keys, corpus):
    body = similar(client, keys["city"], corpus["power"])
    assert body["appeal_id"] == corpus["power"]["id"] and body["number"] == corpus["power"]["number"]
    found = {item["appeal_id"]: item for item in body["items"]}
    expected = ["same_enterprise_same_category", "old_power", "power_elsewhere"]
    assert [item["appeal_id"] for item in body["items"]] == [corpus[k]["id"] for k in expected]
    for unrelated in ("labour", "loan", "land"):
        assert corpus[unrelated]["id"] not in found

    duplicate = found[corpus["same_enterprise_same_category"]["id"]]
    assert duplicate["likely_duplicate"] is True and "疑似重复" in duplicate["reason"]
    assert duplicate["score"] < 0.35  # listed for the rule (same enterprise, category, 30 days), not the text

    elsewhere = found[corpus["power_elsewhere"]["id"]]
    assert elsewhere["likely_duplicate"] is False and 0.5 < elsewhere["score"] < 0.8
    assert elsewhere["enterprise_name"] == "杭州康桥新材料有限公司" and elsewhere["street_code"] == "330105011"
    assert "同属能源类" in elsewhere["reason"] and "可考虑归入共性问题" in elsewhere["reason"]

    old = found[corpus["old_power"]["id"]]  # 40 days earlier: similar text, no longer a likely duplicate
    assert old["likely_duplicate"] is False and old["score"] > 0.8 and "同一企业的相似诉求" in old["reason"]


def test_suggestions_stay_within_reach(client, keys, corpus):
    body = similar(client, keys["hushu_admin"], corpus["power"])
    assert corpus["power_elsewhere"]["id"] not in {i["appeal_id"] for i in body["items"]}  # 康桥街道 is not theirs
    assert len(body["items"]) == 2
    response = client.get(f"/api/v1/appeals/{corpus['power_elsewhere']['id']}/similar", headers=keys["hushu_admin"])
    assert_problem(response, 404)
    assert_problem(client.get("/api/v1/appeals/999999/similar", headers=keys["city"]), 404)


def test_closed_and_old_appeals_are_not_candidates(client, keys, corpus, city):
    old = city.exec(select(Appeal).where(Appeal.id == corpus["old_power"]["id"])).one()
    old.status, old.created_at = "closed", old.created_at - timedelta(days=60)  # 100 days ago and done
    city.add(old)
    city.commit()
    ids = {i["appeal_id"] for i in similar(client, keys["city"], corpus["power"])["items"]}
    assert corpus["old_power"]["id"] not in ids and corpus["power_elsewhere"]["id"] in ids


def test_merged_appeals_are_never_suggested(client, keys, corpus, city):
    dup = city.exec(select(Appeal).where(Appeal.id == corpus["same_enterprise_same_category"]["id"])).one()
    dup.status = "merged"
    city.add(dup)
    city.commit()
    ids = {i["appeal_id"] for i in similar(client, keys["city"], corpus["power"])["items"]}
    assert dup.id not in ids
