"""The 走访台账: lists by enterprise/unit/visitor/date with cursor pages, an enterprise's visits, CSV and xlsx."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.helpers import HUSHU_ENTERPRISE, XIXI_ENTERPRISE, assert_problem
from tests.visits.conftest import BEISHAN_ENTERPRISE, raised, visit_body


def record(client, headers, uscc, day, **extra):  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/visits", json=visit_body(uscc, visited_on=day, **extra), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [v["id"] for v in response.json()["items"]]


def seed(client, people):  # type: ignore[no-untyped-def]
    return {
        "a": record(client, people["wang"], XIXI_ENTERPRISE, "2026-01-10"),
        "b": record(client, people["wang"], XIXI_ENTERPRISE, "2026-02-20", appeals=[raised()]),
        "c": record(client, people["jxj"], BEISHAN_ENTERPRISE, "2026-02-20"),
        "d": record(client, people["li"], HUSHU_ENTERPRISE, "2026-03-01"),
    }


def test_lists_filter_and_page(client, people, keys):
    v = seed(client, people)
    a, b, c, d = (v[k]["id"] for k in "abcd")
    # Newest visit date first, then newest id.
    assert ids(client.get("/api/v1/visits", headers=keys["city"])) == [d, c, b, a]
    assert ids(client.get("/api/v1/visits", params={"unit": "330106"}, headers=keys["city"])) == [c, b, a]
    # A department's ledger holds its cadres' visits wherever the enterprise is.
    assert ids(client.get("/api/v1/visits", params={"unit": "330100-JXJ"}, headers=keys["city"])) == [c]
    assert ids(client.get("/api/v1/visits", params={"enterprise": XIXI_ENTERPRISE}, headers=keys["city"])) == [b, a]
    assert ids(client.get("/api/v1/visits", params={"liaison": people.ids["wang"]}, headers=keys["city"])) == [b, a]
    assert ids(client.get("/api/v1/visits", params={"from": "2026-02-01", "to": "2026-02-28"},
                          headers=keys["city"])) == [c, b]
    first = client.get("/api/v1/visits", params={"limit": 3}, headers=keys["city"]).json()
    assert [x["id"] for x in first["items"]] == [d, c, b] and first["next_cursor"]
    rest = client.get("/api/v1/visits", params={"limit": 3, "cursor": first["next_cursor"]}, headers=keys["city"])
    assert ids(rest) == [a] and rest.json()["next_cursor"] is None
    assert_problem(client.get("/api/v1/visits", params={"cursor": "x.y"}, headers=keys["city"]), 422,
                   field="query.cursor")
    assert_problem(client.get("/api/v1/visits", params={"from": "2026-03-01", "to": "2026-02-01"},
                              headers=keys["city"]), 422, field="query.from")
    assert_problem(client.get("/api/v1/visits", params={"from": "0"}, headers=keys["city"]), 422)


def test_each_role_sees_its_reach(client, people, keys):
    v = seed(client, people)
    a, b, c, d = (v[k]["id"] for k in "abcd")
    assert ids(client.get("/api/v1/visits", headers=keys["xihu"])) == [c, b, a]
    assert ids(client.get("/api/v1/visits", headers=keys["xixi_admin"])) == [b, a]
    assert ids(client.get("/api/v1/visits", headers=keys["gongshu"])) == [d]
    assert ids(client.get("/api/v1/visits", headers=people["jxj"])) == [c]  # the department's own cadre
    assert ids(client.get("/api/v1/visits", headers=people["li"])) == [d]
    # Another street's admin cannot ask for a unit outside reach.
    assert_problem(client.get("/api/v1/visits", params={"unit": "330106"}, headers=keys["gongshu"]), 404)
    assert_problem(client.get("/api/v1/visits", headers={"Authorization": "Bearer nope"}), 401)


def test_a_paired_cadre_reads_the_enterprises_visits(client, people, keys):
    v = seed(client, people)
    # 西溪街道's liaison visited 北山文创 nowhere; the city department's cadre paired with it did.
    response = client.get(f"/api/v1/enterprises/{BEISHAN_ENTERPRISE}/visits", headers=people["jxj"])
    assert ids(response) == [v["c"]["id"]]
    assert_problem(client.get(f"/api/v1/enterprises/{BEISHAN_ENTERPRISE}/visits", headers=people["jxj_unpaired"]),
                   404)
    assert_problem(client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/visits", headers=keys["gongshu"]), 404)
    assert ids(client.get(f"/api/v1/enterprises/{XIXI_ENTERPRISE}/visits", headers=keys["xixi_admin"])) == \
        [v["b"]["id"], v["a"]["id"]]
    assert_problem(client.get("/api/v1/enterprises/91330106MA2CF9999X/visits", headers=keys["city"]), 404)


def test_export_csv_and_xlsx_with_chinese_headers_and_no_contact(client, people, keys):
    facts = {"industry": "C39", "scale": "small", "key_level": "district"}
    assert client.patch(f"/api/v1/enterprises/{XIXI_ENTERPRISE}", json=facts,
                        headers=keys["xixi_admin"]).status_code == 200
    record(client, people["wang"], XIXI_ENTERPRISE, "2026-02-20", appeals=[raised()],
           summary="企业联系人电话 13912340001，反映用电增容慢。=1+1")
    csv = client.get("/api/v1/visits/export.csv", params={"unit": "330106"}, headers=keys["xihu"])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeff走访编号,走访日期,企业名称,统一社会信用代码,属地街道,所属行业,企业规模,重点企业,走访方式,走访人")
    assert "杭州西溪智造科技有限公司" in text and "上门走访" in text and "王晓明" in text and "ZQ2026-000001" in text
    assert "13912340001" not in text and "139****0001" in text  # the district admin sees no contact mobile
    assert "陈立" not in text  # the enterprise's contact person is not in the ledger

    xlsx = client.get("/api/v1/visits/export.xlsx", headers=keys["xixi_admin"])
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["走访台账"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("走访编号", "走访日期", "企业名称", "统一社会信用代码") and len(rows) == 2
    cell = dict(zip(rows[0], rows[1], strict=True))
    assert cell["企业名称"] == "杭州西溪智造科技有限公司" and cell["收集诉求数"] == 1
    assert "13912340001" in cell["走访情况"]  # the owning street's admin sees the contact in full, as on the record
    # The enterprise facts, in words (GB/T 4754-2017 code and name, scale, key level), in both formats.
    assert (cell["所属行业"], cell["企业规模"], cell["重点企业"]) == ("C39 计算机、通信和其他电子设备制造业", "小型", "区级")
    assert ",C39 计算机、通信和其他电子设备制造业,小型,区级," in text

    assert_problem(client.get("/api/v1/visits/export.csv", params={"unit": "330106"}, headers=keys["gongshu"]), 404)
    assert_problem(client.get("/api/v1/visits/export.xlsx"), 401)
