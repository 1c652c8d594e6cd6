"""Assertions shared by API tests."""

from __future__ import annotations

from typing import Any


def assert_problem(response: Any, status: int, *, field: str | None = None, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert any(field in f for f in fields), f"{field} not in {fields}: {body}"
    return body


def uscc_of(prefix17: str) -> str:
    from app.enterprises.uscc import make_uscc

    return make_uscc(prefix17)


XIXI_ENTERPRISE = uscc_of("91330106MA2CF0001")  # 杭州西溪智造科技有限公司, 西溪街道 (西湖区)
HUSHU_ENTERPRISE = uscc_of("91330105MA2CF0002")  # 杭州湖墅精密机械有限公司, 湖墅街道 (拱墅区)
KANGQIAO_ENTERPRISE = uscc_of("91330105MA2CF0003")  # 杭州康桥新材料有限公司, 康桥街道 (拱墅区)


def appeal_body(uscc: str = XIXI_ENTERPRISE, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "title": "新厂房用电增容审批迟迟未办",
        "description": "新建厂房需增容至 2000kVA，申请已提交两个月未有答复。",
        "category": "energy",
        "source": "visit",
        "impact": {"employees_affected": 10},
        "enterprise_uscc": uscc,
    }
    body.update(overrides)
    return body
