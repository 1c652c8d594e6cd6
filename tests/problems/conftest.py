from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import HUSHU_ENTERPRISE, KANGQIAO_ENTERPRISE, XIXI_ENTERPRISE, appeal_body, uscc_of

CHENGXIANG_ENTERPRISE = uscc_of("91330109MA2CF0004")  # 杭州萧山城厢纺织有限公司, 城厢街道 (萧山区)
BEISHAN_ENTERPRISE = uscc_of("91330106MA2CF0005")  # 杭州北山文创设计有限公司, 北山街道 (西湖区)


@pytest.fixture
def file_appeal(client, keys):  # type: ignore[no-untyped-def]
    """Files an appeal through the API as the city admin (走访收集) and returns its JSON."""

    def file(uscc: str, title: str, description: str, category: str = "energy", **overrides: Any) -> dict:
        body = appeal_body(uscc, title=title, description=description, category=category, **overrides)
        response = client.post("/api/v1/appeals", json=body, headers=keys["city"])
        assert response.status_code == 201, response.text
        return response.json()

    return file


__all__ = ["BEISHAN_ENTERPRISE", "CHENGXIANG_ENTERPRISE", "HUSHU_ENTERPRISE", "KANGQIAO_ENTERPRISE",
           "XIXI_ENTERPRISE"]
