"""The access matrix, extended with cadres (issue 17): one paired with 西溪智造, one formerly paired with it, one never
paired — all three 市 department cadres, so none reaches 西溪街道 through the unit tree.

Generated from the app's route table: every GET route naming an enterprise (`{uscc}`) or an appeal (`{appeal_id}`),
filled with 西溪智造 and its appeal, must answer the paired cadre as it answers the street's own liaison when that is
a 200 (the pairing grants the street liaison's reading), and must answer the formerly paired cadre exactly as the
never-paired one (404, or 403 where the route is not for liaisons at all). New routes are covered as they appear.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

from tests.helpers import XIXI_ENTERPRISE, appeal_body
from tests.pairing.helpers import cadre

COOKIE_PAGES = ("/m/", "/dashboard")


@pytest.fixture
def cadres(client, keys, city, clock):  # type: ignore[no-untyped-def]
    paired, former, never = (cadre(city, clock.now, n) for n in ("结对干部", "原结对干部", "未结对干部"))
    url = f"/api/v1/enterprises/{XIXI_ENTERPRISE}/liaison"
    for who in (former, paired):  # pairing `paired` ends `former`'s pairing
        assert client.put(url, json={"user_id": who.user_id}, headers=keys["city"]).status_code == 200
    appeal = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()["id"]
    client.post(f"/api/v1/appeals/{appeal}/actions/sign", json={}, headers=keys["xixi_liaison"])
    return {"paired": paired.headers, "former": former.headers, "never": never.headers,
            "street": keys["xixi_liaison"], "appeal": appeal}


def _reads(app) -> list[str]:  # type: ignore[no-untyped-def]
    paths = set()
    for route in iter_route_contexts(app.routes):
        names = set(re.findall(r"\{([^}:]+)", route.path))
        if "GET" in (route.methods or ()) and names & {"uscc", "appeal_id"} and names <= {"uscc", "appeal_id"} \
                and not route.path.startswith(COOKIE_PAGES):
            paths.add(route.path)
    return sorted(paths)


def test_reads_follow_the_pairing_on_every_route(app, client, cadres):
    checked = []
    for path in _reads(app):
        url = path.format(uscc=XIXI_ENTERPRISE, appeal_id=cadres["appeal"])
        got = {who: client.get(url, headers=cadres[who]).status_code for who in ("paired", "former", "never", "street")}
        if got["street"] == 200:
            assert got["paired"] == 200, (path, got)
        assert got["former"] == got["never"] and got["never"] in (403, 404), (path, got)
        if got["never"] == 403:  # refused for the role, not for the object: the paired cadre too
            assert got["paired"] == 403, (path, got)
        checked.append(path)
    assert {"/api/v1/enterprises/{uscc}", "/api/v1/appeals/{appeal_id}", "/api/v1/appeals/{appeal_id}/events",
            "/api/v1/enterprises/{uscc}/pairings"} <= set(checked)


@pytest.mark.parametrize("who, progress, resolve, intake, listed", [
    ("paired", 200, 403, 201, True),
    ("former", 404, 404, 422, False),
    ("never", 404, 404, 422, False),
])
def test_writes_follow_the_pairing(client, cadres, who, progress, resolve, intake, listed):
    headers, appeal = cadres[who], cadres["appeal"]
    r = client.post(f"/api/v1/appeals/{appeal}/actions/progress", json={"note": "协办：已对接银行"}, headers=headers)
    assert r.status_code == progress, r.text
    # 办结 (an owner action) stays with the owning unit: 403 for the paired cadre, 404 for those who cannot see it.
    r = client.post(f"/api/v1/appeals/{appeal}/actions/resolve",
                    json={"resolution_code": "已解决", "public_reply": "已办结"}, headers=headers)
    assert r.status_code == resolve, r.text
    r = client.post("/api/v1/appeals", json=appeal_body(title="协办提交"), headers=headers)
    assert r.status_code == intake, r.text
    ids = [a["id"] for a in client.get("/api/v1/appeals", headers=headers).json()["items"]]
    assert (appeal in ids) is listed
    mine = [e["uscc"] for e in client.get("/api/v1/me/enterprises", headers=headers).json()["items"]]
    assert (mine == [XIXI_ENTERPRISE]) is listed
