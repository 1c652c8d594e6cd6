"""The access matrix, extended with a 加派 (co-handling) unit outside the owner's tree (issue 17): 西溪街道 owns the
appeal and dispatches it additionally to 湖墅街道 (拱墅区). The unit that may add notes reads what it adds them to.

Generated from the app's route table: every GET route naming an appeal (`{appeal_id}`) must answer the co-handling
unit's liaison as it answers the owning street's liaison when that is a 200, and must answer it 404 before the 加派,
like a unit that was never dispatched the appeal (康桥街道, same district). The read, the timeline and the list agree
(app.appeals.access.visibility_clause is their one rule). New routes are covered as they appear.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts

from tests.helpers import appeal_body

COOKIE_PAGES = ("/m/", "/dashboard")
HUSHU = "330105005"


def _reads(app) -> list[str]:  # type: ignore[no-untyped-def]
    paths = set()
    for route in iter_route_contexts(app.routes):
        names = set(re.findall(r"\{([^}:]+)", route.path))
        if "GET" in (route.methods or ()) and names == {"appeal_id"} and not route.path.startswith(COOKIE_PAGES):
            paths.add(route.path)
    return sorted(paths)


def _codes(client, keys, app, appeal: int) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    return {path: {who: client.get(path.format(appeal_id=appeal), headers=keys[who]).status_code
                   for who in ("xixi_liaison", "hushu_liaison", "kangqiao_liaison", "gongshu")}
            for path in _reads(app)}


def _listed(client, headers, appeal: int) -> bool:  # type: ignore[no-untyped-def]
    return appeal in [a["id"] for a in client.get("/api/v1/appeals", headers=headers).json()["items"]]


@pytest.fixture
def appeal(client, keys):  # type: ignore[no-untyped-def]
    appeal = client.post("/api/v1/appeals", json=appeal_body(), headers=keys["city"]).json()["id"]
    assert client.post(f"/api/v1/appeals/{appeal}/actions/sign", json={},
                       headers=keys["xixi_liaison"]).status_code == 200
    return appeal


def test_before_the_dispatch_the_other_districts_units_do_not_see_the_appeal(app, client, keys, appeal):
    for path, got in _codes(client, keys, app, appeal).items():
        assert got["xixi_liaison"] == 200, (path, got)
        assert got["hushu_liaison"] == got["kangqiao_liaison"] == got["gongshu"] == 404, (path, got)
    assert not _listed(client, keys["hushu_liaison"], appeal)


def test_the_cohandling_unit_reads_the_appeal_its_timeline_and_lists_it_on_every_route(app, client, keys, appeal):
    r = client.post(f"/api/v1/appeals/{appeal}/actions/cohandle", json={"target_unit_code": HUSHU},
                    headers=keys["xixi_admin"])
    assert r.status_code == 200, r.text
    checked = []
    for path, got in _codes(client, keys, app, appeal).items():
        assert got["hushu_liaison"] == got["xixi_liaison"] == 200, (path, got)
        assert got["gongshu"] == 200, (path, got)  # the co-handling unit's district, as for an owner's district
        assert got["kangqiao_liaison"] == 404, (path, got)  # a sibling street was not dispatched it
        checked.append(path)
    assert {"/api/v1/appeals/{appeal_id}", "/api/v1/appeals/{appeal_id}/events",
            "/api/v1/appeals/{appeal_id}/allowed-actions"} <= set(checked)
    assert _listed(client, keys["hushu_liaison"], appeal) and _listed(client, keys["gongshu"], appeal)
    assert not _listed(client, keys["kangqiao_liaison"], appeal)


def test_the_cohandling_units_note_is_read_back_by_it_and_owner_actions_stay_with_the_owner(client, keys, appeal):
    client.post(f"/api/v1/appeals/{appeal}/actions/cohandle", json={"target_unit_code": HUSHU},
                headers=keys["xixi_admin"])
    headers = keys["hushu_liaison"]
    r = client.post(f"/api/v1/appeals/{appeal}/actions/progress", json={"note": "湖墅街道已联系供地企业"}, headers=headers)
    assert r.status_code == 200, r.text
    events = client.get(f"/api/v1/appeals/{appeal}/events", headers=headers).json()["items"]
    [note] = [e for e in events if e["type"] == "progress"]
    assert note["note"] == "湖墅街道已联系供地企业" and note["assist"] is True
    assert client.get(f"/api/v1/appeals/{appeal}/allowed-actions", headers=headers).json()["actions"] == ["progress"]
    r = client.post(f"/api/v1/appeals/{appeal}/actions/resolve",
                    json={"resolution_code": "已解决", "public_reply": "已办结"}, headers=headers)
    assert r.status_code == 403, r.text  # seen now, so refused for the role rather than hidden
