"""Time series, CSV export and the weekly bulletin on the data set of tests/stats/dataset.py."""

from __future__ import annotations

import csv
import io

import pytest

from tests.helpers import assert_problem
from tests.stats.dataset import NOW, PERIOD, seed


@pytest.fixture
def data(keys, city, clock):  # type: ignore[no-untyped-def]
    clock.set(NOW)
    return seed(city)


class TestTimeseries:
    def test_weeks(self, client, keys, data):
        body = client.get("/api/v1/stats/timeseries", params={**PERIOD, "period": "week"}, headers=keys["city"]).json()
        assert body["period"] == "week" and body["unit_code"] == "330100"
        w45, w46 = body["items"]
        # W45 (11-02..11-08): A1 A2 A3, all resolved on time; A2's first response late; A2 returned.
        assert (w45["label"], w45["start"], w45["end"]) == ("2026-W45", "2026-11-02", "2026-11-08")
        assert (w45["collected"], w45["resolved"], w45["resolution_rate"], w45["on_time_rate"]) == (3, 3, 1.0, 1.0)
        assert (w45["first_response_on_time_rate"], w45["satisfaction_rate"], w45["return_rate"]) == (0.6667, 1.0, 0.3333)
        # W46 (11-09..11-15): A4–A10; only A4 resolved (late); A4 满意, A5 不满意.
        assert (w46["label"], w46["collected"], w46["resolved"], w46["resolution_rate"]) == ("2026-W46", 7, 1, 0.1429)
        assert (w46["on_time_rate"], w46["first_response_on_time_rate"], w46["satisfaction_rate"]) == (0.0, 0.75, 0.5)

    def test_months_include_empty_ones(self, client, keys, data):
        params = {"from": "2026-10-01", "to": "2026-12-31", "period": "month"}
        body = client.get("/api/v1/stats/timeseries", params=params, headers=keys["xihu"]).json()
        assert [(i["label"], i["collected"], i["resolved"]) for i in body["items"]] == [
            ("2026-10", 0, 0), ("2026-11", 5, 3), ("2026-12", 0, 0)]  # 西湖区: A1 A2 A3 A10 and B1
        assert body["items"][0]["resolution_rate"] is None and body["items"][1]["end"] == "2026-11-30"

    def test_reach(self, client, keys, data):
        response = client.get("/api/v1/stats/timeseries", params={"unit": "330106"}, headers=keys["gongshu"])
        assert_problem(response, 404)
        assert_problem(client.get("/api/v1/stats/timeseries", params={"period": "day"}, headers=keys["city"]), 422,
                       field="period")


