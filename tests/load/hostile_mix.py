"""A mix of valid and hostile requests for the 200-connection burst (issue 14, "Done means"): each call with the
one answer it must get. Shared by tests/load/test_burst.py (a real `zhuqi serve` on PostgreSQL) and the same mix
in-process on both databases (tests/load/test_hostile_mix.py)."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

from tests.helpers import XIXI_ENTERPRISE, appeal_body
from tests.load.burst import Call

CITY, LIAISON = "city", "xixi_liaison"


def hostile_mix(headers: dict[str, dict[str, str]], appeal_id: int, today: date) -> list[tuple[Call, int]]:
    """(call, expected status) pairs; `headers` by key name (CITY, LIAISON); `today` the server's day."""
    city, liaison = headers[CITY], headers[LIAISON]
    invented = {"Authorization": f"Bearer zq_{secrets.token_urlsafe(32)}"}

    def intake(**overrides: object) -> Call:
        return Call("POST", "/api/v1/appeals", city, appeal_body(XIXI_ENTERPRISE, **overrides))

    return [
        (Call("GET", "/api/v1/appeals?limit=20", city), 200),
        (Call("GET", f"/api/v1/appeals/{appeal_id}", invented), 401),
        (Call("GET", f"/api/v1/appeals/{appeal_id}", {"Authorization": "Bearer zq_x"}), 401),
        (Call("GET", "/api/v1/stats/summary?to=9999-12-31", city), 422),
        (Call("GET", "/api/v1/stats/summary?from=0001-01-01", city), 422),
        (Call("GET", "/api/v1/stats/timeseries?to=9999-12-31T23:59:59%2B00:00", city), 422),
        (Call("GET", "/api/v1/stats/export.csv?to=9999-12-31", city), 422),
        (Call("GET", "/api/v1/stats/bulletin?week=9999-W52", city), 422),
        (Call("GET", "/api/v1/stats/export.csv?from=2026-01-01", city), 200),
        (Call("GET", "/api/v1/visits/export.csv?from=0001-01-01", city), 422),
        (Call("GET", "/api/v1/visits/export.csv", city), 200),
        (Call("GET", "/api/v1/appeals?cursor=%00", city), 422),
        (Call("GET", "/api/v1/appeals?cursor=not-a-cursor", city), 422),
        (Call("GET", "/api/v1/appeals/99999999999999999999", city), 422),
        (intake(impact={"hard_deadline": "0001-01-01"}), 422),
        (intake(impact={"hard_deadline": "9999-12-31"}), 422),
        (intake(impact={"hard_deadline": (today - timedelta(days=2)).isoformat()}), 422),  # in the past
        (intake(title="标题\u0085含 C1 控制符"), 422),
        (intake(description="描述\u0000含 NUL"), 422),
        (Call("POST", "/api/v1/appeals", city, "不是 JSON 对象"), 422),
        (Call("POST", f"/api/v1/appeals/{appeal_id}/actions/sign", liaison, {}), 409),
    ]


CHINESE = re.compile(r"[\u4e00-\u9fff]")


def wrong_answers(mix: list[tuple[Call, int]], answers: list[tuple[int, int, str, dict]]) -> list[str]:
    """What in `answers` — (index of the call, status, content type, body as JSON or {}) — is not the answer its
    call must get: another status, or a refusal that is not problem+json with a Chinese detail."""
    wrong = []
    for index, status, content_type, body in answers:
        call, expected = mix[index % len(mix)]
        if status != expected:
            wrong.append(f"{call.method} {call.path}: {status}, expected {expected}")
        elif status >= 400 and not (content_type.startswith("application/problem+json")
                                    and CHINESE.search(str(body.get("detail", "")))):
            wrong.append(f"{call.method} {call.path}: {status} without a Chinese problem ({content_type})")
    return wrong