class TestExport:
    def rows(self, response):  # type: ignore[no-untyped-def]
        assert response.status_code == 200, response.text
        assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens Chinese correctly
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))

    def test_bom_chinese_headers_and_one_row_per_appeal(self, client, keys, data):
        response = client.get("/api/v1/stats/export.csv", params=PERIOD, headers=keys["city"])
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        header, *rows = self.rows(response)
        assert header[:5] == ["诉求编号", "企业名称", "统一社会信用代码", "属地街道", "当前承办单位"]
        assert [r[0] for r in rows] == [f"ZQ2026-{n:06d}" for n in range(1, 11)]
        a1 = dict(zip(header, rows[0], strict=True))
        assert (a1["企业名称"], a1["属地街道"], a1["诉求类别"], a1["紧急程度"], a1["状态"]) == (
            "杭州西溪智造科技有限公司", "西溪街道", "能源", "红", "已结案")
        assert (a1["提交时间"], a1["办结时间"], a1["是否按时办结"], a1["办理工作日"], a1["评价"]) == (
            "2026-11-02 00:00:00", "2026-11-04 15:00:00", "是", "2", "满意")
        a3 = dict(zip(header, rows[2], strict=True))
        assert (a3["当前承办单位"], a3["当前层级"], a3["提级次数"], a3["办理工作日"]) == ("西湖区", "区县", "1", "6")
        a4, a6 = dict(zip(header, rows[3], strict=True)), dict(zip(header, rows[5], strict=True))
        assert a4["是否按时办结"] == "否" and a6["首次响应是否及时"] == "否"  # A6: overdue, never signed for
        assert dict(zip(header, rows[6], strict=True))["首次响应是否及时"] == ""  # A7: not yet owed

    def test_no_mobiles_and_formulas_defused(self, client, keys, data):
        text = client.get("/api/v1/stats/export.csv", params=PERIOD, headers=keys["city"]).content.decode("utf-8-sig")
        assert "1391234000" not in text and "联系" not in text
        assert ",'=1+2 政策咨询" in text

    def test_reach_filtered(self, client, keys, data):
        _, *rows = self.rows(client.get("/api/v1/stats/export.csv", params=PERIOD, headers=keys["xixi_admin"]))
        assert [r[0] for r in rows] == ["ZQ2026-000001", "ZQ2026-000002", "ZQ2026-000010"]
        response = client.get("/api/v1/stats/export.csv", params={"unit": "330105"}, headers=keys["xihu"])
        assert_problem(response, 404)

    def test_streams_in_batches(self, city, keys, data):
        from app.auth.service import authenticate_api_key
        from app.stats import service

        principal = authenticate_api_key(city, keys["city"]["Authorization"].split()[1])
        plan = service.plan_export(city, principal, unit_code=None, start="2026-11-01", end=None, now=NOW)
        chunks = list(service.export_csv(city, plan, batch_size=4))
        assert len(chunks) == 3  # 12 appeals in batches of 4, the header with the first (read before streaming)
        assert [chunk.count("\n") for chunk in chunks] == [1 + 4, 4, 4]
        assert chunks[0].startswith("\ufeff诉求编号,")
        empty = service.plan_export(city, principal, unit_code=None, start="2020-01-01", end="2020-01-31", now=NOW)
        assert list(service.export_csv(city, empty)) == [chunks[0].splitlines(keepends=True)[0]]  # the header


class TestBulletin:
    def test_weekly_bulletin_text(self, client, keys, data):
        body = client.get("/api/v1/stats/bulletin", params={"week": "2026-W46"}, headers=keys["city"]).json()
        assert (body["week"], body["unit_code"], body["unit_name"]) == ("2026-W46", "330100", "杭州市")
        md = body["markdown"]
        assert md.startswith("# 杭州市助企服务周报\n")
        assert "2026年第46周（2026年11月9日至11月15日）" in md
        assert "本周收集企业诉求7个，解决1个，解决率14.3%；按时办结率0.0%，首次响应及时率75.0%；企业评价2个，满意率50.0%。" in md
        assert "按紧急程度：红色2个、黄色3个、绿色2个。" in md
        # year to date: A1–A10 and B1 (B2 is after the week)
        assert "2026年以来累计收集企业诉求11个，解决4个，解决率36.4%；100.0%的问题在两个月（60天）内完成解决，平均办理4.0个工作日" in md
        assert "今年收集的诉求中，目前仍在办理的5个（待签收3个、办理中2个）。" in md
        assert "| 1 | 拱墅区 | 4 | 1 | 25.0% | 0.0% | 50.0% |" in md
        assert "本周新增红色诉求2个" in md and "本周有1个诉求未在时限内首次响应" in md

    def test_default_week_and_unit(self, client, keys, data):
        body = client.get("/api/v1/stats/bulletin", headers=keys["xixi_admin"]).json()
        assert (body["week"], body["unit_code"]) == ("2026-W47", "330106012")  # now is Monday 2026-11-16
        assert "本周收集企业诉求0个，解决0个，解决率暂无" in body["markdown"]
        assert "各单位情况" not in body["markdown"]  # a street has no units below it

    @pytest.mark.parametrize("week", ["2026-47", "2026-W54", "W47", "2026-W00"])
    def test_bad_week_is_422(self, client, keys, data, week):
        response = client.get("/api/v1/stats/bulletin", params={"week": week}, headers=keys["city"])
        assert_problem(response, 422, field="week")
